//! Publishing a sequence of items as numbered JetStream messages ("parts") that each
//! fit the server's payload limit once encoded: used for reports (`relay`) and for
//! shared-dataset versions (`shared`). R: R-02, P-02.

use std::collections::VecDeque;

use anyhow::{Context, bail};
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::{self, message::PublishMessage};

use crate::wire;

/// Publishes awaiting their acknowledgement at once.
const IN_FLIGHT: usize = 16;
/// Room left in each message for headers.
const HEADROOM: usize = 4096;

/// How one kind of part is made from its items.
pub trait PartKind {
    type Item: Clone;
    /// The encoded body of part number `part` holding `items`.
    fn body(&self, part: i32, last: bool, items: &[Self::Item]) -> Vec<u8>;
    /// The `Nats-Msg-Id` of part number `part`.
    fn message_id(&self, part: i32) -> String;
    /// Names an item that does not fit one message on its own, for the error.
    fn describe(&self, item: &Self::Item) -> String;
}

/// Publishes parts in order with up to [`IN_FLIGHT`] unacknowledged at once.
pub struct PartSink<'a, K: PartKind> {
    js: &'a jetstream::Context,
    subject: String,
    kind: K,
    limit: usize,
    /// Parts published so far (the next part's number).
    pub next_part: i32,
    /// Items published so far.
    pub published: i64,
    in_flight: VecDeque<PublishAckFuture>,
    /// Signs every part when set.
    signer: Option<&'a crate::trust::NodeKey>,
}

impl<'a, K: PartKind> PartSink<'a, K> {
    /// A sink for `subject`; fails when the client is not connected (no limit known).
    pub fn new(
        client: &async_nats::Client,
        js: &'a jetstream::Context,
        subject: String,
        kind: K,
    ) -> anyhow::Result<PartSink<'a, K>> {
        let max_payload = client.server_info().max_payload;
        if max_payload == 0 {
            bail!("not connected to NATS");
        }
        Ok(PartSink {
            js,
            subject,
            kind,
            limit: max_payload.saturating_sub(HEADROOM),
            next_part: 0,
            published: 0,
            in_flight: VecDeque::new(),
            signer: None,
        })
    }

    /// Signs every part with `key` (header [`anpi_core::trust::SIGNATURE_HEADER`] over
    /// the subject, message ID and body).
    pub fn signed_by(mut self, key: &'a crate::trust::NodeKey) -> Self {
        self.signer = Some(key);
        self
    }

    /// The largest encoded body a part may have.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Publishes `items` as one part, or as several when the encoded body would exceed
    /// the payload limit (halving until each fits). Only the final part of the whole
    /// sequence is marked `last`.
    pub async fn emit(&mut self, items: &[K::Item], last: bool) -> anyhow::Result<()> {
        let mut stack = vec![(0, items.len(), last)];
        while let Some((start, end, last)) = stack.pop() {
            let slice = &items[start..end];
            let body = self.kind.body(self.next_part, last, slice);
            if body.len() > self.limit {
                if slice.len() <= 1 {
                    bail!(
                        "{} does not fit in one NATS message ({} bytes encoded, limit {})",
                        slice
                            .first()
                            .map(|i| self.kind.describe(i))
                            .unwrap_or_default(),
                        body.len(),
                        self.limit
                    );
                }
                let middle = start + slice.len() / 2;
                // Pushed in reverse: the first half is published first.
                stack.push((middle, end, last));
                stack.push((start, middle, false));
                continue;
            }
            let message_id = self.kind.message_id(self.next_part);
            let mut message = PublishMessage::build().header(wire::ENCODING_HEADER, wire::ENCODING);
            if let Some(key) = self.signer {
                let signature = key.sign(&self.subject, &message_id, &body);
                message = message.header(anpi_core::trust::SIGNATURE_HEADER, signature.as_str());
            }
            let message = message.payload(body.into()).message_id(message_id);
            let ack = self
                .js
                .send_publish(self.subject.clone(), message)
                .await
                .context("publishing a part")?;
            self.in_flight.push_back(ack);
            self.published += slice.len() as i64;
            self.next_part += 1;
            while self.in_flight.len() >= IN_FLIGHT {
                self.await_oldest().await?;
            }
        }
        Ok(())
    }

    async fn await_oldest(&mut self) -> anyhow::Result<()> {
        if let Some(ack) = self.in_flight.pop_front() {
            ack.await.context("JetStream did not acknowledge a part")?;
        }
        Ok(())
    }

    /// Waits until JetStream has stored every part published.
    pub async fn finish(&mut self) -> anyhow::Result<()> {
        while !self.in_flight.is_empty() {
            self.await_oldest().await?;
        }
        Ok(())
    }
}
