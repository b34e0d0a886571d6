//! The top level of `ferry.yaml`: the app's name, region and permissions
//! boundary, each section handed to its decoder, and the app assembled for
//! one stage. Reading (`read`: what every stage shares) and lowering
//! (`stage::select`, `lower`: the chosen stage's values over the app's) are
//! separate steps.

use std::collections::BTreeMap;
use std::path::Path;

use super::declared::{Declared, unreadable_section};
use super::decode::{Cx, Fields};
use super::files::{ExtraSources, Files};
use super::function;
use super::http::decode_http;
use super::interp::{Interp, Section};
use super::known::Known;
use super::machines::decode_state_machines;
use super::merge::Merge;
use super::model::*;
use super::outputs::{decode_outputs, decode_tags};
use super::resources::{
    decode_buckets, decode_layers, decode_queues, decode_tables, decode_topics,
};
use super::settings::{self, Settings};
use super::stage::{self, ParamDecl, Selected, StageDecl, decode_parameters, decode_stages};
use super::vocab;
use super::yaml::{self, Node};
use crate::diagnostic::{did_you_mean, valid_name};

const TOP_KEYS_HINT: &str =
    "a manifest starts with `app:` and declares `functions:` or `state_machines:`";

/// Decodes the whole manifest for one stage. `None` only when the document
/// is not a mapping at all.
///
/// The sections that do not depend on the stage are read first (`read`);
/// the stage is then chosen and lowered (`stage::select`: the parameters'
/// values, its defaults over the app's); functions and state machines are
/// read over those defaults; last, the app is assembled with the stage's
/// tags over the app's (`lower`).
pub fn decode_app(
    cx: &mut Cx,
    doc: &yaml::Document,
    stage: &str,
    files: &dyn Files,
    extra: &mut ExtraSources,
) -> Option<(App, Declared)> {
    let root = &doc.root;
    if doc.duplicate_keys {
        cx.check_duplicate_keys(root);
    }
    let entries = top_level(cx, root)?;
    let declared = Declared::read(entries);
    let base_dir = cx.file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut f = cx.fields(root, &vocab::ROOT)?;

    let read = read(cx, &mut f, &base_dir, files, stage);
    let stages_unreadable = unreadable_section(entries, "stages");
    let selected = stage::select(
        cx,
        &read.parameters,
        &read.stages,
        read.defaults.clone(),
        stage,
        &declared,
        stages_unreadable,
    );

    let app_name = read.name.clone().unwrap_or_default();
    let known = Known {
        app: &app_name,
        stage,
        tables: &read.tables,
        queues: &read.queues,
        layers: &read.layers,
        has_jwt: declared.jwt,
        declared: &declared,
        defaults: &selected.defaults,
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
    let tags = f
        .opt(cx, "tags", |cx, n| {
            Some(decode_tags(cx, n, &app_name, stage))
        })
        .unwrap_or_default();
    check_not_empty(cx, &f);
    f.finish(cx);

    let app = lower(
        cx,
        read,
        selected,
        Staged {
            functions,
            state_machines,
            outputs,
            tags,
        },
        stage,
    );
    Some((app, declared))
}

/// The document's top-level entries; the document must be a mapping.
fn top_level<'n>(cx: &mut Cx, root: &'n Node) -> Option<&'n [(yaml::Key, Node)]> {
    match &root.value {
        yaml::Value::Map(m) => Some(m.as_slice()),
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
            None
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
            None
        }
    }
}

/// The top-level keys and sections that are the same for every stage, as
/// written.
struct Read {
    name: Option<String>,
    region: Option<String>,
    permissions_boundary: Option<String>,
    parameters: Vec<(String, ParamDecl)>,
    stages: Vec<StageDecl>,
    defaults: Option<Settings>,
    tables: BTreeMap<String, Table>,
    queues: BTreeMap<String, Queue>,
    topics: BTreeMap<String, Topic>,
    buckets: BTreeMap<String, Bucket>,
    layers: BTreeMap<String, Layer>,
    http: Http,
    buses: BTreeMap<String, Bus>,
    secrets: BTreeMap<String, Secret>,
}

/// Reads the keys and sections that do not depend on the stage.
fn read(cx: &mut Cx, f: &mut Fields, base_dir: &Path, files: &dyn Files, stage: &str) -> Read {
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
        if !super::stage::valid_region(&s) {
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

    let parameters = f
        .opt(cx, "parameters", decode_parameters)
        .unwrap_or_default();
    let stages = f.opt(cx, "stages", decode_stages).unwrap_or_default();
    let defaults = f.opt(cx, "defaults", settings::defaults);

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
            Some(decode_layers(cx, n, base_dir, files))
        })
        .unwrap_or_default();
    let app = name.as_deref().unwrap_or_default();
    let http = f
        .opt(cx, "http", |cx, n| decode_http(cx, n, app, stage))
        .unwrap_or_default();
    let buses = f
        .opt(cx, "buses", |cx, n| Some(super::buses::decode(cx, n)))
        .unwrap_or_default();
    let secrets = f
        .opt(cx, "secrets", |cx, n| {
            Some(super::secrets::decode(cx, n, app, stage))
        })
        .unwrap_or_default();
    Read {
        name,
        region,
        permissions_boundary,
        parameters,
        stages,
        defaults,
        tables,
        queues,
        topics,
        buckets,
        layers,
        http,
        buses,
        secrets,
    }
}

/// The sections read for the chosen stage, over its defaults.
struct Staged {
    functions: BTreeMap<String, Function>,
    state_machines: BTreeMap<String, StateMachine>,
    outputs: BTreeMap<String, Interp>,
    /// The app's own tags.
    tags: BTreeMap<String, String>,
}

/// The app for the chosen stage: what was read, with the stage's parameter
/// values, protection and tags over the app's.
fn lower(cx: &Cx, read: Read, selected: Selected, staged: Staged, stage: &str) -> App {
    App {
        manifest: cx.file.to_path_buf(),
        name: read.name.unwrap_or_default(),
        stage: stage.to_string(),
        region: selected.region.or(read.region),
        permissions_boundary: read.permissions_boundary,
        parameters: selected.parameters,
        tables: read.tables,
        queues: read.queues,
        topics: read.topics,
        buckets: read.buckets,
        layers: read.layers,
        functions: staged.functions,
        state_machines: staged.state_machines,
        http: read.http,
        outputs: staged.outputs,
        tags: selected.tags.over(staged.tags),
        protected: selected.protected,
        buses: read.buses,
        secrets: read.secrets,
        account: selected.account,
    }
}

/// No function and no state machine is an error; unless a section has the
/// wrong type or its key is misspelled, which are reported as such.
fn check_not_empty(cx: &mut Cx, f: &Fields) {
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
