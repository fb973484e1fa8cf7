//! The writer's trust commands, each in a transaction of its own: this
//! node's signing key with its event, children's keys, refused report parts, and the
//! national tier's revocation orders. The rules (who may, which child) are checked in
//! `anpi_core::trust` and the API before; the cryptography is in `crate::trust`.

use anpi_core::event::{Actor, Payload};
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::JurisdictionCode;
use uuid::Uuid;

use super::{Outcome, Rejection, WriterTask, exclusive, now_micros};
use crate::store::Result;

type Answer = std::result::Result<Outcome, Rejection>;

/// What a trust command does.
#[derive(Debug, Clone)]
pub enum TrustChange {
    /// Keep this node's new signing key (PKCS#8) and log its public key; does nothing
    /// when the node already has a key.
    CreateNodeKey { pkcs8: Vec<u8>, public_key: String },
    /// Register (or replace) a child's public key.
    RegisterChild {
        child: JurisdictionCode,
        public_key: String,
    },
    /// Register (or replace) the national tier's public key.
    RegisterNational { public_key: String },
    /// Log a refused national order.
    RefuseOrder {
        subject: String,
        order_id: String,
        reason: String,
    },
    /// Log a refused report part.
    RefusePart {
        subject: String,
        from: String,
        report_id: String,
        reason: String,
    },
    /// Purge the private area: the read model's records go; the log keeps them.
    PurgePrivateArea { reason: String },
    /// (National) order `jurisdiction`'s node to disable `account`.
    OrderRevocation {
        jurisdiction: JurisdictionCode,
        account: AccountId,
        reason: String,
    },
}

impl WriterTask {
    pub(super) async fn change_trust(
        &mut self,
        actor: Actor,
        change: TrustChange,
    ) -> Result<Answer> {
        let tx = exclusive(&mut self.client).transaction().await?;
        let now = now_micros();
        let payload = match change {
            TrustChange::CreateNodeKey { pkcs8, public_key } => {
                let inserted = tx
                    .execute(
                        "INSERT INTO node_key (pkcs8, public_key, created_at) VALUES ($1, $2, $3)
                         ON CONFLICT (singleton) DO NOTHING",
                        &[&pkcs8, &public_key, &now],
                    )
                    .await?;
                if inserted == 0 {
                    tx.commit().await?;
                    return Ok(Ok(Outcome::Account {
                        position: self.head.position,
                    }));
                }
                Payload::NodeKeyCreated { public_key }
            }
            TrustChange::PurgePrivateArea { reason } => {
                let records: i64 = tx
                    .query_one("SELECT count(*) FROM records", &[])
                    .await?
                    .get(0);
                Payload::PrivateAreaPurged { reason, records }
            }
            TrustChange::RegisterChild { child, public_key } => {
                Payload::ChildKeyRegistered { child, public_key }
            }
            TrustChange::RegisterNational { public_key } => {
                Payload::NationalKeyRegistered { public_key }
            }
            TrustChange::RefuseOrder {
                subject,
                order_id,
                reason,
            } => Payload::OrderRefused {
                subject,
                order_id,
                reason,
            },
            TrustChange::RefusePart {
                subject,
                from,
                report_id,
                reason,
            } => Payload::ReportPartRefused {
                subject,
                from,
                report_id,
                reason,
            },
            TrustChange::OrderRevocation {
                jurisdiction,
                account,
                reason,
            } => Payload::AccountRevocationOrdered {
                order_id: Uuid::now_v7(),
                jurisdiction,
                account,
                reason,
            },
        };
        let head = Self::commit_one(tx, &mut self.head, &self.origin, actor, now, payload).await?;
        Ok(Ok(Outcome::Account { position: head }))
    }
}
