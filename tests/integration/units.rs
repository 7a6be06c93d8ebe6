//! Which unit a file is from, and which of a unit's files counts.

use std::time::{Duration, SystemTime};

use crate::common::{Workdir, issues_with, qingquan_clean, standard, submission};

#[test]
fn the_unit_comes_from_the_label_or_from_the_file_name_by_name_or_alias() {
    let w = Workdir::new("units_identify");
    // Label only (file name says nothing), label with a longer official name,
    // file name by alias only.
    w.submit(
        "报表1.xlsx",
        &[standard("清泉镇", "2022-04-05", qingquan_clean())],
    );
    w.submit(
        "报表2.xlsx",
        &[standard("大马营镇人民政府", "2022-04-05", vec![])],
    );
    w.submit("县发改局3月.xlsx", &[standard("", "2022-04-05", vec![])]);
    let (json, _) = w.check_json(&w.plan(), &[]);
    assert_eq!(submission(&json, "报表1.xlsx")["unit"], "清泉镇");
    assert_eq!(submission(&json, "报表2.xlsx")["unit"], "大马营镇");
    assert_eq!(
        submission(&json, "县发改局3月.xlsx")["unit"],
        "县发展和改革局"
    );
    assert!(issues_with(&json, "unknown_unit").is_empty());
    assert!(issues_with(&json, "missing_submission").is_empty());
}

#[test]
fn an_unknown_label_without_a_unit_in_the_file_name_is_unknown_unit() {
    let w = Workdir::new("units_unknown");
    w.submit(
        "报表.xlsx",
        &[standard("柳河乡", "2022-04-05", qingquan_clean())],
    );
    let (json, _) = w.check_json(&w.plan(), &[]);
    let i = issues_with(&json, "unknown_unit");
    assert_eq!(i.len(), 1);
    assert!(i[0]["message"].as_str().unwrap().contains("柳河乡"));
    assert_eq!(i[0]["cell"], "A2");
}

#[test]
fn an_instruction_a_hidden_sheet_or_a_time_never_decides_a_file() {
    use crate::book::Sheet;
    let w = Workdir::new("units_decoys");
    // An instructions sheet first, naming a unit as its example; the
    // table without a 填报单位 and a file name naming no unit.
    let mut table = standard("", "2022-04-06", qingquan_clean());
    table.rows[1][0] = crate::book::t("");
    w.submit(
        "3月报表.xlsx",
        &[
            Sheet::new("填报说明").texts(&["1. 填报单位：请写全称，如“大马营镇”"]),
            table,
        ],
    );
    // Last month's table kept on a hidden sheet beside a visible one whose
    // header tally does not know.
    let mut stale = standard("大马营镇", "2022-03-04", qingquan_clean());
    stale.name = "2月".into();
    stale.hidden = true;
    let mut visible = standard("大马营镇", "2022-04-04", qingquan_clean());
    visible.name = "3月".into();
    visible.rows[2][4] = crate::book::t("一季度完成情况");
    w.submit("大马营镇.xlsx", &[visible, stale]);
    // A correction dated with its time, in the cell after the label.
    w.submit_qingquan();
    let mut corrected = standard("清泉镇", "", qingquan_clean());
    corrected.rows[1][4] = crate::book::t("填报日期：");
    corrected.rows[1].push(crate::book::t("2022-04-06 10:30"));
    w.submit("清泉镇（更正）.xlsx", &[corrected]);

    // An instruction beside no table at all decides nothing either: the
    // file is no unit's, and 大马营镇 is not told its report was refused.
    w.submit(
        "报表2.xlsx",
        &[
            Sheet::new("填报说明").texts(&["填报单位：请写全称，如“大马营镇”"]),
            Sheet::new("数据")
                .texts(&["项目", "数量"])
                .texts(&["甲", "1"]),
        ],
    );

    let (json, _) = w.check_json(&w.plan(), &[]);
    assert_eq!(
        submission(&json, "报表2.xlsx")["unit"],
        serde_json::Value::Null
    );
    let unknown = issues_with(&json, "unknown_unit");
    let files: Vec<&str> = unknown.iter().filter_map(|i| i["file"].as_str()).collect();
    assert_eq!(files, ["3月报表.xlsx", "报表2.xlsx"], "{unknown:?}");
    for i in &unknown {
        assert!(!i["message"].as_str().unwrap().contains("大马营镇"), "{i}");
    }
    let no_table = issues_with(&json, "no_indicator_table");
    let hidden = no_table.iter().find(|i| i["file"] == "大马营镇.xlsx");
    let said = hidden.expect("大马营镇.xlsx has no table")["message"]
        .as_str()
        .unwrap();
    assert!(
        said.contains("“3月”") && said.contains("隐藏的工作表 “2月”"),
        "{said}"
    );
    assert_eq!(submission(&json, "大马营镇.xlsx")["status"], "rejected");
    assert_eq!(
        submission(&json, "清泉镇（更正）.xlsx")["status"],
        "accepted"
    );
    assert_eq!(
        submission(&json, "清泉镇（更正）.xlsx")["reported_at"],
        "2022-04-06"
    );
    assert_eq!(submission(&json, "清泉镇.xlsx")["status"], "superseded");
}

