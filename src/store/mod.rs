//! History across runs (issue 6): what each period's run found, kept so the
//! next run can escalate warnings (section 7), report `decreased` values,
//! draw the trend, and show what changed in a resubmission.
//!
//! Layout of a store folder:
//!
//! ```text
//! periods/2022-03.json         the period's manifest: the commit point
//! tables/<sha256>.parquet      by-unit rows of a run (content-addressed)
//! archive/ab/<sha256>.<ext>    every submitted file, as received
//! .lock                        locked (by the operating system) by the run using the store
//! ```
//!
//! A run writes its table and archive files first and its manifest last
//! (temporary name, then rename), so a run killed at any moment leaves the
//! previous manifest, and with it a consistent store. Rerunning a period
//! replaces its manifest; nothing is ever overwritten in `tables/` or
//! `archive/`.

mod integrity;

pub use integrity::Finding;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::aggregate::Consolidation;
use crate::files::{Access, sha256_hex, write_atomic_with};
use crate::ingest::InboxFile;
use crate::model::value::about_equal;
use crate::model::{IndicatorId, Period, Severity, SubmissionStatus, TaskKey, UnitId, Warning};
use crate::plan::Plan;
use crate::validate::{Checked, Previous};

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("历史数据目录 {0} 正被另一次汇总使用（锁文件 {1}）；请等它结束后再运行")]
    Locked(PathBuf, PathBuf),
    #[error("历史数据目录中的 {path} 无法读写")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("历史数据表 {path} 无法读写")]
    Polars {
        path: PathBuf,
        #[source]
        source: PolarsError,
    },
    #[error("无法写入历史数据目录")]
    Output(#[from] crate::files::OutputError),
    #[error(
        "历史数据目录中 {period} 期的记录 {path} 已损坏，无法读取；汇总已停止，以免用错的历史算出错的预警。请从备份恢复该文件；没有备份时，删除该文件，再用 {period} 期的收件文件夹重新运行 tally run --period {period}"
    )]
    Manifest {
        path: PathBuf,
        period: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "历史数据目录的 periods 文件夹中的 {path} {why}；汇总已停止，以免用错的历史算出错的预警。请把它移出该文件夹（备份请放在历史数据目录以外）；如是改动过的记录，请从备份恢复"
    )]
    Stray { path: PathBuf, why: String },
    #[error(
        "收件文件 {0} 在汇总过程中被改动（读取后内容变了），本次汇总没有记入历史；请等文件保存好、不再改动后重新运行"
    )]
    Changed(PathBuf),
    #[error("历史数据目录中没有 {0} 期的记录")]
    NotStored(String),
    #[error("无法把取回的报表写到 {path}{}", if source.kind() == std::io::ErrorKind::AlreadyExists {
        "：已有同名文件（取回时不覆盖已有的文件，请指定一个新的空文件夹）"
    } else {
        ""
    })]
    Restore {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("存档的报表“{file}”（{path}）{why}，无法取回；请从备份恢复该文件")]
    Archive {
        path: PathBuf,
        file: String,
        why: &'static str,
    },
    #[error(
        "历史数据目录中 {period} 期的数据表 {path} {why}；汇总已停止，以免用错的历史算出错的预警。请从备份恢复该文件，或运行 tally history --store {store} --restore {period} --into <文件夹> 取回该期的报表，再对该文件夹重新运行 tally run --period {period}"
    )]
    Table {
        period: String,
        path: PathBuf,
        store: PathBuf,
        why: &'static str,
    },
}

