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
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Notify;

use crate::store::{self, rollcall as outbox};

/// Concurrent SMTP sends (and connections): also the most mails a crash can
/// duplicate.
pub const SENDERS: usize = 4;
/// Mails claimed at a time.
const CLAIM: i64 = 64;
/// How long a connection to the mail server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the mailer sleeps when nothing wakes it (retries coming due).
const IDLE: Duration = Duration::from_secs(5);

/// Why a mail was not accepted: the server's reply code (none: no connection) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub code: Option<u16>,
    pub reply: String,
}

impl SendError {
    fn connection(what: &str, detail: impl std::fmt::Display) -> SendError {
        SendError {
            code: None,
            reply: format!("{what}: {detail}"),
        }
    }

    fn of(error: lettre::transport::smtp::Error) -> SendError {
        SendError {
            code: error.status().map(u16::from),
            reply: error.to_string(),
        }
    }
}

/// An SMTP client for one set of settings, keeping up to `SENDERS` connections open.
///
/// The connections are made here, not by lettre's transport, so that they can set
/// TCP_NODELAY: lettre writes a mail's text and its final `.` in two writes, and with
/// Nagle's algorithm the second waits for the server's delayed ACK (~40 ms a mail on
/// Linux; measured: 85 mails/s against 1,456 for a bare client).
pub struct Smtp {
    settings: MailSettings,
    password: String,
    from: Mailbox,
    hello: ClientId,
    idle: tokio::sync::Mutex<Vec<AsyncSmtpConnection>>,
}

impl Smtp {
    /// A client for `settings` (the SMTP AUTH password beside them).
    pub fn new(settings: &MailSettings, password: &str) -> Result<Smtp, SendError> {
        let name = (!settings.sender_name.is_empty()).then(|| settings.sender_name.clone());
        let address: lettre::Address = settings
            .sender
            .as_str()
            .parse()
            .map_err(|e| SendError::connection("sender address", e))?;
        let hello = ClientId::Domain(address.domain().to_string());
        Ok(Smtp {
            settings: settings.clone(),
            password: password.to_string(),
            from: Mailbox::new(name, address),
            hello,
            idle: tokio::sync::Mutex::new(Vec::new()),
        })
    }

    /// A new connection: TCP (no delay), TLS as the settings say, EHLO, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let settings = &self.settings;
        let tcp = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect((settings.host.as_str(), settings.port)),
        )
        .await
        .map_err(|_| SendError::connection("connect", "timed out"))?
        .map_err(|e| SendError::connection("connect", e))?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::connection("TCP_NODELAY", e))?;
        let stream: Box<dyn AsyncTokioStream> = match settings.security {
            Security::Tls => Box::new(tls::connect(tcp, &settings.host, &settings.ca_pem).await?),
            Security::None | Security::Starttls => Box::new(tcp),
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(SendError::of)?;
        if settings.security == Security::Starttls {
            if !connection.can_starttls() {
                return Err(SendError::connection(
                    "STARTTLS",
                    "the server does not offer STARTTLS (choose another encryption setting)",
                ));
            }
            let params = if settings.ca_pem.is_empty() {
                TlsParameters::new(settings.host.clone())
            } else {
                // The office's own CA, besides the system's.
                Certificate::from_pem(settings.ca_pem.as_bytes()).and_then(|ca| {
                    TlsParameters::builder(settings.host.clone())
                        .add_root_certificate(ca)
                        .build_rustls()
                })
            }
            .map_err(|e| SendError::connection("TLS settings", e))?;
            connection
                .starttls(params, &self.hello)
                .await
                .map_err(SendError::of)?;
        }
        if !settings.username.is_empty() {
            connection
                .auth(
                    &[Mechanism::Plain, Mechanism::Login],
                    &Credentials::new(settings.username.clone(), self.password.clone()),
                )
                .await
                .map_err(SendError::of)?;
        }
        Ok(connection)
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
        let idle = self.idle.lock().await.pop();
        let mut connection = match idle {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        match connection
            .send(message.envelope(), &message.formatted())
            .await
        {
            Ok(response) => {
                let mut idle = self.idle.lock().await;
                if idle.len() < SENDERS && !connection.has_broken() {
                    idle.push(connection);
                }
                Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ))
            }
            Err(error) => {
                // A refused mail leaves the connection usable after RSET; anything
                // else (a dropped connection) is not kept.
                if error.status().is_some() && !connection.has_broken() {
                    let mut idle = self.idle.lock().await;
                    if idle.len() < SENDERS {
                        idle.push(connection);
                    }
                }
                Err(SendError::of(error))
            }
        }
    }
}

/// Implicit TLS (port 465): rustls with ring and the system's CA certificates.
mod tls {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use lettre::transport::smtp::client::AsyncTokioStream;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio_rustls::rustls;

    use super::SendError;

    pub struct Stream(tokio_rustls::client::TlsStream<tokio::net::TcpStream>);

    impl std::fmt::Debug for Stream {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("ImplicitTls")
        }
    }

    impl AsyncRead for Stream {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Stream {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.get_mut().0).poll_flush(cx)
        }
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
        }
    }

    impl AsyncTokioStream for Stream {
        fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
            self.0.get_ref().0.peer_addr()
        }
    }

    /// A client configuration trusting the system's CAs and those of `extra_pem`.
    fn config(extra_pem: &str) -> Result<std::sync::Arc<rustls::ClientConfig>, SendError> {
        crate::tls_client::config(extra_pem)
            .map_err(|error| SendError::connection(error.what, error.detail))
    }

    pub async fn connect(
        tcp: tokio::net::TcpStream,
        host: &str,
        extra_pem: &str,
    ) -> Result<Stream, SendError> {
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| SendError::connection("TLS server name", e))?;
        let stream = tokio_rustls::TlsConnector::from(config(extra_pem)?)
            .connect(name, tcp)
            .await
            .map_err(|e| SendError::connection("TLS", e))?;
        Ok(Stream(stream))
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
    // The marks (`sending`, `sent`) need not wait for their WAL flush: a node killed
    // with -9 loses none of them (PostgreSQL has them); only a crash of PostgreSQL
    // itself can lose the last ~0.6 s (3 × wal_writer_delay) of marks, whose mails are
    // then sent again (ADR 0017). Each mail's flush cost as much as the mail.
    client.batch_execute("SET synchronous_commit = off").await?;
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
        let smtp = current
            .as_ref()
            .map(|(_, _, s)| s.clone())
            .expect("set above");
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
