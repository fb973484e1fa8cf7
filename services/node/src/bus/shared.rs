//! The shared dataset over NATS JetStream: the national publisher and every node's
//! replica. R: P-02, S-03, T-05.
//!
//! The stream `ANPI_SHARED` (file storage, limits retention: every node reads every
//! message, so nothing is removed when one node has it) holds each version's parts on
//! `anpi.shared.<version>`. The national node's publisher sends, oldest first, every
//! version not yet wholly stored there, reading its delta in one database snapshot
//! (`store::shared::Delta`). Every node — the national one too — consumes the stream
//! with a durable consumer `shared-<code>`, stages parts in `shared.parts` and only
//! then acknowledges them, and applies each version whole once its parts are there.
//! The delivery is the notification of the guideline's 第5 1(1) (「その旨を連絡する」):
//! a node logs each version it takes, and `GetSharedStatus` shows it.

use std::sync::Arc;
use std::time::Duration;

use anpi_core::ids::LogId;
use anpi_core::shared::{self as rules, PartArrival};
use anpi_proto::v1;
use anyhow::{Context, anyhow};
use async_nats::jetstream::{AckKind, stream};
use tokio_postgres::IsolationLevel;
use uuid::Uuid;

use super::parts::{PartKind, PartSink};
use super::{Backoff, Bus, durable_consumer_of, outbox_loop, pull_until_failure};
use crate::store::shared::{self as store, Delta, PartHeader, Published};
use crate::wire;

pub const STREAM: &str = "ANPI_SHARED";

pub fn subject(version: i64) -> String {
    format!("anpi.shared.{version}")
}

/// The stream's configuration.
pub fn stream_config() -> stream::Config {
    stream::Config {
        name: STREAM.to_string(),
        description: Some("anpi: versions of the national shared dataset".into()),
        subjects: vec!["anpi.shared.>".into()],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        duplicate_window: super::DUPLICATE_WINDOW,
        // Only the national user publishes here, and every version stays (a node that
        // joins later reads them all): no count or byte limit, only the message size.
        max_message_size: super::MAX_MESSAGE_SIZE,
        ..Default::default()
    }
}

/// How far one node's replica has taken the stream, as JetStream knows it from that
/// node's durable consumer `shared-<code>` (issue 19 item 3). A part is acknowledged
/// once the node has staged it in its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    pub code: String,
    /// Parts not yet delivered to it, and delivered but not yet acknowledged.
    pub waiting: u64,
    /// The stream sequence it has acknowledged through, of `last_sequence`.
    pub acknowledged_through: u64,
    pub last_sequence: u64,
    /// When it last acknowledged a part.
    pub last_active: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every node's receiver of the shared dataset, by code (the national node asks:
/// `$JS.API.CONSUMER.NAMES` and `.INFO` of `ANPI_SHARED`, `bus::auth`). `None` when
/// JetStream cannot be asked.
pub async fn receivers(js: &async_nats::jetstream::Context) -> Option<Vec<Receiver>> {
    use futures::TryStreamExt;
    let mut stream = js.get_stream(STREAM).await.ok()?;
    let last_sequence = stream.info().await.ok()?.state.last_sequence;
    let names: Vec<String> = stream.consumer_names().try_collect().await.ok()?;
    let mut out = Vec::new();
    for name in names {
        let Some(code) = name.strip_prefix("shared-") else {
            continue;
        };
        let Ok(info) = stream.consumer_info(&name).await else {
            continue;
        };
        out.push(Receiver {
            code: code.to_string(),
            waiting: info.num_pending + info.num_ack_pending as u64,
            acknowledged_through: info.ack_floor.stream_sequence,
            last_sequence,
            last_active: info.ack_floor.last_active.and_then(|at| {
                chrono::DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond())
            }),
        });
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Some(out)
}

/// The national node's publisher. Runs until the process ends.
pub async fn run_publisher(bus: Arc<Bus>) {
    outbox_loop(
        bus.writer.shared_ready(),
        "shared-dataset publisher",
        || publish_pending(&bus),
    )
    .await
}

async fn publish_pending(bus: &Bus) -> anyhow::Result<()> {
    let unsent = {
        let client = bus.pool.get().await.context("database pool")?;
        store::published(&**client, true).await?
    };
    for version in unsent {
        publish_version(bus, &version).await?;
    }
    Ok(())
}

/// Sends one version's delta as a new attempt and marks it sent.
async fn publish_version(bus: &Bus, version: &Published) -> anyhow::Result<()> {
    let v = version.version;
    bus.js
        .get_or_create_stream(stream_config())
        .await
        .context("the shared-dataset stream")?;
    let progress = bus.pool.get().await.context("database pool")?;
    let mut reading = bus.pool.get().await.context("database pool")?;
    // One snapshot for the whole version: records are read as they stood at its
    // position, whatever the writer appends meanwhile.
    let tx = reading
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let mut delta = Delta::new(version.previous_through, v.through_position);
    let template = v1::SharedPart {
        log_id: crate::store::reader::log_id(&*tx).await?.to_string(),
        version: v.version,
        through_position: v.through_position,
        published_at: wire::rfc3339(version.published_at),
        record_count: v.record_count,
        changed_count: v.changed_count,
        incidents: delta
            .incidents(&*tx)
            .await?
            .iter()
            .map(crate::convert::incident)
            .collect(),
        attempt: Uuid::now_v7().to_string(),
        ..Default::default()
    };
    let mut sink = PartSink::new(
        &bus.client,
        &bus.js,
        subject(v.version),
        SharedParts(template),
    )?;
    let raw_target = sink.limit() * 3;
    let mut pending: Vec<String> = Vec::new();
    let mut pending_bytes = 0usize;
    while let Some(page) = delta.next_page(&*tx).await? {
        for json in page {
            pending_bytes += json.len();
            pending.push(json);
            if pending_bytes >= raw_target {
                sink.emit(&pending, false).await?;
                pending.clear();
                pending_bytes = 0;
                store::set_progress(&**progress, v.version, sink.published).await?;
            }
        }
    }
    sink.emit(&pending, true).await?;
    sink.finish().await?;
    tx.commit().await?;
    store::mark_sent(&**progress, v.version, sink.next_part, sink.published).await?;
    tracing::info!(
        version = v.version,
        parts = sink.next_part,
        records = sink.published,
        "shared dataset version stored in JetStream"
    );
    Ok(())
}

