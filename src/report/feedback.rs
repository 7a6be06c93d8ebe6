//! Per-unit feedback workbooks: `feedback/<unit>.xlsx` for every unit of
//! the plan, written by `tally run` (issue 4).
//!
//! A unit that reported sees its rows as tally read them, with status,
//! expected progress, rank and composite score, every problem value
//! highlighted with a note holding the issue sentence, and the list of what
//! to fix, and its key projects with the overdue ones in red. A unit whose
//! file was refused sees why; a unit that sent nothing gets a reminder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::Duration;
use rust_xlsxwriter::{Color, Format, FormatAlign, Note, XlsxError};

use crate::aggregate::projects::ProjectRow;
use crate::aggregate::{Consolidation, UnitRow};
use crate::issue::{Issue, Severity};
use crate::plan::Plan;
use crate::report::output::{OutputError, write_atomic};
use crate::report::workbook::{
    Sheet, date_text, derived_format, new_workbook, number_format, project_state, started_text,
    status_color, warning_color,
};
use crate::validate::{Checked, Submission, SubmissionStatus};

/// Days after the period's end by which a missing unit is asked to report.
pub const REMINDER_DAYS: i64 = 5;

/// A file name made from a unit's name that is safe on every file system:
/// no separators, reserved characters, control characters, leading dots or
/// Windows device names, and not too long. Never empty.
pub fn safe_file_stem(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    s = s
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .to_string();
    s = s.chars().take(80).collect();
    const DEVICES: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    let stem = s.split('.').next().unwrap_or("").to_ascii_uppercase();
    if DEVICES.contains(&stem.as_str()) {
        s.insert(0, '_');
    }
    if s.is_empty() || s.chars().all(|c| c == '_') {
        s = "单位".to_string();
    }
    s
}

