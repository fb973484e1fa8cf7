//! The shared dataset (共用領域) across the tiers: the national node publishes numbered
//! versions of its read model; every node takes each version into its replica and
//! searches it there, so a municipality finds a person collected by another one, a
//! node that was down catches up, and the last version stays searchable while the
//! national node is down. R: P-02, S-03, S-04, T-05, L-04.

use std::time::Duration;

use anpi_e2e::{Deadline, Member, evacuee, network};
use anpi_harness::NatsServer;
use anpi_proto::v1;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const SHINJUKU: &str = "131041";

fn shared_query(name: &str, fuzzy: bool) -> v1::SearchRequest {
    v1::SearchRequest {
        name: name.into(),
        fuzzy,
        shared: true,
        ..Default::default()
    }
}

async fn search(
    member: &mut Member,
    query: v1::SearchRequest,
) -> Result<v1::SearchResponse, tonic::Status> {
    let request = member.client.req(query);
    Ok(member.client.node.search(request).await?.into_inner())
}

/// Reports from both municipalities to Tokyo and from Tokyo to the national node,
/// then waits until the national node holds `records`.
async fn report_up(
    municipalities: [&mut Member; 2],
    tokyo: &mut Member,
    national: &mut Member,
    records: i64,
) {
    for member in municipalities {
        member.client.report().await;
    }
    tokyo.wait_records(records).await;
    assert!(tokyo.client.report().await.reported);
    national.wait_records(records).await;
}

/// The replica's rows (what search reads) digested, and the same of a read model.
const DIGEST: &str = "SELECT count(*) * 1000000 + COALESCE(sum(('x' || left(md5(record_id::text || state || last_position::text || data::text || array_to_string(grams, ',')), 5))::bit(20)::int), 0)
                      FROM {table}";

async fn digest(member: &Member, table: &str) -> i64 {
    member.count(&DIGEST.replace("{table}", table)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_versions_reach_every_node_and_stay_searchable_without_the_national_node() {
    let nats = NatsServer::start();
    let ([mut national, mut tokyo, mut chiyoda, mut shinjuku], incident) =
        network(&nats, [NATIONAL, TOKYO, CHIYODA, SHINJUKU]).await;

    // 消防 太郎 is registered in Chiyoda; someone else in Shinjuku.
    let taro = chiyoda
        .client
        .record(&incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .unwrap();
    shinjuku
        .client
        .record(&incident, &evacuee(3), None)
        .await
        .unwrap();

    // Nothing published yet: a clear refusal, not an empty answer.
    let refused = search(&mut shinjuku, shared_query("消防太郎", false))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("まだ受信していません"),
        "{}",
        refused.message()
    );
    // Only the national tier publishes.
    let refused = tokyo.client.publish().await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    assert!(
        refused.message().contains("国（消防庁）"),
        "{}",
        refused.message()
    );

    report_up([&mut chiyoda, &mut shinjuku], &mut tokyo, &mut national, 2).await;
    let first = national.client.publish().await.unwrap();
    assert!(first.published, "{}", first.message);
    let v1 = first.version.unwrap();
    assert_eq!((v1.version, v1.record_count, v1.changed_count), (1, 2, 2));

    for member in [&mut national, &mut tokyo, &mut chiyoda, &mut shinjuku] {
        let status = member.wait_shared_version(1).await;
        assert_eq!(status.replica_records, 2, "{}", member.code);
        let held = status.replica.unwrap();
        assert_eq!(held.published_at, v1.published_at);
        assert!(!held.received_at.is_empty());
    }
    // Shinjuku finds the person Chiyoda collected (S-03), by tolerant exact and by
    // partial match, with state, collecting body, 記入日時 and 受信日時 (S-04).
    for query in [shared_query("消防太郎", false), shared_query("太郎", true)] {
        let found = search(&mut shinjuku, query).await.unwrap();
        assert_eq!((found.scope.as_str(), found.dataset_version), ("shared", 1));
        assert!(!found.dataset_received_at.is_empty());
        assert_eq!(found.records.len(), 1);
        let record = &found.records[0];
        assert_eq!(record.record_id, taro.record_id);
        assert_eq!(
            (record.state_label.as_str(), record.collected_by.as_str()),
            ("避難", CHIYODA)
        );
        assert_eq!(record.written_at, taro.written_at);
        assert_eq!(record.received_at, taro.received_at);
        assert_eq!(record.incident.as_ref().unwrap().id, incident);
    }
    // Shinjuku's own private area does not hold that person.
    let private = search(
        &mut shinjuku,
        v1::SearchRequest {
            shared: false,
            ..shared_query("消防太郎", false)
        },
    )
    .await
    .unwrap();
    assert!(private.records.is_empty());
    // The replica is the national read model, row for row.
    assert_eq!(
        digest(&shinjuku, "shared.records").await,
        digest(&national, "records").await
    );
    let nothing = national.client.publish().await.unwrap();
    assert!(!nothing.published);
    assert!(nothing.message.contains("第1版"), "{}", nothing.message);

    // Shinjuku is down while Chiyoda deletes and the national tier publishes again:
    // the version waits in JetStream for it.
    shinjuku.node.process.kill9();
    chiyoda.client.delete(&taro.record_id, "誤登録").await;
    chiyoda.client.report().await;
    let deadline = Deadline::new("the deletion at Tokyo", Duration::from_secs(60));
    while tokyo
        .count("SELECT count(*) FROM records WHERE state = 'deleted'")
        .await
        == 0
    {
        deadline.tick().await;
    }
    assert!(tokyo.client.report().await.reported);
    let deadline = Deadline::new("the deletion at the national tier", Duration::from_secs(60));
    while national
        .count("SELECT count(*) FROM records WHERE state = 'deleted'")
        .await
        == 0
    {
        deadline.tick().await;
    }
    let second = national.client.publish().await.unwrap().version.unwrap();
    assert_eq!((second.version, second.changed_count), (2, 1));
    chiyoda.wait_shared_version(2).await;

    // The national node goes down; Shinjuku comes back, takes version 2, and answers
    // from it (T-05).
    national.node.process.kill9();
    shinjuku.node.process.restart();
    shinjuku.reconnect().await;
    let status = shinjuku.wait_shared_version(2).await;
    assert_eq!(status.replica_records, 2);
    let found = search(&mut shinjuku, shared_query("消防太郎", false))
        .await
        .unwrap();
    assert_eq!(found.dataset_version, 2);
    assert_eq!(found.records[0].state_label, "削除");
    assert_eq!(found.records[0].deleted_reason, "誤登録");
    // Entries and reports go on below meanwhile.
    chiyoda
        .client
        .record(&incident, &evacuee(4), None)
        .await
        .unwrap();
    assert!(chiyoda.client.report().await.reported);
    let again = search(&mut chiyoda, shared_query("太郎", true))
        .await
        .unwrap();
    assert_eq!(again.dataset_version, 2);
}
