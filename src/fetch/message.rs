//! One mail as tally fetch sees it: who sent it, when, and which of its
//! attachments are workbooks (a zip's workbooks too), each with the name
//! its sender saw; everything else listed with why it was not taken.

use std::borrow::Cow;
use std::io::Read;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::ingest::limits;
use crate::sheet::{Format, Stray};

/// A workbook found in a mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Workbook {
    /// The name as the sender saw it (a zip member: its own name).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A mail, reduced to what fetch needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mail {
    /// The Message-ID, or for a mail without one a stand-in made from its
    /// content, so that it too is fetched once.
    pub message_id: String,
    pub from: Option<String>,
    pub subject: String,
    /// Seconds since 1970 of the Date header.
    pub date: Option<i64>,
    pub workbooks: Vec<Workbook>,
    /// (name, why) of every attachment not taken.
    pub skipped: Vec<(String, String)>,
    /// Sent by a machine (an auto-reply, a bounce, a list): never answered,
    /// or two robots would answer each other for ever.
    pub automatic: bool,
}

/// Reads a raw mail. `max_bytes` bounds each workbook, as in the inbox.
pub fn parse(raw: &[u8], max_bytes: u64) -> Mail {
    let message = MessageParser::default().parse(raw);
    let Some(message) = message else {
        return Mail {
            message_id: stand_in_id(raw),
            from: None,
            subject: String::new(),
            date: None,
            workbooks: Vec::new(),
            skipped: vec![("（整封邮件）".into(), "邮件格式无法识别".into())],
            automatic: false,
        };
    };
    let mut mail = Mail {
        message_id: message
            .message_id()
            .map(|id| format!("<{id}>"))
            .unwrap_or_else(|| stand_in_id(raw)),
        from: message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_lowercase),
        subject: message.subject().unwrap_or_default().to_string(),
        // A Date a clock could show: not before 1990, not past 2200.
        date: message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp())
            .filter(|t| (631_152_000..7_258_118_400).contains(t)),
        workbooks: Vec::new(),
        skipped: Vec::new(),
        automatic: is_automatic(&message),
    };
    collect(&message, raw, max_bytes, &mut mail, 0);
    mail
}

/// RFC 3834: `Auto-Submitted` other than `no`, a bulk or list
/// `Precedence`, or a bounce's sender.
fn is_automatic(message: &Message<'_>) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let auto = header("Auto-Submitted").is_some_and(|v| v != "no");
    let bulk = header("Precedence").is_some_and(|v| ["bulk", "junk", "list"].contains(&v.as_str()));
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let daemon = from.starts_with("mailer-daemon@") || from.starts_with("postmaster@");
    auto || bulk || daemon || from.is_empty()
}

fn stand_in_id(raw: &[u8]) -> String {
    format!("<sha256-{}@tally>", crate::files::sha256_hex(raw))
}

/// The attachments of `message` (and of mails forwarded inside it).
fn collect(message: &Message<'_>, raw: &[u8], max_bytes: u64, mail: &mut Mail, depth: u8) {
    for part in message.attachments() {
        if let Some(inner) = part.message() {
            if depth < 3 {
                collect(inner, inner.raw_message(), max_bytes, mail, depth + 1);
            }
            continue;
        }
        let name = attachment_name(part, raw);
        let Some(name) = name else {
            // Inline pictures of a signature, or unnamed parts.
            if !part.is_content_type("image", "") {
                let kind = part
                    .content_type()
                    .map(|c| format!("{}/{}", c.c_type, c.c_subtype.as_deref().unwrap_or("")))
                    .unwrap_or_default();
                mail.skipped.push((
                    format!("（无名附件 {kind}）"),
                    "没有文件名，不是报表".into(),
                ));
            }
            continue;
        };
        let bytes = if depth == 0 {
            part_bytes(part, raw)
        } else {
            Cow::Borrowed(part.contents())
        };
        take(name, &bytes, max_bytes, mail);
    }
}

