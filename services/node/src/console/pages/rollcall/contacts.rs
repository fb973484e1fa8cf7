//! `/rollcall/contacts`: the members' emergency contacts (緊急連絡先, K-05; source
//! document pages 06–07) for the roll-call administrators:
//! - the setting-status list: each member the caller sees (a disaster-prevention
//!   administrator: only their organisations'), their phone numbers and contact
//!   addresses, who set them (本人 / 代理) and when, and where the check of each address
//!   stands (確認済み / 未確認 / 送信失敗 …);
//! - the two mails: the request to set contacts (設定のお願い, to members without
//!   contacts, or to everyone) and the check of every contact address (連絡先の確認);
//! - the contact file (CSV import; every problem by line and column, nothing saved
//!   from a file with one) and three downloads: members without contacts (in the
//!   import's format, to fill in), every member's contacts, and the check results;
//! - `/rollcall/contacts/{code}`: an administrator sets one member's contacts on their
//!   behalf (代理設定). A member outside the caller's organisations is not found.
//!
//! Members set their own on `crate::contact_page` (no login). URLs carry member codes,
//! never a name, a number or an address.

use anpi_core::rollcall::contact::{CheckState, ContactPurpose, MAX_MAILS, MAX_PHONES};
use anpi_core::validation::FieldError;
use anpi_files::MAX_FILE_BYTES;
use anpi_files::rollcall::{CONTACT_COLUMNS, write_checks_csv, write_contacts_csv};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::directory::{
    LineProblem, PROBLEMS_SHOWN, UploadResult, csv_file, file_problems, query_encoding,
};
use super::{caller, frame, problem, scope_note, shown, value};
use crate::app::AppError;
use crate::app::rollcall_contacts::{ContactEntry, ContactImport, check_rows};
use crate::console::{
    Clerk, FormErrors, Frame, Posted, PostedFile, Shared, Upload, fail, jst, redirect_with, render,
};

/// One contact address with where its check stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRow {
    pub address: String,
    pub state: CheckState,
    /// When the latest check mail was queued, or confirmed (Japan time), if ever.
    pub when: String,
    /// The mail server's reply when the mail failed.
    pub reply: String,
}

impl AddressRow {
    pub fn label(&self) -> &'static str {
        self.state.label()
    }

    /// The tag class of the state.
    pub fn tag(&self) -> &'static str {
        state_tag(self.state)
    }
}

fn state_tag(state: CheckState) -> &'static str {
    match state {
        CheckState::Confirmed => "tag-ok",
        CheckState::Failed => "tag-failed",
        CheckState::NotOpened | CheckState::Sending => "tag-progress-opened",
        CheckState::NotChecked => "tag-never",
    }
}

/// One member of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRowView {
    pub code: String,
    pub name: String,
    pub orgs: Vec<String>,
    pub phones: Vec<String>,
    pub addresses: Vec<AddressRow>,
    /// 本人 / 代理（account）, empty when never set.
    pub set_by: String,
    pub set_at: String,
    pub missing: bool,
}

/// The counts above the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub members: usize,
    pub missing: usize,
    pub confirmed: usize,
    pub not_opened: usize,
    pub failed: usize,
}

#[derive(Template)]
#[template(path = "console/rollcall_contacts.html")]
pub struct ContactsPage {
    pub frame: Frame,
    pub rows: Vec<ContactRowView>,
    pub counts: Counts,
    pub scope_note: Option<String>,
    pub result: Option<UploadResult>,
    pub errors: FormErrors,
    pub max_mb: usize,
    pub max_bytes: usize,
    pub columns: String,
    /// Only the members without contacts are listed (`?show=missing`).
    pub only_missing: bool,
}

impl ContactsPage {
    pub fn here(&self) -> &'static str {
        "contacts"
    }
}

