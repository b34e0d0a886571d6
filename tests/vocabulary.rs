//! For every numeric and enumerated key of the vocabulary, the JSON Schema
//! (`ferry schema`) and the decoder (`ferry validate`) accept and refuse the
//! same boundary values: the range ends, one step outside each end, every
//! word and a word that is not one.
//!
//! Each value is put in its place in one valid manifest that uses every
//! section, trigger kind and form (`kitchen_sink`), the manifest written as
//! JSON (which YAML reads as is), and judged by the decoder in-process and
//! by the `jsonschema` package of `.venv` (installed by `scripts/setup`).
//! Durations are written as whole seconds: the range of a duration with a
//! unit (`15m`) is the decoder's alone, as docs/manifest.md says.

use std::path::PathBuf;
use std::process::Command;

use ferry::manifest::vocab::{self, Shape, Ty};
use serde_json::{Value, json};

/// One step of a place in the manifest.
#[derive(Clone, Debug)]
enum Step {
    Key(&'static str),
    /// Any entry of a named or free mapping.
    Entry,
    /// Any item of a list.
    Item,
    /// An item of the kind whose key is this.
    Kind(&'static str),
}

/// A key whose values have ends or words: where it is, and its type.
struct Slot {
    place: Vec<Step>,
    ty: &'static Ty,
}

fn slots() -> Vec<Slot> {
    fn ty_slots(place: Vec<Step>, ty: &'static Ty, out: &mut Vec<Slot>, depth: usize) {
        if depth > 12 {
            return;
        }
        match ty {
            Ty::Int { .. }
            | Ty::Number { .. }
            | Ty::Duration { .. }
            | Ty::Words(_)
            | Ty::Ints(_)
            | Ty::Runtime => out.push(Slot { place, ty }),
            Ty::Map(s) => shape_slots(place, s, out, depth + 1),
            Ty::List { item, .. } => {
                let mut p = place.clone();
                p.push(Step::Item);
                ty_slots(p, item, out, depth + 1)
            }
            Ty::Named(v) | Ty::Free { value: v, .. } => {
                let mut p = place.clone();
                p.push(Step::Entry);
                ty_slots(p, v, out, depth + 1)
            }
            Ty::Either(forms) => {
                for f in forms.iter() {
                    ty_slots(place.clone(), f, out, depth + 1)
                }
            }
            Ty::OneKey(kinds) => {
                for (k, t) in kinds.iter() {
                    let mut p = place.clone();
                    p.push(Step::Key(k));
                    ty_slots(p, t, out, depth + 1)
                }
            }
            Ty::Kinds(shapes) => {
                for s in shapes.iter() {
                    let kind = s.keys[0].name;
                    let mut p = place.clone();
                    if let Some(Step::Item) = p.last() {
                        p.pop();
                    }
                    p.push(Step::Kind(kind));
                    shape_slots(p, s, out, depth + 1)
                }
            }
            _ => {}
        }
    }
    fn shape_slots(place: Vec<Step>, s: &'static Shape, out: &mut Vec<Slot>, depth: usize) {
        for k in s.keys {
            let mut p = place.clone();
            p.push(Step::Key(k.name));
            ty_slots(p, &k.ty, out, depth);
        }
    }
    let mut out = Vec::new();
    shape_slots(Vec::new(), &vocab::ROOT, &mut out, 0);
    out
}

/// A valid manifest with every section, form and trigger kind, arranged so
/// that each boundary value is judged on its own: the first function has no
/// alarms (its timeout can be 1s), the first queue has no consumer (its
/// visibility timeout can be 0s), batch windows allow the largest batches.
fn kitchen_sink() -> Value {
    json!({
        "app": "sink",
        "region": "us-east-1",
        "defaults": { "memory": 256, "timeout": 10, "runtime": "provided.al2023", "architecture": "arm64",
                      "ephemeral_storage": 512, "log_retention": 30 },
        "parameters": { "Level": { "type": "String", "default": "info" } },
        "buses": { "orders": {} },
        "secrets": { "api-key": { "ssm": "/sink/api-key" } },
        "stages": { "dev": { "account": "123456789012", "region": "eu-west-1", "defaults": { "memory": 512, "timeout": 10, "log_retention": 7,
                                           "architecture": "x86_64", "ephemeral_storage": 1024 } } },
        "tables": {
            "a-rides": {
                "partition_key": { "name": "id", "type": "string" },
                "sort_key": { "name": "at", "type": "number" },
                "billing": { "read": 5, "write": 5 },
                "stream": "new_image",
                "indexes": { "by-user": { "partition_key": { "name": "user", "type": "string" },
                                          "sort_key": { "name": "when", "type": "number" },
                                          "projection": "all", "billing": { "read": 5, "write": 5 } } }
            }
        },
        "queues": {
            "a-free": { "visibility_timeout": 30, "retention": 3600, "delay": 0,
                        "dead_letter": { "queue": "c-dlq", "max_receives": 5 } },
            "b-jobs": { "visibility_timeout": 43200 },
            "c-dlq": {}
        },
        "topics": { "alerts": {} },
        "buckets": { "uploads": {} },
        "layers": { "shared": { "path": "layer", "architectures": ["arm64"], "runtimes": ["provided.al2023"] } },
        "http": {
            "cors": { "origins": ["https://example.com"], "methods": ["GET"], "max_age": 60 },
            "jwt": { "issuer": "https://issuer.example.com", "audience": ["app"] },
            "domain": { "name": "${stage}.api.example.com",
                        "certificate": "arn:aws:acm:eu-west-1:123456789012:certificate/abc" }
        },
        "functions": {
            "a-api": {
                "memory": 256,
                "timeout": 30,
                "ephemeral_storage": 512,
                "log_retention": 30,
                "architecture": "arm64",
                "runtime": "provided.al2023",
                "access": { "tables": { "a-rides": "read" }, "queues": { "a-free": "send" },
                            "topics": { "alerts": "publish" }, "buckets": { "uploads": "read" },
                            "functions": { "b-worker": "invoke" }, "state_machines": { "flow": "start" },
                            "buses": { "orders": "put" }, "secrets": { "api-key": "read" } },
                "triggers": [
                    { "http": "GET /rides", "auth": "jwt" },
                    { "url": { "auth": "iam", "public": true, "cors": { "origins": ["https://example.com"], "max_age": 60 } } },
                    { "schedule": "rate(5 minutes)" },
                    { "topic": "alerts" },
                    { "bucket": "uploads", "events": ["created"] },
                    { "event": { "pattern": { "source": ["sink"] } } }
                ],
                "async": { "retries": 1, "max_event_age": 3600,
                           "on_success": { "queue": "a-free" }, "on_failure": { "topic": "alerts" },
                           "dead_letter": { "queue": "c-dlq" } },
                "concurrency": { "reserved": 100000 },
                "deployment": { "strategy": "all-at-once" },
                "invoke": [ { "account": "123456789012" } ]
            },
            "b-worker": {
                "timeout": 900,
                "triggers": [
                    { "queue": "b-jobs", "batch_size": 10, "batch_window": 1, "max_concurrency": 5 },
                    { "stream": { "table": "a-rides" }, "starting_position": "latest", "batch_size": 100,
                      "batch_window": 1, "retries": 3, "max_record_age": 3600, "parallelization": 2,
                      "on_failure": { "queue": "a-free" } }
                ],
                "alarms": { "errors": 1, "throttles": 1, "duration_p99": 900, "notify": { "topic": "alerts" } }
            },
            "c-scaled": {
                "concurrency": { "provisioned": { "min": 1, "max": 100000, "utilization": 0.5 } }
            }
        },
        "state_machines": {
            "flow": { "type": "standard", "definition": { "StartAt": "Done", "States": { "Done": { "Type": "Succeed" } } } }
        },
        "outputs": { "Api": "${http.url}" },
        "tags": { "team": "rides" }
    })
}

/// The value at `place` in `doc` (a key that is absent is added). The
/// first entry or item where the place exists wins.
fn find<'a>(doc: &'a mut Value, place: &[Step]) -> Option<&'a mut Value> {
    fn walk<'a>(v: &'a mut Value, place: &[Step]) -> Option<&'a mut Value> {
        match place {
            [] => Some(v),
            [Step::Key(k)] => Some(v.as_object_mut()?.entry(*k).or_insert(Value::Null)),
            [Step::Key(k), rest @ ..] => walk(v.as_object_mut()?.get_mut(*k)?, rest),
            [Step::Entry, rest @ ..] => {
                let o = v.as_object_mut()?;
                let keys: Vec<String> = o.keys().cloned().collect();
                let at = keys.iter().position(|k| probe(&o[k], rest))?;
                walk(o.get_mut(&keys[at])?, rest)
            }
            [Step::Item, rest @ ..] => {
                let a = v.as_array_mut()?;
                let at = a.iter().position(|i| probe(i, rest))?;
                walk(&mut a[at], rest)
            }
            [Step::Kind(kind), rest @ ..] => {
                let a = v.as_array_mut()?;
                let at = a
                    .iter()
                    .position(|i| i.get(*kind).is_some() && probe(i, rest))?;
                walk(&mut a[at], rest)
            }
        }
    }
    fn probe(v: &Value, place: &[Step]) -> bool {
        let mut copy = v.clone();
        walk(&mut copy, place).is_some()
    }
    walk(doc, place)
}

