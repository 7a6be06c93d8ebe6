//! The `tally` binary: parse the command line, build the settings once,
//! call the library, and map the outcome to the exit code (0 fine, 1
//! problems found, 2 could not work).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use clap::error::ErrorKind;

use tally::cli::{Command, Format};
use tally::config::Config;
use tally::model::{Severity, SubmissionStatus};
use tally::pipeline::TallyError;
use tally::report;
use tally::settings::{CheckSettings, MailCommand, RunSettings, TemplateSettings};

/// How a command ended, short of a failure to work at all.
enum Done {
    /// Nothing wrong (exit 0).
    Clean,
    /// Problems were found (exit 1).
    Problems,
}

/// Why a command could not work (exit 2).
enum Failed {
    Tally(TallyError),
    /// `tally fetch`'s settings or work.
    Fetch(Box<dyn std::error::Error>),
    /// Writing to stdout failed for another reason than a closed pipe.
    Stdout(std::io::Error),
}

impl From<TallyError> for Failed {
    fn from(e: TallyError) -> Failed {
        Failed::Tally(e)
    }
}

fn main() -> ExitCode {
    let started = Instant::now();
    tally::errors::hush_caught_panics();
    let mut note = "";
    // A panic that reaches here is a bug: said as one, and the command
    // could not work, exit 2 as the contract has it.
    let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fewer_arenas();
        let cli = match tally::cli::parse() {
            Ok(cli) => cli,
            Err(e) => return command_line_error(&e),
        };
        note = bug_note(&cli.command);
        dispatch(cli, started)
    }));
    match ended {
        Ok(code) => {
            if let Some(left) = tally::errors::panics_left() {
                eprintln!("{left}");
            }
            code
        }
        Err(_) => {
            eprintln!("{}", tally::errors::bug_report(note));
            ExitCode::from(2)
        }
    }
}

/// What became of a command's work when a bug ended it, for the people
/// who must decide whether to run it again.
fn bug_note(command: &Command) -> &'static str {
    match command {
        Command::Run(_) => "本次汇总没有记入历史，问题解决后重新运行即可。",
        Command::Fetch(_) => "已收取的报表和已发出的回复都记在台账中，重新运行不会重复。",
        Command::Mail(_) => "已发出的邮件都记在台账中，重新运行不会重复发送。",
        Command::Template(_) => "模板可能没有全部写出，问题解决后重新运行即可。",
        _ => "",
    }
}

/// Runs the command; its exit code.
fn dispatch(cli: tally::cli::Cli, started: Instant) -> ExitCode {
    let outcome = match cli.command {
        Command::Fetch(args) => tally::settings::fetch_flags(&args)
            .and_then(|()| Ok(Config::load(args.config.as_deref())?))
            .and_then(|c| tally::settings::fetch_command(&args, &c))
            .map_err(|e| Failed::Fetch(Box::new(e)))
            .and_then(|cmd| fetch(&cmd)),
        Command::Check(args) => Config::load(args.config.as_deref())
            .and_then(|c| CheckSettings::build(&args, &c))
            .map_err(|e| Failed::Tally(e.into()))
            .and_then(|s| check(&s)),
        Command::Run(args) => Config::load(args.config.as_deref())
            .and_then(|c| RunSettings::build(&args, &c))
            .map_err(TallyError::from)
            .and_then(|s| run(&s, started))
            .map_err(Failed::from),
        Command::Template(args) => Config::load(args.config.as_deref())
            .map_err(TallyError::from)
            .and_then(|c| template(&TemplateSettings::build(&args, &c)))
            .map_err(Failed::from),
        Command::Mail(args) => Config::load(args.config.as_deref())
            .map_err(TallyError::from)
            .and_then(|c| Ok(MailCommand::build(&args, &c)?))
            .and_then(|s| mail(&s))
            .map_err(Failed::from),
        Command::History(args) => history(&args),
        Command::Worker {
            max_bytes,
            memory_limit,
            timeout,
            words,
            period,
            parent,
        } => {
            let timeout = std::time::Duration::from_secs(timeout);
            let words = match words.map(|w| serde_json::from_str(&w)).transpose() {
                Ok(w) => tally::model::vocabulary::Vocabulary::new(w.unwrap_or_default())
                    .for_period(period),
                Err(_) => return ExitCode::from(2),
            };
            return match tally::ingest::workers::serve(
                max_bytes,
                memory_limit,
                timeout,
                &words,
                parent,
            ) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(2),
            };
        }
    };
    match outcome {
        Ok(Done::Clean) => ExitCode::SUCCESS,
        Ok(Done::Problems) => ExitCode::from(1),
        Err(Failed::Tally(e)) => {
            eprintln!("tally：{}", tally::errors::chain(&e));
            ExitCode::from(2)
        }
        Err(Failed::Fetch(e)) => {
            eprintln!("tally：{}", tally::errors::chain(e.as_ref()));
            ExitCode::from(2)
        }
        Err(Failed::Stdout(e)) => {
            eprintln!("tally：无法输出结果：{}", tally::errors::describe_io(&e));
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout (exit 0); a wrong command line is said in
/// Chinese on stderr (exit 2).
fn command_line_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            eprintln!("tally：{}", tally::cli::describe_error(e));
            ExitCode::from(2)
        }
    }
}

