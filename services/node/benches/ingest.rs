//! Ingest benchmark: Form 1 entries per second through the gRPC API, against the rate
//! of a raw PostgreSQL COPY of equivalent rows on the same server, in the same run.
//!
//! The gRPC side is the whole path a client sees: `CLIENTS` concurrent clients, each on
//! its own HTTP/2 connection with its own bearer token, call `RecordEntry` one entry at a
//! time; the node authenticates, validates, hands the entry to the single writer (which
//! group-commits the events and the private-area projection) and answers after the
//! commit, so every entry counted is durable.
//!
//! The COPY side loads the same rows, made from the events the gRPC round has just
//! written (same payloads, new positions and event ids), into `copy_bench`, a copy of
//! `events` with its primary key, unique `event_id` and partial `record_id` index, in
//! one binary COPY: one statement, one transaction, one commit, no per-row statement or
//! round trip; and the `records` rows the round wrote (the private-area projection) into
//! `copy_records`, a copy of `records` with its indexes, in another, as the import
//! benchmark does. The goal (issue 18, ≥ 0.3) is set against both tables, the rows an
//! entry writes; the ratio to the events rows alone (the first baseline) is printed
//! too. That is the practical upper bound for getting these rows, with these
//! indexes, into this server; grpc/copy is the share of it the API keeps while doing its
//! own work (auth, validation, projection, one reply per entry).
//!
//! Then the latency one clerk sees (issue 18): one client records
//! `ANPI_BENCH_LATENCY` (2,000) entries one after another, each call timed from the
//! request until the reply after the commit; beside it, the same events rows inserted
//! one by one into `copy_bench`, each an autocommit `INSERT` (its own transaction and
//! commit), timed the same way. The goal is a p50 at most 2× the INSERT's.
//!
//! `cargo bench -p anpi-node --bench ingest`, with `ANPI_BENCH_ENTRIES` (20000),
//! `ANPI_BENCH_CLIENTS` (32), `ANPI_BENCH_ROUNDS` (3), `ANPI_BENCH_LATENCY` (2000) and
//! the harness's server
//! (`ANPI_TEST_DATABASE_URL`). Without `--bench` (`cargo test --benches`) it makes one
//! small round as a smoke check.

mod common;

use std::time::Instant;

use anpi_proto::v1;
use anyhow::{Context, Result, ensure};
use common::{
    Bench, Client, Tables, authorized, copy_baseline, env_or, evacuee, full_run, head,
    insert_latencies, median, percentile, read_back,
};

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

