//! 公表 (X-02, X-04; guideline 第5 4(4), 第5 4(3)イ(ウ)): the decision panel shown on a
//! record's page (this body's own decision, 整理・報告) and on an "others" inquiry about
//! a record another body collected (the decision confirmed with that body, recorded by
//! the officer), and the publication list of the chosen incident as a page and a CSV
//! file. Every rule is the application layer's (`decide_publication`,
//! `publication_list`).

use anpi_core::ids::RecordId;
use anpi_core::incident::IncidentMode;
use anpi_core::publication::{Listed, PublicationDraft};
use anpi_core::validation::FieldError;
use anpi_files::{publication_heading, write_publication_csv};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::rollcall::directory::{csv_response, query_encoding};
use super::rollcall::value;
use crate::app::AppError;
use crate::app::publication::PublicationStatus;
use crate::console::{
    Clerk, FormErrors, Frame, Posted, Shared, fail, frame_for, jst, message_page, redirect_with,
    render,
};

/// One decision of a record's history.
pub struct DecisionRow {
    pub when: String,
    pub label: &'static str,
    pub who: String,
    pub basis: &'static str,
    pub reason: String,
    /// Whom at the collecting body it was confirmed with (empty: this body's own).
    pub confirmed: String,
}

/// The 公表 panel (`console/publication_panel.html`).
pub struct PublicationPanel {
    /// Where the form posts.
    pub action: String,
    pub collected_here: bool,
    /// The collecting body's code.
    pub origin: String,
    /// The standing decision, as a sentence.
    pub current: String,
    pub history: Vec<DecisionRow>,
    pub can_decide: bool,
    /// As typed, after a refusal: `yes` / `no` / empty.
    pub publish: String,
    pub reason: String,
    pub contact: String,
    pub errors: FormErrors,
}

impl PublicationPanel {
    pub fn has(&self, name: &str) -> bool {
        self.errors.has(name)
    }

    pub fn messages(&self, name: &str) -> Vec<&str> {
        self.errors.messages(name)
    }

    pub fn decided(&self) -> bool {
        !self.history.is_empty()
    }
}

/// What the form gave.
pub struct Typed {
    pub publish: String,
    pub reason: String,
    pub contact: String,
}

impl Typed {
    pub fn empty() -> Typed {
        Typed {
            publish: String::new(),
            reason: String::new(),
            contact: String::new(),
        }
    }

    pub fn of(form: &[(String, String)]) -> Typed {
        Typed {
            publish: value(form, "publish").to_string(),
            reason: value(form, "reason").to_string(),
            contact: value(form, "contact").to_string(),
        }
    }

    pub fn draft(&self) -> PublicationDraft {
        PublicationDraft {
            publish: match self.publish.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            reason: self.reason.clone(),
            contact: self.contact.clone(),
        }
    }
}

/// Builds the panel (pure).
pub fn panel(
    status: &PublicationStatus,
    action: String,
    can_decide: bool,
    typed: Typed,
    errors: &[FieldError],
) -> PublicationPanel {
    let history: Vec<DecisionRow> = status
        .history
        .iter()
        .map(|d| DecisionRow {
            when: jst(d.at),
            label: d.decision.label_ja(),
            who: d.actor.clone(),
            basis: d.decision.basis.map(|b| b.label_ja()).unwrap_or(""),
            reason: d.decision.reason.clone(),
            confirmed: d
                .decision
                .confirmed_with
                .as_ref()
                .map(|c| format!("収集団体 {} に確認：{}", c.body, c.contact))
                .unwrap_or_default(),
        })
        .collect();
    let current = match status.current() {
        None if status.collected_here => {
            "まだ判断していません。親族・同居者・知人以外からの照会には、判断するまで該当・非該当のみ回答します。".to_string()
        }
        None => format!(
            "収集団体（{}）の判断をまだ記録していません。確認できるまでは、親族・同居者・知人以外からの照会に該当・非該当のみ回答します。",
            status.origin
        ),
        Some(d) => format!(
            "{}（{}、{}）",
            d.decision.label_ja(),
            jst(d.at),
            if d.decision.confirmed_with.is_some() {
                "収集団体に確認した判断"
            } else {
                "この団体の判断"
            }
        ),
    };
    PublicationPanel {
        action,
        collected_here: status.collected_here,
        origin: status.origin.to_string(),
        current,
        history,
        can_decide,
        publish: typed.publish,
        reason: typed.reason,
        contact: typed.contact,
        errors: FormErrors::of(errors),
    }
}

