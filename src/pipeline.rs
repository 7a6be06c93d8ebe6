//! The stages wired together: plan → ingest → validate → aggregate →
//! report, with the history store beside them. Nothing is decided here:
//! each step is a call into the room that owns it. Commands call this
//! instead of repeating the wiring; tests call it to drive the real
//! pipeline without the binary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::aggregate::{self, AggregateError, Consolidation};
use crate::files::{self, OutputError};
use crate::ingest::{self, ReadOptions};
use crate::model::{Period, SubmissionStatus};
use crate::plan::{Plan, PlanError, read_plan};
use crate::report::{data, feedback, manifest, workbook};
use crate::settings::{CheckSettings, RunSettings};
use crate::store::{History, PeriodManifest, Store, StoreError};
use crate::validate::{self, CheckOptions, Inspection, Received};

/// Why tally could not do its work at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TallyError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    MailSettings(#[from] crate::settings::MailSettingsError),
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    #[error(transparent)]
    Rules(#[from] validate::RuleError),
    #[error(
        "收件文件夹 {inbox} 中没有一份可以采用的{period}报表（{files} 个文件），未生成结果、未记入历史；请检查收件文件夹和期别是否选对。确实要生成空的汇总，请加 --allow-empty"
    )]
    NothingAccepted {
        inbox: PathBuf,
        period: String,
        files: usize,
    },
    #[error(
        "{source}；本次汇总的结果已从 {} 撤回（没有记入历史的结果不能发出），问题解决后重新运行即可",
        out.display()
    )]
    NotRecorded {
        out: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error("{} 不是历史数据目录（其中没有 periods 文件夹）；请给出 tally run 写入的 store 目录", path.display())]
    NotAStore { path: PathBuf },
    #[error("找不到历史数据目录 {}；请给出 tally run 写入的 store 目录（默认在输出文件夹旁，如 out/store）", path.display())]
    NoStore { path: PathBuf },
    #[error("无法读取收件文件夹 {path}")]
    Inbox {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    let started = Instant::now();
    let (plan, read_inbox) = reading_while(inbox, read, || Ok(read_plan(plan_path)?))?;
    finish_inspection(plan, read_inbox, check, started)
}

/// `tally check`: [`inspect`], compared with the previous stored period
/// when the settings name a store.
///
/// # Errors
///
/// [`TallyError`] when the plan is refused, the store is no store or
/// cannot be read, or the inbox cannot be listed.
pub fn check(settings: &CheckSettings) -> Result<Inspection, TallyError> {
    let started = Instant::now();
    let mut options = settings.check.clone();
    let ((plan, previous), read_inbox) = reading_while(&settings.inbox, &settings.read, || {
        let plan = read_plan(&settings.plan)?;
        let previous = match (&settings.store, options.period) {
            (Some(dir), Some(period)) => {
                let store = existing_store(dir)?;
                store.previous_run(&plan, period)?.map(|p| p.previous)
            }
            _ => None,
        };
        Ok((plan, previous))
    })?;
    options.previous = previous;
    finish_inspection(plan, read_inbox, &options, started)
}

/// A store `tally run` wrote, opened to read only (`check --store`,
/// `fetch --store`, `history`).
///
/// # Errors
///
/// [`TallyError::NoStore`] when the folder is missing,
/// [`TallyError::NotAStore`] when it holds no stored periods.
pub fn existing_store(dir: &Path) -> Result<Store, TallyError> {
    if !dir.exists() {
        return Err(TallyError::NoStore {
            path: dir.to_path_buf(),
        });
    }
    if !dir.join("periods").is_dir() {
        return Err(TallyError::NotAStore {
            path: dir.to_path_buf(),
        });
    }
    Ok(Store::read_only(dir))
}

