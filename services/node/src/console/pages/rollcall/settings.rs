//! `/rollcall/settings`: the mail server the roll-call mails go out through (K-06,
//! source pages 03, 04) — sender, SMTP server, port, STARTTLS / TLS / none, SMTP AUTH,
//! the access URLs — saved with 保存, or tried with a test mail to an address typed in
//! (テスト送信; nothing is saved). The SMTP password is never shown; left blank, the
//! stored one is kept. Below: the roll-call administrators (機能管理者 / 防災管理者 with
//! their organisations, K-04, page 05), appointed and removed here.

use anpi_core::ids::AccountId;
use anpi_core::rollcall::mail::{MailSettings, SettingsInput};
use anpi_core::rollcall::{Authority, RollcallRole};
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{
    OrgOption, caller, frame, grouped, org_options, problem, shown, ticked_orgs, value, values,
};
use crate::app::AppError;
use crate::console::{Clerk, FormErrors, Frame, Posted, Shared, fail, redirect_with, render};

/// The encryption choices: (value, label, hint).
pub const SECURITIES: [(&str, &str, &str); 3] = [
    ("starttls", "STARTTLS", "通常はこちら・ポート 587"),
    ("tls", "TLS", "最初から暗号化・ポート 465"),
    (
        "none",
        "なし",
        "庁内ネットワークの中継サーバーだけ・ポート 25",
    ),
];

/// The settings form as shown (never the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsForm {
    pub sender: String,
    pub sender_name: String,
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub internal_url: String,
    pub external_url: String,
    pub ca_pem: String,
    pub test_to: String,
}

impl Default for SettingsForm {
    fn default() -> SettingsForm {
        SettingsForm {
            sender: String::new(),
            sender_name: String::new(),
            host: String::new(),
            port: "587".into(),
            security: "starttls".into(),
            username: String::new(),
            internal_url: String::new(),
            external_url: String::new(),
            ca_pem: String::new(),
            test_to: String::new(),
        }
    }
}

impl SettingsForm {
    pub fn of(settings: &MailSettings) -> SettingsForm {
        SettingsForm {
            sender: settings.sender.to_string(),
            sender_name: settings.sender_name.clone(),
            host: settings.host.clone(),
            port: settings.port.to_string(),
            security: settings.security.as_str().into(),
            username: settings.username.clone(),
            internal_url: settings.internal_url.clone(),
            external_url: settings.external_url.clone(),
            ca_pem: settings.ca_pem.clone(),
            test_to: String::new(),
        }
    }

    pub fn input(&self) -> SettingsInput {
        SettingsInput {
            sender: self.sender.clone(),
            sender_name: self.sender_name.clone(),
            host: self.host.clone(),
            port: self.port.clone(),
            security: self.security.clone(),
            username: self.username.clone(),
            internal_url: self.internal_url.clone(),
            external_url: self.external_url.clone(),
            ca_pem: self.ca_pem.clone(),
        }
    }
}

/// One administrator of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub account: String,
    pub label: &'static str,
    pub orgs: Vec<String>,
    /// This clerk may remove it.
    pub removable: bool,
}

/// The result of a test mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub ok: bool,
    pub text: String,
}

/// The appointment form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignForm {
    pub account: String,
    pub role: String,
    pub orgs: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/rollcall_settings.html")]
