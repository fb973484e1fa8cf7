//! Organising: automatic duplicate removal on intake, the organise screen, operator
//! merges, replay into a separate schema. R: D-01..D-05, D-07, R-05, P-03, L-04.

use anpi_core::command::Command as DomainCommand;
use anpi_core::dedup::DedupMode;
use anpi_core::entry::EntryDraft;
use anpi_core::entry::fixtures::evacuee as taro;
use anpi_core::event::Payload;
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::RecordState;
use anpi_harness::TestDb;
use anpi_node::store::search as queries;
use anpi_node::store::writer::{Outcome, Rejection, Writer, WriterOptions};
use anpi_node::store::{self, projection, reader};

use crate::support::{CODE, actor, config, create_incident, record};

fn written(draft: &EntryDraft, at: &str) -> EntryDraft {
    let mut draft = draft.clone();
    draft.written_at = at.into();
    draft
}

fn id_of(outcome: &Outcome) -> RecordId {
    match outcome {
        Outcome::Record { record, .. } => record.record_id,
        other => panic!("unexpected {other:?}"),
    }
}

async fn state(client: &tokio_postgres::Client, id: RecordId) -> RecordState {
    reader::records_by_id(client, &[id.as_uuid()])
        .await
        .unwrap()
        .pop()
        .expect("the record")
}

async fn start(url: &str, mode: DedupMode) -> (Writer, tokio::task::JoinHandle<()>) {
    anpi_node::server::prepare_database(&config(url, "127.0.0.1:1"))
        .await
        .unwrap();
    Writer::start_with(
        url,
        JurisdictionCode::parse(CODE).unwrap(),
        WriterOptions { dedup_mode: mode },
    )
    .await
    .unwrap()
}

/// (kind, payload) of every dedup event, in log order.
async fn dedup_events(client: &tokio_postgres::Client) -> Vec<Payload> {
    reader::read_events(client, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.payload)
        .filter(|p| {
            matches!(
                p,
                Payload::DuplicateRemoved { .. } | Payload::DuplicateFlagged { .. }
            )
        })
        .collect()
}

async fn enter(writer: &Writer, incident: IncidentId, draft: &EntryDraft) -> RecordId {
    id_of(&record(writer, incident, draft).await)
}

