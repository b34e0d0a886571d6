//! Splitting an app that is larger than one template into nested stacks.
//!
//! CloudFormation allows 500 resources, 200 parameters, 200 outputs and
//! 1 MB per template. Past that, resources move into nested stacks:
//!
//! 1. Resources are grouped in units (a function and what hangs off it, a
//!    table, a queue, ...). A table, queue, topic, bucket or layer used by a
//!    single function joins that function's unit, and units that depend on
//!    each other in a cycle become one.
//! 2. Units are layered by dependency: a unit's layer is one more than the
//!    highest layer it depends on, so references only point to lower layers
//!    and nested stacks never depend on each other in a cycle.
//! 3. Within a layer, a unit's stack is a hash of its name modulo the
//!    layer's stack count (a power of two), so that adding an entry moves
//!    nothing else until a layer doubles.
//! 4. References that cross stacks become an output of the referenced stack
//!    and a parameter of the referencing one, wired in the root.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::template::Template;
use super::{Stacks, template::resource};
use crate::names::short_hash;
use crate::state;

/// CloudFormation's limits per template.
pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_PARAMETERS: usize = 200;
/// Template size when given by URL.
pub const MAX_BYTES: usize = 1_000_000;

/// What one nested stack aims for, well under the limits.
const TARGET_RESOURCES: usize = 300;

/// True when the template is over a limit and must be split.
pub fn needs_split(t: &Template) -> bool {
    t.resources.len() > MAX_RESOURCES
        || t.outputs.len() > MAX_OUTPUTS
        || t.parameters.len() > MAX_PARAMETERS
        || t.to_json().len() > MAX_BYTES * 9 / 10
}

/// A reference found in a value: a logical ID and, for `Fn::GetAtt`, the
/// attribute.
type Link = (String, Option<String>);

/// Every `Ref`, `Fn::GetAtt` and `${...}` of `Fn::Sub` in a value.
pub fn links(v: &Value, out: &mut BTreeSet<Link>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(id)) = m.get("Ref") {
                out.insert((id.clone(), None));
            }
            if let Some(Value::Array(a)) = m.get("Fn::GetAtt") {
                if let (Some(id), Some(attr)) = (
                    a.first().and_then(Value::as_str),
                    a.get(1).and_then(Value::as_str),
                ) {
                    out.insert((id.to_string(), Some(attr.to_string())));
                }
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let (text, vars) = match sub {
                    Value::String(s) => (s.as_str(), None),
                    Value::Array(a) => (a.first().and_then(Value::as_str).unwrap_or(""), a.get(1)),
                    _ => ("", None),
                };
                for var in sub_vars(text) {
                    if vars.and_then(|v| v.get(&var)).is_some() {
                        continue;
                    }
                    match var.split_once('.') {
                        Some((id, attr)) => out.insert((id.to_string(), Some(attr.to_string()))),
                        None => out.insert((var, None)),
                    };
                }
            }
            for (k, child) in m {
                if k != "Ref" && k != "Fn::GetAtt" {
                    links(child, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| links(c, out)),
        _ => {}
    }
}

