//! Ed25519 signing of report parts and their verification, with ring. What is
//! signed, the key text and who may register whose key are `anpi_core::trust`; here
//! are the keys themselves: this node's signing key (kept in its database, made once
//! through the writer) and the registered keys of its children (read from the log).

use std::collections::HashMap;
use std::sync::Mutex;

use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::trust::{self, PublicKey};
use anyhow::{Context, anyhow};
use deadpool_postgres::Pool;
use ring::signature::{self, Ed25519KeyPair, KeyPair};

use crate::store::trust as store;
use crate::store::writer::{Command, TrustChange, Writer, system_actor};

/// This node's report-signing key.
pub struct NodeKey {
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl NodeKey {
    /// A key from its PKCS#8 document (as kept in `node_key`).
    pub fn from_pkcs8(pkcs8: &[u8]) -> anyhow::Result<NodeKey> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8)
            .map_err(|e| anyhow!("the stored signing key is not a valid Ed25519 key: {e}"))?;
        let public = PublicKey(
            pair.public_key()
                .as_ref()
                .try_into()
                .context("an Ed25519 public key has 32 bytes")?,
        );
        Ok(NodeKey { pair, public })
    }

    pub fn public(&self) -> PublicKey {
        self.public
    }

    /// The signature header's value for one part.
    pub fn sign(&self, subject: &str, message_id: &str, body: &[u8]) -> String {
        let input = trust::signing_input(subject, message_id, body);
        trust::encode_hex(self.pair.sign(&input).as_ref())
    }

    /// Loads this node's key, making it first when the node has none (the key goes into
    /// `node_key` with a `NodeKeyCreated` event in one transaction).
    pub async fn load_or_create(
        pool: &Pool,
        writer: &Writer,
        code: &JurisdictionCode,
    ) -> anyhow::Result<NodeKey> {
        if let Some(key) = NodeKey::load(pool).await? {
            return Ok(key);
        }
        let pkcs8 = generate_pkcs8()?;
        let public_key = NodeKey::from_pkcs8(&pkcs8)?.public.to_string();
        let actor = system_actor(code);
        writer
            .submit(
                actor,
                Command::Trust(TrustChange::CreateNodeKey { pkcs8, public_key }),
            )
            .await
            .map_err(|e| anyhow!("storing the node's signing key: {e}"))?;
        NodeKey::load(pool)
            .await?
            .context("the signing key was stored but cannot be read back")
    }

    /// This node's key, if it has one.
    pub async fn load(pool: &Pool) -> anyhow::Result<Option<NodeKey>> {
        let client = pool.get().await.context("database pool")?;
        let pkcs8 = store::node_key_pkcs8(&**client)
            .await
            .context("reading the node's signing key")?;
        pkcs8.map(|pkcs8| NodeKey::from_pkcs8(&pkcs8)).transpose()
    }
}

/// A new Ed25519 key as a PKCS#8 document (this node's key; tests and benchmarks make
/// other signers with it).
pub fn generate_pkcs8() -> anyhow::Result<Vec<u8>> {
    let rng = ring::rand::SystemRandom::new();
    Ed25519KeyPair::generate_pkcs8(&rng)
        .map(|doc| doc.as_ref().to_vec())
        .map_err(|_| anyhow!("generating an Ed25519 key failed"))
}

/// Checks `signature_hex` over one part against `key`.
pub fn verify(
    key: &PublicKey,
    subject: &str,
    message_id: &str,
    body: &[u8],
    signature_hex: &str,
) -> Result<(), String> {
    let signature = trust::parse_signature(signature_hex).map_err(|e| e.to_string())?;
    let input = trust::signing_input(subject, message_id, body);
    signature::UnparsedPublicKey::new(&signature::ED25519, key.0)
        .verify(&input, &signature)
        .map_err(|_| "the signature does not match the sender's registered key".to_string())
}

/// What checking a signed message against a registered key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Signed,
    /// No key registered for the signer (yet).
    NoKey,
    /// Unsigned, or the signature does not verify: the reason.
    Forged(String),
}

/// A header's value, if the message has it.
pub fn header(message: &async_nats::jetstream::Message, name: &str) -> Option<String> {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(name))
        .map(|v| v.as_str().to_string())
}

