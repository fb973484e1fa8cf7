//! Account register, password and read-log RPCs. R.
//!
//! Thin: the register entry and the password policy are checked by
//! `anpi_core::account`; the writer changes the stored account with its event. After
//! any change the account's cached sessions are dropped, so a withdrawal, a lock or a
//! new role takes effect at the next request.

use crate::app::AppError;
use anpi_core::account::{self, AccountDraft, Role};
use anpi_core::ids::AccountId;
use anpi_core::validation::FieldError;
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};

use super::{Caller, NodeState, error};
use crate::store::accounts::{self, Registered};
use crate::store::writer::{AccountChange, Command};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn info(r: &Registered) -> v1::AccountInfo {
    v1::AccountInfo {
        account_id: r.account.clone(),
        holder: r.holder.clone(),
        affiliation: r.affiliation.clone(),
        contact: r.contact.clone(),
        role: r.role.clone(),
        role_label: Role::parse(&r.role)
            .map(|role| role.long_label_ja().to_string())
            .unwrap_or_default(),
        terminal: r.terminal.clone(),
        issued_at: time(r.issued_at),
        issued_by: r.issued_by.clone(),
        withdrawn_at: r.withdrawn_at.map(time).unwrap_or_default(),
        locked_at: r.locked_at.map(time).unwrap_or_default(),
        initial_password: r.initial_password,
        password_changed_at: time(r.password_changed_at),
    }
}

async fn registered(state: &NodeState, account: &AccountId) -> Result<v1::AccountInfo, AppError> {
    let all = state.accounts.register().await.map_err(error::store)?;
    all.iter()
        .find(|r| r.account == account.as_str())
        .map(info)
        .ok_or_else(|| AppError::NotFound(String::from("ユーザーIDが見つかりません")))
}

fn account_id(text: &str) -> Result<AccountId, AppError> {
    AccountId::parse(text)
        .map_err(|message| error::invalid(&[FieldError::new("account_id", message)]))
}

async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

async fn change(state: &NodeState, caller: &Caller, change: AccountChange) -> Result<(), AppError> {
    let account = change.account().clone();
    state
        .writer
        .submit(caller.actor.clone(), Command::Account(change))
        .await
        .map_err(error::rejection)?;
    state.accounts.forget(&account);
    Ok(())
}

/// issues an account with a one-time password.
pub async fn create(
    state: &NodeState,
    caller: &Caller,
    request: v1::CreateAccountRequest,
) -> Result<v1::IssuedPassword, AppError> {
    let draft = AccountDraft {
        account_id: request.account_id,
        holder: request.holder,
        affiliation: request.affiliation,
        contact: request.contact,
        role: request.role,
        terminal: request.terminal,
    };
    let spec = account::validate_account(&draft, state.config.tier)
        .map_err(|errors| error::invalid(&errors))?;
    let password = accounts::new_initial_password(spec.account_id.as_str());
    let id = spec.account_id.clone();
    let password_hash = hash(password.clone()).await?;
    change(
        state,
        caller,
        AccountChange::Create {
            spec,
            password_hash,
            initial: true,
        },
    )
    .await?;
    Ok(v1::IssuedPassword {
        account: Some(registered(state, &id).await?),
        message: format!(
            "ユーザーID「{id}」を発行しました。初期パスワードを本人に渡してください。初回ログイン時に変更が必要です（この画面以外では表示されません）"
        ),
        initial_password: password,
    })
}

pub async fn list(state: &NodeState) -> Result<v1::ListAccountsResponse, AppError> {
    let all = state.accounts.register().await.map_err(error::store)?;
    Ok(v1::ListAccountsResponse {
        accounts: all.iter().map(info).collect(),
    })
}

/// withdraws (返却) an account; an administrator cannot withdraw their own.
pub async fn withdraw(
    state: &NodeState,
    caller: &Caller,
    request: v1::AccountRequest,
) -> Result<v1::AccountInfo, AppError> {
    let account = account_id(&request.account_id)?;
    if account == caller.actor.account {
        return Err(AppError::Conflict(String::from(
            "自分のユーザーIDは返却できません。別の管理者に依頼してください",
        )));
    }
    change(
        state,
        caller,
        AccountChange::Withdraw {
            account: account.clone(),
        },
    )
    .await?;
    registered(state, &account).await
}

