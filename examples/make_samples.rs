//! Writes the sample county in `samples/`: the plan and the 2022-03 inbox.
//!
//! The county is modeled on the 2022 work-conference speech
//! (`../shared/spec/seed-speech-2022.txt`): 8 townships and 5 departments,
//! targets for investment, key projects started by end of March,
//! afforestation, old compounds, smart parking, the 70% share of featured
//! industries, safety accidents ... and 18 key projects named after the
//! speech's (绣花庙风电场, 城区加气站, the two photovoltaic plants, the
//! hydrogen base ...), six of them due by mid-March, not started and held
//! up by land, environmental approval or funding: overdue at the end of
//! March. The inbox holds one submission per
//! unit in the shapes townships really send (project tables on their own
//! sheet or below the indicators), one file with planted mistakes, a
//! superseded file, a stray non-workbook, and one unit missing.
//!
//! Run: `cargo run --example make_samples`. Where LibreOffice (`soffice`)
//! is installed, 陈户镇's submission is saved as .xls by it; otherwise the
//! committed .xls is left as it is.

#[path = "../tests/integration/book.rs"]
mod book;

use std::path::Path;
use std::process::Command;

use book::{C, Sheet, n, on_schedule, project_table, rules_sheet, t, template, write_xlsx};

const TOWNSHIPS: [&str; 8] = [
    "清泉镇",
    "位奇镇",
    "大马营镇",
    "霍城镇",
    "陈户镇",
    "李桥乡",
    "老军乡",
    "花寨乡",
];

/// (name, aliases, email)
const DEPARTMENTS: [(&str, &str, &str); 5] = [
    ("县发展和改革局", "发改局、县发改局", "fgj@example.org"),
    ("县住房和城乡建设局", "住建局、县住建局", "zjj@example.org"),
    ("县林业和草原局", "林草局", "lcj@example.org"),
    ("县应急管理局", "应急局、应急管理局", "yjj@example.org"),
    ("县农业农村局", "农业农村局、农业局", "nyj@example.org"),
];

/// code, name, uom, category, aggregation, numerator, denominator,
/// direction, profile, min, max, weight
type Ind = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const INDICATORS: [Ind; 15] = [
    (
        "FA01",
        "固定资产投资",
        "万元",
        "项目建设",
        "求和",
        "",
        "",
        "正向",
        "均衡",
        "0",
        "200000",
        "2",
    ),
    (
        "PJ01",
        "重点项目开复工",
        "个",
        "项目建设",
        "求和",
        "",
        "",
        "正向",
        "截止",
        "0",
        "60",
        "2",
    ),
    (
        "ZS01",
        "招商引资到位资金",
        "万元",
        "项目建设",
        "求和",
        "",
        "",
        "正向",
        "均衡",
        "0",
        "",
        "1",
    ),
    (
        "NY02",
        "特色产业增加值",
        "万元",
        "现代农业",
        "求和",
        "",
        "",
        "正向",
        "均衡",
        "0",
        "",
        "1",
    ),
    (
        "NY03",
        "农业增加值",
        "万元",
        "现代农业",
        "求和",
        "",
        "",
        "正向",
        "均衡",
        "0",
        "",
        "1",
    ),
    (
        "NY01",
        "特色产业增加值占比",
        "%",
        "现代农业",
        "比率",
        "NY02",
        "NY03",
        "正向",
        "水平",
        "",
        "",
        "1",
    ),
    (
        "NY04",
        "高标准农田建设",
        "万亩",
        "现代农业",
        "求和",
        "",
        "",
        "正向",
        "季度",
        "0",
        "5",
        "1",
    ),
    (
        "XC01",
        "乡村振兴示范村",
        "个",
        "现代农业",
        "求和",
        "",
        "",
        "正向",
        "均衡",
        "0",
        "",
        "1",
    ),
    (
        "WS01",
        "农村卫生厕所普及率",
        "%",
        "现代农业",
        "平均",
        "",
        "",
        "正向",
        "水平",
        "0",
        "100",
        "1",
    ),
    (
        "CJ01",
        "老旧小区改造",
        "个",
        "城市建设",
        "求和",
        "",
        "",
        "正向",
        "均衡",
        "0",
        "",
        "1",
    ),
    (
        "CJ02",
        "智慧停车位",
        "个",
        "城市建设",
        "求和",
        "",
        "",
        "正向",
        "均衡",
        "0",
        "",
        "1",
    ),
    (
        "ST01",
        "人工造林",
        "万亩",
        "生态环保",
        "求和",
        "",
        "",
        "正向",
        "季度",
        "0",
        "2",
        "1",
    ),
    (
        "ST02",
        "封山育林",
        "万亩",
        "生态环保",
        "求和",
        "",
        "",
        "正向",
        "季度",
        "0",
        "15",
        "1",
    ),
    (
        "ST03",
        "人工种草",
        "万亩",
        "生态环保",
        "求和",
        "",
        "",
        "正向",
        "季度",
        "0",
        "10",
        "1",
    ),
    (
        "AQ01",
        "安全生产事故",
        "起",
        "安全稳定",
        "求和",
        "",
        "",
        "逆向",
        "均衡",
        "0",
        "",
        "2",
    ),
];

