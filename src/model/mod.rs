//! The floor every stage stands on, and that stands on none of them: the
//! words of the domain. Typed ids, the plan's choices, statuses and
//! warnings that serialize both ways, issues, periods and expected
//! progress, how people type numbers, and the vocabulary of the
//! submission format.

pub mod codes;
pub mod ids;
pub mod issue;
pub mod kinds;
pub mod period;
pub mod progress;
pub mod status;
pub mod value;
pub mod vocabulary;

pub use ids::{Id, IdVec, IndicatorId, ProjectId, TaskKey, UnitId, UnitRef};
pub use issue::{Issue, IssueCode, Severity};
pub use kinds::{Aggregation, Direction, Profile, ProjectKind, UnitKind};
pub use period::Period;
pub use progress::{Goal, Status, Tolerance};
pub use status::{SubmissionStatus, Warning};
