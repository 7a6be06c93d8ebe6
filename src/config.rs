//! Settings from `tally.toml` (CONTRACT.md section 10), for what the
//! bureau sets once rather than on every command line.
//!
//! ```toml
//! [run]
//! tolerance = 0.10   # how far below expected progress before a task is behind
//!
//! [template]
//! contact = "县统计局 张敏 0936-1234567"   # printed on every template
//! password = "tjj"                         # sheet protection (optional)
//! ```
//!
//! `[smtp]` and `[mail]` are `tally mail`'s (see [`crate::mail`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default settings file, looked for in the working folder.
pub const DEFAULT_FILE: &str = "tally.toml";

/// The settings tally reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub run: RunSettings,
    #[serde(default)]
    pub template: TemplateSettings,
    /// `[smtp]`: without it, `tally mail` writes .eml files instead.
    pub smtp: Option<crate::mail::SmtpSettings>,
    /// `[mail]`: sender and leaders.
    pub mail: Option<crate::mail::MailSettings>,
}

/// `[template]`: settings of `tally template`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateSettings {
    /// Sheet protection password (none: protected without one).
    pub password: Option<String>,
    /// Who townships should ask, printed on the instructions sheet.
    pub contact: Option<String>,
}

/// `[run]`: settings of `check` and `run`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunSettings {
    pub tolerance: Option<f64>,
}

/// A settings file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取设置文件 {0}：{1}")]
    Read(PathBuf, std::io::Error),
    #[error("设置文件 {0} 格式有误：{1}")]
    Parse(PathBuf, String),
    #[error("容差 tolerance = {0} 无效：请填写 0 到 1 之间的小数，如 0.10")]
    Tolerance(f64),
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
        let text =
            std::fs::read_to_string(&path).map_err(|e| ConfigError::Read(path.clone(), e))?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse(path, e.to_string()))
    }

    /// The tolerance: the flag if given, else the file's, else the default.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Tolerance`] outside `0..1`.
    pub fn tolerance(&self, flag: Option<f64>) -> Result<f64, ConfigError> {
        let t = flag
            .or(self.run.tolerance)
            .unwrap_or(crate::progress::DEFAULT_TOLERANCE);
        if (0.0..1.0).contains(&t) {
            Ok(t)
        } else {
            Err(ConfigError::Tolerance(t))
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
        assert_eq!(c.tolerance(None).unwrap(), 0.2);
        assert_eq!(c.tolerance(Some(0.05)).unwrap(), 0.05);
        assert_eq!(Config::default().tolerance(None).unwrap(), 0.10);
        assert!(c.tolerance(Some(1.5)).is_err());
        assert!(toml::from_str::<Config>("[run]\ntolerance = \"high\"").is_err());
    }

    #[test]
    fn the_sample_settings_file_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tally.toml");
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.tolerance(None).unwrap(), 0.10);
        assert!(c.smtp.is_none(), "the sample writes .eml files");
        let mail = c.mail.unwrap();
        assert_eq!(mail.leaders.len(), 2);
        assert!(c.template.contact.unwrap().contains("县统计局"));
    }
}
