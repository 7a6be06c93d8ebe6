//! The bureau's own validation rules (规则, CONTRACT.md section 12): one
//! relation between indicator values per row, such as
//! `NY02 <= NY03` (特色产业增加值不能大于农业增加值).
//!
//! Expressions are parsed once, here, into a typed [`Expr`] whose codes are
//! already the plan's indicators; the checker (validate::rules) and the
//! template's live formatting (template) each translate that tree, so
//! neither parses text again.

use std::fmt;

use crate::model::value::{about_equal, at_least, at_most, fold};
use crate::model::{IndicatorId, Severity, UnitId, UnitKind};

use super::Plan;

/// How the two sides of a rule must compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
    Ne,
}

impl Operator {
    /// Reads `<=` `<` `>=` `>` `==` `!=` and `≤` `≥` `≠` `=`.
    pub fn parse(s: &str) -> Option<Operator> {
        Some(match fold(s).trim() {
            "<=" | "≤" | "=<" => Operator::Le,
            "<" => Operator::Lt,
            ">=" | "≥" | "=>" => Operator::Ge,
            ">" => Operator::Gt,
            "==" | "=" => Operator::Eq,
            "!=" | "≠" | "<>" => Operator::Ne,
            _ => return None,
        })
    }

    /// The operator as written in a formula (Excel's spelling).
    pub fn excel(self) -> &'static str {
        match self {
            Operator::Le => "<=",
            Operator::Lt => "<",
            Operator::Ge => ">=",
            Operator::Gt => ">",
            Operator::Eq => "=",
            Operator::Ne => "<>",
        }
    }

    /// The operator as people read it: `≤`, `≥` ...
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Le => "≤",
            Operator::Lt => "<",
            Operator::Ge => "≥",
            Operator::Gt => ">",
            Operator::Eq => "=",
            Operator::Ne => "≠",
        }
    }

    /// Whether `left op right` holds. Equality allows `tolerance`; every
    /// comparison allows for the rounding of decimal arithmetic, so
    /// `0.1 + 0.2 == 0.3` holds as a clerk expects.
    pub fn holds(self, left: f64, right: f64, tolerance: f64) -> bool {
        match self {
            Operator::Le => at_most(left, right),
            Operator::Lt => !at_least(left, right),
            Operator::Ge => at_least(left, right),
            Operator::Gt => !at_most(left, right),
            Operator::Eq => about_equal(left, right, tolerance),
            Operator::Ne => !about_equal(left, right, tolerance),
        }
    }
}

/// The arithmetic of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    fn symbol(self) -> char {
        match self {
            BinaryOp::Add => '+',
            BinaryOp::Sub => '-',
            BinaryOp::Mul => '*',
            BinaryOp::Div => '/',
        }
    }

    /// The operation on two numbers; division by zero gives no number.
    pub fn apply(self, a: f64, b: f64) -> Option<f64> {
        let v = match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
        };
        v.is_finite().then_some(v)
    }
}

/// How many sets of made-up values a divisor is tried with before it is
/// judged zero whatever the values: one that cancels is zero in every
/// trial; one that does not is zero in all of them only if each trial hit
/// one of its roots.
const ZERO_TRIALS: u32 = 4;

/// A made-up value for trial `t`: positive (a valid value is never below
/// zero: `negative_value`), a fraction in every other trial (rates are
/// held as fractions: `1 - min(WS01, 1)` is zero only from 1 up) and
/// above 1 in the others, non-integer, different for each indicator,
/// this period's and the previous one's, and each trial.
fn trial_value(n: Needed, t: u32) -> f64 {
    let k = u64::from(n.indicator.as_u32()) * 2 + u64::from(n.previous);
    let mixed = ((k * 7919 + u64::from(t) * 104_729) % 10_007) as f64;
    if t.is_multiple_of(2) {
        0.05 + mixed / 10_007.0 * 0.9
    } else {
        1.0 + mixed * 0.618_034
    }
}

