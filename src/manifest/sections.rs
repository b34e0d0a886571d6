//! Decoders for the top level and the resource sections of `ferry.yaml`:
//! parameters, stages, defaults, tables, queues, topics, buckets, layers,
//! state machines, http, outputs and tags. Functions are in `function.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::decode::{Cx, did_you_mean, valid_name};
use super::function::{self, Known, Settings};
use super::interp::{Interp, Ref, Section};
use super::model::*;
use super::yaml::{self, Key, Node};

/// The file access validation needs: reading state machine definitions and
/// checking layer folders. The CLI passes the real file system; tests may
/// pass anything.
pub trait Files {
    fn read(&self, path: &Path) -> std::io::Result<String>;
    fn is_dir(&self, path: &Path) -> bool;
}

/// The real file system.
pub struct Disk;

impl Files for Disk {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}

/// Files read while decoding (state machine definitions), kept for
/// diagnostics.
pub type ExtraSources = Vec<(PathBuf, String)>;

/// The names each section declares, read from the keys as written, so that a
/// reference to an entry that has an error of its own is not reported again
/// as unknown.
#[derive(Default, Debug)]
pub struct Declared {
    pub names: BTreeMap<Section, Vec<String>>,
    index: std::collections::HashSet<(Section, String)>,
    /// Tables with a `stream` key, even one with an invalid value.
    stream_tables: std::collections::HashSet<String>,
    /// Whether `http.jwt` is written, even with errors.
    pub jwt: bool,
    /// Sections written with a value that is not a mapping, or with a
    /// misspelled key: their names are unknown, so references to them are
    /// not checked.
    broken: std::collections::HashSet<Section>,
}

impl Declared {
    fn read(root: &[(Key, Node)]) -> Declared {
        let mut names = BTreeMap::new();
        let mut broken = std::collections::HashSet::new();
        for section in [
            Section::Tables,
            Section::Queues,
            Section::Topics,
            Section::Buckets,
            Section::Functions,
            Section::StateMachines,
            Section::Layers,
            Section::Parameters,
            Section::Buses,
            Section::Secrets,
        ] {
            if unreadable_section(root, section.key()) {
                broken.insert(section);
            }
            let keys: Vec<String> = root
                .iter()
                .find(|(k, _)| k.name == section.key())
                .and_then(|(_, v)| v.as_map())
                .map(|m| m.iter().map(|(k, _)| k.name.clone()).collect())
                .unwrap_or_default();
            names.insert(section, keys);
        }
        let index = names
            .iter()
            .flat_map(|(s, ns)| ns.iter().map(move |n| (*s, n.clone())))
            .collect();
        let section = |key: &str| {
            root.iter()
                .find(|(k, _)| k.name == key)
                .and_then(|(_, v)| v.as_map())
                .unwrap_or_default()
        };
        let has_key = |n: &Node, key: &str| {
            n.as_map()
                .is_some_and(|m| m.iter().any(|(k, _)| k.name == key))
        };
        let stream_tables = section("tables")
            .iter()
            .filter(|(_, t)| has_key(t, "stream"))
            .map(|(k, _)| k.name.clone())
            .collect();
        let jwt = section("http").iter().any(|(k, _)| k.name == "jwt");
        Declared {
            names,
            index,
            stream_tables,
            jwt,
            broken,
        }
    }

    /// Whether `section` is written with a value that is not a mapping, or
    /// under a misspelled key.
    pub fn is_broken(&self, section: Section) -> bool {
        self.broken.contains(&section)
    }

    /// Whether table `name` has a `stream` key (valid or not).
    pub fn has_stream(&self, name: &str) -> bool {
        self.stream_tables.contains(name)
    }

    pub fn has(&self, section: Section, name: &str) -> bool {
        self.index.contains(&(section, name.to_string()))
    }

