//! Deploy paths that moto does not model, run against recorded responses
//! behind ferry's AWS traits: replacement flags, nested change sets, stacks
//! in ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED and *_IN_PROGRESS, failure
//! events and their root cause, the deletion of ferry's change set on every
//! error path, and the number of calls of a no-change redeploy.
//!
//! Each response below is what CloudFormation returns in that situation
//! (statuses, reasons and event order as documented and observed).

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet, VecDeque};

use ferry::aws::*;
use ferry::build::Record;
use ferry::deploy::{self, Outcome, Pending, Ui};
use ferry::manifest::model::App;

/// Recorded CloudFormation, S3, STS and IAM behind the traits.
#[derive(Default)]
struct Recorded {
    /// Successive answers of DescribeStacks for the app's stack (the last
    /// one repeats).
    app_stack: RefCell<VecDeque<Option<Stack>>>,
    /// The change set as CloudFormation describes it once created.
    change_set: RefCell<Option<ChangeSet>>,
    nested: RefCell<BTreeMap<String, ChangeSet>>,
    /// Stack statuses after ExecuteChangeSet.
    after_execute: RefCell<VecDeque<Option<Stack>>>,
    events: RefCell<Vec<StackEvent>>,
    executed: RefCell<bool>,
    calls: RefCell<Vec<String>>,
    created: RefCell<Vec<ChangeSetRequest>>,
    deleted_change_sets: RefCell<Vec<String>>,
    deleted_stacks: RefCell<Vec<String>>,
    objects: RefCell<HashSet<String>>,
    /// CreateChangeSet's failure, when it fails.
    create_error: RefCell<Option<AwsError>>,
}

fn stack(status: &str) -> Option<Stack> {
    Some(Stack {
        id: "arn:aws:cloudformation:us-east-1:123456789012:stack/shop-dev/1".into(),
        name: "shop-dev".into(),
        status: status.into(),
        status_reason: None,
        outputs: BTreeMap::from([(
            "ApiAliasArn".to_string(),
            "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-api:live".to_string(),
        )]),
    })
}

fn bootstrap() -> Stack {
    Stack {
        id: "boot".into(),
        name: "ferry-bootstrap".into(),
        status: "CREATE_COMPLETE".into(),
        status_reason: None,
        outputs: BTreeMap::from([("ArtifactBucketName".to_string(), "artifacts".to_string())]),
    }
}

fn change(action: &str, id: &str, ty: &str, replacement: Option<&str>) -> Change {
    Change {
        action: action.into(),
        logical_id: id.into(),
        resource_type: ty.into(),
        replacement: replacement.map(String::from),
        nested_change_set: None,
        policy_action: None,
    }
}

fn ready(changes: Vec<Change>) -> ChangeSet {
    ChangeSet {
        id: "cs-1".into(),
        status: "CREATE_COMPLETE".into(),
        status_reason: None,
        execution_status: Some("AVAILABLE".into()),
        changes,
    }
}

fn event(t: f64, id: &str, ty: &str, status: &str, reason: &str) -> StackEvent {
    StackEvent {
        id: format!("e{t}"),
        stack_name: "shop-dev".into(),
        logical_id: id.into(),
        physical_id: None,
        resource_type: ty.into(),
        status: status.into(),
        reason: (!reason.is_empty()).then(|| reason.to_string()),
        timestamp: t,
    }
}

impl Recorded {
    fn call(&self, c: &str) {
        self.calls.borrow_mut().push(c.to_string());
    }
}

