//! The plan workbook: accepted forms and refused plans.

use crate::book::{Sheet, n, t, write_xlsx};
use crate::common::{Workdir, small_plan, tally};
use tally::model::{Aggregation, Direction, Id, IndicatorId, Profile, UnitId};
use tally::plan::read_plan;

#[test]
fn the_small_plan_reads_with_aliases_percent_targets_and_profiles() {
    let w = Workdir::new("plan_ok");
    let plan = read_plan(&w.plan()).expect("plan reads");
    assert_eq!(plan.units.len(), 3);
    let u = UnitId::new;
    assert_eq!(plan.unit_named("发改局"), Some(u(2)));
    let ny01 = plan.indicator_by_code("NY01").unwrap();
    let ind = &plan.indicators[ny01];
    assert_eq!(ind.aggregation, Aggregation::Ratio);
    let [num, den] = ind.ratio_of.unwrap().parts();
    assert_eq!(
        (
            plan.indicators[num].code.as_str(),
            plan.indicators[den].code.as_str()
        ),
        ("NY02", "NY03")
    );
    // "70%" and 0.7 are the same target; 85 on a % indicator is 0.85.
    assert_eq!(plan.target(Some(u(0)), ny01).unwrap().goal.target, 0.7);
    assert_eq!(plan.target(Some(u(1)), ny01).unwrap().goal.target, 0.7);
    let ws01 = plan.indicator_by_code("WS01").unwrap();
    assert!((plan.target(Some(u(1)), ws01).unwrap().goal.target - 0.85).abs() < 1e-12);
    let aq = plan.indicator_by_code("AQ01").unwrap();
    assert_eq!(plan.indicators[aq].direction, Direction::Lower);
    let st = plan.indicator_by_code("ST01").unwrap();
    assert_eq!(plan.indicators[st].profile, Profile::Quarterly);
    assert_eq!(
        plan.target(Some(u(0)), st).unwrap().goal.milestones,
        [Some(0.1), Some(0.2), Some(0.3)]
    );
    // A target row by alias ("大马营") belongs to the unit.
    let fa = plan.indicator_by_code("FA01").unwrap();
    assert_eq!(plan.target(Some(u(1)), fa).unwrap().goal.target, 800.0);
    // The ratio is reported as its parts.
    let required: Vec<&str> = plan
        .required(u(1))
        .iter()
        .map(|&i| plan.indicators[i].code.as_str())
        .collect();
    assert_eq!(required, ["FA01", "PJ01", "NY02", "NY03", "AQ01", "WS01"]);
}

#[test]
fn english_sheet_names_and_headers_in_any_order_are_accepted() {
    let w = Workdir::new("plan_english");
    let p = w.path("plan.xlsx");
    write_xlsx(
        &p,
        &[
            Sheet::new("Targets")
                .texts(&["target", "code", "unit"])
                .row(vec![n(5.0), t("X1"), t("全县")])
                .row(vec![n(2.0), t("X1"), t("Town A")]),
            Sheet::new("UNITS")
                .texts(&["kind", "name"])
                .texts(&["township", "Town A"]),
            Sheet::new("indicators")
                .texts(&["unit", "name", "code", "direction"])
                .texts(&["个", "Wells", "X1", "lower"]),
        ],
    );
    let plan = read_plan(&p).expect("plan reads");
    assert_eq!(plan.targets.len(), 2);
    assert_eq!(plan.targets[0].unit, None, "全县 is the county");
    assert_eq!(
        plan.indicators[IndicatorId::new(0)].direction,
        Direction::Lower
    );
}

