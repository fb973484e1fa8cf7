//! Node configuration, layered: defaults → TOML file → environment → flags. R: T-01,
//! T-02, T-03.
//!
//! Environment variables (also shown by `anpi-node serve --help`):
//! `ANPI_CONFIG`, `ANPI_TIER`, `ANPI_JURISDICTION`, `ANPI_PARENT`, `ANPI_DATABASE_URL`,
//! `ANPI_NATS_URL`, `ANPI_LISTEN`, `ANPI_REPORT_INTERVAL_MINUTES`, `ANPI_DEDUP_MODE`,
//! `ANPI_PUBLIC_LISTEN`, `ANPI_PUBLIC_RATE_PER_MINUTE`, `ANPI_NAME`, `ANPI_METRICS_LISTEN`,
//! `ANPI_NATS_CA`, `ANPI_NATS_CERT`, `ANPI_NATS_KEY`, `ANPI_NATS_NKEY_FILE`,
//! `ANPI_LOGIN_BACKOFF_FIRST_MS`, `ANPI_LOGIN_BACKOFF_MAX_SECONDS`, `ANPI_JMA_FEED`,
//! `ANPI_JMA_CONDITIONS`, `ANPI_JMA_POLL_SECONDS`, `ANPI_LOG` (tracing filter).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anpi_core::account::{self, LoginThrottle};
use anpi_core::dedup::DedupMode;
use anpi_core::jurisdiction::{JurisdictionCode, Tier};
use anyhow::{Context, bail};
use serde::Deserialize;

