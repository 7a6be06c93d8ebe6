//! History across runs: escalation over three months, `decreased`, the
//! same period twice, a run killed before its manifest, the lock, the
//! archive, the trend and what changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};

use crate::book::{C, Sheet, n, t, template, write_xlsx};
use crate::common::{Workdir, read_csv, tally};

/// One township, four linear indicators (1200 a year: 100 a month expected)
/// and one ceiling.
fn plan(w: &Workdir) -> PathBuf {
    let p = w.path("plan.xlsx");
    write_xlsx(
        &p,
        &[
            Sheet::new("单位")
                .texts(&["单位名称", "类型"])
                .texts(&["甲镇", "乡镇"]),
            Sheet::new("指标")
                .texts(&["指标代码", "指标名称", "计量单位", "方向", "进度"])
                .texts(&["A1", "一直滞后", "万元", ""])
                .texts(&["A2", "追上进度", "万元", ""])
                .texts(&["A3", "数值下降", "万元", ""])
                .texts(&["L1", "事故", "起", "逆向"])
                .texts(&["P1", "普及率", "%", "", "水平"]),
            Sheet::new("目标")
                .texts(&["单位名称", "指标代码", "年度目标"])
                .row(vec![t("甲镇"), t("A1"), n(1200.0)])
                .row(vec![t("甲镇"), t("A2"), n(1200.0)])
                .row(vec![t("甲镇"), t("A3"), n(1200.0)])
                .row(vec![t("甲镇"), t("L1"), n(1.0)])
                .row(vec![t("甲镇"), t("P1"), n(0.8)]),
        ],
    );
    p
}

/// 甲镇's submission for `month` with (A1, A2, A3, L1), each with a reason
/// so no missing_explanation clutters the issues.
fn submit(w: &Workdir, month: u32, values: [f64; 4]) -> PathBuf {
    // P1, a level, goes down from 86% to 84%: honest, not `decreased`.
    let level = if month == 1 { 0.86 } else { 0.84 };
    let inbox = w.path(&format!("in{month:02}"));
    std::fs::create_dir_all(&inbox).unwrap();
    let rows: Vec<Vec<C>> = ["A1", "A2", "A3", "L1", "P1"]
        .iter()
        .zip(values.into_iter().chain([level]))
        .map(|(code, v)| vec![t(code), C::E, C::E, C::E, n(v), t("原因已说明")])
        .collect();
    write_xlsx(
        &inbox.join("甲镇.xlsx"),
        &[template("表", "甲镇", &format!("2022-{month:02}-28"), rows)],
    );
    inbox
}

fn run(w: &Workdir, plan: &Path, month: u32, inbox: &Path) -> std::process::Output {
    run_as(w, plan, &format!("2022-{month:02}"), inbox)
}

/// `tally run` for `period` into out/<period>, with the store beside it.
fn run_as(w: &Workdir, plan: &Path, period: &str, inbox: &Path) -> std::process::Output {
    tally(&[
        "run",
        "--plan",
        plan.to_str().unwrap(),
        "--inbox",
        inbox.to_str().unwrap(),
        "--period",
        period,
        "--out",
        w.path(&format!("out/{period}")).to_str().unwrap(),
    ])
}

fn warnings(w: &Workdir, month: u32) -> HashMap<String, String> {
    read_csv(&w.path(&format!("out/2022-{month:02}/data/by_unit.csv")))
        .into_iter()
        .map(|r| (r["indicator_code"].clone(), r["warning"].clone()))
        .collect()
}

