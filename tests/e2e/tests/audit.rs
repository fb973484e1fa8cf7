//! 監査 (U-01, A-06) in a real browser: the administrator of a municipality node reads
//! the event log — filtered by kind and by actor, a malformed record ID and time
//! refused beside their fields, a page at a time with the link to the next — and then
//! the read log, which holds those reads of the log themselves. Checked with axe-core and
//! photographed into `docs/console/audit.png` and `docs/console/audit-reads.png`.
//! Then an auditor (監査担当, logged in with their own ID) filters the log by one record,
//! replays the log as of a time between its registration and its departure, sees the
//! record as it stood then (not departed, marked as a past state, no actions), and a
//! replay of the whole log matches the live read model. Photographed into
//! `docs/console/audit-replay.png`. R: U-01, A-06, L-02, L-04.

use std::time::{Duration, Instant};

use anpi_e2e::console_site::{ConsoleNode, Site};
use anpi_harness::NatsServer;
use anpi_proto::v1;

/// The positions and kinds of the listed events.
fn listed(site: &mut Site) -> Vec<(i64, String)> {
    site.browser
        .eval(
            "return Array.from(document.querySelectorAll('#event-table tbody tr')).map(function (tr) { \
               return [Number(tr.dataset.position), tr.dataset.kind]; });",
        )
        .as_array()
        .expect("a list")
        .iter()
        .map(|pair| {
            (
                pair[0].as_i64().unwrap_or_default(),
                pair[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_reads_the_event_log_and_the_read_log() {
    let nats = NatsServer::start();
    let node = ConsoleNode::start(&nats).await;
    let mut site = Site::open(&node);
    site.login_admin(&node);

    site.goto("/");
    site.browser.submit("nav a[href='/audit']");
    assert_eq!(site.browser.path(), "/audit");
    let all = listed(&mut site);
    assert!(all.len() >= 3, "{all:?}");
    assert!(
        all.windows(2).all(|w| w[0].0 < w[1].0),
        "oldest first: {all:?}"
    );
    assert!(all.iter().any(|(_, k)| k == "IncidentCreated"), "{all:?}");

    // By kind.
    site.browser.fill("#field-kind", "IncidentCreated");
    site.browser.submit("#filter-button");
    let incidents = listed(&mut site);
    assert!(!incidents.is_empty());
    assert!(
        incidents.iter().all(|(_, k)| k == "IncidentCreated"),
        "{incidents:?}"
    );
    assert_eq!(site.browser.value("#field-kind"), "IncidentCreated");

    // Mistakes, each beside its field.
    site.goto("/audit");
    site.browser.fill("#field-record_id", "山田");
    site.browser.fill("#field-from", "昨日");
    site.browser.submit("#filter-button");
    assert!(site.browser.exists("#err-record_id"), "{}", site.body());
    assert!(site.browser.exists("#err-from"), "{}", site.body());
    assert!(!site.browser.exists("#event-table"));

    // A page at a time: the next page starts after the last one shown.
    site.goto("/audit?limit=2");
    let first = listed(&mut site);
    assert_eq!(first.len(), 2);
    site.browser.submit("#next-page");
    let second = listed(&mut site);
    assert!(!second.is_empty());
    assert!(second[0].0 > first[1].0, "{first:?} then {second:?}");
    assert_eq!(second[0].0, all[2].0);

    // By actor: the node's administrator made the incident.
    site.goto("/audit");
    site.browser.fill("#field-actor", "admin");
    site.browser.submit("#filter-button");
    let by_admin = listed(&mut site);
    assert!(!by_admin.is_empty(), "{}", site.body());
    site.browser.fill("#field-actor", "nobody");
    site.browser.submit("#filter-button");
    assert!(site.browser.exists("#no-events"));
    site.goto("/audit");
    site.check("audit");

    // The read log holds the reads of the log.
    site.browser.submit("nav.subnav a[href='/audit/reads']");
    assert_eq!(site.browser.path(), "/audit/reads");
    assert!(
        site.browser
            .exists("#read-table tr[data-operation='read_events'][data-account='admin']"),
        "{}",
        site.body()
    );
    site.check("audit-reads");
}

/// Waits until the replay into `schema` is no longer running; its state line.
fn wait_for_replay(site: &mut Site, schema: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        site.goto("/audit/replay");
        let css = format!("#run-{schema}");
        if site.browser.exists(&css)
            && site
                .browser
                .eval(&format!(
                    "return document.querySelector('{css}').dataset.running;"
                ))
                .as_str()
                == Some("false")
        {
            return site.browser.text(&format!("{css} .run-state"));
        }
        assert!(Instant::now() < deadline, "{}", site.body());
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_replays_the_log_and_sees_a_record_as_it_stood() {
    let nats = NatsServer::start();
    let mut node = ConsoleNode::start(&nats).await;
    let record = node
        .node
        .client
        .record(&node.incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .expect("an entry")
        .record_id;
    std::thread::sleep(Duration::from_millis(1100));
    let between = chrono::Utc::now()
        .with_timezone(&anpi_core::entry::jst_offset())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    std::thread::sleep(Duration::from_millis(1100));
    node.node.client.depart(&record, "2026-12-06").await;

    // The auditor's own ID.
    let request = node.node.client.req(v1::CreateAccountRequest {
        account_id: "audit1".into(),
        holder: "監査 一郎".into(),
        affiliation: "監査委員事務局".into(),
        contact: "内線 900".into(),
        role: "auditor".into(),
        terminal: String::new(),
    });
    let issued = node
        .node
        .client
        .node
        .create_account(request)
        .await
        .expect("issuing the auditor")
        .into_inner();
    let mut site = Site::open(&node);
    site.goto("/login");
    site.browser.fill("#account", "audit1");
    site.browser.fill("#password", &issued.initial_password);
    site.browser.submit("button[type=submit]");
    let new = "Audit-Check-2026-pass!";
    site.browser
        .fill("#field-current_password", &issued.initial_password);
    site.browser.fill("#field-new_password", new);
    site.browser.fill("#field-confirm", new);
    site.browser
        .submit("form[action='/password'] button[type=submit]");

    // The record's history in the log.
    site.goto(&format!("/audit?record_id={record}"));
    let kinds: Vec<String> = listed(&mut site).into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds,
        ["EntryRecorded", "DepartureRecorded"],
        "{}",
        site.body()
    );
    assert!(
        !site.browser.exists(&format!("a[href='/records/{record}']")),
        "an auditor does not open live records"
    );

    // As of the time between: registered, not yet departed.
    site.browser.submit("nav.subnav a[href='/audit/replay']");
    site.browser.fill("#field-until", "昨日の朝");
    site.browser.submit("#replay-button");
    assert!(site.browser.exists("#err-until"), "{}", site.body());
    site.browser.fill("#field-until", &between);
    site.browser.fill("#field-into", "asof_check");
    site.browser.submit("#replay-button");
    let state = wait_for_replay(&mut site, "asof_check");
    assert!(state.contains("完了"), "{state}");
    site.browser.fill("#record-asof_check", &record);
    site.browser.submit("#show-asof_check");
    assert!(site.browser.exists("#as-of"), "{}", site.body());
    assert!(site.browser.text("#as-of").contains("asof_check"));
    let badge = site.browser.text(".state-badge");
    assert!(
        !badge.contains("退去"),
        "as it stood before the departure: {badge}"
    );
    assert!(site.body().contains("消防"), "the record's fields");
    for action in ["#depart-heading", "#delete-heading"] {
        assert!(!site.browser.exists(action), "no {action} on a past state");
    }

    // The whole log replayed matches the live read model.
    site.goto("/audit/replay");
    site.browser.submit("#replay-button");
    let state = wait_for_replay(&mut site, "replay");
    assert!(state.contains("完了"), "{state}");
    assert!(site.browser.exists("#compare-replay"));
    assert!(site.browser.text("#compare-replay").contains("一致"));
    site.check("audit-replay");
    site.browser.fill("#record-replay", &record);
    site.browser.submit("#show-replay");
    assert!(
        site.browser.text(".state-badge").contains("退去"),
        "{}",
        site.body()
    );
}
