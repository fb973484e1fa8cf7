//! a staged report part keeps the events `bus::inbound` decoded and checked,
//! exactly; a part staged by an earlier version (wire body only) is found and written
//! back with its events.

use anpi_core::ids::LogId;
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_harness::TestDb;
use anpi_node::store::{self, reader, reports};
use anpi_node::wire;
use anpi_proto::v1;
use uuid::Uuid;

use crate::support::{create_incident, evacuee, record, start_writer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_events_come_back_exactly_and_old_bodies_are_restaged() {
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    let incident = create_incident(&writer).await;
    record(&writer, incident, &evacuee(1)).await;
    let client = store::connect(&db.url).await.unwrap();
    let logged = reader::read_events(&client, 0, 10).await.unwrap();
    let events: Vec<_> = logged.iter().map(|e| e.event.clone()).collect();
    assert_eq!(events.len(), 2);

    let from = JurisdictionCode::parse("131024").unwrap();
    let part = reports::CheckedPart {
        report_id: Uuid::now_v7(),
        part: 0,
        last: true,
        from: from.clone(),
        log_id: LogId::from_uuid(Uuid::now_v7()),
        seq: 1,
        event_count: 2,
        events: events.clone(),
        head: None,
        since: None,
    };
    reports::stage_part(&client, &part).await.unwrap();
    // Staged again (a redelivery): left as it is.
    reports::stage_part(&client, &part).await.unwrap();
    assert_eq!(
        reports::staged_events(&client, part.report_id, 0)
            .await
            .unwrap(),
        events
    );
    assert_eq!(
        reports::staged_senders(&client).await.unwrap(),
        vec![(from.to_string(), part.log_id)]
    );
    assert!(
        reports::parts_without_events(&client)
            .await
            .unwrap()
            .is_empty()
    );

    // A part staged before migration 0010: only its wire body.
    let old = Uuid::now_v7();
    let body = wire::encode(&v1::ReportPart {
        events: logged.iter().map(wire::event_to_proto).collect(),
        ..Default::default()
    });
    client
        .execute(
            "INSERT INTO report_parts (report_id, part, last, from_jurisdiction, log_id, seq, event_count, body)
             VALUES ($1, 0, true, $2, $3, 2, 2, $4)",
            &[&old, &from.as_str(), &part.log_id.as_uuid(), &body],
        )
        .await
        .unwrap();
    let waiting = reports::parts_without_events(&client).await.unwrap();
    assert_eq!(waiting.len(), 1);
    let (report_id, number, sender, body) = waiting.into_iter().next().unwrap();
    assert_eq!(
        (report_id, number, sender.as_str()),
        (old, 0, from.as_str())
    );
    let decoded: v1::ReportPart = wire::decode(&body).unwrap();
    let again: Vec<_> = decoded
        .events
        .iter()
        .map(|e| wire::event_from_proto(e).unwrap())
        .collect();
    reports::restage_events(&client, old, 0, &again)
        .await
        .unwrap();
    assert!(
        reports::parts_without_events(&client)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        reports::staged_events(&client, old, 0).await.unwrap(),
        events
    );
}
