//! Per-unit feedback workbooks: `feedback/<unit>.xlsx` for every unit of
//! the plan, written by `tally run` (issue 4).
//!
//! A unit that reported sees its rows as tally read them, with status,
//! expected progress, rank and composite score, every problem value
//! highlighted with a note holding the issue sentence, and the list of what
//! to fix, and its key projects with the overdue ones in red. A unit whose
//! file was refused sees why; a unit that sent nothing gets a reminder.
//!
//! Every sheet here is written top to bottom and streamed
//! ([`Sheet::new`]): a thousand units' workbooks are saved without a
//! thread per sheet.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Note, Workbook, XlsxError};
use rustc_hash::FxHashMap as HashMap;

use crate::aggregate::projects::ProjectRow;
use crate::aggregate::{Consolidation, UnitRow};
use crate::files::{OutputError, write_atomic};
use crate::model::period::date_cn;
use crate::model::value::percent;
use crate::model::{Id, Issue, IssueCode, Severity, Status, SubmissionStatus, UnitId};
use crate::plan::Plan;
use crate::report::index::UnitIndex;
use crate::report::workbook::{date_text, project_state, started_text};
use crate::validate::{Checked, Submission};
use crate::xlsx::style::{
    NOTICE_FILL, PROBLEM_FILL, expected_format, number_format, status_color, warning_color,
};
use crate::xlsx::{Sheet, new_workbook, text};

/// Writes `DIR/feedback/<unit>.xlsx` for every unit; returns the paths.
///
/// # Errors
///
/// [`OutputError`] naming the file that could not be written.
pub fn write_all(
    dir: &Path,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    org: &str,
) -> Result<Vec<PathBuf>, OutputError> {
    let folder = dir.join("feedback");
    let names = plan.unit_file_names();
    let index = UnitIndex::new(plan, c, checked);
    // Independent small workbooks: one per unit, built on every core.
    let units: Vec<(UnitId, &String)> = names.iter_enumerated().collect();
    let written: Vec<Result<PathBuf, OutputError>> = units
        .par_iter()
        .map(|&(u, name)| {
            let path = folder.join(name);
            let bytes = crate::xlsx::build(|| unit_workbook(plan, c, &index, u, name, org))
                .map_err(|e| OutputError::other(&path, e))?;
            write_atomic(&path, &bytes)?;
            Ok(path)
        })
        .collect();
    // Every unit is tried; the first that failed, in the plan's order, is
    // the one reported, whichever core met it first.
    written.into_iter().collect()
}

/// One unit's feedback workbook, saved as `file_name`.
///
/// # Errors
///
/// [`XlsxError`] from rust_xlsxwriter, which valid data does not cause.
pub fn unit_workbook(
    plan: &Plan,
    c: &Consolidation,
    index: &UnitIndex<'_>,
    u: UnitId,
    file_name: &str,
    org: &str,
) -> Result<Vec<u8>, XlsxError> {
    let unit = &plan.units[u].name;
    let title = format!("{}{}报表反馈", unit, c.period.label());
    let mut wb = new_workbook(c.period, &title, org)?;
    let own = &index.issues[u];
    let projects: Vec<&ProjectRow> = plan
        .projects_of(u)
        .iter()
        .map(|&p| &c.projects.rows[p])
        .collect();
    let mut lines = summary_lines(plan, c, index, u, file_name, &projects);
    lines.push(format!(
        "{org}　　数据截至 {}",
        date_cn(c.period.end_date())
    ));
    indicator_sheet(&mut wb, plan, index, u, &title, &lines, org)?;
    if !projects.is_empty() {
        project_sheet(&mut wb, plan, own, &projects, &title, org)?;
    }
    // Errors first: what must be fixed before what should be looked at.
    let mut by_severity = own.clone();
    by_severity.sort_by_key(|i| i.severity);
    issue_list(&mut wb, &by_severity, &title)?;
    wb.save_to_buffer()
}

