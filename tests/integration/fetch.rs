//! `tally fetch` against a real Dovecot on loopback (tests/integration/
//! servers.rs): attachment names in RFC 2231, RFC 2047 and raw GBK, a zip
//! with two workbooks, a correction mailed later, a photo, a stranger; a
//! rerun that fetches nothing; a fetch killed mid-way that recovers;
//! replies threaded under each mail; TLS and STARTTLS with a private CA.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;

use crate::common::{Workdir, tally};
use crate::servers::{Certs, Dovecot, PASSWORD, Secure, SmtpServer, USER};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("samples/inbox/2022-03").join(name)).unwrap()
}

/// A mail: headers, a text part, then each attachment as (its
/// Content-Disposition line, its bytes).
fn mime(from: &str, subject: &str, date: &str, id: &str, parts: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut m = format!(
        "From: {from}\r\nTo: {USER}\r\nSubject: =?UTF-8?B?{}?=\r\nDate: {date}\r\nMessage-ID: {id}\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n\
         --BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n请查收。\r\n",
        b64.encode(subject)
    )
    .into_bytes();
    for (disposition, bytes) in parts {
        m.extend_from_slice(b"--BOUNDARY\r\nContent-Type: application/octet-stream\r\n");
        m.extend_from_slice(disposition);
        m.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        for chunk in b64.encode(bytes).as_bytes().chunks(76) {
            m.extend_from_slice(chunk);
            m.extend_from_slice(b"\r\n");
        }
    }
    m.extend_from_slice(b"--BOUNDARY--\r\n");
    m
}

fn rfc2231(name: &str) -> Vec<u8> {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("Content-Disposition: attachment; filename*=UTF-8''{encoded}").into_bytes()
}

fn rfc2047_gb2312(name: &str) -> Vec<u8> {
    let gbk = encoding_rs::GBK.encode(name).0;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&gbk);
    format!("Content-Disposition: attachment; filename=\"=?GB2312?B?{b64}?=\"").into_bytes()
}

fn raw_gbk(name: &str) -> Vec<u8> {
    let mut d = b"Content-Disposition: attachment; filename=\"".to_vec();
    d.extend_from_slice(&encoding_rs::GBK.encode(name).0);
    d.push(b'"');
    d
}

fn zip_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

/// The mailbox of a month: seven mails as townships send them.
fn fill(server: &Dovecot) {
    let put = |from: &str, subject: &str, date: &str, id: &str, parts: &[(Vec<u8>, Vec<u8>)]| {
        server.append(&mime(from, subject, date, id, parts));
    };
    put(
        "清泉镇 <town1@example.org>",
        "3月报表",
        "Tue, 5 Apr 2022 09:00:00 +0800",
        "<m1@town1>",
        &[(rfc2231("3月报表.xlsx"), sample("清泉镇.xlsx"))],
    );
    put(
        "town4@example.org",
        "霍城镇3月",
        "Tue, 5 Apr 2022 10:00:00 +0800",
        "<m2@town4>",
        &[(rfc2047_gb2312("霍城镇.xlsx"), sample("霍城镇.xlsx"))],
    );
    put(
        "town6@example.org",
        "李桥乡报表",
        "Tue, 5 Apr 2022 11:00:00 +0800",
        "<m3@town6>",
        &[(raw_gbk("李桥乡报表.xlsx"), sample("李桥乡.xlsx"))],
    );
    let zipped = zip_of(&[
        ("花寨乡.xlsx", sample("花寨乡.xlsx")),
        (
            "位奇镇2022年3月报表.xlsx",
            sample("位奇镇2022年3月报表.xlsx"),
        ),
        ("说明.txt", b"two reports".to_vec()),
    ]);
    put(
        "文书 <clerk@other.example>",
        "代两个乡镇报送",
        "Tue, 5 Apr 2022 12:00:00 +0800",
        "<m4@other>",
        &[(rfc2231("报表.zip"), zipped)],
    );
    put(
        "town5@example.org",
        "报表照片",
        "Tue, 5 Apr 2022 13:00:00 +0800",
        "<m5@town5>",
        &[(
            rfc2231("报表.jpg"),
            b"\xff\xd8\xff\xe0 not really a photo".to_vec(),
        )],
    );
    put(
        "town1@example.org",
        "3月报表（更正）",
        "Wed, 6 Apr 2022 09:00:00 +0800",
        "<m6@town1>",
        // Sent again, later: the later mail's file replaces the first.
        &[(rfc2231("3月报表.xlsx"), sample("清泉镇.xlsx"))],
    );
}