#[tokio::test]
async fn automatic_removal_follows_the_guideline_on_every_entry() {
    let db = TestDb::create().await;
    let (writer, _task) = start(&db.url, DedupMode::Canonical).await;
    let client = store::connect(&db.url).await.unwrap();
    let incident = create_incident(&writer).await;

    // 例2: a newer form, received later, with the name spelled with a half-width
    // space: the first record is removed (canonical mode merges the variants).
    let a = enter(&writer, incident, &written(&taro(), "2026-11-21 14:30")).await;
    let mut half_width = written(&taro(), "2026-11-21 15:00");
    half_width.name = "消防 太郎".into();
    half_width.address.town = "霞ヶ関二丁目".into();
    let b = enter(&writer, incident, &half_width).await;
    let a_state = state(&client, a).await;
    assert_eq!(a_state.duplicate_of, Some(b));
    assert!(
        a_state
            .deletion
            .as_ref()
            .unwrap()
            .reason
            .contains("自動重複除去")
    );
    assert!(state(&client, b).await.deletion.is_none());

    // 例1: the same form entered again (same 記入日時, later 受信日時) replaces it.
    let c = enter(&writer, incident, &written(&taro(), "2026-11-21 15:00")).await;
    assert_eq!(state(&client, b).await.duplicate_of, Some(c));

    // 例3: an older form received later: both stay, flagged.
    let d = enter(&writer, incident, &written(&taro(), "2026-11-21 14:00")).await;
    assert!(state(&client, c).await.deletion.is_none());
    assert!(state(&client, d).await.deletion.is_none());

    // Unknown birth date, or an address without its lot: never merged.
    let mut no_birth = written(&taro(), "2026-11-21 16:00");
    no_birth.birth_date = String::new();
    no_birth.identifying_info = "身長170cm程度".into();
    let e = enter(&writer, incident, &no_birth).await;
    let mut no_lot = written(&taro(), "2026-11-21 16:00");
    no_lot.address.town = "霞ヶ関 2丁目".into();
    no_lot.address.lot = String::new();
    let f = enter(&writer, incident, &no_lot).await;
    for id in [c, d, e, f] {
        assert!(state(&client, id).await.deletion.is_none(), "{id} live");
    }

    let events = dedup_events(&client).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(
        events[0],
        Payload::DuplicateRemoved { kept, removed, rule: anpi_core::dedup::Rule::NewerWrittenAndReceived, .. }
            if kept == b && removed == a
    ));
    assert!(matches!(
        events[1],
        Payload::DuplicateRemoved { kept, removed, rule: anpi_core::dedup::Rule::SameWrittenNewerReceived, .. }
            if kept == c && removed == b
    ));
    assert!(matches!(
        events[2],
        Payload::DuplicateFlagged { older, newer, .. } if older == d && newer == c
    ));
    let screen = queries::organise(&client, Some(incident), 100, 0)
        .await
        .unwrap();
    assert_eq!(screen.flags.len(), 1);
    assert_eq!((screen.flags[0].older, screen.flags[0].newer), (d, c));

    // The operator resolves the flag by deleting the newer form; a late duplicate then
    // arrives. Nothing deleted comes back: it is compared with the live record only.
    writer
        .submit(
            actor(),
            DomainCommand::DeleteEntry {
                record: c,
                reason: "誤入力".into(),
            },
        )
        .await
        .unwrap();
    let g = enter(&writer, incident, &written(&taro(), "2026-11-21 15:00")).await;
    for id in [a, b, c, d] {
        assert!(
            state(&client, id).await.deletion.is_some(),
            "{id} stays deleted"
        );
    }
    assert_eq!(state(&client, d).await.duplicate_of, Some(g));
    assert!(state(&client, g).await.deletion.is_none());
    let screen = queries::organise(&client, Some(incident), 100, 0)
        .await
        .unwrap();
    assert!(screen.flags.is_empty(), "resolved flags are not listed");

    // L-04: replaying the log into another schema gives the same rows, column by column.
    let mut replay_client = store::connect(&db.url).await.unwrap();
    let head = reader::head_position(&replay_client).await.unwrap();
    let reader = store::connect(&db.url).await.unwrap();
    projection::replay_into(&mut replay_client, &reader, "replay", head, |_, _| {})
        .await
        .unwrap();
    let (differences, ids) = projection::compare_with_live(&replay_client, "replay", head)
        .await
        .unwrap();
    assert_eq!((differences, ids), (0, Vec::new()));
    let replayed: i64 = replay_client
        .query_one("SELECT count(*) FROM replay.records", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(replayed, 7);
    // The comparison is not blind: a tampered replayed row is reported.
    replay_client
        .execute(
            "UPDATE replay.records SET state = 'evacuated' WHERE record_id = $1",
            &[&a.as_uuid()],
        )
        .await
        .unwrap();
    let (differences, ids) = projection::compare_with_live(&replay_client, "replay", head)
        .await
        .unwrap();
    assert_eq!(differences, 2, "the live row and the replayed row");
    assert_eq!(ids, vec![a.as_uuid(), a.as_uuid()]);
    // The same against the live side kept as digests (the national benchmark's way,
    // issue 18): the tampered row is found, and an untampered replay equals them.
    let kept = projection::keep_live_digests(&replay_client, "kept_digests")
        .await
        .unwrap();
    assert_eq!(kept, 7);
    let (differences, ids) =
        projection::compare_with_kept(&replay_client, "kept_digests", "replay", head)
            .await
            .unwrap();
    assert_eq!(differences, 2, "the kept digest and the replayed row");
    assert_eq!(ids, vec![a.as_uuid(), a.as_uuid()]);
    replay_client
        .execute(
            "DELETE FROM replay.records WHERE record_id = $1",
            &[&a.as_uuid()],
        )
        .await
        .unwrap();
    let (differences, ids) =
        projection::compare_with_kept(&replay_client, "kept_digests", "replay", head)
            .await
            .unwrap();
    assert_eq!(
        (differences, ids),
        (1, vec![a.as_uuid()]),
        "a record missing from the replay is one differing row"
    );
}

