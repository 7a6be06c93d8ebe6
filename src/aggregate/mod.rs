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

use polars::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::model::progress;
use crate::model::value::stable;
use crate::model::{
    Aggregation, Direction, Goal, IndicatorId, Period, Profile, Status, TaskKey, Tolerance, UnitId,
    UnitKind, Warning,
};
use crate::plan::{Plan, Target};
use crate::validate::{Fact, ProjectFact};

/// One (unit, indicator) task of the plan with how it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub unit: UnitId,
    pub indicator: IndicatorId,
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
    pub indicator: IndicatorId,
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

impl CountyRow {
    /// The share of the target expected by now (时间进度 for this
    /// indicator); none for a ceiling, which has no progress through the
    /// year.
    pub fn progress(&self, direction: Direction) -> Option<f64> {
        match (self.expected, self.target) {
            (Some(e), Some(t)) if t != 0.0 && direction == Direction::Higher => Some(e / t),
            _ => None,
        }
    }
}

/// A unit's composite score (综合得分) and its place among the units of
/// its kind (CONTRACT.md section 3).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub unit: UnitId,
    pub kind: UnitKind,
    /// Σ weight × task score / Σ weight over the unit's tasks, a task
    /// without a valid value scoring 0; `None` only for a unit without
    /// tasks (or whose tasks all weigh 0), which is not ranked.
    pub score: Option<f64>,
    /// 1 is best among the units of its kind; equal scores share a rank.
    pub rank: Option<u32>,
    /// Units of this kind with a score (what `rank` is out of).
    pub ranked: u32,
    pub tasks_with_data: u32,
    pub tasks: u32,
}

/// Everything the writers need for one period.
#[derive(Debug, Clone)]
pub struct Consolidation {
    pub period: Period,
    pub elapsed: f64,
    /// How far below expected progress is still 正常推进 (section 3): the
    /// pages say it, since every status depends on it.
    pub tolerance: Tolerance,
    pub by_unit: Vec<UnitRow>,
    pub county: Vec<CountyRow>,
    /// One per unit of the plan, in plan order.
    pub scores: Vec<ScoreRow>,
    pub projects: projects::ProjectSummary,
}

