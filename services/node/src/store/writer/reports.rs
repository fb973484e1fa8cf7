//! The writer's report commands, each in a transaction of its own. R,
//! R-04, L-03, D-06, E-11.
//!
//! - `send_report` is the outbox: it records which positions the report covers; the
//!   relay (`bus::relay`) publishes them after the commit and until JetStream has them.
//! - `apply_staged` appends a subordinate's report whole: every staged part's events
//!   (decoded and checked once, by `bus::inbound`) are read, events this log already
//!   holds are skipped (so a report applied twice changes nothing), the rest get local
//!   positions with their original identity, and the `ReportReceived` event and the
//!   removal of the staged parts commit with them. Parts are applied one after another
//!   in that one transaction; each part's rows are encoded on a blocking thread, and
//!   the next part is read and decoded while one is written (issue 18).
//! - `acknowledge` records the parent's receipt.

use std::collections::{HashMap, HashSet};

use anpi_core::chain::{ChainPoint, Link};
use anpi_core::event::{Actor, NewEvent, Payload, REPORTABLE_KINDS};
use anpi_core::ids::{LogId, RecordId, ReportId};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::report::{self, Notice, ReportError};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::dedup::Deduper;
use super::{
    Batch, Outcome, Rejection, Sealed, WriterTask, exclusive, insert_events, new_report_id,
    now_micros, position_and_fold, position_and_fold_sealed, seal_new,
};
use crate::store::reports as staging;
use crate::store::{self, Result, chain, reader};

/// A report recorded by "report".
#[derive(Debug, Clone)]
pub struct SentSummary {
    pub report_id: ReportId,
    pub seq: i64,
    pub to: JurisdictionCode,
    pub event_count: i64,
    pub created_at: DateTime<Utc>,
    pub position: i64,
}

/// A subordinate's report, applied.
#[derive(Debug, Clone)]
pub struct AppliedReport {
    pub report_id: ReportId,
    pub from: JurisdictionCode,
    pub seq: i64,
    pub event_count: i64,
    pub appended: i64,
    pub duplicates: i64,
    pub parts: i32,
    pub notices: Vec<Notice>,
    pub applied_at: DateTime<Utc>,
}

/// The parent's confirmation that it applied a report.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub report_id: ReportId,
    pub by: JurisdictionCode,
    pub applied_at: DateTime<Utc>,
    pub appended: i64,
    pub duplicates: i64,
}

/// A staged part's events, each sealed as it will be stored (ADR 0019), the sealing on
/// a blocking thread while the writer goes on with the part before.
async fn read_sealed<C: tokio_postgres::GenericClient>(
    client: &C,
    report: Uuid,
    part: i32,
) -> crate::store::Result<(Vec<NewEvent>, HashMap<Uuid, Sealed>)> {
    let events = staging::staged_events(client, report, part).await?;
    store::blocking(move || {
        let sealed = events
            .iter()
            .map(|e| (e.id.as_uuid(), seal_new(e)))
            .collect();
        Ok((events, sealed))
    })
    .await
}

/// The node acting on its own (relay, consumer, automatic report).
pub fn system_actor(code: &JurisdictionCode) -> Actor {
    Actor {
        jurisdiction: code.clone(),
        account: anpi_core::ids::AccountId::parse("system").expect("a valid account id"),
    }
}

type Answer = std::result::Result<Outcome, Rejection>;

