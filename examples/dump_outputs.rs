//! Prints everything a run folder holds for people and programs, as text:
//! every cell of every workbook (read back with calamine), every CSV and
//! `run.json`. Two runs that should agree are compared by diffing their
//! dumps (`scripts/snapshot.sh`), so a refactoring that changes a value
//! anywhere is seen. Numbers are printed to 12 significant digits: the
//! last bits of a float sum depend on the order it was added in.
//!
//! ```text
//! cargo run --example dump_outputs -- out/2022-03 > before.txt
//! ```

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// A number to 12 significant digits.
fn number(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return format!("{f}");
    }
    let digits = (11 - f.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{f:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// Every decimal number in a line of text, to 12 significant digits.
fn numbers_in(line: &str) -> String {
    let mut out = String::new();
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        match token.parse::<f64>() {
            Ok(f) if token.contains('.') => out.push_str(&number(f)),
            _ => out.push_str(token),
        }
        token.clear();
    };
    for c in line.chars() {
        if c.is_ascii_digit()
            || c == '.'
            || (c == '-' && token.is_empty())
            || c == 'e' && !token.is_empty()
        {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn cell(v: &Data) -> String {
    match v {
        Data::Float(f) => number(*f),
        other => other.to_string(),
    }
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: dump_outputs RUN_DIR"),
    );
    let mut all = Vec::new();
    files(&dir, &mut all);
    all.sort();
    for path in all {
        let rel = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv" | "json") => {
                println!("=== {rel}");
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for line in text.lines() {
                    println!("{}", numbers_in(line));
                }
            }
            Some("xlsx") => {
                let mut book = match open_workbook_auto(&path) {
                    Ok(b) => b,
                    Err(e) => {
                        println!("=== {rel}: unreadable: {e}");
                        continue;
                    }
                };
                for name in book.sheet_names() {
                    println!("=== {rel} [{name}]");
                    let Ok(range) = book.worksheet_range(&name) else {
                        continue;
                    };
                    let (r0, c0) = range.start().unwrap_or((0, 0));
                    for (r, c, v) in range.used_cells() {
                        println!("{}\t{}\t{}", r0 as usize + r, c0 as usize + c, cell(v));
                    }
                }
            }
            _ => {}
        }
    }
}
