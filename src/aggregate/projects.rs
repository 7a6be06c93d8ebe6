//! Key projects for the county (CONTRACT.md section 11): how each planned
//! project stands, and the roll-up the speech reads out ("56 key projects,
//! 35 started, 7 held up by land and environmental approval").
//!
//! One [`ProjectRow`] per project of the plan, reported or not; the counts
//! and investment by project kind are a polars group-by; the 存在问题 texts
//! are sorted into the blocker kinds the bureau counts (土地, 环评, 资金,
//! other). An overdue project is a red warning, like a task.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::{f64s, u32s};
use crate::model::{IdVec, Period, ProjectId, ProjectKind, Warning};
use crate::plan::Plan;
use crate::validate::ProjectFact;

/// What holds a project up, as the bureau counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Blocker {
    /// 土地: land use, acquisition, demolition.
    Land,
    /// 环评: environmental approval.
    Environment,
    /// 资金: funding.
    Funding,
    Other,
}

impl Blocker {
    pub const ALL: [Blocker; 4] = [
        Blocker::Land,
        Blocker::Environment,
        Blocker::Funding,
        Blocker::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Blocker::Land => "土地",
            Blocker::Environment => "环评",
            Blocker::Funding => "资金",
            Blocker::Other => "其他",
        }
    }

    /// The words that put a 存在问题 text into this kind.
    fn words(self) -> &'static [&'static str] {
        match self {
            Blocker::Land => &[
                "土地", "用地", "征地", "林地", "草地", "耕地", "拆迁", "征收", "地块", "供地",
            ],
            Blocker::Environment => &["环评", "环境影响", "环保", "环境评价"],
            Blocker::Funding => &["资金", "融资", "贷款", "专项债", "拨付", "缺钱"],
            Blocker::Other => &[],
        }
    }
}

/// The kinds a 存在问题 text names; `Other` when it names none of them.
/// A text naming land and approval counts under both.
pub fn blocker_kinds(text: &str) -> Vec<Blocker> {
    let kinds: Vec<Blocker> = Blocker::ALL
        .into_iter()
        .filter(|b| b.words().iter().any(|w| text.contains(w)))
        .collect();
    if kinds.is_empty() {
        vec![Blocker::Other]
    } else {
        kinds
    }
}

/// One project of the plan and how it stands at the period's end.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRow {
    pub project: ProjectId,
    /// Whether the unit's accepted file reported it.
    pub reported: bool,
    /// `None`: not reported, or 是否开工 not usable.
    pub started: Option<bool>,
    pub started_on: Option<NaiveDate>,
    pub investment: Option<f64>,
    /// Investment / planned investment this year.
    pub completion: Option<f64>,
    /// Started, and by its 计划开工日期 as far as the dates tell.
    pub on_time: bool,
    /// Not (known to be) started, and the period ends after its 计划开工日期.
    pub overdue: bool,
    pub blocker: Option<String>,
    /// `Red` when overdue.
    pub warning: Option<Warning>,
}

/// The county's projects of one kind (`kind: None`: all of them).
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub kind: Option<ProjectKind>,
    pub planned: u32,
    pub started: u32,
    pub on_time: u32,
    pub overdue: u32,
    pub planned_investment: f64,
    pub investment: f64,
    /// Investment / planned investment, when anything is planned.
    pub completion: Option<f64>,
}

/// Everything the writers show about projects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectSummary {
    /// One per project of the plan, in plan order.
    pub rows: IdVec<ProjectId, ProjectRow>,
    /// One per kind present in the plan, in kind order, then the total.
    pub rollup: Vec<Rollup>,
    /// Per blocker kind, the projects whose 存在问题 names it; kinds
    /// without projects are left out.
    pub blockers: Vec<(Blocker, Vec<ProjectId>)>,
}