/// Flags and environment (each overrides the file).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NodeArgs {
    /// TOML configuration file.
    #[arg(long, env = "ANPI_CONFIG")]
    pub config: Option<PathBuf>,
    /// municipality | prefecture | national
    #[arg(long, env = "ANPI_TIER")]
    pub tier: Option<String>,
    /// 6-digit local-government code of this node's jurisdiction.
    #[arg(long, env = "ANPI_JURISDICTION")]
    pub jurisdiction: Option<String>,
    /// Code of the jurisdiction this node reports to (none for national).
    #[arg(long, env = "ANPI_PARENT")]
    pub parent: Option<String>,
    /// PostgreSQL URL of this node's own database.
    #[arg(long, env = "ANPI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// PostgreSQL URL of a streaming hot standby of this node's database: searches,
    /// the public page and audit reads go there while it answers (issue 22).
    #[arg(long, env = "ANPI_STANDBY_DATABASE_URL")]
    pub standby_database_url: Option<String>,
    /// NATS server URL.
    #[arg(long, env = "ANPI_NATS_URL")]
    pub nats_url: Option<String>,
    /// gRPC listen address.
    #[arg(long, env = "ANPI_LISTEN")]
    pub listen: Option<String>,
    /// Report automatically every N minutes (R-01; 0 or unset: only when asked).
    #[arg(long, env = "ANPI_REPORT_INTERVAL_MINUTES")]
    pub report_interval_minutes: Option<u64>,
    /// Automatic duplicate removal compares canonical forms (`canonical`, default) or
    /// raw strings as the original system did (`strict`) (D-03).
    #[arg(long, env = "ANPI_DEDUP_MODE")]
    pub dedup_mode: Option<String>,
    /// The jurisdiction's name as shown on documents (e.g. 千代田区); Form 5 is signed
    /// by its head (千代田区長).
    #[arg(long, env = "ANPI_NAME")]
    pub name: Option<String>,
    /// Address of the public "is information held?" page (X-01); unset: not served.
    #[arg(long, env = "ANPI_PUBLIC_LISTEN")]
    pub public_listen: Option<String>,
    /// Searches one client address may make on the public page per minute (X-03).
    #[arg(long, env = "ANPI_PUBLIC_RATE_PER_MINUTE")]
    pub public_rate_per_minute: Option<u32>,
    /// Address of the clerks' web console (issue 15); unset: not served. Over TLS with
    /// the node's certificate when --tls-cert is set.
    #[arg(long, env = "ANPI_CONSOLE_LISTEN")]
    pub console_listen: Option<String>,
    /// Address of the metrics listener (Prometheus text at /metrics, plain HTTP: counts
    /// only, no personal data; issue 22); unset: not served.
    #[arg(long, env = "ANPI_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Minutes of inactivity after which a console session ends (default 30).
    #[arg(long, env = "ANPI_CONSOLE_IDLE_MINUTES")]
    pub console_idle_minutes: Option<u64>,
    /// PEM certificate chain the gRPC server presents (TLS on when set, with --tls-key).
    #[arg(long, env = "ANPI_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ANPI_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// File holding this jurisdiction's NATS NKEY seed (`SU…`, first line), written by
    /// `anpi-node nats-config` as `<code>.nk` (A-05): the server holds only its public
    /// key.
    #[arg(long, env = "ANPI_NATS_NKEY_FILE")]
    pub nats_nkey_file: Option<PathBuf>,
    /// PEM file of the CA that signed the nats-server's certificate: NATS over TLS,
    /// the server verified against it (required unless the NATS URL is loopback).
    #[arg(long, env = "ANPI_NATS_CA")]
    pub nats_ca: Option<PathBuf>,
    /// PEM client certificate the node presents to nats-server (optional, with
    /// --nats-key; for servers that verify clients).
    #[arg(long, env = "ANPI_NATS_CERT")]
    pub nats_cert: Option<PathBuf>,
    /// PEM private key of --nats-cert.
    #[arg(long, env = "ANPI_NATS_KEY")]
    pub nats_key: Option<PathBuf>,
    /// (National) how many servers of a JetStream cluster keep each stream (1 to 5,
    /// default 1; 3 on a three-server cluster).
    #[arg(long, env = "ANPI_NATS_REPLICAS")]
    pub nats_replicas: Option<usize>,
    /// Wait after the first failed login beyond the free ones, in milliseconds; it
    /// doubles with each further failure (A-03, per account and per client address).
    #[arg(long, env = "ANPI_LOGIN_BACKOFF_FIRST_MS")]
    pub login_backoff_first_ms: Option<u64>,
    /// Longest wait after failed logins, in seconds (at most 3600).
    #[arg(long, env = "ANPI_LOGIN_BACKOFF_MAX_SECONDS")]
    pub login_backoff_max_seconds: Option<u64>,
    /// The meteorological agency's earthquake telegrams (K-08): an Atom feed's address
    /// (http:// or https://), or a directory whose *.xml telegram files are read;
    /// unset: no automatic roll-calls.
    #[arg(long, env = "ANPI_JMA_FEED")]
    pub jma_feed: Option<String>,
    /// The roll-call conditions file (JSON, schemas/jma/README.md); unset: the built-in
    /// 震度5弱以上（全国）, every organisation.
    #[arg(long, env = "ANPI_JMA_CONDITIONS")]
    pub jma_conditions: Option<PathBuf>,
    /// How often the feed or directory is read, in seconds (default 60, at least 10).
    #[arg(long, env = "ANPI_JMA_POLL_SECONDS")]
    pub jma_poll_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    tier: Option<String>,
    jurisdiction: Option<String>,
    parent: Option<String>,
    database_url: Option<String>,
    standby_database_url: Option<String>,
    nats_url: Option<String>,
    listen: Option<String>,
    report_interval_minutes: Option<u64>,
    dedup_mode: Option<String>,
    public_listen: Option<String>,
    public_rate_per_minute: Option<u32>,
    console_listen: Option<String>,
    console_idle_minutes: Option<u64>,
    metrics_listen: Option<String>,
    name: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    nats_nkey_file: Option<PathBuf>,
    nats_ca: Option<PathBuf>,
    nats_cert: Option<PathBuf>,
    nats_key: Option<PathBuf>,
    nats_replicas: Option<usize>,
    login_backoff_first_ms: Option<u64>,
    login_backoff_max_seconds: Option<u64>,
    jma_feed: Option<String>,
    jma_conditions: Option<PathBuf>,
    jma_poll_seconds: Option<u64>,
}

/// A secret that never prints (database URLs may hold passwords).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The validated configuration of a node.
#[derive(Debug, Clone)]
pub struct Config {
    pub tier: Tier,
    pub jurisdiction: JurisdictionCode,
    pub parent: Option<JurisdictionCode>,
    pub database_url: Secret,
    /// A hot standby for read-only work (issue 22); `None`: everything on the primary.
    pub standby_database_url: Option<Secret>,
    /// How the node reaches NATS (URL, TLS, NKEY; A-05).
    pub nats: NatsSettings,
    /// (National) replicas of every stream in a JetStream cluster.
    pub nats_replicas: usize,
    pub listen: SocketAddr,
    /// Automatic report period (R-01); `None`: off.
    pub report_interval: Option<std::time::Duration>,
    /// How automatic duplicate removal compares the 4 information (D-03).
    pub dedup_mode: DedupMode,
    /// The jurisdiction's display name (e.g. 千代田区), if configured.
    pub name: Option<String>,
    /// The public page's address (X-01); `None`: not served.
    pub public_listen: Option<SocketAddr>,
    /// Searches per client address and minute on the public page (X-03).
    pub public_rate_per_minute: u32,
    /// The web console's address; `None`: not served.
    pub console_listen: Option<SocketAddr>,
    /// Inactivity after which a console session ends.
    pub console_idle: std::time::Duration,
    /// The metrics listener's address (issue 22); `None`: not served.
    pub metrics_listen: Option<SocketAddr>,
    /// The gRPC server's TLS certificate and key (PEM files); `None`: plaintext.
    pub tls: Option<TlsFiles>,
    /// How failed logins slow further attempts down (A-03, docs/adr/0012).
    pub login_throttle: LoginThrottle,
    /// Automatic roll-calls from earthquake telegrams (K-08); `None`: no feed set.
    pub jma: Option<JmaSettings>,
}

