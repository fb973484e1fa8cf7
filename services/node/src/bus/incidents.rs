//! Incidents come from above (T-06): the national tier's incidents reach every node
//! over JetStream — stream `ANPI_INCIDENTS` (file storage, limits retention: every
//! node reads every incident), subject `anpi.incident`.
//!
//! The national node records `IncidentCreated` first; its relay then publishes every
//! incident of its own that JetStream has not stored yet (`incidents_sent`), with the
//! incident ID as message ID, signed with the national key like the revocation orders.
//! Every other node reads the subject with its own durable consumer
//! (`incidents-<code>`), checks the signature against the national key registered
//! there (`anpi trust add 000001 KEY`; until then incidents wait in the stream) and
//! records the incident under the same ID, so entries, reports and inquiries of every
//! tier name one incident. Only the national NATS user may publish on the subject.
//! Decisions: docs/adr/0013-incidents-come-from-above.md.

use std::sync::Arc;

use anpi_core::incident::Incident;
use anpi_core::jurisdiction::JurisdictionCode;
use anyhow::{Context, anyhow};
use async_nats::jetstream::{self, stream};

use super::orders::{National, check_national};
use super::{Bus, consume_forever, outbox_loop};
use crate::store::writer::{Rejection, system_actor};
use anpi_core::command::Command as DomainCommand;

pub const STREAM: &str = "ANPI_INCIDENTS";

/// The one subject: only the national tier publishes incidents.
pub const SUBJECT: &str = "anpi.incident";

/// The stream's configuration: bounded (an incident is small; a network makes few).
pub fn stream_config() -> stream::Config {
    stream::Config {
        name: STREAM.to_string(),
        description: Some("anpi: the national tier's incidents, to every node".into()),
        subjects: vec![SUBJECT.into()],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        duplicate_window: super::DUPLICATE_WINDOW,
        max_messages: 100_000,
        max_bytes: 64 << 20,
        max_message_size: 64 << 10,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    }
}

/// (National) publishes the incidents JetStream has not stored yet. Runs until the
/// process ends.
pub async fn run_relay(bus: Arc<Bus>) {
    outbox_loop(bus.incidents_ready.clone(), "incidents", || {
        publish_pending(&bus)
    })
    .await
}

async fn publish_pending(bus: &Bus) -> anyhow::Result<()> {
    let client = bus.pool.get().await.context("database pool")?;
    let pending = crate::store::reader::incidents_not_sent(&**client).await?;
    bus.js
        .get_or_create_stream(stream_config())
        .await
        .context("the incidents stream")?;
    for incident in pending {
        let id = incident.id.to_string();
        let body = serde_json::to_vec(&incident)?;
        let signature = bus.key.sign(SUBJECT, &id, &body);
        let message = jetstream::message::PublishMessage::build()
            .header(anpi_core::trust::SIGNATURE_HEADER, signature.as_str())
            .payload(body.into())
            .message_id(id.clone());
        bus.js
            .send_publish(SUBJECT, message)
            .await
            .context("publishing an incident")?
            .await
            .context("JetStream did not store an incident")?;
        crate::store::reader::mark_incident_sent(&**client, incident.id).await?;
        tracing::info!(incident = %id, name = %incident.name, mode = incident.mode.as_str(), "incident stored in JetStream for every node");
    }
    Ok(())
}

/// (Every node below the national tier) records the national tier's incidents. Runs
/// until the process ends.
pub async fn run_consumer(bus: Arc<Bus>) {
    consume_forever(
        &bus.js,
        stream_config(),
        format!("incidents-{}", bus.code),
        SUBJECT.to_string(),
        "incidents",
        |message| {
            let bus = bus.clone();
            async move { handle(&bus, &message).await }
        },
    )
    .await
}

/// Reads an incident's body: its ID must be the message ID it was sent as.
fn read(body: &[u8], message_id: &str) -> Result<Incident, String> {
    let incident: Incident =
        serde_json::from_slice(body).map_err(|e| format!("unreadable incident: {e}"))?;
    if incident.id.to_string() != message_id {
        return Err(format!(
            "incident {} sent as message {message_id}",
            incident.id
        ));
    }
    anpi_core::incident::validate_new_incident(&incident.name, incident.mode.as_str())
        .map_err(|errors| format!("invalid incident: {errors:?}"))?;
    Ok(incident)
}

async fn handle(bus: &Bus, message: &jetstream::Message) -> anyhow::Result<()> {
    let incident = match check_national(bus, message, "incident", read).await? {
        National::Accepted(incident) => incident,
        National::Postponed | National::Refused => return Ok(()),
    };
    let outcome = bus
        .writer
        .submit(
            system_actor(&JurisdictionCode::national()),
            DomainCommand::CreateIncident {
                name: incident.name.clone(),
                mode: incident.mode,
                id: Some(incident.id),
                local: false,
            },
        )
        .await;
    match outcome {
        Ok(_) => {
            tracing::info!(incident = %incident.id, name = %incident.name, mode = incident.mode.as_str(), "incident from the national tier recorded (T-06)")
        }
        Err(Rejection::Conflict(error)) => {
            // An ID already used here for another incident: nothing is overwritten.
            tracing::error!(incident = %incident.id, reason = %error.message, "incident from the national tier not recorded: its ID is taken here");
        }
        Err(other) => return Err(anyhow!("recording incident {}: {other}", incident.id)),
    }
    message
        .ack()
        .await
        .map_err(|e| anyhow!("acknowledging an incident: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anpi_core::ids::IncidentId;
    use anpi_core::incident::IncidentMode;

    #[test]
    fn an_incident_is_read_only_under_its_own_id() {
        let incident = Incident {
            id: IncidentId::from_uuid(uuid::Uuid::now_v7()),
            name: "首都直下地震".into(),
            mode: IncidentMode::Actual,
            created_at: chrono::Utc::now(),
        };
        let body = serde_json::to_vec(&incident).unwrap();
        assert_eq!(read(&body, &incident.id.to_string()), Ok(incident.clone()));
        assert!(read(&body, &uuid::Uuid::now_v7().to_string()).is_err());
        assert!(read(b"{}", &incident.id.to_string()).is_err());
        let mut nameless = incident.clone();
        nameless.name = String::new();
        let body = serde_json::to_vec(&nameless).unwrap();
        assert!(read(&body, &nameless.id.to_string()).is_err());
    }
}
