//! Reading numbers and dates the way people type them (CONTRACT.md section 5).
//!
//! Townships type `１，２３４．５`, `1 200 万元`, `70%` or `无` where a number
//! belongs. This room turns one cell into a number, or says precisely why it
//! is not one; it knows nothing about files or plans.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// A cell as read from a workbook, before interpretation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum CellValue {
    #[default]
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
    /// A date cell, as `YYYY-MM-DD`.
    Date(NaiveDate),
    /// An error value such as `#DIV/0!`.
    Error(String),
    /// A formula whose result was never calculated and saved.
    UncachedFormula(String),
}

impl CellValue {
    /// The cell as a person reads it, for messages.
    pub fn display(&self) -> String {
        self.shown().into_owned()
    }

    /// [`display`](Self::display), borrowing the text where the cell holds
    /// it: labels and names are read from every row of every file.
    pub fn shown(&self) -> Cow<'_, str> {
        match self {
            CellValue::Empty => Cow::Borrowed(""),
            CellValue::Number(n) => Cow::Owned(format_number(*n)),
            CellValue::Text(s) => Cow::Borrowed(s.trim()),
            CellValue::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
            CellValue::Date(d) => Cow::Owned(d.to_string()),
            CellValue::Error(e) => Cow::Borrowed(e),
            CellValue::UncachedFormula(f) => Cow::Owned(format!("={f}")),
        }
    }

    /// True for an empty cell or one holding only spaces.
    pub fn is_blank(&self) -> bool {
        match self {
            CellValue::Empty => true,
            CellValue::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// A number printed plainly: no exponent, no trailing zeros.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    // The shortest form that reads back as `n` is what rounding to six
    // decimals gives, when it has at most six and `n` is below 1e9 (its
    // binary error, under 1e-7, cannot move it to another six-decimal
    // number). Printing it is several times cheaper than the exact
    // rounding, which falls back to big-number arithmetic for many
    // values; the warnings' sentences print thousands of them.
    if n.abs() < 1e9 {
        let shortest = n.to_string();
        if shortest.split_once('.').is_some_and(|(_, f)| f.len() <= 6) {
            return shortest;
        }
    }
    let s = format!("{n:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A number for programs (CSV): every digit needed to read it back, no
/// exponent, no thousands separator.
pub fn format_plain(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// A number rounded for people: one decimal from 100 up, two from 1 up,
/// three significant digits below 1 (0.0733, never 0.073333), trailing
/// zeros dropped.
pub fn format_for_people(n: f64) -> String {
    let a = n.abs();
    let decimals = if a >= 100.0 {
        1
    } else if a >= 1.0 || a == 0.0 {
        2
    } else {
        (2 - a.log10().floor() as i32).clamp(2, 8)
    };
    let scale = 10f64.powi(decimals);
    let rounded = (n * scale).round() / scale;
    if rounded == 0.0 {
        "0".to_string()
    } else {
        format_number(rounded)
    }
}

/// Folds full-width ASCII (`１２３，．％`) to half-width and every kind of
/// space (ideographic, no-break) to a plain space.
///
/// Borrows when there is nothing to fold, as for most cells: it is asked
/// of every label, name and number text read.
pub fn fold(s: &str) -> Cow<'_, str> {
    let folded = |c: char| match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' | '\u{2002}'..='\u{200B}' => ' ',
        '。' => '.',
        _ => c,
    };
    if s.chars().all(|c| folded(c) == c) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().map(folded).collect())
    }
}

/// What one actual-value cell says.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A number. `trailing_unit` is the unit typed after it, if any.
    Number {
        value: f64,
        percent: bool,
        trailing_unit: Option<String>,
    },
    /// Nothing was entered.
    Missing,
    /// Something that is no number.
    NotANumber(String),
    /// An error value, or a formula without a saved result.
    FormulaError(String),
}

