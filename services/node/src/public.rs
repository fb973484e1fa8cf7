//! The public "is information held?" page (情報有無の検索), without login. R: X-01, X-03.
//!
//! A small HTTP server beside the gRPC one (`public_listen`), answering only "held" /
//! "not held" by tolerant exact name (and optional birth date) against the published
//! shared dataset this node holds (`shared.records`). The rules are
//! `anpi_core::public`; this adapter renders Japanese pages that work on a phone,
//! limits each client address (token bucket, `public_rate_per_minute`), and never shows
//! a detail: no names of records, no counts, no partial matches. Names travel in a POST
//! body, not in URLs (they would end up in logs and browser histories).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anpi_core::ids::IncidentId;
use anpi_core::incident::IncidentMode;
use anpi_core::public::{self, Bucket, ClientKey, PublicQuery};
use axum::Router;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::store::shared as replica;

/// Clients remembered before full buckets are forgotten.
const PRUNE_AT: usize = 10_000;

/// A network (/24 or /64) may search this many times what one address may (X-03):
/// a household or an office behind one prefix still gets answers, an attacker hopping
/// between the addresses of one prefix does not get a fresh allowance per address.
const NETWORK_FACTOR: u32 = 5;

/// What the page's handlers share.
pub struct PublicPage {
    pool: crate::store::standby::ReadPool,
    limiter: Limiter,
}

impl PublicPage {
    /// `pool`: read-only work, from the standby when there is one (issue 22).
    pub fn new(pool: crate::store::standby::ReadPool, per_minute: u32) -> Arc<PublicPage> {
        Arc::new(PublicPage {
            pool,
            limiter: Limiter::new(per_minute),
        })
    }

    fn admit(&self, client: IpAddr) -> bool {
        self.limiter
            .admit(client, self.limiter.started.elapsed().as_secs_f64())
    }
}

/// The per-client allowances (X-03): token buckets per address and per network.
struct Limiter {
    per_minute: u32,
    /// Requests a client may make at once (then `per_minute` a minute).
    capacity: u32,
    clients: Mutex<HashMap<ClientKey, Bucket>>,
    started: Instant,
}

impl Limiter {
    fn new(per_minute: u32) -> Limiter {
        let per_minute = per_minute.max(1);
        Limiter {
            per_minute,
            capacity: per_minute,
            clients: Mutex::new(HashMap::new()),
            started: Instant::now(),
        }
    }

    /// The allowance of a key: per address, or per network (`NETWORK_FACTOR` times).
    fn allowance(&self, key: &ClientKey) -> (u32, u32) {
        match key {
            ClientKey::Address(_) => (self.capacity, self.per_minute),
            ClientKey::Network(_) => (
                self.capacity.saturating_mul(NETWORK_FACTOR),
                self.per_minute.saturating_mul(NETWORK_FACTOR),
            ),
        }
    }

    /// Takes one request of `client`'s allowance and of its network's at `now`
    /// (seconds); refused when either is spent (nothing is taken then).
    fn admit(&self, client: IpAddr, now: f64) -> bool {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= PRUNE_AT {
            clients.retain(|key, bucket| {
                let (capacity, per_minute) = self.allowance(key);
                !bucket.is_full(capacity, per_minute, now)
            });
        }
        let keys = ClientKey::of(client);
        let mut taken = Vec::with_capacity(keys.len());
        for key in keys {
            let (capacity, per_minute) = self.allowance(&key);
            let bucket = clients
                .entry(key)
                .or_insert_with(|| Bucket::full(capacity, now));
            let before = bucket.clone();
            if !bucket.take(capacity, per_minute, now) {
                // Give back what the other keys gave: a refusal costs nothing.
                for (key, before) in taken {
                    clients.insert(key, before);
                }
                return false;
            }
            taken.push((key, before));
        }
        true
    }
}

/// The routes: `GET /` (the form) and `POST /check` (the answer).
pub fn router(page: Arc<PublicPage>) -> Router {
    Router::new()
        .route("/", get(form))
        .route("/check", post(check))
        .with_state(page)
}

/// Serves `router` (this page's, with the roll-call answer page merged in) on
/// `listener` until `shutdown` resolves.
pub async fn serve(
    router: Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[derive(Debug, Default, Deserialize)]
struct CheckForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth: String,
}

