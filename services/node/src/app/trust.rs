//! Trust: this node's signing key, its children's registered keys, the national
//! tier's revocation orders and the purge of the private area. Who may register
//! whose key is `anpi_core::trust::check_registration`; the keys are `crate::trust`;
//! the order travels in `bus::orders`.

use anpi_core::account::Operation;
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use anpi_core::trust::{self, PublicKey};
use anpi_core::validation::FieldError;
use anyhow::Context;
use chrono::{DateTime, Utc};

use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::trust::RecordedOrder;
use crate::store::writer::{AccountWritten, Command, TrustChange};

fn internal(error: anyhow::Error) -> AppError {
    AppError::internal(format!("trust: {error:#}"))
}

/// This node's public signing key.
#[derive(Debug, Clone)]
pub struct NodeKeyInfo {
    pub jurisdiction: JurisdictionCode,
    pub public_key: PublicKey,
}

/// A key registered here: a child's, or the national key as `000001`.
#[derive(Debug, Clone)]
pub struct ChildKey {
    pub child: String,
    pub public_key: String,
    /// Empty when the stored key does not parse.
    pub fingerprint: String,
    pub registered_by: String,
    pub registered_at: DateTime<Utc>,
}

/// A revocation order as typed.
#[derive(Debug, Clone, Default)]
pub struct RevocationInput {
    pub jurisdiction: String,
    pub account: String,
    pub reason: String,
}

/// A revocation ordered now.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// Empty when the order is not found in the log afterwards.
    pub order_id: String,
    pub message: String,
}

/// The private area purged.
#[derive(Debug, Clone)]
pub struct Purged {
    /// Records the private area held before.
    pub records: i64,
    pub position: i64,
    pub message: String,
}

