//! The answer to each fetched mail (`--reply`): threaded under the
//! township's own mail, saying what became of each file, the fixes with
//! their cells in the clerk's words, and by when to send again; a mail
//! without a workbook is told what to send.

use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};

use super::ledger::{Entry, Ledger, State};
use super::{FetchCommand, FetchError, FetchReport};
use crate::files::{safe_file_stem, write_atomic};
use crate::model::period::date_cn;
use crate::model::{Severity, SubmissionStatus};
use crate::plan::Plan;
use crate::report::feedback::{WARNINGS_ASK, errors_counted};
use crate::validate::{FileIndex, Inspection};

/// Answers every message fetched by a `--reply` run that is not answered
/// yet; the ledger is written after each, so a reply is sent once.
///
/// # Errors
///
/// [`FetchError`] for a bad sender address or settings, or a ledger that
/// cannot be written; a reply the server refuses is in the report.
pub fn answer(
    cmd: &FetchCommand,
    plan: &Plan,
    inspection: &Inspection,
    ledger: &mut Ledger,
    report: &mut FetchReport,
) -> Result<(), FetchError> {
    let settings = cmd.mail.as_ref().ok_or(FetchError::NoSender)?;
    let from: Mailbox = settings.from.parse().map_err(|source| {
        FetchError::Mail(crate::mail::MailError::Address {
            address: settings.from.clone(),
            source,
        })
    })?;
    let smtp = cmd.smtp.as_ref().filter(|_| !cmd.dry_run);
    let transport = smtp.map(crate::mail::transport).transpose()?;
    let files = inspection.checked.by_file();
    for k in 0..ledger.messages.len() {
        let entry = &ledger.messages[k];
        if !entry.reply_wanted || entry.replied.is_some() || entry.state != State::Saved {
            continue;
        }
        // Never to a robot, nor to ourselves: answers would go round.
        let ours = entry.from.as_deref().is_some_and(|a| {
            a.eq_ignore_ascii_case(from.email.as_ref())
                || a.eq_ignore_ascii_case(&cmd.imap.username)
        });
        if entry.automatic || ours {
            continue;
        }
        let Some(to) = entry
            .from
            .as_deref()
            .and_then(|a| a.parse::<Mailbox>().ok())
        else {
            report.reply_failures.push((
                entry.from.clone().unwrap_or_default(),
                "发件人地址无法识别，无法回复".into(),
            ));
            continue;
        };
        let message = compose(cmd, plan, &files, entry, &from, to)?;
        match (&transport, smtp) {
            (Some(t), Some(s)) => {
                use lettre::Transport;
                if let Err(e) = t.send(&message) {
                    let why = crate::mail::send_failure(&e, &s.host, crate::mail::Resend::Reply);
                    report
                        .reply_failures
                        .push((entry.from.clone().unwrap_or_default(), why));
                    continue;
                }
                report.replied.push(entry.from.clone().unwrap_or_default());
                ledger.messages[k].replied = Some(chrono::Local::now().to_rfc3339());
                ledger.save()?;
            }
            _ => {
                // The dry run leaves the message to be answered for real.
                let mut outbox = cmd.inbox.clone().into_os_string();
                outbox.push(".outbox");
                let stem = safe_file_stem(&format!("{}-{}", entry.uid, entry.subject));
                let path = std::path::PathBuf::from(outbox).join(format!("{stem}.eml"));
                write_atomic(&path, &message.formatted())?;
                report.outbox.push(path);
            }
        }
    }
    Ok(())
}

fn compose(
    cmd: &FetchCommand,
    plan: &Plan,
    files: &FileIndex<'_>,
    entry: &Entry,
    from: &Mailbox,
    to: Mailbox,
) -> Result<Message, FetchError> {
    let (body, outcome) = body(cmd, plan, files, entry);
    let subject = subject(&entry.subject, outcome);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .in_reply_to(entry.message_id.clone())
        .references(entry.message_id.clone())
        // RFC 3834: an automatic answer, which auto-responders leave alone.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-replied".into(),
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| FetchError::Mail(crate::mail::MailError::Build(e)))
}

