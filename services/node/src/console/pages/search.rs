//! 検索 (S-01..S-04, P-04): tolerant exact or 曖昧 (partial) search of the node's own
//! records or of the shared dataset; results with state, collecting body, 記入日時
//! and 受信日時. The terms travel only in POST bodies and the results come back in the
//! POST's response: nothing personal is in a URL. The Red Cross view is forced by the
//! app for a Red Cross account; the page says so. More results: the same search
//! again with a larger limit, up to the app's 1,000.
//!
//! C-02: the results of a search of the private area limited to the chosen incident
//! download as CSV (the search form POSTed again with a `download` button, so the
//! terms stay out of URLs): up to 1,000 rows through `anpi_files::write_entries_csv`,
//! the heading naming the incident, its mode and 「検索結果」; the search runs as an
//! export, so the read log says `export_search` with the query and the row count
//! . Results of the shared dataset do not download: it holds other bodies'
//! records for answering inquiries within each person's consent, not for copying out
//! (see [`download_refusal`]).

use anpi_core::account;
use anpi_core::account::Operation;
use anpi_core::era;
use anpi_core::search::QueryDraft;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use anpi_core::incident::{Incident, IncidentMode};
use anpi_files::export_heading;

use crate::app::AppError;
use crate::app::entries::RecordView;
use crate::app::organise::{SearchInput, SearchResult};
use crate::console::pages::download::{csv_download, encoding_of, export_row};
use crate::console::pages::reports::body_label;
use crate::console::{
    Clerk, Console, FormErrors, Frame, Posted, Shared, fail, jst, message_page, render,
};

/// Results asked for first, and added by each "more".
pub const STEP: i32 = 100;
/// The app's largest limit.
pub const MAX: i32 = 1000;

/// The search form as typed (every field kept when the page comes back).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchForm {
    pub name: String,
    pub kana: String,
    pub birth: String,
    pub sex: String,
    pub address: String,
    pub nationality: String,
    pub text: String,
    /// `on` when 曖昧検索 is ticked.
    pub fuzzy: String,
    /// `private` (自団体) / `shared` (共用領域).
    pub scope: String,
    /// `on`: only the chosen incident.
    pub incident_only: String,
    /// The number of results to show: sent only by the "more" button (the next
    /// step); a new search shows the first [`STEP`].
    pub limit: String,
    /// `cp932` / `utf8`: sent only by the download buttons (C-02).
    pub download: String,
}

impl SearchForm {
    /// The form as first shown: own area, the chosen incident only.
    pub fn blank() -> SearchForm {
        SearchForm {
            scope: "private".into(),
            incident_only: "on".into(),
            ..SearchForm::default()
        }
    }

    pub fn fuzzy(&self) -> bool {
        !self.fuzzy.is_empty()
    }

    pub fn shared(&self) -> bool {
        self.scope == "shared"
    }

    pub fn incident_only(&self) -> bool {
        !self.incident_only.is_empty()
    }

    /// The draft the app parses (the Red Cross view is the app's to force).
    pub fn draft(&self) -> QueryDraft {
        QueryDraft {
            name: self.name.clone(),
            kana: self.kana.clone(),
            birth: self.birth.clone(),
            sex: self.sex.clone(),
            address: self.address.clone(),
            nationality: self.nationality.clone(),
            text: self.text.clone(),
            fuzzy: self.fuzzy(),
            red_cross: false,
        }
    }

    /// The limit to ask for, within `STEP..=MAX`.
    pub fn limit(&self) -> i32 {
        self.limit
            .trim()
            .parse::<i32>()
            .unwrap_or(STEP)
            .clamp(STEP, MAX)
    }
}

/// Why the results of this search do not download, or `None` when they do (C-02).
/// `shared`: a search of the shared dataset; `one_incident`: limited to the chosen
/// incident.
pub fn download_refusal(shared: bool, one_incident: bool) -> Option<&'static str> {
    if shared {
        // The shared dataset is other bodies' records, published for answering
        // inquiries (Q-01..Q-05) within each person's consent and not to be published
        // a file copy would leave those checks behind.
        Some(
            "共用領域の検索結果はダウンロードできません。共用領域は照会への回答のためのもので、他の団体が収集した安否情報をファイルに書き出すことはできません。",
        )
    } else if !one_incident {
        // A file holds one incident: its heading names the incident and its mode, and
        // drill records never mix with an actual incident's (T-04).
        Some(
            "ダウンロードは、自団体の検索で「選択中の事案の安否情報に限る」を選んだときにできます（事案や訓練・実事案の異なる安否情報が1つのファイルに混ざらないようにするためです）。",
        )
    } else {
        None
    }
}

