//! The file access manifest validation needs (state machine definitions,
//! layer folders), and the files read while decoding, kept for diagnostics.

use std::path::{Path, PathBuf};

/// The file access validation needs: reading state machine definitions and
/// checking layer folders. The CLI passes the real file system; tests may
/// pass anything.
pub trait Files {
    fn read(&self, path: &Path) -> std::io::Result<String>;
    fn is_dir(&self, path: &Path) -> bool;
}

/// The real file system.
pub struct Disk;

impl Files for Disk {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}

/// Files read while decoding (state machine definitions), kept for
/// diagnostics.
pub type ExtraSources = Vec<(PathBuf, String)>;
