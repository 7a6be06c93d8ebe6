//! The command line as typed (CONTRACT.md section 8). Only parsing lives
//! here; `main.rs` turns these into built options and calls the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::Period;

/// Consolidates township and department progress workbooks for a county
/// statistics bureau.
#[derive(Debug, Parser)]
#[command(name = "tally", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read every workbook in the inbox and report what is wrong, by file.
    Check(CheckArgs),
    /// Check the inbox, consolidate the period and write the consolidated
    /// workbook and the data files into the output folder.
    Run(RunArgs),
    /// Write one template workbook per unit of the plan, to send out.
    Template(TemplateArgs),
    /// Mail the run's results: the consolidated workbook to the leaders,
    /// each unit its feedback.
    Mail(MailArgs),
    /// List the periods kept in a history store.
    History {
        /// The store folder (see `run --store`).
        #[arg(long)]
        store: PathBuf,
    },
    /// Internal: read workbooks for a supervising tally process.
    #[command(name = "__worker", hide = true)]
    Worker {
        #[arg(long)]
        max_bytes: u64,
        #[arg(long)]
        memory_limit: u64,
    },
}

/// Output format of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The plan workbook (目标任务分解表).
    #[arg(long)]
    pub plan: PathBuf,
    /// The folder holding the submitted workbooks.
    #[arg(long)]
    pub inbox: PathBuf,
    /// The reporting period: 2022, 2022-Q2, 2022-06 or 2022-W23. Needed for
    /// the expected-progress checks (滞后原因).
    #[arg(long)]
    pub period: Option<Period>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub read: ReadArgs,
    /// How far below expected progress a task may be before it is behind
    /// (default: `[run] tolerance` of the settings file, else 0.10).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Settings file (default: tally.toml in the working folder, if any).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The plan workbook (目标任务分解表).
    #[arg(long)]
    pub plan: PathBuf,
    /// The folder holding the submitted workbooks.
    #[arg(long)]
    pub inbox: PathBuf,
    /// The reporting period: 2022, 2022-Q2, 2022-06 or 2022-W23.
    #[arg(long)]
    pub period: Period,
    /// Where the outputs go (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// The history of earlier runs (default: `store` beside the output
    /// folder, e.g. out/store for --out out/2022-03).
    #[arg(long)]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// How far below expected progress a task may be before it is behind
    /// (default: `[run] tolerance` of the settings file, else 0.10).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Settings file (default: tally.toml in the working folder, if any).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// The plan workbook (目标任务分解表).
    #[arg(long)]
    pub plan: PathBuf,
    /// The reporting period the templates are for.
    #[arg(long)]
    pub period: Period,
    /// Where the templates go (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// Settings file (`[template] contact`, `password`; default: tally.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct MailArgs {
    /// The output folder of `tally run`.
    #[arg(long)]
    pub run: PathBuf,
    /// Settings file with [smtp] and [mail] (default: tally.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write every message to RUN/outbox/*.eml and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Send again messages already delivered.
    #[arg(long)]
    pub resend: bool,
}

/// How inbox files are read.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Files larger than this many MB are refused unread.
    #[arg(long, default_value_t = 50)]
    pub max_file_mb: u64,
    /// Worker processes reading files (default: one per CPU).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Seconds a single file may take to read before it is given up.
    #[arg(long, default_value_t = 60)]
    pub file_timeout: u64,
    /// Memory (MB) a reading worker may use before the file it reads is
    /// given up as damaged.
    #[arg(long, default_value_t = 2048)]
    pub worker_memory_mb: u64,
}
