//! The clerks' web console in a real browser (issue 15): Debian's headless chromium
//! through chromedriver against real node processes (a prefecture and a municipality
//! on one NATS), every screen checked with axe-core (no serious or critical
//! violation) and photographed into `docs/console/` at 1366×768.
//! R: E-01..E-13, R-01, R-03..R-05, D-04, D-05, S-01..S-04, P-04, T-04, A-01..A-03.

use std::path::PathBuf;

use anpi_e2e::{Member, network_with};
use anpi_harness::browser::Browser;
use anpi_harness::{NatsServer, free_port};
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
    let ([mut prefecture, mut municipality], incident) =
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

    let _ = &mut prefecture;
}
