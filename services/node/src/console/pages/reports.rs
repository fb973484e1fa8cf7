//! 報告履歴 (figure 4-12; R-04, 第4 5(2)ア): the reports this node sent and where each
//! stands; every subordinate, including those that never reported, with its reports;
//! the reports received, those not yet forwarded upward coloured and labelled 未転送;
//! the counts of unreported and unforwarded events. All from `app::reports`.

use anpi_core::account::{self, Operation};
use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::app::reports::{Delivery, Received, Subordinate, jurisdiction_name, mode_labels};
use crate::console::{Clerk, Frame, Shared, fail, jst, render};
use crate::store::reader::SentRow;

/// Rows of each list.
const LIMIT: i32 = 200;

/// A jurisdiction as shown: its name with the code, the code alone when this node
/// holds no name for it (a municipality), 国（消防庁） for the national tier.
pub fn body_label(code: &str) -> String {
    match jurisdiction_name(code) {
        name if name.is_empty() => code.to_string(),
        name if code == anpi_core::jurisdiction::JurisdictionCode::national().as_str() => name,
        name => format!("{name}（{code}）"),
    }
}

fn modes(modes: &[String]) -> String {
    mode_labels(modes).join("・")
}

/// A sent report as shown (also on the organise screen, after 報告).
#[derive(Debug, Clone)]
pub struct SentView {
    pub seq: i64,
    pub to: String,
    pub events: i64,
    pub created: String,
    /// `pending` / `delivered` / `acknowledged` (a class and `data-delivery`).
    pub delivery: &'static str,
    pub delivery_label: &'static str,
    pub modes: String,
    pub drill: bool,
    pub acknowledged: String,
    /// 追加 / 重複 as the parent applied them (empty until acknowledged).
    pub applied: String,
}

impl SentView {
    pub fn of(row: &SentRow) -> SentView {
        let delivery = Delivery::of(row);
        SentView {
            seq: row.seq,
            to: body_label(&row.to),
            events: row.event_count,
            created: jst(row.created_at),
            delivery: delivery.as_str(),
            delivery_label: delivery.label_ja(),
            modes: modes(&row.modes),
            drill: row.modes.iter().any(|m| m == "drill"),
            acknowledged: row.acknowledged_at.map(jst).unwrap_or_default(),
            applied: match (row.appended, row.duplicates) {
                (Some(appended), Some(duplicates)) => {
                    format!("追加 {appended} 件・重複 {duplicates} 件")
                }
                (Some(appended), None) => format!("追加 {appended} 件"),
                _ => String::new(),
            },
        }
    }
}

/// A received report as shown.
#[derive(Debug, Clone)]
pub struct ReceivedView {
    pub from: String,
    pub seq: i64,
    pub events: i64,
    pub duplicates: i64,
    pub applied: String,
    pub notices: Vec<String>,
    pub modes: String,
    pub forwarded: bool,
}

impl ReceivedView {
    pub fn of(received: &Received) -> ReceivedView {
        let row = &received.row;
        ReceivedView {
            from: body_label(&row.from),
            seq: row.seq,
            events: row.event_count,
            duplicates: row.duplicates,
            applied: jst(row.applied_at),
            notices: row.notices.iter().map(|n| n.message_ja()).collect(),
            modes: modes(&row.modes),
            forwarded: received.forwarded,
        }
    }

    pub fn class(&self) -> &'static str {
        if self.forwarded {
            "received forwarded"
        } else {
            "received not-forwarded"
        }
    }
}

/// A subordinate as shown (第4 5(2)ア: 管内の報告作業の進捗状況).
#[derive(Debug, Clone)]
pub struct SubordinateView {
    pub code: String,
    /// Empty when this node holds no name for it (a municipality).
    pub name: String,
    pub reports: i64,
    pub events: i64,
    pub last_seq: String,
    pub last_applied: String,
    pub key_registered: bool,
    pub unforwarded: bool,
}

impl SubordinateView {
    pub fn of(sub: &Subordinate) -> SubordinateView {
        SubordinateView {
            code: sub.code.clone(),
            name: sub.name.clone(),
            reports: sub.reports,
            events: sub.events,
            last_seq: sub.last_seq.map(|s| s.to_string()).unwrap_or_default(),
            last_applied: sub.last_applied_at.map(jst).unwrap_or_default(),
            key_registered: sub.key_registered,
            unforwarded: sub.unforwarded,
        }
    }

    /// `never-reported`, `not-forwarded` or `reported`.
    pub fn class(&self) -> &'static str {
        if self.reports == 0 {
            "subordinate never-reported"
        } else if self.unforwarded {
            "subordinate not-forwarded"
        } else {
            "subordinate reported"
        }
    }

    pub fn state_label(&self) -> &'static str {
        if self.reports == 0 {
            "報告なし"
        } else if self.unforwarded {
            "未転送あり"
        } else {
            "報告あり"
        }
    }
}

#[derive(Template)]
#[template(path = "console/reports.html")]
pub struct ReportsPage {
    pub frame: Frame,
    /// The parent's name (empty at the national tier).
    pub parent: String,
    pub sent: Vec<SentView>,
    pub received: Vec<ReceivedView>,
    /// Shown above the municipality tier (which receives no reports).
    pub receives: bool,
    pub subordinates: Vec<SubordinateView>,
    pub never_reported: usize,
    pub unreported_events: i64,
    pub unforwarded_events: i64,
    pub can_report: bool,
    pub limit: i32,
}

