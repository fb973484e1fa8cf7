//! Client TLS for the node's own outgoing connections — the mail server (K-06) and the
//! earthquake telegrams' feed (K-08): rustls with ring, trusting the system's CA
//! certificates and, when given, an office's own CA (PEM).

use std::sync::{Arc, OnceLock};

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// The system's CA certificates, read once.
fn system_roots() -> &'static [rustls::pki_types::CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<rustls::pki_types::CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// Why a client configuration could not be made: what (`CA certificate`, `TLS`) and
/// the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub what: &'static str,
    pub detail: String,
}

/// A client configuration trusting the system's CAs and those of `extra_pem`.
pub fn config(extra_pem: &str) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    let error = |what: &'static str, detail: &dyn std::fmt::Display| ConfigError {
        what,
        detail: detail.to_string(),
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    if !extra_pem.is_empty() {
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(extra_pem.as_bytes()) {
            let cert = cert.map_err(|e| error("CA certificate", &e))?;
            roots.add(cert).map_err(|e| error("CA certificate", &e))?;
        }
    }
    if roots.is_empty() {
        return Err(error("TLS", &"no CA certificates found on this system"));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| error("TLS", &e))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}
