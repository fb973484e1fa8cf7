//! Reading node trust from the store: this node's signing key, the keys registered
//! for its children and the national tier, and the national revocation orders with
//! their outbox (`orders_sent`). R.
//!
//! The writes that go with events are the writer's (`writer::trust`).

use anpi_core::jurisdiction::JurisdictionCode;
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::Result;

/// Reads this node's signing key (PKCS#8) from `node_key`, if it has one.
pub async fn node_key_pkcs8<C: GenericClient>(client: &C) -> Result<Option<Vec<u8>>> {
    Ok(client
        .query_opt("SELECT pkcs8 FROM node_key", &[])
        .await?
        .map(|row| row.get(0)))
}

/// Reads from the log the public key (text form) registered here for `code`: a child's
/// newest `ChildKeyRegistered`, or for the national code the newest
/// `NationalKeyRegistered`.
pub async fn registered_key<C: GenericClient>(
    client: &C,
    code: &JurisdictionCode,
) -> Result<Option<String>> {
    let row = if code.tier() == anpi_core::jurisdiction::Tier::National {
        client
            .query_opt(
                "SELECT (payload -> 'data') ->> 'public_key' FROM events
                 WHERE kind = 'NationalKeyRegistered' ORDER BY position DESC LIMIT 1",
                &[],
            )
            .await
    } else {
        client
            .query_opt(
                "SELECT (payload -> 'data') ->> 'public_key' FROM events
                 WHERE kind = 'ChildKeyRegistered' AND (payload -> 'data') ->> 'child' = $1
                 ORDER BY position DESC LIMIT 1",
                &[&code.as_str()],
            )
            .await
    }?;
    Ok(row.map(|row| row.get(0)))
}

/// Reads from the log every key registered here (children's, and the national key as
/// `000001`), the newest registration per code: code, key, actor, when.
pub async fn registered_keys<C: GenericClient>(
    client: &C,
) -> Result<Vec<(String, String, String, DateTime<Utc>)>> {
    Ok(client
        .query(
            "SELECT DISTINCT ON (code) code, public_key, actor, appended_at FROM (
                 SELECT (payload -> 'data') ->> 'child' AS code, (payload -> 'data') ->> 'public_key' AS public_key,
                        actor, appended_at, position
                 FROM events WHERE kind = 'ChildKeyRegistered'
                 UNION ALL
                 SELECT '000001', (payload -> 'data') ->> 'public_key', actor, appended_at, position
                 FROM events WHERE kind = 'NationalKeyRegistered'
             ) k ORDER BY code, position DESC",
            &[],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect())
}

/// A national revocation order as recorded (`AccountRevocationOrdered`).
#[derive(Debug, Clone)]
pub struct RecordedOrder {
    /// The event's data: `order_id`, `jurisdiction`, `account`, `reason`.
    pub data: serde_json::Value,
    /// `000001/<account>` of the national administrator.
    pub actor: String,
    pub ordered_at: DateTime<Utc>,
    /// When JetStream stored it (`orders_sent`), if it did.
    pub sent_at: Option<DateTime<Utc>>,
}

/// (National) reads the revocation orders JetStream has not stored yet (not in
/// `orders_sent`), in log order (A-04; the order relay's outbox).
pub async fn orders_not_sent<C: GenericClient>(
    client: &C,
) -> Result<Vec<(serde_json::Value, String)>> {
    Ok(client
        .query(
            "SELECT e.payload -> 'data', e.actor FROM events e
             WHERE e.kind = 'AccountRevocationOrdered'
               AND NOT EXISTS (SELECT 1 FROM orders_sent s
                               WHERE s.order_id = ((e.payload -> 'data') ->> 'order_id')::uuid)
             ORDER BY e.position",
            &[],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

/// (National) writes to `orders_sent` that JetStream stored an order.
pub async fn mark_order_sent<C: GenericClient>(client: &C, order_id: Uuid) -> Result<()> {
    client
        .execute(
            "INSERT INTO orders_sent (order_id) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&order_id],
        )
        .await?;
    Ok(())
}

/// Reads every revocation order from the log, newest first, with when JetStream stored
/// it.
pub async fn revocation_orders<C: GenericClient>(client: &C) -> Result<Vec<RecordedOrder>> {
    Ok(client
        .query(
            "SELECT e.payload -> 'data', e.actor, e.appended_at, s.published_at
             FROM events e LEFT JOIN orders_sent s
               ON s.order_id = ((e.payload -> 'data') ->> 'order_id')::uuid
             WHERE e.kind = 'AccountRevocationOrdered' ORDER BY e.position DESC",
            &[],
        )
        .await?
        .iter()
        .map(|row| RecordedOrder {
            data: row.get(0),
            actor: row.get(1),
            ordered_at: row.get(2),
            sent_at: row.get(3),
        })
        .collect())
}