/// The attachment's bytes. A workbook sent as `text/plain` (or with no
/// Content-Type at all, which MIME reads as text) comes out of the parser
/// converted as text, and so damaged: its bytes are decoded again from the
/// message by their transfer encoding. (Only in the mail itself: in a
/// forwarded one the parser's offsets may count from another start.)
fn part_bytes<'p>(part: &'p MessagePart<'_>, raw: &[u8]) -> Cow<'p, [u8]> {
    if !matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
        return Cow::Borrowed(part.contents());
    }
    let body = raw.get(part.raw_body_offset() as usize..part.raw_end_offset() as usize);
    let decoded = body.and_then(|b| match part.encoding {
        Encoding::Base64 => base64_decode(b),
        Encoding::QuotedPrintable => quoted_printable_decode(b),
        Encoding::None => Some(b.to_vec()),
    });
    decoded.map_or(Cow::Borrowed(part.contents()), Cow::Owned)
}

/// An attachment: a workbook is kept, a zip opened, anything else listed.
/// A zip's members are held to `max_bytes` as they are inflated.
fn take(name: String, bytes: &[u8], max_bytes: u64, mail: &mut Mail) {
    match workbook_ending(&name).as_deref() {
        // Saved whatever its size (the mail is in memory already): the
        // check then says it is too large, and `--max-file-mb` can read
        // it. Left out here, it was lost, as a mail is fetched once.
        Some(e) if Format::from_extension(e).is_some() => mail.workbooks.push(Workbook {
            name,
            bytes: bytes.to_vec(),
        }),
        Some("zip") => unzip(&name, bytes, max_bytes, mail),
        _ => {
            let why = not_saved(&name);
            mail.skipped.push((name, why));
        }
    }
}

/// A name's ending, lower case, unless the name is no workbook whatever
/// its ending says (Excel's `~$` lock file).
fn workbook_ending(name: &str) -> Option<String> {
    if Stray::of_name(name) == Stray::ExcelLock {
        return None;
    }
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
}

/// Why the attachment named `name` was not saved, and what to send.
fn not_saved(name: &str) -> String {
    let stray = Stray::of_name(name);
    format!("{}，未保存；{}", stray.what(), stray.instead(true))
}

fn too_big(len: u64, max: u64) -> String {
    format!(
        "文件 {:.1} MB，超过 {} MB 的上限，未保存",
        len as f64 / 1048576.0,
        max >> 20
    )
}

/// A zip's workbooks, judged by the same size limits as the inbox's: a zip
/// bomb by mail is refused, not inflated.
fn unzip(name: &str, bytes: &[u8], max_bytes: u64, mail: &mut Mail) {
    if let Err(excess) = limits::check(bytes) {
        mail.skipped.push((name.to_string(), excess.message()));
        return;
    }
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        mail.skipped
            .push((name.to_string(), "压缩文件已损坏，无法打开".into()));
        return;
    };
    let mut found = false;
    for k in 0..zip.len() {
        let listed = zip
            .name_for_index(k)
            .and_then(Result::ok)
            .map(|n| n.into_owned());
        let mut member = match zip.by_index(k) {
            Ok(member) => member,
            Err(e) => {
                let shown = listed.map_or_else(|| format!("第 {} 个文件", k + 1), |n| clean(&n));
                let why = match e {
                    zip::result::ZipError::UnsupportedArchive(m) if m.contains("assword") => {
                        "压缩包中的这个文件设有密码，无法解压；请不设密码重新发送"
                    }
                    _ => "压缩包中的这个文件已损坏或格式不受支持，无法解压",
                };
                mail.skipped.push((format!("{name}/{shown}"), why.into()));
                continue;
            }
        };
        if member.is_dir() {
            continue;
        }
        let decoded = member.name().map(|n| n.into_owned()).unwrap_or_default();
        let member_name = zip_member_name(member.name_raw(), &decoded);
        // Its folders are kept in its name (`报表/2022年1月/李桥乡.xlsx` is
        // `报表 - 2022年1月 - 李桥乡.xlsx`): they may be all that says
        // which month a file is, and three months' files of one unit
        // mailed at once must not look alike.
        let short = clean(&folders_in_name(&member_name));
        // A Mac's zip carries a `__MACOSX/._name.xlsx` beside each file:
        // its resource fork, no workbook whatever its name says, and
        // nothing the clerk sent or needs to hear of.
        let last = member_name.rsplit(['/', '\\']).next().unwrap_or_default();
        if member_name.starts_with("__MACOSX/") || last.starts_with("._") {
            continue;
        }
        let ext = workbook_ending(last);
        if ext.as_deref().and_then(Format::from_extension).is_none() {
            mail.skipped
                .push((format!("{name}/{short}"), not_saved(last)));
            continue;
        }
        let mut content = Vec::new();
        let read = member
            .by_ref()
            .take(max_bytes + 1)
            .read_to_end(&mut content);
        match read {
            Ok(n) if n as u64 > max_bytes => mail
                .skipped
                .push((format!("{name}/{short}"), too_big(member.size(), max_bytes))),
            Ok(_) => {
                found = true;
                mail.workbooks.push(Workbook {
                    name: short,
                    bytes: content,
                });
            }
            Err(_) => mail.skipped.push((
                format!("{name}/{short}"),
                "压缩包中的这个文件已损坏，无法解压".into(),
            )),
        }
    }
    if !found && !mail.skipped.iter().any(|(n, _)| n.starts_with(name)) {
        mail.skipped
            .push((name.to_string(), "压缩包中没有报表文件".into()));
    }
}

