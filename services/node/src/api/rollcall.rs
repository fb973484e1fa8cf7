//! Roll-call on the wire (K-01..K-06, K-08, K-09): the `Rollcall` service. Thin: the
//! session, the codes and IDs parsed, one use case of `crate::app::rollcall` (emergency
//! contacts: `crate::app::rollcall_contacts`) called, the reply converted. `anpi
//! rollcall …` is its client.

use std::sync::Arc;

use anpi_core::ids::{AccountId, RollcallId};
use anpi_core::rollcall::call::{OrgCount, Progress, RollCall};
use anpi_core::rollcall::contact::{CheckState, ContactPurpose, PhoneNumber};
use anpi_core::rollcall::mail::SettingsInput;
use anpi_core::rollcall::{
    MailAddress, Member, MemberCode, Mode, OrgCode, OrgTree, Organisation, RollcallRole, Template,
    TemplateKind,
};
use anpi_core::validation::FieldError;
use anpi_files::rollcall::{CONTACT_COLUMNS, DirectoryFileError};
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};
use tonic::{Request, Response, Status};

use super::{NodeState, parse_id, session};
use crate::app::AppError;
use crate::app::rollcall::Dashboard;
use crate::app::rollcall_contacts::{ContactEntry, ContactImport, check_rows};
use crate::store::rollcall::{AnswerRow, Listed, Recipient};
use crate::store::writer::RollcallWritten;

/// The Rollcall service.
pub struct RollcallService(pub Arc<NodeState>);

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn optional_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_default()
}

fn written(w: RollcallWritten) -> v1::RollcallWritten {
    v1::RollcallWritten {
        position: w.position.unwrap_or(0),
        events: w.events as i64,
        rollcall_id: w.rollcall.map(|id| id.to_string()).unwrap_or_default(),
        member: w.member.map(String::from).unwrap_or_default(),
        mails: w.mails as i64,
    }
}

/// One field's problem with the label the clerk reads (fields of this service that
/// the domain's label table does not name).
fn invalid(field: &str, label: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![FieldError {
        field: field.to_string(),
        label: label.to_string(),
        message: message.into(),
    }])
}

fn rollcall_id(text: &str) -> Result<RollcallId, AppError> {
    parse_id("rollcall_id", text).map_err(|error| match error {
        AppError::Invalid(mut errors) => {
            for e in &mut errors {
                e.label = "安否確認ID".into();
            }
            AppError::Invalid(errors)
        }
        other => other,
    })
}

/// A code field (`org_code`, `member_code`): the domain's message, the request's field.
fn code<T>(
    field: &str,
    text: &str,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<T, AppError> {
    parse(text).map_err(|mut e| {
        e.field = field.to_string();
        AppError::Invalid(vec![e])
    })
}

fn org_codes(field: &str, texts: &[String]) -> Result<Vec<OrgCode>, AppError> {
    texts
        .iter()
        .map(|t| code(field, t, OrgCode::parse))
        .collect()
}

fn template_kind(text: &str) -> Result<TemplateKind, AppError> {
    TemplateKind::parse(text).ok_or_else(|| {
        let kinds: Vec<&str> = TemplateKind::ALL.iter().map(|k| k.as_str()).collect();
        AppError::field(
            "template_kind",
            format!(
                "配信メールの種類は {} のいずれかです（入力: {}）",
                kinds.join("、"),
                anpi_core::text::printable(text)
            ),
        )
    })
}

/// The errors of one row of an import, named by the row (`members[3].mail`).
fn in_row(list: &str, index: usize, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = format!("{list}[{index}].{}", e.field);
            e
        })
        .collect()
}

