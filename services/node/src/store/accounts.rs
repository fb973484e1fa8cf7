//! Accounts, login sessions and the read log. R.
//!
//! Passwords are stored as argon2id PHC strings. A login returns a random bearer token;
//! only its SHA-256 is stored, with an expiry. A session carries the account's role
//! and whether only the password change is allowed (initial password, or older
//! than 180 days: `anpi_core::account::login_state`). Failed logins in a row are
//! counted; the API asks the writer to lock the account at the limit. The rules are
//! `anpi_core::account`; this module stores and checks.

use std::collections::HashMap;
use std::sync::Mutex;

use anpi_core::account::{self, LoginState, Role};
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

/// A one-time password an administrator hands out (A-03: it meets the policy and must
/// be changed at the first login): 12 characters from letters and digits, with both.
pub fn new_initial_password(account: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    loop {
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let password: String = bytes
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        if account::check_password(&password, account, None).is_ok() {
            return password;
        }
    }
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
    pub role: Role,
    pub state: LoginState,
    pub expires_at: DateTime<Utc>,
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum Login {
    Ok(String, Session),
    /// Unknown ID, wrong password or withdrawn account: one answer for all.
    Refused,
    /// The password was wrong and the failures in a row reached the limit now.
    LockedNow {
        failures: i32,
    },
    /// The account is locked (until an administrator unlocks it).
    Locked,
}

/// One row of the account register.
#[derive(Debug, Clone)]
pub struct Registered {
    pub account: String,
    pub holder: String,
    pub affiliation: String,
    pub contact: String,
    pub role: String,
    pub terminal: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub locked_at: Option<DateTime<Utc>>,
    pub initial_password: bool,
    pub password_changed_at: DateTime<Utc>,
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
    pub async fn login(&self, account: &AccountId, password: &str) -> Result<Login> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT password_hash, role, initial_password, password_changed_at, locked_at IS NOT NULL
                 FROM accounts WHERE account_id = $1 AND disabled_at IS NULL",
                &[&account.as_str()],
            )
            .await?;
        // Verify against a dummy hash when the account is unknown, so timing does not
        // tell which IDs exist.
        let stored: String = row.as_ref().map(|r| r.get(0)).unwrap_or_else(dummy_hash);
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
            .await
            .unwrap_or(false);
        let Some(row) = row else {
            return Ok(Login::Refused);
        };
        if row.get::<_, bool>(4) {
            return Ok(Login::Locked);
        }
        if !ok {
            let failures: i32 = client
                .query_one(
                    "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE account_id = $1
                     RETURNING failed_logins",
                    &[&account.as_str()],
                )
                .await?
                .get(0);
            return Ok(if account::locks_after(failures) {
                Login::LockedNow { failures }
            } else {
                Login::Refused
            });
        }
        client
            .execute(
                "UPDATE accounts SET failed_logins = 0 WHERE account_id = $1",
                &[&account.as_str()],
            )
            .await?;
        let role: String = row.get(1);
        let token = new_token();
        let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
        client
            .execute(
                "INSERT INTO sessions (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
                &[&token_hash(&token), &account.as_str(), &expires_at],
            )
            .await?;
        Ok(Login::Ok(
            token,
            Session {
                account: account.clone(),
                role: parse_role(&role)?,
                state: account::login_state(row.get(2), row.get(3), Utc::now()),
                expires_at,
            },
        ))
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
                "SELECT s.account_id, s.expires_at, a.role, a.initial_password, a.password_changed_at
                 FROM sessions s JOIN accounts a USING (account_id)
                 WHERE s.token_hash = $1 AND s.expires_at > now() AND a.disabled_at IS NULL
                   AND a.locked_at IS NULL",
                &[&hash],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let account: String = row.get(0);
        let role: String = row.get(2);
        let session = Session {
            account: AccountId::parse(&account).map_err(super::Error::Identity)?,
            role: parse_role(&role)?,
            state: account::login_state(row.get(3), row.get(4), now),
            expires_at: row.get(1),
        };
        let mut cache = self.cache.lock().expect("cache lock");
        cache.retain(|_, s| s.expires_at > now);
        cache.insert(hash, session.clone());
        Ok(Some(session))
    }

    /// Drops the cached sessions of `account` (after its role, password, lock or
    /// withdrawal changed), so the next request reads the stored state.
    pub fn forget(&self, account: &AccountId) {
        self.cache
            .lock()
            .expect("cache lock")
            .retain(|_, s| &s.account != account);
    }

    /// The stored password hash and initial flag of an active account.
    pub async fn password_of(&self, account: &AccountId) -> Result<Option<(String, bool)>> {
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT password_hash, initial_password FROM accounts WHERE account_id = $1 AND disabled_at IS NULL",
                &[&account.as_str()],
            )
            .await?
            .map(|r| (r.get(0), r.get(1))))
    }

    /// The register, in issuing order.
    pub async fn register(&self) -> Result<Vec<Registered>> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT account_id, holder, affiliation, contact, role, terminal, created_at, issued_by,
                        disabled_at, locked_at, initial_password, password_changed_at, display_name
                 FROM accounts ORDER BY created_at, account_id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let holder: String = r.get(1);
                Registered {
                    account: r.get(0),
                    holder: if holder.is_empty() { r.get(12) } else { holder },
                    affiliation: r.get(2),
                    contact: r.get(3),
                    role: r.get(4),
                    terminal: r.get(5),
                    issued_at: r.get(6),
                    issued_by: r.get(7),
                    withdrawn_at: r.get(8),
                    locked_at: r.get(9),
                    initial_password: r.get(10),
                    password_changed_at: r.get(11),
                }
            })
            .collect())
    }

    /// Appends one entry to the read log.
    pub async fn log_read(
        &self,
        session: &Session,
        operation: &str,
        query: serde_json::Value,
        results: usize,
    ) -> Result<()> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO read_log (account, role, operation, query, results) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &session.account.as_str(),
                    &session.role.as_str(),
                    &operation,
                    &query,
                    &(results.min(i32::MAX as usize) as i32),
                ],
            )
            .await?;
        Ok(())
    }

    /// The read log, newest first, optionally of one account.
    pub async fn reads(&self, account: Option<&str>, limit: i64) -> Result<Vec<ReadEntry>> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT at, account, role, operation, query::text, results FROM read_log
                 WHERE $1::text IS NULL OR account = $1 ORDER BY id DESC LIMIT $2",
                &[&account, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ReadEntry {
                at: r.get(0),
                account: r.get(1),
                role: r.get(2),
                operation: r.get(3),
                query: r.get(4),
                results: r.get(5),
            })
            .collect())
    }
}

/// One entry of the read log.
#[derive(Debug, Clone)]
pub struct ReadEntry {
    pub at: DateTime<Utc>,
    pub account: String,
    pub role: String,
    pub operation: String,
    pub query: String,
    pub results: i32,
}

fn parse_role(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| super::Error::Identity(format!("unknown role `{text}`")))
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
    fn initial_passwords_meet_the_policy_and_differ() {
        for account in ["admin", "clerk01", "abc"] {
            let password = new_initial_password(account);
            assert_eq!(password.len(), 12);
            assert!(account::check_password(&password, account, None).is_ok());
            assert_ne!(password, new_initial_password(account));
        }
    }
}
