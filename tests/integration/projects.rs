//! Key projects (CONTRACT.md section 11): the plan's 项目 sheet, project
//! tables in submissions, their checks, `projects.csv`, the 重点项目 sheet,
//! red warnings for overdue projects and the feedback, with every figure
//! computed by hand in the comments.

use calamine::{Data, Reader, open_workbook_auto};
use serde_json::Value;

use crate::book::{C, Sheet, n, project_table, t};
use crate::common::{
    Workdir, issues_with, line, qingquan_clean, read_csv, small_plan, standard, submission,
};

/// The small plan (see `small_plan`) with 县交通运输局, a unit that only
/// has a project, and a 项目 sheet:
///
/// | project | unit | kind | total | planned | start by |
/// | 东乐风电场 | 发改局 | 新建 | 50000 | 20000 | 03-15 |
/// | 城区加气站 | 发改局 | 新建 | 3000 | 3000 | 03-31 |
/// | 光伏电站 | 发改局 | 续建 | 40000 | 10000 | 02-28 |
/// | 氢能基地 | 发改局 | 前期 | 100000 | 5000 | 09-30 |
/// | 清泉镇棚改 | 清泉镇 | 续建 | 8000 | 4000 | 03-10 |
/// | 大马营养殖基地 | 大马营镇 | 新建 | 2000 | 1000 | 03-20 |
/// | 城区公交站 | 县交通运输局 | 新建 | 800 | 800 | 03-31 |
fn project_plan(w: &Workdir) -> std::path::PathBuf {
    let mut sheets = small_plan();
    sheets[0]
        .rows
        .push(vec![t("县交通运输局"), t("交通局"), t("部门")]);
    let projects = Sheet::new("项目")
        .texts(&[
            "项目名称",
            "责任单位",
            "项目类型",
            "总投资",
            "年度计划投资",
            "计划开工日期",
        ])
        .row(project(
            "东乐风电场",
            "发改局",
            "新建",
            50000.0,
            20000.0,
            (3, 15),
        ))
        .row(project(
            "城区加气站",
            "发改局",
            "新建",
            3000.0,
            3000.0,
            (3, 31),
        ))
        .row(project(
            "光伏电站",
            "发改局",
            "续建",
            40000.0,
            10000.0,
            (2, 28),
        ))
        .row(project(
            "氢能基地",
            "发改局",
            "前期",
            100000.0,
            5000.0,
            (9, 30),
        ))
        .row(project(
            "清泉镇棚改",
            "清泉镇",
            "续建",
            8000.0,
            4000.0,
            (3, 10),
        ))
        .row(project(
            "大马营养殖基地",
            "大马营镇",
            "新建",
            2000.0,
            1000.0,
            (3, 20),
        ))
        .row(project(
            "城区公交站",
            "县交通运输局",
            "新建",
            800.0,
            800.0,
            (3, 31),
        ));
    sheets.push(projects);
    let p = w.path("plan.xlsx");
    crate::book::write_xlsx(&p, &sheets);
    p
}

fn project(name: &str, unit: &str, kind: &str, total: f64, planned: f64, by: (u8, u8)) -> Vec<C> {
    vec![
        t(name),
        t(unit),
        t(kind),
        n(total),
        n(planned),
        C::D(2022, by.0, by.1),
    ]
}

fn project_sheet(rows: Vec<(&str, C, C, C, &str)>) -> Sheet {
    let mut s = Sheet::new("重点项目").texts(&["重点项目推进情况"]);
    s.rows.extend(project_table(rows));
    s
}

fn fgj_indicators() -> Sheet {
    standard(
        "县发展和改革局",
        "2022-04-05",
        vec![line("FA01", n(1500.0), ""), line("PJ01", n(10.0), "")],
    )
}

