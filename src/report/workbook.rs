//! `consolidated.xlsx`: the workbook the bureau prints and presents.
//!
//! Eight sheets in Chinese (总览, 分单位, 重点项目, 明细, 预警, 报送情况,
//! 校验问题, 趋势), each ready to print: A4 landscape, one page wide, header rows repeated, page
//! numbers. The creation time is the period's end, so the same inputs give
//! the same bytes.

use rust_xlsxwriter::{
    Chart, ChartType, Color, ConditionalFormat3ColorScale, DocProperties, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::aggregate::projects::ProjectRow;
use crate::aggregate::{Consolidation, UnitRow, Warning};
use crate::period::Period;
use crate::plan::{Direction, Plan, UnitKind};
use crate::progress::Status;
use crate::store::{History, TrendPoint};
use crate::validate::{Checked, SubmissionStatus};
use chrono::Datelike;

const OVERVIEW: &str = "总览";
const MATRIX: &str = "分单位";
const PROJECTS: &str = "重点项目";
const DETAIL: &str = "明细";
const WARNINGS: &str = "预警";
const SUBMISSIONS: &str = "报送情况";
const ISSUES: &str = "校验问题";
const TREND: &str = "趋势";

/// Sheet names in order, also used by tests and the README.
pub const SHEETS: [&str; 8] = [
    OVERVIEW,
    MATRIX,
    PROJECTS,
    DETAIL,
    WARNINGS,
    SUBMISSIONS,
    ISSUES,
    TREND,
];

/// Number format for a unit of measure: 万元 one decimal, counts whole,
/// percentages as percent, anything else two decimals.
pub fn number_format(uom: &str) -> &'static str {
    match uom.trim() {
        "万元" | "亿元" | "元" => "#,##0.0",
        "个" | "起" | "所" | "人" | "座" | "家" | "户" | "项" | "次" | "辆" | "处" => {
            "#,##0"
        }
        u if crate::value::is_percent_unit(u) => "0.0%",
        _ => "#,##0.00",
    }
}

/// Format for derived values (expected to date, variance): counts get a
/// decimal, since a quarter of 1 village is 0.25, not 0.
pub fn derived_format(uom: &str) -> &'static str {
    match number_format(uom) {
        "#,##0" => "#,##0.0",
        f => f,
    }
}

pub(crate) fn status_color(s: Status) -> Color {
    match s {
        Status::Done | Status::Within => Color::RGB(0xC6EFCE),
        Status::OnTrack => Color::RGB(0xE2F0D9),
        Status::Behind => Color::RGB(0xFFEB9C),
        Status::Breach => Color::RGB(0xFFC7CE),
        Status::NoData => Color::RGB(0xEDEDED),
    }
}

pub(crate) fn warning_color(w: Warning) -> Color {
    match w {
        Warning::Blue => Color::RGB(0x9BC2E6),
        Warning::Yellow => Color::RGB(0xFFD966),
        Warning::Red => Color::RGB(0xFF7C80),
    }
}

/// Display width of a text in Excel column units: CJK characters count two.
pub(crate) fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 1.1 } else { 2.1 })
        .sum()
}

/// A worksheet being written, remembering column widths as cells go in.
pub(crate) struct Sheet<'a> {
    pub(crate) ws: &'a mut Worksheet,
    widths: Vec<f64>,
    pub(crate) cell: Format,
    header: Format,
    formats: std::collections::HashMap<(Option<Color>, String), Format>,
}

