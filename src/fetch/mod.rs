//! `tally fetch` (CONTRACT.md section 13): the workbooks townships mail to
//! the bureau's reporting address, brought into the period's inbox folder
//! exactly once, and with `--reply` each sender answered at once with the
//! check of its file.
//!
//! Rooms: `connect` (IMAP over TCP or TLS, read-only), `message` (MIME:
//! attachment names in every encoding, zips), `ledger` (what was fetched,
//! crash-safe), `reply` (the answers). This file runs them in order.

mod connect;
pub mod ledger;
pub mod message;
mod reply;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use imap::Session;

use crate::files::{OutputError, sha256_hex, write_atomic};
use crate::model::{SubmissionStatus, UnitId};
use crate::plan::{Plan, PlanError, read_plan};
pub use crate::settings::FetchCommand;
use crate::sheet::Stray;
use crate::validate::{CheckOptions, FileIndex, Inspection, Previous};
use connect::Conn;
use ledger::{Entry, Ledger, LedgerError, SavedFile, State, unused_name};
use message::Mail;

/// Why fetch could not work (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("环境变量 {0} 未设置：请在其中放入报送邮箱的密码（或授权码）")]
    Password(String),
    #[error("无法连接报送邮箱的服务器 {host}:{port}；请检查 [imap] 的 host 和 port，以及网络")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Certificate(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error(
        "服务器 {host} 不支持 STARTTLS（{detail}）；请改用 security = \"tls\"（端口通常是 993）"
    )]
    NoStarttls { host: String, detail: String },
    #[error(
        "报送邮箱 {user} 登录 {host} 被拒绝（{detail}）；请检查用户名和密码。多数邮箱需先在网页版设置中开启 IMAP，并使用“授权码”而不是登录密码"
    )]
    Login {
        user: String,
        host: String,
        detail: String,
    },
    #[error("报送邮箱中没有文件夹“{folder}”（{detail}）；请检查 [imap] folder")]
    NoFolder { folder: String, detail: String },
    #[error("与服务器 {host} 通信出错（{detail}）")]
    Protocol { host: String, detail: String },
    #[error(transparent)]
    Check(#[from] Box<crate::pipeline::TallyError>),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("要回复发件人（--reply），设置文件须有 [mail] from；示例见 samples/tally.toml")]
    NoSender,
}

/// What one message gave, for the command's report.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub entry: Entry,
    /// (file name, errors, warnings, what became of it) from the check.
    pub checked: Vec<(String, usize, usize, SubmissionStatus)>,
    /// True when this run finished a message an earlier, killed run began.
    pub resumed: bool,
}

/// What a fetch did.
#[derive(Debug, Default)]
pub struct FetchReport {
    pub fetched: Vec<Fetched>,
    /// Messages already fetched before, left alone.
    pub known: usize,
    /// Messages the server listed but then gave no content for (deleted or
    /// moved by another client meanwhile): not recorded, so fetched by the
    /// next run if they are still there.
    pub unread: Vec<u32>,
    /// Replies sent, or written to the outbox (paths).
    pub replied: Vec<String>,
    pub outbox: Vec<PathBuf>,
    /// (to whom, why) of replies that could not be sent.
    pub reply_failures: Vec<(String, String)>,
}

