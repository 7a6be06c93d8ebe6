//! Expected progress to date and the status of a task (CONTRACT.md section 3).
//!
//! Pure arithmetic on one (unit, indicator) pair: what it should have reached
//! by the period's end, and whether it has. Validation uses it for
//! `missing_explanation`; aggregation uses it for every row.

use chrono::NaiveDate;

use super::kinds::{Direction, Profile};
use super::period::day_fraction;
pub use super::status::Status;
use super::value::{at_least, at_most};

/// How far below expected progress a task may be before it is `behind`: a
/// fraction in `0..1`, the only values that can exist (a setting, section 3).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Tolerance(f64);

impl Tolerance {
    /// The contract's default, 0.10.
    pub const DEFAULT: Tolerance = Tolerance(0.10);

    /// The tolerance `value`, if it is a fraction in `0..1`.
    pub fn new(value: f64) -> Option<Tolerance> {
        (0.0..1.0).contains(&value).then_some(Tolerance(value))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::DEFAULT
    }
}

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

/// The status of `actual` against `goal` at `elapsed`, with `tolerance`.
pub fn status(goal: &Goal, actual: Option<f64>, elapsed: f64, tolerance: Tolerance) -> Status {
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
    tolerance: Tolerance,
) -> Status {
    let Some(actual) = actual else {
        return Status::NoData;
    };
    // As decimal numbers: a clerk who typed exactly the target or the
    // limit has reached it, whatever binary arithmetic made of it.
    match direction {
        Direction::Lower if at_most(actual, target) => Status::Within,
        Direction::Lower => Status::Breach,
        Direction::Higher if at_least(actual, target) => Status::Done,
        Direction::Higher if at_least(actual, expected * (1.0 - tolerance.get())) => {
            Status::OnTrack
        }
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
        let (t10, t20) = (Tolerance::DEFAULT, Tolerance::new(0.2).unwrap());
        assert_eq!(status(&g, None, 0.25, t10), Status::NoData);
        assert_eq!(status(&g, Some(120.0), 0.25, t10), Status::Done);
        assert_eq!(status(&g, Some(27.0), 0.25, t10), Status::OnTrack);
        assert_eq!(status(&g, Some(26.9), 0.25, t10), Status::Behind);
        assert_eq!(status(&g, Some(26.9), 0.25, t20), Status::OnTrack);
        let lower = Goal {
            direction: Direction::Lower,
            target: 3.0,
            ..g
        };
        assert_eq!(status(&lower, Some(3.0), 0.25, t10), Status::Within);
        assert_eq!(status(&lower, Some(4.0), 0.25, t10), Status::Breach);
    }

    #[test]
    fn a_figure_exactly_at_a_limit_is_at_it() {
        // 52 × ¼ = 13 expected; less 10% is 11.7, which binary arithmetic
        // makes 11.700000000000001.
        let g = Goal {
            target: 52.0,
            ..goal(Profile::Linear)
        };
        let t10 = Tolerance::DEFAULT;
        assert_eq!(status(&g, Some(11.7), 0.25, t10), Status::OnTrack);
        assert_eq!(status(&g, Some(11.69), 0.25, t10), Status::Behind);
        // A rate of exactly its target or ceiling, computed from its parts.
        let rate = Goal {
            target: 0.6,
            profile: Profile::Level,
            ..g
        };
        assert_eq!(status(&rate, Some(2.01 / 3.35), 1.0, t10), Status::Done);
        let ceiling = Goal {
            direction: Direction::Lower,
            ..rate
        };
        assert_eq!(
            status(&ceiling, Some(1.23 / 2.05), 1.0, t10),
            Status::Within
        );
        assert_eq!(status(&ceiling, Some(0.61), 1.0, t10), Status::Breach);
    }

    #[test]
    fn a_tolerance_is_a_fraction_below_one() {
        assert_eq!(Tolerance::new(0.0).map(Tolerance::get), Some(0.0));
        assert!(Tolerance::new(1.0).is_none());
        assert!(Tolerance::new(-0.1).is_none());
        assert!(Tolerance::new(f64::NAN).is_none());
    }
}