impl<'a> Sheet<'a> {
    /// A sheet; a `long` one (one row per task or issue, possibly hundreds
    /// of thousands) is streamed to a temporary file row by row, so memory
    /// stays flat however large the county (bench/run.sh 10000).
    pub(crate) fn new(
        wb: &'a mut Workbook,
        name: &str,
        title: &str,
        long: bool,
    ) -> Result<Sheet<'a>, XlsxError> {
        let ws = if long {
            wb.add_worksheet_with_low_memory()?
        } else {
            wb.add_worksheet()
        };
        ws.set_name(name)?;
        ws.set_landscape();
        ws.set_paper_size(9); // A4
        ws.set_print_fit_to_pages(1, 0);
        ws.set_header(format!("&C&\"-,Bold\"{title}"));
        ws.set_footer("&C第 &P 页，共 &N 页");
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let header = Format::new()
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_background_color(Color::RGB(0xD9E1F2))
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        Ok(Sheet {
            ws,
            widths: Vec::new(),
            cell,
            header,
            formats: std::collections::HashMap::new(),
        })
    }

    pub(crate) fn widen(&mut self, col: u16, width: f64) {
        let c = col as usize;
        if self.widths.len() <= c {
            self.widths.resize(c + 1, 6.0);
        }
        self.widths[c] = self.widths[c].max(width.min(60.0));
    }

    /// Header cells at `row` (for a table that is not the sheet's main one).
    pub(crate) fn header_cells(&mut self, row: u32, names: &[&str]) -> Result<(), XlsxError> {
        for (c, name) in names.iter().enumerate() {
            let c = c as u16;
            self.ws
                .write_string_with_format(row, c, *name, &self.header)?;
            self.widen(c, text_width(name).min(16.0) + 2.0);
        }
        self.ws.set_row_height(row, 30)?;
        Ok(())
    }

    /// A header row at `row`, frozen and repeated on every printed page.
    pub(crate) fn header_row(&mut self, row: u32, names: &[&str]) -> Result<(), XlsxError> {
        self.header_cells(row, names)?;
        self.ws.set_freeze_panes(row + 1, 0)?;
        self.ws.set_repeat_rows(row, row)?;
        Ok(())
    }

    pub(crate) fn text(&mut self, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
        self.ws.write_string_with_format(row, col, s, &self.cell)?;
        self.widen(col, text_width(s) + 2.0);
        Ok(())
    }

    pub(crate) fn filled(
        &mut self,
        row: u32,
        col: u16,
        s: &str,
        fill: Color,
    ) -> Result<(), XlsxError> {
        let f = cached(&mut self.formats, &self.cell, Some(fill), "");
        self.ws.write_string_with_format(row, col, s, f)?;
        self.widen(col, text_width(s) + 2.0);
        Ok(())
    }

    pub(crate) fn number(
        &mut self,
        row: u32,
        col: u16,
        v: Option<f64>,
        num_format: &str,
    ) -> Result<(), XlsxError> {
        let f = cached(&mut self.formats, &self.cell, None, num_format);
        match v {
            Some(v) => {
                self.ws.write_number_with_format(row, col, v, f)?;
                self.widen(col, 12.0);
            }
            None => {
                self.ws.write_blank(row, col, f)?;
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<(), XlsxError> {
        for (c, w) in self.widths.iter().enumerate() {
            self.ws.set_column_width(c as u16, *w)?;
        }
        Ok(())
    }
}

/// The cell format with a fill or a number format, built once per kind:
/// cloning a Format for every cell dominated the time of large sheets.
fn cached<'f>(
    formats: &'f mut std::collections::HashMap<(Option<Color>, String), Format>,
    cell: &Format,
    fill: Option<Color>,
    num_format: &str,
) -> &'f Format {
    formats
        .entry((fill, num_format.to_string()))
        .or_insert_with(|| match fill {
            Some(fill) => cell
                .clone()
                .set_background_color(fill)
                .set_align(FormatAlign::Center),
            None => cell.clone().set_num_format(num_format),
        })
}

/// Units whose submission was accepted.
fn units_reported(checked: &Checked) -> usize {
    checked
        .submissions
        .iter()
        .filter(|s| s.status == SubmissionStatus::Accepted)
        .count()
}

/// A date as Excel holds it.
pub(crate) fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// A new workbook for one period's outputs: quick packing (level 1 deflate
/// halves the packing time of the default for a few percent larger files,
/// bench/run.sh), and the period's end as creation time, so the same inputs
/// give the same bytes.
pub(crate) fn new_workbook(period: Period, title: &str) -> Result<Workbook, XlsxError> {
    let created = excel_date(period.end_date())?;
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(1);
    wb.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_subject(format!("期别 {period}"))
            .set_author("tally")
            .set_creation_datetime(&created),
    );
    Ok(wb)
}

