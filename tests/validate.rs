//! `ferry validate` over the manifest corpus in `tests/manifests`.
//!
//! Each file in `bad/` starts with `# expect:` lines, one per diagnostic:
//!
//! ```text
//! # expect: functions.a.timeout 5:14 must be between 1s and 900s
//! ```
//!
//! (key path, line:column, and a part of the message). The test runs the
//! real binary with `--output json`, requires exit code 1 and exactly the
//! expected diagnostics, no more. Files in `good/` must validate (exit 0).

use std::path::{Path, PathBuf};
use std::process::Command;

fn ferry() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
}

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/manifests")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[derive(Debug)]
struct Expect {
    path: String,
    line: u64,
    column: u64,
    message: String,
}

fn expectations(text: &str) -> Vec<Expect> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let path = parts.next().unwrap().to_string();
            let (line, column) = parts.next().unwrap().split_once(':').unwrap();
            Expect {
                path,
                line: line.parse().unwrap(),
                column: column.parse().unwrap(),
                message: parts.next().unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// `# stage: prod` picks the stage a case is validated for.
fn stage_of(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("# stage: "))
        .unwrap_or("dev")
        .trim()
        .to_string()
}

#[test]
fn good_manifests_validate() {
    let files = corpus("good");
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let out = ferry()
            .args(["validate", "-s", &stage_of(&text), "-f"])
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} should validate:\n{}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn bad_manifests_report_every_expected_error_and_nothing_else() {
    let files = corpus("bad");
    assert!(files.len() >= 2, "the bad corpus is too small");
    let mut failures = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let expected = expectations(&text);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            f.display()
        );
        let out = ferry()
            .args(["validate", "--output", "json", "-s", &stage_of(&text), "-f"])
            .arg(&f)
            .output()
            .unwrap();
        if out.status.code() != Some(1) {
            failures.push(format!(
                "{}: exit code {:?}, expected 1",
                f.display(),
                out.status.code()
            ));
            continue;
        }
        let got: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: stdout is not JSON ({e})", f.display()));
                continue;
            }
        };
        let got = got.as_array().unwrap();
        let shown: Vec<String> = got
            .iter()
            .map(|d| {
                format!(
                    "{} {}:{} {}",
                    d["path"].as_str().unwrap(),
                    d["line"],
                    d["column"],
                    d["message"].as_str().unwrap()
                )
            })
            .collect();
        for e in &expected {
            let hit = got.iter().any(|d| {
                d["path"] == e.path.as_str()
                    && d["line"] == e.line
                    && d["column"] == e.column
                    && d["message"].as_str().unwrap().contains(&e.message)
            });
            if !hit {
                failures.push(format!(
                    "{}: missing {:?}\n  got: {:#?}",
                    f.display(),
                    e,
                    shown
                ));
            }
        }
        if got.len() != expected.len() {
            failures.push(format!(
                "{}: expected {} diagnostics, got {}:\n  {}",
                f.display(),
                expected.len(),
                got.len(),
                shown.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn human_output_shows_file_line_column_path_and_hint() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests/bad/unknown-key.yaml");
    let out = ferry().arg("validate").arg("-f").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown-key.yaml:5:5"), "{err}");
    assert!(
        err.contains("functions.hello.memroy: unknown key `memroy`"),
        "{err}"
    );
    assert!(err.contains("did you mean `memory`?"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn manifest_is_found_upward_from_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.yaml"),
        "app: up\nfunctions:\n  a: {}\n",
    )
    .unwrap();
    let sub = dir.path().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let out = ferry().arg("validate").current_dir(&sub).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("up-dev"));
}

#[test]
fn missing_manifest_is_a_plain_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = ferry()
        .arg("validate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ferry.yaml"));
}

#[test]
fn usage_errors_exit_2() {
    let out = ferry()
        .args(["validate", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = ferry()
        .args(["--output", "xml", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn invalid_stage_name_is_an_error() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests/good/minimal.yaml");
    let out = ferry()
        .args(["validate", "-s", "Prod", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid stage name `Prod`"));
}

#[test]
fn json_success_is_an_empty_array() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests/good/minimal.yaml");
    let out = ferry()
        .args(["validate", "--output", "json", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!([]));
}
