//! National revocation orders over JetStream: stream `ANPI_ORDERS` (file
//! storage, work-queue retention), subject `anpi.order.<jurisdiction>`.
//!
//! The national node records `AccountRevocationOrdered` first; the order relay then
//! publishes every order JetStream has not stored yet (`orders_sent`), with the order
//! ID as message ID, so a republish is dropped by the server. Every other node consumes
//! only its own subject with a durable consumer (`orders-<code>`): an order waits in
//! the stream while the node is down and takes effect when it is back. Only the
//! national NATS user may publish on `anpi.order.>` (`anpi-node nats-config`), and
//! every order is signed with the national node's key (subject, order ID, body): a
//! node carries out only orders that verify against the national key registered
//! there (`anpi trust add 000001 KEY`). Until that key is registered orders wait in
//! the stream; an order that does not verify is refused and logged (`OrderRefused`).

use std::sync::Arc;
use std::time::Duration;

use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::JurisdictionCode;
use anyhow::{Context, anyhow};
use async_nats::jetstream::{self, stream};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Bus, consume_forever, outbox_loop};
use crate::store::trust as store;
use crate::store::writer::{AccountChange, Command, Rejection, TrustChange, system_actor};
use crate::trust::{Checked, header};

pub const STREAM: &str = "ANPI_ORDERS";

pub fn subject(to: &JurisdictionCode) -> String {
    format!("anpi.order.{to}")
}

/// The stream's configuration.
pub fn stream_config() -> stream::Config {
    stream::Config {
        name: STREAM.to_string(),
        description: Some("anpi: national orders to nodes (account revocation)".into()),
        subjects: vec!["anpi.order.>".into()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        duplicate_window: super::DUPLICATE_WINDOW,
        // Only the national user publishes orders; bounded all the same.
        max_messages_per_subject: 10_000,
        max_bytes: 256 << 20,
        max_message_size: 64 << 10,
        discard: stream::DiscardPolicy::New,
        discard_new_per_subject: true,
        ..Default::default()
    }
}

/// An order as it travels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: Uuid,
    pub account: AccountId,
    pub reason: String,
    /// `000001/<account>` of the national administrator.
    pub ordered_by: String,
}

/// (National) publishes the orders JetStream has not stored yet. Runs until the
/// process ends.
pub async fn run_relay(bus: Arc<Bus>) {
    outbox_loop(bus.orders_ready.clone(), "revocation orders", || {
        publish_pending(&bus)
    })
    .await
}

async fn publish_pending(bus: &Bus) -> anyhow::Result<()> {
    let client = bus.pool.get().await.context("database pool")?;
    let rows = store::orders_not_sent(&**client).await?;
    // Made at the first pass (the node's start), so that every node's consumer finds
    // it: only the national user may create it.
    bus.js
        .get_or_create_stream(stream_config())
        .await
        .context("the orders stream")?;
    for (data, ordered_by) in rows {
        let text = |key: &str| data[key].as_str().unwrap_or_default().to_string();
        let order_id: Uuid = text("order_id").parse().context("stored order ID")?;
        let to = JurisdictionCode::parse(&text("jurisdiction")).context("stored order target")?;
        let order = Order {
            order_id,
            account: AccountId::parse(&text("account"))
                .map_err(|e| anyhow!("stored account: {e}"))?,
            reason: text("reason"),
            ordered_by,
        };
        let body = serde_json::to_vec(&order)?;
        let signature = bus.key.sign(&subject(&to), &order_id.to_string(), &body);
        let message = jetstream::message::PublishMessage::build()
            .header(anpi_core::trust::SIGNATURE_HEADER, signature.as_str())
            .payload(body.into())
            .message_id(order_id.to_string());
        bus.js
            .send_publish(subject(&to), message)
            .await
            .context("publishing an order")?
            .await
            .context("JetStream did not store an order")?;
        store::mark_order_sent(&**client, order_id).await?;
        tracing::info!(%order_id, to = %to, account = %order.account, "revocation order stored in JetStream");
    }
    Ok(())
}

