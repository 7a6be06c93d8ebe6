//! The county plan (目标任务分解表): units, indicators and annual targets,
//! and the key projects (重点项目) each unit carries.
//!
//! [`read::read_plan`] turns the bureau's workbook into a [`Plan`] or refuses
//! it with every problem listed; the rest of tally only sees the built plan
//! and asks it questions (which unit is this name, what must this unit report).

pub mod read;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::progress::Goal;
use crate::sheet::normalize_label;
use crate::value::fold;

pub use read::{PlanError, PlanProblem, read_plan};

/// The name the county itself goes by in the plan.
pub const COUNTY: &str = "全县";

/// A township (乡镇) or a county department (部门).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnitKind {
    Township,
    Department,
}

/// A unit that reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub aliases: Vec<String>,
    pub kind: UnitKind,
    pub email: Option<String>,
}

/// How unit values add up to the county's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Ratio,
    Mean,
    Max,
    Min,
}

/// Whether more is better or the target is a ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Higher,
    Lower,
}

/// The shape of expected progress through the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Linear,
    Quarterly,
    Deadline,
    Level,
}

/// One measured quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    /// Unit of measure: 万元, 个, 万亩, % ...
    pub uom: String,
    pub category: Option<String>,
    pub aggregation: Aggregation,
    /// For `Ratio`: indexes of the numerator and denominator indicators.
    pub ratio_of: Option<(usize, usize)>,
    pub direction: Direction,
    pub profile: Profile,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub weight: f64,
}

impl Indicator {
    /// Whether values are percentages, held as fractions.
    pub fn is_percent(&self) -> bool {
        crate::value::is_percent_unit(&self.uom)
    }
}

/// An annual target of a unit (or of the county, `unit == None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub unit: Option<usize>,
    pub indicator: usize,
    pub goal: Goal,
}

/// What stage a key project is at (项目类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ProjectKind {
    /// 新建: to be started this year.
    New,
    /// 续建: under way, to resume (复工) this year.
    Continuing,
    /// 前期: in preparation (approvals, land), usually not started yet.
    Preparatory,
}

impl ProjectKind {
    pub const ALL: [ProjectKind; 3] = [
        ProjectKind::New,
        ProjectKind::Continuing,
        ProjectKind::Preparatory,
    ];

    /// The contract's word, used in the plan, the reports and `projects.csv`.
    pub fn label(self) -> &'static str {
        match self {
            ProjectKind::New => "新建",
            ProjectKind::Continuing => "续建",
            ProjectKind::Preparatory => "前期",
        }
    }
}

/// A key project (重点项目) of the plan's `项目` sheet (CONTRACT.md section 11).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub name: String,
    /// The unit that reports it.
    pub unit: usize,
    pub kind: ProjectKind,
    /// 总投资, 万元.
    pub total_investment: Option<f64>,
    /// 年度计划投资, 万元, this year.
    pub planned_investment: Option<f64>,
    /// 计划开工日期: the date it must have started by.
    pub start_by: Option<NaiveDate>,
}

/// The whole plan, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub units: Vec<Unit>,
    pub indicators: Vec<Indicator>,
    pub targets: Vec<Target>,
    /// Key projects, in plan order; empty when the plan has no `项目` sheet.
    pub projects: Vec<Project>,
    /// Normalized project name → project.
    project_names: HashMap<String, usize>,
    /// Per unit, its indexes into `projects`.
    projects_by_unit: Vec<Vec<usize>>,
    /// Normalized name or alias → unit index.
    names: HashMap<String, usize>,
    /// Normalized code → indicator, and normalized name → indicator.
    codes: HashMap<String, usize>,
    indicator_names: HashMap<String, usize>,
    /// (unit, indicator) → index into `targets`.
    target_index: HashMap<(Option<usize>, usize), usize>,
    /// Per unit, its indexes into `targets`.
    by_unit: Vec<Vec<usize>>,
}

