//! The `tally` binary: parse the command line, call the library, and map
//! the outcome to the exit code (0 fine, 1 problems found, 2 could not work).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use tally::cli::{CheckArgs, Cli, Command, Format, MailArgs, ReadArgs, RunArgs, TemplateArgs};
use tally::config::Config;
use tally::ingest::{Isolation, ReadOptions};
use tally::issue::Severity;
use tally::pipeline::{TallyError, inspect};
use tally::report;
use tally::validate::CheckOptions;
use tally::validate::SubmissionStatus;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => exit(check(&args)),
        Command::Run(args) => exit(run(&args)),
        Command::Template(args) => exit(template(&args)),
        Command::Mail(args) => exit(mail(&args)),
        Command::History { store } => exit(history(&store)),
        Command::Worker {
            max_bytes,
            memory_limit,
        } => match tally::ingest::workers::serve(max_bytes, memory_limit) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        },
    }
}

fn exit(result: Result<bool, TallyError>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tally: {e}");
            ExitCode::from(2)
        }
    }
}

/// Files are read in worker processes of this same binary, so that a
/// workbook that aborts the reader costs only itself.
fn read_options(args: &ReadArgs) -> ReadOptions {
    let max_bytes = args.max_file_mb.saturating_mul(1024 * 1024);
    let count = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
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
            ],
            count,
            timeout: Duration::from_secs(args.file_timeout),
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
        isolation,
        progress,
    }
}

/// `tally check`: true when no errors were found.
fn check(args: &CheckArgs) -> Result<bool, TallyError> {
    let options = CheckOptions {
        period: args.period,
        tolerance: tolerance(args.config.as_deref(), args.tolerance)?,
        previous: None,
    };
    let inspection = inspect(&args.plan, &args.inbox, &read_options(&args.read), &options)?;
    let written = match args.format {
        Format::Json => report::check::write_json(&mut std::io::stdout().lock(), &inspection),
        Format::Text => {
            let mut out = anstream::stdout().lock();
            report::check::write_text(&mut out, &inspection).and_then(|_| out.flush())
        }
    };
    // A closed pipe (`tally check | head`) is not a failure of the check.
    let _ = written;
    Ok(inspection.checked.count(Severity::Error) == 0)
}

/// The tolerance from the flag, the settings file or the default.
fn tolerance(config: Option<&std::path::Path>, flag: Option<f64>) -> Result<f64, TallyError> {
    Ok(Config::load(config)?.tolerance(flag)?)
}

/// `tally run`: true when the outputs were written, whatever was rejected.
fn run(args: &RunArgs) -> Result<bool, TallyError> {
    let read = read_options(&args.read);
    let outcome = tally::pipeline::run(
        &args.plan,
        &args.inbox,
        &args.out,
        args.period,
        &read,
        tolerance(args.config.as_deref(), args.tolerance)?,
        &store_dir(args),
    )?;
    if let Some(p) = &read.progress {
        p.finish_and_clear();
    }
    let checked = &outcome.inspection.checked;
    let n = |st: SubmissionStatus| {
        checked
            .submissions
            .iter()
            .filter(|s| s.status == st)
            .count()
    };
    eprintln!(
        "tally run {}：{} 个文件，已接收 {}，拒收 {}，已被替代 {}；未报送 {} 个单位；错误 {}，警告 {}；输出 {} 个文件到 {}（用时 {:.2} 秒）",
        args.period,
        outcome.inspection.files.len(),
        n(SubmissionStatus::Accepted),
        n(SubmissionStatus::Rejected),
        n(SubmissionStatus::Superseded),
        n(SubmissionStatus::Missing),
        checked.count(Severity::Error),
        checked.count(Severity::Warning),
        outcome.files_written.len(),
        args.out.display(),
        outcome.inspection.seconds
    );
    if let Some(t) = outcome.consolidation.projects.rollup.last() {
        eprintln!(
            "重点项目 {} 个：已开工 {}（按期 {}），逾期未开工 {}；本年完成投资 {} / 年度计划 {} 万元",
            t.planned,
            t.started,
            t.on_time,
            t.overdue,
            tally::value::format_number(t.investment.round()),
            tally::value::format_number(t.planned_investment.round())
        );
    }
    Ok(true)
}

/// `tally template`: one workbook per unit.
fn template(args: &TemplateArgs) -> Result<bool, TallyError> {
    let settings = Config::load(args.config.as_deref())?.template;
    let options = tally::template::TemplateOptions {
        password: settings.password,
        contact: settings.contact,
    };
    let written = tally::template::write_templates(&args.plan, args.period, &args.out, &options)?;
    eprintln!(
        "tally template {}：为 {} 个单位生成模板到 {}",
        args.period,
        written.len(),
        args.out.display()
    );
    Ok(true)
}

/// `tally mail`: true when every message went (or was written to outbox/).
fn mail(args: &MailArgs) -> Result<bool, TallyError> {
    let config = Config::load(args.config.as_deref())?;
    let settings = config.mail.ok_or(tally::mail::MailError::NoMailSettings)?;
    let report = tally::mail::mail(
        &args.run,
        config.smtp.as_ref(),
        &settings,
        args.dry_run,
        args.resend,
    )?;
    if !report.outbox.is_empty() {
        eprintln!(
            "tally mail：未发送，{} 封邮件已写入 {}",
            report.outbox.len(),
            args.run.join("outbox").display()
        );
        return Ok(true);
    }
    eprintln!(
        "tally mail：发送 {} 封，已发送过而跳过 {} 封，失败 {} 封",
        report.sent.len(),
        report.skipped.len(),
        report.failed.len()
    );
    for (what, why) in &report.failed {
        eprintln!("  失败：{what}：{why}");
    }
    Ok(report.failed.is_empty())
}

/// The store of a run: `--store`, else `store` beside the output folder.
fn store_dir(args: &RunArgs) -> std::path::PathBuf {
    args.store.clone().unwrap_or_else(|| {
        args.out
            .parent()
            .map_or_else(|| "store".into(), |p| p.join("store"))
    })
}

/// `tally history`: one line per stored period.
fn history(store: &std::path::Path) -> Result<bool, TallyError> {
    if !store.join("periods").is_dir() {
        eprintln!("tally: {} 不是 tally 的历史数据目录", store.display());
        return Ok(false);
    }
    let periods = tally::store::Store::read_only(store).periods();
    let mut out = anstream::stdout().lock();
    let _ = writeln!(out, "期别\t运行时间\t已接收\t未报送\t错误\t警告\t文件数");
    for m in &periods {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            m.period,
            m.run_at,
            m.accepted,
            m.missing,
            m.errors,
            m.warnings,
            m.inputs.iter().filter(|i| i.file.is_some()).count()
        );
    }
    Ok(true)
}
