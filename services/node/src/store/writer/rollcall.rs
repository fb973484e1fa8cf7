//! The writer's roll-call commands (K-01..K-09), each in a transaction of its own: the
//! Rollcall* events together with the tables the screens read (`store::rollcall`) and,
//! for a broadcast or a resend, the links' token hashes and the mails in the outbox —
//! so a broadcast is recorded whole or not at all, and its mails are sent after the
//! commit by the mailer (`crate::mail`). Rules come from `anpi_core::rollcall`; the
//! authority of the caller is checked before, in `app::rollcall`.

use std::collections::BTreeMap;

use anpi_core::event::{Actor, Payload};
use anpi_core::ids::{AccountId, RollcallId};
use anpi_core::rollcall::call::{self, RecipientState, RollCall};
use anpi_core::rollcall::mail::MailSettings;
use anpi_core::rollcall::{
    Member, MemberCode, OrgCode, OrgTree, Organisation, RollcallEvent, RollcallRole, Template,
    TemplateKind,
};
use anpi_core::validation::FieldError;
use chrono::{DateTime, Utc};
use tokio_postgres::Transaction;

use super::jma::{Dispatching, JmaTelegram};
use super::rollcall_contacts::ContactMails;
use super::{Outcome, Rejection, WriterTask, exclusive, now_micros, position_and_fold};
use crate::store::Result;
use crate::store::projection::Batch;
use crate::store::rollcall::{self as tables, OutMail};
use anpi_core::rollcall::contact::Contacts;

type Answer = std::result::Result<Outcome, Rejection>;

/// A link's token hash with the member it opens.
pub type Token = (Vec<u8>, MemberCode);

/// Who answers: the member through their link, or an administrator for them (代理).
#[derive(Debug, Clone)]
pub enum Answerer {
    Link {
        token_hash: Vec<u8>,
    },
    Proxy {
        rollcall: RollcallId,
        member: MemberCode,
    },
}

/// What a roll-call command does.
#[derive(Debug, Clone)]
pub enum RollcallChange {
    /// Organisations and members added or changed (an import, a form); rows equal to
    /// the stored ones write nothing. The tree after the change must hold.
    SaveDirectory {
        orgs: Vec<Organisation>,
        members: Vec<Member>,
    },
    /// An organisation with no members and no organisations below it.
    RemoveOrganisation {
        code: OrgCode,
    },
    RemoveMember {
        code: MemberCode,
    },
    /// A roll-call role given to an account, or taken away (`None`).
    AssignRole {
        account: AccountId,
        role: Option<RollcallRole>,
    },
    /// The mail server settings; `password`: `None` keeps the stored one.
    SetMailSettings {
        settings: MailSettings,
        password: Option<String>,
    },
    SaveTemplate {
        kind: TemplateKind,
        template: Template,
    },
    /// A broadcast (K-01).
    Start(Box<Broadcast>),
    /// Resend to the unconfirmed (K-03): decided again here over the stored states;
    /// `mails` per member code, of which only those still unconfirmed are queued.
    Resend {
        rollcall: RollcallId,
        tokens: Vec<Token>,
        mails: Vec<OutMail>,
    },
    /// A member opened their link.
    Open {
        token_hash: Vec<u8>,
    },
    Answer {
        by: Answerer,
        status: String,
        comment: String,
    },
    Clear {
        rollcall: RollcallId,
    },
    Close {
        rollcall: RollcallId,
    },
    /// K-05: members' emergency contacts set (a form, a personal link, a file); rows
    /// equal to the stored ones write nothing. `proxy`: the administrator who set them
    /// on the members' behalf (代理設定); `None`: the member through their link.
    SetContacts {
        rows: Vec<(MemberCode, Contacts)>,
        proxy: Option<AccountId>,
    },
    /// K-05: contact mails with their links (`writer::rollcall_contacts`).
    SendContactMails(Box<ContactMails>),
    /// K-05: a check mail's link used: its address receives mail.
    ConfirmContact {
        token_hash: Vec<u8>,
    },
    /// K-08: an earthquake telegram the feed task read, with what the rules decided,
    /// in one transaction (`jma.rs`).
    JmaTelegram(Box<JmaTelegram>),
    /// K-08: a dispatch left pending (a delay, no mail server yet) comes due: it
    /// starts, waits on, or is given up — if it is still pending.
    JmaDue {
        dispatch: i64,
        then: Dispatching,
    },
    /// K-07: the organisation's emergency contacts and links (`writer::rollcall_info`).
    SaveInfo {
        info: anpi_core::rollcall::info::InfoSettings,
    },
    /// K-07: an evacuation route added with the next number.
    AddRoute {
        route: anpi_core::rollcall::info::RouteInput,
    },
    /// K-07: an evacuation route removed.
    RemoveRoute {
        id: u32,
    },
    /// K-07: a post on the bulletin board, by the acting account.
    PostNotice {
        draft: anpi_core::rollcall::info::NoticeDraft,
    },
    /// K-07: a post withdrawn (kept, hidden from members).
    WithdrawNotice {
        id: u32,
        reason: String,
    },
}

