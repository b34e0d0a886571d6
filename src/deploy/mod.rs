//! Deploy: the stack lifecycle on AWS through change sets.
//!
//! `deploy` follows the ten steps of the contract: bootstrap, content-
//! addressed uploads, role preflight, a change set (CREATE or UPDATE), "no
//! changes" as success, a preview with risks and the data-loss guard,
//! confirmation, execution followed through stack events, and the root
//! cause of a failure. Every AWS call goes through the traits of `aws`, so
//! the same code runs against AWS, a local emulator, or recorded responses.

pub mod bootstrap;
pub mod events;
pub mod preview;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::aws::{
    ChangeSetKind, ChangeSetRequest, CloudFormation, Identity, Roles, Stack, StackEvent, Storage,
    TemplateSource,
};
use crate::build::Record;
use crate::manifest::model::App;
use crate::names;
use crate::synth::{self, Artifact, Artifacts, Stacks};
use preview::{Risk, Row};

/// How deploy talks to the person running it.
pub struct Ui {
    pub quiet: bool,
    /// A terminal to ask on (and not CI).
    pub interactive: bool,
    /// Asks a yes/no question on the terminal.
    pub confirm: Box<dyn Fn(&str) -> bool + Send + Sync>,
    /// Prints a progress line (stderr).
    pub say: Box<dyn Fn(&str) + Send + Sync>,
}

impl Ui {
    fn info(&self, s: &str) {
        if !self.quiet {
            (self.say)(s);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub yes: bool,
    pub no_execute: bool,
    pub allow_data_loss: bool,
}

/// How a deploy ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    NoChanges,
    /// `--no-execute`: the change set is kept for review.
    Kept {
        change_set: String,
        changes: Vec<Row>,
    },
    Deployed {
        status: String,
        changes: Vec<Row>,
        outputs: BTreeMap<String, String>,
    },
}

/// The change set ferry created and has not executed yet: what to delete
/// when anything fails or the user presses Ctrl-C.
#[derive(Default)]
pub struct Pending {
    change_set: Mutex<Option<String>>,
}

impl Pending {
    fn set(&self, id: Option<String>) {
        *self.change_set.lock().expect("lock") = id;
    }

    pub fn is_set(&self) -> bool {
        self.change_set.lock().expect("lock").is_some()
    }

    /// Takes the pending change set, if any.
    pub fn take(&self) -> Option<String> {
        self.change_set.lock().expect("lock").take()
    }
}

/// Polling with a growing pause, so that a local emulator answers fast and
/// AWS is not flooded.
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new() -> Self {
        Backoff {
            next: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }

    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 3 / 2).min(self.max);
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

/// The artifact bucket of the bootstrap stack: its output, or its resource
/// when the output is missing (some emulators drop outputs).
pub async fn bootstrap_bucket<A: CloudFormation>(
    aws: &A,
    stack: &Stack,
) -> Result<Option<String>, String> {
    if let Some(b) = stack.outputs.get(bootstrap::BUCKET_OUTPUT) {
        return Ok(Some(b.clone()));
    }
    let resources = aws.stack_resources(&stack.name).await?;
    Ok(resources
        .into_iter()
        .find(|r| r.logical_id == "ArtifactBucket")
        .and_then(|r| r.physical_id))
}

/// Makes sure the bootstrap stack exists; returns the artifact bucket.
pub async fn ensure_bootstrap<A: CloudFormation>(aws: &A, ui: &Ui) -> Result<String, String> {
    if let Some(mut s) = aws.describe_stack(names::BOOTSTRAP_STACK).await? {
        if !events::is_terminal(&s.status) {
            s = wait_stack(aws, &s.name).await?;
        }
        if events::is_success(&s.status) || s.status == "UPDATE_ROLLBACK_COMPLETE" {
            if let Some(b) = bootstrap_bucket(aws, &s).await? {
                return Ok(b);
            }
        }
    }
    ui.info(&format!(
        "Creating the {} stack (the artifact bucket for this account and region)",
        names::BOOTSTRAP_STACK
    ));
    let stack = bootstrap_stack(aws, ui).await?;
    bootstrap_bucket(aws, &stack).await?.ok_or_else(|| {
        format!(
            "the {} stack has no artifact bucket",
            names::BOOTSTRAP_STACK
        )
    })
}

/// Creates or updates the bootstrap stack (`ferry bootstrap`).
pub async fn bootstrap_stack<A: CloudFormation>(aws: &A, ui: &Ui) -> Result<Stack, String> {
    let name = names::BOOTSTRAP_STACK;
    let existing = aws.describe_stack(name).await?;
    let kind = match &existing {
        None => ChangeSetKind::Create,
        Some(s) if s.status == "REVIEW_IN_PROGRESS" => ChangeSetKind::Create,
        Some(s) if s.status == "ROLLBACK_COMPLETE" => {
            aws.delete_stack(&s.id).await?;
            wait_stack(aws, &s.id).await?;
            ChangeSetKind::Create
        }
        Some(_) => ChangeSetKind::Update,
    };
    let req = ChangeSetRequest {
        stack: name.to_string(),
        name: change_set_name(),
        kind,
        template: TemplateSource::Body(bootstrap::template().to_json()),
        parameters: vec![],
        tags: vec![("ferry:bootstrap".into(), "true".into())],
        include_nested: false,
    };
    let id = aws.create_change_set(&req).await?;
    let cs = wait_change_set(aws, &id).await?;
    if cs.status == "FAILED" {
        let _ = aws.delete_change_set(&id).await;
        if no_changes(cs.status_reason.as_deref()) {
            ui.info(&format!("{name} is up to date."));
            return aws
                .describe_stack(name)
                .await?
                .ok_or_else(|| format!("{name} disappeared"));
        }
        return Err(format!(
            "cannot create the change set for {name}: {}",
            cs.status_reason.unwrap_or_default()
        ));
    }
    aws.execute_change_set(&id).await?;
    let s = wait_stack(aws, name).await?;
    if !events::is_success(&s.status) {
        return Err(format!(
            "{name} ended in {}: {}",
            s.status,
            s.status_reason.unwrap_or_default()
        ));
    }
    Ok(s)
}

fn change_set_name() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("ferry-{secs}")
}

