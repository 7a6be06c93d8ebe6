//! The county plan (目标任务分解表): units, indicators and annual targets,
//! and the key projects (重点项目) each unit carries.
//!
//! [`read::read_plan`] turns the bureau's workbook into a [`Plan`] or refuses
//! it with every problem listed; the rest of tally only sees the built plan
//! and asks it questions (which unit is this name, what must this unit report).

pub mod read;
pub mod rules;

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use rustc_hash::FxHashMap as HashMap;

use crate::model::value::{code_key, fold, is_percent_unit, normalize_label};
use crate::model::{
    Aggregation, Direction, Goal, IdVec, IndicatorId, Profile, ProjectId, ProjectKind, UnitId,
    UnitKind, UnitRef,
};

pub use read::{PlanError, PlanProblem, read_plan};

/// The name the county itself goes by in the plan.
pub const COUNTY: &str = "全县";

/// A unit that reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub aliases: Vec<String>,
    pub kind: UnitKind,
    pub email: Option<String>,
}

/// The two indicators a ratio is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub numerator: IndicatorId,
    pub denominator: IndicatorId,
}

impl Ratio {
    /// Both parts, numerator first.
    pub fn parts(self) -> [IndicatorId; 2] {
        [self.numerator, self.denominator]
    }
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
    /// For `Ratio`: the numerator and denominator indicators.
    pub ratio_of: Option<Ratio>,
    pub direction: Direction,
    pub profile: Profile,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub weight: f64,
}

impl Indicator {
    /// Whether values are percentages, held as fractions.
    pub fn is_percent(&self) -> bool {
        is_percent_unit(&self.uom)
    }
}

#[cfg(test)]
impl Indicator {
    /// A plain indicator for unit tests: summed, 万元, higher is better,
    /// weight 1, named `<code>名称`.
    pub(crate) fn example(code: &str) -> Indicator {
        Indicator {
            code: code.into(),
            name: format!("{code}名称"),
            uom: "万元".into(),
            category: None,
            aggregation: Aggregation::Sum,
            ratio_of: None,
            direction: Direction::Higher,
            profile: Profile::Linear,
            min: None,
            max: None,
            weight: 1.0,
        }
    }
}

/// An annual target of a unit (or of the county, `unit == None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub unit: Option<UnitId>,
    pub indicator: IndicatorId,
    pub goal: Goal,
}

