//! Accounts, login sessions and the read log. R.
//!
//! Passwords are stored as argon2id PHC strings. A login returns a random bearer token;
//! only its SHA-256 is stored, with an expiry. A session carries the account's role
//! and whether only the password change is allowed (initial password, or older
//! than 180 days: `anpi_core::account::login_state`). Failed logins slow further
//! attempts down (A-03, docs/adr/0012-login-throttling.md): per account in PostgreSQL
//! (`failed_logins`, `last_failed_login_at`, the addresses it logged in from), per client
//! address in this process's memory. The rules are `anpi_core::account`; this module
//! stores, counts and checks. `recover_admin` is `anpi-node recover-admin`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use anpi_core::account::{self, AccountSpec, Failures, Gate, LoginState, LoginThrottle, Role};
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use anyhow::Context;
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
    /// Refused; the caller gets one answer whatever the reason, the reason is for
    /// the node's own log.
    Refused(Refusal),
}

/// Why a login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// By a gate, before the password was checked (a dummy hash was verified instead,
    /// except for a throttled address, which is refused before the ID is looked at).
    Gate(Gate),
    /// No active account of that ID (unknown, malformed, withdrawn or revoked).
    Unknown,
    /// Wrong password: the account's failures in a row now, and until when its next
    /// attempt from an unknown address must wait.
    WrongPassword {
        failures: u32,
        throttled_until: Option<DateTime<Utc>>,
    },
}

/// Client addresses counted in memory at which old entries are dropped.
const ADDRESS_TABLE_PRUNE_AT: usize = 10_000;

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

/// Login and token checks, with a small cache of verified tokens and the failed logins
/// per client address (`account::address_key`).
pub struct Accounts {
    pool: Pool,
    cache: Mutex<HashMap<Vec<u8>, Session>>,
    addresses: Mutex<HashMap<String, Failures>>,
}

