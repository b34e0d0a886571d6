//! Parameters, tables, queues, topics, buckets and layers.

use serde_json::{Value, json};

use super::template::{
    Template, depends_on, get_att, resource, retain, sub, tls_only_bucket_policy,
};
use super::{Artifacts, code_location};
use crate::manifest::model::*;
use crate::names;

/// Template parameters with the stage's value as `Default`, but for
/// `no_echo` ones: their value is passed at deploy time and never written
/// into a template.
pub fn parameters(app: &App, t: &mut Template) {
    for (name, p) in &app.parameters {
        let mut v = json!({ "Type": p.ty });
        if !p.no_echo {
            v["Default"] = json!(p.value);
        }
        if !p.allowed.is_empty() {
            v["AllowedValues"] = json!(p.allowed);
        }
        if let Some(d) = &p.description {
            v["Description"] = json!(d);
        }
        if p.no_echo {
            v["NoEcho"] = json!(true);
        }
        t.parameters.insert(name.clone(), v);
    }
}

fn key_schema(pk: &KeyAttr, sk: &Option<KeyAttr>) -> Value {
    let mut ks = vec![json!({ "AttributeName": pk.name, "KeyType": "HASH" })];
    if let Some(sk) = sk {
        ks.push(json!({ "AttributeName": sk.name, "KeyType": "RANGE" }));
    }
    json!(ks)
}

fn throughput(b: &Billing) -> Option<Value> {
    match b {
        Billing::OnDemand => None,
        Billing::Provisioned { read, write } => {
            Some(json!({ "ReadCapacityUnits": read, "WriteCapacityUnits": write }))
        }
    }
}

pub fn tables(app: &App, t: &mut Template) {
    for (name, table) in &app.tables {
        t.in_unit("table", name);
        let mut attrs: Vec<&KeyAttr> = vec![&table.partition_key];
        attrs.extend(table.sort_key.iter());
        for ix in table.indexes.values() {
            attrs.push(&ix.partition_key);
            attrs.extend(ix.sort_key.iter());
        }
        let mut defs: Vec<Value> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for a in attrs {
            if seen.insert(a.name.clone()) {
                defs.push(json!({ "AttributeName": a.name, "AttributeType": a.ty.code() }));
            }
        }
        let mut props = json!({
            "TableName": names::physical(&app.name, &app.stage, name),
            "AttributeDefinitions": defs,
            "KeySchema": key_schema(&table.partition_key, &table.sort_key),
            "BillingMode": match table.billing { Billing::OnDemand => "PAY_PER_REQUEST", _ => "PROVISIONED" },
            "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": table.point_in_time_recovery },
            "SSESpecification": { "SSEEnabled": true },
            "DeletionProtectionEnabled": table.deletion_protection,
        });
        if let Some(tp) = throughput(&table.billing) {
            props["ProvisionedThroughput"] = tp;
        }
        if let Some(view) = table.stream {
            props["StreamSpecification"] = json!({ "StreamViewType": view.cfn() });
        }
        if let Some(ttl) = &table.ttl {
            props["TimeToLiveSpecification"] = json!({ "AttributeName": ttl, "Enabled": true });
        }
        if !table.indexes.is_empty() {
            let gsis: Vec<Value> = table
                .indexes
                .iter()
                .map(|(iname, ix)| {
                    let projection = match &ix.projection {
                        Projection::All => json!({ "ProjectionType": "ALL" }),
                        Projection::KeysOnly => json!({ "ProjectionType": "KEYS_ONLY" }),
                        Projection::Include(a) => {
                            json!({ "ProjectionType": "INCLUDE", "NonKeyAttributes": a })
                        }
                    };
                    let mut g = json!({
                        "IndexName": iname,
                        "KeySchema": key_schema(&ix.partition_key, &ix.sort_key),
                        "Projection": projection,
                    });
                    if let Some(tp) = ix
                        .billing
                        .as_ref()
                        .and_then(throughput)
                        .or_else(|| throughput(&table.billing))
                    {
                        g["ProvisionedThroughput"] = tp;
                    }
                    g
                })
                .collect();
            props["GlobalSecondaryIndexes"] = json!(gsis);
        }
        let mut r = resource("AWS::DynamoDB::Table", props);
        if table.retain {
            retain(&mut r);
        } else {
            r["DeletionPolicy"] = json!("Delete");
            r["UpdateReplacePolicy"] = json!("Delete");
        }
        t.add(names::table(name), r);
    }
}

