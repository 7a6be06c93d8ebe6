//! 总览: the first page, the one a county leader reads. It tells the story
//! in sentences first (time progress, who reported and who did not, how
//! many indicators are behind, red and yellow warnings, the key
//! projects), then the county per indicator, then the red and yellow
//! tasks with how far behind and the stated reason, then a chart.

use rust_xlsxwriter::{
    Chart, ChartDataLabel, ChartDataLabelPosition, ChartFont, ChartFormat, ChartLegendPosition,
    ChartPoint, ChartSolidFill, ChartType, Color, Format, FormatAlign, Workbook, XlsxError,
};

use super::{OVERVIEW, expected_and_variance};
use crate::aggregate::Consolidation;
use crate::model::period::{date_cn, span_cn};
use crate::model::value::{format_for_people, percent};
use crate::model::{Direction, Issue, IssueCode, Severity, Status, SubmissionStatus, Warning};
use crate::plan::Plan;
use crate::report::alerts::{Alert, Subject, alerts};
use crate::validate::Checked;
use crate::xlsx::style::{NOTICE_FILL, number_format, status_color, status_rgb, warning_color};
use crate::xlsx::{Sheet, text, text_width};

/// The columns the page spans (A..L).
const LAST_COL: u16 = 11;
/// Their width in column units, for wrapping the sentences.
const PAGE_WIDTH: f64 = 150.0;

pub(super) fn overview(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    title: &str,
    org: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, OVERVIEW, title, false)?;
    title_lines(&mut s, c, title, org)?;
    let mut row = 2;
    for line in headlines(plan, c, checked) {
        sentence(&mut s, row, &line)?;
        row += 1;
    }
    let head = row + 1;
    let broken: Vec<&Issue> = checked
        .issues
        .iter()
        .filter(|i| i.code == IssueCode::RuleViolated && i.unit.is_none())
        .collect();
    let (table_last, order) = indicator_table(&mut s, plan, c, head, &broken)?;
    let last = rule_notes(&mut s, &broken, table_last)?;
    let after = warning_table(&mut s, plan, c, last + 2)?;
    if table_last > head {
        // The chart starts a page of its own rather than break across two.
        s.ws()?.set_page_breaks(&[after + 1])?;
        completion_chart(&mut s, plan, c, &order, head, after + 1)?;
    }
    s.finish()
}

/// The title and the line under it: who speaks, and the date of the figures.
fn title_lines(
    s: &mut Sheet<'_>,
    c: &Consolidation,
    title: &str,
    org: &str,
) -> Result<(), XlsxError> {
    let big = Format::new()
        .set_bold()
        .set_font_size(18)
        .set_align(FormatAlign::Center);
    let sub = Format::new()
        .set_align(FormatAlign::Center)
        .set_font_color(Color::RGB(0x404040));
    s.ws()?.merge_range(0, 0, 0, LAST_COL, title, &big)?;
    s.ws()?.set_row_height(0, 32)?;
    let line = format!("{org}　　数据截至 {}", date_cn(c.period.end_date()));
    s.ws()?.merge_range(1, 0, 1, LAST_COL, &line, &sub)?;
    Ok(())
}

/// One sentence across the page, wrapped, its row as tall as it needs.
fn sentence(s: &mut Sheet<'_>, row: u32, line: &str) -> Result<(), XlsxError> {
    let f = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_font_size(12);
    s.ws()?.merge_range(row, 0, row, LAST_COL, line, &f)?;
    let lines = text::wrapped_lines(line, PAGE_WIDTH * 11.0 / 12.0);
    s.ws()?
        .set_row_height(row, text::row_height(lines) * 12.0 / 11.0)
        .map(|_| ())
}

