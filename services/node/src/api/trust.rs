//! Trust on the wire: this node's signing key, its children's registered keys,
//! the national tier's revocation orders and the purge of the private area. The
//! use cases are `crate::app::trust`.

use anpi_proto::v1;

use crate::app::trust::{ChildKey, NodeKeyInfo, Purged, Revoked, order_text};
use crate::store::trust::RecordedOrder;
use crate::wire::rfc3339;

pub fn node_key(info: &NodeKeyInfo) -> v1::NodeKeyInfo {
    v1::NodeKeyInfo {
        jurisdiction: info.jurisdiction.to_string(),
        public_key: info.public_key.to_string(),
        fingerprint: info.public_key.fingerprint(),
    }
}

pub fn child_key(key: ChildKey) -> v1::ChildKey {
    v1::ChildKey {
        child: key.child,
        public_key: key.public_key,
        fingerprint: key.fingerprint,
        registered_by: key.registered_by,
        registered_at: rfc3339(key.registered_at),
    }
}

pub fn revoked(revoked: Revoked) -> v1::RevokeAccountResponse {
    v1::RevokeAccountResponse {
        order_id: revoked.order_id,
        message: revoked.message,
    }
}

pub fn revocation(order: &RecordedOrder) -> v1::Revocation {
    let text = |key: &str| order_text(order, key).to_string();
    v1::Revocation {
        order_id: text("order_id"),
        jurisdiction: text("jurisdiction"),
        account_id: text("account"),
        reason: text("reason"),
        ordered_by: order.actor.clone(),
        ordered_at: rfc3339(order.ordered_at),
        sent_at: order.sent_at.map(rfc3339).unwrap_or_default(),
    }
}

pub fn purged(purged: Purged) -> v1::PurgePrivateAreaResponse {
    v1::PurgePrivateAreaResponse {
        records: purged.records,
        position: purged.position,
        message: purged.message,
    }
}
