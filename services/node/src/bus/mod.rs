//! NATS JetStream adapter: reports between nodes. R: R-01..R-04, T-03, T-05.
//!
//! One stream, `ANPI_REPORTS` (file storage, work-queue retention), holds report parts
//! on `anpi.report.<to>.<from>` and receipts on `anpi.receipt.<to>.<from>`. Each node
//! consumes only its own inbound subjects with durable pull consumers
//! (`reports-<code>`, `receipts-<code>`), so what waits for a node that is down or
//! paused stays in the stream until it takes it.
//!
//! - [`relay`]: publishes the reports recorded in the outbox, part by part, until
//!   JetStream has stored every part (and again after any failure).
//! - [`inbound`]: stages arriving parts in PostgreSQL, acknowledges them only after
//!   that commit, applies complete reports in their sender's order through the writer,
//!   and sends receipts back; [`inbound::run_receipts`] records the parent's receipts.
//! - [`shared`]: the national shared dataset (P-02) in its own stream, `ANPI_SHARED`:
//!   the national publisher sends each version's delta; every node keeps a replica.
//! - [`orders`]: the national tier's revocation orders in `ANPI_ORDERS`.
//! - [`parts`]: cutting a sequence of items into messages that fit the payload limit.
//!
//! The adapter holds no rules of its own: ordering, completeness and origin checks are
//! in `anpi_core::report`.

pub mod auth;
pub mod inbound;
pub mod incidents;
pub mod orders;
pub mod parts;
pub mod relay;
pub mod shared;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use anpi_core::jurisdiction::JurisdictionCode;
use async_nats::jetstream::{self, consumer, stream};
use deadpool_postgres::Pool;

use crate::store::writer::Writer;

pub const STREAM: &str = "ANPI_REPORTS";
/// JetStream's duplicate window for `Nats-Msg-Id` (its default). Receivers are
/// idempotent beyond it.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

pub fn report_subject(to: &JurisdictionCode, from: &JurisdictionCode) -> String {
    format!("anpi.report.{to}.{from}")
}

pub fn receipt_subject(to: &JurisdictionCode, from: &JurisdictionCode) -> String {
    format!("anpi.receipt.{to}.{from}")
}

/// Report parts (or receipts) one subject — one child towards its parent — may hold
/// waiting at once. Parts are at most the server's payload limit (1 MiB by default),
/// so a child can park at most about 10 GiB; a 200,000-event report is about 60 parts.
pub const MESSAGES_PER_SUBJECT: i64 = 10_000;
/// The largest message any anpi stream takes (the server's payload limit is lower
/// unless raised; parts are cut to that).
pub const MAX_MESSAGE_SIZE: i32 = 8 << 20;