/// `Re:` and their subject, which keeps the thread, and the outcome, which
/// tells the clerk before opening. A clerk answering our reply sends our
/// last outcome back: it goes, or the subjects would pile up
/// 【未能采用…】【已接收】.
fn subject(theirs: &str, outcome: &str) -> String {
    let mut theirs = theirs.to_string();
    for old in OUTCOMES {
        theirs = theirs.replace(&format!("【{old}】"), "");
    }
    let theirs = theirs.trim_end();
    if theirs.to_ascii_lowercase().starts_with("re:") {
        format!("{theirs}【{outcome}】")
    } else {
        format!("Re: {theirs}【{outcome}】")
    }
}

/// What became of a mail, in the reply's subject.
const OUTCOMES: [&str; 5] = [
    "没有收到报表文件",
    "已接收，有错误需改正",
    "未能采用，请改正后重发",
    "已接收",
    "已由更新的报表替代",
];

/// The reply's text (one paragraph per file, then what was not taken),
/// and its outcome in a few words for the subject.
fn body(
    cmd: &FetchCommand,
    plan: &Plan,
    files: &FileIndex<'_>,
    entry: &Entry,
) -> (String, &'static str) {
    let who = entry.unit.clone().unwrap_or_else(|| "您好".to_string());
    let when = entry
        .date
        .as_deref()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
        .map(|d| date_cn(d.date_naive()))
        .unwrap_or_default();
    let mut out = format!(
        "{who}：\n\n{}已收到您{when}发来的邮件“{}”。\n\n",
        cmd.org, entry.subject
    );
    if entry.files.is_empty() {
        out.push_str(&format!(
            "邮件中没有报表文件，没有可以汇总的内容。请把填好的{}报表（Excel 或 WPS 表格，.xlsx、.xls 或 .ods 文件）作为附件，发送到本邮箱；照片、PDF 或正文中的数字无法汇总。\n",
            cmd.period.label()
        ));
    }
    let mut must_resend = false;
    let mut taken = false;
    for f in &entry.files {
        let (paragraph, resend) = file_paragraph(files, &f.name);
        must_resend |= resend;
        taken |= files
            .submission(&f.name)
            .is_some_and(|s| s.status == SubmissionStatus::Accepted);
        out.push_str(&paragraph);
        out.push('\n');
    }
    let outcome = match (entry.files.is_empty(), must_resend, taken) {
        (true, _, _) => OUTCOMES[0],
        (false, true, true) => OUTCOMES[1],
        (false, true, false) => OUTCOMES[2],
        (false, false, true) => OUTCOMES[3],
        // Only superseded files: a later one of the unit is in use.
        (false, false, false) => OUTCOMES[4],
    };
    if must_resend || entry.files.is_empty() {
        let sent = entry
            .date
            .as_deref()
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.date_naive());
        // The reply is read today: a mail sent on the due date and
        // answered two days later must not say "today is the due date".
        let today = chrono::Local::now().date_naive();
        let day = sent.map_or(today, |s| s.max(today));
        out.push_str(&resend_line(cmd.period, day, !entry.files.is_empty()));
        out.push('\n');
    }
    if !entry.skipped.is_empty() {
        out.push_str("\n以下附件未保存：\n");
        for (name, why) in &entry.skipped {
            out.push_str(&format!("  · {name}：{why}\n"));
        }
    }
    let unit_known =
        entry.unit.is_some() || entry.files.iter().any(|f| plan.unit_in(&f.name).is_some());
    if !unit_known {
        out.push_str(
            "\n（本邮箱地址不在报送单位名单中；如报表上没有写明填报单位，请在表头写明。）\n",
        );
    }
    out.push_str(&format!(
        "\n{}\n（此邮件由系统自动回复；改正后直接回复本邮件并附上报表即可。）\n",
        cmd.org
    ));
    (out, outcome)
}

