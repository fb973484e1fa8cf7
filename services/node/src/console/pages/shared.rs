//! 共用領域 (P-02, S-03; issue 19 item 3): at every node, the version of the shared
//! dataset its replica holds and since when; at the national node also how many
//! records changed since the latest version, the 公開する button (`Operation::Publish`)
//! and every published version with how far its sending has got. All from
//! `app::shared`.

use anpi_core::account::{self, Operation};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::app::shared::SharedStatus;
use crate::console::{Clerk, Frame, Posted, Shared, fail, frame_for, jst, redirect_with, render};
use crate::store::shared::Published;

/// The replica's version as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldView {
    pub version: i64,
    pub published_at: String,
    pub received_at: String,
    pub records: i64,
}

/// A published version as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version: i64,
    pub published: String,
    pub records: i64,
    pub changed: i64,
    /// 配信済み（time）, or how far the sending has got.
    pub sending: String,
    pub done: bool,
}

impl VersionRow {
    pub fn of(p: &Published) -> VersionRow {
        let changed = p.version.changed_count;
        let (sending, done) = match p.sent_at {
            Some(at) => (format!("配信済み（{}）", jst(at)), true),
            None => (
                format!("配信中（{} / {}件）", p.sent_records, changed),
                false,
            ),
        };
        VersionRow {
            version: p.version.version,
            published: format!("{}（{}）", jst(p.published_at), p.actor),
            records: p.version.record_count,
            changed,
            sending,
            done,
        }
    }
}

/// One node's receiving of the published parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverRow {
    pub code: String,
    pub state: String,
    pub done: bool,
    pub last: String,
}

impl ReceiverRow {
    pub fn of(r: &crate::bus::shared::Receiver) -> ReceiverRow {
        let done = r.waiting == 0 && r.acknowledged_through >= r.last_sequence;
        ReceiverRow {
            code: r.code.clone(),
            state: if done {
                "受信済み".to_string()
            } else if r.waiting > 0 {
                format!("受信待ち（残り {}部）", r.waiting)
            } else {
                "受信待ち".to_string()
            },
            done,
            last: r.last_active.map(jst).unwrap_or_else(|| "—".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "console/shared.html")]
pub struct SharedPage {
    pub frame: Frame,
    pub held: Option<HeldView>,
    pub staged_parts: i64,
    pub national: bool,
    pub may_publish: bool,
    pub changed_since: i64,
    pub versions: Vec<VersionRow>,
    /// Each node's receiving (national); `None`: JetStream could not be asked.
    pub receivers: Option<Vec<ReceiverRow>>,
}

/// The page of a status.
pub fn build(frame: Frame, status: &SharedStatus, national: bool, may_publish: bool) -> SharedPage {
    SharedPage {
        frame,
        held: status.replica.as_ref().map(|r| HeldView {
            version: r.version.version,
            published_at: jst(r.published_at),
            received_at: jst(r.received_at),
            records: status.replica_records,
        }),
        staged_parts: status.staged_parts,
        national,
        may_publish,
        changed_since: status.changed_since.unwrap_or_default(),
        versions: status.published.iter().map(VersionRow::of).collect(),
        receivers: status
            .receivers
            .as_ref()
            .map(|all| all.iter().map(ReceiverRow::of).collect()),
    }
}

/// GET /shared.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    let status = match state.node.shared_status(&clerk.session).await {
        Ok(status) => status,
        Err(error) => return fail(error),
    };
    let tier = state.node.config.tier;
    let national = tier == anpi_core::jurisdiction::Tier::National;
    let may_publish = account::permits(clerk.session.role, Operation::Publish, tier);
    render(&build(
        frame_for(&state, &clerk, "/shared").await,
        &status,
        national,
        may_publish,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// POST /shared/publish (national): publishes the next version.
pub async fn publish(State(state): State<Shared>, posted: Posted<Empty>) -> Response {
    match state.node.publish(&posted.clerk.session).await {
        Ok(publication) => redirect_with(&state, &posted.clerk, "/shared", publication.message),
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use anpi_core::shared::Version;
    use chrono::TimeZone;

    use super::*;
    use crate::console::pages::rollcall::tests::frame;

    #[test]
    fn versions_show_their_sending_and_only_the_national_node_offers_publishing() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let version = |n: i64, sent: bool| Published {
            version: Version {
                version: n,
                through_position: 10 * n,
                record_count: 100,
                changed_count: 40,
            },
            previous_through: 0,
            published_at: at,
            actor: "000001/admin".into(),
            parts: Some(2),
            sent_at: sent.then_some(at),
            sent_records: 25,
        };
        let status = SharedStatus {
            replica: None,
            replica_records: 0,
            staged_parts: 0,
            published: vec![version(2, false), version(1, true)],
            changed_since: Some(3),
            receivers: Some(vec![
                crate::bus::shared::Receiver {
                    code: "131016".into(),
                    waiting: 0,
                    acknowledged_through: 4,
                    last_sequence: 4,
                    last_active: Some(at),
                },
                crate::bus::shared::Receiver {
                    code: "131041".into(),
                    waiting: 2,
                    acknowledged_through: 2,
                    last_sequence: 4,
                    last_active: None,
                },
            ]),
        };
        let page = build(frame(), &status, true, true);
        let receivers = page.receivers.clone().unwrap();
        assert_eq!(receivers[0].state, "受信済み");
        assert_eq!(receivers[0].last, "2026-12-01 09:00");
        assert_eq!(receivers[1].state, "受信待ち（残り 2部）");
        assert!(!receivers[1].done);
        assert!(page.render().unwrap().contains("data-node=\"131041\""));
        assert_eq!(page.versions[0].sending, "配信中（25 / 40件）");
        assert_eq!(page.versions[1].sending, "配信済み（2026-12-01 09:00）");
        let html = page.render().unwrap();
        assert!(html.contains("id=\"publish-form\""));
        assert!(html.contains("id=\"changed-since\""));
        assert!(html.contains("id=\"no-replica\""));
        let page = build(frame(), &status, false, false);
        let html = page.render().unwrap();
        assert!(!html.contains("id=\"publish-form\""));
        assert!(!html.contains("id=\"version-table\""));
        assert!(!html.contains("style="));
    }
}
