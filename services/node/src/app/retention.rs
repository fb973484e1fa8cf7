//! The end of an incident's retention and its purge (issue 21 item 4, ADR 0019;
//! guideline 第4 3(2)※, 第5 2(1)※, 第5 4(5)): the administrator sets the day the
//! incident's records may be disposed of, and from that day purges them. The rules are
//! `anpi_core::retention`'s, applied by the writer with the facts of the log.

use anpi_core::account::Operation;
use anpi_core::entry;
use anpi_core::era;
use anpi_core::ids::IncidentId;
use anpi_core::validation::FieldError;
use chrono::Utc;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::writer::{AccountWritten, Command, RetentionChange};

/// A retention command's result: the position of its event and what to tell the user.
#[derive(Debug, Clone)]
pub struct RetentionDone {
    pub position: i64,
    pub message: String,
}

/// An incident as the retention screen lists it.
pub use crate::store::retention::RetentionRow;

impl NodeState {
    /// Every incident with its retention end, whether it was purged and its records,
    /// for the retention screen.
    pub async fn retention_list(&self, session: &Session) -> Result<Vec<RetentionRow>, AppError> {
        self.retention_rows(session, Operation::Retention).await
    }

    /// The same for the incident list (no personal data: whoever may list incidents).
    pub async fn incident_retention(
        &self,
        session: &Session,
    ) -> Result<Vec<RetentionRow>, AppError> {
        self.retention_rows(session, Operation::ListIncidents).await
    }

    async fn retention_rows(
        &self,
        session: &Session,
        operation: Operation,
    ) -> Result<Vec<RetentionRow>, AppError> {
        self.authorize(session, operation)?;
        let client = self.pool.get().await?;
        Ok(crate::store::retention::rows(&**client).await?)
    }

    /// Sets (or moves) the end of `incident`'s retention period to `until` (a date in
    /// Gregorian or era form).
    pub async fn set_retention(
        &self,
        session: &Session,
        incident: IncidentId,
        until: &str,
    ) -> Result<RetentionDone, AppError> {
        let caller = self.authorize(session, Operation::Retention)?;
        let until = era::parse_date(until.trim()).map_err(|error| {
            AppError::Invalid(vec![FieldError::new(
                "retention_until",
                format!("保存期間の終了日を年月日で入力してください（例: 2031-03-31、令和13年3月31日）: {error}"),
            )])
        })?;
        let written: AccountWritten = self
            .writer
            .ask(
                caller.actor,
                Command::Retention(RetentionChange::SetUntil { incident, until }),
            )
            .await?;
        Ok(RetentionDone {
            position: written.position,
            message: format!(
                "事案 {incident} の保存期間の終了日を {}（{until}）に設定しました。上位の団体へも報告されます",
                era::format_era(until)
            ),
        })
    }

    /// Purges `incident`'s personal data in this node; `confirm` must repeat its ID.
    pub async fn purge_incident(
        &self,
        session: &Session,
        incident: IncidentId,
        confirm: &str,
    ) -> Result<RetentionDone, AppError> {
        let caller = self.authorize(session, Operation::Retention)?;
        // The confirmation is checked with the incident's state by
        // `anpi_core::retention::decide_purge` (a mistake there comes back as invalid).
        let today = Utc::now().with_timezone(&entry::jst_offset()).date_naive();
        let written: AccountWritten = self
            .writer
            .ask(
                caller.actor,
                Command::Retention(RetentionChange::Purge {
                    incident,
                    confirm: confirm.to_string(),
                    today,
                }),
            )
            .await?;
        Ok(RetentionDone {
            position: written.position,
            message: format!(
                "事案 {incident} の個人情報を消去しました。イベントログは改ざん検査に使えますが、この事案の氏名・住所などは読めなくなりました"
            ),
        })
    }
}