/// Key projects: (name, unit, kind, total investment, planned this year,
/// start by (month, day) of 2022).
type Proj = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    Option<(u8, u8)>,
);

const PROJECTS: [Proj; 18] = [
    (
        "绣花庙风电场",
        "县发展和改革局",
        "新建",
        80000.0,
        20000.0,
        Some((3, 15)),
    ),
    (
        "华能新能源综合开发暨氢能源示范基地",
        "县发展和改革局",
        "前期",
        300000.0,
        30000.0,
        Some((6, 30)),
    ),
    (
        "河北焰中并网光伏发电项目",
        "县发展和改革局",
        "新建",
        60000.0,
        25000.0,
        Some((3, 31)),
    ),
    (
        "甘肃天聚并网光伏发电项目",
        "县发展和改革局",
        "新建",
        45000.0,
        18000.0,
        Some((3, 31)),
    ),
    (
        "城北工业园区基础设施",
        "县发展和改革局",
        "续建",
        12000.0,
        6000.0,
        Some((3, 31)),
    ),
    (
        "城区加气站建设",
        "县住房和城乡建设局",
        "新建",
        3000.0,
        3000.0,
        Some((3, 20)),
    ),
    (
        "南环路改造工程",
        "县住房和城乡建设局",
        "新建",
        8000.0,
        8000.0,
        Some((4, 30)),
    ),
    (
        "老旧小区改造提升",
        "县住房和城乡建设局",
        "续建",
        11700.0,
        11700.0,
        Some((3, 31)),
    ),
    (
        "城区大型停车场",
        "县住房和城乡建设局",
        "新建",
        2500.0,
        2500.0,
        Some((3, 25)),
    ),
    (
        "清泉镇棚户区改造",
        "清泉镇",
        "续建",
        15000.0,
        6000.0,
        Some((3, 31)),
    ),
    (
        "位奇镇肉羊现代农业产业园",
        "位奇镇",
        "新建",
        9000.0,
        4000.0,
        Some((3, 15)),
    ),
    (
        "马铃薯省级现代农业产业园",
        "大马营镇",
        "续建",
        8000.0,
        3500.0,
        Some((3, 31)),
    ),
    (
        "花草滩循环经济产业区基础设施",
        "霍城镇",
        "新建",
        20000.0,
        8000.0,
        Some((3, 20)),
    ),
    (
        "霍城镇农贸市场改造",
        "霍城镇",
        "新建",
        1500.0,
        1500.0,
        Some((5, 31)),
    ),
    (
        "国土绿化示范项目",
        "县林业和草原局",
        "续建",
        5000.0,
        5000.0,
        Some((3, 31)),
    ),
    (
        "水肥一体化高标准农田建设",
        "县农业农村局",
        "新建",
        6000.0,
        6000.0,
        Some((3, 31)),
    ),
    (
        "老军乡生态宜居村庄建设",
        "老军乡",
        "新建",
        1200.0,
        1200.0,
        Some((3, 25)),
    ),
    (
        "永宁新村生态宜居村庄建设",
        "李桥乡",
        "新建",
        1500.0,
        1500.0,
        Some((3, 31)),
    ),
];

