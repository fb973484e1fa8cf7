//! The metrics listener (`metrics_listen`, issue 22): `GET /metrics` answers the
//! in-memory series of [`crate::metrics::METRICS`] and gauges read at the scrape from the node's
//! database and from JetStream. Plain HTTP: it carries counts and jurisdiction codes,
//! never personal data; bind it to a management address.

use std::sync::Arc;
use std::time::Duration;

use anpi_core::jurisdiction::Tier;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use deadpool_postgres::Pool;

use crate::bus::Bus;
use crate::metrics::{Exposition, METRICS};

/// What a scrape reads besides the in-memory series.
pub struct Sources {
    pub pool: Pool,
    pub reads: crate::store::standby::ReadPool,
    pub bus: Arc<Bus>,
}

pub fn router(sources: Arc<Sources>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(sources)
}

async fn scrape(State(sources): State<Arc<Sources>>) -> Response {
    let mut out = Exposition::default();
    METRICS.render(&mut out);
    let database =
        tokio::time::timeout(Duration::from_secs(5), database_gauges(&sources, &mut out)).await;
    let database_up = matches!(database, Ok(Ok(_)));
    let children = match database {
        Ok(Ok(children)) => children,
        Ok(Err(error)) => {
            tracing::warn!(
                error = format!("{error:#}"),
                "metrics: reading the database failed"
            );
            Vec::new()
        }
        Err(_) => {
            tracing::warn!("metrics: the database did not answer within 5 s");
            Vec::new()
        }
    };
    out.gauge(
        "anpi_database_up",
        "1 when this scrape could read the node's database.",
        &[(&[], f64::from(u8::from(database_up)))],
    );
    nats_gauges(&sources.bus, children, &mut out).await;
    if sources.reads.has_standby() {
        let lag = sources.reads.lag_seconds().await;
        out.gauge(
            "anpi_standby_up",
            "1 while the standby answers (read-only work goes there), 0 while it falls back to the primary.",
            &[(&[], f64::from(u8::from(lag.is_some())))],
        );
        if let Some(lag) = lag {
            out.gauge(
                "anpi_standby_lag_seconds",
                "How far the standby's replay is behind (0: it has replayed all it received).",
                &[(&[], lag)],
            );
        }
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out.into_text(),
    )
        .into_response()
}

/// Writes the database's gauges; returns the children that have reported.
async fn database_gauges(sources: &Sources, out: &mut Exposition) -> anyhow::Result<Vec<String>> {
    let client = sources.pool.get().await?;
    let row = client
        .query_one(
            "SELECT (SELECT coalesce(max(position), 0) FROM events),
                    (SELECT count(*) FROM reports_sent WHERE published_at IS NULL),
                    (SELECT count(*) FROM reports_sent
                      WHERE published_at IS NOT NULL AND acknowledged_at IS NULL),
                    (SELECT coalesce(sum(event_count), 0)::bigint FROM reports_sent
                      WHERE acknowledged_at IS NULL),
                    (SELECT count(*) FROM report_parts),
                    (SELECT coalesce(max(version), 0) FROM shared_versions),
                    (SELECT coalesce(max(version), 0) FROM shared.versions),
                    (SELECT count(*) FROM mail_outbox WHERE state IN ('pending', 'sending')),
                    (SELECT count(*) FROM mail_outbox WHERE state = 'failed')",
            &[],
        )
        .await?;
    let value = |i: usize| row.get::<_, i64>(i) as f64;
    out.gauge(
        "anpi_log_position",
        "The position of the last event in this node's log.",
        &[(&[], value(0))],
    );
    out.gauge(
        "anpi_outbox_reports",
        "Reports to the parent not yet stored by JetStream (unpublished) or not yet applied by the parent (unacknowledged).",
        &[
            (&[("state", "unpublished".to_string())], value(1)),
            (&[("state", "unacknowledged".to_string())], value(2)),
        ],
    );
    out.gauge(
        "anpi_outbox_events",
        "Events in reports the parent has not acknowledged yet.",
        &[(&[], value(3))],
    );
    out.gauge(
        "anpi_report_parts_staged",
        "Report parts received and staged, waiting for the rest of their report.",
        &[(&[], value(4))],
    );
    let published = value(5);
    let held = value(6);
    out.gauge(
        "anpi_publish_version",
        "The shared dataset's version: published here (national) and held in this node's replica.",
        &[
            (&[("role", "published".to_string())], published),
            (&[("role", "held".to_string())], held),
        ],
    );
    out.gauge(
        "anpi_mail_outbox",
        "Roll-call mails waiting to be sent, and failed.",
        &[
            (&[("state", "waiting".to_string())], value(7)),
            (&[("state", "failed".to_string())], value(8)),
        ],
    );
    let children = client
        .query(
            "SELECT from_jurisdiction, count(*), coalesce(sum(event_count), 0)::bigint,
                    extract(epoch FROM now() - max(applied_at))::float8
               FROM reports_received GROUP BY from_jurisdiction ORDER BY from_jurisdiction",
            &[],
        )
        .await?;
    let labels: Vec<[(&str, String); 1]> = children
        .iter()
        .map(|row| [("child", row.get::<_, String>(0))])
        .collect();
    let series = |column: usize| -> Vec<(&[(&str, String)], f64)> {
        labels
            .iter()
            .zip(&children)
            .map(|(labels, row)| {
                let value = if column == 3 {
                    row.get::<_, f64>(3)
                } else {
                    row.get::<_, i64>(column) as f64
                };
                (labels.as_slice(), value)
            })
            .collect()
    };
    out.counter(
        "anpi_reports_applied_total",
        "Reports from each child applied to this node's log.",
        &series(1),
    );
    out.counter(
        "anpi_report_events_applied_total",
        "Events in the reports applied from each child.",
        &series(2),
    );
    out.gauge(
        "anpi_child_last_report_age_seconds",
        "Seconds since the last report from each child was applied.",
        &series(3),
    );
    Ok(children.iter().map(|row| row.get::<_, String>(0)).collect())
}

