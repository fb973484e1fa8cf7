//! Where the CLI finds the node, the token and the CA of an `https://` node: flags,
//! `ANPI_NODE` / `ANPI_TOKEN` / `ANPI_CA`, or the saved login (`$ANPI_HOME/logins.json`,
//! default `~/.config/anpi/logins.json`, mode 0600).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedLogin {
    pub account: String,
    pub token: String,
    pub expires_at: String,
    /// The CA certificate the login to an `https://` node used (absolute path), so
    /// that later commands need no `--ca` (A-05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Logins {
    /// The node of the last login, used when no node is given.
    #[serde(default)]
    pub current: Option<String>,
    #[serde(default)]
    pub nodes: BTreeMap<String, SavedLogin>,
}

fn home() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("ANPI_HOME") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(dir).join("anpi"));
    }
    let home = std::env::var_os("HOME").context("HOME is not set; set ANPI_HOME")?;
    Ok(PathBuf::from(home).join(".config").join("anpi"))
}

impl Logins {
    pub fn load() -> anyhow::Result<Logins> {
        let path = home()?.join("logins.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Logins::default()),
            Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn save(&self) -> anyhow::Result<()> {
        let dir = home()?;
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("logins.json");
        let tmp = dir.join("logins.json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

/// Normalises a node address: adds `http://` when no scheme is given.
pub fn normalise_node(address: &str) -> String {
    let address = address.trim().trim_end_matches('/');
    if address.contains("://") {
        address.to_string()
    } else {
        format!("http://{address}")
    }
}

/// The node to talk to: the flag/env value, else the node of the last login.
pub fn resolve_node(flag: Option<&str>, logins: &Logins) -> anyhow::Result<String> {
    if let Some(node) = flag {
        return Ok(normalise_node(node));
    }
    match &logins.current {
        Some(node) => Ok(node.clone()),
        None => bail!(
            "接続先ノードが指定されていません。--node または ANPI_NODE で指定するか、`anpi login --node ...` してください"
        ),
    }
}

/// The token: the flag/env value, else the saved login for `node`.
pub fn resolve_token(flag: Option<&str>, node: &str, logins: &Logins) -> anyhow::Result<String> {
    if let Some(token) = flag {
        return Ok(token.to_string());
    }
    match logins.nodes.get(node) {
        Some(login) => Ok(login.token.clone()),
        None => bail!(
            "{node} にログインしていません。`anpi --node {node} login --user ID` を実行してください"
        ),
    }
}

/// The CA certificate for `node`: the flag/env value, else the one saved with the
/// login to `node`. Only `https://` nodes use it.
pub fn resolve_ca(flag: Option<&Path>, node: &str, logins: &Logins) -> Option<PathBuf> {
    match flag {
        Some(path) => Some(path.to_path_buf()),
        None => logins.nodes.get(node).and_then(|login| login.ca.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_and_token_resolution() {
        let mut logins = Logins::default();
        assert!(resolve_node(None, &logins).is_err());
        assert_eq!(
            resolve_node(Some("127.0.0.1:50061"), &logins).unwrap(),
            "http://127.0.0.1:50061"
        );
        logins.current = Some("http://n:1".into());
        logins.nodes.insert(
            "http://n:1".into(),
            SavedLogin {
                account: "a".into(),
                token: "t".into(),
                expires_at: String::new(),
                ca: None,
            },
        );
        assert_eq!(resolve_node(None, &logins).unwrap(), "http://n:1");
        assert_eq!(resolve_token(None, "http://n:1", &logins).unwrap(), "t");
        assert_eq!(
            resolve_token(Some("x"), "http://n:1", &logins).unwrap(),
            "x"
        );
        assert!(resolve_token(None, "http://other:1", &logins).is_err());
    }

    #[test]
    fn the_ca_of_an_https_node_is_remembered_with_its_login() {
        let mut logins = Logins::default();
        assert_eq!(resolve_ca(None, "https://n:1", &logins), None);
        logins.nodes.insert(
            "https://n:1".into(),
            SavedLogin {
                account: "a".into(),
                token: "t".into(),
                expires_at: String::new(),
                ca: Some("/etc/anpi/ca.pem".into()),
            },
        );
        assert_eq!(
            resolve_ca(None, "https://n:1", &logins),
            Some(PathBuf::from("/etc/anpi/ca.pem"))
        );
        assert_eq!(
            resolve_ca(Some(Path::new("other.pem")), "https://n:1", &logins),
            Some(PathBuf::from("other.pem"))
        );
        // Saved before TLS: no `ca` field.
        let old: SavedLogin =
            serde_json::from_str(r#"{"account":"a","token":"t","expires_at":""}"#).unwrap();
        assert_eq!(old.ca, None);
        assert!(!serde_json::to_string(&old).unwrap().contains("\"ca\""));
    }
}
