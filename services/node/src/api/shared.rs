//! Publish, shared-dataset status and the replica side of search: proto conversions.
//! R: P-02, S-03, T-05.

use anpi_core::shared::Version;
use anpi_proto::v1;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::app::shared::{Publication, SharedStatus};
use crate::store::shared::{Published, ReplicaVersion};
use crate::store::writer::Published as PublishedNow;

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

/// P-02: what a publication did, on the wire.
pub fn publish_response(publication: Publication) -> v1::PublishResponse {
    let Publication { published, message } = publication;
    match published {
        PublishedNow::Version {
            version: v,
            published_at,
            ..
        } => v1::PublishResponse {
            published: true,
            version: Some(v1::SharedVersion {
                published_at: time(published_at),
                ..version(&v)
            }),
            message,
        },
        PublishedNow::Nothing(_) => v1::PublishResponse {
            published: false,
            version: None,
            message,
        },
    }
}

pub fn status(status: &SharedStatus) -> v1::SharedStatus {
    v1::SharedStatus {
        replica: status.replica.as_ref().map(replica),
        replica_records: status.replica_records,
        staged_parts: status.staged_parts,
        published: status.published.iter().map(published).collect(),
    }
}
