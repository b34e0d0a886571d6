//! Event patterns, as Lambda's event filters and EventBridge rules read
//! them (pure): does a record match a pattern, and which small record does.
//!
//! A pattern is a JSON object. A key whose value is an object descends into
//! the record; a key whose value is an array matches when the record's value
//! (or any element of it, when it is an array) matches one of the array's
//! items: a literal (string, number, boolean, null) or a matcher
//! (`prefix`, `suffix`, `anything-but`, `exists`, `numeric`,
//! `equals-ignore-case`).

use serde_json::{Value, json};

/// True when `record` matches `pattern`.
pub fn matches(pattern: &Value, record: &Value) -> bool {
    let Some(fields) = pattern.as_object() else {
        return false;
    };
    fields.iter().all(|(key, want)| {
        let got = record.get(key);
        match want {
            Value::Object(_) => got.is_some_and(|g| g.is_object() && matches(want, g)),
            Value::Array(items) => items.iter().any(|item| item_matches(item, got)),
            // A bare value is not a valid pattern item; compare it as one.
            literal => got.is_some_and(|g| g == literal),
        }
    })
}

/// One item of a pattern's array against the record's value (absent: None).
fn item_matches(item: &Value, got: Option<&Value>) -> bool {
    if let Some(m) = item.as_object() {
        if let Some(exists) = m.get("exists").and_then(Value::as_bool) {
            return got.is_some_and(|g| !g.is_null()) == exists;
        }
        let Some(got) = got else {
            return false;
        };
        return any_value(got, |v| matcher_matches(m, v));
    }
    let Some(got) = got else {
        return false;
    };
    any_value(got, |v| literal_eq(item, v))
}

/// `f` on the value, or on any of its elements when it is an array.
fn any_value(v: &Value, f: impl Fn(&Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(f),
        v => f(v),
    }
}

fn literal_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn matcher_matches(m: &serde_json::Map<String, Value>, v: &Value) -> bool {
    m.iter().all(|(op, arg)| match op.as_str() {
        "prefix" => match (arg, v.as_str()) {
            (Value::String(p), Some(s)) => s.starts_with(p.as_str()),
            (Value::Object(o), Some(s)) => o
                .get("equals-ignore-case")
                .and_then(Value::as_str)
                .is_some_and(|p| s.to_lowercase().starts_with(&p.to_lowercase())),
            _ => false,
        },
        "suffix" => match (arg, v.as_str()) {
            (Value::String(p), Some(s)) => s.ends_with(p.as_str()),
            (Value::Object(o), Some(s)) => o
                .get("equals-ignore-case")
                .and_then(Value::as_str)
                .is_some_and(|p| s.to_lowercase().ends_with(&p.to_lowercase())),
            _ => false,
        },
        "equals-ignore-case" => match (arg.as_str(), v.as_str()) {
            (Some(a), Some(s)) => a.eq_ignore_ascii_case(s),
            _ => false,
        },
        "anything-but" => match arg {
            Value::Array(items) => !items.iter().any(|i| literal_eq(i, v)),
            Value::Object(inner) => !matcher_matches(inner, v),
            lit => !literal_eq(lit, v),
        },
        "numeric" => v.as_f64().is_some_and(|n| numeric(arg, n)),
        _ => false,
    })
}

/// `[">", 0, "<=", 5]`: every comparison holds.
fn numeric(arg: &Value, n: f64) -> bool {
    let Some(parts) = arg.as_array() else {
        return false;
    };
    parts.chunks(2).all(|c| {
        match (
            c.first().and_then(Value::as_str),
            c.get(1).and_then(Value::as_f64),
        ) {
            (Some("="), Some(x)) => n == x,
            (Some(">"), Some(x)) => n > x,
            (Some(">="), Some(x)) => n >= x,
            (Some("<"), Some(x)) => n < x,
            (Some("<="), Some(x)) => n <= x,
            _ => false,
        }
    })
}

