//! Finding the indicator table, the key-project table and the 填报单位 /
//! 填报日期 lines in a sheet.
//!
//! Works on a [`Grid`] alone, with no knowledge of the plan: a header is
//! recognised by its words (CONTRACT.md sections 5 and 11), one row or two,
//! below any number of title rows. The two tables may share a sheet; each
//! ends where the other's header begins.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::model::issue::a1;
use crate::model::period::{Naming, Period};
use crate::model::value::{CellValue, Reading, fold, normalize_label, read_date, read_number};
use crate::model::vocabulary::{
    Column, ProjectColumn, Vocabulary, is_actual_word, names_this_year, project_column,
};
use crate::sheet::Grid;

/// How far down a sheet the header may start.
const HEADER_SEARCH_ROWS: usize = 40;

/// One indicator row as found, not yet interpreted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Zero-based row.
    pub row: u32,
    pub code: Option<String>,
    pub name: Option<String>,
    pub actual: CellValue,
    pub note: Option<String>,
    pub target: Option<CellValue>,
    /// The row's 计量单位, where the table has such a column: a figure in
    /// 亿元 beside a plan in 万元 is 10,000 times off.
    pub uom: Option<String>,
}

/// The indicator table of a workbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub sheet: String,
    /// First and last row of the header (equal for a one-row header).
    pub header: (u32, u32),
    pub code_col: Option<u32>,
    pub name_col: Option<u32>,
    pub actual_col: u32,
    /// The actual column's header as written (its group's and its own
    /// label joined), to name in a message.
    pub actual_label: String,
    /// That label names another period than the one read for
    /// (`1-2月累计` in March): the reader took it for want of a better.
    pub actual_other: bool,
    pub note_col: Option<u32>,
    pub target_col: Option<u32>,
    pub uom_col: Option<u32>,
    pub rows: Vec<Row>,
    /// More than one column could have been the actual one: which group
    /// spans which may decide it (not sent by the reading workers).
    #[serde(skip)]
    pub rivals: bool,
}

impl Table {
    /// A1 reference of the actual cell in `row`.
    pub fn actual_cell(&self, row: u32) -> String {
        a1(row, self.actual_col)
    }

    /// A1 reference of the note cell in `row` (the actual cell when the
    /// table has no note column).
    pub fn note_cell(&self, row: u32) -> String {
        a1(row, self.note_col.unwrap_or(self.actual_col))
    }

    /// A1 reference of the 计量单位 cell in `row` (the actual cell when
    /// the table has no such column).
    pub fn uom_cell(&self, row: u32) -> String {
        a1(row, self.uom_col.unwrap_or(self.actual_col))
    }

    /// A1 reference of the code cell, else the name cell, of `row`.
    pub fn key_cell(&self, row: u32) -> String {
        a1(row, self.code_col.or(self.name_col).unwrap_or(0))
    }
}

/// A labelled text found above a table, such as `填报单位：清泉镇`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub text: String,
    pub sheet: String,
    pub cell: String,
}

struct Columns {
    code: Option<u32>,
    name: Option<u32>,
    uom: Option<u32>,
    actual: Option<u32>,
    note: Option<u32>,
    target: Option<u32>,
    /// More than one column could be the actual one.
    rivals: bool,
    /// The actual column's label names another period (`1-2月累计`).
    actual_other: bool,
}

impl Columns {
    /// The columns named by `labels`: each column's candidate labels, and
    /// how it is dated ([`Earlier`], [`Fit`]), worked out only for a
    /// column that could be the actual one (reading the label's words
    /// costs, and every row searched for a header asks).
    fn from_labels<F: FnOnce() -> (Earlier, Fit)>(
        labels: impl Iterator<Item = (u32, Vec<String>, F)>,
        words: &Vocabulary,
    ) -> Columns {
        let mut cols = Columns {
            code: None,
            name: None,
            uom: None,
            actual: None,
            note: None,
            target: None,
            rivals: false,
            actual_other: false,
        };
        // The actual column found so far: its class (see below, the lower
        // the better), whether it names this period, and its label undated.
        let mut best: Option<(u8, Fit, String)> = None;
        let mut seen_actual = false;
        for (c, candidates, dating) in labels {
            let Some((r, label)) = candidates.iter().find_map(|l| Some((words.column(l)?, l)))
            else {
                continue;
            };
            // Of several actual columns: a label that is itself a word for
            // this year's total (`本年累计`, `1-3月累计`; `本年累计应完成`
            // merely begins like one) wins over `累计完成` (since a project
            // began); one through last month's end comes after, one
            // mentioning an earlier period last (a lone
            // `本年累计（含上年结转）` is still the column); an earlier
            // period's never. Among equals, the leftmost, unless it names
            // another period's months (`1-2月累计 | 本年累计` in March), or
            // a later one says the same but names this period (`1-3月累计`
            // beside `1-2月累计`, `本年累计` over `1-2月 | 1-3月`): a
            // `1-3月累计（亿元）` beside `本年累计（万元）` is no such. A
            // February form's `1-2月累计` still wins over `累计完成（开工以来）`,
            // with a warning.
            if r == Column::Actual {
                // Counted before any is ruled out by its dates, which a
                // group's span may have given.
                cols.rivals |= std::mem::replace(&mut seen_actual, true);
                let exact = is_actual_word(label) || words.is_own(label);
                let (earlier, fit) = dating();
                let class = match earlier {
                    Earlier::Yes => continue,
                    Earlier::No if exact && names_this_year(label) => 0,
                    Earlier::No => 1,
                    Earlier::Through => 2,
                    Earlier::Mentions => 3,
                };
                // Two rows' labels joined, last: `本年累计3月` and
                // `本年累计1-3月` say the same.
                let key = undated(candidates.last().unwrap_or(label));
                let better = best.as_ref().is_none_or(|(b, bfit, bkey)| {
                    class < *b
                        || class == *b && *bfit == Fit::Other && fit != Fit::Other
                        || class == *b && key == *bkey && fit.rank() < bfit.rank()
                });
                if better {
                    cols.actual = Some(c);
                    cols.actual_other = fit == Fit::Other;
                    best = Some((class, fit, key));
                }
                continue;
            }
            let slot = match r {
                Column::Code => &mut cols.code,
                Column::Name => &mut cols.name,
                Column::Uom => &mut cols.uom,
                Column::Actual => &mut cols.actual,
                Column::Note => &mut cols.note,
                Column::Target => &mut cols.target,
            };
            slot.get_or_insert(c);
        }
        cols
    }

    fn complete(&self) -> bool {
        (self.code.is_some() || self.name.is_some()) && self.actual.is_some()
    }
}

/// Whether a column holds this period's figures done, by its label as
/// written (bracketed words are dropped from labels, so `本年累计（上月）`
/// and `本年累计（计划）` are read here before that).
#[derive(Clone, Copy, PartialEq)]
enum Earlier {
    No,
    /// An earlier period's figures (`上月`, `本年累计（上月）`,
    /// `累计完成（截至上年底）`), or no figures done (`本年累计计划`,
    /// `本年累计增减`): never the actual column.
    Yes,
    /// Names an earlier period along the way (`本年累计（含上年结转）`,
    /// `本年累计（同期口径）`): the actual column only when no other is.
    Mentions,
    /// `累计完成（截至上月底）`: filed this month, likely this period's
    /// total; after any undated actual column, before one that mentions
    /// an earlier period.
    Through,
}

/// Whether a column's label names the period being read: `1-3月`,
/// `截至3月底`, `2022年1-3月` or `本年累计（2022年）` in March 2022.
#[derive(Clone, Copy, PartialEq)]
enum Fit {
    /// No months or year, this period's lone month (`3月`, maybe the
    /// month's own figure), or the period is not known.
    Unsaid,
    This,
    /// This period's as `3月累计`, after `1-3月累计` (see [`Naming`]).
    Loosely,
    /// Another period's (`1-2月` in March): after any equal column that
    /// does not say so.
    Other,
}

