//! A real SMTP server for tests, and a bare SMTP client as a benchmark baseline.
//!
//! - [`SmtpSink`]: `deploy/smtp/sink.py` (aiosmtpd, run by Debian's `/usr/bin/python3`
//!   or `ANPI_SMTP_PYTHON`) on a free test port of 127.0.0.1, recording every accepted
//!   message in `messages.jsonl` of a temporary directory. It can reject recipients
//!   ([`SinkOptions::reject`]), require SMTP AUTH ([`SinkOptions::auth`]) and answer
//!   slowly ([`SinkOptions::delay_ms`]); it can be SIGKILLed and started again on the
//!   same port with what it had accepted kept.
//! - [`SinkMail`]: one recorded message, with helpers that decode its headers (RFC 2047
//!   encoded words) and body (base64 / quoted-printable).
//! - [`bare_send`]: the "bare SMTP client" — one connection, one mail at a time, no
//!   pipelining — that the mail benchmark compares anpi's mailer against.
//!
//! The sink needs the Debian package `python3-aiosmtpd`: `deploy/ensure-services.sh
//! --browser` installs it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{TempDir, free_port, wait_for_port};

const READY_TIMEOUT: Duration = Duration::from_secs(10);
const INSTALL_HINT: &str = "run deploy/ensure-services.sh --browser: it installs the Debian package python3-aiosmtpd for /usr/bin/python3 (or point ANPI_SMTP_PYTHON at a python with aiosmtpd)";

/// How a [`SmtpSink`] behaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkOptions {
    /// A `RCPT TO` whose address contains one of these is answered
    /// `550 5.1.1 No such user`.
    pub reject: Vec<String>,
    /// `(user, password)`: SMTP AUTH (PLAIN or LOGIN, no TLS) required before `MAIL`.
    pub auth: Option<(String, String)>,
    /// Milliseconds the sink waits after the end of `DATA` before answering it.
    pub delay_ms: u64,
    /// `(certificate chain, key)` PEM files: STARTTLS offered and required before
    /// `MAIL` (each recorded mail says whether it came over TLS: [`SinkMail::tls`]).
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// A running SMTP sink (`deploy/smtp/sink.py`) on `127.0.0.1:port`, killed on drop.
pub struct SmtpSink {
    pub port: u16,
    options: SinkOptions,
    child: Child,
    out: TempDir,
}

impl SmtpSink {
    /// A sink that accepts everything, without authentication.
    pub fn start() -> SmtpSink {
        SmtpSink::start_with(SinkOptions::default())
    }

    pub fn start_with(options: SinkOptions) -> SmtpSink {
        let out = TempDir::new("anpi-smtp-sink");
        let port = free_port();
        let child = spawn_sink(port, out.path(), &options);
        SmtpSink {
            port,
            options,
            child,
            out,
        }
    }

    /// SIGKILL: the sink keeps only what it had already answered 250 to.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the sink again on the same port, output directory and options (killing
    /// it first if it still runs). Messages accepted before are kept.
    pub fn start_again(&mut self) {
        self.kill();
        self.child = spawn_sink(self.port, self.out.path(), &self.options);
    }

    /// The directory holding `messages.jsonl` and `sink.log`.
    pub fn out_dir(&self) -> &Path {
        self.out.path()
    }

