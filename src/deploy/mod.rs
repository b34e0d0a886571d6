//! Deploy: the stack lifecycle on AWS through change sets.
//!
//! `deploy` follows the ten steps of the contract: bootstrap, content-
//! addressed uploads, role preflight, a change set (CREATE or UPDATE), "no
//! changes" as success, a preview with risks and the data-loss guard,
//! confirmation, execution followed through stack events, and the root
//! cause of a failure. Every AWS call goes through the traits of `aws`, so
//! the same code runs against AWS, a local emulator, or recorded responses.

pub mod bootstrap;
pub mod error;
pub mod events;
pub mod hotswap;
pub mod preview;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::aws::{
    ChangeSetKind, ChangeSetRequest, CloudFormation, FunctionCode, Identity, Roles, Stack,
    StackEvent, Storage, TemplateSource,
};
use crate::build::Record;
use crate::manifest::model::App;
use crate::names;
use crate::synth::split::{self, Placement};
use crate::synth::{self, Artifact, Artifacts, Stacks};
pub use error::Error;
use preview::{Risk, Row};

/// How deploy talks to the person running it.
pub struct Ui {
    pub quiet: bool,
    /// A terminal to ask on (and not CI).
    pub interactive: bool,
    /// Asks a yes/no question on the terminal (blocking: deploy runs it on
    /// a thread of its own, so that Ctrl-C is seen while it waits).
    pub confirm: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// Prints a progress line (stderr).
    pub say: Box<dyn Fn(&str) + Send + Sync>,
    /// Shows where a stack operation is (a progress bar on a terminal);
    /// `None`: the lines of `say` only.
    pub progress: Option<ShowProgress>,
}

/// Draws a `Progress`.
pub type ShowProgress = Box<dyn Fn(&Progress) + Send + Sync>;

/// Where a stack operation is: resources done of the total, and the
/// resources in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub in_progress: Vec<String>,
    /// The operation is over (the last call).
    pub finished: bool,
    /// What `done` and `total` count.
    pub unit: Unit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Resources of a stack operation.
    Resources,
    /// Bytes of artifact uploads.
    Bytes,
}

impl Progress {
    fn bytes(done: u64, total: u64, uploading: &str, finished: bool) -> Progress {
        Progress {
            done: done as usize,
            total: total as usize,
            in_progress: vec![uploading.to_string()],
            finished,
            unit: Unit::Bytes,
        }
    }
}

impl Ui {
    pub fn info(&self, s: &str) {
        if !self.quiet {
            (self.say)(s);
        }
    }

    fn show(&self, p: Progress) {
        if let Some(show) = &self.progress {
            show(&p);
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub yes: bool,
    pub no_execute: bool,
    pub allow_data_loss: bool,
    /// How long any one wait for CloudFormation may take.
    pub wait_timeout: Duration,
    /// Update function code directly when nothing else changed.
    pub hotswap: bool,
    /// With `hotswap`: when more than code changed, return
    /// `Outcome::NeedsChangeSet` instead of taking the change-set path.
    pub hotswap_only: bool,
}

/// The default of `--wait-timeout`.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

impl Default for Options {
    fn default() -> Self {
        Options {
            yes: false,
            no_execute: false,
            allow_data_loss: false,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            hotswap: false,
            hotswap_only: false,
        }
    }
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
    /// `--hotswap`: function code updated in place, no change set.
    Hotswapped {
        functions: Vec<hotswap::Swapped>,
    },
    /// `hotswap_only`: more than code changed; nothing was deployed.
    NeedsChangeSet {
        reasons: Vec<String>,
    },
}

/// Where a deploy is, for what Ctrl-C or an error must clean up or say.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Stage {
    /// Nothing created on AWS that must be undone.
    #[default]
    Idle,
    /// A change set ferry created and has not executed: deleted on any exit
    /// (with the empty stack CloudFormation made for it, when `new_stack`).
    Created {
        stack: String,
        change_set: String,
        new_stack: bool,
    },
    /// Execution was asked for: CloudFormation goes on whatever ferry does.
    Executing { stack: String },
}

/// The change set ferry created and has not executed yet, or the stack
/// being changed: what to delete, or what to say, when anything fails or
/// the user presses Ctrl-C.
#[derive(Default)]
pub struct Pending {
    stage: Mutex<Stage>,
}

impl Pending {
    fn set(&self, stage: Stage) {
        *self.stage.lock().expect("lock") = stage;
    }

    fn created(&self, stack: &str, change_set: &str, kind: ChangeSetKind) {
        self.set(Stage::Created {
            stack: stack.to_string(),
            change_set: change_set.to_string(),
            new_stack: kind == ChangeSetKind::Create,
        });
    }

    pub fn stage(&self) -> Stage {
        self.stage.lock().expect("lock").clone()
    }

    pub fn is_set(&self) -> bool {
        matches!(self.stage(), Stage::Created { .. })
    }

    /// Takes the pending change set, if any.
    pub fn take(&self) -> Option<String> {
        let mut stage = self.stage.lock().expect("lock");
        match std::mem::take(&mut *stage) {
            Stage::Created { change_set, .. } => Some(change_set),
            other => {
                *stage = other;
                None
            }
        }
    }