impl CloudFormation for Recorded {
    async fn describe_stack(&self, name: &str) -> AwsResult<Option<Stack>> {
        self.call("DescribeStacks");
        if name == "ferry-bootstrap" {
            return Ok(Some(bootstrap()));
        }
        let queue = if *self.executed.borrow() {
            &self.after_execute
        } else {
            &self.app_stack
        };
        let mut q = queue.borrow_mut();
        if q.len() > 1 {
            Ok(q.pop_front().unwrap())
        } else {
            Ok(q.front().cloned().flatten())
        }
    }
    async fn create_change_set(&self, req: &ChangeSetRequest) -> AwsResult<String> {
        self.call("CreateChangeSet");
        if let Some(e) = self.create_error.borrow().clone() {
            return Err(e);
        }
        self.created.borrow_mut().push(req.clone());
        Ok("cs-1".into())
    }
    async fn describe_change_set(&self, id: &str) -> AwsResult<ChangeSet> {
        self.call("DescribeChangeSet");
        if let Some(n) = self.nested.borrow().get(id) {
            return Ok(n.clone());
        }
        Ok(self
            .change_set
            .borrow()
            .clone()
            .expect("a recorded change set"))
    }
    async fn execute_change_set(&self, _: &str) -> AwsResult<()> {
        self.call("ExecuteChangeSet");
        *self.executed.borrow_mut() = true;
        Ok(())
    }
    async fn delete_change_set(&self, id: &str) -> AwsResult<()> {
        self.call("DeleteChangeSet");
        self.deleted_change_sets.borrow_mut().push(id.to_string());
        Ok(())
    }
    async fn stack_events(&self, _: &str, _: Option<&str>) -> AwsResult<Vec<StackEvent>> {
        self.call("DescribeStackEvents");
        Ok(if *self.executed.borrow() {
            self.events.borrow().clone()
        } else {
            vec![]
        })
    }
    async fn delete_stack(&self, name: &str) -> AwsResult<()> {
        self.call("DeleteStack");
        self.deleted_stacks.borrow_mut().push(name.to_string());
        // After deletion the stack is gone.
        *self.app_stack.borrow_mut() = VecDeque::from([None]);
        Ok(())
    }
    async fn get_template(&self, _: &str) -> AwsResult<String> {
        self.call("GetTemplate");
        Ok("{}".into())
    }
    async fn stack_resources(&self, _: &str) -> AwsResult<Vec<StackResource>> {
        self.call("ListStackResources");
        Ok(vec![])
    }
}

impl Storage for Recorded {
    async fn object_matches(&self, _: &str, key: &str, _: &str) -> AwsResult<bool> {
        self.call("HeadObject");
        Ok(self.objects.borrow().contains(key))
    }
    async fn put_object(&self, _: &str, key: &str, _: Vec<u8>, _: &str) -> AwsResult<()> {
        self.call("PutObject");
        self.objects.borrow_mut().insert(key.to_string());
        Ok(())
    }
    fn object_url(&self, bucket: &str, key: &str) -> String {
        format!("https://{bucket}.s3.us-east-1.amazonaws.com/{key}")
    }
}

impl Identity for Recorded {
    async fn account_id(&self) -> AwsResult<String> {
        Ok("123456789012".into())
    }
    fn region(&self) -> String {
        "us-east-1".into()
    }
}

/// No function is deployed: nothing is hotswapped or drifts.
impl Inspect for Recorded {
    async fn function_config(&self, _: &str) -> AwsResult<Option<FunctionConfig>> {
        self.call("GetFunctionConfiguration");
        Ok(None)
    }
    async fn alias_version(&self, _: &str, _: &str) -> AwsResult<Option<String>> {
        Ok(None)
    }
}

impl FunctionCode for Recorded {
    async fn update_code(&self, _: &str, _: &str, _: &str) -> AwsResult<()> {
        unreachable!("no hotswap in these tests")
    }
    async fn publish_version(&self, _: &str, _: &str, _: &str) -> AwsResult<String> {
        unreachable!("no hotswap in these tests")
    }
    async fn update_alias(&self, _: &str, _: &str, _: &str) -> AwsResult<()> {
        unreachable!("no hotswap in these tests")
    }
}

impl Roles for Recorded {
    async fn trust_policy(&self, _: &str) -> AwsResult<Option<String>> {
        self.call("GetRole");
        Ok(Some(
            r#"{"Statement":[{"Principal":{"Service":"lambda.amazonaws.com"}}]}"#.into(),
        ))
    }
}