    /// What the sink wrote on its standard error, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.out.path().join("sink.log")).unwrap_or_default()
    }

    /// Every accepted message, in the order accepted. A line that is not a whole record
    /// (one cut short by a kill: the last line, or one before a restart) is skipped.
    pub fn messages(&self) -> Vec<SinkMail> {
        let text = match std::fs::read_to_string(self.out.path().join("messages.jsonl")) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => panic!("reading the sink's messages.jsonl: {e}"),
        };
        let answered = self.answered_ids();
        text.split('\n')
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| SinkMail::from_json_line(line, &answered))
            .collect()
    }

    /// The ids of the messages whose 250 went out (`answered.jsonl`).
    fn answered_ids(&self) -> BTreeSet<String> {
        let text =
            std::fs::read_to_string(self.out.path().join("answered.jsonl")).unwrap_or_default();
        text.split('\n')
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|v| v.get("answered")?.as_str().map(str::to_string))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.messages().len()
    }

    /// How many accepted messages each recipient got.
    pub fn per_recipient(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for mail in self.messages() {
            for to in mail.to {
                *counts.entry(to).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Waits until the sink has accepted at least `n` messages; false on timeout.
    pub fn wait_for_count(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.count() >= n {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.kill();
    }
}

fn sink_script() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/smtp/sink.py");
    assert!(
        script.exists(),
        "the SMTP sink script {} is missing",
        script.display()
    );
    script
}

fn sink_python() -> String {
    std::env::var("ANPI_SMTP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".to_string())
}

/// Starts `sink.py` and waits (10 s at most) until it prints `ready`.
fn spawn_sink(port: u16, out: &Path, options: &SinkOptions) -> Child {
    let python = sink_python();
    let log_path = out.join("sink.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .expect("opening the SMTP sink's log");
    let mut command = Command::new(&python);
    command
        .arg(sink_script())
        .arg("--port")
        .arg(port.to_string())
        .arg("--out")
        .arg(out)
        .arg("--delay-ms")
        .arg(options.delay_ms.to_string())
        // The sink exits when this process goes away and closes its standard input.
        .arg("--exit-on-stdin-eof");
    for pattern in &options.reject {
        command.arg("--reject").arg(pattern);
    }
    if let Some((user, password)) = &options.auth {
        command.arg("--auth").arg(format!("{user}:{password}"));
    }
    if let Some((cert, key)) = &options.tls {
        command
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run the SMTP sink with {python}: {e} ({INSTALL_HINT})"));

    let stdout = child.stdout.take().expect("the sink's stdout");
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut ready_tx = Some(ready_tx);
        // Reads until the sink exits, so that it never blocks on a full pipe.
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.trim() == "ready"
                && let Some(tx) = ready_tx.take()
            {
                let _ = tx.send(());
            }
        }
    });

    let failure = match ready_rx.recv_timeout(READY_TIMEOUT) {
        Ok(()) if wait_for_port(port, READY_TIMEOUT) => return child,
        Ok(()) => format!("it printed ready but does not accept connections on port {port}"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            format!("it did not print ready within {READY_TIMEOUT:?}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => "it exited".to_string(),
    };
    let _ = child.kill();
    let status = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    panic!(
        "the SMTP sink (deploy/smtp/sink.py, {python}) did not start on 127.0.0.1:{port}: {failure} ({status:?}). If aiosmtpd is missing, {INSTALL_HINT}.\nsink.log:\n{log}"
    );
}

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients the sink accepted (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as received: headers, blank line, body (CRLF line ends).
    pub data: String,
    /// When the sink accepted it (seconds since the epoch).
    pub received_at: f64,
    /// Whether it came over TLS (STARTTLS).
    pub tls: bool,
    /// Whether the sink's 250 for it went out. False for a message stored just before
    /// the sink was killed: its sender never heard the 250 and rightly sends it again,
    /// so the recipient gets it twice (RFC 1047).
    pub answered: bool,
}

impl SinkMail {
    fn from_json_line(line: &str, answered: &BTreeSet<String>) -> Option<SinkMail> {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let id = value.get("id").and_then(|id| id.as_str()).unwrap_or("");
        Some(SinkMail {
            answered: answered.contains(id),
            from: value.get("from")?.as_str()?.to_string(),
            to: value
                .get("to")?
                .as_array()?
                .iter()
                .map(|to| to.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?,
            data: value.get("data")?.as_str()?.to_string(),
            received_at: value.get("received_at")?.as_f64()?,
            tls: value.get("tls").and_then(|t| t.as_bool()).unwrap_or(false),
        })
    }

    /// The header section and the body (the text after the first blank line).
    fn parts(&self) -> (&str, &str) {
        let data = self.data.as_str();
        let mut start = 0;
        while start < data.len() {
            let end = data[start..].find('\n').map_or(data.len(), |i| start + i);
            if data[start..end].trim_end_matches('\r').is_empty() {
                return (&data[..start], &data[(end + 1).min(data.len())..]);
            }
            start = end + 1;
        }
        (data, "")
    }

    /// The header fields, unfolded, in order: `(name, value)` with the value trimmed.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in self.parts().0.lines() {
            let line = line.trim_end_matches('\r');
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_string(), value.to_string()));
            }
        }
        headers
            .into_iter()
            .map(|(name, value)| (name, value.trim().to_string()))
            .collect()
    }

    /// The first header field named `name` (case-insensitive), unfolded, undecoded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// [`SinkMail::header`] with its RFC 2047 encoded words decoded.
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        self.header(name).map(|value| decode_rfc2047(&value))
    }

    /// The subject, decoded (empty when there is none).
    pub fn subject(&self) -> String {
        self.decoded_header("Subject").unwrap_or_default()
    }

    /// The text after the first blank line, decoded according to its
    /// Content-Transfer-Encoding (base64 or quoted-printable), as UTF-8.
    ///
    /// Panics when a base64 body is not valid base64.
    pub fn body(&self) -> String {
        let body = self.parts().1;
        let encoding = self
            .header("Content-Transfer-Encoding")
            .map(|e| e.to_ascii_lowercase());
        match encoding.as_deref() {
            Some("base64") => {
                let bytes = decode_base64(body)
                    .unwrap_or_else(|| panic!("the body is not valid base64:\n{body}"));
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Some("quoted-printable") => {
                String::from_utf8_lossy(&decode_quoted_printable(body)).into_owned()
            }
            _ => body.to_string(),
        }
    }
}

