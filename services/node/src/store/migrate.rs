//! Applies the migrations of `schemas/postgres/` in order, once each.

use super::Result;

/// The migrations, in order. Never edit one that has shipped: add a new file.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_event_log",
        include_str!("../../../../schemas/postgres/0001_event_log.sql"),
    ),
    (
        "0002_reports",
        include_str!("../../../../schemas/postgres/0002_reports.sql"),
    ),
    (
        "0003_organise_search",
        include_str!("../../../../schemas/postgres/0003_organise_search.sql"),
    ),
    (
        "0004_shared_dataset",
        include_str!("../../../../schemas/postgres/0004_shared_dataset.sql"),
    ),
    (
        "0005_inquiries",
        include_str!("../../../../schemas/postgres/0005_inquiries.sql"),
    ),
    (
        "0006_accounts",
        include_str!("../../../../schemas/postgres/0006_accounts.sql"),
    ),
    (
        "0007_trust",
        include_str!("../../../../schemas/postgres/0007_trust.sql"),
    ),
    (
        "0008_login_throttle",
        include_str!("../../../../schemas/postgres/0008_login_throttle.sql"),
    ),
    (
        "0009_incident_scope",
        include_str!("../../../../schemas/postgres/0009_incident_scope.sql"),
    ),
    (
        "0010_staged_events",
        include_str!("../../../../schemas/postgres/0010_staged_events.sql"),
    ),
    (
        "0011_rollcall",
        include_str!("../../../../schemas/postgres/0011_rollcall.sql"),
    ),
    (
        "0012_log_chain",
        include_str!("../../../../schemas/postgres/0012_log_chain.sql"),
    ),
    (
        "0013_jma_feed",
        include_str!("../../../../schemas/postgres/0013_jma_feed.sql"),
    ),
    (
        "0014_rollcall_contacts",
        include_str!("../../../../schemas/postgres/0014_rollcall_contacts.sql"),
    ),
    (
        "0015_rollcall_info",
        include_str!("../../../../schemas/postgres/0015_rollcall_info.sql"),
    ),
    (
        "0016_publication",
        include_str!("../../../../schemas/postgres/0016_publication.sql"),
    ),
    (
        "0017_staged_events_json",
        include_str!("../../../../schemas/postgres/0017_staged_events_json.sql"),
    ),
    (
        "0018_retention",
        include_str!("../../../../schemas/postgres/0018_retention.sql"),
    ),
];

/// Applies every pending migration in one transaction, serialised across processes
/// by an advisory lock. Returns the names applied.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<Vec<&'static str>> {
    let tx = client.transaction().await?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7263001);
         CREATE TABLE IF NOT EXISTS schema_migrations (
             name text PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await?;
    let mut applied = Vec::new();
    for (name, sql) in MIGRATIONS {
        let done = tx
            .query_opt("SELECT 1 FROM schema_migrations WHERE name = $1", &[name])
            .await?
            .is_some();
        if done {
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO schema_migrations (name) VALUES ($1)", &[name])
            .await?;
        applied.push(*name);
    }
    tx.commit().await?;
    Ok(applied)
}
