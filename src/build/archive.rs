//! Reproducible zips: the same bytes in always give the same zip out.
//!
//! Every entry has the timestamp 1980-01-01 00:00:00, fixed permissions and
//! deflate at a fixed level, and entries are written in sorted order, so that
//! an unchanged function never looks changed to deploy.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Lambda's limits on a deployment package.
pub const MAX_ZIPPED: u64 = 50 * 1024 * 1024;
pub const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;

fn options(mode: u32) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(DateTime::default())
        .unix_permissions(mode)
}

/// A zip of named entries `(name, mode, bytes)`, sorted by name.
pub fn zip_entries(mut entries: Vec<(String, u32, Vec<u8>)>) -> std::io::Result<Vec<u8>> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, mode, bytes) in entries {
        w.start_file(name, options(mode))
            .map_err(std::io::Error::other)?;
        w.write_all(&bytes)?;
    }
    Ok(w.finish().map_err(std::io::Error::other)?.into_inner())
}

/// The zip of a function: one entry `bootstrap`, mode 0755.
pub fn function_zip(binary: &[u8]) -> std::io::Result<Vec<u8>> {
    zip_entries(vec![("bootstrap".to_string(), 0o755, binary.to_vec())])
}

/// The zip of a layer folder: every file under it, by relative path, mode
/// 0755 for executables and 0644 otherwise.
pub fn folder_zip(dir: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    let mut entries = Vec::new();
    let mut unzipped = 0;
    for (rel, path) in files {
        let bytes = std::fs::read(&path)?;
        unzipped += bytes.len() as u64;
        let mode = if is_executable(&path) { 0o755 } else { 0o644 };
        entries.push((rel, mode, bytes));
    }
    Ok((zip_entries(entries)?, unzipped))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let meta = std::fs::metadata(&path)?;
        if meta.is_dir() {
            collect(root, &path, out)?;
        } else if meta.is_file() {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A package over one of Lambda's limits, with the figures. `name` is
/// ``function `api` `` or ``layer `shared` ``.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TooLarge {
    #[error("{name}: the zip is {}, over Lambda's limit of {} for a direct upload", human(*zipped), human(MAX_ZIPPED))]
    Zipped { name: String, zipped: u64 },
    #[error("{name}: {} unzipped (with layers), over Lambda's limit of {}", human(*unzipped), human(MAX_UNZIPPED))]
    Unzipped { name: String, unzipped: u64 },
}

/// Refuses a package over Lambda's limits, with the figures.
pub fn check_limits(name: &str, zipped: u64, unzipped: u64) -> Result<(), TooLarge> {
    if zipped > MAX_ZIPPED {
        return Err(TooLarge::Zipped {
            name: name.to_string(),
            zipped,
        });
    }
    if unzipped > MAX_UNZIPPED {
        return Err(TooLarge::Unzipped {
            name: name.to_string(),
            unzipped,
        });
    }
    Ok(())
}

/// `1.2 MB`, `350 KB`, `12 B`.
pub fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_binary_gives_same_zip() {
        let bin = b"\x7fELF pretend binary".repeat(1000);
        let a = function_zip(&bin).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = function_zip(&bin).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, function_zip(b"other").unwrap());
    }

    #[test]
    fn zip_holds_bootstrap_0755_at_a_fixed_time() {
        let z = function_zip(b"hello").unwrap();
        let mut r = zip::ZipArchive::new(Cursor::new(z)).unwrap();
        assert_eq!(r.len(), 1);
        let f = r.by_index(0).unwrap();
        assert_eq!(f.name().unwrap(), "bootstrap");
        assert_eq!(f.unix_mode().unwrap() & 0o777, 0o755);
        assert_eq!(f.compression(), CompressionMethod::Deflated);
        let t = f.last_modified().unwrap();
        assert_eq!(
            (t.year(), t.month(), t.day(), t.hour(), t.minute()),
            (1980, 1, 1, 0, 0)
        );
    }

    #[test]
    fn folder_zip_is_sorted_and_stable() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b/c")).unwrap();
        std::fs::write(d.path().join("z.txt"), "z").unwrap();
        std::fs::write(d.path().join("b/c/a.txt"), "a").unwrap();
        let (z1, size) = folder_zip(d.path()).unwrap();
        assert_eq!(size, 2);
        let (z2, _) = folder_zip(d.path()).unwrap();
        assert_eq!(z1, z2);
        let r = zip::ZipArchive::new(Cursor::new(z1)).unwrap();
        let names: Vec<String> = r.file_names().map(|n| n.unwrap().into_owned()).collect();
        assert_eq!(names, vec!["b/c/a.txt", "z.txt"]);
    }

    #[test]
    fn limits_name_the_figures() {
        let e = check_limits("f", MAX_ZIPPED + 1, 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("50.0 MB"), "{e}");
        let e = check_limits("f", 10, MAX_UNZIPPED + 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("250.0 MB"), "{e}");
        assert!(check_limits("f", 10, 10).is_ok());
    }
}
