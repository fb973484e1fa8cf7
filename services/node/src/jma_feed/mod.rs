//! The earthquake telegram feed (K-08, issue 20 item 3): one task per node with
//! `jma_feed` configured. It reads new telegrams — from the meteorological agency's
//! Atom feed (or a relay's) polled over HTTP(S), or from a watched directory — and
//! hands each to the application layer (`NodeState::jma_telegram`), which decides
//! with `anpi_core::rollcall::jma` and writes the telegram, the rules' state and the
//! roll-calls it starts or cancels in one transaction. It also starts the dispatches
//! that come due (`NodeState::jma_start_due`: a condition's delay, a mail server set
//! late). This module only fetches, reads and logs: adapters, no rules.
//!
//! - **Atom feed**: every `jma_poll_seconds` (and at start) the feed is fetched
//!   (conditionally: `If-None-Match` / `If-Modified-Since`), read with
//!   `anpi_files::jma::parse_atom`; entries whose title is an earthquake telegram
//!   (震度速報, 震源に関する情報, 震源・震度に関する情報) and whose id was never read
//!   are fetched oldest first ([`pick_entries`]), the link resolved against the feed's
//!   address after redirects ([`resolve`]). Other entries (volcanoes, tsunami …) are never fetched.
//! - **Directory**: every `jma_poll_seconds` the `*.xml` files are read in name order
//!   ([`pick_files`]); a file is new when its name with the SHA-256 of its bytes was
//!   never read (a file rewritten with other bytes is read again; the rules decide
//!   nothing twice for the same earthquake). Files unchanged since the last poll (size
//!   and modification time) are not read again.
//! - A telegram that cannot be fetched (no connection, HTTP error) stops the poll
//!   there and is tried again at the next one, so that telegrams are always decided in
//!   the order published (a 取消 never before what it cancels). A telegram that is
//!   fetched but cannot be read (malformed XML, too large, not a telegram) is logged,
//!   remembered and never tried again; early warnings and other telegrams are
//!   remembered with the rules' reason.
//! - Every decision is logged with its reason (`info`), what became of each dispatch
//!   (started, pending, failed, skipped) too; an unreadable telegram is a `warn`.

mod http;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anpi_core::rollcall::jma::{Condition, Decision};
use anpi_files::jma::{FeedEntry, MAX_FEED_BYTES, MAX_TELEGRAM_BYTES, parse_atom, parse_telegram};
use sha2::{Digest, Sha256};

pub use self::http::{FetchError, Fetched, Validators};
use crate::app::jma::{Processed, SourceKind, TelegramRead, TelegramSource};
use crate::app::{AppError, NodeState};
use crate::config::{JmaFeed, JmaSettings};

