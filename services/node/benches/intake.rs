//! Intake benchmark (issue 18; R: R-02, D-07): events per second a national node
//! applies from a received report, against a raw PostgreSQL COPY of the same rows into
//! the same tables, in the same run.
//!
//! A fresh database is prepared as the national node (`000001`) with the single writer
//! in process and one incident. Each round stages one report of `ANPI_BENCH_ENTRIES`
//! (100,000) Form 1 entries, as the prefecture `130001` would send them (recorded at
//! the municipality `131016`; seeded synthetic people, `anpi_core::entry::synthetic`,
//! about 5 % of them re-descriptions of earlier persons), in parts of
//! `ANPI_BENCH_PART` (5,000) events, into `report_parts` as `bus::inbound` stages them,
//! outside the clock. The clock then times `Command::ApplyStaged`: the writer reads the
//! parts, drops events it already holds, folds every event into the private-area
//! projection with every search column, removes duplicates automatically (D-07), gives
//! positions and chain links, appends, writes `ReportReceived` and commits the whole
//! report in one transaction, as it does for a report from NATS.
//!
//! The COPY side loads the rows the round wrote, read back before its clock starts:
//! the `events` rows (same payloads, new positions and event ids) into `copy_bench`, a
//! copy of `events` with its indexes, in one binary COPY, and the `records` rows into
//! `copy_records`, a copy of `records` with its twelve indexes (the partial-search GIN
//! index among them), in another. Like the node's tables, the copies keep the earlier
//! rounds' rows, so round r of either side writes into tables holding r − 1 rounds
//! ("the same rows into the same tables"). Each timed phase starts from a fresh
//! `CHECKPOINT`.
//! intake/COPY is the share of the server's bulk-load speed for these rows that the
//! intake keeps; the goal of issue 18 is ≥ 0.5.
//!
//! `cargo bench -p anpi-node --bench intake`, with `ANPI_BENCH_ENTRIES` (100000),
//! `ANPI_BENCH_PART` (5000), `ANPI_BENCH_ROUNDS` (3) and the harness's server
//! (`ANPI_TEST_DATABASE_URL`). Without `--bench` (`cargo test --benches`) it makes one
//! small round as a smoke check.

mod common;

use std::time::Instant;

use anpi_core::entry::synthetic::{Generator, reference_now};
use anpi_core::entry::validate;
use anpi_core::event::{Actor, NewEvent, Payload};
use anpi_core::ids::{AccountId, EventId, IncidentId, LogId, RecordId};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_node::store::reports::{CheckedPart, stage_part};
use anpi_node::store::writer::{AppliedReport, Command};
use anpi_node::store::{self, writer::system_actor};
use anyhow::{Result, anyhow, ensure};
use common::{National, Tables, copy_baseline, env_or, full_run, head, median, read_back};
use uuid::Uuid;

const NATIONAL: &str = "000001";
const PREFECTURE: &str = "130001";
const MUNICIPALITY: &str = "131016";

fn code(text: &str) -> Result<JurisdictionCode> {
    JurisdictionCode::parse(text).map_err(|e| anyhow!("{e}"))
}

/// The `EntryRecorded` events of people `first..first + n`, as a municipality wrote them.
fn entries(
    generator: &Generator,
    incident: IncidentId,
    first: u64,
    n: u64,
) -> Result<Vec<NewEvent>> {
    let now = reference_now();
    let origin = code(MUNICIPALITY)?;
    let actor = Actor {
        jurisdiction: origin.clone(),
        account: AccountId::parse("clerk").map_err(anyhow::Error::msg)?,
    };
    (first..first + n)
        .map(|k| {
            let entry = validate(&generator.draft(k), now)
                .map_err(|errors| anyhow!("synthetic draft {k} is invalid: {errors:?}"))?;
            Ok(NewEvent {
                id: EventId::from_uuid(Uuid::now_v7()),
                incident: Some(incident),
                origin: origin.clone(),
                actor: actor.clone(),
                written_at: Some(entry.parsed.written_at),
                received_at: now,
                sender: None,
                payload: Payload::EntryRecorded {
                    record_id: RecordId::from_uuid(Uuid::now_v7()),
                    entry: Box::new(entry),
                    supersedes: None,
                },
            })
        })
        .collect()
}

