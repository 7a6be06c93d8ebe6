//! The long lists: 明细 (every task, for pivot tables), 预警 (warnings,
//! red first), 报送情况 (every file), 校验问题 (every issue) and 趋势
//! (county completion per period of the year).

use chrono::NaiveDate;
use rust_xlsxwriter::{Chart, ChartType, Color, Workbook, XlsxError};
use rustc_hash::FxHashMap as HashMap;

use super::{DETAIL, ISSUES, SUBMISSIONS, TREND, WARNINGS, expected_and_variance, project_state};
use crate::aggregate::projects::ProjectRow;
use crate::aggregate::{Consolidation, UnitRow};
use crate::model::period::date_cn;
use crate::model::{IndicatorId, SubmissionStatus, UnitId, Warning};
use crate::plan::Plan;
use crate::report::alerts::{Subject, alerts};
use crate::store::TrendPoint;
use crate::validate::Checked;
use crate::xlsx::Sheet;
use crate::xlsx::style::{number_format, status_color, warning_color};

/// 明细: the long table, filterable, for pivot tables.
pub(super) fn detail(
    wb: &mut Workbook,
    plan: &Plan,
    c: &Consolidation,
    title: &str,
) -> Result<(), XlsxError> {
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
            // Among every unit with a value, departments included: the
            // score's rank above counts the unit's own kind only.
            "单项排名（全部单位）",
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
        expected_and_variance(&mut s, row, 7, ind, Some(r.expected), r.variance)?;
        s.filled(row, 9, r.status.label(), status_color(r.status))?;
        match r.warning {
            Some(w) => s.filled(row, 10, w.label(), warning_color(w))?,
            None => s.text(row, 10, "")?,
        }
        s.number(row, 11, r.rank.map(f64::from), "0")?;
        s.text(row, 12, r.note.as_deref().unwrap_or(""))?;
    }
    s.ws()?
        .autofilter(0, 0, c.by_unit.len().max(1) as u32, 12)?;
    s.finish()
}

/// 预警: every warning (blue ones too) in reading order: red tasks,
/// overdue key projects, yellow, blue.
pub(super) fn warnings(
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
            "指标或项目",
            "计量单位",
            "年度目标",
            "本年累计",
            "时间进度应完成",
            "差额",
            "完成率",
            "状态",
            "滞后原因或存在问题",
        ],
    )?;
    for (row, a) in (1..).zip(alerts(plan, c, Warning::Blue)) {
        s.filled(row, 0, a.warning.label(), warning_color(a.warning))?;
        s.text(row, 1, &plan.units[a.unit].name)?;
        match a.subject {
            Subject::Task(r) => task_values(&mut s, plan, r, row)?,
            Subject::Project(r) => project_values(&mut s, plan, r, row)?,
        }
        s.wrapped(row, 10, a.reason_shown(), 32.0)?;
    }
    s.finish()
}

fn task_values(s: &mut Sheet<'_>, plan: &Plan, r: &UnitRow, row: u32) -> Result<(), XlsxError> {
    let ind = &plan.indicators[r.indicator];
    let fmt = number_format(&ind.uom);
    s.wrapped(row, 2, &ind.name, 24.0)?;
    s.text(row, 3, &ind.uom)?;
    s.number(row, 4, Some(r.target), fmt)?;
    s.number(row, 5, r.actual, fmt)?;
    expected_and_variance(s, row, 6, ind, Some(r.expected), r.variance)?;
    s.number(row, 8, r.completion, "0.0%")?;
    s.filled(row, 9, r.status.label(), status_color(r.status))
}

/// An overdue project: its planned and completed investment.
fn project_values(
    s: &mut Sheet<'_>,
    plan: &Plan,
    r: &ProjectRow,
    row: u32,
) -> Result<(), XlsxError> {
    let p = &plan.projects[r.project];
    let by = p
        .start_by
        .map(|d| format!("（应于 {} 前开工）", date_cn(d)));
    let what = format!("重点项目“{}”逾期未开工{}", p.name, by.unwrap_or_default());
    s.wrapped(row, 2, &what, 24.0)?;
    s.text(row, 3, "万元")?;
    s.number(row, 4, p.planned_investment, "#,##0.0")?;
    s.number(row, 5, r.investment, "#,##0.0")?;
    s.number(row, 6, None, "#,##0.0")?;
    s.number(row, 7, None, "#,##0.0")?;
    s.number(row, 8, r.completion, "0.0%")?;
    let (state, fill) = project_state(r);
    s.filled(row, 9, state, fill)
}

