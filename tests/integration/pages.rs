//! What leaders and clerks read (issue 12): scores and ranks within kinds,
//! colours that mean status, rows tall enough for their text, the first
//! page's story, Chinese on the command line.

use std::path::Path;

use calamine::{Data, DataType, Reader, open_workbook_auto};
use regex::Regex;

use crate::book::{C, Sheet, n, t, write_xlsx};
use crate::common::{
    Workdir, cell_style, line, read_csv, run_samples, sheet_xml, standard, tally, xml_parts,
};

/// The sheet's rows as calamine reads them.
fn rows(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

/// The fill colour (RRGGBB) of cell `cell` in the `k`-th sheet.
fn fill(path: &Path, k: usize, cell: &str) -> Option<String> {
    let (_, fill) = cell_style(path, k, cell)?;
    let rgb = Regex::new(r#"fgColor rgb="FF([0-9A-F]{6})""#)
        .unwrap()
        .captures(&fill)?;
    Some(rgb[1].to_string())
}

/// The number format of cell `cell` in the `k`-th sheet, as Excel shows
/// it (`"蓝 "0.0%`), if it has one of its own.
fn number_format(path: &Path, k: usize, cell: &str) -> Option<String> {
    let (xf, _) = cell_style(path, k, cell)?;
    let id = &Regex::new(r#"numFmtId="(\d+)""#).unwrap().captures(&xf)?[1];
    let styles = xml_parts(path, "xl/styles.xml");
    let code = Regex::new(&format!(r#"<numFmt numFmtId="{id}" formatCode="([^"]*)""#))
        .unwrap()
        .captures(&styles)?[1]
        .replace("&quot;", "\"");
    Some(code)
}

/// The height in points of row `row` (1-based) of the `k`-th sheet, if set.
fn row_height(path: &Path, k: usize, row: usize) -> Option<f64> {
    let sheet = sheet_xml(path, k);
    Regex::new(&format!(r#"<row r="{row}"[^>]* ht="([0-9.]+)""#))
        .unwrap()
        .captures(&sheet)
        .map(|c| c[1].parse().unwrap())
}

/// Two townships with the same progress, one of whose values is refused,
/// and a department: (plan, inbox) in `w`.
fn fair_county(w: &Workdir) -> std::path::PathBuf {
    let plan = w.path("plan.xlsx");
    write_xlsx(
        &plan,
        &[
            Sheet::new("单位")
                .texts(&["单位名称", "类型"])
                .texts(&["甲镇", "乡镇"])
                .texts(&["乙镇", "乡镇"])
                .texts(&["丙镇", "乡镇"])
                .texts(&["丁局", "部门"]),
            Sheet::new("指标")
                .texts(&["指标代码", "指标名称", "计量单位", "权重"])
                .texts(&["A1", "投资", "万元", "2"])
                .texts(&["B1", "项目", "个", "1"]),
            Sheet::new("目标")
                .texts(&["单位名称", "指标代码", "年度目标"])
                .row(vec![t("甲镇"), t("A1"), n(100.0)])
                .row(vec![t("甲镇"), t("B1"), n(4.0)])
                .row(vec![t("乙镇"), t("A1"), n(100.0)])
                .row(vec![t("乙镇"), t("B1"), n(4.0)])
                .row(vec![t("丙镇"), t("A1"), n(100.0)])
                .row(vec![t("丙镇"), t("B1"), n(4.0)])
                .row(vec![t("丁局"), t("A1"), n(100.0)]),
        ],
    );
    let rows = |a: C, b: C| vec![line("A1", a, ""), line("B1", b, "")];
    // 甲 and 乙 report the same progress; 乙's B1 is refused (not a number).
    w.submit(
        "甲镇.xlsx",
        &[standard("甲镇", "2022-04-05", rows(n(30.0), n(1.0)))],
    );
    w.submit(
        "乙镇.xlsx",
        &[standard("乙镇", "2022-04-05", rows(n(30.0), t("一个")))],
    );
    // 丙 sent nothing. 丁局 is ahead of every township.
    w.submit(
        "丁局.xlsx",
        &[standard(
            "丁局",
            "2022-04-05",
            vec![line("A1", n(90.0), "")],
        )],
    );
    plan
}

#[test]
fn a_unit_with_errors_ranks_below_a_clean_one_and_kinds_are_ranked_apart() {
    let w = Workdir::new("pages_fair");
    let plan = fair_county(&w);
    let out = w.run(&plan, "out");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scores = read_csv(&w.path("out/data/scores.csv"));
    let row = |u: &str| scores.iter().find(|r| r["unit"] == u).unwrap().clone();
    // 甲: (2 × 0.3 + 1 × 0.25) / 3; 乙: B1 refused counts 0: (2 × 0.3) / 3;
    // 丙: nothing sent, 0; 丁局: 0.9, first of the one department.
    let score = |u: &str| row(u)["score"].parse::<f64>().unwrap();
    assert!(
        (score("甲镇") - 0.85 / 3.0).abs() < 1e-9,
        "{:?}",
        row("甲镇")
    );
    assert!(
        (score("乙镇") - 0.6 / 3.0).abs() < 1e-9,
        "{:?}",
        row("乙镇")
    );
    assert_eq!(score("丙镇"), 0.0);
    assert!((score("丁局") - 0.9).abs() < 1e-9);
    let place = |u: &str| {
        (
            row(u)["rank"].clone(),
            row(u)["ranked"].clone(),
            row(u)["kind"].clone(),
        )
    };
    assert_eq!(place("甲镇"), ("1".into(), "3".into(), "乡镇".into()));
    assert_eq!(place("乙镇"), ("2".into(), "3".into(), "乡镇".into()));
    assert_eq!(place("丙镇"), ("3".into(), "3".into(), "乡镇".into()));
    assert_eq!(place("丁局"), ("1".into(), "1".into(), "部门".into()));
    assert_eq!(row("乙镇")["tasks_with_data"], "1");
    assert_eq!(row("乙镇")["tasks"], "2");
    // The feedback says it the same way.
    let fb = rows(&w.path("out/feedback/乙镇.xlsx"), "反馈");
    let said: String = fb.iter().take(6).map(|r| r[0].to_string()).collect();
    assert!(said.contains("在 3 个乡镇中排第 2 名"), "{said}");
}

#[test]
fn matrix_cells_are_coloured_by_status_and_wrapped_rows_are_tall_enough() {
    let w = Workdir::new("pages_colours");
    let out = w.path("out");
    assert_eq!(run_samples(&out).status.code(), Some(0));
    let book = out.join("consolidated.xlsx");
    let sheets = open_workbook_auto(&book).unwrap().sheet_names();
    let k = |name: &str| sheets.iter().position(|s| s == name).unwrap() + 1;
    let matrix = rows(&book, "分单位");
    let col = |code: &str| {
        matrix[0]
            .iter()
            .position(|h| h.to_string().starts_with(code))
            .unwrap()
    };
    let cell = |unit: &str, code: &str| {
        let r = matrix.iter().position(|r| r[0] == unit).unwrap();
        rust_xlsxwriter::utility::row_col_to_cell(r as u32, col(code) as u16)
    };
    let by_unit = read_csv(&out.join("data/by_unit.csv"));
    let status = |unit: &str, code: &str| {
        by_unit
            .iter()
            .find(|r| r["unit"] == unit && r["indicator_code"] == code)
            .unwrap()["status"]
            .clone()
    };
    // Each cell has its task's status colour, or its warning's where it
    // has one (behind first time blue, over a ceiling red), whatever its
    // neighbours.
    for (unit, code, expect, rgb) in [
        ("霍城镇", "FA01", "behind", "9BC2E6"),
        ("大马营镇", "PJ01", "done", "A9D08E"),
        ("县应急管理局", "AQ01", "breach", "FF7C80"),
        ("老军乡", "FA01", "no_data", "EDEDED"),
        ("清泉镇", "ZS01", "on_track", "E2EFDA"),
    ] {
        assert_eq!(status(unit, code), expect, "{unit} {code}");
        assert_eq!(
            fill(&book, k("分单位"), &cell(unit, code)).as_deref(),
            Some(rgb),
            "{unit} {code}"
        );
    }
    // Printed in black and white the fills are greys alike: a warned
    // task says its colour in words, `蓝 14.8%`.
    let shown = |unit: &str, code: &str| number_format(&book, k("分单位"), &cell(unit, code));
    assert_eq!(shown("霍城镇", "FA01").as_deref(), Some("\"蓝 \"0.0%"));
    assert_eq!(
        shown("县应急管理局", "AQ01").as_deref(),
        Some("\"红 \"0.0%")
    );
    assert_eq!(shown("清泉镇", "ZS01").as_deref(), Some("0.0%"));
    // The clerk reads the tasks behind, and their colour, first.
    let fb = rows(&out.join("feedback/霍城镇.xlsx"), "反馈");
    let said: Vec<String> = fb.iter().take(12).map(|r| r[0].to_string()).collect();
    assert!(
        said.iter()
            .any(|l| l.contains("项任务滞后于时间进度") && l.contains("固定资产投资（蓝色预警）")),
        "{said:?}"
    );
    // 校验问题: a row whose sentence wraps is tall enough for its lines.
    let issues = rows(&book, "校验问题");
    let (r, longest) = issues
        .iter()
        .enumerate()
        .skip(1)
        .map(|(r, row)| (r, row[7].to_string()))
        .max_by_key(|(_, m)| m.chars().count())
        .unwrap();
    let lines = tally::xlsx::text::wrapped_lines(&longest, 60.0);
    assert!(lines >= 2, "{longest}");
    let height = row_height(&book, k("校验问题"), r + 1).expect("a set height");
    assert!(
        height >= f64::from(lines) * 15.0,
        "{height} for {lines} lines"
    );
    // The same in the clerk's 问题清单.
    let fb = out.join("feedback/霍城镇.xlsx");
    let fb_sheets = open_workbook_auto(&fb).unwrap().sheet_names();
    let list = fb_sheets.iter().position(|s| s == "问题清单").unwrap() + 1;
    let issues = rows(&fb, "问题清单");
    for (r, row) in issues.iter().enumerate().skip(1) {
        let lines = tally::xlsx::text::wrapped_lines(&row[5].to_string(), 60.0);
        if lines > 1 {
            let h = row_height(&fb, list, r + 1).expect("a set height");
            assert!(
                h >= f64::from(lines) * 15.0,
                "row {r}: {h} for {lines} lines"
            );
        }
    }
}

#[test]
fn the_first_page_tells_the_story_and_the_figures_agree() {
    let w = Workdir::new("pages_story");
    let out = w.path("out");
    assert_eq!(run_samples(&out).status.code(), Some(0));
    let book = out.join("consolidated.xlsx");
    let sheets = open_workbook_auto(&book).unwrap().sheet_names();
    assert_eq!(
        sheets,
        [
            "总览",
            "预警",
            "分单位",
            "重点项目",
            "趋势",
            "报送情况",
            "校验问题",
            "明细"
        ]
    );
    let page: Vec<String> = rows(&book, "总览")
        .iter()
        .map(|r| r[0].to_string())
        .collect();
    let said = |s: &str| page.iter().any(|l| l.contains(s));
    assert!(said("县统计局"), "{page:?}");
    // The values that break an error rule still count: whose, by name.
    assert!(
        said("出错的数值未计入汇总（不符合校验规则的陈户镇 1 处除外，已计入）"),
        "{page:?}"
    );
    // The tolerance every status turns on is said.
    assert!(
        said("（本年累计少于时间进度应完成数、但差额不超过应完成数的 10% 的，也算正常推进。）"),
        "{page:?}"
    );
    assert!(said("时间进度 25.0%（2022年1月1日至3月31日）"), "{page:?}");
    assert!(
        said("应报 13 个单位，已报 12 个；未报送：老军乡"),
        "{page:?}"
    );
    assert!(
        said("预警：红色 7 项（其中重点项目逾期未开工 6 个）"),
        "{page:?}"
    );
    // 18 projects, 9 started as their units reported; 水肥一体化, started
    // on 2 April, is one of them, and its unit is told how to report it.
    assert!(
        said("重点项目 18 个，其中应于 2022年3月31日 前开工 15 个：已开工 9 个"),
        "{page:?}"
    );
    let projects = read_csv(&out.join("data/projects.csv"));
    let water = projects
        .iter()
        .find(|p| p["project"].starts_with("水肥一体化"))
        .unwrap();
    assert_eq!(
        (water["started"].as_str(), water["started_on"].as_str()),
        ("true", "2022-04-02")
    );
    let issues = read_csv(&out.join("data/issues.csv"));
    assert!(
        issues.iter().any(|i| i["code"] == "out_of_range"
            && i["message"]
                .contains("2022-04-02 在本期截止日 2022-03-31 之后，本期仍按“已开工”统计")),
        "{issues:?}"
    );
    // 老军乡 sent nothing: its overdue project's reason column says it was
    // not reported, not that the unit gave no reason; a project reported
    // without one is （未说明）.
    let overview = rows(&book, "总览");
    let reason_of = |project: &str| -> String {
        let row = overview
            .iter()
            .find(|r| r[2].to_string().contains(project))
            .unwrap_or_else(|| panic!("no alert for {project}"));
        row[9].to_string()
    };
    assert_eq!(
        reason_of("老军乡生态宜居村庄建设"),
        "（本期未填报，开工情况不明）"
    );
    // run.json keeps the unit's own reason apart: none, and unreported.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let lao: Vec<&serde_json::Value> = manifest["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["unit"] == "老军乡")
        .collect();
    assert_eq!(lao.len(), 1, "{lao:?}");
    assert_eq!(
        (&lao[0]["note"], &lao[0]["unreported"]),
        (&serde_json::Value::Null, &serde_json::json!(true))
    );
    // And its feedback says the same: not reported, past its start date;
    // not that it did not start.
    let lao_projects = rows(&out.join("feedback/老军乡.xlsx"), "重点项目");
    let lao_row = lao_projects
        .iter()
        .find(|r| r[0] == "老军乡生态宜居村庄建设")
        .unwrap();
    assert_eq!(lao_row[8].to_string(), "未填报，已过开工期");
    let lao_lines = rows(&out.join("feedback/老军乡.xlsx"), "反馈");
    assert!(
        lao_lines.iter().take(12).any(|r| r[0]
            .to_string()
            .contains("其中 1 个本期未填报，开工情况不明")),
        "{lao_lines:?}"
    );
    // 分单位 says how the score is made, with the plan's own weights.
    let plan_rows = rows(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/plan.xlsx"),
        "指标",
    );
    let col = |name: &str| plan_rows[0].iter().position(|c| c == name).unwrap();
    let (name_col, weight_col) = (col("指标名称"), col("权重"));
    let weighted: Vec<String> = plan_rows[1..]
        .iter()
        .filter_map(|r| {
            let w = r.get(weight_col)?.as_f64()?;
            (w != 1.0).then(|| format!("{} {w}", r[name_col]))
        })
        .collect();
    assert!(!weighted.is_empty());
    let matrix_text: Vec<String> = rows(&book, "分单位")
        .iter()
        .flatten()
        .map(|c| c.to_string())
        .collect();
    let score_note = matrix_text
        .iter()
        .find(|t| t.contains("综合得分 = Σ（权重 × 任务得分）÷ Σ 权重"))
        .expect("the score explained");
    assert!(
        score_note.contains(&format!("权重：{}，其余指标为 1", weighted.join("、"))),
        "{score_note}"
    );
    // 报送情况 says who filed late: the due date is 2022-04-05, and
    // 霍城镇 filed on the 7th.
    let filed = rows(&book, "报送情况");
    assert_eq!(filed[0][4].to_string(), "是否按时（按填报日期）");
    let said_of = |unit: &str| -> Vec<String> {
        filed
            .iter()
            .filter(|r| r[1] == unit)
            .map(|r| r[4].to_string())
            .collect()
    };
    assert_eq!(said_of("霍城镇"), ["逾期 2 天"]);
    assert_eq!(said_of("清泉镇"), ["按时"]);
    assert_eq!(said_of("老军乡"), ["未报送"]);
    let late = filed[1..]
        .iter()
        .filter(|r| r[4].to_string().starts_with("逾期"))
        .count();
    let after_due = read_csv(&out.join("data/submissions.csv"))
        .iter()
        .filter(|s| s["reported_at"].as_str() > "2022-04-05")
        .count();
    assert_eq!(late, after_due);
    // The sentence's counts are the 状态 column's, word for word.
    let summary = read_csv(&out.join("data/summary.csv"));
    let count = |status: &str| summary.iter().filter(|r| r["status"] == status).count();
    let line = format!(
        "已完成 {} 项，控制在目标内 {} 项，正常推进 {} 项，滞后 {} 项",
        count("done"),
        count("within"),
        count("on_track"),
        count("behind")
    );
    assert!(count("within") > 0 && said(&line), "{line} in {page:?}");
    // 重点项目开复工 agrees with the project register: 15 due by March,
    // 9 started (as the units' own project tables say).
    let pj = summary
        .iter()
        .find(|r| r["indicator_code"] == "PJ01")
        .unwrap();
    assert_eq!((pj["target"].as_str(), pj["actual"].as_str()), ("15", "9"));
    assert_eq!(pj["status"], "behind");
    // The red and yellow tasks follow the indicators on the same page.
    let red = page
        .iter()
        .position(|l| l == "红色、黄色预警")
        .expect("the warnings");
    let indicators = page
        .iter()
        .position(|l| l == "类别")
        .expect("the indicators");
    assert!(red > indicators);
    // The chart: horizontal bars, first indicator on top, each indicator's
    // completion against its own time progress, from the table's columns.
    let chart = xml_parts(&book, "xl/charts/chart1.xml");
    assert!(chart.contains(r#"<c:barDir val="bar"/>"#), "{chart}");
    assert!(
        chart.contains(r#"<c:orientation val="maxMin"/>"#),
        "{chart}"
    );
    let refs: Vec<&str> = chart
        .split("<c:f>")
        .skip(1)
        .filter_map(|p| p.split("</c:f>").next())
        .collect();
    // It draws the indicators with a target to reach, from hidden columns
    // M..O beside the table: their names, completion and time progress as
    // the table has them, in its order; the ceiling 安全生产事故 and the
    // indicators without a target are left out and named under the plot.
    let overview = rows(&book, "总览");
    let last = overview
        .iter()
        .rposition(|r| r.get(1).is_some_and(|c| *c == "AQ01"))
        .unwrap();
    assert!(
        overview[last + 1][0]
            .to_string()
            .starts_with("规则说明（表中紫色单元格）：")
    );
    let table = &overview[indicators + 1..=last];
    // The county value the sample's rule R04 flags is purple, as a value
    // with something to look at is in the feedback: not orange beside the
    // 滞后 status.
    let zs01 = overview
        .iter()
        .position(|r| r.get(1).is_some_and(|c| *c == "ZS01"))
        .unwrap();
    assert_eq!(
        overview[zs01][2].to_string(),
        "招商引资到位资金（见表下规则说明）"
    );
    assert_eq!(
        fill(&book, 1, &format!("F{}", zs01 + 1)).as_deref(),
        Some("D9D2E9")
    );
    let measured: Vec<&Vec<Data>> = table
        .iter()
        .filter(|r| r[11].get_float().is_some())
        .collect();
    assert!(measured.len() >= 10 && measured.len() < table.len());
    let drawn: Vec<(String, f64, f64)> = overview[indicators + 1..]
        .iter()
        .map_while(|r| {
            Some((
                r.get(12)?.get_string()?.to_string(),
                r[13].get_float()?,
                r[14].get_float()?,
            ))
        })
        .collect();
    let expected: Vec<(String, f64, f64)> = measured
        .iter()
        .map(|r| {
            let name = r[2].to_string();
            let name = name.trim_end_matches("（见表下规则说明）").to_string();
            (name, r[6].get_float().unwrap(), r[11].get_float().unwrap())
        })
        .collect();
    assert_eq!(drawn, expected);
    let first = indicators + 2; // the row after the header, 1-based
    let end = indicators + 1 + drawn.len();
    for (k, col) in [(0, 'M'), (1, 'N'), (3, 'O')] {
        assert_eq!(
            refs[k],
            format!("总览!${col}${first}:${col}${end}"),
            "{refs:?}"
        );
    }
    // The grey bars are named as the table's column (时间进度 is the 25%
    // of the year), and each completion is written on its bar.
    assert!(chart.contains(">各指标完成率与应完成比例<"), "{chart}");
    assert!(chart.contains("<c:v>应完成比例</c:v>"), "{chart}");
    assert!(chart.contains(r#"<c:showVal val="1"/>"#), "{chart}");
    // The bars of indicators behind are the 滞后 orange, one for each
    // drawn row whose 状态 is 滞后, and the axis says so.
    let behind = measured.iter().filter(|r| r[9] == "滞后").count();
    assert!(behind > 0);
    assert_eq!(
        chart.matches(r#"<a:srgbClr val="F4B084"/>"#).count(),
        behind,
        "{chart}"
    );
    assert!(chart.contains(">橙色为滞后指标。图中未列："), "{chart}");
    // Drawn though hidden: the writer leaves out "visible cells only".
    assert!(!chart.contains("plotVisOnly"), "{chart}");
    let xml = crate::common::sheet_xml(&book, 1);
    assert!(
        Regex::new(r#"<col min="13" max="15"[^>]*hidden="1""#)
            .unwrap()
            .is_match(&xml),
        "{xml:.2000}"
    );
    assert!(
        chart.contains("图中未列：安全生产事故（控制类指标")
            && chart.contains("农业增加值（无目标）"),
        "{chart}"
    );
    // Printed, every page says which sheet it is, under the title.
    for (k, name) in sheets.iter().enumerate() {
        let xml = crate::common::sheet_xml(&book, k + 1);
        assert!(
            xml.contains(&format!("　{name}</oddHeader>")),
            "{name}: {xml:.600}"
        );
    }
    let feedback = out.join("feedback/霍城镇.xlsx");
    let feedback_sheets = open_workbook_auto(&feedback).unwrap().sheet_names();
    for (k, name) in feedback_sheets.iter().enumerate() {
        let xml = crate::common::sheet_xml(&feedback, k + 1);
        assert!(xml.contains(&format!("　{name}</oddHeader>")), "{name}");
    }
    // Nothing a recipient reads names the program.
    for f in ["consolidated.xlsx", "feedback/老军乡.xlsx"] {
        for part in ["sharedStrings", "comments", "docProps/core"] {
            let text = xml_parts(&out.join(f), part);
            assert!(!text.contains("tally"), "{f} {part}");
        }
    }
}

#[test]
fn the_command_line_speaks_chinese_and_takes_chinese_periods() {
    let help = tally(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("用法：") && text.contains("命令：") && text.contains("显示帮助"),
        "{text}"
    );
    assert!(
        !text.contains("Usage") && !text.contains("Print help"),
        "{text}"
    );
    let run_help = String::from_utf8_lossy(&tally(&["run", "--help"]).stdout).into_owned();
    assert!(
        run_help.contains("期别") && run_help.contains("选项："),
        "{run_help}"
    );
    assert!(!run_help.contains("[default"), "{run_help}");
    // In every command's help the descriptions start in one column,
    // counting a Chinese character as two, and -h comes last.
    let width = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    };
    let option = regex::Regex::new(r"^(\s+-.*?\S)(\s{2,})\S").unwrap();
    for command in ["fetch", "check", "run", "template", "mail", "history"] {
        let help = String::from_utf8_lossy(&tally(&[command, "--help"]).stdout).into_owned();
        let starts: Vec<(usize, &str)> = help
            .lines()
            .filter_map(|l| option.captures(l).map(|c| (width(&c[1]) + c[2].len(), l)))
            .collect();
        assert!(starts.len() > 2, "{help}");
        assert!(
            starts.iter().all(|(w, _)| *w == starts[0].0),
            "{command}: {help}"
        );
        assert!(
            starts.last().unwrap().1.contains("-h, --help"),
            "{command}: {help}"
        );
    }
    assert!(text.contains("退出码"), "{text}");
    // A wrong value is said in Chinese, exit 2.
    let bad = tally(&[
        "check",
        "--plan",
        "p.xlsx",
        "--inbox",
        ".",
        "--period",
        "2022年13月",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("参数 --period 的值“2022年13月”无效：月份只能是 1 到 12；请写成 2022-03"),
        "{err}"
    );
    assert!(
        !err.contains("error:") && !err.contains("For more information"),
        "{err}"
    );
    let missing = tally(&["run", "--plan", "p.xlsx"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("缺少必须给出的参数"));
    // A system error is said in Chinese too.
    let gone = tally(&["check", "--plan", "/nonexistent/plan.xlsx", "--inbox", "."]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("找不到该文件或文件夹"));

    // 2022年3月 is the same period as 2022-03.
    let w = Workdir::new("pages_period");
    w.submit_qingquan();
    let plan = w.plan();
    let (a, _) = w.check_json(&plan, &["--period", "2022年3月"]);
    let (b, _) = w.check_json(&plan, &["--period", "2022-03"]);
    assert_eq!(a, b);
    let out = tally(&[
        "run",
        "--plan",
        plan.to_str().unwrap(),
        "--inbox",
        w.inbox().to_str().unwrap(),
        "--period",
        "2022年第一季度",
        "--out",
        w.path("q1").to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(w.path("store/periods/2022-Q1.json").is_file());
}

/// Excel repairs (and warns about) a workbook whose sheet repeats a row
/// or lists rows out of order; the streamed sheets once repeated their
/// last row when it was taller than the rest.
#[test]
fn every_sheet_lists_each_row_once_in_order() {
    let w = Workdir::new("pages_rows_once");
    let out = w.path("out");
    assert_eq!(run_samples(&out).status.code(), Some(0));
    let row = regex::Regex::new(r#"<row r="(\d+)""#).unwrap();
    let mut books = vec![out.join("consolidated.xlsx")];
    books.extend(
        std::fs::read_dir(out.join("feedback"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    let mut sheets = 0;
    for book in &books {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(book).unwrap()).unwrap();
        for k in 0..zip.len() {
            let mut part = zip.by_index(k).unwrap();
            if !part
                .name()
                .is_ok_and(|n| n.starts_with("xl/worksheets/sheet"))
            {
                continue;
            }
            let name = part.name().unwrap().to_string();
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut part, &mut xml).unwrap();
            let rows: Vec<u32> = row
                .captures_iter(&xml)
                .map(|c| c[1].parse().unwrap())
                .collect();
            assert!(
                rows.windows(2).all(|p| p[0] < p[1]),
                "{} {name}: rows {rows:?}",
                book.display()
            );
            sheets += 1;
        }
    }
    assert!(sheets >= 8 + 2 * 13, "{sheets} sheets read");
}

#[test]
fn the_chart_names_what_it_leaves_out_each_for_its_reason() {
    // 清泉镇 alone sends FA01 and PJ01: 人工造林 has a target and no data,
    // 特色产业增加值 no target, 安全生产事故 is a ceiling.
    let w = Workdir::new("pages_chart_left_out");
    w.submit(
        "清泉镇.xlsx",
        &[standard(
            "清泉镇",
            "2022-04-05",
            vec![
                line("FA01", crate::book::n(320.0), ""),
                line("PJ01", crate::book::n(4.0), ""),
            ],
        )],
    );
    let plan = w.plan();
    assert_eq!(w.run(&plan, "out").status.code(), Some(0));
    let book = w.path("out/consolidated.xlsx");
    let chart = xml_parts(&book, "xl/charts/chart1.xml");
    let note = chart
        .split("图中未列：")
        .nth(1)
        .and_then(|n| n.split("</a:t>").next())
        .unwrap_or_else(|| panic!("no note: {chart}"));
    let group = |reason: &str| -> Vec<String> {
        note.split('；')
            .find_map(|g| g.split_once(&format!("（{reason}")))
            .map(|(names, _)| names.split('、').map(str::to_string).collect())
            .unwrap_or_default()
    };
    assert_eq!(group("控制类指标"), ["安全生产事故"], "{note}");
    let no_target = group("无目标");
    assert!(no_target.contains(&"特色产业增加值".to_string()), "{note}");
    let no_data = group("暂无有效数据");
    assert!(no_data.contains(&"人工造林".to_string()), "{note}");
    assert!(!no_target.contains(&"人工造林".to_string()), "{note}");
    // Drawn: the two it has data for, and only those.
    let overview = rows(&book, "总览");
    let drawn: Vec<String> = overview
        .iter()
        .filter_map(|r| r.get(12)?.get_string().map(str::to_string))
        .filter(|s| !s.starts_with("图表"))
        .collect();
    assert_eq!(drawn, ["固定资产投资", "重点项目开复工"], "{note}");
    // This plan gives no weights: 分单位 says they are all the same.
    let matrix: Vec<String> = rows(&book, "分单位")
        .iter()
        .flatten()
        .map(|c| c.to_string())
        .collect();
    assert!(
        matrix
            .iter()
            .any(|t| t.contains("综合得分 = ") && t.ends_with("各指标权重相同。")),
        "{matrix:?}"
    );
}
