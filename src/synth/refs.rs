//! Turning manifest references into CloudFormation values: `Ref`,
//! `Fn::GetAtt` or `Fn::Sub`, never a literal copy of what they name.

use serde_json::{Map, Value, json};

use super::template::{get_att, r#ref, sub};
use crate::manifest::interp::{Attr, Interp, Part, Pseudo, Ref, Section};
use crate::manifest::model::{App, Tree};
use crate::names;

/// The value a reference stands for.
pub enum Target {
    /// Known when synthesizing (`${app}`, a function's name).
    Literal(String),
    /// `Ref` to a logical ID or a pseudo parameter: `${X}` inside `Fn::Sub`.
    Ref(String),
    /// `Fn::GetAtt`: `${X.Attr}` inside `Fn::Sub`.
    GetAtt(String, String),
    /// A `Fn::Sub` string of its own, inlined.
    Sub(String),
}

impl Target {
    pub fn value(&self) -> Value {
        match self {
            Target::Literal(s) => json!(s),
            Target::Ref(id) => r#ref(id),
            Target::GetAtt(id, a) => get_att(id, a),
            Target::Sub(s) => sub(s),
        }
    }
}

/// What a reference resolves to in the app's template.
pub fn target(app: &App, r: &Ref) -> Target {
    let physical = |n: &str| names::physical(&app.name, &app.stage, n);
    match r {
        Ref::App => Target::Literal(app.name.clone()),
        Ref::Stage => Target::Literal(app.stage.clone()),
        Ref::Aws(p) => Target::Ref(
            match p {
                Pseudo::Region => "AWS::Region",
                Pseudo::AccountId => "AWS::AccountId",
                Pseudo::Partition => "AWS::Partition",
                Pseudo::UrlSuffix => "AWS::URLSuffix",
            }
            .to_string(),
        ),
        Ref::Param(p) => Target::Ref(p.clone()),
        Ref::HttpUrl => match &app.http.domain {
            Some(d) => Target::Literal(format!("https://{}/", d.name)),
            None => Target::GetAtt(names::HTTP_API.into(), "ApiEndpoint".into()),
        },
        Ref::Named(section, name) => target(app, &Ref::Attr(*section, name.clone(), Attr::Arn)),
        Ref::Attr(section, name, attr) => match (section, attr) {
            (Section::Tables, Attr::Name) => Target::Ref(names::table(name)),
            (Section::Tables, Attr::StreamArn) => {
                Target::GetAtt(names::table(name), "StreamArn".into())
            }
            (Section::Tables, _) => Target::GetAtt(names::table(name), "Arn".into()),
            (Section::Queues, Attr::Url) => Target::Ref(names::queue(name)),
            (Section::Queues, Attr::Name) => Target::GetAtt(names::queue(name), "QueueName".into()),
            (Section::Queues, _) => Target::GetAtt(names::queue(name), "Arn".into()),
            (Section::Topics, Attr::Name) => Target::GetAtt(names::topic(name), "TopicName".into()),
            (Section::Topics, _) => Target::Ref(names::topic(name)),
            (Section::Buckets, Attr::Name) => {
                Target::Sub(names::bucket_physical_sub(&app.name, &app.stage, name))
            }
            (Section::Buckets, _) => Target::Sub(format!(
                "arn:${{AWS::Partition}}:s3:::{}",
                names::bucket_physical_sub(&app.name, &app.stage, name)
            )),
            // Functions by their known name and alias ARN: no dependency,
            // so functions may reference each other (and themselves).
            (Section::Functions, Attr::Name) => Target::Literal(physical(name)),
            (Section::Functions, _) => Target::Sub(function_alias_arn(app, name)),
            (Section::StateMachines, Attr::Name) => {
                Target::GetAtt(names::state_machine(name), "Name".into())
            }
            (Section::StateMachines, _) => Target::Ref(names::state_machine(name)),
            // `Ref` of a bus is its name.
            (Section::Buses, Attr::Name) => Target::Ref(names::bus(name)),
            (Section::Buses, _) => Target::GetAtt(names::bus(name), "Arn".into()),
            (Section::Secrets, attr) => secret_target(app, name, *attr),
            (Section::Layers, _) => Target::Ref(names::layer(name)),
            (Section::Parameters, _) => Target::Ref(name.clone()),
        },
    }
}

/// A secret's name, or its ARN: the parameter's, or the secret's as
/// written (a secret given by name has a partial ARN, without the random
/// suffix Secrets Manager appends; `GetSecretValue` accepts it).
fn secret_target(app: &App, name: &str, attr: Attr) -> Target {
    use crate::manifest::model::SecretSource;
    let Some(secret) = app.secrets.get(name) else {
        return Target::Literal(String::new());
    };
    match (&secret.source, attr) {
        (_, Attr::Name) => Target::Literal(secret.id().to_string()),
        (SecretSource::Ssm(p), _) => Target::Sub(ssm_parameter_arn(p)),
        (SecretSource::SecretsManager(id), _) if id.starts_with("arn:") => {
            Target::Literal(id.clone())
        }
        (SecretSource::SecretsManager(id), _) => Target::Sub(format!(
            "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{id}"
        )),
    }
}

/// An SSM parameter's ARN as a `Fn::Sub` string: `parameter/shop/x` for
/// `/shop/x` (a path's leading `/` is the separator), `parameter/x` for `x`.
pub fn ssm_parameter_arn(name: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{}",
        name.strip_prefix('/').unwrap_or(name)
    )
}

