//! `tally template`: one workbook per unit for the bureau to send out.
//!
//! Prefilled with the unit, the period and one row per indicator of the
//! unit's plan (a ratio as its numerator and denominator), with the annual
//! target and the value expected to date. Only the 本年累计, 备注 and
//! 填报日期 cells are open for input; the sheet is protected and the input
//! cells validate numbers. A unit with key projects also gets a 重点项目
//! sheet listing them, with 是否开工, 开工日期, 本年完成投资 and 存在问题 to
//! fill. The tables satisfy CONTRACT.md sections 5 and 11 as written, so a
//! template saved by any office software still reads.

mod live;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, ProtectionOptions,
    Workbook, Worksheet, XlsxError,
};

use crate::files::{OutputError, prepare_dir, sha256_file, unmake, write_atomic};
use crate::model::period::{date_cn, span_cn};
use crate::model::value::percent;
use crate::model::vocabulary::{
    BLOCKER_HEADER, Column, EXPECTED_HEADER, INVESTMENT_HEADER, PROJECT_NAME_HEADER,
    STARTED_HEADER, STARTED_ON_HEADER, Vocabulary, meta,
};
use crate::model::{IndicatorId, Period, ProjectId, UnitId};
use crate::plan::{Plan, read_plan};
use crate::xlsx::style::{HEADER_FILL, INPUT_FILL, expected_format, number_format};
use crate::xlsx::{excel_date, new_workbook, print_a4_landscape, text};

/// Settings of `tally template`.
#[derive(Debug, Clone)]
pub struct TemplateOptions {
    /// Protect the sheet with this password (none: protected without one).
    pub password: Option<String>,
    /// Who to ask, printed on the instructions sheet.
    pub contact: Option<String>,
    /// Who sends the template (`[org] name`).
    pub org: String,
    /// The header words to write: the bureau's first word of each column
    /// (`[words]`), else the standard one.
    pub words: Vocabulary,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            password: None,
            contact: None,
            org: crate::config::DEFAULT_ORG.to_string(),
            words: Vocabulary::default(),
        }
    }
}

/// Values put into a template the way a unit fills it: used by the tests
/// and the samples to check the round trip.
#[derive(Debug, Clone, Default)]
pub struct Filled {
    /// 本年累计 by indicator.
    pub values: HashMap<IndicatorId, f64>,
    /// The project columns by project.
    pub projects: HashMap<ProjectId, FilledProject>,
}

/// A project's row as a unit fills it.
#[derive(Debug, Clone, PartialEq)]
pub struct FilledProject {
    pub started: bool,
    pub started_on: Option<NaiveDate>,
    pub investment: f64,
    pub blocker: String,
}

/// Why templates could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Writes one template per unit of the plan into `out`; returns the paths.
///
/// # Errors
///
/// [`TemplateError`] when the plan is refused or a file cannot be written;
/// the folders made for `out` are then taken back (only while empty).
pub fn write_templates(
    plan_path: &Path,
    period: Period,
    out: &Path,
    options: &TemplateOptions,
) -> Result<Vec<PathBuf>, TemplateError> {
    let mut made = Vec::new();
    // A panic (a bug) is taken back like an error, then goes on up.
    let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prepare_dir(out, &mut made)
            .map_err(TemplateError::from)
            .and_then(|()| write_into(plan_path, period, out, options))
    }));
    match written {
        Ok(Ok(paths)) => Ok(paths),
        Ok(Err(e)) => {
            unmake(&made);
            Err(e)
        }
        Err(panic) => {
            unmake(&made);
            std::panic::resume_unwind(panic)
        }
    }
}