/// A key project (重点项目) of the plan's `项目` sheet (CONTRACT.md section 11).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub name: String,
    /// The unit that reports it.
    pub unit: UnitId,
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
    pub units: IdVec<UnitId, Unit>,
    pub indicators: IdVec<IndicatorId, Indicator>,
    pub targets: Vec<Target>,
    /// Key projects, in plan order; empty when the plan has no `项目` sheet.
    pub projects: IdVec<ProjectId, Project>,
    /// The bureau's validation rules, in plan order; empty without a
    /// `规则` sheet.
    pub rules: Vec<rules::Rule>,
    /// Normalized project name → project.
    project_names: HashMap<String, ProjectId>,
    /// Per unit, its projects.
    projects_by_unit: IdVec<UnitId, Vec<ProjectId>>,
    /// Normalized name or alias → unit.
    names: HashMap<String, UnitId>,
    /// Normalized code → indicator, and normalized name → indicator.
    codes: HashMap<String, IndicatorId>,
    indicator_names: HashMap<String, IndicatorId>,
    /// (unit, indicator) → index into `targets`.
    target_index: HashMap<(Option<UnitId>, IndicatorId), usize>,
    /// Per unit, its indexes into `targets`.
    by_unit: IdVec<UnitId, Vec<usize>>,
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
    pub fn new(
        units: IdVec<UnitId, Unit>,
        indicators: IdVec<IndicatorId, Indicator>,
        targets: Vec<Target>,
    ) -> Plan {
        let mut names = HashMap::default();
        for (id, u) in units.iter_enumerated() {
            for n in std::iter::once(&u.name).chain(&u.aliases) {
                names.entry(unit_key(n)).or_insert(id);
            }
        }
        let mut codes = HashMap::default();
        let mut indicator_names = HashMap::default();
        for (id, ind) in indicators.iter_enumerated() {
            codes.entry(code_key(&ind.code)).or_insert(id);
            indicator_names
                .entry(normalize_label(&ind.name))
                .or_insert(id);
        }
        let target_index = targets
            .iter()
            .enumerate()
            .map(|(k, t)| ((t.unit, t.indicator), k))
            .collect();
        let mut by_unit: IdVec<UnitId, Vec<usize>> = units.iter().map(|_| Vec::new()).collect();
        for (k, t) in targets.iter().enumerate() {
            if let Some(list) = t.unit.and_then(|u| by_unit.get_mut(u)) {
                list.push(k);
            }
        }
        let projects_by_unit = units.iter().map(|_| Vec::new()).collect();
        Plan {
            units,
            indicators,
            targets,
            projects: IdVec::new(),
            rules: Vec::new(),
            project_names: HashMap::default(),
            projects_by_unit,
            names,
            codes,
            indicator_names,
            target_index,
            by_unit,
        }
    }

    /// The plan with its key projects.
    pub fn with_projects(mut self, projects: IdVec<ProjectId, Project>) -> Plan {
        self.project_names.clear();
        self.projects_by_unit = self.units.iter().map(|_| Vec::new()).collect();
        for (id, p) in projects.iter_enumerated() {
            self.project_names.entry(project_key(&p.name)).or_insert(id);
            if let Some(list) = self.projects_by_unit.get_mut(p.unit) {
                list.push(id);
            }
        }
        self.projects = projects;
        self
    }

    /// The plan with its validation rules.
    pub fn with_rules(mut self, rules: Vec<rules::Rule>) -> Plan {
        self.rules = rules;
        self
    }

    /// The rules checked for a unit, in plan order.
    pub fn rules_for(&self, unit: UnitId) -> impl Iterator<Item = &rules::Rule> {
        self.rules
            .iter()
            .filter(move |r| r.scope.includes(self, unit))
    }

    /// Each unit's file name in a folder of per-unit workbooks (feedback,
    /// templates): safe on every file system, and all different.
    pub fn unit_file_names(&self) -> IdVec<UnitId, String> {
        crate::files::unique_file_names(self.units.iter().map(|u| u.name.as_str()), "xlsx").into()
    }

    /// A unit as issues and submissions name it.
    pub fn unit_ref(&self, unit: UnitId) -> UnitRef {
        UnitRef {
            id: unit,
            name: self.units[unit].name.clone(),
        }
    }

    /// The project with this name (spaces, full-width forms and a trailing
    /// "项目" ignored).
    pub fn project_named(&self, name: &str) -> Option<ProjectId> {
        self.project_names.get(&project_key(name)).copied()
    }

    /// A unit's projects, in plan order.
    pub fn projects_of(&self, unit: UnitId) -> &[ProjectId] {
        self.projects_by_unit.get(unit).map_or(&[], Vec::as_slice)
    }

    /// How many key projects were due to have started by `date`: what the
    /// 重点项目开复工 completion counts against, beside all the year's.
    pub fn projects_due_by(&self, date: chrono::NaiveDate) -> usize {
        self.projects
            .iter()
            .filter(|p| p.start_by.is_some_and(|d| d <= date))
            .count()
    }

    /// The unit with this exact name or alias.
    pub fn unit_named(&self, name: &str) -> Option<UnitId> {
        self.names.get(&unit_key(name)).copied()
    }

    /// The unit whose name or alias `text` contains; a name inside a longer
    /// one does not count, so "清泉镇人民政府" is 清泉镇 even where "清泉" is
    /// another's alias; none when it names two units ([`Plan::units_in`]).
    ///
    /// Every piece of the text is looked up, not every name searched for in
    /// the text: a file name is a few dozen characters, a county of 10,000
    /// units would otherwise cost 10,000 searches per file.
    pub fn unit_in(&self, text: &str) -> Option<UnitId> {
        match self.units_in(text)[..] {
            [unit] => Some(unit),
            // Two units named (`清泉镇-李桥乡.xlsx`): a guess could give one
            // unit's figures to another.
            _ => None,
        }
    }

    /// Every unit whose name or alias `text` holds, in order, leaving out
    /// a name inside a longer one (清泉 inside 清泉镇人民政府).
    pub fn units_in(&self, text: &str) -> Vec<UnitId> {
        let text = unit_key(text);
        let starts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let mut found: Vec<(usize, usize, UnitId)> = Vec::new();
        for (a, &from) in starts.iter().enumerate() {
            for &to in &starts[a + 1..] {
                if let Some(&unit) = self.names.get(&text[from..to]) {
                    found.push((from, to, unit));
                }
            }
        }
        let inside = |&(from, to, _): &(usize, usize, UnitId)| {
            found
                .iter()
                .any(|&(f, t, _)| f <= from && to <= t && t - f > to - from)
        };
        let mut units: Vec<UnitId> = Vec::new();
        for m in found.iter().filter(|m| !inside(m)) {
            if !units.contains(&m.2) {
                units.push(m.2);
            }
        }
        units
    }

    /// Whether `text` holds the unit's name or one of its aliases, compared
    /// as [`Plan::unit_in`] compares them.
    pub fn is_named_in(&self, unit: UnitId, text: &str) -> bool {
        let text = unit_key(text);
        let u = &self.units[unit];
        std::iter::once(&u.name)
            .chain(&u.aliases)
            .map(|n| unit_key(n))
            .any(|n| !n.is_empty() && text.contains(&n))
    }

    /// The indicator with this code (case-insensitive, full-width folded,
    /// see [`code_key`]).
    pub fn indicator_by_code(&self, code: &str) -> Option<IndicatorId> {
        self.codes.get(&code_key(code)).copied()
    }

    /// The indicator with this name (spaces and bracketed units ignored).
    pub fn indicator_by_name(&self, name: &str) -> Option<IndicatorId> {
        let name = normalize_label(name);
        if name.is_empty() {
            return None;
        }
        // Forms number their rows in the name (`一、固定资产投资`,
        // `2.招商引资到位资金`): the name without its number, unless the
        // plan's name has it.
        static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^([一二三四五六七八九十]+|\d{1,2})[、.．]").expect("valid regex")
        });
        let found = self.indicator_names.get(&name).copied();
        found.or_else(|| {
            let bare = NUMBERED.find(&name)?;
            self.indicator_names.get(&name[bare.end()..]).copied()
        })
    }

    /// The target of a unit (`None`: the county) for an indicator.
    pub fn target(&self, unit: Option<UnitId>, indicator: IndicatorId) -> Option<&Target> {
        self.target_index
            .get(&(unit, indicator))
            .map(|&k| &self.targets[k])
    }

    /// The targets of one unit, in plan order.
    pub fn targets_of(&self, unit: UnitId) -> impl Iterator<Item = &Target> {
        self.by_unit
            .get(unit)
            .into_iter()
            .flatten()
            .map(|&k| &self.targets[k])
    }

    /// The indicators a unit must report, in plan order: every indicator it
    /// has a target for, a ratio replaced by its numerator and denominator.
    pub fn required(&self, unit: UnitId) -> Vec<IndicatorId> {
        let mut need: IdVec<IndicatorId, bool> = self.indicators.iter().map(|_| false).collect();
        for t in self.targets_of(unit) {
            match self.indicators[t.indicator].ratio_of {
                Some(r) => r.parts().into_iter().for_each(|p| need[p] = true),
                None => need[t.indicator] = true,
            }
        }
        need.iter_enumerated()
            .filter(|(_, n)| **n)
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Id;

    fn u(k: usize) -> UnitId {
        UnitId::new(k)
    }

    fn i(k: usize) -> IndicatorId {
        IndicatorId::new(k)
    }

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
            aggregation,
            ..Indicator::example(code)
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
            IdVec::from(vec![
                unit("清泉镇", &["清泉"]),
                unit("大马营镇", &["大马营"]),
            ]),
            IdVec::new(),
            vec![],
        );
        assert_eq!(plan.unit_named("清泉"), Some(u(0)));
        assert_eq!(plan.unit_named(" 大马营镇 "), Some(u(1)));
        assert_eq!(plan.unit_named("柳河乡"), None);
        assert_eq!(plan.unit_in("2022年3月清泉镇人民政府报表"), Some(u(0)));
        assert_eq!(plan.unit_in("大马营镇-3月"), Some(u(1)));
        assert_eq!(plan.unit_in("汇总表"), None);
        // Two units: no guess, but both are found.
        assert_eq!(plan.unit_in("清泉镇-大马营镇"), None);
        assert_eq!(plan.units_in("清泉镇-大马营镇"), vec![u(0), u(1)]);
    }

    #[test]
    fn a_ratio_is_reported_as_its_parts() {
        let mut ratio = indicator("R1", Aggregation::Ratio);
        ratio.ratio_of = Some(Ratio {
            numerator: i(1),
            denominator: i(2),
        });
        let plan = Plan::new(
            IdVec::from(vec![unit("清泉镇", &[])]),
            IdVec::from(vec![
                ratio,
                indicator("N1", Aggregation::Sum),
                indicator("D1", Aggregation::Sum),
                indicator("X1", Aggregation::Sum),
            ]),
            vec![
                Target {
                    unit: Some(u(0)),
                    indicator: i(0),
                    goal: goal(),
                },
                Target {
                    unit: Some(u(0)),
                    indicator: i(3),
                    goal: goal(),
                },
            ],
        );
        assert_eq!(plan.required(u(0)), vec![i(1), i(2), i(3)]);
        assert_eq!(plan.indicator_by_code("ｘ１"), Some(i(3)));
        assert_eq!(plan.indicator_by_name("N1 名称（万元）"), Some(i(1)));
        // Numbered as forms number their rows.
        assert_eq!(plan.indicator_by_name("二、N1 名称"), Some(i(1)));
        assert_eq!(plan.indicator_by_name("2.N1名称"), Some(i(1)));
        assert_eq!(plan.indicator_by_name("二、N9 名称"), None);
    }

    #[test]
    fn projects_by_name_and_unit() {
        let project = |name: &str, unit: usize| Project {
            name: name.into(),
            unit: u(unit),
            kind: ProjectKind::New,
            total_investment: None,
            planned_investment: None,
            start_by: None,
        };
        let plan = Plan::new(
            IdVec::from(vec![unit("清泉镇", &[]), unit("大马营镇", &[])]),
            IdVec::new(),
            vec![],
        )
        .with_projects(IdVec::from(vec![
            project("东乐风电场", 1),
            project("城区加气站项目", 0),
        ]));
        let p = ProjectId::new;
        assert_eq!(plan.project_named("东乐风电场项目"), Some(p(0)));
        assert_eq!(plan.project_named(" 城区加气站 "), Some(p(1)));
        assert_eq!(plan.project_named("ＬＮＧ加气站"), None);
        assert_eq!(plan.projects_of(u(0)), &[p(1)]);
        assert_eq!(plan.projects_of(u(1)), &[p(0)]);
        assert!(plan.projects_of(u(7)).is_empty());
    }
}
