//! Reporting periods and the share of the year they cover (时间进度).
//!
//! Every report is cumulative from 1 January, so a period is reduced to its
//! year and its end date; `elapsed` is the fraction of the year behind us at
//! that end (CONTRACT.md section 3).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use regex::Regex;

use super::value::{chinese_numerals, fold};

/// Days after a period's end by which units are asked to report it.
pub const REPORT_DAYS: i64 = 5;

/// A reporting period: a year, a quarter, a month or an ISO week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// `2022`
    Year(i32),
    /// `2022-Q2`
    Quarter(i32, u32),
    /// `2022-06`
    Month(i32, u32),
    /// `2022-W23` (ISO week)
    Week(i32, u32),
}

/// Why a period could not be read: the text, and what is wrong with it
/// where it has the right shape (a 13th month).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{text}”不是有效的期别{}；{FORMS}", .why.as_ref().map(|w| format!("（{w}）")).unwrap_or_default())]
pub struct PeriodError {
    pub text: String,
    pub why: Option<String>,
}

const FORMS: &str = "请写成 2022-03（或 2022年3月）、2022-Q2（或 2022年第二季度）、2022-W23（或 2022年第23周）或 2022";

impl PeriodError {
    /// What is wrong and how to write a period, without quoting the text
    /// (for a sentence that already does).
    pub fn advice(&self) -> String {
        match &self.why {
            Some(why) => format!("{why}；{FORMS}"),
            None => FORMS.to_string(),
        }
    }
}

/// `2022年3月`, `2022年第二季度`, `2022年二季度`, `2022年第23周`, `2022年`.
static CHINESE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4})年(?:(\d{1,2})月|第?([一二三四1-4])季度|第(\d{1,2})周)?$")
        .expect("valid regex")
});

/// A period written the Chinese way, as its code (`2022-03`).
fn from_chinese(s: &str) -> Option<String> {
    let folded: String = fold(s).chars().filter(|c| !c.is_whitespace()).collect();
    let caps = CHINESE.captures(&folded)?;
    let year = &caps[1];
    Some(if let Some(m) = caps.get(2) {
        format!("{year}-{}", m.as_str())
    } else if let Some(q) = caps.get(3) {
        let q = match q.as_str() {
            "一" => "1",
            "二" => "2",
            "三" => "3",
            "四" => "4",
            digit => digit,
        };
        format!("{year}-Q{q}")
    } else if let Some(w) = caps.get(4) {
        format!("{year}-W{}", w.as_str())
    } else {
        year.to_string()
    })
}

impl FromStr for Period {
    type Err = PeriodError;

    /// Parses `2022`, `2022-Q2`, `2022-06` or `2022-W23` (case-insensitive),
    /// and the same written the Chinese way: `2022年`, `2022年第二季度`,
    /// `2022年3月`, `2022年第23周`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError {
            text: s.to_string(),
            why: None,
        };
        let t = from_chinese(s).unwrap_or_else(|| s.trim().to_ascii_uppercase());
        let (year, rest) = match t.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (t.as_str(), None),
        };
        if year.len() != 4 {
            return Err(err());
        }
        let year: i32 = year.parse().map_err(|_| err())?;
        let number = |r: &str| r.parse::<u32>().map_err(|_| err());
        let period = match rest {
            None => Period::Year(year),
            Some(r) if r.starts_with('Q') => Period::Quarter(year, number(&r[1..])?),
            Some(r) if r.starts_with('W') => Period::Week(year, number(&r[1..])?),
            Some(r) => Period::Month(year, number(r)?),
        };
        // Excel's dates run from 1900 to 9999, and a period's due date may
        // fall in the next year: a year outside would stop the run halfway
        // through writing its workbooks.
        if !(1900..=9998).contains(&year) {
            return Err(PeriodError {
                why: Some("年份只能是 1900 到 9998".into()),
                ..err()
            });
        }
        let why = match period {
            Period::Year(_) => None,
            Period::Quarter(_, q) => (!(1..=4).contains(&q)).then(|| "季度只能是 1 到 4".into()),
            Period::Month(_, m) => (!(1..=12).contains(&m)).then(|| "月份只能是 1 到 12".into()),
            Period::Week(y, w) => (w < 1
                || NaiveDate::from_isoywd_opt(y, w, Weekday::Sun).is_none())
            .then(|| format!("{y} 年的周次只能是 1 到 {}", weeks_in(y))),
        };
        match why {
            None => Ok(period),
            Some(why) => Err(PeriodError {
                why: Some(why),
                ..err()
            }),
        }
    }
}

