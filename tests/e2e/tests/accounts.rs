//! ユーザーID管理 in a real browser: a municipality node's administrator
//! issues a clerk's ID from the console (a form with mistakes first: each named beside
//! its field, what was typed kept), sees the one-time password once, and never again;
//! the clerk logs in with it in a second browser and must change it before any other
//! page opens; the clerk's menu has no ユーザーID管理 and the page refuses them naming
//! who may; the administrator withdraws the ID and the clerk's open console session
//! ends at its next request. Checked with axe-core and photographed into
//! `docs/console/accounts.png`. R.

use anpi_e2e::console_site::{ConsoleNode, Site};
use anpi_harness::NatsServer;

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
    admin.browser.fill("#field-account_id", "clerk1");
    admin.browser.fill("#field-contact", "内線 2101");
    admin.browser.click("#role-input");
    admin
        .browser
        .fill("#field-terminal", "LGWAN端末（国民保護室）");
    admin.browser.submit("#issue-button");
    assert!(admin.browser.exists("#issued"), "{}", admin.body());
    let password = admin.browser.text("#issued-password");
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
    let mut clerk = Site::open(&node);
    clerk.goto("/login");
    clerk.browser.fill("#account", "clerk1");
    clerk.browser.fill("#password", &password);
    clerk.browser.submit("button[type=submit]");
    assert_eq!(clerk.browser.path(), "/password", "{}", clerk.body());
    clerk.goto("/search");
    assert_eq!(clerk.browser.path(), "/password", "no other page opens");
    let new = "Chiyoda-Clerk-2026!";
    clerk.browser.fill("#field-current_password", &password);
    clerk.browser.fill("#field-new_password", new);
    clerk.browser.fill("#field-confirm", new);
    clerk
        .browser
        .submit("form[action='/password'] button[type=submit]");
    clerk.goto("/");
    assert!(clerk.browser.exists("nav a[href='/entry/form1']"));
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
    clerk.browser.fill("#password", new);
    clerk.browser.submit("button[type=submit]");
    assert_eq!(
        clerk.browser.path(),
        "/login",
        "a withdrawn ID cannot log in"
    );
}
