//! National read-model benchmark (issue 5; R: P-01, P-03, S-01, S-02): a national node
//! holding N synthetic records, measured against the limits of the same PostgreSQL
//! server in the same run.
//!
//! What is measured, in order:
//!
//! 1. **Load.** A fresh database, prepared as a national node (`000001`), the single
//!    writer in process, one incident, then N records from the seeded generator
//!    (`anpi_core::entry::synthetic`, ~5% re-descriptions of earlier persons) through
//!    the real write path: `validate`, `DomainCommand::RecordEntry`, group commit, the
//!    private-area projection with every search column and automatic duplicate removal.
//!    Entries are submitted in windows of 2,000 concurrent commands (two windows in
//!    flight) so the writer group-commits; validation runs ahead on a blocking thread.
//!    Reported: records/s, and the DuplicateRemoved / DuplicateFlagged events written.
//! 2. **Search latency (S-01, S-02).** Queries drawn from the generated data
//!    (deterministic from the seed), per kind: `exact_name` (tolerant exact, the full
//!    name without its space), `partial_1` (one character of a given name),
//!    `partial_2` (a two-character given name, or two consecutive characters of the
//!    name), `partial_3plus` (3 to 5 consecutive characters of the name, furigana,
//!    address or identifying information, in turn). Each runs through
//!    `store::search::search` (limit 100, newest 記入日時 first) → p50 / p99 / max. The
//!    baseline: the same predicate as a plain sequential scan (`LIKE '%key%'` on the
//!    stored search column with the same folded key, `name_key = $1` for exact; index
//!    and bitmap scans disabled on that connection; same ORDER BY, LIMIT 101) over a
//!    smaller sample. index/seqscan below 1 means the indexes pay off. Both return the
//!    same records (checked). The median number of hits per kind shows how large the
//!    result sets of one-character queries are (only the first 100 are fetched).
//! 3. **Replay (P-03).** `projection::replay_into` rebuilds the read model from
//!    position 0 into the schema `bench_replay` (every column and index, the GIN gram
//!    index included) → events/s. The limit beside it: one sequential scan of the same
//!    log, `SELECT count(*), sum(octet_length(payload::text)) FROM events`, i.e. reading
//!    every event and its payload once and doing nothing with it → events/s. Both read
//!    a warm log: the scan runs twice and the second is timed; the replay runs after
//!    both. replay/scan is the share of the bare read speed that folding and writing
//!    the read model keeps. The replayed rows must equal the live ones or the
//!    benchmark fails: it never reports the speed of a wrong result. Before the
//!    replay, the live records are kept as digests (`projection::keep_live_digests`:
//!    ID, last position, MD5 of the whole row) and their rows dropped, so that the
//!    disk holds the log and one read model rather than two (10,000,000 records would
//!    not fit twice beside the log on the bench machine); `compare_with_kept` then
//!    compares every replayed row with its live digest (0 differences, and as many
//!    records on each side).
//!
//! 4. **Issue 18's goals.** A last table puts each of this run's figures beside its
//!    goal: replay/scan ≥ 0.5; per kind of search, the p99 at least 10× faster than
//!    the sequential `LIKE` and the p95 of selective queries (those with at most
//!    `LIMIT` hits) ≤ 50 ms; storage per record (`records` with its indexes and TOAST,
//!    plus `events` and `data_keys`, over N) ≤ 2 KiB; and the peak RSS of this process
//!    (the writer, the generator, the searches and the replay in process; `VmHWM`)
//!    ≤ 256 MiB. The intake, ingest and report goals have their own benchmarks
//!    (`intake`, `ingest`, anpi-e2e `report`).
//!
//! Before measuring reads, `VACUUM (ANALYZE)` runs on `events` and `records`, as
//! autovacuum would have done on a serving node after a bulk load.
//!
//! Run: `cargo bench -p anpi-node --bench national -- --records 1000000` (the default;
//! `--records 10000000` for 10M, `--seed S` (2026), `--queries Q` (200 per kind),
//! `--baseline-queries B` (20 per kind: each reads the whole records table, which at
//! 10 M no longer fits in memory), or `ANPI_BENCH_RECORDS`), on the harness's server
//! (`ANPI_TEST_DATABASE_URL`). Without `--bench` (`cargo test --benches`) it makes a
//! small smoke run (2,000 records, 20 queries per kind). The summary goes to stdout as a markdown table and to
//! `<target dir>/bench-national.json` (`bench-national-smoke.json` for the smoke run).
//! `ANPI_BENCH_KEEP_DB=1` keeps the database afterwards (its name is printed) to look at
//! query plans by hand. `--no-replay` stops after the search and storage figures (at
//! 10 M it saves the 45 minutes of step 3; the replay rows then read "not run").

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::Instant;

mod common;

use anpi_core::command::Command as DomainCommand;
use anpi_core::entry::synthetic::{Generator, reference_now};
use anpi_core::entry::{Entry, validate};
use anpi_core::event::Actor;
use anpi_core::ids::{AccountId, IncidentId};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::RecordState;
use anpi_core::search::{Query, QueryDraft};
use anpi_node::store::search::{self as queries, Table};
use anpi_node::store::writer::{Outcome, Writer};
use anpi_node::store::{self, projection, reader};
use anyhow::{Context, Result, anyhow, bail, ensure};
use common::National;
use serde_json::json;
use uuid::Uuid;

