//! Every issue code of the contract, with its cell, through the binary.

use serde_json::Value;

use crate::book::{C, Sheet, n, t};
use crate::common::{Workdir, issues_with, line, qingquan_clean, standard, submission};

/// The (sheet!cell, indicator) of each issue with `code`.
fn places(json: &Value, code: &str) -> Vec<(String, String)> {
    issues_with(json, code)
        .iter()
        .map(|i| {
            let place = format!(
                "{}!{}",
                i["sheet"].as_str().unwrap_or(""),
                i["cell"].as_str().unwrap_or("")
            );
            (
                place,
                i["indicator_code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn p(place: &str, code: &str) -> (String, String) {
    (place.to_string(), code.to_string())
}

#[test]
fn value_issues_name_their_cells() {
    let w = Workdir::new("issues_values");
    // 清泉镇: one mistake per row. The table header is row 3, data from row 4.
    let mut rows = vec![
        line("FA01", t("待统计"), ""),
        line("PJ01", n(-1.0), ""),
        line("ST01", C::F("A1/0".into(), Some("#DIV/0!".into())), ""),
        line("NY02", C::F("A1*2".into(), None), ""),
        line("NY03", C::E, ""),
        line("AQ01", t("2件"), ""),
        line("WS01", n(0.82), ""),
        line("QT09", n(5.0), ""),
    ];
    rows[6][3] = t("90%");
    w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", rows)]);
    // 大马营镇: a slip of units, a duplicate, a deleted row, a task behind
    // without a reason.
    let rows = vec![
        line("FA01", n(200_000.0), ""),
        line("PJ01", n(1.0), ""),
        line("PJ01", n(2.0), ""),
        line("NY02", n(100.0), ""),
        line("NY03", n(1000.0), ""),
        line("AQ01", n(0.0), ""),
    ];
    w.submit("大马营镇.xlsx", &[standard("大马营镇", "2022-04-05", rows)]);
    // 发改局: behind, but with its reason.
    let rows = vec![
        line("FA01", n(100.0), "项目资金未到位"),
        line("PJ01", n(10.0), ""),
    ];
    w.submit(
        "发改局.xlsx",
        &[standard("县发展和改革局", "2022-04-05", rows)],
    );
    let (json, code) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    assert_eq!(code, 1, "errors mean exit 1");

    assert_eq!(places(&json, "not_a_number"), [p("Sheet1!E4", "FA01")]);
    assert_eq!(places(&json, "negative_value"), [p("Sheet1!E5", "PJ01")]);
    assert_eq!(
        places(&json, "formula_error"),
        [p("Sheet1!E6", "ST01"), p("Sheet1!E7", "NY02")]
    );
    assert_eq!(places(&json, "unit_of_measure"), [p("Sheet1!E9", "AQ01")]);
    assert_eq!(places(&json, "target_changed"), [p("Sheet1!D10", "WS01")]);
    // The code as written, for programs to filter on (contract section 9).
    assert_eq!(
        places(&json, "unknown_indicator"),
        [p("Sheet1!A11", "QT09")]
    );
    assert_eq!(places(&json, "out_of_range"), [p("Sheet1!E4", "FA01")]);
    assert_eq!(places(&json, "over_target"), [p("Sheet1!E4", "FA01")]);
    assert_eq!(
        places(&json, "duplicate_indicator"),
        [p("Sheet1!E6", "PJ01")]
    );
    // NY01 = 100 / 1000 is far below its 70% target: the reason belongs in
    // the note cell of its numerator row. 发改局 gave its reason.
    assert_eq!(
        places(&json, "missing_explanation"),
        [p("Sheet1!F7", "NY01")]
    );
    let missing = places(&json, "missing_value");
    // Files are taken in name order: 发改局, 大马营镇, 清泉镇.
    assert_eq!(missing, [p("Sheet1!", "WS01"), p("Sheet1!E8", "NY03")]);

    let by_code = |c: &str| issues_with(&json, c)[0].clone();
    assert_eq!(by_code("missing_value")["file"], "大马营镇.xlsx");
    assert_eq!(by_code("missing_value")["unit"], "大马营镇");
    assert_eq!(
        by_code("missing_value")["cell"],
        Value::Null,
        "a deleted row has no cell"
    );
    assert_eq!(by_code("not_a_number")["severity"], "error");
    assert_eq!(by_code("unit_of_measure")["severity"], "warning");
    // "2件" for an indicator counted in 起: the clerk is told what was
    // counted, so a wrong unit cannot pass unseen into the total.
    let msg = by_code("unit_of_measure")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("单位“件”与计量单位“起”不一致，本次按 2 起计入"),
        "{msg}"
    );
    assert_eq!(by_code("over_target")["severity"], "info");
    let msg = by_code("not_a_number")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("“待统计”不是数字") && msg.contains("E4") && msg.contains("万元"),
        "{msg}"
    );

    // Files with value errors are still accepted; their good values count.
    let qq = submission(&json, "清泉镇.xlsx");
    assert_eq!(qq["status"], "accepted");
    assert_eq!(qq["errors"], 5);
    assert_eq!(qq["warnings"], 3);
    assert_eq!(submission(&json, "发改局.xlsx")["errors"], 0);
}

#[test]
fn file_issues_reject_the_file_and_say_why() {
    let w = Workdir::new("issues_files");
    std::fs::write(w.inbox().join("坏文件.xlsx"), b"this is not a zip at all").unwrap();
    std::fs::write(w.inbox().join("空文件.xls"), b"").unwrap();
    std::fs::write(w.inbox().join("说明.docx"), b"notes").unwrap();
    std::fs::write(w.inbox().join("~$清泉镇.xlsx"), b"\x05owner").unwrap();
    std::fs::write(w.inbox().join("大马营镇.et"), b"PK\x03\x04").unwrap();
    std::fs::write(w.inbox().join(".tally-Xk9aZ2.tmp"), b"PK\x03\x04").unwrap();
    w.submit("汇总.xlsx", &[standard("", "", qingquan_clean())]);
    w.submit(
        "清泉镇-补报.xlsx",
        &[standard("大马营镇", "2022-04-05", qingquan_clean())],
    );
    w.submit(
        "发改局-说明.xlsx",
        &[Sheet::new("说明")
            .texts(&["数据见附件"])
            .texts(&["名称", "数量"])],
    );
    let (json, code) = w.check_json(&w.plan(), &[]);
    assert_eq!(code, 1);
    let code_of = |file: &str| -> Vec<String> {
        json["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["file"] == file)
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(code_of("坏文件.xlsx"), ["unreadable_file"]);
    assert_eq!(code_of("空文件.xls"), ["unreadable_file"]);
    assert_eq!(code_of("说明.docx"), ["not_a_workbook"]);
    assert_eq!(code_of("~$清泉镇.xlsx"), ["not_a_workbook"]);
    // Each says what the file is and what to do.
    let said = |file: &str| -> String {
        let issues = json["issues"].as_array().unwrap();
        let of_file = issues.iter().find(|i| i["file"] == file).unwrap();
        of_file["message"].as_str().unwrap().to_string()
    };
    assert!(said("~$清泉镇.xlsx").contains("锁定文件"));
    assert!(
        said("大马营镇.et").contains("另存为"),
        "{}",
        said("大马营镇.et")
    );
    assert!(said(".tally-Xk9aZ2.tmp").contains("被中断"));
    assert_eq!(code_of("汇总.xlsx"), ["unknown_unit"]);
    assert_eq!(code_of("清泉镇-补报.xlsx"), ["unit_mismatch"]);
    assert_eq!(code_of("发改局-说明.xlsx"), ["no_indicator_table"]);
    for f in [
        "坏文件.xlsx",
        "空文件.xls",
        "说明.docx",
        "汇总.xlsx",
        "清泉镇-补报.xlsx",
        "发改局-说明.xlsx",
    ] {
        assert_eq!(submission(&json, f)["status"], "rejected", "{f}");
    }
    let mismatch = issues_with(&json, "unit_mismatch")[0];
    assert_eq!(mismatch["cell"], "A2");
    assert!(mismatch["message"].as_str().unwrap().contains("大马营镇"));
    assert!(
        issues_with(&json, "unreadable_file")[1]["message"]
            .as_str()
            .unwrap()
            .contains("0 字节")
    );
    // Every unit sent nothing usable: all three are missing, 发改局 with a
    // pointer to its rejected file.
    let missing = issues_with(&json, "missing_submission");
    assert_eq!(missing.len(), 3);
    let fgj = missing
        .iter()
        .find(|i| i["unit"] == "县发展和改革局")
        .unwrap();
    assert!(
        fgj["message"]
            .as_str()
            .unwrap()
            .contains("发改局-说明.xlsx")
    );
    assert_eq!(
        json["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "missing")
            .count(),
        3
    );
    // Non-workbooks are hashed too, so every inbox file can be traced.
    assert_eq!(
        submission(&json, "说明.docx")["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let w = Workdir::new("issues_size");
    // Just over the smallest limit: refused on its size, before any reading.
    std::fs::write(w.inbox().join("清泉镇.xlsx"), vec![b'x'; 1024 * 1024 + 1]).unwrap();
    let (json, _) = w.check_json(&w.plan(), &["--max-file-mb", "1"]);
    let i = issues_with(&json, "too_large");
    assert_eq!(i.len(), 1);
    assert!(
        i[0]["message"].as_str().unwrap().contains("文件过大"),
        "{}",
        i[0]
    );
    assert_eq!(submission(&json, "清泉镇.xlsx")["status"], "rejected");
}

#[test]
fn a_password_protected_workbook_is_reported_as_such() {
    let w = Workdir::new("issues_password");
    let corpus = crate::corpus::corpus_dir().join("calamine/pass_protected.xlsx");
    std::fs::copy(corpus, w.inbox().join("清泉镇.xlsx")).unwrap();
    let (json, _) = w.check_json(&w.plan(), &[]);
    let i = issues_with(&json, "unreadable_file");
    assert!(
        i[0]["message"].as_str().unwrap().contains("密码"),
        "{}",
        i[0]
    );
    assert_eq!(
        i[0]["unit"], "清泉镇",
        "the file name still tells whose it is"
    );
}

#[test]
fn messages_fit_the_profile_the_unit_of_measure_and_the_reader() {
    let w = Workdir::new("issues_words");
    let plan = w.path("plan.xlsx");
    crate::book::write_xlsx(
        &plan,
        &[
            Sheet::new("单位")
                .texts(&["单位名称", "类型"])
                .texts(&["甲镇", "乡镇"]),
            Sheet::new("指标")
                .texts(&["指标代码", "指标名称", "计量单位", "进度"])
                .texts(&["Q1", "人工造林", "万亩", "季度"])
                .texts(&["C1", "示范村", "个", ""])
                .texts(&["C2", "乡村振兴示范村", "个", ""])
                .texts(&["M1", "招商引资", "万元", ""]),
            Sheet::new("目标")
                .texts(&["单位名称", "指标代码", "年度目标", "一季度"])
                .row(vec![t("甲镇"), t("Q1"), n(1.0), n(0.372)])
                .row(vec![t("甲镇"), t("C1"), n(4.0)])
                .row(vec![t("甲镇"), t("C2"), n(1.0)])
                .row(vec![t("甲镇"), t("M1"), n(100.0)]),
        ],
    );
    let rows = vec![
        line("Q1", n(0.073333), ""),
        line("C1", n(12.0), ""),
        line("C2", n(0.0), ""),
        line("M1", n(200.0), ""),
    ];
    w.submit("甲镇.xlsx", &[standard("甲镇", "2022-04-05", rows)]);
    let (json, _) = w.check_json(&plan, &["--period", "2022-03"]);
    let message = |code: &str, ind: &str| {
        issues_with(&json, code)
            .iter()
            .find(|i| i["indicator_code"] == ind)
            .unwrap_or_else(|| panic!("no {code} on {ind}: {json:#}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // The quarterly task expects its first milestone, 37.2% of the year's
    // target, not the calendar's 25%; numbers are rounded for people.
    let behind = message("missing_explanation", "Q1");
    assert!(
        behind.contains("0.0733 万亩（年度目标的 7.3%）")
            && behind.contains("0.372 万亩（年度目标的 37.2%）"),
        "{behind}"
    );
    assert!(
        !behind.contains("25.0%") && !behind.contains("0.073333"),
        "{behind}"
    );
    // A quarter of a village is due: said as a share of the whole one.
    let village = message("missing_explanation", "C2");
    assert!(
        village.contains("低于按时间进度应完成的年度目标的 25.0%（全年 1 个）")
            && !village.contains("0.25"),
        "{village}"
    );
    // Only a sum of money invites the 元-for-万元 question.
    let count = message("over_target", "C1");
    assert!(!count.contains('元'), "{count}");
    let money = message("over_target", "M1");
    assert!(money.contains("“元”当成了“万元”"), "{money}");
}

#[test]
fn a_row_whose_code_and_name_are_two_indicators_is_not_counted() {
    // The code won: 人工造林's figure was counted as 固定资产投资 without a
    // word (a code 1.10 typed as a number is 1.1, another indicator's).
    let w = Workdir::new("issues_code_name");
    let mut rows = qingquan_clean();
    rows[0] = vec![t("FA01"), t("人工造林"), C::E, C::E, n(0.1), t("")];
    rows.remove(2);
    w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", rows)]);
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    let unknown = issues_with(&json, "unknown_indicator");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    let said = unknown[0]["message"].as_str().unwrap();
    assert!(
        said.contains("代码“FA01”是“固定资产投资”，名称“人工造林”却是另一个指标（代码 ST01）"),
        "{said}"
    );
    assert_eq!(unknown[0]["cell"], "A4");
    // Neither indicator took the row: both are missing.
    let missing: Vec<&str> = issues_with(&json, "missing_value")
        .iter()
        .filter_map(|i| i["indicator_code"].as_str())
        .collect();
    assert!(
        missing.contains(&"FA01") && missing.contains(&"ST01"),
        "{missing:?}"
    );
}

#[test]
fn a_unit_of_measure_column_that_is_not_the_plans_is_said() {
    // 0.5 beside 亿元 is 5,000 万元: counted as 0.5 万元 without a word,
    // the county total was 10,000 times off.
    let w = Workdir::new("issues_uom_column");
    let mut rows = qingquan_clean();
    rows[0][2] = t("亿元");
    rows[0][4] = n(0.5);
    // The plan's unit in other words is no other unit.
    let ws01 = rows.iter().position(|r| r[0] == t("WS01")).unwrap();
    rows[ws01][2] = t("百分比");
    let st01 = rows.iter().position(|r| r[0] == t("ST01")).unwrap();
    rows[st01][2] = t("万 亩（累计）");
    w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", rows)]);
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    let said = issues_with(&json, "unit_of_measure");
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0]["indicator_code"], "FA01");
    assert_eq!(said[0]["cell"], "E4");
    let message = said[0]["message"].as_str().unwrap();
    assert!(
        message.contains("计量单位写的是“亿元”（C4）") && message.contains("本次按 0.5 万元计入"),
        "{message}"
    );
}

#[test]
fn a_numbered_heading_with_a_subtotal_is_no_unknown_indicator() {
    let w = Workdir::new("issues_heading_subtotal");
    let mut rows = qingquan_clean();
    rows.insert(
        0,
        vec![C::E, t("一、经济发展"), C::E, C::E, n(7200.0), t("")],
    );
    rows.insert(2, vec![C::E, t("二、农业农村"), C::E, C::E, t("—"), t("")]);
    // A numbered name that is the plan's indicator still counts.
    let ny03 = rows.iter().position(|r| r[0] == t("NY03")).unwrap();
    rows[ny03] = vec![C::E, t("三、农业增加值"), C::E, C::E, n(3000.0), t("")];
    // One with its own 计量单位 is an indicator the plan lacks: said.
    rows.push(vec![
        C::E,
        t("四、秸秆综合利用"),
        t("万吨"),
        C::E,
        n(5.0),
        t(""),
    ]);
    w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", rows)]);
    let (json, _) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    let unknown = issues_with(&json, "unknown_indicator");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(
        unknown[0]["message"]
            .as_str()
            .unwrap()
            .contains("秸秆综合利用")
    );
    assert!(issues_with(&json, "missing_value").is_empty(), "{json}");
}
