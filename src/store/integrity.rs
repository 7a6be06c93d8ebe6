//! Whether the store can be trusted, and the way back when it cannot:
//! `tally history --verify` checks every manifest, table and archived
//! submission against its SHA-256; `--restore` puts a period's archived
//! submissions back under their own names, to run the period again.

use std::path::{Path, PathBuf};

use super::{PeriodManifest, Store, StoreError, manifest_period, read_manifest};
use crate::files::sha256_hex;
use crate::model::{Period, SubmissionStatus};

/// One thing wrong in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The period it belongs to (the manifest's file stem).
    pub period: String,
    pub path: PathBuf,
    /// What is wrong, in Chinese.
    pub problem: String,
}

/// Whether `path` holds bytes whose SHA-256 is `sha`: `None` when it does,
/// else what is wrong.
fn check(path: &Path, sha: &str) -> Option<&'static str> {
    match std::fs::read(path) {
        Err(_) => Some("不见了或无法读取"),
        Ok(bytes) if sha256_hex(&bytes) != sha => {
            Some("与记录的校验值（SHA-256）不符，已被改动或损坏")
        }
        Ok(_) => None,
    }
}

impl Store {
    /// Checks every manifest, every table it names and every archived
    /// submission against their SHA-256.
    ///
    /// # Errors
    ///
    /// [`StoreError`] only when the store's folders cannot be listed.
    pub fn verify(&self) -> Result<Vec<Finding>, StoreError> {
        let dir = self.root.join("periods");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(StoreError::io(&dir))?
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let mut found = Vec::new();
        for path in paths {
            let period = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let read = read_manifest(&path).and_then(|m| manifest_period(&path, &m).map(|_| m));
            let problem = match read {
                Ok(m) => {
                    found.extend(self.verify_period(&m));
                    continue;
                }
                Err(StoreError::Stray { why, .. }) => why,
                Err(_) => "记录文件已损坏，无法读取".into(),
            };
            found.push(Finding {
                period,
                path,
                problem,
            });
        }
        Ok(found)
    }

    fn verify_period(&self, m: &PeriodManifest) -> Vec<Finding> {
        let mut found = Vec::new();
        let mut note = |path: PathBuf, problem: String| {
            found.push(Finding {
                period: m.period.clone(),
                path,
                problem,
            })
        };
        for table in [&m.by_unit, &m.facts] {
            let path = self.root.join("tables").join(table);
            let sha = table.strip_suffix(".parquet").unwrap_or(table);
            if let Some(why) = check(&path, sha) {
                note(path, format!("数据表{why}"));
            }
        }
        for input in &m.inputs {
            if let (Some(file), Some(sha)) = (&input.file, &input.sha256) {
                let path = self.archived(sha, Path::new(file));
                if let Some(why) = check(&path, sha) {
                    note(path, format!("存档的报表“{file}”{why}"));
                }
            }
        }
        found
    }

    /// Copies the archived submissions of `period` into `into` under the
    /// names they were received with, each checked against its SHA-256, so
    /// that `tally run` can rebuild the period from them. Never overwrites.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the period is not stored, its manifest or an
    /// archived file is damaged, or a file cannot be written.
    pub fn restore(&self, period: Period, into: &Path) -> Result<Vec<PathBuf>, StoreError> {
        let Some(m) = self.manifest(period)? else {
            return Err(StoreError::NotStored(period.to_string()));
        };
        let target = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Restore { path, source }
        };
        std::fs::create_dir_all(into).map_err(target(into))?;
        // Of two files of a unit with the same 填报日期, the later saved
        // counts: restored now, all would be saved at once, and the one
        // the period used could lose to the one it replaced. The file used
        // is given the period's run time, the others a minute before.
        let ran = chrono::DateTime::parse_from_rfc3339(&m.run_at)
            .map(std::time::SystemTime::from)
            .unwrap_or_else(|_| std::time::SystemTime::now());
        let mut restored = Vec::new();
        for input in &m.inputs {
            let (Some(file), Some(sha)) = (&input.file, &input.sha256) else {
                continue;
            };
            let from = self.archived(sha, Path::new(file));
            if let Some(why) = check(&from, sha) {
                return Err(StoreError::Archive {
                    path: from,
                    file: file.clone(),
                    why,
                });
            }
            // A name is only a name: nothing may leave `into`. An inbox
            // name is kept whole (made safe, a long one lost its ending
            // and was then no workbook).
            let whole = Path::new(file).file_name().filter(|n| *n == file.as_str());
            let name = whole.map_or_else(
                || crate::files::safe_file_stem(file).into(),
                |n| n.to_os_string(),
            );
            let to = into.join(name);
            let saved = match input.status {
                SubmissionStatus::Accepted => ran,
                _ => ran - std::time::Duration::from_secs(60),
            };
            std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&to)
                .and_then(|mut out| {
                    std::io::copy(&mut std::fs::File::open(&from)?, &mut out)?;
                    out.set_modified(saved)
                })
                .map_err(target(&to))?;
            restored.push(to);
        }
        Ok(restored)
    }
}