fn config(w: &Workdir, imap: &str, smtp_port: Option<u16>) -> PathBuf {
    let smtp = smtp_port.map_or(String::new(), |p| {
        format!("[smtp]\nhost = \"127.0.0.1\"\nport = {p}\nsecurity = \"none\"\n\n")
    });
    let text = format!(
        "[org]\nname = \"示范县统计局\"\n\n{smtp}[mail]\nfrom = \"示范县统计局 <{USER}>\"\n\n[imap]\n{imap}username = \"{USER}\"\npassword_env = \"TALLY_TEST_IMAP_PASSWORD\"\n"
    );
    let path = w.path("tally.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn plain(server: &Dovecot) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
        server.port
    )
}

/// Runs tally fetch for 2022-03 into `inbox`; (exit code, stdout, stderr).
fn fetch(
    w: &Workdir,
    config: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    fetch_into(w, "2022-03", config, extra, env)
}

/// Runs tally fetch for `period` into `inbox-mail/<period>`.
fn fetch_into(
    w: &Workdir,
    period: &str,
    config: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let plan = root().join("samples/plan.xlsx");
    let inbox = w.path(&format!("inbox-mail/{period}"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["fetch", "--plan"])
        .arg(plan)
        .args(["--period", period, "--inbox"])
        .arg(&inbox)
        .arg("--config")
        .arg(config)
        .args(extra)
        .env("TALLY_TEST_IMAP_PASSWORD", PASSWORD)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

const SAVED: [&str; 6] = [
    "位奇镇2022年3月报表.xlsx",
    "李桥乡报表.xlsx",
    "清泉镇 - 3月报表 (2).xlsx",
    "清泉镇 - 3月报表.xlsx",
    "花寨乡.xlsx",
    "霍城镇.xlsx",
];

#[test]
fn every_workbook_is_saved_once_under_its_real_name_and_the_mailbox_is_untouched() {
    let w = Workdir::new("fetch-all");
    let server = Dovecot::start(w.dir.path(), None);
    fill(&server);
    let before = server.flags();
    let cfg = config(&w, &plain(&server), None);
    // Only mail that arrived from a day on: none arrived after 2099.
    let (code, out, _) = fetch(&w, &cfg, &["--since", "2099-01-01"], &[]);
    assert_eq!((code, out.contains("新邮件 0 封")), (0, true), "{out}");
    let (code, out, err) = fetch(&w, &cfg, &[], &[]);
    // 霍城镇's planted mistakes are errors: exit 1, as check.
    assert_eq!(code, 1, "{out}\n{err}");
    let inbox = w.path("inbox-mail/2022-03");
    assert_eq!(files(&inbox), SAVED, "{out}");
    assert_eq!(
        std::fs::read(inbox.join("霍城镇.xlsx")).unwrap(),
        sample("霍城镇.xlsx")
    );
    // The file's time is the mail's Date: 2022-04-05 09:00 +08:00.
    let mtime = std::fs::metadata(inbox.join("清泉镇 - 3月报表.xlsx"))
        .unwrap()
        .modified()
        .unwrap();
    let secs = mtime
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(secs, 1_649_120_400);
    // Nothing in the mailbox changed: no message read, moved or deleted.
    assert_eq!(server.flags(), before);
    assert_eq!(before.len(), 6);
    // The report says what was not taken.
    assert!(out.contains("新邮件 6 封"), "{out}");
    assert!(out.contains("未保存 报表.jpg"), "{out}");
    assert!(out.contains("未保存 报表.zip/说明.txt"), "{out}");
    assert!(
        out.contains("<clerk@other.example>（不是名单中的单位邮箱）"),
        "{out}"
    );
    // The ledger records each message once, with its files.
    let ledger: Value =
        serde_json::from_slice(&std::fs::read(w.path("inbox-mail/2022-03.fetch.json")).unwrap())
            .unwrap();
    let messages = ledger["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 6);
    assert!(messages.iter().all(|m| m["state"] == "saved"));
    let photo = messages
        .iter()
        .find(|m| m["message_id"] == "<m5@town5>")
        .unwrap();
    assert_eq!(photo["files"].as_array().unwrap().len(), 0);
    assert_eq!(photo["unit"], "陈户镇");

    // A rerun fetches nothing new and saves nothing twice.
    let (code, out, _) = fetch(&w, &cfg, &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("新邮件 0 封（此前已收取 6 封）"), "{out}");
    assert_eq!(files(&inbox), SAVED);

    // Next month's folder does not take this month's mail again.
    let (code, out, _) = fetch_into(&w, "2022-04", &cfg, &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("新邮件 0 封（此前已收取 6 封）"), "{out}");
    assert!(files(&w.path("inbox-mail/2022-04")).is_empty());

    // The correction mailed later replaces the first report.
    let (json, _) = check_json(&inbox);
    let first = json["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["file"] == "清泉镇 - 3月报表.xlsx")
        .unwrap()
        .clone();
    assert_eq!(first["status"], "superseded");
    assert_eq!(first["unit"], "清泉镇");
}

fn check_json(inbox: &Path) -> (Value, i32) {
    check_json_with(inbox, &[])
}

fn check_json_with(inbox: &Path, extra: &[&str]) -> (Value, i32) {
    let plan = root().join("samples/plan.xlsx");
    let mut args = vec![
        "check",
        "--plan",
        plan.to_str().unwrap(),
        "--inbox",
        inbox.to_str().unwrap(),
        "--period",
        "2022-03",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = tally(&args);
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn a_fetch_killed_at_any_moment_loses_nothing_and_saves_nothing_twice() {
    // Killed before its 1st, 2nd and 4th file: names reserved, some written.
    for at in ["0", "1", "3"] {
        let w = Workdir::new("fetch-kill");
        let server = Dovecot::start(w.dir.path(), None);
        fill(&server);
        let cfg = config(&w, &plain(&server), None);
        let (code, out, err) = fetch(&w, &cfg, &[], &[("TALLY_TEST_FETCH_ABORT", at)]);
        assert!(code != 0 && code != 1, "killed at {at}: {code} {out} {err}");
        let inbox = w.path("inbox-mail/2022-03");
        assert!(files(&inbox).len() < SAVED.len());
        // What a kill -9 mid-write leaves: the next fetch removes it (it
        // would be listed as a refused file by every check after).
        std::fs::create_dir_all(&inbox).unwrap();
        std::fs::write(inbox.join(".tally-Xk9aZ2.tmp"), b"PK\x03\x04").unwrap();
        // Exit 1 only when 霍城镇's file (with errors) is fetched by this run.
        let (code, out, err) = fetch(&w, &cfg, &[], &[]);
        assert_eq!(code, i32::from(out.contains("霍城镇.xlsx")), "{out}\n{err}");
        assert_eq!(files(&inbox), SAVED, "killed at {at}: {out}");
        assert!(out.contains("续完上次中断的保存"), "{out}");
        let ledger: Value = serde_json::from_slice(
            &std::fs::read(w.path("inbox-mail/2022-03.fetch.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(ledger["messages"].as_array().unwrap().len(), 6);
    }
}

#[test]
fn each_sender_is_answered_once_threaded_under_its_mail() {
    let w = Workdir::new("fetch-reply");
    let server = Dovecot::start(w.dir.path(), None);
    fill(&server);
    // An out-of-office answer to an earlier mail of the bureau's: robots
    // are never answered, or two would answer each other for ever.
    server.append(
        format!(
            "From: town7@example.org\r\nTo: {USER}\r\nSubject: =?UTF-8?B?5LiN5Zyo5Yqe5YWs5a6k?=\r\nDate: Tue, 5 Apr 2022 14:00:00 +0800\r\nMessage-ID: <auto@town7>\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n"
        )
        .as_bytes(),
    );
    // First the SMTP server is down: every reply fails, and is owed.
    let down = config(&w, &plain(&server), Some(crate::servers::free_port()));
    let (code, out, err) = fetch(&w, &down, &["--reply"], &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(out.matches("失败").count(), 6, "{out}");
    assert!(out.contains("新邮件 7 封"), "{out}");
    // Then it is up: the next run, with no new mail, answers them all.
    let smtp = SmtpServer::start(w.path("received"));
    let cfg = config(&w, &plain(&server), Some(smtp.port));
    let (_, out, err) = fetch(&w, &cfg, &["--reply"], &[]);
    assert!(out.contains("新邮件 0 封"), "{out}\n{err}");
    let replies = smtp.messages();
    assert_eq!(replies.len(), 6, "one reply per mail: {out}");
    let to = |addr: &str, subject: &str| -> Value {
        replies
            .iter()
            .find(|m| m["rcpt_tos"][0] == addr && m["subject"] == subject)
            .unwrap_or_else(|| panic!("no reply to {addr} {subject}: {replies:#?}"))
            .clone()
    };
    let huo = to("town4@example.org", "Re: 霍城镇3月【已接收，有错误需改正】");
    assert!(
        huo["raw_headers"]
            .as_str()
            .unwrap()
            .contains("In-Reply-To: <m2@town4>")
    );
    let text = huo["text"].as_str().unwrap();
    assert!(text.starts_with("霍城镇："), "{text}");
    assert!(
        text.contains("“霍城镇.xlsx”：已接收，但有以下错误需要改正（相关数值未计入汇总）"),
        "{text}"
    );
    assert!(text.contains("Sheet1!E8："), "{text}");
    // Mailed on the due date itself, answered now, years later: said
    // from the day it is read (src/fetch/reply.rs tests the other days).
    assert!(
        text.contains("本期报送截止日期（2022年4月5日）已过，请尽快改正后重新发送"),
        "{text}"
    );
    let photo = to("town5@example.org", "Re: 报表照片【没有收到报表文件】")["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(photo.contains("邮件中没有报表文件"), "{photo}");
    assert!(
        photo.contains("报表.jpg：是照片、PDF 或 Word 文档"),
        "{photo}"
    );
    let qq = to("town1@example.org", "Re: 3月报表【已由更新的报表替代】")["text"]
        .as_str()
        .unwrap()
        .to_string();
    // Saying which file is used instead, and why.
    assert!(
        qq.contains(
            "本单位另有更新的报表“清泉镇 - 3月报表 (2).xlsx”（修改时间更晚），这一份不再使用"
        ),
        "the correction replaced it: {qq}"
    );
    // A rerun answers nobody twice.
    let (_, out, _) = fetch(&w, &cfg, &["--reply"], &[]);
    assert_eq!(smtp.messages().len(), 6, "{out}");
}

#[test]
fn a_dry_run_writes_the_replies_instead() {
    let w = Workdir::new("fetch-dry");
    let server = Dovecot::start(w.dir.path(), None);
    fill(&server);
    let cfg = config(&w, &plain(&server), None);
    let (_, out, err) = fetch(&w, &cfg, &["--reply", "--dry-run"], &[]);
    let outbox = w.path("inbox-mail/2022-03.outbox");
    assert_eq!(files(&outbox).len(), 6, "{out}\n{err}");
    let eml = std::fs::read_to_string(outbox.join(&files(&outbox)[0])).unwrap();
    assert!(eml.contains("In-Reply-To: <m"), "{eml}");
}

#[test]
fn a_damaged_ledger_stops_before_anything_is_fetched() {
    let w = Workdir::new("fetch-ledger");
    let server = Dovecot::start(w.dir.path(), None);
    fill(&server);
    let cfg = config(&w, &plain(&server), None);
    std::fs::create_dir_all(w.path("inbox-mail")).unwrap();
    std::fs::write(w.path("inbox-mail/2022-03.fetch.json"), b"{ not json").unwrap();
    let (code, _, err) = fetch(&w, &cfg, &[], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("收件记录"), "{err}");
    assert!(files(&w.path("inbox-mail/2022-03")).is_empty());
    std::fs::remove_file(w.path("inbox-mail/2022-03.fetch.json")).unwrap();
    // A refused login and a server that is not there say which.
    let (code, _, err) = fetch(&w, &cfg, &[], &[("TALLY_TEST_IMAP_PASSWORD", "wrong")]);
    assert_eq!(code, 2);
    assert!(err.contains("登录") && err.contains("授权码"), "{err}");
    let port = crate::servers::free_port();
    let cfg = config(&w, &format!("host = \"127.0.0.1\"\nport = {port}\n"), None);
    let (code, _, err) = fetch(&w, &cfg, &[], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("无法连接报送邮箱的服务器 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(files(&w.path("inbox-mail/2022-03")).is_empty());
}

#[test]
fn tls_and_starttls_with_a_private_ca_and_clear_refusals() {
    let w = Workdir::new("fetch-tls");
    let certs = Certs::make(&w.path("certs"));
    let server = Dovecot::start(w.dir.path(), Some(&certs));
    fill(&server);
    let ca = certs.ca.display().to_string();
    let imap = |host: &str, port: u16, security: &str, ca: Option<&str>| {
        let ca = ca.map_or(String::new(), |c| format!("ca_file = \"{c}\"\n"));
        format!("host = \"{host}\"\nport = {port}\nsecurity = \"{security}\"\n{ca}")
    };
    // Untrusted without the CA; a name the certificate does not carry.
    let cfg = config(&w, &imap("localhost", server.tls_port, "tls", None), None);
    let (code, _, err) = fetch(&w, &cfg, &[], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("证书不受信任") && err.contains("ca_file"),
        "{err}"
    );
    let cfg = config(
        &w,
        &imap("127.0.0.1", server.tls_port, "tls", Some(&ca)),
        None,
    );
    let (code, _, err) = fetch(&w, &cfg, &[], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("名称与设置的地址“127.0.0.1”不符"), "{err}");
    assert!(files(&w.path("inbox-mail/2022-03")).is_empty());
    // TLS from the start, with the CA.
    let cfg = config(
        &w,
        &imap("localhost", server.tls_port, "tls", Some(&ca)),
        None,
    );
    let (code, out, err) = fetch(&w, &cfg, &[], &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(files(&w.path("inbox-mail/2022-03")), SAVED);
    // STARTTLS on the plain port, and replies over an SMTP server that
    // speaks TLS (then one that requires STARTTLS), trusting the same CA.
    let w2 = Workdir::new("fetch-starttls");
    for (mode, secure) in [("tls", Secure::Tls), ("starttls", Secure::Starttls)] {
        let smtp =
            SmtpServer::start_with(w2.path(&format!("received-{mode}")), secure, Some(&certs));
        let text = format!(
            "[org]\nname = \"示范县统计局\"\n\n[smtp]\nhost = \"localhost\"\nport = {}\nsecurity = \"{mode}\"\nca_file = \"{ca}\"\n\n[mail]\nfrom = \"示范县统计局 <{USER}>\"\n\n[imap]\n{}username = \"{USER}\"\npassword_env = \"TALLY_TEST_IMAP_PASSWORD\"\n",
            smtp.port,
            imap("localhost", server.port, "starttls", Some(&ca))
        );
        let cfg = w2.path(&format!("{mode}.toml"));
        std::fs::write(&cfg, text).unwrap();
        let _ = std::fs::remove_dir_all(w2.path("inbox-mail"));
        let (code, out, err) = fetch(&w2, &cfg, &["--reply"], &[]);
        assert_eq!(code, 1, "{mode}: {out}\n{err}");
        assert_eq!(smtp.messages().len(), 6, "{mode}: {out}\n{err}");
    }
    // An SMTP server whose certificate is not trusted: the replies fail,
    // each said, nothing else stops.
    let smtp = SmtpServer::start_with(w2.path("received-untrusted"), Secure::Tls, Some(&certs));
    let text = format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\nsecurity = \"tls\"\n\n[mail]\nfrom = \"x <{USER}>\"\n\n[imap]\n{}username = \"{USER}\"\npassword_env = \"TALLY_TEST_IMAP_PASSWORD\"\n",
        smtp.port,
        plain(&server)
    );
    let cfg = w2.path("untrusted.toml");
    std::fs::write(&cfg, text).unwrap();
    let _ = std::fs::remove_dir_all(w2.path("inbox-mail"));
    let (_, out, _) = fetch(&w2, &cfg, &["--reply"], &[]);
    assert!(
        out.contains("失败") && out.contains("证书不受信任"),
        "{out}"
    );
    assert!(smtp.messages().is_empty());
}

#[test]
fn dry_run_without_reply_is_refused_before_any_settings_are_read() {
    let w = Workdir::new("fetch_dry_run_alone");
    let inbox = w.path("fetched");
    // No settings file anywhere: the flags are wrong first.
    let out = tally(&[
        "fetch",
        "--plan",
        "samples/plan.xlsx",
        "--period",
        "2022-03",
        "--inbox",
        inbox.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--dry-run 是把回复写成 .eml 文件而不发出，要和 --reply 一起用"),
        "{said}"
    );
    assert!(!inbox.exists(), "nothing made");
}

#[test]
fn with_the_store_the_replies_compare_with_the_last_stored_period() {
    let w = Workdir::new("fetch-store");
    // March as the bureau ran it; its store beside the run folder.
    let march = w.path("run/2022-03");
    assert_eq!(crate::common::run_samples(&march).status.code(), Some(0));
    let store = w.path("run/store");
    let server = Dovecot::start(w.dir.path(), None);
    // 霍城镇's April: its 固定资产投资 below what it reported for March.
    let april = w.path("霍城镇4月.xlsx");
    crate::book::write_xlsx(
        &april,
        &[crate::book::template(
            "2022年4月重点工作任务完成情况",
            "霍城镇",
            "2022-05-03",
            vec![vec![
                crate::book::t("FA01"),
                crate::book::C::E,
                crate::book::C::E,
                crate::book::C::E,
                crate::book::n(0.5),
                crate::book::t(""),
            ]],
        )],
    );
    server.append(&mime(
        "town4@example.org",
        "霍城镇4月",
        "Tue, 3 May 2022 09:00:00 +0800",
        "<a1@town4>",
        &[(rfc2231("霍城镇4月.xlsx"), std::fs::read(&april).unwrap())],
    ));
    let smtp = SmtpServer::start(w.path("received"));
    let cfg = config(&w, &plain(&server), Some(smtp.port));
    // A store that is not there is said before any mail is fetched.
    let missing = w.path("nowhere");
    let (code, out, err) = fetch_into(
        &w,
        "2022-04",
        &cfg,
        &["--reply", "--store", missing.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("找不到历史数据目录"), "{err}");
    assert!(!w.path("inbox-mail").exists(), "nothing fetched");
    // So is a damaged one: March's manifest cut short.
    let damaged = w.path("damaged");
    std::fs::create_dir_all(damaged.join("periods")).unwrap();
    let manifest = std::fs::read(store.join("periods/2022-03.json")).unwrap();
    std::fs::write(
        damaged.join("periods/2022-03.json"),
        &manifest[..manifest.len() / 2],
    )
    .unwrap();
    let (code, out, err) = fetch_into(
        &w,
        "2022-04",
        &cfg,
        &["--reply", "--store", damaged.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("2022-03"), "names the period: {err}");
    assert!(!w.path("inbox-mail").exists(), "nothing fetched");
    // Without the store the reply cannot compare; with it, it does.
    let fall = "低于上期（2022年3月）报送的";
    let mut texts = Vec::new();
    for extra in [vec![], vec!["--store", store.to_str().unwrap()]] {
        let args: Vec<&str> = ["--reply"].into_iter().chain(extra).collect();
        let (code, out, err) = fetch_into(&w, "2022-04", &cfg, &args, &[]);
        assert_eq!(code, 1, "{out}\n{err}");
        let replies = smtp.messages();
        texts.push(
            replies.last().unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        // The next fetch starts from an empty inbox and ledger.
        std::fs::remove_dir_all(w.path("inbox-mail")).unwrap();
    }
    assert_eq!(smtp.messages().len(), 2);
    assert!(!texts[0].contains(fall), "{}", texts[0]);
    assert!(
        texts[1].contains(&format!(
            "Sheet1!E4：“固定资产投资”的本年累计 0.5 万元 {fall}"
        )),
        "{}",
        texts[1]
    );
}

/// `bytes` as a zip whose member `name` is marked encrypted (the general
/// purpose flag's bit 0, in its local and central headers), as a zip a
/// clerk protected with a password reads.
fn with_encrypted(zip: Vec<u8>, name: &str) -> Vec<u8> {
    let mut z = zip;
    let name = name.as_bytes();
    for (signature, flags_at, name_at) in [(b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)] {
        let at = (0..z.len() - name_at)
            .find(|&k| &z[k..k + 4] == signature && z[k + name_at..].starts_with(name))
            .unwrap();
        z[at + flags_at] |= 1;
    }
    z
}

#[test]
fn nothing_mailed_is_lost_to_a_size_a_folder_a_password_or_a_missing_date() {
    let w = Workdir::new("fetch-lossless");
    let server = Dovecot::start(w.dir.path(), None);
    // No Date header: the file's time is when the mailbox got the mail,
    // never the moment of fetching (which made it beat a correction).
    let undated = mime(
        "town1@example.org",
        "3月报表",
        "",
        "<undated@town1>",
        &[(rfc2231("3月报表.xlsx"), sample("清泉镇.xlsx"))],
    );
    let undated = String::from_utf8(undated)
        .unwrap()
        .replace("Date: \r\n", "");
    server.append_arrived(undated.as_bytes(), "2022-04-05T09:00:00+08:00");
    // Three months of one town in folders (only the folders say which
    // month), a Mac's resource fork and a member with a password.
    let zipped = zip_of(&[
        ("报表/2022年1月/李桥乡.xlsx", sample("李桥乡.xlsx")),
        ("报表/2022年3月/李桥乡.xlsx", sample("李桥乡.xlsx")),
        ("__MACOSX/报表/._李桥乡.xlsx", b"\x00\x05\x16\x07".to_vec()),
        ("._李桥乡.xlsx", b"\x00\x05\x16\x07".to_vec()),
        ("加密.xlsx", sample("花寨乡.xlsx")),
    ]);
    let long = "关于报送示范县2022年一季度重点任务推进情况及重点项目建设进展情况统计汇总表（3月份）的函-花寨乡.xlsx";
    server.append(&mime(
        "文书 <clerk@other.example>",
        "报表",
        "Tue, 5 Apr 2022 12:00:00 +0800",
        "<zip@other>",
        &[
            (rfc2231("报表.zip"), with_encrypted(zipped, "加密.xlsx")),
            (rfc2231(long), sample("花寨乡.xlsx")),
            // Over --max-file-mb: saved, and then refused by the check
            // (it was listed as not saved, and lost: mail is fetched once).
            (rfc2231("大马营镇.xlsx"), vec![0; 1_200_000]),
        ],
    ));
    let cfg = config(&w, &plain(&server), None);
    let (code, out, err) = fetch(&w, &cfg, &["--max-file-mb", "1"], &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    let inbox = w.path("inbox-mail/2022-03");
    assert_eq!(
        files(&inbox),
        [
            // The unit and the month at the end of a long name are kept.
            "关于报送示范县2022年一季度重点任务推进情况及…目建设进展情况统计汇总表（3月份）的函-花寨乡.xlsx",
            "大马营镇.xlsx",
            "报表 - 2022年1月 - 李桥乡.xlsx",
            "报表 - 2022年3月 - 李桥乡.xlsx",
            "清泉镇 - 3月报表.xlsx",
        ],
        "{out}"
    );
    let mtime = std::fs::metadata(inbox.join("清泉镇 - 3月报表.xlsx"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(mtime, 1_649_120_400);
    assert!(
        out.contains("未保存 报表.zip/加密.xlsx") && out.contains("设有密码"),
        "{out}"
    );
    // A Mac's companion files are no concern of the clerk's.
    assert!(!out.contains("._李桥乡"), "{out}");
    // The months told apart by their folders: March's file is used.
    assert!(
        out.contains("✓ 报表 - 2022年3月 - 李桥乡.xlsx：已接收")
            && out.contains("· 报表 - 2022年1月 - 李桥乡.xlsx：已被本单位更新的报表替代"),
        "{out}"
    );
    // The large one is in the inbox, refused by the check as too large:
    // `--max-file-mb` can read it.
    let (json, _) = check_json_with(&inbox, &["--max-file-mb", "1"]);
    let large: Vec<&Value> = json["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["file"] == "大马营镇.xlsx")
        .collect();
    assert_eq!(large.len(), 1, "{large:?}");
    assert_eq!(large[0]["code"], "too_large", "{large:?}");
}

#[test]
fn a_message_id_reused_by_next_months_mail_does_not_hide_it() {
    // Some office systems send every mail with one Message-ID. April's
    // report was taken for March's, already fetched, and never saved.
    let w = Workdir::new("fetch-reused-id");
    let server = Dovecot::start(w.dir.path(), None);
    let report = |subject: &str, date: &str| {
        mime(
            "town1@example.org",
            subject,
            date,
            "<fixed@oa.town1>",
            &[(rfc2231(&format!("{subject}.xlsx")), sample("清泉镇.xlsx"))],
        )
    };
    server.append(&report("3月报表", "Tue, 5 Apr 2022 09:00:00 +0800"));
    let cfg = config(&w, &plain(&server), None);
    let (_, out, _) = fetch(&w, &cfg, &[], &[]);
    assert!(out.contains("新邮件 1 封"), "{out}");
    server.append(&report("4月报表", "Thu, 5 May 2022 09:00:00 +0800"));
    let (_, out, err) = fetch_into(&w, "2022-04", &cfg, &[], &[]);
    assert!(
        out.contains("新邮件 1 封（此前已收取 1 封）"),
        "{out}\n{err}"
    );
    assert_eq!(
        files(&w.path("inbox-mail/2022-04")),
        ["清泉镇 - 4月报表.xlsx"]
    );
}
