//! Writes a synthetic county for the benchmark: a plan with N units and 40
//! indicators, and an inbox with one submission per unit.
//!
//! `cargo run --release --example make_bench_inbox -- N DIR [RULES]`
//! writes `DIR/plan.xlsx` and `DIR/inbox/`; with RULES, also
//! `DIR/plan-rules.xlsx`, the same plan with that many validation rules
//! (规则). Used by `bench/run.sh` and `bench/rules.sh`.

#[path = "../tests/integration/book.rs"]
mod book;

use std::path::PathBuf;

use book::{C, Sheet, n, t, template, write_xlsx};

const INDICATORS: usize = 40;

fn main() {
    let mut args = std::env::args().skip(1);
    let units: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: make_bench_inbox N DIR");
    let dir = PathBuf::from(args.next().expect("usage: make_bench_inbox N DIR"));
    let rules: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).expect("create inbox");

    let name = |u: usize| format!("第{u:05}镇");
    let code = |i: usize| format!("K{i:02}");
    let mut unit_sheet = Sheet::new("单位").texts(&["单位名称", "类型"]);
    for u in 0..units {
        unit_sheet = unit_sheet.texts(&[&name(u), "乡镇"]);
    }
    let mut ind_sheet = Sheet::new("指标").texts(&["指标代码", "指标名称", "计量单位", "进度"]);
    for i in 0..INDICATORS {
        let profile = ["均衡", "水平", "均衡", "均衡"][i % 4];
        ind_sheet = ind_sheet.texts(&[&code(i), &format!("指标{i:02}"), "万元", profile]);
    }
    let mut target_sheet = Sheet::new("目标").texts(&["单位名称", "指标代码", "年度目标"]);
    for u in 0..units {
        for i in 0..INDICATORS {
            target_sheet = target_sheet.row(vec![t(&name(u)), t(&code(i)), n(1000.0 + i as f64)]);
        }
    }
    let mut plan = vec![unit_sheet, ind_sheet, target_sheet];
    write_xlsx(&dir.join("plan.xlsx"), &plan);
    if rules > 0 {
        plan.push(rule_sheet(rules));
        write_xlsx(&dir.join("plan-rules.xlsx"), &plan);
    }

    for u in 0..units {
        let rows: Vec<Vec<C>> = (0..INDICATORS)
            .map(|i| {
                // Values around expected progress, some typed as text.
                let v = 200.0 + ((u * 7 + i * 13) % 150) as f64;
                let value = if (u + i) % 5 == 0 {
                    t(&format!("{v:.1}"))
                } else {
                    n(v)
                };
                vec![
                    t(&code(i)),
                    t(&format!("指标{i:02}")),
                    t("万元"),
                    n(1000.0 + i as f64),
                    value,
                    C::E,
                ]
            })
            .collect();
        let sheet = template(
            "2022年3月重点工作任务完成情况",
            &name(u),
            "2022-04-05",
            rows,
        );
        write_xlsx(&inbox.join(format!("{}.xlsx", name(u))), &[sheet]);
    }
    println!(
        "{units} submissions × {INDICATORS} indicators in {}",
        dir.display()
    );
}

/// `n` rules over the indicators, every operator, arithmetic, functions
/// and scope `全部`; some hold and some do not for the synthetic values.
fn rule_sheet(n: usize) -> Sheet {
    let code = |i: usize| format!("K{:02}", i % INDICATORS);
    let mut s =
        Sheet::new("规则").texts(&["规则编号", "规则说明", "左边", "运算符", "右边", "级别"]);
    for k in 0..n {
        let (a, b, c) = (code(k), code(k + 1), code(k + 7));
        let (left, op, right) = match k % 5 {
            0 => (a, "<=", format!("{b} * 2")),
            1 => (format!("{a} + {b}"), ">=", format!("{c} + 100")),
            2 => (format!("abs({a} - {b})"), "<", "120".to_string()),
            3 => (format!("max({a}, {b})"), "!=", c),
            _ => (format!("{a} / {b}"), "<=", "1.5".to_string()),
        };
        let id = format!("R{k:02}");
        s = s.texts(&[&id, &format!("规则{k:02}"), &left, op, &right, "警告"]);
    }
    s
}
