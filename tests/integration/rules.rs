//! The bureau's validation rules (CONTRACT.md section 12), through the
//! real binary: each scope, skipped units, severity, `prev()` over a
//! stored period, the county scope, every refused rule with its cell, and
//! the rules live in the template as LibreOffice evaluates them.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::book::{n, rules_sheet, t, write_xlsx};
use crate::common::{Workdir, issues_with, line, qingquan_clean, small_plan, standard, tally};

/// The small plan with a `规则` sheet of these rows (id, description,
/// left, operator, right, severity, scope, tolerance).
fn plan_with(w: &Workdir, rules: &[[&str; 8]]) -> std::path::PathBuf {
    let mut sheets = small_plan();
    sheets.push(rules_sheet(rules));
    let p = w.path("plan.xlsx");
    write_xlsx(&p, &sheets);
    p
}

/// (unit, cell, severity, rule id) of every `rule_violated` issue.
fn violations(json: &Value) -> BTreeSet<(String, String, String, String)> {
    issues_with(json, "rule_violated")
        .iter()
        .map(|i| {
            let msg = i["message"].as_str().unwrap();
            let id = msg
                .split("（规则 ")
                .nth(1)
                .and_then(|s| s.split('：').next())
                .unwrap_or("")
                .to_string();
            (
                i["unit"].as_str().unwrap_or("").to_string(),
                i["cell"].as_str().unwrap_or("").to_string(),
                i["severity"].as_str().unwrap().to_string(),
                id,
            )
        })
        .collect()
}

fn v(unit: &str, cell: &str, severity: &str, id: &str) -> (String, String, String, String) {
    (unit.into(), cell.into(), severity.into(), id.into())
}

/// 清泉镇 (rows from 4: FA01 E4, PJ01 E5, ST01 E6, NY02 E7, NY03 E8, AQ01
/// E9, WS01 E10) with NY02 3,200 over NY03 3,000; 大马营镇 with FA01 200,
/// PJ01 1 and NY03 typed as text (not a number); 发改局 with FA01 1,500.
fn submit_three(w: &Workdir) {
    let mut qq = qingquan_clean();
    qq[3] = line("NY02", n(3200.0), "");
    w.submit("清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", qq)]);
    w.submit(
        "大马营镇.xlsx",
        &[standard(
            "大马营镇",
            "2022-04-05",
            vec![
                line("FA01", n(200.0), ""),
                line("PJ01", n(1.0), ""),
                line("NY02", n(2100.0), ""),
                line("NY03", t("三千"), ""),
                line("AQ01", n(0.0), ""),
                line("WS01", n(0.86), ""),
            ],
        )],
    );
    w.submit(
        "发改局.xlsx",
        &[standard(
            "县发展和改革局",
            "2022-04-05",
            vec![line("FA01", n(1500.0), ""), line("PJ01", n(3.0), "")],
        )],
    );
}

