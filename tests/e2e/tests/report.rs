//! Reports travel municipality → prefecture → national over a real nats-server with
//! JetStream, exactly once, in order, whole. R: R-01..R-04, T-03, T-05, L-03, D-06, E-11.
//!
//! Every node is an `anpi-node` process with its own PostgreSQL database.

use std::collections::HashSet;
use std::time::Duration;

use anpi_e2e::{Deadline, Member, deceased, evacuee, incident_id, network};
use anpi_harness::NatsServer;
use futures::StreamExt;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const SHINJUKU: &str = "131041";

const WAIT: Duration = Duration::from_secs(60);

/// Waits until `member` has applied `n` reports in all.
async fn wait_received(member: &mut Member, n: usize) {
    let deadline = Deadline::new(format!("{} to apply {n} reports", member.code), WAIT);
    while member.client.history().await.received.len() < n {
        if deadline.expired() {
            panic!(
                "{} did not apply {n} reports; its log:\n{}",
                member.code,
                member.node.log()
            );
        }
        deadline.tick().await;
    }
}

/// Waits until every report `member` sent is acknowledged by its parent.
async fn wait_acknowledged(member: &mut Member) {
    let deadline = Deadline::new(
        format!("{}'s reports to be acknowledged", member.code),
        WAIT,
    );
    loop {
        let sent = member.client.history().await.sent;
        if sent.iter().all(|s| s.status == "acknowledged") {
            return;
        }
        deadline.tick().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_deletions_departures_and_deaths_reach_the_national_tier() {
    let nats = NatsServer::start();
    let ([mut national, mut tokyo, mut chiyoda, mut shinjuku], incident) =
        network(&nats, [NATIONAL, TOKYO, CHIYODA, SHINJUKU]).await;

    // Entries at two municipalities; the prefecture collects one itself (T-03).
    let mut chiyoda_records = Vec::new();
    for n in 0..5 {
        let record = chiyoda
            .client
            .record(&incident, &evacuee(n), None)
            .await
            .unwrap();
        chiyoda_records.push(record.record_id);
    }
    let mut shinjuku_records = Vec::new();
    for n in 10..13 {
        let record = shinjuku
            .client
            .record(&incident, &evacuee(n), None)
            .await
            .unwrap();
        shinjuku_records.push(record.record_id);
    }
    tokyo
        .client
        .record(&incident, &evacuee(20), None)
        .await
        .unwrap();

    // First report round.
    assert!(chiyoda.client.report().await.reported);
    assert!(shinjuku.client.report().await.reported);
    wait_received(&mut tokyo, 2).await;
    let history = tokyo.client.history().await;
    assert!(
        history.received.iter().all(|r| !r.forwarded),
        "not forwarded yet"
    );
    assert_eq!(history.unforwarded_received_events, 5 + 1 + 3 + 1);
    let reply = tokyo.client.report().await;
    assert!(reply.reported);
    // Own incident + entry, and the municipalities' incident + entries.
    assert_eq!(reply.report.unwrap().event_count, 2 + 6 + 4);
    wait_received(&mut national, 1).await;
    assert!(
        tokyo
            .client
            .history()
            .await
            .received
            .iter()
            .all(|r| r.forwarded)
    );

    // The national log holds exactly the events collected below, under their own IDs.
    let below = [CHIYODA, SHINJUKU, TOKYO];
    let mut expected: HashSet<String> = chiyoda.reportable_ids(&below).await;
    expected.extend(shinjuku.reportable_ids(&below).await);
    expected.extend(tokyo.reportable_ids(&[TOKYO]).await);
    assert_eq!(national.reportable_ids(&below).await, expected);
    assert_eq!(
        tokyo.reportable_ids(&[CHIYODA, SHINJUKU]).await.len(),
        5 + 1 + 3 + 1
    );
    let first = national
        .client
        .record_state(&chiyoda_records[0])
        .await
        .unwrap();
    assert_eq!(first.collected_by, CHIYODA, "origin kept (L-03)");
    assert_eq!(first.state_label, "避難");

    // After the first report: a deletion, a departure and a death (E-11).
    chiyoda.client.delete(&chiyoda_records[1], "重複登録").await;
    shinjuku
        .client
        .depart(&shinjuku_records[0], "2026-11-21")
        .await;
    let dead = chiyoda
        .client
        .record(&incident, &deceased(2), Some(&chiyoda_records[2]))
        .await
        .expect("a death conversion");
    assert!(chiyoda.client.report().await.reported);
    assert!(shinjuku.client.report().await.reported);
    wait_received(&mut tokyo, 4).await;
    assert!(tokyo.client.report().await.reported);
    wait_received(&mut national, 2).await;

    for member in [&mut chiyoda, &mut tokyo, &mut national] {
        let deleted = member
            .client
            .record_state(&chiyoda_records[1])
            .await
            .unwrap();
        assert_eq!(deleted.state_label, "削除", "at {}", member.code);
        assert_eq!(deleted.deleted_reason, "重複登録", "details kept (D-06)");
        let converted = member
            .client
            .record_state(&chiyoda_records[2])
            .await
            .unwrap();
        assert_eq!(converted.state_label, "削除", "at {}", member.code);
        let death = member.client.record_state(&dead.record_id).await.unwrap();
        assert_eq!(death.state_label, "死亡", "at {}", member.code);
    }
    for member in [&mut shinjuku, &mut tokyo, &mut national] {
        let departed = member
            .client
            .record_state(&shinjuku_records[0])
            .await
            .unwrap();
        assert_eq!(departed.state_label, "退去", "at {}", member.code);
    }
    // The death conversion is a notice at both receiving tiers.
    for member in [&mut tokyo, &mut national] {
        let history = member.client.history().await;
        let notices: Vec<_> = history
            .received
            .iter()
            .flat_map(|r| r.notices.clone())
            .collect();
        assert_eq!(notices.len(), 1, "at {}", member.code);
        assert_eq!(notices[0].kind, "death_conversion");
        assert_eq!(notices[0].old_record_id, chiyoda_records[2]);
        assert_eq!(notices[0].new_record_id, dead.record_id);
        assert!(notices[0].message.contains("死亡住民に更新"));
    }
    // Exactly the same events at the top as below, again.
    let mut expected: HashSet<String> = chiyoda.reportable_ids(&below).await;
    expected.extend(shinjuku.reportable_ids(&below).await);
    expected.extend(tokyo.reportable_ids(&[TOKYO]).await);
    assert_eq!(national.reportable_ids(&below).await, expected);

    // Receipts: every sender sees its reports acknowledged.
    wait_acknowledged(&mut chiyoda).await;
    wait_acknowledged(&mut shinjuku).await;
    wait_acknowledged(&mut tokyo).await;
    let sent = chiyoda.client.history().await.sent;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent.iter().map(|s| s.appended).sum::<i64>(), 6 + 3);
    // Nothing new: no report is made.
    assert!(!chiyoda.client.report().await.reported);
}

/// Waits until JetStream has stored every report `member` made.
async fn wait_delivered(member: &mut Member) {
    let deadline = Deadline::new(
        format!("{}'s reports to reach JetStream", member.code),
        WAIT,
    );
    loop {
        let sent = member.client.history().await.sent;
        if sent.iter().all(|s| s.status != "pending") {
            return;
        }
        deadline.tick().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_prefecture_accumulates_reports_and_takes_them_in_order_on_resume() {
    let nats = NatsServer::start();
    let ([mut tokyo, mut chiyoda, mut shinjuku], incident) =
        network(&nats, [TOKYO, CHIYODA, SHINJUKU]).await;
    let status = tokyo.client.set_intake("reports", true).await.unwrap();
    assert!(status.reports.unwrap().paused);

    // Three rounds at each municipality; the second deletes the first round's entry,
    // so applying out of order would leave it undeleted.
    let mut first = Vec::new();
    for round in 0..3 {
        for (member, base) in [(&mut chiyoda, 0), (&mut shinjuku, 100)] {
            let record = member
                .client
                .record(&incident, &evacuee(base + round), None)
                .await
                .unwrap();
            if round == 0 {
                first.push(record.record_id.clone());
            }
            if round == 1 {
                let index = usize::from(base == 100);
                member.client.delete(&first[index], "誤入力").await;
            }
            assert!(member.client.report().await.reported);
        }
    }
    wait_delivered(&mut chiyoda).await;
    wait_delivered(&mut shinjuku).await;

    // Nothing is taken while paused: the reports wait in JetStream.
    let deadline = Deadline::new("6 reports waiting in JetStream", WAIT);
    loop {
        let waiting = tokyo.client.intake().await.waiting_messages;
        if waiting == 6 {
            break;
        }
        deadline.tick().await;
    }
    assert!(tokyo.client.history().await.received.is_empty());
    assert_eq!(tokyo.count("SELECT count(*) FROM report_parts").await, 0);

    // The pause is an event and survives a restart.
    tokyo.node.process.kill9();
    tokyo.node.process.restart();
    tokyo.reconnect().await;
    assert!(tokyo.client.intake().await.reports.unwrap().paused);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(tokyo.client.history().await.received.is_empty());

    tokyo.client.set_intake("reports", false).await.unwrap();
    wait_received(&mut tokyo, 6).await;
    let history = tokyo.client.history().await;
    for from in [CHIYODA, SHINJUKU] {
        // Oldest first: each sender's reports were applied 1, 2, 3.
        let seqs: Vec<i64> = history
            .received
            .iter()
            .rev()
            .filter(|r| r.from == from)
            .map(|r| r.seq)
            .collect();
        assert_eq!(seqs, [1, 2, 3], "reports of {from} in order");
    }
    assert_eq!(tokyo.client.intake().await.waiting_messages, 0);
    for (member, record) in [(&mut chiyoda, &first[0]), (&mut shinjuku, &first[1])] {
        let ids = member.reportable_ids(&[member.code.clone().as_str()]).await;
        let at_tokyo = tokyo.reportable_ids(&[member.code.as_str()]).await;
        assert_eq!(at_tokyo, ids);
        let state = tokyo.client.record_state(record).await.unwrap();
        assert_eq!(state.state_label, "削除");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_municipality_refuses_entries_clearly_until_resumed() {
    let nats = NatsServer::start();
    let ([mut chiyoda], incident) = network(&nats, [CHIYODA]).await;
    let record = chiyoda
        .client
        .record(&incident, &evacuee(1), None)
        .await
        .unwrap();
    chiyoda.client.set_intake("own", true).await.unwrap();

    let refused = |status: tonic::Status| {
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        assert!(
            status.message().contains("一時停止"),
            "{}",
            status.message()
        );
        assert!(status.message().contains("失われていません"));
    };
    refused(
        chiyoda
            .client
            .record(&incident, &evacuee(2), None)
            .await
            .unwrap_err(),
    );
    // The organiser's own work goes on while registrations are paused (guideline 第4
    // 4(1) ①): deleting a duplicate is accepted.
    let request = chiyoda.client.req(anpi_proto::v1::DeleteEntryRequest {
        record_id: record.record_id.clone(),
        reason: "重複".into(),
    });
    chiyoda
        .client
        .node
        .delete_entry(request)
        .await
        .expect("a deletion while registrations are paused");

    // Still paused after a crash and restart.
    chiyoda.node.process.kill9();
    chiyoda.node.process.restart();
    chiyoda.reconnect().await;
    refused(
        chiyoda
            .client
            .record(&incident, &evacuee(2), None)
            .await
            .unwrap_err(),
    );
    // A municipality receives no reports: that scope is refused.
    let error = chiyoda
        .client
        .set_intake("reports", true)
        .await
        .unwrap_err();
    assert_eq!(error.code(), tonic::Code::FailedPrecondition);

    chiyoda.client.set_intake("own", false).await.unwrap();
    chiyoda
        .client
        .record(&incident, &evacuee(2), None)
        .await
        .unwrap();
    let kinds: Vec<String> = chiyoda
        .client
        .events()
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"IntakePaused".to_string()));
    assert!(kinds.contains(&"IntakeResumed".to_string()));
    // Pause and resume stay local: only the two entries, the deletion and the incident
    // are reported.
    assert_eq!(chiyoda.client.report().await.report.unwrap().event_count, 4);
}

/// Records `n` entries at `member` through `clients` concurrent connections.
async fn record_many(member: &Member, incident: &str, n: usize, clients: usize) {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mut client = anpi_e2e::Client::connect(member.node.addr(), &member.node.password).await;
        let incident = incident.to_string();
        tasks.push(tokio::spawn(async move {
            for i in (c..n).step_by(clients) {
                client
                    .record(&incident, &evacuee(1000 + i), None)
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// Counts the events of `origin` in `member`'s log.
async fn events_from(member: &Member, origin: &str) -> i64 {
    member
        .count(&format!(
            "SELECT count(*) FROM events WHERE origin = '{origin}'"
        ))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn republished_batches_and_a_receiver_killed_mid_report_change_nothing() {
    let nats = NatsServer::start();
    let ([mut tokyo, mut chiyoda], incident) = network(&nats, [TOKYO, CHIYODA]).await;
    // Everything the relay publishes, captured as it passes.
    let spy = async_nats::connect(&nats.url).await.unwrap();
    let mut captured = spy.subscribe("anpi.report.130001.>").await.unwrap();
    spy.flush().await.unwrap();

    // A report of several parts.
    record_many(&chiyoda, &incident, 8000, 8).await;
    let report = chiyoda.client.report().await.report.unwrap();
    assert_eq!(report.event_count, 8001);
    // Kill the receiver as soon as it has staged a part, before the report is whole.
    let deadline = Deadline::new("the first staged part", WAIT);
    loop {
        let staged = tokyo.count("SELECT count(*) FROM report_parts").await;
        let applied = tokyo.count("SELECT count(*) FROM reports_received").await;
        if staged > 0 || applied > 0 {
            break;
        }
        deadline.tick().await;
    }
    tokyo.node.process.kill9();
    tokyo.node.process.restart();
    tokyo.reconnect().await;
    wait_received(&mut tokyo, 1).await;
    assert_eq!(
        tokyo.reportable_ids(&[CHIYODA]).await,
        chiyoda.reportable_ids(&[CHIYODA]).await
    );
    let held = events_from(&tokyo, CHIYODA).await;
    assert_eq!(held, 8001);
    wait_delivered(&mut chiyoda).await;
    let parts = chiyoda.client.history().await.sent[0].parts;
    assert!(parts >= 2, "the report was split ({parts} parts)");

    // The same batch published again with its own message IDs and signatures: JetStream
    // drops them inside the duplicate window; beyond it the receiver would see a report
    // it already applied.
    let js = async_nats::jetstream::new(spy.clone());
    let mut messages = Vec::new();
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_millis(500), captured.next()).await
    {
        messages.push(message);
    }
    assert!(
        messages.len() as i32 >= parts,
        "captured {} parts",
        messages.len()
    );
    for message in &messages {
        let headers = message.headers.clone().unwrap();
        js.publish_with_headers(message.subject.clone(), headers, message.payload.clone())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    // The same events under a new report number, signed with 千代田区's own key (read
    // from its database, as its relay would sign a republished report): applied, but
    // nothing is appended.
    let pkcs8 = {
        let (client, connection) = tokio_postgres::connect(&chiyoda.db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .query_one("SELECT pkcs8 FROM node_key", &[])
            .await
            .unwrap()
            .get::<_, Vec<u8>>(0)
    };
    let key = anpi_node::trust::NodeKey::from_pkcs8(&pkcs8).unwrap();
    let mut replayed_events = 0;
    let report_id = uuid::Uuid::now_v7().to_string();
    for (i, message) in messages.iter().enumerate() {
        let mut part: anpi_proto::v1::ReportPart =
            anpi_node::wire::decode(&message.payload).unwrap();
        part.report_id = report_id.clone();
        part.seq = 2;
        replayed_events += part.events.len();
        let body = anpi_node::wire::encode(&part);
        let message_id = format!("{report_id}.{i}");
        let mut headers = message.headers.clone().unwrap();
        headers.insert("Nats-Msg-Id", message_id.as_str());
        headers.insert(
            anpi_core::trust::SIGNATURE_HEADER,
            key.sign(message.subject.as_str(), &message_id, &body)
                .as_str(),
        );
        js.publish_with_headers(message.subject.clone(), headers, body.into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    wait_received(&mut tokyo, 2).await;
    let deadline = Deadline::new("the republished parts to be consumed", WAIT);
    while tokyo.client.intake().await.waiting_messages != 0 {
        deadline.tick().await;
    }
    let history = tokyo.client.history().await;
    assert_eq!(
        history.received.len(),
        2,
        "the republished report was not applied again"
    );
    let replay = &history.received[0];
    assert_eq!(replay.seq, 2);
    assert_eq!(replay.event_count as usize, replayed_events);
    assert_eq!(
        replay.duplicates as usize, replayed_events,
        "every event was already held (L-03)"
    );
    assert_eq!(
        events_from(&tokyo, CHIYODA).await,
        held,
        "the log is unchanged"
    );
    assert_eq!(tokyo.count("SELECT count(*) FROM report_parts").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_wait_for_a_parent_that_is_down_and_survive_nats_restarts() {
    let mut nats = NatsServer::start();
    let ([mut chiyoda], incident) = network(&nats, [CHIYODA]).await;
    // The prefecture's node is not running: the report is stored in JetStream.
    record_many(&chiyoda, &incident, 20, 2).await;
    assert!(chiyoda.client.report().await.reported);
    wait_delivered(&mut chiyoda).await;

    // NATS down: entries and "report" still work (T-05); the report queues.
    nats.kill();
    record_many(&chiyoda, &incident, 5, 1).await;
    assert!(chiyoda.client.report().await.reported);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(chiyoda.client.history().await.sent[0].status, "pending");
    nats.start_again();
    wait_delivered(&mut chiyoda).await;

    // NATS killed and restarted between publish and consume.
    nats.restart();
    let mut tokyo = Member::start(TOKYO, &nats).await;
    anpi_e2e::trust(&mut tokyo, &mut chiyoda).await;
    wait_received(&mut tokyo, 2).await;
    assert_eq!(
        tokyo.reportable_ids(&[CHIYODA]).await,
        chiyoda.reportable_ids(&[CHIYODA]).await
    );
    assert_eq!(events_from(&tokyo, CHIYODA).await, 1 + 20 + 5);
    wait_acknowledged(&mut chiyoda).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_of_200000_events_arrives_complete() {
    const EVENTS: i64 = 200_000;
    let nats = NatsServer::start();
    let incident = incident_id();
    let db = anpi_e2e::prefilled_municipality(CHIYODA, &incident, EVENTS as usize - 1).await;
    let mut chiyoda = Member::start_on(CHIYODA, db, &nats).await;
    let mut tokyo = Member::start(TOKYO, &nats).await;
    tokyo.client.create_incident(&incident).await;
    anpi_e2e::trust(&mut tokyo, &mut chiyoda).await;

    let report = chiyoda.client.report().await.report.unwrap();
    assert_eq!(report.event_count, EVENTS);
    let deadline = Deadline::new("the 200,000-event report", Duration::from_secs(600));
    while tokyo.count("SELECT count(*) FROM reports_received").await == 0 {
        deadline.tick().await;
    }
    let received = &tokyo.client.history().await.received[0];
    assert_eq!(received.event_count, EVENTS);
    assert_eq!(received.duplicates, 0);
    assert!(received.parts > 1, "split into parts ({})", received.parts);
    assert_eq!(events_from(&tokyo, CHIYODA).await, EVENTS);
    // The same event IDs on both sides.
    let digest = "SELECT ('x' || left(md5(string_agg(event_id::text, ',' ORDER BY event_id)), 15))::bit(60)::bigint
                  FROM events WHERE origin = '131016' AND kind IN ('IncidentCreated', 'EntryRecorded')";
    assert_eq!(tokyo.count(digest).await, chiyoda.count(digest).await);
    assert_eq!(
        tokyo
            .count("SELECT count(*) FROM records WHERE state = 'evacuated'")
            .await,
        EVENTS - 1
    );
}
