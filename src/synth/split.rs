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

/// Rewrites references with `f(id, attr)`: `Some(param)` replaces the
/// reference with `Ref param` (or `${param}` in `Fn::Sub`).
fn rewrite(v: &mut Value, f: &dyn Fn(&str, Option<&str>) -> Option<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(id)) = m.get("Ref") {
                if let Some(p) = f(id, None) {
                    *v = json!({ "Ref": p });
                    return;
                }
            }
            if let Some(Value::Array(a)) = m.get("Fn::GetAtt") {
                let id = a.first().and_then(Value::as_str).unwrap_or("").to_string();
                let attr = a.get(1).and_then(Value::as_str).unwrap_or("").to_string();
                if let Some(p) = f(&id, Some(&attr)) {
                    *v = json!({ "Ref": p });
                    return;
                }
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
                    *text = rewrite_sub(text, f);
                }
            }
            for (k, child) in m.iter_mut() {
                if k != "Ref" && k != "Fn::GetAtt" {
                    rewrite(child, f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite(c, f)),
        _ => {}
    }
}

fn rewrite_sub(s: &str, f: &dyn Fn(&str, Option<&str>) -> Option<String>) -> String {
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
        let replaced = if var.starts_with('!') {
            None
        } else {
            match var.split_once('.') {
                Some((id, attr)) => f(id, Some(attr)),
                None => f(var, None),
            }
        };
        out.push_str("${");
        out.push_str(replaced.as_deref().unwrap_or(var));
        out.push('}');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
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

/// Splits the template when it is over a limit; otherwise returns it as the
/// only template.
pub fn split(t: Template, url_base: Option<&str>, app: &str) -> Stacks {
    if !needs_split(&t) {
        return Stacks {
            root: t,
            nested: Vec::new(),
        };
    }
    let ids: Vec<&String> = t.resources.keys().collect();
    let resource_set: BTreeSet<&str> = ids.iter().map(|s| s.as_str()).collect();

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

    // 1. Units, and single-user resources joined to their function.
    let mut unit: BTreeMap<String, String> = t
        .resources
        .keys()
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
    let joinable = ["table:", "queue:", "topic:", "bucket:", "layer:"];
    let mut neighbours: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, deps) in &edges {
        let a = &unit[*id];
        for d in deps {
            let b = &unit[d];
            if b.starts_with("function:") && joinable.iter().any(|p| a.starts_with(p)) {
                neighbours.entry(a.clone()).or_default().insert(b.clone());
            }
            if a.starts_with("function:") && joinable.iter().any(|p| b.starts_with(p)) {
                neighbours.entry(b.clone()).or_default().insert(a.clone());
            }
        }
    }
    let joins: BTreeMap<String, String> = neighbours
        .into_iter()
        .filter(|(_, fs)| fs.len() == 1)
        .map(|(u, fs)| (u, fs.into_iter().next().expect("one")))
        .collect();
    for v in unit.values_mut() {
        if let Some(f) = joins.get(v) {
            *v = f.clone();
        }
    }
    // Units in a dependency cycle become one.
    let graph = unit_graph(&edges, &unit);
    let merged = strongly_connected(&graph);
    for v in unit.values_mut() {
        if let Some(root) = merged.get(v) {
            *v = root.clone();
        }
    }

    // 2. Layers.
    let graph = unit_graph(&edges, &unit);
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

    // 3. Stacks: per layer, a power-of-two count sized for the targets.
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, u) in &unit {
        members.entry(u.clone()).or_default().push(id.clone());
    }
    let mut layers: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (u, l) in &layer {
        layers.entry(*l).or_default().push(u.clone());
    }
    let mut stack_of_unit: BTreeMap<String, String> = BTreeMap::new();
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
            if max <= MAX_RESOURCES - 50 || n >= units.len() {
                for (u, k) in assign {
                    stack_of_unit.insert(u, format!("Nested{l}x{k}"));
                }
                break;
            }
            n *= 2;
        }
    }
    let stack_of: BTreeMap<&str, &str> = unit
        .iter()
        .map(|(id, u)| (id.as_str(), stack_of_unit[u].as_str()))
        .collect();

    // 4. Nested templates with cross-stack links.
    let mut t = t;
    let resources = std::mem::take(&mut t.resources);
    let mut nested: BTreeMap<String, Template> = BTreeMap::new();
    let mut stack_params: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut stack_depends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in stack_of_unit.values() {
        nested.entry(s.clone()).or_insert_with(|| Template {
            description: format!("{} (nested stack {s})", t.description),
            ..Template::default()
        });
    }
    let params = &t.parameters;
    for (id, mut r) in resources {
        let s = stack_of[id.as_str()].to_string();
        let l = resource_links.remove(&id).unwrap_or_default();
        for (x, attr) in &l {
            if let Some(p) = params.get(x) {
                nested
                    .get_mut(&s)
                    .expect("stack")
                    .parameters
                    .insert(x.clone(), json!({ "Type": p["Type"] }));
                stack_params
                    .entry(s.clone())
                    .or_default()
                    .insert(x.clone(), json!({ "Ref": x }));
            } else if let Some(other) = stack_of.get(x.as_str()).filter(|o| **o != s) {
                let name = link_name(x, attr.as_deref());
                let value = match attr {
                    Some(a) => json!({ "Fn::GetAtt": [x, a] }),
                    None => json!({ "Ref": x }),
                };
                nested
                    .get_mut(*other)
                    .expect("stack")
                    .outputs
                    .insert(name.clone(), json!({ "Value": value }));
                nested
                    .get_mut(&s)
                    .expect("stack")
                    .parameters
                    .insert(name.clone(), json!({ "Type": "String" }));
                stack_params.entry(s.clone()).or_default().insert(
                    name.clone(),
                    json!({ "Fn::GetAtt": [other, format!("Outputs.{name}")] }),
                );
            }
        }
        let here = s.clone();
        let so = &stack_of;
        rewrite(&mut r, &|x, attr| match so.get(x) {
            Some(o) if *o != here => Some(link_name(x, attr)),
            _ => None,
        });
        // DependsOn across stacks becomes a dependency between stacks.
        let deps = depends(&r);
        if !deps.is_empty() {
            let (local, remote): (Vec<String>, Vec<String>) = deps
                .into_iter()
                .partition(|d| stack_of.get(d.as_str()) == Some(&s.as_str()));
            for d in remote {
                if let Some(o) = stack_of.get(d.as_str()) {
                    stack_depends
                        .entry(s.clone())
                        .or_default()
                        .insert(o.to_string());
                }
            }
            let obj = r.as_object_mut().expect("resource");
            if local.is_empty() {
                obj.remove("DependsOn");
            } else {
                obj.insert("DependsOn".into(), json!(local));
            }
        }
        let tpl = nested.get_mut(&s).expect("stack");
        tpl.resources.insert(id, r);
    }

    // Root outputs: through the nested stacks' outputs. Past the limit, the
    // per-function alias outputs stay in their nested stacks only.
    let mut root = Template {
        description: t.description.clone(),
        parameters: t.parameters.clone(),
        ..Template::default()
    };
    let mut outputs: Vec<(&String, &Value)> = t.outputs.iter().collect();
    outputs.sort_by_key(|(k, _)| (k.ends_with("AliasArn"), (*k).clone()));
    for (i, (name, o)) in outputs.into_iter().enumerate() {
        let mut l = BTreeSet::new();
        links(o, &mut l);
        let stacks: BTreeSet<&str> = l
            .iter()
            .filter_map(|(x, _)| stack_of.get(x.as_str()).copied())
            .collect();
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
            if let Some(s) = stack_of.get(x.as_str()) {
                let value = match attr {
                    Some(a) => json!({ "Fn::GetAtt": [x, a] }),
                    None => json!({ "Ref": x }),
                };
                nested
                    .get_mut(*s)
                    .expect("stack")
                    .outputs
                    .insert(link_name(x, attr.as_deref()), json!({ "Value": value }));
            }
        }
        let mut o = o.clone();
        let so = &stack_of;
        rewrite(&mut o, &|x, attr| {
            so.get(x)
                .map(|s| format!("{s}.Outputs.{}", link_name(x, attr)))
        });
        // `Ref` to "Stack.Outputs.X" is not valid outside `Fn::Sub`: turn it
        // into `Fn::GetAtt`.
        fix_output_refs(&mut o);
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
        root.resources.insert(s.clone(), r);
        out_nested.push((s, tpl));
    }
    Stacks {
        root,
        nested: out_nested,
    }
}

fn fix_output_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("Ref") {
                if let Some((s, out)) = r.split_once(".Outputs.") {
                    *v = json!({ "Fn::GetAtt": [s, format!("Outputs.{out}")] });
                    return;
                }
            }
            m.values_mut().for_each(fix_output_refs);
        }
        Value::Array(a) => a.iter_mut().for_each(fix_output_refs),
        _ => {}
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
        let mut v = json!({ "Fn::Sub": "${A.Arn}/x/${B}/${!C}" });
        rewrite(&mut v, &|id, attr| (id == "A").then(|| link_name(id, attr)));
        assert_eq!(v, json!({ "Fn::Sub": "${AArn}/x/${B}/${!C}" }));
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
