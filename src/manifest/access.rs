//! A function's `access`: grants on the app's tables, queues, topics,
//! buckets, functions and state machines, and its own IAM statements.

use std::collections::BTreeMap;

use super::decode::{Cx, Fields, RefSite};
use super::interp::{Ref, Section};
use super::model::*;
use super::yaml::{Node, Value};
use crate::diagnostic::did_you_mean;
use crate::iam::Service;

pub fn access(cx: &mut Cx, n: &Node) -> Option<Access> {
    let mut f = cx.fields(n, &super::vocab::ACCESS)?;
    let grants =
        |cx: &mut Cx, f: &mut Fields, key: &'static str, section: Section, service: Service| {
            f.opt(cx, key, |cx, n| {
                let fields = cx.map(n)?;
                let mut out = BTreeMap::new();
                for (k, v) in fields.entries {
                    cx.at(&k.name, |cx| {
                        let loc = cx.loc(k.pos);
                        cx.refs.push(RefSite {
                            target: Ref::Named(section, k.name.clone()),
                            loc,
                        });
                        if let Some(g) = grant(cx, v, service) {
                            out.insert(k.name.clone(), g);
                        }
                    });
                }
                Some(out)
            })
            .unwrap_or_default()
        };
    let tables = grants(cx, &mut f, "tables", Section::Tables, Service::DynamoDb);
    let queues = grants(cx, &mut f, "queues", Section::Queues, Service::Sqs);
    let topics = grants(cx, &mut f, "topics", Section::Topics, Service::Sns);
    let buckets = grants(cx, &mut f, "buckets", Section::Buckets, Service::S3);
    let functions = grants(cx, &mut f, "functions", Section::Functions, Service::Lambda);
    let state_machines = grants(
        cx,
        &mut f,
        "state_machines",
        Section::StateMachines,
        Service::States,
    );
    let buses = grants(cx, &mut f, "buses", Section::Buses, Service::Events);
    let secrets = f
        .opt(cx, "secrets", super::secrets::access)
        .unwrap_or_default();
    let mut wildcards = Vec::new();
    let policies = f
        .opt(cx, "policies", |cx, n| {
            cx.list(n, |cx, s| {
                wildcards.extend(policy_wildcards(cx, s));
                let t = cx.tree(s)?;
                if !matches!(t, Tree::Map(_))
                    || t.get("Effect").is_none()
                    || t.get("Action").is_none()
                {
                    cx.error_hint(
                        s.pos,
                        "an IAM statement needs at least `Effect` and `Action`",
                        Some(
                            "e.g. { Effect: Allow, Action: [ssm:GetParameter], Resource: arn:... }"
                                .into(),
                        ),
                    );
                    return None;
                }
                Some(t)
            })
        })
        .unwrap_or_default();
    f.finish(cx);
    Some(Access {
        tables,
        buses,
        secrets,
        queues,
        topics,
        buckets,
        functions,
        state_machines,
        policies,
        wildcards,
    })
}

/// Where an IAM statement has a wildcard action (`*`, `s3:*`, `s3:Get*`)
/// or a resource that is `*` or any resource of a service, region or
/// account (`arn:aws:s3:::*`); a path below a named resource
/// (`parameter/app/*`) is fine.
fn policy_wildcards(cx: &mut Cx, statement: &Node) -> Vec<Loc> {
    let mut out = Vec::new();
    for (k, v) in statement.as_map().unwrap_or_default() {
        let action = match k.name.as_str() {
            "Action" | "NotAction" => true,
            "Resource" | "NotResource" => false,
            _ => continue,
        };
        let values: Vec<&Node> = match &v.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![v],
        };
        for n in values {
            let Value::Str(s) = &n.value else { continue };
            if (action && s.contains('*')) || (!action && broad_resource(s)) {
                out.push(cx.at(k.name.as_str(), |cx| cx.loc(n.pos)));
            }
        }
    }
    out
}

/// `*`, or an ARN with `*` for its service, region or account, or for the
/// whole of its resource part. Used only to warn about a statement the user
/// wrote in `access.policies`; it grants nothing.
fn broad_resource(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    s == "*"
        || parts.iter().take(5).any(|p| *p == "*")
        || parts.get(5).is_some_and(|r| r.starts_with('*'))
}

/// A level (`write`) or a list of the service's actions (`[PutItem]`).
fn grant(cx: &mut Cx, n: &Node, service: Service) -> Option<Grant> {
    if let Value::Seq(_) = n.value {
        let actions = cx.list(n, |cx, a| {
            let s = cx.nonempty(a)?;
            match service.action(&s) {
                Some(act) => Some(act.to_string()),
                None => {
                    let hint = did_you_mean(&s, service.actions().iter().copied());
                    cx.error_hint(
                        a.pos,
                        format!("unknown {} action `{s}`", service.prefix()),
                        hint,
                    );
                    None
                }
            }
        })?;
        if actions.is_empty() {
            cx.error(n.pos, "list at least one action");
            return None;
        }
        return Some(Grant::Actions(actions));
    }
    let words: Vec<&str> = service.levels().iter().map(|(w, _)| *w).collect();
    let w = cx.one_of(n, &words)?;
    service
        .levels()
        .iter()
        .find(|(x, _)| *x == w)
        .map(|(_, l)| Grant::Level(*l))
}