/// Reads every inbox file (in the reading workers, supervised from another
/// thread) while `meanwhile` runs on this one: the plan of a large county
/// holds as many cells as its whole inbox, so reading it and the store
/// first would leave the readers idle.
fn reading_while<T>(
    inbox: &Path,
    read: &ReadOptions,
    meanwhile: impl FnOnce() -> Result<T, TallyError>,
) -> Result<(T, ingest::Inbox), TallyError> {
    std::thread::scope(|s| {
        let reading = s.spawn(|| ingest::read_inbox(inbox, read));
        let done = meanwhile();
        let read_inbox = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .map_err(|source| TallyError::Inbox {
                path: inbox.to_path_buf(),
                source,
            });
        Ok((done?, read_inbox?))
    })
}

/// Checks what was read against the plan.
fn finish_inspection(
    plan: Plan,
    read_inbox: ingest::Inbox,
    check: &CheckOptions,
    started: Instant,
) -> Result<Inspection, TallyError> {
    let checked = validate::check(&plan, &Received::all(&read_inbox), check)?;
    let details = read_inbox
        .files
        .iter()
        .zip(&read_inbox.reads)
        .filter_map(|(f, r)| {
            Some((
                f.name.clone(),
                r.result.as_ref().err()?.detail()?.to_string(),
            ))
        })
        .collect();
    Ok(Inspection {
        plan,
        files: read_inbox.files,
        checked,
        seconds: started.elapsed().as_secs_f64(),
        details,
    })
}

/// The run folder's log of what the reader said about unreadable files.
pub const READ_LOG: &str = "read-errors.log";

/// What `tally run` produced.
pub struct RunOutcome {
    pub inspection: Inspection,
    pub consolidation: Consolidation,
    pub files_written: Vec<PathBuf>,
    /// Stored periods after this one in its year, whose warnings were
    /// worked out from this period as it was before: to be run again.
    pub stale_later: Vec<Period>,
    /// The store, when this run made it and the period is not its year's
    /// first: nothing earlier to escalate from, which a store given in
    /// the wrong place (`--out` elsewhere than last month) would also say.
    pub new_store: Option<PathBuf>,
    /// The period of the run whose outputs this one replaced in its
    /// folder, when it was another (`--out` given last month's folder).
    pub replaced: Option<String>,
}

/// Checks the inbox, consolidates the period, writes every output into the
/// output folder (`consolidated.xlsx`, `data/*.csv|parquet`,
/// `feedback/<unit>.xlsx`, `run.json`, each atomically) and records the
/// run in the history store.
///
/// # Errors
///
/// [`TallyError`] when the plan is refused, the inbox cannot be listed, or
/// an output cannot be written; rejected submissions are no error.
pub fn run(settings: &RunSettings) -> Result<RunOutcome, TallyError> {
    // A run that fails writes nothing: the folders it made for its outputs
    // and its store are taken back (only while empty).
    let mut made_out = Vec::new();
    // Refuse an unusable output folder or a busy store before any reading.
    let store = files::prepare_dir(&settings.out, &mut made_out)
        .map_err(TallyError::from)
        .and_then(|()| Ok(Store::open(&settings.store)?));
    // A panic (a bug) is taken back like an error, then goes on up.
    let outcome = store.and_then(|store| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_in(settings, &store))) {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(e)) => {
                store.unmake();
                Err(e)
            }
            Err(panic) => {
                store.unmake();
                files::unmake(&made_out);
                std::panic::resume_unwind(panic)
            }
        }
    });
    if outcome.is_err() {
        files::unmake(&made_out);
    }
    outcome
}