/// The national jurisdiction.
const NATIONAL: &str = "000001";
/// Entries submitted together (joined futures); two windows are in flight.
const WINDOW: u64 = 2_000;
/// The search limit of the API.
const LIMIT: i64 = 100;
/// The replay schema.
const REPLAY_SCHEMA: &str = "bench_replay";
/// The digests of the live records (`projection::keep_live_digests`), kept while the
/// live rows are dropped to make room for the replay.
const KEPT_DIGESTS: &str = "bench_live_digests";
/// The bare read of the log: every event and its payload, once.
/// (The sum is a `numeric`; the cast reads it back as a number.)
const SCAN_SQL: &str = "SELECT count(*), sum(octet_length(payload::text))::bigint FROM events";

/// What the command line and the environment ask for.
struct Settings {
    records: u64,
    seed: u64,
    queries: usize,
    /// At most this many queries per kind for the sequential-scan baseline.
    baseline_queries: usize,
    /// At most this many queries per kind are counted (their full number of hits).
    counted_queries: usize,
    full: bool,
    /// Skip step 3 (`--no-replay`).
    no_replay: bool,
}

fn number(flag: &str, text: &str) -> Result<u64> {
    text.replace('_', "")
        .parse()
        .with_context(|| format!("{flag}: `{text}` is not a number"))
}

fn settings() -> Result<Settings> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let no_replay = args.iter().any(|a| a == "--no-replay");
    let mut records = None;
    let mut seed = 2026;
    let mut queries = None;
    let mut baseline = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        if !matches!(
            flag,
            "--records" | "--seed" | "--queries" | "--baseline-queries"
        ) {
            continue; // --bench, test-runner flags and filters
        }
        let value = match inline {
            Some(value) => value,
            None => rest
                .next()
                .cloned()
                .with_context(|| format!("{flag} needs a value"))?,
        };
        let value = number(flag, &value)?;
        match flag {
            "--records" => records = Some(value),
            "--seed" => seed = value,
            "--baseline-queries" => baseline = Some(value as usize),
            _ => queries = Some(value as usize),
        }
    }
    // The environment applies to real runs only, so a smoke run stays small.
    if records.is_none()
        && full
        && let Ok(text) = std::env::var("ANPI_BENCH_RECORDS")
    {
        records = Some(number("ANPI_BENCH_RECORDS", &text)?);
    }
    let records = records.unwrap_or(if full { 1_000_000 } else { 2_000 });
    let queries = queries.unwrap_or(if full { 200 } else { 20 });
    ensure!(records >= 100, "--records: at least 100");
    ensure!(queries >= 1, "--queries: at least 1");
    let baseline_queries = baseline.unwrap_or(20).min(queries);
    ensure!(baseline_queries >= 1, "--baseline-queries: at least 1");
    Ok(Settings {
        records,
        seed,
        queries,
        baseline_queries,
        counted_queries: queries.min(50),
        full,
        no_replay,
    })
}

/// xorshift64* numbers for drawing query samples (independent of the generator's own
/// streams, deterministic from the seed).
struct Dice(u64);

impl Dice {
    fn new(seed: u64, salt: u64) -> Dice {
        let state = (seed ^ 0x6A09_E667_F3BC_C908).wrapping_mul(salt | 1) ^ salt;
        Dice(if state == 0 { 1 } else { state })
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `0..bound` (`bound > 0`; the modulo bias is negligible here).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn rate(count: f64, seconds: f64) -> f64 {
    if seconds > 0.0 { count / seconds } else { 0.0 }
}

// ---------------------------------------------------------------------------------
// Load.

struct LoadStats {
    seconds: f64,
    events: i64,
    kinds: BTreeMap<String, i64>,
}

/// Records `n` synthetic entries through the writer; validation runs ahead on a
/// blocking thread, two windows of `WINDOW` concurrent submissions are in flight.
async fn load(
    writer: &Writer,
    actor: &Actor,
    incident: IncidentId,
    generator: &Generator,
    n: u64,
    every: u64,
) -> Result<f64> {
    let (sender, mut windows) = tokio::sync::mpsc::channel::<Vec<Entry>>(2);
    let producer = {
        let generator = generator.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            let now = reference_now();
            let mut start = 0;
            while start < n {
                let end = (start + WINDOW).min(n);
                let mut entries = Vec::with_capacity((end - start) as usize);
                for k in start..end {
                    let entry = validate(&generator.draft(k), now)
                        .map_err(|errors| anyhow!("synthetic draft {k} is invalid: {errors:?}"))?;
                    entries.push(entry);
                }
                if sender.blocking_send(entries).is_err() {
                    return Ok(()); // the consumer stopped (and reports why)
                }
                start = end;
            }
            Ok(())
        })
    };