/// [`write_templates`] into a folder that is ready.
fn write_into(
    plan_path: &Path,
    period: Period,
    out: &Path,
    options: &TemplateOptions,
) -> Result<Vec<PathBuf>, TemplateError> {
    let plan = read_plan(plan_path)?;
    let fingerprint = sha256_file(plan_path).unwrap_or_default();
    let names = plan.unit_file_names();
    // Independent workbooks: one per unit, built on every core.
    let units: Vec<(UnitId, &String)> = names.iter_enumerated().collect();
    let written: Vec<Result<PathBuf, OutputError>> = units
        .par_iter()
        .map(|&(u, name)| {
            let path = out.join(name);
            let bytes =
                crate::xlsx::build(|| unit_template(&plan, &fingerprint, period, u, options, None))
                    .map_err(|e| OutputError::other(&path, e))?;
            write_atomic(&path, &bytes)?;
            Ok(path)
        })
        .collect();
    // Every unit is tried; the first that failed, in the plan's order, is
    // the one reported, whichever core met it first.
    Ok(written.into_iter().collect::<Result<_, _>>()?)
}

/// One unit's template. `filled` puts values into the input cells, as a
/// unit would: used to test the round trip.
///
/// # Errors
///
/// [`XlsxError`] from rust_xlsxwriter, which a valid plan does not cause.
pub fn unit_template(
    plan: &Plan,
    fingerprint: &str,
    period: Period,
    u: UnitId,
    options: &TemplateOptions,
    filled: Option<&Filled>,
) -> Result<Vec<u8>, XlsxError> {
    let unit = &plan.units[u].name;
    let title = format!("{unit}{}重点工作任务完成情况", period.label());
    let mut wb = new_workbook(period, &title, &options.org)?;
    let cells = live::Cells {
        col: ACTUAL_COL,
        rows: (REPORT_HEAD + 1..)
            .zip(plan.required(u))
            .map(|(r, i)| (i, r))
            .collect(),
    };
    let rules = live::rules_of(plan, u, &cells);
    let t = ForUnit {
        plan,
        period,
        u,
        options,
        filled,
        rule_messages: live::messages(&rules),
        cells,
        rules,
    };
    instructions(&mut wb, &t, &title)?;
    report_sheet(&mut wb, &t, &title)?;
    if !plan.projects_of(u).is_empty() {
        project_sheet(&mut wb, &t)?;
    }
    identity_sheet(&mut wb, unit, period, fingerprint)?;
    wb.save_to_buffer()
}

/// What one unit's template is made from.
struct ForUnit<'a> {
    plan: &'a Plan,
    period: Period,
    u: UnitId,
    options: &'a TemplateOptions,
    /// Values put in as a unit would (tests and samples).
    filled: Option<&'a Filled>,
    /// Where the 本年累计 cells are, and the unit's rules over them.
    cells: live::Cells,
    rules: Vec<live::Live<'a>>,
    /// Per indicator, the rules its cell's input message names.
    rule_messages: HashMap<IndicatorId, Vec<String>>,
}

/// The header row of the 报表 sheet (zero-based), and the column of
/// 本年累计.
const REPORT_HEAD: u32 = 3;
const ACTUAL_COL: u16 = 5;

