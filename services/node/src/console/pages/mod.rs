//! The console's pages, one module per screen (issue 15).

pub mod auth;
pub mod home;
pub mod intake;
pub mod organise;
pub mod reports;
pub mod search;

use axum::Router;

use super::Shared;

/// The routes of the work screens (entry, records, organise, reports, intake, search).
pub fn routes() -> Router<Shared> {
    use axum::routing::{get, post};
    Router::new()
        .route("/organise", get(organise::page))
        .route("/organise/delete", post(organise::delete))
        .route("/organise/merge", post(organise::merge))
        .route("/organise/report", post(organise::report))
        .route("/reports", get(reports::page))
        .route("/intake", get(intake::page).post(intake::set))
        .route("/search", get(search::page).post(search::search))
}
