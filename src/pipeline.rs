//! `ferry pipeline init`: a CodePipeline (V2) stack and the CodeBuild
//! buildspec that deploys the app through its stages, rendered from the
//! handlebars templates in `templates/`.
//!
//! The pipeline: a source stage, a build stage running `ferry package` once
//! per stage, then per stage a change set (CHANGE_SET_REPLACE), an optional
//! manual approval before the last stage, and its execution. Roles are least
//! privilege: the build may only write its logs and the artifact bucket, the
//! pipeline only drive its build, its stacks' change sets and pass the
//! stages' deploy roles. Each stage has its own deploy role, whose
//! statements name the stage's resources by the `<app>-<stage>` prefix
//! (see [`deploy_policy`]); it may create roles only under that prefix and
//! only with the stage's permissions boundary ([`boundary_policy`]), which
//! the pipeline creates unless the manifest names one
//! (`permissions_boundary:`).
//!
//! The buildspec installs only pinned things: rustup-init by version and
//! SHA-256, the toolchain by version, the Python wheels by hash, and ferry
//! by its crate name and exact version. The pins are those of
//! `scripts/versions.env`, embedded here at compile time.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use serde_json::{Value, json};

use crate::manifest::model::App;
use crate::names;
use crate::synth::template::arn;
use crate::synth::{Artifacts, Stacks, synth};

const PIPELINE: &str = include_str!("../templates/pipeline.yaml.hbs");
const BUILDSPEC: &str = include_str!("../templates/buildspec.yml.hbs");
/// The pins of what ferry installs (one place: `scripts/versions.env`).
const VERSIONS: &str = include_str!("../scripts/versions.env");

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// GitHub, GitLab or Bitbucket through a CodeStar connection
    Codestar,
    Codecommit,
    /// A zip in a versioned S3 bucket
    S3,
}

/// Why `ferry pipeline init` could not render or write its files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Files that exist, refused without `--force`.
    #[error("{}", exists(.0))]
    Exists(Vec<PathBuf>),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `create` or `write`.
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no stage to deploy")]
    NoStage,
    #[error("scripts/versions.env has no {0}")]
    MissingPin(&'static str),
    /// `pipeline` or `buildspec`.
    #[error("{which} template: {source}")]
    Template {
        which: &'static str,
        #[source]
        source: Box<handlebars::RenderError>,
    },
}

/// The refusal to overwrite these existing files without `--force`.
fn exists(existing: &[PathBuf]) -> String {
    let list = existing
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>();
    match list.as_slice() {
        [one] => format!("{one} exists: pass --force to overwrite it"),
        many => format!("{} exist: pass --force to overwrite them", many.join(", ")),
    }
}

pub struct Files {
    pub pipeline: String,
    pub buildspec: String,
}

impl Files {
    /// Each file with its name, in the order [`write`] writes them.
    pub fn named(&self) -> [(&'static str, &str); 2] {
        [
            ("pipeline.yaml", &self.pipeline),
            ("buildspec.yml", &self.buildspec),
        ]
    }
}

/// Writes the files into `dir` (created if missing) and returns their
/// paths. Every target is checked before any is written: without `force`,
/// when any of them exists nothing is written and the error names each one.
pub fn write(dir: &Path, files: &Files, force: bool) -> Result<Vec<PathBuf>, Error> {
    let targets: Vec<(PathBuf, &str)> = files
        .named()
        .into_iter()
        .map(|(name, body)| (dir.join(name), body))
        .collect();
    if !force {
        let existing: Vec<PathBuf> = targets
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| p.exists())
            .collect();
        if !existing.is_empty() {
            return Err(Error::Exists(existing));
        }
    }
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    let mut written = Vec::new();
    for (path, body) in targets {
        std::fs::write(&path, body).map_err(io("write", &path))?;
        written.push(path);
    }
    Ok(written)
}

