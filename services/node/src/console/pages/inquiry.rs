//! 照会・回答 (Q-01..Q-06; guideline 第5, Form 4 and Form 5; issue 19 item 1): the
//! inquiries of the chosen incident's node, newest first (`/inquiries`); the Form 4
//! register form — by form, phone or in person, with how the inquirer's identity was
//! checked — every problem beside its field (`/inquiries/new`); one inquiry
//! (`/inquiries/{id}`) with its steps: 特定 (the result and, when several people could
//! be meant, what to ask the inquirer for — never the candidates), 回答 (the Form 5 copy
//! kept as given, printable on A4 without the menu or the officer's notes), or 回答拒否
//! with its reason. All from `app::inquiry`, whose step checks refuse a second answer.
//! URLs carry only inquiry IDs.

use std::str::FromStr;

use anpi_core::ids::InquiryId;
use anpi_core::inquiry::InquiryDraft;
use anpi_core::inquiry::state::InquiryStatus;
use anpi_core::inquiry_types::{AnswerChannel, Identification, Inquirer};
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::publication::Typed as PublicationTyped;
use super::rollcall::{shown, value};
use crate::app::AppError;
use crate::app::inquiry::InquiryView;
use crate::console::{
    Clerk, FormErrors, Frame, Posted, Shared, fail, frame_for, jst, redirect_with, render,
};

/// One inquiry of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryRow {
    pub id: String,
    pub inquired_at: String,
    pub channel: &'static str,
    pub inquirer: String,
    pub relationship: &'static str,
    pub target: String,
    pub status: &'static str,
    pub done: bool,
    pub incident: String,
}