/// The story of the period in five sentences or fewer: 总览's first
/// lines, and the leaders' mail opens with them.
pub(crate) fn headlines(plan: &Plan, c: &Consolidation, checked: &Checked) -> Vec<String> {
    let mut lines = vec![format!(
        "一、时间进度 {}（{}）。",
        percent(c.elapsed),
        span_cn(c.period.year_start(), c.period.end_date())
    )];
    lines.push(reporting_line(plan, checked));
    lines.push(indicators_line(plan, c));
    lines.push(warnings_line(plan, c));
    if let Some(t) = c.projects.rollup.last() {
        let share = |a: f64, b: f64| percent(if b > 0.0 { a / b } else { 0.0 });
        lines.push(format!(
            "五、重点项目 {} 个，其中应于 {} 前开工 {} 个：已开工 {} 个（按期 {} 个），逾期未开工 {} 个；本年完成投资 {} 万元，为年度计划 {} 万元的 {}。",
            t.planned,
            date_cn(c.period.end_date()),
            plan.projects_due_by(c.period.end_date()),
            t.started,
            t.on_time,
            t.overdue,
            format_for_people(t.investment),
            format_for_people(t.planned_investment),
            share(t.investment, t.planned_investment)
        ));
    }
    lines
}

/// Who reported, naming every unit that sent nothing or was refused.
fn reporting_line(plan: &Plan, checked: &Checked) -> String {
    let total = plan.units.len();
    let accepted = checked
        .submissions
        .iter()
        .filter(|s| s.status == SubmissionStatus::Accepted)
        .count();
    let names = |st: SubmissionStatus| -> Vec<String> {
        let mut v: Vec<String> = checked
            .submissions
            .iter()
            .filter(|s| s.status == st)
            .filter_map(|s| s.unit.as_ref().map(|u| u.name.clone()))
            .collect();
        v.dedup();
        v
    };
    let missing = names(SubmissionStatus::Missing);
    // A unit whose every file was refused shows as missing too; say why.
    let refused: Vec<String> = names(SubmissionStatus::Rejected)
        .into_iter()
        .filter(|u| missing.contains(u))
        .collect();
    let silent: Vec<String> = missing
        .iter()
        .filter(|u| !refused.contains(u))
        .cloned()
        .collect();
    let mut line = format!("二、应报 {total} 个单位，已报 {accepted} 个");
    // Accepted, but with values refused: the leader should know.
    let with_errors: Vec<String> = checked
        .submissions
        .iter()
        .filter(|s| s.status == SubmissionStatus::Accepted && s.errors > 0)
        .filter_map(|s| Some(format!("{}（{} 处）", s.unit.as_ref()?.name, s.errors)))
        .collect();
    // Values that break a rule of the plan still count (CONTRACT.md 12):
    // whose, so that the leader knows which figures to doubt.
    let mut ruled: Vec<(&str, usize)> = Vec::new();
    for i in &checked.issues {
        if i.code == IssueCode::RuleViolated
            && i.severity == Severity::Error
            && let Some(u) = &i.unit
        {
            match ruled.iter_mut().find(|(name, _)| *name == u.name) {
                Some((_, n)) => *n += 1,
                None => ruled.push((&u.name, 1)),
            }
        }
    }
    let by_rule: usize = ruled.iter().map(|(_, n)| n).sum();
    let whose: Vec<String> = ruled
        .iter()
        .map(|(name, n)| format!("{name} {n} 处"))
        .collect();
    let total_errors: usize = checked
        .submissions
        .iter()
        .filter(|s| s.status == SubmissionStatus::Accepted)
        .map(|s| s.errors)
        .sum();
    let counted = match (by_rule, total_errors - by_rule.min(total_errors)) {
        (0, _) => "出错的数值未计入汇总".to_string(),
        (_, 0) => "均为不符合校验规则，数值已计入汇总".to_string(),
        (_, _) => format!(
            "出错的数值未计入汇总（不符合校验规则的{}除外，已计入）",
            whose.join("、")
        ),
    };
    let errors_said = if with_errors.is_empty() {
        String::new()
    } else {
        format!(
            "；{}的报表有错误，{counted}，已要求改正",
            with_errors.join("、")
        )
    };
    if silent.is_empty() && refused.is_empty() {
        line.push_str(&format!("，全部报送{errors_said}。"));
        return line;
    }
    if !silent.is_empty() {
        line.push_str(&format!("；未报送：{}", silent.join("、")));
    }
    if !refused.is_empty() {
        line.push_str(&format!(
            "；报表被退回：{}（原因见“校验问题”）",
            refused.join("、")
        ));
    }
    line.push_str(&errors_said);
    line.push('。');
    line
}

