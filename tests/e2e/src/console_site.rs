//! What the browser tests of the roll-call screens share: a municipality node with its
//! console and public listener, the console in headless chromium (`Site`: open a path,
//! the page's text, the notice a POST left, a download's bytes, the axe check and the
//! screenshot into `docs/console/`), the administrator's login, and the roll-call set-up
//! every such test starts from (the mail server pointed at the SMTP sink and the
//! example organisation and member files loaded).

use std::path::PathBuf;
use std::time::Duration;

use anpi_harness::browser::Browser;
use anpi_harness::{NatsServer, free_port, wait_for_port};

use crate::{Member, network_with};

/// The municipality the roll-call tests run at.
pub const MUNICIPALITY: &str = "131016";

/// A municipality node with a console and a public listener.
pub struct ConsoleNode {
    pub node: Member,
    /// The incident `network_with` filed.
    pub incident: String,
    pub console_port: u16,
    pub public_port: u16,
}

impl ConsoleNode {
    /// Starts the municipality's node on `nats` and waits for both listeners.
    pub async fn start(nats: &NatsServer) -> ConsoleNode {
        let [node] = ConsoleNode::start_all(nats, [MUNICIPALITY]).await;
        node
    }

    /// Starts a node for each of `codes` (as `network_with`: one incident, the keys
    /// registered), each with a console and a public listener.
    pub async fn start_all<const N: usize>(
        nats: &NatsServer,
        codes: [&str; N],
    ) -> [ConsoleNode; N] {
        let ports: Vec<(String, u16, u16)> = codes
            .iter()
            .map(|code| (code.to_string(), free_port(), free_port()))
            .collect();
        let ports_of = |code: &str| {
            ports
                .iter()
                .find(|(c, _, _)| c == code)
                .map(|(_, console, public)| (*console, *public))
                .expect("a port pair per code")
        };
        let (members, incident) = network_with(nats, codes, |code| {
            let (console, public) = ports_of(code);
            format!(
                "console_listen = \"127.0.0.1:{console}\"\npublic_listen = \"127.0.0.1:{public}\"\n"
            )
        })
        .await;
        members.map(|node| {
            let (console_port, public_port) = ports_of(&node.code);
            for port in [console_port, public_port] {
                assert!(
                    wait_for_port(port, Duration::from_secs(20)),
                    "nothing listens on {port}:\n{}",
                    node.node.log()
                );
            }
            ConsoleNode {
                node,
                incident: incident.clone(),
                console_port,
                public_port,
            }
        })
    }

    /// The address members reach the public listener at (the mails' external URL).
    pub fn public_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.public_port)
    }
}

/// The console in a browser.
pub struct Site {
    pub browser: Browser,
    pub base: String,
}

impl Site {
    /// A browser at desktop size on the console of `node`.
    pub fn open(node: &ConsoleNode) -> Site {
        let mut browser = Browser::start();
        browser.resize(1366, 768);
        Site {
            browser,
            base: format!("http://127.0.0.1:{}", node.console_port),
        }
    }

    pub fn goto(&mut self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.browser.goto(&url);
    }

    pub fn body(&mut self) -> String {
        self.browser.text("body")
    }

    /// axe-core (no serious or critical violation), then the page's picture.
    pub fn check(&mut self, name: &str) {
        let violations = self.browser.axe_violations();
        assert!(
            violations.is_empty(),
            "{name}: accessibility violations:\n{}",
            violations.join("\n")
        );
        self.browser.screenshot(&picture(name));
    }

    /// The notice the last POST left (the green box at the top of the page).
    pub fn notice(&mut self) -> String {
        if self.browser.exists("main > .notice") {
            self.browser.text("main > .notice")
        } else {
            String::new()
        }
    }

    /// The bytes of `path` fetched by the page (the session's cookie goes with it).
    pub fn download(&mut self, path: &str) -> Vec<u8> {
        let bytes = self.browser.eval(&format!(
            "return fetch('{path}').then(function (r) {{ return r.arrayBuffer(); }})
               .then(function (b) {{ return Array.from(new Uint8Array(b)); }});"
        ));
        bytes
            .as_array()
            .expect("the file's bytes")
            .iter()
            .map(|b| b.as_u64().unwrap_or_default() as u8)
            .collect()
    }

