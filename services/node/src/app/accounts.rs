//! Login, the account register, passwords and the read log.
//!
//! The register entry and the password policy are checked by `anpi_core::account`; the
//! writer changes the stored account with its event. After any change the account's
//! cached sessions are dropped, so a withdrawal, a lock or a new role takes effect at
//! the next request.

use std::net::IpAddr;

use anpi_core::account::{self, AccountDraft, Operation};
use anpi_core::ids::AccountId;
use anpi_core::validation::FieldError;

use super::{AppError, Caller, NodeState};
use crate::store::accounts::{self, Login, ReadEntry, Refusal, Registered, Session};
use crate::store::writer::{AccountChange, AccountWritten, Command};

/// An account with a one-time password, shown only now.
#[derive(Debug, Clone)]
pub struct IssuedPassword {
    pub account: Registered,
    pub initial_password: String,
    pub message: String,
}

async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

impl NodeState {
    /// logs in (throttled per account and per address, `client`): the login token
    /// and its session. Every refusal gets the same answer: IDs and their state cannot
    /// be probed.
    pub async fn login(
        &self,
        account: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(String, Session), AppError> {
        let account = AccountId::parse(account).ok();
        let login = self
            .accounts
            .login(
                account.as_ref(),
                password,
                client,
                &self.config.login_throttle,
            )
            .await?;
        match login {
            Login::Ok(token, session) => {
                tracing::info!(account = %session.account, role = session.role.as_str(), "login");
                Ok((token, session))
            }
            Login::Refused(reason) => {
                crate::metrics::METRICS.login_failures.add(1);
                log_refusal(account.as_ref(), client, reason);
                Err(AppError::Unauthenticated(String::from(
                    account::LOGIN_REFUSED_MESSAGE,
                )))
            }
        }
    }

    /// issues an account with a one-time password.
    pub async fn create_account(
        &self,
        session: &Session,
        draft: AccountDraft,
    ) -> Result<IssuedPassword, AppError> {
        let caller = self.authorize(session, Operation::ManageAccounts)?;
        let spec =
            account::validate_account(&draft, self.config.tier).map_err(AppError::Invalid)?;
        let password = accounts::new_initial_password(spec.account_id.as_str());
        let id = spec.account_id.clone();
        let password_hash = hash(password.clone()).await?;
        self.change_account(
            &caller,
            AccountChange::Create {
                spec,
                password_hash,
                initial: true,
            },
        )
        .await?;
        Ok(IssuedPassword {
            account: self.registered(&id).await?,
            message: format!(
                "ユーザーID「{id}」を発行しました。初期パスワードを本人に渡してください。初回ログイン時に変更が必要です（この画面以外では表示されません）"
            ),
            initial_password: password,
        })
    }

    /// The register, in issuing order.
    pub async fn list_accounts(&self, session: &Session) -> Result<Vec<Registered>, AppError> {
        self.authorize(session, Operation::ManageAccounts)?;
        Ok(self.accounts.register().await?)
    }

    /// withdraws (返却) an account; an administrator cannot withdraw their own.
    pub async fn withdraw_account(
        &self,
        session: &Session,
        account: AccountId,
    ) -> Result<Registered, AppError> {
        let caller = self.authorize(session, Operation::ManageAccounts)?;
        if account == caller.actor.account {
            return Err(AppError::Conflict(String::from(
                "自分のユーザーIDは返却できません。別の管理者に依頼してください",
            )));
        }
        self.change_account(
            &caller,
            AccountChange::Withdraw {
                account: account.clone(),
            },
        )
        .await?;
        self.registered(&account).await
    }

    /// unlocks an account, another administrator's too: clears its lock (from
    /// before throttling) and its login back-off, so its holder may log in at once.
    pub async fn unlock_account(
        &self,
        session: &Session,
        account: AccountId,
    ) -> Result<Registered, AppError> {
        let caller = self.authorize(session, Operation::ManageAccounts)?;
        self.change_account(
            &caller,
            AccountChange::Unlock {
                account: account.clone(),
            },
        )
        .await?;
        self.registered(&account).await
    }

    /// a new one-time password (the holder forgot theirs); their sessions end.
    pub async fn reset_password(
        &self,
        session: &Session,
        account: AccountId,
    ) -> Result<IssuedPassword, AppError> {
        let caller = self.authorize(session, Operation::ManageAccounts)?;
        let password = accounts::new_initial_password(account.as_str());
        let password_hash = hash(password.clone()).await?;
        self.change_account(
            &caller,
            AccountChange::SetPassword {
                account: account.clone(),
                password_hash,
                initial: true,
            },
        )
        .await?;
        Ok(IssuedPassword {
            account: self.registered(&account).await?,
            message: format!(
                "ユーザーID「{account}」に新しい初期パスワードを発行しました。本人に渡してください。初回ログイン時に変更が必要です"
            ),
            initial_password: password,
        })
    }

    /// the caller changes their own password (the current one is checked);
    /// returns the message for the user.
    pub async fn change_password(
        &self,
        session: &Session,
        current_password: &str,
        new_password: &str,
    ) -> Result<String, AppError> {
        let caller = self.authorize(session, Operation::ChangeOwnPassword)?;
        let account = caller.actor.account.clone();
        let (stored, initial) = self
            .accounts
            .password_of(&account)
            .await?
            .ok_or_else(|| AppError::Unauthenticated(String::from("ログインしてください")))?;
        let current = current_password.to_string();
        let current_ok =
            tokio::task::spawn_blocking(move || accounts::verify_password(&current, &stored))
                .await
                .unwrap_or(false);
        if !current_ok {
            return Err(AppError::field(
                "current_password",
                "現在のパスワードが正しくありません",
            ));
        }
        // "Not the initial password": while the one-time password is in use, the current
        // password is the initial one.
        let initial_password = initial.then_some(current_password);
        if let Err(broken) =
            account::check_password(new_password, account.as_str(), initial_password)
        {
            return Err(AppError::Invalid(
                broken
                    .into_iter()
                    .map(|message| FieldError::new("new_password", message))
                    .collect(),
            ));
        }
        if new_password == current_password {
            return Err(AppError::field(
                "new_password",
                "現在と同じパスワードには変更できません",
            ));
        }
        let password_hash = hash(new_password.to_string()).await?;
        self.change_account(
            &caller,
            AccountChange::SetPassword {
                account,
                password_hash,
                initial: false,
            },
        )
        .await?;
        Ok("パスワードを変更しました".into())
    }

    /// the read log, newest first, of one account or of all (`account` empty);
    /// `limit`: 0 means 100.
    pub async fn read_log(
        &self,
        session: &Session,
        account: &str,
        limit: i32,
    ) -> Result<Vec<ReadEntry>, AppError> {
        self.authorize(session, Operation::ReadAccessLog)?;
        let limit = match limit {
            0 => 100,
            n => i64::from(n.clamp(1, 10_000)),
        };
        let account = Some(account.trim()).filter(|a| !a.is_empty());
        Ok(self.accounts.reads(account, limit).await?)
    }

    /// Writes an account change and drops the account's cached sessions.
    async fn change_account(&self, caller: &Caller, change: AccountChange) -> Result<(), AppError> {
        let account = change.account().clone();
        let _: AccountWritten = self
            .writer
            .ask(caller.actor.clone(), Command::Account(change))
            .await?;
        self.accounts.forget(&account);
        Ok(())
    }

    /// The register entry of `account`.
    async fn registered(&self, account: &AccountId) -> Result<Registered, AppError> {
        self.accounts
            .register()
            .await?
            .into_iter()
            .find(|r| r.account == account.as_str())
            .ok_or_else(|| AppError::NotFound(String::from("ユーザーIDが見つかりません")))
    }
}

/// The node's own record of a refused login (never shown to the caller): a warning when
/// an account or an address starts to be slowed down, otherwise at debug level.
fn log_refusal(account: Option<&AccountId>, client: Option<IpAddr>, reason: Refusal) {
    let account = account.map(AccountId::as_str).unwrap_or("(malformed)");
    let client = client.map(|ip| ip.to_string()).unwrap_or_default();
    match reason {
        Refusal::WrongPassword {
            failures,
            throttled_until: Some(until),
        } => tracing::warn!(
            account,
            client = %client,
            failures,
            until = %until,
            "failed logins: the account is slowed down"
        ),
        Refusal::Gate(account::Gate::AddressThrottled { until }) => {
            tracing::debug!(client = %client, until = %until, "login refused: the address is slowed down")
        }
        reason => tracing::debug!(account, client = %client, ?reason, "login refused"),
    }
}
