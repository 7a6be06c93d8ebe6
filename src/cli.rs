//! The command line as typed (CONTRACT.md section 8), in Chinese like
//! everything else a bureau clerk reads. Only parsing lives here: what
//! was typed is built into settings in `settings.rs`. clap's own words
//! ("Usage", "Options", its error sentences) are replaced: the help by
//! templates and headings set here, the errors by [`describe_error`].

use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::model::Period;
use crate::model::value::fold;

/// The help of `tally` itself, with clap's English headings replaced.
const HELP: &str = "\
{about-with-newline}
用法：{usage}

命令：
{subcommands}

选项：
{options}{after-help}";

/// The help of a command.
const COMMAND_HELP: &str = "\
{about-with-newline}
用法：{usage}

选项：
{options}{after-help}";

#[rustfmt::skip]
/// 汇总乡镇、部门报送的重点工作进展报表：从报送邮箱收取报表，检查每个单位的报表，汇总全县完成情况，生成汇总表、数据文件和各单位的反馈表，并发送邮件。
#[derive(Debug, Parser)]
#[command(
    name = "tally",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    subcommand_help_heading = "命令",
    subcommand_value_name = "命令",
    next_help_heading = "选项",
    override_usage = "tally <命令> [选项]",
    after_help = "每个命令的用法：tally <命令> --help\n\
                  示例：tally run --plan samples/plan.xlsx --inbox samples/inbox/2022-03 --period 2022-03 --out out/2022-03\n\
                  退出码：0 完成，没有问题；1 发现问题（check、fetch 的报表有错误，mail 有邮件未发出，history --verify 发现损坏）；2 无法运行（参数、计划表、文件夹、设置有误）"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// 显示帮助
    // Last in every list of options, after the command's own.
    #[arg(short = 'h', long = "help", action = ArgAction::Help, global = true, display_order = 1000)]
    help: Option<bool>,
    /// 显示版本
    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 从报送邮箱收取各单位发来的报表，存入收件文件夹（可即时回复检查结果）
    #[command(
        override_usage = "tally fetch --plan <计划表> --period <期别> --inbox <收件文件夹> [--reply] [--dry-run] [选项]"
    )]
    Fetch(FetchArgs),
    /// 检查收件文件夹中的每份报表，按文件列出问题（不生成任何文件）
    #[command(
        override_usage = "tally check --plan <计划表> --inbox <收件文件夹> [--period <期别>] [选项]"
    )]
    Check(CheckArgs),
    /// 检查并汇总本期报表：生成汇总工作簿、数据文件和各单位的反馈表
    #[command(
        override_usage = "tally run --plan <计划表> --inbox <收件文件夹> --period <期别> --out <输出文件夹> [选项]"
    )]
    Run(RunArgs),
    /// 为计划中的每个单位生成本期的填报模板，下发各单位
    #[command(
        override_usage = "tally template --plan <计划表> --period <期别> --out <文件夹> [选项]"
    )]
    Template(TemplateArgs),
    /// 发送汇总结果：汇总表发给领导，反馈表发给各单位
    #[command(override_usage = "tally mail --run <运行结果文件夹> [选项]")]
    Mail(MailArgs),
    /// 列出历史数据目录中已汇总的各期；检查它是否完好；取回某期存档的报表
    #[command(
        override_usage = "tally history --store <历史数据目录> [--verify | --restore <期别> --into <文件夹>]"
    )]
    History(HistoryArgs),
    /// Internal: read workbooks for a supervising tally process.
    #[command(name = "__worker", hide = true)]
    Worker {
        #[arg(long)]
        max_bytes: u64,
        #[arg(long)]
        memory_limit: u64,
        #[arg(long)]
        timeout: u64,
        /// The bureau's `[words]`, as JSON.
        #[arg(long)]
        words: Option<String>,
        /// The period being read, when known.
        #[arg(long, value_parser = period)]
        period: Option<Period>,
        /// The supervising process: the worker ends when it is gone.
        #[arg(long)]
        parent: Option<u32>,
    },
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// 历史数据目录（见 run 的 --store）
    #[arg(long, value_name = "历史数据目录")]
    pub store: PathBuf,
    /// 逐一核对每期的记录、数据表和存档的报表（SHA-256），列出损坏或缺失的文件
    #[arg(long, conflicts_with = "restore")]
    pub verify: bool,
    /// 把这一期存档的报表按原文件名取回到 --into 文件夹，以便重新汇总该期
    #[arg(long, value_name = "期别", value_parser = period, requires = "into")]
    pub restore: Option<Period>,
    /// 取回的报表放在这里（不存在则新建；不会覆盖已有文件）
    #[arg(long, value_name = "文件夹", requires = "restore")]
    pub into: Option<PathBuf>,
}

