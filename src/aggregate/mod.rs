//! County totals, completion, ranking and the composite score, with polars
//! (CONTRACT.md sections 3, 4 and 7).
//!
//! Takes the plan and the valid facts of a check and returns plain rows for
//! the writers: one per (unit, indicator) of the plan, one per indicator for
//! the county, one per unit for the composite score (综合得分). Joins, group
//! aggregations and ranks run as polars lazy queries; the expected-progress
//! and status rules stay in [`crate::progress`], the one place they live.
//! Key projects have their own room, [`projects`].

pub mod projects;

use std::collections::HashMap;

use polars::prelude::*;
use serde::Serialize;

use crate::period::Period;
use crate::plan::{Aggregation, Direction, Plan, Profile};
use crate::progress::{self, Goal, Status};
use crate::validate::{Fact, ProjectFact};

/// The escalation colour of a task (section 7, single period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    Blue,
    Yellow,
    Red,
}

impl Warning {
    pub fn code(self) -> &'static str {
        match self {
            Warning::Blue => "blue",
            Warning::Yellow => "yellow",
            Warning::Red => "red",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Warning::Blue => "蓝色",
            Warning::Yellow => "黄色",
            Warning::Red => "红色",
        }
    }
}

/// One (unit, indicator) task of the plan with how it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub unit: usize,
    pub indicator: usize,
    pub target: f64,
    pub actual: Option<f64>,
    pub completion: Option<f64>,
    pub expected: f64,
    pub variance: Option<f64>,
    pub status: Status,
    pub warning: Option<Warning>,
    /// 1 is best among the units with a value for the indicator.
    pub rank: Option<u32>,
    /// The unit's note on the row (备注 / 滞后原因).
    pub note: Option<String>,
}

/// One indicator for the whole county.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyRow {
    pub indicator: usize,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub completion: Option<f64>,
    pub expected: Option<f64>,
    pub variance: Option<f64>,
    /// `None` for an indicator without any target (a ratio's parts).
    pub status: Option<Status>,
    /// Units with a valid value (for a ratio: with both parts).
    pub units_reporting: u32,
    /// Units with a target for the indicator.
    pub units_planned: u32,
}

/// A unit's composite score (综合得分) and its place.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub unit: usize,
    /// Weighted mean of min(completion, 1) (`higher`) and 1/0
    /// (`lower`: within/breach) over its tasks with data; `None` without data.
    pub score: Option<f64>,
    pub rank: Option<u32>,
    pub tasks_with_data: u32,
    pub tasks: u32,
}

/// Everything the writers need for one period.
#[derive(Debug, Clone)]
pub struct Consolidation {
    pub period: Period,
    pub elapsed: f64,
    pub tolerance: f64,
    pub by_unit: Vec<UnitRow>,
    pub county: Vec<CountyRow>,
    pub scores: Vec<ScoreRow>,
    pub projects: projects::ProjectSummary,
}

