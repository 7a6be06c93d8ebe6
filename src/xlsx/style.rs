//! The look shared by every workbook and mail: the status and warning
//! palette (one colour per meaning, the same on every sheet, in the
//! feedback and in the mail), and number formats by unit of measure.

use rust_xlsxwriter::Color;

use crate::model::value::{is_count_unit, is_percent_unit};
use crate::model::{Direction, Status, Warning};

/// The fill of a status, as 0xRRGGBB.
pub fn status_rgb(s: Status) -> u32 {
    // Done and on track are both green, told apart by depth; behind is
    // orange, over a ceiling red, no data grey. Not yellow for behind: the
    // warnings are blue, yellow and red (section 7), and a yellow 滞后 on
    // 总览 read as a yellow warning on a page counting 黄色 0 项.
    match s {
        Status::Done | Status::Within => 0xA9D08E,
        Status::OnTrack => 0xE2EFDA,
        Status::Behind => 0xF4B084,
        Status::Breach => 0xFFC7CE,
        Status::NoData => 0xEDEDED,
    }
}

/// The fill of a warning, as 0xRRGGBB.
pub fn warning_rgb(w: Warning) -> u32 {
    match w {
        Warning::Blue => 0x9BC2E6,
        Warning::Yellow => 0xFFD966,
        Warning::Red => 0xFF7C80,
    }
}

pub fn status_color(s: Status) -> Color {
    Color::RGB(status_rgb(s))
}

pub fn warning_color(w: Warning) -> Color {
    Color::RGB(warning_rgb(w))
}

/// A colour as HTML writes it: `#C6EFCE`.
pub fn html(rgb: u32) -> String {
    format!("#{rgb:06X}")
}

/// Header rows: light blue.
pub const HEADER_FILL: Color = Color::RGB(0xD9E1F2);
/// A value with an error, not used: light red.
pub const PROBLEM_FILL: Color = Color::RGB(0xFFC7CE);
/// A value used, with a warning to look at (in the feedback; on 总览 a
/// county value a rule of the plan finds wrong): light purple, a hue of
/// its own (a light orange printed much like the errors' pink, a stronger
/// one like the 滞后 status beside it, and yellow and blue are warnings').
pub const NOTICE_FILL: Color = Color::RGB(0xD9D2E9);
/// Values a validation rule of the plan (规则) finds do not fit together,
/// in the template while the clerk types: orange.
pub const RULE_RGB: u32 = 0xF8CBAD;
pub const RULE_FILL: Color = Color::RGB(RULE_RGB);
/// Where a unit types: light yellow.
pub const INPUT_FILL: Color = Color::RGB(0xFFF2CC);

/// Number format for a unit of measure: 万元 one decimal, counts whole,
/// percentages as percent, anything else two decimals, or up to four
/// where the figure has them: a clerk's 0.052 万亩 shown as 0.05 was
/// another figure than the one typed, and two units' 0.043 and 0.04 both
/// read 0.04 with ranks 3 and 6.
pub fn number_format(uom: &str) -> &'static str {
    match uom.trim() {
        "万元" | "亿元" | "元" => "#,##0.0",
        u if is_count_unit(u) => "#,##0",
        u if is_percent_unit(u) => "0.0%",
        _ => "#,##0.00##",
    }
}

/// Number format of the value expected to date: as [`derived_format`],
/// with `≤` before a ceiling's. A `lower` indicator's expected value is
/// its target, the most it may reach: read bare under 时间进度应完成, the
/// 10 of 安全生产事故 said "10 accidents are due".
pub fn expected_format(uom: &str, direction: Direction) -> &'static str {
    let f = derived_format(uom);
    if direction != Direction::Lower {
        return f;
    }
    match f {
        "#,##0.0" => "\"≤\"#,##0.0",
        "#,##0.00" => "\"≤\"#,##0.00",
        "0.0%" => "\"≤\"0.0%",
        other => other,
    }
}

/// A difference of two values (actual less expected to date) as written
/// for people: as [`derived_format`] gives, except that the difference of
/// two percentages is in percentage points (`8.8个百分点`), never percent:
/// 92.8% against 84% expected is 8.8 points ahead, not 8.8% ahead. The
/// value is scaled to points for that (the data files keep the fraction).
pub fn difference(uom: &str, v: Option<f64>) -> (Option<f64>, &'static str) {
    if is_percent_unit(uom) {
        (v.map(|v| v * 100.0), POINTS)
    } else {
        (v, derived_format(uom))
    }
}

/// Number format of a difference in percentage points.
pub const POINTS: &str = "0.0\"个百分点\"";

/// Format for derived values (expected to date, variance): counts get two
/// decimals, since a quarter of 1 village is 0.25, not 0 (nor 0.3).
pub fn derived_format(uom: &str) -> &'static str {
    match number_format(uom) {
        // Worked out, not typed: two decimals say enough.
        "#,##0" | "#,##0.00##" => "#,##0.00",
        f => f,
    }
}
