//! The words of the submission format (CONTRACT.md sections 5 and 11): the
//! header words that name each column, the 填报单位 / 填报日期 labels, and
//! the hidden sheet where `tally template` records whose template a file
//! is. The template writer writes the first word of each list and the
//! reader recognises every word of it, so the two cannot drift apart (a
//! test below reads back what the template writes).
//!
//! A bureau adds its own words in tally.toml (`[words]`, [`Words`]); the
//! built [`Vocabulary`] is handed explicitly to the reader (and its worker
//! processes) and to the template writer, which then writes the bureau's
//! first word for each column.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::period::Period;
use super::value::{fold, normalize_label};

/// The very hidden sheet holding a template's identity, and its keys.
pub mod meta {
    pub const SHEET: &str = "_tally";
    pub const UNIT: &str = "unit";
    pub const PERIOD: &str = "period";
    pub const PLAN_SHA256: &str = "plan_sha256";
    pub const VERSION: &str = "tally_version";
}

/// The label of the unit line above the table: `填报单位：清泉镇`.
pub const UNIT_LABEL: &str = "填报单位";
/// The label of the date line above the table: `填报日期：2022-04-05`.
pub const DATE_LABEL: &str = "填报日期";

/// A column of the indicator table the reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Code,
    Name,
    /// The unit of measure (计量单位): known so that it is taken for no
    /// other column; values carry their unit by the plan.
    Uom,
    Actual,
    Note,
    Target,
}

/// Header words of each column, normalized (see `sheet::normalize_label`);
/// the first is what templates write.
pub const CODE_WORDS: &[&str] = &["指标代码", "代码", "code", "指标编码", "编码", "指标编号"];
pub const NAME_WORDS: &[&str] = &[
    "指标名称",
    "指标",
    "name",
    "指标项目",
    "考核指标",
    "主要指标",
];
/// The contract's words first, then what Chinese forms also write for the
/// cumulative figure ("累计", "实际完成"); "1-3月累计" is matched apart.
pub const ACTUAL_WORDS: &[&str] = &[
    "本年累计",
    "累计完成",
    "本期累计",
    "完成值",
    "actual",
    "本年累计完成",
    "累计完成值",
    "累计",
    "累计完成数",
    "实际完成",
    "本年完成",
    "年初至今累计",
    "年初至今",
    "今年累计",
    "今年以来累计",
    "自年初累计",
    "本年度累计",
    "本月止累计",
    "1-本月累计",
];
pub const NOTE_WORDS: &[&str] = &["备注", "滞后原因", "说明", "notes", "note"];
pub const TARGET_WORDS: &[&str] = &[
    "年度目标",
    "年度任务",
    "全年目标",
    "目标",
    "target",
    "目标任务",
];

pub const UOM_WORDS: &[&str] = &["计量单位", "uom"];

/// The template's headers for the columns the reader ignores.
pub const UOM_HEADER: &str = UOM_WORDS[0];
pub const EXPECTED_HEADER: &str = "时间进度应完成";
/// The template's note header: both words a clerk may look for.
pub const NOTE_HEADER: &str = "备注/滞后原因";

/// "1-3月累计", "1—3月完成", "1至3月累计完成数", "1月-3月份累计",
/// "2022年1-3月累计", "3月累计", "2022年累计": cumulative from January.
static MONTHS_TO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^((19|20)\d\d年)?(1月?[-—~至到](1[0-2]|[1-9])月份?(累计)?|(1[0-2]|[1-9])月份?累计",
        r"|(19|20)\d\d年度?累计)(完成)?(数|值)?$"
    ))
    .expect("valid regex")
});

/// "截至3月底", "截止2022年3月末", "截止3月31日", "截至本月", "截至上月底": the end of
/// what a cumulative column covers, written before its word
/// (`截至3月底累计完成`). Whether that end is this period's is the
/// reader's question, not the word's.
static THROUGH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(截至到?|截止到?|至)(\d{4}年)?(\d{1,2}月份?(\d{1,2}日)?|本月|上月|本期|上期|目前|当前|今)(底|末|止)?的?",
    )
    .expect("valid regex")
});

