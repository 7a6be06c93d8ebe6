//! Submissions as people really fill them: header shapes, value forms,
//! other writers' files. Values are checked through the library's pipeline,
//! which returns the facts the reports are built from.

use std::collections::HashMap;

use crate::book::{C, Sheet, n, t};
use crate::common::{Workdir, line, qingquan_clean, read_csv, standard};
use tally::ingest::ReadOptions;
use tally::pipeline::inspect;
use tally::validate::CheckOptions;
use tally::validate::Inspection;

fn run(w: &Workdir) -> Inspection {
    run_with(&w.plan(), w)
}

/// Checks `w`'s inbox against `plan` for 2022-03, in this process.
fn run_with(plan: &std::path::Path, w: &Workdir) -> Inspection {
    let options = CheckOptions {
        period: "2022-03".parse().ok(),
        tolerance: tally::model::Tolerance::DEFAULT,
        previous: None,
    };
    inspect(plan, &w.inbox(), &ReadOptions::default(), &options).expect("inspect")
}

/// A sample inbox file, alone in an inbox, checked against the sample plan.
fn run_sample_file(path: &std::path::Path) -> Inspection {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let w = Workdir::new("shape_sample");
    std::fs::copy(path, w.inbox().join(path.file_name().unwrap())).unwrap();
    run_with(&root.join("samples/plan.xlsx"), &w)
}

/// Asserts that no inbox file had any issue (missing units aside).
fn assert_no_file_issues(i: &Inspection) {
    let own: Vec<_> = i
        .checked
        .issues
        .iter()
        .filter(|x| x.file.is_some())
        .collect();
    assert!(own.is_empty(), "{own:#?}");
}

/// (unit, code) → value of every fact.
fn facts(i: &Inspection) -> HashMap<(String, String), f64> {
    i.checked
        .facts
        .iter()
        .map(|f| {
            (
                (
                    i.plan.units[f.unit].name.clone(),
                    i.plan.indicators[f.indicator].code.clone(),
                ),
                f.value,
            )
        })
        .collect()
}

fn fact(i: &Inspection, unit: &str, code: &str) -> Option<f64> {
    facts(i).get(&(unit.to_string(), code.to_string())).copied()
}

#[test]
fn standard_one_row_header_below_title_rows() {
    let w = Workdir::new("shape_standard");
    w.submit_qingquan();
    let i = run(&w);
    assert_no_file_issues(&i);
    assert_eq!(fact(&i, "清泉镇", "FA01"), Some(320.0));
    assert_eq!(fact(&i, "清泉镇", "WS01"), Some(0.82));
    assert_eq!(
        i.checked.submissions[0].reported_at.unwrap().to_string(),
        "2022-04-05"
    );
}

#[test]
fn two_row_merged_header_without_code_column_after_an_instructions_sheet() {
    let w = Workdir::new("shape_two_row");
    let help = Sheet::new("填报说明")
        .texts(&["填报说明"])
        .texts(&["请填写本年累计数"]);
    let data = Sheet::new("数据")
        .texts(&["大马营镇重点工作进展（1-3月）"])
        .texts(&["填报单位：大马营镇", "", "", "填报日期：2022年4月6日"])
        .texts(&[
            "指标名称",
            "计量单位",
            "年度目标",
            "完成情况",
            "",
            "滞后原因",
        ])
        .texts(&["", "", "", "本年累计", "完成率", ""])
        .merge(0, 0, 0, 5)
        .merge(2, 0, 3, 0)
        .merge(2, 1, 3, 1)
        .merge(2, 2, 3, 2)
        .merge(2, 3, 2, 4)
        .merge(2, 5, 3, 5)
        .row(vec![
            t("固定资产投资"),
            t("万元"),
            n(800.0),
            n(210.0),
            t("26%"),
        ])
        .row(vec![t("重点项目开复工"), t("个"), n(2.0), n(2.0)])
        .row(vec![t("特色产业增加值"), t("万元"), C::E, n(700.0)])
        .row(vec![t("农业增加值"), t("万元"), C::E, n(1000.0)])
        .row(vec![t("安全生产事故"), t("起"), n(1.0), n(0.0)])
        .row(vec![t("农村卫生厕所普及率"), t("%"), n(0.85), t("86%")]);
    w.submit("3月报表.xlsx", &[help, data]);
    let i = run(&w);
    assert_no_file_issues(&i);
    assert_eq!(fact(&i, "大马营镇", "FA01"), Some(210.0));
    assert_eq!(fact(&i, "大马营镇", "WS01"), Some(0.86));
    assert_eq!(fact(&i, "大马营镇", "NY03"), Some(1000.0));
}

