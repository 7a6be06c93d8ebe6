//! 重点项目: the county's key projects as the speech reads them out.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{PROJECTS, date_text, project_state, started_text};
use crate::aggregate::Consolidation;
use crate::aggregate::projects::Rollup;
use crate::model::Warning;
use crate::model::value::{format_number, percent};
use crate::plan::Plan;
use crate::xlsx::style::warning_color;
use crate::xlsx::{Sheet, text};

/// 重点项目: the county roll-up the speech reads out (planned, started,
/// on time, overdue, investment against plan), what holds projects up, and
/// every project with overdue ones in red.
pub(super) fn projects(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, PROJECTS, title, false)?;
    let big = Format::new().set_bold().set_font_size(16);
    s.ws()?.write_string_with_format(
        0,
        0,
        format!("{}重点项目推进情况", c.period.label()),
        &big,
    )?;
    s.ws()?.set_row_height(0, 28)?;
    let Some(total) = c.projects.rollup.last() else {
        s.ws()?
            .write_string(2, 0, "计划表中没有重点项目（未设“项目”工作表）。")?;
        return s.finish();
    };
    s.ws()?.write_string(1, 0, summary_line(plan, total, c))?;
    let row = rollup_table(&mut s, c, 3)?;
    let row = blockers_table(&mut s, plan, c, row + 1)?;
    project_list(&mut s, plan, c, row + 1)?;
    s.finish()
}

/// The sentence of the speech: planned, due to have started by now,
/// started, on time, overdue, investment against plan. The count due sits
/// between the 开工率 here (against all the year's projects) and what is
/// due so far, which a leader compares with 重点项目开复工 on 总览.
fn summary_line(plan: &Plan, total: &Rollup, c: &Consolidation) -> String {
    let share = |a: f64, b: f64| percent(if b > 0.0 { a / b } else { 0.0 });
    let end = c.period.end_date();
    let due = plan.projects_due_by(end);
    format!(
        "计划重点项目 {} 个，其中应于 {} 前开工 {due} 个；已开工 {} 个（开工率 {}，其中按期开工 {} 个），逾期未开工 {} 个；年度计划投资 {} 万元，本年完成 {} 万元，完成 {}。统计截至 {}。",
        total.planned,
        crate::model::period::date_cn(end),
        total.started,
        share(f64::from(total.started), f64::from(total.planned)),
        total.on_time,
        total.overdue,
        format_number((total.planned_investment * 10.0).round() / 10.0),
        format_number((total.investment * 10.0).round() / 10.0),
        share(total.investment, total.planned_investment),
        c.period.end_date()
    )
}

/// The roll-up by project kind and in total, from row `head`; returns the
/// row after it.
fn rollup_table(s: &mut Sheet<'_>, c: &Consolidation, head: u32) -> Result<u32, XlsxError> {
    s.header_cells(
        head,
        &[
            "项目类型",
            "计划项目数",
            "已开工",
            "开工率",
            "按期开工",
            "逾期未开工",
            "年度计划投资（万元）",
            "本年完成投资（万元）",
            "投资完成率",
        ],
    )?;
    let mut row = head + 1;
    for r in &c.projects.rollup {
        s.text(row, 0, r.kind.map_or("合计", |k| k.label()))?;
        s.number(row, 1, Some(f64::from(r.planned)), "0")?;
        s.number(row, 2, Some(f64::from(r.started)), "0")?;
        let rate = (r.planned > 0).then(|| f64::from(r.started) / f64::from(r.planned));
        s.number(row, 3, rate, "0.0%")?;
        s.number(row, 4, Some(f64::from(r.on_time)), "0")?;
        if r.overdue > 0 {
            let red = s
                .cell
                .clone()
                .set_background_color(warning_color(Warning::Red))
                .set_num_format("0");
            s.ws()?
                .write_number_with_format(row, 5, f64::from(r.overdue), &red)?;
        } else {
            s.number(row, 5, Some(0.0), "0")?;
        }
        s.number(row, 6, Some(r.planned_investment), "#,##0.0")?;
        s.number(row, 7, Some(r.investment), "#,##0.0")?;
        s.number(row, 8, r.completion, "0.0%")?;
        row += 1;
    }
    Ok(row)
}

/// The blockers counted by kind, with the projects they hold up, from row
/// `row`; returns the row after it.
fn blockers_table(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    mut row: u32,
) -> Result<u32, XlsxError> {
    s.header_cells(row, &["制约因素", "项目数"])?;
    let header = s.header.clone();
    s.ws()?.merge_range(row, 2, row, 11, "涉及项目", &header)?;
    row += 1;
    if c.projects.blockers.is_empty() {
        s.text(row, 0, "未报存在问题")?;
        row += 1;
    }
    for (b, list) in &c.projects.blockers {
        s.text(row, 0, b.label())?;
        // Said as a count in words: a bare number right against the names
        // beside it read as part of the first.
        s.text(row, 1, &format!("{} 个", list.len()))?;
        let names: Vec<&str> = list
            .iter()
            .map(|&p| plan.projects[p].name.as_str())
            .collect();
        // Spread over the list's columns below rather than widening one.
        let wrap = s.cell.clone().set_text_wrap();
        s.ws()?
            .merge_range(row, 2, row, 11, &names.join("、"), &wrap)?;
        let lines = text::wrapped_lines(&names.join("、"), 120.0);
        s.ws()?.set_row_height(row, text::row_height(lines))?;
        row += 1;
    }
    Ok(row)
}

/// Widths of the project list's wrapped columns: most names on one line,
/// a 存在问题 sentence on two or three.
const NAME_WIDTH: f64 = 28.0;
const BLOCKER_WIDTH: f64 = 34.0;

/// Every project with its state, overdue ones in red, under a header at
/// `head` that repeats on every printed page.
fn project_list(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    head: u32,
) -> Result<(), XlsxError> {
    s.header_cells(
        head,
        &[
            "项目名称",
            "责任单位",
            "项目类型",
            "总投资（万元）",
            "年度计划投资（万元）",
            "本年完成投资（万元）",
            "投资完成率",
            "计划开工日期",
            "是否开工",
            "开工日期",
            "状态",
            "存在问题",
        ],
    )?;
    let mut row = head;
    for r in &c.projects.rows {
        row += 1;
        let p = &plan.projects[r.project];
        // The two long texts wrap, so that the page keeps a readable size
        // (fitted to one page wide, their full widths shrank every row
        // to about 6 points).
        s.wrapped(row, 0, &p.name, NAME_WIDTH)?;
        s.text(row, 1, &plan.units[p.unit].name)?;
        s.text(row, 2, p.kind.label())?;
        s.number(row, 3, p.total_investment, "#,##0.0")?;
        s.number(row, 4, p.planned_investment, "#,##0.0")?;
        s.number(row, 5, r.investment, "#,##0.0")?;
        s.number(row, 6, r.completion, "0.0%")?;
        s.text(row, 7, &date_text(p.start_by))?;
        s.text(row, 8, started_text(r.started))?;
        s.text(row, 9, &date_text(r.started_on))?;
        let (state, fill) = project_state(r);
        s.filled(row, 10, state, fill)?;
        s.wrapped(row, 11, r.blocker.as_deref().unwrap_or(""), BLOCKER_WIDTH)?;
    }
    // Printed, the list's header repeats on every page; on screen nothing
    // is frozen, since the roll-up above it is what people look at first.
    s.ws()?.set_repeat_rows(head, head)?;
    s.ws()?.autofilter(head, 0, row.max(head + 1), 11)?;
    Ok(())
}
