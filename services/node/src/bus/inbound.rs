//! Consuming reports from subordinate tiers, and receipts from the parent.
//! R, L-03, T-03.
//!
//! A part is first authenticated: it must carry an Ed25519 signature, over its
//! subject, message ID and body, by the key registered here for the child its subject
//! names. A part from a child with no registered key waits in JetStream (redelivered
//! every 30 s) until the key is registered; a part whose signature does not verify is
//! terminated and logged as a `ReportPartRefused` event. Then it is decoded (the only
//! time) and checked (sender is a direct subordinate, every event decodes, is
//! reportable and was collected at or below the sender), its checked events staged in
//! `report_parts` (`store::reports`) and only then acknowledged to JetStream. The
//! writer applies a sender's reports in order once all parts of the next one are
//! staged (`Command::ApplyStaged`). A part that can never be applied is terminated and
//! logged; nothing is applied from it. While report intake is paused nothing is
//! fetched: parts wait in JetStream.

use std::sync::Arc;
use std::time::Duration;

use anpi_core::event::NewEvent;
use anpi_core::ids::{LogId, ReportId};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::report::{self, Arrival};
use anpi_proto::v1;
use anyhow::{Context, anyhow};
use async_nats::jetstream::AckKind;
use async_nats::jetstream::message::PublishMessage;
use futures::StreamExt;
use uuid::Uuid;

use super::{Backoff, Bus, durable_consumer, pull_until_failure, receipt_subject};
use crate::store::reports::{self as staging, CheckedPart};
use crate::store::writer::{AppliedReport, Command, Receipt, TrustChange, system_actor};
use crate::trust::{Checked, header};
use crate::wire;

/// Messages fetched per pull. One: at most one message is delivered and not yet
/// acknowledged when the node dies, and JetStream redelivers it after the consumer's
/// ack wait (10 s); parts are up to 1 MiB, so a pull per part costs little.
const FETCH: usize = 1;

/// The report consumer of a prefecture or national node. Runs until the process ends.
pub async fn run(bus: Arc<Bus>) {
    let mut intake = bus.writer.intake();
    let mut backoff = Backoff::new();
    let mut recovered = false;
    loop {
        while intake.borrow().reports.paused {
            tracing::info!("report intake paused: reports wait in JetStream");
            if intake.changed().await.is_err() {
                return;
            }
        }
        if !recovered {
            // Reports staged before a restart, and receipts not sent yet.
            match recover(&bus).await {
                Ok(()) => recovered = true,
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "applying staged reports failed; will retry"
                    );
                    backoff.wait().await;
                    continue;
                }
            }
        }
        let subject = format!("anpi.report.{}.*", bus.code);
        let consumer =
            match durable_consumer(&bus.js, &format!("reports-{}", bus.code), subject).await {
                Ok(consumer) => consumer,
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "report consumer unavailable; will retry"
                    );
                    backoff.wait().await;
                    continue;
                }
            };
        backoff.reset();
        tracing::info!("consuming reports");
        loop {
            if intake.borrow().reports.paused {
                break;
            }
            let batch = consumer
                .fetch()
                .max_messages(FETCH)
                .expires(Duration::from_secs(1))
                .messages()
                .await;
            let mut batch = match batch {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "fetching reports failed; will retry");
                    backoff.wait().await;
                    break;
                }
            };
            let mut failed = false;
            while let Some(message) = batch.next().await {
                match message {
                    Ok(message) if intake.borrow().reports.paused => {
                        // Paused while this pull was open: hand it back untouched.
                        let _ = message.ack_with(AckKind::Nak(None)).await;
                    }
                    Ok(message) => {
                        if let Err(error) = handle(&bus, &message).await {
                            // Not acknowledged: JetStream redelivers it after ack_wait.
                            tracing::warn!(
                                error = format!("{error:#}"),
                                "a report part could not be staged; it will be redelivered"
                            );
                            failed = true;
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "receiving reports failed; will retry");
                        failed = true;
                        break;
                    }
                }
            }
            if failed {
                backoff.wait().await;
                break;
            }
        }
    }
}

