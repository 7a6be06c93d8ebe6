//! The warnings in the order people read them: red tasks, then overdue key
//! projects (red too), then yellow, then blue; within each, by unit in plan
//! order. One list for the first page, the 预警 sheet and `run.json`, so
//! they always agree.

use crate::aggregate::Consolidation;
use crate::aggregate::UnitRow;
use crate::aggregate::projects::ProjectRow;
use crate::model::value::percent;
use crate::model::{Direction, UnitId, Warning};
use crate::plan::Plan;
use crate::validate::show;

/// What a warning is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Task(&'a UnitRow),
    /// A key project not started by its date.
    Project(&'a ProjectRow),
}

/// The reason column of a project its unit did not report.
pub const UNREPORTED: &str = "（本期未填报，开工情况不明）";

/// One warning.
#[derive(Debug, Clone, Copy)]
pub struct Alert<'a> {
    pub warning: Warning,
    pub unit: UnitId,
    pub subject: Subject<'a>,
}

impl Alert<'_> {
    /// What is behind, as people name it: the indicator, or the project
    /// with the date it was due.
    pub fn what(&self, plan: &Plan) -> String {
        match self.subject {
            Subject::Task(r) => plan.indicators[r.indicator].name.clone(),
            Subject::Project(r) => {
                let p = &plan.projects[r.project];
                match p.start_by {
                    Some(d) => format!(
                        "重点项目“{}”逾期未开工（应于 {} 前开工）",
                        p.name,
                        crate::model::period::date_cn(d)
                    ),
                    None => format!("重点项目“{}”逾期未开工", p.name),
                }
            }
        }
    }

    /// The unit's stated reason (滞后原因, 存在问题), if any.
    pub fn reason(&self) -> Option<&str> {
        match self.subject {
            Subject::Task(r) => r.note.as_deref(),
            Subject::Project(r) => r.blocker.as_deref(),
        }
    }

    /// A project its unit did not report (it sent nothing, or left the
    /// project out): counted overdue as not known to be started, its
    /// 存在问题 never asked.
    pub fn unreported(&self) -> bool {
        matches!(self.subject, Subject::Project(r) if !r.reported)
    }

    /// What the reason column shows: the stated reason, else why there is
    /// none (`（未说明）` would blame a unit that was never asked).
    pub fn reason_shown(&self) -> &str {
        match self.reason() {
            Some(reason) => reason,
            None if self.unreported() => UNREPORTED,
            None => "（未说明）",
        }
    }

    /// How it stands, in a phrase: `完成 24.3%`; for a ceiling exceeded
    /// the count against the ceiling (`实际 3 起，控制目标 2 起`: 150%
    /// completion read as more than done); for a project its year's
    /// investment. `None` where there is nothing to say.
    pub fn figures(&self, plan: &Plan) -> Option<String> {
        match self.subject {
            Subject::Task(r) => {
                let ind = &plan.indicators[r.indicator];
                if ind.direction == Direction::Lower {
                    let actual = r.actual?;
                    Some(format!(
                        "实际 {}，控制目标 {}",
                        show(ind, actual),
                        show(ind, r.target)
                    ))
                } else {
                    r.completion.map(|c| format!("完成 {}", percent(c)))
                }
            }
            Subject::Project(r) => r
                .completion
                .map(|c| format!("本年投资完成计划的 {}", percent(c))),
        }
    }

    /// Completion of the task, or of the project's planned investment.
    pub fn completion(&self) -> Option<f64> {
        match self.subject {
            Subject::Task(r) => r.completion,
            Subject::Project(r) => r.completion,
        }
    }
}

/// Every warning at or above `least`, in reading order.
pub fn alerts<'a>(plan: &Plan, c: &'a Consolidation, least: Warning) -> Vec<Alert<'a>> {
    let mut tasks: Vec<&UnitRow> = c
        .by_unit
        .iter()
        .filter(|r| r.warning.is_some_and(|w| w >= least))
        .collect();
    tasks.sort_by_key(|r| (std::cmp::Reverse(r.warning), r.unit, r.indicator));
    let task = |r: &&'a UnitRow| Alert {
        warning: r.warning.unwrap_or(Warning::Blue),
        unit: r.unit,
        subject: Subject::Task(r),
    };
    let reds = tasks
        .iter()
        .take_while(|r| r.warning == Some(Warning::Red))
        .count();
    let mut out: Vec<Alert<'a>> = tasks[..reds].iter().map(task).collect();
    let mut overdue: Vec<&ProjectRow> = c.projects.rows.iter().filter(|r| r.overdue).collect();
    overdue.sort_by_key(|r| (plan.projects[r.project].unit, r.project));
    out.extend(overdue.into_iter().map(|r| Alert {
        warning: Warning::Red,
        unit: plan.projects[r.project].unit,
        subject: Subject::Project(r),
    }));
    out.extend(tasks[reds..].iter().map(task));
    out
}
