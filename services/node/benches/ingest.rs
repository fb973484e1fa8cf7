//! Ingest benchmark: Form 1 entries per second through the gRPC API, against the rate
//! of a raw PostgreSQL COPY of equivalent rows on the same server, in the same run.
//!
//! The gRPC side is the whole path a client sees: `CLIENTS` concurrent clients, each on
//! its own HTTP/2 connection with its own bearer token, call `RecordEntry` one entry at a
//! time; the node authenticates, validates, and hands the entry to the single writer,
//! which group-commits events and the private-area projection and answers after the
//! commit. Every entry is therefore durable when it is counted.
//!
//! The COPY side loads the same number of rows, built from the events the gRPC round
//! just wrote (same payloads, new positions and event ids), into `copy_bench`, a copy of
//! `events` with the same primary key, unique `event_id` and partial `record_id` index,
//! in one binary COPY (one transaction, one commit). That is the practical upper bound
//! for getting these rows, with these indexes, into this server: no parsing, no per-row
//! statement, no round trip per row. The ratio grpc/copy says how much of that bound
//! the API keeps while also doing its own work (auth, validation, projection, replies).
//!
//! `cargo bench -p anpi-node --bench ingest`; `ANPI_BENCH_ENTRIES` (20000),
//! `ANPI_BENCH_CLIENTS` (32), `ANPI_BENCH_ROUNDS` (3); the server is the harness's
//! (`ANPI_TEST_DATABASE_URL`). Without `--bench` (`cargo test --benches`) it makes one
//! tiny round as a smoke check.

use std::pin::pin;
use std::time::Instant;

use anpi_core::entry::{EntryDraft, FormKind};
use anpi_core::ids::AccountId;
use anpi_harness::TestDb;
use anpi_node::config::{self, NodeArgs};
use anpi_proto::{draft_to_proto, v1};
use anyhow::{Context, Result, ensure};
use chrono::{DateTime, Utc};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use uuid::Uuid;

const PASSWORD: &str = "bench-password-1";
const COLUMNS: &str = "kind, schema_version, incident_id, record_id, origin, actor, \
                       written_at, received_at, payload";

/// One gRPC client: its own connection and its own login.
struct Client {
    node: v1::node_client::NodeClient<Channel>,
    token: MetadataValue<Ascii>,
}

/// An events row without its position and event id.
struct Row {
    kind: String,
    schema_version: i32,
    incident_id: Option<Uuid>,
    record_id: Option<Uuid>,
    origin: String,
    actor: String,
    written_at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    payload: serde_json::Value,
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
        .unwrap_or(default)
        .max(1)
}

/// A valid Form 1 draft for person `n` (as the integration tests' `evacuee`).
fn evacuee(n: usize) -> v1::EntryDraft {
    let mut draft = EntryDraft {
        form: FormKind::Form1,
        written_at: "2026-11-21 10:00".into(),
        name: format!("試験　{n}郎"),
        furigana: "シケン　タロウ".into(),
        birth_date: "1980-01-01".into(),
        sex: if n % 2 == 0 { "男" } else { "女" }.into(),
        ..EntryDraft::default()
    };
    draft.address.prefecture = "東京都".into();
    draft.address.municipality = "千代田区".into();
    draft.address.lot = format!("{n}-1");
    draft.injury.status = "非該当".into();
    draft_to_proto(&draft)
}

async fn event_count(db: &tokio_postgres::Client) -> Result<i64> {
    Ok(db
        .query_one("SELECT count(*) FROM events", &[])
        .await?
        .get(0))
}

/// Records `entries` entries (people `first..`) spread over the clients; entries/s.
async fn grpc_round(
    clients: &[Client],
    incident: &str,
    db: &tokio_postgres::Client,
    entries: usize,
    first: usize,
) -> Result<f64> {
    let before = event_count(db).await?;
    let (share, extra) = (entries / clients.len(), entries % clients.len());
    let mut next = first;
    let mut work = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let count = share + usize::from(i < extra);
        let drafts: Vec<_> = (next..next + count).map(evacuee).collect();
        next += count;
        work.push((client.node.clone(), client.token.clone(), drafts));
    }
    let started = Instant::now();
    let tasks = work.into_iter().map(|(mut node, token, drafts)| {
        let incident = incident.to_string();
        tokio::spawn(async move {
            for draft in drafts {
                let mut request = tonic::Request::new(v1::RecordEntryRequest {
                    incident_id: incident.clone(),
                    draft: Some(draft),
                });
                request
                    .metadata_mut()
                    .insert("authorization", token.clone());
                node.record_entry(request).await.context("RecordEntry")?;
            }
            Ok::<_, anyhow::Error>(())
        })
    });
    for task in futures::future::join_all(tasks).await {
        task??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let grew = event_count(db).await? - before;
    ensure!(
        grew == entries as i64,
        "the events table grew by {grew} rows, expected {entries}"
    );
    Ok(entries as f64 / seconds)
}

