//! The console over TLS with the node's own certificate (issue 15; ADR 0010): the same
//! PEM files as gRPC, served with rustls (ring), HTTP/1.1.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use crate::config::TlsFiles;

/// The TLS acceptor of the node's certificate and key; each error names the file.
pub fn acceptor(files: &TlsFiles) -> anyhow::Result<TlsAcceptor> {
    // The same checks, with the same messages, as the gRPC side.
    let (cert, key) = files.read_pem()?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
        .collect::<Result<_, _>>()
        .with_context(|| format!("the TLS certificate (tls_cert) {}", files.cert.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&key)
        .with_context(|| format!("the TLS private key (tls_key) {}", files.key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the console's TLS certificate and key do not go together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts TLS connections on `listener` and serves `router` on each.
pub async fn serve(
    router: Router,
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
) -> std::io::Result<()> {
    loop {
        // A failed accept (too many open files, a reset before accept) must not end the
        // console: log it, wait a moment, and go on accepting.
        let (stream, peer): (_, SocketAddr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "console: accepting a connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            // A client that never finishes the handshake does not hold a task forever.
            let handshake =
                tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(stream));
            let stream = match handshake.await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(%error, %peer, "console TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "console TLS handshake timed out");
                    return;
                }
            };
            let service =
                TowerToHyperService::new(router.layer(axum::Extension(ConnectInfo(peer))));
            if let Err(error) = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, %peer, "console connection ended with an error");
            }
        });
    }
}
