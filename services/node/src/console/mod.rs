//! The clerks' web console (issue 15): Japanese pages rendered on the server from
//! askama templates (`services/node/templates/console/`), served on their own listener
//! (`console_listen`). Every page works without JavaScript. It holds no rule: each
//! page calls the same use cases as gRPC (`crate::app`) and renders their typed
//! replies; an [`AppError`] becomes a page here (`fail`), as it becomes a status in
//! `api::error`.
//!
//! Security (A-01..A-03, A-06): a server-side session behind an opaque cookie
//! (HttpOnly, SameSite=Strict, Secure over TLS) with an idle time-out; a CSRF token in
//! every form, checked with the `Origin` / `Sec-Fetch-Site` headers on every POST
//! ([`Posted`]; [`PostedFile`] for the CSV upload's `multipart/form-data`, with the
//! token checked before the file is read); a Content-Security-Policy without
//! `unsafe-inline`; no personal data in any URL (searches are POSTed, records are
//! addressed by UUID); `Cache-Control: no-store` so a shared PC's browser keeps no page
//! of personal data.

mod forms;
mod frame;
mod pages;
pub mod session;
pub mod tls;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use crate::app::{AppError, NodeState};
use crate::store::accounts::Session;
pub use forms::FormErrors;
pub use frame::Frame;
use session::{ConsoleSession, Sessions};
pub use upload::{PostedFile, Upload};

/// What the console's handlers share.
pub struct Console {
    pub node: Arc<NodeState>,
    pub sessions: Sessions,
    /// Replays started from the console (監査), by schema: how far each has come.
    pub replays: std::sync::Mutex<std::collections::BTreeMap<String, pages::audit::ReplayRun>>,
    /// Served over TLS: cookies get `Secure`.
    pub secure: bool,
}

pub type Shared = Arc<Console>;

impl Console {
    pub fn new(node: Arc<NodeState>, secure: bool) -> Shared {
        let idle = node.config.console_idle;
        Arc::new(Console {
            node,
            sessions: Sessions::new(idle),
            replays: Default::default(),
            secure,
        })
    }
}

/// The console's routes.
pub fn router(console: Shared) -> Router {
    Router::new()
        .route("/", get(pages::home::page))
        .route("/incident", post(pages::home::choose))
        .route("/incidents", post(pages::home::create))
        .route(
            "/login",
            get(pages::auth::login_page).post(pages::auth::login),
        )
        .route("/logout", post(pages::auth::logout))
        .route(
            "/password",
            get(pages::auth::password_page).post(pages::auth::change_password),
        )
        .merge(pages::routes())
        .route("/static/console.css", get(stylesheet))
        .route("/static/console.js", get(script))
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
        .with_state(console)
}

/// Serves the console on `listener`, over TLS with `tls`.
pub async fn serve(
    console: Shared,
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<()> {
    match tls {
        Some(acceptor) => tls::serve(router(console), listener, acceptor).await,
        None => {
            axum::serve(
                listener,
                router(console).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        }
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: with it, browsers send `Origin: null` on POST, and the
        // origin check below could not tell this console from another site.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/console.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/console.js"),
    )
        .into_response()
}

async fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "ページが見つかりません",
        "指定されたページはありません。上のメニューから選んでください。",
    )
}

/// A page rendered, or a plain error page when the template fails.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "console template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "内部エラーが発生しました",
            )
                .into_response()
        }
    }
}

/// A page with one message (errors without a session frame).
#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    let mut response = render(&MessagePage { title, message });
    *response.status_mut() = status;
    response
}

/// An application error as a page: to the login or password page when the session
/// calls for it, otherwise a page saying what happened, in Japanese.
pub fn fail(error: AppError) -> Response {
    match error {
        AppError::LoginExpired | AppError::Unauthenticated(_) => {
            Redirect::to("/login").into_response()
        }
        AppError::MustChangePassword(_) => Redirect::to("/password").into_response(),
        AppError::Forbidden(message) => message_page(
            StatusCode::FORBIDDEN,
            "この操作の権限がありません",
            &message,
        ),
        AppError::NotFound(message) => {
            message_page(StatusCode::NOT_FOUND, "見つかりません", &message)
        }
        AppError::Conflict(message) => {
            message_page(StatusCode::CONFLICT, "この操作は今は行えません", &message)
        }
        AppError::Invalid(errors) => {
            let message = anpi_core::validation::summarize(&errors);
            message_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "入力内容を確認してください",
                &message,
            )
        }
        AppError::Unavailable(message) | AppError::Internal(message) => message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "処理できませんでした",
            &message,
        ),
    }
}

