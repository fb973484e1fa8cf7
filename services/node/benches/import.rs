//! Import benchmark (issue 16, C-01): Form 1 rows per second through the bulk path —
//! RecordEntries, the call `anpi entry import` makes, batches of `ANPI_BENCH_BATCH`
//! (1,000) entries, `ANPI_BENCH_IN_FLIGHT` (2) of them sent before the first is
//! answered, from `ANPI_BENCH_CLIENTS` (1) client(s), as the CLI sends them — against
//! the rate of a raw PostgreSQL COPY of the same rows into the same schema, in the
//! same run.
//!
//! Every row counted went through the node's own work: authentication, validation,
//! the domain's decision, duplicate removal (its key lookup), the events and the
//! private-area projection committed by the single writer, and one result per row.
//! The COPY side loads the same rows into the same schema: the `events` rows the bulk
//! round has just written (same payloads, new positions and event ids) into
//! `copy_bench`, a copy of `events` with its indexes, in one binary COPY, and the
//! `records` rows it wrote (the private-area projection, with its twelve indexes, the
//! partial-search GIN index among them) into `copy_records` in another, piped as
//! PostgreSQL gave them out. One statement per table, no per-row work: the practical
//! upper bound for getting these rows into this schema on this server; import/copy is
//! the share of it the import keeps. The ratio to the events rows alone (the ingest
//! benchmark's baseline) is printed too.
//!
//! `cargo bench -p anpi-node --bench import`, with `ANPI_BENCH_ENTRIES` (100000),
//! `ANPI_BENCH_BATCH` (1000), `ANPI_BENCH_IN_FLIGHT` (2), `ANPI_BENCH_CLIENTS` (1),
//! `ANPI_BENCH_ROUNDS` (3) and the
//! harness's server (`ANPI_TEST_DATABASE_URL`). Without `--bench` (`cargo test
//! --benches`) it makes one small round as a smoke check.

mod common;

use std::time::Instant;

use anpi_proto::v1;
use anyhow::{Context, Result, ensure};
use common::{
    Bench, Client, Tables, authorized, copy_baseline, env_or, evacuee, full_run, head, median,
    read_back,
};

