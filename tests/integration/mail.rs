//! `tally mail` against a real SMTP server on loopback (aiosmtpd, started
//! by each test from tests/smtp_server.py; `.ci/run` installs aiosmtpd).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::book::{Sheet, n, t, write_xlsx};
use crate::common::{Workdir, run_samples, tally};
use crate::servers::SmtpServer;

fn config(w: &Workdir, port: Option<u16>) -> PathBuf {
    let smtp = port.map_or(String::new(), |p| {
        format!("[smtp]\nhost = \"127.0.0.1\"\nport = {p}\nsecurity = \"none\"\n\n")
    });
    let text = format!(
        "{smtp}[mail]\nfrom = \"县统计局 <stats@example.org>\"\nleaders = [\"leader1@example.org\", \"leader2@example.org\"]\n"
    );
    let path = w.path("tally.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn mail(run: &Path, config: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "mail".to_string(),
        "--run".into(),
        run.display().to_string(),
        "--config".into(),
        config.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = tally(&args);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha(path: &Path) -> String {
    tally::files::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn the_leaders_and_every_unit_get_their_workbook_once() {
    let w = Workdir::new("mail_send");
    let server = SmtpServer::start(w.path("received"));
    let out = w.path("out");
    assert_eq!(run_samples(&out).status.code(), Some(0));
    let cfg = config(&w, Some(server.port));
    let (code, err) = mail(&out, &cfg, &[]);
    assert_eq!(code, 0, "{err}");
    let got = server.messages();
    assert_eq!(got.len(), 14, "the leaders and 13 units with an 邮箱");

    let leaders = got
        .iter()
        .find(|m| m["subject"] == "2022年3月重点工作任务完成情况汇总")
        .expect("leaders' message");
    assert_eq!(
        leaders["rcpt_tos"],
        serde_json::json!(["leader1@example.org", "leader2@example.org"])
    );
    assert_eq!(
        leaders["attachments"][0]["filename"],
        "2022年3月重点工作任务完成情况汇总.xlsx"
    );
    assert_eq!(
        leaders["attachments"][0]["sha256"],
        sha(&out.join("consolidated.xlsx"))
    );
    let text = leaders["text"].as_str().unwrap();
    // It opens with 总览's first lines, word for word: the period in five
    // sentences, who did not report, what is behind.
    let overview = crate::common::sheet_rows(&out.join("consolidated.xlsx"), "总览");
    let headlines: Vec<String> = overview
        .iter()
        .map(|r| r[0].to_string())
        .filter(|l| {
            ["一、", "二、", "三、", "四、", "五、"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .collect();
    assert_eq!(headlines.len(), 5, "{overview:?}");
    for h in &headlines {
        assert!(text.contains(h.as_str()), "{h} in {text}");
    }
    assert!(headlines[1].contains("未报送：老军乡"), "{}", headlines[1]);
    // 60% of 重点项目开复工 is against the 15 due by now, said beside the 18.
    assert!(
        headlines[4].contains("重点项目 18 个，其中应于 2022年3月31日 前开工 15 个"),
        "{}",
        headlines[4]
    );
    // A ceiling exceeded is said as counts against the ceiling (150%
    // "completion" read as more than done), from by_unit.csv.
    let by_unit = crate::common::read_csv(&out.join("data/by_unit.csv"));
    let aq = by_unit
        .iter()
        .find(|r| r["unit"] == "县应急管理局" && r["indicator_code"] == "AQ01")
        .unwrap();
    let figures = format!("实际 {} 起，控制目标 {} 起", aq["actual"], aq["target"]);
    assert!(
        text.contains(&format!(
            "【红色】县应急管理局 安全生产事故，{figures}；原因："
        )),
        "{figures} in {text}"
    );
    assert!(
        leaders["html"]
            .as_str()
            .unwrap()
            .contains(&format!("<td>{figures}</td>"))
    );
    assert!(
        text.contains("重点项目存在问题：土地 4 个、环评 4 个、资金 1 个"),
        "{text}"
    );
    // A county ceiling is its count against the ceiling, not a completion.
    let summary = crate::common::read_csv(&out.join("data/summary.csv"));
    let aq = summary
        .iter()
        .find(|r| r["indicator_code"] == "AQ01")
        .unwrap();
    assert!(
        text.contains(&format!(
            "- 安全生产事故：实际 {} 起，控制目标 {} 起，控制在目标内",
            aq["actual"], aq["target"]
        )),
        "{text}"
    );
    let red = text.matches("【红色】").count();
    assert!(
        text.contains(&format!("红色预警 {red} 项、黄色预警 0 项：")),
        "{text}"
    );
    assert!(
        text.contains("【红色】县发展和改革局 重点项目“绣花庙风电场”逾期未开工"),
        "{text}"
    );
    assert!(leaders["html"].as_str().unwrap().contains("<table"));
    // 老军乡 sent nothing: its project's start is unknown, not unexplained.
    assert!(
        text.contains("【红色】老军乡 重点项目“老军乡生态宜居村庄建设”逾期未开工（应于 2022年3月25日 前开工）；本期未填报，开工情况不明"),
        "{text}"
    );
    assert!(
        leaders["html"]
            .as_str()
            .unwrap()
            .contains("<td>本期未填报，开工情况不明</td>")
    );

    let huo = got
        .iter()
        .find(|m| m["rcpt_tos"][0] == "town4@example.org")
        .expect("霍城镇's message");
    // The subject says what to do; the count is the file's errors.
    let submissions = crate::common::read_csv(&out.join("data/submissions.csv"));
    let errors = |unit: &str| -> String {
        let s = submissions
            .iter()
            .find(|r| r["unit"] == unit && r["status"] == "accepted")
            .unwrap();
        s["errors"].clone()
    };
    assert_eq!(
        huo["subject"],
        format!(
            "霍城镇2022年3月报表反馈：有 {} 处错误，请改正后重新报送",
            errors("霍城镇")
        )
    );
    assert!(
        huo["text"].as_str().unwrap().contains("相关数值未计入汇总"),
        "{huo}"
    );
    assert!(huo["text"].as_str().unwrap().contains("“待统计”不是数字"));
    assert_eq!(
        huo["attachments"][0]["filename"],
        "霍城镇2022年3月报表反馈.xlsx"
    );
    assert_eq!(
        huo["attachments"][0]["sha256"],
        sha(&out.join("feedback/霍城镇.xlsx"))
    );
    let lao = got
        .iter()
        // The sample's period is long past: the reminder says so.
        .find(|m| {
            m["subject"]
                == "老军乡：2022年3月报表尚未报送，截止日期（2022年4月5日）已过，请尽快报送"
        })
        .expect("the reminder says what to send by when");
    assert!(lao["text"].as_str().unwrap().contains("尚未收到"));
    // It sent nothing: its project is asked about, not blamed.
    assert!(
        lao["text"].as_str().unwrap().contains(
            "有 1 个重点项目已过计划开工日期，本期未填报，开工情况不明（红色预警），请在报表中填报开工情况"
        ),
        "{lao}"
    );
    let unit_text = |unit: &str| -> String {
        got.iter()
            .find(|m| m["subject"].as_str().unwrap().starts_with(unit))
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // 陈户镇's only error breaks a rule of the plan: its value counts
    // (CONTRACT.md 12), and the mail says so, as its workbook does.
    assert_eq!(errors("陈户镇"), "1");
    let chen = unit_text("陈户镇");
    assert!(
        chen.contains("有 1 处错误（这些数值已计入汇总，请核实后改正）")
            && !chen.contains("未计入"),
        "{chen}"
    );
    // A ceiling exceeded is told to its unit, with the figures.
    let safety = unit_text("县应急管理局");
    assert!(
        safety.contains(&format!(
            "超出控制目标：安全生产事故（{figures}，红色预警）"
        )) && !safety.contains("没有滞后"),
        "{safety}"
    );
    // Tasks behind are named: those by_unit.csv says are behind.
    let names: std::collections::HashMap<String, String> =
        crate::common::read_csv(&out.join("data/summary.csv"))
            .into_iter()
            .map(|r| (r["indicator_code"].clone(), r["indicator_name"].clone()))
            .collect();
    // Each with its warning's colour, as by_unit.csv gives it.
    let colour = |w: &str| match w {
        "blue" => "蓝色",
        "yellow" => "黄色",
        _ => "红色",
    };
    let behind: Vec<String> = by_unit
        .iter()
        .filter(|r| r["unit"] == "位奇镇" && r["status"] == "behind")
        .map(|r| {
            format!(
                "{}（{}预警）",
                names[&r["indicator_code"]],
                colour(&r["warning"])
            )
        })
        .collect();
    assert!(!behind.is_empty());
    let wei = unit_text("位奇镇");
    assert!(
        wei.contains(&format!(
            "有 {} 项任务滞后于时间进度：{}。",
            behind.len(),
            behind.join("、")
        )),
        "{behind:?} in {wei}"
    );
    // No errors but a warning: accepted, and resending is its choice;
    // its overdue project has its reason, so none is asked for.
    assert!(
        wei.contains("已采用，没有错误。")
            && wei.contains("不影响采用")
            && !wei.contains("不需要重新报送"),
        "{wei}"
    );
    assert!(
        wei.contains("逾期未开工（红色预警），请尽快推进。") && !wei.contains("说明原因"),
        "{wei}"
    );

    // The ledger: 14 delivered, with their Message-IDs.
    let ledger: Value =
        serde_json::from_slice(&std::fs::read(out.join("mail-ledger.json")).unwrap()).unwrap();
    let entries = ledger.as_object().unwrap();
    assert_eq!(entries.len(), 14);
    assert!(
        entries
            .values()
            .all(|d| d["status"] == "delivered" && d["message_id"].as_str().unwrap().contains('@'))
    );
    let ids: Vec<&Value> = got.iter().map(|m| &m["message_id"]).collect();
    assert!(entries.values().all(|d| ids.iter().any(|id| {
        id.as_str()
            .unwrap()
            .contains(d["message_id"].as_str().unwrap().trim_matches(['<', '>']))
    })));

    // A second run sends nothing; --resend sends everything again.
    let (code, err) = mail(&out, &cfg, &[]);
    assert_eq!(code, 0);
    assert!(
        err.contains("发送 0 封") && err.contains("跳过 14 封"),
        "{err}"
    );
    assert_eq!(server.messages().len(), 14);
    assert_eq!(mail(&out, &cfg, &["--resend"]).0, 0);
    assert_eq!(server.messages().len(), 28);
}

/// Two townships, one of whose addresses the server refuses, and one
/// whose name tries to smuggle a header.
fn two_unit_run(w: &Workdir) -> PathBuf {
    let plan = w.path("plan.xlsx");
    write_xlsx(
        &plan,
        &[
            Sheet::new("单位")
                .texts(&["单位名称", "类型", "邮箱"])
                .texts(&["甲镇", "乡镇", "jia@example.org"])
                .texts(&["乙镇", "乡镇", "refuse@example.org"])
                .texts(&["丙镇\r\nBcc: evil@example.org", "乡镇", "bing@example.org"])
                .texts(&["丁镇", "乡镇"]),
            Sheet::new("指标")
                .texts(&["指标代码", "指标名称", "计量单位"])
                .texts(&["X1", "项目", "个"]),
            Sheet::new("目标")
                .texts(&["单位名称", "指标代码", "年度目标"])
                .row(vec![t("甲镇"), t("X1"), n(4.0)]),
        ],
    );
    let out = w.path("out");
    let o = w.run_with(&plan, "out", &["--allow-empty"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn a_refused_recipient_is_in_the_ledger_and_the_exit_code_and_is_retried() {
    let w = Workdir::new("mail_refuse");
    let server = SmtpServer::start(w.path("received"));
    let out = two_unit_run(&w);
    let cfg = config(&w, Some(server.port));
    let (code, err) = mail(&out, &cfg, &[]);
    assert_eq!(code, 1, "a failed message fails the command");
    assert!(
        err.contains("失败 1 封") && err.contains("乙镇") && err.contains("refuse@example.org"),
        "{err}"
    );
    let ledger: Value =
        serde_json::from_slice(&std::fs::read(out.join("mail-ledger.json")).unwrap()).unwrap();
    let yi = ledger
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.contains("乙镇"))
        .unwrap()
        .1;
    assert_eq!(yi["status"], "failed");
    // The server's refusal, said for the bureau with what to do.
    let error = yi["error"].as_str().unwrap();
    assert!(
        error.contains("拒收（550）") && error.contains("核对收件地址"),
        "{error}"
    );
    // A unit with no 邮箱 is named, not silently left out.
    assert!(
        err.contains("没有填写邮箱") && err.contains("丁镇"),
        "{err}"
    );
    let delivered = server.messages().len();
    assert_eq!(delivered, 3, "leaders, 甲镇 and 丙镇");
    // The next run retries only the failure.
    let (code, err) = mail(&out, &cfg, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("跳过 3 封"), "{err}");
    assert_eq!(server.messages().len(), delivered);
    // No header was smuggled in through a unit's name.
    for m in server.messages() {
        let headers = m["raw_headers"].as_str().unwrap();
        assert!(
            !headers
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{headers}"
        );
        assert!(!m["rcpt_tos"].to_string().contains("evil"));
    }
}

#[test]
fn a_dry_run_writes_every_message_and_sends_nothing() {
    let w = Workdir::new("mail_dry");
    let server = SmtpServer::start(w.path("received"));
    let out = two_unit_run(&w);
    let (code, err) = mail(&out, &config(&w, Some(server.port)), &["--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let eml: Vec<PathBuf> = std::fs::read_dir(out.join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(eml.len(), 4);
    assert!(server.messages().is_empty());
    // The attachment's name also as RFC 2047 `name=` words, for clients
    // that do not read RFC 2231 `filename*` (older Outlook, Foxmail).
    let raw = std::fs::read_to_string(out.join("outbox/unit-甲镇.eml")).unwrap();
    let at = raw.find("name=\"=?UTF-8?B?").expect("a name= parameter");
    let param = &raw[at..raw[at + 6..].find('"').unwrap() + at + 7];
    use base64::Engine;
    let name: String = param
        .split("=?UTF-8?B?")
        .skip(1)
        .map(|w| {
            let b64 = &w[..w.find("?=").unwrap()];
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    assert!(
        name.starts_with("甲镇") && name.ends_with("报表反馈.xlsx"),
        "{name} from {param}"
    );
    assert!(
        !out.join("mail-ledger.json").exists(),
        "nothing was delivered"
    );
    // Without [smtp] the same happens without --dry-run.
    let w2 = Workdir::new("mail_nosmtp");
    let out2 = two_unit_run(&w2);
    assert_eq!(mail(&out2, &config(&w2, None), &[]).0, 0);
    assert_eq!(std::fs::read_dir(out2.join("outbox")).unwrap().count(), 4);
}

#[test]
fn mail_without_a_run_or_settings_exits_2() {
    let w = Workdir::new("mail_bad");
    let (code, err) = mail(&w.path("nothing"), &config(&w, None), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("run.json"), "{err}");
    std::fs::write(w.path("empty.toml"), "").unwrap();
    let out = two_unit_run(&w);
    let (code, err) = mail(&out, &w.path("empty.toml"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("[mail]"), "{err}");
}

/// The sample inbox copied into `w`'s inbox, without `leave_out`.
fn sample_inbox(w: &Workdir, leave_out: &[&str]) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/inbox/2022-03");
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if !leave_out.contains(&name.as_str()) {
            std::fs::copy(e.path(), w.inbox().join(&name)).unwrap();
        }
    }
}

fn run_sample_plan(w: &Workdir) {
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/plan.xlsx");
    let out = w.run(&plan, "out");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_refused_file_is_said_to_the_unit_that_sent_it_once() {
    let w = Workdir::new("mail_refused");
    // 李桥乡 sends a file whose 填报单位 is another unit's; 应急局's file
    // is damaged. Neither has a usable report.
    sample_inbox(&w, &["李桥乡.xlsx", "应急管理局.xlsx"]);
    // As tally fetch saves 李桥乡's mail: the sender's unit before the
    // name it was sent under.
    write_xlsx(
        &w.inbox().join("李桥乡 - 花寨乡3月报表.xlsx"),
        &[crate::common::standard(
            "花寨乡",
            "2022-04-03",
            vec![crate::common::line("FA01", n(10.0), "")],
        )],
    );
    // Another unit's file saved under 清泉镇's name, beside 清泉镇's good
    // report: not 清泉镇's error.
    write_xlsx(
        &w.inbox().join("清泉镇（更正）.xlsx"),
        &[crate::common::standard(
            "位奇镇",
            "2022-04-03",
            vec![crate::common::line("FA01", n(10.0), "")],
        )],
    );
    std::fs::write(w.inbox().join("应急管理局.xlsx"), b"PK\x03\x04 cut short").unwrap();
    run_sample_plan(&w);
    let out = w.path("out");
    assert_eq!(mail(&out, &config(&w, None), &[]).0, 0);
    let body = |unit: &str| {
        let raw = std::fs::read(out.join(format!("outbox/unit-{unit}.eml"))).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        message.body_text(0).unwrap().into_owned()
    };
    // The unit the file name gives hears its file was refused, and why:
    // not that nothing came.
    let li = body("李桥乡");
    assert!(li.contains("报表未能采用"), "{li}");
    let qq = body("清泉镇");
    assert!(qq.contains("已采用，没有错误"), "{qq}");
    assert!(li.contains("表内填报单位写的是“花寨乡”"), "{li}");
    assert!(!li.contains("尚未收到"), "{li}");
    // Each reason once: no second line saying the file was refused.
    let yj = body("县应急管理局");
    assert!(yj.contains("文件已损坏"), "{yj}");
    assert!(!yj.contains("原因见该文件"), "{yj}");
    // Its 填报日期 unread, the due date may be past: it is not promised.
    assert!(yj.contains("如已过此日期，请尽快"), "{yj}");
}

#[test]
fn another_period_run_into_the_same_folder_is_mailed_afresh() {
    let w = Workdir::new("mail_next_period");
    let server = SmtpServer::start(w.path("received"));
    sample_inbox(&w, &["李桥乡.xlsx"]);
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/plan.xlsx");
    let run_period = |period: &str| {
        let o = tally(&[
            "run",
            "--plan",
            plan.to_str().unwrap(),
            "--inbox",
            w.inbox().to_str().unwrap(),
            "--period",
            period,
            "--out",
            w.path("out").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // A store made by this run, for a period that is not the year's
    // first: said, as warnings then start from blue.
    let said = run_period("2022-03");
    assert!(said.contains("是这次新建的"), "{said}");
    let out = w.path("out");
    let cfg = config(&w, Some(server.port));
    assert_eq!(mail(&out, &cfg, &[]).0, 0);
    assert_eq!(server.messages().len(), 14);
    // April into the same folder, the same files: every unit hears of
    // April, none as a correction, and 李桥乡 is reminded again.
    let said = run_period("2022-04");
    assert!(!said.contains("是这次新建的"), "{said}");
    assert!(said.contains("输出文件夹中原有 2022-03 期的结果"), "{said}");
    let (code, err) = mail(&out, &cfg, &[]);
    assert_eq!(code, 0, "{err}");
    let april: Vec<_> = server.messages().into_iter().skip(14).collect();
    assert_eq!(april.len(), 14, "{err}");
    for m in &april {
        let subject = m["subject"].as_str().unwrap();
        assert!(subject.contains("2022年4月"), "{subject}");
        assert!(
            !subject.contains("更正") && !subject.contains("更新"),
            "{subject}"
        );
    }
    assert!(
        april
            .iter()
            .any(|m| m["rcpt_tos"][0] == "town6@example.org"),
        "李桥乡 is reminded of April"
    );
}

#[test]
fn a_rerun_mails_only_the_units_whose_own_submission_changed() {
    let w = Workdir::new("mail_rerun");
    let server = SmtpServer::start(w.path("received"));
    // 李桥乡's file comes late.
    sample_inbox(&w, &["李桥乡.xlsx"]);
    run_sample_plan(&w);
    let out = w.path("out");
    let cfg = config(&w, Some(server.port));
    assert_eq!(mail(&out, &cfg, &[]).0, 0);
    assert_eq!(server.messages().len(), 14);
    // A unit's mail starts with what to do and by when.
    let huo = server
        .messages()
        .into_iter()
        .find(|m| m["rcpt_tos"][0] == "town4@example.org")
        .unwrap();
    let body = huo["text"].as_str().unwrap().to_string();
    let first = body.lines().nth(2).unwrap();
    assert!(
        first.contains("处错误")
            && first.contains("本期报送截止日期（2022年4月5日）已过，请尽快重新报送"),
        "{body}"
    );
    assert!(body.contains("在 8 个乡镇中排第"), "{body}");
    assert!(!body.contains("tally"), "{body}");

    // 李桥乡 reports; 林草局 sends a corrected file; everyone else is as before.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/inbox/2022-03");
    std::fs::copy(src.join("李桥乡.xlsx"), w.inbox().join("李桥乡.xlsx")).unwrap();
    write_xlsx(
        &w.inbox().join("林草局.xlsx"),
        &[crate::common::standard(
            "县林业和草原局",
            "2022-04-06",
            vec![
                crate::common::line("ST01", n(0.2), ""),
                crate::common::line("ST02", n(2.0), ""),
                crate::common::line("ST03", n(1.0), ""),
            ],
        )],
    );
    run_sample_plan(&w);
    let (code, err) = mail(&out, &cfg, &[]);
    assert_eq!(code, 0, "{err}");
    let got = server.messages();
    let new: Vec<&str> = got[14..]
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(new.len(), 3, "{new:?}");
    assert!(
        new.contains(&"2022年3月重点工作任务完成情况汇总（更新）"),
        "{new:?}"
    );
    assert!(new.contains(&"李桥乡2022年3月报表反馈：已采用"), "{new:?}");
    let errors = crate::common::read_csv(&out.join("data/submissions.csv"))
        .into_iter()
        .find(|r| r["unit"] == "县林业和草原局" && r["status"] == "accepted")
        .unwrap()["errors"]
        .clone();
    assert!(
        new.contains(
            &format!(
                "县林业和草原局2022年3月报表反馈（更正）：有 {errors} 处错误，请改正后重新报送"
            )
            .as_str()
        ),
        "{new:?}"
    );
    assert!(err.contains("跳过 11 封"), "{err}");

    // --unit mails just that unit, whatever the ledger says with --resend.
    let (code, _) = mail(&out, &cfg, &["--unit", "霍城镇", "--resend"]);
    assert_eq!(code, 0);
    let got = server.messages();
    assert_eq!(got.len(), 18);
    assert_eq!(got[17]["rcpt_tos"][0], "town4@example.org");
    assert_eq!(mail(&out, &cfg, &["--unit", "无此单位"]).0, 2);

    // 李桥乡's file leaves the inbox (the bureau moved it): told it was
    // used, it is not then told it never reported.
    std::fs::remove_file(w.inbox().join("李桥乡.xlsx")).unwrap();
    run_sample_plan(&w);
    let (code, err) = mail(&out, &cfg, &[]);
    assert_eq!(code, 0, "{err}");
    let got = server.messages();
    assert!(
        got[18..]
            .iter()
            .all(|m| m["rcpt_tos"][0] != "town6@example.org"),
        "{:?}",
        got[18..]
            .iter()
            .map(|m| m["subject"].clone())
            .collect::<Vec<_>>()
    );
    let sent = got.len();

    // Two mail rounds at once on one run would each send everything.
    let held = tally::files::try_lock_path(&out.join("mail.lock"))
        .unwrap()
        .unwrap();
    let (code, err) = mail(&out, &cfg, &["--resend"]);
    assert_eq!(code, 2);
    assert!(err.contains("另一个 tally mail 正在发送"), "{err}");
    assert_eq!(server.messages().len(), sent);
    drop(held);

    // A ledger that cannot be read stops everything before sending.
    let ledger = out.join("mail-ledger.json");
    let bytes = std::fs::read(&ledger).unwrap();
    std::fs::write(&ledger, &bytes[..bytes.len() / 2]).unwrap();
    let (code, err) = mail(&out, &cfg, &["--resend"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("发送记录") && err.contains("未发送任何邮件"),
        "{err}"
    );
    assert_eq!(server.messages().len(), sent);
}

#[test]
fn a_missing_units_reminder_carries_its_template_and_the_deadline() {
    let w = Workdir::new("mail_template");
    let server = SmtpServer::start(w.path("received"));
    sample_inbox(&w, &[]);
    run_sample_plan(&w);
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/plan.xlsx");
    let forms = w.path("forms");
    let made = tally(&[
        "template",
        "--plan",
        plan.to_str().unwrap(),
        "--period",
        "2022年3月",
        "--out",
        forms.to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0));
    let cfg = config(&w, Some(server.port));
    let (code, err) = mail(
        &w.path("out"),
        &cfg,
        &["--unit", "老军乡", "--templates", forms.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let got = server.messages();
    assert_eq!(got.len(), 1);
    let lao = &got[0];
    assert_eq!(
        lao["subject"],
        "老军乡：2022年3月报表尚未报送，截止日期（2022年4月5日）已过，请尽快报送"
    );
    let names: Vec<&str> = lao["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "老军乡2022年3月报表反馈.xlsx",
            "老军乡2022年3月报表（模板）.xlsx"
        ]
    );
    assert_eq!(
        lao["attachments"][1]["sha256"],
        sha(&forms.join("老军乡.xlsx"))
    );
    let text = lao["text"].as_str().unwrap();
    assert!(
        text.contains(
            "用附件中的模板“老军乡2022年3月报表（模板）.xlsx”填写本年累计数，尽快报送（本期截止日期 2022年4月5日 已过）"
        ),
        "{text}"
    );
    // January's forms left in the folder: one filled and sent would be
    // refused as another period's, so none goes out as March's.
    let made = tally(&[
        "template",
        "--plan",
        plan.to_str().unwrap(),
        "--period",
        "2022-01",
        "--out",
        forms.to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0));
    let (code, err) = mail(
        &w.path("out"),
        &cfg,
        &[
            "--unit",
            "老军乡",
            "--resend",
            "--templates",
            forms.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("是 2022-01 的报表模板，不是本期（2022-03）的"),
        "{err}"
    );
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn a_run_json_from_before_figures_still_says_the_completion() {
    let w = Workdir::new("mail_old_run_json");
    let server = SmtpServer::start(w.path("received"));
    let out = w.path("out");
    assert_eq!(run_samples(&out).status.code(), Some(0));
    // run.json as tally wrote it before warnings carried their figures.
    let path = out.join("run.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let warnings = json["warnings"].as_array_mut().expect("warnings");
    assert!(!warnings.is_empty());
    for line in warnings {
        line.as_object_mut().unwrap().remove("figures");
    }
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    let (code, err) = mail(&out, &config(&w, Some(server.port)), &[]);
    assert_eq!(code, 0, "{err}");
    let got = server.messages();
    let leaders = got
        .iter()
        .find(|m| m["subject"] == "2022年3月重点工作任务完成情况汇总")
        .expect("the leaders' message");
    let text = leaders["text"].as_str().unwrap();
    assert!(
        text.contains("【红色】县应急管理局 安全生产事故，完成 150.0%"),
        "{text}"
    );
}

#[test]
fn the_mails_are_signed_with_the_settings_name_and_a_different_run_name_is_said() {
    let w = Workdir::new("mail_org");
    let server = SmtpServer::start(w.path("received"));
    let out = w.path("out");
    // The run had no settings: its workbooks say 县统计局.
    assert_eq!(run_samples(&out).status.code(), Some(0));
    let cfg = config(&w, Some(server.port));
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}\n[org]\nname = \"示范县统计局\"\n")).unwrap();
    let (code, err) = mail(&out, &cfg, &["--unit", "清泉镇"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("工作簿署名为“县统计局”") && err.contains("[org] name 为“示范县统计局”"),
        "{err}"
    );
    let got = server.messages();
    let body = got[0]["text"].as_str().unwrap();
    assert!(body.trim_end().ends_with("示范县统计局"), "{body}");
}
