//! `tally run`: county totals against hand computation, the workbook read
//! back with calamine against the CSV files, determinism and safe outputs.

use std::collections::HashMap;
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::book::{C, Sheet, n, t, template, write_xlsx};
use crate::common::{
    Workdir, line, qingquan_clean, read_csv, run_samples, standard, tally, xml_parts,
};

/// Three units, one indicator per aggregation, profile and direction.
/// 丙局 reports nothing. Weights: S1 counts twice.
fn agg_plan(path: &Path) {
    agg_plan_with(path, &[]);
}

/// [`agg_plan`] with more units (name, kind), which have no targets.
fn agg_plan_with(path: &Path, more: &[[&str; 2]]) {
    let mut units = Sheet::new("单位")
        .texts(&["单位名称", "类型"])
        .texts(&["甲镇", "乡镇"])
        .texts(&["乙镇", "乡镇"])
        .texts(&["丙局", "部门"]);
    for unit in more {
        units = units.texts(unit);
    }
    let inds = Sheet::new("指标")
        .texts(&[
            "指标代码",
            "指标名称",
            "计量单位",
            "类别",
            "汇总方式",
            "分子",
            "分母",
            "方向",
            "进度",
            "权重",
        ])
        .texts(&[
            "S1", "投资", "万元", "甲类", "求和", "", "", "正向", "均衡", "2",
        ])
        .texts(&[
            "S2", "造林", "万亩", "甲类", "求和", "", "", "正向", "季度", "",
        ])
        .texts(&[
            "D1",
            "开工项目",
            "个",
            "甲类",
            "求和",
            "",
            "",
            "正向",
            "截止",
            "",
        ])
        .texts(&["N1", "特色产值", "万元", "乙类", "求和", "", "", "", "", ""])
        .texts(&["D2", "农业产值", "万元", "乙类", "求和", "", "", "", "", ""])
        .texts(&[
            "R1",
            "特色占比",
            "%",
            "乙类",
            "比率",
            "N1",
            "D2",
            "",
            // A ratio or a mean is a level whatever its 进度 says
            // (CONTRACT.md 3): the default 均衡 here, 均衡 written for M1;
            // their expected values below are the targets.
            "",
            "",
        ])
        .texts(&["M1", "普及率", "%", "乙类", "平均", "", "", "", "均衡", ""])
        .texts(&[
            "MX",
            "最高水位",
            "米",
            "丙类",
            "最大",
            "",
            "",
            "",
            "水平",
            "",
        ])
        .texts(&[
            "MN",
            "最低库存",
            "吨",
            "丙类",
            "最小",
            "",
            "",
            "",
            "水平",
            "",
        ])
        .texts(&["L1", "事故", "起", "丙类", "求和", "", "", "逆向", "", ""]);
    let d = |y, m, d| C::D(y, m, d);
    let targets = Sheet::new("目标")
        .texts(&[
            "单位名称",
            "指标代码",
            "年度目标",
            "一季度",
            "二季度",
            "三季度",
            "截止日期",
        ])
        .row(vec![t("甲镇"), t("S1"), n(1000.0)])
        .row(vec![t("乙镇"), t("S1"), n(600.0)])
        .row(vec![t("丙局"), t("S1"), n(400.0)])
        .row(vec![t("全县"), t("S2"), n(2.0), n(0.4), n(1.0), n(1.5)])
        .row(vec![t("甲镇"), t("S2"), n(1.0), n(0.3), n(0.6), n(0.8)])
        .row(vec![t("乙镇"), t("S2"), n(0.8), n(0.2), n(0.5), n(0.7)])
        .row(vec![
            t("甲镇"),
            t("D1"),
            n(4.0),
            C::E,
            C::E,
            C::E,
            d(2022, 2, 28),
        ])
        .row(vec![
            t("乙镇"),
            t("D1"),
            n(2.0),
            C::E,
            C::E,
            C::E,
            d(2022, 6, 30),
        ])
        .row(vec![t("甲镇"), t("R1"), t("70%")])
        .row(vec![t("乙镇"), t("R1"), n(0.6)])
        .row(vec![t("甲镇"), t("M1"), n(0.8)])
        .row(vec![t("乙镇"), t("M1"), n(0.9)])
        .row(vec![t("甲镇"), t("MX"), n(10.0)])
        .row(vec![t("乙镇"), t("MX"), n(20.0)])
        .row(vec![t("甲镇"), t("MN"), n(5.0)])
        .row(vec![t("乙镇"), t("MN"), n(3.0)])
        .row(vec![t("甲镇"), t("L1"), n(1.0)])
        .row(vec![t("乙镇"), t("L1"), n(2.0)]);
    write_xlsx(path, &[units, inds, targets]);
}

fn rows(values: &[(&str, f64)]) -> Vec<Vec<C>> {
    values
        .iter()
        .map(|(code, v)| vec![t(code), C::E, C::E, C::E, n(*v), C::E])
        .collect()
}