/// [`run`] with its output folder made and its store open.
fn run_in(settings: &RunSettings, store: &Store) -> Result<RunOutcome, TallyError> {
    let started = Instant::now();
    let ((plan, previous, earlier), read_inbox) =
        reading_while(&settings.inbox, &settings.read, || {
            let plan = read_plan(&settings.plan)?;
            let previous = store.previous_run(&plan, settings.period)?;
            let earlier = store.earlier_run(&plan, settings.period)?;
            Ok((plan, previous, earlier))
        })?;
    let check = CheckOptions {
        period: Some(settings.period),
        tolerance: settings.tolerance,
        previous: previous.as_ref().map(|p| p.previous.clone()),
    };
    let inspection = finish_inspection(plan, read_inbox, &check, started)?;
    let accepted = inspection
        .checked
        .submissions
        .iter()
        .any(|s| s.status == SubmissionStatus::Accepted);
    if !accepted && !settings.allow_empty {
        return Err(TallyError::NothingAccepted {
            inbox: settings.inbox.clone(),
            period: settings.period.label(),
            files: inspection.files.len(),
        });
    }
    let mut inspection = inspection;
    let plan = &inspection.plan;
    let consolidation = aggregate::consolidate(
        plan,
        &inspection.checked.facts,
        &inspection.checked.projects,
        settings.period,
        settings.tolerance,
        &previous
            .as_ref()
            .map(|p| p.warnings.clone())
            .unwrap_or_default(),
    )?;
    // The `全县` rules need the county values: checked once they exist.
    let county = consolidation
        .county
        .iter()
        .filter_map(|r| Some((r.indicator, r.actual?)))
        .collect();
    let county_issues =
        validate::rules::county_issues(plan, county, previous.as_ref().map(|p| &*p.previous))?;
    inspection.checked.issues.extend(county_issues);
    let plan = &inspection.plan;
    let history = History::new(store, plan, &consolidation, earlier.as_ref())?;
    let replaced = clear_run_json(&settings.out, settings.period)?;
    let (mut files_written, run_json) =
        write_outputs(settings, store, &inspection, &consolidation, &history)?;
    // What the period's record held before, to tell whether the later
    // periods read anything else from it now (the store was read whole
    // already: an error here only costs that note).
    let recorded = |m: PeriodManifest| (m.by_unit, m.facts);
    let before = store.manifest(settings.period).ok().flatten().map(recorded);
    // Then the history, the commit point of the run. Outputs of a run the
    // history has not got are taken back: mailed, they would be results
    // the next period never escalates from.
    if let Err(source) = store.record(plan, &inspection.checked, &consolidation) {
        take_back(&settings.out, &files_written);
        return Err(TallyError::NotRecorded {
            out: settings.out.clone(),
            source,
        });
    }
    // Last: run.json says the folder is complete and recorded.
    files_written.push(manifest::write(&settings.out, &run_json)?);
    // Recorded already: a store that cannot be listed now costs the note,
    // not the run.
    let after = store.manifest(settings.period).ok().flatten().map(recorded);
    let stale_later = match before.is_some() && before == after {
        // Run again with the same figures: nothing later is stale.
        true => Vec::new(),
        false => stale_later(store, settings.period).unwrap_or_default(),
    };
    let first_of_year =
        settings.period.start_date() <= settings.period.year_start() + chrono::Duration::days(6);
    let new_store =
        (store.is_new() && previous.is_none() && !first_of_year).then(|| settings.store.clone());
    Ok(RunOutcome {
        inspection,
        consolidation,
        files_written,
        stale_later,
        new_store,
        replaced,
    })
}

/// The stored periods after `period` whose escalation and `decreased`
/// checks read another record of it than the one just made: the next one
/// compares with `period` (a month after a rerun or a first run of the
/// month before it), so it and all after it are to be run again. A
/// quarter between months the next month does not compare with, none.
fn stale_later(store: &Store, period: Period) -> Result<Vec<Period>, StoreError> {
    let later = store.later(period)?;
    let Some(&next) = later.first() else {
        return Ok(later);
    };
    let compares = store
        .previous(next)?
        .is_some_and(|m| m.period == period.to_string());
    Ok(if compares { later } else { Vec::new() })
}

