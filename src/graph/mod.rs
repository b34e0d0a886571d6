//! The app as a picture, from the manifest alone: triggers -> functions ->
//! the tables, queues, topics, buckets, buses, secrets and state machines
//! they use,
//! each edge labelled with its access level, actions or trigger settings.
//!
//! Pure: `of` turns the model into a `Graph` (nodes and edges, the JSON of
//! `ferry graph --output json`), `mermaid` and `dot` write it as text, and
//! `svg` lays it out and draws it in-process.

mod svg;

pub use svg::svg;

use serde::Serialize;

use crate::iam;
use crate::manifest::model::{
    App, BucketEvent, BusRef, Destination, Function, Grant, HttpAuth, StreamSource, Trigger,
    TriggerKind,
};

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A route of the HTTP API.
    Http,
    /// A function URL.
    Url,
    /// An EventBridge schedule.
    Schedule,
    /// An EventBridge bus (event rules on its edges).
    Bus,
    /// A Kinesis stream, by the name or ARN written in the manifest.
    Stream,
    Function,
    StateMachine,
    Table,
    Queue,
    Topic,
    Bucket,
    /// An SSM parameter or Secrets Manager secret of `secrets:`.
    Secret,
}

impl Kind {
    /// Triggers from outside the app: drawn on the left.
    pub fn is_source(self) -> bool {
        matches!(
            self,
            Kind::Http | Kind::Url | Kind::Schedule | Kind::Bus | Kind::Stream
        )
    }