/// One side of a rule, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    /// The unit's (or county's) valid value of an indicator this period.
    Value(IndicatorId),
    /// Its value in the previous stored period of the year.
    Prev(IndicatorId),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Abs(Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
}

/// A value an expression needs: an indicator, this period or the previous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Needed {
    pub indicator: IndicatorId,
    pub previous: bool,
}

impl Expr {
    /// The values the expression reads, in the order written, each once.
    pub fn needs(&self) -> Vec<Needed> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            let n = match *e {
                Expr::Value(i) => Needed {
                    indicator: i,
                    previous: false,
                },
                Expr::Prev(i) => Needed {
                    indicator: i,
                    previous: true,
                },
                _ => return,
            };
            if !out.contains(&n) {
                out.push(n);
            }
        });
        out
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Number(_) | Expr::Value(_) | Expr::Prev(_) => {}
            Expr::Neg(a) | Expr::Abs(a) => a.visit(f),
            Expr::Binary(_, a, b) | Expr::Min(a, b) | Expr::Max(a, b) => {
                a.visit(f);
                b.visit(f);
            }
        }
    }

    /// The value, given each needed value; `None` when one is missing or a
    /// division by zero occurs.
    pub fn eval(&self, value: &impl Fn(Needed) -> Option<f64>) -> Option<f64> {
        Some(match self {
            Expr::Number(n) => *n,
            Expr::Value(i) => value(Needed {
                indicator: *i,
                previous: false,
            })?,
            Expr::Prev(i) => value(Needed {
                indicator: *i,
                previous: true,
            })?,
            Expr::Neg(a) => -a.eval(value)?,
            Expr::Abs(a) => a.eval(value)?.abs(),
            Expr::Binary(op, a, b) => op.apply(a.eval(value)?, b.eval(value)?)?,
            Expr::Min(a, b) => a.eval(value)?.min(b.eval(value)?),
            Expr::Max(a, b) => a.eval(value)?.max(b.eval(value)?),
        })
    }

    /// Whether the value is in its indicators' unit of measure: sums,
    /// differences and constant multiples are; `A * B` or `A / B` are not.
    pub fn keeps_unit(&self) -> bool {
        match self {
            Expr::Number(_) | Expr::Value(_) | Expr::Prev(_) => true,
            Expr::Neg(a) | Expr::Abs(a) => a.keeps_unit(),
            Expr::Min(a, b) | Expr::Max(a, b) => a.keeps_unit() && b.keeps_unit(),
            Expr::Binary(BinaryOp::Add | BinaryOp::Sub, a, b) => a.keeps_unit() && b.keeps_unit(),
            Expr::Binary(BinaryOp::Mul, a, b) => {
                a.keeps_unit() && b.keeps_unit() && (a.needs().is_empty() || b.needs().is_empty())
            }
            Expr::Binary(BinaryOp::Div, a, b) => a.keeps_unit() && b.needs().is_empty(),
        }
    }

    /// The first divisor that is zero whatever valid values (never below
    /// zero) the units send: a constant zero (`2 - 2`), or codes that
    /// cancel (`B - B`, `0 * B`, `B / B - 1`, `min(B, 0)`). It divides by
    /// zero for every unit.
    fn always_zero_divisor(&self) -> Option<&Expr> {
        let mut found = None;
        self.visit(&mut |e| {
            if let Expr::Binary(BinaryOp::Div, _, b) = e
                && found.is_none()
                && (0..ZERO_TRIALS).all(|t| {
                    // Codes that cancel leave the rounding of their sums.
                    b.eval(&|n| Some(trial_value(n, t)))
                        .is_none_or(|v| v.abs() < 1e-9)
                })
            {
                found = Some(&**b);
            }
        });
        found
    }

    /// The expression written back with the plan's codes, as people read
    /// it: `NY02 + NY03 × 0.5`, `上期 FA01`.
    pub fn describe(&self, plan: &Plan) -> String {
        self.describe_in(plan, 0)
    }

    fn describe_in(&self, plan: &Plan, parent: u8) -> String {
        let code = |i: IndicatorId| written_code(&plan.indicators[i].code);
        let (text, strength) = match self {
            Expr::Number(n) => (crate::model::value::format_plain(*n), 3),
            Expr::Value(i) => (code(*i), 3),
            Expr::Prev(i) => (format!("prev({})", code(*i)), 3),
            Expr::Neg(a) => (format!("-{}", a.describe_in(plan, 3)), 3),
            Expr::Abs(a) => (format!("abs({})", a.describe_in(plan, 0)), 3),
            Expr::Min(a, b) | Expr::Max(a, b) => {
                let f = if matches!(self, Expr::Min(..)) {
                    "min"
                } else {
                    "max"
                };
                let (a, b) = (a.describe_in(plan, 0), b.describe_in(plan, 0));
                (format!("{f}({a}, {b})"), 3)
            }
            Expr::Binary(op, a, b) => {
                let s = if matches!(op, BinaryOp::Add | BinaryOp::Sub) {
                    1
                } else {
                    2
                };
                let sym = match op {
                    BinaryOp::Mul => '×',
                    BinaryOp::Div => '÷',
                    other => other.symbol(),
                };
                // The right operand of - and / binds tighter than written.
                let (l, r) = (a.describe_in(plan, s), b.describe_in(plan, s + 1));
                (format!("{l} {sym} {r}"), s)
            }
        };
        if strength < parent {
            format!("({text})")
        } else {
            text
        }
    }
}