/// Tokens clerks write for "nothing happened": read as zero.
const ZERO_WORDS: [&str; 10] = ["-", "—", "——", "–", "/", "无", "—-", "--", "－", "／"];

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(%?)\s*(\p{L}{0,4})$")
        .expect("valid regex")
});

/// Interprets one cell as a number, the way the contract allows.
///
/// # Examples
///
/// ```
/// use tally::model::value::{read_number, CellValue, Reading};
///
/// let r = read_number(&CellValue::Text("１，２３４．５ 万元".into()));
/// assert_eq!(
///     r,
///     Reading::Number { value: 1234.5, percent: false, trailing_unit: Some("万元".into()) }
/// );
/// ```
pub fn read_number(cell: &CellValue) -> Reading {
    match read_number_signed(cell) {
        // A thousand trillion and more is no figure anyone reports, and a
        // few such would add up to infinity in the county's total.
        Reading::Number { value, .. } if value.abs() >= TOO_LARGE => {
            Reading::NotANumber(match cell {
                // As people write it short: 1e308, not 309 digits.
                CellValue::Number(n) => format!("{n:e}"),
                _ => cell.display(),
            })
        }
        // `-0` is 0: written back it would read `-0` in a CSV file.
        Reading::Number {
            value,
            percent,
            trailing_unit,
        } => Reading::Number {
            value: value + 0.0,
            percent,
            trailing_unit,
        },
        other => other,
    }
}

/// The smallest magnitude [`read_number`] refuses: 10¹⁵.
pub const TOO_LARGE: f64 = 1e15;

fn read_number_signed(cell: &CellValue) -> Reading {
    match cell {
        CellValue::Empty => Reading::Missing,
        CellValue::Number(n) if n.is_finite() => Reading::Number {
            value: *n,
            percent: false,
            trailing_unit: None,
        },
        CellValue::Number(n) => Reading::NotANumber(n.to_string()),
        CellValue::Bool(_) | CellValue::Date(_) => Reading::NotANumber(cell.display()),
        CellValue::Error(e) => Reading::FormulaError(e.clone()),
        CellValue::UncachedFormula(f) => Reading::FormulaError(format!("={f}")),
        CellValue::Text(s) => read_number_text(s),
    }
}

fn read_number_text(raw: &str) -> Reading {
    let folded = fold(raw);
    let t = folded.trim();
    if t.is_empty() {
        return Reading::Missing;
    }
    if ZERO_WORDS.contains(&t) {
        return Reading::Number {
            value: 0.0,
            percent: false,
            trailing_unit: None,
        };
    }
    if t.starts_with('#') {
        // Error values that arrive as text (some writers store them so).
        return Reading::FormulaError(t.to_string());
    }
    // Most numbers typed as text are plain digits: read them without the
    // pattern (the same value, as `parse` is what the pattern's path uses).
    // A text too long for a number (`1e309`, 400 digits) parses to
    // infinity: not a figure anyone reported.
    if is_plain_decimal(t)
        && let Ok(value) = t.parse::<f64>()
        && value.is_finite()
    {
        return Reading::Number {
            value,
            percent: false,
            trailing_unit: None,
        };
    }
    if !separators_group_thousands(t) {
        // `1800,5` or `0,05`: a decimal comma, which read as a thousands
        // separator would be a number 10 or 100 times too large.
        return Reading::NotANumber(raw.trim().to_string());
    }
    // Thousands separators and inner spaces ("1 200", "1,234.5") carry no meaning.
    let compact: String = t
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '\''))
        .collect();
    let Some(caps) = NUMBER.captures(&compact) else {
        return Reading::NotANumber(raw.trim().to_string());
    };
    let Ok(value) = caps[1].parse::<f64>() else {
        return Reading::NotANumber(raw.trim().to_string());
    };
    if !value.is_finite() {
        return Reading::NotANumber(raw.trim().to_string());
    }
    let unit = &caps[3];
    Reading::Number {
        value,
        percent: !caps[2].is_empty(),
        trailing_unit: (!unit.is_empty()).then(|| unit.to_string()),
    }
}

