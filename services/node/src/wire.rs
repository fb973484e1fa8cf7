//! Events and reports on the wire (protobuf, `anpi.v1`), both directions. R: L-03.
//!
//! An event keeps its identity, origin, actor and time stamps on every tier; only its
//! position is local. Report parts are protobuf messages compressed with LZ4 (block
//! format, size prepended): JSON payloads of similar entries compress several times,
//! which keeps parts under the NATS payload limit and the stream small.

use anpi_core::chain::{ChainPoint, Link};
use anpi_core::event::{Actor, Event, NewEvent, Payload, SCHEMA_VERSION};
use anpi_core::ids::{AccountId, EventId, IncidentId};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};
use prost::Message;

/// The header naming the body encoding of report parts and receipts.
pub const ENCODING_HEADER: &str = "Anpi-Encoding";
pub const ENCODING: &str = "protobuf+lz4";

/// A domain event as a wire event.
pub fn event_to_proto(event: &Event) -> v1::Event {
    let e = &event.event;
    v1::Event {
        position: event.position,
        event_id: e.id.to_string(),
        kind: e.payload.kind().to_string(),
        schema_version: SCHEMA_VERSION,
        incident_id: e.incident.map(|i| i.to_string()).unwrap_or_default(),
        origin: e.origin.to_string(),
        actor: e.actor.to_string(),
        written_at: e.written_at.map(rfc3339).unwrap_or_default(),
        received_at: rfc3339(e.received_at),
        payload_json: serde_json::to_string(&e.payload).unwrap_or_default(),
        link: Vec::new(),
    }
}

/// A chain point on the wire; `None` when absent or not 32 bytes.
pub fn point_from_proto(point: Option<&v1::ChainPoint>) -> Option<ChainPoint> {
    let point = point?;
    Some(ChainPoint {
        position: point.position,
        link: Link::from_slice(&point.link)?,
    })
}

pub fn point_to_proto(point: ChainPoint) -> v1::ChainPoint {
    v1::ChainPoint {
        position: point.position,
        link: point.link.0.to_vec(),
    }
}

/// Time stamps keep microseconds (what PostgreSQL stores), so a received event is
/// stored exactly as its origin stored it.
pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{field}: invalid time `{text}`: {e}"))
}

pub fn parse_actor(text: &str) -> Result<Actor, String> {
    let (code, account) = text
        .split_once('/')
        .ok_or_else(|| format!("actor: `{text}` is not jurisdiction/account"))?;
    Ok(Actor {
        jurisdiction: JurisdictionCode::parse(code).map_err(|e| format!("actor: {e}"))?,
        account: AccountId::parse(account).map_err(|e| format!("actor: {e}"))?,
    })
}

/// A wire event as a domain event (its position is the sender's, for information).
/// Every field is checked; the error names the field.
pub fn event_from_proto(event: &v1::Event) -> Result<NewEvent, String> {
    let id: EventId = event
        .event_id
        .parse()
        .map_err(|_| format!("event_id: `{}` is not a UUID", event.event_id))?;
    let at = |field: &str, error: String| format!("event {id}: {field}: {error}");
    if event.schema_version != SCHEMA_VERSION {
        return Err(at(
            "schema_version",
            format!(
                "version {} is not understood by this node (it reads {SCHEMA_VERSION})",
                event.schema_version
            ),
        ));
    }
    let incident = if event.incident_id.is_empty() {
        None
    } else {
        Some(
            event
                .incident_id
                .parse::<IncidentId>()
                .map_err(|_| at("incident_id", "not a UUID".into()))?,
        )
    };
    let origin = JurisdictionCode::parse(&event.origin).map_err(|e| at("origin", e.to_string()))?;
    let actor = parse_actor(&event.actor).map_err(|e| at("actor", e))?;
    let written_at = if event.written_at.is_empty() {
        None
    } else {
        Some(parse_time("written_at", &event.written_at).map_err(|e| at("written_at", e))?)
    };
    let received_at =
        parse_time("received_at", &event.received_at).map_err(|e| at("received_at", e))?;
    let payload: Payload =
        serde_json::from_str(&event.payload_json).map_err(|e| at("payload_json", e.to_string()))?;
    if payload.kind() != event.kind {
        return Err(at(
            "kind",
            format!("says {} but the payload is {}", event.kind, payload.kind()),
        ));
    }
    Ok(NewEvent {
        id,
        incident,
        origin,
        actor,
        written_at,
        received_at,
        // The sender's own link (L-05): its position there and its link.
        sender: if event.link.is_empty() {
            None
        } else {
            Some(ChainPoint {
                position: event.position,
                link: Link::from_slice(&event.link)
                    .ok_or_else(|| at("link", "is not 32 bytes".to_string()))?,
            })
        },
        payload,
    })
}

