//! The settings that `defaults`, a stage's `defaults` and a function may
//! each set (runtime, architecture, memory, timeout, environment, layers,
//! ...), read from any of those mappings.

use std::collections::BTreeMap;

use super::declared::named_ref;
use super::decode::{Cx, Fields};
use super::interp::{Interp, Section};
use super::merge::merged_field_by_field;
use super::model::*;
use super::vocab::{self, LOG_RETENTION_DAYS};
use super::yaml::Node;

merged_field_by_field! {
    /// The settings that `defaults`, a stage's `defaults` and a function may
    /// each set; the most specific wins (`Merge::over`), and environments
    /// merge.
    #[derive(Clone, Debug, Default)]
    pub struct Settings {
        pub runtime: Option<Runtime>,
        pub architecture: Option<Architecture>,
        pub memory: Option<u32>,
        pub timeout: Option<Duration>,
        pub ephemeral_storage: Option<u32>,
        pub tracing: Option<bool>,
        pub log_retention: Option<u32>,
        pub environment: BTreeMap<String, Interp>,
        pub layers: Option<Vec<LayerRef>>,
        pub alias: Option<String>,
        pub vpc: Option<Vpc>,
    }
}

/// Environment variables that Lambda sets itself and refuses.
const RESERVED_ENV: [&str; 20] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_XRAY_CONTEXT_MISSING",
    "AWS_XRAY_DAEMON_ADDRESS",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];

/// A runtime of `RUNTIMES`; one that Lambda no longer accepts is refused
/// with its dates and the runtimes to use instead.
pub fn runtime(cx: &mut Cx, n: &Node) -> Option<Runtime> {
    let ids: Vec<&str> = RUNTIMES.iter().map(|l| l.id).collect();
    let id = cx.one_of(n, &ids)?;
    let l = RUNTIMES.iter().find(|l| l.id == id)?;
    let today = today_utc();
    if l.blocked_on(&today) {
        let mut dates = Vec::new();
        if let Some(d) = l.deprecated {
            dates.push(format!("deprecated {d}"));
        }
        if let Some(d) = l.block_create {
            dates.push(format!("function creation blocked since {d}"));
        }
        if let Some(d) = l.block_update.filter(|d| *d <= today.as_str()) {
            dates.push(format!("updates blocked since {d}"));
        } else if let Some(d) = l.block_update {
            dates.push(format!("updates blocked from {d}"));
        }
        let usable: Vec<String> = Lifecycle::usable_on(&today)
            .map(|u| format!("`{}`", u.id))
            .collect();
        cx.error_hint(
            n.pos,
            format!(
                "Lambda no longer accepts the runtime `{id}` ({})",
                dates.join(", ")
            ),
            Some(format!("use {}", usable.join(" or "))),
        );
        return None;
    }
    Some(l.runtime)
}

pub fn architecture(cx: &mut Cx, n: &Node) -> Option<Architecture> {
    Some(match cx.one_of(n, vocab::ARCHITECTURES)? {
        "arm64" => Architecture::Arm64,
        _ => Architecture::X86_64,
    })
}

/// Reads the settings keys from a mapping (the caller reads the others and
/// calls `finish`).
pub fn settings(cx: &mut Cx, f: &mut Fields) -> Settings {
    Settings {
        runtime: f.opt(cx, "runtime", runtime),
        architecture: f.opt(cx, "architecture", architecture),
        memory: f.int(cx, "memory").map(|v| v as u32),
        timeout: f.duration(cx, "timeout"),
        ephemeral_storage: f.int(cx, "ephemeral_storage").map(|v| v as u32),
        tracing: f.flag(cx, "tracing"),
        log_retention: f.opt(cx, "log_retention", |cx, n| {
            let v = cx.int(n)?;
            if LOG_RETENTION_DAYS.iter().any(|d| i64::from(*d) == v) {
                return Some(v as u32);
            }
            let list: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
            cx.error_hint(
                n.pos,
                format!("{v} days is not a retention CloudWatch Logs allows"),
                Some(format!("use one of: {}", list.join(", "))),
            );
            None
        }),
        environment: f.opt(cx, "environment", environment).unwrap_or_default(),
        layers: f.opt(cx, "layers", |cx, n| {
            let max = vocab::SETTINGS
                .key("layers")
                .map_or(5, |k| k.ty.max_items());
            let items = cx.list(n, |cx, i| {
                let s = cx.nonempty(i)?;
                if s.starts_with("arn:") || s.contains("${") {
                    return Some(LayerRef::Arn(cx.interp(i)?));
                }
                Some(LayerRef::Named(named_ref(cx, i, Section::Layers)?))
            })?;
            if items.len() > max {
                cx.error(
                    n.pos,
                    format!(
                        "a function can use at most {max} layers, found {}",
                        items.len()
                    ),
                );
                return None;
            }
            Some(items)
        }),
        alias: f.opt(cx, "alias", |cx, n| {
            let s = cx.nonempty(n)?;
            let ok = s.len() <= 128
                && s.as_bytes()[0].is_ascii_alphabetic()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                cx.error(
                    n.pos,
                    format!(
                        "invalid alias `{s}`: letters, digits, `-` and `_`, starting with a letter"
                    ),
                );
                return None;
            }
            Some(s)
        }),
        vpc: f.opt(cx, "vpc", |cx, n| {
            let mut f = cx.fields(n, &vocab::VPC)?;
            let ids = |cx: &mut Cx, n: &Node| {
                let v = cx.list(n, |cx, i| cx.interp(i))?;
                if v.is_empty() {
                    cx.error(n.pos, "must list at least one id");
                    return None;
                }
                Some(v)
            };
            let subnets = f.req(cx, "subnets", ids);
            let security_groups = f.req(cx, "security_groups", ids);
            f.finish(cx);
            Some(Vpc {
                subnets: subnets?,
                security_groups: security_groups?,
            })
        }),
    }
}

/// A `defaults` mapping (the app's or a stage's): settings keys only.
pub fn defaults(cx: &mut Cx, n: &Node) -> Option<Settings> {
    let mut f = cx.fields(n, &vocab::SETTINGS)?;
    let s = settings(cx, &mut f);
    f.finish(cx);
    Some(s)
}

fn environment(cx: &mut Cx, n: &Node) -> Option<BTreeMap<String, Interp>> {
    let entries = cx.string_map(n, |cx, k| {
        let b = k.name.as_bytes();
        let valid = b.len() >= 2
            && b[0].is_ascii_alphabetic()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if !valid {
            cx.error(k.pos, format!("invalid environment variable name `{}`: at least 2 letters, digits and `_`, starting with a letter", k.name));
            return false;
        }
        if RESERVED_ENV.contains(&k.name.as_str()) {
            cx.error(k.pos, format!("`{}` is set by Lambda itself and cannot be overridden", k.name));
            return false;
        }
        true
    });
    let size: usize = entries
        .iter()
        .map(|(k, v, _)| k.len() + v.as_literal().map(|s| s.len()).unwrap_or(0))
        .sum();
    if size > 4096 {
        cx.error(
            n.pos,
            format!("the environment takes {size} bytes; Lambda allows 4 KB in total"),
        );
    }
    Some(entries.into_iter().map(|(k, v, _)| (k, v)).collect())
}
