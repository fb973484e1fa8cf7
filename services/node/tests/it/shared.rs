//! Publishing the shared dataset at the national node: who may publish, numbered
//! versions as events, each version's delta read as the read model stood at its
//! position however the model changed since, and the versions rebuilt from the log.
//! R: P-02, P-03, L-04.

use std::collections::BTreeMap;

use anpi_core::command::Command as DomainCommand;
use anpi_core::event::{Actor, Payload};
use anpi_core::ids::{AccountId, IncidentId, RecordId};
use anpi_core::incident::IncidentMode;
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::RecordState;
use anpi_harness::TestDb;
use anpi_node::config::{self, NodeArgs};
use anpi_node::store::shared::{self as shared_store, Delta};
use anpi_node::store::writer::{Command, Outcome, Rejection, Writer};
use anpi_node::store::{self, projection, reader};
use uuid::Uuid;

use crate::support::{evacuee, start_writer};

const NATIONAL: &str = "000001";

fn national_actor() -> Actor {
    Actor {
        jurisdiction: JurisdictionCode::parse(NATIONAL).unwrap(),
        account: AccountId::parse("publisher").unwrap(),
    }
}

async fn national_writer(url: &str) -> (Writer, tokio::task::JoinHandle<()>) {
    let config = config::load(&NodeArgs {
        jurisdiction: Some(NATIONAL.into()),
        database_url: Some(url.into()),
        listen: Some("127.0.0.1:1".into()),
        ..NodeArgs::default()
    })
    .unwrap();
    anpi_node::server::prepare_database(&config).await.unwrap();
    Writer::start(url, JurisdictionCode::parse(NATIONAL).unwrap())
        .await
        .unwrap()
}

async fn submit(writer: &Writer, command: impl Into<Command>) -> Outcome {
    writer
        .submit(national_actor(), command)
        .await
        .expect("accepted")
}

async fn record(writer: &Writer, incident: IncidentId, n: usize) -> RecordId {
    let entry = anpi_core::entry::validate(&evacuee(n), chrono::Utc::now()).unwrap();
    match submit(
        writer,
        DomainCommand::RecordEntry {
            incident,
            entry: Box::new(entry),
            supersedes: None,
            confirm_same_person: false,
        },
    )
    .await
    {
        Outcome::Record { record, .. } => record.record_id,
        other => panic!("unexpected {other:?}"),
    }
}

async fn publish(writer: &Writer) -> Outcome {
    submit(writer, Command::Publish).await
}

fn version_of(outcome: &Outcome) -> anpi_core::shared::Version {
    match outcome {
        Outcome::Published { version, .. } => *version,
        other => panic!("expected a new version, got {other:?}"),
    }
}

/// Every record of one version's delta, by id, read in one repeatable-read snapshot
/// as the publisher reads it.
async fn read_delta(url: &str, previous_through: i64, through: i64) -> BTreeMap<Uuid, RecordState> {
    let mut client = store::connect(url).await.unwrap();
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .unwrap();
    let mut delta = Delta::new(previous_through, through);
    let mut out = BTreeMap::new();
    while let Some(page) = delta.next_page(&tx).await.unwrap() {
        for json in page {
            let state: RecordState = serde_json::from_str(&json).unwrap();
            assert!(
                out.insert(state.record_id.as_uuid(), state).is_none(),
                "a record twice in one delta"
            );
        }
    }
    tx.commit().await.unwrap();
    out
}

/// The read model as of `through`, by replaying the log into a schema of its own.
async fn replayed(url: &str, schema: &str, through: i64) -> BTreeMap<Uuid, RecordState> {
    let mut client = store::connect(url).await.unwrap();
    let reader = store::connect(url).await.unwrap();
    projection::replay_into(&mut client, &reader, schema, through, |_, _| {})
        .await
        .unwrap();
    client
        .query(&format!("SELECT data FROM {schema}.records"), &[])
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let state: RecordState = serde_json::from_value(row.get(0)).unwrap();
            (state.record_id.as_uuid(), state)
        })
        .collect()
}

