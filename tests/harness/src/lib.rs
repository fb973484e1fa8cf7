//! Test harness: real servers on loopback, one fresh resource per test.
//!
//! - [`TestDb`]: a new PostgreSQL database named by a UUID on the server at
//!   `ANPI_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//!   dropped (with FORCE) when the value is dropped.
//! - [`NatsServer`]: a `nats-server` process with JetStream on a free test port
//!   ([`free_port`]) and a temporary store directory, killed on drop — for tests that
//!   must stop or restart it.
//! - [`NodeProcess`]: an `anpi-node serve` process, stoppable with SIGTERM or SIGKILL.
//! - [`TestCa`]: a throw-away certificate authority (made with the `openssl` command)
//!   that issues server certificates for `localhost` / `127.0.0.1`, for nodes serving
//!   gRPC over TLS ([`TestNode::start_tls`], A-05).
//! - [`PgPrimary`]: a throw-away PostgreSQL cluster of its own (`initdb` into a temporary
//!   directory, on a free test port, replication allowed over loopback), stopped and
//!   removed on drop; [`Standby`]: a Debian cluster made a streaming hot standby of it
//!   by `deploy/pg-standby.sh` (issue 22 item 4), dropped by the same script on drop.
//! - [`smtp::SmtpSink`]: an SMTP server (`deploy/smtp/sink.py`) recording what it
//!   accepts; [`smtp::bare_send`], the bare SMTP client the mail benchmark compares with.

pub mod browser;
pub mod smtp;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server URL tests create their databases on.
pub fn server_url() -> String {
    std::env::var("ANPI_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}

async fn admin_client() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot reach the test PostgreSQL at {}: {e} (run deploy/ensure-services.sh)",
                server_url()
            )
        });
    tokio::spawn(connection);
    client
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let name = format!("anpi_test_{}", uuid::Uuid::new_v4().simple());
        let client = admin_client().await;
        client
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            ))
            .await
            .expect("creating the test database");
        TestDb {
            url: with_database(&server_url(), &name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee: use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    let client = admin_client().await;
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                });
            }
        })
        .join();
    }
}

/// The ports [`free_port`] hands out: below Linux's ephemeral range (32768–60999 by
/// default), so an outgoing connection of another test cannot be given the same port
/// between the moment a test picks it and the moment its server binds it.
const TEST_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// The reservations this test process holds (see [`free_port`]); the locks are released
/// when the process exits, however it exits.
static PORT_LOCKS: std::sync::Mutex<Vec<std::fs::File>> = std::sync::Mutex::new(Vec::new());

