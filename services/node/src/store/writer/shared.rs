//! The writer's "publish" command (P-02), in a transaction of its own: the national
//! read model, as folded through the log's head, becomes the next numbered version of
//! the shared dataset. Only the `DatasetPublished` event is written here; the
//! publisher (`bus::shared`) sends each version's records to the replicas afterwards,
//! reading them as they stood at the version's position.

use anpi_core::event::{Actor, Payload};
use anpi_core::shared::{self, PublishError, Version};

use super::{Outcome, Rejection, WriterTask, exclusive, now_micros};
use crate::store::Result;

type Answer = std::result::Result<Outcome, Rejection>;

impl WriterTask {
    pub(super) async fn publish(&mut self, actor: Actor) -> Result<Answer> {
        let tx = exclusive(&mut self.client).transaction().await?;
        let last = crate::store::shared::latest_published(&tx).await?;
        let after = last.map_or(0, |v| v.through_position);
        let counts = tx
            .query_one(
                "SELECT (SELECT count(*) FROM records WHERE last_position > $1), (SELECT count(*) FROM records)",
                &[&after],
            )
            .await?;
        let decided = shared::decide_publish(
            self.origin.tier(),
            last.as_ref(),
            self.head.position,
            counts.get(0),
            counts.get(1),
        );
        let version: Version = match decided {
            Ok(version) => version,
            Err(refusal @ PublishError::NotNational(_)) => {
                tx.commit().await?;
                return Ok(Err(Rejection::Precondition(refusal.to_string())));
            }
            Err(nothing) => {
                tx.commit().await?;
                return Ok(Ok(Outcome::NotPublished(nothing.to_string())));
            }
        };
        let now = now_micros();
        let payload = Payload::DatasetPublished {
            version: version.version,
            through_position: version.through_position,
            record_count: version.record_count,
            changed_count: version.changed_count,
        };
        let head = Self::commit_one(tx, &mut self.head, &self.origin, actor, now, payload).await?;
        self.shared_ready.notify_one();
        tracing::info!(
            version = version.version,
            through = version.through_position,
            records = version.record_count,
            changed = version.changed_count,
            "shared dataset published"
        );
        Ok(Ok(Outcome::Published {
            version,
            published_at: now,
            position: head,
        }))
    }
}
