//! Writes a synthetic county for the benchmark: a plan with N units and 40
//! indicators, and an inbox with one submission per unit.
//!
//! `cargo run --release --example make_bench_inbox -- N DIR` writes
//! `DIR/plan.xlsx` and `DIR/inbox/`. Used by `bench/run.sh`.

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
    write_xlsx(
        &dir.join("plan.xlsx"),
        &[unit_sheet, ind_sheet, target_sheet],
    );

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