/// A broadcast about to be written (K-01): the `Started` event the domain planned
/// (`call::plan`), the members it reaches, their links' token hashes and the
/// rendered mails. Made by `app::rollcall` for a sender and for the node itself.
#[derive(Debug, Clone)]
pub struct Broadcast {
    pub event: RollcallEvent,
    pub recipients: Vec<Member>,
    pub tokens: Vec<Token>,
    pub mails: Vec<OutMail>,
}

/// What a roll-call command wrote.
#[derive(Debug, Clone, Default)]
pub struct RollcallWritten {
    /// The position of the last event (`None`: nothing changed).
    pub position: Option<i64>,
    pub events: usize,
    /// The roll-call and member concerned (open, answer).
    pub rollcall: Option<RollcallId>,
    pub member: Option<MemberCode>,
    /// Mails queued.
    pub mails: usize,
    /// Members a broadcast asked.
    pub recipients: usize,
    /// K-08: the roll-calls started and withdrawn.
    pub started: Vec<RollcallId>,
    pub cancelled: Vec<RollcallId>,
    /// K-08: the telegram had been read before (nothing was written).
    pub known: bool,
}

impl super::Reply for RollcallWritten {
    fn from_outcome(outcome: Outcome) -> std::result::Result<Self, Outcome> {
        match outcome {
            Outcome::Rollcall(written) => Ok(*written),
            other => Err(other),
        }
    }
}

pub(super) type Decided = std::result::Result<(), Rejection>;

fn refused(refusal: anpi_core::refusal::Refusal) -> Decided {
    Err(Rejection::from(refusal))
}

pub(super) fn not_found(field: &str, message: String) -> Decided {
    Err(Rejection::NotFound(FieldError::new(field, message)))
}

fn written(events: usize, position: Option<i64>) -> RollcallWritten {
    RollcallWritten {
        position,
        events,
        rollcall: None,
        member: None,
        mails: 0,
        recipients: 0,
        started: Vec::new(),
        cancelled: Vec::new(),
        known: false,
    }
}

