//! tally: consolidates the progress workbooks that townships (乡镇) and
//! county departments (部门) send the statistics bureau.
//!
//! The pipeline runs one way, one room a stage:
//!
//! ```text
//! plan ─┐
//!       ├→ ingest → validate → aggregate → report ─→ (mail)
//! inbox ┘                        ↑ store ─┘
//! ```
//!
//! - [`plan`] reads the bureau's plan workbook; [`ingest`] reads every
//!   inbox file (in worker processes) into what it holds; [`validate`]
//!   checks it against the plan; [`aggregate`] computes the county with
//!   polars; [`report`] writes workbooks, CSV and `run.json`; [`store`]
//!   keeps the history of periods; [`template`] writes the forms units
//!   fill; [`mail`] sends the results from a run folder.
//! - [`pipeline`] wires the stages for the commands; [`cli`] is what was
//!   typed, [`config`] the settings file, [`settings`] the two built into
//!   what commands run with.
//! - The floor every stage stands on, and that stands on none of them:
//!   [`model`] (ids, statuses, issues, periods, expected progress, how
//!   people type numbers, the submission format's words), [`sheet`] (the
//!   only room that talks to calamine), [`xlsx`] (the workbook toolkit),
//!   [`files`] (atomic writes, safe names, hashes), [`errors`] and
//!   [`test_hooks`] (failures the tests provoke, debug builds only).

pub mod aggregate;
pub mod cli;
pub mod config;
pub mod errors;
pub mod fetch;
pub mod files;
pub mod ingest;
pub mod mail;
pub mod model;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod settings;
pub mod sheet;
pub mod store;
pub mod template;
pub mod test_hooks;
pub mod tls;
pub mod validate;
pub mod xlsx;
