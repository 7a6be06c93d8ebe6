//! Real mail servers on loopback for the tests, each test its own: an
//! SMTP server (aiosmtpd, tests/smtp_server.py), an IMAP server (Dovecot,
//! from the distribution's packages, with a throwaway configuration), and
//! a throwaway CA with a certificate for `localhost` (openssl) for their
//! TLS. `.ci/run` installs aiosmtpd and Dovecot.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
#[cfg(unix)]
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
#[cfg(unix)]
use std::time::{Duration, Instant};

use serde_json::Value;

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and a server certificate it signed, for `localhost` only.
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Certs {
    pub fn make(dir: &Path) -> Certs {
        std::fs::create_dir_all(dir).unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=tally test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ]);
        Certs {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        }
    }
}

/// How a test server secures its connections.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Secure {
    Plain,
    Tls,
    Starttls,
}

/// An aiosmtpd server on a free loopback port, stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl SmtpServer {
    pub fn start(dir: PathBuf) -> SmtpServer {
        SmtpServer::start_with(dir, Secure::Plain, None)
    }

    /// With `Tls` or `Starttls`, the server presents `certs`' certificate.
    pub fn start_with(dir: PathBuf, secure: Secure, certs: Option<&Certs>) -> SmtpServer {
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script).arg(port.to_string()).arg(&dir);
        if let (Some(c), mode @ (Secure::Tls | Secure::Starttls)) = (certs, secure) {
            cmd.arg(if mode == Secure::Tls {
                "tls"
            } else {
                "starttls"
            })
            .arg(&c.cert)
            .arg(&c.key);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line.trim() != "ready" {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("the SMTP test server did not start (pip install aiosmtpd): {err}");
        }
        SmtpServer { child, port, dir }
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The reporting mailbox's user and password in the test server.
#[cfg(unix)]
pub const USER: &str = "stats@example.org";
#[cfg(unix)]
pub const PASSWORD: &str = "secret-报送";

/// A Dovecot IMAP server on loopback with one user, stopped when dropped.
/// Its plain port always works (for the test to put mail in); with
/// certificates it also speaks STARTTLS there and TLS on `tls_port`.
/// Unix only, as Dovecot is.
#[cfg(unix)]
pub struct Dovecot {
    child: Child,
    pub port: u16,
    pub tls_port: u16,
    pub dir: PathBuf,
}

#[cfg(unix)]
impl Dovecot {
    pub fn start(dir: &Path, certs: Option<&Certs>) -> Dovecot {
        let dir = dir.join("dovecot");
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::create_dir_all(dir.join("mail")).unwrap();
        // Mail is owned by nobody, whom every folder on the way must let in.
        let mut p = dir.clone();
        while p.parent().is_some() {
            set_mode(&p, 0o755);
            if p == std::env::temp_dir() {
                break;
            }
            p.pop();
        }
        set_mode(&dir.join("mail"), 0o777);
        std::fs::write(
            dir.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let (port, tls_port) = (free_port(), free_port());
        let ssl = match certs {
            Some(c) => format!(
                "ssl = yes\nssl_cert = <{}\nssl_key = <{}\n",
                c.cert.display(),
                c.key.display()
            ),
            None => "ssl = no\n".to_string(),
        };
        let d = dir.display();
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/run\n\
             log_path = {d}/dovecot.log\ninfo_log_path = {d}/dovecot.log\n{ssl}\
             disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             default_internal_user = dovecot\ndefault_login_user = dovenull\n\
             mail_location = maildir:{d}/mail/%u\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n\
               inet_listener imaps {{\n    port = {tls_port}\n    ssl = yes\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        let conf_path = dir.join("dovecot.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dovecot runs (apt-get install dovecot-imapd; .ci/run does)");
        let server = Dovecot {
            child,
            port,
            tls_port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot did not start: {}",
                std::fs::read_to_string(server.dir.join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn session(&self) -> imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut client = imap::Client::new(tcp);
        client.read_greeting().unwrap();
        client.login(USER, PASSWORD).map_err(|(e, _)| e).unwrap()
    }

    /// Puts a message into the INBOX, unread.
    pub fn append(&self, raw: &[u8]) {
        let mut s = self.session();
        s.append("INBOX", raw).finish().unwrap();
        s.logout().unwrap();
    }

    /// Delivers a message that reached the mailbox at `arrived` (its IMAP
    /// INTERNALDATE, RFC 3501), e.g. `2022-04-05T09:00:00+08:00`.
    pub fn append_arrived(&self, raw: &[u8], arrived: &str) {
        let mut s = self.session();
        let at = chrono::DateTime::parse_from_rfc3339(arrived).unwrap();
        s.append("INBOX", raw).internal_date(at).finish().unwrap();
        s.logout().unwrap();
    }

    /// Each message's UID and flags, as the server keeps them.
    pub fn flags(&self) -> Vec<(u32, Vec<String>)> {
        let mut s = self.session();
        s.examine("INBOX").unwrap();
        let fetches = s.uid_fetch("1:*", "FLAGS").unwrap();
        let mut out: Vec<(u32, Vec<String>)> = fetches
            .iter()
            .map(|f| {
                let flags = f.flags().iter().map(|fl| format!("{fl:?}")).collect();
                (f.uid.unwrap_or(0), flags)
            })
            .collect();
        out.sort();
        s.logout().unwrap();
        out
    }
}

#[cfg(unix)]
impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its children too.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}
