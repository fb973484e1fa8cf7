//! The roll-call (安否確認) screens of the clerks' console in a real browser, with the
//! member's answer page and a real SMTP server: a municipality node with its console
//! and public listener, `deploy/smtp/sink.py` on loopback, headless chromium through
//! chromedriver. The administrator sets the mail server (a test mail first), loads the
//! example directory files (and a bad one), edits a mail after a preview, sends a drill
//! to one organisation with sub-organisations, and follows it on the dashboard: a
//! member answers from the link in their mail on a phone, another is answered by
//! proxy, the unconfirmed get the mail again, and after closing the link says only that
//! it is invalid. Every screen is checked with axe-core and photographed into
//! `docs/console/`. R: K-01..K-04, K-06, K-09, T-04.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anpi_e2e::console_site::{ConsoleNode, Site, example, link_in};
use anpi_harness::NatsServer;
use anpi_harness::smtp::{SinkMail, SmtpSink};
use anpi_proto::v1;

/// The organisation the drill is sent to, and the addresses of its subtree's members
/// in `schemas/csv/examples/rollcall_members.csv` (S0013310 has two).
const CHOSEN: &str = "soumu.bousai";
const SUBTREE_ADDRESSES: [&str; 5] = [
    "yamada.taro@city.example.lg.jp",
    "sato.hanako@city.example.lg.jp",
    "sato.hanako@mobile.example.jp",
    "suzuki.ichiro@city.example.lg.jp",
    "takahashi.misaki@city.example.lg.jp",
];
const TEST_ADDRESS: &str = "kakunin@city.example.lg.jp";

/// The roll-call mails (not the test mail), per recipient address.
fn rollcall_mails(sink: &SmtpSink) -> Vec<(String, SinkMail)> {
    sink.messages()
        .into_iter()
        .filter(|m| !m.to.iter().any(|to| to == TEST_ADDRESS))
        .flat_map(|m| m.to.clone().into_iter().map(move |to| (to, m.clone())))
        .collect()
}

