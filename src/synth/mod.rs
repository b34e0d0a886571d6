//! Synth: the pure function from the validated model to the CloudFormation
//! template(s) of a stage. No AWS calls, no build, no file access: the same
//! model and artifacts always give the same bytes.
//!
//! `function` builds each function and what hangs off its alias, `policy`
//! its least-privilege role, `resources` the tables, queues, topics, buses,
//! buckets and layers, `domain` the HTTP API's custom domain, `machines` the state machines, `refs` turns `${...}`
//! references into intrinsic functions, and `split` moves resources into
//! nested stacks when the app is larger than one template may be.

pub mod domain;
pub mod function;
pub mod machines;
pub mod policy;
pub mod refs;
pub mod resources;
pub mod split;
pub mod template;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::manifest::model::{App, Strategy, TriggerKind};
use crate::names;
pub use template::Template;
use template::{r#ref, resource};

/// A built zip in the artifact bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct Artifact {
    /// The object key, content-addressed: `<app>/<sha256>.zip`.
    pub key: String,
    pub sha256: String,
}

/// Where the code is. Without it, synth writes placeholders: the bucket is
/// the template parameter `ArtifactBucket` and each key is
/// `<app>/unbuilt/<function>.zip`.
#[derive(Clone, Debug, Default)]
pub struct Artifacts {
    pub bucket: Option<String>,
    pub functions: BTreeMap<String, Artifact>,
    pub layers: BTreeMap<String, Artifact>,
    /// Where nested templates are uploaded (`https://bucket.s3.../`); without
    /// it a nested stack's `TemplateURL` is its file name beside the root.
    pub template_url_base: Option<String>,
}

/// The templates of one stack: the root, and nested stacks (empty unless the
/// app is above CloudFormation's per-template limits).
#[derive(Clone, Debug)]
pub struct Stacks {
    pub root: Template,
    /// Logical ID of the `AWS::CloudFormation::Stack` resource, and its
    /// template.
    pub nested: Vec<(String, Template)>,
}

/// `{ S3Bucket, S3Key }` for a function's or layer's zip.
pub fn code_location(
    app: &App,
    artifacts: &Artifacts,
    artifact: Option<&Artifact>,
    name: &str,
    t: &mut Template,
) -> Value {
    let bucket = match &artifacts.bucket {
        Some(b) => json!(b),
        None => {
            t.parameters.insert(
                names::ARTIFACT_BUCKET_PARAM.into(),
                json!({ "Type": "String", "Description": "The bucket holding the function zips (set by ferry deploy)" }),
            );
            r#ref(names::ARTIFACT_BUCKET_PARAM)
        }
    };
    let key = match artifact {
        Some(a) => a.key.clone(),
        None => format!("{}/unbuilt/{name}.zip", app.name),
    };
    json!({ "S3Bucket": bucket, "S3Key": key })
}

/// Synthesizes the whole stack for the app's stage, as a first deploy would
/// place it.
pub fn synth(app: &App, artifacts: &Artifacts) -> Stacks {
    synth_placed(app, artifacts, &split::Placement::new())
}

/// Synthesizes the stack keeping every resource of `deployed` in the stack
/// it is deployed in (see `split`).
pub fn synth_placed(app: &App, artifacts: &Artifacts, deployed: &split::Placement) -> Stacks {
    let mut t = Template {
        description: format!("{} ({}), deployed by ferry", app.name, app.stage),
        ..Template::default()
    };
    resources::parameters(app, &mut t);
    resources::tables(app, &mut t);
    resources::queues(app, &mut t);
    resources::topics(app, &mut t);
    resources::buses(app, &mut t);
    resources::layers(app, artifacts, &mut t);
    if app.has_http_api() {
        t.in_unit("http", "api");
        http_api(app, &mut t);
    }
    if app
        .functions
        .values()
        .any(|f| f.deployment != Strategy::AllAtOnce)
    {
        t.in_unit("codedeploy", "app");
        code_deploy(app, &mut t);
    }
    let mut notifications = Vec::new();
    for (name, f) in &app.functions {
        let built = function::function(app, name, f, artifacts, &mut t);
        notifications.extend(built.notifications);
    }
    resources::buckets(app, &mut t, &notifications);
    machines::state_machines(app, &mut t);
    for (name, value) in &app.outputs {
        t.output(name.clone(), refs::interp(app, value), "");
    }
    for o in t.outputs.values_mut() {
        if o["Description"] == "" {
            o.as_object_mut().map(|m| m.remove("Description"));
        }
    }
    split::split(
        t,
        artifacts.template_url_base.as_deref(),
        &app.name,
        deployed,
    )
}