impl StoreError {
    fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
        move |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn table(path: &Path) -> impl Fn(PolarsError) -> StoreError + '_ {
        move |source| StoreError::Polars {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// One input file of a run, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Input {
    pub file: Option<String>,
    pub unit: Option<String>,
    pub status: SubmissionStatus,
    pub sha256: Option<String>,
}

/// A period's manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeriodManifest {
    pub period: String,
    pub run_at: String,
    pub tally_version: String,
    pub inputs: Vec<Input>,
    /// File name in `tables/` of the by-unit rows.
    pub by_unit: String,
    /// File name in `tables/` of the accepted facts (unit, code, value).
    pub facts: String,
    pub accepted: usize,
    pub missing: usize,
    pub errors: usize,
    pub warnings: usize,
    /// County completion per indicator code, for the trend.
    pub county: Vec<(String, Option<f64>)>,
    /// County value per indicator code, for the `全县` rules' `prev()`
    /// (absent from stores written before rules existed).
    #[serde(default)]
    pub county_actual: Vec<(String, Option<f64>)>,
    pub elapsed: f64,
}

/// A stored run time as people read it: local time, to the second.
pub fn local_time(run_at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(run_at)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| run_at.to_string())
}

/// A stored by-unit row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub unit: String,
    pub code: String,
    pub actual: Option<f64>,
    pub warning: Option<Warning>,
}

/// An open store, locked for this run until dropped.
pub struct Store {
    root: PathBuf,
    /// The open lock file: the operating system holds the lock while it is
    /// open and lets go when the process ends, however it ends.
    _lock: Option<std::fs::File>,
    /// What opening it made, for [`Store::unmake`]: folders (outermost
    /// first) and whether the lock file.
    made: Vec<PathBuf>,
    made_lock: bool,
}

/// Makes `dir` (and its parents), readable by its owner only; the folders
/// made are added to `made`.
fn private_dir(dir: &Path, made: &mut Vec<PathBuf>) -> Result<(), StoreError> {
    #[allow(unused_mut)]
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    crate::files::make_dirs(dir, &builder, made).map_err(StoreError::io(dir))?;
    // A folder made by an earlier version may be open to all: closed to
    // others, its owner's rights left as they are (a store its owner made
    // read-only stays so, and the run says it cannot write).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(StoreError::io(dir))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(StoreError::io(dir))?;
        }
    }
    Ok(())
}

