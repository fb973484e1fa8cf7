//! Roll-call use cases (K-01..K-09), shared by the gRPC API (`anpi rollcall …`), the
//! console and the member's answer page. Each authorises the caller twice: the node
//! operation `Rollcall`, then the roll-call authority of the account
//! (`anpi_core::rollcall::Authority`, K-04), also per organisation and per member.
//! The answer page has no login: its token is the only key, and a wrong or expired
//! token gets the same one-sentence refusal.

use anpi_core::account::Operation;
use anpi_core::event::Actor;
use anpi_core::ids::{AccountId, RollcallId};
use anpi_core::rollcall::call::{self, MemberRow, OrgCount, Progress, RollCall};
use anpi_core::rollcall::mail::{MailSettings, SettingsInput};
use anpi_core::rollcall::template::{Fill, Rendered};
use anpi_core::rollcall::{
    Authority, Member, MemberCode, Mode, OrgCode, OrgTree, Organisation, RollcallRole, Template,
    TemplateKind,
};
use rand::RngCore;

use super::{AppError, Caller, NodeState};
use crate::mail::Smtp;
use crate::store::accounts::Session;
use crate::store::rollcall::{self as tables, OutMail, Recipient};
use crate::store::writer::{Answerer, Broadcast, RollcallChange, RollcallWritten, system_actor};

/// A caller with their roll-call authority.
pub struct RollcallCaller {
    pub caller: Caller,
    pub authority: Authority,
    pub tree: OrgTree,
}

fn denied(message: String) -> AppError {
    AppError::Forbidden(message)
}

/// A new link token: 24 random bytes as 48 hex digits (192 bits, unguessable).
pub fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Japan time as a mail says it.
fn jst_long(time: chrono::DateTime<chrono::Utc>) -> String {
    anpi_core::rollcall::template::mail_time(time)
}

/// A Form 1 draft from a roll-call answer (K-08), for the clerk.
#[derive(Debug, Clone)]
pub struct Form1Draft {
    pub member: MemberCode,
    /// The answer it came from.
    pub status: String,
    /// The answer's comment.
    pub comment: String,
    pub answered_at: chrono::DateTime<chrono::Utc>,
    pub draft: anpi_core::entry::EntryDraft,
}

/// One member's Form 1 draft, checked against the incident it is to be entered into
/// (K-08, T-04).
#[derive(Debug, Clone)]
pub struct Form1DraftFor {
    pub call: RollCall,
    /// `None` when the member's latest answer no longer makes a draft (it changed
    /// since the clerk opened it).
    pub draft: Option<Form1Draft>,
    pub incident: anpi_core::incident::Incident,
}

/// The dashboard of one roll-call (K-03).
pub struct Dashboard {
    pub call: RollCall,
    pub tree: OrgTree,
    /// The recipients this caller sees.
    pub recipients: Vec<Recipient>,
    pub whole: OrgCount,
    pub per_org: Vec<(OrgCode, OrgCount)>,
    /// Outbox: pending, sent, failed.
    pub delivery: (i64, i64, i64),
    /// When and by whom it was started, and closed (its counts are of every
    /// recipient, not only those this caller sees).
    pub listed: Option<tables::Listed>,
}

impl Dashboard {
    pub fn progress_of(recipient: &Recipient) -> Progress {
        recipient.state.progress()
    }
}

/// The member's answer page (K-02).
pub struct AnswerPage {
    pub call: RollCall,
    pub member_name: String,
    pub last_status: Option<String>,
    pub last_comment: Option<String>,
    pub first_answered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_answered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_proxy: bool,
}

impl NodeState {
    /// The caller with their roll-call authority (refused without any).
    pub async fn rollcall_caller(&self, session: &Session) -> Result<RollcallCaller, AppError> {
        let caller = self.authorize(session, Operation::Rollcall)?;
        let client = self.pool.get().await?;
        let role = tables::role_of(&**client, &session.account).await?;
        let authority = Authority::of(session.role, role.as_ref());
        authority.may_use().map_err(denied)?;
        let tree = tables::org_tree(&**client).await?;
        Ok(RollcallCaller {
            caller,
            authority,
            tree,
        })
    }

