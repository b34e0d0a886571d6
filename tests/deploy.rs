//! `ferry deploy` and the stack lifecycle against a moto server (the local
//! AWS emulator, installed by `scripts/setup`). Paths that moto does not
//! model (replacement flags, nested change sets, rollback states, failure
//! events) are tested with recorded responses in `deploy_recorded.rs`.
//! moto also ignores `AWS::Lambda::Alias`, so event source mappings, which
//! target the alias, are left out of the app deployed here.

mod common;

use common::*;

// `deletion_protection: false`: moto ignores `DeletionPolicy: Retain` and
// deletes a removed table, which deletion protection would refuse.
const APP: &str = "app: shop
tables:
  orders: { partition_key: id, deletion_protection: false }
queues:
  jobs: { visibility_timeout: 60s }
functions:
  api:
    memory: 256
    environment: { TABLE: \"${tables.orders.name}\" }
    access: { tables: { orders: read_write } }
  worker:
    timeout: 10s
    access: { queues: { jobs: consume } }
";

#[test]
fn first_deploy_creates_then_redeploy_changes_nothing() {
    let moto = Moto::start();
    let dir = app_dir(APP);
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Creating the ferry-bootstrap stack"), "{t}");
    assert!(t.contains("Uploading function api"), "{t}");
    assert!(t.contains("Add     OrdersTable"), "{t}");
    assert!(t.contains("to add, 0 to modify, 0 to remove"), "{t}");
    assert!(t.contains("Stack shop-dev is CREATE_COMPLETE"), "{t}");

    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("No changes."),
        "{t}"
    );
    assert!(
        !t.contains("Uploading"),
        "a no-change redeploy uploads nothing: {t}"
    );
    assert!(t.contains("nothing to upload"), "{t}");
}

#[test]
fn a_changed_setting_shows_a_modify_row_and_deploys() {
    let moto = Moto::start();
    let dir = app_dir(APP);
    assert!(
        ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"])
            .status
            .success()
    );
    std::fs::write(
        dir.path().join("ferry.yaml"),
        APP.replace("memory: 256", "memory: 512"),
    )
    .unwrap();

    let diff = ferry_at(&moto, dir.path(), &["diff", "--exit-code"]);
    assert_eq!(diff.status.code(), Some(3), "{}", text(&diff));
    assert!(
        String::from_utf8_lossy(&diff.stdout).contains("Modify  ApiFunction"),
        "{}",
        text(&diff)
    );

    let out = ferry_at(
        &moto,
        dir.path(),
        &["--output", "json", "deploy", "--no-build", "--yes"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "deployed");
    assert_eq!(v["stack"], "shop-dev");
    let modified: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "Modify")
        .map(|c| c["logical_id"].as_str().unwrap())
        .collect();
    assert!(modified.contains(&"ApiFunction"), "{v}");

    let diff = ferry_at(&moto, dir.path(), &["diff", "--exit-code"]);
    assert_eq!(diff.status.code(), Some(0), "{}", text(&diff));
}

#[test]
fn renaming_a_table_is_refused_as_data_loss_unless_allowed() {
    let moto = Moto::start();
    let dir = app_dir(APP);
    assert!(
        ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"])
            .status
            .success()
    );
    let renamed = APP
        .replace("orders:", "purchases:")
        .replace("tables.orders.name", "tables.purchases.name")
        .replace("{ orders: read_write }", "{ purchases: read_write }");
    std::fs::write(dir.path().join("ferry.yaml"), renamed).unwrap();

    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("DATA LOSS"), "{t}");
    assert!(
        t.contains("Remove OrdersTable (AWS::DynamoDB::Table)"),
        "{t}"
    );
    assert!(t.contains("--allow-data-loss"), "{t}");

    // Nothing changed, and no change set was left behind.
    let again = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--no-build", "--yes", "--allow-data-loss"],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("UPDATE_COMPLETE"), "{}", text(&again));
}

#[test]
fn no_terminal_and_no_yes_fails_fast() {
    let moto = Moto::start();
    let dir = app_dir(APP);
    let started = std::time::Instant::now();
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no terminal to confirm on: pass --yes"),
        "{}",
        text(&out)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // The change set was deleted and the empty stack removed: the next
    // deploy creates it from scratch.
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    assert!(text(&out).contains("CREATE_COMPLETE"), "{}", text(&out));
}

#[test]
fn no_execute_keeps_the_change_set() {
    let moto = Moto::start();
    let dir = app_dir(APP);
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--no-execute"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Change set kept for review: "),
        "{}",
        text(&out)
    );
}

