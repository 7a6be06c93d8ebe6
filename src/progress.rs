//! Expected progress to date and the status of a task (CONTRACT.md section 3).
//!
//! Pure arithmetic on one (unit, indicator) pair: what it should have reached
//! by the period's end, and whether it has. Validation uses it for
//! `missing_explanation`; aggregation uses it for every row.

use chrono::NaiveDate;
use serde::Serialize;

use crate::period::day_fraction;
use crate::plan::{Direction, Profile};

/// The default tolerance below expected progress before a task is `behind`.
pub const DEFAULT_TOLERANCE: f64 = 0.10;

/// What a (unit, indicator) must reach: the annual target and its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub target: f64,
    pub profile: Profile,
    pub direction: Direction,
    /// Cumulative milestones at the end of Q1, Q2 and Q3 (`quarterly`).
    pub milestones: [Option<f64>; 3],
    /// Date the target must be reached (`deadline`).
    pub deadline: Option<NaiveDate>,
}

impl Goal {
    /// The expected cumulative value when `elapsed` of the year has passed.
    pub fn expected(&self, elapsed: f64) -> f64 {
        let elapsed = elapsed.clamp(0.0, 1.0);
        if self.direction == Direction::Lower {
            return self.target;
        }
        match self.profile {
            Profile::Linear => self.target * elapsed,
            Profile::Level => self.target,
            Profile::Deadline => match self.deadline {
                Some(d) => self.target * (elapsed / day_fraction(d)).min(1.0),
                None => self.target * elapsed,
            },
            Profile::Quarterly => {
                // Straight lines through (0,0), (1/4,q1), (1/2,q2), (3/4,q3), (1,target);
                // a missing milestone falls back to the linear share of the target.
                let points = [
                    (0.0, 0.0),
                    (0.25, self.milestones[0].unwrap_or(self.target * 0.25)),
                    (0.5, self.milestones[1].unwrap_or(self.target * 0.5)),
                    (0.75, self.milestones[2].unwrap_or(self.target * 0.75)),
                    (1.0, self.target),
                ];
                let i = points
                    .windows(2)
                    .position(|w| elapsed <= w[1].0)
                    .unwrap_or(3);
                let ((x0, y0), (x1, y1)) = (points[i], points[i + 1]);
                y0 + (y1 - y0) * (elapsed - x0) / (x1 - x0)
            }
        }
    }
}

/// Where a task stands at the period's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    OnTrack,
    Behind,
    Within,
    Breach,
    NoData,
}

impl Status {
    /// The contract's code for the status (`on_track` ...).
    pub fn code(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::OnTrack => "on_track",
            Status::Behind => "behind",
            Status::Within => "within",
            Status::Breach => "breach",
            Status::NoData => "no_data",
        }
    }

    /// The status as the bureau says it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Done => "已完成",
            Status::OnTrack => "正常推进",
            Status::Behind => "滞后",
            Status::Within => "控制在目标内",
            Status::Breach => "超出控制目标",
            Status::NoData => "无数据",
        }
    }
}

/// The status of `actual` against `goal` at `elapsed`, with `tolerance`.
pub fn status(goal: &Goal, actual: Option<f64>, elapsed: f64, tolerance: f64) -> Status {
    status_at(
        goal.direction,
        goal.target,
        goal.expected(elapsed),
        actual,
        tolerance,
    )
}

/// The status of `actual` against a target and an expected value to date.
pub fn status_at(
    direction: Direction,
    target: f64,
    expected: f64,
    actual: Option<f64>,
    tolerance: f64,
) -> Status {
    let Some(actual) = actual else {
        return Status::NoData;
    };
    match direction {
        Direction::Lower if actual <= target => Status::Within,
        Direction::Lower => Status::Breach,
        Direction::Higher if actual >= target => Status::Done,
        Direction::Higher if actual >= expected * (1.0 - tolerance) => Status::OnTrack,
        Direction::Higher => Status::Behind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(profile: Profile) -> Goal {
        Goal {
            target: 120.0,
            profile,
            direction: Direction::Higher,
            milestones: [None; 3],
            deadline: None,
        }
    }

    #[test]
    fn linear_is_target_times_elapsed() {
        assert_eq!(goal(Profile::Linear).expected(0.25), 30.0);
        assert_eq!(goal(Profile::Linear).expected(1.5), 120.0);
    }

    #[test]
    fn quarterly_interpolates_between_milestones() {
        let g = Goal {
            milestones: [Some(10.0), Some(60.0), Some(100.0)],
            ..goal(Profile::Quarterly)
        };
        assert_eq!(g.expected(0.25), 10.0);
        assert!((g.expected(2.0 / 12.0) - 10.0 * 2.0 / 3.0).abs() < 1e-9);
        // One month into Q2: a third of the way from 10 to 60.
        assert!((g.expected(4.0 / 12.0) - (10.0 + 50.0 / 3.0)).abs() < 1e-9);
        assert!((g.expected(11.0 / 12.0) - (100.0 + 20.0 * 2.0 / 3.0)).abs() < 1e-9);
        assert_eq!(g.expected(1.0), 120.0);
    }

    #[test]
    fn deadline_reaches_the_target_on_the_deadline() {
        let g = Goal {
            deadline: NaiveDate::from_ymd_opt(2022, 3, 31),
            ..goal(Profile::Deadline)
        };
        // 31 March is day 90 of 365.
        let at_feb = 2.0 / 12.0;
        assert!((g.expected(at_feb) - 120.0 * at_feb / (90.0 / 365.0)).abs() < 1e-9);
        assert_eq!(g.expected(0.5), 120.0);
    }

    #[test]
    fn level_and_lower_expect_the_target_itself() {
        assert_eq!(goal(Profile::Level).expected(0.1), 120.0);
        let lower = Goal {
            direction: Direction::Lower,
            ..goal(Profile::Linear)
        };
        assert_eq!(lower.expected(0.1), 120.0);
    }

    #[test]
    fn status_follows_the_contract() {
        let g = goal(Profile::Linear); // expects 30 at a quarter
        assert_eq!(status(&g, None, 0.25, 0.1), Status::NoData);
        assert_eq!(status(&g, Some(120.0), 0.25, 0.1), Status::Done);
        assert_eq!(status(&g, Some(27.0), 0.25, 0.1), Status::OnTrack);
        assert_eq!(status(&g, Some(26.9), 0.25, 0.1), Status::Behind);
        assert_eq!(status(&g, Some(26.9), 0.25, 0.2), Status::OnTrack);
        let lower = Goal {
            direction: Direction::Lower,
            target: 3.0,
            ..g
        };
        assert_eq!(status(&lower, Some(3.0), 0.25, 0.1), Status::Within);
        assert_eq!(status(&lower, Some(4.0), 0.25, 0.1), Status::Breach);
    }
}