/// A label without its `其中：` (`其中：本年完成`, a part of the column
/// before it, is its own column).
fn without_part_of(label: &str) -> &str {
    label
        .strip_prefix("其中")
        .map_or(label, |r| r.trim_start_matches([':', '：']))
}

/// A label without its `其中：` and its `截至3月底` (see [`THROUGH`]).
fn after_through(label: &str) -> &str {
    let label = without_part_of(label);
    // Most labels are no such: the regex only where one could be (every
    // header cell of every file is asked).
    if !label.starts_with(['截', '至']) {
        return label;
    }
    THROUGH.find(label).map_or(label, |m| &label[m.end()..])
}

/// Whether an actual column's normalized label says it is this year's
/// total (`本年累计`, `本期累计`, `1-3月累计`, `年初至今累计`), which wins
/// over another actual column (`累计完成` since a project began).
pub fn names_this_year(label: &str) -> bool {
    let label = without_part_of(label);
    [
        "本年",
        "本期",
        "今年",
        "自年初",
        "本月止",
        "至本月",
        "1-本月",
    ]
    .iter()
    .any(|w| label.starts_with(w))
        || label.contains("年初至今")
        || MONTHS_TO_DATE.is_match(label)
}

/// Whether a normalized label is itself one of the standard words for
/// the actual column (`本年累计`, `1-3月累计`, `截至3月底累计完成`), not
/// merely begins like one (`本年累计应完成`).
pub fn is_actual_word(label: &str) -> bool {
    let label = after_through(label);
    ACTUAL_WORDS.contains(&label) || MONTHS_TO_DATE.is_match(label)
}

/// Which column a normalized header label names, in the standard words.
pub fn column(label: &str) -> Option<Column> {
    if label.is_empty() {
        return None;
    }
    // `截至3月底累计完成` is the column `累计完成` says, `其中：本年完成`
    // the one `本年完成` does; `截至3月底` alone names none.
    let rest = after_through(label);
    if rest.len() < label.len() {
        return column(rest).filter(|c| *c == Column::Actual);
    }
    let exact = |set: &[&str]| set.contains(&label);
    // "本年累计完成数" names the actual column, but "累计完成率" is a rate.
    let prefixed = |set: &[&str]| {
        set.iter().any(|s| label.starts_with(s))
            && !label.contains(['率', '比', '%'])
            && !label.contains("增长")
    };
    if exact(CODE_WORDS) {
        Some(Column::Code)
    } else if exact(NAME_WORDS) {
        Some(Column::Name)
    } else if exact(ACTUAL_WORDS) || prefixed(ACTUAL_WORDS) || MONTHS_TO_DATE.is_match(label) {
        Some(Column::Actual)
    } else if exact(NOTE_WORDS) || prefixed(NOTE_WORDS) {
        Some(Column::Note)
    } else if exact(TARGET_WORDS) {
        Some(Column::Target)
    } else if exact(UOM_WORDS) {
        Some(Column::Uom)
    } else {
        None
    }
}

/// `[words]` in tally.toml: the bureau's own words for each column and
/// label, added to the standard ones (its first word of a column is what
/// its templates write).
///
/// ```toml
/// [words]
/// code = ["编号"]
/// name = ["填表项目"]
/// uom = ["单位"]
/// actual = ["数量"]
/// unit = ["贫困村"]   # the 填报单位 line: 贫困村（盖章）：石门村
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    #[serde(default)]
    pub code: Vec<String>,
    #[serde(default)]
    pub name: Vec<String>,
    #[serde(default)]
    pub uom: Vec<String>,
    #[serde(default)]
    pub actual: Vec<String>,
    #[serde(default)]
    pub target: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Labels of the 填报单位 line.
    #[serde(default)]
    pub unit: Vec<String>,
    /// Labels of the 填报日期 line.
    #[serde(default)]
    pub date: Vec<String>,
}