    let started = Instant::now();
    let mut in_flight: VecDeque<tokio::task::JoinHandle<Result<u64>>> = VecDeque::new();
    let mut done = 0u64;
    let (mut next_report, mut last_done, mut last_time) = (every, 0u64, 0.0f64);
    let mut report = |done: u64| {
        if done >= next_report || done == n {
            let elapsed = started.elapsed().as_secs_f64();
            let recent = rate((done - last_done) as f64, elapsed - last_time);
            eprintln!(
                "national: load {done}/{n} records, {:.0} records/s overall, {recent:.0} since last, {elapsed:.1} s",
                rate(done as f64, elapsed)
            );
            (last_done, last_time) = (done, elapsed);
            while next_report <= done {
                next_report += every;
            }
        }
    };
    loop {
        let window = windows.recv().await;
        let finished = window.is_none();
        if let Some(entries) = window {
            let writer = writer.clone();
            let actor = actor.clone();
            in_flight.push_back(tokio::spawn(async move {
                let count = entries.len() as u64;
                let submissions = entries.into_iter().map(|entry| {
                    writer.submit(
                        actor.clone(),
                        DomainCommand::RecordEntry {
                            incident,
                            entry: Box::new(entry),
                            supersedes: None,
                            confirm_same_person: false,
                        },
                    )
                });
                for outcome in futures::future::join_all(submissions).await {
                    match outcome {
                        Ok(Outcome::Record { .. }) => {}
                        Ok(other) => bail!("unexpected outcome {other:?}"),
                        Err(rejection) => bail!("entry rejected: {rejection}"),
                    }
                }
                Ok(count)
            }));
        }
        while in_flight.len() >= 2 || (finished && !in_flight.is_empty()) {
            let window = in_flight.pop_front().expect("a window in flight");
            done += window.await??;
            report(done);
        }
        if finished {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    producer.await??;
    ensure!(done == n, "recorded {done} of {n} entries");
    Ok(seconds)
}

async fn events_by_kind(db: &tokio_postgres::Client) -> Result<BTreeMap<String, i64>> {
    let rows = db
        .query("SELECT kind, count(*) FROM events GROUP BY kind", &[])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

// ---------------------------------------------------------------------------------
// Replay against the bare scan.

struct ReplayStats {
    events: u64,
    replay_seconds: f64,
    scan_first_seconds: f64,
    scan_seconds: f64,
    payload_bytes: i64,
    compare_seconds: f64,
}

impl ReplayStats {
    /// Events/s of the replay and of the bare scan of the `head` events in the log.
    fn rates(&self, head: i64) -> (f64, f64) {
        (
            rate(self.events as f64, self.replay_seconds),
            rate(head as f64, self.scan_seconds),
        )
    }
}

async fn scan(db: &tokio_postgres::Client) -> Result<(f64, i64, i64)> {
    let started = Instant::now();
    let row = db.query_one(SCAN_SQL, &[]).await?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes: Option<i64> = row.get(1);
    Ok((seconds, row.get(0), bytes.unwrap_or(0)))
}

/// Replays the log into [`REPLAY_SCHEMA`] against the bare scan, then compares the
/// replayed records with the `live` ones whose digests are kept in [`KEPT_DIGESTS`].
async fn replay(url: &str, head: i64, every: i64, live: u64) -> Result<ReplayStats> {
    let mut client = store::connect(url).await?;
    let reader = store::connect(url).await?;
    let (scan_first_seconds, _, _) = scan(&client).await?;
    let (scan_seconds, scanned, payload_bytes) = scan(&client).await?;
    ensure!(
        scanned == head,
        "the scan read {scanned} events, the head is {head}"
    );
    eprintln!(
        "national: scan of the log: {scanned} events, first run {scan_first_seconds:.2} s, second (timed) {scan_seconds:.2} s"
    );

    let started = Instant::now();
    let mut next_report = every;
    let events = projection::replay_into(
        &mut client,
        &reader,
        REPLAY_SCHEMA,
        head,
        |reached, through| {
            if reached >= next_report || reached == through {
                let elapsed = started.elapsed().as_secs_f64();
                eprintln!(
                    "national: replay {reached}/{through} events, {:.0} events/s, {elapsed:.1} s",
                    rate(reached as f64, elapsed)
                );
                while next_report <= reached {
                    next_report += every;
                }
            }
        },
    )
    .await?;
    let replay_seconds = started.elapsed().as_secs_f64();
    ensure!(
        events == head as u64,
        "replay folded {events} events, the head is {head}"
    );

    let started = Instant::now();
    let (differences, ids) =
        projection::compare_with_kept(&client, KEPT_DIGESTS, REPLAY_SCHEMA, head).await?;
    let compare_seconds = started.elapsed().as_secs_f64();
    ensure!(
        differences == 0,
        "the replayed read model differs from the live one in {differences} rows, e.g. {ids:?}"
    );
    let replayed: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM {REPLAY_SCHEMA}.records"),
            &[],
        )
        .await?
        .get(0);
    ensure!(
        replayed as u64 == live,
        "replayed {replayed} records, live {live}"
    );
    eprintln!(
        "national: replay = live ({live} records, compared in {compare_seconds:.1} s); dropping {REPLAY_SCHEMA}"
    );
    client
        .batch_execute(&format!(
            "DROP SCHEMA {REPLAY_SCHEMA} CASCADE; DROP TABLE {KEPT_DIGESTS}"
        ))
        .await?;
    Ok(ReplayStats {
        events,
        replay_seconds,
        scan_first_seconds,
        scan_seconds,
        payload_bytes,
        compare_seconds,
    })
}

// ---------------------------------------------------------------------------------
// Search samples.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ExactName,
    Partial1,
    Partial2,
    Partial3Plus,
}

const KINDS: [Kind; 4] = [
    Kind::ExactName,
    Kind::Partial1,
    Kind::Partial2,
    Kind::Partial3Plus,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ExactName => "exact_name",
            Kind::Partial1 => "partial_1",
            Kind::Partial2 => "partial_2",
            Kind::Partial3Plus => "partial_3plus",
        }
    }
}

/// One query of the sample, with what the baseline needs.
struct Sample {
    /// The text as typed and the field it was typed into (for the output).
    typed: String,
    field: &'static str,
    query: Query,
    /// The stored column the baseline scans and the folded key it looks for.
    column: &'static str,
    key: String,
}