/// The value of `key` in `scripts/versions.env` (quotes removed).
pub fn pin(key: &str) -> Option<&'static str> {
    VERSIONS.lines().find_map(|l| {
        let v = l.strip_prefix(key)?.strip_prefix('=')?;
        Some(v.trim().trim_matches('"'))
    })
}

/// The services whose resources the stage's templates contain, by
/// CloudFormation type family (`Lambda`, `IAM`, `DynamoDB`, ...).
fn families(stacks: &Stacks) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in std::iter::once(&stacks.root).chain(stacks.nested.iter().map(|(_, t)| t)) {
        for r in t.resources.values() {
            if let Some(f) = r["Type"].as_str().and_then(|t| t.split("::").nth(1)) {
                out.insert(f.to_string());
            }
        }
    }
    out
}

/// True when the stage's templates contain a resource of this type.
fn has_type(stacks: &Stacks, resource_type: &str) -> bool {
    std::iter::once(&stacks.root)
        .chain(stacks.nested.iter().map(|(_, t)| t))
        .flat_map(|t| t.resources.values())
        .any(|r| r["Type"] == resource_type)
}

/// True when a function of the stage runs in a VPC.
fn uses_vpc(stacks: &Stacks) -> bool {
    std::iter::once(&stacks.root)
        .chain(stacks.nested.iter().map(|(_, t)| t))
        .flat_map(|t| t.resources.values())
        .any(|r| r["Type"] == "AWS::Lambda::Function" && r["Properties"].get("VpcConfig").is_some())
}

fn allow(sid: &str, actions: &[&str], resources: Vec<Value>) -> Value {
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources })
}

/// The stage's permissions boundary, as a CloudFormation value: the
/// manifest's `permissions_boundary:`, else the policy the pipeline creates.
pub fn boundary_arn(app: &App) -> Value {
    match &app.permissions_boundary {
        Some(b) => json!(b),
        None => json!({ "Fn::Sub": names::boundary_policy_arn_sub(&app.name, &app.stage) }),
    }
}

