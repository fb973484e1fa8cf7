//! 監査 (U-01, A-06, L-02; issue 19 item 5): the event log, oldest first from a
//! position, filtered by kind, record, actor and time received (the filters of
//! `anpi events`, checked by `app::entries::EventQuery`, every problem beside its
//! field), a page at a time with a link to the next; and the read log — who read whose
//! data, when, with which query and how many results — for auditors and
//! administrators. Reading the log is itself in the read log. All from `app`; the
//! filters are query parameters (kinds, a record ID, an account ID, times), never a
//! name.

use anpi_core::account::{self, Operation};
use anpi_core::event::Event;
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::app::entries::EventQuery;
use crate::console::{Clerk, FormErrors, Frame, Shared, fail, frame_for, jst, render};
use crate::store::accounts::ReadEntry;

/// Events on a page unless `limit` says otherwise.
pub const PAGE: i32 = 100;

/// The Japanese name of an event kind, for the kinds clerks and auditors meet most.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "IncidentCreated" => "事案の登録",
        "EntryRecorded" => "安否情報の登録・更新",
        "EntryDeleted" => "安否情報の削除",
        "DepartureRecorded" => "退去の登録",
        "DuplicateRemoved" => "重複の統合",
        "DuplicateFlagged" => "重複の候補",
        "AccountCreated" => "ユーザーIDの発行",
        "AccountWithdrawn" => "ユーザーIDの返却",
        "PasswordSet" => "パスワードの設定",
        "AccountLocked" => "ロック",
        "AccountUnlocked" => "ロックの解除",
        "AccountRevocationOrdered" => "無効化の指示",
        "AccountRevoked" => "無効化",
        "NodeKeyCreated" => "署名鍵の作成",
        "ChildKeyRegistered" | "NationalKeyRegistered" => "鍵の登録",
        "ReportSent" => "報告の送信",
        "ReportReceived" => "報告の受信",
        "ReportAcknowledged" => "報告の受領確認",
        "IntakePaused" => "受付の停止",
        "IntakeResumed" => "受付の再開",
        "DatasetPublished" => "共有データの公開",
        "InquiryRegistered" => "照会の受付",
        "InquiryIdentified" => "照会の本人確認",
        "InquiryRefused" => "照会の拒否",
        "InquiryAnswered" => "照会への回答",
        "PublicationDecided" => "公表の判断",
        "PrivateAreaPurged" => "個別領域の消去",
        "RetentionSet" => "保存期間の設定",
        "IncidentPurged" => "保存期間終了による消去",
        "Purged" => "消去済み（保存期間終了）",
        kind if kind.starts_with("Rollcall") => "安否確認",
        _ => "",
    }
}

/// The filters and the page, as in the URL.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub record_id: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    /// Events after this position.
    #[serde(default)]
    pub after: i64,
    /// Events on the page (1..=1000; 0: [`PAGE`]).
    #[serde(default)]
    pub limit: i32,
}

impl AuditQuery {
    fn events(&self) -> EventQuery {
        EventQuery {
            kind: self.kind.clone(),
            record_id: self.record_id.clone(),
            actor: self.actor.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
        }
    }

    pub fn page_size(&self) -> i32 {
        match self.limit {
            n if n <= 0 => PAGE,
            n => n.min(1000),
        }
    }