async fn form() -> Response {
    html(StatusCode::OK, &page_html("", "", None))
}

/// What the answer section of the page says.
enum Outcome {
    Held,
    NotHeld,
    NothingPublished,
    Invalid(Vec<String>),
    TooMany,
    Unavailable,
}

async fn check(
    State(page): State<Arc<PublicPage>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(form): Form<CheckForm>,
) -> Response {
    if !page.admit(client.ip()) {
        tracing::info!(client = %client.ip(), "public page: rate limit reached");
        let body = page_html(&form.name, &form.birth, Some(&Outcome::TooMany));
        let mut response = html(StatusCode::TOO_MANY_REQUESTS, &body);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let outcome = match PublicQuery::parse(&form.name, &form.birth) {
        Err(errors) => Outcome::Invalid(errors.into_iter().map(|e| e.message).collect()),
        Ok(query) => match lookup(&page.pool, &query).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(%error, "public page: lookup failed");
                Outcome::Unavailable
            }
        },
    };
    let status = match outcome {
        Outcome::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Outcome::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    html(status, &page_html(&form.name, &form.birth, Some(&outcome)))
}

/// Looks the query up in the published dataset this node holds: records of actual
/// incidents only (T-04, T-06); `public::held` checks the mode again.
async fn lookup(
    pool: &crate::store::standby::ReadPool,
    query: &PublicQuery,
) -> anyhow::Result<Outcome> {
    let client = pool.get().await?;
    if replica::replica_version(&**client).await?.is_none() {
        return Ok(Outcome::NothingPublished);
    }
    let found =
        crate::store::public::held_candidates(&**client, &query.name_key, query.birth_date).await?;
    let mut records = Vec::with_capacity(found.len());
    let mut modes: HashMap<IncidentId, IncidentMode> = HashMap::new();
    for (record, mode) in found {
        if let Some(mode) = IncidentMode::parse(&mode) {
            modes.insert(record.incident, mode);
        }
        records.push(record);
    }
    Ok(
        if public::held(query, &records, |id| modes.get(&id).copied()) {
            Outcome::Held
        } else {
            Outcome::NotHeld
        },
    )
}

