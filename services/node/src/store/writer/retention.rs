//! The end of an incident's retention and its purge (issue 21 item 4, ADR 0019), each
//! in a transaction of its own. The rules are `anpi_core::retention`'s; this gathers
//! the facts they need, appends the event and, for a purge, destroys the incident's
//! data keys and rewrites every table that held its personal data.

use anpi_core::event::{Actor, Payload, REPORTABLE_KINDS};
use anpi_core::ids::IncidentId;
use anpi_core::retention::{self, IncidentFacts};
use anpi_core::seal;
use chrono::NaiveDate;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{Batch, Outcome, Rejection, WriterTask, exclusive, now_micros, position_and_fold};
use crate::store::Result;

type Answer = std::result::Result<Outcome, Rejection>;

/// What a retention command does.
#[derive(Debug, Clone)]
pub enum RetentionChange {
    /// Set (or move) the end of the incident's retention period.
    SetUntil {
        incident: IncidentId,
        until: NaiveDate,
    },
    /// Purge the incident's personal data; `confirm` must repeat its ID, `today` is the
    /// day in Japan.
    Purge {
        incident: IncidentId,
        confirm: String,
        today: NaiveDate,
    },
}

/// The tables a purge rewrites with `VACUUM FULL`, so that no dead tuple keeps a key or
/// a personal field of the purged incident.
const REWRITTEN: [&str; 9] = [
    "data_keys",
    "records",
    "duplicate_flags",
    "inquiries",
    "publication_decisions",
    "read_log",
    "report_parts",
    "shared.records",
    "shared.parts",
];

/// The facts `anpi_core::retention` decides on; `None` when the incident is unknown.
async fn facts<C: GenericClient>(
    client: &C,
    incident: IncidentId,
    has_parent: bool,
) -> Result<Option<IncidentFacts>> {
    let Some(row) = client
        .query_opt(
            "SELECT created_at, retention_until, purged_at IS NOT NULL, local
             FROM incidents WHERE incident_id = $1",
            &[&incident.as_uuid()],
        )
        .await?
    else {
        return Ok(None);
    };
    let created: chrono::DateTime<chrono::Utc> = row.get(0);
    let local: bool = row.get(3);
    let sealed: Vec<&str> = seal::sealed_kinds().collect();
    let unsealed: i64 = client
        .query_one(
            "SELECT count(*) FROM events
             WHERE (incident_id = $1 OR record_id IN (SELECT record_id FROM records WHERE incident_id = $1))
               AND kind = ANY($2) AND NOT (payload -> 'data' ? 'sealed')",
            &[&incident.as_uuid(), &sealed],
        )
        .await?
        .get(0);
    // Reported means applied by the parent (acknowledged): the outbox reads the log
    // when it sends, so nothing it has yet to send may be purged.
    let kinds: &[&str] = &REPORTABLE_KINDS;
    let unreported: i64 = if has_parent && !local {
        client
            .query_one(
                "SELECT count(*) FROM events
                 WHERE incident_id = $1 AND kind = ANY($2)
                   AND position > (SELECT COALESCE(max(through_position), 0) FROM reports_sent
                                   WHERE acknowledged_at IS NOT NULL)",
                &[&incident.as_uuid(), &kinds],
            )
            .await?
            .get(0)
    } else {
        0
    };
    Ok(Some(IncidentFacts {
        id: incident.to_string(),
        created: created
            .with_timezone(&anpi_core::entry::jst_offset())
            .date_naive(),
        until: row.get(1),
        purged: row.get(2),
        unsealed,
        unreported,
    }))
}

/// Destroys the keys of `incident`'s sealed events and blanks the reads that named its
/// records or inquiries, before the projection deletes the rows (`IncidentPurged`).
/// Returns the incident's records and inquiries.
async fn destroy<C: GenericClient>(client: &C, incident: IncidentId) -> Result<(i64, i64)> {
    let id = incident.as_uuid();
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM records WHERE incident_id = $1),
                    (SELECT count(*) FROM inquiries WHERE incident_id = $1
                        OR record_id IN (SELECT record_id FROM records WHERE incident_id = $1))",
            &[&id],
        )
        .await?;
    client
        .execute(
            "WITH subjects AS (
                 SELECT record_id AS id FROM records WHERE incident_id = $1
                 UNION SELECT inquiry_id FROM inquiries WHERE incident_id = $1
                     OR record_id IN (SELECT record_id FROM records WHERE incident_id = $1)
                 UNION SELECT record_id FROM events WHERE incident_id = $1 AND record_id IS NOT NULL
             ),
             reads AS (
                 UPDATE read_log SET query = '{\"purged\": true}'::jsonb
                 WHERE query <> '{\"purged\": true}'::jsonb
                   AND (query ->> 'incident_id' = $1::text
                        OR (query ->> 'record_id') IN (SELECT id::text FROM subjects)
                        OR (query ->> 'inquiry_id') IN (SELECT id::text FROM subjects))
             ),
             replica AS (DELETE FROM shared.records WHERE incident_id = $1)
             DELETE FROM data_keys WHERE incident_id = $1 OR subject IN (SELECT id FROM subjects)",
            &[&id],
        )
        .await?;
    crate::store::reports::drop_applied_parts(client).await?;
    Ok((row.get(0), row.get(1)))
}