/// The children's registered keys, cached; a miss or a changed key reads the log again.
#[derive(Default)]
pub struct Keyring {
    cache: Mutex<HashMap<JurisdictionCode, PublicKey>>,
}

impl Keyring {
    /// The key registered for `child`, if any.
    pub async fn key_of(
        &self,
        pool: &Pool,
        child: &JurisdictionCode,
        fresh: bool,
    ) -> anyhow::Result<Option<PublicKey>> {
        if !fresh {
            let cached = self.cache.lock().expect("keyring lock").get(child).copied();
            if cached.is_some() {
                return Ok(cached);
            }
        }
        let key = registered_key(pool, child).await?;
        let mut cache = self.cache.lock().expect("keyring lock");
        match key {
            Some(key) => cache.insert(child.clone(), key),
            None => cache.remove(child),
        };
        Ok(key)
    }

    /// Checks `message`'s signature (header [`trust::SIGNATURE_HEADER`] over its
    /// subject, `Nats-Msg-Id` and body) against the key registered for `signer`. A
    /// failure with a cached key reads the log again first, so a key registered anew
    /// takes effect at once.
    pub async fn check(
        &self,
        pool: &Pool,
        signer: &JurisdictionCode,
        message: &async_nats::jetstream::Message,
    ) -> anyhow::Result<Checked> {
        let Some(signature) = header(message, trust::SIGNATURE_HEADER) else {
            return Ok(Checked::Forged(format!(
                "unsigned message from {signer} (no {} header)",
                trust::SIGNATURE_HEADER
            )));
        };
        let message_id = header(message, "Nats-Msg-Id").unwrap_or_default();
        let mut fresh = false;
        loop {
            let Some(key) = self.key_of(pool, signer, fresh).await? else {
                return Ok(Checked::NoKey);
            };
            let subject = message.subject.as_str();
            match verify(&key, subject, &message_id, &message.payload, &signature) {
                Ok(()) => return Ok(Checked::Signed),
                Err(_) if !fresh => fresh = true,
                Err(reason) => {
                    return Ok(Checked::Forged(format!(
                        "{reason} ({signer}, key {})",
                        key.fingerprint()
                    )));
                }
            }
        }
    }
}

/// The key registered here for `code`: a child's newest `ChildKeyRegistered`, or for
/// the national code the newest `NationalKeyRegistered`.
pub async fn registered_key(
    pool: &Pool,
    code: &JurisdictionCode,
) -> anyhow::Result<Option<PublicKey>> {
    let client = pool.get().await.context("database pool")?;
    let key = store::registered_key(&**client, code)
        .await
        .context("reading a registered key")?;
    key.map(|key| PublicKey::parse(&key).map_err(|e| anyhow!("a registered key: {e}")))
        .transpose()
}

/// Every key registered here (children's, and the national key as `000001`), newest
/// registration per code.
pub async fn registered_keys(
    pool: &Pool,
) -> anyhow::Result<Vec<(String, String, String, chrono::DateTime<chrono::Utc>)>> {
    let client = pool.get().await.context("database pool")?;
    store::registered_keys(&**client)
        .await
        .context("listing registered keys")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> NodeKey {
        NodeKey::from_pkcs8(&generate_pkcs8().unwrap()).unwrap()
    }

    #[test]
    fn a_signature_verifies_only_for_the_same_subject_id_body_and_key() {
        let (key, other) = (key(), key());
        let subject = "anpi.report.130001.131016";
        let signature = key.sign(subject, "r.0", b"events");
        assert_eq!(
            verify(&key.public(), subject, "r.0", b"events", &signature),
            Ok(())
        );
        assert!(verify(&other.public(), subject, "r.0", b"events", &signature).is_err());
        assert!(verify(&key.public(), subject, "r.0", b"eventz", &signature).is_err());
        assert!(verify(&key.public(), subject, "r.1", b"events", &signature).is_err());
        assert!(
            verify(
                &key.public(),
                "anpi.report.130001.131041",
                "r.0",
                b"events",
                &signature
            )
            .is_err()
        );
        assert!(verify(&key.public(), subject, "r.0", b"events", "00").is_err());
    }
}