    pub fn list(&self, section: Section) -> &[String] {
        self.names.get(&section).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The keys of the manifest's top level.
const TOP_LEVEL_KEYS: [&str; 18] = [
    "app",
    "region",
    "permissions_boundary",
    "defaults",
    "parameters",
    "stages",
    "tables",
    "queues",
    "topics",
    "buckets",
    "layers",
    "functions",
    "state_machines",
    "http",
    "outputs",
    "tags",
    "buses",
    "secrets",
];

/// Whether top-level section `key` is written with a value that is not a
/// mapping, or under a misspelled key: either has an error of its own, and
/// what the section holds is not known.
fn unreadable_section(root: &[(Key, Node)], key: &str) -> bool {
    match root.iter().find(|(k, _)| k.name == key) {
        Some((_, n)) => n.as_map().is_none() && !n.is_null(),
        None => root.iter().any(|(k, _)| {
            !TOP_LEVEL_KEYS.contains(&k.name.as_str()) && did_you_mean(&k.name, [key]).is_some()
        }),
    }
}

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
    let defaults = f.opt(cx, "defaults", |cx, n| {
        let mut df = cx.map(n)?;
        let s = function::settings(cx, &mut df);
        df.finish(cx);
        Some(s)
    });

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
    let http = f
        .opt(cx, "http", |cx, n| {
            decode_http(cx, n, name.as_deref().unwrap_or_default(), stage)
        })
        .unwrap_or_default();
    let buses = f
        .opt(cx, "buses", |cx, n| Some(super::buses::decode(cx, n)))
        .unwrap_or_default();
    let secrets = f
        .opt(cx, "secrets", |cx, n| {
            let app = name.as_deref().unwrap_or_default();
            Some(super::secrets::decode(cx, n, app, stage))
        })
        .unwrap_or_default();

    let base = match (chosen.and_then(|s| s.defaults.clone()), defaults) {
        (Some(stage_defaults), Some(app_defaults)) => stage_defaults.over(app_defaults),
        (Some(s), None) => s,
        (None, Some(d)) => d,
        (None, None) => Settings::default(),
    };
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
    let mut tags = f
        .opt(cx, "tags", |cx, n| {
            Some(decode_tags(cx, n, &app_name, stage))
        })
        .unwrap_or_default();
    if let Some(s) = chosen {
        tags.extend(s.tags.clone());
    }

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
        region: chosen.and_then(|s| s.region.clone()).or(region),
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
        buses,
        secrets,
        account: chosen.and_then(|s| s.account.clone()),
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

pub(super) fn valid_region(s: &str) -> bool {
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

/// `^[A-Za-z][A-Za-z0-9]*$`: CloudFormation logical IDs, so parameter and
/// output names.
fn valid_logical_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 255
        && b[0].is_ascii_alphabetic()
        && b.iter().all(u8::is_ascii_alphanumeric)
}

// ---- parameters and stages ----

struct ParamDecl {
    ty: String,
    default: Option<String>,
    allowed: Vec<String>,
    description: Option<String>,
    no_echo: bool,
    loc: Loc,
    /// `default` is written but could not be read, or is misspelled (and so
    /// reported): the parameter is then not also reported as lacking a value.
    default_misspelled: bool,
}

fn decode_parameters(cx: &mut Cx, node: &Node) -> Option<Vec<(String, ParamDecl)>> {
    let fields = cx.map(node)?;
    let mut out = Vec::new();
    for (k, v) in fields.entries {
        cx.at(&k.name, |cx| {
            if !valid_logical_name(&k.name) {
                cx.error(k.pos, format!("invalid parameter name `{}`: use letters and digits, starting with a letter", k.name));
                return;
            }
            let loc = cx.loc(k.pos);
            let Some(mut f) = cx.map(v) else { return };
            let ty = f
                .opt(cx, "type", |cx, n| {
                    let s = cx.string(n)?;
                    let simple = ["String", "Number", "CommaDelimitedList", "List<Number>"];
                    if simple.contains(&s.as_str()) || s.starts_with("AWS::") || s.starts_with("List<AWS::") {
                        return Some(s);
                    }
                    cx.error_hint(
                        n.pos,
                        format!("unknown parameter type `{s}`"),
                        did_you_mean(&s, simple).or(Some(format!("expected one of: {}, or an AWS-specific type", simple.join(", ")))),
                    );
                    None
                })
                .unwrap_or_else(|| "String".to_string());
            let default = f.opt(cx, "default", |cx, n| cx.string(n));
            let allowed = f.opt(cx, "allowed", |cx, n| cx.list(n, |cx, i| cx.string(i))).unwrap_or_default();
            let description = f.opt(cx, "description", |cx, n| cx.string(n));
            let no_echo = f.opt(cx, "no_echo", |cx, n| cx.bool(n)).unwrap_or(false);
            if let (Some(d), false) = (&default, allowed.is_empty()) {
                if !allowed.contains(d) {
                    let node = f.get("default").expect("default was read");
                    cx.at("default", |cx| {
                        cx.error_hint(
                            node.pos,
                            format!("default `{d}` is not one of the allowed values"),
                            Some(format!("allowed: {}", allowed.join(", "))),
                        )
                    });
                }
            }
            let default_misspelled = default.is_none() && f.written("default");
            f.finish(cx);
            out.push((k.name.clone(), ParamDecl { ty, default, allowed, description, no_echo, loc, default_misspelled }));
        });
    }
    Some(out)
}

struct StageDecl {
    name: String,
    /// Name, value, the value's place and the name's place.
    parameters: Vec<(String, String, Loc, Loc)>,
    defaults: Option<Settings>,
    tags: BTreeMap<String, String>,
    /// `protected: true`: no hotswap or watch on this stage.
    protected: bool,
    /// `account` and `region` (see `stage.rs`).
    account: Option<String>,
    region: Option<String>,
    /// Parameters whose stage value has an error, or all of them when the
    /// stage's `parameters` could not be read: they are not also reported
    /// as lacking a value.
    unreadable: Vec<String>,
    all_unreadable: bool,
}

fn decode_stages(cx: &mut Cx, node: &Node) -> Option<Vec<StageDecl>> {
    let fields = cx.map(node)?;
    let mut out = Vec::new();
    for (k, v) in fields.entries {
        cx.at(&k.name, |cx| {
            if !valid_stage(&k.name) {
                cx.error(k.pos, format!("invalid stage name `{}`: use lowercase letters, digits and `-`, starting with a letter", k.name));
                return;
            }
            let unreadable_stage = StageDecl {
                name: k.name.clone(),
                parameters: Vec::new(),
                defaults: None,
                tags: BTreeMap::new(),
                protected: false,
                account: None,
                region: None,
                unreadable: Vec::new(),
                all_unreadable: true,
            };
            let Some(mut f) = cx.map(v) else {
                out.push(unreadable_stage);
                return;
            };
            let mut unreadable = Vec::new();
            let parameters = f.opt(cx, "parameters", |cx, n| {
                let pf = cx.map(n)?;
                let mut ps = Vec::new();
                for (pk, pv) in pf.entries {
                    cx.at(&pk.name, |cx| match cx.string(pv) {
                        Some(s) => ps.push((pk.name.clone(), s, cx.loc(pv.pos), cx.loc(pk.pos))),
                        None => unreadable.push(pk.name.clone()),
                    });
                }
                Some(ps)
            });
            let all_unreadable = parameters.is_none() && f.written("parameters");
            let parameters = parameters.unwrap_or_default();
            let defaults = f.opt(cx, "defaults", |cx, n| {
                let mut df = cx.map(n)?;
                let s = function::settings(cx, &mut df);
                df.finish(cx);
                Some(s)
            });
            let tags = f.opt(cx, "tags", |cx, n| Some(decode_tags(cx, n, "", &k.name))).unwrap_or_default();
            let protected = f.opt(cx, "protected", |cx, n| cx.bool(n)).unwrap_or(false);
            let account = f.opt(cx, "account", super::stage::account);
            let region = f.opt(cx, "region", super::stage::region);
            f.finish(cx);
            out.push(StageDecl { name: k.name.clone(), parameters, defaults, tags, protected, account, region, unreadable, all_unreadable });
        });
    }
    Some(out)
}

/// Stage names: `^[a-z][a-z0-9-]{0,39}$`.
pub fn valid_stage(s: &str) -> bool {
    valid_name(s)
}

/// The parameters' values for `stage`. Every stage's values are checked
/// (declared, allowed), whichever stage is chosen: a mistake in `prod` is
/// reported when validating `dev` too.
fn resolve_parameters(
    cx: &mut Cx,
    params: &[(String, ParamDecl)],
    stages: &[StageDecl],
    stage_name: &str,
    declared: &Declared,
    stages_unreadable: bool,
) -> BTreeMap<String, Parameter> {
    let mut out = BTreeMap::new();
    for s in stages {
        for (name, v, value_loc, name_loc) in &s.parameters {
            match params.iter().find(|(p, _)| p == name) {
                Some((_, decl)) if !decl.allowed.is_empty() && !decl.allowed.contains(v) => {
                    cx.report(
                        value_loc,
                        format!(
                            "value `{v}` is not one of the allowed values of parameter `{name}`"
                        ),
                        Some(format!("allowed: {}", decl.allowed.join(", "))),
                    );
                }
                Some(_) => {}
                // A parameter declared with errors of its own is not unknown.
                None if declared.has(Section::Parameters, name)
                    || declared.is_broken(Section::Parameters) => {}
                None => {
                    let hint = did_you_mean(name, params.iter().map(|(p, _)| p.as_str()))
                        .or(Some("declare it under `parameters:` first".into()));
                    cx.report(name_loc, format!("unknown parameter `{name}`"), hint);
                }
            }
        }
    }
    let stage = stages.iter().find(|s| s.name == stage_name);
    for (name, decl) in params {
        let staged = stage.and_then(|s| s.parameters.iter().find(|(p, ..)| p == name));
        let value = match (staged, &decl.default) {
            (Some((_, v, ..)), _) => v.clone(),
            (None, Some(d)) => d.clone(),
            // Not reported when its value is there but has an error, or is
            // set under a misspelled name (reported as unknown).
            (None, None)
                if decl.default_misspelled
                    || stages_unreadable
                    || stage.is_some_and(|s| {
                        s.all_unreadable
                            || s.unreadable.contains(name)
                            || s.parameters.iter().any(|(p, ..)| {
                                !params.iter().any(|(q, _)| q == p)
                                    && did_you_mean(p, [name.as_str()]).is_some()
                            })
                    }) =>
            {
                continue;
            }
            (None, None) => {
                cx.report(
                    &decl.loc,
                    format!(
                        "parameter `{name}` has no default and no value for stage `{stage_name}`"
                    ),
                    Some(format!(
                        "add a `default`, or set `stages.{stage_name}.parameters.{name}`"
                    )),
                );
                continue;
            }
        };
        out.insert(
            name.clone(),
            Parameter {
                ty: decl.ty.clone(),
                value,
                allowed: decl.allowed.clone(),
                description: decl.description.clone(),
                no_echo: decl.no_echo,
            },
        );
    }
    out
}

// ---- tables ----

fn attr_type(cx: &mut Cx, n: &Node) -> Option<AttrType> {
    Some(match cx.one_of(n, &["string", "number", "binary"])? {
        "string" => AttrType::String,
        "number" => AttrType::Number,
        _ => AttrType::Binary,
    })
}

/// A key attribute: `RideId` (a string attribute) or `{ name, type }`. The
/// type is `None` when not written.
fn key_attr(cx: &mut Cx, n: &Node) -> Option<(String, Option<AttrType>, yaml::Pos)> {
    if n.as_map().is_some() {
        let mut f = cx.map(n)?;
        let name = f.req(cx, "name", |cx, n| cx.nonempty(n));
        let ty = f.opt(cx, "type", attr_type);
        f.finish(cx);
        return Some((name?, ty, n.pos));
    }
    Some((cx.nonempty(n)?, None, n.pos))
}

fn billing(cx: &mut Cx, n: &Node) -> Option<Billing> {
    if n.as_map().is_some() {
        let mut f = cx.map(n)?;
        let read = f.req(cx, "read", |cx, n| cx.int_in(n, 1, 40_000));
        let write = f.req(cx, "write", |cx, n| cx.int_in(n, 1, 40_000));
        f.finish(cx);
        return Some(Billing::Provisioned {
            read: read? as u32,
            write: write? as u32,
        });
    }
    match cx.string(n)?.as_str() {
        "on_demand" => Some(Billing::OnDemand),
        other => {
            cx.error_hint(
                n.pos,
                format!("unknown billing `{other}`"),
                Some("use `on_demand` or `{ read: N, write: N }`".into()),
            );
            None
        }
    }
}

fn decode_tables(cx: &mut Cx, node: &Node) -> BTreeMap<String, Table> {
    cx.named(node, "table", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.map(n)?;
        // Attribute types: declared ones first, then shorthand index keys
        // take the declared type.
        let mut types: BTreeMap<String, (AttrType, Loc)> = BTreeMap::new();
        let mut declare = |cx: &mut Cx, name: &str, ty: AttrType, pos: yaml::Pos| {
            match types.get(name) {
                Some((t, first)) if *t != ty => {
                    let line = first.pos.line;
                    cx.error(
                        pos,
                        format!(
                            "attribute `{name}` is declared as {} here and as {} at line {line}",
                            type_word(ty),
                            type_word(*t)
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    types.insert(name.to_string(), (ty, cx.loc(pos)));
                }
            }
        };
        let pk = f.req(cx, "partition_key", |cx, n| {
            let (name, ty, pos) = key_attr(cx, n)?;
            let ty = ty.unwrap_or(AttrType::String);
            declare(cx, &name, ty, pos);
            Some(KeyAttr { name, ty })
        });
        let sk = f.opt(cx, "sort_key", |cx, n| {
            let (name, ty, pos) = key_attr(cx, n)?;
            let ty = ty.unwrap_or(AttrType::String);
            if pk.as_ref().is_some_and(|p| p.name == name) {
                cx.error(pos, format!("the sort key `{name}` is also the partition key"));
                return None;
            }
            declare(cx, &name, ty, pos);
            Some(KeyAttr { name, ty })
        });
        let table_billing = f.opt(cx, "billing", billing).unwrap_or(Billing::OnDemand);
        let stream = f.opt(cx, "stream", |cx, n| {
            Some(match cx.one_of(n, &["new_image", "old_image", "new_and_old_images", "keys_only"])? {
                "new_image" => StreamView::NewImage,
                "old_image" => StreamView::OldImage,
                "new_and_old_images" => StreamView::NewAndOldImages,
                _ => StreamView::KeysOnly,
            })
        });
        let ttl = f.opt(cx, "ttl", |cx, n| cx.nonempty(n));
        // Indexes: read the raw key declarations, then settle types.
        struct RawIndex {
            name: String,
            pk: (String, Option<AttrType>, yaml::Pos),
            sk: Option<(String, Option<AttrType>, yaml::Pos)>,
            projection: Projection,
            billing: Option<Billing>,
            path: String,
        }
        let raw_indexes: Vec<RawIndex> = f
            .opt(cx, "indexes", |cx, n| {
                let fields = cx.map(n)?;
                let mut out = Vec::new();
                for (ik, iv) in fields.entries {
                    cx.at(&ik.name, |cx| {
                        if !valid_index_name(&ik.name) {
                            cx.error(ik.pos, format!("invalid index name `{}`: 3 to 255 letters, digits, `_`, `-` or `.`", ik.name));
                            return;
                        }
                        let Some(mut f) = cx.map(iv) else { return };
                        let ipk = f.req(cx, "partition_key", key_attr);
                        let isk = f.opt(cx, "sort_key", key_attr);
                        let projection = f
                            .opt(cx, "projection", |cx, n| {
                                if n.as_map().is_some() || matches!(n.value, yaml::Value::Seq(_)) {
                                    return Some(Projection::Include(cx.list(n, |cx, i| cx.nonempty(i))?));
                                }
                                Some(match cx.one_of(n, &["all", "keys_only"])? {
                                    "all" => Projection::All,
                                    _ => Projection::KeysOnly,
                                })
                            })
                            .unwrap_or(Projection::All);
                        let ibilling = f.opt(cx, "billing", billing);
                        f.finish(cx);
                        if let Some(pk) = ipk {
                            out.push(RawIndex {
                                name: ik.name.clone(),
                                pk,
                                sk: isk,
                                projection,
                                billing: ibilling,
                                path: cx.path(),
                            });
                        }
                    });
                }
                Some(out)
            })
            .unwrap_or_default();
        for ix in &raw_indexes {
            let keys = std::iter::once(("partition_key", &ix.pk))
                .chain(ix.sk.iter().map(|k| ("sort_key", k)));
            for (which, (name, ty, pos)) in keys {
                if let Some(t) = ty {
                    cx.at("indexes", |cx| {
                        cx.at(&ix.name, |cx| cx.at(which, |cx| declare(cx, name, *t, *pos)))
                    });
                }
            }
        }
        let mut indexes = BTreeMap::new();
        for ix in raw_indexes {
            let settle = |(name, ty, _): (String, Option<AttrType>, yaml::Pos)| {
                let ty = ty.or_else(|| types.get(&name).map(|(t, _)| *t)).unwrap_or(AttrType::String);
                KeyAttr { name, ty }
            };
            let _ = ix.path;
            indexes.insert(
                ix.name,
                Index {
                    partition_key: settle(ix.pk),
                    sort_key: ix.sk.map(settle),
                    projection: ix.projection,
                    billing: ix.billing,
                },
            );
        }
        let point_in_time_recovery = f.opt(cx, "point_in_time_recovery", |cx, n| cx.bool(n)).unwrap_or(true);
        let retain = f.opt(cx, "retain", |cx, n| cx.bool(n)).unwrap_or(true);
        let deletion_protection = f
            .opt(cx, "deletion_protection", |cx, n| cx.bool(n))
            .unwrap_or(true);
        f.finish(cx);
        Some(Table {
            partition_key: pk?,
            sort_key: sk,
            billing: table_billing,
            stream,
            ttl,
            indexes,
            point_in_time_recovery,
            retain,
            deletion_protection,
            loc,
        })
    })
    .into_iter()
    .collect()
}

fn type_word(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "string",
        AttrType::Number => "number",
        AttrType::Binary => "binary",
    }
}

fn valid_index_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

// ---- queues, topics, buckets ----

fn decode_queues(cx: &mut Cx, node: &Node) -> BTreeMap<String, Queue> {
    // Where each queue names its dead-letter queue, for the checks below.
    let mut dead_letter_locs: BTreeMap<String, Loc> = BTreeMap::new();
    let queues: Vec<(String, Queue)> = cx.named(node, "queue", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.map(n)?;
        let fifo = f.opt(cx, "fifo", |cx, n| cx.bool(n)).unwrap_or(false);
        let content_based_deduplication = f
            .opt(cx, "content_based_deduplication", |cx, n| cx.bool(n))
            .unwrap_or(false);
        if content_based_deduplication && !fifo {
            let k = f.key("content_based_deduplication").expect("read above");
            cx.at("content_based_deduplication", |cx| {
                cx.error(k.pos, "content-based deduplication needs `fifo: true`")
            });
        }
        let visibility_loc = f
            .get("visibility_timeout")
            .map(|n| cx.at("visibility_timeout", |cx| cx.loc(n.pos)));
        let visibility_timeout = f
            .opt(cx, "visibility_timeout", |cx, n| {
                cx.duration_in(n, 0, 43_200)
            })
            .unwrap_or(Duration(30));
        let retention = f
            .opt(cx, "retention", |cx, n| cx.duration_in(n, 60, 1_209_600))
            .unwrap_or(Duration(345_600));
        let delay = f
            .opt(cx, "delay", |cx, n| cx.duration_in(n, 0, 900))
            .unwrap_or(Duration(0));
        let dead_letter = f.opt(cx, "dead_letter", |cx, n| {
            let mut f = cx.map(n)?;
            let queue = f.req(cx, "queue", |cx, n| {
                dead_letter_locs.insert(key.name.clone(), cx.loc(n.pos));
                named_ref(cx, n, Section::Queues)
            });
            let max_receives = f
                .opt(cx, "max_receives", |cx, n| cx.int_in(n, 1, 1000))
                .unwrap_or(5);
            f.finish(cx);
            Some(DeadLetter {
                queue: queue?,
                max_receives: max_receives as u32,
            })
        });
        f.finish(cx);
        Some(Queue {
            fifo,
            content_based_deduplication,
            visibility_timeout,
            retention,
            delay,
            dead_letter,
            loc,
            visibility_loc,
        })
    });
    let map: BTreeMap<String, Queue> = queues.into_iter().collect();
    // A dead-letter queue must be of the same kind (FIFO or standard) and
    // not the queue itself.
    for (name, q) in &map {
        let Some(dl) = &q.dead_letter else { continue };
        let Some(loc) = dead_letter_locs.get(name) else {
            continue;
        };
        if dl.queue == *name {
            cx.report(
                loc,
                format!("queue `{name}` cannot be its own dead-letter queue"),
                None,
            );
        } else if let Some(target) = map.get(&dl.queue) {
            if target.fifo != q.fifo {
                cx.report(
                    loc,
                    format!(
                        "the dead-letter queue of a {} queue must be {} too: `{}` is not",
                        if q.fifo { "FIFO" } else { "standard" },
                        if q.fifo { "FIFO" } else { "standard" },
                        dl.queue
                    ),
                    None,
                );
            }
        }
    }
    map
}

fn decode_topics(cx: &mut Cx, node: &Node) -> BTreeMap<String, Topic> {
    cx.named(node, "topic", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.map(n)?;
        let fifo = f.opt(cx, "fifo", |cx, n| cx.bool(n)).unwrap_or(false);
        let content_based_deduplication = f
            .opt(cx, "content_based_deduplication", |cx, n| cx.bool(n))
            .unwrap_or(false);
        if content_based_deduplication && !fifo {
            let k = f.key("content_based_deduplication").expect("read above");
            cx.at("content_based_deduplication", |cx| {
                cx.error(k.pos, "content-based deduplication needs `fifo: true`")
            });
        }
        f.finish(cx);
        Some(Topic {
            loc,
            fifo,
            content_based_deduplication,
        })
    })
    .into_iter()
    .collect()
}

