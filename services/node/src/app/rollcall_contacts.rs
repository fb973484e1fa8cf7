//! Emergency-contact use cases (K-05; source document pages 06–07), for the console
//! and the member's personal links. Administrators (system, function,
//! disaster-prevention) see and set the contacts of the members they see
//! (`Authority::sees`: a disaster-prevention administrator, only their organisations'
//! members); a member reaches only their own, through a contact mail's link
//! (`/c/<token>`) or their roll-call answer link (`/r/<token>/contacts`). A member
//! outside the caller's organisations is answered as if unknown.

use std::collections::BTreeMap;

use anpi_core::rollcall::contact::{CheckState, ContactPurpose, Contacts};
use anpi_core::rollcall::template::Fill;
use anpi_core::rollcall::{Member, MemberCode, OrgTree, TemplateKind};
use anpi_files::rollcall::{ContactRow, DirectoryFileError, LineError, parse_contacts};
use chrono::{DateTime, Utc};

use super::rollcall::{RollcallCaller, new_token};
use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::rollcall::{self as tables, OutMail};
use crate::store::rollcall_contacts::{self as contacts, Check, Stored};
use crate::store::writer::{
    ContactLink, ContactMails, RollcallChange, RollcallWritten, system_actor,
};

/// One member with their contacts and where the check of each address stands.
#[derive(Debug, Clone)]
pub struct ContactEntry {
    pub member: Member,
    pub stored: Option<Stored>,
    /// Each contact address with its check.
    pub checks: Vec<(String, Check)>,
    /// The member's check state: the worst of their addresses'.
    pub state: CheckState,
}

impl ContactEntry {
    /// Neither a phone number nor a contact address (未設定).
    pub fn is_missing(&self) -> bool {
        self.stored.as_ref().is_none_or(|s| s.contacts.is_empty())
    }
}

/// What a member's contact page shows: their own name and contacts only.
#[derive(Debug, Clone)]
pub struct ContactPage {
    pub member_name: String,
    pub contacts: Contacts,
    /// A check link: the address it confirms, and whether it is confirmed.
    pub check: Option<(String, bool)>,
}

/// The result of a contact file: saved, or every problem by line (nothing saved).
pub enum ContactImport {
    Saved {
        rows: usize,
        written: RollcallWritten,
    },
    Refused(DirectoryFileError),
}

