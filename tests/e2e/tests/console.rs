//! The clerks' web console in a real browser (issue 15): Debian's headless chromium
//! through chromedriver against real node processes (a prefecture and a municipality
//! on one NATS), every screen checked with axe-core (no serious or critical
//! violation) and photographed into `docs/console/` at 1366×768.
//! R: E-01..E-13, R-01, R-03..R-05, D-04, D-05, S-01..S-04, P-04, T-04, A-01..A-03.

use std::path::PathBuf;

use anpi_e2e::{Member, network_with};
use anpi_harness::browser::Browser;
use anpi_harness::{NatsServer, free_port, wait_for_port};
use anpi_proto::v1;

const PREFECTURE: &str = "130001";
const MUNICIPALITY: &str = "131016";

/// A browser on one node's console.
struct Console {
    browser: Browser,
    base: String,
}

impl Console {
    fn open(base: &str) -> Console {
        let mut browser = Browser::start();
        browser.resize(1366, 768);
        Console {
            browser,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn goto(&mut self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.browser.goto(&url);
    }

    fn login(&mut self, account: &str, password: &str) {
        self.goto("/login");
        self.browser.fill("#account", account);
        self.browser.fill("#password", password);
        self.browser.submit("button[type=submit]");
    }

    /// axe on the current page (no serious or critical violation), then its picture.
    fn check(&mut self, name: &str) {
        let violations = self.browser.axe_violations();
        assert!(
            violations.is_empty(),
            "{name}: accessibility violations:\n{}",
            violations.join("\n")
        );
        self.browser.screenshot(&screenshot_path(name));
    }

    fn body(&mut self) -> String {
        self.browser.text("body")
    }
}

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/console")
        .join(format!("{name}.png"))
}

/// Issues an account at `member` and returns its one-time password.
async fn issue(member: &mut Member, account: &str, role: &str) -> String {
    let request = member.client.req(v1::CreateAccountRequest {
        account_id: account.into(),
        holder: "試験 担当".into(),
        affiliation: "防災課".into(),
        contact: "03-0000-0000".into(),
        role: role.into(),
        terminal: String::new(),
    });
    member
        .client
        .node
        .create_account(request)
        .await
        .expect("issuing an account")
        .into_inner()
        .initial_password
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_works_through_the_console() {
    let nats = NatsServer::start();
    let ports = [free_port(), free_port()];
    let ([prefecture, mut municipality], incident) =
        network_with(&nats, [PREFECTURE, MUNICIPALITY], |code| {
            let port = if code == PREFECTURE {
                ports[0]
            } else {
                ports[1]
            };
            format!("console_listen = \"127.0.0.1:{port}\"\n")
        })
        .await;
    let one_time = issue(&mut municipality, "clerk1", "organise").await;
    for port in ports {
        assert!(
            wait_for_port(port, std::time::Duration::from_secs(20)),
            "no console on {port}"
        );
    }

    // a wrong password is refused without saying why; the one-time password
    // leads to the password change, and no other page opens before it.
    let mut site = Console::open(&format!("http://127.0.0.1:{}", ports[1]));
    site.goto("/");
    assert_eq!(site.browser.path(), "/login", "no page without a login");
    site.check("login");
    site.login("clerk1", "wrong-password-1");
    assert!(site.body().contains("正しくありません"), "{}", site.body());
    site.login("clerk1", &one_time);
    assert_eq!(site.browser.path(), "/password");
    site.goto("/organise");
    assert_eq!(
        site.browser.path(),
        "/password",
        "only the password page opens"
    );
    site.check("password");
    site.browser.fill("#field-current_password", &one_time);
    site.browser.fill("#field-new_password", "Kuchi-2026-safe!");
    site.browser.fill("#field-confirm", "Kuchi-2026-other!");
    site.browser
        .submit("form[action='/password'] button[type=submit]");
    assert!(
        site.browser.exists("#err-confirm"),
        "the mismatch is shown beside the field: {}\n{}",
        site.body(),
        municipality.node.log()
    );
    site.browser.fill("#field-current_password", &one_time);
    site.browser.fill("#field-new_password", "Kuchi-2026-safe!");
    site.browser.fill("#field-confirm", "Kuchi-2026-safe!");
    site.browser
        .submit("form[action='/password'] button[type=submit]");
    assert_eq!(site.browser.path(), "/");
    assert!(site.body().contains("パスワードを変更しました"));

    // The incident: chosen on the first screen; a drill shows its banner everywhere.
    let radio = format!("input[name=incident][value='{incident}']");
    site.browser.click(&radio);
    site.browser
        .submit("form[action='/incident'] button[type=submit]");
    assert!(site.browser.exists(".drill-banner"), "the drill banner");
    assert!(site.body().contains("訓練"));
    site.check("incidents");

    // Form 1, blank; then bad input: refused beside each field, nothing written.
    let before = municipality.count("SELECT count(*) FROM records").await;
    site.goto("/entry/form1");
    site.check("form1");
    site.browser.fill("#field-name", &"長".repeat(10_000));
    site.browser.fill("#field-birth_date", "令和7年2月30日");
    site.browser
        .fill("#field-furigana", "<script>alert(1)</script>");
    site.browser.submit("button[name=action][value=save]");
    assert!(site.browser.exists("#error-summary"), "{}", site.body());
    let page = site.browser.source();
    assert!(page.contains("field-name") && page.contains("field-birth_date"));
    assert!(!page.contains("<script>alert(1)"), "markup is never echoed");
    let summary = site.browser.text("#error-summary");
    assert!(
        summary.contains("氏名") && summary.contains("出生の年月日"),
        "{summary}"
    );
    site.check("form1-errors");
    assert_eq!(
        municipality.count("SELECT count(*) FROM records").await,
        before,
        "nothing written"
    );
    site.browser.fill("#field-name", "");
    site.browser.fill("#field-birth_date", "");
    site.browser.fill("#field-furigana", "");
    site.browser.submit("button[name=action][value=save]");
    assert!(
        site.browser.exists("#error-summary"),
        "missing fields are refused"
    );

    // E-09, figure 4-1: ⑬ refused but ⑭ agreed is inconsistent: the cells are marked,
    // and the entry is saved only once the clerk confirms.
    let first = enter_form1(
        &mut site,
        &Person::new(
            "消防　一郎",
            "ショウボウ　イチロウ",
            "昭和56年11月25日",
            "男",
        ),
        |site| {
            site.browser
                .set_checked("input[name='consent.acquaintance_refused']", true);
            site.browser
                .click("input[name='consent.others'][value='同意する']");
        },
    );
    assert!(
        first.is_none(),
        "an inconsistent consent is not saved unconfirmed"
    );
    assert!(
        site.browser.exists(".consent-mismatch"),
        "the cells are coloured"
    );
    assert!(site.body().contains("要確認"));
    site.check("form1-consent");
    site.browser
        .set_checked("input[name=confirm_consent]", true);
    site.browser.submit("button[name=action][value=save]");
    let ichiro = record_of(&mut site).expect("saved after confirming");
    assert!(site.body().contains("登録しました"));
    site.check("record");

    let jiro = enter_form1(
        &mut site,
        &Person::new("消防　次郎", "ショウボウ　ジロウ", "1990-04-01", "男"),
        |_| {},
    )
    .expect("a second evacuee");
    let hanako = enter_form1(
        &mut site,
        &Person::new("消防　花子", "ショウボウ　ハナコ", "1985-07-07", "女"),
        |_| {},
    )
    .expect("a third evacuee");
    // A person of another nationality, for the Red Cross view (P-04).
    let smith = enter_form1(
        &mut site,
        &Person::new("SMITH JOHN", "スミス　ジョン", "1992-03-03", "男"),
        |site| {
            site.browser
                .click("input[name='nationality.kind'][value='その他']");
            site.browser.fill("#field-nationality\\.other", "アメリカ");
        },
    )
    .unwrap_or_else(|| panic!("a non-Japanese evacuee: {}", site.body()));

    // E-11: 次郎 died: Form 2 converted from his Form 1 record.
    site.goto(&format!("/records/{jiro}/death"));
    assert_eq!(
        site.browser.value("#field-name"),
        "消防　次郎",
        "pre-filled from Form 1"
    );
    site.browser.fill("#field-death\\.date", "2026-12-04");
    site.browser
        .fill("#field-death\\.place", "千代田区霞が関1丁目付近");
    site.browser
        .fill("#field-body_location", "千代田区総合体育館");
    site.browser
        .click("input[name='bereaved.consent'][value='同意しない']");
    site.browser.fill("#field-bereaved\\.name", "消防　良子");
    site.browser.fill("#field-bereaved\\.relationship", "母");
    site.check("form2");
    site.browser.submit("button[name=action][value=save]");
    let jiro_dead =
        record_of(&mut site).unwrap_or_else(|| panic!("the Form 2 record: {}", site.body()));
    assert_ne!(jiro_dead, jiro);

    // E-10: the update screen is the entry form pre-filled from the record, replacing it.
    site.goto(&format!("/records/{smith}/update"));
    assert_eq!(site.browser.value("#field-name"), "SMITH JOHN");
    assert!(site.browser.exists("input[name=supersedes]"));
    site.check("record-update");

    // E-12: 一郎 left the shelter; E-09: 花子's record was a mistake.
    site.goto(&format!("/records/{ichiro}"));
    site.browser
        .submit("form[action$='/depart'] button[type=submit]");
    assert!(site.body().contains("退去"), "{}", site.body());
    site.goto(&format!("/records/{hanako}"));
    site.browser
        .fill("form[action$='/delete'] [name=reason]", "誤登録");
    site.browser
        .submit("form[action$='/delete'] button[type=submit]");
    assert!(site.body().contains("削除"), "{}", site.body());

    // 重複検索・報告 (figure 4-7): every state, unreported first, then the report.
    site.goto("/organise");
    let state = |site: &mut Console, id: &str| {
        site.browser
            .text(&format!("tr.record[data-record='{id}'] td.state"))
    };
    assert!(state(&mut site, &ichiro).contains("退去"));
    assert!(state(&mut site, &hanako).contains("削除"));
    assert!(
        state(&mut site, &jiro).contains("削除"),
        "the converted Form 1 record"
    );
    assert!(state(&mut site, &jiro_dead).contains("死亡"));
    assert!(state(&mut site, &smith).contains("新規"));
    assert!(site.browser.exists("tr.record.unreported"));
    assert!(site.browser.text("#report-button").contains("報告"));
    site.check("organise");
    site.browser.submit("#report-button");
    assert!(site.body().contains("報告しました"), "{}", site.body());

    // The prefecture's 報告履歴 (figure 4-12): the report, not yet forwarded, coloured
    // and labelled; after the prefecture reports, forwarded.
    let mut deadline = 0;
    while prefecture
        .count("SELECT count(*) FROM reports_received")
        .await
        < 1
    {
        deadline += 1;
        assert!(
            deadline < 600,
            "the report did not reach the prefecture:\n{}",
            prefecture.node.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut upper = Console::open(&format!("http://127.0.0.1:{}", ports[0]));
    upper.login("admin", &prefecture.node.password);
    upper.goto("/reports");
    assert!(
        upper
            .browser
            .exists("#received-reports tr.received.not-forwarded"),
        "{}",
        upper.body()
    );
    assert!(upper.body().contains("未転送"));
    upper.check("reports");
    upper.goto("/organise");
    upper.browser.submit("#report-button");
    upper.goto("/reports");
    assert!(
        upper
            .browser
            .exists("#received-reports tr.received.forwarded"),
        "{}",
        upper.body()
    );
    assert!(
        !upper
            .browser
            .exists("#received-reports tr.received.not-forwarded")
    );

    // 受付停止・再開 of own registrations, with the state shown.
    site.goto("/intake");
    site.browser.submit("#pause-own");
    assert!(site.browser.text("#state-own").contains("一時停止中"));
    site.check("intake");
    site.browser.submit("#resume-own");
    assert!(site.browser.text("#state-own").contains("受付中"));

    // S-01, S-02: search, results with state and collecting body.
    site.goto("/search");
    site.browser.fill("#field-name", "消防");
    site.browser.set_checked("#field-fuzzy", true);
    site.browser.submit("#search-button");
    assert!(
        site.browser
            .exists(&format!("#results-table tr.result[data-record='{ichiro}']")),
        "{}",
        site.body()
    );
    site.check("search");

    // an input terminal cannot open search; P-04: the Red Cross view shows only
    // persons of non-Japanese or unknown nationality.
    let input_password = issue(&mut municipality, "input1", "input").await;
    let mut input = Console::open(&format!("http://127.0.0.1:{}", ports[1]));
    first_login(&mut input, "input1", &input_password);
    input.goto("/search");
    assert!(!input.browser.exists("#search-form"), "{}", input.body());
    assert!(input.body().contains("権限"), "{}", input.body());
    input.check("forbidden");
    let red_cross_password = issue(&mut municipality, "redcross1", "red_cross").await;
    let mut red_cross = Console::open(&format!("http://127.0.0.1:{}", ports[1]));
    first_login(&mut red_cross, "redcross1", &red_cross_password);
    red_cross.goto("/search");
    assert!(red_cross.browser.exists("#red-cross-view"));
    red_cross
        .browser
        .click("select[name=sex] option[value='男']");
    red_cross.browser.submit("#search-button");
    assert!(
        red_cross
            .browser
            .exists(&format!("#results-table tr.result[data-record='{smith}']")),
        "{}",
        red_cross.body()
    );
    assert!(
        !red_cross
            .browser
            .exists(&format!("#results-table tr.result[data-record='{ichiro}']"))
    );
    red_cross.check("search-red-cross");

    // On a phone: the entry form has no horizontal scrolling.
    site.browser.resize(390, 844);
    site.goto("/entry/form1");
    let (page_width, window_width) = site.browser.widths();
    assert!(
        page_width <= window_width,
        "the entry form fits a phone ({page_width} > {window_width})"
    );
    site.browser.screenshot(&screenshot_path("form1-phone"));
}

/// What the test types for one person.
struct Person {
    name: &'static str,
    furigana: &'static str,
    birth: &'static str,
    sex: &'static str,
}

impl Person {
    fn new(
        name: &'static str,
        furigana: &'static str,
        birth: &'static str,
        sex: &'static str,
    ) -> Person {
        Person {
            name,
            furigana,
            birth,
            sex,
        }
    }
}

/// Fills Form 1 for `person` (address in 千代田区, not injured), lets `more` change
/// the form, saves; the new record's ID, or `None` when the form came back.
fn enter_form1(
    site: &mut Console,
    person: &Person,
    more: impl FnOnce(&mut Console),
) -> Option<String> {
    site.goto("/entry/form1");
    site.browser.fill("#field-name", person.name);
    site.browser.fill("#field-furigana", person.furigana);
    site.browser.fill("#field-birth_date", person.birth);
    site.browser
        .click(&format!("input[name=sex][value='{}']", person.sex));
    site.browser
        .fill("#field-address_line", "東京都千代田区霞が関2丁目1番2号");
    site.browser
        .click("input[name='injury.status'][value='非該当']");
    more(site);
    site.browser.submit("button[name=action][value=save]");
    record_of(site)
}

/// The record ID of the record page the browser shows, if it shows one.
fn record_of(site: &mut Console) -> Option<String> {
    let path = site.browser.path();
    path.strip_prefix("/records/")
        .filter(|id| id.len() == 36 && !id.contains('/'))
        .map(str::to_string)
}

/// Logs in with a one-time password and changes it.
fn first_login(site: &mut Console, account: &str, one_time: &str) {
    site.login(account, one_time);
    assert_eq!(site.browser.path(), "/password", "{}", site.body());
    site.browser.fill("#field-current_password", one_time);
    site.browser.fill("#field-new_password", "Tsugi-2026-safe!");
    site.browser.fill("#field-confirm", "Tsugi-2026-safe!");
    site.browser
        .submit("form[action='/password'] button[type=submit]");
    assert_eq!(site.browser.path(), "/", "{}", site.body());
}