fn decode_buckets(cx: &mut Cx, node: &Node) -> BTreeMap<String, Bucket> {
    cx.named(node, "bucket", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.map(n)?;
        let versioned = f.opt(cx, "versioned", |cx, n| cx.bool(n)).unwrap_or(false);
        let retain = f.opt(cx, "retain", |cx, n| cx.bool(n)).unwrap_or(true);
        f.finish(cx);
        Some(Bucket {
            versioned,
            retain,
            loc,
        })
    })
    .into_iter()
    .collect()
}

fn decode_layers(
    cx: &mut Cx,
    node: &Node,
    base: &Path,
    files: &dyn Files,
) -> BTreeMap<String, Layer> {
    cx.named(node, "layer", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.map(n)?;
        let path = f.req(cx, "path", |cx, n| {
            let p = PathBuf::from(cx.nonempty(n)?);
            if !files.is_dir(&base.join(&p)) {
                cx.error(
                    n.pos,
                    format!("layer folder `{}` does not exist", p.display()),
                );
                return None;
            }
            Some(p)
        });
        let architectures = f
            .opt(cx, "architectures", |cx, n| {
                let v = cx.list(n, function::architecture)?;
                at_least_one(cx, n, v, "architecture")
            })
            .unwrap_or_else(|| vec![Architecture::Arm64, Architecture::X86_64]);
        let runtimes = f
            .opt(cx, "runtimes", |cx, n| {
                let v = cx.list(n, function::runtime)?;
                at_least_one(cx, n, v, "runtime")
            })
            .unwrap_or_else(|| {
                let today = today_utc();
                Lifecycle::usable_on(&today).map(|l| l.runtime).collect()
            });
        let description = f.opt(cx, "description", |cx, n| cx.string(n));
        f.finish(cx);
        Some(Layer {
            loc,
            path: path?,
            architectures,
            runtimes,
            description,
        })
    })
    .into_iter()
    .collect()
}

