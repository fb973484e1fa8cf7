//! Log verification benchmark (issue 21; R: L-05, U-01): `anpi audit verify`'s walk
//! (`store::chain::verify`) over N events against an ordered scan of the same log, in
//! the same run on the same PostgreSQL server.
//!
//! The log: a fresh database prepared as a municipality (`131016`), then N linked
//! events written with one binary COPY into `events` — an `IncidentCreated`, then
//! `EntryRecorded` events whose entries come from the seeded generator
//! (`anpi_core::entry::synthetic`; 20,000 distinct validated entries, cycled with new
//! record IDs), each with its canonical payload text and its link computed by
//! `anpi_core::chain` exactly as the writer does. The bench first checks that `verify`
//! over this log holds (and that a changed payload is found), so it never reports the
//! speed of a wrong result.
//!
//! Measured, each run twice with the second timed (a warm log):
//! - **scan**: the query `verify` runs (`SELECT` of every covered column and the link,
//!   `ORDER BY position`), every row fetched to the client over the same connection
//!   type, and nothing done with it → events/s;
//! - **verify**: `store::chain::verify` from position 1 (every link recomputed, the
//!   children's heads checked) → events/s.
//!
//! verify/scan is the share of the bare ordered read that checking keeps (goal ≥ 0.5).
//!
//! Run: `ANPI_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench
//! -p anpi-node --bench audit -- --events 1000000` (the default). Without `--bench`
//! (`cargo test --benches`) a smoke run of 20,000 events. The summary goes to stdout and
//! to `<target dir>/bench-audit.json`.

use std::path::PathBuf;
use std::pin::pin;
use std::time::Instant;

use anpi_core::chain::{self, Link, Row};
use anpi_core::entry::synthetic::{Generator, reference_now};
use anpi_core::entry::{Entry, validate};
use anpi_core::event::{Payload, SCHEMA_VERSION};
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::incident::{Incident, IncidentMode};
use anpi_harness::TestDb;
use anpi_node::config::{self, NodeArgs};
use anpi_node::store::{self, chain as stored};
use anyhow::{Context, Result, ensure};
use futures::{TryStreamExt, pin_mut};
use serde_json::json;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

const CODE: &str = "131016";
const DISTINCT: u64 = 20_000;

fn events_wanted() -> Result<u64> {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let mut events = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if let Some(value) = arg.strip_prefix("--events=") {
            events = Some(value.to_string());
        } else if arg == "--events" {
            events = rest.next().cloned();
        }
    }
    Ok(match events {
        Some(text) => text
            .parse()
            .with_context(|| format!("--events: not a number: {text}"))?,
        None if full => 1_000_000,
        None => 20_000,
    })
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// Writes `n` linked events into `events` with one binary COPY.
async fn write_log(client: &tokio_postgres::Client, n: u64) -> Result<()> {
    let generator = Generator::new(2026);
    let now = reference_now();
    let entries: Vec<Entry> = generator
        .drafts(0..DISTINCT.min(n))
        .map(|draft| validate(&draft, now).map_err(|e| anyhow::anyhow!("{e:?}")))
        .collect::<Result<_>>()?;
    let incident = Incident {
        id: IncidentId::from_uuid(Uuid::now_v7()),
        name: "ベンチ".into(),
        mode: IncidentMode::Drill,
        created_at: now,
    };
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
        Type::BYTEA,
    ];
    let sink = client
        .copy_in(
            "COPY events (position, event_id, kind, schema_version, incident_id, record_id, origin,
                          actor, written_at, received_at, payload, link) FROM STDIN (FORMAT binary)",
        )
        .await?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    let mut prev = Link::GENESIS;
    let actor = format!("{CODE}/bench");
    let received = now;
    for position in 1..=n as i64 {
        let (payload, record) = if position == 1 {
            (
                Payload::IncidentCreated {
                    incident: incident.clone(),
                    local: false,
                },
                None,
            )
        } else {
            let record = RecordId::from_uuid(Uuid::now_v7());
            let entry = entries[(position as usize - 2) % entries.len()].clone();
            (
                Payload::EntryRecorded {
                    record_id: record,
                    entry: Box::new(entry),
                    supersedes: None,
                },
                Some(record.as_uuid()),
            )
        };
        let event_id = Uuid::now_v7();
        // As the writer stores it: the entry sealed (ADR 0019); its key is not kept, as
        // verify never reads it.
        let (text, _key) = anpi_node::store::seal::stored_text(event_id, &payload);
        let incident_id = Some(incident.id.as_uuid());
        let written = (position > 1).then_some(now);
        let row = Row {
            position,
            event_id,
            kind: payload.kind(),
            schema_version: SCHEMA_VERSION,
            incident: incident_id,
            record,
            origin: CODE,
            actor: &actor,
            written_at: written.map(|t| t.timestamp_micros()),
            received_at: received.timestamp_micros(),
            sender: None,
            payload: &text,
        };
        prev = chain::link(&prev, &row);
        // The jsonb binary format: a version byte, then the text.
        let mut jsonb = Vec::with_capacity(text.len() + 1);
        jsonb.push(1u8);
        jsonb.extend_from_slice(text.as_bytes());
        let values: [&(dyn ToSql + Sync); 12] = [
            &position,
            &event_id,
            &payload.kind(),
            &SCHEMA_VERSION,
            &incident_id,
            &record,
            &CODE,
            &actor,
            &written,
            &received,
            &RawJsonb(jsonb),
            &&prev.0[..],
        ];
        writer.as_mut().write(&values).await?;
    }
    writer.finish().await?;
    Ok(())
}

