//! ユーザーID管理 in a real browser: a municipality node's administrator
//! issues a clerk's ID from the console (a form with mistakes first: each named beside
//! its field, what was typed kept), sees the one-time password once, and never again;
//! the clerk logs in with it in a second browser and must change it before any other
//! page opens; the clerk's menu has no ユーザーID管理 and the page refuses them naming
//! who may; the administrator withdraws the ID and the clerk's open console session
//! ends at its next request. Checked with axe-core and photographed into
//! `docs/console/accounts.png`. Then 鍵・無効化: at the national node the
//! administrator orders a municipality clerk's ID revoked (a reason is required), the
//! order is shown 配信済み once it left, and the clerk's console session at the
//! municipality ends; the municipality's page lists the national key and refuses a
//! malformed key beside its field. Photographed into `docs/console/trust.png`.
//! R.

use std::time::{Duration, Instant};

use anpi_e2e::console_site::{ConsoleNode, MUNICIPALITY, Site};
use anpi_harness::NatsServer;

const NEW_PASSWORD: &str = "Chiyoda-Clerk-2026!";

/// Issues `id` (an input terminal) on the administrator's page: its one-time password.
fn issue_clerk(admin: &mut Site, id: &str) -> String {
    admin.goto("/accounts");
    admin.browser.fill("#field-account_id", id);
    admin.browser.fill("#field-holder", "千代田 花子");
    admin.browser.fill("#field-affiliation", "総務課");
    admin.browser.fill("#field-contact", "内線 2101");
    admin.browser.click("#role-input");
    admin
        .browser
        .fill("#field-terminal", "LGWAN端末（国民保護室）");
    admin.browser.submit("#issue-button");
    assert!(admin.browser.exists("#issued"), "{}", admin.body());
    admin.browser.text("#issued-password")
}

