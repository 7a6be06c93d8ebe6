//! `tally mail`: the run's results by mail (CONTRACT.md sections 8 and 10).
//!
//! Reads the run folder alone (`run.json`, `consolidated.xlsx`,
//! `feedback/`): one message to the leaders with the consolidated
//! workbook, one to each unit with an 邮箱 with its feedback (and, for a
//! unit that sent nothing, its template when the templates folder is
//! known). Bodies are rendered from `templates/` (HTML with a plain-text
//! alternative), signed by the bureau. Every message is recorded in
//! `mail-ledger.json` with what it was about (the unit's submission, or
//! all of them for the leaders), so a rerun mails only those whose
//! submission changed: a first report as usual, a replaced file as a
//! correction （更正）, the leaders an update （更新）. A ledger that cannot
//! be read stops the command before anything is sent. `--dry-run` (or no
//! `[smtp]`) writes `.eml` files to `outbox/` instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};

use crate::config::{MailSettings, Security, SmtpSettings};
use crate::files::{OutputError, safe_file_stem, write_atomic};
use crate::model::SubmissionStatus;
use crate::model::codes::codes;
use crate::model::value::percent;
use crate::model::{Status, Warning};
use crate::report::feedback::WARNINGS_ASK;
use crate::report::manifest::{self, RunManifest, UnitLine};
use crate::settings::MailCommand;
use crate::xlsx::style::{html, status_rgb, warning_rgb};

/// The ledger's file name in the run folder.
pub const LEDGER: &str = "mail-ledger.json";

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Why mail could not be prepared at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("运行结果文件夹 {0} 中没有 run.json；请先运行 tally run")]
    NoRun(PathBuf),
    #[error("无法读取 {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} 内容无法识别")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("邮件地址“{address}”无效")]
    Address {
        address: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("环境变量 {0} 未设置：请在其中放入 SMTP 密码")]
    Password(String),
    #[error("无法连接邮件服务器")]
    Transport(#[source] lettre::transport::smtp::Error),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("邮件内容生成失败")]
    Render(#[source] minijinja::Error),
    #[error("邮件无法组装")]
    Build(#[source] lettre::error::Error),
    #[error(
        "发送记录 {path} 已损坏，无法读取；为免重复发送，本次未发送任何邮件。请从备份恢复该文件，或确认后删除它（删除后所有邮件会重新发送）"
    )]
    Ledger {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("运行结果中没有单位“{0}”；请检查 --unit 的名称")]
    UnknownUnit(String),
    #[error(
        "另一个 tally mail 正在发送 {0} 的邮件；请等它结束后再运行（同时发送会让每封邮件发两次）"
    )]
    Busy(PathBuf),
    #[error("模板文件夹中没有 {0}；请先运行 tally template，或检查 --templates / [template] out")]
    NoTemplate(PathBuf),
    #[error(
        "模板文件夹中的 {path} 是 {form} 的报表模板，不是本期（{period}）的；请先运行 tally template --period {period}，或检查 --templates / [template] out"
    )]
    StaleTemplate {
        path: PathBuf,
        form: String,
        period: String,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
}

codes! {
    /// What became of one message.
    pub enum DeliveryStatus {
        Delivered = "delivered" / "已发送",
        Failed = "failed" / "发送失败",
    }
}

/// One message ready to go.
pub struct Outgoing {
    /// Its place in the ledger: `leaders`, or `unit:` and the unit's name.
    pub key: String,
    /// What it is about: the unit's submission, or all of them.
    pub about: Option<String>,
    pub recipients: Vec<String>,
    pub subject: String,
    pub message: Message,
}

/// A ledger line: the last attempt for one recipient.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub recipients: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub time: String,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    /// What the last delivered message was about; none before any was.
    #[serde(default)]
    pub about: Option<String>,
    /// The period of the run it was about (`2022-03`): a run of another
    /// period written into the same folder starts afresh. None in ledgers
    /// written before it was recorded.
    #[serde(default)]
    pub period: Option<String>,
}

