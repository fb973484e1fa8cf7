//! Roles × screens (A-02; issue 19): for every role a municipality issues, a clerk of
//! that role logs in to the console (over plain HTTP, as a browser would: the session
//! cookie, the forced password change with its CSRF token) and opens every screen.
//! Each screen the role may use opens and is in the menu; each other one is refused
//! with 403 and the Japanese message naming which roles may (`denial_message`), and is
//! not in the menu. 安否確認 has a second gate (K-04): a role the operation allows
//! still needs a roll-call authority, and without one is told who has it. R: A-02,
//! A-03, K-04.

use std::io::{Read, Write};
use std::time::Duration;

use anpi_core::account::{Operation, Role, denial_message, permits};
use anpi_core::jurisdiction::Tier;
use anpi_e2e::console_site::ConsoleNode;
use anpi_harness::NatsServer;
use anpi_proto::v1;

/// Every screen of the console's menu and the sub-pages with their own gate, with the
/// operation that opens it.
const SCREENS: [(&str, Operation); 19] = [
    ("/", Operation::ListIncidents),
    ("/entry/form1", Operation::RecordEntry),
    ("/entry/form2", Operation::RecordEntry),
    ("/import", Operation::RecordEntry),
    ("/organise", Operation::Organise),
    ("/reports", Operation::ReportHistory),
    ("/intake", Operation::GetIntake),
    ("/search", Operation::Search),
    ("/rollcall", Operation::Rollcall),
    ("/inquiries", Operation::Inquiry),
    ("/inquiries/new", Operation::Inquiry),
    ("/publication", Operation::Organise),
    ("/shared", Operation::SharedStatus),
    ("/audit", Operation::ReadEvents),
    ("/audit/reads", Operation::ReadAccessLog),
    ("/audit/replay", Operation::Replay),
    ("/accounts", Operation::ManageAccounts),
    ("/trust", Operation::ManageTrust),
    ("/retention", Operation::Retention),
];

/// A response: status, the `Location` header, the body.
struct Answer {
    status: u16,
    location: String,
    body: String,
}

/// A console session over plain HTTP with its cookie.
struct Http {
    port: u16,
    cookie: String,
}

impl Http {
    fn send(&mut self, method: &str, path: &str, body: &str) -> Answer {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let cookie = if self.cookie.is_empty() {
            String::new()
        } else {
            format!("Cookie: {}\r\n", self.cookie)
        };
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n{cookie}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let header = |name: &str| {
            head.lines()
                .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
                .map(|l| l[name.len() + 1..].trim().to_string())
                .unwrap_or_default()
        };
        let set = header("set-cookie");
        if let Some(pair) = set.split(';').next().filter(|p| p.contains('=')) {
            self.cookie = pair.to_string();
        }
        Answer {
            status,
            location: header("location"),
            body: body.to_string(),
        }
    }

    fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, "")
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// The CSRF token of a console page.
fn csrf(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF token in:\n{page}"));
    page[at + marker.len()..]
        .chars()
        .take_while(|c| *c != '"')
        .collect()
}

/// The `href`s of the main menu of a console page.
fn menu(page: &str) -> Vec<String> {
    let Some(start) = page.find("<nav") else {
        return Vec::new();
    };
    let end = page[start..]
        .find("</nav>")
        .map_or(page.len(), |e| start + e);
    page[start..end]
        .split("href=\"")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| *c != '"').collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_opens_exactly_the_screens_it_may_and_is_told_who_may_the_others() {
    let nats = NatsServer::start();
    let mut node = ConsoleNode::start(&nats).await;
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Publisher)
        .collect();
    for role in roles {
        let id = format!("role_{}", role.as_str());
        let request = node.node.client.req(v1::CreateAccountRequest {
            account_id: id.clone(),
            holder: "役割 確認".into(),
            affiliation: "総務課".into(),
            contact: "内線 100".into(),
            role: role.as_str().into(),
            terminal: String::new(),
        });
        let issued = node
            .node
            .client
            .node
            .create_account(request)
            .await
            .expect("issuing an account")
            .into_inner();
        let mut http = Http {
            port: node.console_port,
            cookie: String::new(),
        };
        let login = http.send(
            "POST",
            "/login",
            &form(&[("account", &id), ("password", &issued.initial_password)]),
        );
        assert_eq!(login.location, "/password", "{role:?}: {}", login.body);
        // Nothing opens before the one-time password is changed.
        let forced = http.get("/search");
        assert_eq!(forced.location, "/password", "{role:?}");
        let page = http.get("/password").body;
        let new = "Role-Check-2026-pass!";
        let changed = http.send(
            "POST",
            "/password",
            &form(&[
                ("csrf", &csrf(&page)),
                ("current_password", &issued.initial_password),
                ("new_password", new),
                ("confirm", new),
            ]),
        );
        assert!(
            matches!(changed.status, 200 | 303),
            "{role:?}: {}",
            changed.body
        );

        let home = http.get("/").body;
        let shown = menu(&home);
        for (path, operation) in SCREENS {
            let allowed = permits(role, operation, Tier::Municipality);
            let answer = http.get(path);
            let denial = denial_message(role, operation);
            if allowed && path == "/rollcall" && role != Role::Administrator {
                // K-04's second gate: the operation is allowed, the roll-call
                // authority (given on the roll-call settings page) is not yet.
                assert_eq!(answer.status, 403, "{role:?} {path}");
                assert!(
                    answer
                        .body
                        .contains("システム管理者・機能管理者・防災管理者のみ"),
                    "{role:?}: {}",
                    answer.body
                );
            } else if allowed {
                assert!(
                    answer.status != 403 && answer.location != "/login",
                    "{role:?} may open {path}: {} {}",
                    answer.status,
                    answer.body
                );
                assert!(!answer.body.contains(&denial), "{role:?} {path}");
            } else {
                assert_eq!(answer.status, 403, "{role:?} must not open {path}");
                assert!(
                    answer.body.contains(&denial),
                    "{role:?} {path}: the refusal names who may ({denial}):\n{}",
                    answer.body
                );
            }
            // Sub-pages are reached from their menu entry's page.
            if !["/audit/reads", "/audit/replay", "/inquiries/new"].contains(&path) {
                assert_eq!(
                    shown.iter().any(|h| h == path),
                    allowed,
                    "{role:?}: {path} in the menu {shown:?}"
                );
            }
        }
    }
}
