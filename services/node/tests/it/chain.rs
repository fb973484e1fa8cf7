//! The log's hash chain against PostgreSQL (L-05, U-01, issue 21): what the writer
//! links reads back as it was linked, whatever the payload holds; tampering done with
//! superuser SQL (the append-only triggers disabled) is found at its exact position;
//! events written before the chain are linked when the writer starts.

use anpi_core::chain::{Break, Link};
use anpi_core::command::Command as DomainCommand;
use anpi_harness::TestDb;
use anpi_node::store::{self, chain};

use crate::support::{actor, create_incident, evacuee, record, start_writer};

/// A log with entries whose text needs escaping, a deletion and a departure.
async fn filled(db: &TestDb) -> i64 {
    let (writer, task) = start_writer(&db.url).await;
    let incident = create_incident(&writer).await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let mut draft = evacuee(n);
        draft.identifying_info = format!("「引用」\"quoted\" back\\slash 改行\n2行目 😀 髙橋 {n}");
        draft.contact = "03-1234-5678 (内線 \"9\")".into();
        if let anpi_node::store::writer::Outcome::Record { record, .. } =
            record(&writer, incident, &draft).await
        {
            ids.push(record.record_id);
        }
    }
    writer
        .submit(
            actor(),
            DomainCommand::DeleteEntry {
                record: ids[3],
                reason: "誤登録（\"重複\"）".into(),
            },
        )
        .await
        .unwrap();
    writer
        .submit(
            actor(),
            DomainCommand::RecordDeparture {
                record: ids[5],
                date: "2026-11-21".into(),
                today: chrono::Utc::now().date_naive(),
            },
        )
        .await
        .unwrap();
    drop(writer);
    task.await.unwrap();
    let client = store::connect(&db.url).await.unwrap();
    store::reader::head_position(&client).await.unwrap()
}

async fn verify(url: &str) -> chain::Verified {
    let mut client = store::connect(url).await.unwrap();
    chain::verify(&mut client, 1, 1000, |_, _| {})
        .await
        .unwrap()
}