/// ISO weeks in `year`: 52 or 53.
fn weeks_in(year: i32) -> u32 {
    if NaiveDate::from_isoywd_opt(year, 53, Weekday::Mon).is_some() {
        53
    } else {
        52
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
            Period::Week(y, w) => write!(f, "{y}-W{w:02}"),
        }
    }
}

impl Period {
    /// The calendar year the cumulative figures belong to.
    pub fn year(&self) -> i32 {
        match *self {
            Period::Year(y) | Period::Quarter(y, _) | Period::Month(y, _) | Period::Week(y, _) => y,
        }
    }

    /// The last day of the period.
    pub fn end_date(&self) -> NaiveDate {
        let month_end = |y: i32, m: u32| {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            NaiveDate::from_ymd_opt(ny, nm, 1)
                .and_then(|d| d.pred_opt())
                .expect("validated month")
        };
        match *self {
            Period::Year(y) => month_end(y, 12),
            Period::Quarter(y, q) => month_end(y, q * 3),
            Period::Month(y, m) => month_end(y, m),
            Period::Week(y, w) => {
                NaiveDate::from_isoywd_opt(y, w, Weekday::Sun).expect("validated week")
            }
        }
    }

    /// Share of the year elapsed at the period's end, in `0..=1`.
    ///
    /// Months, quarters and years count whole months; a week counts the day
    /// of year of its Sunday. A week whose Sunday falls in January of the next
    /// year (ISO week 52/53) counts as the whole year.
    pub fn elapsed(&self) -> f64 {
        match *self {
            Period::Year(_) => 1.0,
            Period::Quarter(_, q) => f64::from(q * 3) / 12.0,
            Period::Month(_, m) => f64::from(m) / 12.0,
            Period::Week(y, _) => {
                let sunday = self.end_date();
                if sunday.year() > y {
                    1.0
                } else {
                    day_fraction(sunday)
                }
            }
        }
    }

    /// The date by which a unit must report the period (and resend a
    /// corrected file): [`REPORT_DAYS`] after its end. Templates, feedback
    /// and reminders all quote it.
    pub fn due_date(&self) -> NaiveDate {
        self.end_date() + chrono::Duration::days(REPORT_DAYS)
    }

    /// The first day of the period's year: every report counts from it.
    pub fn year_start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), 1, 1).expect("valid year")
    }

    /// The first day the period covers on its own (its month's, quarter's
    /// or week's first; a week 1 may begin in December).
    pub fn start_date(&self) -> NaiveDate {
        let first = |m: u32| NaiveDate::from_ymd_opt(self.year(), m, 1).expect("validated month");
        match *self {
            Period::Year(_) => first(1),
            Period::Quarter(_, q) => first(q * 3 - 2),
            Period::Month(_, m) => first(m),
            Period::Week(y, w) => {
                NaiveDate::from_isoywd_opt(y, w, Weekday::Mon).expect("validated week")
            }
        }
    }

    /// How the period is written for people: 2022年3月, 2022年第二季度 ...
    pub fn label(&self) -> String {
        const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];
        match *self {
            Period::Year(y) => format!("{y}年"),
            Period::Quarter(y, q) => format!("{y}年第{}季度", QUARTERS[(q - 1) as usize]),
            Period::Month(y, m) => format!("{y}年{m}月"),
            Period::Week(y, w) => format!("{y}年第{w}周"),
        }
    }
}

/// Months and years in Chinese numerals (`二月份`, `一至二月`,
/// `二〇二二年十二月`) as digits; only a month's or a year's whole number,
/// so `一二月` (January and February) names no twelfth month, and
/// `十三五` no month at all.
fn months_in_digits(text: &str) -> Cow<'_, str> {
    static CHINESE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?:(?:十[一二]?|[一二三四五六七八九])[至到~—-])?(?:十[一二]?|[一二三四五六七八九])月|[〇零一二三四五六七八九]{4}年",
        )
        .expect("valid regex")
    });
    CHINESE.replace_all(text, |c: &regex::Captures<'_>| {
        let whole = &c[0];
        let start = c.get(0).map_or(0, |m| m.start());
        // Part of a longer run (`一二月`), or a rate (`一月一报`,
        // `一月一调度`): left as it is.
        let end = c.get(0).map_or(0, |m| m.end());
        let is_numeral = |c: char| "〇零一二三四五六七八九十".contains(c);
        let before = text[..start].chars().next_back();
        // After a month, numerals then 日 or 号 are its day (`二月二十八日`);
        // then anything else, a rate.
        let mut after = text[end..].chars().skip_while(|&c| is_numeral(c));
        let rate =
            text[end..].starts_with(is_numeral) && !matches!(after.next(), Some('日' | '号'));
        if before.is_some_and(is_numeral) || whole.ends_with('月') && rate {
            return whole.to_string();
        }
        chinese_numerals(whole).into_owned()
    })
}

