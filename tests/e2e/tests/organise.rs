//! Organising across tiers: the same person collected by two municipalities is merged
//! automatically where the reports meet (the prefecture and the national tier), each
//! tier deciding for itself; the national tier's read model is searchable and its
//! replay equals it. R: D-01, D-02, D-04, D-07, P-01, P-03, S-01, S-02, S-04.

use anpi_e2e::{Member, evacuee, network};
use anpi_harness::NatsServer;
use anpi_proto::v1;

const NATIONAL: &str = "000001";
const TOKYO: &str = "130001";
const CHIYODA: &str = "131016";
const SHINJUKU: &str = "131041";

async fn organise(member: &mut Member) -> v1::OrganiseResponse {
    let request = member.client.req(v1::OrganiseRequest::default());
    member
        .client
        .node
        .organise(request)
        .await
        .expect("organise")
        .into_inner()
}

async fn search(member: &mut Member, query: v1::SearchRequest) -> Vec<v1::Record> {
    let request = member.client.req(query);
    member
        .client
        .node
        .search(request)
        .await
        .expect("search")
        .into_inner()
        .records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_person_from_two_municipalities_is_merged_where_the_reports_meet() {
    let nats = NatsServer::start();
    let ([mut national, mut tokyo, mut chiyoda, mut shinjuku], incident) =
        network(&nats, [NATIONAL, TOKYO, CHIYODA, SHINJUKU]).await;

    // 消防 太郎 (home in 千代田区) is registered at a Chiyoda shelter, then again, on a
    // later form and without the space, at a Shinjuku hospital.
    let mut first = anpi_core::entry::fixtures::evacuee();
    first.written_at = "2026-11-21 09:00".into();
    let first = chiyoda
        .client
        .record(&incident, &first, None)
        .await
        .unwrap();
    let mut later = anpi_core::entry::fixtures::evacuee();
    later.written_at = "2026-11-21 11:00".into();
    later.name = "消防太郎".into();
    later.address.lot = "1-2".into();
    let later = shinjuku
        .client
        .record(&incident, &later, None)
        .await
        .unwrap();
    // Someone else with the same name and birth date, living elsewhere: only suspected.
    let mut namesake = anpi_core::entry::fixtures::evacuee();
    namesake.address.municipality = "港区".into();
    let namesake = shinjuku
        .client
        .record(&incident, &namesake, None)
        .await
        .unwrap();
    let other = chiyoda
        .client
        .record(&incident, &evacuee(3), None)
        .await
        .unwrap();

    // Neither municipality saw both: nothing merged there.
    assert!(
        organise(&mut chiyoda)
            .await
            .rows
            .iter()
            .all(|r| r.duplicate_of.is_empty())
    );
    for member in [&mut chiyoda, &mut shinjuku] {
        assert!(member.client.report().await.reported);
    }
    tokyo.wait_records(4).await;
    assert!(tokyo.client.report().await.reported);
    national.wait_records(4).await;

    for member in [&mut tokyo, &mut national] {
        let screen = organise(member).await;
        let row = |id: &str| {
            screen
                .rows
                .iter()
                .find(|r| r.record.as_ref().unwrap().record_id == id)
                .unwrap_or_else(|| panic!("{id} on {}'s screen", member.code))
                .clone()
        };
        let removed = row(&first.record_id);
        assert_eq!(removed.state_label, "削除", "{}", member.code);
        assert_eq!(removed.duplicate_of, later.record_id);
        assert_eq!(row(&later.record_id).state_label, "新規");
        assert_eq!(row(&other.record_id).state_label, "新規");
        // The namesake and the kept record share name and birth date (D-04).
        assert_eq!(screen.groups.len(), 1, "{}", member.code);
        let mut group = screen.groups[0].record_ids.clone();
        group.sort();
        let mut expected = vec![later.record_id.clone(), namesake.record_id.clone()];
        expected.sort();
        assert_eq!(group, expected);
        assert!(screen.flags.is_empty());
        // Each tier decided for itself: its removal is its own event, not reported.
        let removals: Vec<v1::Event> = member
            .client
            .events()
            .await
            .into_iter()
            .filter(|e| e.kind == "DuplicateRemoved")
            .collect();
        assert_eq!(removals.len(), 1, "{}", member.code);
        assert_eq!(removals[0].origin, member.code);
    }

    // Search at the national tier: partial and tolerant exact, with state and times.
    let found = search(
        &mut national,
        v1::SearchRequest {
            name: "太郎".into(),
            fuzzy: true,
            ..Default::default()
        },
    )
    .await;
    let labels: Vec<(String, String)> = found
        .iter()
        .map(|r| (r.record_id.clone(), r.state_label.clone()))
        .collect();
    assert_eq!(found.len(), 3, "{labels:?}");
    let exact = search(
        &mut national,
        v1::SearchRequest {
            name: "消防　太郎".into(),
            address: "東京都千代田区霞が関2-1-2".into(),
            ..Default::default()
        },
    )
    .await;
    let mut ids: Vec<&str> = exact.iter().map(|r| r.record_id.as_str()).collect();
    ids.sort();
    let mut expected = vec![first.record_id.as_str(), later.record_id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let kept = exact
        .iter()
        .find(|r| r.record_id == later.record_id)
        .unwrap();
    assert_eq!(
        (kept.state_label.as_str(), kept.collected_by.as_str()),
        ("避難", SHINJUKU)
    );
    assert!(!kept.written_at.is_empty() && !kept.received_at.is_empty());
    let bad = national
        .client
        .node
        .search(national.client.req(v1::SearchRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("検索条件"), "{}", bad.message());

    // P-03: the national read model replayed from its log equals the live one.
    let done = national.client.replay_compared().await;
    assert_eq!((done.differences, done.records), (0, 4), "{done:?}");
    let bad = national
        .client
        .node
        .replay(national.client.req(v1::ReplayRequest {
            into: "public".into(),
            ..Default::default()
        }))
        .await
        .expect_err("public is refused");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
}
