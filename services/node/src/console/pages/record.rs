//! 照会画面: one record as stored (issue 15; E-10..E-13, figure 4-11), its history,
//! and the actions the role may take on it: 退去 with a date (E-12), 削除 with a reason
//! (figure 4-9), 更新 (E-10) and 死亡への切替 (E-11), the last two as entry forms
//! pre-filled from the record (`entry::update_page`, `entry::death_page`). Records are
//! addressed by UUID; the date and the reason travel in POST bodies. Every rule is the
//! application layer's (`get_record`, `record_departure`, `delete_entry`): the page
//! only hides actions the role may not take or that cannot apply to the record.

use anpi_core::account::{self, Operation, Role};
use anpi_core::consent::{Audience, ConsentField};
use anpi_core::entry::{FormKind, Status as RecordKind};
use anpi_core::era;
use anpi_core::ids::RecordId;
use anpi_core::jurisdiction::Tier;
use anpi_core::private_area::{RecordState, StateLabel};
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::publication::Typed as PublicationTyped;
use crate::app::AppError;
use crate::app::entries::RecordView;
use crate::console::forms::ShownError;
use crate::console::{
    Clerk, Console, FormErrors, Frame, Posted, Shared, fail, jst, redirect_with, render,
};

/// What an unknown or unreadable record ID gets (the same words as the app layer's).
pub fn not_found() -> AppError {
    AppError::NotFound("指定された安否情報が見つかりません。IDを確認してください".into())
}

/// The 状態 column (R-05, figure 4-11): 新規, 削除 or 退去.
pub fn state_column(label: StateLabel) -> &'static str {
    label.column_ja()
}

/// One line of the record: label, value as stored, and a note (how it was read).
pub struct Row {
    pub label: &'static str,
    pub value: String,
    pub note: String,
    pub multiline: bool,
}

pub struct Section {
    pub title: &'static str,
    pub rows: Vec<Row>,
}

/// One event of the record's history.
pub struct HistoryRow {
    pub when: String,
    pub what: &'static str,
    pub who: String,
    pub detail: String,
    /// The record kept when this one was removed as a duplicate.
    pub link: Option<String>,
}

/// One row of the consent table (○ / ×, and whether figure 4-1 marks it).
pub struct ConsentLine {
    pub label: &'static str,
    pub mismatch: bool,
    pub cells: Vec<ConsentMark>,
}

pub struct ConsentMark {
    pub text: &'static str,
    pub mismatch: bool,
}

#[derive(Template)]
#[template(path = "console/record.html")]
pub struct RecordPage {
    pub frame: Frame,
    pub id: String,
    pub name: String,
    pub state_label: &'static str,
    pub status_label: &'static str,
    pub deleted: bool,
    pub departed: bool,
    pub form_label: &'static str,
    pub incident: String,
    pub incident_drill: bool,
    pub sections: Vec<Section>,
    pub consent_headers: [&'static str; 3],
    pub consent_lines: Vec<ConsentLine>,
    pub not_confirmable: bool,
    pub warnings: Vec<String>,
    pub history: Vec<HistoryRow>,
    pub can_depart: bool,
    pub can_delete: bool,
    pub can_update: bool,
    pub can_convert: bool,
    /// The departure date and deletion reason as typed (after a refusal).
    pub date: String,
    pub reason: String,
    pub errors: FormErrors,
    /// A past state (a replay as of a time, 監査): said above everything, no actions.
    pub as_of: String,
    /// 公表の判断: shown on the live record, not on a replayed one.
    pub publication: Option<super::publication::PublicationPanel>,
}

impl RecordPage {
    pub fn has(&self, name: &str) -> bool {
        self.errors.has(name)
    }

    pub fn messages(&self, name: &str) -> Vec<&str> {
        self.errors.messages(name)
    }

    pub fn any_mismatch(&self) -> bool {
        self.consent_lines.iter().any(|line| line.mismatch)
    }