/// Writes the consolidated workbook to bytes.
///
/// # Errors
///
/// [`XlsxError`] from rust_xlsxwriter, which valid data does not cause.
pub fn consolidated(
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    history: &History,
) -> Result<Vec<u8>, XlsxError> {
    let title = format!("{}重点工作任务完成情况汇总", c.period.label());
    let mut wb = new_workbook(c.period, &title)?;
    overview(&mut wb, plan, c, checked, &title)?;
    matrix(&mut wb, plan, c, &title)?;
    projects(&mut wb, plan, c, &title)?;
    detail(&mut wb, plan, c, &title)?;
    warnings(&mut wb, plan, c, &title)?;
    submissions(&mut wb, checked, &history.changes, &title)?;
    issues(&mut wb, checked, &title)?;
    trend(&mut wb, plan, &history.trend, &title)?;
    wb.save_to_buffer()
}

/// 总览: the county per indicator, grouped by category, with a chart of
/// completion against time progress.
fn overview(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, OVERVIEW, title, false)?;
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
    let head = 3;
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
        let progress = match (r.expected, r.target) {
            (Some(e), Some(t)) if t != 0.0 && ind.direction == Direction::Higher => Some(e / t),
            _ => None,
        };
        s.number(row, 11, progress, "0.0%")?;
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
    let last = row - 1;
    if last > head {
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
    s.finish()
}

/// 分单位: units × indicators completion with heat colouring, the
/// composite score and its rank.
fn matrix(wb: &mut Workbook, plan: &Plan, c: &Consolidation, title: &str) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, MATRIX, title, false)?;
    let shown: Vec<usize> = (0..plan.indicators.len())
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
    let completion: std::collections::HashMap<(usize, usize), Option<f64>> = c
        .by_unit
        .iter()
        .map(|r| ((r.unit, r.indicator), r.completion))
        .collect();
    for (u, unit) in plan.units.iter().enumerate() {
        let row = u as u32 + 1;
        s.text(row, 0, &unit.name)?;
        s.text(
            row,
            1,
            if unit.kind == UnitKind::Township {
                "乡镇"
            } else {
                "部门"
            },
        )?;
        for (k, &i) in shown.iter().enumerate() {
            let value = completion.get(&(u, i)).copied().flatten();
            s.number(row, k as u16 + 2, value, "0.0%")?;
        }
        // Scores come one per unit, in unit order.
        let score = c.scores.get(u);
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

/// 明细: the long table, filterable, for pivot tables.
fn detail(wb: &mut Workbook, plan: &Plan, c: &Consolidation, title: &str) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, DETAIL, title, true)?;
    s.header_row(
        0,
        &[
            "单位",
            "指标代码",
            "指标名称",
            "计量单位",
            "年度目标",
            "本年累计",
            "完成率",
            "时间进度应完成",
            "差额",
            "状态",
            "预警",
            "排名",
            "备注",
        ],
    )?;
    for (k, r) in c.by_unit.iter().enumerate() {
        let row = k as u32 + 1;
        let ind = &plan.indicators[r.indicator];
        let fmt = number_format(&ind.uom);
        s.text(row, 0, &plan.units[r.unit].name)?;
        s.text(row, 1, &ind.code)?;
        s.text(row, 2, &ind.name)?;
        s.text(row, 3, &ind.uom)?;
        s.number(row, 4, Some(r.target), fmt)?;
        s.number(row, 5, r.actual, fmt)?;
        s.number(row, 6, r.completion, "0.0%")?;
        s.number(row, 7, Some(r.expected), derived_format(&ind.uom))?;
        s.number(row, 8, r.variance, derived_format(&ind.uom))?;
        s.filled(row, 9, r.status.label(), status_color(r.status))?;
        match r.warning {
            Some(w) => s.filled(row, 10, w.label(), warning_color(w))?,
            None => s.text(row, 10, "")?,
        }
        s.number(row, 11, r.rank.map(f64::from), "0")?;
        s.text(row, 12, r.note.as_deref().unwrap_or(""))?;
    }
    s.ws.autofilter(0, 0, c.by_unit.len().max(1) as u32, 12)?;
    s.finish()
}