/// What a mail run did.
#[derive(Debug, Default)]
pub struct MailReport {
    /// The name the mails are signed with, when it is not the one the run
    /// signed its workbooks with: (the run's, the mails').
    pub renamed: Option<(String, String)>,
    pub sent: Vec<String>,
    pub skipped: Vec<String>,
    /// Units chosen whose plan gives no 邮箱: nothing can reach them.
    pub no_address: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub outbox: Vec<PathBuf>,
}

/// Whether and how to mail a recipient, from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Send {
    /// Already delivered about the same thing.
    Skip,
    /// The first message (or a retry of one that failed).
    First,
    /// A message about something new: 更正 for a unit, 更新 for leaders.
    Again,
}

/// The ledger's line for `key` when it is about a run of `period` (or
/// from before lines said their period).
fn of_run<'l>(
    ledger: &'l BTreeMap<String, Delivery>,
    key: &str,
    period: &str,
) -> Option<&'l Delivery> {
    ledger
        .get(key)
        .filter(|d| d.period.as_deref().is_none_or(|p| p == period))
}

fn decide(entry: Option<&Delivery>, about: Option<&str>, resend: bool) -> Send {
    let Some(d) = entry else {
        return Send::First;
    };
    let last = d.about.as_deref();
    match (d.status, last) {
        (DeliveryStatus::Delivered, l) if l == about && !resend => Send::Skip,
        // Told of its report, whose file has since left the inbox (moved
        // by the bureau): no news for the unit, and "尚未报送" would be
        // false.
        (_, Some(_)) if about.is_none() && !resend => Send::Skip,
        (_, Some(l)) if about.is_some_and(|a| a != l) => Send::Again,
        _ => Send::First,
    }
}

fn mailbox(text: &str) -> Result<Mailbox, MailError> {
    text.parse::<Mailbox>()
        .map_err(|source| MailError::Address {
            address: text.to_string(),
            source,
        })
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".to_string(), percent)
}

/// The status colour of the workbooks, for the HTML bodies.
fn status_color(status: Option<Status>) -> String {
    html(status_rgb(status.unwrap_or(Status::NoData)))
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // The wording lives in templates/, compiled in so the binary works
    // from any folder.
    for (name, text) in [
        ("leaders.txt", include_str!("../templates/mail_leaders.txt")),
        (
            "leaders.html",
            include_str!("../templates/mail_leaders.html"),
        ),
        ("unit.txt", include_str!("../templates/mail_unit.txt")),
        ("unit.html", include_str!("../templates/mail_unit.html")),
    ] {
        env.add_template(name, text).expect("templates parse");
    }
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env
}

fn render(env: &Environment<'_>, name: &str, ctx: &minijinja::Value) -> Result<String, MailError> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(MailError::Render)
}

/// A message with a plain and an HTML body and its workbooks attached.
struct Draft<'a> {
    to: &'a [Mailbox],
    subject: &'a str,
    text: String,
    html: String,
    /// (file name, bytes)
    files: Vec<(String, Vec<u8>)>,
}

impl Draft<'_> {
    fn build(self, from: &Mailbox) -> Result<Message, MailError> {
        let mut b = Message::builder()
            .from(from.clone())
            .subject(self.subject)
            .message_id(None);
        for m in self.to {
            b = b.to(m.clone());
        }
        let mut body =
            MultiPart::mixed().multipart(MultiPart::alternative_plain_html(self.text, self.html));
        for (name, bytes) in self.files {
            body = body.singlepart(Attachment::new(name.clone()).body(bytes, content_type(&name)));
        }
        b.multipart(body).map_err(MailError::Build)
    }
}

