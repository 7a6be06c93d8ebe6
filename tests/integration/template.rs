//! `tally template`: templates per unit, protected and validating, that
//! come back through `tally check` with zero errors and the values filled,
//! whether filled by our writer or saved by LibreOffice.

use std::path::Path;

use calamine::{Data, DataType, Reader, open_workbook_auto};

use crate::common::{Workdir, tally};
use tally::ingest::ReadOptions;
use tally::model::{IndicatorId, Period, ProjectId, Severity, Tolerance};
use tally::pipeline::inspect;
use tally::plan::read_plan;
use tally::validate::CheckOptions;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tally template` for 2022-03 into `out`.
fn templates_for_march(plan: &Path, out: &Path) -> std::process::Output {
    tally(&[
        "template",
        "--plan",
        plan.to_str().unwrap(),
        "--period",
        "2022-03",
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn templates_for_every_unit_are_prefilled_protected_and_validating() {
    let w = Workdir::new("template_samples");
    let plan_path = root().join("samples/plan.xlsx");
    let out = templates_for_march(&plan_path, &w.path("tpl"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = read_plan(&plan_path).unwrap();
    let period: Period = "2022-03".parse().unwrap();
    for (u, unit) in plan.units.iter_enumerated() {
        let path = w.path("tpl").join(format!("{}.xlsx", unit.name));
        let mut wb = open_workbook_auto(&path).unwrap();
        let mine = plan.projects_of(u);
        if mine.is_empty() {
            assert_eq!(wb.sheet_names(), ["填报说明", "报表", "_tally"]);
        } else {
            assert_eq!(wb.sheet_names(), ["填报说明", "报表", "重点项目", "_tally"]);
            let projects: Vec<Vec<Data>> = wb
                .worksheet_range("重点项目")
                .unwrap()
                .rows()
                .map(|r| r.to_vec())
                .collect();
            assert_eq!(projects[3][0].to_string(), "项目名称");
            assert_eq!(projects[3][5].to_string(), "是否开工");
            for (k, &p) in mine.iter().enumerate() {
                let (row, project) = (&projects[4 + k], &plan.projects[p]);
                assert_eq!(row[0].to_string(), project.name);
                assert_eq!(row[1].to_string(), project.kind.label());
                assert_eq!(row[3], Data::Float(project.planned_investment.unwrap()));
                let by = row[4].as_date().expect("计划开工日期 is a date cell");
                assert_eq!(Some(by), project.start_by);
                assert!(
                    row.get(5).is_none_or(|c| *c == Data::Empty),
                    "是否开工 left to fill"
                );
            }
        }
        let rows: Vec<Vec<Data>> = wb
            .worksheet_range("报表")
            .unwrap()
            .rows()
            .map(|r| r.to_vec())
            .collect();
        assert_eq!(rows[1][0].to_string(), format!("填报单位：{}", unit.name));
        let required = plan.required(u);
        // Header on row 4, one row per indicator of the unit's plan.
        for (k, &i) in required.iter().enumerate() {
            let row = &rows[4 + k];
            assert_eq!(row[0].to_string(), plan.indicators[i].code);
            if let Some(t) = plan.target(Some(u), i) {
                assert_eq!(
                    row[3],
                    Data::Float(t.goal.target),
                    "{} {}",
                    unit.name,
                    plan.indicators[i].code
                );
                let expected = t.goal.expected(period.elapsed());
                assert!(matches!(row[4], Data::Float(e) if (e - expected).abs() < 1e-9));
            }
            assert_eq!(row[5], Data::Empty, "本年累计 left to fill");
        }
        let meta: Vec<Vec<Data>> = wb
            .worksheet_range("_tally")
            .unwrap()
            .rows()
            .map(|r| r.to_vec())
            .collect();
        assert_eq!(meta[0][1].to_string(), unit.name);
        assert_eq!(meta[1][1].to_string(), "2022-03");
        assert_eq!(meta[2][1].to_string().len(), 64, "plan fingerprint");
    }
    let qq = w.path("tpl/清泉镇.xlsx");
    let sheet = crate::common::xml_parts(&qq, "worksheets/sheet2.xml");
    assert!(sheet.contains("<sheetProtection"), "the table is protected");
    assert!(
        sheet.contains("第 &amp;P 页，共 &amp;N 页</oddFooter>"),
        "pages numbered"
    );
    // The ceiling 安全生产事故 (AQ01) is the most it may reach: ≤, and only
    // where the plan has a ceiling.
    let styles = crate::common::xml_parts(&qq, "styles.xml");
    let ceilings = plan
        .indicators
        .iter()
        .any(|i| i.direction == tally::model::Direction::Lower);
    assert!(
        ceilings && styles.contains("&quot;≤&quot;"),
        "{styles:.300}"
    );
    assert!(sheet.contains("<dataValidation "), "input cells validate");
    assert!(
        crate::common::xml_parts(&qq, "styles.xml").contains(r#"locked="0""#),
        "input cells are unlocked"
    );
    // 填表人 and 联系电话 are typed by the unit: open (unlocked) cells beside
    // their labels; the labels themselves are locked.
    let table: Vec<Vec<Data>> = open_workbook_auto(&qq)
        .unwrap()
        .worksheet_range("报表")
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect();
    let footer = table.iter().position(|r| r[0] == "填表人：").unwrap() as u32;
    let locked = |col: u16| {
        let cell = rust_xlsxwriter::utility::row_col_to_cell(footer, col);
        // A cell without a style is locked, as every cell is by default.
        crate::common::cell_style(&qq, 2, &cell).is_none_or(|(xf, _)| !xf.contains(r#"locked="0""#))
    };
    assert_eq!(table[footer as usize][3], "联系电话：");
    assert!(!locked(1) && !locked(4), "name and phone are input cells");
    assert!(locked(3), "the label is not");
    // Dates are written the Chinese way.
    assert!(
        table[2][0]
            .to_string()
            .contains("填写2022年1月1日至3月31日的累计数"),
        "{}",
        table[2][0]
    );
    let help: String = open_workbook_auto(&qq)
        .unwrap()
        .worksheet_range("填报说明")
        .unwrap()
        .rows()
        .map(|r| r[0].to_string())
        .collect();
    assert!(help.contains("请于 2022年4月5日 前报送"), "{help}");
    assert!(!help.contains("tally"), "{help}");
    assert!(crate::common::xml_parts(&qq, "workbook.xml").contains(r#"state="veryHidden""#));
    let projects = crate::common::xml_parts(&qq, "worksheets/sheet3.xml");
    assert!(
        projects.contains("<sheetProtection"),
        "the projects are protected"
    );
    assert!(
        projects.contains(r#"type="list""#) && projects.contains("是,否"),
        "是否开工 is a 是/否 list"
    );
    assert!(
        projects.contains(r#"type="date""#),
        "开工日期 validates dates"
    );
}

/// A reported project: (project, started, started on, investment).
type ProjectSeen = (
    ProjectId,
    Option<bool>,
    Option<chrono::NaiveDate>,
    Option<f64>,
);

/// Checks one filled template alone in an inbox; returns (errors, warnings,
/// values by indicator, projects).
fn check_filled(file: &Path) -> (usize, usize, Vec<(IndicatorId, f64)>, Vec<ProjectSeen>) {
    let w = Workdir::new("template_round");
    std::fs::copy(file, w.inbox().join("清泉镇.xlsx")).unwrap();
    let options = CheckOptions {
        period: "2022-03".parse().ok(),
        tolerance: Tolerance::DEFAULT,
        previous: None,
    };
    let i = inspect(
        &root().join("samples/plan.xlsx"),
        &w.inbox(),
        &ReadOptions::default(),
        &options,
    )
    .unwrap();
    let own = |s| {
        i.checked
            .issues
            .iter()
            .filter(|x| x.file.is_some() && x.severity == s)
            .count()
    };
    let mut values: Vec<(IndicatorId, f64)> = i
        .checked
        .facts
        .iter()
        .map(|f| (f.indicator, f.value))
        .collect();
    values.sort_by_key(|v| v.0);
    let projects = i
        .checked
        .projects
        .iter()
        .map(|p| (p.project, p.started, p.started_on, p.investment))
        .collect();
    (
        own(Severity::Error),
        own(Severity::Warning),
        values,
        projects,
    )
}

/// What the fixtures were filled with (examples/make_samples.rs, `on_schedule`).
fn filled() -> (Vec<(IndicatorId, f64)>, Vec<ProjectSeen>) {
    let plan = read_plan(&root().join("samples/plan.xlsx")).unwrap();
    let period: Period = "2022-03".parse().unwrap();
    let u = plan.unit_named("清泉镇").unwrap();
    let filled = crate::book::on_schedule(&plan, u, period);
    let mut v: Vec<(IndicatorId, f64)> = filled.values.into_iter().collect();
    v.sort_by_key(|x| x.0);
    let mut p: Vec<ProjectSeen> = filled
        .projects
        .into_iter()
        .map(|(p, f)| (p, Some(f.started), f.started_on, Some(f.investment)))
        .collect();
    p.sort_by_key(|x| x.0);
    assert!(!p.is_empty(), "清泉镇 has a key project in the sample plan");
    (v, p)
}

#[test]
fn a_template_filled_by_our_writer_checks_clean_with_the_values_filled() {
    let (errors, warnings, values, projects) =
        check_filled(&root().join("tests/fixtures/清泉镇-模板已填.xlsx"));
    assert_eq!((errors, warnings), (0, 0));
    assert_eq!((values, projects), filled());
}

#[test]
fn a_template_saved_by_libreoffice_checks_clean_with_the_values_filled() {
    let (errors, warnings, values, projects) =
        check_filled(&root().join("tests/fixtures/清泉镇-模板已填-libreoffice.xlsx"));
    assert_eq!((errors, warnings), (0, 0));
    let (expected, expected_projects) = filled();
    assert_eq!(projects, expected_projects);
    assert_eq!(values.len(), expected.len());
    for ((i, v), (j, e)) in values.iter().zip(&expected) {
        assert_eq!(i, j);
        assert!((v - e).abs() < 1e-9, "{v} ≠ {e}");
    }
}

#[test]
fn tally_recognises_its_templates_and_names_the_drift() {
    use crate::book::{C, Sheet, n, t, template, write_xlsx};
    // A template whose 填报单位 line and file name were lost, with a row
    // deleted and one added; only the hidden sheet says whose it is.
    let w = Workdir::new("template_drift");
    let mut rows: Vec<Vec<C>> = crate::common::qingquan_clean()[1..].to_vec();
    rows.push(vec![t("ZZ01"), t("自加指标"), C::E, C::E, n(1.0), C::E]);
    let meta = Sheet {
        hidden: true,
        ..Sheet::new("_tally")
            .texts(&["unit", "清泉镇"])
            .texts(&["period", "2022-03"])
    };
    write_xlsx(
        &w.inbox().join("报表.xlsx"),
        &[template("表", "", "2022-04-05", rows), meta],
    );
    let (json, _) = w.check_json(&w.plan(), &[]);
    let sub = crate::common::submission(&json, "报表.xlsx");
    assert_eq!(sub["unit"], "清泉镇");
    assert_eq!(sub["status"], "accepted");
    let missing = crate::common::issues_with(&json, "missing_value");
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("模板中的这一行被删除了")
    );
    let added = crate::common::issues_with(&json, "unknown_indicator");
    assert!(
        added[0]["message"]
            .as_str()
            .unwrap()
            .contains("模板中没有这一行")
    );
}

#[test]
fn a_unit_whose_template_cannot_be_written_leaves_the_others_written_and_the_first_named() {
    // The templates are built on every core: one that cannot be written
    // (a folder in its place) stops none of the others, and of two that
    // fail, the first in the plan's order is the one reported, whichever
    // core met it first.
    let w = Workdir::new("template_blocked");
    let plan_path = root().join("samples/plan.xlsx");
    let plan = read_plan(&plan_path).unwrap();
    let names: Vec<&str> = plan.units.iter().map(|u| u.name.as_str()).collect();
    assert!(names.len() > 4);
    let tpl = w.path("tpl");
    for blocked in [names[1], names[3]] {
        std::fs::create_dir_all(tpl.join(format!("{blocked}.xlsx")).join("x")).unwrap();
    }
    let out = templates_for_march(&plan_path, &tpl);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("{}.xlsx", names[1])), "{said}");
    assert!(!said.contains(&format!("{}.xlsx", names[3])), "{said}");
    for (k, name) in names.iter().enumerate() {
        let path = tpl.join(format!("{name}.xlsx"));
        assert_eq!(path.is_file(), k != 1 && k != 3, "{}", path.display());
    }
}

#[test]
fn a_percentage_over_100_typed_into_a_template_is_what_the_clerk_sees() {
    // The template's % cells are formatted `0.0%`: a clerk's 120% is the
    // number 1.2, which was read as 1.2% (a number over 1 being a
    // percentage elsewhere).
    let plan = read_plan(&root().join("samples/plan.xlsx")).unwrap();
    let period: Period = "2022-03".parse().unwrap();
    let u = plan.unit_named("清泉镇").unwrap();
    let mut filled = crate::book::on_schedule(&plan, u, period);
    let rate = *filled
        .values
        .keys()
        .find(|&&i| plan.indicators[i].is_percent())
        .expect("清泉镇 reports a percentage");
    filled.values.insert(rate, 1.2);
    let bytes =
        tally::template::unit_template(&plan, "", period, u, &Default::default(), Some(&filled))
            .unwrap();
    let w = Workdir::new("template_percent");
    let file = w.path("清泉镇.xlsx");
    std::fs::write(&file, bytes).unwrap();
    let (_, _, values, _) = check_filled(&file);
    let read = values.iter().find(|(i, _)| *i == rate).map(|v| v.1);
    assert_eq!(read, Some(1.2), "{}", plan.indicators[rate].code);
}

#[test]
fn a_form_lists_only_the_rules_that_can_apply_to_its_unit() {
    // 县应急管理局 reports only AQ01: R01 (NY02 ≤ NY03) and R02 (ZS01 ≥
    // FA01 × 0.5) are never checked for it, and were listed as "报送后检查".
    let w = Workdir::new("template_rules_listed");
    let out = w.path("forms");
    let made = templates_for_march(&root().join("samples/plan.xlsx"), &out);
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    let help = |unit: &str| -> String {
        open_workbook_auto(out.join(format!("{unit}.xlsx")))
            .unwrap()
            .worksheet_range("填报说明")
            .unwrap()
            .rows()
            .flat_map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            .collect()
    };
    let safety = help("县应急管理局");
    assert!(
        !safety.contains("特色产业增加值不能大于农业增加值"),
        "{safety}"
    );
    assert!(!safety.contains("部门招商引资到位资金"), "{safety}");
    // A unit that reports both still has R01.
    assert!(help("清泉镇").contains("特色产业增加值不能大于农业增加值"));
}
