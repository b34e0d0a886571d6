//! `ferry deploy` and the stack lifecycle against a moto server (the local
//! AWS emulator, installed by `scripts/setup`). Paths that moto does not
//! model (replacement flags, nested change sets, rollback states, failure
//! events) are tested with recorded responses in `deploy_recorded.rs`.
//! moto also ignores `AWS::Lambda::Alias`, so event source mappings, which
//! target the alias, are left out of the app deployed here.

mod common;

use common::*;

const APP: &str = "app: shop
tables:
  orders: { partition_key: id }
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
