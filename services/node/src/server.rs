//! Wiring: open the store, start the writer, serve gRPC with health and reflection
//! (over TLS when `tls_cert`/`tls_key` are configured, A-05 / ADR 0010), shut down in
//! order (stop intake, then the writer).

use std::sync::Arc;

use anpi_core::event::Actor;
use anpi_core::ids::AccountId;
use anpi_proto::v1;
use anyhow::Context;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, ServerTlsConfig};

use crate::api::{AuthService, NodeService, NodeState};
use crate::bus::{self, Bus};
use crate::config::{Config, TlsFiles};
use crate::store::accounts::{self, Accounts};
use crate::store::writer::{
    AccountChange, Command, SentSummary, Writer, WriterOptions, system_actor,
};
use crate::store::{self};

/// Creates the database if needed, applies migrations and claims it for this node.
pub async fn prepare_database(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url.expose();
    if store::create_database_if_missing(url)
        .await
        .context("creating the node database")?
    {
        tracing::info!(database = %config.database_url_redacted(), "database created");
    }
    let mut client = store::connect(url)
        .await
        .context("connecting to the node database")?;
    let applied = store::migrate(&mut client)
        .await
        .context("applying migrations")?;
    for name in applied {
        tracing::info!(migration = name, "migration applied");
    }
    store::claim_identity(&client, &config.jurisdiction, config.tier).await?;
    Ok(())
}

/// `anpi-node init`: prepares the database and creates the administrator when the
/// node has no account yet. Returns whether an administrator was created.
pub async fn init(config: &Config, admin: &AccountId, password: &str) -> anyhow::Result<bool> {
    prepare_database(config).await?;
    let pool = store::pool(config.database_url.expose(), 2)?;
    let accounts = Accounts::new(pool.clone());
    if accounts.count().await? > 0 {
        return Ok(false);
    }
    anpi_core::account::check_password(password, admin.as_str(), None)
        .map_err(|broken| anyhow::anyhow!("the administrator's password: {}", broken.join(" ")))?;
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await?
        .map_err(anyhow::Error::msg)?;
    let (writer, task) =
        Writer::start(config.database_url.expose(), config.jurisdiction.clone()).await?;
    let actor = Actor {
        jurisdiction: config.jurisdiction.clone(),
        account: admin.clone(),
    };
    let spec = anpi_core::account::AccountSpec {
        account_id: admin.clone(),
        holder: "管理者".into(),
        affiliation: config
            .name
            .clone()
            .unwrap_or_else(|| config.jurisdiction.to_string()),
        contact: String::new(),
        role: anpi_core::account::Role::Administrator,
        terminal: "anpi-node init".into(),
    };
    writer
        .submit(
            actor,
            Command::Account(AccountChange::Create {
                spec,
                password_hash: hash,
                initial: false,
            }),
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the administrator: {e}"))?;
    crate::trust::NodeKey::load_or_create(&pool, &writer, &config.jurisdiction).await?;
    drop(writer);
    task.await?;
    Ok(true)
}

/// Reads the gRPC server's TLS identity (A-05, issue 7 item 7): the PEM certificate
/// chain and its private key. Each error names the file at fault.
pub fn load_tls_identity(files: &TlsFiles) -> anyhow::Result<ServerTlsConfig> {
    let (cert, key) = files.read_pem()?;
    Ok(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))
}