/// Encodes and compresses a protobuf message for NATS.
pub fn encode<M: Message>(message: &M) -> Vec<u8> {
    lz4_flex::compress_prepend_size(&message.encode_to_vec())
}

/// The largest decompressed body accepted (a corrupt size prefix must not allocate
/// gigabytes).
const MAX_DECODED: usize = 256 * 1024 * 1024;

/// Decompresses and decodes a body made by [`encode`].
pub fn decode<M: Message + Default>(body: &[u8]) -> Result<M, String> {
    let size = body
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or("the body is shorter than its size prefix")?;
    if size > MAX_DECODED {
        return Err(format!("the body claims {size} bytes decompressed"));
    }
    let raw = lz4_flex::decompress_size_prepended(body).map_err(|e| format!("lz4: {e}"))?;
    M::decode(raw.as_slice()).map_err(|e| format!("protobuf: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anpi_core::ids::RecordId;

    fn sample() -> Event {
        Event {
            position: 42,
            event: NewEvent {
                id: EventId::from_uuid(uuid::Uuid::now_v7()),
                incident: Some(IncidentId::from_uuid(uuid::Uuid::now_v7())),
                origin: JurisdictionCode::parse("131016").unwrap(),
                actor: parse_actor("131016/clerk-01").unwrap(),
                written_at: None,
                received_at: parse_time("t", "2026-11-21T01:02:03.123456Z").unwrap(),
                sender: None,
                payload: Payload::EntryDeleted {
                    record_id: RecordId::from_uuid(uuid::Uuid::now_v7()),
                    reason: "重複登録".into(),
                },
            },
        }
    }

    #[test]
    fn events_round_trip_exactly() {
        let event = sample();
        let wire = event_to_proto(&event);
        assert_eq!(event_from_proto(&wire).unwrap(), event.event);
        let part = v1::ReportPart {
            events: vec![wire.clone(), wire],
            ..Default::default()
        };
        let decoded: v1::ReportPart = decode(&encode(&part)).unwrap();
        assert_eq!(decoded, part);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut wire = event_to_proto(&sample());
        wire.origin = "131017".into();
        assert!(event_from_proto(&wire).unwrap_err().contains("origin"));
        let mut wire = event_to_proto(&sample());
        wire.kind = "EntryRecorded".into();
        assert!(event_from_proto(&wire).unwrap_err().contains("kind"));
        let mut wire = event_to_proto(&sample());
        wire.payload_json = "{}".into();
        assert!(
            event_from_proto(&wire)
                .unwrap_err()
                .contains("payload_json")
        );
        let mut wire = event_to_proto(&sample());
        wire.schema_version = 99;
        assert!(
            event_from_proto(&wire)
                .unwrap_err()
                .contains("schema_version")
        );
    }

    #[test]
    fn garbage_bodies_are_refused() {
        assert!(decode::<v1::ReportPart>(b"").is_err());
        assert!(decode::<v1::ReportPart>(&[0xff, 0xff, 0xff, 0x7f, 1, 2]).is_err());
        assert!(decode::<v1::ReportPart>(&[4, 0, 0, 0, 1, 2]).is_err());
    }
}
