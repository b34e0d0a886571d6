//! Every blueprint, rendered by `ferry init` into a temporary folder, is an
//! app that validates, synthesizes lint-clean CloudFormation, is formatted,
//! and passes its own `cargo test`. Every example equals the blueprint of
//! its name (`scripts/sync-examples` re-renders them). Cargo output goes to
//! `target/fixtures`, shared by all blueprints so that their common
//! dependencies compile once.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The blueprints, one test each; `the_list_is_complete` keeps it honest.
const BLUEPRINTS: [&str; 9] = [
    "async-destinations",
    "dynamodb-stream",
    "http-api",
    "products",
    "s3-processor",
    "scheduled",
    "sqs-worker",
    "step-functions",
    "wild-rydes",
];

fn ferry_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check_blueprint(name: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join(format!("my-{name}"));
    let out = ferry_in(
        tmp.path(),
        &["init", app.to_str().unwrap(), "--blueprint", name],
    );
    let printed = ok(&out, "ferry init");
    assert!(
        printed.contains(&format!("from blueprint `{name}`")),
        "{printed}"
    );
    assert!(printed.contains("next:"), "{printed}");
    let manifest = std::fs::read_to_string(app.join("ferry.yaml")).unwrap();
    assert!(
        manifest.contains(&format!("app: my-{name}")),
        "the app is named after its folder"
    );
    for f in ["README.md", "Cargo.toml", ".gitignore"] {
        assert!(app.join(f).is_file(), "{name}: no {f}");
    }
    assert!(
        std::fs::read_dir(app.join("events")).unwrap().count() > 0,
        "{name}: no sample events"
    );

    ok(&ferry_in(&app, &["validate"]), "ferry validate");
    let cfn = tmp.path().join("cfn");
    ok(
        &ferry_in(&app, &["synth", "-o", cfn.to_str().unwrap()]),
        "ferry synth",
    );
    let templates: Vec<PathBuf> = std::fs::read_dir(&cfn)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let errors = common::cfn_lint_errors(&templates);
    assert!(
        errors.is_empty(),
        "{name}: cfn-lint errors:\n{}",
        errors.join("\n")
    );

    let fmt = Command::new("cargo")
        .args(["fmt", "--check"])
        .current_dir(&app)
        .output()
        .unwrap();
    ok(&fmt, &format!("{name}: cargo fmt --check"));
    let test = Command::new("cargo")
        .args(["test", "--quiet"])
        .current_dir(&app)
        .env("CARGO_TARGET_DIR", common::repo().join("target/fixtures"))
        .output()
        .unwrap();
    let report = ok(&test, &format!("{name}: cargo test"));
    let passed: usize = report
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(passed >= 2, "{name}: only {passed} tests ran:\n{report}");

    // The `ferry local invoke` commands `ferry init` suggests work as printed.
    let invokes: Vec<&str> = printed
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("ferry local invoke "))
        .collect();
    assert!(
        !invokes.is_empty(),
        "{name}: init suggests no local invoke:\n{printed}"
    );
    for line in invokes {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(&args)
            .current_dir(&app)
            .env("CARGO_TARGET_DIR", common::repo().join("target/fixtures"))
            // No credentials: a function that calls AWS fails fast, as a
            // function error.
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap();
        if NEEDS_AWS.contains(&name) && out.status.code() == Some(1) {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
                panic!(
                    "{name}: `{line}` failed before the function ran:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            assert!(v["errorType"].is_string(), "{name}: {v}");
        } else {
            ok(&out, &format!("{name}: `{line}`"));
        }
    }
}

/// Blueprints whose suggested local invoke calls AWS (here: an endpoint
/// that refuses connections), so a function error is the expected result.
const NEEDS_AWS: [&str; 1] = ["s3-processor"];

macro_rules! blueprint_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_blueprint($name);
            }
        )*
    };
}