impl Words {
    /// Whether the bureau added no word at all.
    pub fn is_empty(&self) -> bool {
        self == &Words::default()
    }

    /// The column words, by column, as written.
    fn columns(&self) -> [(Column, &[String]); 6] {
        [
            (Column::Code, &self.code),
            (Column::Name, &self.name),
            (Column::Uom, &self.uom),
            (Column::Actual, &self.actual),
            (Column::Target, &self.target),
            (Column::Note, &self.notes),
        ]
    }

    /// A word that cannot work: empty, or one word for two columns.
    pub fn problem(&self) -> Option<String> {
        let mut seen: Vec<(String, Column)> = Vec::new();
        for (c, words) in self.columns() {
            for w in words {
                let n = normalize_label(w);
                if n.is_empty() {
                    return Some(format!("[words] 中有空的词“{w}”"));
                }
                if let Some((_, other)) = seen.iter().find(|(s, o)| *s == n && *o != c) {
                    return Some(format!(
                        "[words] 中“{w}”同时用于 {} 和 {}，只能用于一列",
                        column_key(*other),
                        column_key(c)
                    ));
                }
                seen.push((n, c));
            }
        }
        let blank = self
            .unit
            .iter()
            .chain(&self.date)
            .find(|w| w.trim().is_empty());
        blank.map(|w| format!("[words] 中有空的词“{w}”"))
    }
}

fn column_key(c: Column) -> &'static str {
    match c {
        Column::Code => "code",
        Column::Name => "name",
        Column::Uom => "uom",
        Column::Actual => "actual",
        Column::Target => "target",
        Column::Note => "notes",
    }
}

/// The words the reader knows and the template writes: the standard ones
/// with the bureau's [`Words`] added.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    words: Words,
    /// The bureau's column words, normalized.
    extra: Vec<(String, Column)>,
    unit_lines: Vec<Regex>,
    date_lines: Vec<Regex>,
    /// The period being read, when known: of two cumulative columns
    /// (`1-2月 | 1-3月`), the one naming its months is its total.
    period: Option<Period>,
}

static STANDARD: LazyLock<Vocabulary> = LazyLock::new(|| Vocabulary::new(Words::default()));

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary::standard().clone()
    }
}

impl Vocabulary {
    /// The standard words with the bureau's added.
    pub fn new(words: Words) -> Vocabulary {
        let extra = words
            .columns()
            .into_iter()
            .flat_map(|(c, ws)| ws.iter().map(move |w| (normalize_label(w), c)))
            .collect();
        let lines = |standard: &str, own: &[String], value: &str| {
            std::iter::once(standard.to_string())
                .chain(own.iter().map(|w| fold(w).trim().to_string()))
                .map(|l| label_regex(&l, value))
                .collect()
        };
        Vocabulary {
            unit_lines: lines(UNIT_LABEL, &words.unit, r"(\S*)"),
            date_lines: lines(DATE_LABEL, &words.date, r"(.*)"),
            extra,
            words,
            period: None,
        }
    }

    /// The same words, reading for `period` (see [`Vocabulary::period`]).
    pub fn for_period(mut self, period: Option<Period>) -> Vocabulary {
        self.period = period;
        self
    }

    /// The period being read, when the reader was told it: a header label
    /// naming its months (`1-3月` in March, `2022年`) names its total.
    pub fn period(&self) -> Option<Period> {
        self.period
    }