/// The variable names of a `Fn::Sub` string (`${X}`, `${X.Y}`; not `${!X}`).
fn sub_vars(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { break };
        let var = &after[..end];
        if !var.starts_with('!') {
            out.push(var.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

/// The output or parameter name carrying `id`/`attr` across stacks.
fn link_name(id: &str, attr: Option<&str>) -> String {
    let mut s: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    if let Some(a) = attr {
        s.extend(a.chars().filter(char::is_ascii_alphanumeric));
    }
    s
}

fn depends(v: &Value) -> Vec<String> {
    match v.get("DependsOn") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// Where each resource of a deployed stack lives: its logical ID, and the
/// logical ID of the nested stack holding it ([`ROOT`] for the root stack).
/// Deploy reads it from the stacks and hands it to synth, so that nothing
/// already deployed changes stack.
pub type Placement = BTreeMap<String, String>;

/// The root stack in a [`Placement`].
pub const ROOT: &str = "";

/// A resource that holds state: one of `state::STATEFUL_TYPES`, or a
/// resource of a table's, queue's, topic's, bucket's or bus's own unit (a
/// bucket policy stays with its bucket).
fn is_state(resource: &Value, unit: Option<&String>) -> bool {
    resource["Type"].as_str().is_some_and(state::is_stateful)
        || unit.is_some_and(|u| {
            ["table:", "queue:", "topic:", "bucket:", "bus:"]
                .iter()
                .any(|p| u.starts_with(p))
        })
}

/// A resource's physical name when the template sets it (`TableName`,
/// `QueueName`, ...), as `Fn::Sub` text.
fn physical_name(resource: &Value) -> Option<String> {
    let key = match resource["Type"].as_str()? {
        "AWS::DynamoDB::Table" => "TableName",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::SNS::Topic" => "TopicName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::S3::Bucket" => "BucketName",
        "AWS::Events::EventBus" => "Name",
        _ => return None,
    };
    match &resource["Properties"][key] {
        Value::String(s) => Some(s.replace("${", "${!")),
        Value::Object(m) => m.get("Fn::Sub").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

/// The value of `Ref` (`attr: None`) or `Fn::GetAtt` of a named stateful
/// resource, computed from its name as `Fn::Sub` text: what another stack
/// uses instead of a parameter, so that stateful resources can be
/// referenced from any number of stacks.
fn derived(resource: &Value, attr: Option<&str>) -> Option<String> {
    let name = physical_name(resource)?;
    let arn = |service: &str, rest: &str| {
        format!("arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{rest}")
    };
    Some(match (resource["Type"].as_str()?, attr) {
        ("AWS::DynamoDB::Table", None) => name,
        ("AWS::DynamoDB::Table", Some("Arn")) => arn("dynamodb", &format!("table/{name}")),
        ("AWS::SQS::Queue", None) => {
            format!("https://sqs.${{AWS::Region}}.${{AWS::URLSuffix}}/${{AWS::AccountId}}/{name}")
        }
        ("AWS::SQS::Queue", Some("Arn")) => arn("sqs", &name),
        ("AWS::SQS::Queue", Some("QueueName")) => name,
        ("AWS::SNS::Topic", None | Some("TopicArn")) => arn("sns", &name),
        ("AWS::SNS::Topic", Some("TopicName")) => name,
        ("AWS::Logs::LogGroup", None) => name,
        ("AWS::Logs::LogGroup", Some("Arn")) => arn("logs", &format!("log-group:{name}:*")),
        ("AWS::S3::Bucket", None) => name,
        ("AWS::S3::Bucket", Some("Arn")) => format!("arn:${{AWS::Partition}}:s3:::{name}"),
        ("AWS::Events::EventBus", None | Some("Name")) => name,
        ("AWS::Events::EventBus", Some("Arn")) => arn("events", &format!("event-bus/{name}")),
        _ => return None,
    })
}

/// `Fn::Sub` text as a value: a plain string when it has no variables.
fn sub_value(text: &str) -> Value {
    if text.contains("${") {
        json!({ "Fn::Sub": text })
    } else {
        json!(text)
    }
}

/// How a reference from one stack to a resource of another is carried.
enum Carry {
    /// Computed from the resource's name, with an ordering dependency.
    Derived(String),
    /// A parameter of the referencing nested stack (named `link_name`).
    Parameter,
    /// From the root to a nested stack: `Fn::GetAtt [Stack, Outputs.X]`.
    Output(String),
}

/// Rewrites references with `f(id, attr)`.
fn rewrite_carry(v: &mut Value, f: &dyn Fn(&str, Option<&str>) -> Option<Carry>) {
    match v {
        Value::Object(m) => {
            let target = if let Some(Value::String(id)) = m.get("Ref") {
                Some((id.clone(), None))
            } else if let Some(Value::Array(a)) = m.get("Fn::GetAtt") {
                Some((
                    a.first().and_then(Value::as_str).unwrap_or("").to_string(),
                    Some(a.get(1).and_then(Value::as_str).unwrap_or("").to_string()),
                ))
            } else {
                None
            };
            if let Some((id, attr)) = target {
                match f(&id, attr.as_deref()) {
                    Some(Carry::Derived(text)) => *v = sub_value(&text),
                    Some(Carry::Parameter) => {
                        *v = json!({ "Ref": link_name(&id, attr.as_deref()) })
                    }
                    Some(Carry::Output(stack)) => {
                        *v = json!({ "Fn::GetAtt": [stack, format!("Outputs.{}", link_name(&id, attr.as_deref()))] })
                    }
                    None => {}
                }
                return;
            }
            if let Some(sub) = m.get_mut("Fn::Sub") {
                let text = match sub {
                    Value::String(s) => Some(s),
                    Value::Array(a) => a.first_mut().and_then(|t| match t {
                        Value::String(s) => Some(s),
                        _ => None,
                    }),
                    _ => None,
                };
                if let Some(text) = text {
                    *text = rewrite_sub_carry(text, f);
                }
            }
            for (k, child) in m.iter_mut() {
                if k != "Fn::Sub" {
                    rewrite_carry(child, f);
                }
            }
            if let Some(Value::Array(a)) = m.get_mut("Fn::Sub") {
                for child in a.iter_mut().skip(1) {
                    rewrite_carry(child, f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_carry(c, f)),
        _ => {}
    }
}

fn rewrite_sub_carry(s: &str, f: &dyn Fn(&str, Option<&str>) -> Option<Carry>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let var = &after[..end];
        let (id, attr) = match var.split_once('.') {
            Some((id, attr)) => (id, Some(attr)),
            None => (var, None),
        };
        match (!var.starts_with('!')).then(|| f(id, attr)).flatten() {
            Some(Carry::Derived(text)) => out.push_str(&text),
            Some(Carry::Parameter) => {
                out.push_str("${");
                out.push_str(&link_name(id, attr));
                out.push('}');
            }
            Some(Carry::Output(stack)) => {
                out.push_str(&format!("${{{stack}.Outputs.{}}}", link_name(id, attr)));
            }
            None => {
                out.push_str("${");
                out.push_str(var);
                out.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Where every resource of `stacks` is.
pub fn placement_of(stacks: &Stacks) -> Placement {
    let mut p: Placement = stacks
        .root
        .resources
        .keys()
        .filter(|id| !stacks.nested.iter().any(|(n, _)| n == *id))
        .map(|id| (id.clone(), ROOT.to_string()))
        .collect();
    for (n, t) in &stacks.nested {
        for id in t.resources.keys() {
            p.insert(id.clone(), n.clone());
        }
    }
    p
}

/// A resource that would change stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub logical_id: String,
    pub resource_type: String,
    pub from: String,
    pub to: String,
}

/// The resources of `after` that are deployed (`before`) in another stack.
pub fn moves(before: &Placement, after: &Stacks) -> Vec<Move> {
    let now = placement_of(after);
    let type_of = |id: &str| {
        std::iter::once(&after.root)
            .chain(after.nested.iter().map(|(_, t)| t))
            .find_map(|t| t.resources.get(id))
            .and_then(|r| r["Type"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    now.iter()
        .filter_map(|(id, to)| {
            let from = before.get(id)?;
            (from != to).then(|| Move {
                logical_id: id.clone(),
                resource_type: type_of(id),
                from: from.clone(),
                to: to.clone(),
            })
        })
        .collect()
}

/// A stack's name for people: its logical ID, or `root`.
pub fn stack_label(id: &str) -> &str {
    if id == ROOT { "root" } else { id }
}

/// Resources a nested stack may hold when ferry adds to it (the limit is
/// 500; the rest is room for what its entries gain later).
const STACK_ROOM: usize = MAX_RESOURCES - 50;
/// What the root may hold besides its nested-stack resources.
const ROOT_ROOM: usize = MAX_RESOURCES - 20;
/// What a stack of stateful resources that do not fit in the root aims for.
const STATE_TARGET: usize = 400;

/// Splits the template when it is over a limit (or was split when
/// deployed); otherwise returns it as the only template.
///
/// Stateful resources stay in the root, so that growing an app never moves
/// them; only when the root is full do new ones go to `State<k>` stacks.
/// Everything in `deployed` stays where it is.
pub fn split(t: Template, url_base: Option<&str>, app: &str, deployed: &Placement) -> Stacks {
    let was_split = deployed
        .iter()
        .any(|(id, s)| s != ROOT && t.resources.contains_key(id));
    if !was_split && !needs_split(&t) {
        return Stacks {
            root: t,
            nested: Vec::new(),
        };
    }
    let resource_set: BTreeSet<&str> = t.resources.keys().map(String::as_str).collect();

    // Edges between resources (value references and DependsOn).
    let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut resource_links: BTreeMap<String, BTreeSet<Link>> = BTreeMap::new();
    for (id, r) in &t.resources {
        let mut l = BTreeSet::new();
        links(r, &mut l);
        let mut deps: BTreeSet<String> = l
            .iter()
            .map(|(x, _)| x.clone())
            .filter(|x| resource_set.contains(x.as_str()) && x != id)
            .collect();
        deps.extend(
            depends(r)
                .into_iter()
                .filter(|x| resource_set.contains(x.as_str())),
        );
        edges.insert(id, deps);
        resource_links.insert(id.clone(), l);
    }
    let stateful: BTreeSet<&str> = t
        .resources
        .iter()
        .filter(|(id, r)| is_state(r, t.units.get(*id)))
        .map(|(id, _)| id.as_str())
        .collect();

    // 1. Stateless units, with a layer used by a single function joined to
    //    that function's unit.
    let mut unit: BTreeMap<String, String> = t
        .resources
        .keys()
        .filter(|id| !stateful.contains(id.as_str()))
        .map(|id| {
            (
                id.clone(),
                t.units
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| format!("resource:{id}")),
            )
        })
        .collect();
    let stateless_edges: BTreeMap<&str, BTreeSet<String>> = edges
        .iter()
        .filter(|(id, _)| unit.contains_key(**id))
        .map(|(id, ds)| {
            (
                *id,
                ds.iter()
                    .filter(|d| unit.contains_key(*d))
                    .cloned()
                    .collect(),
            )
        })
        .collect();
    let mut neighbours: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, deps) in &stateless_edges {
        let a = &unit[*id];
        for d in deps {
            let b = &unit[d];
            if b.starts_with("function:") && a.starts_with("layer:") {
                neighbours.entry(a.clone()).or_default().insert(b.clone());
            }
            if a.starts_with("function:") && b.starts_with("layer:") {
                neighbours.entry(b.clone()).or_default().insert(a.clone());
            }
        }
    }
    let joins: BTreeMap<String, String> = neighbours
        .into_iter()
        .filter(|(_, fs)| fs.len() == 1)
        .filter_map(|(u, fs)| Some((u, fs.into_iter().next()?)))
        .collect();
    for v in unit.values_mut() {
        if let Some(f) = joins.get(v) {
            *v = f.clone();
        }
    }
    // Units in a dependency cycle become one.
    let graph = unit_graph(&stateless_edges, &unit);
    let merged = strongly_connected(&graph);
    for v in unit.values_mut() {
        if let Some(root) = merged.get(v) {
            *v = root.clone();
        }
    }

    // 2. Layers.
    let graph = unit_graph(&stateless_edges, &unit);
    let mut layer: BTreeMap<String, usize> = BTreeMap::new();
    fn layer_of(
        u: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        memo: &mut BTreeMap<String, usize>,
    ) -> usize {
        if let Some(l) = memo.get(u) {
            return *l;
        }
        let l = g
            .get(u)
            .map(|ds| {
                ds.iter()
                    .map(|d| layer_of(d, g, memo) + 1)
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        memo.insert(u.to_string(), l);
        l
    }
    for u in graph.keys() {
        layer_of(u, &graph, &mut layer);
    }

    // 3. The placement an app deployed for the first time gets: per layer,
    //    a power-of-two count of stacks sized for the targets.
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, u) in &unit {
        members.entry(u.clone()).or_default().push(id.clone());
    }
    let mut layers: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (u, l) in &layer {
        layers.entry(*l).or_default().push(u.clone());
    }
    let mut fresh_stack_of_unit: BTreeMap<String, String> = BTreeMap::new();
    for (l, units) in &layers {
        let resources: usize = units.iter().map(|u| members[u].len()).sum();
        let mut n = resources
            .div_ceil(TARGET_RESOURCES)
            .max(1)
            .next_power_of_two();
        loop {
            let mut count: BTreeMap<usize, usize> = BTreeMap::new();
            let mut assign = BTreeMap::new();
            for u in units {
                let h = u64::from_str_radix(&short_hash(u.as_bytes(), 12), 16).unwrap_or(0);
                let k = (h % n as u64) as usize;
                *count.entry(k).or_default() += members[u].len();
                assign.insert(u.clone(), k);
            }
            let max = count.values().copied().max().unwrap_or(0);
            if max <= STACK_ROOM || n >= units.len() {
                for (u, k) in assign {
                    fresh_stack_of_unit.insert(u, format!("Nested{l}x{k}"));
                }
                break;
            }
            n *= 2;
        }
    }

    // 4. The placement: what is deployed stays; new stateless units go
    //    with their deployed members, else where a first deploy would put
    //    them, else to a new stack of their layer; new stateful resources
    //    go to the root, or to `State<k>` when the root is full.
    let mut place: BTreeMap<String, String> = BTreeMap::new();
    let mut size: BTreeMap<String, usize> = BTreeMap::new();
    for (id, s) in deployed {
        if resource_set.contains(id.as_str()) {
            place.insert(id.clone(), s.clone());
            *size.entry(s.clone()).or_default() += 1;
        }
    }
    let mut units_in_order: Vec<(&String, &Vec<String>)> = members.iter().collect();
    units_in_order.sort_by_key(|(u, _)| (layer.get(*u).copied().unwrap_or(0), (*u).clone()));
    for (u, ids) in units_in_order {
        let new: Vec<&String> = ids.iter().filter(|id| !place.contains_key(*id)).collect();
        if new.is_empty() {
            continue;
        }
        let l = layer.get(u).copied().unwrap_or(0);
        // The root keeps room for its nested-stack resources.
        let room = |s: &str, size: &BTreeMap<String, usize>| {
            size.get(s).copied().unwrap_or(0) + new.len() <= STACK_ROOM
        };
        let with_members = ids
            .iter()
            .find_map(|id| place.get(id))
            .filter(|s| room(s, &size))
            .cloned();
        let first_deploy = fresh_stack_of_unit
            .get(u)
            .filter(|s| room(s, &size))
            .cloned();
        let stack = with_members.or(first_deploy).unwrap_or_else(|| {
            (0..)
                .map(|k| format!("Nested{l}x{k}"))
                .find(|s| room(s, &size))
                .expect("an empty stack has room")
        });
        *size.entry(stack.clone()).or_default() += new.len();
        for id in new {
            place.insert(id.clone(), stack.clone());
        }
    }
    let nested_count = size.keys().filter(|s| *s != ROOT).count();
    // Stateful resources, user data before log groups.
    let mut new_state: Vec<&str> = stateful
        .iter()
        .copied()
        .filter(|id| !place.contains_key(*id))
        .collect();
    new_state.sort_by_key(|id| {
        let log_group = t.resources[*id]["Type"] == "AWS::Logs::LogGroup";
        (log_group, *id)
    });
    let overflow = new_state
        .len()
        .saturating_sub(ROOT_ROOM.saturating_sub(size.get(ROOT).copied().unwrap_or(0)));
    let state_stacks = overflow.div_ceil(STATE_TARGET);
    let root_limit = ROOT_ROOM.saturating_sub(nested_count + state_stacks);
    for id in new_state {
        let stack = if size.get(ROOT).copied().unwrap_or(0) < root_limit {
            ROOT.to_string()
        } else {
            (0..)
                .map(|k| format!("State{k}"))
                .find(|s| size.get(s).copied().unwrap_or(0) < STATE_TARGET)
                .expect("an empty stack has room")
        };
        *size.entry(stack.clone()).or_default() += 1;
        place.insert(id.to_string(), stack);
    }

    assemble(t, url_base, app, &place, resource_links)
}

/// Builds the root and nested templates for a placement, carrying every
/// reference that crosses stacks.
fn assemble(
    t: Template,
    url_base: Option<&str>,
    app: &str,
    place: &BTreeMap<String, String>,
    mut resource_links: BTreeMap<String, BTreeSet<Link>>,
) -> Stacks {
    let mut t = t;
    let resources = std::mem::take(&mut t.resources);
    let mut nested: BTreeMap<String, Template> = BTreeMap::new();
    let mut stack_params: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut stack_depends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in place.values().filter(|s| *s != ROOT) {
        nested.entry(s.clone()).or_insert_with(|| Template {
            description: format!("{} (nested stack {s})", t.description),
            ..Template::default()
        });
    }
    let mut root = Template {
        description: t.description.clone(),
        parameters: t.parameters.clone(),
        ..Template::default()
    };
    let params = &t.parameters;
    // The derived value of each stateful resource, by logical ID.
    let derivable: BTreeMap<&str, &Value> = resources
        .iter()
        .filter(|(_, r)| physical_name(r).is_some())
        .map(|(id, r)| (id.as_str(), r))
        .collect();
    let mut root_resources = Vec::new();
    for (id, mut r) in resources.iter().map(|(i, r)| (i.clone(), r.clone())) {
        let s = place[&id].clone();
        let l = resource_links.remove(&id).unwrap_or_default();
        let mut carried: BTreeMap<(String, Option<String>), Carry> = BTreeMap::new();
        for (x, attr) in &l {
            let Some(other) = place.get(x) else {
                if s != ROOT && params.contains_key(x) {
                    nested
                        .get_mut(&s)
                        .expect("stack")
                        .parameters
                        .insert(x.clone(), json!({ "Type": params[x]["Type"] }));
                    stack_params
                        .entry(s.clone())
                        .or_default()
                        .insert(x.clone(), json!({ "Ref": x }));
                }
                continue;
            };
            if *other == s {
                continue;
            }
            let name = link_name(x, attr.as_deref());
            let value = match attr {
                Some(a) => json!({ "Fn::GetAtt": [x, a] }),
                None => json!({ "Ref": x }),
            };
            let key = (x.clone(), attr.clone());
            if s == ROOT {
                // The root reads a nested stack's output.
                nested
                    .get_mut(other)
                    .expect("stack")
                    .outputs
                    .insert(name, json!({ "Value": value }));
                carried.insert(key, Carry::Output(other.clone()));
                continue;
            }
            if let Some(text) = derivable
                .get(x.as_str())
                .and_then(|res| derived(res, attr.as_deref()))
            {
                // A named stateful resource: its name, and an ordering
                // dependency instead of a parameter.
                stack_depends
                    .entry(s.clone())
                    .or_default()
                    .insert(if *other == ROOT {
                        x.clone()
                    } else {
                        other.clone()
                    });
                carried.insert(key, Carry::Derived(text));
                continue;
            }
            nested
                .get_mut(&s)
                .expect("stack")
                .parameters
                .insert(name.clone(), json!({ "Type": "String" }));
            let passed = if *other == ROOT {
                value
            } else {
                nested
                    .get_mut(other)
                    .expect("stack")
                    .outputs
                    .insert(name.clone(), json!({ "Value": value }));
                json!({ "Fn::GetAtt": [other, format!("Outputs.{name}")] })
            };
            stack_params
                .entry(s.clone())
                .or_default()
                .insert(name, passed);
            carried.insert(key, Carry::Parameter);
        }
        rewrite_carry(
            &mut r,
            &|x, attr| match carried.get(&(x.to_string(), attr.map(String::from))) {
                Some(Carry::Derived(text)) => Some(Carry::Derived(text.clone())),
                Some(Carry::Parameter) => Some(Carry::Parameter),
                Some(Carry::Output(o)) => Some(Carry::Output(o.clone())),
                None => None,
            },
        );
        // DependsOn across stacks becomes a dependency of (or on) the
        // nested stack.
        let deps = depends(&r);
        if !deps.is_empty() {
            let mut local = Vec::new();
            for d in deps {
                match place.get(&d) {
                    Some(o) if *o == s => local.push(d),
                    Some(o) if s == ROOT => local.push(o.clone()),
                    Some(o) => {
                        stack_depends
                            .entry(s.clone())
                            .or_default()
                            .insert(if *o == ROOT { d } else { o.clone() });
                    }
                    None => {}
                }
            }
            local.sort();
            local.dedup();
            let obj = r.as_object_mut().expect("resource");
            if local.is_empty() {
                obj.remove("DependsOn");
            } else {
                obj.insert("DependsOn".into(), json!(local));
            }
        }
        if s == ROOT {
            root_resources.push((id, r));
        } else {
            nested.get_mut(&s).expect("stack").resources.insert(id, r);
        }
    }
    root.resources.extend(root_resources);

    // Root outputs: through the nested stacks' outputs. Past the limit, the
    // per-function alias outputs stay in their nested stacks only.
    let mut outputs: Vec<(&String, &Value)> = t.outputs.iter().collect();
    outputs.sort_by_key(|(k, _)| (k.ends_with("AliasArn"), (*k).clone()));
    let nested_of = |x: &str| place.get(x).filter(|s| *s != ROOT);
    for (i, (name, o)) in outputs.into_iter().enumerate() {
        let mut l = BTreeSet::new();
        links(o, &mut l);
        let stacks: BTreeSet<&String> = l.iter().filter_map(|(x, _)| nested_of(x)).collect();
        if i >= MAX_OUTPUTS {
            if let Some(s) = stacks.iter().next().filter(|_| stacks.len() == 1) {
                nested
                    .get_mut(*s)
                    .expect("stack")
                    .outputs
                    .insert(name.clone(), o.clone());
            }
            continue;
        }
        for (x, attr) in &l {
            if let Some(s) = nested_of(x) {
                let value = match attr {
                    Some(a) => json!({ "Fn::GetAtt": [x, a] }),
                    None => json!({ "Ref": x }),
                };
                nested
                    .get_mut(s)
                    .expect("stack")
                    .outputs
                    .insert(link_name(x, attr.as_deref()), json!({ "Value": value }));
            }
        }
        let mut o = o.clone();
        rewrite_carry(&mut o, &|x, _| {
            nested_of(x).map(|s| Carry::Output(s.clone()))
        });
        root.outputs.insert(name.clone(), o);
    }

    let mut out_nested = Vec::new();
    for (s, tpl) in nested {
        let url = match url_base {
            Some(base) => format!(
                "{}/{app}/templates/{}.json",
                base.trim_end_matches('/'),
                short_hash(tpl.to_json().as_bytes(), 16)
            ),
            None => format!("{s}.json"),
        };
        let mut props = Map::new();
        props.insert("TemplateURL".into(), json!(url));
        if let Some(p) = stack_params.get(&s) {
            props.insert("Parameters".into(), json!(p));
        }
        let mut r = resource("AWS::CloudFormation::Stack", Value::Object(props));
        if let Some(d) = stack_depends.get(&s) {
            let d: Vec<&String> = d.iter().filter(|x| **x != s).collect();
            if !d.is_empty() {
                r["DependsOn"] = json!(d);
            }
        }
        // Nested stacks hold no data of their own (stateful resources stay
        // in the root or a `State<k>` stack, which keeps them).
        root.resources.insert(s.clone(), r);
        out_nested.push((s, tpl));
    }
    Stacks {
        root,
        nested: out_nested,
    }
}

fn unit_graph(
    edges: &BTreeMap<&str, BTreeSet<String>>,
    unit: &BTreeMap<String, String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for u in unit.values() {
        g.entry(u.clone()).or_default();
    }
    for (id, deps) in edges {
        let u = &unit[*id];
        for d in deps {
            let ud = &unit[d];
            if ud != u {
                g.get_mut(u).expect("unit").insert(ud.clone());
            }
        }
    }
    g
}

/// For every node in a cycle, the first node (by name) of its strongly
/// connected component (Tarjan's algorithm, iterative).
fn strongly_connected(g: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, String> {
    let keys: Vec<&str> = g.keys().map(String::as_str).collect();
    let pos: BTreeMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let adj: Vec<Vec<usize>> = keys
        .iter()
        .map(|k| {
            g[*k]
                .iter()
                .filter_map(|d| pos.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    let n = keys.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = BTreeMap::new();
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adj[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    let root = comp
                        .iter()
                        .map(|c| keys[*c])
                        .min()
                        .expect("non-empty")
                        .to_string();
                    for c in comp {
                        out.insert(keys[c].to_string(), root.clone());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_in_ref_getatt_and_sub() {
        let v = json!({
            "A": { "Ref": "X" },
            "B": { "Fn::GetAtt": ["Y", "Arn"] },
            "C": { "Fn::Sub": "arn:${AWS::Partition}:${Z.Name}/${!Literal}" },
            "D": { "Fn::Sub": ["${V}-${W}", { "V": "v" }] }
        });
        let mut l = BTreeSet::new();
        links(&v, &mut l);
        let ids: Vec<String> = l.iter().map(|(i, _)| i.clone()).collect();
        assert_eq!(ids, vec!["AWS::Partition", "W", "X", "Y", "Z"]);
    }

    #[test]
    fn rewrites_sub_variables() {
        let mut v = json!({ "Fn::Sub": "${A.Arn}/x/${B}/${!C}/${T}" });
        rewrite_carry(&mut v, &|id, _| match id {
            "A" => Some(Carry::Parameter),
            "T" => Some(Carry::Derived("tbl".into())),
            _ => None,
        });
        assert_eq!(v, json!({ "Fn::Sub": "${AArn}/x/${B}/${!C}/tbl" }));
        let mut v = json!({ "Ref": "T" });
        rewrite_carry(&mut v, &|_, _| Some(Carry::Output("Nested1x0".into())));
        assert_eq!(v, json!({ "Fn::GetAtt": ["Nested1x0", "Outputs.T"] }));
    }

    #[test]
    fn stateful_values_are_derived_from_their_names() {
        let table = json!({ "Type": "AWS::DynamoDB::Table", "Properties": { "TableName": "shop-dev-orders" } });
        assert_eq!(derived(&table, None).as_deref(), Some("shop-dev-orders"));
        assert_eq!(
            derived(&table, Some("Arn")).as_deref(),
            Some(
                "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/shop-dev-orders"
            )
        );
        assert_eq!(derived(&table, Some("StreamArn")), None);
        let bucket = json!({ "Type": "AWS::S3::Bucket", "Properties": { "BucketName": { "Fn::Sub": "shop-dev-b-${AWS::AccountId}" } } });
        assert_eq!(
            derived(&bucket, Some("Arn")).as_deref(),
            Some("arn:${AWS::Partition}:s3:::shop-dev-b-${AWS::AccountId}")
        );
        let function =
            json!({ "Type": "AWS::Lambda::Function", "Properties": { "FunctionName": "f" } });
        assert_eq!(derived(&function, None), None);
    }

    #[test]
    fn merges_cycles_only() {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        g.insert("a".into(), ["b".to_string()].into());
        g.insert("b".into(), ["a".to_string()].into());
        g.insert("c".into(), ["a".to_string()].into());
        let m = strongly_connected(&g);
        assert_eq!(m.get("a").map(String::as_str), Some("a"));
        assert_eq!(m.get("b").map(String::as_str), Some("a"));
        assert!(!m.contains_key("c"));
        g.get_mut("b").unwrap().clear();
        assert!(strongly_connected(&g).is_empty());
    }
}
