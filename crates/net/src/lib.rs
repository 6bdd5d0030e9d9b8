//! Outgoing HTTPS as every motcua part speaks it: the province's system, the message
//! gateway, and the devices' calls to the hall service. A reqwest client over rustls
//! that trusts the operating system's certificates (honouring `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` like other Linux tools) plus, when given, a province's own CA file.
//! Certificates are always verified. When a connection fails, `describe` says why in
//! words a technician can act on (unknown issuer, wrong name, expired).
//!
//! Depends on no other motcua crate.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why an HTTP client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot read the CA file {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the CA file {path} holds no PEM certificate")]
    CaEmpty { path: PathBuf },
    #[error("the CA file {path} is not valid PEM: {message}")]
    CaInvalid { path: PathBuf, message: String },
    #[error("cannot set up HTTPS: {0}")]
    Client(String),
}

/// How a client connects: timeouts and the extra CA, if any.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// PEM file with the CA(s) of a private network (a province's own), trusted
    /// besides the system's.
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Option<Duration>,
    /// The whole request (leave out for streams that last).
    pub timeout: Option<Duration>,
    /// Silence this long on a stream means the link is gone.
    pub read_timeout: Option<Duration>,
}

/// Reads a CA file: the certificates it holds, each checked to be PEM.
pub fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, NetError> {
    let pem = std::fs::read(path).map_err(|source| NetError::CaFile {
        path: path.to_owned(),
        source,
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| NetError::CaInvalid {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(NetError::CaEmpty {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// A client that speaks HTTP and HTTPS, verifying certificates against the system's
/// store and the CA file.
pub fn client(options: &Options) -> Result<reqwest::Client, NetError> {
    let mut builder = reqwest::Client::builder().use_rustls_tls();
    if let Some(path) = &options.ca_file {
        for cert in read_ca_file(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some(t) = options.connect_timeout {
        builder = builder.connect_timeout(t);
    }
    if let Some(t) = options.timeout {
        builder = builder.timeout(t);
    }
    if let Some(t) = options.read_timeout {
        builder = builder.read_timeout(t);
    }
    builder.build().map_err(|e| NetError::Client(describe(&e)))
}

/// A failed request in words: the certificate's fault when it is one (unknown
/// issuer, wrong name, expired), else what failed and its innermost cause
/// ("error sending request for url (…): Connection refused").
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut innermost = error.to_string();
    while let Some(e) = source {
        if let Some(tls) = rustls_error(e) {
            return tls_words(tls);
        }
        innermost = e.to_string();
        source = e.source();
    }
    let outer = error.to_string();
    if outer == innermost || outer.contains(&innermost) {
        outer
    } else {
        format!("{outer}: {innermost}")
    }
}

/// The TLS error in `e`, also when it comes wrapped in io::Errors (whose `source`
/// skips what they wrap).
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    rustls_error(inner)
}

fn tls_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "its certificate's issuer is not trusted here (unknown issuer): \
                give its CA in ca_file, or install it in the system's store"
                .into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "its certificate is not for this host name (name mismatch)".into()
            }
            C::Expired | C::ExpiredContext { .. } => "its certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "its certificate is not valid yet (is this machine's clock right?)".into()
            }
            C::Revoked => "its certificate was revoked".into(),
            other => format!("its certificate was refused: {other:?}"),
        },
        other => format!("the secure connection failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_named() {
        let dir = std::env::temp_dir().join(format!("motcua-net-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("none.pem");
        let err = client(&Options {
            ca_file: Some(missing.clone()),
            ..Options::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cannot read the CA file") && err.contains("none.pem"),
            "{err}"
        );
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = read_ca_file(&empty).unwrap_err().to_string();
        assert!(err.contains("holds no PEM certificate"), "{err}");
    }

    #[test]
    fn certificate_faults_are_said_in_words() {
        use rustls::CertificateError as C;
        let words = |c| tls_words(&rustls::Error::InvalidCertificate(c));
        assert!(words(C::UnknownIssuer).contains("unknown issuer"));
        assert!(words(C::NotValidForName).contains("name mismatch"));
        assert!(words(C::Expired).contains("expired"));
    }
}