/// Stages `events` as report number `seq` of the prefecture's log, in parts of `part`.
async fn stage(
    db: &tokio_postgres::Client,
    log_id: LogId,
    seq: i64,
    events: Vec<NewEvent>,
    part: usize,
) -> Result<()> {
    let report_id = Uuid::now_v7();
    let count = events.len() as i64;
    let chunks: Vec<Vec<NewEvent>> = events.chunks(part).map(<[_]>::to_vec).collect();
    let parts = chunks.len();
    for (i, events) in chunks.into_iter().enumerate() {
        let checked = CheckedPart {
            report_id,
            part: i as i32,
            last: i + 1 == parts,
            from: code(PREFECTURE)?,
            log_id,
            seq,
            event_count: count,
            events,
            head: None,
            since: None,
        };
        stage_part(db, &checked).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let Some(full) = full_run() else {
        return Ok(()); // a test runner listing tests: there are none here
    };
    let n = env_or("ANPI_BENCH_ENTRIES", if full { 100_000 } else { 500 });
    let part = env_or("ANPI_BENCH_PART", if full { 5_000 } else { 100 });
    let rounds = env_or("ANPI_BENCH_ROUNDS", if full { 3 } else { 1 });

    let national = code(NATIONAL)?;
    let node = National::start(&system_actor(&national), "訓練：報告の取込").await?;
    let (writer, incident) = (&node.writer, node.incident);
    let db = store::connect(&node.test_db.url).await?;
    db.batch_execute("CREATE TABLE copy_bench (LIKE events INCLUDING ALL)")
        .await?;
    let generator = Generator::new(2026);
    let log_id = LogId::from_uuid(Uuid::now_v7());

    let (mut intake, mut events_copy, mut schema_copy, mut duplicates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let r = round + 1;
        let received = entries(&generator, incident, (round * n) as u64, n as u64)?;
        stage(&db, log_id, round as i64 + 1, received, part).await?;
        let after = head(&db).await?;
        db.batch_execute("CHECKPOINT").await?;
        let started = Instant::now();
        let applied: Option<AppliedReport> = writer
            .ask(
                system_actor(&national),
                Command::ApplyStaged {
                    from: code(PREFECTURE)?,
                    log_id,
                },
            )
            .await
            .map_err(|r| anyhow!("applying the report: {r}"))?;
        let seconds = started.elapsed().as_secs_f64();
        let applied = applied.ok_or_else(|| anyhow!("round {r}: the report was not complete"))?;
        ensure!(
            applied.event_count == n as i64 && applied.appended == n as i64,
            "round {r}: {} events held, {} appended, not {n}",
            applied.event_count,
            applied.appended
        );
        intake.push(n as f64 / seconds);
        // Every row the round wrote: the entries, the dedup events and ReportReceived.
        let written = (head(&db).await? - after) as usize;
        duplicates.push(written - n - 1);
        eprintln!(
            "intake: round {r}/{rounds}: applied {n} events in {seconds:.2} s ({:.0} events/s), {} dedup events",
            intake[round], duplicates[round]
        );
        let (rows, _) = read_back(&db, after, written).await?;
        let (events_rate, entries_rate) = copy_baseline(&db, &rows, after, n, Tables::Kept).await?;
        events_copy.push(events_rate);
        // The same n entries' rows: their events and their records.
        schema_copy.push(entries_rate);
        eprintln!(
            "intake: round {r}/{rounds}: copy events {events_rate:.0} rows/s, events+records {:.0} entries/s",
            schema_copy[round]
        );
    }

    let (i, c, e) = (median(&intake), median(&schema_copy), median(&events_copy));
    println!(
        "\nintake: a received report of {n} entries in parts of {part}, applied by a national node, median of {rounds}"
    );
    println!(
        "{:<8}{:>17}{:>13}{:>17}{:>23}",
        "round", "intake events/s", "dedup events", "copy events/s", "copy events+records/s"
    );
    for r in 0..rounds {
        let (rate, dup, ev, sc) = (intake[r], duplicates[r], events_copy[r], schema_copy[r]);
        println!("{:<8}{rate:>17.0}{dup:>13}{ev:>17.0}{sc:>23.0}", r + 1);
    }
    println!("{:<8}{i:>17.0}{:>13}{e:>17.0}{c:>23.0}", "median", "");
    println!(
        "ratio intake / COPY of the same rows into the same tables (events + records): {:.4} (goal >= 0.5)",
        i / c
    );
    println!(
        "\nintake: intake_events_per_s={i:.0} copy_schema_per_s={c:.0} ratio={:.4} goal=0.5 entries={n} part={part}",
        i / c
    );
    let National {
        test_db,
        writer,
        task,
        ..
    } = node;
    drop(writer);
    task.await?;
    drop(db);
    drop(test_db);
    Ok(())
}
