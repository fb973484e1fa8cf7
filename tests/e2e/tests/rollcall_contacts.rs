//! Emergency contacts (緊急連絡先, K-05) in a real browser: a municipality node with
//! its console and public listener, `deploy/smtp/sink.py` on loopback (refusing one
//! address), headless chromium through chromedriver. The administrator imports the
//! example contact file (a file with mistakes first: refused by line and column, nothing
//! saved), sets one member's contacts on their behalf (a wrong number refused beside
//! its field first), downloads the members still without contacts and sends them the
//! request; a member opens the link in that mail on a phone and sets their own; the
//! check mail then goes to every contact address, the member confirms one with the
//! button, and the list shows 確認済み, 未確認 and 送信失敗 — as does the results file.
//! Screens are checked with axe-core and photographed into `docs/console/`. R: K-05.

use std::time::{Duration, Instant};

use anpi_e2e::console_site::{ConsoleNode, Site, example, link_in};
use anpi_harness::NatsServer;
use anpi_harness::smtp::{SinkOptions, SmtpSink};

/// A file of the console, decoded from UTF-8 (`?encoding=utf8`).
fn download(site: &mut Site, path: &str) -> String {
    String::from_utf8(site.download(path)).expect("UTF-8")
}

/// The text of one member's row of the list.
fn row(site: &mut Site, code: &str) -> String {
    site.browser
        .text(&format!("#contact-table tr[data-code='{code}']"))
}