impl Store {
    /// Opens (creating) the store and takes its lock.
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`] when another run holds it, or an I/O error.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let mut made = Vec::new();
        private_dir(root, &mut made)?;
        for sub in ["periods", "tables", "archive"] {
            private_dir(&root.join(sub), &mut made)?;
        }
        let path = root.join(".lock");
        let made_lock = !path.exists();
        let Some(lock) = crate::files::try_lock_path(&path).map_err(StoreError::io(&path))? else {
            return Err(StoreError::Locked(root.to_path_buf(), path));
        };
        Ok(Store {
            root: root.to_path_buf(),
            _lock: Some(lock),
            made,
            made_lock,
        })
    }

    /// Whether opening made the store (or its `periods` folder): it holds
    /// no earlier period to escalate from.
    pub fn is_new(&self) -> bool {
        self.made.iter().any(|d| d.ends_with("periods"))
    }

    /// Takes back what opening the store made, for a run that failed and
    /// recorded nothing: its lock file if opening made it, then the folders
    /// opening made, innermost first, each only while empty. A store that
    /// was there keeps everything it had.
    pub fn unmake(self) {
        // Removed while still locked: a run that opens the store now
        // makes its own.
        if self.made_lock {
            let _ = std::fs::remove_file(self.root.join(".lock"));
        }
        let made = self.made.clone();
        drop(self);
        crate::files::unmake(&made);
    }

    /// Opens the store to read only, without the lock (`tally history`).
    pub fn read_only(root: &Path) -> Store {
        Store {
            root: root.to_path_buf(),
            _lock: None,
            made: Vec::new(),
            made_lock: false,
        }
    }

    /// Every stored period's manifest, in period order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Manifest`] when any manifest cannot be read: results
    /// built on a store with a hole in it would be silently wrong.
    pub fn periods(&self) -> Result<Vec<PeriodManifest>, StoreError> {
        let dir = self.root.join("periods");
        let entries = match std::fs::read_dir(&dir) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(&dir)(e)),
        };
        let mut out: Vec<(Period, PeriodManifest)> = Vec::new();
        for e in entries {
            let path = e.map_err(StoreError::io(&dir))?.path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let m = read_manifest(&path)?;
            out.push((manifest_period(&path, &m)?, m));
        }
        // In time order: by end date (a quarter after the months in it),
        // not by kind, which the derived order of Period puts first.
        out.sort_by_key(|(p, _)| (p.end_date(), *p));
        Ok(out.into_iter().map(|(_, m)| m).collect())
    }

    /// The manifest of one period, if stored.
    ///
    /// # Errors
    ///
    /// [`StoreError::Manifest`] when it is there but cannot be read.
    pub fn manifest(&self, period: Period) -> Result<Option<PeriodManifest>, StoreError> {
        let path = self.root.join("periods").join(format!("{period}.json"));
        if !path.exists() {
            return Ok(None);
        }
        let m = read_manifest(&path)?;
        manifest_period(&path, &m)?;
        Ok(Some(m))
    }

    /// The latest stored period of the same year that ends before
    /// `period` does, whatever its kind (a store may hold months and
    /// quarters); of two ending on the same day, the one of `period`'s
    /// kind (2022-03 rather than 2022-Q1 before 2022-04).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a manifest cannot be read.
    pub fn previous(&self, period: Period) -> Result<Option<PeriodManifest>, StoreError> {
        let kind = |p: &Period| std::mem::discriminant(p) == std::mem::discriminant(&period);
        Ok(self
            .periods()?
            .into_iter()
            .filter_map(|m| Some((m.period.parse::<Period>().ok()?, m)))
            .filter(|(p, _)| p.year() == period.year() && p.end_date() < period.end_date())
            .max_by_key(|(p, _)| (p.end_date(), kind(p)))
            .map(|(_, m)| m))
    }

    /// The stored periods of `period`'s year that end after it, in time
    /// order: their escalation and `decreased` checks read this period as
    /// it was stored before, so they are stale once it is run again.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a manifest cannot be read.
    pub fn later(&self, period: Period) -> Result<Vec<Period>, StoreError> {
        Ok(self
            .periods()?
            .into_iter()
            .filter_map(|m| m.period.parse::<Period>().ok())
            .filter(|p| p.year() == period.year() && p.end_date() > period.end_date())
            .collect())
    }

    /// A stored table of `m`, checked against the hash its name is.
    fn table(&self, m: &PeriodManifest, name: &str) -> Result<DataFrame, StoreError> {
        let path = self.root.join("tables").join(name);
        let damaged = |why| StoreError::Table {
            period: m.period.clone(),
            path: path.clone(),
            store: self.root.clone(),
            why,
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(damaged("不见了")),
            Err(e) => return Err(StoreError::io(&path)(e)),
        };
        if name.strip_suffix(".parquet") != Some(sha256_hex(&bytes).as_str()) {
            return Err(damaged("与记录的校验值（SHA-256）不符，已被改动或损坏"));
        }
        ParquetReader::new(Cursor::new(bytes))
            .finish()
            .map_err(|_| damaged("无法读取"))
    }

    /// The by-unit rows of a stored period.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when its table cannot be read.
    pub fn rows(&self, m: &PeriodManifest) -> Result<Vec<StoredRow>, StoreError> {
        let path = self.root.join("tables").join(&m.by_unit);
        let table = StoreError::table(&path);
        let df = self.table(m, &m.by_unit)?;
        let text = |name: &str| -> Result<Vec<Option<String>>, StoreError> {
            let c = df.column(name).map_err(&table)?;
            let ca = c.str().map_err(&table)?;
            Ok((0..ca.len()).map(|k| ca.get(k).map(String::from)).collect())
        };
        let actual = df
            .column("actual")
            .and_then(|c| {
                c.f64()
                    .map(|ca| (0..ca.len()).map(|k| ca.get(k)).collect::<Vec<_>>())
            })
            .map_err(&table)?;
        let (unit, code, warning) = (text("unit")?, text("code")?, text("warning")?);
        Ok((0..df.height())
            .map(|k| StoredRow {
                unit: unit[k].clone().unwrap_or_default(),
                code: code[k].clone().unwrap_or_default(),
                actual: actual[k],
                warning: warning[k].as_deref().and_then(|w| w.parse().ok()),
            })
            .collect())
    }

    /// Writes a table under `tables/<sha256>.parquet`, once; returns its
    /// file name.
    fn put_table(&self, df: &mut DataFrame) -> Result<String, StoreError> {
        let mut buf = Cursor::new(Vec::new());
        ParquetWriter::new(&mut buf)
            .finish(df)
            .map_err(StoreError::table(&self.root.join("tables")))?;
        let bytes = buf.into_inner();
        let name = format!("{}.parquet", sha256_hex(&bytes));
        let path = self.root.join("tables").join(&name);
        // Content-addressed: written once, unless what is there was damaged.
        let intact = std::fs::read(&path).is_ok_and(|old| old == bytes);
        if !intact {
            write_atomic_with(&path, &bytes, Access::Private)?;
        }
        Ok(name)
    }

    /// The accepted facts of a stored period, by the current plan's
    /// (unit, indicator).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when its table cannot be read.
    pub fn facts(
        &self,
        plan: &Plan,
        m: &PeriodManifest,
    ) -> Result<HashMap<TaskKey, f64>, StoreError> {
        let path = self.root.join("tables").join(&m.facts);
        let table = StoreError::table(&path);
        let df = self.table(m, &m.facts)?;
        let col = |name: &str| df.column(name).map_err(&table);
        let (unit, code, value) = (col("unit")?, col("code")?, col("value")?);
        let (unit, code) = (unit.str().map_err(&table)?, code.str().map_err(&table)?);
        let value = value.f64().map_err(&table)?;
        Ok((0..df.height())
            .filter_map(|k| {
                let u = plan.unit_named(unit.get(k)?)?;
                let i = plan.indicator_by_code(code.get(k)?)?;
                Some(((u, i), value.get(k)?))
            })
            .collect())
    }

    /// What the previous stored period of the year left for this run: its
    /// values (for `decreased`) and its warnings (for escalation), by the
    /// current plan's (unit, indicator). `None` without such a period.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when its tables cannot be read.
    pub fn previous_run(
        &self,
        plan: &Plan,
        period: Period,
    ) -> Result<Option<PreviousRun>, StoreError> {
        let Some(m) = self.previous(period)? else {
            return Ok(None);
        };
        let values = self.facts(plan, &m)?;
        let warnings = by_plan_index(plan, &self.rows(&m)?)
            .into_iter()
            .filter_map(|(k, r)| Some((k, r.warning?)))
            .collect();
        Ok(Some(PreviousRun {
            previous: Arc::new(Previous {
                county: m
                    .county_actual
                    .iter()
                    .filter_map(|(code, v)| Some((plan.indicator_by_code(code)?, (*v)?)))
                    .collect(),
                period: m.period,
                values,
            }),
            warnings,
        }))
    }

    /// The by-unit rows of an earlier run of this same period, by the
    /// current plan's (unit, indicator), to show what changed since.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when its table cannot be read.
    pub fn earlier_run(
        &self,
        plan: &Plan,
        period: Period,
    ) -> Result<Option<HashMap<TaskKey, StoredRow>>, StoreError> {
        match self.manifest(period)? {
            // This run replaces that record: a damaged table of it only
            // costs the list of changes, and rerunning is how it is mended.
            Some(m) => Ok(self.rows(&m).ok().map(|rows| by_plan_index(plan, &rows))),
            None => Ok(None),
        }
    }

    /// Where the archive keeps a file of this name and hash.
    fn archived(&self, sha256: &str, name: &Path) -> PathBuf {
        let ext = name
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("bin")
            .to_ascii_lowercase();
        self.root
            .join("archive")
            .join(sha256.get(..2).unwrap_or("00"))
            .join(format!("{sha256}.{ext}"))
    }

    /// Copies a submitted file into the archive under its hash, once.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when it cannot be copied.
    pub fn archive(&self, path: &Path, sha256: &str) -> Result<(), StoreError> {
        if sha256.len() < 2 {
            return Ok(());
        }
        let target = self.archived(sha256, path);
        if std::fs::read(&target).is_ok_and(|b| sha256_hex(&b) == sha256) {
            return Ok(());
        }
        let bytes = std::fs::read(path).map_err(StoreError::io(path))?;
        // Read a second time: a file saved over since it was read would be
        // archived as the one counted, and then fail every check.
        if sha256_hex(&bytes) != sha256 {
            return Err(StoreError::Changed(path.to_path_buf()));
        }
        // Its folder stays: the copy is written into it at once.
        private_dir(target.parent().unwrap_or(&self.root), &mut Vec::new())?;
        // A copy of a unit's submission is no more readable than needed.
        write_atomic_with(&target, &bytes, Access::Private)?;
        Ok(())
    }

    /// Copies every submitted file of a run into the archive under its
    /// hash, several at once. Done while the outputs are written: an
    /// archived file without a manifest naming it is harmless, and the
    /// next run finds it already there.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a file cannot be copied.
    pub fn archive_inputs(&self, files: &[InboxFile], checked: &Checked) -> Result<(), StoreError> {
        let paths: HashMap<&str, &Path> = files
            .iter()
            .map(|f| (f.name.as_str(), f.path.as_path()))
            .collect();
        let inputs: Vec<(&Path, &str)> = checked
            .submissions
            .iter()
            .filter_map(|s| {
                let path = paths.get(s.file.as_deref()?)?;
                Some((*path, s.sha256.as_deref()?))
            })
            .collect();
        inputs
            .par_iter()
            .try_for_each(|(path, sha)| self.archive(path, sha))
    }

    /// Records a run in history: the period's tables, then its manifest
    /// (the commit point). The inputs are archived before, by
    /// [`Store::archive_inputs`].
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a file cannot be written; the store is then as
    /// it was before.
    pub fn record(
        &self,
        plan: &Plan,
        checked: &Checked,
        c: &Consolidation,
    ) -> Result<(), StoreError> {
        let now = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        self.save(plan, c, checked, &now)
    }

    /// Records a period's run, replacing any earlier run of the period.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a file cannot be written; the store is then as
    /// it was before.
    pub fn save(
        &self,
        plan: &Plan,
        c: &Consolidation,
        checked: &Checked,
        run_at: &str,
    ) -> Result<(), StoreError> {
        let tables = self.root.join("tables");
        let mut df = df!(
            "unit" => c.by_unit.iter().map(|r| plan.units[r.unit].name.clone()).collect::<Vec<_>>(),
            "code" => c.by_unit.iter().map(|r| plan.indicators[r.indicator].code.clone()).collect::<Vec<_>>(),
            "actual" => c.by_unit.iter().map(|r| r.actual).collect::<Vec<_>>(),
            "status" => c.by_unit.iter().map(|r| r.status.code()).collect::<Vec<_>>(),
            "warning" => c.by_unit.iter().map(|r| r.warning.map(|w| w.code())).collect::<Vec<_>>(),
        )
        .map_err(StoreError::table(&tables))?;
        let table = self.put_table(&mut df)?;
        // Every accepted value, ratio parts included: `decreased` compares
        // them all.
        let mut facts_df = df!(
            "unit" => checked.facts.iter().map(|f| plan.units[f.unit].name.clone()).collect::<Vec<_>>(),
            "code" => checked.facts.iter().map(|f| plan.indicators[f.indicator].code.clone()).collect::<Vec<_>>(),
            "value" => checked.facts.iter().map(|f| f.value).collect::<Vec<_>>(),
        )
        .map_err(StoreError::table(&tables))?;
        let facts = self.put_table(&mut facts_df)?;
        if crate::test_hooks::value("TALLY_TEST_FAIL_STORE").is_some() {
            // Test hook: a run that dies after writing its table but before
            // its manifest (tests/integration/history.rs).
            return Err(StoreError::io(&self.root)(std::io::Error::other(
                "TALLY_TEST_FAIL_STORE",
            )));
        }
        let manifest = PeriodManifest::new(plan, c, checked, run_at, table, facts);
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
        let path = self.root.join("periods").join(format!("{}.json", c.period));
        write_atomic_with(&path, &json, Access::Private)?;
        Ok(())
    }
}

