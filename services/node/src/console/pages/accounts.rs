//! ユーザーID管理 (A-01, A-03; guideline 第3, the register of 表3-5): the node's
//! administrator issues user IDs (the one-time password is shown once, on the page the
//! issue answers, and never again), and withdraws (返却), unlocks and resets them. The
//! register lists every ID with its holder, role, terminal, who issued it when, and its
//! state. All from `app::accounts`; URLs carry only user IDs.

use anpi_core::account::{AccountDraft, Role};
use anpi_core::ids::AccountId;
use anpi_core::jurisdiction::Tier;
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppError;
use crate::app::accounts::IssuedPassword;
use crate::console::{
    Clerk, FormErrors, Frame, Posted, Shared, fail, frame_for, jst, redirect_with, render,
};
use crate::store::accounts::Registered;

/// One ID of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub account: String,
    pub holder: String,
    pub affiliation: String,
    pub contact: String,
    pub role: String,
    pub terminal: String,
    pub issued: String,
    /// 使用中 / 初期パスワード / ロック中 / 返却済み.
    pub state: &'static str,
    pub tag: &'static str,
    pub withdrawn: bool,
    pub locked: bool,
    /// The caller's own ID (it cannot be withdrawn here).
    pub own: bool,
}

impl AccountRow {
    pub fn of(account: &Registered, caller: &str) -> AccountRow {
        let (state, tag) = if account.withdrawn_at.is_some() {
            ("返却済み", "tag-never")
        } else if account.locked_at.is_some() {
            ("ロック中", "tag-failed")
        } else if account.initial_password {
            ("初期パスワード（未変更）", "tag-warning")
        } else {
            ("使用中", "tag-ok")
        };
        AccountRow {
            account: account.account.clone(),
            holder: account.holder.clone(),
            affiliation: account.affiliation.clone(),
            contact: account.contact.clone(),
            role: Role::parse(&account.role)
                .map_or_else(|| account.role.clone(), |r| r.long_label_ja().to_string()),
            terminal: account.terminal.clone(),
            issued: format!("{}（{}）", jst(account.issued_at), account.issued_by),
            state,
            tag,
            withdrawn: account.withdrawn_at.is_some(),
            locked: account.locked_at.is_some(),
            own: account.account == caller,
        }
    }
}

/// A role that may be chosen here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// The roles a node of `tier` issues (公開担当 only at the national tier), `chosen`
/// checked.
pub fn role_choices(tier: Tier, chosen: &str) -> Vec<RoleChoice> {
    Role::ALL
        .into_iter()
        .filter(|role| *role != Role::Publisher || tier == Tier::National)
        .map(|role| RoleChoice {
            value: role.as_str(),
            label: role.long_label_ja(),
            checked: role.as_str() == chosen,
        })
        .collect()
}

/// The one-time password just issued (shown on this answer only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub account: String,
    pub password: String,
    pub message: String,
}

impl From<IssuedPassword> for Issued {
    fn from(issued: IssuedPassword) -> Issued {
        Issued {
            account: issued.account.account,
            password: issued.initial_password,
            message: issued.message,
        }
    }
}

#[derive(Template)]
#[template(path = "console/accounts.html")]
pub struct AccountsPage {
    pub frame: Frame,
    pub rows: Vec<AccountRow>,
    pub roles: Vec<RoleChoice>,
    pub form: AccountDraft,
    pub errors: FormErrors,
    pub issued: Option<Issued>,
}

/// The issue form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    terminal: String,
}

impl From<AccountForm> for AccountDraft {
    fn from(form: AccountForm) -> AccountDraft {
        AccountDraft {
            account_id: form.account_id,
            holder: form.holder,
            affiliation: form.affiliation,
            contact: form.contact,
            role: form.role,
            terminal: form.terminal,
        }
    }
}

async fn show(
    state: &Shared,
    clerk: &Clerk,
    form: AccountDraft,
    errors: &[FieldError],
    issued: Option<Issued>,
) -> Response {
    let register = match state.node.list_accounts(&clerk.session).await {
        Ok(register) => register,
        Err(error) => return fail(error),
    };
    let caller = clerk.session.account.to_string();
    let page = AccountsPage {
        frame: frame_for(state, clerk, "/accounts").await,
        rows: register
            .iter()
            .map(|a| AccountRow::of(a, &caller))
            .collect(),
        roles: role_choices(state.node.config.tier, &form.role),
        form,
        errors: super::rollcall::shown(errors, ""),
        issued,
    };
    let mut response = render(&page);
    if !errors.is_empty() && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /accounts.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(&state, &clerk, AccountDraft::default(), &[], None).await
}

