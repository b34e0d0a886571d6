//! `ferry deploy --hotswap`, drift and `ferry watch` against a moto server.
//!
//! moto ignores the `AWS::Lambda::Alias` of a CloudFormation template (see
//! `deploy.rs`), so each test creates the `live` alias through moto's
//! Lambda API after the first deploy, as Lambda would have it; everything
//! else (UpdateFunctionCode, GetFunctionConfiguration, PublishVersion,
//! UpdateAlias, the stack and its templates) is moto's.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const APP: &str = "app: shop
tables:
  orders: { partition_key: id, deletion_protection: false }
functions:
  api:
    environment: { TABLE: \"${tables.orders.name}\" }
    access: { tables: { orders: read_write } }
  worker:
    timeout: 10s
";

/// The `live` alias of each function, as Lambda has it after a deploy.
fn create_aliases(moto: &Moto, functions: &[&str]) {
    for f in functions {
        boto3(
            moto,
            &format!(
                "import boto3; boto3.client('lambda').create_alias(FunctionName='{f}', Name='live', FunctionVersion='$LATEST')"
            ),
        );
    }
}

/// The version the alias points to, and that version's CodeSha256.
fn alias_code(moto: &Moto, function: &str) -> (String, String) {
    let out = boto3(
        moto,
        &format!(
            "import boto3\nl = boto3.client('lambda')\nv = l.get_alias(FunctionName='{function}', Name='live')['FunctionVersion']\nprint(v, l.get_function(FunctionName='{function}', Qualifier=v)['Configuration']['CodeSha256'])"
        ),
    );
    let (v, sha) = out.split_once(' ').unwrap();
    (v.to_string(), sha.to_string())
}

fn zip_sha_base64(dir: &std::path::Path, function: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let bytes = std::fs::read(dir.join(format!(".ferry/build/{function}.zip"))).unwrap();
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&bytes))
}

fn change_sets(moto: &Moto) -> String {
    boto3(
        moto,
        "import boto3; print(len(boto3.client('cloudformation').list_change_sets(StackName='shop-dev')['Summaries']))",
    )
}

fn deployed(moto: &Moto, manifest: &str) -> tempfile::TempDir {
    let dir = app_dir(manifest);
    let out = ferry_at(moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    create_aliases(moto, &["shop-dev-api", "shop-dev-worker"]);
    dir
}

fn rebuilt(dir: &std::path::Path, seed: &[u8]) {
    let app = ferry::manifest::load(&dir.join("ferry.yaml"), "dev").unwrap();
    write_artifacts(&app, seed);
}

#[test]
fn a_code_only_change_is_hotswapped_without_a_change_set() {
    let moto = Moto::start();
    let dir = deployed(&moto, APP);
    let before = change_sets(&moto);
    rebuilt(dir.path(), b"new code");

    let out = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--no-build", "--hotswap", "--yes"],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("hotswapped api ("), "{t}");
    assert!(t.contains("hotswapped worker ("), "{t}");
    assert!(!t.contains("Creating change set"), "{t}");
    assert_eq!(change_sets(&moto), before, "no change set was created");
    for f in ["api", "worker"] {
        let (version, sha) = alias_code(&moto, &format!("shop-dev-{f}"));
        assert_ne!(
            version, "$LATEST",
            "{f}: the alias moved to a published version"
        );
        assert_eq!(sha, zip_sha_base64(dir.path(), f), "{f}");
    }

    // Nothing changed since: nothing to do.
    let again = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--no-build", "--hotswap", "--yes"],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("No changes."), "{}", text(&again));
}

#[test]
fn an_environment_change_takes_the_change_set_path() {
    let moto = Moto::start();
    let dir = deployed(&moto, APP);
    std::fs::write(
        dir.path().join("ferry.yaml"),
        APP.replace(
            "timeout: 10s",
            "timeout: 10s\n    environment: { MODE: fast }",
        ),
    )
    .unwrap();
    rebuilt(dir.path(), b"new code");
    let out = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--no-build", "--hotswap", "--yes"],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Not a code-only change"), "{t}");
    assert!(t.contains("WorkerFunction changes"), "{t}");
    assert!(t.contains("Creating change set"), "{t}");
    assert!(t.contains("UPDATE_COMPLETE"), "{t}");
    assert!(!t.contains("hotswapped"), "{t}");
    let env = boto3(
        &moto,
        "import boto3; print(boto3.client('lambda').get_function_configuration(FunctionName='shop-dev-worker')['Environment']['Variables']['MODE'])",
    );
    assert_eq!(env, "fast");
}

