//! The JSON Schema of `ferry.yaml` (draft 2020-12), for editors and
//! yaml-language-server.
//!
//! It is written next to the decoder rather than derived: the decoder is
//! hand-written so that it can report every error with its place, and the
//! manifest has shorthand forms (`partition_key: RideId` or `{ name, type }`,
//! a trigger item keyed by its kind) that a derived schema would describe
//! poorly. The test suite checks every example manifest against it, and
//! that misspelled keys are rejected by it as by the decoder.

use serde_json::{Value, json};

use crate::manifest::function::LOG_RETENTION_DAYS;
use crate::manifest::model::TriggerKind;

const NAME: &str = "^[a-z][a-z0-9-]{0,39}$";

fn object(props: Value, required: &[&str]) -> Value {
    let mut o = json!({ "type": "object", "additionalProperties": false, "properties": props });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// A mapping of user-named entries (`tables`, `functions`, ...).
fn named(item: Value) -> Value {
    json!({
        "type": "object",
        "propertyNames": { "pattern": NAME },
        "additionalProperties": item
    })
}

fn duration(description: &str) -> Value {
    json!({
        "description": description,
        "oneOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": "^[0-9]+[smhd]?$" }
        ]
    })
}

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn words(list: &[&str]) -> Value {
    json!({ "enum": list })
}

/// The runtimes Lambda accepts today.
fn usable_runtimes() -> Vec<&'static str> {
    let today = crate::manifest::model::today_utc();
    crate::manifest::model::Lifecycle::usable_on(&today)
        .map(|l| l.id)
        .collect()
}

fn settings() -> serde_json::Map<String, Value> {
    let v = json!({
        "runtime": words(&usable_runtimes()),
        "architecture": words(&["arm64", "x86_64"]),
        "memory": { "type": "integer", "minimum": 128, "maximum": 10240, "description": "MB" },
        "timeout": duration("1s to 900s"),
        "ephemeral_storage": { "type": "integer", "minimum": 512, "maximum": 10240, "description": "MB" },
        "tracing": { "type": "boolean" },
        "log_retention": { "enum": LOG_RETENTION_DAYS },
        "environment": {
            "type": "object",
            "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9_]+$" },
            "additionalProperties": { "type": ["string", "number", "boolean"] }
        },
        "layers": { "type": "array", "maxItems": 5, "items": { "type": "string" } },
        "alias": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,127}$" },
        "vpc": object(json!({ "subnets": strings(), "security_groups": strings() }), &["subnets", "security_groups"])
    });
    v.as_object().cloned().unwrap_or_default()
}

fn cors() -> Value {
    object(
        json!({
            "origins": strings(),
            "methods": strings(),
            "headers": strings(),
            "expose_headers": strings(),
            "max_age": duration("0s to 1d"),
            "allow_credentials": { "type": "boolean" }
        }),
        &[],
    )
}

fn destination(kinds: &[&str]) -> Value {
    let props: serde_json::Map<String, Value> = kinds
        .iter()
        .map(|k| (k.to_string(), json!({ "type": "string" })))
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": props,
        "minProperties": 1,
        "maxProperties": 1
    })
}