fn touch(path: &std::path::Path, secs_ago: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
        .unwrap();
}

#[test]
fn the_later_reporting_date_wins_then_the_later_modification() {
    let w = Workdir::new("units_superseded");
    // By 填报日期, even though the older-dated file was saved later.
    let newer = w.submit(
        "清泉镇-更正.xlsx",
        &[standard("清泉镇", "2022-04-06", qingquan_clean())],
    );
    let older = w.submit_qingquan();
    touch(&newer, 3600);
    touch(&older, 60);
    // Without dates, by modification time.
    let a = w.submit("大马营镇-a.xlsx", &[standard("大马营镇", "", vec![])]);
    let b = w.submit("大马营镇-b.xlsx", &[standard("大马营镇", "", vec![])]);
    touch(&a, 60);
    touch(&b, 3600);
    let (json, _) = w.check_json(&w.plan(), &[]);
    assert_eq!(submission(&json, "清泉镇-更正.xlsx")["status"], "accepted");
    assert_eq!(submission(&json, "清泉镇.xlsx")["status"], "superseded");
    assert_eq!(submission(&json, "大马营镇-a.xlsx")["status"], "accepted");
    assert_eq!(submission(&json, "大马营镇-b.xlsx")["status"], "superseded");
    let s = issues_with(&json, "superseded");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0]["severity"], "info");
    let replaced = s.iter().find(|i| i["file"] == "清泉镇.xlsx").unwrap();
    assert!(
        replaced["message"]
            .as_str()
            .unwrap()
            .contains("清泉镇-更正.xlsx")
    );
    // The superseded file's own problems (大马营镇-b misses every value)
    // are not reported: only the file that counts is.
    let b_issues = json["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["file"] == "大马营镇-b.xlsx")
        .count();
    assert_eq!(b_issues, 1);
}

#[test]
fn a_reporting_date_as_clerks_write_it_decides_and_one_unread_is_said() {
    let w = Workdir::new("units_dates");
    // `4月7日` (the year from the period), `二〇二二年四月八日` and
    // `20220409` are dates: each later file wins over an earlier one
    // saved after it.
    let pairs = [
        ("清泉镇", "4月7日", "2022-04-06"),
        ("大马营镇", "二〇二二年四月八日", "2022年4月7日"),
        ("县发展和改革局", "20220409", "2022/4/8"),
    ];
    for (unit, later, earlier) in pairs {
        let new = w.submit(
            &format!("{unit}（更正）.xlsx"),
            &[standard(unit, later, vec![])],
        );
        let old = w.submit(&format!("{unit}.xlsx"), &[standard(unit, earlier, vec![])]);
        touch(&new, 3600);
        touch(&old, 60);
    }
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    for (unit, _, _) in pairs {
        assert_eq!(
            submission(&json, &format!("{unit}（更正）.xlsx"))["status"],
            "accepted",
            "{unit}: {json:#}"
        );
        assert_eq!(
            submission(&json, &format!("{unit}.xlsx"))["status"],
            "superseded"
        );
    }
    assert_eq!(
        submission(&json, "清泉镇（更正）.xlsx")["reported_at"],
        "2022-04-07"
    );
    // A date that is no date (30 February) is said to be unreadable, not
    // missing, when a dated file wins over it.
    let w = Workdir::new("units_bad_date");
    let bad = w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022-02-30", vec![])]);
    let good = w.submit(
        "清泉镇-更正.xlsx",
        &[standard("清泉镇", "2022-04-01", vec![])],
    );
    touch(&bad, 60);
    touch(&good, 3600);
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    let said = issues_with(&json, "superseded")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        said.contains("本文件的填报日期“2022-02-30”无法识别"),
        "{said}"
    );
    // A date before the period's year (a slip of the year, or 4.07 typed
    // into a date cell) is no date of this report: it does not beat an
    // undated file saved after it.
    let w = Workdir::new("units_implausible_date");
    let slip = w.submit("清泉镇.xlsx", &[standard("清泉镇", "2021-04-09", vec![])]);
    let undated = w.submit("清泉镇-更正.xlsx", &[standard("清泉镇", "", vec![])]);
    touch(&slip, 3600);
    touch(&undated, 60);
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    assert_eq!(submission(&json, "清泉镇-更正.xlsx")["status"], "accepted");
    let slip = submission(&json, "清泉镇.xlsx");
    assert_eq!(slip["status"], "superseded");
    assert!(slip["reported_at"].is_null(), "{slip}");
    let said = issues_with(&json, "superseded")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        said.contains("修改时间更晚") && said.contains("“2021-04-09”不是本期报表的日期"),
        "{said}"
    );
}