/// The project table on a sheet of its own.
fn project_sheet(unit: &str, rows: Vec<(&str, C, C, C, &str)>) -> Sheet {
    let mut s = Sheet::new("重点项目")
        .texts(&[&format!("{unit}重点项目推进情况（2022年1-3月）")])
        .texts(&[&format!("填报单位：{unit}")]);
    s.rows.extend(project_table(rows));
    s
}

/// The project table below the indicators, after a blank row and a title.
fn below(mut s: Sheet, rows: Vec<(&str, C, C, C, &str)>) -> Sheet {
    s.rows.push(vec![]);
    s.rows.push(vec![t("二、重点项目推进情况")]);
    s.rows.extend(project_table(rows));
    s
}

/// (unit, code, annual target, q1, q2, q3, deadline)
type Tgt = (
    &'static str,
    &'static str,
    f64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<(u16, u8, u8)>,
);

fn targets() -> Vec<Tgt> {
    let mut v: Vec<Tgt> = vec![
        // County figures the speech gives. 重点项目开复工 has no county row:
        // its target is the sum of the units', one per key project of the
        // register due by 31 March, so the two always agree.
        ("全县", "ST01", 1.21, Some(0.45), Some(1.0), Some(1.1), None),
        (
            "全县",
            "ST02",
            11.88,
            Some(3.0),
            Some(8.0),
            Some(10.5),
            None,
        ),
        ("全县", "ST03", 7.72, Some(2.0), Some(5.5), Some(7.0), None),
        ("全县", "CJ01", 39.0, None, None, None, None),
        ("全县", "CJ02", 1300.0, None, None, None, None),
        ("全县", "NY01", 0.70, None, None, None, None),
        ("县发展和改革局", "FA01", 60000.0, None, None, None, None),
        ("县发展和改革局", "ZS01", 80000.0, None, None, None, None),
        ("县住房和城乡建设局", "CJ01", 30.0, None, None, None, None),
        ("县住房和城乡建设局", "CJ02", 1300.0, None, None, None, None),
        (
            "县住房和城乡建设局",
            "FA01",
            30000.0,
            None,
            None,
            None,
            None,
        ),
        (
            "县林业和草原局",
            "ST01",
            0.41,
            Some(0.15),
            Some(0.35),
            Some(0.38),
            None,
        ),
        (
            "县林业和草原局",
            "ST02",
            4.68,
            Some(1.2),
            Some(3.0),
            Some(4.0),
            None,
        ),
        (
            "县林业和草原局",
            "ST03",
            2.12,
            Some(0.5),
            Some(1.5),
            Some(1.9),
            None,
        ),
        ("县应急管理局", "AQ01", 2.0, None, None, None, None),
        (
            "县农业农村局",
            "NY04",
            4.0,
            Some(0.8),
            Some(2.4),
            Some(3.5),
            None,
        ),
        ("县农业农村局", "XC01", 10.0, None, None, None, None),
    ];
    // Townships carry investment, projects, featured industries, farmland,
    // villages, sanitation, afforestation and safety; 清泉镇 (the county
    // seat) also the old compounds.
    let scale: [f64; 8] = [1.6, 1.0, 1.2, 0.9, 1.1, 0.8, 0.7, 0.7];
    for (i, &u) in TOWNSHIPS.iter().enumerate() {
        let s = scale[i];
        v.extend([
            (u, "FA01", (9000.0 * s).round(), None, None, None, None),
            (u, "ZS01", (6000.0 * s).round(), None, None, None, None),
            (u, "NY01", 0.70, None, None, None, None),
            (u, "NY04", 0.2, Some(0.05), Some(0.12), Some(0.17), None),
            (u, "WS01", 0.80 + 0.01 * i as f64, None, None, None, None),
            (u, "ST01", 0.1, Some(0.04), Some(0.08), Some(0.09), None),
            (u, "ST02", 0.9, Some(0.2), Some(0.6), Some(0.8), None),
            (u, "ST03", 0.7, Some(0.2), Some(0.5), Some(0.6), None),
            (u, "AQ01", 1.0, None, None, None, None),
        ]);
        if u == "清泉镇" {
            v.push((u, "CJ01", 9.0, None, None, None, None));
        }
        if i < 6 {
            v.push((u, "XC01", 1.0, None, None, None, None));
        }
    }
    // 重点项目开复工: each unit's key projects due by the end of March.
    let units = TOWNSHIPS
        .iter()
        .copied()
        .chain(DEPARTMENTS.iter().map(|d| d.0));
    for u in units {
        let due = projects_due_by_march(u);
        if due > 0 {
            v.push((u, "PJ01", due as f64, None, None, None, Some((2022, 3, 31))));
        }
    }
    v
}

