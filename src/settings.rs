//! What was typed, built once into what the commands run with (the way
//! ripgrep turns its `LowArgs` into `HiArgs`): the command line and
//! `tally.toml` combined, every value checked, so that the rest of tally
//! only ever sees settings that can be used (a [`Tolerance`] in `0..1`,
//! read options with their limits, the store's folder resolved).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{CheckArgs, FetchArgs, Format, MailArgs, ReadArgs, RunArgs, TemplateArgs};
use crate::config::{Config, ConfigError, ImapSettings, MailSettings, SmtpSettings};
use crate::ingest::{Isolation, ReadOptions};
use crate::model::vocabulary::{Vocabulary, Words};
use crate::model::{Period, Tolerance};
use crate::template::TemplateOptions;
use crate::validate::CheckOptions;

/// `tally check`, built.
pub struct CheckSettings {
    pub plan: PathBuf,
    pub inbox: PathBuf,
    /// A history store to compare with its previous period, read only.
    pub store: Option<PathBuf>,
    pub format: Format,
    pub read: ReadOptions,
    pub check: CheckOptions,
}

impl CheckSettings {
    /// # Errors
    ///
    /// [`ConfigError`] when the settings file or a value is unusable.
    pub fn build(args: &CheckArgs, config: &Config) -> Result<CheckSettings, ConfigError> {
        Ok(CheckSettings {
            plan: args.plan.clone(),
            inbox: args.inbox.clone(),
            store: args.store.clone(),
            format: args.format,
            read: read_options(&args.read, &config.words, args.period),
            check: CheckOptions {
                period: args.period,
                tolerance: config.tolerance(args.tolerance)?,
                previous: None,
            },
        })
    }
}

/// `tally run`, built.
pub struct RunSettings {
    pub plan: PathBuf,
    pub inbox: PathBuf,
    pub out: PathBuf,
    /// The history store: `--store`, else `store` beside the output folder.
    pub store: PathBuf,
    pub period: Period,
    pub tolerance: Tolerance,
    pub read: ReadOptions,
    /// Write and record a run in which no submission was accepted.
    pub allow_empty: bool,
    /// Who speaks in the workbooks (`[org] name`).
    pub org: String,
}

impl RunSettings {
    /// # Errors
    ///
    /// [`ConfigError`] when the settings file or a value is unusable.
    pub fn build(args: &RunArgs, config: &Config) -> Result<RunSettings, ConfigError> {
        Ok(RunSettings {
            plan: args.plan.clone(),
            inbox: args.inbox.clone(),
            out: args.out.clone(),
            store: args
                .store
                .clone()
                .unwrap_or_else(|| store_beside(&args.out)),
            period: args.period,
            tolerance: config.tolerance(args.tolerance)?,
            read: read_options(&args.read, &config.words, Some(args.period)),
            allow_empty: args.allow_empty,
            org: config.org(),
        })
    }
}

/// `store` beside an output folder: out/store for --out out/2022-03.
fn store_beside(out: &Path) -> PathBuf {
    out.parent()
        .map_or_else(|| "store".into(), |p| p.join("store"))
}

/// `tally template`, built.
pub struct TemplateSettings {
    pub plan: PathBuf,
    pub period: Period,
    pub out: PathBuf,
    pub options: TemplateOptions,
}

impl TemplateSettings {
    pub fn build(args: &TemplateArgs, config: &Config) -> TemplateSettings {
        TemplateSettings {
            plan: args.plan.clone(),
            period: args.period,
            out: args.out.clone(),
            options: TemplateOptions {
                password: config.template.password.clone(),
                contact: config.template.contact.clone(),
                org: config.org(),
                words: Vocabulary::new(config.words.clone()),
            },
        }
    }
}

/// `tally mail`, built.
pub struct MailCommand {
    pub run: PathBuf,
    /// `None`: write `.eml` files instead of sending.
    pub smtp: Option<SmtpSettings>,
    pub mail: MailSettings,
    /// Where each unit's template is, to attach to a missing unit's
    /// reminder: `--templates`, else `[template] out`.
    pub templates: Option<PathBuf>,
    /// Mail only these units (and not the leaders); empty: everyone.
    pub units: Vec<String>,
    pub dry_run: bool,
    pub resend: bool,
    /// `[org] name` when the settings file sets one: the mails are signed
    /// with it (the run's own name otherwise).
    pub org: Option<String>,
}

/// `tally fetch`, built from the command line and tally.toml.
pub struct FetchCommand {
    pub plan: PathBuf,
    pub period: Period,
    pub inbox: PathBuf,
    pub imap: ImapSettings,
    /// Without it (or with `--dry-run`) replies go to `DIR.outbox/`.
    pub smtp: Option<SmtpSettings>,
    /// The sender of the replies (`[mail] from`); needed with `--reply`.
    pub mail: Option<MailSettings>,
    pub reply: bool,
    pub dry_run: bool,
    /// Only mail that reached the mailbox on or after this day.
    pub since: Option<chrono::NaiveDate>,
    /// A history store to compare with its previous period, read only.
    pub store: Option<PathBuf>,
    pub org: String,
    pub read: ReadOptions,
    pub tolerance: Tolerance,
}