impl WriterTask {
    pub(super) async fn change_rollcall(
        &mut self,
        actor: Actor,
        change: RollcallChange,
    ) -> Result<Answer> {
        let tx = exclusive(&mut self.client).transaction().await?;
        let now = now_micros();
        let mut out = Vec::new();
        let mut reply = written(0, None);
        let decided: Decided = match change {
            RollcallChange::SaveDirectory { orgs, members } => {
                save_directory(&tx, orgs, members, now, &mut out).await?
            }
            RollcallChange::RemoveOrganisation { code } => remove_org(&tx, code, &mut out).await?,
            RollcallChange::RemoveMember { code } => {
                let n = tx
                    .execute(
                        "DELETE FROM rollcall_members WHERE code = $1",
                        &[&code.as_str()],
                    )
                    .await?;
                // Their contacts and contact links go with them (K-05).
                tx.execute(
                    "DELETE FROM rollcall_contacts WHERE member_code = $1",
                    &[&code.as_str()],
                )
                .await?;
                tx.execute(
                    "DELETE FROM rollcall_contact_links WHERE member_code = $1",
                    &[&code.as_str()],
                )
                .await?;
                if n == 0 {
                    not_found(
                        "member_code",
                        format!("職員番号「{code}」は登録されていません"),
                    )
                } else {
                    out.push(RollcallEvent::MemberRemoved { code });
                    Ok(())
                }
            }
            RollcallChange::AssignRole { account, role } => {
                let exists = tx
                    .query_opt(
                        "SELECT 1 FROM accounts WHERE account_id = $1 AND disabled_at IS NULL",
                        &[&account.as_str()],
                    )
                    .await?
                    .is_some();
                if !exists {
                    not_found(
                        "account_id",
                        format!("ユーザーID「{account}」は登録されていないか、返却済みです"),
                    )
                } else {
                    if let Some(RollcallRole::DisasterPrevention { orgs }) = &role {
                        let tree = tables::org_tree(&tx).await?;
                        if let Err(error) = tree.check_known("rollcall_orgs", orgs) {
                            tx.commit().await?;
                            return Ok(Err(Rejection::Invalid(error)));
                        }
                    }
                    match &role {
                        Some(role) => {
                            tx.execute(
                                "INSERT INTO rollcall_roles (account_id, role, assigned_at, assigned_by)
                                 VALUES ($1, $2, $3, $4)
                                 ON CONFLICT (account_id) DO UPDATE
                                 SET role = $2, assigned_at = $3, assigned_by = $4",
                                &[&account.as_str(), &serde_json::to_value(role)?, &now, &actor.to_string()],
                            )
                            .await?;
                        }
                        None => {
                            tx.execute(
                                "DELETE FROM rollcall_roles WHERE account_id = $1",
                                &[&account.as_str()],
                            )
                            .await?;
                        }
                    }
                    out.push(RollcallEvent::RoleAssigned { account, role });
                    Ok(())
                }
            }
            RollcallChange::SetMailSettings { settings, password } => {
                tx.execute(
                    "INSERT INTO rollcall_settings (id, settings, smtp_password, changed_at)
                     VALUES (1, $1, coalesce($2, ''), $3)
                     ON CONFLICT (id) DO UPDATE
                     SET settings = $1, smtp_password = coalesce($2, rollcall_settings.smtp_password),
                         changed_at = $3",
                    &[&serde_json::to_value(&settings)?, &password, &now],
                )
                .await?;
                let password_set: bool = tx
                    .query_one(
                        "SELECT smtp_password <> '' FROM rollcall_settings WHERE id = 1",
                        &[],
                    )
                    .await?
                    .get(0);
                out.push(RollcallEvent::MailSettingsChanged {
                    settings,
                    password_set,
                });
                Ok(())
            }
            RollcallChange::SaveTemplate { kind, template } => match template.check() {
                Err(errors) => Err(Rejection::Invalid(
                    errors.into_iter().next().expect("an error"),
                )),
                Ok(()) => {
                    tx.execute(
                        "INSERT INTO rollcall_templates (kind, subject, body, saved_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (kind) DO UPDATE SET subject = $2, body = $3, saved_at = $4",
                        &[&kind.as_str(), &template.subject, &template.body, &now],
                    )
                    .await?;
                    out.push(RollcallEvent::TemplateSaved { kind, template });
                    Ok(())
                }
            },
            RollcallChange::Start(broadcast) => {
                start_in(&tx, &actor, now, *broadcast, &mut out, &mut reply).await?;
                Ok(())
            }
            RollcallChange::SetContacts { rows, proxy } => {
                super::rollcall_contacts::set(&tx, rows, proxy, now, &mut out).await?
            }
            RollcallChange::SendContactMails(mails) => {
                super::rollcall_contacts::send(&tx, *mails, now, &mut out, &mut reply).await?
            }
            RollcallChange::ConfirmContact { token_hash } => {
                super::rollcall_contacts::confirm(&tx, &token_hash, now, &mut out, &mut reply)
                    .await?
            }
            RollcallChange::JmaTelegram(telegram) => {
                super::jma::telegram(&tx, &actor, now, *telegram, &mut out, &mut reply).await?
            }
            RollcallChange::JmaDue { dispatch, then } => {
                super::jma::due(&tx, &actor, now, dispatch, then, &mut out, &mut reply).await?
            }
            RollcallChange::Resend {
                rollcall,
                tokens,
                mails,
            } => match tables::call(&tx, rollcall).await? {
                None => not_found("rollcall", "安否確認が見つかりません".into()),
                Some(call) => {
                    let states = tables::recipients(&tx, rollcall, None).await?;
                    let states: Vec<(&MemberCode, RecipientState)> =
                        states.iter().map(|r| (&r.member.code, r.state)).collect();
                    match call::decide_resend(&call, states) {
                        Err(refusal) => refused(refusal),
                        Ok(event) => {
                            let RollcallEvent::Resent { members, .. } = &event else {
                                unreachable!("decide_resend makes Resent");
                            };
                            let keep: std::collections::BTreeSet<&MemberCode> =
                                members.iter().collect();
                            let tokens: Vec<Token> = tokens
                                .into_iter()
                                .filter(|(_, m)| keep.contains(m))
                                .collect();
                            let mails: Vec<OutMail> = mails
                                .into_iter()
                                .filter(|m| m.member.as_ref().is_some_and(|c| keep.contains(c)))
                                .collect();
                            insert_tokens(&tx, rollcall, &tokens, now).await?;
                            tables::queue_mails(&tx, &mails, now).await?;
                            reply.rollcall = Some(rollcall);
                            reply.mails = mails.len();
                            out.push(event);
                            Ok(())
                        }
                    }
                }
            },
            RollcallChange::Open { token_hash } => match load_by_hash(&tx, &token_hash).await? {
                None => refused(call::link_refused()),
                Some((call, member, state)) => match call::decide_open(&call, &member, state) {
                    Err(refusal) => refused(refusal),
                    Ok(event) => {
                        if let Some(event) = event {
                            tx.execute(
                                "UPDATE rollcall_recipients SET opened_at = $3
                                     WHERE rollcall_id = $1 AND member_code = $2",
                                &[&call.id.as_uuid(), &member.as_str(), &now],
                            )
                            .await?;
                            out.push(event);
                        }
                        reply.rollcall = Some(call.id);
                        reply.member = Some(member);
                        Ok(())
                    }
                },
            },
            RollcallChange::Answer {
                by,
                status,
                comment,
            } => {
                let loaded = match &by {
                    Answerer::Link { token_hash } => load_by_hash(&tx, token_hash).await?,
                    Answerer::Proxy { rollcall, member } => load(&tx, *rollcall, member).await?,
                };
                let proxy = match &by {
                    Answerer::Link { .. } => None,
                    Answerer::Proxy { .. } => Some(actor.account.clone()),
                };
                match loaded {
                    None if proxy.is_none() => refused(call::link_refused()),
                    None => not_found(
                        "member_code",
                        "この安否確認の配信先に、その職員番号の職員はいません".into(),
                    ),
                    Some((call, member, state)) => {
                        match call::decide_answer(&call, &member, &status, &comment, proxy) {
                            Err(refusal) => refused(refusal),
                            Ok(event) => {
                                let RollcallEvent::Answered {
                                    status,
                                    comment,
                                    proxy,
                                    ..
                                } = &event
                                else {
                                    unreachable!("decide_answer makes Answered");
                                };
                                let proxy = proxy.as_ref().map(|a| a.as_str().to_string());
                                // A member answering opens the link too (the page was
                                // shown before the form was sent).
                                if !state.opened && proxy.is_none() {
                                    out.push(RollcallEvent::LinkOpened {
                                        rollcall: call.id,
                                        round: call.round,
                                        member: member.clone(),
                                    });
                                }
                                tx.execute(
                                    "UPDATE rollcall_recipients
                                     SET opened_at = CASE WHEN $6 THEN coalesce(opened_at, $3) ELSE opened_at END,
                                         first_answered_at = coalesce(first_answered_at, $3),
                                         last_status = $4, last_comment = $5, last_answered_at = $3,
                                         last_proxy = $7
                                     WHERE rollcall_id = $1 AND member_code = $2",
                                    &[
                                        &call.id.as_uuid(),
                                        &member.as_str(),
                                        &now,
                                        status,
                                        comment,
                                        &proxy.is_none(),
                                        &proxy,
                                    ],
                                )
                                .await?;
                                // The answer's row gets its position below, once known.
                                reply.rollcall = Some(call.id);
                                reply.member = Some(member);
                                out.push(event);
                                Ok(())
                            }
                        }
                    }
                }
            }
            RollcallChange::Clear { rollcall } => match tables::call(&tx, rollcall).await? {
                None => not_found("rollcall", "安否確認が見つかりません".into()),
                Some(call) => match call::decide_clear(&call) {
                    Err(refusal) => refused(refusal),
                    Ok(event) => {
                        tx.execute(
                            "UPDATE rollcalls SET round = round + 1 WHERE rollcall_id = $1",
                            &[&rollcall.as_uuid()],
                        )
                        .await?;
                        tx.execute(
                            "UPDATE rollcall_recipients
                             SET round = round + 1, opened_at = NULL, first_answered_at = NULL, last_status = NULL,
                                 last_comment = NULL, last_answered_at = NULL, last_proxy = NULL
                             WHERE rollcall_id = $1",
                            &[&rollcall.as_uuid()],
                        )
                        .await?;
                        reply.rollcall = Some(rollcall);
                        out.push(event);
                        Ok(())
                    }
                },
            },
            RollcallChange::Close { rollcall } => match tables::call(&tx, rollcall).await? {
                None => not_found("rollcall", "安否確認が見つかりません".into()),
                Some(call) => match call::decide_close(&call) {
                    Err(refusal) => refused(refusal),
                    Ok(event) => {
                        tx.execute(
                            "UPDATE rollcalls SET closed_at = $2 WHERE rollcall_id = $1",
                            &[&rollcall.as_uuid(), &now],
                        )
                        .await?;
                        reply.rollcall = Some(rollcall);
                        out.push(event);
                        Ok(())
                    }
                },
            },
            RollcallChange::SaveInfo { info } => {
                super::rollcall_info::save_info(&tx, &actor, now, info, &mut out).await?
            }
            RollcallChange::AddRoute { route } => {
                super::rollcall_info::add_route(&tx, now, route, &mut out).await?
            }
            RollcallChange::RemoveRoute { id } => {
                super::rollcall_info::remove_route(&tx, now, id, &mut out).await?
            }
            RollcallChange::PostNotice { draft } => {
                super::rollcall_info::post_notice(&tx, &actor, now, draft, &mut out).await?
            }
            RollcallChange::WithdrawNotice { id, reason } => {
                super::rollcall_info::withdraw_notice(&tx, &actor, now, id, reason, &mut out)
                    .await?
            }
        };
        if let Err(rejection) = decided {
            // Nothing of a refused command is kept (each refuses before it writes).
            tx.rollback().await?;
            return Ok(Err(rejection));
        }
        if out.is_empty() {
            tx.commit().await?;
            return Ok(Ok(Outcome::Rollcall(Box::new(reply))));
        }
        let mut next = self.head;
        let mut batch = Batch::default();
        let events: Vec<_> = out
            .into_iter()
            .map(|event| {
                let new = Self::new_event(
                    &self.origin,
                    actor.clone(),
                    now,
                    (Payload::Rollcall(event), None, None),
                );
                position_and_fold(&mut next, new, &mut batch)
            })
            .collect();
        for event in &events {
            if let Payload::Rollcall(RollcallEvent::Answered {
                rollcall,
                round,
                member,
                status,
                comment,
                proxy,
            }) = event.payload()
            {
                tx.execute(
                    "INSERT INTO rollcall_answers (rollcall_id, member_code, round, status, comment, proxy,
                                                   answered_at, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &rollcall.as_uuid(),
                        &member.as_str(),
                        round,
                        status,
                        comment,
                        &proxy.as_ref().map(|a| a.as_str()),
                        &now,
                        &event.position(),
                    ],
                )
                .await?;
            }
        }
        reply.events = events.len();
        Self::commit(tx, &events, batch).await?;
        self.head = next;
        reply.position = Some(next.position);
        // Mail queued, or settings the mailer waits for.
        self.mail_ready.notify_one();
        Ok(Ok(Outcome::Rollcall(Box::new(reply))))
    }
}

