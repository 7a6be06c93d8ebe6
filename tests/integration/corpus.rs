//! Every spreadsheet of `../shared/corpus` (about 2,000 files written by
//! other software, fuzzers and hand-damaged files) must end as accepted or
//! as an issue with a clear reason, and none may take the run down.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::common::{Workdir, tally};

/// Where the shared corpus lies: `TALLY_CORPUS`, else `../shared/corpus`.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("TALLY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

const FILE_CODES: [&str; 6] = [
    "too_large",
    "unreadable_file",
    "not_a_workbook",
    "unknown_unit",
    "unit_mismatch",
    "no_indicator_table",
];

#[test]
fn every_corpus_file_is_accepted_or_rejected_with_a_reason() {
    let root = corpus_dir();
    assert!(
        root.join("MANIFEST.tsv").is_file(),
        "the corpus is missing at {}: set TALLY_CORPUS or lay ../shared beside the clone",
        root.display()
    );
    let w = Workdir::new("corpus");
    let plan = w.plan();
    let mut total = 0;
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(
        folders.len() >= 10,
        "expected the corpus folders, found {folders:?}"
    );
    for folder in folders {
        let files: HashSet<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        // A file that hangs the reader is given up after 10 s; one that
        // aborts it costs only its worker.
        let out = tally(&[
            "check",
            "--plan",
            plan.to_str().unwrap(),
            "--inbox",
            folder.to_str().unwrap(),
            "--format",
            "json",
            "--file-timeout",
            "10",
        ]);
        let name = folder.file_name().unwrap().to_string_lossy();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: exit {:?}\n{stderr}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let json: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        let subs = json["submissions"].as_array().unwrap();
        let issues = json["issues"].as_array().unwrap();
        let reported: Vec<&str> = subs.iter().filter_map(|s| s["file"].as_str()).collect();
        assert_eq!(reported.len(), files.len(), "{name}: one row per file");
        assert_eq!(
            reported.iter().copied().collect::<HashSet<_>>(),
            files.iter().map(String::as_str).collect()
        );
        for s in subs.iter().filter(|s| s["file"].is_string()) {
            let file = s["file"].as_str().unwrap();
            match s["status"].as_str().unwrap() {
                "accepted" | "superseded" => {}
                "rejected" => {
                    let reasons: Vec<&Value> = issues
                        .iter()
                        .filter(|i| {
                            i["file"] == file && FILE_CODES.contains(&i["code"].as_str().unwrap())
                        })
                        .collect();
                    assert!(
                        !reasons.is_empty(),
                        "{name}/{file}: rejected without a reason"
                    );
                    for r in reasons {
                        let m = r["message"].as_str().unwrap();
                        assert!(
                            m.chars().count() > 15 && m.contains('；'),
                            "{name}/{file}: unclear reason “{m}”"
                        );
                    }
                }
                other => panic!("{name}/{file}: status {other}"),
            }
        }
        total += files.len();
    }
    assert!(total >= 2000, "read {total} corpus files");
}

#[test]
fn files_that_abort_or_exhaust_the_reader_cost_only_themselves() {
    let root = corpus_dir();
    let w = Workdir::new("corpus_crashers");
    for f in [
        "calamine_other_branches/issue_693.xlsx",
        "exceldatareader/Test_git_issue_382_oom.xls",
        "exceldatareader/Test_git_issue682.xlsb",
        "apache_poi/Simple.xlsb",
    ] {
        let src = root.join(f);
        std::fs::copy(&src, w.inbox().join(src.file_name().unwrap())).unwrap();
    }
    w.submit(
        "清泉镇.xlsx",
        &[crate::common::standard(
            "清泉镇",
            "2022-04-05",
            crate::common::qingquan_clean(),
        )],
    );
    let (json, _) = w.check_json(&w.plan(), &["--jobs", "1"]);
    // With one worker, the good file after the crashers is still read.
    assert_eq!(
        crate::common::submission(&json, "清泉镇.xlsx")["status"],
        "accepted"
    );
    let oom = crate::common::submission(&json, "Test_git_issue_382_oom.xls");
    assert_eq!(oom["status"], "rejected");
    assert_eq!(
        oom["sha256"].as_str().unwrap().len(),
        64,
        "a crashed file is still traced"
    );
    let unreadable = crate::common::issues_with(&json, "unreadable_file");
    let names: HashSet<&str> = unreadable
        .iter()
        .map(|i| i["file"].as_str().unwrap())
        .collect();
    for f in [
        "Test_git_issue_382_oom.xls",
        "Test_git_issue682.xlsb",
        "Simple.xlsb",
    ] {
        assert!(
            names.contains(f),
            "{f} should be unreadable: {unreadable:#?}"
        );
    }
}
