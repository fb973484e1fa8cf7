//! Sealing personal fields in the log and opening them again (issue 21 item 4, ADR
//! 0019; which fields are personal: `anpi_core::seal`).
//!
//! The writer seals an event that carries personal fields under a fresh random 256-bit
//! key (AES-256-GCM over the fields' JSON compressed with LZ4, the event ID as associated
//! data, so a sealed text cannot be moved to another event) and stores the key in `data_keys`, outside the log. Readers select
//! the key beside the payload ([`KEY_COLUMN`]) and open it; a payload whose key was
//! destroyed by a purge reads as `Payload::Purged`. The hash chain covers the stored,
//! sealed text, so it verifies before and after a purge.

use anpi_core::event::Payload;
use anpi_core::seal::{self, SEALED};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Error, Result};

/// A data key (AES-256).
pub type DataKey = [u8; 32];

/// The select-list item that reads an `events` row's data key as `data_key` (NULL for
/// events with nothing sealed and for purged ones). Use with `FROM events`.
pub const KEY_COLUMN: &str =
    "(SELECT k.key FROM data_keys k WHERE k.event_id = events.event_id) AS data_key";

/// The nonce of an event's sealed fields: each key seals one event once, so any fixed
/// nonce would do; it is derived from the event ID for clarity.
fn nonce(event_id: Uuid) -> Nonce {
    let digest = Sha256::digest(event_id.as_bytes());
    let mut bytes = [0u8; NONCE_LEN];
    bytes.copy_from_slice(&digest[..NONCE_LEN]);
    Nonce::assume_unique_for_key(bytes)
}

fn cipher(key: &[u8]) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| Error::Identity("a data key is not 32 bytes".into()))
}

/// The payload's JSON as it is stored: with its personal fields sealed under a new key
/// (returned) when its kind has any, else as it is.
pub fn seal(event_id: Uuid, payload: &Payload) -> (Value, Option<DataKey>) {
    // A payload is plain data with string keys: serialising it cannot fail.
    let mut value = serde_json::to_value(payload).expect("event payloads serialise to JSON");
    let Some(personal) = seal::take_personal(&mut value) else {
        return (value, None);
    };
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .expect("the operating system's random source works");
    // Compressed before sealing: a ciphertext does not compress, and the log would
    // otherwise grow by the whole entry (issue 18's storage goal).
    let mut text = lz4_flex::compress_prepend_size(
        &serde_json::to_vec(&personal).expect("JSON values serialise"),
    );
    cipher(&key)
        .expect("a fresh key has 32 bytes")
        .seal_in_place_append_tag(nonce(event_id), Aad::from(event_id.as_bytes()), &mut text)
        .expect("AES-GCM seals any text under its size limit");
    value["data"][SEALED] = Value::String(STANDARD.encode(text));
    (value, Some(key))
}

/// The payload's text as the log stores it and its link covers it (canonical JSON,
/// `anpi_core::chain`), and the data key it was sealed under, if any.
pub fn stored_text(event_id: Uuid, payload: &Payload) -> (String, Option<DataKey>) {
    if !seal::is_personal(payload) {
        return (super::chain::payload_text(payload), None);
    }
    let (value, key) = seal(event_id, payload);
    (anpi_core::chain::canonical_json(&value), key)
}