/// Writes a broadcast (K-01) in `tx`: the roll-call, its recipients, the links'
/// token hashes and the mails; the `Started` event goes to `out`. Returns the
/// roll-call's ID.
pub(super) async fn start_in(
    tx: &Transaction<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    broadcast: Broadcast,
    out: &mut Vec<RollcallEvent>,
    reply: &mut RollcallWritten,
) -> Result<RollcallId> {
    let Broadcast {
        event,
        recipients,
        tokens,
        mails,
    } = broadcast;
    let RollcallEvent::Started {
        rollcall,
        title,
        mode,
        orgs,
        statuses,
        ..
    } = &event
    else {
        unreachable!("a broadcast carries a Started event");
    };
    let rollcall = *rollcall;
    let orgs: Vec<&str> = orgs.iter().map(OrgCode::as_str).collect();
    tx.execute(
        "INSERT INTO rollcalls (rollcall_id, title, mode, orgs, statuses, round, started_at, started_by)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
        &[&rollcall.as_uuid(), title, &mode.as_str(), &orgs, statuses, &now, &actor.to_string()],
    )
    .await?;
    let codes: Vec<&str> = recipients.iter().map(|m| m.code.as_str()).collect();
    let names: Vec<&str> = recipients.iter().map(|m| m.name.as_str()).collect();
    let member_orgs: Vec<String> = recipients
        .iter()
        .map(|m| {
            m.orgs
                .iter()
                .map(OrgCode::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    tx.execute(
        "INSERT INTO rollcall_recipients (rollcall_id, member_code, name, orgs, round)
         SELECT $1, c, n, string_to_array(o, ' '), 1
         FROM unnest($2::text[], $3::text[], $4::text[]) AS u(c, n, o)",
        &[&rollcall.as_uuid(), &codes, &names, &member_orgs],
    )
    .await?;
    insert_tokens(tx, rollcall, &tokens, now).await?;
    tables::queue_mails(tx, &mails, now).await?;
    reply.rollcall = Some(rollcall);
    reply.mails += mails.len();
    reply.recipients += recipients.len();
    reply.started.push(rollcall);
    out.push(event);
    Ok(rollcall)
}

/// Withdraws a roll-call (K-08, 取消) in `tx`: the `Cancelled` event to `out`, its
/// mails not sent yet `withdrawn`, and a notice (【取消】) queued to every address its
/// request reached or is reaching. `why` says the reason to the members. A roll-call
/// withdrawn before changes nothing (false).
pub(super) async fn cancel_in(
    tx: &Transaction<'_>,
    now: DateTime<Utc>,
    rollcall: RollcallId,
    reason: &str,
    why: &str,
    out: &mut Vec<RollcallEvent>,
    reply: &mut RollcallWritten,
) -> Result<bool> {
    let Some(call) = tables::call(tx, rollcall).await? else {
        return Ok(false);
    };
    let Ok(event) = call::decide_cancel(&call, reason) else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE rollcalls SET cancelled_at = $2, cancel_reason = $3 WHERE rollcall_id = $1",
        &[&rollcall.as_uuid(), &now, &reason.trim()],
    )
    .await?;
    tables::withdraw_mails(tx, rollcall).await?;
    let started_at = tables::started_at(tx, rollcall).await?.unwrap_or(now);
    let sent_at = anpi_core::rollcall::template::mail_time(started_at);
    let drill = call.mode == anpi_core::rollcall::Mode::Drill;
    let mails: Vec<OutMail> = tables::reached(tx, rollcall)
        .await?
        .into_iter()
        .map(|(member, name, address)| {
            let notice = anpi_core::rollcall::template::cancellation_notice(
                &anpi_core::rollcall::template::CancelFill {
                    name: &name,
                    title: &call.title,
                    sent_at: &sent_at,
                    why,
                },
                drill,
            );
            OutMail {
                rollcall: Some(rollcall),
                member: Some(member),
                purpose: tables::CANCEL_NOTICE,
                recipient: address,
                subject: notice.subject,
                body: notice.body,
            }
        })
        .collect();
    tables::queue_mails(tx, &mails, now).await?;
    reply.mails += mails.len();
    reply.cancelled.push(rollcall);
    out.push(event);
    Ok(true)
}

async fn insert_tokens(
    tx: &Transaction<'_>,
    rollcall: RollcallId,
    tokens: &[Token],
    now: DateTime<Utc>,
) -> Result<()> {
    let hashes: Vec<&[u8]> = tokens.iter().map(|(h, _)| h.as_slice()).collect();
    let members: Vec<&str> = tokens.iter().map(|(_, m)| m.as_str()).collect();
    tx.execute(
        "INSERT INTO rollcall_tokens (token_hash, rollcall_id, member_code, created_at)
         SELECT h, $1, m, $4 FROM unnest($2::bytea[], $3::text[]) AS u(h, m)",
        &[&rollcall.as_uuid(), &hashes, &members, &now],
    )
    .await?;
    Ok(())
}

/// The roll-call, member and state a token opens (locked for the transaction).
async fn load_by_hash(
    tx: &Transaction<'_>,
    hash: &[u8],
) -> Result<Option<(RollCall, MemberCode, RecipientState)>> {
    let row = tx
        .query_opt(
            "SELECT rollcall_id, member_code FROM rollcall_tokens WHERE token_hash = $1",
            &[&hash],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let Ok(member) = MemberCode::try_from(row.get::<_, String>(1)) else {
        return Ok(None);
    };
    load(tx, RollcallId::from_uuid(row.get(0)), &member).await
}

async fn load(
    tx: &Transaction<'_>,
    rollcall: RollcallId,
    member: &MemberCode,
) -> Result<Option<(RollCall, MemberCode, RecipientState)>> {
    let Some(call) = tables::call(tx, rollcall).await? else {
        return Ok(None);
    };
    let row = tx
        .query_opt(
            "SELECT opened_at IS NOT NULL, last_status IS NOT NULL, last_proxy IS NOT NULL
             FROM rollcall_recipients WHERE rollcall_id = $1 AND member_code = $2 FOR UPDATE",
            &[&rollcall.as_uuid(), &member.as_str()],
        )
        .await?;
    Ok(row.map(|row| {
        let state = RecipientState {
            opened: row.get(0),
            last_answer_proxy: row.get::<_, bool>(1).then(|| row.get(2)),
        };
        (call, member.clone(), state)
    }))
}

async fn save_directory(
    tx: &Transaction<'_>,
    orgs: Vec<Organisation>,
    members: Vec<Member>,
    now: DateTime<Utc>,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    let stored = tables::org_tree(tx).await?;
    let mut merged: BTreeMap<OrgCode, Organisation> = stored
        .in_order()
        .into_iter()
        .map(|o| (o.code.clone(), o.clone()))
        .collect();
    let mut changed_orgs = Vec::new();
    for org in orgs {
        if merged.get(&org.code) != Some(&org) {
            merged.insert(org.code.clone(), org.clone());
            changed_orgs.push(org);
        }
    }
    let tree = match OrgTree::new(merged.into_values()) {
        Ok(tree) => tree,
        Err(error) => return Ok(Err(Rejection::Invalid(error))),
    };
    for member in &members {
        if let Err(error) = member.check_orgs(&tree) {
            return Ok(Err(Rejection::Invalid(FieldError::new(
                "member_orgs",
                format!("職員「{}」: {}", member.code, error.message),
            ))));
        }
    }
    // Parents before children, so that each row's parent exists when it is written.
    let order: BTreeMap<&OrgCode, usize> = tree
        .in_order()
        .into_iter()
        .enumerate()
        .map(|(i, o)| (&o.code, i))
        .collect();
    changed_orgs.sort_by_key(|o| order[&o.code]);
    for org in &changed_orgs {
        tx.execute(
            "INSERT INTO rollcall_orgs (code, name, parent) VALUES ($1, $2, $3)
             ON CONFLICT (code) DO UPDATE SET name = $2, parent = $3",
            &[
                &org.code.as_str(),
                &org.name,
                &org.parent.as_ref().map(OrgCode::as_str),
            ],
        )
        .await?;
    }
    out.extend(
        changed_orgs
            .into_iter()
            .map(|org| RollcallEvent::OrganisationSaved { org }),
    );
    let stored: BTreeMap<MemberCode, Member> = tables::members(tx)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let changed: Vec<Member> = members
        .into_iter()
        .filter(|m| stored.get(&m.code) != Some(m))
        .collect();
    if !changed.is_empty() {
        let codes: Vec<&str> = changed.iter().map(|m| m.code.as_str()).collect();
        let names: Vec<&str> = changed.iter().map(|m| m.name.as_str()).collect();
        let orgs: Vec<String> = changed
            .iter()
            .map(|m| {
                m.orgs
                    .iter()
                    .map(OrgCode::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let mails: Vec<String> = changed
            .iter()
            .map(|m| {
                m.mails
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        tx.execute(
            "INSERT INTO rollcall_members (code, name, orgs, mails, updated_at)
             SELECT c, n, string_to_array(o, ' '), coalesce(string_to_array(NULLIF(m, ''), ' '), '{}'), $5
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(c, n, o, m)
             ON CONFLICT (code) DO UPDATE
             SET name = excluded.name, orgs = excluded.orgs, mails = excluded.mails, updated_at = $5",
            &[&codes, &names, &orgs, &mails, &now],
        )
        .await?;
    }
    out.extend(
        changed
            .into_iter()
            .map(|member| RollcallEvent::MemberSaved { member }),
    );
    Ok(Ok(()))
}

async fn remove_org(
    tx: &Transaction<'_>,
    code: OrgCode,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    let tree = tables::org_tree(tx).await?;
    if !tree.contains(&code) {
        return Ok(Err(Rejection::NotFound(FieldError::new(
            "org_code",
            format!("組織コード「{code}」は登録されていません"),
        ))));
    }
    if tree.with_descendants([&code]).len() > 1 {
        return Ok(Err(Rejection::Conflict(FieldError::new(
            "org_code",
            format!("組織「{code}」には下位組織があります。先に下位組織を削除してください"),
        ))));
    }
    let members: i64 = tx
        .query_one(
            "SELECT count(*) FROM rollcall_members WHERE $1 = ANY (orgs)",
            &[&code.as_str()],
        )
        .await?
        .get(0);
    if members > 0 {
        return Ok(Err(Rejection::Conflict(FieldError::new(
            "org_code",
            format!(
                "組織「{code}」には職員が{members}人所属しています。先に所属を変更してください"
            ),
        ))));
    }
    tx.execute(
        "DELETE FROM rollcall_orgs WHERE code = $1",
        &[&code.as_str()],
    )
    .await?;
    out.push(RollcallEvent::OrganisationRemoved { code });
    Ok(Ok(()))
}
