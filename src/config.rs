//! Settings from `tally.toml` (CONTRACT.md section 10), for what the
//! bureau sets once rather than on every command line.
//!
//! ```toml
//! [org]
//! name = "某某县统计局"   # who speaks in titles, mails, notes and templates
//!
//! [run]
//! tolerance = 0.10   # how far below expected progress before a task is behind
//!
//! [template]
//! contact = "县统计局 张敏 0936-1234567"   # printed on every template
//! password = "tjj"                         # sheet protection (optional)
//! out = "forms/2022-03"                    # where templates go (tally mail attaches them)
//! ```
//!
//! `[smtp]` and `[mail]` are `tally mail`'s. What is read here is
//! combined with the command line once, in the `settings` room.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::Tolerance;
use crate::model::vocabulary::Words;

/// The default settings file, looked for in the working folder.
pub const DEFAULT_FILE: &str = "tally.toml";

/// The settings file as written.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub org: OrgSection,
    #[serde(default)]
    pub run: RunSection,
    #[serde(default)]
    pub template: TemplateSection,
    /// `[smtp]`: without it, `tally mail` writes .eml files instead.
    pub smtp: Option<SmtpSettings>,
    /// `[mail]`: sender and leaders.
    pub mail: Option<MailSettings>,
    /// `[imap]`: the reporting mailbox `tally fetch` reads.
    pub imap: Option<ImapSettings>,
    /// `[words]`: the bureau's own header words.
    #[serde(default)]
    pub words: Words,
    /// Where the settings were read from, for messages (none: defaults).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[org]`: who speaks in everything tally writes for people.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgSection {
    /// The bureau's name, e.g. 某某县统计局.
    pub name: Option<String>,
}

/// The name used when `[org] name` is not set.
pub const DEFAULT_ORG: &str = "县统计局";

/// `[template]`: settings of `tally template`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateSection {
    /// Sheet protection password (none: protected without one).
    pub password: Option<String>,
    /// Who townships should ask, printed on the instructions sheet.
    pub contact: Option<String>,
    /// Where `tally template` writes by custom; `tally mail` attaches a
    /// missing unit's template from there.
    pub out: Option<PathBuf>,
}

/// `[run]`: settings of `check` and `run`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunSection {
    pub tolerance: Option<f64>,
}

/// `[smtp]` (CONTRACT.md section 10).
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: Security,
    pub username: Option<String>,
    /// The environment variable holding the password; never the password.
    pub password_env: Option<String>,
    /// A CA to trust besides the usual roots (a private CA); a relative
    /// path is taken from the settings file's folder.
    pub ca_file: Option<PathBuf>,
}

/// `[imap]` (CONTRACT.md section 13): the bureau's reporting mailbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    /// TLS unless said otherwise: the login carries the mailbox password.
    #[serde(default = "tls")]
    pub security: Security,
    pub username: String,
    /// The environment variable holding the password; never the password.
    pub password_env: String,
    #[serde(default = "inbox_folder")]
    pub folder: String,
    /// As `[smtp] ca_file`.
    pub ca_file: Option<PathBuf>,
}

fn tls() -> Security {
    Security::Tls
}

fn inbox_folder() -> String {
    "INBOX".to_string()
}

/// How the connection to a mail server is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    #[default]
    None,
    Starttls,
    Tls,
}

/// `[mail]`: who sends, and which leaders receive the consolidated workbook.
#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    pub from: String,
    #[serde(default)]
    pub leaders: Vec<String>,
}

/// A settings file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取设置文件 {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Said with the line, in the bureau's words: the TOML reader's own
    /// sentence is English.
    #[error("设置文件 {path} 第 {line} 行有误：“{text}”；请对照 samples/tally.toml 改正这一行（文字加英文双引号，数字不加，节名写在 [ ] 中，每项设置一行）", path = path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("设置文件 {path} 中的“{key}”不是可用的设置项（拼写有误？）；可用的设置见 samples/tally.toml", path = path.display())]
    UnknownKey { path: PathBuf, key: String },
    #[error("容差 tolerance = {0} 无效：请填写 0 到 1 之间的小数，如 0.10")]
    Tolerance(f64),
    #[error("设置文件 {path}：{problem}")]
    Words { path: PathBuf, problem: String },
}

