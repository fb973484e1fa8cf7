//! The console's pages, one module per screen (issue 15).

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod download;
pub mod entry;
pub mod home;
pub mod import;
pub mod inquiry;
pub mod intake;
pub mod organise;
pub mod publication;
pub mod record;
pub mod reports;
pub mod retention;
pub mod rollcall;
pub mod search;
pub mod shared;
pub mod trust;

use anpi_files::MAX_FILE_BYTES;
use axum::Router;
use axum::extract::DefaultBodyLimit;

use super::Shared;

/// The routes of the work screens (entry, records, organise, reports, intake, search,
/// CSV import and download, roll-call, the user IDs). Only the CSV upload takes a body over axum's default
/// limit (2 MB): the file limit of `anpi-files` and room for the form's other fields.
pub fn routes() -> Router<Shared> {
    use axum::routing::{get, post};
    Router::new()
        .route(
            "/entry/form1",
            get(entry::form1_page).post(entry::submit_form1),
        )
        .route(
            "/entry/form2",
            get(entry::form2_page).post(entry::submit_form2),
        )
        .route("/records/{id}", get(record::page))
        .route("/records/{id}/depart", post(record::depart))
        .route("/records/{id}/delete", post(record::delete))
        .route(
            "/records/{id}/publication",
            post(publication::decide_on_record),
        )
        .route("/publication", get(publication::list))
        .route("/publication.csv", get(publication::download))
        .route("/records/{id}/update", get(entry::update_page))
        .route("/records/{id}/death", get(entry::death_page))
        .route("/organise", get(organise::page))
        .route("/organise/delete", post(organise::delete))
        .route("/organise/merge", post(organise::merge))
        .route("/organise/report", post(organise::report))
        .route("/reports", get(reports::page))
        .route("/accounts", get(accounts::page).post(accounts::issue))
        .route("/accounts/{id}/withdraw", post(accounts::withdraw))
        .route("/accounts/{id}/unlock", post(accounts::unlock))
        .route("/accounts/{id}/reset", post(accounts::reset))
        .route("/inquiries", get(inquiry::list).post(inquiry::register))
        .route("/inquiries/new", get(inquiry::new_page))
        .route("/inquiries/{id}", get(inquiry::page))
        .route("/inquiries/{id}/identify", post(inquiry::identify))
        .route("/inquiries/{id}/answer", post(inquiry::answer))
        .route("/inquiries/{id}/refuse", post(inquiry::refuse))
        .route("/inquiries/{id}/publication", post(inquiry::publication))
        .route("/shared", get(shared::page))
        .route("/shared/publish", post(shared::publish))
        .route("/audit", get(audit::page))
        .route("/audit/reads", get(audit::reads))
        .route(
            "/audit/replay",
            get(audit::replay_page).post(audit::start_replay),
        )
        .route("/audit/replay/record", get(audit::replayed_record))
        .route("/retention", get(retention::page))
        .route("/retention/until", post(retention::set_until))
        .route("/retention/purge", post(retention::purge))
        .route("/trust", get(trust::page))
        .route("/trust/keys", post(trust::register))
        .route("/trust/revocations", post(trust::revoke))
        .route("/intake", get(intake::page).post(intake::set))
        .route("/search", get(search::page).post(search::search))
        .route("/download", get(download::download))
        .route(
            "/import",
            get(import::page)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/import/template.csv", get(import::template_file))
        .merge(rollcall::routes())
}
