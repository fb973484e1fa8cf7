//! Replay: rebuilds the read model from the log into a schema of its own, optionally
//! as of a point in time, and compares it with the live one (P-03, U-01, L-04).

use std::time::Instant;

use anpi_core::account::Operation;
use anpi_core::entry;
use tokio::sync::mpsc::UnboundedReceiver;
use uuid::Uuid;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::{self, projection};

/// A replay as typed: the schema to replay into (empty: `replay`) and the point in
/// time to stop at (empty: the head of the log).
#[derive(Debug, Clone, Default)]
pub struct ReplayInput {
    pub into: String,
    pub until: String,
}

/// How far a replay has come; the last one has `done`.
#[derive(Debug, Clone)]
pub struct ReplayProgress {
    pub schema: String,
    pub position: i64,
    pub through: i64,
    pub done: Option<ReplayDone>,
}

/// What a finished replay found.
#[derive(Debug, Clone)]
pub struct ReplayDone {
    pub events: i64,
    pub records: i64,
    /// Compared with the live read model (a replay of everything into `replay`).
    pub compared: bool,
    pub differences: i64,
    pub differing_records: Vec<Uuid>,
    pub seconds: f64,
}

impl NodeState {
    /// U-01: one record as it stands in the replay schema `schema` (what a replay as of
    /// a time made), with its incident; in the read log.
    pub async fn replayed_record(
        &self,
        session: &Session,
        schema: &str,
        record: anpi_core::ids::RecordId,
    ) -> Result<super::entries::RecordView, AppError> {
        let caller = self.authorize(session, Operation::Replay)?;
        if !projection::valid_schema_name(schema) {
            return Err(AppError::field("into", "スキーマ名が正しくありません"));
        }
        let client = self.pool.get().await?;
        let found = store::reader::records_by_id_in(
            &**client,
            &format!("{schema}.records"),
            &[record.as_uuid()],
        )
        .await
        .map_err(|_| {
            AppError::NotFound(format!(
                "再生スキーマ「{schema}」がありません。先に再生してください"
            ))
        })?
        .pop();
        let incidents = store::reader::list_incidents(&**client).await?;
        caller
            .log_read(
                "replayed_record",
                serde_json::json!({ "schema": schema, "record_id": record.to_string() }),
                usize::from(found.is_some()),
            )
            .await;
        let state = found.ok_or_else(|| {
            AppError::NotFound(String::from(
                "その時点では、この安否情報はまだ記録されていません",
            ))
        })?;
        Ok(super::entries::RecordView::at(state, &incidents))
    }

    /// Starts a replay on its own connection; its progress arrives on the receiver,
    /// ending with the result (or the error that stopped it). Without `into` and
    /// `until`, the result is compared with the live read model.
    pub async fn replay(
        &self,
        session: &Session,
        input: ReplayInput,
    ) -> Result<UnboundedReceiver<Result<ReplayProgress, AppError>>, AppError> {
        self.authorize(session, Operation::Replay)?;
        let schema = match input.into.trim() {
            "" => "replay".to_string(),
            name if projection::valid_schema_name(name) => name.to_string(),
            name => {
                return Err(AppError::field(
                    "into",
                    format!(
                        "スキーマ名は英小文字で始まり英小文字・数字・_ のみの48文字以内で指定してください（public と pg_ で始まる名前は使えません。入力: {name}）"
                    ),
                ));
            }
        };
        let until = match input.until.trim() {
            "" => None,
            text => Some(entry::parse_written_at(text).map_err(|message| {
                AppError::field("until", format!("時点を読み取れません: {message}"))
            })?),
        };
        let url = self.config.database_url.expose().to_string();
        let mut client = store::connect(&url).await?;
        // The next page is read on a second connection while one is written.
        let reader = store::connect(&url).await?;
        let through = match until {
            Some(until) => projection::position_at(&client, until).await,
            None => store::reader::head_position(&client).await,
        }?;
        let compare = until.is_none() && input.into.trim().is_empty();
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let started = Instant::now();
            let progress_sender = sender.clone();
            let schema_name = schema.clone();
            let progress = move |position: i64, through: i64| {
                let _ = progress_sender.send(Ok(ReplayProgress {
                    schema: schema_name.clone(),
                    position,
                    through,
                    done: None,
                }));
            };
            let result = async {
                let events =
                    projection::replay_into(&mut client, &reader, &schema, through, progress)
                        .await?;
                let records = projection::record_count(&client, Some(&schema)).await?;
                let (differences, differing_records) = if compare {
                    projection::compare_with_live(&client, &schema, through).await?
                } else {
                    (0, Vec::new())
                };
                Ok::<_, store::Error>(ReplayProgress {
                    schema: schema.clone(),
                    position: through,
                    through,
                    done: Some(ReplayDone {
                        events: events as i64,
                        records,
                        compared: compare,
                        differences,
                        differing_records,
                        seconds: started.elapsed().as_secs_f64(),
                    }),
                })
            }
            .await;
            let _ = sender.send(result.map_err(AppError::from));
        });
        Ok(receiver)
    }
}