impl Accounts {
    pub fn new(pool: Pool) -> Self {
        Accounts {
            pool,
            cache: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
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
    /// R: A-03
    ///
    /// `account`: `None` when the typed ID is malformed. `client`: the peer address, when
    /// known. In order: the address gate (nothing about the ID is looked at while the
    /// address is throttled), the account gate (`account::account_gate`, under the row's
    /// lock, the attempt counted before the password is checked), then one argon2
    /// verification, against the account's hash only when both gates are open and a
    /// dummy hash otherwise, so that refusals take as long whatever their reason.
    pub async fn login(
        &self,
        account: Option<&AccountId>,
        password: &str,
        client: Option<IpAddr>,
        throttle: &LoginThrottle,
    ) -> Result<Login> {
        let now = Utc::now();
        let address = client.map(account::address_key);
        if let Some(key) = &address {
            let gate = self.gate_address(key, throttle, now);
            if !gate.is_open() {
                return Ok(Login::Refused(Refusal::Gate(gate)));
            }
        }
        let Some(account) = account else {
            verify_blocking(password, dummy_hash()).await;
            return Ok(Login::Refused(Refusal::Unknown));
        };
        let mut db = self.pool.get().await?;
        let tx = db.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT password_hash, role, initial_password, password_changed_at, locked_at IS NOT NULL,
                        failed_logins, last_failed_login_at, login_addresses
                 FROM accounts WHERE account_id = $1 AND disabled_at IS NULL FOR UPDATE",
                &[&account.as_str()],
            )
            .await?;
        let mut checked = None;
        if let Some(row) = &row {
            let failures = Failures {
                count: u32::try_from(row.get::<_, i32>(5)).unwrap_or(0),
                last: row.get(6),
            };
            let known: Vec<String> = row.get(7);
            let known_address = address.as_ref().is_some_and(|key| known.contains(key));
            let gate = account::account_gate(throttle, row.get(4), failures, known_address, now);
            if !gate.is_open() {
                tx.commit().await?;
                verify_blocking(password, dummy_hash()).await;
                return Ok(Login::Refused(Refusal::Gate(gate)));
            }
            // Counted before the check: taken back below if the password is right.
            let after = throttle.account.after_failure(failures, now);
            tx.execute(
                "UPDATE accounts SET failed_logins = $2, last_failed_login_at = $3 WHERE account_id = $1",
                &[
                    &account.as_str(),
                    &i32::try_from(after.count).unwrap_or(i32::MAX),
                    &after.last,
                ],
            )
            .await?;
            checked = Some((after, known));
        }
        tx.commit().await?;
        let stored: String = row.as_ref().map(|r| r.get(0)).unwrap_or_else(dummy_hash);
        let ok = verify_blocking(password, stored).await;
        let (Some(row), Some((after, known))) = (row, checked) else {
            return Ok(Login::Refused(Refusal::Unknown));
        };
        if !ok {
            return Ok(Login::Refused(Refusal::WrongPassword {
                failures: after.count,
                throttled_until: throttle.account.throttled_until(after, now),
            }));
        }
        let known = match &address {
            Some(key) => {
                self.take_back_address(key);
                account::remember_address(&known, key)
            }
            None => known,
        };
        db.execute(
            "UPDATE accounts SET failed_logins = 0, last_failed_login_at = NULL, login_addresses = $2
             WHERE account_id = $1",
            &[&account.as_str(), &known],
        )
        .await?;
        let role: String = row.get(1);
        let token = new_token();
        let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
        db.execute(
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

    /// The address gate; when it lets the attempt through, the attempt is counted as a
    /// failure of the address in the same step (so attempts made at once are counted one
    /// by one) and taken back after a correct password (`take_back_address`).
    fn gate_address(&self, key: &str, throttle: &LoginThrottle, now: DateTime<Utc>) -> Gate {
        let mut table = self.addresses.lock().expect("address table lock");
        let failures = table.get(key).copied().unwrap_or_default();
        let gate = account::address_gate(throttle, failures, now);
        if gate.is_open() {
            if table.len() >= ADDRESS_TABLE_PRUNE_AT {
                // Forgotten counters first; if too many remain, those below the free
                // failures (they slow nobody down).
                table.retain(|_, f| throttle.address.current(*f, now) > 0);
                if table.len() >= ADDRESS_TABLE_PRUNE_AT {
                    let free = throttle.address.free_failures;
                    table.retain(|_, f| f.count > free);
                }
            }
            table.insert(
                key.to_string(),
                throttle.address.after_failure(failures, now),
            );
        }
        gate
    }

    fn take_back_address(&self, key: &str) {
        let mut table = self.addresses.lock().expect("address table lock");
        if let Some(failures) = table.get_mut(key) {
            *failures = failures.take_back_one();
        }
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

/// Verifies on a blocking thread (argon2 is CPU-heavy); a failed task counts as wrong.
async fn verify_blocking(password: &str, stored: String) -> bool {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .unwrap_or(false)
}

/// A hash of no account's password, verified in place of a real one so that refusals
/// take as long as a check of an existing account.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("anpi-dummy-password").unwrap_or_default())
        .clone()
}

/// What `recover_admin` did.
#[derive(Debug, Clone)]
pub struct Recovery {
    pub account: AccountId,
    /// The ID was issued as a new administrator (it did not exist).
    pub created: bool,
    /// The one-time password now set: the one given, or a random one.
    pub one_time_password: String,
    /// The position of the `AdministratorRecovered` event.
    pub position: i64,
}

/// `anpi-node recover-admin` (A-01, A-03; docs/adr/0012-login-throttling.md): gives a
/// node whose administrators are all locked out, withdrawn or forgotten an administrator
/// back, run on the node's host by whoever runs the node process, with the node stopped
/// (it takes the log's writer lock; the restart also clears the per-address counters).
///
/// `admin` an existing administrator: its lock and login back-off are cleared, its
/// sessions end and `password` (or a random one) becomes its one-time password. `admin`
/// an ID never issued: a new administrator with that one-time password. A withdrawn or
/// revoked ID, or an account of another role, is refused. Recorded as
/// `AdministratorRecovered` by `<jurisdiction>/system` (after `AccountCreated` for a new
/// one).
///
/// `database_url`, `jurisdiction`, `tier` and `name` are the node's configuration
/// (`config::Config`); `name` is the new administrator's affiliation, else the code.
pub async fn recover_admin(
    database_url: &str,
    jurisdiction: &JurisdictionCode,
    tier: Tier,
    name: Option<&str>,
    admin: &AccountId,
    password: Option<String>,
) -> anyhow::Result<Recovery> {
    use crate::store::writer::{AccountChange, AccountWritten, Command, Writer, system_actor};

    if let Some(password) = &password {
        account::check_password(password, admin.as_str(), None).map_err(|broken| {
            anyhow::anyhow!("the administrator's password: {}", broken.join(" "))
        })?;
    }
    let password = password.unwrap_or_else(|| new_initial_password(admin.as_str()));
    let url = database_url;
    let mut client = super::connect(url)
        .await
        .context("connecting to the node database (run `anpi-node init` for a new node)")?;
    super::migrate(&mut client)
        .await
        .context("applying migrations")?;
    super::claim_identity(&client, jurisdiction, tier).await?;
    let existed = client
        .query_opt(
            "SELECT 1 FROM accounts WHERE account_id = $1",
            &[&admin.as_str()],
        )
        .await?
        .is_some();
    let to_hash = password.clone();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&to_hash))
        .await?
        .map_err(anyhow::Error::msg)?;
    let (writer, task) = Writer::start(url, jurisdiction.clone())
        .await
        .context("stop `anpi-node serve` of this node first: the recovery writes to its log")?;
    let spec = AccountSpec {
        account_id: admin.clone(),
        holder: "管理者（復旧）".into(),
        affiliation: name
            .map(str::to_string)
            .unwrap_or_else(|| jurisdiction.to_string()),
        contact: String::new(),
        role: Role::Administrator,
        terminal: "anpi-node recover-admin".into(),
    };
    let written = writer
        .ask::<AccountWritten>(
            system_actor(jurisdiction),
            Command::Account(AccountChange::RecoverAdmin {
                spec,
                password_hash,
            }),
        )
        .await;
    drop(writer);
    task.await?;
    let AccountWritten { position } =
        written.map_err(|rejection| anyhow::anyhow!("{rejection}"))?;
    Ok(Recovery {
        account: admin.clone(),
        created: !existed,
        one_time_password: password,
        position,
    })
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
