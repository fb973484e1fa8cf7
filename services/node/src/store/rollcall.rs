//! Roll-call tables (K-01..K-09): what the writer keeps beside the Rollcall* events,
//! read for the screens and the commands, and the mail outbox the mailer works through
//! (`mail_outbox`, `docs/adr/0017-rollcall.md`). Every query of roll-call is here.

use anpi_core::ids::{AccountId, RollcallId};
use anpi_core::rollcall::call::{RecipientState, RollCall};
use anpi_core::rollcall::mail::MailSettings;
use anpi_core::rollcall::{
    MailAddress, Member, MemberCode, Mode, OrgCode, OrgTree, Organisation, RollcallRole, Template,
    TemplateKind,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::{Error, Result};

/// The SHA-256 of a link's token: what the database keeps.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn decode<T>(field: &str, value: std::result::Result<T, String>) -> Result<T> {
    value.map_err(|e| Error::Identity(format!("stored roll-call {field} unreadable: {e}")))
}

/// Every organisation, as a checked tree.
pub async fn org_tree<C: GenericClient>(client: &C) -> Result<OrgTree> {
    let rows = client
        .query("SELECT code, name, parent FROM rollcall_orgs", &[])
        .await?;
    let mut orgs = Vec::with_capacity(rows.len());
    for row in rows {
        let parent: Option<String> = row.get(2);
        orgs.push(Organisation {
            code: decode("org", OrgCode::try_from(row.get::<_, String>(0)))?,
            name: row.get(1),
            parent: match parent {
                Some(p) => Some(decode("org", OrgCode::try_from(p))?),
                None => None,
            },
        });
    }
    OrgTree::new(orgs).map_err(|e| Error::Identity(format!("stored organisations: {e}")))
}

fn member_of(row: &tokio_postgres::Row) -> Result<Member> {
    let orgs: Vec<String> = row.get("orgs");
    let mails: Vec<String> = row.get("mails");
    Ok(Member {
        code: decode("member", MemberCode::try_from(row.get::<_, String>("code")))?,
        name: row.get("name"),
        orgs: orgs
            .into_iter()
            .map(|o| decode("member org", OrgCode::try_from(o)))
            .collect::<Result<_>>()?,
        mails: mails
            .into_iter()
            .map(|m| decode("member mail", MailAddress::try_from(m)))
            .collect::<Result<_>>()?,
    })
}

/// Every member, by code.
pub async fn members<C: GenericClient>(client: &C) -> Result<Vec<Member>> {
    client
        .query(
            "SELECT code, name, orgs, mails FROM rollcall_members ORDER BY code",
            &[],
        )
        .await?
        .iter()
        .map(member_of)
        .collect()
}

/// The roll-call role of an account, if any.
pub async fn role_of<C: GenericClient>(
    client: &C,
    account: &AccountId,
) -> Result<Option<RollcallRole>> {
    let row = client
        .query_opt(
            "SELECT role FROM rollcall_roles WHERE account_id = $1",
            &[&account.as_str()],
        )
        .await?;
    match row {
        Some(row) => Ok(Some(crate::store::decoded(&row, 0)?)),
        None => Ok(None),
    }
}

/// Every account with a roll-call role.
pub async fn roles<C: GenericClient>(client: &C) -> Result<Vec<(String, RollcallRole)>> {
    let rows = client
        .query(
            "SELECT account_id, role FROM rollcall_roles ORDER BY account_id",
            &[],
        )
        .await?;
    rows.into_iter()
        .map(|row| Ok((row.get(0), crate::store::decoded(&row, 1)?)))
        .collect()
}

/// The mail settings and the SMTP password, if set.
pub async fn settings<C: GenericClient>(client: &C) -> Result<Option<(MailSettings, String)>> {
    let row = client
        .query_opt(
            "SELECT settings, smtp_password FROM rollcall_settings WHERE id = 1",
            &[],
        )
        .await?;
    match row {
        Some(row) => Ok(Some((crate::store::decoded(&row, 0)?, row.get(1)))),
        None => Ok(None),
    }
}

/// The template of `kind`: the saved one, else the default.
pub async fn template<C: GenericClient>(
    client: &C,
    kind: TemplateKind,
) -> Result<(Template, bool)> {
    let row = client
        .query_opt(
            "SELECT subject, body FROM rollcall_templates WHERE kind = $1",
            &[&kind.as_str()],
        )
        .await?;
    Ok(match row {
        Some(row) => (
            Template {
                subject: row.get(0),
                body: row.get(1),
            },
            true,
        ),
        None => (kind.default_template(), false),
    })
}

/// A roll-call as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub call: RollCall,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub closed_at: Option<DateTime<Utc>>,
    /// Withdrawn (K-08, 取消): when and why.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: String,
    pub recipients: i64,
    pub answered: i64,
}