impl FetchReport {
    /// The command's report: one line per new message, what was saved or
    /// why nothing was, each file's check, then the replies.
    ///
    /// # Errors
    ///
    /// The I/O error of `out`.
    pub fn write_text(
        &self,
        out: &mut dyn std::io::Write,
        cmd: &FetchCommand,
    ) -> std::io::Result<()> {
        writeln!(
            out,
            "tally fetch {}：{} 的 {} 中新邮件 {} 封（此前已收取 {} 封）",
            cmd.period,
            cmd.imap.username,
            cmd.imap.folder,
            self.fetched.len(),
            self.known
        )?;
        if !self.unread.is_empty() {
            let uids: Vec<String> = self.unread.iter().map(u32::to_string).collect();
            writeln!(
                out,
                "另有 {} 封邮件（UID {}）服务器未返回内容，可能刚被删除或移走；未保存，如仍在邮箱中，下次收取时会再取",
                self.unread.len(),
                uids.join("、")
            )?;
        }
        for f in &self.fetched {
            let e = &f.entry;
            let who = match (&e.unit, &e.from) {
                (Some(u), Some(a)) => format!("{u} <{a}>"),
                (None, Some(a)) => format!("<{a}>（不是名单中的单位邮箱）"),
                _ => "（无发件人）".to_string(),
            };
            let resumed = if f.resumed {
                "（续完上次中断的保存）"
            } else {
                ""
            };
            writeln!(out, "\n{who}「{}」{resumed}", e.subject)?;
            if e.files.is_empty() {
                writeln!(out, "  · 没有报表文件")?;
            }
            for (name, errors, warnings, status) in &f.checked {
                let (mark, state) = match (status, errors) {
                    (SubmissionStatus::Accepted, 0) => ("✓", "已接收".to_string()),
                    (SubmissionStatus::Accepted, n) => ("!", format!("已接收，错误 {n} 处")),
                    (SubmissionStatus::Superseded, _) => {
                        ("·", "已被本单位更新的报表替代".to_string())
                    }
                    _ => ("✗", format!("未能采用，错误 {errors} 处")),
                };
                let warned = if *warnings > 0 {
                    format!("，警告 {warnings} 处")
                } else {
                    String::new()
                };
                writeln!(out, "  {mark} {name}：{state}{warned}")?;
            }
            for (name, why) in &e.skipped {
                writeln!(out, "  · 未保存 {name}：{why}")?;
            }
        }
        if !self.replied.is_empty() {
            writeln!(
                out,
                "\n已回复 {} 封：{}",
                self.replied.len(),
                self.replied.join("、")
            )?;
        }
        if !self.outbox.is_empty() {
            writeln!(out, "\n回复未发送，写入 {} 封 .eml：", self.outbox.len())?;
            for p in &self.outbox {
                writeln!(out, "  {}", p.display())?;
            }
        }
        for (to, why) in &self.reply_failures {
            writeln!(out, "\n回复 {to} 失败：{why}")?;
        }
        Ok(())
    }

    /// Whether a fetched file has errors (exit 1).
    pub fn has_errors(&self) -> bool {
        self.fetched.iter().any(|f| {
            f.checked
                .iter()
                .any(|(_, e, _, s)| *e > 0 && *s != SubmissionStatus::Superseded)
        })
    }
}

/// Fetches every new message, saves its workbooks, checks them, and with
/// `--reply` answers each sender.
///
/// # Errors
///
/// [`FetchError`] when fetch could not work: the plan, the ledger, the
/// server, the login; a message it cannot use is in the report.
pub fn fetch(cmd: &FetchCommand) -> Result<FetchReport, FetchError> {
    if cmd.reply && cmd.mail.is_none() {
        return Err(FetchError::NoSender);
    }
    let plan = read_plan(&cmd.plan)?;
    // The last stored period, read before any mail is fetched: a wrong or
    // damaged --store is said while there is nothing to lose.
    let previous = match cmd.store.as_deref() {
        Some(dir) => crate::pipeline::existing_store(dir)
            .and_then(|store| Ok(store.previous_run(&plan, cmd.period)?))
            .map_err(Box::new)?
            .map(|p| p.previous),
        None => None,
    };
    std::fs::create_dir_all(&cmd.inbox).map_err(|e| OutputError::new(&cmd.inbox, e))?;
    let mut ledger = Ledger::load(&cmd.inbox)?;
    remove_interrupted(&cmd.inbox);
    let (mut session, validity) = connect::open(&cmd.imap)?;
    let mut report = FetchReport::default();
    let result = fetch_new(cmd, &plan, &mut session, validity, &mut ledger, &mut report);
    let _ = session.logout();
    result?;
    // Replies owed by an earlier --reply run that was cut short count too.
    let owed = cmd.reply
        && ledger
            .messages
            .iter()
            .any(|e| e.reply_wanted && e.replied.is_none() && e.state == State::Saved);
    if !report.fetched.is_empty() || owed {
        let inspection = check_inbox(cmd, previous)?;
        let files = inspection.checked.by_file();
        for f in &mut report.fetched {
            f.checked = checked_files(&files, &f.entry);
        }
        if cmd.reply {
            reply::answer(cmd, &plan, &inspection, &mut ledger, &mut report)?;
        }
    }
    Ok(report)
}

