//! `ferry deploy --hotswap`: when the only difference between what would be
//! deployed and what is deployed is function code, update those functions
//! directly (UpdateFunctionCode, wait, PublishVersion, UpdateAlias) instead
//! of going through a change set.
//!
//! The decision is pure ([`decide`]): the deployed templates and each
//! function's deployed code against the new templates and zips. Templates
//! are compared whole, after taking out what a code change alone changes
//! (a function's `Code`, its version's logical ID and description, nested
//! templates' URLs), so that any other difference, an environment variable
//! included, sends the deploy through a change set.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::{Backoff, Ui};
use crate::aws::{AwsError, FunctionCode};
use crate::manifest::model::{App, Code, Strategy};
use crate::names;
use crate::synth::{Artifacts, Stacks};

/// Why a hotswap failed. Each keeps AWS's error, code included.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading a function's deployed code failed.
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// A step of one function's update failed.
    #[error("function {function}: {step}: {source}")]
    Step {
        function: String,
        /// `cannot update its code`, `cannot move its alias live`, ...
        step: String,
        #[source]
        source: AwsError,
    },
    /// Lambda no longer knows the function.
    #[error("function {0} disappeared")]
    Disappeared(String),
    /// Lambda reported the update as failed.
    #[error("function {function}: Lambda could not update its code: {reason}")]
    UpdateFailed { function: String, reason: String },
    /// The update did not finish within `--wait-timeout`.
    #[error(
        "function {function} is still updating after {seconds} s; try again later (or raise --wait-timeout)"
    )]
    StillUpdating { function: String, seconds: u64 },
    /// Some functions failed; the others were hotswapped.
    #[error("{}{}", lines(failed), finished_note(finished))]
    Failed {
        failed: Vec<Error>,
        finished: Vec<String>,
    },
}

impl Error {
    /// AWS's error code of the (first) AWS failure, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws(e) | Error::Step { source: e, .. } => e.code(),
            Error::Failed { failed, .. } => failed.iter().find_map(Error::code),
            _ => None,
        }
    }
}

fn lines(failed: &[Error]) -> String {
    failed
        .iter()
        .map(Error::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn finished_note(finished: &[String]) -> String {
    if finished.is_empty() {
        String::new()
    } else {
        format!("\nhotswapped before the failure: {}", finished.join(", "))
    }
}

/// The templates of a deployed stack: `""` for the root, the nested
/// stack's logical ID for each nested one.
pub type Templates = BTreeMap<String, Value>;

/// One function to update in place.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Swap {
    pub function: String,
    /// `<app>-<stage>-<function>`.
    pub physical: String,
    pub alias: String,
    /// The zip's key in the artifact bucket.
    pub key: String,
    /// SHA-256 (hex) of the deployed code and of the new zip.
    pub old_sha256: String,
    pub new_sha256: String,
}

/// What a hotswap deploy does.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Nothing differs.
    Nothing,
    /// Only the code of these functions differs.
    Swap(Vec<Swap>),
    /// Something else differs, or a function cannot be hotswapped: why,
    /// one line each. The deploy takes the change-set path.
    ChangeSet(Vec<String>),
}