#[tokio::test]
async fn only_the_national_node_publishes_and_only_what_changed() {
    let db = TestDb::create().await;
    let (municipal, _task) = start_writer(&db.url).await;
    let refused = municipal
        .submit(crate::support::actor(), Command::Publish)
        .await
        .unwrap_err();
    match refused {
        Rejection::Precondition(message) => assert!(message.contains("国（消防庁）"), "{message}"),
        other => panic!("unexpected {other:?}"),
    }

    let db = TestDb::create().await;
    let (writer, _task) = national_writer(&db.url).await;
    match publish(&writer).await {
        Outcome::NotPublished(message) => assert!(message.contains("まだありません"), "{message}"),
        other => panic!("nothing to publish yet, got {other:?}"),
    }
    let incident = match submit(
        &writer,
        DomainCommand::CreateIncident {
            name: "訓練：公開".into(),
            mode: IncidentMode::Drill,
            id: None,
            local: false,
        },
    )
    .await
    {
        Outcome::Incident { incident, .. } => incident.id,
        other => panic!("unexpected {other:?}"),
    };
    record(&writer, incident, 1).await;
    let first = version_of(&publish(&writer).await);
    assert_eq!(
        (first.version, first.record_count, first.changed_count),
        (1, 1, 1)
    );
    match publish(&writer).await {
        Outcome::NotPublished(message) => assert!(message.contains("第1版"), "{message}"),
        other => panic!("nothing changed, got {other:?}"),
    }
    record(&writer, incident, 2).await;
    let second = version_of(&publish(&writer).await);
    assert_eq!(
        (second.version, second.record_count, second.changed_count),
        (2, 2, 1)
    );

    // The versions are events, and the version list is a projection of them.
    let client = store::connect(&db.url).await.unwrap();
    let published: Vec<i64> = reader::read_events(&client, 0, 1000)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| match &e.event.payload {
            Payload::DatasetPublished { version, .. } => Some(*version),
            _ => None,
        })
        .collect();
    assert_eq!(published, [1, 2]);
    let listed = shared_store::published(&client, false).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].previous_through, first.through_position);
    assert!(
        listed.iter().all(|v| v.sent_at.is_none()),
        "nothing sent without NATS"
    );
}

#[tokio::test]
async fn a_versions_delta_is_the_read_model_as_it_stood_at_its_position() {
    let db = TestDb::create().await;
    let (writer, task) = national_writer(&db.url).await;
    let incident = match submit(
        &writer,
        DomainCommand::CreateIncident {
            name: "訓練：版".into(),
            mode: IncidentMode::Drill,
            id: None,
            local: false,
        },
    )
    .await
    {
        Outcome::Incident { incident, .. } => incident.id,
        other => panic!("unexpected {other:?}"),
    };
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(record(&writer, incident, n).await);
    }
    let v1 = version_of(&publish(&writer).await);

    // The model moves on before the publisher reads version 1.
    submit(
        &writer,
        DomainCommand::DeleteEntry {
            record: ids[0],
            reason: "重複登録".into(),
        },
    )
    .await;
    submit(
        &writer,
        DomainCommand::RecordDeparture {
            record: ids[1],
            date: "2026-11-22".into(),
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        },
    )
    .await;
    let late = record(&writer, incident, 6).await;

    let delta_1 = read_delta(&db.url, 0, v1.through_position).await;
    let as_of_1 = replayed(&db.url, "as_of_v1", v1.through_position).await;
    assert_eq!(delta_1.len() as i64, v1.changed_count);
    assert_eq!(delta_1, as_of_1, "version 1 is the model at its position");
    assert!(
        delta_1[&ids[0].as_uuid()].deletion.is_none(),
        "deleted only after v1"
    );
    assert!(
        !delta_1.contains_key(&late.as_uuid()),
        "recorded only after v1"
    );

    let v2 = version_of(&publish(&writer).await);
    assert_eq!((v2.record_count, v2.changed_count), (6, 3));
    // Version 2 carries only what changed since version 1, as it stood at v2.
    let delta_2 = read_delta(&db.url, v1.through_position, v2.through_position).await;
    let changed: Vec<Uuid> = delta_2.keys().copied().collect();
    let mut expected = vec![ids[0].as_uuid(), ids[1].as_uuid(), late.as_uuid()];
    expected.sort();
    assert_eq!(changed, expected);
    assert!(delta_2[&ids[0].as_uuid()].deletion.is_some());
    assert!(delta_2[&ids[1].as_uuid()].departure.is_some());

    // Applying the deltas in order gives the model at v2.
    let mut replica = delta_1.clone();
    replica.extend(delta_2);
    assert_eq!(
        replica,
        replayed(&db.url, "as_of_v2", v2.through_position).await
    );
    assert_eq!(replica.len() as i64, v2.record_count);

    // The version list is rebuilt from the log like every projection.
    drop(writer);
    task.await.unwrap();
    let mut client = store::connect(&db.url).await.unwrap();
    let before = shared_store::published(&client, false).await.unwrap();
    projection::rebuild(&mut client, |_, _| {}).await.unwrap();
    let after = shared_store::published(&client, false).await.unwrap();
    let key = |v: &shared_store::Published| (v.version, v.previous_through, v.published_at);
    assert_eq!(
        before.iter().map(key).collect::<Vec<_>>(),
        after.iter().map(key).collect::<Vec<_>>()
    );
}

