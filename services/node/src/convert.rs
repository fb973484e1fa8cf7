//! Domain → wire conversions for responses, used by the gRPC services (`api`) and
//! the bus (`bus::shared`).

use anpi_core::era;
use anpi_core::incident::Incident;
use anpi_core::private_area::RecordState;
use anpi_core::validation::FieldError;
use anpi_proto::{draft_to_proto, v1};
use chrono::SecondsFormat;

pub fn incident(incident: &Incident) -> v1::Incident {
    v1::Incident {
        id: incident.id.to_string(),
        name: incident.name.clone(),
        mode: incident.mode.as_str().to_string(),
        mode_label: incident.mode.label_ja().to_string(),
        created_at: incident
            .created_at
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        ..Default::default()
    }
}

pub fn issue(error: &FieldError) -> v1::FieldIssue {
    v1::FieldIssue {
        field: error.field.clone(),
        label: error.label.clone(),
        message: error.message.clone(),
    }
}

pub fn record(state: &RecordState, incident: Option<&Incident>) -> v1::Record {
    let entry = &state.entry;
    let parsed = &entry.parsed;
    let label = state.label();
    v1::Record {
        record_id: state.record_id.to_string(),
        incident: incident.map(self::incident),
        form: entry.draft.form.as_str().to_string(),
        state: label.as_str().to_string(),
        state_label: label.label_ja().to_string(),
        display_name: entry.display_name(),
        furigana: parsed.furigana.clone().unwrap_or_default(),
        birth_date: parsed.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        birth_date_era: parsed.birth_date.map(era::format_era).unwrap_or_default(),
        sex: parsed
            .sex
            .map(|s| s.label_ja().to_string())
            .unwrap_or_default(),
        address: entry.address_line(),
        nationality: parsed.nationality.label_ja(),
        identifying_info: parsed.identifying_info.clone(),
        collected_by: state.origin.to_string(),
        entered_by: state.actor.to_string(),
        written_at: parsed.written_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        received_at: state
            .received_at
            .to_rfc3339_opts(SecondsFormat::Millis, true),
        recorded_position: state.recorded_position,
        last_position: state.last_position,
        deleted_reason: state
            .deletion
            .as_ref()
            .map(|d| d.reason.clone())
            .unwrap_or_default(),
        departed_on: state
            .departure
            .as_ref()
            .map(|d| d.date.to_string())
            .unwrap_or_default(),
        duplicate_of: (state.duplicate_of)
            .map(|id| id.to_string())
            .unwrap_or_default(),
        warnings: entry.warnings.iter().map(issue).collect(),
        draft: Some(draft_to_proto(&entry.draft)),
        injury_severity: parsed
            .injury
            .map(|s| s.label_ja().to_string())
            .unwrap_or_default(),
        consent_json: serde_json::to_string(&parsed.consent).unwrap_or_default(),
    }
}
