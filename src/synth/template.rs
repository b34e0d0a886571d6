//! A CloudFormation template under construction, and the intrinsic
//! functions as small constructors.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// One template. Resources, parameters and outputs are kept sorted by
/// logical ID, so the same model always gives the same bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Template {
    pub description: String,
    pub parameters: BTreeMap<String, Value>,
    pub resources: BTreeMap<String, Value>,
    pub outputs: BTreeMap<String, Value>,
    /// The entry each resource belongs to (`function:api`, `table:orders`):
    /// what `split` keeps together.
    pub units: BTreeMap<String, String>,
    /// The unit that `add` records for new resources.
    pub unit: String,
}

impl Template {
    pub fn add(&mut self, id: impl Into<String>, resource: Value) {
        let id = id.into();
        self.units.insert(id.clone(), self.unit.clone());
        self.resources.insert(id, resource);
    }

    /// Sets the unit of the resources added next.
    pub fn in_unit(&mut self, kind: &str, name: &str) {
        self.unit = format!("{kind}:{name}");
    }

    pub fn output(&mut self, id: impl Into<String>, value: Value, description: &str) {
        self.outputs.insert(
            id.into(),
            json!({ "Description": description, "Value": value }),
        );
    }

    fn view(&self) -> View<'_> {
        View {
            version: "2010-09-09",
            description: &self.description,
            parameters: &self.parameters,
            resources: &self.resources,
            outputs: &self.outputs,
        }
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self.view()).expect("template serializes")
    }

    /// Pretty JSON, the format deploy uploads.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.view()).expect("template serializes");
        s.push('\n');
        s
    }

    /// The same template as YAML.
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(&self.view()).expect("template serializes")
    }
}

/// The template as CloudFormation lays it out, borrowed for serializing.
#[derive(serde::Serialize)]
struct View<'a> {
    #[serde(rename = "AWSTemplateFormatVersion")]
    version: &'static str,
    #[serde(rename = "Description", skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(rename = "Parameters", skip_serializing_if = "BTreeMap::is_empty")]
    parameters: &'a BTreeMap<String, Value>,
    #[serde(rename = "Resources")]
    resources: &'a BTreeMap<String, Value>,
    #[serde(rename = "Outputs", skip_serializing_if = "BTreeMap::is_empty")]
    outputs: &'a BTreeMap<String, Value>,
}

/// A resource of `ty` with `props`.
pub fn resource(ty: &str, props: Value) -> Value {
    json!({ "Type": ty, "Properties": props })
}

pub fn r#ref(id: &str) -> Value {
    json!({ "Ref": id })
}

pub fn get_att(id: &str, attr: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attr] })
}

pub fn sub(s: &str) -> Value {
    json!({ "Fn::Sub": s })
}

/// An ARN in this partition, region and account: `arn:${AWS::Partition}:<rest>`.
pub fn arn(rest: &str) -> Value {
    sub(&format!("arn:${{AWS::Partition}}:{rest}"))
}

/// Adds `DependsOn` entries to a resource.
pub fn depends_on(resource: &mut Value, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    let mut all: Vec<String> = resource
        .get("DependsOn")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    all.extend(ids.iter().cloned());
    all.sort();
    all.dedup();
    resource["DependsOn"] = json!(all);
}

/// `DeletionPolicy` and `UpdateReplacePolicy` `Retain`.
pub fn retain(resource: &mut Value) {
    resource["DeletionPolicy"] = json!("Retain");
    resource["UpdateReplacePolicy"] = json!("Retain");
}

/// A bucket policy that refuses every request not made over TLS.
/// `bucket` names the bucket (a `Ref`), `arn` is its ARN as a `Fn::Sub`
/// string.
pub fn tls_only_bucket_policy(bucket: Value, arn: &str) -> Value {
    resource(
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": bucket,
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [ sub(arn), sub(&format!("{arn}/*")) ],
                    "Condition": { "Bool": { "aws:SecureTransport": "false" } }
                }]
            }
        }),
    )
}

/// An IAM policy statement.
pub fn statement(sid: &str, actions: Vec<String>, resources: Vec<Value>) -> Value {
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources })
}