/// Loads `rows` into `copy_bench` (emptied first) in one binary COPY; rows/s.
async fn copy_round(db: &tokio_postgres::Client, rows: &[Row]) -> Result<f64> {
    db.batch_execute("TRUNCATE copy_bench").await?;
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let types = [
        Type::INT8,
        Type::UUID,
        Type::TEXT,
        Type::INT4,
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::JSONB,
    ];
    let started = Instant::now();
    let sink = db
        .copy_in(
            format!("COPY copy_bench (position, event_id, {COLUMNS}) FROM STDIN (FORMAT binary)")
                .as_str(),
        )
        .await?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    for (i, (row, id)) in rows.iter().zip(&ids).enumerate() {
        let position = i as i64 + 1;
        let values: [&(dyn ToSql + Sync); 11] = [
            &position,
            id,
            &row.kind,
            &row.schema_version,
            &row.incident_id,
            &row.record_id,
            &row.origin,
            &row.actor,
            &row.written_at,
            &row.received_at,
            &row.payload,
        ];
        writer.as_mut().write(&values).await?;
    }
    let written = writer.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    ensure!(written == rows.len() as u64, "COPY wrote {written} rows");
    Ok(rows.len() as f64 / seconds)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return Ok(()); // a test lister asking: no tests in here
    }
    let full = args.iter().any(|a| a == "--bench");
    let entries = env_or("ANPI_BENCH_ENTRIES", if full { 20_000 } else { 200 });
    let clients = env_or("ANPI_BENCH_CLIENTS", if full { 32 } else { 4 });
    let rounds = env_or("ANPI_BENCH_ROUNDS", if full { 3 } else { 1 });
    let warm_up = if full { 500 } else { 20 };

    let test_db = TestDb::create().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = config::load(&NodeArgs {
        jurisdiction: Some("131016".into()),
        database_url: Some(test_db.url.clone()),
        listen: Some(addr.to_string()),
        ..NodeArgs::default()
    })?;
    anpi_node::server::init(
        &config,
        &AccountId::parse("admin").map_err(anyhow::Error::msg)?,
        PASSWORD,
    )
    .await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(anpi_node::server::serve(config, listener, async {
        let _ = stopped.await;
    }));

    let mut pool = Vec::new();
    for _ in 0..clients {
        let channel = Channel::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        let login = v1::LoginRequest {
            account: "admin".into(),
            password: PASSWORD.into(),
        };
        let token = v1::auth_client::AuthClient::new(channel.clone())
            .login(login)
            .await?
            .into_inner()
            .token;
        let token = format!("Bearer {token}").parse()?;
        let node = v1::node_client::NodeClient::new(channel);
        pool.push(Client { node, token });
    }
    let mut request = tonic::Request::new(v1::CreateIncidentRequest {
        name: "訓練：取込性能".into(),
        mode: "drill".into(),
    });
    request
        .metadata_mut()
        .insert("authorization", pool[0].token.clone());
    let incident = pool[0].node.clone().create_incident(request).await?;
    let incident = incident.into_inner().id;

    let (db, connection) = tokio_postgres::connect(&test_db.url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    db.batch_execute("CREATE TABLE copy_bench (LIKE events INCLUDING ALL)")
        .await?;

    eprintln!("ingest: warm-up, {warm_up} entries");
    grpc_round(&pool, &incident, &db, warm_up, 0).await?;
    let (mut grpc, mut copy, mut batches) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let head: i64 = db
            .query_one("SELECT coalesce(max(position), 0) FROM events", &[])
            .await?
            .get(0);
        let first = warm_up + round * entries;
        grpc.push(grpc_round(&pool, &incident, &db, entries, first).await?);
        // now() is the transaction's start: one appended_at per writer commit.
        let commits = "SELECT count(DISTINCT appended_at) FROM events WHERE position > $1";
        batches.push(db.query_one(commits, &[&head]).await?.get::<_, i64>(0));
        let query =
            format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2");
        let read = db
            .query(query.as_str(), &[&head, &(entries as i64)])
            .await?;
        ensure!(read.len() == entries, "read back {} events", read.len());
        let rows: Vec<Row> = read
            .iter()
            .map(|r| Row {
                kind: r.get(0),
                schema_version: r.get(1),
                incident_id: r.get(2),
                record_id: r.get(3),
                origin: r.get(4),
                actor: r.get(5),
                written_at: r.get(6),
                received_at: r.get(7),
                payload: r.get(8),
            })
            .collect();
        eprintln!(
            "ingest: round {}/{rounds} grpc {:.0} entries/s ({} commits)",
            round + 1,
            grpc[round],
            batches[round]
        );
        copy.push(copy_round(&db, &rows).await?);
        eprintln!(
            "ingest: round {}/{rounds} copy {:.0} rows/s",
            round + 1,
            copy[round]
        );
    }

    println!("\ningest: {entries} entries per round, {clients} clients, {rounds} rounds");
    println!(
        "{:<8}{:>18}{:>16}{:>16}{:>12}",
        "round", "grpc entries/s", "commits", "entries/commit", "copy rows/s"
    );
    for r in 0..rounds {
        let per_commit = entries as f64 / batches[r] as f64;
        println!(
            "{:<8}{:>18.0}{:>16}{:>16.1}{:>12.0}",
            r + 1,
            grpc[r],
            batches[r],
            per_commit,
            copy[r]
        );
    }
    let (g, c) = (median(&grpc), median(&copy));
    println!("{:<8}{:>18.0}{:>16}{:>16}{:>12.0}", "median", g, "", "", c);
    println!("ratio grpc/copy: {:.4}\n", g / c);
    println!(
        "ingest: grpc_entries_per_s={g:.0} copy_rows_per_s={c:.0} ratio={:.4} entries={entries} clients={clients}",
        g / c
    );

    drop((pool, db));
    let _ = stop.send(());
    server.await??;
    drop(test_db);
    Ok(())
}
