//! Mutation fuzzing of the reading path: takes the spreadsheets of the
//! shared corpus, damages them at random (bit flips, cut tails, spliced
//! and repeated chunks, bytes inside their zip parts), and puts each batch
//! through the real pipeline: tally's worker processes read them (as
//! `tally run` does), then the check against a small plan. Every file must
//! come back as a read or a reasoned failure, and nothing may panic in the
//! run's own process. A mutant that breaks this is kept in
//! `FINDINGS/` to become a regression test.
//!
//! ```text
//! cargo build --bin tally --example fuzz_read
//! target/debug/examples/fuzz_read CORPUS SECONDS [SEED] [FINDINGS]
//! ```
//! `scripts/fuzz.sh` does both and prints a summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tally::ingest::{Isolation, ReadOptions, read_inbox};
use tally::validate::{CheckOptions, Received, check};

/// xorshift64*: enough randomness for mutations, repeatable from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            corpus_files(&p, out);
        } else if p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
            ["xlsx", "xlsm", "xls", "xlsb", "ods"].contains(&x.to_ascii_lowercase().as_str())
        }) {
            out.push(p);
        }
    }
}

/// One random damage to `bytes`.
fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) -> &'static str {
    if bytes.is_empty() {
        bytes.push(0);
    }
    match rng.below(6) {
        0 => {
            for _ in 0..1 + rng.below(16) {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            "bit flips"
        }
        1 => {
            let keep = rng.below(bytes.len());
            bytes.truncate(keep.max(1));
            "cut tail"
        }
        2 => {
            let (a, b) = (rng.below(bytes.len()), rng.below(bytes.len()));
            let (lo, hi) = (a.min(b), a.max(b).min(a.min(b) + 4096));
            let chunk = bytes[lo..hi].to_vec();
            let at = rng.below(bytes.len());
            bytes.splice(at..at, chunk);
            "spliced chunk"
        }
        3 => {
            let at = rng.below(bytes.len());
            let n = 1 + rng.below(64);
            let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            bytes.splice(at..at, junk);
            "inserted bytes"
        }
        4 => {
            // Interesting numbers where sizes and counts live.
            let at = rng.below(bytes.len().saturating_sub(4));
            let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000][rng.below(5)];
            for (k, b) in v.to_le_bytes().iter().enumerate() {
                if let Some(x) = bytes.get_mut(at + k) {
                    *x = *b;
                }
            }
            "extreme number"
        }
        _ => {
            // Damage inside the middle of the file, where zip parts' data is.
            let mid = bytes.len() / 2;
            for k in 0..32 {
                if let Some(x) = bytes.get_mut(mid + k) {
                    *x = rng.next() as u8;
                }
            }
            "scrambled middle"
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let corpus = PathBuf::from(
        args.get(1)
            .expect("usage: fuzz_read CORPUS SECONDS [SEED] [FINDINGS]"),
    );
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7a11_7a11);
    let findings = PathBuf::from(
        args.get(4)
            .cloned()
            .unwrap_or_else(|| "fuzz-findings".into()),
    );
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.parent()?.join("tally")))
        .filter(|p| p.is_file())
        .expect("build tally first: cargo build --bin tally --example fuzz_read");
    let plan =
        tally::plan::read_plan(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/plan.xlsx"))
            .expect("the sample plan reads");
    let mut sources = Vec::new();
    corpus_files(&corpus, &mut sources);
    sources.sort();
    assert!(
        !sources.is_empty(),
        "no spreadsheets under {}",
        corpus.display()
    );
    let options = ReadOptions {
        max_bytes: 50 << 20,
        words: Default::default(),
        isolation: Isolation::Workers {
            exe,
            args: [
                "__worker",
                "--max-bytes",
                "52428800",
                "--memory-limit",
                "2147483648",
                "--timeout",
                "10",
            ]
            .map(String::from)
            .to_vec(),
            count: 2,
            timeout: Duration::from_secs(10),
            budget: Duration::from_secs(600),
        },
        progress: None,
    };
    let check_options = CheckOptions {
        period: "2022-03".parse().ok(),
        tolerance: tally::model::Tolerance::DEFAULT,
        previous: None,
    };
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let (mut files, mut batches, mut broken) = (0usize, 0usize, 0usize);
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let inbox = tempfile::tempdir().expect("temp dir");
        let mut made = Vec::new();
        for k in 0..16 {
            let src = &sources[rng.below(sources.len())];
            let mut bytes = std::fs::read(src).unwrap_or_default();
            let kind = mutate(&mut bytes, &mut rng);
            *kinds.entry(kind).or_default() += 1;
            let ext = src.extension().and_then(|x| x.to_str()).unwrap_or("xlsx");
            let name = format!("清泉镇-{batches}-{k}.{ext}");
            std::fs::write(inbox.path().join(&name), &bytes).expect("write mutant");
            made.push((name, src.clone(), kind));
        }
        let result = std::panic::catch_unwind(|| {
            let read = read_inbox(inbox.path(), &options).expect("inbox lists");
            let checked =
                check(&plan, &Received::all(&read), &check_options).expect("rules evaluate");
            (read.files.len(), checked)
        });
        match result {
            Ok((listed, checked)) if listed == made.len() => {
                let per_file = checked
                    .submissions
                    .iter()
                    .filter(|s| s.file.is_some())
                    .count();
                if per_file != made.len() {
                    broken += 1;
                    keep(&findings, inbox.path(), "a file was not accounted for");
                }
                for s in checked.submissions.iter().filter(|s| s.file.is_some()) {
                    let codes: Vec<&str> = checked
                        .issues
                        .iter()
                        .filter(|i| i.file == s.file && i.code.rejects_file())
                        .map(|i| i.code.code())
                        .collect();
                    let outcome = codes.first().copied().unwrap_or(s.status.code());
                    *outcomes.entry(outcome.to_string()).or_default() += 1;
                }
            }
            Ok(_) => {
                broken += 1;
                keep(&findings, inbox.path(), "the inbox listing lost files");
            }
            Err(_) => {
                broken += 1;
                keep(&findings, inbox.path(), "the run's own process panicked");
            }
        }
        files += made.len();
        batches += 1;
    }
    println!(
        "fuzz_read: {files} mutants of {} corpus files in {batches} batches, {:.0} s, seed {seed:#x}",
        sources.len(),
        started.elapsed().as_secs_f64()
    );
    println!("mutations: {kinds:?}");
    println!("outcomes: {outcomes:?}");
    println!("findings (panics in the run, files lost): {broken}");
    if broken > 0 {
        println!("kept in {}", findings.display());
        std::process::exit(1);
    }
}

/// Keeps a batch that broke the run, with why.
fn keep(findings: &Path, inbox: &Path, why: &str) {
    let dir = findings.join(format!("{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    for e in std::fs::read_dir(inbox).into_iter().flatten().flatten() {
        let _ = std::fs::copy(e.path(), dir.join(e.file_name()));
    }
    let _ = std::fs::write(dir.join("WHY.txt"), why);
    eprintln!("finding: {why} ({})", dir.display());
}
