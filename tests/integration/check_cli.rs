//! Exit codes and argument handling of `tally check`.

use crate::book::Sheet;
use crate::common::{Workdir, qingquan_clean, standard, tally};

#[test]
fn a_clean_inbox_exits_0_and_json_has_the_contract_fields() {
    let w = Workdir::new("cli_clean");
    w.submit_qingquan();
    w.submit(
        "大马营镇.xlsx",
        &[standard(
            "大马营镇",
            "2022-04-05",
            vec![
                crate::common::line("FA01", crate::book::n(210.0), ""),
                crate::common::line("PJ01", crate::book::n(2.0), ""),
                crate::common::line("NY02", crate::book::n(800.0), ""),
                crate::common::line("NY03", crate::book::n(1000.0), ""),
                crate::common::line("AQ01", crate::book::n(0.0), ""),
                crate::common::line("WS01", crate::book::n(0.9), ""),
            ],
        )],
    );
    w.submit(
        "发改局.xlsx",
        &[standard(
            "县发展和改革局",
            "2022-04-05",
            vec![
                crate::common::line("FA01", crate::book::n(1600.0), ""),
                crate::common::line("PJ01", crate::book::n(10.0), ""),
            ],
        )],
    );
    let (json, code) = w.check_json(&w.plan(), &["--period", "2022-03"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["issues"].as_array().unwrap().len(), 0);
    let s = &json["submissions"][0];
    let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "errors",
            "file",
            "reported_at",
            "sha256",
            "status",
            "unit",
            "warnings"
        ]
    );
    assert_eq!(s["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn bad_arguments_and_missing_folders_exit_2() {
    let w = Workdir::new("cli_bad");
    let plan = w.plan();
    let plan = plan.to_str().unwrap();
    let bad_period = tally(&[
        "check",
        "--plan",
        plan,
        "--inbox",
        w.inbox().to_str().unwrap(),
        "--period",
        "2022-13",
    ]);
    assert_eq!(bad_period.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_period.stderr).contains("月份只能是 1 到 12"));
    let no_inbox = tally(&["check", "--plan", plan, "--inbox", "/nonexistent/inbox"]);
    assert_eq!(no_inbox.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_inbox.stderr).contains("无法读取收件文件夹"));
    let no_plan = tally(&[
        "check",
        "--plan",
        "/nonexistent/plan.xlsx",
        "--inbox",
        w.inbox().to_str().unwrap(),
    ]);
    assert_eq!(no_plan.status.code(), Some(2));
}

#[test]
fn an_inbox_with_nothing_to_accept_says_to_check_the_folder_and_period() {
    let w = Workdir::new("cli_empty_inbox");
    let plan = w.plan();
    let out = w.check(&plan, &[]);
    assert_eq!(out.status.code(), Some(1), "every unit missing");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.trim_end()
            .ends_with("没有一份可以采用的报表：请检查收件文件夹和期别是否选对"),
        "{said}"
    );
    // An inbox with a file to accept says nothing of the kind.
    let samples = tally(&[
        "check",
        "--plan",
        "samples/plan.xlsx",
        "--inbox",
        "samples/inbox/2022-03",
    ]);
    assert!(!String::from_utf8_lossy(&samples.stdout).contains("没有一份可以采用"));
}

#[test]
fn inputs_are_never_modified() {
    let w = Workdir::new("cli_readonly");
    let p = w.submit(
        "清泉镇.xlsx",
        &[
            standard("清泉镇", "2022-04-05", qingquan_clean()),
            Sheet::new("附表"),
        ],
    );
    let before = std::fs::read(&p).unwrap();
    let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
    let (_, code) = w.check_json(&w.plan(), &[]);
    assert!(code <= 1);
    assert_eq!(std::fs::read(&p).unwrap(), before);
    assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), mtime);
    assert_eq!(
        std::fs::read_dir(w.inbox()).unwrap().count(),
        1,
        "nothing written into the inbox"
    );
}

/// `tally check` on the sample county, with stdout going to `stdout`.
fn check_samples_to(stdout: std::process::Stdio) -> std::process::Child {
    let root = env!("CARGO_MANIFEST_DIR");
    std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["check", "--format", "json", "--plan"])
        .arg(format!("{root}/samples/plan.xlsx"))
        .arg("--inbox")
        .arg(format!("{root}/samples/inbox/2022-03"))
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tally starts")
}

#[test]
fn a_full_disk_behind_stdout_is_a_failure_with_the_reason() {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = check_samples_to(full.into()).wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("无法输出结果") && err.contains("磁盘已满"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    // The sample inbox has errors: read whole, the check exits 1.
    let mut child = check_samples_to(std::process::Stdio::piped());
    // The reader goes away before tally writes (as `| head -0` would).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