impl WriterTask {
    pub(super) async fn send_report(&mut self, actor: Actor) -> Result<Answer> {
        let Some(parent) = self.parent.clone() else {
            return Ok(Err(Rejection::Precondition(
                "国（全国）のノードには報告先がありません。報告は市町村・都道府県のノードで行います"
                    .into(),
            )));
        };
        let tx = exclusive(&mut self.client).transaction().await?;
        let row = tx
            .query_one(
                "SELECT COALESCE(max(through_position), 0), COALESCE(max(seq), 0) FROM reports_sent",
                &[],
            )
            .await?;
        let after: i64 = row.get(0);
        let seq: i64 = row.get::<_, i64>(1) + 1;
        let through = self.head.position;
        let kinds: &[&str] = &REPORTABLE_KINDS;
        let count: i64 = tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM events
                     WHERE position > $1 AND position <= $2 AND kind = ANY($3) AND {}",
                    reader::NOT_LOCAL
                ),
                &[&after, &through, &kinds],
            )
            .await?
            .get(0);
        if count == 0 {
            tx.commit().await?;
            return Ok(Ok(Outcome::Reported(None)));
        }
        let now = now_micros();
        let report_id = new_report_id();
        let payload = Payload::ReportSent {
            report_id,
            seq,
            to: parent.clone(),
            after_position: after,
            through_position: through,
            event_count: count,
        };
        let head = Self::commit_one(tx, &mut self.head, &self.origin, actor, now, payload).await?;
        self.reports_ready.notify_one();
        tracing::info!(%report_id, seq, to = %parent, events = count, "report recorded");
        Ok(Ok(Outcome::Reported(Some(SentSummary {
            report_id,
            seq,
            to: parent,
            event_count: count,
            created_at: now,
            position: head,
        }))))
    }

    pub(super) async fn apply_staged(
        &mut self,
        from: JurisdictionCode,
        log_id: LogId,
    ) -> Result<Answer> {
        let tx = exclusive(&mut self.client).transaction().await?;
        let last = staging::last_applied_seq(&tx, &from, log_id).await?;
        let seq = report::next_seq(last);
        let rows = tx
            .query(
                "SELECT report_id, part, last, event_count, head_position, head_link, since_position, since_link
                 FROM report_parts
                 WHERE from_jurisdiction = $1 AND log_id = $2 AND seq = $3
                 ORDER BY report_id, part",
                &[&from.as_str(), &log_id.as_uuid(), &seq],
            )
            .await?;
        let Some(first) = rows.first() else {
            tx.commit().await?;
            return Ok(Ok(Outcome::Applied(None)));
        };
        let report_uuid: Uuid = first.get(0);
        let announced: i64 = first.get(3);
        if rows.iter().any(|r| r.get::<_, Uuid>(0) != report_uuid) {
            tracing::error!(%from, seq, "two different reports carry the same number; applying the first");
        }
        let parts: Vec<(i32, bool)> = rows
            .iter()
            .filter(|r| r.get::<_, Uuid>(0) == report_uuid)
            .map(|r| (r.get(1), r.get(2)))
            .collect();
        let Some(part_count) = report::parts_complete(&parts) else {
            tx.commit().await?;
            return Ok(Ok(Outcome::Applied(None)));
        };
        // The sender's chain (L-05): its head at this report's end, and whether its log
        // still holds, at the previous report's head, the link recorded then.
        let point = |p: usize, l: usize| {
            Some(ChainPoint {
                position: first.get::<_, Option<i64>>(p)?,
                link: Link::from_slice(first.get::<_, Option<&[u8]>>(l)?)?,
            })
        };
        let (report_head, report_since) = (point(4, 5), point(6, 7));
        if let Some(since) = report_since
            && let Some(recorded) =
                chain::last_received_head(&tx, from.as_str(), log_id.as_uuid()).await?
            && let Some(rewritten) =
                anpi_core::chain::compare_since(from.as_str(), seq, 0, recorded, since)
        {
            // Applied all the same (nothing received is dropped); the ReportReceived
            // event keeps both points, and `anpi audit verify` reports it.
            tracing::error!(
                %from, seq, at = rewritten.at, recorded = %rewritten.recorded.short(),
                claimed = %rewritten.claimed.short(),
                "the sender rewrote history it had already reported (L-05)"
            );
        }

        let now = now_micros();
        let mut head = self.head;
        let first_position = head.position + 1;
        let mut held = 0i64;
        // Dedup events this tier appended while applying (not part of the report).
        let mut local_events = 0i64;
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut notices = Vec::new();
        let mut incidents = Vec::new();
        let mut next = Some(read_sealed(&tx, report_uuid, 0).await?);
        for part in 0..part_count {
            let (incoming, mut sealed) = next.take().expect("each part is read before its turn");
            held += incoming.len() as i64;
            let ids: Vec<Uuid> = incoming.iter().map(|e| e.id.as_uuid()).collect();
            let existing: HashSet<Uuid> = tx
                .query(
                    "SELECT event_id FROM events WHERE event_id = ANY($1)",
                    &[&ids],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let fresh: Vec<NewEvent> = incoming
                .into_iter()
                .filter(|e| !existing.contains(&e.id.as_uuid()) && seen.insert(e.id.as_uuid()))
                .collect();
            let mut batch = Batch::default();
            let wanted: Vec<RecordId> = fresh
                .iter()
                .flat_map(|e| match &e.payload {
                    Payload::EntryRecorded { supersedes, .. } => vec![*supersedes],
                    other => vec![other.record_id()],
                })
                .flatten()
                .collect();
            batch.load(&tx, &wanted).await?;
            let entries = fresh.iter().filter_map(|e| match &e.payload {
                Payload::EntryRecorded { entry, .. } => Some((e.incident?, &**entry)),
                _ => None,
            });
            let mut deduper =
                Deduper::prepare(&tx, self.dedup_mode, &mut batch, None, entries).await?;
            let mut events = Vec::with_capacity(fresh.len());
            for new in fresh {
                let recorded = match &new.payload {
                    Payload::EntryRecorded { record_id, .. } => Some(*record_id),
                    _ => None,
                };
                let incident = new.incident;
                match &new.payload {
                    Payload::EntryRecorded {
                        record_id,
                        entry,
                        supersedes,
                    } => {
                        let old = supersedes.and_then(|id| batch.states.get(&id));
                        notices.extend(report::death_conversion(
                            *record_id,
                            entry,
                            *supersedes,
                            old,
                            &new.origin,
                        ));
                    }
                    Payload::IncidentCreated { incident, .. } => incidents.push(incident.clone()),
                    _ => {}
                }
                let seal = sealed
                    .remove(&new.id.as_uuid())
                    .expect("every event read was sealed");
                events.push(position_and_fold_sealed(&mut head, new, seal, &mut batch));
                // D-07: automatic duplicate removal on intake of received entries too.
                for payload in recorded
                    .map(|id| deduper.after_recorded(&batch, id))
                    .unwrap_or_default()
                {
                    let actor = system_actor(&self.origin);
                    let decided = (payload, incident, None);
                    let local = Self::new_event(&self.origin, actor, now, decided);
                    events.push(position_and_fold(&mut head, local, &mut batch));
                    local_events += 1;
                }
            }
            // The rows are encoded on a blocking thread; while this part is written,
            // the next is read and decoded (a read of `report_parts` only, so its
            // place among this part's statements on the connection does not matter).
            let encoded = store::blocking(move || batch.encode()).await?;
            let write = async {
                insert_events(&tx, &events).await?;
                encoded.write(&tx).await
            };
            let read_next = async {
                if part + 1 < part_count {
                    let events = read_sealed(&tx, report_uuid, part + 1).await?;
                    Ok::<_, store::Error>(Some(events))
                } else {
                    Ok(None)
                }
            };
            let (written, read) = tokio::join!(write, read_next);
            written?;
            next = read?;
        }
        if held != announced {
            // Rolled back: nothing of the report is applied.
            let error = ReportError::CountMismatch { held, announced };
            tracing::error!(%from, seq, %error, "report not applied");
            return Ok(Err(Rejection::Precondition(error.to_string())));
        }
        let appended = head.position - self.head.position - local_events;
        let report_id = ReportId::from_uuid(report_uuid);
        let payload = Payload::ReportReceived {
            report_id,
            from: from.clone(),
            log_id,
            seq,
            event_count: held,
            duplicates: held - appended,
            parts: part_count,
            first_position: (appended > 0).then_some(first_position),
            last_position: (appended > 0).then_some(head.position),
            notices: notices.clone(),
            head: report_head,
            since: report_since,
        };
        let mut batch = Batch::default();
        let actor = system_actor(&self.origin);
        let event = position_and_fold(
            &mut head,
            Self::new_event(&self.origin, actor, now, (payload, None, None)),
            &mut batch,
        );
        tx.execute(
            "DELETE FROM report_parts WHERE report_id = $1",
            &[&report_uuid],
        )
        .await?;
        Self::commit(tx, &[event], batch).await?;
        self.head = head;
        for incident in incidents {
            self.incidents.entry(incident.id).or_insert(incident);
        }
        tracing::info!(%report_id, %from, seq, appended, duplicates = held - appended, parts = part_count, "report applied");
        Ok(Ok(Outcome::Applied(Some(AppliedReport {
            report_id,
            from,
            seq,
            event_count: held,
            appended,
            duplicates: held - appended,
            parts: part_count,
            notices,
            applied_at: now,
        }))))
    }

    pub(super) async fn acknowledge(&mut self, actor: Actor, receipt: Receipt) -> Result<Answer> {
        let tx = exclusive(&mut self.client).transaction().await?;
        let row = tx
            .query_opt(
                "SELECT acknowledged_at FROM reports_sent WHERE report_id = $1",
                &[&receipt.report_id.as_uuid()],
            )
            .await?;
        let pending = match row {
            None => {
                tracing::warn!(report_id = %receipt.report_id, "a receipt for a report this node did not send");
                false
            }
            Some(row) => row.get::<_, Option<DateTime<Utc>>>(0).is_none(),
        };
        if !pending {
            tx.commit().await?;
            return Ok(Ok(Outcome::Acknowledged { new: false }));
        }
        let now = now_micros();
        let payload = Payload::ReportAcknowledged {
            report_id: receipt.report_id,
            by: receipt.by,
            applied_at: receipt.applied_at,
            appended: receipt.appended,
            duplicates: receipt.duplicates,
        };
        Self::commit_one(tx, &mut self.head, &self.origin, actor, now, payload).await?;
        Ok(Ok(Outcome::Acknowledged { new: true }))
    }
}
