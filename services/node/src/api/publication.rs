//! Publication decisions and the publication list on the wire.

use anpi_core::ids::RecordId;
use anpi_core::publication::{Listed, PublicationDraft};
use anpi_proto::v1;

use crate::app::AppError;
use crate::app::publication::PublicationStatus;

/// `publish` / `withhold` / empty (not chosen: the domain names the field).
pub fn draft(request: &v1::DecidePublicationRequest) -> Result<PublicationDraft, AppError> {
    let publish = match request.decision.trim() {
        "" => None,
        "publish" => Some(true),
        "withhold" => Some(false),
        other => {
            return Err(AppError::field(
                "publication",
                format!(
                    "公表の判断は publish（公表する）か withhold（公表しない）です（入力: {other}）"
                ),
            ));
        }
    };
    Ok(PublicationDraft {
        publish,
        reason: request.reason.clone(),
        contact: request.contact.clone(),
    })
}

pub fn status(record: RecordId, status: &PublicationStatus) -> v1::PublicationStatus {
    v1::PublicationStatus {
        record_id: record.to_string(),
        origin: status.origin.to_string(),
        collected_here: status.collected_here,
        history: status
            .history
            .iter()
            .map(|d| {
                let decision = &d.decision;
                let confirmed = decision.confirmed_with.as_ref();
                v1::PublicationDecisionView {
                    publish: decision.publish,
                    label: decision.label_ja().into(),
                    basis: decision.basis.map(|b| b.as_str()).unwrap_or("").into(),
                    basis_label: decision.basis.map(|b| b.label_ja()).unwrap_or("").into(),
                    reason: decision.reason.clone(),
                    confirmed_body: confirmed.map(|c| c.body.to_string()).unwrap_or_default(),
                    confirmed_contact: confirmed.map(|c| c.contact.clone()).unwrap_or_default(),
                    decided_at: d.at.to_rfc3339(),
                    actor: d.actor.clone(),
                }
            })
            .collect(),
    }
}

pub fn people(listed: &[Listed]) -> v1::ListPublicationResponse {
    v1::ListPublicationResponse {
        people: listed
            .iter()
            .map(|l| v1::PublishedPerson {
                name: l.name.clone(),
                age: l.age.and_then(|a| i32::try_from(a).ok()).unwrap_or(-1),
                municipality: l.municipality.clone(),
            })
            .collect(),
    }
}
