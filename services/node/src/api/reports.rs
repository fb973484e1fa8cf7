//! Report, intake pause and report history: proto conversions. R.

use anpi_core::report::Notice;
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::app::reports::{
    Delivery, History, IntakeView, Received, ReportMade, jurisdiction_name, mode_labels,
};
use crate::store::reader::SentRow;
use crate::store::writer::ScopeState;

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_default()
}

fn sent(row: &SentRow) -> v1::SentReport {
    let delivery = Delivery::of(row);
    v1::SentReport {
        report_id: row.report_id.to_string(),
        seq: row.seq,
        to: row.to.clone(),
        event_count: row.event_count,
        created_at: time(row.created_at),
        actor: row.actor.clone(),
        status: delivery.as_str().into(),
        status_label: delivery.label_ja().into(),
        parts: row.parts.unwrap_or_default(),
        published_at: opt_time(row.published_at),
        acknowledged_at: opt_time(row.acknowledged_at),
        appended: row.appended.unwrap_or_default(),
        duplicates: row.duplicates.unwrap_or_default(),
        mode_labels: labels(&row.modes),
    }
}

fn labels(modes: &[String]) -> Vec<String> {
    mode_labels(modes).into_iter().map(String::from).collect()
}

fn notice(notice: &Notice) -> v1::ReportNotice {
    match notice {
        Notice::DeathConversion {
            old_record,
            new_record,
            ..
        } => v1::ReportNotice {
            kind: "death_conversion".into(),
            message: notice.message_ja(),
            old_record_id: old_record.to_string(),
            new_record_id: new_record.to_string(),
        },
    }
}

fn received(received: &Received) -> v1::ReceivedReport {
    let row = &received.row;
    v1::ReceivedReport {
        report_id: row.report_id.to_string(),
        from: row.from.clone(),
        from_name: jurisdiction_name(&row.from),
        seq: row.seq,
        event_count: row.event_count,
        duplicates: row.duplicates,
        parts: row.parts,
        applied_at: time(row.applied_at),
        forwarded: received.forwarded,
        notices: row.notices.iter().map(notice).collect(),
        mode_labels: labels(&row.modes),
    }
}

fn scope_status(state: &ScopeState) -> v1::IntakeScopeStatus {
    v1::IntakeScopeStatus {
        paused: state.paused,
        changed_at: opt_time(state.changed_at),
        actor: state.actor.clone().unwrap_or_default(),
        label: if state.paused {
            "一時停止中"
        } else {
            "受付中"
        }
        .into(),
    }
}

pub fn intake_status(view: &IntakeView) -> v1::IntakeStatus {
    v1::IntakeStatus {
        own: Some(scope_status(&view.intake.own)),
        reports: Some(scope_status(&view.intake.reports)),
        waiting_messages: view.waiting_messages,
    }
}

pub fn report_response(made: ReportMade) -> v1::ReportResponse {
    let ReportMade { summary, message } = made;
    v1::ReportResponse {
        reported: summary.is_some(),
        report: summary.map(|summary| {
            sent(&SentRow {
                report_id: summary.report_id.as_uuid(),
                seq: summary.seq,
                to: summary.to.to_string(),
                event_count: summary.event_count,
                created_at: summary.created_at,
                actor: String::new(),
                parts: None,
                published_at: None,
                acknowledged_at: None,
                appended: None,
                duplicates: None,
                // Shown in the history (`anpi reports history`).
                modes: Vec::new(),
            })
        }),
        message,
    }
}

pub fn history(history: &History) -> v1::ReportHistoryResponse {
    v1::ReportHistoryResponse {
        parent: history
            .parent
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        sent: history.sent.iter().map(sent).collect(),
        received: history.received.iter().map(received).collect(),
        unreported_events: history.unreported_events,
        unforwarded_received_events: history.unforwarded_received_events,
    }
}