/// Issue 21: a node that purged an incident does not take its records back from a
/// version the national tier published before purging it too; the other incident's
/// records are applied as ever.
#[tokio::test]
async fn a_replica_does_not_take_back_the_records_of_an_incident_purged_here() {
    let national_db = TestDb::create().await;
    let (national, _task) = national_writer(&national_db.url).await;
    let mut incidents = Vec::new();
    for name in ["訓練：消去済み", "訓練：保存中"] {
        match submit(
            &national,
            DomainCommand::CreateIncident {
                name: name.into(),
                mode: IncidentMode::Drill,
                id: None,
                local: false,
            },
        )
        .await
        {
            Outcome::Incident { incident, .. } => incidents.push(incident),
            other => panic!("unexpected {other:?}"),
        }
    }
    let purged = record(&national, incidents[0].id, 1).await;
    let kept = record(&national, incidents[1].id, 2).await;
    let version = version_of(&publish(&national).await);
    let client = store::connect(&national_db.url).await.unwrap();
    let mut delta = Delta::new(0, version.through_position);
    let mut records_json = Vec::new();
    while let Some(page) = delta.next_page(&client).await.unwrap() {
        records_json.extend(page);
    }
    assert_eq!(records_json.len(), 2);
    let part = anpi_proto::v1::SharedPart {
        log_id: reader::log_id(&client).await.unwrap().to_string(),
        version: version.version,
        through_position: version.through_position,
        published_at: anpi_node::wire::rfc3339(chrono::Utc::now()),
        record_count: version.record_count,
        changed_count: version.changed_count,
        incidents: incidents
            .iter()
            .map(|i| anpi_proto::v1::Incident {
                id: i.id.to_string(),
                name: i.name.clone(),
                mode: i.mode.as_str().into(),
                created_at: anpi_node::wire::rfc3339(i.created_at),
                ..Default::default()
            })
            .collect(),
        records_json,
        attempt: Uuid::now_v7().to_string(),
        last: true,
        ..Default::default()
    };

    // The receiving node holds the first incident and has purged it.
    let db = TestDb::create().await;
    let (writer, _task) = national_writer(&db.url).await;
    submit(
        &writer,
        DomainCommand::CreateIncident {
            name: incidents[0].name.clone(),
            mode: IncidentMode::Drill,
            id: Some(incidents[0].id),
            local: false,
        },
    )
    .await;
    let today = chrono::Utc::now()
        .with_timezone(&anpi_core::entry::jst_offset())
        .date_naive();
    let retention = |change| Command::Retention(change);
    submit(
        &writer,
        retention(anpi_node::store::writer::RetentionChange::SetUntil {
            incident: incidents[0].id,
            until: today,
        }),
    )
    .await;
    submit(
        &writer,
        retention(anpi_node::store::writer::RetentionChange::Purge {
            incident: incidents[0].id,
            confirm: incidents[0].id.to_string(),
            today,
        }),
    )
    .await;

    let mut replica = store::connect(&db.url).await.unwrap();
    let header = shared_store::PartHeader {
        log_id: reader::log_id(&client).await.unwrap(),
        version: version.version,
        attempt: part.attempt.parse().unwrap(),
        part: 0,
        last: true,
    };
    shared_store::stage_part(&replica, &header, &anpi_node::wire::encode(&part))
        .await
        .unwrap();
    let applied = shared_store::apply_next(&mut replica)
        .await
        .unwrap()
        .expect("the version is whole");
    assert_eq!(applied.records_held, 1);
    let held: Vec<Uuid> = replica
        .query("SELECT record_id FROM shared.records", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(held, [kept.as_uuid()]);
    assert_ne!(held[0], purged.as_uuid());
}
