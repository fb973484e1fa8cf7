//! What the node's benchmarks share: the node in process on a fresh database with
//! logged-in clients (ingest, import), a national node's writer in process (intake,
//! national), valid Form 1 drafts, and the COPY baseline — the same `events` rows, read
//! back after the node wrote them, loaded in one binary COPY into `copy_bench` (a copy
//! of `events` with its indexes), and the `records` rows into `copy_records`.
#![allow(dead_code)] // each benchmark uses its own part

use std::pin::pin;
use std::time::Instant;

use anpi_core::command::Command as DomainCommand;
use anpi_core::event::Actor;
use anpi_core::ids::{AccountId, IncidentId};
use anpi_core::incident::IncidentMode;
use anpi_harness::TestDb;
use anpi_node::config::{self, NodeArgs};
use anpi_node::store::writer::{Outcome, Writer, WriterOptions};
use anpi_proto::{draft_to_proto, v1};
use anyhow::{Result, anyhow, bail, ensure};
use chrono::{DateTime, Utc};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use uuid::Uuid;

pub const PASSWORD: &str = "bench-password-1";
/// The `events` columns copied (besides position and event_id); `appended_at` is the
/// default `now()`, as in the writer's INSERT.
const COLUMNS: &str = "kind, schema_version, incident_id, record_id, origin, actor, \
                       written_at, received_at, payload";

/// One gRPC client: its own connection and its own login.
pub struct Client {
    pub node: v1::node_client::NodeClient<Channel>,
    pub token: MetadataValue<Ascii>,
}

/// An `events` row without position and event id, decoded before the COPY is timed.
pub struct Row {
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

impl Row {
    /// The row's values in the order `position, event_id, COLUMNS`.
    fn values<'a>(&'a self, position: &'a i64, id: &'a Uuid) -> [&'a (dyn ToSql + Sync); 11] {
        [
            position,
            id,
            &self.kind,
            &self.version,
            &self.incident,
            &self.record,
            &self.origin,
            &self.actor,
            &self.written,
            &self.received,
            &self.payload,
        ]
    }
}

/// The benchmark's command line: `None` when a test runner lists tests (there are
/// none here), else whether this is the full run (`--bench`) rather than a smoke run.
pub fn full_run() -> Option<bool> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return None;
    }
    Some(args.iter().any(|a| a == "--bench"))
}

/// A national node (`000001`) in process: a fresh database prepared for it, its
/// single writer, and one drill incident named `name`, created by `actor`.
pub struct National {
    pub test_db: TestDb,
    pub writer: Writer,
    pub task: tokio::task::JoinHandle<()>,
    pub incident: IncidentId,
}

impl National {
    pub async fn start(actor: &Actor, name: &str) -> Result<National> {
        ensure!(
            actor.jurisdiction.as_str() == "000001",
            "the incident's creator must be of the national node, not {}",
            actor.jurisdiction
        );
        let test_db = TestDb::create().await;
        eprintln!("national: database {}", test_db.name);
        let config = config::load(&NodeArgs {
            jurisdiction: Some("000001".into()),
            database_url: Some(test_db.url.clone()),
            listen: Some("127.0.0.1:1".into()),
            ..NodeArgs::default()
        })?;
        anpi_node::server::prepare_database(&config).await?;
        let (writer, task) = Writer::start_with(
            &test_db.url,
            actor.jurisdiction.clone(),
            WriterOptions::default(),
        )
        .await?;
        let created = writer
            .submit(
                actor.clone(),
                DomainCommand::CreateIncident {
                    name: name.into(),
                    mode: IncidentMode::Drill,
                    id: None,
                    local: false,
                },
            )
            .await
            .map_err(|r| anyhow!("creating the incident: {r}"))?;
        let Outcome::Incident { incident, .. } = created else {
            bail!("unexpected outcome {created:?}");
        };
        Ok(National {
            test_db,
            writer,
            task,
            incident: incident.id,
        })
    }
}

pub fn env_or(name: &str, default: usize) -> usize {
    let number = |v: String| v.parse().unwrap_or_else(|_| panic!("{name}: not a number"));
    let value = std::env::var(name).map(number);
    value.unwrap_or(default).max(1)
}

pub fn authorized<T>(token: &MetadataValue<Ascii>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", token.clone());
    request
}

/// A valid Form 1 draft for person `n`.
pub fn evacuee(n: usize) -> v1::EntryDraft {
    draft_to_proto(&anpi_core::entry::fixtures::numbered_evacuee(n))
}

pub async fn head(db: &tokio_postgres::Client) -> Result<i64> {
    let sql = "SELECT coalesce(max(position), 0), count(*) FROM events";
    let row = db.query_one(sql, &[]).await?;
    let (max, count): (i64, i64) = (row.get(0), row.get(1));
    ensure!(max == count, "gap in the log");
    Ok(max)
}