#[test]
fn columns_in_any_order_with_totals_footers_and_a_date_cell() {
    let w = Workdir::new("shape_order");
    let mut s = Sheet::new("报表")
        .row(vec![
            t("填报单位（盖章）："),
            t("清泉镇"),
            C::E,
            t("填报日期："),
            C::D(2022, 4, 4),
        ])
        .texts(&["备注", "本年累计完成数（万元）", "指标名称", "代码"])
        .texts(&["甲", "1", "乙", "丙"]);
    for r in qingquan_clean() {
        let (code, value) = (r[0].clone(), r[4].clone());
        s = s.row(vec![C::E, value, C::E, code]);
    }
    s = s
        .texts(&["", "9999", "合计", ""])
        .texts(&["填表人：张三", "", "", ""]);
    w.submit("一季度.xlsx", &[s]);
    let i = run(&w);
    assert_no_file_issues(&i);
    assert_eq!(i.checked.facts.len(), 7);
    assert_eq!(fact(&i, "清泉镇", "NY02"), Some(2200.0));
    assert_eq!(
        i.checked.submissions[0].reported_at.unwrap().to_string(),
        "2022-04-04"
    );
}

#[test]
fn every_value_form_is_read_as_its_number() {
    let w = Workdir::new("shape_values");
    let rows = vec![
        line("FA01", t("１，２３４．５"), ""),
        line("PJ01", t(" 4 个 "), ""),
        line("ST01", C::F("0.05+0.07".into(), Some("0.12".into())), ""),
        line("NY02", t("2 200"), ""),
        line("NY03", t("3,000.00万元"), ""),
        line("AQ01", t("无"), ""),
        line("WS01", t("８２％"), ""),
    ];
    w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022/4/5", rows)]);
    let i = run(&w);
    assert_no_file_issues(&i);
    let f = facts(&i);
    let get = |c: &str| f[&("清泉镇".to_string(), c.to_string())];
    assert_eq!(get("FA01"), 1234.5);
    assert_eq!(get("PJ01"), 4.0);
    assert_eq!(get("ST01"), 0.12);
    assert_eq!(get("NY02"), 2200.0);
    assert_eq!(get("NY03"), 3000.0);
    assert_eq!(get("AQ01"), 0.0);
    assert!((get("WS01") - 0.82).abs() < 1e-12);
    for zero in ["-", "—", "/"] {
        let w = Workdir::new("shape_zero");
        let mut rows = qingquan_clean();
        rows[5] = line("AQ01", t(zero), "");
        w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", rows)]);
        assert_eq!(fact(&run(&w), "清泉镇", "AQ01"), Some(0.0), "{zero}");
    }
}

#[test]
fn an_xls_saved_by_libreoffice_reads_like_the_xlsx_it_came_from() {
    // samples/inbox/2022-03/陈户镇.xls was written by LibreOffice (see
    // examples/make_samples.rs); check it against the plan it was made for.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let i = run_sample_file(&root.join("samples/inbox/2022-03/陈户镇.xls"));
    // Its one issue is the planted break of rule R01 (NY02 3,200 > NY03
    // 3,000), on the NY02 cell.
    let own: Vec<_> = i
        .checked
        .issues
        .iter()
        .filter(|x| x.file.is_some())
        .collect();
    assert_eq!(own.len(), 1, "{own:#?}");
    assert_eq!(own[0].code, tally::model::IssueCode::RuleViolated);
    assert_eq!(own[0].indicator_code.as_deref(), Some("NY02"));
    let required = i.plan.required(i.plan.unit_named("陈户镇").unwrap()).len();
    assert_eq!(i.checked.facts.len(), required);
    assert_eq!(fact(&i, "陈户镇", "FA01"), Some(2574.0));
    assert_eq!(fact(&i, "陈户镇", "NY02"), Some(3200.0));
    assert_eq!(fact(&i, "陈户镇", "NY03"), Some(3000.0));
}

#[test]
fn an_ods_saved_by_libreoffice_reads_the_same_values_as_its_xlsx_original() {
    // tests/fixtures/大马营镇-3月.ods is LibreOffice's save of the sample
    // 大马营镇-3月.xlsx, whose numbers are typed as text (１，２３４．５ ...).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |src: std::path::PathBuf| {
        let i = run_sample_file(&src);
        let mut values: Vec<(String, String, f64)> = i
            .checked
            .facts
            .iter()
            .map(|f| {
                (
                    i.plan.indicators[f.indicator].code.clone(),
                    tally::model::issue::a1(f.row, 4),
                    f.value,
                )
            })
            .collect();
        values.sort_by(|a, b| a.0.cmp(&b.0));
        (values, i.checked.submissions[0].clone())
    };
    // Both put 本年累计 in column E (index 4), so rows compare as cells.
    let (ods, ods_sub) = read(root.join("tests/fixtures/大马营镇-3月.ods"));
    let (xlsx, xlsx_sub) = read(root.join("samples/inbox/2022-03/大马营镇-3月.xlsx"));
    assert_eq!(ods_sub.status, tally::model::SubmissionStatus::Accepted);
    assert_eq!(ods_sub.unit.map(|u| u.name).as_deref(), Some("大马营镇"));
    assert_eq!(ods_sub.reported_at, xlsx_sub.reported_at);
    assert!(ods.len() >= 12, "{ods:?}");
    assert_eq!(ods, xlsx);
    assert!(ods.contains(&("FA01".to_string(), "E4".to_string(), 2980.5)));
}