/// One trigger item: exactly one kind key, with that kind's options.
fn trigger() -> Value {
    let key_attr = json!({ "type": "string" });
    let kinds: Vec<(&str, Value, Value)> = vec![
        (
            "http",
            string("METHOD /path, e.g. POST /ride"),
            json!({
                "auth": words(&["none", "iam", "jwt"]),
                "scopes": strings()
            }),
        ),
        (
            "url",
            object(
                json!({
                    "auth": words(&["iam", "none"]),
                    "public": { "type": "boolean" },
                    "cors": cors(),
                    "stream": { "type": "boolean" }
                }),
                &[],
            ),
            json!({}),
        ),
        (
            "schedule",
            string("rate(5 minutes) or cron(0 12 * * ? *)"),
            json!({
                "payload": {},
                "enabled": { "type": "boolean" }
            }),
        ),
        (
            "queue",
            key_attr.clone(),
            json!({
                "batch_size": { "type": "integer", "minimum": 1, "maximum": 10000 },
                "batch_window": duration("0s to 300s"),
                "max_concurrency": { "type": "integer", "minimum": 2, "maximum": 1000 },
                "report_batch_item_failures": { "type": "boolean" },
                "filter": { "type": "array", "maxItems": 5, "items": { "type": "object" } }
            }),
        ),
        (
            "stream",
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": { "table": { "type": "string" }, "kinesis": { "type": "string" } },
                "minProperties": 1,
                "maxProperties": 1
            }),
            json!({
                "starting_position": words(&["latest", "trim_horizon"]),
                "batch_size": { "type": "integer", "minimum": 1, "maximum": 10000 },
                "batch_window": duration("0s to 300s"),
                "bisect_on_error": { "type": "boolean" },
                "retries": { "type": "integer", "minimum": -1, "maximum": 10000 },
                "max_record_age": duration("60s to 7d"),
                "parallelization": { "type": "integer", "minimum": 1, "maximum": 10 },
                "on_failure": destination(&["queue", "topic"]),
                "report_batch_item_failures": { "type": "boolean" },
                "filter": { "type": "array", "maxItems": 5, "items": { "type": "object" } }
            }),
        ),
        (
            "topic",
            key_attr.clone(),
            json!({ "filter_policy": { "type": "object" } }),
        ),
        (
            "bucket",
            key_attr,
            json!({
                "events": { "type": "array", "items": words(&["created", "removed"]) },
                "prefix": { "type": "string" },
                "suffix": { "type": "string" }
            }),
        ),
        (
            "event",
            object(
                json!({
                    "pattern": { "type": "object" },
                    "bus": { "type": "string" }
                }),
                &["pattern"],
            ),
            json!({ "bus": { "type": "string" } }),
        ),
    ];
    debug_assert_eq!(kinds.len(), TriggerKind::KEYS.len());
    let one_of: Vec<Value> = kinds
        .into_iter()
        .map(|(kind, value, options)| {
            let mut props = options.as_object().cloned().unwrap_or_default();
            props.insert(kind.to_string(), value);
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": [kind],
                "properties": props
            })
        })
        .collect();
    json!({ "oneOf": one_of })
}

fn access() -> Value {
    let grant = |levels: &[&str]| {
        json!({
            "type": "object",
            "additionalProperties": {
                "oneOf": [ words(levels), { "type": "array", "items": { "type": "string" }, "minItems": 1 } ]
            }
        })
    };
    object(
        json!({
            "tables": grant(&["read", "write", "read_write"]),
            "queues": grant(&["send", "consume"]),
            "topics": grant(&["publish"]),
            "buckets": grant(&["read", "write", "read_write"]),
            "functions": grant(&["invoke"]),
            "state_machines": grant(&["start"]),
            "buses": grant(&["put"]),
            "secrets": access_secrets(),
            "policies": { "type": "array", "items": { "type": "object", "required": ["Effect", "Action"] } }
        }),
        &[],
    )
}

fn function() -> Value {
    let mut props = settings();
    let extra = json!({
        "crate": string("cargo package; default: the function's name"),
        "bin": string("binary target; default: the package's only binary, else the function's name"),
        "image": string("container image URI, instead of crate/bin"),
        "description": string("up to 256 characters"),
        "access": access(),
        "triggers": { "type": "array", "items": trigger() },
        "async": object(json!({
            "retries": { "type": "integer", "minimum": 0, "maximum": 2 },
            "max_event_age": duration("60s to 6h"),
            "on_success": destination(&["queue", "topic", "function", "bus"]),
            "on_failure": destination(&["queue", "topic", "function", "bus"]),
            "dead_letter": destination(&["queue", "topic"])
        }), &[]),
        "concurrency": object(json!({
            "reserved": { "type": "integer", "minimum": 0 },
            "provisioned": {
                "oneOf": [
                    { "type": "integer", "minimum": 1 },
                    object(json!({
                        "min": { "type": "integer", "minimum": 1 },
                        "max": { "type": "integer", "minimum": 1 },
                        "utilization": { "type": "number", "minimum": 0.1, "maximum": 0.9 }
                    }), &["min", "max"])
                ]
            }
        }), &[]),
        "deployment": object(json!({
            "strategy": { "type": "string", "pattern": "^(all-at-once|(canary|linear)[0-9]{1,2}-[0-9]+m)$" }
        }), &[]),
        "invoke": { "type": "array", "items": object(json!({
            "account": { "type": ["string", "integer"] },
            "service": { "type": "string" },
            "source_arn": { "type": "string" },
            "source_account": { "type": ["string", "integer"] },
            "role": { "type": "string" }
        }), &[]) },
        "alarms": object(json!({
            "errors": { "type": "integer", "minimum": 1 },
            "throttles": { "type": "integer", "minimum": 1 },
            "duration_p99": duration("1s to 900s"),
            "notify": object(json!({ "topic": { "type": "string" } }), &["topic"])
        }), &[]),
        "role": string("an existing IAM role ARN; then `access` must be empty")
    });
    props.extend(extra.as_object().cloned().unwrap_or_default());
    json!({ "type": ["object", "null"], "additionalProperties": false, "properties": props })
}

