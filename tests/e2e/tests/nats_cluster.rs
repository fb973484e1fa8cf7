//! A three-server JetStream cluster (issue 22, R-02, T-05): the national node keeps
//! every stream on three servers (`nats_replicas = 3`); the nodes know all three
//! servers. Killing one server with SIGKILL in the middle of a 50,000-event report, and
//! again in the middle of a publish, loses nothing and doubles nothing; the killed
//! server catches up when it comes back.

use std::time::Duration;

use anpi_e2e::{Deadline, Member, incident_id, prefilled_municipality, trust};
use anpi_harness::{NatsCluster, TestDb};
use async_nats::jetstream;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const EVENTS: i64 = 50_000;

async fn events_from(member: &Member, origin: &str) -> i64 {
    member
        .count(&format!(
            "SELECT count(*) FROM events WHERE origin = '{origin}'"
        ))
        .await
}

/// The stream's cluster view: (leader's server index, replicas as (name, current,
/// offline)); `None` while it cannot be asked.
async fn placement(
    js: &jetstream::Context,
    stream: &str,
) -> Option<(usize, Vec<(String, bool, bool)>, usize)> {
    let mut stream = js.get_stream(stream).await.ok()?;
    let info = stream.info().await.ok()?;
    let cluster = info.cluster.clone()?;
    let leader = cluster.leader.as_deref()?.strip_prefix('n')?.parse().ok()?;
    let replicas = cluster
        .replicas
        .iter()
        .map(|peer| (peer.name.clone(), peer.current, peer.offline))
        .collect();
    Some((leader, replicas, info.config.num_replicas))
}

/// Waits until `stream` is kept by three servers, all current (a server that was
/// killed has caught up).
async fn wait_three_current(js: &jetstream::Context, stream: &str) -> usize {
    let deadline = Deadline::new(
        format!("{stream} on three current servers"),
        Duration::from_secs(120),
    );
    loop {
        if let Some((leader, replicas, wanted)) = placement(js, stream).await
            && wanted == 3
            && replicas.len() == 2
            && replicas
                .iter()
                .all(|(_, current, offline)| *current && !offline)
        {
            return leader;
        }
        deadline.tick().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_mid_report_or_mid_publish_and_catches_up() {
    let mut cluster = NatsCluster::start(3);
    let servers: Vec<&str> = cluster.url.split(',').collect();
    let observer = async_nats::connect(servers.as_slice()).await.unwrap();
    let mut js = jetstream::new(observer);
    js.set_timeout(Duration::from_secs(3));

    let incident = incident_id();
    let db = prefilled_municipality(CHIYODA, &incident, EVENTS as usize - 1).await;
    // The national node creates the streams with three replicas before anyone else
    // could create them with one.
    let mut national = Member::start_at(
        NATIONAL,
        TestDb::create().await,
        &cluster.url,
        "nats_replicas = 3\n",
    )
    .await;
    for stream in ["ANPI_REPORTS", "ANPI_SHARED"] {
        wait_three_current(&js, stream).await;
    }
    let mut tokyo = Member::start_at(TOKYO, TestDb::create().await, &cluster.url, "").await;
    let mut chiyoda = Member::start_at(CHIYODA, db, &cluster.url, "").await;
    for member in [&mut national, &mut tokyo] {
        member.client.create_incident(&incident).await;
    }
    trust(&mut tokyo, &mut chiyoda).await;
    trust(&mut national, &mut tokyo).await;
    trust(&mut tokyo, &mut national).await;
    trust(&mut chiyoda, &mut national).await;

    // 1. The report's stream leader dies right after "report" is pressed: the parts
    //    are published, stored and consumed while one server of three is gone.
    let (leader, _, _) = placement(&js, "ANPI_REPORTS").await.unwrap();
    let report = chiyoda.client.report().await.report.unwrap();
    assert_eq!(report.event_count, EVENTS);
    cluster.kill(leader);
    assert_eq!(
        tokyo.count("SELECT count(*) FROM reports_received").await,
        0,
        "the server died in the middle of the report"
    );
    let deadline = Deadline::new(
        "the report through a cluster missing a server",
        Duration::from_secs(600),
    );
    while tokyo.count("SELECT count(*) FROM reports_received").await == 0 {
        if deadline.expired() {
            panic!("東京都 did not apply the report:\n{}", tokyo.node.log());
        }
        deadline.tick().await;
    }
    let received = &tokyo.client.history().await.received[0];
    assert_eq!(received.event_count, EVENTS);
    assert_eq!(received.duplicates, 0);
    assert_eq!(events_from(&tokyo, CHIYODA).await, EVENTS, "exactly once");
    let digest = "SELECT ('x' || left(md5(string_agg(event_id::text, ',' ORDER BY event_id)), 15))::bit(60)::bigint
                  FROM events WHERE origin = '131016' AND kind IN ('IncidentCreated', 'EntryRecorded')";
    assert_eq!(tokyo.count(digest).await, chiyoda.count(digest).await);
    // The killed server comes back and catches up.
    cluster.start_again(leader);
    wait_three_current(&js, "ANPI_REPORTS").await;

    // 2. 東京都 reports on; the national node publishes, and the shared stream's leader
    //    dies right after: every node still receives the whole version once.
    assert!(tokyo.client.report().await.reported);
    let deadline = Deadline::new(
        "the national tier to apply 東京都's report",
        Duration::from_secs(600),
    );
    while national
        .count("SELECT count(*) FROM reports_received")
        .await
        == 0
    {
        if deadline.expired() {
            panic!("国 did not apply the report:\n{}", national.node.log());
        }
        deadline.tick().await;
    }
    assert_eq!(events_from(&national, CHIYODA).await, EVENTS);
    let (leader, _, _) = placement(&js, "ANPI_SHARED").await.unwrap();
    national
        .client
        .publish()
        .await
        .expect("publishing version 1");
    cluster.kill(leader);
    let held = tokyo.client.shared_status().await;
    assert!(
        held.replica.is_none(),
        "the server died in the middle of the publish"
    );
    for member in [&mut tokyo, &mut chiyoda] {
        let status = member.wait_shared_version(1).await;
        assert_eq!(status.replica_records, EVENTS - 1, "{}", member.code);
        assert_eq!(status.staged_parts, 0);
    }
    cluster.start_again(leader);
    wait_three_current(&js, "ANPI_SHARED").await;
}
