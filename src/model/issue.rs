//! Problems found in the inbox, as data (CONTRACT.md section 6).
//!
//! A problem never stops the run: it becomes an [`Issue`] row with a stable
//! code, a severity and a sentence for the township clerk. Reports count them
//! and set the exit code at the end.

use serde::Serialize;

use super::codes::codes;
use super::ids::{ProjectId, UnitRef};

codes! {
    /// How bad an issue is.
    pub enum Severity {
        Error = "error" / "错误",
        Warning = "warning" / "警告",
        Info = "info" / "提示",
    }
}

codes! {
    /// The stable issue codes of the contract, in its order.
    pub enum IssueCode {
        UnreadableFile = "unreadable_file" / "无法读取",
        NotAWorkbook = "not_a_workbook" / "不是报表",
        UnknownUnit = "unknown_unit" / "单位不明",
        UnitMismatch = "unit_mismatch" / "单位不符",
        Superseded = "superseded" / "已被替代",
        MissingSubmission = "missing_submission" / "未报送",
        NoIndicatorTable = "no_indicator_table" / "无指标表",
        UnknownIndicator = "unknown_indicator" / "未知指标",
        DuplicateIndicator = "duplicate_indicator" / "重复指标",
        MissingValue = "missing_value" / "缺少数值",
        NotANumber = "not_a_number" / "不是数字",
        FormulaError = "formula_error" / "公式错误",
        NegativeValue = "negative_value" / "负数",
        OutOfRange = "out_of_range" / "超出范围",
        UnitOfMeasure = "unit_of_measure" / "计量单位不符",
        Decreased = "decreased" / "累计数减少",
        OverTarget = "over_target" / "远超目标",
        TargetChanged = "target_changed" / "目标被改动",
        MissingExplanation = "missing_explanation" / "缺少滞后原因",
        UnknownProject = "unknown_project" / "未知项目",
        MissingProject = "missing_project" / "缺少项目",
        PeriodMismatch = "period_mismatch" / "期别不符",
        TooLarge = "too_large" / "文件过大",
        RuleViolated = "rule_violated" / "不符合校验规则",
    }
}

impl IssueCode {
    /// The severity the contract gives the code (`rule_violated` takes the
    /// rule's own; warning is its default).
    pub fn severity(self) -> Severity {
        use IssueCode::*;
        match self {
            // A period named in a title is a warning; a template's own
            // period, which is certain, makes the issue an error.
            NotAWorkbook | UnknownIndicator | OutOfRange | UnitOfMeasure | Decreased
            | TargetChanged | MissingExplanation | UnknownProject | PeriodMismatch
            | RuleViolated => Severity::Warning,
            Superseded | OverTarget => Severity::Info,
            UnreadableFile | UnknownUnit | UnitMismatch | MissingSubmission | NoIndicatorTable
            | DuplicateIndicator | MissingValue | NotANumber | FormulaError | NegativeValue
            | MissingProject | TooLarge => Severity::Error,
        }
    }

    /// Whether the issue stops the whole file from being used.
    pub fn rejects_file(self) -> bool {
        use IssueCode::*;
        matches!(
            self,
            UnreadableFile
                | NotAWorkbook
                | UnknownUnit
                | UnitMismatch
                | NoIndicatorTable
                | TooLarge
        )
    }
}

/// One problem: where it is, what it is, and what to do, in one sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// The inbox file's name; `None` for a unit that sent nothing.
    pub file: Option<String>,
    /// The unit, when known (written as its name).
    pub unit: Option<UnitRef>,
    pub sheet: Option<String>,
    /// The cell in A1 notation, when the issue is about one cell.
    pub cell: Option<String>,
    pub indicator_code: Option<String>,
    pub severity: Severity,
    pub code: IssueCode,
    pub message: String,
    /// The plan's project the issue is about, for the feedback workbook
    /// (not a column of `issues.csv`: the message names the project).
    #[serde(skip)]
    pub project: Option<ProjectId>,
}

impl Issue {
    /// An issue about a whole file (`file` empty: about a unit).
    pub fn file(file: &str, unit: Option<UnitRef>, code: IssueCode, message: String) -> Issue {
        Issue {
            file: (!file.is_empty()).then(|| file.to_string()),
            unit,
            sheet: None,
            cell: None,
            indicator_code: None,
            severity: code.severity(),
            code,
            message,
            project: None,
        }
    }

    /// Where the issue is, as a clerk looks for it: `Sheet1!E7`, the sheet
    /// alone, or nothing for a whole file.
    pub fn place(&self) -> Option<String> {
        match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => Some(format!("{s}!{c}")),
            (Some(s), None) => Some(s.clone()),
            _ => None,
        }
    }
}

/// Column letters and row number of a zero-based cell: (0, 0) is `A1`.
pub fn a1(row: u32, col: u32) -> String {
    // Excel stops at XFD, but a damaged or hostile file may name a column
    // far past it (`ZZZZ3`), which the writer's helper cannot spell (it
    // overflowed and took the whole run down): spelt here for any column.
    match u16::try_from(col) {
        Ok(c) if c < u16::MAX => rust_xlsxwriter::utility::row_col_to_cell(row, c),
        _ => {
            let mut letters = Vec::new();
            let mut n = u64::from(col) + 1;
            while n > 0 {
                let digit = u8::try_from((n - 1) % 26).expect("below 26");
                letters.push(char::from(b'A' + digit));
                n = (n - 1) / 26;
            }
            letters.iter().rev().collect::<String>() + &(u64::from(row) + 1).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_notation() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(6, 4), "E7");
        assert_eq!(a1(9, 25), "Z10");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(0, 701), "ZZ1");
        assert_eq!(a1(0, 702), "AAA1");
        assert_eq!(a1(0, 16383), "XFD1");
        // Past Excel's last column, as a hostile file may say (ZZZZ is
        // column 475,254), and at the very end of both ranges.
        assert_eq!(a1(2, 475_253), "ZZZZ3");
        assert_eq!(a1(0, 65_534), "CRXO1");
        assert_eq!(a1(0, 65_535), "CRXP1");
        assert!(a1(u32::MAX, u32::MAX).ends_with("4294967296"));
    }

    #[test]
    fn codes_are_unique_and_severities_match_the_contract() {
        let codes: std::collections::HashSet<_> = IssueCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), IssueCode::ALL.len());
        assert_eq!(IssueCode::Superseded.severity(), Severity::Info);
        assert_eq!(IssueCode::NotAWorkbook.severity(), Severity::Warning);
        assert_eq!(IssueCode::MissingValue.severity(), Severity::Error);
        assert_eq!(IssueCode::UnknownProject.severity(), Severity::Warning);
        assert_eq!(IssueCode::MissingProject.severity(), Severity::Error);
    }
}