/// Imports `entries` people (`first..`) in batches of `batch`, the batches spread over
/// the clients; rows/s.
async fn import_round(
    clients: &[Client],
    incident: &str,
    db: &tokio_postgres::Client,
    entries: usize,
    batch: usize,
    in_flight: usize,
    first: usize,
) -> Result<f64> {
    let before = head(db).await?;
    let batches: Vec<Vec<v1::BulkEntry>> = (0..entries)
        .collect::<Vec<_>>()
        .chunks(batch)
        .map(|people| {
            people
                .iter()
                .map(|k| v1::BulkEntry {
                    draft: Some(evacuee(first + k)),
                    ..Default::default()
                })
                .collect()
        })
        .collect();
    let mut work: Vec<_> = clients
        .iter()
        .map(|c| (c.node.clone(), c.token.clone(), Vec::new()))
        .collect();
    let n = work.len();
    for (i, entries) in batches.into_iter().enumerate() {
        work[i % n].2.push(entries);
    }
    let started = Instant::now();
    let tasks = work.into_iter().map(|(node, token, batches)| {
        let incident = incident.to_string();
        tokio::spawn(async move {
            // As `anpi entry import`: `in_flight` batches sent before the first is
            // answered.
            let mut flight = std::collections::VecDeque::new();
            let mut batches = batches.into_iter().peekable();
            loop {
                while flight.len() < in_flight
                    && let Some(entries) = batches.next()
                {
                    let sent = entries.len();
                    let request = v1::RecordEntriesRequest {
                        incident_id: incident.clone(),
                        entries,
                    };
                    let (mut node, token) = (node.clone(), token.clone());
                    let call = tokio::spawn(async move {
                        node.record_entries(authorized(&token, request)).await
                    });
                    flight.push_back((sent, call));
                }
                let Some((sent, call)) = flight.pop_front() else {
                    break;
                };
                let results = call.await?.context("RecordEntries")?.into_inner().results;
                ensure!(
                    results.len() == sent,
                    "{} results for {sent}",
                    results.len()
                );
                if let Some(failed) = results.iter().find(|r| !r.error.is_empty()) {
                    anyhow::bail!("an entry was refused: {}", failed.error);
                }
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

#[tokio::main]
async fn main() -> Result<()> {
    let Some(full) = full_run() else {
        return Ok(()); // a test runner listing tests: there are none here
    };
    let entries = env_or("ANPI_BENCH_ENTRIES", if full { 100_000 } else { 300 });
    let batch = env_or("ANPI_BENCH_BATCH", if full { 1000 } else { 100 });
    let clients = env_or("ANPI_BENCH_CLIENTS", 1);
    let in_flight = env_or("ANPI_BENCH_IN_FLIGHT", 2);
    let rounds = env_or("ANPI_BENCH_ROUNDS", if full { 3 } else { 1 });
    let warm_up = if full { 2000 } else { 20 };

    let bench = Bench::start(clients).await?;
    let (pool, incident, db) = (&bench.clients, &bench.incident, &bench.db);
    eprintln!("import: warm-up, {warm_up} rows");
    import_round(pool, incident, db, warm_up, batch, in_flight, 0).await?;
    let (mut import, mut events, mut schema, mut commits) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let after = head(db).await?;
        let first = warm_up + round * entries;
        // Each timed phase starts from a fresh checkpoint, so that neither pays for
        // the other's dirty pages or full-page images.
        db.batch_execute("CHECKPOINT").await?;
        import.push(import_round(pool, incident, db, entries, batch, in_flight, first).await?);
        let (rows, round_commits) = read_back(db, after, entries).await?;
        commits.push(round_commits);
        let (n, rate) = (round + 1, import[round]);
        eprintln!("import: round {n}/{rounds}: import {rate:.0} rows/s");
        let (events_rate, entries_rate) =
            copy_baseline(db, &rows, after, entries, Tables::Empty).await?;
        events.push(events_rate);
        schema.push(entries_rate);
        eprintln!(
            "import: round {n}/{rounds}: copy events {events_rate:.0} rows/s, events+records {:.0} rows/s",
            schema[round]
        );
    }

    let (i, e, c) = (median(&import), median(&events), median(&schema));
    println!(
        "\nimport: {entries} rows per round, batches of {batch}, {in_flight} in flight, {clients} client(s), median of {rounds}"
    );
    println!(
        "{:<8}{:>15}{:>10}{:>13}{:>17}{:>23}",
        "round",
        "import rows/s",
        "commits",
        "rows/commit",
        "copy events/s",
        "copy events+records/s"
    );
    for r in 0..rounds {
        let (n, rate, commits) = (r + 1, import[r], commits[r]);
        let per_commit = entries as f64 / commits as f64;
        let (ev, sc) = (events[r], schema[r]);
        println!("{n:<8}{rate:>15.0}{commits:>10}{per_commit:>13.1}{ev:>17.0}{sc:>23.0}");
    }
    println!("{:<8}{i:>15.0}{:>23}{e:>17.0}{c:>23.0}", "median", "");
    println!(
        "ratio import / COPY of the same rows into the same schema (events + records): {:.4} (goal >= 0.5)",
        i / c
    );
    println!(
        "ratio import / COPY of the events rows alone: {:.4}\n",
        i / e
    );
    println!(
        "import: import_rows_per_s={i:.0} copy_schema_rows_per_s={c:.0} ratio={:.4} copy_events_rows_per_s={e:.0} ratio_events={:.4} rows={entries} batch={batch} in_flight={in_flight} clients={clients}",
        i / c,
        i / e
    );
    bench.stop().await
}