fn base64_value(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// Decodes base64 (standard alphabet, `=` padding optional, whitespace and line
/// breaks ignored); `None` for anything else in the input, data after padding, or a
/// dangling single character.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut padded = false;
    for c in text.bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            padded = true;
            continue;
        }
        if padded {
            return None;
        }
        acc = (acc << 6) | base64_value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Four characters make three bytes: one character more cannot make a byte.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// `=XX` escapes to bytes (and `_` to a space when `underscore_is_space`, RFC 2047's
/// Q encoding); anything else, a lone `=` included, is kept as it is.
fn decode_escapes(text: &[u8], underscore_is_space: bool, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'=' => {
                let byte = text
                    .get(i + 1)
                    .zip(text.get(i + 2))
                    .and_then(|(&hi, &lo)| Some((hex_value(hi)? << 4) | hex_value(lo)?));
                match byte {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if underscore_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Decodes a quoted-printable body (RFC 2045): `=XX` escapes, soft line breaks
/// (`=` at the end of a line) joined, trailing blanks of a line dropped, line ends kept.
pub fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (content, line_end) = match line.strip_suffix("\r\n") {
            Some(content) => (content, "\r\n"),
            None => match line.strip_suffix('\n') {
                Some(content) => (content, "\n"),
                None => (line, ""),
            },
        };
        let content = content.trim_end_matches([' ', '\t']);
        match content.strip_suffix('=') {
            Some(content) => decode_escapes(content.as_bytes(), false, &mut out),
            None => {
                decode_escapes(content.as_bytes(), false, &mut out);
                out.extend_from_slice(line_end.as_bytes());
            }
        }
    }
    out
}

/// An RFC 2047 encoded word at the start of `text`: its decoded bytes and its length.
fn encoded_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let payload = &rest[..end];
    let token = |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c == '?');
    if !token(charset) || encoding.len() != 1 || payload.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => decode_base64(payload)?,
        "Q" | "q" => {
            let mut bytes = Vec::new();
            decode_escapes(payload.as_bytes(), true, &mut bytes);
            bytes
        }
        _ => return None,
    };
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    Some((bytes, len))
}