/// Whether every separator among the leading digits of `t` (a comma, a
/// space or an apostrophe, as `1,234.5`, `1 200 万元`, `1'234`) separates
/// thousands: the digits before the first are 1 to 3 and do not start
/// with 0, and exactly 3 follow each, before the decimal point. `1,2`,
/// `12,34`, `1800,5`, `0,500`, `1800 5` and `1.234,5` are decimal commas
/// or slips, which read as separators would be 10 to 1000 times too large.
fn separators_group_thousands(t: &str) -> bool {
    // A leading apostrophe is a spreadsheet's mark for text, not a digit's.
    let body = t
        .trim_start_matches(['+', '-'])
        .trim_start()
        .trim_start_matches('\'');
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, ',' | ' ' | '\'')))
        .unwrap_or(body.len());
    // A space before a unit or a percent sign (`1 200 万元`) is no
    // separator; `1, 234` is one comma.
    let run = body[..end].trim_end_matches(' ').replace(", ", ",");
    // No comma after the digit run (in the decimals, after a unit), and no
    // space between decimals (`0.5 6` is two numbers, not 0.56).
    let rest = &body[end..];
    if rest.contains(',') {
        return false;
    }
    if let Some(decimals) = rest.strip_prefix('.') {
        let digits: String = decimals
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ' ')
            .collect();
        if digits.trim_end().contains(' ') {
            return false;
        }
    }
    if !run.contains([',', ' ', '\'']) {
        return true;
    }
    let mut groups = run.split([',', ' ', '\'']);
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len()) && !first.starts_with('0') && groups.all(|g| g.len() == 3)
}

/// `123`, `-0.5`, `12.`, `.5`: what [`NUMBER`] reads as a bare number,
/// without its exponents, units or separators.
fn is_plain_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let mut dots = 0;
    let mut any_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => any_digit = true,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    any_digit && dots <= 1
}

/// `x` to 12 significant digits. polars adds a group's floats in an order
/// that depends on its threads, so the last bit of a sum or mean varies
/// from run to run; rounded, the same inputs give the same outputs (and
/// no figure shows 0.8350000000000002).
pub fn stable(x: f64) -> f64 {
    significant(x, 12)
}

/// `x` to `digits` significant digits.
pub fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    let rounded = (x * scale).round() / scale;
    if rounded.is_finite() { rounded } else { x }
}

/// What two figures may differ by and still be the same decimal number:
/// binary arithmetic leaves `1.23 / 2.05` at 0.6000000000000001 and a
/// target of 13 less 10% at 11.700000000000001, and a clerk who typed
/// exactly the limit must not be told he missed it. A trillionth: far
/// above that noise (about 1e-16 of the figure, 1e-13 after adding a
/// thousand), far below any real shortfall (5 元 of 100 亿元 is 5e-10).
fn slack(a: f64, b: f64) -> f64 {
    1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// `a ≥ b`, as decimal numbers (see [`slack`]).
pub fn at_least(a: f64, b: f64) -> bool {
    a + slack(a, b) >= b
}

/// `a ≤ b`, as decimal numbers (see [`slack`]).
pub fn at_most(a: f64, b: f64) -> bool {
    at_least(b, a)
}

/// `a = b`, as decimal numbers, or within `tolerance` (see [`slack`]).
pub fn about_equal(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance + slack(a, b)
}

/// A fraction as a percentage with one decimal, rounded as a `0.0%` cell
/// shows it (half away from zero, on the 15 significant digits Excel
/// keeps), so that a sentence never says 1.2% beside a cell showing 1.3%.
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", percent_rounded(fraction))
}

/// `fraction` × 100, rounded to one decimal as [`percent`] shows it.
pub fn percent_rounded(fraction: f64) -> f64 {
    // `+ 0.0` turns -0.0 (a tiny negative) into 0.
    significant(fraction * 1000.0, 15).round() / 10.0 + 0.0
}