/// Output format of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The period as the bureau writes it: 2022-03, 2022年3月, 2022年第二季度 ...
/// Its error says why and how to write one, not the value again: the
/// sentence around it already quotes it.
fn period(s: &str) -> Result<Period, String> {
    s.parse()
        .map_err(|e: crate::model::period::PeriodError| e.advice())
}

/// A whole number from `LO` to `HI` (clap's own ranged parser says why in
/// English).
fn whole<const LO: u64, const HI: u64>(s: &str) -> Result<u64, String> {
    fold(s)
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (LO..=HI).contains(n))
        .ok_or_else(|| format!("请写 {LO} 到 {HI} 之间的整数"))
}

/// `--jobs`: a whole number from 1 to 256.
fn jobs(s: &str) -> Result<u16, String> {
    let n = whole::<1, 256>(s)?;
    u16::try_from(n).map_err(|e| e.to_string())
}

/// `--tolerance`: a fraction in `0..1`, as the settings file's
/// `[run] tolerance` must be.
fn tolerance(s: &str) -> Result<f64, String> {
    fold(s)
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(crate::model::Tolerance::new)
        .map(crate::model::Tolerance::get)
        .ok_or_else(|| "请写 0 到 1 之间的小数，如 0.10".to_string())
}

/// A day as people write it: 2022-03-25, 2022/3/25, 2022年3月25日.
fn date(s: &str) -> Result<chrono::NaiveDate, String> {
    crate::model::value::find_date(s)
        .filter(|_| s.trim().chars().count() <= 12)
        .ok_or_else(|| format!("“{s}”不是日期；请写成 2022-03-25"))
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// 计划表（目标任务分解表）
    #[arg(long, value_name = "计划表")]
    pub plan: PathBuf,
    /// 存放各单位报表的收件文件夹
    #[arg(long, value_name = "收件文件夹")]
    pub inbox: PathBuf,
    // One line each: clap joins a doc comment's lines with a space, which
    // Chinese does not put between clauses.
    /// 期别，如 2022-03、2022年3月、2022-Q2、2022年第二季度、2022-W23、2022年第23周；给出期别才检查滞后原因
    #[arg(long, value_name = "期别", value_parser = period)]
    pub period: Option<Period>,
    /// 输出格式：text（文字，默认）或 json（供程序读取）
    #[arg(long, value_enum, value_name = "格式", default_value_t = Format::Text, hide_default_value = true, hide_possible_values = true)]
    pub format: Format,
    /// 历史数据目录（run 写入的 store）：给出它和期别，才与上一期比较（累计数减少、规则中的 prev()）；只读，不会写入
    #[arg(long, value_name = "历史数据目录", requires = "period")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// 低于时间进度多少算滞后，0 到 1 之间的小数（默认取设置文件 [run] tolerance，否则 0.10）
    #[arg(long, value_name = "小数", value_parser = tolerance, allow_negative_numbers = true)]
    pub tolerance: Option<f64>,
    /// 设置文件：[org]、[run]、[words]（默认：当前文件夹中的 tally.toml，如有）
    #[arg(long, value_name = "文件")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// 计划表（用其中各单位的邮箱认出发件单位）
    #[arg(long, value_name = "计划表")]
    pub plan: PathBuf,
    /// 期别，如 2022-03、2022年3月（回复中的报送期限按此计算）
    #[arg(long, value_name = "期别", value_parser = period)]
    pub period: Period,
    /// 收件文件夹：报表存放于此（不存在则新建），收件记录存于旁边的 <文件夹>.fetch.json
    #[arg(long, value_name = "收件文件夹")]
    pub inbox: PathBuf,
    /// 设置文件，含 [imap]（回复时还要 [smtp] 和 [mail]；另可有 [org]、[run]、[words]）（默认：当前文件夹中的 tally.toml）
    #[arg(long, value_name = "文件")]
    pub config: Option<PathBuf>,
    /// 逐封回复发件人：报表是否接收、要改正哪些单元格、何时前重发
    #[arg(long)]
    pub reply: bool,
    /// 与 --reply 一起用：不发送回复，写成 .eml 文件放到 <收件文件夹>.outbox/
    #[arg(long)]
    pub dry_run: bool,
    /// 只收取这一天及以后到达邮箱的邮件，如 2022-03-25（默认：文件夹中的全部邮件）
    #[arg(long, value_name = "日期", value_parser = date)]
    pub since: Option<chrono::NaiveDate>,
    /// 历史数据目录（run 写入的 store）：给出它，检查和回复才与上一期比较（累计数减少、规则中的 prev()）；只读，不会写入
    #[arg(long, value_name = "历史数据目录")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// 低于时间进度多少算滞后，0 到 1 之间的小数（默认取设置文件 [run] tolerance，否则 0.10）
    #[arg(long, value_name = "小数", value_parser = tolerance, allow_negative_numbers = true)]
    pub tolerance: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// 计划表（目标任务分解表）
    #[arg(long, value_name = "计划表")]
    pub plan: PathBuf,
    /// 存放各单位报表的收件文件夹
    #[arg(long, value_name = "收件文件夹")]
    pub inbox: PathBuf,
    /// 期别，如 2022-03、2022年3月、2022-Q2、2022年第二季度、2022-W23、2022年第23周
    #[arg(long, value_name = "期别", value_parser = period)]
    pub period: Period,
    /// 输出文件夹（不存在则新建）
    #[arg(long, value_name = "输出文件夹")]
    pub out: PathBuf,
    /// 历史数据目录（默认：输出文件夹旁的 store，如 --out out/2022-03 时为 out/store）
    #[arg(long, value_name = "历史数据目录")]
    pub store: Option<PathBuf>,
    /// 一份报表也没有采用时仍然生成结果并记入历史（默认拒绝：多半是文件夹或期别选错了）
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    /// 低于时间进度多少算滞后，0 到 1 之间的小数（默认取设置文件 [run] tolerance，否则 0.10）
    #[arg(long, value_name = "小数", value_parser = tolerance, allow_negative_numbers = true)]
    pub tolerance: Option<f64>,
    /// 设置文件：[org]、[run]、[words]（默认：当前文件夹中的 tally.toml，如有）
    #[arg(long, value_name = "文件")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// 计划表（目标任务分解表）
    #[arg(long, value_name = "计划表")]
    pub plan: PathBuf,
    /// 模板所属的期别，如 2022-03、2022年3月
    #[arg(long, value_name = "期别", value_parser = period)]
    pub period: Period,
    /// 模板存放的文件夹（不存在则新建）
    #[arg(long, value_name = "文件夹")]
    pub out: PathBuf,
    /// 设置文件：[org]、[template]、[words]（默认：当前文件夹中的 tally.toml，如有）
    #[arg(long, value_name = "文件")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct MailArgs {
    /// tally run 的输出文件夹
    #[arg(long, value_name = "运行结果文件夹")]
    pub run: PathBuf,
    /// 设置文件，含 [mail]，发送时还要 [smtp]（默认：当前文件夹中的 tally.toml）
    #[arg(long, value_name = "文件")]
    pub config: Option<PathBuf>,
    /// 各单位模板所在的文件夹：给未报送的单位附上模板（默认取设置文件 [template] out）
    #[arg(long, value_name = "文件夹")]
    pub templates: Option<PathBuf>,
    /// 只发给这些单位（可重复）
    #[arg(long = "unit", value_name = "单位")]
    pub units: Vec<String>,
    /// 不发送，把每封邮件写成 .eml 文件放到 <运行结果文件夹>/outbox/
    #[arg(long)]
    pub dry_run: bool,
    /// 已发送过的邮件也再发一次
    #[arg(long)]
    pub resend: bool,
}

