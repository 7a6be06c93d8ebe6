//! Reading the plan workbook (CONTRACT.md sections 2 and 11).
//!
//! Sheets are found by Chinese or English name, columns by header text in
//! any order. Every problem found is collected, so the bureau fixes its plan
//! in one pass instead of one error per run.

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;

use super::rules::{self, Operator, Rule, Side};
use super::{COUNTY, Indicator, Plan, Project, Ratio, Target, Unit};
use crate::model::codes::Coded;
use crate::model::issue::a1;
use crate::model::value::{
    CellValue, Reading, as_fraction, code_key, fold, format_plain, is_percent_unit,
    normalize_label, read_date, read_number, significant,
};
use crate::model::{
    Aggregation, Direction, Goal, IdVec, IndicatorId, Profile, ProjectId, ProjectKind, Severity,
    UnitId, UnitKind,
};
use crate::sheet::{Book, Format, Grid, OpenError};

/// One thing wrong with the plan, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProblem {
    pub sheet: Option<String>,
    pub cell: Option<String>,
    pub message: String,
}

impl fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => write!(f, "{s}!{c}：{}", self.message),
            (Some(s), None) => write!(f, "工作表“{s}”：{}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}

/// A plan that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file could not be read at all.
    #[error("无法读取计划表 {path}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file was read, and every problem found in it is listed.
    #[error("{}", refused(file, problems))]
    Refused {
        file: String,
        problems: Vec<PlanProblem>,
    },
}

impl PlanError {
    /// The problems found in the plan (none when it could not be read).
    pub fn problems(&self) -> &[PlanProblem] {
        match self {
            PlanError::Unreadable { .. } => &[],
            PlanError::Refused { problems, .. } => problems,
        }
    }
}

fn refused(file: &str, problems: &[PlanProblem]) -> String {
    let mut out = format!(
        "计划表 {file} 有 {} 处问题，请改正后重新运行：",
        problems.len()
    );
    for p in problems {
        out.push_str(&format!("\n  - {p}"));
    }
    out
}

/// Column header spellings, normalized (see [`normalize_label`]).
struct Col {
    key: &'static str,
    names: &'static [&'static str],
    required: bool,
}

const UNIT_COLS: &[Col] = &[
    Col {
        key: "name",
        names: &["单位名称", "name", "单位"],
        required: true,
    },
    Col {
        key: "aliases",
        names: &["别名", "aliases", "alias"],
        required: false,
    },
    Col {
        key: "kind",
        names: &["类型", "kind", "单位类型"],
        required: true,
    },
    Col {
        key: "email",
        names: &["邮箱", "email", "电子邮箱", "e-mail"],
        required: false,
    },
];

const INDICATOR_COLS: &[Col] = &[
    Col {
        key: "code",
        names: &["指标代码", "code", "代码"],
        required: true,
    },
    Col {
        key: "name",
        names: &["指标名称", "name", "名称"],
        required: true,
    },
    Col {
        key: "uom",
        names: &["计量单位", "unit", "单位"],
        required: true,
    },
    Col {
        key: "category",
        names: &["类别", "category"],
        required: false,
    },
    Col {
        key: "aggregation",
        names: &["汇总方式", "aggregation"],
        required: false,
    },
    Col {
        key: "numerator",
        names: &["分子", "numerator"],
        required: false,
    },
    Col {
        key: "denominator",
        names: &["分母", "denominator"],
        required: false,
    },
    Col {
        key: "direction",
        names: &["方向", "direction"],
        required: false,
    },
    Col {
        key: "profile",
        names: &["进度", "profile", "进度类型"],
        required: false,
    },
    Col {
        key: "min",
        names: &["最小值", "min"],
        required: false,
    },
    Col {
        key: "max",
        names: &["最大值", "max"],
        required: false,
    },
    Col {
        key: "weight",
        names: &["权重", "weight"],
        required: false,
    },
];

const TARGET_COLS: &[Col] = &[
    Col {
        key: "unit",
        names: &["单位名称", "unit", "单位"],
        required: true,
    },
    Col {
        key: "code",
        names: &["指标代码", "code"],
        required: true,
    },
    Col {
        key: "target",
        names: &["年度目标", "target", "目标"],
        required: true,
    },
    Col {
        key: "q1",
        names: &["一季度", "q1"],
        required: false,
    },
    Col {
        key: "q2",
        names: &["二季度", "q2"],
        required: false,
    },
    Col {
        key: "q3",
        names: &["三季度", "q3"],
        required: false,
    },
    Col {
        key: "deadline",
        names: &["截止日期", "deadline"],
        required: false,
    },
];

const PROJECT_COLS: &[Col] = &[
    Col {
        key: "name",
        names: &["项目名称", "project", "名称"],
        required: true,
    },
    Col {
        key: "unit",
        names: &["责任单位", "unit", "单位", "单位名称"],
        required: true,
    },
    Col {
        key: "kind",
        names: &["项目类型", "kind", "类型"],
        required: true,
    },
    Col {
        key: "total",
        names: &["总投资", "total_investment"],
        required: false,
    },
    Col {
        key: "planned",
        names: &["年度计划投资", "planned_investment", "本年计划投资"],
        required: false,
    },
    Col {
        key: "start_by",
        names: &["计划开工日期", "start_by", "开工日期"],
        required: false,
    },
];

