//! Trust RPCs: this node's signing key, its children's registered keys, and the
//! national tier's revocation orders. Thin: who may register whose key is
//! `anpi_core::trust::check_child`; the keys are `crate::trust`; the order travels in
//! `bus::orders`.

use crate::app::AppError;
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use anpi_core::trust::{self, PublicKey};
use anpi_core::validation::FieldError;
use anpi_proto::v1;
use anyhow::Context;

use super::{Caller, NodeState, error};
use crate::store::writer::{Command, TrustChange};
use crate::wire::rfc3339;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    error::invalid(&[FieldError::new(field, message.into())])
}

fn internal(error: anyhow::Error) -> AppError {
    AppError::internal(format!("trust: {error:#}"))
}

pub async fn node_key(state: &NodeState) -> Result<v1::NodeKeyInfo, AppError> {
    let key = crate::trust::NodeKey::load(&state.pool)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            AppError::Unavailable(String::from(
                "署名鍵がまだ作成されていません（ノードを起動してください）",
            ))
        })?;
    Ok(v1::NodeKeyInfo {
        jurisdiction: state.config.jurisdiction.to_string(),
        public_key: key.public().to_string(),
        fingerprint: key.public().fingerprint(),
    })
}

pub async fn register_child(
    state: &NodeState,
    caller: &Caller,
    request: v1::RegisterChildKeyRequest,
) -> Result<v1::ChildKey, AppError> {
    let child = JurisdictionCode::parse(request.child.trim())
        .map_err(|e| invalid("child", format!("団体コード: {e}")))?;
    let registration = trust::check_registration(&state.config.jurisdiction, &child)
        .map_err(|e| invalid("child", e.to_string()))?;
    let key =
        PublicKey::parse(&request.public_key).map_err(|e| invalid("public_key", e.to_string()))?;
    let change = match registration {
        trust::Registration::Child => TrustChange::RegisterChild {
            child: child.clone(),
            public_key: key.to_string(),
        },
        trust::Registration::National => TrustChange::RegisterNational {
            public_key: key.to_string(),
        },
    };
    state
        .writer
        .submit(caller.actor.clone(), Command::Trust(change))
        .await
        .map_err(error::rejection)?;
    if let Some(bus) = &state.bus {
        // Parts and orders that waited for this key are redelivered within 30 s; the
        // cache is read again now.
        bus.keyring
            .key_of(&state.pool, &child, true)
            .await
            .map_err(internal)?;
    }
    Ok(v1::ChildKey {
        child: child.to_string(),
        public_key: key.to_string(),
        fingerprint: key.fingerprint(),
        registered_by: caller.actor.to_string(),
        registered_at: rfc3339(chrono::Utc::now()),
    })
}

pub async fn child_keys(state: &NodeState) -> Result<v1::ListChildKeysResponse, AppError> {
    let keys = crate::trust::registered_keys(&state.pool)
        .await
        .map_err(internal)?;
    Ok(v1::ListChildKeysResponse {
        keys: keys
            .into_iter()
            .map(|(child, public_key, actor, at)| v1::ChildKey {
                fingerprint: PublicKey::parse(&public_key)
                    .map(|k| k.fingerprint())
                    .unwrap_or_default(),
                child,
                public_key,
                registered_by: actor,
                registered_at: rfc3339(at),
            })
            .collect(),
    })
}

pub async fn revoke(
    state: &NodeState,
    caller: &Caller,
    request: v1::RevokeAccountRequest,
) -> Result<v1::RevokeAccountResponse, AppError> {
    if state.config.tier != Tier::National {
        return Err(AppError::Forbidden(String::from(
            "アカウントの全国での無効化は国（消防庁）のノードでのみ行えます",
        )));
    }
    let jurisdiction = JurisdictionCode::parse(request.jurisdiction.trim())
        .map_err(|e| invalid("jurisdiction", format!("団体コード: {e}")))?;
    let account = AccountId::parse(request.account_id.trim())
        .map_err(|message| invalid("account_id", message))?;
    let reason = request.reason.trim().to_string();
    if reason.is_empty() {
        return Err(invalid("reason", "無効化の理由を入力してください"));
    }
    if jurisdiction == state.config.jurisdiction {
        return Err(invalid(
            "jurisdiction",
            "国のノードのアカウントは `anpi account withdraw` で返却してください",
        ));
    }
    state
        .writer
        .submit(
            caller.actor.clone(),
            Command::Trust(TrustChange::OrderRevocation {
                jurisdiction: jurisdiction.clone(),
                account: account.clone(),
                reason,
            }),
        )
        .await
        .map_err(error::rejection)?;
    if let Some(bus) = &state.bus {
        bus.orders_ready.notify_one();
    }
    let order = revocations(state)
        .await?
        .revocations
        .into_iter()
        .find(|r| r.jurisdiction == jurisdiction.as_str() && r.account_id == account.as_str())
        .map(|r| r.order_id)
        .unwrap_or_default();
    Ok(v1::RevokeAccountResponse {
        order_id: order,
        message: format!(
            "{jurisdiction} のユーザーID「{account}」の無効化を指示しました。指示はそのノードに届き次第（停止中であれば再開時に）有効になります"
        ),
    })
}

/// Revocation orders, newest first, with when JetStream stored each.
pub async fn revocations(state: &NodeState) -> Result<v1::ListRevocationsResponse, AppError> {
    let client = state
        .pool
        .get()
        .await
        .context("database pool")
        .map_err(internal)?;
    let orders = crate::store::trust::revocation_orders(&**client)
        .await
        .context("listing revocation orders")
        .map_err(internal)?;
    Ok(v1::ListRevocationsResponse {
        revocations: orders
            .into_iter()
            .map(|order| {
                let text = |key: &str| order.data[key].as_str().unwrap_or_default().to_string();
                v1::Revocation {
                    order_id: text("order_id"),
                    jurisdiction: text("jurisdiction"),
                    account_id: text("account"),
                    reason: text("reason"),
                    ordered_by: order.actor,
                    ordered_at: rfc3339(order.ordered_at),
                    sent_at: order.sent_at.map(rfc3339).unwrap_or_default(),
                }
            })
            .collect(),
    })
}

/// purges the private area (the read model's records; the log keeps them).
pub async fn purge(
    state: &NodeState,
    caller: &Caller,
    request: v1::PurgePrivateAreaRequest,
) -> Result<v1::PurgePrivateAreaResponse, AppError> {
    let reason = request.reason.trim().to_string();
    let mut problems = Vec::new();
    if reason.is_empty() {
        problems.push(FieldError::new(
            "reason",
            "消去の理由を入力してください".to_string(),
        ));
    }
    if request.confirm.trim() != state.config.jurisdiction.as_str() {
        problems.push(FieldError::new(
            "confirm",
            format!(
                "確認のため、この団体の団体コード（{}）を入力してください",
                state.config.jurisdiction
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(error::invalid(&problems));
    }
    let client = state
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
    let position = match state
        .writer
        .submit(
            caller.actor.clone(),
            Command::Trust(TrustChange::PurgePrivateArea { reason }),
        )
        .await
        .map_err(error::rejection)?
    {
        crate::store::writer::Outcome::Account { position } => position,
        _ => 0,
    };
    Ok(v1::PurgePrivateAreaResponse {
        records: before,
        position,
        message: format!(
            "個別領域の安否情報 {before} 件を消去しました（イベントログには残っています）。書き出したファイルを確認してから `anpi entry add` で再登録してください"
        ),
    })
}
