//! Emergency-contact tables (K-05, `schemas/postgres/0014_rollcall_contacts.sql`): each
//! member's contacts, the personal links of the contact mails, and where each check of
//! an address stands (from the outbox and the links). Written by the writer
//! (`writer::rollcall_contacts`), read here for the screens and the links.

use std::collections::BTreeMap;

use anpi_core::rollcall::MemberCode;
use anpi_core::rollcall::contact::{CheckState, ContactPurpose, Contacts, PhoneNumber};
use anpi_core::rollcall::member::MailAddress;
use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Row};

use super::{Error, Result};

fn unreadable(what: &str, error: String) -> Error {
    Error::Identity(format!("stored contact {what} unreadable: {error}"))
}

/// A member's contacts as stored: when, and by which administrator (`None`: the member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub contacts: Contacts,
    pub set_at: DateTime<Utc>,
    pub set_by: Option<String>,
}

fn stored_of(row: &Row) -> Result<(MemberCode, Stored)> {
    let code = MemberCode::try_from(row.get::<_, String>("member_code"))
        .map_err(|e| unreadable("member", e))?;
    let phones = row
        .get::<_, Vec<String>>("phones")
        .into_iter()
        .map(PhoneNumber::try_from)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| unreadable("phone", e))?;
    let mails = row
        .get::<_, Vec<String>>("mails")
        .into_iter()
        .map(MailAddress::try_from)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| unreadable("mail", e))?;
    Ok((
        code,
        Stored {
            contacts: Contacts { phones, mails },
            set_at: row.get("set_at"),
            set_by: row.get("set_by"),
        },
    ))
}

/// Every member's contacts (members who set none have no entry).
pub async fn all<C: GenericClient>(client: &C) -> Result<BTreeMap<MemberCode, Stored>> {
    client
        .query(
            "SELECT member_code, phones, mails, set_at, set_by FROM rollcall_contacts",
            &[],
        )
        .await?
        .iter()
        .map(stored_of)
        .collect()
}

/// One member's contacts.
pub async fn of<C: GenericClient>(client: &C, member: &MemberCode) -> Result<Option<Stored>> {
    let row = client
        .query_opt(
            "SELECT member_code, phones, mails, set_at, set_by FROM rollcall_contacts
             WHERE member_code = $1",
            &[&member.as_str()],
        )
        .await?;
    Ok(match row {
        Some(row) => Some(stored_of(&row)?.1),
        None => None,
    })
}

/// Where the check of one contact address stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub state: CheckState,
    /// When the latest check mail was queued.
    pub sent_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The mail server's last reply when it failed.
    pub reply: String,
}

/// The check of every current contact address, by member and address. An address is
/// confirmed when a check link to it was used after (or since) the latest check mail
/// to it was queued.
pub async fn checks<C: GenericClient>(client: &C) -> Result<BTreeMap<(MemberCode, String), Check>> {
    let rows = client
        .query(
            "SELECT c.member_code, a.address, o.state, o.created_at, o.last_reply,
                    (SELECT max(l.confirmed_at) FROM rollcall_contact_links l
                      WHERE l.member_code = c.member_code AND l.purpose = 'check'
                        AND l.address = a.address) AS confirmed_at
             FROM rollcall_contacts c
             CROSS JOIN LATERAL unnest(c.mails) AS a(address)
             LEFT JOIN LATERAL (
                 SELECT state, created_at, last_reply FROM mail_outbox
                 WHERE purpose = 'contact_check' AND member_code = c.member_code
                   AND recipient = a.address
                 ORDER BY id DESC LIMIT 1) o ON true",
            &[],
        )
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let code =
            MemberCode::try_from(row.get::<_, String>(0)).map_err(|e| unreadable("member", e))?;
        let sent_at: Option<DateTime<Utc>> = row.get(3);
        let confirmed_at: Option<DateTime<Utc>> = row.get(5);
        let confirmed = match (sent_at, confirmed_at) {
            (Some(sent), Some(confirmed)) => confirmed >= sent,
            (None, Some(_)) => true,
            _ => false,
        };
        let state: Option<String> = row.get(2);
        out.insert(
            (code, row.get::<_, String>(1)),
            Check {
                state: CheckState::of(state.as_deref(), confirmed),
                sent_at,
                confirmed_at: confirmed_at.filter(|_| confirmed),
                reply: row.get::<_, Option<String>>(4).unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// A contact link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub member: MemberCode,
    pub purpose: ContactPurpose,
    pub address: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// The contact link of a token's hash, if any (expired ones too: the caller decides).
pub async fn link<C: GenericClient>(client: &C, hash: &[u8]) -> Result<Option<Link>> {
    let row = client
        .query_opt(
            "SELECT l.member_code, l.purpose, l.address, l.expires_at, l.confirmed_at
             FROM rollcall_contact_links l
             JOIN rollcall_members m ON m.code = l.member_code
             WHERE l.token_hash = $1",
            &[&hash],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let purpose = match row.get::<_, String>(1).as_str() {
        "request" => ContactPurpose::Request,
        "check" => ContactPurpose::Check,
        other => return Err(unreadable("link purpose", other.to_string())),
    };
    Ok(Some(Link {
        member: MemberCode::try_from(row.get::<_, String>(0))
            .map_err(|e| unreadable("member", e))?,
        purpose,
        address: row.get(2),
        expires_at: row.get(3),
        confirmed_at: row.get(4),
    }))
}

/// Every member with the addresses a roll-call mail goes to in `mails`: their contact
/// addresses, or the directory's when they set none
/// (`anpi_core::rollcall::contact::rollcall_addresses`). What a broadcast, a resend
/// and an earthquake dispatch read.
pub async fn members_to_mail<C: GenericClient>(
    client: &C,
) -> Result<Vec<anpi_core::rollcall::Member>> {
    let contacts = all(client).await?;
    let mut members = super::rollcall::members(client).await?;
    for member in &mut members {
        let to = anpi_core::rollcall::contact::rollcall_addresses(
            member,
            contacts.get(&member.code).map(|s| &s.contacts),
        )
        .to_vec();
        member.mails = to;
    }
    Ok(members)
}
