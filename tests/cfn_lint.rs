//! Every template ferry synthesizes in the tests passes `cfn-lint` with no
//! errors, and checkov's IAM checks: the good manifests, the test apps, the
//! examples, and a generated 300-function app (split into nested stacks).
//! `scripts/setup` installs cfn-lint into `.venv` and checkov into
//! `.tools/checkov`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The manifests to synthesize, with the stages to use.
fn manifests() -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    let mut push_dir = |dir: PathBuf, file_glob: bool| {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if file_glob && p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            } else if !file_glob && p.join("ferry.yaml").is_file() {
                out.push(p.join("ferry.yaml"));
            }
        }
    };
    push_dir(common::repo().join("tests/manifests/good"), true);
    push_dir(common::repo().join("tests/apps"), false);
    push_dir(common::repo().join("examples"), false);
    let mut with_stages = Vec::new();
    for p in out {
        let text = std::fs::read_to_string(&p).unwrap();
        let stage = if text.contains("# stage: prod") {
            "prod"
        } else {
            "dev"
        };
        with_stages.push((p.clone(), stage));
        if text.contains("\nstages:") && stage == "dev" {
            with_stages.push((p, "prod"));
        }
    }
    with_stages
}

fn synth_into(manifest: &Path, stage: &str, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["-q", "synth", "-s", stage, "-f"])
        .arg(manifest)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "synth {}: {}",
        manifest.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn templates_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn every_synthesized_template_passes_cfn_lint() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let list = manifests();
    assert!(list.len() >= 2, "no manifests found");
    for (i, (m, stage)) in list.iter().enumerate() {
        let out = tmp.path().join(format!("{i}-{stage}"));
        synth_into(m, stage, &out);
        files.extend(templates_in(&out));
    }
    let errors = common::cfn_lint_errors(&files);
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
    // Once over the whole folder: checkov starts slowly.
    let (failed, passed) = common::checkov_iam_failures(tmp.path());
    assert!(
        failed.is_empty(),
        "checkov IAM findings:\n{}",
        failed.join("\n")
    );
    assert!(passed > 100, "checkov checked too little: {passed} passed");
}

#[test]
fn a_300_function_app_splits_into_lint_clean_nested_stacks() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ferry.yaml");
    std::fs::write(&manifest, ferry::fixtures::app(300)).unwrap();
    let out = tmp.path().join("out");
    synth_into(&manifest, "dev", &out);
    let files = templates_in(&out);
    assert!(files.len() > 2, "expected nested stacks, got {files:?}");
    let errors = common::cfn_lint_errors(&files);
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
}

#[test]
fn a_grown_app_placed_as_deployed_passes_cfn_lint() {
    // 40 functions deployed unsplit, then 130: the first 40 stay in the
    // root, the rest go to nested stacks; every template must still lint.
    let load = |text: String| {
        ferry::manifest::load_str(
            Path::new("ferry.yaml"),
            &text,
            "dev",
            &ferry::manifest::Disk,
        )
        .unwrap()
    };
    let artifacts = ferry::synth::Artifacts::default();
    let first = ferry::synth::synth(&load(ferry::fixtures::grown(40, false, None)), &artifacts);
    let deployed = ferry::synth::split::placement_of(&first);
    let grown = ferry::synth::synth_placed(
        &load(ferry::fixtures::grown(130, true, Some(5))),
        &artifacts,
        &deployed,
    );
    assert!(!grown.nested.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let mut files = vec![tmp.path().join("template.json")];
    std::fs::write(&files[0], grown.root.to_json()).unwrap();
    for (id, t) in &grown.nested {
        let f = tmp.path().join(format!("{id}.json"));
        std::fs::write(&f, t.to_json()).unwrap();
        files.push(f);
    }
    let errors = common::cfn_lint_errors(&files);
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
}
