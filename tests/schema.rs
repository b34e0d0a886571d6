//! The JSON Schema that `ferry schema` prints is a valid draft 2020-12
//! schema, accepts every good manifest of the corpus (and the examples),
//! and rejects misspelled keys, as the validator does. Checked with the
//! `jsonschema` Python package of `.venv` (PyYAML comes with cfn-lint);
//! `scripts/setup` installs both.

use std::path::{Path, PathBuf};
use std::process::Command;

const CHECK: &str = r#"
import glob, json, sys
import yaml
from jsonschema import Draft202012Validator

schema_path, good_dir, examples_dir, scratch = sys.argv[1:5]
schema = json.load(open(schema_path))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)

def errors(doc):
    return sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))

def show(e):
    return f"{e.message} at /{'/'.join(map(str, e.absolute_path))}"

good = sorted(glob.glob(good_dir + "/*.yaml")) + sorted(glob.glob(examples_dir + "/*/ferry.yaml"))
assert good, f"no good manifests under {good_dir}"
failed = []
for path in good:
    with open(path) as f:
        errs = errors(yaml.safe_load(f))
    if errs:
        failed.append(f"{path}: " + "; ".join(show(e) for e in errs[:3]))
assert not failed, "the schema rejects good manifests:\n" + "\n".join(failed)

# The same manifest with each key spelled right passes, misspelled fails.
base = "app: demo\nregion: us-east-1\nfunctions:\n  api:\n    memory: 512\n"
assert not errors(yaml.safe_load(base)), [show(e) for e in errors(yaml.safe_load(base))]
for right, wrong in [("memory:", "memroy:"), ("region:", "regoin:"), ("functions:", "funtions:")]:
    text = base.replace(right, wrong)
    with open(f"{scratch}/{wrong[:-1]}.yaml", "w") as f:
        f.write(text)
    errs = errors(yaml.safe_load(text))
    assert errs, f"the schema accepts the misspelled key `{wrong[:-1]}`:\n{text}"
    assert any(wrong[:-1] in e.message for e in errs), \
        f"no error names `{wrong[:-1]}`: " + "; ".join(show(e) for e in errs)

print(f"schema ok: {len(good)} good manifests pass, misspelled keys fail")
"#;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's python; a clear failure, not a skip, when it is missing.
fn venv_python() -> PathBuf {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup (it installs jsonschema and PyYAML into .venv)",
        python.display()
    );
    python
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

#[test]
fn schema_is_valid_accepts_good_manifests_and_rejects_misspelled_keys() {
    let python = venv_python();
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .arg("schema")
        .output()
        .expect("ferry runs");
    assert!(
        out.status.success(),
        "ferry schema failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("ferry.schema.json");
    write(&schema, &out.stdout);
    let script = dir.path().join("check_schema.py");
    write(&script, CHECK.as_bytes());

    let root = repo();
    let out = Command::new(&python)
        .arg(&script)
        .arg(&schema)
        .arg(root.join("tests/manifests/good"))
        .arg(root.join("examples"))
        .arg(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schema check failed:\n{stdout}{stderr}"
    );
    println!("{stdout}");
}

/// docs/manifest.md is what `ferry schema --format markdown` prints today.
/// `FERRY_UPDATE_DOCS=1 cargo test --test schema` rewrites it.
#[test]
fn the_reference_page_is_current() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["schema", "--format", "markdown"])
        .output()
        .expect("ferry runs");
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).expect("utf-8");
    let path = repo().join("docs/manifest.md");
    if std::env::var_os("FERRY_UPDATE_DOCS").is_some() {
        write(&path, generated.as_bytes());
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/manifest.md is not current: run `FERRY_UPDATE_DOCS=1 cargo test --test schema`"
    );
    // Every declared key appears in it.
    for key in [
        "memory",
        "batch_window",
        "deletion_protection",
        "max_receives",
    ] {
        assert!(generated.contains(&format!("| `{key}`")), "{key} missing");
    }
}