/// The stream's configuration (also used by `anpi-local` through the node).
///
/// Bounded (issue 13: a node could fill an unbounded stream with garbage on its own
/// subject): per subject at most [`MESSAGES_PER_SUBJECT`] messages, each at most
/// [`MAX_MESSAGE_SIZE`] (in all, the server's JetStream storage, `max_file_store`: a
/// byte limit on the stream is reserved up front and a larger one than the server has
/// is refused); when a subject is full,
/// JetStream refuses that subject's new messages only (`discard_new_per_subject`), so
/// one child cannot crowd out the others. The refused child loses nothing: its report
/// stays in its outbox (`reports_sent`, pending) and its relay retries with back-off
/// until the parent has taken what waits (docs/adr/0005-reports-over-jetstream.md).
pub fn stream_config() -> stream::Config {
    stream::Config {
        name: STREAM.to_string(),
        description: Some("anpi reports and receipts between nodes".into()),
        subjects: vec!["anpi.report.>".into(), "anpi.receipt.>".into()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        max_messages_per_subject: MESSAGES_PER_SUBJECT,
        max_message_size: MAX_MESSAGE_SIZE,
        discard: stream::DiscardPolicy::New,
        discard_new_per_subject: true,
        ..Default::default()
    }
}

/// (National) brings every anpi stream to its configuration: creates it, or updates
/// one made by an older version (limits added later apply to existing networks).
///
/// `replicas`: how many servers of a JetStream cluster keep each stream (1 on a single
/// server; 3 on the three-server cluster, issue 22). Raising it on an existing stream
/// makes the cluster copy it to more servers.
pub async fn configure_streams(js: &jetstream::Context, replicas: usize) -> anyhow::Result<()> {
    for mut config in [
        stream_config(),
        shared::stream_config(),
        orders::stream_config(),
        incidents::stream_config(),
    ] {
        let name = config.name.clone();
        config.num_replicas = replicas;
        js.create_or_update_stream(config)
            .await
            .map_err(|e| anyhow::anyhow!("stream {name}: {e}"))?;
    }
    Ok(())
}

/// Connects to NATS. The node starts even when NATS is down (T-05): the client keeps
/// trying in the background and every loop here retries.
///
/// Over TLS when the settings give a CA (the server is verified against it; A-05,
/// issue 22). With an NKEY the node logs in as its jurisdiction's NATS user, whose
/// permissions (`anpi-node nats-config`) allow only its own subjects; replies come to
/// its own inbox prefix `_INBOX_<code>`, which no other node may subscribe to.
///
/// A first attempt without retries tells a refusal (wrong CA, wrong or unknown key) apart
/// from a server that is down, and logs it with the reason: retrying cannot fix those.
pub async fn connect(
    settings: &crate::config::NatsSettings,
    code: &JurisdictionCode,
) -> anyhow::Result<async_nats::Client> {
    match options(settings, code)
        .connect(settings.servers.as_slice())
        .await
    {
        Ok(client) => {
            tracing::info!(url = %settings.url, tls = settings.tls.is_some(), nkey = settings.nkey_public.as_deref().unwrap_or("-"), "nats: connected");
            return Ok(client);
        }
        Err(error) => {
            let reason = refusal(&error);
            match reason {
                Some(reason) => {
                    tracing::error!(url = %settings.url, error = %error_chain(&error), "nats: refused: {reason}")
                }
                None => {
                    tracing::warn!(url = %settings.url, error = %error_chain(&error), "nats: not reachable yet; retrying in the background")
                }
            }
        }
    }
    let client = options(settings, code)
        .retry_on_initial_connect()
        .connect(settings.servers.as_slice())
        .await?;
    Ok(client)
}

fn options(
    settings: &crate::config::NatsSettings,
    code: &JurisdictionCode,
) -> async_nats::ConnectOptions {
    // Both clients (the first attempt's and the retrying one) reconnect forever and
    // log what happens to the connection.
    let mut options = async_nats::ConnectOptions::new()
        .custom_inbox_prefix(inbox_prefix(code))
        .name(format!("anpi-node {code}"))
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .event_callback(|event| async move {
            match &event {
                async_nats::Event::ClientError(_) | async_nats::Event::ServerError(_) => {
                    tracing::warn!(%event, "nats")
                }
                _ => tracing::info!(%event, "nats"),
            }
        });
    if let Some(seed) = &settings.nkey {
        options = options.nkey(seed.expose().to_string());
    }
    if let Some(tls) = &settings.tls {
        options = options
            .require_tls(true)
            .add_root_certificates(tls.ca.clone());
        if let Some(client) = &tls.client {
            options = options.add_client_certificate(client.cert.clone(), client.key.clone());
        }
    }
    options
}

/// Why the server (or its certificate) refused the node, when it did; `None` when the
/// error may pass (the server down, a timeout).
fn refusal(error: &async_nats::ConnectError) -> Option<&'static str> {
    use async_nats::ConnectErrorKind as Kind;
    // A failed handshake (an unknown issuer, a name mismatch) arrives as an I/O error.
    let chain = error_chain(error).to_ascii_lowercase();
    let handshake = ["certificate", "handshake", "tls"]
        .iter()
        .any(|word| chain.contains(word));
    match error.kind() {
        Kind::Io if handshake => Some(
            "TLS failed: check nats_ca (the CA that signed the server's certificate), the server's certificate names and dates, and nats_cert/nats_key",
        ),
        Kind::Tls => Some(
            "TLS failed: check nats_ca (the CA that signed the server's certificate), the server's certificate names and dates, and nats_cert/nats_key",
        ),
        Kind::AuthorizationViolation | Kind::Authentication => Some(
            "the server does not accept this node's credentials: check nats_nkey_file against the server's users (`anpi-node nats-config`)",
        ),
        _ => None,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The inbox prefix of `code`'s replies (its NATS user may subscribe only there).
pub fn inbox_prefix(code: &JurisdictionCode) -> String {
    format!("_INBOX_{code}")
}

/// Creates the stream when it does not exist yet.
pub async fn ensure_stream(js: &jetstream::Context) -> anyhow::Result<stream::Stream> {
    Ok(js.get_or_create_stream(stream_config()).await?)
}

/// A durable pull consumer of one node's inbound subject (of the report stream).
pub async fn durable_consumer(
    js: &jetstream::Context,
    name: &str,
    subject: String,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    durable_consumer_of(js, stream_config(), name, subject).await
}

/// A durable pull consumer of `subject` in the stream `config` (created if missing).
pub async fn durable_consumer_of(
    js: &jetstream::Context,
    config: stream::Config,
    name: &str,
    subject: String,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    let stream = js.get_or_create_stream(config).await?;
    let consumer = stream
        .get_or_create_consumer(
            name,
            consumer::pull::Config {
                durable_name: Some(name.to_string()),
                filter_subject: subject,
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(10),
                max_ack_pending: 256,
                deliver_policy: consumer::DeliverPolicy::All,
                ..Default::default()
            },
        )
        .await?;
    Ok(consumer)
}

/// What the bus tasks share.
pub struct Bus {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub code: JurisdictionCode,
    pub parent: Option<JurisdictionCode>,
    pub writer: Writer,
    pub pool: Pool,
    /// This node's report-signing key.
    pub key: crate::trust::NodeKey,
    /// The children's registered keys.
    pub keyring: crate::trust::Keyring,
    /// Woken when a revocation order is recorded (A-04, national).
    pub orders_ready: Arc<Notify>,
    /// Woken when an incident is created (T-06, national).
    pub incidents_ready: Arc<Notify>,
    /// Sessions to end when an order revokes an account.
    pub accounts: Arc<crate::store::accounts::Accounts>,
    /// (National) replicas of every stream in a JetStream cluster (`nats_replicas`).
    pub replicas: usize,
}

impl Bus {
    pub fn new(
        client: async_nats::Client,
        code: JurisdictionCode,
        writer: Writer,
        pool: Pool,
        key: crate::trust::NodeKey,
        accounts: Arc<crate::store::accounts::Accounts>,
        replicas: usize,
    ) -> Arc<Bus> {
        let js = jetstream::new(client.clone());
        Arc::new(Bus {
            client,
            js,
            parent: code.natural_parent(),
            code,
            writer,
            pool,
            key,
            keyring: Default::default(),
            orders_ready: Default::default(),
            incidents_ready: Default::default(),
            accounts,
            replicas,
        })
    }

    /// Messages waiting in JetStream for this node's report consumer, or
    /// `None` when NATS cannot be asked.
    pub async fn waiting_reports(&self) -> Option<u64> {
        use futures::TryStreamExt;
        // Work-queue retention: a message stays in the stream until this node has
        // staged and acknowledged it, so the stream's count is what waits.
        let stream = self.js.get_stream(STREAM).await.ok()?;
        let mut subjects = stream
            .info_with_subjects(format!("anpi.report.{}.*", self.code))
            .await
            .ok()?;
        let mut waiting = 0u64;
        while let Some((_, count)) = subjects.try_next().await.ok()? {
            waiting += count as u64;
        }
        Some(waiting)
    }

    /// Starts the tasks this node's tier needs: the relay and the receipt consumer
    /// below the national tier, the report consumer above the municipalities, the
    /// shared-dataset publisher at the national tier and the replica everywhere.
    pub fn spawn(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = vec![tokio::spawn(shared::run_replica(self.clone()))];
        if self.code.tier() == anpi_core::jurisdiction::Tier::National {
            let bus = self.clone();
            tasks.push(tokio::spawn(async move {
                let mut backoff = Backoff::new();
                while let Err(error) = configure_streams(&bus.js, bus.replicas).await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "streams not configured yet; will retry"
                    );
                    backoff.wait().await;
                }
            }));
            tasks.push(tokio::spawn(shared::run_publisher(self.clone())));
            tasks.push(tokio::spawn(orders::run_relay(self.clone())));
            tasks.push(tokio::spawn(incidents::run_relay(self.clone())));
        } else {
            tasks.push(tokio::spawn(orders::run_consumer(self.clone())));
            tasks.push(tokio::spawn(incidents::run_consumer(self.clone())));
        }
        if self.parent.is_some() {
            tasks.push(tokio::spawn(relay::run(self.clone())));
            tasks.push(tokio::spawn(inbound::run_receipts(self.clone())));
        }
        if self.code.tier() != anpi_core::jurisdiction::Tier::Municipality {
            tasks.push(tokio::spawn(inbound::run(self.clone())));
        }
        tasks
    }
}

