//! The private-area projection (records, incidents), the report and intake tables,
//! and their checkpoint. R: L-04, R-03, R-04.
//!
//! The live projection is written in the writer's transaction, right after the events
//! it folds; [`catch_up`] folds whatever lies between the checkpoint and the head (at
//! start-up, after a migration, or after [`rebuild`] reset it to 0). Both go through
//! [`Batch`], which folds with `anpi_core::private_area::apply`, so a rebuild cannot
//! differ from the live result.
//!
//! The search and dedup columns hold canonical keys computed from each entry's raw
//! draft. The checkpoint row [`CANON_KEYS`] records the `CANON_VERSION` they were
//! computed with; when a build with other rules starts, [`catch_up`] recomputes them
//! (the private area folded again from the log, the shared replica rewritten from its
//! stored states) before anything else runs. R: N-04.

use std::collections::{BTreeMap, HashMap, HashSet};

use anpi_core::canon::CANON_VERSION;
use anpi_core::event::{Event, Payload};
use anpi_core::ids::{IncidentId, InquiryId, RecordId};
use anpi_core::incident::Incident;
use anpi_core::inquiry::{self, InquiryState};
use anpi_core::private_area::{self, RecordState};
use anpi_core::search::Indexed;
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;
use uuid::Uuid;

use super::Result;
use super::reader;

/// Name of this projection's checkpoint row.
pub const PRIVATE_AREA: &str = "private_area";

/// Name of the checkpoint row that holds, instead of a position, the `CANON_VERSION`
/// every stored canonical key (private area and shared replica) was computed with.
/// R: N-04.
pub const CANON_KEYS: &str = "canon_version";

/// Events folded in memory, waiting to be written in one transaction.
#[derive(Default)]
pub struct Batch {
    /// Every record state the batch touched (loaded or created), by id.
    pub states: HashMap<RecordId, RecordState>,
    touched: BTreeMap<RecordId, ()>,
    /// Records this batch created (their search columns are written once).
    created: HashSet<RecordId>,
    /// Every inquiry state the batch touched (loaded or created), by id (Q-01..Q-06).
    pub inquiries: HashMap<InquiryId, InquiryState>,
    touched_inquiries: BTreeMap<InquiryId, ()>,
    /// New incidents: the incident, whether it is local (T-06), its position.
    incidents: Vec<(Incident, bool, i64)>,
    /// Report and intake events, written in order after the records.
    bookkeeping: Vec<Event>,
    /// A `PrivateAreaPurged` was folded: the stored records go before these are written.
    purged: bool,
    last_position: Option<i64>,
}

impl Batch {
    /// Whether a `PrivateAreaPurged` was folded.
    pub fn purged(&self) -> bool {
        self.purged
    }

    /// Takes the states of `ids` and `inquiry_ids` that `states` and `inquiries` hold:
    /// what a batch not yet committed left, which the database does not show yet.
    pub fn take_over(
        &mut self,
        states: &HashMap<RecordId, RecordState>,
        inquiries: &HashMap<InquiryId, InquiryState>,
        ids: &[RecordId],
        inquiry_ids: &[InquiryId],
    ) {
        for id in ids {
            if let Some(state) = states.get(id) {
                self.states.insert(*id, state.clone());
            }
        }
        for id in inquiry_ids {
            if let Some(state) = inquiries.get(id) {
                self.inquiries.insert(*id, state.clone());
            }
        }
    }

    /// Loads the current states of `ids` that this batch does not hold yet.
    pub async fn load<C: GenericClient>(&mut self, client: &C, ids: &[RecordId]) -> Result<()> {
        let missing: Vec<Uuid> = ids
            .iter()
            .filter(|id| !self.states.contains_key(id))
            .map(|id| id.as_uuid())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        for state in reader::records_by_id(client, &missing).await? {
            self.states.insert(state.record_id, state);
        }
        Ok(())
    }

    /// Loads the current states of the inquiries `ids` that this batch does not hold.
    pub async fn load_inquiries<C: GenericClient>(
        &mut self,
        client: &C,
        ids: &[InquiryId],
    ) -> Result<()> {
        let missing: Vec<Uuid> = ids
            .iter()
            .filter(|id| !self.inquiries.contains_key(id))
            .map(|id| id.as_uuid())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        for state in reader::inquiries_by_id(client, &missing).await? {
            self.inquiries.insert(state.inquiry_id, state);
        }
        Ok(())
    }