/// The feedback file name of every unit, made unique.
pub fn file_names(plan: &Plan) -> Vec<String> {
    let mut used = HashSet::new();
    plan.units
        .iter()
        .enumerate()
        .map(|(u, unit)| {
            let base = safe_file_stem(&unit.name);
            let mut name = format!("{base}.xlsx");
            if !used.insert(name.to_lowercase()) {
                name = format!("{base}-{}.xlsx", u + 1);
                used.insert(name.to_lowercase());
            }
            name
        })
        .collect()
}

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
) -> Result<Vec<PathBuf>, OutputError> {
    use rayon::prelude::*;
    let folder = dir.join("feedback");
    let names = file_names(plan);
    let index = UnitIndex::new(plan, c, checked);
    // Independent small workbooks: one per unit, built on every core.
    names
        .par_iter()
        .enumerate()
        .map(|(u, name)| {
            let path = folder.join(name);
            let bytes = unit_workbook(plan, c, &index, u, name).map_err(|e| OutputError {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            write_atomic(&path, &bytes)?;
            Ok(path)
        })
        .collect()
}

/// The rows, files and issues of each unit, gathered once for all units.
pub struct UnitIndex<'a> {
    pub rows: Vec<Vec<&'a UnitRow>>,
    pub files: Vec<Vec<&'a Submission>>,
    pub issues: Vec<Vec<&'a Issue>>,
    /// Units with a composite score.
    pub ranked: usize,
}

impl<'a> UnitIndex<'a> {
    pub fn new(plan: &Plan, c: &'a Consolidation, checked: &'a Checked) -> UnitIndex<'a> {
        let n = plan.units.len();
        let mut index = UnitIndex {
            rows: vec![Vec::new(); n],
            files: vec![Vec::new(); n],
            issues: vec![Vec::new(); n],
            ranked: c.scores.iter().filter(|r| r.rank.is_some()).count(),
        };
        for r in &c.by_unit {
            index.rows[r.unit].push(r);
        }
        let unit_of = |name: Option<&str>| name.and_then(|n| plan.unit_named(n));
        for s in &checked.submissions {
            if let Some(u) = unit_of(s.unit.as_deref()) {
                index.files[u].push(s);
            }
        }
        for i in &checked.issues {
            if let Some(u) = unit_of(i.unit.as_deref()) {
                index.issues[u].push(i);
            }
        }
        index
    }
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
    u: usize,
    file_name: &str,
) -> Result<Vec<u8>, XlsxError> {
    let unit = &plan.units[u].name;
    let title = format!("{}{}报表反馈", unit, c.period.label());
    let end = c.period.end_date();
    let mut wb = new_workbook(c.period, &title)?;
    let files = &index.files[u];
    let own = &index.issues[u];
    let accepted = files
        .iter()
        .find(|s| s.status == SubmissionStatus::Accepted);

    let mut s = Sheet::new(&mut wb, "反馈", &title, false)?;
    let big = Format::new().set_bold().set_font_size(16);
    s.ws.write_string_with_format(0, 0, &title, &big)?;
    let mut lines: Vec<String> = Vec::new();
    match accepted {
        Some(a) => {
            lines.push(format!(
                "已采用您报送的“{}”（填报日期 {}）。",
                a.file.as_deref().unwrap_or(""),
                a.reported_at
                    .map_or("未填写".to_string(), |d| d.to_string())
            ));
            if let Some(score) = c.scores.get(u).filter(|r| r.score.is_some()) {
                let ranked = index.ranked;
                lines.push(format!(
                    "综合得分 {:.1}%，在 {ranked} 个有数据的单位中排第 {} 名；时间进度 {:.1}%。",
                    score.score.unwrap_or(0.0) * 100.0,
                    score.rank.unwrap_or(0),
                    c.elapsed * 100.0
                ));
            }
            let errors = own.iter().filter(|i| i.severity == Severity::Error).count();
            lines.push(if errors == 0 {
                "数据无错误；请关注下表中的滞后任务和提示。".to_string()
            } else {
                format!("有 {errors} 处错误，相关数值未计入汇总；请按“问题清单”改正后重新报送。")
            });
        }
        None => {
            let deadline = end + Duration::days(REMINDER_DAYS);
            let rejected: Vec<&str> = files
                .iter()
                .filter(|s| s.status == SubmissionStatus::Rejected)
                .filter_map(|s| s.file.as_deref())
                .collect();
            if rejected.is_empty() {
                lines.push(format!("尚未收到本单位{}的报表。", c.period.label()));
            } else {
                lines.push(format!(
                    "您报送的 {} 未能采用，原因见“问题清单”。",
                    rejected
                        .iter()
                        .map(|f| format!("“{f}”"))
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            }
            lines.push(format!(
                "请使用统计局下发的模板“{}”（tally template 生成）填写本年累计数，于 {deadline} 前报送。",
                file_name
            ));
        }
    }
    let projects: Vec<_> = plan
        .projects_of(u)
        .iter()
        .map(|&p| &c.projects.rows[p])
        .collect();
    if !projects.is_empty() {
        let started = projects.iter().filter(|r| r.started == Some(true)).count();
        let overdue = projects.iter().filter(|r| r.overdue).count();
        lines.push(format!(
            "重点项目 {} 个：已开工 {started} 个，逾期未开工 {overdue} 个{}；详见“重点项目”工作表。",
            projects.len(),
            if overdue > 0 { "（红色预警）" } else { "" }
        ));
    }
    for (k, line) in lines.iter().enumerate() {
        s.ws.write_string(1 + k as u32, 0, line)?;
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
            "排名",
            "备注",
            "原表单元格",
        ],
    )?;
    // The issues of each indicator of the unit's accepted file.
    let mut by_code: HashMap<&str, Vec<&Issue>> = HashMap::new();
    for i in own {
        if let Some(code) = i.indicator_code.as_deref()
            && i.file.is_some()
            && i.file.as_deref() == accepted.and_then(|a| a.file.as_deref())
        {
            by_code.entry(code).or_default().push(i);
        }
    }
    let problem = Format::new()
        .set_background_color(Color::RGB(0xFFC7CE))
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    for (row, r) in (head + 1..).zip(&index.rows[u]) {
        let ind = &plan.indicators[r.indicator];
        let fmt = number_format(&ind.uom);
        s.text(row, 0, &ind.code)?;
        s.text(row, 1, &ind.name)?;
        s.text(row, 2, &ind.uom)?;
        s.number(row, 3, Some(r.target), fmt)?;
        s.number(row, 4, r.actual, fmt)?;
        s.number(row, 5, r.completion, "0.0%")?;
        s.number(row, 6, Some(r.expected), derived_format(&ind.uom))?;
        s.filled(row, 7, r.status.label(), status_color(r.status))?;
        match r.warning {
            Some(w) => s.filled(row, 8, w.label(), warning_color(w))?,
            None => s.text(row, 8, "")?,
        }
        s.number(row, 9, r.rank.map(f64::from), "0")?;
        s.text(row, 10, r.note.as_deref().unwrap_or(""))?;
        // A ratio's problems sit on its parts' rows.
        let codes: Vec<&str> = match ind.ratio_of {
            Some((n, d)) => vec![
                &plan.indicators[n].code,
                &plan.indicators[d].code,
                &ind.code,
            ],
            None => vec![&ind.code],
        };
        let issues: Vec<&Issue> = codes
            .iter()
            .flat_map(|c| by_code.get(c).into_iter().flatten().copied())
            .collect();
        s.text(row, 11, &cells_of(&issues))?;
        if !issues.is_empty() {
            // Highlight the value tally used (or could not use) and say why.
            match r.actual {
                Some(v) => {
                    s.ws.write_number_with_format(row, 4, v, &problem.clone().set_num_format(fmt))?
                }
                None => s.ws.write_string_with_format(row, 4, "未采用", &problem)?,
            };
            s.ws.insert_note(row, 4, &note_of(&issues))?;
        }
    }
    s.finish()?;

    if !projects.is_empty() {
        project_sheet(&mut wb, plan, own, &projects, &title)?;
    }

    let mut list = Sheet::new(&mut wb, "问题清单", &title, false)?;
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
        let wrap = list
            .cell
            .clone()
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        list.ws.write_string_with_format(r, 5, &i.message, &wrap)?;
        list.widen(5, 70.0);
    }
    if own.is_empty() {
        list.text(1, 0, "没有问题")?;
    }
    list.finish()?;
    wb.save_to_buffer()
}