/// A list that must not be empty: leaving the key out means "all".
fn at_least_one<T>(cx: &mut Cx, n: &Node, v: Vec<T>, what: &str) -> Option<Vec<T>> {
    if v.is_empty() {
        cx.error(
            n.pos,
            format!("list at least one {what}, or leave the key out for all"),
        );
        return None;
    }
    Some(v)
}

// ---- state machines ----

fn decode_state_machines(
    cx: &mut Cx,
    node: &Node,
    base: &Path,
    files: &dyn Files,
    extra: &mut ExtraSources,
    known: &Known,
) -> BTreeMap<String, StateMachine> {
    cx.named(node, "state machine", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.map(n)?;
        let ty = f
            .opt(cx, "type", |cx, n| {
                Some(match cx.one_of(n, &["standard", "express"])? {
                    "standard" => MachineType::Standard,
                    _ => MachineType::Express,
                })
            })
            .unwrap_or(MachineType::Standard);
        let definition = f.req(cx, "definition", |cx, n| match &n.value {
            yaml::Value::Map(_) => cx.tree(n),
            yaml::Value::Str(_) => definition_file(cx, n, base, files, extra),
            _ => {
                cx.error(
                    n.pos,
                    format!(
                        "expected a file path or a mapping, found {}",
                        n.value.kind()
                    ),
                );
                None
            }
        });
        let triggers = f
            .opt(cx, "triggers", |cx, n| {
                cx.list(n, |cx, t| function::decode_trigger(cx, t, known, None))
            })
            .unwrap_or_default();
        for t in &triggers {
            if !matches!(t.kind, TriggerKind::Schedule(_) | TriggerKind::Event(_)) {
                cx.report(
                    &t.loc,
                    "a state machine can be triggered by `schedule` or `event` only",
                    None,
                );
            }
        }
        let tracing = f.opt(cx, "tracing", |cx, n| cx.bool(n)).unwrap_or(false);
        f.finish(cx);
        let definition = definition?;
        let mut functions: Vec<String> = definition
            .strings()
            .into_iter()
            .flat_map(|s| s.refs())
            .filter_map(|r| match r {
                Ref::Attr(Section::Functions, name, _) => Some(name.clone()),
                _ => None,
            })
            .collect();
        functions.sort();
        functions.dedup();
        let _ = key;
        Some(StateMachine {
            loc,
            ty,
            definition,
            functions,
            triggers,
            tracing,
        })
    })
    .into_iter()
    .collect()
}

