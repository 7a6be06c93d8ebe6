//! The machine-readable outputs (CONTRACT.md section 9): `data/*.csv`, and
//! the same tables as Parquet for BI tools.
//!
//! Each table is built once as a [`DataTable`] and written both ways, so the
//! two can never disagree.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::aggregate::Consolidation;
use crate::files::{OutputError, write_atomic};
use crate::model::UnitRef;
use crate::model::value::format_plain;
use crate::plan::Plan;
use crate::validate::Checked;

/// A cell of a data table.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Integer(i64),
    Bool(bool),
    Empty,
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Value {
        v.map_or(Value::Empty, Value::Number)
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::Empty, Value::Text)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<Option<&UnitRef>> for Value {
    fn from(v: Option<&UnitRef>) -> Value {
        v.map_or(Value::Empty, |u| Value::Text(u.name.clone()))
    }
}

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Integer,
    /// Written `true` / `false` in CSV.
    Bool,
}

/// A named table with typed columns.
#[derive(Debug, Clone)]
pub struct DataTable {
    pub name: &'static str,
    pub columns: Vec<(&'static str, Kind)>,
    pub rows: Vec<Vec<Value>>,
}

impl DataTable {
    /// The table as CSV: UTF-8, a header row, numbers written plainly,
    /// empty for no value.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let record_err = "writing CSV to memory cannot fail";
        w.write_record(self.columns.iter().map(|(n, _)| *n))
            .expect(record_err);
        for row in &self.rows {
            w.write_record(row.iter().map(|v| match v {
                Value::Text(s) => defused(s),
                Value::Number(n) => format_plain(*n),
                Value::Integer(i) => i.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Empty => String::new(),
            }))
            .expect(record_err);
        }
        w.into_inner().expect(record_err)
    }

    /// The table as a polars DataFrame, column types kept.
    ///
    /// # Errors
    ///
    /// A polars error, which well-formed tables never cause.
    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        let columns = self
            .columns
            .iter()
            .enumerate()
            .map(|(k, (name, kind))| {
                let cells = self.rows.iter().map(|r| &r[k]);
                match kind {
                    Kind::Text => column(name, cells, |v| match v {
                        Value::Text(s) => Some(s.clone()),
                        _ => None,
                    }),
                    Kind::Number => column(name, cells, |v| match v {
                        Value::Number(n) => Some(*n),
                        _ => None,
                    }),
                    Kind::Integer => column(name, cells, |v| match v {
                        Value::Integer(i) => Some(*i),
                        _ => None,
                    }),
                    Kind::Bool => column(name, cells, |v| match v {
                        Value::Bool(b) => Some(*b),
                        _ => None,
                    }),
                }
            })
            .collect();
        DataFrame::new(self.rows.len(), columns)
    }

    /// The table as Parquet bytes.
    ///
    /// # Errors
    ///
    /// A polars error, which well-formed tables never cause.
    pub fn to_parquet(&self) -> PolarsResult<Vec<u8>> {
        let mut df = self.to_frame()?;
        let mut buf = Cursor::new(Vec::new());
        ParquetWriter::new(&mut buf).finish(&mut df)?;
        Ok(buf.into_inner())
    }
}

/// A text as a spreadsheet opening the CSV must show it: one that begins
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
/// so that it is read as text and never run as a formula (CONTRACT.md
/// section 9). Numbers are never text here, so they are never changed.
pub fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A polars column of the cells `pick` takes (others are null).
fn column<'a, T>(
    name: &str,
    cells: impl Iterator<Item = &'a Value>,
    pick: impl Fn(&Value) -> Option<T>,
) -> Column
where
    Series: NamedFrom<Vec<Option<T>>, [Option<T>]>,
{
    Column::new(name.into(), cells.map(pick).collect::<Vec<_>>())
}

fn int(v: impl TryInto<i64>) -> Value {
    v.try_into().map_or(Value::Empty, Value::Integer)
}

