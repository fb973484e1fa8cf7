//! Ingest benchmark: Form 1 entries per second through the gRPC API, against the rate
//! of a raw PostgreSQL COPY of equivalent rows on the same server, in the same run.
//!
//! The gRPC side is the whole path a client sees: `CLIENTS` concurrent clients, each on
//! its own HTTP/2 connection with its own bearer token, call `RecordEntry` one entry at a
//! time; the node authenticates, validates, hands the entry to the single writer (which
//! group-commits the events and the private-area projection) and answers after the
//! commit, so every entry counted is durable.
//!
//! The COPY side loads the same number of rows, made from the events the gRPC round has
//! just written (same payloads, new positions and event ids), into `copy_bench`, a copy
//! of `events` with its primary key, unique `event_id` and partial `record_id` index, in
//! one binary COPY: one statement, one transaction, one commit, no per-row statement or
//! round trip. That is the practical upper bound for getting these rows, with these
//! indexes, into this server; grpc/copy is the share of it the API keeps while doing its
//! own work (auth, validation, projection, one reply per entry).
//!
//! `cargo bench -p anpi-node --bench ingest`, with `ANPI_BENCH_ENTRIES` (20000),
//! `ANPI_BENCH_CLIENTS` (32), `ANPI_BENCH_ROUNDS` (3) and the harness's server
//! (`ANPI_TEST_DATABASE_URL`). Without `--bench` (`cargo test --benches`) it makes one
//! small round as a smoke check.

use std::pin::pin;
use std::time::Instant;

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
/// The `events` columns copied (besides position and event_id); `appended_at` is the
/// default `now()`, as in the writer's INSERT.
const COLUMNS: &str = "kind, schema_version, incident_id, record_id, origin, actor, \
                       written_at, received_at, payload";

/// One gRPC client: its own connection and its own login.
struct Client {
    node: v1::node_client::NodeClient<Channel>,
    token: MetadataValue<Ascii>,
}

/// An `events` row without position and event id, decoded before the COPY is timed.
struct Row {
    kind: String,
    version: i32,
    incident: Option<Uuid>,
    record: Option<Uuid>,
    origin: String,
    actor: String,
    written: Option<DateTime<Utc>>,
    received: DateTime<Utc>,
    payload: serde_json::Value,
}

fn env_or(name: &str, default: usize) -> usize {
    let number = |v: String| v.parse().unwrap_or_else(|_| panic!("{name}: not a number"));
    let value = std::env::var(name).map(number);
    value.unwrap_or(default).max(1)
}

fn authorized<T>(token: &MetadataValue<Ascii>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", token.clone());
    request
}

/// A valid Form 1 draft for person `n`.
fn evacuee(n: usize) -> v1::EntryDraft {
    draft_to_proto(&anpi_core::entry::fixtures::numbered_evacuee(n))
}

async fn head(db: &tokio_postgres::Client) -> Result<i64> {
    let sql = "SELECT coalesce(max(position), 0), count(*) FROM events";
    let row = db.query_one(sql, &[]).await?;
    let (max, count): (i64, i64) = (row.get(0), row.get(1));
    ensure!(max == count, "gap in the log");
    Ok(max)
}

/// Records `entries` entries (people `first..`) spread over the clients; entries/s.
async fn grpc_round(
    clients: &[Client],
    incident: &str,
    db: &tokio_postgres::Client,
    entries: usize,
    first: usize,
) -> Result<f64> {
    let before = head(db).await?;
    let mut work = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        // Client i takes people first + i, first + i + CLIENTS, ...
        let people = (i..entries).step_by(clients.len());
        let drafts: Vec<_> = people.map(|k| evacuee(first + k)).collect();
        work.push((client.node.clone(), client.token.clone(), drafts));
    }
    let started = Instant::now();
    let tasks = work.into_iter().map(|(mut node, token, drafts)| {
        let incident = incident.to_string();
        tokio::spawn(async move {
            for draft in drafts {
                let draft = Some(draft);
                let request = v1::RecordEntryRequest {
                    incident_id: incident.clone(),
                    draft,
                    ..Default::default()
                };
                node.record_entry(authorized(&token, request))
                    .await
                    .context("RecordEntry")?;
            }
            Ok::<_, anyhow::Error>(())
        })
    });
    for task in futures::future::join_all(tasks).await {
        task??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let grew = head(db).await? - before;
    ensure!(grew == entries as i64, "log grew by {grew}, not {entries}");
    Ok(entries as f64 / seconds)
}