/// Why aggregation failed: only polars itself can make it fail.
#[derive(Debug, thiserror::Error)]
#[error("汇总计算出错：{0}")]
pub struct AggregateError(#[from] PolarsError);

fn idx(v: usize) -> u32 {
    u32::try_from(v).expect("fewer than 4 billion units and indicators")
}

/// Consolidates the facts and reported projects of one period.
///
/// # Errors
///
/// [`AggregateError`] when a polars query fails, which valid inputs never
/// cause.
pub fn consolidate(
    plan: &Plan,
    facts: &[Fact],
    project_facts: &[ProjectFact],
    period: Period,
    tolerance: f64,
    previous: &HashMap<(usize, usize), Warning>,
) -> Result<Consolidation, AggregateError> {
    let elapsed = period.elapsed();
    let unit_tasks: Vec<_> = plan.targets.iter().filter(|t| t.unit.is_some()).collect();

    let facts_df = df!(
        "u" => facts.iter().map(|f| idx(f.unit)).collect::<Vec<_>>(),
        "i" => facts.iter().map(|f| idx(f.indicator)).collect::<Vec<_>>(),
        "value" => facts.iter().map(|f| f.value).collect::<Vec<_>>(),
    )?
    .lazy();
    let part = |k: usize| -> Vec<Option<u32>> {
        unit_tasks
            .iter()
            .map(|t| {
                plan.indicators[t.indicator]
                    .ratio_of
                    .map(|p| idx(if k == 0 { p.0 } else { p.1 }))
            })
            .collect()
    };
    let tasks_df = df!(
        "u" => unit_tasks.iter().map(|t| idx(t.unit.unwrap_or(0))).collect::<Vec<_>>(),
        "i" => unit_tasks.iter().map(|t| idx(t.indicator)).collect::<Vec<_>>(),
        "target" => unit_tasks.iter().map(|t| t.goal.target).collect::<Vec<_>>(),
        "lower" => unit_tasks.iter().map(|t| t.goal.direction == Direction::Lower).collect::<Vec<_>>(),
        "weight" => unit_tasks.iter().map(|t| plan.indicators[t.indicator].weight).collect::<Vec<_>>(),
        "num" => part(0),
        "den" => part(1),
    )?
    .lazy();

    let left = || JoinArgs::new(JoinType::Left);
    let numerators =
        facts_df
            .clone()
            .select([col("u"), col("i").alias("num"), col("value").alias("nv")]);
    let denominators =
        facts_df
            .clone()
            .select([col("u"), col("i").alias("den"), col("value").alias("dv")]);
    // A task's actual: its own value, or for a ratio the unit's numerator
    // over its denominator (none without both, or with a zero denominator).
    let tasks = tasks_df
        .join(
            facts_df.clone(),
            [col("u"), col("i")],
            [col("u"), col("i")],
            left(),
        )
        .join(
            numerators.clone(),
            [col("u"), col("num")],
            [col("u"), col("num")],
            left(),
        )
        .join(
            denominators.clone(),
            [col("u"), col("den")],
            [col("u"), col("den")],
            left(),
        )
        .with_column(
            when(col("num").is_not_null())
                .then(
                    when(col("dv").gt(lit(0.0)))
                        .then(col("nv") / col("dv"))
                        .otherwise(lit(NULL)),
                )
                .otherwise(col("value"))
                .alias("actual"),
        )
        .with_column(
            when(col("target").neq(lit(0.0)))
                .then(col("actual") / col("target"))
                .otherwise(lit(NULL))
                .alias("completion"),
        )
        .with_columns([
            // Rank within each indicator: by completion, best first; for a
            // ceiling (lower), by the actual value, smallest first.
            when(col("lower"))
                .then(col("actual"))
                .otherwise(-col("completion"))
                .rank(
                    RankOptions {
                        method: RankMethod::Min,
                        descending: false,
                    },
                    None,
                )
                .over([col("i")])?
                .cast(DataType::UInt32)
                .alias("rank"),
            // The composite score's part: min(completion, 1), or within 1 /
            // breach 0 for a ceiling.
            when(col("actual").is_null())
                .then(lit(NULL))
                .when(col("lower"))
                .then(
                    when(col("actual").lt_eq(col("target")))
                        .then(lit(1.0))
                        .otherwise(lit(0.0)),
                )
                .otherwise(
                    when(col("completion").gt(lit(1.0)))
                        .then(lit(1.0))
                        .otherwise(col("completion")),
                )
                .alias("part"),
        ])
        .sort(["u", "i"], SortMultipleOptions::default())
        .cache();

    let scores = tasks
        .clone()
        .group_by([col("u")])
        .agg([
            when(col("part").count().gt(lit(0)))
                .then(
                    (col("part") * col("weight")).sum()
                        / col("weight").filter(col("part").is_not_null()).sum(),
                )
                .otherwise(lit(NULL))
                .alias("score"),
            col("part").count().alias("with_data"),
            len().alias("tasks"),
        ])
        .with_column(
            col("score")
                .rank(
                    RankOptions {
                        method: RankMethod::Min,
                        descending: true,
                    },
                    None,
                )
                .cast(DataType::UInt32)
                .alias("score_rank"),
        )
        .collect()?;

    let tasks = tasks.collect()?;
    let by_unit = unit_rows(
        plan,
        facts,
        &unit_tasks,
        &tasks,
        period,
        tolerance,
        previous,
    )?;

    // County: the facts of every unit per indicator, the unit targets per
    // indicator, and the ratio parts over units that have both.
    let fact_stats = facts_df
        .group_by([col("i")])
        .agg([
            col("value").sum().alias("sum"),
            col("value").mean().alias("mean"),
            col("value").max().alias("max"),
            col("value").min().alias("min"),
            col("value").count().alias("n"),
        ])
        .collect()?;
    let target_stats = tasks
        .clone()
        .lazy()
        .group_by([col("i")])
        .agg([
            col("target").sum().alias("t_sum"),
            col("target").mean().alias("t_mean"),
            col("target").max().alias("t_max"),
            col("target").min().alias("t_min"),
            len().alias("planned"),
        ])
        .collect()?;
    let ratios: Vec<(u32, u32, u32)> = plan
        .indicators
        .iter()
        .enumerate()
        .filter_map(|(i, ind)| ind.ratio_of.map(|(n, d)| (idx(i), idx(n), idx(d))))
        .collect();
    let ratio_stats = df!(
        "i" => ratios.iter().map(|r| r.0).collect::<Vec<_>>(),
        "num" => ratios.iter().map(|r| r.1).collect::<Vec<_>>(),
        "den" => ratios.iter().map(|r| r.2).collect::<Vec<_>>(),
    )?
    .lazy()
    .join(
        numerators,
        [col("num")],
        [col("num")],
        JoinArgs::new(JoinType::Inner),
    )
    .join(
        denominators,
        [col("u"), col("den")],
        [col("u"), col("den")],
        JoinArgs::new(JoinType::Inner),
    )
    .group_by([col("i")])
    .agg([
        col("nv").sum().alias("nv"),
        col("dv").sum().alias("dv"),
        len().alias("n"),
    ])
    .collect()?;

    let county = county_rows(
        plan,
        &fact_stats,
        &target_stats,
        &ratio_stats,
        &by_unit,
        elapsed,
        tolerance,
    )?;
    let scores = score_rows(plan, &scores)?;
    Ok(Consolidation {
        period,
        elapsed,
        tolerance,
        by_unit,
        county,
        scores,
        projects: projects::summarize(plan, project_facts, period)?,
    })
}

pub(super) fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    let ca = c.f64()?;
    Ok((0..ca.len()).map(|k| ca.get(k)).collect())
}

