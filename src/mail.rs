//! `tally mail`: the run's results by mail (CONTRACT.md sections 8 and 10).
//!
//! Reads the run folder alone (`run.json`, `consolidated.xlsx`,
//! `feedback/`): one message to the leaders with the consolidated
//! workbook, one to each unit with an 邮箱 with its feedback. Bodies are
//! rendered from `templates/` (HTML with a plain-text alternative). Every
//! message is recorded in `mail-ledger.json`, so a rerun sends only what
//! has not been delivered; `--dry-run` (or no `[smtp]`) writes `.eml` files
//! to `outbox/` instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};

use crate::config::{MailSettings, Security, SmtpSettings};
use crate::files::{OutputError, safe_file_stem, sha256_hex, write_atomic};
use crate::model::Status;
use crate::model::codes::codes;
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
    #[error("邮件内容生成失败")]
    Render(#[source] minijinja::Error),
    #[error("邮件无法组装")]
    Build(#[source] lettre::error::Error),
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
    /// Stable name in the ledger: who, and which attachment content.
    pub key: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub message: Message,
}

/// A ledger line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub recipients: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub time: String,
    pub status: DeliveryStatus,
    pub error: Option<String>,
}

/// What a mail run did.
#[derive(Debug, Default)]
pub struct MailReport {
    pub sent: Vec<String>,
    pub skipped: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub outbox: Vec<PathBuf>,
}

fn mailbox(text: &str) -> Result<Mailbox, MailError> {
    text.parse::<Mailbox>()
        .map_err(|source| MailError::Address {
            address: text.to_string(),
            source,
        })
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |v| format!("{:.1}%", v * 100.0))
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

