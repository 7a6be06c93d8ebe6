//! The plan's choices: what kind a unit is, how an indicator adds up,
//! which way is better, how progress runs through the year, and what stage
//! a key project is at (CONTRACT.md sections 2 and 11).

use super::codes::codes;

codes! {
    /// A township (乡镇) or a county department (部门); units are ranked
    /// within their kind.
    pub enum UnitKind {
        Township = "township" / "乡镇",
        Department = "department" / "部门",
    }
}

codes! {
    /// How unit values add up to the county's.
    pub enum Aggregation {
        Sum = "sum" / "求和",
        Ratio = "ratio" / "比率",
        Mean = "mean" / "平均",
        Max = "max" / "最大",
        Min = "min" / "最小",
    }
}

codes! {
    /// Whether more is better or the target is a ceiling.
    pub enum Direction {
        Higher = "higher" / "正向",
        Lower = "lower" / "逆向",
    }
}

codes! {
    /// The shape of expected progress through the year.
    pub enum Profile {
        Linear = "linear" / "均衡",
        Quarterly = "quarterly" / "季度",
        Deadline = "deadline" / "截止",
        Level = "level" / "水平",
    }
}

codes! {
    /// What stage a key project is at (项目类型).
    pub enum ProjectKind {
        /// 新建: to be started this year.
        New = "new" / "新建",
        /// 续建: under way, to resume (复工) this year.
        Continuing = "continuing" / "续建",
        /// 前期: in preparation (approvals, land), usually not started yet.
        Preparatory = "preparatory" / "前期",
    }
}