/// Reads a definition file (JSON or YAML) and decodes it in its own file's
/// context, so that errors in it point into it.
fn definition_file(
    cx: &mut Cx,
    n: &Node,
    base: &Path,
    files: &dyn Files,
    extra: &mut ExtraSources,
) -> Option<Tree> {
    let rel = cx.nonempty(n)?;
    let path = base.join(&rel);
    let text = match files.read(&path) {
        Ok(t) => t,
        Err(e) => {
            cx.error(n.pos, format!("cannot read definition file `{rel}`: {e}"));
            return None;
        }
    };
    let shown = cx
        .file
        .parent()
        .map(|p| p.join(&rel))
        .unwrap_or_else(|| PathBuf::from(&rel));
    let parsed = yaml::parse(&text);
    extra.push((shown.clone(), text.clone()));
    let mut inner = Cx::new(&text, shown);
    let tree = match parsed {
        Ok(root) => {
            if root.as_map().is_none() {
                inner.error(
                    root.pos,
                    format!(
                        "a state machine definition must be a mapping, found {}",
                        root.value.kind()
                    ),
                );
                None
            } else {
                inner.check_duplicate_keys(&root);
                inner.tree(&root)
            }
        }
        Err(e) => {
            inner.error_hint(e.pos, format!("invalid YAML: {}", e.message), e.hint);
            None
        }
    };
    cx.diags.append(&mut inner.diags);
    cx.refs.append(&mut inner.refs);
    tree
}