/// Applies complete staged reports of every sender and resends missing receipts.
async fn recover(bus: &Bus) -> anyhow::Result<()> {
    let client = bus.pool.get().await.context("database pool")?;
    staging::drop_applied_parts(&**client).await?;
    // Parts staged by an earlier version kept only their wire body: decoded here, once.
    for (report_id, part, from, body) in staging::parts_without_events(&**client).await? {
        let from = JurisdictionCode::parse(&from).context("staged sender code")?;
        let events = wire::decode::<v1::ReportPart>(&body)
            .and_then(|decoded| checked_events(&from, &decoded.events))
            .map_err(|error| anyhow!("staged part {report_id}.{part}: {error}"))?;
        staging::restage_events(&**client, report_id, part, &events).await?;
    }
    let senders = staging::staged_senders(&**client).await?;
    drop(client);
    for (from, log_id) in senders {
        let from = JurisdictionCode::parse(&from).context("staged sender code")?;
        apply_ready(bus, &from, log_id).await?;
    }
    send_missing_receipts(bus).await
}

/// How long a part from a child without a registered key waits before redelivery.
const KEYLESS_RETRY: Duration = Duration::from_secs(30);

/// Logs a refused part as an event of this node, then terminates it in JetStream.
async fn refuse(
    bus: &Bus,
    message: &async_nats::jetstream::Message,
    reason: String,
) -> anyhow::Result<()> {
    let subject = message.subject.to_string();
    let message_id = header(message, "Nats-Msg-Id").unwrap_or_default();
    let report_id = message_id
        .split_once('.')
        .map(|(id, _)| id.to_string())
        .unwrap_or(message_id);
    bus.writer
        .submit(
            system_actor(&bus.code),
            Command::Trust(TrustChange::RefusePart {
                from: subject.rsplit('.').next().unwrap_or_default().to_string(),
                subject,
                report_id,
                reason,
            }),
        )
        .await
        .map_err(|e| anyhow!("logging a refused part: {e}"))?;
    message
        .ack_with(AckKind::Term)
        .await
        .map_err(|e| anyhow!("terminating a refused part: {e}"))
}

/// Where an arriving message goes.
enum Verdict {
    /// The part decoded and checked: staged as it is, its events never decoded again.
    Stage(Box<CheckedPart>),
    /// Never applicable: terminated and logged.
    Refuse(String),
}

/// Decodes a part's wire events, each checked: decodable field by field, reportable,
/// and collected at or below the sender `from`.
fn checked_events(from: &JurisdictionCode, events: &[v1::Event]) -> Result<Vec<NewEvent>, String> {
    let mut checked = Vec::with_capacity(events.len());
    for event in events {
        let event = wire::event_from_proto(event)?;
        if !event.payload.is_reportable() {
            return Err(report::ReportError::NotReportable {
                kind: event.payload.kind().into(),
            }
            .to_string());
        }
        report::check_origin(from, &event.origin, event.id).map_err(|e| e.to_string())?;
        checked.push(event);
    }
    Ok(checked)
}

/// Checks a part against the subject it came on and the rules of `anpi_core::report`;
/// the only place a report part is decoded.
fn check(bus: &Bus, subject: &str, body: &[u8]) -> Verdict {
    let part: v1::ReportPart = match wire::decode(body) {
        Ok(part) => part,
        Err(error) => return Verdict::Refuse(format!("undecodable body: {error}")),
    };
    let from = match JurisdictionCode::parse(&part.from) {
        Ok(code) => code,
        Err(error) => return Verdict::Refuse(format!("from: {error}")),
    };
    if subject != super::report_subject(&bus.code, &from) || part.to != bus.code.as_str() {
        return Verdict::Refuse(format!(
            "a part from {} to {} arrived on {subject}",
            part.from, part.to
        ));
    }
    if let Err(error) = report::check_sender(&bus.code, &from) {
        return Verdict::Refuse(error.to_string());
    }
    let Ok(log_id) = part.log_id.parse::<Uuid>() else {
        return Verdict::Refuse(format!("log_id: `{}` is not a UUID", part.log_id));
    };
    let report_id = match part.report_id.parse::<ReportId>() {
        Ok(report_id) if part.seq >= 1 && part.part >= 0 => report_id,
        _ => {
            return Verdict::Refuse(format!(
                "report_id `{}`, seq {}, part {}: not a valid report part",
                part.report_id, part.seq, part.part
            ));
        }
    };
    let events = match checked_events(&from, &part.events) {
        Ok(events) => events,
        Err(error) => return Verdict::Refuse(error),
    };
    Verdict::Stage(Box::new(CheckedPart {
        report_id: report_id.as_uuid(),
        part: part.part,
        last: part.last,
        from,
        log_id: LogId::from_uuid(log_id),
        seq: part.seq,
        event_count: part.event_count,
        events,
        head: wire::point_from_proto(part.head.as_ref()),
        since: wire::point_from_proto(part.since.as_ref()),
    }))
}

