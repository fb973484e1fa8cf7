//! 公表 across bodies in the console (X-02, X-04, Q-05; guideline 第5 4(4) and
//! 第5 4(3)イ(ウ); issue 19 item 2). 消防 太郎, whose consent could not be asked
//! (意思確認不可), is collected at 千代田区, reported through 東京都 to the national node and
//! published in the shared dataset, which 新宿区 receives.
//!
//! - At 千代田区 the administrator records the body's decision to publish on the
//!   record's page (an empty form first: every problem at its field), and the
//!   publication list shows name, age and municipality only, as a page and a CSV.
//! - At 新宿区 an officer answers his family's inquiry (identified in the shared
//!   dataset), prints the Form 5 copy (the PDF of the print has no menu and no officer's
//!   notes) and is refused a second answer.
//! - At 新宿区 an officer answers an "others" inquiry about him before anything is
//!   confirmed: 該当・非該当 only, with the note to ask the collecting body. On a second
//!   inquiry the officer records 千代田区's decision, confirmed by phone (whom is
//!   required), and the answer then gives his name and municipality.
//!
//! Checked with axe-core and photographed into `docs/console/publication-record.png`,
//! `publication.png` and `inquiry-publication.png`. R.

use anpi_e2e::console_site::{ConsoleNode, Site, fill_form4, pdftotext};
use anpi_harness::NatsServer;

/// Registers an inquiry about 消防 太郎 as Form 4 — from "others" (`reason` `other`)
/// or his family (`family`) — and identifies him.
fn inquiry(site: &mut Site, reason: &str) -> String {
    site.goto("/inquiries/new");
    fill_form4(site, "報道 一郎", reason);
    site.browser.submit("#register-button");
    assert!(
        site.browser.path().starts_with("/inquiries/"),
        "{}",
        site.body()
    );
    let path = site.browser.path();
    site.browser.submit("#identify-button");
    assert!(site.notice().contains("特定済み"), "{}", site.body());
    path
}

fn answer_by_phone(site: &mut Site) -> (String, String) {
    site.browser.click("#channel-phone");
    site.browser.submit("#answer-button");
    assert!(site.notice().contains("回答しました"), "{}", site.body());
    (
        site.browser.text("#form5-text"),
        site.browser.text("#officer-notes"),
    )
}