#[test]
fn a_broken_plan_is_refused_with_every_problem_and_exit_2() {
    let w = Workdir::new("plan_broken");
    let mut sheets = small_plan();
    // Duplicate code, ratio without parts, a target that is no number,
    // a target for an unknown unit and for an unknown indicator.
    sheets[1] =
        sheets[1]
            .clone()
            .texts(&["FA01", "重复", "万元"])
            .texts(&["R9", "无分子", "%", "比率"]);
    sheets[2] = sheets[2]
        .clone()
        .row(vec![t("清泉镇"), t("AQ01"), t("待定")])
        .row(vec![t("柳河乡"), t("FA01"), n(1.0)])
        .row(vec![t("清泉镇"), t("ZZ99"), n(1.0)]);
    write_xlsx(&w.path("plan.xlsx"), &sheets);
    let out = tally(&[
        "check",
        "--plan",
        w.path("plan.xlsx").to_str().unwrap(),
        "--inbox",
        w.inbox().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "指标!A10：指标代码“FA01”与已有的“FA01”重复",
        "比率指标“R9”需要分子和分母",
        "目标!C15：年度目标“待定”不是数字",
        "目标!A16：单位“柳河乡”不在“单位”表中",
        "目标!B17：指标代码“ZZ99”不在“指标”表中",
    ] {
        assert!(err.contains(expected), "missing “{expected}” in:\n{err}");
    }
}

#[test]
fn a_broken_project_sheet_is_refused_with_every_problem() {
    let w = Workdir::new("plan_projects");
    let mut sheets = small_plan();
    sheets.push(
        Sheet::new("项目")
            .texts(&[
                "项目名称",
                "责任单位",
                "项目类型",
                "年度计划投资",
                "计划开工日期",
            ])
            .texts(&["东乐风电场", "发改局", "新建", "20000", "2022-03-31"])
            .texts(&["东乐风电场项目", "清泉镇", "新建", "", ""])
            .texts(&["城区加气站", "柳河乡", "新建", "", ""])
            .texts(&["光伏电站", "发改局", "在建", "", ""])
            .texts(&["氢能基地", "发改局", "前期", "-5", "三月底"]),
    );
    write_xlsx(&w.path("plan.xlsx"), &sheets);
    let err = read_plan(&w.path("plan.xlsx")).unwrap_err().to_string();
    for expected in [
        "项目!A3：项目名称“东乐风电场项目”与 A2 重复",
        "项目!B4：项目“城区加气站”的责任单位“柳河乡”不在“单位”表中",
        "项目!C5：项目类型“在建”无法识别",
        "项目!D6：年度计划投资“-5”不是有效金额",
        "项目!E6：计划开工日期“三月底”无法识别",
    ] {
        assert!(err.contains(expected), "missing “{expected}” in:\n{err}");
    }
    // Without the sheet, a plan has no projects and is no worse for it.
    write_xlsx(&w.path("plain.xlsx"), &small_plan());
    assert!(
        read_plan(&w.path("plain.xlsx"))
            .unwrap()
            .projects
            .is_empty()
    );
}

#[test]
fn a_plan_without_its_sheets_or_columns_says_which() {
    let w = Workdir::new("plan_sheets");
    let p = w.path("plan.xlsx");
    write_xlsx(
        &p,
        &[Sheet::new("单位")
            .texts(&["单位名称", "别名"])
            .texts(&["清泉镇", ""])],
    );
    let err = read_plan(&p).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("缺少工作表“指标”"), "{text}");
    assert!(text.contains("缺少工作表“目标”"), "{text}");
    assert!(text.contains("表头缺少“类型”列"), "{text}");
    let missing = read_plan(&w.path("nope.xlsx")).unwrap_err();
    assert!(missing.to_string().contains("无法读取计划表"), "{missing}");
    // The reason is kept as the error's source, said in Chinese at the end.
    let said = tally::errors::chain(&missing);
    assert!(
        said.contains("nope.xlsx") && said.contains("找不到"),
        "{said}"
    );
}

#[test]
fn a_plan_that_is_no_workbook_is_refused_in_chinese() {
    let w = Workdir::new("plan_not_a_workbook");
    for (name, bytes, said) in [
        (
            "garbage.xlsx",
            &b"\xd0\xcf\x11\xe0 not really an OLE file"[..],
            "计划表已损坏或不是 Excel/WPS 表格，无法打开",
        ),
        ("empty.xlsx", &b""[..], "计划表是空文件（0 字节）"),
    ] {
        let plan = w.path(name);
        std::fs::write(&plan, bytes).unwrap();
        let out = w.check(&plan, &[]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(said), "{name}: {stderr}");
        // Never the reader's own English ("Cfb error: Invalid OLE ...").
        assert!(
            !stderr.contains("rror") && !stderr.contains("OLE"),
            "{stderr}"
        );
    }
}