    /// Folds one event (its record or inquiry state must have been loaded).
    pub fn fold(&mut self, event: &Event) {
        self.last_position = Some(event.position);
        if let Payload::Purged { .. } = event.event.payload {
            // Issue 21: a sealed event whose key a purge destroyed folds to nothing (its
            // incident's rows were deleted by the `IncidentPurged` after it).
            return;
        }
        if let Some(id) = event.event.payload.inquiry_id() {
            let before = self.inquiries.remove(&id);
            if let Some(after) = inquiry::state::apply(before, event) {
                self.inquiries.insert(id, after);
                self.touched_inquiries.insert(id, ());
            }
            return;
        }
        match &event.event.payload {
            Payload::IncidentCreated { incident, local } => {
                self.incidents
                    .push((incident.clone(), *local, event.position))
            }
            Payload::PrivateAreaPurged { .. } => {
                // every record so far leaves the read model; records made after
                // the purge in this batch are kept.
                self.purged = true;
                self.bookkeeping
                    .retain(|e| !matches!(e.event.payload, Payload::DuplicateFlagged { .. }));
                self.states.clear();
                self.touched.clear();
                self.created.clear();
            }
            Payload::IncidentPurged { .. } => {
                // Issue 21: the incident's records and inquiries leave the read model
                // (the rows already stored go in `write_bookkeeping`).
                if let Some(incident) = event.event.incident {
                    self.forget_incident(incident);
                }
                self.bookkeeping.push(event.clone());
            }
            Payload::ReportSent { .. }
            | Payload::RetentionSet { .. }
            | Payload::ReportReceived { .. }
            | Payload::ReportAcknowledged { .. }
            | Payload::IntakePaused { .. }
            | Payload::IntakeResumed { .. }
            | Payload::DuplicateFlagged { .. }
            | Payload::DatasetPublished { .. }
            | Payload::PublicationDecided { .. } => self.bookkeeping.push(event.clone()),
            payload => {
                if let Some(id) = payload.record_id() {
                    let before = self.states.remove(&id);
                    let new = before.is_none();
                    if let Some(after) = private_area::apply(before, event) {
                        if new {
                            self.created.insert(id);
                        }
                        self.states.insert(id, after);
                        self.touched.insert(id, ());
                    }
                }
            }
        }
    }

    /// Drops what this batch holds of `incident`'s records and inquiries.
    fn forget_incident(&mut self, incident: IncidentId) {
        let records: HashSet<RecordId> = self
            .states
            .iter()
            .filter(|(_, state)| state.incident == incident)
            .map(|(id, _)| *id)
            .collect();
        for id in &records {
            self.states.remove(id);
            self.touched.remove(id);
            self.created.remove(id);
        }
        let inquiries: Vec<InquiryId> = self
            .inquiries
            .iter()
            .filter(|(_, state)| state.incident == Some(incident))
            .map(|(id, _)| *id)
            .collect();
        for id in &inquiries {
            self.inquiries.remove(id);
            self.touched_inquiries.remove(id);
        }
    }

    /// Writes the folded changes and the checkpoint.
    pub async fn write<C: GenericClient>(self, client: &C) -> Result<()> {
        self.encode()?.write(client).await
    }

    /// Computes the record rows to write (canonical keys, search columns, JSON): CPU
    /// work without I/O, which the writer does on a blocking thread while it decides
    /// the next group (C-01, ADR 0016).
    pub fn encode(self) -> Result<Encoded> {
        let records = if self.last_position.is_some() && !self.touched.is_empty() {
            Some(RecordRows::of(&self.states, &self.touched, &self.created)?)
        } else {
            None
        };
        Ok(Encoded {
            batch: self,
            records,
        })
    }
}

/// A batch with its record rows encoded, ready to be sent.
pub struct Encoded {
    batch: Batch,
    records: Option<RecordRows>,
}

impl Encoded {
    /// Writes the folded changes and the checkpoint.
    pub async fn write<C: GenericClient>(&self, client: &C) -> Result<()> {
        let Encoded { batch, records } = self;
        let Some(position) = batch.last_position else {
            return Ok(());
        };
        if batch.purged {
            client
                .batch_execute("DELETE FROM duplicate_flags; DELETE FROM records;")
                .await?;
        }
        if let Some(rows) = records {
            rows.write(client, "records").await?;
        }
        if !batch.touched_inquiries.is_empty() {
            write_inquiries(client, &batch.inquiries, &batch.touched_inquiries).await?;
        }
        for (incident, local, position) in &batch.incidents {
            client
                .execute(
                    "INSERT INTO incidents (incident_id, name, mode, created_at, position, local)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (incident_id) DO NOTHING",
                    &[
                        &incident.id.as_uuid(),
                        &incident.name,
                        &incident.mode.as_str(),
                        &incident.created_at,
                        position,
                        local,
                    ],
                )
                .await?;
        }
        for event in &batch.bookkeeping {
            write_bookkeeping(client, event).await?;
        }
        set_checkpoint(client, PRIVATE_AREA, position).await
    }
}