/// The sentences above the unit's table, what to do first: the errors to
/// fix and the date to resend by (or what to send), then what became of
/// its file, its score and rank within its kind, its key projects.
fn summary_lines(
    plan: &Plan,
    c: &Consolidation,
    index: &UnitIndex<'_>,
    u: UnitId,
    file_name: &str,
    projects: &[&ProjectRow],
) -> Vec<String> {
    let count = |s: Severity| index.issues[u].iter().filter(|i| i.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let mut lines: Vec<String> = Vec::new();
    match (index.accepted(u), index.status(u)) {
        (Some(a), _) => {
            let when = resend_by(c, a.reported_at);
            lines.push(match errors_counted(index.issues[u].iter().copied()) {
                Some(counted) => format!(
                    "请改正“问题清单”中的 {errors} 处错误（表中红色单元格；{counted}）；{when}。"
                ),
                None if warnings == 0 => "本期报表没有错误，不需要重新报送。".to_string(),
                None => "本期报表没有错误，已采用。".to_string(),
            });
            if warnings > 0 {
                lines.push(format!("另有 {warnings} 条警告（紫色单元格），{WARNINGS_ASK}。"));
            }
            lines.push(format!(
                "已采用您报送的“{}”（填报日期 {}）。",
                a.file.as_deref().unwrap_or(""),
                a.reported_at.map_or("未填写".to_string(), date_cn)
            ));
        }
        (None, SubmissionStatus::Rejected) => {
            let rejected: Vec<String> = index.files[u]
                .iter()
                .filter(|s| s.status == SubmissionStatus::Rejected)
                .filter_map(|s| Some(format!("“{}”", s.file.as_deref()?)))
                .collect();
            let latest = index.files[u].iter().filter_map(|s| s.reported_at).max();
            lines.push(format!(
                "您报送的 {} 未能采用（原因见“问题清单”），请改正；{}。",
                rejected.join("、"),
                resend_by(c, latest)
            ));
        }
        (None, _) => lines.push(format!(
            "尚未收到本单位{}的报表；请用统计局下发的模板“{file_name}”填写本年累计数，于 {} 前报送（如已过此日期，请尽快报送）。",
            c.period.label(),
            date_cn(c.period.due_date())
        )),
    }
    if let Some(line) = score_line(c, u) {
        lines.push(line);
    }
    let behind = behind_tasks(plan, &index.rows[u]);
    if !behind.is_empty() {
        lines.push(format!(
            "有 {} 项任务滞后于时间进度：{}。",
            behind.len(),
            behind.join("、")
        ));
    }
    if !projects.is_empty() {
        let started = projects.iter().filter(|r| r.started == Some(true)).count();
        let overdue = projects.iter().filter(|r| r.overdue).count();
        // Those past their date it did not report: whether they started
        // is not known, which the unit is told apart.
        let unreported = projects.iter().filter(|r| r.overdue && !r.reported).count();
        let of_which = match unreported {
            0 => String::new(),
            n => format!("（其中 {n} 个本期未填报，开工情况不明）"),
        };
        lines.push(format!(
            "重点项目 {} 个：已开工 {started} 个，逾期未开工 {overdue} 个{of_which}{}；详见“重点项目”工作表。",
            projects.len(),
            if overdue > 0 { "（红色预警）" } else { "" }
        ));
    }
    lines
}

/// A unit's tasks behind time progress, each with its warning
/// (`固定资产投资（红色预警）`): red is a 督办 and must be read as such
/// where the unit reads first, not only in a table column.
pub fn behind_tasks(plan: &Plan, rows: &[&UnitRow]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.status == Status::Behind)
        .map(|r| {
            let name = &plan.indicators[r.indicator].name;
            match r.warning {
                Some(w) => format!("{name}（{}预警）", w.label()),
                None => name.clone(),
            }
        })
        .collect()
}