/// The clerk logs in with the one-time password in their own browser and changes it
/// (no other page opens before).
fn clerk_logs_in(node: &ConsoleNode, id: &str, password: &str) -> Site {
    let mut clerk = Site::open(node);
    clerk.goto("/login");
    clerk.browser.fill("#account", id);
    clerk.browser.fill("#password", password);
    clerk.browser.submit("button[type=submit]");
    assert_eq!(clerk.browser.path(), "/password", "{}", clerk.body());
    clerk.goto("/search");
    assert_eq!(clerk.browser.path(), "/password", "no other page opens");
    clerk.browser.fill("#field-current_password", password);
    clerk.browser.fill("#field-new_password", NEW_PASSWORD);
    clerk.browser.fill("#field-confirm", NEW_PASSWORD);
    clerk
        .browser
        .submit("form[action='/password'] button[type=submit]");
    clerk.goto("/");
    assert!(
        clerk.browser.exists("nav a[href='/entry/form1']"),
        "{}",
        clerk.body()
    );
    clerk
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_issues_and_withdraws_a_clerks_id_from_the_console() {
    let nats = NatsServer::start();
    let node = ConsoleNode::start(&nats).await;
    let mut admin = Site::open(&node);
    admin.login_admin(&node);

    // The menu entry, for the administrator.
    admin.goto("/");
    admin.browser.submit("nav a[href='/accounts']");
    assert_eq!(admin.browser.path(), "/accounts");
    assert!(
        admin
            .browser
            .exists("#account-table tr[data-account='admin']")
    );
    assert!(
        !admin.browser.exists("#withdraw-admin"),
        "the own ID cannot be withdrawn"
    );

    // Mistakes: named beside their fields, nothing issued, what was typed kept.
    admin.browser.fill("#field-account_id", "千代田 花子");
    admin.browser.fill("#field-holder", "千代田 花子");
    admin.browser.fill("#field-affiliation", "総務課");
    admin.browser.submit("#issue-button");
    for field in ["#err-account_id", "#err-contact", "#err-role"] {
        assert!(admin.browser.exists(field), "{field}: {}", admin.body());
    }
    assert_eq!(admin.browser.value("#field-holder"), "千代田 花子");
    assert!(
        !admin
            .browser
            .exists("#account-table tr[data-account='clerk1']")
    );

    // Issued: the one-time password on this answer only.
    let password = issue_clerk(&mut admin, "clerk1");
    assert!(password.len() >= 12, "{password}");
    let row = admin
        .browser
        .text("#account-table tr[data-account='clerk1']");
    assert!(
        row.contains("入力端末") && row.contains("初期パスワード"),
        "{row}"
    );
    admin.check("accounts");
    admin.goto("/accounts");
    assert!(!admin.browser.exists("#issued"), "shown once only");
    assert!(!admin.body().contains(&password));

    // The clerk, in another browser: the one-time password must be changed first.
    let mut clerk = clerk_logs_in(&node, "clerk1", &password);
    assert!(
        !clerk.browser.exists("nav a[href='/accounts']"),
        "an input terminal has no ユーザーID管理"
    );
    clerk.goto("/accounts");
    let refused = clerk.body();
    assert!(
        refused.contains("この操作の権限がありません") && refused.contains("管理者"),
        "{refused}"
    );
    admin.goto("/accounts");
    assert!(
        admin
            .browser
            .text("#account-table tr[data-account='clerk1']")
            .contains("使用中")
    );

    // Withdrawn: the clerk's console session ends at the next request.
    admin.browser.submit("#withdraw-clerk1");
    assert!(admin.notice().contains("返却済み"), "{}", admin.body());
    assert!(
        admin
            .browser
            .text("#account-table tr[data-account='clerk1']")
            .contains("返却済み")
    );
    assert!(!admin.browser.exists("#reset-clerk1"));
    clerk.goto("/entry/form1");
    assert_eq!(clerk.browser.path(), "/login", "{}", clerk.body());
    clerk.browser.fill("#account", "clerk1");
    clerk.browser.fill("#password", NEW_PASSWORD);
    clerk.browser.submit("button[type=submit]");
    assert_eq!(
        clerk.browser.path(),
        "/login",
        "a withdrawn ID cannot log in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_national_administrator_revokes_a_municipal_clerk_from_the_console() {
    let nats = NatsServer::start();
    let [national, municipality] = ConsoleNode::start_all(&nats, ["000001", MUNICIPALITY]).await;
    let mut local = Site::open(&municipality);
    local.login_admin(&municipality);
    let password = issue_clerk(&mut local, "clerk1");
    let mut clerk = clerk_logs_in(&municipality, "clerk1", &password);

    // The municipality's page: its own key, the national key registered, a malformed
    // key refused beside its field.
    local.goto("/");
    local.browser.submit("nav a[href='/trust']");
    assert_eq!(local.browser.path(), "/trust");
    assert!(
        local.browser.exists("#key-table tr[data-child='000001']"),
        "{}",
        local.body()
    );
    assert!(
        !local.browser.exists("#revoke-form"),
        "the national node only"
    );
    local.browser.fill("#field-child", "000001");
    local.browser.fill("#field-public_key", "not a key");
    local.browser.submit("#key-button");
    assert!(local.browser.exists("#err-public_key"), "{}", local.body());
    assert_eq!(
        local.browser.value("#field-child"),
        "000001",
        "what was typed is kept"
    );

    // The national administrator orders the clerk's ID revoked (a reason first).
    let mut admin = Site::open(&national);
    admin.login_admin(&national);
    admin.goto("/trust");
    admin.browser.fill("#field-jurisdiction", MUNICIPALITY);
    admin.browser.fill("#field-account_id", "clerk1");
    admin.browser.submit("#revoke-button");
    assert!(admin.browser.exists("#err-reason"), "{}", admin.body());
    assert_eq!(admin.browser.value("#field-account_id"), "clerk1");
    admin
        .browser
        .fill("#field-reason", "端末の紛失（千代田区から電話で連絡）");
    admin.browser.submit("#revoke-button");
    assert!(
        admin.notice().contains("無効化を指示しました"),
        "{}",
        admin.body()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        admin.goto("/trust");
        let row = admin.browser.text(&format!(
            "#order-table tr[data-account='{MUNICIPALITY}/clerk1']"
        ));
        if row.contains("配信済み") {
            break;
        }
        assert!(Instant::now() < deadline, "{row}");
        std::thread::sleep(Duration::from_millis(300));
    }
    admin.check("trust");

    // The clerk's console session at the municipality ends.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        clerk.goto("/");
        if clerk.browser.path() == "/login" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still logged in:\n{}",
            municipality.node.node.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    local.goto("/accounts");
    let row = local
        .browser
        .text("#account-table tr[data-account='clerk1']");
    assert!(row.contains("返却済み") || row.contains("無効"), "{row}");
}