/// The rows of an import, every problem at once.
fn directory(
    request: v1::ImportDirectoryRequest,
) -> Result<(Vec<Organisation>, Vec<Member>), AppError> {
    let mut errors = Vec::new();
    let mut orgs = Vec::with_capacity(request.orgs.len());
    for (i, org) in request.orgs.iter().enumerate() {
        match Organisation::parse(&org.code, &org.name, &org.parent) {
            Ok(org) => orgs.push(org),
            Err(e) => errors.extend(in_row("orgs", i, e)),
        }
    }
    let mut members = Vec::with_capacity(request.members.len());
    for (i, member) in request.members.iter().enumerate() {
        // Each element is one code or address: checked alone, so that nothing in
        // one element is split into two.
        let mut own: Vec<FieldError> = Vec::new();
        for org in &member.orgs {
            if let Err(mut e) = OrgCode::parse(org) {
                e.field = "member_orgs".into();
                own.push(e);
            }
        }
        for mail in &member.mails {
            if let Err(e) = MailAddress::parse(mail) {
                own.push(e);
            }
        }
        if !own.is_empty() {
            errors.extend(in_row("members", i, own));
            continue;
        }
        match Member::parse(
            &member.code,
            &member.name,
            &member.orgs.join(" "),
            &member.mails.join(" "),
        ) {
            Ok(member) => members.push(member),
            Err(e) => errors.extend(in_row("members", i, e)),
        }
    }
    if errors.is_empty() {
        Ok((orgs, members))
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn organisation(tree: &OrgTree, org: &Organisation) -> v1::RollcallOrganisation {
    v1::RollcallOrganisation {
        code: org.code.to_string(),
        name: org.name.clone(),
        parent: org
            .parent
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        path: tree.path(&org.code),
        depth: tree.depth(&org.code) as i32,
    }
}

fn member(m: &Member) -> v1::RollcallMember {
    v1::RollcallMember {
        code: m.code.to_string(),
        name: m.name.clone(),
        orgs: m.orgs.iter().map(|o| o.to_string()).collect(),
        mails: m.mails.iter().map(|a| a.to_string()).collect(),
    }
}

/// `function` | `disaster_prevention` with its organisations | empty: none.
fn role(request: &v1::AssignRoleRequest) -> Result<Option<RollcallRole>, AppError> {
    let orgs = org_codes("orgs", &request.orgs)?;
    match request.role.trim() {
        "" if orgs.is_empty() => Ok(None),
        "" => Err(invalid(
            "orgs",
            "担当組織",
            "役割を外すときは組織を指定しません（役割 function または disaster_prevention を指定してください）",
        )),
        "function" if orgs.is_empty() => Ok(Some(RollcallRole::Function)),
        "function" => Err(invalid(
            "orgs",
            "担当組織",
            "機能管理者はすべての組織を担当します。組織は指定しないでください",
        )),
        "disaster_prevention" if orgs.is_empty() => Err(invalid(
            "orgs",
            "担当組織",
            "防災管理者には担当する組織を1つ以上指定してください",
        )),
        "disaster_prevention" => Ok(Some(RollcallRole::DisasterPrevention { orgs })),
        other => Err(invalid(
            "role",
            "役割",
            format!(
                "役割は function（機能管理者）または disaster_prevention（防災管理者）です（入力: {}）",
                anpi_core::text::printable(other)
            ),
        )),
    }
}

fn assignment(account: String, role: RollcallRole) -> v1::RollcallRoleAssignment {
    let (name, orgs) = match &role {
        RollcallRole::Function => ("function", Vec::new()),
        RollcallRole::DisasterPrevention { orgs } => (
            "disaster_prevention",
            orgs.iter().map(|o| o.to_string()).collect(),
        ),
    };
    v1::RollcallRoleAssignment {
        account,
        role: name.into(),
        role_label: role.label().into(),
        orgs,
    }
}

fn settings_input(input: Option<v1::MailSettingsInput>) -> SettingsInput {
    let input = input.unwrap_or_default();
    SettingsInput {
        sender: input.sender,
        sender_name: input.sender_name,
        host: input.host,
        port: input.port,
        security: input.security,
        username: input.username,
        internal_url: input.internal_url,
        external_url: input.external_url,
        ca_pem: input.ca_pem,
    }
}

/// `None` keeps (or uses) the stored password.
fn password(password: String, keep: bool) -> Option<String> {
    if keep { None } else { Some(password) }
}

fn template(kind: TemplateKind, template: &Template, saved: bool) -> v1::RollcallTemplate {
    v1::RollcallTemplate {
        kind: kind.as_str().into(),
        kind_label: kind.label().into(),
        subject: template.subject.clone(),
        body: template.body.clone(),
        saved,
    }
}

/// A roll-call's list item; `listed` adds who started it and when.
fn item(call: &RollCall, listed: Option<&Listed>) -> v1::RollcallItem {
    v1::RollcallItem {
        rollcall_id: call.id.to_string(),
        title: call.title.clone(),
        mode: call.mode.as_str().into(),
        mode_label: call.mode.label().into(),
        orgs: call.orgs.iter().map(|o| o.to_string()).collect(),
        round: call.round,
        started_at: listed.map(|l| time(l.started_at)).unwrap_or_default(),
        started_by: listed.map(|l| l.started_by.clone()).unwrap_or_default(),
        closed_at: optional_time(listed.and_then(|l| l.closed_at)),
        closed: call.closed,
        recipients: listed.map_or(0, |l| l.recipients),
        answered: listed.map_or(0, |l| l.answered),
        statuses: call.statuses.clone(),
        cancelled: call.cancelled,
        cancelled_at: optional_time(listed.and_then(|l| l.cancelled_at)),
        cancel_reason: listed.map(|l| l.cancel_reason.clone()).unwrap_or_default(),
    }
}

/// The counts, the roll-call's statuses first in their order (also at 0).
fn counts(call: &RollCall, count: &OrgCount) -> v1::RollcallCounts {
    let of = |p: Progress| count.progress.get(&p).copied().unwrap_or(0) as i64;
    let mut statuses: Vec<v1::RollcallStatusCount> = call
        .statuses
        .iter()
        .map(|s| v1::RollcallStatusCount {
            status: s.clone(),
            count: count.statuses.get(s).copied().unwrap_or(0) as i64,
        })
        .collect();
    statuses.extend(
        count
            .statuses
            .iter()
            .filter(|(s, _)| !call.statuses.contains(s))
            .map(|(s, n)| v1::RollcallStatusCount {
                status: s.clone(),
                count: *n as i64,
            }),
    );
    v1::RollcallCounts {
        total: count.total as i64,
        not_opened: of(Progress::NotOpened),
        opened: of(Progress::Opened),
        answered: of(Progress::Answered),
        proxy: of(Progress::Proxy),
        statuses,
    }
}

fn member_row(tree: &OrgTree, r: &Recipient) -> v1::RollcallMemberRow {
    let progress = Dashboard::progress_of(r);
    v1::RollcallMemberRow {
        code: r.member.code.to_string(),
        name: r.member.name.clone(),
        orgs: r.member.orgs.iter().map(|o| o.to_string()).collect(),
        org_paths: r.member.orgs.iter().map(|o| tree.path(o)).collect(),
        progress: progress.as_str().into(),
        progress_label: progress.label().into(),
        status: r.last_status.clone().unwrap_or_default(),
        comment: r.last_comment.clone().unwrap_or_default(),
        first_answered_at: optional_time(r.first_answered_at),
        last_answered_at: optional_time(r.last_answered_at),
        proxy: r.last_proxy.clone().unwrap_or_default(),
        mails_sent: r.mails_sent,
        mails_pending: r.mails_pending,
        mails_failed: r.mails_failed,
        last_reply: r.last_reply.clone().unwrap_or_default(),
    }
}

fn dashboard(d: &Dashboard) -> v1::RollcallDashboard {
    let mut rollcall = item(&d.call, d.listed.as_ref());
    // What this caller sees (a disaster-prevention administrator: their members).
    rollcall.recipients = d.recipients.len() as i64;
    rollcall.answered = d
        .recipients
        .iter()
        .filter(|r| r.last_status.is_some())
        .count() as i64;
    let (pending, sent, failed) = d.delivery;
    v1::RollcallDashboard {
        rollcall: Some(rollcall),
        delivery: Some(v1::RollcallDelivery {
            pending,
            sent,
            failed,
        }),
        whole: Some(counts(&d.call, &d.whole)),
        per_org: d
            .per_org
            .iter()
            .map(|(org, count)| v1::RollcallOrgCounts {
                code: org.to_string(),
                path: d.tree.path(org),
                depth: d.tree.depth(org) as i32,
                counts: Some(counts(&d.call, count)),
            })
            .collect(),
        members: d
            .recipients
            .iter()
            .map(|r| member_row(&d.tree, r))
            .collect(),
    }
}

fn answer(a: AnswerRow) -> v1::RollcallAnswer {
    v1::RollcallAnswer {
        round: a.round,
        status: a.status,
        comment: a.comment,
        proxy: a.proxy.unwrap_or_default(),
        answered_at: time(a.answered_at),
    }
}

/// A check's state as the wire names it (stable; the label is for people).
fn check_state(state: CheckState) -> &'static str {
    match state {
        CheckState::NotChecked => "not_checked",
        CheckState::Sending => "sending",
        CheckState::NotOpened => "not_opened",
        CheckState::Confirmed => "confirmed",
        CheckState::Failed => "failed",
    }
}

fn contact_entry(tree: &OrgTree, e: &ContactEntry) -> v1::ContactEntry {
    v1::ContactEntry {
        member_code: e.member.code.to_string(),
        name: e.member.name.clone(),
        orgs: e.member.orgs.iter().map(|o| o.to_string()).collect(),
        org_paths: e.member.orgs.iter().map(|o| tree.path(o)).collect(),
        phones: e
            .stored
            .iter()
            .flat_map(|s| s.contacts.phones.iter())
            .map(|p| p.to_string())
            .collect(),
        mails: e
            .checks
            .iter()
            .map(|(address, check)| v1::ContactAddress {
                address: address.clone(),
                state: check_state(check.state).into(),
                state_label: check.state.label().into(),
                sent_at: optional_time(check.sent_at),
                confirmed_at: optional_time(check.confirmed_at),
                reply: if check.state == CheckState::Failed {
                    check.reply.clone()
                } else {
                    String::new()
                },
            })
            .collect(),
        set_by: e
            .stored
            .as_ref()
            .and_then(|s| s.set_by.clone())
            .unwrap_or_default(),
        set_at: optional_time(e.stored.as_ref().map(|s| s.set_at)),
        missing: e.is_missing(),
        state: check_state(e.state).into(),
        state_label: e.state.label().into(),
    }
}

/// The phones and addresses of `SetContacts`, each element one value (checked alone,
/// so that nothing in one element is split into two), one per line for the use case.
fn contact_fields(request: &v1::SetContactsRequest) -> Result<(String, String), AppError> {
    let mut errors = Vec::new();
    for (i, phone) in request.phones.iter().enumerate() {
        if let Err(mut e) = PhoneNumber::parse(phone) {
            e.field = format!("phones[{i}]");
            errors.push(e);
        }
    }
    for (i, mail) in request.mails.iter().enumerate() {
        if let Err(mut e) = MailAddress::parse(mail) {
            e.field = format!("mails[{i}]");
            e.label = anpi_core::validation::label_of("contact_mail").into();
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok((request.phones.join("\n"), request.mails.join("\n")))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The field of a contact file's column (`file[3].contact_phone`).
fn contact_column_field(column: &str) -> &'static str {
    match CONTACT_COLUMNS.iter().position(|c| *c == column) {
        Some(0) => ".member_code",
        Some(1) => ".member_name",
        Some(2) => ".contact_phone",
        Some(3) => ".contact_mail",
        _ => "",
    }
}

/// A refused contact file as field problems: each named `N行目 列名: message`, the
/// way the console lists them by line and column.
fn refused_file(error: DirectoryFileError) -> AppError {
    const LABEL: &str = "緊急連絡先ファイル";
    let errors = match error {
        DirectoryFileError::Lines(lines) => lines
            .into_iter()
            .map(|e| FieldError {
                field: format!("file[{}]{}", e.line, contact_column_field(&e.column)),
                label: LABEL.into(),
                message: if e.column.is_empty() {
                    format!("{}行目: {}", e.line, e.message)
                } else {
                    format!("{}行目 {}: {}", e.line, e.column, e.message)
                },
            })
            .collect(),
        other => vec![FieldError {
            field: "file".into(),
            label: LABEL.into(),
            message: other.to_string(),
        }],
    };
    AppError::Invalid(errors)
}

/// `request` (設定のお願い) | `check` (連絡先の確認).
fn contact_purpose(text: &str) -> Result<ContactPurpose, AppError> {
    match text.trim() {
        "request" => Ok(ContactPurpose::Request),
        "check" => Ok(ContactPurpose::Check),
        other => Err(invalid(
            "purpose",
            "送信するメール",
            format!(
                "送信するメールは request（緊急連絡先の設定のお願い）または check（緊急連絡先の確認）です（入力: {}）",
                anpi_core::text::printable(other)
            ),
        )),
    }
}

#[tonic::async_trait]
impl v1::rollcall_server::Rollcall for RollcallService {
    async fn import_directory(
        &self,
        request: Request<v1::ImportDirectoryRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let (orgs, members) = directory(request.into_inner())?;
        let reply = self
            .0
            .rollcall_save_directory(&session, orgs, members)
            .await?;
        Ok(Response::new(written(reply)))
    }

    async fn get_directory(
        &self,
        request: Request<v1::GetDirectoryRequest>,
    ) -> Result<Response<v1::RollcallDirectory>, Status> {
        let session = session(&self.0, &request).await?;
        let (tree, members) = self.0.rollcall_directory(&session).await?;
        Ok(Response::new(v1::RollcallDirectory {
            orgs: tree
                .in_order()
                .into_iter()
                .map(|o| organisation(&tree, o))
                .collect(),
            members: members.iter().map(member).collect(),
        }))
    }

    async fn remove_organisation(
        &self,
        request: Request<v1::RemoveOrganisationRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let org = code("code", &request.get_ref().code, OrgCode::parse)?;
        let reply = self.0.rollcall_remove_org(&session, org).await?;
        Ok(Response::new(written(reply)))
    }

    async fn remove_member(
        &self,
        request: Request<v1::RemoveMemberRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let member = code("code", &request.get_ref().code, MemberCode::parse)?;
        let reply = self.0.rollcall_remove_member(&session, member).await?;
        Ok(Response::new(written(reply)))
    }

    async fn assign_role(
        &self,
        request: Request<v1::AssignRoleRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let account = AccountId::parse(&request.account)
            .map_err(|message| invalid("account", "アカウント", message))?;
        let role = role(&request)?;
        let reply = self.0.rollcall_assign(&session, account, role).await?;
        Ok(Response::new(written(reply)))
    }

    async fn list_roles(
        &self,
        request: Request<v1::ListRolesRequest>,
    ) -> Result<Response<v1::ListRolesResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let roles = self.0.rollcall_roles(&session).await?;
        Ok(Response::new(v1::ListRolesResponse {
            roles: roles.into_iter().map(|(a, r)| assignment(a, r)).collect(),
        }))
    }

    async fn get_mail_settings(
        &self,
        request: Request<v1::GetMailSettingsRequest>,
    ) -> Result<Response<v1::MailSettingsView>, Status> {
        let session = session(&self.0, &request).await?;
        let view = match self.0.rollcall_settings(&session).await? {
            None => v1::MailSettingsView::default(),
            Some((s, password_set)) => v1::MailSettingsView {
                configured: true,
                sender: s.sender.to_string(),
                sender_name: s.sender_name,
                host: s.host,
                port: u32::from(s.port),
                security: s.security.as_str().into(),
                username: s.username,
                internal_url: s.internal_url,
                external_url: s.external_url,
                password_set,
                ca_pem: s.ca_pem,
            },
        };
        Ok(Response::new(view))
    }

    async fn set_mail_settings(
        &self,
        request: Request<v1::SetMailSettingsRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let input = settings_input(request.settings);
        let password = password(request.password, request.keep_password);
        let reply = self
            .0
            .rollcall_set_settings(&session, &input, password)
            .await?;
        Ok(Response::new(written(reply)))
    }

    async fn test_mail(
        &self,
        request: Request<v1::TestMailRequest>,
    ) -> Result<Response<v1::TestMailResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let input = settings_input(request.settings);
        let password = password(request.password, request.keep_password);
        let reply = self
            .0
            .rollcall_test_mail(&session, &input, password, &request.to)
            .await?;
        Ok(Response::new(v1::TestMailResponse { reply }))
    }

    async fn get_template(
        &self,
        request: Request<v1::GetTemplateRequest>,
    ) -> Result<Response<v1::RollcallTemplate>, Status> {
        let session = session(&self.0, &request).await?;
        let kind = template_kind(&request.get_ref().kind)?;
        let (saved, is_saved) = self.0.rollcall_template(&session, kind).await?;
        Ok(Response::new(template(kind, &saved, is_saved)))
    }

    async fn preview_template(
        &self,
        request: Request<v1::RollcallTemplate>,
    ) -> Result<Response<v1::RenderedMail>, Status> {
        let session = session(&self.0, &request).await?;
        // Only those with a roll-call authority see the example.
        self.0.rollcall_caller(&session).await?;
        let request = request.into_inner();
        let kind = template_kind(&request.kind)?;
        let rendered = NodeState::rollcall_preview(
            &Template {
                subject: request.subject,
                body: request.body,
            },
            kind,
        )?;
        Ok(Response::new(v1::RenderedMail {
            subject: rendered.subject,
            body: rendered.body,
        }))
    }

    async fn save_template(
        &self,
        request: Request<v1::RollcallTemplate>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let kind = template_kind(&request.kind)?;
        let new = Template {
            subject: request.subject,
            body: request.body,
        };
        let reply = self.0.rollcall_save_template(&session, kind, new).await?;
        Ok(Response::new(written(reply)))
    }

    async fn start(
        &self,
        request: Request<v1::StartRollcallRequest>,
    ) -> Result<Response<v1::StartRollcallResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let orgs = org_codes("rollcall_orgs", &request.orgs)?;
        let mode = if request.drill {
            Mode::Drill
        } else {
            Mode::Actual
        };
        let (reply, without_mail) = self
            .0
            .rollcall_start(&session, orgs, &request.title, mode, &request.statuses)
            .await?;
        let id = reply
            .rollcall
            .ok_or_else(|| AppError::internal("a started roll-call without its ID"))?;
        let recipients = reply.recipients as i64;
        Ok(Response::new(v1::StartRollcallResponse {
            rollcall_id: id.to_string(),
            recipients,
            mails: reply.mails as i64,
            without_mail: without_mail as i64,
        }))
    }

    async fn list(
        &self,
        request: Request<v1::ListRollcallsRequest>,
    ) -> Result<Response<v1::ListRollcallsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let list = self.0.rollcall_list(&session).await?;
        Ok(Response::new(v1::ListRollcallsResponse {
            rollcalls: list.iter().map(|l| item(&l.call, Some(l))).collect(),
        }))
    }

    async fn status(
        &self,
        request: Request<v1::RollcallRequest>,
    ) -> Result<Response<v1::RollcallDashboard>, Status> {
        let session = session(&self.0, &request).await?;
        let id = rollcall_id(&request.get_ref().rollcall_id)?;
        let board = self.0.rollcall_status(&session, id).await?;
        Ok(Response::new(dashboard(&board)))
    }

    async fn resend(
        &self,
        request: Request<v1::RollcallRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let id = rollcall_id(&request.get_ref().rollcall_id)?;
        let reply = self.0.rollcall_resend(&session, id).await?;
        Ok(Response::new(written(reply)))
    }

    async fn clear(
        &self,
        request: Request<v1::RollcallRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let id = rollcall_id(&request.get_ref().rollcall_id)?;
        let reply = self.0.rollcall_clear(&session, id).await?;
        Ok(Response::new(written(reply)))
    }

    async fn close(
        &self,
        request: Request<v1::RollcallRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let id = rollcall_id(&request.get_ref().rollcall_id)?;
        let reply = self.0.rollcall_close(&session, id).await?;
        Ok(Response::new(written(reply)))
    }

    async fn proxy_answer(
        &self,
        request: Request<v1::ProxyAnswerRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let id = rollcall_id(&request.rollcall_id)?;
        let member = code("member", &request.member, MemberCode::parse)?;
        let reply = self
            .0
            .rollcall_proxy_answer(&session, id, member, &request.status, &request.comment)
            .await?;
        Ok(Response::new(written(reply)))
    }

    async fn history(
        &self,
        request: Request<v1::RollcallHistoryRequest>,
    ) -> Result<Response<v1::RollcallHistoryResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let id = rollcall_id(&request.rollcall_id)?;
        let member = code("member", &request.member, MemberCode::parse)?;
        let answers = self.0.rollcall_history(&session, id, &member).await?;
        Ok(Response::new(v1::RollcallHistoryResponse {
            answers: answers.into_iter().map(answer).collect(),
        }))
    }

    async fn form1_drafts(
        &self,
        request: Request<v1::RollcallRequest>,
    ) -> Result<Response<v1::Form1DraftsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let id = rollcall_id(&request.into_inner().rollcall_id)?;
        let (call, drafts) = self.0.rollcall_form1_drafts(&session, id).await?;
        let drafts = drafts
            .into_iter()
            .map(|d| {
                Ok(v1::Form1Draft {
                    member: d.member.to_string(),
                    status: d.status,
                    answered_at: crate::wire::rfc3339(d.answered_at),
                    draft_json: serde_json::to_string(&d.draft)
                        .map_err(|e| Status::internal(e.to_string()))?,
                })
            })
            .collect::<Result<_, Status>>()?;
        Ok(Response::new(v1::Form1DraftsResponse {
            rollcall_id: call.id.to_string(),
            title: call.title,
            mode: call.mode.as_str().into(),
            drafts,
        }))
    }

    async fn list_contacts(
        &self,
        request: Request<v1::ListContactsRequest>,
    ) -> Result<Response<v1::ContactList>, Status> {
        let session = session(&self.0, &request).await?;
        let only_missing = request.get_ref().only_missing;
        let (who, entries) = self.0.rollcall_contact_list(&session).await?;
        let entries: Vec<ContactEntry> = entries
            .into_iter()
            .filter(|e| !only_missing || e.is_missing())
            .collect();
        Ok(Response::new(v1::ContactList {
            checks: check_rows(&entries, &who.tree)
                .into_iter()
                .map(|cells| v1::ContactCheckRow {
                    cells: cells.into(),
                })
                .collect(),
            entries: entries
                .iter()
                .map(|e| contact_entry(&who.tree, e))
                .collect(),
        }))
    }

    async fn set_contacts(
        &self,
        request: Request<v1::SetContactsRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let member = code("member_code", &request.member_code, MemberCode::parse)?;
        let (phones, mails) = contact_fields(&request)?;
        let reply = self
            .0
            .rollcall_set_contacts(&session, &member, &phones, &mails)
            .await?;
        Ok(Response::new(written(reply)))
    }

    async fn import_contacts(
        &self,
        request: Request<v1::ImportContactsRequest>,
    ) -> Result<Response<v1::RollcallWritten>, Status> {
        let session = session(&self.0, &request).await?;
        let file = request.into_inner().file;
        match self.0.rollcall_import_contacts(&session, &file).await? {
            ContactImport::Saved { written: w, .. } => Ok(Response::new(written(w))),
            ContactImport::Refused(error) => Err(refused_file(error).into()),
        }
    }

    async fn send_contact_mails(
        &self,
        request: Request<v1::SendContactMailsRequest>,
    ) -> Result<Response<v1::SendContactMailsResponse>, Status> {
        let session = session(&self.0, &request).await?;
        let request = request.into_inner();
        let purpose = contact_purpose(&request.purpose)?;
        let (reply, without) = self
            .0
            .rollcall_send_contact_mails(&session, purpose, request.everyone)
            .await?;
        Ok(Response::new(v1::SendContactMailsResponse {
            mails: reply.mails as i64,
            members: reply.recipients as i64,
            without_mail: without as i64,
            position: reply.position.unwrap_or(0),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(role: &str, orgs: &[&str]) -> v1::AssignRoleRequest {
        v1::AssignRoleRequest {
            account: "clerk1".into(),
            role: role.into(),
            orgs: orgs.iter().map(|o| o.to_string()).collect(),
        }
    }

    fn fields(error: AppError) -> Vec<String> {
        match error {
            AppError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn roles_are_read_with_their_organisations() {
        assert_eq!(role(&assign("", &[])).unwrap(), None);
        assert_eq!(
            role(&assign("function", &[])).unwrap(),
            Some(RollcallRole::Function)
        );
        let dp = role(&assign("disaster_prevention", &["soumu", "kensetsu"])).unwrap();
        assert_eq!(
            dp,
            Some(RollcallRole::DisasterPrevention {
                orgs: vec![
                    OrgCode::parse("soumu").unwrap(),
                    OrgCode::parse("kensetsu").unwrap()
                ]
            })
        );
        assert_eq!(
            fields(role(&assign("function", &["soumu"])).unwrap_err()),
            ["orgs"]
        );
        assert_eq!(
            fields(role(&assign("disaster_prevention", &[])).unwrap_err()),
            ["orgs"]
        );
        assert_eq!(fields(role(&assign("admin", &[])).unwrap_err()), ["role"]);
        assert_eq!(
            fields(role(&assign("function", &["総務"])).unwrap_err()),
            ["orgs"]
        );
    }

    #[test]
    fn an_import_names_every_bad_row() {
        let request = v1::ImportDirectoryRequest {
            orgs: vec![
                v1::RollcallOrganisation {
                    code: "soumu".into(),
                    name: "総務部".into(),
                    ..Default::default()
                },
                v1::RollcallOrganisation {
                    code: "bad code".into(),
                    name: "".into(),
                    ..Default::default()
                },
            ],
            members: vec![
                v1::RollcallMember {
                    code: "S001".into(),
                    name: "山田 太郎".into(),
                    orgs: vec!["soumu".into()],
                    mails: vec!["taro@example.jp".into()],
                },
                v1::RollcallMember {
                    code: "S002".into(),
                    name: "花子".into(),
                    // One element with a space is not two codes.
                    orgs: vec!["soumu kensetsu".into()],
                    mails: vec![],
                },
            ],
        };
        let errors = fields(directory(request.clone()).unwrap_err());
        assert_eq!(
            errors,
            [
                "orgs[1].org_code",
                "orgs[1].org_name",
                "members[1].member_orgs"
            ]
        );
        let mut good = request;
        good.orgs.truncate(1);
        good.members.truncate(1);
        let (orgs, members) = directory(good).unwrap();
        assert_eq!((orgs.len(), members.len()), (1, 1));
        assert_eq!(members[0].mails[0].as_str(), "taro@example.jp");
    }

    // R: K-05 — a refused contact file names each problem by line and column.
    #[test]
    fn a_refused_contact_file_names_line_and_column() {
        use anpi_files::rollcall::LineError;
        let error = refused_file(DirectoryFileError::Lines(vec![
            LineError {
                line: 3,
                column: "職員番号".into(),
                message: "職員番号「S9」の職員は登録されていないか、担当組織の職員ではありません"
                    .into(),
            },
            LineError {
                line: 4,
                column: String::new(),
                message: "列が足りません".into(),
            },
        ]));
        let AppError::Invalid(errors) = &error else {
            panic!("not a field error: {error:?}")
        };
        assert_eq!(errors[0].field, "file[3].member_code");
        assert!(
            errors[0]
                .message
                .starts_with("3行目 職員番号: 職員番号「S9」"),
            "{}",
            errors[0].message
        );
        assert_eq!(errors[1].message, "4行目: 列が足りません");
        let status = Status::from(error);
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(status.message().contains("3行目 職員番号: "), "{status:?}");
    }

    #[test]
    fn contact_fields_are_one_value_each() {
        let request = v1::SetContactsRequest {
            member_code: "S001".into(),
            phones: vec!["(03) 1234 5678".into(), "090-1111-2222".into()],
            mails: vec!["a@example.jp".into()],
        };
        let (phones, mails) = contact_fields(&request).unwrap();
        assert_eq!(phones, "(03) 1234 5678\n090-1111-2222");
        assert_eq!(mails, "a@example.jp");
        let two_in_one = v1::SetContactsRequest {
            phones: vec!["090-1111-2222, 03-1234-5678".into()],
            mails: vec!["a@example.jp b@example.jp".into()],
            ..request
        };
        assert_eq!(
            fields(contact_fields(&two_in_one).unwrap_err()),
            ["phones[0]", "mails[0]"]
        );
        assert_eq!(contact_purpose("check").unwrap(), ContactPurpose::Check);
        assert_eq!(
            contact_purpose(" request ").unwrap(),
            ContactPurpose::Request
        );
        assert_eq!(
            fields(contact_purpose("contact_check").unwrap_err()),
            ["purpose"]
        );
    }

    #[test]
    fn counts_follow_the_offered_statuses() {
        let call = RollCall {
            id: RollcallId::from_uuid(uuid::Uuid::nil()),
            title: "訓練".into(),
            mode: Mode::Drill,
            orgs: vec![],
            statuses: vec!["無事".into(), "軽傷".into()],
            round: 1,
            closed: false,
            cancelled: false,
        };
        let mut count = OrgCount {
            total: 3,
            ..Default::default()
        };
        count.progress.insert(Progress::Answered, 2);
        count.progress.insert(Progress::NotOpened, 1);
        count.statuses.insert("無事".into(), 2);
        count.statuses.insert("古い選択肢".into(), 1);
        let wire = counts(&call, &count);
        assert_eq!(
            (wire.total, wire.answered, wire.not_opened, wire.proxy),
            (3, 2, 1, 0)
        );
        let statuses: Vec<(&str, i64)> = wire
            .statuses
            .iter()
            .map(|s| (s.status.as_str(), s.count))
            .collect();
        assert_eq!(statuses, [("無事", 2), ("軽傷", 0), ("古い選択肢", 1)]);
    }
}