/// `tally fetch` needs `[imap]`.
#[derive(Debug, thiserror::Error)]
pub enum FetchSettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "设置文件中没有 [imap] 部分：tally fetch 要知道报送邮箱的服务器、用户名和密码所在的环境变量；示例见 samples/tally.toml"
    )]
    NoImap,
    #[error(
        "--dry-run 是把回复写成 .eml 文件而不发出，要和 --reply 一起用：tally fetch … --reply --dry-run"
    )]
    DryRunWithoutReply,
}

/// Refuses flags that make no sense together, before the settings file is
/// read: said as the command-line mistake it is.
///
/// # Errors
///
/// [`FetchSettingsError::DryRunWithoutReply`].
pub fn fetch_flags(args: &FetchArgs) -> Result<(), FetchSettingsError> {
    if args.dry_run && !args.reply {
        return Err(FetchSettingsError::DryRunWithoutReply);
    }
    Ok(())
}

/// Builds `tally fetch`'s command.
///
/// # Errors
///
/// [`FetchSettingsError`] without `[imap]` or with a bad tolerance.
pub fn fetch_command(
    args: &FetchArgs,
    config: &Config,
) -> Result<FetchCommand, FetchSettingsError> {
    Ok(FetchCommand {
        plan: args.plan.clone(),
        period: args.period,
        inbox: args.inbox.clone(),
        imap: config.imap.clone().ok_or(FetchSettingsError::NoImap)?,
        smtp: config.smtp.clone().filter(|_| !args.dry_run),
        mail: config.mail.clone(),
        reply: args.reply,
        dry_run: args.dry_run,
        since: args.since,
        store: args.store.clone(),
        org: config.org(),
        read: read_options(&args.read, &config.words, Some(args.period)),
        tolerance: config.tolerance(args.tolerance)?,
    })
}

/// `tally mail` cannot work without `[mail]`.
#[derive(Debug, thiserror::Error)]
pub enum MailSettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "找不到设置文件 tally.toml（在当前文件夹中）；请用 --config 指定设置文件，其中要有 [mail] 部分（from、leaders），示例见 samples/tally.toml"
    )]
    NoConfigFile,
    #[error("设置文件 {0} 缺少 [mail] 部分（from、leaders）；示例见 samples/tally.toml")]
    NoMailSection(PathBuf),
}

impl MailCommand {
    /// # Errors
    ///
    /// [`MailSettingsError`] when the settings file has no `[mail]`.
    pub fn build(args: &MailArgs, config: &Config) -> Result<MailCommand, MailSettingsError> {
        Ok(MailCommand {
            run: args.run.clone(),
            smtp: config.smtp.clone().filter(|_| !args.dry_run),
            mail: match (&config.mail, &config.path) {
                (Some(m), _) => m.clone(),
                (None, Some(path)) => return Err(MailSettingsError::NoMailSection(path.clone())),
                (None, None) => return Err(MailSettingsError::NoConfigFile),
            },
            templates: args.templates.clone().or(config.template.out.clone()),
            units: args.units.clone(),
            dry_run: args.dry_run,
            resend: args.resend,
            org: config.org.name.clone().filter(|n| !n.trim().is_empty()),
        })
    }
}

/// Files are read in worker processes of this same binary, so that a
/// workbook that aborts the reader costs only itself. `period`, when
/// known, tells the readers which of two dated columns is its total.
pub fn read_options(args: &ReadArgs, words: &Words, period: Option<Period>) -> ReadOptions {
    let max_bytes = args.max_file_mb.saturating_mul(1024 * 1024);
    let count = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        usize::from,
    );
    let isolation = match std::env::current_exe() {
        Ok(exe) => Isolation::Workers {
            exe,
            args: vec![
                "__worker".into(),
                "--max-bytes".into(),
                max_bytes.to_string(),
                "--memory-limit".into(),
                args.worker_memory_mb
                    .saturating_mul(1024 * 1024)
                    .to_string(),
                "--timeout".into(),
                args.file_timeout.to_string(),
                "--parent".into(),
                std::process::id().to_string(),
            ]
            .into_iter()
            .chain(period.map(|p| format!("--period={p}")))
            .chain(
                (!words.is_empty())
                    .then(|| {
                        let json = serde_json::to_string(words).expect("words serialize");
                        ["--words".to_string(), json]
                    })
                    .into_iter()
                    .flatten(),
            )
            .collect(),
            count,
            timeout: Duration::from_secs(args.file_timeout),
            budget: Duration::from_secs(args.read_budget),
        },
        Err(_) => Isolation::InProcess,
    };
    // A progress bar only where someone watches it.
    let progress = std::io::stderr().is_terminal().then(|| {
        indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("读取报表 {bar:30} {pos}/{len} {elapsed}")
                .expect("valid template"),
        )
    });
    ReadOptions {
        max_bytes,
        words: std::sync::Arc::new(Vocabulary::new(words.clone()).for_period(period)),
        isolation,
        progress,
    }
}
