//! Problems found in the inbox, as data (CONTRACT.md section 6).
//!
//! A problem never stops the run: it becomes an [`Issue`] row with a stable
//! code, a severity and a sentence for the township clerk. Reports count them
//! and set the exit code at the end.

use serde::Serialize;

/// How bad an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

/// The stable issue codes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    UnreadableFile,
    NotAWorkbook,
    UnknownUnit,
    UnitMismatch,
    Superseded,
    MissingSubmission,
    NoIndicatorTable,
    UnknownIndicator,
    DuplicateIndicator,
    MissingValue,
    NotANumber,
    FormulaError,
    NegativeValue,
    OutOfRange,
    UnitOfMeasure,
    Decreased,
    OverTarget,
    TargetChanged,
    MissingExplanation,
    UnknownProject,
    MissingProject,
}

impl IssueCode {
    /// Every code, in the contract's order.
    pub const ALL: [IssueCode; 21] = [
        IssueCode::UnreadableFile,
        IssueCode::NotAWorkbook,
        IssueCode::UnknownUnit,
        IssueCode::UnitMismatch,
        IssueCode::Superseded,
        IssueCode::MissingSubmission,
        IssueCode::NoIndicatorTable,
        IssueCode::UnknownIndicator,
        IssueCode::DuplicateIndicator,
        IssueCode::MissingValue,
        IssueCode::NotANumber,
        IssueCode::FormulaError,
        IssueCode::NegativeValue,
        IssueCode::OutOfRange,
        IssueCode::UnitOfMeasure,
        IssueCode::Decreased,
        IssueCode::OverTarget,
        IssueCode::TargetChanged,
        IssueCode::MissingExplanation,
        IssueCode::UnknownProject,
        IssueCode::MissingProject,
    ];

    /// The code as written in `issues.csv` and JSON.
    pub fn code(self) -> &'static str {
        match self {
            IssueCode::UnreadableFile => "unreadable_file",
            IssueCode::NotAWorkbook => "not_a_workbook",
            IssueCode::UnknownUnit => "unknown_unit",
            IssueCode::UnitMismatch => "unit_mismatch",
            IssueCode::Superseded => "superseded",
            IssueCode::MissingSubmission => "missing_submission",
            IssueCode::NoIndicatorTable => "no_indicator_table",
            IssueCode::UnknownIndicator => "unknown_indicator",
            IssueCode::DuplicateIndicator => "duplicate_indicator",
            IssueCode::MissingValue => "missing_value",
            IssueCode::NotANumber => "not_a_number",
            IssueCode::FormulaError => "formula_error",
            IssueCode::NegativeValue => "negative_value",
            IssueCode::OutOfRange => "out_of_range",
            IssueCode::UnitOfMeasure => "unit_of_measure",
            IssueCode::Decreased => "decreased",
            IssueCode::OverTarget => "over_target",
            IssueCode::TargetChanged => "target_changed",
            IssueCode::MissingExplanation => "missing_explanation",
            IssueCode::UnknownProject => "unknown_project",
            IssueCode::MissingProject => "missing_project",
        }
    }

    /// The severity the contract gives the code.
    pub fn severity(self) -> Severity {
        use IssueCode::*;
        match self {
            NotAWorkbook | UnknownIndicator | OutOfRange | UnitOfMeasure | Decreased
            | TargetChanged | MissingExplanation | UnknownProject => Severity::Warning,
            Superseded | OverTarget => Severity::Info,
            UnreadableFile | UnknownUnit | UnitMismatch | MissingSubmission | NoIndicatorTable
            | DuplicateIndicator | MissingValue | NotANumber | FormulaError | NegativeValue
            | MissingProject => Severity::Error,
        }
    }

    /// Whether the issue stops the whole file from being used.
    pub fn rejects_file(self) -> bool {
        use IssueCode::*;
        matches!(
            self,
            UnreadableFile | NotAWorkbook | UnknownUnit | UnitMismatch | NoIndicatorTable
        )
    }
}

/// One problem: where it is, what it is, and what to do, in one sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// The inbox file's name; `None` for a unit that sent nothing.
    pub file: Option<String>,
    /// The unit, when known.
    pub unit: Option<String>,
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
    pub project: Option<usize>,
}

impl Issue {
    /// An issue about a whole file (`file` empty: about a unit).
    pub fn file(file: &str, unit: Option<&str>, code: IssueCode, message: String) -> Issue {
        Issue {
            file: (!file.is_empty()).then(|| file.to_string()),
            unit: unit.map(str::to_string),
            sheet: None,
            cell: None,
            indicator_code: None,
            severity: code.severity(),
            code,
            message,
            project: None,
        }
    }
}

/// Column letters and row number of a zero-based cell: (0, 0) is `A1`.
pub fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.push(b'A' + r as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).expect("ascii"), row + 1)
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