/// What became of one file, and whether it must be sent again.
fn file_paragraph(files: &FileIndex<'_>, name: &str) -> (String, bool) {
    let submission = files.submission(name);
    let issues = files.issues(name);
    let listed = |severity: Severity| -> String {
        issues
            .iter()
            .filter(|i| i.severity == severity)
            .enumerate()
            .map(|(k, i)| match i.place() {
                Some(place) => format!("  {}. {place}：{}\n", k + 1, i.message),
                None => format!("  {}. {}\n", k + 1, i.message),
            })
            .collect()
    };
    let (errors, warnings) = (listed(Severity::Error), listed(Severity::Warning));
    let status = submission.map(|s| s.status);
    let mut text = match status {
        Some(SubmissionStatus::Accepted) if errors.is_empty() => {
            format!("“{name}”：已接收，没有错误。\n")
        }
        Some(SubmissionStatus::Accepted) => {
            let counted = errors_counted(issues.iter().copied()).unwrap_or_default();
            format!("“{name}”：已接收，但有以下错误需要改正（{counted}）：\n{errors}")
        }
        // Which file is used instead and why (a later 填报日期, mailed
        // later ...), as the check says it: the clerk must know to judge.
        Some(SubmissionStatus::Superseded) => {
            let replaced = submission.and_then(|s| s.replaced_by.as_ref());
            let newer = replaced.map_or(String::new(), |r| format!("“{}”（{}）", r.file, r.why));
            // Sent again as it is, a file that lost by its 填报日期 loses
            // again: its date is what to mend.
            let advice = if replaced.is_some_and(|r| r.by_date) {
                "如这一份才是正确的，请把它的填报日期改为今天后重新发送"
            } else {
                "如这一份才是正确的，请重新发送"
            };
            format!("“{name}”：本单位另有更新的报表{newer}，这一份不再使用；{advice}。\n")
        }
        _ => format!("“{name}”：未能采用，原因：\n{errors}"),
    };
    if !warnings.is_empty() && status != Some(SubmissionStatus::Superseded) {
        text.push_str(&format!("另有以下警告，{WARNINGS_ASK}：\n{warnings}"));
    }
    let resend = !errors.is_empty() && status != Some(SubmissionStatus::Superseded);
    (text, resend)
}

/// By when to send again, judged on `day`, when the reply is read:
/// before the due date, on it, or after.
fn resend_line(period: crate::model::Period, day: chrono::NaiveDate, had_files: bool) -> String {
    let due = period.due_date();
    let what = if had_files {
        "改正后重新发送"
    } else {
        "发送"
    };
    match day.cmp(&due) {
        std::cmp::Ordering::Less => format!("请{what}，截止日期是 {}。", date_cn(due)),
        std::cmp::Ordering::Equal => {
            format!("今天（{}）是本期报送截止日，请尽快{what}。", date_cn(due))
        }
        std::cmp::Ordering::Greater => {
            format!("本期报送截止日期（{}）已过，请尽快{what}。", date_cn(due))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_to_resend_by_is_said_from_the_day_it_is_read() {
        let march: crate::model::Period = "2022-03".parse().unwrap();
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2022, 4, d).unwrap();
        assert_eq!(
            resend_line(march, day(1), true),
            "请改正后重新发送，截止日期是 2022年4月5日。"
        );
        assert_eq!(
            resend_line(march, day(5), true),
            "今天（2022年4月5日）是本期报送截止日，请尽快改正后重新发送。"
        );
        assert_eq!(
            resend_line(march, day(7), false),
            "本期报送截止日期（2022年4月5日）已过，请尽快发送。"
        );
    }

    #[test]
    fn an_answer_to_our_reply_gets_one_outcome_in_its_subject() {
        assert_eq!(
            subject("3月报表", OUTCOMES[2]),
            "Re: 3月报表【未能采用，请改正后重发】"
        );
        let answered = subject("3月报表", OUTCOMES[2]);
        assert_eq!(subject(&answered, OUTCOMES[3]), "Re: 3月报表【已接收】");
        assert_eq!(
            subject("RE: 报表【急】", OUTCOMES[3]),
            "RE: 报表【急】【已接收】"
        );
    }
}