/// Serves the node on `listener` until `shutdown` resolves.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // TLS first: a wrong file fails the start before anything else is opened.
    let mut grpc = tonic::transport::Server::builder();
    if let Some(files) = &config.tls {
        grpc = grpc
            .tls_config(load_tls_identity(files)?)
            .with_context(|| {
                format!(
                    "the TLS certificate {} and key {} are not a usable identity (PEM, the key must belong to the certificate)",
                    files.cert.display(),
                    files.key.display()
                )
            })?;
    }
    prepare_database(&config).await?;
    let url = config.database_url.expose().to_string();
    let options = WriterOptions {
        dedup_mode: config.dedup_mode,
    };
    let (writer, writer_task) =
        Writer::start_with(&url, config.jurisdiction.clone(), options).await?;
    let pool = store::pool(&url, 8)?;
    let reads = match &config.standby_database_url {
        Some(standby) => {
            tracing::info!(
                "read-only work (searches, the public page, audit reads) goes to the standby while it answers"
            );
            store::standby::ReadPool::with_standby(pool.clone(), standby.expose(), 8)?
        }
        None => store::standby::ReadPool::primary_only(pool.clone()),
    };
    let key = crate::trust::NodeKey::load_or_create(&pool, &writer, &config.jurisdiction).await?;
    let accounts = Arc::new(Accounts::new(pool.clone()));
    tracing::info!(public_key = %key.public(), fingerprint = key.public().fingerprint(), "report-signing key (A-05)");
    let nats = bus::connect(&config.nats, &config.jurisdiction)
        .await
        .with_context(|| format!("NATS URL {}", config.nats.url))?;
    let bus = Bus::new(
        nats,
        config.jurisdiction.clone(),
        writer.clone(),
        pool.clone(),
        key,
        accounts.clone(),
        config.nats_replicas,
    );
    let mut background = bus.spawn();
    if let Some(address) = config.metrics_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding the metrics listener to {address}"))?;
        let sources = Arc::new(crate::metrics_listener::Sources {
            pool: pool.clone(),
            reads: reads.clone(),
            bus: bus.clone(),
        });
        tracing::info!(listen = %address, "metrics serving (Prometheus text at /metrics)");
        background.push(tokio::spawn(async move {
            let router = crate::metrics_listener::router(sources);
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        }));
    }
    if let Some(every) = config.report_interval {
        background.push(tokio::spawn(report_periodically(
            writer.clone(),
            config.jurisdiction.clone(),
            every,
        )));
    }
    let state = Arc::new(NodeState {
        config: config.clone(),
        writer,
        pool: pool.clone(),
        reads: reads.clone(),
        accounts,
        bus: Some(bus),
    });
    // The roll-call mailer (K-01): sends what the outbox holds.
    background.push(tokio::spawn(crate::mail::run(
        url.clone(),
        state.writer.mail_ready(),
    )));
    // Automatic roll-calls from earthquake telegrams (K-08), when a feed is set.
    if let Some(jma) = config.jma.clone() {
        background.push(tokio::spawn(
            crate::jma_feed::Feed::new(state.clone(), jma).run(),
        ));
    }
    if let Some(address) = config.public_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding the public page to {address}"))?;
        let page = crate::public::PublicPage::new(reads.clone(), config.public_rate_per_minute);
        // The members' roll-call answer page (K-02) and contact pages (K-05) are
        // served beside it.
        let router = crate::public::router(page)
            .merge(crate::rollcall_page::router(state.clone()))
            .merge(crate::contact_page::router(state.clone()))
            // The disaster information pages (K-07), from the same links.
            .merge(crate::rollcall_info_page::router(state.clone()));
        tracing::info!(listen = %address, "public page serving");
        background.push(tokio::spawn(async move {
            if let Err(error) = crate::public::serve(router, listener, std::future::pending()).await
            {
                tracing::error!(%error, "the public page stopped");
            }
        }));
    }
    if let Some(address) = config.console_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding the console to {address}"))?;
        // Issue 15: over TLS with the node's certificate when one is configured.
        let tls = match &config.tls {
            Some(files) => Some(crate::console::tls::acceptor(files)?),
            None => None,
        };
        let console = crate::console::Console::new(state.clone(), tls.is_some());
        tracing::info!(listen = %address, tls = tls.is_some(), "console serving");
        background.push(tokio::spawn(async move {
            if let Err(error) = crate::console::serve(console, listener, tls).await {
                tracing::error!(%error, "the console stopped");
            }
        }));
    }

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<v1::node_server::NodeServer<NodeService>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("building the reflection service")?;

    tracing::info!(
        jurisdiction = %config.jurisdiction,
        tier = config.tier.as_str(),
        listen = %listener.local_addr()?,
        tls = config.tls.is_some(),
        database = %config.database_url_redacted(),
        "node serving"
    );
    grpc.add_service(health_service)
        .add_service(reflection)
        .add_service(v1::auth_server::AuthServer::new(AuthService(state.clone())))
        .add_service(v1::node_server::NodeServer::new(NodeService(state.clone())))
        .add_service(v1::rollcall_server::RollcallServer::new(
            crate::api::RollcallService(state.clone()),
        ))
        // TCP_NODELAY: without it every small response waits for the client's delayed
        // ACK (~40 ms on Linux), which capped ingest at ~20 entries/s per client.
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .context("serving gRPC")?;
    // gRPC intake has stopped; stop the bus tasks (what they had not acknowledged is
    // redelivered), then let the writer finish what it holds.
    for task in &background {
        task.abort();
    }
    for task in background {
        let _ = task.await;
    }
    drop(state);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), writer_task).await;
    tracing::info!("node stopped");
    Ok(())
}

