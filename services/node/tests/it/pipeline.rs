//! The writer decides group N+1 while group N is written (group.rs): whatever the
//! grouping, the outcome is that of deciding every command in order. Duplicates whose
//! first entry is in a group not yet committed are still found, a record deleted by
//! such a group cannot be departed, and the log folds to the live table.
//! R: L-01, L-02, D-01, D-07, C-01.

use anpi_core::command::Command as DomainCommand;
use anpi_core::entry::EntryDraft;
use anpi_core::event::Payload;
use anpi_core::ids::RecordId;
use anpi_harness::TestDb;
use anpi_node::store::writer::{Outcome, Queued, Rejection};
use anpi_node::store::{self, reader};
use chrono::Utc;

use crate::support::{actor, create_incident, evacuee, fold_log, record, start_writer};

/// People entered twice: once early, once (newer) far enough later that most pairs
/// are split over groups, adjacent ones among them.
const PEOPLE: usize = 1_500;
const OFFSET: usize = 200;

fn written(mut draft: EntryDraft, at: &str) -> EntryDraft {
    draft.written_at = at.into();
    draft
}

fn entry(incident: anpi_core::ids::IncidentId, draft: &EntryDraft) -> DomainCommand {
    DomainCommand::RecordEntry {
        incident,
        entry: Box::new(anpi_core::entry::validate(draft, Utc::now()).expect("valid")),
        supersedes: None,
        confirm_same_person: false,
    }
}

#[tokio::test]
async fn pipelined_groups_decide_as_if_one_after_another() {
    let db = TestDb::create().await;
    let (writer, _task) = start_writer(&db.url).await;
    let incident = create_incident(&writer).await;
    let today = Utc::now().date_naive();
    // Committed before: records the queued commands delete and then try to depart.
    let mut before = Vec::new();
    for n in 0..4 {
        match record(&writer, incident, &evacuee(100_000 + n)).await {
            Outcome::Record { record, .. } => before.push(record.record_id),
            other => panic!("unexpected {other:?}"),
        }
    }

    // Everything is queued before the first answer: the writer takes up to 512
    // commands a group and prepares the next while the one before is written.
    let mut queued: Vec<(usize, Queued<Outcome>)> = Vec::new();
    // Person n's second entry comes 2 * OFFSET + 1 commands after the first: in the
    // same group or the next one, rarely committed before it is decided.
    let mut commands: Vec<DomainCommand> = Vec::new();
    for k in 0..PEOPLE + OFFSET {
        if k < PEOPLE {
            commands.push(entry(incident, &written(evacuee(k), "2026-11-21 10:00")));
        }
        if k >= OFFSET {
            let n = k - OFFSET;
            commands.push(entry(incident, &written(evacuee(n), "2026-11-21 12:00")));
        }
    }
    // A deletion, then a departure of the same record some hundred commands later
    // (often in the next group), for each record made before.
    let mut refused_at = Vec::new();
    for (k, id) in before.iter().enumerate() {
        let at = 400 + k * 700;
        commands.insert(
            at,
            DomainCommand::DeleteEntry {
                record: *id,
                reason: "誤登録".into(),
            },
        );
        commands.insert(
            at + 300,
            DomainCommand::RecordDeparture {
                record: *id,
                date: "2026-11-21".into(),
                today,
            },
        );
        refused_at.push(at + 300);
    }
    for (n, command) in commands.into_iter().enumerate() {
        queued.push((n, writer.queue::<Outcome>(actor(), command).await));
    }
    let mut answers = Vec::new();
    for (n, q) in queued {
        answers.push((n, q.reply().await));
    }
    for (n, answer) in &answers {
        if refused_at.contains(n) {
            assert!(
                matches!(
                    answer,
                    Err(Rejection::Conflict(_)
                        | Rejection::Precondition(_)
                        | Rejection::Invalid(_))
                ),
                "command {n}: a departure of a deleted record must be refused, got {answer:?}"
            );
        } else {
            assert!(answer.is_ok(), "command {n}: {answer:?}");
        }
    }

    let client = store::connect(&db.url).await.unwrap();
    let events = reader::read_events(&client, 0, 1_000_000).await.unwrap();
    // Gap-free positions.
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.position, i as i64 + 1, "positions are consecutive");
    }
    // Every person's older entry removed by the newer one, once.
    let removed: Vec<(RecordId, RecordId)> = events
        .iter()
        .filter_map(|e| match &e.event.payload {
            Payload::DuplicateRemoved { kept, removed, .. } => Some((*kept, *removed)),
            _ => None,
        })
        .collect();
    assert_eq!(
        removed.len(),
        PEOPLE,
        "one removal per person entered twice"
    );
    let distinct: std::collections::HashSet<_> = removed.iter().map(|(_, r)| *r).collect();
    assert_eq!(distinct.len(), PEOPLE);

    // The table is the fold of the log.
    let folded = fold_log(&events);
    let live: Vec<serde_json::Value> = client
        .query("SELECT data FROM records ORDER BY record_id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let folded: Vec<serde_json::Value> = folded
        .values()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
    assert_eq!(live.len(), 2 * PEOPLE + before.len());
    assert_eq!(
        live, folded,
        "the live table differs from the fold of the log"
    );
    let states: Vec<String> = client
        .query(
            "SELECT state FROM records WHERE record_id = ANY($1)",
            &[&before.iter().map(|r| r.as_uuid()).collect::<Vec<_>>()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(states, vec!["deleted"; before.len()]);
    // L-05: groups decided while the one before was written chain on from its head.
    let mut c = store::connect(&db.url).await.unwrap();
    let verified = store::chain::verify(&mut c, 1, 10_000, |_, _| {})
        .await
        .unwrap();
    assert_eq!(verified.broke, None);
    assert_eq!(verified.checked as usize, events.len());
}