fn show(place: &[Step]) -> String {
    place
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.to_string(),
            Step::Entry => "<name>".into(),
            Step::Item => "[]".into(),
            Step::Kind(k) => format!("[{k}]"),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The values to try in a slot.
fn values(ty: &Ty) -> Vec<Value> {
    match ty {
        Ty::Int { min, max, .. } => {
            let mut v = vec![json!(min), json!(max)];
            if let Some(below) = min.checked_sub(1) {
                v.push(json!(below));
            }
            if let Some(above) = max.checked_add(1) {
                v.push(json!(above));
            }
            v
        }
        Ty::Number { min, max } => {
            vec![json!(min), json!(max), json!(min - 0.05), json!(max + 0.05)]
        }
        Ty::Duration { min, max } => {
            let mut v = vec![json!(min), json!(max), json!(max + 1)];
            if *min > 0 {
                v.push(json!(min - 1));
            }
            v
        }
        Ty::Words(words) => {
            let mut v: Vec<Value> = words.iter().map(|w| json!(w)).collect();
            v.push(json!("not-a-word"));
            v
        }
        Ty::Ints(ints) => {
            let mut v: Vec<Value> = ints.iter().map(|i| json!(i)).collect();
            v.push(json!(2));
            v.push(json!(ints.iter().max().copied().unwrap_or(0) + 1));
            v
        }
        Ty::Runtime => vec![
            json!("provided.al2023"),
            json!("provided.al2"),
            json!("nodejs20.x"),
        ],
        _ => Vec::new(),
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the decoder accepts `doc` (stage `dev`), and its first message.
fn decoder(dir: &std::path::Path, doc: &Value) -> (bool, String) {
    let path = dir.join("ferry.yaml");
    std::fs::write(&path, serde_json::to_string_pretty(doc).expect("json")).expect("write");
    match ferry::manifest::load(&path, "dev") {
        Ok(_) => (true, String::new()),
        Err(ferry::manifest::LoadError::Invalid { diagnostics, .. }) => (
            false,
            diagnostics
                .first()
                .map(|d| format!("{}: {}", d.path, d.message))
                .unwrap_or_default(),
        ),
        Err(ferry::manifest::LoadError::Plain(m)) => (false, m),
    }
}

const SCHEMA_VERDICTS: &str = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
docs = json.load(open(sys.argv[2]))
v = Draft202012Validator(schema)
out = []
for d in docs:
    errs = sorted(v.iter_errors(d), key=lambda e: list(e.absolute_path))
    out.append([not errs, (errs[0].message + " at /" + "/".join(map(str, errs[0].absolute_path))) if errs else ""])
json.dump(out, sys.stdout)
"#;

#[test]
fn schema_and_decoder_agree_on_every_boundary_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("layer")).expect("layer folder");
    let base = kitchen_sink();
    let (ok, msg) = decoder(dir.path(), &base);
    assert!(ok, "the kitchen sink itself is refused: {msg}");

    let mut cases: Vec<(String, Value, Value)> = Vec::new();
    let mut unplaced = Vec::new();
    let slots = slots();
    for slot in &slots {
        for value in values(slot.ty) {
            let mut doc = base.clone();
            match find(&mut doc, &slot.place) {
                Some(at) => *at = value.clone(),
                None => {
                    unplaced.push(show(&slot.place));
                    break;
                }
            }
            cases.push((show(&slot.place), value, doc));
        }
    }
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "the kitchen sink has no place for: {}",
        unplaced.join(", ")
    );
    assert!(slots.len() > 50, "only {} slots", slots.len());

    // The schema's verdicts, all at once.
    let schema_path = dir.path().join("schema.json");
    std::fs::write(&schema_path, ferry::schema::json()).expect("write schema");
    let docs_path = dir.path().join("docs.json");
    let mut all: Vec<&Value> = vec![&base];
    all.extend(cases.iter().map(|(_, _, d)| d));
    std::fs::write(&docs_path, serde_json::to_string(&all).expect("json")).expect("write docs");
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup",
        python.display()
    );
    let out = Command::new(python)
        .args(["-c", SCHEMA_VERDICTS])
        .arg(&schema_path)
        .arg(&docs_path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<(bool, String)> = serde_json::from_slice(&out.stdout).expect("verdicts");
    assert!(
        verdicts[0].0,
        "the schema refuses the kitchen sink: {}",
        verdicts[0].1
    );

    let mut disagree = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for ((place, value, doc), (schema_ok, schema_msg)) in cases.iter().zip(&verdicts[1..]) {
        let (ok, msg) = decoder(dir.path(), doc);
        if ok {
            accepted += 1;
        } else {
            refused += 1;
        }
        if ok != *schema_ok {
            disagree.push(format!(
                "{place} = {value}: decoder {} ({msg}), schema {} ({schema_msg})",
                if ok { "accepts" } else { "refuses" },
                if *schema_ok { "accepts" } else { "refuses" },
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} boundary values judged differently:\n{}",
        disagree.len(),
        cases.len(),
        disagree.join("\n")
    );
    // Both verdicts occur: the test can fail either way.
    assert!(
        accepted > 50 && refused > 50,
        "{accepted} accepted, {refused} refused"
    );
}