/// The link under `prefix` in the latest mail to `to`.
fn link_in_mail(sink: &SmtpSink, to: &str, prefix: &str) -> String {
    let mail = sink
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to == [to])
        .unwrap_or_else(|| panic!("no mail to {to}: {:?}", sink.per_recipient()));
    link_in(&mail.body(), prefix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_collect_emergency_contacts_and_members_set_and_confirm_their_own() {
    let nats = NatsServer::start();
    let sink = SmtpSink::start_with(SinkOptions {
        reject: vec!["kato.ai.home".into()],
        ..SinkOptions::default()
    });
    let node = ConsoleNode::start(&nats).await;
    let mut site = Site::open(&node);
    site.login_admin(&node);
    site.rollcall_setup(&node, sink.port);

    // The page is in the roll-call menu; nobody has contacts yet.
    site.goto("/rollcall");
    site.browser
        .submit("nav.subnav a[href='/rollcall/contacts']");
    assert_eq!(site.browser.path(), "/rollcall/contacts");
    assert_eq!(site.browser.text("#count-missing"), "10");

    // A file with mistakes: every one by line and column, nothing saved.
    let dir = anpi_harness::TempDir::new("contacts-e2e");
    let bad = dir.path().join("緊急連絡先_誤りあり.csv");
    std::fs::write(
        &bad,
        "職員番号,氏名,電話番号,緊急連絡先メールアドレス\n\
         S0012045,山田　太郎,090-1234-5678,yamada@\n\
         S9999999,誰　か,090-0000-0000,\n\
         S0013310,佐藤　花子,でんわ,\n",
    )
    .unwrap();
    site.browser.set_file("#field-contacts-file", &bad);
    site.browser.submit("#contacts-upload");
    let errors = site.browser.text("#upload-errors");
    for expected in ["2行目", "緊急連絡先メールアドレス", "4行目", "電話番号"] {
        assert!(errors.contains(expected), "{expected} in:\n{errors}");
    }
    assert!(site.body().contains("何も登録していません"));
    assert_eq!(site.browser.text("#count-missing"), "10");
    // The values right but a member who is not registered: named by line too.
    std::fs::write(
        &bad,
        "職員番号,氏名,電話番号,緊急連絡先メールアドレス\n\
         S0012045,山田　太郎,090-1234-5678,\n\
         S9999999,誰　か,090-0000-0000,\n",
    )
    .unwrap();
    site.browser.set_file("#field-contacts-file", &bad);
    site.browser.submit("#contacts-upload");
    let errors = site.browser.text("#upload-errors");
    assert!(
        errors.contains("3行目") && errors.contains("S9999999"),
        "{errors}"
    );
    site.browser
        .set_file("#field-contacts-file", &example("rollcall_contacts.csv"));
    site.browser.submit("#contacts-upload");
    assert!(site.notice().contains("3人のうち 3人"), "{}", site.body());
    assert_eq!(site.browser.text("#count-missing"), "7");
    let sato = row(&mut site, "S0013310");
    assert!(
        sato.contains("080-2345-6789") && sato.contains("03-3456-7890") && sato.contains("代理"),
        "{sato}"
    );

    // On a member's behalf: a wrong number first, named beside its field.
    site.browser.submit("#edit-S0021490");
    assert_eq!(site.browser.path(), "/rollcall/contacts/S0021490");
    site.browser.fill("#field-contact_phone", "090-9876");
    site.browser
        .fill("#field-contact_mail", "kato.ai.home@example.jp");
    site.browser.submit("#save-button");
    assert!(site.browser.exists("#err-contact_phone"), "{}", site.body());
    assert_eq!(
        site.browser.value("#field-contact_mail"),
        "kato.ai.home@example.jp",
        "what was typed is kept"
    );
    site.browser.fill("#field-contact_phone", "090-9876-5432");
    site.browser.submit("#save-button");
    assert!(
        site.notice().contains("代理で設定しました"),
        "{}",
        site.body()
    );
    assert_eq!(site.browser.text("#count-missing"), "6");

    // Those still without contacts, to fill in: the import's own format.
    let missing = download(&mut site, "/rollcall/contacts/missing.csv?encoding=utf8");
    let missing = missing.trim_start_matches('\u{feff}');
    assert!(
        missing.starts_with("職員番号,氏名,電話番号,緊急連絡先メールアドレス"),
        "{missing}"
    );
    assert_eq!(missing.lines().count(), 7, "a header and six members");
    assert!(missing.contains("S0016783") && !missing.contains("S0012045"));

    // The request goes to the six, at their directory addresses.
    site.browser.submit("#request-button");
    let notice = site.notice();
    assert!(
        notice.contains("送信待ち") && !notice.contains("送れませんでした"),
        "{notice}"
    );
    assert!(
        sink.wait_for_count(6, Duration::from_secs(30)),
        "{:?}\n{}",
        sink.per_recipient(),
        node.node.node.log()
    );
    let prefix = format!("{}/c/", node.public_url());
    let link = link_in_mail(&sink, "tanaka.kenji@city.example.lg.jp", &prefix);

    // The member, on a phone: their own page only; a mistake, then saved.
    site.browser.resize(390, 844);
    site.browser.goto(&link);
    let page = site.body();
    assert!(page.contains("田中"), "{page}");
    for other in ["山田", "佐藤", "090-1234-5678", "kato.ai"] {
        assert!(!page.contains(other), "{other} shown to 田中");
    }
    site.browser.fill("#phones", "090-5555-6666");
    site.browser.fill("#mails", "tanaka@");
    site.browser.submit("#save");
    assert!(site.browser.exists("#errors"), "{}", site.body());
    assert_eq!(site.browser.value("#mails"), "tanaka@");
    site.browser
        .fill("#mails", "tanaka.kenji@mobile.example.jp");
    site.browser.submit("#save");
    assert!(site.browser.exists("#saved"), "{}", site.body());
    let (page_width, window_width) = site.browser.widths();
    assert!(page_width <= window_width, "the page fits a phone");
    site.check("rollcall-contacts-member");

    // The check: one mail per contact address (加藤's home address is refused).
    site.browser.resize(1366, 768);
    site.goto("/rollcall/contacts");
    let before = sink.count();
    site.browser.submit("#check-button");
    assert!(site.notice().contains("送信待ち"), "{}", site.body());
    // 山田, 佐藤, 田中 (one each); 加藤's is refused by the server.
    assert!(
        sink.wait_for_count(before + 3, Duration::from_secs(30)),
        "{:?}",
        sink.per_recipient()
    );
    let check = link_in_mail(&sink, "yamada.taro@mobile.example.jp", &prefix);
    site.browser.resize(390, 844);
    site.browser.goto(&check);
    assert!(
        site.body().contains("yamada.taro@mobile.example.jp"),
        "{}",
        site.body()
    );
    site.browser.submit("#confirm");
    assert!(site.browser.exists("#confirmed"), "{}", site.body());

    // The administrator's list: confirmed, not opened, failed.
    site.browser.resize(1366, 768);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        site.goto("/rollcall/contacts");
        if row(&mut site, "S0021490").contains("送信失敗") {
            break;
        }
        assert!(Instant::now() < deadline, "{}", row(&mut site, "S0021490"));
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(row(&mut site, "S0012045").contains("確認済み"));
    assert!(row(&mut site, "S0013310").contains("未確認"));
    let tanaka = row(&mut site, "S0016783");
    assert!(
        tanaka.contains("本人") && tanaka.contains("090-5555-6666"),
        "{tanaka}"
    );
    assert_eq!(site.browser.text("#count-confirmed"), "1");
    assert_eq!(site.browser.text("#count-failed"), "1");
    site.check("rollcall-contacts");
    let results = download(&mut site, "/rollcall/contacts/checks.csv?encoding=utf8");
    let yamada = results
        .lines()
        .find(|l| l.starts_with("S0012045"))
        .unwrap_or_else(|| panic!("{results}"));
    assert!(yamada.contains("確認済み"), "{yamada}");
    assert!(
        results
            .lines()
            .any(|l| l.starts_with("S0021490") && l.contains("送信失敗")),
        "{results}"
    );
}
