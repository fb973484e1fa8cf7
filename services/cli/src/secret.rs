//! Passwords and other secrets, read from a file or typed at a prompt.

use std::io::BufRead;

use anyhow::Context;

pub(crate) fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    read_secret(file, "パスワード")
}

/// The first line of `file`, or a line typed at the prompt `label`.
pub(crate) fn read_secret(file: Option<&std::path::Path>, label: &str) -> anyhow::Result<String> {
    let text = match file {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => {
            eprint!("{label}: ");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line
        }
    };
    Ok(text.lines().next().unwrap_or_default().to_string())
}