impl Fit {
    /// How surely the label names this period's total: the lower the
    /// surer.
    fn rank(self) -> u8 {
        match self {
            Fit::This => 0,
            Fit::Loosely => 1,
            Fit::Unsaid => 2,
            Fit::Other => 3,
        }
    }
}

/// A normalized label without its dates: `累计` of `1-3月累计`,
/// `累计完成` of `截至3月底累计完成`.
fn undated(label: &str) -> String {
    label
        .replace("截至", "")
        .replace("截止", "")
        .chars()
        .filter(|c| !c.is_ascii_digit() && !"年月日底末份至到-—~".contains(*c))
        .collect()
}

/// [`Fit`] of a label as written.
fn period_fit(text: &str, period: Option<Period>) -> Fit {
    match period.and_then(|p| p.naming(text)) {
        Some(Naming::This) => Fit::This,
        Some(Naming::Loosely) => Fit::Loosely,
        Some(Naming::Other) => Fit::Other,
        None => Fit::Unsaid,
    }
}

fn earlier_period(text: &str, words: &Vocabulary) -> Earlier {
    let t = fold(text);
    let plain = normalize_label(&t);
    // The bureau's own word means what it says (`目标完成值`), but may
    // still be dated (`完成` under a `上年同期` group).
    if words.is_own(&plain) {
        return period_of(&t, words.period());
    }
    // Not figures done at all: a plan's, or one derived from them
    // (`本年累计计划`, `本年累计（目标）`, `本年累计增减`, `排名`); a
    // remark in brackets that only mentions one (`本年累计（不含预计数）`,
    // `（按年度目标任务口径）`) is no such column.
    // `下达`, `安排` and `要完成` are a target's only when the label says
    // no `完成` of its own (`累计完成下达投资` is done; `主要完成量` too).
    let allotted = |w: &str| match w {
        "下达" | "安排" => !plain.contains("完成"),
        "要完成" => !plain.contains("主要完成"),
        _ => true,
    };
    let not_done = NOT_DONE.iter().any(|w| plain.contains(w) && allotted(w))
        || bracket_parts(&t).iter().any(|part| {
            NOT_DONE.iter().any(|w| {
                allotted(w)
                    && part
                        .strip_prefix(w)
                        .is_some_and(|r| ["", "数", "值"].contains(&r))
            })
        });
    if not_done {
        return Earlier::Yes;
    }
    period_of(&t, words.period())
}

/// The parts of a label in brackets: `上月` of `本年累计（上月）`.
fn bracket_parts(t: &str) -> Vec<&str> {
    t.split(['(', '（', '[', '【', '〔'])
        .skip(1)
        .filter_map(|part| part.split([')', '）', ']', '】', '〕']).next())
        .collect()
}

/// [`earlier_period`] by the period words alone: for a group label over
/// two rows, which may well say `目标完成情况` over this year's total.
fn period_of(t: &str, period: Option<Period>) -> Earlier {
    let Some(word) = EARLIER.iter().find(|w| t.contains(**w)) else {
        // A year in brackets (`本年累计（2021年）`) other than the period's
        // (unknown to `check` without `--period`): such a column comes
        // after any undated one.
        let year = |p: &str| {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            digits.len() == 4
                && (digits.starts_with("19") || digits.starts_with("20"))
                && period.is_none_or(|p| digits != p.year().to_string())
        };
        return match bracket_parts(t).into_iter().any(year) {
            true => Earlier::Mentions,
            false => Earlier::No,
        };
    };
    let through = t.contains("截至") || t.contains("截止") || t.starts_with("至");
    // The label, or a bracketed part of it, is the earlier period itself.
    let dated = earlier_sub_label(t) || bracket_parts(t).into_iter().any(earlier_sub_label);
    match *word {
        "上月" | "上期" if through => Earlier::Through,
        _ if dated || through => Earlier::Yes,
        _ => Earlier::Mentions,
    }
}

const EARLIER: [&str; 6] = ["上月", "上期", "上年", "去年", "同期", "上季"];

/// Words of a column of no figures done: a plan's, an expected one, or
/// one derived from the figures (a rate is never a cumulative amount).
const NOT_DONE: [&str; 24] = [
    "序时进度",
    "时间进度",
    "计划",
    "需完成",
    "要完成",
    "应达到",
    "下达",
    "安排",
    "目标",
    "任务",
    "预计",
    "应完成",
    "增减",
    "增幅",
    "差额",
    "缺口",
    "欠账",
    "进度",
    "排名",
    "位次",
    "同比",
    "环比",
    "率",
    "占比",
];

/// A sub-label naming an earlier period and nothing else (`上月`, `上年同期`,
/// `上期累计`): under a group label it makes the row a second header row.
/// A clerk's `同上月` or `较上年持平` in the first data row does not.
fn earlier_sub_label(text: &str) -> bool {
    let t = normalize_label(text);
    let rest = EARLIER
        .iter()
        .find_map(|w| t.strip_prefix(w))
        .map(|r| r.trim_start_matches("同期"));
    rest.is_some_and(|r| {
        [
            "",
            "数",
            "值",
            "末",
            "底",
            "累计",
            "完成",
            "累计完成",
            "完成数",
            "完成值",
            "累计数",
            "实际",
        ]
        .contains(&r)
    })
}

/// A label under a group label that says which figures its column holds
/// instead of this period's done (`上月`, `上年同期`, `计划`, `目标`): the
/// row is then a second header row. A clerk's `同上月` or `较上年持平` in
/// the first data row is not.
fn sub_label(text: &str) -> bool {
    let t = normalize_label(text);
    // What was due, or a rate: `本年累计` over `应完成 | 实际完成 | 完成率`
    // is a group whose first column is no figure done.
    const DUE: [&str; 20] = [
        "计划",
        "目标",
        "任务",
        "计划数",
        "目标数",
        "任务数",
        "应完成",
        "应完成数",
        "需完成",
        "序时进度",
        "时间进度",
        "进度",
        "全年目标",
        "年度目标",
        "全年计划",
        "年度计划",
        "全年任务",
        "年度任务",
        "计划完成",
        "完成率",
    ];
    earlier_sub_label(&t) || DUE.contains(&t.as_str())
}

/// Whether a label under a group that is only a time says which of its
/// figures a column holds (`本月`, `本年累计`, `上年同期`, `合计`): then
/// the row below is a second header row, not a clerk's `暂无`.
fn names_a_part(text: &str, words: &Vocabulary) -> bool {
    let t = normalize_label(text);
    words.column(&t).is_some()
        || sub_label(&t)
        || dated_sub_label(&t)
        || TIME_GROUP_OWN.contains(&t.as_str())
        || [
            "本月",
            "当月",
            "本月完成",
            "当月完成",
            "完成",
            "增减",
            "同比",
            "增长",
        ]
        .iter()
        .any(|w| t.starts_with(w))
}

/// A label that is a time and nothing else (`1-2月`, `2022年`, `3月`,
/// `一季度`; a bare `2022` is a clerk's figure typed as text): two of
/// them under a group label make a second header row (one may be a
/// clerk's `3月` in the first data row).
fn dated_sub_label(text: &str) -> bool {
    static DATED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^((19|20)\d\d年)?((1[0-2]|[1-9])月?[-—~至到])?(1[0-2]|[1-9])月份?(底|末)?$|^(19|20)\d\d年$|^第?[一二三四1-4]季度$",
        )
        .expect("valid regex")
    });
    DATED.is_match(&normalize_label(text))
}