const APP: &str =
    "app: shop\ntables:\n  orders: { partition_key: id }\nfunctions:\n  api: {}\n  worker: {}\n";

struct Case {
    _dir: tempfile::TempDir,
    app: App,
    record: Record,
}

fn case() -> Case {
    let dir = common::app_dir(APP);
    let app = ferry::manifest::load(&dir.path().join("ferry.yaml"), "dev").unwrap();
    let record = ferry::build::read_record(&app);
    Case {
        _dir: dir,
        app,
        record,
    }
}

fn ui(answer: bool, interactive: bool) -> Ui {
    Ui {
        quiet: true,
        interactive,
        confirm: std::sync::Arc::new(move |_| answer),
        say: Box::new(|_| {}),
        progress: None,
    }
}

fn run(r: &Recorded, c: &Case, opts: deploy::Options, ui: Ui) -> Result<Outcome, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(deploy::deploy(
        r,
        &c.app,
        &c.record,
        &opts,
        &ui,
        &Pending::default(),
    ))
    .map_err(|e| e.to_string())
}

fn yes() -> deploy::Options {
    deploy::Options {
        yes: true,
        ..Default::default()
    }
}

#[test]
fn replacing_a_table_is_data_loss_and_the_change_set_is_deleted() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    *r.change_set.borrow_mut() = Some(ready(vec![
        change(
            "Modify",
            "OrdersTable",
            "AWS::DynamoDB::Table",
            Some("True"),
        ),
        change(
            "Modify",
            "ApiFunction",
            "AWS::Lambda::Function",
            Some("False"),
        ),
    ]));
    let e = run(&r, &c, yes(), ui(true, false)).unwrap_err();
    assert!(
        e.contains("Modify OrdersTable (AWS::DynamoDB::Table)"),
        "{e}"
    );
    assert!(e.contains("--allow-data-loss"), "{e}");
    assert_eq!(*r.deleted_change_sets.borrow(), vec!["cs-1"]);
    assert!(!*r.executed.borrow());

    // Allowed: it goes ahead.
    let r2 = Recorded::default();
    *r2.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    *r2.change_set.borrow_mut() = r.change_set.borrow().clone();
    *r2.after_execute.borrow_mut() =
        VecDeque::from([stack("UPDATE_IN_PROGRESS"), stack("UPDATE_COMPLETE")]);
    let out = run(
        &r2,
        &c,
        deploy::Options {
            allow_data_loss: true,
            ..yes()
        },
        ui(true, false),
    )
    .unwrap();
    match out {
        Outcome::Deployed {
            status,
            changes,
            outputs,
        } => {
            assert_eq!(status, "UPDATE_COMPLETE");
            assert_eq!(changes[0].replacement, "True");
            assert!(outputs.contains_key("ApiAliasArn"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nested_stack_changes_are_previewed_with_their_stack() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    let mut nested = change(
        "Modify",
        "Nested1x0",
        "AWS::CloudFormation::Stack",
        Some("False"),
    );
    nested.nested_change_set = Some("cs-nested".into());
    *r.change_set.borrow_mut() = Some(ready(vec![nested]));
    r.nested.borrow_mut().insert(
        "cs-nested".into(),
        ChangeSet {
            id: "cs-nested".into(),
            ..ready(vec![change(
                "Remove",
                "OrdersTable",
                "AWS::DynamoDB::Table",
                None,
            )])
        },
    );
    let e = run(&r, &c, yes(), ui(true, false)).unwrap_err();
    assert!(e.contains("Remove Nested1x0/OrdersTable"), "{e}");
}

#[test]
fn a_failed_resource_is_reported_as_the_root_cause() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([None]);
    *r.change_set.borrow_mut() = Some(ready(vec![change(
        "Add",
        "OrdersTable",
        "AWS::DynamoDB::Table",
        None,
    )]));
    *r.after_execute.borrow_mut() = VecDeque::from([
        stack("CREATE_IN_PROGRESS"),
        stack("ROLLBACK_IN_PROGRESS"),
        stack("ROLLBACK_COMPLETE"),
    ]);
    *r.events.borrow_mut() = vec![
        event(
            6.0,
            "shop-dev",
            "AWS::CloudFormation::Stack",
            "ROLLBACK_COMPLETE",
            "",
        ),
        event(
            5.0,
            "ApiFunction",
            "AWS::Lambda::Function",
            "DELETE_COMPLETE",
            "",
        ),
        event(
            4.0,
            "shop-dev",
            "AWS::CloudFormation::Stack",
            "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [ApiFunction, OrdersTable].",
        ),
        event(
            3.0,
            "ApiFunction",
            "AWS::Lambda::Function",
            "CREATE_FAILED",
            "Resource creation cancelled",
        ),
        event(
            2.0,
            "OrdersTable",
            "AWS::DynamoDB::Table",
            "CREATE_FAILED",
            "Resource handler returned message: \"Table already exists: shop-dev-orders\"",
        ),
        event(
            1.0,
            "OrdersTable",
            "AWS::DynamoDB::Table",
            "CREATE_IN_PROGRESS",
            "",
        ),
    ];
    let e = run(&r, &c, yes(), ui(true, false)).unwrap_err();
    assert!(
        e.starts_with("OrdersTable (AWS::DynamoDB::Table) failed: "),
        "{e}"
    );
    assert!(e.contains("Table already exists: shop-dev-orders"), "{e}");
    assert!(e.contains("stack shop-dev is ROLLBACK_COMPLETE"), "{e}");
    assert!(!e.contains("cancelled"), "{e}");
}

#[test]
fn a_stack_in_rollback_complete_is_deleted_first_after_confirmation() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("ROLLBACK_COMPLETE")]);
    *r.change_set.borrow_mut() = Some(ready(vec![change(
        "Add",
        "OrdersTable",
        "AWS::DynamoDB::Table",
        None,
    )]));
    *r.after_execute.borrow_mut() = VecDeque::from([stack("CREATE_COMPLETE")]);
    run(&r, &c, yes(), ui(true, false)).unwrap();
    assert_eq!(r.deleted_stacks.borrow().len(), 1);
    assert_eq!(r.created.borrow()[0].kind, ChangeSetKind::Create);

    // Without a terminal and without --yes it stops before deleting.
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("ROLLBACK_COMPLETE")]);
    let e = run(&r, &c, deploy::Options::default(), ui(true, false)).unwrap_err();
    assert!(e.contains("--yes"), "{e}");
    assert!(r.deleted_stacks.borrow().is_empty());
}