/// How a node reaches NATS (A-05, issue 22).
#[derive(Debug, Clone)]
pub struct NatsSettings {
    pub url: String,
    /// The servers of `url` (several for a cluster; the client fails over among them).
    pub servers: Vec<String>,
    /// TLS: the CA the server is verified against and, optionally, the client's own
    /// certificate; `None`: plaintext, allowed only to a loopback server.
    pub tls: Option<NatsTls>,
    /// The jurisdiction's NKEY seed (the server knows only its public key); `None`:
    /// no authentication.
    pub nkey: Option<Secret>,
    /// The NKEY's public key (`U…`), for the log.
    pub nkey_public: Option<String>,
}

/// NATS over TLS.
#[derive(Debug, Clone)]
pub struct NatsTls {
    pub ca: PathBuf,
    pub client: Option<TlsFiles>,
}

/// Where the earthquake telegrams come from (K-08).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JmaFeed {
    /// An Atom feed polled over HTTP or HTTPS (the agency's, or a relay's).
    Atom(String),
    /// A directory whose new `*.xml` files are read in name order.
    Directory(PathBuf),
}

/// The automatic roll-calls' settings (K-08).
#[derive(Debug, Clone)]
pub struct JmaSettings {
    pub feed: JmaFeed,
    /// Checked whole at start (`check_conditions`).
    pub conditions: Vec<anpi_core::rollcall::jma::Condition>,
    /// The file they came from; `None`: the built-in 震度5弱以上（全国）.
    pub conditions_file: Option<PathBuf>,
    /// How often the feed is read.
    pub poll: std::time::Duration,
}

/// How often the feed is read unless configured, and at least (seconds).
pub const DEFAULT_JMA_POLL_SECONDS: u64 = 60;
pub const MIN_JMA_POLL_SECONDS: u64 = 10;
/// At most an hour between reads.
pub const MAX_JMA_POLL_SECONDS: u64 = 3600;

/// Reads the feed setting: an http(s) address or an existing directory.
fn jma_feed(text: &str) -> anyhow::Result<JmaFeed> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let uri: hyper::Uri = text
            .parse()
            .with_context(|| format!("jma_feed `{text}` is not a valid address"))?;
        if uri.host().is_none_or(str::is_empty) {
            bail!("jma_feed `{text}` names no host");
        }
        return Ok(JmaFeed::Atom(text.to_string()));
    }
    if text.contains("://") {
        bail!("jma_feed `{text}`: only http:// and https:// feeds, or a directory, are read");
    }
    let path = PathBuf::from(text);
    let meta = std::fs::metadata(&path)
        .with_context(|| format!("jma_feed: the directory {} cannot be read", path.display()))?;
    if !meta.is_dir() {
        bail!(
            "jma_feed {} is not a directory (give a directory of telegram files, or an http(s) Atom feed)",
            path.display()
        );
    }
    Ok(JmaFeed::Directory(path))
}

