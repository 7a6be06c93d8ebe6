//! The plan's rules (规则) live in the template: each rule a unit must
//! keep becomes a conditional format on its 本年累计 cells, so that while
//! the clerk types, the cells of a rule that does not hold turn orange.
//!
//! The rule's tree is written as an Excel formula in functions every
//! office program has (AND, COUNT, NOT, ABS, MIN, MAX, IF): the same
//! arithmetic, the same percent reading and the same rounding slack as the
//! check (plan::rules::Operator::holds), so the template and `tally check`
//! agree on what is wrong.

use std::collections::HashMap;

use rust_xlsxwriter::utility::row_col_to_cell_absolute;
use rust_xlsxwriter::{ConditionalFormatFormula, Format, Worksheet, XlsxError};

use crate::model::IndicatorId;
use crate::model::issue::a1;
use crate::model::value::{TEMPLATE_FRACTION_MAX, format_plain};
use crate::plan::Plan;
use crate::plan::rules::{BinaryOp, Expr, Operator, Rule};
use crate::xlsx::style::RULE_FILL;

/// The 本年累计 cells of the 报表 sheet, by indicator.
pub(super) struct Cells {
    pub col: u16,
    pub rows: HashMap<IndicatorId, u32>,
}

/// A rule as the template carries it.
pub(super) struct Live<'p> {
    pub rule: &'p Rule,
    /// The condition that is TRUE when the rule does not hold, for Excel;
    /// `None` when the template cannot tell (a previous period's value):
    /// the rule is then checked on receipt. (A rule needing an indicator
    /// not on the sheet is not carried at all, see [`rules_of`].)
    pub violated: Option<String>,
    /// The input cells the rule reads, each once.
    pub cells: Vec<IndicatorId>,
}

/// The rules of unit `u`'s plan, each with its Excel condition.
pub(super) fn rules_of<'p>(plan: &'p Plan, u: crate::model::UnitId, at: &Cells) -> Vec<Live<'p>> {
    // A rule needing a value the unit does not report is never checked for
    // it (the check skips it): not listed on its form either.
    let on_form = |i: IndicatorId| {
        at.rows.contains_key(&i)
            || plan.indicators[i].ratio_of.is_some_and(|r| {
                at.rows.contains_key(&r.numerator) && at.rows.contains_key(&r.denominator)
            })
    };
    plan.rules_for(u)
        .filter(|rule| rule.needs().iter().all(|n| on_form(n.indicator)))
        .map(|rule| {
            let mut cells = Vec::new();
            let sides = [&rule.left.expr, &rule.right.expr].map(|e| excel(plan, e, at, &mut cells));
            let violated = match sides {
                [Some(l), Some(r)] if !cells.is_empty() => {
                    Some(condition(rule, &l, &r, at, &cells))
                }
                _ => None,
            };
            Live {
                rule,
                violated,
                cells,
            }
        })
        .collect()
}

/// `=AND(COUNT(cells)=n,NOT(holds))`: every cell typed as a number, and
/// the rule false. An error (a division by zero) makes the whole condition
/// an error, which office programs read as false: not highlighted, as the
/// check skips it.
fn condition(rule: &Rule, l: &str, r: &str, at: &Cells, cells: &[IndicatorId]) -> String {
    let refs: Vec<String> = cells.iter().map(|i| absolute(at, *i)).collect();
    // The check's allowance for decimal rounding (`value::at_least`): a
    // trillionth. With 1E-9 a value 0.0005 over a million turned nothing
    // orange and the check then refused it.
    let slack = format!("1E-12*MAX(1,ABS({l}),ABS({r}))");
    let tolerance = format_plain(rule.tolerance);
    let holds = match rule.operator {
        Operator::Le => format!("{l}<={r}+{slack}"),
        Operator::Lt => format!("{l}<{r}-{slack}"),
        Operator::Ge => format!("{l}+{slack}>={r}"),
        Operator::Gt => format!("{l}-{slack}>{r}"),
        Operator::Eq => format!("ABS({l}-{r})<={tolerance}+{slack}"),
        Operator::Ne => format!("ABS({l}-{r})>{tolerance}+{slack}"),
    };
    format!(
        "=AND(COUNT({})={},NOT({holds}))",
        refs.join(","),
        refs.len()
    )
}

