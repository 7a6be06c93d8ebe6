//! The stages wired together: plan → ingest → validate → aggregate → report.
//!
//! Commands call this instead of repeating the wiring; tests call it to
//! drive the real pipeline without the binary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use std::collections::HashMap;

use crate::aggregate::{self, AggregateError, Consolidation, Warning};
use crate::ingest::{self, FileRead, InboxFile, ReadOptions};
use crate::period::Period;
use crate::plan::{Plan, PlanError, read_plan};
use crate::report::output::{self, OutputError};
use crate::report::{data, feedback, manifest, workbook};
use crate::store::{self, History, Store, StoreError};
use crate::validate::{self, CheckOptions, Checked, Previous, Received};

/// Why tally could not do its work at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TallyError {
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Template(#[from] crate::template::TemplateError),
    #[error("{0}")]
    Mail(#[from] crate::mail::MailError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Aggregate(#[from] AggregateError),
    #[error("无法生成汇总工作簿：{0}")]
    Workbook(String),
    #[error("无法读取收件文件夹 {path}：{source}")]
    Inbox {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The result of checking an inbox.
pub struct Inspection {
    pub plan: Plan,
    pub files: Vec<InboxFile>,
    pub checked: Checked,
    pub seconds: f64,
}

/// Reads the plan and every inbox file, and checks them.
///
/// # Errors
///
/// [`TallyError`] when the plan is refused or the inbox cannot be listed;
/// problems with single files are issues in the result, never errors.
pub fn inspect(
    plan_path: &Path,
    inbox: &Path,
    read: &ReadOptions,
    check: &CheckOptions,
) -> Result<Inspection, TallyError> {
    let plan = read_plan(plan_path)?;
    inspect_with(plan, inbox, read, check)
}

/// [`inspect`] with a plan already read.
///
/// # Errors
///
/// [`TallyError`] when the inbox cannot be listed.
pub fn inspect_with(
    plan: Plan,
    inbox: &Path,
    read: &ReadOptions,
    check: &CheckOptions,
) -> Result<Inspection, TallyError> {
    let started = Instant::now();
    let files = ingest::list_inbox(inbox).map_err(|source| TallyError::Inbox {
        path: inbox.to_path_buf(),
        source,
    })?;
    let workbook_paths: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.claimed.is_some())
        .map(|f| f.path.clone())
        .collect();
    let mut reads = ingest::read_all(&workbook_paths, read).into_iter();
    let reads: Vec<Option<FileRead>> = files
        .iter()
        .map(|f| f.claimed.and_then(|_| reads.next()))
        .collect();
    let received: Vec<Received<'_>> = files
        .iter()
        .zip(&reads)
        .map(|(file, r)| Received {
            file,
            read: r.as_ref(),
            sha256: r
                .is_none()
                .then(|| hash_small_file(&file.path, read.max_bytes)),
        })
        .collect();
    let checked = validate::check(&plan, &received, check);
    Ok(Inspection {
        plan,
        files,
        checked,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The SHA-256 of a file that is no workbook, so that it too can be traced;
/// empty when it is too large or unreadable.
fn hash_small_file(path: &Path, limit: u64) -> String {
    use sha2::{Digest, Sha256};
    match std::fs::metadata(path) {
        Ok(m) if m.len() <= limit => std::fs::read(path)
            .map(|b| ingest::hex(&Sha256::digest(&b)))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// What `tally run` produced.
pub struct RunOutcome {
    pub inspection: Inspection,
    pub consolidation: Consolidation,
    pub files_written: Vec<PathBuf>,
}

/// Checks the inbox, consolidates the period and writes every output into
/// `out`: `consolidated.xlsx`, `data/*.csv|parquet` and
/// `feedback/<unit>.xlsx`, each atomically.
///
/// # Errors
///
/// [`TallyError`] when the plan is refused, the inbox cannot be listed, or
/// an output cannot be written; rejected submissions are no error.
pub fn run(
    plan_path: &Path,
    inbox: &Path,
    out: &Path,
    period: Period,
    read: &ReadOptions,
    tolerance: f64,
    store_dir: &Path,
) -> Result<RunOutcome, TallyError> {
    // Refuse an unusable output folder or a busy store before any reading.
    output::prepare_dir(out)?;
    let store = Store::open(store_dir)?;
    let plan = read_plan(plan_path)?;
    // The previous period of the year: for `decreased` and escalation.
    let (previous, warnings) = match store.previous(period) {
        Some(m) => {
            let values = store.facts(&plan, &m)?;
            let warnings: HashMap<(usize, usize), Warning> =
                store::by_plan_index(&plan, &store.rows(&m)?)
                    .into_iter()
                    .filter_map(|(k, r)| Some((k, store::warning_of(r.warning.as_deref())?)))
                    .collect();
            let previous = Previous {
                period: m.period,
                values,
            };
            (Some(std::sync::Arc::new(previous)), warnings)
        }
        None => (None, HashMap::new()),
    };
    // An earlier run of this same period: what changed since.
    let same_period = match store.manifest(period) {
        Some(m) => Some(store::by_plan_index(&plan, &store.rows(&m)?)),
        None => None,
    };
    let check = CheckOptions {
        period: Some(period),
        tolerance,
        previous,
    };
    let inspection = inspect_with(plan, inbox, read, &check)?;
    let plan = &inspection.plan;
    let consolidation = aggregate::consolidate(
        plan,
        &inspection.checked.facts,
        &inspection.checked.projects,
        period,
        tolerance,
        &warnings,
    )?;
    let history = History {
        trend: store::trend(&store, plan, &consolidation),
        changes: same_period
            .map(|old| store::changes(plan, &old, &consolidation))
            .unwrap_or_default(),
    };
    let checked = &inspection.checked;
    let write_data = || data::write_all(out, plan, &consolidation, checked);
    let build_book = || workbook::consolidated(plan, &consolidation, checked, &history);
    // The workbook takes most of the writing time, so it is built while the
    // data files are written; for a very large county the two would hold
    // their tables in memory at once, so they take turns (bench/run.sh:
    // 1,000 units 0.83 s instead of 0.94 s; 10,000 units 0.74 GB instead
    // of 0.97 GB).
    let (written, xlsx) = if consolidation.by_unit.len() < 100_000 {
        rayon::join(write_data, build_book)
    } else {
        (write_data(), build_book())
    };
    written?;
    let xlsx = xlsx.map_err(|e| TallyError::Workbook(e.to_string()))?;
    let book = out.join("consolidated.xlsx");
    output::write_atomic(&book, &xlsx)?;
    let mut files_written = vec![book];
    files_written.extend(feedback::write_all(out, plan, &consolidation, checked)?);
    let run = manifest::build(plan, &consolidation, checked, &feedback::file_names(plan));
    let json = serde_json::to_vec_pretty(&run).map_err(|e| OutputError {
        path: out.join(manifest::FILE),
        source: std::io::Error::other(e),
    })?;
    output::write_atomic(&out.join(manifest::FILE), &json)?;
    files_written.push(out.join(manifest::FILE));
    for name in data::TABLES {
        files_written.push(out.join("data").join(format!("{name}.csv")));
        files_written.push(out.join("data").join(format!("{name}.parquet")));
    }
    // Last, the history: every submitted file under its hash, then the
    // period's manifest (the commit point).
    let paths: HashMap<&str, &Path> = inspection
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.path.as_path()))
        .collect();
    for s in &checked.submissions {
        if let (Some(file), Some(sha)) = (&s.file, &s.sha256)
            && let Some(path) = paths.get(file.as_str())
        {
            store.archive(path, sha)?;
        }
    }
    store.save(
        plan,
        &consolidation,
        checked,
        &chrono::Local::now().to_rfc3339(),
    )?;
    Ok(RunOutcome {
        inspection,
        consolidation,
        files_written,
    })
}
