//! The auditor's check of the log (L-05, U-01): walks the hash chain on its own
//! connection and streams progress, then checks the children's reported heads.

use std::time::Instant;

use anpi_core::account::Operation;
use anpi_core::chain::KeptHead;
use tokio::sync::mpsc::UnboundedReceiver;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::{self, chain};

/// How far a verify has come; the last one has `done`.
#[derive(Debug, Clone)]
pub struct VerifyProgress {
    pub position: i64,
    pub last: i64,
    /// The walk's result, what a kept head says (when one was given), the seconds.
    pub done: Option<(chain::Verified, Option<KeptHead>, f64)>,
}

/// Progress is sent every this many events.
const EVERY: u64 = 50_000;

impl NodeState {
    /// Starts a walk over the log from `from` (0 or 1: the whole log).
    pub async fn verify_log(
        &self,
        session: &Session,
        from: i64,
        expect: &str,
    ) -> Result<UnboundedReceiver<Result<VerifyProgress, AppError>>, AppError> {
        self.authorize(session, Operation::VerifyLog)?;
        let expect = match expect.trim() {
            "" => None,
            text => Some(KeptHead::parse_point(text).ok_or_else(|| {
                AppError::field(
                    "expect",
                    "控えた末尾は「位置:ハッシュ」（位置は1以上の番号、ハッシュは64桁の16進数）の形で指定してください"
                        .to_string(),
                )
            })?),
        };
        if from < 0 {
            return Err(AppError::field(
                "from_position",
                format!("開始位置は1以上の番号で指定してください（入力: {from}）"),
            ));
        }
        let url = self.config.database_url.expose().to_string();
        let mut client = store::connect(&url).await?;
        let head = store::reader::head_position(&client).await?;
        if from > head.max(1) {
            return Err(AppError::field(
                "from_position",
                format!("開始位置 {from} はログの末尾（{head}）より後です"),
            ));
        }
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let started = Instant::now();
            let progress_sender = sender.clone();
            let progress = move |position: i64, last: i64| {
                let _ = progress_sender.send(Ok(VerifyProgress {
                    position,
                    last,
                    done: None,
                }));
            };
            let result = async {
                let verified = chain::verify(&mut client, from, EVERY, progress).await?;
                let kept = match expect {
                    None => None,
                    Some(point) => {
                        let last = store::reader::head_position(&client).await?;
                        let stored = chain::link_at(&client, point.position).await?;
                        Some(KeptHead::compare(point, last, stored))
                    }
                };
                Ok::<_, store::Error>((verified, kept))
            }
            .await;
            let seconds = started.elapsed().as_secs_f64();
            let message = result.map(|(verified, kept)| {
                if let Some(problem) = kept.as_ref().filter(|k| **k != KeptHead::Holds) {
                    tracing::error!(
                        ?problem,
                        "the log does not hold the head kept outside the node"
                    );
                }
                let position = verified.head.map_or(0, |h| h.position);
                if let Some(found) = &verified.broke {
                    tracing::error!(position = found.position(), "{}", found.describe());
                }
                for rewritten in &verified.rewritten {
                    tracing::error!("{}", rewritten.describe());
                }
                VerifyProgress {
                    position,
                    last: head,
                    done: Some((verified, kept, seconds)),
                }
            });
            let _ = sender.send(message.map_err(AppError::from));
        });
        Ok(receiver)
    }
}