blueprint_tests! {
    blueprint_async_destinations => "async-destinations",
    blueprint_dynamodb_stream => "dynamodb-stream",
    blueprint_http_api => "http-api",
    blueprint_products => "products",
    blueprint_s3_processor => "s3-processor",
    blueprint_scheduled => "scheduled",
    blueprint_sqs_worker => "sqs-worker",
    blueprint_step_functions => "step-functions",
    blueprint_wild_rydes => "wild-rydes",
}

#[test]
fn the_list_is_complete_and_described() {
    let out = ferry_in(&common::repo(), &["--output", "json", "blueprints"]);
    let listed: serde_json::Value = serde_json::from_str(&ok(&out, "ferry blueprints")).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            assert!(!b["description"].as_str().unwrap().is_empty());
            b["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(names, BLUEPRINTS);
    let human = ok(
        &ferry_in(&common::repo(), &["blueprints"]),
        "ferry blueprints",
    );
    assert!(
        human
            .lines()
            .any(|l| l.starts_with("http-api") && l.ends_with("(default)")),
        "{human}"
    );
}

/// Files of an app folder, relative, without build output and lock files.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if ["target", ".ferry", "Cargo.lock"].contains(&name.as_str()) {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn every_example_is_its_blueprint_rendered() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(common::repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    examples.sort();
    assert!(
        examples.len() >= 3,
        "wild-rydes and at least two more examples"
    );
    for example in examples {
        let name = example.file_name().unwrap().to_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let rendered = tmp.path().join(name);
        let out = ferry_in(
            tmp.path(),
            &[
                "-q",
                "init",
                rendered.to_str().unwrap(),
                "--blueprint",
                name,
                "--app",
                name,
            ],
        );
        ok(&out, &format!("ferry init for example {name}"));
        let want = files(&rendered);
        let have = files(&example);
        assert_eq!(
            have, want,
            "examples/{name} and blueprint `{name}` have different files: run scripts/sync-examples"
        );
        for f in &want {
            assert!(
                std::fs::read(example.join(f)).unwrap() == std::fs::read(rendered.join(f)).unwrap(),
                "examples/{name}/{} differs from its blueprint: run scripts/sync-examples",
                f.display()
            );
        }
        assert!(
            example.join("Cargo.lock").is_file(),
            "examples/{name} has no Cargo.lock"
        );
    }
}

#[test]
fn init_refuses_what_it_should() {
    let tmp = tempfile::tempdir().unwrap();
    let busy = tmp.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();

    let out = ferry_in(tmp.path(), &["init", "busy"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("busy is not empty") && err.contains("--force"),
        "{err}"
    );
    assert!(!busy.join("ferry.yaml").exists(), "nothing written");

    let out = ferry_in(tmp.path(), &["init", "busy", "--force"]);
    ok(&out, "init --force");
    assert_eq!(
        std::fs::read_to_string(busy.join("notes.txt")).unwrap(),
        "mine",
        "other files kept"
    );
    assert!(busy.join("ferry.yaml").is_file());

    let out = ferry_in(tmp.path(), &["init", "Bad_Name"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid app name `Bad_Name`") && err.contains("--app"),
        "{err}"
    );
    ok(
        &ferry_in(tmp.path(), &["init", "Bad_Name", "--app", "good-name"]),
        "init --app",
    );

    let out = ferry_in(tmp.path(), &["init", "x", "--app", "-x"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "`-x` reads as a flag: a usage error"
    );
    let out = ferry_in(tmp.path(), &["init", "y", "--app", "9lives"]);
    assert_eq!(out.status.code(), Some(1));

    let out = ferry_in(tmp.path(), &["init", "z", "--blueprint", "sqs-wroker"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no blueprint `sqs-wroker`") && err.contains("did you mean `sqs-worker`?"),
        "{err}"
    );
    assert!(!tmp.path().join("z").exists());
    assert!(!err.contains("panicked"));
}
