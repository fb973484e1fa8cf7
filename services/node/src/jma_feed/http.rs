//! A small HTTP/1.1 GET for the earthquake telegrams' feed (K-08): hyper's client
//! connection over a tokio TCP stream, TLS for `https://` with rustls and the system's
//! CA certificates (`crate::tls_client`). One connection per request (a poll fetches a
//! feed and the few telegrams that are new), redirects followed up to
//! [`MAX_REDIRECTS`], a time limit for the whole request, bodies cut at a size limit,
//! and conditional requests for the feed (`If-None-Match`, `If-Modified-Since`).
//! Nothing here decides anything.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// How long one request may take, redirects included.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How many redirects are followed.
pub const MAX_REDIRECTS: usize = 3;

/// Why a fetch failed (for the log; the fetch is tried again at the next poll).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not an http:// or https:// address")]
    Address { url: String },
    #[error("{url}: {detail}")]
    Connection { url: String, detail: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: more than {MAX_REDIRECTS} redirects")]
    Redirects { url: String },
    #[error("{url}: no answer within {} s", TIMEOUT.as_secs())]
    Timeout { url: String },
}

/// What a GET brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The body (at most `limit + 1` bytes: a longer one is cut there, so that the
    /// reader can say it is too large), the address it came from after redirects
    /// (relative links are resolved against it), and the validators for the next
    /// request.
    Body {
        url: String,
        bytes: Bytes,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// 304: unchanged since the validators given.
    NotModified,
}

/// Validators of an earlier answer, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// GETs `url`, following redirects, within [`TIMEOUT`].
pub async fn get(url: &str, limit: usize, validators: &Validators) -> Result<Fetched, FetchError> {
    match tokio::time::timeout(TIMEOUT, follow(url, limit, validators)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout {
            url: url.to_string(),
        }),
    }
}

async fn follow(url: &str, limit: usize, validators: &Validators) -> Result<Fetched, FetchError> {
    let mut current = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        match once(&current, limit, validators).await? {
            Answer::Done(fetched) => return Ok(fetched),
            Answer::Redirect(location) => {
                current = super::resolve(&current, &location).ok_or(FetchError::Address {
                    url: location.clone(),
                })?;
            }
        }
    }
    Err(FetchError::Redirects {
        url: url.to_string(),
    })
}

enum Answer {
    Done(Fetched),
    Redirect(String),
}

/// One request on a connection of its own.
async fn once(url: &str, limit: usize, validators: &Validators) -> Result<Answer, FetchError> {
    let address = || FetchError::Address {
        url: url.to_string(),
    };
    let connection = |detail: &dyn std::fmt::Display| FetchError::Connection {
        url: url.to_string(),
        detail: detail.to_string(),
    };
    let uri: Uri = url.parse().map_err(|_| address())?;
    let tls = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(address()),
    };
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(address)?
        .to_string();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    // An IPv6 literal comes bracketed in the address.
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let tcp = tokio::net::TcpStream::connect((bare.as_str(), port))
        .await
        .map_err(|e| connection(&e))?;
    tcp.set_nodelay(true).map_err(|e| connection(&e))?;
    // Host and port only (an address's user information never goes out).
    let authority = match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let mut request = Request::get(path)
        .header(header::HOST, authority)
        .header(
            header::USER_AGENT,
            concat!("anpi-node/", env!("CARGO_PKG_VERSION")),
        )
        .header(
            header::ACCEPT,
            "application/atom+xml, application/xml, text/xml",
        );
    if let Some(etag) = &validators.etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    if let Some(time) = &validators.last_modified {
        request = request.header(header::IF_MODIFIED_SINCE, time);
    }
    let request = request
        .body(Empty::<Bytes>::new())
        .map_err(|e| connection(&e))?;
    if tls {
        let config = crate::tls_client::config("").map_err(|e| connection(&e.detail))?;
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(bare)
            .map_err(|e| connection(&e))?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| connection(&e))?;
        exchange(url, stream, request, limit).await
    } else {
        exchange(url, tcp, request, limit).await
    }
}

async fn exchange<S>(
    url: &str,
    stream: S,
    request: Request<Empty<Bytes>>,
    limit: usize,
) -> Result<Answer, FetchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = |detail: &dyn std::fmt::Display| FetchError::Connection {
        url: url.to_string(),
        detail: detail.to_string(),
    };
    let (mut sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| connection(&e))?;
    let driver = tokio::spawn(async move {
        // Ends with the connection (the response read, or dropped).
        let _ = driver.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| connection(&e));
    let response = match response {
        Ok(response) => response,
        Err(error) => {
            driver.abort();
            return Err(error);
        }
    };
    let status = response.status();
    let text = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let answer = if status == StatusCode::NOT_MODIFIED {
        Ok(Answer::Done(Fetched::NotModified))
    } else if status.is_redirection() {
        match text(header::LOCATION) {
            Some(location) => Ok(Answer::Redirect(location)),
            None => Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            }),
        }
    } else if status.is_success() {
        let etag = text(header::ETAG);
        let last_modified = text(header::LAST_MODIFIED);
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while bytes.len() <= limit {
            match body.frame().await {
                None => break,
                Some(Err(error)) => {
                    driver.abort();
                    return Err(connection(&error));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        bytes.extend_from_slice(&data);
                    }
                }
            }
        }
        bytes.truncate(limit + 1);
        Ok(Answer::Done(Fetched::Body {
            url: url.to_string(),
            bytes: Bytes::from(bytes),
            etag,
            last_modified,
        }))
    } else {
        Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        })
    };
    driver.abort();
    answer
}