/// A logged-in clerk: the console session, the node's session of its login, and the
/// session's cookie value. Without one, the page redirects to the login.
pub struct Clerk {
    pub id: String,
    pub console: ConsoleSession,
    pub session: Session,
}

impl FromRequestParts<Shared> for Clerk {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Clerk, Response> {
        let id = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(session::cookie_value)
            .map(str::to_string)
            .ok_or_else(|| Redirect::to("/login").into_response())?;
        let console = state
            .sessions
            .touch(&id)
            .ok_or_else(|| Redirect::to("/login").into_response())?;
        let session = match state.node.session(&console.token).await {
            Ok(session) => session,
            Err(error) => {
                state.sessions.end(&id);
                return Err(fail(error));
            }
        };
        Ok(Clerk {
            id,
            console,
            session,
        })
    }
}

/// The body of a POSTed form, accepted only from this console: the `Origin` (or
/// `Sec-Fetch-Site`) must be this site, and the form's `csrf` field must be the
/// session's token. The clerk comes with it.
pub struct Posted<T> {
    pub clerk: Clerk,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// The request comes from a page of this console (CSRF, with the token).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // An opaque origin (privacy settings): only the browser's own word will do.
        Some("null") => site == Some("same-origin"),
        Some(origin) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            origin_host.is_some() && origin_host == host
        }
        None => match site {
            Some(site) => site == "same-origin",
            // Neither header: an old or non-browser client; the token still decides.
            None => true,
        },
    }
}

/// The page a POST from elsewhere (or with a stale token) gets.
fn refused() -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        "送信を受け付けられません",
        "画面を開き直してから、もう一度送信してください（古い画面や別のサイトからの送信は受け付けません）。",
    )
}

/// What every console POST passes before its body is read: a POST, from a page of
/// this console (`Origin` / `Sec-Fetch-Site`), by a logged-in clerk. The request comes
/// back with its body unread; the caller then checks the token with [`token_ok`].
async fn admit(request: Request, state: &Shared) -> Result<(Clerk, Request), Response> {
    if request.method() != Method::POST || !same_origin(request.headers()) {
        tracing::warn!(
            origin = ?request.headers().get(header::ORIGIN),
            host = ?request.headers().get(header::HOST),
            "console POST refused: not from this console"
        );
        return Err(refused());
    }
    let (mut parts, body) = request.into_parts();
    let clerk = Clerk::from_request_parts(&mut parts, state).await?;
    Ok((clerk, Request::from_parts(parts, body)))
}

/// Whether the form's `csrf` field is the session's token (a refusal is logged).
fn token_ok(clerk: &Clerk, token: &str) -> bool {
    let ok = session::same_token(token, &clerk.console.csrf);
    if !ok {
        tracing::warn!(account = %clerk.session.account, "console POST refused: CSRF token");
    }
    ok
}

impl<T: DeserializeOwned + Send> FromRequest<Shared> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Shared) -> Result<Posted<T>, Response> {
        let (clerk, request) = admit(request, state).await?;
        let bytes = Bytes::from_request(request, state).await.map_err(|error| {
            tracing::warn!(%error, "console POST refused: the body could not be read");
            refused()
        })?;
        let csrf: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|error| {
            tracing::warn!(%error, "console POST refused: the form is not url-encoded");
            refused()
        })?;
        if !token_ok(&clerk, &csrf.csrf) {
            return Err(refused());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|error| {
            tracing::warn!(%error, "console form not understood");
            message_page(
                StatusCode::BAD_REQUEST,
                "送信内容を読み取れません",
                "画面を開き直してから、もう一度入力してください。",
            )
        })?;
        Ok(Posted { clerk, form })
    }
}

/// The frame of a page at `path` (the menu entry marked current), naming the chosen
/// incident from the node's list (without the list it says none is chosen).
pub async fn frame_for(state: &Shared, clerk: &Clerk, path: &str) -> Frame {
    let incidents = state
        .node
        .list_incidents(&clerk.session)
        .await
        .unwrap_or_default();
    Frame::new(state, clerk, path, &incidents)
}

/// POST → redirect → GET, with a message for the next page.
pub fn redirect_with(
    state: &Console,
    clerk: &Clerk,
    to: &str,
    notice: impl Into<String>,
) -> Response {
    let notice = notice.into();
    state
        .sessions
        .update(&clerk.id, |s| s.notice = Some(notice));
    Redirect::to(to).into_response()
}

/// A time as clerks read it: Japan time, to the minute.
pub fn jst(time: chrono::DateTime<chrono::Utc>) -> String {
    time.with_timezone(&anpi_core::entry::jst_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