/// Projects one report or intake event into its table.
async fn write_bookkeeping<C: GenericClient>(client: &C, event: &Event) -> Result<()> {
    let e = &event.event;
    let actor = e.actor.to_string();
    match &e.payload {
        Payload::ReportSent {
            report_id,
            seq,
            to,
            after_position,
            through_position,
            event_count,
        } => {
            client
                .execute(
                    "INSERT INTO reports_sent (report_id, seq, to_jurisdiction, after_position, through_position,
                                               event_count, created_at, actor, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (report_id) DO NOTHING",
                    &[
                        &report_id.as_uuid(),
                        seq,
                        &to.as_str(),
                        after_position,
                        through_position,
                        event_count,
                        &e.received_at,
                        &actor,
                        &event.position,
                    ],
                )
                .await?;
        }
        Payload::ReportAcknowledged {
            report_id,
            applied_at,
            appended,
            duplicates,
            ..
        } => {
            client
                .execute(
                    "UPDATE reports_sent SET acknowledged_at = $2, appended = $3, duplicates = $4,
                            published_at = COALESCE(published_at, $2)
                     WHERE report_id = $1",
                    &[&report_id.as_uuid(), applied_at, appended, duplicates],
                )
                .await?;
        }
        Payload::ReportReceived {
            report_id,
            from,
            log_id,
            seq,
            event_count,
            duplicates,
            parts,
            first_position,
            last_position,
            notices,
            head,
            since: _,
        } => {
            client
                .execute(
                    "INSERT INTO reports_received (report_id, from_jurisdiction, log_id, seq, event_count, duplicates,
                                                   parts, first_position, last_position, applied_at, position, notices,
                                                   head_position, head_link)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (report_id) DO NOTHING",
                    &[
                        &report_id.as_uuid(),
                        &from.as_str(),
                        &log_id.as_uuid(),
                        seq,
                        event_count,
                        duplicates,
                        parts,
                        first_position,
                        last_position,
                        &e.received_at,
                        &event.position,
                        &serde_json::to_value(notices)?,
                        &head.map(|h| h.position),
                        &head.map(|h| h.link.0.to_vec()),
                    ],
                )
                .await?;
        }
        Payload::IntakePaused { scope } | Payload::IntakeResumed { scope } => {
            let paused = matches!(e.payload, Payload::IntakePaused { .. });
            client
                .execute(
                    "INSERT INTO intake_state (scope, paused, changed_at, actor, position)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (scope) DO UPDATE SET paused = EXCLUDED.paused,
                         changed_at = EXCLUDED.changed_at, actor = EXCLUDED.actor, position = EXCLUDED.position",
                    &[&scope.as_str(), &paused, &e.received_at, &actor, &event.position],
                )
                .await?;
        }
        Payload::DuplicateFlagged { older, newer, mode } => {
            client
                .execute(
                    "INSERT INTO duplicate_flags (older, newer, incident_id, mode, flagged_at, position)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (older, newer) DO NOTHING",
                    &[
                        &older.as_uuid(),
                        &newer.as_uuid(),
                        &e.incident.map(|i| i.as_uuid()),
                        &mode.as_str(),
                        &e.received_at,
                        &event.position,
                    ],
                )
                .await?;
        }
        Payload::PublicationDecided {
            record_id,
            decision,
        } => {
            let confirmed = decision.confirmed_with.as_ref();
            client
                .execute(
                    "INSERT INTO publication_decisions (record_id, incident_id, publish, basis, reason,
                                                       confirmed_body, confirmed_contact, decided_at, actor, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (record_id) DO UPDATE SET incident_id = EXCLUDED.incident_id,
                         publish = EXCLUDED.publish, basis = EXCLUDED.basis, reason = EXCLUDED.reason,
                         confirmed_body = EXCLUDED.confirmed_body,
                         confirmed_contact = EXCLUDED.confirmed_contact,
                         decided_at = EXCLUDED.decided_at, actor = EXCLUDED.actor,
                         position = EXCLUDED.position
                     WHERE publication_decisions.position < EXCLUDED.position",
                    &[
                        &record_id.as_uuid(),
                        &e.incident.map(|i| i.as_uuid()),
                        &decision.publish,
                        &decision.basis.map(|b| b.as_str()),
                        &decision.reason,
                        &confirmed.map(|c| c.body.as_str()),
                        &confirmed.map(|c| c.contact.as_str()),
                        &e.received_at,
                        &actor,
                        &event.position,
                    ],
                )
                .await?;
        }
        Payload::DatasetPublished {
            version,
            through_position,
            record_count,
            changed_count,
        } => {
            client
                .execute(
                    "INSERT INTO shared_versions (version, through_position, record_count, changed_count,
                                                  published_at, actor, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version) DO NOTHING",
                    &[
                        version,
                        through_position,
                        record_count,
                        changed_count,
                        &e.received_at,
                        &actor,
                        &event.position,
                    ],
                )
                .await?;
        }
        Payload::RetentionSet { until } => {
            client
                .execute(
                    "UPDATE incidents SET retention_until = $2 WHERE incident_id = $1",
                    &[&e.incident.map(|i| i.as_uuid()), until],
                )
                .await?;
        }
        Payload::IncidentPurged { .. } => {
            // Issue 21, ADR 0019: every row derived from the incident's personal data.
            client
                .execute(
                    "WITH gone AS (SELECT record_id FROM records WHERE incident_id = $1),
                          flags AS (DELETE FROM duplicate_flags WHERE incident_id = $1
                                       OR older IN (SELECT record_id FROM gone)
                                       OR newer IN (SELECT record_id FROM gone)),
                          decisions AS (DELETE FROM publication_decisions WHERE incident_id = $1),
                          asked AS (DELETE FROM inquiries WHERE incident_id = $1
                                       OR record_id IN (SELECT record_id FROM gone)),
                          marked AS (UPDATE incidents SET purged_at = $2 WHERE incident_id = $1)
                     DELETE FROM records WHERE incident_id = $1",
                    &[&e.incident.map(|i| i.as_uuid()), &e.received_at],
                )
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Upserts the touched inquiries (the list columns and the folded state).
async fn write_inquiries<C: GenericClient>(
    client: &C,
    states: &HashMap<InquiryId, InquiryState>,
    touched: &BTreeMap<InquiryId, ()>,
) -> Result<()> {
    for id in touched.keys() {
        let state = &states[id];
        let record = state.answered.as_ref().and_then(|a| a.record_id).or(
            match state.identified.as_ref().map(|i| &i.identification) {
                Some(inquiry::Identification::Identified { record, .. }) => Some(*record),
                _ => None,
            },
        );
        let inquiry = &state.inquiry;
        client
            .execute(
                "INSERT INTO inquiries (inquiry_id, incident_id, status, registered_at, inquired_at, channel,
                                        relationship, inquirer_name, target_name, record_id, answered_at,
                                        last_position, data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (inquiry_id) DO UPDATE SET status = EXCLUDED.status,
                     record_id = EXCLUDED.record_id, answered_at = EXCLUDED.answered_at,
                     last_position = EXCLUDED.last_position, data = EXCLUDED.data",
                &[
                    &id.as_uuid(),
                    &state.incident.map(|i| i.as_uuid()),
                    &state.status().as_str(),
                    &state.registered.at,
                    &inquiry.inquired_at,
                    &inquiry.channel.as_str(),
                    &inquiry.relationship.as_str(),
                    &inquiry.inquirer.name(),
                    &inquiry.target.raw.name,
                    &record.map(|r| r.as_uuid()),
                    &state.answered.as_ref().map(|a| a.step.at),
                    &state.last_position,
                    &serde_json::to_value(state)?,
                ],
            )
            .await?;
    }
    Ok(())
}

/// Writes whole records (every column, search columns derived again) into `table`, a
/// table of the private area's shape: the shared-dataset replica (`shared.records`).
pub async fn upsert_records<C: GenericClient>(
    client: &C,
    table: &str,
    states: &HashMap<RecordId, RecordState>,
) -> Result<()> {
    let all: BTreeMap<RecordId, ()> = states.keys().map(|id| (*id, ())).collect();
    let created: HashSet<RecordId> = states.keys().copied().collect();
    RecordRows::of(states, &all, &created)?
        .write(client, table)
        .await
}

/// The rows of the touched records: every column for the ones created in this batch
/// (the search and dedup columns derive from the entry, which never changes), state
/// and data for the others.
struct RecordRows {
    changed: ChangedColumns,
    new: NewColumns,
}

/// Column arrays of changed records for one `unnest` update.
#[derive(Default)]
struct ChangedColumns {
    ids: Vec<Uuid>,
    labels: Vec<String>,
    last: Vec<i64>,
    data: Vec<String>,
}

impl RecordRows {
    fn of(
        states: &HashMap<RecordId, RecordState>,
        touched: &BTreeMap<RecordId, ()>,
        created: &HashSet<RecordId>,
    ) -> Result<Self> {
        let mut rows = RecordRows {
            changed: ChangedColumns::default(),
            new: NewColumns::default(),
        };
        for id in touched.keys() {
            let state = &states[id];
            if created.contains(id) {
                rows.new.push(state)?;
            } else {
                let c = &mut rows.changed;
                c.ids.push(id.as_uuid());
                c.labels.push(state.label().as_str().to_string());
                c.last.push(state.last_position);
                c.data.push(serde_json::to_string(state)?);
            }
        }
        Ok(rows)
    }

    /// Upserts the rows into `table`, each statement sent typed (parsed, bound and run
    /// in one round trip).
    async fn write<C: GenericClient>(&self, client: &C, table: &str) -> Result<()> {
        let c = &self.changed;
        if !c.ids.is_empty() {
            client
                .execute_typed(
                    &format!(
                        "UPDATE {table} r SET state = u.state, last_position = u.last_position, data = u.data::jsonb
                         FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[]) AS u(record_id, state, last_position, data)
                         WHERE r.record_id = u.record_id"
                    ),
                    &[
                        (&c.ids, Type::UUID_ARRAY),
                        (&c.labels, Type::TEXT_ARRAY),
                        (&c.last, Type::INT8_ARRAY),
                        (&c.data, Type::TEXT_ARRAY),
                    ],
                )
                .await?;
        }
        let c = &self.new;
        if c.ids.is_empty() {
            return Ok(());
        }
        client
            .execute_typed(
                &format!("INSERT INTO {table} (record_id, incident_id, state, recorded_position, last_position, data,
                                      origin, written_at, received_at, dedup_key, dedup_key_strict, suspect_key,
                                      name_key, kana_key, birth_date, sex, address_key, nationality, nationality_key,
                                      name_search, kana_search, address_search, text_search, grams)
                 SELECT a, b, c, d, e, f::jsonb, h, i, j, k, l, m, n, o, p, q, r, s, t, v, w, x, y,
                        string_to_array(g, chr(31)) FROM unnest(
                     $1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
                     $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[], $12::text[],
                     $13::text[], $14::text[], $15::date[], $16::text[], $17::text[], $18::text[], $19::text[],
                     $20::text[], $21::text[], $22::text[], $23::text[], $24::text[]) AS u(
                     a, b, c, d, e, f, h, i, j, k, l, m, n, o, p, q, r, s, t, v, w, x, y, g)
                 ON CONFLICT (record_id) DO UPDATE
                   SET state = EXCLUDED.state, last_position = EXCLUDED.last_position, data = EXCLUDED.data"),
                &[
                    (&c.ids, Type::UUID_ARRAY),
                    (&c.incidents, Type::UUID_ARRAY),
                    (&c.labels, Type::TEXT_ARRAY),
                    (&c.recorded, Type::INT8_ARRAY),
                    (&c.last, Type::INT8_ARRAY),
                    (&c.data, Type::TEXT_ARRAY),
                    (&c.origins, Type::TEXT_ARRAY),
                    (&c.written, Type::TIMESTAMPTZ_ARRAY),
                    (&c.received, Type::TIMESTAMPTZ_ARRAY),
                    (&c.dedup, Type::TEXT_ARRAY),
                    (&c.dedup_strict, Type::TEXT_ARRAY),
                    (&c.suspect, Type::TEXT_ARRAY),
                    (&c.name_key, Type::TEXT_ARRAY),
                    (&c.kana_key, Type::TEXT_ARRAY),
                    (&c.birth, Type::DATE_ARRAY),
                    (&c.sex, Type::TEXT_ARRAY),
                    (&c.address_key, Type::TEXT_ARRAY),
                    (&c.nationality, Type::TEXT_ARRAY),
                    (&c.nationality_key, Type::TEXT_ARRAY),
                    (&c.name_search, Type::TEXT_ARRAY),
                    (&c.kana_search, Type::TEXT_ARRAY),
                    (&c.address_search, Type::TEXT_ARRAY),
                    (&c.text_search, Type::TEXT_ARRAY),
                    (&c.grams, Type::TEXT_ARRAY),
                ],
            )
            .await?;
        Ok(())
    }
}