fn no_changes(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| {
        r.contains("didn't contain changes") || r.contains("No updates are to be performed")
    })
}

/// Waits until a change set is created or has failed.
pub async fn wait_change_set<A: CloudFormation>(
    aws: &A,
    id: &str,
) -> Result<crate::aws::ChangeSet, String> {
    let mut b = Backoff::new();
    let started = std::time::Instant::now();
    loop {
        let cs = aws.describe_change_set(id).await?;
        if matches!(
            cs.status.as_str(),
            "CREATE_COMPLETE" | "FAILED" | "DELETE_COMPLETE" | "DELETE_FAILED"
        ) {
            return Ok(cs);
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!(
                "the change set {id} was not ready after 10 minutes (status {})",
                cs.status
            ));
        }
        b.wait().await;
    }
}

/// Waits until a stack is in no `*_IN_PROGRESS` status.
pub async fn wait_stack<A: CloudFormation>(aws: &A, name: &str) -> Result<Stack, String> {
    let mut b = Backoff::new();
    loop {
        match aws.describe_stack(name).await? {
            None => {
                return Ok(Stack {
                    id: name.to_string(),
                    name: name.to_string(),
                    status: "DELETE_COMPLETE".into(),
                    status_reason: None,
                    outputs: BTreeMap::new(),
                });
            }
            Some(s) if events::is_terminal(&s.status) => return Ok(s),
            Some(_) => b.wait().await,
        }
    }
}

/// Uploads each zip under its content-addressed key, skipping those already
/// there; returns synth's view of them and how many were uploaded.
pub async fn upload_artifacts<S: Storage>(
    s3: &S,
    bucket: &str,
    prefix: &str,
    app: &App,
    record: &Record,
    ui: &Ui,
) -> Result<(Artifacts, usize), String> {
    let mut artifacts = Artifacts {
        bucket: Some(bucket.to_string()),
        ..Artifacts::default()
    };
    let mut uploaded = 0;
    for (kind, items) in [("function", &record.functions), ("layer", &record.layers)] {
        for (name, a) in items {
            let known = if kind == "function" {
                app.functions.contains_key(name)
            } else {
                app.layers.contains_key(name)
            };
            if !known {
                continue;
            }
            let key = format!("{prefix}{}/{}.zip", app.name, a.sha256);
            if !s3.object_matches(bucket, &key, &a.sha256).await? {
                let bytes = std::fs::read(app.root().join(&a.path)).map_err(|e| {
                    format!("cannot read {}: {e} (run `ferry build`)", a.path.display())
                })?;
                if crate::build::archive::sha256_hex(&bytes) != a.sha256 {
                    return Err(format!(
                        "{} changed since `ferry build` recorded it: run `ferry build` again",
                        a.path.display()
                    ));
                }
                ui.info(&format!(
                    "Uploading {kind} {name} ({})",
                    crate::build::archive::human(bytes.len() as u64)
                ));
                s3.put_object(bucket, &key, bytes, &a.sha256).await?;
                uploaded += 1;
            }
            let art = Artifact {
                key,
                sha256: a.sha256.clone(),
            };
            if kind == "function" {
                artifacts.functions.insert(name.clone(), art);
            } else {
                artifacts.layers.insert(name.clone(), art);
            }
        }
    }
    Ok((artifacts, uploaded))
}