/// A free TCP port on 127.0.0.1 for a server a test is about to start.
///
/// Tests run in parallel processes, and a port found free and released can be taken by
/// another one before the server binds it (a CI run failed on exactly that: a node's
/// console port had become some other connection's local port). So a port is taken from
/// [`TEST_PORTS`], outside the kernel's ephemeral range, and reserved across processes by
/// an exclusive lock on `$TMPDIR/anpi-ports/PORT.lock`, held until this process exits;
/// then it is checked to be bindable.
pub fn free_port() -> u16 {
    let dir = std::env::temp_dir().join("anpi-ports");
    std::fs::create_dir_all(&dir).expect("creating the port reservation directory");
    let span = u32::from(TEST_PORTS.end - TEST_PORTS.start);
    // Start at a different place in each process, so parallel tests rarely contend.
    let start = uuid::Uuid::new_v4().as_fields().0 % span;
    for step in 0..span {
        let port = TEST_PORTS.start + ((start + step) % span) as u16;
        let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{port}.lock")))
        else {
            continue;
        };
        if file.try_lock().is_err() {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        PORT_LOCKS.lock().expect("port reservations").push(file);
        return port;
    }
    panic!("no free test port in {TEST_PORTS:?}");
}

/// Waits until something accepts TCP connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A private nats-server with JetStream.
pub struct NatsServer {
    pub port: u16,
    pub url: String,
    child: Child,
    store: TempDir,
    /// A configuration file (users and permissions), when started with one.
    config: Option<PathBuf>,
}

impl NatsServer {
    pub fn start() -> NatsServer {
        NatsServer::start_inner(None, None)
    }

    /// A server whose users and permissions are `dir/auth.conf` (as written by
    /// `anpi-node nats-config --out dir`, A-05); its configuration goes to
    /// `dir/nats.conf`.
    pub fn start_with_auth(dir: &Path) -> NatsServer {
        NatsServer::start_inner(Some(dir), None)
    }

    /// As [`NatsServer::start_with_auth`], and serving TLS only, with a certificate for
    /// 127.0.0.1 issued by `ca` (issue 22): its URL is `tls://127.0.0.1:<port>`.
    pub fn start_secured(dir: &Path, ca: &TestCa) -> NatsServer {
        let (cert, key) = ca.issue_server_cert("nats-server");
        NatsServer::start_inner(Some(dir), Some((cert, key, None)))
    }

    /// As [`NatsServer::start_secured`], and asking every client for a certificate
    /// signed by `ca` (`verify: true`).
    pub fn start_verifying_clients(dir: &Path, ca: &TestCa) -> NatsServer {
        let (cert, key) = ca.issue_server_cert("nats-server");
        NatsServer::start_inner(Some(dir), Some((cert, key, Some(ca.cert.clone()))))
    }

    fn start_inner(
        auth_dir: Option<&Path>,
        tls: Option<(PathBuf, PathBuf, Option<PathBuf>)>,
    ) -> NatsServer {
        let store = TempDir::new("anpi-nats");
        let port = free_port();
        let config = auth_dir.map(|dir| {
            let path = dir.join("nats.conf");
            let tls_block = match &tls {
                Some((cert, key, clients)) => format!(
                    "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n  timeout: 2\n{}}}\n",
                    cert.display(),
                    key.display(),
                    clients.as_ref().map_or(String::new(), |ca| format!(
                        "  ca_file: \"{}\"\n  verify: true\n",
                        ca.display()
                    ))
                ),
                None => String::new(),
            };
            std::fs::write(
                &path,
                format!(
                    "listen: 127.0.0.1:{port}\njetstream {{ store_dir: \"{}\" }}\n{tls_block}include \"auth.conf\"\n",
                    store.path().display()
                ),
            )
            .expect("writing nats.conf");
            path
        });
        let child = spawn_nats(port, store.path(), config.as_deref());
        assert!(
            wait_for_port(port, Duration::from_secs(10)),
            "nats-server did not start on port {port}"
        );
        let scheme = if tls.is_some() { "tls" } else { "nats" };
        NatsServer {
            port,
            url: format!("{scheme}://127.0.0.1:{port}"),
            child,
            store,
            config,
        }
    }

    /// Kills the server and starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        self.start_again();
    }

    /// SIGKILL: JetStream keeps only what it had written to its store.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a killed server again on the same port and store.
    pub fn start_again(&mut self) {
        self.child = spawn_nats(self.port, self.store.path(), self.config.as_deref());
        assert!(
            wait_for_port(self.port, Duration::from_secs(10)),
            "nats-server did not restart"
        );
    }
}

/// A JetStream cluster of nats-servers on loopback with routes between them (issue 22):
/// each server its own client port, cluster port and store. Streams created with
/// replicas up to the number of servers survive one server's loss.
pub struct NatsCluster {
    /// `nats://127.0.0.1:<p1>,nats://127.0.0.1:<p2>,…`: a client's server list.
    pub url: String,
    servers: Vec<ClusterServer>,
    _dir: TempDir,
}

struct ClusterServer {
    port: u16,
    config: PathBuf,
    child: Option<Child>,
}