/// The check results as the file's rows (`anpi_files::rollcall::CHECK_COLUMNS`): one
/// per contact address, in the entries' order (members without contact addresses are
/// left out), times in Japan time to the minute. What the console's download
/// (`checks.csv`) and the Rollcall service's `ListContacts` (`anpi rollcall contacts
/// export --checks`) write.
pub fn check_rows(entries: &[ContactEntry], tree: &OrgTree) -> Vec<[String; 7]> {
    let jst = |time: DateTime<Utc>| {
        time.with_timezone(&anpi_core::entry::jst_offset())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let mut rows = Vec::new();
    for entry in entries {
        let member = &entry.member;
        let orgs: Vec<String> = member.orgs.iter().map(|o| tree.path(o)).collect();
        for (address, check) in &entry.checks {
            rows.push([
                member.code.to_string(),
                member.name.clone(),
                orgs.join("、"),
                address.clone(),
                check.state.label().to_string(),
                check.sent_at.map(jst).unwrap_or_default(),
                check.confirmed_at.map(jst).unwrap_or_default(),
            ]);
        }
    }
    rows
}

fn unknown_member(code: &MemberCode) -> String {
    format!("職員番号「{code}」の職員は登録されていないか、担当組織の職員ではありません")
}

impl NodeState {
    /// The members this caller sees, with their contacts and checks, by member code.
    pub async fn rollcall_contact_list(
        &self,
        session: &Session,
    ) -> Result<(RollcallCaller, Vec<ContactEntry>), AppError> {
        let who = self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        let members = tables::members(&**client).await?;
        let mut stored = contacts::all(&**client).await?;
        let checks = contacts::checks(&**client).await?;
        let mut entries: Vec<ContactEntry> = members
            .into_iter()
            .filter(|m| who.authority.sees(&who.tree, m))
            .map(|member| {
                let stored = stored.remove(&member.code);
                let checks: Vec<(String, Check)> = stored
                    .iter()
                    .flat_map(|s| s.contacts.mails.iter())
                    .map(|address| {
                        let key = (member.code.clone(), address.to_string());
                        let check = checks.get(&key).cloned().unwrap_or(Check {
                            state: CheckState::NotChecked,
                            sent_at: None,
                            confirmed_at: None,
                            reply: String::new(),
                        });
                        (address.to_string(), check)
                    })
                    .collect();
                let states: Vec<CheckState> = checks.iter().map(|(_, c)| c.state).collect();
                ContactEntry {
                    state: CheckState::of_member(&states),
                    member,
                    stored,
                    checks,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.member.code.cmp(&b.member.code));
        Ok((who, entries))
    }

    /// One member's contacts, if this caller sees the member.
    pub async fn rollcall_member_contacts(
        &self,
        session: &Session,
        code: &MemberCode,
    ) -> Result<ContactEntry, AppError> {
        let (_, entries) = self.rollcall_contact_list(session).await?;
        entries
            .into_iter()
            .find(|e| &e.member.code == code)
            .ok_or_else(|| AppError::NotFound(unknown_member(code)))
    }

    /// An administrator sets a member's contacts on their behalf (代理設定).
    pub async fn rollcall_set_contacts(
        &self,
        session: &Session,
        code: &MemberCode,
        phones: &str,
        mails: &str,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        {
            let client = self.pool.get().await?;
            let member = tables::members(&**client)
                .await?
                .into_iter()
                .find(|m| &m.code == code);
            if !member.is_some_and(|m| who.authority.sees(&who.tree, &m)) {
                return Err(AppError::NotFound(unknown_member(code)));
            }
        }
        let parsed = Contacts::parse(phones, mails).map_err(AppError::Invalid)?;
        self.rollcall_write(
            who.caller.actor.clone(),
            RollcallChange::SetContacts {
                rows: vec![(code.clone(), parsed)],
                proxy: Some(who.caller.session.account.clone()),
            },
        )
        .await
    }

    /// A contact file (緊急連絡先のインポート): every row's member must exist and be one
    /// this caller sees, else the line is named; nothing is saved unless every line
    /// is good.
    pub async fn rollcall_import_contacts(
        &self,
        session: &Session,
        bytes: &[u8],
    ) -> Result<ContactImport, AppError> {
        let who = self.rollcall_caller(session).await?;
        let rows: Vec<ContactRow> = match parse_contacts(bytes) {
            Ok(rows) => rows,
            Err(error) => return Ok(ContactImport::Refused(error)),
        };
        let seen: BTreeMap<MemberCode, ()> = {
            let client = self.pool.get().await?;
            tables::members(&**client)
                .await?
                .into_iter()
                .filter(|m| who.authority.sees(&who.tree, m))
                .map(|m| (m.code, ()))
                .collect()
        };
        let problems: Vec<LineError> = rows
            .iter()
            .filter(|row| !seen.contains_key(&row.member))
            .map(|row| LineError {
                line: row.line,
                column: anpi_files::rollcall::CONTACT_COLUMNS[0].to_string(),
                message: unknown_member(&row.member),
            })
            .collect();
        if !problems.is_empty() {
            return Ok(ContactImport::Refused(DirectoryFileError::Lines(problems)));
        }
        let count = rows.len();
        let written = self
            .rollcall_write(
                who.caller.actor.clone(),
                RollcallChange::SetContacts {
                    rows: rows.into_iter().map(|r| (r.member, r.contacts)).collect(),
                    proxy: Some(who.caller.session.account.clone()),
                },
            )
            .await?;
        Ok(ContactImport::Saved {
            rows: count,
            written,
        })
    }

    /// Sends contact mails to the members this caller sees (page 06: 設定確認通知の
    /// 一斉配信, to those without contacts unless `everyone`; page 07: 連絡先確認の
    /// 一斉配信, to every contact address). Returns what was written and how many of
    /// the members meant had no address to send to.
    pub async fn rollcall_send_contact_mails(
        &self,
        session: &Session,
        purpose: ContactPurpose,
        everyone: bool,
    ) -> Result<(RollcallWritten, usize), AppError> {
        let (who, entries) = self.rollcall_contact_list(session).await?;
        let client = self.pool.get().await?;
        let Some((settings, _)) = tables::settings(&**client).await? else {
            return Err(AppError::Conflict(
                "配信メールサーバーが設定されていません。先にシステム管理者が設定してください"
                    .into(),
            ));
        };
        let kind = match purpose {
            ContactPurpose::Request => TemplateKind::ContactRequest,
            ContactPurpose::Check => TemplateKind::ContactCheck,
        };
        let (template, _) = tables::template(&**client, kind).await?;
        drop(client);
        let meant: Vec<&ContactEntry> = entries
            .iter()
            .filter(|e| match purpose {
                ContactPurpose::Request => everyone || e.is_missing(),
                ContactPurpose::Check => e
                    .stored
                    .as_ref()
                    .is_some_and(|s| !s.contacts.mails.is_empty()),
            })
            .collect();
        let sent_at = anpi_core::rollcall::template::mail_time(chrono::Utc::now());
        let title = match purpose {
            ContactPurpose::Request => "緊急連絡先の設定",
            ContactPurpose::Check => "緊急連絡先の確認",
        };
        let mut links = Vec::new();
        let mut mails = Vec::new();
        let mut without = 0;
        for entry in &meant {
            let member = &entry.member;
            let addresses = purpose.addresses(member, entry.stored.as_ref().map(|s| &s.contacts));
            if addresses.is_empty() {
                without += 1;
                continue;
            }
            let orgs: Vec<String> = member.orgs.iter().map(|o| who.tree.path(o)).collect();
            let orgs = orgs.join("、");
            let mut one = |address: Option<&anpi_core::rollcall::MailAddress>,
                           to: &[anpi_core::rollcall::MailAddress]| {
                let token = new_token();
                let url = settings.contact_link(&token);
                let rendered = template.render(
                    &Fill {
                        name: &member.name,
                        orgs: &orgs,
                        title,
                        sent_at: &sent_at,
                        url: &url,
                    },
                    false,
                );
                links.push(ContactLink {
                    hash: tables::token_hash(&token),
                    member: member.code.clone(),
                    address: address.cloned(),
                });
                for to in to {
                    mails.push(OutMail {
                        rollcall: None,
                        member: Some(member.code.clone()),
                        purpose: purpose.as_str(),
                        recipient: to.to_string(),
                        subject: rendered.subject.clone(),
                        body: rendered.body.clone(),
                    });
                }
            };
            match purpose {
                // One link for the member, in a mail to each directory address.
                ContactPurpose::Request => one(None, addresses),
                // One link per contact address: opening it confirms that address.
                ContactPurpose::Check => {
                    for address in addresses {
                        one(Some(address), std::slice::from_ref(address));
                    }
                }
            }
        }
        let written = self
            .rollcall_write(
                who.caller.actor.clone(),
                RollcallChange::SendContactMails(Box::new(ContactMails {
                    purpose,
                    links,
                    mails,
                })),
            )
            .await?;
        Ok((written, without))
    }

    /// The member of a contact link, if it is well-formed, known and not expired.
    async fn contact_link(&self, token: &str) -> Result<contacts::Link, AppError> {
        let refused = || AppError::NotFound("このリンクは無効か、期限が切れています".into());
        if !super::rollcall::plausible(token) {
            return Err(refused());
        }
        let client = self.pool.get().await?;
        match contacts::link(&**client, &tables::token_hash(token)).await? {
            Some(link) if link.expires_at > chrono::Utc::now() => Ok(link),
            _ => Err(refused()),
        }
    }

    async fn contact_page_of(
        &self,
        member: &MemberCode,
        check: Option<(String, bool)>,
    ) -> Result<ContactPage, AppError> {
        let client = self.pool.get().await?;
        let name = tables::members(&**client)
            .await?
            .into_iter()
            .find(|m| &m.code == member)
            .map(|m| m.name)
            .ok_or_else(|| AppError::NotFound("このリンクは無効か、期限が切れています".into()))?;
        let contacts = contacts::of(&**client, member)
            .await?
            .map(|s| s.contacts)
            .unwrap_or_default();
        Ok(ContactPage {
            member_name: name,
            contacts,
            check,
        })
    }

    /// A member opens a contact mail's link (no login): their own contacts only.
    pub async fn contact_link_page(&self, token: &str) -> Result<ContactPage, AppError> {
        let link = self.contact_link(token).await?;
        let check = link
            .address
            .clone()
            .map(|a| (a, link.confirmed_at.is_some()));
        self.contact_page_of(&link.member, check).await
    }

    /// A member sets their own contacts through a contact mail's link.
    pub async fn contact_link_set(
        &self,
        token: &str,
        phones: &str,
        mails: &str,
    ) -> Result<ContactPage, AppError> {
        let link = self.contact_link(token).await?;
        self.set_own_contacts(&link.member, phones, mails).await?;
        self.contact_link_page(token).await
    }

    /// A member confirms, through a check mail's link, that the address receives mail.
    pub async fn contact_link_confirm(&self, token: &str) -> Result<ContactPage, AppError> {
        let link = self.contact_link(token).await?;
        if link.purpose != ContactPurpose::Check {
            return Err(AppError::NotFound(
                "このリンクは無効か、期限が切れています".into(),
            ));
        }
        self.rollcall_write(
            system_actor(&self.config.jurisdiction),
            RollcallChange::ConfirmContact {
                token_hash: tables::token_hash(token),
            },
        )
        .await?;
        self.contact_link_page(token).await
    }

    /// The member of a roll-call answer link, while the roll-call is open.
    async fn answer_link_member(&self, token: &str) -> Result<MemberCode, AppError> {
        let refused = || AppError::from(anpi_core::rollcall::call::link_refused());
        if !super::rollcall::plausible(token) {
            return Err(refused());
        }
        let client = self.pool.get().await?;
        let (id, member) = tables::by_token(&**client, token)
            .await?
            .ok_or_else(refused)?;
        match tables::call(&**client, id).await? {
            Some(call) if !call.closed => Ok(member),
            _ => Err(refused()),
        }
    }

    /// A member's own contacts from their roll-call answer link (緊急連絡先の変更).
    pub async fn rollcall_link_contacts(&self, token: &str) -> Result<ContactPage, AppError> {
        let member = self.answer_link_member(token).await?;
        self.contact_page_of(&member, None).await
    }

    /// A member sets their own contacts from their roll-call answer link.
    pub async fn rollcall_link_set_contacts(
        &self,
        token: &str,
        phones: &str,
        mails: &str,
    ) -> Result<ContactPage, AppError> {
        let member = self.answer_link_member(token).await?;
        self.set_own_contacts(&member, phones, mails).await?;
        self.contact_page_of(&member, None).await
    }

    async fn set_own_contacts(
        &self,
        member: &MemberCode,
        phones: &str,
        mails: &str,
    ) -> Result<RollcallWritten, AppError> {
        let parsed = Contacts::parse(phones, mails).map_err(AppError::Invalid)?;
        self.rollcall_write(
            system_actor(&self.config.jurisdiction),
            RollcallChange::SetContacts {
                rows: vec![(member.clone(), parsed)],
                proxy: None,
            },
        )
        .await
    }
}
