//! Execution-role statements: what each `access` entry, trigger, destination
//! and setting of a function needs, on exactly the resources involved.

use serde_json::{Value, json};

use super::refs;
use super::template::{arn, get_att, statement};
use crate::iam::{Service, level_actions};
use crate::manifest::interp::{Attr, Ref, Section};
use crate::manifest::model::{
    Access, App, BusRef, Destination, Grant, Level, MachineType, SecretSource,
};
use crate::names;

/// Statements of one role, with unique `Sid`s.
#[derive(Default)]
pub struct Policy {
    pub statements: Vec<Value>,
}

impl Policy {
    pub fn allow(&mut self, sid: &str, actions: Vec<String>, resources: Vec<Value>) {
        if actions.is_empty() || resources.is_empty() {
            return;
        }
        let sid = self.free_sid(sid);
        self.statements.push(statement(&sid, actions, resources));
    }

    /// `sid` without its non-alphanumeric characters, numbered when taken.
    fn free_sid(&self, sid: &str) -> String {
        let mut sid: String = sid.chars().filter(char::is_ascii_alphanumeric).collect();
        let base = sid.clone();
        let mut n = 2;
        while self.statements.iter().any(|s| s["Sid"] == sid.as_str()) {
            sid = format!("{base}{n}");
            n += 1;
        }
        sid
    }

    /// `kms:Decrypt` on `*`, but only through `service` (`ssm`,
    /// `secretsmanager`) in the stack's region: the key of a SecureString
    /// or a secret is the account's or the user's, unknown to ferry, and
    /// the condition keeps the grant to decrypting what that service reads.
    pub fn kms_decrypt_via(&mut self, service: &str) {
        let sid = format!("KmsDecryptVia{}", crate::names::pascal(service));
        if self.statements.iter().any(|s| s["Sid"] == sid.as_str()) {
            return;
        }
        let mut st = statement(&sid, vec!["kms:Decrypt".into()], vec![json!("*")]);
        st["Condition"] = json!({
            "StringEquals": {
                "kms:ViaService": { "Fn::Sub": format!("{service}.${{AWS::Region}}.amazonaws.com") }
            }
        });
        self.statements.push(st);
    }

    /// The role's inline policy document.
    pub fn document(&self) -> Value {
        json!({ "Version": "2012-10-17", "Statement": self.statements })
    }
}

fn prefixed(service: Service, actions: &[&str]) -> Vec<String> {
    actions
        .iter()
        .map(|a| format!("{}:{a}", service.prefix()))
        .collect()
}

fn grant_actions(service: Service, grant: &Grant) -> Vec<&'static str> {
    match grant {
        Grant::Level(l) => level_actions(service, *l),
        Grant::Actions(list) => list.iter().filter_map(|a| service.action(a)).collect(),
    }
}

fn value_of(app: &App, section: Section, name: &str, attr: Attr) -> Value {
    refs::target(app, &Ref::Attr(section, name.to_string(), attr)).value()
}

fn with_suffix(base: Value, suffix: &str) -> Value {
    match base {
        Value::Object(ref m) if m.contains_key("Fn::GetAtt") => {
            let ga = &m["Fn::GetAtt"];
            json!({ "Fn::Sub": format!("${{{}.{}}}{suffix}", ga[0].as_str().unwrap_or(""), ga[1].as_str().unwrap_or("")) })
        }
        Value::Object(ref m) if m.contains_key("Ref") => {
            json!({ "Fn::Sub": format!("${{{}}}{suffix}", m["Ref"].as_str().unwrap_or("")) })
        }
        Value::Object(ref m) if m.contains_key("Fn::Sub") && m["Fn::Sub"].is_string() => {
            json!({ "Fn::Sub": format!("{}{suffix}", m["Fn::Sub"].as_str().unwrap_or("")) })
        }
        Value::String(s) => json!(format!("{s}{suffix}")),
        other => other,
    }
}

/// A table's ARN and its indexes.
pub fn table_resources(app: &App, table: &str) -> Vec<Value> {
    let arn = value_of(app, Section::Tables, table, Attr::Arn);
    vec![arn.clone(), with_suffix(arn, "/index/*")]
}

