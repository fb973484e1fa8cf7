//! Login, logout and the password change. The login refuses every way
//! alike (A-03: IDs and their state cannot be probed); a one-time or 180-day-old
//! password leads to the password page, and no other page opens until it is changed.

use std::net::SocketAddr;

use anpi_core::account;
use askama::Template;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::app::AppError;
use crate::console::{Clerk, FormErrors, Frame, Posted, Shared, fail, render, session};

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    node: String,
    account: &'a str,
    message: Option<String>,
}

fn node_label(state: &Shared) -> String {
    let config = &state.node.config;
    match &config.name {
        Some(name) => format!("{name}（{}）", config.jurisdiction),
        None => config.jurisdiction.to_string(),
    }
}

pub async fn login_page(State(state): State<Shared>) -> Response {
    render(&LoginPage {
        node: node_label(&state),
        account: "",
        message: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    account: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<Shared>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // No session yet, so no token: the form must at least come from this site.
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none")
    {
        return StatusCode::FORBIDDEN.into_response();
    }
    match state
        .node
        .login(form.account.trim(), &form.password, Some(client.ip()))
        .await
    {
        Ok((token, session)) => {
            let id = state.sessions.start(token);
            let to = if session.state == account::LoginState::Active {
                "/"
            } else {
                "/password"
            };
            (
                [(
                    header::SET_COOKIE,
                    session::set_cookie(Some(&id), state.secure),
                )],
                Redirect::to(to),
            )
                .into_response()
        }
        Err(AppError::Unauthenticated(message)) => {
            let mut response = render(&LoginPage {
                node: node_label(&state),
                account: form.account.trim(),
                message: Some(message),
            });
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
        Err(error) => fail(error),
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn logout(State(state): State<Shared>, posted: Posted<Nothing>) -> Response {
    state.sessions.end(&posted.clerk.id);
    (
        [(header::SET_COOKIE, session::set_cookie(None, state.secure))],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    frame: Frame,
    reason: Option<String>,
    rule: String,
    errors: FormErrors,
}

fn password_page_for(state: &Shared, clerk: &Clerk, errors: FormErrors) -> Response {
    let frame = Frame::new(state, clerk, "/password", &[]);
    render(&PasswordPage {
        frame,
        reason: account::must_change_message(clerk.session.state),
        rule: format!(
            "{}〜{}文字。英字・数字・記号を組み合わせ、IDや初期パスワードと同じものは使えません。",
            account::PASSWORD_MIN_CHARS,
            account::PASSWORD_MAX_CHARS
        ),
        errors,
    })
}

pub async fn password_page(State(state): State<Shared>, clerk: Clerk) -> Response {
    password_page_for(&state, &clerk, FormErrors::default())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<Shared>,
    posted: Posted<PasswordForm>,
) -> Response {
    let Posted { clerk, form } = posted;
    if form.new_password != form.confirm {
        let errors = FormErrors::one(
            "confirm",
            "確認のため、新しいパスワードを同じように2回入力してください",
        );
        return password_page_for(&state, &clerk, errors);
    }
    match state
        .node
        .change_password(&clerk.session, &form.current_password, &form.new_password)
        .await
    {
        Ok(_) => crate::console::redirect_with(&state, &clerk, "/", "パスワードを変更しました"),
        Err(AppError::Invalid(errors)) => {
            password_page_for(&state, &clerk, FormErrors::of(&errors))
        }
        Err(error) => fail(error),
    }
}
