//! `ferry graph`: Mermaid and DOT snapshots of the examples, and the SVG
//! parsed as XML with every node drawn, up to an app of 50 functions.

mod common;

use common::*;

fn example(name: &str) -> ferry::manifest::model::App {
    ferry::manifest::load(
        &repo().join("examples").join(name).join("ferry.yaml"),
        "dev",
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

const EXAMPLES: [&str; 4] = ["wild-rydes", "sqs-worker", "step-functions", "products"];

#[test]
fn mermaid_and_dot_of_the_examples() {
    for name in EXAMPLES {
        let g = ferry::graph::of(&example(name));
        insta::assert_snapshot!(format!("{name}.mermaid"), ferry::graph::mermaid(&g));
        let dot = ferry::graph::dot(&g);
        // Valid DOT: layout-rs's own parser reads it.
        if let Err(e) = layout::gv::DotParser::new(&dot).process() {
            panic!("{name}: the DOT does not parse: {e}\n{dot}");
        }
        insta::assert_snapshot!(format!("{name}.dot"), dot);
    }
}

/// Every text of the SVG, joined per `<text>` element.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            n.descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn assert_every_node_drawn(app: &ferry::manifest::model::App) -> String {
    let g = ferry::graph::of(app);
    let svg = ferry::graph::svg(&g);
    let texts = svg_texts(&svg);
    for n in &g.nodes {
        assert!(
            texts.iter().any(|t| t.contains(&n.label)),
            "node {} is not drawn",
            n.id
        );
    }
    for e in &g.edges {
        assert!(
            texts.iter().any(|t| t.contains(&e.label)),
            "edge label {} is not drawn",
            e.label
        );
    }
    svg
}

#[test]
fn svg_of_the_examples_draws_every_node() {
    for name in EXAMPLES {
        assert_every_node_drawn(&example(name));
    }
}

#[test]
fn svg_of_fifty_functions_draws_every_node() {
    let yaml = ferry::fixtures::app(50);
    let app = ferry::manifest::load_str(
        std::path::Path::new("ferry.yaml"),
        &yaml,
        "dev",
        &ferry::manifest::Disk,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let svg = assert_every_node_drawn(&app);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "layout took {:?}",
        started.elapsed()
    );
    if let Some(out) = std::env::var_os("FERRY_GRAPH_OUT") {
        std::fs::write(out, svg).unwrap();
    }
}

#[test]
fn the_command_writes_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = repo().join("examples/wild-rydes/ferry.yaml");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .arg("-f")
            .arg(&manifest)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["graph"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("flowchart LR"));
    let svg = dir.path().join("g.svg");
    let out = run(&["graph", "--format", "svg", "-o", svg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    svg_texts(&std::fs::read_to_string(&svg).unwrap());
    let out = run(&["--output", "json", "graph"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["app"], "wild-rydes");
    assert!(
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "function:request-unicorn")
    );
    assert!(
        v["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["label"] == "PutItem")
    );
    let out = run(&["graph", "--format", "png"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn svg_of_cycles_self_calls_buses_and_schedules() {
    let yaml = "app: loops
functions:
  a:
    access: { functions: { a: invoke, b: invoke } }
  b:
    access: { functions: { a: invoke } }
    triggers:
      - event: { pattern: { source: [x] } }
      - schedule: rate(1 minute)
";
    let app = ferry::manifest::load_str(
        std::path::Path::new("ferry.yaml"),
        yaml,
        "dev",
        &ferry::manifest::Disk,
    )
    .unwrap();
    assert_every_node_drawn(&app);
    let empty = ferry::graph::Graph::default();
    svg_texts(&ferry::graph::svg(&empty));
}

#[test]
fn buses_and_secrets_are_nodes_with_their_access_on_the_edges() {
    let path = repo().join("tests/manifests/good/products-api.yaml");
    let app = ferry::manifest::load(&path, "dev").unwrap_or_else(|e| panic!("{e:?}"));
    let g = ferry::graph::of(&app);
    let edge = |from: &str, to: &str| {
        g.edges
            .iter()
            .filter(|e| e.from == from && e.to == to)
            .map(|e| e.label.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        edge("function:publish", "bus:catalog"),
        ["put", "on failure"]
    );
    assert_eq!(edge("bus:catalog", "function:audit"), ["event rule"]);
    assert_eq!(edge("function:put", "secret:stripe-key"), ["read"]);
    assert_eq!(edge("function:put", "secret:db"), ["read"]);
    let json: serde_json::Value = serde_json::from_str(&ferry::graph::json(&g)).unwrap();
    assert!(
        json["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "secret:db" && n["kind"] == "secret"),
        "{json}"
    );
    assert_every_node_drawn(&app);
}