/// Reads and checks a conditions file; every problem at once.
fn jma_conditions(
    path: &std::path::Path,
) -> anyhow::Result<Vec<anpi_core::rollcall::jma::Condition>> {
    let size = std::fs::metadata(path)
        .with_context(|| {
            format!(
                "reading the conditions file (jma_conditions) {}",
                path.display()
            )
        })?
        .len();
    if size > anpi_files::jma::MAX_CONDITIONS_BYTES as u64 {
        bail!(
            "the conditions file (jma_conditions) {} is too large ({size} bytes, at most {})",
            path.display(),
            anpi_files::jma::MAX_CONDITIONS_BYTES
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading the conditions file (jma_conditions) {} as UTF-8",
            path.display()
        )
    })?;
    anpi_files::jma::parse_conditions(&text).map_err(|problems| {
        anyhow::anyhow!(
            "the conditions file (jma_conditions) {} is refused:\n{}",
            path.display(),
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// PEM files of the gRPC server's TLS identity.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// The PEM certificate chain and private key, checked to hold what they should;
    /// each error names the file at fault (A-05, ADR 0010).
    pub fn read_pem(&self) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
        let cert = std::fs::read(&self.cert).with_context(|| {
            format!(
                "reading the TLS certificate (tls_cert) {}",
                self.cert.display()
            )
        })?;
        if !contains(&cert, b"-----BEGIN CERTIFICATE-----") {
            bail!(
                "the TLS certificate (tls_cert) {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                self.cert.display()
            );
        }
        let key = std::fs::read(&self.key).with_context(|| {
            format!(
                "reading the TLS private key (tls_key) {}",
                self.key.display()
            )
        })?;
        if !contains(&key, b"PRIVATE KEY-----") {
            bail!(
                "the TLS private key (tls_key) {} holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)",
                self.key.display()
            );
        }
        Ok((cert, key))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

impl Config {
    /// Who signs an answer (Form 5): the head of the jurisdiction — 総務大臣 for the
    /// national tier, the governor of a prefecture, the mayor of a municipality.
    pub fn answering_body(&self) -> String {
        match (self.tier, &self.name) {
            (Tier::National, _) => "総務大臣".to_string(),
            (Tier::Prefecture, Some(name)) => format!("{name}知事"),
            (Tier::Prefecture, None) => format!(
                "{}知事",
                anpi_core::prefecture::name_of(self.jurisdiction.prefecture_number())
                    .unwrap_or("都道府県")
            ),
            (Tier::Municipality, Some(name)) => format!("{name}長"),
            (Tier::Municipality, None) => format!("市区町村長（{}）", self.jurisdiction),
        }
    }

    /// Database URL with any password masked, for logs.
    pub fn database_url_redacted(&self) -> String {
        let url = self.database_url.expose();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let credentials = &url[scheme + 3..at];
                match credentials.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                    None => url.to_string(),
                }
            }
            _ => url.to_string(),
        }
    }
}

pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
/// Public-page searches per client address and minute, unless configured.
pub const DEFAULT_PUBLIC_RATE_PER_MINUTE: u32 = 10;