#[test]
fn update_rollback_failed_is_explained_with_the_fix() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_ROLLBACK_FAILED")]);
    let e = run(&r, &c, yes(), ui(true, false)).unwrap_err();
    assert!(e.contains("UPDATE_ROLLBACK_FAILED"), "{e}");
    assert!(
        e.contains("aws cloudformation continue-update-rollback --stack-name shop-dev"),
        "{e}"
    );
    assert!(r.created.borrow().is_empty(), "no change set is created");
}

#[test]
fn an_operation_in_progress_is_waited_for() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([
        stack("UPDATE_IN_PROGRESS"),
        stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        stack("UPDATE_COMPLETE"),
    ]);
    *r.change_set.borrow_mut() = Some(ChangeSet {
        status: "FAILED".into(),
        status_reason: Some("The submitted information didn't contain changes. Submit different information to create a change set.".into()),
        ..ready(vec![])
    });
    let out = run(&r, &c, yes(), ui(true, false)).unwrap();
    assert_eq!(out, Outcome::NoChanges);
    assert_eq!(r.created.borrow()[0].kind, ChangeSetKind::Update);
    assert_eq!(*r.deleted_change_sets.borrow(), vec!["cs-1"]);
}

#[test]
fn declining_at_the_prompt_deletes_the_change_set() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    *r.change_set.borrow_mut() = Some(ready(vec![change(
        "Modify",
        "ApiFunction",
        "AWS::Lambda::Function",
        Some("False"),
    )]));
    let e = run(&r, &c, deploy::Options::default(), ui(false, true)).unwrap_err();
    assert!(e.contains("cancelled"), "{e}");
    assert_eq!(*r.deleted_change_sets.borrow(), vec!["cs-1"]);
    assert!(!*r.executed.borrow());
}

