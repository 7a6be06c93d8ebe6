//! Whether the store can be trusted, and the way back when it cannot:
//! `tally history --verify` checks every manifest, table and archived
//! submission against its SHA-256; `--restore` puts a period's archived
//! submissions back under their own names, to run the period again.

use std::path::{Path, PathBuf};

use super::{PeriodManifest, Store, StoreError, read_manifest};
use crate::files::sha256_hex;
use crate::model::Period;

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
            match read_manifest(&path) {
                Ok(m) => found.extend(self.verify_period(&m)),
                Err(_) => found.push(Finding {
                    period,
                    path,
                    problem: "记录文件已损坏，无法读取".into(),
                }),
            }
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
        std::fs::create_dir_all(into).map_err(StoreError::io(into))?;
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
            // A name is only a name: nothing may leave `into`.
            let to = into.join(crate::files::safe_file_stem(file));
            std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&to)
                .and_then(|mut out| std::io::copy(&mut std::fs::File::open(&from)?, &mut out))
                .map_err(StoreError::io(&to))?;
            restored.push(to);
        }
        Ok(restored)
    }
}
