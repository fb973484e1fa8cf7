//! The disaster information pages (災害情報, K-07) in a real browser: a municipality
//! node with its console and public listener, `deploy/smtp/sink.py` on loopback,
//! headless chromium through chromedriver. The administrator fills in the emergency
//! contacts and links (a wrong phone number and a `javascript:` link refused beside
//! their fields first), two evacuation routes and two posts on the bulletin board (one
//! withdrawn again, kept in the history), then sends a roll-call; a member opens the
//! link in their mail on a phone, follows 災害情報を見る and sees the posts newest first,
//! the contacts as phone links, the routes with their map links and the links. Both
//! screens are checked with axe-core and photographed into `docs/console/`. R: K-07.

use std::time::Duration;

use anpi_e2e::console_site::{ConsoleNode, Site, link_in};
use anpi_harness::NatsServer;
use anpi_harness::smtp::SmtpSink;

/// A row field of the contacts and links form (`contact_phone`, 0).
fn row(name: &str, index: usize) -> String {
    format!("[id='field-{name}.{index}']")
}

/// The ids (`data-id`) of the elements matching `css`, in page order.
fn ids(site: &mut Site, css: &str) -> Vec<String> {
    site.browser
        .eval(&format!(
            "return Array.from(document.querySelectorAll(\"{css}\")).map(function (e) {{ return e.id; }});"
        ))
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_fill_in_the_disaster_information_and_a_member_reads_it_on_a_phone() {
    let nats = NatsServer::start();
    let sink = SmtpSink::start();
    let node = ConsoleNode::start(&nats).await;
    let mut site = Site::open(&node);
    site.login_admin(&node);
    site.rollcall_setup(&node, sink.port);

    // The page is in the roll-call menu.
    site.goto("/rollcall");
    site.browser.submit("nav.subnav a[href='/rollcall/info']");
    assert_eq!(site.browser.path(), "/rollcall/info");
    assert!(site.browser.exists("#no-notices") && site.browser.exists("#no-routes"));

    // Contacts and links: mistakes named beside their fields, what was typed kept.
    let contacts = [
        ("災害対策本部（本庁舎3階）", "03-3264-2111", "24時間対応"),
        ("総務部 防災危機管理課", "03-5211-4187", "平日 8:30〜17:15"),
        (
            "安否の伝言（災害用伝言ダイヤル）",
            "171",
            "被災地の固定電話番号を入力",
        ),
    ];
    for (i, (name, phone, note)) in contacts.iter().enumerate() {
        site.browser.fill(&row("contact_name", i), name);
        site.browser.fill(&row("contact_phone", i), phone);
        site.browser.fill(&row("contact_note", i), note);
    }
    site.browser.fill(&row("contact_phone", 1), "防災課へ");
    let links = [
        ("気象庁 防災情報", "https://www.jma.go.jp/bosai/"),
        ("内閣府 防災情報のページ", "https://www.bousai.go.jp/"),
        ("千代田区 避難所一覧", "javascript:alert(1)"),
    ];
    for (i, (title, url)) in links.iter().enumerate() {
        site.browser.fill(&row("link_title", i), title);
        site.browser.fill(&row("link_url", i), url);
    }
    site.browser.submit("#save-info-button");
    assert!(
        site.browser.exists("[id='err-contact_phone.1']")
            && site.browser.exists("[id='err-link_url.2']"),
        "{}",
        site.body()
    );
    assert!(
        site.browser
            .text("#error-summary")
            .contains("緊急連絡先 2行目の電話番号"),
        "the summary names the row and field"
    );
    assert_eq!(
        site.browser.value(&row("contact_name", 2)),
        contacts[2].0,
        "what was typed is kept"
    );
    site.browser.fill(&row("contact_phone", 1), contacts[1].1);
    site.browser.fill(
        &row("link_url", 2),
        "https://www.city.chiyoda.lg.jp/koho/kurashi/bosai/",
    );
    site.browser.submit("#save-info-button");
    assert!(site.notice().contains("保存しました"), "{}", site.body());
    assert_eq!(site.browser.value(&row("contact_phone", 0)), "03-3264-2111");
    assert_eq!(
        site.browser.value(&row("contact_name", 3)),
        "",
        "an empty row"
    );

    // Two evacuation routes, one on each map service (a route without a name first).
    site.browser
        .fill("#field-route_origin", "東京都千代田区九段南1-2-1");
    site.browser.submit("#add-route-button");
    assert!(site.browser.exists("#err-route_name"), "{}", site.body());
    assert!(site.browser.exists("#err-route_destination"));
    assert_eq!(
        site.browser.value("#field-route_origin"),
        "東京都千代田区九段南1-2-1"
    );
    site.browser
        .fill("#field-route_name", "本庁舎から第一避難所");
    site.browser
        .fill("#field-route_destination", "千代田区立九段小学校");
    site.browser.click("#map-google");
    site.browser.submit("#add-route-button");
    assert!(site.notice().contains("追加しました"), "{}", site.body());
    site.browser
        .fill("#field-route_name", "本庁舎から帰宅（四ツ谷駅）");
    site.browser.click("#map-open_street_map");
    site.browser
        .fill("#field-route_origin", "東京都千代田区九段南1-2-1");
    site.browser.fill("#field-route_destination", "四ツ谷駅");
    site.browser.submit("#add-route-button");
    let listed = site.browser.text("#route-list");
    assert!(
        listed.contains("本庁舎から第一避難所")
            && listed.contains("Google マップ")
            && listed.contains("OpenStreetMap"),
        "{listed}"
    );
    let google = site
        .browser
        .eval("return document.querySelector(\"#route-list tr[data-id='1'] a.map-link\").href;")
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        google.starts_with("https://www.google.com/maps/dir/?api=1&origin=%E6%9D%B1")
            && google.ends_with("&travelmode=walking"),
        "{google}"
    );

    // The bulletin board: two posts; a mistaken third withdrawn (a reason is needed).
    site.browser
        .fill("#field-notice_title", "本日の出勤について");
    site.browser.fill(
        "#field-notice_body",
        "本日は原則として自宅待機としてください。\n出勤の要否は、所属長から連絡します。",
    );
    site.browser.submit("#post-button");
    assert!(site.notice().contains("掲載しました"), "{}", site.body());
    site.browser
        .fill("#field-notice_title", "交通機関の運行状況（誤り）");
    site.browser
        .fill("#field-notice_body", "全線で運転を再開しました。");
    site.browser.submit("#post-button");
    site.browser
        .fill("#field-notice_title", "交通機関の運行状況");
    site.browser.fill(
        "#field-notice_body",
        "JR中央線・総武線は運転を見合わせています。地下鉄は一部区間で運転しています。\n無理に移動せず、安全な場所にとどまってください。",
    );
    site.browser.submit("#post-button");
    assert_eq!(
        ids(&mut site, "#notice-list > li"),
        ["notice-3", "notice-2", "notice-1"],
        "newest first"
    );
    site.browser.submit("#withdraw-button-2");
    assert!(
        site.browser.exists("[id='err-withdraw_reason.2']"),
        "{}",
        site.body()
    );
    site.browser.fill(
        "[id='field-withdraw_reason.2']",
        "運転再開は誤りのため（第3報で訂正）",
    );
    site.browser.submit("#withdraw-button-2");
    assert!(site.notice().contains("取り下げました"), "{}", site.body());
    let withdrawn = site.browser.text("#notice-2");
    assert!(
        withdrawn.contains("取り下げ") && withdrawn.contains("誤りのため"),
        "kept in the history: {withdrawn}"
    );
    assert!(!site.browser.exists("#withdraw-2"));
    site.check("rollcall-info-admin");

    // A roll-call, so that members get a link.
    site.goto("/rollcall");
    site.browser.fill("#field-rollcall_title", "震度5強の地震");
    site.browser.click("#org-soumu_bousai");
    site.browser.click("#mode-actual");
    site.browser.submit("#send-button");
    assert!(
        site.browser.path().starts_with("/rollcall/0"),
        "{}\n{}",
        site.body(),
        node.node.node.log()
    );
    assert!(
        sink.wait_for_count(5, Duration::from_secs(30)),
        "{:?}\n{}",
        sink.per_recipient(),
        node.node.node.log()
    );
    let mail = sink
        .messages()
        .into_iter()
        .find(|m| m.to == ["yamada.taro@city.example.lg.jp"])
        .expect("山田's mail");
    let prefix = format!("{}/r/", node.public_url());
    let link = link_in(&mail.body(), &prefix);
    let token = &link[prefix.len()..];

    // The member, on a phone: the answer page, then 災害情報を見る.
    site.browser.resize(390, 844);
    site.browser.goto(&link);
    assert!(site.browser.exists("#info-link"), "{}", site.body());
    site.browser.submit("#info-link");
    assert_eq!(site.browser.path(), format!("/r/{token}/info"));
    let page = site.body();
    assert!(page.contains("山田"), "{page}");
    assert_eq!(
        ids(&mut site, "article.notice-item"),
        ["notice-3", "notice-1"],
        "newest first, the withdrawn post hidden"
    );
    assert!(!page.contains("（誤り）"));
    assert!(site.browser.exists("a[href='tel:0332642111']"));
    assert!(site.browser.exists("a[href='tel:171']"));
    let outward = site.browser.eval(
        "return Array.from(document.querySelectorAll('a[target=_blank]')).map(function (a) { return a.rel + ' ' + a.href; });",
    );
    let outward: Vec<String> = outward
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(outward.len(), 5, "two routes and three links: {outward:?}");
    for link in &outward {
        assert!(link.starts_with("noopener noreferrer https://"), "{link}");
    }
    assert!(
        outward
            .iter()
            .any(|l| l.contains("openstreetmap.org/directions?engine=fossgis_osrm_foot&from=")),
        "{outward:?}"
    );
    let (page_width, window_width) = site.browser.widths();
    assert!(page_width <= window_width, "the page fits a phone");
    site.check("rollcall-info-member");
    site.browser.resize(1366, 768);
}