impl NatsCluster {
    pub fn start(size: usize) -> NatsCluster {
        let dir = TempDir::new("anpi-nats-cluster");
        let ports: Vec<(u16, u16)> = (0..size).map(|_| (free_port(), free_port())).collect();
        let routes = ports
            .iter()
            .map(|(_, route)| format!("\"nats-route://127.0.0.1:{route}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut servers = Vec::new();
        for (i, (port, route)) in ports.iter().enumerate() {
            let store = dir.path().join(format!("n{i}"));
            std::fs::create_dir_all(&store).expect("creating a store directory");
            let config = dir.path().join(format!("n{i}.conf"));
            std::fs::write(
                &config,
                format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{port}\n\
                     jetstream {{ store_dir: \"{}\" }}\n\
                     cluster {{\n  name: anpi-test\n  listen: 127.0.0.1:{route}\n  routes: [{routes}]\n}}\n",
                    store.display()
                ),
            )
            .expect("writing a cluster server's configuration");
            servers.push(ClusterServer {
                port: *port,
                config,
                child: None,
            });
        }
        let url = servers
            .iter()
            .map(|s| format!("nats://127.0.0.1:{}", s.port))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = NatsCluster {
            url,
            servers,
            _dir: dir,
        };
        for i in 0..size {
            cluster.start_again(i);
        }
        cluster
    }

    pub fn len(&self) -> usize {
        self.servers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// The client URL of server `i` alone.
    pub fn server_url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.servers[i].port)
    }

    /// SIGKILL of server `i`: it keeps only what it had written to its store.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.servers[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts server `i` (again) on its ports and store.
    pub fn start_again(&mut self, i: usize) {
        let server = &mut self.servers[i];
        let child = Command::new(nats_server_bin())
            .arg("-c")
            .arg(&server.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nats-server (install it with deploy/ensure-services.sh)");
        server.child = Some(child);
        assert!(
            wait_for_port(server.port, Duration::from_secs(10)),
            "cluster server {i} did not start on port {}",
            server.port
        );
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.servers.len() {
            self.kill(i);
        }
    }
}

/// The nats-server the tests run: `ANPI_NATS_SERVER`, else the pinned one that
/// `deploy/ensure-services.sh` installs (`.cache/nats-server/bin/nats-server`), else
/// `nats-server` on the PATH.
pub fn nats_server_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("ANPI_NATS_SERVER") {
        return PathBuf::from(path);
    }
    let pinned =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/nats-server/bin/nats-server");
    if pinned.exists() {
        return pinned;
    }
    PathBuf::from("nats-server")
}

fn spawn_nats(port: u16, store: &Path, config: Option<&Path>) -> Child {
    let mut command = Command::new(nats_server_bin());
    match config {
        Some(config) => command.arg("-c").arg(config),
        None => command
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store),
    };
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting nats-server (install it with deploy/ensure-services.sh)")
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A binary of this workspace, next to the running test executable
/// (`target/<profile>/deps/test-xxx` → `target/<profile>/<name>`).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile directory");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} not built: run `cargo build --bins` first",
        path.display()
    );
    path
}

/// A running `anpi-node serve`.
pub struct NodeProcess {
    pub addr: String,
    pub port: u16,
    child: Child,
    binary: PathBuf,
    config: PathBuf,
    log: PathBuf,
}

impl NodeProcess {
    /// Starts `binary serve --config config` with its output to `log`, and waits until
    /// it accepts connections on `port`.
    pub fn start(binary: &Path, config: &Path, port: u16, log: &Path) -> NodeProcess {
        let child = spawn_node(binary, config, log);
        let node = NodeProcess {
            addr: format!("http://127.0.0.1:{port}"),
            port,
            child,
            binary: binary.to_path_buf(),
            config: config.to_path_buf(),
            log: log.to_path_buf(),
        };
        node.wait_ready();
        node
    }