/// Stages one message and acknowledges it after the commit; applies what became
/// complete.
async fn handle(bus: &Bus, message: &async_nats::jetstream::Message) -> anyhow::Result<()> {
    let subject = message.subject.as_str();
    let from = subject.rsplit('.').next().unwrap_or_default();
    let checked = match JurisdictionCode::parse(from) {
        Ok(sender) => bus.keyring.check(&bus.pool, &sender, message).await?,
        Err(_) => Checked::Forged(format!("{subject}: no sender code in the subject")),
    };
    let verdict = match checked {
        Checked::Signed => check(bus, subject, &message.payload),
        Checked::NoKey => {
            tracing::warn!(subject = %message.subject, %from, "a report part arrived from {from}, whose signing key is not registered here (`anpi trust add`); it waits in JetStream");
            message
                .ack_with(AckKind::Nak(Some(KEYLESS_RETRY)))
                .await
                .map_err(|e| anyhow!("postponing a part: {e}"))?;
            return Ok(());
        }
        Checked::Forged(reason) => Verdict::Refuse(reason),
    };
    let part = match verdict {
        Verdict::Stage(part) => part,
        Verdict::Refuse(reason) => {
            tracing::error!(subject = %message.subject, %reason, "report part refused; nothing of it is applied");
            refuse(bus, message, reason).await?;
            return Ok(());
        }
    };
    let client = bus.pool.get().await.context("database pool")?;
    let last = staging::last_applied_seq(&**client, &part.from, part.log_id).await?;
    match report::classify_arrival(last, part.seq) {
        Arrival::AlreadyApplied => {
            tracing::info!(report_id = %part.report_id, seq = part.seq, part = part.part, "report part already applied; acknowledged again");
        }
        Arrival::Stage => staging::stage_part(&**client, &part).await?,
    }
    drop(client);
    message
        .ack()
        .await
        .map_err(|e| anyhow!("acknowledging a staged part: {e}"))?;
    apply_ready(bus, &part.from, part.log_id).await
}

/// Applies the sender's next reports while they are complete, sending a receipt for
/// each.
async fn apply_ready(bus: &Bus, from: &JurisdictionCode, log_id: LogId) -> anyhow::Result<()> {
    loop {
        let applied: Option<AppliedReport> = bus
            .writer
            .ask(
                system_actor(&bus.code),
                Command::ApplyStaged {
                    from: from.clone(),
                    log_id,
                },
            )
            .await
            .map_err(|e| anyhow!("applying a report of {from}: {e}"))?;
        let Some(applied) = applied else {
            return Ok(());
        };
        for notice in &applied.notices {
            tracing::warn!(report_id = %applied.report_id, from = %applied.from, "{}", notice.message_ja());
        }
        if let Err(error) = send_receipt(bus, &applied).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "receipt not sent yet; will retry"
            );
        }
    }
}

async fn send_receipt(bus: &Bus, applied: &AppliedReport) -> anyhow::Result<()> {
    publish_receipt(
        bus,
        v1::Receipt {
            report_id: applied.report_id.to_string(),
            from: bus.code.to_string(),
            to: applied.from.to_string(),
            seq: applied.seq,
            appended: applied.appended,
            duplicates: applied.duplicates,
            applied_at: wire::rfc3339(applied.applied_at),
        },
    )
    .await
}

