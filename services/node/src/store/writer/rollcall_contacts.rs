//! The writer's emergency-contact commands (K-05), inside `change_rollcall`'s
//! transaction: contacts set (the `RollcallContactsSet` events with the
//! `rollcall_contacts` rows), contact mails queued with their links' hashes
//! (`RollcallContactMailsSent`), and a check link used (`RollcallContactConfirmed`).
//! Who may do each is decided before, in `app::rollcall_contacts`.

use std::collections::BTreeMap;

use anpi_core::ids::AccountId;
use anpi_core::rollcall::contact::{ContactPurpose, Contacts};
use anpi_core::rollcall::member::MailAddress;
use anpi_core::rollcall::{MemberCode, RollcallEvent};
use anpi_core::validation::FieldError;
use chrono::{DateTime, Utc};
use tokio_postgres::Transaction;

use super::Rejection;
use super::rollcall::{Decided, RollcallWritten, not_found};
use crate::store::Result;
use crate::store::rollcall::{self as tables, OutMail};
use crate::store::rollcall_contacts as contacts;

/// One contact link: its token's hash, the member, and for a check the address.
#[derive(Debug, Clone)]
pub struct ContactLink {
    pub hash: Vec<u8>,
    pub member: MemberCode,
    pub address: Option<MailAddress>,
}

/// Contact mails about to be queued, with their links (made by `app::rollcall_contacts`).
#[derive(Debug, Clone)]
pub struct ContactMails {
    pub purpose: ContactPurpose,
    pub links: Vec<ContactLink>,
    pub mails: Vec<OutMail>,
}

/// Sets contacts; every member must exist. Unchanged rows write nothing.
pub(super) async fn set(
    tx: &Transaction<'_>,
    rows: Vec<(MemberCode, Contacts)>,
    proxy: Option<AccountId>,
    now: DateTime<Utc>,
    out: &mut Vec<RollcallEvent>,
) -> Result<Decided> {
    let known: std::collections::BTreeSet<MemberCode> = tables::members(tx)
        .await?
        .into_iter()
        .map(|m| m.code)
        .collect();
    if let Some((code, _)) = rows.iter().find(|(code, _)| !known.contains(code)) {
        return Ok(not_found(
            "member_code",
            format!("職員番号「{code}」は登録されていません"),
        ));
    }
    let stored: BTreeMap<MemberCode, contacts::Stored> = contacts::all(tx).await?;
    for (member, new) in rows {
        let old = stored
            .get(&member)
            .map(|s| s.contacts.clone())
            .unwrap_or_default();
        if old == new {
            continue;
        }
        if new.is_empty() {
            tx.execute(
                "DELETE FROM rollcall_contacts WHERE member_code = $1",
                &[&member.as_str()],
            )
            .await?;
        } else {
            let phones: Vec<&str> = new.phones.iter().map(|p| p.as_str()).collect();
            let mails: Vec<&str> = new.mails.iter().map(|m| m.as_str()).collect();
            tx.execute(
                "INSERT INTO rollcall_contacts (member_code, phones, mails, set_at, set_by)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (member_code) DO UPDATE
                 SET phones = $2, mails = $3, set_at = $4, set_by = $5",
                &[
                    &member.as_str(),
                    &phones,
                    &mails,
                    &now,
                    &proxy.as_ref().map(|a| a.as_str()),
                ],
            )
            .await?;
        }
        out.push(RollcallEvent::ContactsSet {
            member,
            contacts: new,
            proxy: proxy.clone(),
        });
    }
    Ok(Ok(()))
}

/// Queues contact mails and stores their links' hashes.
pub(super) async fn send(
    tx: &Transaction<'_>,
    mails: ContactMails,
    now: DateTime<Utc>,
    out: &mut Vec<RollcallEvent>,
    reply: &mut RollcallWritten,
) -> Result<Decided> {
    if mails.links.is_empty() {
        return Ok(Err(Rejection::Invalid(FieldError::new(
            "members",
            "送信先の職員がいません（メールアドレスのある職員が対象です）",
        ))));
    }
    let expires = now + chrono::Duration::days(mails.purpose.link_days());
    let hashes: Vec<&[u8]> = mails.links.iter().map(|l| l.hash.as_slice()).collect();
    let members: Vec<&str> = mails.links.iter().map(|l| l.member.as_str()).collect();
    let addresses: Vec<Option<&str>> = mails
        .links
        .iter()
        .map(|l| l.address.as_ref().map(|a| a.as_str()))
        .collect();
    tx.execute(
        "INSERT INTO rollcall_contact_links (token_hash, member_code, purpose, address,
                                             created_at, expires_at)
         SELECT h, m, $4, a, $5, $6 FROM unnest($1::bytea[], $2::text[], $3::text[]) AS u(h, m, a)",
        &[
            &hashes,
            &members,
            &addresses,
            &mails.purpose.link_kind(),
            &now,
            &expires,
        ],
    )
    .await?;
    tables::queue_mails(tx, &mails.mails, now).await?;
    reply.mails += mails.mails.len();
    let mut reached: Vec<MemberCode> = mails.links.into_iter().map(|l| l.member).collect();
    reached.dedup();
    reply.recipients = reached.len();
    out.push(RollcallEvent::ContactMailsSent {
        purpose: mails.purpose,
        members: reached,
    });
    Ok(Ok(()))
}

/// A check link used: every unconfirmed check link of the member to that address is
/// confirmed (the address receives mail). A link used again writes nothing.
pub(super) async fn confirm(
    tx: &Transaction<'_>,
    hash: &[u8],
    now: DateTime<Utc>,
    out: &mut Vec<RollcallEvent>,
    reply: &mut RollcallWritten,
) -> Result<Decided> {
    let link = match contacts::link(tx, hash).await? {
        Some(link) if link.purpose == ContactPurpose::Check && link.expires_at > now => link,
        _ => {
            return Ok(not_found(
                "token",
                "このリンクは無効か、期限が切れています".into(),
            ));
        }
    };
    let Some(address) = link.address else {
        return Ok(not_found(
            "token",
            "このリンクは無効か、期限が切れています".into(),
        ));
    };
    reply.member = Some(link.member.clone());
    if link.confirmed_at.is_some() {
        return Ok(Ok(()));
    }
    tx.execute(
        "UPDATE rollcall_contact_links SET confirmed_at = $3
         WHERE member_code = $1 AND purpose = 'check' AND address = $2
           AND confirmed_at IS NULL AND expires_at > $3",
        &[&link.member.as_str(), &address, &now],
    )
    .await?;
    let address = match MailAddress::parse(&address) {
        Ok(address) => address,
        Err(error) => return Ok(Err(Rejection::Invalid(error))),
    };
    out.push(RollcallEvent::ContactConfirmed {
        member: link.member,
        address,
    });
    Ok(Ok(()))
}
