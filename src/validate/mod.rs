//! Checking what was read against the plan (CONTRACT.md sections 5 and 6).
//!
//! Takes the plan and every inbox file's [`FileRead`] and returns the valid
//! values ([`Fact`]s) and reported projects ([`ProjectFact`]s), one
//! [`Submission`] row per file and missing unit, and every [`Issue`] with
//! its cell and a sentence the township clerk can act on. The project table
//! has its own room, [`projects`].

pub mod projects;
pub mod rules;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::SystemTime;

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

use crate::ingest::locate::is_section_heading;
use crate::ingest::{Extract, FileRead, Inbox, InboxFile, Label, Row, Table};
use crate::model::issue::a1;
use crate::model::period::named_month;
use crate::model::progress;
use crate::model::value::{
    CellValue, Reading, TEMPLATE_FRACTION_MAX, as_fraction, at_least, find_month_day, fold,
    format_for_people, format_number, is_count_unit, is_percent_unit, normalize_label, percent,
    percent_rounded, read_number,
};
use crate::model::{
    Aggregation, IdVec, IndicatorId, Issue, IssueCode, Period, Profile, Severity, Status,
    SubmissionStatus, TaskKey, Tolerance, UnitId, UnitRef,
};
use crate::plan::{Indicator, Plan};
use crate::sheet::Stray;

pub use projects::ProjectFact;
pub use rules::RuleError;

/// One row of `submissions.csv`: an inbox file, or a unit that sent nothing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    pub file: Option<String>,
    /// The unit, when known (written as its name).
    pub unit: Option<UnitRef>,
    pub status: SubmissionStatus,
    pub sha256: Option<String>,
    pub reported_at: Option<NaiveDate>,
    pub errors: usize,
    pub warnings: usize,
    /// For a superseded file: which file is used instead, and why (not a
    /// column of submissions.csv; a fetch reply tells the clerk).
    #[serde(skip)]
    pub replaced_by: Option<Replacement>,
}

/// The file that superseded another, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Replacement {
    pub file: String,
    /// `修改时间更晚`, `填报日期 2022-04-07 晚于本文件的 2022-04-05` ...
    pub why: String,
    /// A 填报日期 decided, so the superseded file would lose again if
    /// sent as it is.
    pub by_date: bool,
}

/// One valid value: a unit's cumulative figure for an indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub unit: UnitId,
    pub indicator: IndicatorId,
    pub value: f64,
    /// Zero-based row of the value in its file's indicator table (the
    /// submission row of the unit tells which file).
    pub row: u32,
    /// The unit's note on the row (备注 / 滞后原因).
    pub note: Option<String>,
}

/// The values of the previous stored period of the same year, by the
/// current plan's (unit, indicator), for `decreased` and the rules'
/// `prev()`.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    pub period: String,
    pub values: HashMap<TaskKey, f64>,
    /// The county's values then, for the `全县` rules.
    pub county: HashMap<IndicatorId, f64>,
}

/// Settings of a check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Without a period there is no expected progress, so no
    /// `missing_explanation`.
    pub period: Option<Period>,
    pub tolerance: Tolerance,
    /// Without history there is no `decreased`.
    pub previous: Option<Arc<Previous>>,
}

/// Everything a check found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub submissions: Vec<Submission>,
    pub facts: Vec<Fact>,
    /// The projects of the accepted files.
    pub projects: Vec<ProjectFact>,
    pub issues: Vec<Issue>,
}

impl Checked {
    /// Issues of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == severity)
            .count()
    }

    /// Each inbox file's submission and issues, found in one pass. Of two
    /// files shown under one name (names that differ only in bytes that
    /// are no text), the first's submission, as a search would find.
    pub fn by_file(&self) -> FileIndex<'_> {
        let mut files: HashMap<&str, (Option<&Submission>, Vec<&Issue>)> = HashMap::default();
        for s in &self.submissions {
            if let Some(f) = &s.file {
                files.entry(f).or_default().0.get_or_insert(s);
            }
        }
        for i in &self.issues {
            if let Some(f) = &i.file {
                files.entry(f).or_default().1.push(i);
            }
        }
        FileIndex { files }
    }
}

/// The submission and the issues of each inbox file, in the check's
/// order: reports that speak of every file in turn look them up here, as
/// searching all issues for each file is quadratic (`tally check`'s text
/// report took 30 s for 10,000 files that way, bench/run.sh 10000).
pub struct FileIndex<'a> {
    files: HashMap<&'a str, (Option<&'a Submission>, Vec<&'a Issue>)>,
}

impl<'a> FileIndex<'a> {
    /// The file's submission row.
    pub fn submission(&self, file: &str) -> Option<&'a Submission> {
        self.files.get(file).and_then(|(s, _)| *s)
    }

    /// The file's issues, in the check's order.
    pub fn issues(&self, file: &str) -> &[&'a Issue] {
        self.files.get(file).map_or(&[], |(_, i)| i)
    }
}

/// The result of checking an inbox: the plan it was checked against,
/// every inbox file, and what the check found.
pub struct Inspection {
    pub plan: Plan,
    pub files: Vec<InboxFile>,
    pub checked: Checked,
    /// Seconds from listing the inbox to the end of the check.
    pub seconds: f64,
    /// What the reader said about files it could not read (file, its
    /// words): for the bureau's log, never for a clerk.
    pub details: Vec<(String, String)>,
}

/// An inbox file and what reading it gave.
pub struct Received<'a> {
    pub file: &'a InboxFile,
    pub read: &'a FileRead,
}

impl Received<'_> {
    /// Each file of an inbox with its read.
    pub fn all(inbox: &Inbox) -> Vec<Received<'_>> {
        inbox
            .files
            .iter()
            .zip(&inbox.reads)
            .map(|(file, read)| Received { file, read })
            .collect()
    }
}

/// The outcome for one file before the units' files are compared.
struct Outcome {
    file: String,
    unit: Option<UnitId>,
    status: SubmissionStatus,
    sha256: Option<String>,
    reported_at: Option<NaiveDate>,
    /// Why a 填报日期 written is no date, for the superseded message.
    date_unread: Option<String>,
    replaced_by: Option<Replacement>,
    modified: Option<SystemTime>,
    issues: Vec<Issue>,
    facts: Vec<Fact>,
    projects: Vec<ProjectFact>,
}

