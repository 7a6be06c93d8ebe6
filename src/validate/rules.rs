//! Checking the bureau's validation rules (CONTRACT.md section 12).
//!
//! The values of every unit become one polars frame, one row per unit and
//! one column per value a rule reads (`v3`: indicator 3 this period, `p3`:
//! last period); each rule's two sides become polars expressions over those
//! columns, and all rules are evaluated in one query. Deciding what holds,
//! and for whom, stays here in plain Rust: scope, skipping a unit that has
//! not validly sent a needed value, tolerance.

use std::collections::BTreeSet;

use polars::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::model::{Id, IndicatorId, Issue, IssueCode, UnitId};
use crate::plan::rules::{BinaryOp, Expr as RuleExpr, Needed, Rule, Scope};
use crate::plan::{Indicator, Plan};

use super::show;

/// Why the rules could not be checked: only polars itself can make it
/// fail.
#[derive(Debug, thiserror::Error)]
#[error("规则计算出错")]
pub struct RuleError(#[from] PolarsError);

/// A rule that does not hold for a unit (`None`: for the county).
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Index into the plan's rules.
    pub rule: usize,
    pub unit: Option<UnitId>,
    pub left: f64,
    pub right: f64,
}

/// What one row of the frame (a unit, or the county) has validly sent.
type Known = HashMap<Needed, f64>;

/// The rules of `scope` (units when `county` is false) that do not hold
/// for each row of `rows`: (the row's unit, its known values).
fn violations(
    plan: &Plan,
    county: bool,
    rows: &[(Option<UnitId>, Known)],
) -> PolarsResult<Vec<Violation>> {
    let rules: Vec<(usize, &Rule)> = plan
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| (r.scope == Scope::County) == county)
        .collect();
    if rules.is_empty() || rows.is_empty() {
        return Ok(Vec::new());
    }
    let needed: BTreeSet<Needed> = rules.iter().flat_map(|(_, r)| r.needs()).collect();
    let columns: Vec<Column> = needed
        .iter()
        .map(|n| {
            let values: Vec<Option<f64>> = rows.iter().map(|(_, k)| k.get(n).copied()).collect();
            Column::new(column_name(*n).into(), values)
        })
        .collect();
    let sides: Vec<Expr> = rules
        .iter()
        .flat_map(|(k, r)| {
            [
                to_polars(&r.left.expr).alias(format!("l{k}")),
                to_polars(&r.right.expr).alias(format!("r{k}")),
            ]
        })
        .collect();
    let frame = DataFrame::new(rows.len(), columns)?
        .lazy()
        .select(sides)
        .collect()?;
    let mut out = Vec::new();
    for (k, rule) in rules {
        let left = frame.column(&format!("l{k}"))?.f64()?;
        let right = frame.column(&format!("r{k}"))?.f64()?;
        let needs = rule.needs();
        for (row, (unit, known)) in rows.iter().enumerate() {
            if unit.is_some_and(|u| !rule.scope.includes(plan, u)) {
                continue;
            }
            // A value not validly sent has its own issue already.
            if !needs.iter().all(|n| known.contains_key(n)) {
                continue;
            }
            // A division by zero for this unit: nothing to compare.
            let (Some(l), Some(r)) = (left.get(row), right.get(row)) else {
                continue;
            };
            if l.is_finite() && r.is_finite() && !rule.holds(l, r) {
                out.push(Violation {
                    rule: k,
                    unit: *unit,
                    left: l,
                    right: r,
                });
            }
        }
    }
    Ok(out)
}

fn column_name(n: Needed) -> String {
    let prefix = if n.previous { 'p' } else { 'v' };
    format!("{prefix}{}", n.indicator.index())
}

/// A missing value, as a float.
fn null() -> Expr {
    lit(NULL).cast(DataType::Float64)
}

/// A rule's expression as a polars expression over the frame's columns.
/// `abs`, `min` and `max` are conditionals, so no extra polars feature is
/// built for them.
fn to_polars(e: &RuleExpr) -> Expr {
    match e {
        RuleExpr::Number(n) => lit(*n),
        RuleExpr::Value(i) => col(column_name(Needed {
            indicator: *i,
            previous: false,
        })),
        RuleExpr::Prev(i) => col(column_name(Needed {
            indicator: *i,
            previous: true,
        })),
        RuleExpr::Neg(a) => lit(0.0) - to_polars(a),
        RuleExpr::Abs(a) => {
            let a = to_polars(a);
            when(a.clone().lt(lit(0.0)))
                .then(lit(0.0) - a.clone())
                .otherwise(a)
        }
        RuleExpr::Min(a, b) | RuleExpr::Max(a, b) => {
            let (a, b) = (to_polars(a), to_polars(b));
            let a_first = if matches!(e, RuleExpr::Min(..)) {
                a.clone().lt_eq(b.clone())
            } else {
                a.clone().gt_eq(b.clone())
            };
            // A side with no value (a division by zero) gives none, as in
            // Expr::eval and as Excel's #DIV/0! does.
            let either_null = a.clone().is_null().or(b.clone().is_null());
            when(either_null)
                .then(null())
                .otherwise(when(a_first).then(a).otherwise(b))
        }
        RuleExpr::Binary(op, a, b) => {
            let (a, b) = (to_polars(a), to_polars(b));
            match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                // Division by zero gives no value (not inf), so that no
                // later min/max or comparison takes it for a number.
                BinaryOp::Div => when(b.clone().eq(lit(0.0))).then(null()).otherwise(a / b),
            }
        }
    }
}