/// 预警: every task behind or in breach, red first.
fn warnings(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, WARNINGS, title, true)?;
    s.header_row(
        0,
        &[
            "预警",
            "单位",
            "指标代码",
            "指标名称",
            "年度目标",
            "本年累计",
            "时间进度应完成",
            "差额",
            "完成率",
            "状态",
            "滞后原因",
        ],
    )?;
    let mut rows: Vec<_> = c.by_unit.iter().filter(|r| r.warning.is_some()).collect();
    rows.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.warning.map(|w| w as u8)),
            r.unit,
            r.indicator,
        )
    });
    let reds = rows
        .iter()
        .take_while(|r| r.warning == Some(Warning::Red))
        .count();
    let mut row = 1;
    for r in &rows[..reds] {
        warning_row(&mut s, plan, r, row)?;
        row += 1;
    }
    // Overdue projects are red warnings too, after the red tasks.
    let mut overdue: Vec<_> = c.projects.rows.iter().filter(|r| r.overdue).collect();
    overdue.sort_by_key(|r| (plan.projects[r.project].unit, r.project));
    for r in overdue {
        let p = &plan.projects[r.project];
        s.filled(row, 0, Warning::Red.label(), warning_color(Warning::Red))?;
        s.text(row, 1, &plan.units[p.unit].name)?;
        s.text(row, 2, "重点项目")?;
        let by = p.start_by.map(|d| format!("（应于 {d} 前开工）"));
        s.text(row, 3, &format!("{}{}", p.name, by.unwrap_or_default()))?;
        s.number(row, 4, p.planned_investment, "#,##0.0")?;
        s.number(row, 5, r.investment, "#,##0.0")?;
        s.number(row, 6, None, "#,##0.0")?;
        s.number(row, 7, None, "#,##0.0")?;
        s.number(row, 8, r.completion, "0.0%")?;
        let (state, fill) = project_state(r);
        s.filled(row, 9, state, fill)?;
        s.text(row, 10, r.blocker.as_deref().unwrap_or("（未说明）"))?;
        row += 1;
    }
    for r in &rows[reds..] {
        warning_row(&mut s, plan, r, row)?;
        row += 1;
    }
    s.finish()
}

fn warning_row(s: &mut Sheet<'_>, plan: &Plan, r: &UnitRow, row: u32) -> Result<(), XlsxError> {
    let ind = &plan.indicators[r.indicator];
    let fmt = number_format(&ind.uom);
    let w = r.warning.expect("rows with a warning");
    s.filled(row, 0, w.label(), warning_color(w))?;
    s.text(row, 1, &plan.units[r.unit].name)?;
    s.text(row, 2, &ind.code)?;
    s.text(row, 3, &ind.name)?;
    s.number(row, 4, Some(r.target), fmt)?;
    s.number(row, 5, r.actual, fmt)?;
    s.number(row, 6, Some(r.expected), derived_format(&ind.uom))?;
    s.number(row, 7, r.variance, derived_format(&ind.uom))?;
    s.number(row, 8, r.completion, "0.0%")?;
    s.filled(row, 9, r.status.label(), status_color(r.status))?;
    s.text(row, 10, r.note.as_deref().unwrap_or("（未说明）"))
}

/// A date as `2022-03-31`, empty for none.
pub(crate) fn date_text(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// 是否开工 as the unit wrote it: 是, 否, or empty when unknown.
pub(crate) fn started_text(started: Option<bool>) -> &'static str {
    match started {
        Some(true) => "是",
        Some(false) => "否",
        None => "",
    }
}

/// How a project stands, in words and colour, for the sheets that list
/// projects.
pub(crate) fn project_state(r: &ProjectRow) -> (&'static str, Color) {
    match (r.started, r.overdue, r.reported) {
        (_, true, _) => ("逾期未开工", warning_color(Warning::Red)),
        (Some(true), _, _) if r.on_time => ("已开工", status_color(Status::Done)),
        (Some(true), _, _) => ("逾期开工", status_color(Status::Behind)),
        (Some(false), _, _) => ("未到开工期", status_color(Status::NoData)),
        (None, _, true) => ("待核实", status_color(Status::Behind)),
        (None, _, false) => ("未报送", status_color(Status::NoData)),
    }
}