#[test]
fn a_file_name_naming_two_units_is_no_guess() {
    let w = Workdir::new("units_two_names");
    w.submit(
        "清泉镇-大马营镇.xlsx",
        &[standard("", "2022-04-05", qingquan_clean())],
    );
    // The label decides where there is one, if it is one of them.
    w.submit(
        "大马营镇、清泉镇.xlsx",
        &[standard("大马营镇", "2022-04-05", vec![])],
    );
    w.submit(
        "清泉镇和大马营镇.xlsx",
        &[standard("县发展和改革局", "2022-04-05", vec![])],
    );
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    let s = submission(&json, "清泉镇-大马营镇.xlsx");
    assert_eq!(
        (s["status"].as_str(), &s["unit"]),
        (Some("rejected"), &serde_json::Value::Null)
    );
    let said = issues_with(&json, "unknown_unit")
        .into_iter()
        .find(|i| i["file"] == "清泉镇-大马营镇.xlsx")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        said.contains("2 个单位的名称（清泉镇、大马营镇）"),
        "{said}"
    );
    let mismatch = issues_with(&json, "unit_mismatch");
    assert_eq!(mismatch.len(), 2, "{json:#}");
    let said = |file: &str| {
        mismatch.iter().find(|i| i["file"] == file).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        said("清泉镇和大马营镇.xlsx").contains(
            "文件名表明是“清泉镇”或“大马营镇”的报表，但表内填报单位写的是“县发展和改革局”"
        ),
        "{mismatch:?}"
    );
    assert!(
        said("大马营镇、清泉镇.xlsx").contains("但表内填报单位写的是“大马营镇”"),
        "{mismatch:?}"
    );
}

#[test]
fn two_files_nothing_tells_apart_say_so() {
    let w = Workdir::new("units_tie");
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_650_000_000);
    for name in ["大马营镇-a.xlsx", "大马营镇-b.xlsx"] {
        let p = w.submit(name, &[standard("大马营镇", "2022-04-05", vec![])]);
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(at).unwrap();
    }
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    assert_eq!(submission(&json, "大马营镇-b.xlsx")["status"], "accepted");
    let said = issues_with(&json, "superseded")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        said.contains("填报日期和修改时间都相同，按文件名取后一份") && !said.contains("更晚"),
        "{said}"
    );
}

#[test]
fn of_one_sheet_per_month_the_periods_is_read() {
    use crate::book::{Sheet, n};
    use crate::common::line;
    let w = Workdir::new("units_sheet_per_month");
    let month = |name: &str, fa01: f64| -> Sheet {
        let mut s = standard("清泉镇", "2022-04-05", vec![line("FA01", n(fa01), "")]);
        s.rows[0][0] = crate::book::t("清泉镇重点工作任务完成情况统计表");
        s.name = name.into();
        s
    };
    // January first, March last: March's figure is read, without a word.
    w.submit(
        "清泉镇.xlsx",
        &[
            month("1月", 100.0),
            month("2月", 200.0),
            month("3月", 300.0),
        ],
    );
    // No sheet for March: the sheet read says it is February's.
    w.submit(
        "大马营镇.xlsx",
        &[
            standard_of("大马营镇", month("1月", 100.0)),
            standard_of("大马营镇", month("2月", 200.0)),
        ],
    );
    let out = w.run(&w.plan(), "out");
    assert_eq!(out.status.code(), Some(0));
    let rows = crate::common::read_csv(&w.path("out/data/by_unit.csv"));
    let fa01 = |unit: &str| {
        rows.iter()
            .find(|r| r["unit"] == unit && r["indicator_code"] == "FA01")
            .unwrap()["actual"]
            .clone()
    };
    assert_eq!(fa01("清泉镇"), "300");
    let issues = crate::common::read_csv(&w.path("out/data/issues.csv"));
    let said = |file: &str| -> Vec<String> {
        issues
            .iter()
            .filter(|i| i["file"] == file && i["code"] == "period_mismatch")
            .map(|i| i["message"].clone())
            .collect()
    };
    assert!(said("清泉镇.xlsx").is_empty());
    let da = said("大马营镇.xlsx");
    assert!(da.len() == 1 && da[0].contains("工作表名“1月”"), "{da:?}");
}

/// `sheet` with its 填报单位 line naming `unit`.
fn standard_of(unit: &str, mut sheet: crate::book::Sheet) -> crate::book::Sheet {
    sheet.rows[1][0] = crate::book::t(&format!("填报单位：{unit}"));
    sheet
}