/// The `n` events after position `after`, and how many commits wrote them (`now()`,
/// hence `appended_at`, is the transaction's start: one value per writer commit).
async fn read_back(db: &tokio_postgres::Client, after: i64, n: usize) -> Result<(Vec<Row>, i64)> {
    let sql =
        format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2");
    let rows = db.query(sql.as_str(), &[&after, &(n as i64)]).await?;
    ensure!(rows.len() == n, "read back {} events, not {n}", rows.len());
    let sql = "SELECT count(DISTINCT appended_at) FROM events WHERE position > $1";
    let commits = db.query_one(sql, &[&after]).await?.get(0);
    let rows = rows.iter().map(|r| Row {
        kind: r.get(0),
        version: r.get(1),
        incident: r.get(2),
        record: r.get(3),
        origin: r.get(4),
        actor: r.get(5),
        written: r.get(6),
        received: r.get(7),
        payload: r.get(8),
    });
    Ok((rows.collect(), commits))
}

/// Loads `rows` into an emptied `copy_bench` in one binary COPY; rows/s.
async fn copy_round(db: &tokio_postgres::Client, rows: &[Row]) -> Result<f64> {
    db.batch_execute("TRUNCATE copy_bench").await?;
    let columns = format!("position, event_id, {COLUMNS}");
    let shape = db
        .prepare(&format!("SELECT {columns} FROM copy_bench"))
        .await?;
    let types: Vec<Type> = shape.columns().iter().map(|c| c.type_().clone()).collect();
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let started = Instant::now();
    let copy = format!("COPY copy_bench ({columns}) FROM STDIN (FORMAT binary)");
    let sink = db.copy_in(copy.as_str()).await?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    for (i, (row, id)) in rows.iter().zip(&ids).enumerate() {
        let position = i as i64 + 1;
        let values: [&(dyn ToSql + Sync); 11] = [
            &position,
            id,
            &row.kind,
            &row.version,
            &row.incident,
            &row.record,
            &row.origin,
            &row.actor,
            &row.written,
            &row.received,
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
    let n = sorted.len();
    (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return Ok(()); // a test runner listing tests: there are none here
    }
    let full = args.iter().any(|a| a == "--bench");
    let entries = env_or("ANPI_BENCH_ENTRIES", if full { 20_000 } else { 200 });
    let clients = env_or("ANPI_BENCH_CLIENTS", if full { 32 } else { 4 });
    let rounds = env_or("ANPI_BENCH_ROUNDS", if full { 3 } else { 1 });
    let warm_up = if full { 500 } else { 20 };

    // The node, in process on a fresh database, as in the API tests.
    let test_db = TestDb::create().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = config::load(&NodeArgs {
        jurisdiction: Some("131016".into()),
        database_url: Some(test_db.url.clone()),
        listen: Some(addr.to_string()),
        ..NodeArgs::default()
    })?;
    let admin = AccountId::parse("admin").map_err(anyhow::Error::msg)?;
    anpi_node::server::init(&config, &admin, PASSWORD).await?;
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
        let mut auth = v1::auth_client::AuthClient::new(channel.clone());
        let token = auth.login(login).await?.into_inner().token;
        let token = format!("Bearer {token}").parse()?;
        pool.push(Client {
            node: v1::node_client::NodeClient::new(channel),
            token,
        });
    }
    let request = v1::CreateIncidentRequest {
        name: "訓練：取込".into(),
        mode: "drill".into(),
        ..Default::default()
    };
    let request = authorized(&pool[0].token, request);
    let incident = pool[0].node.clone().create_incident(request).await?;
    let incident = incident.into_inner().id;
    let (db, connection) = tokio_postgres::connect(&test_db.url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    db.batch_execute("CREATE TABLE copy_bench (LIKE events INCLUDING ALL)")
        .await?;

    eprintln!("ingest: warm-up, {warm_up} entries");
    grpc_round(&pool, &incident, &db, warm_up, 0).await?;
    let (mut grpc, mut copy, mut commits) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let after = head(&db).await?;
        let first = warm_up + round * entries;
        grpc.push(grpc_round(&pool, &incident, &db, entries, first).await?);
        let (rows, round_commits) = read_back(&db, after, entries).await?;
        commits.push(round_commits);
        let (n, rate) = (round + 1, grpc[round]);
        eprintln!("ingest: round {n}/{rounds}: grpc {rate:.0} entries/s");
        copy.push(copy_round(&db, &rows).await?);
        eprintln!("ingest: round {n}/{rounds}: copy {:.0} rows/s", copy[round]);
    }

    let (g, c) = (median(&grpc), median(&copy));
    println!("\ningest: {entries} entries per round, {clients} clients, median of {rounds}");
    println!(
        "{:<8}{:>16}{:>14}{:>16}{:>14}",
        "round", "grpc entries/s", "commits", "entries/commit", "copy rows/s"
    );
    for r in 0..rounds {
        let (n, rate, commits, rows) = (r + 1, grpc[r], commits[r], copy[r]);
        let per_commit = entries as f64 / commits as f64;
        println!("{n:<8}{rate:>16.0}{commits:>14}{per_commit:>16.1}{rows:>14.0}");
    }
    println!("{:<8}{g:>16.0}{:>30}{c:>14.0}", "median", "");
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
