//! Accounts and login sessions (minimal A-01). R: A-01.
//!
//! Passwords are stored as argon2id PHC strings. A login returns a random bearer token;
//! only its SHA-256 is stored, with an expiry. Roles and the full password policy come
//! with the accounts issue; every account here acts with full rights at its node.

use std::collections::HashMap;
use std::sync::Mutex;

use anpi_core::ids::AccountId;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Pool;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::Result;

/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id (CPU-heavy: call from a blocking task).
pub fn hash_password(password: &str) -> std::result::Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash (CPU-heavy: call from a blocking task).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The minimal password rule of this stage: 8–128 characters, no control characters.
/// (The full policy of A-03 comes with the accounts issue.)
pub fn check_password(password: &str) -> std::result::Result<(), String> {
    let count = password.chars().count();
    if !(8..=128).contains(&count) || password.chars().any(char::is_control) {
        return Err("パスワードは制御文字を含まない8文字以上で設定してください".into());
    }
    Ok(())
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A fresh random bearer token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who a verified token belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: AccountId,
    pub expires_at: DateTime<Utc>,
}

/// Login and token checks, with a small cache of verified tokens.
pub struct Accounts {
    pool: Pool,
    cache: Mutex<HashMap<Vec<u8>, Session>>,
}

impl Accounts {
    pub fn new(pool: Pool) -> Self {
        Accounts {
            pool,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub async fn count(&self) -> Result<i64> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one("SELECT count(*) FROM accounts", &[])
            .await?
            .get(0))
    }

    /// Verifies ID and password; on success stores and returns a new session token.
    pub async fn login(
        &self,
        account: &AccountId,
        password: &str,
    ) -> Result<Option<(String, Session)>> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT password_hash FROM accounts WHERE account_id = $1 AND disabled_at IS NULL",
                &[&account.as_str()],
            )
            .await?;
        // Verify against a dummy hash when the account is unknown, so timing does not
        // tell which IDs exist.
        let stored: String = row.map(|r| r.get(0)).unwrap_or_else(dummy_hash);
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
            .await
            .unwrap_or(false);
        if !ok {
            return Ok(None);
        }
        let token = new_token();
        let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
        client
            .execute(
                "INSERT INTO sessions (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
                &[&token_hash(&token), &account.as_str(), &expires_at],
            )
            .await?;
        Ok(Some((
            token,
            Session {
                account: account.clone(),
                expires_at,
            },
        )))
    }

    /// The session of a bearer token, if valid and not expired.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Session>> {
        let hash = token_hash(token);
        let now = Utc::now();
        let cached = self.cache.lock().expect("cache lock").get(&hash).cloned();
        if let Some(session) = cached
            && session.expires_at > now
        {
            return Ok(Some(session));
        }
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT s.account_id, s.expires_at FROM sessions s JOIN accounts a USING (account_id)
                 WHERE s.token_hash = $1 AND s.expires_at > now() AND a.disabled_at IS NULL",
                &[&hash],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let account: String = row.get(0);
        let session = Session {
            account: AccountId::parse(&account).map_err(super::Error::Identity)?,
            expires_at: row.get(1),
        };
        let mut cache = self.cache.lock().expect("cache lock");
        cache.retain(|_, s| s.expires_at > now);
        cache.insert(hash, session.clone());
        Ok(Some(session))
    }
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("anpi-dummy-password").unwrap_or_default())
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_long() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
    }

    #[test]
    fn minimal_password_rule() {
        assert!(check_password("short").is_err());
        assert!(check_password("longenough").is_ok());
    }
}