/// Uploads the templates (nested ones first) under content-addressed keys;
/// returns the root's URL.
pub async fn upload_templates<S: Storage>(
    s3: &S,
    bucket: &str,
    prefix: &str,
    app: &App,
    stacks: &Stacks,
) -> Result<String, String> {
    let mut root_url = String::new();
    for (i, t) in stacks
        .nested
        .iter()
        .map(|(_, t)| t)
        .chain(std::iter::once(&stacks.root))
        .enumerate()
    {
        let body = t.to_json();
        let key = format!(
            "{prefix}{}/templates/{}.json",
            app.name,
            names::short_hash(body.as_bytes(), 16)
        );
        let sha256 = crate::build::archive::sha256_hex(body.as_bytes());
        if !s3.object_matches(bucket, &key, &sha256).await? {
            s3.put_object(bucket, &key, body.into_bytes(), &sha256)
                .await?;
        }
        if i == stacks.nested.len() {
            root_url = s3.object_url(bucket, &key);
        }
    }
    Ok(root_url)
}

/// Checks that every role given by ARN exists and trusts Lambda.
pub async fn preflight_roles<R: Roles>(iam: &R, app: &App) -> Result<(), String> {
    for (name, f) in &app.functions {
        let Some(arn) = f.role.as_ref().and_then(|r| r.as_literal()) else {
            continue;
        };
        let role_name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        match iam.trust_policy(&role_name).await? {
            None => return Err(format!("function `{name}`: the role {arn} does not exist")),
            Some(doc) if !doc.contains("lambda.amazonaws.com") => {
                return Err(format!(
                    "function `{name}`: the role {arn} does not trust lambda.amazonaws.com, so Lambda cannot use it"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// What the stack's current state means for the next change set.
async fn prepare_stack<A: CloudFormation>(
    aws: &A,
    stack: &str,
    opts: &Options,
    ui: &Ui,
) -> Result<ChangeSetKind, String> {
    let Some(mut s) = aws.describe_stack(stack).await? else {
        return Ok(ChangeSetKind::Create);
    };
    if s.status.ends_with("_IN_PROGRESS") && s.status != "REVIEW_IN_PROGRESS" {
        ui.info(&format!(
            "Stack {stack} is {}; waiting for it to finish",
            s.status
        ));
        s = wait_stack(aws, stack).await?;
    }
    match s.status.as_str() {
        "REVIEW_IN_PROGRESS" | "DELETE_COMPLETE" => Ok(ChangeSetKind::Create),
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
            ui.info(&format!(
                "Stack {stack} is in {} after a failed first deploy: it holds nothing and must be deleted before it can be created again.",
                s.status
            ));
            confirm(opts, ui, &format!("Delete stack {stack} and deploy again?"))?;
            aws.delete_stack(&s.id).await?;
            let after = wait_stack(aws, &s.id).await?;
            if after.status != "DELETE_COMPLETE" {
                return Err(format!(
                    "could not delete stack {stack}: {}",
                    after.status_reason.unwrap_or(after.status)
                ));
            }
            Ok(ChangeSetKind::Create)
        }
        "UPDATE_ROLLBACK_FAILED" => Err(format!(
            "stack {stack} is in UPDATE_ROLLBACK_FAILED: a rollback could not finish ({}).\nFix what blocked it, then run\n  aws cloudformation continue-update-rollback --stack-name {stack}\n(add --resources-to-skip for resources that cannot roll back) and deploy again",
            s.status_reason.unwrap_or_default()
        )),
        "DELETE_FAILED" => Err(format!(
            "stack {stack} is in DELETE_FAILED ({}): finish deleting it with `ferry destroy` or the console, then deploy again",
            s.status_reason.unwrap_or_default()
        )),
        _ => Ok(ChangeSetKind::Update),
    }
}

/// Asks on a terminal; with no terminal, `--yes` is required.
fn confirm(opts: &Options, ui: &Ui, question: &str) -> Result<(), String> {
    if opts.yes {
        return Ok(());
    }
    if !ui.interactive {
        return Err(
            "no terminal to confirm on: pass --yes to deploy without asking (or --no-execute to keep the change set for review)"
                .to_string(),
        );
    }
    if (ui.confirm)(question) {
        Ok(())
    } else {
        Err("cancelled: nothing was changed".to_string())
    }
}

/// A created change set and its preview.
pub struct Planned {
    pub id: String,
    pub kind: ChangeSetKind,
    pub rows: Vec<Row>,
}

/// Creates the change set for the app and reads its preview. `Ok(None)`
/// means there is nothing to change (the change set is already deleted).
pub async fn plan<A: CloudFormation + Storage + Roles>(
    aws: &A,
    app: &App,
    stacks: &Stacks,
    bucket: &str,
    opts: &Options,
    ui: &Ui,
    pending: &Pending,
) -> Result<Option<Planned>, String> {
    let stack = app.stack_name();
    preflight_roles(aws, app).await?;
    let kind = prepare_stack(aws, &stack, opts, ui).await?;
    let url = upload_templates(aws, bucket, "", app, stacks).await?;
    let mut tags = vec![
        ("ferry:app".to_string(), app.name.clone()),
        ("ferry:stage".to_string(), app.stage.clone()),
    ];
    tags.extend(app.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    let parameters = app
        .parameters
        .iter()
        .map(|(k, p)| (k.clone(), p.value.clone()))
        .collect();
    let req = ChangeSetRequest {
        stack: stack.clone(),
        name: change_set_name(),
        kind,
        template: TemplateSource::Url(url),
        parameters,
        tags,
        include_nested: !stacks.nested.is_empty(),
    };
    ui.info(&format!("Creating change set for stack {stack}"));
    let id = aws.create_change_set(&req).await?;
    pending.set(Some(id.clone()));
    let cs = wait_change_set(aws, &id).await?;
    if cs.status == "FAILED" {
        pending.set(None);
        let _ = aws.delete_change_set(&id).await;
        if kind == ChangeSetKind::Create {
            // The empty stack CloudFormation made for the change set.
            if let Some(s) = aws.describe_stack(&stack).await? {
                if s.status == "REVIEW_IN_PROGRESS" {
                    let _ = aws.delete_stack(&s.id).await;
                }
            }
        }
        if no_changes(cs.status_reason.as_deref()) {
            return Ok(None);
        }
        return Err(format!(
            "CloudFormation refused the change set: {}",
            cs.status_reason.unwrap_or_default()
        ));
    }
    let mut rows = preview::rows(&cs.changes, "");
    for c in &cs.changes {
        if let Some(nested) = &c.nested_change_set {
            let n = wait_change_set(aws, nested).await?;
            rows.extend(preview::rows(&n.changes, &c.logical_id));
        }
    }
    Ok(Some(Planned { id, kind, rows }))
}

/// The whole deploy, from an app already validated, synthesized and built.
pub async fn deploy<A: CloudFormation + Storage + Roles + Identity>(
    aws: &A,
    app: &App,
    record: &Record,
    opts: &Options,
    ui: &Ui,
    pending: &Pending,
) -> Result<Outcome, String> {
    let bucket = ensure_bootstrap(aws, ui).await?;
    let (mut artifacts, uploaded) = upload_artifacts(aws, &bucket, "", app, record, ui).await?;
    if uploaded == 0 && !record.functions.is_empty() {
        ui.info("Artifacts are up to date: nothing to upload");
    }
    artifacts.template_url_base = Some(
        aws.object_url(&bucket, "")
            .trim_end_matches('/')
            .to_string(),
    );
    let stacks = synth::synth(app, &artifacts);
    let result = deploy_planned(aws, app, &stacks, &bucket, opts, ui, pending).await;
    if result.is_err() {
        discard(aws, &app.stack_name(), pending).await;
    }
    result
}

/// Deletes the change set ferry created and did not execute, and the empty
/// stack CloudFormation made for it when the stack was new.
pub async fn discard<A: CloudFormation>(aws: &A, stack: &str, pending: &Pending) {
    let Some(id) = pending.take() else { return };
    let _ = aws.delete_change_set(&id).await;
    if let Ok(Some(s)) = aws.describe_stack(stack).await {
        if s.status == "REVIEW_IN_PROGRESS" {
            let _ = aws.delete_stack(&s.id).await;
        }
    }
}

async fn deploy_planned<A: CloudFormation + Storage + Roles>(
    aws: &A,
    app: &App,
    stacks: &Stacks,
    bucket: &str,
    opts: &Options,
    ui: &Ui,
    pending: &Pending,
) -> Result<Outcome, String> {
    let Some(planned) = plan(aws, app, stacks, bucket, opts, ui, pending).await? else {
        return Ok(Outcome::NoChanges);
    };
    if !ui.quiet {
        (ui.say)(&format!(
            "\n{}{}\n",
            preview::table(&planned.rows),
            preview::summary(&planned.rows)
        ));
    }
    let losses: Vec<&Row> = planned
        .rows
        .iter()
        .filter(|r| r.risk == Risk::DataLoss)
        .collect();
    if !losses.is_empty() && !opts.allow_data_loss {
        let list: Vec<String> = losses
            .iter()
            .map(|r| format!("  {} {} ({})", r.action, r.logical_id, r.resource_type))
            .collect();
        return Err(format!(
            "this change set would remove or replace resources that hold data:\n{}\nnothing was changed; rename back, or pass --allow-data-loss if this is intended",
            list.join("\n")
        ));
    }
    if opts.no_execute {
        let id = pending.take().unwrap_or(planned.id);
        return Ok(Outcome::Kept {
            change_set: id,
            changes: planned.rows,
        });
    }
    confirm(opts, ui, "Deploy this change set?")?;
    let stack = app.stack_name();
    let before = if planned.kind == ChangeSetKind::Update {
        aws.stack_events(&stack, None)
            .await?
            .first()
            .map(|e| e.id.clone())
    } else {
        None
    };
    aws.execute_change_set(&planned.id).await?;
    pending.set(None);
    let final_stack = follow(aws, &stack, before.clone(), planned.rows.len(), ui).await?;
    if events::is_success(&final_stack.status) {
        let outputs = all_outputs(aws, &stack).await?;
        return Ok(Outcome::Deployed {
            status: final_stack.status,
            changes: planned.rows,
            outputs,
        });
    }
    let cause = failure_cause(aws, &stack, before.as_deref()).await;
    Err(match cause {
        Some(e) => format!(
            "{} ({}) failed: {}\nstack {stack} is {}",
            e.logical_id,
            e.resource_type,
            e.reason.unwrap_or_default(),
            final_stack.status
        ),
        None => format!(
            "stack {stack} is {}: {}",
            final_stack.status,
            final_stack.status_reason.unwrap_or_default()
        ),
    })
}

/// Follows the stack's events until it reaches a final status, printing
/// each resource as it finishes.
async fn follow<A: CloudFormation>(
    aws: &A,
    stack: &str,
    mut last: Option<String>,
    total: usize,
    ui: &Ui,
) -> Result<Stack, String> {
    let mut b = Backoff::new();
    let mut done = std::collections::BTreeSet::new();
    let started = std::time::Instant::now();
    loop {
        let s = aws
            .describe_stack(stack)
            .await?
            .ok_or_else(|| format!("stack {stack} disappeared"))?;
        if s.status == "REVIEW_IN_PROGRESS" && started.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "stack {stack} is still in REVIEW_IN_PROGRESS two minutes after the change set was executed"
            ));
        }
        let new = aws
            .stack_events(&s.id, last.as_deref())
            .await
            .unwrap_or_default();
        if let Some(first) = new.first() {
            last = Some(first.id.clone());
        }
        for e in new.iter().rev() {
            if e.resource_type == "AWS::CloudFormation::Stack" && e.logical_id == stack {
                continue;
            }
            if e.status.ends_with("_COMPLETE") || e.status.ends_with("_FAILED") {
                done.insert(e.logical_id.clone());
                ui.info(&format!(
                    "  [{}/{}] {:<28} {:<40} {}",
                    done.len().min(total.max(done.len())),
                    total.max(done.len()),
                    e.status,
                    e.logical_id,
                    e.reason
                        .as_deref()
                        .filter(|r| e.status.ends_with("_FAILED") && !r.is_empty())
                        .unwrap_or("")
                ));
            }
        }
        if events::is_terminal(&s.status) {
            return Ok(s);
        }
        b.wait().await;
    }
}

/// The first failed resource of the last operation, looking into a nested
/// stack when the failure is there.
async fn failure_cause<A: CloudFormation>(
    aws: &A,
    stack: &str,
    before: Option<&str>,
) -> Option<StackEvent> {
    let evs = aws.stack_events(stack, before).await.ok()?;
    let cause = events::root_cause(&evs)?.clone();
    if cause.resource_type == "AWS::CloudFormation::Stack" && cause.logical_id != stack {
        if let Some(nested) = &cause.physical_id {
            if let Ok(inner) = aws.stack_events(nested, None).await {
                if let Some(c) = events::root_cause(&inner) {
                    if c.resource_type != "AWS::CloudFormation::Stack" {
                        return Some(StackEvent {
                            logical_id: format!("{}/{}", cause.logical_id, c.logical_id),
                            ..c.clone()
                        });
                    }
                }
            }
        }
    }
    Some(cause)
}

/// The outputs of the stack and of its nested stacks.
pub async fn all_outputs<A: CloudFormation>(
    aws: &A,
    stack: &str,
) -> Result<BTreeMap<String, String>, String> {
    let s = aws
        .describe_stack(stack)
        .await?
        .ok_or_else(|| format!("stack {stack} does not exist"))?;
    let mut out = s.outputs.clone();
    if let Ok(resources) = aws.stack_resources(stack).await {
        for r in resources
            .iter()
            .filter(|r| r.resource_type == "AWS::CloudFormation::Stack")
        {
            if let Some(id) = &r.physical_id {
                if let Ok(Some(n)) = aws.describe_stack(id).await {
                    for (k, v) in n.outputs {
                        out.entry(k).or_insert(v);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `ferry diff`: the preview of what deploy would change, with no change
/// kept. Returns the rows (empty when nothing would change).
pub async fn diff<A: CloudFormation + Storage + Roles + Identity>(
    aws: &A,
    app: &App,
    record: &Record,
    ui: &Ui,
    pending: &Pending,
) -> Result<Vec<Row>, String> {
    let bucket = ensure_bootstrap(aws, ui).await?;
    let (mut artifacts, _) = upload_artifacts(aws, &bucket, "", app, record, ui).await?;
    artifacts.template_url_base = Some(
        aws.object_url(&bucket, "")
            .trim_end_matches('/')
            .to_string(),
    );
    let stacks = synth::synth(app, &artifacts);
    let opts = Options {
        yes: true,
        ..Options::default()
    };
    let planned = plan(aws, app, &stacks, &bucket, &opts, ui, pending).await;
    discard(aws, &app.stack_name(), pending).await;
    Ok(planned?.map(|p| p.rows).unwrap_or_default())
}

/// What `destroy` leaves behind: retained tables and buckets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeftBehind {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
}

/// `ferry destroy`: deletes the stack; lists the retained resources.
pub async fn destroy<A: CloudFormation>(
    aws: &A,
    app: &App,
    yes: bool,
    ui: &Ui,
) -> Result<Vec<LeftBehind>, String> {
    let stack = app.stack_name();
    let Some(s) = aws.describe_stack(&stack).await? else {
        return Err(format!("stack {stack} does not exist"));
    };
    let template: serde_json::Value =
        serde_json::from_str(&aws.get_template(&stack).await?).unwrap_or_default();
    let resources = aws.stack_resources(&stack).await.unwrap_or_default();
    let mut left = Vec::new();
    for (id, r) in template["Resources"].as_object().into_iter().flatten() {
        let ty = r["Type"].as_str().unwrap_or_default();
        if r["DeletionPolicy"] == "Retain"
            && matches!(
                ty,
                "AWS::DynamoDB::Table" | "AWS::S3::Bucket" | "AWS::SQS::Queue"
            )
        {
            left.push(LeftBehind {
                logical_id: id.clone(),
                resource_type: ty.to_string(),
                physical_id: resources
                    .iter()
                    .find(|x| &x.logical_id == id)
                    .and_then(|x| x.physical_id.clone()),
            });
        }
    }
    confirm(
        &Options {
            yes,
            ..Options::default()
        },
        ui,
        &format!("Delete stack {stack} and everything in it (except retained data)?"),
    )?;
    ui.info(&format!("Deleting stack {stack}"));
    aws.delete_stack(&s.id).await?;
    let after = wait_stack(aws, &s.id).await?;
    if after.status != "DELETE_COMPLETE" {
        return Err(format!(
            "stack {stack} is {}: {}",
            after.status,
            after.status_reason.unwrap_or_default()
        ));
    }
    Ok(left)
}
