//! 分单位: units × indicators completion, the composite score and its rank.

use rust_xlsxwriter::{Color, ConditionalFormat3ColorScale, Workbook, XlsxError};

use crate::aggregate::Consolidation;
use std::collections::HashMap;

use super::MATRIX;
use crate::model::{Direction, Id, IndicatorId, TaskKey};
use crate::plan::Plan;
use crate::xlsx::Sheet;

/// 分单位: units × indicators completion with heat colouring, the
/// composite score and its rank.
pub(super) fn matrix(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, MATRIX, title, false)?;
    let shown: Vec<IndicatorId> = plan
        .indicators
        .ids()
        .filter(|&i| c.by_unit.iter().any(|r| r.indicator == i))
        .collect();
    let mut names: Vec<String> = vec!["单位".into(), "类型".into()];
    names.extend(
        shown
            .iter()
            .map(|&i| format!("{}\n{}", plan.indicators[i].code, plan.indicators[i].name)),
    );
    names.extend(["综合得分".to_string(), "排名".to_string()]);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    s.header_row(0, &refs)?;
    s.ws.set_row_height(0, 45)?;
    s.ws.set_freeze_panes(1, 1)?;
    let completion: HashMap<TaskKey, Option<f64>> = c
        .by_unit
        .iter()
        .map(|r| ((r.unit, r.indicator), r.completion))
        .collect();
    for ((u, unit), row) in plan.units.iter_enumerated().zip(1..) {
        s.text(row, 0, &unit.name)?;
        s.text(row, 1, unit.kind.label())?;
        for (k, &i) in shown.iter().enumerate() {
            let value = completion.get(&(u, i)).copied().flatten();
            s.number(row, k as u16 + 2, value, "0.0%")?;
        }
        // Scores come one per unit, in unit order.
        let score = c.scores.get(u.index());
        let col = shown.len() as u16 + 2;
        s.number(row, col, score.and_then(|r| r.score), "0.0%")?;
        s.number(row, col + 1, score.and_then(|r| r.rank).map(f64::from), "0")?;
    }
    let last = plan.units.len() as u32;
    if last > 0 {
        for (k, &i) in shown.iter().enumerate() {
            let (low, high) = match plan.indicators[i].direction {
                Direction::Higher => (Color::RGB(0xF8696B), Color::RGB(0x63BE7B)),
                Direction::Lower => (Color::RGB(0x63BE7B), Color::RGB(0xF8696B)),
            };
            let scale = ConditionalFormat3ColorScale::new()
                .set_minimum_color(low)
                .set_midpoint_color(Color::RGB(0xFFEB84))
                .set_maximum_color(high);
            let col = k as u16 + 2;
            s.ws.add_conditional_format(1, col, last, col, &scale)?;
        }
    }
    s.finish()
}