impl PeriodManifest {
    fn new(
        plan: &Plan,
        c: &Consolidation,
        checked: &Checked,
        run_at: &str,
        by_unit: String,
        facts: String,
    ) -> PeriodManifest {
        let count = |st: SubmissionStatus| {
            checked
                .submissions
                .iter()
                .filter(|s| s.status == st)
                .count()
        };
        PeriodManifest {
            period: c.period.to_string(),
            run_at: run_at.to_string(),
            tally_version: env!("CARGO_PKG_VERSION").to_string(),
            inputs: checked
                .submissions
                .iter()
                .map(|s| Input {
                    file: s.file.clone(),
                    unit: s.unit.as_ref().map(|u| u.name.clone()),
                    status: s.status,
                    sha256: s.sha256.clone(),
                })
                .collect(),
            by_unit,
            facts,
            accepted: count(SubmissionStatus::Accepted),
            missing: count(SubmissionStatus::Missing),
            errors: checked.count(Severity::Error),
            warnings: checked.count(Severity::Warning),
            county: c
                .county
                .iter()
                .map(|r| (plan.indicators[r.indicator].code.clone(), r.completion))
                .collect(),
            county_actual: c
                .county
                .iter()
                .map(|r| (plan.indicators[r.indicator].code.clone(), r.actual))
                .collect(),
            elapsed: c.elapsed,
        }
    }
}