fn call_of(row: &tokio_postgres::Row) -> Result<RollCall> {
    let orgs: Vec<String> = row.get("orgs");
    Ok(RollCall {
        id: RollcallId::from_uuid(row.get("rollcall_id")),
        title: row.get("title"),
        mode: Mode::parse(row.get("mode"))
            .ok_or_else(|| Error::Identity("stored roll-call mode".into()))?,
        orgs: orgs
            .into_iter()
            .map(|o| decode("roll-call org", OrgCode::try_from(o)))
            .collect::<Result<_>>()?,
        statuses: row.get("statuses"),
        round: row.get("round"),
        closed: row.get::<_, Option<DateTime<Utc>>>("closed_at").is_some(),
        cancelled: row
            .get::<_, Option<DateTime<Utc>>>("cancelled_at")
            .is_some(),
    })
}

/// One roll-call, if it exists.
pub async fn call<C: GenericClient>(client: &C, id: RollcallId) -> Result<Option<RollCall>> {
    let row = client
        .query_opt(
            "SELECT rollcall_id, title, mode, orgs, statuses, round, closed_at, cancelled_at
             FROM rollcalls WHERE rollcall_id = $1",
            &[&id.as_uuid()],
        )
        .await?;
    row.as_ref().map(call_of).transpose()
}

/// Every roll-call, newest first, with its counts.
pub async fn list<C: GenericClient>(client: &C) -> Result<Vec<Listed>> {
    listed(client, None).await
}

/// One roll-call as listed, if it exists.
pub async fn listed_one<C: GenericClient>(client: &C, id: RollcallId) -> Result<Option<Listed>> {
    Ok(listed(client, Some(id)).await?.into_iter().next())
}

async fn listed<C: GenericClient>(client: &C, id: Option<RollcallId>) -> Result<Vec<Listed>> {
    let id = id.map(|id| id.as_uuid());
    let rows = client
        .query(
            "SELECT c.rollcall_id, c.title, c.mode, c.orgs, c.statuses, c.round, c.closed_at,
                    c.cancelled_at, c.cancel_reason, c.started_at, c.started_by,
                    (SELECT count(*) FROM rollcall_recipients r WHERE r.rollcall_id = c.rollcall_id) AS recipients,
                    (SELECT count(*) FROM rollcall_recipients r
                      WHERE r.rollcall_id = c.rollcall_id AND r.last_status IS NOT NULL) AS answered
             FROM rollcalls c WHERE $1::uuid IS NULL OR c.rollcall_id = $1
             ORDER BY c.started_at DESC",
            &[&id],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Listed {
                call: call_of(row)?,
                started_at: row.get("started_at"),
                started_by: row.get("started_by"),
                closed_at: row.get("closed_at"),
                cancelled_at: row.get("cancelled_at"),
                cancel_reason: row.get("cancel_reason"),
                recipients: row.get("recipients"),
                answered: row.get("answered"),
            })
        })
        .collect()
}

/// The roll-call and member a link's token opens, if any.
pub async fn by_token<C: GenericClient>(
    client: &C,
    token: &str,
) -> Result<Option<(RollcallId, MemberCode)>> {
    let row = client
        .query_opt(
            "SELECT rollcall_id, member_code FROM rollcall_tokens WHERE token_hash = $1",
            &[&token_hash(token)],
        )
        .await?;
    match row {
        Some(row) => Ok(Some((
            RollcallId::from_uuid(row.get(0)),
            decode("member", MemberCode::try_from(row.get::<_, String>(1)))?,
        ))),
        None => Ok(None),
    }
}

/// One recipient of a roll-call as the dashboard and the answer page show them.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub member: Member,
    pub state: RecipientState,
    pub opened_at: Option<DateTime<Utc>>,
    pub first_answered_at: Option<DateTime<Utc>>,
    pub last_status: Option<String>,
    pub last_comment: Option<String>,
    pub last_answered_at: Option<DateTime<Utc>>,
    pub last_proxy: Option<String>,
    /// Mails to this member: sent, waiting, failed (with the last server reply).
    pub mails_sent: i64,
    pub mails_pending: i64,
    pub mails_failed: i64,
    pub last_reply: Option<String>,
}

