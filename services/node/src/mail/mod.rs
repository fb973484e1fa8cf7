//! Roll-call mail (K-01, K-06, K-09): the SMTP client made from the mail settings
//! (`Smtp`), and the mailer task that works through the outbox (`mail_outbox`).
//!
//! Delivery: a mail is claimed (`sending`, committed), sent, and marked `sent` right
//! after the server's 250 — each of the `SENDERS` concurrent sends marks its own mail
//! before it takes the next. A node killed between a 250 and that mark sends the mail
//! again when it starts (an SMTP server cannot tell a resend): at most `SENDERS` mails
//! arrive twice after a crash; nothing is lost, since claimed mails go back to
//! `pending` at start. A 4xx reply or no connection is retried with back-off
//! (`anpi_core::rollcall::mail::retry_after`); a 5xx reply fails the mail with the
//! server's reply, shown on the dashboard. Decisions: `docs/adr/0017-rollcall.md`.

use std::sync::Arc;
use std::time::Duration;

use anpi_core::rollcall::mail::{self as rules, MailSettings, Security};
use futures::StreamExt;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::store::{self, rollcall as outbox};

/// Concurrent SMTP sends (and connections): also the most mails a crash can
/// duplicate.
pub const SENDERS: usize = 4;
/// Mails claimed at a time.
const CLAIM: i64 = 64;
/// How long the mailer sleeps when nothing wakes it (retries coming due).
const IDLE: Duration = Duration::from_secs(5);

/// Why a mail was not accepted: the server's reply code (none: no connection) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub code: Option<u16>,
    pub reply: String,
}

/// An SMTP client for one set of settings.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// A client for `settings` (the SMTP AUTH password beside them).
    pub fn new(settings: &MailSettings, password: &str) -> Result<Smtp, SendError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| SendError {
            code: None,
            reply: format!("{what}: {e}"),
        };
        let tls = match settings.security {
            Security::None => Tls::None,
            Security::Starttls | Security::Tls => {
                let params = TlsParameters::new(settings.host.clone())
                    .map_err(|e| failed("TLS settings", &e))?;
                if settings.security == Security::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(SENDERS as u32));
        if !settings.username.is_empty() {
            builder = builder
                .credentials(Credentials::new(settings.username.clone(), password.to_string()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        let name = (!settings.sender_name.is_empty()).then(|| settings.sender_name.clone());
        let from = Mailbox::new(
            name,
            settings
                .sender
                .as_str()
                .parse()
                .map_err(|e| failed("sender address", &e))?,
        );
        Ok(Smtp {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one plain-text mail; the server's reply on success.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<String, SendError> {
        let to: Mailbox = to.parse().map_err(|e| SendError {
            code: Some(553),
            reply: format!("宛先のメールアドレスが正しくありません: {e}"),
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| SendError {
                code: Some(554),
                reply: format!("メールを組み立てられません: {e}"),
            })?;
        match self.transport.send(message).await {
            Ok(response) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(error) => Err(SendError {
                code: error.status().map(u16::from),
                reply: error.to_string(),
            }),
        }
    }
}

/// The mailer: sends what the outbox holds, for as long as the node runs.
pub async fn run(database_url: String, ready: Arc<Notify>) {
    loop {
        match work(&database_url, &ready).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, "mailer stopped; starting again in 5 s");
                tokio::time::sleep(IDLE).await;
            }
        }
    }
}

async fn work(database_url: &str, ready: &Notify) -> store::Result<()> {
    let client = store::connect(database_url).await?;
    let released = outbox::release_claimed(&client).await?;
    if released > 0 {
        tracing::warn!(
            released,
            "mails claimed before the node stopped are sent again (some may arrive twice)"
        );
    }
    let mut current: Option<(MailSettings, String, Arc<Smtp>)> = None;
    loop {
        let Some((settings, password)) = outbox::settings(&client).await? else {
            idle(ready).await;
            continue;
        };
        let same = matches!(&current, Some((s, p, _)) if *s == settings && *p == password);
        if !same {
            match Smtp::new(&settings, &password) {
                Ok(smtp) => current = Some((settings, password, Arc::new(smtp))),
                Err(error) => {
                    tracing::error!(reply = %error.reply, "mail settings unusable; mails wait");
                    current = None;
                    idle(ready).await;
                    continue;
                }
            }
        }
        let smtp = current.as_ref().map(|(_, _, s)| s.clone()).expect("set above");
        let claimed = outbox::claim(&client, CLAIM).await?;
        if claimed.is_empty() {
            wait(ready, &client).await?;
            continue;
        }
        let results: Vec<store::Result<()>> = futures::stream::iter(claimed)
            .map(|mail| {
                let smtp = smtp.clone();
                let client = &client;
                async move {
                    match smtp.send(&mail.recipient, &mail.subject, &mail.body).await {
                        Ok(reply) => outbox::mark_sent(client, mail.id, &reply).await,
                        Err(error) => {
                            let attempts = u32::try_from(mail.attempts).unwrap_or(u32::MAX);
                            let retry = match rules::classify(error.code) {
                                rules::Failure::Permanent => None,
                                rules::Failure::Transient => rules::retry_after(attempts),
                            };
                            tracing::warn!(id = mail.id, reply = %error.reply, ?retry, "mail not accepted");
                            outbox::mark_failed(client, mail.id, &error.reply, retry).await
                        }
                    }
                }
            })
            .buffer_unordered(SENDERS)
            .collect()
            .await;
        results.into_iter().collect::<store::Result<Vec<()>>>()?;
    }
}

/// Sleeps until something is written (settings saved, mail queued) or `IDLE` passes.
async fn idle(ready: &Notify) {
    tokio::select! {
        _ = ready.notified() => {}
        _ = tokio::time::sleep(IDLE) => {}
    }
}

/// Sleeps until mail is queued, a retry comes due, or `IDLE` passes.
async fn wait(ready: &Notify, client: &tokio_postgres::Client) -> store::Result<()> {
    let due = outbox::next_due(client).await?;
    let sleep = due
        .map(|at| (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO))
        .unwrap_or(IDLE)
        .min(IDLE);
    if sleep.is_zero() {
        // Came due since the claim: claim again.
        return Ok(());
    }
    tokio::select! {
        _ = ready.notified() => {}
        _ = tokio::time::sleep(sleep) => {}
    }
    Ok(())
}
