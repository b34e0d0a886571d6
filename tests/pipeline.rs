//! `ferry pipeline init`: for every combination of options, `pipeline.yaml`
//! passes cfn-lint with no errors and checkov's IAM checks, has the stages
//! CodePipeline needs, and no role allows `Action: "*"`; `buildspec.yml` is
//! YAML with the phases CodeBuild runs, a `ferry package` per stage, and
//! installs only the pins of `scripts/versions.env`. A small evaluator of
//! IAM statements shows what each stage's deploy role can and cannot do.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const APP: &str = "app: shop\ntables:\n  orders: { partition_key: id }\nfunctions:\n  api:\n    access: { tables: { orders: read } }\n    triggers: [ { http: GET /orders } ]\n";

/// An app with every kind of resource a deploy role deals with: an HTTP
/// API, a function URL, provisioned concurrency with scaling, gradual
/// deployment, alarms, a VPC function, triggers of every push and poll
/// kind, and a state machine.
const RICH_APP: &str = "app: shop\ntables:\n  orders: { partition_key: id, stream: new_image }\nqueues:\n  jobs: {}\ntopics:\n  events: {}\nbuckets:\n  uploads: {}\nfunctions:\n  api:\n    access: { tables: { orders: read } }\n    triggers: [ { http: GET /orders }, { url: { auth: iam } } ]\n    concurrency: { reserved: 5, provisioned: { min: 1, max: 4 } }\n    deployment: { strategy: canary10-5m }\n    alarms: { errors: 1 }\n    vpc: { subnets: [subnet-0123456789abcdef0], security_groups: [sg-0123456789abcdef0] }\n  worker:\n    triggers: [ { queue: jobs }, { topic: events }, { bucket: uploads }, { stream: { table: orders } }, { schedule: rate(1 hour) } ]\nstate_machines:\n  flow:\n    definition: { StartAt: A, States: { A: { Type: Pass, End: true } } }\n";

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
                for stage in stages.split(',') {
                    let id = format!("DeployRole{}", pascal(stage));
                    let deploy = serde_json::to_string(&t["Resources"][&id]).unwrap();
                    assert!(
                        deploy.contains("dynamodb:CreateTable")
                            && deploy.contains("lambda:CreateFunction")
                            && deploy.contains("apigateway:POST"),
                        "{deploy}"
                    );
                    assert!(
                        !deploy.contains("sqs:"),
                        "only the services the app uses: {deploy}"
                    );
                    assert!(
                        !deploy.contains("\"dynamodb:*\"") && !deploy.contains("\"iam:*\""),
                        "no service-wide grants: {deploy}"
                    );
                }
                let changesets = serde_json::to_string(pipeline).unwrap();
                assert!(!changesets.contains("CAPABILITY_AUTO_EXPAND"));
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
    // And the pipeline of an app with every kind of resource.
    let rich = root.path().join("rich");
    std::fs::create_dir_all(&rich).unwrap();
    std::fs::write(rich.join("ferry.yaml"), RICH_APP).unwrap();
    let out = init(&rich, &["--stages", "dev,prod", "--approval"]);
    assert!(out.status.success(), "{}", text(&out));
    templates.push(rich.join("pipeline.yaml"));
    let errors = common::cfn_lint_errors(&templates);
    assert!(errors.is_empty(), "{errors:#?}");
    // checkov's IAM checks, once over all thirteen.
    let (failed, passed) = common::checkov_iam_failures(root.path());
    assert!(
        failed.is_empty(),
        "checkov IAM findings:\n{}",
        failed.join("\n")
    );
    assert!(
        passed >= 12 * 10,
        "checkov checked too little: {passed} passed"
    );
}

fn pascal(s: &str) -> String {
    ferry::names::pascal(s)
}