/// `summary.csv`: one row per indicator for the county.
pub fn summary(plan: &Plan, c: &Consolidation) -> DataTable {
    use Kind::*;
    DataTable {
        name: "summary",
        columns: vec![
            ("indicator_code", Text),
            ("indicator_name", Text),
            ("unit_of_measure", Text),
            ("target", Number),
            ("actual", Number),
            ("completion", Number),
            ("expected", Number),
            ("variance", Number),
            ("status", Text),
            ("units_reporting", Integer),
        ],
        rows: c
            .county
            .iter()
            .map(|r| {
                let i = &plan.indicators[r.indicator];
                vec![
                    i.code.as_str().into(),
                    i.name.as_str().into(),
                    i.uom.as_str().into(),
                    r.target.into(),
                    r.actual.into(),
                    r.completion.into(),
                    r.expected.into(),
                    r.variance.into(),
                    r.status.map(|s| s.code().to_string()).into(),
                    int(r.units_reporting),
                ]
            })
            .collect(),
    }
}

/// `by_unit.csv`: one row per (unit, indicator) of the plan.
pub fn by_unit(plan: &Plan, c: &Consolidation) -> DataTable {
    use Kind::*;
    DataTable {
        name: "by_unit",
        columns: vec![
            ("unit", Text),
            ("indicator_code", Text),
            ("target", Number),
            ("actual", Number),
            ("completion", Number),
            ("expected", Number),
            ("variance", Number),
            ("status", Text),
            ("warning", Text),
            ("rank", Integer),
        ],
        rows: c
            .by_unit
            .iter()
            .map(|r| {
                vec![
                    plan.units[r.unit].name.as_str().into(),
                    plan.indicators[r.indicator].code.as_str().into(),
                    Value::Number(r.target),
                    r.actual.into(),
                    r.completion.into(),
                    Value::Number(r.expected),
                    r.variance.into(),
                    r.status.code().into(),
                    r.warning.map(|w| w.code().to_string()).into(),
                    r.rank.map_or(Value::Empty, int),
                ]
            })
            .collect(),
    }
}

/// `issues.csv`: every issue.
pub fn issues(checked: &Checked) -> DataTable {
    use Kind::*;
    DataTable {
        name: "issues",
        columns: vec![
            ("file", Text),
            ("unit", Text),
            ("sheet", Text),
            ("cell", Text),
            ("indicator_code", Text),
            ("severity", Text),
            ("code", Text),
            ("message", Text),
        ],
        rows: checked
            .issues
            .iter()
            .map(|i| {
                vec![
                    i.file.clone().into(),
                    i.unit.as_ref().into(),
                    i.sheet.clone().into(),
                    i.cell.clone().into(),
                    i.indicator_code.clone().into(),
                    i.severity.code().into(),
                    i.code.code().into(),
                    i.message.as_str().into(),
                ]
            })
            .collect(),
    }
}

/// `submissions.csv`: every inbox file and every missing unit.
pub fn submissions(checked: &Checked) -> DataTable {
    use Kind::*;
    DataTable {
        name: "submissions",
        columns: vec![
            ("file", Text),
            ("unit", Text),
            ("status", Text),
            ("sha256", Text),
            ("reported_at", Text),
            ("errors", Integer),
            ("warnings", Integer),
        ],
        rows: checked
            .submissions
            .iter()
            .map(|s| {
                vec![
                    s.file.clone().into(),
                    s.unit.as_ref().into(),
                    s.status.code().into(),
                    s.sha256.clone().into(),
                    s.reported_at.map(|d| d.to_string()).into(),
                    int(s.errors),
                    int(s.warnings),
                ]
            })
            .collect(),
    }
}

/// `projects.csv`: one row per key project of the plan (CONTRACT.md
/// section 11); `started` is empty for a project not reported.
pub fn projects(plan: &Plan, c: &Consolidation) -> DataTable {
    use Kind::*;
    DataTable {
        name: "projects",
        columns: vec![
            ("project", Text),
            ("unit", Text),
            ("kind", Text),
            ("planned_investment", Number),
            ("investment", Number),
            ("completion", Number),
            ("started", Bool),
            ("started_on", Text),
            ("start_by", Text),
            ("overdue", Bool),
            ("blocker", Text),
        ],
        rows: c
            .projects
            .rows
            .iter()
            .map(|r| {
                let p = &plan.projects[r.project];
                vec![
                    p.name.as_str().into(),
                    plan.units[p.unit].name.as_str().into(),
                    p.kind.label().into(),
                    p.planned_investment.into(),
                    r.investment.into(),
                    r.completion.into(),
                    r.started.map_or(Value::Empty, Value::Bool),
                    r.started_on.map(|d| d.to_string()).into(),
                    p.start_by.map(|d| d.to_string()).into(),
                    Value::Bool(r.overdue),
                    r.blocker.clone().into(),
                ]
            })
            .collect(),
    }
}

