//! 总览: the county per indicator, grouped by category, with a chart of
//! completion against time progress.

use rust_xlsxwriter::{Chart, ChartType, Color, Format, FormatAlign, Workbook, XlsxError};

use super::OVERVIEW;
use crate::aggregate::Consolidation;
use crate::model::SubmissionStatus;
use crate::plan::Plan;
use crate::validate::Checked;
use crate::xlsx::style::{derived_format, number_format, status_color};
use crate::xlsx::{Sheet, text_width};

/// Units whose submission was accepted.
fn units_reported(checked: &Checked) -> usize {
    checked
        .submissions
        .iter()
        .filter(|s| s.status == SubmissionStatus::Accepted)
        .count()
}

/// 总览: the county per indicator, grouped by category, with a chart of
/// completion against time progress.
pub(super) fn overview(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, OVERVIEW, title, false)?;
    title_lines(&mut s, plan, c, checked, title)?;
    let head = 3;
    let last = indicator_table(&mut s, plan, c, head)?;
    if last > head {
        completion_chart(&mut s, head, last)?;
    }
    s.finish()
}

/// The title and the line under it: time progress, units reported, date.
fn title_lines(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    title: &str,
) -> Result<(), XlsxError> {
    let big = Format::new()
        .set_bold()
        .set_font_size(18)
        .set_align(FormatAlign::Center);
    let sub = Format::new()
        .set_align(FormatAlign::Center)
        .set_font_color(Color::RGB(0x404040));
    s.ws.merge_range(0, 0, 0, 10, title, &big)?;
    s.ws.set_row_height(0, 32)?;
    let line = format!(
        "时间进度 {:.1}%　　已报 {}/{} 个单位　　统计截至 {}",
        c.elapsed * 100.0,
        units_reported(checked),
        plan.units.len(),
        c.period.end_date()
    );
    s.ws.merge_range(1, 0, 1, 10, &line, &sub)?;
    Ok(())
}

/// The county per indicator, grouped by category, under a header at row
/// `head`; returns the last row written.
fn indicator_table(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    head: u32,
) -> Result<u32, XlsxError> {
    s.header_row(
        head,
        &[
            "类别",
            "指标代码",
            "指标名称",
            "计量单位",
            "年度目标",
            "本年累计",
            "完成率",
            "时间进度应完成",
            "差额",
            "状态",
            "已报单位",
            "时间进度",
        ],
    )?;
    // Categories in the order they first appear in the plan.
    let mut order: Vec<usize> = (0..c.county.len()).collect();
    let category = |k: usize| {
        plan.indicators[c.county[k].indicator]
            .category
            .clone()
            .unwrap_or_default()
    };
    let mut seen: Vec<String> = Vec::new();
    for &k in &order {
        if !seen.contains(&category(k)) {
            seen.push(category(k));
        }
    }
    order.sort_by_key(|&k| seen.iter().position(|x| *x == category(k)));
    let mut row = head + 1;
    let mut group_start = row;
    for (n, &k) in order.iter().enumerate() {
        let r = &c.county[k];
        let ind = &plan.indicators[r.indicator];
        let fmt = number_format(&ind.uom);
        let centered = s.cell.clone().set_align(FormatAlign::Center);
        s.ws.write_string_with_format(row, 0, category(k), &centered)?;
        s.widen(0, text_width(&category(k)) + 2.0);
        s.text(row, 1, &ind.code)?;
        s.text(row, 2, &ind.name)?;
        s.text(row, 3, &ind.uom)?;
        s.number(row, 4, r.target, fmt)?;
        s.number(row, 5, r.actual, fmt)?;
        s.number(row, 6, r.completion, "0.0%")?;
        s.number(row, 7, r.expected, derived_format(&ind.uom))?;
        s.number(row, 8, r.variance, derived_format(&ind.uom))?;
        match r.status {
            Some(st) => s.filled(row, 9, st.label(), status_color(st))?,
            None => s.text(row, 9, "无目标")?,
        }
        s.text(
            row,
            10,
            &format!("{}/{}", r.units_reporting, r.units_planned),
        )?;
        s.number(row, 11, r.progress(ind.direction), "0.0%")?;
        let last_of_group = order
            .get(n + 1)
            .is_none_or(|&next| category(next) != category(k));
        if last_of_group && row > group_start {
            s.ws.merge_range(group_start, 0, row, 0, &category(k), &centered)?;
        }
        if last_of_group {
            group_start = row + 1;
        }
        row += 1;
    }
    Ok(row - 1)
}

/// Completion per indicator as columns, time progress as a line.
fn completion_chart(s: &mut Sheet<'_>, head: u32, last: u32) -> Result<(), XlsxError> {
    {
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name("各指标完成率与时间进度");
        chart
            .add_series()
            .set_name("完成率")
            .set_categories((OVERVIEW, head + 1, 2, last, 2))
            .set_values((OVERVIEW, head + 1, 6, last, 6));
        let mut line = Chart::new(ChartType::Line);
        line.add_series()
            .set_name("时间进度")
            .set_categories((OVERVIEW, head + 1, 2, last, 2))
            .set_values((OVERVIEW, head + 1, 11, last, 11));
        chart.combine(&line);
        chart.y_axis().set_num_format("0%");
        chart.set_width(900).set_height(360);
        s.ws.insert_chart(last + 2, 0, &chart)?;
    }
    Ok(())
}