/// Resource ARNs of the stage's own resources of one service, by name.
fn named(app: &App, service: &str) -> Vec<Value> {
    let p = names::stack(&app.name, &app.stage);
    let region_account = "${AWS::Region}:${AWS::AccountId}";
    match service {
        "lambda" => vec![
            arn(&format!("lambda:{region_account}:function:{p}-*")),
            arn(&format!("lambda:{region_account}:layer:{p}-*")),
        ],
        "dynamodb" => vec![arn(&format!("dynamodb:{region_account}:table/{p}-*"))],
        "sqs" => vec![arn(&format!("sqs:{region_account}:{p}-*"))],
        "sns" => vec![arn(&format!("sns:{region_account}:{p}-*"))],
        "states" => vec![
            arn(&format!("states:{region_account}:stateMachine:{p}-*")),
            arn(&format!("states:{region_account}:execution:{p}-*")),
            arn(&format!("states:{region_account}:express:{p}-*")),
        ],
        "logs" => vec![
            arn(&format!(
                "logs:{region_account}:log-group:{}",
                names::log_group(&format!("{p}-*"))
            )),
            arn(&format!(
                "logs:{region_account}:log-group:{}*",
                names::http_api_access_log_group(&app.name, &app.stage)
            )),
        ],
        "events" => vec![
            arn(&format!("events:{region_account}:rule/{p}-*")),
            arn(&format!("events:{region_account}:rule/*/{p}-*")),
        ],
        "cloudwatch" => vec![arn(&format!("cloudwatch:{region_account}:alarm:{p}-*"))],
        "s3" => app
            .buckets
            .keys()
            .flat_map(|b| {
                let name = names::bucket_physical_sub(&app.name, &app.stage, b);
                [
                    json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::{name}") }),
                    json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::{name}/*") }),
                ]
            })
            .collect(),
        _ => vec![],
    }
}

/// The permissions boundary the pipeline creates for a stage: what any role
/// of the stage may ever do, whatever its own policy says. The stage's
/// resources by name, and the few actions AWS grants only on `*`.
pub fn boundary_policy(app: &App) -> Value {
    let mut st = Vec::new();
    for (sid, service) in [
        ("Functions", "lambda"),
        ("Tables", "dynamodb"),
        ("Queues", "sqs"),
        ("Topics", "sns"),
        ("StateMachines", "states"),
        ("Logs", "logs"),
        ("Buckets", "s3"),
    ] {
        let resources = named(app, service);
        if !resources.is_empty() {
            st.push(allow(sid, &[&format!("{service}:*")], resources));
        }
    }
    let ra = "${AWS::Region}:${AWS::AccountId}";
    st.push(allow(
        "Events",
        &["events:PutEvents"],
        vec![arn(&format!("events:{ra}:event-bus/*"))],
    ));
    st.push(allow(
        "StartExecutions",
        &["states:StartExecution"],
        named(app, "states"),
    ));
    st.push(allow(
        "Alarms",
        &["cloudwatch:DescribeAlarms"],
        vec![arn(&format!("cloudwatch:{ra}:alarm:*"))],
    ));
    // AWS grants these only on `*`: X-Ray's actions and EC2's Describe
    // actions have no resource types.
    st.push(allow(
        "ServiceWide",
        &[
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "ec2:DescribeNetworkInterfaces",
        ],
        vec![json!("*")],
    ));
    st.push(allow(
        "FunctionNetworkInterfaces",
        crate::synth::policy::VPC_INTERFACE_ACTIONS,
        vec![arn(&format!("ec2:{ra}:*"))],
    ));
    st.extend(secret_statements(app));
    // What `access.policies` grants on resources outside the app (by literal
    // ARN): the boundary must not take it away again.
    let mut n = 0;
    for f in app.functions.values() {
        for s in &f.access.policies {
            let v = crate::synth::refs::tree(app, s);
            if v["Effect"] != "Allow" || refers_to_template(&v) {
                continue;
            }
            n += 1;
            let mut v = v;
            v["Sid"] = json!(format!("Declared{n}"));
            st.push(v);
        }
    }
    json!({ "Version": "2012-10-17", "Statement": st })
}

/// True when a statement names a resource of the app's template (a `Ref`,
/// `Fn::GetAtt` or `${Resource}`), which the pipeline's stack cannot
/// resolve; those resources are covered by the prefix statements.
fn refers_to_template(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.contains_key("Fn::GetAtt")
                || m.get("Ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| !r.starts_with("AWS::"))
                || m.get("Fn::Sub")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.split("${").skip(1).any(|x| !x.starts_with("AWS::")))
                || m.values().any(refers_to_template)
        }
        Value::Array(a) => a.iter().any(refers_to_template),
        _ => false,
    }
}

/// Reading the app's secrets (`access.secrets`), for the boundary: each
/// parameter and secret by name, and `kms:Decrypt` only through SSM or
/// Secrets Manager.
fn secret_statements(app: &App) -> Vec<Value> {
    use crate::manifest::model::SecretSource;
    let mut params = Vec::new();
    let mut secrets = Vec::new();
    for s in app.secrets.values() {
        match &s.source {
            SecretSource::Ssm(p) => params.push(json!({
                "Fn::Sub": crate::synth::refs::ssm_parameter_arn(p)
            })),
            SecretSource::SecretsManager(id) => {
                secrets.push(crate::synth::policy::secretsmanager_arn(id))
            }
        }
    }
    let mut st = Vec::new();
    let mut via = Vec::new();
    if !params.is_empty() {
        st.push(allow("SecretParameters", &["ssm:GetParameter"], params));
        via.push("ssm.${AWS::Region}.amazonaws.com");
    }
    if !secrets.is_empty() {
        st.push(allow(
            "Secrets",
            &["secretsmanager:GetSecretValue"],
            secrets,
        ));
        via.push("secretsmanager.${AWS::Region}.amazonaws.com");
    }
    if !via.is_empty() {
        let mut kms = allow("SecretsDecrypt", &["kms:Decrypt"], vec![json!("*")]);
        let via: Vec<Value> = via.into_iter().map(|v| json!({ "Fn::Sub": v })).collect();
        kms["Condition"] = json!({ "StringEquals": { "kms:ViaService": via } });
        st.push(kms);
    }
    st
}

/// What the deploy role needs for the HTTP API's custom domain: the domain
/// name and its API mappings by name; with a hosted zone, the certificate
/// ACM issues and the records in that one zone.
fn domain_statements(d: &crate::manifest::model::Domain) -> Vec<Value> {
    use crate::manifest::model::DomainTls;
    let api = |path: &str| arn(&format!("apigateway:${{AWS::Region}}::{path}"));
    let name = &d.name;
    let mut st = vec![
        // API Gateway creates a domain name on the collection: it has no
        // resource of its own yet.
        allow(
            "HttpApiDomainCreate",
            &["apigateway:POST"],
            vec![api("/domainnames")],
        ),
        allow(
            "HttpApiDomain",
            &[
                "apigateway:GET",
                "apigateway:POST",
                "apigateway:PUT",
                "apigateway:PATCH",
                "apigateway:DELETE",
            ],
            vec![
                api(&format!("/domainnames/{name}")),
                api(&format!("/domainnames/{name}/*")),
            ],
        ),
    ];
    let certificates = arn("acm:${AWS::Region}:${AWS::AccountId}:certificate/*");
    match &d.tls {
        DomainTls::Certificate(c) => {
            let cert = c.as_literal().map(|l| json!(l)).unwrap_or(certificates);
            st.push(allow(
                "HttpApiDomainCertificate",
                &["acm:DescribeCertificate"],
                vec![cert],
            ));
        }
        DomainTls::Zone(zone) => {
            // ACM grants RequestCertificate only on `*`; the condition keeps
            // it to this domain name where ACM supports the key.
            let mut request = allow(
                "CertificateRequest",
                &["acm:RequestCertificate"],
                vec![json!("*")],
            );
            request["Condition"] =
                json!({ "ForAllValues:StringEquals": { "acm:DomainNames": [name] } });
            st.push(request);
            st.push(allow(
                "Certificates",
                &[
                    "acm:DescribeCertificate",
                    "acm:DeleteCertificate",
                    "acm:AddTagsToCertificate",
                    "acm:RemoveTagsFromCertificate",
                    "acm:ListTagsForCertificate",
                ],
                vec![certificates],
            ));
            let zone = zone
                .as_literal()
                .map(|z| format!("hostedzone/{z}"))
                .unwrap_or_else(|| "hostedzone/*".into());
            st.push(allow(
                "DnsRecords",
                &[
                    "route53:ChangeResourceRecordSets",
                    "route53:ListResourceRecordSets",
                    "route53:GetHostedZone",
                ],
                vec![arn(&format!("route53:::{zone}"))],
            ));
            st.push(allow(
                "DnsChanges",
                &["route53:GetChange"],
                vec![arn("route53:::change/*")],
            ));
        }
    }
    st
}

/// The services AWS manages on the deploy role's behalf, to which it may
/// pass the stage's roles.
const PASSED_TO: [&str; 4] = [
    "lambda.amazonaws.com",
    "states.amazonaws.com",
    "events.amazonaws.com",
    "codedeploy.amazonaws.com",
];

/// The inline policy of one stage's deploy role (the role CloudFormation
/// uses for the stage's stack): the stage's resources by name, IAM only on
/// `role/<app>-<stage>-*` and only with the boundary, and `*` only where
/// AWS requires it (each one says why).
pub fn deploy_policy(app: &App, stacks: &Stacks) -> Value {
    let fam = families(stacks);
    let has = |f: &str| fam.contains(f);
    let p = names::stack(&app.name, &app.stage);
    let ra = "${AWS::Region}:${AWS::AccountId}";
    let boundary = boundary_arn(app);
    let mut st = vec![allow(
        "Artifacts",
        &["s3:GetObject", "s3:GetObjectVersion"],
        vec![json!({ "Fn::Sub": "${ArtifactBucket.Arn}/*" })],
    )];
    if has("CloudFormation") {
        st.push(allow(
            "NestedStacks",
            &[
                "cloudformation:CreateStack",
                "cloudformation:UpdateStack",
                "cloudformation:DeleteStack",
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStackResources",
                "cloudformation:GetTemplate",
                "cloudformation:TagResource",
                "cloudformation:UntagResource",
            ],
            vec![arn(&format!("cloudformation:{ra}:stack/{p}-*/*"))],
        ));
    }
    if has("IAM") {
        let role = arn(&format!("iam::${{AWS::AccountId}}:role/{p}-*"));
        st.push(json!({
            "Sid": "RolesWithBoundary",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary"
            ],
            "Resource": role,
            "Condition": { "StringEquals": { "iam:PermissionsBoundary": boundary } }
        }));
        st.push(allow(
            "Roles",
            &[
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListRoleTags",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRole",
            ],
            vec![role.clone()],
        ));
        st.push(json!({
            "Sid": "PassRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": role,
            "Condition": { "StringEquals": { "iam:PassedToService": PASSED_TO } }
        }));
        st.push(json!({
            "Sid": "NoUsersKeysOrBoundaryChanges",
            "Effect": "Deny",
            "Action": [
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:DeleteRolePermissionsBoundary",
                "iam:PutUserPermissionsBoundary",
                "iam:DeleteUserPermissionsBoundary",
                "iam:CreatePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:DeletePolicy"
            ],
            "Resource": "*"
        }));
        st.push(json!({
            "Sid": "NoRoleWithoutBoundary",
            "Effect": "Deny",
            "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            "Resource": "*",
            "Condition": { "StringNotEquals": { "iam:PermissionsBoundary": boundary } }
        }));
    }
    if has("Lambda") {
        st.push(allow(
            "Functions",
            &[
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PublishVersion",
                "lambda:ListVersionsByFunction",
                "lambda:CreateAlias",
                "lambda:UpdateAlias",
                "lambda:DeleteAlias",
                "lambda:GetAlias",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:GetPolicy",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:GetFunctionConcurrency",
                "lambda:PutProvisionedConcurrencyConfig",
                "lambda:DeleteProvisionedConcurrencyConfig",
                "lambda:GetProvisionedConcurrencyConfig",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:UpdateFunctionEventInvokeConfig",
                "lambda:DeleteFunctionEventInvokeConfig",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:CreateFunctionUrlConfig",
                "lambda:UpdateFunctionUrlConfig",
                "lambda:DeleteFunctionUrlConfig",
                "lambda:GetFunctionUrlConfig",
                "lambda:GetRuntimeManagementConfig",
                "lambda:PutRuntimeManagementConfig",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetFunctionRecursionConfig",
                "lambda:GetFunctionScalingConfig",
                "lambda:PublishLayerVersion",
                "lambda:DeleteLayerVersion",
                "lambda:GetLayerVersion",
                "lambda:ListLayerVersions",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:ListTags",
            ],
            named(app, "lambda"),
        ));
        // Event source mappings are named by a UUID that Lambda assigns:
        // AWS scopes them by the function they feed (lambda:FunctionArn).
        st.push(json!({
            "Sid": "EventSourceMappings",
            "Effect": "Allow",
            "Action": [
                "lambda:CreateEventSourceMapping",
                "lambda:UpdateEventSourceMapping",
                "lambda:DeleteEventSourceMapping",
                "lambda:GetEventSourceMapping"
            ],
            "Resource": "*",
            "Condition": { "ArnLike": { "lambda:FunctionArn": named(app, "lambda")[0] } }
        }));
    }
    if has("Logs") {
        st.push(allow(
            "LogGroups",
            &[
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
                "logs:TagLogGroup",
                "logs:UntagLogGroup",
                "logs:ListTagsLogGroup",
                "logs:GetDataProtectionPolicy",
                "logs:DeleteDataProtectionPolicy",
                "logs:DescribeIndexPolicies",
            ],
            named(app, "logs"),
        ));
        st.push(allow(
            "DescribeLogGroups",
            &["logs:DescribeLogGroups"],
            vec![arn(&format!("logs:{ra}:log-group:*"))],
        ));
    }
    if has("ApiGatewayV2") {
        // HTTP APIs are named by an id that API Gateway assigns.
        st.push(allow(
            "HttpApis",
            &[
                "apigateway:GET",
                "apigateway:POST",
                "apigateway:PUT",
                "apigateway:PATCH",
                "apigateway:DELETE",
            ],
            vec![
                arn("apigateway:${AWS::Region}::/apis"),
                arn("apigateway:${AWS::Region}::/apis/*"),
                arn("apigateway:${AWS::Region}::/tags/*"),
            ],
        ));
        // Access logs are a log delivery: CloudWatch Logs grants its
        // delivery and resource policy actions only on `*`.
        st.push(allow(
            "HttpApiAccessLogs",
            &[
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:DescribeResourcePolicies",
            ],
            vec![json!("*")],
        ));
    }
    if let Some(d) = &app.http.domain {
        st.extend(domain_statements(d));
    }
    if has("DynamoDB") {
        st.push(allow(
            "Tables",
            &[
                "dynamodb:CreateTable",
                "dynamodb:UpdateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:DescribeContributorInsights",
                "dynamodb:DescribeKinesisStreamingDestination",
                "dynamodb:UpdateContributorInsights",
                "dynamodb:GetResourcePolicy",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:ListTagsOfResource",
            ],
            named(app, "dynamodb"),
        ));
    }
    if has("SQS") {
        st.push(allow(
            "Queues",
            &[
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:TagQueue",
                "sqs:UntagQueue",
                "sqs:ListQueueTags",
            ],
            named(app, "sqs"),
        ));
    }
    if has("SNS") {
        st.push(allow(
            "Topics",
            &[
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:GetSubscriptionAttributes",
                "sns:SetSubscriptionAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:GetDataProtectionPolicy",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:ListTagsForResource",
            ],
            named(app, "sns"),
        ));
    }
    if has("S3") && !app.buckets.is_empty() {
        st.push(allow(
            "Buckets",
            &[
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucket",
                "s3:GetBucket*",
                "s3:PutBucket*",
                "s3:DeleteBucketPolicy",
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:GetAccelerateConfiguration",
                "s3:GetAnalyticsConfiguration",
                "s3:GetIntelligentTieringConfiguration",
                "s3:GetInventoryConfiguration",
                "s3:GetMetricsConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListTagsForResource",
                "s3:TagResource",
                "s3:UntagResource",
            ],
            named(app, "s3"),
        ));
    }
    if has("Events") {
        st.push(allow(
            "Rules",
            &[
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:EnableRule",
                "events:DisableRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:TagResource",
                "events:UntagResource",
                "events:ListTagsForResource",
            ],
            named(app, "events"),
        ));
    }
    if has_type(stacks, "AWS::Events::EventBus") {
        st.push(allow(
            "Buses",
            &[
                "events:CreateEventBus",
                "events:DeleteEventBus",
                "events:DescribeEventBus",
                "events:UpdateEventBus",
                "events:PutPermission",
                "events:RemovePermission",
                "events:TagResource",
                "events:UntagResource",
                "events:ListTagsForResource",
            ],
            vec![arn(&format!("events:{ra}:event-bus/{p}-*"))],
        ));
    }
    if has("StepFunctions") {
        st.push(allow(
            "StateMachines",
            &[
                "states:CreateStateMachine",
                "states:UpdateStateMachine",
                "states:DeleteStateMachine",
                "states:DescribeStateMachine",
                "states:ListStateMachineVersions",
                "states:TagResource",
                "states:UntagResource",
                "states:ListTagsForResource",
            ],
            named(app, "states"),
        ));
    }
    if has("CloudWatch") {
        st.push(allow(
            "Alarms",
            &[
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:ListTagsForResource",
            ],
            named(app, "cloudwatch"),
        ));
    }
    if has("CodeDeploy") {
        st.push(allow(
            "CodeDeploy",
            &[
                "codedeploy:CreateApplication",
                "codedeploy:DeleteApplication",
                "codedeploy:GetApplication",
                "codedeploy:CreateDeploymentGroup",
                "codedeploy:UpdateDeploymentGroup",
                "codedeploy:DeleteDeploymentGroup",
                "codedeploy:GetDeploymentGroup",
                "codedeploy:CreateDeploymentConfig",
                "codedeploy:DeleteDeploymentConfig",
                "codedeploy:GetDeploymentConfig",
                "codedeploy:CreateDeployment",
                "codedeploy:GetDeployment",
                "codedeploy:ListDeployments",
                "codedeploy:StopDeployment",
                "codedeploy:RegisterApplicationRevision",
                "codedeploy:GetApplicationRevision",
                "codedeploy:TagResource",
                "codedeploy:UntagResource",
                "codedeploy:ListTagsForResource",
            ],
            vec![
                arn(&format!("codedeploy:{ra}:application:{p}-*")),
                arn(&format!("codedeploy:{ra}:deploymentgroup:{p}-*")),
                arn(&format!("codedeploy:{ra}:deploymentconfig:{p}-*")),
                arn(&format!(
                    "codedeploy:{ra}:deploymentconfig:CodeDeployDefault.*"
                )),
            ],
        ));
    }
    if has("ApplicationAutoScaling") {
        // Scalable targets are named by an id that the service assigns; its
        // Describe actions, and the metric query that a target tracking
        // policy is checked with, have no resource types.
        st.push(allow(
            "AutoScaling",
            &[
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:TagResource",
                "application-autoscaling:UntagResource",
                "application-autoscaling:ListTagsForResource",
            ],
            vec![arn(&format!(
                "application-autoscaling:{ra}:scalable-target/*"
            ))],
        ));
        st.push(allow(
            "AutoScalingDescribe",
            &[
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScheduledActions",
                "cloudwatch:GetMetricData",
            ],
            vec![json!("*")],
        ));
        st.push(json!({
            "Sid": "AutoScalingServiceRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": arn("iam::${AWS::AccountId}:role/aws-service-role/lambda.application-autoscaling.amazonaws.com/*"),
            "Condition": { "StringEquals": { "iam:AWSServiceName": "lambda.application-autoscaling.amazonaws.com" } }
        }));
        st.push(allow(
            "AutoScalingServiceRolePass",
            &["iam:PassRole"],
            vec![arn(&format!(
                "iam::${{AWS::AccountId}}:role/{}",
                names::LAMBDA_CONCURRENCY_SCALING_ROLE
            ))],
        ));
    }
    if has("Lambda") {
        // Lambda checks a function's subnets and security groups with the
        // caller's permissions, and its network interfaces when deleting
        // it; EC2's Describe actions have no resource types.
        let actions: &[&str] = if uses_vpc(stacks) {
            &[
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ]
        } else {
            &["ec2:DescribeNetworkInterfaces"]
        };
        st.push(allow("FunctionNetworks", actions, vec![json!("*")]));
    }
    json!({ "Version": "2012-10-17", "Statement": st })
}