/// Hex of a base64 SHA-256 (Lambda's `CodeSha256`).
pub fn hex_of_base64(b64: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Base64 of a hex SHA-256.
pub fn base64_of_hex(hex: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some(base64::engine::general_purpose::STANDARD.encode(bytes?))
}

/// A template with what a code-only change changes taken out.
pub fn normalized(template: &Value) -> Value {
    let mut t = template.clone();
    let mut renames = Vec::new();
    if let Some(resources) = t.get_mut("Resources").and_then(Value::as_object_mut) {
        for (id, r) in resources.iter_mut() {
            match r["Type"].as_str() {
                Some("AWS::Lambda::Function") if r["Properties"]["Code"].get("S3Key").is_some() => {
                    r["Properties"]["Code"] = json!("(code)");
                }
                Some("AWS::Lambda::Version") => {
                    let function = r["Properties"]["FunctionName"]["Ref"]
                        .as_str()
                        .unwrap_or(id)
                        .to_string();
                    renames.push((id.clone(), format!("{function}(version)")));
                    r["Properties"]["Description"] = json!("(code)");
                }
                Some("AWS::CloudFormation::Stack") => {
                    r["Properties"]["TemplateURL"] = json!("(url)");
                }
                _ => {}
            }
        }
    }
    if renames.is_empty() {
        return t;
    }
    let mut text = t.to_string();
    for (old, new) in renames {
        text = text
            .replace(&format!("\"{old}\""), &format!("\"{new}\""))
            .replace(&format!("${{{old}."), &format!("${{{new}."))
            .replace(&format!("${{{old}}}"), &format!("${{{new}}}"));
    }
    serde_json::from_str(&text).unwrap_or(t)
}

/// What differs between two normalized templates, one line each.
fn differences(stack: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    let place = if stack.is_empty() {
        String::new()
    } else {
        format!(" (in {stack})")
    };
    let empty = serde_json::Map::new();
    let resources = |t: &Value| t["Resources"].as_object().unwrap_or(&empty).clone();
    let (a, b) = (resources(old), resources(new));
    let ids: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for id in ids {
        match (a.get(id), b.get(id)) {
            (Some(_), None) => out.push(format!("{id} is removed{place}")),
            (None, Some(_)) => out.push(format!("{id} is added{place}")),
            (Some(x), Some(y)) if x != y => out.push(format!("{id} changes{place}")),
            _ => {}
        }
    }
    for section in ["Parameters", "Outputs", "Conditions", "Mappings"] {
        if old.get(section) != new.get(section) {
            out.push(format!("the template's {section} change{place}"));
        }
    }
}

/// Why a function's code cannot be updated in place, if it cannot.
fn not_hotswappable(name: &str, f: &crate::manifest::model::Function) -> Option<String> {
    if f.deployment != Strategy::AllAtOnce {
        return Some(format!(
            "function {name} is deployed gradually (its `deployment` strategy): CodeDeploy must shift its traffic"
        ));
    }
    if f.concurrency.provisioned.is_some() {
        return Some(format!(
            "function {name} has provisioned concurrency: its new version must be provisioned before the alias moves"
        ));
    }
    if !matches!(f.code, Code::Crate { .. }) {
        return Some(format!(
            "function {name} is a container image: its code is not a zip"
        ));
    }
    None
}

/// The decision, from the deployed templates and code (`live`: function
/// name -> deployed SHA-256 hex, `None` when not deployed) and the new
/// templates and artifacts.
pub fn decide(
    app: &App,
    deployed: &Templates,
    stacks: &Stacks,
    artifacts: &Artifacts,
    live: &BTreeMap<String, Option<String>>,
) -> Decision {
    let mut new: Templates = BTreeMap::new();
    new.insert(String::new(), stacks.root.to_value());
    for (id, t) in &stacks.nested {
        new.insert(id.clone(), t.to_value());
    }
    let mut reasons = Vec::new();
    let keys: BTreeSet<&String> = deployed.keys().chain(new.keys()).collect();
    for k in keys {
        match (deployed.get(k), new.get(k)) {
            (Some(a), Some(b)) => differences(k, &normalized(a), &normalized(b), &mut reasons),
            (None, Some(_)) => reasons.push(format!("nested stack {k} is added")),
            (Some(_), None) => reasons.push(format!("nested stack {k} is removed")),
            (None, None) => {}
        }
    }
    let mut swaps = Vec::new();
    for (name, f) in &app.functions {
        let Some(artifact) = artifacts.functions.get(name) else {
            continue;
        };
        let deployed_sha = live.get(name).cloned().flatten();
        if deployed_sha.as_deref() == Some(artifact.sha256.as_str()) {
            continue;
        }
        let Some(old) = deployed_sha else {
            reasons.push(format!("function {name} is not deployed yet"));
            continue;
        };
        if let Some(why) = not_hotswappable(name, f) {
            reasons.push(why);
            continue;
        }
        swaps.push(Swap {
            function: name.clone(),
            physical: names::physical(&app.name, &app.stage, name),
            alias: f.alias.clone(),
            key: artifact.key.clone(),
            old_sha256: old,
            new_sha256: artifact.sha256.clone(),
        });
    }
    if !reasons.is_empty() {
        return Decision::ChangeSet(reasons);
    }
    if swaps.is_empty() {
        Decision::Nothing
    } else {
        Decision::Swap(swaps)
    }
}

/// The deployed code of each function built from a crate, as SHA-256 hex.
pub async fn live_code<A: FunctionCode>(
    aws: &A,
    app: &App,
) -> Result<BTreeMap<String, Option<String>>, Error> {
    let mut out = BTreeMap::new();
    for (name, f) in &app.functions {
        if !matches!(f.code, Code::Crate { .. }) {
            continue;
        }
        let physical = names::physical(&app.name, &app.stage, name);
        let config = aws.function_config(&physical).await?;
        out.insert(
            name.clone(),
            config
                .and_then(|c| c.code_sha256)
                .and_then(|sha| hex_of_base64(&sha)),
        );
    }
    Ok(out)
}

/// One hotswapped function.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Swapped {
    pub function: String,
    pub old_sha256: String,
    pub new_sha256: String,
    pub version: String,
    pub seconds: f64,
}