/// A period's manifest.
/// The period of the manifest `m` read from `path`, which must be the one
/// its file is named for: a copy (`2022-03-bak.json`) or a hand-edited
/// period would be a second, or a missing, record of a period, and which
/// one a later run compared with would depend on the listing order.
fn manifest_period(path: &Path, m: &PeriodManifest) -> Result<Period, StoreError> {
    let stem = path.file_stem().map(|s| s.to_string_lossy());
    match m.period.parse::<Period>() {
        Ok(p) if stem.as_deref() == Some(p.to_string().as_str()) => Ok(p),
        _ => Err(StoreError::Stray {
            path: path.to_path_buf(),
            why: format!(
                "记录的期别是“{}”，与文件名不符（是一份副本，或被改动过）",
                m.period
            ),
        }),
    }
}

fn read_manifest(path: &Path) -> Result<PeriodManifest, StoreError> {
    // A pipe or a device named `*.json` would block the read for ever.
    let regular = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
    if !regular && path.exists() {
        return Err(StoreError::Stray {
            path: path.to_path_buf(),
            why: "不是普通文件".into(),
        });
    }
    let bytes = std::fs::read(path).map_err(StoreError::io(path))?;
    serde_json::from_slice(&bytes).map_err(|source| StoreError::Manifest {
        path: path.to_path_buf(),
        period: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source,
    })
}

