//! The outbox relay: publishes recorded reports until JetStream has every part.
//! R, T-05.
//!
//! Reports are published strictly in order of their number. A part's message ID is
//! `<report_id>.<part>`, so a republish inside JetStream's duplicate window is dropped
//! by the server; beyond it the receiver recognises the report as already applied.
//! Parts are cut deterministically (same events, same parts), so a republished report
//! fits together with parts of an earlier attempt.

use std::sync::Arc;

use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::report::split_by_size;
use anpi_proto::v1;
use anyhow::{Context, bail};
use prost::Message;
use uuid::Uuid;

use super::parts::{PartKind, PartSink};
use super::{Bus, ensure_stream, outbox_loop, report_subject};
use crate::store::reports as outbox;
use crate::wire;

/// Positions read from the log per query.
const PAGE: i64 = 2000;

/// Runs until the process ends.
pub async fn run(bus: Arc<Bus>) {
    outbox_loop(bus.writer.reports_ready(), "report relay", || {
        publish_pending(&bus)
    })
    .await
}

struct Pending {
    report_id: Uuid,
    seq: i64,
    to: JurisdictionCode,
    after: i64,
    through: i64,
    event_count: i64,
}

async fn publish_pending(bus: &Bus) -> anyhow::Result<()> {
    let client = bus.pool.get().await.context("database pool")?;
    for row in outbox::unpublished(&**client).await? {
        let pending = Pending {
            report_id: row.report_id,
            seq: row.seq,
            to: JurisdictionCode::parse(&row.to).context("stored receiver code")?,
            after: row.after,
            through: row.through,
            event_count: row.event_count,
        };
        let parts = publish_report(bus, &client, &pending).await?;
        outbox::mark_published(&**client, pending.report_id, parts).await?;
        tracing::info!(report_id = %pending.report_id, seq = pending.seq, parts, events = pending.event_count, "report delivered to JetStream");
    }
    Ok(())
}

/// Reads the wire events that reports carry among positions `after < p <= through`
/// (callers keep the range to [`PAGE`] positions; see
/// [`outbox::reportable_events`] for why the relay pages by position range).
async fn read_page(
    client: &tokio_postgres::Client,
    after: i64,
    through: i64,
) -> anyhow::Result<Vec<v1::Event>> {
    Ok(outbox::reportable_events(client, after, through)
        .await?
        .into_iter()
        .map(|event| v1::Event {
            position: event.position,
            event_id: event.event_id.to_string(),
            kind: event.kind,
            schema_version: event.schema_version,
            incident_id: event.incident_id.map(|i| i.to_string()).unwrap_or_default(),
            origin: event.origin,
            actor: event.actor,
            written_at: event.written_at.map(wire::rfc3339).unwrap_or_default(),
            received_at: wire::rfc3339(event.received_at),
            payload_json: event.payload_json,
            link: event.link.unwrap_or_default(),
        })
        .collect())
}

/// This log's link at `position` as a wire chain point (L-05): the report's head
/// and, for the report before's head, what this log holds there now.
async fn chain_point(
    client: &tokio_postgres::Client,
    position: i64,
) -> anyhow::Result<v1::ChainPoint> {
    let link = crate::store::chain::link_at(client, position)
        .await?
        .ok_or_else(|| anyhow::anyhow!("position {position} of the log has no link"))?;
    Ok(wire::point_to_proto(anpi_core::chain::ChainPoint {
        position,
        link,
    }))
}

/// Publishes one report; returns its number of parts.
async fn publish_report(
    bus: &Bus,
    client: &tokio_postgres::Client,
    report: &Pending,
) -> anyhow::Result<i32> {
    ensure_stream(&bus.js).await?;
    let template = v1::ReportPart {
        report_id: report.report_id.to_string(),
        from: bus.code.to_string(),
        to: report.to.to_string(),
        log_id: crate::store::reader::log_id(client).await?.to_string(),
        seq: report.seq,
        event_count: report.event_count,
        head: Some(chain_point(client, report.through).await?),
        since: if report.after > 0 {
            Some(chain_point(client, report.after).await?)
        } else {
            None
        },
        ..Default::default()
    };
    let mut sink = PartSink::new(
        &bus.client,
        &bus.js,
        report_subject(&report.to, &bus.code),
        ReportParts(template),
    )?
    .signed_by(&bus.key);
    // Uncompressed bytes gathered before cutting parts; JSON payloads compress at
    // least this well, and a part that does not is halved.
    let raw_target = sink.limit() * 4;
    let mut pending: Vec<v1::Event> = Vec::new();
    let mut pending_bytes = 0usize;
    let mut after = report.after;
    loop {
        let until = report.through.min(after + PAGE);
        let page = read_page(client, after, until).await?;
        after = until;
        let done = after >= report.through;
        for event in page {
            pending_bytes += event.encoded_len();
            pending.push(event);
        }
        // Cut every full part but the last (which may still grow).
        if pending_bytes > raw_target {
            let sizes: Vec<usize> = pending.iter().map(|e| e.encoded_len()).collect();
            let ranges = split_by_size(&sizes, raw_target);
            let keep_from = ranges.last().map(|r| r.start).unwrap_or(0);
            for range in &ranges[..ranges.len() - 1] {
                sink.emit(&pending[range.clone()], false).await?;
            }
            pending.drain(..keep_from);
            pending_bytes = pending.iter().map(|e| e.encoded_len()).sum();
        }
        if done {
            break;
        }
    }
    sink.emit(&pending, true).await?;
    sink.finish().await?;
    if sink.published != report.event_count {
        bail!(
            "report {} announces {} events but the log gave {}",
            report.report_id,
            report.event_count,
            sink.published
        );
    }
    Ok(sink.next_part)
}

/// Report parts: the report's header with a run of its events.
struct ReportParts(v1::ReportPart);

impl PartKind for ReportParts {
    type Item = v1::Event;

    fn body(&self, part: i32, last: bool, events: &[v1::Event]) -> Vec<u8> {
        let mut message = self.0.clone();
        message.part = part;
        message.last = last;
        message.events = events.to_vec();
        wire::encode(&message)
    }

    fn message_id(&self, part: i32) -> String {
        format!("{}.{}", self.0.report_id, part)
    }

    fn describe(&self, event: &v1::Event) -> String {
        format!("event {}", event.event_id)
    }
}