/// How the indicators stand, naming those behind or over their ceiling.
fn indicators_line(plan: &Plan, c: &Consolidation) -> String {
    let with = |st: Status| -> Vec<&str> {
        c.county
            .iter()
            .filter(|r| r.status == Some(st))
            .map(|r| plan.indicators[r.indicator].name.as_str())
            .collect()
    };
    let counted = c.county.iter().filter(|r| r.status.is_some()).count();
    let (done, within, on_track) = (
        with(Status::Done).len(),
        with(Status::Within).len(),
        with(Status::OnTrack).len(),
    );
    let (behind, breach) = (with(Status::Behind), with(Status::Breach));
    // Each count under the word the 状态 column below uses for it: a
    // ceiling kept is 控制在目标内 there, not 已完成.
    let within = if within > 0 {
        format!("，控制在目标内 {within} 项")
    } else {
        String::new()
    };
    let mut line = format!(
        "三、{counted} 项考核指标中，已完成 {done} 项{within}，正常推进 {on_track} 项，滞后 {} 项",
        behind.len()
    );
    if !behind.is_empty() {
        line.push_str(&format!("（{}）", behind.join("、")));
    }
    if !breach.is_empty() {
        line.push_str(&format!(
            "，超出控制目标 {} 项（{}）",
            breach.len(),
            breach.join("、")
        ));
    }
    line.push('。');
    line.push_str(&tolerance_said(c.tolerance.get()));
    line
}

/// Every status turns on the tolerance: said, or a negative 差额 beside
/// 正常推进 reads as a mistake. A share of what is due, not percentage
/// points (the columns beside it are percentages too).
fn tolerance_said(tolerance: f64) -> String {
    if tolerance == 0.0 {
        return "（本年累计达到时间进度应完成数的，算正常推进。）".to_string();
    }
    // Rounded: 0.07 × 100 is 7.000000000000001.
    let percent = (tolerance * 100.0 * 1e6).round() / 1e6;
    format!(
        "（本年累计少于时间进度应完成数、但差额不超过应完成数的 {}% 的，也算正常推进。）",
        crate::model::value::format_plain(percent)
    )
}

/// Red, yellow and blue counts.
fn warnings_line(plan: &Plan, c: &Consolidation) -> String {
    let all = alerts(plan, c, Warning::Blue);
    let count = |w: Warning| all.iter().filter(|a| a.warning == w).count();
    let projects = all
        .iter()
        .filter(|a| matches!(a.subject, Subject::Project(_)))
        .count();
    let (red, yellow, blue) = (
        count(Warning::Red),
        count(Warning::Yellow),
        count(Warning::Blue),
    );
    if red + yellow + blue == 0 {
        return "四、本期没有预警。".to_string();
    }
    let of_which = if projects > 0 {
        format!("（其中重点项目逾期未开工 {projects} 个）")
    } else {
        String::new()
    };
    format!(
        "四、预警：红色 {red} 项{of_which}，黄色 {yellow} 项，蓝色 {blue} 项；红色、黄色预警列在下表，全部预警见“预警”工作表。（蓝色：本期首次滞后；黄色：连续两期滞后或过了截止日期仍滞后；红色：黄色后仍滞后、超出控制目标或重点项目逾期未开工。）"
    )
}