/// How inbox files are read.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// 大于此大小（MB）的文件不读取（1 到 10240，默认 50）
    #[arg(long, value_name = "MB", default_value_t = 50, hide_default_value = true,
          value_parser = whole::<1, 10240>, allow_negative_numbers = true)]
    pub max_file_mb: u64,
    /// 同时读取文件的进程数（默认：每个 CPU 一个；1 到 256）
    #[arg(long, value_name = "个数", value_parser = jobs, allow_negative_numbers = true)]
    pub jobs: Option<u16>,
    /// 单个文件最多读取多少秒，超时视为损坏（1 到 3600，默认 60）
    #[arg(long, value_name = "秒", default_value_t = 60, hide_default_value = true,
          value_parser = whole::<1, 3600>, allow_negative_numbers = true)]
    pub file_timeout: u64,
    /// 本次读取全部报表最多用多少秒，用完后其余文件不再读取并列出（10 到 86400，默认 600）
    #[arg(long, value_name = "秒", default_value_t = 600, hide_default_value = true,
          value_parser = whole::<10, 86400>, allow_negative_numbers = true)]
    pub read_budget: u64,
    /// 读取进程最多使用的内存（MB），超出视为文件损坏（64 到 65536，默认 2048）
    #[arg(long, value_name = "MB", default_value_t = 2048, hide_default_value = true,
          value_parser = whole::<64, 65536>, allow_negative_numbers = true)]
    pub worker_memory_mb: u64,
}