/// Decodes the RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`) of a
/// header value; whitespace between two encoded words is dropped, and their bytes are
/// joined before being read as UTF-8 (a character may be split across words). Other
/// text is kept as it is. Charsets other than UTF-8 / ASCII are read as UTF-8 too.
pub fn decode_rfc2047(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending: Vec<u8> = Vec::new();
    let mut gap = String::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if let Some((bytes, len)) = encoded_word(rest) {
            gap.clear();
            pending.extend_from_slice(&bytes);
            rest = &rest[len..];
            continue;
        }
        if !pending.is_empty() && c.is_whitespace() {
            gap.push(c);
        } else {
            out.push_str(&String::from_utf8_lossy(&pending));
            pending.clear();
            out.push_str(&gap);
            gap.clear();
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(&gap);
    out
}

/// The subject of every [`bare_send`] mail, before its ` #N`:
/// `=?utf-8?b?...?=` of this text.
pub const BARE_SUBJECT: &str = "【安否確認】地震発生に伴う安否確認のお願い";
const BARE_SUBJECT_B64: &str =
    "44CQ5a6J5ZCm56K66KqN44CR5Zyw6ZyH55m655Sf44Gr5Ly044GG5a6J5ZCm56K66KqN44Gu44GK6aGY44GE";

/// The body of every [`bare_send`] mail (its line starting with `.` is dot-stuffed on
/// the wire).
pub const BARE_BODY: &str = "安否確認システムからのお知らせです。\r\n\
本日発生した地震に伴い、職員の皆様の安否を確認しています。\r\n\
下記の項目について、できるだけ早くご回答ください。\r\n\
\r\n\
1. ご自身の状況（無事・軽傷・重傷）\r\n\
2. ご家族の状況\r\n\
3. 現在の居場所と出勤の可否\r\n\
\r\n\
回答は本メールに記載のリンクから行えます。\r\n\
通信が混雑している場合は、時間をおいて再度お試しください。\r\n\
.（このメールは送信専用です）\r\n";

fn bare_message(from: &str, to: &str, index: usize) -> String {
    format!(
        "From: {from}\r\n\
         To: {to}\r\n\
         Subject: =?utf-8?b?{BARE_SUBJECT_B64}?= #{index}\r\n\
         Date: Thu, 01 Jan 2026 09:00:00 +0900\r\n\
         Message-ID: <bare-{index}@anpi.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         {BARE_BODY}"
    )
}

/// The message on the wire after `DATA`: dot-stuffed (RFC 5321 4.5.2), CRLF line ends,
/// ended by `.` on a line of its own.
fn dot_stuffed(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 16);
    for line in message.lines() {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

/// Reads one (possibly multi-line) SMTP reply: its code and its text lines.
fn read_reply(reader: &mut impl BufRead) -> std::io::Result<(u16, String)> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the SMTP server closed the connection (after {text:?})"),
            ));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| std::io::Error::other(format!("not an SMTP reply: {line:?}")))?;
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text));
        }
    }
}

/// Reads a reply and checks its class (2 for 2xx, 3 for 3xx).
fn expect_reply(reader: &mut impl BufRead, what: &str, class: u16) -> std::io::Result<()> {
    let (code, text) = read_reply(reader)?;
    if code / 100 == class {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{what}: the SMTP server answered {text:?}"
        )))
    }
}

fn command(
    writer: &mut TcpStream,
    reader: &mut impl BufRead,
    line: &str,
    class: u16,
) -> std::io::Result<()> {
    writer.write_all(format!("{line}\r\n").as_bytes())?;
    expect_reply(reader, line, class)
}