/// The header rows and columns, if `grid` holds an indicator table.
fn find_header(grid: &Grid, words: &Vocabulary) -> Option<((u32, u32), Columns)> {
    let label = |r: u32, c: u32| normalize_label(&grid.get_merged(r, c).shown());
    let earlier = |r: u32, c: u32| {
        let text = grid.get_merged(r, c).shown();
        (
            earlier_period(&text, words),
            period_fit(&text, words.period()),
        )
    };
    let earlier = &earlier;
    let one_row = |r: u32, c: u32| (c, vec![label(r, c)], move || earlier(r, c));
    for (r, cells) in grid.rows().take(HEADER_SEARCH_ROWS) {
        if cells.len() < 2 {
            continue;
        }
        let one = Columns::from_labels(cells.iter().map(|(c, _)| one_row(r, *c)), words);
        let below = r + 1;
        // Complete, unless its actual label is a group over last month's
        // and this month's columns (`上月` under it), or over two dated
        // ones (`1-2月 | 1-3月`), or is only a time (`2022年1-3月`) over
        // labels: read as two rows.
        let text_below = |c: u32| match grid.get(below, c) {
            CellValue::Text(t) => Some(t.as_str()),
            _ => None,
        };
        let grouped = one.actual.is_some_and(|c| {
            let Some(t) = text_below(c) else {
                return false;
            };
            let time_only = dated_sub_label(&grid.get_merged(r, c).shown());
            // A dated label (`1-2月`) beside another, or beside `上年同期`.
            let dated_beside = || {
                dated_sub_label(t)
                    && grid.row(below).iter().any(|(o, _)| {
                        *o != c
                            && text_below(*o).is_some_and(|o| dated_sub_label(o) || sub_label(o))
                    })
            };
            (time_only && names_a_part(t, words)) || sub_label(t) || dated_beside()
        });
        if one.complete() && !grouped {
            return Some(((r, r), one));
        }
        // A header over two rows: a group label above ("完成情况") and the
        // column's own label below ("本年累计"); either may name the role.
        let next = grid.row(below);
        let alone = Columns::from_labels(next.iter().map(|(c, _)| one_row(below, *c)), words);
        if alone.complete() {
            // The next row is a header by itself: this one is a title.
            continue;
        }
        // A row with figures in it is data, never a header row.
        let labels_only = next.iter().all(|(_, v)| match v {
            // `2022年` reads as a number with its unit, but is a label.
            CellValue::Text(t) => {
                t.is_empty()
                    || dated_sub_label(t)
                    || !matches!(read_number(v), Reading::Number { .. })
            }
            CellValue::Empty => true,
            _ => false,
        });
        if !labels_only {
            if one.complete() {
                return Some(((r, r), one));
            }
            continue;
        }
        let mut cols: Vec<u32> = cells
            .iter()
            .map(|(c, _)| *c)
            .chain(next.iter().map(|(c, _)| *c))
            .collect();
        cols.sort_unstable();
        cols.dedup();
        let two = Columns::from_labels(two_row_labels(grid, r, cols, words), words);
        if two.complete() {
            return Some(((r, below), two));
        }
        // Not two rows after all (`上月` was a clerk's word in the first
        // data row): the complete one-row header stands.
        if one.complete() {
            return Some(((r, r), one));
        }
    }
    None
}

/// The candidate labels of each column of a header over rows `r` and
/// `r + 1`: its own label below, the group label above (not a time alone,
/// see below), the group's and its own joined. A
/// group label over this year's and last month's columns (`本年累计` over
/// `上月 | 本月`) dates the column by the label below (`上月` comes last);
/// one centred across its columns without a merge (the cells right of it
/// blank) covers them as a merge would.
fn two_row_labels<'a>(
    grid: &'a Grid,
    r: u32,
    cols: Vec<u32>,
    words: &'a Vocabulary,
) -> impl Iterator<Item = (u32, Vec<String>, impl FnOnce() -> (Earlier, Fit))> + 'a {
    let below = r + 1;
    let raw = |r: u32, c: u32| grid.get_merged(r, c).shown().into_owned();
    let groups = groups_over(grid, r, &cols, words);
    cols.into_iter().zip(groups).map(move |(c, group)| {
        let (mut top, bottom) = (raw(r, c), raw(below, c));
        let bottom_label = normalize_label(&bottom);
        if top.trim().is_empty()
            && !bottom.trim().is_empty()
            && words.column(&bottom_label).is_none()
        {
            // Only a label that names nothing itself (`本月` under a
            // centred `本年累计`) takes the group's; `本年累计` typed below
            // beside a `上年同期` group is its own column.
            top = group.clone();
        }
        // A group dates every column it spans, merged or not (merges are
        // read only when needed, see `ingest::extract`): `累计` under
        // `上年同期` or `2021年1-3月`, unless the label below says its own
        // year (`本年累计` right of a `2021年1-3月` group).
        let dating = match top.trim().is_empty() && !names_this_year(&bottom_label) {
            true => group.clone(),
            false => top.clone(),
        };
        let top_label = normalize_label(&top);
        // Joined with the group over it even where the label below names
        // its column itself: `本年累计1-3月` says what `本年累计3月` beside
        // it does (see `Columns::from_labels`).
        let joined = format!("{}{bottom_label}", normalize_label(&group));
        // The label below by all its words; the group label above by its
        // period only (`目标完成情况` may head this year's total).
        let both = [
            period_of(&fold(&dating), words.period()),
            earlier_period(&bottom, words),
        ];
        let dated = [Earlier::Yes, Earlier::Mentions, Earlier::Through]
            .into_iter()
            .find(|e| both.contains(e))
            .unwrap_or(Earlier::No);
        // The months may be below (`本年累计` over `1-2月 | 1-3月`), above
        // (`2022年1-3月` over `本月 | 累计`) or in both (`3月` over `累计`).
        let period = words.period();
        let fit = {
            let joined = format!("{dating}{bottom}");
            move || {
                [&bottom, &dating, &joined]
                    .into_iter()
                    .map(|t| period_fit(t, period))
                    .find(|f| *f != Fit::Unsaid)
                    .unwrap_or(Fit::Unsaid)
            }
        };
        // A group label that is only a time (`2022年1-3月`, `1-3月`) names
        // the column under it only where that says no more than whose
        // (`本年`, `合计`) or when (`2022年` under `1-3月`); `本月` under
        // it is the month's own figure, `占全年%` a share, and `完成` names
        // it joined (`1-3月完成`).
        let group_names_it = !dated_sub_label(&top)
            || bottom_label.is_empty()
            || TIME_GROUP_OWN.contains(&bottom_label.as_str())
            || dated_sub_label(&bottom_label);
        let candidates = match group_names_it {
            true => vec![bottom_label, top_label, joined],
            false => vec![bottom_label, joined],
        };
        (c, candidates, move || (dated, fit()))
    })
}

/// Labels under a group that is only a time which take the group's role:
/// the figure itself, for this year or in all.
const TIME_GROUP_OWN: [&str; 5] = ["本年", "今年", "本期", "实际", "合计"];