/// The `n` events after position `after`, and how many commits wrote them (`now()`,
/// hence `appended_at`, is the transaction's start: one value per writer commit).
pub async fn read_back(
    db: &tokio_postgres::Client,
    after: i64,
    n: usize,
) -> Result<(Vec<Row>, i64)> {
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

/// What the COPY baseline loads into: emptied tables, or the tables as earlier rounds
/// left them (as the path measured writes into tables that hold the earlier rounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    Empty,
    Kept,
}

/// Loads `rows` into `copy_bench` (emptied first, or after what it holds) in one
/// binary COPY; rows/s.
pub async fn copy_round(db: &tokio_postgres::Client, rows: &[Row], tables: Tables) -> Result<f64> {
    if tables == Tables::Empty {
        db.batch_execute("TRUNCATE copy_bench").await?;
    }
    let sql = "SELECT coalesce(max(position), 0) FROM copy_bench";
    let held: i64 = db.query_one(sql, &[]).await?.get(0);
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
        let position = held + i as i64 + 1;
        let values = row.values(&position, id);
        writer.as_mut().write(&values).await?;
    }
    let written = writer.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    ensure!(written == rows.len() as u64, "COPY wrote {written} rows");
    Ok(rows.len() as f64 / seconds)
}

/// Inserts `rows` into an emptied `copy_bench` one by one, each an autocommit INSERT
/// (one statement, its own transaction and commit), prepared once; the latency of each
/// in milliseconds.
pub async fn insert_latencies(db: &tokio_postgres::Client, rows: &[Row]) -> Result<Vec<f64>> {
    db.batch_execute("TRUNCATE copy_bench").await?;
    let sql = format!(
        "INSERT INTO copy_bench (position, event_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    let insert = db.prepare(&sql).await?;
    let mut latencies = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let (position, id) = (i as i64 + 1, Uuid::now_v7());
        let values = row.values(&position, &id);
        let started = Instant::now();
        db.execute(&insert, &values).await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(latencies)
}

/// The `p` quantile (0..=1) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The COPY baseline of one round, each COPY from a fresh checkpoint: the events
/// `rows` the round wrote (read back after position `after`) and the `entries` records
/// rows it wrote. Returns the events rows/s and the round's entries/s with both tables.
pub async fn copy_baseline(
    db: &tokio_postgres::Client,
    rows: &[Row],
    after: i64,
    entries: usize,
    tables: Tables,
) -> Result<(f64, f64)> {
    db.batch_execute("CHECKPOINT").await?;
    let events_rate = copy_round(db, rows, tables).await?;
    let (records_seconds, copied) = copy_records_round(db, after, tables).await?;
    ensure!(
        copied == entries as u64,
        "copied {copied} records, not {entries}"
    );
    let seconds = rows.len() as f64 / events_rate + records_seconds;
    Ok((events_rate, entries as f64 / seconds))
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0
}

/// The node under test, its database and its clients.
pub struct Bench {
    pub db: tokio_postgres::Client,
    pub clients: Vec<Client>,
    pub incident: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    test_db: TestDb,
}

impl Bench {
    /// Starts the node in process on a fresh database (as in the API tests), logs
    /// `clients` clients in, each on its own connection, creates a drill incident and
    /// `copy_bench`.
    pub async fn start(clients: usize) -> Result<Bench> {
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
        Ok(Bench {
            db,
            clients: pool,
            incident,
            stop,
            server,
            test_db,
        })
    }

    /// Stops the node and drops the database.
    pub async fn stop(self) -> Result<()> {
        let Bench {
            db,
            clients,
            stop,
            server,
            test_db,
            ..
        } = self;
        drop((clients, db));
        let _ = stop.send(());
        server.await??;
        drop(test_db);
        Ok(())
    }
}

/// Loads the `records` rows (the private-area projection, every column and index,
/// the partial-search GIN index included) that the round after `after` wrote into
/// `copy_records` (new, or as earlier rounds left it) in one binary COPY, piped as
/// PostgreSQL gave them out (read before the clock starts); the seconds it took and the
/// rows.
pub async fn copy_records_round(
    db: &tokio_postgres::Client,
    after: i64,
    tables: Tables,
) -> Result<(f64, u64)> {
    use futures::{SinkExt, TryStreamExt};
    if tables == Tables::Empty {
        db.batch_execute("DROP TABLE IF EXISTS copy_records")
            .await?;
    }
    db.batch_execute("CREATE TABLE IF NOT EXISTS copy_records (LIKE records INCLUDING ALL)")
        .await?;
    let out = format!(
        "COPY (SELECT * FROM records WHERE recorded_position > {after}) TO STDOUT (FORMAT binary)"
    );
    let chunks: Vec<bytes::Bytes> = db.copy_out(out.as_str()).await?.try_collect().await?;
    db.batch_execute("CHECKPOINT").await?;
    let started = Instant::now();
    let sink = db
        .copy_in("COPY copy_records FROM STDIN (FORMAT binary)")
        .await?;
    let mut sink = pin!(sink);
    for chunk in chunks {
        sink.send(chunk).await?;
    }
    let written = sink.as_mut().finish().await?;
    Ok((started.elapsed().as_secs_f64(), written))
}
