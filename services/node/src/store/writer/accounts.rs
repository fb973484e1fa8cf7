//! The writer's account commands, each in a transaction of its own: the
//! `accounts` row (which holds the password hash, never in the log) changes together
//! with its event. The rules (who may, which password) are checked before, in
//! `anpi_core::account` and the API; here only what the stored state decides: the
//! account exists, is not withdrawn, the ID is free, there is something to unlock, the
//! account to recover is an administrator.

use anpi_core::account::{AccountSpec, Failures, Role, needs_unlock};
use anpi_core::event::{Actor, Payload};
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::validation::FieldError;

use super::{Outcome, Rejection, WriterTask, exclusive, now_micros, position_and_fold};
use crate::store::Result;
use crate::store::chain::Head;
use crate::store::projection::Batch;

type Answer = std::result::Result<Outcome, Rejection>;

/// What an account command does.
#[derive(Debug, Clone)]
pub enum AccountChange {
    /// Issue an account (the register entry and the password hash).
    Create {
        spec: AccountSpec,
        password_hash: String,
        initial: bool,
    },
    /// Withdraw (返却): no more logins; its sessions end.
    Withdraw { account: AccountId },
    /// Set the password: the holder's own change, or an administrator's reset to a new
    /// one-time password (`initial`; the holder's sessions end).
    SetPassword {
        account: AccountId,
        password_hash: String,
        initial: bool,
    },
    /// Unlock (an administrator, also of another administrator): clears a lock and the
    /// login back-off. R: A-03
    Unlock { account: AccountId },
    /// The node operator's recovery (`anpi-node recover-admin`): an administrator gets
    /// `password_hash` as a one-time password with lock and back-off cleared and its
    /// sessions ended; an ID not yet issued becomes a new administrator (`spec`). Run as
    /// the node itself (`system_actor`). R
    RecoverAdmin {
        spec: AccountSpec,
        password_hash: String,
    },
    /// Disable on the national tier's order: like a withdrawal, its sessions end.
    Revoke {
        account: AccountId,
        order_id: uuid::Uuid,
        reason: String,
    },
}

impl AccountChange {
    /// The account the change is about.
    pub fn account(&self) -> &AccountId {
        match self {
            AccountChange::Create { spec, .. } | AccountChange::RecoverAdmin { spec, .. } => {
                &spec.account_id
            }
            AccountChange::Withdraw { account }
            | AccountChange::SetPassword { account, .. }
            | AccountChange::Unlock { account }
            | AccountChange::Revoke { account, .. } => account,
        }
    }
}

/// Ends every session of `account` (withdrawal, revocation, reset, recovery).
async fn end_sessions(tx: &tokio_postgres::Transaction<'_>, account: &AccountId) -> Result<()> {
    tx.execute(
        "DELETE FROM sessions WHERE account_id = $1",
        &[&account.as_str()],
    )
    .await?;
    Ok(())
}

fn not_found(account: &AccountId) -> Rejection {
    Rejection::NotFound(FieldError::new(
        "account_id",
        format!(
            "ユーザーID「{account}」は登録されていません。`anpi account list` で確認してください"
        ),
    ))
}