/// The command line with Chinese help on every command.
pub fn command() -> clap::Command {
    Cli::command()
        .help_template(HELP)
        .mut_subcommands(|c| c.help_template(COMMAND_HELP))
}

/// The commands a user may type, in the order of the help.
fn commands() -> String {
    command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect::<Vec<_>>()
        .join("、")
}

/// Parses the process's arguments.
///
/// # Errors
///
/// clap's error, to be said with [`describe_error`] (help and version are
/// "errors" too: print them as they are).
pub fn parse() -> Result<Cli, clap::Error> {
    let matches = command().try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// A command-line error in Chinese, with where to look for the right use.
pub fn describe_error(e: &clap::Error) -> String {
    let context = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    // `--jobs <个数>`: the flag, without its value's name (what was typed,
    // spaces and all, is said whole).
    let flag = |kind: ContextKind| {
        let a = context(kind);
        match a.split_once(" <") {
            Some((f, _)) if a.ends_with('>') => f.to_string(),
            _ => a,
        }
    };
    let arg = flag(ContextKind::InvalidArg);
    let value = context(ContextKind::InvalidValue);
    let what = match e.kind() {
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(|s| format!("：{s}"))
                .unwrap_or_default();
            format!("参数 {arg} 的值“{value}”无效{why}")
        }
        ErrorKind::InvalidValue => {
            let valid = context(ContextKind::ValidValue);
            if value.is_empty() {
                format!("参数 {arg} 后面缺少值")
            } else if valid.is_empty() {
                format!("参数 {arg} 的值“{value}”无效")
            } else {
                format!("参数 {arg} 的值“{value}”无效；可以写 {valid}")
            }
        }
        ErrorKind::MissingRequiredArgument => format!("缺少必须给出的参数：{arg}"),
        ErrorKind::UnknownArgument => {
            let hint = context(ContextKind::SuggestedArg);
            let hint = if hint.is_empty() {
                String::new()
            } else {
                format!("，是不是 {hint}？")
            };
            format!("不认识的参数“{arg}”{hint}")
        }
        ErrorKind::InvalidSubcommand => {
            let typed = context(ContextKind::InvalidSubcommand);
            let hint = match context(ContextKind::SuggestedSubcommand) {
                _ if typed == "help" => "；看帮助请用 tally --help。".to_string(),
                s if s.is_empty() => "；".to_string(),
                s => format!("，是不是 {s}？"),
            };
            format!("没有“{typed}”这个命令{hint}可用的命令：{}", commands())
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            format!("缺少命令：{}", commands())
        }
        ErrorKind::ArgumentConflict => match flag(ContextKind::PriorArg) {
            prior if prior.is_empty() || prior == arg => format!("参数 {arg} 只能给一次"),
            prior => format!("参数 {arg} 不能和 {prior} 同时使用"),
        },
        ErrorKind::TooManyValues => {
            format!("参数 {arg} 给了多次或多个值")
        }
        _ => "命令行参数有误".to_string(),
    };
    format!("{what}\n用法见：tally --help，或 tally <命令> --help")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What tally says for `args` typed after `tally`.
    fn said(args: &[&str]) -> String {
        let e = command()
            .try_get_matches_from(std::iter::once("tally").chain(args.iter().copied()))
            .expect_err("a wrong command line");
        describe_error(&e)
    }

    const CHECK: [&str; 5] = ["check", "--plan", "p.xlsx", "--inbox", "in"];

    fn check_with(more: &[&str]) -> String {
        said(&[&CHECK[..], more].concat())
    }

    #[test]
    fn a_mistyped_command_is_named_with_the_likely_one_and_every_command() {
        let s = said(&["chek"]);
        assert!(s.starts_with("没有“chek”这个命令，是不是 check？可用的命令：fetch、check、run、template、mail、history\n"), "{s}");
        assert!(!s.contains("__worker"), "{s}");
        assert!(said(&["help"]).contains("没有“help”这个命令；看帮助请用 tally --help。"));
        assert!(said(&["xyz"]).starts_with("没有“xyz”这个命令；可用的命令：fetch、"));
    }

    #[test]
    fn number_flags_say_their_range_in_chinese() {
        for (flag, value, range) in [
            ("--jobs", "0", "1 到 256"),
            ("--jobs", "abc", "1 到 256"),
            ("--max-file-mb", "10241", "1 到 10240"),
            ("--file-timeout", "-1", "1 到 3600"),
            ("--read-budget", "9", "10 到 86400"),
            ("--worker-memory-mb", "1.5", "64 到 65536"),
        ] {
            let s = check_with(&[flag, value]);
            assert!(
                s.starts_with(&format!(
                    "参数 {flag} 的值“{value}”无效：请写 {range} 之间的整数\n"
                )),
                "{s}"
            );
        }
        for value in ["abc", "10", "1", "1e9", "NaN", "-0.1"] {
            let s = check_with(&["--tolerance", value]);
            assert!(s.contains("请写 0 到 1 之间的小数，如 0.10"), "{s}");
        }
        // Full-width digits, as a Chinese keyboard types them, are numbers.
        let ok = command().try_get_matches_from(
            [
                &["tally"][..],
                &CHECK[..],
                &["--jobs", "８", "--tolerance", "０.２"],
            ]
            .concat(),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn an_unknown_argument_is_quoted_whole() {
        // A flag and its value typed as one quoted word, a folder name
        // with a space: said as typed, not cut at the space.
        let s = said(&["check", "--plan", "p.xlsx", "--inbox", "in", "--out x"]);
        assert!(s.starts_with("不认识的参数“--out x”"), "{s}");
        let s = check_with(&["收件 文件夹"]);
        assert!(s.starts_with("不认识的参数“收件 文件夹”"), "{s}");
    }

    #[test]
    fn a_flag_given_twice_or_with_one_it_excludes_is_named() {
        assert!(check_with(&["--jobs", "1", "--jobs", "2"]).starts_with("参数 --jobs 只能给一次"));
        let s = said(&[
            "history",
            "--store",
            "s",
            "--verify",
            "--restore",
            "2022-03",
            "--into",
            "x",
        ]);
        assert!(
            s.starts_with("参数 --restore 不能和 --verify 同时使用")
                || s.starts_with("参数 --verify 不能和 --restore 同时使用"),
            "{s}"
        );
        // --into alone would be ignored without a word.
        let s = said(&["history", "--store", "s", "--into", "x"]);
        assert!(s.contains("--restore"), "{s}");
    }

    #[test]
    fn a_wrong_period_says_what_is_wrong_once() {
        let s = check_with(&["--period", "2022年13月"]);
        assert!(
            s.starts_with("参数 --period 的值“2022年13月”无效：月份只能是 1 到 12；请写成 2022-03"),
            "{s}"
        );
        assert_eq!(s.matches("2022年13月").count(), 1, "{s}");
        assert!(check_with(&["--period", "2022-Q5"]).contains("季度只能是 1 到 4；"));
        assert!(check_with(&["--period", "2021-W53"]).contains("2021 年的周次只能是 1 到 52；"));
        assert!(check_with(&["--period", "March"]).contains("无效：请写成 2022-03"));
    }
}