/// The buildspec installs exactly the pins of scripts/versions.env.
#[test]
fn the_buildspec_installs_only_the_pins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.yaml"), APP).unwrap();
    assert!(init(dir.path(), &["--stages", "dev,prod"]).status.success());
    let spec = std::fs::read_to_string(dir.path().join("buildspec.yml")).unwrap();
    let env = std::fs::read_to_string(repo().join("scripts/versions.env")).unwrap();
    let pin = |k: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} is not in scripts/versions.env"))
            .trim_matches('"')
            .to_string()
    };
    for k in [
        "RUSTUP_VERSION",
        "RUSTUP_INIT_SHA256",
        "RUST_TOOLCHAIN",
        "ZIG_VERSION",
        "ZIGBUILD_VERSION",
        "ZIGLANG_WHEEL_SHA256",
        "ZIGBUILD_WHEEL_SHA256",
        "RUST_TARGETS",
    ] {
        assert!(
            spec.contains(&pin(k)),
            "{k} is not in the buildspec:\n{spec}"
        );
    }
    // ferry under the name of this repository's package, at this version.
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(manifest.contains(&format!("name = \"{}\"", pin("FERRY_PACKAGE"))));
    let install = "cargo install \"$FERRY_PACKAGE\" --version \"=$FERRY_VERSION\" --locked";
    assert!(spec.contains(install), "{spec}");
    assert!(spec.contains(&format!("FERRY_PACKAGE: \"{}\"", pin("FERRY_PACKAGE"))));
    assert!(spec.contains(&format!("FERRY_VERSION: \"{}\"", env!("CARGO_PKG_VERSION"))));
    assert!(spec.contains("sha256sum -c"));
    assert!(spec.contains("--require-hashes"));
    assert!(spec.contains("--default-toolchain \"$RUST_TOOLCHAIN\""));
    assert!(
        !spec.contains("sh.rustup.rs") && !spec.contains("| sh ") && !spec.contains("| bash"),
        "nothing downloaded is piped into a shell"
    );
    assert!(spec.contains("--pipeline-boundary"));
}

// ---- a small evaluator of IAM policy statements ----

