//! `ferry pipeline init`: a CodePipeline (V2) stack and the CodeBuild
//! buildspec that deploys the app through its stages, rendered from the
//! handlebars templates in `templates/`.
//!
//! The pipeline: a source stage, a build stage running `ferry package` once
//! per stage, then per stage a change set (CHANGE_SET_REPLACE), an optional
//! manual approval before the last stage, and its execution. Roles are least
//! privilege: the build may only write its logs and the artifact bucket, the
//! pipeline only drive its build, its stacks' change sets and pass the
//! deploy role, and the deploy role only use the AWS services the app's
//! templates contain.

use std::collections::BTreeSet;

use handlebars::Handlebars;
use serde_json::json;

use crate::build::toolchain::{ZIG_VERSION, ZIGBUILD_VERSION};
use crate::manifest::model::App;
use crate::names;
use crate::synth::{Artifacts, synth};

const PIPELINE: &str = include_str!("../templates/pipeline.yaml.hbs");
const BUILDSPEC: &str = include_str!("../templates/buildspec.yml.hbs");

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// GitHub, GitLab or Bitbucket through a CodeStar connection
    Codestar,
    Codecommit,
    /// A zip in a versioned S3 bucket
    S3,
}

pub struct Files {
    pub pipeline: String,
    pub buildspec: String,
}

/// The IAM service of a CloudFormation resource type.
fn service(resource_type: &str) -> Option<&'static str> {
    let family = resource_type.split("::").nth(1)?;
    Some(match family {
        "Lambda" => "lambda",
        "IAM" => "iam",
        "Logs" => "logs",
        "DynamoDB" => "dynamodb",
        "SQS" => "sqs",
        "SNS" => "sns",
        "S3" => "s3",
        "Events" => "events",
        "ApiGatewayV2" => "apigateway",
        "StepFunctions" => "states",
        "CloudWatch" => "cloudwatch",
        "ApplicationAutoScaling" => "application-autoscaling",
        "CodeDeploy" => "codedeploy",
        "CloudFormation" => "cloudformation",
        "EC2" => "ec2",
        _ => return None,
    })
}

/// `service:*` for every service the stages' templates use.
pub fn deploy_actions(apps: &[App]) -> Vec<String> {
    let mut services = BTreeSet::new();
    for app in apps {
        let stacks = synth(app, &Artifacts::default());
        for t in std::iter::once(&stacks.root).chain(stacks.nested.iter().map(|(_, t)| t)) {
            for r in t.resources.values() {
                if let Some(s) = r["Type"].as_str().and_then(service) {
                    services.insert(s);
                }
            }
        }
    }
    // Lambda reads the code from S3 as the deployer.
    services.insert("s3");
    services.into_iter().map(|s| format!("{s}:*")).collect()
}

/// Renders both files for the app resolved for each stage (in order).
pub fn render(apps: &[App], approval: bool, source: Source) -> Result<Files, String> {
    let first = apps.first().ok_or("no stage to deploy")?;
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let last = apps.len() - 1;
    let stages: Vec<serde_json::Value> = apps
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let approve = approval && i == last;
            json!({
                "name": a.stage,
                "stack": names::stack(&a.name, &a.stage),
                "approval": approve,
                "create_order": if approve { 2 } else { 1 },
                "execute_order": if approve { 3 } else { 2 },
            })
        })
        .collect();
    let data = json!({
        "app": first.name,
        "stage_list": apps.iter().map(|a| a.stage.as_str()).collect::<Vec<_>>().join(", "),
        "stages": stages,
        "codestar": source == Source::Codestar,
        "codecommit": source == Source::Codecommit,
        "s3": source == Source::S3,
        "deploy_actions": deploy_actions(apps),
        "zig_version": ZIG_VERSION,
        "zigbuild_version": ZIGBUILD_VERSION,
        "ferry_version": env!("CARGO_PKG_VERSION"),
        "rust_targets": "aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu",
    });
    let pipeline = hb
        .render_template(PIPELINE, &data)
        .map_err(|e| format!("pipeline template: {e}"))?;
    let buildspec = hb
        .render_template(BUILDSPEC, &data)
        .map_err(|e| format!("buildspec template: {e}"))?;
    Ok(Files {
        pipeline,
        buildspec,
    })
}