// ---- http, outputs, tags ----

fn decode_http(cx: &mut Cx, node: &Node, app: &str, stage: &str) -> Option<Http> {
    let mut f = cx.map(node)?;
    let cors = f.opt(cx, "cors", cors);
    let domain = f.opt(cx, "domain", |cx, n| {
        super::domain::decode(cx, n, app, stage)
    });
    let jwt = f.opt(cx, "jwt", |cx, n| {
        let mut f = cx.map(n)?;
        let issuer = f.req(cx, "issuer", |cx, n| cx.interp(n));
        let audience = f.req(cx, "audience", |cx, n| {
            let items = cx.list(n, |cx, i| cx.interp(i))?;
            if items.is_empty() {
                cx.error(n.pos, "a JWT authorizer needs at least one audience");
                return None;
            }
            Some(items)
        });
        f.finish(cx);
        Some(Jwt {
            issuer: issuer?,
            audience: audience?,
        })
    });
    f.finish(cx);
    Some(Http { cors, jwt, domain })
}

/// CORS settings, for the HTTP API and for function URLs.
pub fn cors(cx: &mut Cx, node: &Node) -> Option<Cors> {
    let mut f = cx.map(node)?;
    let strings = |cx: &mut Cx, n: &Node| cx.list(n, |cx, i| cx.nonempty(i));
    let origins = f.opt(cx, "origins", strings);
    let origins_invalid = origins.is_none() && f.written("origins");
    let origins = origins.unwrap_or_else(|| vec!["*".to_string()]);
    let methods = f
        .opt(cx, "methods", |cx, n| {
            cx.list(n, |cx, i| {
                let s = cx.string(i)?;
                let ok = s == "*" || HttpMethod::ALL.iter().any(|(m, _)| *m == s && *m != "ANY");
                if !ok {
                    cx.error_hint(
                        i.pos,
                        format!("unknown HTTP method `{s}`"),
                        Some("use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *".into()),
                    );
                    return None;
                }
                Some(s)
            })
        })
        .unwrap_or_default();
    let headers = f.opt(cx, "headers", strings).unwrap_or_default();
    let expose_headers = f.opt(cx, "expose_headers", strings).unwrap_or_default();
    let max_age = f.opt(cx, "max_age", |cx, n| cx.duration_in(n, 0, 86_400));
    let allow_credentials = f
        .opt(cx, "allow_credentials", |cx, n| cx.bool(n))
        .unwrap_or(false);
    if allow_credentials && origins.iter().any(|o| o == "*") && !origins_invalid {
        let at = f.get("allow_credentials").expect("read").pos;
        cx.at("allow_credentials", |cx| {
            cx.error_hint(
                at,
                "CORS with `allow_credentials: true` cannot allow every origin (`*`)",
                Some("list the origins explicitly".into()),
            )
        });
    }
    f.finish(cx);
    Some(Cors {
        origins,
        methods,
        headers,
        expose_headers,
        max_age,
        allow_credentials,
    })
}