/// Loads and validates the configuration.
pub fn load(args: &NodeArgs) -> anyhow::Result<Config> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the configuration file {}", path.display()))?;
            toml::from_str::<FileConfig>(&text)
                .with_context(|| format!("parsing the configuration file {}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let pick = |flag: &Option<String>, from_file: Option<String>| flag.clone().or(from_file);

    let jurisdiction_text = pick(&args.jurisdiction, file.jurisdiction)
        .context("the jurisdiction code is not set (--jurisdiction, ANPI_JURISDICTION or `jurisdiction` in the file)")?;
    let jurisdiction =
        JurisdictionCode::parse(&jurisdiction_text).context("invalid jurisdiction code")?;
    let tier = match pick(&args.tier, file.tier) {
        Some(text) => Tier::parse(&text).with_context(|| {
            format!("unknown tier `{text}` (municipality, prefecture or national)")
        })?,
        None => jurisdiction.tier(),
    };
    if tier != jurisdiction.tier() {
        bail!(
            "jurisdiction {jurisdiction} is a {} code but the tier is set to {}",
            jurisdiction.tier().as_str(),
            tier.as_str()
        );
    }
    let parent = match pick(&args.parent, file.parent) {
        Some(text) if !text.trim().is_empty() => {
            Some(JurisdictionCode::parse(&text).context("invalid parent code")?)
        }
        _ => None,
    };
    let expected_parent = jurisdiction.natural_parent();
    let parent = match (parent, expected_parent) {
        (None, expected) => expected,
        (Some(given), Some(expected)) if given == expected => Some(given),
        (Some(given), None) => bail!("the national node has no parent (given {given})"),
        (Some(given), Some(expected)) => {
            bail!("{jurisdiction} reports to {expected}, not to {given} (T-03)")
        }
    };
    let database_url = pick(&args.database_url, file.database_url)
        .context("the database URL is not set (--database-url, ANPI_DATABASE_URL or `database_url` in the file)")?;
    crate::store::pg_config(&database_url).context("invalid database URL")?;
    let standby_database_url = match pick(&args.standby_database_url, file.standby_database_url) {
        Some(url) if !url.trim().is_empty() => {
            crate::store::pg_config(url.trim()).context("invalid standby_database_url")?;
            if url.trim() == database_url.trim() {
                bail!(
                    "standby_database_url is the database_url itself: give the standby's address"
                );
            }
            Some(Secret(url.trim().to_string()))
        }
        _ => None,
    };
    let nats = nats_settings(
        pick(&args.nats_url, file.nats_url).unwrap_or_else(|| DEFAULT_NATS_URL.to_string()),
        args.nats_ca.clone().or(file.nats_ca),
        args.nats_cert.clone().or(file.nats_cert),
        args.nats_key.clone().or(file.nats_key),
        args.nats_nkey_file.clone().or(file.nats_nkey_file),
    )?;
    let nats_replicas = args.nats_replicas.or(file.nats_replicas).unwrap_or(1);
    if !(1..=5).contains(&nats_replicas) {
        bail!("nats_replicas must be between 1 and 5 (got {nats_replicas})");
    }
    let listen_text = pick(&args.listen, file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let listen = listen_text.parse().with_context(|| {
        format!("invalid listen address `{listen_text}` (e.g. 127.0.0.1:50051)")
    })?;
    let report_interval = args
        .report_interval_minutes
        .or(file.report_interval_minutes)
        .filter(|m| *m > 0)
        .map(|m| std::time::Duration::from_secs(m * 60));
    if report_interval.is_some() && parent.is_none() {
        bail!("the national node does not report; remove report_interval_minutes");
    }
    let dedup_mode = match pick(&args.dedup_mode, file.dedup_mode) {
        Some(text) => DedupMode::parse(&text)
            .with_context(|| format!("unknown dedup_mode `{text}` (canonical or strict)"))?,
        None => DedupMode::default(),
    };
    let public_listen = match pick(&args.public_listen, file.public_listen) {
        Some(text) if !text.trim().is_empty() => Some(text.trim().parse().with_context(|| {
            format!("invalid public_listen address `{text}` (e.g. 127.0.0.1:8080)")
        })?),
        _ => None,
    };
    let console_listen = match pick(&args.console_listen, file.console_listen) {
        Some(text) if !text.trim().is_empty() => Some(text.trim().parse().with_context(|| {
            format!("invalid console_listen address `{text}` (e.g. 127.0.0.1:8443)")
        })?),
        _ => None,
    };
    let metrics_listen = match pick(&args.metrics_listen, file.metrics_listen) {
        Some(text) if !text.trim().is_empty() => Some(text.trim().parse().with_context(|| {
            format!("invalid metrics_listen address `{text}` (e.g. 127.0.0.1:9464)")
        })?),
        _ => None,
    };
    let console_idle_minutes = args
        .console_idle_minutes
        .or(file.console_idle_minutes)
        .unwrap_or(30);
    if !(1..=24 * 60).contains(&console_idle_minutes) {
        bail!("console_idle_minutes must be between 1 and 1440 (got {console_idle_minutes})");
    }
    let console_idle = std::time::Duration::from_secs(console_idle_minutes * 60);
    let public_rate_per_minute = args
        .public_rate_per_minute
        .or(file.public_rate_per_minute)
        .unwrap_or(DEFAULT_PUBLIC_RATE_PER_MINUTE);
    if public_rate_per_minute == 0 {
        bail!("public_rate_per_minute must be at least 1");
    }
    let name = pick(&args.name, file.name)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let tls = match (
        args.tls_cert.clone().or(file.tls_cert),
        args.tls_key.clone().or(file.tls_key),
    ) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => bail!("tls_cert and tls_key go together: set both or neither"),
    };
    let first_ms = args
        .login_backoff_first_ms
        .or(file.login_backoff_first_ms)
        .unwrap_or(account::DEFAULT_FIRST_DELAY_MS as u64);
    let max_seconds = args
        .login_backoff_max_seconds
        .or(file.login_backoff_max_seconds)
        .unwrap_or(account::DEFAULT_MAX_DELAY_SECONDS as u64);
    let login_throttle = LoginThrottle::new(
        // Clamped far above the limits, so that `LoginThrottle::new` refuses them.
        chrono::Duration::milliseconds(first_ms.min(1 << 40) as i64),
        chrono::Duration::seconds(max_seconds.min(1 << 30) as i64),
    )
    .map_err(anyhow::Error::msg)
    .context("login_backoff_first_ms / login_backoff_max_seconds")?;
    // K-08: a bad conditions file refuses the start, with or without a feed.
    let conditions_file = args.jma_conditions.clone().or(file.jma_conditions);
    let conditions = match &conditions_file {
        Some(path) => jma_conditions(path)?,
        None => vec![anpi_core::rollcall::jma::Condition::nationwide()],
    };
    let poll_seconds = args
        .jma_poll_seconds
        .or(file.jma_poll_seconds)
        .unwrap_or(DEFAULT_JMA_POLL_SECONDS);
    if !(MIN_JMA_POLL_SECONDS..=MAX_JMA_POLL_SECONDS).contains(&poll_seconds) {
        bail!(
            "jma_poll_seconds must be between {MIN_JMA_POLL_SECONDS} and {MAX_JMA_POLL_SECONDS} (got {poll_seconds})"
        );
    }
    let jma = match pick(&args.jma_feed, file.jma_feed) {
        Some(text) if !text.trim().is_empty() => Some(JmaSettings {
            feed: jma_feed(&text)?,
            conditions,
            conditions_file,
            poll: std::time::Duration::from_secs(poll_seconds),
        }),
        _ => None,
    };
    Ok(Config {
        jma,
        login_throttle,
        tls,
        nats,
        nats_replicas,
        name,
        public_listen,
        public_rate_per_minute,
        console_listen,
        console_idle,
        metrics_listen,
        dedup_mode,
        report_interval,
        tier,
        jurisdiction,
        parent,
        database_url: Secret(database_url),
        standby_database_url,
        listen,
    })
}

/// Checks the NATS settings (A-05): plaintext only to a loopback server, a readable CA
/// holding a certificate, client certificate and key together, an NKEY user seed.
fn nats_settings(
    url: String,
    ca: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    nkey_file: Option<PathBuf>,
) -> anyhow::Result<NatsSettings> {
    let url = url.trim().to_string();
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("nats".to_string(), url.as_str()),
    };
    if !matches!(scheme.as_str(), "nats" | "tls") {
        bail!("nats_url `{url}`: the scheme must be nats:// or tls://");
    }
    // A cluster is a comma-separated list of servers (each with its own scheme or none).
    let servers: Vec<String> = url
        .split(',')
        .map(|server| server.trim().to_string())
        .filter(|server| !server.is_empty())
        .collect();
    let hosts: Vec<&str> = std::iter::once(nats_host(rest))
        .chain(servers.iter().skip(1).map(|server| {
            nats_host(
                server
                    .split_once("://")
                    .map_or(server.as_str(), |(_, rest)| rest),
            )
        }))
        .collect();
    if hosts.iter().any(|host| host.is_empty()) {
        bail!("nats_url `{url}` names no server");
    }
    let client = match (cert, key) {
        (Some(cert), Some(key)) => {
            let files = TlsFiles { cert, key };
            files.read_pem().context("nats_cert / nats_key")?;
            Some(files)
        }
        (None, None) => None,
        _ => bail!("nats_cert and nats_key go together: set both or neither"),
    };
    let tls = match ca {
        Some(ca) => {
            let text = std::fs::read(&ca)
                .with_context(|| format!("reading the NATS CA file {} (nats_ca)", ca.display()))?;
            if !String::from_utf8_lossy(&text).contains("-----BEGIN CERTIFICATE-----") {
                bail!(
                    "the NATS CA file {} holds no PEM certificate (nats_ca)",
                    ca.display()
                );
            }
            Some(NatsTls { ca, client })
        }
        None if scheme == "tls" => bail!(
            "nats_url `{url}` asks for TLS: set nats_ca to the PEM file of the CA that signed the nats-server's certificate"
        ),
        None if client.is_some() => bail!("nats_cert / nats_key need nats_ca (TLS)"),
        None if !hosts.iter().all(|host| is_loopback(host)) => bail!(
            "nats_url `{url}` is not on this machine and nats_ca is not set: reports carry personal data and may not cross a network in clear (set nats_ca and serve NATS over TLS)"
        ),
        None => None,
    };
    let (nkey, nkey_public) = match nkey_file {
        Some(path) => {
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "reading the NATS NKEY file {} (nats_nkey_file)",
                    path.display()
                )
            })?;
            let seed = text.lines().next().unwrap_or_default().trim().to_string();
            let pair = nkeys::KeyPair::from_seed(&seed).map_err(|e| {
                anyhow::anyhow!(
                    "the NATS NKEY file {} holds no valid seed: {e} (nats_nkey_file; `anpi-node nats-config` writes <code>.nk)",
                    path.display()
                )
            })?;
            if !seed.starts_with("SU") {
                bail!(
                    "the NATS NKEY file {} holds a seed that is not a user's (SU…)",
                    path.display()
                );
            }
            (Some(Secret(seed)), Some(pair.public_key()))
        }
        None => (None, None),
    };
    Ok(NatsSettings {
        url,
        servers,
        tls,
        nkey,
        nkey_public,
    })
}

