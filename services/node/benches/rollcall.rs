//! Roll-call broadcast benchmark (issue 17, K-01): a roll-call to `ANPI_BENCH_MAILS`
//! (10,000) members, from the moment it is sent until the SMTP server holds every mail,
//! against the rate at which the same server takes the same number of mails from a bare
//! SMTP client (`anpi_harness::smtp::bare_send`: one connection, one mail after another,
//! no database) in the same run. Goal: broadcast ≥ 0.5 × the bare client's rate.
//!
//! The server is the test harness's SMTP sink (`deploy/smtp/sink.py`, aiosmtpd), which
//! writes and fsyncs each mail before it answers 250 — for both sides. The broadcast's
//! time includes everything the node does: authority, the plan over the directory, one
//! token and one rendered mail per member, the transaction with the event, the tokens
//! and the outbox rows, then the mailer's claim, send and mark per mail.
//!
//! `cargo bench -p anpi-node --bench rollcall` with the harness's PostgreSQL
//! (`ANPI_TEST_DATABASE_URL`), `ANPI_BENCH_MAILS` (10000) and `ANPI_BENCH_ROUNDS` (3); the ratio is of the medians.
//! Without `--bench` it makes one small round as a smoke check.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anpi_core::account::{LoginState, Role};
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::rollcall::mail::SettingsInput;
use anpi_core::rollcall::{Member, Mode, OrgCode, Organisation};
use anpi_harness::TestDb;
use anpi_harness::smtp::{SmtpSink, bare_send};
use anpi_node::app::NodeState;
use anpi_node::config::{self, NodeArgs};
use anpi_node::store::accounts::{Accounts, Session};
use anpi_node::store::writer::Writer;
use anyhow::{Context, Result, ensure};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Counts the sink's lines as they arrive, reading only what is new.
struct Counter {
    path: PathBuf,
    offset: u64,
    lines: usize,
}

impl Counter {
    fn new(sink: &SmtpSink) -> Counter {
        Counter {
            path: sink.out_dir().join("messages.jsonl"),
            offset: 0,
            lines: 0,
        }
    }

    fn poll(&mut self) -> usize {
        if let Ok(mut file) = std::fs::File::open(&self.path)
            && file.seek(SeekFrom::Start(self.offset)).is_ok()
        {
            let mut new = Vec::new();
            if file.read_to_end(&mut new).is_ok() {
                self.offset += new.len() as u64;
                self.lines += new.iter().filter(|b| **b == b'\n').count();
            }
        }
        self.lines
    }

    /// Waits until `n` mails are held; false after `timeout`.
    async fn wait_for(&mut self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.poll() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

fn admin() -> Session {
    Session {
        account: AccountId::parse("admin").unwrap(),
        role: Role::Administrator,
        state: LoginState::Active,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(4),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return Ok(());
    }
    let full = args.iter().any(|a| a == "--bench");
    let mails = env_or("ANPI_BENCH_MAILS", if full { 10_000 } else { 200 });
    let rounds = env_or("ANPI_BENCH_ROUNDS", if full { 3 } else { 1 });

    let sink = SmtpSink::start();
    let mut counter = Counter::new(&sink);
    let db = TestDb::create().await;
    let config = config::load(&NodeArgs {
        jurisdiction: Some("131016".into()),
        database_url: Some(db.url.clone()),
        listen: Some("127.0.0.1:1".into()),
        ..NodeArgs::default()
    })?;
    anpi_node::server::prepare_database(&config).await?;
    let (writer, _task) =
        Writer::start(&db.url, JurisdictionCode::parse("131016").unwrap()).await?;
    let pool = anpi_node::store::pool(&db.url, 4)?;
    tokio::spawn(anpi_node::mail::run(db.url.clone(), writer.mail_ready()));
    let state = Arc::new(NodeState {
        config,
        writer,
        accounts: Arc::new(Accounts::new(pool.clone())),
        reads: anpi_node::store::standby::ReadPool::primary_only(pool.clone()),
        pool,
        bus: None,
    });
    state
        .rollcall_set_settings(
            &admin(),
            &SettingsInput {
                sender: "anpi@city.example.lg.jp".into(),
                sender_name: "試験市 安否確認".into(),
                host: "127.0.0.1".into(),
                port: sink.port.to_string(),
                security: "none".into(),
                username: String::new(),
                internal_url: String::new(),
                external_url: "https://anpi.city.example.lg.jp".into(),
                ca_pem: String::new(),
            },
            None,
        )
        .await?;
    // One organisation per 100 members under one root, as a city's sections.
    let sections = mails.div_ceil(100);
    let mut orgs = vec![Organisation::parse("city", "全庁", "").unwrap()];
    orgs.extend((0..sections).map(|s| {
        Organisation::parse(&format!("city.s{s:03}"), &format!("第{s}課"), "city").unwrap()
    }));
    let members: Vec<Member> = (0..mails)
        .map(|i| {
            Member::parse(
                &format!("m{i:06}"),
                &format!("職員 {i}"),
                &format!("city.s{:03}", i / 100),
                &format!("m{i:06}@example.jp"),
            )
            .unwrap()
        })
        .collect();
    state
        .rollcall_save_directory(&admin(), orgs, members)
        .await?;

    let mut bare_rates = Vec::new();
    let mut broadcast_rates = Vec::new();
    let mut held = 0;
    for round in 1..=rounds {
        // The bare client, on a blocking thread.
        let port = sink.port;
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            bare_send(port, mails, "anpi@city.example.lg.jp", |i| {
                format!("bare{i}@example.jp")
            })
        })
        .await??;
        held += mails;
        ensure!(
            counter.wait_for(held, Duration::from_secs(600)).await,
            "bare mails missing"
        );
        let bare = started.elapsed().as_secs_f64();
        bare_rates.push(mails as f64 / bare);

        let started = Instant::now();
        let (written, _) = state
            .rollcall_start(
                &admin(),
                vec![OrgCode::parse("city").unwrap()],
                &format!("地震 {round}"),
                Mode::Actual,
                &[],
            )
            .await
            .context("broadcast")?;
        let committed = started.elapsed().as_secs_f64();
        ensure!(
            written.mails == mails,
            "queued {} of {mails}",
            written.mails
        );
        held += mails;
        ensure!(
            counter.wait_for(held, Duration::from_secs(1200)).await,
            "only {} of {held} mails arrived",
            counter.poll()
        );
        let broadcast = started.elapsed().as_secs_f64();
        broadcast_rates.push(mails as f64 / broadcast);
        eprintln!(
            "round {round}: bare client {mails} mails in {bare:.2} s ({:.0}/s); broadcast {mails} mails in {broadcast:.2} s ({:.0}/s; committed after {committed:.2} s)",
            mails as f64 / bare,
            mails as f64 / broadcast
        );
    }
    // The median (of an even count, the mean of the middle two).
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let bare = median(&mut bare_rates);
    let broadcast = median(&mut broadcast_rates);
    println!(
        "rollcall broadcast: {broadcast:.0} mails/s, bare SMTP client {bare:.0} mails/s, ratio {:.3} (goal >= 0.5), {mails} mails, {rounds} round(s)",
        broadcast / bare
    );
    Ok(())
}
