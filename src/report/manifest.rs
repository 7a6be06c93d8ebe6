//! `run.json`: what a run found, for the stages that come after it.
//!
//! `tally mail` builds its messages from this file alone (who gets what,
//! and the figures quoted in the bodies), so it never rereads the plan or
//! the inbox, and a run folder can be mailed later or elsewhere.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aggregate::Consolidation;
use crate::files::{OutputError, write_atomic};
use crate::model::{Id, Severity, Status, SubmissionStatus, UnitId, Warning};
use crate::plan::Plan;
use crate::report::index::UnitIndex;
use crate::validate::Checked;

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
}

/// A task with a red or yellow warning.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WarningLine {
    pub unit: String,
    pub indicator: String,
    pub warning: Warning,
    pub label: String,
    pub completion: Option<f64>,
    pub note: Option<String>,
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
}

/// One unit: where its feedback is and how it stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitLine {
    pub name: String,
    pub email: Option<String>,
    /// Relative to the run folder.
    pub feedback: String,
    /// `accepted`, `rejected` or `missing`.
    pub status: SubmissionStatus,
    pub score: Option<f64>,
    pub rank: Option<u32>,
    pub ranked: usize,
    pub behind: usize,
    /// Its key projects not started by their date.
    #[serde(default)]
    pub overdue_projects: usize,
    pub issues: Vec<String>,
}

/// Everything `run.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunManifest {
    pub period: String,
    pub period_label: String,
    pub elapsed: f64,
    pub units_reported: usize,
    pub units_total: usize,
    pub indicators: Vec<IndicatorLine>,
    pub warnings: Vec<WarningLine>,
    /// `None` when the plan has no key projects.
    #[serde(default)]
    pub projects: Option<ProjectsLine>,
    pub units: Vec<UnitLine>,
}

/// Builds the manifest of a run; `feedback` holds each unit's feedback
/// file name.
pub fn build(
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    feedback: &[String],
) -> RunManifest {
    RunManifest {
        period: c.period.to_string(),
        period_label: c.period.label(),
        elapsed: c.elapsed,
        units_reported: checked
            .submissions
            .iter()
            .filter(|s| s.status == SubmissionStatus::Accepted)
            .count(),
        units_total: plan.units.len(),
        indicators: indicator_lines(plan, c),
        warnings: warning_lines(plan, c),
        projects: projects_line(c),
        units: unit_lines(plan, c, checked, feedback),
    }
}

/// Builds and writes `run.json` into the run folder; returns its path.
///
/// # Errors
///
/// [`OutputError`] when it cannot be written.
pub fn write(
    dir: &Path,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
) -> Result<PathBuf, OutputError> {
    let names: Vec<String> = plan.unit_file_names().into_iter().collect();
    let run = build(plan, c, checked, &names);
    let path = dir.join(FILE);
    let json = serde_json::to_vec_pretty(&run).map_err(|e| OutputError::other(&path, e))?;
    write_atomic(&path, &json)?;
    Ok(path)
}

fn indicator_lines(plan: &Plan, c: &Consolidation) -> Vec<IndicatorLine> {
    c.county
        .iter()
        .filter(|r| r.status.is_some())
        .map(|r| {
            let ind = &plan.indicators[r.indicator];
            IndicatorLine {
                code: ind.code.clone(),
                name: ind.name.clone(),
                uom: ind.uom.clone(),
                completion: r.completion,
                progress: r.progress(ind.direction),
                status: r.status,
                status_label: r.status.map(|s| s.label().to_string()),
            }
        })
        .collect()
}

/// Red and yellow tasks, red first; overdue projects are red warnings,
/// after the red tasks and before the yellow ones.
fn warning_lines(plan: &Plan, c: &Consolidation) -> Vec<WarningLine> {
    let mut tasks: Vec<_> = c
        .by_unit
        .iter()
        .filter(|r| matches!(r.warning, Some(Warning::Red | Warning::Yellow)))
        .collect();
    tasks.sort_by_key(|r| (std::cmp::Reverse(r.warning), r.unit, r.indicator));
    let mut lines: Vec<WarningLine> = tasks
        .into_iter()
        .filter_map(|r| {
            let w = r.warning?;
            Some(WarningLine {
                unit: plan.units[r.unit].name.clone(),
                indicator: plan.indicators[r.indicator].name.clone(),
                warning: w,
                label: w.label().to_string(),
                completion: r.completion,
                note: r.note.clone(),
            })
        })
        .collect();
    let reds = lines.iter().filter(|w| w.warning == Warning::Red).count();
    let overdue: Vec<WarningLine> = c
        .projects
        .rows
        .iter()
        .filter(|r| r.overdue)
        .map(|r| {
            let p = &plan.projects[r.project];
            WarningLine {
                unit: plan.units[p.unit].name.clone(),
                indicator: format!("重点项目“{}”逾期未开工", p.name),
                warning: Warning::Red,
                label: Warning::Red.label().to_string(),
                completion: r.completion,
                note: r.blocker.clone(),
            }
        })
        .collect();
    lines.splice(reds..reds, overdue);
    lines
}

fn projects_line(c: &Consolidation) -> Option<ProjectsLine> {
    c.projects.rollup.last().map(|t| ProjectsLine {
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

fn unit_lines(
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    feedback: &[String],
) -> Vec<UnitLine> {
    let ranked = c.scores.iter().filter(|s| s.rank.is_some()).count();
    let mut overdue_projects: Vec<usize> = vec![0; plan.units.len()];
    for r in c.projects.rows.iter().filter(|r| r.overdue) {
        overdue_projects[plan.projects[r.project].unit.index()] += 1;
    }
    let index = UnitIndex::new(plan, c, checked);
    plan.units
        .iter_enumerated()
        .map(|(u, unit): (UnitId, _)| {
            let issues = index.issues[u]
                .iter()
                .filter(|i| i.severity != Severity::Info)
                .map(|i| match (&i.sheet, &i.cell) {
                    (Some(_), Some(_)) => {
                        format!("{}：{}", i.place().unwrap_or_default(), i.message)
                    }
                    _ => i.message.clone(),
                })
                .collect();
            let score = c.scores.get(u.index());
            UnitLine {
                name: unit.name.clone(),
                email: unit.email.clone(),
                feedback: format!("feedback/{}", feedback[u.index()]),
                status: index.status(u),
                score: score.and_then(|s| s.score),
                rank: score.and_then(|s| s.rank),
                ranked,
                behind: index.rows[u]
                    .iter()
                    .filter(|r| r.status == Status::Behind)
                    .count(),
                overdue_projects: overdue_projects[u.index()],
                issues,
            }
        })
        .collect()
}