/// Three months: A1 behind throughout, A2 catches up in February, A3 falls
/// in February, L1 over its ceiling (2 accidents against 1) throughout.
fn three_months(w: &Workdir) -> PathBuf {
    let p = plan(w);
    for (month, values) in [
        (1, [10.0, 10.0, 100.0, 2.0]),
        (2, [20.0, 200.0, 80.0, 2.0]),
        (3, [30.0, 300.0, 300.0, 2.0]),
    ] {
        let inbox = submit(w, month, values);
        let out = run(w, &p, month, &inbox);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    p
}

#[test]
fn warnings_escalate_blue_yellow_red_and_clear_and_falls_are_reported() {
    let w = Workdir::new("history_escalate");
    three_months(&w);
    let (jan, feb, mar) = (warnings(&w, 1), warnings(&w, 2), warnings(&w, 3));
    assert_eq!(
        (jan["A1"].as_str(), feb["A1"].as_str(), mar["A1"].as_str()),
        ("blue", "yellow", "red")
    );
    assert_eq!(
        (jan["A2"].as_str(), feb["A2"].as_str()),
        ("blue", ""),
        "caught up: cleared"
    );
    assert_eq!(
        (jan["L1"].as_str(), mar["L1"].as_str()),
        ("red", "red"),
        "a breach is red"
    );
    // A3 fell from 100 to 80 in February.
    let feb_issues = read_csv(&w.path("out/2022-02/data/issues.csv"));
    let fall: Vec<_> = feb_issues
        .iter()
        .filter(|i| i["code"] == "decreased")
        .collect();
    assert_eq!(fall.len(), 1, "{feb_issues:?}");
    assert_eq!(
        (fall[0]["indicator_code"].as_str(), fall[0]["cell"].as_str()),
        ("A3", "E6")
    );
    assert!(fall[0]["message"].contains("上期（2022年1月）"));
    assert!(
        read_csv(&w.path("out/2022-03/data/issues.csv"))
            .iter()
            .all(|i| i["code"] != "decreased")
    );
    // The trend of March shows the three months.
    let book = w.path("out/2022-03/consolidated.xlsx");
    let rows: Vec<Vec<Data>> = open_workbook_auto(&book)
        .unwrap()
        .worksheet_range("趋势")
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect();
    let labels: Vec<String> = rows[1..].iter().map(|r| r[0].to_string()).collect();
    assert_eq!(labels, ["2022年1月", "2022年2月", "2022年3月"]);
    assert_eq!(rows[1][1], Data::Float(1.0 / 12.0));
    // Every input is archived under its hash.
    let subs = read_csv(&w.path("out/2022-03/data/submissions.csv"));
    let sha = &subs[0]["sha256"];
    assert!(
        w.path(&format!("out/store/archive/{}/{sha}.xlsx", &sha[..2]))
            .is_file()
    );
    // tally history lists the three periods.
    let h = tally(&["history", "--store", w.path("out/store").to_str().unwrap()]);
    let text = String::from_utf8(h.stdout).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("2022-0")).count(),
        3,
        "{text}"
    );
}

#[test]
fn a_store_of_months_and_a_quarter_escalates_from_the_latest_period_before() {
    // February on track, the first quarter behind (blue), April behind:
    // the period before April is the quarter (ends 31 March), not
    // February, so April is yellow. The store lists 2022-02 after 2022-Q1
    // in the derived order of periods, which once made February "before".
    let w = Workdir::new("history_kinds");
    let plan = plan(&w);
    let by = |period: &str, inbox: &Path| -> HashMap<String, String> {
        let o = run_as(&w, &plan, period, inbox);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        read_csv(&w.path(&format!("out/{period}/data/by_unit.csv")))
            .into_iter()
            .map(|r| (r["indicator_code"].clone(), r["warning"].clone()))
            .collect()
    };
    assert_eq!(by("2022-02", &submit(&w, 2, [200.0; 4]))["A1"], "");
    assert_eq!(by("2022-Q1", &submit(&w, 3, [250.0; 4]))["A1"], "blue");
    assert_eq!(by("2022-04", &submit(&w, 4, [300.0; 4]))["A1"], "yellow");
    // `history` lists them in time order.
    let listed =
        String::from_utf8(history(&["--store", w.path("out/store").to_str().unwrap()]).stdout)
            .unwrap();
    let at = |p: &str| listed.find(p).unwrap_or_else(|| panic!("{p} in {listed}"));
    assert!(
        at("2022-02") < at("2022-Q1") && at("2022-Q1") < at("2022-04"),
        "{listed}"
    );
}