/// The statements for an `access` block.
pub fn access(app: &App, access: &Access, p: &mut Policy) {
    for (name, g) in &access.tables {
        let actions = grant_actions(Service::DynamoDb, g);
        p.allow(
            &format!("Table{}", names::pascal(name)),
            prefixed(Service::DynamoDb, &actions),
            table_resources(app, name),
        );
    }
    for (name, g) in &access.queues {
        let actions = grant_actions(Service::Sqs, g);
        p.allow(
            &format!("Queue{}", names::pascal(name)),
            prefixed(Service::Sqs, &actions),
            vec![value_of(app, Section::Queues, name, Attr::Arn)],
        );
    }
    for (name, g) in &access.topics {
        let actions = grant_actions(Service::Sns, g);
        p.allow(
            &format!("Topic{}", names::pascal(name)),
            prefixed(Service::Sns, &actions),
            vec![value_of(app, Section::Topics, name, Attr::Arn)],
        );
    }
    for (name, g) in &access.buckets {
        let actions = grant_actions(Service::S3, g);
        let bucket_arn = value_of(app, Section::Buckets, name, Attr::Arn);
        let (object, bucket): (Vec<&str>, Vec<&str>) = actions.iter().partition(|a| {
            a.contains("Object") || a.contains("MultipartUpload") || **a == "RestoreObject"
        });
        let pn = names::pascal(name);
        p.allow(
            &format!("Bucket{pn}Objects"),
            prefixed(Service::S3, &object),
            vec![with_suffix(bucket_arn.clone(), "/*")],
        );
        p.allow(
            &format!("Bucket{pn}"),
            prefixed(Service::S3, &bucket),
            vec![bucket_arn],
        );
    }
    for (name, g) in &access.functions {
        let actions = grant_actions(Service::Lambda, g);
        p.allow(
            &format!("Function{}", names::pascal(name)),
            prefixed(Service::Lambda, &actions),
            function_resources(app, name),
        );
    }
    for (name, g) in &access.state_machines {
        let mut actions = grant_actions(Service::States, g);
        if matches!(g, Grant::Level(Level::Start))
            && app
                .state_machines
                .get(name)
                .is_some_and(|m| m.ty == MachineType::Express)
        {
            actions.push("StartSyncExecution");
        }
        p.allow(
            &format!("StateMachine{}", names::pascal(name)),
            prefixed(Service::States, &actions),
            vec![value_of(app, Section::StateMachines, name, Attr::Arn)],
        );
    }
    for (name, g) in &access.buses {
        let actions = grant_actions(Service::Events, g);
        p.allow(
            &format!("Bus{}", names::pascal(name)),
            prefixed(Service::Events, &actions),
            vec![value_of(app, Section::Buses, name, Attr::Arn)],
        );
    }
    for name in access.secrets.keys() {
        secret(app, name, p);
    }
    for (i, st) in access.policies.iter().enumerate() {
        let mut v = refs::tree(app, st);
        if v.get("Sid").is_none() {
            v["Sid"] = json!(format!("Custom{i}"));
        }
        p.statements.push(v);
    }
}

/// Reading one secret: `ssm:GetParameter` on the parameter, or
/// `secretsmanager:GetSecretValue` on the secret, and `kms:Decrypt` through
/// that service only.
pub fn secret(app: &App, name: &str, p: &mut Policy) {
    let Some(s) = app.secrets.get(name) else {
        return;
    };
    let sid = format!("Secret{}", names::pascal(name));
    match &s.source {
        SecretSource::Ssm(param) => {
            p.allow(
                &sid,
                prefixed(Service::Ssm, &level_actions(Service::Ssm, Level::Read)),
                vec![json!({ "Fn::Sub": refs::ssm_parameter_arn(param) })],
            );
            p.kms_decrypt_via("ssm");
        }
        SecretSource::SecretsManager(id) => {
            p.allow(
                &sid,
                prefixed(
                    Service::SecretsManager,
                    &level_actions(Service::SecretsManager, Level::Read),
                ),
                vec![secretsmanager_arn(id)],
            );
            p.kms_decrypt_via("secretsmanager");
        }
    }
}

/// The IAM resource of a Secrets Manager secret: its ARN as given, or for a
/// name the ARN with `-??????`, the six random characters Secrets Manager
/// appends to the name.
pub fn secretsmanager_arn(id: &str) -> Value {
    if id.starts_with("arn:") {
        return json!(id);
    }
    arn(&format!(
        "secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{id}-??????"
    ))
}

/// A function and its qualifiers (versions and aliases).
pub fn function_resources(app: &App, name: &str) -> Vec<Value> {
    let physical = names::physical(&app.name, &app.stage, name);
    vec![
        arn(&format!(
            "lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{physical}"
        )),
        arn(&format!(
            "lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{physical}:*"
        )),
    ]
}

