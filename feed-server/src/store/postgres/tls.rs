//! TLS to PostgreSQL (`[store] url` with `?sslmode=require`, or `[store]
//! ca_file`; docs/configuration.md): when PostgreSQL is on another machine,
//! operators' token hashes, notices and push keys cross the network.
//!
//! - `ca_file` names the certificate authority (PEM) that signed the
//!   server's certificate: only it is trusted (a private CA, as most
//!   PostgreSQL servers have), and TLS is required.
//! - `sslmode=require` without `ca_file`: the system's trusted
//!   certificates (as the HTTPS clients use).
//!
//! Either way the server's certificate must name the host of the URL, and
//! a node never falls back to a plain connection. Without either, nothing
//! changes (`sslmode=prefer`, the default, connects without TLS here).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::super::StoreError;

/// What a node connects with: `None` for a plain connection.
pub(super) fn connector(
    config: &mut tokio_postgres::Config,
    ca_file: Option<&Path>,
) -> Result<Option<MakeRustlsConnect>, StoreError> {
    let bad = |e: String| StoreError::Tls(e);
    match (config.get_ssl_mode(), ca_file) {
        (SslMode::Disable, Some(path)) => Err(bad(format!(
            "[store] ca_file ({}) and sslmode=disable in [store] url say opposite things",
            path.display()
        ))),
        (SslMode::Disable, None) | (SslMode::Prefer, None) => Ok(None),
        (_, ca_file) => {
            // A CA given: TLS or nothing.
            config.ssl_mode(SslMode::Require);
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| bad(e.to_string()))?;
            let client = match ca_file {
                Some(path) => builder
                    .with_root_certificates(roots(path)?)
                    .with_no_client_auth(),
                None => {
                    use rustls_platform_verifier::BuilderVerifierExt as _;
                    builder
                        .with_platform_verifier()
                        .map_err(|e| bad(format!("the system's certificates: {e}")))?
                        .with_no_client_auth()
                }
            };
            Ok(Some(MakeRustlsConnect::new(client)))
        }
    }
}

/// The certificates of the PEM file at `path`: at least one.
fn roots(path: &Path) -> Result<rustls::RootCertStore, StoreError> {
    let bad = |e: String| StoreError::Tls(format!("[store] ca_file {}: {e}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad(
            "no certificate in it (PEM, -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_only_when_asked() {
        let plain = |url: &str| {
            let mut config: tokio_postgres::Config = url.parse().expect("url");
            connector(&mut config, None).expect("a connector").is_none()
        };
        assert!(plain("postgres://quai@db/quai"));
        assert!(plain("postgres://quai@db/quai?sslmode=disable"));
        assert!(!plain("postgres://quai@db/quai?sslmode=require"));
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let mut config: tokio_postgres::Config = "postgres://quai@db/quai".parse().expect("url");
        let refused = connector(&mut config, Some(&empty)).map(|c| c.is_some());
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("no certificate")),
            "{refused:?}"
        );
        let mut config: tokio_postgres::Config = "postgres://quai@db/quai?sslmode=disable"
            .parse()
            .expect("url");
        assert!(connector(&mut config, Some(&empty)).is_err());
    }
}
