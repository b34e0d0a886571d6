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
//! `no_input_panics` feeds the validator, in-process, every prefix of every
//! good manifest, byte garbage and hostile YAML.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    assert!(files.len() >= 40, "the bad corpus is too small");
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
fn human_output_points_at_yaml_syntax_errors() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests/bad");
    for (file, place) in [
        (
            "yaml-unclosed-bracket.yaml",
            "yaml-unclosed-bracket.yaml:5:13",
        ),
        (
            "state-machine-definition-syntax-error.yaml",
            "broken.asl.yaml:3:11",
        ),
    ] {
        let out = ferry()
            .arg("validate")
            .arg("-f")
            .arg(bad.join(file))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(place), "{file}: {err}");
    }
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

/// Runs the validator in-process on `text`; `Err` names the panic.
/// Wildcards in `access.policies` validate, with a warning at each one; a
/// path below a named resource gets none.
#[test]
fn policy_wildcards_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("ferry.yaml");
    std::fs::write(
        &manifest,
        "app: shop\nfunctions:\n  api:\n    access:\n      policies:\n        - Effect: Allow\n          Action: [\"s3:*\", ssm:GetParameter]\n          Resource: \"*\"\n        - Effect: Allow\n          Action: ssm:GetParameter\n          Resource: arn:aws:ssm:us-east-1:123456789012:parameter/shop/*\n",
    )
    .unwrap();
    let out = ferry()
        .args(["validate", "-f"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(
        warnings[0].contains(":7:20: functions.api.access.policies[0].Action: "),
        "{err}"
    );
    assert!(
        warnings[1].contains(":8:21: functions.api.access.policies[0].Resource: "),
        "{err}"
    );
}

fn load_without_panic(path: &Path, text: &str) -> Result<(), String> {
    std::panic::catch_unwind(|| {
        let _ = ferry::manifest::load_str(path, text, "dev", &ferry::manifest::Disk);
    })
    .map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".to_string())
    })
}

/// Deterministic pseudo-random numbers (xorshift64).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Byte garbage, half of it drawn from the characters YAML gives meaning to
/// so that the parser gets past the first line; lossy UTF-8.
fn garbage(count: usize) -> Vec<(String, String)> {
    let yamlish = b"abcxyz019 :-?[]{},&*!|>'\"%@`#$.\n\n  \t\r";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|i| {
            let len = rng.below(2000);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if i % 2 == 0 {
                        rng.next() as u8
                    } else {
                        yamlish[rng.below(yamlish.len())]
                    }
                })
                .collect();
            (
                format!("garbage string #{i}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

/// YAML built to exhaust a parser: deep nesting, an alias bomb, huge lines.
fn hostile() -> Vec<(String, String)> {
    let mut laughs = "app: lol\nfunctions:\n  a: {}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    let long = "x".repeat(1 << 20);
    let deep = "app: deep\nfunctions:\n  a:\n    environment: ";
    [
        ("billion laughs", laughs),
        ("10000 nested `[`", "[".repeat(10_000)),
        (
            "10000 nested `{a: `",
            format!("{deep}{}", "{a: ".repeat(10_000)),
        ),
        (
            "10000 nested lists, closed",
            format!("{deep}{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        (
            "a 1 MB line",
            format!("app: long\nfunctions:\n  a:\n    description: {long}\n"),
        ),
        (
            "a 1 MB key",
            format!("app: long\nfunctions:\n  {long}: {{}}\n"),
        ),
        (
            "a 1 MB reference",
            format!("app: long\nfunctions:\n  a:\n    environment: {{ X: \"${{{long}\" }}\n"),
        ),
    ]
    .into_iter()
    .map(|(what, text)| (what.to_string(), text))
    .collect()
}

/// Whatever the input, validation returns `Ok` or `Err`, never panics:
/// every prefix of every good manifest (a file cut anywhere), byte garbage,
/// and YAML built to exhaust a parser. In-process, shared out over the
/// machine's cores.
#[test]
fn no_input_panics() {
    let good: Vec<(PathBuf, String)> = corpus("good")
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f, text)
        })
        .collect();
    assert!(!good.is_empty());
    let elsewhere = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests/ferry.yaml");
    let others: Vec<(String, String)> = hostile().into_iter().chain(garbage(200)).collect();

    // The slow cases first, then each good manifest cut at each char boundary.
    enum Job<'a> {
        Whole(&'a str, &'a str),
        Cut(&'a Path, &'a str, usize),
    }
    let jobs: Vec<Job> = others
        .iter()
        .map(|(what, text)| Job::Whole(what, text))
        .chain(good.iter().flat_map(|(f, text)| {
            (0..=text.len())
                .filter(|&cut| text.is_char_boundary(cut))
                .map(move |cut| Job::Cut(f, text, cut))
        }))
        .collect();

    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let failures: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut failed = Vec::new();
                    while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (outcome, what) = match job {
                            Job::Whole(what, text) => {
                                (load_without_panic(&elsewhere, text), what.to_string())
                            }
                            Job::Cut(f, text, cut) => (
                                load_without_panic(f, &text[..*cut]),
                                format!("{} cut to its first {cut} bytes", f.display()),
                            ),
                        };
                        if let Err(why) = outcome {
                            failed.push(format!("{what}: panicked: {why}"));
                        }
                    }
                    failed
                })
            })
            .collect();
        runs.into_iter().flat_map(|r| r.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
