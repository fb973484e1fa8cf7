//! The shared dataset: publishing it and where it stands (P-02, S-03, T-05).

use anpi_core::account::Operation;

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::shared::{self as store, ReplicaVersion};
use crate::store::writer::{Command, Published};

/// What a publication did, and what to tell the user.
#[derive(Debug, Clone)]
pub struct Publication {
    pub published: Published,
    pub message: String,
}

/// The shared dataset at this node: the replica it holds and the versions it
/// published (national tier), oldest first.
#[derive(Debug, Clone)]
pub struct SharedStatus {
    pub replica: Option<ReplicaVersion>,
    pub replica_records: i64,
    pub staged_parts: i64,
    pub published: Vec<store::Published>,
    /// (National tier) records with an event since the latest version (since the
    /// start when none was published).
    pub changed_since: Option<i64>,
    /// (National tier) how far each node has received the published parts, from its
    /// JetStream consumer; `None` when JetStream could not be asked.
    pub receivers: Option<Vec<crate::bus::shared::Receiver>>,
}

impl NodeState {
    /// P-02: the national node publishes its read model as the next version.
    pub async fn publish(&self, session: &Session) -> Result<Publication, AppError> {
        let caller = self.authorize(session, Operation::Publish)?;
        let published: Published = self.writer.ask(caller.actor, Command::Publish).await?;
        let message = match &published {
            Published::Version { version, .. } => format!(
                "共用領域の第{}版を公開しました（{}件、前の版から変わった{}件）。各ノードへ配信します",
                version.version, version.record_count, version.changed_count
            ),
            Published::Nothing(reason) => reason.clone(),
        };
        Ok(Publication { published, message })
    }

    pub async fn shared_status(&self, session: &Session) -> Result<SharedStatus, AppError> {
        self.authorize(session, Operation::SharedStatus)?;
        let client = self.pool.get().await?;
        let replica = store::replica_version(&**client).await?;
        let (replica_records, staged_parts) = store::replica_counts(&**client).await?;
        let mut published = store::published(&**client, false).await?;
        let changed_since = if self.config.tier == anpi_core::jurisdiction::Tier::National {
            let through = published.last().map_or(0, |p| p.version.through_position);
            Some(store::records_changed_since(&**client, through).await?)
        } else {
            None
        };
        published.reverse();
        drop(client);
        let receivers = match &self.bus {
            Some(bus) if changed_since.is_some() => crate::bus::shared::receivers(&bus.js).await,
            _ => None,
        };
        Ok(SharedStatus {
            replica,
            replica_records,
            staged_parts,
            published,
            changed_since,
            receivers,
        })
    }
}