/// The run of the hand-computed county: 发改局 on a sheet of its own,
/// 清泉镇 below its indicators, 大马营镇 and 交通局 sending nothing.
fn rolled_up(w: &Workdir) {
    let plan = project_plan(w);
    w.submit(
        "发改局.xlsx",
        &[
            fgj_indicators(),
            project_sheet(vec![
                // Not started, due 03-15: overdue; land and approval.
                (
                    "东乐风电场",
                    t("否"),
                    C::E,
                    n(0.0),
                    "土地预审未批复，环评待审",
                ),
                // Started 03-20, due 03-31: on time; 1500 / 3000.
                ("城区加气站", t("是"), C::D(2022, 3, 20), t("1,500"), "无"),
                // Started 03-05, due 02-28: started, late; 2500 / 10000.
                ("光伏电站项目", t("已开工"), t("2022.3.5"), n(2500.0), ""),
                // Not started, due 09-30: not overdue; funding.
                ("氢能基地", t("未开工"), C::E, C::E, "资金未落实"),
            ]),
        ],
    );
    let mut qq = standard("清泉镇", "2022-04-05", qingquan_clean());
    qq.rows.push(vec![]);
    qq.rows.push(vec![t("二、重点项目")]);
    // Not started, due 03-10: overdue; land.
    qq.rows.extend(project_table(vec![(
        "清泉镇棚改",
        t("N"),
        C::E,
        n(0.0),
        "征地拆迁未完成",
    )]));
    w.submit("清泉镇.xlsx", &[qq]);
    let out = w.run(&plan, "out");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn projects_csv_holds_every_planned_project_as_computed_by_hand() {
    let w = Workdir::new("projects_csv");
    rolled_up(&w);
    let rows = read_csv(&w.path("out/data/projects.csv"));
    let header = std::fs::read_to_string(w.path("out/data/projects.csv")).unwrap();
    assert!(header.starts_with(
        "project,unit,kind,planned_investment,investment,completion,started,started_on,start_by,overdue,blocker\n"
    ));
    let get = |name: &str| {
        rows.iter()
            .find(|r| r["project"] == name)
            .unwrap_or_else(|| panic!("no row for {name}"))
    };
    assert_eq!(rows.len(), 7, "every project of the plan, reported or not");
    let wind = get("东乐风电场");
    assert_eq!(
        (
            wind["unit"].as_str(),
            wind["kind"].as_str(),
            wind["started"].as_str(),
            wind["overdue"].as_str(),
            wind["start_by"].as_str(),
        ),
        ("县发展和改革局", "新建", "false", "true", "2022-03-15")
    );
    assert_eq!(wind["blocker"], "土地预审未批复，环评待审");
    let gas = get("城区加气站");
    assert_eq!(
        (
            gas["investment"].as_str(),
            gas["completion"].as_str(),
            gas["started"].as_str(),
            gas["started_on"].as_str(),
            gas["overdue"].as_str(),
            gas["blocker"].as_str(),
        ),
        ("1500", "0.5", "true", "2022-03-20", "false", ""),
        "“无” is no blocker"
    );
    let solar = get("光伏电站");
    assert_eq!(
        (solar["completion"].as_str(), solar["started_on"].as_str()),
        ("0.25", "2022-03-05"),
        "named with 项目 in the file, found all the same"
    );
    let hydrogen = get("氢能基地");
    assert_eq!(
        (
            hydrogen["investment"].as_str(),
            hydrogen["overdue"].as_str()
        ),
        ("", "false")
    );
    assert_eq!(get("清泉镇棚改")["overdue"], "true");
    let farm = get("大马营养殖基地");
    assert_eq!(
        (farm["started"].as_str(), farm["overdue"].as_str()),
        ("", "true"),
        "not reported and past its date: overdue"
    );
    // Due 03-31 at a period ending 03-31: not yet overdue.
    assert_eq!(get("城区公交站")["overdue"], "false");
}

fn sheet(path: &std::path::Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb = open_workbook_auto(path).unwrap();
    wb.worksheet_range(name)
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect()
}

fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn the_projects_sheet_rolls_up_by_kind_and_counts_blockers() {
    let w = Workdir::new("projects_sheet");
    rolled_up(&w);
    let rows = sheet(&w.path("out/consolidated.xlsx"), "重点项目");
    assert!(
        rows[1][0].to_string().starts_with(
            "计划重点项目 7 个，其中应于 2022年3月31日 前开工 6 个；已开工 2 个（开工率 28.6%，其中按期开工 1 个），逾期未开工 3 个"
        ),
        "{}",
        rows[1][0]
    );
    let find = |label: &str| {
        rows.iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no row {label}"))
    };
    // kind: planned, started, rate, on time, overdue, planned inv, inv, share.
    // 新建: 东乐 加气站 养殖基地 公交站: 4 planned, 1 started (加气站, on
    // time), 2 overdue (东乐, 养殖基地); 20000+3000+1000+800 = 24800, 1500.
    let new = find("新建");
    let figures = |r: &Vec<Data>| {
        [1, 2, 4, 5, 6, 7]
            .iter()
            .map(|&c| num(&r[c]))
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(new), [4.0, 1.0, 1.0, 2.0, 24800.0, 1500.0]);
    // 续建: 光伏 (started late) and 棚改 (overdue): 10000+4000, 2500.
    assert_eq!(figures(find("续建")), [2.0, 1.0, 0.0, 1.0, 14000.0, 2500.0]);
    assert_eq!(figures(find("前期")), [1.0, 0.0, 0.0, 0.0, 5000.0, 0.0]);
    let total = find("合计");
    assert_eq!(figures(total), [7.0, 2.0, 1.0, 3.0, 43800.0, 4000.0]);
    assert!((num(&total[3]) - 2.0 / 7.0).abs() < 1e-12);
    assert!((num(&total[8]) - 4000.0 / 43800.0).abs() < 1e-12);
    // Blockers: 土地 东乐 and 棚改; 环评 东乐; 资金 氢能基地; no other.
    let blocker = |k: &str| {
        let r = find(k);
        (r[1].to_string(), r[2].to_string())
    };
    let said = |n: &str, names: &str| (n.to_string(), names.to_string());
    assert_eq!(blocker("土地"), said("2 个", "东乐风电场、清泉镇棚改"));
    assert_eq!(blocker("环评"), said("1 个", "东乐风电场"));
    assert_eq!(blocker("资金"), said("1 个", "氢能基地"));
    assert!(!rows.iter().any(|r| r[0] == "其他"));
    // The list: every project with its state.
    let state = |name: &str| find(name)[10].to_string();
    assert_eq!(state("东乐风电场"), "逾期未开工");
    assert_eq!(state("城区加气站"), "已开工");
    assert_eq!(state("光伏电站"), "逾期开工");
    assert_eq!(state("氢能基地"), "未到开工期");
    assert_eq!(state("大马营养殖基地"), "未填报，已过开工期");
    assert_eq!(state("城区公交站"), "未填报");
}

#[test]
fn an_overdue_project_is_a_red_warning_in_the_workbook_run_json_and_feedback() {
    let w = Workdir::new("projects_red");
    rolled_up(&w);
    let warnings = sheet(&w.path("out/consolidated.xlsx"), "预警");
    let red: Vec<String> = warnings
        .iter()
        .filter(|r| r[0] == "红色" && r[2].to_string().starts_with("重点项目"))
        .map(|r| format!("{} {}", r[1], r[2]))
        .collect();
    assert_eq!(
        red,
        [
            "清泉镇 重点项目“清泉镇棚改”逾期未开工（应于 2022年3月10日 前开工）",
            "大马营镇 重点项目“大马营养殖基地”逾期未开工（应于 2022年3月20日 前开工）",
            "县发展和改革局 重点项目“东乐风电场”逾期未开工（应于 2022年3月15日 前开工）",
        ]
    );
    let run: Value =
        serde_json::from_slice(&std::fs::read(w.path("out/run.json")).unwrap()).unwrap();
    let lines: Vec<&str> = run["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["warning"] == "red")
        .map(|l| l["indicator"].as_str().unwrap())
        .collect();
    assert!(
        lines.contains(&"重点项目“东乐风电场”逾期未开工（应于 2022年3月15日 前开工）"),
        "{lines:?}"
    );
    assert_eq!(run["projects"]["overdue"], 3);
    assert_eq!(run["projects"]["started"], 2);
    let unit = |name: &str| {
        run["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(unit("县发展和改革局")["overdue_projects"], 1);
    assert_eq!(unit("大马营镇")["overdue_projects"], 1);
    assert_eq!(unit("县交通运输局")["overdue_projects"], 0);
    // The unit's feedback lists its projects, the overdue one red.
    let fb = sheet(&w.path("out/feedback/县发展和改革局.xlsx"), "重点项目");
    let names: Vec<String> = fb[1..].iter().map(|r| r[0].to_string()).collect();
    assert_eq!(names, ["东乐风电场", "城区加气站", "光伏电站", "氢能基地"]);
    assert_eq!(fb[1][8].to_string(), "逾期未开工");
    assert_eq!(fb[1][9].to_string(), "红色");
    let summary = sheet(&w.path("out/feedback/县发展和改革局.xlsx"), "反馈");
    assert!(
        summary.iter().any(|r| r[0]
            == "重点项目 4 个：已开工 2 个，逾期未开工 1 个（红色预警）；详见“重点项目”工作表。"),
        "{summary:?}"
    );
    // 清泉镇 reported its one project below its indicators.
    let qq = sheet(&w.path("out/feedback/清泉镇.xlsx"), "重点项目");
    assert_eq!(qq[1][0].to_string(), "清泉镇棚改");
    assert_eq!(qq[1][4].to_string(), "否");
}

#[test]
fn project_values_are_checked_cell_by_cell() {
    let w = Workdir::new("projects_checks");
    let plan = project_plan(&w);
    w.submit(
        "发改局.xlsx",
        &[
            fgj_indicators(),
            project_sheet(vec![
                // Row 3: a 是否开工 no one can read; 60000 > total 50000.
                ("东乐风电场", t("在办手续"), C::E, n(60000.0), ""),
                // Row 4: 未开工 with a date.
                ("城区加气站", t("未开工"), C::D(2022, 3, 1), n(0.0), ""),
                // Row 5: started in the future of its 填报日期 (2022-04-05),
                // investment in 元.
                ("光伏电站", t("是"), C::D(2099, 1, 1), t("2500元"), ""),
                // Row 6: a date that is no date, a negative investment.
                ("氢能基地", t("Y"), t("三月中旬"), n(-5.0), ""),
                // Row 7: not in the plan; row 8: another unit's.
                ("无名项目", t("是"), C::E, n(1.0), ""),
                ("清泉镇棚改", t("是"), C::E, n(1.0), ""),
            ]),
        ],
    );
    // 清泉镇 sends no project table at all.
    w.submit_qingquan();
    let (json, code) = w.check_json(&plan, &["--period", "2022-03"]);
    assert_eq!(code, 1, "errors");
    let at = |code: &str| -> Vec<(String, String)> {
        issues_with(&json, code)
            .iter()
            .map(|i| {
                (
                    i["cell"].as_str().unwrap_or("").to_string(),
                    i["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let not_a_number = at("not_a_number");
    assert_eq!(not_a_number.len(), 2, "{not_a_number:?}");
    assert_eq!(not_a_number[0].0, "B3");
    assert!(
        not_a_number[0]
            .1
            .contains("“在办手续”，无法识别；请填写“是”或“否”")
    );
    assert_eq!(not_a_number[1].0, "C6");
    assert!(not_a_number[1].1.contains("开工日期“三月中旬”无法识别"));
    let out_of_range = at("out_of_range");
    let cells: Vec<&str> = out_of_range.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(cells, ["D3", "C4", "C5"]);
    assert!(out_of_range[0].1.contains("超过项目总投资 50000 万元"));
    assert!(
        out_of_range[1]
            .1
            .contains("填的是未开工，却写了开工日期 2022-03-01")
    );
    assert!(
        out_of_range[2]
            .1
            .contains("2099-01-01 晚于填报日期 2022-04-05")
    );
    assert_eq!(at("negative_value")[0].0, "D6");
    assert_eq!(at("unit_of_measure")[0].0, "D5");
    // "2500元": what was counted is said, so 万元 against 元 is seen.
    assert!(
        at("unit_of_measure")[0]
            .1
            .contains("单位“元”不是“万元”，本次按 2500 万元计入"),
        "{:?}",
        at("unit_of_measure")
    );
    let unknown = at("unknown_project");
    assert_eq!(unknown.len(), 2);
    assert_eq!(unknown[0].0, "A7");
    assert!(unknown[0].1.contains("“无名项目”不在计划的重点项目清单中"));
    assert!(unknown[1].1.contains("是清泉镇负责的重点项目"));
    let missing = at("missing_project");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].0, "", "about the file, not a cell");
    assert!(missing[0].1.contains("没有重点项目表"));
    assert!(missing[0].1.contains("“清泉镇棚改”"));
    for s in ["发改局.xlsx", "清泉镇.xlsx"] {
        assert_eq!(submission(&json, s)["status"], "accepted");
    }
    // The feedback names the cells on each project's row, the sentences in
    // a note on its name.
    assert_eq!(w.run(&plan, "out").status.code(), Some(0));
    let book = w.path("out/feedback/县发展和改革局.xlsx");
    let fb = sheet(&book, "重点项目");
    assert_eq!(fb[1][0], "东乐风电场");
    assert_eq!(fb[1][11], "重点项目!B3、重点项目!D3");
    assert_eq!(fb[4][11], "重点项目!C6、重点项目!D6");
    let notes = crate::common::xml_parts(&book, "comments");
    assert!(notes.contains("“在办手续”，无法识别"), "{notes}");
    for (code, severity) in [("unknown_project", "warning"), ("missing_project", "error")] {
        assert!(
            issues_with(&json, code)
                .iter()
                .all(|i| i["severity"] == severity)
        );
    }
}

#[test]
fn a_project_left_out_is_missing_and_a_unit_with_only_projects_sends_only_them() {
    let w = Workdir::new("projects_missing");
    let plan = project_plan(&w);
    w.submit(
        "发改局.xlsx",
        &[
            fgj_indicators(),
            project_sheet(vec![
                // Row 3: 35000 > 150% of the 20000 planned, under the
                // 50000 total: over_target, the value kept.
                ("东乐风电场", t("是"), C::E, n(35000.0), ""),
                // Row 4: started, its investment left empty.
                ("城区加气站", t("是"), C::E, C::E, ""),
                // Rows 5 and 6: one project twice, differently.
                ("光伏电站", t("否"), C::E, n(0.0), ""),
                ("光伏电站", t("是"), C::E, n(10.0), ""),
            ]),
        ],
    );
    w.submit(
        "交通局.xlsx",
        &[project_sheet(vec![(
            "城区公交站",
            t("是"),
            C::D(2022, 3, 28),
            n(100.0),
            "",
        )])],
    );
    let (json, _) = w.check_json(&plan, &["--period", "2022-03"]);
    let missing = issues_with(&json, "missing_project");
    let fgj: Vec<&&Value> = missing
        .iter()
        .filter(|i| i["file"] == "发改局.xlsx")
        .collect();
    assert_eq!(fgj.len(), 1);
    assert_eq!(fgj[0]["sheet"], "重点项目");
    assert!(
        fgj[0]["message"]
            .as_str()
            .unwrap()
            .contains("没有“氢能基地”这一行")
    );
    let dup = issues_with(&json, "duplicate_indicator");
    assert_eq!(dup.len(), 1);
    assert!(
        dup[0]["message"]
            .as_str()
            .unwrap()
            .contains("“光伏电站”在第 5 行和第 6 行各填了一次")
    );
    let over = issues_with(&json, "over_target");
    assert_eq!(over.len(), 1);
    assert_eq!(
        (over[0]["cell"].as_str(), over[0]["severity"].as_str()),
        (Some("D3"), Some("info"))
    );
    assert!(
        over[0]["message"]
            .as_str()
            .unwrap()
            .contains("超过年度计划投资 20000 万元的 150%")
    );
    let empty = issues_with(&json, "missing_value");
    assert_eq!(empty.len(), 1);
    assert_eq!(empty[0]["cell"], "D4");
    assert!(
        empty[0]["message"]
            .as_str()
            .unwrap()
            .contains("“城区加气站”的本年完成投资为空")
    );
    let sub = submission(&json, "交通局.xlsx");
    assert_eq!(sub["unit"], "县交通运输局");
    assert_eq!(
        (sub["status"].as_str(), sub["errors"].as_i64()),
        (Some("accepted"), Some(0))
    );
    assert!(issues_with(&json, "no_indicator_table").is_empty());
}

#[test]
fn a_start_after_the_period_is_said_in_a_file_that_names_another_month() {
    // The file's title says April: accepted for March with a warning, no
    // expected progress computed, but its projects count in March, so a
    // start in April is said as in any March file.
    let w = Workdir::new("projects_named_month");
    let plan = project_plan(&w);
    w.submit(
        "发改局.xlsx",
        &[
            crate::book::template(
                "2022年4月重点工作任务完成情况",
                "县发展和改革局",
                "2022-04-05",
                vec![line("FA01", n(1500.0), ""), line("PJ01", n(10.0), "")],
            ),
            project_sheet(vec![(
                "东乐风电场",
                t("是"),
                C::D(2022, 4, 2),
                n(100.0),
                "",
            )]),
        ],
    );
    let (json, _) = w.check_json(&plan, &["--period", "2022-03"]);
    let mismatch = issues_with(&json, "period_mismatch");
    assert_eq!(mismatch.len(), 1, "{json:#}");
    assert_eq!(mismatch[0]["severity"], "warning");
    let late: Vec<&Value> = issues_with(&json, "out_of_range")
        .into_iter()
        .filter(|i| {
            i["message"]
                .as_str()
                .unwrap()
                .contains("2022-04-02 在本期截止日 2022-03-31 之后")
        })
        .collect();
    assert_eq!(late.len(), 1, "{json:#}");
    assert_eq!(late[0]["cell"], "C3");
}
