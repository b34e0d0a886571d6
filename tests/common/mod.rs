//! Test helpers shared by the integration tests.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A program of the project's virtualenv (`scripts/setup` makes it).
pub fn venv_bin(name: &str) -> PathBuf {
    let p = repo().join(".venv/bin").join(name);
    assert!(p.exists(), "{} is missing: run scripts/setup", p.display());
    p
}

/// `.venv/bin/cfn-lint`, or the program named by `CFN_LINT`.
pub fn cfn_lint() -> PathBuf {
    match std::env::var_os("CFN_LINT") {
        Some(p) => PathBuf::from(p),
        None => venv_bin("cfn-lint"),
    }
}

/// The errors cfn-lint finds in `files` (warnings and notes left out), one
/// line each: file, line, rule and message.
pub fn cfn_lint_errors(files: &[PathBuf]) -> Vec<String> {
    let o = Command::new(cfn_lint())
        .args(["--format", "json", "--"])
        .args(files)
        .output()
        .unwrap();
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "cfn-lint output is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    found
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["Level"] == "Error")
        .map(|m| {
            format!(
                "{}:{} {} {}",
                m["Filename"].as_str().unwrap_or(""),
                m["Location"]["Start"]["LineNumber"],
                m["Rule"]["Id"].as_str().unwrap_or(""),
                m["Message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// `.tools/checkov/bin/checkov` (`scripts/setup` makes it), or the program
/// named by `CHECKOV`.
pub fn checkov() -> PathBuf {
    match std::env::var_os("CHECKOV") {
        Some(p) => PathBuf::from(p),
        None => {
            let p = repo().join(".tools/checkov/bin/checkov");
            assert!(p.exists(), "{} is missing: run scripts/setup", p.display());
            p
        }
    }
}

/// checkov's IAM checks for CloudFormation (as of checkov 3.3.30): no
/// policy attached to users, no public or cross-account trust, no `*`
/// actions or admin policies, no credentials exposure, data exfiltration,
/// unconstrained permissions management, privilege escalation or
/// unconstrained writes; and Lambda permissions for services limited by
/// source.
pub const CHECKOV_IAM_CHECKS: &str = "CKV_AWS_40,CKV_AWS_60,CKV_AWS_61,CKV_AWS_62,CKV_AWS_63,CKV_AWS_107,CKV_AWS_108,CKV_AWS_109,CKV_AWS_110,CKV_AWS_111,CKV2_AWS_68,CKV_AWS_364";

/// The failures of checkov's IAM checks on every template under `dir`
/// (one checkov run), one line each: check, resource, file; and how many
/// checks passed.
pub fn checkov_iam_failures(dir: &Path) -> (Vec<String>, usize) {
    let o = Command::new(checkov())
        .args([
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
        ])
        .args(["--check", CHECKOV_IAM_CHECKS, "-o", "json", "-d"])
        .arg(dir)
        .output()
        .unwrap();
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    // One report per framework, or the report alone.
    let reports: Vec<&serde_json::Value> = match &found {
        serde_json::Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut failed = Vec::new();
    let mut passed = 0;
    for r in reports {
        passed += r["summary"]["passed"].as_u64().unwrap_or(0) as usize;
        for c in r["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            failed.push(format!(
                "{} {} {}",
                c["check_id"].as_str().unwrap_or(""),
                c["resource"].as_str().unwrap_or(""),
                c["file_path"].as_str().unwrap_or("")
            ));
        }
    }
    (failed, passed)
}

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Lambda without Docker.
        let _ = Command::new("curl")
            .args([
                "-s",
                "-X",
                "POST",
                &format!("{}/moto-api/config", moto.endpoint()),
                "-d",
                r#"{"lambda": {"use_docker": false}}"#,
            ])
            .output();
        moto
    }

    /// `localhost`, not 127.0.0.1: moto resolves nested stack templates
    /// only from URLs naming localhost.
    pub fn endpoint(&self) -> String {
        format!("http://localhost:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the ferry binary against moto, with test credentials and no
/// terminal.
pub fn ferry_at(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .arg("--endpoint-url")
        .arg(moto.endpoint())
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An app folder with `ferry.yaml` and stand-in build artifacts (moto does
/// not run function code), for `deploy --no-build`.
pub fn app_dir(manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.yaml"), manifest).unwrap();
    // Layer folders named in the manifest.
    for line in manifest.lines() {
        if let Some(rest) = line.split("path: ").nth(1) {
            let folder = rest.trim_end_matches([' ', '}', ',']).trim();
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
            std::fs::write(dir.path().join(folder).join("settings.json"), "{}").unwrap();
        }
    }
    let app = ferry::manifest::load(&dir.path().join("ferry.yaml"), "dev")
        .unwrap_or_else(|e| panic!("{e:?}"));
    write_artifacts(&app, b"stand-in binary");
    dir
}

/// Writes `.ferry/build` for every function and layer of the app.
pub fn write_artifacts(app: &ferry::manifest::model::App, seed: &[u8]) {
    let build = app.root().join(".ferry/build");
    std::fs::create_dir_all(build.join("layers")).unwrap();
    let mut record = ferry::build::Record::default();
    for name in app.functions.keys() {
        let zip = ferry::build::archive::function_zip(&[seed, name.as_bytes()].concat()).unwrap();
        let rel = PathBuf::from(format!(".ferry/build/{name}.zip"));
        std::fs::write(app.root().join(&rel), &zip).unwrap();
        record.functions.insert(
            name.clone(),
            ferry::build::Artifact {
                path: rel,
                size: zip.len() as u64,
                sha256: ferry::build::archive::sha256_hex(&zip),
                architecture: Some("arm64".into()),
            },
        );
    }
    for name in app.layers.keys() {
        let zip = ferry::build::archive::zip_entries(vec![(
            "a.txt".into(),
            0o644,
            name.as_bytes().to_vec(),
        )])
        .unwrap();
        let rel = PathBuf::from(format!(".ferry/build/layers/{name}.zip"));
        std::fs::write(app.root().join(&rel), &zip).unwrap();
        record.layers.insert(
            name.clone(),
            ferry::build::Artifact {
                path: rel,
                size: zip.len() as u64,
                sha256: ferry::build::archive::sha256_hex(&zip),
                architecture: None,
            },
        );
    }
    std::fs::write(
        build.join("artifacts.json"),
        serde_json::to_vec_pretty(&record).unwrap(),
    )
    .unwrap();
}

/// Runs Python with boto3 (moto's dependency, in `.venv`) against moto;
/// returns what the script printed.
pub fn boto3(moto: &Moto, script: &str) -> String {
    let out = Command::new(venv_bin("python"))
        .args(["-c", script])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