/// Whether a unit of measure counts whole things (个, 起, 户 ...): shown
/// without decimals, and a quarter of one is no figure to quote.
pub fn is_count_unit(uom: &str) -> bool {
    matches!(
        uom.trim(),
        "个" | "起" | "所" | "人" | "座" | "家" | "户" | "项" | "次" | "辆" | "处"
    )
}

/// Whether a unit of measure is a percentage.
pub fn is_percent_unit(uom: &str) -> bool {
    // As `fold(uom).trim()` would compare, without a new string: asked
    // for every value read.
    let t = uom.trim_matches(|c: char| c.is_whitespace() || c == '\u{200B}');
    matches!(t, "%" | "％" | "百分比" | "百分点")
}

/// In a `tally template`'s `0.0%` cell, the largest number that is the
/// fraction itself (a clerk's 120% is 1.2); a larger one was pasted as a
/// percentage (85, showing 8500%). The check and the template's live rules
/// read the cells alike by it.
pub const TEMPLATE_FRACTION_MAX: f64 = 10.0;

/// A number for an indicator measured in `%`, held as a fraction:
/// `70%` and `70` are 0.7, `0.7` stays 0.7.
pub fn as_fraction(value: f64, percent_sign: bool) -> f64 {
    if percent_sign || value.abs() > 1.0 {
        value / 100.0
    } else {
        value
    }
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})").expect("valid regex")
});

static COMPACT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)((?:19|20)\d{2})(\d{2})(\d{2})(?:\D|$)").expect("valid regex")
});

static MONTH_DAY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]").expect("valid regex"));

/// Finds a date written as `2022-07-05`, `2022/7/5`, `2022.7.5`,
/// `2022年7月5日`, `二〇二二年七月五日` or `20220705` anywhere in a text.
pub fn find_date(text: &str) -> Option<NaiveDate> {
    let folded = fold(text);
    let folded = chinese_numerals(&folded);
    let caps = DATE
        .captures(&folded)
        .or_else(|| COMPACT_DATE.captures(&folded))?;
    NaiveDate::from_ymd_opt(
        caps[1].parse().ok()?,
        caps[2].parse().ok()?,
        caps[3].parse().ok()?,
    )
}

/// A month and day without a year (`4月7日`), as clerks often write the
/// 填报日期; the caller knows the year from the period.
pub fn find_month_day(text: &str) -> Option<(u32, u32)> {
    let folded = fold(text);
    let folded = chinese_numerals(&folded);
    let caps = MONTH_DAY.captures(&folded)?;
    Some((caps[1].parse().ok()?, caps[2].parse().ok()?))
}

/// Chinese numerals in a date as digits: `二〇二二` is 2022, `十二` 12,
/// `二十一` 21, `三十` 30.
pub fn chinese_numerals(text: &str) -> Cow<'_, str> {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .or((c == '零').then_some(0))
    };
    if !text.chars().any(|c| digit(c).is_some() || c == '十') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        if run.is_empty() {
            return;
        }
        match run.iter().position(|&c| c == '十') {
            // 十, 十二, 二十, 二十一: tens and units.
            Some(k) => {
                let tens = run[..k].first().and_then(|&c| digit(c)).unwrap_or(1);
                let units = run[k + 1..].first().and_then(|&c| digit(c)).unwrap_or(0);
                out.push_str(&(tens * 10 + units).to_string());
            }
            // 二〇二二: digit by digit.
            None => out.extend(
                run.iter()
                    .filter_map(|&c| digit(c))
                    .map(|d| char::from(b'0' + d as u8)),
            ),
        }
        run.clear();
    };
    for c in text.chars() {
        if digit(c).is_some() || c == '十' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    Cow::Owned(out)
}