/// Runs `sql` with the log's triggers disabled, as a superuser with database access
/// could.
async fn tamper(url: &str, sql: &str) {
    let client = store::connect(url).await.unwrap();
    client
        .batch_execute(&format!(
            "BEGIN; ALTER TABLE events DISABLE TRIGGER USER; {sql}; ALTER TABLE events ENABLE TRIGGER USER; COMMIT;"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn what_the_writer_links_reads_back_exactly_and_verifies() {
    let db = TestDb::create().await;
    let head = filled(&db).await;
    let client = store::connect(&db.url).await.unwrap();
    // The canonical text the writer linked is what PostgreSQL prints back.
    for row in client
        .query(
            "SELECT position, payload::text FROM events ORDER BY position",
            &[],
        )
        .await
        .unwrap()
    {
        let text: &str = row.get(1);
        // Sealed payloads (ADR 0019) are stored as JSON values in the same canonical form.
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            anpi_core::chain::canonical_json(&value),
            text,
            "position {}",
            row.get::<_, i64>(0)
        );
        assert!(!text.contains("髙橋"), "personal fields are sealed: {text}");
    }
    let verified = verify(&db.url).await;
    assert_eq!(verified.broke, None);
    assert_eq!(verified.checked, head as u64);
    let stored = chain::head(&client).await.unwrap();
    assert_eq!(verified.head.unwrap().position, stored.position);
    assert_eq!(verified.head.unwrap().link, stored.link);

    // From the middle, trusting the link before it.
    let mut c = store::connect(&db.url).await.unwrap();
    let partial = chain::verify(&mut c, 5, 1000, |_, _| {}).await.unwrap();
    assert_eq!(partial.broke, None);
    assert_eq!(partial.checked, head as u64 - 4);
}

#[tokio::test]
async fn a_payload_changed_with_superuser_sql_is_found_at_its_position() {
    let db = TestDb::create().await;
    filled(&db).await;
    let at: i64 = store::connect(&db.url)
        .await
        .unwrap()
        .query_one(
            "SELECT position FROM events WHERE kind = 'EntryRecorded' ORDER BY position OFFSET 6 LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    tamper(
        &db.url,
        &format!(
            "UPDATE events SET payload = jsonb_set(payload, '{{data,sealed}}', '\"5pS544GW44KT\"') WHERE position = {at}"
        ),
    )
    .await;
    let verified = verify(&db.url).await;
    assert_eq!(verified.broke, Some(Break::Altered { position: at }));
    assert_eq!(verified.head.unwrap().position, at - 1);
}

#[tokio::test]
async fn a_deleted_event_and_two_swapped_events_are_found() {
    let db = TestDb::create().await;
    filled(&db).await;
    tamper(&db.url, "DELETE FROM events WHERE position = 6").await;
    assert_eq!(
        verify(&db.url).await.broke,
        Some(Break::Missing { from: 6, to: 6 })
    );

    let db = TestDb::create().await;
    filled(&db).await;
    // Two events exchange places, each keeping its own link.
    tamper(
        &db.url,
        "UPDATE events SET position = position + 1000000 WHERE position IN (4, 9);
         UPDATE events SET position = CASE position WHEN 1000004 THEN 9 ELSE 4 END
         WHERE position > 1000000",
    )
    .await;
    assert_eq!(
        verify(&db.url).await.broke,
        Some(Break::Reordered {
            position: 4,
            with: 9
        })
    );
}

#[tokio::test]
async fn events_written_before_the_chain_are_linked_when_the_writer_starts() {
    let db = TestDb::create().await;
    let head = filled(&db).await;
    let client = store::connect(&db.url).await.unwrap();
    let before = chain::head(&client).await.unwrap();
    // As a log from before migration 0012: no links at all.
    tamper(&db.url, "UPDATE events SET link = NULL").await;
    let (writer, task) = start_writer(&db.url).await;
    let incident = create_incident(&writer).await;
    record(&writer, incident, &evacuee(99)).await;
    drop(writer);
    task.await.unwrap();
    let verified = verify(&db.url).await;
    assert_eq!(verified.broke, None);
    assert!(verified.checked > head as u64);
    // Linked the same way the writer linked them.
    let linked: Option<Vec<u8>> = client
        .query_one(
            "SELECT link FROM events WHERE position = $1",
            &[&before.position],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(Link::from_slice(&linked.unwrap()), Some(before.link));
    // The trigger lets nothing else through.
    let refused = client
        .execute("UPDATE events SET actor = 'x' WHERE position = 1", &[])
        .await;
    assert!(refused.is_err());
    let refused = client
        .execute("UPDATE events SET link = '\\x00' WHERE position = 1", &[])
        .await;
    assert!(refused.is_err(), "a stored link cannot be replaced");
}

#[tokio::test]
async fn the_canonical_text_is_what_postgresql_prints_for_every_kind_of_character() {
    let db = TestDb::create().await;
    let client = store::connect(&db.url).await.unwrap();
    // Every ASCII character (controls included, but NUL, which jsonb refuses), and
    // characters other JSON writers escape.
    let mut text = String::new();
    for c in (1u32..0x80).chain([0x85, 0xa0, 0x2028, 0x2029, 0xfeff, 0x9ad9, 0x1f600]) {
        text.push(char::from_u32(c).unwrap());
    }
    let value = serde_json::json!({
        "s": text,
        "n": [0, -1, i64::MIN, i64::MAX, u64::MAX],
        "nested": {"bb": {"a": null}, "a": [true, false, {}, []], "ab": ""},
        "長いキー": "値",
        "z": "short key last by length? no: by length first",
    });
    let canonical = anpi_core::chain::canonical_json(&value);
    for input in [canonical.clone(), serde_json::to_string(&value).unwrap()] {
        let printed: String = client
            .query_one("SELECT $1::text::jsonb::text", &[&input])
            .await
            .unwrap()
            .get(0);
        assert_eq!(printed, canonical);
    }
}