/// The heading's incident part of a search download: 「検索結果」, the incident, and
/// that more matched when the app's limit cut the results.
pub fn download_title(incident: &str, truncated: bool) -> String {
    if truncated {
        format!("検索結果（先頭{MAX}件。ほかにも該当あり） {incident}")
    } else {
        format!("検索結果 {incident}")
    }
}

/// One result as shown.
#[derive(Debug, Clone)]
pub struct ResultRow {
    pub id: String,
    /// The record page opens it (records of this node's private area).
    pub linked: bool,
    pub name: String,
    pub kana: String,
    pub birth: String,
    pub sex: String,
    pub address: String,
    pub nationality: String,
    /// 避難 / 負傷 / 死亡 / 退去 / 削除 (S-04).
    pub state: &'static str,
    /// `evacuated` … `deleted` (a class).
    pub state_key: &'static str,
    /// The collecting body (E-13).
    pub origin: String,
    pub written: String,
    pub received: String,
    pub incident: String,
}

impl ResultRow {
    pub fn of(view: &RecordView, linked: bool) -> ResultRow {
        let state = &view.state;
        let entry = &state.entry;
        let label = state.label();
        ResultRow {
            id: state.record_id.to_string(),
            linked,
            name: entry.display_name(),
            kana: entry.parsed.furigana.clone().unwrap_or_default(),
            birth: entry
                .parsed
                .birth_date
                .map(era::format_era)
                .unwrap_or_default(),
            sex: entry
                .parsed
                .sex
                .map(|s| s.label_ja().to_string())
                .unwrap_or_default(),
            address: entry.address_line(),
            nationality: entry.parsed.nationality.label_ja(),
            state: label.label_ja(),
            state_key: label.as_str(),
            origin: body_label(state.origin.as_str()),
            written: jst(entry.parsed.written_at),
            received: jst(state.received_at),
            incident: view
                .incident
                .as_ref()
                .map(|i| format!("{}【{}】", i.name, i.mode.label_ja()))
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/search.html")]
pub struct SearchPage {
    pub frame: Frame,
    pub form: SearchForm,
    pub errors: FormErrors,
    /// A refusal that is not about one field (e.g. the shared dataset not received).
    pub problem: Option<String>,
    /// The P-04 view is forced for this account.
    pub red_cross: bool,
    /// The chosen incident's name (empty: none chosen).
    pub incident: String,
    pub searched: bool,
    pub results: Vec<ResultRow>,
    pub truncated: bool,
    pub limit: i32,
    /// The limit the "more" button asks for.
    pub next_limit: i32,
    pub can_more: bool,
    pub shared_results: bool,
    /// The shared dataset's version and publication (shared searches).
    pub dataset: String,
    pub sexes: [(&'static str, &'static str); 3],
    /// The results download (C-02); else why not (empty before a search).
    pub can_download: bool,
    pub download_note: &'static str,
}

const SEXES: [(&str, &str); 3] = [("", "指定しない"), ("男", "男"), ("女", "女")];

fn incident_name(clerk: &Clerk, incidents: &[anpi_core::incident::Incident]) -> String {
    clerk
        .console
        .incident
        .and_then(|id| incidents.iter().find(|i| i.id == id))
        .map(|i| format!("{}【{}】", i.name, i.mode.label_ja()))
        .unwrap_or_default()
}

/// GET /search: the form. The app decides whether this role may search at all, so the
/// page itself is refused to an input terminal, not only its POST.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    // Nothing personal is read here, so nothing goes to the read log.
    if let Err(error) = state.node.may(&clerk.session, Operation::Search) {
        return fail(error);
    }
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    render(&SearchPage {
        frame: Frame::new(&state, &clerk, "/search", &incidents),
        form: SearchForm::blank(),
        errors: FormErrors::default(),
        problem: None,
        red_cross: account::red_cross_only(clerk.session.role),
        incident: incident_name(&clerk, &incidents),
        searched: false,
        results: Vec::new(),
        truncated: false,
        limit: STEP,
        next_limit: STEP + STEP,
        can_more: false,
        shared_results: false,
        dataset: String::new(),
        sexes: SEXES,
        can_download: false,
        download_note: "",
    })
}

/// POST /search: the results in the response.
pub async fn search(State(state): State<Shared>, posted: Posted<SearchForm>) -> Response {
    let Posted { clerk, mut form } = posted;
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    if !form.download.is_empty() {
        return download(&state, &clerk, &form, &incidents).await;
    }
    let limit = form.limit();
    form.limit.clear();
    let input = SearchInput {
        incident: if form.incident_only() {
            clerk.console.incident
        } else {
            None
        },
        draft: form.draft(),
        shared: form.shared(),
        limit,
        export: false,
    };
    let mut page = SearchPage {
        frame: Frame::new(&state, &clerk, "/search", &incidents),
        errors: FormErrors::default(),
        problem: None,
        red_cross: account::red_cross_only(clerk.session.role),
        incident: incident_name(&clerk, &incidents),
        searched: false,
        results: Vec::new(),
        truncated: false,
        limit,
        next_limit: (limit + STEP).min(MAX),
        can_more: false,
        shared_results: false,
        dataset: String::new(),
        sexes: SEXES,
        can_download: false,
        download_note: "",
        form,
    };
    let one_incident = page.form.incident_only() && chosen(&clerk, &incidents).is_some();
    let status = match state.node.search(&clerk.session, input).await {
        Ok(found) => {
            fill(&mut page, &found);
            let refusal = download_refusal(found.shared, one_incident);
            page.can_download = refusal.is_none() && !page.results.is_empty();
            page.download_note = refusal.unwrap_or_default();
            StatusCode::OK
        }
        Err(AppError::Invalid(errors)) => {
            page.errors = FormErrors::of(&errors);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(AppError::Conflict(message)) => {
            page.problem = Some(message);
            StatusCode::CONFLICT
        }
        Err(error) => return fail(error),
    };
    let mut response = render(&page);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

fn chosen<'a>(clerk: &Clerk, incidents: &'a [Incident]) -> Option<&'a Incident> {
    clerk
        .console
        .incident
        .and_then(|id| incidents.iter().find(|i| i.id == id))
}

/// POST /search with `download=cp932|utf8`: the same search, of the private area and
/// the chosen incident, up to [`MAX`] rows, as a CSV file; an export in the read log.
async fn download(
    state: &Console,
    clerk: &Clerk,
    form: &SearchForm,
    incidents: &[Incident],
) -> Response {
    let chosen = chosen(clerk, incidents).filter(|_| form.incident_only());
    let incident = match chosen {
        Some(incident) if !form.shared() => incident,
        _ => {
            let refusal = download_refusal(form.shared(), chosen.is_some()).unwrap_or_default();
            return message_page(StatusCode::CONFLICT, "ダウンロードできません", refusal);
        }
    };
    let input = SearchInput {
        incident: Some(incident.id),
        draft: form.draft(),
        shared: false,
        limit: MAX,
        export: true,
    };
    let found = match state.node.search(&clerk.session, input).await {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let truncated = found.truncated;
    let rows: Vec<_> = found.records.into_iter().map(export_row).collect();
    let now = chrono::Utc::now();
    let heading = export_heading(
        &download_title(&incident.name, truncated),
        incident.mode == IncidentMode::Drill,
        &format!("{}（日本時間）", jst(now)),
    );
    csv_download(
        &rows,
        encoding_of(&form.download),
        &heading,
        &format!("{}_検索結果", incident.name),
        incident.mode,
        now,
    )
}

/// The page with what a search found.
pub fn fill(page: &mut SearchPage, found: &SearchResult) {
    page.searched = true;
    page.shared_results = found.shared;
    page.results = found
        .records
        .iter()
        .map(|view| ResultRow::of(view, !found.shared))
        .collect();
    page.truncated = found.truncated;
    page.can_more = found.truncated && page.limit < MAX;
    page.dataset = found
        .dataset
        .as_ref()
        .map(|d| {
            format!(
                "共用領域 第{}版（{} 公開、{} 受信）",
                d.version.version,
                jst(d.published_at),
                jst(d.received_at)
            )
        })
        .unwrap_or_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_stays_in_the_apps_range() {
        let mut form = SearchForm::blank();
        assert_eq!(form.limit(), 100);
        form.limit = "200".into();
        assert_eq!(form.limit(), 200);
        form.limit = "5000".into();
        assert_eq!(form.limit(), 1000);
        form.limit = "-4".into();
        assert_eq!(form.limit(), 100);
        form.limit = "abc".into();
        assert_eq!(form.limit(), 100);
    }

    #[test]
    fn the_draft_carries_every_field_and_the_choices() {
        let form = SearchForm {
            name: "消防 太郎".into(),
            fuzzy: "on".into(),
            scope: "shared".into(),
            ..SearchForm::blank()
        };
        let draft = form.draft();
        assert_eq!(draft.name, "消防 太郎");
        assert!(draft.fuzzy);
        assert!(!draft.red_cross);
        assert!(form.shared());
        assert!(form.incident_only());
        assert!(!SearchForm::default().shared());
    }

    fn page(form: SearchForm, errors: FormErrors) -> SearchPage {
        SearchPage {
            frame: super::super::organise::tests::frame(),
            form,
            errors,
            problem: None,
            red_cross: true,
            incident: String::new(),
            searched: true,
            results: vec![ResultRow {
                id: "r1".into(),
                linked: true,
                name: "<script>alert(1)</script>".into(),
                kana: String::new(),
                birth: String::new(),
                sex: "女".into(),
                address: String::new(),
                nationality: "アメリカ".into(),
                state: "避難",
                state_key: "evacuated",
                origin: "131016".into(),
                written: "2024-01-01 09:00".into(),
                received: "2024-01-01 09:01".into(),
                incident: String::new(),
            }],
            truncated: true,
            limit: 100,
            next_limit: 200,
            can_more: true,
            shared_results: false,
            dataset: String::new(),
            sexes: SEXES,
            can_download: true,
            download_note: "",
        }
    }

    #[test]
    fn the_page_keeps_typed_values_shows_errors_and_escapes() {
        let form = SearchForm {
            name: "\"><script>alert(2)</script>".into(),
            birth: "平成99年".into(),
            sex: "女".into(),
            ..SearchForm::blank()
        };
        let html = page(
            form,
            FormErrors::one("birth", "出生の年月日を読み取れません"),
        )
        .render()
        .unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("style="));
        assert!(html.contains("value=\"平成99年\""));
        assert!(html.contains("id=\"err-birth\""));
        assert!(html.contains("出生の年月日を読み取れません"));
        assert!(html.contains("id=\"red-cross-view\""));
        assert!(html.contains("id=\"more-button\""));
        assert!(html.contains("href=\"/records/r1\""));
        assert!(html.contains("<option value=\"女\" selected>"));
        assert!(html.contains("value=\"private\" checked"));
        assert!(html.contains("id=\"download-cp932\""));
        assert!(html.contains("name=\"download\" value=\"utf8\""));
    }

    #[test]
    fn only_the_private_areas_results_of_the_chosen_incident_download() {
        assert_eq!(download_refusal(false, true), None);
        assert!(download_refusal(true, true).unwrap().contains("共用領域"));
        assert!(download_refusal(true, false).unwrap().contains("共用領域"));
        assert!(
            download_refusal(false, false)
                .unwrap()
                .contains("選択中の事案")
        );
        assert_eq!(
            download_title("首都直下地震", false),
            "検索結果 首都直下地震"
        );
        let cut = download_title("首都直下地震", true);
        assert!(cut.starts_with("検索結果（先頭1000件") && cut.ends_with(" 首都直下地震"));
        let mut page = page(SearchForm::blank(), FormErrors::default());
        page.can_download = false;
        page.download_note = download_refusal(true, true).unwrap();
        let html = page.render().unwrap();
        assert!(!html.contains("id=\"download-cp932\""));
        assert!(html.contains("id=\"no-download\""));
    }
}
