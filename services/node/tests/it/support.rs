//! Shared set-up for the node's integration tests.

use std::path::Path;

use anpi_core::entry::{EntryDraft, FormKind};
use anpi_core::event::Actor;
use anpi_core::ids::{AccountId, IncidentId};
use anpi_core::incident::IncidentMode;
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_node::config::{self, Config, NodeArgs};
use anpi_node::store::writer::{Command, Outcome, Writer};

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

/// A valid Form 1 draft for person number `n`.
pub fn evacuee(n: usize) -> EntryDraft {
    let mut draft = EntryDraft {
        form: FormKind::Form1,
        written_at: "2026-11-21 10:00".into(),
        name: format!("試験　{n}郎"),
        furigana: "シケン　タロウ".into(),
        birth_date: "1980-01-01".into(),
        sex: if n.is_multiple_of(2) {
            "男".into()
        } else {
            "女".into()
        },
        ..EntryDraft::default()
    };
    draft.address.prefecture = "東京都".into();
    draft.address.municipality = "千代田区".into();
    draft.address.lot = format!("{n}-1");
    draft.injury.status = "非該当".into();
    draft
}

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
            Command::CreateIncident {
                name: "訓練".into(),
                mode: IncidentMode::Drill,
                id: None,
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
            Command::RecordEntry {
                incident,
                entry: Box::new(entry),
                supersedes: None,
            },
        )
        .await
        .expect("recorded")
}
