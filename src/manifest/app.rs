//! The top level of `ferry.yaml`: the app's name, region and permissions
//! boundary, each section handed to its decoder, and the app assembled for
//! one stage.

use std::collections::BTreeMap;
use std::path::Path;

use super::declared::{Declared, TOP_LEVEL_KEYS, unreadable_section};
use super::decode::Cx;
use super::files::{ExtraSources, Files};
use super::function;
use super::http::decode_http;
use super::interp::Section;
use super::known::Known;
use super::machines::decode_state_machines;
use super::merge::Merge;
use super::model::*;
use super::outputs::{decode_outputs, decode_tags};
use super::resources::{
    decode_buckets, decode_layers, decode_queues, decode_tables, decode_topics,
};
use super::settings;
use super::stage::{decode_parameters, decode_stages, resolve_parameters};
use super::yaml::{self, Node};
use crate::diagnostic::{did_you_mean, valid_name};

const TOP_KEYS_HINT: &str =
    "a manifest starts with `app:` and declares `functions:` or `state_machines:`";

/// Decodes the whole manifest for one stage. `None` only when the document
/// is not a mapping at all.
pub fn decode_app(
    cx: &mut Cx,
    root: &Node,
    stage: &str,
    files: &dyn Files,
    extra: &mut ExtraSources,
) -> Option<(App, Declared)> {
    cx.check_duplicate_keys(root);
    let entries = match &root.value {
        yaml::Value::Map(m) => m.as_slice(),
        yaml::Value::Null => {
            cx.error_hint(
                yaml::Pos {
                    line: 1,
                    column: 1,
                    offset: 0,
                    len: 0,
                },
                "the manifest is empty",
                Some(TOP_KEYS_HINT.into()),
            );
            return None;
        }
        other => {
            cx.error_hint(
                root.pos,
                format!(
                    "the manifest must be a mapping of keys, found {}",
                    other.kind()
                ),
                Some(TOP_KEYS_HINT.into()),
            );
            return None;
        }
    };
    let declared = Declared::read(entries);
    let manifest = cx.file.clone();
    let base_dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut f = cx.map(root)?;

    let name = f.req(cx, "app", |cx, n| {
        let s = cx.string(n)?;
        if !valid_name(&s) {
            cx.error(
                n.pos,
                format!("invalid app name `{s}`: use lowercase letters, digits and `-`, starting with a letter, at most 40 characters"),
            );
            return None;
        }
        Some(s)
    });
    let region = f.opt(cx, "region", |cx, n| {
        let s = cx.string(n)?;
        if !valid_region(&s) {
            cx.error(
                n.pos,
                format!("invalid region `{s}`: expected a region such as `us-east-1`"),
            );
            return None;
        }
        Some(s)
    });
    let permissions_boundary = f.opt(cx, "permissions_boundary", |cx, n| {
        let s = cx.string(n)?;
        if !valid_policy_arn(&s) {
            cx.error_hint(
                n.pos,
                format!("invalid permissions boundary `{s}`: expected the ARN of a managed policy"),
                Some("e.g. `arn:aws:iam::123456789012:policy/boundary`".into()),
            );
            return None;
        }
        Some(s)
    });

    let params = f
        .opt(cx, "parameters", decode_parameters)
        .unwrap_or_default();
    let stages = f.opt(cx, "stages", decode_stages).unwrap_or_default();
    let defaults = f.opt(cx, "defaults", settings::defaults);

    let chosen = stages.iter().find(|s| s.name == stage);
    let chosen_protected = chosen.is_some_and(|s| s.protected);
    let stages_unreadable = unreadable_section(entries, "stages");
    let parameters = resolve_parameters(cx, &params, &stages, stage, &declared, stages_unreadable);

    let tables = f
        .opt(cx, "tables", |cx, n| Some(decode_tables(cx, n)))
        .unwrap_or_default();
    let queues = f
        .opt(cx, "queues", |cx, n| Some(decode_queues(cx, n)))
        .unwrap_or_default();
    let topics = f
        .opt(cx, "topics", |cx, n| Some(decode_topics(cx, n)))
        .unwrap_or_default();
    let buckets = f
        .opt(cx, "buckets", |cx, n| Some(decode_buckets(cx, n)))
        .unwrap_or_default();
    let layers = f
        .opt(cx, "layers", |cx, n| {
            Some(decode_layers(cx, n, &base_dir, files))
        })
        .unwrap_or_default();
    let http = f.opt(cx, "http", decode_http).unwrap_or_default();

    // The stage's defaults over the app's.
    let base = chosen
        .and_then(|s| s.defaults.clone())
        .unwrap_or_default()
        .over(defaults.unwrap_or_default());
    let app_name = name.clone().unwrap_or_default();
    let known = Known {
        app: &app_name,
        stage,
        tables: &tables,
        queues: &queues,
        layers: &layers,
        has_jwt: declared.jwt,
        declared: &declared,
        defaults: &base,
    };
    let functions_node = f.get("functions");
    let functions = match functions_node {
        Some(n) => cx.at("functions", |cx| function::decode_functions(cx, n, &known)),
        None => BTreeMap::new(),
    };
    let state_machines = f
        .opt(cx, "state_machines", |cx, n| {
            Some(decode_state_machines(
                cx, n, &base_dir, files, extra, &known,
            ))
        })
        .unwrap_or_default();
    let mut reserved: Vec<String> = vec![crate::names::HTTP_API_URL_OUTPUT.to_string()];
    for fname in declared.list(Section::Functions) {
        let ids = crate::names::FunctionIds::new(fname);
        reserved.push(ids.alias_output());
        reserved.push(ids.url_output());
    }
    let outputs = f
        .opt(cx, "outputs", |cx, n| decode_outputs(cx, n, &reserved))
        .unwrap_or_default();
    let app_tags = f
        .opt(cx, "tags", |cx, n| {
            Some(decode_tags(cx, n, &app_name, stage))
        })
        .unwrap_or_default();
    // The stage's tags over the app's.
    let tags = chosen
        .map(|s| s.tags.clone())
        .unwrap_or_default()
        .over(app_tags);

    // No function and no state machine: unless a section has the wrong
    // type or its key is misspelled, which are reported as such.
    let sections = ["functions", "state_machines"];
    let empty = sections.iter().all(|s| {
        f.entries
            .iter()
            .filter(|(k, _)| k.name == *s)
            .all(|(_, v)| v.as_map().is_some_and(<[_]>::is_empty) || v.is_null())
    });
    let misspelled = f
        .unused()
        .any(|k| did_you_mean(&k.name, sections).is_some());
    debug_assert!(
        f.unused()
            .all(|k| !TOP_LEVEL_KEYS.contains(&k.name.as_str())),
        "TOP_LEVEL_KEYS lists a key that decode_app does not read"
    );
    if empty && !misspelled {
        let report = |cx: &mut Cx, at| {
            cx.error_hint(
                at,
                "the app declares no functions and no state machines",
                Some("add a function under `functions:`".into()),
            )
        };
        match f.key("functions").or_else(|| f.key("state_machines")) {
            Some(k) => cx.at(&k.name, |cx| report(cx, k.pos)),
            None => report(cx, f.pos),
        }
    }
    f.finish(cx);

    let app = App {
        manifest,
        name: name.unwrap_or_default(),
        stage: stage.to_string(),
        region,
        permissions_boundary,
        parameters,
        tables,
        queues,
        topics,
        buckets,
        layers,
        functions,
        state_machines,
        http,
        outputs,
        tags,
        protected: chosen_protected,
    };
    Some((app, declared))
}

/// `arn:<partition>:iam::<12 digits>:policy/<path and name>`.
fn valid_policy_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
    if partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("policy/").is_some_and(|n| {
            !n.is_empty() && !n.ends_with('/') && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@-_/".contains(&b))
        }))
}

fn valid_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}