fn key_attr() -> Value {
    json!({
        "oneOf": [
            { "type": "string" },
            object(json!({ "name": { "type": "string" }, "type": words(&["string", "number", "binary"]) }), &["name"])
        ]
    })
}

fn billing() -> Value {
    json!({
        "oneOf": [
            { "const": "on_demand" },
            object(json!({ "read": { "type": "integer", "minimum": 1 }, "write": { "type": "integer", "minimum": 1 } }), &["read", "write"])
        ]
    })
}

// ---- v1.1: buses, secrets, per-stage account and region, http.domain ----
//
// Each new key is one function here, so that the parts can be moved as
// they are.

/// `buses: { orders: {} }`: an EventBridge bus takes no settings.
fn buses() -> Value {
    named(json!({
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {},
        "description": "an EventBridge bus named <app>-<stage>-<name>"
    }))
}

/// `secrets: { X: { ssm: /path } | { secretsmanager: name-or-arn } }`.
fn secrets() -> Value {
    let ssm = json!({
        "type": "string",
        "pattern": "^(/[A-Za-z0-9_.${}-]+(/[A-Za-z0-9_.${}-]+)*|[A-Za-z0-9_.${}-]+)$",
        "description": "an SSM parameter name; a path starts with `/`; `${app}` and `${stage}` allowed"
    });
    let secretsmanager = json!({
        "type": "string",
        "description": "a Secrets Manager secret's name or ARN; `${app}` and `${stage}` allowed"
    });
    named(json!({
        "oneOf": [
            object(json!({ "ssm": ssm }), &["ssm"]),
            object(json!({ "secretsmanager": secretsmanager }), &["secretsmanager"])
        ]
    }))
}

/// `access.secrets: { X: read }`.
fn access_secrets() -> Value {
    json!({ "type": "object", "additionalProperties": words(&["read"]) })
}

/// `stages.<name>.account`: 12 digits, as a string.
fn stage_account() -> Value {
    json!({
        "type": "string",
        "pattern": "^[0-9]{12}$",
        "description": "the AWS account of the stage: deploy, diff, destroy and package refuse other credentials"
    })
}

/// `stages.<name>.region`.
fn stage_region() -> Value {
    json!({ "type": "string", "description": "overrides the top-level region for this stage" })
}

/// `http.domain: { name, certificate } | { name, zone }`.
fn http_domain() -> Value {
    let name = json!({
        "type": "string",
        "description": "the domain name; `${app}` and `${stage}` allowed"
    });
    json!({
        "oneOf": [
            object(json!({
                "name": name,
                "certificate": string("an existing ACM certificate ARN in the stack's region")
            }), &["name", "certificate"]),
            object(json!({
                "name": name,
                "zone": string("a Route 53 hosted zone id: ferry creates the certificate and the alias record")
            }), &["name", "zone"])
        ]
    })
}