/// Writes the plan and both townships' submissions for 2022-03.
fn agg_inbox(w: &Workdir) -> std::path::PathBuf {
    let plan = w.path("plan.xlsx");
    agg_plan(&plan);
    let jia = rows(&[
        ("S1", 300.0),
        ("S2", 0.3),
        ("D1", 3.0),
        ("N1", 70.0),
        ("D2", 100.0),
        ("M1", 0.85),
        ("MX", 12.0),
        ("MN", 4.0),
        ("L1", 2.0),
    ]);
    let yi = rows(&[
        ("S1", 100.0),
        ("S2", 0.1),
        ("D1", 1.0),
        ("N1", 30.0),
        ("D2", 60.0),
        ("M1", 0.88),
        ("MX", 15.0),
        ("MN", 6.0),
        ("L1", 0.0),
    ]);
    w.submit("甲镇.xlsx", &[template("表", "甲镇", "2022-04-05", jia)]);
    w.submit("乙镇.xlsx", &[template("表", "乙镇", "2022-04-05", yi)]);
    plan
}

fn run(w: &Workdir, plan: &Path, out: &str) -> std::process::Output {
    w.run(plan, out)
}

/// (code, target, actual, completion, expected, status, units_reporting)
type CountyCase = (
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    &'static str,
    &'static str,
);
/// (unit, code, actual, expected, status, warning, rank)
type UnitCase = (
    &'static str,
    &'static str,
    &'static str,
    Option<f64>,
    &'static str,
    &'static str,
    &'static str,
);

fn num(s: &str) -> Option<f64> {
    (!s.is_empty()).then(|| s.parse().unwrap())
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{what}: {a} ≠ {b}"),
        _ => assert_eq!(a, b, "{what}"),
    }
}

#[test]
fn county_totals_match_hand_computation_for_every_rule() {
    let w = Workdir::new("run_hand");
    let plan = agg_inbox(&w);
    let out = run(&w, &plan, "out");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: HashMap<String, HashMap<String, String>> =
        read_csv(&w.path("out/data/summary.csv"))
            .into_iter()
            .map(|r| (r["indicator_code"].clone(), r))
            .collect();
    // (code, target, actual, completion, expected, status, units_reporting)
    let elapsed = 0.25;
    let d1_yi_expected = 2.0 * elapsed / (181.0 / 365.0); // deadline 30 June
    let expect: [CountyCase; 10] = [
        // sum, linear: target = sum of all unit targets, 丙局 included.
        (
            "S1",
            Some(2000.0),
            Some(400.0),
            Some(0.2),
            Some(500.0),
            "behind",
            "2",
        ),
        // sum, quarterly, 全县 row: its own Q1 milestone.
        (
            "S2",
            Some(2.0),
            Some(0.4),
            Some(0.2),
            Some(0.4),
            "on_track",
            "2",
        ),
        // sum, deadline: 甲's deadline passed (expects all 4).
        (
            "D1",
            Some(6.0),
            Some(4.0),
            Some(4.0 / 6.0),
            Some(4.0 + d1_yi_expected),
            "behind",
            "2",
        ),
        // ratio parts have no target.
        ("N1", None, Some(100.0), None, None, "", "2"),
        // ratio: (70 + 30) / (100 + 60); target the mean of 0.7 and 0.6.
        (
            "R1",
            Some(0.65),
            Some(0.625),
            Some(0.625 / 0.65),
            Some(0.65),
            "on_track",
            "2",
        ),
        // mean, level.
        (
            "M1",
            Some(0.85),
            Some(0.865),
            Some(0.865 / 0.85),
            Some(0.85),
            "done",
            "2",
        ),
        // max: 15 against max(10, 20).
        (
            "MX",
            Some(20.0),
            Some(15.0),
            Some(0.75),
            Some(20.0),
            "behind",
            "2",
        ),
        // min: 4 against min(5, 3).
        (
            "MN",
            Some(3.0),
            Some(4.0),
            Some(4.0 / 3.0),
            Some(3.0),
            "done",
            "2",
        ),
        // lower: the ceiling 1 + 2, actual 2 + 0.
        (
            "L1",
            Some(3.0),
            Some(2.0),
            Some(2.0 / 3.0),
            Some(3.0),
            "within",
            "2",
        ),
        ("D2", None, Some(160.0), None, None, "", "2"),
    ];
    for (code, target, actual, completion, expected, status, reporting) in expect {
        let r = &summary[code];
        close(num(&r["target"]), target, &format!("{code} target"));
        close(num(&r["actual"]), actual, &format!("{code} actual"));
        close(
            num(&r["completion"]),
            completion,
            &format!("{code} completion"),
        );
        close(num(&r["expected"]), expected, &format!("{code} expected"));
        let variance = actual.zip(expected).map(|(a, e)| a - e);
        close(num(&r["variance"]), variance, &format!("{code} variance"));
        assert_eq!(r["status"], status, "{code} status");
        assert_eq!(r["units_reporting"], reporting, "{code} units_reporting");
    }

    let by_unit: HashMap<(String, String), HashMap<String, String>> =
        read_csv(&w.path("out/data/by_unit.csv"))
            .into_iter()
            .map(|r| ((r["unit"].clone(), r["indicator_code"].clone()), r))
            .collect();
    assert_eq!(
        by_unit.len(),
        17,
        "one row per (unit, indicator) of the plan"
    );
    let u = |unit: &str, code: &str| &by_unit[&(unit.to_string(), code.to_string())];
    // (unit, code, actual, expected, status, warning, rank)
    let cases: [UnitCase; 12] = [
        ("甲镇", "S1", "300", Some(250.0), "on_track", "", "1"),
        ("乙镇", "S1", "100", Some(150.0), "behind", "blue", "2"),
        ("丙局", "S1", "", Some(100.0), "no_data", "", ""),
        ("甲镇", "S2", "0.3", Some(0.3), "on_track", "", "1"),
        ("乙镇", "S2", "0.1", Some(0.2), "behind", "blue", "2"),
        // Behind after its deadline: yellow.
        ("甲镇", "D1", "3", Some(4.0), "behind", "yellow", "1"),
        ("乙镇", "D1", "1", Some(d1_yi_expected), "on_track", "", "2"),
        ("甲镇", "R1", "0.7", Some(0.7), "done", "", "1"),
        ("乙镇", "R1", "0.5", Some(0.6), "behind", "blue", "2"),
        // A breach is red; lower indicators rank by actual, smallest first.
        ("甲镇", "L1", "2", Some(1.0), "breach", "red", "2"),
        ("乙镇", "L1", "0", Some(2.0), "within", "", "1"),
        ("乙镇", "MN", "6", Some(3.0), "done", "", "1"),
    ];
    for (unit, code, actual, expected, status, warning, rank) in cases {
        let r = u(unit, code);
        assert_eq!(r["actual"], actual, "{unit} {code} actual");
        close(
            num(&r["expected"]),
            expected,
            &format!("{unit} {code} expected"),
        );
        assert_eq!(r["status"], status, "{unit} {code} status");
        assert_eq!(r["warning"], warning, "{unit} {code} warning");
        assert_eq!(r["rank"], rank, "{unit} {code} rank");
    }
    close(
        num(&u("乙镇", "S1")["completion"]),
        Some(100.0 / 600.0),
        "乙 S1 completion",
    );
    close(
        num(&u("乙镇", "S1")["variance"]),
        Some(-50.0),
        "乙 S1 variance",
    );
}

