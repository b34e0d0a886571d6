//! `ferry pipeline init`: for every combination of options, `pipeline.yaml`
//! passes cfn-lint with no errors, has the stages CodePipeline needs, and no
//! role allows `Action: "*"`; `buildspec.yml` is YAML with the phases
//! CodeBuild runs and a `ferry package` per stage.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const APP: &str = "app: shop\ntables:\n  orders: { partition_key: id }\nfunctions:\n  api:\n    access: { tables: { orders: read } }\n    triggers: [ { http: GET /orders } ]\n";

fn init(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["pipeline", "init"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The template as JSON, read with cfn-lint's own YAML loader (it knows
/// `!Ref` and friends).
fn as_json(path: &Path) -> serde_json::Value {
    let out = Command::new(venv_bin("python"))
        .args(["-c", "import sys, json; from cfnlint.decode import cfn_yaml; print(json.dumps(cfn_yaml.load(sys.argv[1])))"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn no_action_star(v: &serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(a) = m.get("Action") {
                let all: Vec<&serde_json::Value> = match a {
                    serde_json::Value::Array(x) => x.iter().collect(),
                    other => vec![other],
                };
                assert!(all.iter().all(|x| *x != "*"), "Action \"*\" in {v}");
            }
            m.values().for_each(no_action_star);
        }
        serde_json::Value::Array(a) => a.iter().for_each(no_action_star),
        _ => {}
    }
}

#[test]
fn every_combination_is_lint_clean_with_the_expected_stages() {
    let root = tempfile::tempdir().unwrap();
    let mut templates = Vec::new();
    let mut n = 0;
    for stages in ["dev", "dev,prod"] {
        for approval in [false, true] {
            for source in ["codestar", "codecommit", "s3"] {
                n += 1;
                let dir = root.path().join(format!("c{n}"));
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("ferry.yaml"), APP).unwrap();
                let mut args = vec!["--stages", stages, "--source", source];
                if approval {
                    args.push("--approval");
                }
                let out = init(&dir, &args);
                assert!(out.status.success(), "{}", text(&out));

                let t = as_json(&dir.join("pipeline.yaml"));
                no_action_star(&t["Resources"]);
                let pipeline = &t["Resources"]["Pipeline"]["Properties"];
                assert_eq!(pipeline["PipelineType"], "V2");
                let names: Vec<&str> = pipeline["Stages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["Name"].as_str().unwrap())
                    .collect();
                let want: Vec<String> = ["Source".to_string(), "Build".to_string()]
                    .into_iter()
                    .chain(stages.split(',').map(|s| format!("Deploy-{s}")))
                    .collect();
                assert_eq!(names, want);
                let last = pipeline["Stages"].as_array().unwrap().last().unwrap();
                let actions: Vec<&str> = last["Actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["Name"].as_str().unwrap())
                    .collect();
                if approval {
                    assert_eq!(
                        actions,
                        vec!["Approve", "CreateChangeSet", "ExecuteChangeSet"]
                    );
                } else {
                    assert_eq!(actions, vec!["CreateChangeSet", "ExecuteChangeSet"]);
                }
                let deploy = serde_json::to_string(&t["Resources"]["DeployRole"]).unwrap();
                assert!(
                    deploy.contains("dynamodb:*")
                        && deploy.contains("lambda:*")
                        && deploy.contains("apigateway:*"),
                    "{deploy}"
                );
                assert!(
                    !deploy.contains("sqs:*"),
                    "only the services the app uses: {deploy}"
                );

                let spec: serde_json::Value = serde_saphyr::from_str(
                    &std::fs::read_to_string(dir.join("buildspec.yml")).unwrap(),
                )
                .unwrap();
                assert_eq!(spec["version"], 0.2);
                assert!(
                    !spec["phases"]["install"]["commands"]
                        .as_array()
                        .unwrap()
                        .is_empty()
                );
                let build: Vec<&str> = spec["phases"]["build"]["commands"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect();
                for s in stages.split(',') {
                    assert!(
                        build
                            .iter()
                            .any(|c| c.starts_with(&format!("ferry package -s {s} "))),
                        "{build:?}"
                    );
                }
                assert_eq!(spec["artifacts"]["base-directory"], "out");
                templates.push(dir.join("pipeline.yaml"));
            }
        }
    }
    let errors = common::cfn_lint_errors(&templates);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn existing_files_are_kept_without_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.yaml"), APP).unwrap();
    assert!(init(dir.path(), &[]).status.success());
    let again = init(dir.path(), &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("--force"));
    assert!(init(dir.path(), &["--force"]).status.success());
}