/// Why aggregation failed: only polars itself can make it fail.
#[derive(Debug, thiserror::Error)]
#[error("汇总计算出错")]
pub struct AggregateError(#[from] PolarsError);

/// The inputs of the queries as polars frames: the valid values, the
/// plan's unit tasks, and the values again under the names a ratio's
/// numerator and denominator are joined by.
struct Frames {
    facts: LazyFrame,
    tasks: LazyFrame,
    numerators: LazyFrame,
    denominators: LazyFrame,
}

impl Frames {
    fn new(plan: &Plan, facts: &[Fact], unit_tasks: &[&Target]) -> PolarsResult<Frames> {
        let facts_df = df!(
            "u" => facts.iter().map(|f| f.unit.as_u32()).collect::<Vec<_>>(),
            "i" => facts.iter().map(|f| f.indicator.as_u32()).collect::<Vec<_>>(),
            "value" => facts.iter().map(|f| f.value).collect::<Vec<_>>(),
        )?
        .lazy();
        let ratio = |t: &&Target| plan.indicators[t.indicator].ratio_of;
        let unit = |t: &&Target| t.unit.map_or(0, UnitId::as_u32);
        let tasks = df!(
            "u" => unit_tasks.iter().map(unit).collect::<Vec<_>>(),
            "i" => unit_tasks.iter().map(|t| t.indicator.as_u32()).collect::<Vec<_>>(),
            "target" => unit_tasks.iter().map(|t| t.goal.target).collect::<Vec<_>>(),
            "lower" => unit_tasks.iter().map(|t| t.goal.direction == Direction::Lower).collect::<Vec<_>>(),
            "weight" => unit_tasks.iter().map(|t| plan.indicators[t.indicator].weight).collect::<Vec<_>>(),
            "num" => unit_tasks.iter().map(|t| ratio(t).map(|r| r.numerator.as_u32())).collect::<Vec<_>>(),
            "den" => unit_tasks.iter().map(|t| ratio(t).map(|r| r.denominator.as_u32())).collect::<Vec<_>>(),
        )?
        .lazy();
        let numerators =
            facts_df
                .clone()
                .select([col("u"), col("i").alias("num"), col("value").alias("nv")]);
        let denominators =
            facts_df
                .clone()
                .select([col("u"), col("i").alias("den"), col("value").alias("dv")]);
        Ok(Frames {
            facts: facts_df,
            tasks,
            numerators,
            denominators,
        })
    }
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
    tolerance: Tolerance,
    previous: &HashMap<TaskKey, Warning>,
) -> Result<Consolidation, AggregateError> {
    let elapsed = period.elapsed();
    let unit_tasks: Vec<&Target> = plan.targets.iter().filter(|t| t.unit.is_some()).collect();
    let frames = Frames::new(plan, facts, &unit_tasks)?;
    let tasks = task_table(&frames)?.cache();
    let scores = score_table(tasks.clone(), units_frame(plan)?)?;
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
    let county = county_rows(plan, &frames, &tasks, &by_unit, elapsed, tolerance)?;
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

/// One row per unit task with its actual (its own value, or for a ratio
/// the unit's numerator over its denominator: none without both, or with a
/// zero denominator), completion, rank within its indicator, and its part
/// of the composite score.
fn task_table(frames: &Frames) -> PolarsResult<LazyFrame> {
    let left = || JoinArgs::new(JoinType::Left);
    let by_keys = |a: &str, b: &str| [col(a), col(b)];
    Ok(frames
        .tasks
        .clone()
        .join(
            frames.facts.clone(),
            by_keys("u", "i"),
            by_keys("u", "i"),
            left(),
        )
        .join(
            frames.numerators.clone(),
            by_keys("u", "num"),
            by_keys("u", "num"),
            left(),
        )
        .join(
            frames.denominators.clone(),
            by_keys("u", "den"),
            by_keys("u", "den"),
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
        .with_columns([rank_in_indicator()?, score_part()])
        .sort(["u", "i"], SortMultipleOptions::default()))
}

/// Rank within each indicator: by completion, best first; for a ceiling
/// (lower), by the actual value, smallest first.
fn rank_in_indicator() -> PolarsResult<Expr> {
    // Rounded first: 0.2475 / 1.1 and 0.45 / 2 are both 22.5%, however
    // binary arithmetic leaves their last bits, and must tie.
    Ok(when(col("lower"))
        .then(col("actual"))
        .otherwise(-col("completion"))
        .round(12, RoundMode::HalfToEven)
        .rank(
            RankOptions {
                method: RankMethod::Min,
                descending: false,
            },
            None,
        )
        .over([col("i")])?
        .cast(DataType::UInt32)
        .alias("rank"))
}

/// A task's part of the composite score: min(completion, 1), or within 1 /
/// breach 0 for a ceiling; none without a value.
fn score_part() -> Expr {
    when(col("actual").is_null())
        .then(lit(NULL))
        .when(col("lower"))
        .then(when(within_ceiling()).then(lit(1.0)).otherwise(lit(0.0)))
        .otherwise(
            when(col("completion").gt(lit(1.0)))
                .then(lit(1.0))
                .otherwise(col("completion")),
        )
        .alias("part")
}

/// `actual ≤ target` as decimal numbers, as [`progress::status_at`]
/// judges a ceiling (`value::at_most`): a rate of exactly 60% against a
/// 60% ceiling is within it, though its parts divide to 0.6000000000000001.
fn within_ceiling() -> Expr {
    // Both are at least 0 (a plan refuses a negative target, a check a
    // negative value), so no `abs`.
    let (a, t) = (col("actual"), col("target"));
    let larger = when(a.clone().gt(t.clone())).then(a).otherwise(t);
    let scale = when(larger.clone().gt(lit(1.0)))
        .then(larger)
        .otherwise(lit(1.0));
    col("actual").lt_eq(col("target") + lit(1e-12) * scale)
}

/// One row per unit of the plan: its id and its kind (0 township, 1
/// department), for ranking within kinds.
fn units_frame(plan: &Plan) -> PolarsResult<LazyFrame> {
    Ok(df!(
        "u" => plan.units.ids().map(UnitId::as_u32).collect::<Vec<_>>(),
        "kind" => plan.units.iter().map(|u| u.kind as u32).collect::<Vec<_>>(),
    )?
    .lazy())
}

/// Per unit of the plan: the weighted score over its tasks (a task
/// without a valid value scores 0), how many tasks it has and how many with
/// data, its rank within its kind and how many of its kind are ranked.
fn score_table(tasks: LazyFrame, units: LazyFrame) -> PolarsResult<DataFrame> {
    // A `higher` task with target 0 has nothing to complete: not a task.
    let counted = tasks
        .filter(col("lower").or(col("target").neq(lit(0.0))))
        .group_by([col("u")])
        .agg([
            when(col("weight").sum().gt(lit(0.0)))
                .then((col("part").fill_null(lit(0.0)) * col("weight")).sum() / col("weight").sum())
                .otherwise(lit(NULL))
                .alias("score"),
            col("part").count().alias("with_data"),
            len().alias("tasks"),
        ]);
    let by_kind = |e: Expr| e.over([col("kind")]);
    units
        .join(
            counted,
            [col("u")],
            [col("u")],
            JoinArgs::new(JoinType::Left),
        )
        // Every unit of the plan is ranked (CONTRACT.md 3): one without a
        // task of weight above 0 has done none, and scores 0 like one that
        // sent nothing. Rounded before ranking: equal scores must tie,
        // whatever order polars added them in (see `stable`).
        .with_column(
            col("score")
                .fill_null(lit(0.0))
                .round(12, RoundMode::HalfToEven),
        )
        .with_columns([
            by_kind(col("score").rank(
                RankOptions {
                    method: RankMethod::Min,
                    descending: true,
                },
                None,
            ))?
            .cast(DataType::UInt32)
            .alias("score_rank"),
            by_kind(col("score").count())?
                .cast(DataType::UInt32)
                .alias("ranked"),
        ])
        .sort(["u"], SortMultipleOptions::default())
        .collect()
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
    unit_tasks: &[&Target],
    df: &DataFrame,
    period: Period,
    tolerance: Tolerance,
    previous: &HashMap<TaskKey, Warning>,
) -> PolarsResult<Vec<UnitRow>> {
    let elapsed = period.elapsed();
    let notes: HashMap<TaskKey, &str> = facts
        .iter()
        .filter_map(|f| Some(((f.unit, f.indicator), f.note.as_deref()?)))
        .collect();
    let goals: HashMap<TaskKey, &Goal> = unit_tasks
        .iter()
        .filter_map(|t| Some(((t.unit?, t.indicator), &t.goal)))
        .collect();
    let (u, i) = (u32s(df, "u")?, u32s(df, "i")?);
    let (actual, completion, rank) = (
        f64s(df, "actual")?,
        f64s(df, "completion")?,
        u32s(df, "rank")?,
    );
    let mut rows = Vec::with_capacity(df.height());
    for k in 0..df.height() {
        let unit = UnitId::from_u32(u[k].unwrap_or(0));
        let ind = IndicatorId::from_u32(i[k].unwrap_or(0));
        let goal = goals[&(unit, ind)];
        let expected = goal.expected(elapsed);
        let status = progress::status(goal, actual[k], elapsed, tolerance);
        let note = match plan.indicators[ind].ratio_of {
            Some(r) => notes
                .get(&(unit, r.numerator))
                .or(notes.get(&(unit, r.denominator))),
            None => notes.get(&(unit, ind)),
        };
        // Figures worked out here are kept to 12 significant digits (see
        // `stable`): a data file shows a completion of 0.225, not
        // 0.22499999999999998, and a variance of 0, not 1.1e-16. A typed
        // value is kept as typed; a ratio is worked out.
        let actual = if plan.indicators[ind].ratio_of.is_some() {
            actual[k].map(stable)
        } else {
            actual[k]
        };
        rows.push(UnitRow {
            unit,
            indicator: ind,
            target: goal.target,
            actual,
            completion: completion[k].map(stable),
            expected: stable(expected),
            variance: actual.map(|a| stable(stable(a) - stable(expected))),
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

/// A query's columns per indicator: column name → (indicator → value).
struct ByIndicator(HashMap<String, HashMap<IndicatorId, f64>>);

impl ByIndicator {
    /// Reads `names` from a frame keyed by its `i` column.
    fn read(df: &DataFrame, names: &[&str]) -> PolarsResult<ByIndicator> {
        let keys = u32s(df, "i")?;
        let mut out = HashMap::default();
        for name in names {
            let values = f64s(df, name)?;
            let column: HashMap<IndicatorId, f64> = keys
                .iter()
                .zip(values)
                .filter_map(|(k, v)| Some((IndicatorId::from_u32((*k)?), stable(v?))))
                .collect();
            out.insert(name.to_string(), column);
        }
        Ok(ByIndicator(out))
    }

    fn get(&self, name: &str, i: IndicatorId) -> Option<f64> {
        self.0.get(name)?.get(&i).copied()
    }
}

/// The county's statistics per indicator: the facts of every unit, the
/// unit targets, and the ratio parts over units that have both.
fn county_stats(plan: &Plan, frames: &Frames, tasks: &DataFrame) -> PolarsResult<ByIndicator> {
    let facts = frames
        .facts
        .clone()
        .group_by([col("i")])
        .agg([
            col("value").sum().alias("sum"),
            col("value").mean().alias("mean"),
            col("value").max().alias("max"),
            col("value").min().alias("min"),
            col("value").count().alias("n"),
        ])
        .collect()?;
    let targets = tasks
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
    let ratios: Vec<(IndicatorId, crate::plan::Ratio)> = plan
        .indicators
        .iter_enumerated()
        .filter_map(|(i, ind)| Some((i, ind.ratio_of?)))
        .collect();
    let ratios = df!(
        "i" => ratios.iter().map(|r| r.0.as_u32()).collect::<Vec<_>>(),
        "num" => ratios.iter().map(|r| r.1.numerator.as_u32()).collect::<Vec<_>>(),
        "den" => ratios.iter().map(|r| r.1.denominator.as_u32()).collect::<Vec<_>>(),
    )?
    .lazy()
    .join(
        frames.numerators.clone(),
        [col("num")],
        [col("num")],
        JoinArgs::new(JoinType::Inner),
    )
    .join(
        frames.denominators.clone(),
        [col("u"), col("den")],
        [col("u"), col("den")],
        JoinArgs::new(JoinType::Inner),
    )
    .group_by([col("i")])
    .agg([
        col("nv").sum().alias("nv"),
        col("dv").sum().alias("dv"),
        len().alias("r_n"),
    ])
    .collect()?;
    let mut stats = ByIndicator::read(&facts, &["sum", "mean", "max", "min", "n"])?;
    stats
        .0
        .extend(ByIndicator::read(&targets, &["t_sum", "t_mean", "t_max", "t_min", "planned"])?.0);
    stats
        .0
        .extend(ByIndicator::read(&ratios, &["nv", "dv", "r_n"])?.0);
    Ok(stats)
}

/// `agg` over the values of `v`, for the county's expected value from the
/// units' (none when no unit has the task).
fn combine(agg: Aggregation, v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    Some(match agg {
        Aggregation::Sum => v.iter().sum(),
        Aggregation::Max => v.iter().copied().fold(f64::MIN, f64::max),
        Aggregation::Min => v.iter().copied().fold(f64::MAX, f64::min),
        Aggregation::Mean | Aggregation::Ratio => v.iter().sum::<f64>() / v.len() as f64,
    })
}

fn county_rows(
    plan: &Plan,
    frames: &Frames,
    tasks: &DataFrame,
    by_unit: &[UnitRow],
    elapsed: f64,
    tolerance: Tolerance,
) -> PolarsResult<Vec<CountyRow>> {
    let stats = county_stats(plan, frames, tasks)?;
    // Unit expected values per indicator, for the county's expected when
    // there is no 全县 row.
    let mut unit_expected: HashMap<IndicatorId, Vec<f64>> = HashMap::default();
    for r in by_unit {
        unit_expected
            .entry(r.indicator)
            .or_default()
            .push(r.expected);
    }
    let rows = plan
        .indicators
        .iter_enumerated()
        .map(|(i, ind)| {
            let get = |name: &str| stats.get(name, i);
            let (actual, reporting) = match ind.aggregation {
                Aggregation::Sum => (get("sum"), get("n")),
                Aggregation::Mean => (get("mean"), get("n")),
                Aggregation::Max => (get("max"), get("n")),
                Aggregation::Min => (get("min"), get("n")),
                Aggregation::Ratio => (
                    get("nv")
                        .zip(get("dv"))
                        .filter(|(_, d)| *d > 0.0)
                        .map(|(n, d)| n / d),
                    get("r_n"),
                ),
            };
            let county_goal = plan.target(None, i).map(|t| &t.goal);
            let target = match county_goal {
                Some(g) => Some(g.target),
                None => match ind.aggregation {
                    Aggregation::Sum => get("t_sum"),
                    Aggregation::Ratio | Aggregation::Mean => get("t_mean"),
                    Aggregation::Max => get("t_max"),
                    Aggregation::Min => get("t_min"),
                },
            };
            let expected = match county_goal {
                Some(g) => Some(g.expected(elapsed)),
                // A ratio expects its target; the others combine the units'.
                None if ind.aggregation == Aggregation::Ratio => target,
                None => unit_expected
                    .get(&i)
                    .and_then(|v| combine(ind.aggregation, v)),
            };
            let status = target
                .zip(expected)
                .map(|(t, e)| progress::status_at(ind.direction, t, e, actual, tolerance));
            // Kept to 12 significant digits, as the units' rows.
            let (actual, expected) = (actual.map(stable), expected.map(stable));
            CountyRow {
                indicator: i,
                target,
                actual,
                completion: match (actual, target) {
                    (Some(a), Some(t)) if t != 0.0 => Some(stable(a / t)),
                    _ => None,
                },
                expected,
                variance: actual.zip(expected).map(|(a, e)| stable(a - e)),
                status,
                units_reporting: reporting.unwrap_or(0.0) as u32,
                units_planned: get("planned").unwrap_or(0.0) as u32,
            }
        })
        .collect();
    Ok(rows)
}

fn score_rows(plan: &Plan, df: &DataFrame) -> PolarsResult<Vec<ScoreRow>> {
    let (u, score, rank) = (u32s(df, "u")?, f64s(df, "score")?, u32s(df, "score_rank")?);
    let (with_data, tasks, ranked) = (
        u32s(df, "with_data")?,
        u32s(df, "tasks")?,
        u32s(df, "ranked")?,
    );
    Ok((0..df.height())
        .map(|k| {
            let unit = UnitId::from_u32(u[k].unwrap_or(0));
            ScoreRow {
                unit,
                kind: plan.units[unit].kind,
                score: score[k],
                rank: rank[k],
                ranked: ranked[k].unwrap_or(0),
                tasks_with_data: with_data[k].unwrap_or(0),
                tasks: tasks[k].unwrap_or(0),
            }
        })
        .collect())
}