/// The values of a unit, with each ratio indicator computed from its
/// parts as the county's is (section 4), so a rule may name it.
fn with_ratios(plan: &Plan, mut values: HashMap<IndicatorId, f64>) -> HashMap<IndicatorId, f64> {
    for (id, ind) in plan.indicators.iter_enumerated() {
        if let Some(r) = ind.ratio_of
            && let (Some(n), Some(d)) = (values.get(&r.numerator), values.get(&r.denominator))
            && *d != 0.0
        {
            values.insert(id, n / d);
        }
    }
    values
}

/// Each unit's known values: this period's valid values and, with a
/// previous period, its values then.
pub fn unit_values(
    plan: &Plan,
    current: &HashMap<UnitId, HashMap<IndicatorId, f64>>,
    previous: Option<&HashMap<crate::model::TaskKey, f64>>,
) -> Vec<(Option<UnitId>, Known)> {
    let mut prev_by_unit: HashMap<UnitId, HashMap<IndicatorId, f64>> = HashMap::default();
    for (&(u, i), &v) in previous.into_iter().flatten() {
        prev_by_unit.entry(u).or_default().insert(i, v);
    }
    let mut units: Vec<UnitId> = current.keys().copied().collect();
    units.sort();
    units
        .into_iter()
        .map(|u| {
            let now = with_ratios(plan, current[&u].clone());
            let before = with_ratios(plan, prev_by_unit.remove(&u).unwrap_or_default());
            (Some(u), known(now, before))
        })
        .collect()
}

fn known(now: HashMap<IndicatorId, f64>, before: HashMap<IndicatorId, f64>) -> Known {
    let at = |previous| {
        move |(indicator, v)| {
            (
                Needed {
                    indicator,
                    previous,
                },
                v,
            )
        }
    };
    now.into_iter()
        .map(at(false))
        .chain(before.into_iter().map(at(true)))
        .collect()
}

/// The unit-scope rules that do not hold, for every unit at once.
///
/// # Errors
///
/// [`RuleError`], which valid inputs never cause.
pub fn check_units(
    plan: &Plan,
    rows: &[(Option<UnitId>, Known)],
) -> Result<Vec<Violation>, RuleError> {
    Ok(violations(plan, false, rows)?)
}

/// The `全县` rules that do not hold on the county values of section 4
/// (`previous`: the county values of the previous stored period).
///
/// # Errors
///
/// [`RuleError`], which valid inputs never cause.
pub fn check_county(
    plan: &Plan,
    county: HashMap<IndicatorId, f64>,
    previous: HashMap<IndicatorId, f64>,
) -> Result<Vec<Violation>, RuleError> {
    Ok(violations(plan, true, &[(None, known(county, previous))])?)
}

/// The `rule_violated` issues of the `全县` rules on the county values of
/// section 4: no file, no unit, the anchor's code.
///
/// # Errors
///
/// [`RuleError`], which valid inputs never cause.
pub fn county_issues(
    plan: &Plan,
    county: HashMap<IndicatorId, f64>,
    previous: Option<&super::Previous>,
) -> Result<Vec<Issue>, RuleError> {
    let before = previous.map(|p| p.county.clone()).unwrap_or_default();
    Ok(check_county(plan, county, before)?
        .iter()
        .map(|v| {
            let rule = &plan.rules[v.rule];
            Issue {
                indicator_code: rule.anchor().map(|a| plan.indicators[a].code.clone()),
                severity: rule.severity,
                ..Issue::file("", None, IssueCode::RuleViolated, message(plan, v))
            }
        })
        .collect())
}

/// One side of a violated rule as a clerk reads it, by the indicator's
/// name (a clerk knows 特色产业增加值, not NY02): `特色产业增加值（NY02）
/// 本年累计 3200 万元`, `固定资产投资（FA01）上期 1000 万元`, or
/// `FA01 × 0.5 = 1250 万元`. A constant side takes its unit of measure
/// from `other`: `2500 万元`.
fn side(plan: &Plan, e: &RuleExpr, v: f64, county: bool, other: &RuleExpr) -> String {
    let this = if county { "全县" } else { "本年累计" };
    match e {
        RuleExpr::Value(i) => {
            let ind = &plan.indicators[*i];
            format!("{}（{}）{this} {}", ind.name, ind.code, show(ind, v))
        }
        RuleExpr::Prev(i) => {
            let ind = &plan.indicators[*i];
            format!("{}（{}）上期 {}", ind.name, ind.code, show(ind, v))
        }
        RuleExpr::Number(_) => shown(common_uom(plan, other), v),
        _ => format!("{} = {}", e.describe(plan), shown(common_uom(plan, e), v)),
    }
}