#[test]
fn of_two_dated_cumulative_columns_the_periods_own_is_read() {
    let w = Workdir::new("shape_dated_columns");
    // 清泉镇 kept February's total beside March's under one 本年累计.
    let qingquan = Sheet::new("3月")
        .texts(&["填报单位：清泉镇"])
        .texts(&["指标代码", "指标名称", "本年累计", "", "备注"])
        .texts(&["", "", "1-2月", "1-3月", ""])
        .merge(1, 2, 1, 3)
        .row(vec![t("FA01"), t("固定资产投资"), n(200.0), n(320.0)])
        .row(vec![t("WS01"), t("农村卫生厕所普及率"), n(0.8), n(0.82)]);
    // 大马营镇 sent a form whose only total still says February.
    let damaying = Sheet::new("报表")
        .texts(&["填报单位：大马营镇"])
        .texts(&["指标名称", "1-2月累计", "备注"])
        .row(vec![t("固定资产投资"), n(210.0)]);
    // 发改局 wrote its total as 截至3月底累计完成, beside last year's.
    let fgj = Sheet::new("报表")
        .texts(&["填报单位：县发展和改革局"])
        .texts(&["指标代码", "截至2021年3月底累计完成", "截至3月底累计完成"])
        .row(vec![t("FA01"), n(1000.0), n(1500.0)]);
    w.submit("清泉镇.xlsx", &[qingquan]);
    w.submit("大马营镇.xlsx", &[damaying]);
    w.submit("发改局.xlsx", &[fgj]);
    let out = w.run(&w.plan(), "out");
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    let by_unit = read_csv(&w.path("out/data/by_unit.csv"));
    let actual = |unit: &str, code: &str| {
        by_unit
            .iter()
            .find(|r| r["unit"] == unit && r["indicator_code"] == code)
            .map(|r| r["actual"].clone())
            .unwrap_or_else(|| panic!("no {unit} {code}"))
    };
    assert_eq!(actual("清泉镇", "FA01"), "320");
    assert_eq!(actual("清泉镇", "WS01"), "0.82");
    assert_eq!(actual("县发展和改革局", "FA01"), "1500");
    // February's column is still read when it is the only one, and said.
    assert_eq!(actual("大马营镇", "FA01"), "210");
    let issues = read_csv(&w.path("out/data/issues.csv"));
    let mismatch: Vec<_> = issues
        .iter()
        .filter(|i| i["code"] == "period_mismatch")
        .collect();
    assert_eq!(mismatch.len(), 1, "{mismatch:#?}");
    assert_eq!(mismatch[0]["file"], "大马营镇.xlsx");
    assert_eq!(mismatch[0]["cell"], "B2");
    assert_eq!(mismatch[0]["severity"], "warning");
    assert!(
        mismatch[0]["message"].contains("表头“1-2月累计”"),
        "{}",
        mismatch[0]["message"]
    );
    // Last year's group over a `本年累计` of its own: the merges say which
    // columns each group spans.
    let w = Workdir::new("shape_dated_groups");
    let qingquan = Sheet::new("3月")
        .texts(&["填报单位：清泉镇"])
        .texts(&["指标代码", "指标名称", "上年同期", "", "本年", ""])
        .texts(&["", "", "本月", "本年累计", "本月", "本年累计"])
        .merge(1, 2, 1, 3)
        .merge(1, 4, 1, 5)
        .row(vec![
            t("FA01"),
            t("固定资产投资"),
            n(10.0),
            n(300.0),
            n(20.0),
            n(320.0),
        ]);
    // A February form kept, over two rows: read, and said on its label.
    let damaying = Sheet::new("报表")
        .texts(&["填报单位：大马营镇"])
        .texts(&["指标名称", "本年累计", ""])
        .texts(&["", "1-2月", "上年同期"])
        .merge(1, 1, 1, 2)
        .row(vec![t("固定资产投资"), n(210.0), n(190.0)]);
    w.submit("清泉镇.xlsx", &[qingquan]);
    w.submit("大马营镇.xlsx", &[damaying]);
    let out = w.run(&w.plan(), "out");
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let by_unit = read_csv(&w.path("out/data/by_unit.csv"));
    let actual = |unit: &str| {
        by_unit
            .iter()
            .find(|r| r["unit"] == unit && r["indicator_code"] == "FA01")
            .map(|r| r["actual"].clone())
    };
    assert_eq!(actual("清泉镇").as_deref(), Some("320"));
    assert_eq!(actual("大马营镇").as_deref(), Some("210"));
    let issues = read_csv(&w.path("out/data/issues.csv"));
    let said: Vec<_> = issues
        .iter()
        .filter(|i| i["code"] == "period_mismatch")
        .map(|i| (i["file"].as_str(), i["cell"].as_str()))
        .collect();
    assert_eq!(said, [("大马营镇.xlsx", "B3")]);
}
