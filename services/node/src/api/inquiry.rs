//! Inquiries on the wire (Q-01..Q-06): the use cases are `crate::app::inquiry`.

use anpi_core::ids::IncidentId;
use anpi_core::inquiry::{Identification, InquiryDraft};
use anpi_proto::v1;
use chrono::{SecondsFormat, Utc};

use super::convert;
use crate::app::AppError;
use crate::app::inquiry::InquiryView;

fn time(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An inquiry on the wire, with its incident and the incident's mode (T-04).
pub fn view(view: &InquiryView) -> v1::InquiryView {
    let state = &view.state;
    let status = state.status();
    let (record, candidates) = match state.identified.as_ref().map(|i| &i.identification) {
        Some(Identification::Identified {
            record, candidates, ..
        }) => (Some(*record), *candidates as i64),
        Some(Identification::NotIdentified { candidates, .. }) => (None, *candidates as i64),
        _ => (None, 0),
    };
    let record = state.answered.as_ref().and_then(|a| a.record_id).or(record);
    let inquiry = &state.inquiry;
    v1::InquiryView {
        inquiry_id: state.inquiry_id.to_string(),
        status: status.as_str().into(),
        status_label: status.label_ja().into(),
        registered_at: time(state.registered.at),
        registered_by: state.registered.by.clone(),
        inquirer: inquiry.inquirer.name().to_string(),
        relationship_label: inquiry.relationship.label_ja().into(),
        channel_label: inquiry.channel.label_ja().into(),
        target_name: inquiry.target.raw.name.clone(),
        record_id: record.map(|r| r.to_string()).unwrap_or_default(),
        candidates,
        ask_for: state
            .ask_for()
            .iter()
            .map(|f| f.label_ja().to_string())
            .collect(),
        answered_at: state
            .answered
            .as_ref()
            .map(|a| time(a.step.at))
            .unwrap_or_default(),
        answered_by: state
            .answered
            .as_ref()
            .map(|a| a.step.by.clone())
            .unwrap_or_default(),
        form5: state
            .answered
            .as_ref()
            .map(|a| a.form5.clone())
            .unwrap_or_default(),
        answer_channel_label: state
            .answered
            .as_ref()
            .and_then(|a| a.channel)
            .map(|c| c.label_ja().to_string())
            .unwrap_or_default(),
        refusal_reason: state
            .refused
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_default(),
        officer_notes: state
            .answered
            .as_ref()
            .map(|a| a.answer.officer_notes.clone())
            .unwrap_or_default(),
        state_json: serde_json::to_string(state).unwrap_or_default(),
        incident_id: state.incident.map(|i| i.to_string()).unwrap_or_default(),
        incident: view.incident.as_ref().map(convert::incident),
    }
}

/// the incident and the inquiry as typed.
pub fn register_input(
    request: v1::RegisterInquiryRequest,
) -> Result<(IncidentId, InquiryDraft), AppError> {
    // T-04, T-06: an inquiry belongs to one incident.
    let incident: IncidentId = request.incident_id.trim().parse().map_err(|_| {
        AppError::field(
            "incident_id",
            "照会の事案を指定してください（`anpi incident list` で事案IDを確認できます）。訓練と実事案の安否情報は混ぜません",
        )
    })?;
    let draft: InquiryDraft = serde_json::from_str(&request.draft_json).map_err(|e| {
        AppError::field(
            "draft_json",
            format!("照会の内容を読み取れません（JSON）: {e}"),
        )
    })?;
    Ok((incident, draft))
}