pub fn queues(app: &App, t: &mut Template) {
    for (name, q) in &app.queues {
        t.in_unit("queue", name);
        let mut props = json!({
            "QueueName": names::queue_physical(&app.name, &app.stage, name, q.fifo),
            "VisibilityTimeout": q.visibility_timeout.secs(),
            "MessageRetentionPeriod": q.retention.secs(),
            "SqsManagedSseEnabled": true,
        });
        if q.delay.secs() > 0 {
            props["DelaySeconds"] = json!(q.delay.secs());
        }
        if q.fifo {
            props["FifoQueue"] = json!(true);
            props["ContentBasedDeduplication"] = json!(q.content_based_deduplication);
        }
        if let Some(dl) = &q.dead_letter {
            props["RedrivePolicy"] = json!({
                "deadLetterTargetArn": get_att(&names::queue(&dl.queue), "Arn"),
                "maxReceiveCount": dl.max_receives,
            });
        }
        t.add(names::queue(name), resource("AWS::SQS::Queue", props));
    }
}

pub fn topics(app: &App, t: &mut Template) {
    for (name, topic) in &app.topics {
        t.in_unit("topic", name);
        let mut physical = names::physical(&app.name, &app.stage, name);
        let mut props = json!({});
        if topic.fifo {
            physical.push_str(".fifo");
            props["FifoTopic"] = json!(true);
            props["ContentBasedDeduplication"] = json!(topic.content_based_deduplication);
        }
        props["TopicName"] = json!(physical);
        t.add(names::topic(name), resource("AWS::SNS::Topic", props));
    }
}

/// The app's EventBridge buses, named `<app>-<stage>-<name>`.
pub fn buses(app: &App, t: &mut Template) {
    for name in app.buses.keys() {
        t.in_unit("bus", name);
        t.add(
            names::bus(name),
            resource(
                "AWS::Events::EventBus",
                json!({ "Name": names::physical(&app.name, &app.stage, name) }),
            ),
        );
    }
}

/// One S3 notification to a function, gathered from the functions'
/// `bucket` triggers.
pub struct Notification {
    pub events: Vec<BucketEvent>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub alias_id: String,
    pub permission_id: String,
}

pub fn buckets(app: &App, t: &mut Template, notifications: &[(String, Notification)]) {
    for (name, b) in &app.buckets {
        t.in_unit("bucket", name);
        let physical = names::bucket_physical_sub(&app.name, &app.stage, name);
        let mut props = json!({
            "BucketName": sub(&physical),
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true,
                "BlockPublicPolicy": true,
                "IgnorePublicAcls": true,
                "RestrictPublicBuckets": true
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" }, "BucketKeyEnabled": true }
                ]
            },
            "OwnershipControls": { "Rules": [ { "ObjectOwnership": "BucketOwnerEnforced" } ] },
        });
        if b.versioned {
            props["VersioningConfiguration"] = json!({ "Status": "Enabled" });
        }
        let mine: Vec<&Notification> = notifications
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, n)| n)
            .collect();
        let mut depends = Vec::new();
        if !mine.is_empty() {
            let mut configs = Vec::new();
            for n in &mine {
                for e in &n.events {
                    let mut c = json!({
                        "Event": match e { BucketEvent::Created => "s3:ObjectCreated:*", BucketEvent::Removed => "s3:ObjectRemoved:*" },
                        "Function": { "Ref": n.alias_id },
                    });
                    let mut rules = Vec::new();
                    if let Some(p) = &n.prefix {
                        rules.push(json!({ "Name": "prefix", "Value": p }));
                    }
                    if let Some(s) = &n.suffix {
                        rules.push(json!({ "Name": "suffix", "Value": s }));
                    }
                    if !rules.is_empty() {
                        c["Filter"] = json!({ "S3Key": { "Rules": rules } });
                    }
                    configs.push(c);
                }
                depends.push(n.permission_id.clone());
            }
            props["NotificationConfiguration"] = json!({ "LambdaConfigurations": configs });
        }
        let mut r = resource("AWS::S3::Bucket", props);
        depends_on(&mut r, &depends);
        if b.retain {
            retain(&mut r);
        } else {
            r["DeletionPolicy"] = json!("Delete");
            r["UpdateReplacePolicy"] = json!("Delete");
        }
        t.add(names::bucket(name), r);
        let arn = format!("arn:${{AWS::Partition}}:s3:::{physical}");
        t.add(
            names::bucket_policy(name),
            tls_only_bucket_policy(json!({ "Ref": names::bucket(name) }), &arn),
        );
    }
}

pub fn layers(app: &App, artifacts: &Artifacts, t: &mut Template) {
    for (name, l) in &app.layers {
        t.in_unit("layer", name);
        let mut props = json!({
            "LayerName": names::physical(&app.name, &app.stage, name),
            "Content": code_location(app, artifacts, artifacts.layers.get(name), &format!("layers/{name}"), t),
            "CompatibleArchitectures": l.architectures.iter().map(|a| a.id()).collect::<Vec<_>>(),
            "CompatibleRuntimes": l.runtimes.iter().map(|r| r.id()).collect::<Vec<_>>(),
        });
        if let Some(d) = &l.description {
            props["Description"] = json!(d);
        }
        let mut r = resource("AWS::Lambda::LayerVersion", props);
        retain(&mut r);
        t.add(names::layer(name), r);
    }
}
