//! The stages wired together: plan → ingest → validate.
//!
//! Commands call this instead of repeating the wiring; tests call it to
//! drive the real pipeline without the binary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::ingest::{self, FileRead, InboxFile, ReadOptions};
use crate::plan::{Plan, PlanError, read_plan};
use crate::validate::{self, CheckOptions, Checked, Received};

/// Why tally could not do its work at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TallyError {
    #[error("{0}")]
    Plan(#[from] PlanError),
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
    let started = Instant::now();
    let plan = read_plan(plan_path)?;
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
