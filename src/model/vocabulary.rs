//! The words of the submission format (CONTRACT.md sections 5 and 11): the
//! header words that name each column, the 填报单位 / 填报日期 labels, and
//! the hidden sheet where `tally template` records whose template a file
//! is. The template writer writes the first word of each list and the
//! reader recognises every word of it, so the two cannot drift apart (a
//! test below reads back what the template writes).

use std::sync::LazyLock;

use regex::Regex;

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

/// The template's headers for the columns the reader ignores.
pub const UOM_HEADER: &str = "计量单位";
pub const EXPECTED_HEADER: &str = "时间进度应完成";
/// The template's note header: both words a clerk may look for.
pub const NOTE_HEADER: &str = "备注/滞后原因";

/// "1-3月累计", "1—3月完成", "1至3月累计完成数": cumulative from January.
static MONTHS_TO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^1[-—~至到]\d{1,2}月(累计)?(完成)?(数|值)?$").expect("valid regex")
});

/// Which column a normalized header label names.
pub fn column(label: &str) -> Option<Column> {
    if label.is_empty() {
        return None;
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
    } else {
        None
    }
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
    use crate::model::value::normalize_label;

    #[test]
    fn what_templates_write_is_what_the_reader_knows() {
        let read = |s: &str| column(&normalize_label(s));
        assert_eq!(read(CODE_WORDS[0]), Some(Column::Code));
        assert_eq!(read(NAME_WORDS[0]), Some(Column::Name));
        assert_eq!(read(ACTUAL_WORDS[0]), Some(Column::Actual));
        assert_eq!(read(NOTE_HEADER), Some(Column::Note));
        assert_eq!(read(TARGET_WORDS[0]), Some(Column::Target));
        // The columns the reader must not take for another.
        assert_eq!(read(UOM_HEADER), None);
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
    fn actual_column_spellings() {
        for l in [
            "本年累计",
            "1-3月累计",
            "1—3月完成",
            "1至12月累计完成数",
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
        ] {
            assert_ne!(column(&normalize_label(l)), Some(Column::Actual), "{l}");
        }
    }
}
