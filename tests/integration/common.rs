//! Test scaffolding: a work folder per test, a small plan, and running the
//! real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::book::{C, Sheet, n, t, write_xlsx};

/// A test's own folder with an `inbox/` inside.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new(name: &str) -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("tally-{name}-"))
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir(dir.path().join("inbox")).expect("inbox");
        Workdir { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn inbox(&self) -> PathBuf {
        self.path("inbox")
    }

    /// Writes a workbook into the inbox.
    pub fn submit(&self, file: &str, sheets: &[Sheet]) -> PathBuf {
        let p = self.inbox().join(file);
        write_xlsx(&p, sheets);
        p
    }

    /// Writes 清泉镇's clean, on-track report ([`qingquan_clean`]) into the
    /// inbox as 清泉镇.xlsx: the good file beside a test's bad ones.
    pub fn submit_qingquan(&self) -> PathBuf {
        self.submit(
            "清泉镇.xlsx",
            &[standard("清泉镇", "2022-04-05", qingquan_clean())],
        )
    }

    /// Writes the standard small plan and returns its path.
    pub fn plan(&self) -> PathBuf {
        let p = self.path("plan.xlsx");
        write_xlsx(&p, &small_plan());
        p
    }

    /// Runs `tally run` on the inbox for 2022-03 into `out` (relative).
    pub fn run(&self, plan: &Path, out: &str) -> Output {
        tally(&[
            "run",
            "--plan",
            plan.to_str().unwrap(),
            "--inbox",
            self.inbox().to_str().unwrap(),
            "--period",
            "2022-03",
            "--out",
            self.path(out).to_str().unwrap(),
        ])
    }

    /// Runs `tally run` for 2022-03 into `out` with extra arguments.
    pub fn run_with(&self, plan: &Path, out: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "run".to_string(),
            "--plan".into(),
            plan.display().to_string(),
            "--inbox".into(),
            self.inbox().display().to_string(),
            "--period".into(),
            "2022-03".into(),
            "--out".into(),
            self.path(out).display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        tally(&args)
    }

    /// Runs `tally check` on the inbox with extra arguments.
    pub fn check(&self, plan: &Path, extra: &[&str]) -> Output {
        let mut args = vec![
            "check".to_string(),
            "--plan".into(),
            plan.display().to_string(),
            "--inbox".into(),
            self.inbox().display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        tally(&args)
    }

    /// Runs `tally check --format json` on the inbox.
    pub fn check_json(&self, plan: &Path, extra: &[&str]) -> (Value, i32) {
        let out = self.check(plan, &[&["--format", "json"], extra].concat());
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (json, out.status.code().expect("exit code"))
    }
}

/// Runs the tally binary.
pub fn tally<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(args)
        .output()
        .expect("run tally")
}

/// The issues of a JSON check with a given code.
pub fn issues_with<'a>(json: &'a Value, code: &str) -> Vec<&'a Value> {
    json["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter(|i| i["code"] == code)
        .collect()
}

/// The submission row of a file.
pub fn submission<'a>(json: &'a Value, file: &str) -> &'a Value {
    json["submissions"]
        .as_array()
        .expect("submissions")
        .iter()
        .find(|s| s["file"] == file)
        .unwrap_or_else(|| panic!("no submission row for {file}: {json:#}"))
}

/// A plan of three units and six indicators covering every profile,
/// direction and the ratio:
///
/// | unit | FA01 万元 linear | PJ01 个 deadline 03-31 | ST01 万亩 quarterly | NY01 % ratio of NY02/NY03 | AQ01 起 lower | WS01 % level |
/// | 清泉镇 | 1200 | 4 | 0.4 (0.1/0.2/0.3) | 70% | 1 | 0.8 |
/// | 大马营镇 (大马营) | 800 | 2 | — | 0.7 | 1 | 0.85 |
/// | 县发展和改革局 (发改局) | 6000 | 10 | — | — | — | — |
pub fn small_plan() -> Vec<Sheet> {
    let units = Sheet::new("单位")
        .texts(&["单位名称", "别名", "类型", "邮箱"])
        .texts(&["清泉镇", "清泉", "乡镇", "qq@example.org"])
        .texts(&["大马营镇", "大马营", "乡镇", ""])
        .texts(&["县发展和改革局", "发改局、县发改局", "部门", ""]);
    let inds = Sheet::new("指标")
        .texts(&[
            "指标代码",
            "指标名称",
            "计量单位",
            "汇总方式",
            "分子",
            "分母",
            "方向",
            "进度",
            "最小值",
            "最大值",
        ])
        .texts(&[
            "FA01",
            "固定资产投资",
            "万元",
            "求和",
            "",
            "",
            "正向",
            "均衡",
            "0",
            "100000",
        ])
        .texts(&[
            "PJ01",
            "重点项目开复工",
            "个",
            "",
            "",
            "",
            "",
            "截止",
            "",
            "",
        ])
        .texts(&["ST01", "人工造林", "万亩", "", "", "", "", "季度", "", ""])
        .texts(&["NY02", "特色产业增加值", "万元", "", "", "", "", "", "", ""])
        .texts(&["NY03", "农业增加值", "万元", "", "", "", "", "", "", ""])
        .texts(&[
            "NY01",
            "特色产业增加值占比",
            "%",
            "比率",
            "NY02",
            "NY03",
            "",
            "水平",
            "",
            "",
        ])
        .texts(&["AQ01", "安全生产事故", "起", "", "", "", "逆向", "", "", ""])
        .texts(&[
            "WS01",
            "农村卫生厕所普及率",
            "%",
            "平均",
            "",
            "",
            "",
            "水平",
            "",
            "",
        ]);
    let targets = Sheet::new("目标")
        .texts(&[
            "单位名称",
            "指标代码",
            "年度目标",
            "一季度",
            "二季度",
            "三季度",
            "截止日期",
        ])
        .row(vec![t("清泉镇"), t("FA01"), n(1200.0)])
        .row(vec![
            t("清泉镇"),
            t("PJ01"),
            n(4.0),
            C::E,
            C::E,
            C::E,
            C::D(2022, 3, 31),
        ])
        .row(vec![t("清泉镇"), t("ST01"), n(0.4), n(0.1), n(0.2), n(0.3)])
        .row(vec![t("清泉镇"), t("NY01"), t("70%")])
        .row(vec![t("清泉镇"), t("AQ01"), n(1.0)])
        .row(vec![t("清泉镇"), t("WS01"), n(0.8)])
        .row(vec![t("大马营"), t("FA01"), n(800.0)])
        .row(vec![
            t("大马营镇"),
            t("PJ01"),
            n(2.0),
            C::E,
            C::E,
            C::E,
            C::D(2022, 3, 31),
        ])
        .row(vec![t("大马营镇"), t("NY01"), n(0.7)])
        .row(vec![t("大马营镇"), t("AQ01"), n(1.0)])
        .row(vec![t("大马营镇"), t("WS01"), n(85.0)])
        .row(vec![t("发改局"), t("FA01"), n(6000.0)])
        .row(vec![
            t("县发展和改革局"),
            t("PJ01"),
            n(10.0),
            C::E,
            C::E,
            C::E,
            C::D(2022, 3, 31),
        ]);
    vec![units, inds, targets]
}

