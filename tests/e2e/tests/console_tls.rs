//! The console's transport and session rules, below the browser (issue 15; ):
//! served over TLS with the node's certificate; every page with the security headers;
//! a session cookie that is HttpOnly, SameSite=Strict and Secure; a POST without the
//! session's CSRF token, or from another site, refused without effect; the login
//! answering every failure alike.

use std::sync::Arc;

use anpi_harness::{NatsServer, TestCa, TestDb, TestNode, free_port, wait_for_port, workspace_bin};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// One HTTP/1.1 exchange over TLS (trusting only `ca`): status, headers, body.
async fn https(ca: &TestCa, port: u16, request: String) -> (u16, String, String) {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&ca.cert).expect("the CA file") {
        roots
            .add(cert.expect("a CA certificate"))
            .expect("adding the CA");
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connecting to the console");
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("a server name");
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("a TLS handshake with the node's certificate");
    tls.write_all(request.as_bytes()).await.expect("sending");
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn get(port: u16, path: &str, cookie: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
}

fn post(port: u16, path: &str, cookie: &str, origin: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_over_tls_with_safe_sessions() {
    let nats = NatsServer::start();
    let ca = TestCa::new("console");
    let db = TestDb::create().await;
    let port = free_port();
    let node = TestNode::start_tls_with(
        &workspace_bin("anpi-node"),
        "131016",
        &db.url,
        &ca,
        &format!(
            "nats_url = \"{}\"\nconsole_listen = \"127.0.0.1:{port}\"\n",
            nats.url
        ),
    );
    // The gRPC port answers first; the console listens a moment later.
    assert!(
        wait_for_port(port, std::time::Duration::from_secs(20)),
        "the console did not listen:\n{}",
        node.log()
    );
    let origin = format!("https://127.0.0.1:{port}");

    // The login page over TLS, with the security headers.
    let (status, head, body) = https(&ca, port, get(port, "/login", "")).await;
    assert_eq!(status, 200, "{head}\n{body}\n{}", node.log());
    assert!(body.contains("lang=\"ja\""));
    for header in [
        "content-security-policy: default-src 'self'",
        "x-frame-options: deny",
        "cache-control: no-store",
        "x-content-type-options: nosniff",
    ] {
        assert!(head.contains(header), "{header} missing:\n{head}");
    }
    assert!(!head.contains("unsafe-inline"));
    // Plain HTTP on the TLS port gets no page.
    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    plain
        .write_all(get(port, "/login", "").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        plain.read_to_end(&mut answer),
    )
    .await;
    assert!(!String::from_utf8_lossy(&answer).contains("ログイン"));

    // a wrong password and an unknown ID get the same answer, and no cookie.
    let (status, head, wrong) = https(
        &ca,
        port,
        post(
            port,
            "/login",
            "",
            &origin,
            "account=admin&password=wrong-pass-1",
        ),
    )
    .await;
    assert_eq!(status, 401);
    assert!(!head.contains("set-cookie"));
    let (_, _, unknown) = https(
        &ca,
        port,
        post(
            port,
            "/login",
            "",
            &origin,
            "account=nobody&password=wrong-pass-1",
        ),
    )
    .await;
    let message = |page: &str| {
        page.split("role=\"alert\"")
            .nth(1)
            .unwrap_or_default()
            .split("</div>")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        message(&wrong),
        message(&unknown),
        "one answer for every refusal"
    );

    // The session cookie: HttpOnly, SameSite=Strict, Secure (over TLS).
    let (status, head, _) = https(
        &ca,
        port,
        post(
            port,
            "/login",
            "",
            &origin,
            &format!("account=admin&password={}", node.password),
        ),
    )
    .await;
    assert_eq!(status, 303, "{head}");
    let set_cookie = head
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .expect("a session cookie")
        .to_string();
    for part in ["httponly", "samesite=strict", "secure", "path=/"] {
        assert!(set_cookie.contains(part), "{part} missing: {set_cookie}");
    }
    let cookie = set_cookie
        .trim_start_matches("set-cookie:")
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, _, home) = https(&ca, port, get(port, "/", &cookie)).await;
    assert_eq!(status, 200);
    let csrf = home
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token in the page")
        .to_string();

    // CSRF: a POST without the token, or with it from another site, changes nothing.
    let create = |csrf: &str| format!("csrf={csrf}&name=%E8%A8%93%E7%B7%B4&mode=drill");
    let (status, _, _) = https(
        &ca,
        port,
        post(port, "/incidents", &cookie, &origin, &create("")),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = https(
        &ca,
        port,
        post(
            port,
            "/incidents",
            &cookie,
            "https://evil.example",
            &create(&csrf),
        ),
    )
    .await;
    assert_eq!(status, 403);
    let incidents = |db: &TestDb| {
        let url = db.url.clone();
        async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
                .query_one("SELECT count(*) FROM incidents", &[])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!(incidents(&db).await, 0, "a refused POST writes nothing");
    let (status, _, _) = https(
        &ca,
        port,
        post(port, "/incidents", &cookie, &origin, &create(&csrf)),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        incidents(&db).await,
        1,
        "the same POST from the console is done"
    );

    // C-02: the chosen incident's records as CSV (CP932 for Excel), named after the
    // incident and its mode, and the download is in the read log.
    let (status, head, body) =
        https(&ca, port, get(port, "/download?encoding=cp932", &cookie)).await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("content-type: text/csv; charset=shift_jis"),
        "{head}"
    );
    // 安否情報_ … _訓練_ in the RFC 5987 file name.
    assert!(
        head.contains("filename*=utf-8''%e5%ae%89%e5%90%a6%e6%83%85%e5%a0%b1_"),
        "{head}"
    );
    assert!(
        head.contains("_%e8%a8%93%e7%b7%b4_"),
        "the mode in the name: {head}"
    );
    assert!(!body.is_empty());
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let logged: i64 = client
        .query_one(
            "SELECT count(*) FROM read_log WHERE operation = 'export_records'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, 1, "the download is in the read log");

    // Logout ends the session: the cookie opens nothing any more.
    let (status, _, _) = https(
        &ca,
        port,
        post(port, "/logout", &cookie, &origin, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(status, 303);
    let (status, head, _) = https(&ca, port, get(port, "/", &cookie)).await;
    assert_eq!(status, 303);
    assert!(head.contains("location: /login"), "{head}");
}