fn decode_outputs(
    cx: &mut Cx,
    node: &Node,
    reserved: &[String],
) -> Option<BTreeMap<String, Interp>> {
    let fields = cx.map(node)?;
    let mut out = BTreeMap::new();
    for (k, v) in fields.entries {
        cx.at(&k.name, |cx| {
            if !valid_logical_name(&k.name) {
                cx.error(
                    k.pos,
                    format!(
                        "invalid output name `{}`: use letters and digits, starting with a letter",
                        k.name
                    ),
                );
                return;
            }
            if reserved.contains(&k.name) {
                cx.error(
                    k.pos,
                    format!(
                        "output name `{}` is taken by an output ferry generates",
                        k.name
                    ),
                );
                return;
            }
            if let Some(i) = cx.interp(v) {
                out.insert(k.name.clone(), i);
            }
        });
    }
    Some(out)
}

/// Stack tags are given to CloudFormation as plain strings, so only
/// `${app}` and `${stage}` can be used in them.
fn decode_tags(cx: &mut Cx, node: &Node, app: &str, stage: &str) -> BTreeMap<String, String> {
    let entries = cx.string_map(node, |cx, k| {
        let ok = !k.name.is_empty() && k.name.len() <= 128 && !k.name.starts_with("aws:");
        if !ok {
            cx.error(
                k.pos,
                format!(
                    "invalid tag key `{}`: 1 to 128 characters, not starting with `aws:`",
                    k.name
                ),
            );
        }
        ok
    });
    let mut out = BTreeMap::new();
    for (k, v, pos) in entries {
        let mut s = String::new();
        let mut ok = true;
        for p in &v.parts {
            match p {
                super::interp::Part::Lit(l) => s.push_str(l),
                super::interp::Part::Ref {
                    target: Ref::App, ..
                } => s.push_str(app),
                super::interp::Part::Ref {
                    target: Ref::Stage, ..
                } => s.push_str(stage),
                super::interp::Part::Ref { .. } => ok = false,
            }
        }
        // Drop the references recorded for this value: they are resolved here.
        cx.refs
            .retain(|r| !(r.loc.pos.line == pos.line && r.loc.path.ends_with(&k)));
        if !ok {
            cx.at(&k, |cx| {
                cx.error_hint(
                    pos,
                    "stack tags are plain strings: only `${app}` and `${stage}` can be used in them",
                    None,
                )
            });
            continue;
        }
        if s.len() > 256 {
            cx.at(&k, |cx| {
                cx.error(pos, "a tag value has at most 256 characters")
            });
            continue;
        }
        out.insert(k, s);
    }
    out
}

/// A name in a key such as `queue: ride-failures`, recorded for the check
/// that the entry exists.
pub fn named_ref(cx: &mut Cx, n: &Node, section: Section) -> Option<String> {
    let name = cx.nonempty(n)?;
    let loc = cx.loc(n.pos);
    cx.refs.push(super::decode::RefSite {
        target: Ref::Named(section, name.clone()),
        loc,
    });
    Some(name)
}