    fn wait_ready(&self) {
        if !wait_for_port(self.port, Duration::from_secs(30)) {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            panic!("anpi-node did not start on port {}:\n{log}", self.port);
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process's resident memory now and at its peak (`VmRSS`, `VmHWM` of
    /// `/proc/PID/status`), in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("reading the node's /proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Starts the same node again (after a kill).
    pub fn restart(&mut self) {
        self.child = spawn_node(&self.binary, &self.config, &self.log);
        self.wait_ready();
    }
}

fn spawn_node(binary: &Path, config: &Path, log: &Path) -> Child {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("opening the node log");
    Command::new(binary)
        .arg("serve")
        .arg("--config")
        .arg(config)
        .stdout(log_file.try_clone().expect("log handle"))
        .stderr(log_file)
        .spawn()
        .expect("starting anpi-node")
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node of one jurisdiction in its own directory: `node.toml`, an administrator
/// `admin` with `password`, `anpi-node init` run, `anpi-node serve` running.
pub struct TestNode {
    pub process: NodeProcess,
    pub config: PathBuf,
    pub password_file: PathBuf,
    pub password: String,
    pub dir: TempDir,
}

impl TestNode {
    pub fn start(binary: &Path, jurisdiction: &str, database_url: &str) -> TestNode {
        TestNode::start_with(binary, jurisdiction, database_url, "")
    }

    /// A node of a network: reports travel over the NATS server at `nats_url`.
    pub fn start_in_network(
        binary: &Path,
        jurisdiction: &str,
        database_url: &str,
        nats_url: &str,
    ) -> TestNode {
        TestNode::start_with(
            binary,
            jurisdiction,
            database_url,
            &format!("nats_url = \"{nats_url}\"\n"),
        )
    }

    /// `extra` is appended to `node.toml` (TOML lines).
    pub fn start_with(
        binary: &Path,
        jurisdiction: &str,
        database_url: &str,
        extra: &str,
    ) -> TestNode {
        let dir = TempDir::new(&format!("anpi-node-{jurisdiction}"));
        let port = free_port();
        let config = dir.path().join("node.toml");
        std::fs::write(
            &config,
            format!("jurisdiction = \"{jurisdiction}\"\ndatabase_url = \"{database_url}\"\nlisten = \"127.0.0.1:{port}\"\n{extra}"),
        )
        .expect("writing node.toml");
        // Within the password policy: 8–32 characters, two kinds at least.
        let password = format!("Test-{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
        let password_file = dir.path().join("admin-password");
        std::fs::write(&password_file, format!("{password}\n")).expect("writing the password file");
        let init = Command::new(binary)
            .args(["init", "--admin-id", "admin", "--config"])
            .arg(&config)
            .arg("--admin-password-file")
            .arg(&password_file)
            .output()
            .expect("running anpi-node init");
        assert!(
            init.status.success(),
            "anpi-node init failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let process = NodeProcess::start(binary, &config, port, &dir.path().join("node.log"));
        TestNode {
            process,
            config,
            password_file,
            password,
            dir,
        }
    }

    /// A node serving gRPC over TLS (A-05, issue 7 item 7) with a certificate for
    /// `localhost` and `127.0.0.1` issued by `ca`; its address is
    /// `https://127.0.0.1:PORT`.
    pub fn start_tls(
        binary: &Path,
        jurisdiction: &str,
        database_url: &str,
        ca: &TestCa,
    ) -> TestNode {
        TestNode::start_tls_with(binary, jurisdiction, database_url, ca, "")
    }

    /// [`TestNode::start_tls`] with `extra` appended to `node.toml`.
    pub fn start_tls_with(
        binary: &Path,
        jurisdiction: &str,
        database_url: &str,
        ca: &TestCa,
        extra: &str,
    ) -> TestNode {
        let (cert, key) = ca.issue_server_cert(&format!("node-{jurisdiction}"));
        let tls = format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"\n{extra}",
            cert.display(),
            key.display()
        );
        let mut node = TestNode::start_with(binary, jurisdiction, database_url, &tls);
        node.process.addr = format!("https://127.0.0.1:{}", node.process.port);
        node
    }

    pub fn addr(&self) -> &str {
        &self.process.addr
    }

    /// The node's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("node.log")).unwrap_or_default()
    }
}

/// A throw-away certificate authority: an EC P-256 key and a self-signed CA certificate
/// in a temporary directory, made with the `openssl` command. Two `TestCa`s are
/// unrelated: a certificate of one does not verify with the other (negative tests).
pub struct TestCa {
    /// The CA certificate (PEM): what a client trusts (`anpi --ca`).
    pub cert: PathBuf,
    key: PathBuf,
    pub dir: TempDir,
}

impl TestCa {
    /// A new CA named `anpi test CA <label>`, valid for two days.
    pub fn new(label: &str) -> TestCa {
        let dir = TempDir::new("anpi-ca");
        let key = dir.path().join("ca.key");
        let cert = dir.path().join("ca.pem");
        new_ec_key(&key);
        openssl(&[
            "req".as_ref(),
            "-x509".as_ref(),
            "-new".as_ref(),
            "-key".as_ref(),
            key.as_os_str(),
            "-sha256".as_ref(),
            "-days".as_ref(),
            "2".as_ref(),
            "-subj".as_ref(),
            format!("/CN=anpi test CA {label}").as_ref(),
            "-addext".as_ref(),
            "basicConstraints=critical,CA:TRUE".as_ref(),
            "-addext".as_ref(),
            "keyUsage=critical,keyCertSign,cRLSign".as_ref(),
            "-out".as_ref(),
            cert.as_os_str(),
        ]);
        TestCa { cert, key, dir }
    }

    /// A server certificate for DNS `localhost` and IP `127.0.0.1` signed by this CA:
    /// `(certificate PEM, private key PEM)`, named `<name>.pem` / `<name>.key` in the
    /// CA's directory.
    pub fn issue_server_cert(&self, name: &str) -> (PathBuf, PathBuf) {
        self.issue(
            name,
            "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
    }

    /// A client certificate (`clientAuth`) signed by this CA, as [`issue_server_cert`].
    ///
    /// [`issue_server_cert`]: TestCa::issue_server_cert
    pub fn issue_client_cert(&self, name: &str) -> (PathBuf, PathBuf) {
        self.issue(name, "extendedKeyUsage=clientAuth\n")
    }

    fn issue(&self, name: &str, usage: &str) -> (PathBuf, PathBuf) {
        let key = self.dir.path().join(format!("{name}.key"));
        let csr = self.dir.path().join(format!("{name}.csr"));
        let cert = self.dir.path().join(format!("{name}.pem"));
        let extensions = self.dir.path().join(format!("{name}.ext"));
        new_ec_key(&key);
        openssl(&[
            "req".as_ref(),
            "-new".as_ref(),
            "-key".as_ref(),
            key.as_os_str(),
            "-subj".as_ref(),
            format!("/CN={name}").as_ref(),
            "-out".as_ref(),
            csr.as_os_str(),
        ]);
        std::fs::write(
            &extensions,
            format!(
                "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n{usage}"
            ),
        )
        .expect("writing the certificate extensions");
        let serial = format!("0x{}", &uuid::Uuid::new_v4().simple().to_string()[..30]);
        openssl(&[
            "x509".as_ref(),
            "-req".as_ref(),
            "-in".as_ref(),
            csr.as_os_str(),
            "-CA".as_ref(),
            self.cert.as_os_str(),
            "-CAkey".as_ref(),
            self.key.as_os_str(),
            "-set_serial".as_ref(),
            serial.as_ref(),
            "-sha256".as_ref(),
            "-days".as_ref(),
            "2".as_ref(),
            "-extfile".as_ref(),
            extensions.as_os_str(),
            "-out".as_ref(),
            cert.as_os_str(),
        ]);
        (cert, key)
    }
}

fn new_ec_key(path: &Path) {
    openssl(&[
        "genpkey".as_ref(),
        "-algorithm".as_ref(),
        "EC".as_ref(),
        "-pkeyopt".as_ref(),
        "ec_paramgen_curve:P-256".as_ref(),
        "-out".as_ref(),
        path.as_os_str(),
    ]);
}

/// Runs `openssl` with `args`; panics with its output when it fails.
fn openssl(args: &[&std::ffi::OsStr]) {
    let output = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running openssl (install it: apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The newest PostgreSQL installed under `/usr/lib/postgresql` (Debian's layout):
/// `(major version, its bin directory)`.
pub fn postgres_install() -> (String, PathBuf) {
    let root = Path::new("/usr/lib/postgresql");
    let entries = std::fs::read_dir(root).unwrap_or_else(|e| {
        panic!(
            "cannot list {}: {e} (install PostgreSQL: deploy/ensure-services.sh)",
            root.display()
        )
    });
    let newest = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let major = name.parse::<u32>().ok()?;
            entry
                .path()
                .join("bin/initdb")
                .exists()
                .then_some((major, name))
        })
        .max();
    let (_, version) = newest.unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server under {} (install PostgreSQL: deploy/ensure-services.sh)",
            root.display()
        )
    });
    let bin = root.join(&version).join("bin");
    (version, bin)
}

/// Whether the tests run as root (then PostgreSQL commands run as `postgres`).
fn running_as_root() -> bool {
    static ROOT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
    })
}