#[test]
fn each_operator_scope_severity_and_skip_as_the_contract_says() {
    let w = Workdir::new("rules-scope");
    let plan = plan_with(
        &w,
        &[
            // 清泉镇 3,200 > 3,000: violated; 大马营镇's NY03 is no number:
            // skipped (its not_a_number says so).
            [
                "R01",
                "特色产业增加值不能大于农业增加值",
                "NY02",
                "<=",
                "NY03",
                "错误",
                "",
                "",
            ],
            // Townships only: 清泉镇 320 ≥ 4 × 100 is false; 大马营镇
            // 200 ≥ 1 × 100 holds; 发改局 out of scope.
            [
                "R02",
                "投资应不少于每个项目100万元",
                "FA01",
                ">=",
                "PJ01 * 100",
                "警告",
                "乡镇",
                "",
            ],
            // Departments only: 发改局 1,500 < 1,000 is false: violated.
            [
                "R03",
                "部门投资应少于1000万元",
                "FA01",
                "<",
                "1000",
                "警告",
                "部门",
                "",
            ],
            // Named unit with a tolerance: |0.82 − 0.8| = 0.02 ≤ 0.05 holds.
            [
                "R04",
                "卫生厕所普及率应为80%",
                "WS01",
                "==",
                "80%",
                "错误",
                "清泉镇",
                "0.05",
            ],
            // Outside the tolerance: |0.86 − 0.8| = 0.06 > 0.05: violated.
            [
                "R05",
                "卫生厕所普及率应为80%",
                "WS01",
                "=",
                "0.8",
                "警告",
                "大马营镇",
                "0.05",
            ],
            // ≠ and functions: 清泉镇 max(0, 0.1) = 0.1 ≠ 0.1 is false.
            [
                "R06",
                "人工造林不应恰为0.1",
                "max(AQ01, ST01)",
                "≠",
                "[ST01]",
                "警告",
                "清泉镇",
                "",
            ],
            // A ratio from its parts: 清泉镇 3,200 / 3,000 > 1: violated
            // (> and abs); 大马营镇 skipped (NY03 is no number).
            [
                "R07",
                "特色产业占比不能超过100%",
                "abs(NY01)",
                "≤",
                "100%",
                "警告",
                "全部",
                "",
            ],
            // Holds everywhere: 清泉镇 320 − 2 × 4 > 0.
            [
                "R08",
                "投资扣除项目数应为正",
                "FA01 - 2 * PJ01",
                ">",
                "0",
                "错误",
                "全部",
                "",
            ],
        ],
    );
    submit_three(&w);
    let (json, code) = w.check_json(&plan, &[]);
    assert_eq!(
        violations(&json),
        BTreeSet::from([
            v("清泉镇", "E7", "error", "R01"),
            v("清泉镇", "E4", "warning", "R02"),
            v("县发展和改革局", "E4", "warning", "R03"),
            v("大马营镇", "E9", "warning", "R05"),
            v("清泉镇", "E9", "warning", "R06"),
            v("清泉镇", "E7", "warning", "R07"),
        ]),
        "{json:#}"
    );
    // An error-severity rule makes the check fail and counts in the
    // unit's errors; the values stay accepted.
    assert_eq!(code, 1);
    let qq = crate::common::submission(&json, "清泉镇.xlsx");
    assert_eq!(qq["status"], "accepted");
    assert_eq!(qq["errors"], 1, "{qq}");
    let r01 = issues_with(&json, "rule_violated")
        .into_iter()
        .find(|i| i["message"].as_str().unwrap().contains("R01"))
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        r01.starts_with(
            "特色产业增加值不能大于农业增加值：特色产业增加值（NY02）本年累计 3200 万元，农业增加值（NY03）本年累计 3000 万元"
        ),
        "{r01}"
    );
    let r02 = issues_with(&json, "rule_violated")
        .into_iter()
        .find(|i| i["message"].as_str().unwrap().contains("R02"))
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(r02.contains("PJ01 × 100 = 400"), "{r02}");
}

#[test]
fn a_violated_rule_never_removes_values_from_the_totals() {
    let w = Workdir::new("rules-totals");
    let plan = plan_with(
        &w,
        &[[
            "R01",
            "特色产业增加值不能大于农业增加值",
            "NY02",
            "<=",
            "NY03",
            "错误",
            "",
            "",
        ]],
    );
    submit_three(&w);
    let out = w.run(&plan, "out");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = crate::common::read_csv(&w.path("out/data/summary.csv"));
    let ny02 = summary
        .iter()
        .find(|r| r["indicator_code"] == "NY02")
        .unwrap();
    // 3,200 (清泉镇, violating) + 2,100 (大马营镇).
    assert_eq!(ny02["actual"], "5300");
    let issues = crate::common::read_csv(&w.path("out/data/issues.csv"));
    let rule: Vec<_> = issues
        .iter()
        .filter(|i| i["code"] == "rule_violated")
        .collect();
    assert_eq!(rule.len(), 1);
    assert_eq!(rule[0]["unit"], "清泉镇");
    assert_eq!(rule[0]["cell"], "E7");
    // The unit's feedback marks the cell and says why.
    let fb = crate::common::sheet_rows(&w.path("out/feedback/清泉镇.xlsx"), "问题清单");
    let said = fb
        .iter()
        .flatten()
        .any(|c| c.to_string().contains("特色产业增加值不能大于农业增加值"));
    assert!(said, "{fb:?}");
}