/// POST /records/{id}/publication: this body's decision (or a confirmed one about a
/// reported record), then back to the record.
pub async fn decide_on_record(
    State(state): State<Shared>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { clerk, form } = posted;
    let Ok(record) = id.parse::<RecordId>() else {
        return fail(super::record::not_found());
    };
    let typed = Typed::of(&form);
    match state
        .node
        .decide_publication(&clerk.session, record, typed.draft())
        .await
    {
        Ok(decision) => redirect_with(
            &state,
            &clerk,
            &format!("/records/{record}#publication"),
            format!("公表の判断（{}）を記録しました", decision.label_ja()),
        ),
        Err(AppError::Invalid(errors)) => {
            super::record::show_with_publication(&state, &clerk, record, typed, &errors).await
        }
        Err(error) => fail(error),
    }
}

#[derive(Template)]
#[template(path = "console/publication_list.html")]
pub struct ListPage {
    pub frame: Frame,
    pub incident: String,
    pub drill: bool,
    pub listed: Vec<Listed>,
}

impl ListPage {
    pub fn age(&self, line: &Listed) -> String {
        line.age
            .map(|a| format!("{a}歳"))
            .unwrap_or_else(|| "不明".into())
    }
}

fn no_incident() -> Response {
    message_page(
        StatusCode::CONFLICT,
        "事案を選んでください",
        "公表一覧を作る事案を「事案の選択」で選んでから、もう一度お試しください。",
    )
}

/// The chosen incident and the list of it.
async fn listed(
    state: &Shared,
    clerk: &Clerk,
) -> Result<Option<(anpi_core::incident::Incident, Vec<Listed>)>, AppError> {
    // Refused before the incident is looked at: the same answer with or without one.
    state
        .node
        .may(&clerk.session, anpi_core::account::Operation::Organise)?;
    let incidents = state.node.list_incidents(&clerk.session).await?;
    let Some(incident) = clerk
        .console
        .incident
        .and_then(|id| incidents.into_iter().find(|i| i.id == id))
    else {
        return Ok(None);
    };
    let listed = state
        .node
        .publication_list(&clerk.session, incident.id)
        .await?;
    Ok(Some((incident, listed)))
}

/// GET /publication: the publication list of the chosen incident.
pub async fn list(State(state): State<Shared>, clerk: Clerk) -> Response {
    let (incident, listed) = match listed(&state, &clerk).await {
        Ok(Some(found)) => found,
        Ok(None) => return no_incident(),
        Err(error) => return fail(error),
    };
    let frame = frame_for(&state, &clerk, "/publication").await;
    render(&ListPage {
        frame,
        incident: format!("{}【{}】", incident.name, incident.mode.label_ja()),
        drill: incident.mode == IncidentMode::Drill,
        listed,
    })
}

/// GET /publication.csv?encoding=cp932|utf8: the same list as a file (C-02 rules:
/// heading line with the incident and its mode, CRLF, formula injection neutralised).
pub async fn download(
    State(state): State<Shared>,
    clerk: Clerk,
    RawQuery(query): RawQuery,
) -> Response {
    let encoding = query_encoding(query.as_deref());
    let (incident, listed) = match listed(&state, &clerk).await {
        Ok(Some(found)) => found,
        Ok(None) => return no_incident(),
        Err(error) => return fail(error),
    };
    let now = chrono::Utc::now();
    let heading = publication_heading(
        &incident.name,
        incident.mode == IncidentMode::Drill,
        &jst(now),
    );
    let rows: Vec<[String; 3]> = listed
        .iter()
        .map(|l| {
            [
                l.name.clone(),
                l.age.map(|a| a.to_string()).unwrap_or_default(),
                l.municipality.clone(),
            ]
        })
        .collect();
    let date = now
        .with_timezone(&anpi_core::entry::jst_offset())
        .format("%Y%m%d")
        .to_string();
    let name = super::download::file_name(&incident.name, incident.mode.label_ja(), &date)
        .replacen("安否情報_", "公表一覧_", 1);
    match write_publication_csv(&rows, encoding, &heading) {
        Ok(bytes) => csv_response(bytes, encoding, &name),
        Err(message) => message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ダウンロードできませんでした",
            &format!("{message}（「UTF-8（BOM付き）」でダウンロードしてください）"),
        ),
    }
}