/// The county per indicator, grouped by category, under a header at row
/// `head`; returns the last row written and the indicators (county rows)
/// in the order written.
fn indicator_table(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    head: u32,
    broken: &[&Issue],
) -> Result<(u32, Vec<usize>), XlsxError> {
    s.header_cells(
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
            "应完成比例",
        ],
    )?;
    // Categories in the order they first appear in the plan.
    let category = |k: usize| {
        plan.indicators[c.county[k].indicator]
            .category
            .clone()
            .unwrap_or_default()
    };
    let mut seen: Vec<String> = Vec::new();
    for k in 0..c.county.len() {
        if !seen.contains(&category(k)) {
            seen.push(category(k));
        }
    }
    let mut order: Vec<usize> = (0..c.county.len()).collect();
    order.sort_by_key(|&k| seen.iter().position(|x| *x == category(k)));
    let centered = s.cell.clone().set_align(FormatAlign::Center);
    let mut row = head + 1;
    let mut group_start = row;
    for (n, &k) in order.iter().enumerate() {
        let r = &c.county[k];
        let ind = &plan.indicators[r.indicator];
        let fmt = number_format(&ind.uom);
        s.ws()?
            .write_string_with_format(row, 0, category(k), &centered)?;
        s.widen(0, text_width(&category(k)) + 2.0);
        s.text(row, 1, &ind.code)?;
        // A county value a rule of the plan finds wrong: purple, a value
        // used with something to look at (as in the feedback; an orange
        // read as the 滞后 status beside it), with a pointer to the note
        // under the table.
        let flagged = broken
            .iter()
            .any(|i| i.indicator_code.as_deref() == Some(ind.code.as_str()));
        if flagged {
            s.text(row, 2, &format!("{}（见表下规则说明）", ind.name))?;
        } else {
            s.text(row, 2, &ind.name)?;
        }
        s.text(row, 3, &ind.uom)?;
        s.number(row, 4, r.target, fmt)?;
        s.number_filled(row, 5, r.actual, fmt, flagged.then_some(NOTICE_FILL))?;
        s.number(row, 6, r.completion, "0.0%")?;
        expected_and_variance(s, row, 7, ind, r.expected, r.variance)?;
        match r.status {
            Some(st) => s.filled(row, 9, st.label(), status_color(st))?,
            None => s.text(row, 9, "无目标")?,
        }
        // A ratio's parts have no targets of their own: no "7/0".
        let reporting = if r.units_planned > 0 {
            format!("{}/{}", r.units_reporting, r.units_planned)
        } else {
            r.units_reporting.to_string()
        };
        s.text(row, 10, &reporting)?;
        s.number(row, 11, r.progress(ind.direction), "0.0%")?;
        let last_of_group = order
            .get(n + 1)
            .is_none_or(|&next| category(next) != category(k));
        if last_of_group && row > group_start {
            s.ws()?
                .merge_range(group_start, 0, row, 0, &category(k), &centered)?;
        }
        if last_of_group {
            group_start = row + 1;
        }
        row += 1;
    }
    Ok((row - 1, order))
}

/// Under the indicator table, the county values that break a rule of the
/// plan, one sentence each; returns the last row written.
fn rule_notes(s: &mut Sheet<'_>, broken: &[&Issue], last: u32) -> Result<u32, XlsxError> {
    let mut row = last;
    for (k, i) in broken.iter().enumerate() {
        row += 1;
        let lead = if k == 0 {
            "规则说明（表中紫色单元格）："
        } else {
            ""
        };
        sentence(s, row, &format!("{lead}{}", i.message))?;
    }
    Ok(row)
}

/// The red and yellow warnings from row `head`: unit, what, how far behind,
/// the stated reason. Returns the last row written.
fn warning_table(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    head: u32,
) -> Result<u32, XlsxError> {
    let list = alerts(plan, c, Warning::Yellow);
    let bold = Format::new().set_bold().set_font_size(12);
    s.ws()?
        .write_string_with_format(head, 0, "红色、黄色预警", &bold)?;
    if list.is_empty() {
        s.ws()?
            .write_string(head + 1, 0, "本期没有红色或黄色预警。")?;
        return Ok(head + 1);
    }
    let header = head + 1;
    s.header_cells(
        header,
        &[
            "预警",
            "单位",
            "指标或项目",
            "",
            "",
            "本年累计",
            "完成率",
            "时间进度应完成",
            "差额",
            "滞后原因或存在问题",
            "",
            "",
        ],
    )?;
    let h = s.header.clone();
    s.ws()?
        .merge_range(header, 2, header, 4, "指标或项目", &h)?;
    s.ws()?
        .merge_range(header, 9, header, LAST_COL, "滞后原因或存在问题", &h)?;
    let mut row = header;
    for a in &list {
        row += 1;
        alert_row(s, plan, a, row)?;
    }
    Ok(row)
}