/// At most two of glibc's allocation arenas per core (its default is
/// eight): each thread that allocates takes one and keeps what is freed in
/// it, so a 10,000-unit run's peak memory varied from 840 to 980 MB with
/// how the arenas happened to fill, close to the 1 GB it must stay under
/// (issue 15; bench/run.sh 10000). An administrator's own limit
/// (`MALLOC_ARENA_MAX`, or `arena_max` in `GLIBC_TUNABLES`) stands.
fn fewer_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set_by_user = std::env::var_os("MALLOC_ARENA_MAX").is_some()
            || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("arena_max"));
        if set_by_user {
            return;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let arenas = i32::try_from(2 * cores).unwrap_or(i32::MAX);
        // SAFETY: mallopt only sets a tuning parameter of the allocator,
        // here before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// What writing a report to stdout means for the exit code: a closed pipe
/// (`tally check | head`) is no failure and ends quietly; any other write
/// error (a full disk behind `> out.json`) is.
fn printed(written: std::io::Result<()>, done: Done) -> Result<Done, Failed> {
    match written {
        Ok(()) => Ok(done),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Done::Clean),
        Err(e) => Err(Failed::Stdout(e)),
    }
}

/// `tally check`: clean when no errors were found.
fn check(settings: &CheckSettings) -> Result<Done, Failed> {
    let inspection = tally::pipeline::check(settings)?;
    let written = match settings.format {
        // Buffered: stdout alone writes every line as it comes, and a
        // large county's report is a hundred thousand lines.
        Format::Json => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            report::check::write_json(&mut out, &inspection).and_then(|_| out.flush())
        }
        Format::Text => {
            let mut out = std::io::BufWriter::new(anstream::stdout().lock());
            report::check::write_text(&mut out, &inspection).and_then(|_| out.flush())
        }
    };
    // The reader's own words, for the bureau: on stderr, never in the report.
    for (file, detail) in &inspection.details {
        eprintln!("读取细节（供统计局排查）：{file}：{detail}");
    }
    let done = if inspection.checked.count(Severity::Error) == 0 {
        Done::Clean
    } else {
        Done::Problems
    };
    printed(written, done)
}

/// `tally fetch`: clean when no fetched file has errors.
fn fetch(cmd: &tally::fetch::FetchCommand) -> Result<Done, Failed> {
    let report = tally::fetch::fetch(cmd).map_err(|e| Failed::Fetch(Box::new(e)))?;
    let mut out = std::io::BufWriter::new(anstream::stdout().lock());
    let written = report.write_text(&mut out, cmd).and_then(|_| out.flush());
    let done = if report.has_errors() {
        Done::Problems
    } else {
        Done::Clean
    };
    printed(written, done)
}

/// `tally run`: clean when the outputs were written, whatever was rejected.
fn run(settings: &RunSettings, started: Instant) -> Result<Done, TallyError> {
    let outcome = tally::pipeline::run(settings)?;
    if let Some(p) = &settings.read.progress {
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
        "tally run {}：{} 个文件，已接收 {}，拒收 {}，已被替代 {}；未报送 {} 个单位；错误 {}，警告 {}，提示 {}；输出 {} 个文件到 {}（用时 {:.2} 秒）",
        settings.period,
        outcome.inspection.files.len(),
        n(SubmissionStatus::Accepted),
        n(SubmissionStatus::Rejected),
        n(SubmissionStatus::Superseded),
        n(SubmissionStatus::Missing),
        checked.count(Severity::Error),
        checked.count(Severity::Warning),
        checked.count(Severity::Info),
        outcome.files_written.len(),
        settings.out.display(),
        started.elapsed().as_secs_f64()
    );
    if let Some(t) = outcome.consolidation.projects.rollup.last() {
        eprintln!(
            "重点项目 {} 个：已开工 {}（按期 {}），逾期未开工 {}；本年完成投资 {} / 年度计划 {} 万元",
            t.planned,
            t.started,
            t.on_time,
            t.overdue,
            tally::model::value::format_number(t.investment.round()),
            tally::model::value::format_number(t.planned_investment.round())
        );
    }
    if let Some(period) = &outcome.replaced {
        eprintln!(
            "注意：输出文件夹中原有 {period} 期的结果，已被本期的结果替换（{period} 期仍记在历史数据中；要重新得到它的汇总表和反馈表，可用 tally history --restore 取回该期收到的报表，再汇总到另一个文件夹）"
        );
    }
    if let Some(store) = &outcome.new_store {
        eprintln!(
            "注意：历史数据目录 {} 是这次新建的，没有本年此前各期的记录，所以预警都从蓝色算起，也没有检查“本年累计减少”；如此前各期的结果在别的历史数据目录，请用 --store 指定它后重新运行",
            store.display()
        );
    }
    if !outcome.stale_later.is_empty() {
        let later: Vec<String> = outcome.stale_later.iter().map(|p| p.label()).collect();
        eprintln!(
            "注意：存储中已有本期之后的 {} 的结果，其预警升级和“本年累计减少”的检查没有用到本期这次的结果；请按时间顺序重新运行这些期",
            later.join("、")
        );
    }
    Ok(Done::Clean)
}