/// Why a poll stopped early (logged; the rest is read at the next poll).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("fetching {0}")]
    Fetch(#[from] FetchError),
    #[error("the feed cannot be read: {0}")]
    Feed(String),
    #[error("the directory {path}: {error}")]
    Directory {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    App(#[from] AppError),
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Polled {
    /// Telegrams handed to the rules (new ones, read or not).
    pub telegrams: usize,
    /// Roll-calls started and withdrawn by them.
    pub started: usize,
    pub cancelled: usize,
}

/// The feed task's state.
pub struct Feed {
    state: Arc<NodeState>,
    settings: JmaSettings,
    /// The feed's validators from its last answer (conditional requests).
    validators: Validators,
    /// Directory files as last seen: name → (size, modified), to skip unchanged ones.
    seen_files: BTreeMap<String, (u64, Option<SystemTime>)>,
}

impl Feed {
    pub fn new(state: Arc<NodeState>, settings: JmaSettings) -> Feed {
        Feed {
            state,
            settings,
            validators: Validators::default(),
            seen_files: BTreeMap::new(),
        }
    }

    /// Polls at start and every `jma_poll_seconds`, and starts due dispatches as they
    /// come due; runs until the node stops.
    pub async fn run(mut self) {
        tracing::info!(
            feed = ?self.settings.feed,
            conditions = self.settings.conditions.len(),
            every = self.settings.poll.as_secs(),
            "earthquake telegram feed started (K-08)"
        );
        let mut next_poll = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= next_poll {
                next_poll = tokio::time::Instant::now() + self.settings.poll;
                if let Err(error) = self.poll().await {
                    tracing::warn!(%error, "earthquake telegram feed: poll stopped; trying again at the next one");
                }
            }
            if let Err(error) = self.start_due().await {
                tracing::warn!(%error, "earthquake roll-calls due could not be started; trying again");
            }
            let until_poll = next_poll.saturating_duration_since(tokio::time::Instant::now());
            // A dispatch due later wakes the task when due; one already due that is
            // still pending (no mail server yet) is tried again at the next poll.
            let now = chrono::Utc::now();
            let until_due = match self.state.jma_next_due(now).await {
                Ok(Some(at)) => (at - now)
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .max(Duration::from_secs(1)),
                _ => until_poll,
            };
            tokio::time::sleep(until_poll.min(until_due)).await;
        }
    }

    /// Reads what is new once (the feed or the directory) and hands each telegram to
    /// the rules, in order; stops at the first telegram that cannot be fetched.
    pub async fn poll(&mut self) -> Result<Polled, PollError> {
        match self.settings.feed.clone() {
            JmaFeed::Atom(url) => self.poll_atom(&url).await,
            JmaFeed::Directory(path) => self.poll_directory(&path).await,
        }
    }

    /// Starts the dispatches that are due (and logs what became of each).
    pub async fn start_due(&self) -> Result<usize, AppError> {
        let outcomes = self.state.jma_start_due(chrono::Utc::now()).await?;
        let mut started = 0;
        for outcome in outcomes {
            let d = &outcome.dispatch;
            match outcome.state {
                "started" => {
                    started += 1;
                    tracing::info!(
                        condition = %d.condition, event_id = %d.event_id, mode = d.mode.as_str(),
                        rollcall = ?outcome.written.started.first(), mails = outcome.written.mails,
                        title = %d.title, "earthquake roll-call started when due"
                    );
                }
                "pending" => tracing::debug!(
                    condition = %d.condition, event_id = %d.event_id, note = %outcome.note,
                    "earthquake roll-call still waiting"
                ),
                state => tracing::error!(
                    condition = %d.condition, event_id = %d.event_id, state, note = %outcome.note,
                    "earthquake roll-call not started"
                ),
            }
        }
        Ok(started)
    }

    async fn poll_atom(&mut self, url: &str) -> Result<Polled, PollError> {
        let mut polled = Polled::default();
        let (base, feed) = match http::get(url, MAX_FEED_BYTES, &self.validators).await? {
            Fetched::NotModified => {
                tracing::debug!(url, "earthquake telegram feed unchanged");
                return Ok(polled);
            }
            Fetched::Body {
                url: base,
                bytes,
                etag,
                last_modified,
            } => {
                let entries =
                    parse_atom(&bytes).map_err(|error| PollError::Feed(error.to_string()))?;
                // Remembered only once the feed could be read.
                self.validators = Validators {
                    etag,
                    last_modified,
                };
                (base, entries)
            }
        };
        let picked = pick_entries(feed);
        for entry in picked {
            if self.state.jma_entry_known(&entry.id).await? {
                continue;
            }
            let read = match entry.link.as_deref().and_then(|link| resolve(&base, link)) {
                None => TelegramRead {
                    source: source(SourceKind::Atom, &entry.id, b""),
                    telegram: Err(format!(
                        "フィードの項目「{}」（{}）に電文へのリンクがありません",
                        entry.title, entry.id
                    )),
                },
                Some(link) => match http::get(&link, MAX_TELEGRAM_BYTES, &Validators::default())
                    .await
                {
                    // The telegram is tried again at the next poll, and nothing after it
                    // is read before it.
                    Err(error) => {
                        // A forgotten validator makes the next poll fetch the feed again.
                        self.validators = Validators::default();
                        return Err(error.into());
                    }
                    Ok(Fetched::NotModified) => {
                        self.validators = Validators::default();
                        return Err(PollError::Feed(format!("{link}: 304 without a condition")));
                    }
                    Ok(Fetched::Body { bytes, .. }) => TelegramRead {
                        source: source(SourceKind::Atom, &entry.id, &bytes),
                        telegram: parse_telegram(&bytes).map_err(|e| e.to_string()),
                    },
                },
            };
            self.process(&read, &mut polled).await?;
        }
        Ok(polled)
    }

    async fn poll_directory(&mut self, dir: &Path) -> Result<Polled, PollError> {
        let mut polled = Polled::default();
        let listing = |error| PollError::Directory {
            path: dir.to_path_buf(),
            error,
        };
        let mut names = Vec::new();
        let mut entries = tokio::fs::read_dir(dir).await.map_err(listing)?;
        while let Some(entry) = entries.next_entry().await.map_err(listing)? {
            let is_file = entry
                .file_type()
                .await
                .map(|t| t.is_file())
                .unwrap_or(false);
            if is_file && let Some(name) = entry.file_name().to_str() {
                names.push(name.to_string());
            }
        }
        let names = pick_files(names);
        let read_before = self.state.jma_files_read().await?;
        for name in names {
            let path = dir.join(&name);
            // A file removed since the listing (moved away by its writer) is skipped.
            let gone = |error: &std::io::Error| error.kind() == std::io::ErrorKind::NotFound;
            let meta = match tokio::fs::metadata(&path).await {
                Ok(meta) => meta,
                Err(error) if gone(&error) => continue,
                Err(error) => return Err(listing(error)),
            };
            let stamp = (meta.len(), meta.modified().ok());
            if self.seen_files.get(&name) == Some(&stamp) {
                continue;
            }
            let bytes = match read_limited(&path).await {
                Ok(bytes) => bytes,
                Err(error) if gone(&error) => continue,
                Err(error) => return Err(listing(error)),
            };
            let source = source(SourceKind::Directory, &name, &bytes);
            if !read_before.contains(&(name.clone(), source.hash.clone())) {
                let read = TelegramRead {
                    source,
                    telegram: parse_telegram(&bytes).map_err(|e| e.to_string()),
                };
                self.process(&read, &mut polled).await?;
            }
            self.seen_files.insert(name, stamp);
        }
        Ok(polled)
    }

    /// Hands one telegram to the rules and logs what became of it.
    async fn process(&self, read: &TelegramRead, polled: &mut Polled) -> Result<(), AppError> {
        let conditions: &[Condition] = &self.settings.conditions;
        let processed = self
            .state
            .jma_telegram(conditions, read, chrono::Utc::now())
            .await?;
        log(read, &processed);
        if !processed.known {
            polled.telegrams += 1;
            polled.started += processed.written.started.len();
            polled.cancelled += processed.written.cancelled.len();
        }
        Ok(())
    }
}

/// Logs a telegram's outcome: every decision with its reason.
fn log(read: &TelegramRead, processed: &Processed) {
    let source = format!("{}:{}", read.source.kind.as_str(), read.source.name);
    if processed.known {
        tracing::debug!(%source, "earthquake telegram read before");
        return;
    }
    if let Some(first) = &processed.repeat_of {
        tracing::info!(%source, repeat_of = %first, "earthquake telegram: the same bytes were read before; not decided again");
        return;
    }
    if let Err(error) = &read.telegram {
        tracing::warn!(%source, %error, "earthquake telegram cannot be read; remembered and ignored");
        return;
    }
    for decision in &processed.decisions {
        match decision {
            Decision::Dispatch {
                condition,
                orgs,
                mode,
                at,
                reason,
                ..
            } => tracing::info!(
                %source, decision = "dispatch", %condition, mode = mode.as_str(),
                orgs = ?orgs.iter().map(|o| o.as_str()).collect::<Vec<_>>(), %at, %reason,
                "earthquake telegram decision"
            ),
            Decision::Cancel {
                condition, reason, ..
            } => tracing::info!(
                %source, decision = "cancel", %condition, %reason,
                "earthquake telegram decision"
            ),
            Decision::Ignore { reason } => tracing::info!(
                %source, decision = "ignore", %reason,
                "earthquake telegram decision"
            ),
        }
    }
    for (condition, state, note) in &processed.dispatches {
        if *state == "failed" {
            tracing::error!(%source, %condition, state, %note, "earthquake roll-call not started");
        } else {
            tracing::info!(%source, %condition, state, %note, "earthquake roll-call");
        }
    }
    if !processed.written.cancelled.is_empty() {
        tracing::info!(
            %source, rollcalls = ?processed.written.cancelled, mails = processed.written.mails,
            "earthquake roll-calls withdrawn (取消); the members are told"
        );
    }
}

fn source(kind: SourceKind, name: &str, bytes: &[u8]) -> TelegramSource {
    TelegramSource {
        kind,
        name: name.to_string(),
        hash: Sha256::digest(bytes).to_vec(),
    }
}

/// Reads a file, at most one byte more than a telegram may have (the reader then
/// says it is too large).
async fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path).await?;
    let mut bytes = Vec::new();
    file.take(MAX_TELEGRAM_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .await?;
    Ok(bytes)
}

/// The entries to fetch, oldest first: earthquake telegrams only (震度速報, 震源に
/// 関する情報, 震源・震度に関する情報), in the order published. The agency's feeds
/// list the newest first; entries are put in the order of their `updated` time, and
/// entries of the same (or no) time in reverse document order.
pub fn pick_entries(entries: Vec<FeedEntry>) -> Vec<FeedEntry> {
    let mut picked: Vec<FeedEntry> = entries
        .into_iter()
        .filter(FeedEntry::is_earthquake_information)
        .collect();
    picked.reverse();
    // Stable: ties (and entries without a time, first) keep the reversed order.
    picked.sort_by_key(|entry| entry.updated);
    picked
}

/// The files to read, in name order: `*.xml` (any case), no hidden files (an editor's
/// or a copy's temporary file).
pub fn pick_files(mut names: Vec<String>) -> Vec<String> {
    names.retain(|name| {
        !name.starts_with('.')
            && Path::new(name)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
    });
    names.sort();
    names
}

/// A link of the feed as an absolute address: an `http(s)://` link as it is, `//host/…`
/// with the feed's scheme, `/path` on the feed's host, anything else beside the
/// feed's path. `None` for another scheme or a base that is not an address.
pub fn resolve(base: &str, link: &str) -> Option<String> {
    let link = link.trim();
    let lower = link.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(link.to_string());
    }
    if link.is_empty() || link.contains("://") || lower.starts_with("javascript:") {
        return None;
    }
    let uri: hyper::Uri = base.parse().ok()?;
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?.as_str();
    if let Some(rest) = link.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if link.starts_with('/') {
        return Some(format!("{scheme}://{authority}{link}"));
    }
    let path = uri.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    Some(format!("{scheme}://{authority}{dir}{link}"))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn entry(id: &str, title: &str, minute: Option<u32>) -> FeedEntry {
        FeedEntry {
            id: id.into(),
            title: title.into(),
            updated: minute.map(|m| Utc.with_ymd_and_hms(2026, 12, 6, 0, m, 0).unwrap()),
            link: Some(format!("{id}.xml")),
        }
    }

    // R: K-08 — only earthquake telegrams are fetched, oldest first.
    #[test]
    fn entries_are_the_earthquake_telegrams_oldest_first() {
        let feed = vec![
            entry("d", "震源・震度に関する情報", Some(5)),
            entry("v", "噴火に関する火山観測報", Some(4)),
            entry("c", "震源に関する情報", Some(2)),
            entry("b", "震度速報", Some(0)),
            entry("t", "津波警報・注意報・予報a", Some(0)),
            entry("a", "震度速報", Some(0)),
            entry("e", "緊急地震速報（予報）", Some(6)),
        ];
        let ids: Vec<String> = pick_entries(feed).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        let untimed = vec![entry("y", "震度速報", None), entry("x", "震度速報", None)];
        let ids: Vec<String> = pick_entries(untimed).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["x", "y"], "document order reversed");
    }

    #[test]
    fn files_are_the_xml_files_in_name_order() {
        let names = [
            "20261206090500_VXSE53.xml",
            "20261206090000_VXSE51.XML",
            ".20261206091000_VXSE51.xml.swp",
            ".hidden.xml",
            "readme.txt",
            "20261206093000_VXSE53.xml.part",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            pick_files(names),
            ["20261206090000_VXSE51.XML", "20261206090500_VXSE53.xml"]
        );
    }

    #[test]
    fn links_are_resolved_against_the_feed_address() {
        let base = "https://feed.example.jp/developer/xml/feed/eqvol.xml?x=1";
        assert_eq!(
            resolve(base, "http://other.example.jp/a.xml").as_deref(),
            Some("http://other.example.jp/a.xml")
        );
        assert_eq!(
            resolve(base, "//cdn.example.jp/a.xml").as_deref(),
            Some("https://cdn.example.jp/a.xml")
        );
        assert_eq!(
            resolve(base, "/developer/xml/data/a.xml").as_deref(),
            Some("https://feed.example.jp/developer/xml/data/a.xml")
        );
        assert_eq!(
            resolve(base, "../data/a.xml").as_deref(),
            Some("https://feed.example.jp/developer/xml/feed/../data/a.xml")
        );
        assert_eq!(
            resolve("http://127.0.0.1:8080", "a.xml").as_deref(),
            Some("http://127.0.0.1:8080/a.xml")
        );
        assert_eq!(resolve(base, "ftp://example.jp/a.xml"), None);
        assert_eq!(resolve(base, "javascript:alert(1)"), None);
        assert_eq!(resolve(base, " "), None);
        assert_eq!(resolve("not an address", "a.xml"), None);
    }
}