/// Where the issues are in the unit's file: `Sheet1!E8、Sheet1!F8`.
fn cells_of(issues: &[&Issue]) -> String {
    issues
        .iter()
        .filter_map(|i| Some(format!("{}!{}", i.sheet.as_deref()?, i.cell.as_deref()?)))
        .collect::<Vec<_>>()
        .join("、")
}

/// A cell note holding the issue sentences, one per line.
fn note_of(issues: &[&Issue]) -> Note {
    let text = issues
        .iter()
        .map(|i| format!("{}：{}", i.severity.label(), i.message))
        .collect::<Vec<_>>()
        .join("\n");
    Note::new(text)
        .set_author("tally")
        .add_author_prefix(false)
        .set_width(420)
        .set_height(160)
}

/// 重点项目: the unit's projects as tally took them, overdue ones red,
/// problems highlighted with the issue sentences in a note.
fn project_sheet(
    wb: &mut rust_xlsxwriter::Workbook,
    plan: &Plan,
    own: &[&Issue],
    rows: &[&ProjectRow],
    title: &str,
) -> Result<(), XlsxError> {
    let mut s = Sheet::new(wb, "重点项目", title, false)?;
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
    let problem = Format::new()
        .set_background_color(Color::RGB(0xFFC7CE))
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
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
            s.ws.write_string_with_format(row, 0, &p.name, &problem)?;
            s.ws.insert_note(row, 0, &note_of(&issues))?;
        }
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_become_safe_file_names() {
        assert_eq!(safe_file_stem("清泉镇"), "清泉镇");
        assert_eq!(safe_file_stem("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(
            safe_file_stem("a/b\\c:d*e?f\"g<h>i|j"),
            "a_b_c_d_e_f_g_h_i_j"
        );
        assert_eq!(safe_file_stem("CON"), "_CON");
        assert_eq!(safe_file_stem("..."), "单位");
        assert_eq!(safe_file_stem("/"), "单位");
        assert_eq!(safe_file_stem("x\n\u{0}y"), "x__y");
        assert_eq!(safe_file_stem(&"长".repeat(200)).chars().count(), 80);
    }
}