/// POST /accounts: issues an ID; the answer shows its one-time password.
pub async fn issue(State(state): State<Shared>, posted: Posted<AccountForm>) -> Response {
    let Posted { clerk, form } = posted;
    let draft = AccountDraft::from(form);
    match state
        .node
        .create_account(&clerk.session, draft.clone())
        .await
    {
        Ok(issued) => {
            show(
                &state,
                &clerk,
                AccountDraft::default(),
                &[],
                Some(issued.into()),
            )
            .await
        }
        Err(AppError::Invalid(errors)) => show(&state, &clerk, draft, &errors, None).await,
        Err(error) => fail(error),
    }
}

fn account_of(id: &str) -> Result<AccountId, AppError> {
    AccountId::parse(id)
        .map_err(|_| AppError::NotFound(format!("ユーザーID「{id}」は登録されていません")))
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// What a button of the register does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Withdraw,
    Unlock,
}

async fn act(state: Shared, id: String, clerk: Clerk, action: Action) -> Response {
    let account = match account_of(&id) {
        Ok(account) => account,
        Err(error) => return fail(error),
    };
    let done = match action {
        Action::Withdraw => state.node.withdraw_account(&clerk.session, account).await,
        Action::Unlock => state.node.unlock_account(&clerk.session, account).await,
    };
    let notice = match action {
        Action::Withdraw => format!(
            "ユーザーID「{id}」を返却済みにしました。このIDではログインできず、使用中の画面も次の操作でログイン画面に戻ります。"
        ),
        Action::Unlock => {
            format!("ユーザーID「{id}」のロックを解除しました。すぐにログインできます。")
        }
    };
    match done {
        Ok(_) => redirect_with(&state, &clerk, "/accounts", notice),
        Err(error) => fail(error),
    }
}

/// POST /accounts/{id}/withdraw (返却).
pub async fn withdraw(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Empty>,
) -> Response {
    act(state, id, posted.clerk, Action::Withdraw).await
}

/// POST /accounts/{id}/unlock.
pub async fn unlock(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Empty>,
) -> Response {
    act(state, id, posted.clerk, Action::Unlock).await
}

/// POST /accounts/{id}/reset: a new one-time password, shown on the answer.
pub async fn reset(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Empty>,
) -> Response {
    let account = match account_of(&id) {
        Ok(account) => account,
        Err(error) => return fail(error),
    };
    let Posted { clerk, .. } = posted;
    match state.node.reset_password(&clerk.session, account).await {
        Ok(issued) => {
            show(
                &state,
                &clerk,
                AccountDraft::default(),
                &[],
                Some(issued.into()),
            )
            .await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::console::pages::rollcall::tests::frame;

    fn registered(account: &str, withdrawn: bool, initial: bool) -> Registered {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        Registered {
            account: account.into(),
            holder: "<b>千代田 花子</b>".into(),
            affiliation: "総務課".into(),
            contact: "内線 100".into(),
            role: "input".into(),
            terminal: "LGWAN端末".into(),
            issued_at: at,
            issued_by: "admin".into(),
            withdrawn_at: withdrawn.then_some(at),
            locked_at: None,
            initial_password: initial,
            password_changed_at: at,
        }
    }

    #[test]
    fn the_register_shows_each_state_and_the_password_only_when_just_issued() {
        let rows = vec![
            AccountRow::of(&registered("admin", false, false), "admin"),
            AccountRow::of(&registered("clerk1", false, true), "admin"),
            AccountRow::of(&registered("clerk2", true, false), "admin"),
        ];
        assert_eq!(rows[1].state, "初期パスワード（未変更）");
        assert_eq!(rows[2].state, "返却済み");
        assert_eq!(rows[1].role, "入力端末");
        assert_eq!(rows[0].issued, "2026-12-01 09:00（admin）");
        let mut page = AccountsPage {
            frame: frame(),
            rows,
            roles: role_choices(Tier::Municipality, "input"),
            form: AccountDraft::default(),
            errors: FormErrors::default(),
            issued: None,
        };
        assert!(
            !page.roles.iter().any(|r| r.value == "publisher"),
            "公開担当 only at the national tier"
        );
        assert!(
            role_choices(Tier::National, "")
                .iter()
                .any(|r| r.value == "publisher")
        );
        let html = page.render().unwrap();
        assert!(html.contains("id=\"account-table\""));
        assert!(!html.contains("<b>千代田"), "escaped");
        assert!(!html.contains("id=\"issued\""));
        // The own ID has no withdraw button; a withdrawn one has no actions.
        assert!(!html.contains("action=\"/accounts/admin/withdraw\""));
        assert!(!html.contains("action=\"/accounts/admin/reset\""));
        assert!(html.contains("action=\"/accounts/clerk1/withdraw\""));
        assert!(!html.contains("action=\"/accounts/clerk2/reset\""));
        page.issued = Some(Issued {
            account: "clerk1".into(),
            password: "Xy3-secret".into(),
            message: "発行しました".into(),
        });
        let html = page.render().unwrap();
        assert!(html.contains("id=\"issued\""));
        assert!(html.contains("Xy3-secret"));
        assert!(!html.contains("style="));
    }
}
