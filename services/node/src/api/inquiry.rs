//! Inquiry RPCs: register, identify, answer or refuse, show, list. R: Q-01..Q-06,
//! A-06 (the reads made to answer are counted in the identification event).
//!
//! Thin: the rules are `anpi_core::inquiry` — `validate`, `identify`, `answer`,
//! `render_text` and the step checks of `inquiry::state`. This module gathers the
//! candidate records (the private area and this node's replica of the shared dataset)
//! and the record to answer about, and submits the events.

use std::collections::BTreeMap;

use crate::app::AppError;
use anpi_core::event::{Actor, Searched};
use anpi_core::ids::{IncidentId, InquiryId, RecordId};
use anpi_core::incident::Incident;
use anpi_core::inquiry::{
    self, AnswerContext, Identification, InquiryDraft, InquiryState, state as steps,
};
use anpi_core::private_area::RecordState;
use anpi_core::search::{Query, QueryDraft};
use anpi_core::validation::FieldError;
use anpi_proto::v1;
use chrono::{SecondsFormat, Utc};

use super::{NodeState, convert, error};
use crate::store::reader;
use crate::store::search::{self as queries, Table};
use crate::store::shared::{REPLICA_INCIDENTS, REPLICA_RECORDS, replica_version};
use crate::store::writer::Outcome;
use anpi_core::command::Command as DomainCommand;

/// Candidate records read per search (name, furigana, identifying information).
const CANDIDATES: i64 = 500;