fn alert_row(s: &mut Sheet<'_>, plan: &Plan, a: &Alert<'_>, row: u32) -> Result<(), XlsxError> {
    s.filled(row, 0, a.warning.label(), warning_color(a.warning))?;
    s.text(row, 1, &plan.units[a.unit].name)?;
    let wrap = s.cell.clone().set_text_wrap().set_indent(1);
    let what = a.what(plan);
    s.ws()?.merge_range(row, 2, row, 4, &what, &wrap)?;
    match a.subject {
        Subject::Task(r) => {
            let ind = &plan.indicators[r.indicator];
            let uom = &ind.uom;
            s.number(row, 5, r.actual, number_format(uom))?;
            s.number(row, 6, r.completion, "0.0%")?;
            expected_and_variance(s, row, 7, ind, Some(r.expected), r.variance)?;
        }
        // A project's figures are investment, not the task's columns:
        // the sentence in 指标或项目 says what is wrong.
        Subject::Project(_) => {
            for col in 5..=8 {
                s.text(row, col, "")?;
            }
        }
    }
    let reason = a.reason_shown();
    s.ws()?.merge_range(row, 9, row, LAST_COL, reason, &wrap)?;
    // As wide as the columns above made the merged cells (a guess of 30
    // units made one-line texts three lines tall); the indent takes 2.
    let lines = text::wrapped_lines(&what, s.width_of(2, 4) - 2.0)
        .max(text::wrapped_lines(reason, s.width_of(9, LAST_COL) - 2.0));
    if lines > 1 {
        s.ws()?.set_row_height(row, text::row_height(lines))?;
    }
    Ok(())
}

/// The hidden columns (M..O) that hold the chart's figures, beside the
/// indicators' table: the chart draws only the indicators it can measure.
const CHART_DATA: u16 = LAST_COL + 1;

/// Completion and time progress per indicator as pairs of horizontal bars,
/// in the table's order from the top: the names read level (as columns
/// they stood at 45° and squeezed the plot into an eighth of the page),
/// and each indicator is measured against its own time progress (a line
/// joined unrelated indicators).
///
/// Only an indicator with a target to be reached, and a valid value, has
/// its bars. One without a target, or without data, drew an empty row,
/// and a ceiling's (安全生产事故) share of its limit, with no time progress
/// beside it, read as lagging when it was good; those are left out and
/// named under the plot, each for its reason. The figures drawn sit in
/// hidden columns beside the table (a chart draws one range of cells).
fn completion_chart(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    order: &[usize],
    head: u32,
    at: u32,
) -> Result<(), XlsxError> {
    let data = chart_data(s, plan, c, order, head)?;
    let Some(last) = data
        .behind
        .len()
        .checked_sub(1)
        .map(|n| head + 1 + n as u32)
    else {
        return Ok(());
    };
    let mut chart = Chart::new(ChartType::Bar);
    // The grey bar is each indicator's own share due by now (应完成比例,
    // as the table's column): "时间进度" is the 25% of the year on line 一.
    chart.title().set_name("各指标完成率与应完成比例");
    let names = (OVERVIEW, head + 1, CHART_DATA, last, CHART_DATA);
    let fill = |rgb: u32| {
        let mut format = ChartFormat::new();
        format.set_solid_fill(ChartSolidFill::new().set_color(rgb));
        format
    };
    // A bar behind time progress in the 滞后 status's orange: the ones to
    // ask about, found at a glance.
    let points: Vec<ChartPoint> = data
        .behind
        .iter()
        .map(|&b| match b {
            true => ChartPoint::new().set_format(&mut fill(status_rgb(Status::Behind))),
            false => ChartPoint::new(),
        })
        .collect();
    chart
        .add_series()
        .set_name("完成率")
        .set_categories(names)
        .set_values((OVERVIEW, head + 1, CHART_DATA + 1, last, CHART_DATA + 1))
        .set_format(&mut fill(0x4472C4))
        .set_points(&points)
        // Each completion in figures: a 0% has no bar to see.
        .set_data_label(
            ChartDataLabel::new()
                .show_value()
                .set_num_format("0.0%")
                .set_position(ChartDataLabelPosition::OutsideEnd),
        );
    chart
        .add_series()
        .set_name("应完成比例")
        .set_categories(names)
        .set_values((OVERVIEW, head + 1, CHART_DATA + 2, last, CHART_DATA + 2))
        .set_format(&mut fill(0xBFBFBF));
    // The figures are in hidden columns: drawn all the same.
    chart.show_hidden_data();
    // Bar charts draw the first category at the bottom.
    chart.y_axis().set_reverse();
    chart.x_axis().set_num_format("0%");
    let mut said = Vec::new();
    if data.behind.contains(&true) {
        said.push("橙色为滞后指标".to_string());
    }
    if !data.left_out.is_empty() {
        said.push(format!("图中未列：{}，见上表", data.left_out.join("；")));
    }
    if !said.is_empty() {
        chart
            .x_axis()
            .set_name(&said.join("。"))
            .set_name_font(ChartFont::new().unset_bold());
    }
    chart.legend().set_position(ChartLegendPosition::Top);
    // A landscape page wide, and tall enough for every name.
    chart
        .set_width(1350)
        .set_height((150 + 45 * data.behind.len() as u32).clamp(400, 860));
    s.ws()?.insert_chart(at + 1, 0, &chart)?;
    Ok(())
}