/// Removes the `run.json` of an earlier run in `out`: it speaks of the
/// files about to be replaced, and until this run is complete and
/// recorded, the folder has none. Returns that run's period when it was
/// another than `period`, which is said (its outputs are replaced; its
/// record stays in the history).
fn clear_run_json(out: &Path, period: Period) -> Result<Option<String>, TallyError> {
    let replaced = earlier_period_in(out).filter(|p| *p != period.to_string());
    match std::fs::remove_file(out.join(manifest::FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(files::OutputError::new(&out.join(manifest::FILE), e).into())
        }
        _ => Ok(replaced),
    }
}

/// The period of the run whose `run.json` is in `out`, if any.
fn earlier_period_in(out: &Path) -> Option<String> {
    let bytes = std::fs::read(out.join(manifest::FILE)).ok()?;
    let run: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(run.get("period")?.as_str()?.to_string())
}

/// Removes the outputs of a run that could not be recorded, and the
/// folders they were in when nothing else is there.
fn take_back(out: &Path, written: &[PathBuf]) {
    for path in written {
        let _ = std::fs::remove_file(path);
    }
    let mut folders: Vec<&Path> = written.iter().filter_map(|p| p.parent()).collect();
    folders.sort_unstable();
    folders.dedup();
    for folder in folders.into_iter().filter(|f| *f != out) {
        let _ = std::fs::remove_dir(folder);
    }
}

/// Writes every output of a run but `run.json`, which is written once the
/// run is recorded; returns the paths written and `run.json`'s bytes.
fn write_outputs(
    settings: &RunSettings,
    store: &Store,
    inspection: &Inspection,
    c: &Consolidation,
    history: &History,
) -> Result<(Vec<PathBuf>, Vec<u8>), TallyError> {
    let (out, org) = (settings.out.as_path(), settings.org.as_str());
    let (plan, checked) = (&inspection.plan, &inspection.checked);
    let write_data = || data::write_all(out, plan, c, checked);
    let write_book = || workbook::write(out, plan, c, checked, history, org);
    let write_feedback = || feedback::write_all(out, plan, c, checked, org);
    // The archive copies and run.json's bytes, both small, share a task.
    let archive_and_encode = || {
        let archived = store.archive_inputs(&inspection.files, checked);
        (archived, manifest::encode(out, plan, c, checked, org))
    };
    // The consolidated workbook is one long task on one core; the data
    // files, the feedback workbooks (one small task per unit), the archive
    // copies and run.json fill the other. A very large county writes its
    // data files first, so that their tables and the workbook's are not in
    // memory at once (bench/run.sh 10000); the feedback workbooks, each
    // small, still fill the core the workbook leaves.
    let (((data_written, book), feedback_written), (archived, run_json)) =
        if c.by_unit.len() < 100_000 {
            rayon::join(
                || rayon::join(|| rayon::join(write_data, write_book), write_feedback),
                archive_and_encode,
            )
        } else {
            let data_written = write_data();
            let ((book, feedback_written), archived) = rayon::join(
                || rayon::join(write_book, write_feedback),
                archive_and_encode,
            );
            (((data_written, book), feedback_written), archived)
        };
    archived?;
    let mut files_written = vec![book?];
    files_written.extend(data_written?);
    files_written.extend(feedback_written?);
    // The reader's own words about files it could not read: for whoever
    // looks into them, not in anything a clerk is sent. One left by an
    // earlier run into this folder would speak of files no longer there.
    if inspection.details.is_empty() {
        match std::fs::remove_file(out.join(READ_LOG)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(files::OutputError::new(&out.join(READ_LOG), e).into());
            }
            _ => {}
        }
    } else {
        let log: String = inspection
            .details
            .iter()
            .map(|(file, detail)| format!("{file}\t{detail}\n"))
            .collect();
        let path = out.join(READ_LOG);
        files::write_atomic(&path, log.as_bytes())?;
        files_written.push(path);
    }
    Ok((files_written, run_json?))
}