/// jsonb as its binary wire form (version 1 + text), so the COPY sends the canonical
/// text as is.
#[derive(Debug)]
struct RawJsonb(Vec<u8>);

impl ToSql for RawJsonb {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        out.extend_from_slice(&self.0);
        Ok(tokio_postgres::types::IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB
    }

    tokio_postgres::types::to_sql_checked!();
}

/// The ordered scan verify runs, every row fetched and nothing done with it; rows.
async fn scan(client: &mut tokio_postgres::Client) -> Result<u64> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let rows = tx
        .query_raw(
            "SELECT position, event_id, kind, schema_version, incident_id, record_id, origin, actor,
                    written_at, received_at, payload::text, sender_position, sender_link, link
             FROM events WHERE position >= $1 ORDER BY position",
            &[&1i64],
        )
        .await?;
    pin_mut!(rows);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await? {
        std::hint::black_box(&row);
        n += 1;
    }
    tx.commit().await?;
    Ok(n)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let n = events_wanted()?;
    let db = TestDb::create().await;
    let config = config::load(&NodeArgs {
        jurisdiction: Some(CODE.into()),
        database_url: Some(db.url.clone()),
        listen: Some("127.0.0.1:1".into()),
        ..NodeArgs::default()
    })?;
    anpi_node::server::prepare_database(&config).await?;
    let mut client = store::connect(&db.url).await?;
    eprintln!("writing {n} linked events…");
    let started = Instant::now();
    write_log(&client, n).await?;
    client.batch_execute("VACUUM (ANALYZE) events").await?;
    eprintln!("written in {:.1} s", started.elapsed().as_secs_f64());

    // Correct first: the log verifies to its head.
    let verified = stored::verify(&mut client, 1, u64::MAX, |_, _| {}).await?;
    ensure!(
        verified.broke.is_none(),
        "the bench log does not verify: {verified:?}"
    );
    ensure!(
        verified.checked == n,
        "verify checked {} of {n}",
        verified.checked
    );

    // Each run twice, the second timed (a warm log).
    let mut scanned = 0;
    let mut scan_seconds = 0.0;
    for _ in 0..2 {
        let started = Instant::now();
        scanned = scan(&mut client).await?;
        scan_seconds = started.elapsed().as_secs_f64();
    }
    ensure!(scanned == n, "the scan read {scanned} of {n}");
    let mut checked = 0;
    let mut verify_seconds = 0.0;
    for _ in 0..2 {
        let started = Instant::now();
        let verified = stored::verify(&mut client, 1, 50_000, |_, _| {}).await?;
        verify_seconds = started.elapsed().as_secs_f64();
        ensure!(
            verified.broke.is_none(),
            "verify broke: {:?}",
            verified.broke
        );
        checked = verified.checked;
    }
    ensure!(checked == n, "verify checked {checked} of {n}");

    // And a changed payload is found where it was changed.
    let at = (n as i64 / 2).max(2);
    client
        .batch_execute(&format!(
            "BEGIN; ALTER TABLE events DISABLE TRIGGER USER;
             UPDATE events SET payload = jsonb_set(payload, '{{data,sealed}}', '\"5pS544GW44KT\"') WHERE position = {at};
             ALTER TABLE events ENABLE TRIGGER USER; COMMIT;"
        ))
        .await?;
    let found = stored::verify(&mut client, 1, u64::MAX, |_, _| {}).await?;
    ensure!(
        found.broke == Some(chain::Break::Altered { position: at }),
        "the change at {at} was not found: {:?}",
        found.broke
    );

    let scan_rate = n as f64 / scan_seconds;
    let verify_rate = n as f64 / verify_seconds;
    let ratio = verify_rate / scan_rate;
    let bytes: i64 = client
        .query_one("SELECT pg_total_relation_size('events')", &[])
        .await?
        .get(0);
    println!("| events | scan events/s | verify events/s | verify/scan (goal ≥ 0.5) |");
    println!("|---:|---:|---:|---:|");
    println!("| {n} | {scan_rate:.0} | {verify_rate:.0} | {ratio:.2} |");
    println!(
        "log size {:.0} MiB; scan {scan_seconds:.2} s, verify {verify_seconds:.2} s",
        bytes as f64 / 1_048_576.0
    );
    let summary = json!({
        "events": n,
        "scan_events_per_s": scan_rate,
        "verify_events_per_s": verify_rate,
        "ratio": ratio,
        "goal": 0.5,
        "log_bytes": bytes,
    });
    let path = target_dir().join("bench-audit.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)?)?;
    eprintln!("summary written to {}", path.display());
    Ok(())
}
