//! 分单位: every unit's completion of each of its tasks, coloured by the
//! task's status against time progress (the palette of the 状态 column,
//! never a unit's place in a column), or by its warning where it has one
//! (behind, over its ceiling), then its composite score and
//! its rank among the units of its kind. Townships first, then
//! departments, each best first.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use rustc_hash::FxHashMap as HashMap;

use super::MATRIX;
use crate::aggregate::{Consolidation, UnitRow};
use crate::model::value::format_plain;
use crate::model::{Id, IndicatorId, Status, TaskKey, UnitId, Warning};
use crate::plan::Plan;
use crate::xlsx::style::{status_color, warning_color};
use crate::xlsx::{Sheet, text};

/// The legend, in the order people read it: the statuses of tasks without
/// a warning, then the warnings (section 7 of the contract), then no data.
const STATUSES: [Status; 3] = [Status::Done, Status::Within, Status::OnTrack];
const WARNINGS: [Warning; 3] = [Warning::Blue, Warning::Yellow, Warning::Red];

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
    names.extend(["综合得分".to_string(), "同类排名".to_string()]);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    s.header_row(0, &refs)?;
    s.ws()?.set_row_height(0, 60)?;
    s.ws()?.set_freeze_panes(1, 1)?;
    let rows: HashMap<TaskKey, &UnitRow> = c
        .by_unit
        .iter()
        .map(|r| ((r.unit, r.indicator), r))
        .collect();
    let score_col = shown.len() as u16 + 2;
    for (row, u) in (1..).zip(ranked_order(plan, c)) {
        let unit = &plan.units[u];
        s.text(row, 0, &unit.name)?;
        s.text(row, 1, unit.kind.label())?;
        for (k, &i) in shown.iter().enumerate() {
            let col = k as u16 + 2;
            match rows.get(&(u, i)) {
                Some(r) => task_cell(&mut s, row, col, r)?,
                None => s.text(row, col, "")?,
            }
        }
        let score = &c.scores[u.index()];
        s.number(row, score_col, score.score, "0.0%")?;
        let rank = score
            .rank
            .map(|r| format!("{r}/{}", score.ranked))
            .unwrap_or_default();
        s.text(row, score_col + 1, &rank)?;
    }
    // Percentages need little room; the headers wrap over three lines.
    for k in 0..shown.len() as u16 {
        s.fit(k + 2, 9.5);
    }
    legend(&mut s, plan, plan.units.len() as u32 + 2, score_col + 1)?;
    s.finish()
}

/// Townships, then departments, each by rank (unranked last), then plan
/// order.
fn ranked_order(plan: &Plan, c: &Consolidation) -> Vec<UnitId> {
    let mut order: Vec<UnitId> = plan.units.ids().collect();
    order.sort_by_key(|&u| {
        let s = &c.scores[u.index()];
        (s.kind, s.rank.unwrap_or(u32::MAX), u)
    });
    order
}

/// A task's completion filled with its status colour, or for a task with
/// a warning (behind, over its ceiling) the warning's: the cells carry no
/// words, and a pale yellow 滞后 read as a yellow warning on a page that
/// counts none. No data says so.
fn task_cell(s: &mut Sheet<'_>, row: u32, col: u16, r: &UnitRow) -> Result<(), XlsxError> {
    let fill = r.warning.map_or(status_color(r.status), warning_color);
    // Printed in black and white, the fills are greys alike: a warned
    // task says its colour in words too (`红 0.0%`).
    let format = match r.warning {
        Some(Warning::Blue) => "\"蓝 \"0.0%",
        Some(Warning::Yellow) => "\"黄 \"0.0%",
        Some(Warning::Red) => "\"红 \"0.0%",
        None => "0.0%",
    };
    match r.completion {
        Some(v) => s.number_filled(row, col, Some(v), format, Some(fill)),
        None => s.filled(row, col, r.status.label(), fill),
    }
}

/// What the colours mean, under the table.
fn legend(s: &mut Sheet<'_>, plan: &Plan, row: u32, last_col: u16) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    s.ws()?.write_string_with_format(row, 0, "颜色：", &bold)?;
    let legend = STATUSES
        .iter()
        .map(|&st| (st.label().to_string(), status_color(st)))
        .chain(
            WARNINGS
                .iter()
                .map(|&w| (format!("{}预警", w.label()), warning_color(w))),
        )
        .chain([(
            Status::NoData.label().to_string(),
            status_color(Status::NoData),
        )]);
    for (k, (label, color)) in legend.enumerate() {
        s.filled(row, k as u16 + 1, &label, color)?;
    }
    // Wrapped under the table, not past its right edge (which would
    // shrink the page fitted to one width).
    // How the score is made, weights included: a unit equal or better on
    // every indicator it shares with another can still rank below it, by
    // a task of its own or a weight, and the page must say why.
    let first = plan.indicators.iter().next().map_or(1.0, |i| i.weight);
    let odd: Vec<String> = plan
        .indicators
        .iter()
        .filter(|i| i.weight != 1.0)
        .map(|i| format!("{} {}", i.name, format_plain(i.weight)))
        .collect();
    let weights = if plan.indicators.iter().all(|i| i.weight == first) {
        "各指标权重相同".to_string()
    } else if odd.len() < plan.indicators.len() {
        format!("权重：{}，其余指标为 1", odd.join("、"))
    } else {
        format!("权重：{}", odd.join("、"))
    };
    let note = format!(
        "单元格为完成率（本年累计 ÷ 年度目标），颜色为对照时间进度的状态；滞后和超出控制目标的任务按预警级别着色（蓝色：本期首次滞后；黄色：连续滞后或过了截止日期；红色：黄色后仍滞后、超出控制目标），详见“预警”工作表。综合得分 = Σ（权重 × 任务得分）÷ Σ 权重，只计本单位有目标的任务：任务得分为完成率（超过 100% 按 100% 计），控制类指标未超出目标计 1、超出计 0，未报、被退回或有错误的任务计 0；{weights}。"
    );
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    s.ws()?
        .merge_range(row + 1, 0, row + 1, last_col, &note, &wrap)?;
    let lines = text::wrapped_lines(&note, s.width_of(0, last_col));
    s.ws()?.set_row_height(row + 1, text::row_height(lines))?;
    Ok(())
}