pub(super) fn u32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u32>>> {
    let c = df.column(name)?.cast(&DataType::UInt32)?;
    let ca = c.u32()?;
    Ok((0..ca.len()).map(|k| ca.get(k)).collect())
}

fn unit_rows(
    plan: &Plan,
    facts: &[Fact],
    unit_tasks: &[&crate::plan::Target],
    df: &DataFrame,
    period: Period,
    tolerance: f64,
    previous: &HashMap<(usize, usize), Warning>,
) -> PolarsResult<Vec<UnitRow>> {
    let elapsed = period.elapsed();
    let notes: HashMap<(usize, usize), &str> = facts
        .iter()
        .filter_map(|f| Some(((f.unit, f.indicator), f.note.as_deref()?)))
        .collect();
    let goals: HashMap<(usize, usize), &Goal> = unit_tasks
        .iter()
        .map(|t| ((t.unit.unwrap_or(0), t.indicator), &t.goal))
        .collect();
    let (u, i) = (u32s(df, "u")?, u32s(df, "i")?);
    let (actual, completion, rank) = (
        f64s(df, "actual")?,
        f64s(df, "completion")?,
        u32s(df, "rank")?,
    );
    let mut rows = Vec::with_capacity(df.height());
    for k in 0..df.height() {
        let (unit, ind) = (u[k].unwrap_or(0) as usize, i[k].unwrap_or(0) as usize);
        let goal = goals[&(unit, ind)];
        let expected = goal.expected(elapsed);
        let status = progress::status(goal, actual[k], elapsed, tolerance);
        let note = match plan.indicators[ind].ratio_of {
            Some((n, d)) => notes.get(&(unit, n)).or(notes.get(&(unit, d))),
            None => notes.get(&(unit, ind)),
        };
        rows.push(UnitRow {
            unit,
            indicator: ind,
            target: goal.target,
            actual: actual[k],
            completion: completion[k],
            expected,
            variance: actual[k].map(|a| a - expected),
            status,
            warning: warning(goal, status, period, previous.get(&(unit, ind)).copied()),
            rank: rank[k],
            note: note.map(|s| s.to_string()),
        });
    }
    Ok(rows)
}

/// Section 7: a task behind is blue the first period, yellow when it was
/// already behind last period or is behind after its deadline, red when it
/// was yellow (or red) and is still behind; a breach is always red; a task
/// no longer behind has no warning. `previous` is the task's warning in the
/// previous stored period of the year.
pub fn warning(
    goal: &Goal,
    status: Status,
    period: Period,
    previous: Option<Warning>,
) -> Option<Warning> {
    let overdue =
        goal.profile == Profile::Deadline && goal.deadline.is_some_and(|d| d < period.end_date());
    match status {
        Status::Breach => Some(Warning::Red),
        Status::Behind => Some(match previous {
            Some(Warning::Yellow | Warning::Red) => Warning::Red,
            Some(Warning::Blue) => Warning::Yellow,
            None if overdue => Warning::Yellow,
            None => Warning::Blue,
        }),
        _ => None,
    }
}

/// Looks up a column's value per indicator index.
fn by_indicator(df: &DataFrame, name: &str) -> PolarsResult<HashMap<usize, Option<f64>>> {
    let keys = u32s(df, "i")?;
    let values = f64s(df, name)?;
    Ok(keys
        .into_iter()
        .zip(values)
        .filter_map(|(k, v)| Some((k? as usize, v)))
        .collect())
}