    pub fn any_action(&self) -> bool {
        self.can_depart || self.can_delete || self.can_update || self.can_convert
    }
}

fn row(label: &'static str, value: impl Into<String>) -> Row {
    Row {
        label,
        value: shown(value.into()),
        note: String::new(),
        multiline: false,
    }
}

fn noted(label: &'static str, value: impl Into<String>, note: impl Into<String>) -> Row {
    Row {
        note: note.into(),
        ..row(label, value)
    }
}

fn text_row(label: &'static str, value: impl Into<String>) -> Row {
    Row {
        multiline: true,
        ..row(label, value)
    }
}

/// An empty value as 未記入.
fn shown(value: String) -> String {
    if value.trim().is_empty() {
        "（未記入）".to_string()
    } else {
        value
    }
}

fn joined(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn date_note(typed: &str) -> String {
    match era::parse_date(typed) {
        Ok(date) if !typed.trim().is_empty() => {
            format!("読み取り結果：{}（西暦 {}）", era::format_era(date), date)
        }
        _ => String::new(),
    }
}

/// The fields of a record, as stored (the typed text) with how they were read.
fn sections(state: &RecordState) -> Vec<Section> {
    let entry = &state.entry;
    let draft = &entry.draft;
    let parsed = &entry.parsed;
    let mut person = vec![
        row("① 氏名", draft.name.clone()),
        row("通称", draft.alias.clone()),
        noted(
            "② フリガナ",
            draft.furigana.clone(),
            match &parsed.furigana {
                Some(display) if display != &draft.furigana => format!("表示形：{display}"),
                _ => String::new(),
            },
        ),
        noted(
            "③ 出生の年月日",
            draft.birth_date.clone(),
            date_note(&draft.birth_date),
        ),
        row(
            "④ 男女の別",
            parsed
                .sex
                .map(|s| s.label_ja().to_string())
                .unwrap_or_else(|| draft.sex.clone()),
        ),
    ];
    let address = &draft.address;
    let address_value = if address.foreign.trim().is_empty() {
        entry.address_line()
    } else {
        format!("（外国）{}", address.foreign.trim())
    };
    person.push(noted(
        "⑤ 住所",
        address_value,
        if address.postal_code.trim().is_empty() {
            String::new()
        } else {
            format!("郵便番号 {}", address.postal_code.trim())
        },
    ));
    person.push(row("⑥ 国籍", parsed.nationality.label_ja()));
    person.push(text_row(
        "⑦ その他個人を識別するための情報",
        parsed.identifying_info.clone(),
    ));

    let mut form_rows = Vec::new();
    match draft.form {
        FormKind::Form1 => {
            form_rows.push(row("⑧ 負傷（疾病）の該当", draft.injury.status.clone()));
            form_rows.push(text_row(
                "⑨ 負傷又は疾病の状況",
                joined(&[
                    parsed.injury.map(|s| s.label_ja()).unwrap_or_default(),
                    &draft.injury.description,
                ]),
            ));
            let l = &draft.location;
            form_rows.push(row(
                "⑩ 現在の居所",
                joined(&[
                    &format!(
                        "{}{}{}{}",
                        l.prefecture.trim(),
                        l.municipality.trim(),
                        l.town.trim(),
                        l.lot.trim()
                    ),
                    &l.place_name,
                    &if l.category.trim().is_empty() {
                        String::new()
                    } else {
                        format!("（{}）", l.category.trim())
                    },
                ]),
            ));
            form_rows.push(text_row("⑪ 連絡先その他必要情報", draft.contact.clone()));
        }
        FormKind::Form2 => {
            let d = &draft.death;
            let mut flags = Vec::new();
            if d.no_medical_certificate {
                flags.push("診断書等無し");
            }
            if d.discovered {
                flags.push("発見された日時及び場所");
            }
            form_rows.push(noted("⑧ 死亡の日付", d.date.clone(), date_note(&d.date)));
            form_rows.push(row(
                "死亡の時刻",
                if d.time.trim().is_empty() {
                    "不明".to_string()
                } else {
                    d.time.clone()
                },
            ));
            form_rows.push(row("死亡の場所", d.place.clone()));
            form_rows.push(text_row("死亡の状況", d.circumstances.clone()));
            if !flags.is_empty() {
                form_rows.push(row("死亡の判断・発見", flags.join("、")));
            }
            form_rows.push(row(
                "⑨ 遺体が安置されている場所",
                draft.body_location.clone(),
            ));
            form_rows.push(text_row("⑩ 連絡先その他必要情報", draft.contact.clone()));
            let b = &draft.bereaved;
            form_rows.push(row(
                "⑪ 親族・同居者・知人以外への回答（遺族の同意）",
                if b.is_empty() {
                    "未記入（意思確認不可）".to_string()
                } else {
                    parsed.others.label_ja().to_string()
                },
            ));
            form_rows.push(row("同意回答者の氏名", b.name.clone()));
            form_rows.push(row("同意回答者の続柄", b.relationship.clone()));
            form_rows.push(row("同意回答者の連絡先", b.contact.clone()));
            form_rows.push(row("同意回答者の住所", b.address.clone()));
        }
    }
    vec![
        Section {
            title: "本人の情報",
            rows: person,
        },
        Section {
            title: match draft.form {
                FormKind::Form1 => "負傷・居所・連絡先",
                FormKind::Form2 => "死亡・遺体・連絡先・遺族",
            },
            rows: form_rows,
        },
        Section {
            title: "備考",
            rows: vec![text_row("備考", draft.remarks.clone())],
        },
    ]
}

/// The record's history, oldest first.
fn history(state: &RecordState) -> Vec<HistoryRow> {
    let mut rows = vec![(
        state.received_at,
        HistoryRow {
            when: jst(state.received_at),
            what: "登録",
            who: state.actor.to_string(),
            detail: format!(
                "{}。記入日時 {}（記録位置 {}）",
                state.entry.draft.form.label_ja(),
                jst(state.entry.parsed.written_at),
                state.recorded_position
            ),
            link: None,
        },
    )];
    if let Some(departure) = &state.departure {
        rows.push((
            departure.at,
            HistoryRow {
                when: jst(departure.at),
                what: "退去",
                who: departure.actor.to_string(),
                detail: format!("退去日 {}", era::format_era(departure.date)),
                link: None,
            },
        ));
    }
    if let Some(deletion) = &state.deletion {
        rows.push((
            deletion.at,
            HistoryRow {
                when: jst(deletion.at),
                what: "削除",
                who: deletion.actor.to_string(),
                detail: format!("理由：{}", deletion.reason),
                link: state.duplicate_of.map(|kept| kept.to_string()),
            },
        ));
    }
    rows.sort_by_key(|(at, _)| *at);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Builds the page (pure: no I/O).
pub fn record_page(
    frame: Frame,
    view: &RecordView,
    role: Role,
    tier: Tier,
    date: String,
    reason: String,
    errors: FormErrors,
) -> RecordPage {
    let state = &view.state;
    let entry = &state.entry;
    let parsed = &entry.parsed;
    let form2 = entry.draft.form == FormKind::Form2;
    let live = state.deletion.is_none();
    let may = |operation| account::permits(role, operation, tier);
    let matrix = parsed.consent;
    let inconsistent = matrix.inconsistent_fields();
    let audiences = [Audience::Family, Audience::Acquaintance, Audience::Others];
    let consent_lines = ConsentField::ALL
        .iter()
        .map(|field| {
            let mismatch = inconsistent.contains(field);
            ConsentLine {
                label: if form2 {
                    field.deceased_label_ja()
                } else {
                    field.label_ja()
                },
                mismatch,
                cells: audiences
                    .iter()
                    .map(|audience| {
                        let allowed = matrix.allows(*audience, *field);
                        ConsentMark {
                            text: if allowed { "○" } else { "×" },
                            mismatch: mismatch && (*audience == Audience::Others || !allowed),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let mut basics = vec![
        row(
            "状態",
            format!(
                "{}（{}）",
                state_column(state.label()),
                parsed.status.label_ja()
            ),
        ),
        row("様式", entry.draft.form.label_ja()),
        noted(
            "記入日時",
            jst(parsed.written_at),
            format!("様式の記載：{}", entry.draft.written_at.trim()),
        ),
        row("受信日時", jst(state.received_at)),
        row("記入者", state.actor.to_string()),
        row("収集した団体", state.origin.to_string()),
        row("安否情報ID", state.record_id.to_string()),
    ];
    if let Some(departure) = &state.departure {
        basics.push(row("退去日", era::format_era(departure.date)));
    }
    if let Some(deletion) = &state.deletion {
        basics.push(row("削除理由", deletion.reason.clone()));
    }
    let mut all = vec![Section {
        title: "記録",
        rows: basics,
    }];
    all.extend(sections(state));
    RecordPage {
        frame,
        id: state.record_id.to_string(),
        name: entry.display_name(),
        state_label: state_column(state.label()),
        status_label: parsed.status.label_ja(),
        deleted: state.deletion.is_some(),
        departed: state.departure.is_some(),
        form_label: entry.draft.form.label_ja(),
        incident: view
            .incident
            .as_ref()
            .map(|i| format!("{}【{}】", i.name, i.mode.label_ja()))
            .unwrap_or_else(|| format!("（このノードにない事案 {}）", state.incident)),
        incident_drill: view
            .incident
            .as_ref()
            .is_some_and(|i| i.mode == anpi_core::incident::IncidentMode::Drill),
        sections: all,
        consent_headers: if form2 {
            [
                "親族・同居者への回答",
                "知人への回答",
                "親族・同居者・知人以外への回答（⑪遺族の同意）",
            ]
        } else {
            [
                "⑫ 親族・同居者への回答",
                "⑬ 知人への回答",
                "⑭ 親族・同居者・知人以外への回答又は公表",
            ]
        },
        consent_lines,
        not_confirmable: parsed.consent_not_confirmable,
        warnings: entry
            .warnings
            .iter()
            .map(|w| format!("{}：{}", w.label, w.message))
            .collect(),
        history: history(state),
        can_depart: may(Operation::RecordDeparture)
            && live
            && state.departure.is_none()
            && parsed.status != RecordKind::Dead,
        can_delete: may(Operation::DeleteEntry) && live,
        can_update: may(Operation::RecordEntry) && may(Operation::DeleteEntry) && live,
        can_convert: may(Operation::RecordEntry) && may(Operation::DeleteEntry) && live && !form2,
        date,
        reason,
        errors,
        as_of: String::new(),
        publication: None,
    }
}

/// The errors of the action forms, at their inputs (`field-date`, `field-reason`).
fn action_errors(errors: &[FieldError]) -> FormErrors {
    FormErrors {
        list: errors
            .iter()
            .map(|e| ShownError {
                field: match e.field.as_str() {
                    "date"
                    | "reason"
                    | "publication"
                    | "publication_reason"
                    | "publication_contact" => e.field.clone(),
                    _ => "actions".to_string(),
                },
                label: e.label.clone(),
                message: e.message.clone(),
            })
            .collect(),
    }
}

fn parse_id(text: &str) -> Result<RecordId, AppError> {
    text.parse::<RecordId>().map_err(|_| not_found())
}

async fn show(
    state: &Console,
    clerk: &Clerk,
    id: RecordId,
    date: String,
    reason: String,
    errors: FormErrors,
) -> Response {
    show_page(
        state,
        clerk,
        id,
        (date, reason, errors),
        (PublicationTyped::empty(), &[]),
    )
    .await
}

/// The record page again after the 公表 form was refused: its errors at its inputs.
pub async fn show_with_publication(
    state: &Console,
    clerk: &Clerk,
    id: RecordId,
    typed: PublicationTyped,
    errors: &[FieldError],
) -> Response {
    let mut response = show_page(
        state,
        clerk,
        id,
        (today(), String::new(), action_errors(errors)),
        (typed, errors),
    )
    .await;
    if response.status() == axum::http::StatusCode::OK {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

async fn show_page(
    state: &Console,
    clerk: &Clerk,
    id: RecordId,
    (date, reason, errors): (String, String, FormErrors),
    (typed, publication_errors): (PublicationTyped, &[FieldError]),
) -> Response {
    let view = match state.node.get_record(&clerk.session, id).await {
        Ok(view) => view,
        Err(error) => return fail(error),
    };
    let incidents = state
        .node
        .list_incidents(&clerk.session)
        .await
        .unwrap_or_default();
    let frame = Frame::new(state, clerk, "/records", &incidents);
    let mut page = record_page(
        frame,
        &view,
        clerk.session.role,
        state.node.config.tier,
        date,
        reason,
        errors,
    );
    // the decision panel, for those who may see decisions.
    if let Ok(status) = state.node.publication_status(&clerk.session, id).await {
        let needs = if status.collected_here {
            Operation::Organise
        } else {
            Operation::Inquiry
        };
        let can_decide =
            view.state.deletion.is_none() && state.node.may(&clerk.session, needs).is_ok();
        page.publication = Some(super::publication::panel(
            &status,
            format!("/records/{id}/publication"),
            can_decide,
            typed,
            publication_errors,
        ));
    }
    render(&page)
}

/// Today in Japan time, the departure date the form starts with.
fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&anpi_core::entry::jst_offset())
        .format("%Y-%m-%d")
        .to_string()
}

/// GET /records/<uuid>.
pub async fn page(State(state): State<Shared>, Path(id): Path<String>, clerk: Clerk) -> Response {
    match parse_id(&id) {
        Ok(id) => {
            show(
                &state,
                &clerk,
                id,
                today(),
                String::new(),
                FormErrors::default(),
            )
            .await
        }
        Err(error) => fail(error),
    }
}

#[derive(Deserialize)]
pub struct DepartForm {
    #[serde(default)]
    date: String,
}

/// POST /records/<uuid>/depart (E-12): the date as typed (today when empty).
pub async fn depart(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<DepartForm>,
) -> Response {
    let Posted { clerk, form } = posted;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(error) => return fail(error),
    };
    match state
        .node
        .record_departure(&clerk.session, id, form.date.clone())
        .await
    {
        Ok(written) => {
            let date = written
                .record
                .departure
                .as_ref()
                .map(|d| era::format_era(d.date))
                .unwrap_or_default();
            redirect_with(
                &state,
                &clerk,
                &format!("/records/{id}"),
                format!("退去を登録しました（退去日 {date}）"),
            )
        }
        Err(AppError::Invalid(errors)) => {
            show(
                &state,
                &clerk,
                id,
                form.date,
                String::new(),
                action_errors(&errors),
            )
            .await
        }
        Err(error) => fail(error),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    reason: String,
}

/// POST /records/<uuid>/delete (figure 4-9): with the reason.
pub async fn delete(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<DeleteForm>,
) -> Response {
    let Posted { clerk, form } = posted;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(error) => return fail(error),
    };
    match state
        .node
        .delete_entry(&clerk.session, id, form.reason.clone())
        .await
    {
        Ok(_) => redirect_with(&state, &clerk, &format!("/records/{id}"), "削除しました"),
        Err(AppError::Invalid(errors)) => {
            show(
                &state,
                &clerk,
                id,
                today(),
                form.reason,
                action_errors(&errors),
            )
            .await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::frame::{IncidentBadge, NavItem};
    use anpi_core::entry::{self, fixtures};
    use anpi_core::event::Actor;
    use anpi_core::ids::{AccountId, IncidentId};
    use anpi_core::incident::{Incident, IncidentMode};
    use anpi_core::jurisdiction::JurisdictionCode;
    use anpi_core::private_area::{Deletion, Departure};
    use chrono::{DateTime, Utc};

    fn now() -> DateTime<Utc> {
        "2026-11-21T06:00:00Z".parse().unwrap()
    }

    fn frame() -> Frame {
        Frame {
            node: "千代田区（市町村）".into(),
            user: "clerk01".into(),
            role: "整理・報告端末",
            incident: Some(IncidentBadge {
                name: "訓練事案".into(),
                mode_label: "訓練",
                drill: true,
            }),
            csrf: "token123".into(),
            nav: vec![NavItem {
                href: "/organise",
                label: "重複検索・報告",
                current: false,
            }],
            notice: None,
        }
    }

    fn actor() -> Actor {
        Actor {
            jurisdiction: JurisdictionCode::parse("131016").unwrap(),
            account: AccountId::parse("clerk01").unwrap(),
        }
    }

    fn view(draft: entry::EntryDraft) -> RecordView {
        let entry = entry::validate(&draft, now()).expect("valid draft");
        let incident = IncidentId::from_uuid(uuid::Uuid::from_u128(7));
        RecordView {
            state: RecordState {
                record_id: RecordId::from_uuid(uuid::Uuid::from_u128(42)),
                incident,
                entry,
                origin: JurisdictionCode::parse("131016").unwrap(),
                actor: actor(),
                received_at: now(),
                recorded_position: 12,
                last_position: 12,
                deletion: None,
                departure: None,
                duplicate_of: None,
            },
            incident: Some(Incident {
                id: incident,
                name: "訓練事案".into(),
                mode: IncidentMode::Drill,
                created_at: now(),
            }),
        }
    }

    fn page(view: &RecordView, role: Role) -> RecordPage {
        record_page(
            frame(),
            view,
            role,
            Tier::Municipality,
            String::new(),
            String::new(),
            FormErrors::default(),
        )
    }

    #[test]
    fn the_record_shows_every_field_escaped() {
        let mut draft = fixtures::evacuee();
        draft.name = "<script>x</script>".into();
        draft.contact = "090-0000-0000\n避難所の受付".into();
        let v = view(draft);
        let html = page(&v, Role::Organise).render().unwrap();
        assert!(html.contains("lang=\"ja\""));
        assert!(!html.contains("style="));
        assert!(
            html.contains("&#60;script&#62;x&#60;/script&#62;")
                || html.contains("&lt;script&gt;x&lt;/script&gt;")
        );
        assert!(!html.contains("<script>x"));
        for label in [
            "状態",
            "新規",
            "記入日時",
            "受信日時",
            "記入者",
            "① 氏名",
            "③ 出生の年月日",
            "昭和56年11月25日",
            "⑤ 住所",
            "東京都千代田区霞が関2丁目1番2号",
            "⑪ 連絡先その他必要情報",
            "履歴",
            "訓練事案【訓練】",
            "/records/00000000-0000-0000-0000-00000000002a/depart",
            "/records/00000000-0000-0000-0000-00000000002a/delete",
            "/records/00000000-0000-0000-0000-00000000002a/update",
            "/records/00000000-0000-0000-0000-00000000002a/death",
            "name=\"reason\"",
            "name=\"date\"",
            "name=\"csrf\" value=\"token123\"",
        ] {
            assert!(html.contains(label), "{label}");
        }
    }

    #[test]
    fn actions_follow_the_role_and_the_state() {
        let v = view(fixtures::evacuee());
        let provision = page(&v, Role::Provision);
        assert!(provision.can_depart);
        assert!(!provision.can_delete && !provision.can_update && !provision.can_convert);
        let html = provision.render().unwrap();
        assert!(!html.contains("/delete"));
        let red_cross = page(&v, Role::RedCross);
        assert!(!red_cross.any_action());

        let mut departed = view(fixtures::evacuee());
        departed.state.departure = Some(Departure {
            date: "2026-11-21".parse().unwrap(),
            at: now(),
            actor: actor(),
        });
        let p = page(&departed, Role::Organise);
        assert_eq!(p.state_label, "退去");
        assert!(!p.can_depart && p.can_delete);

        let mut deleted = view(fixtures::evacuee());
        deleted.state.deletion = Some(Deletion {
            reason: "重複登録".into(),
            at: now(),
            actor: actor(),
        });
        let p = page(&deleted, Role::Administrator);
        assert_eq!(p.state_label, "削除");
        assert!(!p.any_action());
        let html = p.render().unwrap();
        assert!(html.contains("重複登録"));

        let dead = view(fixtures::deceased());
        let p = page(&dead, Role::Organise);
        assert!(!p.can_depart && !p.can_convert && p.can_update);
        let html = p.render().unwrap();
        assert!(html.contains("⑧ 死亡の日付"));
        assert!(html.contains("遺体が安置されている場所"));
    }

    #[test]
    fn an_inconsistent_consent_is_marked() {
        let mut draft = fixtures::evacuee();
        draft.consent.others = "同意する".into();
        let v = view(draft);
        let p = page(&v, Role::Organise);
        assert!(p.consent_lines.iter().any(|l| l.mismatch));
        assert!(!p.warnings.is_empty());
        let html = p.render().unwrap();
        assert!(html.contains("consent-mismatch"));
        assert!(html.contains("要確認"));
    }

    #[test]
    fn action_errors_sit_at_their_inputs() {
        let errors = action_errors(&[
            FieldError::new("date", "退去日が未来の日付になっています"),
            FieldError::new("record_id", "既に削除されています"),
        ]);
        assert!(errors.has("date"));
        assert!(errors.has("actions"));
        let v = view(fixtures::evacuee());
        let html = record_page(
            frame(),
            &v,
            Role::Organise,
            Tier::Municipality,
            "令和99年1月1日".into(),
            String::new(),
            errors,
        )
        .render()
        .unwrap();
        assert!(html.contains("href=\"#field-date\""));
        assert!(html.contains("id=\"field-date\""));
        assert!(html.contains("value=\"令和99年1月1日\""));
        assert!(html.contains("退去日が未来の日付になっています"));
    }

    #[test]
    fn history_lists_registration_departure_and_deletion() {
        let mut v = view(fixtures::evacuee());
        v.state.deletion = Some(Deletion {
            reason: "重複のため削除".into(),
            at: now() + chrono::Duration::hours(2),
            actor: actor(),
        });
        v.state.departure = Some(Departure {
            date: "2026-11-21".parse().unwrap(),
            at: now() + chrono::Duration::hours(1),
            actor: actor(),
        });
        v.state.duplicate_of = Some(RecordId::from_uuid(uuid::Uuid::from_u128(1)));
        let rows = history(&v.state);
        let whats: Vec<_> = rows.iter().map(|r| r.what).collect();
        assert_eq!(whats, ["登録", "退去", "削除"]);
        assert!(rows[2].link.is_some());
        assert_eq!(state_column(StateLabel::Injured), "新規");
    }
}
