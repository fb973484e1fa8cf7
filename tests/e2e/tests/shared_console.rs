//! 共用領域 in the console (P-02, S-03; issue 19 item 3): a record entered at 千代田区 is
//! reported through 東京都 to the national node, whose administrator sees how many
//! records changed since the last version, publishes from the console and follows the
//! version until it is sent and every node has received it (each node's JetStream
//! consumer); 千代田区's console then shows the version its replica
//! holds and since when. Checked with axe-core and photographed into
//! `docs/console/shared.png`. R: P-02, S-03.

use std::time::{Duration, Instant};

use anpi_e2e::console_site::{ConsoleNode, Site};
use anpi_harness::NatsServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_national_administrator_publishes_from_the_console_and_a_municipality_sees_the_version()
{
    let nats = NatsServer::start();
    let [mut national, mut tokyo, mut chiyoda] =
        ConsoleNode::start_all(&nats, ["000001", "130001", "131016"]).await;
    chiyoda
        .node
        .client
        .record(
            &chiyoda.incident,
            &anpi_core::entry::fixtures::evacuee(),
            None,
        )
        .await
        .expect("an entry at 千代田区");
    chiyoda.node.client.report().await;
    tokyo.node.wait_records(1).await;
    assert!(tokyo.node.client.report().await.reported);
    national.node.wait_records(1).await;

    // The municipality holds nothing yet.
    let mut local = Site::open(&chiyoda);
    local.login_admin(&chiyoda);
    local.goto("/shared");
    assert!(local.browser.exists("#no-replica"), "{}", local.body());
    assert!(
        !local.browser.exists("#publish-form"),
        "the national node only"
    );

    // The national administrator publishes.
    let mut site = Site::open(&national);
    site.login_admin(&national);
    site.goto("/");
    site.browser.submit("nav a[href='/shared']");
    assert_eq!(site.browser.path(), "/shared");
    assert!(site.browser.exists("#no-versions"));
    assert_eq!(site.browser.text("#changed-since"), "1");
    site.browser.submit("#publish-button");
    assert!(
        site.notice().contains("第1版を公開しました"),
        "{}",
        site.body()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        site.goto("/shared");
        let row = site.browser.text("#version-table tr[data-version='1']");
        if row.contains("配信済み") {
            break;
        }
        assert!(Instant::now() < deadline, "{row}");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(site.browser.text("#changed-since"), "0", "nothing since");
    // Each node's receiving, from its JetStream consumer: 千代田区 has staged the parts.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        site.goto("/shared");
        let row = site.browser.text("#receiver-table tr[data-node='131016']");
        if row.contains("受信済み") {
            break;
        }
        assert!(Instant::now() < deadline, "{}", site.body());
        std::thread::sleep(Duration::from_millis(300));
    }
    for node in ["000001", "130001"] {
        assert!(
            site.browser
                .exists(&format!("#receiver-table tr[data-node='{node}']")),
            "{node}: {}",
            site.body()
        );
    }
    site.check("shared");

    // Publishing again with nothing changed says so.
    site.browser.submit("#publish-button");
    assert!(!site.notice().is_empty(), "{}", site.body());
    assert!(!site.browser.exists("#version-table tr[data-version='2']"));

    // 千代田区 now holds the first version.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        local.goto("/shared");
        if local.browser.exists("#held-version") {
            break;
        }
        assert!(Instant::now() < deadline, "{}", local.body());
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(local.browser.text("#held-version").contains("第1版"));
}