#[test]
fn the_composite_score_weighs_capped_completion_and_ceilings() {
    let w = Workdir::new("run_score");
    let plan_path = agg_inbox(&w);
    // 丁局, a department without a single task, sent nothing.
    agg_plan_with(&plan_path, &[["丁局", "部门"]]);
    let options = tally::validate::CheckOptions {
        period: "2022-03".parse().ok(),
        tolerance: tally::model::Tolerance::DEFAULT,
        previous: None,
    };
    let i = tally::pipeline::inspect(
        &plan_path,
        &w.inbox(),
        &tally::ingest::ReadOptions::default(),
        &options,
    )
    .unwrap();
    let c = tally::aggregate::consolidate(
        &i.plan,
        &i.checked.facts,
        &i.checked.projects,
        "2022-03".parse().unwrap(),
        tally::model::Tolerance::DEFAULT,
        &Default::default(),
    )
    .unwrap();
    // 甲: S1 0.3 (weight 2), S2 0.3, D1 0.75, R1 1, M1 min(1.0625, 1), MX min(1.2, 1),
    //     MN 0.8, L1 breach 0 → 5.45 / 9.
    // 乙: S1 1/6 (weight 2), S2 0.125, D1 0.5, R1 5/6, M1 0.88/0.9, MX 0.75,
    //     MN min(2, 1), L1 within 1 → / 9.
    let jia = 5.45 / 9.0;
    let yi = (2.0 / 6.0 + 0.125 + 0.5 + 5.0 / 6.0 + 0.88 / 0.9 + 0.75 + 1.0 + 1.0) / 9.0;
    let s = |name: &str| {
        c.scores
            .iter()
            .find(|r| i.plan.units[r.unit].name == name)
            .unwrap()
    };
    close(s("甲镇").score, Some(jia), "甲 score");
    close(s("乙镇").score, Some(yi), "乙 score");
    assert_eq!((s("乙镇").rank, s("甲镇").rank), (Some(1), Some(2)));
    // A department is ranked among departments: 丙局 sent nothing, scores
    // 0, and is still ranked; so is 丁局, which has no task at all: every
    // unit of the plan is ranked (CONTRACT.md 3), the two tied first of two.
    assert_eq!(
        (s("丙局").score, s("丙局").rank, s("丙局").ranked),
        (Some(0.0), Some(1), 2)
    );
    assert_eq!(
        (s("丁局").score, s("丁局").rank, s("丁局").tasks),
        (Some(0.0), Some(1), 0)
    );
    assert_eq!(s("甲镇").ranked, 2);
    assert_eq!((s("甲镇").tasks_with_data, s("甲镇").tasks), (8, 8));
}