fn without_spaces(text: &str) -> Vec<char> {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A run of `len` consecutive characters of `chars` at a random place.
fn slice(dice: &mut Dice, chars: &[char], len: usize) -> Option<String> {
    if chars.len() < len || len == 0 {
        return None;
    }
    let start = dice.below((chars.len() - len + 1) as u64) as usize;
    Some(chars[start..start + len].iter().collect())
}

/// A candidate query of `kind` from one record, or `None` when the record does not
/// offer one (no name, too short, nothing searchable after folding).
fn candidate(kind: Kind, i: usize, entry: &Entry, dice: &mut Dice) -> Option<Sample> {
    let name = entry.draft.name.trim();
    let given: Vec<char> = name
        .split_whitespace()
        .last()
        .map(|g| g.chars().collect())
        .unwrap_or_default();
    let (field, typed) = match kind {
        Kind::ExactName => ("name", without_spaces(name).into_iter().collect()),
        Kind::Partial1 => ("name", slice(dice, &given, 1)?),
        Kind::Partial2 if given.len() == 2 => ("name", given.iter().collect()),
        Kind::Partial2 => ("name", slice(dice, &without_spaces(name), 2)?),
        Kind::Partial3Plus => {
            let (field, text) = match i % 4 {
                0 => ("name", name.to_string()),
                1 => ("kana", entry.parsed.furigana.clone().unwrap_or_default()),
                2 => ("address", entry.address_line()),
                _ => ("text", entry.parsed.identifying_info.clone()),
            };
            let chars = without_spaces(&text);
            let len = 3 + dice.below(3) as usize;
            (field, slice(dice, &chars, len.min(chars.len()).max(3))?)
        }
    };
    if typed.is_empty() {
        return None;
    }
    let mut draft = QueryDraft {
        fuzzy: kind != Kind::ExactName,
        ..QueryDraft::default()
    };
    match field {
        "name" => draft.name = typed.clone(),
        "kana" => draft.kana = typed.clone(),
        "address" => draft.address = typed.clone(),
        _ => draft.text = typed.clone(),
    }
    let query = Query::parse(&draft).ok()?;
    let (column, key) = match field {
        "name" if kind == Kind::ExactName => ("name_key", query.name.clone()?),
        "name" => ("name_search", query.name.clone()?),
        "kana" => ("kana_search", query.kana.clone()?),
        "address" => ("address_search", query.address.clone()?),
        _ => ("text_search", query.text.clone()?),
    };
    let folded = key.chars().count();
    let fits = match kind {
        Kind::ExactName => true,
        Kind::Partial1 => folded == 1,
        Kind::Partial2 => folded == 2,
        Kind::Partial3Plus => folded >= 3,
    };
    fits.then_some(Sample {
        typed,
        field,
        query,
        column,
        key,
    })
}

/// `count` queries of `kind` drawn from the `records` generated records.
fn samples(kind: Kind, generator: &Generator, records: u64, count: usize) -> Result<Vec<Sample>> {
    let mut dice = Dice::new(generator.seed(), kind as u64 + 1);
    let mut out = Vec::with_capacity(count);
    let mut attempts = 0;
    while out.len() < count {
        attempts += 1;
        ensure!(
            attempts <= 100 * count + 1_000,
            "cannot draw {count} {} queries",
            kind.name()
        );
        let n = dice.below(records);
        let Ok(entry) = validate(&generator.draft(n), reference_now()) else {
            bail!("synthetic draft {n} is invalid");
        };
        if let Some(sample) = candidate(kind, out.len(), &entry, &mut dice) {
            out.push(sample);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// Search runs.

/// One timed query: milliseconds, the records returned (newest first).
struct Timed {
    ms: f64,
    ids: Vec<Uuid>,
    truncated: bool,
}

async fn run_index(db: &tokio_postgres::Client, sample: &Sample) -> Result<Timed> {
    let started = Instant::now();
    let (found, truncated) =
        queries::search(db, Table::Records, &sample.query, None, LIMIT).await?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(Timed {
        ms,
        ids: found.iter().map(|s| s.record_id.as_uuid()).collect(),
        truncated,
    })
}

fn like_pattern(key: &str) -> String {
    let mut pattern = String::from("%");
    for c in key.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The baseline statement and its parameter.
fn baseline_sql(sample: &Sample) -> (String, String) {
    let column = sample.column;
    if column == "name_key" {
        let sql = format!(
            "SELECT data FROM records WHERE {column} = $1 ORDER BY written_at DESC, record_id LIMIT {}",
            LIMIT + 1
        );
        (sql, sample.key.clone())
    } else {
        let sql = format!(
            "SELECT data FROM records WHERE {column} LIKE $1 ORDER BY written_at DESC, record_id LIMIT {}",
            LIMIT + 1
        );
        (sql, like_pattern(&sample.key))
    }
}

/// The same predicate as a sequential scan (on a connection with index scans off),
/// with the same client-side work (decoding the records).
async fn run_baseline(seq: &tokio_postgres::Client, sample: &Sample) -> Result<Timed> {
    let (sql, param) = baseline_sql(sample);
    let started = Instant::now();
    let rows = seq.query(sql.as_str(), &[&param]).await?;
    let mut states = rows
        .iter()
        .map(|row| serde_json::from_value(row.get::<_, serde_json::Value>(0)))
        .collect::<serde_json::Result<Vec<RecordState>>>()?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let truncated = states.len() as i64 > LIMIT;
    states.truncate(LIMIT as usize);
    Ok(Timed {
        ms,
        ids: states.iter().map(|s| s.record_id.as_uuid()).collect(),
        truncated,
    })
}

/// The predicate of `search`'s statement over the whole table for a sample (for
/// counting every hit), and its parameters.
fn index_predicate(
    sample: &Sample,
) -> (
    String,
    Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>>,
) {
    if sample.column == "name_key" {
        ("name_key = $1".into(), vec![Box::new(sample.key.clone())])
    } else {
        (
            format!("grams @> $1::text[] AND strpos({}, $2) > 0", sample.column),
            vec![
                Box::new(sample.query.required_grams()),
                Box::new(sample.key.clone()),
            ],
        )
    }
}

/// Every record the sample matches (not only the first 100).
async fn count_hits(db: &tokio_postgres::Client, sample: &Sample) -> Result<i64> {
    let (predicate, params) = index_predicate(sample);
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        params.iter().map(|p| p.as_ref() as _).collect();
    let sql = format!("SELECT count(*) FROM records WHERE {predicate}");
    Ok(db.query_one(sql.as_str(), &params).await?.get(0))
}

fn plan_lines(rows: Vec<tokio_postgres::Row>) -> Vec<String> {
    rows.iter().map(|r| r.get(0)).collect()
}

/// EXPLAIN (ANALYZE, BUFFERS) of the statements the search runs for a sample, in the
/// order it runs them (`queries::plan`): newest windows while they are worth reading,
/// each headed by its rows and the hits it held, until one holds more than `LIMIT`
/// hits; else the statement over the whole table.
async fn explain_index(db: &tokio_postgres::Client, sample: &Sample) -> Result<Vec<String>> {
    let plan = queries::plan(
        db,
        Table::Records,
        &sample.query,
        None,
        LIMIT,
        queries::NEWEST_WINDOW,
    )
    .await?;
    let explain = |statement: queries::Statement| async move {
        let sql = format!("EXPLAIN (ANALYZE, BUFFERS) {}", statement.sql);
        Ok::<_, anyhow::Error>(plan_lines(
            db.query(sql.as_str(), &statement.params()).await?,
        ))
    };
    let mut lines = Vec::new();
    let mut window = plan.window;
    while let Some(rows) = window {
        let statement = plan.window_statement(rows);
        let hits = db
            .query(statement.sql.as_str(), &statement.params())
            .await?
            .len() as i64;
        lines.push(format!("newest {rows} records, {hits} hits:"));
        lines.extend(explain(statement).await?);
        if hits > LIMIT {
            return Ok(lines);
        }
        window = plan.next_window(rows, hits);
    }
    if !lines.is_empty() {
        lines.push("whole table:".to_string());
    }
    lines.extend(explain(plan.full).await?);
    Ok(lines)
}

/// EXPLAIN (ANALYZE, BUFFERS) of the baseline statement for a sample.
async fn explain_baseline(seq: &tokio_postgres::Client, sample: &Sample) -> Result<Vec<String>> {
    let (sql, param) = baseline_sql(sample);
    let sql = format!("EXPLAIN (ANALYZE, BUFFERS) {sql}");
    Ok(plan_lines(seq.query(sql.as_str(), &[&param]).await?))
}

/// The first scan node of a plan (what decides the cost), trimmed.
fn scan_node(plan: &[String]) -> String {
    plan.iter()
        .find(|line| line.contains("Scan"))
        .or_else(|| plan.first())
        .map(|line| line.trim().trim_start_matches("->").trim().to_string())
        .unwrap_or_default()
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0
}

struct Latency {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    n: usize,
}

impl Latency {
    fn of(ms: &[f64]) -> Latency {
        let mut sorted = ms.to_vec();
        sorted.sort_by(f64::total_cmp);
        Latency {
            p50: percentile(&sorted, 0.50),
            p95: percentile(&sorted, 0.95),
            p99: percentile(&sorted, 0.99),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            n: sorted.len(),
        }
    }
}

struct KindResult {
    kind: Kind,
    index: Latency,
    /// The searches with at most `LIMIT` hits (selective queries: the whole answer fits
    /// one page).
    selective: Latency,
    baseline: Latency,
    hits_median: f64,
    hits_max: i64,
    counted: usize,
    truncated: usize,
    index_plan: Vec<String>,
    baseline_plan: Vec<String>,
    example: String,
    slowest: Slowest,
}

/// The slowest search of a kind: what was typed, how long it took, how many records
/// match it, and its plan (run again under EXPLAIN ANALYZE).
struct Slowest {
    typed: String,
    ms: f64,
    hits: i64,
    plan: Vec<String>,
}

async fn measure_kind(
    db: &tokio_postgres::Client,
    seq: &tokio_postgres::Client,
    kind: Kind,
    samples: &[Sample],
    settings: &Settings,
) -> Result<KindResult> {
    // Warm-up (untimed): the first queries of the sample once, one baseline scan.
    for sample in samples.iter().take(10) {
        run_index(db, sample).await?;
    }
    run_baseline(seq, &samples[0]).await?;

    let mut index_ms = Vec::new();
    let mut index_runs = Vec::new();
    for sample in samples {
        let timed = run_index(db, sample).await?;
        ensure!(
            !timed.ids.is_empty(),
            "{} query {:?} ({}) found nothing, not even the record it was drawn from",
            kind.name(),
            sample.typed,
            sample.field
        );
        index_ms.push(timed.ms);
        index_runs.push(timed);
    }
    let mut baseline_ms = Vec::new();
    for (sample, indexed) in samples
        .iter()
        .zip(&index_runs)
        .take(settings.baseline_queries)
    {
        let timed = run_baseline(seq, sample).await?;
        ensure!(
            timed.ids == indexed.ids && timed.truncated == indexed.truncated,
            "{} query {:?} ({}): the sequential scan found other records than the search",
            kind.name(),
            sample.typed,
            sample.field
        );
        baseline_ms.push(timed.ms);
    }
    let mut hits = Vec::new();
    for sample in samples.iter().take(settings.counted_queries) {
        hits.push(count_hits(db, sample).await?);
    }
    let index_plan = explain_index(db, &samples[0]).await?;
    let baseline_plan = explain_baseline(seq, &samples[0]).await?;
    let (worst, worst_ms) = index_ms
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, ms)| (&samples[i], *ms))
        .expect("at least one query");
    let slowest = Slowest {
        typed: format!("{} ({})", worst.typed, worst.field),
        ms: worst_ms,
        hits: count_hits(db, worst).await?,
        plan: explain_index(db, worst).await?,
    };
    eprintln!(
        "national: {} — slowest search {} in {:.2} ms, {} hits; EXPLAIN:\n  {}",
        kind.name(),
        slowest.typed,
        slowest.ms,
        slowest.hits,
        slowest.plan.join("\n  ")
    );
    eprintln!(
        "national: {} — EXPLAIN of {:?} ({}), search:\n  {}\nbaseline:\n  {}",
        kind.name(),
        samples[0].typed,
        samples[0].field,
        index_plan.join("\n  "),
        baseline_plan.join("\n  ")
    );
    let hits_f: Vec<f64> = hits.iter().map(|h| *h as f64).collect();
    Ok(KindResult {
        kind,
        index: Latency::of(&index_ms),
        selective: Latency::of(
            &index_runs
                .iter()
                .filter(|t| !t.truncated)
                .map(|t| t.ms)
                .collect::<Vec<_>>(),
        ),
        baseline: Latency::of(&baseline_ms),
        hits_median: median(&hits_f),
        hits_max: hits.iter().copied().max().unwrap_or(0),
        counted: hits.len(),
        truncated: index_runs.iter().filter(|t| t.truncated).count(),
        index_plan,
        baseline_plan,
        example: format!("{} ({})", samples[0].typed, samples[0].field),
        slowest,
    })
}

// ---------------------------------------------------------------------------------
// Output.

struct Sizes {
    records: i64,
    grams_index: i64,
    /// The log: `events` and the keys of its sealed fields (`data_keys`, ADR 0019).
    events: i64,
}

impl Sizes {
    /// The records (with their indexes and TOAST) and the log, per record, in KiB.
    fn per_record_kib(&self, records: u64) -> f64 {
        (self.records + self.events) as f64 / records.max(1) as f64 / 1024.0
    }
}

async fn sizes(db: &tokio_postgres::Client) -> Result<Sizes> {
    let row = db
        .query_one(
            "SELECT pg_total_relation_size('records'), pg_total_relation_size('records_grams_idx'),
                    pg_total_relation_size('events') + pg_total_relation_size('data_keys')",
            &[],
        )
        .await?;
    Ok(Sizes {
        records: row.get(0),
        grams_index: row.get(1),
        events: row.get(2),
    })
}

/// The peak resident memory of this process (`VmHWM`), in KiB.
fn peak_rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmHWM in /proc/self/status"))
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The workspace's target directory: `CARGO_TARGET_DIR`, else the ancestor of this
/// executable that cargo marked with `CACHEDIR.TAG`, else `<workspace>/target`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().ok();
    let marked = exe.as_ref().and_then(|exe| {
        exe.ancestors()
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
            .map(PathBuf::from)
    });
    marked.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

#[tokio::main]
async fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(()); // a test runner listing tests: there are none here
    }
    let settings = settings()?;
    let total = Instant::now();
    let n = settings.records;
    let generator = Generator::new(settings.seed);
    let mode = if settings.full { "bench" } else { "smoke" };
    eprintln!(
        "national: {mode} run, {n} records, seed {}, {} queries per kind",
        settings.seed, settings.queries
    );

    // A national node's database and its writer, in process.
    let national = JurisdictionCode::parse(NATIONAL).map_err(|e| anyhow!("{e}"))?;
    let actor = Actor {
        jurisdiction: national,
        account: AccountId::parse("bench").map_err(anyhow::Error::msg)?,
    };
    let node = National::start(&actor, "訓練：全国読み取りモデル").await?;
    let National {
        test_db,
        writer,
        task: writer_task,
        incident,
    } = node;
    let db = store::connect(&test_db.url).await?;

    // 1. Load.
    let every = if settings.full { 50_000 } else { 1_000 };
    let load_seconds = load(&writer, &actor, incident, &generator, n, every).await?;
    let head = reader::head_position(&db).await?;
    let kinds = events_by_kind(&db).await?;
    let kind_count = |k: &str| kinds.get(k).copied().unwrap_or(0);
    let recorded = kind_count("EntryRecorded");
    let removed = kind_count("DuplicateRemoved");
    let flagged = kind_count("DuplicateFlagged");
    ensure!(
        recorded == n as i64,
        "{recorded} EntryRecorded events, not {n}"
    );
    let load = LoadStats {
        seconds: load_seconds,
        events: head,
        kinds,
    };
    eprintln!(
        "national: loaded {n} records in {:.1} s ({:.0} records/s), {head} events: {:?}",
        load.seconds,
        rate(n as f64, load.seconds),
        load.kinds
    );
    let started = Instant::now();
    db.batch_execute("VACUUM (ANALYZE) events").await?;
    db.batch_execute("VACUUM (ANALYZE) records").await?;
    let vacuum_seconds = started.elapsed().as_secs_f64();
    eprintln!("national: VACUUM (ANALYZE) events, records: {vacuum_seconds:.1} s");

    // 2. Search latency against the sequential scan.
    let seq = store::connect(&test_db.url).await?;
    seq.batch_execute(
        "SET enable_bitmapscan = off; SET enable_indexscan = off; SET enable_indexonlyscan = off;",
    )
    .await?;
    let mut results = Vec::new();
    for kind in KINDS {
        let samples = samples(kind, &generator, n, settings.queries)?;
        let result = measure_kind(&db, &seq, kind, &samples, &settings).await?;
        eprintln!(
            "national: {}: p50 {:.2} ms, p99 {:.2} ms (seqscan p50 {:.2} ms), median hits {}",
            kind.name(),
            result.index.p50,
            result.index.p99,
            result.baseline.p50,
            result.hits_median
        );
        results.push(result);
    }
    let sizes = sizes(&db).await?;
    // Printed now, not only in the summary: a run that fails later keeps these figures.
    eprintln!(
        "national: sizes: records {:.1} MiB (GIN {:.1} MiB), log {:.1} MiB, {:.2} KiB a record; peak RSS so far {:.0} MiB",
        mib(sizes.records),
        mib(sizes.grams_index),
        mib(sizes.events),
        sizes.per_record_kib(n),
        peak_rss_kib()? as f64 / 1024.0
    );

    // 3. Replay against the bare scan. The live records are kept as digests and
    // dropped first, so that the disk holds the log and one read model, not two: at
    // 10,000,000 records the two would not fit beside the log on this machine.
    let replay = if settings.no_replay {
        eprintln!("national: --no-replay: the replay is not run");
        None
    } else {
        let started = Instant::now();
        let live = projection::keep_live_digests(&db, KEPT_DIGESTS).await?;
        db.batch_execute("TRUNCATE records").await?;
        eprintln!(
            "national: kept the digests of {live} live records and dropped the rows in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let replay_every = if settings.full { 100_000 } else { 1_000 };
        Some(replay(&test_db.url, head, replay_every, live).await?)
    };
    let peak_rss_mib = peak_rss_kib()? as f64 / 1024.0;

    // Stop the writer.
    drop(writer);
    writer_task.await?;
    let total_seconds = total.elapsed().as_secs_f64();

    // 4. The summary.
    let load_rate = rate(n as f64, load.seconds);
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "\n## national read model — {n} records, seed {}, {mode} run\n",
        settings.seed
    ));
    line("| figure | value |".into());
    line("|---|---|".into());
    line(format!("| records | {n} |"));
    line(format!("| events in the log | {} |", load.events));
    line(format!(
        "| load (validate + RecordEntry + group commit + projection + dedup) | {:.1} s, {load_rate:.0} records/s |",
        load.seconds
    ));
    line(format!("| DuplicateRemoved events | {removed} |"));
    line(format!("| DuplicateFlagged events | {flagged} |"));
    match &replay {
        Some(replay) => {
            let (replay_rate, scan_rate) = replay.rates(head);
            line(format!(
                "| replay into `{REPLAY_SCHEMA}` (warm log) | {:.2} s, {replay_rate:.0} events/s |",
                replay.replay_seconds
            ));
            line(format!(
                "| bare scan of the log (second of two) | {:.2} s, {scan_rate:.0} events/s (first run: {:.2} s) |",
                replay.scan_seconds, replay.scan_first_seconds
            ));
            line(format!(
                "| replay / scan | {:.4} |",
                ratio(replay_rate, scan_rate)
            ));
            line(format!(
                "| replay = live | 0 differing rows (compared in {:.1} s) |",
                replay.compare_seconds
            ));
            line(format!(
                "| log payload (payload::text) | {:.1} MiB |",
                mib(replay.payload_bytes)
            ));
        }
        None => line("| replay, scan, replay = live | not run (`--no-replay`) |".into()),
    }
    line(format!(
        "| size: records (table + indexes + TOAST) | {:.1} MiB |",
        mib(sizes.records)
    ));
    line(format!(
        "| size: records_grams_idx (GIN) | {:.1} MiB |",
        mib(sizes.grams_index)
    ));
    line(format!(
        "| size: events + data_keys (the log) | {:.1} MiB |",
        mib(sizes.events)
    ));
    line(format!("| total run | {total_seconds:.1} s |"));
    line(String::new());
    line(format!(
        "Search latency (ms, `store::search`, limit {LIMIT}, {} queries per kind after a warm-up of 10); \
         seqscan = the same predicate with index and bitmap scans off, first {} queries of each kind; \
         hits = every match, median over the first {} queries.\n",
        settings.queries, settings.baseline_queries, settings.counted_queries
    ));
    line(
        "| kind | p50 | p99 | max | seqscan p50 | seqscan p99 | ratio p50 | ratio p99 | median hits | max hits | >100 hits | search plan (scan node) |"
            .into(),
    );
    line("|---|---|---|---|---|---|---|---|---|---|---|---|".into());
    for r in &results {
        line(format!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.4} | {:.4} | {} | {} | {}/{} | {} |",
            r.kind.name(),
            r.index.p50,
            r.index.p99,
            r.index.max,
            r.baseline.p50,
            r.baseline.p99,
            ratio(r.index.p50, r.baseline.p50),
            ratio(r.index.p99, r.baseline.p99),
            r.hits_median,
            r.hits_max,
            r.truncated,
            r.index.n,
            scan_node(&r.index_plan).replace('|', "/"),
        ));
    }
    line(String::new());
    line(
        "Slowest search of each kind (EXPLAIN ANALYZE of it, run again after the timing):\n".into(),
    );
    line("| kind | query (field) | ms | hits | plan (scan node) | execution |".into());
    line("|---|---|---|---|---|---|".into());
    for r in &results {
        let execution = r
            .slowest
            .plan
            .iter()
            .find(|l| l.trim_start().starts_with("Execution Time"))
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        line(format!(
            "| {} | {} | {:.2} | {} | {} | {} |",
            r.kind.name(),
            r.slowest.typed.replace('|', "/"),
            r.slowest.ms,
            r.slowest.hits,
            scan_node(&r.slowest.plan).replace('|', "/"),
            execution,
        ));
    }
    line(String::new());
    line(format!(
        "Issue 18's goals in this run ({n} records; the search goals are set at 10,000,000):\n"
    ));
    line("| path | measured | goal | met |".into());
    line("|---|---|---|---|".into());
    let mut goal = |path: String, measured: String, goal: &str, met: bool| {
        let met = if met { "yes" } else { "no" };
        line(format!("| {path} | {measured} | {goal} | {met} |"));
    };
    if let Some(replay) = &replay {
        let (replay_rate, scan_rate) = replay.rates(head);
        let replay_ratio = ratio(replay_rate, scan_rate);
        goal(
            "replay / ordered scan of the same events".into(),
            format!("{replay_ratio:.3}×"),
            "≥ 0.5×",
            replay_ratio >= 0.5,
        );
    }
    for r in &results {
        let faster = ratio(r.baseline.p99, r.index.p99);
        goal(
            format!(
                "{} p99: times faster than the sequential LIKE",
                r.kind.name()
            ),
            format!("{faster:.1}×"),
            "≥ 10×",
            faster >= 10.0,
        );
        goal(
            format!(
                "{} p95 of selective queries (≤ {LIMIT} hits, {} of {})",
                r.kind.name(),
                r.selective.n,
                r.index.n
            ),
            if r.selective.n == 0 {
                "none selective".into()
            } else {
                format!("{:.2} ms", r.selective.p95)
            },
            "≤ 50 ms",
            r.selective.n == 0 || r.selective.p95 <= 50.0,
        );
    }
    let per_record = sizes.per_record_kib(n);
    goal(
        "storage per record (records + indexes + log)".into(),
        format!("{per_record:.2} KiB"),
        "≤ 2 KiB",
        per_record <= 2.0,
    );
    goal(
        "peak RSS of this process (writer, generator and search in process)".into(),
        format!("{:.0} MiB", peak_rss_mib),
        "≤ 256 MiB under the national load",
        peak_rss_mib <= 256.0,
    );
    print!("{out}");

    let kinds_json: serde_json::Map<String, serde_json::Value> = results
        .iter()
        .map(|r| {
            let value = json!({
                "queries": r.index.n,
                "p50_ms": r.index.p50,
                "p95_ms": r.index.p95,
                "selective_queries": r.selective.n,
                "selective_p95_ms": r.selective.p95,
                "p99_ms": r.index.p99,
                "max_ms": r.index.max,
                "baseline_queries": r.baseline.n,
                "baseline_p50_ms": r.baseline.p50,
                "baseline_p99_ms": r.baseline.p99,
                "baseline_max_ms": r.baseline.max,
                "ratio_p50": ratio(r.index.p50, r.baseline.p50),
                "ratio_p99": ratio(r.index.p99, r.baseline.p99),
                "hits_median": r.hits_median,
                "hits_max": r.hits_max,
                "hits_counted_queries": r.counted,
                "truncated_queries": r.truncated,
                "explained_query": r.example,
                "search_plan": r.index_plan,
                "baseline_plan": r.baseline_plan,
                "slowest": {
                    "query": r.slowest.typed,
                    "ms": r.slowest.ms,
                    "hits": r.slowest.hits,
                    "plan": r.slowest.plan,
                },
            });
            (r.kind.name().to_string(), value)
        })
        .collect();
    let report = json!({
        "records": n,
        "seed": settings.seed,
        "queries_per_kind": settings.queries,
        "smoke": !settings.full,
        "load": {
            "seconds": load.seconds,
            "records_per_s": load_rate,
            "events": load.events,
            "events_by_kind": load.kinds,
            "duplicate_removed": removed,
            "duplicate_flagged": flagged,
        },
        "vacuum_analyze_seconds": vacuum_seconds,
        "replay": replay.as_ref().map(|replay| {
            let (replay_rate, scan_rate) = replay.rates(head);
            json!({
                "events": replay.events,
                "seconds": replay.replay_seconds,
                "events_per_s": replay_rate,
                "scan_seconds": replay.scan_seconds,
                "scan_first_seconds": replay.scan_first_seconds,
                "scan_events_per_s": scan_rate,
                "ratio_replay_scan": ratio(replay_rate, scan_rate),
                "payload_bytes": replay.payload_bytes,
                "differences": 0,
                "compare_seconds": replay.compare_seconds,
                "note": "the scan runs twice and the second is timed; the replay runs after both, on the same warm log",
            })
        }),
        "search": kinds_json,
        "sizes_bytes": {
            "records_total": sizes.records,
            "records_grams_idx": sizes.grams_index,
            "events_total": sizes.events,
        },
        "storage_per_record_kib": sizes.per_record_kib(n),
        "peak_rss_mib": peak_rss_mib,
        "total_seconds": total_seconds,
    });
    let name = if settings.full {
        "bench-national.json"
    } else {
        "bench-national-smoke.json"
    };
    let dir = target_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!("national: wrote {}", path.display());

    drop((db, seq));
    if std::env::var_os("ANPI_BENCH_KEEP_DB").is_some() {
        // For looking at plans afterwards; drop it with `DROP DATABASE <name>`.
        eprintln!(
            "national: kept database {} (ANPI_BENCH_KEEP_DB)",
            test_db.name
        );
        std::mem::forget(test_db);
    } else {
        drop(test_db);
    }
    Ok(())
}
