//! A child cannot rewrite history it has already reported without the parent noticing
//! (L-05, issue 21): a municipality's superuser changes a reported entry (its sealed
//! fields, ADR 0019) and re-links the municipality's whole chain from there, so that its
//! own `audit verify` passes; its next report gives another link for the head the
//! prefecture recorded, and the prefecture's `audit verify` names the child, the report
//! and the position. (Restored: this test was lost when the console's 監査 test took
//! over `audit.rs`.)

use std::time::Duration;

use anpi_e2e::{Deadline, Member, evacuee, network};
use anpi_harness::NatsServer;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";

async fn wait_received(member: &mut Member, n: usize) {
    let deadline = Deadline::new(
        format!("{} to apply {n} reports", member.code),
        Duration::from_secs(60),
    );
    while member.client.history().await.received.len() < n {
        if deadline.expired() {
            panic!(
                "{} did not apply {n} reports:\n{}",
                member.code,
                member.node.log()
            );
        }
        deadline.tick().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_rewrites_reported_history_is_found_at_the_parent() {
    let nats = NatsServer::start();
    let ([_national, mut tokyo, mut chiyoda], incident) =
        network(&nats, [NATIONAL, TOKYO, CHIYODA]).await;
    for n in 0..3 {
        chiyoda
            .client
            .record(&incident, &evacuee(n), None)
            .await
            .unwrap();
    }
    chiyoda.client.report().await;
    wait_received(&mut tokyo, 1).await;
    assert!(tokyo.client.verify_log().await.ok);

    // The municipality's superuser, with the node stopped: one reported entry changed,
    // and every link from it on removed and recomputed by the node's own code.
    chiyoda.node.process.kill9();
    let (client, connection) = tokio_postgres::connect(&chiyoda.db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let at: i64 = client
        .query_one(
            "SELECT position FROM events WHERE kind = 'EntryRecorded' ORDER BY position OFFSET 1 LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    client
        .batch_execute(&format!(
            "BEGIN; ALTER TABLE events DISABLE TRIGGER USER;
             UPDATE events SET payload = jsonb_set(payload, '{{data,sealed}}', '\"5pu45o+b\"')
             WHERE position = {at};
             UPDATE events SET link = NULL WHERE position >= {at};
             ALTER TABLE events ENABLE TRIGGER USER; COMMIT;"
        ))
        .await
        .unwrap();
    // The node re-links what has no link when it starts (as after migration 0012).
    chiyoda.node.process.restart();
    chiyoda.reconnect().await;
    let own = chiyoda.client.verify_log().await;
    assert!(
        own.ok,
        "re-linked from the change on, the municipality's log verifies by itself: {own:?}"
    );

    // The next report exposes it at the parent.
    chiyoda
        .client
        .record(&incident, &evacuee(10), None)
        .await
        .unwrap();
    chiyoda.client.report().await;
    wait_received(&mut tokyo, 2).await;
    let found = tokyo.client.verify_log().await;
    assert!(!found.ok, "{found:?}");
    assert!(found.r#break.is_none(), "the prefecture's own chain holds");
    assert_eq!(found.rewritten.len(), 1, "{found:?}");
    let rewritten = &found.rewritten[0];
    assert_eq!(rewritten.from, CHIYODA);
    assert_eq!(rewritten.seq, 2);
    assert_ne!(rewritten.recorded, rewritten.claimed);
    assert!(
        rewritten.at >= at,
        "the head of report 1 follows the change"
    );
    assert!(
        tokyo
            .node
            .log()
            .contains("rewrote history it had already reported"),
        "noticed on intake too"
    );
}