/// Unit names compared as typed by people: full-width folded, spaces dropped.
fn unit_key(s: &str) -> String {
    fold(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Project names compared as typed: like unit names, and a trailing
/// "项目" left out ("东乐风电场项目" is "东乐风电场").
pub(crate) fn project_key(s: &str) -> String {
    let k = unit_key(s);
    match k.strip_suffix("项目") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => k,
    }
}

impl Plan {
    /// Builds a plan from checked parts.
    pub fn new(units: Vec<Unit>, indicators: Vec<Indicator>, targets: Vec<Target>) -> Plan {
        let mut names = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            for n in std::iter::once(&u.name).chain(&u.aliases) {
                names.entry(unit_key(n)).or_insert(i);
            }
        }
        let mut codes = HashMap::new();
        let mut indicator_names = HashMap::new();
        for (i, ind) in indicators.iter().enumerate() {
            codes.entry(normalize_label(&ind.code)).or_insert(i);
            indicator_names
                .entry(normalize_label(&ind.name))
                .or_insert(i);
        }
        let target_index = targets
            .iter()
            .enumerate()
            .map(|(k, t)| ((t.unit, t.indicator), k))
            .collect();
        let mut by_unit = vec![Vec::new(); units.len()];
        for (k, t) in targets.iter().enumerate() {
            if let Some(u) = t.unit.filter(|&u| u < units.len()) {
                by_unit[u].push(k);
            }
        }
        let projects_by_unit = vec![Vec::new(); units.len()];
        Plan {
            units,
            indicators,
            targets,
            projects: Vec::new(),
            project_names: HashMap::new(),
            projects_by_unit,
            names,
            codes,
            indicator_names,
            target_index,
            by_unit,
        }
    }

    /// The plan with its key projects (each project's unit an index into
    /// `units`).
    pub fn with_projects(mut self, projects: Vec<Project>) -> Plan {
        self.project_names.clear();
        self.projects_by_unit = vec![Vec::new(); self.units.len()];
        for (k, p) in projects.iter().enumerate() {
            self.project_names.entry(project_key(&p.name)).or_insert(k);
            if let Some(list) = self.projects_by_unit.get_mut(p.unit) {
                list.push(k);
            }
        }
        self.projects = projects;
        self
    }

    /// The project with this name (spaces, full-width forms and a trailing
    /// "项目" ignored).
    pub fn project_named(&self, name: &str) -> Option<usize> {
        self.project_names.get(&project_key(name)).copied()
    }

    /// The indexes of a unit's projects, in plan order.
    pub fn projects_of(&self, unit: usize) -> &[usize] {
        self.projects_by_unit.get(unit).map_or(&[], Vec::as_slice)
    }

    /// The unit with this exact name or alias.
    pub fn unit_named(&self, name: &str) -> Option<usize> {
        self.names.get(&unit_key(name)).copied()
    }

    /// The unit whose name or alias `text` contains; the longest match wins,
    /// so "清泉镇人民政府" is 清泉镇 even where "清泉" is another's alias.
    pub fn unit_in(&self, text: &str) -> Option<usize> {
        let text = unit_key(text);
        self.names
            .iter()
            .filter(|(k, _)| !k.is_empty() && text.contains(k.as_str()))
            .max_by_key(|(k, _)| (k.chars().count(), std::cmp::Reverse(k.as_str())))
            .map(|(_, &i)| i)
    }

    /// The indicator with this code (case-insensitive, full-width folded).
    pub fn indicator_by_code(&self, code: &str) -> Option<usize> {
        self.codes.get(&normalize_label(code)).copied()
    }

    /// The indicator with this name (spaces and bracketed units ignored).
    pub fn indicator_by_name(&self, name: &str) -> Option<usize> {
        let name = normalize_label(name);
        if name.is_empty() {
            return None;
        }
        self.indicator_names.get(&name).copied()
    }

    /// The target of a unit (`None`: the county) for an indicator.
    pub fn target(&self, unit: Option<usize>, indicator: usize) -> Option<&Target> {
        self.target_index
            .get(&(unit, indicator))
            .map(|&k| &self.targets[k])
    }

    /// The targets of one unit, in plan order.
    pub fn targets_of(&self, unit: usize) -> impl Iterator<Item = &Target> {
        self.by_unit
            .get(unit)
            .into_iter()
            .flatten()
            .map(|&k| &self.targets[k])
    }

    /// The indicators a unit must report, in plan order: every indicator it
    /// has a target for, a ratio replaced by its numerator and denominator.
    pub fn required(&self, unit: usize) -> Vec<usize> {
        let mut need = vec![false; self.indicators.len()];
        for t in self.targets_of(unit) {
            match self.indicators[t.indicator].ratio_of {
                Some((n, d)) => {
                    need[n] = true;
                    need[d] = true;
                }
                None => need[t.indicator] = true,
            }
        }
        (0..need.len()).filter(|&i| need[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Goal;

    fn unit(name: &str, aliases: &[&str]) -> Unit {
        Unit {
            name: name.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            kind: UnitKind::Township,
            email: None,
        }
    }

    fn indicator(code: &str, aggregation: Aggregation) -> Indicator {
        Indicator {
            code: code.into(),
            name: format!("{code}名称"),
            uom: "万元".into(),
            category: None,
            aggregation,
            ratio_of: None,
            direction: Direction::Higher,
            profile: Profile::Linear,
            min: None,
            max: None,
            weight: 1.0,
        }
    }

    fn goal() -> Goal {
        Goal {
            target: 1.0,
            profile: Profile::Linear,
            direction: Direction::Higher,
            milestones: [None; 3],
            deadline: None,
        }
    }

    #[test]
    fn units_by_name_alias_and_containment() {
        let plan = Plan::new(
            vec![unit("清泉镇", &["清泉"]), unit("大马营镇", &["大马营"])],
            vec![],
            vec![],
        );
        assert_eq!(plan.unit_named("清泉"), Some(0));
        assert_eq!(plan.unit_named(" 大马营镇 "), Some(1));
        assert_eq!(plan.unit_named("柳河乡"), None);
        assert_eq!(plan.unit_in("2022年3月清泉镇人民政府报表"), Some(0));
        assert_eq!(plan.unit_in("大马营镇-3月"), Some(1));
        assert_eq!(plan.unit_in("汇总表"), None);
    }

    #[test]
    fn a_ratio_is_reported_as_its_parts() {
        let mut ratio = indicator("R1", Aggregation::Ratio);
        ratio.ratio_of = Some((1, 2));
        let plan = Plan::new(
            vec![unit("清泉镇", &[])],
            vec![
                ratio,
                indicator("N1", Aggregation::Sum),
                indicator("D1", Aggregation::Sum),
                indicator("X1", Aggregation::Sum),
            ],
            vec![
                Target {
                    unit: Some(0),
                    indicator: 0,
                    goal: goal(),
                },
                Target {
                    unit: Some(0),
                    indicator: 3,
                    goal: goal(),
                },
            ],
        );
        assert_eq!(plan.required(0), vec![1, 2, 3]);
        assert_eq!(plan.indicator_by_code("ｘ１"), Some(3));
        assert_eq!(plan.indicator_by_name("N1 名称（万元）"), Some(1));
    }

    #[test]
    fn projects_by_name_and_unit() {
        let project = |name: &str, unit: usize| Project {
            name: name.into(),
            unit,
            kind: ProjectKind::New,
            total_investment: None,
            planned_investment: None,
            start_by: None,
        };
        let plan = Plan::new(
            vec![unit("清泉镇", &[]), unit("大马营镇", &[])],
            vec![],
            vec![],
        )
        .with_projects(vec![project("东乐风电场", 1), project("城区加气站项目", 0)]);
        assert_eq!(plan.project_named("东乐风电场项目"), Some(0));
        assert_eq!(plan.project_named(" 城区加气站 "), Some(1));
        assert_eq!(plan.project_named("ＬＮＧ加气站"), None);
        assert_eq!(plan.projects_of(0), &[1]);
        assert_eq!(plan.projects_of(1), &[0]);
        assert!(plan.projects_of(7).is_empty());
    }
}