/// What the chart draws, written into its hidden columns from row `head`.
struct ChartData {
    /// For each indicator drawn, in order: whether it is 滞后.
    behind: Vec<bool>,
    /// Those left out, by reason: `安全生产事故（控制类指标，…）`.
    left_out: Vec<String>,
}

/// Writes the figures of the indicators the chart can measure (a target
/// to reach and a valid value) into the hidden columns; names the others
/// by their reason.
fn chart_data(
    s: &mut Sheet<'_>,
    plan: &Plan,
    c: &Consolidation,
    order: &[usize],
    head: u32,
) -> Result<ChartData, XlsxError> {
    let (mut ceilings, mut no_target, mut no_data) = (Vec::new(), Vec::new(), Vec::new());
    let mut behind = Vec::new();
    s.ws()?
        .write_string(head, CHART_DATA, "图表：指标名称")?
        .write_string(head, CHART_DATA + 1, "完成率")?
        .write_string(head, CHART_DATA + 2, "应完成比例")?;
    for &k in order {
        let r = &c.county[k];
        let ind = &plan.indicators[r.indicator];
        let name = ind.name.as_str();
        if ind.direction == Direction::Lower {
            ceilings.push(name);
        } else if r.target.is_none_or(|t| t == 0.0) {
            no_target.push(name);
        } else if let Some(done) = r.completion {
            let row = head + 1 + behind.len() as u32;
            s.ws()?
                .write_string(row, CHART_DATA, name)?
                .write_number(row, CHART_DATA + 1, done)?;
            if let Some(due) = r.progress(ind.direction) {
                s.ws()?.write_number(row, CHART_DATA + 2, due)?;
            }
            behind.push(r.status == Some(Status::Behind));
        } else {
            no_data.push(name);
        }
    }
    for col in CHART_DATA..CHART_DATA + 3 {
        s.ws()?.set_column_hidden(col)?;
    }
    let mut left_out = Vec::new();
    for (names, why) in [
        (ceilings, "控制类指标，不超过目标即可"),
        (no_target, "无目标"),
        (no_data, "暂无有效数据"),
    ] {
        if !names.is_empty() {
            left_out.push(format!("{}（{why}）", names.join("、")));
        }
    }
    Ok(ChartData { behind, left_out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tolerance_is_said_as_people_write_it() {
        for (t, said) in [
            (0.1, "不超过应完成数的 10% 的"),
            (0.07, "不超过应完成数的 7% 的"),
            (0.29, "不超过应完成数的 29% 的"),
            (0.125, "不超过应完成数的 12.5% 的"),
        ] {
            assert!(
                tolerance_said(t).contains(said),
                "{t}: {}",
                tolerance_said(t)
            );
        }
        assert_eq!(
            tolerance_said(0.0),
            "（本年累计达到时间进度应完成数的，算正常推进。）"
        );
    }
}
