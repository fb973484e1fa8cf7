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

mod common;

use std::time::Instant;

use anpi_proto::v1;
use anyhow::{Context, Result, ensure};
use common::{Bench, Client, authorized, copy_round, env_or, evacuee, head, median, read_back};

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
    let bench = Bench::start(clients).await?;
    let (pool, incident, db) = (&bench.clients, &bench.incident, &bench.db);

    eprintln!("ingest: warm-up, {warm_up} entries");
    grpc_round(pool, incident, db, warm_up, 0).await?;
    let (mut grpc, mut copy, mut commits) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let after = head(db).await?;
        let first = warm_up + round * entries;
        grpc.push(grpc_round(pool, incident, db, entries, first).await?);
        let (rows, round_commits) = read_back(db, after, entries).await?;
        commits.push(round_commits);
        let (n, rate) = (round + 1, grpc[round]);
        eprintln!("ingest: round {n}/{rounds}: grpc {rate:.0} entries/s");
        copy.push(copy_round(db, &rows).await?);
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

    bench.stop().await
}