fn time(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The view of an inquiry state.
pub fn view(state: &InquiryState) -> v1::InquiryView {
    let status = state.status();
    let (record, candidates) = match state.identified.as_ref().map(|i| &i.identification) {
        Some(Identification::Identified {
            record, candidates, ..
        }) => (Some(*record), *candidates as i64),
        Some(Identification::NotIdentified { candidates, .. }) => (None, *candidates as i64),
        _ => (None, 0),
    };
    let record = state.answered.as_ref().and_then(|a| a.record_id).or(record);
    let inquiry = &state.inquiry;
    v1::InquiryView {
        inquiry_id: state.inquiry_id.to_string(),
        status: status.as_str().into(),
        status_label: status.label_ja().into(),
        registered_at: time(state.registered.at),
        registered_by: state.registered.by.clone(),
        inquirer: inquiry.inquirer.name().to_string(),
        relationship_label: inquiry.relationship.label_ja().into(),
        channel_label: inquiry.channel.label_ja().into(),
        target_name: inquiry.target.raw.name.clone(),
        record_id: record.map(|r| r.to_string()).unwrap_or_default(),
        candidates,
        ask_for: state
            .ask_for()
            .iter()
            .map(|f| f.label_ja().to_string())
            .collect(),
        answered_at: state
            .answered
            .as_ref()
            .map(|a| time(a.step.at))
            .unwrap_or_default(),
        answered_by: state
            .answered
            .as_ref()
            .map(|a| a.step.by.clone())
            .unwrap_or_default(),
        form5: state
            .answered
            .as_ref()
            .map(|a| a.form5.clone())
            .unwrap_or_default(),
        refusal_reason: state
            .refused
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_default(),
        officer_notes: state
            .answered
            .as_ref()
            .map(|a| a.answer.officer_notes.clone())
            .unwrap_or_default(),
        state_json: serde_json::to_string(state).unwrap_or_default(),
        incident_id: state.incident.map(|i| i.to_string()).unwrap_or_default(),
        // Filled in by `with_incidents`.
        incident: None,
    }
}

fn inquiry_id(text: &str) -> Result<InquiryId, AppError> {
    text.parse().map_err(|_| error::bad_id("inquiry_id", text))
}

async fn load(state: &NodeState, id: InquiryId) -> Result<Option<InquiryState>, AppError> {
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    Ok(reader::inquiries_by_id(&**client, &[id.as_uuid()])
        .await
        .map_err(error::store)?
        .pop())
}

async fn inquiry_outcome(state: &NodeState, outcome: Outcome) -> Result<v1::InquiryView, AppError> {
    match outcome {
        Outcome::Inquiry { state: inquiry, .. } => {
            Ok(with_incidents(state, vec![view(&inquiry)]).await?.remove(0))
        }
        _ => Err(AppError::internal("unexpected outcome")),
    }
}

/// Every incident this node knows: its own, then the shared dataset's.
async fn known_incidents(state: &NodeState) -> Result<Vec<Incident>, AppError> {
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    let mut known = reader::list_incidents(&**client)
        .await
        .map_err(error::store)?;
    known.extend(
        reader::incidents_where(&**client, REPLICA_INCIDENTS, 0, i64::MAX)
            .await
            .map_err(error::store)?,
    );
    Ok(known)
}

/// The views with their incident and its mode filled in (T-04).
async fn with_incidents(
    state: &NodeState,
    mut views: Vec<v1::InquiryView>,
) -> Result<Vec<v1::InquiryView>, AppError> {
    let known = known_incidents(state).await?;
    for view in &mut views {
        view.incident = known
            .iter()
            .find(|i| i.id.to_string() == view.incident_id)
            .map(convert::incident);
    }
    Ok(views)
}

/// validates the inquiry (every problem named by field) and registers it.
pub async fn register(
    state: &NodeState,
    actor: Actor,
    request: v1::RegisterInquiryRequest,
) -> Result<v1::InquiryView, AppError> {
    // T-04, T-06: an inquiry belongs to one incident; its identification and answer
    // use only that incident's records.
    let incident: IncidentId = request.incident_id.trim().parse().map_err(|_| {
        error::invalid(&[FieldError::new(
            "incident_id",
            "照会の事案を指定してください（`anpi incident list` で事案IDを確認できます）。訓練と実事案の安否情報は混ぜません",
        )])
    })?;
    let draft: InquiryDraft = serde_json::from_str(&request.draft_json).map_err(|e| {
        error::invalid(&[FieldError::new(
            "draft_json",
            format!("照会の内容を読み取れません（JSON）: {e}"),
        )])
    })?;
    let inquiry =
        inquiry::validate(&draft, Utc::now()).map_err(|errors| error::invalid(&errors))?;
    let outcome = state
        .writer
        .submit(
            actor,
            DomainCommand::RegisterInquiry {
                incident,
                inquiry: Box::new(inquiry),
            },
        )
        .await
        .map_err(error::rejection)?;
    inquiry_outcome(state, outcome).await
}

/// The searches that gather candidates: tolerant exact name, tolerant exact furigana,
/// and (when neither is given) the identifying information as a partial match.
fn candidate_queries(target: &inquiry::Target) -> Vec<Query> {
    let raw = &target.raw;
    let mut drafts = Vec::new();
    if !raw.name.trim().is_empty() {
        drafts.push(QueryDraft {
            name: raw.name.clone(),
            ..Default::default()
        });
    }
    if !raw.furigana.trim().is_empty() {
        drafts.push(QueryDraft {
            kana: raw.furigana.clone(),
            ..Default::default()
        });
    }
    if drafts.is_empty() {
        for piece in raw
            .identifying_info
            .split(['、', ',', '，', '・', ' ', '　'])
            .filter(|p| !p.trim().is_empty())
        {
            drafts.push(QueryDraft {
                text: piece.to_string(),
                ..Default::default()
            });
        }
    }
    drafts
        .iter()
        .filter_map(|draft| Query::parse(draft).ok())
        .collect()
}

/// looks for the person in the private area and the shared dataset this node
/// holds, decides with `inquiry::identify`, and records the outcome with how many
/// records were read.
pub async fn identify(
    state: &NodeState,
    actor: Actor,
    request: v1::InquiryRequest,
) -> Result<v1::InquiryView, AppError> {
    let id = inquiry_id(&request.inquiry_id)?;
    let current = load(state, id).await?;
    let incident = steps::decide_identify(current.as_ref())?;
    let current = current.expect("checked");
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    let dataset = replica_version(&**client).await.map_err(error::store)?;
    let mut found: BTreeMap<RecordId, RecordState> = BTreeMap::new();
    let mut searched = Searched {
        private: 0,
        shared: 0,
        dataset_version: dataset.as_ref().map(|d| d.version.version),
    };
    let queries = candidate_queries(&current.inquiry.target);
    // The private area first: for the node's own records it is the newest state.
    let tables: Vec<Table> = if dataset.is_some() {
        vec![Table::Records, Table::Named(REPLICA_RECORDS)]
    } else {
        vec![Table::Records]
    };
    for (i, table) in tables.iter().enumerate() {
        for query in &queries {
            let (records, _) =
                queries::search(&**client, *table, query, Some(incident), CANDIDATES)
                    .await
                    .map_err(error::store)?;
            if i == 0 {
                searched.private += records.len() as i64;
            } else {
                searched.shared += records.len() as i64;
            }
            for record in records {
                found.entry(record.record_id).or_insert(record);
            }
        }
    }
    drop(client);
    let candidates: Vec<RecordState> = found.into_values().collect();
    let identification = inquiry::identify_in(&current.inquiry.target, incident, &candidates);
    let outcome = state
        .writer
        .submit(
            actor,
            DomainCommand::IdentifyInquiry {
                inquiry: id,
                identification,
                searched,
            },
        )
        .await
        .map_err(error::rejection)?;
    inquiry_outcome(state, outcome).await
}

/// Q-03..Q-06: refuses with the reason, or answers about the identified record (the
/// private area's state when this node holds it, else the shared dataset's) and keeps
/// the answer exactly as disclosed.
pub async fn answer(
    state: &NodeState,
    actor: Actor,
    request: v1::AnswerInquiryRequest,
) -> Result<v1::InquiryView, AppError> {
    let id = inquiry_id(&request.inquiry_id)?;
    if !request.refuse_reason.trim().is_empty() {
        let outcome = state
            .writer
            .submit(
                actor,
                DomainCommand::RefuseInquiry {
                    inquiry: id,
                    reason: request.refuse_reason,
                },
            )
            .await
            .map_err(error::rejection)?;
        return inquiry_outcome(state, outcome).await;
    }
    let current = load(state, id).await?;
    let record_id = steps::decide_answer(current.as_ref())?;
    let current = current.expect("checked");
    let (record, collected_here) = match record_id {
        None => (None, false),
        Some(record_id) => {
            let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
            let ids = [record_id.as_uuid()];
            let own = reader::records_by_id(&**client, &ids)
                .await
                .map_err(error::store)?
                .pop();
            let record = match own {
                Some(record) => Some(record),
                None => reader::records_by_id_in(&**client, REPLICA_RECORDS, &ids)
                    .await
                    .map_err(error::store)?
                    .pop(),
            };
            let record = record.ok_or_else(|| {
                AppError::Conflict(String::from(
                    "特定した安否情報が見つかりません。もう一度 `anpi inquiry identify` を実行してください",
                ))
            })?;
            steps::decide_answer_record(&current, &record)?;
            let here = record.origin == state.config.jurisdiction;
            (Some(record), here)
        }
    };
    let context = AnswerContext {
        collected_here,
        publication_decided: None,
    };
    let answer = inquiry::answer(&current.inquiry, record.as_ref(), &context);
    let incident = inquiry_incident(state, &current).await?;
    let form5 = inquiry::render_text(
        &current.inquiry,
        &answer,
        &incident,
        &state.config.answering_body(),
        Utc::now(),
    );
    let outcome = state
        .writer
        .submit(
            actor,
            DomainCommand::AnswerInquiry {
                inquiry: id,
                record: record_id,
                answer: Box::new(answer),
                form5,
            },
        )
        .await
        .map_err(error::rejection)?;
    inquiry_outcome(state, outcome).await
}

/// The inquiry's incident as this node knows it (its own incidents, else the shared
/// dataset's): Form 5 shows a drill as a drill (T-04).
async fn inquiry_incident(state: &NodeState, current: &InquiryState) -> Result<Incident, AppError> {
    let id = steps::incident_of(current)?;
    known_incidents(state)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| {
            AppError::Conflict(String::from(
                "照会の事案が見つかりません。`anpi incident list` で事案を確認してください",
            ))
        })
}

pub async fn get(
    state: &NodeState,
    request: v1::InquiryRequest,
) -> Result<v1::InquiryView, AppError> {
    let id = inquiry_id(&request.inquiry_id)?;
    let current = load(state, id).await?.ok_or_else(|| {
        AppError::NotFound(String::from(
            "指定された照会が見つかりません。`anpi inquiry list` で照会IDを確認してください",
        ))
    })?;
    Ok(with_incidents(state, vec![view(&current)]).await?.remove(0))
}

pub async fn list(
    state: &NodeState,
    request: v1::ListInquiriesRequest,
) -> Result<v1::ListInquiriesResponse, AppError> {
    let limit = match request.limit {
        0 => 100,
        n => i64::from(n.clamp(1, 1000)),
    };
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    let inquiries = reader::list_inquiries(&**client, limit)
        .await
        .map_err(error::store)?;
    Ok(v1::ListInquiriesResponse {
        inquiries: with_incidents(state, inquiries.iter().map(view).collect()).await?,
    })
}
