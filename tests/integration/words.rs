//! The bureau's own header words (`[words]` in tally.toml): a real
//! government form headed 编号 / 填表项目 / 单位 / 数量 (Guangzhou's
//! poverty-alleviation survey, ../shared/corpus/cn_gov_guangzhou_fupin/
//! q1.xls) reads like a standard one, and templates speak the same words.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::book::{C, Sheet, n, t, write_xlsx};
use crate::common::{Workdir, issues_with, read_csv, tally};

const WORDS: &str = r#"
[words]
code = ["编号"]
name = ["填表项目"]
uom = ["单位"]
actual = ["数量"]
unit = ["贫困村"]
"#;

/// Six rows of the form, as its plan: code, name, unit of measure.
const ROWS: [(&str, &str, &str); 6] = [
    ("101", "（一）单位主要领导到村调研指导累计次数", "次"),
    (
        "104",
        "（四）单位分管扶贫领导到村督促落实扶贫工作累计次数",
        "次",
    ),
    ("105", "（五）挂户责任人（挂户干部）人数", "人"),
    ("114", "（一）自然村个数", "个"),
    ("115", "1.通电自然村", "个"),
    ("121", "（二）当年村集体经济年收入", "元"),
];

/// A plan for the village 石门村 with targets for the six rows, and
/// tally.toml with or without the words.
fn setup(w: &Workdir, words: bool) -> (PathBuf, PathBuf) {
    let units = Sheet::new("单位")
        .texts(&["单位名称", "类型"])
        .texts(&["石门村", "乡镇"]);
    let mut inds = Sheet::new("指标").texts(&["指标代码", "指标名称", "计量单位", "进度"]);
    let mut targets = Sheet::new("目标").texts(&["单位名称", "指标代码", "年度目标"]);
    for (code, name, uom) in ROWS {
        inds = inds.texts(&[code, name, uom, "水平"]);
        targets = targets.row(vec![t("石门村"), t(code), n(10.0)]);
    }
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &[units, inds, targets]);
    let config = w.path("tally.toml");
    std::fs::write(&config, if words { WORDS } else { "" }).unwrap();
    (plan, config)
}

fn check(w: &Workdir, plan: &Path, config: &Path) -> serde_json::Value {
    let extra = ["--config", config.to_str().unwrap()];
    w.check_json(plan, &extra).0
}