#[test]
fn a_target_a_formula_left_a_hair_above_85_percent_is_85_percent() {
    // 0.85 computed by a formula is often 0.8500000000000001; a unit that
    // reports exactly 85% has met it, with no variance of -1e-16.
    let w = Workdir::new("plan_noise");
    let mut sheets = small_plan();
    for row in &mut sheets[2].rows {
        if row[0] == t("大马营镇") && row[1] == t("WS01") {
            row[2] = n(0.850_000_000_000_000_1);
        }
    }
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    w.submit(
        "大马营镇.xlsx",
        &[crate::common::standard(
            "大马营镇",
            "2022-04-05",
            vec![crate::common::line("WS01", t("85%"), "")],
        )],
    );
    let out = w.run(&plan, "out");
    assert!(out.status.code().is_some_and(|c| c < 2), "{out:?}");
    let row = crate::common::read_csv(&w.path("out/data/by_unit.csv"))
        .into_iter()
        .find(|r| r["unit"] == "大马营镇" && r["indicator_code"] == "WS01")
        .unwrap();
    assert_eq!(
        (
            row["target"].as_str(),
            row["status"].as_str(),
            row["variance"].as_str()
        ),
        ("0.85", "done", "0")
    );
}

#[test]
fn a_target_written_as_a_share_or_in_another_unit_is_refused() {
    // `20%` of 人工造林 (万亩) was read as 20 万亩, `6亿元` for 万元 as 6:
    // silently other targets. The unit's own 万元 is fine.
    let w = Workdir::new("plan_target_units");
    let mut sheets = small_plan();
    for row in &mut sheets[2].rows {
        if row[0] == t("清泉镇") && row[1] == t("ST01") {
            row[3] = t("20%");
        }
        if row[0] == t("大马营") && row[1] == t("FA01") {
            row[2] = t("6亿元");
        }
        if row[0] == t("发改局") && row[1] == t("FA01") {
            row[2] = t("6000万元");
        }
    }
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    let err = match read_plan(&plan) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a plan with 20% and 6亿元 targets was accepted"),
    };
    assert!(
        err.contains("目标!D4：一季度目标“20%”是百分数，但“人工造林”以“万亩”计"),
        "{err}"
    );
    assert!(
        err.contains(
            "目标!C8：年度目标“6亿元”写的单位“亿元”与“固定资产投资”的计量单位“万元”不一致"
        ),
        "{err}"
    );
    assert!(!err.contains("6000万元"), "{err}");
}

#[test]
fn a_copy_of_a_sheet_before_its_original_is_not_read() {
    // Excel's 移动或复制 puts `目标 (2)` before `目标`; both normalize to
    // 目标, and the copy (other targets) was read.
    let w = Workdir::new("plan_sheet_copy");
    let mut sheets = small_plan();
    let mut copy = sheets[2].clone();
    copy.name = "目标 (2)".into();
    for row in copy.rows.iter_mut().skip(1) {
        row[2] = n(1.0);
    }
    sheets.insert(2, copy.clone());
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    let read = read_plan(&plan).unwrap();
    let qq = read.unit_named("清泉镇").unwrap();
    let fa01 = read.indicator_by_code("FA01").unwrap();
    assert_eq!(read.target(Some(qq), fa01).unwrap().goal.target, 1200.0);
    // Two near names and no exact one: which is meant cannot be told.
    sheets.remove(3);
    let mut other = copy;
    other.name = "目标（2022年）".into();
    sheets.push(other);
    write_xlsx(&plan, &sheets);
    let err = read_plan(&plan)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("有 2 个工作表都像是“目标”表：“目标 (2)”、“目标（2022年）”"),
        "{err}"
    );
}