/// Column arrays of new records for one `unnest` insert.
#[derive(Default)]
struct NewColumns {
    ids: Vec<Uuid>,
    incidents: Vec<Uuid>,
    labels: Vec<String>,
    recorded: Vec<i64>,
    last: Vec<i64>,
    data: Vec<String>,
    origins: Vec<String>,
    written: Vec<chrono::DateTime<chrono::Utc>>,
    received: Vec<chrono::DateTime<chrono::Utc>>,
    dedup: Vec<Option<String>>,
    dedup_strict: Vec<Option<String>>,
    suspect: Vec<Option<String>>,
    name_key: Vec<String>,
    kana_key: Vec<String>,
    birth: Vec<Option<chrono::NaiveDate>>,
    sex: Vec<Option<&'static str>>,
    address_key: Vec<String>,
    nationality: Vec<&'static str>,
    nationality_key: Vec<String>,
    name_search: Vec<String>,
    kana_search: Vec<String>,
    address_search: Vec<String>,
    text_search: Vec<String>,
    /// The grams joined with U+001F (an array of arrays cannot be unnested row-wise).
    grams: Vec<String>,
}

impl NewColumns {
    fn push(&mut self, state: &RecordState) -> Result<()> {
        let x = Indexed::of(&state.entry);
        self.ids.push(state.record_id.as_uuid());
        self.incidents.push(state.incident.as_uuid());
        self.labels.push(state.label().as_str().to_string());
        self.recorded.push(state.recorded_position);
        self.last.push(state.last_position);
        self.data.push(serde_json::to_string(state)?);
        self.origins.push(state.origin.to_string());
        self.written.push(state.entry.parsed.written_at);
        self.received.push(state.received_at);
        self.dedup.push(x.dedup_key);
        self.dedup_strict.push(x.dedup_key_strict);
        self.suspect.push(x.suspect_key);
        self.name_key.push(x.name_key);
        self.kana_key.push(x.kana_key);
        self.birth.push(x.birth_date);
        self.sex.push(x.sex);
        self.address_key.push(x.address_key);
        self.nationality.push(x.nationality.as_str());
        self.nationality_key.push(x.nationality_key);
        self.name_search.push(x.name_search);
        self.kana_search.push(x.kana_search);
        self.address_search.push(x.address_search);
        self.text_search.push(x.text_search);
        self.grams.push(x.grams.join("\u{1f}"));
        Ok(())
    }
}