/// What a unit is asked about its warnings, in the feedback, its mail and
/// the reply to its mail: a warning never stops a file being used, so
/// sending again is the unit's choice, not a demand beside "no errors".
pub const WARNINGS_ASK: &str = "不影响采用，请核实；需要说明的（如滞后原因），写在“备注/滞后原因”一栏，可改好后重新报送，以新报表为准";

/// What became of the values of a file's errors, for the sentence asking
/// to fix them; `None` without errors. A value with an error is left out
/// of the totals; a value that breaks a rule of the plan is not
/// (CONTRACT.md 12), and a unit told otherwise would think its figure
/// missing from the county's.
pub fn errors_counted<'a>(issues: impl IntoIterator<Item = &'a Issue>) -> Option<&'static str> {
    let (mut by_rule, mut other) = (0, 0);
    for i in issues.into_iter().filter(|i| i.severity == Severity::Error) {
        match i.code {
            IssueCode::RuleViolated => by_rule += 1,
            _ => other += 1,
        }
    }
    match (by_rule, other) {
        (0, 0) => None,
        (_, 0) => Some("这些数值已计入汇总，请核实后改正"),
        (0, _) => Some("相关数值未计入汇总"),
        _ => Some("不符合校验规则的数值已计入汇总，其他出错的数值未计入"),
    }
}

/// By when to resend: the period's due date, or, for a file that came
/// after it, as soon as possible (the due date is past). A file with no
/// 填报日期 (or none read: a damaged file) may have come after it too.
pub fn resend_by(c: &Consolidation, reported_at: Option<chrono::NaiveDate>) -> String {
    let due = c.period.due_date();
    match reported_at {
        Some(d) if d >= due => format!("本期报送截止日期（{}）已过，请尽快重新报送", date_cn(due)),
        Some(_) => format!("请于 {} 前重新报送", date_cn(due)),
        None => format!("请于 {} 前重新报送（如已过此日期，请尽快）", date_cn(due)),
    }
}

/// `综合得分 62.3%，在 8 个乡镇中排第 3 名；时间进度 25.0%。`
pub fn score_line(c: &Consolidation, u: UnitId) -> Option<String> {
    let s = c.scores.get(u.index())?;
    let (score, rank) = (s.score?, s.rank?);
    Some(format!(
        "综合得分 {}，在 {} 个{}中排第 {rank} 名；时间进度 {}。",
        percent(score),
        s.ranked,
        s.kind.label(),
        percent(c.elapsed)
    ))
}

