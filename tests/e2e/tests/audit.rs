//! 監査 (U-01, A-06) in a real browser: the administrator of a municipality node reads
//! the event log — filtered by kind and by actor, a malformed record ID and time
//! refused beside their fields, a page at a time with the link to the next — and then
//! the read log, which holds those reads of the log themselves. Checked with axe-core and
//! photographed into `docs/console/audit.png` and `docs/console/audit-reads.png`.
//! R: U-01, A-06, L-02.

use anpi_e2e::console_site::{ConsoleNode, Site};
use anpi_harness::NatsServer;

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