    /// What to tell the user after Ctrl-C, once the change set (if any) is
    /// deleted: whether anything changed, and how to follow it.
    pub fn interrupted_message(&self) -> String {
        match self.stage() {
            Stage::Executing { stack } => format!(
                "interrupted: the deploy goes on in CloudFormation (stack {stack}); follow it with `ferry info`, the CloudFormation console or `aws cloudformation describe-stack-events --stack-name {stack}`; the next `ferry deploy` waits for it to finish"
            ),
            _ => {
                "interrupted: nothing was changed (the change set, if any, was deleted)".to_string()
            }
        }
    }
}

/// Ctrl-C during `work`: deletes the change set ferry made (and the empty
/// stack CloudFormation made for it), and says what happened.
pub async fn interruptible<A: CloudFormation, T>(
    aws: &A,
    pending: &Pending,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    // Biased: the Ctrl-C handler is installed before any work starts.
    tokio::select! {
        biased;
        _ = tokio::signal::ctrl_c() => {
            let message = pending.interrupted_message();
            discard(aws, pending).await;
            Err(Error::Interrupted(message))
        }
        r = work => r,
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

    /// The next pause, cut to `left`.
    pub async fn wait_within(&mut self, left: Duration) {
        tokio::time::sleep(self.next.min(left)).await;
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
) -> Result<Option<String>, Error> {
    if let Some(b) = stack.outputs.get(bootstrap::BUCKET_OUTPUT) {
        return Ok(Some(b.clone()));
    }
    let resources = aws.stack_resources(&stack.name).await?;
    Ok(resources
        .into_iter()
        .find(|r| r.logical_id == "ArtifactBucket")
        .and_then(|r| r.physical_id))
}

/// True for a stack CloudFormation holds only for a change set that was
/// never executed: it has no resources and is "not created yet".
fn not_created(status: &str) -> bool {
    matches!(status, "REVIEW_IN_PROGRESS" | "DELETE_COMPLETE")
}

/// Deletes a stack that CloudFormation holds only for a change set that was
/// never executed (REVIEW_IN_PROGRESS: no resources, so nothing is lost),
/// so that the next change set creates it afresh.
async fn clear_not_created<A: CloudFormation>(
    aws: &A,
    s: &Stack,
    ui: &Ui,
    timeout: Duration,
) -> Result<(), Error> {
    ui.info(&format!(
        "Stack {} is {}: it was made for a change set that was never executed and holds nothing; deleting it",
        s.name, s.status
    ));
    aws.delete_stack(&s.id).await?;
    let after = wait_stack(aws, &s.id, timeout).await?;
    if after.status != "DELETE_COMPLETE" {
        return Err(Error::Stopped(format!(
            "could not delete stack {} ({}): {}",
            s.name,
            after.status,
            after.status_reason.unwrap_or_default()
        )));
    }
    Ok(())
}

/// Makes sure the bootstrap stack exists; returns the artifact bucket.
pub async fn ensure_bootstrap<A: CloudFormation>(
    aws: &A,
    ui: &Ui,
    timeout: Duration,
    pending: &Pending,
) -> Result<String, Error> {
    if let Some(mut s) = aws.describe_stack(names::BOOTSTRAP_STACK).await? {
        if !events::is_terminal(&s.status) && !not_created(&s.status) {
            ui.info(&format!(
                "Stack {} is {}; waiting for it to finish",
                s.name, s.status
            ));
            s = wait_stack(aws, &s.name, timeout).await?;
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
    let stack = bootstrap_stack(aws, ui, timeout, pending).await?;
    bootstrap_bucket(aws, &stack).await?.ok_or_else(|| {
        Error::Stopped(format!(
            "the {} stack has no artifact bucket",
            names::BOOTSTRAP_STACK
        ))
    })
}

/// Creates or updates the bootstrap stack (`ferry bootstrap`). On any
/// error the change set it made, and the empty stack of a first create,
/// are deleted.
pub async fn bootstrap_stack<A: CloudFormation>(
    aws: &A,
    ui: &Ui,
    timeout: Duration,
    pending: &Pending,
) -> Result<Stack, Error> {
    let r = bootstrap_steps(aws, ui, timeout, pending).await;
    if r.is_err() {
        discard(aws, pending).await;
    }
    r
}

async fn bootstrap_steps<A: CloudFormation>(
    aws: &A,
    ui: &Ui,
    timeout: Duration,
    pending: &Pending,
) -> Result<Stack, Error> {
    let name = names::BOOTSTRAP_STACK;
    let mut existing = aws.describe_stack(name).await?;
    if let Some(s) = existing
        .as_ref()
        .filter(|s| !events::is_terminal(&s.status) && !not_created(&s.status))
    {
        ui.info(&format!(
            "Stack {name} is {}; waiting for it to finish",
            s.status
        ));
        existing = Some(wait_stack(aws, name, timeout).await?);
    }
    let kind = match &existing {
        None => ChangeSetKind::Create,
        Some(s) if s.status == "DELETE_COMPLETE" => ChangeSetKind::Create,
        Some(s) if s.status == "REVIEW_IN_PROGRESS" => {
            clear_not_created(aws, s, ui, timeout).await?;
            ChangeSetKind::Create
        }
        Some(s) if s.status == "ROLLBACK_COMPLETE" || s.status == "ROLLBACK_FAILED" => {
            aws.delete_stack(&s.id).await?;
            wait_stack(aws, &s.id, timeout).await?;
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
    pending.created(name, &id, kind);
    let cs = wait_change_set(aws, &id, timeout).await?;
    if cs.status == "FAILED" {
        if no_changes(cs.status_reason.as_deref()) {
            discard(aws, pending).await;
            ui.info(&format!("{name} is up to date."));
            return aws
                .describe_stack(name)
                .await?
                .ok_or_else(|| Error::Stopped(format!("{name} disappeared")));
        }
        return Err(Error::Stopped(format!(
            "cannot create the change set for {name}: {}",
            cs.status_reason.unwrap_or_default()
        )));
    }
    pending.set(Stage::Executing {
        stack: name.to_string(),
    });
    aws.execute_change_set(&id).await?;
    let s = wait_stack(aws, name, timeout).await?;
    pending.set(Stage::Idle);
    if !events::is_success(&s.status) {
        return Err(Error::Stopped(format!(
            "{name} ended in {}: {}",
            s.status,
            s.status_reason.unwrap_or_default()
        )));
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

/// True when a change set failed only because it has nothing to change.
/// CloudFormation says so in the change set's status reason, which is text
/// only (the status is a plain `FAILED`, with no code), so this is the one
/// place ferry reads that text; both wordings CloudFormation uses are kept.
fn no_changes(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| {
        r.contains("didn't contain changes") || r.contains("No updates are to be performed")
    })
}

/// A wait's limit, for messages: `30 minutes`, `90 seconds`.
fn human_wait(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 && s % 60 == 0 {
        format!("{} minute{}", s / 60, if s == 60 { "" } else { "s" })
    } else {
        format!("{s} second{}", if s == 1 { "" } else { "s" })
    }
}

/// Waits until a change set is created or has failed, at most `timeout`.
pub async fn wait_change_set<A: CloudFormation>(
    aws: &A,
    id: &str,
    timeout: Duration,
) -> Result<crate::aws::ChangeSet, Error> {
    let mut b = Backoff::new();
    let started = Instant::now();
    loop {
        let cs = aws.describe_change_set(id).await?;
        if matches!(
            cs.status.as_str(),
            "CREATE_COMPLETE" | "FAILED" | "DELETE_COMPLETE" | "DELETE_FAILED"
        ) {
            return Ok(cs);
        }
        if started.elapsed() >= timeout {
            return Err(Error::Stopped(format!(
                "the change set {id} is still {} after {}: it was deleted; try again later, or raise the limit with --wait-timeout",
                cs.status,
                human_wait(timeout)
            )));
        }
        b.wait_within(timeout.saturating_sub(started.elapsed()))
            .await;
    }
}

/// Waits until a stack is in no `*_IN_PROGRESS` status, at most
/// `timeout`; then a clear error naming the stack, its status and what to
/// do. Callers handle REVIEW_IN_PROGRESS (a stack not created yet) first.
pub async fn wait_stack<A: CloudFormation>(
    aws: &A,
    name: &str,
    timeout: Duration,
) -> Result<Stack, Error> {
    let mut b = Backoff::new();
    let started = Instant::now();
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
            Some(s) if started.elapsed() >= timeout => {
                return Err(Error::Stopped(still_in_progress(&s, timeout)));
            }
            Some(_) => {
                b.wait_within(timeout.saturating_sub(started.elapsed()))
                    .await
            }
        }
    }
}

/// The error when a stack operation outlasts `--wait-timeout`.
fn still_in_progress(s: &Stack, timeout: Duration) -> String {
    format!(
        "stack {} is still {} after {}; ferry stopped waiting, CloudFormation goes on with it.\nFollow it with `ferry info`, the CloudFormation console or `aws cloudformation describe-stack-events --stack-name {}`, then run ferry again (or raise the limit with --wait-timeout)",
        s.name,
        s.status,
        human_wait(timeout),
        s.name
    )
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
) -> Result<(Artifacts, usize), Error> {
    let mut artifacts = Artifacts {
        bucket: Some(bucket.to_string()),
        ..Artifacts::default()
    };
    let mut missing = Vec::new();
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
                missing.push((kind, name, key.clone(), a));
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
    let total: u64 = missing.iter().map(|m| m.3.size).sum();
    let mut sent = 0;
    for (kind, name, key, a) in &missing {
        let bytes = std::fs::read(app.root().join(&a.path))
            .map_err(|e| format!("cannot read {}: {e} (run `ferry build`)", a.path.display()))?;
        if crate::build::archive::sha256_hex(&bytes) != a.sha256 {
            return Err(Error::Stopped(format!(
                "{} changed since `ferry build` recorded it: run `ferry build` again",
                a.path.display()
            )));
        }
        ui.info(&format!(
            "Uploading {kind} {name} ({})",
            crate::build::archive::human(bytes.len() as u64)
        ));
        let size = bytes.len() as u64;
        ui.show(Progress::bytes(sent, total.max(sent + size), name, false));
        s3.put_object(bucket, key, bytes, &a.sha256).await?;
        sent += size;
        ui.show(Progress::bytes(sent, total.max(sent), name, sent >= total));
    }
    Ok((artifacts, missing.len()))
}

/// Uploads the templates (nested ones first) under content-addressed keys;
/// returns the root's URL.
pub async fn upload_templates<S: Storage>(
    s3: &S,
    bucket: &str,
    prefix: &str,
    app: &App,
    stacks: &Stacks,
) -> Result<String, Error> {
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
pub async fn preflight_roles<R: Roles>(iam: &R, app: &App) -> Result<(), Error> {
    for (name, f) in &app.functions {
        let Some(arn) = f.role.as_ref().and_then(|r| r.as_literal()) else {
            continue;
        };
        let role_name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        match iam.trust_policy(&role_name).await? {
            None => {
                return Err(Error::Stopped(format!(
                    "function `{name}`: the role {arn} does not exist"
                )));
            }
            Some(doc) if !doc.contains("lambda.amazonaws.com") => {
                return Err(Error::Stopped(format!(
                    "function `{name}`: the role {arn} does not trust lambda.amazonaws.com, so Lambda cannot use it"
                )));
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
) -> Result<ChangeSetKind, Error> {
    let Some(mut s) = aws.describe_stack(stack).await? else {
        return Ok(ChangeSetKind::Create);
    };
    if !events::is_terminal(&s.status) && !not_created(&s.status) {
        ui.info(&format!(
            "Stack {stack} is {}; waiting for it to finish",
            s.status
        ));
        s = wait_stack(aws, stack, opts.wait_timeout).await?;
    }
    match s.status.as_str() {
        "DELETE_COMPLETE" => Ok(ChangeSetKind::Create),
        "REVIEW_IN_PROGRESS" => {
            clear_not_created(aws, &s, ui, opts.wait_timeout).await?;
            Ok(ChangeSetKind::Create)
        }
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
            ui.info(&format!(
                "Stack {stack} is in {} after a failed first deploy: it holds nothing and must be deleted before it can be created again.",
                s.status
            ));
            confirm(opts, ui, &format!("Delete stack {stack} and deploy again?")).await?;
            aws.delete_stack(&s.id).await?;
            let after = wait_stack(aws, &s.id, opts.wait_timeout).await?;
            if after.status != "DELETE_COMPLETE" {
                return Err(Error::Stopped(format!(
                    "could not delete stack {stack}: {}",
                    after.status_reason.unwrap_or(after.status)
                )));
            }
            Ok(ChangeSetKind::Create)
        }
        "UPDATE_ROLLBACK_FAILED" => Err(Error::Stopped(format!(
            "stack {stack} is in UPDATE_ROLLBACK_FAILED: a rollback could not finish ({}).\nFix what blocked it, then run\n  aws cloudformation continue-update-rollback --stack-name {stack}\n(add --resources-to-skip for resources that cannot roll back) and deploy again",
            s.status_reason.unwrap_or_default()
        ))),
        "DELETE_FAILED" => Err(Error::Stopped(format!(
            "stack {stack} is in DELETE_FAILED ({}): finish deleting it with `ferry destroy` or the console, then deploy again",
            s.status_reason.unwrap_or_default()
        ))),
        _ => Ok(ChangeSetKind::Update),
    }
}

/// Asks on a terminal; with no terminal, `--yes` is required. The question
/// waits on a thread of its own, so that Ctrl-C cancels at once.
async fn confirm(opts: &Options, ui: &Ui, question: &str) -> Result<(), Error> {
    if opts.yes {
        return Ok(());
    }
    if !ui.interactive {
        return Err(Error::Stopped(
            "no terminal to confirm on: pass --yes to deploy without asking (or --no-execute to keep the change set for review)"
                .to_string(),
        ));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let ask = ui.confirm.clone();
    let question = question.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(ask(&question));
    });
    if rx.await.unwrap_or(false) {
        Ok(())
    } else {
        Err(Error::Stopped("cancelled: nothing was changed".to_string()))
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
) -> Result<Option<Planned>, Error> {
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
    pending.created(&stack, &id, kind);
    let cs = wait_change_set(aws, &id, opts.wait_timeout).await?;
    if cs.status == "FAILED" {
        discard(aws, pending).await;
        if no_changes(cs.status_reason.as_deref()) {
            return Ok(None);
        }
        return Err(Error::Stopped(format!(
            "CloudFormation refused the change set: {}",
            cs.status_reason.unwrap_or_default()
        )));
    }
    let mut rows = preview::rows(&cs.changes, "");
    for c in &cs.changes {
        if let Some(nested) = &c.nested_change_set {
            let n = wait_change_set(aws, nested, opts.wait_timeout).await?;
            rows.extend(preview::rows(&n.changes, &c.logical_id));
        }
    }
    // CloudFormation names the policy action of a removal; where it does
    // not (some emulators), the deployed templates tell which log groups
    // are retained.
    let log_group_removed = rows.iter().any(|r| {
        r.action == "Remove" && r.resource_type == "AWS::Logs::LogGroup" && r.risk == Risk::DataLoss
    });
    if log_group_removed {
        let retained = retained_in_deployed(aws, &stack).await;
        for r in rows.iter_mut() {
            if r.action == "Remove"
                && r.resource_type == "AWS::Logs::LogGroup"
                && r.risk == Risk::DataLoss
                && retained.contains(&r.logical_id)
            {
                r.risk = Risk::Retained;
            }
        }
    }
    Ok(Some(Planned {
        id,
        kind,
        rows: preview::with_moves(rows),
    }))
}

/// The whole deploy, from an app already validated, synthesized and built.
pub async fn deploy<A: CloudFormation + Storage + Roles + Identity + FunctionCode>(
    aws: &A,
    app: &App,
    record: &Record,
    opts: &Options,
    ui: &Ui,
    pending: &Pending,
) -> Result<Outcome, Error> {
    let result = async {
        let bucket = ensure_bootstrap(aws, ui, opts.wait_timeout, pending).await?;
        let (mut artifacts, uploaded) = upload_artifacts(aws, &bucket, "", app, record, ui).await?;
        if uploaded == 0 && !record.functions.is_empty() {
            ui.info("Artifacts are up to date: nothing to upload");
        }
        artifacts.template_url_base = Some(
            aws.object_url(&bucket, "")
                .trim_end_matches('/')
                .to_string(),
        );
        let stacks = placed_stacks(aws, app, &artifacts, opts).await?;
        if opts.hotswap {
            if let Some(done) =
                try_hotswap(aws, app, &stacks, &artifacts, &bucket, opts, ui).await?
            {
                return Ok(done);
            }
        }
        deploy_planned(aws, app, &stacks, &bucket, opts, ui, pending).await
    }
    .await;
    if result.is_err() {
        discard(aws, pending).await;
    }
    result
}

/// Refuses a hotswap on a `protected` stage, before anything is done.
pub fn check_hotswap_allowed(app: &App, what: &str) -> Result<(), Error> {
    if app.protected {
        return Err(Error::Stopped(format!(
            "stage {} is protected: {what} is refused there (run `ferry deploy` without --hotswap: a change set, previewed and guarded)",
            app.stage
        )));
    }
    Ok(())
}

/// Refuses credentials of another account than the one the stage is bound
/// to (`stages.<name>.account`), before anything is changed. Asks STS only
/// when the stage names an account.
pub async fn check_account<A: Identity>(aws: &A, app: &App) -> Result<(), Error> {
    let Some(bound) = &app.account else {
        return Ok(());
    };
    let actual = aws.account_id().await?;
    if &actual != bound {
        return Err(Error::Stopped(format!(
            "stage {} is bound to account {bound}; these credentials are for {actual}.\nnothing was changed; use credentials (--profile) of account {bound}",
            app.stage
        )));
    }
    Ok(())
}

/// On a `protected` stage, `what` (destroy, deploy --allow-data-loss)
/// needs the stage's name typed back: `typed` is what was typed at the
/// prompt or given as `--confirm-stage`; `None` when neither was possible
/// (no terminal, no flag).
pub fn check_stage_typed(app: &App, what: &str, typed: Option<&str>) -> Result<(), Error> {
    if !app.protected {
        return Ok(());
    }
    match typed.map(str::trim) {
        Some(t) if t == app.stage => Ok(()),
        Some(t) => Err(Error::Stopped(format!(
            "`{t}` is not the stage name `{}`: {what} refused, nothing was changed",
            app.stage
        ))),
        None => Err(Error::Stopped(format!(
            "stage {} is protected: {what} needs the stage name typed back, and there is no terminal to ask on.\npass --confirm-stage {} to confirm; nothing was changed",
            app.stage, app.stage
        ))),
    }
}

/// The prompt of [`check_stage_typed`] on a terminal.
pub fn stage_prompt(app: &App) -> String {
    format!("type the stage name ({}) to confirm:", app.stage)
}

/// `--hotswap`: the outcome when only function code changed (or nothing);
/// `None` to take the change-set path, after saying why.
async fn try_hotswap<A: CloudFormation + FunctionCode>(
    aws: &A,
    app: &App,
    stacks: &Stacks,
    artifacts: &Artifacts,
    bucket: &str,
    opts: &Options,
    ui: &Ui,
) -> Result<Option<Outcome>, Error> {
    check_hotswap_allowed(app, "hotswap")?;
    let stack = app.stack_name();
    let deployed = deployed_templates(aws, &stack).await?;
    if deployed.is_empty() {
        ui.info(&format!(
            "Stack {stack} is not deployed yet: deploying through a change set"
        ));
        return Ok(None);
    }
    let live = hotswap::live_code(aws, app).await?;
    match hotswap::decide(app, &deployed, stacks, artifacts, &live) {
        hotswap::Decision::Nothing => Ok(Some(Outcome::NoChanges)),
        hotswap::Decision::Swap(swaps) => {
            let functions = hotswap::run(aws, bucket, &swaps, ui, opts.wait_timeout).await?;
            Ok(Some(Outcome::Hotswapped { functions }))
        }
        hotswap::Decision::ChangeSet(reasons) if opts.hotswap_only => {
            ui.info(&format!(
                "Not a code-only change, so no hotswap:\n{}",
                reasons
                    .iter()
                    .map(|r| format!("  {r}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
            Ok(Some(Outcome::NeedsChangeSet { reasons }))
        }
        hotswap::Decision::ChangeSet(reasons) => {
            ui.info(&format!(
                "Not a code-only change, so no hotswap:\n{}\nDeploying through a change set",
                reasons
                    .iter()
                    .map(|r| format!("  {r}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
            Ok(None)
        }
    }
}

/// The deployed templates of the stack and its nested stacks (empty when
/// the stack is not deployed).
pub async fn deployed_templates<A: CloudFormation>(
    aws: &A,
    stack: &str,
) -> Result<hotswap::Templates, Error> {
    let mut out = hotswap::Templates::new();
    let Some(s) = aws.describe_stack(stack).await? else {
        return Ok(out);
    };
    if not_created(&s.status) {
        return Ok(out);
    }
    for (prefix, id) in stack_tree(aws, &s).await? {
        let body = aws.get_template(&id).await?;
        let t: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
            format!("the deployed template of {stack} is not JSON that ferry wrote: {e}")
        })?;
        out.insert(prefix.trim_end_matches('/').to_string(), t);
    }
    Ok(out)
}

/// Where each resource of the app's deployed stack is (empty when the stack
/// does not exist yet): nested stacks are read one by one.
pub async fn deployed_placement<A: CloudFormation>(
    aws: &A,
    stack: &str,
) -> Result<Placement, Error> {
    let mut placement = Placement::new();
    let Some(s) = aws.describe_stack(stack).await? else {
        return Ok(placement);
    };
    if not_created(&s.status) {
        return Ok(placement);
    }
    // The root's resources from its template (one call, and one that
    // emulators answer for every template); nested stacks, only when there
    // are any, from their resource lists.
    let body = aws.get_template(&s.id).await?;
    let template: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
        Error::Stopped(format!(
            "the deployed template of {stack} is not JSON that ferry wrote: {e}"
        ))
    })?;
    let mut nested = false;
    for (id, r) in template["Resources"].as_object().into_iter().flatten() {
        if r["Type"] == crate::state::NESTED_STACK_TYPE {
            nested = true;
        } else {
            placement.insert(id.clone(), split::ROOT.to_string());
        }
    }
    if nested {
        for r in aws.stack_resources(&s.id).await? {
            if r.resource_type != crate::state::NESTED_STACK_TYPE {
                continue;
            }
            if let Some(id) = &r.physical_id {
                for inner in aws.stack_resources(id).await? {
                    placement.insert(inner.logical_id, r.logical_id.clone());
                }
            }
        }
    }
    Ok(placement)
}

/// The app's templates with every deployed resource kept in its stack.
/// Refuses (before any change) a placement that would still move a
/// resource between stacks: a move is a remove and an add, which loses a
/// stateful resource's data and fails for one with a fixed name.
pub async fn placed_stacks<A: CloudFormation>(
    aws: &A,
    app: &App,
    artifacts: &Artifacts,
    opts: &Options,
) -> Result<Stacks, Error> {
    let deployed = deployed_placement(aws, &app.stack_name()).await?;
    let stacks = synth::synth_placed(app, artifacts, &deployed);
    let moves = split::moves(&deployed, &stacks);
    let refused: Vec<&split::Move> = moves
        .iter()
        .filter(|m| !opts.allow_data_loss || !crate::state::is_stateful(&m.resource_type))
        .collect();
    if !refused.is_empty() {
        let list: Vec<String> = refused
            .iter()
            .map(|m| {
                format!(
                    "  Move {}: {} -> {} ({})",
                    m.logical_id,
                    split::stack_label(&m.from),
                    split::stack_label(&m.to),
                    m.resource_type
                )
            })
            .collect();
        return Err(Error::Stopped(format!(
            "this deploy would move resources between nested stacks, which replaces them:\n{}\nnothing was changed; ferry keeps deployed resources where they are, so this is a bug in ferry's placement: please report it with the manifest",
            list.join("\n")
        )));
    }
    Ok(stacks)
}

/// The resources of the deployed stack and its nested stacks whose
/// `DeletionPolicy` is Retain, named as preview rows name them
/// (`Nested1x0/OrdersTable` in a nested stack). Empty when unreadable.
async fn retained_in_deployed<A: CloudFormation>(
    aws: &A,
    stack: &str,
) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for (nested, t) in deployed_templates(aws, stack).await.unwrap_or_default() {
        for (logical, r) in t["Resources"].as_object().into_iter().flatten() {
            if r["DeletionPolicy"] == "Retain" {
                out.insert(if nested.is_empty() {
                    logical.clone()
                } else {
                    format!("{nested}/{logical}")
                });
            }
        }
    }
    out
}

/// Deletes the change set ferry created and did not execute, and the empty
/// stack CloudFormation made for it when the stack was new.
pub async fn discard<A: CloudFormation>(aws: &A, pending: &Pending) {
    let (stack, new_stack) = match pending.stage() {
        Stage::Created {
            stack, new_stack, ..
        } => (stack, new_stack),
        _ => return,
    };
    let Some(id) = pending.take() else { return };
    let _ = aws.delete_change_set(&id).await;
    if !new_stack {
        return;
    }
    if let Ok(Some(s)) = aws.describe_stack(&stack).await {
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
) -> Result<Outcome, Error> {
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
            .map(|r| {
                format!(
                    "  {} {} ({})",
                    r.action,
                    preview::describe(r),
                    r.resource_type
                )
            })
            .collect();
        return Err(Error::Stopped(format!(
            "this change set would remove or replace resources that hold data:\n{}\nnothing was changed; rename back, or pass --allow-data-loss if this is intended",
            list.join("\n")
        )));
    }
    if opts.no_execute {
        let id = pending.take().unwrap_or(planned.id);
        return Ok(Outcome::Kept {
            change_set: id,
            changes: planned.rows,
        });
    }
    confirm(opts, ui, "Deploy this change set?").await?;
    let stack = app.stack_name();
    let before = if planned.kind == ChangeSetKind::Update {
        aws.stack_events(&stack, None)
            .await?
            .first()
            .map(|e| e.id.clone())
    } else {
        None
    };
    pending.set(Stage::Executing {
        stack: stack.clone(),
    });
    aws.execute_change_set(&planned.id).await?;
    let final_stack = follow(
        aws,
        &stack,
        before.clone(),
        planned.rows.len(),
        ui,
        opts.wait_timeout,
    )
    .await?;
    pending.set(Stage::Idle);
    if events::is_success(&final_stack.status) {
        let outputs = all_outputs(aws, &stack).await?;
        return Ok(Outcome::Deployed {
            status: final_stack.status,
            changes: planned.rows,
            outputs,
        });
    }
    let cause = failure_cause(aws, &stack, before.as_deref()).await;
    Err(Error::Stopped(match cause {
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
    }))
}

/// Follows the stack's events until it reaches a final status, printing
/// each resource as it finishes.
async fn follow<A: CloudFormation>(
    aws: &A,
    stack: &str,
    mut last: Option<String>,
    total: usize,
    ui: &Ui,
    timeout: Duration,
) -> Result<Stack, Error> {
    let mut b = Backoff::new();
    let mut done = std::collections::BTreeSet::new();
    let mut busy = std::collections::BTreeSet::new();
    let started = Instant::now();
    loop {
        let s = aws
            .describe_stack(stack)
            .await?
            .ok_or_else(|| format!("stack {stack} disappeared"))?;
        if s.status == "REVIEW_IN_PROGRESS" && started.elapsed() > Duration::from_secs(120) {
            return Err(Error::Stopped(format!(
                "stack {stack} is still in REVIEW_IN_PROGRESS two minutes after the change set was executed"
            )));
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
            if e.status.ends_with("_IN_PROGRESS") {
                busy.insert(e.logical_id.clone());
            }
            if e.status.ends_with("_COMPLETE") || e.status.ends_with("_FAILED") {
                busy.remove(&e.logical_id);
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
        ui.show(Progress {
            done: done.len(),
            total: total.max(done.len()),
            in_progress: busy.iter().cloned().collect(),
            finished: events::is_terminal(&s.status),
            unit: Unit::Resources,
        });
        if events::is_terminal(&s.status) {
            return Ok(s);
        }
        if started.elapsed() >= timeout {
            return Err(Error::Stopped(still_in_progress(&s, timeout)));
        }
        b.wait_within(timeout.saturating_sub(started.elapsed()))
            .await;
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
) -> Result<BTreeMap<String, String>, Error> {
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
pub async fn diff<A: CloudFormation + Storage + Roles + Identity + FunctionCode>(
    aws: &A,
    app: &App,
    record: &Record,
    ui: &Ui,
    pending: &Pending,
    wait_timeout: Duration,
) -> Result<Vec<Row>, Error> {
    let opts = Options {
        yes: true,
        wait_timeout,
        ..Options::default()
    };
    let planned = async {
        let bucket = ensure_bootstrap(aws, ui, wait_timeout, pending).await?;
        let (mut artifacts, _) = upload_artifacts(aws, &bucket, "", app, record, ui).await?;
        artifacts.template_url_base = Some(
            aws.object_url(&bucket, "")
                .trim_end_matches('/')
                .to_string(),
        );
        let stacks = placed_stacks(aws, app, &artifacts, &opts).await?;
        plan(aws, app, &stacks, &bucket, &opts, ui, pending).await
    }
    .await;
    discard(aws, pending).await;
    let mut rows = planned?.map(|p| p.rows).unwrap_or_default();
    // Functions hotswapped since the last change set.
    let deployed = deployed_templates(aws, &app.stack_name()).await?;
    if !deployed.is_empty() {
        let live = hotswap::live_code(aws, app).await?;
        for (logical, _) in hotswap::drift(&deployed, app, &live) {
            rows.push(preview::drift_row(&logical));
        }
    }
    Ok(rows)
}

/// What `destroy` leaves behind: retained stateful resources.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeftBehind {
    /// `Nested1x0/OrdersTable` for a resource of a nested stack.
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
}

/// The stack and its nested stacks, each with its logical-ID prefix
/// (`""` for the root, `Nested1x0/` for a nested one) and stack ID.
pub(crate) async fn stack_tree<A: CloudFormation>(
    aws: &A,
    root: &Stack,
) -> Result<Vec<(String, String)>, Error> {
    let mut out = vec![(String::new(), root.id.clone())];
    let mut i = 0;
    while i < out.len() {
        let (prefix, id) = out[i].clone();
        for r in aws.stack_resources(&id).await.unwrap_or_default() {
            if r.resource_type == crate::state::NESTED_STACK_TYPE {
                if let Some(pid) = r.physical_id {
                    out.push((format!("{prefix}{}/", r.logical_id), pid));
                }
            }
        }
        i += 1;
    }
    Ok(out)
}

/// `ferry destroy`: deletes the stack; lists the retained resources of the
/// stack and of every nested stack. Refuses, before deleting anything, a
/// table that CloudFormation would have to delete while its deletion
/// protection is on (the delete would fail halfway).
pub async fn destroy<A: CloudFormation>(
    aws: &A,
    app: &App,
    yes: bool,
    ui: &Ui,
    wait_timeout: Duration,
) -> Result<Vec<LeftBehind>, Error> {
    let stack = app.stack_name();
    let Some(s) = aws.describe_stack(&stack).await? else {
        return Err(Error::Stopped(format!("stack {stack} does not exist")));
    };
    let mut left = Vec::new();
    let mut protected = Vec::new();
    for (prefix, id) in stack_tree(aws, &s).await? {
        let template: serde_json::Value =
            serde_json::from_str(&aws.get_template(&id).await?).unwrap_or_default();
        let resources = aws.stack_resources(&id).await.unwrap_or_default();
        for (logical, r) in template["Resources"].as_object().into_iter().flatten() {
            let ty = r["Type"].as_str().unwrap_or_default();
            if !crate::state::is_stateful(ty) {
                continue;
            }
            if r["DeletionPolicy"] == "Retain" {
                left.push(LeftBehind {
                    logical_id: format!("{prefix}{logical}"),
                    resource_type: ty.to_string(),
                    physical_id: resources
                        .iter()
                        .find(|x| &x.logical_id == logical)
                        .and_then(|x| x.physical_id.clone()),
                });
            } else if r["Properties"]["DeletionProtectionEnabled"] == true {
                protected.push(format!("{prefix}{logical}"));
            }
        }
    }
    if !protected.is_empty() {
        return Err(Error::Stopped(format!(
            "stack {stack} holds tables with deletion protection that it would delete ({}): CloudFormation cannot delete them, so the destroy would stop halfway.\nnothing was changed; set `deletion_protection: false` on them (or `retain: true` to keep them), deploy, then destroy",
            protected.join(", ")
        )));
    }
    confirm(
        &Options {
            yes,
            ..Options::default()
        },
        ui,
        &format!("Delete stack {stack} and everything in it (except retained data)?"),
    )
    .await?;
    ui.info(&format!("Deleting stack {stack}"));
    aws.delete_stack(&s.id).await?;
    let after = wait_stack(aws, &s.id, wait_timeout).await?;
    if after.status != "DELETE_COMPLETE" {
        return Err(Error::Stopped(format!(
            "stack {stack} is {}: {}",
            after.status,
            after.status_reason.unwrap_or_default()
        )));
    }
    Ok(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_c_says_whether_anything_changed() {
        let p = Pending::default();
        assert!(p.interrupted_message().contains("nothing was changed"));
        p.created("shop-dev", "cs-1", ChangeSetKind::Update);
        assert!(p.interrupted_message().contains("nothing was changed"));
        p.set(Stage::Executing {
            stack: "shop-dev".into(),
        });
        let m = p.interrupted_message();
        assert!(
            m.contains("goes on in CloudFormation (stack shop-dev)"),
            "{m}"
        );
        assert!(!m.contains("nothing was changed"), "{m}");
        assert_eq!(p.take(), None, "an executed change set is not deleted");
    }

    #[test]
    fn waits_are_named_in_minutes_or_seconds() {
        assert_eq!(human_wait(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(human_wait(Duration::from_secs(60)), "1 minute");
        assert_eq!(human_wait(Duration::from_secs(90)), "90 seconds");
        assert_eq!(human_wait(Duration::from_secs(1)), "1 second");
    }
}
