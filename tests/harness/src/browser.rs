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

    /// Chooses the file at `path` (absolute) in the `<input type="file">` matching
    /// `css`, as a user picking it would (Chrome DevTools `DOM.setFileInputFiles`,
    /// through chromedriver); `change` and `input` fire.
    pub fn set_file(&mut self, css: &str, path: &std::path::Path) {
        assert!(path.is_absolute(), "{} is not absolute", path.display());
        let document = self.session_call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "DOM.getDocument", "params": {"depth": 0}}),
        );
        let root = document["root"]["nodeId"].clone();
        let found = self.session_call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "DOM.querySelector", "params": {"nodeId": root, "selector": css}}),
        );
        let node = found["nodeId"].as_i64().unwrap_or_default();
        assert!(node > 0, "no file input {css}: {found}");
        self.session_call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "DOM.setFileInputFiles", "params": {
                "nodeId": node, "files": [path.to_string_lossy()]
            }}),
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

    /// Resizes the window (CSS pixels), e.g. 1366×768 for an office PC.
    pub fn resize(&mut self, width: u32, height: u32) {
        self.session_call(
            "POST",
            "/window/rect",
            json!({ "width": width, "height": height }),
        );
    }

    /// Saves a PNG of the whole page (not only the window) to `path`: the viewport is
    /// stretched to the page's height for the shot (Chrome DevTools, through
    /// chromedriver), then restored.
    pub fn screenshot(&mut self, path: &std::path::Path) {
        let size = self.script(
            "return [window.innerWidth, document.documentElement.scrollHeight, window.innerHeight];",
        );
        let width = size[0].as_u64().unwrap_or(1366);
        let page = size[1].as_u64().unwrap_or(768).clamp(1, 8000);
        self.session_call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": page, "deviceScaleFactor": 1, "mobile": false
            }}),
        );
        let shot = self.session_call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Page.captureScreenshot", "params": {"format": "png"}}),
        );
        self.session_call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}}),
        );
        let png = decode_base64(shot["data"].as_str().expect("a base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("creating the screenshot folder");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// The current page printed to PDF on A4 (Chrome DevTools `Page.printToPDF`, with
    /// the page's print stylesheet), as bytes.
    pub fn print_pdf(&mut self) -> Vec<u8> {
        let printed = self.session_call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Page.printToPDF", "params": {
                "paperWidth": 8.27, "paperHeight": 11.69, "printBackground": false
            }}),
        );
        let pdf = decode_base64(printed["data"].as_str().expect("a base64 PDF"));
        assert!(pdf.starts_with(b"%PDF"), "the print is not a PDF");
        pdf
    }

    /// Runs axe-core on the current page; the serious and critical violations, each as
    /// "rule (impact): help — targets". axe-core comes from `AXE_CORE_JS` or the
    /// repository's `.cache/axe` (`deploy/ensure-services.sh --browser` installs it); the
    /// check fails when it is missing, it never passes without it.
    pub fn axe_violations(&mut self) -> Vec<String> {
        let source = axe_source();
        self.session_call(
            "POST",
            "/execute/sync",
            json!({"script": format!("{source}\nreturn typeof axe;"), "args": []}),
        );
        let result = self.session_call(
            "POST",
            "/execute/async",
            json!({"script": AXE_RUN, "args": []}),
        );
        let text = result.as_str().unwrap_or_default();
        assert!(!text.starts_with("ERROR"), "axe failed: {text}");
        let violations: Vec<Value> = serde_json::from_str(text).expect("axe's violations");
        violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{} ({}): {} — {}",
                    v["id"].as_str().unwrap_or_default(),
                    v["impact"].as_str().unwrap_or_default(),
                    v["help"].as_str().unwrap_or_default(),
                    v["nodes"]
                )
            })
            .collect()
    }

    /// The current value of the input matching `css`.
    pub fn value(&mut self, css: &str) -> String {
        let id = self.element(css);
        self.session_call("GET", &format!("/element/{id}/property/value"), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Whether the checkbox or radio button matching `css` is checked.
    pub fn is_checked(&mut self, css: &str) -> bool {
        let id = self.element(css);
        self.session_call("GET", &format!("/element/{id}/selected"), Value::Null)
            .as_bool()
            .unwrap_or(false)
    }

    /// Checks or unchecks the checkbox (or checks the radio button) matching `css`.
    pub fn set_checked(&mut self, css: &str, checked: bool) {
        if self.is_checked(css) != checked {
            self.click(css);
        }
    }

    /// The current page's path and query (the URL without the origin).
    pub fn path(&mut self) -> String {
        self.script("return location.pathname + location.search;")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub fn eval(&mut self, script: &str) -> Value {
        self.script(script)
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

/// Runs axe on the document (WCAG 2.x A/AA rules and best practices) and answers its
/// violations as JSON text.
const AXE_RUN: &str = r#"
var done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then(function (r) {
    done(JSON.stringify(r.violations.map(function (v) {
      return { id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(function (n) { return n.target.join(" "); }) };
    })));
  })
  .catch(function (e) { done("ERROR " + e); });
"#;

fn axe_source() -> String {
    let path = std::env::var_os("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.cache/axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core not found at {} ({e}): run deploy/ensure-services.sh --browser or set AXE_CORE_JS",
            path.display()
        )
    })
}

/// Standard base64 (with padding), as WebDriver sends screenshots.
fn decode_base64(text: &str) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(super::decode_base64("aGVsbG8="), b"hello");
        assert_eq!(super::decode_base64("aGVsbG8h"), b"hello!");
        assert_eq!(super::decode_base64("aA=="), b"h");
    }
}