fn choose_incident(site: &mut Site, node: &ConsoleNode) {
    site.goto("/");
    site.browser
        .click(&format!("input[name=incident][value='{}']", node.incident));
    site.browser
        .submit("form[action='/incident'] button[type=submit]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publication_decided_at_the_collecting_body_reaches_another_bodys_answer() {
    let nats = NatsServer::start();
    let [mut national, mut tokyo, mut chiyoda, mut shinjuku] =
        ConsoleNode::start_all(&nats, ["000001", "130001", "131016", "131041"]).await;
    let mut draft = anpi_core::entry::fixtures::evacuee();
    draft.consent.not_confirmable = true;
    let record = chiyoda
        .node
        .client
        .record(&chiyoda.incident, &draft, None)
        .await
        .expect("消防 太郎 at 千代田区")
        .record_id;
    chiyoda.node.client.report().await;
    tokyo.node.wait_records(1).await;
    assert!(tokyo.node.client.report().await.reported);
    national.node.wait_records(1).await;
    national.node.client.publish().await.expect("version 1");
    shinjuku.node.wait_shared_version(1).await;

    // 新宿区: his family asks. Identified in the shared dataset, answered in writing,
    // printed without the menu or the officer's notes; a second answer is refused.
    let mut officer = Site::open(&shinjuku);
    officer.login_admin(&shinjuku);
    choose_incident(&mut officer, &shinjuku);
    let family = inquiry(&mut officer, "family");
    officer.browser.click("#channel-written");
    officer.browser.submit("#answer-button");
    assert!(
        officer.notice().contains("回答しました"),
        "{}",
        officer.body()
    );
    let form5 = officer.browser.text("#form5-text");
    assert!(
        form5.contains("霞が関"),
        "his family gets everything:\n{form5}"
    );
    let printed = pdftotext(&officer.browser.print_pdf());
    assert!(printed.contains("太郎"), "{printed}");
    for hidden in ["ログアウト", "照会・回答", "担当者への注意", "公表の判断"]
    {
        assert!(!printed.contains(hidden), "{hidden} is printed:\n{printed}");
    }
    let again = officer.browser.eval(&format!(
        "var f = new FormData(); f.append('csrf', document.querySelector(\"input[name=csrf]\").value); \
         f.append('channel', 'oral'); \
         return fetch('{family}/answer', {{method: 'POST', body: new URLSearchParams(f)}}).then(function (r) {{ return r.status; }});"
    ));
    assert_eq!(again.as_i64(), Some(409), "answered once: {again}");

    // 新宿区, an "others" inquiry before anything is confirmed: status only, and ask
    // the collecting body.
    inquiry(&mut officer, "other");
    assert!(
        officer
            .browser
            .text("#publication-current")
            .contains("収集団体（131016）の判断をまだ記録していません"),
        "{}",
        officer.body()
    );
    let (form5, notes) = answer_by_phone(&mut officer);
    assert!(
        !form5.contains("千代田区"),
        "nothing but the status:\n{form5}"
    );
    assert!(
        notes.contains("収集団体に公表の可否を確認してください"),
        "{notes}"
    );

    // 千代田区 decides on the record's page: the empty form is refused field by field.
    let mut clerk = Site::open(&chiyoda);
    clerk.login_admin(&chiyoda);
    choose_incident(&mut clerk, &chiyoda);
    clerk.goto(&format!("/records/{record}"));
    assert!(
        clerk
            .browser
            .text("#publication-current")
            .contains("まだ判断していません"),
        "{}",
        clerk.body()
    );
    assert!(
        !clerk.browser.exists("#field-publication_contact"),
        "its own record: no one to ask"
    );
    clerk.browser.submit("#publication-button");
    for field in ["publication", "publication_reason"] {
        assert!(
            clerk.browser.exists(&format!("#err-{field}")),
            "{field}: {}",
            clerk.body()
        );
    }
    clerk.browser.click("#publish-yes");
    clerk.browser.fill(
        "#field-publication_reason",
        "意思確認不可。家族の安心のため必要最小限度の情報を公表（防災課長判断）",
    );
    clerk.browser.submit("#publication-button");
    assert!(
        clerk
            .notice()
            .contains("公表の判断（公表する）を記録しました"),
        "{}",
        clerk.body()
    );
    let history = clerk.browser.text("#publication-history");
    assert!(
        history.contains("公表する") && history.contains("2(3)"),
        "{history}"
    );
    clerk.check("publication-record");

    // The publication list: name, age, municipality; nothing else.
    clerk.browser.submit("nav a[href='/publication']");
    assert_eq!(clerk.browser.path(), "/publication");
    let list = clerk.browser.text("#publication-list");
    assert!(
        list.contains("太郎") && list.contains("歳") && list.contains("東京都千代田区"),
        "{list}"
    );
    assert!(!list.contains("霞が関"), "the municipality only: {list}");
    clerk.check("publication");
    let csv = clerk.download("/publication.csv?encoding=utf8");
    let text = String::from_utf8(csv[3..].to_vec()).expect("UTF-8 after the BOM");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(
        lines[0].starts_with("公表一覧 【訓練】"),
        "the network's incident is a drill: {text}"
    );
    assert_eq!(lines[1], "氏名,年齢,市区町村");
    assert!(
        lines[2].starts_with("消防　太郎,") && lines[2].ends_with(",東京都千代田区"),
        "{text}"
    );
    assert_eq!(lines.len(), 4, "one person and the final CRLF: {text}");

    // 新宿区 again: the officer confirms 千代田区's decision by phone, then answers.
    let inquiry = inquiry(&mut officer, "other");
    officer.browser.click("#publish-yes");
    officer
        .browser
        .fill("#field-publication_reason", "収集団体が公表すると判断");
    officer.browser.submit("#publication-button");
    assert!(
        officer.browser.exists("#err-publication_contact"),
        "whom it was confirmed with is required: {}",
        officer.body()
    );
    officer.browser.fill(
        "#field-publication_contact",
        "千代田区 防災課 山田（電話 03-3264-2111）",
    );
    officer.browser.submit("#publication-button");
    assert!(
        officer
            .notice()
            .contains("収集団体の公表の判断（公表する）を記録しました"),
        "{}",
        officer.body()
    );
    assert_eq!(officer.browser.path(), inquiry);
    assert!(
        officer
            .browser
            .text("#publication-history")
            .contains("収集団体 131016 に確認"),
        "{}",
        officer.body()
    );
    officer.check("inquiry-publication");
    let (form5, notes) = answer_by_phone(&mut officer);
    assert!(form5.contains("東京都千代田区"), "{form5}");
    assert!(!form5.contains("霞が関"), "the municipality only:\n{form5}");
    assert!(notes.contains("(ウ)b"), "{notes}");

    // 新宿区 has no publication list of 千代田区's person.
    officer.goto("/publication");
    assert!(
        officer.browser.exists("#publication-empty"),
        "{}",
        officer.body()
    );
}
