//! Stand-ins for what lives outside the hall — the province's one-stop system, Zalo's
//! ZNS and OAuth servers, the eSMS brandname API — answering in their documented
//! shapes (their error answers too) over HTTPS, with certificates from a private CA
//! made here. For the tests and `motcua demo --switchboard`; a real hall never runs one.
//!
//! Must not depend on any motcua crate: a fake that shares the product's types would
//! agree with it by construction.

pub mod esms;
pub mod province;
pub mod zalo;

use std::path::{Path, PathBuf};

use anyhow::Context;
use axum::Router;

/// A private CA and a certificate it signed, as PEM files.
pub struct Pki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a CA and a certificate for `names` ("localhost", "127.0.0.1") in `dir`.
pub fn make_pki(dir: &Path, names: &[&str]) -> anyhow::Result<Pki> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        DnType::CommonName,
        "CA thử nghiệm của motcua (không dùng thật)",
    );
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate()?;
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = CertificateParams::new(names)?.signed_by(&key, &issuer)?;
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&pki.ca, ca_cert.pem())?;
    std::fs::write(&pki.cert, cert.pem())?;
    std::fs::write(&pki.key, key.serialize_pem())?;
    Ok(pki)
}

/// Serves `app` over HTTPS on a free loopback port with `pki`'s certificate; its
/// address as `https://localhost:PORT`.
pub async fn serve_https(app: Router, pki: &Pki) -> anyhow::Result<String> {
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&pki.cert, &pki.key).await?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = axum_server::tls_rustls::from_tcp_rustls(listener, config)?;
    tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::error!("fake server on port {port} stopped: {e}");
        }
    });
    Ok(format!("https://localhost:{port}"))
}

/// A lock that a panicking holder did not spoil for the rest of a test.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