/// A fetch killed while it saved a file leaves its temporary file
/// (`.tally-….tmp`) in the inbox, which every later check would list as a
/// refused file. Under the ledger's lock no other fetch writes there, so
/// any such file is a leftover, and goes.
fn remove_interrupted(inbox: &Path) {
    for entry in std::fs::read_dir(inbox).into_iter().flatten().flatten() {
        let leftover = Stray::of_name(&entry.file_name().to_string_lossy()) == Stray::Interrupted;
        if leftover && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Saves every message not fetched before, one at a time, the ledger
/// written before and after each.
fn fetch_new(
    cmd: &FetchCommand,
    plan: &Plan,
    session: &mut Session<Conn>,
    validity: u32,
    ledger: &mut Ledger,
    report: &mut FetchReport,
) -> Result<(), FetchError> {
    let protocol = |e: imap::Error| FetchError::Protocol {
        host: cmd.imap.host.clone(),
        detail: e.to_string(),
    };
    // SINCE is the day mail reached the mailbox (RFC 3501), not its Date.
    let query = match cmd.since {
        Some(day) => format!("SINCE {}", day.format("%d-%b-%Y")),
        None => "ALL".to_string(),
    };
    let mut uids: Vec<u32> = session
        .uid_search(&query)
        .map_err(protocol)?
        .into_iter()
        .collect();
    uids.sort_unstable();
    for uid in uids {
        let known = ledger.find(validity, uid);
        let saved_here = known.is_some_and(|k| ledger.messages[k].state == State::Saved);
        if saved_here || ledger.elsewhere.contains(&(validity, uid)) {
            report.known += 1;
            continue;
        }
        // BODY.PEEK: reading a message must not mark it read.
        let fetches = session
            .uid_fetch(uid.to_string(), "(INTERNALDATE BODY.PEEK[])")
            .map_err(protocol)?;
        let Some(raw) = fetches.iter().find_map(|f| f.body().map(<[u8]>::to_vec)) else {
            report.unread.push(uid);
            continue;
        };
        let mut mail = message::parse(&raw, cmd.read.max_bytes);
        // Without a Date (or with one no clock shows), when the mailbox
        // got it: a file's time must never be the moment of fetching,
        // which would make it later than a correction mailed after it.
        if mail.date.is_none() {
            mail.date = fetches
                .iter()
                .find_map(|f| f.internal_date())
                .map(|d| d.timestamp());
        }
        // By Message-ID only across a renumbering (another UID validity):
        // two messages of one mailbox are two, whatever their IDs say.
        let renumbered = ledger
            .find_id(&mail.message_id)
            .filter(|&k| ledger.messages[k].uid_validity != validity);
        let renumbered_elsewhere = ledger
            .elsewhere_ids
            .iter()
            .any(|(id, v)| *id == mail.message_id && *v != validity);
        if known.is_none() && renumbered_elsewhere {
            report.known += 1;
            continue;
        }
        let k = match known.or(renumbered) {
            // Renumbered by the server, and already saved under its old
            // UID: known by its new one from now on.
            Some(k) if ledger.messages[k].state == State::Saved => {
                ledger.messages[k].uid_validity = validity;
                ledger.messages[k].uid = uid;
                ledger.save()?;
                report.known += 1;
                continue;
            }
            Some(k) => k,
            None => {
                let entry = new_entry(cmd, plan, ledger, validity, uid, &mail);
                ledger.messages.push(entry);
                ledger.save()?;
                ledger.messages.len() - 1
            }
        };
        let resumed = known.is_some() || ledger.messages[k].uid != uid;
        write_files(&cmd.inbox, &mut ledger.messages[k], &mail)?;
        ledger.messages[k].state = State::Saved;
        ledger.save()?;
        report.fetched.push(Fetched {
            entry: ledger.messages[k].clone(),
            checked: Vec::new(),
            resumed,
        });
    }
    Ok(())
}

/// The ledger entry of a new message: its workbooks' names reserved.
fn new_entry(
    cmd: &FetchCommand,
    plan: &Plan,
    ledger: &Ledger,
    validity: u32,
    uid: u32,
    mail: &Mail,
) -> Entry {
    let unit = mail.from.as_deref().and_then(|a| unit_of_sender(plan, a));
    let mut given = ledger.names();
    let files = mail
        .workbooks
        .iter()
        .map(|w| {
            let wanted = match unit {
                // The unit's name whole and first (section 13), made
                // safe on its own (`县委办/县政府办`); with a long one the
                // whole is cut again to fit a file system.
                Some(u) if !plan.is_named_in(u, &w.name) => {
                    let unit = crate::files::safe_file_stem(&plan.units[u].name);
                    let named = format!("{unit} - {}", w.name);
                    if unit.chars().count() <= 24 {
                        named
                    } else {
                        message::clean(&named)
                    }
                }
                _ => w.name.clone(),
            };
            let name = unused_name(&cmd.inbox, &wanted, &given);
            given.insert(name.to_lowercase());
            SavedFile {
                name,
                original: w.name.clone(),
                sha256: sha256_hex(&w.bytes),
            }
        })
        .collect();
    Entry {
        uid_validity: validity,
        uid,
        message_id: mail.message_id.clone(),
        from: mail.from.clone(),
        subject: mail.subject.clone(),
        date: mail.date.and_then(rfc3339),
        unit: unit.map(|u| plan.units[u].name.clone()),
        state: State::Saving,
        files,
        skipped: mail.skipped.clone(),
        replied: None,
        reply_wanted: cmd.reply,
        automatic: mail.automatic,
    }
}

fn rfc3339(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0).map(|t| {
        t.with_timezone(&chrono::Local)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    })
}

/// The unit whose 邮箱 this address is.
fn unit_of_sender(plan: &Plan, address: &str) -> Option<UnitId> {
    plan.units
        .iter_enumerated()
        .find(|(_, u)| {
            u.email
                .as_deref()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(address))
        })
        .map(|(id, _)| id)
}