/// (Every node below the national tier) carries out the orders addressed to it. Runs
/// until the process ends.
pub async fn run_consumer(bus: Arc<Bus>) {
    consume_forever(
        &bus.js,
        stream_config(),
        format!("orders-{}", bus.code),
        subject(&bus.code),
        "revocation orders",
        |message| {
            let bus = bus.clone();
            async move { handle(&bus, &message).await }
        },
    )
    .await
}

/// How long an order waits for the national key to be registered here.
const KEYLESS_RETRY: Duration = Duration::from_secs(30);

/// What became of a message signed by the national tier.
pub(crate) enum National<T> {
    /// Verified and read.
    Accepted(T),
    /// Put back: the national key is not registered here yet.
    Postponed,
    /// Refused, logged as an event and terminated.
    Refused,
}

/// Checks a message the national tier signed (orders, incidents): waits in the
/// stream while the national key is not registered here; a message that does not
/// verify, or whose body `read` cannot accept, is refused, logged as an event
/// (`OrderRefused`) and terminated.
pub(crate) async fn check_national<T>(
    bus: &Bus,
    message: &jetstream::Message,
    what: &str,
    read: impl FnOnce(&[u8], &str) -> Result<T, String>,
) -> anyhow::Result<National<T>> {
    let national = JurisdictionCode::national();
    let message_id = header(message, "Nats-Msg-Id").unwrap_or_default();
    let verdict = match bus.keyring.check(&bus.pool, &national, message).await? {
        Checked::Signed => read(&message.payload, &message_id),
        Checked::NoKey => {
            tracing::warn!(subject = %message.subject, "a national {what} arrived but the national key is not registered here (`anpi trust add 000001 KEY`); it waits in JetStream");
            message
                .ack_with(jetstream::AckKind::Nak(Some(KEYLESS_RETRY)))
                .await
                .map_err(|e| anyhow!("postponing a national {what}: {e}"))?;
            return Ok(National::Postponed);
        }
        Checked::Forged(reason) => Err(reason),
    };
    match verdict {
        Ok(value) => Ok(National::Accepted(value)),
        Err(reason) => {
            tracing::error!(subject = %message.subject, %reason, "national {what} refused; nothing of it is carried out");
            bus.writer
                .submit(
                    system_actor(&bus.code),
                    Command::Trust(TrustChange::RefuseOrder {
                        subject: message.subject.to_string(),
                        order_id: message_id,
                        reason,
                    }),
                )
                .await
                .map_err(|e| anyhow!("logging a refused national {what}: {e}"))?;
            message
                .ack_with(jetstream::AckKind::Term)
                .await
                .map_err(|e| anyhow!("terminating a refused national {what}: {e}"))?;
            Ok(National::Refused)
        }
    }
}

async fn handle(bus: &Bus, message: &jetstream::Message) -> anyhow::Result<()> {
    let national = JurisdictionCode::national();
    let read = |body: &[u8], message_id: &str| {
        serde_json::from_slice::<Order>(body)
            .map_err(|e| format!("unreadable order: {e}"))
            .and_then(|order| {
                if order.order_id.to_string() == message_id {
                    Ok(order)
                } else {
                    Err(format!(
                        "order {} sent as message {message_id}",
                        order.order_id
                    ))
                }
            })
    };
    let order = match check_national(bus, message, "order", read).await? {
        National::Accepted(order) => order,
        National::Postponed | National::Refused => return Ok(()),
    };
    let outcome = bus
        .writer
        .submit(
            system_actor(&national),
            Command::Account(AccountChange::Revoke {
                account: order.account.clone(),
                order_id: order.order_id,
                reason: order.reason.clone(),
            }),
        )
        .await;
    match outcome {
        Ok(_) => {
            bus.accounts.forget(&order.account);
            tracing::warn!(order_id = %order.order_id, account = %order.account, by = %order.ordered_by, reason = %order.reason, "account revoked on the national tier's order (A-04)");
        }
        Err(Rejection::NotFound(_)) | Err(Rejection::Conflict(_)) => {
            bus.accounts.forget(&order.account);
            tracing::info!(order_id = %order.order_id, account = %order.account, "revocation order: the account is unknown here or already disabled");
        }
        Err(other) => return Err(anyhow!("carrying out order {}: {other}", order.order_id)),
    }
    message
        .ack()
        .await
        .map_err(|e| anyhow!("acknowledging an order: {e}"))
}
