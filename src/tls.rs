//! Trust for the connections to mail servers, IMAP and SMTP alike: the
//! system's roots and the Mozilla roots, plus the bureau's own CA
//! (`ca_file`) where a government network runs a private one; and what a
//! refused certificate means, said so a bureau's administrator can act.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// Why a secure connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("无法读取证书文件 ca_file = {path}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("证书文件 ca_file = {0} 中没有可用的 PEM 证书（-----BEGIN CERTIFICATE-----）")]
    NoCertificate(PathBuf),
    #[error("服务器地址“{0}”不是有效的主机名")]
    BadHost(String),
}

/// The certificates of `ca_file` (PEM), to trust besides the usual roots.
///
/// # Errors
///
/// [`TlsError`] when the file cannot be read or holds no certificate.
pub fn extra_roots(ca_file: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = std::fs::read(ca_file).map_err(|source| TlsError::CaFile {
        path: ca_file.to_path_buf(),
        source,
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(ca_file.to_path_buf()));
    }
    Ok(certs)
}

/// A client configuration trusting the system's roots, the Mozilla roots
/// and `ca_file`'s.
///
/// # Errors
///
/// [`TlsError`] for an unusable `ca_file`.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // A system store that cannot be read (a minimal container) leaves the
    // Mozilla roots, which every public mail service is under.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        roots.add_parsable_certificates(extra_roots(path)?);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS stream over `stream` to `host`; the handshake happens on first use.
///
/// # Errors
///
/// [`TlsError::BadHost`] for a host name that is no DNS name or address.
pub fn wrap<S: std::io::Read + std::io::Write>(
    config: Arc<ClientConfig>,
    host: &str,
    stream: S,
) -> Result<StreamOwned<ClientConnection, S>, TlsError> {
    let name =
        ServerName::try_from(host.to_string()).map_err(|_| TlsError::BadHost(host.to_string()))?;
    let conn =
        ClientConnection::new(config, name).map_err(|_| TlsError::BadHost(host.to_string()))?;
    Ok(StreamOwned::new(conn, stream))
}

/// What a TLS failure in `err`'s causes means, in the bureau's words; `None`
/// when it is no certificate problem.
pub fn explain(err: &(dyn std::error::Error + 'static), host: &str) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(explain_rustls(tls, host));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(explain_rustls(tls, host));
        }
        cause = e.source();
    }
    None
}

fn explain_rustls(e: &rustls::Error, host: &str) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => format!(
            "服务器 {host} 的证书不受信任（签发机构未知）；如该服务器使用单位自建的证书，请在设置文件中用 ca_file 指定签发它的根证书（PEM 文件）"
        ),
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => {
            format!(
                "服务器证书上的名称与设置的地址“{host}”不符；请在设置文件中填写证书上的服务器名称（不要填 IP 地址或别名）"
            )
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("服务器 {host} 的证书已过期；请联系邮件服务器的管理员")
        }
        other => format!("与服务器 {host} 建立加密连接失败（{other}）"),
    }
}
