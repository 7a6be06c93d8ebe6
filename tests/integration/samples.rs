//! The README's first command on the bundled sample county.

use crate::common::{issues_with, submission, tally};
use serde_json::Value;

fn sample_check(format: &str) -> (std::process::Output, Option<Value>) {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = tally(&[
        "check",
        "--plan",
        &format!("{root}/samples/plan.xlsx"),
        "--inbox",
        &format!("{root}/samples/inbox/2022-03"),
        "--period",
        "2022-03",
        "--format",
        format,
    ]);
    let json = (format == "json").then(|| serde_json::from_slice(&out.stdout).expect("json"));
    (out, json)
}

#[test]
fn the_sample_inbox_shows_the_planted_mistakes_and_nothing_else() {
    let (out, json) = sample_check("json");
    let json = json.unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the planted mistakes are errors"
    );
    let subs = json["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 15, "14 inbox files and one missing unit");
    // Every file but the planted ones is accepted without errors.
    for s in subs {
        let file = s["file"].as_str().unwrap_or("");
        match file {
            // 6 in the indicators, 2 in the projects.
            "霍城镇.xlsx" => assert_eq!(s["errors"], 8),
            // 特色产业增加值 over 农业增加值: rule R01, an error.
            "陈户镇.xls" => {
                assert_eq!(s["status"], "accepted");
                assert_eq!(s["errors"], 1);
            }
            "花寨乡.xlsx" => assert_eq!(s["status"], "superseded"),
            "报送说明.txt" => assert_eq!(s["status"], "rejected"),
            "" => assert_eq!(s["unit"], "老军乡"),
            _ => {
                assert_eq!(s["status"], "accepted", "{file}");
                assert_eq!(s["errors"], 0, "{file}");
            }
        }
    }
    assert_eq!(submission(&json, "陈户镇.xls")["unit"], "陈户镇");
    assert_eq!(
        submission(&json, "县住建局.xlsx")["unit"],
        "县住房和城乡建设局"
    );
    assert_eq!(
        submission(&json, "李桥乡.xlsx")["reported_at"],
        "2022-04-04"
    );
    let codes = |c: &str| issues_with(&json, c).len();
    assert_eq!(codes("not_a_number"), 2);
    assert_eq!(codes("unknown_project"), 1);
    assert_eq!(codes("missing_project"), 1);
    assert_eq!(
        codes("unknown_indicator"),
        1,
        "section headings are no indicators"
    );
    assert_eq!(codes("negative_value"), 1);
    assert_eq!(codes("formula_error"), 1);
    assert_eq!(codes("duplicate_indicator"), 1);
    assert_eq!(codes("missing_value"), 2);
    assert_eq!(codes("missing_submission"), 1);
    assert_eq!(codes("superseded"), 1);
    // R01 by 陈户镇; the county rule R04 is checked by run only.
    assert_eq!(codes("rule_violated"), 1);
}

#[test]
fn the_text_report_is_grouped_by_file_with_cells_and_a_total_and_no_colour_in_a_pipe() {
    let (out, _) = sample_check("text");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI colour when stdout is not a terminal"
    );
    let huo = text.find("霍城镇.xlsx — 已接收").expect("file heading");
    let cell = text.find("Sheet1!E8").expect("the 待统计 cell");
    assert!(cell > huo, "issues follow their file's heading");
    assert!(text.contains("未报送（1 个单位）"));
    assert!(text.contains("老军乡未报送2022年3月报表"));
    let last = text.lines().rev().find(|l| !l.is_empty()).unwrap();
    assert!(
        last.starts_with(
            "合计：14 个文件，已接收 12，拒收 1，已被替代 1；未报送 1 个单位；错误 10"
        ),
        "{last}"
    );
}