/// A date from a cell: a date cell, a date serial number, or a date text.
pub fn read_date(cell: &CellValue) -> Option<NaiveDate> {
    match cell {
        CellValue::Date(d) => Some(*d),
        // A serial number in a date-looking place: Excel's 1900 system.
        CellValue::Number(n) if (20000.0..80000.0).contains(n) => {
            NaiveDate::from_ymd_opt(1899, 12, 30)?
                .checked_add_signed(chrono::Duration::days(*n as i64))
        }
        // 20220407 typed as a number.
        CellValue::Number(n) if (19_000_101.0..=29_991_231.0).contains(n) && n.fract() == 0.0 => {
            let n = *n as u32;
            NaiveDate::from_ymd_opt((n / 10_000) as i32, n / 100 % 100, n % 100)
        }
        CellValue::Text(s) => find_date(s),
        _ => None,
    }
}

/// A header text reduced to what identifies it: full-width folded, spaces
/// and line breaks removed, a bracketed unit like `（万元）` dropped,
/// lower-cased.
pub fn normalize_label(s: &str) -> String {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len());
    let mut depth = 0u32;
    for c in folded.chars() {
        match c {
            '(' | '[' | '【' | '〔' => depth += 1,
            ')' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            c if c.is_whitespace() || c == '*' || c == '＊' => {}
            c if depth == 0 => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

/// An indicator code reduced to what identifies it: as
/// [`normalize_label`] but keeping what is in brackets, since `3(1)` and
/// `3(2)` are two codes, and `（一）` and `（二）` are not both nothing.
/// Every kind of bracket is one: `3(1)` is `3（1）`, `3[1]` and `3【1】`
/// (and a rule's `[3(1)]` can name a code written `3[1]`).
pub fn code_key(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '[' | '【' | '〔' => '(',
            ']' | '】' | '〕' => ')',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Reading {
        read_number(&CellValue::Text(s.to_string()))
    }

    fn num(value: f64) -> Reading {
        Reading::Number {
            value,
            percent: false,
            trailing_unit: None,
        }
    }

    #[test]
    fn labels_normalize() {
        assert_eq!(normalize_label(" 本年累计\n（万元）"), "本年累计");
        assert_eq!(normalize_label("指 标 名 称"), "指标名称");
        assert_eq!(normalize_label("Actual (万元)"), "actual");
        assert_eq!(normalize_label("*指标代码"), "指标代码");
    }

    #[test]
    fn plain_and_decorated_numbers() {
        assert_eq!(read_number(&CellValue::Number(12.5)), num(12.5));
        assert_eq!(text(" 12.5 "), num(12.5));
        assert_eq!(text("1,234.5"), num(1234.5));
        assert_eq!(text("1 234"), num(1234.0));
        assert_eq!(text("１，２３４．５"), num(1234.5));
        assert_eq!(text("\u{3000}８８\u{3000}"), num(88.0));
        assert_eq!(text("-3"), num(-3.0));
        assert_eq!(text("1e3"), num(1000.0));
        assert_eq!(text("12,000,000"), num(12e6));
        assert_eq!(text("-1,234"), num(-1234.0));
        assert_eq!(text("1, 234"), num(1234.0));
        assert_eq!(text("1'234"), num(1234.0));
        assert_eq!(text("'1234"), num(1234.0));
        assert_eq!(text("'1,234"), num(1234.0));
        assert!(matches!(
            text("0.5 万元"),
            Reading::Number { value: 0.5, .. }
        ));
        assert_eq!(text("12 000 000"), num(12e6));
        assert_eq!(
            text("85 %"),
            Reading::Number {
                value: 85.0,
                percent: true,
                trailing_unit: None
            }
        );
        for zero in [text("-0"), read_number(&CellValue::Number(-0.0))] {
            let Reading::Number { value, .. } = zero else {
                panic!("{zero:?}")
            };
            assert!(value == 0.0 && value.is_sign_positive(), "{value}");
        }
    }

    #[test]
    fn numbers_for_people_are_rounded() {
        assert_eq!(format_for_people(0.073333), "0.0733");
        assert_eq!(format_for_people(0.04), "0.04");
        assert_eq!(format_for_people(5.4321), "5.43");
        assert_eq!(format_for_people(12345.678), "12345.7");
        assert_eq!(format_for_people(2400.0), "2400");
        assert_eq!(format_for_people(-0.0001), "-0.0001");
        assert_eq!(format_for_people(0.0), "0");
    }

    #[test]
    fn percent_and_trailing_units() {
        assert_eq!(
            text("72.5%"),
            Reading::Number {
                value: 72.5,
                percent: true,
                trailing_unit: None
            }
        );
        assert_eq!(
            text("７２％"),
            Reading::Number {
                value: 72.0,
                percent: true,
                trailing_unit: None
            }
        );
        assert_eq!(
            text("3200万元"),
            Reading::Number {
                value: 3200.0,
                percent: false,
                trailing_unit: Some("万元".into())
            }
        );
    }

    /// The pattern's reading, as `read_number_text` does it without the
    /// fast path for plain digits.
    fn by_pattern(t: &str) -> Option<f64> {
        NUMBER.captures(t)?[1].parse().ok()
    }

    #[test]
    fn plain_digits_read_as_the_pattern_reads_them() {
        for t in [
            "0",
            "7",
            "-3",
            "+3",
            "12.",
            ".5",
            "-.5",
            "+0.25",
            "007",
            "1234567.891",
            "999999999999999",
            "0.1",
            "-0",
            "3.14159265358979323846",
        ] {
            assert!(is_plain_decimal(t), "{t}");
            assert_eq!(text(t), num(by_pattern(t).unwrap()), "{t}");
        }
        // Not plain: left to the pattern, which reads or refuses them.
        for t in [
            ".", "-", "+-1", "1.2.3", "1e5", "1 2", "1,2", "12%", "١٢", "inf", "NaN", "",
        ] {
            assert!(!is_plain_decimal(t), "{t}");
        }
        assert_eq!(text("1e5"), num(100000.0));
        assert_eq!(text("-.5"), num(-0.5));
    }

    #[test]
    fn numbers_print_as_rounding_to_six_decimals_would() {
        fn exact(n: f64) -> String {
            let s = format!("{n:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        // Fractions people's values and ratios come to, at every scale
        // the shortcut is taken for and beyond it; a fixed generator, so
        // that a failure can be replayed.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Values people type, with at most six decimals (the shortcut's
        // own ground: k / 10^d at every scale up to past 1e9), then
        // ratios with endless decimals (the exact rounding's).
        let mut shortcut = 0;
        for _ in 0..200_000 {
            let r = next();
            let decimals = (r % 7) as i32;
            let digits = 1 + (next() % 16);
            let n = (next() % 10u64.pow(digits as u32)) as f64 / 10f64.powi(decimals);
            let n = if r & (1 << 40) == 0 { n } else { -n };
            if n.fract() != 0.0 {
                shortcut += usize::from(n.abs() < 1e9);
                assert_eq!(format_number(n), exact(n), "{n:e}");
            }
        }
        assert!(shortcut > 100_000, "the shortcut taken {shortcut} times");
        for _ in 0..200_000 {
            let r = next();
            let scale = 10f64.powi((r % 24) as i32 - 9);
            let n = (next() % 1_000_000_007) as f64 / 997.0 * scale;
            let n = if r & (1 << 40) == 0 { n } else { -n };
            if n.fract() != 0.0 {
                assert_eq!(format_number(n), exact(n), "{n:e}");
            }
        }
        for n in [
            0.1,
            0.7,
            1.0 / 3.0,
            2.0 / 3.0,
            0.000_000_5,
            123.456_789_5,
            999_999_999.5,
            1e-7,
        ] {
            assert_eq!(format_number(n), exact(n), "{n:e}");
            assert_eq!(format_number(-n), exact(-n), "{n:e}");
        }
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_number(1.0 / 3.0), "0.333333");
        assert_eq!(format_number(1e-7), "0");
    }

    #[test]
    fn zero_words_are_zero() {
        for z in ["-", "—", "/", "无", "－", " 无 "] {
            assert_eq!(text(z), num(0.0), "{z}");
        }
    }

    #[test]
    fn what_is_not_a_number() {
        assert_eq!(text("待统计"), Reading::NotANumber("待统计".into()));
        assert_eq!(text("约300"), Reading::NotANumber("约300".into()));
        assert_eq!(text("12.3.4"), Reading::NotANumber("12.3.4".into()));
        // Decimal commas, which as thousands separators would make a
        // number 10 to 1000 times too large.
        for t in [
            "1800,5",
            "1,2",
            "12,34",
            "0,05",
            "1.234,5",
            "1,0",
            "1,2345",
            "0,500",
            "-0,125",
            "1800 5",
            "0 5",
            "1'23",
            "12 34 万元",
            "0.5 6",
            "1,234.5 6",
        ] {
            assert_eq!(text(t), Reading::NotANumber(t.into()), "{t}");
        }
        // Too large to be a figure: infinity is no value.
        let digits = "9".repeat(400);
        for t in ["1e309", "-1e309", digits.as_str(), "1e309 万元"] {
            assert_eq!(text(t), Reading::NotANumber(t.into()), "{t}");
        }
        assert_eq!(
            text("300（预计）"),
            Reading::NotANumber("300（预计）".into())
        );
        assert_eq!(
            read_number(&CellValue::Bool(true)),
            Reading::NotANumber("TRUE".into())
        );
        assert!(matches!(
            read_number(&CellValue::Date(
                NaiveDate::from_ymd_opt(2022, 3, 1).unwrap()
            )),
            Reading::NotANumber(_)
        ));
    }

    #[test]
    fn empty_errors_and_uncached_formulas() {
        assert_eq!(read_number(&CellValue::Empty), Reading::Missing);
        assert_eq!(text("   "), Reading::Missing);
        assert_eq!(
            read_number(&CellValue::Error("#DIV/0!".into())),
            Reading::FormulaError("#DIV/0!".into())
        );
        assert_eq!(text("#REF!"), Reading::FormulaError("#REF!".into()));
        assert_eq!(
            read_number(&CellValue::UncachedFormula("SUM(C3:C5)".into())),
            Reading::FormulaError("=SUM(C3:C5)".into())
        );
    }

    #[test]
    fn percent_values_become_fractions() {
        assert_eq!(as_fraction(70.0, true), 0.7);
        assert_eq!(as_fraction(70.0, false), 0.7);
        assert_eq!(as_fraction(0.7, false), 0.7);
        assert!(is_percent_unit("％"));
        assert!(!is_percent_unit("万元"));
        // Spaced as people type them, half- or full-width.
        for uom in [" % ", "\u{3000}百分比", "百分点\u{200B}", "\u{a0}％"] {
            assert!(is_percent_unit(uom), "{uom:?}");
        }
        assert!(!is_percent_unit("%%"));
        assert!(!is_percent_unit("百分"));
    }

    #[test]
    fn dates_in_common_spellings() {
        let d = NaiveDate::from_ymd_opt(2022, 7, 5);
        assert_eq!(find_date("2022-07-05"), d);
        assert_eq!(find_date("2022/7/5"), d);
        assert_eq!(find_date("2022.7.5"), d);
        assert_eq!(find_date("填报日期：2022年7月5日"), d);
        assert_eq!(find_date("２０２２年７月５日"), d);
        assert_eq!(find_date("2022年13月5日"), None);
        assert_eq!(find_date("二〇二二年七月五日"), d);
        assert_eq!(find_date("填报日期：20220705"), d);
        assert_eq!(find_date("2022-02-30"), None);
        assert_eq!(find_date("202207051"), None);
        assert_eq!(
            find_date("二〇二二年十二月三十一日"),
            NaiveDate::from_ymd_opt(2022, 12, 31)
        );
        assert_eq!(find_month_day("填报日期：4月7日"), Some((4, 7)));
        assert_eq!(find_month_day("十月二十日"), Some((10, 20)));
        assert_eq!(find_month_day("4月"), None);
        assert_eq!(
            read_date(&CellValue::Number(20_220_705.0)),
            NaiveDate::from_ymd_opt(2022, 7, 5)
        );
        assert_eq!(read_date(&CellValue::Number(20_221_305.0)), None);
        assert_eq!(read_date(&CellValue::Number(44747.0)), d);
        assert_eq!(read_date(&CellValue::Date(d.unwrap())), d);
    }

    #[test]
    fn figures_are_kept_to_twelve_significant_digits() {
        assert_eq!(stable(0.8500000000000001), 0.85);
        assert_eq!(stable(0.1 + 0.2), 0.3);
        assert_eq!(stable(123_456.789), 123_456.789);
        assert_eq!(stable(0.0), 0.0);
        assert_eq!(significant(0.850_000_000_000_000_1, 15), 0.85);
        assert_eq!(
            significant(123_456_789_012_345.0, 15),
            123_456_789_012_345.0
        );
        for t in ["1E308", "1e15", "-2000000000000000"] {
            assert_eq!(text(t), Reading::NotANumber(t.into()), "{t}");
        }
        assert_eq!(
            read_number(&CellValue::Number(1e308)),
            Reading::NotANumber("1e308".into())
        );
        assert_eq!(text("999999999999999"), num(999_999_999_999_999.0));
    }

    #[test]
    fn codes_keep_their_brackets() {
        assert_eq!(code_key("ＦＡ０１ "), code_key("fa01"));
        assert_eq!(code_key("3（1）"), code_key("3(1)"));
        assert_eq!(code_key("3【1】"), code_key("3[1]"));
        assert_eq!(code_key("3[1]"), code_key("3(1)"));
        assert_ne!(code_key("3(1)"), code_key("3(2)"));
        assert_ne!(code_key("（一）"), code_key("（二）"));
        assert_ne!(code_key("（一）"), "");
        // A label loses them: the reason codes have their own key.
        assert_eq!(normalize_label("3(1)"), normalize_label("3(2)"));
    }

    #[test]
    fn a_figure_typed_exactly_at_a_limit_is_at_it() {
        // Binary arithmetic puts each left side a hair off the right one.
        assert!(1.23 / 2.05 > 0.6 && at_most(1.23 / 2.05, 0.6));
        assert!(2.01 / 3.35 < 0.6 && at_least(2.01 / 3.35, 0.6));
        assert!(13.0 * 0.9 > 11.7 && at_least(11.7, 13.0 * 0.9));
        assert!(about_equal(0.1 + 0.2, 0.3, 0.0));
        // A real difference still counts, large or small.
        assert!(!at_least(11.69, 11.7));
        assert!(!at_most(1_000_000.01, 1_000_000.0));
        assert!(!at_least(9_999_999_995.0, 1e10));
        // Nothing is at or beyond what cannot be compared.
        assert!(!at_least(f64::NAN, 1.0) && !at_most(f64::NAN, 1.0));
        assert!(!about_equal(0.5, 0.6, 0.05));
        assert!(about_equal(0.5, 0.6, 0.1));
    }

    #[test]
    fn percentages_round_half_away_from_zero_as_a_cell_shows_them() {
        // `{:.1}` would give 1.2% and 6.2% (ties to even, and 0.0625's
        // binary form); a `0.0%` cell shows 1.3% and 6.3%.
        assert_eq!(percent(0.0125), "1.3%");
        assert_eq!(percent(0.0625), "6.3%");
        assert_eq!(percent(0.7245), "72.5%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent(-0.0125), "-1.3%");
        assert_eq!(percent(-0.00001), "0.0%");
        assert_eq!(percent_rounded(0.8146), 81.5);
    }
}