/// `scores.csv`: one row per unit of the plan, its composite score and
/// rank within its kind (CONTRACT.md sections 3 and 9).
pub fn scores(plan: &Plan, c: &Consolidation) -> DataTable {
    use Kind::*;
    DataTable {
        name: "scores",
        columns: vec![
            ("unit", Text),
            ("kind", Text),
            ("score", Number),
            ("rank", Integer),
            ("ranked", Integer),
            ("tasks", Integer),
            ("tasks_with_data", Integer),
        ],
        rows: c
            .scores
            .iter()
            .map(|r| {
                vec![
                    plan.units[r.unit].name.as_str().into(),
                    r.kind.label().into(),
                    r.score.into(),
                    r.rank.map_or(Value::Empty, int),
                    int(r.ranked),
                    int(r.tasks),
                    int(r.tasks_with_data),
                ]
            })
            .collect(),
    }
}

/// Writes one table as `DIR/data/NAME.csv` and `DIR/data/NAME.parquet`;
/// returns both paths.
///
/// # Errors
///
/// [`OutputError`] naming the file that could not be written.
pub fn write_table(dir: &Path, t: &DataTable) -> Result<[PathBuf; 2], OutputError> {
    let data = dir.join("data");
    let csv = data.join(format!("{}.csv", t.name));
    write_atomic(&csv, &t.to_csv())?;
    let parquet = data.join(format!("{}.parquet", t.name));
    let bytes = t
        .to_parquet()
        .map_err(|e| OutputError::other(&parquet, e))?;
    write_atomic(&parquet, &bytes)?;
    Ok([csv, parquet])
}

/// Builds and writes every table, one at a time so that only one is in
/// memory at once (a county of 10,000 units has 400,000 by_unit rows);
/// returns the paths written.
///
/// # Errors
///
/// [`OutputError`] naming the file that could not be written.
pub fn write_all(
    dir: &Path,
    plan: &Plan,
    c: &Consolidation,
    checked: &Checked,
) -> Result<Vec<PathBuf>, OutputError> {
    let tables: [&dyn Fn() -> DataTable; 6] = [
        &|| summary(plan, c),
        &|| by_unit(plan, c),
        &|| issues(checked),
        &|| submissions(checked),
        &|| scores(plan, c),
        &|| projects(plan, c),
    ];
    let mut written = Vec::new();
    for build in tables {
        written.extend(write_table(dir, &build())?);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_writes_plain_numbers_and_empty_cells() {
        let t = DataTable {
            name: "t",
            columns: vec![("a", Kind::Text), ("b", Kind::Number), ("c", Kind::Integer)],
            rows: vec![
                vec![
                    "清泉镇, 东".into(),
                    Value::Number(1234567.5),
                    Value::Integer(3),
                ],
                vec![Value::Empty, Value::Number(0.25), Value::Empty],
            ],
        };
        let csv = String::from_utf8(t.to_csv()).unwrap();
        assert_eq!(csv, "a,b,c\n\"清泉镇, 东\",1234567.5,3\n,0.25,\n");
        let hostile = DataTable {
            name: "t",
            columns: vec![("a", Kind::Text), ("b", Kind::Number)],
            rows: ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "a=b"]
                .into_iter()
                .map(|s| vec![s.into(), Value::Number(-3.0)])
                .collect(),
        };
        let csv = String::from_utf8(hostile.to_csv()).unwrap();
        let firsts: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(firsts[0], "'=HYPERLINK(1),-3");
        assert_eq!(firsts[1], "'+1,-3");
        assert_eq!(firsts[2], "'-2,-3");
        assert_eq!(firsts[3], "'@SUM(A1),-3");
        assert!(firsts[4].starts_with("'\tx"));
        assert_eq!(
            firsts.last(),
            Some(&"a=b,-3"),
            "numbers and inner = untouched"
        );
        let df = t.to_frame().unwrap();
        assert_eq!(df.shape(), (2, 3));
        assert_eq!(df.column("b").unwrap().f64().unwrap().get(1), Some(0.25));
        assert_eq!(df.column("c").unwrap().i64().unwrap().get(1), None);
        assert!(t.to_parquet().unwrap().starts_with(b"PAR1"));
    }
}
