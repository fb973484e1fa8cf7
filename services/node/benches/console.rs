//! Console benchmark (issue 15): the 重複検索・報告 page (figure 4-7, `GET /organise`) of a
//! municipality holding 10,000 records in its private area, server-side time per page
//! (request sent → last byte read, on loopback), against the gRPC `Organise` call that
//! returns the same rows, measured in the same run, and against the goal: p95 ≤ 200 ms.
//!
//! The node runs in process on a fresh database (as in the ingest benchmark), with its
//! console on a loopback port; the records are synthetic (`anpi_core::entry::synthetic`)
//! and entered through the gRPC API. Both sides ask for the same page (the first 500
//! rows, the console's default and the API's) and both read the whole answer.
//!
//! `cargo bench -p anpi-node --bench console` (`ANPI_BENCH_RECORDS`, default 10000;
//! `ANPI_BENCH_SAMPLES`, default 60). Without `--bench` (`cargo test --benches`) it makes
//! one small round as a smoke check.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anpi_core::entry::synthetic::Generator;
use anpi_core::ids::AccountId;
use anpi_harness::{TestDb, free_port};
use anpi_node::config::{self, NodeArgs};
use anpi_proto::{draft_to_proto, v1};
use anyhow::{Context, Result, bail, ensure};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

const PASSWORD: &str = "bench-password-1";
const GOAL_P95_MS: f64 = 200.0;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn authorized<T>(token: &MetadataValue<Ascii>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", token.clone());
    request
}

/// One HTTP/1.1 exchange on loopback (`Connection: close`): the status, the headers
/// and the body.
fn http(port: u16, request: &str) -> Result<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status")?;
    Ok((status, head, answer[split + 4..].to_vec()))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn summary(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (
        percentile(samples, 0.5),
        percentile(samples, 0.95),
        samples[samples.len() - 1],
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return Ok(());
    }
    let full = args.iter().any(|a| a == "--bench");
    let records = env_or("ANPI_BENCH_RECORDS", if full { 10_000 } else { 200 });
    let samples = env_or("ANPI_BENCH_SAMPLES", if full { 60 } else { 5 });

    let test_db = TestDb::create().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let console_port = free_port();
    let config = config::load(&NodeArgs {
        jurisdiction: Some("131016".into()),
        database_url: Some(test_db.url.clone()),
        listen: Some(addr.to_string()),
        console_listen: Some(format!("127.0.0.1:{console_port}")),
        ..NodeArgs::default()
    })?;
    let admin = AccountId::parse("admin").map_err(anyhow::Error::msg)?;
    anpi_node::server::init(&config, &admin, PASSWORD).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(anpi_node::server::serve(config, listener, async {
        let _ = stopped.await;
    }));

    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let token = v1::auth_client::AuthClient::new(channel.clone())
        .login(v1::LoginRequest {
            account: "admin".into(),
            password: PASSWORD.into(),
        })
        .await?
        .into_inner()
        .token;
    let token: MetadataValue<Ascii> = format!("Bearer {token}").parse()?;
    let node = v1::node_client::NodeClient::new(channel).max_decoding_message_size(256 << 20);
    let incident = node
        .clone()
        .create_incident(authorized(
            &token,
            v1::CreateIncidentRequest {
                name: "訓練：画面性能".into(),
                mode: "drill".into(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .id;

    // The private area: `records` synthetic entries, 16 at a time.
    let started = Instant::now();
    let generator = Generator::new(15);
    let mut next = 0u64;
    while next < records as u64 {
        let end = (next + 16).min(records as u64);
        let calls = (next..end).map(|k| {
            let mut node = node.clone();
            let request = authorized(
                &token,
                v1::RecordEntryRequest {
                    incident_id: incident.clone(),
                    draft: Some(draft_to_proto(&generator.draft(k))),
                    ..Default::default()
                },
            );
            async move { node.record_entry(request).await }
        });
        for result in futures::future::join_all(calls).await {
            result.context("recording a synthetic entry")?;
        }
        next = end;
    }
    eprintln!(
        "console: {records} records entered in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The console's session: log in as a clerk's browser would.
    let body = format!("account=admin&password={PASSWORD}");
    let (status, head, _) = http(
        console_port,
        &format!(
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1:{console_port}\r\nOrigin: http://127.0.0.1:{console_port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )?;
    ensure!(
        status == 303 || status == 302,
        "console login answered {status}"
    );
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?
        .to_string();
    let page = format!(
        "GET /organise HTTP/1.1\r\nHost: 127.0.0.1:{console_port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );

    // Warm-up, and a check that the page is the organise screen with its rows.
    let (status, _, html) = http(console_port, &page)?;
    let html = String::from_utf8_lossy(&html);
    if status != 200 || !html.contains("重複検索・報告") {
        bail!(
            "GET /organise answered {status}: {}",
            &html[..html.len().min(500)]
        );
    }
    let rows = html.matches("<tr").count().saturating_sub(1);
    let grpc_rows = node
        .clone()
        .organise(authorized(&token, v1::OrganiseRequest::default()))
        .await?
        .into_inner()
        .rows
        .len();

    let (mut console, mut grpc) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        let t = Instant::now();
        let (status, _, body) = http(console_port, &page)?;
        ensure!(
            status == 200 && !body.is_empty(),
            "GET /organise answered {status}"
        );
        console.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let screen = node
            .clone()
            .organise(authorized(&token, v1::OrganiseRequest::default()))
            .await?
            .into_inner();
        ensure!(
            !screen.rows.is_empty(),
            "the API's organise screen is empty"
        );
        grpc.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (c50, c95, cmax) = summary(&mut console);
    let (g50, g95, gmax) = summary(&mut grpc);
    println!(
        "\nconsole: 重複検索・報告 with {records} records in the private area, {samples} samples"
    );
    println!(
        "{:<28}{:>10}{:>10}{:>10}{:>8}",
        "", "p50 ms", "p95 ms", "max ms", "rows"
    );
    println!(
        "{:<28}{c50:>10.1}{c95:>10.1}{cmax:>10.1}{rows:>8}",
        "console GET /organise"
    );
    println!(
        "{:<28}{g50:>10.1}{g95:>10.1}{gmax:>10.1}{grpc_rows:>8}",
        "gRPC Organise (same page)"
    );
    println!(
        "console p95 / goal ({GOAL_P95_MS} ms): {:.3}   console p95 / gRPC p95: {:.2}",
        c95 / GOAL_P95_MS,
        c95 / g95
    );
    println!(
        "console: records={records} console_p95_ms={c95:.1} grpc_p95_ms={g95:.1} goal_ratio={:.3}",
        c95 / GOAL_P95_MS
    );

    let _ = stop.send(());
    server.await??;
    drop(test_db);
    Ok(())
}
