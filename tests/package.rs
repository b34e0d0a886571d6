//! `ferry package` against a moto server: every code location and nested
//! template the written template names exists in the bucket, a second run
//! uploads nothing (the stored SHA-256 checksums match) but what was
//! replaced, and the stage's template configuration is written, with its
//! stack policy and without `no_echo` values.

mod common;

use common::*;

fn exists(moto: &Moto, bucket: &str, key: &str) -> bool {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-I"])
        // moto tells services apart by the signature's scope.
        .args(["-H", "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"])
        .arg(format!("http://127.0.0.1:{}/{bucket}/{key}", moto.port))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout) == "200"
}

fn bucket(moto: &Moto, dir: &std::path::Path) -> String {
    let out = ferry_at(moto, dir, &["--output", "json", "bootstrap"]);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["bucket"].as_str().unwrap().to_string()
}

/// Every `{S3Bucket, S3Key}` in a template.
fn code_locations(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(b), Some(k)) = (
                m.get("S3Bucket").and_then(|b| b.as_str()),
                m.get("S3Key").and_then(|k| k.as_str()),
            ) {
                out.push((b.to_string(), k.to_string()));
            }
            m.values().for_each(|c| code_locations(c, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|c| code_locations(c, out)),
        _ => {}
    }
}

#[test]
fn package_uploads_what_the_template_names_once() {
    let moto = Moto::start();
    let dir = app_dir(
        "app: shop\nparameters:\n  Level: { default: info }\n  ApiKey: { default: dev-secret, no_echo: true }\nstages:\n  prod: { parameters: { Level: warn, ApiKey: prod-secret }, tags: { team: shop } }\ntables:\n  orders: { partition_key: id }\nlayers:\n  conf: { path: conf }\nfunctions:\n  api: { layers: [conf] }\n  worker: {}\n",
    );
    let b = bucket(&moto, dir.path());
    let out = ferry_at(
        &moto,
        dir.path(),
        &[
            "--output",
            "json",
            "package",
            "--no-build",
            "--bucket",
            &b,
            "--prefix",
            "ci/",
            "-o",
            "out",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let first: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first["uploaded"], 3, "two zips and a layer");

    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/template.json")).unwrap(),
    )
    .unwrap();
    let mut locs = Vec::new();
    code_locations(&t, &mut locs);
    assert_eq!(locs.len(), 3);
    for (bucket, key) in &locs {
        assert_eq!(bucket, &b);
        assert!(key.starts_with("ci/shop/"), "{key}");
        assert!(exists(&moto, bucket, key), "{key} is not in the bucket");
    }
    assert!(
        t["Parameters"].get("ArtifactBucket").is_none(),
        "code locations are filled in"
    );

    let again = ferry_at(
        &moto,
        dir.path(),
        &[
            "--output",
            "json",
            "package",
            "--no-build",
            "--bucket",
            &b,
            "--prefix",
            "ci",
            "-o",
            "out",
        ],
    );
    let second: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(second["uploaded"], 0, "a second run uploads nothing");

    // Something else under a zip's key (no checksum, other bytes): the
    // checksum differs, so the zip is uploaded again.
    let (_, key) = &locs[0];
    let put = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--data", "not a zip"])
        .args(["-H", "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"])
        .arg(format!("http://127.0.0.1:{}/{b}/{key}", moto.port))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&put.stdout), "200");
    let third = ferry_at(
        &moto,
        dir.path(),
        &[
            "--output",
            "json",
            "package",
            "--no-build",
            "--bucket",
            &b,
            "--prefix",
            "ci",
            "-o",
            "out",
        ],
    );
    let third: serde_json::Value = serde_json::from_slice(&third.stdout).unwrap();
    assert_eq!(
        third["uploaded"], 1,
        "the replaced object is uploaded again"
    );

    let out = ferry_at(
        &moto,
        dir.path(),
        &[
            "package",
            "--no-build",
            "-s",
            "prod",
            "--bucket",
            &b,
            "--pipeline-boundary",
            "-o",
            "out",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let body = std::fs::read_to_string(dir.path().join("out/prod.config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(config["Parameters"]["Level"], "warn");
    assert_eq!(config["Tags"]["team"], "shop");
    assert_eq!(config["Tags"]["ferry:stage"], "prod");

    // A no_echo value is in neither file.
    let template = std::fs::read_to_string(dir.path().join("out/template.json")).unwrap();
    assert!(config["Parameters"].get("ApiKey").is_none(), "{body}");
    for file in [&body, &template] {
        assert!(!file.contains("prod-secret") && !file.contains("dev-secret"));
    }

    // The stack policy refuses to replace or delete what holds data.
    let statements = config["StackPolicy"]["Statement"].as_array().unwrap();
    let deny = statements
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a Deny statement");
    assert_eq!(
        deny["Action"],
        serde_json::json!(["Update:Replace", "Update:Delete"])
    );
    let guarded: Vec<&str> = deny["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for id in ["OrdersTable", "ApiLogGroup", "WorkerLogGroup"] {
        assert!(
            guarded.contains(&format!("LogicalResourceId/{id}").as_str()),
            "{guarded:?}"
        );
    }
    assert!(
        !guarded.iter().any(|g| g.ends_with("Function")),
        "{guarded:?}"
    );

    // With --pipeline-boundary, every role carries the pipeline's boundary.
    let t: serde_json::Value = serde_json::from_str(&template).unwrap();
    let roles: Vec<&serde_json::Value> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::IAM::Role")
        .collect();
    assert_eq!(roles.len(), 2);
    for r in roles {
        assert_eq!(
            r["Properties"]["PermissionsBoundary"]["Fn::Sub"],
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/shop-prod-boundary"
        );
    }
}

#[test]
fn nested_templates_of_a_large_app_are_uploaded_and_referenced() {
    let moto = Moto::start();
    let dir = app_dir(&ferry::fixtures::app(60));
    let b = bucket(&moto, dir.path());
    let out = ferry_at(
        &moto,
        dir.path(),
        &[
            "--output",
            "json",
            "package",
            "--no-build",
            "--bucket",
            &b,
            "-o",
            "out",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["nested"].as_u64().unwrap() >= 2, "{v}");
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/template.json")).unwrap(),
    )
    .unwrap();
    let mut urls = 0;
    for r in t["Resources"].as_object().unwrap().values() {
        if r["Type"] == "AWS::CloudFormation::Stack" {
            let url = r["Properties"]["TemplateURL"].as_str().unwrap();
            let key = url
                .split_once(&format!("/{b}/"))
                .map(|(_, k)| k)
                .unwrap_or_else(|| panic!("{url}"));
            assert!(exists(&moto, &b, key), "{url} is not in the bucket");
            urls += 1;
        }
    }
    assert!(urls >= 2);
}