impl WriterTask {
    pub(super) async fn change_account(
        &mut self,
        actor: Actor,
        change: AccountChange,
    ) -> Result<Answer> {
        let tx = exclusive(&mut self.client).transaction().await?;
        let account = change.account().clone();
        if let AccountChange::RecoverAdmin {
            spec,
            password_hash,
        } = &change
        {
            let spec = spec.clone();
            let hash = password_hash.clone();
            return Self::recover_admin(tx, &mut self.head, &self.origin, actor, spec, hash).await;
        }
        let row = tx
            .query_opt(
                "SELECT disabled_at IS NOT NULL, locked_at IS NOT NULL, failed_logins, last_failed_login_at
                 FROM accounts WHERE account_id = $1",
                &[&account.as_str()],
            )
            .await?;
        let refusal = match (&change, &row) {
            (AccountChange::Create { .. }, Some(_)) => Some(Rejection::Conflict(FieldError::new(
                "account_id",
                format!(
                    "ユーザーID「{account}」は既に使われています（返却済みのIDも再利用できません）"
                ),
            ))),
            (AccountChange::Create { .. }, None) => None,
            (_, None) => Some(not_found(&account)),
            (_, Some(row)) if row.get::<_, bool>(0) => Some(Rejection::Conflict(FieldError::new(
                "account_id",
                format!("ユーザーID「{account}」は返却済みです"),
            ))),
            (AccountChange::Unlock { .. }, Some(row))
                if !needs_unlock(row.get(1), stored_failures(row), now_micros()) =>
            {
                Some(Rejection::Conflict(FieldError::new(
                    "account_id",
                    format!(
                        "ユーザーID「{account}」はロックされておらず、ログインの誤りによる待ち時間もありません"
                    ),
                )))
            }
            _ => None,
        };
        if let Some(refusal) = refusal {
            tx.commit().await?;
            return Ok(Err(refusal));
        }
        let now = now_micros();
        let payload = match &change {
            AccountChange::Create {
                spec,
                password_hash,
                initial,
            } => {
                tx.execute(
                    "INSERT INTO accounts (account_id, display_name, role, password_hash, holder, affiliation,
                                           contact, terminal, issued_by, password_changed_at, initial_password,
                                           created_at)
                     VALUES ($1, $2, $3, $4, $2, $5, $6, $7, $8, $9, $10, $9)",
                    &[
                        &spec.account_id.as_str(),
                        &spec.holder,
                        &spec.role.as_str(),
                        password_hash,
                        &spec.affiliation,
                        &spec.contact,
                        &spec.terminal,
                        &actor.to_string(),
                        &now,
                        initial,
                    ],
                )
                .await?;
                Payload::AccountCreated {
                    account: spec.account_id.clone(),
                    display_name: spec.holder.clone(),
                    role: spec.role.as_str().to_string(),
                    affiliation: spec.affiliation.clone(),
                    contact: spec.contact.clone(),
                    terminal: spec.terminal.clone(),
                    initial: *initial,
                }
            }
            AccountChange::Withdraw { account } | AccountChange::Revoke { account, .. } => {
                tx.execute(
                    "UPDATE accounts SET disabled_at = $2 WHERE account_id = $1",
                    &[&account.as_str(), &now],
                )
                .await?;
                end_sessions(&tx, account).await?;
                match &change {
                    AccountChange::Revoke {
                        order_id, reason, ..
                    } => Payload::AccountRevoked {
                        account: account.clone(),
                        order_id: *order_id,
                        reason: reason.clone(),
                    },
                    _ => Payload::AccountWithdrawn {
                        account: account.clone(),
                    },
                }
            }
            AccountChange::SetPassword {
                account,
                password_hash,
                initial,
            } => {
                tx.execute(
                    "UPDATE accounts SET password_hash = $2, initial_password = $3, password_changed_at = $4,
                            failed_logins = 0, last_failed_login_at = NULL
                     WHERE account_id = $1",
                    &[&account.as_str(), password_hash, initial, &now],
                )
                .await?;
                if *initial {
                    end_sessions(&tx, account).await?;
                }
                Payload::PasswordSet {
                    account: account.clone(),
                    initial: *initial,
                }
            }
            AccountChange::Unlock { account } => {
                tx.execute(
                    "UPDATE accounts SET locked_at = NULL, failed_logins = 0, last_failed_login_at = NULL
                     WHERE account_id = $1",
                    &[&account.as_str()],
                )
                .await?;
                Payload::AccountUnlocked {
                    account: account.clone(),
                }
            }
            AccountChange::RecoverAdmin { .. } => unreachable!("recovered above"),
        };
        let head = Self::commit_one(tx, &mut self.head, &self.origin, actor, now, payload).await?;
        Ok(Ok(Outcome::Account { position: head }))
    }

    /// `AccountChange::RecoverAdmin` in `tx`: refused for a withdrawn or revoked ID and
    /// for an account that is not an administrator (recovery gives back administration,
    /// not anyone's account); otherwise one or two events, then commit.
    async fn recover_admin(
        tx: tokio_postgres::Transaction<'_>,
        head: &mut Head,
        origin: &JurisdictionCode,
        actor: Actor,
        spec: AccountSpec,
        password_hash: String,
    ) -> Result<Answer> {
        let account = spec.account_id.clone();
        let row = tx
            .query_opt(
                "SELECT disabled_at IS NOT NULL, role FROM accounts WHERE account_id = $1 FOR UPDATE",
                &[&account.as_str()],
            )
            .await?;
        let refusal = match &row {
            Some(row) if row.get::<_, bool>(0) => Some(format!(
                "ユーザーID「{account}」は返却済みか無効化されています。別のユーザーIDを指定すると、新しい管理者として発行します"
            )),
            Some(row) if Role::parse(row.get(1)) != Some(Role::Administrator) => Some(format!(
                "ユーザーID「{account}」は管理者ではありません。管理者のユーザーIDか、まだ使われていないユーザーIDを指定してください"
            )),
            _ => None,
        };
        if let Some(message) = refusal {
            tx.commit().await?;
            return Ok(Err(Rejection::Conflict(FieldError::new(
                "account_id",
                message,
            ))));
        }
        let now = now_micros();
        let created = row.is_none();
        let mut payloads = Vec::new();
        if created {
            tx.execute(
                "INSERT INTO accounts (account_id, display_name, role, password_hash, holder, affiliation,
                                       contact, terminal, issued_by, password_changed_at, initial_password,
                                       created_at)
                 VALUES ($1, $2, $3, $4, $2, $5, $6, $7, $8, $9, true, $9)",
                &[
                    &account.as_str(),
                    &spec.holder,
                    &Role::Administrator.as_str(),
                    &password_hash,
                    &spec.affiliation,
                    &spec.contact,
                    &spec.terminal,
                    &actor.to_string(),
                    &now,
                ],
            )
            .await?;
            payloads.push(Payload::AccountCreated {
                account: account.clone(),
                display_name: spec.holder.clone(),
                role: Role::Administrator.as_str().to_string(),
                affiliation: spec.affiliation.clone(),
                contact: spec.contact.clone(),
                terminal: spec.terminal.clone(),
                initial: true,
            });
        } else {
            tx.execute(
                "UPDATE accounts SET password_hash = $2, initial_password = true, password_changed_at = $3,
                        locked_at = NULL, failed_logins = 0, last_failed_login_at = NULL
                 WHERE account_id = $1",
                &[&account.as_str(), &password_hash, &now],
            )
            .await?;
            end_sessions(&tx, &account).await?;
        }
        payloads.push(Payload::AdministratorRecovered {
            account: account.clone(),
            created,
        });
        // Like `commit_one`, for one or two events in the same transaction.
        let mut next = *head;
        let mut batch = Batch::default();
        let events: Vec<_> = payloads
            .into_iter()
            .map(|payload| {
                let new = Self::new_event(origin, actor.clone(), now, (payload, None, None));
                position_and_fold(&mut next, new, &mut batch)
            })
            .collect();
        Self::commit(tx, &events, batch).await?;
        *head = next;
        Ok(Ok(Outcome::Account {
            position: next.position,
        }))
    }
}

/// An account row's failures (`failed_logins`, `last_failed_login_at` at columns 2, 3).
fn stored_failures(row: &tokio_postgres::Row) -> Failures {
    Failures {
        count: u32::try_from(row.get::<_, i32>(2)).unwrap_or(0),
        last: row.get(3),
    }
}
