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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder,
    ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use sha2::{Digest, Sha256};

use crate::ingest::hex;
use crate::period::Period;
use crate::plan::{Plan, read_plan};
use crate::report::feedback::{REMINDER_DAYS, file_names};
use crate::report::output::{OutputError, prepare_dir, write_atomic};
use crate::report::workbook::{derived_format, excel_date, new_workbook, number_format};

/// The name of the very hidden sheet holding the template's identity.
pub const META_SHEET: &str = "_tally";

/// Settings of `tally template`.
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    /// Protect the sheet with this password (none: protected without one).
    pub password: Option<String>,
    /// Who to ask, printed on the instructions sheet.
    pub contact: Option<String>,
}

/// Values put into a template the way a unit fills it: used by the tests
/// and the samples to check the round trip.
#[derive(Debug, Clone, Default)]
pub struct Filled {
    /// 本年累计 by indicator index.
    pub values: HashMap<usize, f64>,
    /// The project columns by project index.
    pub projects: HashMap<usize, FilledProject>,
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
    #[error("{0}")]
    Plan(#[from] crate::plan::PlanError),
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("无法生成模板：{0}")]
    Workbook(#[from] XlsxError),
}

/// Writes one template per unit of the plan into `out`; returns the paths.
///
/// # Errors
///
/// [`TemplateError`] when the plan is refused or a file cannot be written.
pub fn write_templates(
    plan_path: &Path,
    period: Period,
    out: &Path,
    options: &TemplateOptions,
) -> Result<Vec<PathBuf>, TemplateError> {
    prepare_dir(out)?;
    let plan = read_plan(plan_path)?;
    let fingerprint = std::fs::read(plan_path)
        .map(|b| hex(&Sha256::digest(&b)))
        .unwrap_or_default();
    let mut written = Vec::new();
    for (u, name) in file_names(&plan).iter().enumerate() {
        let bytes = unit_template(&plan, &fingerprint, period, u, options, None)?;
        let path = out.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
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
    u: usize,
    options: &TemplateOptions,
    filled: Option<&Filled>,
) -> Result<Vec<u8>, XlsxError> {
    let unit = &plan.units[u].name;
    let end = period.end_date();
    let deadline = end + Duration::days(REMINDER_DAYS);
    let title = format!("{unit}{}重点工作任务完成情况", period.label());
    let mut wb = new_workbook(period, &title)?;

    let help = wb.add_worksheet();
    help.set_name("填报说明")?;
    help.set_column_width(0, 100)?;
    let bold = Format::new().set_bold().set_font_size(14);
    help.write_string_with_format(0, 0, format!("{title} 填报说明"), &bold)?;
    let contact = options
        .contact
        .clone()
        .unwrap_or_else(|| "县统计局".to_string());
    let lines = [
        format!(
            "1. 请在“报表”工作表中填写 {} 1月1日至{}的累计数（本年累计），不是当月数。",
            end.year(),
            end
        ),
        "2. 只能填写黄色单元格：本年累计、备注/滞后原因、填报日期；其他单元格已锁定。".to_string(),
        "3. 本年累计只填数字，单位见“计量单位”列；没有进展请填 0。百分比可填 72% 或 72。"
            .to_string(),
        "4. 本年累计低于“时间进度应完成”的任务，请在“备注/滞后原因”中写明原因。".to_string(),
        "5. 不要增删行、修改指标代码或年度目标；年度目标以县里下达的计划为准。".to_string(),
        format!(
            "6. 请于 {deadline} 前报送本文件（可另存为 .xlsx、.xls 或 .ods，不要改成图片或 PDF）。"
        ),
        format!("7. 如有疑问请联系：{contact}。"),
    ];
    let projects_line = "8. “重点项目”工作表：逐个项目填写是否开工（是/否）、开工日期、本年完成投资（万元）；未开工或进度滞后的，请在“存在问题”中写明原因（如土地、环评、资金）。";
    let lines: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .chain((!plan.projects_of(u).is_empty()).then_some(projects_line))
        .collect();
    for (k, l) in lines.iter().enumerate() {
        help.write_string(k as u32 + 2, 0, *l)?;
    }

    let ws = wb.add_worksheet();
    ws.set_name("报表")?;
    ws.set_active(true);
    let Formats {
        border,
        header,
        input,
        big,
    } = Formats::new();
    ws.merge_range(0, 0, 0, 6, &title, &big)?;
    ws.write_string(1, 0, format!("填报单位：{unit}"))?;
    ws.write_string(1, 4, "填报日期：")?;
    let date_input = input.clone().set_num_format("yyyy-mm-dd");
    ws.write_blank(1, 5, &date_input)?;
    ws.write_string(
        2,
        0,
        format!(
            "期别：{}（{period}），填写1月1日至{end}的累计数；时间进度 {:.1}%",
            period.label(),
            period.elapsed() * 100.0
        ),
    )?;
    let head = 3;
    let names = [
        "指标代码",
        "指标名称",
        "计量单位",
        "年度目标",
        "时间进度应完成",
        "本年累计",
        "备注/滞后原因",
    ];
    for (c, n) in names.iter().enumerate() {
        ws.write_string_with_format(head, c as u16, *n, &header)?;
    }
    let required = plan.required(u);
    // Which ratio a part serves, to say so on its row.
    let mut part_of: HashMap<usize, &str> = HashMap::new();
    for t in plan.targets_of(u) {
        if let Some((n, d)) = plan.indicators[t.indicator].ratio_of {
            part_of.insert(n, &plan.indicators[t.indicator].name);
            part_of.insert(d, &plan.indicators[t.indicator].name);
        }
    }
    for (k, &i) in required.iter().enumerate() {
        let row = head + 1 + k as u32;
        let ind = &plan.indicators[i];
        let fmt = border.clone().set_num_format(number_format(&ind.uom));
        ws.write_string_with_format(row, 0, &ind.code, &border)?;
        let name = match (part_of.get(&i), plan.target(Some(u), i)) {
            (Some(ratio), None) => format!("{}（用于计算{ratio}）", ind.name),
            _ => ind.name.clone(),
        };
        ws.write_string_with_format(row, 1, &name, &border)?;
        ws.write_string_with_format(row, 2, &ind.uom, &border)?;
        match plan.target(Some(u), i) {
            Some(t) => {
                ws.write_number_with_format(row, 3, t.goal.target, &fmt)?;
                let expected = t.goal.expected(period.elapsed());
                let efmt = border.clone().set_num_format(derived_format(&ind.uom));
                ws.write_number_with_format(row, 4, expected, &efmt)?;
            }
            None => {
                ws.write_blank(row, 3, &border)?;
                ws.write_blank(row, 4, &border)?;
            }
        }
        let value_fmt = input.clone().set_num_format(number_format(&ind.uom));
        match filled.and_then(|f| f.values.get(&i)) {
            Some(v) => ws.write_number_with_format(row, 5, *v, &value_fmt)?,
            None => ws.write_blank(row, 5, &value_fmt)?,
        };
        ws.write_blank(row, 6, &input)?;
        let rule = match (ind.is_percent(), ind.max) {
            // Percentages may be typed 72 or 72%: only the floor applies.
            (true, _) | (false, None) => {
                DataValidationRule::GreaterThanOrEqualTo(ind.min.unwrap_or(0.0).max(0.0))
            }
            (false, Some(max)) => DataValidationRule::Between(ind.min.unwrap_or(0.0).max(0.0), max),
        };
        let validation = DataValidation::new()
            .allow_decimal_number(rule)
            .set_input_title(ind.code.chars().take(32).collect::<String>())?
            .set_input_message(
                format!("填写{}的本年累计数（{}），只填数字", ind.name, ind.uom)
                    .chars()
                    .take(250)
                    .collect::<String>(),
            )?
            .set_error_title("数值无效")?
            .set_error_message(
                format!("请填写不小于 0 的数字（{}）", ind.uom)
                    .chars()
                    .take(250)
                    .collect::<String>(),
            )?;
        ws.add_data_validation(row, 5, row, 5, &validation)?;
    }
    let last = head + required.len() as u32;
    ws.write_string(last + 2, 0, "填表人：")?;
    ws.write_string(last + 2, 3, "联系电话：")?;
    for (c, w) in [10.0, 36.0, 10.0, 12.0, 14.0, 14.0, 36.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(head + 1, 0)?;
    print_and_protect(ws, head, options)?;

    if !plan.projects_of(u).is_empty() {
        project_sheet(&mut wb, plan, period, u, options, filled)?;
    }

    let meta = wb.add_worksheet();
    meta.set_name(META_SHEET)?;
    let period_code = period.to_string();
    for (r, (k, v)) in [
        ("unit", unit.as_str()),
        ("period", period_code.as_str()),
        ("plan_sha256", fingerprint),
        ("tally_version", env!("CARGO_PKG_VERSION")),
    ]
    .iter()
    .enumerate()
    {
        meta.write_string(r as u32, 0, *k)?;
        meta.write_string(r as u32, 1, *v)?;
    }
    meta.set_very_hidden(true);
    wb.save_to_buffer()
}

/// The 重点项目 sheet: one row per project of the unit, the plan's columns
/// locked, the four the unit reports open and validated.
fn project_sheet(
    wb: &mut Workbook,
    plan: &Plan,
    period: Period,
    u: usize,
    options: &TemplateOptions,
    filled: Option<&Filled>,
) -> Result<(), XlsxError> {
    let unit = &plan.units[u].name;
    let ws = wb.add_worksheet();
    ws.set_name("重点项目")?;
    let Formats {
        border,
        header,
        input,
        big,
    } = Formats::new();
    let date = border.clone().set_num_format("yyyy-mm-dd");
    let date_input = input.clone().set_num_format("yyyy-mm-dd");
    let money = border.clone().set_num_format("#,##0.0");
    let money_input = input.clone().set_num_format("#,##0.0");
    ws.merge_range(
        0,
        0,
        0,
        8,
        &format!("{unit}{}重点项目推进情况", period.label()),
        &big,
    )?;
    ws.write_string(1, 0, format!("填报单位：{unit}"))?;
    ws.write_string(
        2,
        0,
        "是否开工填“是”或“否”；已开工的填写开工日期和本年完成投资（万元）；未开工或滞后的请在“存在问题”中写明原因（土地、环评、资金等）。",
    )?;
    let head = 3;
    let names = [
        "项目名称",
        "项目类型",
        "总投资（万元）",
        "年度计划投资（万元）",
        "计划开工日期",
        "是否开工",
        "开工日期",
        "本年完成投资（万元）",
        "存在问题",
    ];
    for (c, n) in names.iter().enumerate() {
        ws.write_string_with_format(head, c as u16, *n, &header)?;
    }
    let year = period.end_date().year();
    let (first, last) = (
        excel_date(NaiveDate::from_ymd_opt(year - 30, 1, 1).unwrap_or_default())?,
        excel_date(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default())?,
    );
    let mine = plan.projects_of(u);
    for (k, &p) in mine.iter().enumerate() {
        let row = head + 1 + k as u32;
        let project = &plan.projects[p];
        ws.write_string_with_format(row, 0, &project.name, &border)?;
        ws.write_string_with_format(row, 1, project.kind.label(), &border)?;
        for (c, v) in [
            (2, project.total_investment),
            (3, project.planned_investment),
        ] {
            match v {
                Some(v) => ws.write_number_with_format(row, c, v, &money)?,
                None => ws.write_blank(row, c, &border)?,
            };
        }
        match project.start_by {
            Some(d) => ws.write_datetime_with_format(row, 4, excel_date(d)?, &date)?,
            None => ws.write_blank(row, 4, &border)?,
        };
        let fill = filled.and_then(|f| f.projects.get(&p));
        match fill {
            Some(f) => {
                ws.write_string_with_format(row, 5, if f.started { "是" } else { "否" }, &input)?;
                match f.started_on {
                    Some(d) => {
                        ws.write_datetime_with_format(row, 6, excel_date(d)?, &date_input)?
                    }
                    None => ws.write_blank(row, 6, &date_input)?,
                };
                ws.write_number_with_format(row, 7, f.investment, &money_input)?;
                ws.write_string_with_format(row, 8, &f.blocker, &input)?;
            }
            None => {
                ws.write_blank(row, 5, &input)?;
                ws.write_blank(row, 6, &date_input)?;
                ws.write_blank(row, 7, &money_input)?;
                ws.write_blank(row, 8, &input)?;
            }
        }
    }
    if !mine.is_empty() {
        let (top, bottom) = (head + 1, head + mine.len() as u32);
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
    }
    for (c, w) in [30.0, 8.0, 12.0, 12.0, 12.0, 8.0, 12.0, 12.0, 36.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(head + 1, 1)?;
    print_and_protect(ws, head, options)
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
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            input: border
                .clone()
                .set_unlocked()
                .set_background_color(Color::RGB(0xFFF2CC)),
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
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
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