impl NodeState {
    pub async fn node_key(&self, session: &Session) -> Result<NodeKeyInfo, AppError> {
        self.authorize(session, Operation::ManageTrust)?;
        let key = crate::trust::NodeKey::load(&self.pool)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                AppError::Unavailable(String::from(
                    "署名鍵がまだ作成されていません（ノードを起動してください）",
                ))
            })?;
        Ok(NodeKeyInfo {
            jurisdiction: self.config.jurisdiction.clone(),
            public_key: key.public(),
        })
    }

    /// registers a child's key (or, below the national tier, the national key),
    /// both as typed.
    pub async fn register_child_key(
        &self,
        session: &Session,
        child: &str,
        public_key: &str,
    ) -> Result<ChildKey, AppError> {
        let caller = self.authorize(session, Operation::ManageTrust)?;
        let child = JurisdictionCode::parse(child.trim())
            .map_err(|e| AppError::field("child", format!("団体コード: {e}")))?;
        let registration = trust::check_registration(&self.config.jurisdiction, &child)
            .map_err(|e| AppError::field("child", e.to_string()))?;
        let key = PublicKey::parse(public_key)
            .map_err(|e| AppError::field("public_key", e.to_string()))?;
        let change = match registration {
            trust::Registration::Child => TrustChange::RegisterChild {
                child: child.clone(),
                public_key: key.to_string(),
            },
            trust::Registration::National => TrustChange::RegisterNational {
                public_key: key.to_string(),
            },
        };
        let registered_by = caller.actor.to_string();
        let _: AccountWritten = self
            .writer
            .ask(caller.actor, Command::Trust(change))
            .await?;
        if let Some(bus) = &self.bus {
            // Parts and orders that waited for this key are redelivered within 30 s; the
            // cache is read again now.
            bus.keyring
                .key_of(&self.pool, &child, true)
                .await
                .map_err(internal)?;
        }
        Ok(ChildKey {
            child: child.to_string(),
            public_key: key.to_string(),
            fingerprint: key.fingerprint(),
            registered_by,
            registered_at: Utc::now(),
        })
    }

    pub async fn child_keys(&self, session: &Session) -> Result<Vec<ChildKey>, AppError> {
        self.authorize(session, Operation::ManageTrust)?;
        let keys = crate::trust::registered_keys(&self.pool)
            .await
            .map_err(internal)?;
        Ok(keys
            .into_iter()
            .map(|(child, public_key, actor, at)| ChildKey {
                fingerprint: PublicKey::parse(&public_key)
                    .map(|k| k.fingerprint())
                    .unwrap_or_default(),
                child,
                public_key,
                registered_by: actor,
                registered_at: at,
            })
            .collect())
    }

    /// the national tier orders an account of another node revoked.
    pub async fn revoke_account(
        &self,
        session: &Session,
        input: RevocationInput,
    ) -> Result<Revoked, AppError> {
        let caller = self.authorize(session, Operation::RevokeAnywhere)?;
        if self.config.tier != Tier::National {
            return Err(AppError::Forbidden(String::from(
                "アカウントの全国での無効化は国（消防庁）のノードでのみ行えます",
            )));
        }
        let jurisdiction = JurisdictionCode::parse(input.jurisdiction.trim())
            .map_err(|e| AppError::field("jurisdiction", format!("団体コード: {e}")))?;
        let account = AccountId::parse(input.account.trim())
            .map_err(|message| AppError::field("account_id", message))?;
        let reason = input.reason.trim().to_string();
        if reason.is_empty() {
            return Err(AppError::field("reason", "無効化の理由を入力してください"));
        }
        if jurisdiction == self.config.jurisdiction {
            return Err(AppError::field(
                "jurisdiction",
                "国のノードのアカウントは `anpi account withdraw` で返却してください",
            ));
        }
        let _: AccountWritten = self
            .writer
            .ask(
                caller.actor,
                Command::Trust(TrustChange::OrderRevocation {
                    jurisdiction: jurisdiction.clone(),
                    account: account.clone(),
                    reason,
                }),
            )
            .await?;
        if let Some(bus) = &self.bus {
            bus.orders_ready.notify_one();
        }
        let order_id = self
            .revocation_orders()
            .await?
            .into_iter()
            .find(|order| {
                order_text(order, "jurisdiction") == jurisdiction.as_str()
                    && order_text(order, "account") == account.as_str()
            })
            .map(|order| order_text(&order, "order_id").to_string())
            .unwrap_or_default();
        Ok(Revoked {
            order_id,
            message: format!(
                "{jurisdiction} のユーザーID「{account}」の無効化を指示しました。指示はそのノードに届き次第（停止中であれば再開時に）有効になります"
            ),
        })
    }

    /// Revocation orders, newest first, with when JetStream stored each.
    pub async fn revocations(&self, session: &Session) -> Result<Vec<RecordedOrder>, AppError> {
        self.authorize(session, Operation::RevokeAnywhere)?;
        self.revocation_orders().await
    }

    async fn revocation_orders(&self) -> Result<Vec<RecordedOrder>, AppError> {
        let client = self
            .pool
            .get()
            .await
            .context("database pool")
            .map_err(internal)?;
        crate::store::trust::revocation_orders(&**client)
            .await
            .context("listing revocation orders")
            .map_err(internal)
    }

    /// purges the private area (the read model's records; the log keeps them).
    /// `confirm` must be this node's jurisdiction code, as typed.
    pub async fn purge_private_area(
        &self,
        session: &Session,
        reason: &str,
        confirm: &str,
    ) -> Result<Purged, AppError> {
        let caller = self.authorize(session, Operation::PurgePrivateArea)?;
        let reason = reason.trim().to_string();
        let mut problems = Vec::new();
        if reason.is_empty() {
            problems.push(FieldError::new(
                "reason",
                "消去の理由を入力してください".to_string(),
            ));
        }
        if confirm.trim() != self.config.jurisdiction.as_str() {
            problems.push(FieldError::new(
                "confirm",
                format!(
                    "確認のため、この団体の団体コード（{}）を入力してください",
                    self.config.jurisdiction
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let client = self
            .pool
            .get()
            .await
            .context("database pool")
            .map_err(internal)?;
        let before = crate::store::projection::record_count(&**client, None)
            .await
            .context("counting records")
            .map_err(internal)?;
        drop(client);
        let written: AccountWritten = self
            .writer
            .ask(
                caller.actor,
                Command::Trust(TrustChange::PurgePrivateArea { reason }),
            )
            .await?;
        Ok(Purged {
            records: before,
            position: written.position,
            message: format!(
                "個別領域の安否情報 {before} 件を消去しました（イベントログには残っています）。CSVで書き出したファイル（`anpi entry export --csv`）を `anpi entry import` で再登録すると、退去・削除の状態も復元されます"
            ),
        })
    }
}

/// A text field of an order's event data (empty when missing).
pub fn order_text<'a>(order: &'a RecordedOrder, key: &str) -> &'a str {
    order.data[key].as_str().unwrap_or_default()
}