/// A JSON value as an indented block of YAML (JSON is YAML's flow style),
/// one key or item a line, to follow a `key:` line.
fn yaml_block(v: &Value, indent: usize) -> String {
    let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
    let pad = " ".repeat(indent);
    pretty
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders both files for the app resolved for each stage (in order).
pub fn render(apps: &[App], approval: bool, source: Source) -> Result<Files, Error> {
    let first = apps.first().ok_or(Error::NoStage)?;
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let last = apps.len() - 1;
    let stages: Vec<Value> = apps
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let approve = approval && i == last;
            let stacks = synth(a, &Artifacts::default());
            json!({
                "name": a.stage,
                "stack": names::stack(&a.name, &a.stage),
                "approval": approve,
                "create_order": if approve { 2 } else { 1 },
                "execute_order": if approve { 3 } else { 2 },
                "deploy_role": names::pipeline_deploy_role(&a.stage),
                "deploy_policy": yaml_block(&deploy_policy(a, &stacks), 12),
                "boundary": a.permissions_boundary.is_none().then(|| json!({
                    "id": names::pipeline_boundary(&a.stage),
                    "name": names::boundary_policy(&a.name, &a.stage),
                    "policy": yaml_block(&boundary_policy(a), 8),
                })),
            })
        })
        .collect();
    let need = |k: &'static str| pin(k).ok_or(Error::MissingPin(k));
    let data = json!({
        "app": first.name,
        "stage_list": apps.iter().map(|a| a.stage.as_str()).collect::<Vec<_>>().join(", "),
        "stages": stages,
        "codestar": source == Source::Codestar,
        "codecommit": source == Source::Codecommit,
        "s3": source == Source::S3,
        "zig_version": need("ZIG_VERSION")?,
        "zigbuild_version": need("ZIGBUILD_VERSION")?,
        "ziglang_sha256": need("ZIGLANG_WHEEL_SHA256")?,
        "zigbuild_sha256": need("ZIGBUILD_WHEEL_SHA256")?,
        "rustup_version": need("RUSTUP_VERSION")?,
        "rustup_sha256": need("RUSTUP_INIT_SHA256")?,
        "rust_toolchain": need("RUST_TOOLCHAIN")?,
        "rust_targets": need("RUST_TARGETS")?,
        "ferry_package": need("FERRY_PACKAGE")?,
        "ferry_version": env!("CARGO_PKG_VERSION"),
    });
    let template = |which: &'static str| {
        move |source| Error::Template {
            which,
            source: Box::new(source),
        }
    };
    let pipeline = hb
        .render_template(PIPELINE, &data)
        .map_err(template("pipeline"))?;
    let buildspec = hb
        .render_template(BUILDSPEC, &data)
        .map_err(template("buildspec"))?;
    Ok(Files {
        pipeline,
        buildspec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Files {
        Files {
            pipeline: "new pipeline\n".into(),
            buildspec: "new buildspec\n".into(),
        }
    }

    #[test]
    fn an_existing_target_stops_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let buildspec = dir.path().join("buildspec.yml");
        std::fs::write(&buildspec, "mine\n").unwrap();
        let e = write(dir.path(), &files(), false).unwrap_err();
        assert!(
            matches!(&e, Error::Exists(p) if p == std::slice::from_ref(&buildspec)),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "{} exists: pass --force to overwrite it",
                buildspec.display()
            )
        );
        assert!(!dir.path().join("pipeline.yaml").exists());
        assert_eq!(std::fs::read_to_string(&buildspec).unwrap(), "mine\n");

        std::fs::write(dir.path().join("pipeline.yaml"), "mine\n").unwrap();
        let e = write(dir.path(), &files(), false).unwrap_err().to_string();
        assert!(
            e.contains("pipeline.yaml, ") && e.contains("overwrite them"),
            "{e}"
        );

        let written = write(dir.path(), &files(), true).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(
            std::fs::read_to_string(&buildspec).unwrap(),
            "new buildspec\n"
        );
    }

    #[test]
    fn a_missing_folder_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("ci/pipeline");
        let written = write(&out, &files(), false).unwrap();
        assert_eq!(
            written,
            vec![out.join("pipeline.yaml"), out.join("buildspec.yml")]
        );
    }

    #[test]
    fn the_crate_installed_by_the_build_is_this_one() {
        assert_eq!(pin("FERRY_PACKAGE"), Some(env!("CARGO_PKG_NAME")));
        assert_eq!(
            pin("ZIG_VERSION"),
            Some(crate::build::toolchain::ZIG_VERSION)
        );
        assert_eq!(
            pin("RUST_TARGETS"),
            Some("aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu")
        );
    }
}