    pub(crate) async fn rollcall_write(
        &self,
        actor: Actor,
        change: RollcallChange,
    ) -> Result<RollcallWritten, AppError> {
        Ok(self
            .writer
            .ask::<RollcallWritten>(actor, crate::store::writer::Command::Rollcall(change))
            .await?)
    }

    /// Organisations and members added or changed (CSV import, form).
    pub async fn rollcall_save_directory(
        &self,
        session: &Session,
        orgs: Vec<Organisation>,
        members: Vec<Member>,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_manage_directory().map_err(denied)?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::SaveDirectory { orgs, members },
        )
        .await
    }

    pub async fn rollcall_remove_org(
        &self,
        session: &Session,
        code: OrgCode,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_manage_directory().map_err(denied)?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::RemoveOrganisation { code },
        )
        .await
    }

    pub async fn rollcall_remove_member(
        &self,
        session: &Session,
        code: MemberCode,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_manage_directory().map_err(denied)?;
        self.rollcall_write(who.caller.actor, RollcallChange::RemoveMember { code })
            .await
    }

    /// The organisations and the members this caller sees.
    pub async fn rollcall_directory(
        &self,
        session: &Session,
    ) -> Result<(OrgTree, Vec<Member>), AppError> {
        let who = self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        let members = tables::members(&**client)
            .await?
            .into_iter()
            .filter(|m| who.authority.sees(&who.tree, m))
            .collect();
        Ok((who.tree, members))
    }

    /// Gives or takes a roll-call role (K-04).
    pub async fn rollcall_assign(
        &self,
        session: &Session,
        account: AccountId,
        role: Option<RollcallRole>,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        let current = tables::role_of(&**client, &account).await?;
        // Taking a role away needs the right to give it.
        who.authority
            .may_appoint(role.as_ref().or(current.as_ref()))
            .map_err(denied)?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::AssignRole { account, role },
        )
        .await
    }

    /// Every account with a roll-call role.
    pub async fn rollcall_roles(
        &self,
        session: &Session,
    ) -> Result<Vec<(String, RollcallRole)>, AppError> {
        self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        Ok(tables::roles(&**client).await?)
    }

    /// The mail settings (never the password: only whether one is set).
    pub async fn rollcall_settings(
        &self,
        session: &Session,
    ) -> Result<Option<(MailSettings, bool)>, AppError> {
        self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        Ok(tables::settings(&**client)
            .await?
            .map(|(s, p)| (s, !p.is_empty())))
    }

    /// Saves the mail settings (K-06); `password` `None` keeps the stored one.
    pub async fn rollcall_set_settings(
        &self,
        session: &Session,
        input: &SettingsInput,
        password: Option<String>,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_set_mail_server().map_err(denied)?;
        let settings = MailSettings::parse(input).map_err(AppError::Invalid)?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::SetMailSettings { settings, password },
        )
        .await
    }

    /// A test mail with the settings as typed, to an address typed in; nothing is
    /// saved (K-06, page 04). `password` `None`: the stored one. The server's reply.
    pub async fn rollcall_test_mail(
        &self,
        session: &Session,
        input: &SettingsInput,
        password: Option<String>,
        to: &str,
    ) -> Result<String, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_set_mail_server().map_err(denied)?;
        let settings = MailSettings::parse(input).map_err(AppError::Invalid)?;
        let to = anpi_core::rollcall::MailAddress::parse(to).map_err(|mut e| {
            e.field = "test_to".into();
            e.label = "送信先メールアドレス".into();
            AppError::Invalid(vec![e])
        })?;
        let password = match password {
            Some(p) => p,
            None => {
                let client = self.pool.get().await?;
                tables::settings(&**client)
                    .await?
                    .map(|(_, p)| p)
                    .unwrap_or_default()
            }
        };
        let smtp = Smtp::new(&settings, &password).map_err(|e| AppError::Conflict(e.reply))?;
        smtp.send(
            to.as_str(),
            "【安否確認】送信メールサーバーの確認",
            &format!(
                "このメールは安否確認の送信メールサーバーの設定を確認するために送信しました。\n送信日時: {}\n",
                jst_long(chrono::Utc::now())
            ),
        )
        .await
        .map_err(|e| {
            AppError::Conflict(format!(
                "テストメールを送信できませんでした（{}）。設定は保存されていません",
                e.reply
            ))
        })
    }

    /// A template (saved or default) and whether it was saved.
    pub async fn rollcall_template(
        &self,
        session: &Session,
        kind: TemplateKind,
    ) -> Result<(Template, bool), AppError> {
        self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        Ok(tables::template(&**client, kind).await?)
    }

    /// What a template makes for an example member (before saving, K-06).
    pub fn rollcall_preview(template: &Template, kind: TemplateKind) -> Result<Rendered, AppError> {
        template.check().map_err(AppError::Invalid)?;
        Ok(template.render(
            &Fill {
                name: "消防 太郎",
                orgs: "総務部 / 防災課",
                title: "（例）震度5強の地震",
                sent_at: &jst_long(chrono::Utc::now()),
                url: "https://anpi.example.lg.jp/r/0123456789abcdef",
            },
            kind == TemplateKind::SafetyDrill,
        ))
    }

    pub async fn rollcall_save_template(
        &self,
        session: &Session,
        kind: TemplateKind,
        template: Template,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_edit_templates().map_err(denied)?;
        template.check().map_err(AppError::Invalid)?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::SaveTemplate { kind, template },
        )
        .await
    }

    /// Mails and tokens for `members` of a roll-call.
    async fn mails_for(
        &self,
        call: &RollCall,
        tree: &OrgTree,
        members: &[&Member],
    ) -> Result<(Vec<(Vec<u8>, MemberCode)>, Vec<OutMail>), AppError> {
        let client = self.pool.get().await?;
        let Some((settings, _)) = tables::settings(&**client).await? else {
            return Err(AppError::Conflict(
                "配信メールサーバーが設定されていません。先にシステム管理者が設定してください"
                    .into(),
            ));
        };
        let kind = match call.mode {
            Mode::Actual => TemplateKind::Safety,
            Mode::Drill => TemplateKind::SafetyDrill,
        };
        let (template, _) = tables::template(&**client, kind).await?;
        let sent_at = jst_long(chrono::Utc::now());
        let mut tokens = Vec::with_capacity(members.len());
        let mut mails = Vec::with_capacity(members.len());
        for member in members {
            let token = new_token();
            let url = settings.answer_link(&token);
            let orgs: Vec<String> = member.orgs.iter().map(|o| tree.path(o)).collect();
            let rendered = template.render(
                &Fill {
                    name: &member.name,
                    orgs: &orgs.join("、"),
                    title: &call.title,
                    sent_at: &sent_at,
                    url: &url,
                },
                call.mode == Mode::Drill,
            );
            tokens.push((tables::token_hash(&token), member.code.clone()));
            for address in &member.mails {
                mails.push(OutMail {
                    rollcall: Some(call.id),
                    member: Some(member.code.clone()),
                    purpose: kind.as_str(),
                    recipient: address.to_string(),
                    subject: rendered.subject.clone(),
                    body: rendered.body.clone(),
                });
            }
        }
        Ok((tokens, mails))
    }

    /// Plans a broadcast with the domain's rules (`call::plan`: title, organisations,
    /// statuses, who is reached) and renders its mails and links: the one path of
    /// every roll-call, sent by someone (`rollcall_start`) or started by the node
    /// itself (K-08, `app::jma`). `members`: those who may be asked. Returns the
    /// broadcast for the writer and how many members of the chosen organisations have
    /// no address.
    pub(crate) async fn prepare_broadcast(
        &self,
        tree: &OrgTree,
        members: &[Member],
        orgs: &[OrgCode],
        title: &str,
        mode: Mode,
        statuses: &[String],
    ) -> Result<(Broadcast, usize), AppError> {
        let id = RollcallId::from_uuid(uuid::Uuid::now_v7());
        let plan = call::plan(id, tree, members, orgs, title, mode, statuses)?;
        let anpi_core::rollcall::RollcallEvent::Started {
            title,
            orgs,
            statuses,
            ..
        } = &plan.event
        else {
            unreachable!("plan makes Started");
        };
        let call = RollCall {
            id,
            title: title.clone(),
            mode,
            orgs: orgs.clone(),
            statuses: statuses.clone(),
            round: 1,
            closed: false,
            cancelled: false,
        };
        let (tokens, mails) = self.mails_for(&call, tree, &plan.recipients).await?;
        let without_mail = plan.without_mail.len();
        Ok((
            Broadcast {
                event: plan.event,
                recipients: plan.recipients.into_iter().cloned().collect(),
                tokens,
                mails,
            },
            without_mail,
        ))
    }

    /// Sends a roll-call to the chosen organisations and those below them (K-01).
    pub async fn rollcall_start(
        &self,
        session: &Session,
        orgs: Vec<OrgCode>,
        title: &str,
        mode: Mode,
        statuses: &[String],
    ) -> Result<(RollcallWritten, usize), AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_act_on(&who.tree, &orgs).map_err(denied)?;
        let members = {
            let client = self.pool.get().await?;
            crate::store::rollcall_contacts::members_to_mail(&**client).await?
        };
        let (broadcast, without_mail) = self
            .prepare_broadcast(&who.tree, &members, &orgs, title, mode, statuses)
            .await?;
        let written = self
            .rollcall_write(who.caller.actor, RollcallChange::Start(Box::new(broadcast)))
            .await?;
        Ok((written, without_mail))
    }

    /// A roll-call this caller may act on, or NOT_FOUND / refused.
    async fn rollcall_of(
        &self,
        who: &RollcallCaller,
        id: RollcallId,
    ) -> Result<RollCall, AppError> {
        let client = self.pool.get().await?;
        let call = tables::call(&**client, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("安否確認「{id}」が見つかりません")))?;
        who.authority
            .may_act_on(&who.tree, &call.orgs)
            .map_err(denied)?;
        Ok(call)
    }

    /// Every roll-call this caller may see, newest first.
    pub async fn rollcall_list(&self, session: &Session) -> Result<Vec<tables::Listed>, AppError> {
        let who = self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        Ok(tables::list(&**client)
            .await?
            .into_iter()
            .filter(|l| who.authority.may_act_on(&who.tree, &l.call.orgs).is_ok())
            .collect())
    }

    /// The dashboard (K-03): each member's progress, the counts per organisation.
    pub async fn rollcall_status(
        &self,
        session: &Session,
        id: RollcallId,
    ) -> Result<Dashboard, AppError> {
        let who = self.rollcall_caller(session).await?;
        let call = self.rollcall_of(&who, id).await?;
        let client = self.pool.get().await?;
        let recipients: Vec<Recipient> = tables::recipients(&**client, id, None)
            .await?
            .into_iter()
            .filter(|r| who.authority.sees(&who.tree, &r.member))
            .collect();
        let rows: Vec<MemberRow<'_>> = recipients
            .iter()
            .map(|r| MemberRow {
                member: &r.member,
                progress: r.state.progress(),
                status: r.last_status.as_deref(),
            })
            .collect();
        let (whole, per_org) = call::tally(&who.tree, &rows);
        let delivery = tables::delivery(&**client, id).await?;
        let listed = tables::listed_one(&**client, id).await?;
        Ok(Dashboard {
            call,
            tree: who.tree,
            recipients,
            whole,
            per_org,
            delivery,
            listed,
        })
    }

    /// Sends the mail again to the members not yet confirmed (K-03).
    pub async fn rollcall_resend(
        &self,
        session: &Session,
        id: RollcallId,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        let call = self.rollcall_of(&who, id).await?;
        let (recipients, members) = {
            let client = self.pool.get().await?;
            (
                tables::recipients(&**client, id, None).await?,
                crate::store::rollcall_contacts::members_to_mail(&**client).await?,
            )
        };
        // The current addresses of the unconfirmed (decided again by the writer).
        let unconfirmed: std::collections::BTreeSet<&MemberCode> = recipients
            .iter()
            .filter(|r| !r.state.progress().is_confirmed())
            .map(|r| &r.member.code)
            .collect();
        let targets: Vec<&Member> = members
            .iter()
            .filter(|m| unconfirmed.contains(&m.code) && !m.mails.is_empty())
            .collect();
        let (tokens, mails) = self.mails_for(&call, &who.tree, &targets).await?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::Resend {
                rollcall: id,
                tokens,
                mails,
            },
        )
        .await
    }

    pub async fn rollcall_clear(
        &self,
        session: &Session,
        id: RollcallId,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        self.rollcall_of(&who, id).await?;
        self.rollcall_write(who.caller.actor, RollcallChange::Clear { rollcall: id })
            .await
    }

    pub async fn rollcall_close(
        &self,
        session: &Session,
        id: RollcallId,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        self.rollcall_of(&who, id).await?;
        self.rollcall_write(who.caller.actor, RollcallChange::Close { rollcall: id })
            .await
    }

    /// An answer on a member's behalf (代理, K-02).
    pub async fn rollcall_proxy_answer(
        &self,
        session: &Session,
        id: RollcallId,
        member: MemberCode,
        status: &str,
        comment: &str,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        self.rollcall_of(&who, id).await?;
        let client = self.pool.get().await?;
        let recipient = tables::recipients(&**client, id, Some(&member)).await?;
        match recipient.first() {
            Some(r) if who.authority.sees(&who.tree, &r.member) => {}
            _ => {
                return Err(AppError::NotFound(format!(
                    "この安否確認の配信先（担当組織）に職員番号「{member}」の職員はいません"
                )));
            }
        }
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::Answer {
                by: Answerer::Proxy {
                    rollcall: id,
                    member,
                },
                status: status.to_string(),
                comment: comment.to_string(),
            },
        )
        .await
    }

    /// The answer history of a member (K-09).
    pub async fn rollcall_history(
        &self,
        session: &Session,
        id: RollcallId,
        member: &MemberCode,
    ) -> Result<Vec<tables::AnswerRow>, AppError> {
        let who = self.rollcall_caller(session).await?;
        self.rollcall_of(&who, id).await?;
        let client = self.pool.get().await?;
        let recipient = tables::recipients(&**client, id, Some(member)).await?;
        if !recipient
            .first()
            .is_some_and(|r| who.authority.sees(&who.tree, &r.member))
        {
            return Err(AppError::NotFound(format!(
                "職員番号「{member}」の職員はいません"
            )));
        }
        Ok(tables::answers(&**client, id, member).await?)
    }

    /// K-08: the Form 1 drafts of a roll-call — one per member this caller sees whose
    /// latest answer says injured or evacuated (`anpi_core::rollcall::form1`). Only for a
    /// caller who may also enter Form 1 (E-01): the drafts are for the clerk to review,
    /// complete and save; nothing here writes a record.
    pub async fn rollcall_form1_drafts(
        &self,
        session: &Session,
        id: RollcallId,
    ) -> Result<(RollCall, Vec<Form1Draft>), AppError> {
        self.authorize(session, Operation::RecordEntry)?;
        let dashboard = self.rollcall_status(session, id).await?;
        let drafts = self.rollcall_form1_drafts_in(session, &dashboard)?;
        Ok((dashboard.call, drafts))
    }

    /// The Form 1 drafts of a dashboard this session got from `rollcall_status`
    /// (the console shows the drafts' count on it): refused, as `rollcall_form1_drafts`,
    /// to a caller who may not enter Form 1.
    pub fn rollcall_form1_drafts_in(
        &self,
        session: &Session,
        dashboard: &Dashboard,
    ) -> Result<Vec<Form1Draft>, AppError> {
        self.may(session, Operation::RecordEntry)?;
        Ok(dashboard
            .recipients
            .iter()
            .filter_map(|r| {
                let status = r.last_status.as_deref()?;
                let answered_at = r.last_answered_at?;
                let comment = r.last_comment.as_deref().unwrap_or_default();
                let mails: Vec<String> = r.member.mails.iter().map(|m| m.to_string()).collect();
                let draft =
                    anpi_core::rollcall::form1::draft(&anpi_core::rollcall::form1::Answer {
                        name: &r.member.name,
                        mails: &mails,
                        status,
                        comment,
                        answered_at,
                        rollcall: &dashboard.call.title,
                    })?;
                Some(Form1Draft {
                    member: r.member.code.clone(),
                    status: status.to_string(),
                    comment: comment.to_string(),
                    answered_at,
                    draft,
                })
            })
            .collect())
    }

    /// K-08: one member's Form 1 draft, to be entered into `incident` — only an
    /// incident of the roll-call's mode (`form1::check_incident`: a drill's answers
    /// never reach an actual incident, T-04), refused otherwise whether or not the
    /// member's answer still makes a draft. The same authority as
    /// `rollcall_form1_drafts`; nothing is written.
    pub async fn rollcall_form1_draft(
        &self,
        session: &Session,
        id: RollcallId,
        member: &MemberCode,
        incident: anpi_core::ids::IncidentId,
    ) -> Result<Form1DraftFor, AppError> {
        let (call, drafts) = self.rollcall_form1_drafts(session, id).await?;
        let incident = self
            .list_incidents(session)
            .await?
            .into_iter()
            .find(|i| i.id == incident)
            .ok_or_else(|| AppError::NotFound("選択中の事案はこのノードにありません".into()))?;
        anpi_core::rollcall::form1::check_incident(call.mode, &incident)
            .map_err(AppError::Conflict)?;
        let draft = drafts.into_iter().find(|d| &d.member == member);
        Ok(Form1DraftFor {
            call,
            draft,
            incident,
        })
    }

    /// A member opens their link (no login): the page, or the plain refusal.
    pub async fn rollcall_open_link(&self, token: &str) -> Result<AnswerPage, AppError> {
        self.known_token(token).await?;
        let written = self
            .rollcall_write(
                self.link_actor(),
                RollcallChange::Open {
                    token_hash: tables::token_hash(token),
                },
            )
            .await?;
        self.answer_page(written).await
    }

    /// A member answers through their link (no login).
    pub async fn rollcall_answer_link(
        &self,
        token: &str,
        status: &str,
        comment: &str,
    ) -> Result<AnswerPage, AppError> {
        self.known_token(token).await?;
        let written = self
            .rollcall_write(
                self.link_actor(),
                RollcallChange::Answer {
                    by: Answerer::Link {
                        token_hash: tables::token_hash(token),
                    },
                    status: status.to_string(),
                    comment: comment.to_string(),
                },
            )
            .await?;
        self.answer_page(written).await
    }

    /// Refuses a malformed or unknown token on the read pool, before the writer is
    /// asked: made-up links from outside cost one indexed read, never a transaction
    /// of the writer.
    async fn known_token(&self, token: &str) -> Result<(), AppError> {
        if !plausible(token) {
            return Err(AppError::from(call::link_refused()));
        }
        let client = self.pool.get().await?;
        match tables::by_token(&**client, token).await? {
            Some(_) => Ok(()),
            None => Err(AppError::from(call::link_refused())),
        }
    }

    /// The node itself acts for a member answering through their link.
    fn link_actor(&self) -> Actor {
        system_actor(&self.config.jurisdiction)
    }

    async fn answer_page(&self, written: RollcallWritten) -> Result<AnswerPage, AppError> {
        let (Some(id), Some(member)) = (written.rollcall, written.member) else {
            return Err(AppError::from(call::link_refused()));
        };
        let client = self.pool.get().await?;
        let call = tables::call(&**client, id)
            .await?
            .ok_or_else(|| AppError::from(call::link_refused()))?;
        let recipient = tables::recipients(&**client, id, Some(&member))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::from(call::link_refused()))?;
        Ok(AnswerPage {
            call,
            member_name: recipient.member.name,
            last_status: recipient.last_status,
            last_comment: recipient.last_comment,
            first_answered_at: recipient.first_answered_at,
            last_answered_at: recipient.last_answered_at,
            last_proxy: recipient.last_proxy.is_some(),
        })
    }
}

/// A token as `new_token` makes them (48 lower-case hex digits): anything else is
/// refused without a database lookup.
pub(crate) fn plausible(token: &str) -> bool {
    token.len() == 48
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_checked_before_any_lookup() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(plausible(&a) && plausible(&b));
        assert!(!plausible(&a[..47]));
        assert!(!plausible(&a.to_uppercase()));
        assert!(!plausible("../../etc/passwd"));
    }
}