/// 反馈: the summary lines, then the unit's rows as tally took them, each
/// problem value highlighted with the issue sentences in a note.
fn indicator_sheet(
    wb: &mut Workbook,
    plan: &Plan,
    index: &UnitIndex<'_>,
    u: UnitId,
    title: &str,
    lines: &[String],
    org: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, "反馈", title, true)?;
    let big = Format::new().set_bold().set_font_size(16);
    s.ws()?.write_string_with_format(0, 0, title, &big)?;
    s.ws()?.set_row_height(0, 24)?;
    // The sentences span the table's width, wrapped, each row as tall as
    // its text; the first (what to do) in bold.
    let first = Format::new()
        .set_text_wrap()
        .set_bold()
        .set_align(FormatAlign::Top);
    let rest = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (k, line) in lines.iter().enumerate() {
        let row = 1 + k as u32;
        let f = if k == 0 { &first } else { &rest };
        s.ws()?.merge_range(row, 0, row, 11, line, f)?;
        let lines = text::wrapped_lines(line, 140.0);
        s.ws()?.set_row_height(row, text::row_height(lines))?;
    }
    let head = 2 + lines.len() as u32;
    s.header_row(
        head,
        &[
            "指标代码",
            "指标名称",
            "计量单位",
            "年度目标",
            "本年累计（汇总采用）",
            "完成率",
            "时间进度应完成",
            "状态",
            "预警",
            // Among every unit with a value, departments included: the
            // score's rank above counts the unit's own kind only.
            "单项排名（全部单位）",
            "备注",
            "原表单元格",
        ],
    )?;
    let by_code = issues_by_code(index.accepted(u), &index.issues[u]);
    for (row, r) in (head + 1..).zip(&index.rows[u]) {
        let ind = &plan.indicators[r.indicator];
        let fmt = number_format(&ind.uom);
        s.text(row, 0, &ind.code)?;
        s.text(row, 1, &ind.name)?;
        s.text(row, 2, &ind.uom)?;
        s.number(row, 3, Some(r.target), fmt)?;
        s.number(row, 4, r.actual, fmt)?;
        s.number(row, 5, r.completion, "0.0%")?;
        s.number(
            row,
            6,
            Some(r.expected),
            expected_format(&ind.uom, ind.direction),
        )?;
        s.filled(row, 7, r.status.label(), status_color(r.status))?;
        match r.warning {
            Some(w) => s.filled(row, 8, w.label(), warning_color(w))?,
            None => s.text(row, 8, "")?,
        }
        let rank = r.rank.map(|k| format!("{k}/{}", index.ranked(r.indicator)));
        s.text(row, 9, &rank.unwrap_or_default())?;
        s.text(row, 10, r.note.as_deref().unwrap_or(""))?;
        // A ratio's problems sit on its parts' rows.
        let mut codes: Vec<&str> = ind
            .ratio_of
            .map(|r| r.parts().map(|p| plan.indicators[p].code.as_str()).to_vec())
            .unwrap_or_default();
        codes.push(&ind.code);
        let issues: Vec<&Issue> = codes
            .iter()
            .flat_map(|c| by_code.get(c).into_iter().flatten().copied())
            .collect();
        s.text(row, 11, &cells_of(&issues))?;
        mark(&mut s, row, r, fmt, &issues, org)?;
    }
    s.finish()
}

/// Highlights the cells of a row's problems, each with a note saying
/// why: the value tally used (or could not use), or for a missing 滞后原因
/// the 备注 cell, the one to fix (a marked value read as a wrong number).
fn mark(
    s: &mut Sheet<'_>,
    row: u32,
    r: &UnitRow,
    fmt: &'static str,
    issues: &[&Issue],
    org: &str,
) -> Result<(), XlsxError> {
    let (on_note, on_value): (Vec<&Issue>, Vec<&Issue>) = issues
        .iter()
        .partition(|i| i.code == IssueCode::MissingExplanation);
    if !on_value.is_empty() {
        let fill = fill_for(&on_value);
        match r.actual {
            Some(v) => s.number_filled(row, 4, Some(v), fmt, Some(fill))?,
            None => s.filled(row, 4, "未采用", fill)?,
        };
        s.ws()?.insert_note(row, 4, &note_of(&on_value, org))?;
    }
    if !on_note.is_empty() {
        s.filled(row, 10, r.note.as_deref().unwrap_or(""), fill_for(&on_note))?;
        s.ws()?.insert_note(row, 10, &note_of(&on_note, org))?;
    }
    Ok(())
}

/// The fill of a marked cell: pink for an error, purple for a warning.
fn fill_for(issues: &[&Issue]) -> Color {
    if issues.iter().any(|i| i.severity == Severity::Error) {
        PROBLEM_FILL
    } else {
        NOTICE_FILL
    }
}

/// The issues of each indicator code in the unit's accepted file.
fn issues_by_code<'a>(
    accepted: Option<&Submission>,
    own: &[&'a Issue],
) -> HashMap<&'a str, Vec<&'a Issue>> {
    let mut by_code: HashMap<&str, Vec<&Issue>> = HashMap::default();
    let accepted_file = accepted.and_then(|a| a.file.as_deref());
    for i in own {
        if let Some(code) = i.indicator_code.as_deref()
            && i.file.is_some()
            && i.file.as_deref() == accepted_file
        {
            by_code.entry(code).or_default().push(i);
        }
    }
    by_code
}