/// The recipients of a roll-call (`member`: only that one), by member code.
pub async fn recipients<C: GenericClient>(
    client: &C,
    id: RollcallId,
    member: Option<&MemberCode>,
) -> Result<Vec<Recipient>> {
    let rows = client
        .query(
            "SELECT r.member_code AS code, r.name, r.orgs, coalesce(m.mails, '{}') AS mails,
                    r.opened_at, r.first_answered_at, r.last_status, r.last_comment,
                    r.last_answered_at, r.last_proxy,
                    count(o.id) FILTER (WHERE o.state = 'sent') AS sent,
                    count(o.id) FILTER (WHERE o.state IN ('pending', 'sending')) AS pending,
                    count(o.id) FILTER (WHERE o.state = 'failed') AS failed,
                    max(o.last_reply) FILTER (WHERE o.last_reply <> '') AS last_reply
             FROM rollcall_recipients r
             LEFT JOIN rollcall_members m ON m.code = r.member_code
             LEFT JOIN mail_outbox o ON o.rollcall_id = r.rollcall_id AND o.member_code = r.member_code
             WHERE r.rollcall_id = $1 AND ($2::text IS NULL OR r.member_code = $2)
             GROUP BY r.member_code, r.name, r.orgs, m.mails, r.opened_at, r.first_answered_at,
                      r.last_status, r.last_comment, r.last_answered_at, r.last_proxy
             ORDER BY r.member_code",
            &[&id.as_uuid(), &member.map(|m| m.as_str())],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let last_proxy: Option<String> = row.get("last_proxy");
            let last_status: Option<String> = row.get("last_status");
            let opened_at: Option<DateTime<Utc>> = row.get("opened_at");
            Ok(Recipient {
                member: member_of(row)?,
                state: RecipientState {
                    opened: opened_at.is_some(),
                    last_answer_proxy: last_status.as_ref().map(|_| last_proxy.is_some()),
                },
                opened_at,
                first_answered_at: row.get("first_answered_at"),
                last_status,
                last_comment: row.get("last_comment"),
                last_answered_at: row.get("last_answered_at"),
                last_proxy,
                mails_sent: row.get("sent"),
                mails_pending: row.get("pending"),
                mails_failed: row.get("failed"),
                last_reply: row.get("last_reply"),
            })
        })
        .collect()
}

/// One answer of the history (K-09).
#[derive(Debug, Clone)]
pub struct AnswerRow {
    pub round: i32,
    pub status: String,
    pub comment: String,
    pub proxy: Option<String>,
    pub answered_at: DateTime<Utc>,
}

/// Every answer of a member to a roll-call, oldest first, all rounds.
pub async fn answers<C: GenericClient>(
    client: &C,
    id: RollcallId,
    member: &MemberCode,
) -> Result<Vec<AnswerRow>> {
    let rows = client
        .query(
            "SELECT round, status, comment, proxy, answered_at FROM rollcall_answers
             WHERE rollcall_id = $1 AND member_code = $2 ORDER BY answered_at, position",
            &[&id.as_uuid(), &member.as_str()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| AnswerRow {
            round: row.get(0),
            status: row.get(1),
            comment: row.get(2),
            proxy: row.get(3),
            answered_at: row.get(4),
        })
        .collect())
}

/// The purpose of the notice that a roll-call was withdrawn (K-08).
pub const CANCEL_NOTICE: &str = "cancel_notice";

/// When a roll-call was started.
pub async fn started_at<C: GenericClient>(
    client: &C,
    id: RollcallId,
) -> Result<Option<DateTime<Utc>>> {
    Ok(client
        .query_opt(
            "SELECT started_at FROM rollcalls WHERE rollcall_id = $1",
            &[&id.as_uuid()],
        )
        .await?
        .map(|row| row.get(0)))
}

/// The addresses a roll-call's request reached or is reaching (its safety mails sent
/// or being sent, first send and resends), once each, with the member and their name
/// as asked: who a withdrawal notice goes to (K-08).
pub async fn reached<C: GenericClient>(
    client: &C,
    id: RollcallId,
) -> Result<Vec<(MemberCode, String, String)>> {
    let rows = client
        .query(
            "SELECT DISTINCT o.member_code, r.name, o.recipient
             FROM mail_outbox o
             JOIN rollcall_recipients r ON r.rollcall_id = o.rollcall_id AND r.member_code = o.member_code
             WHERE o.rollcall_id = $1 AND o.state IN ('sent', 'sending')
               AND o.purpose IN ('safety', 'safety_drill')
             ORDER BY o.member_code, o.recipient",
            &[&id.as_uuid()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                decode("member", MemberCode::try_from(row.get::<_, String>(0)))?,
                row.get(1),
                row.get(2),
            ))
        })
        .collect()
}

/// A withdrawn roll-call's mails that have not left (`pending`, retries included)
/// are never sent: `withdrawn`, their bodies (with the links) emptied. Returns how
/// many.
pub async fn withdraw_mails<C: GenericClient>(client: &C, id: RollcallId) -> Result<u64> {
    Ok(client
        .execute(
            "UPDATE mail_outbox SET state = 'withdrawn', body = ''
             WHERE rollcall_id = $1 AND state = 'pending'",
            &[&id.as_uuid()],
        )
        .await?)
}

