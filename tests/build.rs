//! `ferry build` on a real workspace of two lambda_runtime functions: one
//! for arm64 on provided.al2023, one for x86_64 on provided.al2023, both
//! cross-compiled with cargo-zigbuild (which `scripts/setup` installs).
//!
//! The fixture's cargo output goes to `target/fixtures` so that reruns are
//! incremental; `.ferry/build` is removed to prove zips are reproducible.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferry::build::elf;
use ferry::manifest::model::Architecture;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build-app")
}

fn ferry(args: &[&str], manifest: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .arg("-f")
        .arg(manifest)
        .env(
            "CARGO_TARGET_DIR",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fixtures"),
        )
        .output()
        .unwrap()
}

fn bootstrap_of(zip_path: &Path) -> (Vec<u8>, u32) {
    let mut z = zip::ZipArchive::new(Cursor::new(std::fs::read(zip_path).unwrap())).unwrap();
    assert_eq!(z.len(), 1, "one entry");
    let mut f = z.by_name("bootstrap").unwrap();
    let mode = f.unix_mode().unwrap() & 0o777;
    let mut bytes = Vec::new();
    std::io::copy(&mut f, &mut bytes).unwrap();
    (bytes, mode)
}

#[test]
fn builds_both_architectures_verifies_them_and_zips_reproducibly() {
    let manifest = fixture().join("ferry.yaml");
    let _ = std::fs::remove_dir_all(fixture().join(".ferry"));
    let out = ferry(&["--output", "json", "build"], &manifest);
    assert!(
        out.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    for (name, arch, glibc) in [
        ("hello", Architecture::Arm64, (2, 34)),
        ("greet", Architecture::X86_64, (2, 34)),
    ] {
        let a = &first["functions"][name];
        assert_eq!(a["architecture"], arch.id());
        let zip = fixture().join(a["path"].as_str().unwrap());
        assert_eq!(
            a["sha256"].as_str().unwrap(),
            ferry::build::archive::sha256_hex(&std::fs::read(&zip).unwrap())
        );
        let (bin, mode) = bootstrap_of(&zip);
        assert_eq!(mode, 0o755);
        let info = elf::inspect(&bin).unwrap();
        assert_eq!(info.machine, Some(arch), "{name}");
        let ((major, minor, _), sym) = info.max_glibc.expect("dynamically linked against glibc");
        assert!(
            (major, minor) <= glibc,
            "{name} needs GLIBC {major}.{minor} ({sym})"
        );
    }

    // A clean rebuild (zips removed) gives the same bytes.
    std::fs::remove_dir_all(fixture().join(".ferry")).unwrap();
    let out = ferry(&["--output", "json", "build"], &manifest);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first, second);

    // Building one function builds only that one.
    let out = ferry(&["--output", "json", "build", "greet"], &manifest);
    assert!(out.status.success());
    let only: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        only["functions"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["greet"]
    );
}

fn manifest_in(dir: &Path, text: &str) -> PathBuf {
    // Beside the fixture workspace, so `cargo metadata` finds it.
    let p = dir.join(format!(
        "ferry-{}.yaml",
        ferry::names::short_hash(text.as_bytes(), 8)
    ));
    std::fs::write(&p, text).unwrap();
    p
}

fn json_errors(out: &Output) -> Vec<serde_json::Value> {
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_missing_package_points_at_the_function() {
    let m = manifest_in(&fixture(), "app: b\nfunctions:\n  nope: {}\n");
    let d = json_errors(&ferry(&["--output", "json", "build"], &m));
    std::fs::remove_file(&m).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["path"], "functions.nope.crate");
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("no package `nope`")
    );
}

#[test]
fn several_binaries_without_bin_is_an_error_listing_them() {
    let m = manifest_in(&fixture(), "app: b\nfunctions:\n  multi: {}\n");
    let d = json_errors(&ferry(&["--output", "json", "build"], &m));
    std::fs::remove_file(&m).unwrap();
    assert_eq!(d[0]["path"], "functions.multi.crate");
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("several binaries (first, second)"),
        "{}",
        d[0]
    );
}

#[test]
fn a_bin_that_does_not_exist_lists_the_ones_that_do() {
    let m = manifest_in(&fixture(), "app: b\nfunctions:\n  multi: { bin: third }\n");
    let d = json_errors(&ferry(&["--output", "json", "build"], &m));
    std::fs::remove_file(&m).unwrap();
    assert_eq!(d[0]["path"], "functions.multi.bin");
    assert_eq!(d[0]["hint"], "its binaries are: first, second");
}

#[test]
fn a_missing_rust_target_names_the_rustup_command() {
    let e = ferry::build::toolchain::check_target("riscv64gc-unknown-linux-gnu")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("rustup target add riscv64gc-unknown-linux-gnu"),
        "{e}"
    );
    ferry::build::toolchain::check_target("x86_64-unknown-linux-gnu").unwrap();
}

#[test]
fn missing_zig_tools_name_the_install_command() {
    // A PATH with cargo and rustc only.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["cargo", "rustc"] {
        let real = String::from_utf8(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        std::os::unix::fs::symlink(real.trim(), bin.path().join(tool)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["build", "-f"])
        .arg(fixture().join("ferry.yaml"))
        .env("PATH", bin.path())
        .env_remove("CARGO_ZIGBUILD_ZIG_PATH")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cargo-zigbuild is not installed")
            && err.contains("pip install cargo-zigbuild=="),
        "{err}"
    );
}

#[test]
fn an_unknown_function_name_is_an_error() {
    let out = ferry(&["build", "helo"], &fixture().join("ferry.yaml"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `hello`?"));
}

#[test]
fn the_workspace_is_found_from_a_manifest_in_the_current_folder() {
    // `-f <file>` with no folder part, as in `cd app && ferry build`: the
    // workspace is read (the missing package is reported, which needs it).
    let m = manifest_in(&fixture(), "app: b\nfunctions:\n  not-here: {}\n");
    let name = m.file_name().unwrap().to_str().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["--output", "json", "build", "-f", &name])
        .current_dir(fixture())
        .output()
        .unwrap();
    std::fs::remove_file(&m).unwrap();
    let d = json_errors(&out);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("no package `not-here`"),
        "{d:?}"
    );
}
