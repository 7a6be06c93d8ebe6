//! Hostile and damaged input (issue 13): every case here was found by a
//! probe and got a wrong or silent answer before its fix.

use std::path::Path;

use serde_json::Value;

use crate::book::{C, Sheet, n, t, write_xlsx};
use crate::common::{Workdir, line, read_csv, small_plan, standard, tally};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `tally check` on a plan alone: its exit code and what it said.
fn check_plan(w: &Workdir, plan: &Path) -> (i32, String) {
    let out = tally(&[
        "check",
        "--plan",
        plan.to_str().unwrap(),
        "--inbox",
        w.inbox().to_str().unwrap(),
    ]);
    (out.status.code().unwrap(), stderr(&out))
}

#[test]
fn plan_values_that_would_give_wrong_results_are_refused_with_their_cells() {
    let w = Workdir::new("hostile_plan");
    let mut sheets = small_plan();
    // small_plan's 指标 has no 权重 column: add one, with a negative weight,
    // and min > max; a negative target; a unit that matches another once
    // spaces are dropped; addresses that only look like addresses.
    let mut inds = Sheet::new("指标").texts(&[
        "指标代码",
        "指标名称",
        "计量单位",
        "最小值",
        "最大值",
        "权重",
    ]);
    inds = inds
        .texts(&["FA01", "固定资产投资", "万元", "10", "5", "-5"])
        .texts(&["PJ01", "重点项目开复工", "个", "", "", "1"]);
    sheets[1] = inds;
    sheets[2] = Sheet::new("目标")
        .texts(&["单位名称", "指标代码", "年度目标"])
        .row(vec![t("清泉镇"), t("FA01"), n(-100.0)])
        .row(vec![t("大马营镇"), t("PJ01"), n(2.0)]);
    sheets[0] = Sheet::new("单位")
        .texts(&["单位名称", "别名", "类型", "邮箱"])
        .texts(&["清泉镇", "", "乡镇", "a@"])
        .texts(&["清泉 镇", "", "乡镇", "x y@example.org"])
        .texts(&["大马营镇", "", "乡镇", "a@b@example.org"]);
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    let (code, err) = check_plan(&w, &plan);
    assert_eq!(code, 2, "{err}");
    for expected in [
        "指标!F2：权重不能是负数",
        "指标!D2：最小值 10 大于最大值 5（E2）",
        "目标!C2：年度目标不能是负数",
        "单位!A3：名称或别名“清泉 镇”（A3）与“清泉镇”（A2）相同",
        "单位!D2：邮箱“a@”不是有效的邮件地址",
        "单位!D3：邮箱“x y@example.org”不是有效的邮件地址",
        "单位!D4：邮箱“a@b@example.org”不是有效的邮件地址",
    ] {
        assert!(err.contains(expected), "missing “{expected}” in:\n{err}");
    }
    // Every weight 0: no score can be computed.
    let mut sheets = small_plan();
    sheets[1] = Sheet::new("指标")
        .texts(&["指标代码", "指标名称", "计量单位", "权重"])
        .texts(&["FA01", "固定资产投资", "万元", "0"])
        .texts(&["PJ01", "重点项目开复工", "个", "0"]);
    sheets[2] = Sheet::new("目标")
        .texts(&["单位名称", "指标代码", "年度目标"])
        .row(vec![t("清泉镇"), t("FA01"), n(100.0)]);
    write_xlsx(&plan, &sheets);
    let (code, err) = check_plan(&w, &plan);
    assert_eq!(code, 2);
    assert!(err.contains("指标!D1：所有指标的权重都是 0"), "{err}");
}

#[test]
fn text_that_a_spreadsheet_would_run_is_written_as_text_in_csv() {
    let w = Workdir::new("hostile_csv");
    let plan = w.path("plan.xlsx");
    let mut sheets = small_plan();
    sheets[0] = Sheet::new("单位")
        .texts(&["单位名称", "类型"])
        .texts(&["=HYPERLINK(\"http://x\",\"点我\")", "乡镇"])
        .texts(&["清泉镇", "乡镇"]);
    sheets[2] = Sheet::new("目标")
        .texts(&["单位名称", "指标代码", "年度目标"])
        .row(vec![t("清泉镇"), t("FA01"), n(100.0)])
        .row(vec![
            t("=HYPERLINK(\"http://x\",\"点我\")"),
            t("FA01"),
            n(100.0),
        ]);
    write_xlsx(&plan, &sheets);
    w.submit(
        "清泉镇.xlsx",
        &[standard(
            "清泉镇",
            "2022-04-05",
            vec![line("FA01", n(20.0), "@SUM(1+1)")],
        )],
    );
    let out = w.run(&plan, "out");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let raw = std::fs::read_to_string(w.path("out/data/by_unit.csv")).unwrap();
    assert!(raw.contains("\"'=HYPERLINK("), "{raw}");
    assert!(
        !raw.lines()
            .any(|l| l.starts_with("=") || l.starts_with("\"=")),
        "{raw}"
    );
    let scores = read_csv(&w.path("out/data/scores.csv"));
    assert!(scores.iter().any(|r| r["unit"].starts_with("'=HYPERLINK")));
    // Numbers are never changed: a negative variance stays a number.
    let by_unit = read_csv(&w.path("out/data/by_unit.csv"));
    let qq = by_unit.iter().find(|r| r["unit"] == "清泉镇").unwrap();
    assert!(qq["variance"].starts_with('-') && qq["variance"].parse::<f64>().is_ok());
}

