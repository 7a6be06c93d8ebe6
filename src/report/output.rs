//! Writing output files safely: every file goes to a temporary name in its
//! own folder and is renamed into place, so a reader never sees half a file
//! and a failed run leaves the previous outputs whole.

use std::io::Write;
use std::path::{Path, PathBuf};

/// An output that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("无法写入 {path}：{source}")]
pub struct OutputError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Makes sure `dir` is a folder tally can write into.
///
/// # Errors
///
/// [`OutputError`] when `dir` is a file, cannot be created, or refuses a
/// test write.
pub fn prepare_dir(dir: &Path) -> Result<(), OutputError> {
    let err = |source| OutputError {
        path: dir.to_path_buf(),
        source,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(err(std::io::Error::other("这是一个文件，不是文件夹")));
    }
    std::fs::create_dir_all(dir).map_err(err)?;
    tempfile::NamedTempFile::new_in(dir).map(drop).map_err(err)
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then
/// renamed over the target, so no reader ever sees half a file. There is
/// no fsync per file: it cost 1.5 ms a file (1,000 feedback workbooks took
/// 1.8 s instead of 0.2 s), and a run cut short by a power loss is simply
/// run again.
///
/// # Errors
///
/// [`OutputError`] naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let err = |source| OutputError {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tally-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    // Temporary files are private (0600); outputs are for sharing.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