    fn key(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Url => "url",
            Kind::Schedule => "schedule",
            Kind::Bus => "bus",
            Kind::Stream => "stream",
            Kind::Function => "function",
            Kind::StateMachine => "state_machine",
            Kind::Table => "table",
            Kind::Queue => "queue",
            Kind::Topic => "topic",
            Kind::Bucket => "bucket",
            Kind::Secret => "secret",
        }
    }

    /// The word shown above a node's name.
    fn noun(self) -> &'static str {
        match self {
            Kind::Http => "HTTP route",
            Kind::Url => "function URL",
            Kind::Schedule => "schedule",
            Kind::Bus => "event bus",
            Kind::Stream => "Kinesis stream",
            Kind::Function => "function",
            Kind::StateMachine => "state machine",
            Kind::Table => "table",
            Kind::Queue => "queue",
            Kind::Topic => "topic",
            Kind::Bucket => "bucket",
            Kind::Secret => "secret",
        }
    }

    /// Fill and stroke colours, the same in every format.
    fn colors(self) -> (&'static str, &'static str) {
        match self {
            Kind::Http | Kind::Url | Kind::Schedule | Kind::Bus | Kind::Stream => {
                ("#f3e8ff", "#7e22ce")
            }
            Kind::Function => ("#ffedd5", "#c2410c"),
            Kind::StateMachine => ("#fce7f3", "#be185d"),
            Kind::Table => ("#dbeafe", "#1d4ed8"),
            Kind::Queue | Kind::Topic => ("#dcfce7", "#15803d"),
            Kind::Bucket => ("#fef9c3", "#a16207"),
            Kind::Secret => ("#f1f5f9", "#334155"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// `<kind>:<name>`, unique in the graph.
    pub id: String,
    pub kind: Kind,
    /// The name in the manifest (the route key, the schedule's expression,
    /// the bus name).
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// The access level or actions, or what the trigger delivers.
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Graph {
    pub app: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Graph {
    fn node(&mut self, kind: Kind, name: &str) -> String {
        let id = format!("{}:{name}", kind.key());
        if !self.nodes.iter().any(|n| n.id == id) {
            self.nodes.push(Node {
                id: id.clone(),
                kind,
                label: name.to_string(),
            });
        }
        id
    }

    fn edge(&mut self, from: String, to: String, label: impl Into<String>) {
        let e = Edge {
            from,
            to,
            label: label.into(),
        };
        if !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }
}

/// The graph of an app: every function and state machine, what triggers
/// them, and what they may access.
pub fn of(app: &App) -> Graph {
    let mut g = Graph {
        app: app.name.clone(),
        ..Graph::default()
    };
    // Nodes in a stable order: sources, functions, state machines, resources.
    for (name, f) in &app.functions {
        let me = g.node(Kind::Function, name);
        triggers(&mut g, &me, &f.triggers, name);
    }
    for (name, m) in &app.state_machines {
        let me = g.node(Kind::StateMachine, name);
        triggers(&mut g, &me, &m.triggers, name);
        for f in &m.functions {
            let to = g.node(Kind::Function, f);
            g.edge(me.clone(), to, "invoke");
        }
    }
    for (name, f) in &app.functions {
        access(&mut g, name, f);
        destinations(&mut g, name, f);
    }
    for (name, q) in &app.queues {
        if let Some(dl) = &q.dead_letter {
            let from = g.node(Kind::Queue, name);
            let to = g.node(Kind::Queue, &dl.queue);
            g.edge(from, to, format!("dead letter after {}", dl.max_receives));
        }
    }
    // Resources nobody uses still belong in the picture.
    for name in app.tables.keys() {
        g.node(Kind::Table, name);
    }
    for name in app.queues.keys() {
        g.node(Kind::Queue, name);
    }
    for name in app.topics.keys() {
        g.node(Kind::Topic, name);
    }
    for name in app.buckets.keys() {
        g.node(Kind::Bucket, name);
    }
    for name in app.buses.keys() {
        g.node(Kind::Bus, name);
    }
    for name in app.secrets.keys() {
        g.node(Kind::Secret, name);
    }
    let rank = |k: Kind| match k {
        k if k.is_source() => 0,
        Kind::Function => 1,
        Kind::StateMachine => 2,
        _ => 3,
    };
    g.nodes.sort_by_key(|n| rank(n.kind));
    g
}

fn triggers(g: &mut Graph, target: &str, triggers: &[Trigger], owner: &str) {
    for (i, t) in triggers.iter().enumerate() {
        let (from, label) = match &t.kind {
            TriggerKind::Http(r) => {
                let auth = match r.auth {
                    HttpAuth::None => "public",
                    HttpAuth::Iam => "iam",
                    HttpAuth::Jwt { .. } => "jwt",
                };
                (g.node(Kind::Http, &r.key()), auth.to_string())
            }
            TriggerKind::Url(u) => (
                g.node(Kind::Url, owner),
                if u.iam { "iam" } else { "public" }.to_string(),
            ),
            TriggerKind::Schedule(s) => {
                let id = format!("{}:{owner}#{i}", Kind::Schedule.key());
                if !g.nodes.iter().any(|n| n.id == id) {
                    g.nodes.push(Node {
                        id: id.clone(),
                        kind: Kind::Schedule,
                        label: s.schedule.expression().to_string(),
                    });
                }
                (id, "schedule".to_string())
            }
            TriggerKind::Queue(q) => (
                g.node(Kind::Queue, &q.queue),
                format!("batch {}", q.batch_size),
            ),
            TriggerKind::Stream(s) => {
                let from = match &s.source {
                    StreamSource::Table(t) => g.node(Kind::Table, t),
                    StreamSource::Kinesis(k) => g.node(Kind::Stream, &k.to_string()),
                };
                (from, format!("stream, batch {}", s.batch_size))
            }
            TriggerKind::Topic(t) => (g.node(Kind::Topic, &t.topic), "subscription".to_string()),
            TriggerKind::Bucket(b) => {
                let mut label = b
                    .events
                    .iter()
                    .map(|e| match e {
                        BucketEvent::Created => "created",
                        BucketEvent::Removed => "removed",
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                if let Some(p) = &b.prefix {
                    label.push_str(&format!(" {p}*"));
                }
                if let Some(s) = &b.suffix {
                    label.push_str(&format!(" *{s}"));
                }
                (g.node(Kind::Bucket, &b.bucket), label)
            }
            TriggerKind::Event(e) => {
                let bus = e
                    .bus
                    .as_ref()
                    .map(bus_label)
                    .unwrap_or_else(|| "default".to_string());
                (g.node(Kind::Bus, &bus), "event rule".to_string())
            }
        };
        g.edge(from, target.to_string(), label);
    }
}

/// A bus of the app by its name in the manifest, another as written.
fn bus_label(b: &BusRef) -> String {
    match b {
        BusRef::App(name) => name.clone(),
        BusRef::External(i) => i.to_string(),
    }
}

fn grant_label(service: iam::Service, grant: &Grant) -> String {
    match grant {
        Grant::Level(l) => service
            .levels()
            .iter()
            .find(|(_, x)| x == l)
            .map(|(k, _)| (*k).to_string())
            .unwrap_or_default(),
        Grant::Actions(a) => a.join(", "),
    }
}

fn access(g: &mut Graph, name: &str, f: &Function) {
    let me = format!("{}:{name}", Kind::Function.key());
    let a = &f.access;
    let lists = [
        (Kind::Table, iam::Service::DynamoDb, &a.tables),
        (Kind::Queue, iam::Service::Sqs, &a.queues),
        (Kind::Topic, iam::Service::Sns, &a.topics),
        (Kind::Bucket, iam::Service::S3, &a.buckets),
        (Kind::Function, iam::Service::Lambda, &a.functions),
        (Kind::StateMachine, iam::Service::States, &a.state_machines),
        (Kind::Bus, iam::Service::Events, &a.buses),
        (Kind::Secret, iam::Service::Ssm, &a.secrets),
    ];
    for (kind, service, grants) in lists {
        for (target, grant) in grants {
            let to = g.node(kind, target);
            g.edge(me.clone(), to, grant_label(service, grant));
        }
    }
}

fn destinations(g: &mut Graph, name: &str, f: &Function) {
    let me = format!("{}:{name}", Kind::Function.key());
    let mut dests: Vec<(&Destination, &str)> = Vec::new();
    if let Some(c) = &f.async_config {
        if let Some(d) = &c.on_success {
            dests.push((d, "on success"));
        }
        if let Some(d) = &c.on_failure {
            dests.push((d, "on failure"));
        }
        if let Some(d) = &c.dead_letter {
            dests.push((d, "dead letter"));
        }
    }
    for t in &f.triggers {
        if let TriggerKind::Stream(s) = &t.kind {
            if let Some(d) = &s.on_failure {
                dests.push((d, "stream failures"));
            }
        }
    }
    for (d, label) in dests {
        let to = match d {
            Destination::Queue(q) => g.node(Kind::Queue, q),
            Destination::Topic(t) => g.node(Kind::Topic, t),
            Destination::Function(f) => g.node(Kind::Function, f),
            Destination::Bus(b) => g.node(Kind::Bus, &bus_label(b)),
        };
        g.edge(me.clone(), to, label);
    }
}

/// An identifier Mermaid accepts for a node: letters, digits and `_`,
/// unique in the graph (its position breaks ties).
fn plain_ids(g: &Graph) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    g.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let base: String =
                n.id.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
            let id = if seen.contains(&base) {
                format!("{base}_{i}")
            } else {
                base
            };
            seen.insert(id.clone());
            id
        })
        .collect()
}

fn index_of(g: &Graph, id: &str) -> Option<usize> {
    g.nodes.iter().position(|n| n.id == id)
}

/// Mermaid text (a `flowchart LR`), as GitHub renders it in a ```mermaid
/// block.
pub fn mermaid(g: &Graph) -> String {
    let ids = plain_ids(g);
    let esc = |s: &str| s.replace('"', "#quot;");
    let mut out = String::from("flowchart LR\n");
    for (n, id) in g.nodes.iter().zip(&ids) {
        let text = format!("{}<br/><b>{}</b>", n.kind.noun(), esc(&n.label));
        let shape = match n.kind {
            Kind::Function => format!("{id}[\"{text}\"]"),
            Kind::StateMachine => format!("{id}{{{{\"{text}\"}}}}"),
            Kind::Table | Kind::Bucket => format!("{id}[(\"{text}\")]"),
            Kind::Queue => format!("{id}[/\"{text}\"/]"),
            Kind::Topic => format!("{id}>\"{text}\"]"),
            _ => format!("{id}([\"{text}\"])"),
        };
        out.push_str(&format!("    {shape}\n"));
    }
    for e in &g.edges {
        let (Some(a), Some(b)) = (index_of(g, &e.from), index_of(g, &e.to)) else {
            continue;
        };
        out.push_str(&format!(
            "    {} -->|\"{}\"| {}\n",
            ids[a],
            esc(&e.label),
            ids[b]
        ));
    }
    let mut kinds: Vec<Kind> = Vec::new();
    for n in &g.nodes {
        if !kinds.contains(&n.kind) {
            kinds.push(n.kind);
        }
    }
    for k in kinds {
        let (fill, stroke) = k.colors();
        out.push_str(&format!(
            "    classDef {} fill:{fill},stroke:{stroke},color:#111\n",
            k.key()
        ));
        let members: Vec<&str> = g
            .nodes
            .iter()
            .zip(&ids)
            .filter(|(n, _)| n.kind == k)
            .map(|(_, id)| id.as_str())
            .collect();
        out.push_str(&format!("    class {} {}\n", members.join(","), k.key()));
    }
    out
}

fn dot_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Graphviz DOT text.
pub fn dot(g: &Graph) -> String {
    let mut out = format!(
        "digraph {} {{\n    rankdir=LR;\n    node [fontname=\"Helvetica\", fontsize=11, style=filled];\n    edge [fontname=\"Helvetica\", fontsize=9];\n",
        dot_string(&g.app)
    );
    for n in &g.nodes {
        let (fill, stroke) = n.kind.colors();
        let shape = match n.kind {
            Kind::Function => "box",
            Kind::StateMachine => "hexagon",
            Kind::Table | Kind::Bucket => "cylinder",
            Kind::Queue => "parallelogram",
            Kind::Topic => "cds",
            _ => "ellipse",
        };
        out.push_str(&format!(
            "    {} [label={}, shape={shape}, fillcolor=\"{fill}\", color=\"{stroke}\"];\n",
            dot_string(&n.id),
            dot_string(&format!("{}\n{}", n.kind.noun(), n.label)).replace('\n', "\\n"),
        ));
    }
    for e in &g.edges {
        out.push_str(&format!(
            "    {} -> {} [label={}];\n",
            dot_string(&e.from),
            dot_string(&e.to),
            dot_string(&e.label)
        ));
    }
    out.push_str("}\n");
    out
}

/// The graph as JSON: the app, its nodes and its edges.
pub fn json(g: &Graph) -> String {
    serde_json::to_string_pretty(g).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(yaml: &str) -> App {
        let path = std::path::Path::new("ferry.yaml");
        crate::manifest::load_str(path, yaml, "dev", &crate::manifest::Disk)
            .unwrap_or_else(|e| panic!("{e:?}"))
    }

    const APP: &str = "app: shop
tables:
  orders: { partition_key: id }
queues:
  jobs: { visibility_timeout: 60s, dead_letter: { queue: dlq, max_receives: 3 } }
  dlq: {}
functions:
  api:
    access: { tables: { orders: read_write }, queues: { jobs: [SendMessage] } }
    triggers:
      - http: POST /orders
        auth: jwt
      - http: GET /orders/{id}
  worker:
    access: { queues: { jobs: consume } }
    triggers:
      - queue: jobs
      - schedule: rate(5 minutes)
http:
  jwt: { issuer: https://example.com, audience: [x] }
";

    #[test]
    fn nodes_and_edges_follow_the_manifest() {
        let g = of(&app(APP));
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "http:POST /orders",
                "http:GET /orders/{id}",
                "schedule:worker#1",
                "function:api",
                "function:worker",
                "queue:jobs",
                "table:orders",
                "queue:dlq"
            ]
        );
        let edge = |from: &str, to: &str| {
            g.edges
                .iter()
                .find(|e| e.from == from && e.to == to)
                .map(|e| e.label.as_str())
        };
        assert_eq!(edge("http:POST /orders", "function:api"), Some("jwt"));
        assert_eq!(
            edge("http:GET /orders/{id}", "function:api"),
            Some("public")
        );
        assert_eq!(edge("function:api", "table:orders"), Some("read_write"));
        assert_eq!(edge("function:api", "queue:jobs"), Some("SendMessage"));
        assert_eq!(edge("queue:jobs", "function:worker"), Some("batch 10"));
        assert_eq!(edge("function:worker", "queue:jobs"), Some("consume"));
        assert_eq!(edge("queue:jobs", "queue:dlq"), Some("dead letter after 3"));
    }

    #[test]
    fn text_formats_escape_quotes() {
        let g = Graph {
            app: "a\"b".into(),
            nodes: vec![Node {
                id: "function:x".into(),
                kind: Kind::Function,
                label: "say \"hi\"".into(),
            }],
            edges: vec![],
        };
        assert!(mermaid(&g).contains("say #quot;hi#quot;"));
        assert!(dot(&g).contains("digraph \"a\\\"b\""));
        assert!(dot(&g).contains("say \\\"hi\\\""));
    }
}
