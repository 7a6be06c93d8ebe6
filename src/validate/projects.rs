//! Checking a submission's key-project table (重点项目) against the plan's
//! projects (CONTRACT.md section 11).
//!
//! Each row names a project; its 是否开工, 开工日期, completed investment and
//! 存在问题 are read, and whatever cannot be used is said with its cell. A
//! planned project of the unit that is not reported is `missing_project`.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::ingest::{ProjectRow, ProjectTable};
use crate::model::issue::a1;
use crate::model::value::{CellValue, Reading, fold, format_number, read_date, read_number};
use crate::model::{Issue, IssueCode, ProjectId, UnitId};
use crate::plan::Plan;

/// One reported project, as far as its values could be used.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectFact {
    /// The plan's project (the unit is the project's).
    pub project: ProjectId,
    /// `None` when 是否开工 was empty or could not be read.
    pub started: Option<bool>,
    pub started_on: Option<NaiveDate>,
    /// Completed investment this year, 万元.
    pub investment: Option<f64>,
    /// The 存在问题 / 制约因素 text, when it says anything.
    pub blocker: Option<String>,
    /// Zero-based row in the file's project table.
    pub row: u32,
}

/// Reads 是否开工: 是/否, 已开工/未开工, Y/N and their common variants.
pub fn read_started(v: &CellValue) -> Result<Option<bool>, String> {
    let text = match v {
        CellValue::Empty => return Ok(None),
        CellValue::Bool(b) => return Ok(Some(*b)),
        other => fold(&other.display()).trim().to_lowercase(),
    };
    const YES: [&str; 12] = [
        "是",
        "已开工",
        "开工",
        "已开复工",
        "已复工",
        "复工",
        "y",
        "yes",
        "true",
        "√",
        "✓",
        "已",
    ];
    const NO: [&str; 11] = [
        "否",
        "未开工",
        "未开复工",
        "未复工",
        "没有",
        "尚未开工",
        "n",
        "no",
        "false",
        "×",
        "未",
    ];
    if text.is_empty() {
        Ok(None)
    } else if YES.contains(&text.as_str()) {
        Ok(Some(true))
    } else if NO.contains(&text.as_str()) {
        Ok(Some(false))
    } else {
        Err(other_text(v))
    }
}

fn other_text(v: &CellValue) -> String {
    v.display().trim().to_string()
}

/// The 存在问题 text, unless it says there is none.
pub fn blocker_text(text: Option<&str>) -> Option<String> {
    let t = text?.trim();
    let none = [
        "无",
        "没有",
        "暂无",
        "-",
        "—",
        "/",
        "无问题",
        "正常",
        "无制约因素",
        "无困难",
        "否",
    ];
    (!t.is_empty() && !none.contains(&fold(t).trim())).then(|| t.to_string())
}

/// The checks of one accepted file's project table.
pub(super) struct ProjectChecker<'a> {
    pub plan: &'a Plan,
    pub unit: UnitId,
    pub file: &'a str,
    /// A start date after this day is in the future: the 填报日期, else
    /// the day of the run.
    pub today: NaiveDate,
    /// The last day of the period checked, when one is given: a project
    /// started after it was not started in the period.
    pub period_end: Option<NaiveDate>,
    /// Sheets that could not be read, where the project table may be.
    pub damaged: &'a [String],
    /// Hidden sheets, never searched: named where no table was found.
    pub hidden: &'a [String],
    pub issues: &'a mut Vec<Issue>,
    pub facts: &'a mut Vec<ProjectFact>,
}