    /// The URL of the page after `position`, with the same filters.
    pub fn next_url(&self, position: i64) -> String {
        let mut next = self.clone();
        next.after = position;
        format!(
            "/audit?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    }

    /// Whether any filter is set.
    pub fn filtered(&self) -> bool {
        [
            &self.kind,
            &self.record_id,
            &self.actor,
            &self.from,
            &self.until,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// One event as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub position: i64,
    pub received: String,
    pub kind: String,
    pub label: &'static str,
    pub actor: String,
    pub origin: String,
    pub incident: String,
    /// The record it is about (empty: none).
    pub record: String,
    /// The payload as indented JSON (the auditor's detail).
    pub detail: String,
}

impl EventRow {
    pub fn of(event: &Event, incidents: &[anpi_core::incident::Incident]) -> EventRow {
        let e = &event.event;
        EventRow {
            position: event.position,
            received: jst(e.received_at),
            kind: e.payload.kind().to_string(),
            label: kind_label(e.payload.kind()),
            actor: e.actor.to_string(),
            origin: e.origin.to_string(),
            incident: e
                .incident
                .map(|id| {
                    incidents
                        .iter()
                        .find(|i| i.id == id)
                        .map_or_else(|| id.to_string(), |i| i.name.clone())
                })
                .unwrap_or_default(),
            record: e
                .payload
                .record_id()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            detail: serde_json::to_string_pretty(&e.payload).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
pub struct AuditPage {
    pub frame: Frame,
    pub query: AuditQuery,
    pub rows: Vec<EventRow>,
    pub head: i64,
    /// The next page's URL when this page is full.
    pub next: Option<String>,
    pub may_open_records: bool,
    pub may_read_reads: bool,
    pub errors: FormErrors,
}

impl AuditPage {
    pub fn here(&self) -> &'static str {
        "events"
    }
}

fn parse_query<T: for<'de> Deserialize<'de> + Default>(raw: Option<&str>) -> T {
    serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default()
}

/// GET /audit?kind=&record_id=&actor=&from=&until=&after=&limit=.
pub async fn page(State(state): State<Shared>, RawQuery(raw): RawQuery, clerk: Clerk) -> Response {
    let query: AuditQuery = parse_query(raw.as_deref());
    let session = &clerk.session;
    let size = query.page_size();
    let (events, head, errors): (Vec<Event>, i64, Vec<FieldError>) = match state
        .node
        .read_events(session, query.after, size, &query.events())
        .await
    {
        Ok((events, head)) => (events, head, Vec::new()),
        Err(AppError::Invalid(errors)) => (Vec::new(), 0, errors),
        Err(error) => return fail(error),
    };
    let tier = state.node.config.tier;
    let incidents = state.node.list_incidents(session).await.unwrap_or_default();
    let rows: Vec<EventRow> = events.iter().map(|e| EventRow::of(e, &incidents)).collect();
    let next = (rows.len() == size as usize)
        .then(|| rows.last().map(|r| query.next_url(r.position)))
        .flatten();
    let refused = !errors.is_empty();
    let page = AuditPage {
        frame: Frame::new(&state, &clerk, "/audit", &incidents),
        rows,
        head,
        next,
        may_open_records: account::permits(session.role, Operation::GetRecord, tier),
        may_read_reads: account::permits(session.role, Operation::ReadAccessLog, tier),
        errors: super::rollcall::shown(&errors, ""),
        query,
    };
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// One read as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRow {
    pub at: String,
    pub account: String,
    pub role: String,
    pub operation: String,
    pub query: String,
    pub results: i32,
}

impl ReadRow {
    pub fn of(entry: &ReadEntry) -> ReadRow {
        ReadRow {
            at: jst(entry.at),
            account: entry.account.clone(),
            role: account::Role::parse(&entry.role)
                .map_or_else(|| entry.role.clone(), |r| r.long_label_ja().to_string()),
            operation: entry.operation.clone(),
            query: entry.query.clone(),
            results: entry.results,
        }
    }
}

#[derive(Template)]
#[template(path = "console/audit_reads.html")]
pub struct ReadsPage {
    pub frame: Frame,
    pub account: String,
    pub rows: Vec<ReadRow>,
    pub may_read_reads: bool,
}

impl ReadsPage {
    pub fn here(&self) -> &'static str {
        "reads"
    }
}

#[derive(Debug, Default, Deserialize)]
struct ReadsQuery {
    #[serde(default)]
    account: String,
}

/// GET /audit/reads?account=: the read log, newest first (500 at most).
pub async fn reads(State(state): State<Shared>, RawQuery(raw): RawQuery, clerk: Clerk) -> Response {
    let query: ReadsQuery = parse_query(raw.as_deref());
    let entries = match state
        .node
        .read_log(&clerk.session, &query.account, 500)
        .await
    {
        Ok(entries) => entries,
        Err(error) => return fail(error),
    };
    render(&ReadsPage {
        frame: frame_for(&state, &clerk, "/audit").await,
        account: query.account,
        rows: entries.iter().map(ReadRow::of).collect(),
        may_read_reads: true,
    })
}

/// A replay started from this console: what was asked, how far it has come, and how
/// it ended.
#[derive(Debug, Clone, Default)]
pub struct ReplayRun {
    pub until: String,
    pub started_by: String,
    pub position: i64,
    pub through: i64,
    pub done: Option<crate::app::replay::ReplayDone>,
    pub error: Option<String>,
}

impl ReplayRun {
    pub fn running(&self) -> bool {
        self.done.is_none() && self.error.is_none()
    }

    /// Percent of the events replayed.
    pub fn percent(&self) -> i64 {
        if self.through <= 0 {
            return if self.done.is_some() { 100 } else { 0 };
        }
        (self.position * 100 / self.through).clamp(0, 100)
    }
}

/// A replay as shown.
#[derive(Debug, Clone)]
pub struct RunView {
    pub schema: String,
    pub run: ReplayRun,
}

impl RunView {
    pub fn summary(&self) -> String {
        match (&self.run.done, &self.run.error) {
            (_, Some(error)) => format!("失敗しました：{error}"),
            (Some(done), _) => format!(
                "完了：イベント {}件を再生し、安否情報 {}件（{:.1}秒）",
                done.events, done.records, done.seconds
            ),
            _ => format!(
                "再生中：{} / {}（{}%）",
                self.run.position,
                self.run.through,
                self.run.percent()
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "console/audit_replay.html")]
pub struct ReplayPage {
    pub frame: Frame,
    pub runs: Vec<RunView>,
    pub running: bool,
    pub may_read_reads: bool,
    pub until: String,
    pub into: String,
    pub errors: FormErrors,
}

impl ReplayPage {
    pub fn here(&self) -> &'static str {
        "replay"
    }
}

async fn show_replay(
    state: &Shared,
    clerk: &Clerk,
    until: String,
    into: String,
    errors: &[FieldError],
) -> Response {
    if let Err(error) = state.node.may(&clerk.session, Operation::Replay) {
        return fail(error);
    }
    let runs: Vec<RunView> = state
        .replays
        .lock()
        .map(|runs| {
            runs.iter()
                .map(|(schema, run)| RunView {
                    schema: schema.clone(),
                    run: run.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let tier = state.node.config.tier;
    let page = ReplayPage {
        frame: frame_for(state, clerk, "/audit").await,
        running: runs.iter().any(|r| r.run.running()),
        runs,
        may_read_reads: account::permits(clerk.session.role, Operation::ReadAccessLog, tier),
        until,
        into,
        errors: super::rollcall::shown(errors, ""),
    };
    let mut response = render(&page);
    if !errors.is_empty() && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /audit/replay: the replays and the form (the page reloads while one runs).
pub async fn replay_page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show_replay(&state, &clerk, String::new(), String::new(), &[]).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ReplayForm {
    #[serde(default)]
    until: String,
    #[serde(default)]
    into: String,
}

/// POST /audit/replay: starts a replay (as of `until`, into `into`); its progress is
/// kept for the page.
pub async fn start_replay(
    State(state): State<Shared>,
    posted: crate::console::Posted<ReplayForm>,
) -> Response {
    let crate::console::Posted { clerk, form } = posted;
    let input = crate::app::replay::ReplayInput {
        into: form.into.clone(),
        until: form.until.clone(),
    };
    let mut receiver = match state.node.replay(&clerk.session, input).await {
        Ok(receiver) => receiver,
        Err(AppError::Invalid(errors)) => {
            return show_replay(&state, &clerk, form.until, form.into, &errors).await;
        }
        Err(error) => return fail(error),
    };
    let schema = match form.into.trim() {
        "" => "replay".to_string(),
        name => name.to_string(),
    };
    if let Ok(mut runs) = state.replays.lock() {
        runs.insert(
            schema.clone(),
            ReplayRun {
                until: form.until.trim().to_string(),
                started_by: clerk.session.account.to_string(),
                ..ReplayRun::default()
            },
        );
    }
    let shared = state.clone();
    let key = schema.clone();
    tokio::spawn(async move {
        while let Some(progress) = receiver.recv().await {
            let Ok(mut runs) = shared.replays.lock() else {
                return;
            };
            let Some(run) = runs.get_mut(&key) else {
                return;
            };
            match progress {
                Ok(progress) => {
                    run.position = progress.position;
                    run.through = progress.through;
                    if progress.done.is_some() {
                        run.done = progress.done;
                    }
                }
                Err(error) => run.error = Some(error.to_string()),
            }
        }
    });
    crate::console::redirect_with(
        &state,
        &clerk,
        "/audit/replay",
        format!("スキーマ「{schema}」への再生を始めました。"),
    )
}

#[derive(Debug, Default, Deserialize)]
struct ReplayedQuery {
    #[serde(default)]
    schema: String,
    #[serde(default)]
    record_id: String,
}

/// GET /audit/replay/record?schema=&record_id=: a record as it stood in a replay.
pub async fn replayed_record(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    clerk: Clerk,
) -> Response {
    let query: ReplayedQuery = parse_query(raw.as_deref());
    let Ok(id) = query.record_id.trim().parse::<anpi_core::ids::RecordId>() else {
        return fail(AppError::NotFound(format!(
            "安否情報のIDの形式が正しくありません（入力: {}）",
            query.record_id
        )));
    };
    let view = match state
        .node
        .replayed_record(&clerk.session, query.schema.trim(), id)
        .await
    {
        Ok(view) => view,
        Err(error) => return fail(error),
    };
    let until = state
        .replays
        .lock()
        .ok()
        .and_then(|runs| runs.get(query.schema.trim()).map(|r| r.until.clone()))
        .unwrap_or_default();
    let mut page = super::record::record_page(
        frame_for(&state, &clerk, "/audit").await,
        &view,
        clerk.session.role,
        state.node.config.tier,
        String::new(),
        String::new(),
        FormErrors::default(),
    );
    // A past state: nothing can be done to it.
    page.can_depart = false;
    page.can_delete = false;
    page.can_update = false;
    page.can_convert = false;
    page.as_of = format!(
        "再生スキーマ「{}」の内容です（{}時点の状態）。現在の状態ではありません。",
        query.schema.trim(),
        if until.is_empty() {
            "ログの末尾の".to_string()
        } else {
            format!("{until} の")
        }
    );
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::pages::rollcall::tests::frame;

    #[test]
    fn filters_page_on_and_every_kind_of_this_log_has_a_name() {
        let query = AuditQuery {
            kind: "EntryRecorded,EntryDeleted".into(),
            actor: "clerk1".into(),
            limit: 2,
            ..AuditQuery::default()
        };
        assert_eq!(query.page_size(), 2);
        assert_eq!(AuditQuery::default().page_size(), PAGE);
        let next = query.next_url(42);
        assert!(next.starts_with("/audit?"), "{next}");
        assert!(
            next.contains("after=42") && next.contains("actor=clerk1"),
            "{next}"
        );
        assert!(next.contains("kind=EntryRecorded%2CEntryDeleted"), "{next}");
        assert!(query.filtered() && !AuditQuery::default().filtered());
        for kind in [
            "EntryRecorded",
            "AccountCreated",
            "RollcallStarted",
            "InquiryAnswered",
        ] {
            assert!(!kind_label(kind).is_empty(), "{kind}");
        }
        let page = AuditPage {
            frame: frame(),
            query,
            rows: vec![EventRow {
                position: 7,
                received: "2026-12-01 09:00".into(),
                kind: "EntryRecorded".into(),
                label: kind_label("EntryRecorded"),
                actor: "131016/clerk1".into(),
                origin: "131016".into(),
                incident: "<b>台風</b>".into(),
                record: "6f1c3d1e-0000-4000-8000-000000000001".into(),
                detail: "{\"name\": \"<i>x</i>\"}".into(),
            }],
            head: 9,
            next: Some("/audit?after=7".into()),
            may_open_records: true,
            may_read_reads: true,
            errors: FormErrors::default(),
        };
        let html = page.render().unwrap();
        assert!(html.contains("id=\"event-table\""));
        assert!(html.contains("href=\"/records/6f1c3d1e-0000-4000-8000-000000000001\""));
        assert!(html.contains("id=\"next-page\""));
        assert!(
            !html.contains("<b>台風") && !html.contains("<i>x"),
            "escaped"
        );
        assert!(!html.contains("style="));
    }
}