#[tokio::test]
async fn strict_mode_compares_raw_strings() {
    let db = TestDb::create().await;
    let (writer, _task) = start(&db.url, DedupMode::Strict).await;
    let client = store::connect(&db.url).await.unwrap();
    let incident = create_incident(&writer).await;
    let a = enter(&writer, incident, &written(&taro(), "2026-11-21 14:30")).await;
    let mut no_space = written(&taro(), "2026-11-21 15:00");
    no_space.name = "消防太郎".into();
    let b = enter(&writer, incident, &no_space).await;
    assert!(state(&client, a).await.deletion.is_none());
    assert!(state(&client, b).await.deletion.is_none());
    // Exactly the same strings: removed as in the original system.
    let c = enter(&writer, incident, &written(&taro(), "2026-11-21 15:30")).await;
    assert_eq!(state(&client, a).await.duplicate_of, Some(c));
    assert!(state(&client, b).await.deletion.is_none());
    let events = dedup_events(&client).await;
    assert!(matches!(
        events.as_slice(),
        [Payload::DuplicateRemoved {
            mode: DedupMode::Strict,
            ..
        }]
    ));
}

#[tokio::test]
async fn the_organise_screen_groups_suspects_and_merges_on_confirmation() {
    let db = TestDb::create().await;
    let (writer, _task) = start(&db.url, DedupMode::Canonical).await;
    let client = store::connect(&db.url).await.unwrap();
    let incident = create_incident(&writer).await;
    // Same name and birth date, different address: a suspected duplicate (D-04).
    let home = enter(&writer, incident, &taro()).await;
    let mut elsewhere = taro();
    elsewhere.name = "消防太郎".into();
    elsewhere.address.municipality = "港区".into();
    let moved = enter(&writer, incident, &elsewhere).await;
    let other = enter(&writer, incident, &crate::support::evacuee(7)).await;

    let screen = queries::organise(&client, Some(incident), 100, 0)
        .await
        .unwrap();
    assert_eq!(screen.total, 3);
    assert_eq!(screen.groups.len(), 1);
    assert_eq!(screen.groups[0].records, vec![home, moved]);
    assert!(
        screen.rows.iter().all(|r| !r.reported),
        "nothing reported yet"
    );

    // The operator confirms: `moved` is the same person, kept; `home` is deleted.
    let merged = writer
        .submit(
            actor(),
            DomainCommand::MergeDuplicate {
                keep: moved,
                remove: home,
            },
        )
        .await
        .unwrap();
    assert_eq!(id_of(&merged), home);
    let removed = state(&client, home).await;
    assert!(
        removed
            .deletion
            .unwrap()
            .reason
            .contains(&moved.to_string())
    );
    let screen = queries::organise(&client, Some(incident), 100, 0)
        .await
        .unwrap();
    assert!(screen.groups.is_empty());

    // Refusals name the field and change nothing.
    let head = reader::head_position(&client).await.unwrap();
    for (keep, remove, field) in [
        (moved, home, "remove"),
        (other, other, "remove"),
        (RecordId::from_uuid(uuid::Uuid::nil()), other, "keep"),
    ] {
        let rejection = writer
            .submit(actor(), DomainCommand::MergeDuplicate { keep, remove })
            .await
            .unwrap_err();
        let (Rejection::Conflict(error) | Rejection::NotFound(error)) = rejection else {
            panic!("unexpected {rejection:?}");
        };
        assert_eq!(error.field, field, "{error:?}");
    }
    assert_eq!(reader::head_position(&client).await.unwrap(), head);
}
