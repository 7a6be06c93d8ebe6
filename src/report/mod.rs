//! What tally writes for people and programs. Writers only: this room never
//! opens an inbox file or the plan, it is handed the checked data.
//!
//! `workbook` (consolidated.xlsx), `feedback` (one workbook per unit),
//! `data` (CSV and Parquet), `manifest` (run.json, for `tally mail`) and
//! `check` (what `tally check` prints); `index` groups each unit's rows,
//! files and issues once for the writers that speak to one unit, and
//! `alerts` puts the warnings in the order people read them.

pub mod alerts;
pub mod check;
pub mod data;
pub mod feedback;
pub mod index;
pub mod manifest;
pub mod workbook;