/// 问题清单: what to fix, one issue a row.
fn issue_list(wb: &mut Workbook, own: &[&Issue], title: &str) -> Result<(), XlsxError> {
    let mut list = Sheet::new(wb, "问题清单", title, true)?;
    list.header_row(
        0,
        &[
            "文件",
            "工作表",
            "单元格",
            "指标代码",
            "级别",
            "问题与改正方法",
        ],
    )?;
    for (k, i) in own.iter().enumerate() {
        let r = k as u32 + 1;
        list.text(r, 0, i.file.as_deref().unwrap_or("（未报送）"))?;
        list.text(r, 1, i.sheet.as_deref().unwrap_or(""))?;
        list.text(r, 2, i.cell.as_deref().unwrap_or(""))?;
        list.text(r, 3, i.indicator_code.as_deref().unwrap_or(""))?;
        list.text(r, 4, i.severity.label())?;
        list.wrapped(r, 5, &i.message, 60.0)?;
    }
    if own.is_empty() {
        list.text(1, 0, "没有问题")?;
    }
    list.finish()
}

/// Where the issues are in the unit's file: `Sheet1!E8、Sheet1!F8`.
fn cells_of(issues: &[&Issue]) -> String {
    issues
        .iter()
        .filter_map(|i| Some(format!("{}!{}", i.sheet.as_deref()?, i.cell.as_deref()?)))
        .collect::<Vec<_>>()
        .join("、")
}

/// A cell note holding the issue sentences, one per line, signed by the
/// bureau.
fn note_of(issues: &[&Issue], org: &str) -> Note {
    let text = issues
        .iter()
        .map(|i| format!("{}：{}", i.severity.label(), i.message))
        .collect::<Vec<_>>()
        .join("\n");
    Note::new(text)
        .set_author(org)
        .add_author_prefix(false)
        .set_width(420)
        .set_height(160)
}

/// 重点项目: the unit's projects as tally took them, overdue ones red,
/// problems highlighted with the issue sentences in a note.
fn project_sheet(
    wb: &mut Workbook,
    plan: &Plan,
    own: &[&Issue],
    rows: &[&ProjectRow],
    title: &str,
    org: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, "重点项目", title, true)?;
    s.header_row(
        0,
        &[
            "项目名称",
            "项目类型",
            "年度计划投资（万元）",
            "计划开工日期",
            "是否开工",
            "开工日期",
            "本年完成投资（万元）",
            "投资完成率",
            "状态",
            "预警",
            "存在问题",
            "原表单元格",
        ],
    )?;
    // As the value cells: pink for an error, purple for a warning only.
    let marked = |fill| {
        Format::new()
            .set_background_color(fill)
            .set_border(FormatBorder::Thin)
    };
    for (row, r) in (1..).zip(rows) {
        let p = &plan.projects[r.project];
        s.text(row, 0, &p.name)?;
        s.text(row, 1, p.kind.label())?;
        s.number(row, 2, p.planned_investment, "#,##0.0")?;
        s.text(row, 3, &date_text(p.start_by))?;
        s.text(row, 4, started_text(r.started))?;
        s.text(row, 5, &date_text(r.started_on))?;
        s.number(row, 6, r.investment, "#,##0.0")?;
        s.number(row, 7, r.completion, "0.0%")?;
        let (state, fill) = project_state(r);
        s.filled(row, 8, state, fill)?;
        match r.warning {
            Some(w) => s.filled(row, 9, w.label(), warning_color(w))?,
            None => s.text(row, 9, "")?,
        }
        s.text(row, 10, r.blocker.as_deref().unwrap_or(""))?;
        let issues: Vec<&Issue> = own
            .iter()
            .copied()
            .filter(|i| i.project == Some(r.project))
            .collect();
        s.text(row, 11, &cells_of(&issues))?;
        if !issues.is_empty() {
            let format = marked(fill_for(&issues));
            s.ws()?.write_string_with_format(row, 0, &p.name, &format)?;
            s.ws()?.insert_note(row, 0, &note_of(&issues, org))?;
        }
    }
    s.finish()
}
