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
use sha2::{Digest, Sha256};

use crate::ingest::hex;
use crate::report::feedback::safe_file_stem;
use crate::report::manifest::{self, RunManifest};
use crate::report::output::{OutputError, write_atomic};

/// The ledger's file name in the run folder.
pub const LEDGER: &str = "mail-ledger.json";

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `[smtp]` of tally.toml.
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: Security,
    pub username: Option<String>,
    /// The environment variable holding the password; never the password.
    pub password_env: Option<String>,
}

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    #[default]
    None,
    Starttls,
    Tls,
}

/// `[mail]` of tally.toml.
#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    pub from: String,
    #[serde(default)]
    pub leaders: Vec<String>,
}

/// Why mail could not be prepared at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("运行结果文件夹 {0} 中没有 run.json；请先运行 tally run")]
    NoRun(PathBuf),
    #[error("无法读取 {0}：{1}")]
    Read(PathBuf, String),
    #[error("设置文件缺少 [mail] 部分（from、leaders）")]
    NoMailSettings,
    #[error("邮件地址“{0}”无效：{1}")]
    Address(String, String),
    #[error("环境变量 {0} 未设置：请在其中放入 SMTP 密码")]
    Password(String),
    #[error("无法连接邮件服务器：{0}")]
    Transport(String),
    #[error("邮件内容生成失败：{0}")]
    Render(String),
    #[error("{0}")]
    Output(#[from] OutputError),
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
    /// `delivered` or `failed`.
    pub status: String,
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
        .map_err(|e| MailError::Address(text.to_string(), e.to_string()))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn status_color(status: Option<&str>) -> &'static str {
    match status {
        Some("done" | "within") => "#C6EFCE",
        Some("on_track") => "#E2F0D9",
        Some("behind") => "#FFEB9C",
        Some("breach") => "#FFC7CE",
        _ => "#EDEDED",
    }
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
        .map_err(|e| MailError::Render(e.to_string()))
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
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| MailError::Read(p.to_path_buf(), e.to_string()));
    let run: RunManifest = serde_json::from_slice(&read(&path)?)
        .map_err(|e| MailError::Read(path.clone(), e.to_string()))?;
    let from = mailbox(&settings.from)?;
    let env = environment();
    let mut out = Vec::new();
    let build =
        |to: &[Mailbox], subject: &str, text: String, html: String, file: &str, bytes: Vec<u8>| {
            let mut b = Message::builder()
                .from(from.clone())
                .subject(subject)
                .message_id(None);
            for m in to {
                b = b.to(m.clone());
            }
            let ctype = ContentType::parse(XLSX).expect("valid content type");
            b.multipart(
                MultiPart::mixed()
                    .multipart(MultiPart::alternative_plain_html(text, html))
                    .singlepart(Attachment::new(file.to_string()).body(bytes, ctype)),
            )
            .map_err(|e| MailError::Render(e.to_string()))
        };

    let leaders: Vec<Mailbox> = settings
        .leaders
        .iter()
        .map(|l| mailbox(l))
        .collect::<Result<_, _>>()?;
    if !leaders.is_empty() {
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
                color => status_color(i.status.as_deref()),
            }).collect::<Vec<_>>(),
            warnings => run.warnings.iter().map(|w| context! {
                label => w.label, unit => w.unit, indicator => w.indicator,
                completion => pct(w.completion), note => w.note,
                color => if w.warning == "red" { "#FF7C80" } else { "#FFD966" },
            }).collect::<Vec<_>>(),
            projects => run.projects.as_ref().map(|p| context! {
                planned => p.planned, started => p.started, on_time => p.on_time,
                overdue => p.overdue, completion => pct(p.completion),
                blockers => p.blockers.iter().map(|(k, n)| format!("{k} {n} 个")).collect::<Vec<_>>().join("、"),
            }),
        };
        let subject = format!("{}重点工作任务完成情况汇总", run.period_label);
        let key = format!("leaders:{}", &hex(&Sha256::digest(&book))[..16]);
        let message = build(
            &leaders,
            &subject,
            render(&env, "leaders.txt", &ctx)?,
            render(&env, "leaders.html", &ctx)?,
            &attachment,
            book,
        )?;
        out.push(Outgoing {
            key,
            recipients: settings.leaders.clone(),
            subject,
            message,
        });
    }
    for unit in &run.units {
        let Some(email) = &unit.email else { continue };
        let address = email.parse().map_err(|e: lettre::address::AddressError| {
            MailError::Address(email.clone(), e.to_string())
        })?;
        // The display name is encoded by lettre; nothing in it can end the header.
        let to = Mailbox::new(Some(unit.name.replace(['\r', '\n'], " ")), address);
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
        let subject = format!(
            "{}{}报表反馈",
            unit.name.replace(['\r', '\n'], " "),
            run.period_label
        );
        let key = format!("unit:{}:{}", unit.name, &hex(&Sha256::digest(&bytes))[..16]);
        let message = build(
            &[to],
            &subject,
            render(&env, "unit.txt", &ctx)?,
            render(&env, "unit.html", &ctx)?,
            &attachment,
            bytes,
        )?;
        out.push(Outgoing {
            key,
            recipients: vec![email.clone()],
            subject,
            message,
        });
    }
    Ok(out)
}

fn transport(smtp: &SmtpSettings) -> Result<SmtpTransport, MailError> {
    let t = |e: lettre::transport::smtp::Error| MailError::Transport(e.to_string());
    let builder = match smtp.security {
        Security::None => SmtpTransport::builder_dangerous(&smtp.host),
        Security::Starttls => SmtpTransport::starttls_relay(&smtp.host).map_err(t)?,
        Security::Tls => SmtpTransport::relay(&smtp.host).map_err(t)?,
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

/// Sends (or, without `smtp` or with `dry_run`, writes to `outbox/`) every
/// message of the run folder not yet delivered; `resend` sends them all.
///
/// # Errors
///
/// [`MailError`] when nothing could be attempted; failed messages are in
/// the report and the ledger, not errors.
pub fn mail(
    run_dir: &Path,
    smtp: Option<&SmtpSettings>,
    settings: &MailSettings,
    dry_run: bool,
    resend: bool,
) -> Result<MailReport, MailError> {
    let outgoing = messages(run_dir, settings)?;
    let mut report = MailReport::default();
    let smtp = smtp.filter(|_| !dry_run);
    let Some(smtp) = smtp else {
        let outbox = run_dir.join("outbox");
        for m in &outgoing {
            let name = format!("{}.eml", safe_file_stem(&m.key.replace(':', "-")));
            let path = outbox.join(name);
            write_atomic(&path, &m.message.formatted())?;
            report.outbox.push(path);
        }
        return Ok(report);
    };
    let transport = transport(smtp)?;
    let ledger_path = run_dir.join(LEDGER);
    let mut ledger = load_ledger(&ledger_path);
    for m in outgoing {
        if !resend && ledger.get(&m.key).is_some_and(|d| d.status == "delivered") {
            report.skipped.push(m.key);
            continue;
        }
        let message_id = m
            .message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or_default()
            .to_string();
        let result = transport.send(&m.message);
        let (status, error) = match &result {
            Ok(_) => ("delivered", None),
            Err(e) => ("failed", Some(e.to_string())),
        };
        ledger.insert(
            m.key.clone(),
            Delivery {
                recipients: m.recipients.clone(),
                subject: m.subject.clone(),
                message_id,
                time: chrono::Local::now().to_rfc3339(),
                status: status.to_string(),
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