/// The indicator whose unit of measure a compound side has: the one all
/// its indicators share, if they do and nothing divides.
fn common_uom<'p>(plan: &'p Plan, e: &RuleExpr) -> Option<&'p Indicator> {
    let mut uom: Option<&Indicator> = None;
    let mut same = true;
    for n in e.needs() {
        let ind = &plan.indicators[n.indicator];
        same &= uom.is_none_or(|u| u.uom == ind.uom);
        uom.get_or_insert(ind);
    }
    uom.filter(|_| same && e.keeps_unit())
}

fn shown(ind: Option<&Indicator>, v: f64) -> String {
    match ind {
        Some(i) => show(i, v),
        None => crate::model::value::format_for_people(v),
    }
}

/// The issue's sentence: the rule's description, both sides' values, and
/// what to do.
pub fn message(plan: &Plan, v: &Violation) -> String {
    let rule = &plan.rules[v.rule];
    let county = v.unit.is_none();
    let (l, r) = (&rule.left.expr, &rule.right.expr);
    let left = side(plan, l, v.left, county, r);
    let right = side(plan, r, v.right, county, l);
    let tolerance = if rule.tolerance > 0.0 {
        format!(
            "（容差 {}）",
            crate::model::value::format_plain(rule.tolerance)
        )
    } else {
        String::new()
    };
    let (whose, what) = if county && !rule.description.contains(crate::plan::COUNTY) {
        ("全县汇总：", "请核对各单位的相关数据")
    } else if county {
        ("", "请核对各单位的相关数据")
    } else {
        ("", "请核对这几项数据，填错的请改正后重新报送")
    };
    format!(
        "{whose}{}：{left}，{right}{tolerance}（规则 {}：{}）；{what}",
        rule.description,
        rule.id,
        rule.formula(plan)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IdVec, Severity, UnitKind};
    use crate::plan::rules::{Operator, Side, parse_expr};
    use crate::plan::{Indicator, Unit};

    fn plan(left: &str, op: &str, right: &str) -> Plan {
        let ind = Indicator::example;
        let unit = Unit {
            name: "清泉镇".into(),
            aliases: vec![],
            kind: UnitKind::Township,
            email: None,
        };
        let plan = Plan::new(
            IdVec::from(vec![unit]),
            IdVec::from(vec![ind("A"), ind("B"), ind("C")]),
            vec![],
        );
        let side = |t: &str| Side {
            text: t.into(),
            expr: parse_expr(t, &plan).unwrap(),
        };
        let rule = Rule {
            id: "R".into(),
            description: "d".into(),
            left: side(left),
            operator: Operator::parse(op).unwrap(),
            right: side(right),
            severity: Severity::Warning,
            scope: Scope::All,
            tolerance: 0.0,
        };
        plan.with_rules(vec![rule])
    }

    /// The violations for one unit with values A, B, C.
    fn broken(plan: &Plan, values: [f64; 3]) -> Vec<(f64, f64)> {
        let current = HashMap::from_iter([(
            UnitId::new(0),
            (0..3)
                .map(|i| (IndicatorId::new(i), values[i]))
                .collect::<HashMap<_, _>>(),
        )]);
        let rows = unit_values(plan, &current, None);
        check_units(plan, &rows)
            .unwrap()
            .into_iter()
            .map(|v| (v.left, v.right))
            .collect()
    }

    #[test]
    fn polars_evaluates_as_the_tree_does() {
        let p = plan("A + B * 2", "<=", "max(C, 10) - abs(-1)");
        // 1 + 2 × 2 = 5 ≤ max(3, 10) − 1 = 9: holds.
        assert!(broken(&p, [1.0, 2.0, 3.0]).is_empty());
        // 5 + 8 = 13 > 9: broken, both sides given.
        assert_eq!(broken(&p, [5.0, 4.0, 3.0]), [(13.0, 9.0)]);
    }

    #[test]
    fn a_division_by_zero_skips_the_rule_even_inside_min_and_max() {
        // min(A / B, C) ≥ 100 with B = 0: no value, not min(inf, 50) = 50.
        let p = plan("min(A / B, C)", ">=", "100");
        assert!(broken(&p, [10.0, 0.0, 50.0]).is_empty());
        // With B = 2: min(5, 50) = 5 < 100.
        assert_eq!(broken(&p, [10.0, 2.0, 50.0]), [(5.0, 100.0)]);
        let p = plan("1 / (A / B)", ">", "1");
        assert!(broken(&p, [10.0, 0.0, 0.0]).is_empty());
    }
}