/// A code as an expression writes it: in brackets unless a plain word.
pub fn written_code(code: &str) -> String {
    let plain =
        code.chars().all(is_word_char) && code.chars().next().is_some_and(|c| !c.is_ascii_digit());
    if plain {
        code.to_string()
    } else {
        format!("[{code}]")
    }
}

/// The units a rule is checked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    All,
    Kind(UnitKind),
    /// The county values of section 4.
    County,
    Units(Vec<UnitId>),
}

impl Scope {
    /// Whether a unit is checked under this scope.
    pub fn includes(&self, plan: &Plan, unit: UnitId) -> bool {
        match self {
            Scope::All => true,
            Scope::Kind(k) => plan.units[unit].kind == *k,
            Scope::County => false,
            Scope::Units(list) => list.contains(&unit),
        }
    }

    /// The scope as the bureau wrote it.
    pub fn describe(&self, plan: &Plan) -> String {
        match self {
            Scope::All => "全部单位".into(),
            Scope::Kind(k) => format!("全部{}", k.label()),
            Scope::County => crate::plan::COUNTY.into(),
            Scope::Units(list) => list
                .iter()
                .map(|&u| plan.units[u].name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        }
    }
}

/// One side of a rule: the expression and how the bureau wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub text: String,
    pub expr: Expr,
}

/// One row of the `规则` sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    /// The sentence a clerk reads: `特色产业增加值不能大于农业增加值`.
    pub description: String,
    pub left: Side,
    pub operator: Operator,
    pub right: Side,
    pub severity: Severity,
    pub scope: Scope,
    /// For `==` and `!=`: the largest difference still counted as equal.
    pub tolerance: f64,
}

impl Rule {
    /// The indicator whose cell carries a violation: the first of the left
    /// side (else of the right side).
    pub fn anchor(&self) -> Option<IndicatorId> {
        self.left
            .expr
            .needs()
            .into_iter()
            .chain(self.right.expr.needs())
            .map(|n| n.indicator)
            .next()
    }

    /// Every value the rule needs, left side first.
    pub fn needs(&self) -> Vec<Needed> {
        let mut all = self.left.expr.needs();
        for n in self.right.expr.needs() {
            if !all.contains(&n) {
                all.push(n);
            }
        }
        all
    }

    /// Whether the rule holds for these two side values.
    pub fn holds(&self, left: f64, right: f64) -> bool {
        self.operator.holds(left, right, self.tolerance)
    }

