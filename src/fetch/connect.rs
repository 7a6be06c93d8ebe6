//! The IMAP connection of `[imap]`: plain, TLS from the start, or STARTTLS
//! (then required, never plain after a failed upgrade), trusting what
//! crate::tls trusts; logged in; the folder examined read-only, so that
//! nothing in the mailbox changes (EXAMINE, and BODY.PEEK below).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use imap::{Client, Session};
use rustls::{ClientConnection, StreamOwned};

use super::FetchError;
use crate::config::{ImapSettings, Security};

/// The byte stream under the IMAP client.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// How long a silent server is waited for.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A logged-in session with `[imap] folder` examined; its UID validity.
///
/// # Errors
///
/// [`FetchError`] naming what failed: the address, the certificate, the
/// login, the folder.
pub fn open(s: &ImapSettings) -> Result<(Session<Conn>, u32), FetchError> {
    let password =
        std::env::var(&s.password_env).map_err(|_| FetchError::Password(s.password_env.clone()))?;
    let tcp = connect_tcp(s)?;
    let stream = match s.security {
        Security::None => Conn::Plain(tcp),
        Security::Tls => Conn::Tls(Box::new(secure(s, tcp)?)),
        Security::Starttls => {
            let tcp = starttls(s, tcp)?;
            Conn::Tls(Box::new(secure(s, tcp)?))
        }
    };
    let mut client = Client::new(stream);
    if s.security != Security::Starttls {
        client.read_greeting().map_err(|e| imap_error(s, e))?;
    }
    let mut session = client
        .login(&s.username, &password)
        .map_err(|(e, _)| FetchError::Login {
            user: s.username.clone(),
            host: s.host.clone(),
            detail: e.to_string(),
        })?;
    let mailbox = session
        .examine(&s.folder)
        .map_err(|e| FetchError::NoFolder {
            folder: s.folder.clone(),
            detail: e.to_string(),
        })?;
    Ok((session, mailbox.uid_validity.unwrap_or(0)))
}

/// The plain part of STARTTLS (RFC 3501 6.2.1): the greeting, the
/// command, its OK; line by line and unbuffered, so that no byte of the
/// TLS handshake is read here.
fn starttls(s: &ImapSettings, mut tcp: TcpStream) -> Result<TcpStream, FetchError> {
    let refused = |detail: String| FetchError::NoStarttls {
        host: s.host.clone(),
        detail,
    };
    let io = |e: std::io::Error| refused(e.to_string());
    let greeting = read_line(&mut tcp).map_err(io)?;
    if !greeting.starts_with("* OK") {
        return Err(refused(greeting));
    }
    tcp.write_all(b"t0 STARTTLS\r\n").map_err(io)?;
    loop {
        let line = read_line(&mut tcp).map_err(io)?;
        if line.is_empty() {
            return Err(refused("服务器断开了连接".into()));
        }
        if line.starts_with("t0 OK") {
            return Ok(tcp);
        }
        if line.starts_with("t0 ") {
            return Err(refused(line));
        }
    }
}

/// One CRLF-ended line, read a byte at a time.
fn read_line(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 8192 {
        if tcp.read(&mut byte)? == 0 {
            break;
        }
        line.push(byte[0]);
        if line.ends_with(b"\r\n") {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

fn connect_tcp(s: &ImapSettings) -> Result<TcpStream, FetchError> {
    let unreachable = |source: std::io::Error| FetchError::Connect {
        host: s.host.clone(),
        port: s.port,
        source,
    };
    let addrs: Vec<_> = (s.host.as_str(), s.port)
        .to_socket_addrs()
        .map_err(unreachable)?
        .collect();
    let mut last = std::io::Error::other("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(30)) {
            Ok(tcp) => {
                tcp.set_read_timeout(Some(TIMEOUT)).map_err(unreachable)?;
                tcp.set_write_timeout(Some(TIMEOUT)).map_err(unreachable)?;
                return Ok(tcp);
            }
            Err(e) => last = e,
        }
    }
    Err(unreachable(last))
}

fn secure(
    s: &ImapSettings,
    tcp: TcpStream,
) -> Result<StreamOwned<ClientConnection, TcpStream>, FetchError> {
    let config = crate::tls::client_config(s.ca_file.as_deref())?;
    let mut stream = crate::tls::wrap(config, &s.host, tcp)?;
    // The handshake now, so that a refused certificate is said as such.
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).map_err(|e| {
            match crate::tls::explain(&e, &s.host) {
                Some(why) => FetchError::Certificate(why),
                None => FetchError::Connect {
                    host: s.host.clone(),
                    port: s.port,
                    source: e,
                },
            }
        })?;
    }
    Ok(stream)
}

fn imap_error(s: &ImapSettings, e: imap::Error) -> FetchError {
    FetchError::Protocol {
        host: s.host.clone(),
        detail: e.to_string(),
    }
}