/// Writes the message's workbooks under their reserved names: a file
/// already there with the same content is left (a resumed fetch); one with
/// other content is never overwritten, the workbook gets another name.
fn write_files(inbox: &Path, entry: &mut Entry, mail: &Mail) -> Result<(), FetchError> {
    let mtime = mail
        .date
        .and_then(|s| u64::try_from(s).ok())
        .and_then(|s| std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(s)));
    for (k, w) in mail.workbooks.iter().enumerate() {
        let Some(file) = entry.files.get(k).cloned() else {
            continue;
        };
        abort_for_tests();
        let path = inbox.join(&file.name);
        match std::fs::read(&path) {
            // Written by a fetch cut short: maybe before its time was set.
            Ok(bytes) if sha256_hex(&bytes) == file.sha256 => set_mtime(&path, mtime),
            Ok(_) => {
                let others: std::collections::HashSet<String> =
                    entry.files.iter().map(|f| f.name.to_lowercase()).collect();
                let name = unused_name(inbox, &file.name, &others);
                write_atomic(&inbox.join(&name), &w.bytes)?;
                set_mtime(&inbox.join(&name), mtime);
                entry.files[k].name = name;
            }
            Err(_) => {
                write_atomic(&path, &w.bytes)?;
                set_mtime(&path, mtime);
            }
        }
    }
    Ok(())
}

/// Test hook: `TALLY_TEST_FETCH_ABORT=N` kills the process (as kill -9
/// would) before it writes its N+1-th workbook, names already reserved
/// and N files written (tests/integration/fetch.rs).
fn abort_for_tests() {
    static WRITTEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = WRITTEN.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    if crate::test_hooks::number::<usize>("TALLY_TEST_FETCH_ABORT") == Some(n) {
        std::process::abort();
    }
}

/// The file's modification time becomes the mail's Date, so that "the
/// later file" of section 5 means "mailed later".
fn set_mtime(path: &Path, mtime: Option<std::time::SystemTime>) {
    if let (Some(t), Ok(f)) = (mtime, std::fs::File::options().write(true).open(path)) {
        let _ = f.set_modified(t);
    }
}

/// The whole inbox checked as `tally check` would, for the period (with
/// `--store`, against the stored period before it).
fn check_inbox(
    cmd: &FetchCommand,
    previous: Option<Arc<Previous>>,
) -> Result<Inspection, FetchError> {
    let options = CheckOptions {
        period: Some(cmd.period),
        tolerance: cmd.tolerance,
        previous,
    };
    crate::pipeline::inspect(&cmd.plan, &cmd.inbox, &cmd.read, &options)
        .map_err(|e| FetchError::Check(Box::new(e)))
}

/// (file, errors, warnings, status) of each file of a message.
fn checked_files(
    files: &FileIndex<'_>,
    entry: &Entry,
) -> Vec<(String, usize, usize, SubmissionStatus)> {
    entry
        .files
        .iter()
        .filter_map(|f| {
            let s = files.submission(&f.name)?;
            Some((f.name.clone(), s.errors, s.warnings, s.status))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_the_server_gave_no_content_for_is_said() {
        let cmd = FetchCommand {
            plan: "plan.xlsx".into(),
            period: "2022-03".parse().unwrap(),
            inbox: "inbox".into(),
            imap: crate::config::ImapSettings {
                host: "imap.example.org".into(),
                port: 993,
                security: crate::config::Security::Tls,
                username: "stats@example.org".into(),
                password_env: "P".into(),
                folder: "INBOX".into(),
                ca_file: None,
            },
            smtp: None,
            mail: None,
            reply: false,
            dry_run: false,
            since: None,
            store: None,
            org: String::new(),
            read: crate::ingest::ReadOptions::default(),
            tolerance: Default::default(),
        };
        let report = FetchReport {
            known: 2,
            unread: vec![17, 19],
            ..FetchReport::default()
        };
        let mut text = Vec::new();
        report.write_text(&mut text, &cmd).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("新邮件 0 封（此前已收取 2 封）"), "{text}");
        assert!(
            text.contains("另有 2 封邮件（UID 17、19）服务器未返回内容"),
            "{text}"
        );
        let quiet = FetchReport::default();
        let mut text = Vec::new();
        quiet.write_text(&mut text, &cmd).unwrap();
        assert!(!String::from_utf8(text).unwrap().contains("另有"));
    }
}