pub async fn checkpoint<C: GenericClient>(client: &C, name: &str) -> Result<i64> {
    Ok(checkpoint_opt(client, name).await?.unwrap_or(0))
}

/// The value of the checkpoint row `name`, `None` when there is none.
async fn checkpoint_opt<C: GenericClient>(client: &C, name: &str) -> Result<Option<i64>> {
    let row = client
        .query_opt(
            "SELECT position FROM projection_checkpoints WHERE name = $1",
            &[&name],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

async fn set_checkpoint<C: GenericClient>(client: &C, name: &str, position: i64) -> Result<()> {
    client
        .execute_typed(
            "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
            &[(&name, Type::TEXT), (&position, Type::INT8)],
        )
        .await?;
    Ok(())
}

/// Folds every event after the checkpoint, a page per transaction. Returns the number
/// of events folded. `progress` is called after each page with (position, head).
///
/// When the stored keys were computed with other canonical rules than this build's
/// (`CANON_VERSION`, or none recorded), every stored key is recomputed first: see
/// [`recompute_keys`]. R: N-04, L-04.
pub async fn catch_up(
    client: &mut tokio_postgres::Client,
    progress: impl FnMut(i64, i64),
) -> Result<u64> {
    let stored = checkpoint_opt(&*client, CANON_KEYS).await?;
    if stored != Some(i64::from(CANON_VERSION)) {
        return recompute_keys(client, stored, progress).await;
    }
    let head = reader::head_position(&*client).await?;
    fold_through(client, None, head, progress).await
}

/// Recomputes every stored canonical key with this build's rules (N-04): the private
/// area is folded again from position 0 (its search and dedup columns come from
/// `Indexed::of` of each entry's raw draft, never from the keys stored in the log),
/// the shared replica's records get their columns again from their stored state,
/// and only then is the new `CANON_VERSION` recorded, so a node stopped half-way
/// starts over at its next start. The log is not touched: the `keys` inside each
/// `EntryRecorded` stay as they were computed, with their version (E-15).
async fn recompute_keys(
    client: &mut tokio_postgres::Client,
    stored: Option<i64>,
    progress: impl FnMut(i64, i64),
) -> Result<u64> {
    tracing::info!(
        stored = ?stored,
        current = CANON_VERSION,
        "canonical rules differ from the stored keys: recomputing them"
    );
    reset(client).await?;
    let head = reader::head_position(&*client).await?;
    let folded = fold_through(client, None, head, progress).await?;
    let replica = reindex(client, super::replica::REPLICA_RECORDS).await?;
    set_checkpoint(&*client, CANON_KEYS, i64::from(CANON_VERSION)).await?;
    tracing::info!(
        folded,
        replica,
        version = CANON_VERSION,
        "stored canonical keys recomputed"
    );
    Ok(folded)
}

/// Writes the records of `table` (the shared replica) again from their stored state,
/// a page per transaction, so that every column derived from the entry is computed
/// with the current rules. Rows are locked while they are rewritten. Returns the
/// number of records rewritten. R: N-04, P-02.
async fn reindex(client: &mut tokio_postgres::Client, table: &str) -> Result<u64> {
    const PAGE: i64 = 5000;
    let mut after = Uuid::nil();
    let mut rewritten = 0u64;
    loop {
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                &format!(
                    "SELECT record_id, data FROM {table} WHERE record_id > $1
                     ORDER BY record_id LIMIT $2 FOR UPDATE"
                ),
                &[&after, &PAGE],
            )
            .await?;
        let Some(last) = rows.last() else {
            tx.commit().await?;
            return Ok(rewritten);
        };
        after = last.get(0);
        let ids: Vec<Uuid> = rows.iter().map(|row| row.get(0)).collect();
        let mut states = HashMap::with_capacity(rows.len());
        for row in &rows {
            let state: RecordState = crate::store::decoded(row, 1)?;
            states.insert(state.record_id, state);
        }
        tx.execute(
            &format!("DELETE FROM {table} WHERE record_id = ANY($1)"),
            &[&ids],
        )
        .await?;
        upsert_records(&tx, table, &states).await?;
        tx.commit().await?;
        rewritten += ids.len() as u64;
    }
}

/// Folds the events after the checkpoint up to `through`, into the projection tables
/// of `schema` (the live ones when `None`), a page per transaction.
async fn fold_through(
    client: &mut tokio_postgres::Client,
    schema: Option<&str>,
    through: i64,
    mut progress: impl FnMut(i64, i64),
) -> Result<u64> {
    const PAGE: i64 = 5000;
    let mut folded = 0u64;
    loop {
        let tx = client.transaction().await?;
        if let Some(schema) = schema {
            tx.batch_execute(&format!("SET LOCAL search_path TO {schema}, public"))
                .await?;
        }
        let from = checkpoint(&tx, PRIVATE_AREA).await?;
        let events = reader::read_events(&tx, from, PAGE.min(through - from).max(0)).await?;
        if events.is_empty() {
            tx.commit().await?;
            return Ok(folded);
        }
        let mut batch = Batch::default();
        let ids: Vec<RecordId> = events
            .iter()
            .filter_map(|e| e.event.payload.record_id())
            .collect();
        batch.load(&tx, &ids).await?;
        let inquiries: Vec<InquiryId> = events
            .iter()
            .filter_map(|e| e.event.payload.inquiry_id())
            .collect();
        batch.load_inquiries(&tx, &inquiries).await?;
        for event in &events {
            batch.fold(event);
        }
        folded += events.len() as u64;
        let reached = events.last().map(|e| e.position).unwrap_or(from);
        batch.write(&tx).await?;
        tx.commit().await?;
        progress(reached, through);
    }
}

/// A page of the log folded and encoded, waiting to be written.
struct Page {
    encoded: Encoded,
    events: u64,
    reached: i64,
}

/// Folds the events after the checkpoint up to `through` into the projection tables of
/// `schema`, a page per transaction, pipelined (P-03, issue 18): while page k is
/// written and committed on `client`, page k+1 is read on `reader`, decoded, folded and
/// encoded on a blocking thread. Page k+1 takes the records and inquiries page k
/// touched from page k in memory (not committed yet, so not readable), the others from
/// `reader`, which sees every page before k committed. A page that purges the private
/// area is committed before the next is read. Same fold, same rows as `fold_through`.
async fn fold_pipelined(
    client: &mut tokio_postgres::Client,
    reader: &tokio_postgres::Client,
    schema: &str,
    through: i64,
    mut progress: impl FnMut(i64, i64),
) -> Result<u64> {
    reader
        .batch_execute(&format!("SET search_path TO {schema}, public"))
        .await?;
    let from = checkpoint(reader, PRIVATE_AREA).await?;
    let mut folded = 0u64;
    let mut current = next_page(reader, from, through, None).await?;
    while let Some(page) = current {
        let written = async {
            let tx = client.transaction().await?;
            tx.batch_execute(&format!("SET LOCAL search_path TO {schema}, public"))
                .await?;
            page.encoded.write(&tx).await?;
            tx.commit().await?;
            Ok::<_, super::Error>(())
        };
        current = if page.encoded.batch.purged {
            written.await?;
            next_page(reader, page.reached, through, None).await?
        } else {
            let overlay = Some(&page.encoded.batch);
            let (written, next) =
                tokio::join!(written, next_page(reader, page.reached, through, overlay));
            written?;
            next?
        };
        folded += page.events;
        progress(page.reached, through);
    }
    reader.batch_execute("RESET search_path").await?;
    Ok(folded)
}

/// Reads, decodes, folds and encodes the page after `from` (see `fold_pipelined`);
/// `None` when nothing is left through `through`.
async fn next_page(
    reader: &tokio_postgres::Client,
    from: i64,
    through: i64,
    previous: Option<&Batch>,
) -> Result<Option<Page>> {
    const PAGE: i64 = 5000;
    let rows = reader::read_event_rows(reader, from, PAGE.min(through - from).max(0)).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let events = super::blocking(move || {
        rows.iter()
            .map(reader::event_from_row)
            .collect::<Result<Vec<Event>>>()
    })
    .await?;
    let ids: Vec<RecordId> = events
        .iter()
        .filter_map(|e| e.event.payload.record_id())
        .collect();
    let inquiries: Vec<InquiryId> = events
        .iter()
        .filter_map(|e| e.event.payload.inquiry_id())
        .collect();
    let mut batch = Batch::default();
    if let Some(previous) = previous {
        batch.take_over(&previous.states, &previous.inquiries, &ids, &inquiries);
    }
    batch.load(reader, &ids).await?;
    batch.load_inquiries(reader, &inquiries).await?;
    let count = events.len() as u64;
    let reached = events.last().map_or(from, |e| e.position);
    let encoded = super::blocking(move || {
        for event in &events {
            batch.fold(event);
        }
        batch.encode()
    })
    .await?;
    Ok(Some(Page {
        encoded,
        events: count,
        reached,
    }))
}

/// The tables a projection writes (all rebuilt from the log).
const PROJECTION_TABLES: [&str; 10] = [
    "records",
    "incidents",
    "reports_sent",
    "reports_received",
    "intake_state",
    "duplicate_flags",
    "shared_versions",
    "inquiries",
    "publication_decisions",
    "projection_checkpoints",
];

/// Whether `name` may name a replay schema: lower-case ASCII letters, digits and `_`,
/// starting with a letter, not a schema of the node or of PostgreSQL.
pub fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 48
        && name != "public"
        && name != "shared"
        && name != "information_schema"
        && !name.starts_with("pg_")
}

