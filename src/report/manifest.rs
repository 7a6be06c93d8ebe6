//! `run.json`: what a run found, for the stages that come after it.
//!
//! `tally mail` builds its messages from this file alone (who gets what,
//! and the figures quoted in the bodies), so it never rereads the plan or
//! the inbox, and a run folder can be mailed later or elsewhere.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aggregate::Consolidation;
use crate::files::{OutputError, sha256_hex, write_atomic};
use crate::model::period::date_cn;
use crate::model::value::percent;
use crate::model::{Direction, Id, Severity, Status, SubmissionStatus, UnitId, UnitKind, Warning};
use crate::plan::Plan;
use crate::report::alerts::{Alert, Subject, alerts};
use crate::report::feedback::{behind_tasks, errors_counted, resend_by};
use crate::report::index::UnitIndex;
use crate::validate::Checked;
use crate::validate::show;

/// The file name in the run folder.
pub const FILE: &str = "run.json";

/// One indicator for the county.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndicatorLine {
    pub code: String,
    pub name: String,
    pub uom: String,
    pub completion: Option<f64>,
    /// Expected share of the target by now (时间进度 for this indicator).
    pub progress: Option<f64>,
    pub status: Option<Status>,
    pub status_label: Option<String>,
    /// How it stands, in a phrase: `完成 24.3%（应完成 25.0%）`, or for
    /// a ceiling `实际 3 起，控制目标 10 起` (a completion of 30% read as
    /// behind).
    #[serde(default)]
    pub figures: Option<String>,
    /// A ceiling (`逆向`): its figures are counts, not a completion.
    #[serde(default)]
    pub lower: bool,
}

/// A task (or key project) with a red or yellow warning.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WarningLine {
    pub unit: String,
    pub indicator: String,
    pub warning: Warning,
    pub label: String,
    pub completion: Option<f64>,
    /// How it stands, in a phrase ([`Alert::figures`](crate::report::alerts::Alert::figures)).
    #[serde(default)]
    pub figures: Option<String>,
    /// The unit's own stated reason, if any.
    pub note: Option<String>,
    /// A project its unit did not report: whether it started is unknown.
    #[serde(default)]
    pub unreported: bool,
}

/// The county's key projects, for the leaders' message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectsLine {
    pub planned: u32,
    pub started: u32,
    pub on_time: u32,
    pub overdue: u32,
    pub planned_investment: f64,
    pub investment: f64,
    pub completion: Option<f64>,
    /// Blocker kind (土地, 环评, 资金, 其他) and how many projects name it.
    pub blockers: Vec<(String, usize)>,
    /// How many were due to have started by the period's end, and that
    /// date as people write it: what 重点项目开复工 counts against.
    #[serde(default)]
    pub due: Option<u32>,
    #[serde(default)]
    pub due_by: Option<String>,
}

/// One unit: where its feedback is, how it stands, and what it must do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitLine {
    pub name: String,
    pub kind: UnitKind,
    pub email: Option<String>,
    /// Relative to the run folder.
    pub feedback: String,
    /// The unit's file name in a folder of templates (`tally template`).
    pub template: String,
    /// `accepted`, `rejected` or `missing`.
    pub status: SubmissionStatus,
    /// SHA-256 of the file the feedback is about (the accepted one, else
    /// the refused ones); none for a unit that sent nothing. A unit is
    /// mailed again only when this changes (CONTRACT.md section 10).
    pub submission: Option<String>,
    pub score: Option<f64>,
    pub rank: Option<u32>,
    /// Units of its kind that are ranked.
    pub ranked: u32,
    pub behind: usize,
    /// The tasks behind time progress, by name.
    #[serde(default)]
    pub behind_tasks: Vec<String>,
    /// Each ceiling exceeded, with its figures and warning:
    /// `安全生产事故（实际 3 起，控制目标 2 起，红色预警）`.
    #[serde(default)]
    pub breached: Vec<String>,
    /// Its key projects not started by their date.
    pub overdue_projects: usize,
    /// Of those, the ones it did not report (whether they started is
    /// unknown) and the ones reported without a 存在问题 reason.
    #[serde(default)]
    pub unreported_projects: usize,
    #[serde(default)]
    pub unexplained_projects: Option<usize>,
    /// What became of its errors' values ([`errors_counted`]).
    #[serde(default)]
    pub counted: Option<String>,
    /// By when to resend a corrected file: `于 2022年4月5日 前`, or, for a
    /// file that came after the due date, that it is past and to hurry.
    pub resend_by: String,
    /// Errors to fix, each with its cell: `Sheet1!E8：…`.
    pub errors: Vec<String>,
    /// Warnings to look at.
    pub notices: Vec<String>,
}