#[test]
fn the_same_period_twice_gives_the_same_data_and_one_stored_period_with_what_changed() {
    let w = Workdir::new("history_twice");
    let p = three_months(&w);
    let before: Vec<Vec<u8>> = ["summary", "by_unit", "issues", "submissions"]
        .iter()
        .map(|n| std::fs::read(w.path(&format!("out/2022-03/data/{n}.csv"))).unwrap())
        .collect();
    let inbox = w.path("in03");
    assert_eq!(run(&w, &p, 3, &inbox).status.code(), Some(0));
    for (k, n) in ["summary", "by_unit", "issues", "submissions"]
        .iter()
        .enumerate()
    {
        assert!(
            std::fs::read(w.path(&format!("out/2022-03/data/{n}.csv"))).unwrap() == before[k],
            "{n} differs"
        );
    }
    let stored: Vec<_> = std::fs::read_dir(w.path("out/store/periods"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(stored.len(), 3, "{stored:?}");
    // A corrected resubmission: 报送情况 says what changed.
    submit(&w, 3, [35.0, 300.0, 300.0, 2.0]);
    assert_eq!(run(&w, &p, 3, &inbox).status.code(), Some(0));
    let book = w.path("out/2022-03/consolidated.xlsx");
    let rows: Vec<Vec<Data>> = open_workbook_auto(&book)
        .unwrap()
        .worksheet_range("报送情况")
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect();
    assert_eq!(rows[0][8].to_string(), "与本期上次汇总相比的变化");
    assert_eq!(rows[1][8].to_string(), "A1 30 → 35");
}

#[test]
fn a_run_killed_before_its_manifest_leaves_the_store_as_it_was() {
    let w = Workdir::new("history_killed");
    let p = three_months(&w);
    let manifest = w.path("out/store/periods/2022-03.json");
    let before = std::fs::read(&manifest).unwrap();
    let inbox = submit(&w, 3, [99.0, 300.0, 300.0, 2.0]);
    let killed = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args([
            "run",
            "--plan",
            p.to_str().unwrap(),
            "--inbox",
            inbox.to_str().unwrap(),
            "--period",
            "2022-03",
            "--out",
        ])
        .arg(w.path("out/2022-03"))
        .env("TALLY_TEST_FAIL_STORE", "1")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), Some(2));
    let said = String::from_utf8_lossy(&killed.stderr);
    assert!(
        said.contains("本次汇总的结果已从") && said.contains("撤回"),
        "{said}"
    );
    assert_eq!(
        std::fs::read(&manifest).unwrap(),
        before,
        "the period's record is untouched"
    );
    // Nothing of the unrecorded run is left to mail: not its outputs, nor
    // the earlier run's run.json, which spoke of the files it replaced.
    for gone in [
        "run.json",
        "consolidated.xlsx",
        "data/by_unit.csv",
        "feedback",
    ] {
        assert!(!w.path("out/2022-03").join(gone).exists(), "{gone}");
    }
    let mail = tally(&["mail", "--run", w.path("out/2022-03").to_str().unwrap()]);
    assert_eq!(mail.status.code(), Some(2));
    // Into a new folder, the folder goes too.
    let fresh = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["run", "--plan", p.to_str().unwrap(), "--inbox"])
        .arg(&inbox)
        .args(["--period", "2022-03", "--out"])
        .arg(w.path("fresh/2022-03"))
        .env("TALLY_TEST_FAIL_STORE", "1")
        .output()
        .unwrap();
    assert_eq!(fresh.status.code(), Some(2));
    assert!(!w.path("fresh/2022-03").exists());
    // The lock file stays; the operating system released the lock.
    let lock = std::fs::File::open(w.path("out/store/.lock")).unwrap();
    assert!(lock.try_lock().is_ok(), "the lock is released");
    drop(lock);
    // Later runs read the store without error: April escalates from March.
    let april = submit(&w, 4, [40.0, 400.0, 400.0, 2.0]);
    let out = run(&w, &p, 4, &april);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(warnings(&w, 4)["A1"], "red");
}

fn history(args: &[&str]) -> std::process::Output {
    tally(&[&["history"][..], args].concat())
}