/// The position `until` corresponds to: the last event appended at or before it.
pub async fn position_at<C: GenericClient>(client: &C, until: DateTime<Utc>) -> Result<i64> {
    Ok(client
        .query_one(
            "SELECT COALESCE(max(position), 0) FROM events WHERE appended_at <= $1",
            &[&until],
        )
        .await?
        .get(0))
}

/// Counts the records of the private area (`records`), or with `schema` those of a
/// replay's schema (`<schema>.records`, a name [`valid_schema_name`] accepted).
/// R: L-04, P-03, A-04.
pub async fn record_count<C: GenericClient>(client: &C, schema: Option<&str>) -> Result<i64> {
    let row = match schema {
        Some(schema) => {
            client
                .query_one(&format!("SELECT count(*) FROM {schema}.records"), &[])
                .await?
        }
        None => {
            client
                .query_one("SELECT count(*) FROM records", &[])
                .await?
        }
    };
    Ok(row.get(0))
}

/// Rebuilds the read model from position 0 through `through` into a fresh schema
/// `schema` (replacing it), for auditors and for checking the live model; `reader`, a
/// second connection, reads the next page while one is written (`fold_pipelined`).
/// R: P-03, U-01, L-04.
pub async fn replay_into(
    client: &mut tokio_postgres::Client,
    reader: &tokio_postgres::Client,
    schema: &str,
    through: i64,
    progress: impl FnMut(i64, i64),
) -> Result<u64> {
    assert!(valid_schema_name(schema), "checked by the caller");
    {
        let tx = client.transaction().await?;
        let mut sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};");
        for table in PROJECTION_TABLES {
            sql.push_str(&format!(
                "CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL);"
            ));
        }
        tx.batch_execute(&sql).await?;
        tx.commit().await?;
    }
    // Secondary indexes are built once after the fold: maintaining them (the GIN gram
    // index above all) row by row made most of the replay's time. Unique indexes stay:
    // the fold's upserts rely on them.
    let deferred: Vec<(String, String)> = client
        .query(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND NOT i.indisunique",
            &[&schema],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    for (name, _) in &deferred {
        client
            .batch_execute(&format!("DROP INDEX {schema}.{name}"))
            .await?;
    }
    let folded = fold_pipelined(client, reader, schema, through, progress).await?;
    client
        .batch_execute("SET maintenance_work_mem = '256MB'")
        .await?;
    for (_, definition) in &deferred {
        client.batch_execute(definition).await?;
    }
    client.batch_execute("RESET maintenance_work_mem").await?;
    Ok(folded)
}