/// What the previous stored period of the year left for this run.
#[derive(Debug, Clone)]
pub struct PreviousRun {
    /// Its accepted values, for `decreased`.
    pub previous: Arc<Previous>,
    /// Its warnings, for escalation (section 7).
    pub warnings: HashMap<TaskKey, Warning>,
}

/// Stored rows keyed by the current plan's (unit, indicator); rows of
/// units or indicators no longer in the plan are dropped.
pub fn by_plan_index(plan: &Plan, rows: &[StoredRow]) -> HashMap<TaskKey, StoredRow> {
    rows.iter()
        .filter_map(|r| {
            let u = plan.unit_named(&r.unit)?;
            let i = plan.indicator_by_code(&r.code)?;
            Some(((u, i), r.clone()))
        })
        .collect()
}

/// One period of the year on the trend: its label, time progress and the
/// county completion of each indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    pub label: String,
    pub elapsed: f64,
    pub completion: HashMap<IndicatorId, Option<f64>>,
}

/// What the workbook shows from history.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Earlier stored periods of the year, then the current one.
    pub trend: Vec<TrendPoint>,
    /// Per unit: what changed since the last run of the same period, as
    /// `代码 旧值 → 新值` lines.
    pub changes: HashMap<UnitId, Vec<String>>,
}