#[test]
fn a_damaged_store_stops_the_run_and_says_how_to_recover() {
    let w = Workdir::new("history_damaged");
    let p = three_months(&w);
    let march = warnings(&w, 3);
    let store = w.path("out/store");
    let s = store.to_str().unwrap();
    let inbox = w.path("in03");
    // A truncated manifest: silently leaving February out changed March's
    // warnings; now the run stops and names the file.
    let feb = store.join("periods/2022-02.json");
    let good = std::fs::read(&feb).unwrap();
    std::fs::write(&feb, &good[..good.len() / 2]).unwrap();
    let out = run(&w, &p, 3, &inbox);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("2022-02") && err.contains("2022-02.json") && err.contains("备份"),
        "{err}"
    );
    let listed = history(&["--store", s]);
    assert_eq!(
        listed.status.code(),
        Some(2),
        "history does not leave it out"
    );
    let verify = history(&["--store", s, "--verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("2022-02.json"));
    std::fs::write(&feb, &good).unwrap();

    // A table gone: the run stops, and the period is rebuilt from its
    // archived submissions.
    let m: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let table = store.join("tables").join(m["by_unit"].as_str().unwrap());
    std::fs::remove_file(&table).unwrap();
    let out = run(&w, &p, 3, &inbox);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("数据表") && err.contains("--restore 2022-02"),
        "{err}"
    );
    let verify = history(&["--store", s, "--verify"]);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("不见了"));
    // A changed byte is found too.
    let facts = store.join("tables").join(m["facts"].as_str().unwrap());
    let mut bytes = std::fs::read(&facts).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&facts, &bytes).unwrap();
    let verify = history(&["--store", s, "--verify"]);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("校验值"));
    // Restore February's submissions under their names and run it again.
    let back = w.path("restored");
    let restored = history(&[
        "--store",
        s,
        "--restore",
        "2022-02",
        "--into",
        back.to_str().unwrap(),
    ]);
    assert_eq!(
        restored.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(
        std::fs::read(back.join("甲镇.xlsx")).unwrap(),
        std::fs::read(w.path("in02/甲镇.xlsx")).unwrap()
    );
    assert_eq!(run(&w, &p, 2, &back).status.code(), Some(0));
    let verify = history(&["--store", s, "--verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert_eq!(run(&w, &p, 3, &inbox).status.code(), Some(0));
    assert_eq!(warnings(&w, 3), march, "March as it was");

    // A copy of a record kept beside it (a clerk's backup) would be a
    // second February, and which one March compared with would depend on
    // the listing order: the run stops and names it.
    let copy = store.join("periods/2022-02-bak.json");
    std::fs::copy(&feb, &copy).unwrap();
    let out = run(&w, &p, 3, &inbox);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("2022-02-bak.json") && err.contains("副本"),
        "{err}"
    );
    let verify = history(&["--store", s, "--verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("2022-02-bak.json"));
    std::fs::remove_file(&copy).unwrap();
}

#[test]
fn a_restored_period_counts_the_file_it_counted() {
    let w = Workdir::new("history_restore_order");
    let p = plan(&w);
    let inbox = submit(&w, 3, [300.0, 300.0, 300.0, 0.0]);
    // A correction with the same 填报日期, saved later: the saving time
    // decides, and its name sorts first, so a tie would go to the original.
    let rows: Vec<Vec<C>> = ["A1", "A2", "A3", "L1", "P1"]
        .iter()
        .zip([310.0, 300.0, 300.0, 0.0, 0.84])
        .map(|(code, v)| vec![t(code), C::E, C::E, C::E, n(v), t("原因已说明")])
        .collect();
    write_xlsx(
        &inbox.join("甲镇-改.xlsx"),
        &[template("表", "甲镇", "2022-03-28", rows)],
    );
    let original = std::fs::File::options()
        .write(true)
        .open(inbox.join("甲镇.xlsx"))
        .unwrap();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    original.set_modified(hour_ago).unwrap();
    drop(original);
    assert_eq!(run(&w, &p, 3, &inbox).status.code(), Some(0));
    let a1 = |out: &str| -> String {
        let rows = read_csv(&w.path(&format!("{out}/data/by_unit.csv")));
        rows.into_iter()
            .find(|r| r["indicator_code"] == "A1")
            .unwrap()["actual"]
            .clone()
    };
    assert_eq!(a1("out/2022-03"), "310");
    // Restored, the files are saved in the order the period saw them, and
    // the run of the restored folder counts the same file.
    let back = w.path("restored");
    let restored = history(&[
        "--store",
        w.path("out/store").to_str().unwrap(),
        "--restore",
        "2022-03",
        "--into",
        back.to_str().unwrap(),
    ]);
    assert_eq!(restored.status.code(), Some(0));
    let again = tally(&[
        "run",
        "--plan",
        p.to_str().unwrap(),
        "--inbox",
        back.to_str().unwrap(),
        "--period",
        "2022-03",
        "--out",
        w.path("again").to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(a1("again"), "310");
}

#[test]
fn history_of_a_folder_that_is_no_store_could_not_work_exit_2() {
    let w = Workdir::new("history_no_store");
    let missing = w.path("no-such-store");
    let out = tally(&["history", "--store", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("找不到历史数据目录"), "{said}");
    // A folder that is there but holds no periods: named as such.
    let empty = w.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = tally(&["history", "--store", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("不是历史数据目录（其中没有 periods 文件夹）"),
        "{said}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn rerunning_a_period_with_later_ones_stored_says_to_rerun_them() {
    // March's warnings and `decreased` checks were worked out from
    // February as it was; a corrected February leaves them stale.
    let w = Workdir::new("history_rerun_earlier");
    let p = three_months(&w);
    // February run again as it was: March read the same figures.
    let out = run(&w, &p, 2, &w.path("in02"));
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(!said.contains("注意："), "{said}");
    // Corrected: March's escalation read February as it was.
    let corrected = submit(&w, 2, [25.0, 200.0, 80.0, 2.0]);
    let out = run(&w, &p, 2, &corrected);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("注意：存储中已有本期之后的 2022年3月 的结果"),
        "{said}"
    );
    // The latest period run again is no such case.
    let out = run(&w, &p, 3, &w.path("in03"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("注意："));
    // Nor a first quarter among months: April compares with March.
    let april = submit(&w, 4, [40.0, 400.0, 400.0, 2.0]);
    assert_eq!(run(&w, &p, 4, &april).status.code(), Some(0));
    let out = run_as(&w, &p, "2022-Q1", &w.path("in03"));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("注意："), "{said}");
}