/// A one-row-header submission (see [`crate::book::template`]): data
/// from row 4, 本年累计 in column E, 备注 in F.
pub fn standard(unit: &str, date: &str, rows: Vec<Vec<C>>) -> Sheet {
    crate::book::template("2022年3月重点工作任务完成情况", unit, date, rows)
}

/// A row of the standard sheet: code, value, note (name and target blank).
pub fn line(code: &str, value: C, note: &str) -> Vec<C> {
    vec![t(code), C::E, C::E, C::E, value, t(note)]
}

/// 清泉镇's complete, clean rows (on track at 2022-03).
pub fn qingquan_clean() -> Vec<Vec<C>> {
    vec![
        line("FA01", n(320.0), ""),
        line("PJ01", n(4.0), ""),
        line("ST01", n(0.1), ""),
        line("NY02", n(2200.0), ""),
        line("NY03", n(3000.0), ""),
        line("AQ01", n(0.0), ""),
        line("WS01", n(0.82), ""),
    ]
}

/// Every part of an xlsx whose name contains `part`, as text (for what
/// calamine does not read: notes, protection, validation).
pub fn xml_parts(path: &Path, part: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    for k in 0..zip.len() {
        let mut f = zip.by_index(k).unwrap();
        if f.name().is_ok_and(|n| n.contains(part)) {
            std::io::Read::read_to_string(&mut f, &mut text).unwrap();
        }
    }
    text
}

/// Runs `tally run` on the sample county for 2022-03 into `out`.
pub fn run_samples(out: &Path) -> Output {
    let root = env!("CARGO_MANIFEST_DIR");
    tally(&[
        "run",
        "--plan",
        &format!("{root}/samples/plan.xlsx"),
        "--inbox",
        &format!("{root}/samples/inbox/2022-03"),
        "--period",
        "2022-03",
        "--out",
        out.to_str().unwrap(),
    ])
}

/// A CSV file as rows of header → value.
pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .map(String::from)
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The worksheet XML of the `k`-th sheet (1-based, as rust_xlsxwriter
/// numbers them).
pub fn sheet_xml(path: &Path, k: usize) -> String {
    xml_parts(path, &format!("xl/worksheets/sheet{k}.xml"))
}

/// The style of cell `cell` in the `k`-th sheet: its `<xf>` element and
/// its `<fill>`, as XML text (for what calamine does not read: fills,
/// locking).
pub fn cell_style(path: &Path, k: usize, cell: &str) -> Option<(String, String)> {
    use regex::Regex;
    let sheet = sheet_xml(path, k);
    let style: usize = Regex::new(&format!(r#"<c r="{cell}" s="(\d+)""#))
        .unwrap()
        .captures(&sheet)?[1]
        .parse()
        .ok()?;
    let styles = xml_parts(path, "xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs")?..];
    let xf = Regex::new(r"<xf [^>]*?(/>|>.*?</xf>)")
        .unwrap()
        .find_iter(xfs)
        .nth(style)?
        .as_str()
        .to_string();
    let fill_id: usize = Regex::new(r#"fillId="(\d+)""#).unwrap().captures(&xf)?[1]
        .parse()
        .ok()?;
    let fills = &styles[styles.find("<fills")?..];
    let fill = Regex::new(r"<fill>.*?</fill>")
        .unwrap()
        .find_iter(fills)
        .nth(fill_id)?
        .as_str()
        .to_string();
    Some((xf, fill))
}

/// A sheet of an xlsx as rows of cells, read back with calamine.
pub fn sheet_rows(path: &Path, name: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}