/// A sheet of an xlsx as rows of cells.
fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn cell_f64(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

#[test]
fn the_workbook_holds_the_same_numbers_as_the_csv_files() {
    let w = Workdir::new("run_workbook");
    let plan = agg_inbox(&w);
    assert_eq!(run(&w, &plan, "out").status.code(), Some(0));
    let book = w.path("out/consolidated.xlsx");
    let names = open_workbook_auto(&book).unwrap().sheet_names();
    assert_eq!(names, tally::report::workbook::SHEETS);

    // 总览: header on row 4, columns 指标代码 B, 年度目标 E .. 差额 I.
    let overview = sheet(&book, "总览");
    assert!(overview[0][0].to_string().contains("2022年3月"));
    // The story first: who reported, in a sentence.
    assert!(
        overview.iter().any(|r| r[0]
            .to_string()
            .contains("应报 3 个单位，已报 2 个；未报送：丙局")),
        "{overview:?}"
    );
    let summary = read_csv(&w.path("out/data/summary.csv"));
    // A difference of percentages is written in points (the CSV keeps the
    // fraction): 0.025 below is "-2.5个百分点".
    let in_points: HashMap<String, bool> = summary
        .iter()
        .map(|r| {
            let uom = r["unit_of_measure"].as_str();
            (r["indicator_code"].clone(), uom == "%" || uom == "％")
        })
        .collect();
    assert!(in_points.values().any(|p| *p), "the case has a % indicator");
    let as_written = |code: &str, key: &str, v: Option<f64>| {
        if key == "variance" && in_points[code] {
            v.map(|v| v * 100.0)
        } else {
            v
        }
    };
    assert!(xml_parts(&book, "xl/styles.xml").contains("个百分点"));
    // A ceiling's expected value reads as one: ≤ before it, nowhere else.
    let styles = xml_parts(&book, "xl/styles.xml");
    let format_of = |cell: &str| {
        let (xf, _) = crate::common::cell_style(&book, 1, cell).unwrap();
        let id = regex::Regex::new(r#"numFmtId="(\d+)""#)
            .unwrap()
            .captures(&xf)
            .unwrap()[1]
            .to_string();
        regex::Regex::new(&format!(r#"<numFmt numFmtId="{id}" formatCode="([^"]*)""#))
            .unwrap()
            .captures(&styles)
            .map(|c| c[1].to_string())
            .unwrap_or_default()
    };
    for (code, ceiling) in [("L1", true), ("S1", false)] {
        let r = overview
            .iter()
            .position(|x| x.get(1).is_some_and(|c| c == code))
            .unwrap();
        let format = format_of(&format!("H{}", r + 1));
        assert_eq!(format.contains('≤'), ceiling, "{code}: {format}");
    }
    for r in &summary {
        let row = overview
            .iter()
            .find(|x| {
                x.get(1)
                    .is_some_and(|c| c.to_string() == r["indicator_code"])
            })
            .unwrap_or_else(|| panic!("{} not in 总览", r["indicator_code"]));
        for (col, key) in [
            (4, "target"),
            (5, "actual"),
            (6, "completion"),
            (7, "expected"),
            (8, "variance"),
        ] {
            close(
                cell_f64(&row[col]),
                as_written(&r["indicator_code"], key, num(&r[key])),
                &format!("总览 {} {key}", r["indicator_code"]),
            );
        }
    }

    // 明细: one row per by_unit row, in the same order.
    let detail = sheet(&book, "明细");
    let by_unit = read_csv(&w.path("out/data/by_unit.csv"));
    assert_eq!(detail.len(), by_unit.len() + 1);
    for (row, r) in detail[1..].iter().zip(&by_unit) {
        assert_eq!(row[0].to_string(), r["unit"]);
        assert_eq!(row[1].to_string(), r["indicator_code"]);
        for (col, key) in [
            (4, "target"),
            (5, "actual"),
            (6, "completion"),
            (7, "expected"),
            (8, "variance"),
            (11, "rank"),
        ] {
            close(
                cell_f64(&row[col]),
                as_written(&r["indicator_code"], key, num(&r[key])),
                &format!("明细 {} {} {key}", r["unit"], r["indicator_code"]),
            );
        }
    }

    // 预警: red first, with the colour's name.
    let warn = sheet(&book, "预警");
    let labels: Vec<String> = warn[1..].iter().map(|r| r[0].to_string()).collect();
    assert_eq!(labels.first().map(String::as_str), Some("红色"));
    assert_eq!(labels.iter().filter(|l| *l == "蓝色").count(), 5);
    assert_eq!(labels.iter().filter(|l| *l == "黄色").count(), 1);

    // 报送情况 and 校验问题 mirror the CSV files.
    assert_eq!(
        sheet(&book, "报送情况").len(),
        read_csv(&w.path("out/data/submissions.csv")).len() + 1
    );
    let listed = sheet(&book, "校验问题");
    let issues = read_csv(&w.path("out/data/issues.csv"));
    assert_eq!(listed.len(), issues.len() + 1);
    // Row by row, the kind of problem in words, never the code.
    assert_eq!(listed[0][6], "问题类型");
    for (row, i) in listed[1..].iter().zip(&issues) {
        let code: tally::model::IssueCode = i["code"].parse().unwrap();
        assert_eq!(row[6].to_string(), code.label(), "{i:?}");
        assert_eq!(row[7].to_string(), i["message"]);
    }
    // 分单位: the rank within its kind, 乙镇 first of the two townships,
    // and first in the list.
    let matrix = sheet(&book, "分单位");
    let rank_col = matrix[0].len() - 1;
    assert_eq!(matrix[1][0], "乙镇");
    assert_eq!(matrix[1][rank_col].to_string(), "1/2");
}

#[test]
fn the_same_inputs_give_byte_identical_outputs_including_parquet() {
    let w = Workdir::new("run_same");
    let plan = agg_inbox(&w);
    assert_eq!(run(&w, &plan, "a").status.code(), Some(0));
    assert_eq!(run(&w, &plan, "b").status.code(), Some(0));
    let files = [
        "consolidated.xlsx",
        "data/summary.csv",
        "data/by_unit.csv",
        "data/issues.csv",
        "data/submissions.csv",
        "data/projects.csv",
        "data/summary.parquet",
        "data/by_unit.parquet",
        "data/issues.parquet",
        "data/submissions.parquet",
        "data/projects.parquet",
        "feedback/甲镇.xlsx",
        "feedback/乙镇.xlsx",
        "feedback/丙局.xlsx",
    ];
    for f in files {
        let a = std::fs::read(w.path("a").join(f)).unwrap();
        let b = std::fs::read(w.path("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between two runs");
    }
    // The Parquet copy holds the CSV's numbers.
    use polars::prelude::SerReader;
    let file = std::fs::File::open(w.path("a/data/summary.parquet")).unwrap();
    let df = polars::prelude::ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 10);
    let target = df.column("target").unwrap().f64().unwrap().get(0);
    assert_eq!(target, Some(2000.0));
    // Nothing but the outputs: no temporary files left behind.
    let mut left: Vec<String> = std::fs::read_dir(w.path("a/data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 12, "{left:?}");
}

#[test]
fn an_output_folder_that_is_a_file_exits_2_and_reads_nothing() {
    let w = Workdir::new("run_badout");
    let plan = agg_inbox(&w);
    std::fs::write(w.path("out"), "not a folder").unwrap();
    let out = run(&w, &plan, "out");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("不是文件夹"), "{err}");
    assert_eq!(
        std::fs::read_to_string(w.path("out")).unwrap(),
        "not a folder"
    );
}

/// A disk that fills while the workbook's long sheets are streamed to
/// their temporary files: rust_xlsxwriter panics there, and tally must
/// still end with a sentence and exit 2, leaving no workbook and no
/// history. Simulated with a file-size limit (the sample county's 明细
/// streams about 45 KB; every file that is written stays under 32 KB).
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_while_the_workbook_is_built_is_said_in_chinese() {
    use std::os::unix::process::CommandExt;
    let w = Workdir::new("run_full_disk");
    let root = env!("CARGO_MANIFEST_DIR");
    let (out_dir, store) = (w.path("out"), w.path("store"));
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(["run", "--plan", &format!("{root}/samples/plan.xlsx")])
        .args(["--inbox", &format!("{root}/samples/inbox/2022-03")])
        .args(["--period", "2022-03", "--out"])
        .arg(&out_dir)
        .arg("--store")
        .arg(&store);
    // SAFETY: between fork and exec only two async-signal-safe calls
    // that change this child alone: a write past the limit then fails
    // with EFBIG instead of killing the process (SIGXFSZ ignored).
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 32 * 1024,
                rlim_max: 32 * 1024,
            };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("consolidated.xlsx") && err.contains("写入临时文件夹"),
        "{err}"
    );
    assert!(err.contains("文件过大"), "{err}");
    assert!(!out_dir.join("consolidated.xlsx").exists());
    let recorded = std::fs::read_dir(store.join("periods"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(recorded, 0, "a failed run is not in the history");
}

/// The system's temporary folder missing (the long sheets are streamed
/// through it): said in Chinese, naming the folder.
#[cfg(unix)]
#[test]
fn a_missing_temporary_folder_is_said_in_chinese() {
    let w = Workdir::new("run_no_tmp");
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["run", "--plan", &format!("{root}/samples/plan.xlsx")])
        .args(["--inbox", &format!("{root}/samples/inbox/2022-03")])
        .args(["--period", "2022-03", "--out"])
        .arg(w.path("out"))
        .arg("--store")
        .arg(w.path("store"))
        .env("TMPDIR", w.path("没有这个文件夹"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("写入临时文件夹") && err.contains("没有这个文件夹"),
        "{err}"
    );
    assert!(err.contains("找不到该文件或文件夹"), "{err}");
    assert!(!err.contains("Temporary file error"), "{err}");
}

#[test]
fn the_sample_run_writes_every_output() {
    let w = Workdir::new("run_samples");
    let out = run_samples(&w.path("out"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "run exits 0 even with rejected files"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("已接收 12") && err.contains("未报送 1"),
        "{err}"
    );
    let summary = read_csv(&w.path("out/data/summary.csv"));
    assert_eq!(summary.len(), 15);
    let subs = read_csv(&w.path("out/data/submissions.csv"));
    assert_eq!(subs.iter().filter(|s| s["status"] == "missing").count(), 1);
    // Invalid values take no part: 霍城镇's 待统计 is not in ZS01's total.
    let by_unit = read_csv(&w.path("out/data/by_unit.csv"));
    let zs = by_unit
        .iter()
        .find(|r| r["unit"] == "霍城镇" && r["indicator_code"] == "ZS01")
        .unwrap();
    assert_eq!(zs["status"], "no_data");
}

#[test]
fn tolerance_comes_from_the_flag_else_the_settings_file() {
    let w = Workdir::new("run_tolerance");
    let plan = agg_inbox(&w);
    std::fs::write(w.path("tally.toml"), "[run]\ntolerance = 0.4\n").unwrap();
    let status_of_yi_s1 = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--plan",
            plan.to_str().unwrap(),
            "--inbox",
            w.inbox().to_str().unwrap(),
            "--period",
            "2022-03",
            "--out",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        args.push(w.path(out).display().to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        let o = tally(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        read_csv(&w.path(out).join("data/by_unit.csv"))
            .into_iter()
            .find(|r| r["unit"] == "乙镇" && r["indicator_code"] == "S1")
            .unwrap()["status"]
            .clone()
    };
    let config = w.path("tally.toml");
    let config = config.to_str().unwrap();
    // 100 against 150 expected: behind at 10%, on track at 40%.
    assert_eq!(status_of_yi_s1("a", &[]), "behind");
    assert_eq!(status_of_yi_s1("b", &["--config", config]), "on_track");
    assert_eq!(
        status_of_yi_s1("c", &["--config", config, "--tolerance", "0.1"]),
        "behind"
    );
    std::fs::write(w.path("bad.toml"), "[run]\ntolerance = 2\n").unwrap();
    let bad = w.check(&plan, &["--config", w.path("bad.toml").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("容差"));
}

#[test]
fn an_empty_inbox_is_refused_unless_allowed_then_writes_every_unit_missing() {
    let w = Workdir::new("run_empty");
    let plan = w.path("plan.xlsx");
    agg_plan(&plan);
    // Most likely the wrong folder or period: nothing written or recorded.
    let out = run(&w, &plan, "out");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-empty"), "{err}");
    // Not even the folders it made for them.
    assert!(!w.path("out").exists(), "the output folder is taken back");
    assert!(!w.path("store").exists(), "the store is taken back");
    // A folder that was there before stays, with what is in it.
    std::fs::create_dir_all(w.path("mine/2022-03")).unwrap();
    std::fs::write(w.path("mine/note.txt"), "kept").unwrap();
    assert_eq!(run(&w, &plan, "mine/2022-03").status.code(), Some(2));
    assert!(w.path("mine/2022-03").is_dir());
    assert!(w.path("mine/note.txt").is_file());
    assert!(!w.path("mine/store").exists());
    // Only what the run made is taken back, however the path is written:
    // `new/../kept` makes `new`, not `kept`; an empty store folder that was
    // there stays, and stays empty.
    std::fs::create_dir_all(w.path("kept")).unwrap();
    std::fs::create_dir_all(w.path("empty-store")).unwrap();
    let store = w.path("empty-store");
    let failed = w.run_with(&plan, "new/../kept", &["--store", store.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(w.path("kept").is_dir(), "a folder that was there stays");
    assert!(!w.path("new").exists(), "the folder the run made is gone");
    assert_eq!(
        std::fs::read_dir(&store).unwrap().count(),
        0,
        "the store as it was"
    );
    // A template run on a plan it cannot read leaves no folder either.
    let forms = w.path("forms/2022-03");
    let no_plan = tally(&[
        "template",
        "--plan",
        w.path("no-plan.xlsx").to_str().unwrap(),
        "--period",
        "2022-03",
        "--out",
        forms.to_str().unwrap(),
    ]);
    assert_eq!(no_plan.status.code(), Some(2));
    assert!(!w.path("forms").exists());
    let out = w.run_with(&plan, "out", &["--allow-empty"]);
    assert_eq!(out.status.code(), Some(0));
    let summary = read_csv(&w.path("out/data/summary.csv"));
    assert!(
        summary
            .iter()
            .all(|r| r["actual"].is_empty() && r["units_reporting"] == "0")
    );
    let subs = read_csv(&w.path("out/data/submissions.csv"));
    assert_eq!(subs.len(), 3);
    assert!(subs.iter().all(|s| s["status"] == "missing"));
    assert!(w.path("out/consolidated.xlsx").is_file());
    // A failed run beside a store with history leaves the store as it was.
    let gone = w.path("no-plan.xlsx");
    let failed = w.run_with(
        &gone,
        "out2",
        &["--store", w.path("store").to_str().unwrap()],
    );
    assert_eq!(failed.status.code(), Some(2));
    assert!(!w.path("out2").exists());
    assert!(w.path("store/periods/2022-03.json").is_file());
    assert!(w.path("store/.lock").is_file());
}

#[test]
fn every_unit_gets_feedback_with_notes_on_its_problem_values() {
    let w = Workdir::new("run_feedback");
    let out = run_samples(&w.path("out"));
    assert_eq!(out.status.code(), Some(0));
    // The closing line counts what issues.csv holds, by severity.
    let issues = read_csv(&w.path("out/data/issues.csv"));
    let count = |s: &str| issues.iter().filter(|i| i["severity"] == s).count();
    let said = String::from_utf8_lossy(&out.stderr);
    let counts = format!(
        "错误 {}，警告 {}，提示 {}；输出",
        count("error"),
        count("warning"),
        count("info")
    );
    assert!(
        count("info") > 0 && said.contains(&counts),
        "{counts} in {said}"
    );
    let dir = w.path("out/feedback");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 13, "one per unit of the plan: {files:?}");
    assert!(files.contains(&"老军乡.xlsx".to_string()));

    // 霍城镇: 待统计 in ZS01 was not used; the value cell says so, points to
    // the original cell, and carries the issue sentence as a note.
    let huo = dir.join("霍城镇.xlsx");
    let rows = sheet(&huo, "反馈");
    let zs = rows.iter().find(|r| r[0] == "ZS01").expect("ZS01 row");
    assert_eq!(zs[4], "未采用");
    assert_eq!(zs[11].to_string(), "Sheet1!E8");
    let notes = crate::common::xml_parts(&huo, "comments");
    assert!(notes.contains("“待统计”不是数字"), "{notes}");
    let fa = rows.iter().find(|r| r[0] == "FA01").unwrap();
    assert_eq!(cell_f64(&fa[4]), Some(1200.0), "the value tally used");
    assert_eq!(fa[8], "蓝色");
    // An error's value cell is pink, a warning's purple, as the page says
    // (紫色单元格): colours told apart on paper, and from the orange 滞后
    // in the status column.
    let fill_of = |code: &str| {
        let row = rows.iter().position(|r| r[0] == code).unwrap() + 1;
        crate::common::cell_style(&huo, 1, &format!("E{row}"))
            .unwrap()
            .1
    };
    assert!(fill_of("ZS01").contains("FFFFC7CE"), "{}", fill_of("ZS01"));
    assert!(fill_of("ST01").contains("FFD9D2E9"), "{}", fill_of("ST01"));
    // A missing 滞后原因 marks the 备注 cell, with its note, not the value:
    // FA01's 1200 is right, its reason is what is missing.
    let fa_row = rows.iter().position(|r| r[0] == "FA01").unwrap() + 1;
    let style_at = |cell: String| {
        crate::common::cell_style(&huo, 1, &cell)
            .map(|(_, fill)| fill)
            .unwrap_or_default()
    };
    assert!(
        !style_at(format!("E{fa_row}")).contains("FFD9D2E9"),
        "FA01's value is not marked"
    );
    assert!(style_at(format!("K{fa_row}")).contains("FFD9D2E9"));
    let note_cells = crate::common::xml_parts(&huo, "comments");
    assert!(
        note_cells.contains(&format!(r#"ref="K{fa_row}""#)),
        "{note_cells}"
    );
    let said = rows[1..4]
        .iter()
        .map(|r| r[0].to_string())
        .collect::<String>();
    assert!(said.contains("条警告（紫色单元格）"), "{said}");
    // So is a project's name on 重点项目: 县农业农村局's only issue is a
    // warning (水肥一体化's 开工日期 after the period's end).
    let farm = dir.join("县农业农村局.xlsx");
    let sheets = open_workbook_auto(&farm).unwrap().sheet_names();
    let k = sheets.iter().position(|s| s == "重点项目").unwrap() + 1;
    let name_fill = crate::common::cell_style(&farm, k, "A2").unwrap().1;
    assert!(name_fill.contains("FFD9D2E9"), "{name_fill}");
    // Its issue list has every issue of the unit.
    let own = issues.iter().filter(|i| i["unit"] == "霍城镇").count();
    assert_eq!(sheet(&huo, "问题清单").len(), own + 1);

    // A clean unit: no notes at all, and nothing to resend.
    assert!(crate::common::xml_parts(&dir.join("清泉镇.xlsx"), "comments").is_empty());
    let qing = sheet(&dir.join("清泉镇.xlsx"), "反馈");
    assert!(
        qing[1][0].to_string().contains("不需要重新报送"),
        "{}",
        qing[1][0]
    );
    // The missing unit: a reminder with the deadline and the template.
    let lao = sheet(&dir.join("老军乡.xlsx"), "反馈");
    let text: String = lao.iter().take(4).map(|r| r[0].to_string()).collect();
    assert!(
        text.contains("尚未收到")
            && text.contains("于 2022年4月5日 前报送（如已过此日期，请尽快报送）")
            && text.contains("老军乡.xlsx"),
        "{text}"
    );
    // What to do comes first: 霍城镇 reads its errors and by when first;
    // its file came on 7 April, after the due date, so: as soon as possible.
    let first = sheet(&huo, "反馈")[1][0].to_string();
    assert!(
        first.starts_with("请改正")
            && first.contains("本期报送截止日期（2022年4月5日）已过，请尽快重新报送"),
        "{first}"
    );
}

#[test]
fn feedback_file_names_never_leave_the_output_folder() {
    let w = Workdir::new("run_names");
    let plan = w.path("plan.xlsx");
    write_xlsx(
        &plan,
        &[
            Sheet::new("单位")
                .texts(&["单位名称", "类型"])
                .texts(&["../../逃逸", "乡镇"])
                .texts(&["CON", "部门"])
                .texts(&["a/b", "部门"]),
            Sheet::new("指标")
                .texts(&["指标代码", "指标名称", "计量单位"])
                .texts(&["X1", "项目", "个"]),
            Sheet::new("目标")
                .texts(&["单位名称", "指标代码", "年度目标"])
                .row(vec![t("CON"), t("X1"), n(1.0)]),
        ],
    );
    let out = w.run_with(&plan, "out", &["--allow-empty"]);
    assert_eq!(out.status.code(), Some(0));
    let mut names: Vec<String> = std::fs::read_dir(w.path("out/feedback"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["_.._逃逸.xlsx", "_CON.xlsx", "a_b.xlsx"]);
    // Nothing was written beside the output folder.
    let beside: Vec<_> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 4, "{beside:?}"); // inbox, plan.xlsx, out, store
}

#[test]
fn a_rate_exactly_at_its_target_is_done_and_equal_rates_tie() {
    // NY01 = NY02 / NY03, target 70% for both towns. 5.81 / 8.3 and
    // 2.1 / 3 are both exactly 70% as decimals, but binary arithmetic
    // makes them 0.6999999999999998 and 0.7000000000000001: the first
    // was `on_track` and ranked second.
    let w = Workdir::new("run_exact_limit");
    let plan = w.plan();
    let rows = |a: f64, b: f64| {
        let mut r = qingquan_clean();
        r.retain(|l| !matches!(&l[0], C::T(c) if c == "NY02" || c == "NY03"));
        r.push(line("NY02", n(a), ""));
        r.push(line("NY03", n(b), ""));
        r
    };
    w.submit(
        "清泉镇.xlsx",
        &[standard("清泉镇", "2022-04-05", rows(5.81, 8.3))],
    );
    w.submit(
        "大马营镇.xlsx",
        &[standard("大马营镇", "2022-04-05", rows(2.1, 3.0))],
    );
    let out = w.run(&plan, "out");
    assert!(w.path("out/data/by_unit.csv").exists(), "{out:?}");
    let by_unit = read_csv(&w.path("out/data/by_unit.csv"));
    let ny01 = |u: &str| {
        by_unit
            .iter()
            .find(|r| r["unit"] == u && r["indicator_code"] == "NY01")
            .unwrap_or_else(|| panic!("{u} NY01 in {by_unit:?}"))
            .clone()
    };
    for u in ["清泉镇", "大马营镇"] {
        assert_eq!(ny01(u)["status"], "done", "{:?}", ny01(u));
        assert_eq!(ny01(u)["rank"], "1", "{:?}", ny01(u));
    }
}