/// 重点项目: the county roll-up the speech reads out (planned, started,
/// on time, overdue, investment against plan), what holds projects up, and
/// every project with overdue ones in red.
fn projects(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, PROJECTS, title, false)?;
    let big = Format::new().set_bold().set_font_size(16);
    s.ws.write_string_with_format(0, 0, format!("{}重点项目推进情况", c.period.label()), &big)?;
    s.ws.set_row_height(0, 28)?;
    let Some(total) = c.projects.rollup.last() else {
        s.ws.write_string(2, 0, "计划表中没有重点项目（未设“项目”工作表）。")?;
        return s.finish();
    };
    let share = |a: f64, b: f64| if b > 0.0 { a / b * 100.0 } else { 0.0 };
    let line = format!(
        "计划重点项目 {} 个，已开工 {} 个（开工率 {:.1}%，其中按期开工 {} 个），逾期未开工 {} 个；年度计划投资 {} 万元，本年完成 {} 万元，完成 {:.1}%。统计截至 {}。",
        total.planned,
        total.started,
        share(f64::from(total.started), f64::from(total.planned)),
        total.on_time,
        total.overdue,
        crate::value::format_number((total.planned_investment * 10.0).round() / 10.0),
        crate::value::format_number((total.investment * 10.0).round() / 10.0),
        share(total.investment, total.planned_investment),
        c.period.end_date()
    );
    s.ws.write_string(1, 0, &line)?;
    let head = 3;
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
            s.ws.write_number_with_format(row, 5, f64::from(r.overdue), &red)?;
        } else {
            s.number(row, 5, Some(0.0), "0")?;
        }
        s.number(row, 6, Some(r.planned_investment), "#,##0.0")?;
        s.number(row, 7, Some(r.investment), "#,##0.0")?;
        s.number(row, 8, r.completion, "0.0%")?;
        row += 1;
    }
    row += 1;
    s.header_cells(row, &["制约因素", "项目数"])?;
    let header = s.header.clone();
    s.ws.merge_range(row, 2, row, 11, "涉及项目", &header)?;
    row += 1;
    if c.projects.blockers.is_empty() {
        s.text(row, 0, "未报存在问题")?;
        row += 1;
    }
    for (b, list) in &c.projects.blockers {
        s.text(row, 0, b.label())?;
        s.number(row, 1, Some(list.len() as f64), "0")?;
        let names: Vec<&str> = list
            .iter()
            .map(|&k| plan.projects[c.projects.rows[k].project].name.as_str())
            .collect();
        // Spread over the list's columns below rather than widening one.
        let wrap = s.cell.clone().set_text_wrap();
        s.ws.merge_range(row, 2, row, 11, &names.join("、"), &wrap)?;
        let lines = (text_width(&names.join("、")) / 120.0).ceil().max(1.0);
        s.ws.set_row_height(row, 15.0 * lines)?;
        row += 1;
    }
    row += 1;
    let list_head = row;
    s.header_cells(
        list_head,
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
    for r in &c.projects.rows {
        row += 1;
        let p = &plan.projects[r.project];
        s.text(row, 0, &p.name)?;
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
        s.text(row, 11, r.blocker.as_deref().unwrap_or(""))?;
    }
    // Printed, the list's header repeats on every page; on screen nothing
    // is frozen, since the roll-up above it is what people look at first.
    s.ws.set_repeat_rows(list_head, list_head)?;
    s.ws.autofilter(list_head, 0, row.max(list_head + 1), 11)?;
    s.finish()
}

