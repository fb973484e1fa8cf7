//! 照会・回答 in the console (Q-01..Q-03, 第5; issue 19 item 1): at a municipality that
//! holds 消防 太郎's record, an officer registers a family inquiry as Form 4 (the
//! mistakes first, each beside its field, what was typed kept), identifies him, answers
//! within his consent and prints the Form 5 copy: the printed A4 page (the page's own
//! print stylesheet, through Chrome's print to PDF, read back with pdftotext) holds the
//! answer and none of the menu or the officer's notes. A second answer is refused; an
//! inquiry for an improper purpose is refused with its reason. Checked with axe-core
//! and photographed into `docs/console/inquiry-new.png` and `docs/console/inquiry.png`.
//! R.

use anpi_e2e::console_site::{ConsoleNode, Site, fill_form4, pdftotext};
use anpi_harness::NatsServer;

/// Fills the Form 4 fields of `inquiry-family.json` (target 消防 太郎).
fn fill_family_inquiry(site: &mut Site) {
    fill_form4(site, "消防 花子", "family");
    site.browser
        .fill("[id='field-remarks']", "夫の安否を知りたい");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_answers_a_family_inquiry_and_prints_form5() {
    let nats = NatsServer::start();
    let mut node = ConsoleNode::start(&nats).await;
    node.node
        .client
        .record(&node.incident, &anpi_core::entry::fixtures::evacuee(), None)
        .await
        .expect("消防 太郎 at 千代田区");
    let mut site = Site::open(&node);
    site.login_admin(&node);
    site.goto("/");
    site.browser
        .click(&format!("input[name=incident][value='{}']", node.incident));
    site.browser
        .submit("form[action='/incident'] button[type=submit]");

    // Form 4, mistakes first.
    site.browser.submit("nav a[href='/inquiries']");
    assert_eq!(site.browser.path(), "/inquiries");
    assert!(site.browser.exists("#no-inquiries"));
    site.browser.submit("#new-inquiry");
    site.browser.fill("[id='field-target.name']", "消防 太郎");
    site.browser
        .fill("[id='field-target.birth_date']", "昭和99年13月1日");
    site.browser.submit("#register-button");
    for field in ["inquirer.name", "reason", "target.birth_date"] {
        assert!(
            site.browser.exists(&format!("[id='err-{field}']")),
            "{field}: {}",
            site.body()
        );
    }
    assert_eq!(site.browser.value("[id='field-target.name']"), "消防 太郎");
    site.check("inquiry-new");
    fill_family_inquiry(&mut site);
    site.browser.submit("#register-button");
    assert!(
        site.browser.path().starts_with("/inquiries/"),
        "{}",
        site.body()
    );
    let inquiry = site.browser.path();
    assert!(site.browser.text("#inquiry-status").contains("受付"));

    // Identify, answer, print.
    site.browser.submit("#identify-button");
    assert!(site.notice().contains("特定済み"), "{}", site.body());
    assert!(
        !site.body().contains("昭和56年11月25日生"),
        "no candidate data shown"
    );
    site.browser.submit("#answer-button");
    assert!(
        site.browser.exists("#err-answer_channel"),
        "{}",
        site.body()
    );
    assert!(
        site.browser.text("#inquiry-status").contains("特定済み"),
        "not answered"
    );
    site.browser.click("#channel-written");
    site.browser.submit("#answer-button");
    assert!(site.notice().contains("回答しました"), "{}", site.body());
    assert!(
        site.browser.text("#form5-heading").contains("書面で回答"),
        "the channel is kept with the copy"
    );
    let form5 = site.browser.text("#form5-text");
    assert!(form5.contains("消防") && form5.contains("太郎"), "{form5}");
    assert!(site.browser.exists("#print-button"));
    site.check("inquiry");
    let printed = pdftotext(&site.browser.print_pdf());
    assert!(printed.contains("太郎"), "{printed}");
    for hidden in [
        "ログアウト",
        "照会・回答",
        "担当者への注意",
        "特定する",
        "印刷する",
    ] {
        assert!(!printed.contains(hidden), "{hidden} is printed:\n{printed}");
    }
    assert!(!site.browser.exists("#answer-button"), "answered once");
    assert!(!site.browser.exists("#identify-button"));

    // A second answer is refused by the step check.
    let again = site.browser.eval(&format!(
        "var f = new FormData(); f.append('csrf', document.querySelector(\"input[name=csrf]\").value); \
         f.append('channel', 'oral'); \
         return fetch('{inquiry}/answer', {{method: 'POST', body: new URLSearchParams(f)}}).then(function (r) {{ return r.status; }});"
    ));
    assert_eq!(again.as_i64(), Some(409), "{again}");

    // An improper purpose: refused with its reason (a reason is required).
    site.goto("/inquiries/new");
    fill_family_inquiry(&mut site);
    site.browser.submit("#register-button");
    site.browser.submit("#refuse-button");
    assert!(site.browser.exists("#err-refuse_reason"), "{}", site.body());
    site.browser
        .fill("#field-refuse_reason", "名簿作成の目的と認められるため");
    site.browser.submit("#refuse-button");
    assert!(site.browser.text("#refused").contains("名簿作成"));
    assert!(site.browser.text("#inquiry-status").contains("回答拒否"));
    site.goto("/inquiries");
    let listed = site.browser.text("#inquiry-table");
    assert!(
        listed.contains("回答済み") && listed.contains("回答拒否"),
        "{listed}"
    );
}