impl History {
    /// The trend of the year, and the changes since `earlier`, the last run
    /// of the same period (if any).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a stored period cannot be read.
    pub fn new(
        store: &Store,
        plan: &Plan,
        c: &Consolidation,
        earlier: Option<&HashMap<TaskKey, StoredRow>>,
    ) -> Result<History, StoreError> {
        Ok(History {
            trend: trend(store, plan, c)?,
            changes: earlier.map(|old| changes(plan, old, c)).unwrap_or_default(),
        })
    }
}

/// The trend of the year up to the consolidated period.
pub fn trend(store: &Store, plan: &Plan, c: &Consolidation) -> Result<Vec<TrendPoint>, StoreError> {
    let mut points: Vec<TrendPoint> = store
        .periods()?
        .into_iter()
        .filter_map(|m| {
            let p: Period = m.period.parse().ok()?;
            (p.year() == c.period.year() && p.end_date() < c.period.end_date()).then(|| {
                TrendPoint {
                    label: p.label(),
                    elapsed: m.elapsed,
                    completion: m
                        .county
                        .iter()
                        .filter_map(|(code, v)| Some((plan.indicator_by_code(code)?, *v)))
                        .collect(),
                }
            })
        })
        .collect();
    points.push(TrendPoint {
        label: c.period.label(),
        elapsed: c.elapsed,
        completion: c
            .county
            .iter()
            .map(|r| (r.indicator, r.completion))
            .collect(),
    });
    Ok(points)
}

/// What each unit's values changed from the earlier run of the same period.
pub fn changes(
    plan: &Plan,
    old: &HashMap<TaskKey, StoredRow>,
    c: &Consolidation,
) -> HashMap<UnitId, Vec<String>> {
    let show = |v: Option<f64>| v.map_or("空".to_string(), crate::model::value::format_number);
    let mut out: HashMap<UnitId, Vec<String>> = HashMap::default();
    for r in &c.by_unit {
        let before = old.get(&(r.unit, r.indicator)).and_then(|o| o.actual);
        let same = match (before, r.actual) {
            (Some(a), Some(b)) => about_equal(a, b, 0.0),
            (a, b) => a.is_none() && b.is_none(),
        };
        if !same {
            out.entry(r.unit).or_default().push(format!(
                "{} {} → {}",
                plan.indicators[r.indicator].code,
                show(before),
                show(r.actual)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_store_is_closed_to_others_but_its_owners_rights_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        drop(Store::open(&open).unwrap());
        assert_eq!(mode(&open), 0o700);
        // Made read-only by its owner: not made writable again.
        let frozen = dir.path().join("frozen");
        std::fs::create_dir_all(frozen.join("periods")).unwrap();
        std::fs::set_permissions(&frozen, std::fs::Permissions::from_mode(0o555)).unwrap();
        let opened = Store::open(&frozen);
        assert_eq!(mode(&frozen), 0o500);
        drop(opened);
        std::fs::set_permissions(&frozen, std::fs::Permissions::from_mode(0o700)).unwrap();
    }

    #[test]
    fn a_file_saved_over_since_it_was_read_is_not_archived_as_the_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        let inbox = dir.path().join("甲镇.xlsx");
        std::fs::write(&inbox, b"as read").unwrap();
        let read = sha256_hex(b"as read");
        std::fs::write(&inbox, b"saved over").unwrap();
        let err = store.archive(&inbox, &read).unwrap_err();
        assert!(matches!(err, StoreError::Changed(_)), "{err}");
        assert!(!store.archived(&read, &inbox).exists());
        // As read, it is archived under its hash.
        std::fs::write(&inbox, b"as read").unwrap();
        store.archive(&inbox, &read).unwrap();
        assert_eq!(
            std::fs::read(store.archived(&read, &inbox)).unwrap(),
            b"as read"
        );
    }
}
