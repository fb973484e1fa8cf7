//! Roll-call answers into Form 1 drafts (K-08, issue 20 item 4) in a real browser: a
//! municipality node with its console and public listener, `deploy/smtp/sink.py` on
//! loopback, headless chromium through chromedriver. The administrator sets the mail
//! server, loads the example directory and sends a drill to one organisation (as in
//! `rollcall_console.rs`); members answer from the links in their mails (避難している,
//! 重傷, 無事); the clerk opens 様式1の下書き from the dashboard, finds the two drafts
//! (not the 無事), opens the injured member's draft as a pre-filled Form 1 (checked
//! field by field), is refused while the required fields are missing, completes
//! them and saves: the record exists in the drill incident and nowhere else. The
//! screens are checked with axe-core and photographed into `docs/console/`.
//! R: K-08, T-04, E-01.

use std::time::Duration;

use anpi_e2e::console_site::{ConsoleNode, Site, link_in};
use anpi_harness::NatsServer;
use anpi_harness::smtp::SmtpSink;

/// The value of the entry form's input `name`: the checked radio button, else the
/// input, select or text area of that name ("" when none).
fn field(site: &mut Site, name: &str) -> String {
    let script = format!(
        "var checked = document.querySelector(\"form.entry-form [name='{name}']:checked\"); \
         if (checked) {{ return checked.value; }} \
         var el = document.querySelector(\"form.entry-form [name='{name}']:not([type=radio]):not([type=checkbox])\"); \
         return el ? el.value : '';"
    );
    site.browser
        .eval(&script)
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_saying_injured_or_evacuated_become_form1_drafts_the_clerk_completes() {
    let nats = NatsServer::start();
    let sink = SmtpSink::start();
    let node = ConsoleNode::start(&nats).await;
    let incident = node.incident.clone();
    let mut site = Site::open(&node);
    site.login_admin(&node);
    // The drill incident the entries go into.
    site.goto("/");
    site.browser
        .click(&format!("input[name=incident][value='{incident}']"));
    site.browser
        .submit("form[action='/incident'] button[type=submit]");

    // The mail server, the directory and a drill to 防災危機管理課 with an answer
    // choice saying evacuated.
    site.rollcall_setup(&node, sink.port);
    site.goto("/rollcall");
    site.browser.fill("#field-rollcall_title", "総合防災訓練");
    site.browser.click("#org-soumu_bousai");
    site.browser.click("#mode-drill");
    site.browser
        .fill("#field-statuses", "無事\n軽傷\n重傷\n避難している\nその他");
    site.browser.submit("#send-button");
    let dashboard = site.browser.path();
    assert!(
        dashboard.starts_with("/rollcall/0"),
        "{dashboard}\n{}",
        site.body()
    );
    let id = dashboard.trim_start_matches("/rollcall/").to_string();
    assert!(
        sink.wait_for_count(5, Duration::from_secs(30)),
        "{:?}\n{}",
        sink.per_recipient(),
        node.node.node.log()
    );

    // K-02: three members answer from the links in their mails.
    let prefix = format!("{}/r/", node.public_url());
    let mails = sink.messages();
    let link_of = |address: &str| {
        let mail = mails
            .iter()
            .find(|m| m.to.iter().any(|to| to == address))
            .unwrap_or_else(|| panic!("no mail to {address}"));
        link_in(&mail.body(), &prefix)
    };
    for (address, status, comment) in [
        (
            "yamada.taro@city.example.lg.jp",
            "避難している",
            "第一小学校の体育館",
        ),
        ("suzuki.ichiro@city.example.lg.jp", "重傷", "左足を骨折"),
        ("takahashi.misaki@city.example.lg.jp", "無事", "自宅"),
    ] {
        site.browser.goto(&link_of(address));
        site.browser.fill("#comment", comment);
        site.browser
            .submit(&format!("button[name=status][value='{status}']"));
        assert!(
            site.body().contains("回答しました"),
            "{address}: {}",
            site.body()
        );
    }

    // K-08: the dashboard links to the drafts; the list holds the evacuee and the
    // injured, not the member who answered 無事.
    site.goto(&dashboard);
    assert_eq!(site.browser.text("#drafts-count"), "2", "{}", site.body());
    site.browser.submit("#drafts-link");
    assert_eq!(site.browser.path(), format!("/rollcall/{id}/drafts"));
    assert!(site.browser.exists("#drill-banner"), "the drill is marked");
    assert_eq!(site.browser.text("#drafts-mode"), "訓練");
    assert!(
        site.browser.text("#drafts-incident").contains("【訓練】"),
        "the chosen incident and its mode"
    );
    assert!(!site.browser.exists("#incident-problem"));
    let yamada = site.browser.text("#drafts tr[data-code='S0012045']");
    assert!(
        yamada.contains("山田　太郎")
            && yamada.contains("避難している")
            && yamada.contains("第一小学校の体育館")
            && yamada.contains("避難（負傷なし）"),
        "{yamada}"
    );
    let suzuki = site.browser.text("#drafts tr[data-code='S0014127']");
    assert!(
        suzuki.contains("鈴木　一郎") && suzuki.contains("重傷") && suzuki.contains("負傷（重症）"),
        "{suzuki}"
    );
    assert!(
        !site.browser.exists("#drafts tr[data-code='S0015502']"),
        "無事 makes no draft"
    );
    assert_eq!(
        site.browser
            .eval("return document.querySelectorAll('#drafts tbody tr').length;")
            .as_i64(),
        Some(2)
    );
    site.check("rollcall-drafts");

    // The pre-filled Form 1: the banner says where it came from and that nothing is
    // recorded yet; each field holds what the answer knows, the rest is empty.
    let records = "SELECT count(*) FROM records";
    let before = node.node.count(records).await;
    site.browser.submit("#open-S0014127");
    let path = site.browser.path();
    assert_eq!(
        path,
        format!("/rollcall/{id}/drafts/S0014127"),
        "only the roll-call's ID and the member's code in the URL"
    );
    let banner = site.browser.text("#from-rollcall");
    assert!(
        banner.contains("まだ登録されていません") && banner.contains("総合防災訓練"),
        "{banner}"
    );
    assert_eq!(site.browser.text("#from-rollcall-mode"), "訓練");
    assert_eq!(site.browser.text("#from-rollcall-member"), "S0014127");
    assert!(
        site.browser
            .text("#from-rollcall-answer")
            .contains("重傷（左足を骨折）")
    );
    let answered_at = site.browser.text("#from-rollcall-at");
    assert!(answered_at.starts_with("20"), "{answered_at}");
    assert_eq!(field(&mut site, "name"), "鈴木　一郎");
    assert_eq!(field(&mut site, "injury.status"), "負傷");
    assert_eq!(field(&mut site, "injury.severity"), "重症");
    assert_eq!(
        field(&mut site, "injury.description"),
        "安否確認「総合防災訓練」への回答: 重傷（左足を骨折）"
    );
    assert_eq!(
        field(&mut site, "contact"),
        "メール suzuki.ichiro@city.example.lg.jp"
    );
    assert_eq!(field(&mut site, "nationality.kind"), "日本");
    // 記入日時: when the member answered (Japan time, to the minute).
    let written_at = field(&mut site, "written_at");
    assert_eq!(written_at.len(), 16, "{written_at}");
    assert!(
        answered_at.starts_with(&written_at[..10]),
        "{written_at} / {answered_at}"
    );
    for empty in ["furigana", "birth_date", "sex", "address.prefecture"] {
        assert_eq!(
            field(&mut site, empty),
            "",
            "{empty} is the clerk's to fill in"
        );
    }
    assert_eq!(field(&mut site, "from_rollcall"), id);
    assert_eq!(field(&mut site, "from_member"), "S0014127");
    site.check("rollcall-form1-from-draft");

    // As it comes, the draft is refused by the usual checks: nothing recorded.
    site.browser.submit("button[name=action][value=save]");
    assert!(site.browser.exists("#error-summary"), "{}", site.body());
    let summary = site.browser.text("#error-summary");
    assert!(
        summary.contains("フリガナ") && summary.contains("出生の年月日"),
        "{summary}"
    );
    assert!(
        site.browser.exists("#from-rollcall"),
        "the banner stays on the refused form"
    );
    assert_eq!(node.node.count(records).await, before, "nothing recorded");

    // The clerk completes the missing fields and saves.
    site.browser.fill("#field-furigana", "スズキ　イチロウ");
    site.browser.fill("#field-birth_date", "昭和55年4月1日");
    site.browser.click("input[name=sex][value='男']");
    site.browser
        .fill("#field-address_line", "東京都千代田区霞が関2丁目1番2号");
    site.browser.submit("button[name=action][value=save]");
    let record = site
        .browser
        .path()
        .strip_prefix("/records/")
        .map(str::to_string)
        .unwrap_or_else(|| panic!("saved: {}\n{}", site.body(), node.node.node.log()));
    assert!(
        site.notice().contains("S0014127"),
        "the notice names the answer: {}",
        site.notice()
    );
    let page = site.body();
    assert!(
        page.contains("鈴木　一郎") && page.contains("スズキ　イチロウ"),
        "{page}"
    );
    assert_eq!(node.node.count(records).await, before + 1);
    assert_eq!(
        node.node.count(&format!(
            "SELECT count(*) FROM records WHERE record_id = '{record}' AND incident_id = '{incident}'"
        ))
        .await,
        1,
        "recorded in the drill incident"
    );

    // The evacuee's draft is pre-filled too (⑧ 非該当, the answer in 備考).
    site.goto(&format!("/rollcall/{id}/drafts/S0012045"));
    assert_eq!(field(&mut site, "injury.status"), "非該当");
    assert_eq!(
        field(&mut site, "remarks"),
        "安否確認「総合防災訓練」への回答: 避難している（第一小学校の体育館）"
    );
    // 無事 makes no draft: the page says so and offers no form.
    site.goto(&format!("/rollcall/{id}/drafts/S0015502"));
    assert!(!site.browser.exists("form.entry-form"));
    assert!(
        site.body().contains("下書きは作られません"),
        "{}",
        site.body()
    );
}