/// `Fn::Sub` strings with these values; other strings as they are.
fn resolve(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => {
            let s = m["Fn::Sub"].as_str().expect("Fn::Sub of a string");
            Value::String(
                s.replace("${AWS::Partition}", "aws")
                    .replace("${AWS::Region}", "eu-west-1")
                    .replace("${AWS::AccountId}", "111111111111")
                    .replace(
                        "${ArtifactBucket.Arn}",
                        "arn:aws:s3:::shop-pipeline-artifacts",
                    ),
            )
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` one.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((b'?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        serde_json::Value::String(s) => vec![s.clone()],
        _ => vec![],
    }
}

/// The condition block against the request's context keys. Operators
/// used by ferry: StringEquals, StringNotEquals, StringLike, ArnLike.
fn conditions_hold(c: &serde_json::Value, context: &[(&str, &str)]) -> bool {
    let Some(ops) = c.as_object() else {
        return true;
    };
    ops.iter().all(|(op, keys)| {
        keys.as_object().unwrap().iter().all(|(key, want)| {
            let want = strings(want);
            let got = context
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| *v);
            match (op.as_str(), got) {
                ("StringEquals", Some(g)) => want.iter().any(|w| w == g),
                ("StringNotEquals", Some(g)) => want.iter().all(|w| w != g),
                ("StringNotEquals", None) => true,
                ("StringLike" | "ArnLike", Some(g)) => want.iter().any(|w| glob(w, g)),
                // One value in the context; none makes the condition hold.
                ("ForAllValues:StringEquals", Some(g)) => want.iter().any(|w| w == g),
                ("ForAllValues:StringEquals", None) => true,
                ("StringEquals" | "StringLike" | "ArnLike", None) => false,
                (other, _) => panic!("the evaluator does not know {other}"),
            }
        })
    })
}

fn matches(st: &serde_json::Value, action: &str, resource: &str, context: &[(&str, &str)]) -> bool {
    let action = action.to_ascii_lowercase();
    strings(&st["Action"])
        .iter()
        .any(|a| glob(&a.to_ascii_lowercase(), &action))
        && strings(&st["Resource"]).iter().any(|r| glob(r, resource))
        && conditions_hold(&st["Condition"], context)
}

/// Whether the policy allows the request: an Allow matches and no Deny.
fn allows(
    policy: &serde_json::Value,
    action: &str,
    resource: &str,
    context: &[(&str, &str)],
) -> bool {
    let statements = policy["Statement"].as_array().unwrap();
    let by = |effect: &str| {
        statements
            .iter()
            .filter(|s| s["Effect"] == effect)
            .any(|s| matches(s, action, resource, context))
    };
    by("Allow") && !by("Deny")
}

#[test]
fn deploy_roles_are_confined_to_their_stage() {
    let app = RICH_APP;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.yaml"), app).unwrap();
    let out = init(dir.path(), &["--stages", "dev,prod", "--approval"]);
    assert!(out.status.success(), "{}", text(&out));
    let t = resolve(&as_json(&dir.path().join("pipeline.yaml")));
    let policy = |stage: &str| {
        t["Resources"][format!("DeployRole{}", pascal(stage))]["Properties"]["Policies"][0]
            ["PolicyDocument"]
            .clone()
    };
    let (dev, prod) = (policy("dev"), policy("prod"));
    let boundary = |stage: &str| format!("arn:aws:iam::111111111111:policy/shop-{stage}-boundary");
    let role = |name: &str| format!("arn:aws:iam::111111111111:role/{name}");
    let with_boundary = |stage: &str| boundary(stage);
    let pb = with_boundary("prod");
    let prod_boundary = [("iam:PermissionsBoundary", pb.as_str())];

    // What the prod role must be able to do.
    assert!(allows(
        &prod,
        "iam:CreateRole",
        &role("shop-prod-ApiRole-1AB2"),
        &prod_boundary
    ));
    assert!(allows(
        &prod,
        "iam:PassRole",
        &role("shop-prod-ApiRole-1AB2"),
        &[("iam:PassedToService", "lambda.amazonaws.com")]
    ));
    assert!(allows(
        &prod,
        "dynamodb:CreateTable",
        "arn:aws:dynamodb:eu-west-1:111111111111:table/shop-prod-orders",
        &[]
    ));
    assert!(allows(
        &prod,
        "lambda:UpdateFunctionCode",
        "arn:aws:lambda:eu-west-1:111111111111:function:shop-prod-api",
        &[]
    ));
    assert!(allows(
        &prod,
        "states:CreateStateMachine",
        "arn:aws:states:eu-west-1:111111111111:stateMachine:shop-prod-flow",
        &[]
    ));

    // No role outside the prefix, none without the boundary, no other boundary.
    assert!(!allows(
        &prod,
        "iam:CreateRole",
        &role("admin"),
        &prod_boundary
    ));
    assert!(!allows(
        &prod,
        "iam:CreateRole",
        &role("shop-dev-ApiRole-1AB2"),
        &prod_boundary
    ));
    assert!(!allows(
        &prod,
        "iam:CreateRole",
        &role("shop-prod-ApiRole-1AB2"),
        &[]
    ));
    let other = boundary("dev");
    assert!(!allows(
        &prod,
        "iam:CreateRole",
        &role("shop-prod-x"),
        &[("iam:PermissionsBoundary", other.as_str())]
    ));
    assert!(!allows(
        &prod,
        "iam:PutRolePolicy",
        &role("shop-prod-x"),
        &[]
    ));
    assert!(!allows(
        &prod,
        "iam:AttachRolePolicy",
        &role("shop-prod-x"),
        &[(
            "iam:PolicyARN",
            "arn:aws:iam::aws:policy/AdministratorAccess"
        )]
    ));
    assert!(!allows(
        &prod,
        "iam:DeleteRolePermissionsBoundary",
        &role("shop-prod-x"),
        &[]
    ));
    assert!(!allows(
        &prod,
        "iam:CreatePolicyVersion",
        &boundary("prod"),
        &[]
    ));
    for action in [
        "iam:CreateUser",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
    ] {
        assert!(
            !allows(
                &prod,
                action,
                "arn:aws:iam::111111111111:user/shop-prod-x",
                &[]
            ),
            "{action}"
        );
    }
    assert!(!allows(
        &prod,
        "iam:PassRole",
        &role("shop-prod-x"),
        &[("iam:PassedToService", "ec2.amazonaws.com")]
    ));
    assert!(!allows(
        &prod,
        "iam:PassRole",
        &role("admin"),
        &[("iam:PassedToService", "lambda.amazonaws.com")]
    ));

    // Another app's table, and prod from dev.
    for verb in [
        "dynamodb:DeleteTable",
        "dynamodb:UpdateTable",
        "dynamodb:CreateTable",
    ] {
        assert!(
            !allows(
                &prod,
                verb,
                "arn:aws:dynamodb:eu-west-1:111111111111:table/billing-prod-invoices",
                &[]
            ),
            "{verb}"
        );
        assert!(
            !allows(
                &dev,
                verb,
                "arn:aws:dynamodb:eu-west-1:111111111111:table/shop-prod-orders",
                &[]
            ),
            "{verb}"
        );
    }
    assert!(allows(
        &dev,
        "dynamodb:DeleteTable",
        "arn:aws:dynamodb:eu-west-1:111111111111:table/shop-dev-orders",
        &[]
    ));
    assert!(!allows(
        &dev,
        "lambda:UpdateFunctionCode",
        "arn:aws:lambda:eu-west-1:111111111111:function:shop-prod-api",
        &[]
    ));
    assert!(!allows(
        &dev,
        "sqs:DeleteQueue",
        "arn:aws:sqs:eu-west-1:111111111111:shop-prod-jobs",
        &[]
    ));
    assert!(!allows(
        &dev,
        "iam:CreateRole",
        &role("shop-prod-x"),
        &[("iam:PermissionsBoundary", pb.as_str())]
    ));
    assert!(!allows(
        &dev,
        "iam:PassRole",
        &role("shop-prod-ApiRole-1AB2"),
        &[("iam:PassedToService", "lambda.amazonaws.com")]
    ));
    assert!(!allows(
        &dev,
        "lambda:CreateEventSourceMapping",
        "*",
        &[(
            "lambda:FunctionArn",
            "arn:aws:lambda:eu-west-1:111111111111:function:shop-prod-worker"
        )]
    ));
    assert!(allows(
        &dev,
        "lambda:CreateEventSourceMapping",
        "*",
        &[(
            "lambda:FunctionArn",
            "arn:aws:lambda:eu-west-1:111111111111:function:shop-dev-worker"
        )]
    ));

    // `*` only for the actions AWS grants on nothing narrower.
    let on_star = [
        "lambda:CreateEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
        "lambda:DeleteEventSourceMapping",
        "lambda:GetEventSourceMapping",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:DescribeResourcePolicies",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DescribeScalingActivities",
        "application-autoscaling:DescribeScheduledActions",
        "cloudwatch:GetMetricData",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:DescribeNetworkInterfaces",
    ];
    for p in [&dev, &prod] {
        for st in p["Statement"].as_array().unwrap() {
            if st["Effect"] == "Allow"
                && strings(&st["Resource"])
                    .iter()
                    .any(|r| r.contains('*') && !r.contains(':'))
            {
                for a in strings(&st["Action"]) {
                    assert!(on_star.contains(&a.as_str()), "{a} on `*` in {st}");
                }
            }
        }
    }

    // The boundary itself: the stage's own resources only.
    let b = &t["Resources"]["PermissionsBoundaryProd"]["Properties"]["PolicyDocument"];
    assert!(allows(
        b,
        "dynamodb:GetItem",
        "arn:aws:dynamodb:eu-west-1:111111111111:table/shop-prod-orders",
        &[]
    ));
    assert!(!allows(
        b,
        "dynamodb:GetItem",
        "arn:aws:dynamodb:eu-west-1:111111111111:table/shop-dev-orders",
        &[]
    ));
    assert!(!allows(b, "iam:CreateRole", &role("shop-prod-x"), &[]));
    assert!(!allows(
        b,
        "s3:GetObject",
        "arn:aws:s3:::someone-elses-bucket/key",
        &[]
    ));
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

/// Every target is checked before any is written: an existing
/// `buildspec.yml` alone stops `pipeline init` before `pipeline.yaml` is
/// written, and the message names each existing file and `--force`.
#[test]
fn nothing_is_written_when_any_target_exists() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.yaml"), APP).unwrap();
    std::fs::write(dir.path().join("buildspec.yml"), "mine\n").unwrap();
    let out = init(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains("buildspec.yml"), "{msg}");
    assert!(msg.contains("--force"), "{msg}");
    assert!(!dir.path().join("pipeline.yaml").exists(), "{msg}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("buildspec.yml")).unwrap(),
        "mine\n"
    );
    // Both existing: both named, in one message.
    std::fs::write(dir.path().join("pipeline.yaml"), "mine too\n").unwrap();
    let out = init(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let msg = text(&out);
    assert!(
        msg.contains("pipeline.yaml") && msg.contains("buildspec.yml"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pipeline.yaml")).unwrap(),
        "mine too\n"
    );
}

/// The deploy role allows every action that CloudFormation's handlers list
/// for reading and deleting the resource types an app uses (cfn-lint ships
/// those schemas): whatever the template says, CloudFormation reads each
/// resource after changing it and deletes what is removed.
#[test]
fn deploy_roles_cover_what_cloudformation_reads_and_deletes() {
    let app = RICH_APP;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.yaml"), app).unwrap();
    assert!(init(dir.path(), &["--stages", "dev"]).status.success());
    let synth = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["-q", "synth", "-o", "synth"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(synth.status.success(), "{}", text(&synth));
    let script = r#"
import fnmatch, glob, json, os, sys
import cfnlint
from cfnlint.decode import cfn_yaml
types = {r["Type"] for r in json.load(open(sys.argv[1]))["Resources"].values()}
doc = cfn_yaml.load(sys.argv[2])["Resources"]["DeployRoleDev"]["Properties"]["Policies"][0]["PolicyDocument"]
allowed = [a.lower() for s in doc["Statement"] if s["Effect"] == "Allow"
           for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
# Services ferry's templates never involve (keys, other storage).
ignored = ("kms:", "s3tables:", "firehose:", "elasticfilesystem:", "s3files:", "kinesis:")
seen = set()
root = os.path.join(os.path.dirname(cfnlint.__file__), "data/schemas/resources")
for f in glob.glob(os.path.join(root, "*.json")):
    try:
        schema = json.load(open(f))
    except ValueError:
        continue
    if schema.get("typeName") not in types or "handlers" not in schema:
        continue
    seen.add(schema["typeName"])
    for h in ("read", "delete"):
        for p in schema["handlers"].get(h, {}).get("permissions", []):
            if not p.startswith(ignored) and not any(fnmatch.fnmatchcase(p.lower(), a) for a in allowed):
                print(f"{schema['typeName']} {h}: {p}")
print(f"checked {len(seen)} of {len(types)} types", file=sys.stderr)
"#;
    let out = Command::new(venv_bin("python"))
        .args(["-c", script])
        .arg(dir.path().join("synth/template.json"))
        .arg(dir.path().join("pipeline.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let missing = String::from_utf8_lossy(&out.stdout);
    assert!(
        missing.trim().is_empty(),
        "the deploy role misses:\n{missing}"
    );
    // Every type of the template has a schema with handlers.
    let summary = String::from_utf8_lossy(&out.stderr);
    let counts: Vec<&str> = summary
        .split_whitespace()
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert!(
        counts.len() == 2 && counts[0] == counts[1] && counts[0] != "0",
        "{summary}"
    );
}

/// A custom domain in a hosted zone, secrets and a bus: what the deploy
/// role and the boundary allow stays with the stage's own names.
const DOMAIN_APP: &str = "app: shop\nbuses:\n  orders: {}\nsecrets:\n  key: { ssm: \"/shop/${stage}/key\" }\n  db: { secretsmanager: \"shop/${stage}/db\" }\nhttp:\n  domain: { name: \"${stage}.api.example.com\", zone: Z0123456789ABC }\nfunctions:\n  api:\n    triggers: [ { http: GET /orders } ]\n    access: { buses: { orders: put }, secrets: { key: read, db: read } }\n";

#[test]
fn a_custom_domain_and_secrets_are_allowed_for_their_stage_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ferry.yaml"), DOMAIN_APP).unwrap();
    let out = init(dir.path(), &["--stages", "dev,prod"]);
    assert!(out.status.success(), "{}", text(&out));
    let path = dir.path().join("pipeline.yaml");
    let errors = cfn_lint_errors(std::slice::from_ref(&path));
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
    let raw = as_json(&path);
    no_action_star(&raw["Resources"]);
    let t = resolve(&raw);
    let prod = &t["Resources"]["DeployRoleProd"]["Properties"]["Policies"][0]["PolicyDocument"];
    let api = |path: &str| format!("arn:aws:apigateway:eu-west-1::{path}");

    assert!(allows(prod, "apigateway:POST", &api("/domainnames"), &[]));
    for action in ["apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"] {
        assert!(allows(
            prod,
            action,
            &api("/domainnames/prod.api.example.com"),
            &[]
        ));
        assert!(!allows(
            prod,
            action,
            &api("/domainnames/dev.api.example.com"),
            &[]
        ));
        assert!(!allows(
            prod,
            action,
            &api("/domainnames/admin.example.com"),
            &[]
        ));
    }
    assert!(allows(
        prod,
        "apigateway:POST",
        &api("/domainnames/prod.api.example.com/apimappings"),
        &[]
    ));
    let zone = "arn:aws:route53:::hostedzone/Z0123456789ABC";
    assert!(allows(prod, "route53:ChangeResourceRecordSets", zone, &[]));
    assert!(!allows(
        prod,
        "route53:ChangeResourceRecordSets",
        "arn:aws:route53:::hostedzone/ZOTHER",
        &[]
    ));
    let cert = "arn:aws:acm:eu-west-1:111111111111:certificate/abc";
    assert!(allows(
        prod,
        "acm:RequestCertificate",
        "*",
        &[("acm:DomainNames", "prod.api.example.com")]
    ));
    assert!(!allows(
        prod,
        "acm:RequestCertificate",
        "*",
        &[("acm:DomainNames", "other.example.com")]
    ));
    assert!(allows(prod, "acm:DeleteCertificate", cert, &[]));
    assert!(!allows(
        prod,
        "acm:DeleteCertificate",
        "arn:aws:acm:eu-west-1:222222222222:certificate/abc",
        &[]
    ));
    assert!(allows(
        prod,
        "events:CreateEventBus",
        "arn:aws:events:eu-west-1:111111111111:event-bus/shop-prod-orders",
        &[]
    ));

    // The boundary lets the stage's functions read the stage's secrets,
    // decrypting only through SSM or Secrets Manager.
    let b = &t["Resources"]["PermissionsBoundaryProd"]["Properties"]["PolicyDocument"];
    let param = |p: &str| format!("arn:aws:ssm:eu-west-1:111111111111:parameter/{p}");
    assert!(allows(b, "ssm:GetParameter", &param("shop/prod/key"), &[]));
    assert!(!allows(b, "ssm:GetParameter", &param("shop/dev/key"), &[]));
    assert!(allows(
        b,
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/prod/db-AbCdEf",
        &[]
    ));
    assert!(!allows(
        b,
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/dev/db-AbCdEf",
        &[]
    ));
    let key = "arn:aws:kms:eu-west-1:111111111111:key/k";
    assert!(allows(
        b,
        "kms:Decrypt",
        key,
        &[("kms:ViaService", "ssm.eu-west-1.amazonaws.com")]
    ));
    assert!(!allows(b, "kms:Decrypt", key, &[]));
    assert!(!allows(
        b,
        "kms:Decrypt",
        key,
        &[("kms:ViaService", "s3.eu-west-1.amazonaws.com")]
    ));
}