    /// The rule as a formula people read: `NY02 ≤ NY03`.
    pub fn formula(&self, plan: &Plan) -> String {
        format!(
            "{} {} {}",
            self.left.expr.describe(plan),
            self.operator.symbol(),
            self.right.expr.describe(plan)
        )
    }
}

/// Why an expression could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError(pub String);

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A number, with its digits as typed.
    Number(f64, String),
    /// A plain word (a code or a function name) or a bracketed code.
    Word {
        text: String,
        bracketed: bool,
    },
    Op(char),
    Open,
    Close,
    Comma,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn tokenize(text: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = fold(text).chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        match c {
            _ if c.is_whitespace() => k += 1,
            '0'..='9' | '.' => {
                let start = k;
                while k < chars.len() && (chars[k].is_ascii_digit() || chars[k] == '.') {
                    k += 1;
                }
                let digits: String = chars[start..k].iter().collect();
                let mut n: f64 = digits
                    .parse()
                    .map_err(|_| ExprError(format!("“{digits}”不是数字")))?;
                if chars.get(k) == Some(&'%') {
                    n /= 100.0;
                    k += 1;
                }
                if !n.is_finite() {
                    return Err(ExprError(format!("数字“{digits}”太大")));
                }
                if chars.get(k).is_some_and(|&c| is_word_char(c)) {
                    return Err(ExprError(format!(
                        "“{digits}{}”不是数字；代码不是单个英文词时请写在方括号中，如 [1.1]",
                        chars[k]
                    )));
                }
                out.push(Token::Number(n, digits));
            }
            '[' | '【' => {
                let close = if c == '[' { ']' } else { '】' };
                let end = chars[k + 1..]
                    .iter()
                    .position(|&x| x == close)
                    .ok_or_else(|| ExprError(format!("“{c}”没有对应的“{close}”")))?;
                let text: String = chars[k + 1..k + 1 + end].iter().collect();
                out.push(Token::Word {
                    text: text.trim().to_string(),
                    bracketed: true,
                });
                k += end + 2;
            }
            '+' | '-' | '*' | '/' | '×' | '÷' => {
                out.push(Token::Op(match c {
                    '×' => '*',
                    '÷' => '/',
                    _ => c,
                }));
                k += 1;
            }
            '(' => {
                out.push(Token::Open);
                k += 1;
            }
            ')' => {
                out.push(Token::Close);
                k += 1;
            }
            ',' | '，' => {
                out.push(Token::Comma);
                k += 1;
            }
            _ if is_word_char(c) => {
                let start = k;
                while k < chars.len() && is_word_char(chars[k]) {
                    k += 1;
                }
                out.push(Token::Word {
                    text: chars[start..k].iter().collect(),
                    bracketed: false,
                });
            }
            _ => return Err(ExprError(format!("不认识的符号“{c}”"))),
        }
    }
    Ok(out)
}

/// A recursive-descent parser over the tokens: sums of products of
/// factors, the usual precedence, functions by name.
struct Parser<'p> {
    tokens: Vec<Token>,
    at: usize,
    plan: &'p Plan,
    /// How deep in brackets, signs and calls: bounded, so that a cell of
    /// thousands of `(` is refused instead of exhausting the stack.
    depth: u32,
}

/// Deeper than any rule a bureau writes.
const MAX_DEPTH: u32 = 64;

