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

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anpi_e2e::network_with;
use anpi_harness::browser::Browser;
use anpi_harness::smtp::{SinkOptions, SmtpSink};
use anpi_harness::{NatsServer, free_port, wait_for_port};

const MUNICIPALITY: &str = "131016";

struct Site {
    browser: Browser,
    base: String,
}

impl Site {
    fn goto(&mut self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.browser.goto(&url);
    }

    fn body(&mut self) -> String {
        self.browser.text("body")
    }

    /// axe-core (no serious or critical violation), then the page's picture.
    fn check(&mut self, name: &str) {
        let violations = self.browser.axe_violations();
        assert!(
            violations.is_empty(),
            "{name}: accessibility violations:\n{}",
            violations.join("\n")
        );
        self.browser.screenshot(&picture(name));
    }

    fn notice(&mut self) -> String {
        if self.browser.exists("main > .notice") {
            self.browser.text("main > .notice")
        } else {
            String::new()
        }
    }

    /// A file of the console, decoded from UTF-8 (`?encoding=utf8`).
    fn download(&mut self, path: &str) -> String {
        let bytes = self.browser.eval(&format!(
            "return fetch('{path}').then(function (r) {{ return r.arrayBuffer(); }})
               .then(function (b) {{ return Array.from(new Uint8Array(b)); }});"
        ));
        let bytes: Vec<u8> = bytes
            .as_array()
            .expect("the file's bytes")
            .iter()
            .map(|b| b.as_u64().unwrap_or_default() as u8)
            .collect();
        String::from_utf8(bytes).expect("UTF-8")
    }

    /// The text of one member's row of the list.
    fn row(&mut self, code: &str) -> String {
        self.browser
            .text(&format!("#contact-table tr[data-code='{code}']"))
    }
}

fn picture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/console")
        .join(format!("{name}.png"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/csv/examples")
        .join(name)
        .canonicalize()
        .unwrap_or_else(|e| panic!("schemas/csv/examples/{name}: {e}"))
}

/// The link under `prefix` in the mail to `to`.
fn link_in_mail(sink: &SmtpSink, to: &str, prefix: &str) -> String {
    let mail = sink
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to == [to])
        .unwrap_or_else(|| panic!("no mail to {to}: {:?}", sink.per_recipient()));
    let body = mail.body();
    let at = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no link in:\n{body}"));
    let token: String = body[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 48);
    format!("{prefix}{token}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_collect_emergency_contacts_and_members_set_and_confirm_their_own() {
    let nats = NatsServer::start();
    let sink = SmtpSink::start_with(SinkOptions {
        reject: vec!["kato.ai.home".into()],
        ..SinkOptions::default()
    });
    let console_port = free_port();
    let public_port = free_port();
    let ([node], _incident) = network_with(&nats, [MUNICIPALITY], |_| {
        format!("console_listen = \"127.0.0.1:{console_port}\"\npublic_listen = \"127.0.0.1:{public_port}\"\n")
    })
    .await;
    for port in [console_port, public_port] {
        assert!(
            wait_for_port(port, Duration::from_secs(20)),
            "nothing listens on {port}:\n{}",
            node.node.log()
        );
    }
    let mut browser = Browser::start();
    browser.resize(1366, 768);
    let mut site = Site {
        browser,
        base: format!("http://127.0.0.1:{console_port}"),
    };
    site.goto("/login");
    site.browser.fill("#account", "admin");
    site.browser.fill("#password", &node.node.password);
    site.browser.submit("button[type=submit]");
    if site.browser.path() == "/password" {
        let new = "Anpi-Admin-2026-safe!";
        site.browser
            .fill("#field-current_password", &node.node.password);
        site.browser.fill("#field-new_password", new);
        site.browser.fill("#field-confirm", new);
        site.browser
            .submit("form[action='/password'] button[type=submit]");
    }

    // The mail server and the directory, as in rollcall_console.rs.
    site.goto("/rollcall/settings");
    site.browser
        .fill("#field-mail_sender", "anpi@city.example.lg.jp");
    site.browser.fill("#field-smtp_host", "127.0.0.1");
    site.browser
        .fill("#field-smtp_port", &sink.port.to_string());
    site.browser.click("#security-none");
    site.browser.fill(
        "#field-external_url",
        &format!("http://127.0.0.1:{public_port}"),
    );
    site.browser.submit("#save-button");
    assert!(site.notice().contains("保存しました"), "{}", site.body());
    site.goto("/rollcall/directory");
    site.browser
        .set_file("#field-orgs-file", &example("rollcall_orgs.csv"));
    site.browser.submit("#orgs-upload");
    site.browser
        .set_file("#field-members-file", &example("rollcall_members.csv"));
    site.browser.submit("#members-upload");
    assert!(site.notice().contains("職員 10件"), "{}", site.body());

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
    let sato = site.row("S0013310");
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
    let missing = site.download("/rollcall/contacts/missing.csv?encoding=utf8");
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
        node.node.log()
    );
    let prefix = format!("http://127.0.0.1:{public_port}/c/");
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
        if site.row("S0021490").contains("送信失敗") {
            break;
        }
        assert!(Instant::now() < deadline, "{}", site.row("S0021490"));
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(site.row("S0012045").contains("確認済み"));
    assert!(site.row("S0013310").contains("未確認"));
    let tanaka = site.row("S0016783");
    assert!(
        tanaka.contains("本人") && tanaka.contains("090-5555-6666"),
        "{tanaka}"
    );
    assert_eq!(site.browser.text("#count-confirmed"), "1");
    assert_eq!(site.browser.text("#count-failed"), "1");
    site.check("rollcall-contacts");
    let results = site.download("/rollcall/contacts/checks.csv?encoding=utf8");
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