impl Config {
    /// Reads `path`, or `tally.toml` in the working folder when no path is
    /// given and that file exists; no file means the defaults.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when a named file is missing or a file is malformed.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|source| {
            // A misspelt key is the common mistake: say it in Chinese.
            let key = source
                .message()
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_string);
            match key {
                Some(key) => ConfigError::UnknownKey {
                    path: path.clone(),
                    key,
                },
                None => {
                    let at = source.span().map_or(0, |r| r.start);
                    // `get`: never a panic, even off a character's edge.
                    let line = text.get(..at).map_or(1, |t| t.matches('\n').count() + 1);
                    ConfigError::Parse {
                        path: path.clone(),
                        line,
                        text: text.lines().nth(line - 1).unwrap_or("").trim().to_string(),
                    }
                }
            }
        })?;
        if let Some(problem) = config.words.problem() {
            return Err(ConfigError::Words { path, problem });
        }
        // A CA file is named from where the settings file is.
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let beside = |f: &mut Option<PathBuf>| {
            if let Some(p) = f.as_mut().filter(|p| p.is_relative()) {
                *p = dir.join(&*p);
            }
        };
        if let Some(smtp) = config.smtp.as_mut() {
            beside(&mut smtp.ca_file);
        }
        if let Some(imap) = config.imap.as_mut() {
            beside(&mut imap.ca_file);
        }
        config.path = Some(path);
        Ok(config)
    }

    /// The bureau's name (`[org] name`), or 县统计局.
    pub fn org(&self) -> String {
        self.org
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_ORG.to_string())
    }

    /// The tolerance: the flag if given, else the file's, else the default.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Tolerance`] outside `0..1`.
    pub fn tolerance(&self, flag: Option<f64>) -> Result<Tolerance, ConfigError> {
        match flag.or(self.run.tolerance) {
            None => Ok(Tolerance::DEFAULT),
            Some(t) => Tolerance::new(t).ok_or(ConfigError::Tolerance(t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_then_file_then_default() {
        let c: Config =
            toml::from_str("[run]\ntolerance = 0.2\n[smtp]\nhost = \"x\"\nport = 25\n").unwrap();
        assert_eq!(c.tolerance(None).unwrap().get(), 0.2);
        assert_eq!(c.tolerance(Some(0.05)).unwrap().get(), 0.05);
        assert_eq!(Config::default().tolerance(None).unwrap().get(), 0.10);
        assert!(c.tolerance(Some(1.5)).is_err());
        assert!(toml::from_str::<Config>("[run]\ntolerance = \"high\"").is_err());
    }

    #[test]
    fn a_broken_settings_file_is_said_with_its_line_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        for (text, line, shown) in [
            (
                "[org]\nname = \"县统计局\"\n[run]\ntolerance = \n",
                4,
                "tolerance =",
            ),
            ("[run\ntolerance = 0.1\n", 1, "[run"),
            ("[run]\ntolerance = \"abc\"\n", 2, "tolerance = \"abc\""),
        ] {
            let path = dir.path().join("tally.toml");
            std::fs::write(&path, text).unwrap();
            let said = Config::load(Some(&path)).unwrap_err().to_string();
            assert!(
                said.contains(&format!(
                    "第 {line} 行有误：“{shown}”；请对照 samples/tally.toml"
                )),
                "{said}"
            );
            // None of the TOML reader's English.
            assert!(
                !said.contains("TOML") && !said.contains("expected"),
                "{said}"
            );
        }
    }

    #[test]
    fn the_sample_settings_file_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tally.toml");
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.tolerance(None).unwrap().get(), 0.10);
        assert!(c.smtp.is_none(), "the sample writes .eml files");
        let mail = c.mail.unwrap();
        assert_eq!(mail.leaders.len(), 2);
        assert!(c.template.contact.unwrap().contains("县统计局"));
    }
}