/// Each record of `table` as its ID, its last position and the MD5 of the whole row's
/// text (every column, in the column order that a replay schema shares with `public`).
fn record_digests(table: &str) -> String {
    format!("(SELECT r.record_id, r.last_position, md5(r::text) AS digest FROM {table} r)")
}

/// Compares the replayed records in `schema` with the live ones, row by row and column
/// by column, for every record whose last change is at or before `through`. Returns
/// the number of differing rows and up to 20 of their record IDs: a record present on
/// both sides with different columns counts twice (the live row and the replayed row),
/// one present on a single side once, as a set difference of the rows both ways would.
///
/// Each side is reduced to its rows' digests ([`record_digests`]) and the two are
/// joined on the record ID. A set difference of the rows themselves (`EXCEPT`) gives
/// the same answer but sorts or hashes every whole row: at 10,000,000 records that is
/// tens of GiB of temporary files (issue 18), while the digests take under 100 bytes a
/// record.
pub async fn compare_with_live<C: GenericClient>(
    client: &C,
    schema: &str,
    through: i64,
) -> Result<(i64, Vec<Uuid>)> {
    compare_digests(client, &record_digests("public.records"), schema, through).await
}

/// Keeps the digests of the live records ([`record_digests`]) in the table `name` (made
/// here, with its primary key), so that a later [`compare_with_kept`] needs no live
/// row: a large benchmark drops the live records to make room for the replay. Returns
/// how many records it kept.
pub async fn keep_live_digests<C: GenericClient>(client: &C, name: &str) -> Result<u64> {
    assert!(valid_schema_name(name), "checked by the caller");
    let kept = client
        .execute(
            &format!(
                "CREATE TABLE {name} AS SELECT * FROM {} d",
                record_digests("public.records")
            ),
            &[],
        )
        .await?;
    client
        .batch_execute(&format!("ALTER TABLE {name} ADD PRIMARY KEY (record_id)"))
        .await?;
    Ok(kept)
}