impl InquiryRow {
    pub fn of(view: &InquiryView) -> InquiryRow {
        let state = &view.state;
        let inquiry = &state.inquiry;
        let status = state.status();
        InquiryRow {
            id: state.inquiry_id.to_string(),
            inquired_at: jst(inquiry.inquired_at),
            channel: inquiry.channel.label_ja(),
            inquirer: inquiry.inquirer.name().to_string(),
            relationship: inquiry.relationship.label_ja(),
            target: inquiry.target.raw.name.clone(),
            status: status.label_ja(),
            done: matches!(status, InquiryStatus::Answered | InquiryStatus::Refused),
            incident: view
                .incident
                .as_ref()
                .map(|i| format!("{}【{}】", i.name, i.mode.label_ja()))
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/inquiries.html")]
pub struct ListPage {
    pub frame: Frame,
    pub rows: Vec<InquiryRow>,
}

/// GET /inquiries.
pub async fn list(State(state): State<Shared>, clerk: Clerk) -> Response {
    let views = match state.node.list_inquiries(&clerk.session, 200).await {
        Ok(views) => views,
        Err(error) => return fail(error),
    };
    render(&ListPage {
        frame: frame_for(&state, &clerk, "/inquiries").await,
        rows: views.iter().map(InquiryRow::of).collect(),
    })
}

/// A choice of a radio group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

/// A field of the register form: a text input, or a radio group when `choices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    pub choices: Vec<Choice>,
    pub required: bool,
    pub long: bool,
}

impl FormField {
    /// A value safe in an `id` (names are `[a-z_.]`; `.` is kept, CSS selects by `[id=…]`).
    pub fn dom(&self, choice: &str) -> String {
        format!("{}-{choice}", self.name)
    }
}

/// A section of the form (申請者, 照会の理由, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub fields: Vec<FormField>,
}

const fn choice(value: &'static str, label: &'static str) -> Choice {
    Choice { value, label }
}

/// The Form 4 register form with `draft`'s values.
pub fn sections(draft: &InquiryDraft) -> Vec<Section> {
    let text = |name, label, hint, value: &str, required, long| FormField {
        name,
        label,
        hint,
        value: value.to_string(),
        choices: Vec::new(),
        required,
        long,
    };
    let radio = |name, label, value: &str, choices: Vec<Choice>| FormField {
        name,
        label,
        hint: "",
        value: value.to_string(),
        choices,
        required: true,
        long: false,
    };
    vec![
        Section {
            title: "照会の受付",
            fields: vec![
                radio(
                    "channel",
                    "照会の方法",
                    &draft.channel,
                    vec![
                        choice("form4", "様式第4号"),
                        choice("phone", "電話"),
                        choice("oral", "口頭"),
                        choice("other", "その他"),
                    ],
                ),
                text(
                    "inquired_at",
                    "照会日時",
                    "空欄なら今の日時。例：2026-12-06 10:15、令和8年12月6日",
                    &draft.inquired_at,
                    false,
                    false,
                ),
            ],
        },
        Section {
            title: "申請者",
            fields: vec![
                radio(
                    "inquirer.kind",
                    "申請者の区分",
                    &draft.inquirer.kind,
                    vec![
                        choice("person", "個人"),
                        choice("organisation", "法人その他の団体"),
                    ],
                ),
                text(
                    "inquirer.name",
                    "氏名（団体の名称）",
                    "",
                    &draft.inquirer.name,
                    true,
                    false,
                ),
                text(
                    "inquirer.address",
                    "住所（居所）・事務所の所在地",
                    "",
                    &draft.inquirer.address,
                    true,
                    true,
                ),
                text(
                    "inquirer.representative",
                    "代表者の氏名",
                    "団体のときに入力します",
                    &draft.inquirer.representative,
                    false,
                    false,
                ),
                text(
                    "inquirer.phone",
                    "連絡先",
                    "",
                    &draft.inquirer.phone,
                    false,
                    false,
                ),
            ],
        },
        Section {
            title: "照会の理由",
            fields: vec![
                radio(
                    "reason",
                    "被照会者との関係",
                    &draft.reason,
                    vec![
                        choice("family", "①親族・同居者"),
                        choice("acquaintance", "②知人（友人・職場関係者・近隣住民）"),
                        choice("other", "③その他"),
                    ],
                ),
                text(
                    "reason_text",
                    "照会の理由（③のときは必須）",
                    "",
                    &draft.reason_text,
                    false,
                    true,
                ),
            ],
        },
        Section {
            title: "申請者の確認",
            fields: vec![
                radio(
                    "identity.method",
                    "確認の方法",
                    &draft.identity.method,
                    vec![
                        choice("document", "書類の提示"),
                        choice("alternative", "書類以外の方法（市町村への確認）"),
                    ],
                ),
                text(
                    "identity.document",
                    "提示された書類",
                    "例：運転免許証、マイナンバーカード、在留カード",
                    &draft.identity.document,
                    false,
                    false,
                ),
                text(
                    "identity.confirmed_with",
                    "確認した地方公共団体",
                    "書類以外の方法のとき",
                    &draft.identity.confirmed_with,
                    false,
                    false,
                ),
                text(
                    "identity.note",
                    "確認の内容",
                    "",
                    &draft.identity.note,
                    false,
                    true,
                ),
            ],
        },
        Section {
            title: "被照会者を特定するために必要な事項",
            fields: vec![
                text("target.name", "氏名", "", &draft.target.name, true, false),
                text(
                    "target.furigana",
                    "フリガナ",
                    "",
                    &draft.target.furigana,
                    false,
                    false,
                ),
                text(
                    "target.birth_date",
                    "出生の年月日",
                    "例：昭和56年11月25日、1981-11-25",
                    &draft.target.birth_date,
                    false,
                    false,
                ),
                FormField {
                    required: false,
                    ..radio(
                        "target.sex",
                        "男女の別",
                        &draft.target.sex,
                        vec![choice("男", "男"), choice("女", "女")],
                    )
                },
                text(
                    "target.address",
                    "住所",
                    "",
                    &draft.target.address,
                    false,
                    true,
                ),
                text(
                    "target.nationality",
                    "国籍",
                    "日本、不明、または国名",
                    &draft.target.nationality,
                    false,
                    false,
                ),
                text(
                    "target.identifying_info",
                    "その他個人を識別するための情報",
                    "",
                    &draft.target.identifying_info,
                    false,
                    true,
                ),
            ],
        },
        Section {
            title: "備考",
            fields: vec![text("remarks", "備考", "", &draft.remarks, false, true)],
        },
    ]
}

/// The draft from the posted form.
pub fn draft_of(pairs: &[(String, String)]) -> InquiryDraft {
    let v = |name: &str| value(pairs, name).to_string();
    let mut draft = InquiryDraft {
        channel: v("channel"),
        inquired_at: v("inquired_at"),
        reason: v("reason"),
        reason_text: v("reason_text"),
        remarks: v("remarks"),
        ..InquiryDraft::default()
    };
    draft.inquirer.kind = v("inquirer.kind");
    draft.inquirer.name = v("inquirer.name");
    draft.inquirer.address = v("inquirer.address");
    draft.inquirer.representative = v("inquirer.representative");
    draft.inquirer.phone = v("inquirer.phone");
    draft.identity.method = v("identity.method");
    draft.identity.document = v("identity.document");
    draft.identity.confirmed_with = v("identity.confirmed_with");
    draft.identity.note = v("identity.note");
    draft.target.name = v("target.name");
    draft.target.furigana = v("target.furigana");
    draft.target.birth_date = v("target.birth_date");
    draft.target.sex = v("target.sex");
    draft.target.address = v("target.address");
    draft.target.nationality = v("target.nationality");
    draft.target.identifying_info = v("target.identifying_info");
    draft
}

#[derive(Template)]
#[template(path = "console/inquiry_new.html")]
pub struct NewPage {
    pub frame: Frame,
    pub sections: Vec<Section>,
    pub errors: FormErrors,
    /// The chosen incident (an inquiry belongs to one); `None`: choose one first.
    pub incident: Option<String>,
}

async fn show_new(
    state: &Shared,
    clerk: &Clerk,
    draft: &InquiryDraft,
    errors: &[FieldError],
) -> Response {
    if let Err(error) = state
        .node
        .may(&clerk.session, anpi_core::account::Operation::Inquiry)
    {
        return fail(error);
    }
    let frame = frame_for(state, clerk, "/inquiries").await;
    let incident = frame
        .incident
        .as_ref()
        .map(|i| format!("{}【{}】", i.name, i.mode_label));
    let mut response = render(&NewPage {
        frame,
        sections: sections(draft),
        errors: shown(errors, ""),
        incident,
    });
    if !errors.is_empty() && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /inquiries/new.
pub async fn new_page(State(state): State<Shared>, clerk: Clerk) -> Response {
    let draft = InquiryDraft {
        channel: "form4".into(),
        inquirer: anpi_core::inquiry_types::InquirerDraft {
            kind: "person".into(),
            ..Default::default()
        },
        ..InquiryDraft::default()
    };
    show_new(&state, &clerk, &draft, &[]).await
}

/// POST /inquiries: registers the inquiry into the chosen incident.
pub async fn register(
    State(state): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let draft = draft_of(&form);
    let Some(incident) = clerk.console.incident else {
        return fail(AppError::Conflict(
            "事案が選ばれていません。事案の選択で、照会の対象の事案を選んでください".into(),
        ));
    };
    match state
        .node
        .register_inquiry(&clerk.session, incident, draft.clone())
        .await
    {
        Ok(view) => redirect_with(
            &state,
            &clerk,
            &format!("/inquiries/{}", view.state.inquiry_id),
            "照会を受け付けました。次に「特定する」で被照会者を探します。",
        ),
        Err(AppError::Invalid(errors)) => show_new(&state, &clerk, &draft, &errors).await,
        Err(error) => fail(error),
    }
}

/// One line of the inquiry's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "console/inquiry.html")]
pub struct ShowPage {
    pub frame: Frame,
    pub id: String,
    pub status: &'static str,
    pub incident: String,
    pub lines: Vec<Line>,
    /// The identification as the officer reads it (empty: not yet).
    pub identification: String,
    /// What to ask the inquirer for (特定できない).
    pub ask_for: Vec<&'static str>,
    pub may_identify: bool,
    pub may_answer: bool,
    /// The Form 5 copy kept as given.
    pub form5: Option<String>,
    pub answered: String,
    /// For the officer only, never printed.
    pub officer_notes: Vec<String>,
    pub refused: Option<(String, String)>,
    pub refuse_reason: String,
    pub errors: FormErrors,
    /// 公表の判断 for an "others" inquiry about an identified record.
    pub publication: Option<super::publication::PublicationPanel>,
}

fn lines_of(view: &InquiryView) -> Vec<Line> {
    let inquiry = &view.state.inquiry;
    let raw = &inquiry.target.raw;
    let mut lines = vec![
        Line {
            label: "照会日時",
            value: jst(inquiry.inquired_at),
        },
        Line {
            label: "照会の方法",
            value: inquiry.channel.label_ja().into(),
        },
        Line {
            label: "申請者",
            value: match &inquiry.inquirer {
                Inquirer::Person {
                    name,
                    address,
                    phone,
                } => format!("{name}（{address}）{phone}"),
                Inquirer::Organisation {
                    name,
                    representative,
                    address,
                    phone,
                } => format!("{name} 代表者 {representative}（{address}）{phone}"),
            },
        },
        Line {
            label: "被照会者との関係",
            value: format!(
                "{}{}",
                inquiry.relationship.label_ja(),
                if inquiry.reason_text.is_empty() {
                    String::new()
                } else {
                    format!("（{}）", inquiry.reason_text)
                }
            ),
        },
    ];
    for (label, value) in [
        ("被照会者の氏名", &raw.name),
        ("フリガナ", &raw.furigana),
        ("出生の年月日", &raw.birth_date),
        ("男女の別", &raw.sex),
        ("住所", &raw.address),
        ("国籍", &raw.nationality),
        ("その他個人を識別するための情報", &raw.identifying_info),
    ] {
        if !value.trim().is_empty() {
            lines.push(Line {
                label,
                value: value.clone(),
            });
        }
    }
    lines
}

/// The page of one inquiry.
pub fn show_page(
    frame: Frame,
    view: &InquiryView,
    refuse_reason: String,
    errors: &[FieldError],
) -> ShowPage {
    let state = &view.state;
    let status = state.status();
    let (identification, ask_for) = match state.identified.as_ref().map(|i| &i.identification) {
        None => (String::new(), Vec::new()),
        Some(Identification::Identified { candidates, .. }) => (
            format!("被照会者を特定しました（候補 {candidates}件から）。回答できます。"),
            Vec::new(),
        ),
        Some(Identification::NotIdentified { candidates, .. }) => (
            format!(
                "複数の人が該当するため特定できません（{candidates}件）。申請者に次の事項を確かめてから、照会を受け付け直してください。候補の情報は申請者に伝えません。"
            ),
            state.ask_for().iter().map(|f| f.label_ja()).collect(),
        ),
        Some(Identification::NotHeld) => (
            "該当する安否情報はありません。回答すると「非該当」として回答します。".into(),
            Vec::new(),
        ),
    };
    let open = !matches!(status, InquiryStatus::Answered | InquiryStatus::Refused);
    ShowPage {
        frame,
        id: state.inquiry_id.to_string(),
        status: status.label_ja(),
        incident: view
            .incident
            .as_ref()
            .map(|i| format!("{}【{}】", i.name, i.mode.label_ja()))
            .unwrap_or_default(),
        lines: lines_of(view),
        identification,
        ask_for,
        may_identify: open,
        may_answer: open && matches!(status, InquiryStatus::Identified | InquiryStatus::NotHeld),
        form5: state.answered.as_ref().map(|a| a.form5.clone()),
        answered: state
            .answered
            .as_ref()
            .map(|a| {
                format!(
                    "{}（{}）{}",
                    jst(a.step.at),
                    a.step.by,
                    a.channel
                        .map(|c| format!("・{}で回答", c.label_ja()))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default(),
        officer_notes: state
            .answered
            .as_ref()
            .map(|a| a.answer.officer_notes.clone())
            .unwrap_or_default(),
        refused: state.refused.as_ref().map(|r| {
            (
                r.reason.clone(),
                format!("{}（{}）", jst(r.step.at), r.step.by),
            )
        }),
        refuse_reason,
        errors: shown(errors, ""),
        publication: None,
    }
}

/// The identified record of an "others" inquiry (第5 4(3)イ(ウ)): the one whose
/// publication decision the answer follows.
fn others_record(view: &InquiryView) -> Option<anpi_core::ids::RecordId> {
    let state = &view.state;
    if state.inquiry.relationship != anpi_core::inquiry_types::Relationship::Other {
        return None;
    }
    match state.identified.as_ref().map(|i| &i.identification) {
        Some(Identification::Identified { record, .. }) => Some(*record),
        _ => None,
    }
}

fn inquiry_id(text: &str) -> Result<InquiryId, AppError> {
    InquiryId::from_str(text).map_err(|_| {
        AppError::NotFound("指定された照会が見つかりません。照会の一覧から開いてください".into())
    })
}

async fn show(
    state: &Shared,
    clerk: &Clerk,
    id: InquiryId,
    refuse_reason: String,
    errors: &[FieldError],
) -> Response {
    show_typed(
        state,
        clerk,
        id,
        refuse_reason,
        errors,
        PublicationTyped::empty(),
    )
    .await
}

async fn show_typed(
    state: &Shared,
    clerk: &Clerk,
    id: InquiryId,
    refuse_reason: String,
    errors: &[FieldError],
    typed: PublicationTyped,
) -> Response {
    let view = match state.node.get_inquiry(&clerk.session, id).await {
        Ok(view) => view,
        Err(error) => return fail(error),
    };
    let frame = frame_for(state, clerk, "/inquiries").await;
    let mut page = show_page(frame, &view, refuse_reason, errors);
    if let Some(record) = others_record(&view)
        && let Ok(status) = state.node.publication_status(&clerk.session, record).await
    {
        // The officer records another body's decision here; this body's own is made
        // on the record's page by an organiser.
        let can_decide = page.may_identify && !status.collected_here;
        page.publication = Some(super::publication::panel(
            &status,
            format!("/inquiries/{id}/publication"),
            can_decide,
            typed,
            errors,
        ));
    }
    let mut response = render(&page);
    if !errors.is_empty() && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /inquiries/{id}.
pub async fn page(State(state): State<Shared>, Path(id): Path<String>, clerk: Clerk) -> Response {
    match inquiry_id(&id) {
        Ok(id) => show(&state, &clerk, id, String::new(), &[]).await,
        Err(error) => fail(error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// A step button of an inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Identify,
    Answer(AnswerChannel),
}

async fn step(state: Shared, id: String, clerk: Clerk, step: Step) -> Response {
    let id = match inquiry_id(&id) {
        Ok(id) => id,
        Err(error) => return fail(error),
    };
    let done = match step {
        Step::Identify => state.node.identify_inquiry(&clerk.session, id).await,
        Step::Answer(channel) => {
            state
                .node
                .answer_inquiry(&clerk.session, id, Some(channel))
                .await
        }
    };
    match done {
        Ok(view) => {
            let (to, notice) = match step {
                Step::Identify => (
                    format!("/inquiries/{id}"),
                    format!("特定の結果：{}", view.state.status().label_ja()),
                ),
                Step::Answer(_) => (
                    format!("/inquiries/{id}#form5"),
                    "回答しました。回答書（様式第5号）の写しを保存しました。印刷して交付できます。"
                        .to_string(),
                ),
            };
            redirect_with(&state, &clerk, &to, notice)
        }
        Err(error) => fail(error),
    }
}

/// POST /inquiries/{id}/identify.
pub async fn identify(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Empty>,
) -> Response {
    step(state, id, posted.clerk, Step::Identify).await
}

/// POST /inquiries/{id}/answer (`channel`: written / oral / phone, required).
pub async fn answer(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    match AnswerChannel::parse(value(&form, "channel")) {
        Some(channel) => step(state, id, clerk, Step::Answer(channel)).await,
        None => {
            let inquiry = match inquiry_id(&id) {
                Ok(inquiry) => inquiry,
                Err(error) => return fail(error),
            };
            let error = super::rollcall::problem(
                "answer_channel",
                "回答の方法",
                "回答の方法（書面・口頭・電話）を選んでください",
            );
            show(&state, &clerk, inquiry, String::new(), &[error]).await
        }
    }
}

/// POST /inquiries/{id}/refuse (`reason`).
pub async fn refuse(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let id = match inquiry_id(&id) {
        Ok(id) => id,
        Err(error) => return fail(error),
    };
    let Posted { clerk, form } = posted;
    let reason = value(&form, "reason").trim().to_string();
    if reason.is_empty() {
        let error = super::rollcall::problem(
            "refuse_reason",
            "拒否の理由",
            "回答を拒否する理由を入力してください",
        );
        return show(&state, &clerk, id, reason, &[error]).await;
    }
    match state
        .node
        .refuse_inquiry(&clerk.session, id, reason.clone())
        .await
    {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            &format!("/inquiries/{id}"),
            "回答を拒否しました。理由は記録に残ります。",
        ),
        Err(AppError::Invalid(errors)) => show(&state, &clerk, id, reason, &errors).await,
        Err(error) => fail(error),
    }
}

/// POST /inquiries/{id}/publication: the collecting body's decision about the
/// identified record, confirmed with it (第5 4(3)イ(ウ)b), then back to the inquiry.
pub async fn publication(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let id = match inquiry_id(&id) {
        Ok(id) => id,
        Err(error) => return fail(error),
    };
    let view = match state.node.get_inquiry(&clerk.session, id).await {
        Ok(view) => view,
        Err(error) => return fail(error),
    };
    let Some(record) = others_record(&view) else {
        return fail(AppError::Conflict(
            "公表の判断を記録できるのは、親族・同居者・知人以外からの照会で被照会者を特定したときです"
                .into(),
        ));
    };
    let typed = PublicationTyped::of(&form);
    match state
        .node
        .decide_publication(&clerk.session, record, typed.draft())
        .await
    {
        Ok(decision) => redirect_with(
            &state,
            &clerk,
            &format!("/inquiries/{id}#publication"),
            format!(
                "収集団体の公表の判断（{}）を記録しました。回答に反映されます",
                decision.label_ja()
            ),
        ),
        Err(AppError::Invalid(errors)) => {
            show_typed(&state, &clerk, id, String::new(), &errors, typed).await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::pages::rollcall::tests::frame;

    #[test]
    fn the_form_keeps_what_was_typed_and_names_every_field() {
        let pairs: Vec<(String, String)> = [
            ("channel", "phone"),
            ("inquirer.name", "消防 花子"),
            ("target.name", "<b>消防 太郎</b>"),
            ("target.sex", "男"),
            ("reason", "family"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let draft = draft_of(&pairs);
        assert_eq!(draft.channel, "phone");
        assert_eq!(draft.inquirer.name, "消防 花子");
        assert_eq!(draft.target.sex, "男");
        let page = NewPage {
            frame: frame(),
            sections: sections(&draft),
            errors: shown(
                &[super::super::rollcall::problem(
                    "target.birth_date",
                    "出生の年月日",
                    "日付ではありません",
                )],
                "",
            ),
            incident: Some("台風【実事案】".into()),
        };
        let html = page.render().unwrap();
        for name in [
            "channel",
            "inquired_at",
            "inquirer.kind",
            "inquirer.address",
            "reason_text",
            "identity.method",
            "identity.document",
            "target.furigana",
            "target.nationality",
            "remarks",
        ] {
            assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
        }
        assert!(html.contains("id=\"err-target.birth_date\""));
        assert!(html.contains("value=\"phone\" checked"));
        assert!(!html.contains("<b>消防"), "escaped");
        assert!(!html.contains("style="));
    }
}