/// `tally template`: one workbook per unit.
fn template(settings: &TemplateSettings) -> Result<Done, TallyError> {
    let written = tally::template::write_templates(
        &settings.plan,
        settings.period,
        &settings.out,
        &settings.options,
    )?;
    eprintln!(
        "tally template {}：为 {} 个单位生成模板到 {}",
        settings.period,
        written.len(),
        settings.out.display()
    );
    Ok(Done::Clean)
}

/// `tally mail`: clean when every message went (or was written to outbox/).
fn mail(command: &MailCommand) -> Result<Done, TallyError> {
    let report = tally::mail::mail(command)?;
    if let Some((run, mail)) = &report.renamed {
        eprintln!(
            "注意：本次运行结果的工作簿署名为“{run}”，设置文件 [org] name 为“{mail}”；邮件正文按“{mail}”署名。如需工作簿一致，请用同一设置文件重新运行 tally run"
        );
    }
    // Units without an address would otherwise be silently left out.
    if !report.no_address.is_empty() {
        eprintln!(
            "注意：{} 个单位在计划的“单位”表中没有填写邮箱，没有给它们发邮件：{}（填写后重新运行 tally run，再运行 tally mail）",
            report.no_address.len(),
            report.no_address.join("、")
        );
    }
    if !report.outbox.is_empty() {
        eprintln!(
            "tally mail：未发送，{} 封邮件已写入 {}",
            report.outbox.len(),
            command.run.join("outbox").display()
        );
        return Ok(Done::Clean);
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
    Ok(if report.failed.is_empty() {
        Done::Clean
    } else {
        Done::Problems
    })
}

/// `tally history`: one line per stored period; or `--verify` the store;
/// or `--restore` a period's archived submissions.
fn history(args: &tally::cli::HistoryArgs) -> Result<Done, Failed> {
    // Missing or no store: could not work, exit 2.
    let store = tally::pipeline::existing_store(&args.store)?;
    let fail = |e: tally::store::StoreError| Failed::Tally(e.into());
    let mut out = anstream::stdout().lock();
    if let (Some(period), Some(into)) = (args.restore, &args.into) {
        let restored = store.restore(period, into).map_err(fail)?;
        eprintln!(
            "已取回 {} 期的 {} 份报表到 {}；重新汇总：tally run --period {period} --inbox {} …",
            period,
            restored.len(),
            into.display(),
            into.display()
        );
        return Ok(Done::Clean);
    }
    if args.verify {
        let found = store.verify().map_err(fail)?;
        let mut written = Ok(());
        for f in &found {
            written = written
                .and_then(|_| writeln!(out, "{}\t{}\t{}", f.period, f.path.display(), f.problem));
        }
        if found.is_empty() {
            written = written.and_then(|_| {
                writeln!(
                    out,
                    "历史数据完好：每期的记录、数据表和存档的报表都与校验值相符"
                )
            });
        }
        let done = if found.is_empty() {
            Done::Clean
        } else {
            Done::Problems
        };
        return printed(written.and_then(|_| out.flush()), done);
    }
    let periods = store.periods().map_err(fail)?;
    let mut written = writeln!(out, "期别\t运行时间\t已接收\t未报送\t错误\t警告\t文件数");
    for m in &periods {
        written = written.and_then(|_| {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                m.period,
                tally::store::local_time(&m.run_at),
                m.accepted,
                m.missing,
                m.errors,
                m.warnings,
                m.inputs.iter().filter(|i| i.file.is_some()).count()
            )
        });
    }
    printed(written.and_then(|_| out.flush()), Done::Clean)
}