#[test]
fn a_role_that_does_not_exist_is_refused_before_any_change() {
    let moto = Moto::start();
    let dir = app_dir(
        "app: shop\nfunctions:\n  api:\n    role: arn:aws:iam::123456789012:role/missing\n",
    );
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("the role arn:aws:iam::123456789012:role/missing does not exist"),
        "{}",
        text(&out)
    );
}

#[test]
fn destroy_removes_the_stack_and_lists_retained_tables() {
    let moto = Moto::start();
    let dir = app_dir(APP);
    assert!(
        ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"])
            .status
            .success()
    );
    let out = ferry_at(&moto, dir.path(), &["destroy"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "destroy without --yes and no terminal"
    );
    let out = ferry_at(&moto, dir.path(), &["destroy", "--yes"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Deleted stack shop-dev"), "{t}");
    assert!(
        t.contains("OrdersTable"),
        "the retained table is listed: {t}"
    );
    let out = ferry_at(&moto, dir.path(), &["outputs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
}

#[test]
fn bootstrap_is_idempotent() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let first = ferry_at(&moto, dir.path(), &["--output", "json", "bootstrap"]);
    assert!(first.status.success(), "{}", text(&first));
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(v["status"], "CREATE_COMPLETE");
    assert!(!v["bucket"].as_str().unwrap().is_empty());
    let second = ferry_at(&moto, dir.path(), &["bootstrap"]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("up to date"), "{}", text(&second));
}

/// The growth fixture without its HTTP routes: moto cannot create the
/// permissions of a route (they name the alias, which moto ignores).
fn grown_for_moto(n: usize, second_user: bool, removed: Option<usize>) -> String {
    ferry::fixtures::grown(n, second_user, removed)
        .lines()
        .filter(|l| !l.contains("http: POST"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn an_app_grown_from_40_to_130_functions_keeps_its_data() {
    let moto = Moto::start();
    let dir = app_dir(&grown_for_moto(40, false, None));
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    boto3(
        &moto,
        "import boto3; boto3.client('dynamodb').put_item(TableName='grow-dev-t3', Item={'id': {'S': 'kept'}})",
    );
    for (n, second_user, removed) in [
        (60, false, None),
        (130, false, None),
        (130, true, None),
        (130, true, Some(5)),
    ] {
        let manifest = grown_for_moto(n, second_user, removed);
        std::fs::write(dir.path().join("ferry.yaml"), &manifest).unwrap();
        let app = ferry::manifest::load(&dir.path().join("ferry.yaml"), "dev").unwrap();
        write_artifacts(&app, b"stand-in binary");
        let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
        let t = text(&out);
        assert!(out.status.success(), "{n} functions: {t}");
        assert!(!t.contains("DATA LOSS"), "{n} functions: {t}");
    }
    // The item written at 40 functions is still there, in the same table.
    let item = boto3(
        &moto,
        "import boto3; print(boto3.client('dynamodb').get_item(TableName='grow-dev-t3', Key={'id': {'S': 'kept'}}).get('Item'))",
    );
    assert!(item.contains("kept"), "{item}");
    // 130 tables, t3 still in the root where it was created; the root was
    // full of the first functions, so new ones went to nested stacks.
    let resources = boto3(
        &moto,
        "import boto3\ncf = boto3.client('cloudformation')\np = cf.get_paginator('list_stack_resources')\nlist_ = lambda s: [x for page in p.paginate(StackName=s) for x in page['StackResourceSummaries']]\nroot = list_('grow-dev')\nnested = [x for x in root if x['ResourceType'] == 'AWS::CloudFormation::Stack']\ninner = [y for n in nested for y in list_(n['PhysicalResourceId'])]\ntables = [x for x in root + inner if x['ResourceType'] == 'AWS::DynamoDB::Table']\nprint(len(tables), len(nested), any(x['LogicalResourceId'] == 'T3Table' for x in root))",
    );
    let v: Vec<&str> = resources.split(' ').collect();
    assert_eq!(v[0], "130", "tables: {resources}");
    assert!(
        v[1].parse::<usize>().unwrap() >= 1,
        "nested stacks: {resources}"
    );
    assert_eq!(v[2], "True", "t3 stays in the root: {resources}");
}

#[test]
fn a_bootstrap_stack_left_in_review_in_progress_does_not_block_deploy() {
    let moto = Moto::start();
    // A first bootstrap interrupted after its change set was created.
    boto3(
        &moto,
        "import boto3; boto3.client('cloudformation').create_change_set(StackName='ferry-bootstrap', ChangeSetName='interrupted', ChangeSetType='CREATE', TemplateBody='{\"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\"}}}')",
    );
    let status = boto3(
        &moto,
        "import boto3; print(boto3.client('cloudformation').describe_stacks(StackName='ferry-bootstrap')['Stacks'][0]['StackStatus'])",
    );
    assert_eq!(status, "REVIEW_IN_PROGRESS");
    let dir = app_dir(APP);
    let started = std::time::Instant::now();
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Creating the ferry-bootstrap stack"), "{t}");
    assert!(t.contains("Stack shop-dev is CREATE_COMPLETE"), "{t}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn destroy_refuses_a_table_it_would_delete_while_protected() {
    let moto = Moto::start();
    let dir = app_dir(
        "app: shop\ntables:\n  scratch: { partition_key: id, retain: false }\nfunctions:\n  api: {}\n",
    );
    assert!(
        ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"])
            .status
            .success()
    );
    let out = ferry_at(&moto, dir.path(), &["destroy", "--yes"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("deletion protection"), "{t}");
    assert!(t.contains("ScratchTable"), "{t}");
    assert!(t.contains("nothing was changed"), "{t}");
    // The stack is still there.
    assert!(ferry_at(&moto, dir.path(), &["outputs"]).status.success());
}

#[test]
fn an_app_with_a_route_redeploys_on_the_emulator() {
    // moto cannot list the resources of a stack holding a route's
    // permission (it answers 500): reading where resources are must not
    // need that list for a stack without nested stacks.
    let moto = Moto::start();
    let dir = app_dir("app: web\nfunctions:\n  api:\n    triggers: [ { http: GET /hello } ]\n");
    let first = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    assert!(first.status.success(), "{}", text(&first));
    let again = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    assert!(again.status.success(), "{}", text(&again));
}

// ---- buses, secrets, per-stage account and protection ----
//
// moto models neither `AWS::ApiGatewayV2::DomainName` nor ACM certificates
// through CloudFormation, so `http.domain` is checked with cfn-lint
// (`cfn_lint.rs`, on `tests/manifests/good/products-api.yaml`) and the
// template rules (`synth_rules.rs`), not deployed here.

const BUS_APP: &str = "app: shop
buses:
  orders: {}
secrets:
  key: { ssm: /shop/key }
  db: { secretsmanager: shop/db }
stages:
  prod: { account: \"111111111111\" }
  live: { protected: true }
functions:
  publisher:
    environment: { BUS: \"${buses.orders.name}\", KEY: \"${secrets.key.name}\" }
    access: { buses: { orders: put }, secrets: { key: read, db: read } }
    async: { on_success: { bus: orders } }
  audit:
    triggers:
      - event: { bus: orders, pattern: { source: [shop.orders] } }
";

/// `ferry secrets set NAME` with `value` on standard input.
fn secrets_set(
    moto: &Moto,
    dir: &std::path::Path,
    name: &str,
    value: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["secrets", "set", name, "--endpoint-url", &moto.endpoint()])
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{value}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn an_app_with_a_bus_deploys_and_info_names_it() {
    let moto = Moto::start();
    let dir = app_dir(BUS_APP);
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Add     OrdersBus"), "{t}");
    let buses = boto3(
        &moto,
        "import boto3; print(sorted(b['Name'] for b in boto3.client('events').list_event_buses()['EventBuses']))",
    );
    assert!(buses.contains("'shop-dev-orders'"), "{buses}");
    // moto ignores `AWS::Lambda::Alias`, which the rule on the bus
    // targets, and creates no rule: the rule's bus and target are checked
    // in `synth_rules.rs`.
    let info = ferry_at(&moto, dir.path(), &["--output", "json", "info"]);
    assert!(info.status.success(), "{}", text(&info));
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let bus = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "bus")
        .unwrap_or_else(|| panic!("no bus in {v}"));
    assert_eq!(bus["name"], "orders");
    // moto answers 500 to ListStackResources of this stack (as of a stack
    // with a route), so the physical name may be unknown here; `info.rs`
    // checks it with recorded resources.
    assert!(
        bus["physical"].is_null() || bus["physical"] == "shop-dev-orders",
        "{bus}"
    );
}

#[test]
fn secrets_are_written_and_listed_without_their_values() {
    let moto = Moto::start();
    let dir = app_dir(BUS_APP);
    let value = "s3cr3t-value-never-printed";
    for (name, first) in [
        ("key", "Created"),
        ("db", "Created"),
        ("db", "Updated"),
        ("key", "Updated"),
    ] {
        let out = secrets_set(&moto, dir.path(), name, value);
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        assert!(t.contains(first), "{name}: {t}");
        assert!(!t.contains(value), "{t}");
    }
    let stored = boto3(
        &moto,
        "import boto3\nssm = boto3.client('ssm')\np = ssm.get_parameter(Name='/shop/key', WithDecryption=True)['Parameter']\nsm = boto3.client('secretsmanager').get_secret_value(SecretId='shop/db')['SecretString']\nprint(p['Type'], p['Value'], sm)",
    );
    assert_eq!(
        stored,
        format!("SecureString {value} {value}"),
        "one line end dropped, the rest kept"
    );
    let list = ferry_at(&moto, dir.path(), &["secrets", "list"]);
    let t = text(&list);
    assert!(list.status.success(), "{t}");
    assert!(t.contains("/shop/key") && t.contains("SecureString"), "{t}");
    assert!(t.contains("shop/db") && t.contains("secretsmanager"), "{t}");
    assert!(!t.contains(value), "{t}");
    let json = ferry_at(&moto, dir.path(), &["--output", "json", "secrets", "list"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|s| s["exists"] == true && s["last_changed"].is_string()),
        "{v}"
    );
    // An empty value is refused, and an unknown secret named.
    let empty = secrets_set(&moto, dir.path(), "key", "");
    assert_eq!(empty.status.code(), Some(1), "{}", text(&empty));
    let unknown = secrets_set(&moto, dir.path(), "keys", value);
    assert!(
        text(&unknown).contains("did you mean `key`?"),
        "{}",
        text(&unknown)
    );
}

#[test]
fn a_stage_bound_to_another_account_is_refused_before_any_change() {
    // moto's account is 123456789012; the stage is bound to 111111111111.
    let moto = Moto::start();
    let dir = app_dir(BUS_APP);
    for args in [
        &["deploy", "-s", "prod", "--no-build", "--yes"][..],
        &["deploy", "-s", "prod", "--no-build", "--yes", "--hotswap"],
        &["diff", "-s", "prod"],
        &["destroy", "-s", "prod", "--yes"],
        &[
            "package",
            "-s",
            "prod",
            "--no-build",
            "--bucket",
            "b",
            "-o",
            "out",
        ],
        &["bootstrap", "-s", "prod"],
    ] {
        let out = ferry_at(&moto, dir.path(), args);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {t}");
        assert!(
            t.contains("stage prod is bound to account 111111111111; these credentials are for 123456789012"),
            "{args:?}: {t}"
        );
    }
    // Nothing was created: no stack (not even the bootstrap stack), no
    // bucket, no package output.
    let left = boto3(
        &moto,
        "import boto3\nstacks = [s['StackName'] for s in boto3.client('cloudformation').list_stacks()['StackSummaries']]\nbuckets = [b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']]\nprint(stacks, buckets)",
    );
    assert_eq!(left, "[] []");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_protected_stage_needs_its_name_typed_back_to_destroy() {
    let moto = Moto::start();
    let dir = app_dir(BUS_APP);
    let deploy = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "-s", "live", "--no-build", "--yes"],
    );
    assert!(deploy.status.success(), "{}", text(&deploy));
    // No terminal, no --confirm-stage: refused, saying how.
    let out = ferry_at(&moto, dir.path(), &["destroy", "-s", "live", "--yes"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("stage live is protected"), "{t}");
    assert!(t.contains("--confirm-stage live"), "{t}");
    let wrong = ferry_at(
        &moto,
        dir.path(),
        &["destroy", "-s", "live", "--yes", "--confirm-stage", "dev"],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong).contains("`dev` is not the stage name `live`"),
        "{}",
        text(&wrong)
    );
    // The same for --allow-data-loss.
    let loss = ferry_at(
        &moto,
        dir.path(),
        &[
            "deploy",
            "-s",
            "live",
            "--no-build",
            "--yes",
            "--allow-data-loss",
        ],
    );
    assert_eq!(loss.status.code(), Some(1), "{}", text(&loss));
    assert!(text(&loss).contains("deploy --allow-data-loss needs the stage name typed back"));
    assert!(
        ferry_at(&moto, dir.path(), &["-s", "live", "outputs"])
            .status
            .success()
    );
    let ok = ferry_at(
        &moto,
        dir.path(),
        &["destroy", "-s", "live", "--yes", "--confirm-stage", "live"],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("Deleted stack shop-live"),
        "{}",
        text(&ok)
    );
}
