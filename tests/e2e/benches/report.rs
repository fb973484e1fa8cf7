//! Benchmark: events per second from a municipality's "report" until the national log
//! holds them (municipality → prefecture → national, two JetStream hops, two
//! PostgreSQL applies), against raw JetStream publish throughput of the same message
//! payloads in the same run (our own async-nats publisher, `nats bench`-style: async
//! publishes with acknowledgements awaited in a window, file storage), and against
//! that publish followed by a durable pull consumer taking every part back and
//! acknowledging it (issue 18's reference, goal ≥ 0.3×).
//!
//! Run: `cargo build --release --bins && cargo bench -p anpi-e2e --bench report --
//! [--events N]` (default 50,000; issue 18 measures 200,000). Needs PostgreSQL and nats-server as for the tests.
//! R.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anpi_e2e::{Deadline, Member, incident_id, prefilled_municipality};
use anpi_harness::NatsServer;
use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;

const WAIT: Duration = Duration::from_secs(1800);

async fn national_holds(national: &Member, n: i64) -> bool {
    national
        .count("SELECT count(*) FROM events WHERE origin = '131016' AND kind IN ('IncidentCreated', 'EntryRecorded')")
        .await
        >= n
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut events: i64 = 50_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => {
                events = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--events N")
            }
            "--bench" => {}
            other => panic!("unknown argument {other} (use --events N)"),
        }
    }
    let nats = NatsServer::start();
    let incident = incident_id();
    eprintln!("filling the municipality's log with {events} events ...");
    let db = prefilled_municipality("131016", &incident, events as usize - 1).await;
    let mut chiyoda = Member::start_on("131016", db, &nats).await;
    let mut tokyo = Member::start("130001", &nats).await;
    let mut national = Member::start("000001", &nats).await;
    tokyo.client.create_incident(&incident).await;
    national.client.create_incident(&incident).await;
    anpi_e2e::trust(&mut tokyo, &mut chiyoda).await;
    anpi_e2e::trust(&mut national, &mut tokyo).await;

    // Memory of each node process before any report (R: issue 18, idle ≤ 64 MiB).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_before: Vec<u64> = [&chiyoda, &tokyo, &national]
        .iter()
        .map(|m| m.node.process.memory_kib().0)
        .collect();

    // Capture the parts as they pass, to publish the same payloads raw afterwards.
    let spy = async_nats::connect(&nats.url).await.unwrap();
    let mut captured = spy.subscribe("anpi.report.130001.131016").await.unwrap();
    spy.flush().await.unwrap();

    eprintln!("reporting ...");
    let started = Instant::now();
    let report = chiyoda.client.report().await.report.expect("a report");
    assert_eq!(report.event_count, events);
    let deadline = Deadline::new("the prefecture to apply the report", WAIT);
    while tokyo.count("SELECT count(*) FROM reports_received").await == 0 {
        deadline.tick().await;
    }
    let at_prefecture = started.elapsed();
    let forwarded = tokyo.client.report().await.report.expect("a report");
    assert!(forwarded.event_count >= events);
    let deadline = Deadline::new("the national log to hold the report", WAIT);
    while !national_holds(&national, events).await {
        deadline.tick().await;
    }
    let end_to_end = started.elapsed();

    let mut payloads = Vec::new();
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_millis(500), captured.next()).await
    {
        payloads.push(message.payload);
    }
    let bytes: usize = payloads.iter().map(|p| p.len()).sum();

    // Raw JetStream: the same payloads, published to a file-storage stream of their own.
    let js = jetstream::new(spy.clone());
    js.create_stream(stream::Config {
        name: "BENCH_RAW".into(),
        subjects: vec!["bench.raw".into()],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .unwrap();
    let rounds = 5;
    let raw_stream = js.get_stream("BENCH_RAW").await.unwrap();
    let (mut raw, mut raw_pull) = (Duration::ZERO, Duration::ZERO);
    for round in 0..rounds {
        raw_stream.purge().await.unwrap();
        let started = Instant::now();
        let mut window = VecDeque::new();
        for payload in &payloads {
            window.push_back(js.publish("bench.raw", payload.clone()).await.unwrap());
            if window.len() >= 16 {
                window.pop_front().unwrap().await.unwrap();
            }
        }
        for ack in window {
            ack.await.unwrap();
        }
        raw += started.elapsed();
        // Then the same parts pulled back by a durable pull consumer, each acknowledged,
        // as the receiving node takes them (issue 18's reference: publish + pull).
        let name = format!("bench_pull_{round}");
        let consumer = raw_stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(name),
                ack_policy: consumer::AckPolicy::Explicit,
                deliver_policy: consumer::DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut pulled = 0;
        while pulled < payloads.len() {
            let mut batch = consumer
                .fetch()
                .max_messages(64)
                .expires(Duration::from_secs(1))
                .messages()
                .await
                .unwrap();
            while let Some(message) = batch.next().await {
                message.unwrap().ack().await.unwrap();
                pulled += 1;
            }
        }
        raw_pull += started.elapsed();
    }
    let raw = raw / rounds;
    let raw_pull = raw_pull / rounds;

    // what signing and verifying every part costs, against the same raw publish
    // and against the whole report (two hops: each part is signed and verified twice).
    let key = anpi_node::trust::NodeKey::from_pkcs8(&anpi_node::trust::generate_pkcs8().unwrap())
        .unwrap();
    let subject = "anpi.report.130001.131016";
    let crypto_started = Instant::now();
    for _ in 0..rounds {
        for (i, payload) in payloads.iter().enumerate() {
            let id = format!("bench.{i}");
            let signature = key.sign(subject, &id, payload);
            anpi_node::trust::verify(&key.public(), subject, &id, payload, &signature).unwrap();
        }
    }
    let crypto = crypto_started.elapsed() / rounds;

    let pipeline_rate = events as f64 / end_to_end.as_secs_f64();
    let raw_rate = events as f64 / raw.as_secs_f64();
    let raw_pull_rate = events as f64 / raw_pull.as_secs_f64();
    println!("events in the report:             {events}");
    println!(
        "parts (JetStream messages):       {} ({:.1} MiB compressed, {:.0} KiB per part)",
        payloads.len(),
        bytes as f64 / 1048576.0,
        bytes as f64 / 1024.0 / payloads.len().max(1) as f64
    );
    println!(
        "report → prefecture log:          {:.2} s ({:.0} events/s)",
        at_prefecture.as_secs_f64(),
        events as f64 / at_prefecture.as_secs_f64()
    );
    println!(
        "report → national log (2 hops):   {:.2} s ({pipeline_rate:.0} events/s)",
        end_to_end.as_secs_f64()
    );
    println!(
        "raw JetStream publish, same parts: {:.3} s per pass ({raw_rate:.0} events/s, {:.0} MiB/s; mean of {rounds})",
        raw.as_secs_f64(),
        bytes as f64 / 1048576.0 / raw.as_secs_f64()
    );
    println!(
        "raw JetStream publish + pull:      {:.3} s per pass ({raw_pull_rate:.0} events/s; each part acknowledged)",
        raw_pull.as_secs_f64()
    );
    println!(
        "ratio pipeline / raw publish:     {:.4}",
        pipeline_rate / raw_rate
    );
    println!(
        "ratio pipeline / raw publish + pull: {:.4} (goal >= 0.3)",
        pipeline_rate / raw_pull_rate
    );
    println!(
        "sign + verify every part (A-05):  {:.3} s per pass ({:.0} % of the raw publish of the same parts, {:.2} % of report → national log)",
        crypto.as_secs_f64(),
        100.0 * crypto.as_secs_f64() / raw.as_secs_f64(),
        100.0 * 2.0 * crypto.as_secs_f64() / end_to_end.as_secs_f64()
    );
    // Idle again after the report; the peak during it (goal ≤ 256 MiB under load).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "node memory (RSS, MiB)            idle before   idle after   peak   (goals: idle <= 64, peak <= 256)"
    );
    for (member, before) in [&chiyoda, &tokyo, &national].iter().zip(&idle_before) {
        let (now, peak) = member.node.process.memory_kib();
        println!(
            "  {}                          {:>10.1} {:>12.1} {:>6.1}",
            member.code,
            mib(*before),
            mib(now),
            mib(peak)
        );
    }
    for member in [&chiyoda, &tokyo, &national] {
        for line in member.node.log().lines().filter(|l| l.contains("report")) {
            println!("  {} | {line}", member.code);
        }
    }
}