/// NATS's gauges; `children` (those that have reported) show 0 when nothing waits.
async fn nats_gauges(bus: &Bus, children: Vec<String>, out: &mut Exposition) {
    let connected = matches!(
        bus.client.connection_state(),
        async_nats::connection::State::Connected
    );
    out.gauge(
        "anpi_nats_connected",
        "1 while the node is connected to nats-server.",
        &[(&[], f64::from(u8::from(connected)))],
    );
    if !connected || bus.code.tier() == Tier::Municipality {
        return;
    }
    // The report stream keeps a message until the receiving node has staged it
    // (work-queue retention): its count per child subject is what waits per child.
    let pending = tokio::time::timeout(Duration::from_secs(3), pending_per_child(bus)).await;
    match pending {
        Ok(Ok(waiting)) => {
            let mut pending: std::collections::BTreeMap<String, u64> =
                children.into_iter().map(|child| (child, 0)).collect();
            pending.extend(waiting);
            let labels: Vec<[(&str, String); 1]> = pending
                .keys()
                .map(|child| [("child", child.clone())])
                .collect();
            let samples: Vec<(&[(&str, String)], f64)> = labels
                .iter()
                .zip(&pending)
                .map(|(labels, (_, count))| (labels.as_slice(), *count as f64))
                .collect();
            out.gauge(
                "anpi_consumer_pending",
                "Report messages from each child waiting in JetStream for this node.",
                &samples,
            );
        }
        Ok(Err(error)) => {
            tracing::warn!(
                error = format!("{error:#}"),
                "metrics: asking JetStream failed"
            )
        }
        Err(_) => tracing::warn!("metrics: JetStream did not answer within 3 s"),
    }
}

async fn pending_per_child(bus: &Bus) -> anyhow::Result<Vec<(String, u64)>> {
    // Municipalities have no children (checked by the caller).
    use futures::TryStreamExt;
    let stream = bus.js.get_stream(crate::bus::STREAM).await?;
    let prefix = format!("anpi.report.{}.", bus.code);
    let mut subjects = stream.info_with_subjects(format!("{prefix}*")).await?;
    let mut pending = Vec::new();
    while let Some((subject, count)) = subjects.try_next().await? {
        if let Some(child) = subject.strip_prefix(&prefix) {
            pending.push((child.to_string(), count as u64));
        }
    }
    Ok(pending)
}