#[test]
fn units_whose_names_look_alike_get_their_own_files_and_mail() {
    let w = Workdir::new("hostile_names");
    let plan = w.path("plan.xlsx");
    let names = ["甲_乙-16", "甲/乙", "甲_乙"];
    let mut units = Sheet::new("单位").texts(&["单位名称", "类型", "邮箱"]);
    let mut targets = Sheet::new("目标").texts(&["单位名称", "指标代码", "年度目标"]);
    for (k, name) in names.iter().enumerate() {
        units = units.texts(&[name, "乡镇", &format!("u{k}@example.org")]);
        targets = targets.row(vec![t(name), t("X1"), n(10.0 + k as f64)]);
    }
    let inds = Sheet::new("指标")
        .texts(&["指标代码", "指标名称", "计量单位"])
        .texts(&["X1", "项目", "个"]);
    write_xlsx(&plan, &[units, inds, targets]);
    let out = w.run_with(&plan, "out", &["--allow-empty"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value =
        serde_json::from_slice(&std::fs::read(w.path("out/run.json")).unwrap()).unwrap();
    let feedback: Vec<String> = run["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["feedback"].as_str().unwrap().to_string())
        .collect();
    let distinct: std::collections::HashSet<&String> = feedback.iter().collect();
    assert_eq!(distinct.len(), 3, "{feedback:?}");
    // Each file is its own unit's: its title names it.
    for (u, f) in run["units"].as_array().unwrap().iter().zip(&feedback) {
        let rows = crate::common::sheet_rows(&w.path("out").join(f), "反馈");
        assert!(
            rows[0][0]
                .to_string()
                .starts_with(u["name"].as_str().unwrap()),
            "{f}"
        );
    }
    // The templates: three units, three files.
    let made = tally(&[
        "template",
        "--plan",
        plan.to_str().unwrap(),
        "--period",
        "2022-03",
        "--out",
        w.path("forms").to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0));
    assert_eq!(std::fs::read_dir(w.path("forms")).unwrap().count(), 3);
}

#[cfg(unix)]
#[test]
fn links_folders_and_pipes_in_the_inbox_are_reported_and_never_opened() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new("hostile_entries");
    let plan = w.plan();
    w.submit_qingquan();
    // A private workbook elsewhere, and a link to it in the inbox.
    let secret = w.path("secret.xlsx");
    write_xlsx(
        &secret,
        &[standard(
            "大马营镇",
            "2022-04-05",
            vec![line("FA01", n(200.0), "")],
        )],
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&secret, w.inbox().join("大马营镇.xlsx")).unwrap();
    std::os::unix::fs::symlink(w.path("nowhere.xlsx"), w.inbox().join("断链.xlsx")).unwrap();
    std::fs::create_dir(w.inbox().join("旧报表.xlsx")).unwrap();
    let fifo = w.inbox().join("管道.xlsx");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // A pipe opened for reading would block for ever: the run must end.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["run", "--plan"])
        .arg(&plan)
        .arg("--inbox")
        .arg(w.inbox())
        .args(["--period", "2022-03", "--out"])
        .arg(w.path("out"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut waited = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        waited += 1;
        if waited > 600 {
            let _ = child.kill();
            panic!("tally run hung on the inbox's special entries");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0));
    let subs = read_csv(&w.path("out/data/submissions.csv"));
    let issues = read_csv(&w.path("out/data/issues.csv"));
    for (file, what) in [
        ("大马营镇.xlsx", "符号链接"),
        ("断链.xlsx", "符号链接"),
        ("旧报表.xlsx", "文件夹"),
        ("管道.xlsx", "管道"),
    ] {
        let s = subs
            .iter()
            .find(|s| s["file"] == file)
            .unwrap_or_else(|| panic!("{file} listed"));
        assert_eq!(s["status"], "rejected", "{file}");
        let i = issues.iter().find(|i| i["file"] == file).unwrap();
        assert_eq!(i["code"], "not_a_workbook");
        assert!(i["message"].contains(what), "{file}: {}", i["message"]);
    }
    // The linked workbook was not taken as 大马营镇's, nor archived.
    let daying = subs.iter().find(|s| s["unit"] == "大马营镇").unwrap();
    assert_eq!(daying["status"], "missing");
    let secret_sha = tally::files::sha256_hex(&std::fs::read(&secret).unwrap());
    let archived: Vec<String> = walk(&w.path("store/archive"));
    assert!(
        !archived.iter().any(|p| p.contains(&secret_sha)),
        "{archived:?}"
    );
    // What the store keeps is private to its owner.
    assert!(!archived.is_empty());
    for p in &archived {
        let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let expected = if Path::new(p).is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, expected, "{p}");
    }
    for dir in ["store", "store/tables", "store/periods"] {
        let mode = std::fs::metadata(w.path(dir)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{dir}");
    }
    for e in std::fs::read_dir(w.path("store/tables")).unwrap() {
        let mode = e.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

/// Every path below `dir`, folders included.
#[cfg(unix)]
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        out.push(p.display().to_string());
        if p.is_dir() {
            out.extend(walk(&p));
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn the_store_is_locked_by_the_system_and_freed_when_its_holder_dies() {
    let w = Workdir::new("hostile_lock");
    let plan = w.plan();
    w.submit_qingquan();
    assert_eq!(w.run(&plan, "out").status.code(), Some(0));
    // Another process holds the store's lock (flock(2), as tally takes it).
    let mut holder = std::process::Command::new("flock")
        .args(["-x", "-o"])
        .arg(w.path("store/.lock"))
        .args(["sleep", "60"])
        .spawn()
        .expect("flock(1) runs");
    let mut out = w.run(&plan, "out");
    for _ in 0..50 {
        if out.status.code() == Some(2) {
            break;
        }
        // flock may not have taken the lock yet.
        std::thread::sleep(std::time::Duration::from_millis(100));
        out = w.run(&plan, "out");
    }
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("正被另一次汇总使用"),
        "{}",
        stderr(&out)
    );
    // Killed outright, the holder leaves a lock file but no lock.
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(w.path("store/.lock").exists());
    let out = w.run(&plan, "out");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_file_for_another_period_says_so_instead_of_false_explanations() {
    let w = Workdir::new("hostile_period");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in ["清泉镇.xlsx", "李桥乡.xlsx", "大马营镇-3月.xlsx"] {
        std::fs::copy(
            root.join("samples/inbox/2022-03").join(f),
            w.inbox().join(f),
        )
        .unwrap();
    }
    // A template of March, filled (its hidden sheet says 2022-03).
    std::fs::copy(
        root.join("tests/fixtures/清泉镇-模板已填.xlsx"),
        w.inbox().join("已填模板.xlsx"),
    )
    .unwrap();
    let plan = root.join("samples/plan.xlsx");
    let (april, _) = w.check_json(&plan, &["--period", "2022-04"]);
    let mismatch = crate::common::issues_with(&april, "period_mismatch");
    let by_file = |f: &str| {
        mismatch
            .iter()
            .find(|i| i["file"] == f)
            .unwrap_or_else(|| panic!("no period_mismatch for {f}: {april:#}"))
    };
    // The template's period is certain: an error, the file not used.
    let tpl = by_file("已填模板.xlsx");
    assert_eq!(tpl["severity"], "error");
    assert!(tpl["message"].as_str().unwrap().contains("2022年3月的模板"));
    assert_eq!(
        crate::common::submission(&april, "已填模板.xlsx")["status"],
        "rejected"
    );
    // A title says it: a warning, naming what it says.
    for f in ["清泉镇.xlsx", "李桥乡.xlsx", "大马营镇-3月.xlsx"] {
        assert_eq!(by_file(f)["severity"], "warning");
        assert_eq!(crate::common::submission(&april, f)["status"], "accepted");
    }
    assert!(
        by_file("李桥乡.xlsx")["message"]
            .as_str()
            .unwrap()
            .contains("一季度")
    );
    // No expected-progress warnings computed for the wrong period.
    assert!(crate::common::issues_with(&april, "missing_explanation").is_empty());
    // For March, nothing of the kind.
    let (march, _) = w.check_json(&plan, &["--period", "2022-03"]);
    assert!(
        crate::common::issues_with(&march, "period_mismatch").is_empty(),
        "{march:#}"
    );
}

/// A zip archive holding `parts`.
fn zip_with(parts: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    for (name, bytes) in parts {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

/// `xlsx` with `part` rewritten by `change`.
fn with_part(xlsx: &Path, part: &str, change: impl Fn(&str) -> String) {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for k in 0..zip.len() {
        let mut f = zip.by_index(k).unwrap();
        let name = f.name().unwrap().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == part {
            bytes = change(std::str::from_utf8(&bytes).unwrap()).into_bytes();
        }
        parts.push((name, bytes));
    }
    let parts: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    std::fs::write(xlsx, zip_with(&parts)).unwrap();
}

#[test]
fn a_damaged_sheet_refuses_the_file_and_no_other_sheet_stands_in() {
    let w = Workdir::new("hostile_damaged_sheet");
    let plan = w.plan();
    // This month's table, and last month's copy on a second sheet with
    // other figures; then one cell of this month's sheet is damaged.
    let now = standard("清泉镇", "2022-04-05", vec![line("FA01", n(4320.0), "")]);
    let mut before = standard("清泉镇", "2022-03-05", vec![line("FA01", n(2592.0), "")]);
    before.name = "2月".into();
    let file = w.submit("清泉镇.xlsx", &[now, before]);
    let (json, _) = w.check_json(&plan, &["--period", "2022-03"]);
    assert!(
        crate::common::issues_with(&json, "unreadable_file").is_empty(),
        "read whole before the damage: {json:#}"
    );
    with_part(&file, "xl/worksheets/sheet1.xml", |xml| {
        xml.replacen(
            "</sheetData>",
            r#"<row r="99"><c r="F99" t="x"><v>1</v></c></row></sheetData>"#,
            1,
        )
    });
    let (json, code) = w.check_json(&plan, &["--period", "2022-03"]);
    assert_eq!(code, 1);
    let refused = crate::common::issues_with(&json, "unreadable_file");
    assert_eq!(refused.len(), 1, "{json:#}");
    let message = refused[0]["message"].as_str().unwrap();
    assert!(
        message.contains("已损坏，无法完整读取，数值都未采用") && message.contains("另存为"),
        "{message}"
    );
    // Nothing of the second sheet was taken for this month's figures.
    assert!(
        !json.to_string().contains("2592"),
        "last month's sheet stood in: {json:#}"
    );

    // A newer Excel's error value the reader does not know: said as the
    // formula error it is, which saving again would not mend.
    let w2 = Workdir::new("hostile_calc_error");
    let file = w2.submit(
        "清泉镇.xlsx",
        &[standard(
            "清泉镇",
            "2022-04-05",
            vec![line("FA01", n(4320.0), "")],
        )],
    );
    with_part(&file, "xl/worksheets/sheet1.xml", |xml| {
        xml.replacen(
            "</sheetData>",
            r#"<row r="99"><c r="F99" t="e"><f>FILTER(A4:A4,B4:B4="否")</f><v>#CALC!</v></c></row></sheetData>"#,
            1,
        )
    });
    let (json, _) = w2.check_json(&w2.plan(), &["--period", "2022-03"]);
    let refused = crate::common::issues_with(&json, "unreadable_file");
    assert!(
        refused[0]["message"]
            .as_str()
            .unwrap()
            .contains("工作表“Sheet1”中有公式出错（#CALC!）"),
        "{json:#}"
    );

    // A damaged sheet after the table is found: the file is used, and the
    // project table that may have been on it is said to be unreadable.
    let w = Workdir::new("hostile_damaged_later_sheet");
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/plan.xlsx");
    let table = standard("位奇镇", "2022-04-05", vec![line("FA01", n(1080.0), "")]);
    let mut projects = Sheet::new("重点项目");
    projects.rows = crate::book::project_table(vec![(
        "位奇镇肉羊现代农业产业园",
        t("否"),
        C::E,
        n(0.0),
        "用地未批",
    )]);
    let file = w.submit("位奇镇.xlsx", &[table, projects]);
    with_part(&file, "xl/worksheets/sheet2.xml", |xml| {
        xml.replacen(
            "</sheetData>",
            r#"<row r="99"><c r="F99" t="x"><v>1</v></c></row></sheetData>"#,
            1,
        )
    });
    let (json, _) = w.check_json(&plan, &["--period", "2022-03"]);
    assert_eq!(
        crate::common::submission(&json, "位奇镇.xlsx")["status"],
        "accepted"
    );
    let missing = crate::common::issues_with(&json, "missing_project");
    assert_eq!(missing.len(), 1, "{json:#}");
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("工作表“重点项目”无法读取"),
        "{}",
        missing[0]["message"]
    );
}

#[test]
fn files_that_would_cost_too_much_are_too_large_and_nothing_is_cut_silently() {
    let w = Workdir::new("hostile_limits");
    let plan = w.plan();
    // A zip bomb: 256 MB of zeros in a file of a few hundred KB.
    let zeros = vec![0u8; 256 << 20];
    let bomb = zip_with(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/worksheets/sheet1.xml", &zeros),
    ]);
    drop(zeros);
    std::fs::write(w.inbox().join("清泉镇.xlsx"), &bomb).unwrap();
    // An ODS of a few hundred bytes declaring 50 million cells.
    let row = r#"<table:table-row table:number-rows-repeated="10000"><table:table-cell table:number-columns-repeated="5000" office:value-type="float" office:value="1"/></table:table-row>"#;
    let content = format!(
        r#"<?xml version="1.0"?><office:document-content><office:body><office:spreadsheet><table:table table:name="表1">{row}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let ods = zip_with(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", content.as_bytes()),
    ]);
    std::fs::write(w.inbox().join("大马营镇.ods"), &ods).unwrap();
    // A real table on a sheet past the cell cap: its rows are not missing,
    // the sheet is too large.
    let mut big = crate::common::standard(
        "县发展和改革局",
        "2022-04-05",
        vec![line("FA01", n(1.0), "")],
    );
    for r in 0..40_001u32 {
        big.rows
            .push(vec![t("填充"), n(f64::from(r)), n(1.0), n(2.0), n(3.0)]);
    }
    w.submit("发改局.xlsx", &[big]);
    let (json, code) = w.check_json(&plan, &["--period", "2022-03"]);
    assert_eq!(code, 1);
    let too_large = crate::common::issues_with(&json, "too_large");
    let said = |f: &str| {
        too_large
            .iter()
            .find(|i| i["file"] == f)
            .unwrap_or_else(|| panic!("{f} not too_large: {json:#}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        said("清泉镇.xlsx").contains("解压后"),
        "{}",
        said("清泉镇.xlsx")
    );
    assert!(
        said("大马营镇.ods").contains("50000000"),
        "{}",
        said("大马营镇.ods")
    );
    assert!(
        said("发改局.xlsx").contains("200000"),
        "{}",
        said("发改局.xlsx")
    );
    assert!(
        crate::common::issues_with(&json, "missing_value")
            .iter()
            .all(|i| i["file"] != "发改局.xlsx"),
        "an unread sheet's rows are never called missing"
    );
    // A flag that does not fit is refused, not wrapped to 0.
    let out = w.check(&plan, &["--max-file-mb", "18446744073709551615"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--max-file-mb"), "{}", stderr(&out));
}

#[test]
fn a_readers_own_words_go_to_a_log_never_to_a_clerk() {
    let w = Workdir::new("hostile_panic");
    let corpus = crate::corpus::corpus_dir();
    // calamine panics on this file ("no entry found for key").
    std::fs::copy(
        corpus.join("apache_poi/Simple.xlsb"),
        w.inbox().join("清泉镇.xlsb"),
    )
    .unwrap();
    w.submit(
        "大马营镇.xlsx",
        &[standard(
            "大马营镇",
            "2022-04-05",
            vec![line("FA01", n(200.0), "")],
        )],
    );
    let out = w.run(&w.plan(), "out");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let issues = read_csv(&w.path("out/data/issues.csv"));
    let mine = issues.iter().find(|i| i["file"] == "清泉镇.xlsb").unwrap();
    assert_eq!(mine["code"], "unreadable_file");
    assert!(!mine["message"].contains("entry") && mine["message"].contains("另存为"));
    let log = std::fs::read_to_string(w.path("out/read-errors.log")).unwrap();
    assert!(
        log.contains("清泉镇.xlsb") && log.contains("no entry found for key"),
        "{log}"
    );
    // The file replaced by a good one and the run done again into the
    // same folder: no log about a file no longer there.
    std::fs::remove_file(w.inbox().join("清泉镇.xlsb")).unwrap();
    let out = w.run(&w.plan(), "out");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!w.path("out/read-errors.log").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn readers_die_with_a_killed_run_and_keep_their_own_time() {
    let w = Workdir::new("hostile_workers");
    w.submit_qingquan();
    let plan = w.plan();
    // Every read spins for 60 s, as a reader caught in a loop would.
    let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["run", "--plan"])
        .arg(&plan)
        .arg("--inbox")
        .arg(w.inbox())
        .args(["--period", "2022-03", "--out"])
        .arg(w.path("out"))
        .env("TALLY_TEST_READ_SPIN_MS", "60000")
        // Each reader slow to start, as on a busy system: the run is
        // killed before one can ask who its parent is.
        .env("TALLY_TEST_WORKER_START_MS", "500")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Readers are started from the run's threads: each task lists its own.
    let workers = |parent: u32| -> Vec<u32> {
        std::fs::read_dir(format!("/proc/{parent}/task"))
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|t| {
                std::fs::read_to_string(t.path().join("children"))
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect::<Vec<u32>>()
            })
            .collect()
    };
    let mut found = Vec::new();
    for _ in 0..100 {
        found = workers(run.id());
        if !found.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!found.is_empty(), "the run started a reader");
    run.kill().unwrap(); // SIGKILL: no chance to clean up
    run.wait().unwrap();
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
    };
    for _ in 0..50 {
        if !found.iter().any(|&p| alive(p)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!found.iter().any(|&p| alive(p)), "readers outlived the run");

    // Alone, a reader gives up a file after its own limit.
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args([
            "__worker",
            "--max-bytes",
            "1000000",
            "--memory-limit",
            "2000000000",
            "--timeout",
            "1",
        ])
        .env("TALLY_TEST_READ_SPIN_MS", "60000")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    let path = w.inbox().join("清泉镇.xlsx");
    let hex: String = path
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    writeln!(worker.stdin.as_mut().unwrap(), "{hex}").unwrap();
    let mut ended = None;
    for _ in 0..150 {
        if let Some(status) = worker.try_wait().unwrap() {
            ended = Some(status);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = worker.kill();
    assert!(
        ended.is_some_and(|s| !s.success()),
        "the reader ended itself"
    );
}

/// Five files of three units, read by `jobs` workers, with the test
/// hooks `env` set; the parsed `check --format json`.
fn check_five_files(name: &str, jobs: &str, env: &[(&str, &str)]) -> Value {
    check_five_files_in(&Workdir::new(name), jobs, env)
}

/// [`check_five_files`] in a work folder the caller keeps.
fn check_five_files_in(w: &Workdir, jobs: &str, env: &[(&str, &str)]) -> Value {
    let clean = || crate::common::qingquan_clean();
    for (file, unit) in [
        ("1清泉镇.xlsx", "清泉镇"),
        ("2清泉镇.xlsx", "清泉镇"),
        ("3大马营镇.xlsx", "大马营镇"),
        ("4大马营镇.xlsx", "大马营镇"),
        ("5发改局.xlsx", "县发展和改革局"),
    ] {
        w.submit(file, &[standard(unit, "2022-04-05", clean())]);
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tally"));
    cmd.args(["check", "--format", "json", "--jobs", jobs, "--plan"])
        .arg(w.plan())
        .arg("--inbox")
        .arg(w.inbox());
    for (k, v) in env {
        // A path-valued hook lives in the work folder.
        let v = v.replace("{dir}", &w.path("").to_string_lossy());
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_files_queued_behind_one_that_ends_its_reader_are_all_read() {
    // A reader is given the next path before it answers the last (issue
    // 15): when a file ends it, those queued behind must go to a fresh
    // reader, none lost and none blamed.
    let json = check_five_files(
        "hostile_queue",
        "1",
        &[("TALLY_TEST_READ_EXIT_ON", "2清泉镇")],
    );
    let unreadable = crate::common::issues_with(&json, "unreadable_file");
    assert_eq!(unreadable.len(), 1, "{json:#}");
    assert_eq!(unreadable[0]["file"], "2清泉镇.xlsx");
    // Read, every one: the later file of a unit supersedes the earlier.
    for (f, status) in [
        ("1清泉镇.xlsx", "accepted"),
        ("3大马营镇.xlsx", "superseded"),
        ("4大马营镇.xlsx", "accepted"),
        ("5发改局.xlsx", "accepted"),
    ] {
        let s = crate::common::submission(&json, f);
        assert_eq!(s["status"], status, "{f}: {json:#}");
        assert_eq!(s["errors"], 0, "{f}: {json:#}");
    }
}

#[test]
fn a_file_whose_reader_was_killed_once_is_read_again_not_blamed() {
    // The first worker to reach 2清泉镇 ends, as one killed from outside
    // (or dying between files) would; the file itself is sound.
    let json = check_five_files(
        "hostile_killed_once",
        "1",
        &[
            ("TALLY_TEST_READ_EXIT_ON", "2清泉镇"),
            ("TALLY_TEST_READ_EXIT_MARK", "{dir}/ended"),
        ],
    );
    assert!(
        crate::common::issues_with(&json, "unreadable_file").is_empty(),
        "{json:#}"
    );
    for (f, status) in [
        ("1清泉镇.xlsx", "superseded"),
        ("2清泉镇.xlsx", "accepted"),
        ("3大马营镇.xlsx", "superseded"),
        ("4大马营镇.xlsx", "accepted"),
        ("5发改局.xlsx", "accepted"),
    ] {
        let s = crate::common::submission(&json, f);
        assert_eq!(s["status"], status, "{f}: {json:#}");
    }
}

#[test]
fn files_left_when_no_new_reader_starts_are_reported_unread_not_read_unguarded() {
    // Only one worker may start (a system out of processes): after 2清泉镇
    // ends it, no file may be read in tally's own process, where a hostile
    // one could take the run down. 2清泉镇 keeps its own reason (it may be
    // the file's fault); each of the others is reported saying it is not.
    let json = check_five_files(
        "hostile_no_reader",
        "1",
        &[
            ("TALLY_TEST_READ_EXIT_ON", "2清泉镇"),
            ("TALLY_TEST_SPAWN_LIMIT", "1"),
        ],
    );
    assert_eq!(
        crate::common::submission(&json, "1清泉镇.xlsx")["status"],
        "accepted",
        "{json:#}"
    );
    let unreadable = crate::common::issues_with(&json, "unreadable_file");
    let files: Vec<&str> = unreadable
        .iter()
        .map(|i| i["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "2清泉镇.xlsx",
            "3大马营镇.xlsx",
            "4大马营镇.xlsx",
            "5发改局.xlsx"
        ],
        "{json:#}"
    );
    let ended = unreadable[0]["message"].as_str().unwrap();
    assert!(ended.contains("文件内容异常"), "{ended}");
    for i in &unreadable[1..] {
        let message = i["message"].as_str().unwrap();
        assert!(message.contains("无法启动读取程序"), "{message}");
        assert!(message.contains("不是文件的问题"), "{message}");
    }
}

#[test]
fn a_lane_whose_reader_will_not_start_hands_its_files_to_the_others() {
    // Two workers; the one on 2清泉镇 is ended once (the file is sound) and
    // no third may start. The other worker is still there: it reads
    // 2清泉镇 and the rest, and nothing is reported unread.
    let json = check_five_files(
        "hostile_hand_over",
        "2",
        &[
            ("TALLY_TEST_READ_EXIT_ON", "2清泉镇"),
            ("TALLY_TEST_READ_EXIT_MARK", "{dir}/ended"),
            ("TALLY_TEST_SPAWN_LIMIT", "2"),
        ],
    );
    assert!(
        crate::common::issues_with(&json, "unreadable_file").is_empty(),
        "{json:#}"
    );
    for f in ["2清泉镇.xlsx", "4大马营镇.xlsx", "5发改局.xlsx"] {
        let s = crate::common::submission(&json, f);
        assert_eq!(s["status"], "accepted", "{f}: {json:#}");
    }
}

#[test]
fn files_are_read_in_process_only_where_no_reader_can_ever_run() {
    let statuses = |json: &Value| -> Vec<String> {
        json["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["file"].is_string())
            .map(|s| s["status"].as_str().unwrap().to_string())
            .collect()
    };
    // The program cannot be found: read here, every file.
    let json = check_five_files(
        "hostile_no_program",
        "2",
        &[
            ("TALLY_TEST_SPAWN_LIMIT", "0"),
            ("TALLY_TEST_SPAWN_MISSING", "1"),
        ],
    );
    assert!(
        crate::common::issues_with(&json, "unreadable_file").is_empty(),
        "{json:#}"
    );
    assert_eq!(
        statuses(&json),
        [
            "superseded",
            "accepted",
            "superseded",
            "accepted",
            "accepted"
        ],
        "{json:#}"
    );
    // Out of processes from the start: never read here, all reported.
    let json = check_five_files(
        "hostile_no_process",
        "2",
        &[("TALLY_TEST_SPAWN_LIMIT", "0")],
    );
    assert_eq!(
        crate::common::issues_with(&json, "unreadable_file").len(),
        5,
        "{json:#}"
    );
    assert!(statuses(&json).iter().all(|s| s == "rejected"), "{json:#}");
}

#[test]
fn a_file_that_ended_its_reader_keeps_that_reason_when_the_budget_ends_its_second_reading() {
    // Each read spins 4 s. 2清泉镇 ends its worker at 8 s; read again, it
    // is cut at 10 s by the run's budget: it is still the file that ended
    // a reader, not one merely left unread for lack of time.
    let w = Workdir::new("hostile_second_reading");
    let clean = || crate::common::qingquan_clean();
    w.submit("1清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", clean())]);
    w.submit("2清泉镇.xlsx", &[standard("清泉镇", "2022-04-05", clean())]);
    w.submit(
        "3大马营镇.xlsx",
        &[standard("大马营镇", "2022-04-05", clean())],
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["check", "--format", "json", "--jobs", "1"])
        .args(["--read-budget", "10", "--plan"])
        .arg(w.plan())
        .arg("--inbox")
        .arg(w.inbox())
        .env("TALLY_TEST_READ_SPIN_MS", "4000")
        .env("TALLY_TEST_READ_EXIT_ON", "2清泉镇")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = |f: &str| {
        crate::common::issues_with(&json, "unreadable_file")
            .iter()
            .find(|i| i["file"] == f)
            .map(|i| i["message"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        crate::common::submission(&json, "1清泉镇.xlsx")["status"],
        "accepted",
        "{json:#}"
    );
    assert!(message("2清泉镇.xlsx").contains("文件内容异常"), "{json:#}");
    assert!(message("3大马营镇.xlsx").contains("总时间"), "{json:#}");
}

#[test]
fn a_reading_thread_that_fails_ends_the_run_instead_of_hanging_it() {
    // One lane's thread panics (a bug, or no thread to be had) while the
    // other, its files done, waits for every file to be answered: it must
    // stop waiting. Each read spins, so the other lane is waiting first.
    let w = Workdir::new("hostile_lane_panic");
    let clean = || crate::common::qingquan_clean();
    for (file, unit) in [
        ("1清泉镇.xlsx", "清泉镇"),
        ("2大马营镇.xlsx", "大马营镇"),
        ("3发改局.xlsx", "县发展和改革局"),
    ] {
        w.submit(file, &[standard(unit, "2022-04-05", clean())]);
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["check", "--format", "json", "--jobs", "2", "--plan"])
        .arg(w.plan())
        .arg("--inbox")
        .arg(w.inbox())
        .env("TALLY_TEST_READ_SPIN_MS", "300")
        .env("TALLY_TEST_LANE_PANIC_ON", "3发改局")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut ended = None;
    for _ in 0..600 {
        if let Some(status) = child.try_wait().unwrap() {
            ended = Some(status);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ended.is_some(),
        "the run hung after a reading thread failed"
    );
}

#[test]
fn a_bug_is_said_in_chinese_exits_2_and_takes_back_the_runs_folders() {
    // A panic of tally's own (here a reading thread's) is a bug: one
    // Chinese sentence saying so, then the panic's text for whoever mends
    // it; exit 2 (could not work), not Rust's 101; and the output folder
    // and the store the run made are gone, as after any failed run.
    let w = Workdir::new("hostile_bug");
    w.submit_qingquan();
    let out = w.path("deep/out");
    let store = w.path("deep/store");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["run", "--period", "2022-03", "--plan"])
        .arg(w.plan())
        .arg("--inbox")
        .arg(w.inbox())
        .arg("--out")
        .arg(&out)
        .arg("--store")
        .arg(&store)
        .env("TALLY_TEST_LANE_PANIC_ON", "清泉镇")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(tally::errors::BUG),
        "the bug is said first: {stderr}"
    );
    assert_eq!(stderr.matches("内部错误").count(), 1, "said once: {stderr}");
    assert!(stderr.contains("本次汇总没有记入历史"), "{stderr}");
    assert!(stderr.contains("TALLY_TEST_LANE_PANIC_ON"), "{stderr}");
    assert!(!w.path("deep").exists(), "folders left: {stderr}");
}

#[test]
fn hostile_files_cannot_cost_more_than_the_runs_reading_budget() {
    let w = Workdir::new("hostile_budget");
    w.submit_qingquan();
    w.submit(
        "大马营镇.xlsx",
        &[standard(
            "大马营镇",
            "2022-04-05",
            vec![line("FA01", n(200.0), "")],
        )],
    );
    // Each read would spin 30 s within a 60 s file timeout: the run's
    // 10 s budget ends both, the second unread.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args([
            "check",
            "--format",
            "json",
            "--jobs",
            "1",
            "--read-budget",
            "10",
            "--plan",
        ])
        .arg(w.plan())
        .arg("--inbox")
        .arg(w.inbox())
        .env("TALLY_TEST_READ_SPIN_MS", "30000")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let unreadable = crate::common::issues_with(&json, "unreadable_file");
    assert_eq!(unreadable.len(), 2, "{json:#}");
    for i in unreadable {
        assert!(
            i["message"]
                .as_str()
                .unwrap()
                .contains("总时间（10 秒）已用完"),
            "{i}"
        );
    }
}

/// [`check_five_files`] with the first `n` workers ending unready
/// (`TALLY_TEST_WORKER_UNREADY`), and how many did: each made a file
/// named by its number in the work folder.
fn check_with_unready_workers(name: &str, n: &str) -> (Value, usize) {
    let w = Workdir::new(name);
    let json = check_five_files_in(
        &w,
        "1",
        &[
            ("TALLY_TEST_WORKER_UNREADY", n),
            ("TALLY_TEST_WORKER_UNREADY_DIR", "{dir}"),
        ],
    );
    let unready = std::fs::read_dir(w.path(""))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().parse::<u32>().is_ok()
        })
        .count();
    (json, unready)
}

#[test]
fn a_reader_that_ends_before_its_first_file_is_replaced_and_no_file_is_blamed() {
    // A worker that cannot set itself up (out of threads) ends before
    // reading anything: a failed start, tried again, never the fault of
    // the file it had been given.
    let (json, unready) = check_with_unready_workers("hostile_unready_once", "2");
    assert_eq!(unready, 2, "the hook ended two workers");
    let unreadable = crate::common::issues_with(&json, "unreadable_file");
    assert!(unreadable.is_empty(), "{json:#}");
    for (f, status) in [
        ("2清泉镇.xlsx", "accepted"),
        ("4大马营镇.xlsx", "accepted"),
        ("5发改局.xlsx", "accepted"),
    ] {
        assert_eq!(
            crate::common::submission(&json, f)["status"],
            status,
            "{f}: {json:#}"
        );
    }
}

#[test]
fn files_whose_readers_all_end_unready_are_reported_unread_after_retries() {
    // No worker ever gets ready: after the retries every file is reported
    // unread, saying it is not the file's fault, none read in tally's own
    // process; and the run does not go on starting workers without end.
    let (json, started) = check_with_unready_workers("hostile_unready_always", "1000");
    let unreadable = crate::common::issues_with(&json, "unreadable_file");
    assert_eq!(unreadable.len(), 5, "{json:#}");
    for i in &unreadable {
        let message = i["message"].as_str().unwrap();
        assert!(message.contains("无法启动读取程序"), "{message}");
        assert!(message.contains("不是文件的问题"), "{message}");
    }
    // More workers than files: a failed start is tried again before the
    // files are given up.
    assert!(
        (6..20).contains(&started),
        "tried again before giving up, then once a file: {started} workers"
    );
}