/// How long the HTTP API's access logs are kept.
const HTTP_API_LOG_RETENTION_DAYS: u32 = 30;

/// One JSON object per request in the HTTP API's access log.
const HTTP_API_ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationError":"$context.integrationErrorMessage"}"#;

fn http_api(app: &App, t: &mut Template) {
    let mut props = json!({
        "Name": names::stack(&app.name, &app.stage),
        "ProtocolType": "HTTP",
    });
    if let Some(c) = &app.http.cors {
        props["CorsConfiguration"] = function::http_cors(c);
    }
    t.add(names::HTTP_API, resource("AWS::ApiGatewayV2::Api", props));
    // Access logs: one JSON line per request.
    let mut access_logs = resource(
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": names::http_api_access_log_group(&app.name, &app.stage),
            "RetentionInDays": HTTP_API_LOG_RETENTION_DAYS,
        }),
    );
    template::retain(&mut access_logs);
    t.add(names::HTTP_API_ACCESS_LOGS, access_logs);
    t.add(
        names::HTTP_API_STAGE,
        resource(
            "AWS::ApiGatewayV2::Stage",
            json!({
                "ApiId": { "Ref": names::HTTP_API },
                "StageName": "$default",
                "AutoDeploy": true,
                "AccessLogSettings": {
                    "DestinationArn": { "Fn::GetAtt": [names::HTTP_API_ACCESS_LOGS, "Arn"] },
                    "Format": HTTP_API_ACCESS_LOG_FORMAT,
                },
            }),
        ),
    );
    if let Some(jwt) = &app.http.jwt {
        t.add(
            names::HTTP_API_AUTHORIZER,
            resource(
                "AWS::ApiGatewayV2::Authorizer",
                json!({
                    "ApiId": { "Ref": names::HTTP_API },
                    "AuthorizerType": "JWT",
                    "Name": "jwt",
                    "IdentitySource": ["$request.header.Authorization"],
                    "JwtConfiguration": {
                        "Issuer": refs::interp(app, &jwt.issuer),
                        "Audience": jwt.audience.iter().map(|a| refs::interp(app, a)).collect::<Vec<_>>(),
                    }
                }),
            ),
        );
    }
    if let Some(d) = &app.http.domain {
        domain::domain(app, d, t);
    }
    t.output(
        names::HTTP_API_URL_OUTPUT,
        refs::target(app, &crate::manifest::interp::Ref::HttpUrl).value(),
        "Base URL of the HTTP API",
    );
}

/// The CodeDeploy application and its service role, for functions deployed
/// gradually. The role may only move the app's aliases and read alarms.
fn code_deploy(app: &App, t: &mut Template) {
    t.add(
        names::CODE_DEPLOY_APP,
        resource(
            "AWS::CodeDeploy::Application",
            json!({ "ComputePlatform": "Lambda" }),
        ),
    );
    let mut p = policy::Policy::default();
    let mut functions = Vec::new();
    for (name, f) in &app.functions {
        if f.deployment != Strategy::AllAtOnce {
            functions.extend(policy::function_resources(app, name));
        }
    }
    p.allow(
        "Aliases",
        [
            "lambda:GetAlias",
            "lambda:UpdateAlias",
            "lambda:GetProvisionedConcurrencyConfig",
            "lambda:InvokeFunction",
        ]
        .map(String::from)
        .to_vec(),
        functions,
    );
    p.allow(
        "Alarms",
        vec!["cloudwatch:DescribeAlarms".into()],
        vec![template::arn(
            "cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*",
        )],
    );
    t.add(
        names::CODE_DEPLOY_ROLE,
        policy::role(app, "codedeploy.amazonaws.com", &p),
    );
}

/// The kinds of trigger a template uses, for docs and tests.
pub fn trigger_kind_name(k: &TriggerKind) -> &'static str {
    match k {
        TriggerKind::Http(_) => "http",
        TriggerKind::Url(_) => "url",
        TriggerKind::Schedule(_) => "schedule",
        TriggerKind::Queue(_) => "queue",
        TriggerKind::Stream(_) => "stream",
        TriggerKind::Topic(_) => "topic",
        TriggerKind::Bucket(_) => "bucket",
        TriggerKind::Event(_) => "event",
    }
}