/// How many functions are updated at once.
const PARALLEL: usize = 4;

/// Updates each function's code, waits for it, publishes a version of
/// exactly that code and moves the alias to it; functions in parallel.
pub async fn run<A: FunctionCode>(
    aws: &A,
    bucket: &str,
    swaps: &[Swap],
    ui: &Ui,
    timeout: Duration,
) -> Result<Vec<Swapped>, Error> {
    use futures_util::stream::{self, StreamExt};
    let results: Vec<Result<Swapped, Error>> = stream::iter(swaps)
        .map(|s| swap_one(aws, bucket, s, ui, timeout))
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(s) => done.push(s),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        let finished = done.iter().map(|s| s.function.clone()).collect();
        return Err(Error::Failed { failed, finished });
    }
    done.sort_by(|a, b| a.function.cmp(&b.function));
    Ok(done)
}

fn sha8(hex: &str) -> &str {
    hex.get(..8).unwrap_or(hex)
}

async fn swap_one<A: FunctionCode>(
    aws: &A,
    bucket: &str,
    s: &Swap,
    ui: &Ui,
    timeout: Duration,
) -> Result<Swapped, Error> {
    let started = Instant::now();
    let phase = |name: &str, since: Instant| {
        ui.info(&format!(
            "  {:<24} {name:<8} {:.1} s",
            s.function,
            since.elapsed().as_secs_f64()
        ));
    };
    let fail = |step: &str, source: AwsError| Error::Step {
        function: s.function.clone(),
        step: step.to_string(),
        source,
    };
    let t = Instant::now();
    aws.update_code(&s.physical, bucket, &s.key)
        .await
        .map_err(|e| fail("cannot update its code", e))?;
    // Wait until Lambda has the new code.
    let mut b = Backoff::new();
    loop {
        let state = aws
            .function_config(&s.physical)
            .await
            .map_err(|e| fail("cannot read its state", e))?
            .ok_or_else(|| Error::Disappeared(s.function.clone()))?;
        match state.last_update_status.as_deref() {
            Some("Failed") => {
                return Err(Error::UpdateFailed {
                    function: s.function.clone(),
                    reason: state.last_update_reason.unwrap_or_default(),
                });
            }
            Some("InProgress") => {}
            _ if state
                .code_sha256
                .as_deref()
                .and_then(hex_of_base64)
                .as_deref()
                == Some(s.new_sha256.as_str()) =>
            {
                break;
            }
            _ => {}
        }
        if t.elapsed() >= timeout {
            return Err(Error::StillUpdating {
                function: s.function.clone(),
                seconds: timeout.as_secs(),
            });
        }
        b.wait_within(timeout.saturating_sub(t.elapsed())).await;
    }
    phase("update", t);
    let t = Instant::now();
    let sha = base64_of_hex(&s.new_sha256).unwrap_or_default();
    let version = aws
        .publish_version(
            &s.physical,
            &sha,
            &format!("ferry hotswap {}", sha8(&s.new_sha256)),
        )
        .await
        .map_err(|e| fail("cannot publish a version", e))?;
    phase("publish", t);
    let t = Instant::now();
    aws.update_alias(&s.physical, &s.alias, &version)
        .await
        .map_err(|e| fail(&format!("cannot move its alias {}", s.alias), e))?;
    phase("alias", t);
    let seconds = started.elapsed().as_secs_f64();
    ui.info(&format!(
        "hotswapped {} ({} -> {}) in {seconds:.1} s",
        s.function,
        sha8(&s.old_sha256),
        sha8(&s.new_sha256)
    ));
    Ok(Swapped {
        function: s.function.clone(),
        old_sha256: s.old_sha256.clone(),
        new_sha256: s.new_sha256.clone(),
        version,
        seconds,
    })
}