/// A mail for the outbox.
#[derive(Debug, Clone)]
pub struct OutMail {
    pub rollcall: Option<RollcallId>,
    pub member: Option<MemberCode>,
    pub purpose: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// Queues mails (in the caller's transaction).
pub async fn queue_mails<C: GenericClient>(
    client: &C,
    mails: &[OutMail],
    now: DateTime<Utc>,
) -> Result<()> {
    if mails.is_empty() {
        return Ok(());
    }
    let calls: Vec<Option<Uuid>> = mails
        .iter()
        .map(|m| m.rollcall.map(|r| r.as_uuid()))
        .collect();
    let members: Vec<Option<&str>> = mails
        .iter()
        .map(|m| m.member.as_ref().map(|c| c.as_str()))
        .collect();
    let purposes: Vec<&str> = mails.iter().map(|m| m.purpose).collect();
    let to: Vec<&str> = mails.iter().map(|m| m.recipient.as_str()).collect();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    let bodies: Vec<&str> = mails.iter().map(|m| m.body.as_str()).collect();
    client
        .execute(
            "INSERT INTO mail_outbox (rollcall_id, member_code, purpose, recipient, subject, body,
                                      next_attempt_at, created_at)
             SELECT c, m, p, t, s, b, $7, $7
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                  AS u(c, m, p, t, s, b)",
            &[&calls, &members, &purposes, &to, &subjects, &bodies, &now],
        )
        .await?;
    Ok(())
}

/// A mail the mailer claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

/// Claims up to `limit` due mails (state `sending`, committed before they are sent).
pub async fn claim<C: GenericClient>(client: &C, limit: i64) -> Result<Vec<Claimed>> {
    let rows = client
        .query(
            "UPDATE mail_outbox SET state = 'sending', claimed_at = now(), attempts = attempts + 1
             WHERE id IN (SELECT id FROM mail_outbox
                          WHERE state = 'pending' AND next_attempt_at <= now()
                          ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING id, recipient, subject, body, attempts",
            &[&limit],
        )
        .await?;
    let mut out: Vec<Claimed> = rows
        .iter()
        .map(|row| Claimed {
            id: row.get(0),
            recipient: row.get(1),
            subject: row.get(2),
            body: row.get(3),
            attempts: row.get(4),
        })
        .collect();
    out.sort_by_key(|c| c.id);
    Ok(out)
}

/// After a stop: mails left `sending` go back to `pending` (they are sent again; those
/// the server had already accepted arrive twice — the in-flight window). Returns how
/// many.
pub async fn release_claimed<C: GenericClient>(client: &C) -> Result<u64> {
    Ok(client
        .execute(
            "UPDATE mail_outbox SET state = 'pending', next_attempt_at = now() WHERE state = 'sending'",
            &[],
        )
        .await?)
}

/// The server accepted the mail; the body (which holds the link) is no longer kept.
pub async fn mark_sent<C: GenericClient>(client: &C, id: i64, reply: &str) -> Result<()> {
    client
        .execute(
            "UPDATE mail_outbox SET state = 'sent', sent_at = now(), last_reply = $2, body = ''
             WHERE id = $1",
            &[&id, &reply],
        )
        .await?;
    Ok(())
}

/// A failed attempt: back to `pending` after `retry_after` seconds, or `failed`.
pub async fn mark_failed<C: GenericClient>(
    client: &C,
    id: i64,
    reply: &str,
    retry_after: Option<u64>,
) -> Result<()> {
    match retry_after {
        Some(seconds) => {
            let seconds = seconds as f64;
            client
                .execute(
                    "UPDATE mail_outbox SET state = 'pending', last_reply = $2,
                            next_attempt_at = now() + make_interval(secs => $3)
                     WHERE id = $1",
                    &[&id, &reply, &seconds],
                )
                .await?
        }
        None => {
            client
                .execute(
                    "UPDATE mail_outbox SET state = 'failed', last_reply = $2 WHERE id = $1",
                    &[&id, &reply],
                )
                .await?
        }
    };
    Ok(())
}

/// When the next pending mail is due, if any.
pub async fn next_due<C: GenericClient>(client: &C) -> Result<Option<DateTime<Utc>>> {
    Ok(client
        .query_one(
            "SELECT min(next_attempt_at) FROM mail_outbox WHERE state = 'pending'",
            &[],
        )
        .await?
        .get(0))
}

/// Outbox counts of a roll-call: pending (incl. sending), sent, failed.
pub async fn delivery<C: GenericClient>(client: &C, id: RollcallId) -> Result<(i64, i64, i64)> {
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE state IN ('pending', 'sending')),
                    count(*) FILTER (WHERE state = 'sent'),
                    count(*) FILTER (WHERE state = 'failed')
             FROM mail_outbox WHERE rollcall_id = $1",
            &[&id.as_uuid()],
        )
        .await?;
    Ok((row.get(0), row.get(1), row.get(2)))
}