/// 报送情况: every inbox file and every missing unit.
fn submissions(
    wb: &mut Workbook,
    checked: &Checked,
    changes: &std::collections::HashMap<String, Vec<String>>,
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, SUBMISSIONS, title, true)?;
    s.header_row(
        0,
        &[
            "文件",
            "单位",
            "状态",
            "填报日期",
            "错误",
            "警告",
            "SHA-256",
        ],
    )?;
    for (k, sub) in checked.submissions.iter().enumerate() {
        let row = k as u32 + 1;
        let fill = match sub.status {
            SubmissionStatus::Accepted => Color::RGB(0xC6EFCE),
            SubmissionStatus::Superseded => Color::RGB(0xEDEDED),
            SubmissionStatus::Rejected | SubmissionStatus::Missing => Color::RGB(0xFFC7CE),
        };
        s.text(row, 0, sub.file.as_deref().unwrap_or(""))?;
        s.text(row, 1, sub.unit.as_deref().unwrap_or(""))?;
        s.filled(row, 2, sub.status.label(), fill)?;
        s.text(
            row,
            3,
            &sub.reported_at.map(|d| d.to_string()).unwrap_or_default(),
        )?;
        s.number(row, 4, Some(sub.errors as f64), "0")?;
        s.number(row, 5, Some(sub.warnings as f64), "0")?;
        s.text(row, 6, sub.sha256.as_deref().unwrap_or(""))?;
        let changed = match (sub.status, sub.unit.as_ref().and_then(|u| changes.get(u))) {
            (SubmissionStatus::Accepted | SubmissionStatus::Missing, Some(c)) => c.join("；"),
            _ => String::new(),
        };
        s.text(row, 7, &changed)?;
    }
    s.finish()
}

/// 趋势: each indicator's county completion per period of the year so far,
/// against time progress, with a line chart.
fn trend(
    wb: &mut Workbook,
    plan: &Plan,
    points: &[TrendPoint],
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, TREND, title, false)?;
    let shown: Vec<usize> = (0..plan.indicators.len())
        .filter(|i| {
            points
                .iter()
                .any(|p| p.completion.get(i).copied().flatten().is_some())
        })
        .collect();
    let mut names = vec!["期别".to_string(), "时间进度".to_string()];
    names.extend(shown.iter().map(|&i| plan.indicators[i].name.clone()));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    s.header_row(0, &refs)?;
    for (k, p) in points.iter().enumerate() {
        let row = k as u32 + 1;
        s.text(row, 0, &p.label)?;
        s.number(row, 1, Some(p.elapsed), "0.0%")?;
        for (j, &i) in shown.iter().enumerate() {
            s.number(
                row,
                j as u16 + 2,
                p.completion.get(&i).copied().flatten(),
                "0.0%",
            )?;
        }
    }
    let last = points.len() as u32;
    if last > 0 {
        let mut chart = Chart::new(ChartType::Line);
        chart.title().set_name("全县完成率与时间进度");
        for col in 1..(shown.len() as u16 + 2) {
            chart
                .add_series()
                .set_name((TREND, 0, col))
                .set_categories((TREND, 1, 0, last, 0))
                .set_values((TREND, 1, col, last, col));
        }
        chart.y_axis().set_num_format("0%");
        chart.set_width(900).set_height(400);
        s.ws.insert_chart(last + 2, 0, &chart)?;
    }
    s.finish()
}

/// 校验问题: every issue with its file, cell and sentence.
fn issues(wb: &mut Workbook, checked: &Checked, title: &str) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, ISSUES, title, true)?;
    s.header_row(
        0,
        &[
            "文件",
            "单位",
            "工作表",
            "单元格",
            "指标代码",
            "级别",
            "问题代码",
            "说明",
        ],
    )?;
    for (k, i) in checked.issues.iter().enumerate() {
        let row = k as u32 + 1;
        s.text(row, 0, i.file.as_deref().unwrap_or(""))?;
        s.text(row, 1, i.unit.as_deref().unwrap_or(""))?;
        s.text(row, 2, i.sheet.as_deref().unwrap_or(""))?;
        s.text(row, 3, i.cell.as_deref().unwrap_or(""))?;
        s.text(row, 4, i.indicator_code.as_deref().unwrap_or(""))?;
        s.text(row, 5, i.severity.label())?;
        s.text(row, 6, i.code.code())?;
        let wrap = s.cell.clone().set_text_wrap();
        s.ws.write_string_with_format(row, 7, &i.message, &wrap)?;
        s.widen(7, 70.0);
    }
    s.ws.autofilter(0, 0, checked.issues.len().max(1) as u32, 7)?;
    s.finish()
}