#[test]
fn the_guangzhou_form_is_read_with_the_bureaus_words() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/cn_gov_guangzhou_fupin/q1.xls");
    let w = Workdir::new("words-q1");
    // The village's name is in the file name: the 贫困村（盖章） line is
    // blank on this form, and 帮扶单位（盖章） beside it is no name.
    std::fs::copy(&corpus, w.inbox().join("石门村.xls")).unwrap();
    let (plan, bare) = setup(&w, false);
    let json = check(&w, &plan, &bare);
    assert_eq!(
        issues_with(&json, "no_indicator_table").len(),
        1,
        "{json:#}"
    );
    let w2 = Workdir::new("words-q1b");
    std::fs::copy(&corpus, w2.inbox().join("石门村.xls")).unwrap();
    let (plan, config) = setup(&w2, true);
    let json = check(&w2, &plan, &config);
    assert!(
        issues_with(&json, "no_indicator_table").is_empty(),
        "{json:#}"
    );
    assert!(issues_with(&json, "unknown_unit").is_empty(), "{json:#}");
    // The form is blank: each planned row is missing its 数量, in column D
    // of its own row (101 on row 5 ... 121 on row 28).
    let mut missing: Vec<(String, String)> = issues_with(&json, "missing_value")
        .iter()
        .map(|i| {
            (
                i["indicator_code"].as_str().unwrap().to_string(),
                i["cell"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    missing.sort();
    let expected: Vec<(String, String)> = [
        ("101", "D5"),
        ("104", "D8"),
        ("105", "D9"),
        ("114", "D21"),
        ("115", "D22"),
        ("121", "D28"),
    ]
    .iter()
    .map(|(c, d)| (c.to_string(), d.to_string()))
    .collect();
    assert_eq!(missing, expected);
}

/// The form's layout filled in: the title, `贫困村（盖章）：石门村`, the
/// header, a section heading, codes typed as numbers, values in 数量.
fn guangzhou_filled(values: &[(&str, C)]) -> Sheet {
    let mut s = Sheet::new("Sheet1")
        .texts(&["广州市农村扶贫开发“规划到户责任到人”工作 2022年度调查表（一）"])
        .texts(&["贫困村（盖章）：石门村", "", "帮扶单位（盖章）"])
        .texts(&["编号", "填表项目", "单位", "数量"])
        .texts(&["", "一、帮扶责任落实"]);
    for (code, v) in values {
        let (_, name, uom) = ROWS.iter().find(|r| r.0 == *code).unwrap();
        s = s.row(vec![n(code.parse().unwrap()), t(name), t(uom), v.clone()]);
    }
    s.texts(&["填表人：          填报日期：    年    月    日"])
}

/// The same values on the standard form.
fn standard_filled(values: &[(&str, C)]) -> Sheet {
    let rows = values
        .iter()
        .map(|(code, v)| vec![t(code), C::E, C::E, C::E, v.clone(), C::E])
        .collect();
    crate::book::template("2022年度调查表", "石门村", "2023-01-05", rows)
}

/// (code → actual) of `by_unit.csv` after a run.
fn actuals(w: &Workdir, plan: &Path, config: &Path) -> BTreeMap<String, String> {
    let out = w.run_with(plan, "out", &["--config", config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_csv(&w.path("out/data/by_unit.csv"))
        .into_iter()
        .map(|r| (r["indicator_code"].clone(), r["actual"].clone()))
        .collect()
}

#[test]
fn a_filled_form_in_the_bureaus_words_reads_like_a_standard_one() {
    let values = [
        ("101", n(6.0)),
        ("104", t("４")),
        ("105", n(12.0)),
        ("114", n(8.0)),
        ("115", n(7.0)),
        ("121", t("35,000元")),
    ];
    let w = Workdir::new("words-filled");
    let (plan, config) = setup(&w, true);
    w.submit("调查表.xlsx", &[guangzhou_filled(&values)]);
    let (json, _) = w.check_json(&plan, &["--config", config.to_str().unwrap()]);
    // The unit comes from 贫困村（盖章）：石门村, not the file name.
    assert_eq!(json["submissions"][0]["unit"], "石门村", "{json:#}");
    assert_eq!(json["submissions"][0]["status"], "accepted");
    let ours = actuals(&w, &plan, &config);
    let s = Workdir::new("words-standard");
    let (plan, config) = setup(&s, true);
    s.submit("石门村.xlsx", &[standard_filled(&values)]);
    assert_eq!(ours, actuals(&s, &plan, &config));
    assert_eq!(ours["121"], "35000");
    assert_eq!(ours["104"], "4");
}

#[test]
fn templates_write_the_bureaus_words_and_read_back() {
    let w = Workdir::new("words-template");
    let (plan, config) = setup(&w, true);
    let out = tally(&[
        "template",
        "--plan",
        plan.to_str().unwrap(),
        "--period",
        "2022-12",
        "--out",
        w.path("forms").to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let form = w.path("forms/石门村.xlsx");
    let rows = crate::common::sheet_rows(&form, "报表");
    let text = |r: usize| -> Vec<String> { rows[r].iter().map(|c| c.to_string()).collect() };
    assert_eq!(text(1)[0], "贫困村：石门村");
    let header = text(3);
    for word in ["编号", "填表项目", "单位", "数量"] {
        assert!(header.contains(&word.to_string()), "{header:?}");
    }
    // Sent back unfilled, it is recognised (its values are missing), and
    // without the words it would not be.
    std::fs::copy(&form, w.inbox().join("石门村.xlsx")).unwrap();
    let json = check(&w, &plan, &config);
    assert!(
        issues_with(&json, "no_indicator_table").is_empty(),
        "{json:#}"
    );
    assert_eq!(issues_with(&json, "missing_value").len(), ROWS.len());
}

#[test]
fn words_that_cannot_work_are_refused() {
    let w = Workdir::new("words-bad");
    let (plan, config) = setup(&w, false);
    // (exit code, stderr) of check with these settings.
    let refused = |settings: &str| {
        std::fs::write(&config, settings).unwrap();
        let out = w.check(&plan, &["--config", config.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), err)
    };
    let (code, err) = refused("[words]\ncode = [\"编号\"]\nname = [\"编号\"]\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("同时用于 code 和 name"), "{err}");
    let (code, err) = refused("[words]\nacutal = [\"数量\"]\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("“acutal”不是可用的设置项"), "{err}");
}
