//! `consolidated.xlsx`: the workbook the bureau prints and presents.
//!
//! Eight sheets in Chinese, in reading order (总览 tells the story, 预警
//! who is behind, 分单位 how every unit stands, 重点项目, 趋势, then the
//! clerk's sheets 报送情况 and 校验问题, and the long 明细 last), each ready
//! to print: A4 landscape, one page wide, header rows repeated, page
//! numbers. The creation time is the period's
//! end, so the same inputs give the same bytes. One file a sheet (or a few
//! list sheets), all built on the [`crate::xlsx`] toolkit.

mod lists;
mod matrix;
mod overview;
mod projects;

pub(crate) use overview::headlines;

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Color, XlsxError};

use crate::aggregate::Consolidation;
use crate::aggregate::projects::ProjectRow;
use crate::files::{OutputError, write_atomic};
use crate::model::{Status, Warning};
use crate::plan::{Indicator, Plan};
use crate::store::History;
use crate::validate::Checked;
use crate::xlsx::style::{difference, expected_format, status_color, warning_color};
use crate::xlsx::{Sheet, new_workbook};

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
    WARNINGS,
    MATRIX,
    PROJECTS,
    TREND,
    SUBMISSIONS,
    ISSUES,
    DETAIL,
];

/// The consolidated workbook's file name in the run folder.
pub const FILE: &str = "consolidated.xlsx";

/// Builds the consolidated workbook and writes it into the run folder;
/// returns its path.
///
/// # Errors
///
/// [`OutputError`] when it cannot be built or written.
pub fn write(
    dir: &Path,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
    history: &History,
    org: &str,
) -> Result<PathBuf, OutputError> {
    let path = dir.join(FILE);
    let bytes = crate::xlsx::build(|| consolidated(plan, c, checked, history, org))
        .map_err(|e| OutputError::other(&path, e))?;
    write_atomic(&path, &bytes)?;
    Ok(path)
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
    org: &str,
) -> Result<Vec<u8>, XlsxError> {
    let title = format!("{}重点工作任务完成情况汇总", c.period.label());
    let mut wb = new_workbook(c.period, &title, org)?;
    overview::overview(&mut wb, plan, c, checked, &title, org)?;
    lists::warnings(&mut wb, plan, c, &title)?;
    matrix::matrix(&mut wb, plan, c, &title)?;
    projects::projects(&mut wb, plan, c, &title)?;
    lists::trend(&mut wb, plan, &history.trend, &title)?;
    lists::submissions(
        &mut wb,
        checked,
        &history.changes,
        c.period.due_date(),
        &title,
    )?;
    lists::issues(&mut wb, checked, &title)?;
    lists::detail(&mut wb, plan, c, &title)?;
    wb.save_to_buffer()
}

/// A value expected to date and its variance, in columns `col` and
/// `col + 1`, each as people read it: a ceiling's expected value `≤10.00`,
/// a percentage's variance in points.
pub(crate) fn expected_and_variance(
    s: &mut Sheet<'_>,
    row: u32,
    col: u16,
    ind: &Indicator,
    expected: Option<f64>,
    variance: Option<f64>,
) -> Result<(), XlsxError> {
    s.number(row, col, expected, expected_format(&ind.uom, ind.direction))?;
    let (variance, format) = difference(&ind.uom, variance);
    s.number(row, col + 1, variance, format)
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
        // Past its start date and not reported: whether it started is not
        // known (the mails say 开工情况不明), so not said not to have.
        (_, true, false) => ("未填报，已过开工期", warning_color(Warning::Red)),
        (_, true, _) => ("逾期未开工", warning_color(Warning::Red)),
        (Some(true), _, _) if r.on_time => ("已开工", status_color(Status::Done)),
        (Some(true), _, _) => ("逾期开工", status_color(Status::Behind)),
        (Some(false), _, _) => ("未到开工期", status_color(Status::NoData)),
        (None, _, true) => ("待核实", status_color(Status::Behind)),
        // Not in an accepted file: the unit sent none, or left the
        // project out of it (未报送 would say the first of a unit that
        // did send).
        (None, _, false) => ("未填报", status_color(Status::NoData)),
    }
}
