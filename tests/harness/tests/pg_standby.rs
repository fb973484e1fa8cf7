//! The standby harness (issue 22 item 4): a [`PgPrimary`] and a [`Standby`] made of it
//! by `deploy/pg-standby.sh` — rows written at the primary are read at the standby,
//! the standby refuses writes, and it catches up after a stop and start.

use std::time::{Duration, Instant};

use anpi_harness::{PgPrimary, Standby};
use tokio_postgres::error::SqlState;

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Waits (up to 30 s) until row `id` of table `t` is readable at `client`; its value.
async fn wait_for_row(client: &tokio_postgres::Client, id: i32) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = client
            .query("SELECT v FROM t WHERE id = $1", &[&id])
            .await
            .expect("reading at the standby");
        if let Some(row) = rows.first() {
            return row.get(0);
        }
        assert!(
            Instant::now() < deadline,
            "row {id} did not reach the standby within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_follows_its_primary_refuses_writes_and_catches_up_after_a_restart() {
    let primary = PgPrimary::start();
    primary.create_db("anpi").await;
    let writer = connect(&primary.url("anpi"))
        .await
        .expect("connecting to the primary");
    writer
        .batch_execute(
            "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one')",
        )
        .await
        .expect("writing at the primary");

    let standby = Standby::create(&primary);
    let reader = connect(&standby.url("anpi"))
        .await
        .expect("connecting to the standby");
    assert_eq!(wait_for_row(&reader, 1).await, "one");

    // Streaming: a row written now arrives too.
    writer
        .execute("INSERT INTO t VALUES (2, 'two')", &[])
        .await
        .expect("writing at the primary");
    assert_eq!(wait_for_row(&reader, 2).await, "two");

    let in_recovery: bool = reader
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(in_recovery);
    let refused = reader
        .execute("INSERT INTO t VALUES (3, 'three')", &[])
        .await
        .expect_err("the standby accepted a write");
    assert_eq!(
        refused.code(),
        Some(&SqlState::READ_ONLY_SQL_TRANSACTION),
        "{refused:?}"
    );

    let status = standby.status();
    assert!(
        status.contains("in_recovery: true") && status.contains("wal_receiver: streaming"),
        "{status}"
    );
    assert!(status.contains("replay_lag_seconds: "), "{status}");

    // Stopped, the standby is not there; the primary goes on; started again, the
    // standby catches up.
    drop(reader);
    standby.stop();
    assert!(
        connect(&standby.url("anpi")).await.is_err(),
        "a stopped standby accepted a connection"
    );
    writer
        .execute("INSERT INTO t VALUES (3, 'three')", &[])
        .await
        .expect("writing at the primary while the standby is down");
    standby.start();
    let reader = connect(&standby.url("anpi"))
        .await
        .expect("connecting to the restarted standby");
    assert_eq!(wait_for_row(&reader, 3).await, "three");
    assert_eq!(wait_for_row(&reader, 1).await, "one");
}
