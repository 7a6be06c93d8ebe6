//! Each unit's rows, files and issues, gathered once for all units: the
//! feedback workbooks and `run.json` both speak to one unit at a time, and
//! a county of 10,000 units made per-unit filters quadratic
//! (bench/run.sh 10000).

use rustc_hash::FxHashMap as HashMap;

use crate::aggregate::{Consolidation, UnitRow};
use crate::model::{IdVec, IndicatorId, Issue, IssueCode, SubmissionStatus, UnitId};
use crate::plan::Plan;
use crate::validate::{Checked, Submission};

/// The rows, files and issues of each unit.
pub struct UnitIndex<'a> {
    pub rows: IdVec<UnitId, Vec<&'a UnitRow>>,
    pub files: IdVec<UnitId, Vec<&'a Submission>>,
    pub issues: IdVec<UnitId, Vec<&'a Issue>>,
    /// Per indicator, the units ranked on it (those with a value).
    ranked: HashMap<IndicatorId, u32>,
}

impl<'a> UnitIndex<'a> {
    pub fn new(plan: &Plan, c: &'a Consolidation, checked: &'a Checked) -> UnitIndex<'a> {
        fn empty<T>(plan: &Plan) -> IdVec<UnitId, Vec<T>> {
            plan.units.iter().map(|_| Vec::new()).collect()
        }
        let mut index = UnitIndex {
            rows: empty(plan),
            files: empty(plan),
            issues: empty(plan),
            ranked: HashMap::default(),
        };
        for r in &c.by_unit {
            index.rows[r.unit].push(r);
            if r.rank.is_some() {
                *index.ranked.entry(r.indicator).or_default() += 1;
            }
        }
        for s in &checked.submissions {
            if let Some(u) = &s.unit {
                index.files[u.id].push(s);
            }
        }
        for i in &checked.issues {
            if let Some(u) = &i.unit {
                index.issues[u.id].push(i);
            }
        }
        // A unit whose files were all refused hears why from each file's
        // own issues; "没有可用的报表（…原因见该文件）" beside them, in
        // its mail and its 问题清单, would say it twice, the second time
        // as if no file had come.
        for u in plan.units.ids() {
            let refused =
                |s: &&Submission| s.file.is_some() && s.status == SubmissionStatus::Rejected;
            if index.files[u].iter().any(refused) {
                index.issues[u].retain(|i| i.code != IssueCode::MissingSubmission);
            }
        }
        index
    }

    /// How many units are ranked on an indicator (what a rank is out of).
    pub fn ranked(&self, indicator: IndicatorId) -> u32 {
        self.ranked.get(&indicator).copied().unwrap_or(0)
    }

    /// The unit's accepted file, if any.
    pub fn accepted(&self, u: UnitId) -> Option<&'a Submission> {
        self.files[u]
            .iter()
            .copied()
            .find(|s| s.status == SubmissionStatus::Accepted)
    }

    /// What became of the unit's report as a whole: accepted when any file
    /// was, else rejected when any was refused, else missing.
    pub fn status(&self, u: UnitId) -> SubmissionStatus {
        let has = |st| self.files[u].iter().any(|s| s.status == st);
        if has(SubmissionStatus::Accepted) {
            SubmissionStatus::Accepted
        } else if has(SubmissionStatus::Rejected) {
            SubmissionStatus::Rejected
        } else {
            SubmissionStatus::Missing
        }
    }
}
