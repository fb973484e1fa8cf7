//! Inquiries: register, identify, answer or refuse, show, list (Q-01..Q-06; A-06: the
//! reads made to answer are counted in the identification event).
//!
//! The rules are `anpi_core::inquiry` — `validate`, `identify`, `answer`,
//! `render_text` and the step checks of `inquiry::state`. These use cases gather the
//! candidate records (the private area and this node's replica of the shared dataset)
//! and the record to answer about, and submit the events.

use std::collections::BTreeMap;

use anpi_core::account::Operation;
use anpi_core::command::Command as DomainCommand;
use anpi_core::event::Searched;
use anpi_core::ids::{IncidentId, InquiryId, RecordId};
use anpi_core::incident::Incident;
use anpi_core::inquiry::{self, AnswerContext, InquiryDraft, InquiryState, state as steps};
use anpi_core::private_area::RecordState;
use anpi_core::search::{Query, QueryDraft};
use chrono::Utc;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::reader;
use crate::store::search::{self as queries, Table};
use crate::store::shared::{REPLICA_INCIDENTS, REPLICA_RECORDS, replica_version};
use crate::store::writer::InquiryWritten;

/// Candidate records read per search (name, furigana, identifying information).
const CANDIDATES: i64 = 500;

/// An inquiry with its incident (when this node knows it), for display (T-04).
#[derive(Debug, Clone)]
pub struct InquiryView {
    pub state: InquiryState,
    pub incident: Option<Incident>,
}

impl NodeState {
    /// validates the inquiry (every problem named by field) and registers it.
    /// T-04, T-06: an inquiry belongs to one incident; its identification and answer
    /// use only that incident's records.
    pub async fn register_inquiry(
        &self,
        session: &Session,
        incident: IncidentId,
        draft: InquiryDraft,
    ) -> Result<InquiryView, AppError> {
        let caller = self.authorize(session, Operation::Inquiry)?;
        let inquiry = inquiry::validate(&draft, Utc::now()).map_err(AppError::Invalid)?;
        let written: InquiryWritten = self
            .writer
            .ask(
                caller.actor,
                DomainCommand::RegisterInquiry {
                    incident,
                    inquiry: Box::new(inquiry),
                },
            )
            .await?;
        self.inquiry_view(written).await
    }

    /// looks for the person in the private area and the shared dataset this node
    /// holds, decides with `inquiry::identify`, and records the outcome with how many
    /// records were read.
    pub async fn identify_inquiry(
        &self,
        session: &Session,
        id: InquiryId,
    ) -> Result<InquiryView, AppError> {
        let caller = self.authorize(session, Operation::Inquiry)?;
        let current = self.load_inquiry(id).await?;
        let incident = steps::decide_identify(current.as_ref())?;
        let current = current.expect("checked");
        let client = self.pool.get().await?;
        let dataset = replica_version(&**client).await?;
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
                    queries::search(&**client, *table, query, Some(incident), CANDIDATES).await?;
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
        let written: InquiryWritten = self
            .writer
            .ask(
                caller.actor,
                DomainCommand::IdentifyInquiry {
                    inquiry: id,
                    identification,
                    searched,
                },
            )
            .await?;
        self.inquiry_view(written).await
    }

    /// refuses to answer, with the reason.
    pub async fn refuse_inquiry(
        &self,
        session: &Session,
        id: InquiryId,
        reason: String,
    ) -> Result<InquiryView, AppError> {
        let caller = self.authorize(session, Operation::Inquiry)?;
        let written: InquiryWritten = self
            .writer
            .ask(
                caller.actor,
                DomainCommand::RefuseInquiry {
                    inquiry: id,
                    reason,
                },
            )
            .await?;
        self.inquiry_view(written).await
    }