pub struct SettingsPage {
    pub frame: Frame,
    pub form: SettingsForm,
    pub password_set: bool,
    /// The system administrator: the mail server may be changed.
    pub can_edit: bool,
    pub securities: [(&'static str, &'static str, &'static str); 3],
    pub test: Option<TestResult>,
    pub roles: Vec<RoleRow>,
    pub can_appoint: bool,
    pub can_appoint_function: bool,
    pub orgs: Vec<Vec<OrgOption>>,
    pub assign: AssignForm,
    pub errors: FormErrors,
}

impl SettingsPage {
    pub fn here(&self) -> &'static str {
        "settings"
    }
}

/// What the page shows besides the form.
async fn show(
    state: &Shared,
    clerk: &Clerk,
    form: Option<SettingsForm>,
    test: Option<TestResult>,
    assign: AssignForm,
    errors: Vec<FieldError>,
) -> Response {
    let who = match caller(state, clerk).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let stored = match state.node.rollcall_settings(&clerk.session).await {
        Ok(stored) => stored,
        Err(error) => return fail(error),
    };
    let roles = match state.node.rollcall_roles(&clerk.session).await {
        Ok(roles) => roles,
        Err(error) => return fail(error),
    };
    let password_set = stored.as_ref().is_some_and(|(_, set)| *set);
    let form = form.unwrap_or_else(|| {
        stored
            .as_ref()
            .map_or_else(SettingsForm::default, |(s, _)| SettingsForm::of(s))
    });
    let refused = !errors.is_empty();
    let page = SettingsPage {
        frame: frame(state, clerk).await,
        form,
        password_set,
        can_edit: who.authority.may_set_mail_server().is_ok(),
        securities: SECURITIES,
        test,
        roles: roles
            .into_iter()
            .map(|(account, role)| RoleRow {
                removable: who.authority.may_appoint(Some(&role)).is_ok(),
                label: role.label(),
                orgs: match &role {
                    RollcallRole::Function => vec!["すべての組織".into()],
                    RollcallRole::DisasterPrevention { orgs } => {
                        orgs.iter().map(|o| who.tree.path(o)).collect()
                    }
                },
                account,
            })
            .collect(),
        can_appoint: matches!(who.authority, Authority::System | Authority::Function),
        can_appoint_function: who
            .authority
            .may_appoint(Some(&RollcallRole::Function))
            .is_ok(),
        orgs: grouped(org_options(&who.tree, &Authority::System, &assign.orgs)),
        assign,
        errors: shown(&errors, ""),
    };
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall/settings.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(
        &state,
        &clerk,
        None,
        None,
        AssignForm::default(),
        Vec::new(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    sender: String,
    #[serde(default)]
    sender_name: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    clear_password: String,
    #[serde(default)]
    internal_url: String,
    #[serde(default)]
    external_url: String,
    #[serde(default)]
    ca_pem: String,
    #[serde(default)]
    test_to: String,
    #[serde(default)]
    action: String,
}

/// The password to use: typed, cleared on request, or `None` (the stored one).
pub fn password_choice(typed: &str, clear: bool) -> Option<String> {
    if clear {
        Some(String::new())
    } else if typed.is_empty() {
        None
    } else {
        Some(typed.to_string())
    }
}

/// POST /rollcall/settings: `action` `save` (保存) or `test` (テスト送信, nothing saved).
pub async fn submit(State(state): State<Shared>, posted: Posted<SubmitForm>) -> Response {
    let Posted { clerk, form } = posted;
    let typed = SettingsForm {
        sender: form.sender,
        sender_name: form.sender_name,
        host: form.host,
        port: form.port,
        security: form.security,
        username: form.username,
        internal_url: form.internal_url,
        external_url: form.external_url,
        ca_pem: form.ca_pem,
        test_to: form.test_to,
    };
    let password = password_choice(&form.password, form.clear_password == "yes");
    if form.action == "test" {
        let result = state
            .node
            .rollcall_test_mail(&clerk.session, &typed.input(), password, &typed.test_to)
            .await;
        let (test, errors) = match result {
            Ok(reply) => (
                Some(TestResult {
                    ok: true,
                    text: format!(
                        "{} 宛にテストメールを送信しました（サーバーの応答：{}）。届いたか確かめてください。設定はまだ保存されていません。",
                        typed.test_to.trim(),
                        reply.trim()
                    ),
                }),
                Vec::new(),
            ),
            Err(AppError::Conflict(message)) => (
                Some(TestResult {
                    ok: false,
                    text: message,
                }),
                Vec::new(),
            ),
            Err(AppError::Invalid(errors)) => (None, errors),
            Err(error) => return fail(error),
        };
        let failed = test.as_ref().is_some_and(|t| !t.ok);
        let mut response = show(
            &state,
            &clerk,
            Some(typed),
            test,
            AssignForm::default(),
            errors,
        )
        .await;
        if failed && response.status() == StatusCode::OK {
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        return response;
    }
    match state
        .node
        .rollcall_set_settings(&clerk.session, &typed.input(), password)
        .await
    {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            "/rollcall/settings",
            "配信メールサーバーの設定を保存しました。",
        ),
        Err(AppError::Invalid(errors)) => {
            show(
                &state,
                &clerk,
                Some(typed),
                None,
                AssignForm::default(),
                errors,
            )
            .await
        }
        Err(error) => fail(error),
    }
}

/// The role a form asks for: `function`, `disaster_prevention` with organisations, or
/// empty (removal), with the problems by field.
pub fn requested_role(
    role: &str,
    orgs: Vec<anpi_core::rollcall::OrgCode>,
) -> Result<Option<RollcallRole>, FieldError> {
    match role {
        "" => Ok(None),
        "function" => Ok(Some(RollcallRole::Function)),
        "disaster_prevention" if orgs.is_empty() => Err(problem(
            "role_orgs",
            "担当組織",
            "防災管理者には、担当する組織を1つ以上選んでください",
        )),
        "disaster_prevention" => Ok(Some(RollcallRole::DisasterPrevention { orgs })),
        _ => Err(problem(
            "role",
            "役割",
            "機能管理者か防災管理者かを選んでください",
        )),
    }
}

/// POST /rollcall/roles: `account`, `role` (`function` / `disaster_prevention`; empty:
/// remove the account's role), `org` (repeated, for 防災管理者).
pub async fn assign(
    State(state): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let typed = AssignForm {
        account: value(&form, "account").trim().to_string(),
        role: value(&form, "role").to_string(),
        orgs: values(&form, "org"),
    };
    let removing = value(&form, "remove") == "yes";
    let mut errors = Vec::new();
    let account = match AccountId::parse(&typed.account) {
        Ok(account) => Some(account),
        Err(message) => {
            errors.push(problem("account_id", "ユーザーID", message));
            None
        }
    };
    let (orgs, org_errors) = ticked_orgs(&form, "org", "role_orgs", "担当組織");
    errors.extend(org_errors);
    let role = if removing {
        Ok(None)
    } else if typed.role.is_empty() {
        Err(problem(
            "role",
            "役割",
            "機能管理者か防災管理者かを選んでください",
        ))
    } else {
        requested_role(&typed.role, orgs)
    };
    let role = match role {
        Ok(role) => Some(role),
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let (Some(account), Some(role)) = (account, role) else {
        return show(&state, &clerk, None, None, typed, errors).await;
    };
    let notice = match &role {
        None => format!("{account} の安否確認の管理者の役割を外しました。"),
        Some(role) => format!("{account} を{}に設定しました。", role.label()),
    };
    match state
        .node
        .rollcall_assign(&clerk.session, account, role)
        .await
    {
        Ok(_) => redirect_with(&state, &clerk, "/rollcall/settings#roles-heading", notice),
        Err(AppError::Invalid(found)) => {
            let errors = found
                .into_iter()
                .map(|e| problem("role_orgs", "担当組織", e.message))
                .collect();
            show(&state, &clerk, None, None, typed, errors).await
        }
        Err(AppError::NotFound(message)) => {
            show(
                &state,
                &clerk,
                None,
                None,
                typed,
                vec![problem("account_id", "ユーザーID", message)],
            )
            .await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{frame, tree};
    use super::*;

    fn page(errors: Vec<FieldError>, test: Option<TestResult>) -> SettingsPage {
        SettingsPage {
            frame: frame(),
            form: SettingsForm {
                sender: "anpi@city.example.lg.jp".into(),
                host: "\"><script>".into(),
                ..SettingsForm::default()
            },
            password_set: true,
            can_edit: true,
            securities: SECURITIES,
            test,
            roles: vec![RoleRow {
                account: "bousai1".into(),
                label: "防災管理者",
                orgs: vec!["総務部 / 防災課".into()],
                removable: true,
            }],
            can_appoint: true,
            can_appoint_function: true,
            orgs: grouped(org_options(&tree(), &Authority::System, &[])),
            assign: AssignForm::default(),
            errors: shown(&errors, ""),
        }
    }

    #[test]
    fn the_form_never_shows_a_password_and_names_each_refused_field() {
        let errors = MailSettings::parse(&SettingsInput {
            sender: "anpi".into(),
            port: "x".into(),
            ..SettingsInput::default()
        })
        .unwrap_err();
        let html = page(errors, None).render().unwrap();
        assert!(html.contains("id=\"err-mail_sender\""));
        assert!(html.contains("id=\"err-smtp_port\""));
        assert!(html.contains("id=\"err-external_url\""));
        assert!(!html.contains("<script>"));
        let password = &html[html.find("id=\"field-smtp_password\"").unwrap()..];
        let tag = &password[..password.find('>').unwrap()];
        assert!(!tag.contains("value="), "{tag}");
        assert!(html.contains("テスト送信では設定は保存されません"));
        assert!(html.contains("POP before SMTP"));
        assert!(html.contains("value=\"starttls\" checked"));
        assert!(!html.contains("style="));
    }

    #[test]
    fn a_test_result_and_the_administrators_are_shown() {
        let html = page(
            Vec::new(),
            Some(TestResult {
                ok: false,
                text: "接続できません".into(),
            }),
        )
        .render()
        .unwrap();
        assert!(html.contains("id=\"test-result\""));
        assert!(html.contains("接続できません"));
        assert!(html.contains("bousai1") && html.contains("総務部 / 防災課"));
        assert_eq!(password_choice("", false), None);
        assert_eq!(password_choice("pw", false), Some("pw".into()));
        assert_eq!(password_choice("pw", true), Some(String::new()));
        assert_eq!(
            requested_role("function", vec![]),
            Ok(Some(RollcallRole::Function))
        );
        assert_eq!(
            requested_role("disaster_prevention", vec![])
                .unwrap_err()
                .field,
            "role_orgs"
        );
        assert_eq!(requested_role("x", vec![]).unwrap_err().field, "role");
    }
}