/// An outbox loop: runs `pass` now, again whenever `ready` is notified (and every
/// 10 s), and after a failure with back-off. Runs until the process ends.
pub(crate) async fn outbox_loop<F, Fut>(ready: Arc<Notify>, what: &'static str, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut backoff = Backoff::new();
    loop {
        match pass().await {
            Ok(()) => {
                backoff.reset();
                tokio::select! {
                    _ = ready.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                }
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "{what}: publishing failed; will retry"
                );
                backoff.wait().await;
            }
        }
    }
}

/// Pulls messages from `consumer` (up to `max` per pull, waiting up to `expires`) and
/// hands each to `handle`, until a pull or a handler fails; returns then. A message
/// whose handler failed is not acknowledged, so JetStream redelivers it.
pub(crate) async fn pull_until_failure<F, Fut>(
    consumer: &consumer::Consumer<consumer::pull::Config>,
    max: usize,
    expires: Duration,
    what: &'static str,
    mut handle: F,
) where
    F: FnMut(jetstream::Message) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    use futures::StreamExt;
    loop {
        let pulled = consumer
            .fetch()
            .max_messages(max)
            .expires(expires)
            .messages()
            .await;
        let mut batch = match pulled {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, "{what}: pulling failed; will retry");
                return;
            }
        };
        while let Some(message) = batch.next().await {
            let handled = match message {
                Ok(message) => handle(message).await,
                Err(error) => Err(anyhow::anyhow!("receiving: {error}")),
            };
            if let Err(error) = handled {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "{what}: a message was not handled; it will be redelivered"
                );
                return;
            }
        }
    }
}

/// Reads `subject` of the stream `config` with the durable consumer `name` until the
/// process ends: (re)creates the consumer with back-off while JetStream cannot be
/// reached, and hands each message to `handle` (national orders and incidents).
pub(crate) async fn consume_forever<F, Fut>(
    js: &jetstream::Context,
    config: stream::Config,
    name: String,
    subject: String,
    what: &'static str,
    mut handle: F,
) where
    F: FnMut(jetstream::Message) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut backoff = Backoff::new();
    loop {
        let consumer = match durable_consumer_of(js, config.clone(), &name, subject.clone()).await {
            Ok(consumer) => consumer,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "{what}: consumer unavailable; will retry"
                );
                backoff.wait().await;
                continue;
            }
        };
        backoff.reset();
        pull_until_failure(&consumer, 8, Duration::from_secs(1), what, &mut handle).await;
        backoff.wait().await;
    }
}

/// Exponential back-off for the retry loops: 200 ms doubling to 10 s.
pub(crate) struct Backoff(Duration);

impl Backoff {
    pub fn new() -> Backoff {
        Backoff(Duration::from_millis(200))
    }

    pub async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(10));
    }

    pub fn reset(&mut self) {
        self.0 = Duration::from_millis(200);
    }
}
