//! The clerks' web console in a real browser (issue 15): Debian's headless chromium
//! through chromedriver against real node processes (a prefecture and a municipality
//! on one NATS), every screen checked with axe-core (no serious or critical
//! violation) and photographed into `docs/console/` at 1366×768.
//! R: E-01..E-13, R-01, R-03..R-05, D-04, D-05, S-01..S-04, P-04, T-04, A-01..A-03,
//! C-01, C-02, A-06.

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

    // C-02: the search results as CSV — the same form POSTed again with the download
    // button (fetched with the page's cookie, as the button would): CP932, the heading
    // names the incident, its mode and 「検索結果」, one row per result on the screen,
    // and the download is in the read log with the query and the row count.
    assert!(site.browser.exists("#download-cp932"), "{}", site.body());
    let shown = site
        .browser
        .eval("return document.querySelectorAll('#results-table tr.result').length;")
        .as_u64()
        .unwrap_or_default() as usize;
    let download = site.browser.eval(
        "var data = new URLSearchParams(new FormData(document.getElementById('search-form')));
         data.append('download', 'cp932');
         return fetch('/search', {method: 'POST', body: data, credentials: 'same-origin'})
           .then(function (r) { return r.arrayBuffer().then(function (b) {
             return {status: r.status, type: r.headers.get('content-type'),
                     disposition: r.headers.get('content-disposition'),
                     bytes: Array.from(new Uint8Array(b))};
           }); });",
    );
    assert_eq!(download["status"], 200, "{download}");
    assert_eq!(download["type"], "text/csv; charset=Shift_JIS");
    let disposition = download["disposition"].as_str().unwrap_or_default();
    // 安否情報_ … _検索結果_訓練_ in the RFC 5987 file name.
    assert!(
        disposition.contains("%E6%A4%9C%E7%B4%A2%E7%B5%90%E6%9E%9C_%E8%A8%93%E7%B7%B4_"),
        "{disposition}"
    );
    let bytes: Vec<u8> = download["bytes"]
        .as_array()
        .expect("the file's bytes")
        .iter()
        .map(|b| b.as_u64().unwrap_or_default() as u8)
        .collect();
    let (text, encoding) = anpi_files::decode_detected(&bytes).expect("the download decodes");
    assert_eq!(encoding, anpi_files::TextEncoding::Cp932);
    assert!(text.contains("\r\n"), "CRLF");
    let lines = anpi_files::read_csv(&text).expect("the download reads as CSV");
    let heading = &lines[0].fields[0];
    assert!(
        heading.starts_with("安否情報書出し 【訓練】 検索結果 ") && heading.contains("書出し日時"),
        "{heading}"
    );
    assert_eq!(lines[1].fields[..2], ["状態", "安否情報ID"]);
    assert_eq!(lines.len() - 2, shown, "one row per result shown");
    assert!(
        lines.iter().skip(2).any(|l| l.fields[1] == ichiro),
        "一郎's record is in the file"
    );
    let (client, connection) = tokio_postgres::connect(&municipality.db.url, tokio_postgres::NoTls)
        .await
        .expect("connecting to the node database");
    tokio::spawn(connection);
    let logged: Vec<(String, String, i64)> = client
        .query(
            "SELECT account, query->'query'->>'name', results::bigint FROM read_log \
             WHERE operation = 'export_search'",
            &[],
        )
        .await
        .expect("the read log")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    assert_eq!(logged.len(), 1, "one download, one entry: {logged:?}");
    assert!(logged[0].0.ends_with("clerk1"), "{logged:?}");
    assert_eq!((logged[0].1.as_str(), logged[0].2), ("消防", shown as i64));

    // C-01: CSV取込 of the chosen (drill) incident, from the menu.
    site.goto("/import");
    assert!(site.browser.text("#target-mode").contains("訓練"));
    assert!(
        site.browser.is_checked("#choice-all"),
        "all or nothing by default"
    );
    site.check("import");
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/csv/examples/form1.csv")
        .canonicalize()
        .expect("schemas/csv/examples/form1.csv");

    // While a long file is sent, the button is disabled and the page says to wait
    // (console.js; the submission itself is held back here to look at the page).
    site.browser.eval(
        "document.getElementById('import-form').addEventListener('submit', function (e) { e.preventDefault(); }); return true;",
    );
    site.browser.set_file("#field-file", &example);
    site.browser.click("#import-button");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let busy = site.browser.eval(
        "return [document.getElementById('import-button').disabled, document.getElementById('import-busy').textContent];",
    );
    assert_eq!(busy[0], true, "{busy}");
    assert!(
        busy[1]
            .as_str()
            .unwrap_or_default()
            .contains("取込中です。画面を閉じずにお待ちください"),
        "{busy}"
    );
    site.goto("/import");
    let template_csv = site.browser.eval(
        "return fetch('/import/template.csv').then(function (r) { return r.arrayBuffer(); })
           .then(function (b) { return Array.from(new Uint8Array(b)); });",
    );
    let template_csv: Vec<u8> = template_csv
        .as_array()
        .expect("the template's bytes")
        .iter()
        .map(|b| b.as_u64().unwrap_or_default() as u8)
        .collect();
    let template_read = anpi_files::check_file(&template_csv, chrono::Utc::now())
        .expect("the empty template reads back");
    assert!(template_read.errors.is_empty() && template_read.valid.is_empty());

    // 確認のみ: the example file is right, and nothing is registered.
    let records = municipality.count("SELECT count(*) FROM records").await;
    site.browser.set_file("#field-file", &example);
    site.browser.click("#choice-check");
    site.browser.submit("#import-button");
    assert!(
        site.browser
            .text("#import-summary")
            .contains("何も登録していません"),
        "{}",
        site.body()
    );
    assert_eq!(site.browser.text("#valid-count"), "3件");
    assert_eq!(site.browser.text("#bad-count"), "0件");
    assert!(site.browser.text("#result-encoding").contains("UTF-8"));
    assert_eq!(
        municipality.count("SELECT count(*) FROM records").await,
        records,
        "確認のみ registers nothing"
    );

    // A bad row (花子's birth date, line 3) with the default choice: the error table
    // names the line and the column, and nothing is registered.
    let files = anpi_harness::TempDir::new("anpi-import");
    let bad = files.path().join("bad.csv");
    let text = std::fs::read_to_string(&example).expect("reading form1.csv");
    assert!(text.contains("H10.10.10"));
    std::fs::write(&bad, text.replace("H10.10.10", "平成99年13月1日")).expect("bad.csv");
    site.browser.set_file("#field-file", &bad);
    assert!(
        site.browser.is_checked("#choice-check"),
        "the choice is kept"
    );
    site.browser.click("#choice-all");
    site.browser.submit("#import-button");
    let summary = site.browser.text("#import-summary");
    assert!(summary.contains("何も登録していません"), "{summary}");
    assert_eq!(site.browser.text("#bad-count"), "1件");
    let row = site.browser.text("#import-errors tr[data-line='3']");
    assert!(
        row.contains("3行目") && row.contains("出生の年月日"),
        "{row}"
    );
    site.check("import-errors");
    assert_eq!(
        municipality.count("SELECT count(*) FROM records").await,
        records,
        "a bad file registers nothing"
    );

    // 正しい行だけ登録: the two good rows are registered and on the organise screen.
    site.browser.set_file("#field-file", &bad);
    site.browser.click("#choice-valid");
    site.browser.submit("#import-button");
    let summary = site.browser.text("#import-summary");
    assert!(summary.contains("2件を登録しました"), "{summary}");
    assert_eq!(site.browser.text("#registered-count"), "2件");
    assert_eq!(
        municipality.count("SELECT count(*) FROM records").await,
        records + 2
    );
    site.browser.submit("#to-organise");
    assert_eq!(site.browser.path(), "/organise");
    let organise = site.body();
    assert!(organise.contains("消防　太郎"), "{organise}");

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