fn county_rows(
    plan: &Plan,
    facts: &DataFrame,
    targets: &DataFrame,
    ratios: &DataFrame,
    by_unit: &[UnitRow],
    elapsed: f64,
    tolerance: f64,
) -> PolarsResult<Vec<CountyRow>> {
    let get = |df: &DataFrame, name: &str| by_indicator(df, name);
    let (sum, mean, max, min, n) = (
        get(facts, "sum")?,
        get(facts, "mean")?,
        get(facts, "max")?,
        get(facts, "min")?,
        get(facts, "n")?,
    );
    let (t_sum, t_mean, t_max, t_min, planned) = (
        get(targets, "t_sum")?,
        get(targets, "t_mean")?,
        get(targets, "t_max")?,
        get(targets, "t_min")?,
        get(targets, "planned")?,
    );
    let (r_num, r_den, r_n) = (get(ratios, "nv")?, get(ratios, "dv")?, get(ratios, "n")?);
    let flat = |m: &HashMap<usize, Option<f64>>, i: usize| m.get(&i).copied().flatten();
    // Unit expected values per indicator, for the county's expected when
    // there is no 全县 row.
    let mut unit_expected: HashMap<usize, Vec<f64>> = HashMap::new();
    for r in by_unit {
        unit_expected
            .entry(r.indicator)
            .or_default()
            .push(r.expected);
    }
    let fold = |agg: Aggregation, v: &[f64]| -> Option<f64> {
        if v.is_empty() {
            return None;
        }
        Some(match agg {
            Aggregation::Sum => v.iter().sum(),
            Aggregation::Max => v.iter().copied().fold(f64::MIN, f64::max),
            Aggregation::Min => v.iter().copied().fold(f64::MAX, f64::min),
            Aggregation::Mean | Aggregation::Ratio => v.iter().sum::<f64>() / v.len() as f64,
        })
    };
    let mut rows = Vec::with_capacity(plan.indicators.len());
    for (i, ind) in plan.indicators.iter().enumerate() {
        let (actual, reporting) = match ind.aggregation {
            Aggregation::Sum => (flat(&sum, i), flat(&n, i)),
            Aggregation::Mean => (flat(&mean, i), flat(&n, i)),
            Aggregation::Max => (flat(&max, i), flat(&n, i)),
            Aggregation::Min => (flat(&min, i), flat(&n, i)),
            Aggregation::Ratio => (
                match (flat(&r_num, i), flat(&r_den, i)) {
                    (Some(nv), Some(dv)) if dv > 0.0 => Some(nv / dv),
                    _ => None,
                },
                flat(&r_n, i),
            ),
        };
        let county_goal = plan.target(None, i).map(|t| &t.goal);
        let target = match county_goal {
            Some(g) => Some(g.target),
            None => match ind.aggregation {
                Aggregation::Sum => flat(&t_sum, i),
                Aggregation::Ratio | Aggregation::Mean => flat(&t_mean, i),
                Aggregation::Max => flat(&t_max, i),
                Aggregation::Min => flat(&t_min, i),
            },
        };
        let expected = match county_goal {
            Some(g) => Some(g.expected(elapsed)),
            // A ratio expects its target; the others combine the units'.
            None if ind.aggregation == Aggregation::Ratio => target,
            None => unit_expected.get(&i).and_then(|v| fold(ind.aggregation, v)),
        };
        let status = match (target, expected) {
            (Some(t), Some(e)) => Some(progress::status_at(ind.direction, t, e, actual, tolerance)),
            _ => None,
        };
        rows.push(CountyRow {
            indicator: i,
            target,
            actual,
            completion: match (actual, target) {
                (Some(a), Some(t)) if t != 0.0 => Some(a / t),
                _ => None,
            },
            expected,
            variance: actual.zip(expected).map(|(a, e)| a - e),
            status,
            units_reporting: reporting.unwrap_or(0.0) as u32,
            units_planned: flat(&planned, i).unwrap_or(0.0) as u32,
        });
    }
    Ok(rows)
}

fn score_rows(plan: &Plan, df: &DataFrame) -> PolarsResult<Vec<ScoreRow>> {
    let (u, score, rank) = (u32s(df, "u")?, f64s(df, "score")?, u32s(df, "score_rank")?);
    let (with_data, tasks) = (u32s(df, "with_data")?, u32s(df, "tasks")?);
    let mut rows: Vec<ScoreRow> = (0..df.height())
        .map(|k| ScoreRow {
            unit: u[k].unwrap_or(0) as usize,
            score: score[k],
            rank: rank[k],
            tasks_with_data: with_data[k].unwrap_or(0),
            tasks: tasks[k].unwrap_or(0),
        })
        .collect();
    // Units without any task still appear, without a score.
    for unit in 0..plan.units.len() {
        if !rows.iter().any(|r| r.unit == unit) {
            rows.push(ScoreRow {
                unit,
                score: None,
                rank: None,
                tasks_with_data: 0,
                tasks: 0,
            });
        }
    }
    rows.sort_by_key(|r| r.unit);
    Ok(rows)
}
