//! HTTPS served by the hall service itself, for a central service reached over a
//! province's network without a reverse proxy: rustls with the certificate and key
//! files given, read again on SIGHUP and when either file changes (a renewed
//! certificate takes effect without a restart; connections open stay as they are).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;

/// The certificate chain and private key files (PEM).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// How often the files are looked at for a change.
const WATCH: Duration = Duration::from_secs(5);

impl TlsFiles {
    /// Reads both files into a server configuration; says which file is wrong.
    pub async fn load(&self) -> std::io::Result<RustlsConfig> {
        for (what, path) in [("certificate", &self.cert), ("key", &self.key)] {
            if let Err(e) = std::fs::metadata(path) {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot read the TLS {what} {}: {e}", path.display()),
                ));
            }
        }
        RustlsConfig::from_pem_file(&self.cert, &self.key)
            .await
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "the TLS certificate {} and key {} cannot be used: {e}",
                        self.cert.display(),
                        self.key.display()
                    ),
                )
            })
    }

    fn modified(&self) -> Option<(SystemTime, SystemTime)> {
        let at = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        Some((at(&self.cert)?, at(&self.key)?))
    }

    /// Reloads `config` on SIGHUP or when a file changes, until dropped. A reload that
    /// fails (a half-written file, a key that does not match) keeps the old files.
    pub async fn reload_forever(self, config: RustlsConfig) {
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut seen = self.modified();
        loop {
            let why = tokio::select! {
                _ = async {
                    match hangup.as_mut() {
                        Some(h) => { h.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => "SIGHUP",
                _ = tokio::time::sleep(WATCH) => {
                    let now = self.modified();
                    if now == seen || now.is_none() {
                        continue;
                    }
                    "the files changed"
                }
            };
            seen = self.modified();
            match config.reload_from_pem_file(&self.cert, &self.key).await {
                Ok(()) => {
                    tracing::info!("TLS certificate {} reloaded ({why})", self.cert.display())
                }
                Err(e) => tracing::error!(
                    "TLS certificate {} not reloaded ({why}), still serving the old one: {e}",
                    self.cert.display()
                ),
            }
        }
    }
}