/// The text of the counts row whose heading is `label` (cells separated by `|`).
fn count_row(site: &mut Site, label: &str) -> Vec<String> {
    let rows = site.browser.eval(
        "return Array.from(document.querySelectorAll('#counts tbody tr')).map(function (tr) { \
           return Array.from(tr.children).map(function (c) { \
             var clone = c.cloneNode(true); \
             Array.from(clone.querySelectorAll('.visually-hidden')).forEach(function (h) { h.remove(); }); \
             return clone.textContent.trim(); }); });",
    );
    rows.as_array()
        .expect("the counts table")
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap_or_default().to_string())
                .collect::<Vec<String>>()
        })
        .find(|row| row.first().is_some_and(|first| first == label))
        .unwrap_or_else(|| panic!("no counts row {label}: {rows}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_runs_a_drill_roll_call_from_the_console() {
    let nats = NatsServer::start();
    let sink = SmtpSink::start();
    let mut node = ConsoleNode::start(&nats).await;
    // An account to make a disaster-prevention administrator of (K-04).
    let request = node.node.client.req(v1::CreateAccountRequest {
        account_id: "bousai1".into(),
        holder: "防災 花子".into(),
        affiliation: "防災危機管理課".into(),
        contact: "03-0000-0001".into(),
        role: "input".into(),
        terminal: String::new(),
    });
    node.node
        .client
        .node
        .create_account(request)
        .await
        .expect("issuing bousai1");

    let mut site = Site::open(&node);
    site.login_admin(&node);
    site.goto("/");
    assert!(
        site.browser.exists("nav a[href='/rollcall']"),
        "the menu has 安否確認: {}",
        site.body()
    );

    // K-06: the mail server, tried first with a test mail (nothing saved), then saved.
    site.goto("/rollcall/settings");
    site.browser
        .fill("#field-mail_sender", "anpi@city.example.lg.jp");
    site.browser
        .fill("#field-mail_sender_name", "千代田区 安否確認");
    site.browser.fill("#field-smtp_host", "127.0.0.1");
    site.browser
        .fill("#field-smtp_port", &sink.port.to_string());
    site.browser.click("#security-none");
    site.browser.fill("#field-external_url", &node.public_url());
    site.browser.fill("#field-test_to", "kakunin＠city");
    site.browser.submit("#test-button");
    assert!(
        site.browser.exists("#err-test_to"),
        "a wrong address is named beside its field: {}",
        site.body()
    );
    site.browser.fill("#field-test_to", TEST_ADDRESS);
    site.browser.submit("#test-button");
    let result = site.browser.text("#test-result");
    assert!(
        result.contains("送信しました") && result.contains("保存されていません"),
        "{result}\n{}",
        node.node.node.log()
    );
    assert!(
        sink.wait_for_count(1, Duration::from_secs(20)),
        "{}",
        sink.log()
    );
    let test_mail = &sink.messages()[0];
    assert_eq!(test_mail.to, [TEST_ADDRESS]);
    assert!(test_mail.subject().contains("送信メールサーバーの確認"));
    assert_eq!(
        node.node
            .count("SELECT count(*) FROM rollcall_settings")
            .await,
        0,
        "the test mail saved nothing"
    );
    assert_eq!(
        site.browser.value("#field-smtp_port"),
        sink.port.to_string(),
        "what was typed is kept"
    );
    site.browser.submit("#save-button");
    assert!(
        site.notice().contains("保存しました"),
        "{}\n{}",
        site.body(),
        node.node.node.log()
    );
    assert_eq!(site.browser.value("#field-smtp_host"), "127.0.0.1");
    assert_eq!(
        site.browser.value("#field-smtp_password"),
        "",
        "no password is ever shown"
    );

    // The directory from the example files, then a bad file refused by line.
    site.goto("/rollcall/directory");
    site.browser
        .set_file("#field-orgs-file", &example("rollcall_orgs.csv"));
    site.browser.submit("#orgs-upload");
    assert!(
        site.notice().contains("組織 11件"),
        "{}\n{}",
        site.body(),
        node.node.node.log()
    );
    site.browser
        .set_file("#field-members-file", &example("rollcall_members.csv"));
    site.browser.submit("#members-upload");
    assert!(site.notice().contains("職員 10件"), "{}", site.body());
    assert!(
        site.browser
            .exists("#org-tree tr[data-code='soumu.bousai.kiki']")
    );
    assert!(
        site.browser
            .text("#member-table tr[data-code='S0013310'] td.mails")
            .contains("sato.hanako@mobile.example.jp")
    );
    assert!(
        site.browser
            .exists("#member-table tr.no-mail[data-code='S0019034']")
    );
    site.check("rollcall-directory");

    let dir = std::env::temp_dir().join(format!("anpi-rollcall-console-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("職員_誤りあり.csv");
    std::fs::write(
        &bad,
        "職員番号,氏名,所属組織コード,メールアドレス\r\n\
         S0030001,,soumu.bousai,ok@city.example.lg.jp\r\n\
         S0030002,木村　拓也,soumu.bousai,kimura＠city.example.lg.jp\r\n\
         S0030003,井上　翔,soumu,inoue@city\r\n\
         S0030003,井上　翔,soumu,inoue@city.example.lg.jp\r\n",
    )
    .unwrap();
    site.browser.set_file("#field-members-file", &bad);
    site.browser.submit("#members-upload");
    let errors = site.browser.text("#upload-errors");
    for expected in [
        "2行目",
        "3行目",
        "4行目",
        "5行目",
        "氏名",
        "メールアドレス",
        "職員番号",
    ] {
        assert!(errors.contains(expected), "{expected} in:\n{errors}");
    }
    assert!(site.body().contains("何も登録していません"));
    assert!(
        !site
            .browser
            .exists("#member-table tr[data-code='S0030002']")
    );
    site.check("rollcall-directory-errors");

    // K-04: a disaster-prevention administrator for one organisation.
    site.goto("/rollcall/settings");
    site.browser.fill("#field-account_id", "bousai1");
    site.browser.click("#role-disaster_prevention");
    site.browser.click("#role-org-soumu_bousai");
    site.browser.submit("#assign-button");
    assert!(site.notice().contains("防災管理者"), "{}", site.body());
    let roles = site.browser.text("#roles");
    assert!(
        roles.contains("bousai1") && roles.contains("総務部 / 防災危機管理課"),
        "{roles}"
    );
    // The saved settings tried once more: the page with the result and the note.
    site.browser.fill("#field-test_to", TEST_ADDRESS);
    site.browser.submit("#test-button");
    assert!(site.browser.text("#test-result").contains("送信しました"));
    assert!(
        sink.wait_for_count(2, Duration::from_secs(20)),
        "{}",
        sink.log()
    );
    assert!(site.body().contains("テスト送信では設定は保存されません"));
    assert!(site.body().contains("POP before SMTP"));
    site.check("rollcall-settings");

    // K-06: the drill mail edited, previewed (nothing saved), then saved.
    site.goto("/rollcall/templates");
    for kind in ["safety", "safety_drill", "contact_check", "contact_request"] {
        assert!(site.browser.exists(&format!("#tpl-{kind}")), "{kind}");
    }
    assert!(site.browser.text("#placeholder-list").contains("{{URL}}"));
    let body = site.browser.value("#field-safety_drill-template_body");
    let edited = body.replace(
        "これは防災訓練です。",
        "これは防災訓練です。集合場所：本庁舎前。",
    );
    assert_ne!(body, edited, "the default drill body");
    site.browser.fill(
        "#field-safety_drill-template_body",
        &edited.replace("{{URL}}", ""),
    );
    site.browser.submit("#preview-button-safety_drill");
    assert!(
        site.browser.exists("#err-safety_drill-template_body"),
        "a body without the link is refused beside the field: {}",
        site.body()
    );
    site.browser
        .fill("#field-safety_drill-template_body", &edited);
    site.browser.submit("#preview-button-safety_drill");
    let preview = site.browser.text("#preview-safety_drill");
    assert!(
        preview.contains("集合場所：本庁舎前") && preview.contains("【訓練】"),
        "{preview}"
    );
    assert!(site.browser.exists("#unsaved-safety_drill"));
    site.check("rollcall-templates");
    site.browser.submit("#save-button-safety_drill");
    assert!(site.notice().contains("保存しました"), "{}", site.body());
    assert!(
        site.browser
            .value("#field-safety_drill-template_body")
            .contains("集合場所：本庁舎前")
    );

    // K-01: a drill to one organisation with sub-organisations.
    site.goto("/rollcall");
    site.browser.fill("#field-rollcall_title", "総合防災訓練");
    site.browser.submit("#send-button");
    assert!(
        site.browser.exists("#err-mode") && site.browser.exists("#err-rollcall_orgs"),
        "each missing choice is named: {}",
        site.body()
    );
    assert!(!site.browser.exists("#err-rollcall_title"));
    assert_eq!(site.browser.value("#field-rollcall_title"), "総合防災訓練");
    site.browser
        .click(&format!("#org-{}", CHOSEN.replace('.', "_")));
    site.browser.click("#mode-drill");
    let before = sink.count();
    site.browser.submit("#send-button");
    let notice = site.notice();
    assert!(
        notice.contains("対象 4人")
            && notice.contains("メール 5通")
            && notice.contains("登録されていない職員はいません"),
        "{notice}\n{}\n{}",
        site.body(),
        node.node.node.log()
    );
    let dashboard = site.browser.path();
    assert!(dashboard.starts_with("/rollcall/0"), "{dashboard}");
    assert!(site.browser.exists("#drill-banner"), "the drill is marked");

    assert!(
        sink.wait_for_count(before + SUBTREE_ADDRESSES.len(), Duration::from_secs(30)),
        "{:?}\n{}",
        sink.per_recipient(),
        node.node.node.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    let first: Vec<(String, SinkMail)> = rollcall_mails(&sink);
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for (to, _) in &first {
        *per.entry(to.as_str()).or_default() += 1;
    }
    let want: BTreeMap<&str, usize> = SUBTREE_ADDRESSES.iter().map(|a| (*a, 1)).collect();
    assert_eq!(per, want, "exactly the subtree's addresses, one mail each");
    for (to, mail) in &first {
        assert!(
            mail.subject().contains("【訓練】"),
            "{to}: {}",
            mail.subject()
        );
        assert!(
            mail.body().contains("集合場所：本庁舎前"),
            "the saved template"
        );
    }

    // K-02: a member answers from the link in their mail, on a phone.
    let prefix = format!("{}/r/", node.public_url());
    let yamada = &first
        .iter()
        .find(|(to, _)| to == "yamada.taro@city.example.lg.jp")
        .unwrap()
        .1;
    let link = link_in(&yamada.body(), &prefix);
    site.browser.resize(390, 844);
    site.browser.goto(&link);
    assert!(site.body().contains("山田"), "{}", site.body());
    assert!(site.body().contains("訓練"));
    let (page_width, window_width) = site.browser.widths();
    assert!(page_width <= window_width, "the answer page fits a phone");
    site.check("rollcall-answer-phone");
    site.browser
        .fill("#comment", "自宅にいます。出勤できます。");
    site.browser.submit("button[name=status][value='無事']");
    assert!(site.body().contains("回答しました"), "{}", site.body());
    site.browser.resize(1366, 768);

    // K-03: the dashboard shows the answer and the counts.
    site.goto(&dashboard);
    assert!(
        site.browser
            .text("#members tr[data-code='S0012045'] td.progress")
            .contains("回答済み")
    );
    assert_eq!(
        site.browser
            .text("#members tr[data-code='S0012045'] td.status"),
        "無事"
    );
    let whole = count_row(&mut site, "全体");
    // 組織, 対象, 未開封, 開封・未回答, 回答済み, 代理回答, 無事, 軽傷, 重傷, その他
    assert_eq!(
        whole[1..],
        ["4", "3", "0", "1", "0", "1", "0", "0", "0"],
        "{whole:?}"
    );

    // A proxy answer for another member (代理回答).
    site.browser
        .click("#field-proxy_member option[value='S0015502']");
    site.browser
        .click("#field-proxy_status option[value='軽傷']");
    site.browser
        .fill("#field-proxy_comment", "本人から電話。足を捻挫、自宅待機。");
    site.browser.submit("#proxy-button");
    assert!(site.notice().contains("S0015502"), "{}", site.body());
    let row = site.browser.text("#members tr[data-code='S0015502']");
    assert!(
        row.contains("代理回答") && row.contains("admin") && row.contains("軽傷"),
        "{row}"
    );
    let whole = count_row(&mut site, "全体");
    assert_eq!(
        whole[1..],
        ["4", "2", "0", "1", "1", "1", "1", "0", "0"],
        "{whole:?}"
    );
    let section = count_row(&mut site, "総務部 / 防災危機管理課");
    assert_eq!(section[1], "4");
    site.check("rollcall-dashboard");

    // "Click a count to see who": the section's members not yet opened.
    let href = site
        .browser
        .eval(&format!(
            "return document.querySelector(\"#counts a[href$='org={CHOSEN}&progress=not_opened']\").getAttribute('href');"
        ))
        .as_str()
        .expect("a link on the count")
        .to_string();
    site.goto(&href);
    let shown: BTreeSet<String> = site
        .browser
        .eval("return Array.from(document.querySelectorAll('#members tbody tr')).map(function (r) { return r.dataset.code; });")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        shown,
        BTreeSet::from(["S0013310".to_string(), "S0014127".to_string()])
    );
    assert!(site.browser.text("#filter-note").contains("未開封"));
    assert!(site.browser.exists("#counts td.current"));
    site.check("rollcall-dashboard-filtered");

    // K-09: one member's history, the proxy marked.
    site.goto(&format!("{dashboard}/members/S0015502"));
    let answers = site.browser.text("#answers");
    assert!(
        answers.contains("代理") && answers.contains("軽傷"),
        "{answers}"
    );
    site.check("rollcall-history");

    // K-03: resend goes to the unconfirmed only.
    site.goto(&dashboard);
    let before = sink.count();
    site.browser.submit("#resend-button");
    assert!(site.notice().contains("3通"), "{}", site.body());
    assert!(
        sink.wait_for_count(before + 3, Duration::from_secs(30)),
        "{:?}",
        sink.per_recipient()
    );
    std::thread::sleep(Duration::from_millis(500));
    let again: BTreeSet<String> = sink.messages()[before..]
        .iter()
        .flat_map(|m| m.to.clone())
        .collect();
    assert_eq!(
        again,
        BTreeSet::from([
            "sato.hanako@city.example.lg.jp".to_string(),
            "sato.hanako@mobile.example.jp".to_string(),
            "suzuki.ichiro@city.example.lg.jp".to_string(),
        ]),
        "only the unconfirmed"
    );

    // Closing needs its confirmation; then the link says only that it is invalid.
    site.browser.eval(
        "document.getElementById('field-close_confirm').removeAttribute('required'); return true;",
    );
    site.browser.submit("#close-button");
    assert!(site.browser.exists("#err-close_confirm"), "{}", site.body());
    site.browser.set_checked("#field-close_confirm", true);
    site.browser.submit("#close-button");
    assert!(site.notice().contains("終了しました"), "{}", site.body());
    assert!(site.browser.exists("#closed-panel"));
    assert!(!site.browser.exists("#resend-button"));

    site.browser.resize(390, 844);
    site.browser.goto(&link);
    assert_eq!(
        site.browser.text("main").trim(),
        "このリンクは無効か、期限が切れています。"
    );
    site.check("rollcall-answer-expired");
    site.browser.resize(1366, 768);

    // The list: newest first, the drill marked, closed.
    site.goto("/rollcall");
    let list = site.browser.text("#rollcalls");
    assert!(
        list.contains("総合防災訓練") && list.contains("訓練") && list.contains("終了"),
        "{list}"
    );
    assert!(site.browser.exists("#rollcalls tr.drill-row"));
    site.check("rollcall-list");
    let _ = std::fs::remove_dir_all(&dir);
}