/// A text's dates to the day as the months they name a period by: a
/// date a span runs through (`截至3月31日`, `…至3月31日`) is its month; any
/// other (`报送时间：2022年4月6日`, `请于4月5日前报送`, the first day of
/// `2022年1月1日至3月31日`) names no period and goes.
fn through_days(text: &str) -> Cow<'_, str> {
    static DAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(截至|截止到|截止|至|到|[-—~])?\s*(\d{4}\s*年)?\s*(\d{1,2})\s*月\s*\d{1,2}\s*[日号]",
        )
        .expect("valid regex")
    });
    DAY.replace_all(text, |c: &regex::Captures<'_>| match c.get(1) {
        Some(through) => format!(
            "{}{}{}月",
            through.as_str(),
            c.get(2).map_or("", |y| y.as_str()),
            &c[3]
        ),
        None => " ".to_string(),
    })
}

/// The month a text names as the end of what it covers: `2022年3月`,
/// `1-3月` (a range: its last month), `2022-03`, `一季度`/`第三季度` (its
/// last month), `3月`; with the year when the text gives it. What a title
/// or a file name says a workbook is for (CONTRACT.md section 5).
pub fn named_month(text: &str) -> Option<(Option<i32>, u32)> {
    // The quarter's pattern, whose number is a quarter's, not a month's.
    const QUARTER: usize = 5;
    static PATTERNS: LazyLock<[Regex; 7]> = LazyLock::new(|| {
        [
            // `2021年12月-2022年3月`: the range's end, with its own year.
            r"\d{4}年\s*\d{1,2}\s*月?\s*[-—~至到]\s*(\d{4})\s*年\s*(\d{1,2})\s*月",
            r"(\d{4})年\s*\d{1,2}\s*月?\s*[-—~至到]\s*(\d{1,2})\s*月",
            r"(\d{4})\s*年\s*(\d{1,2})\s*月",
            r"(\d{4})\s*[-./_]\s*(\d{1,2})(?:[^\d./-]|$)",
            r"()\d{1,2}\s*月?\s*[-—~至到]\s*(\d{1,2})\s*月",
            r"(\d{4})?\s*年?\s*第?([一二三四1-4])\s*季度",
            r"()(\d{1,2})\s*月",
        ]
        .map(|p| Regex::new(p).expect("valid regex"))
    });
    let folded = fold(text);
    let folded = months_in_digits(&folded);
    let folded = through_days(&folded);
    for (k, re) in PATTERNS.iter().enumerate() {
        let Some(caps) = re.captures(&folded) else {
            continue;
        };
        let year = caps.get(1).and_then(|y| y.as_str().parse().ok());
        let n = match &caps[2] {
            "一" => 1,
            "二" => 2,
            "三" => 3,
            "四" => 4,
            d => d.parse().ok()?,
        };
        let month = if k == QUARTER { n * 3 } else { n };
        if (1..=12).contains(&month) {
            return Some((year, month));
        }
    }
    None
}

impl Period {
    /// Whether a file naming `(year, last month)` may be for this period:
    /// its last month is the period's (a week is never contradicted).
    pub fn agrees_with(&self, named: (Option<i32>, u32)) -> bool {
        let (year, month) = named;
        let last = match *self {
            Period::Year(_) => 12,
            Period::Quarter(_, q) => q * 3,
            Period::Month(_, m) => m,
            Period::Week(..) => return true,
        };
        month == last && year.is_none_or(|y| y == self.year())
    }
}

/// How a column's header label names a period (see [`Period::naming`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// This period's total: `1-3月`, `截至3月底`, `2022年` in March 2022.
    This,
    /// This period's as `3月累计`, which beside `1-3月累计` may be March's
    /// own total: the span from January is the surer name.
    Loosely,
    /// Another period's: `1-2月累计`, `2021年`, a lone `2月`.
    Other,
}