/// Checks every received file against the plan, and the plan's rules on
/// each unit's accepted values.
///
/// # Errors
///
/// [`RuleError`] when polars fails on the rules, which valid inputs never
/// cause; a bad file is an issue, never an error.
pub fn check(
    plan: &Plan,
    received: &[Received<'_>],
    options: &CheckOptions,
) -> Result<Checked, RuleError> {
    // Each file is checked on its own, on every core.
    let mut outcomes: Vec<Outcome> = received
        .par_iter()
        .map(|r| check_file(plan, r, options))
        .collect();
    supersede(plan, &mut outcomes);
    check_rules(plan, received, options, &mut outcomes)?;
    // A file refused as another unit's is its name's unit's to hear of
    // only while that unit has no report in use: beside one, it is most
    // likely another unit's file misnamed, and the unit would be told its
    // good report has an error.
    let in_use: Vec<UnitId> = outcomes
        .iter()
        .filter(|o| o.status == SubmissionStatus::Accepted)
        .filter_map(|o| o.unit)
        .collect();
    for o in &mut outcomes {
        let mismatched = o.issues.iter().any(|i| i.code == IssueCode::UnitMismatch);
        if mismatched && o.unit.is_some_and(|u| in_use.contains(&u)) {
            o.unit = None;
            for i in &mut o.issues {
                i.unit = None;
            }
        }
    }
    let mut out = Checked::default();
    let mut has_accepted: IdVec<UnitId, bool> = plan.units.iter().map(|_| false).collect();
    let mut rejected: IdVec<UnitId, Vec<String>> = plan.units.iter().map(|_| Vec::new()).collect();
    for o in outcomes {
        if let Some(u) = o.unit {
            match o.status {
                SubmissionStatus::Accepted => has_accepted[u] = true,
                SubmissionStatus::Rejected => rejected[u].push(o.file.clone()),
                _ => {}
            }
        }
        out.submissions.push(Submission {
            file: Some(o.file),
            unit: o.unit.map(|u| plan.unit_ref(u)),
            status: o.status,
            sha256: o.sha256,
            reported_at: o.reported_at,
            errors: count(&o.issues, Severity::Error),
            warnings: count(&o.issues, Severity::Warning),
            replaced_by: o.replaced_by,
        });
        out.issues.extend(o.issues);
        out.facts.extend(o.facts);
        out.projects.extend(o.projects);
    }
    for u in plan.units.ids().filter(|&u| !has_accepted[u]) {
        missing(plan, u, &rejected[u], options.period, &mut out);
    }
    Ok(out)
}

/// `rule_violated`: the plan's unit rules on every accepted file's
/// values at once, each violation on the cell of its first indicator.
fn check_rules(
    plan: &Plan,
    received: &[Received<'_>],
    options: &CheckOptions,
    outcomes: &mut [Outcome],
) -> Result<(), RuleError> {
    if plan.rules.is_empty() {
        return Ok(());
    }
    let mut current: HashMap<UnitId, HashMap<IndicatorId, f64>> = HashMap::default();
    let mut file_of: HashMap<UnitId, usize> = HashMap::default();
    for (k, o) in outcomes.iter().enumerate() {
        if let (Some(u), SubmissionStatus::Accepted) = (o.unit, o.status) {
            let values = current.entry(u).or_default();
            values.extend(o.facts.iter().map(|f| (f.indicator, f.value)));
            file_of.insert(u, k);
        }
    }
    let previous = options.previous.as_deref().map(|p| &p.values);
    let rows = rules::unit_values(plan, &current, previous);
    for v in rules::check_units(plan, &rows)? {
        let Some(u) = v.unit else { continue };
        let k = file_of[&u];
        let rule = &plan.rules[v.rule];
        let anchor = rule.anchor();
        // The anchor's own row, or for a ratio its numerator's.
        let anchor_row = anchor.and_then(|a| {
            let parts = plan.indicators[a].ratio_of.map(|r| r.numerator);
            let fact = |i| outcomes[k].facts.iter().find(|f| f.indicator == i);
            fact(a).or_else(|| fact(parts?)).map(|f| f.row)
        });
        let table = received[k]
            .read
            .result
            .as_ref()
            .ok()
            .and_then(|e| e.table.as_ref());
        let o = &mut outcomes[k];
        o.issues.push(Issue {
            sheet: table.map(|t| t.sheet.clone()),
            cell: table.zip(anchor_row).map(|(t, r)| t.actual_cell(r)),
            indicator_code: anchor.map(|a| plan.indicators[a].code.clone()),
            severity: rule.severity,
            ..Issue::file(
                &o.file,
                Some(plan.unit_ref(u)),
                IssueCode::RuleViolated,
                rules::message(plan, &v),
            )
        });
    }
    Ok(())
}

/// The `missing_submission` issue and row of a unit without an accepted
/// file.
fn missing(plan: &Plan, u: UnitId, rejected: &[String], period: Option<Period>, out: &mut Checked) {
    let name = &plan.units[u].name;
    let period = period.map(|p| p.label()).unwrap_or_default();
    let message = if rejected.is_empty() {
        format!("{name}未报送{period}报表；请按模板填写后报送")
    } else {
        format!(
            "{name}没有可用的{period}报表（收到的{}被拒收，原因见该文件）；请改正后重新报送",
            rejected
                .iter()
                .map(|f| format!("“{f}”"))
                .collect::<Vec<_>>()
                .join("、")
        )
    };
    out.issues.push(Issue::file(
        "",
        Some(plan.unit_ref(u)),
        IssueCode::MissingSubmission,
        message,
    ));
    out.submissions.push(Submission {
        file: None,
        unit: Some(plan.unit_ref(u)),
        status: SubmissionStatus::Missing,
        sha256: None,
        reported_at: None,
        errors: 1,
        warnings: 0,
        replaced_by: None,
    });
}

fn count(issues: &[Issue], severity: Severity) -> usize {
    issues.iter().filter(|i| i.severity == severity).count()
}

/// Of several accepted files of one unit, the latest 填报日期 wins, then the
/// latest modification time; the others are superseded.
fn supersede(plan: &Plan, outcomes: &mut [Outcome]) {
    let mut by_unit: HashMap<UnitId, Vec<usize>> = HashMap::default();
    for (i, o) in outcomes.iter().enumerate() {
        if let (Some(u), SubmissionStatus::Accepted) = (o.unit, o.status) {
            by_unit.entry(u).or_default().push(i);
        }
    }
    for (u, mut idx) in by_unit {
        if idx.len() < 2 {
            continue;
        }
        idx.sort_by(|&a, &b| {
            let (a, b) = (&outcomes[a], &outcomes[b]);
            a.reported_at
                .cmp(&b.reported_at)
                .then(a.modified.cmp(&b.modified))
                .then_with(|| a.file.cmp(&b.file))
        });
        let winner = *idx.last().expect("two or more");
        let (winner_file, winner_date, winner_modified) = (
            outcomes[winner].file.clone(),
            outcomes[winner].reported_at,
            outcomes[winner].modified,
        );
        let name = &plan.units[u].name;
        for &i in &idx[..idx.len() - 1] {
            let o = &mut outcomes[i];
            let why = match (winner_date, o.reported_at) {
                (Some(w), Some(mine)) if w != mine => format!("填报日期 {w} 晚于本文件的 {mine}"),
                (Some(w), None) => match &o.date_unread {
                    Some(why) => format!("填报日期 {w}，{why}"),
                    None => format!("填报日期 {w}，本文件未写填报日期"),
                },
                // Nothing tells them apart: said so, not a later time.
                _ if o.modified == winner_modified => {
                    "两份的填报日期和修改时间都相同，按文件名取后一份".to_string()
                }
                (None, None) if o.date_unread.is_some() => format!(
                    "修改时间更晚；{}",
                    o.date_unread.as_deref().unwrap_or_default()
                ),
                _ => "修改时间更晚".to_string(),
            };
            o.status = SubmissionStatus::Superseded;
            o.facts.clear();
            o.projects.clear();
            // The replaced file's own problems no longer matter.
            o.issues = vec![Issue::file(
                &o.file,
                Some(plan.unit_ref(u)),
                IssueCode::Superseded,
                format!(
                    "{name} 另有更新的报表“{winner_file}”（{why}），本文件已被替代，不参与汇总；如本文件才是正确的，请撤回另一份"
                ),
            )];
            o.replaced_by = Some(Replacement {
                file: winner_file.clone(),
                // Every reason that names the 填报日期 (a later one, this
                // file's unread or missing one, equal ones) is one a
                // corrected date would change.
                by_date: why.contains("填报日期"),
                why,
            });
        }
    }
}

/// The extract of a file that was read as a workbook; otherwise the issue
/// saying why it was not (no workbook, or unreadable).
fn workbook_of<'r>(plan: &Plan, r: &'r Received<'_>, outcome: &mut Outcome) -> Option<&'r Extract> {
    let name = &outcome.file;
    let read = match r.file.claimed {
        Some(_) => r.read,
        None => {
            let message = if let Some(special) = r.file.special {
                format!(
                    "“{name}”是一个{}，不是报表文件，未打开也未读取；请把报表文件本身（.xlsx 等）放进收件文件夹",
                    special.label()
                )
            } else {
                let stray = Stray::of_name(name);
                format!("“{name}”{}，未读取；{}", stray.what(), stray.instead(false))
            };
            let issue = Issue::file(name, None, IssueCode::NotAWorkbook, message);
            outcome.issues.push(issue);
            return None;
        }
    };
    match &read.result {
        Ok(e) => Some(e),
        Err(failure) => {
            outcome.unit = plan.unit_in(file_stem(name));
            let unit = outcome.unit.map(|u| plan.unit_ref(u));
            let code = if failure.too_large() {
                IssueCode::TooLarge
            } else {
                IssueCode::UnreadableFile
            };
            let issue = Issue::file(name, unit, code, failure.message());
            outcome.issues.push(issue);
            None
        }
    }
}

/// A file's 填报日期, or why it has none that can decide between two
/// files (unreadable, no year, or no date of this report).
fn reporting_date(
    extract: &Extract,
    period: Option<Period>,
) -> (Option<NaiveDate>, Option<String>) {
    let read = extract.reported_at.or_else(|| {
        // `4月7日`: the year is the one that puts it nearest the date the
        // period is due (a December period is reported in January).
        let (month, day) = find_month_day(&extract.date_label.as_ref()?.text)?;
        let due = period?.due_date();
        let year = chrono::Datelike::year(&due);
        [year - 1, year, year + 1]
            .into_iter()
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
            .min_by_key(|d| (*d - due).num_days().abs())
    });
    // A 填报日期 before the period began, or over a year after it was due,
    // is no date of this report (a year slipped back; 4.07 typed into a
    // date cell is 1900-01-04): it must not decide which of two files
    // counts. A year slipped forward stays a date, later than any other:
    // it as often marks the correction as the original.
    let implausible = period
        .zip(read)
        .is_some_and(|(p, d)| d < p.start_date() || d > p.due_date() + chrono::Duration::days(366));
    let date = read.filter(|_| !implausible);
    let unread = match (&extract.date_label, date) {
        (Some(label), None) if implausible => Some(format!(
            "本文件的填报日期“{}”不是本期报表的日期",
            label.text
        )),
        // `4月7日` checked without a period has no year to take; with one,
        // or with a year written, a month and day that do not exist
        // (`4月31日`) are no date.
        (Some(label), None)
            if period.is_none()
                && !label.text.contains('年')
                && find_month_day(&label.text)
                    .is_some_and(|(m, d)| NaiveDate::from_ymd_opt(2000, m, d).is_some()) =>
        {
            Some(format!("本文件的填报日期“{}”未写年份", label.text))
        }
        (Some(label), None) => Some(format!("本文件的填报日期“{}”无法识别", label.text)),
        _ => None,
    };
    (date, unread)
}

fn check_file(plan: &Plan, r: &Received<'_>, options: &CheckOptions) -> Outcome {
    let name = r.file.name.clone();
    let mut outcome = Outcome {
        file: name.clone(),
        unit: None,
        status: SubmissionStatus::Rejected,
        sha256: Some(r.read.sha256.clone()).filter(|s| !s.is_empty()),
        reported_at: None,
        date_unread: None,
        replaced_by: None,
        modified: r.file.modified,
        issues: Vec::new(),
        facts: Vec::new(),
        projects: Vec::new(),
    };
    let Some(extract) = workbook_of(plan, r, &mut outcome) else {
        return outcome;
    };
    (outcome.reported_at, outcome.date_unread) = reporting_date(extract, options.period);
    let unit = identify_unit(plan, &name, extract, &mut outcome.issues);
    // A file refused as another unit's is still listed under the unit its
    // name gives (its values are used for none).
    let owner = |i: &Issue| match (i.code, &i.unit) {
        (IssueCode::UnitMismatch, Some(u)) => Some(u.id),
        _ => None,
    };
    outcome.unit = unit.or_else(|| outcome.issues.iter().find_map(owner));
    // A unit with only projects to report may send only the project table.
    let projects_only =
        extract.projects.is_some() && unit.is_some_and(|u| plan.required(u).is_empty());
    if extract.table.is_none() && !projects_only {
        let quoted = |names: &[String]| -> String {
            let quoted: Vec<String> = names.iter().map(|s| format!("“{s}”")).collect();
            quoted.join("、")
        };
        // A table only on a hidden sheet is likely an old copy; said, so
        // that a clerk who hid the right one by mistake can show it.
        let hidden = match extract.hidden.is_empty() {
            true => String::new(),
            false => format!(
                "（隐藏的工作表 {} 不读取：隐藏的表常是旧数据；如报表在其中，请取消隐藏）",
                quoted(&extract.hidden)
            ),
        };
        outcome.issues.push(Issue::file(
            &name,
            unit.map(|u| plan.unit_ref(u)),
            IssueCode::NoIndicatorTable,
            format!(
                "{}{hidden}：需要一行表头，含“指标代码”或“指标名称”列和“本年累计”列；请使用下发的模板填报",
                match extract.sheets.is_empty() {
                    true => "工作簿中没有显示出来的工作表，找不到指标表".to_string(),
                    false => format!("在工作表 {} 中找不到指标表", quoted(&extract.sheets)),
                }
            ),
        ));
        return outcome;
    }
    let Some(unit) = unit else {
        return outcome;
    };
    let agrees = match options.period {
        Some(period) => check_period(plan, unit, &name, extract, period, &mut outcome.issues),
        None => true,
    };
    let rejected = outcome.issues.iter().any(|i| {
        i.code.rejects_file()
            || i.code == IssueCode::PeriodMismatch && i.severity == Severity::Error
    });
    if rejected {
        return outcome;
    }
    outcome.status = SubmissionStatus::Accepted;
    // Expected progress is the period's: not for a file of another one.
    // Its projects are counted in this period all the same, so a start
    // after this period's end is still said.
    let period_end = options.period.map(|p| p.end_date());
    let options = CheckOptions {
        period: options.period.filter(|_| agrees),
        ..options.clone()
    };
    check_accepted(
        plan,
        unit,
        &name,
        extract,
        &options,
        period_end,
        &mut outcome,
    );
    outcome
}

/// `period_mismatch`: a template records its period for certain (an
/// error: the file is not used); a title, the file name or the header of
/// the column read only says it (a warning). True when nothing says
/// another period.
fn check_period(
    plan: &Plan,
    unit: UnitId,
    name: &str,
    extract: &Extract,
    period: Period,
    issues: &mut Vec<Issue>,
) -> bool {
    let ours = period.label();
    let template = extract
        .template
        .as_ref()
        .and_then(|t| t.period.parse::<Period>().ok());
    if let Some(p) = template.filter(|p| *p != period) {
        issues.push(Issue {
            severity: Severity::Error,
            ..Issue::file(
                name,
                Some(plan.unit_ref(unit)),
                IssueCode::PeriodMismatch,
                format!(
                    "这是{}的模板（模板中记录的期别），不是本期（{ours}）的报表，数值未采用；请用本期模板填写后重新报送，或检查汇总的期别是否选对",
                    p.label()
                ),
            )
        });
        return false;
    }
    // One sheet per month, none for this period: the sheet read says
    // whose figures they are, whatever the title or the file name say.
    let sheet = extract.table.as_ref().map(|t| t.sheet.as_str());
    let sheet_says = sheet
        .and_then(|s| Some(("工作表名", s, named_month(s)?)))
        .filter(|(_, _, named)| !period.agrees_with(*named));
    let said = sheet_says.or_else(|| {
        [
            ("标题", extract.title.as_deref()),
            ("文件名", Some(file_stem(name))),
        ]
        .into_iter()
        .find_map(|(place, text)| Some((place, text?, named_month(text?)?)))
    });
    match said {
        Some((place, text, named)) if template.is_none() && !period.agrees_with(named) => {
            issues.push(Issue {
                sheet: sheet_says.and(sheet).map(str::to_string),
                ..Issue::file(
                    name,
                    Some(plan.unit_ref(unit)),
                    IssueCode::PeriodMismatch,
                    format!(
                        "{place}“{}”写的期别与本次汇总的期别（{ours}）不一致；请确认报送的是{ours}的报表（本年1月1日以来的累计数）",
                        text.trim()
                    ),
                )
            });
            false
        }
        _ => header_agrees(plan, unit, name, extract, period, issues),
    }
}

/// `period_mismatch` (a warning) when the column read as this period's
/// total names another period (`1-2月累计` in March): a header left from
/// last month's form, or last month's figures. The reader took it because
/// no column as good says this period's (see `ingest::locate`).
fn header_agrees(
    plan: &Plan,
    unit: UnitId,
    name: &str,
    extract: &Extract,
    period: Period,
    issues: &mut Vec<Issue>,
) -> bool {
    let Some(table) = extract
        .table
        .as_ref()
        .filter(|t| extract.template.is_none() && t.actual_other)
    else {
        return true;
    };
    let ours = period.label();
    issues.push(Issue {
        sheet: Some(table.sheet.clone()),
        // The column's own label: the lower of a header over two rows.
        cell: Some(a1(table.header.1, table.actual_col)),
        ..Issue::file(
            name,
            Some(plan.unit_ref(unit)),
            IssueCode::PeriodMismatch,
            format!(
                "累计数一栏的表头“{}”写的期别与本次汇总的期别（{ours}）不一致；请确认填的是{ours}的数（本年1月1日以来的累计数），并改正表头",
                table.actual_label
            ),
        )
    });
    false
}

/// The value and project checks of a file accepted as `unit`'s, its
/// projects against the end of the period it is counted in.
fn check_accepted(
    plan: &Plan,
    unit: UnitId,
    name: &str,
    extract: &Extract,
    options: &CheckOptions,
    period_end: Option<NaiveDate>,
    outcome: &mut Outcome,
) {
    if let Some(table) = &extract.table {
        let mut rows = RowChecker {
            plan,
            unit,
            file: name,
            from_template: extract.template.is_some(),
            previous: options.previous.as_deref(),
            table,
            issues: &mut outcome.issues,
            facts: &mut outcome.facts,
        };
        rows.check_rows();
        if let Some(period) = options.period {
            rows.check_explanations(period, options.tolerance);
        }
    }
    projects::ProjectChecker {
        plan,
        unit,
        file: name,
        // The 填报日期 as resolved for this file (a `4月7日` has its year).
        today: outcome
            .reported_at
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        period_end,
        damaged: &extract.damaged,
        hidden: &extract.hidden,
        issues: &mut outcome.issues,
        facts: &mut outcome.projects,
    }
    .check(extract.projects.as_ref());
}

/// Whether a unit of measure written in a submission is the plan's:
/// alike but for spaces, width and brackets (`万元（现价）`), or both a
/// percentage (`%`, `百分比`). A blank or a dash says nothing.
fn same_unit(written: &str, planned: &str) -> bool {
    let (w, p) = (normalize_label(written), normalize_label(planned));
    w.is_empty()
        || ["-", "—", "/"].contains(&w.as_str())
        || w == p
        || is_percent_unit(&w) && is_percent_unit(&p)
}

fn file_stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// The unit from `填报单位：` or from the file name (section 5).
fn identify_unit(
    plan: &Plan,
    file: &str,
    extract: &Extract,
    issues: &mut Vec<Issue>,
) -> Option<UnitId> {
    let named = plan.units_in(file_stem(file));
    let by_name = match named[..] {
        [u] => Some(u),
        _ => None,
    };
    // A label may say more than the name (`清泉镇人民政府`), but one on
    // another sheet than the table's may be an instruction naming an
    // example (`填报单位：请写全称，如“位奇镇”`): no label, which must not
    // make the file 位奇镇's.
    let instruction = |l: &&Label| {
        // No table found at all: the label's sheet is none of its either.
        let elsewhere = extract.table.as_ref().is_none_or(|t| t.sheet != l.sheet);
        let says = ["请", "例如", "比如", "如“", "如\"", "如:", "如：", "如 "];
        elsewhere
            && plan.unit_named(&l.text).is_none()
            && says.iter().any(|w| fold(&l.text).contains(&fold(w)[..]))
    };
    let label = extract.unit_label.as_ref().filter(|l| !instruction(l));
    let by_label = label.and_then(|l| plan.unit_named(&l.text).or_else(|| plan.unit_in(&l.text)));
    // One of our templates whose label and name were both lost.
    let by_template = extract
        .template
        .as_ref()
        .and_then(|t| plan.unit_named(&t.unit));
    // A file name naming another unit than the label disagrees with it
    // (CONTRACT.md 5), even beside the label's own: `tally fetch` puts the
    // sender's unit first (李桥乡 - 清泉镇3月报表.xlsx, section 13), and
    // a 填报单位 of 清泉镇 there is not 李桥乡's report.
    let disagree = by_label.filter(|a| named.iter().any(|n| n != a));
    match (by_label, by_name) {
        _ if disagree.is_some() => {
            let l = label.expect("by_label implies a label");
            let names: Vec<&str> = named.iter().map(|&u| plan.units[u].name.as_str()).collect();
            // Said to the file name's unit other than the label's, when
            // there is one: fetch names a mailed file after its sender
            // (`李桥乡 - 清泉镇3月报表.xlsx`), and a clerk who sent it must
            // hear it was refused, not that nothing came.
            let others: Vec<UnitId> = named
                .iter()
                .copied()
                .filter(|&u| Some(u) != by_label)
                .collect();
            let owner = match others[..] {
                [u] => Some(plan.unit_ref(u)),
                _ => None,
            };
            issues.push(Issue {
                sheet: Some(l.sheet.clone()),
                cell: Some(l.cell.clone()),
                ..Issue::file(
                    file,
                    owner,
                    IssueCode::UnitMismatch,
                    format!(
                        "文件名表明是“{}”的报表，但表内填报单位写的是“{}”；请确认是哪个单位的报表，改正文件名或填报单位后重新报送",
                        names.join("”或“"),
                        l.text
                    ),
                )
            });
            None
        }
        (Some(u), _) | (None, Some(u)) => Some(u),
        (None, None) if by_template.is_some() => by_template,
        (None, None) => {
            let message = match label {
                _ if named.len() > 1 => {
                    let names: Vec<&str> =
                        named.iter().map(|&u| plan.units[u].name.as_str()).collect();
                    format!(
                        "文件名中有 {} 个单位的名称（{}），无法确定是哪个单位的报表；请在表头写明“填报单位：单位名称”，或把文件名改为本单位名称后重新报送",
                        names.len(),
                        names.join("、")
                    )
                }
                Some(l) => format!(
                    "表内填报单位“{}”不在计划的单位名单中，文件名中也没有单位名称；请写单位全称（如“{}”）后重新报送",
                    l.text,
                    plan.units.first().map_or("某某镇", |u| u.name.as_str())
                ),
                None => "无法确定是哪个单位的报表：表头没有“填报单位：单位名称”，文件名中也没有单位名称；请在表头写明填报单位，或把文件名改为单位名称".to_string(),
            };
            let mut issue = Issue::file(file, None, IssueCode::UnknownUnit, message);
            if let Some(l) = label {
                issue.sheet = Some(l.sheet.clone());
                issue.cell = Some(l.cell.clone());
            }
            issues.push(issue);
            None
        }
    }
}

/// The checks of one accepted file's indicator rows.
struct RowChecker<'a> {
    plan: &'a Plan,
    unit: UnitId,
    file: &'a str,
    /// The file is one of tally's templates: missing and extra rows are
    /// changes made to it, and said so.
    from_template: bool,
    previous: Option<&'a Previous>,
    table: &'a Table,
    issues: &'a mut Vec<Issue>,
    facts: &'a mut Vec<Fact>,
}

/// How a row's value was read, kept to compare duplicates.
#[derive(PartialEq)]
enum Seen {
    Value(f64),
    Blank,
    Invalid,
}

impl RowChecker<'_> {
    fn issue(
        &mut self,
        row: u32,
        col: Option<String>,
        ind: Option<IndicatorId>,
        code: IssueCode,
        message: String,
    ) {
        self.issues.push(Issue {
            file: Some(self.file.to_string()),
            unit: Some(self.plan.unit_ref(self.unit)),
            sheet: Some(self.table.sheet.clone()),
            cell: col.or_else(|| Some(self.table.key_cell(row))),
            indicator_code: ind.map(|i| self.plan.indicators[i].code.clone()),
            severity: code.severity(),
            code,
            message,
            project: None,
        });
    }

    fn indicator_of(&self, row: &Row) -> Option<IndicatorId> {
        row.code
            .as_deref()
            .and_then(|c| self.plan.indicator_by_code(c))
            .or_else(|| {
                row.name
                    .as_deref()
                    .and_then(|n| self.plan.indicator_by_name(n))
            })
    }

    fn check_rows(&mut self) {
        let required = self.plan.required(self.unit);
        let mut seen: HashMap<IndicatorId, (u32, Seen)> =
            HashMap::with_capacity_and_hasher(self.table.rows.len(), Default::default());
        for row in &self.table.rows {
            if self.code_and_name_disagree(row) {
                continue;
            }
            let Some(ind) = self.indicator_of(row) else {
                self.unknown_row(row);
                continue;
            };
            if self.plan.indicators[ind].aggregation == Aggregation::Ratio {
                // Ratios are computed from their parts, never taken as typed.
                continue;
            }
            let value = self.read_value(row, ind, required.contains(&ind));
            let now = match value {
                Some(v) => Seen::Value(v),
                None if row.actual.is_blank() => Seen::Blank,
                None => Seen::Invalid,
            };
            if let Some((first_row, first)) = seen.get(&ind) {
                if *first != now || now == Seen::Invalid {
                    let first_row = *first_row;
                    self.duplicate(ind, first_row, row);
                    seen.insert(ind, (first_row, Seen::Invalid));
                }
                continue;
            }
            seen.insert(ind, (row.row, now));
            if let Some(v) = value {
                self.check_decreased(row, ind, v);
                self.facts.push(Fact {
                    unit: self.unit,
                    indicator: ind,
                    value: v,
                    row: row.row,
                    note: row.note.clone(),
                });
            }
        }
        for ind in required.into_iter().filter(|i| !seen.contains_key(i)) {
            self.missing_row(ind);
        }
    }

    /// `duplicate_indicator`: one indicator twice with different values;
    /// neither can be trusted.
    fn duplicate(&mut self, ind: IndicatorId, first_row: u32, row: &Row) {
        let indicator = &self.plan.indicators[ind];
        let shown = |r: u32| {
            self.table
                .rows
                .iter()
                .find(|x| x.row == r)
                .map(|x| x.actual.display())
                .unwrap_or_default()
        };
        let message = format!(
            "“{}”（{}）在第 {} 行和第 {} 行各填了一次，数值不同（“{}”和“{}”）；请只保留正确的一行",
            indicator.name,
            indicator.code,
            first_row + 1,
            row.row + 1,
            shown(first_row),
            row.actual.display()
        );
        let cell = self.table.actual_cell(row.row);
        self.issue(
            row.row,
            Some(cell),
            Some(ind),
            IssueCode::DuplicateIndicator,
            message,
        );
        self.facts.retain(|f| f.indicator != ind);
    }

    /// `decreased`: a cumulative figure below the previous period's. Only
    /// cumulative figures must not fall: a level (a rate, a mean) may go
    /// down honestly.
    fn check_decreased(&mut self, row: &Row, ind: IndicatorId, v: f64) {
        let i = &self.plan.indicators[ind];
        let cumulative = i.aggregation == Aggregation::Sum && i.profile != Profile::Level;
        let Some(prev) = self.previous.filter(|_| cumulative) else {
            return;
        };
        let Some(&p) = prev.values.get(&(self.unit, ind)) else {
            return;
        };
        if !at_least(v, p) {
            let message = format!(
                "“{}”的本年累计 {} 低于上期（{}）报送的 {}；本年累计数不应减少，请核实是否填成了当月数",
                i.name,
                show(i, v),
                // As people write it (2022年3月); the stored key as is if
                // it is not one.
                prev.period
                    .parse::<crate::model::Period>()
                    .map_or_else(|_| prev.period.clone(), |p| p.label()),
                show(i, p)
            );
            let cell = self.table.actual_cell(row.row);
            self.issue(
                row.row,
                Some(cell),
                Some(ind),
                IssueCode::Decreased,
                message,
            );
        }
    }

    /// `missing_value`: a required indicator without a row.
    fn missing_row(&mut self, ind: IndicatorId) {
        let i = &self.plan.indicators[ind];
        let message = format!(
            "表中没有“{}”（代码 {}）这一行{}；请按模板补上该行并填写本年累计数（{}）",
            i.name,
            i.code,
            if self.from_template {
                "（模板中的这一行被删除了）"
            } else {
                ""
            },
            i.uom
        );
        self.issues.push(Issue {
            sheet: Some(self.table.sheet.clone()),
            indicator_code: Some(i.code.clone()),
            ..Issue::file(
                self.file,
                Some(self.plan.unit_ref(self.unit)),
                IssueCode::MissingValue,
                message,
            )
        });
    }

    /// A row whose code is one indicator and whose name another's (a code
    /// `1.10` typed as a number is 1.1): which was meant cannot be told,
    /// and taking the code counted the value under the wrong indicator
    /// without a word. Said as `unknown_indicator`, and not counted; the
    /// indicator left without its row is then `missing_value`.
    fn code_and_name_disagree(&mut self, row: &Row) -> bool {
        let by_code = row
            .code
            .as_deref()
            .and_then(|c| self.plan.indicator_by_code(c));
        let by_name = row
            .name
            .as_deref()
            .and_then(|n| self.plan.indicator_by_name(n));
        let (Some(c), Some(n)) = (by_code, by_name) else {
            return false;
        };
        if c == n {
            return false;
        }
        let (ic, in_) = (&self.plan.indicators[c], &self.plan.indicators[n]);
        let code = row.code.as_deref().unwrap_or_default();
        let message = format!(
            "第 {} 行的代码“{}”是“{}”，名称“{}”却是另一个指标（代码 {}），无法确定是哪一项，这一行未汇总；请核对代码和名称{}",
            row.row + 1,
            code,
            ic.name,
            row.name.as_deref().unwrap_or_default(),
            in_.code,
            if code.parse::<f64>().is_ok() {
                "（代码写成数字时 1.10 会变成 1.1，请把代码一栏设为文本）"
            } else {
                ""
            }
        );
        self.not_counted(row, message);
        true
    }

    /// `unknown_indicator` for a row not counted, with the code as written,
    /// so that programs can filter these rows (CONTRACT.md section 9).
    fn not_counted(&mut self, row: &Row, message: String) {
        self.issue(row.row, None, None, IssueCode::UnknownIndicator, message);
        if let Some(issue) = self.issues.last_mut() {
            issue.indicator_code = row.code.clone();
        }
    }

    fn unknown_row(&mut self, row: &Row) {
        // A heading such as "一、项目建设" has a name but no code, and no
        // value, or a subtotal (`一、经济发展 7200`): a numbered name that
        // is no indicator of the plan is a heading.
        // One with its own 计量单位 is an indicator the plan lacks.
        let heading = row.name.as_deref().is_some_and(is_section_heading) && row.uom.is_none();
        if row.code.is_none() && (row.actual.is_blank() || heading) {
            return;
        }
        let what = match (&row.code, &row.name) {
            (Some(c), Some(n)) => format!("代码“{c}”、名称“{n}”"),
            (Some(c), None) => format!("代码“{c}”"),
            (None, Some(n)) => format!("名称“{n}”"),
            (None, None) => String::new(),
        };
        let message = format!(
            "第 {} 行的指标（{what}）不在本期计划中{}，这一行未汇总；请核对指标代码和名称，或删除这一行",
            row.row + 1,
            if self.from_template {
                "（模板中没有这一行：是后加的，或指标代码被改动）"
            } else {
                ""
            }
        );
        self.not_counted(row, message);
    }

    /// The row's valid value, reporting what is wrong with it.
    fn read_value(&mut self, row: &Row, ind: IndicatorId, required: bool) -> Option<f64> {
        let value = self.parse_value(row, ind, required)?;
        let target = self
            .plan
            .target(Some(self.unit), ind)
            .map(|t| t.goal.target);
        if !self.check_bounds(row, ind, value, target) {
            return None;
        }
        self.check_target_column(row, ind, target);
        Some(value)
    }

    /// The number in the row's actual cell (a fraction for a percentage),
    /// or the issue saying why there is none.
    fn parse_value(&mut self, row: &Row, ind: IndicatorId, required: bool) -> Option<f64> {
        let i = &self.plan.indicators[ind];
        let (code, message) = match read_number(&row.actual) {
            Reading::Missing if !required => return None,
            Reading::Missing => (
                IssueCode::MissingValue,
                format!(
                    "“{}”的本年累计为空；请填写本年累计完成数（{}），没有进展请填 0",
                    i.name, i.uom
                ),
            ),
            Reading::NotANumber(text) => (
                IssueCode::NotANumber,
                format!(
                    "“{text}”不是数字；请在 {} 填写“{}”的本年累计完成数（{}），只填数字",
                    self.table.actual_cell(row.row),
                    i.name,
                    i.uom
                ),
            ),
            Reading::FormulaError(e) => (
                IssueCode::FormulaError,
                format!(
                    "“{}”的本年累计是公式错误（{e}）；请检查公式，或直接填写数字",
                    i.name
                ),
            ),
            Reading::Number {
                value,
                percent,
                trailing_unit,
            } => {
                let counted = if i.is_percent() {
                    fraction(self.from_template, &row.actual, value, percent)
                } else {
                    value
                };
                let typed =
                    trailing_unit.or_else(|| (percent && !i.is_percent()).then(|| "%".to_string()));
                // Said what was counted: the clerk must see whether the
                // total now holds a number 10,000 times too big. A unit
                // typed after the figure, or else the row's own 计量单位
                // column: the figure is in that unit, which the plan's is
                // not.
                let column = row.uom.as_deref().filter(|u| !same_unit(u, &i.uom));
                let said = match (typed.as_deref(), column) {
                    (Some(u), _) if normalize_label(u) != normalize_label(&i.uom) => Some(format!(
                        "“{}”的数值后写的单位“{u}”与计量单位“{}”不一致，本次按 {}计入；如有出入，请换算为{}后只填数字",
                        i.name,
                        i.uom,
                        show_exactly(i, counted),
                        i.uom
                    )),
                    (None, Some(u)) => Some(format!(
                        "“{}”一行的计量单位写的是“{u}”（{}），与计划的计量单位“{}”不一致，本次按 {}计入；如有出入，请换算为{}后填写",
                        i.name,
                        self.table.uom_cell(row.row),
                        i.uom,
                        show_exactly(i, counted),
                        i.uom
                    )),
                    _ => None,
                };
                if let Some(message) = said {
                    let cell = self.table.actual_cell(row.row);
                    self.issue(
                        row.row,
                        Some(cell),
                        Some(ind),
                        IssueCode::UnitOfMeasure,
                        message,
                    );
                }
                return Some(counted);
            }
        };
        let cell = self.table.actual_cell(row.row);
        self.issue(row.row, Some(cell), Some(ind), code, message);
        None
    }

    /// Negative values are refused; values outside the plausible range or
    /// far over the target are said. False when the value cannot be used.
    fn check_bounds(
        &mut self,
        row: &Row,
        ind: IndicatorId,
        value: f64,
        target: Option<f64>,
    ) -> bool {
        // Names and numbers for people are made only for an issue: most
        // values have none.
        let i = &self.plan.indicators[ind];
        let shown = || show(i, value);
        if value < 0.0 {
            let message = format!(
                "“{}”的本年累计为负数（{}）；累计完成数不能小于 0，请改正",
                i.name,
                shown()
            );
            let cell = self.table.actual_cell(row.row);
            self.issue(
                row.row,
                Some(cell),
                Some(ind),
                IssueCode::NegativeValue,
                message,
            );
            return false;
        }
        if i.min.is_some_and(|m| value < m) || i.max.is_some_and(|m| value > m) {
            let bound = |b: Option<f64>| b.map(|b| show(i, b)).unwrap_or_default();
            let message = format!(
                "“{}”的本年累计 {} 超出合理范围（{}–{}）；请核实数值和计量单位",
                i.name,
                shown(),
                bound(i.min),
                bound(i.max)
            );
            let cell = self.table.actual_cell(row.row);
            self.issue(
                row.row,
                Some(cell),
                Some(ind),
                IssueCode::OutOfRange,
                message,
            );
        }
        if let Some(t) = target
            && i.direction == crate::model::Direction::Higher
            && t > 0.0
            && value > 1.5 * t
        {
            // Only a sum of money invites the 元-for-万元 slip.
            let check = if i.uom.contains('元') {
                "请核实是否把“元”当成了“万元”"
            } else {
                "请核实数值是否填错（如多填了一位或填成了其他指标的数）"
            };
            let message = format!(
                "“{}”的本年累计 {} 超过年度目标 {} 的 150%；{check}",
                i.name,
                shown(),
                show(i, t)
            );
            let cell = self.table.actual_cell(row.row);
            self.issue(
                row.row,
                Some(cell),
                Some(ind),
                IssueCode::OverTarget,
                message,
            );
        }
        true
    }

    fn check_target_column(&mut self, row: &Row, ind: IndicatorId, planned: Option<f64>) {
        let (Some(cell_value), Some(col), Some(planned)) =
            (&row.target, self.table.target_col, planned)
        else {
            return;
        };
        let i = &self.plan.indicators[ind];
        let Reading::Number { value, percent, .. } = read_number(cell_value) else {
            return;
        };
        let written = if i.is_percent() {
            fraction(self.from_template, cell_value, value, percent)
        } else {
            value
        };
        if (written - planned).abs() > 1e-6 * planned.abs().max(1.0) {
            self.issue(row.row, Some(a1(row.row, col)), Some(ind), IssueCode::TargetChanged, format!(
                "表中“{}”的年度目标写的是 {}，计划下达的是 {}；目标以计划为准，请不要改动目标列",
                i.name, show(i, written), show(i, planned)
            ));
        }
    }

    /// `missing_explanation`: a task behind expected progress with no note.
    fn check_explanations(&mut self, period: Period, tolerance: Tolerance) {
        let elapsed = period.elapsed();
        let value = |ind: IndicatorId| self.facts.iter().find(|f| f.indicator == ind);
        let mut behind: Vec<(IndicatorId, u32, f64, f64)> = Vec::new();
        for t in self.plan.targets_of(self.unit) {
            let i = &self.plan.indicators[t.indicator];
            let (actual, fact) = match i.ratio_of {
                Some(r) => match (value(r.numerator), value(r.denominator)) {
                    (Some(n), Some(d)) if d.value > 0.0 => (n.value / d.value, n),
                    _ => continue,
                },
                None => match value(t.indicator) {
                    Some(f) => (f.value, f),
                    None => continue,
                },
            };
            if progress::status(&t.goal, Some(actual), elapsed, tolerance) != Status::Behind {
                continue;
            }
            let has_note = match i.ratio_of {
                Some(r) => r
                    .parts()
                    .into_iter()
                    .filter_map(value)
                    .any(|f| f.note.is_some()),
                None => fact.note.is_some(),
            };
            if !has_note {
                behind.push((t.indicator, fact.row, actual, t.goal.expected(elapsed)));
            }
        }
        for (ind, row, actual, expected) in behind {
            let i = &self.plan.indicators[ind];
            let target = self
                .plan
                .target(Some(self.unit), ind)
                .map_or(0.0, |t| t.goal.target);
            // Shares of the year's target: what is done, and what this
            // indicator's profile expects by now (not the calendar's share:
            // a quarterly task may expect 37.2% at the end of March).
            let share = |v: f64| {
                if target > 0.0 && !i.is_percent() {
                    format!("（年度目标的 {}）", percent(v / target))
                } else {
                    String::new()
                }
            };
            let note_cell = self.table.note_cell(row);
            let mut message = format!(
                "“{}”本年累计 {}{}，低于按时间进度应完成的",
                i.name,
                show(i, actual),
                share(actual)
            );
            // 0.25 个 of a village is no figure: a count due in part is
            // said as the share of the year's whole ones. (Written into
            // one string: there is one of these per task behind.)
            let _ = if is_count_unit(&i.uom) && expected.fract() != 0.0 && target > 0.0 {
                write!(
                    message,
                    "年度目标的 {}（全年 {}）",
                    percent(expected / target),
                    show(i, target)
                )
            } else {
                write!(message, " {}{}", show(i, expected), share(expected))
            };
            let _ = write!(
                message,
                "，但没有说明滞后原因；请在 {note_cell} 填写滞后原因"
            );
            self.issue(
                row,
                Some(note_cell.clone()),
                Some(ind),
                IssueCode::MissingExplanation,
                message,
            );
        }
    }
}