/// `arn:...:function:<app>-<stage>-<fn>:<alias>` as a `Fn::Sub` string.
pub fn function_alias_arn(app: &App, function: &str) -> String {
    let alias = app
        .functions
        .get(function)
        .map(|f| f.alias.as_str())
        .unwrap_or("live");
    format!(
        "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{}:{alias}",
        names::physical(&app.name, &app.stage, function)
    )
}

/// Escapes a literal for `Fn::Sub`: `${` becomes `${!`.
fn escape_sub(s: &str) -> String {
    s.replace("${", "${!")
}

/// A string with references, as a CloudFormation value: a plain string when
/// it holds none, the referenced value itself when it is one reference, else
/// `Fn::Sub`.
pub fn interp(app: &App, i: &Interp) -> Value {
    let targets: Vec<(usize, Target)> = i
        .parts
        .iter()
        .enumerate()
        .filter_map(|(n, p)| match p {
            Part::Ref { target: r, .. } => Some((n, target(app, r))),
            Part::Lit(_) => None,
        })
        .collect();
    if targets.iter().all(|(_, t)| matches!(t, Target::Literal(_))) {
        let mut s = String::new();
        for (n, p) in i.parts.iter().enumerate() {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Ref { .. } => {
                    if let Some((_, Target::Literal(l))) = targets.iter().find(|(k, _)| *k == n) {
                        s.push_str(l);
                    }
                }
            }
        }
        return json!(s);
    }
    if i.parts.len() == 1 {
        return targets[0].1.value();
    }
    let mut s = String::new();
    for (n, p) in i.parts.iter().enumerate() {
        match p {
            Part::Lit(l) => s.push_str(&escape_sub(l)),
            Part::Ref { .. } => {
                let t = &targets.iter().find(|(k, _)| *k == n).expect("target").1;
                push_target(&mut s, t);
            }
        }
    }
    sub(&s)
}

fn push_target(s: &mut String, t: &Target) {
    match t {
        Target::Literal(l) => s.push_str(&escape_sub(l)),
        Target::Ref(id) => {
            s.push_str("${");
            s.push_str(id);
            s.push('}');
        }
        Target::GetAtt(id, a) => {
            s.push_str("${");
            s.push_str(id);
            s.push('.');
            s.push_str(a);
            s.push('}');
        }
        Target::Sub(inner) => s.push_str(inner),
    }
}

/// A free-form tree as a CloudFormation value (strings become `interp`).
pub fn tree(app: &App, t: &Tree) -> Value {
    match t {
        Tree::Null => Value::Null,
        Tree::Bool(b) => json!(b),
        Tree::Int(i) => json!(i),
        Tree::Float(f) => json!(f),
        Tree::Str(s) => interp(app, s),
        Tree::Seq(items) => Value::Array(items.iter().map(|i| tree(app, i)).collect()),
        Tree::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k.clone(), tree(app, v));
            }
            Value::Object(m)
        }
    }
}

/// A free-form tree serialized as a JSON string (event payloads, patterns
/// for filters, state machine definitions), with references substituted by
/// `Fn::Sub`.
pub fn tree_json_string(app: &App, t: &Tree) -> Value {
    let mut s = String::new();
    let mut has_refs = false;
    write_json(app, t, &mut s, &mut has_refs);
    if has_refs {
        sub(&s)
    } else {
        json!(s.replace("${!", "${"))
    }
}

fn write_json(app: &App, t: &Tree, out: &mut String, has_refs: &mut bool) {
    match t {
        Tree::Null => out.push_str("null"),
        Tree::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Tree::Int(i) => out.push_str(&i.to_string()),
        Tree::Float(f) => out.push_str(&json!(f).to_string()),
        Tree::Str(i) => {
            out.push('"');
            for p in &i.parts {
                match p {
                    Part::Lit(l) => {
                        let quoted = json!(l).to_string();
                        out.push_str(&escape_sub(&quoted[1..quoted.len() - 1]));
                    }
                    Part::Ref { target: r, .. } => {
                        let t = target(app, r);
                        if !matches!(t, Target::Literal(_)) {
                            *has_refs = true;
                        }
                        push_target(out, &t);
                    }
                }
            }
            out.push('"');
        }
        Tree::Seq(items) => {
            out.push('[');
            for (n, i) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_json(app, i, out, has_refs);
            }
            out.push(']');
        }
        Tree::Map(entries) => {
            out.push('{');
            for (n, (k, v)) in entries.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let quoted = json!(k).to_string();
                out.push_str(&escape_sub(&quoted));
                out.push(':');
                write_json(app, v, out, has_refs);
            }
            out.push('}');
        }
    }
}
