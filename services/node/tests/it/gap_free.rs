//! L-02: a reader following the log while many writers append never skips an event.

use std::collections::HashSet;
use std::time::Duration;

use anpi_harness::TestDb;
use anpi_node::store::{self, reader};

use crate::support::{create_incident, evacuee, record, start_writer};

const WRITERS: usize = 16;
const PER_WRITER: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reader_following_the_log_never_skips_an_event() {
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    let incident = create_incident(&writer).await;
    let total = 1 + (WRITERS * PER_WRITER) as i64;

    // The reader polls from its own connection while the writers run, and checks that
    // every page continues exactly where the previous one stopped.
    let url = db.url.clone();
    let follower = tokio::spawn(async move {
        let client = store::connect(&url).await.unwrap();
        let mut cursor = 0i64;
        let mut seen = HashSet::new();
        let mut polls = 0u64;
        while cursor < total {
            polls += 1;
            for event in reader::read_events(&client, cursor, 97).await.unwrap() {
                assert_eq!(event.position, cursor + 1, "the reader skipped a position");
                assert!(seen.insert(event.event.id), "an event was read twice");
                cursor = event.position;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        (cursor, seen.len(), polls)
    });

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let writer = writer.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                record(&writer, incident, &evacuee(w * 1000 + i)).await;
            }
        }));
    }
    for task in writers {
        task.await.unwrap();
    }
    let (cursor, seen, polls) = tokio::time::timeout(Duration::from_secs(60), follower)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cursor, total);
    assert_eq!(seen as i64, total);
    assert!(
        polls > 1,
        "the reader must have followed the writers concurrently"
    );

    // And the log itself has exactly the positions 1..=total.
    let client = store::connect(&db.url).await.unwrap();
    let row = client
        .query_one(
            "SELECT count(*), min(position), max(position) FROM events",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2)
        ),
        (total, 1, total)
    );
}

#[tokio::test]
async fn the_log_refuses_updates_deletes_and_truncation() {
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    create_incident(&writer).await;
    let client = store::connect(&db.url).await.unwrap();
    for statement in [
        "UPDATE events SET kind = 'x'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let error = client.batch_execute(statement).await.unwrap_err();
        assert!(
            format!("{error:?}").contains("append-only"),
            "{statement}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_second_writer_on_the_same_log_is_refused() {
    let db = TestDb::create().await;
    let (_writer, _task) = start_writer(&db.url).await;
    let code = anpi_core::jurisdiction::JurisdictionCode::parse(crate::support::CODE).unwrap();
    let Err(error) = store::writer::Writer::start(&db.url, code).await else {
        panic!("a second writer started");
    };
    assert!(error.to_string().contains("already writing"), "{error}");
}
