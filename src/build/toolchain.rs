//! The cross-compiling toolchain: Rust targets, zig and cargo-zigbuild.
//! Each missing piece is a clear error that names the command installing it.
//! The versions are pinned in `scripts/versions.env`, which the setup and
//! CodeBuild scripts read; a test keeps these constants equal to it.

use std::path::Path;
use std::process::Command;

/// The zig version ferry is tested with (PyPI package `ziglang`).
pub const ZIG_VERSION: &str = "0.15.2";
/// The cargo-zigbuild version ferry is tested with.
pub const ZIGBUILD_VERSION: &str = "0.22.3";

/// A piece of the toolchain that is missing, with the command installing it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the Rust target `{0}` is not installed: run `rustup target add {0}`")]
    TargetMissing(String),
    #[error("cannot run rustc: {0}")]
    Rustc(#[source] std::io::Error),
    #[error(
        "cargo-zigbuild is not installed: run `pip install cargo-zigbuild=={ZIGBUILD_VERSION}` or `cargo install cargo-zigbuild --version {ZIGBUILD_VERSION} --locked` (scripts/setup does it)"
    )]
    ZigbuildMissing,
    #[error(
        "zig is not installed: run `pip install ziglang=={ZIG_VERSION}` (scripts/setup does it)"
    )]
    ZigMissing,
}

/// Checks that the Rust standard library for `triple` is installed.
pub fn check_target(triple: &str) -> Result<(), Error> {
    let missing = || Error::TargetMissing(triple.to_string());
    let out = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", triple])
        .output()
        .map_err(Error::Rustc)?;
    if !out.status.success() {
        return Err(missing());
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let has_core = std::fs::read_dir(Path::new(&dir))
        .map(|entries| {
            entries.flatten().any(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.starts_with("libcore-") && n.ends_with(".rlib")
            })
        })
        .unwrap_or(false);
    if has_core { Ok(()) } else { Err(missing()) }
}

fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// True when an executable named `name` is on PATH (no process started:
/// this runs on every build).
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| is_executable(&d.join(name))))
        .unwrap_or(false)
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Checks for cargo-zigbuild and for zig (on PATH, in
/// `CARGO_ZIGBUILD_ZIG_PATH`, or as the `ziglang` Python package), as
/// cargo-zigbuild looks for them.
pub fn check_zig() -> Result<(), Error> {
    if !on_path("cargo-zigbuild") {
        return Err(Error::ZigbuildMissing);
    }
    let zig_ok = std::env::var_os("CARGO_ZIGBUILD_ZIG_PATH").is_some()
        || on_path("zig")
        || runs("python3", &["-m", "ziglang", "version"]);
    if !zig_ok {
        return Err(Error::ZigMissing);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pins_match_scripts_versions_env() {
        let env =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/versions.env"))
                .unwrap();
        let get = |k: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("{k} missing"))
                .to_string()
        };
        assert_eq!(get("ZIG_VERSION"), super::ZIG_VERSION);
        assert_eq!(get("ZIGBUILD_VERSION"), super::ZIGBUILD_VERSION);
    }
}
