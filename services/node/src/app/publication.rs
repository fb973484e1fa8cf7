//! Publication (公表, X-02) and the publication list.
//!
//! The rules are `anpi_core::publication::decide`. Who may record a decision depends on
//! whose record it is: this body's own decision about a record it collected is the
//! organiser's (整理・報告, administrator: `Operation::Organise`); the decision of the
//! collecting body about another body's record, confirmed with it (第5 4(3)イ(ウ)b), is
//! recorded by the officer answering the inquiry (`Operation::Inquiry`). The standing
//! decision feeds the answers to "others" (`answer_inquiry`).

use anpi_core::account::Operation;
use anpi_core::command::Command as DomainCommand;
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::private_area::RecordState;
use anpi_core::publication::{self, Listed, PublicationDecision, PublicationDraft};
use chrono::Utc;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::publication::{self as stored, Decided};
use crate::store::reader;
use crate::store::shared::REPLICA_RECORDS;
use crate::store::writer::PublicationWritten;

/// The decisions about one record and whose they may be.
#[derive(Debug, Clone)]
pub struct PublicationStatus {
    /// The collecting body (E-13).
    pub origin: anpi_core::jurisdiction::JurisdictionCode,
    /// The record was collected here: the decision is this body's own.
    pub collected_here: bool,
    /// Oldest first; the last one stands.
    pub history: Vec<Decided>,
}

impl PublicationStatus {
    pub fn current(&self) -> Option<&Decided> {
        self.history.last()
    }
}

impl NodeState {
    /// The record of the private area, else of the shared dataset this node holds.
    async fn record_for_publication(&self, record: RecordId) -> Result<RecordState, AppError> {
        let client = self.pool.get().await?;
        let ids = [record.as_uuid()];
        let own = reader::records_by_id(&**client, &ids).await?.pop();
        let found = match own {
            Some(state) => Some(state),
            None => reader::records_by_id_in(&**client, REPLICA_RECORDS, &ids)
                .await?
                .pop(),
        };
        found.ok_or_else(|| {
            AppError::NotFound(String::from(
                "指定された安否情報が見つかりません。IDを確認してください",
            ))
        })
    }

    /// Whether the session may see decisions at all: those who see records or answer
    /// inquiries.
    fn may_see_publication(&self, session: &Session) -> Result<(), AppError> {
        self.may(session, Operation::GetRecord)
            .or_else(|_| self.may(session, Operation::Inquiry))
    }

    /// The decisions about `record`, for the record and inquiry pages.
    pub async fn publication_status(
        &self,
        session: &Session,
        record: RecordId,
    ) -> Result<PublicationStatus, AppError> {
        self.may_see_publication(session)?;
        let state = self.record_for_publication(record).await?;
        // P-04: the Red Cross sees records of non-Japanese persons only, here too.
        if anpi_core::account::red_cross_only(session.role)
            && state.entry.parsed.nationality == anpi_core::entry::Nationality::Japan
        {
            return Err(AppError::NotFound(String::from(
                "指定された安否情報が見つかりません。IDを確認してください",
            )));
        }
        let client = self.pool.get().await?;
        let history = stored::history(&**client, record).await?;
        Ok(PublicationStatus {
            collected_here: state.origin == self.config.jurisdiction,
            origin: state.origin,
            history,
        })
    }

    /// records a publication decision about `record` — this body's own about a
    /// record it collected (organiser), or the collecting body's, confirmed with it
    /// (the officer answering) — after `publication::decide` accepted it.
    pub async fn decide_publication(
        &self,
        session: &Session,
        record: RecordId,
        draft: PublicationDraft,
    ) -> Result<PublicationDecision, AppError> {
        self.may_see_publication(session)?;
        let state = self.record_for_publication(record).await?;
        let here = &self.config.jurisdiction;
        let operation = if state.origin == *here {
            Operation::Organise
        } else {
            Operation::Inquiry
        };
        let caller = self.authorize(session, operation)?;
        let decision = publication::decide(&state, here, &draft).map_err(AppError::Invalid)?;
        let _: PublicationWritten = self
            .writer
            .ask(
                caller.actor,
                DomainCommand::DecidePublication {
                    record,
                    incident: state.incident,
                    decision: decision.clone(),
                },
            )
            .await?;
        Ok(decision)
    }

    /// Whether the standing decision about `record` is to publish (for answers).
    pub(super) async fn publication_decided(
        &self,
        record: RecordId,
    ) -> Result<Option<bool>, AppError> {
        let client = self.pool.get().await?;
        Ok(stored::decided(&**client, record).await?)
    }

    /// the publication list of `incident` — name, age (today, Japan time) and
    /// municipality of each person this body collected and itself decided to publish;
    /// never a record shared from another body, nor a deleted one. In the read log.
    pub async fn publication_list(
        &self,
        session: &Session,
        incident: IncidentId,
    ) -> Result<Vec<Listed>, AppError> {
        let caller = self.authorize(session, Operation::Organise)?;
        let client = self.pool.get().await?;
        let ids = stored::listed_ids(&**client, incident).await?;
        let mut states = reader::records_by_id(&**client, &ids).await?;
        drop(client);
        // In the order decided.
        states.sort_by_key(|s| ids.iter().position(|id| *id == s.record_id.as_uuid()));
        let today = Utc::now()
            .with_timezone(&anpi_core::entry::jst_offset())
            .date_naive();
        let here = &self.config.jurisdiction;
        let listed: Vec<Listed> = states
            .iter()
            .filter(|s| s.deletion.is_none() && s.origin == *here && s.incident == incident)
            .map(|s| publication::listed(s, today))
            .collect();
        caller
            .log_read(
                "publication_list",
                serde_json::json!({ "incident_id": incident.to_string() }),
                listed.len(),
            )
            .await;
        Ok(listed)
    }
}