/// Longer than any rule a bureau writes: a sum of 100 indicators.
const MAX_TOKENS: usize = 200;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect(&mut self, want: &Token, what: &str) -> Result<(), ExprError> {
        match self.next() {
            Some(t) if &t == want => Ok(()),
            _ => Err(ExprError(format!("这里缺少{what}"))),
        }
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.product()?;
        while let Some(Token::Op(c @ ('+' | '-'))) = self.peek() {
            let op = if *c == '+' {
                BinaryOp::Add
            } else {
                BinaryOp::Sub
            };
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.factor()?;
        while let Some(Token::Op(c @ ('*' | '/'))) = self.peek() {
            let op = if *c == '*' {
                BinaryOp::Mul
            } else {
                BinaryOp::Div
            };
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError(
                "式子嵌套太深（括号、正负号或函数超过 64 层）".into(),
            ));
        }
        let e = self.factor_inner();
        self.depth -= 1;
        e
    }

    fn factor_inner(&mut self) -> Result<Expr, ExprError> {
        match self.next() {
            Some(Token::Number(n, digits)) => {
                // `1-1 <= FA01` was read as (1 − 1) ≤ FA01, always true: a
                // number, a minus and a number that together are a code
                // are ambiguous, as a lone number that is a code.
                let mut parts = vec![digits.as_str()];
                let mut k = self.at;
                while let (Some(Token::Op('-')), Some(Token::Number(_, after))) =
                    (self.tokens.get(k), self.tokens.get(k + 1))
                {
                    parts.push(after);
                    k += 2;
                }
                for n in (2..=parts.len()).rev() {
                    let joined = parts[..n].join("-");
                    if self.plan.indicator_by_code(&joined).is_some() {
                        return Err(ExprError(format!(
                            "“{joined}”是一个指标代码，也可读作 {}：指该指标请写作 [{joined}]",
                            parts[..n].join(" 减 ")
                        )));
                    }
                }
                match self.plan.indicator_by_code(&digits) {
                    // A bare number that is also a code could mean either.
                    Some(_) => {
                        let zero = if digits.contains('.') { "0" } else { ".0" };
                        Err(ExprError(format!(
                            "“{digits}”也是一个指标代码：指该指标请写作 [{digits}]，指数字请写作 {digits}{zero}"
                        )))
                    }
                    None => Ok(Expr::Number(n)),
                }
            }
            Some(Token::Op('-')) => Ok(Expr::Neg(Box::new(self.factor()?))),
            Some(Token::Op('+')) => self.factor(),
            Some(Token::Open) => {
                let e = self.sum()?;
                self.expect(&Token::Close, "右括号“)”")?;
                Ok(e)
            }
            Some(Token::Word { text, bracketed }) => {
                if !bracketed && self.peek() == Some(&Token::Open) {
                    self.at += 1;
                    return self.call(&text);
                }
                self.code(&text).map(Expr::Value)
            }
            Some(Token::Close) => Err(ExprError("多了一个右括号“)”".into())),
            Some(_) => Err(ExprError("运算符的位置不对".into())),
            None => Err(ExprError("式子不完整，末尾缺少数字或指标代码".into())),
        }
    }

    fn code(&self, text: &str) -> Result<IndicatorId, ExprError> {
        self.plan.indicator_by_code(text).ok_or_else(|| {
            ExprError(format!(
                "指标代码“{text}”不在“指标”表中；请填写“指标”表中的代码"
            ))
        })
    }

    /// A function call, its `(` already read.
    fn call(&mut self, name: &str) -> Result<Expr, ExprError> {
        let function = name.to_ascii_lowercase();
        let e = match function.as_str() {
            "prev" => match self.next() {
                Some(Token::Word { text, .. }) => Expr::Prev(self.code(&text)?),
                _ => {
                    return Err(ExprError(
                        "prev( ) 中只能写一个指标代码，如 prev(FA01)".into(),
                    ));
                }
            },
            "abs" => Expr::Abs(Box::new(self.sum()?)),
            "min" | "max" => {
                let a = self.sum()?;
                self.expect(
                    &Token::Comma,
                    &format!("{function}( ) 的两个参数之间的逗号"),
                )?;
                let b = self.sum()?;
                if function == "min" {
                    Expr::Min(Box::new(a), Box::new(b))
                } else {
                    Expr::Max(Box::new(a), Box::new(b))
                }
            }
            _ => {
                return Err(ExprError(format!(
                    "不认识的函数“{name}”；可用 abs、min、max、prev"
                )));
            }
        };
        self.expect(&Token::Close, &format!("{function}( ) 的右括号"))?;
        Ok(e)
    }
}