/// What the list shows of one member.
pub fn row_of(entry: &ContactEntry, tree: &anpi_core::rollcall::OrgTree) -> ContactRowView {
    let member = &entry.member;
    let (phones, set_by, set_at) = match &entry.stored {
        Some(stored) => (
            stored
                .contacts
                .phones
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            match &stored.set_by {
                None => "本人".to_string(),
                Some(account) => format!("代理（{account}）"),
            },
            jst(stored.set_at),
        ),
        None => (Vec::new(), String::new(), String::new()),
    };
    ContactRowView {
        code: member.code.to_string(),
        name: member.name.clone(),
        orgs: member.orgs.iter().map(|o| tree.path(o)).collect(),
        phones,
        addresses: entry
            .checks
            .iter()
            .map(|(address, check)| AddressRow {
                address: address.clone(),
                state: check.state,
                when: check
                    .confirmed_at
                    .or(check.sent_at)
                    .map(jst)
                    .unwrap_or_default(),
                reply: if check.state == CheckState::Failed {
                    check.reply.clone()
                } else {
                    String::new()
                },
            })
            .collect(),
        set_by,
        set_at,
        missing: entry.is_missing(),
    }
}

/// The counts of members without contacts and of checked addresses.
pub fn counts(entries: &[ContactEntry]) -> Counts {
    let mut counts = Counts {
        members: entries.len(),
        ..Counts::default()
    };
    for entry in entries {
        if entry.is_missing() {
            counts.missing += 1;
        }
        for (_, check) in &entry.checks {
            match check.state {
                CheckState::Confirmed => counts.confirmed += 1,
                CheckState::NotOpened | CheckState::Sending => counts.not_opened += 1,
                CheckState::Failed => counts.failed += 1,
                CheckState::NotChecked => {}
            }
        }
    }
    counts
}

fn only_missing(raw: Option<&str>) -> bool {
    raw.is_some_and(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .unwrap_or_default()
            .iter()
            .any(|(k, v)| k == "show" && v == "missing")
    })
}