pub(crate) fn html(status: StatusCode, body: &str) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn answer_html(name: &str, outcome: &Outcome) -> String {
    let who = escape(name.trim());
    let (class, text) = match outcome {
        Outcome::Held => (
            "held",
            format!("「{who}」さんの安否情報を<strong>保有しています</strong>。詳しい内容は、お住まいの市区町村の窓口へ照会してください（照会には本人確認書類が必要です）。"),
        ),
        Outcome::NotHeld => (
            "not-held",
            format!("「{who}」さんの安否情報は<strong>保有していません</strong>。"),
        ),
        Outcome::NothingPublished => (
            "not-held",
            "現在、検索できる安否情報はまだ公開されていません。時間をおいて再度お試しください。"
                .to_string(),
        ),
        Outcome::Invalid(messages) => (
            "error",
            messages
                .iter()
                .map(|m| escape(m))
                .collect::<Vec<_>>()
                .join("<br>"),
        ),
        Outcome::TooMany => (
            "error",
            "短い時間に多くの検索が行われたため、しばらく受け付けを停止しています。1分ほど待ってから再度お試しください。"
                .to_string(),
        ),
        Outcome::Unavailable => (
            "error",
            "ただいま検索できません。時間をおいて再度お試しください。".to_string(),
        ),
    };
    format!(r#"<section id="answer" class="{class}" role="status"><p>{text}</p></section>"#)
}

/// The whole page: the form (with what was typed, cut to the accepted length) and,
/// after a search, the answer.
fn page_html(name: &str, birth: &str, outcome: Option<&Outcome>) -> String {
    let name = public::echo(name, public::MAX_NAME_CHARS);
    let birth = public::echo(birth, public::MAX_BIRTH_CHARS);
    let (name, birth) = (name.as_str(), birth.as_str());
    let answer = outcome.map(|o| answer_html(name, o)).unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>安否情報の有無の確認</title>
<style>
body {{ font-family: sans-serif; font-size: 17px; line-height: 1.6; margin: 0 auto; max-width: 40em; padding: 1em; color: #111; }}
h1 {{ font-size: 1.4em; }}
label {{ display: block; margin-top: 1em; font-weight: bold; }}
input {{ font-size: 1em; width: 100%; box-sizing: border-box; padding: .6em; margin-top: .3em; }}
button {{ font-size: 1.1em; width: 100%; padding: .8em; margin-top: 1.2em; }}
#answer {{ margin-top: 1.5em; padding: 1em; border-radius: .4em; }}
.held {{ background: #e6f4ea; }} .not-held {{ background: #f1f3f4; }} .error {{ background: #fce8e6; }}
.note {{ font-size: .9em; color: #444; }}
</style>
</head>
<body>
<h1>安否情報の有無の確認</h1>
<p>行政機関が、お探しの方の安否情報を保有しているかどうかだけをお答えします。安否情報の内容はお答えしません。</p>
<form method="post" action="/check">
<label for="name">氏名（必須）</label>
<input id="name" name="name" type="text" required maxlength="60" autocomplete="off" value="{name}" placeholder="例: 消防 太郎">
<label for="birth">生年月日（任意）</label>
<input id="birth" name="birth" type="text" maxlength="30" autocomplete="off" value="{birth}" placeholder="例: 昭和56年11月25日 または 1981-11-25">
<button id="search" type="submit">確認する</button>
</form>
{answer}
<div class="note">
<p>氏名は表記のゆれ（空白の有無、全角・半角、異体字など）を許容して、完全に一致するものだけを確認します。氏名の一部では確認できません。</p>
<p>ご本人が一切の照会への回答を希望していない場合は、情報を保有していても「保有していません」と表示されます。また、民間の安否情報サービスに登録されている場合があります。</p>
<p>安否情報の内容の照会は、お近くの市区町村の窓口で受け付けています。</p>
</div>
</body>
</html>
"#,
        name = escape(name),
        birth = escape(birth),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>"a"&'b'</script>"#),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"
        );
        let page = page_html("<b>x</b>", "\"><img>", Some(&Outcome::NotHeld));
        assert!(!page.contains("<b>x</b>") && !page.contains("\"><img>"));
    }

    // R: X-03 — found by a hostile test: 127.0.0.2, .3 … each got a fresh allowance.
    #[test]
    fn hopping_addresses_of_one_network_shares_its_allowance() {
        let limiter = Limiter::new(2);
        let admitted = (2..=100u8)
            .filter(|last| limiter.admit(IpAddr::from([127, 0, 0, *last]), 0.0))
            .count();
        assert_eq!(admitted, (2 * NETWORK_FACTOR) as usize);
        // Another network still has its own allowance; one address only its own.
        assert!(limiter.admit(IpAddr::from([127, 0, 1, 2]), 0.0));
        assert!(limiter.admit(IpAddr::from([127, 0, 1, 2]), 0.0));
        assert!(!limiter.admit(IpAddr::from([127, 0, 1, 2]), 0.0));
        // IPv6: the whole /64 shares.
        let v6 = |last: u16| IpAddr::from([0x2001, 0xdb8, 1, 2, 0, 0, 0, last]);
        let admitted = (1..=100u16)
            .filter(|last| limiter.admit(v6(*last), 0.0))
            .count();
        assert_eq!(admitted, (2 * NETWORK_FACTOR) as usize);
        // A minute later the allowance is back.
        assert!(limiter.admit(IpAddr::from([127, 0, 0, 50]), 60.0));
    }

    #[test]
    fn a_long_name_is_not_echoed_whole() {
        let long = "あ".repeat(100_000);
        let page = page_html(&long, &"1".repeat(1000), Some(&Outcome::NotHeld));
        assert!(page.len() < 10_000, "{} bytes", page.len());
        assert!(page.contains(&"あ".repeat(public::MAX_NAME_CHARS)));
    }

    #[test]
    fn answers_never_carry_details() {
        for outcome in [Outcome::Held, Outcome::NotHeld] {
            let section = answer_html("消防太郎", &outcome);
            assert!(section.contains("消防太郎"));
            assert!(!section.chars().any(|c| c.is_ascii_digit()), "{section}");
        }
    }
}