/// Everything `run.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunManifest {
    /// Who speaks (`[org] name`).
    pub org: String,
    pub period: String,
    pub period_label: String,
    /// The date to report (and resend corrections) by, as people write it.
    pub due: String,
    pub elapsed: f64,
    /// SHA-256 over every submission's: the leaders are mailed again only
    /// when it changes.
    pub inputs: String,
    pub units_reported: usize,
    pub units_total: usize,
    pub indicators: Vec<IndicatorLine>,
    pub warnings: Vec<WarningLine>,
    /// `None` when the plan has no key projects.
    #[serde(default)]
    pub projects: Option<ProjectsLine>,
    pub units: Vec<UnitLine>,
    /// 总览's first lines, the period in five sentences, which open the
    /// leaders' mail.
    #[serde(default)]
    pub headlines: Vec<String>,
}

/// Builds the manifest of a run.
pub fn build(plan: &Plan, c: &Consolidation, checked: &Checked, org: &str) -> RunManifest {
    let inputs: Vec<&str> = checked
        .submissions
        .iter()
        .filter_map(|s| s.sha256.as_deref())
        .collect();
    RunManifest {
        org: org.to_string(),
        period: c.period.to_string(),
        period_label: c.period.label(),
        due: date_cn(c.period.due_date()),
        elapsed: c.elapsed,
        inputs: sha256_hex(inputs.join("\n").as_bytes()),
        units_reported: checked
            .submissions
            .iter()
            .filter(|s| s.status == SubmissionStatus::Accepted)
            .count(),
        units_total: plan.units.len(),
        indicators: indicator_lines(plan, c),
        warnings: warning_lines(plan, c),
        projects: projects_line(plan, c),
        units: unit_lines(plan, c, checked),
        headlines: crate::report::workbook::headlines(plan, c, checked),
    }
}

/// `run.json`'s bytes. Made while the other outputs are written; written
/// itself only after them ([`write`]), so that a run folder holds a new
/// `run.json`, which `tally mail` goes by, only when all its outputs are
/// there.
///
/// # Errors
///
/// [`OutputError`] naming `run.json` in `dir` when it cannot be encoded.
pub fn encode(
    dir: &Path,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    org: &str,
) -> Result<Vec<u8>, OutputError> {
    let run = build(plan, c, checked, org);
    serde_json::to_vec_pretty(&run).map_err(|e| OutputError::other(&dir.join(FILE), e))
}

/// Writes `run.json` (from [`encode`]) into the run folder; returns its
/// path.
///
/// # Errors
///
/// [`OutputError`] when it cannot be written.
pub fn write(dir: &Path, json: &[u8]) -> Result<PathBuf, OutputError> {
    let path = dir.join(FILE);
    write_atomic(&path, json)?;
    Ok(path)
}

fn indicator_lines(plan: &Plan, c: &Consolidation) -> Vec<IndicatorLine> {
    c.county
        .iter()
        .filter(|r| r.status.is_some())
        .map(|r| {
            let ind = &plan.indicators[r.indicator];
            let progress = r.progress(ind.direction);
            let figures = match (ind.direction, r.actual, r.target) {
                (Direction::Lower, Some(actual), Some(target)) => Some(format!(
                    "实际 {}，控制目标 {}",
                    show(ind, actual),
                    show(ind, target)
                )),
                _ => r.completion.map(|c| match progress {
                    Some(p) => format!("完成 {}（应完成 {}）", percent(c), percent(p)),
                    None => format!("完成 {}", percent(c)),
                }),
            };
            IndicatorLine {
                code: ind.code.clone(),
                name: ind.name.clone(),
                uom: ind.uom.clone(),
                completion: r.completion,
                progress,
                status: r.status,
                status_label: r.status.map(|s| s.label().to_string()),
                figures,
                lower: ind.direction == Direction::Lower,
            }
        })
        .collect()
}