/// The label over each of `cols` (sorted) in header row `r`: its own,
/// else the group label left of it that spans it, centred across its
/// columns without a merge (or merged, before merges are read). A group
/// begins at its label and has a label under it in row `r + 1` (a label
/// merged down two rows, such as `上年完成`, is none). Where a column with
/// a sub-label under it but none over it has no group to its left, the
/// group labels were typed in the middle of their columns, and which spans
/// what cannot be told: from there on, none is given (a `序号` typed in
/// the lower row is no sub-label). One pass, as a header may be wide.
fn groups_over(grid: &Grid, r: u32, cols: &[u32], words: &Vocabulary) -> Vec<String> {
    let shown = |c: u32| grid.get_merged(r, c).shown().trim().to_string();
    let mut group: Option<String> = None;
    let mut unknown = false;
    cols.iter()
        .map(|&x| {
            let top = shown(x);
            // The cell below as it is, not its merge's: a label merged
            // down over it is no group.
            let below = grid.get(r + 1, x).shown();
            let below = below.trim();
            if !top.is_empty() {
                group = (!below.is_empty()).then(|| top.clone());
                return top;
            }
            unknown |= group.is_none()
                && !below.is_empty()
                && words
                    .column(&normalize_label(below))
                    .is_none_or(|role| role == Column::Actual);
            match unknown {
                true => String::new(),
                false => group.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// [`groups_over`] for one column.
fn group_over(grid: &Grid, r: u32, c: u32, words: &Vocabulary) -> String {
    let mut cols: Vec<u32> = grid
        .row(r)
        .iter()
        .chain(grid.row(r + 1))
        .map(|(x, _)| *x)
        .filter(|x| *x <= c)
        .collect();
    cols.sort_unstable();
    cols.dedup();
    groups_over(grid, r, &cols, words).pop().unwrap_or_default()
}

/// Row labels that are not indicators: totals, footers, and the 甲乙丙
/// column-number row Chinese statistical forms put under the header.
fn is_not_an_indicator(text: &str) -> bool {
    is_not_an_indicator_row(text, false)
}

/// [`is_not_an_indicator`] for a row of the indicator table: a numbered
/// label with a figure (`一、固定资产投资` 3200) is an indicator, not a
/// section heading.
fn is_not_an_indicator_row(text: &str, has_value: bool) -> bool {
    const FOOTERS: [&str; 13] = [
        "填表人",
        "填报人",
        "审核人",
        "负责人",
        "单位负责人",
        "统计负责人",
        "联系电话",
        "制表人",
        "填表日期",
        "填报日期",
        "说明",
        "注:",
        "备注:",
    ];
    const COLUMN_NUMBERS: [&str; 6] = ["甲", "乙", "丙", "丁", "戊", "己"];
    let t = normalize_label(text);
    TOTALS.iter().any(|p| t.starts_with(p))
        || FOOTERS.iter().any(|p| t.starts_with(p))
        || COLUMN_NUMBERS.contains(&t.as_str())
        || !has_value && SECTION_HEADING.is_match(&t)
}

/// The words a total row's label begins with.
const TOTALS: [&str; 3] = ["合计", "总计", "小计"];

/// Whether a row's label is numbered as a section heading is
/// (`一、项目建设`): one with a figure may still be an indicator, which
/// only the plan can tell.
pub fn is_section_heading(text: &str) -> bool {
    SECTION_HEADING.is_match(&normalize_label(text))
}

/// "一、项目建设", "二、重点项目推进情况": a section heading, in whichever
/// column it was typed.
static SECTION_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[一二三四五六七八九十]+[、.．]").expect("valid regex"));

fn cell_text(grid: &Grid, row: u32, col: Option<u32>) -> Option<String> {
    let shown = grid.get(row, col?).shown();
    let t = fold(&shown);
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// People's words (notes, reasons), kept as typed: full-width punctuation
/// is theirs, not folded as in labels and numbers.
fn raw_text(grid: &Grid, row: u32, col: Option<u32>) -> Option<String> {
    let shown = grid.get(row, col?).shown();
    let t = shown.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Finds the indicator table in `grid`, if it holds one. When `end` is
/// below its header, rows from `end` on belong to something else (the
/// project table below it).
pub fn find_table(grid: &Grid, end: u32, words: &Vocabulary) -> Option<Table> {
    let (header, cols) = find_header(grid, words)?;
    let actual_col = cols.actual?;
    let end = if end > header.1 { end } else { u32::MAX };
    let rows = grid
        .rows()
        .filter(|(r, _)| *r > header.1 && *r < end)
        .filter_map(|(r, _)| {
            let code = cell_text(grid, r, cols.code);
            let name = cell_text(grid, r, cols.name);
            let key = code.as_deref().or(name.as_deref())?;
            let has_value = !grid.get(r, actual_col).is_blank();
            // Beside a code, a name is a total only when that is all it
            // says (`合计`): `合计人工造林` with its code is an indicator.
            let bare_total = code.is_some()
                && name
                    .as_deref()
                    .is_some_and(|n| TOTALS.contains(&normalize_label(n).as_str()));
            if is_not_an_indicator_row(key, has_value) || bare_total {
                return None;
            }
            Some(Row {
                row: r,
                code,
                name,
                actual: grid.get(r, actual_col).clone(),
                note: raw_text(grid, r, cols.note),
                target: cols.target.map(|c| grid.get(r, c).clone()),
                uom: cell_text(grid, r, cols.uom),
            })
        })
        .collect();
    let actual_label = match header {
        (r, below) if r < below => {
            let bottom = grid.get_merged(below, actual_col).shown();
            format!(
                "{}{}",
                group_over(grid, r, actual_col, words),
                bottom.trim()
            )
        }
        _ => grid
            .get_merged(header.0, actual_col)
            .shown()
            .trim()
            .to_string(),
    };
    Some(Table {
        sheet: grid.name.clone(),
        header,
        code_col: cols.code,
        name_col: cols.name,
        actual_col,
        actual_label,
        actual_other: cols.actual_other,
        note_col: cols.note,
        target_col: cols.target,
        uom_col: cols.uom,
        rows,
        rivals: cols.rivals,
    })
}

/// One project row as found, not yet interpreted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRow {
    /// Zero-based row.
    pub row: u32,
    pub name: String,
    pub started: CellValue,
    pub started_on: CellValue,
    pub investment: CellValue,
    pub blocker: Option<String>,
}

/// The key-project table of a workbook (CONTRACT.md section 11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectTable {
    pub sheet: String,
    /// First and last row of the header.
    pub header: (u32, u32),
    pub name_col: u32,
    pub started_col: u32,
    pub started_on_col: Option<u32>,
    pub investment_col: Option<u32>,
    pub blocker_col: Option<u32>,
    pub rows: Vec<ProjectRow>,
}

impl ProjectTable {
    /// Ends the table before `row` when that is below its header (where an
    /// indicator table below it begins).
    pub fn end_at(&mut self, row: u32) {
        if row > self.header.1 {
            self.rows.retain(|r| r.row < row);
        }
    }

    /// A1 reference of a column in `row`, the name cell when the table has
    /// no such column.
    pub fn cell(&self, row: u32, col: Option<u32>) -> String {
        a1(row, col.unwrap_or(self.name_col))
    }
}

/// The columns of a project table by role.
type ProjectColumns = Vec<(ProjectColumn, u32)>;

/// The columns of a project header row (and the row below, for a header
/// over two rows): role → column, first found wins.
fn project_columns(labels: impl Iterator<Item = (u32, Vec<String>)>) -> ProjectColumns {
    let mut found: ProjectColumns = Vec::new();
    for (c, candidates) in labels {
        if let Some(r) = candidates.iter().find_map(|l| project_column(l))
            && !found.iter().any(|(x, _)| *x == r)
        {
            found.push((r, c));
        }
    }
    found
}

/// The header of the project table: the first row anywhere in the sheet
/// holding both `项目名称` and `是否开工`. Returns the header rows and the
/// columns by role.
fn find_project_header(grid: &Grid) -> Option<((u32, u32), ProjectColumns)> {
    let label = |r: u32, c: u32| normalize_label(&grid.get_merged(r, c).shown());
    let has = |cols: &[(ProjectColumn, u32)], role| cols.iter().any(|(r, _)| *r == role);
    for (r, cells) in grid.rows() {
        // Cheap test first: the sheet may be long, and only a header row
        // holds the word 开工 in a text cell.
        if !cells.iter().any(
            |(_, v)| matches!(v, CellValue::Text(t) if t.contains("开") || t.contains("started")),
        ) {
            continue;
        }
        let one = project_columns(cells.iter().map(|(c, _)| (*c, vec![label(r, *c)])));
        if !(has(&one, ProjectColumn::Name) && has(&one, ProjectColumn::Started)) {
            continue;
        }
        // A group label ("投资完成情况") over its columns in the next row.
        let below = r + 1;
        let next = grid.row(below);
        let sub = project_columns(next.iter().map(|(c, _)| (*c, vec![label(below, *c)])));
        if sub.is_empty() || has(&sub, ProjectColumn::Name) {
            return Some(((r, r), one));
        }
        let mut cols: Vec<u32> = cells.iter().chain(next).map(|(c, _)| *c).collect();
        cols.sort_unstable();
        cols.dedup();
        let two = project_columns(
            cols.into_iter()
                .map(|c| (c, vec![label(below, c), label(r, c)])),
        );
        return Some(((r, below), two));
    }
    None
}

/// Finds the key-project table in `grid`, if it holds one; its rows run
/// to the end of the sheet until [`ProjectTable::end_at`] cuts them.
pub fn find_project_table(grid: &Grid) -> Option<ProjectTable> {
    let (header, cols) = find_project_header(grid)?;
    let col = |role| cols.iter().find(|(r, _)| *r == role).map(|(_, c)| *c);
    let name_col = col(ProjectColumn::Name)?;
    let started_col = col(ProjectColumn::Started)?;
    let (started_on_col, blocker_col) =
        (col(ProjectColumn::StartedOn), col(ProjectColumn::Blocker));
    let investment_col = col(ProjectColumn::YearInvestment).or(col(ProjectColumn::Investment));
    let rows = grid
        .rows()
        .filter(|(r, _)| *r > header.1)
        .filter_map(|(r, _)| {
            let name = cell_text(grid, r, Some(name_col))?;
            if is_not_an_indicator(&name) {
                return None;
            }
            let get = |c: Option<u32>| c.map_or(CellValue::Empty, |c| grid.get(r, c).clone());
            Some(ProjectRow {
                row: r,
                name,
                started: grid.get(r, started_col).clone(),
                started_on: get(started_on_col),
                investment: get(investment_col),
                blocker: raw_text(grid, r, blocker_col),
            })
        })
        .collect();
    Some(ProjectTable {
        sheet: grid.name.clone(),
        header,
        name_col,
        started_col,
        started_on_col,
        investment_col,
        blocker_col,
        rows,
    })
}

/// The value after `label` in the first cell of rows `..end` that holds
/// it, or in the next non-empty cell of that row when the label cell ends
/// with the colon. Returns the value and its cell.
fn labelled(grid: &Grid, labels: &[Regex], end: u32) -> Option<(CellValue, String)> {
    for (r, cells) in grid.rows().take_while(|(r, _)| *r < end) {
        for (i, (c, v)) in cells.iter().enumerate() {
            let CellValue::Text(t) = v else { continue };
            let folded = fold(t);
            let Some(caps) = labels.iter().find_map(|l| l.captures(&folded)) else {
                continue;
            };
            let value = caps[1].trim();
            if !value.is_empty() {
                return Some((CellValue::Text(value.to_string()), a1(r, *c)));
            }
            // Otherwise the value is the next cell, unless that is another
            // label ("填报日期：", "帮扶单位（盖章）") and this one was left
            // empty.
            if let Some((c2, v2)) = cells[i + 1..].iter().find(|(_, v)| !v.is_blank())
                && !is_label(&v2.display())
                && !v2.display().contains("盖章")
            {
                return Some((v2.clone(), a1(r, *c2)));
            }
        }
    }
    None
}

/// Whether a cell's text is a label of its own (`填报日期：`, `联系人:
/// 张三`): words before a colon. A time has digits before its colon
/// (`2022-04-06 10:30` is a 填报日期, not a label).
fn is_label(text: &str) -> bool {
    let folded = fold(text);
    folded.split_once(':').is_some_and(|(head, _)| {
        let head = head.trim();
        !head.is_empty() && !head.chars().any(|c| c.is_ascii_digit())
    })
}

/// The text above row `end` that is no 填报单位/填报日期 line (and no
/// other date): the table's title, where a period is usually named.
pub fn find_title(grid: &Grid, end: u32, words: &Vocabulary) -> Option<String> {
    let is_label = |t: &str| {
        let lines = words.unit_lines().iter().chain(words.date_lines());
        lines.into_iter().any(|l| l.is_match(t))
    };
    let words: Vec<Cow<'_, str>> = grid
        .rows()
        .take_while(|(r, _)| *r < end)
        .flat_map(|(_, cells)| cells.iter())
        .filter_map(|(_, v)| match v {
            CellValue::Text(t) => Some(fold(t)),
            _ => None,
        })
        .filter(|t| !is_label(t) && !t.contains("日期") && !t.contains("填表"))
        .collect();
    let title: String = words.join(" ").chars().take(200).collect();
    (!title.trim().is_empty()).then_some(title)
}

/// `填报单位：NAME` above row `end`.
pub fn find_unit_label(grid: &Grid, end: u32, words: &Vocabulary) -> Option<Label> {
    let (v, cell) = labelled(grid, words.unit_lines(), end)?;
    Some(Label {
        text: v.display(),
        sheet: grid.name.clone(),
        cell,
    })
}

/// `填报日期：DATE` above row `end`: the date, if it can be read, and the label.
pub fn find_date_label(
    grid: &Grid,
    end: u32,
    words: &Vocabulary,
) -> Option<(Option<NaiveDate>, Label)> {
    let (v, cell) = labelled(grid, words.date_lines(), end)?;
    Some((
        read_date(&v),
        Label {
            text: v.display(),
            sheet: grid.name.clone(),
            cell,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Grid {
        let mut g = Grid::new("Sheet1");
        for (r, cells) in rows.iter().enumerate() {
            for (c, v) in cells.iter().enumerate() {
                if !v.is_empty() {
                    g.set(r as u32, c as u32, CellValue::Text(v.to_string()));
                }
            }
        }
        g
    }

    #[test]
    fn one_row_header_below_title_rows() {
        let g = grid(&[
            &["2022年3月重点工作完成情况表"],
            &["填报单位：清泉镇", "", "填报日期：2022年4月5日"],
            &["指标代码", "指标名称", "本年累计（万元）", "备注"],
            &["甲", "乙", "1", "2"],
            &["FA01", "固定资产投资", "3,200", ""],
            &["", "合计", "3200", ""],
            &["填表人：张三"],
        ]);
        let t = find_table(&g, u32::MAX, Vocabulary::standard()).unwrap();
        assert_eq!(t.header, (2, 2));
        assert_eq!(
            (t.code_col, t.name_col, t.actual_col, t.note_col),
            (Some(0), Some(1), 2, Some(3))
        );
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].code.as_deref(), Some("FA01"));
        assert_eq!(t.actual_cell(4), "C5");
        let unit = find_unit_label(&g, 2, Vocabulary::standard()).unwrap();
        assert_eq!((unit.text.as_str(), unit.cell.as_str()), ("清泉镇", "A2"));
        let (date, label) = find_date_label(&g, 2, Vocabulary::standard()).unwrap();
        assert_eq!(date, NaiveDate::from_ymd_opt(2022, 4, 5));
        assert_eq!(label.cell, "C2");
    }

    #[test]
    fn two_row_header_with_a_group_label() {
        let g = grid(&[
            &["指标名称", "计量单位", "年度目标", "完成情况", ""],
            &["", "", "", "本年累计", "完成率"],
            &["固定资产投资", "万元", "12000", "3200", "26.7%"],
        ]);
        let t = find_table(&g, u32::MAX, Vocabulary::standard()).unwrap();
        assert_eq!(t.header, (0, 1));
        assert_eq!(
            (t.code_col, t.name_col, t.actual_col, t.target_col),
            (None, Some(0), 3, Some(2))
        );
        assert_eq!(t.rows.len(), 1);
    }

    #[test]
    fn a_group_over_what_was_due_and_what_was_done_reads_the_done() {
        // `本年累计` over the figure due, the figure done and a rate (the
        // group merged, so only its first column shows it unread): the
        // column due is never the actual one, whichever word says it.
        for due in ["应完成", "序时进度", "全年目标", "计划"] {
            let g = grid(&[
                &["指标代码", "指标名称", "本年累计", "", "", "备注"],
                &["", "", due, "实际完成", "完成率", ""],
                &["FA01", "固定资产投资", "1800", "900", "12.5%", ""],
            ]);
            let t = find_table(&g, u32::MAX, Vocabulary::standard()).unwrap();
            assert_eq!((t.header, t.actual_col), ((0, 1), 3), "{due}");
        }
        // One row, the brackets telling the columns apart.
        let g = grid(&[
            &["指标代码", "本年累计（序时进度）", "本年累计（实际）"],
            &["FA01", "1800", "900"],
        ]);
        let t = find_table(&g, u32::MAX, Vocabulary::standard()).unwrap();
        assert_eq!(t.actual_col, 2);
    }

    #[test]
    fn numbered_names_with_a_figure_are_indicators_headings_without_are_not() {
        let g = grid(&[
            &["指标代码", "指标名称", "本年累计"],
            &["", "一、项目建设", ""],
            &["FA01", "一、固定资产投资", "3200"],
            &["ST01", "合计人工造林", "0.04"],
            &["", "二、招商引资到位资金", "1200"],
            &["", "合计", "4400"],
            &["—", "合计", "4400"],
        ]);
        let t = find_table(&g, u32::MAX, Vocabulary::standard()).unwrap();
        let names: Vec<&str> = t.rows.iter().filter_map(|r| r.name.as_deref()).collect();
        assert_eq!(
            names,
            ["一、固定资产投资", "合计人工造林", "二、招商引资到位资金"]
        );
    }

    #[test]
    fn label_value_in_the_next_cell_and_with_a_remark() {
        let g = grid(&[
            &["填报单位（盖章）：", "", "清泉镇人民政府"],
            &["填 报 日 期:", "2022/7/5"],
        ]);
        assert_eq!(
            find_unit_label(&g, 5, Vocabulary::standard()).unwrap().text,
            "清泉镇人民政府"
        );
        // Spaced-out labels are still labels.
        assert_eq!(
            find_date_label(&g, 5, Vocabulary::standard()).unwrap().0,
            NaiveDate::from_ymd_opt(2022, 7, 5)
        );
        // A date typed with its time has a colon too, but is no label.
        let g = grid(&[&["填报日期：", "2022-04-06 10:30"]]);
        assert_eq!(
            find_date_label(&g, 5, Vocabulary::standard()).unwrap().0,
            NaiveDate::from_ymd_opt(2022, 4, 6)
        );
        let g = grid(&[&["填报单位：大马营镇   填报日期：2022 年 7 月 5 日"]]);
        assert_eq!(
            find_unit_label(&g, 5, Vocabulary::standard()).unwrap().text,
            "大马营镇"
        );
        assert_eq!(
            find_date_label(&g, 5, Vocabulary::standard()).unwrap().0,
            NaiveDate::from_ymd_opt(2022, 7, 5)
        );
    }

    #[test]
    fn a_project_table_below_the_indicators_is_its_own_table() {
        let g = grid(&[
            &["填报单位：住建局"],
            &["指标代码", "指标名称", "本年累计", "备注"],
            &["CJ01", "老旧小区改造", "8", ""],
            &[],
            &["二、重点项目推进情况"],
            &[
                "项目名称",
                "是否开工",
                "开工日期",
                "本年完成投资（万元）",
                "存在问题",
            ],
            &["城区加气站建设", "N", "", "0", "用地未落实"],
            &["合计", "", "", "0", ""],
        ]);
        let mut p = find_project_table(&g).unwrap();
        assert_eq!(p.header, (5, 5));
        let t = find_table(&g, p.header.0, Vocabulary::standard()).unwrap();
        assert_eq!(
            t.rows.len(),
            1,
            "the heading and the projects are no indicators"
        );
        p.end_at(t.header.0);
        assert_eq!(
            (
                p.name_col,
                p.started_col,
                p.started_on_col,
                p.investment_col,
                p.blocker_col
            ),
            (0, 1, Some(2), Some(3), Some(4))
        );
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].name, "城区加气站建设");
        assert_eq!(p.rows[0].blocker.as_deref(), Some("用地未落实"));
    }

    #[test]
    fn a_two_row_project_header_prefers_this_years_investment() {
        let g = grid(&[
            &["项目名称", "是否开（复）工", "投资完成情况", "", "制约因素"],
            &["", "", "累计完成投资", "本年完成投资", ""],
            &["东乐风电场", "是", "5000", "1200", ""],
        ]);
        let p = find_project_table(&g).unwrap();
        assert_eq!(p.header, (0, 1));
        assert_eq!((p.investment_col, p.blocker_col), (Some(3), Some(4)));
        assert_eq!(p.rows[0].investment, CellValue::Text("1200".into()));
        // No indicator table in it.
        assert!(find_table(&g, u32::MAX, Vocabulary::standard()).is_none());
    }

    #[test]
    fn last_months_column_is_never_the_actual_one() {
        let actual = |rows: &[&[&str]]| {
            find_table(&grid(rows), u32::MAX, Vocabulary::standard()).map(|t| t.actual_col)
        };
        // The same with a merge over the header's row 0, columns `from..=to`.
        let merged = |rows: &[&[&str]], from: usize, to: usize| {
            let mut g = grid(rows);
            g.set_merges(vec![calamine::Dimensions::new(
                (0, from as u32),
                (0, to as u32),
            )]);
            find_table(&g, u32::MAX, Vocabulary::standard()).map(|t| t.actual_col)
        };
        // `本年累计` merged over `上月 | 本月`: this month's.
        let mut g = grid(&[
            &["指标名称", "本年累计", "", "备注"],
            &["", "上月", "本月", ""],
            &["固定资产投资", "7", "4320", ""],
        ]);
        g.set_merges(vec![calamine::Dimensions::new((0, 1), (0, 2))]);
        let t = find_table(&g, u32::MAX, Vocabulary::standard()).unwrap();
        assert_eq!((t.header, t.actual_col), ((0, 1), 2));
        // A clerk's words in the first row are no second header row.
        let rows: &[&[&str]] = &[
            &["指标名称", "本年累计", "累计完成"],
            &["固定资产投资", "同上月", "9000"],
            &["招商引资", "4320", "9000"],
        ];
        assert_eq!(actual(rows), Some(1));
        // A bracketed 上月 beside this year's total, left of it.
        assert_eq!(
            actual(&[
                &["指标名称", "本年累计（上月）", "本年累计（万元）"],
                &["固定资产投资", "7", "4320"],
            ]),
            Some(2)
        );
        // `累计完成` (since the project began) beside `本年累计`, and beside
        // months to date.
        assert_eq!(
            actual(&[
                &["指标名称", "累计完成", "本年累计"],
                &["固定资产投资", "9000", "4320"]
            ]),
            Some(2)
        );
        assert_eq!(
            actual(&[
                &["指标名称", "累计完成（自开工）", "1-3月累计"],
                &["固定资产投资", "9000", "4320"],
            ]),
            Some(2)
        );
        // A year in brackets is no better than 累计完成, and a rate under
        // a months-to-date group is no figure done.
        assert_eq!(
            actual(&[
                &["指标名称", "累计完成", "本年累计（2021年）"],
                &["固定资产投资", "100", "200"]
            ]),
            Some(1)
        );
        assert_eq!(
            merged(
                &[
                    &["指标名称", "1-3月", "", ""],
                    &["", "计划", "实际完成", "完成率"],
                    &["固定资产投资", "9000", "4320", "0.48"],
                ],
                1,
                3
            ),
            Some(2)
        );
        // Not knowing the period, the reader takes the leftmost of equals:
        // a later months-to-date column may be a target or blank.
        assert_eq!(
            actual(&[
                &["指标名称", "1-3月完成", "1-6月（半年目标）"],
                &["固定资产投资", "4320", "9000"]
            ]),
            Some(1)
        );
        // A label merely beginning like this year's total is no better
        // than 累计完成, and one of expected or derived figures is none.
        for derived in [
            "本年累计应完成",
            "本年累计进度",
            "本年累计差额",
            "本年完成投资",
        ] {
            assert_eq!(
                actual(&[
                    &["指标名称", "累计完成", derived],
                    &["固定资产投资", "4320", "9000"]
                ]),
                Some(1),
                "{derived}"
            );
        }
        // Through the end of last month, filed this month: this period's,
        // when there is no other; beside this month's, this month's.
        assert_eq!(
            actual(&[
                &["指标名称", "累计完成（截至上月底）"],
                &["固定资产投资", "4320"]
            ]),
            Some(1)
        );
        assert_eq!(
            actual(&[
                &["指标名称", "本年累计（截至上月）", "本年累计（截至本月）"],
                &["固定资产投资", "7", "4320"],
            ]),
            Some(2)
        );
        // Last year's never, through or not; one that only mentions last
        // year is the column when it is the only one.
        assert_eq!(
            actual(&[
                &["指标名称", "累计完成（截至上年底）"],
                &["固定资产投资", "4320"]
            ]),
            None
        );
        assert_eq!(
            actual(&[
                &["指标名称", "本年累计（含上年结转）"],
                &["固定资产投资", "4320"]
            ]),
            Some(1)
        );
        assert_eq!(
            actual(&[
                &["指标名称", "本年累计（同期口径）", "本年累计"],
                &["固定资产投资", "7", "4320"],
            ]),
            Some(2)
        );
        // A plan's column, or one derived from the figures, is never the
        // actual one: not `本年累计计划`, not `本年累计（目标）`, not
        // `本年累计增减`; a group label may say 目标 (`目标完成情况`).
        for plan in [
            "本年累计计划",
            "本年累计（目标）",
            "本年累计增减",
            "本期累计（预计）",
        ] {
            assert_eq!(
                actual(&[
                    &["指标名称", "累计完成", plan],
                    &["固定资产投资", "4320", "9000"]
                ]),
                Some(1),
                "{plan}"
            );
        }
        assert_eq!(
            actual(&[
                &["指标名称", "目标完成情况", "备注"],
                &["", "本年累计", ""],
                &["固定资产投资", "4320", ""],
            ]),
            Some(1)
        );
        // `本年累计` merged over `计划 | 完成`: the 完成 column.
        assert_eq!(
            merged(
                &[
                    &["指标名称", "本年累计", ""],
                    &["", "计划", "完成"],
                    &["固定资产投资", "9000", "4320"],
                ],
                1,
                2
            ),
            Some(2)
        );
        // Centred across `上月 | 本月` without a merge: as if merged.
        assert_eq!(
            actual(&[
                &["指标名称", "本年累计", ""],
                &["", "上月", "本月"],
                &["固定资产投资", "7", "4320"],
            ]),
            Some(2)
        );
        // `上月` typed in the first data row under a complete one-row
        // header: not a header row, and the table stands.
        let t = find_table(
            &grid(&[
                &["指标名称", "本年累计"],
                &["固定资产投资", "上月"],
                &["招商引资", "4320"],
            ]),
            u32::MAX,
            Vocabulary::standard(),
        )
        .unwrap();
        assert_eq!((t.header, t.actual_col, t.rows.len()), ((0, 0), 1, 2));
        // A remark that mentions a plan is no plan column, and a data row
        // is never a second header row.
        let t = find_table(
            &grid(&[
                &["指标代码", "指标名称", "全年目标", "本年累计（不含预计数）"],
                &["ZS01", "招商引资", "9600", "6"],
                &["FA01", "固定资产投资", "14400", "7"],
            ]),
            u32::MAX,
            Vocabulary::standard(),
        )
        .unwrap();
        assert_eq!((t.header, t.actual_col, t.rows.len()), ((0, 0), 3, 2));
        // `本年累计` typed below, beside a `上年同期` group: its own column,
        // merged or not.
        let rows: &[&[&str]] = &[
            &["指标代码", "指标名称", "上年同期", "", ""],
            &["", "", "数量", "占比", "本年累计"],
            &["ZS01", "招商引资", "5", "0.1", "6"],
        ];
        assert_eq!(actual(rows), Some(4));
        assert_eq!(merged(rows, 2, 3), Some(4));
        // `本年累计` over `上年同期值 | 本年`: this year's.
        assert_eq!(
            merged(
                &[
                    &["指标名称", "本年累计", ""],
                    &["", "上年同期值", "本年"],
                    &["固定资产投资", "7", "4320"],
                ],
                1,
                2
            ),
            Some(2)
        );
        // No 99th month.
        assert_eq!(
            actual(&[
                &["指标名称", "1-3月累计", "1月-99月份累计"],
                &["固定资产投资", "4320", "9"]
            ]),
            Some(1)
        );
        // The bureau's own word means what it says, 目标 in it or not.
        let own = Vocabulary::new(crate::model::vocabulary::Words {
            actual: vec!["目标完成值".into()],
            ..Default::default()
        });
        let t = find_table(
            &grid(&[&["指标名称", "目标完成值"], &["固定资产投资", "4320"]]),
            u32::MAX,
            &own,
        )
        .unwrap();
        assert_eq!(t.actual_col, 1);
        // A unit in brackets is no rate: `本年累计（%）` is still the column.
        assert_eq!(
            actual(&[&["指标名称", "本年累计（%）"], &["普及率", "85"]]),
            Some(1)
        );
        // Alone, `累计完成` is the actual column.
        assert_eq!(
            actual(&[&["指标名称", "累计完成"], &["固定资产投资", "4320"]]),
            Some(1)
        );
    }

    #[test]
    fn the_column_naming_the_period_is_its_total() {
        let march = Vocabulary::default().for_period("2022-03".parse().ok());
        let feb = Vocabulary::default().for_period("2022-02".parse().ok());
        let actual =
            |g: &Grid, words: &Vocabulary| find_table(g, u32::MAX, words).map(|t| t.actual_col);
        // `本年累计` merged over two months' totals: the period's; unknown,
        // the leftmost.
        let mut g = grid(&[
            &["指标名称", "本年累计", "", "备注"],
            &["", "1-2月", "1-3月", ""],
            &["固定资产投资", "200", "320", ""],
        ]);
        g.set_merges(vec![calamine::Dimensions::new((0, 1), (0, 2))]);
        assert_eq!(actual(&g, &march), Some(2));
        assert_eq!(actual(&g, &feb), Some(1));
        assert_eq!(actual(&g, Vocabulary::standard()), Some(1));
        assert_eq!(
            find_table(&g, u32::MAX, &march).unwrap().actual_label,
            "本年累计1-3月"
        );
        // Years under it, centred without a merge.
        let g = grid(&[
            &["指标名称", "本年累计", "", "备注"],
            &["", "2021年", "2022年", ""],
            &["固定资产投资", "200", "320", ""],
        ]);
        assert_eq!(actual(&g, &march), Some(2));
        // A group that is only a time: `本月` under it is the month's own
        // figure, `本年` its total, and another year's group comes last.
        let merged_over = |rows: &[&[&str]], spans: &[(u32, u32)]| {
            let mut g = grid(rows);
            g.set_merges(
                spans
                    .iter()
                    .map(|&(a, b)| calamine::Dimensions::new((0, a), (0, b)))
                    .collect(),
            );
            g
        };
        let g = merged_over(
            &[
                &["指标名称", "2022年1-3月", "", "", "同比"],
                &["", "本月", "本年累计", "上年同期", ""],
                &["固定资产投资", "100", "320", "300", "6.7%"],
            ],
            &[(1, 3)],
        );
        assert_eq!(actual(&g, &march), Some(2));
        let g = merged_over(
            &[
                &["指标名称", "1-3月", "", ""],
                &["", "上年同期", "本年", "增减"],
                &["固定资产投资", "300", "320", "20"],
            ],
            &[(1, 3)],
        );
        assert_eq!(actual(&g, &march), Some(2));
        let g = merged_over(
            &[
                &["指标名称", "2021年1-3月", "", "2022年1-3月", ""],
                &["", "本月", "累计", "本月", "累计"],
                &["固定资产投资", "90", "300", "100", "320"],
            ],
            &[(1, 2), (3, 4)],
        );
        assert_eq!(actual(&g, &march), Some(4));
        // A lone month may be the month's own figure: not this period's
        // total, but no other period's either.
        let g = merged_over(
            &[
                &["指标名称", "本年累计", ""],
                &["", "3月", "1-3月"],
                &["固定资产投资", "100", "320"],
            ],
            &[(1, 2)],
        );
        assert_eq!(actual(&g, &march), Some(2));
        // The same with the groups centred, unmerged, this year's first.
        let g = grid(&[
            &["指标名称", "2022年", "", "2021年", ""],
            &["", "本月", "累计", "本月", "累计"],
            &["固定资产投资", "100", "320", "90", "300"],
        ]);
        assert_eq!(actual(&g, &march), Some(2));
        let g = grid(&[
            &["指标名称", "2021年", "", "2022年", ""],
            &["", "本月", "累计", "本月", "累计"],
            &["固定资产投资", "90", "300", "100", "320"],
        ]);
        assert_eq!(actual(&g, &march), Some(4));
        // One row: the period's months win over this year's other words,
        // and another period's come last.
        let rows = |labels: &[&str]| {
            let mut head = vec!["指标名称"];
            head.extend(labels);
            let data = ["固定资产投资", "1", "2", "3"];
            grid(&[&head, &data[..=labels.len()]])
        };
        assert_eq!(actual(&rows(&["1-2月累计", "1-3月累计"]), &march), Some(2));
        assert_eq!(actual(&rows(&["1-2月累计", "本年累计"]), &march), Some(2));
        assert_eq!(
            actual(&rows(&["1-2月累计", "本年累计"]), Vocabulary::standard()),
            Some(1)
        );
        assert_eq!(actual(&rows(&["1-2月累计"]), &march), Some(1));
        // Through a date, or this month.
        assert_eq!(
            actual(&rows(&["截至2月底累计完成", "截至3月底累计完成"]), &march),
            Some(2)
        );
        assert_eq!(
            actual(&rows(&["截至3月底累计完成"]), Vocabulary::standard()),
            Some(1)
        );
        assert_eq!(actual(&rows(&["本月", "本月止累计"]), &march), Some(2));
        assert_eq!(actual(&rows(&["本月", "1-本月累计"]), &march), Some(2));
        // A date does not raise `累计完成` (since a project began) above
        // this year's total; this year named in brackets is no other year.
        assert_eq!(
            actual(&rows(&["本年累计", "累计完成（截至3月底）"]), &march),
            Some(1)
        );
        assert_eq!(
            actual(&rows(&["累计完成", "本年累计（2022年）"]), &march),
            Some(2)
        );
        assert_eq!(
            actual(&rows(&["累计完成", "本年累计（2021年）"]), &march),
            Some(1)
        );
        // Months are no reason to leave this year's total for another
        // column: another unit, a carry-over, a deflated figure.
        for other in [
            "1-3月累计（亿元）",
            "1-3月累计（含上年结转）",
            "1-3月累计（2020年可比价）",
        ] {
            assert_eq!(
                actual(&rows(&["本年累计", other]), &march),
                Some(1),
                "{other}"
            );
        }
        // `其中：本年完成` beside a total since a project began.
        assert_eq!(
            actual(&rows(&["截至3月底累计完成", "其中：本年完成"]), &march),
            Some(2)
        );
        // One year typed as text in the first data row is no sub-label.
        let g = grid(&[
            &["指标代码", "指标名称", "本年累计"],
            &["FA01", "固定资产投资", "2022"],
        ]);
        let t = find_table(&g, u32::MAX, &march).unwrap();
        assert_eq!((t.header, t.rows.len()), ((0, 0), 1));
        // `3月累计` beside `1-3月累计` may be March's own; beside
        // `2月累计` it is the period's.
        assert_eq!(
            actual(&rows(&["本月", "3月累计", "1-3月累计"]), &march),
            Some(3)
        );
        assert_eq!(actual(&rows(&["2月累计", "3月累计"]), &march), Some(2));
        // An allocation is no figure done, unless done is said of it.
        assert_eq!(
            actual(&rows(&["全年累计下达", "累计完成"]), &march),
            Some(2)
        );
        assert_eq!(actual(&rows(&["累计完成下达投资"]), &march), Some(1));
        assert_eq!(actual(&rows(&["累计主要完成量"]), &march), Some(1));
        assert_eq!(actual(&rows(&["本年累计完成（下达）"]), &march), Some(1));
        // A label merged down two rows is no group over the next column.
        let mut g = grid(&[
            &["指标名称", "上年同期累计", "", "开工以来", ""],
            &["", "", "累计完成", "计划", "累计"],
            &["固定资产投资", "300", "320", "900", "1000"],
        ]);
        g.set_merges(vec![
            calamine::Dimensions::new((0, 1), (1, 1)),
            calamine::Dimensions::new((0, 3), (0, 4)),
        ]);
        assert_eq!(actual(&g, &march), Some(2));
        // February's own figure is no total of March: of February's two,
        // the leftmost, said to name another period.
        let g = merged_over(
            &[
                &["指标名称", "本年累计", ""],
                &["", "1-2月", "2月"],
                &["固定资产投资", "200", "90"],
            ],
            &[(1, 2)],
        );
        let t = find_table(&g, u32::MAX, &march).unwrap();
        assert_eq!((t.actual_col, t.actual_other), (1, true));
        assert_eq!(
            actual(&rows(&["至2月底累计", "至3月底累计"]), &march),
            Some(2)
        );
        assert_eq!(
            actual(&rows(&["累计完成", "本年累计〔2021年〕"]), &march),
            Some(1)
        );
        // Last year's months are never the column.
        assert_eq!(
            actual(&rows(&["截至上年3月底累计完成", "本年累计"]), &march),
            Some(2)
        );
        assert_eq!(actual(&rows(&["1-3月计划", "1-3月累计"]), &march), Some(2));
    }

    #[test]
    fn a_sheet_without_the_words_has_no_table() {
        let g = grid(&[&["填报说明"], &["1. 请填写本年累计数"], &["名称", "数量"]]);
        assert!(find_table(&g, u32::MAX, Vocabulary::standard()).is_none());
    }
}