/// 填报说明: what to fill, by when, and whom to ask.
fn instructions(wb: &mut Workbook, t: &ForUnit<'_>, title: &str) -> Result<(), XlsxError> {
    let ForUnit {
        plan,
        period,
        u,
        options,
        ..
    } = *t;
    let help = wb.add_worksheet();
    let rules = &t.rules;
    help.set_name("填报说明")?;
    help.set_column_width(0, HELP_WIDTH)?;
    let bold = Format::new().set_bold().set_font_size(14).set_text_wrap();
    help.write_string_with_format(0, 0, format!("{title} 填报说明"), &bold)?;
    help.set_row_height(0, 24)?;
    let contact = options
        .contact
        .clone()
        .unwrap_or_else(|| options.org.clone());
    let actual = options.words.header(Column::Actual);
    let note = options.words.header(Column::Note);
    let mut lines = vec![
        format!(
            "1. 请在“报表”工作表中填写{}的累计数（{actual}），不是当月数。",
            span_cn(period.year_start(), period.end_date())
        ),
        format!(
            "2. 只能填写黄色单元格：{actual}、{note}、填报日期、填表人和联系电话；其他单元格已锁定。"
        ),
        format!("3. {actual}只填数字，单位见“计量单位”列；没有进展请填 0。百分比可填 72% 或 72。"),
        format!("4. {actual}低于“时间进度应完成”的任务，请在“{note}”中写明原因。"),
        "5. 不要增删行、修改指标代码或年度目标；年度目标以县里下达的计划为准。".to_string(),
        format!(
            "6. 请于 {} 前报送本文件（可另存为 .xlsx、.xls 或 .ods，不要改成图片或 PDF）。",
            date_cn(period.due_date())
        ),
        format!("7. 如有疑问请联系：{contact}。"),
    ];
    if !plan.projects_of(u).is_empty() {
        lines.push(format!("{}. “重点项目”工作表：逐个项目填写是否开工（是/否）、开工日期、本年完成投资（万元）；未开工或进度滞后的，请在“存在问题”中写明原因（如土地、环评、资金）。", lines.len() + 1));
    }
    if !rules.is_empty() {
        let later = if rules.iter().any(|l| l.violated.is_none()) {
            format!("；标明“报送后检查”的，由{}收到报表后检查", options.org)
        } else {
            String::new()
        };
        lines.push(format!(
            "{}. 县里规定的数据关系如下，请填报后核对；填写时不符合的单元格会变为橙色{later}：",
            lines.len() + 1,
        ));
        for l in rules {
            let when = if l.violated.is_none() {
                "（报送后检查）"
            } else {
                ""
            };
            lines.push(format!(
                "　　{} {}：{}{when}",
                l.rule.id,
                l.rule.description,
                l.rule.formula(plan)
            ));
        }
    }
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (k, l) in lines.iter().enumerate() {
        let row = k as u32 + 2;
        help.write_string_with_format(row, 0, l, &wrap)?;
        help.set_row_height(row, text::row_height(text::wrapped_lines(l, HELP_WIDTH)))?;
    }
    help.write_string(lines.len() as u32 + 3, 0, &options.org)?;
    // Everything on one page.
    print_a4_landscape(help);
    help.set_print_fit_to_pages(1, 1);
    Ok(())
}

/// The width of the instructions' one column: a landscape page.
const HELP_WIDTH: f64 = 110.0;

