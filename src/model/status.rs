//! Where things stand: a task's status against time progress, its
//! escalation colour, and what became of a submission (CONTRACT.md
//! sections 3, 7 and 9). Each is read back typed from every file it is
//! written to (run.json, the store, CSV), never compared as a string.

use super::codes::codes;

codes! {
    /// Where a task stands at the period's end (section 3).
    pub enum Status {
        Done = "done" / "已完成",
        OnTrack = "on_track" / "正常推进",
        Behind = "behind" / "滞后",
        Within = "within" / "控制在目标内",
        Breach = "breach" / "超出控制目标",
        NoData = "no_data" / "无数据",
    }
}

codes! {
    /// The escalation colour of a task (section 7), least severe first.
    pub enum Warning {
        Blue = "blue" / "蓝色",
        Yellow = "yellow" / "黄色",
        Red = "red" / "红色",
    }
}

codes! {
    /// What became of a submission (section 9, `submissions.csv`).
    pub enum SubmissionStatus {
        Accepted = "accepted" / "已接收",
        Rejected = "rejected" / "拒收",
        Superseded = "superseded" / "已被替代",
        Missing = "missing" / "未报送",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_text_and_serde() {
        for s in Status::ALL {
            assert_eq!(s.code().parse::<Status>(), Ok(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.code()));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), *s);
        }
        assert_eq!("red".parse::<Warning>(), Ok(Warning::Red));
        assert!("purple".parse::<Warning>().is_err());
        assert!(serde_json::from_str::<SubmissionStatus>("\"gone\"").is_err());
        assert!(Warning::Red > Warning::Yellow && Warning::Yellow > Warning::Blue);
    }
}
