//! Publish and shared-dataset status RPCs, and the replica side of search. R: P-02,
//! S-03, T-05.

use crate::app::AppError;
use anpi_core::event::Actor;
use anpi_core::shared::Version;
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};

use super::{NodeState, error};
use crate::store::shared::{self as store, Published, ReplicaVersion};
use crate::store::writer::{Command, Outcome};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn version(v: &Version) -> v1::SharedVersion {
    v1::SharedVersion {
        version: v.version,
        through_position: v.through_position,
        record_count: v.record_count,
        changed_count: v.changed_count,
        ..Default::default()
    }
}

pub fn replica(r: &ReplicaVersion) -> v1::SharedVersion {
    v1::SharedVersion {
        published_at: time(r.published_at),
        received_at: time(r.received_at),
        parts: r.parts,
        ..version(&r.version)
    }
}

fn published(p: &Published) -> v1::SharedVersion {
    v1::SharedVersion {
        published_at: time(p.published_at),
        sent_records: p.sent_records,
        sent_at: p.sent_at.map(time).unwrap_or_default(),
        parts: p.parts.unwrap_or_default(),
        actor: p.actor.clone(),
        ..version(&p.version)
    }
}

/// P-02: the national node publishes its read model as the next version.
pub async fn publish(state: &NodeState, actor: Actor) -> Result<v1::PublishResponse, AppError> {
    let outcome = state
        .writer
        .submit(actor, Command::Publish)
        .await
        .map_err(error::rejection)?;
    match outcome {
        Outcome::Published {
            version: v,
            published_at,
            ..
        } => Ok(v1::PublishResponse {
            published: true,
            version: Some(v1::SharedVersion {
                published_at: time(published_at),
                ..version(&v)
            }),
            message: format!(
                "共用領域の第{}版を公開しました（{}件、前の版から変わった{}件）。各ノードへ配信します",
                v.version, v.record_count, v.changed_count
            ),
        }),
        Outcome::NotPublished(message) => Ok(v1::PublishResponse {
            published: false,
            version: None,
            message,
        }),
        _ => Err(AppError::internal("unexpected outcome")),
    }
}

pub async fn status(state: &NodeState) -> Result<v1::SharedStatus, AppError> {
    let client = state.pool.get().await.map_err(|e| error::store(e.into()))?;
    let held = store::replica_version(&**client)
        .await
        .map_err(error::store)?;
    let (records, staged) = store::replica_counts(&**client)
        .await
        .map_err(error::store)?;
    let mut versions = store::published(&**client, false)
        .await
        .map_err(error::store)?;
    versions.reverse();
    Ok(v1::SharedStatus {
        replica: held.as_ref().map(replica),
        replica_records: records,
        staged_parts: staged,
        published: versions.iter().map(published).collect(),
    })
}

/// The version a `--shared` search answers from, or a clear refusal when this node has
/// received none yet.
pub async fn searchable_version<C: tokio_postgres::GenericClient>(
    client: &C,
) -> Result<ReplicaVersion, AppError> {
    store::replica_version(client)
        .await
        .map_err(error::store)?
        .ok_or_else(|| {
            AppError::Conflict(String::from(
                "共用領域（全国の共有データ）をまだ受信していません。消防庁が公開すると、このノードに届いてから検索できます（`anpi shared` で受信状況を確認できます）",
            ))
        })
}
