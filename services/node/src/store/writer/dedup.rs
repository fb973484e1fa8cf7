//! Automatic duplicate removal on every intake (own entries and received reports).
//! R: D-01, D-02, D-03, D-07.
//!
//! Before a batch is folded, [`Deduper::prepare`] loads the live records that share a
//! 4-information key with the batch's new entries; after each new entry is folded,
//! [`Deduper::after_recorded`] asks `anpi_core::dedup::on_intake` what to do and
//! returns the events to append (removals and flags). The decision is in the log, so a
//! replay reproduces it whatever the node's mode is by then.

use std::collections::{HashMap, HashSet};

use anpi_core::dedup::{self, Candidate, DedupMode, Verdict};
use anpi_core::entry::Entry;
use anpi_core::event::Payload;
use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::private_area::RecordState;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;
use uuid::Uuid;

use super::super::Result;
use super::super::projection::Batch;

pub(super) struct Deduper {
    mode: DedupMode,
    /// Records (live when loaded) by (incident, 4-information key).
    index: HashMap<(IncidentId, String), Vec<RecordId>>,
}

impl Deduper {
    /// Loads into `batch` the live records sharing a key with `entries`: those of
    /// `overlay` (the states a group not yet committed left, newer than the stored
    /// ones), then the stored ones.
    pub(super) async fn prepare<'a, C: GenericClient>(
        client: &C,
        mode: DedupMode,
        batch: &mut Batch,
        overlay: Option<&HashMap<RecordId, RecordState>>,
        entries: impl Iterator<Item = (IncidentId, &'a Entry)>,
    ) -> Result<Deduper> {
        let mut deduper = Deduper {
            mode,
            index: HashMap::new(),
        };
        let mut incidents: Vec<Uuid> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for (incident, entry) in entries {
            if let Some(key) = dedup::four_info_key(entry, mode) {
                incidents.push(incident.as_uuid());
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Ok(deduper);
        }
        if let Some(overlay) = overlay {
            let wanted: HashSet<(Uuid, &str)> = incidents
                .iter()
                .copied()
                .zip(keys.iter().map(String::as_str))
                .collect();
            for state in overlay.values() {
                let Some(key) = dedup::four_info_key(&state.entry, mode) else {
                    continue;
                };
                if wanted.contains(&(state.incident.as_uuid(), key.as_str())) {
                    batch.states.insert(state.record_id, state.clone());
                    deduper.add(state.incident, key, state.record_id);
                }
            }
        }
        let column = match mode {
            DedupMode::Canonical => "dedup_key",
            DedupMode::Strict => "dedup_key_strict",
        };
        let rows = client
            .query_typed(
                &format!(
                    "SELECT r.data FROM records r
                     JOIN (SELECT DISTINCT * FROM unnest($1::uuid[], $2::text[])) AS k(incident_id, key)
                       ON r.incident_id = k.incident_id AND r.{column} = k.key
                     WHERE r.state <> 'deleted'"
                ),
                &[(&incidents, Type::UUID_ARRAY), (&keys, Type::TEXT_ARRAY)],
            )
            .await?;
        for row in rows {
            let state: RecordState = crate::store::decoded(&row, 0)?;
            let id = state.record_id;
            if overlay.is_some_and(|overlay| overlay.contains_key(&id)) {
                // The group before changed it: its state (added above when it still
                // shares the key) is the current one.
                continue;
            }
            let state = batch.states.entry(id).or_insert(state);
            if let Some(key) = dedup::four_info_key(&state.entry, mode) {
                deduper.add(state.incident, key, id);
            }
        }
        Ok(deduper)
    }

    fn add(&mut self, incident: IncidentId, key: String, id: RecordId) {
        let slot = self.index.entry((incident, key)).or_default();
        if !slot.contains(&id) {
            slot.push(id);
        }
    }

    /// The removal and flag events for the record `record` just recorded in `batch`.
    pub(super) fn after_recorded(&mut self, batch: &Batch, record: RecordId) -> Vec<Payload> {
        let Some(state) = batch.states.get(&record) else {
            return Vec::new();
        };
        let Some(key) = dedup::four_info_key(&state.entry, self.mode) else {
            return Vec::new();
        };
        let candidate = |state: &RecordState| Candidate {
            record_id: state.record_id,
            written_at: state.entry.parsed.written_at,
            received_at: state.received_at,
        };
        if state.deletion.is_some() {
            return Vec::new();
        }
        let new = candidate(state);
        let slot = self.index.entry((state.incident, key)).or_default();
        let live: Vec<Candidate> = slot
            .iter()
            .filter_map(|id| batch.states.get(id))
            .filter(|other| other.deletion.is_none())
            .map(candidate)
            .collect();
        slot.push(record);
        dedup::on_intake(&new, &live)
            .into_iter()
            .map(|verdict| match verdict {
                Verdict::Remove {
                    kept,
                    removed,
                    rule,
                } => Payload::DuplicateRemoved {
                    kept,
                    removed,
                    rule,
                    mode: self.mode,
                },
                Verdict::Flag { older, newer } => Payload::DuplicateFlagged {
                    older,
                    newer,
                    mode: self.mode,
                },
            })
            .collect()
    }
}
