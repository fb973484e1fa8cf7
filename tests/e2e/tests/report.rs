//! Reports travel municipality → prefecture → national over a real nats-server with
//! JetStream, exactly once, in order, whole. R: R-01..R-04, T-03, T-05, L-03, D-06, E-11.
//!
//! Every node is an `anpi-node` process with its own PostgreSQL database.

use std::collections::HashSet;
use std::time::Duration;

use anpi_e2e::{Deadline, Member, deceased, evacuee, incident_id};
use anpi_harness::NatsServer;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const SHINJUKU: &str = "131041";

const WAIT: Duration = Duration::from_secs(60);

/// Waits until `member` has applied `n` reports in all.
async fn wait_received(member: &mut Member, n: usize) {
    let deadline = Deadline::new(format!("{} to apply {n} reports", member.code), WAIT);
    while member.client.history().await.received.len() < n {
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
    let mut national = Member::start(NATIONAL, &nats).await;
    let mut tokyo = Member::start(TOKYO, &nats).await;
    let mut chiyoda = Member::start(CHIYODA, &nats).await;
    let mut shinjuku = Member::start(SHINJUKU, &nats).await;
    let incident = incident_id();
    for member in [&mut national, &mut tokyo, &mut chiyoda, &mut shinjuku] {
        member.client.create_incident(&incident).await;
    }

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