/// The schema as a JSON value.
pub fn schema() -> Value {
    let defaults =
        json!({ "type": "object", "additionalProperties": false, "properties": settings() });
    let tags = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    let table = object(
        json!({
            "partition_key": key_attr(),
            "sort_key": key_attr(),
            "billing": billing(),
            "stream": words(&["new_image", "old_image", "new_and_old_images", "keys_only"]),
            "ttl": { "type": "string" },
            "indexes": {
                "type": "object",
                "additionalProperties": object(json!({
                    "partition_key": key_attr(),
                    "sort_key": key_attr(),
                    "projection": { "oneOf": [ words(&["all", "keys_only"]), strings() ] },
                    "billing": billing()
                }), &["partition_key"])
            },
            "point_in_time_recovery": { "type": "boolean" },
            "retain": { "type": "boolean" },
            "deletion_protection": { "type": "boolean" }
        }),
        &["partition_key"],
    );
    let queue = object(
        json!({
            "fifo": { "type": "boolean" },
            "content_based_deduplication": { "type": "boolean" },
            "visibility_timeout": duration("0s to 12h; at least 6 x the timeout of a consuming function"),
            "retention": duration("60s to 14d"),
            "delay": duration("0s to 900s"),
            "dead_letter": object(json!({
                "queue": { "type": "string" },
                "max_receives": { "type": "integer", "minimum": 1, "maximum": 1000 }
            }), &["queue"])
        }),
        &[],
    );
    let nullable = |mut v: Value| {
        v["type"] = json!(["object", "null"]);
        v
    };
    let mut root = object(
        json!({
            "app": { "type": "string", "pattern": NAME },
            "region": { "type": "string" },
            "permissions_boundary": {
                "type": "string",
                "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$",
                "description": "a managed policy attached as permissions boundary to every role ferry creates"
            },
            "defaults": defaults.clone(),
            "parameters": {
                "type": "object",
                "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9]*$" },
                "additionalProperties": nullable(object(json!({
                    "type": { "type": "string" },
                    "default": { "type": ["string", "number", "boolean"] },
                    "allowed": { "type": "array" },
                    "description": { "type": "string" },
                    "no_echo": { "type": "boolean" }
                }), &[]))
            },
            "stages": named(object(json!({
                "parameters": { "type": "object" },
                "defaults": defaults,
                "tags": tags.clone(),
                "protected": { "type": "boolean", "description": "no hotswap and no watch on this stage; destroy and deploy --allow-data-loss need the stage typed back" },
                "account": stage_account(),
                "region": stage_region()
            }), &[])),
            "tables": named(table),
            "queues": named(nullable(queue)),
            "topics": named(nullable(object(json!({
                "fifo": { "type": "boolean" },
                "content_based_deduplication": { "type": "boolean" }
            }), &[]))),
            "buckets": named(nullable(object(json!({
                "versioned": { "type": "boolean" },
                "retain": { "type": "boolean" }
            }), &[]))),
            "layers": named(object(json!({
                "path": { "type": "string" },
                "architectures": { "type": "array", "items": words(&["arm64", "x86_64"]) },
                "runtimes": { "type": "array", "items": words(&usable_runtimes()) },
                "description": { "type": "string" }
            }), &["path"])),
            "functions": named(function()),
            "state_machines": named(object(json!({
                "type": words(&["standard", "express"]),
                "definition": { "type": ["string", "object"] },
                "triggers": { "type": "array", "items": trigger() },
                "tracing": { "type": "boolean" }
            }), &["definition"])),
            "http": object(json!({
                "cors": cors(),
                "jwt": object(json!({ "issuer": { "type": "string" }, "audience": strings() }), &["issuer", "audience"]),
                "domain": http_domain()
            }), &[]),
            "outputs": {
                "type": "object",
                "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9]*$" },
                "additionalProperties": { "type": "string" }
            },
            "tags": tags,
            "buses": buses(),
            "secrets": secrets()
        }),
        &["app"],
    );
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$id"] = json!("https://ferry.dev/schema/ferry.schema.json");
    root["title"] = json!("ferry.yaml");
    root["description"] =
        json!("The manifest of a ferry app: Rust functions on AWS Lambda and what they use.");
    root["anyOf"] = json!([{ "required": ["functions"] }, { "required": ["state_machines"] }]);
    root
}

/// The schema, pretty-printed.
pub fn json() -> String {
    serde_json::to_string_pretty(&schema()).expect("schema serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_declares_every_trigger_kind() {
        let s = schema();
        let kinds = &s["properties"]["functions"]["additionalProperties"]["properties"]["triggers"]
            ["items"]["oneOf"];
        assert_eq!(kinds.as_array().unwrap().len(), TriggerKind::KEYS.len());
    }
}
