//! `anpi-node`: run a jurisdiction's node. Thin: parse, configure, call the library.

use std::path::PathBuf;

use anpi_core::ids::AccountId;
use anpi_node::config::{self, NodeArgs};
use anpi_node::server;
use anpi_node::store;
use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "anpi-node",
    version,
    about = "anpi node: a jurisdiction's safety-information server"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the database, apply migrations and create the administrator (idempotent).
    Init {
        #[command(flatten)]
        node: NodeArgs,
        /// Login ID of the first administrator.
        #[arg(long, default_value = "admin")]
        admin_id: String,
        /// File holding the administrator's password (first line).
        #[arg(long, conflicts_with = "admin_password")]
        admin_password_file: Option<PathBuf>,
        /// The administrator's password (prefer --admin-password-file).
        #[arg(long, env = "ANPI_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// Serve gRPC (health, reflection, Auth, Node, Rollcall).
    Serve {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Write the NATS users of a network as NKEYs: `OUT/auth.conf` (public keys
    /// and permissions; include it in the nats-server configuration) and the seed
    /// `OUT/<code>.nk` per node (its `nats_nkey_file`), `OUT/admin.nk` for the operator.
    /// Existing seeds are kept; each user may publish and consume only its own subjects.
    NatsConfig {
        /// Directory to write into (created; seed files mode 600).
        #[arg(long, default_value = "deploy/nats/generated")]
        out: PathBuf,
        /// The jurisdiction codes of the network's nodes.
        #[arg(required = true)]
        codes: Vec<String>,
    },
    /// Give a node whose administrators are all locked out (or withdrawn) an
    /// administrator back: clears an administrator's lock and login back-off
    /// and sets a one-time password, or issues a new administrator for an unused ID.
    /// Stop `anpi-node serve` first; recorded as AdministratorRecovered by `<code>/system`.
    RecoverAdmin {
        #[command(flatten)]
        node: NodeArgs,
        /// The administrator's login ID (an existing administrator, or a new ID).
        #[arg(long)]
        admin_id: String,
        /// File holding the one-time password to set (first line); without it a random
        /// one is made and printed.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Rebuild the private-area projection from position 0 of the log.
    Rebuild {
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ANPI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown requested");
}

/// The first line of a password file.
fn first_line(path: &std::path::Path) -> anyhow::Result<String> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .next()
        .unwrap_or_default()
        .to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();
    match Cli::parse().command {
        Cmd::Init {
            node,
            admin_id,
            admin_password_file,
            admin_password,
        } => {
            let config = config::load(&node)?;
            let admin = AccountId::parse(&admin_id).map_err(anyhow::Error::msg)?;
            let password = match (admin_password_file, admin_password) {
                (Some(path), _) => first_line(&path)?,
                (None, Some(password)) => password,
                (None, None) => anyhow::bail!(
                    "give the administrator's password with --admin-password-file or ANPI_ADMIN_PASSWORD"
                ),
            };
            let created = server::init(&config, &admin, &password).await?;
            if created {
                println!(
                    "initialised node {} ({}); administrator `{admin}` created",
                    config.jurisdiction,
                    config.tier.as_str()
                );
            } else {
                println!(
                    "node {} ({}) already initialised; accounts unchanged",
                    config.jurisdiction,
                    config.tier.as_str()
                );
            }
            Ok(())
        }
        Cmd::Serve { node } => {
            let config = config::load(&node)?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("binding {}", config.listen))?;
            server::serve(config, listener, shutdown_signal()).await
        }
        Cmd::NatsConfig { out, codes } => {
            let codes = codes
                .iter()
                .map(|c| {
                    anpi_core::jurisdiction::JurisdictionCode::parse(c)
                        .with_context(|| format!("jurisdiction code `{c}`"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let written = server::write_nats_config(&out, &codes)?;
            println!(
                "wrote {} (users: {written}); include it in the nats-server configuration",
                out.join("auth.conf").display()
            );
            Ok(())
        }
        Cmd::RecoverAdmin {
            node,
            admin_id,
            password_file,
        } => {
            let config = config::load(&node)?;
            let admin = AccountId::parse(&admin_id).map_err(anyhow::Error::msg)?;
            let password = password_file.map(|path| first_line(&path)).transpose()?;
            let recovery = store::accounts::recover_admin(
                config.database_url.expose(),
                &config.jurisdiction,
                config.tier,
                config.name.as_deref(),
                &admin,
                password,
            )
            .await?;
            let what = if recovery.created {
                "issued as a new administrator"
            } else {
                "recovered: lock and login back-off cleared, sessions ended"
            };
            println!(
                "node {}: `{admin}` {what} (AdministratorRecovered at position {})",
                config.jurisdiction, recovery.position
            );
            println!("one-time password: {}", recovery.one_time_password);
            println!(
                "start the node again; the administrator must change the password at the first login (`anpi password`)"
            );
            Ok(())
        }
        Cmd::Rebuild { node } => {
            let config = config::load(&node)?;
            server::prepare_database(&config).await?;
            let mut client = store::connect(config.database_url.expose()).await?;
            let folded = store::projection::rebuild(&mut client, |at, head| {
                eprintln!("rebuilding: {at}/{head}");
            })
            .await?;
            println!("rebuilt the private area from {folded} events");
            Ok(())
        }
    }
}
