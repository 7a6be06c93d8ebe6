//! Writing workbooks the way townships fill them, for tests and samples.
//!
//! A sheet is a list of rows of [`C`] cells plus merged ranges; this keeps
//! each fixture readable as the table it is. Shared by the integration
//! tests and `examples/make_samples.rs`.

#![allow(dead_code)]

use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

/// One cell as a township would type it.
#[derive(Debug, Clone, PartialEq)]
pub enum C {
    E,
    T(String),
    N(f64),
    /// A formula with its cached result (`None`: never calculated).
    F(String, Option<String>),
    /// A date cell.
    D(u16, u8, u8),
}

/// Text cell.
pub fn t(s: &str) -> C {
    if s.is_empty() {
        C::E
    } else {
        C::T(s.to_string())
    }
}

/// Number cell.
pub fn n(v: f64) -> C {
    C::N(v)
}

/// A sheet: rows from A1 down, and merged ranges `(r1, c1, r2, c2)`.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<C>>,
    pub merges: Vec<(u32, u16, u32, u16)>,
    pub hidden: bool,
}

impl Sheet {
    pub fn new(name: &str) -> Sheet {
        Sheet {
            name: name.to_string(),
            ..Sheet::default()
        }
    }

    pub fn row(mut self, cells: Vec<C>) -> Sheet {
        self.rows.push(cells);
        self
    }

    /// A row of texts ("" for an empty cell).
    pub fn texts(self, cells: &[&str]) -> Sheet {
        self.row(cells.iter().map(|s| t(s)).collect())
    }

    pub fn merge(mut self, r1: u32, c1: u16, r2: u32, c2: u16) -> Sheet {
        self.merges.push((r1, c1, r2, c2));
        self
    }
}

/// A plan's `规则` sheet with these rows (id, description, left, operator,
/// right, severity, scope, tolerance).
pub fn rules_sheet(rows: &[[&str; 8]]) -> Sheet {
    let header = Sheet::new("规则").texts(&[
        "规则编号",
        "规则说明",
        "左边",
        "运算符",
        "右边",
        "级别",
        "范围",
        "容差",
    ]);
    rows.iter().fold(header, |sheet, r| sheet.texts(r))
}

/// The usual submission layout: a merged title, `填报单位：` in A2 and
/// `填报日期：` in E2, the header
/// `指标代码 | 指标名称 | 计量单位 | 年度目标 | 本年累计 | 备注` in row 3,
/// and `rows` from row 4.
pub fn template(title: &str, unit: &str, date: &str, rows: Vec<Vec<C>>) -> Sheet {
    let mut s = Sheet::new("Sheet1")
        .texts(&[title])
        .texts(&[
            &format!("填报单位：{unit}"),
            "",
            "",
            "",
            &format!("填报日期：{date}"),
        ])
        .texts(&[
            "指标代码",
            "指标名称",
            "计量单位",
            "年度目标",
            "本年累计",
            "备注",
        ])
        .merge(0, 0, 0, 5);
    for r in rows {
        s = s.row(r);
    }
    s
}

/// A project table as townships lay it out: the header, then one row per
/// project (name, 是否开工, 开工日期, 本年完成投资, 存在问题).
pub fn project_table(rows: Vec<(&str, C, C, C, &str)>) -> Vec<Vec<C>> {
    let mut out = vec![vec![
        t("项目名称"),
        t("是否开工"),
        t("开工日期"),
        t("本年完成投资（万元）"),
        t("存在问题"),
    ]];
    out.extend(
        rows.into_iter()
            .map(|(name, started, on, investment, blocker)| {
                vec![t(name), started, on, investment, t(blocker)]
            }),
    );
    out
}

/// Writes `sheets` to an .xlsx file at `path`.
pub fn write_xlsx(path: &Path, sheets: &[Sheet]) {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let plain = Format::new();
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.name).expect("sheet name");
        ws.set_column_width(1, 24).expect("width");
        // A formula without a result is left uncalculated, as by writers
        // that never compute (rust_xlsxwriter would otherwise write 0).
        ws.set_formula_result_default("");
        for &(r1, c1, r2, c2) in &s.merges {
            let text = match s.rows.get(r1 as usize).and_then(|r| r.get(c1 as usize)) {
                Some(C::T(v)) => v.clone(),
                _ => String::new(),
            };
            ws.merge_range(r1, c1, r2, c2, &text, &plain)
                .expect("merge");
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                let merged_anchor = s.merges.iter().any(|m| m.0 == r && m.1 == c);
                match cell {
                    C::E => {}
                    C::T(_) if merged_anchor => {}
                    C::T(v) => {
                        ws.write_string(r, c, v).expect("write");
                    }
                    C::N(v) => {
                        ws.write_number(r, c, *v).expect("write");
                    }
                    C::F(f, result) => {
                        let mut formula = Formula::new(f);
                        if let Some(res) = result {
                            formula = formula.set_result(res);
                        }
                        ws.write_formula(r, c, formula).expect("write");
                    }
                    C::D(y, m, d) => {
                        let dt = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
                        ws.write_datetime_with_format(r, c, &dt, &date)
                            .expect("write");
                    }
                }
            }
        }
        if s.hidden {
            ws.set_hidden(true);
        }
    }
    wb.save(path).expect("save workbook");
}

/// What a unit on schedule would fill into its template: the expected value
/// to date, 2100 / 3000 for the featured-industry ratio's parts, and every
/// project due by the period's end started five days before its date, with
/// its planned investment spent at the pace of the year.
pub fn on_schedule(
    plan: &tally::plan::Plan,
    u: tally::model::UnitId,
    period: tally::model::Period,
) -> tally::template::Filled {
    let values = plan
        .required(u)
        .into_iter()
        .map(|i| {
            let v = match plan.target(Some(u), i) {
                Some(t) => (t.goal.expected(period.elapsed()) * 1000.0).round() / 1000.0,
                None if plan.indicators[i].code == "NY02" => 2100.0,
                None => 3000.0,
            };
            (i, v)
        })
        .collect();
    let projects = plan
        .projects_of(u)
        .iter()
        .map(|&p| {
            let project = &plan.projects[p];
            let due = project.start_by.filter(|d| *d <= period.end_date());
            let started_on = due.map(|d| d - chrono::Duration::days(5));
            let planned = project.planned_investment.unwrap_or(0.0);
            let fill = tally::template::FilledProject {
                started: due.is_some(),
                started_on,
                investment: if due.is_some() {
                    (planned * period.elapsed()).round()
                } else {
                    0.0
                },
                blocker: String::new(),
            };
            (p, fill)
        })
        .collect();
    tally::template::Filled { values, projects }
}