async fn publish_receipt(bus: &Bus, receipt: v1::Receipt) -> anyhow::Result<()> {
    let to = JurisdictionCode::parse(&receipt.to).context("receipt receiver")?;
    let report_id: Uuid = receipt.report_id.parse().context("receipt report id")?;
    let message = PublishMessage::build()
        .payload(wire::encode(&receipt).into())
        .message_id(format!("receipt.{}", receipt.report_id))
        .header(wire::ENCODING_HEADER, wire::ENCODING);
    bus.js
        .send_publish(receipt_subject(&to, &bus.code), message)
        .await?
        .await
        .context("JetStream did not acknowledge the receipt")?;
    let client = bus.pool.get().await.context("database pool")?;
    staging::mark_receipt_sent(&**client, report_id).await?;
    Ok(())
}

async fn send_missing_receipts(bus: &Bus) -> anyhow::Result<()> {
    let client = bus.pool.get().await.context("database pool")?;
    let owed = staging::receipts_owed(&**client).await?;
    drop(client);
    for receipt in owed {
        publish_receipt(
            bus,
            v1::Receipt {
                report_id: receipt.report_id.to_string(),
                from: bus.code.to_string(),
                to: receipt.to,
                seq: receipt.seq,
                appended: receipt.appended,
                duplicates: receipt.duplicates,
                applied_at: wire::rfc3339(receipt.applied_at),
            },
        )
        .await?;
    }
    Ok(())
}

/// The receipt consumer of a municipality or prefecture node: records that the parent
/// applied a report. Runs until the process ends.
pub async fn run_receipts(bus: Arc<Bus>) {
    let mut backoff = Backoff::new();
    loop {
        let subject = format!("anpi.receipt.{}.*", bus.code);
        let consumer =
            match durable_consumer(&bus.js, &format!("receipts-{}", bus.code), subject).await {
                Ok(consumer) => consumer,
                Err(error) => {
                    tracing::debug!(
                        error = format!("{error:#}"),
                        "receipt consumer unavailable; will retry"
                    );
                    backoff.wait().await;
                    continue;
                }
            };
        backoff.reset();
        pull_until_failure(
            &consumer,
            FETCH,
            Duration::from_secs(5),
            "receipts",
            |message| {
                let bus = bus.clone();
                async move { handle_receipt(&bus, &message).await }
            },
        )
        .await;
        backoff.wait().await;
    }
}

async fn handle_receipt(bus: &Bus, message: &async_nats::jetstream::Message) -> anyhow::Result<()> {
    let parsed = wire::decode::<v1::Receipt>(&message.payload).and_then(|r| {
        let by = JurisdictionCode::parse(&r.from).map_err(|e| e.to_string())?;
        if Some(&by) != bus.parent.as_ref() || r.to != bus.code.as_str() {
            return Err(format!(
                "a receipt from {} to {} is not for this node",
                r.from, r.to
            ));
        }
        Ok(Receipt {
            report_id: r.report_id.parse().map_err(|_| "report_id".to_string())?,
            by,
            applied_at: wire::parse_time("applied_at", &r.applied_at)?,
            appended: r.appended,
            duplicates: r.duplicates,
        })
    });
    let receipt = match parsed {
        Ok(receipt) => receipt,
        Err(reason) => {
            tracing::error!(%reason, "receipt refused");
            message
                .ack_with(AckKind::Term)
                .await
                .map_err(|e| anyhow!("terminating a refused receipt: {e}"))?;
            return Ok(());
        }
    };
    bus.writer
        .submit(
            system_actor(&bus.code),
            Command::AcknowledgeReport { receipt },
        )
        .await
        .map_err(|e| anyhow!("recording a receipt: {e}"))?;
    message
        .ack()
        .await
        .map_err(|e| anyhow!("acknowledging a receipt: {e}"))?;
    Ok(())
}