#[test]
fn codes_that_differ_only_in_brackets_are_two_codes() {
    // Brackets were dropped from codes as from labels: `3(1)` and `3(2)`
    // were refused as one, and `（一）` matched a submission's `（二）`.
    let w = Workdir::new("plan_bracket_codes");
    let mut sheets = small_plan();
    sheets[1] = sheets[1]
        .clone()
        .texts(&["3(1)", "新建农田", "万亩"])
        .texts(&["3(2)", "改造农田", "万亩"])
        .texts(&["（一）", "其中：水田", "万亩"]);
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    let read = read_plan(&plan).unwrap();
    let named = |code: &str| {
        read.indicator_by_code(code)
            .map(|i| read.indicators[i].name.clone())
    };
    assert_eq!(named("3（1）").as_deref(), Some("新建农田"));
    assert_eq!(named("3(2)").as_deref(), Some("改造农田"));
    assert_eq!(named("(一)").as_deref(), Some("其中：水田"));
    assert_eq!(named("（二）"), None);
    assert_eq!(named(""), None);
}

#[test]
fn a_percent_indicators_bounds_may_be_written_with_a_percent_sign() {
    // `150%` was read as 150, then taken for 1.5% (over 1: a percentage).
    let w = Workdir::new("plan_percent_bounds");
    let mut sheets = small_plan();
    for row in &mut sheets[1].rows {
        if row[0] == t("WS01") {
            row[8] = t("50%");
            row[9] = t("150%");
        }
        if row[0] == t("FA01") {
            row[9] = t("5%");
        }
    }
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    let err = read_plan(&plan)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("最大值写成了百分数，但该指标的计量单位不是 %"),
        "{err}"
    );
    for row in &mut sheets[1].rows {
        if row[0] == t("FA01") {
            row[9] = n(100000.0);
        }
    }
    write_xlsx(&plan, &sheets);
    let read = read_plan(&plan).unwrap();
    let ws01 = &read.indicators[read.indicator_by_code("WS01").unwrap()];
    assert_eq!((ws01.min, ws01.max), (Some(0.5), Some(1.5)));
}

#[test]
fn a_unit_name_merged_down_its_rows_names_each_row() {
    // The 目标 sheet as bureaus lay it out: 清泉镇 once, merged over its
    // six rows. Each blank under the merge was a target of unit “”.
    let w = Workdir::new("plan_merged_units");
    let mut sheets = small_plan();
    let rows = &mut sheets[2].rows;
    assert!((1..=6).all(|r| rows[r][0] == t("清泉镇")));
    for row in rows.iter_mut().take(7).skip(2) {
        row[0] = crate::book::C::E;
    }
    sheets[2].merges.push((1, 0, 6, 0));
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    let read = read_plan(&plan).unwrap_or_else(|e| panic!("{e}"));
    let qq = read.unit_named("清泉镇").unwrap();
    let ws01 = read.indicator_by_code("WS01").unwrap();
    assert_eq!(read.target(Some(qq), ws01).unwrap().goal.target, 0.8);
}

#[test]
fn a_formula_never_calculated_says_so_in_the_plan() {
    // A plan written by a program: formulas with no saved result. The code
    // was the formula's text, and every target of it "not in 指标"; the
    // target "不是数字".
    let w = Workdir::new("plan_uncached");
    let mut sheets = small_plan();
    for row in &mut sheets[1].rows {
        if row[0] == t("PJ01") {
            row[0] = crate::book::C::F("\"PJ\"&\"01\"".into(), None);
        }
    }
    for row in &mut sheets[2].rows {
        if row[0] == t("清泉镇") && row[1] == t("FA01") {
            row[2] = crate::book::C::F("1000+200".into(), None);
        }
        if row[0] == t("大马营") && row[1] == t("FA01") {
            row[2] = crate::book::C::F("1/0".into(), Some("#DIV/0!".into()));
        }
    }
    let plan = w.path("plan.xlsx");
    write_xlsx(&plan, &sheets);
    let err = read_plan(&plan)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    for said in [
        "指标!A3：指标代码是公式“=\"PJ\"&\"01\"”，但没有保存计算结果；请在 Excel 或 WPS 中打开计划表并保存后再用",
        "目标!C2：年度目标是公式“=1000+200”，但没有保存计算结果",
        "目标!C8：年度目标是错误值“#DIV/0!”",
    ] {
        assert!(err.contains(said), "missing “{said}” in:\n{err}");
    }
}
