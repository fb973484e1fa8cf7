//! The public "is information held?" page, driven by a real headless browser (Debian's
//! chromium through chromedriver) against a national node serving it: held / not held
//! by tolerant exact name over the published dataset, never partial, never a detail,
//! persons who refused every answer and deleted records counted as not held, and a
//! client that searches too often refused. R.

use anpi_e2e::{Member, evacuee};
use anpi_harness::browser::Browser;
use anpi_harness::{NatsServer, TestDb, free_port};

const NATIONAL: &str = "000001";
/// Searches a client may make per minute in this test.
const RATE: usize = 12;

/// Submits the form and returns the answer section's text.
fn search(browser: &mut Browser, name: &str, birth: &str) -> String {
    browser.fill("#name", name);
    browser.fill("#birth", birth);
    browser.submit("#search");
    browser.text("#answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_page_answers_only_held_or_not_held_and_limits_each_client() {
    let nats = NatsServer::start();
    let port = free_port();
    let db = TestDb::create().await;
    let mut national = Member::start_with(
        NATIONAL,
        db,
        &nats,
        &format!("public_listen = \"127.0.0.1:{port}\"\npublic_rate_per_minute = {RATE}\n"),
    )
    .await;
    // T-04, T-06: the public page answers only from actual incidents.
    let incident = national
        .client
        .new_incident("首都直下地震", "actual")
        .await
        .expect("an actual incident at the national node")
        .id;
    let page = format!("http://127.0.0.1:{port}/");
    let mut browser = Browser::start();
    let mut searches = 0;

    // Before anything is published: no answer either way.
    browser.goto(&page);
    assert!(browser.exists("meta[name=viewport]"));
    let (page_width, window_width) = browser.widths();
    assert!(
        page_width <= window_width,
        "no horizontal scrolling on a phone"
    );
    let answer = search(&mut browser, "消防太郎", "");
    searches += 1;
    assert!(answer.contains("まだ公開されていません"), "{answer}");

    // 消防 太郎; someone who refused every answer; someone whose record was deleted.
    national
        .client
        .record(&incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .unwrap();
    let mut refused = evacuee(2);
    refused.consent.family = Some(false);
    refused.consent.acquaintance = Some(false);
    refused.consent.others = "同意しない".into();
    national
        .client
        .record(&incident, &refused, None)
        .await
        .unwrap();
    let deleted = national
        .client
        .record(&incident, &evacuee(3), None)
        .await
        .unwrap();
    national.client.delete(&deleted.record_id, "誤登録").await;
    // Published after the records: only the published dataset is searched.
    let late = evacuee(4);
    assert!(national.client.publish().await.unwrap().published);
    national.wait_shared_version(1).await;
    national
        .client
        .record(&incident, &late, None)
        .await
        .unwrap();

    let held = "保有しています";
    let not_held = "保有していません";
    for (name, birth, expected) in [
        ("消防太郎", "", held),
        ("消防　太郎", "昭和56年11月25日", held),
        ("ｼｮｳﾎﾞｳ", "", not_held),
        ("消防 太郎", "1981-11-26", not_held),
        ("太郎", "", not_held),
        ("消防", "", not_held),
        ("試験　2郎", "", not_held),
        ("試験 3郎", "", not_held),
        ("試験4郎", "", not_held),
    ] {
        let answer = search(&mut browser, name, birth);
        searches += 1;
        assert!(answer.contains(expected), "{name} {birth}: {answer}");
        if expected == not_held {
            assert!(!answer.contains(held), "{name}: {answer}");
        }
        // No detail, ever: nothing of the record beyond what was typed.
        let source = browser.source();
        for detail in ["千代田", "霞が関", "避難", "ショウボウ", "シケン"] {
            assert!(!source.contains(detail), "{name}: the page shows {detail}");
        }
    }
    let source = browser.source();
    assert!(source.contains("一切の照会への回答を希望していない場合"));

    // What is typed comes back escaped, never as markup.
    let answer = search(&mut browser, "<b id=\"x\">消防</b>", "");
    searches += 1;
    assert!(answer.contains(not_held));
    assert!(!browser.exists("b#x"));
    let invalid = search(&mut browser, "消防太郎", "昭和99年1月1日");
    searches += 1;
    assert!(invalid.contains("生年月日"), "{invalid}");

    // The client's allowance (RATE at once, then RATE a minute) runs out: refused
    // with a clear message, and not before.
    let stop = "しばらく受け付けを停止";
    let refused = loop {
        let answer = search(&mut browser, "消防太郎", "");
        if answer.contains(stop) {
            break answer;
        }
        searches += 1;
        assert!(
            searches <= 2 * RATE,
            "never refused after {searches} searches"
        );
    };
    assert!(searches >= RATE, "refused after only {searches} searches");
    assert!(!refused.contains(held));
}