const RULE_COLS: &[Col] = &[
    Col {
        key: "id",
        names: &["规则编号", "id", "编号"],
        required: true,
    },
    Col {
        key: "description",
        names: &["规则说明", "description", "说明"],
        required: false,
    },
    Col {
        key: "left",
        names: &["左边", "left"],
        required: true,
    },
    Col {
        key: "operator",
        names: &["运算符", "operator"],
        required: true,
    },
    Col {
        key: "right",
        names: &["右边", "right"],
        required: true,
    },
    Col {
        key: "severity",
        names: &["级别", "severity"],
        required: false,
    },
    Col {
        key: "scope",
        names: &["范围", "scope"],
        required: false,
    },
    Col {
        key: "tolerance",
        names: &["容差", "tolerance"],
        required: false,
    },
];

/// A sheet with its header located: each known column's index.
struct Table<'g> {
    grid: &'g Grid,
    header_row: u32,
    cols: HashMap<&'static str, u32>,
}

/// Where a cell is; its A1 name is made only for a problem to report (a
/// large plan has hundreds of thousands of cells and few problems).
#[derive(Clone, Copy)]
struct Spot {
    row: u32,
    col: u32,
}

impl Spot {
    fn a1(self) -> String {
        a1(self.row, self.col)
    }
}

impl Table<'_> {
    fn cell(&self, row: u32, key: &str) -> Option<(&CellValue, Spot)> {
        let col = *self.cols.get(key)?;
        Some((self.grid.get_merged_down(row, col), Spot { row, col }))
    }

    /// The A1 name of column `key`'s cell in `row`.
    fn at(&self, row: u32, key: &str) -> Option<String> {
        self.cols.get(key).map(|&col| a1(row, col))
    }

    /// The cell's text to match or parse: full-width folded, trimmed.
    fn text(&self, row: u32, key: &str) -> String {
        let Some((v, _)) = self.cell(row, key) else {
            return String::new();
        };
        fold(&v.shown()).trim().to_string()
    }

    /// The cell's text as people wrote it, to show them again: trimmed
    /// only (`其中：水田`, not `其中:水田`).
    fn written(&self, row: u32, key: &str) -> String {
        let Some((v, _)) = self.cell(row, key) else {
            return String::new();
        };
        v.shown().trim().to_string()
    }

    /// Data rows: every non-empty row below the header.
    fn rows(&self) -> Vec<u32> {
        self.grid
            .rows()
            .filter(|(r, cells)| *r > self.header_row && cells.iter().any(|(_, v)| !v.is_blank()))
            .map(|(r, _)| r)
            .collect()
    }
}

struct Problems {
    list: Vec<PlanProblem>,
}

impl Problems {
    fn at(&mut self, sheet: &str, cell: Option<String>, message: String) {
        self.list.push(PlanProblem {
            sheet: Some(sheet.to_string()),
            cell,
            message,
        });
    }
}

fn locate<'g>(grid: &'g Grid, cols: &[Col], problems: &mut Problems) -> Option<Table<'g>> {
    let first = &cols[0];
    for (r, cells) in grid.rows().take(10) {
        let mut found = HashMap::default();
        for (c, v) in cells {
            let label = normalize_label(&v.display());
            if let Some(col) = cols.iter().find(|col| col.names.contains(&label.as_str())) {
                found.entry(col.key).or_insert(*c);
            }
        }
        if !found.contains_key(first.key) {
            continue;
        }
        for col in cols
            .iter()
            .filter(|c| c.required && !found.contains_key(c.key))
        {
            problems.at(
                &grid.name,
                None,
                format!(
                    "第{}行表头缺少“{}”列；请添加该列（也可写作 {}）",
                    r + 1,
                    col.names[0],
                    col.names[1..].join(" / ")
                ),
            );
        }
        return Some(Table {
            grid,
            header_row: r,
            cols: found,
        });
    }
    problems.at(
        &grid.name,
        None,
        format!(
            "前10行中找不到表头（需要“{}”列）；请在第一行写上列名",
            first.names[0]
        ),
    );
    None
}

/// The sheet called one of `names`: the one named exactly so, else the
/// one named so beside bracketed words (`目标（2022年）`). Excel's 移动或复制
/// puts a copy, `目标 (2)`, before its original: never taken while the
/// original is there, and with no original, two such sheets are reported
/// rather than one taken at random.
fn sheet_named<'b>(grids: &'b [Grid], names: &[&str], problems: &mut Problems) -> Option<&'b Grid> {
    let exact = grids.iter().find(|g| {
        let n = fold(&g.name).trim().to_lowercase();
        names.contains(&n.as_str())
    });
    let near: Vec<&Grid> = grids
        .iter()
        .filter(|g| names.contains(&normalize_label(&g.name).as_str()))
        .collect();
    if exact.is_none() && near.len() > 1 {
        let listed: Vec<String> = near.iter().map(|g| format!("“{}”", g.name)).collect();
        problems.list.push(PlanProblem {
            sheet: None,
            cell: None,
            message: format!(
                "有 {} 个工作表都像是“{}”表：{}；请删去多余的，或把要用的一个改名为“{}”",
                near.len(),
                names[0],
                listed.join("、"),
                names[0]
            ),
        });
        return None;
    }
    exact.or(near.first().copied())
}

fn find_sheet<'b>(grids: &'b [Grid], names: &[&str], problems: &mut Problems) -> Option<&'b Grid> {
    let before = problems.list.len();
    let found = sheet_named(grids, names, problems);
    if found.is_none() && problems.list.len() == before {
        problems.list.push(PlanProblem {
            sheet: None,
            cell: None,
            message: format!(
                "缺少工作表“{}”；请添加名为“{}”（或 {}）的工作表",
                names[0], names[0], names[1]
            ),
        });
    }
    found
}

