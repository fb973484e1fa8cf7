//! Files the CLI writes (exports, downloads, forms): whole or not at all. The data is
//! written to a temporary file beside the target, synced, then put in place — linked
//! when an existing file must not be replaced (files with personal data), renamed
//! otherwise — so that an error or a crash never leaves half a file under the name.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// A file being written; dropped unfinished, it leaves nothing behind.
pub(crate) struct OutFile {
    path: PathBuf,
    temp: PathBuf,
    file: Option<File>,
    replace: bool,
}

impl OutFile {
    /// Reserves `path`, before anything is read (so nothing is read, and logged as
    /// exported, when it cannot be written): refused when it exists and `replace` is
    /// false. `personal`: mode 600.
    pub(crate) fn create(path: &Path, personal: bool, replace: bool) -> anyhow::Result<OutFile> {
        if !replace && path.exists() {
            return Err(exists(path));
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .with_context(|| format!("{} はファイル名ではありません", path.display()))?;
        let temp = dir.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if personal { 0o600 } else { 0o644 })
            .open(&temp)
            .map_err(|e| anyhow::anyhow!("{} を作成できません: {e}", path.display()))?;
        Ok(OutFile {
            path: path.to_path_buf(),
            temp,
            file: Some(file),
            replace,
        })
    }

    /// Writes `bytes` and puts the file in place.
    pub(crate) fn finish(mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let mut file = self.file.take().expect("an unfinished file");
        let placed = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| {
                if self.replace {
                    std::fs::rename(&self.temp, &self.path)
                } else {
                    // A hard link fails when the name exists: never a replaced file.
                    std::fs::hard_link(&self.temp, &self.path)
                        .and_then(|()| std::fs::remove_file(&self.temp))
                }
            });
        match placed {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(exists(&self.path))
            }
            Err(error) => bail!("{} を書き込めません: {error}", self.path.display()),
        }
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

fn exists(path: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} は既にあります。別の名前を --out で指定してください",
        path.display()
    )
}

/// Writes `bytes` to `path` whole or not at all.
pub(crate) fn write_atomically(
    path: &Path,
    bytes: &[u8],
    personal: bool,
    replace: bool,
) -> anyhow::Result<()> {
    OutFile::create(path, personal, replace)?.finish(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_written_whole_and_never_replaces_one_with_data() {
        let dir = std::env::temp_dir().join(format!("anpi-out-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("form.pdf");
        let _ = std::fs::remove_file(&path);
        write_atomically(&path, b"%PDF-1", true, false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let error = write_atomically(&path, b"%PDF-2", true, false).unwrap_err();
        assert!(error.to_string().contains("既にあります"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1");
        write_atomically(&path, b"%PDF-3", false, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-3");
        // A file given up leaves nothing; no temporary file is left behind.
        drop(OutFile::create(&dir.join("given-up.csv"), true, false).unwrap());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