/// Shared-dataset parts: the version's header with a run of its records (and its new
/// incidents in part 0).
struct SharedParts(v1::SharedPart);

impl PartKind for SharedParts {
    type Item = String;

    fn body(&self, part: i32, last: bool, records: &[String]) -> Vec<u8> {
        let mut message = self.0.clone();
        message.part = part;
        message.last = last;
        message.records_json = records.to_vec();
        if part != 0 {
            message.incidents.clear();
        }
        wire::encode(&message)
    }

    fn message_id(&self, part: i32) -> String {
        format!("shared.{}.{}.{}", self.0.version, self.0.attempt, part)
    }

    fn describe(&self, record: &String) -> String {
        format!("a record of {} bytes", record.len())
    }
}

/// Parts fetched per pull (each up to 1 MiB).
const FETCH: usize = 4;

/// Every node's replica of the shared dataset. Runs until the process ends.
pub async fn run_replica(bus: Arc<Bus>) {
    let mut backoff = Backoff::new();
    loop {
        if let Err(error) = apply_ready(&bus).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "shared dataset: applying a staged version failed; will retry"
            );
            backoff.wait().await;
            continue;
        }
        let consumer = match durable_consumer_of(
            &bus.js,
            stream_config(),
            &format!("shared-{}", bus.code),
            "anpi.shared.>".into(),
        )
        .await
        {
            Ok(consumer) => consumer,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "shared dataset consumer unavailable; will retry"
                );
                backoff.wait().await;
                continue;
            }
        };
        backoff.reset();
        pull_until_failure(
            &consumer,
            FETCH,
            Duration::from_secs(1),
            "shared-dataset replica",
            |message| {
                let bus = bus.clone();
                async move { handle(&bus, &message).await }
            },
        )
        .await;
        backoff.wait().await;
    }
}

/// Checks a part's header; `Err` names what is wrong.
fn header(body: &[u8]) -> Result<PartHeader, String> {
    let part: v1::SharedPart = wire::decode(body)?;
    let log_id = part
        .log_id
        .parse::<Uuid>()
        .map_err(|_| format!("log_id: `{}` is not a UUID", part.log_id))?;
    let attempt = part
        .attempt
        .parse::<Uuid>()
        .map_err(|_| format!("attempt: `{}` is not a UUID", part.attempt))?;
    if part.version < 1 || part.part < 0 {
        return Err(format!(
            "version {} part {}: not a valid shared-dataset part",
            part.version, part.part
        ));
    }
    for (i, json) in part.records_json.iter().enumerate() {
        serde_json::from_str::<anpi_core::private_area::RecordState>(json)
            .map_err(|e| format!("records_json[{i}]: {e}"))?;
    }
    Ok(PartHeader {
        log_id: LogId::from_uuid(log_id),
        version: part.version,
        attempt,
        part: part.part,
        last: part.last,
    })
}

/// Stages one part and acknowledges it after the commit; applies what became whole.
async fn handle(bus: &Bus, message: &async_nats::jetstream::Message) -> anyhow::Result<()> {
    let header = match header(&message.payload) {
        Ok(header) => header,
        Err(reason) => {
            tracing::error!(subject = %message.subject, %reason, "shared-dataset part refused");
            message
                .ack_with(AckKind::Term)
                .await
                .map_err(|e| anyhow!("terminating a refused part: {e}"))?;
            return Ok(());
        }
    };
    {
        let client = bus.pool.get().await.context("database pool")?;
        let current = store::replica_version(&**client).await?;
        if let Some(current) = &current
            && current.log_id != header.log_id
        {
            tracing::warn!(
                held = %current.log_id,
                arriving = %header.log_id,
                "a shared-dataset part from another national log"
            );
        }
        match rules::classify_part(current.map(|c| c.version.version), header.version) {
            PartArrival::Stale => {}
            PartArrival::Stage => store::stage_part(&**client, &header, &message.payload).await?,
        }
    }
    message
        .ack()
        .await
        .map_err(|e| anyhow!("acknowledging a staged part: {e}"))?;
    apply_ready(bus).await
}

/// Applies every staged version that is whole, in order.
async fn apply_ready(bus: &Bus) -> anyhow::Result<()> {
    let mut client = bus.pool.get().await.context("database pool")?;
    while let Some(applied) = store::apply_next(&mut client).await? {
        let v = applied.version;
        if rules::replica_complete(&v, applied.records_held) {
            tracing::info!(
                version = v.version,
                records = applied.records_held,
                changed = v.changed_count,
                parts = applied.parts,
                "shared dataset: version received (共用領域の新しい版を受信しました)"
            );
        } else {
            tracing::error!(
                version = v.version,
                announced = v.record_count,
                held = applied.records_held,
                "shared dataset: the replica does not hold the records the version announced"
            );
        }
    }
    Ok(())
}
