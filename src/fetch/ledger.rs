//! The fetch ledger (`DIR.fetch.json`): every message of the mailbox that
//! fetch has seen, once, with what it saved or why it saved nothing, and
//! whether its sender was answered.
//!
//! A message is recorded as `saving`, with the names its workbooks will
//! have, before any file is written, and as `saved` after the last one: a
//! fetch killed in between finds the entry on its next run and finishes
//! writing the same names, so nothing is lost and nothing saved twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::files::{OutputError, write_atomic};

/// Where a message is in being saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Names reserved, files maybe not all written yet.
    Saving,
    /// Every workbook written (or none to write).
    Saved,
}

/// A workbook saved from a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFile {
    /// Its name in the inbox folder.
    pub name: String,
    /// The name it had in the mail.
    pub original: String,
    pub sha256: String,
}

/// One message of the mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub uid_validity: u32,
    pub uid: u32,
    pub message_id: String,
    pub from: Option<String>,
    pub subject: String,
    /// The Date header, RFC 3339.
    pub date: Option<String>,
    /// The unit its sender is, by the plan's 邮箱.
    pub unit: Option<String>,
    pub state: State,
    pub files: Vec<SavedFile>,
    /// (name, why) of what was not saved.
    pub skipped: Vec<(String, String)>,
    /// When the sender was answered, if yet.
    pub replied: Option<String>,
    /// Fetched by a `--reply` run: to be answered, even by a later run
    /// when this one was cut short.
    #[serde(default)]
    pub reply_wanted: bool,
    /// Sent by a machine (auto-reply, bounce, list): never answered.
    #[serde(default)]
    pub automatic: bool,
}

/// The ledger of one inbox folder.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Ledger {
    pub messages: Vec<Entry>,
    #[serde(skip)]
    path: PathBuf,
    /// Messages the ledgers of the other periods' folders beside this one
    /// hold: fetched already, for another month, so not fetched again.
    #[serde(skip)]
    pub elsewhere: HashSet<(u32, u32)>,
    /// Their Message-IDs with their UID validity: one found under another
    /// validity is the same mail renumbered by the server; under the
    /// same, a different mail that reused an ID (as some office systems'
    /// do), fetched like any.
    #[serde(skip)]
    pub elsewhere_ids: HashSet<(String, u32)>,
    /// Held for the whole fetch: two fetches at once would each save the
    /// same mail.
    #[serde(skip)]
    lock: Option<std::fs::File>,
}

/// A ledger that cannot be read stops fetch: guessing would save or
/// answer twice.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "收件记录 {path} 已损坏，无法读取；为免重复保存和回复，本次未收取邮件。请从备份恢复该文件，或确认收件文件夹后删除它（删除后邮箱中的邮件会全部重新收取，同名文件另存为“原名 (2)”）"
    )]
    Damaged {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("无法读取收件记录 {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] OutputError),
    #[error("收件文件夹 {0} 正由另一次 tally fetch 收取；请等它结束后再运行")]
    Busy(PathBuf),
}

/// A ledger file, if there is one.
fn read(path: &Path) -> Result<Option<Ledger>, LedgerError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| LedgerError::Damaged {
                    path: path.to_path_buf(),
                    source,
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LedgerError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The lock `inbox/2022-03.fetch.lock`, held until the fetch ends.
fn lock(inbox: &Path) -> Result<std::fs::File, LedgerError> {
    let mut name = inbox.file_name().unwrap_or_default().to_os_string();
    name.push(".fetch.lock");
    let path = inbox.with_file_name(name);
    match crate::files::try_lock_path(&path) {
        Ok(Some(file)) => Ok(file),
        Ok(None) => Err(LedgerError::Busy(inbox.to_path_buf())),
        Err(source) => Err(LedgerError::Read { path, source }),
    }
}

/// `inbox/2022-03` → `inbox/2022-03.fetch.json`.
pub fn path_for(inbox: &Path) -> PathBuf {
    let mut name = inbox.file_name().unwrap_or_default().to_os_string();
    name.push(".fetch.json");
    inbox.with_file_name(name)
}

impl Ledger {
    /// The ledger beside `inbox`, empty when there is none yet.
    ///
    /// # Errors
    ///
    /// [`LedgerError`] when it exists and cannot be read.
    pub fn load(inbox: &Path) -> Result<Ledger, LedgerError> {
        let path = path_for(inbox);
        let lock = lock(inbox)?;
        let mut ledger = read(&path)?.unwrap_or_default();
        ledger.path = path.clone();
        ledger.lock = Some(lock);
        // The other periods' ledgers beside it (inbox/2022-02.fetch.json):
        // their mail is not this month's to fetch again.
        let parent = path.parent().unwrap_or(Path::new("."));
        for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
            let other = entry.path();
            let is_ledger = other.to_string_lossy().ends_with(".fetch.json");
            if !is_ledger || other == path {
                continue;
            }
            for e in read(&other)?.map(|l| l.messages).unwrap_or_default() {
                ledger.elsewhere.insert((e.uid_validity, e.uid));
                ledger.elsewhere_ids.insert((e.message_id, e.uid_validity));
            }
        }
        Ok(ledger)
    }

    /// Writes the ledger, atomically.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Write`] when it cannot be written.
    pub fn save(&self) -> Result<(), LedgerError> {
        let json = serde_json::to_vec_pretty(self).expect("ledger serializes");
        write_atomic(&self.path, &json)?;
        Ok(())
    }

    /// The entry of this message: by UID where the mailbox kept its UID
    /// validity, else by Message-ID.
    pub fn find(&self, uid_validity: u32, uid: u32) -> Option<usize> {
        self.messages
            .iter()
            .position(|e| e.uid_validity == uid_validity && e.uid == uid)
    }

    /// The entry with this Message-ID (a mailbox whose UIDs were renumbered).
    pub fn find_id(&self, message_id: &str) -> Option<usize> {
        self.messages
            .iter()
            .position(|e| e.message_id == message_id)
    }

    /// The file names the ledger has given out (so no two messages get the
    /// same one, even before their files exist).
    pub fn names(&self) -> HashSet<String> {
        self.messages
            .iter()
            .flat_map(|e| e.files.iter().map(|f| f.name.to_lowercase()))
            .collect()
    }
}

/// A name in `dir` that no file has and the ledger has not given out:
/// `name`, else `stem (2).ext`, `stem (3).ext` ...
pub fn unused_name(dir: &Path, name: &str, given: &HashSet<String>) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s.to_string(), format!(".{e}")),
        None => (name.to_string(), String::new()),
    };
    std::iter::once(name.to_string())
        .chain((2..).map(|n| format!("{stem} ({n}){ext}")))
        .find(|n| !given.contains(&n.to_lowercase()) && !dir.join(n).exists())
        .expect("an unused name exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_collide_with_files_or_reservations() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("报表.xlsx"), b"x").unwrap();
        let given: HashSet<String> = ["报表 (2).xlsx".to_string()].into();
        assert_eq!(
            unused_name(dir.path(), "报表.xlsx", &given),
            "报表 (3).xlsx"
        );
        assert_eq!(unused_name(dir.path(), "新.xls", &given), "新.xls");
        assert_eq!(
            path_for(Path::new("inbox/2022-03")),
            Path::new("inbox/2022-03.fetch.json")
        );
    }
}