/// A message with a plain and an HTML body and one workbook attached.
struct Draft<'a> {
    to: &'a [Mailbox],
    subject: &'a str,
    text: String,
    html: String,
    file: &'a str,
    bytes: Vec<u8>,
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
        let ctype = ContentType::parse(XLSX).expect("valid content type");
        b.multipart(
            MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(self.text, self.html))
                .singlepart(Attachment::new(self.file.to_string()).body(self.bytes, ctype)),
        )
        .map_err(MailError::Build)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, MailError> {
    std::fs::read(path).map_err(|source| MailError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Builds every message of a run folder.
///
/// # Errors
///
/// [`MailError`] when the run folder is incomplete or an address is invalid.
pub fn messages(run_dir: &Path, settings: &MailSettings) -> Result<Vec<Outgoing>, MailError> {
    let path = run_dir.join(manifest::FILE);
    if !path.is_file() {
        return Err(MailError::NoRun(run_dir.to_path_buf()));
    }
    let run: RunManifest =
        serde_json::from_slice(&read(&path)?).map_err(|source| MailError::Json {
            path: path.clone(),
            source,
        })?;
    let from = mailbox(&settings.from)?;
    let env = environment();
    let mut out = Vec::new();
    let leaders: Vec<Mailbox> = settings
        .leaders
        .iter()
        .map(|l| mailbox(l))
        .collect::<Result<_, _>>()?;
    if !leaders.is_empty() {
        out.push(leaders_message(
            run_dir, &run, &env, &from, &leaders, settings,
        )?);
    }
    for unit in &run.units {
        if let Some(email) = &unit.email {
            out.push(unit_message(run_dir, &run, &env, &from, unit, email)?);
        }
    }
    Ok(out)
}

/// The leaders' message: the county's figures, the red and yellow tasks,
/// the key projects, and the consolidated workbook.
fn leaders_message(
    run_dir: &Path,
    run: &RunManifest,
    env: &Environment<'_>,
    from: &Mailbox,
    leaders: &[Mailbox],
    settings: &MailSettings,
) -> Result<Outgoing, MailError> {
    let book = read(&run_dir.join("consolidated.xlsx"))?;
    let attachment = format!("{}重点工作任务完成情况汇总.xlsx", run.period_label);
    let ctx = context! {
        period_label => run.period_label,
        attachment => attachment,
        progress => pct(Some(run.elapsed)),
        reported => run.units_reported,
        total => run.units_total,
        indicators => run.indicators.iter().map(|i| context! {
            name => i.name, completion => pct(i.completion), progress => pct(i.progress),
            status => i.status_label.clone().unwrap_or_default(),
            color => status_color(i.status),
        }).collect::<Vec<_>>(),
        warnings => run.warnings.iter().map(|w| context! {
            label => w.label, unit => w.unit, indicator => w.indicator,
            completion => pct(w.completion), note => w.note,
            color => html(warning_rgb(w.warning)),
        }).collect::<Vec<_>>(),
        projects => run.projects.as_ref().map(|p| context! {
            planned => p.planned, started => p.started, on_time => p.on_time,
            overdue => p.overdue, completion => pct(p.completion),
            blockers => p.blockers.iter().map(|(k, n)| format!("{k} {n} 个")).collect::<Vec<_>>().join("、"),
        }),
    };
    let subject = format!("{}重点工作任务完成情况汇总", run.period_label);
    let key = format!("leaders:{}", &sha256_hex(&book)[..16]);
    let message = Draft {
        to: leaders,
        subject: &subject,
        text: render(env, "leaders.txt", &ctx)?,
        html: render(env, "leaders.html", &ctx)?,
        file: &attachment,
        bytes: book,
    }
    .build(from)?;
    Ok(Outgoing {
        key,
        recipients: settings.leaders.clone(),
        subject,
        message,
    })
}

/// A unit's message: what became of its report, its issues, and its
/// feedback workbook.
fn unit_message(
    run_dir: &Path,
    run: &RunManifest,
    env: &Environment<'_>,
    from: &Mailbox,
    unit: &UnitLine,
    email: &str,
) -> Result<Outgoing, MailError> {
    let address = email.parse().map_err(|source| MailError::Address {
        address: email.to_string(),
        source,
    })?;
    // The display name is encoded by lettre; nothing in it can end the header.
    let name = unit.name.replace(['\r', '\n'], " ");
    let to = Mailbox::new(Some(name.clone()), address);
    let bytes = read(&run_dir.join(&unit.feedback))?;
    let attachment = format!(
        "{}{}报表反馈.xlsx",
        safe_file_stem(&unit.name),
        run.period_label
    );
    let ctx = context! {
        unit => unit.name, period_label => run.period_label, status => unit.status,
        score => unit.score.map(|s| pct(Some(s))), rank => unit.rank, ranked => unit.ranked,
        behind => unit.behind, overdue_projects => unit.overdue_projects,
        issues => unit.issues, attachment => attachment,
    };
    let subject = format!("{name}{}报表反馈", run.period_label);
    let key = format!("unit:{}:{}", unit.name, &sha256_hex(&bytes)[..16]);
    let message = Draft {
        to: &[to],
        subject: &subject,
        text: render(env, "unit.txt", &ctx)?,
        html: render(env, "unit.html", &ctx)?,
        file: &attachment,
        bytes,
    }
    .build(from)?;
    Ok(Outgoing {
        key,
        recipients: vec![email.to_string()],
        subject,
        message,
    })
}

fn transport(smtp: &SmtpSettings) -> Result<SmtpTransport, MailError> {
    let builder = match smtp.security {
        Security::None => SmtpTransport::builder_dangerous(&smtp.host),
        Security::Starttls => {
            SmtpTransport::starttls_relay(&smtp.host).map_err(MailError::Transport)?
        }
        Security::Tls => SmtpTransport::relay(&smtp.host).map_err(MailError::Transport)?,
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

fn load_ledger(path: &Path) -> BTreeMap<String, Delivery> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes every message to `RUN/outbox/*.eml` instead of sending it.
fn write_outbox(run_dir: &Path, outgoing: &[Outgoing]) -> Result<MailReport, MailError> {
    let mut report = MailReport::default();
    let outbox = run_dir.join("outbox");
    for m in outgoing {
        let name = format!("{}.eml", safe_file_stem(&m.key.replace(':', "-")));
        let path = outbox.join(name);
        write_atomic(&path, &m.message.formatted())?;
        report.outbox.push(path);
    }
    Ok(report)
}

/// Sends (or, without `[smtp]` or with `--dry-run`, writes to `outbox/`)
/// every message of the run folder not yet delivered; `--resend` sends
/// them all.
///
/// # Errors
///
/// [`MailError`] when nothing could be attempted; failed messages are in
/// the report and the ledger, not errors.
pub fn mail(command: &MailCommand) -> Result<MailReport, MailError> {
    let run_dir = &command.run;
    let outgoing = messages(run_dir, &command.mail)?;
    let Some(smtp) = command.smtp.as_ref().filter(|_| !command.dry_run) else {
        return write_outbox(run_dir, &outgoing);
    };
    let transport = transport(smtp)?;
    let ledger_path = run_dir.join(LEDGER);
    let mut ledger = load_ledger(&ledger_path);
    let mut report = MailReport::default();
    for m in outgoing {
        let delivered = ledger
            .get(&m.key)
            .is_some_and(|d| d.status == DeliveryStatus::Delivered);
        if !command.resend && delivered {
            report.skipped.push(m.key);
            continue;
        }
        let message_id = m
            .message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or_default()
            .to_string();
        let error = transport.send(&m.message).err().map(|e| e.to_string());
        let status = match error {
            None => DeliveryStatus::Delivered,
            Some(_) => DeliveryStatus::Failed,
        };
        ledger.insert(
            m.key.clone(),
            Delivery {
                recipients: m.recipients.clone(),
                subject: m.subject.clone(),
                message_id,
                time: chrono::Local::now().to_rfc3339(),
                status,
                error: error.clone(),
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