    /// Q-03..Q-06: answers about the identified record (the private area's state when
    /// this node holds it, else the shared dataset's) and keeps the answer exactly as
    /// disclosed.
    /// Q-04..Q-06: answers within the person's consent, keeping the Form 5 copy and how
    /// it was given (`channel`, 第5 4(5)).
    pub async fn answer_inquiry(
        &self,
        session: &Session,
        id: InquiryId,
        channel: Option<anpi_core::inquiry_types::AnswerChannel>,
    ) -> Result<InquiryView, AppError> {
        let caller = self.authorize(session, Operation::Inquiry)?;
        let current = self.load_inquiry(id).await?;
        let record_id = steps::decide_answer(current.as_ref())?;
        let current = current.expect("checked");
        let (record, collected_here) = match record_id {
            None => (None, false),
            Some(record_id) => {
                let client = self.pool.get().await?;
                let ids = [record_id.as_uuid()];
                let own = reader::records_by_id(&**client, &ids).await?.pop();
                let record = match own {
                    Some(record) => Some(record),
                    None => reader::records_by_id_in(&**client, REPLICA_RECORDS, &ids)
                        .await?
                        .pop(),
                };
                let record = record.ok_or_else(|| {
                    AppError::Conflict(String::from(
                        "特定した安否情報が見つかりません。もう一度 `anpi inquiry identify` を実行してください",
                    ))
                })?;
                steps::decide_answer_record(&current, &record)?;
                let here = record.origin == self.config.jurisdiction;
                (Some(record), here)
            }
        };
        // the standing decision (this body's own, or the collecting body's as
        // confirmed with it) decides what "others" get when consent cannot be asked.
        let publication_decided = match record_id {
            Some(id) => self.publication_decided(id).await?,
            None => None,
        };
        let context = AnswerContext {
            collected_here,
            publication_decided,
        };
        let answer = inquiry::answer(&current.inquiry, record.as_ref(), &context);
        let incident = self.inquiry_incident(&current).await?;
        let form5 = inquiry::render_text(
            &current.inquiry,
            &answer,
            &incident,
            &self.config.answering_body(),
            Utc::now(),
        );
        let written: InquiryWritten = self
            .writer
            .ask(
                caller.actor,
                DomainCommand::AnswerInquiry {
                    inquiry: id,
                    record: record_id,
                    answer: Box::new(answer),
                    form5,
                    channel,
                },
            )
            .await?;
        self.inquiry_view(written).await
    }

    /// One inquiry (A-06: logged as `get_inquiry`).
    pub async fn get_inquiry(
        &self,
        session: &Session,
        id: InquiryId,
    ) -> Result<InquiryView, AppError> {
        let caller = self.authorize(session, Operation::Inquiry)?;
        let current = self.load_inquiry(id).await?.ok_or_else(|| {
            AppError::NotFound(String::from(
                "指定された照会が見つかりません。`anpi inquiry list` で照会IDを確認してください",
            ))
        })?;
        let view = self.with_incidents(vec![current]).await?.remove(0);
        caller
            .log_read(
                "get_inquiry",
                serde_json::json!({ "inquiry_id": id.to_string() }),
                1,
            )
            .await;
        Ok(view)
    }

    /// The inquiries, newest first (`limit`: 0 means 100; A-06: logged as
    /// `list_inquiries`).
    pub async fn list_inquiries(
        &self,
        session: &Session,
        limit: i32,
    ) -> Result<Vec<InquiryView>, AppError> {
        let caller = self.authorize(session, Operation::Inquiry)?;
        let limit = match limit {
            0 => 100,
            n => i64::from(n.clamp(1, 1000)),
        };
        let client = self.pool.get().await?;
        let inquiries = reader::list_inquiries(&**client, limit).await?;
        drop(client);
        let views = self.with_incidents(inquiries).await?;
        caller
            .log_read("list_inquiries", serde_json::json!({}), views.len())
            .await;
        Ok(views)
    }

    async fn load_inquiry(&self, id: InquiryId) -> Result<Option<InquiryState>, AppError> {
        let client = self.pool.get().await?;
        Ok(reader::inquiries_by_id(&**client, &[id.as_uuid()])
            .await?
            .pop())
    }

    async fn inquiry_view(&self, written: InquiryWritten) -> Result<InquiryView, AppError> {
        Ok(self.with_incidents(vec![*written.state]).await?.remove(0))
    }

    /// Every incident this node knows: its own, then the shared dataset's.
    async fn known_incidents(&self) -> Result<Vec<Incident>, AppError> {
        let client = self.pool.get().await?;
        let mut known = reader::list_incidents(&**client).await?;
        known.extend(reader::incidents_where(&**client, REPLICA_INCIDENTS, 0, i64::MAX).await?);
        Ok(known)
    }

    /// The inquiries with their incident and its mode (T-04).
    async fn with_incidents(
        &self,
        states: Vec<InquiryState>,
    ) -> Result<Vec<InquiryView>, AppError> {
        let known = self.known_incidents().await?;
        Ok(states
            .into_iter()
            .map(|state| InquiryView {
                incident: state
                    .incident
                    .and_then(|id| known.iter().find(|i| i.id == id).cloned()),
                state,
            })
            .collect())
    }

    /// The inquiry's incident as this node knows it (its own incidents, else the shared
    /// dataset's): Form 5 shows a drill as a drill (T-04).
    async fn inquiry_incident(&self, current: &InquiryState) -> Result<Incident, AppError> {
        let id = steps::incident_of(current)?;
        self.known_incidents()
            .await?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(|| {
                AppError::Conflict(String::from(
                    "照会の事案が見つかりません。`anpi incident list` で事案を確認してください",
                ))
            })
    }
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
