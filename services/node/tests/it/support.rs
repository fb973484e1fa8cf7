//! Shared set-up for the node's integration tests.

use std::path::Path;

use anpi_core::command::Command as DomainCommand;
use anpi_core::entry::EntryDraft;
use anpi_core::event::Actor;
use anpi_core::ids::{AccountId, IncidentId};
use anpi_core::incident::IncidentMode;
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_node::config::{self, Config, NodeArgs};
use anpi_node::store::writer::{Outcome, Writer};

pub const CODE: &str = "131016";

pub fn config(database_url: &str, listen: &str) -> Config {
    config::load(&NodeArgs {
        jurisdiction: Some(CODE.into()),
        database_url: Some(database_url.into()),
        listen: Some(listen.into()),
        ..NodeArgs::default()
    })
    .expect("test configuration")
}

pub fn actor() -> Actor {
    Actor {
        jurisdiction: JurisdictionCode::parse(CODE).unwrap(),
        account: AccountId::parse("tester").unwrap(),
    }
}

/// An example file from `schemas/json/examples/` (so the examples stay valid).
pub fn example(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/json/examples")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub use anpi_core::entry::fixtures::numbered_evacuee as evacuee;

pub async fn start_writer(url: &str) -> (Writer, tokio::task::JoinHandle<()>) {
    anpi_node::server::prepare_database(&config(url, "127.0.0.1:1"))
        .await
        .unwrap();
    Writer::start(url, JurisdictionCode::parse(CODE).unwrap())
        .await
        .unwrap()
}

pub async fn create_incident(writer: &Writer) -> IncidentId {
    let outcome = writer
        .submit(
            actor(),
            DomainCommand::CreateIncident {
                name: "訓練".into(),
                mode: IncidentMode::Drill,
                id: None,
                local: false,
            },
        )
        .await
        .unwrap();
    match outcome {
        Outcome::Incident { incident, .. } => incident.id,
        other => panic!("unexpected {other:?}"),
    }
}

pub async fn record(writer: &Writer, incident: IncidentId, draft: &EntryDraft) -> Outcome {
    let entry = anpi_core::entry::validate(draft, chrono::Utc::now()).expect("valid draft");
    writer
        .submit(
            actor(),
            DomainCommand::RecordEntry {
                incident,
                entry: Box::new(entry),
                supersedes: None,
                confirm_same_person: false,
            },
        )
        .await
        .expect("recorded")
}

/// An independent fold of `events` in memory, by record (what the records table must hold).
pub fn fold_log(
    events: &[anpi_core::event::Event],
) -> std::collections::BTreeMap<anpi_core::ids::RecordId, anpi_core::private_area::RecordState> {
    let mut folded = std::collections::BTreeMap::new();
    for event in events {
        if let Some(id) = event.event.payload.record_id() {
            let next = anpi_core::private_area::apply(folded.remove(&id), event);
            folded.extend(next.map(|s| (id, s)));
        }
    }
    folded
}