/// Functions whose deployed code is not the code their deployed template
/// names (`<app>/<sha256>.zip`): hotswapped since the last change set.
/// Returns (logical ID as preview rows name it, function).
pub fn drift(
    deployed: &Templates,
    app: &App,
    live: &BTreeMap<String, Option<String>>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (stack, t) in deployed {
        for (id, r) in t["Resources"].as_object().into_iter().flatten() {
            if r["Type"] != "AWS::Lambda::Function" {
                continue;
            }
            let Some(key) = r["Properties"]["Code"]["S3Key"].as_str() else {
                continue;
            };
            let Some(physical) = r["Properties"]["FunctionName"].as_str() else {
                continue;
            };
            let Some(name) = app
                .functions
                .keys()
                .find(|n| names::physical(&app.name, &app.stage, n) == physical)
            else {
                continue;
            };
            let template_sha = key
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".zip"))
                .unwrap_or_default();
            if let Some(Some(live_sha)) = live.get(name) {
                if live_sha != template_sha && template_sha.len() == 64 {
                    let logical = if stack.is_empty() {
                        id.clone()
                    } else {
                        format!("{stack}/{id}")
                    };
                    out.push((logical, name.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lambda refusing every code update with this error code.
    struct Refusing(&'static str);

    impl crate::aws::Inspect for Refusing {
        async fn function_config(
            &self,
            _: &str,
        ) -> crate::aws::AwsResult<Option<crate::aws::FunctionConfig>> {
            Ok(None)
        }
        async fn alias_version(&self, _: &str, _: &str) -> crate::aws::AwsResult<Option<String>> {
            Ok(None)
        }
    }

    impl FunctionCode for Refusing {
        async fn update_code(&self, _: &str, _: &str, _: &str) -> crate::aws::AwsResult<()> {
            Err(AwsError {
                code: Some(self.0.into()),
                message: "UpdateFunctionCode: Rate exceeded".into(),
            })
        }
        async fn publish_version(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> crate::aws::AwsResult<String> {
            Ok("1".into())
        }
        async fn update_alias(&self, _: &str, _: &str, _: &str) -> crate::aws::AwsResult<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_step_keeps_the_aws_code_through_the_deploy_error() {
        let swap = |f: &str| Swap {
            function: f.into(),
            physical: format!("shop-dev-{f}"),
            alias: "live".into(),
            key: "shop/new.zip".into(),
            old_sha256: "a".repeat(64),
            new_sha256: "b".repeat(64),
        };
        let ui = Ui {
            quiet: true,
            interactive: false,
            confirm: std::sync::Arc::new(|_| false),
            say: Box::new(|_| {}),
            progress: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let e = rt
            .block_on(run(
                &Refusing("TooManyRequestsException"),
                "bucket",
                &[swap("api")],
                &ui,
                Duration::from_secs(5),
            ))
            .unwrap_err();
        assert!(
            matches!(&e, Error::Failed { failed, finished } if failed.len() == 1 && finished.is_empty())
        );
        assert_eq!(e.code(), Some("TooManyRequestsException"));
        assert_eq!(
            e.to_string(),
            "function api: cannot update its code: UpdateFunctionCode: Rate exceeded"
        );
        let e = super::super::Error::from(e);
        assert_eq!(e.code(), Some("TooManyRequestsException"));
        assert_eq!(
            e.to_string(),
            "function api: cannot update its code: UpdateFunctionCode: Rate exceeded"
        );
    }

    #[test]
    fn sha_forms_round_trip() {
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let b64 = base64_of_hex(hex).unwrap();
        assert_eq!(b64, "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
        assert_eq!(hex_of_base64(&b64).as_deref(), Some(hex));
    }

    #[test]
    fn a_code_change_alone_normalizes_away() {
        let old = json!({ "Resources": {
            "ApiFunction": { "Type": "AWS::Lambda::Function", "Properties": { "Code": { "S3Bucket": "b", "S3Key": "a/1.zip" }, "MemorySize": 128 } },
            "ApiVersionaaaa": { "Type": "AWS::Lambda::Version", "Properties": { "FunctionName": { "Ref": "ApiFunction" }, "Description": "ferry aaaa" } },
            "ApiAlias": { "Type": "AWS::Lambda::Alias", "Properties": { "FunctionVersion": { "Fn::GetAtt": ["ApiVersionaaaa", "Version"] } } }
        }});
        let new = json!({ "Resources": {
            "ApiFunction": { "Type": "AWS::Lambda::Function", "Properties": { "Code": { "S3Bucket": "b", "S3Key": "a/2.zip" }, "MemorySize": 128 } },
            "ApiVersionbbbb": { "Type": "AWS::Lambda::Version", "Properties": { "FunctionName": { "Ref": "ApiFunction" }, "Description": "ferry bbbb" } },
            "ApiAlias": { "Type": "AWS::Lambda::Alias", "Properties": { "FunctionVersion": { "Fn::GetAtt": ["ApiVersionbbbb", "Version"] } } }
        }});
        assert_eq!(normalized(&old), normalized(&new));
        let mut other = new.clone();
        other["Resources"]["ApiFunction"]["Properties"]["MemorySize"] = json!(256);
        assert_ne!(normalized(&old), normalized(&other));
        let mut reasons = Vec::new();
        differences("", &normalized(&old), &normalized(&other), &mut reasons);
        assert_eq!(reasons, ["ApiFunction changes"]);
    }
}