/// GET /reports.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    let node = &state.node;
    let session = &clerk.session;
    let incidents = match node.list_incidents(session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    let history = match node.report_history(session, LIMIT).await {
        Ok(history) => history,
        Err(error) => return fail(error),
    };
    let subordinates = match node.subordinates(session, &history).await {
        Ok(list) => list,
        Err(error) => return fail(error),
    };
    let tier = node.config.tier;
    let subordinates: Vec<SubordinateView> = subordinates.iter().map(SubordinateView::of).collect();
    render(&ReportsPage {
        frame: Frame::new(&state, &clerk, "/reports", &incidents),
        parent: history
            .parent
            .as_ref()
            .map(|p| body_label(p.as_str()))
            .unwrap_or_default(),
        sent: history.sent.iter().map(SentView::of).collect(),
        received: history.received.iter().map(ReceivedView::of).collect(),
        receives: tier != anpi_core::jurisdiction::Tier::Municipality,
        never_reported: subordinates.iter().filter(|s| s.reports == 0).count(),
        subordinates,
        unreported_events: history.unreported_events,
        unforwarded_events: history.unforwarded_received_events,
        can_report: account::permits(session.role, Operation::Report, tier),
        limit: LIMIT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::reader::ReceivedRow;
    use askama::Template;
    use chrono::Utc;

    fn sent(published: bool, acknowledged: bool) -> SentRow {
        SentRow {
            report_id: uuid::Uuid::nil(),
            seq: 3,
            to: "130001".into(),
            event_count: 5,
            created_at: Utc::now(),
            actor: "131016/clerk1".into(),
            parts: Some(1),
            published_at: published.then(Utc::now),
            acknowledged_at: acknowledged.then(Utc::now),
            appended: acknowledged.then_some(4),
            duplicates: acknowledged.then_some(1),
            modes: vec!["drill".into()],
        }
    }

    fn received(from: &str, forwarded: bool) -> Received {
        Received {
            row: ReceivedRow {
                report_id: uuid::Uuid::nil(),
                from: from.into(),
                seq: 2,
                event_count: 4,
                duplicates: 1,
                parts: 1,
                applied_at: Utc::now(),
                last_position: Some(10),
                notices: vec![anpi_core::report::Notice::DeathConversion {
                    old_record: anpi_core::ids::RecordId::from_uuid(uuid::Uuid::nil()),
                    new_record: anpi_core::ids::RecordId::from_uuid(uuid::Uuid::nil()),
                    name: "<script>alert(1)</script>".into(),
                    origin: anpi_core::jurisdiction::JurisdictionCode::parse("131016").unwrap(),
                }],
                modes: vec!["actual".into(), "drill".into()],
            },
            forwarded,
        }
    }

    #[test]
    fn a_sent_report_shows_its_delivery_state_and_mode() {
        let pending = SentView::of(&sent(false, false));
        assert_eq!(pending.delivery, "pending");
        assert_eq!(pending.to, "東京都（130001）");
        assert_eq!(pending.modes, "訓練");
        assert!(pending.drill);
        assert_eq!(SentView::of(&sent(true, false)).delivery, "delivered");
        let done = SentView::of(&sent(true, true));
        assert_eq!(done.delivery, "acknowledged");
        assert_eq!(done.delivery_label, "報告先で受理済み");
        assert_eq!(done.applied, "追加 4 件・重複 1 件");
    }

    #[test]
    fn a_received_report_not_forwarded_is_marked() {
        assert_eq!(
            ReceivedView::of(&received("131016", false)).class(),
            "received not-forwarded"
        );
        assert_eq!(
            ReceivedView::of(&received("131016", true)).class(),
            "received forwarded"
        );
        assert_eq!(ReceivedView::of(&received("131016", true)).from, "131016");
        assert_eq!(
            ReceivedView::of(&received("131016", true)).modes,
            "実事案・訓練"
        );
    }

    #[test]
    fn a_subordinate_that_never_reported_is_labelled() {
        let silent = Subordinate {
            code: "010006".into(),
            name: "北海道".into(),
            key_registered: false,
            reports: 0,
            events: 0,
            last_seq: None,
            last_applied_at: None,
            unforwarded: false,
        };
        let view = SubordinateView::of(&silent);
        assert_eq!(view.class(), "subordinate never-reported");
        assert_eq!(view.state_label(), "報告なし");
        let busy = Subordinate {
            reports: 2,
            unforwarded: true,
            ..silent
        };
        assert_eq!(SubordinateView::of(&busy).state_label(), "未転送あり");
    }

    #[test]
    fn the_page_marks_unforwarded_reports_and_escapes_notices() {
        let page = ReportsPage {
            frame: super::super::organise::tests::frame(),
            parent: "東京都（130001）".into(),
            sent: vec![SentView::of(&sent(true, false))],
            received: vec![
                ReceivedView::of(&received("131016", false)),
                ReceivedView::of(&received("131024", true)),
            ],
            receives: true,
            subordinates: vec![],
            never_reported: 0,
            unreported_events: 3,
            unforwarded_events: 4,
            can_report: true,
            limit: LIMIT,
        };
        let html = page.render().unwrap();
        assert!(html.contains("class=\"received not-forwarded\""));
        assert!(html.contains("未転送"));
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("style="));
        assert!(html.contains("data-delivery=\"delivered\""));
        assert!(html.contains("id=\"unreported-events\""));
    }
}
