//! What the ingest and import benchmarks share: the node in process on a fresh
//! database with logged-in clients, valid Form 1 drafts, and the COPY baseline — the
//! same `events` rows, read back after the API wrote them, loaded in one binary COPY
//! into `copy_bench` (a copy of `events` with its indexes).
#![allow(dead_code)] // each benchmark uses its own part

use std::pin::pin;
use std::time::Instant;

use anpi_core::ids::AccountId;
use anpi_harness::TestDb;
use anpi_node::config::{self, NodeArgs};
use anpi_proto::{draft_to_proto, v1};
use anyhow::{Result, ensure};
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

/// Loads `rows` into an emptied `copy_bench` in one binary COPY; rows/s.
pub async fn copy_round(db: &tokio_postgres::Client, rows: &[Row]) -> Result<f64> {
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
/// the partial-search GIN index included) that the round after `after` wrote into an
/// emptied `copy_records` in one binary COPY, piped as PostgreSQL gave them out (read
/// before the clock starts); the seconds it took and the rows.
pub async fn copy_records_round(db: &tokio_postgres::Client, after: i64) -> Result<(f64, u64)> {
    use futures::{SinkExt, TryStreamExt};
    db.batch_execute(
        "DROP TABLE IF EXISTS copy_records; CREATE TABLE copy_records (LIKE records INCLUDING ALL)",
    )
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
