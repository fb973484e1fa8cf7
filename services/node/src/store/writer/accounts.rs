//! The writer's account commands, each in a transaction of its own: the
//! `accounts` row (which holds the password hash, never in the log) changes together
//! with its event. The rules (who may, which password) are checked before, in
//! `anpi_core::account` and the API; here only what the stored state decides: the
//! account exists, is not withdrawn, the ID is free.

use anpi_core::account::AccountSpec;
use anpi_core::event::{Actor, Payload};
use anpi_core::ids::AccountId;
use anpi_core::validation::FieldError;

use super::{Outcome, Rejection, WriterTask, now_micros};
use crate::store::Result;

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
    /// Lock after failed logins in a row.
    Lock { account: AccountId, failures: i32 },
    /// Unlock (an administrator).
    Unlock { account: AccountId },
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
            AccountChange::Create { spec, .. } => &spec.account_id,
            AccountChange::Withdraw { account }
            | AccountChange::SetPassword { account, .. }
            | AccountChange::Lock { account, .. }
            | AccountChange::Unlock { account }
            | AccountChange::Revoke { account, .. } => account,
        }
    }
}

/// Ends every session of `account` (withdrawal, revocation, lock, reset).
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
        let tx = self.client.transaction().await?;
        let account = change.account().clone();
        let row = tx
            .query_opt(
                "SELECT disabled_at IS NOT NULL, locked_at IS NOT NULL FROM accounts WHERE account_id = $1",
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
            (AccountChange::Unlock { .. }, Some(row)) if !row.get::<_, bool>(1) => {
                Some(Rejection::Conflict(FieldError::new(
                    "account_id",
                    format!("ユーザーID「{account}」はロックされていません"),
                )))
            }
            (AccountChange::Lock { .. }, Some(row)) if row.get::<_, bool>(1) => {
                // Already locked: nothing to record.
                tx.commit().await?;
                return Ok(Ok(Outcome::Account {
                    position: self.head,
                }));
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
                            failed_logins = 0
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
            AccountChange::Lock { account, failures } => {
                tx.execute(
                    "UPDATE accounts SET locked_at = $2 WHERE account_id = $1",
                    &[&account.as_str(), &now],
                )
                .await?;
                end_sessions(&tx, account).await?;
                Payload::AccountLocked {
                    account: account.clone(),
                    failures: *failures,
                }
            }
            AccountChange::Unlock { account } => {
                tx.execute(
                    "UPDATE accounts SET locked_at = NULL, failed_logins = 0 WHERE account_id = $1",
                    &[&account.as_str()],
                )
                .await?;
                Payload::AccountUnlocked {
                    account: account.clone(),
                }
            }
        };
        let head = Self::commit_one(tx, &mut self.head, &self.origin, actor, now, payload).await?;
        Ok(Ok(Outcome::Account { position: head }))
    }
}