#[test]
fn a_no_change_redeploy_makes_few_calls_and_uploads_nothing() {
    let c = case();
    let r = Recorded::default();
    // Everything is already in the bucket.
    for a in c.record.functions.values() {
        r.objects
            .borrow_mut()
            .insert(format!("shop/{}.zip", a.sha256));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let artifacts = rt
        .block_on(deploy::upload_artifacts(
            &r,
            "artifacts",
            "",
            &c.app,
            &c.record,
            &ui(true, false),
        ))
        .unwrap()
        .0;
    let mut artifacts = artifacts;
    artifacts.template_url_base = Some("https://artifacts.s3.us-east-1.amazonaws.com".into());
    let t = ferry::synth::synth(&c.app, &artifacts).root.to_json();
    r.objects.borrow_mut().insert(format!(
        "shop/templates/{}.json",
        ferry::names::short_hash(t.as_bytes(), 16)
    ));
    r.calls.borrow_mut().clear();

    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    *r.change_set.borrow_mut() = Some(ChangeSet {
        status: "FAILED".into(),
        status_reason: Some("No updates are to be performed.".into()),
        ..ready(vec![])
    });
    assert_eq!(
        run(&r, &c, yes(), ui(true, false)).unwrap(),
        Outcome::NoChanges
    );
    let calls = r.calls.borrow().clone();
    assert!(!calls.contains(&"PutObject".to_string()), "{calls:?}");
    // DescribeStacks (bootstrap), HeadObject x2 (zips), DescribeStacks and
    // GetTemplate (where resources are deployed), DescribeStacks
    // (app), HeadObject (template), CreateChangeSet, DescribeChangeSet,
    // DeleteChangeSet.
    assert_eq!(
        calls,
        vec![
            "DescribeStacks",
            "HeadObject",
            "HeadObject",
            "DescribeStacks",
            "GetTemplate",
            "DescribeStacks",
            "HeadObject",
            "CreateChangeSet",
            "DescribeChangeSet",
            "DeleteChangeSet"
        ]
    );
}

#[test]
fn a_stack_stuck_in_progress_ends_with_the_timeout_error() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_IN_PROGRESS")]);
    let opts = deploy::Options {
        wait_timeout: std::time::Duration::from_secs(1),
        ..yes()
    };
    let started = std::time::Instant::now();
    let e = run(&r, &c, opts, ui(true, false)).unwrap_err();
    assert!(
        e.contains("stack shop-dev is still UPDATE_IN_PROGRESS after 1 second"),
        "{e}"
    );
    assert!(e.contains("--wait-timeout"), "{e}");
    assert!(
        e.contains("describe-stack-events --stack-name shop-dev"),
        "{e}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(r.created.borrow().is_empty(), "no change set while waiting");
}

#[test]
fn an_execution_that_outlasts_the_limit_says_cloudformation_goes_on() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    *r.change_set.borrow_mut() = Some(ready(vec![change(
        "Modify",
        "ApiFunction",
        "AWS::Lambda::Function",
        Some("False"),
    )]));
    *r.after_execute.borrow_mut() = VecDeque::from([stack("UPDATE_IN_PROGRESS")]);
    let opts = deploy::Options {
        wait_timeout: std::time::Duration::from_secs(1),
        ..yes()
    };
    let e = run(&r, &c, opts, ui(true, false)).unwrap_err();
    assert!(e.contains("still UPDATE_IN_PROGRESS"), "{e}");
    assert!(e.contains("CloudFormation goes on with it"), "{e}");
    assert!(*r.executed.borrow());
    // An executed change set is not deleted.
    assert!(r.deleted_change_sets.borrow().is_empty());
}