/// What sending to a destination needs.
pub fn destination(app: &App, d: &Destination, sid: &str, p: &mut Policy) {
    match d {
        Destination::Queue(q) => p.allow(
            sid,
            vec!["sqs:SendMessage".into()],
            vec![value_of(app, Section::Queues, q, Attr::Arn)],
        ),
        Destination::Topic(t) => p.allow(
            sid,
            vec!["sns:Publish".into()],
            vec![value_of(app, Section::Topics, t, Attr::Arn)],
        ),
        Destination::Function(f) => p.allow(
            sid,
            vec!["lambda:InvokeFunction".into()],
            function_resources(app, f),
        ),
        Destination::Bus(b) => p.allow(sid, vec!["events:PutEvents".into()], vec![bus_arn(app, b)]),
    }
}

/// The ARN of a destination, for configuration.
pub fn destination_arn(app: &App, d: &Destination) -> Value {
    match d {
        Destination::Queue(q) => value_of(app, Section::Queues, q, Attr::Arn),
        Destination::Topic(t) => value_of(app, Section::Topics, t, Attr::Arn),
        Destination::Function(f) => {
            refs::target(app, &Ref::Attr(Section::Functions, f.clone(), Attr::Arn)).value()
        }
        Destination::Bus(b) => bus_arn(app, b),
    }
}

/// A bus as an ARN: this app's bus, or one given by name or ARN.
pub fn bus_arn(app: &App, b: &BusRef) -> Value {
    match b {
        BusRef::App(name) => value_of(app, Section::Buses, name, Attr::Arn),
        BusRef::External(i) => match i.as_literal() {
            Some(s) if !s.starts_with("arn:") => arn(&format!(
                "events:${{AWS::Region}}:${{AWS::AccountId}}:event-bus/{s}"
            )),
            _ => refs::interp(app, i),
        },
    }
}

/// A bus as a rule's `EventBusName` (a name or an ARN).
pub fn bus_name(app: &App, b: &BusRef) -> Value {
    match b {
        BusRef::App(name) => value_of(app, Section::Buses, name, Attr::Name),
        BusRef::External(i) => refs::interp(app, i),
    }
}

/// X-Ray actions: AWS requires `Resource: "*"` for them (no resource types).
pub fn xray(p: &mut Policy) {
    p.allow(
        "XRay",
        vec![
            "xray:PutTraceSegments".into(),
            "xray:PutTelemetryRecords".into(),
        ],
        vec![json!("*")],
    );
}

/// What Lambda does with a VPC function's role: network interfaces in the
/// function's subnets, of this account and region.
pub const VPC_INTERFACE_ACTIONS: &[&str] = &[
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
];

pub fn vpc(p: &mut Policy) {
    p.allow(
        "VpcNetworkInterfaces",
        VPC_INTERFACE_ACTIONS
            .iter()
            .map(|a| a.to_string())
            .collect(),
        vec![arn("ec2:${AWS::Region}:${AWS::AccountId}:*")],
    );
    // EC2's Describe actions have no resource types: AWS requires `*`.
    p.allow(
        "VpcDescribeNetworkInterfaces",
        vec!["ec2:DescribeNetworkInterfaces".into()],
        vec![json!("*")],
    );
}

/// Writing to the function's own log group.
pub fn logs(log_group_id: &str, p: &mut Policy) {
    p.allow(
        "Logs",
        vec!["logs:CreateLogStream".into(), "logs:PutLogEvents".into()],
        vec![get_att(log_group_id, "Arn")],
    );
}

/// A role trusting `service`, with one inline policy and the app's
/// permissions boundary. Services other than Lambda assume it only for
/// this account (`aws:SourceAccount`), so that another account's resource
/// cannot have the service act with this role.
pub fn role(app: &App, service: &str, policy: &Policy) -> Value {
    let mut trust = json!({
        "Effect": "Allow",
        "Principal": { "Service": service },
        "Action": "sts:AssumeRole"
    });
    if service != "lambda.amazonaws.com" {
        trust["Condition"] =
            json!({ "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } });
    }
    let mut props = json!({
        "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [trust] }
    });
    if !policy.statements.is_empty() {
        props["Policies"] = json!([{ "PolicyName": "ferry", "PolicyDocument": policy.document() }]);
    }
    if let Some(b) = &app.permissions_boundary {
        props["PermissionsBoundary"] = if b.contains("${") {
            json!({ "Fn::Sub": b })
        } else {
            json!(b)
        };
    }
    json!({ "Type": "AWS::IAM::Role", "Properties": props })
}
