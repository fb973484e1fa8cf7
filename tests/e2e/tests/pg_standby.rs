//! A PostgreSQL streaming hot standby for the national node's read-only work (issue 22,
//! item 4): `deploy/pg-standby.sh` makes it (Debian's pg_createcluster and
//! pg_basebackup); with `standby_database_url` the node's searches, public page and
//! audit reads go there. A record written at the primary is found at the standby within
//! the lag the node reports; while the standby's replay is paused a search does not see
//! the newest record (so it reads at the standby), and the reported lag grows; a stopped
//! standby makes the node fall back to the primary with a warning, and a restarted one
//! takes the reads again.

use std::time::Duration;

use anpi_e2e::{Client, Deadline, evacuee, incident_id};
use anpi_harness::{NatsServer, PgPrimary, Standby, TestNode, free_port, workspace_bin};
use anpi_proto::v1;

const NATIONAL: &str = "000001";
const DB: &str = "anpi_standby_national";

async fn hits(client: &mut Client, incident: &str) -> usize {
    let request = client.req(v1::SearchRequest {
        name: "試験".into(),
        fuzzy: true,
        incident_id: incident.into(),
        ..Default::default()
    });
    client
        .node
        .search(request)
        .await
        .expect("searching")
        .into_inner()
        .records
        .len()
}

/// The value of an unlabelled series on the node's metrics page, if present.
async fn metric(port: u16, name: &str) -> Option<f64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await.ok()?;
    body.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
}

async fn wait_hits(client: &mut Client, incident: &str, n: usize, node: &TestNode) {
    let deadline = Deadline::new(format!("{n} hits"), Duration::from_secs(30));
    while hits(client, incident).await != n {
        if deadline.expired() {
            panic!("the search did not find {n} records:\n{}", node.log());
        }
        deadline.tick().await;
    }
}

async fn standby_sql(standby: &Standby, sql: &str) {
    let (client, connection) = tokio_postgres::connect(&standby.url(DB), tokio_postgres::NoTls)
        .await
        .expect("connecting to the standby");
    tokio::spawn(connection);
    client.batch_execute(sql).await.expect(sql);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_read_at_the_standby_within_its_lag_and_fall_back_when_it_stops() {
    let primary = PgPrimary::start();
    let standby = Standby::create(&primary);
    let nats = NatsServer::start();
    let metrics = free_port();
    let node = TestNode::start_with(
        &workspace_bin("anpi-node"),
        NATIONAL,
        &primary.url(DB),
        &format!(
            "nats_url = \"{}\"\nstandby_database_url = \"{}\"\nmetrics_listen = \"127.0.0.1:{metrics}\"\n",
            nats.url,
            standby.url(DB)
        ),
    );
    let mut client = Client::connect(node.addr(), &node.password).await;
    let incident = incident_id();
    client.create_incident(&incident).await;

    // Written at the primary, found at the standby within the lag it reports.
    client.record(&incident, &evacuee(1), None).await.unwrap();
    let written = std::time::Instant::now();
    wait_hits(&mut client, &incident, 1, &node).await;
    let lag = metric(metrics, "anpi_standby_lag_seconds")
        .await
        .expect("the node reports the standby's lag");
    assert!(lag < 5.0, "lag {lag}");
    assert_eq!(metric(metrics, "anpi_standby_up").await, Some(1.0));
    assert!(written.elapsed() < Duration::from_secs(10));

    // Replay paused: the search answers from the standby, which lacks the newest
    // record, and the reported lag grows; resumed, it catches up.
    standby_sql(&standby, "SELECT pg_wal_replay_pause()").await;
    client.record(&incident, &evacuee(2), None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        hits(&mut client, &incident).await,
        1,
        "read at the paused standby"
    );
    let lag = metric(metrics, "anpi_standby_lag_seconds").await.unwrap();
    assert!(lag >= 1.0, "the paused standby's lag is reported ({lag})");
    standby_sql(&standby, "SELECT pg_wal_replay_resume()").await;
    wait_hits(&mut client, &incident, 2, &node).await;

    // The standby stops: reads fall back to the primary, with a warning.
    standby.stop();
    client.record(&incident, &evacuee(3), None).await.unwrap();
    wait_hits(&mut client, &incident, 3, &node).await;
    assert!(
        node.log().contains("the standby does not answer"),
        "{}",
        node.log()
    );
    assert_eq!(metric(metrics, "anpi_standby_up").await, Some(0.0));

    // Back again: after the retry interval the reads go to it again.
    standby.start();
    let deadline = Deadline::new("reads back at the standby", Duration::from_secs(40));
    loop {
        let _ = hits(&mut client, &incident).await;
        if node.log().contains("the standby answers again") {
            break;
        }
        if deadline.expired() {
            panic!("{}", node.log());
        }
        deadline.tick().await;
    }
    assert_eq!(hits(&mut client, &incident).await, 3);
}
