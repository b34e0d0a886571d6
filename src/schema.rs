//! The JSON Schema of `ferry.yaml` (draft 2020-12), for editors and
//! yaml-language-server, generated from the manifest's vocabulary
//! (`manifest::vocab`): the same keys, ranges and words the decoder reads.
//!
//! What JSON Schema cannot say is left to `ferry validate`: rules across
//! keys (a batch size above 10 needs a batch window), references to other
//! entries, and the range of a duration written with a unit (`15m`; a
//! duration written as whole seconds is range-checked here too).

use serde_json::{Map, Value, json};

use crate::manifest::model::{Lifecycle, today_utc};
use crate::manifest::vocab::{self, Key, Shape, Ty};

/// The runtimes Lambda accepts today.
fn usable_runtimes() -> Vec<&'static str> {
    Lifecycle::usable_on(&today_utc()).map(|l| l.id).collect()
}

fn described(mut v: Value, key: &Key) -> Value {
    let mut d = key.doc.to_string();
    if let Some(default) = key.default {
        d.push_str(&format!(" (default: {default})"));
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("description".into(), Value::String(d));
    }
    v
}

/// A mapping with a shape's keys.
fn shape(s: &Shape) -> Value {
    let mut props = Map::new();
    for k in s.keys {
        props.insert(k.name.to_string(), described(ty(&k.ty), k));
    }
    let required: Vec<&str> = s
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| k.name)
        .collect();
    let mut o = json!({ "additionalProperties": false, "properties": props });
    if required.is_empty() {
        // An empty value (`orders:`) is an empty mapping.
        o["type"] = json!(["object", "null"]);
    } else {
        o["type"] = json!("object");
        o["required"] = json!(required);
    }
    o
}

fn ty(t: &Ty) -> Value {
    match t {
        Ty::Bool => json!({ "type": "boolean" }),
        Ty::Int { min, max, unit } => {
            let mut v = json!({ "type": "integer", "minimum": min, "maximum": max });
            if !unit.is_empty() {
                v["$comment"] = json!(unit);
            }
            v
        }
        Ty::Number { min, max } => json!({ "type": "number", "minimum": min, "maximum": max }),
        Ty::Duration { min, max } => json!({
            "oneOf": [
                { "type": "integer", "minimum": min, "maximum": max },
                { "type": "string", "pattern": "^[0-9]+[smhd]?$" }
            ]
        }),
        Ty::Words(words) => json!({ "enum": words }),
        Ty::Ints(ints) => json!({ "enum": ints }),
        Ty::Runtime => json!({ "enum": usable_runtimes() }),
        Ty::Str { pattern, .. } => match pattern {
            Some(p) => json!({ "type": "string", "pattern": p }),
            None => json!({ "type": "string" }),
        },
        Ty::Text { .. } | Ty::Ref(_) => json!({ "type": "string" }),
        Ty::Account => json!({
            "oneOf": [
                { "type": "string", "pattern": "^[0-9]{12}$" },
                { "type": "integer", "minimum": 0, "maximum": 999_999_999_999u64 }
            ]
        }),
        Ty::Scalar => json!({ "type": ["string", "number", "boolean"] }),
        Ty::List { item, min, max } => {
            let mut v = json!({ "type": "array", "items": ty(item) });
            if *min > 0 {
                v["minItems"] = json!(min);
            }
            if let Some(max) = max {
                v["maxItems"] = json!(max);
            }
            v
        }
        Ty::Map(s) => shape(s),
        Ty::Named(value) => json!({
            "type": ["object", "null"],
            "propertyNames": { "pattern": "^[a-z][a-z0-9-]{0,39}$" },
            "additionalProperties": ty(value)
        }),
        Ty::Free { key, value } => json!({
            "type": ["object", "null"],
            "propertyNames": { "pattern": key },
            "additionalProperties": ty(value)
        }),
        Ty::Object => json!({ "type": "object" }),
        Ty::Any => json!({}),
        Ty::Either(forms) => json!({ "oneOf": forms.iter().map(ty).collect::<Vec<_>>() }),
        Ty::OneKey(kinds) => {
            let props: Map<String, Value> =
                kinds.iter().map(|(k, t)| (k.to_string(), ty(t))).collect();
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": props,
                "minProperties": 1,
                "maxProperties": 1
            })
        }
        Ty::Kinds(shapes) => json!({
            "oneOf": shapes
                .iter()
                .map(|s| {
                    let mut v = shape(s);
                    // The kind key is what tells the forms apart.
                    let kind = s.keys.first().map(|k| k.name).unwrap_or_default();
                    v["type"] = json!("object");
                    v["required"] = json!([kind]);
                    v
                })
                .collect::<Vec<_>>()
        }),
    }
}

/// The schema as a JSON value.
pub fn schema() -> Value {
    let mut root = shape(&vocab::ROOT);
    root["type"] = json!("object");
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$id"] = json!("https://ferry.dev/schema/ferry.schema.json");
    root["title"] = json!("ferry.yaml");
    root["description"] = json!(vocab::ROOT.doc);
    root["anyOf"] = json!([{ "required": ["functions"] }, { "required": ["state_machines"] }]);
    root
}

/// The schema, pretty-printed.
pub fn json() -> String {
    serde_json::to_string_pretty(&schema()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::model::TriggerKind;

    #[test]
    fn schema_declares_every_trigger_kind() {
        let s = schema();
        let kinds = &s["properties"]["functions"]["additionalProperties"]["properties"]["triggers"]
            ["items"]["oneOf"];
        assert_eq!(
            kinds.as_array().map(Vec::len),
            Some(TriggerKind::KEYS.len())
        );
    }

    #[test]
    fn ranges_come_from_the_vocabulary() {
        let s = schema();
        let memory = &s["properties"]["functions"]["additionalProperties"]["properties"]["memory"];
        assert_eq!(memory["minimum"], 128);
        assert_eq!(memory["maximum"], 10240);
        assert!(
            memory["description"]
                .as_str()
                .unwrap_or("")
                .contains("default: 128")
        );
    }
}