/// unlocks an account, another administrator's too: clears its lock (from before
/// throttling) and its login back-off, so its holder may log in at once.
pub async fn unlock(
    state: &NodeState,
    caller: &Caller,
    request: v1::AccountRequest,
) -> Result<v1::AccountInfo, AppError> {
    let account = account_id(&request.account_id)?;
    change(
        state,
        caller,
        AccountChange::Unlock {
            account: account.clone(),
        },
    )
    .await?;
    registered(state, &account).await
}

/// a new one-time password (the holder forgot theirs); their sessions end.
pub async fn reset(
    state: &NodeState,
    caller: &Caller,
    request: v1::AccountRequest,
) -> Result<v1::IssuedPassword, AppError> {
    let account = account_id(&request.account_id)?;
    let password = accounts::new_initial_password(account.as_str());
    let password_hash = hash(password.clone()).await?;
    change(
        state,
        caller,
        AccountChange::SetPassword {
            account: account.clone(),
            password_hash,
            initial: true,
        },
    )
    .await?;
    Ok(v1::IssuedPassword {
        account: Some(registered(state, &account).await?),
        message: format!(
            "ユーザーID「{account}」に新しい初期パスワードを発行しました。本人に渡してください。初回ログイン時に変更が必要です"
        ),
        initial_password: password,
    })
}

/// the caller changes their own password (the current one is checked).
pub async fn change_password(
    state: &NodeState,
    caller: &Caller,
    request: v1::ChangePasswordRequest,
) -> Result<v1::ChangePasswordResponse, AppError> {
    let account = caller.actor.account.clone();
    let (stored, initial) = state
        .accounts
        .password_of(&account)
        .await
        .map_err(error::store)?
        .ok_or_else(|| AppError::Unauthenticated(String::from("ログインしてください")))?;
    let current = request.current_password.clone();
    let stored_for_check = stored.clone();
    let current_ok =
        tokio::task::spawn_blocking(move || accounts::verify_password(&current, &stored_for_check))
            .await
            .unwrap_or(false);
    if !current_ok {
        return Err(error::invalid(&[FieldError::new(
            "current_password",
            "現在のパスワードが正しくありません",
        )]));
    }
    // "Not the initial password": while the one-time password is in use, the current
    // password is the initial one.
    let initial_password = initial.then_some(request.current_password.as_str());
    if let Err(broken) =
        account::check_password(&request.new_password, account.as_str(), initial_password)
    {
        let errors: Vec<FieldError> = broken
            .into_iter()
            .map(|message| FieldError::new("new_password", message))
            .collect();
        return Err(error::invalid(&errors));
    }
    if request.new_password == request.current_password {
        return Err(error::invalid(&[FieldError::new(
            "new_password",
            "現在と同じパスワードには変更できません",
        )]));
    }
    let password_hash = hash(request.new_password).await?;
    change(
        state,
        caller,
        AccountChange::SetPassword {
            account,
            password_hash,
            initial: false,
        },
    )
    .await?;
    Ok(v1::ChangePasswordResponse {
        message: "パスワードを変更しました".into(),
    })
}

/// the read log, newest first.
pub async fn reads(
    state: &NodeState,
    request: v1::ListReadsRequest,
) -> Result<v1::ListReadsResponse, AppError> {
    let limit = match request.limit {
        0 => 100,
        n => i64::from(n.clamp(1, 10_000)),
    };
    let account = Some(request.account_id.trim()).filter(|a| !a.is_empty());
    let entries = state
        .accounts
        .reads(account, limit)
        .await
        .map_err(error::store)?;
    Ok(v1::ListReadsResponse {
        reads: entries
            .into_iter()
            .map(|e| v1::ReadEntry {
                at: time(e.at),
                account: e.account,
                role: e.role,
                operation: e.operation,
                query_json: e.query,
                results: e.results,
            })
            .collect(),
    })
}