/// The payload of a stored event: opened with `key` when it is sealed; read as
/// `Payload::Purged` when it is sealed and its key is gone.
pub fn open(event_id: Uuid, kind: &str, mut stored: Value, key: Option<&[u8]>) -> Result<Payload> {
    let Some(text) = seal::sealed_text(&stored) else {
        return Ok(serde_json::from_value(stored)?);
    };
    let Some(key) = key else {
        return Ok(seal::purged(kind, &stored));
    };
    let broken =
        |why: &str| Error::Identity(format!("the sealed fields of event {event_id} {why}"));
    let mut bytes = STANDARD
        .decode(text)
        .map_err(|_| broken("are not base64"))?;
    let opened = cipher(key)?
        .open_in_place(nonce(event_id), Aad::from(event_id.as_bytes()), &mut bytes)
        .map_err(|_| broken("do not open with its key (altered, or the key of another event)"))?;
    let json = lz4_flex::decompress_size_prepended(opened)
        .map_err(|_| broken("do not decompress after opening"))?;
    let personal: Value = serde_json::from_slice(&json)?;
    seal::restore(&mut stored, personal).map_err(|e| broken(&e.to_string()))?;
    Ok(serde_json::from_value(stored)?)
}

/// [`open`] for a row selected with `payload` and [`KEY_COLUMN`] (and `event_id`,
/// `kind`, or the kind read from the payload).
pub fn open_row(row: &tokio_postgres::Row) -> Result<Payload> {
    let stored: Value = row.get("payload");
    let kind = stored
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    open(row.get("event_id"), &kind, stored, row.get("data_key"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anpi_core::ids::RecordId;

    fn deleted() -> Payload {
        Payload::EntryDeleted {
            record_id: RecordId::from_uuid(Uuid::now_v7()),
            reason: "山田花子さんの重複".into(),
        }
    }

    #[test]
    fn sealed_fields_open_with_their_key_and_read_as_purged_without_it() {
        let id = Uuid::now_v7();
        let payload = deleted();
        let (stored, key) = seal(id, &payload);
        assert!(!stored.to_string().contains("山田"), "{stored}");
        let key = key.unwrap();
        assert_eq!(
            open(id, "EntryDeleted", stored.clone(), Some(&key)).unwrap(),
            payload
        );
        match open(id, "EntryDeleted", stored, None).unwrap() {
            Payload::Purged { of, record_id, .. } => {
                assert_eq!(of, "EntryDeleted");
                assert_eq!(record_id, payload.record_id());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sealed_text_does_not_open_under_another_event_or_key() {
        let (id, other) = (Uuid::now_v7(), Uuid::now_v7());
        let (stored, key) = seal(id, &deleted());
        let key = key.unwrap();
        assert!(open(other, "EntryDeleted", stored.clone(), Some(&key)).is_err());
        assert!(open(id, "EntryDeleted", stored, Some(&[7u8; 32])).is_err());
    }

    proptest::proptest! {
        /// Any reason (any Unicode) comes back exactly through seal and open.
        #[test]
        fn any_personal_text_comes_back(reason in "\\PC*") {
            let id = Uuid::now_v7();
            let payload = Payload::EntryDeleted {
                record_id: RecordId::from_uuid(Uuid::now_v7()),
                reason,
            };
            let (stored, key) = seal(id, &payload);
            proptest::prop_assert_eq!(open(id, "EntryDeleted", stored, key.as_ref().map(|k| &k[..])).unwrap(), payload);
        }

        /// Whatever a superuser writes into `sealed`, opening it is an error, never a
        /// panic nor a payload.
        #[test]
        fn a_forged_sealed_text_never_opens(text in "\\PC{0,200}", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let id = Uuid::now_v7();
            let (mut stored, key) = seal(id, &deleted());
            let key = key.unwrap();
            for forged in [text, STANDARD.encode(&bytes)] {
                stored["data"][SEALED] = Value::String(forged);
                proptest::prop_assert!(open(id, "EntryDeleted", stored.clone(), Some(&key)).is_err());
            }
        }
    }

    #[test]
    fn payloads_without_personal_fields_are_stored_as_they_are() {
        let payload = Payload::RetentionSet {
            until: chrono::NaiveDate::from_ymd_opt(2031, 3, 31).unwrap(),
        };
        let (stored, key) = seal(Uuid::now_v7(), &payload);
        assert!(key.is_none());
        assert_eq!(stored, serde_json::to_value(&payload).unwrap());
    }
}