/// [`compare_with_live`] against the digests that [`keep_live_digests`] kept in `kept`.
pub async fn compare_with_kept<C: GenericClient>(
    client: &C,
    kept: &str,
    schema: &str,
    through: i64,
) -> Result<(i64, Vec<Uuid>)> {
    assert!(valid_schema_name(kept), "checked by the caller");
    compare_digests(client, kept, schema, through).await
}

/// The comparison of [`compare_with_live`], the live side given as a relation of
/// record IDs, last positions and digests.
///
/// Both sides' digests are computed first (`MATERIALIZED`), so that the joins carry
/// only IDs, positions and digests. Inlined, the planner may join first and compute
/// `md5(r::text)` afterwards, carrying each whole row, detoasted, through the hash
/// join: the 10,000,000-record benchmark ran out of disk on exactly those temporary
/// files (issue 18).
async fn compare_digests<C: GenericClient>(
    client: &C,
    live: &str,
    schema: &str,
    through: i64,
) -> Result<(i64, Vec<Uuid>)> {
    assert!(valid_schema_name(schema), "checked by the caller");
    let replayed = record_digests(&format!("{schema}.records"));
    let rows = client
        .query(
            &format!(
                "WITH live_all AS MATERIALIZED (SELECT record_id, last_position, digest FROM {live} l),
                      replayed_all AS MATERIALIZED {replayed},
                      live AS (SELECT record_id, digest FROM live_all WHERE last_position <= $1),
                      replayed AS (SELECT record_id, digest FROM replayed_all r
                                   WHERE NOT EXISTS (SELECT 1 FROM live_all p
                                                     WHERE p.record_id = r.record_id AND p.last_position > $1)),
                      diff AS (SELECT coalesce(l.record_id, p.record_id) AS record_id,
                                      (l.record_id IS NOT NULL)::int + (p.record_id IS NOT NULL)::int AS sides
                                 FROM live l FULL JOIN replayed p ON p.record_id = l.record_id
                                WHERE l.digest IS DISTINCT FROM p.digest)
                 SELECT d.record_id, count(*) OVER ()
                   FROM diff d CROSS JOIN LATERAL generate_series(1, d.sides)
                  ORDER BY d.record_id LIMIT 20"
            ),
            &[&through],
        )
        .await?;
    let count = rows.first().map(|r| r.get::<_, i64>(1)).unwrap_or(0);
    Ok((count, rows.iter().map(|r| r.get(0)).collect()))
}

/// Throws the projection away and folds the whole log again from position 0.
pub async fn rebuild(
    client: &mut tokio_postgres::Client,
    progress: impl FnMut(i64, i64),
) -> Result<u64> {
    reset(client).await?;
    catch_up(client, progress).await
}

/// Empties the projection tables and sets the checkpoint back to 0, in one transaction.
async fn reset(client: &mut tokio_postgres::Client) -> Result<()> {
    let tx = client.transaction().await?;
    tx.batch_execute(
        "DELETE FROM records; DELETE FROM incidents; DELETE FROM reports_sent;
         DELETE FROM reports_received; DELETE FROM intake_state; DELETE FROM duplicate_flags;
         DELETE FROM shared_versions; DELETE FROM inquiries; DELETE FROM publication_decisions;",
    )
    .await?;
    set_checkpoint(&tx, PRIVATE_AREA, 0).await?;
    tx.commit().await?;
    Ok(())
}