/// The bare SMTP client: the mail benchmark's baseline, the least any mailer has to do.
///
/// Sends `count` mails from `from`, mail `i` to `to(i)`, over ONE plain connection to
/// `127.0.0.1:port`: greeting, `EHLO`, then for each mail `MAIL FROM` / `RCPT TO` /
/// `DATA` and the message, sequentially, one command at a time (no pipelining, no
/// AUTH, no TLS), each reply's code checked; then `QUIT`. Every message is the same
/// ~600 bytes of Japanese UTF-8 text ([`BARE_BODY`]) with the subject [`BARE_SUBJECT`]
/// ` #i` as an RFC 2047 encoded word, `Content-Transfer-Encoding: 8bit`.
///
/// Stops at the first unexpected reply (e.g. `550` for a rejected recipient) and
/// returns it as an error; the mails before it were sent.
pub fn bare_send(
    port: u16,
    count: usize,
    from: &str,
    to: impl Fn(usize) -> String,
) -> std::io::Result<()> {
    let mut writer = TcpStream::connect(("127.0.0.1", port))?;
    writer.set_nodelay(true)?;
    writer.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(writer.try_clone()?);
    let result = (|| {
        expect_reply(&mut reader, "greeting", 2)?;
        command(&mut writer, &mut reader, "EHLO bare.localhost", 2)?;
        for index in 0..count {
            let recipient = to(index);
            command(&mut writer, &mut reader, &format!("MAIL FROM:<{from}>"), 2)?;
            command(
                &mut writer,
                &mut reader,
                &format!("RCPT TO:<{recipient}>"),
                2,
            )?;
            command(&mut writer, &mut reader, "DATA", 3)?;
            writer.write_all(dot_stuffed(&bare_message(from, &recipient, index)).as_bytes())?;
            expect_reply(&mut reader, &format!("end of DATA (mail {index})"), 2)?;
        }
        command(&mut writer, &mut reader, "QUIT", 2)
    })();
    if result.is_err() {
        // Best effort: leave politely.
        let _ = writer.write_all(b"RSET\r\nQUIT\r\n");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(10);

    fn encode_base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn mail(data: &str) -> SinkMail {
        SinkMail {
            from: "a@example.jp".into(),
            to: vec!["b@example.jp".into()],
            data: data.into(),
            received_at: 0.0,
            tls: false,
            answered: true,
        }
    }

    struct Session {
        writer: TcpStream,
        reader: BufReader<TcpStream>,
    }

    impl Session {
        fn open(port: u16) -> Session {
            let writer = TcpStream::connect(("127.0.0.1", port)).unwrap();
            writer.set_read_timeout(Some(WAIT)).unwrap();
            let mut reader = BufReader::new(writer.try_clone().unwrap());
            assert_eq!(read_reply(&mut reader).unwrap().0, 220);
            Session { writer, reader }
        }

        fn say(&mut self, line: &str) -> (u16, String) {
            self.writer
                .write_all(format!("{line}\r\n").as_bytes())
                .unwrap();
            read_reply(&mut self.reader).unwrap()
        }
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
        assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
        assert_eq!(decode_base64("Zm9vYg").unwrap(), b"foob");
        assert_eq!(decode_base64("Zm9v\r\nYmFy\r\n").unwrap(), b"foobar");
        assert_eq!(
            decode_base64("5pys5paH44Gn44GZ44CCDQrkuozooYznm64=").unwrap(),
            "本文です。\r\n二行目".as_bytes()
        );
        assert_eq!(decode_base64("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
        assert_eq!(decode_base64("Zm9v!"), None);
        assert_eq!(decode_base64("Zg==Zg=="), None);
        assert_eq!(decode_base64("Zm9vY"), None);
        for text in ["", "a", "ab", "abc", "日本語のテキスト", "\u{0}\u{ff}"] {
            let encoded = encode_base64(text.as_bytes());
            assert_eq!(
                decode_base64(&encoded).unwrap(),
                text.as_bytes(),
                "{encoded}"
            );
        }
    }

    #[test]
    fn quoted_printable_decodes() {
        assert_eq!(decode_quoted_printable("plain text"), b"plain text");
        assert_eq!(decode_quoted_printable("a=3Db =3d c"), b"a=b = c");
        assert_eq!(
            decode_quoted_printable("soft=\r\nbreak\r\n"),
            b"softbreak\r\n"
        );
        assert_eq!(decode_quoted_printable("soft=\nbreak"), b"softbreak");
        assert_eq!(
            decode_quoted_printable("trailing   \r\nx"),
            b"trailing\r\nx"
        );
        assert_eq!(decode_quoted_printable("lone = sign=4"), b"lone = sign=4");
        // A character split across a soft line break.
        let encoded = "=E6=9C=AC=E6=96=87=E3=81=A7=E3=81=99=E3=80=82=E9=95=B7=E3=81=84=E8=A1=8C=E6=\r\n\
                       =9C=AC=E6=96=87\r\n=E4=BA=8C=E8=A1=8C=E7=9B=AE";
        assert_eq!(
            String::from_utf8(decode_quoted_printable(encoded)).unwrap(),
            "本文です。長い行本文\r\n二行目"
        );
    }

    #[test]
    fn rfc2047_decodes() {
        assert_eq!(decode_rfc2047("plain subject"), "plain subject");
        assert_eq!(
            decode_rfc2047(&format!("=?utf-8?b?{BARE_SUBJECT_B64}?=")),
            BARE_SUBJECT
        );
        assert_eq!(
            decode_rfc2047("=?UTF-8?Q?=E3=83=86=E3=82=B9=E3=83=88_=3D_=E4=BB=B6=E5=90=8D?="),
            "テスト = 件名"
        );
        // Whitespace between encoded words goes, around plain text it stays.
        assert_eq!(
            decode_rfc2047("Re: =?utf-8?q?a?= \r\n =?utf-8?q?b?=  c =?utf-8?b?5pel?= end"),
            "Re: ab  c 日 end"
        );
        // A character split across two words (bytes joined before reading UTF-8).
        assert_eq!(
            decode_rfc2047("=?utf-8?b?5pel5pys?= =?utf-8?b?6Kq?= =?utf-8?q?=9E?="),
            "日本語"
        );
        // Not encoded words: kept.
        assert_eq!(decode_rfc2047("=?utf-8?x?abc?="), "=?utf-8?x?abc?=");
        assert_eq!(decode_rfc2047("a =? b ?= c"), "a =? b ?= c");
        assert_eq!(decode_rfc2047("=?utf-8?b?!!?="), "=?utf-8?b?!!?=");
    }

    #[test]
    fn sink_mail_helpers() {
        let m = mail(
            "From: a@example.jp\r\nSubject: =?utf-8?b?5pel5pys?=\r\n =?utf-8?q?=E8=AA=9E?=\r\n\
             Content-Transfer-Encoding: Base64\r\nsubject: second\r\n\r\n\
             5pys5paH44Gn44GZ44CCDQrkuozooYznm64=\r\n",
        );
        assert_eq!(m.header("from").as_deref(), Some("a@example.jp"));
        assert_eq!(
            m.header("Subject").as_deref(),
            Some("=?utf-8?b?5pel5pys?= =?utf-8?q?=E8=AA=9E?=")
        );
        assert_eq!(m.subject(), "日本語");
        assert_eq!(m.header("X-Missing"), None);
        assert_eq!(m.body(), "本文です。\r\n二行目");

        let qp = mail(
            "Subject: plain\nContent-Transfer-Encoding: quoted-printable\n\n=E6=97=A5=\n=E6=9C=AC\n",
        );
        assert_eq!(qp.subject(), "plain");
        assert_eq!(qp.body(), "日本\n");

        let plain = mail("Subject: x\r\n\r\nbody\r\n\r\nmore\r\n");
        assert_eq!(plain.body(), "body\r\n\r\nmore\r\n");
        assert_eq!(mail("Subject: only headers\r\n").body(), "");
        assert_eq!(mail("Subject: x").subject(), "x");
    }

    #[test]
    fn dot_stuffing() {
        assert_eq!(
            dot_stuffed("a\r\n.\r\n..b\r\nc"),
            "a\r\n..\r\n...b\r\nc\r\n.\r\n"
        );
        assert!(BARE_BODY.len() > 500, "{}", BARE_BODY.len());
    }

    #[test]
    fn bare_send_delivers_to_the_sink() {
        let sink = SmtpSink::start();
        bare_send(sink.port, 3, "sender@anpi.test", |i| {
            format!("user{i}@example.jp")
        })
        .unwrap();
        assert!(sink.wait_for_count(3, WAIT), "{}", sink.log());
        let messages = sink.messages();
        assert_eq!(messages.len(), 3);
        for (i, m) in messages.iter().enumerate() {
            assert_eq!(m.from, "sender@anpi.test");
            assert_eq!(m.to, vec![format!("user{i}@example.jp")]);
            assert_eq!(m.subject(), format!("{BARE_SUBJECT} #{i}"));
            assert_eq!(m.header("To"), Some(format!("user{i}@example.jp")));
            assert_eq!(m.body(), BARE_BODY);
            assert!(
                m.body()
                    .lines()
                    .any(|line| line == ".（このメールは送信専用です）")
            );
            assert!(m.received_at > 1.0e9);
        }
        let expected: BTreeMap<String, usize> =
            (0..3).map(|i| (format!("user{i}@example.jp"), 1)).collect();
        assert_eq!(sink.per_recipient(), expected);
    }

    #[test]
    fn concurrent_connections_and_slow_answers() {
        let sink = SmtpSink::start_with(SinkOptions {
            delay_ms: 150,
            ..SinkOptions::default()
        });
        // A connection left open in the middle of a transaction holds nobody up.
        let mut idle = Session::open(sink.port);
        assert_eq!(idle.say("EHLO idle").0, 250);
        assert_eq!(idle.say("MAIL FROM:<idle@anpi.test>").0, 250);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..3 {
                let port = sink.port;
                scope.spawn(move || {
                    bare_send(port, 2, "s@anpi.test", |_| format!("t{t}@example.jp")).unwrap()
                });
            }
        });
        // Each connection waited for two slow answers.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert_eq!(sink.count(), 6);
        let per = sink.per_recipient();
        assert_eq!(per.len(), 3);
        assert!(per.values().all(|&n| n == 2), "{per:?}");
        assert_eq!(idle.say("RCPT TO:<late@example.jp>").0, 250);
        assert_eq!(idle.say("DATA").0, 354);
        assert_eq!(idle.say("Subject: late\r\n\r\nhi\r\n.").0, 250);
        assert_eq!(sink.count(), 7);
    }

    #[test]
    fn rejected_recipients_get_550() {
        let sink = SmtpSink::start_with(SinkOptions {
            reject: vec!["nosuch".into(), "bounce".into()],
            ..SinkOptions::default()
        });
        let err = bare_send(sink.port, 3, "s@anpi.test", |i| {
            if i == 1 {
                "nosuch-user@example.jp".into()
            } else {
                format!("ok{i}@example.jp")
            }
        })
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("550 5.1.1 No such user"), "{message}");
        assert!(message.contains("nosuch-user@example.jp"), "{message}");
        assert_eq!(sink.count(), 1);
        assert_eq!(sink.messages()[0].to, vec!["ok0@example.jp".to_string()]);

        // One rejected recipient among several: the others get the mail.
        let mut session = Session::open(sink.port);
        assert_eq!(session.say("EHLO test").0, 250);
        assert_eq!(session.say("MAIL FROM:<s@anpi.test>").0, 250);
        assert_eq!(session.say("RCPT TO:<a@example.jp>").0, 250);
        assert_eq!(session.say("RCPT TO:<x-bounce@example.jp>").0, 550);
        assert_eq!(session.say("RCPT TO:<b@example.jp>").0, 250);
        assert_eq!(session.say("DATA").0, 354);
        assert_eq!(session.say("Subject: two\r\n\r\nhi\r\n.").0, 250);
        assert_eq!(session.say("QUIT").0, 221);
        assert!(sink.wait_for_count(2, WAIT));
        assert_eq!(
            sink.messages()[1].to,
            vec!["a@example.jp".to_string(), "b@example.jp".to_string()]
        );
    }

    #[test]
    fn a_killed_sink_keeps_its_messages_and_starts_again_on_the_same_port() {
        let mut sink = SmtpSink::start();
        let port = sink.port;
        bare_send(port, 2, "s@anpi.test", |i| format!("before{i}@example.jp")).unwrap();
        sink.kill();
        assert_eq!(sink.count(), 2);
        assert!(bare_send(port, 1, "s@anpi.test", |_| "x@example.jp".into()).is_err());

        // A line cut short by the kill is skipped, and does not spoil the next one.
        let jsonl = sink.out_dir().join("messages.jsonl");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&jsonl)
            .unwrap();
        file.write_all(br#"{"from": "cut@anpi.test", "to": ["#)
            .unwrap();
        drop(file);
        assert_eq!(sink.count(), 2);

        sink.start_again();
        assert_eq!(sink.port, port);
        bare_send(port, 2, "s@anpi.test", |i| format!("after{i}@example.jp")).unwrap();
        assert!(sink.wait_for_count(4, WAIT), "{}", sink.log());
        let to: Vec<String> = sink.messages().into_iter().flat_map(|m| m.to).collect();
        assert_eq!(
            to,
            [
                "before0@example.jp",
                "before1@example.jp",
                "after0@example.jp",
                "after1@example.jp"
            ]
        );
    }

    #[test]
    fn auth_is_required_and_checked() {
        let sink = SmtpSink::start_with(SinkOptions {
            auth: Some(("anpi".into(), "s3cret-pw".into())),
            ..SinkOptions::default()
        });
        let plain = |user: &str, password: &str| {
            format!(
                "AUTH PLAIN {}",
                encode_base64(format!("\0{user}\0{password}").as_bytes())
            )
        };

        let mut session = Session::open(sink.port);
        let (code, ehlo) = session.say("EHLO test");
        assert_eq!(code, 250);
        assert!(ehlo.contains("AUTH") && ehlo.contains("PLAIN"), "{ehlo}");
        assert_eq!(session.say("MAIL FROM:<s@anpi.test>").0, 530);
        let (code, text) = session.say(&plain("anpi", "wrong"));
        assert_eq!(code, 535, "{text}");
        let (code, text) = session.say(&plain("anpi", "s3cret-pw"));
        assert_eq!(code, 235, "{text}");
        assert_eq!(session.say("MAIL FROM:<s@anpi.test>").0, 250);
        assert_eq!(session.say("RCPT TO:<a@example.jp>").0, 250);
        assert_eq!(session.say("DATA").0, 354);
        assert_eq!(session.say("Subject: authed\r\n\r\nhi\r\n.").0, 250);
        assert_eq!(session.say("QUIT").0, 221);
        assert!(sink.wait_for_count(1, WAIT));
        assert_eq!(sink.messages()[0].subject(), "authed");

        // AUTH LOGIN, wrong then right.
        let mut session = Session::open(sink.port);
        assert_eq!(session.say("EHLO test").0, 250);
        assert_eq!(session.say("AUTH LOGIN").0, 334);
        assert_eq!(session.say(&encode_base64(b"anpi")).0, 334);
        assert_eq!(session.say(&encode_base64(b"nope")).0, 535);
        assert_eq!(session.say("AUTH LOGIN").0, 334);
        assert_eq!(session.say(&encode_base64(b"anpi")).0, 334);
        assert_eq!(session.say(&encode_base64(b"s3cret-pw")).0, 235);
        assert_eq!(session.say("QUIT").0, 221);

        // The bare client does not authenticate.
        let err = bare_send(sink.port, 1, "s@anpi.test", |_| "a@example.jp".into()).unwrap_err();
        assert!(err.to_string().contains("530"), "{err}");
        assert_eq!(sink.count(), 1);
    }
}