/// A small value the pattern matches: the first literal of each array, a
/// string with the prefix or suffix asked for, a number in the range.
/// Keys whose only matcher cannot be satisfied simply are left out.
pub fn sample(pattern: &Value) -> Value {
    let Some(fields) = pattern.as_object() else {
        return json!({});
    };
    let mut out = serde_json::Map::new();
    for (key, want) in fields {
        let v = match want {
            Value::Object(_) => Some(sample(want)),
            Value::Array(items) => items.iter().find_map(sample_item),
            lit => Some(lit.clone()),
        };
        if let Some(v) = v {
            out.insert(key.clone(), v);
        }
    }
    Value::Object(out)
}

fn sample_item(item: &Value) -> Option<Value> {
    let Some(m) = item.as_object() else {
        return Some(item.clone());
    };
    let candidate = if let Some(exists) = m.get("exists").and_then(Value::as_bool) {
        return exists.then(|| json!("sample"));
    } else if let Some(p) = m.get("prefix") {
        let p = p
            .as_str()
            .or_else(|| p.get("equals-ignore-case").and_then(Value::as_str))?;
        json!(format!("{p}sample"))
    } else if let Some(s) = m.get("suffix") {
        let s = s
            .as_str()
            .or_else(|| s.get("equals-ignore-case").and_then(Value::as_str))?;
        json!(format!("sample{s}"))
    } else if let Some(s) = m.get("equals-ignore-case") {
        s.clone()
    } else if let Some(range) = m.get("numeric").and_then(Value::as_array) {
        // Try the bounds and just past them.
        let bounds: Vec<f64> = range.iter().filter_map(Value::as_f64).collect();
        let n = bounds
            .iter()
            .flat_map(|b| [*b, b + 1.0, b - 1.0, b + 0.5])
            .find(|n| numeric(&Value::Array(range.clone()), *n))?;
        if n.fract() == 0.0 {
            json!(n as i64)
        } else {
            json!(n)
        }
    } else if m.contains_key("anything-but") {
        json!("sample-other")
    } else {
        return None;
    };
    matcher_matches(m, &candidate).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_matchers() {
        let p = json!({ "body": { "type": ["ride"], "size": [{ "numeric": [">", 2, "<=", 5] }] } });
        assert!(matches(
            &p,
            &json!({ "body": { "type": "ride", "size": 3 } })
        ));
        assert!(!matches(
            &p,
            &json!({ "body": { "type": "ride", "size": 9 } })
        ));
        assert!(!matches(
            &p,
            &json!({ "body": { "type": "walk", "size": 3 } })
        ));
        assert!(!matches(&p, &json!({ "body": "plain text" })));
        let p = json!({ "source": [{ "prefix": "shop." }], "detail": { "id": [{ "exists": true }], "gone": [{ "exists": false }] } });
        assert!(matches(
            &p,
            &json!({ "source": "shop.orders", "detail": { "id": 1 } })
        ));
        assert!(!matches(
            &p,
            &json!({ "source": "shop.orders", "detail": { "id": 1, "gone": 2 } })
        ));
        let p = json!({ "kind": [{ "anything-but": ["test", "dev"] }], "tags": ["a"] });
        assert!(matches(&p, &json!({ "kind": "prod", "tags": ["b", "a"] })));
        assert!(!matches(&p, &json!({ "kind": "test", "tags": ["a"] })));
    }

    #[test]
    fn samples_match_their_pattern() {
        for p in [
            json!({ "body": { "type": ["ride"] } }),
            json!({ "source": [{ "prefix": "shop." }], "detail-type": ["Order Placed"] }),
            json!({ "detail": { "n": [{ "numeric": [">", 10] }], "k": [{ "anything-but": "x" }], "e": [{ "exists": true }] } }),
            json!({ "name": [{ "suffix": ".jpg" }] }),
        ] {
            let s = sample(&p);
            assert!(matches(&p, &s), "{p} vs {s}");
        }
    }
}