impl Period {
    /// How a column's header label names this period (`1-3月`, `1-3月累计`,
    /// `截至3月底累计完成`, `本年累计（1月1日-3月31日）`, `2022年` in March
    /// 2022), another (`1-2月累计`, `2021年`, a lone `2月`), or neither
    /// (`None`). Only a total from January or through a date counts, and a
    /// year: a lone `3月` may be March's own figure, and
    /// `本年累计（按2020年不变价）` or `（4月5日前报送）` name no period. A
    /// week is named by no header.
    pub fn naming(&self, text: &str) -> Option<Naming> {
        if matches!(self, Period::Week(..)) {
            return None;
        }
        let named = header_parts(text)
            .into_iter()
            .find_map(|p| header_period(&p))?;
        let this = |yes: bool| if yes { Naming::This } else { Naming::Other };
        match named {
            // Another year's is another period's, whatever its months.
            (Some(y), _) if y != self.year() => Some(Naming::Other),
            (year, Some((month, span))) => match (self.agrees_with((year, month)), span) {
                (true, Span::Lone) => None,
                (true, Span::Loose) => Some(Naming::Loosely),
                (agrees, _) => Some(this(agrees)),
            },
            (year, None) => Some(this(year == Some(self.year()))),
        }
    }

    /// [`Period::naming`] as yes (this period's, surely or loosely), no
    /// (another's) or neither.
    pub fn named_in(&self, text: &str) -> Option<bool> {
        self.naming(text).map(|n| n != Naming::Other)
    }
}

/// A label's text outside brackets, then each bracketed part, folded and
/// without spaces: `本年累计`, `1-3月` of `本年累计（1-3月）`.
fn header_parts(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    for c in months_in_digits(&fold(text))
        .chars()
        .filter(|c| !c.is_whitespace())
    {
        match c {
            '(' | '[' | '【' | '〔' => {
                depth += 1;
                parts.push(String::new());
            }
            ')' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            c if depth == 0 => parts[0].push(c),
            c => parts.last_mut().expect("pushed").push(c),
        }
    }
    parts
}

/// How a header part gives its last month (see [`Period::naming`]).
#[derive(Clone, Copy, PartialEq)]
enum Span {
    /// From January or through a date: `1-3月`, `截至3月底`.
    Sure,
    /// `3月累计`.
    Loose,
    /// `3月`, `2021年3月`: maybe the month's own figure.
    Lone,
}

/// The year and last month a header part names; no month for a year
/// alone.
type HeaderPeriod = (Option<i32>, Option<(u32, Span)>);

/// A header part naming a span: `截至` (1), a year (2), `1-` (3), the last
/// month (4), `底` (5), and what follows (6): `1-3月累计`, `截至3月底`,
/// `至3月止`. The same spellings as `vocabulary::THROUGH`.
static SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(截至到?|截止到?|至)?(?:(\d{4})年)?",
        r"(1月?(?:1日)?[-—~至到](?:\d{4}年)?)?",
        r"(\d{1,2})月份?(?:\d{1,2}日)?(底|末|止)?",
        r"([累计完成数值实际情况]*)$",
    ))
    .expect("valid regex")
});

fn header_period(part: &str) -> Option<HeaderPeriod> {
    static YEAR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{4})年?度?(?:累计|完成|累计完成)?(?:数|值)?$").expect("valid regex")
    });
    let year = |y: Option<regex::Match>| y.and_then(|y| y.as_str().parse::<i32>().ok());
    if let Some(c) = SPAN.captures(part) {
        let span = if c.get(1).is_some() || c.get(3).is_some() || c.get(5).is_some() {
            Span::Sure
        } else if c[6].contains("累计") {
            Span::Loose
        } else {
            Span::Lone
        };
        let month: u32 = c[4].parse().ok()?;
        let month = (1..=12).contains(&month).then_some(month)?;
        return Some((year(c.get(2)), Some((month, span))));
    }
    let c = YEAR.captures(part)?;
    let y = year(c.get(1))?;
    (1900..=2099).contains(&y).then_some((Some(y), None))
}

