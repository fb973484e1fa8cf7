//! A real headless browser for page tests: Debian's `chromium` driven through its
//! `chromedriver` (W3C WebDriver over HTTP on loopback). Both are found on `PATH` or in
//! `/usr/bin` (`CHROMIUM` / `CHROMEDRIVER` override); `deploy/ensure-services.sh`
//! installs them. A test that needs the browser fails with a clear message when they
//! are missing — it never passes without one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::{TempDir, free_port, wait_for_port};

/// The W3C element key in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_binary(variable: &str, names: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} not found: install Debian's chromium and chromium-driver (deploy/ensure-services.sh does) or set {variable}",
        names.join(" / ")
    );
}

/// One chromedriver process with one headless chromium session.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless chromium session (flags that keep chromium
    /// off the network: this machine's closed network refuses its background calls).
    pub fn start() -> Browser {
        let chromium = find_binary("CHROMIUM", &["chromium", "chromium-browser"]);
        let chromedriver = find_binary("CHROMEDRIVER", &["chromedriver"]);
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        assert!(
            wait_for_port(port, Duration::from_secs(20)),
            "chromedriver did not start on port {port}"
        );
        let profile = TempDir::new("anpi-chromium");
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=390,844".into(),
            format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let created = browser.call(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium.to_string_lossy(), "args": args}
            }}}),
        );
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_string();
        browser
    }

    /// Opens `url` and waits for the page to load.
    pub fn goto(&mut self, url: &str) {
        self.session_call("POST", "/url", json!({ "url": url }));
    }

    fn element(&mut self, css: &str) -> String {
        let found = self.session_call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    /// Whether an element matches `css` on the current page.
    pub fn exists(&mut self, css: &str) -> bool {
        let found = self.session_call_raw(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        );
        found["value"].as_array().is_some_and(|a| !a.is_empty())
    }

    /// Replaces the content of the input matching `css` with `text`, as typed keys.
    pub fn fill(&mut self, css: &str, text: &str) {
        let id = self.element(css);
        self.session_call("POST", &format!("/element/{id}/clear"), json!({}));
        self.session_call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    /// Clicks the element matching `css` (a submit button waits for the next page).
    pub fn click(&mut self, css: &str) {
        let id = self.element(css);
        self.session_call("POST", &format!("/element/{id}/click"), json!({}));
    }

    /// Clicks the submit button matching `css` and waits until the next page has loaded
    /// (the old page is marked first, so its elements are never mistaken for the new).
    pub fn submit(&mut self, css: &str) {
        self.script("document.documentElement.dataset.leaving = '1'; return true;");
        self.click(css);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let loaded = self.script(
                "return !document.documentElement.dataset.leaving && document.readyState === 'complete';",
            );
            if loaded.as_bool() == Some(true) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the page after submitting {css} did not load"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn script(&mut self, script: &str) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    /// The rendered text of the element matching `css`.
    pub fn text(&mut self, css: &str) -> String {
        let id = self.element(css);
        self.session_call("GET", &format!("/element/{id}/text"), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The current page's markup.
    pub fn source(&mut self) -> String {
        self.session_call("GET", "/source", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's width in CSS pixels against the window's (a page usable on a phone
    /// has no horizontal scrolling).
    pub fn widths(&mut self) -> (i64, i64) {
        let value =
            self.script("return [document.documentElement.scrollWidth, window.innerWidth];");
        (
            value[0].as_i64().unwrap_or_default(),
            value[1].as_i64().unwrap_or_default(),
        )
    }

    fn session_call(&mut self, method: &str, path: &str, body: Value) -> Value {
        let answer = self.session_call_raw(method, path, body);
        if let Some(error) = answer["value"].get("error") {
            panic!(
                "WebDriver {method} {path}: {error}: {}",
                answer["value"]["message"]
            );
        }
        answer["value"].clone()
    }

    fn session_call_raw(&mut self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        http(self.port, method, &path, &body)
    }

    fn call(&mut self, method: &str, path: &str, body: Value) -> Value {
        let answer = http(self.port, method, path, &body);
        if let Some(error) = answer["value"].get("error") {
            panic!(
                "WebDriver {method} {path}: {error}: {}",
                answer["value"]["message"]
            );
        }
        answer["value"].clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = std::panic::catch_unwind(|| http(self.port, "DELETE", &path, &Value::Null));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A chromium whose session could not be closed (a test that failed half-way)
        // outlives its driver: end every process of this profile.
        let _ = std::process::Command::new("pkill")
            .arg("-f")
            .arg(self._profile.path())
            .status();
    }
}

/// One HTTP/1.1 request to the driver on loopback; the JSON answer.
fn http(port: u16, method: &str, path: &str, body: &Value) -> Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting to chromedriver");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("writing to chromedriver");
    // Read the head, then exactly the body (the driver may keep the connection open).
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let split = loop {
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buffer).expect("reading from chromedriver");
        assert!(
            n > 0,
            "chromedriver closed the connection: {}",
            String::from_utf8_lossy(&raw)
        );
        raw.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    let length = head.lines().find_map(|line| {
        line.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let complete = match length {
            Some(length) => body.len() >= length,
            None if chunked => body.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = stream.read(&mut buffer).expect("reading from chromedriver");
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..n]);
    }
    let body = if chunked { dechunk(&body) } else { body };
    serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "chromedriver answered {}: {e}",
            String::from_utf8_lossy(&body)
        )
    })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        let tail = &rest[line_end + 2..];
        if size == 0 || size > tail.len() {
            break;
        }
        out.extend_from_slice(&tail[..size]);
        rest = tail.get(size + 2..).unwrap_or(&[]);
    }
    out
}