/// Rewrites the tables a purge touched (`VACUUM FULL` runs outside a transaction) and
/// marks the purges done. Also run when the writer starts, for a purge whose rewrite a
/// crash interrupted.
pub(super) async fn rewrite_purged(client: &tokio_postgres::Client) -> Result<()> {
    let pending: i64 = client
        .query_one("SELECT count(*) FROM purges WHERE vacuumed_at IS NULL", &[])
        .await?
        .get(0);
    if pending == 0 {
        return Ok(());
    }
    for table in REWRITTEN {
        client
            .batch_execute(&format!("VACUUM (FULL, ANALYZE) {table}"))
            .await?;
    }
    client
        .execute(
            "UPDATE purges SET vacuumed_at = now() WHERE vacuumed_at IS NULL",
            &[],
        )
        .await?;
    tracing::info!(purges = pending, "tables holding purged data rewritten");
    Ok(())
}

/// Waits (up to a minute) until no transaction of this database, no WAL sender and no
/// replication slot still sees data as it was before the purge `xid` committed:
/// `VACUUM FULL` must keep rows such a snapshot can see, and would copy the purged
/// names into the rewritten files. False if one is still there.
async fn older_snapshots_gone(client: &tokio_postgres::Client, xid: &str) -> Result<bool> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let holding: i64 = client
            .query_one(
                "SELECT (SELECT count(*) FROM pg_stat_activity
                         WHERE pid <> pg_backend_pid()
                           AND (datname = current_database() OR datname IS NULL)
                           AND backend_xmin IS NOT NULL
                           AND age(backend_xmin) >= age($1::text::xid))
                      + (SELECT count(*) FROM pg_replication_slots
                         WHERE xmin IS NOT NULL AND age(xmin) >= age($1::text::xid))",
                &[&xid],
            )
            .await?
            .get(0);
        if holding == 0 {
            return Ok(true);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

impl WriterTask {
    pub(super) async fn change_retention(
        &mut self,
        actor: Actor,
        change: RetentionChange,
    ) -> Result<Answer> {
        let has_parent = self.parent.is_some();
        let tx = exclusive(&mut self.client).transaction().await?;
        // The purge's transaction ID (32 bits, as snapshots show it), for the rewrite.
        let mut purge_xid: Option<String> = None;
        let (incident, payload, purge) = match change {
            RetentionChange::SetUntil { incident, until } => {
                let facts = facts(&tx, incident, has_parent).await?;
                match retention::decide_set(facts.as_ref(), until) {
                    Ok(payload) => (incident, payload, false),
                    Err(error) => {
                        return Ok(Err(refusal(facts.is_none(), error, "retention_until")));
                    }
                }
            }
            RetentionChange::Purge {
                incident,
                confirm,
                today,
            } => {
                let facts = facts(&tx, incident, has_parent).await?;
                if let Err(error) = retention::decide_purge(facts.as_ref(), &confirm, today) {
                    return Ok(Err(refusal(facts.is_none(), error, "confirm")));
                }
                let (records, inquiries) = destroy(&tx, incident).await?;
                let now = now_micros();
                tx.execute(
                    "INSERT INTO purges (incident_id, purged_at) VALUES ($1, $2)",
                    &[&incident.as_uuid(), &now],
                )
                .await?;
                let full: String = tx
                    .query_one("SELECT pg_current_xact_id()::text", &[])
                    .await?
                    .get(0);
                purge_xid = full
                    .parse::<u64>()
                    .ok()
                    .map(|x| (x % (1 << 32)).to_string());
                (
                    incident,
                    Payload::IncidentPurged { records, inquiries },
                    true,
                )
            }
        };
        let now = now_micros();
        let mut next = self.head;
        let mut batch = Batch::default();
        let event = position_and_fold(
            &mut next,
            Self::new_event(&self.origin, actor, now, (payload, Some(incident), None)),
            &mut batch,
        );
        Self::commit(tx, &[event], batch).await?;
        self.head = next;
        if purge {
            self.purged.insert(incident);
            tracing::info!(%incident, "incident purged at the end of its retention");
            let client = exclusive(&mut self.client);
            if let Some(xid) = &purge_xid
                && !older_snapshots_gone(client, xid).await?
            {
                // Left for the next start (`purges.vacuumed_at` stays NULL).
                tracing::warn!(
                    %incident,
                    "a transaction older than the purge is still open: the tables holding its \
                     data are rewritten when the node next starts"
                );
                return Ok(Ok(Outcome::Account {
                    position: next.position,
                }));
            }
            rewrite_purged(client).await?;
        }
        Ok(Ok(Outcome::Account {
            position: next.position,
        }))
    }
}

/// Why a retention command was refused: an unknown incident is not found, a mistake in
/// `input` (the field the caller typed) is invalid, anything else is the incident's
/// state (no end yet, not yet reported, already purged).
fn refusal(unknown: bool, error: anpi_core::validation::FieldError, input: &str) -> Rejection {
    if unknown {
        Rejection::NotFound(error)
    } else if error.field == input {
        Rejection::Invalid(error)
    } else {
        Rejection::Conflict(error)
    }
}

/// The incidents purged at this node.
pub(super) async fn purged_incidents<C: GenericClient>(
    client: &C,
) -> Result<std::collections::HashSet<IncidentId>> {
    Ok(client
        .query(
            "SELECT incident_id FROM incidents WHERE purged_at IS NOT NULL",
            &[],
        )
        .await?
        .iter()
        .map(|r| IncidentId::from_uuid(r.get::<_, Uuid>(0)))
        .collect())
}