/// `program`, run as the `postgres` OS user (`runuser -u postgres --`) when the tests
/// run as root — PostgreSQL refuses to run as root — and directly otherwise; in `dir`,
/// a directory that user can enter.
fn as_postgres(program: &Path, dir: &Path) -> Command {
    let mut command = if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.current_dir(dir).stdin(Stdio::null());
    command
}

/// Runs `command`; panics with its output when it fails.
fn run_checked(command: &mut Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {command:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{text}",
        output.status
    );
    text
}

/// The repository's root directory (for `deploy/` scripts).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A throw-away PostgreSQL cluster for the standby tests (issue 22 item 4): `initdb`
/// (as the `postgres` OS user when the tests run as root) into a temporary directory,
/// logins without password and replication connections from 127.0.0.1,
/// `wal_level = replica`, `fsync = off`, on a free test port, its socket in that
/// directory. Stopped (`pg_ctl stop -m immediate`) and removed on drop.
pub struct PgPrimary {
    pub port: u16,
    /// The PostgreSQL major version it runs (the newest installed).
    pub version: String,
    bin: PathBuf,
    data: PathBuf,
    dir: TempDir,
}

impl PgPrimary {
    pub fn start() -> PgPrimary {
        let (version, bin) = postgres_install();
        let dir = TempDir::new("anpi-pg-primary");
        if running_as_root() {
            run_checked(
                Command::new("chown").arg("postgres:").arg(dir.path()),
                "chown of the primary's directory to postgres",
            );
        }
        let data = dir.path().join("data");
        run_checked(
            as_postgres(&bin.join("initdb"), dir.path())
                .arg("-D")
                .arg(&data)
                .args([
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]),
            "initdb",
        );
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             host all all 127.0.0.1/32 trust\n\
             host replication all 127.0.0.1/32 trust\n",
        )
        .expect("writing pg_hba.conf");
        let port = free_port();
        let settings = format!(
            "\n# anpi-harness PgPrimary\n\
             port = {port}\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\n\
             wal_level = replica\n\
             max_wal_senders = 5\n\
             fsync = off\n",
            dir.path().display()
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut file| std::io::Write::write_all(&mut file, settings.as_bytes()))
            .expect("writing postgresql.conf");
        let primary = PgPrimary {
            port,
            version,
            bin,
            data,
            dir,
        };
        let started = as_postgres(&primary.bin.join("pg_ctl"), primary.dir.path())
            .arg("-D")
            .arg(&primary.data)
            .arg("-l")
            .arg(primary.dir.path().join("log"))
            .args(["-w", "-t", "60", "start"])
            .output()
            .expect("running pg_ctl start");
        assert!(
            started.status.success() && wait_for_port(port, Duration::from_secs(10)),
            "the primary PostgreSQL did not start on port {port}: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            primary.log()
        );
        primary
    }

    /// `postgres://postgres@127.0.0.1:PORT/db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` (as [`TestDb`] does: UTF-8, C.UTF-8 collation).
    pub async fn create_db(&self, name: &str) {
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| {
                    panic!("cannot reach the primary at {}: {e}", self.url("postgres"))
                });
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            ))
            .await
            .unwrap_or_else(|e| panic!("creating database {name} at the primary: {e}"));
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for PgPrimary {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"), Path::new("/"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // `dir` (a TempDir) removes the files after this.
    }
}