/// Whether `grid` is one of the plan's tables with a blank cell, in a row
/// with others filled, in a column a merge down would fill: a unit's name,
/// a code, an indicator's name or 类别.
fn blank_key_cells(grid: &Grid) -> bool {
    let tables: [(&[&str], &[Col], &[&str]); 4] = [
        (&["单位", "units"], UNIT_COLS, &["name"]),
        (
            &["指标", "indicators"],
            INDICATOR_COLS,
            &["code", "name", "category"],
        ),
        (&["目标", "targets"], TARGET_COLS, &["unit", "code"]),
        (&["项目", "projects", "重点项目"], PROJECT_COLS, &["unit"]),
    ];
    let name = normalize_label(&grid.name);
    let mut ignored = Problems { list: Vec::new() };
    tables.iter().any(|(names, cols, keys)| {
        names.contains(&name.as_str())
            && locate(grid, cols, &mut ignored).is_some_and(|t| {
                let key_cols: Vec<u32> =
                    keys.iter().filter_map(|k| t.cols.get(k).copied()).collect();
                // Row by row, as stored: a large plan's 40,000 targets
                // are looked through once more, so no lookups per cell.
                grid.rows()
                    .filter(|(r, cells)| {
                        *r > t.header_row && cells.iter().any(|(_, v)| !v.is_blank())
                    })
                    .any(|(_, cells)| {
                        key_cols.iter().any(|c| {
                            cells
                                .binary_search_by_key(c, |(col, _)| *col)
                                .map_or(true, |k| cells[k].1.is_blank())
                        })
                    })
            })
    })
}