/// The host of a NATS URL's `[user[:pass]@]host[:port][,…]` part (its first server).
fn nats_host(rest: &str) -> &str {
    let first = rest.split(',').next().unwrap_or_default().trim();
    let first = first.rsplit_once('@').map(|(_, h)| h).unwrap_or(first);
    let first = first.split('/').next().unwrap_or_default();
    if let Some(v6) = first.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    first.split(':').next().unwrap_or_default()
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> NodeArgs {
        NodeArgs {
            jurisdiction: Some("131016".into()),
            database_url: Some("postgres://postgres:pw@127.0.0.1/anpi".into()),
            ..NodeArgs::default()
        }
    }

    #[test]
    fn defaults_and_derivations() {
        let config = load(&args()).unwrap();
        assert_eq!(config.tier, Tier::Municipality);
        assert_eq!(config.parent.as_ref().unwrap().as_str(), "130001");
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(
            config.database_url_redacted(),
            "postgres://postgres:***@127.0.0.1/anpi"
        );
        assert!(!format!("{config:?}").contains("pw@"));
    }

    #[test]
    fn file_is_overridden_by_flags() {
        let dir = std::env::temp_dir().join(format!("anpi-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.toml");
        std::fs::write(&path, "jurisdiction = \"131016\"\nlisten = \"127.0.0.1:6000\"\ndatabase_url = \"postgres://x@h/db\"\n").unwrap();
        let config = load(&NodeArgs {
            config: Some(path.clone()),
            listen: Some("127.0.0.1:7000".into()),
            ..NodeArgs::default()
        })
        .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:7000");
        std::fs::write(&path, "jurisdiction = \"131016\"\nlisten_addr = \"x\"\n").unwrap();
        let error = load(&NodeArgs {
            config: Some(path),
            ..NodeArgs::default()
        })
        .unwrap_err();
        assert!(format!("{error:#}").contains("listen_addr"));
    }

    /// A-05, issue 22: personal data never crosses a network to NATS in clear; the
    /// TLS and NKEY settings are checked at start, each error naming the setting.
    #[test]
    fn nats_settings_refuse_plaintext_off_the_machine_and_bad_files() {
        let dir = std::env::temp_dir().join(format!("anpi-nats-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let with = |url: &str, ca: Option<&str>, nkey: Option<&str>| {
            let ca = ca.map(|text| {
                let path = dir.join("ca.pem");
                std::fs::write(&path, text).unwrap();
                path
            });
            let nkey = nkey.map(|text| {
                let path = dir.join("node.nk");
                std::fs::write(&path, text).unwrap();
                path
            });
            load(&NodeArgs {
                nats_url: Some(url.into()),
                nats_ca: ca,
                nats_nkey_file: nkey,
                ..args()
            })
            .map_err(|e| format!("{e:#}"))
        };
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        // Loopback in clear is the tests' and the demo's case.
        for url in ["nats://127.0.0.1:4222", "nats://localhost:1", "[::1]:4222"] {
            let config = with(url, None, None).unwrap();
            assert!(config.nats.tls.is_none(), "{url}");
        }
        let cluster = with(
            "nats://127.0.0.1:1, nats://127.0.0.1:2,127.0.0.1:3",
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            cluster.nats.servers,
            ["nats://127.0.0.1:1", "nats://127.0.0.1:2", "127.0.0.1:3"]
        );
        // Another machine in clear is refused, also behind credentials or a list.
        for url in [
            "nats://10.0.0.5:4222",
            "nats://u:p@nats.example.jp:4222",
            "nats.example.jp",
            "nats://nats.example.jp:4222,nats://127.0.0.1:4222",
            "nats://127.0.0.1:4222,nats://10.0.0.6:4222",
        ] {
            let error = with(url, None, None).unwrap_err();
            assert!(
                error.contains("in clear") && error.contains("nats_ca"),
                "{url}: {error}"
            );
        }
        let error = with("tls://127.0.0.1:4222", None, None).unwrap_err();
        assert!(error.contains("set nats_ca"), "{error}");
        let error = with("nats://10.0.0.5:4222", Some("not a certificate"), None).unwrap_err();
        assert!(error.contains("holds no PEM certificate"), "{error}");
        let config = with("tls://nats.example.jp:4222", Some(pem), None).unwrap();
        assert_eq!(config.nats.tls.unwrap().ca, dir.join("ca.pem"));
        let error = with("ftp://127.0.0.1:4222", None, None).unwrap_err();
        assert!(error.contains("nats:// or tls://"), "{error}");

        // The NKEY file holds a user seed; the log shows only the public key.
        let pair = nkeys::KeyPair::new_user();
        let seed = pair.seed().unwrap();
        let config = with("nats://127.0.0.1:4222", None, Some(&format!("{seed}\n"))).unwrap();
        assert_eq!(config.nats.nkey.as_ref().unwrap().expose(), seed);
        assert_eq!(
            config.nats.nkey_public.as_deref(),
            Some(pair.public_key().as_str())
        );
        assert!(!format!("{config:?}").contains(&seed));
        let error = with("nats://127.0.0.1:4222", None, Some("password123")).unwrap_err();
        assert!(
            error.contains("nats_nkey_file") && error.contains("no valid seed"),
            "{error}"
        );
        let account = nkeys::KeyPair::new_account().seed().unwrap();
        let error = with("nats://127.0.0.1:4222", None, Some(&account)).unwrap_err();
        assert!(error.contains("not a user's"), "{error}");
        let error = load(&NodeArgs {
            nats_ca: Some(dir.join("missing.pem")),
            ..args()
        })
        .unwrap_err();
        assert!(
            format!("{error:#}").contains("reading the NATS CA file"),
            "{error:#}"
        );
        let error = load(&NodeArgs {
            nats_cert: Some(dir.join("c.pem")),
            ..args()
        })
        .unwrap_err();
        assert!(format!("{error:#}").contains("nats_cert and nats_key go together"));
    }

    #[test]
    fn login_backoff_is_configurable_and_checked() {
        assert_eq!(
            load(&args()).unwrap().login_throttle,
            LoginThrottle::default()
        );
        let short = load(&NodeArgs {
            login_backoff_first_ms: Some(250),
            login_backoff_max_seconds: Some(2),
            ..args()
        })
        .unwrap()
        .login_throttle;
        assert_eq!(
            short.account.first_delay,
            chrono::Duration::milliseconds(250)
        );
        assert_eq!(short.address.max_delay, chrono::Duration::seconds(2));
        for (first, max) in [(Some(0), None), (None, Some(7200)), (Some(5000), Some(1))] {
            let error = load(&NodeArgs {
                login_backoff_first_ms: first,
                login_backoff_max_seconds: max,
                ..args()
            })
            .unwrap_err();
            assert!(format!("{error:#}").contains("login_backoff"), "{error:#}");
        }
    }

    // R: K-08 — the feed, the conditions and the polling interval.
    #[test]
    fn the_earthquake_feed_settings_are_read_and_checked() {
        let none = load(&args()).unwrap();
        assert!(none.jma.is_none(), "no feed: no task");
        let atom = load(&NodeArgs {
            jma_feed: Some("https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml".into()),
            ..args()
        })
        .unwrap()
        .jma
        .unwrap();
        assert!(matches!(atom.feed, JmaFeed::Atom(ref url) if url.ends_with("eqvol.xml")));
        assert_eq!(
            atom.conditions,
            [anpi_core::rollcall::jma::Condition::nationwide()]
        );
        assert_eq!(atom.poll, std::time::Duration::from_secs(60));

        let dir = std::env::temp_dir().join(format!("anpi-jma-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conditions = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/jma/conditions.example.json");
        let from_dir = load(&NodeArgs {
            jma_feed: Some(dir.display().to_string()),
            jma_conditions: Some(conditions),
            jma_poll_seconds: Some(10),
            ..args()
        })
        .unwrap()
        .jma
        .unwrap();
        assert_eq!(from_dir.feed, JmaFeed::Directory(dir.clone()));
        assert_eq!(from_dir.conditions.len(), 2);
        assert_eq!(from_dir.poll, std::time::Duration::from_secs(10));

        let refused = |args: NodeArgs| format!("{:#}", load(&args).unwrap_err());
        let feed = |text: &str| NodeArgs {
            jma_feed: Some(text.into()),
            ..args()
        };
        assert!(refused(feed("ftp://example.jp/feed.xml")).contains("http://"));
        assert!(refused(feed("https:///feed.xml")).contains("jma_feed"));
        assert!(refused(feed(&dir.join("missing").display().to_string())).contains("jma_feed"));
        assert!(
            refused(NodeArgs {
                jma_poll_seconds: Some(9),
                ..feed("https://example.jp/feed.xml")
            })
            .contains("jma_poll_seconds")
        );
        // A bad conditions file refuses the start with every problem, feed or not.
        let bad = dir.join("conditions.json");
        std::fs::write(
            &bad,
            r#"[{"name": "x", "min_intensity": "3", "targets": [{"areas": ["9"]}]}]"#,
        )
        .unwrap();
        let text = refused(NodeArgs {
            jma_conditions: Some(bad.clone()),
            ..args()
        });
        assert!(text.contains("jma_conditions"), "{text}");
        assert!(
            text.contains("震度4以上") && text.contains("細分区域コード"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn inconsistent_tier_and_parent_are_refused() {
        let error = load(&NodeArgs {
            tier: Some("national".into()),
            ..args()
        })
        .unwrap_err();
        assert!(error.to_string().contains("tier"));
        let error = load(&NodeArgs {
            parent: Some("270008".into()),
            ..args()
        })
        .unwrap_err();
        assert!(error.to_string().contains("T-03"));
    }
}