/// Records people `first..first + n` one after another from one client; the latency
/// of each call in milliseconds.
async fn latency_round(
    client: &Client,
    incident: &str,
    db: &tokio_postgres::Client,
    n: usize,
    first: usize,
) -> Result<Vec<f64>> {
    let before = head(db).await?;
    let mut node = client.node.clone();
    let mut latencies = Vec::with_capacity(n);
    for k in first..first + n {
        let request = v1::RecordEntryRequest {
            incident_id: incident.to_string(),
            draft: Some(evacuee(k)),
            ..Default::default()
        };
        let started = Instant::now();
        node.record_entry(authorized(&client.token, request))
            .await
            .context("RecordEntry")?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let grew = head(db).await? - before;
    ensure!(grew == n as i64, "log grew by {grew}, not {n}");
    Ok(latencies)
}

#[tokio::main]
async fn main() -> Result<()> {
    let Some(full) = full_run() else {
        return Ok(()); // a test runner listing tests: there are none here
    };
    let entries = env_or("ANPI_BENCH_ENTRIES", if full { 20_000 } else { 200 });
    let clients = env_or("ANPI_BENCH_CLIENTS", if full { 32 } else { 4 });
    let rounds = env_or("ANPI_BENCH_ROUNDS", if full { 3 } else { 1 });
    let latency = env_or("ANPI_BENCH_LATENCY", if full { 2_000 } else { 50 });
    let warm_up = if full { 500 } else { 20 };

    // The node, in process on a fresh database, as in the API tests.
    let bench = Bench::start(clients).await?;
    let (pool, incident, db) = (&bench.clients, &bench.incident, &bench.db);

    eprintln!("ingest: warm-up, {warm_up} entries");
    grpc_round(pool, incident, db, warm_up, 0).await?;
    let (mut grpc, mut copy, mut schema, mut commits) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let after = head(db).await?;
        let first = warm_up + round * entries;
        grpc.push(grpc_round(pool, incident, db, entries, first).await?);
        let (rows, round_commits) = read_back(db, after, entries).await?;
        commits.push(round_commits);
        let (n, rate) = (round + 1, grpc[round]);
        eprintln!("ingest: round {n}/{rounds}: grpc {rate:.0} entries/s");
        let (events_rate, entries_rate) =
            copy_baseline(db, &rows, after, entries, Tables::Empty).await?;
        copy.push(events_rate);
        schema.push(entries_rate);
        eprintln!(
            "ingest: round {n}/{rounds}: copy events {events_rate:.0} rows/s, events+records {:.0} rows/s",
            schema[round]
        );
    }

    let (g, c, s) = (median(&grpc), median(&copy), median(&schema));
    println!("\ningest: {entries} entries per round, {clients} clients, median of {rounds}");
    println!(
        "{:<8}{:>16}{:>10}{:>16}{:>16}{:>23}",
        "round",
        "grpc entries/s",
        "commits",
        "entries/commit",
        "copy events/s",
        "copy events+records/s"
    );
    for r in 0..rounds {
        let (n, rate, commits, rows, both) = (r + 1, grpc[r], commits[r], copy[r], schema[r]);
        let per_commit = entries as f64 / commits as f64;
        println!("{n:<8}{rate:>16.0}{commits:>10}{per_commit:>16.1}{rows:>16.0}{both:>23.0}");
    }
    println!("{:<8}{g:>16.0}{:>26}{c:>16.0}{s:>23.0}", "median", "");
    println!(
        "ratio grpc / COPY of the same rows into the same schema (events + records): {:.4} (goal >= 0.3)",
        g / s
    );
    println!("ratio grpc / COPY of the events rows alone: {:.4}\n", g / c);
    println!(
        "ingest: grpc_entries_per_s={g:.0} copy_schema_rows_per_s={s:.0} ratio={:.4} goal=0.3 copy_events_rows_per_s={c:.0} ratio_events={:.4} entries={entries} clients={clients}",
        g / s,
        g / c
    );

    // One clerk: one client, one entry at a time, against autocommit INSERTs.
    let first = warm_up + rounds * entries;
    let after = head(db).await?;
    let mut grpc_ms = latency_round(&pool[0], incident, db, latency, first).await?;
    let (rows, _) = read_back(db, after, latency).await?;
    let mut insert_ms = insert_latencies(db, &rows).await?;
    grpc_ms.sort_by(f64::total_cmp);
    insert_ms.sort_by(f64::total_cmp);
    let (g50, g99) = (percentile(&grpc_ms, 0.5), percentile(&grpc_ms, 0.99));
    let (i50, i99) = (percentile(&insert_ms, 0.5), percentile(&insert_ms, 0.99));
    println!("latency, 1 client, {latency} entries one after another (ms)");
    println!("{:<26}{:>10}{:>10}", "", "p50", "p99");
    println!("{:<26}{g50:>10.3}{g99:>10.3}", "RecordEntry (gRPC)");
    println!("{:<26}{i50:>10.3}{i99:>10.3}", "autocommit INSERT");
    println!(
        "ratio p50 RecordEntry / INSERT: {:.2} (goal <= 2)\n",
        g50 / i50
    );
    println!(
        "ingest: latency_p50_ms={g50:.3} latency_p99_ms={g99:.3} insert_p50_ms={i50:.3} insert_p99_ms={i99:.3} ratio_p50={:.2} goal=2",
        g50 / i50
    );

    bench.stop().await
}