/// How many of a unit's key projects must have started by 31 March.
fn projects_due_by_march(unit: &str) -> usize {
    PROJECTS
        .iter()
        .filter(|p| p.1 == unit && p.5.is_some_and(|by| by <= (3, 31)))
        .count()
}

/// How many of a unit's projects due by 31 March its project table below
/// says are started: what it reports as 重点项目开复工, so the indicator
/// and the register agree.
fn projects_started(unit: &str) -> f64 {
    match unit {
        "县发展和改革局" => 3.0,     // 绣花庙风电场 not started
        "县住房和城乡建设局" => 1.0, // 加气站, 停车场 not started
        "位奇镇" | "霍城镇" => 0.0,
        _ => projects_due_by_march(unit) as f64,
    }
}

fn write_plan(path: &Path) {
    let mut units = Sheet::new("单位").texts(&["单位名称", "别名", "类型", "邮箱"]);
    for (i, u) in TOWNSHIPS.iter().enumerate() {
        units = units.texts(&[
            u,
            &u[..u.len() - 3],
            "乡镇",
            &format!("town{}@example.org", i + 1),
        ]);
    }
    for (name, aliases, email) in DEPARTMENTS {
        units = units.texts(&[name, aliases, "部门", email]);
    }
    let mut inds = Sheet::new("指标").texts(&[
        "指标代码",
        "指标名称",
        "计量单位",
        "类别",
        "汇总方式",
        "分子",
        "分母",
        "方向",
        "进度",
        "最小值",
        "最大值",
        "权重",
    ]);
    for i in INDICATORS {
        inds = inds.texts(&[i.0, i.1, i.2, i.3, i.4, i.5, i.6, i.7, i.8, i.9, i.10, i.11]);
    }
    let mut tg = Sheet::new("目标").texts(&[
        "单位名称",
        "指标代码",
        "年度目标",
        "一季度",
        "二季度",
        "三季度",
        "截止日期",
    ]);
    for (u, code, target, q1, q2, q3, deadline) in targets() {
        let opt = |v: Option<f64>| v.map_or(C::E, n);
        tg = tg.row(vec![
            t(u),
            t(code),
            n(target),
            opt(q1),
            opt(q2),
            opt(q3),
            deadline.map_or(C::E, |(y, m, d)| C::D(y, m, d)),
        ]);
    }
    let mut pj = Sheet::new("项目").texts(&[
        "项目名称",
        "责任单位",
        "项目类型",
        "总投资",
        "年度计划投资",
        "计划开工日期",
    ]);
    for (name, unit, kind, total, planned, by) in PROJECTS {
        pj = pj.row(vec![
            t(name),
            t(unit),
            t(kind),
            n(total),
            n(planned),
            by.map_or(C::E, |(m, d)| C::D(2022, m, d)),
        ]);
    }
    let rules = rules_sheet(&RULES);
    write_xlsx(path, &[units, inds, tg, pj, rules]);
}

/// The bureau's validation rules (CONTRACT.md section 12): id,
/// description, left, operator, right, severity, scope, tolerance.
const RULES: [[&str; 8]; 4] = [
    [
        "R01",
        "特色产业增加值不能大于农业增加值",
        "NY02",
        "<=",
        "NY03",
        "错误",
        "全部",
        "",
    ],
    [
        "R02",
        "部门招商引资到位资金应不少于本部门固定资产投资的一半",
        "ZS01",
        ">=",
        "FA01 * 0.5",
        "警告",
        "部门",
        "",
    ],
    [
        "R03",
        "人工造林、封山育林、人工种草合计不能超过林草局全年任务 7.21 万亩",
        "ST01 + ST02 + ST03",
        "<=",
        "7.21",
        "错误",
        "县林业和草原局",
        "",
    ],
    [
        "R04",
        "全县招商引资到位资金应不少于固定资产投资的 85%",
        "ZS01",
        ">=",
        "FA01 * 85%",
        "警告",
        "全县",
        "",
    ],
];

