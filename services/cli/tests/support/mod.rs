//! The `anpi` binary as the CLI tests drive it: its own home (saved logins), the node
//! it talks to, and the folder it runs in. Shared by the test files of this crate.
#![allow(dead_code)] // each test file uses its own part

use std::path::PathBuf;
use std::process::{Command, Output};

use anpi_harness::TestNode;

pub struct Cli {
    pub binary: PathBuf,
    pub home: PathBuf,
    pub node: String,
    /// The working folder (relative output files land here); the test's own if `None`.
    pub work: Option<PathBuf>,
}

impl Cli {
    /// The CLI of a fresh home beside `node`, not logged in.
    pub fn for_node(node: &TestNode) -> Cli {
        Cli {
            binary: PathBuf::from(env!("CARGO_BIN_EXE_anpi")),
            home: node.dir.path().join("home"),
            node: node.addr().to_string(),
            work: None,
        }
    }

    /// The CLI of a fresh home, logged in to `node` as its administrator.
    pub fn logged_in(node: &TestNode) -> Cli {
        let cli = Cli::for_node(node);
        let password = node.password_file.to_str().unwrap().to_string();
        cli.ok(&["login", "--user", "admin", "--password-file", &password]);
        cli
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env("ANPI_HOME", &self.home)
            .env("ANPI_NODE", &self.node)
            .env_remove("ANPI_TOKEN");
        if let Some(work) = &self.work {
            command.current_dir(work);
        }
        command.output().expect("running anpi")
    }

    /// Runs `anpi args…`, which must succeed; its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "anpi {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("JSON output")
    }

    /// A new drill incident; its ID.
    pub fn incident(&self, name: &str) -> String {
        let incident = self.json(&[
            "incident", "create", "--name", name, "--mode", "drill", "--json",
        ]);
        incident["id"].as_str().unwrap().to_string()
    }

    /// A new drill incident filled with `schemas/csv/examples/form1.csv`; its ID.
    pub fn imported_incident(&self, name: &str) -> String {
        let incident = self.incident(name);
        let examples =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/csv/examples");
        self.ok(&[
            "entry",
            "import",
            examples.join("form1.csv").to_str().unwrap(),
            "--incident",
            &incident,
        ]);
        incident
    }
}