/// How each project of the plan stands at the end of `period`.
///
/// # Errors
///
/// A polars error, which valid data never causes.
pub fn summarize(
    plan: &Plan,
    facts: &[ProjectFact],
    period: Period,
) -> PolarsResult<ProjectSummary> {
    let end = period.end_date();
    let by_project: HashMap<ProjectId, &ProjectFact> =
        facts.iter().map(|f| (f.project, f)).collect();
    let rows: IdVec<ProjectId, ProjectRow> = plan
        .projects
        .iter_enumerated()
        .map(|(p, project)| {
            let fact = by_project.get(&p);
            let started_on = fact.and_then(|f| f.started_on);
            // As the unit reported it (是否开工): a 开工日期 after the
            // period's end is warned about when the file is checked.
            let started = fact.and_then(|f| f.started);
            let investment = fact.and_then(|f| f.investment);
            let overdue = started != Some(true) && project.start_by.is_some_and(|d| end > d);
            // A start without a date is given the benefit of the doubt.
            let on_time = started == Some(true)
                && match (started_on, project.start_by) {
                    (Some(on), Some(by)) => on <= by,
                    _ => true,
                };
            ProjectRow {
                project: p,
                reported: fact.is_some(),
                started,
                started_on,
                investment,
                completion: investment
                    .zip(project.planned_investment.filter(|t| *t > 0.0))
                    .map(|(a, t)| a / t),
                on_time,
                overdue,
                blocker: fact.and_then(|f| f.blocker.clone()),
                warning: overdue.then_some(Warning::Red),
            }
        })
        .collect();
    let rollup = rollup(plan, &rows)?;
    let mut blockers: Vec<(Blocker, Vec<ProjectId>)> = Vec::new();
    for b in Blocker::ALL {
        let projects: Vec<ProjectId> = rows
            .iter_enumerated()
            .filter(|(_, r)| {
                r.blocker
                    .as_deref()
                    .is_some_and(|t| blocker_kinds(t).contains(&b))
            })
            .map(|(k, _)| k)
            .collect();
        if !projects.is_empty() {
            blockers.push((b, projects));
        }
    }
    Ok(ProjectSummary {
        rows,
        rollup,
        blockers,
    })
}

/// Counts and investment by kind, and for all projects, with polars.
fn rollup(plan: &Plan, rows: &IdVec<ProjectId, ProjectRow>) -> PolarsResult<Vec<Rollup>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let kind = |r: &ProjectRow| plan.projects[r.project].kind as u32;
    let df = df!(
        "kind" => rows.iter().map(kind).collect::<Vec<_>>(),
        "started" => rows.iter().map(|r| u32::from(r.started == Some(true))).collect::<Vec<_>>(),
        "on_time" => rows.iter().map(|r| u32::from(r.on_time)).collect::<Vec<_>>(),
        "overdue" => rows.iter().map(|r| u32::from(r.overdue)).collect::<Vec<_>>(),
        "planned_investment" => rows.iter().map(|r| plan.projects[r.project].planned_investment).collect::<Vec<_>>(),
        "investment" => rows.iter().map(|r| r.investment).collect::<Vec<_>>(),
    )?
    .lazy();
    let sums = || {
        [
            len().cast(DataType::UInt32).alias("planned"),
            col("started").sum(),
            col("on_time").sum(),
            col("overdue").sum(),
            col("planned_investment").sum(),
            col("investment").sum(),
        ]
    };
    let by_kind = df
        .clone()
        .group_by([col("kind")])
        .agg(sums())
        .sort(["kind"], SortMultipleOptions::default())
        .collect()?;
    let total = df.select(sums()).collect()?;
    // One roll-up per row of `df`, labelled with `kinds`.
    let read = |df: &DataFrame, kinds: Vec<Option<ProjectKind>>| -> PolarsResult<Vec<Rollup>> {
        let count = |name| -> PolarsResult<Vec<u32>> {
            Ok(u32s(df, name)?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect())
        };
        let amount = |name| -> PolarsResult<Vec<f64>> {
            Ok(f64s(df, name)?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect())
        };
        let (planned, started) = (count("planned")?, count("started")?);
        let (on_time, overdue) = (count("on_time")?, count("overdue")?);
        let (budget, spent) = (amount("planned_investment")?, amount("investment")?);
        Ok(kinds
            .into_iter()
            .enumerate()
            .map(|(k, kind)| Rollup {
                kind,
                planned: planned[k],
                started: started[k],
                on_time: on_time[k],
                overdue: overdue[k],
                planned_investment: budget[k],
                investment: spent[k],
                completion: (budget[k] > 0.0).then(|| spent[k] / budget[k]),
            })
            .collect())
    };
    let kinds = u32s(&by_kind, "kind")?
        .into_iter()
        .map(|v| v.and_then(|v| ProjectKind::ALL.get(v as usize).copied()))
        .collect();
    let mut out = read(&by_kind, kinds)?;
    out.extend(read(&total, vec![None])?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocker_texts_sort_into_kinds() {
        assert_eq!(blocker_kinds("用地手续未办结"), vec![Blocker::Land]);
        assert_eq!(
            blocker_kinds("土地预审和环评批复均未取得"),
            vec![Blocker::Land, Blocker::Environment]
        );
        assert_eq!(blocker_kinds("配套资金未到位"), vec![Blocker::Funding]);
        assert_eq!(blocker_kinds("设计方案调整"), vec![Blocker::Other]);
    }
}