/// The optional automatic report: every `every`, report what is new.
async fn report_periodically(
    writer: Writer,
    code: anpi_core::jurisdiction::JurisdictionCode,
    every: std::time::Duration,
) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        ticker.tick().await;
        match writer
            .ask::<Option<SentSummary>>(system_actor(&code), Command::SendReport)
            .await
        {
            Ok(Some(summary)) => {
                tracing::info!(
                    seq = summary.seq,
                    events = summary.event_count,
                    "automatic report"
                )
            }
            Ok(None) => tracing::debug!("automatic report: nothing new"),
            Err(error) => tracing::warn!(%error, "automatic report failed"),
        }
    }
}

/// `anpi-node nats-config`: the network's NATS users into `out`: `auth.conf`
/// (NKEY public keys and permissions, for the server) and a seed file per user
/// (`<code>.nk`, `admin.nk`, mode 600; kept when present, else a new key pair).
/// Returns the number of users.
pub fn write_nats_config(
    out: &std::path::Path,
    codes: &[anpi_core::jurisdiction::JurisdictionCode],
) -> anyhow::Result<usize> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // Created private (never readable by others, not even for a moment).
    let private = |path: &std::path::Path, text: &str| -> anyhow::Result<()> {
        let temp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&temp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .with_context(|| format!("writing {}", temp.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", temp.display()))?;
        std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))
    };
    let mut keys = std::collections::BTreeMap::new();
    let users = std::iter::once(("admin".to_string(), bus::auth::ADMIN_USER.to_string()))
        .chain(codes.iter().map(|c| (c.to_string(), bus::auth::user_of(c))));
    for (file, user) in users {
        let path = out.join(format!("{file}.nk"));
        let pair = match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => {
                let seed = text.lines().next().unwrap_or_default().trim();
                let pair = nkeys::KeyPair::from_seed(seed).map_err(|e| {
                    anyhow::anyhow!("{} holds no valid NKEY seed: {e}", path.display())
                })?;
                let mode = std::fs::metadata(&path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                        .with_context(|| format!("restricting {}", path.display()))?;
                }
                pair
            }
            _ => {
                let pair = nkeys::KeyPair::new_user();
                let seed = pair
                    .seed()
                    .map_err(|e| anyhow::anyhow!("making an NKEY for {user}: {e}"))?;
                private(&path, &format!("{seed}\n"))?;
                pair
            }
        };
        keys.insert(user, pair.public_key());
    }
    let conf = out.join("auth.conf");
    let text = bus::auth::render(codes, &keys);
    std::fs::write(&conf, text).with_context(|| format!("writing {}", conf.display()))?;
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &std::path::Path, cert: &str, key: &str) -> TlsFiles {
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, cert).unwrap();
        std::fs::write(&files.key, key).unwrap();
        files
    }

    #[test]
    fn tls_identity_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("anpi-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let message = |files: &TlsFiles| format!("{:#}", load_tls_identity(files).unwrap_err());

        let missing = TlsFiles {
            cert: dir.join("absent.pem"),
            key: dir.join("key.pem"),
        };
        assert!(
            message(&missing).contains("absent.pem"),
            "{}",
            message(&missing)
        );

        let not_a_cert = files(&dir, "hello", "-----BEGIN PRIVATE KEY-----\n");
        let text = message(&not_a_cert);
        assert!(
            text.contains("tls_cert") && text.contains("cert.pem"),
            "{text}"
        );

        let not_a_key = files(&dir, "-----BEGIN CERTIFICATE-----\n", "hello");
        let text = message(&not_a_key);
        assert!(
            text.contains("tls_key") && text.contains("key.pem"),
            "{text}"
        );

        let both = files(
            &dir,
            "-----BEGIN CERTIFICATE-----\n",
            "-----BEGIN PRIVATE KEY-----\n",
        );
        assert!(load_tls_identity(&both).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
