//! Node-to-node trust: what a report part's signature covers, the text form of
//! an Ed25519 public key, and who may register whose key. The cryptography itself is
//! the adapter's (`anpi-node`, with ring); this module decides nothing with secrets.
//!
//! The national tier signs its orders (account revocations, A-04) the same way; every
//! other node checks them against the national key registered there.
//!
//! A jurisdiction reports only as itself and only to its parent: NATS permissions keep
//! a node's credentials to its own subjects, and every report part carries an Ed25519
//! signature that the parent checks against the key registered for that child. The
//! signature covers the subject (so a part cannot be replayed under another sender or
//! receiver), the message ID (report and part number) and the body.

use std::fmt;

use crate::jurisdiction::JurisdictionCode;

/// The NATS header carrying a part's signature (hex).
pub const SIGNATURE_HEADER: &str = "Anpi-Signature";

/// Length of an Ed25519 public key and signature in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
pub const SIGNATURE_LEN: usize = 64;

/// The bytes a part's signature covers: a domain tag, the subject, the message ID and
/// the body, each length-prefixed so that no two different triples give the same bytes.
pub fn signing_input(subject: &str, message_id: &str, body: &[u8]) -> Vec<u8> {
    const TAG: &[u8] = b"anpi-report-part-v1";
    let mut out =
        Vec::with_capacity(TAG.len() + 24 + subject.len() + message_id.len() + body.len());
    for field in [TAG, subject.as_bytes(), message_id.as_bytes(), body] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// An Ed25519 public key, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Reads 64 hex digits (either case; spaces and a leading `ed25519:` are ignored,
    /// so a key copied from `anpi trust key` pastes as printed).
    pub fn parse(text: &str) -> Result<PublicKey, TrustError> {
        let text = text.trim();
        let text = text.strip_prefix("ed25519:").unwrap_or(text);
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = decode_hex(&digits).ok_or(TrustError::KeyFormat)?;
        let key: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| TrustError::KeyFormat)?;
        Ok(PublicKey(key))
    }

    /// A short fingerprint to compare by voice or on paper: the first 8 bytes in
    /// groups of four hex digits.
    pub fn fingerprint(&self) -> String {
        let hex = encode_hex(&self.0[..8]);
        hex.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
            .collect::<Vec<_>>()
            .join("-")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_hex(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

/// Reads a signature header (128 hex digits).
pub fn parse_signature(text: &str) -> Result<[u8; SIGNATURE_LEN], TrustError> {
    let bytes = decode_hex(text.trim()).ok_or(TrustError::SignatureFormat)?;
    bytes.try_into().map_err(|_| TrustError::SignatureFormat)
}

/// Lowercase hex of `bytes`.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

/// Whose key a node registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// A direct child's: its report parts are checked with it.
    Child,
    /// The national tier's (at any other node): its orders are checked with it.
    National,
}

/// Whether `node` may register a key for `code`: its own direct children (a
/// prefecture for its municipalities, the national tier for prefectures), since
/// reports travel only from a child to its parent (T-03); and, below the national
/// tier, the national tier's key, which signs the orders every node carries out.
pub fn check_registration(
    node: &JurisdictionCode,
    code: &JurisdictionCode,
) -> Result<Registration, TrustError> {
    if code.natural_parent().as_ref() == Some(node) {
        Ok(Registration::Child)
    } else if code.tier() == crate::jurisdiction::Tier::National && node != code {
        Ok(Registration::National)
    } else {
        Err(TrustError::NotAChild {
            node: node.clone(),
            child: code.clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("公開鍵は16進数64桁で入力してください（`anpi trust key` の表示のとおり）")]
    KeyFormat,
    #[error("署名は16進数128桁でなければなりません")]
    SignatureFormat,
    #[error("{child} は {node} に報告する団体（または国）ではないため、鍵を登録できません")]
    NotAChild {
        node: JurisdictionCode,
        child: JurisdictionCode,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> JurisdictionCode {
        JurisdictionCode::parse(text).unwrap()
    }

    #[test]
    fn keys_round_trip_through_their_text_and_refuse_anything_else() {
        let key = PublicKey([0xab; 32]);
        let text = key.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(PublicKey::parse(&text).unwrap(), key);
        assert_eq!(
            PublicKey::parse(&format!(" ed25519:{} ", text.to_uppercase())).unwrap(),
            key
        );
        assert_eq!(
            PublicKey::parse(&format!("{} {}", &text[..32], &text[32..])).unwrap(),
            key
        );
        for bad in [
            "",
            "abc",
            &text[..62],
            &format!("{text}00"),
            &text.replace('a', "g"),
            "ｆ",
        ] {
            assert_eq!(PublicKey::parse(bad), Err(TrustError::KeyFormat), "{bad:?}");
        }
        assert_eq!(key.fingerprint(), "abab-abab-abab-abab");
    }

    #[test]
    fn signatures_are_128_hex_digits() {
        let signature = [7u8; 64];
        assert_eq!(parse_signature(&encode_hex(&signature)).unwrap(), signature);
        assert_eq!(parse_signature("07"), Err(TrustError::SignatureFormat));
        assert_eq!(
            parse_signature(&"zz".repeat(64)),
            Err(TrustError::SignatureFormat)
        );
    }

    #[test]
    fn the_signed_bytes_bind_subject_message_id_and_body() {
        let base = signing_input("anpi.report.130001.131016", "r.0", b"body");
        assert_ne!(
            base,
            signing_input("anpi.report.130001.131041", "r.0", b"body")
        );
        assert_ne!(
            base,
            signing_input("anpi.report.130001.131016", "r.1", b"body")
        );
        assert_ne!(
            base,
            signing_input("anpi.report.130001.131016", "r.0", b"bodx")
        );
        // Moving bytes from one field to the next changes the input (length prefixes).
        assert_ne!(signing_input("ab", "c", b""), signing_input("a", "bc", b""));
        assert_eq!(
            base,
            signing_input("anpi.report.130001.131016", "r.0", b"body")
        );
    }

    proptest::proptest! {
        /// Key and signature text from anywhere (pasted, typed, forged headers) never
        /// panics; an accepted key is exactly 32 bytes whose text reads back the same.
        #[test]
        fn any_text_is_read_or_refused_and_keys_round_trip(
            text in ".{0,140}",
            bytes in proptest::array::uniform32(proptest::num::u8::ANY),
        ) {
            if let Ok(key) = PublicKey::parse(&text) {
                proptest::prop_assert_eq!(PublicKey::parse(&key.to_string()), Ok(key));
            }
            let _ = parse_signature(&text);
            let key = PublicKey(bytes);
            proptest::prop_assert_eq!(PublicKey::parse(&key.to_string()), Ok(key));
            proptest::prop_assert_eq!(
                PublicKey::parse(&format!("ed25519:{}", key.to_string().to_uppercase())),
                Ok(key)
            );
        }
    }

    #[test]
    fn direct_children_and_the_national_key_are_registered() {
        assert_eq!(
            check_registration(&code("130001"), &code("131016")),
            Ok(Registration::Child)
        );
        assert_eq!(
            check_registration(&code("000001"), &code("130001")),
            Ok(Registration::Child)
        );
        for node in ["130001", "131016"] {
            assert_eq!(
                check_registration(&code(node), &code("000001")),
                Ok(Registration::National)
            );
        }
        for (node, other) in [
            ("000001", "131016"),
            ("270008", "131016"),
            ("131016", "130001"),
            ("000001", "000001"),
            ("131016", "131041"),
        ] {
            assert!(matches!(
                check_registration(&code(node), &code(other)),
                Err(TrustError::NotAChild { .. })
            ));
        }
    }
}