fn ind(code: &str) -> Ind {
    *INDICATORS.iter().find(|i| i.0 == code).expect("known code")
}

fn target_of(unit: &str, code: &str) -> f64 {
    targets()
        .iter()
        .find(|t| t.0 == unit && t.1 == code)
        .map_or(0.0, |t| t.2)
}

/// The codes a unit reports (a ratio as its parts), in plan order.
fn codes_of(unit: &str) -> Vec<&'static str> {
    let mine: Vec<&str> = targets()
        .iter()
        .filter(|t| t.0 == unit)
        .map(|t| t.1)
        .collect();
    INDICATORS
        .iter()
        .filter(|i| {
            mine.contains(&i.0) || (["NY02", "NY03"].contains(&i.0) && mine.contains(&"NY01"))
        })
        .filter(|i| i.4 != "比率")
        .map(|i| i.0)
        .collect()
}

/// The standard template: title, unit and date lines, a one-row header.
fn standard(unit: &str, date: &str, values: &[(&str, C, &str)]) -> Sheet {
    let rows = values
        .iter()
        .map(|(code, v, note)| {
            let i = ind(code);
            let target = target_of(unit, code);
            vec![
                t(code),
                t(i.1),
                t(i.2),
                if target == 0.0 {
                    C::E
                } else if i.2 == "%" {
                    t(&format!("{}%", target * 100.0))
                } else {
                    n(target)
                },
                v.clone(),
                t(note),
            ]
        })
        .collect();
    template("2022年3月重点工作任务完成情况统计表", unit, date, rows).texts(&[
        "填表人：王敏",
        "",
        "联系电话：0936-1234567",
    ])
}

/// Plausible values at the end of March: `share` of the way to the
/// year's target for linear tasks, the same pace against the Q1 milestone
/// for quarterly ones, every key project started by the 31 March deadline.
fn value(unit: &str, code: &str, share: f64) -> C {
    let target = target_of(unit, code);
    let pace = share / 0.25;
    let q1 = targets()
        .iter()
        .find(|t| t.0 == unit && t.1 == code)
        .and_then(|t| t.3);
    match code {
        "NY02" => n(2100.0 * pace),
        "NY03" => n(3000.0),
        "AQ01" => n(0.0),
        "WS01" => n(target * 100.0),
        "PJ01" => n(projects_started(unit)),
        "XC01" => n(0.0),
        _ if q1.is_some() => n((q1.unwrap_or(0.0) * pace * 1000.0).round() / 1000.0),
        _ if ind(code).2 == "个" => n((target * share).round()),
        _ => n(((target * share) * 100.0).round() / 100.0),
    }
}

fn standard_values(unit: &str, share: f64) -> Vec<(&'static str, C, &'static str)> {
    codes_of(unit)
        .into_iter()
        .map(|c| {
            // No demonstration village is finished in March: say why.
            let note = if c == "XC01" {
                "示范村规划已编制，4月开工建设"
            } else {
                ""
            };
            (c, value(unit, c, share), note)
        })
        .collect()
}