/// A streaming hot standby of a [`PgPrimary`]: a Debian cluster `anpi_t<random>` on an
/// free test port, made by `deploy/pg-standby.sh create` (with `--trust-loopback`:
/// passwordless loopback logins, as at the primary) and removed on drop by
/// `deploy/pg-standby.sh drop`.
pub struct Standby {
    pub name: String,
    pub port: u16,
    /// The Debian cluster's major version (the primary's).
    pub version: String,
}

impl Standby {
    pub fn create(primary: &PgPrimary) -> Standby {
        let name = format!("anpi_t{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let port = free_port();
        // Made before the script runs, so that its drop removes whatever a failed
        // create left (the script drops a half-made cluster itself).
        let standby = Standby {
            name,
            port,
            version: primary.version.clone(),
        };
        let output = Command::new("bash")
            .arg(repo_root().join("deploy/pg-standby.sh"))
            .args(["create", "--primary"])
            .arg(format!("127.0.0.1:{}", primary.port))
            .arg("--port")
            .arg(port.to_string())
            .args(["--name", &standby.name, "--version", &standby.version])
            .arg("--trust-loopback")
            .stdin(Stdio::null())
            .output()
            .expect("running deploy/pg-standby.sh");
        assert!(
            output.status.success(),
            "deploy/pg-standby.sh create failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        standby
    }

    /// `postgres://postgres@127.0.0.1:PORT/db` (read-only).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// `pg_ctlcluster V NAME stop`.
    pub fn stop(&self) {
        self.ctl("stop");
    }

    /// `pg_ctlcluster V NAME start`: back in recovery, catching up with the primary.
    pub fn start(&self) {
        self.ctl("start");
        assert!(
            wait_for_port(self.port, Duration::from_secs(30)),
            "the standby {} did not listen on port {} again",
            self.name,
            self.port
        );
    }

    fn ctl(&self, action: &str) {
        let mut command = Command::new("pg_ctlcluster");
        if !Path::new("/run/systemd/system").is_dir() {
            command.arg("--skip-systemctl-redirect");
        }
        command.args([&self.version, &self.name, action]);
        run_checked(
            &mut command,
            &format!("pg_ctlcluster {action} of {}", self.name),
        );
    }

    /// `deploy/pg-standby.sh status`: the cluster line, `in_recovery: …`,
    /// `replay_lag_seconds: …`, `wal_receiver: …`.
    pub fn status(&self) -> String {
        let output = Command::new("bash")
            .arg(repo_root().join("deploy/pg-standby.sh"))
            .args(["status", "--name", &self.name])
            .stdin(Stdio::null())
            .output()
            .expect("running deploy/pg-standby.sh status");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}

impl Drop for Standby {
    fn drop(&mut self) {
        let output = Command::new("bash")
            .arg(repo_root().join("deploy/pg-standby.sh"))
            .args(["drop", "--name", &self.name, "--version", &self.version])
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(output) if output.status.success() => {}
            Ok(output) => eprintln!(
                "deploy/pg-standby.sh drop --name {} failed:\n{}{}",
                self.name,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(e) => eprintln!("cannot run deploy/pg-standby.sh drop: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_outside_the_ephemeral_range_and_reserved_until_the_process_exits() {
        let ports: Vec<u16> = (0..20).map(|_| free_port()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            ports.len(),
            "a port handed out twice: {ports:?}"
        );
        for port in &ports {
            assert!(TEST_PORTS.contains(port), "{port} outside {TEST_PORTS:?}");
            // Another process (here: another open file description) cannot reserve it.
            let lock = std::env::temp_dir().join(format!("anpi-ports/{port}.lock"));
            let other = std::fs::File::open(&lock).unwrap();
            assert!(other.try_lock().is_err(), "{port} not reserved");
            // And it is free to bind.
            TcpListener::bind(("127.0.0.1", *port)).unwrap();
        }
    }

    #[test]
    fn a_test_ca_issues_verifiable_server_certificates() {
        let ca = TestCa::new("one");
        let other = TestCa::new("two");
        let (cert, _key) = ca.issue_server_cert("node");
        let verify = |trusted: &Path| {
            Command::new("openssl")
                .arg("verify")
                .arg("-CAfile")
                .arg(trusted)
                .arg(&cert)
                .output()
                .unwrap()
                .status
                .success()
        };
        assert!(verify(&ca.cert));
        assert!(!verify(&other.cert));
        let text = Command::new("openssl")
            .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
            .arg(&cert)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("DNS:localhost") && text.contains("IP Address:127.0.0.1"),
            "{text}"
        );
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
    }
}
