//! What `tally check` prints: a report grouped by file, or JSON.
//!
//! The text report is for the bureau clerk at a terminal (colour only when
//! stdout is one); the JSON is the contract's machine-readable form
//! (CONTRACT.md section 8).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::model::{Issue, Severity, SubmissionStatus};
use crate::validate::{Inspection, Submission};

/// `{"submissions": [...], "issues": [...]}`
#[derive(Serialize)]
struct Json<'a> {
    submissions: &'a [Submission],
    issues: &'a [Issue],
}

/// Writes the JSON form of a check.
///
/// # Errors
///
/// The I/O error of `out`.
pub fn write_json(out: &mut dyn Write, inspection: &Inspection) -> io::Result<()> {
    let json = Json {
        submissions: &inspection.checked.submissions,
        issues: &inspection.checked.issues,
    };
    serde_json::to_writer_pretty(&mut *out, &json).map_err(io::Error::from)?;
    writeln!(out)
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => AnsiColor::Red.on_default().bold(),
        Severity::Warning => AnsiColor::Yellow.on_default(),
        Severity::Info => AnsiColor::Cyan.on_default(),
    }
}

fn write_issue(out: &mut dyn Write, i: &Issue) -> io::Result<()> {
    let style = severity_style(i.severity);
    let place = i.place().unwrap_or_default();
    let code = i.indicator_code.as_deref().unwrap_or("");
    writeln!(
        out,
        "    {style}{}{style:#}  {place:<12} {code:<6} {}  [{}]",
        i.severity.label(),
        i.message,
        i.code.code()
    )
}

/// Writes the text report of a check: each file with what became of it and
/// its issues, the units that sent nothing, and a closing total.
///
/// # Errors
///
/// The I/O error of `out`.
pub fn write_text(out: &mut dyn Write, inspection: &Inspection) -> io::Result<()> {
    let checked = &inspection.checked;
    let bold = Style::new().bold();
    let plan = &inspection.plan;
    let by_file = checked.by_file();
    writeln!(
        out,
        "{bold}tally check{bold:#}：计划 {} 个单位、{} 个指标；收件文件夹中 {} 个文件\n",
        plan.units.len(),
        plan.indicators.len(),
        inspection.files.len()
    )?;
    for s in checked.submissions.iter().filter(|s| s.file.is_some()) {
        let file = s.file.as_deref().unwrap_or_default();
        let (mark, style) = match s.status {
            SubmissionStatus::Accepted if s.errors == 0 => ("✓", AnsiColor::Green.on_default()),
            SubmissionStatus::Accepted => ("!", AnsiColor::Yellow.on_default()),
            SubmissionStatus::Rejected => ("✗", AnsiColor::Red.on_default()),
            _ => ("·", Style::new().dimmed()),
        };
        let mut head = format!("{file} — {}", s.status.label());
        if let Some(u) = &s.unit {
            head.push_str(&format!(" · {}", u.name));
        }
        if let Some(d) = s.reported_at {
            head.push_str(&format!(" · 填报日期 {d}"));
        }
        let own = by_file.issues(file);
        if own.is_empty() {
            head.push_str(" · 无问题");
        }
        writeln!(out, "{style}{mark}{style:#} {bold}{head}{bold:#}")?;
        for i in own {
            write_issue(out, i)?;
        }
    }
    let missing: Vec<&Issue> = checked.issues.iter().filter(|i| i.file.is_none()).collect();
    if !missing.is_empty() {
        let red = AnsiColor::Red.on_default();
        writeln!(
            out,
            "{red}✗{red:#} {bold}未报送（{} 个单位）{bold:#}",
            missing.len()
        )?;
        for i in missing {
            write_issue(out, i)?;
        }
    }
    let n = |st: SubmissionStatus| {
        checked
            .submissions
            .iter()
            .filter(|s| s.status == st)
            .count()
    };
    writeln!(
        out,
        "\n合计：{} 个文件，已接收 {}，拒收 {}，已被替代 {}；未报送 {} 个单位；错误 {}，警告 {}，提示 {}（用时 {:.2} 秒）",
        inspection.files.len(),
        n(SubmissionStatus::Accepted),
        n(SubmissionStatus::Rejected),
        n(SubmissionStatus::Superseded),
        n(SubmissionStatus::Missing),
        checked.count(Severity::Error),
        checked.count(Severity::Warning),
        checked.count(Severity::Info),
        inspection.seconds
    )?;
    // Every unit missing at once is most likely the wrong folder or
    // period, as `run` says when it refuses such an inbox.
    if n(SubmissionStatus::Accepted) == 0 {
        writeln!(
            out,
            "没有一份可以采用的报表：请检查收件文件夹和期别是否选对"
        )?;
    }
    Ok(())
}