/// A zip member's path as one name, its folders joined by ` - `; `.`,
/// `..` and empty parts dropped.
fn folders_in_name(path: &str) -> String {
    path.split(['/', '\\'])
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .collect::<Vec<_>>()
        .join(" - ")
}

/// A zip member's name: UTF-8 when the zip says so (or the bytes are),
/// else GBK, as Chinese Windows zips write it.
fn zip_member_name(raw: &[u8], decoded: &str) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let (text, _, bad) = encoding_rs::GB18030.decode(raw);
            if bad {
                decoded.to_string()
            } else {
                text.into_owned()
            }
        }
    }
}

/// The attachment's file name as its sender saw it. mail-parser decodes
/// RFC 2231 and RFC 2047; a name written as raw 8-bit bytes (Chinese mail
/// clients write GBK) comes out with replacement characters, and is then
/// decoded again from the part's own header bytes.
fn attachment_name(part: &mail_parser::MessagePart<'_>, raw: &[u8]) -> Option<String> {
    let parsed = part.attachment_name().map(str::to_string);
    if parsed.as_deref().is_some_and(|n| !n.contains('\u{FFFD}')) {
        return parsed.map(|n| clean(&n));
    }
    let start = part.raw_header_offset() as usize;
    let end = (part.raw_body_offset() as usize).min(raw.len());
    let header = raw.get(start..end)?;
    let from_bytes = raw_param(header, b"filename=").or_else(|| raw_param(header, b"name="));
    from_bytes.or(parsed).map(|n| clean(&n))
}