    /// The standard words alone.
    pub fn standard() -> &'static Vocabulary {
        &STANDARD
    }

    /// The bureau's words as written.
    pub fn words(&self) -> &Words {
        &self.words
    }

    /// Which column a normalized header label names: the bureau's words
    /// first, then the standard ones.
    pub fn column(&self, label: &str) -> Option<Column> {
        self.extra
            .iter()
            .find(|(w, _)| w == label)
            .map(|(_, c)| *c)
            .or_else(|| column(label))
    }

    /// Whether a normalized label is one of the bureau's own words
    /// (`[words]`): it means what the bureau says, whatever words are in it
    /// (`目标完成值`).
    pub fn is_own(&self, label: &str) -> bool {
        self.extra.iter().any(|(w, _)| w == label)
    }

    /// What a template writes over a column: the bureau's first word, else
    /// the standard one.
    pub fn header(&self, c: Column) -> &str {
        let own = self
            .words
            .columns()
            .into_iter()
            .find(|(k, _)| *k == c)
            .and_then(|(_, ws)| ws.first());
        match own {
            Some(w) => w,
            None => match c {
                Column::Code => CODE_WORDS[0],
                Column::Name => NAME_WORDS[0],
                Column::Uom => UOM_HEADER,
                Column::Actual => ACTUAL_WORDS[0],
                Column::Target => TARGET_WORDS[0],
                Column::Note => NOTE_HEADER,
            },
        }
    }

    /// The label a template writes before the unit's name.
    pub fn unit_label(&self) -> &str {
        self.words.unit.first().map_or(UNIT_LABEL, String::as_str)
    }

    /// The label a template writes before the date.
    pub fn date_label(&self) -> &str {
        self.words.date.first().map_or(DATE_LABEL, String::as_str)
    }

    /// The 填报单位 lines: `LABEL（remark）：VALUE`, the value captured.
    pub fn unit_lines(&self) -> &[Regex] {
        &self.unit_lines
    }

    /// The 填报日期 lines, likewise.
    pub fn date_lines(&self) -> &[Regex] {
        &self.date_lines
    }
}

/// A label whose characters may be spaced out, an optional remark in
/// brackets such as `（盖章）`, the colon, then the value as `value`
/// captures it (text is folded to half-width before matching).
fn label_regex(label: &str, value: &str) -> Regex {
    let spaced: Vec<String> = label
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| regex::escape(&c.to_string()))
        .collect();
    Regex::new(&format!(
        r"{}\s*(?:\([^)]*\))?\s*:?\s*{value}",
        spaced.join(r"\s*")
    ))
    .expect("escaped words make a valid regex")
}

/// A column of the key-project table (section 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectColumn {
    Name,
    Started,
    StartedOn,
    /// 本年完成投资: preferred over the cumulative figure.
    YearInvestment,
    /// 累计完成投资 and other spellings.
    Investment,
    Blocker,
}

/// The template's project headers, which the reader knows by
/// [`project_column`] (the units in brackets are dropped by normalizing).
pub const PROJECT_NAME_HEADER: &str = "项目名称";
pub const STARTED_HEADER: &str = "是否开工";
pub const STARTED_ON_HEADER: &str = "开工日期";
pub const INVESTMENT_HEADER: &str = "本年完成投资\n（万元）";
pub const BLOCKER_HEADER: &str = "存在问题";