/// `$F$7`: the same cells wherever the format applies.
fn absolute(at: &Cells, i: IndicatorId) -> String {
    row_col_to_cell_absolute(at.rows[&i], at.col)
}

/// An expression in Excel's words; `None` when it needs a value the sheet
/// does not hold.
fn excel(plan: &Plan, e: &Expr, at: &Cells, cells: &mut Vec<IndicatorId>) -> Option<String> {
    let value = |i: IndicatorId, cells: &mut Vec<IndicatorId>| -> Option<String> {
        if !at.rows.contains_key(&i) {
            return None;
        }
        if !cells.contains(&i) {
            cells.push(i);
        }
        // Read as the check reads a template (`validate::fraction`): its %
        // cells are formatted `0.0%`, so 120% typed is 1.2; only a number
        // over 10 (85 pasted, showing 8500%) is taken for a percentage.
        let r = absolute(at, i);
        Some(if plan.indicators[i].is_percent() {
            let max = format_plain(TEMPLATE_FRACTION_MAX);
            format!("IF(ABS({r})>{max},{r}/100,{r})")
        } else {
            r
        })
    };
    Some(match e {
        Expr::Number(n) => format_plain(*n),
        Expr::Value(i) => match (at.rows.contains_key(i), plan.indicators[*i].ratio_of) {
            // A ratio is not typed: its parts are.
            (false, Some(r)) => {
                let n = value(r.numerator, cells)?;
                let d = value(r.denominator, cells)?;
                format!("({n}/{d})")
            }
            _ => value(*i, cells)?,
        },
        Expr::Prev(_) => return None,
        Expr::Neg(a) => format!("(-{})", excel(plan, a, at, cells)?),
        Expr::Abs(a) => format!("ABS({})", excel(plan, a, at, cells)?),
        Expr::Min(a, b) | Expr::Max(a, b) => {
            let f = if matches!(e, Expr::Min(..)) {
                "MIN"
            } else {
                "MAX"
            };
            let (a, b) = (excel(plan, a, at, cells)?, excel(plan, b, at, cells)?);
            format!("{f}({a},{b})")
        }
        Expr::Binary(op, a, b) => {
            let sym = match op {
                BinaryOp::Add => '+',
                BinaryOp::Sub => '-',
                BinaryOp::Mul => '*',
                BinaryOp::Div => '/',
            };
            let (a, b) = (excel(plan, a, at, cells)?, excel(plan, b, at, cells)?);
            format!("({a}{sym}{b})")
        }
    })
}

/// Adds one conditional format per live rule over its cells.
pub(super) fn add_formats(
    ws: &mut Worksheet,
    at: &Cells,
    rules: &[Live<'_>],
) -> Result<(), XlsxError> {
    let orange = Format::new().set_background_color(RULE_FILL);
    for live in rules {
        let Some(violated) = &live.violated else {
            continue;
        };
        let range: Vec<String> = live
            .cells
            .iter()
            .map(|i| a1(at.rows[i], u32::from(at.col)))
            .collect();
        let first = at.rows[&live.cells[0]];
        let cf = ConditionalFormatFormula::new()
            .set_rule(violated.as_str())
            .set_format(&orange)
            .set_multi_range(range.join(" "));
        ws.add_conditional_format(first, at.col, first, at.col, &cf)?;
    }
    Ok(())
}

/// The sentences to add to each cell's input message: the rules it is in.
pub(super) fn messages(rules: &[Live<'_>]) -> HashMap<IndicatorId, Vec<String>> {
    let mut out: HashMap<IndicatorId, Vec<String>> = HashMap::new();
    for live in rules.iter().filter(|l| l.violated.is_some()) {
        for &i in &live.cells {
            out.entry(i)
                .or_default()
                .push(format!("{}（{}）", live.rule.description, live.rule.id));
        }
    }
    out
}