/// Red and yellow warnings in reading order (see [`alerts`]).
fn warning_lines(plan: &Plan, c: &Consolidation) -> Vec<WarningLine> {
    alerts(plan, c, Warning::Yellow)
        .into_iter()
        .map(|a| WarningLine {
            unit: plan.units[a.unit].name.clone(),
            indicator: a.what(plan),
            warning: a.warning,
            label: a.warning.label().to_string(),
            completion: a.completion(),
            figures: a.figures(plan),
            note: a.reason().map(str::to_string),
            unreported: a.unreported(),
        })
        .collect()
}

fn projects_line(plan: &Plan, c: &Consolidation) -> Option<ProjectsLine> {
    let end = c.period.end_date();
    c.projects.rollup.last().map(|t| ProjectsLine {
        due: Some(plan.projects_due_by(end) as u32),
        due_by: Some(date_cn(end)),
        planned: t.planned,
        started: t.started,
        on_time: t.on_time,
        overdue: t.overdue,
        planned_investment: t.planned_investment,
        investment: t.investment,
        completion: t.completion,
        blockers: c
            .projects
            .blockers
            .iter()
            .map(|(b, list)| (b.label().to_string(), list.len()))
            .collect(),
    })
}

fn unit_lines(plan: &Plan, c: &Consolidation, checked: &Checked) -> Vec<UnitLine> {
    let names = plan.unit_file_names();
    // Per unit: its overdue projects, those it did not report, and those
    // reported without a reason.
    let mut projects: Vec<[usize; 3]> = vec![[0; 3]; plan.units.len()];
    for a in alerts(plan, c, Warning::Red) {
        if let Subject::Project(_) = a.subject {
            let p = &mut projects[a.unit.index()];
            p[0] += 1;
            p[1] += usize::from(a.unreported());
            p[2] += usize::from(!a.unreported() && a.reason().is_none());
        }
    }
    let index = UnitIndex::new(plan, c, checked);
    plan.units
        .iter_enumerated()
        .map(|(u, unit): (UnitId, _)| {
            let said = |severity: Severity| -> Vec<String> {
                index.issues[u]
                    .iter()
                    .filter(|i| i.severity == severity)
                    .map(|i| match i.place() {
                        Some(place) if i.cell.is_some() => format!("{place}：{}", i.message),
                        _ => i.message.clone(),
                    })
                    .collect()
            };
            let status = index.status(u);
            let mut shas: Vec<&str> = index.files[u]
                .iter()
                .filter(|s| match status {
                    SubmissionStatus::Accepted => s.status == SubmissionStatus::Accepted,
                    _ => s.status == SubmissionStatus::Rejected,
                })
                .filter_map(|s| s.sha256.as_deref())
                .collect();
            shas.sort_unstable();
            let score = &c.scores[u.index()];
            let with = |st: Status| index.rows[u].iter().filter(move |r| r.status == st);
            let behind_tasks = behind_tasks(plan, &index.rows[u]);
            let breached: Vec<String> = with(Status::Breach)
                .map(|r| {
                    let alert = Alert {
                        warning: r.warning.unwrap_or(Warning::Red),
                        unit: u,
                        subject: Subject::Task(r),
                    };
                    let said: Vec<String> = alert
                        .figures(plan)
                        .into_iter()
                        .chain(r.warning.map(|w| format!("{}预警", w.label())))
                        .collect();
                    match said.is_empty() {
                        true => alert.what(plan),
                        false => format!("{}（{}）", alert.what(plan), said.join("，")),
                    }
                })
                .collect();
            UnitLine {
                name: unit.name.clone(),
                kind: unit.kind,
                email: unit.email.clone(),
                feedback: format!("feedback/{}", names[u]),
                template: names[u].clone(),
                status,
                submission: (!shas.is_empty()).then(|| shas.join("+")),
                score: score.score,
                rank: score.rank,
                ranked: score.ranked,
                behind: behind_tasks.len(),
                behind_tasks,
                breached,
                overdue_projects: projects[u.index()][0],
                unreported_projects: projects[u.index()][1],
                unexplained_projects: Some(projects[u.index()][2]),
                counted: errors_counted(index.issues[u].iter().copied()).map(str::to_string),
                resend_by: resend_by(c, index.files[u].iter().filter_map(|s| s.reported_at).max()),
                errors: said(Severity::Error),
                notices: said(Severity::Warning),
            }
        })
        .collect()
}
