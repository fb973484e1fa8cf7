//! Which fields of an event are personal, and how a sealed payload is laid out
//! (issue 21 item 4, L-05; docs/adr/0019-retention-and-purge.md).
//!
//! The log keeps personal fields sealed: the node's store encrypts them under a data key
//! kept outside the log (`anpi_node::store::seal`), so that destroying the key at the
//! end of the incident's retention makes them unreadable while the hash chain, which
//! covers the stored (sealed) payload, still verifies. This module is the pure half: it
//! takes a payload's JSON (`{"type": kind, "data": {...}}`) apart into the fields that
//! stay in the clear and the personal ones, and puts it back together. What stays in
//! the clear is what carries no personal data: the record or inquiry the event is about,
//! the record it supersedes, dates of departure, dedup outcomes.
//!
//! Pure: no cipher here, no I/O.

use serde_json::{Map, Value};

use crate::event::Payload;
use crate::ids::{InquiryId, RecordId};

/// The field of a sealed payload's `data` that holds the sealed personal fields.
pub const SEALED: &str = "sealed";

/// The personal fields of each kind that has any (everything not named stays clear).
const PERSONAL: [(&str, &[&str]); 7] = [
    // The entry: the form as typed, its parsed values and canonical keys.
    ("EntryRecorded", &["entry"]),
    // A clerk's reason may quote the person.
    ("EntryDeleted", &["reason"]),
    // Form 4: the inquirer and the person asked about.
    ("InquiryRegistered", &["inquiry"]),
    ("InquiryIdentified", &["identification"]),
    ("InquiryRefused", &["reason"]),
    // The answer given (Form 5 as data and as text): the answer copy of 第5 4(5).
    ("InquiryAnswered", &["answer", "form5"]),
    // The reason and whom it was confirmed with.
    ("PublicationDecided", &["decision"]),
];

/// The personal fields of events of `kind`; `None` when the kind has none.
pub fn personal_fields(kind: &str) -> Option<&'static [&'static str]> {
    PERSONAL
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, fields)| *fields)
}

/// The kinds whose events are sealed.
pub fn sealed_kinds() -> impl Iterator<Item = &'static str> {
    PERSONAL.iter().map(|(kind, _)| *kind)
}

/// Whether `payload` (as serialised) has personal fields to seal.
pub fn is_personal(payload: &Payload) -> bool {
    personal_fields(payload.kind()).is_some()
}

/// Takes the personal fields out of a payload's JSON (`{"type", "data"}`). Returns
/// them as one object (absent fields are left out), or `None` when the kind has none.
/// The payload keeps its clear fields; the caller adds [`SEALED`].
pub fn take_personal(payload: &mut Value) -> Option<Map<String, Value>> {
    let kind = payload.get("type")?.as_str()?.to_owned();
    let fields = personal_fields(&kind)?;
    let data = payload.get_mut("data")?.as_object_mut()?;
    let mut personal = Map::new();
    for field in fields {
        if let Some(value) = data.remove(*field) {
            personal.insert((*field).to_owned(), value);
        }
    }
    Some(personal)
}

/// The sealed text of a stored payload, if it is sealed.
pub fn sealed_text(payload: &Value) -> Option<&str> {
    payload.get("data")?.get(SEALED)?.as_str()
}

/// Why a sealed payload could not be put back together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealed payload has no `data` object")]
    NoData,
    #[error("the opened personal fields are not a JSON object")]
    NotAnObject,
    #[error("the opened field {0} is not a personal field of this kind")]
    Unexpected(String),
}

/// Puts the opened personal fields back into a stored sealed payload (removing
/// [`SEALED`]): the payload as it was before [`take_personal`].
pub fn restore(payload: &mut Value, personal: Value) -> Result<(), SealError> {
    let kind = payload
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let allowed = personal_fields(&kind).unwrap_or(&[]);
    let Value::Object(personal) = personal else {
        return Err(SealError::NotAnObject);
    };
    let data = payload
        .get_mut("data")
        .and_then(Value::as_object_mut)
        .ok_or(SealError::NoData)?;
    data.remove(SEALED);
    for (field, value) in personal {
        if !allowed.contains(&field.as_str()) {
            return Err(SealError::Unexpected(field));
        }
        data.insert(field, value);
    }
    Ok(())
}

/// What a reader returns for a sealed payload whose key was destroyed: the kind, and
/// the record or inquiry it was about (those stay in the clear).
pub fn purged(kind: &str, payload: &Value) -> Payload {
    let data = payload.get("data");
    let id = |name: &str| {
        data.and_then(|d| d.get(name))
            .and_then(Value::as_str)
            .and_then(|text| uuid::Uuid::parse_str(text).ok())
    };
    Payload::Purged {
        of: kind.to_owned(),
        record_id: id("record_id").map(RecordId::from_uuid),
        inquiry_id: id("inquiry_id").map(InquiryId::from_uuid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn personal_fields_leave_and_come_back() {
        let original = json!({"type": "InquiryAnswered", "data": {
            "inquiry_id": "0190a0b0-0000-7000-8000-000000000001",
            "answer": {"name": "山田太郎"}, "form5": "山田太郎 様", "channel": "mail"}});
        let mut payload = original.clone();
        let personal = take_personal(&mut payload).unwrap();
        assert_eq!(personal.len(), 2);
        assert!(!payload.to_string().contains("山田"), "{payload}");
        assert_eq!(payload["data"]["channel"], "mail");
        payload["data"][SEALED] = json!("xxx");
        assert_eq!(sealed_text(&payload), Some("xxx"));
        restore(&mut payload, Value::Object(personal)).unwrap();
        assert_eq!(payload, original);
    }

    #[test]
    fn kinds_without_personal_fields_are_not_taken_apart() {
        let mut payload =
            json!({"type": "DepartureRecorded", "data": {"record_id": "x", "date": "2026-01-01"}});
        assert!(take_personal(&mut payload).is_none());
        assert!(personal_fields("IncidentPurged").is_none());
        assert!(personal_fields("RetentionSet").is_none());
    }

    #[test]
    fn restore_refuses_fields_the_kind_does_not_seal() {
        let mut payload = json!({"type": "EntryDeleted", "data": {"record_id": "x", SEALED: "y"}});
        let error = restore(&mut payload, json!({"record_id": "other"})).unwrap_err();
        assert_eq!(error, SealError::Unexpected("record_id".into()));
        assert!(matches!(
            restore(&mut payload, json!("text")),
            Err(SealError::NotAnObject)
        ));
    }

    #[test]
    fn a_purged_payload_keeps_what_it_was_about() {
        let record = "0190a0b0-0000-7000-8000-000000000002";
        let payload = json!({"type": "EntryRecorded", "data": {"record_id": record, SEALED: "z"}});
        match purged("EntryRecorded", &payload) {
            Payload::Purged {
                of,
                record_id,
                inquiry_id,
            } => {
                assert_eq!(of, "EntryRecorded");
                assert_eq!(record_id.unwrap().to_string(), record);
                assert!(inquiry_id.is_none());
            }
            other => panic!("{other:?}"),
        }
    }
}