/// A value in the indicator's unit, every digit as it was read (to six
/// decimals), not rounded for reading: for saying what was counted.
fn show_exactly(i: &Indicator, v: f64) -> String {
    if i.is_percent() {
        format!("{}%", format_number(v * 100.0))
    } else if i.uom.is_empty() {
        format_number(v)
    } else {
        format!("{} {}", format_number(v), i.uom)
    }
}

/// A % indicator's number as a fraction. The template formats its % cells
/// `0.0%`, so a number there is the fraction itself: a clerk's 120% is 1.2
/// (read as a percentage, 1.2 was 1.2%, and a 120% target "changed"). Only
/// a number over 10 there (85 pasted from elsewhere, the cell showing
/// 8500%) is taken for a percentage; as is any number elsewhere over 1, by
/// the contract's rule (`0.7`, `70%` or `70`). The template's live rules
/// read it the same way (`template::live`).
fn fraction(from_template: bool, cell: &CellValue, value: f64, percent: bool) -> f64 {
    if from_template && matches!(cell, CellValue::Number(_)) && value.abs() <= TEMPLATE_FRACTION_MAX
    {
        value
    } else {
        as_fraction(value, percent)
    }
}

/// A value with its unit of measure, rounded for people: `3200 万元`,
/// `0.0733 万亩`, `72.5%`.
pub fn show(i: &Indicator, v: f64) -> String {
    if i.is_percent() {
        format!("{}%", format_number(percent_rounded(v)))
    } else if i.uom.is_empty() {
        format_for_people(v)
    } else {
        format!("{} {}", format_for_people(v), i.uom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_counted_is_said_with_every_digit() {
        // The rounding for people (81.5%, 2345.7) would hide what the
        // total now holds.
        let mut rate = Indicator::example("WS01");
        rate.uom = "%".into();
        assert_eq!(show_exactly(&rate, 0.8146), "81.46%");
        assert_eq!(show(&rate, 0.8146), "81.5%");
        let money = Indicator::example("FA01");
        assert_eq!(show_exactly(&money, 2345.678), "2345.678 万元");
        assert_eq!(show(&money, 2345.678), "2345.7 万元");
    }

    fn submission(file: Option<&str>, status: SubmissionStatus) -> Submission {
        Submission {
            file: file.map(str::to_string),
            unit: None,
            status,
            sha256: None,
            reported_at: None,
            errors: 0,
            warnings: 0,
            replaced_by: None,
        }
    }

    fn issue(file: &str, message: &str) -> Issue {
        Issue::file(file, None, IssueCode::NotANumber, message.to_string())
    }

    #[test]
    fn each_file_finds_its_own_submission_and_issues_in_order() {
        let checked = Checked {
            submissions: vec![
                submission(Some("甲.xlsx"), SubmissionStatus::Accepted),
                submission(Some("乙.xlsx"), SubmissionStatus::Rejected),
                submission(None, SubmissionStatus::Missing),
                submission(Some("乙.xlsx"), SubmissionStatus::Superseded),
            ],
            issues: vec![
                issue("甲.xlsx", "一"),
                issue("乙.xlsx", "二"),
                issue("", "未报送"),
                issue("甲.xlsx", "三"),
            ],
            ..Checked::default()
        };
        let files = checked.by_file();
        let messages =
            |f: &str| -> Vec<&str> { files.issues(f).iter().map(|i| i.message.as_str()).collect() };
        assert_eq!(messages("甲.xlsx"), ["一", "三"]);
        assert_eq!(messages("乙.xlsx"), ["二"]);
        assert_eq!(
            files.submission("乙.xlsx").map(|s| s.status),
            Some(SubmissionStatus::Rejected)
        );
        // A unit that sent nothing has no file; a name not in the inbox
        // has nothing.
        assert!(messages("").is_empty());
        assert!(messages("丙.xlsx").is_empty());
        assert!(files.submission("丙.xlsx").is_none());
    }
}