/// The header row at `head` as tall as its longest wrapped header.
fn header_row(
    ws: &mut Worksheet,
    head: u32,
    names: &[&str],
    widths: &[f64],
    f: &Formats,
) -> Result<(), XlsxError> {
    let mut lines = 1;
    for (c, (n, w)) in names.iter().zip(widths).enumerate() {
        ws.write_string_with_format(head, c as u16, *n, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
        lines = lines.max(text::wrapped_lines(n, *w));
    }
    ws.set_row_height(head, text::row_height(lines))?;
    Ok(())
}

/// Column widths of the 报表 sheet.
const REPORT_WIDTHS: [f64; 7] = [10.0, 36.0, 10.0, 12.0, 14.0, 14.0, 36.0];

/// The indicator table's headers, in the submission format's words (the
/// bureau's own where it has them).
fn report_headers(words: &Vocabulary) -> [&str; 7] {
    [
        words.header(Column::Code),
        words.header(Column::Name),
        words.header(Column::Uom),
        words.header(Column::Target),
        EXPECTED_HEADER,
        words.header(Column::Actual),
        words.header(Column::Note),
    ]
}

/// 报表: title, 填报单位 and 填报日期, then one row per indicator the unit
/// reports with its target and the value expected to date; only 本年累计,
/// the note and 填报日期 are open.
fn report_sheet(wb: &mut Workbook, t: &ForUnit<'_>, title: &str) -> Result<(), XlsxError> {
    let ForUnit {
        plan,
        period,
        u,
        options,
        ..
    } = *t;
    let unit = &plan.units[u].name;
    let ws = wb.add_worksheet();
    ws.set_name("报表")?;
    ws.set_active(true);
    let f = Formats::new();
    ws.merge_range(0, 0, 0, 6, title, &f.big)?;
    let words = &options.words;
    ws.write_string(1, 0, format!("{}：{unit}", words.unit_label()))?;
    ws.write_string(1, 4, format!("{}：", words.date_label()))?;
    ws.write_blank(1, 5, &f.input.clone().set_num_format("yyyy-mm-dd"))?;
    ws.write_string(
        2,
        0,
        format!(
            "期别：{}（{period}），填写{}的累计数；时间进度 {}",
            period.label(),
            span_cn(period.year_start(), period.end_date()),
            percent(period.elapsed())
        ),
    )?;
    let head = REPORT_HEAD;
    header_row(ws, head, &report_headers(words), &REPORT_WIDTHS, &f)?;
    let required = plan.required(u);
    for (row, &i) in (head + 1..).zip(&required) {
        indicator_row(ws, t, i, row, &f)?;
        // Room to write a reason by hand on a printed form.
        ws.set_row_height(row, 22)?;
    }
    let last = head + required.len() as u32;
    live::add_formats(ws, &t.cells, &t.rules)?;
    // Who filled it in, and how to reach them: typed by the unit.
    ws.write_string(last + 2, 0, "填表人：")?;
    ws.write_blank(last + 2, 1, &f.input)?;
    ws.write_string(last + 2, 3, "联系电话：")?;
    ws.write_blank(last + 2, 4, &f.input)?;
    ws.set_freeze_panes(head + 1, 0)?;
    print_and_protect(ws, head, options)
}

/// One indicator's row of the 报表 sheet, its 本年累计 cell validated.
fn indicator_row(
    ws: &mut Worksheet,
    t: &ForUnit<'_>,
    i: IndicatorId,
    row: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    let ForUnit {
        plan,
        period,
        u,
        filled,
        ..
    } = *t;
    let ind = &plan.indicators[i];
    let fmt = f.border.clone().set_num_format(number_format(&ind.uom));
    ws.write_string_with_format(row, 0, &ind.code, &f.border)?;
    // A ratio's part says which ratio it serves.
    let ratio_of_part = plan
        .targets_of(u)
        .filter_map(|t| {
            let r = plan.indicators[t.indicator].ratio_of?;
            r.parts()
                .contains(&i)
                .then(|| plan.indicators[t.indicator].name.as_str())
        })
        .last();
    let name = match (ratio_of_part, plan.target(Some(u), i)) {
        (Some(ratio), None) => format!("{}（用于计算{ratio}）", ind.name),
        _ => ind.name.clone(),
    };
    ws.write_string_with_format(row, 1, &name, &f.border)?;
    ws.write_string_with_format(row, 2, &ind.uom, &f.border)?;
    match plan.target(Some(u), i) {
        Some(t) => {
            ws.write_number_with_format(row, 3, t.goal.target, &fmt)?;
            let expected = t.goal.expected(period.elapsed());
            // A ceiling's is the most it may reach: ≤1.00, not 1 due.
            let efmt = f
                .border
                .clone()
                .set_num_format(expected_format(&ind.uom, ind.direction));
            ws.write_number_with_format(row, 4, expected, &efmt)?;
        }
        None => {
            ws.write_blank(row, 3, &f.border)?;
            ws.write_blank(row, 4, &f.border)?;
        }
    }
    let value_fmt = f.input.clone().set_num_format(number_format(&ind.uom));
    match filled.and_then(|x| x.values.get(&i)) {
        Some(v) => ws.write_number_with_format(row, ACTUAL_COL, *v, &value_fmt)?,
        None => ws.write_blank(row, ACTUAL_COL, &value_fmt)?,
    };
    ws.write_blank(row, 6, &f.input)?;
    let rules = t.rule_messages.get(&i).map_or(&[][..], Vec::as_slice);
    let validation = value_validation(ind, rules)?;
    ws.add_data_validation(row, ACTUAL_COL, row, ACTUAL_COL, &validation)?;
    Ok(())
}

/// What a 本年累计 cell accepts: a number ≥ 0 (and up to the indicator's
/// max), with an input message saying what to type.
fn value_validation(
    ind: &crate::plan::Indicator,
    rules: &[String],
) -> Result<DataValidation, XlsxError> {
    let rule = match (ind.is_percent(), ind.max) {
        // Percentages may be typed 72 or 72%: only the floor applies.
        (true, _) | (false, None) => {
            DataValidationRule::GreaterThanOrEqualTo(ind.min.unwrap_or(0.0).max(0.0))
        }
        (false, Some(max)) => DataValidationRule::Between(ind.min.unwrap_or(0.0).max(0.0), max),
    };
    let clip = |s: String, n: usize| s.chars().take(n).collect::<String>();
    DataValidation::new()
        .allow_decimal_number(rule)
        .set_input_title(clip(ind.code.clone(), 32))?
        .set_input_message(clip(
            format!(
                "填写{}的本年累计数（{}），只填数字{}",
                ind.name,
                ind.uom,
                rules
                    .iter()
                    .map(|r| format!("\n须符合：{r}"))
                    .collect::<String>()
            ),
            250,
        ))?
        .set_error_title("数值无效")?
        .set_error_message(clip(format!("请填写不小于 0 的数字（{}）", ind.uom), 250))
}

/// The very hidden sheet recording whose template this is.
fn identity_sheet(
    wb: &mut Workbook,
    unit: &str,
    period: Period,
    fingerprint: &str,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(meta::SHEET)?;
    let period_code = period.to_string();
    for (r, (k, v)) in [
        (meta::UNIT, unit),
        (meta::PERIOD, period_code.as_str()),
        (meta::PLAN_SHA256, fingerprint),
        (meta::VERSION, env!("CARGO_PKG_VERSION")),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(r as u32, 0, *k)?;
        ws.write_string(r as u32, 1, *v)?;
    }
    ws.set_very_hidden(true);
    Ok(())
}

/// The project table's headers, in the submission format's words where
/// the reader needs them.
const PROJECT_HEADERS: [&str; 9] = [
    PROJECT_NAME_HEADER,
    "项目类型",
    "总投资\n（万元）",
    "年度计划投资\n（万元）",
    "计划开工日期",
    STARTED_HEADER,
    STARTED_ON_HEADER,
    INVESTMENT_HEADER,
    BLOCKER_HEADER,
];

/// Column widths of the 重点项目 sheet.
const PROJECT_WIDTHS: [f64; 9] = [30.0, 8.0, 12.0, 12.0, 12.0, 8.0, 12.0, 12.0, 36.0];

/// The 重点项目 sheet: one row per project of the unit, the plan's columns
/// locked, the four the unit reports open and validated.
fn project_sheet(wb: &mut Workbook, t: &ForUnit<'_>) -> Result<(), XlsxError> {
    let ForUnit {
        plan,
        period,
        u,
        options,
        filled,
        ..
    } = *t;
    let unit = &plan.units[u].name;
    let ws = wb.add_worksheet();
    ws.set_name("重点项目")?;
    let f = Formats::new();
    ws.merge_range(
        0,
        0,
        0,
        8,
        &format!("{unit}{}重点项目推进情况", period.label()),
        &f.big,
    )?;
    ws.write_string(1, 0, format!("{}：{unit}", options.words.unit_label()))?;
    ws.write_string(
        2,
        0,
        "是否开工填“是”或“否”；已开工的填写开工日期和本年完成投资（万元）；未开工或滞后的请在“存在问题”中写明原因（土地、环评、资金等）。",
    )?;
    let head = 3;
    header_row(ws, head, &PROJECT_HEADERS, &PROJECT_WIDTHS, &f)?;
    let mine = plan.projects_of(u);
    for (row, &p) in (head + 1..).zip(mine) {
        project_row(
            ws,
            plan,
            p,
            row,
            &f,
            filled.and_then(|x| x.projects.get(&p)),
        )?;
    }
    if !mine.is_empty() {
        project_validations(ws, period, head + 1, head + mine.len() as u32)?;
    }
    ws.set_freeze_panes(head + 1, 1)?;
    print_and_protect(ws, head, options)
}

/// One project's row: the plan's columns locked, the unit's four open.
fn project_row(
    ws: &mut Worksheet,
    plan: &Plan,
    p: ProjectId,
    row: u32,
    f: &Formats,
    fill: Option<&FilledProject>,
) -> Result<(), XlsxError> {
    let project = &plan.projects[p];
    let date = f.border.clone().set_num_format("yyyy-mm-dd");
    let date_input = f.input.clone().set_num_format("yyyy-mm-dd");
    let money = f.border.clone().set_num_format("#,##0.0");
    let money_input = f.input.clone().set_num_format("#,##0.0");
    ws.write_string_with_format(row, 0, &project.name, &f.border)?;
    ws.write_string_with_format(row, 1, project.kind.label(), &f.border)?;
    for (c, v) in [
        (2, project.total_investment),
        (3, project.planned_investment),
    ] {
        match v {
            Some(v) => ws.write_number_with_format(row, c, v, &money)?,
            None => ws.write_blank(row, c, &f.border)?,
        };
    }
    match project.start_by {
        Some(d) => ws.write_datetime_with_format(row, 4, excel_date(d)?, &date)?,
        None => ws.write_blank(row, 4, &f.border)?,
    };
    match fill {
        Some(x) => {
            ws.write_string_with_format(row, 5, if x.started { "是" } else { "否" }, &f.input)?;
            match x.started_on {
                Some(d) => ws.write_datetime_with_format(row, 6, excel_date(d)?, &date_input)?,
                None => ws.write_blank(row, 6, &date_input)?,
            };
            ws.write_number_with_format(row, 7, x.investment, &money_input)?;
            ws.write_string_with_format(row, 8, &x.blocker, &f.input)?;
        }
        None => {
            ws.write_blank(row, 5, &f.input)?;
            ws.write_blank(row, 6, &date_input)?;
            ws.write_blank(row, 7, &money_input)?;
            ws.write_blank(row, 8, &f.input)?;
        }
    }
    Ok(())
}

/// What the unit's project cells accept: 是/否, a date within the year or
/// the thirty before it, and an amount ≥ 0.
fn project_validations(
    ws: &mut Worksheet,
    period: Period,
    top: u32,
    bottom: u32,
) -> Result<(), XlsxError> {
    let year = period.end_date().year();
    let (first, last) = (
        excel_date(NaiveDate::from_ymd_opt(year - 30, 1, 1).unwrap_or_default())?,
        excel_date(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default())?,
    );
    let started = DataValidation::new()
        .allow_list_strings(&["是", "否"])?
        .set_input_title("是否开工")?
        .set_input_message("已开工（含续建项目复工）填“是”，未开工填“否”")?;
    ws.add_data_validation(top, 5, bottom, 5, &started)?;
    let when = DataValidation::new()
        .allow_date(DataValidationRule::Between(first, last))
        .set_input_title("开工日期")?
        .set_input_message("已开工的填写实际开工日期，如 2022-03-15；未开工的留空")?
        .set_error_message("请填写日期，如 2022-03-15")?;
    ws.add_data_validation(top, 6, bottom, 6, &when)?;
    let amount = DataValidation::new()
        .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
        .set_input_title("本年完成投资")?
        .set_input_message("填写本年1月1日以来完成的投资（万元），只填数字")?
        .set_error_message("请填写不小于 0 的数字（万元）")?;
    ws.add_data_validation(top, 7, bottom, 7, &amount)?;
    Ok(())
}

/// The cell formats both input sheets use.
struct Formats {
    border: Format,
    header: Format,
    /// Unlocked and yellow: where the unit types.
    input: Format,
    big: Format,
}

impl Formats {
    fn new() -> Formats {
        let border = Format::new().set_border(FormatBorder::Thin);
        Formats {
            header: border
                .clone()
                .set_bold()
                .set_background_color(HEADER_FILL)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            input: border
                .clone()
                .set_unlocked()
                .set_background_color(INPUT_FILL),
            big: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center),
            border,
        }
    }
}

/// A4 landscape, one page wide, the header row `head` repeated; protected
/// (with the configured password, if any) so that only input cells change,
/// while rows and columns may still be resized.
fn print_and_protect(
    ws: &mut Worksheet,
    head: u32,
    options: &TemplateOptions,
) -> Result<(), XlsxError> {
    print_a4_landscape(ws);
    ws.set_footer("&C第 &P 页，共 &N 页");
    ws.set_repeat_rows(head, head)?;
    match &options.password {
        Some(p) => ws.protect_with_password(p),
        None => ws.protect(),
    };
    ws.protect_with_options(&ProtectionOptions {
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::default()
    });
    Ok(())
}