/// The attachment's type, with its name also as `name=` in RFC 2047
/// words: lettre gives the name only as RFC 2231 `filename*` parts, which
/// older Outlook and Foxmail do not read (they show ATT00001), and these
/// read `name=`; a client that reads both takes `filename*`.
fn content_type(name: &str) -> ContentType {
    use base64::Engine;
    // At most 45 bytes a word (60 in base64): within RFC 2047's 75, and
    // never splitting a character.
    let mut pieces: Vec<String> = vec![String::new()];
    for c in name.chars() {
        if pieces.last().is_some_and(|p| p.len() + c.len_utf8() > 45) {
            pieces.push(String::new());
        }
        pieces.last_mut().expect("one piece at least").push(c);
    }
    let words: Vec<String> = pieces
        .iter()
        .map(|p| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(p.as_bytes());
            format!("=?UTF-8?B?{b64}?=")
        })
        .collect();
    ContentType::parse(&format!("{XLSX}; name=\"{}\"", words.join(" ")))
        .unwrap_or_else(|_| ContentType::parse(XLSX).expect("valid content type"))
}

fn read(path: &Path) -> Result<Vec<u8>, MailError> {
    std::fs::read(path).map_err(|source| MailError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads `run.json` of a run folder.
///
/// # Errors
///
/// [`MailError`] when the folder holds no readable run.
pub fn read_run(run_dir: &Path) -> Result<RunManifest, MailError> {
    let path = run_dir.join(manifest::FILE);
    if !path.is_file() {
        return Err(MailError::NoRun(run_dir.to_path_buf()));
    }
    serde_json::from_slice(&read(&path)?).map_err(|source| MailError::Json { path, source })
}

/// Reads the ledger; none yet is an empty one.
///
/// # Errors
///
/// [`MailError::Ledger`] when a ledger exists and cannot be read: nothing
/// may be sent then, or mail would go twice.
fn load_ledger(path: &Path) -> Result<BTreeMap<String, Delivery>, MailError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| MailError::Ledger {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(source) => Err(MailError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Everything a message is built from.
struct Context<'a> {
    run_dir: &'a Path,
    run: &'a RunManifest,
    env: Environment<'static>,
    from: Mailbox,
    templates: Option<&'a Path>,
}

/// Builds the messages that are due: each recipient's, unless the ledger
/// says it was already delivered about the same thing.
fn due_messages(
    ctx: &Context<'_>,
    command: &MailCommand,
    ledger: &BTreeMap<String, Delivery>,
    report: &mut MailReport,
) -> Result<Vec<Outgoing>, MailError> {
    let run = ctx.run;
    // What this folder's ledger says of another period's run (April run
    // into March's folder) is no news of this one: 清泉镇, told of its
    // March report, would never be reminded of April's.
    let ledger = |key: &str| of_run(ledger, key, &run.period);
    for name in &command.units {
        if !run.units.iter().any(|u| &u.name == name) {
            return Err(MailError::UnknownUnit(name.clone()));
        }
    }
    let mut out = Vec::new();
    if command.units.is_empty() && !command.mail.leaders.is_empty() {
        let about = Some(run.inputs.as_str());
        match decide(ledger("leaders"), about, command.resend) {
            Send::Skip => report.skipped.push("leaders".into()),
            send => out.push(leaders_message(ctx, &command.mail, send)?),
        }
    }
    let chosen = |u: &UnitLine| command.units.is_empty() || command.units.contains(&u.name);
    for unit in run.units.iter().filter(|u| chosen(u)) {
        let Some(email) = &unit.email else {
            report.no_address.push(unit.name.clone());
            continue;
        };
        let key = format!("unit:{}", unit.name);
        match decide(ledger(&key), unit.submission.as_deref(), command.resend) {
            Send::Skip => report.skipped.push(key),
            send => out.push(unit_message(ctx, unit, email, send)?),
        }
    }
    Ok(out)
}

/// The leaders' message: the county's figures, the red and yellow tasks,
/// the key projects, and the consolidated workbook.
fn leaders_message(
    ctx: &Context<'_>,
    settings: &MailSettings,
    send: Send,
) -> Result<Outgoing, MailError> {
    let run = ctx.run;
    let leaders: Vec<Mailbox> = settings
        .leaders
        .iter()
        .map(|l| mailbox(l))
        .collect::<Result<_, _>>()?;
    let book = read(&ctx.run_dir.join("consolidated.xlsx"))?;
    let attachment = format!("{}重点工作任务完成情况汇总.xlsx", run.period_label);
    let values = context! {
        org => run.org,
        update => send == Send::Again,
        period_label => run.period_label,
        attachment => attachment,
        progress => pct(Some(run.elapsed)),
        reported => run.units_reported,
        total => run.units_total,
        headlines => run.headlines,
        indicators => run.indicators.iter().map(|i| context! {
            name => i.name, completion => pct(i.completion), progress => pct(i.progress),
            figures => i.figures.clone().unwrap_or_else(|| {
                format!("完成 {}（应完成 {}）", pct(i.completion), pct(i.progress))
            }),
            // A ceiling's cell says its counts: 30% of a ceiling is no
            // completion.
            done => match (&i.figures, i.lower) {
                (Some(f), true) => f.clone(),
                _ => pct(i.completion),
            },
            status => i.status_label.clone().unwrap_or_default(),
            color => status_color(i.status),
        }).collect::<Vec<_>>(),
        red => run.warnings.iter().filter(|w| w.warning == Warning::Red).count(),
        yellow => run.warnings.iter().filter(|w| w.warning == Warning::Yellow).count(),
        warnings => run.warnings.iter().map(|w| context! {
            label => w.label, unit => w.unit, indicator => w.indicator,
            // A run.json from before `figures` still says the completion.
            figures => w.figures.clone().or_else(|| w.completion.map(|c| format!("完成 {}", pct(Some(c))))),
            note => w.note,
            unreported => w.unreported,
            color => html(warning_rgb(w.warning)),
        }).collect::<Vec<_>>(),
        projects => run.projects.as_ref().map(|p| context! {
            due => p.due, due_by => p.due_by,
            planned => p.planned, started => p.started, on_time => p.on_time,
            overdue => p.overdue, completion => pct(p.completion),
            blockers => p.blockers.iter().map(|(k, n)| format!("{k} {n} 个")).collect::<Vec<_>>().join("、"),
        }),
    };
    let mut subject = format!("{}重点工作任务完成情况汇总", run.period_label);
    if send == Send::Again {
        subject.push_str("（更新）");
    }
    let message = Draft {
        to: &leaders,
        subject: &subject,
        text: render(&ctx.env, "leaders.txt", &values)?,
        html: render(&ctx.env, "leaders.html", &values)?,
        files: vec![(attachment, book)],
    }
    .build(&ctx.from)?;
    Ok(Outgoing {
        key: "leaders".into(),
        about: Some(run.inputs.clone()),
        recipients: settings.leaders.clone(),
        subject,
        message,
    })
}

/// A unit's message: what to do (the errors to fix and the date to resend
/// by, or what to send), how it stands, its feedback workbook, and for a
/// unit that sent nothing its template.
fn unit_message(
    ctx: &Context<'_>,
    unit: &UnitLine,
    email: &str,
    send: Send,
) -> Result<Outgoing, MailError> {
    let run = ctx.run;
    let address = email.parse().map_err(|source| MailError::Address {
        address: email.to_string(),
        source,
    })?;
    // The display name is encoded by lettre; nothing in it can end the header.
    let name = unit.name.replace(['\r', '\n'], " ");
    let to = Mailbox::new(Some(name.clone()), address);
    let attachment = format!(
        "{}{}报表反馈.xlsx",
        safe_file_stem(&unit.name),
        run.period_label
    );
    let mut files = vec![(attachment.clone(), read(&ctx.run_dir.join(&unit.feedback))?)];
    let template = match (unit.status, ctx.templates) {
        (SubmissionStatus::Missing, Some(dir)) => {
            let path = dir.join(&unit.template);
            if !path.is_file() {
                return Err(MailError::NoTemplate(path));
            }
            let bytes = read(&path)?;
            // Last month's form, filled and sent, would be refused by the
            // check as another period's (values not used).
            if let Some(form) = crate::ingest::template_of(&bytes)
                && form.period.parse::<crate::model::Period>().ok()
                    != run.period.parse::<crate::model::Period>().ok()
            {
                return Err(MailError::StaleTemplate {
                    path,
                    form: form.period,
                    period: run.period.clone(),
                });
            }
            // Named for what it is among a clerk's downloads, not 老军乡.xlsx.
            let name = format!(
                "{}{}报表（模板）.xlsx",
                safe_file_stem(&unit.name),
                run.period_label
            );
            files.push((name.clone(), bytes));
            Some(name)
        }
        _ => None,
    };
    let score_line = match (unit.score, unit.rank) {
        (Some(s), Some(r)) => Some(format!(
            "综合得分 {}，在 {} 个{}中排第 {r} 名。",
            pct(Some(s)),
            unit.ranked,
            unit.kind.label()
        )),
        _ => None,
    };
    let values = context! {
        org => run.org, unit => unit.name, period_label => run.period_label,
        due => run.due, resend_by => unit.resend_by, status => unit.status,
        correction => send == Send::Again,
        errors => unit.errors, counted => unit.counted, notices => unit.notices,
        warnings_ask => WARNINGS_ASK, score_line => score_line,
        behind => unit.behind, behind_tasks => unit.behind_tasks, breached => unit.breached,
        projects_said => projects_said(unit),
        attachment => attachment, template => template, due_passed => due_passed(run),
    };
    let subject = unit_subject(run, unit, &name, send);
    let message = Draft {
        to: &[to],
        subject: &subject,
        text: render(&ctx.env, "unit.txt", &values)?,
        html: render(&ctx.env, "unit.html", &values)?,
        files,
    }
    .build(&ctx.from)?;
    Ok(Outgoing {
        key: format!("unit:{}", unit.name),
        about: unit.submission.clone(),
        recipients: vec![email.to_string()],
        subject,
        message,
    })
}

/// A unit's subject says what it must do before it is opened: report,
/// fix and resend, or nothing (`已采用`).
fn unit_subject(run: &RunManifest, unit: &UnitLine, name: &str, send: Send) -> String {
    let again = if send == Send::Again {
        "（更正）"
    } else {
        ""
    };
    let what = match unit.status {
        SubmissionStatus::Missing if due_passed(run) => {
            return format!(
                "{name}：{}报表尚未报送，截止日期（{}）已过，请尽快报送",
                run.period_label, run.due
            );
        }
        SubmissionStatus::Missing => {
            return format!("{name}：请于 {} 前报送{}报表", run.due, run.period_label);
        }
        SubmissionStatus::Accepted if unit.errors.is_empty() => "已采用".to_string(),
        SubmissionStatus::Accepted => format!("有 {} 处错误，请改正后重新报送", unit.errors.len()),
        _ => "未能采用，请改正后重新报送".to_string(),
    };
    format!("{name}{}报表反馈{again}：{what}", run.period_label)
}

/// Whether the period's due date is past on the day the mail goes: a
/// reminder then says so, not "by 5 April (if that is past, soon)".
fn due_passed(run: &RunManifest) -> bool {
    run.period
        .parse::<crate::model::Period>()
        .is_ok_and(|p| chrono::Local::now().date_naive() > p.due_date())
}

/// The unit's overdue key projects and what it is asked about them: to
/// report the ones its file left out (their start is unknown), to give
/// a reason for the others that have none.
fn projects_said(unit: &UnitLine) -> Option<String> {
    let n = unit.overdue_projects;
    if n == 0 {
        return None;
    }
    let unreported = unit.unreported_projects;
    // A run.json from before the count: ask for reasons as it did then.
    let unexplained = unit.unexplained_projects.unwrap_or(n - unreported);
    let mut said = if unreported == n {
        format!(
            "有 {n} 个重点项目已过计划开工日期，本期未填报，开工情况不明（红色预警），请在报表中填报开工情况"
        )
    } else {
        let mut s = format!("有 {n} 个重点项目逾期未开工（红色预警），请尽快推进");
        if unreported > 0 {
            s.push_str(&format!(
                "；其中 {unreported} 个本期未填报，请在报表中填报开工情况"
            ));
        }
        s
    };
    if unexplained > 0 {
        said.push_str(&format!(
            "；{unexplained} 个未说明原因，请在报表“存在问题”中说明"
        ));
    }
    said.push('。');
    Some(said)
}

/// The SMTP connection of `[smtp]`: TLS (`tls`, or `starttls` required,
/// never plain after a failed upgrade) trusting the usual roots and
/// `ca_file`.
///
/// # Errors
///
/// [`MailError`] for an unreadable `ca_file` or a password variable that
/// is not set.
pub fn transport(smtp: &SmtpSettings) -> Result<SmtpTransport, MailError> {
    let tls = || -> Result<TlsParameters, MailError> {
        let mut params = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            // Read and checked as the IMAP side reads it.
            for der in crate::tls::extra_roots(ca)? {
                let cert = Certificate::from_der(der.to_vec()).map_err(MailError::Transport)?;
                params = params.add_root_certificate(cert);
            }
        }
        params.build_rustls().map_err(MailError::Transport)
    };
    let builder = SmtpTransport::builder_dangerous(&smtp.host);
    let builder = match smtp.security {
        Security::None => builder,
        Security::Starttls => builder.tls(Tls::Required(tls()?)),
        Security::Tls => builder.tls(Tls::Wrapper(tls()?)),
    }
    .port(smtp.port)
    .timeout(Some(Duration::from_secs(30)));
    let builder = match (&smtp.username, &smtp.password_env) {
        (Some(user), Some(var)) => {
            let password = std::env::var(var).map_err(|_| MailError::Password(var.clone()))?;
            builder.credentials(Credentials::new(user.clone(), password))
        }
        _ => builder,
    };
    Ok(builder.build())
}

/// Writes the messages to `RUN/outbox/*.eml` instead of sending them.
fn write_outbox(
    run_dir: &Path,
    outgoing: &[Outgoing],
    report: &mut MailReport,
) -> Result<(), MailError> {
    let outbox = run_dir.join("outbox");
    for m in outgoing {
        let name = format!("{}.eml", safe_file_stem(&m.key.replace(':', "-")));
        let path = outbox.join(name);
        write_atomic(&path, &m.message.formatted())?;
        report.outbox.push(path);
    }
    Ok(())
}

/// Sends (or, without `[smtp]` or with `--dry-run`, writes to `outbox/`)
/// every message that is due (see the module docs); `--resend` sends them
/// all again.
///
/// # Errors
///
/// [`MailError`] when nothing could be attempted (no run, an unreadable
/// ledger, a bad address or settings); a message the server refuses is in
/// the report and the ledger, and the others still go.
pub fn mail(command: &MailCommand) -> Result<MailReport, MailError> {
    let run_dir = &command.run;
    let mut run = read_run(run_dir)?;
    let mut report = MailReport::default();
    // The mail goes from the settings' sender: signed with the settings'
    // name, even when `tally run` was given none (its 县统计局 would sign a
    // mail from 示范县统计局). The workbooks keep the run's; said below.
    if let Some(org) = command.org.as_ref().filter(|o| **o != run.org) {
        report.renamed = Some((std::mem::replace(&mut run.org, org.clone()), org.clone()));
    }
    let ledger_path = run_dir.join(LEDGER);
    // Held to the end: a second `tally mail` on this run would read the
    // same ledger and send every mail again.
    let lock_path = run_dir.join("mail.lock");
    let _lock = crate::files::try_lock_path(&lock_path)
        .map_err(|source| MailError::Read {
            path: lock_path.clone(),
            source,
        })?
        .ok_or_else(|| MailError::Busy(run_dir.to_path_buf()))?;
    let mut ledger = load_ledger(&ledger_path)?;
    let ctx = Context {
        run_dir,
        run: &run,
        env: environment(),
        from: mailbox(&command.mail.from)?,
        templates: command.templates.as_deref(),
    };
    let outgoing = due_messages(&ctx, command, &ledger, &mut report)?;
    let Some(smtp) = command.smtp.as_ref().filter(|_| !command.dry_run) else {
        write_outbox(run_dir, &outgoing, &mut report)?;
        return Ok(report);
    };
    let transport = transport(smtp)?;
    for m in outgoing {
        let message_id = m
            .message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or_default()
            .to_string();
        let error = transport
            .send(&m.message)
            .err()
            .map(|e| send_failure(&e, &smtp.host, Resend::Mail));
        let previous = of_run(&ledger, &m.key, &run.period).and_then(|d| d.about.clone());
        let (status, about) = match error {
            None => (DeliveryStatus::Delivered, m.about.clone()),
            Some(_) => (DeliveryStatus::Failed, previous),
        };
        ledger.insert(
            m.key.clone(),
            Delivery {
                recipients: m.recipients.clone(),
                subject: m.subject.clone(),
                message_id,
                time: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
                status,
                error: error.clone(),
                about,
                period: Some(run.period.clone()),
            },
        );
        // Written after every message, so a crash loses nothing sent.
        let json = serde_json::to_vec_pretty(&ledger).expect("ledger serializes");
        write_atomic(&ledger_path, &json)?;
        match error {
            None => report.sent.push(m.key),
            Some(e) => report
                .failed
                .push((format!("{}（{}）", m.subject, m.recipients.join("、")), e)),
        }
    }
    Ok(report)
}

/// Which command sends a failed message again, and where its address
/// comes from, for [`send_failure`].
#[derive(Debug, Clone, Copy)]
pub enum Resend {
    /// `tally mail`: units' addresses from the plan, through `tally run`;
    /// the leaders' from the settings.
    Mail,
    /// `tally fetch --reply`: the sender's own address.
    Reply,
}

/// Why a message did not go, for the bureau: a refused certificate or a
/// server's refusal said so that it can be mended, and whether running
/// the command again later may be enough; the server's or lettre's own
/// words after, for whoever looks into it.
pub fn send_failure(e: &lettre::transport::smtp::Error, host: &str, resend: Resend) -> String {
    let (again, address) = match resend {
        Resend::Mail => (
            "tally mail",
            "收件地址（领导的地址在设置文件的 [mail] leaders 中；单位的邮箱在计划的“单位”表中，改后先重新运行 tally run）",
        ),
        Resend::Reply => ("tally fetch --reply", "发件人的地址"),
    };
    if let Some(tls) = crate::tls::explain(e, host) {
        return tls;
    }
    let words = crate::errors::chain(e);
    match e.status() {
        Some(code) if e.is_permanent() => format!(
            "邮件服务器 {host} 拒收（{code}），请核对{address}和 [smtp] 设置，再运行 {again}（已发出的不会重发）。服务器的原话：{words}"
        ),
        Some(code) => format!(
            "邮件服务器 {host} 暂时不能接收（{code}），请稍后再运行 {again}（已发出的不会重发）。服务器的原话：{words}"
        ),
        None if e.is_timeout() => format!(
            "连接邮件服务器 {host} 超时，请检查网络和 [smtp] 设置后再运行 {again}（已发出的不会重发）。详情：{words}"
        ),
        None => format!(
            "未能发给邮件服务器 {host}，请检查网络和 [smtp] 设置后再运行 {again}（已发出的不会重发）。详情：{words}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(status: DeliveryStatus, about: &str) -> Delivery {
        Delivery {
            recipients: vec!["town6@example.org".into()],
            subject: String::new(),
            message_id: String::new(),
            time: String::new(),
            status,
            error: None,
            about: Some(about.into()),
            period: None,
        }
    }

    #[test]
    fn a_unit_whose_file_left_the_inbox_is_not_told_it_never_reported() {
        // Delivered or not, the last word was about a file: one that has
        // gone is no news, and "尚未报送" would be false.
        for status in [DeliveryStatus::Delivered, DeliveryStatus::Failed] {
            assert_eq!(decide(Some(&told(status, "a")), None, false), Send::Skip);
        }
        assert_eq!(
            decide(
                Some(&told(DeliveryStatus::Delivered, "a")),
                Some("b"),
                false
            ),
            Send::Again
        );
        assert_eq!(
            decide(Some(&told(DeliveryStatus::Failed, "a")), Some("a"), false),
            Send::First
        );
        assert_eq!(decide(None, None, false), Send::First);
    }
}