impl ProjectChecker<'_> {
    fn issue(
        &mut self,
        table: &ProjectTable,
        cell: String,
        project: Option<ProjectId>,
        code: IssueCode,
        message: String,
    ) {
        self.issues.push(Issue {
            sheet: Some(table.sheet.clone()),
            cell: Some(cell),
            project,
            ..Issue::file(
                self.file,
                Some(self.plan.unit_ref(self.unit)),
                code,
                message,
            )
        });
    }

    /// `missing_project`: about the table's sheet, or the whole file when
    /// there is no table.
    fn missing(&mut self, table: Option<&ProjectTable>, p: ProjectId, message: String) {
        self.issues.push(Issue {
            sheet: table.map(|t| t.sheet.clone()),
            project: Some(p),
            ..Issue::file(
                self.file,
                Some(self.plan.unit_ref(self.unit)),
                IssueCode::MissingProject,
                message,
            )
        });
    }

    /// Checks `table` (`None`: the file has no project table).
    pub fn check(&mut self, table: Option<&ProjectTable>) {
        let mine = self.plan.projects_of(self.unit);
        let Some(table) = table else {
            let damaged: Vec<String> = self.damaged.iter().map(|s| format!("“{s}”")).collect();
            for &p in mine {
                let name = &self.plan.projects[p].name;
                let message = if damaged.is_empty() {
                    let hidden: Vec<String> =
                        self.hidden.iter().map(|s| format!("“{s}”")).collect();
                    let hidden = match hidden.is_empty() {
                        true => String::new(),
                        false => format!(
                            "；隐藏的工作表 {} 不读取，如重点项目表在其中，请取消隐藏",
                            hidden.join("、")
                        ),
                    };
                    format!(
                        "报表中没有重点项目表（需有“项目名称”“是否开工”两列{hidden}），重点项目“{name}”的进展未报；请按模板中的“重点项目”表填写后重新报送"
                    )
                } else {
                    format!(
                        "报表中没有读到重点项目表：工作表{}无法读取（文件损坏，或有 #CALC!、#SPILL! 等公式出错），重点项目“{name}”的进展未报；请改正出错的公式，或用 Excel、WPS 另存为 .xlsx 后重新报送",
                        damaged.join("、")
                    )
                };
                self.missing(None, p, message);
            }
            return;
        };
        let mut seen: HashMap<ProjectId, &ProjectRow> = HashMap::new();
        for row in &table.rows {
            let name_cell = table.cell(row.row, None);
            let Some(p) = self.plan.project_named(&row.name) else {
                self.issue(table, name_cell, None, IssueCode::UnknownProject, format!(
                    "第 {} 行的项目“{}”不在计划的重点项目清单中，这一行未汇总；请按下发的清单核对项目名称，或删除这一行",
                    row.row + 1, row.name
                ));
                continue;
            };
            let project = &self.plan.projects[p];
            if project.unit != self.unit {
                let owner = &self.plan.units[project.unit].name;
                self.issue(table, name_cell, Some(p), IssueCode::UnknownProject, format!(
                    "项目“{}”是{owner}负责的重点项目，不在本单位的清单中，这一行未汇总；请删除这一行，由{owner}报送",
                    project.name
                ));
                continue;
            }
            if let Some(first) = seen.get(&p) {
                let same = (&first.started, &first.started_on, &first.investment)
                    == (&row.started, &row.started_on, &row.investment);
                if !same {
                    let first_row = first.row;
                    self.issue(table, name_cell, Some(p), IssueCode::DuplicateIndicator, format!(
                        "重点项目“{}”在第 {} 行和第 {} 行各填了一次，内容不同；请只保留正确的一行",
                        project.name, first_row + 1, row.row + 1
                    ));
                    // Neither row can be trusted.
                    self.facts.retain(|f| f.project != p);
                }
                continue;
            }
            seen.insert(p, row);
            let fact = self.read_row(table, row, p);
            self.facts.push(fact);
        }
        for &p in mine {
            if !seen.contains_key(&p) {
                let message = format!(
                    "重点项目表中没有“{}”这一行；请补上该项目的开工情况和本年完成投资",
                    self.plan.projects[p].name
                );
                self.missing(Some(table), p, message);
            }
        }
    }

    fn read_row(&mut self, table: &ProjectTable, row: &ProjectRow, p: ProjectId) -> ProjectFact {
        let project = &self.plan.projects[p];
        let name = project.name.clone();
        let started_cell = a1(row.row, table.started_col);
        let started = match read_started(&row.started) {
            Ok(None) => {
                self.issue(
                    table,
                    started_cell,
                    Some(p),
                    IssueCode::MissingValue,
                    format!("重点项目“{name}”的“是否开工”为空；请填写“是”或“否”"),
                );
                None
            }
            Ok(Some(b)) => Some(b),
            Err(text) => {
                self.issue(table, started_cell, Some(p), IssueCode::NotANumber, format!(
                    "重点项目“{name}”的“是否开工”填的是“{text}”，无法识别；请填写“是”或“否”（也可写已开工/未开工、Y/N）"
                ));
                None
            }
        };
        let date_cell = table.cell(row.row, table.started_on_col);
        let mut started_on = match &row.started_on {
            CellValue::Empty => None,
            v => match read_date(v) {
                Some(d) => Some(d),
                None => {
                    self.issue(
                        table,
                        date_cell.clone(),
                        Some(p),
                        IssueCode::NotANumber,
                        format!(
                            "重点项目“{name}”的开工日期“{}”无法识别；请写成 2022-03-15 这样的日期",
                            other_text(v)
                        ),
                    );
                    None
                }
            },
        };
        if let (Some(false), Some(d)) = (started, started_on) {
            self.issue(table, date_cell.clone(), Some(p), IssueCode::OutOfRange, format!(
                "重点项目“{name}”填的是未开工，却写了开工日期 {d}，开工日期未采用；已开工请把“是否开工”改为“是”，未开工请删去开工日期"
            ));
            started_on = None;
        }
        if let Some(d) = started_on.filter(|d| *d > self.today) {
            self.issue(table, date_cell, Some(p), IssueCode::OutOfRange, format!(
                "重点项目“{name}”的开工日期 {d} 晚于填报日期 {}，是将来的日期，未采用；请填写实际开工的日期",
                self.today
            ));
            started_on = None;
        } else if let (Some(true), Some(d), Some(end)) = (started, started_on, self.period_end)
            && d > end
        {
            // The pages count 截至 the period's end, the unit's 是否开工 as
            // of its 填报日期: counted as reported (the contract's 是否开工),
            // but never silently.
            self.issue(table, date_cell, Some(p), IssueCode::OutOfRange, format!(
                "重点项目“{name}”的开工日期 {d} 在本期截止日 {end} 之后，本期仍按“已开工”统计；如本期末尚未开工，请把“是否开工”改为“否”，下期再填“是”和开工日期"
            ));
        }
        let investment = self.read_investment(table, row, p, started == Some(true));
        ProjectFact {
            project: p,
            started,
            started_on,
            investment,
            blocker: blocker_text(row.blocker.as_deref()),
            row: row.row,
        }
    }

    fn read_investment(
        &mut self,
        table: &ProjectTable,
        row: &ProjectRow,
        p: ProjectId,
        started: bool,
    ) -> Option<f64> {
        let col = table.investment_col?;
        let cell = a1(row.row, col);
        let project = &self.plan.projects[p];
        let name = project.name.clone();
        let value = match read_number(&row.investment) {
            Reading::Missing => {
                if started {
                    self.issue(table, cell, Some(p), IssueCode::MissingValue, format!(
                        "已开工的重点项目“{name}”的本年完成投资为空；请填写本年完成投资（万元），没有请填 0"
                    ));
                }
                return None;
            }
            Reading::NotANumber(text) => {
                self.issue(
                    table,
                    cell,
                    Some(p),
                    IssueCode::NotANumber,
                    format!("重点项目“{name}”的本年完成投资“{text}”不是数字；请只填数字（万元）"),
                );
                return None;
            }
            Reading::FormulaError(e) => {
                self.issue(table, cell, Some(p), IssueCode::FormulaError, format!(
                    "重点项目“{name}”的本年完成投资是公式错误（{e}）；请检查公式，或直接填写数字"
                ));
                return None;
            }
            Reading::Number {
                value,
                trailing_unit,
                percent,
            } => {
                let typed = trailing_unit.or_else(|| percent.then(|| "%".to_string()));
                if let Some(u) = typed.filter(|u| u != "万元") {
                    self.issue(table, cell.clone(), Some(p), IssueCode::UnitOfMeasure, format!(
                        "重点项目“{name}”的本年完成投资后写的单位“{u}”不是“万元”，本次按 {} 万元计入；如有出入，请换算为万元后只填数字",
                        format_number(value)
                    ));
                }
                value
            }
        };
        let shown = format_number(value);
        if value < 0.0 {
            self.issue(
                table,
                cell,
                Some(p),
                IssueCode::NegativeValue,
                format!(
                    "重点项目“{name}”的本年完成投资为负数（{shown} 万元）；完成投资不能小于 0，请改正"
                ),
            );
            return None;
        }
        if let Some(total) = project.total_investment.filter(|t| value > *t) {
            self.issue(table, cell.clone(), Some(p), IssueCode::OutOfRange, format!(
                "重点项目“{name}”的本年完成投资 {shown} 万元超过项目总投资 {} 万元；请核实数值和单位（万元）",
                format_number(total)
            ));
        } else if let Some(planned) = project
            .planned_investment
            .filter(|t| *t > 0.0 && value > 1.5 * t)
        {
            self.issue(table, cell, Some(p), IssueCode::OverTarget, format!(
                "重点项目“{name}”的本年完成投资 {shown} 万元超过年度计划投资 {} 万元的 150%；请核实是否把“元”当成了“万元”",
                format_number(planned)
            ));
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn started_spellings() {
        let t = |s: &str| read_started(&CellValue::Text(s.into()));
        for yes in ["是", "已开工", "Y", "ｙ", " yes "] {
            assert_eq!(t(yes), Ok(Some(true)), "{yes}");
        }
        for no in ["否", "未开工", "N", "no"] {
            assert_eq!(t(no), Ok(Some(false)), "{no}");
        }
        assert_eq!(read_started(&CellValue::Empty), Ok(None));
        assert_eq!(t("正在办理手续"), Err("正在办理手续".to_string()));
    }

    #[test]
    fn blockers_that_say_nothing_are_none() {
        assert_eq!(blocker_text(Some(" 无 ")), None);
        assert_eq!(blocker_text(Some("—")), None);
        assert_eq!(blocker_text(None), None);
        assert_eq!(
            blocker_text(Some("用地手续未办结")).as_deref(),
            Some("用地手续未办结")
        );
    }
}