/// 清泉镇's 2022-03 template filled by our writer, and the same file opened
/// and saved by LibreOffice (where installed), for the round-trip tests.
fn write_template_fixtures(root: &Path) {
    let fixtures = root.join("../tests/fixtures");
    let plan = tally::plan::read_plan(&root.join("plan.xlsx")).expect("sample plan reads");
    let period: tally::model::Period = "2022-03".parse().expect("period");
    let u = plan.unit_named("清泉镇").expect("清泉镇");
    let filled = on_schedule(&plan, u, period);
    let bytes =
        tally::template::unit_template(&plan, "", period, u, &Default::default(), Some(&filled))
            .expect("template");
    let ours = fixtures.join("清泉镇-模板已填.xlsx");
    std::fs::write(&ours, bytes).expect("write fixture");
    let dir = std::env::temp_dir().join("tally-lo");
    let _ = std::fs::create_dir_all(&dir);
    let saved = Command::new("soffice")
        .args([
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
        ])
        .arg(&dir)
        .arg(&ours)
        .status()
        .is_ok_and(|s| s.success());
    if saved {
        std::fs::copy(
            dir.join("清泉镇-模板已填.xlsx"),
            fixtures.join("清泉镇-模板已填-libreoffice.xlsx"),
        )
        .expect("copy LibreOffice save");
    } else {
        eprintln!("soffice not found: keeping the committed LibreOffice fixture");
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let inbox = root.join("inbox/2022-03");
    std::fs::create_dir_all(&inbox).expect("create samples folder");
    write_plan(&root.join("plan.xlsx"));

    // 清泉镇: the clean standard template, slightly ahead of time; its
    // project on a sheet of its own, answered Y.
    write_xlsx(
        &inbox.join("清泉镇.xlsx"),
        &[
            standard("清泉镇", "2022-04-05", &standard_values("清泉镇", 0.3)),
            project_sheet(
                "清泉镇",
                vec![(
                    "清泉镇棚户区改造",
                    t("Y"),
                    C::D(2022, 3, 1),
                    n(1800.0),
                    "无",
                )],
            ),
        ],
    );

    // 位奇镇: an instructions sheet first, then a two-row merged header
    // with no code column (rows found by name), behind with reasons.
    let mut s = Sheet::new("数据")
        .texts(&["位奇镇重点工作进展情况（2022年1-3月）"])
        .texts(&["填报单位：位奇镇人民政府", "", "", "", "填报日期：2022/4/6"])
        .texts(&[
            "指标名称",
            "计量单位",
            "年度目标",
            "完成情况",
            "",
            "滞后原因",
        ])
        .texts(&["", "", "", "本年累计", "完成率", ""])
        .merge(0, 0, 0, 5)
        .merge(2, 0, 3, 0)
        .merge(2, 1, 3, 1)
        .merge(2, 2, 3, 2)
        .merge(2, 3, 2, 4)
        .merge(2, 5, 3, 5);
    for code in codes_of("位奇镇") {
        let i = ind(code);
        let v = value("位奇镇", code, if code == "FA01" { 0.12 } else { 0.25 });
        let note = match code {
            "FA01" => "两个项目因土地手续未办结推迟开工",
            "XC01" => "示范村规划已编制，4月开工建设",
            _ => "",
        };
        s = s.row(vec![
            t(i.1),
            t(i.2),
            n(target_of("位奇镇", code)),
            v,
            C::E,
            t(note),
        ]);
    }
    let help = Sheet::new("填报说明")
        .texts(&["填报说明"])
        .texts(&["1. 本表填报1月1日至本月末的累计数。"])
        .texts(&["2. 滞后的任务请在“滞后原因”列说明原因。"]);
    // Its project table has a two-row header too, on its own sheet.
    let projects = Sheet::new("重点项目")
        .texts(&["位奇镇重点项目推进情况"])
        .texts(&[
            "项目名称",
            "是否开工",
            "开工日期",
            "投资完成情况",
            "",
            "存在问题",
        ])
        .texts(&["", "", "", "本年完成投资", "累计完成投资", ""])
        .row(vec![
            t("位奇镇肉羊现代农业产业园"),
            t("否"),
            C::E,
            n(0.0),
            n(350.0),
            t("建设用地未批复，正在办理农用地转用手续"),
        ])
        .merge(1, 0, 2, 0)
        .merge(1, 1, 2, 1)
        .merge(1, 2, 2, 2)
        .merge(1, 3, 1, 4)
        .merge(1, 5, 2, 5);
    write_xlsx(
        &inbox.join("位奇镇2022年3月报表.xlsx"),
        &[help, s, projects],
    );

    // 大马营镇: numbers typed as text, full-width digits, separators, units.
    let values: Vec<(&str, C, &str)> = codes_of("大马营镇")
        .into_iter()
        .map(|c| {
            let v = match c {
                "FA01" => t("２，９８０．５"),
                "ZS01" => t("1,850 万元"),
                "PJ01" => t("１"),
                "AQ01" => t("无"),
                "NY04" => t(" 0.06 "),
                "WS01" => t("81%"),
                _ => value("大马营镇", c, 0.27),
            };
            (c, v, "")
        })
        .collect();
    let s = below(
        standard("大马营镇", "2022年4月6日", &values),
        vec![(
            "马铃薯省级现代农业产业园项目",
            t("已开工"),
            t("2022.3.5"),
            t("９００"),
            "",
        )],
    );
    write_xlsx(&inbox.join("大马营镇-3月.xlsx"), &[s]);

    // 霍城镇: the file with mistakes a clerk must fix.
    let values: Vec<(&str, C, &str)> = codes_of("霍城镇")
        .into_iter()
        .filter(|c| *c != "XC01") // a row deleted
        .map(|c| {
            let v = match c {
                "FA01" => n(1200.0),                                     // behind, no reason
                "ZS01" => t("待统计"),                                   // not a number
                "NY04" => n(-0.02),                                      // negative
                "WS01" => C::F("C9/C10".into(), Some("#DIV/0!".into())), // formula error
                "ST01" => t("0.03亩"),                                   // wrong unit of measure
                "ST02" => C::E,                                          // left empty
                "PJ01" => n(0.0), // its one project is not started
                _ => value("霍城镇", c, 0.26),
            };
            (c, v, "")
        })
        .collect();
    let mut s = standard("霍城镇", "2022-04-07", &values);
    // A row that is not in the plan, and the same indicator twice.
    s.rows.insert(
        5,
        vec![t("QT09"), t("秸秆综合利用"), t("万吨"), C::E, n(1.2), C::E],
    );
    s.rows.insert(
        6,
        vec![t("ST03"), t("人工种草"), t("万亩"), n(0.7), n(0.3), C::E],
    );
    // A target overwritten in the submission.
    if let Some(row) = s
        .rows
        .iter_mut()
        .find(|r| matches!(r.first(), Some(C::T(c)) if c == "ST03"))
    {
        row[3] = n(0.5);
        row[4] = n(0.2);
    }
    // Its projects: 未开工 with a start date, an investment that is no
    // number, a project not in the plan, and 农贸市场改造 left out.
    let s = below(
        s,
        vec![
            (
                "花草滩循环经济产业区基础设施",
                t("未开工"),
                C::D(2022, 3, 25),
                t("待定"),
                "环评报告待批复",
            ),
            ("霍城镇污水处理站", t("是"), C::D(2022, 3, 1), n(120.0), ""),
        ],
    );
    write_xlsx(&inbox.join("霍城镇.xlsx"), &[s]);

    // 陈户镇: saved by LibreOffice as .xls (see the module docs). Its
    // 特色产业增加值 is typed larger than its 农业增加值, against rule R01.
    let xlsx = std::env::temp_dir().join("陈户镇.xlsx");
    let mut values = standard_values("陈户镇", 0.26);
    for v in values.iter_mut().filter(|v| v.0 == "NY02") {
        v.1 = n(3200.0);
    }
    write_xlsx(&xlsx, &[standard("陈户镇", "2022-04-05", &values)]);
    let converted = Command::new("soffice")
        .args(["--headless", "--convert-to", "xls", "--outdir"])
        .arg(&inbox)
        .arg(&xlsx)
        .status()
        .is_ok_and(|s| s.success());
    if !converted {
        eprintln!("soffice not found: keeping the committed 陈户镇.xls");
    }

    // 李桥乡: columns in another order, 填报单位（盖章）, a date cell,
    // a 合计 row and a footer.
    let mut s = Sheet::new("报表")
        .texts(&["李桥乡2022年一季度重点任务推进情况"])
        .row(vec![
            t("填报单位（盖章）：李桥乡"),
            C::E,
            C::E,
            t("填报日期："),
            C::D(2022, 4, 4),
        ])
        .texts(&["备注", "本年累计", "年度目标", "指标名称", "指标代码"]);
    for code in codes_of("李桥乡") {
        let i = ind(code);
        let note = if code == "XC01" { "正在选址" } else { "" };
        s = s.row(vec![
            t(note),
            value("李桥乡", code, 0.25),
            n(target_of("李桥乡", code)),
            t(i.1),
            t(code),
        ]);
    }
    s = s.texts(&["", "", "", "合计", ""]).texts(&["审核人：赵刚"]);
    write_xlsx(
        &inbox.join("李桥乡.xlsx"),
        &[
            s,
            project_sheet(
                "李桥乡",
                vec![(
                    "永宁新村生态宜居村庄建设",
                    t("是"),
                    C::D(2022, 3, 28),
                    n(200.0),
                    "",
                )],
            ),
        ],
    );

    // 老军乡 sent nothing. 花寨乡 sent twice: the later 填报日期 wins.
    write_xlsx(
        &inbox.join("花寨乡.xlsx"),
        &[standard(
            "花寨乡",
            "2022-04-03",
            &standard_values("花寨乡", 0.20),
        )],
    );
    write_xlsx(
        &inbox.join("花寨乡（更正）.xlsx"),
        &[standard(
            "花寨乡",
            "2022-04-06",
            &standard_values("花寨乡", 0.26),
        )],
    );

    // Departments.
    // 发改局: totals as formulas with cached results, alias in the file name.
    let mut s = standard(
        "县发展和改革局",
        "2022-04-06",
        &standard_values("县发展和改革局", 0.27),
    );
    if let Some(row) = s
        .rows
        .iter_mut()
        .find(|r| matches!(r.first(), Some(C::T(c)) if c == "FA01"))
    {
        row[4] = C::F("9500+6700".into(), Some("16200".into()));
    }
    let projects = project_sheet(
        "县发展和改革局",
        vec![
            (
                "绣花庙风电场",
                t("否"),
                C::E,
                n(0.0),
                "土地预审、环评批复未取得，正在开展前期工作",
            ),
            (
                "华能新能源综合开发暨氢能源示范基地",
                t("否"),
                C::E,
                n(0.0),
                "正在办理土地、环评等前期手续，计划6月开工",
            ),
            (
                "河北焰中并网光伏发电项目",
                t("是"),
                C::D(2022, 3, 10),
                n(5200.0),
                "",
            ),
            (
                "甘肃天聚并网光伏发电项目",
                t("已开工"),
                C::D(2022, 3, 20),
                n(3100.0),
                "",
            ),
            (
                "城北工业园区基础设施",
                t("是"),
                C::D(2022, 2, 25),
                n(1500.0),
                "",
            ),
        ],
    );
    write_xlsx(&inbox.join("发改局3月报表.xlsx"), &[s, projects]);
    // 住建局: the projects below the indicators, answered Y/N.
    let s = below(
        standard(
            "县住房和城乡建设局",
            "2022-04-05",
            &standard_values("县住房和城乡建设局", 0.25),
        ),
        vec![
            (
                "城区加气站建设",
                t("N"),
                C::E,
                n(0.0),
                "加气站选址用地未落实，环评未批复",
            ),
            (
                "南环路改造工程",
                t("N"),
                C::E,
                n(0.0),
                "施工图设计中，4月底开工",
            ),
            ("老旧小区改造提升", t("Y"), C::D(2022, 3, 15), n(2400.0), ""),
            ("城区大型停车场", t("N"), C::E, n(0.0), "配套资金未到位"),
        ],
    );
    write_xlsx(&inbox.join("县住建局.xlsx"), &[s]);
    write_xlsx(
        &inbox.join("林草局.xlsx"),
        &[
            standard(
                "县林业和草原局",
                "2022-04-05",
                &standard_values("县林业和草原局", 0.40),
            ),
            project_sheet(
                "县林业和草原局",
                vec![("国土绿化示范项目", t("是"), C::D(2022, 3, 18), n(650.0), "")],
            ),
        ],
    );
    let mut s = standard(
        "县应急管理局",
        "2022-04-02",
        &[("AQ01", n(3.0), "3月12日交通事故2起、建筑施工事故1起")],
    );
    s.name = "一季度".into();
    write_xlsx(&inbox.join("应急管理局.xlsx"), &[s]);
    // 农业农村局 started its project two days late.
    let s = below(
        standard(
            "县农业农村局",
            "2022-04-06",
            &standard_values("县农业农村局", 0.24),
        ),
        vec![(
            "水肥一体化高标准农田建设",
            t("是"),
            C::D(2022, 4, 2),
            n(300.0),
            "受疫情影响，施工队伍4月初进场",
        )],
    );
    write_xlsx(&inbox.join("农业农村局.xlsx"), &[s]);

    write_template_fixtures(&root);

    // Not a workbook: someone's note dropped in the inbox.
    std::fs::write(inbox.join("报送说明.txt"), "霍城镇的数据下周补报。\n").expect("write note");
    println!("samples written to {}", root.display());
}
