//! tally: consolidates the progress workbooks that townships (乡镇) and
//! county departments (部门) send the statistics bureau.
//!
//! The pipeline runs one way, one module a stage:
//! [`plan`] → [`ingest`] → [`validate`] → [`report`], with [`period`] and
//! [`progress`] for time and expected progress, and [`pipeline`] wiring the
//! stages for the commands in `main.rs`.

pub mod aggregate;
pub mod cli;
pub mod config;
pub mod ingest;
pub mod issue;
pub mod mail;
pub mod period;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod report;
pub mod sheet;
pub mod store;
pub mod template;
pub mod validate;
pub mod value;