/// Runs 2022-02 with 清泉镇 FA01 `feb`, then returns check's JSON for
/// 2022-03 (FA01 320) against that store.
fn with_february(w: &Workdir, plan: &Path, feb: f64) -> Value {
    let feb_inbox = w.path("feb");
    std::fs::create_dir_all(&feb_inbox).unwrap();
    let mut rows = qingquan_clean();
    rows[0] = line("FA01", n(feb), "");
    write_xlsx(
        &feb_inbox.join("清泉镇.xlsx"),
        &[crate::book::template(
            "2022年2月重点工作任务完成情况",
            "清泉镇",
            "2022-03-05",
            rows,
        )],
    );
    let out = tally(&[
        "run",
        "--plan",
        plan.to_str().unwrap(),
        "--inbox",
        feb_inbox.to_str().unwrap(),
        "--period",
        "2022-02",
        "--out",
        w.path("out/2022-02").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.submit_qingquan();
    let store = w.path("out/store");
    w.check_json(
        plan,
        &["--period", "2022-03", "--store", store.to_str().unwrap()],
    )
    .0
}

#[test]
fn prev_reads_the_previous_stored_period() {
    // Investment must grow by at least 50 a month: 320 − 300 = 20 < 50.
    let rules = [[
        "R09",
        "固定资产投资每月至少增加50万元",
        "FA01 - prev(FA01)",
        ">=",
        "50",
        "警告",
        "",
        "",
    ]];
    let w = Workdir::new("rules-prev");
    let plan = plan_with(&w, &rules);
    let json = with_february(&w, &plan, 300.0);
    assert_eq!(
        violations(&json),
        BTreeSet::from([v("清泉镇", "E4", "warning", "R09")])
    );
    let msg = issues_with(&json, "rule_violated")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("FA01 - prev(FA01) = 20 万元"), "{msg}");
    // 320 − 250 = 70: holds.
    let w = Workdir::new("rules-prev-ok");
    let plan = plan_with(&w, &rules);
    assert!(violations(&with_february(&w, &plan, 250.0)).is_empty());
    // Without a store there is no previous period: skipped.
    let (json, _) = w.check_json(&plan, &["--period", "2022-03"]);
    assert!(violations(&json).is_empty());
}

#[test]
fn county_rules_check_the_county_values_and_show_on_the_first_page() {
    let w = Workdir::new("rules-county");
    // County FA01 = 320 + 200 + 1,500 = 2,020 < 2,500: violated; county
    // NY02 ≤ NY03 is 5,300 ≤ 3,000 (大马营镇's NY03 is no number): violated.
    let plan = plan_with(
        &w,
        &[
            [
                "C01",
                "全县固定资产投资应不少于2500万元",
                "FA01",
                ">=",
                "2500",
                "警告",
                "全县",
                "",
            ],
            [
                "C02",
                "全县特色产业增加值不能大于农业增加值",
                "NY02",
                "<=",
                "NY03",
                "错误",
                "county",
                "",
            ],
            [
                "C03",
                "全县投资不超过一亿",
                "FA01",
                "<=",
                "10000",
                "错误",
                "全县",
                "",
            ],
        ],
    );
    submit_three(&w);
    // check has no county values: the county rules are run's.
    let (json, _) = w.check_json(&plan, &[]);
    assert!(violations(&json).is_empty(), "{json:#}");
    let out = w.run(&plan, "out");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issues = crate::common::read_csv(&w.path("out/data/issues.csv"));
    let county: Vec<_> = issues
        .iter()
        .filter(|i| i["code"] == "rule_violated")
        .collect();
    let seen: BTreeSet<(&str, &str, &str)> = county
        .iter()
        .map(|i| {
            (
                i["unit"].as_str(),
                i["indicator_code"].as_str(),
                i["severity"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        BTreeSet::from([("", "FA01", "warning"), ("", "NY02", "error")])
    );
    let c01 = county
        .iter()
        .find(|i| i["indicator_code"] == "FA01")
        .unwrap();
    assert!(
        c01["message"].contains("固定资产投资（FA01）全县 2020 万元，2500 万元"),
        "{}",
        c01["message"]
    );
    // 总览: the indicator is pointed to and the sentence is under the table.
    let rows = crate::common::sheet_rows(&w.path("out/consolidated.xlsx"), "总览");
    let text: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
    assert!(
        text.iter().any(|c| c == "固定资产投资（见表下规则说明）"),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|c| c.contains("全县固定资产投资应不少于2500万元"))
    );
    assert!(!text.iter().any(|c| c.contains("全县投资不超过一亿")));
}

#[test]
fn county_prev_reads_the_county_value_of_the_previous_period() {
    let w = Workdir::new("rules-county-prev");
    // County FA01 must grow by 100: 320 − 300 = 20 (清泉镇 alone).
    let plan = plan_with(
        &w,
        &[[
            "C09",
            "全县投资每月至少增加100万元",
            "FA01",
            ">=",
            "prev(FA01) + 100",
            "警告",
            "全县",
            "",
        ]],
    );
    with_february(&w, &plan, 300.0);
    let out = w.run_with(
        &plan,
        "out/2022-03",
        &["--store", w.path("out/store").to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issues = crate::common::read_csv(&w.path("out/2022-03/data/issues.csv"));
    let msgs: Vec<&str> = issues
        .iter()
        .filter(|i| i["code"] == "rule_violated")
        .map(|i| i["message"].as_str())
        .collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].contains("固定资产投资（FA01）全县 320 万元，prev(FA01) + 100 = 400 万元"),
        "{}",
        msgs[0]
    );
}

#[test]
fn every_refused_rule_names_its_cell() {
    let w = Workdir::new("rules-refused");
    let long = vec!["NY02"; 6_000].join("+");
    let plan = plan_with(
        &w,
        &[
            ["R1", "", "FA99", "<=", "1", "", "", ""],
            ["R2", "", "FA01 +", "<=", "1", "", "", ""],
            ["R3", "", "FA01", "=>>", "1", "", "", ""],
            ["R4", "", "FA01", "<=", "1", "", "柳河乡", ""],
            ["R1", "", "FA01", "<=", "1", "", "", ""],
            ["R6", "", "FA01", "<=", "PJ01 / (3 - 3)", "", "", ""],
            ["R7", "", "FA01", "<=", "1", "严重", "", ""],
            ["R8", "", "FA01", "==", "1", "", "", "-1"],
            ["R9", "", "1.1", "<=", "sqrt(FA01)", "", "", ""],
            ["R10", "", "1", "<=", "2", "", "", ""],
            ["R11", "", "FA01", "<=", "PJ01 / (FA01 - FA01)", "", "", ""],
            // 6,000 terms overflowed the stack: check, run and template
            // aborted.
            ["R12", "", long.as_str(), "<=", "1", "", "", ""],
            // 80 against a % indicator is 8000%: every unit would fail.
            ["R13", "", "WS01", ">=", "80", "", "", ""],
            ["R14", "", "WS01", "<=", "150%", "", "", ""],
            // Two percentage points of 万元 would be 0.02 万元.
            ["R15", "", "NY02", "==", "NY03", "", "", "2%"],
        ],
    );
    let out = w.check(&plan, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("规则!E15"), "{err}");
    for (cell, says) in [
        ("规则!C2", "“FA99”不在“指标”表中"),
        ("规则!C3", "不完整"),
        ("规则!D4", "运算符“=>>”无法识别"),
        ("规则!G5", "“柳河乡”不在“单位”表中"),
        ("规则!A6", "与 A2 重复"),
        ("规则!E7", "除数“3 - 3”无论各单位填报什么数都等于 0"),
        ("规则!F8", "级别“严重”无法识别"),
        ("规则!H9", "容差不能为负数"),
        ("规则!E10", "不认识的函数“sqrt”"),
        ("规则!C11", "两边都没有指标代码"),
        ("规则!E12", "除数“FA01 - FA01”无论各单位填报什么数都等于 0"),
        ("规则!C13", "式子太长"),
        ("规则!E14", "80 即 8000%；指 80% 请写作 80%"),
        ("规则!H16", "容差写成了百分数，但规则比较的不是百分数指标"),
    ] {
        let line = err.lines().find(|l| l.contains(cell));
        assert!(
            line.is_some_and(|l| l.contains(says)),
            "{cell} {says}\n{err}"
        );
    }
}

/// The cells of the 报表 table of a LibreOffice HTML export whose 本年累计
/// cell is orange, by indicator code.
fn orange_codes(html: &str) -> BTreeSet<String> {
    let table = html
        .split("<table")
        .find(|t| t.contains("填报单位："))
        .unwrap_or("");
    table
        .split("<tr")
        .filter_map(|row| {
            let cells: Vec<&str> = row.split("<td").skip(1).collect();
            let code = strip_tags(cells.first()?);
            let actual = cells.get(5)?;
            actual.contains("bgcolor=\"#F8CBAD\"").then_some(code)
        })
        .collect()
}

fn strip_tags(cell: &str) -> String {
    let mut out = String::new();
    let mut inside = true;
    for c in cell.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

#[test]
fn live_rules_turn_exactly_the_violating_cells_orange_in_libreoffice() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures");
    let w = Workdir::new("rules-live");
    let plan_path = plan_with(&w, &live_rules());
    let plan = tally::plan::read_plan(&plan_path).unwrap();
    let bytes = live_template(&plan);
    let ours = fixtures.join("规则-模板已填.xlsx");
    let lo_html = fixtures.join("规则-模板已填-libreoffice.html");
    if std::env::var_os("TALLY_RENEW_FIXTURES").is_some() {
        renew(&ours, &lo_html, &bytes);
    }
    // The committed fixture is this very template: a change to the
    // formulas must renew it.
    assert_eq!(
        crate::common::xml_parts(&ours, "xl/worksheets/sheet2.xml"),
        xml_of(&bytes, "xl/worksheets/sheet2.xml"),
        "tests/fixtures/规则-模板已填.xlsx is stale: renew it with TALLY_RENEW_FIXTURES=1 cargo test live_rules (needs soffice)"
    );
    let expected: BTreeSet<String> = ["NY02", "NY03", "WS01"].map(String::from).into();
    let committed = std::fs::read_to_string(&lo_html).unwrap();
    assert_eq!(orange_codes(&committed), expected);
    // Where LibreOffice is installed, recalculate it now as well.
    let dir = w.path("lo");
    let converted = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "html", "--outdir"])
        .arg(&dir)
        .arg(&ours)
        .output()
        .is_ok_and(|o| o.status.success());
    if converted {
        let html = std::fs::read_to_string(dir.join("规则-模板已填.html")).unwrap();
        assert_eq!(orange_codes(&html), expected);
    } else {
        eprintln!("soffice not installed: checked the committed LibreOffice export only");
    }
    // And tally check, on the same values, finds the same rules broken.
    std::fs::write(w.inbox().join("清泉镇.xlsx"), &bytes).unwrap();
    let (json, _) = w.check_json(&plan_path, &["--period", "2022-03"]);
    let ids: BTreeSet<String> = violations(&json).into_iter().map(|v| v.3).collect();
    assert_eq!(
        ids,
        ["L01", "L02", "L07"].map(String::from).into(),
        "{json:#}"
    );
    // The instructions list the unit's rules, the prev() one as checked on
    // receipt; another unit's rule is not there.
    let help = crate::common::sheet_rows(&ours, "填报说明");
    let help: Vec<String> = help.iter().flatten().map(|c| c.to_string()).collect();
    assert!(
        help.iter()
            .any(|l| l.contains("L01 特色产业增加值不能大于农业增加值：NY02 ≤ NY03"))
    );
    assert!(
        help.iter()
            .any(|l| l.contains("L03") && l.contains("报送后检查"))
    );
    assert!(!help.iter().any(|l| l.contains("L06")));
    // The cell's input message names its rules.
    let validations = crate::common::xml_parts(&ours, "xl/worksheets/sheet2.xml");
    assert!(validations.contains("须符合：特色产业增加值不能大于农业增加值（L01）"));
}

/// The rules of the live-template test: violated by the values of
/// [`live_template`] are L01, L02 and L07, which read NY02, NY03 and WS01.
pub fn live_rules() -> Vec<[&'static str; 8]> {
    vec![
        [
            "L01",
            "特色产业增加值不能大于农业增加值",
            "NY02",
            "<=",
            "NY03",
            "错误",
            "",
            "",
        ],
        // WS01 typed 85 is read as 85%.
        [
            "L02",
            "卫生厕所普及率应不低于90%",
            "WS01",
            ">=",
            "90%",
            "警告",
            "",
            "",
        ],
        // Needs last period: checked on receipt, not in the template.
        [
            "L03",
            "投资不能减少",
            "FA01",
            ">=",
            "prev(FA01)",
            "警告",
            "",
            "",
        ],
        [
            "L04",
            "人工造林接近0.1",
            "abs(ST01 - 0.1)",
            "<=",
            "0.05",
            "警告",
            "",
            "",
        ],
        ["L05", "开复工4个", "PJ01", "==", "4", "警告", "", "0.5"],
        // Another unit's rule.
        [
            "L06",
            "大马营镇无事故",
            "AQ01",
            "<",
            "0",
            "错误",
            "大马营镇",
            "",
        ],
        // A ratio from its typed parts: 3,200 / 3,000 > 1.
        ["L07", "占比不超过100%", "NY01", "<=", "1", "警告", "", ""],
        [
            "L08",
            "投资大于项目数",
            "FA01",
            ">",
            "min(PJ01, 1000) * 10",
            "警告",
            "",
            "",
        ],
    ]
}

/// 清泉镇's template filled: FA01 320, PJ01 4, ST01 0.1, NY02 3,200,
/// NY03 3,000, AQ01 0, WS01 typed 85.
pub fn live_template(plan: &tally::plan::Plan) -> Vec<u8> {
    let u = plan.unit_named("清泉镇").unwrap();
    let mut filled = tally::template::Filled::default();
    for (code, value) in [
        ("FA01", 320.0),
        ("PJ01", 4.0),
        ("ST01", 0.1),
        ("NY02", 3200.0),
        ("NY03", 3000.0),
        ("AQ01", 0.0),
        ("WS01", 85.0),
    ] {
        filled
            .values
            .insert(plan.indicator_by_code(code).unwrap(), value);
    }
    let period = "2022-03".parse().unwrap();
    tally::template::unit_template(plan, "", period, u, &Default::default(), Some(&filled)).unwrap()
}

/// Writes the template fixture and LibreOffice's HTML export of it.
fn renew(ours: &Path, lo_html: &Path, bytes: &[u8]) {
    std::fs::write(ours, bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "html", "--outdir"])
        .arg(dir.path())
        .arg(ours)
        .output()
        .expect("renewing the fixtures needs soffice");
    assert!(status.status.success());
    std::fs::copy(dir.path().join("规则-模板已填.html"), lo_html).unwrap();
}

fn xml_of(bytes: &[u8], part: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(part).unwrap(), &mut text).unwrap();
    text
}

#[test]
fn a_tolerance_written_with_a_percent_sign_is_percentage_points() {
    // `2%` was read as 2: 85% passed as equal to 80%.
    let w = Workdir::new("rules-tolerance-percent");
    let plan = plan_with(
        &w,
        &[
            ["R1", "", "WS01", "==", "80%", "", "", "2%"],
            ["R2", "", "WS01", "==", "80%", "", "", "0.02"],
        ],
    );
    let read = tally::plan::read_plan(&plan).unwrap();
    let tolerances: Vec<f64> = read.rules.iter().map(|r| r.tolerance).collect();
    assert_eq!(tolerances, [0.02, 0.02]);
}
