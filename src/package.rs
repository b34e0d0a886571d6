//! `ferry package`: the artifacts of a CodePipeline build stage. Uploads the
//! zips and nested templates (content-addressed, skipping what is there) and
//! writes the root template with its code locations filled in, and the
//! stage's template configuration (`Parameters`, `Tags`) for the
//! CloudFormation deploy action.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::aws::{CloudFormation, Storage};
use crate::build::Record;
use crate::deploy::{self, Ui};
use crate::manifest::model::App;
use crate::state;
use crate::synth;

/// Why `ferry package` failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An upload or a read of the deployed stack (AWS's code kept).
    #[error("{0}")]
    Deploy(#[from] deploy::Error),
    /// A file or folder could not be written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `create` or `write`.
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// AWS's error code, when an AWS call failed with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Deploy(e) => e.code(),
            Error::Io { .. } => None,
        }
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// What package wrote and uploaded.
#[derive(Debug, serde::Serialize)]
pub struct Packaged {
    pub template: PathBuf,
    pub config: PathBuf,
    pub uploaded: usize,
    pub nested: usize,
}

/// `ferry package --pipeline-boundary`: every role of the app gets the
/// permissions boundary `ferry pipeline init`'s stack creates
/// (`<app>-<stage>-boundary`), unless the manifest names one.
pub fn with_pipeline_boundary(mut app: App) -> App {
    if app.permissions_boundary.is_none() {
        app.permissions_boundary =
            Some(crate::names::boundary_policy_arn_sub(&app.name, &app.stage));
    }
    app
}

/// `prefix` normalized to `""` or `"p/"`.
pub fn normalize_prefix(prefix: Option<&str>) -> String {
    match prefix.map(|p| p.trim_matches('/')) {
        Some(p) if !p.is_empty() => format!("{p}/"),
        _ => String::new(),
    }
}

/// The CodePipeline template configuration of the app's stage: its
/// parameters (but for `no_echo` ones, which are never written to a file),
/// its tags, and a stack policy that refuses to replace or delete the
/// stateful resources of the root template (the types the deploy guard
/// protects, nested stacks included).
pub fn config(app: &App, stacks: &synth::Stacks) -> serde_json::Value {
    let parameters: BTreeMap<&String, &String> = app
        .parameters
        .iter()
        .filter(|(_, p)| !p.no_echo)
        .map(|(k, p)| (k, &p.value))
        .collect();
    let mut tags: BTreeMap<String, String> = app.tags.clone();
    tags.insert("ferry:app".into(), app.name.clone());
    tags.insert("ferry:stage".into(), app.stage.clone());
    json!({ "Parameters": parameters, "Tags": tags, "StackPolicy": stack_policy(&stacks.root) })
}

/// A stack policy allowing every update but the replacement or deletion of
/// the template's guarded resources.
pub fn stack_policy(root: &synth::Template) -> serde_json::Value {
    let guarded: Vec<String> = root
        .resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str().is_some_and(state::is_guarded))
        .map(|(id, _)| format!("LogicalResourceId/{id}"))
        .collect();
    // Once a stack has a policy, CloudFormation denies every update it does
    // not allow: this wildcard allow is what AWS requires for ordinary
    // updates to go on; the Deny below then carves out the guarded ones.
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Action": "Update:*",
        "Principal": "*",
        "Resource": "*"
    })];
    if !guarded.is_empty() {
        statements.push(json!({
            "Effect": "Deny",
            "Action": ["Update:Replace", "Update:Delete"],
            "Principal": "*",
            "Resource": guarded
        }));
    }
    json!({ "Statement": statements })
}

/// Uploads and writes the pipeline's files. When the app's stack is
/// already deployed, its resources keep their stacks (read with
/// CloudFormation's list calls), as with `ferry deploy`.
pub async fn package<S: Storage + CloudFormation>(
    s3: &S,
    app: &App,
    record: &Record,
    bucket: &str,
    prefix: &str,
    out: &Path,
    ui: &Ui,
) -> Result<Packaged, Error> {
    let (mut artifacts, uploaded) =
        deploy::upload_artifacts(s3, bucket, prefix, app, record, ui).await?;
    artifacts.template_url_base = Some(
        s3.object_url(bucket, prefix)
            .trim_end_matches('/')
            .to_string(),
    );
    let stacks = deploy::placed_stacks(s3, app, &artifacts, &deploy::Options::default()).await?;
    // Nested templates go to the bucket; the root is written to `out`.
    let nested_only = synth::Stacks {
        root: synth::Template::default(),
        nested: stacks.nested.clone(),
    };
    if !stacks.nested.is_empty() {
        deploy::upload_templates(s3, bucket, prefix, app, &nested_only).await?;
    }
    std::fs::create_dir_all(out).map_err(io("create", out))?;
    let template = out.join("template.json");
    std::fs::write(&template, stacks.root.to_json()).map_err(io("write", &template))?;
    let config_path = out.join(format!("{}.config.json", app.stage));
    let body =
        serde_json::to_string_pretty(&config(app, &stacks)).expect("config serializes") + "\n";
    std::fs::write(&config_path, body).map_err(io("write", &config_path))?;
    Ok(Packaged {
        template,
        config: config_path,
        uploaded,
        nested: stacks.nested.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(text: &str) -> App {
        crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            text,
            "prod",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"))
    }

    #[test]
    fn an_aws_failure_keeps_its_code_and_a_write_names_its_path() {
        let e = Error::from(deploy::Error::from(crate::aws::AwsError {
            code: Some("AccessDenied".into()),
            message: "PutObject: Access Denied".into(),
        }));
        assert_eq!(e.code(), Some("AccessDenied"));
        assert_eq!(e.to_string(), "PutObject: Access Denied");
        let e = io("write", Path::new("out/template.json"))(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "denied",
        ));
        assert_eq!(e.code(), None);
        assert_eq!(e.to_string(), "cannot write out/template.json: denied");
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn the_pipeline_boundary_applies_unless_the_manifest_names_one() {
        let plain = with_pipeline_boundary(app("app: shop\nfunctions:\n  api: {}\n"));
        assert_eq!(
            plain.permissions_boundary,
            Some(crate::names::boundary_policy_arn_sub("shop", "prod"))
        );
        let own = "arn:aws:iam::123456789012:policy/team-boundary";
        let named = with_pipeline_boundary(app(&format!(
            "app: shop\npermissions_boundary: {own}\nfunctions:\n  api: {{}}\n"
        )));
        assert_eq!(named.permissions_boundary.as_deref(), Some(own));
    }
}