async fn show(
    state: &Shared,
    clerk: &Clerk,
    only: bool,
    result: Option<UploadResult>,
    errors: FormErrors,
) -> Response {
    let (who, entries) = match state.node.rollcall_contact_list(&clerk.session).await {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let refused = result.is_some() || !errors.list.is_empty();
    let page = ContactsPage {
        frame: frame(state, clerk).await,
        counts: counts(&entries),
        rows: entries
            .iter()
            .filter(|e| !only || e.is_missing())
            .map(|e| row_of(e, &who.tree))
            .collect(),
        scope_note: scope_note(&who.tree, &who.authority),
        result,
        errors,
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
        max_bytes: MAX_FILE_BYTES,
        columns: CONTACT_COLUMNS.join(","),
        only_missing: only,
    };
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall/contacts (`?show=missing`: only members without contacts).
pub async fn page(State(state): State<Shared>, RawQuery(raw): RawQuery, clerk: Clerk) -> Response {
    show(
        &state,
        &clerk,
        only_missing(raw.as_deref()),
        None,
        FormErrors::default(),
    )
    .await
}

const FILE_LABEL: &str = "緊急連絡先ファイル";

fn result(file_name: String, problems: Vec<LineProblem>) -> UploadResult {
    let total = problems.len();
    UploadResult {
        which: "contacts",
        label: FILE_LABEL,
        file_name,
        problems: problems.into_iter().take(PROBLEMS_SHOWN).collect(),
        total,
    }
}

/// POST /rollcall/contacts/import (multipart: `csrf`, `file`).
pub async fn import(State(state): State<Shared>, posted: PostedFile) -> Response {
    let PostedFile { clerk, file, .. } = posted;
    let refuse = |message: String| shown(&[problem("contacts-file", FILE_LABEL, message)], "");
    let (file_name, bytes) = match file {
        Upload::Missing => {
            let errors = refuse(
                "ファイルが選ばれていません。CSVファイルを選んでから送信してください".into(),
            );
            return show(&state, &clerk, false, None, errors).await;
        }
        Upload::TooLarge { size } => {
            let error = anpi_files::FileError::TooLarge {
                size,
                limit: MAX_FILE_BYTES,
            };
            return show(&state, &clerk, false, None, refuse(error.to_string())).await;
        }
        Upload::Received { name, bytes } => (name, bytes),
    };
    match state
        .node
        .rollcall_import_contacts(&clerk.session, &bytes)
        .await
    {
        Ok(ContactImport::Saved { rows, written }) => redirect_with(
            &state,
            &clerk,
            "/rollcall/contacts",
            if written.events == 0 {
                format!(
                    "{FILE_LABEL}（{file_name}）を読み込みました。{rows}人の緊急連絡先はすべて登録済みの内容と同じでした。"
                )
            } else {
                format!(
                    "{FILE_LABEL}（{file_name}）を読み込みました。{rows}人のうち {}人の緊急連絡先を登録・更新しました（代理設定）。",
                    written.events
                )
            },
        ),
        Ok(ContactImport::Refused(error)) => match file_problems(error) {
            Ok(problems) => {
                show(
                    &state,
                    &clerk,
                    false,
                    Some(result(file_name, problems)),
                    FormErrors::default(),
                )
                .await
            }
            Err(message) => {
                show(
                    &state,
                    &clerk,
                    false,
                    None,
                    refuse(format!("{file_name}: {message}")),
                )
                .await
            }
        },
        Err(error) => fail(error),
    }
}

async fn send(
    state: Shared,
    posted: Posted<Vec<(String, String)>>,
    purpose: ContactPurpose,
) -> Response {
    let Posted { clerk, form } = posted;
    let everyone = value(&form, "everyone") == "1";
    match state
        .node
        .rollcall_send_contact_mails(&clerk.session, purpose, everyone)
        .await
    {
        Ok((written, without)) => {
            let what = match purpose {
                ContactPurpose::Request => "緊急連絡先の設定のお願い",
                ContactPurpose::Check => "緊急連絡先の確認メール",
            };
            let mut notice = if written.events == 0 {
                format!("{what}を送る相手がいませんでした。")
            } else {
                format!(
                    "{what}を送信待ちにしました。送信の結果は一覧の「確認」の列に表示されます。"
                )
            };
            if without > 0 {
                notice.push_str(&format!(
                    "メールアドレスが登録されていない職員 {without}人には送れませんでした。"
                ));
            }
            redirect_with(&state, &clerk, "/rollcall/contacts", notice)
        }
        // Nobody to send to: said on the page, nothing queued.
        Err(AppError::Invalid(errors)) => {
            let message = errors
                .first()
                .map_or_else(String::new, |e| e.message.clone());
            redirect_with(
                &state,
                &clerk,
                "/rollcall/contacts",
                format!("送信しませんでした。{message}"),
            )
        }
        Err(error) => fail(error),
    }
}

/// POST /rollcall/contacts/request (`everyone=1`: also members who set theirs).
pub async fn request(
    State(state): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    send(state, posted, ContactPurpose::Request).await
}

/// POST /rollcall/contacts/check.
pub async fn check(State(state): State<Shared>, posted: Posted<Vec<(String, String)>>) -> Response {
    send(state, posted, ContactPurpose::Check).await
}

/// Which download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    /// Members without contacts, in the import's format.
    Missing,
    /// Every member with their contacts.
    All,
    /// The check of every contact address.
    Checks,
}

async fn download(state: Shared, clerk: Clerk, raw: Option<String>, which: Download) -> Response {
    let encoding = query_encoding(raw.as_deref());
    let (who, entries) = match state.node.rollcall_contact_list(&clerk.session).await {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let (written, what) = match which {
        Download::Missing | Download::All => {
            let rows: Vec<_> = entries
                .iter()
                .filter(|e| which == Download::All || e.is_missing())
                .map(|e| (&e.member, e.stored.as_ref().map(|s| &s.contacts)))
                .collect();
            let what = if which == Download::All {
                "緊急連絡先"
            } else {
                "緊急連絡先未設定"
            };
            (write_contacts_csv(&rows, encoding), what)
        }
        Download::Checks => (
            write_checks_csv(&check_rows(&entries, &who.tree), encoding),
            "緊急連絡先確認結果",
        ),
    };
    csv_file(written, encoding, what)
}

/// GET /rollcall/contacts/missing.csv?encoding=cp932|utf8.
pub async fn download_missing(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    clerk: Clerk,
) -> Response {
    download(state, clerk, raw, Download::Missing).await
}

/// GET /rollcall/contacts/all.csv?encoding=cp932|utf8.
pub async fn download_all(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    clerk: Clerk,
) -> Response {
    download(state, clerk, raw, Download::All).await
}

/// GET /rollcall/contacts/checks.csv?encoding=cp932|utf8.
pub async fn download_checks(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    clerk: Clerk,
) -> Response {
    download(state, clerk, raw, Download::Checks).await
}

#[derive(Template)]
#[template(path = "console/rollcall_contact_edit.html")]
pub struct EditPage {
    pub frame: Frame,
    pub code: String,
    pub name: String,
    pub orgs: Vec<String>,
    pub phones: String,
    pub mails: String,
    pub set_by: String,
    pub set_at: String,
    pub errors: FormErrors,
    pub max_phones: usize,
    pub max_mails: usize,
}

impl EditPage {
    pub fn here(&self) -> &'static str {
        "contacts"
    }
}

async fn show_edit(
    state: &Shared,
    clerk: &Clerk,
    code: &str,
    typed: Option<(String, String)>,
    errors: &[FieldError],
) -> Response {
    let who = match caller(state, clerk).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let entry = match anpi_core::rollcall::MemberCode::try_from(code.to_string()) {
        Ok(code) => {
            state
                .node
                .rollcall_member_contacts(&clerk.session, &code)
                .await
        }
        Err(_) => Err(AppError::NotFound(format!(
            "職員番号「{code}」の職員は登録されていません"
        ))),
    };
    let entry = match entry {
        Ok(entry) => entry,
        Err(error) => return fail(error),
    };
    let view = row_of(&entry, &who.tree);
    let (phones, mails) = typed.unwrap_or_else(|| {
        (
            view.phones.join(", "),
            view.addresses
                .iter()
                .map(|a| a.address.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )
    });
    let page = EditPage {
        frame: frame(state, clerk).await,
        code: view.code,
        name: view.name,
        orgs: view.orgs,
        phones,
        mails,
        set_by: view.set_by,
        set_at: view.set_at,
        errors: shown(errors, ""),
        max_phones: MAX_PHONES,
        max_mails: MAX_MAILS,
    };
    let mut response = render(&page);
    if !errors.is_empty() && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall/contacts/{code}: the proxy form for one member.
pub async fn edit(State(state): State<Shared>, Path(code): Path<String>, clerk: Clerk) -> Response {
    show_edit(&state, &clerk, &code, None, &[]).await
}

/// POST /rollcall/contacts/{code} (`phones`, `mails`).
pub async fn save(
    State(state): State<Shared>,
    Path(code): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let (phones, mails) = (value(&form, "phones"), value(&form, "mails"));
    let member = match anpi_core::rollcall::MemberCode::try_from(code.clone()) {
        Ok(member) => member,
        Err(_) => {
            return fail(AppError::NotFound(format!(
                "職員番号「{code}」の職員は登録されていません"
            )));
        }
    };
    match state
        .node
        .rollcall_set_contacts(&clerk.session, &member, phones, mails)
        .await
    {
        Ok(written) => redirect_with(
            &state,
            &clerk,
            "/rollcall/contacts",
            if written.events == 0 {
                format!("職員番号 {code} の緊急連絡先に変更はありませんでした。")
            } else {
                format!("職員番号 {code} の緊急連絡先を代理で設定しました。")
            },
        ),
        Err(AppError::Invalid(errors)) => {
            show_edit(
                &state,
                &clerk,
                &code,
                Some((phones.to_string(), mails.to_string())),
                &errors,
            )
            .await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use anpi_core::rollcall::Member;
    use anpi_core::rollcall::contact::Contacts;
    use anpi_files::rollcall::CHECK_COLUMNS;
    use chrono::TimeZone;

    use super::super::tests::{frame, tree};
    use super::*;
    use crate::store::rollcall_contacts::{Check, Stored};

    fn entry(code: &str, name: &str, contacts: Option<(&str, &str)>) -> ContactEntry {
        let member = Member::parse(code, name, "soumu.bousai", "").unwrap();
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 30, 0).unwrap();
        let stored = contacts.map(|(phones, mails)| Stored {
            contacts: Contacts::parse(phones, mails).unwrap(),
            set_at: at,
            set_by: Some("admin1".into()),
        });
        let checks = stored
            .iter()
            .flat_map(|s| s.contacts.mails.iter())
            .enumerate()
            .map(|(i, a)| {
                let state = if i == 0 {
                    CheckState::Confirmed
                } else {
                    CheckState::Failed
                };
                (
                    a.to_string(),
                    Check {
                        state,
                        sent_at: Some(at),
                        confirmed_at: (i == 0).then_some(at),
                        reply: "550 no such user".into(),
                    },
                )
            })
            .collect::<Vec<_>>();
        let states: Vec<CheckState> = checks.iter().map(|(_, c)| c.state).collect();
        ContactEntry {
            member,
            stored,
            checks,
            state: CheckState::of_member(&states),
        }
    }

    #[test]
    fn the_list_shows_each_member_their_checks_and_counts() {
        let tree = tree();
        let entries = vec![
            entry(
                "m1",
                "山田 太郎",
                Some(("090-1111-2222", "a@example.jp, b@example.jp")),
            ),
            entry("m2", "<b>花子</b>", None),
        ];
        let c = counts(&entries);
        assert_eq!((c.members, c.missing, c.confirmed, c.failed), (2, 1, 1, 1));
        let rows: Vec<ContactRowView> = entries.iter().map(|e| row_of(e, &tree)).collect();
        assert_eq!(rows[0].set_by, "代理（admin1）");
        assert_eq!(rows[0].set_at, "2026-12-01 09:30", "Japan time");
        assert_eq!(rows[0].addresses[1].reply, "550 no such user");
        assert_eq!(rows[0].addresses[0].reply, "", "a reply only for a failure");
        let page = ContactsPage {
            frame: frame(),
            rows,
            counts: c,
            scope_note: Some("防災管理者として".into()),
            result: None,
            errors: FormErrors::default(),
            max_mb: 20,
            max_bytes: 20 << 20,
            columns: CONTACT_COLUMNS.join(","),
            only_missing: false,
        };
        let html = page.render().unwrap();
        assert!(html.contains("id=\"contact-table\""));
        assert!(html.contains("090-1111-2222"));
        assert!(html.contains("確認済み"));
        assert!(html.contains("送信失敗"));
        assert!(html.contains("href=\"/rollcall/contacts/m1\""));
        assert!(html.contains("未設定"));
        assert!(!html.contains("<b>花子"));
        assert!(html.contains("href=\"/rollcall/contacts/missing.csv?encoding=utf8\""));
        assert!(html.contains("aria-current=\"page\""));
        assert!(!html.contains("style="));

        let check = check_rows(&entries, &tree);
        assert_eq!(check.len(), 2, "one row per address; m2 has none");
        assert_eq!(check[0][3], "a@example.jp");
        assert_eq!(check[0][4], "確認済み");
        assert_eq!(check[1][4], "送信失敗");
        assert_eq!(CHECK_COLUMNS.len(), check[0].len());
    }

    #[test]
    fn the_proxy_form_keeps_what_was_typed_beside_its_problem() {
        let page = EditPage {
            frame: frame(),
            code: "m1".into(),
            name: "山田 太郎".into(),
            orgs: vec!["総務部 > 防災課".into()],
            phones: "abc".into(),
            mails: String::new(),
            set_by: String::new(),
            set_at: String::new(),
            errors: shown(
                &[problem(
                    "contact_phone",
                    "電話番号",
                    "電話番号の形ではありません",
                )],
                "",
            ),
            max_phones: MAX_PHONES,
            max_mails: MAX_MAILS,
        };
        let html = page.render().unwrap();
        assert!(html.contains("id=\"field-contact_phone\""));
        assert!(html.contains("value=\"abc\""));
        assert!(html.contains("id=\"err-contact_phone\""));
        assert!(html.contains("action=\"/rollcall/contacts/m1\""));
        assert!(only_missing(Some("show=missing")));
        assert!(!only_missing(Some("show=all")));
        assert!(!only_missing(None));
    }
}