#[test]
fn diff_shows_the_drift_and_a_plain_deploy_clears_it() {
    let moto = Moto::start();
    let dir = deployed(&moto, APP);
    rebuilt(dir.path(), b"new code");
    let out = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--no-build", "--hotswap", "--yes"],
    );
    assert!(out.status.success(), "{}", text(&out));

    let diff = ferry_at(&moto, dir.path(), &["diff"]);
    let t = text(&diff);
    assert!(diff.status.success(), "{t}");
    assert!(t.contains("Drift   ApiFunction"), "{t}");
    assert!(t.contains("drift (hotswapped)"), "{t}");
    assert!(t.contains("2 drift (hotswapped)"), "{t}");

    let info = ferry_at(&moto, dir.path(), &["info"]);
    assert!(info.status.success(), "{}", text(&info));
    assert!(text(&info).contains("(hotswapped)"), "{}", text(&info));

    let (version, _) = alias_code(&moto, "shop-dev-api");
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(!t.contains("DATA LOSS"), "{t}");
    // The running code is the same after the stack caught up.
    let sha = boto3(
        &moto,
        "import boto3; print(boto3.client('lambda').get_function_configuration(FunctionName='shop-dev-api')['CodeSha256'])",
    );
    assert_eq!(sha, zip_sha_base64(dir.path(), "api"));
    assert!(!version.is_empty());
    let diff = ferry_at(&moto, dir.path(), &["diff"]);
    assert!(
        !text(&diff).contains("drift (hotswapped)"),
        "{}",
        text(&diff)
    );
    let info = ferry_at(&moto, dir.path(), &["info"]);
    assert!(!text(&info).contains("(hotswapped)"), "{}", text(&info));
}

#[test]
fn a_protected_stage_refuses_hotswap_and_watch() {
    let moto = Moto::start();
    let manifest = format!("{APP}stages:\n  dev: {{ protected: true }}\n");
    let dir = app_dir(&manifest);
    let out = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--no-build", "--hotswap", "--yes"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("stage dev is protected: hotswap is refused"),
        "{}",
        text(&out)
    );
    let out = ferry_at(&moto, dir.path(), &["watch"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("stage dev is protected: watch is refused"),
        "{}",
        text(&out)
    );
    // Nothing was deployed.
    let outputs = ferry_at(&moto, dir.path(), &["outputs"]);
    assert!(
        text(&outputs).contains("does not exist"),
        "{}",
        text(&outputs)
    );
}

/// The output of a running `ferry watch`, line by line.
struct Watching {
    child: std::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watching {
    fn wait_for(&self, needle: &str, after: usize, limit: Duration) -> usize {
        let started = Instant::now();
        loop {
            {
                let lines = self.lines.lock().unwrap();
                if let Some(i) = lines.iter().skip(after).position(|l| l.contains(needle)) {
                    return after + i + 1;
                }
            }
            assert!(
                started.elapsed() < limit,
                "no `{needle}` in:\n{}",
                self.lines.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn watch_rebuilds_and_hotswaps_an_edited_handler() {
    let moto = Moto::start();
    // A real workspace (lambda_runtime functions), copied so it can be
    // edited; its cargo output is shared with tests/build.rs.
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("tests/fixtures/build-app");
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        "ferry.yaml",
        "hello",
        "greet",
        "multi",
    ] {
        copy_tree(&src.join(entry), &dir.path().join(entry));
    }
    let target = repo().join("target/fixtures");
    let ferry = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ferry"));
        c.args(args)
            .arg("--endpoint-url")
            .arg(moto.endpoint())
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", &target)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null());
        c
    };
    let out = ferry(&["deploy", "--yes"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    boto3(
        &moto,
        "import boto3\nfor f in ['build-test-dev-hello', 'build-test-dev-greet']:\n  boto3.client('lambda').create_alias(FunctionName=f, Name='live', FunctionVersion='$LATEST')",
    );

    let mut child = ferry(&["watch", "hello"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(stream).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(l);
            }
        });
    }
    let w = Watching { child, lines };
    let at = w.wait_for("Up to date", 0, Duration::from_secs(300));

    // Edit the handler: the next build differs, and only hello is swapped.
    let main = dir.path().join("hello/src/main.rs");
    let code = std::fs::read_to_string(&main).unwrap();
    assert!(code.contains("\"hello, {name}\""));
    std::fs::write(&main, code.replace("\"hello, {name}\"", "\"hi, {name}\"")).unwrap();
    w.wait_for("hotswapped hello (", at, Duration::from_secs(300));
    let (_, sha) = alias_code(&moto, "build-test-dev-hello");
    assert_eq!(sha, zip_sha_base64(dir.path(), "hello"));
    assert!(
        !w.lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("hotswapped greet")),
        "greet was not touched"
    );

    // Ctrl-C stops it cleanly.
    let mut child = w.child;
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        w.lines.lock().unwrap().join("\n")
    );
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_name() == "target" || e.file_name() == ".ferry" {
                continue;
            }
            copy_tree(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}