/// A date as people write it: `2022年4月5日`.
pub fn date_cn(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A span within one year as people write it: `2022年1月1日至3月31日`.
pub fn span_cn(from: NaiveDate, to: NaiveDate) -> String {
    if from.year() == to.year() {
        format!("{}至{}月{}日", date_cn(from), to.month(), to.day())
    } else {
        format!("{}至{}", date_cn(from), date_cn(to))
    }
}

/// Day of year of `date` divided by the days in its year.
pub fn day_fraction(date: NaiveDate) -> f64 {
    let days_in_year = if NaiveDate::from_ymd_opt(date.year(), 2, 29).is_some() {
        366.0
    } else {
        365.0
    };
    f64::from(date.ordinal()) / days_in_year
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[test]
    fn parses_every_form_and_round_trips() {
        for s in ["2022", "2022-Q2", "2022-06", "2022-W23"] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p("2022-q3"), Period::Quarter(2022, 3));
        assert_eq!(p(" 2022-3 "), Period::Month(2022, 3));
    }

    #[test]
    fn chinese_spellings_are_the_same_periods() {
        assert_eq!(p("2022年3月"), p("2022-03"));
        assert_eq!(p("２０２２年１２月"), p("2022-12"));
        assert_eq!(p("2022年第二季度"), p("2022-Q2"));
        assert_eq!(p("2022年二季度"), p("2022-Q2"));
        assert_eq!(p("2022年第4季度"), p("2022-Q4"));
        assert_eq!(p("2022年第23周"), p("2022-W23"));
        assert_eq!(p("2022年"), p("2022"));
        for bad in ["2022年13月", "2022年第五季度", "2022年第54周", "22年3月"] {
            assert!(bad.parse::<Period>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn rejects_impossible_periods() {
        for s in [
            "", "22", "2022-13", "2022-Q5", "2022-Q0", "2022-W54", "2021-W53", "2022-xx",
            "0001-01", "1899", "9999-12",
        ] {
            assert!(s.parse::<Period>().is_err(), "{s} should be refused");
        }
        // 2020 had 53 ISO weeks.
        assert!("2020-W53".parse::<Period>().is_ok());
    }

    #[test]
    fn elapsed_counts_months_for_months_quarters_and_years() {
        assert_eq!(p("2022-03").elapsed(), 0.25);
        assert_eq!(p("2022-Q2").elapsed(), 0.5);
        assert_eq!(p("2022").elapsed(), 1.0);
        assert_eq!(
            p("2022-12").end_date(),
            NaiveDate::from_ymd_opt(2022, 12, 31).unwrap()
        );
        assert_eq!(
            p("2024-02").end_date(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn elapsed_of_a_week_is_its_sunday_over_the_days_of_the_year() {
        // ISO week 23 of 2022 ends on Sunday 12 June, day 163 of 365.
        let w = p("2022-W23");
        assert_eq!(w.end_date(), NaiveDate::from_ymd_opt(2022, 6, 12).unwrap());
        assert!((w.elapsed() - 163.0 / 365.0).abs() < 1e-12);
        // Leap year: 2024-W01 ends Sunday 7 January, day 7 of 366.
        assert!((p("2024-W01").elapsed() - 7.0 / 366.0).abs() < 1e-12);
        // 2020-W53 ends on 3 January 2021: the whole of 2020 is behind us.
        assert_eq!(p("2020-W53").elapsed(), 1.0);
    }

    #[test]
    fn the_period_a_title_names() {
        assert_eq!(
            named_month("2022年3月重点工作任务完成情况"),
            Some((Some(2022), 3))
        );
        assert_eq!(
            named_month("位奇镇重点工作进展情况（2022年1-3月）"),
            Some((Some(2022), 3))
        );
        assert_eq!(
            named_month("李桥乡2022年一季度重点任务推进情况"),
            Some((Some(2022), 3))
        );
        assert_eq!(named_month("第三季度"), Some((None, 9)));
        assert_eq!(named_month("发改局3月报表"), Some((None, 3)));
        assert_eq!(named_month("大马营镇-3月"), Some((None, 3)));
        assert_eq!(named_month("报表 2022-03"), Some((Some(2022), 3)));
        assert_eq!(named_month("清泉镇"), None);
        // In Chinese numerals, as titles are typed.
        assert_eq!(named_month("2022年二月份工作进展"), Some((Some(2022), 2)));
        assert_eq!(named_month("一至二月完成情况"), Some((None, 2)));
        assert_eq!(named_month("二〇二二年十二月"), Some((Some(2022), 12)));
        assert_eq!(named_month("十一月报表"), Some((None, 11)));
        // `一二月` is January and February, no twelfth month; `十三五` no month.
        assert_eq!(named_month("一二月"), None);
        assert_eq!(named_month("十三五规划重点任务"), None);
        assert_eq!(named_month("重点工作推进情况（一月一报）"), None);
        assert_eq!(
            named_month("截至二〇二二年二月二十八日重点工作完成情况"),
            Some((Some(2022), 2))
        );
        // Days: a date a span runs through names its month; any other
        // date (of reporting, of a deadline) names no period.
        assert_eq!(
            named_month("统计时段：2022年1月1日至3月31日"),
            Some((None, 3))
        );
        assert_eq!(named_month("截至2022年3月31日"), Some((Some(2022), 3)));
        assert_eq!(named_month("报送时间：2022年4月6日"), None);
        assert_eq!(named_month("（请于4月5日前报送）"), None);
        assert_eq!(
            named_month("2022年3月工作进展（4月6日报送）"),
            Some((Some(2022), 3))
        );
        assert_eq!(named_month("1月-3月累计"), Some((None, 3)));
        assert_eq!(named_month("2022年1月至3月"), Some((Some(2022), 3)));
        assert_eq!(
            named_month("清泉镇2022年1月-2022年3月"),
            Some((Some(2022), 3))
        );
        assert_eq!(named_month("2021年12月-2022年3月"), Some((Some(2022), 3)));
        assert_eq!(named_month("2022年第二季度"), Some((Some(2022), 6)));
        assert!(p("2022-03").agrees_with((Some(2022), 3)));
        assert!(p("2022-Q1").agrees_with((None, 3)));
        assert!(!p("2022-04").agrees_with((None, 3)));
        assert!(!p("2022-03").agrees_with((Some(2021), 3)));
    }

    #[test]
    fn a_period_starts_on_its_own_first_day() {
        assert_eq!(p("2022").start_date().to_string(), "2022-01-01");
        assert_eq!(p("2022-Q2").start_date().to_string(), "2022-04-01");
        assert_eq!(p("2022-12").start_date().to_string(), "2022-12-01");
        assert_eq!(p("2026-W01").start_date().to_string(), "2025-12-29");
    }

    #[test]
    fn a_header_label_names_this_period_or_another() {
        let march = p("2022-03");
        for this in [
            "1-3月",
            "1-3月累计",
            "1月-3月累计完成",
            "本年累计（1-3月）",
            "截至3月底累计完成",
            "截止3月31日累计完成",
            "本年累计（1月1日-3月31日）",
            "本年累计（2022年1月1日至3月31日）",
            "2022年1-3月累计",
            "本年累计（2022年）",
            "2022年",
            "2022年累计",
            "至3月止累计",
            "截止到3月底累计完成",
            "一至三月累计",
            "截至三月底累计完成",
        ] {
            assert_eq!(march.named_in(this), Some(true), "{this}");
        }
        for other in [
            "1-2月累计",
            "截至2021年3月底",
            "2021年",
            "2021年1-3月累计",
            "截至2月底",
            "2021年3月",
            "2月累计",
            "2月",
            "本年累计〔2021年〕",
            "本年累计（二月）",
            "一至二月累计",
        ] {
            assert_eq!(march.named_in(other), Some(false), "{other}");
        }
        assert_eq!(p("2022-Q1").named_in("1-3月累计"), Some(true));
        assert_eq!(
            p("2022-Q2").named_in("本年累计（1月1日-6月30日）"),
            Some(true)
        );
        assert_eq!(p("2022").named_in("1-11月"), Some(false));
        for none in [
            "本年累计",
            "累计完成（万元）",
            "本月止累计",
            "3月",
            "本年累计（按2020年不变价）",
            "本年累计（GB/T4754-2017口径）",
            "本年累计完成（不含2021年结转）",
            "本年累计（自1月1日起）",
            "本年累计（4月5日前报送）",
            "本年累计（4月1日-6月30日）",
            "2022年3月",
        ] {
            assert_eq!(march.named_in(none), None, "{none}");
        }
        assert_eq!(p("2022-W12").named_in("1-3月"), None);
    }

    #[test]
    fn dates_are_written_the_chinese_way() {
        let p = p("2022-03");
        assert_eq!(
            span_cn(p.year_start(), p.end_date()),
            "2022年1月1日至3月31日"
        );
        assert_eq!(date_cn(p.due_date()), "2022年4月5日");
    }

    #[test]
    fn labels_are_chinese() {
        assert_eq!(p("2022-03").label(), "2022年3月");
        assert_eq!(p("2022-Q2").label(), "2022年第二季度");
    }
}