#[test]
fn every_stateful_removal_or_deletion_is_refused_without_allow_data_loss() {
    let mut queue = change("Modify", "JobsQueue", "AWS::SQS::Queue", Some("False"));
    queue.policy_action = Some("Delete".into());
    let cases = [
        change("Remove", "EventsTopic", "AWS::SNS::Topic", None),
        change("Remove", "OrdersBus", "AWS::Events::EventBus", None),
        change("Remove", "ApiLogGroup", "AWS::Logs::LogGroup", None),
        change("Modify", "ApiLogGroup", "AWS::Logs::LogGroup", Some("True")),
        change("Remove", "Nested1x0", "AWS::CloudFormation::Stack", None),
        queue,
    ];
    for ch in cases {
        let c = case();
        let r = Recorded::default();
        *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
        *r.change_set.borrow_mut() = Some(ready(vec![ch.clone()]));
        let e = run(&r, &c, yes(), ui(true, false)).unwrap_err();
        assert!(
            e.contains(&format!(
                "{} {} ({})",
                ch.action, ch.logical_id, ch.resource_type
            )),
            "{e}"
        );
        assert!(e.contains("--allow-data-loss"), "{e}");
        assert!(!*r.executed.borrow(), "{ch:?}");
        assert_eq!(*r.deleted_change_sets.borrow(), vec!["cs-1"], "{ch:?}");
    }
}