/// Which project column a normalized header label names.
pub fn project_column(label: &str) -> Option<ProjectColumn> {
    use ProjectColumn::*;
    let starts = |set: &[&str]| set.iter().any(|p| label.starts_with(p));
    Some(match label {
        "项目名称" | "project" | "项目" => Name,
        // "是否开（复）工" folds to 是否开工.
        "是否开工" | "是否开复工" | "started" | "开工情况" | "是否已开工" => {
            Started
        }
        "开工日期" | "实际开工日期" | "开工时间" | "开复工日期" | "started_on" => {
            StartedOn
        }
        "本年完成投资" | "本年累计完成投资" | "本年完成" | "年度完成投资" => {
            YearInvestment
        }
        "investment" | "完成投资" | "累计完成投资" | "已完成投资" => Investment,
        "blocker" => Blocker,
        _ if starts(&["存在问题", "制约因素", "存在困难", "主要问题"]) => Blocker,
        _ if label.starts_with("本年完成投资") => YearInvestment,
        _ if label.starts_with("累计完成投资") => Investment,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_templates_write_is_what_the_reader_knows() {
        let read = |s: &str| column(&normalize_label(s));
        assert_eq!(read(CODE_WORDS[0]), Some(Column::Code));
        assert_eq!(read(NAME_WORDS[0]), Some(Column::Name));
        assert_eq!(read(ACTUAL_WORDS[0]), Some(Column::Actual));
        assert_eq!(read(NOTE_HEADER), Some(Column::Note));
        assert_eq!(read(TARGET_WORDS[0]), Some(Column::Target));
        // The columns the reader must not take for another.
        assert_eq!(read(UOM_HEADER), Some(Column::Uom));
        assert_eq!(read(EXPECTED_HEADER), None);
        let project = |s: &str| project_column(&normalize_label(s));
        assert_eq!(project(PROJECT_NAME_HEADER), Some(ProjectColumn::Name));
        assert_eq!(project(STARTED_HEADER), Some(ProjectColumn::Started));
        assert_eq!(project(STARTED_ON_HEADER), Some(ProjectColumn::StartedOn));
        assert_eq!(
            project(INVESTMENT_HEADER),
            Some(ProjectColumn::YearInvestment)
        );
        assert_eq!(project(BLOCKER_HEADER), Some(ProjectColumn::Blocker));
    }

    #[test]
    fn the_bureaus_words_are_read_and_written() {
        let v = Vocabulary::new(Words {
            code: vec!["编号".into()],
            name: vec!["填表项目".into()],
            uom: vec!["单位".into()],
            actual: vec!["数 量".into(), "本期数".into()],
            unit: vec!["贫困村".into()],
            ..Words::default()
        });
        let read = |s: &str| v.column(&normalize_label(s));
        assert_eq!(read("编号"), Some(Column::Code));
        assert_eq!(read("填表项目"), Some(Column::Name));
        assert_eq!(read("单位"), Some(Column::Uom));
        assert_eq!(read("数量"), Some(Column::Actual));
        assert_eq!(read("本期数"), Some(Column::Actual));
        // The standard words still count.
        assert_eq!(read("本年累计"), Some(Column::Actual));
        assert_eq!(Vocabulary::standard().column("数量"), None);
        assert_eq!(v.header(Column::Actual), "数 量");
        assert_eq!(v.header(Column::Target), "年度目标");
        let unit = |t: &str| {
            v.unit_lines()
                .iter()
                .find_map(|r| Some(r.captures(&fold(t))?[1].to_string()))
        };
        assert_eq!(unit("贫困村（盖章）：石门村").as_deref(), Some("石门村"));
        assert_eq!(unit("填报单位：清泉镇").as_deref(), Some("清泉镇"));
        let clash = Words {
            code: vec!["编号".into()],
            name: vec!["编 号".into()],
            ..Words::default()
        };
        assert!(clash.problem().unwrap().contains("同时用于 code 和 name"));
        assert!(Words::default().problem().is_none());
    }

    #[test]
    fn actual_column_spellings() {
        for l in [
            "本年累计",
            "1-3月累计",
            "1—3月完成",
            "1至12月累计完成数",
            "3月累计",
            "2022年3月累计完成",
            "2022年1-3月累计",
            "截至3月底累计完成",
            "其中：本年完成",
            "累计",
            "实际完成",
        ] {
            assert_eq!(column(&normalize_label(l)), Some(Column::Actual), "{l}");
        }
        for l in [
            "本月完成",
            "累计完成率",
            "完成率",
            "2-3月累计",
            "累计增长",
            "累计同比",
            "3月",
            "本月累计增减",
        ] {
            assert_ne!(column(&normalize_label(l)), Some(Column::Actual), "{l}");
        }
    }
}