    /// Logs in as the node's administrator (changing the first password if asked).
    pub fn login_admin(&mut self, node: &ConsoleNode) {
        self.goto("/login");
        self.browser.fill("#account", "admin");
        self.browser.fill("#password", &node.node.node.password);
        self.browser.submit("button[type=submit]");
        if self.browser.path() == "/password" {
            let new = "Anpi-Admin-2026-safe!";
            self.browser
                .fill("#field-current_password", &node.node.node.password);
            self.browser.fill("#field-new_password", new);
            self.browser.fill("#field-confirm", new);
            self.browser
                .submit("form[action='/password'] button[type=submit]");
        }
    }

    /// The mail server pointed at the sink on `smtp_port` (no TLS), the public listener
    /// as the links' external URL, and the example organisation and member files.
    pub fn rollcall_setup(&mut self, node: &ConsoleNode, smtp_port: u16) {
        self.goto("/rollcall/settings");
        self.browser
            .fill("#field-mail_sender", "anpi@city.example.lg.jp");
        self.browser.fill("#field-smtp_host", "127.0.0.1");
        self.browser
            .fill("#field-smtp_port", &smtp_port.to_string());
        self.browser.click("#security-none");
        self.browser.fill("#field-external_url", &node.public_url());
        self.browser.submit("#save-button");
        assert!(self.notice().contains("保存しました"), "{}", self.body());
        self.goto("/rollcall/directory");
        self.browser
            .set_file("#field-orgs-file", &example("rollcall_orgs.csv"));
        self.browser.submit("#orgs-upload");
        self.browser
            .set_file("#field-members-file", &example("rollcall_members.csv"));
        self.browser.submit("#members-upload");
        assert!(self.notice().contains("職員 10件"), "{}", self.body());
    }
}

/// Where the screenshot `name` goes: `docs/console/<name>.png`.
pub fn picture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/console")
        .join(format!("{name}.png"))
}

/// An example file of `schemas/csv/examples/`.
pub fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/csv/examples")
        .join(name)
        .canonicalize()
        .unwrap_or_else(|e| panic!("schemas/csv/examples/{name}: {e}"))
}

/// The personal link in a mail's body: `prefix` (the external URL and `/r/` or `/c/`)
/// and 48 hex digits.
pub fn link_in(body: &str, prefix: &str) -> String {
    let at = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in:\n{body}"));
    let token: String = body[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 48, "a whole token in:\n{body}");
    format!("{prefix}{token}")
}

/// The text of a PDF (a page printed by the browser), laid out as printed.
pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = anpi_harness::TempDir::new("inquiry-print");
    let path = dir.path().join("form5.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; deploy/ensure-services.sh installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// Fills the Form 4 page (`/inquiries/new`) for an inquiry about 消防 太郎 (the
/// `evacuee` fixture) by `inquirer`, who asks as `reason`: `family`, `acquaintance` or
/// `other` (with 報道のため as the reason's text).
pub fn fill_form4(site: &mut Site, inquirer: &str, reason: &str) {
    if reason == "other" {
        site.browser.fill("[id='field-reason_text']", "報道のため");
    }
    for (name, value) in [
        ("inquirer.name", inquirer),
        ("inquirer.address", "東京都新宿区西新宿2-8-1"),
        ("inquirer.phone", "03-5320-0000"),
        ("identity.document", "運転免許証"),
        ("target.name", "消防 太郎"),
        ("target.furigana", "ショウボウ タロウ"),
        ("target.birth_date", "昭和56年11月25日"),
        ("target.address", "東京都千代田区霞が関2-1-2"),
        ("target.nationality", "日本"),
    ] {
        site.browser.fill(&format!("[id='field-{name}']"), value);
    }
    for radio in [
        "channel-form4",
        "inquirer.kind-person",
        &format!("reason-{reason}"),
        "identity.method-document",
        "target.sex-男",
    ] {
        site.browser.click(&format!("[id='{radio}']"));
    }
}