/// Reads and checks the plan workbook at `path`.
///
/// # Errors
///
/// [`PlanError`] listing every problem: a missing sheet or column, a
/// duplicate code or unit, a target for an unknown unit or indicator, a ratio
/// without numerator and denominator, a target that is no number ...
pub fn read_plan(path: &Path) -> Result<Plan, PlanError> {
    let file = path.display().to_string();
    let fail = |message: String| PlanError::Refused {
        file: file.clone(),
        problems: vec![PlanProblem {
            sheet: None,
            cell: None,
            message,
        }],
    };
    let bytes = std::fs::read(path).map_err(|source| PlanError::Unreadable {
        path: file.clone(),
        source,
    })?;
    let claimed = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension);
    // The plan is the bureau's own file, but a broken one must still give an
    // answer rather than take tally down.
    // Said in the bureau's words, never the reader's English.
    let grids = crate::errors::caught(|| -> Result<Vec<Grid>, String> {
        let mut book = Book::open(&bytes, claimed).map_err(|e| match e {
            OpenError::Password => "计划表设置了打开密码；请取消密码后再用".to_string(),
            OpenError::Empty => "计划表是空文件（0 字节）；请重新保存".to_string(),
            OpenError::NoSheets => "计划表中没有工作表".to_string(),
            OpenError::Corrupt(_)
            | OpenError::TooManyCells { .. }
            | OpenError::DamagedSheet { .. } => {
                "计划表已损坏或不是 Excel/WPS 表格，无法打开；请用 Excel 重新保存为 .xlsx"
                    .to_string()
            }
        })?;
        let mut grids = book
            .sheet_names()
            .iter()
            .map(|n| {
                book.grid(n, usize::MAX).map_err(|_| {
                    format!("计划表的工作表“{n}”已损坏，无法读取；请用 Excel 重新保存为 .xlsx")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // A bureau merges a unit's name down its rows of 目标, or a 类别
        // down its indicators. Reading a sheet's merges reads the sheet
        // again (a third of a large plan's time), so only where a table
        // has a blank in such a column.
        for grid in &mut grids {
            if blank_key_cells(grid) {
                let merges = book.merges(&grid.name);
                grid.set_merges(merges);
            }
        }
        Ok(grids)
    })
    .map_err(|_| fail("计划表已损坏，无法打开；请用 Excel 重新保存为 .xlsx".into()))?
    .map_err(fail)?;
    let mut problems = Problems { list: Vec::new() };
    let plan = build(&grids, &mut problems);
    match plan {
        Some(plan) if problems.list.is_empty() => Ok(plan),
        _ => Err(PlanError::Refused {
            file,
            problems: problems.list,
        }),
    }
}

fn build(grids: &[Grid], problems: &mut Problems) -> Option<Plan> {
    let units_g = find_sheet(grids, &["单位", "units"], problems);
    let inds_g = find_sheet(grids, &["指标", "indicators"], problems);
    let targets_g = find_sheet(grids, &["目标", "targets"], problems);
    let units = locate(units_g?, UNIT_COLS, problems).map(|t| read_units(&t, problems));
    let indicators =
        locate(inds_g?, INDICATOR_COLS, problems).map(|t| read_indicators(&t, problems));
    let (units, indicators) = (units?, indicators?);
    let plan = Plan::new(units, indicators, Vec::new());
    let targets =
        locate(targets_g?, TARGET_COLS, problems).map(|t| read_targets(&t, &plan, problems))?;
    // Key projects are optional: a county may track only indicators.
    let projects = match sheet_named(grids, &["项目", "projects", "重点项目"], problems) {
        Some(g) => locate(g, PROJECT_COLS, problems).map(|t| read_projects(&t, &plan, problems))?,
        None => IdVec::new(),
    };
    let plan = Plan::new(plan.units, plan.indicators, targets).with_projects(projects);
    // Rules are optional too, and read last: they name units and codes.
    let rules = match sheet_named(grids, &["规则", "rules", "校验规则"], problems) {
        Some(g) => locate(g, RULE_COLS, problems).map(|t| read_rules(&t, &plan, problems))?,
        None => Vec::new(),
    };
    Some(plan.with_rules(rules))
}

/// The `规则` sheet (CONTRACT.md section 12).
fn read_rules(t: &Table<'_>, plan: &Plan, problems: &mut Problems) -> Vec<Rule> {
    let sheet = &t.grid.name;
    let mut rules = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::default();
    for r in t.rows() {
        let id = t.text(r, "id");
        let id_cell = t.at(r, "id");
        if id.is_empty() {
            problems.at(sheet, id_cell, "规则编号为空；请给每条规则一个编号".into());
            continue;
        }
        if let Some(first) = seen.insert(id.to_lowercase(), id_cell.clone().unwrap_or_default()) {
            problems.at(
                sheet,
                id_cell,
                format!("规则编号“{id}”与 {first} 重复；每条规则的编号须唯一"),
            );
            continue;
        }
        if let Some(rule) = read_rule(t, r, id, plan, problems) {
            rules.push(rule);
        }
    }
    rules
}

/// What to say of a cell whose formula gives no value: one never
/// calculated and saved (a plan written by a program) is mended by saving
/// it in Excel or WPS; an error value by mending the formula.
fn formula_problem(label: &str, v: &CellValue, error: &str) -> String {
    match v {
        CellValue::UncachedFormula(_) => format!(
            "{label}是公式“{error}”，但没有保存计算结果；请在 Excel 或 WPS 中打开计划表并保存后再用"
        ),
        _ => format!("{label}是错误值“{error}”；请改正公式或填写数字"),
    }
}

/// A rule that mixes percentages with other numbers: the column to blame
/// and what to say.
fn percent_slip(
    plan: &Plan,
    left: &Side,
    right: &Side,
    percent_tolerance: bool,
) -> Option<(&'static str, String)> {
    if let Some(problem) = whole_against_percent(plan, left, right) {
        return Some(("right", format!("：{problem}")));
    }
    // `2%` is two percentage points of a % indicator; of 万元 it would
    // silently be 0.02 万元.
    let compares_percent = [left, right].iter().any(|s| {
        s.expr
            .needs()
            .iter()
            .any(|n| plan.indicators[n.indicator].is_percent())
    });
    (percent_tolerance && !compares_percent).then(|| {
        (
            "tolerance",
            " 的容差写成了百分数，但规则比较的不是百分数指标；请填写计量单位下的数".to_string(),
        )
    })
}

/// `WS01 >= 80`: a % indicator's values are fractions (0.8), so the rule
/// would ask for 8000% and fail every unit. Said when a % indicator alone
/// is compared with a number over 1 written without `%` (`150%` is fine).
fn whole_against_percent(plan: &Plan, left: &Side, right: &Side) -> Option<String> {
    let bare = |s: &Side| match s.expr {
        rules::Expr::Value(i) | rules::Expr::Prev(i) => Some(i),
        _ => None,
    };
    let number = |s: &Side| match s.expr {
        rules::Expr::Number(n) if n.abs() > 1.0 && !s.text.contains('%') => Some(n),
        _ => None,
    };
    let (i, n) = bare(left)
        .zip(number(right))
        .or_else(|| bare(right).zip(number(left)))?;
    let ind = &plan.indicators[i];
    ind.is_percent().then(|| {
        let (as_is, times) = (format_plain(n), format_plain(n * 100.0));
        // 1.2 may well mean 120%: both readings are offered.
        let or_else = if n.abs() < 2.0 {
            format!("，指 {times}% 请写作 {times}%")
        } else {
            String::new()
        };
        format!(
            "“{}”是百分数指标，按小数比较（80% 即 0.8），{as_is} 即 {times}%；指 {as_is}% 请写作 {as_is}%{or_else}",
            ind.name
        )
    })
}

/// A rule row's 级别 (error or warning, not info) and 容差 (not negative).
fn severity_and_tolerance(
    t: &Table<'_>,
    r: u32,
    id: &str,
    problems: &mut Problems,
) -> (Severity, f64, bool) {
    let sheet = &t.grid.name;
    let severity = choose(t, r, problems, "severity", "级别", Severity::Warning);
    if severity == Severity::Info {
        problems.at(
            sheet,
            t.at(r, "severity"),
            format!("规则 {id} 的级别只能是“错误”或“警告”"),
        );
    }
    let (tolerance, percent) = optional_number(t, r, problems, "tolerance", "容差")
        .map_or((0.0, false), |(v, percent)| {
            (if percent { v / 100.0 } else { v }, percent)
        });
    if tolerance < 0.0 {
        problems.at(
            sheet,
            t.at(r, "tolerance"),
            format!("规则 {id} 的容差不能为负数"),
        );
    }
    (severity, tolerance, percent)
}

/// One row of the `规则` sheet past its id; `None` when a problem was
/// reported.
fn read_rule(
    t: &Table<'_>,
    r: u32,
    id: String,
    plan: &Plan,
    problems: &mut Problems,
) -> Option<Rule> {
    let sheet = &t.grid.name;
    let mut side = |key: &str, label: &str| -> Option<Side> {
        let text = t.text(r, key);
        match rules::parse_expr(&text, plan) {
            Ok(expr) => Some(Side { text, expr }),
            Err(e) => {
                // The cell is named: a long one is not repeated whole.
                let shown = match text.char_indices().nth(60) {
                    _ if text.is_empty() => String::new(),
                    Some((cut, _)) => format!("“{}…”", &text[..cut]),
                    None => format!("“{text}”"),
                };
                problems.at(
                    sheet,
                    t.at(r, key),
                    format!("规则 {id} 的{label}{shown}：{e}"),
                );
                None
            }
        }
    };
    let (left, right) = (side("left", "左边"), side("right", "右边"));
    let operator_text = t.text(r, "operator");
    let operator = Operator::parse(&operator_text);
    if operator.is_none() {
        problems.at(
            sheet,
            t.at(r, "operator"),
            format!("规则 {id} 的运算符“{operator_text}”无法识别；可填写 <= < >= > == != ≤ ≥ ≠ ="),
        );
    }
    let scope_text = t.text(r, "scope");
    let scope = match rules::parse_scope(&scope_text, plan) {
        Ok(s) => Some(s),
        Err(unknown) => {
            let what = if unknown.is_empty() {
                format!("“{scope_text}”")
            } else {
                format!("中的单位“{}”不在“单位”表中", unknown.join("”“"))
            };
            problems.at(
                sheet,
                t.at(r, "scope"),
                format!(
                    "规则 {id} 的范围{what}；可填写 全部、乡镇、部门、全县，或用“、”分隔的单位名称"
                ),
            );
            None
        }
    };
    let (severity, tolerance, percent_tolerance) = severity_and_tolerance(t, r, &id, problems);
    let (Some(left), Some(operator), Some(right), Some(scope)) = (left, operator, right, scope)
    else {
        return None;
    };
    if let Some((key, problem)) = percent_slip(plan, &left, &right, percent_tolerance) {
        problems.at(sheet, t.at(r, key), format!("规则 {id}{problem}"));
        return None;
    }
    let mut rule = Rule {
        id,
        description: t.written(r, "description"),
        left,
        operator,
        right,
        severity,
        scope,
        tolerance: tolerance.max(0.0),
    };
    if rule.needs().is_empty() {
        problems.at(
            sheet,
            t.at(r, "left"),
            format!(
                "规则 {} 的两边都没有指标代码，对任何单位都一样；请至少写一个指标代码",
                rule.id
            ),
        );
        return None;
    }
    if rule.description.is_empty() {
        rule.description = format!("应满足 {}", rule.formula(plan));
    }
    Some(rule)
}

fn read_projects(t: &Table<'_>, plan: &Plan, problems: &mut Problems) -> IdVec<ProjectId, Project> {
    let sheet = &t.grid.name;
    let mut projects: IdVec<ProjectId, Project> = IdVec::new();
    let mut seen: HashMap<String, String> = HashMap::default();
    for r in t.rows() {
        let name = t.text(r, "name");
        let cell = t.at(r, "name");
        if name.is_empty() {
            problems.at(
                sheet,
                cell,
                "项目名称为空；请填写项目名称或删除这一行".into(),
            );
            continue;
        }
        let key = super::project_key(&name);
        if let Some(prev) = seen.insert(key, cell.clone().unwrap_or_default()) {
            problems.at(
                sheet,
                cell,
                format!("项目名称“{name}”与 {prev} 重复；每个项目只能有一行，名称须唯一"),
            );
            continue;
        }
        let unit_text = t.text(r, "unit");
        let Some(unit) = plan.unit_named(&unit_text) else {
            problems.at(
                sheet,
                t.at(r, "unit"),
                format!(
                    "项目“{name}”的责任单位“{unit_text}”不在“单位”表中；请填写“单位”表中的单位名称"
                ),
            );
            continue;
        };
        let kind_text = t.text(r, "kind");
        let kind = match ProjectKind::from_word(&kind_text) {
            Some(k) => k,
            None => {
                problems.at(
                    sheet,
                    t.at(r, "kind"),
                    format!("项目类型“{kind_text}”无法识别；请填写“新建”“续建”或“前期”"),
                );
                continue;
            }
        };
        let mut money = |key: &str, label: &str| -> Option<f64> {
            let (v, cell) = t.cell(r, key)?;
            match read_number(v) {
                Reading::Missing => None,
                Reading::Number { value, .. } if value >= 0.0 => Some(value),
                _ => {
                    problems.at(
                        sheet,
                        Some(cell.a1()),
                        format!(
                            "{label}“{}”不是有效金额；请填写不小于 0 的数字（万元）或留空",
                            v.display()
                        ),
                    );
                    None
                }
            }
        };
        let total_investment = money("total", "总投资");
        let planned_investment = money("planned", "年度计划投资");
        let start_by = t.cell(r, "start_by").and_then(|(v, cell)| {
            let d = read_date(v);
            if d.is_none() && !v.is_blank() {
                problems.at(
                    sheet,
                    Some(cell.a1()),
                    format!("计划开工日期“{}”无法识别；请写成 2022-03-31", v.display()),
                );
            }
            d
        });
        projects.push(Project {
            name,
            unit,
            kind,
            total_investment,
            planned_investment,
            start_by,
        });
    }
    projects
}

fn read_units(t: &Table<'_>, problems: &mut Problems) -> IdVec<UnitId, Unit> {
    let sheet = &t.grid.name;
    let mut units: IdVec<UnitId, Unit> = IdVec::new();
    let mut seen: HashMap<String, (String, String)> = HashMap::default();
    for r in t.rows() {
        let name = t.text(r, "name");
        let cell = t.at(r, "name");
        if name.is_empty() {
            problems.at(
                sheet,
                cell,
                "单位名称为空；请填写单位名称或删除这一行".into(),
            );
            continue;
        }
        if name == COUNTY {
            problems.at(sheet, cell, "“全县”是保留名称，不能作为填报单位".into());
            continue;
        }
        let aliases: Vec<String> = t
            .text(r, "aliases")
            .split(['、', ',', ';', '，', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        // Names are matched as people type them (full-width folded, spaces
        // dropped): two that match alike would send one unit's figures to
        // the other, so they must differ after that too.
        for n in std::iter::once(&name).chain(&aliases) {
            let here = cell.clone().unwrap_or_default();
            if let Some((prev_name, prev)) =
                seen.insert(super::unit_key(n), (n.clone(), here.clone()))
            {
                problems.at(
                    sheet,
                    cell.clone(),
                    format!(
                        "名称或别名“{n}”（{here}）与“{prev_name}”（{prev}）相同或只差空格、全角半角；每个单位名称和别名必须能区分开"
                    ),
                );
            }
        }
        let kind = match t.text(r, "kind").as_str() {
            "乡镇" | "乡" | "镇" | "township" => UnitKind::Township,
            "部门" | "department" => UnitKind::Department,
            other => {
                problems.at(
                    sheet,
                    t.at(r, "kind"),
                    format!("类型“{other}”无法识别；请填写“乡镇”或“部门”"),
                );
                UnitKind::Township
            }
        };
        let email = Some(t.text(r, "email")).filter(|e| !e.is_empty());
        // Checked as the mail is sent, so that a bad address is fixed in
        // the plan rather than found when nothing can be mailed.
        if let Some(e) = &email
            && e.parse::<lettre::Address>().is_err()
        {
            problems.at(
                sheet,
                t.at(r, "email"),
                format!("邮箱“{e}”不是有效的邮件地址；请只填写一个地址，如 name@example.org"),
            );
        }
        units.push(Unit {
            name,
            aliases,
            kind,
            email,
        });
    }
    units
}

/// The value of a choice column (a label or code of `T`), reporting an
/// unknown one; `default` when empty.
fn choose<T: Coded>(
    t: &Table<'_>,
    r: u32,
    problems: &mut Problems,
    key: &str,
    label: &str,
    default: T,
) -> T {
    let text = t.text(r, key);
    if text.is_empty() {
        return default;
    }
    T::from_word(&text).unwrap_or_else(|| {
        let allowed: Vec<String> = T::all()
            .iter()
            .map(|v| format!("{}/{}", v.label(), v.code()))
            .collect();
        problems.at(
            &t.grid.name,
            t.at(r, key),
            format!("{label}“{text}”无法识别；可填写 {}", allowed.join("、")),
        );
        default
    })
}

/// A number column of row `r`: `None` when empty, reported when no number.
/// A number that may be left empty, and whether it was written with `%`
/// (a 容差 of `2%` is 0.02, not 2).
fn optional_number(
    t: &Table<'_>,
    r: u32,
    problems: &mut Problems,
    key: &str,
    label: &str,
) -> Option<(f64, bool)> {
    let (v, cell) = t.cell(r, key)?;
    match read_number(v) {
        Reading::Missing => None,
        Reading::Number { value, percent, .. } => Some((value, percent)),
        _ => {
            problems.at(
                &t.grid.name,
                Some(cell.a1()),
                format!("{label}“{}”不是数字；请填写数字或留空", v.display()),
            );
            None
        }
    }
}

/// The codes a ratio row names as its numerator and denominator, resolved
/// once every indicator is known.
struct RatioParts {
    indicator: IndicatorId,
    row: u32,
    numerator: String,
    denominator: String,
}

fn read_indicators(t: &Table<'_>, problems: &mut Problems) -> IdVec<IndicatorId, Indicator> {
    let sheet = &t.grid.name;
    let mut indicators: IdVec<IndicatorId, Indicator> = IdVec::new();
    let mut ratio_parts: Vec<RatioParts> = Vec::new();
    let mut names: HashMap<String, (String, String)> = HashMap::default();
    for r in t.rows() {
        let code = t.text(r, "code");
        let code_cell = t.at(r, "code");
        if code.is_empty() {
            problems.at(
                sheet,
                code_cell,
                "指标代码为空；请填写唯一的指标代码".into(),
            );
            continue;
        }
        // `="PJ"&"01"` never calculated would be the code itself.
        if let Some((v @ CellValue::UncachedFormula(f), _)) = t.cell(r, "code") {
            problems.at(
                sheet,
                code_cell,
                formula_problem("指标代码", v, &format!("={f}")),
            );
            continue;
        }
        // Codes are matched case-insensitively, full-width folded: two
        // that match alike are one code.
        if let Some(first) = indicators
            .iter()
            .find(|i| code_key(&i.code) == code_key(&code))
        {
            problems.at(
                sheet,
                code_cell,
                format!(
                    "指标代码“{code}”与已有的“{}”重复（大小写、全角半角不作区分）；每个代码只能出现一次",
                    first.code
                ),
            );
            continue;
        }
        let indicator = read_indicator(t, r, code, problems);
        // Rows without a code are found by name: names must differ too.
        let name_cell = t.at(r, "name").unwrap_or_default();
        let key = normalize_label(&indicator.name);
        if !key.is_empty()
            && let Some((first, at)) =
                names.insert(key, (indicator.name.clone(), name_cell.clone()))
        {
            problems.at(
                sheet,
                Some(name_cell),
                format!(
                    "指标名称“{}”与 {at} 的“{first}”相同（空格、全角半角、括号中的单位不作区分）；每个指标名称必须能区分开",
                    indicator.name
                ),
            );
        }
        let is_ratio = indicator.aggregation == Aggregation::Ratio;
        let id = indicators.push(indicator);
        if is_ratio {
            ratio_parts.push(RatioParts {
                indicator: id,
                row: r,
                numerator: t.text(r, "numerator"),
                denominator: t.text(r, "denominator"),
            });
        }
    }
    for parts in ratio_parts {
        resolve_ratio(t, &mut indicators, parts, problems);
    }
    // Scores divide by the weights (CONTRACT.md section 3).
    if !indicators.is_empty() && indicators.iter().all(|i| i.weight <= 0.0) {
        problems.at(
            sheet,
            t.cols.get("weight").map(|&c| a1(t.header_row, c)),
            "所有指标的权重都是 0，综合得分无法计算；请至少给一个指标大于 0 的权重".into(),
        );
    }
    indicators
}

/// One row of the `指标` sheet, its ratio parts not yet resolved.
fn read_indicator(t: &Table<'_>, r: u32, code: String, problems: &mut Problems) -> Indicator {
    let aggregation = choose(t, r, problems, "aggregation", "汇总方式", Aggregation::Sum);
    let direction = choose(t, r, problems, "direction", "方向", Direction::Higher);
    let written = choose(t, r, problems, "profile", "进度", Profile::Linear);
    // A ratio, mean, max or min is a level, not an amount that builds up
    // over the year: its expected value is the target itself whatever the
    // 进度 column says (CONTRACT.md 3). A 70% ratio is not 17.5% due in
    // March.
    let profile = match aggregation {
        Aggregation::Sum => written,
        _ => Profile::Level,
    };
    let percent_uom = is_percent_unit(&t.text(r, "uom"));
    // A % indicator's bounds are fractions (`95%`, `95`, `0.95`); another's
    // `%` would silently be a bound of 95 万元.
    let mut bound = |key: &str, label: &str| {
        let (v, percent) = optional_number(t, r, problems, key, label)?;
        if percent_uom {
            return Some(as_fraction(v, percent));
        }
        if percent {
            problems.at(
                &t.grid.name,
                t.at(r, key),
                format!("{label}写成了百分数，但该指标的计量单位不是 %；请填写计量单位下的数"),
            );
        }
        Some(v)
    };
    let min = bound("min", "最小值");
    let max = bound("max", "最大值");
    let weight = optional_number(t, r, problems, "weight", "权重")
        .map(|(v, percent)| if percent { v / 100.0 } else { v });
    let cell_of = |key: &str| t.at(r, key);
    if weight.is_some_and(|w| w < 0.0) {
        problems.at(
            &t.grid.name,
            cell_of("weight"),
            "权重不能是负数；请填写不小于 0 的数字（不计入综合得分的指标填 0）".into(),
        );
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        problems.at(
            &t.grid.name,
            cell_of("min"),
            format!(
                "最小值 {} 大于最大值 {}（{}）；请改正，使最小值不大于最大值",
                format_plain(lo),
                format_plain(hi),
                cell_of("max").unwrap_or_default()
            ),
        );
    }
    let indicator = Indicator {
        code,
        name: t.written(r, "name"),
        uom: t.text(r, "uom"),
        category: Some(t.text(r, "category")).filter(|c| !c.is_empty()),
        aggregation,
        ratio_of: None,
        direction,
        profile,
        min,
        max,
        weight: weight.unwrap_or(1.0),
    };
    if indicator.name.is_empty() {
        problems.at(
            &t.grid.name,
            t.at(r, "name"),
            "指标名称为空；请填写指标名称".into(),
        );
    }
    indicator
}

/// Links a ratio to its numerator and denominator, which must be defined
/// indicators that are no ratios themselves.
fn resolve_ratio(
    t: &Table<'_>,
    indicators: &mut IdVec<IndicatorId, Indicator>,
    parts: RatioParts,
    problems: &mut Problems,
) {
    let find = |code: &str| {
        indicators
            .iter_enumerated()
            .find(|(_, x)| x.code.eq_ignore_ascii_case(code) && x.aggregation != Aggregation::Ratio)
            .map(|(id, _)| id)
    };
    let RatioParts {
        indicator,
        row,
        numerator,
        denominator,
    } = parts;
    match (find(&numerator), find(&denominator)) {
        (Some(n), Some(d)) => {
            indicators[indicator].ratio_of = Some(Ratio {
                numerator: n,
                denominator: d,
            })
        }
        _ => problems.at(
            &t.grid.name,
            Some(a1(
                row,
                *t.cols
                    .get("numerator")
                    .or(t.cols.get("aggregation"))
                    .unwrap_or(&0),
            )),
            format!(
                "比率指标“{}”需要分子和分母：请在“分子”“分母”列填写两个已定义的非比率指标代码（现为“{numerator}”“{denominator}”）",
                indicators[indicator].code
            ),
        ),
    }
}

/// The annual target and the quarterly milestones of a 目标 row, in the
/// indicator's terms (a percentage as a fraction); each must be a number
/// not below 0, the target present.
fn target_values(
    t: &Table<'_>,
    r: u32,
    indicator: &Indicator,
    problems: &mut Problems,
) -> (Option<f64>, [Option<f64>; 3]) {
    let sheet = &t.grid.name;
    let mut number = |key: &str, label: &str, required: bool| -> Option<f64> {
        let (v, cell) = t.cell(r, key)?;
        let value = match read_number(v) {
            Reading::Number { value, percent, .. } if indicator.is_percent() => {
                as_fraction(value, percent)
            }
            // `20%` of a quantity, or `6亿元` for 万元: read as 20 or 6, a
            // target that silently was another (a clerk's value says so
            // with a warning; a plan is the bureau's own and is refused).
            Reading::Number { percent: true, .. } => {
                problems.at(
                    sheet,
                    Some(cell.a1()),
                    format!(
                        "{label}“{}”是百分数，但“{}”以“{}”计；请填写{}数（不带 %）",
                        v.display(),
                        indicator.name,
                        indicator.uom,
                        indicator.uom
                    ),
                );
                return None;
            }
            Reading::Number {
                trailing_unit: Some(u),
                ..
            } if normalize_label(&u) != normalize_label(&indicator.uom) => {
                problems.at(
                    sheet,
                    Some(cell.a1()),
                    format!(
                        "{label}“{}”写的单位“{u}”与“{}”的计量单位“{}”不一致；请换算为{}后只填数字",
                        v.display(),
                        indicator.name,
                        indicator.uom,
                        indicator.uom
                    ),
                );
                return None;
            }
            Reading::Number { value, .. } => value,
            Reading::Missing if !required => return None,
            Reading::Missing => {
                problems.at(sheet, Some(cell.a1()), format!("{label}为空；请填写数字"));
                return None;
            }
            Reading::FormulaError(e) => {
                problems.at(sheet, Some(cell.a1()), formula_problem(label, v, &e));
                return None;
            }
            Reading::NotANumber(_) => {
                problems.at(
                    sheet,
                    Some(cell.a1()),
                    format!("{label}“{}”不是数字；请填写数字", v.display()),
                );
                return None;
            }
        };
        // A negative target gives a negative completion that reads as done.
        if value < 0.0 {
            problems.at(
                sheet,
                Some(cell.a1()),
                format!("{label}不能是负数；请填写不小于 0 的数字"),
            );
        }
        // 5e-324 makes every completion infinite.
        if value > 0.0 && value < 1e-9 {
            problems.at(
                sheet,
                Some(cell.a1()),
                format!(
                    "{label}“{}”过小；请填写计量单位下的数（如 0.5 万亩），没有目标请留空",
                    v.display()
                ),
            );
        }
        // Kept to 15 significant digits: a target a formula left at
        // 0.8500000000000001 is 85%, and a unit reporting exactly 85% has
        // met it (every figure below 10¹⁵ keeps all its digits).
        Some(significant(value, 15))
    };
    let target = number("target", "年度目标", true);
    let milestones = [
        number("q1", "一季度目标", false),
        number("q2", "二季度目标", false),
        number("q3", "三季度目标", false),
    ];
    (target, milestones)
}

fn read_targets(t: &Table<'_>, plan: &Plan, problems: &mut Problems) -> Vec<Target> {
    let sheet = &t.grid.name;
    let mut targets: Vec<Target> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for r in t.rows() {
        let unit_text = t.text(r, "unit");
        let unit_cell = || t.at(r, "unit");
        let unit = if unit_text == super::COUNTY {
            None
        } else if let Some(u) = plan.unit_named(&unit_text) {
            Some(u)
        } else {
            let message = if unit_text.is_empty() {
                "单位名称为空；请填写单位名称或“全县”".to_string()
            } else {
                format!(
                    "单位“{unit_text}”不在“单位”表中；请先在“单位”表中添加它，或改为已有的单位名称或“全县”"
                )
            };
            problems.at(sheet, unit_cell(), message);
            continue;
        };
        let code = t.text(r, "code");
        let Some(ind) = plan.indicator_by_code(&code) else {
            let message = if code.is_empty() {
                "指标代码为空；请填写“指标”表中的指标代码".to_string()
            } else {
                format!("指标代码“{code}”不在“指标”表中；请改为已定义的指标代码")
            };
            problems.at(sheet, t.at(r, "code"), message);
            continue;
        };
        let indicator = &plan.indicators[ind];
        let (target, milestones) = target_values(t, r, indicator, problems);
        let deadline: Option<NaiveDate> = t.cell(r, "deadline").and_then(|(v, cell)| {
            let d = read_date(v);
            if d.is_none() && !v.is_blank() {
                problems.at(
                    sheet,
                    Some(cell.a1()),
                    format!("截止日期“{}”无法识别；请写成 2022-03-31", v.display()),
                );
            }
            d
        });
        if indicator.profile == Profile::Deadline && deadline.is_none() {
            problems.at(
                sheet,
                unit_cell(),
                format!("指标“{code}”按截止日期考核，但这一行没有截止日期；请填写“截止日期”"),
            );
        }
        if !seen.insert((unit, ind)) {
            problems.at(
                sheet,
                unit_cell(),
                format!("“{unit_text}”的“{code}”目标重复；每个单位每个指标只能有一行"),
            );
            continue;
        }
        let Some(target) = target else { continue };
        targets.push(Target {
            unit,
            indicator: ind,
            goal: Goal {
                target,
                profile: indicator.profile,
                direction: indicator.direction,
                milestones,
                deadline,
            },
        });
    }
    targets
}