/// 报送情况: every inbox file and every missing unit, each file's
/// 填报日期 against the period's due date (late filing is what the weekly
/// ranking of the speech calls out first).
pub(super) fn submissions(
    wb: &mut Workbook,
    checked: &Checked,
    changes: &HashMap<UnitId, Vec<String>>,
    due: NaiveDate,
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
            // Judged by the date the clerk typed: say so.
            "是否按时（按填报日期）",
            "错误",
            "警告",
            "SHA-256（文件指纹）",
            "与本期上次汇总相比的变化",
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
        s.text(row, 1, sub.unit.as_ref().map_or("", |u| u.name.as_str()))?;
        s.filled(row, 2, sub.status.label(), fill)?;
        s.text(
            row,
            3,
            &sub.reported_at.map(|d| d.to_string()).unwrap_or_default(),
        )?;
        let on_time = match (sub.status, sub.reported_at) {
            (SubmissionStatus::Missing, _) => "未报送".to_string(),
            (_, Some(d)) if d > due => format!("逾期 {} 天", (d - due).num_days()),
            (_, Some(_)) => "按时".to_string(),
            // A blank would read as on time.
            (_, None) => "（无填报日期）".to_string(),
        };
        s.text(row, 4, &on_time)?;
        s.number(row, 5, Some(sub.errors as f64), "0")?;
        s.number(row, 6, Some(sub.warnings as f64), "0")?;
        s.text(row, 7, sub.sha256.as_deref().unwrap_or(""))?;
        let changed = match (
            sub.status,
            sub.unit.as_ref().and_then(|u| changes.get(&u.id)),
        ) {
            (SubmissionStatus::Accepted | SubmissionStatus::Missing, Some(c)) => c.join("；"),
            _ => String::new(),
        };
        s.wrapped(row, 8, &changed, 40.0)?;
    }
    // A fingerprint is 64 characters: its column holds it whole.
    s.fit(7, 72.0);
    s.finish()
}

/// 趋势: each indicator's county completion per period of the year so far,
/// against time progress, with a line chart.
pub(super) fn trend(
    wb: &mut Workbook,
    plan: &Plan,
    points: &[TrendPoint],
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, TREND, title, false)?;
    let shown: Vec<IndicatorId> = plan
        .indicators
        .ids()
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
    if last < 2 {
        // A line needs two points: say when it will appear.
        s.ws()?.write_string(
            last + 2,
            0,
            "本年只有一期数据，从第二期起这里显示全县完成率与时间进度的趋势图。",
        )?;
    } else {
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
        s.ws()?.insert_chart(last + 2, 0, &chart)?;
    }
    s.finish()
}

/// 校验问题: every issue with its file, cell and sentence.
pub(super) fn issues(wb: &mut Workbook, checked: &Checked, title: &str) -> Result<(), XlsxError> {
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
            "问题类型",
            "说明",
        ],
    )?;
    for (k, i) in checked.issues.iter().enumerate() {
        let row = k as u32 + 1;
        s.text(row, 0, i.file.as_deref().unwrap_or(""))?;
        s.text(row, 1, i.unit.as_ref().map_or("", |u| u.name.as_str()))?;
        s.text(row, 2, i.sheet.as_deref().unwrap_or(""))?;
        s.text(row, 3, i.cell.as_deref().unwrap_or(""))?;
        s.text(row, 4, i.indicator_code.as_deref().unwrap_or(""))?;
        s.text(row, 5, i.severity.label())?;
        // In words: the code (missing_explanation) is for programs, in
        // issues.csv.
        s.text(row, 6, i.code.label())?;
        s.wrapped(row, 7, &i.message, 60.0)?;
    }
    s.ws()?
        .autofilter(0, 0, checked.issues.len().max(1) as u32, 7)?;
    s.finish()
}