#[test]
fn removing_a_retained_log_group_keeps_its_logs_and_deploys() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    let mut removed = change("Remove", "WorkerLogGroup", "AWS::Logs::LogGroup", None);
    removed.policy_action = Some("Retain".into());
    *r.change_set.borrow_mut() = Some(ready(vec![
        removed,
        change("Remove", "WorkerFunction", "AWS::Lambda::Function", None),
    ]));
    *r.after_execute.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    match run(&r, &c, yes(), ui(true, false)).unwrap() {
        Outcome::Deployed { changes, .. } => {
            assert_eq!(changes[0].risk, deploy::preview::Risk::Retained);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_resource_moving_between_stacks_is_one_move_row_and_refused() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    let mut nested = change(
        "Modify",
        "Nested1x0",
        "AWS::CloudFormation::Stack",
        Some("False"),
    );
    nested.nested_change_set = Some("cs-nested".into());
    *r.change_set.borrow_mut() = Some(ready(vec![
        change("Remove", "OrdersTable", "AWS::DynamoDB::Table", None),
        nested,
    ]));
    r.nested.borrow_mut().insert(
        "cs-nested".into(),
        ChangeSet {
            id: "cs-nested".into(),
            ..ready(vec![change(
                "Add",
                "OrdersTable",
                "AWS::DynamoDB::Table",
                None,
            )])
        },
    );
    let e = run(&r, &c, yes(), ui(true, false)).unwrap_err();
    assert!(
        e.contains("Move OrdersTable: root -> Nested1x0 (AWS::DynamoDB::Table)"),
        "{e}"
    );
    assert!(!*r.executed.borrow());
}

/// Sends Ctrl-C (SIGINT) to this test process.
fn press_ctrl_c() {
    std::process::Command::new("kill")
        .args(["-INT", &std::process::id().to_string()])
        .status()
        .unwrap();
}

#[test]
fn ctrl_c_at_the_prompt_deletes_the_change_set_at_once() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    *r.change_set.borrow_mut() = Some(ready(vec![change(
        "Modify",
        "ApiFunction",
        "AWS::Lambda::Function",
        Some("False"),
    )]));
    let ui = Ui {
        quiet: true,
        interactive: true,
        // The person presses Ctrl-C while the question waits.
        confirm: std::sync::Arc::new(|_| {
            press_ctrl_c();
            std::thread::sleep(std::time::Duration::from_secs(30));
            true
        }),
        say: Box::new(|_| {}),
        progress: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pending = Pending::default();
    let opts = deploy::Options::default();
    let started = std::time::Instant::now();
    let e = rt
        .block_on(deploy::interruptible(
            &r,
            &pending,
            deploy::deploy(&r, &c.app, &c.record, &opts, &ui, &pending),
        ))
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(matches!(e, deploy::Error::Interrupted(_)), "{e:?}");
    assert!(
        e.to_string().contains("interrupted: nothing was changed"),
        "{e}"
    );
    assert_eq!(*r.deleted_change_sets.borrow(), vec!["cs-1"]);
    assert!(!*r.executed.borrow());
}

#[test]
fn progress_names_the_resources_in_progress_and_ends_finished() {
    // Recorded S3 holds no artifact yet: both are uploaded first.
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([None]);
    *r.change_set.borrow_mut() = Some(ready(vec![
        change("Add", "OrdersTable", "AWS::DynamoDB::Table", None),
        change("Add", "ApiFunction", "AWS::Lambda::Function", None),
    ]));
    *r.after_execute.borrow_mut() =
        VecDeque::from([stack("CREATE_IN_PROGRESS"), stack("CREATE_COMPLETE")]);
    *r.events.borrow_mut() = vec![
        event(
            3.0,
            "ApiFunction",
            "AWS::Lambda::Function",
            "CREATE_IN_PROGRESS",
            "",
        ),
        event(
            2.0,
            "OrdersTable",
            "AWS::DynamoDB::Table",
            "CREATE_COMPLETE",
            "",
        ),
        event(
            1.0,
            "OrdersTable",
            "AWS::DynamoDB::Table",
            "CREATE_IN_PROGRESS",
            "",
        ),
    ];
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let ui = Ui {
        progress: Some(Box::new(move |p: &deploy::Progress| {
            record.lock().unwrap().push(p.clone())
        })),
        ..ui(true, false)
    };
    run(&r, &c, yes(), ui).unwrap();
    let all = seen.lock().unwrap();
    // The uploads come first, counted in bytes, the last one finished.
    let uploads: Vec<&deploy::Progress> = all
        .iter()
        .filter(|p| p.unit == deploy::Unit::Bytes)
        .collect();
    let last = uploads.last().expect("upload progress was shown");
    assert!(
        last.finished && last.done == last.total && last.total > 0,
        "{last:?}"
    );
    let seen: Vec<&deploy::Progress> = all
        .iter()
        .filter(|p| p.unit == deploy::Unit::Resources)
        .collect();
    let first = seen.first().expect("progress was shown");
    assert_eq!((first.done, first.total), (1, 2));
    assert_eq!(first.in_progress, ["ApiFunction"]);
    assert!(!first.finished);
    assert!(seen.last().unwrap().finished, "{seen:?}");
    assert_eq!(seen.iter().filter(|p| p.finished).count(), 1);
}

/// An AWS failure reaches the command line as a typed error with AWS's code
/// kept, and its message as before.
#[test]
fn an_aws_failure_keeps_its_code() {
    let c = case();
    let r = Recorded::default();
    *r.app_stack.borrow_mut() = VecDeque::from([stack("UPDATE_COMPLETE")]);
    *r.create_error.borrow_mut() = Some(AwsError {
        code: Some("ValidationError".into()),
        message: "CreateChangeSet: Template format error: Unresolved resource dependencies".into(),
    });
    let ui = ui(true, false);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = rt
        .block_on(deploy::deploy(
            &r,
            &c.app,
            &c.record,
            &yes(),
            &ui,
            &Pending::default(),
        ))
        .unwrap_err();
    assert!(matches!(e, deploy::Error::Aws(_)), "{e:?}");
    assert_eq!(e.code(), Some("ValidationError"));
    assert_eq!(
        e.to_string(),
        "CreateChangeSet: Template format error: Unresolved resource dependencies"
    );
}