/// Parses one side of a rule against the plan's indicator codes.
///
/// # Errors
///
/// [`ExprError`], a sentence for the bureau, when the text does not parse,
/// names an unknown code or function, or divides by zero whatever the
/// values.
pub fn parse_expr(text: &str, plan: &Plan) -> Result<Expr, ExprError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(ExprError("为空；请填写表达式".into()));
    }
    // `a+a+…` makes a tree as deep as it is long, and reading, checking
    // and describing it recurse: thousands of terms would overflow the
    // stack (and take seconds before that).
    if tokens.len() > MAX_TOKENS {
        return Err(ExprError(format!(
            "式子太长（超过 {MAX_TOKENS} 个数字、代码和运算符）；请拆成几条规则"
        )));
    }
    let mut p = Parser {
        tokens,
        at: 0,
        plan,
        depth: 0,
    };
    let e = p.sum()?;
    if p.at < p.tokens.len() {
        return Err(ExprError(match p.tokens[p.at] {
            Token::Close => "多了一个右括号“)”".into(),
            _ => "式子中两项之间缺少运算符（+ - * /）".into(),
        }));
    }
    if let Some(divisor) = e.always_zero_divisor() {
        return Err(ExprError(format!(
            "除数“{}”无论各单位填报什么数都等于 0，对每个单位都无法计算",
            divisor.describe(plan)
        )));
    }
    Ok(e)
}

