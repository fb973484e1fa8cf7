//! P-03, L-04: the pipelined replay (`projection::replay_into`: page k+1 read, folded
//! and encoded while page k is written) gives the live rows, column by column, when
//! records change pages after they were made and the private area is purged half-way.

use anpi_core::command::Command as DomainCommand;
use anpi_harness::TestDb;
use anpi_node::store::writer::{Command, Outcome, Queued, TrustChange};
use anpi_node::store::{self, projection, reader};
use chrono::Utc;

use crate::support::{actor, create_incident, evacuee, start_writer};

/// The last position of the second replay page (5,000 events each).
const PAGE_TWO_END: i64 = 10_000;
/// Entries after the first replay, before the purge, and after it.
const BEFORE_PURGE: usize = 3_000;
const AFTER_PURGE: usize = 6_000;

async fn enter(
    writer: &anpi_node::store::writer::Writer,
    incident: anpi_core::ids::IncidentId,
    people: std::ops::Range<usize>,
) -> Vec<anpi_core::ids::RecordId> {
    let mut queued: Vec<Queued<Outcome>> = Vec::new();
    for n in people {
        let command = DomainCommand::RecordEntry {
            incident,
            entry: Box::new(anpi_core::entry::validate(&evacuee(n), Utc::now()).expect("valid")),
            supersedes: None,
            confirm_same_person: false,
        };
        queued.push(writer.queue::<Outcome>(actor(), command).await);
    }
    let mut ids = Vec::new();
    for q in queued {
        match q.reply().await {
            Ok(Outcome::Record { record, .. }) => ids.push(record.record_id),
            other => panic!("unexpected {other:?}"),
        }
    }
    ids
}

/// Departures of `ids`, queued together (events far from their records' own pages).
async fn depart(writer: &anpi_node::store::writer::Writer, ids: &[anpi_core::ids::RecordId]) {
    let today = Utc::now().date_naive();
    let mut queued: Vec<Queued<Outcome>> = Vec::new();
    for id in ids {
        let command = DomainCommand::RecordDeparture {
            record: *id,
            date: "2026-11-21".into(),
            today,
        };
        queued.push(writer.queue::<Outcome>(actor(), command).await);
    }
    for q in queued {
        assert!(q.reply().await.is_ok());
    }
}

/// Replays through `through` into `schema` and compares with live; returns the pages.
async fn replay_equals_live(url: &str, schema: &str, through: i64) -> usize {
    let mut client = store::connect(url).await.unwrap();
    let reader_client = store::connect(url).await.unwrap();
    let mut pages = 0;
    let folded = projection::replay_into(&mut client, &reader_client, schema, through, |_, _| {
        pages += 1
    })
    .await
    .unwrap();
    assert_eq!(folded, through as u64);
    let (differences, ids) = projection::compare_with_live(&client, schema, through)
        .await
        .unwrap();
    assert_eq!(
        (differences, ids),
        (0, Vec::new()),
        "replay through {through}"
    );
    pages
}

#[tokio::test]
async fn a_pipelined_replay_equals_live_across_pages_and_a_purge() {
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    let incident = create_incident(&writer).await;
    // Position 1 the incident, 2..=10,000 the entries: two full pages.
    let early = enter(&writer, incident, 0..(PAGE_TWO_END - 1) as usize).await;
    // Records of the second page depart at the start of the third: replayed through
    // the end of those departures, the third page is a few events, read and folded at
    // once while the second (5,000 rows) is still being written. Its records come from
    // the second page in memory, not from the database (where they are not yet).
    depart(&writer, &early[6_000..6_050]).await;
    assert_eq!(
        replay_equals_live(&db.url, "replayed", PAGE_TWO_END + 50).await,
        3
    );

    // Records of the first page change later too; then the purge, and entries after it.
    enter(&writer, incident, 50_000..50_000 + BEFORE_PURGE).await;
    depart(&writer, &early[..100]).await;
    writer
        .submit(
            actor(),
            Command::Trust(TrustChange::PurgePrivateArea {
                reason: "再登録のため".into(),
            }),
        )
        .await
        .unwrap();
    let late = enter(&writer, incident, 100_000..100_000 + AFTER_PURGE).await;
    // Records made after the purge change a page later.
    depart(&writer, &late[..200]).await;

    let client = store::connect(&db.url).await.unwrap();
    let head = reader::head_position(&client).await.unwrap();
    let pages = replay_equals_live(&db.url, "replayed", head).await as i64;
    assert_eq!(pages, (head + 4_999) / 5_000);
    let count = |table: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    // Only the records made after the purge, in both.
    assert_eq!(count("records").await, AFTER_PURGE as i64);
    assert_eq!(count("replayed.records").await, AFTER_PURGE as i64);
    assert_eq!(
        count("replayed.records WHERE state = 'departed'").await,
        200
    );
}
