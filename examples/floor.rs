//! The floor of the speed goal (issue 15): reading every cell of every
//! workbook in an inbox with calamine, on all cores, and nothing else.
//! `tally check` and `tally run` are measured against it by
//! `bench/run.sh`.
//!
//! `cargo run --release --example floor -- INBOX` prints the cells read.

use calamine::{Reader, open_workbook_auto};
use rayon::prelude::*;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: floor INBOX");
    let paths: Vec<_> = std::fs::read_dir(dir)
        .expect("inbox lists")
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    let cells: usize = paths
        .par_iter()
        .map(|p| {
            let Ok(mut book) = open_workbook_auto(p) else {
                return 0;
            };
            book.worksheets()
                .iter()
                .map(|(_, range)| range.used_cells().count())
                .sum::<usize>()
        })
        .sum();
    println!("{} files, {cells} cells", paths.len());
}