/// The scope column: `全部`/`all`, `乡镇`, `部门`, `全县`/`county`, or unit
/// names separated by `、,;，；`. Unknown names are returned as the error.
pub fn parse_scope(text: &str, plan: &Plan) -> Result<Scope, Vec<String>> {
    // Words in any case (`ALL`), but unit names as written: `县CBD管委会`
    // is not `县cbd管委会`.
    let written = fold(text);
    let written = written.trim();
    let t = written.to_lowercase();
    match t.as_str() {
        "" | "全部" | "all" | "全部单位" => return Ok(Scope::All),
        "全县" | "county" => return Ok(Scope::County),
        _ => {}
    }
    if let Some(k) = UnitKind::ALL
        .iter()
        .find(|k| k.label() == t || k.code() == t || format!("全部{}", k.label()) == t)
    {
        return Ok(Scope::Kind(*k));
    }
    let mut units = Vec::new();
    let mut unknown = Vec::new();
    for name in written
        .split(['、', ',', ';', '，', '；'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match plan.unit_named(name) {
            Some(u) if !units.contains(&u) => units.push(u),
            Some(_) => {}
            None => unknown.push(name.to_string()),
        }
    }
    if unknown.is_empty() && !units.is_empty() {
        Ok(Scope::Units(units))
    } else {
        Err(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Id, IdVec};
    use crate::plan::{Indicator, Unit};

    fn plan() -> Plan {
        let ind = Indicator::example;
        let unit = |name: &str, kind| Unit {
            name: name.into(),
            aliases: vec![],
            kind,
            email: None,
        };
        Plan::new(
            IdVec::from(vec![
                unit("清泉镇", UnitKind::Township),
                unit("县发改局", UnitKind::Department),
                unit("县CBD管委会", UnitKind::Department),
            ]),
            IdVec::from(vec![ind("A1"), ind("B2"), ind("1.1"), ind("1-1")]),
            vec![],
        )
    }

    fn eval(text: &str, values: [f64; 4]) -> Option<f64> {
        let e = parse_expr(text, &plan()).unwrap();
        e.eval(&|n: Needed| {
            let v = values[n.indicator.index()];
            Some(if n.previous { v - 1.0 } else { v })
        })
    }

    #[test]
    fn arithmetic_precedence_brackets_and_functions() {
        assert_eq!(eval("A1 + B2 * 2", [1.0, 3.0, 0.0, 0.0]), Some(7.0));
        assert_eq!(eval("(A1 + B2) * 2", [1.0, 3.0, 0.0, 0.0]), Some(8.0));
        assert_eq!(eval("A1 - B2 - [1.1]", [10.0, 3.0, 2.0, 0.0]), Some(5.0));
        assert_eq!(eval("A1 / B2 / 2", [12.0, 3.0, 0.0, 0.0]), Some(2.0));
        assert_eq!(eval("-A1 + abs(B2 - 5)", [1.0, 3.0, 0.0, 0.0]), Some(1.0));
        assert_eq!(
            eval("min(A1, B2) + MAX(A1, B2)", [4.0, 9.0, 0.0, 0.0]),
            Some(13.0)
        );
        assert_eq!(eval("prev(A1)", [4.0, 0.0, 0.0, 0.0]), Some(3.0));
        assert_eq!(eval("A1 × 50%", [4.0, 0.0, 0.0, 0.0]), Some(2.0));
        assert_eq!(eval("Ａ１＋［1.1］", [4.0, 0.0, 0.5, 0.0]), Some(4.5));
        assert_eq!(eval("A1 / B2", [4.0, 0.0, 0.0, 0.0]), None);
    }

    #[test]
    fn refused_expressions_say_why() {
        let p = plan();
        let err = |t: &str| parse_expr(t, &p).unwrap_err().0;
        assert!(err("A1 + C9").contains("“C9”不在“指标”表中"));
        assert!(err("1.1A1").contains("[1.1]"));
        // A bare number that is also a code could mean either.
        assert!(err("1.1 + A1").contains("写作 [1.1]"));
        assert!(err("(A1 + B2").contains("右括号"));
        assert!(err("A1 + B2)").contains("多了一个右括号"));
        assert!(err("A1 B2").contains("缺少运算符"));
        assert!(err("A1 +").contains("不完整"));
        assert!(err("sqrt(A1)").contains("不认识的函数“sqrt”"));
        assert!(err("min(A1)").contains("逗号"));
        assert!(err("A1 / (2 - 2)").contains("除数“2 - 2”无论各单位填报什么数都等于 0"));
        // Zero whatever valid values (never below zero) are sent: refused
        // as well, the divisor named.
        for (cancels, divisor) in [
            ("A1 / (B2 - B2)", "B2 - B2"),
            ("A1 / (0 * B2)", "0 × B2"),
            ("A1 / (B2 / B2 - 1)", "B2 ÷ B2 - 1"),
            ("A1 / (prev(B2) - prev(B2))", "prev(B2) - prev(B2)"),
            ("A1 / abs([1.1] + B2 - B2 - [1.1])", "abs("),
            ("A1 / (abs(B2) - B2)", "abs(B2) - B2"),
            ("A1 / min(B2, 0)", "min(B2, 0)"),
        ] {
            let said = err(cancels);
            assert!(
                said.contains(&format!("除数“{divisor}")) && said.contains("都等于 0"),
                "{cancels}: {said}"
            );
        }
        assert!(err("A1 # 2").contains("“#”"));
        // A code of digits and a minus is no subtraction.
        assert!(
            err("1-1 + A1").contains("“1-1”是一个指标代码"),
            "{}",
            err("1-1 + A1")
        );
        assert_eq!(eval("[1-1] + A1", [1.0, 0.0, 0.0, 5.0]), Some(6.0));
        // However many dashes follow, and wherever the code begins.
        assert!(err("2 - 1-1 + A1").contains("“1-1”是一个指标代码"));
        assert!(err("1-1-5").contains("“1-1”"), "{}", err("1-1-5"));
        assert_eq!(eval("2-1 + A1", [1.0, 0.0, 0.0, 5.0]), Some(2.0));
        assert!(err("").contains("为空"));
        assert!(err(&"(".repeat(100)).contains("嵌套太深"));
        assert!(err(&"-".repeat(100)).contains("嵌套太深"));
        // A long flat sum nests as deeply as it is long: 6,000 terms
        // overflowed the stack.
        for long in ["A1+".repeat(6_000) + "A1", "(".repeat(10_000)] {
            assert!(err(&long).contains("式子太长"), "{}", err(&long));
        }
        let hundred = vec!["A1"; 100].join("+");
        assert_eq!(eval(&hundred, [1.0, 0.0, 0.0, 0.0]), Some(100.0));
        assert!(err(&"9".repeat(400)).contains("太大"));
        assert!(parse_expr("1.10 + A1", &p).is_ok());
        // Zero for some values only: each unit is judged on its own.
        for sometimes in [
            "A1 / (B2 - 2)",
            "A1 / (B2 - prev(B2))",
            "A1 / (B2 - A1)",
            "A1 / max(B2, 0)",
            "A1 / min(B2, 1)",
            // Zero for values from 1 up only: a rate below 100% is not.
            "A1 / (1 - min(B2, 1))",
            "A1 / (max(B2, 1) - 1)",
        ] {
            assert!(parse_expr(sometimes, &p).is_ok(), "{sometimes}");
        }
    }

    #[test]
    fn operators_with_tolerance_and_rounding() {
        assert!(Operator::parse("≤").unwrap().holds(3.0, 3.0, 0.0));
        assert!(!Operator::parse("<").unwrap().holds(3.0, 3.0, 0.0));
        assert!(Operator::parse("＞＝").unwrap().holds(3.0, 3.0, 0.0));
        assert!(!Operator::parse(">").unwrap().holds(3.0, 3.0, 0.0));
        assert!(Operator::parse("=").unwrap().holds(0.1 + 0.2, 0.3, 0.0));
        assert!(Operator::parse("==").unwrap().holds(10.0, 10.4, 0.5));
        assert!(!Operator::parse("==").unwrap().holds(10.0, 10.6, 0.5));
        assert!(Operator::parse("≠").unwrap().holds(10.0, 10.6, 0.5));
        assert!(!Operator::parse("!=").unwrap().holds(10.0, 10.4, 0.5));
        assert_eq!(Operator::parse("=>"), Some(Operator::Ge));
        assert_eq!(Operator::parse("~"), None);
    }

    #[test]
    fn scopes_by_word_kind_and_names() {
        let p = plan();
        assert_eq!(parse_scope("", &p), Ok(Scope::All));
        assert_eq!(parse_scope("全县", &p), Ok(Scope::County));
        assert_eq!(parse_scope("乡镇", &p), Ok(Scope::Kind(UnitKind::Township)));
        assert_eq!(
            parse_scope("县发改局；清泉镇", &p),
            Ok(Scope::Units(vec![UnitId::new(1), UnitId::new(0)]))
        );
        assert_eq!(
            parse_scope("清泉镇、柳河乡", &p),
            Err(vec!["柳河乡".to_string()])
        );
        // Words in any case, names as written (they were lower-cased, and
        // `县CBD管委会` was refused as unknown).
        assert_eq!(parse_scope("ALL", &p), Ok(Scope::All));
        assert_eq!(
            parse_scope("县CBD管委会", &p),
            Ok(Scope::Units(vec![UnitId::new(2)]))
        );
    }

    #[test]
    fn described_back_with_needed_parentheses() {
        let p = plan();
        let e = parse_expr("(A1 + B2) * 0.5 - prev(A1) / ([1.1] - 1)", &p).unwrap();
        assert_eq!(e.describe(&p), "(A1 + B2) × 0.5 - prev(A1) ÷ ([1.1] - 1)");
        assert_eq!(
            e.needs(),
            vec![
                Needed {
                    indicator: IndicatorId::new(0),
                    previous: false
                },
                Needed {
                    indicator: IndicatorId::new(1),
                    previous: false
                },
                Needed {
                    indicator: IndicatorId::new(0),
                    previous: true
                },
                Needed {
                    indicator: IndicatorId::new(2),
                    previous: false
                },
            ]
        );
    }
}