/// A `key=value` parameter of raw header bytes, its value decoded as UTF-8
/// when it is, else as GB18030 (a superset of GBK).
fn raw_param(header: &[u8], key: &[u8]) -> Option<String> {
    let lower: Vec<u8> = header.iter().map(u8::to_ascii_lowercase).collect();
    let at = lower.windows(key.len()).position(|w| w == key)?;
    let rest = &header[at + key.len()..];
    let value: &[u8] = if rest.first() == Some(&b'"') {
        let end = rest[1..].iter().position(|&b| b == b'"')?;
        &rest[1..1 + end]
    } else {
        let end = rest
            .iter()
            .position(|&b| b == b';' || b == b'\r' || b == b'\n')
            .unwrap_or(rest.len());
        &rest[..end]
    };
    let text = match std::str::from_utf8(value) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(value).0.into_owned(),
    };
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// A name as a file may be called on every system: no folders, no
/// characters a file system refuses, and short enough (in bytes, with room
/// for a unit's name before it and ` (2)` after) that writing it cannot
/// fail; the extension is kept, since it says what the file is.
pub fn clean(name: &str) -> String {
    // A long name keeps its beginning and its end, where clerks put the
    // unit and the month (`…汇总表（3月份）-李桥乡`): 48 characters, at
    // most 144 bytes, so a unit's name before it and ` (2)` after still fit
    // the 255 bytes of a file name.
    const HEAD: usize = 24;
    const TAIL: usize = 23;
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = match last.rsplit_once('.') {
        Some((s, e))
            if !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (s, format!(".{}", e.to_ascii_lowercase()))
        }
        _ => (last, String::new()),
    };
    // Cut before it is made safe, which would cut it to 80 first and
    // lose the end.
    let chars: Vec<char> = stem.trim().chars().collect();
    let short: String = if chars.len() <= HEAD + 1 + TAIL {
        chars.into_iter().collect()
    } else {
        let head = chars[..HEAD].iter();
        let tail = chars[chars.len() - TAIL..].iter();
        head.chain(&['…']).chain(tail).collect()
    };
    format!("{}{ext}", crate::files::safe_file_stem(&short))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(headers: &[u8], parts: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(b"From: =?UTF-8?B?5p2O5qGl5Lmh?= <Town6@Example.org>\r\n");
        m.extend_from_slice(b"Subject: =?UTF-8?B?M+aciOaKpeihqA==?=\r\n");
        m.extend_from_slice(b"Date: Tue, 5 Apr 2022 09:30:00 +0800\r\n");
        m.extend_from_slice(headers);
        m.extend_from_slice(
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n",
        );
        m.extend_from_slice(b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n");
        for (disposition, body) in parts {
            m.extend_from_slice(b"--XX\r\nContent-Type: application/octet-stream\r\n");
            m.extend_from_slice(disposition);
            m.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
            m.extend_from_slice(body);
            m.extend_from_slice(b"\r\n");
        }
        m.extend_from_slice(b"--XX--\r\n");
        m
    }

    #[test]
    fn a_workbook_typed_as_text_keeps_its_bytes() {
        // Bytes no text survives: a zip's header and invalid UTF-8.
        let book: &[u8] = b"PK\x03\x04\x14\x00\xff\xfe\x80\x81 not text\x00\x01";
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(book);
        let mut m = Vec::new();
        m.extend_from_slice(b"From: town6@example.org\r\nSubject: x\r\n");
        m.extend_from_slice(
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n",
        );
        // One typed text/plain, one with no Content-Type (MIME: text).
        for typed in [&b"Content-Type: text/plain\r\n"[..], b""] {
            m.extend_from_slice(b"--XX\r\n");
            m.extend_from_slice(typed);
            m.extend_from_slice(b"Content-Disposition: attachment; filename=\"a.xlsx\"\r\n");
            m.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
            m.extend_from_slice(b64.as_bytes());
            m.extend_from_slice(b"\r\n");
        }
        m.extend_from_slice(b"--XX--\r\n");
        let parsed = parse(&m, 1 << 20);
        assert_eq!(parsed.workbooks.len(), 2);
        for w in &parsed.workbooks {
            assert_eq!(w.bytes, book);
        }
    }

    #[test]
    fn names_in_every_encoding_mail_clients_use() {
        let gbk = encoding_rs::GBK.encode("李桥乡3月.xlsx").0.into_owned();
        let mut raw_gbk = b"Content-Disposition: attachment; filename=\"".to_vec();
        raw_gbk.extend_from_slice(&gbk);
        raw_gbk.extend_from_slice(b"\"");
        let raw = mail(
            b"Message-ID: <a1@example.org>\r\n",
            &[
                (
                    b"Content-Disposition: attachment; filename*=UTF-8''%E6%B8%85%E6%B3%89%E9%95%87.xlsx",
                    b"UEsDBA==",
                ),
                (
                    b"Content-Disposition: attachment; filename=\"=?GB2312?B?tPPC7dOqLnhscw==?=\"",
                    b"AAAA",
                ),
                (&raw_gbk, b"AAAA"),
                (b"Content-Disposition: attachment; filename=\"photo.jpg\"", b"AAAA"),
            ],
        );
        let m = parse(&raw, 1 << 20);
        let names: Vec<&str> = m.workbooks.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["清泉镇.xlsx", "大马营.xls", "李桥乡3月.xlsx"]);
        assert_eq!(m.skipped.len(), 1);
        assert_eq!(m.skipped[0].0, "photo.jpg");
        assert_eq!(m.from.as_deref(), Some("town6@example.org"));
        assert_eq!(m.subject, "3月报表");
        assert_eq!(m.message_id, "<a1@example.org>");
        assert_eq!(m.date, Some(1649122200));
    }

    #[test]
    fn attachments_that_are_no_workbook_say_what_to_send() {
        use std::io::Write;
        let mut zipped = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut zipped);
        for name in ["报表/~$霍城镇.xlsx", "报表/霍城镇.xlsx"] {
            z.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(b"PK\x03\x04").unwrap();
        }
        z.finish().unwrap();
        let mut mail = Mail::default();
        for (name, bytes) in [
            ("~$清泉镇.xlsx", &b"\x05clerk"[..]),
            ("大马营镇.et", b"PK\x03\x04"),
            ("报表.rar", b"Rar!"),
            ("报表.zip", zipped.get_ref()),
        ] {
            take(name.to_string(), bytes, 1 << 20, &mut mail);
        }
        // Only the real workbook is saved; the lock file, in the mail or
        // in the zip, is not, whatever its ending claims.
        let saved: Vec<&str> = mail.workbooks.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(saved, ["报表 - 霍城镇.xlsx"]);
        let why = |name: &str| {
            let found = mail.skipped.iter().find(|(n, _)| n == name);
            found.map(|(_, w)| w.as_str()).unwrap_or_default()
        };
        assert!(why("~$清泉镇.xlsx").contains("锁定文件"));
        assert!(why("~$清泉镇.xlsx").contains("报表文件本身"));
        assert!(why("报表.zip/报表 - ~$霍城镇.xlsx").contains("锁定文件"));
        assert!(why("大马营镇.et").contains("另存为"));
        assert!(why("报表.rar").contains(".zip"));
        assert_eq!(mail.skipped.len(), 4, "{:?}", mail.skipped);
    }

    #[test]
    fn zip_member_names_in_utf8_or_gbk() {
        let gbk = encoding_rs::GBK.encode("霍城镇.xlsx").0.into_owned();
        assert_eq!(zip_member_name(&gbk, "garbled"), "霍城镇.xlsx");
        assert_eq!(zip_member_name("清泉镇.xls".as_bytes(), "x"), "清泉镇.xls");
    }

    #[test]
    fn hostile_names_lose_their_folders() {
        assert_eq!(clean("../../etc/报表.xlsx"), "报表.xlsx");
        assert_eq!(clean("C:\\temp\\a.xls"), "a.xls");
        assert_eq!(clean("a\0b:c?.XLSX"), "a_b_c_.xlsx");
        // Long names keep their extension and fit any file system.
        let long = format!("{}报表.xlsx", "很长的名字".repeat(30));
        let cleaned = clean(&long);
        assert!(
            cleaned.ends_with(".xlsx") && cleaned.len() < 160,
            "{cleaned}"
        );
        // Its beginning and its end are kept: a unit's name put last was
        // cut off (and the file then had no unit).
        let name = "关于报送示范县2022年一季度重点任务推进情况及重点项目建设进展情况统计汇总表（3月份）的函-李桥乡.xlsx";
        assert_eq!(
            clean(name),
            "关于报送示范县2022年一季度重点任务推进情况及…目建设进展情况统计汇总表（3月份）的函-李桥乡.xlsx"
        );
        // Over 80 characters too (the safe form was cut to 80 first).
        let longer = format!("{}-李桥乡.xlsx", "很长的名字".repeat(20));
        assert!(
            clean(&longer).ends_with("的名字-李桥乡.xlsx"),
            "{}",
            clean(&longer)
        );
    }

    #[test]
    fn a_mail_without_an_id_is_still_known_by_its_content() {
        let raw = mail(b"", &[]);
        let m = parse(&raw, 1 << 20);
        assert!(m.message_id.starts_with("<sha256-"));
        assert_eq!(parse(&raw, 1 << 20).message_id, m.message_id);
        assert!(m.workbooks.is_empty());
    }
}
