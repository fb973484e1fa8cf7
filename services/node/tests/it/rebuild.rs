//! L-04: rebuilding the private area from position 0 gives exactly the live result.

use anpi_core::command::Command as DomainCommand;
use anpi_harness::TestDb;
use anpi_node::store::writer::Outcome;
use anpi_node::store::{self, projection, reader};
use chrono::Utc;

use crate::support::{actor, create_incident, evacuee, example, fold_log, record, start_writer};

async fn snapshot(
    client: &tokio_postgres::Client,
) -> Vec<(String, String, i64, i64, serde_json::Value)> {
    client
        .query("SELECT record_id::text, state, recorded_position, last_position, data FROM records ORDER BY record_id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

#[tokio::test]
async fn rebuild_equals_live() {
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    let drill = create_incident(&writer).await;
    let actual = create_incident(&writer).await;
    let mut ids = Vec::new();
    for n in 0..40 {
        let incident = if n % 3 == 0 { actual } else { drill };
        if let Outcome::Record { record, .. } = record(&writer, incident, &evacuee(n)).await {
            ids.push(record.record_id);
        }
    }
    let deceased = serde_json::from_value(example("form2-deceased.json")).unwrap();
    record(&writer, drill, &deceased).await;
    let today = Utc::now().date_naive();
    for id in ids.iter().take(5) {
        writer
            .submit(
                actor(),
                DomainCommand::DeleteEntry {
                    record: *id,
                    reason: "重複登録".into(),
                },
            )
            .await
            .unwrap();
    }
    for id in ids.iter().skip(5).take(5) {
        writer
            .submit(
                actor(),
                DomainCommand::RecordDeparture {
                    record: *id,
                    date: "2026-11-21".into(),
                    today,
                },
            )
            .await
            .unwrap();
    }

    let mut client = store::connect(&db.url).await.unwrap();
    let live = snapshot(&client).await;
    let live_incidents = reader::list_incidents(&client).await.unwrap();
    assert_eq!(live.len(), 41);
    assert_eq!(live.iter().filter(|r| r.1 == "deleted").count(), 5);
    assert_eq!(live.iter().filter(|r| r.1 == "departed").count(), 5);
    assert_eq!(live.iter().filter(|r| r.1 == "dead").count(), 1);

    // An independent fold over the whole log, in memory, agrees with the table.
    let events = reader::read_events(&client, 0, 10_000).await.unwrap();
    let folded = fold_log(&events);
    let folded_json: Vec<serde_json::Value> = folded
        .values()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
    let mut live_json: Vec<serde_json::Value> = live.iter().map(|r| r.4.clone()).collect();
    live_json.sort_by_key(|v| v["record_id"].as_str().unwrap().to_string());
    assert_eq!(live_json, folded_json);

    let mut pages = Vec::new();
    let rebuilt_from = projection::rebuild(&mut client, |at, head| pages.push((at, head)))
        .await
        .unwrap();
    assert_eq!(rebuilt_from as usize, events.len());
    assert_eq!(
        snapshot(&client).await,
        live,
        "rebuild differs from the live projection"
    );
    assert_eq!(
        reader::list_incidents(&client).await.unwrap(),
        live_incidents
    );
    let head = reader::head_position(&client).await.unwrap();
    assert_eq!(
        projection::checkpoint(&client, projection::PRIVATE_AREA)
            .await
            .unwrap(),
        head
    );
    assert_eq!(pages.last().copied(), Some((head, head)));
}
