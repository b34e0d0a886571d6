//! Decoders for `functions`: settings (shared with `defaults`), code,
//! access, triggers, async invocation, concurrency, deployment, invoke
//! permissions, alarms and role.

use std::collections::BTreeMap;

use super::decode::{Cx, Fields, did_you_mean};
use super::interp::{Interp, Section};
use super::model::*;
use super::schedule;
use super::sections::{Declared, cors, named_ref};
use super::yaml::{Node, Value};
use crate::iam::Service;

/// What function decoding needs from the sections decoded before it.
pub struct Known<'a> {
    pub app: &'a str,
    pub stage: &'a str,
    pub tables: &'a BTreeMap<String, Table>,
    pub queues: &'a BTreeMap<String, Queue>,
    pub layers: &'a BTreeMap<String, Layer>,
    /// Whether `http.jwt` is written (even with errors of its own).
    pub has_jwt: bool,
    /// The names as written, for rules that must not repeat an entry's own
    /// errors.
    pub declared: &'a Declared,
    /// `defaults`, with the stage's defaults merged over them.
    pub defaults: &'a Settings,
}

/// The settings that `defaults`, a stage's `defaults` and a function may
/// each set; the most specific wins.
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

impl Settings {
    /// These settings over `base`: each key set here wins; environments
    /// merge.
    pub fn over(self, base: Settings) -> Settings {
        let mut environment = base.environment;
        environment.extend(self.environment);
        Settings {
            runtime: self.runtime.or(base.runtime),
            architecture: self.architecture.or(base.architecture),
            memory: self.memory.or(base.memory),
            timeout: self.timeout.or(base.timeout),
            ephemeral_storage: self.ephemeral_storage.or(base.ephemeral_storage),
            tracing: self.tracing.or(base.tracing),
            log_retention: self.log_retention.or(base.log_retention),
            environment,
            layers: self.layers.or(base.layers),
            alias: self.alias.or(base.alias),
            vpc: self.vpc.or(base.vpc),
        }
    }
}

/// CloudWatch Logs' allowed retention periods, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

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
    Some(match cx.one_of(n, &["arm64", "x86_64"])? {
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
        memory: f
            .opt(cx, "memory", |cx, n| cx.int_in(n, 128, 10_240))
            .map(|v| v as u32),
        timeout: f.opt(cx, "timeout", |cx, n| cx.duration_in(n, 1, 900)),
        ephemeral_storage: f
            .opt(cx, "ephemeral_storage", |cx, n| cx.int_in(n, 512, 10_240))
            .map(|v| v as u32),
        tracing: f.opt(cx, "tracing", |cx, n| cx.bool(n)),
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
            let items = cx.list(n, |cx, i| {
                let s = cx.nonempty(i)?;
                if s.starts_with("arn:") || s.contains("${") {
                    return Some(LayerRef::Arn(cx.interp(i)?));
                }
                Some(LayerRef::Named(named_ref(cx, i, Section::Layers)?))
            })?;
            if items.len() > 5 {
                cx.error(
                    n.pos,
                    format!("a function can use at most 5 layers, found {}", items.len()),
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
            let mut f = cx.map(n)?;
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

/// Decodes every function and resolves its settings over the defaults.
pub fn decode_functions(cx: &mut Cx, node: &Node, known: &Known) -> BTreeMap<String, Function> {
    cx.named(node, "function", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let full = format!("{}-{}-{}", known.app, known.stage, key.name);
        if full.len() > 64 && !known.app.is_empty() {
            cx.error_hint(
                key.pos,
                format!("the function name `{full}` has {} characters; Lambda allows 64", full.len()),
                Some("shorten the app, stage or function name".into()),
            );
        }
        let mut f = cx.map(n)?;
        let own = settings(cx, &mut f);
        // A timeout with an error of its own is not compared with again.
        let timeout_known = !(own.timeout.is_none() && f.written("timeout"));
        let own_layers = own.layers.as_ref().is_some_and(|l| !l.is_empty());
        let own_layers_invalid = own.layers.is_none() && f.written("layers");
        let mut s = own.over(known.defaults.clone());
        let timeout = s.timeout.unwrap_or(Duration(3));
        let architecture = s.architecture.unwrap_or(Architecture::Arm64);

        let package = f.opt(cx, "crate", |cx, n| {
            let s = cx.nonempty(n)?;
            if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                cx.error(n.pos, format!("invalid cargo package name `{s}`"));
                return None;
            }
            Some(s)
        });
        let bin = f.opt(cx, "bin", |cx, n| cx.nonempty(n));
        let image = f.opt(cx, "image", |cx, n| cx.interp(n));
        let code = match image {
            Some(img) => {
                if let Some(k) = f.key("crate").or_else(|| f.key("bin")) {
                    let which = k.name.clone();
                    cx.at(&which, |cx| {
                        cx.error(k.pos, format!("a function is built from `crate`/`bin` or runs an `image`, not both: remove `{which}` or `image`"))
                    });
                }
                Code::Image(img)
            }
            None => Code::Crate { package: package.unwrap_or_else(|| key.name.clone()), bin },
        };
        let description = f.opt(cx, "description", |cx, n| {
            let i = cx.interp(n)?;
            if i.as_literal().is_some_and(|s| s.len() > 256) {
                cx.error(n.pos, "a description has at most 256 characters");
                return None;
            }
            Some(i)
        });
        let access = f.opt(cx, "access", access).unwrap_or_default();
        let triggers = f
            .opt(cx, "triggers", |cx, n| {
                cx.list(n, |cx, t| decode_trigger(cx, t, known, timeout_known.then_some((&key.name, timeout))))
            })
            .unwrap_or_default();
        let async_config = f.opt(cx, "async", |cx, n| async_config(cx, n, known.declared));
        let concurrency = f.opt(cx, "concurrency", concurrency).unwrap_or_default();
        let deployment = f
            .opt(cx, "deployment", |cx, n| {
                let mut f = cx.map(n)?;
                let s = f.opt(cx, "strategy", strategy);
                f.finish(cx);
                s
            })
            .unwrap_or(Strategy::AllAtOnce);
        let invoke = f.opt(cx, "invoke", |cx, n| cx.list(n, principal)).unwrap_or_default();
        let alarms = f.opt(cx, "alarms", |cx, n| alarms(cx, n, timeout_known.then_some(timeout))).unwrap_or_default();
        let role = f.opt(cx, "role", |cx, n| {
            let i = cx.interp(n)?;
            if let Some(lit) = i.as_literal() {
                if !is_role_arn(&lit) {
                    cx.error_hint(
                        n.pos,
                        format!("`{lit}` is not an IAM role ARN"),
                        Some("expected arn:aws:iam::123456789012:role/NAME".into()),
                    );
                    return None;
                }
            }
            Some(i)
        });
        if role.is_some() && !access.is_empty() {
            let k = f.key("role").expect("role was read");
            cx.at("role", |cx| {
                cx.error_hint(
                    k.pos,
                    "`role` and `access` cannot both be set: with `role`, ferry uses that role as it is",
                    Some("remove `access`, or remove `role` to let ferry generate a least-privilege role".into()),
                )
            });
        }
        // Layers are for zip functions: an image function does not take the
        // layers of `defaults`, and cannot name its own.
        if matches!(code, Code::Image(_)) {
            if own_layers {
                let k = f.key("layers").expect("read");
                cx.at("layers", |cx| cx.error(k.pos, "an image function cannot use layers"));
            }
            s.layers = None;
        }
        if let (Some(layers), false) = (&s.layers, known.layers.is_empty() || own_layers_invalid) {
            for l in layers {
                if let LayerRef::Named(name) = l {
                    if let Some(layer) = known.layers.get(name) {
                        if !layer.architectures.contains(&architecture) {
                            let msg = format!(
                                "layer `{name}` is built for {} but this function runs on {}",
                                layer.architectures.iter().map(|a| a.id()).collect::<Vec<_>>().join(", "),
                                architecture.id()
                            );
                            // At the function's own mention of the layer, or
                            // at the function when the layer comes from defaults.
                            let own = f.get("layers").and_then(|n| match &n.value {
                                Value::Seq(items) => items.iter().enumerate().find(|(_, i)| {
                                    matches!(&i.value, Value::Str(s) if s == name)
                                }),
                                _ => None,
                            });
                            match own {
                                Some((i, item)) => cx.at("layers", |cx| cx.at(i, |cx| cx.error(item.pos, msg))),
                                None => cx.error(key.pos, msg),
                            }
                        }
                    }
                }
            }
        }
        f.finish(cx);
        Some(Function {
            code,
            description,
            runtime: s.runtime.unwrap_or(Runtime::ProvidedAl2023),
            architecture,
            memory: s.memory.unwrap_or(128),
            timeout,
            ephemeral_storage: s.ephemeral_storage.unwrap_or(512),
            tracing: s.tracing.unwrap_or(false),
            log_retention: s.log_retention.unwrap_or(30),
            environment: s.environment,
            layers: s.layers.unwrap_or_default(),
            alias: s.alias.unwrap_or_else(|| "live".to_string()),
            vpc: s.vpc,
            access,
            triggers,
            async_config,
            concurrency,
            deployment,
            invoke,
            alarms,
            role,
            loc,
        })
    })
    .into_iter()
    .collect()
}

fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
}

// ---- access ----

fn access(cx: &mut Cx, n: &Node) -> Option<Access> {
    let mut f = cx.map(n)?;
    let grants =
        |cx: &mut Cx, f: &mut Fields, key: &'static str, section: Section, service: Service| {
            f.opt(cx, key, |cx, n| {
                let fields = cx.map(n)?;
                let mut out = BTreeMap::new();
                for (k, v) in fields.entries {
                    cx.at(&k.name, |cx| {
                        let loc = cx.loc(k.pos);
                        cx.refs.push(super::decode::RefSite {
                            target: super::interp::Ref::Named(section, k.name.clone()),
                            loc,
                        });
                        if let Some(g) = grant(cx, v, service) {
                            out.insert(k.name.clone(), g);
                        }
                    });
                }
                Some(out)
            })
            .unwrap_or_default()
        };
    let tables = grants(cx, &mut f, "tables", Section::Tables, Service::DynamoDb);
    let queues = grants(cx, &mut f, "queues", Section::Queues, Service::Sqs);
    let topics = grants(cx, &mut f, "topics", Section::Topics, Service::Sns);
    let buckets = grants(cx, &mut f, "buckets", Section::Buckets, Service::S3);
    let functions = grants(cx, &mut f, "functions", Section::Functions, Service::Lambda);
    let state_machines = grants(
        cx,
        &mut f,
        "state_machines",
        Section::StateMachines,
        Service::States,
    );
    let buses = grants(cx, &mut f, "buses", Section::Buses, Service::Events);
    let secrets = f
        .opt(cx, "secrets", super::secrets::access)
        .unwrap_or_default();
    let mut wildcards = Vec::new();
    let policies = f
        .opt(cx, "policies", |cx, n| {
            cx.list(n, |cx, s| {
                wildcards.extend(policy_wildcards(cx, s));
                let t = cx.tree(s)?;
                if !matches!(t, Tree::Map(_))
                    || t.get("Effect").is_none()
                    || t.get("Action").is_none()
                {
                    cx.error_hint(
                        s.pos,
                        "an IAM statement needs at least `Effect` and `Action`",
                        Some(
                            "e.g. { Effect: Allow, Action: [ssm:GetParameter], Resource: arn:... }"
                                .into(),
                        ),
                    );
                    return None;
                }
                Some(t)
            })
        })
        .unwrap_or_default();
    f.finish(cx);
    Some(Access {
        tables,
        buses,
        secrets,
        queues,
        topics,
        buckets,
        functions,
        state_machines,
        policies,
        wildcards,
    })
}

/// Where an IAM statement has a wildcard action (`*`, `s3:*`, `s3:Get*`)
/// or a resource that is `*` or any resource of a service, region or
/// account (`arn:aws:s3:::*`); a path below a named resource
/// (`parameter/app/*`) is fine.
fn policy_wildcards(cx: &mut Cx, statement: &Node) -> Vec<Loc> {
    let mut out = Vec::new();
    for (k, v) in statement.as_map().unwrap_or_default() {
        let action = match k.name.as_str() {
            "Action" | "NotAction" => true,
            "Resource" | "NotResource" => false,
            _ => continue,
        };
        let values: Vec<&Node> = match &v.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![v],
        };
        for n in values {
            let Value::Str(s) = &n.value else { continue };
            if (action && s.contains('*')) || (!action && broad_resource(s)) {
                out.push(cx.at(k.name.as_str(), |cx| cx.loc(n.pos)));
            }
        }
    }
    out
}

/// `*`, or an ARN with `*` for its service, region or account, or for the
/// whole of its resource part.
fn broad_resource(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    s == "*"
        || parts.iter().take(5).any(|p| *p == "*")
        || parts.get(5).is_some_and(|r| r.starts_with('*'))
}

/// A level (`write`) or a list of the service's actions (`[PutItem]`).
fn grant(cx: &mut Cx, n: &Node, service: Service) -> Option<Grant> {
    if let Value::Seq(_) = n.value {
        let actions = cx.list(n, |cx, a| {
            let s = cx.nonempty(a)?;
            match service.action(&s) {
                Some(act) => Some(act.to_string()),
                None => {
                    let hint = did_you_mean(&s, service.actions().iter().copied());
                    cx.error_hint(
                        a.pos,
                        format!("unknown {} action `{s}`", service.prefix()),
                        hint,
                    );
                    None
                }
            }
        })?;
        if actions.is_empty() {
            cx.error(n.pos, "list at least one action");
            return None;
        }
        return Some(Grant::Actions(actions));
    }
    let words: Vec<&str> = service.levels().iter().map(|(w, _)| *w).collect();
    let w = cx.one_of(n, &words)?;
    service
        .levels()
        .iter()
        .find(|(x, _)| *x == w)
        .map(|(_, l)| Grant::Level(*l))
}

// ---- triggers ----

/// Decodes one trigger. `consumer` is the function's name and timeout, for
/// the queue visibility rule; `None` for state machines, and when the
/// timeout has an error of its own.
pub fn decode_trigger(
    cx: &mut Cx,
    n: &Node,
    known: &Known,
    consumer: Option<(&str, Duration)>,
) -> Option<Trigger> {
    let loc = cx.loc(n.pos);
    let before = cx.diags.len();
    let mut f = cx.map(n)?;
    let kinds: Vec<&str> = f
        .entries
        .iter()
        .map(|(k, _)| k.name.as_str())
        .filter(|k| TriggerKind::KEYS.contains(k))
        .collect();
    if kinds.len() > 1 {
        let second = f.key(kinds[1]).expect("present");
        cx.at(kinds[1], |cx| {
            cx.error_hint(
                second.pos,
                format!(
                    "a trigger has one kind, this one names `{}` and `{}`",
                    kinds[0], kinds[1]
                ),
                Some("make each its own list item".into()),
            )
        });
        return None;
    }
    let Some(kind) = kinds.first().copied() else {
        let hint = f
            .entries
            .first()
            .and_then(|(k, _)| did_you_mean(&k.name, TriggerKind::KEYS));
        cx.error_hint(
            n.pos,
            format!("a trigger needs one of: {}", TriggerKind::KEYS.join(", ")),
            hint,
        );
        return None;
    };
    // Each kind's options are read even when the kind's own value has an
    // error, so that they are checked too and not reported as unknown keys.
    let kind = match kind {
        "http" => {
            let route = f.opt(cx, "http", http_route);
            let auth = f.opt(cx, "auth", |cx, a| {
                Some(match cx.one_of(a, &["none", "iam", "jwt"])? {
                    "none" => HttpAuth::None,
                    "iam" => HttpAuth::Iam,
                    _ => {
                        if !known.has_jwt {
                            cx.error_hint(
                                a.pos,
                                "`auth: jwt` needs a JWT authorizer",
                                Some("declare `http.jwt` with `issuer` and `audience`".into()),
                            );
                        }
                        HttpAuth::Jwt { scopes: vec![] }
                    }
                })
            });
            let auth_invalid = auth.is_none() && f.written("auth");
            let scopes = f.opt(cx, "scopes", |cx, s| cx.list(s, |cx, i| cx.nonempty(i)));
            let auth = match (auth.unwrap_or(HttpAuth::None), scopes) {
                (HttpAuth::Jwt { .. }, Some(scopes)) => HttpAuth::Jwt { scopes },
                (a, None) => a,
                (a, Some(_)) if auth_invalid => a,
                (a, Some(_)) => {
                    let k = f.key("scopes").expect("read");
                    cx.at("scopes", |cx| {
                        cx.error(k.pos, "`scopes` go with `auth: jwt`")
                    });
                    a
                }
            };
            route.map(|route| TriggerKind::Http(HttpRoute { auth, ..route }))
        }
        "url" => f.opt(cx, "url", function_url).map(TriggerKind::Url),
        "schedule" => {
            let schedule = f.opt(cx, "schedule", |cx, v| {
                let s = cx.nonempty(v)?;
                match schedule::parse(&s) {
                    Ok(s) => Some(s),
                    Err(m) => {
                        cx.error(v.pos, m);
                        None
                    }
                }
            });
            let payload = f.opt(cx, "payload", |cx, p| cx.tree(p));
            let enabled = f.opt(cx, "enabled", |cx, b| cx.bool(b)).unwrap_or(true);
            schedule.map(|schedule| {
                TriggerKind::Schedule(ScheduleTrigger {
                    schedule,
                    payload,
                    enabled,
                })
            })
        }
        "queue" => {
            let queue = f.opt(cx, "queue", |cx, v| named_ref(cx, v, Section::Queues));
            queue_trigger(cx, &mut f, queue, known, consumer)
        }
        "stream" => {
            let source = f.opt(cx, "stream", |cx, v| stream_source(cx, v, known));
            stream_trigger(cx, &mut f, source, known.declared)
        }
        "topic" => {
            let topic = f.opt(cx, "topic", |cx, v| named_ref(cx, v, Section::Topics));
            let filter_policy = f.opt(cx, "filter_policy", |cx, p| {
                let t = cx.tree(p)?;
                if !matches!(t, Tree::Map(_)) {
                    cx.error(p.pos, "a filter policy is a mapping");
                    return None;
                }
                Some(t)
            });
            topic.map(|topic| {
                TriggerKind::Topic(TopicTrigger {
                    topic,
                    filter_policy,
                })
            })
        }
        "bucket" => {
            let bucket = f.opt(cx, "bucket", |cx, v| named_ref(cx, v, Section::Buckets));
            let events = f
                .opt(cx, "events", |cx, e| {
                    let mut v = cx.list(e, |cx, i| {
                        Some(match cx.one_of(i, &["created", "removed"])? {
                            "created" => BucketEvent::Created,
                            _ => BucketEvent::Removed,
                        })
                    })?;
                    v.sort();
                    v.dedup();
                    if v.is_empty() {
                        cx.error(e.pos, "list at least one event: created or removed");
                        return None;
                    }
                    Some(v)
                })
                .unwrap_or_else(|| vec![BucketEvent::Created]);
            let prefix = f.opt(cx, "prefix", |cx, p| cx.nonempty(p));
            let suffix = f.opt(cx, "suffix", |cx, p| cx.nonempty(p));
            bucket.map(|bucket| {
                TriggerKind::Bucket(BucketTrigger {
                    bucket,
                    events,
                    prefix,
                    suffix,
                })
            })
        }
        _ => {
            let event = f.opt(cx, "event", |cx, v| {
                let mut ef = cx.map(v)?;
                let pattern = ef.req(cx, "pattern", |cx, p| {
                    let t = cx.tree(p)?;
                    if !matches!(t, Tree::Map(_)) || matches!(&t, Tree::Map(m) if m.is_empty()) {
                        cx.error(
                            p.pos,
                            "an event pattern is a non-empty mapping, e.g. { source: [my.app] }",
                        );
                        return None;
                    }
                    Some(t)
                });
                let bus = ef.opt(cx, "bus", |cx, b| {
                    super::buses::bus_ref(cx, b, known.declared)
                });
                ef.finish(cx);
                Some(EventTrigger {
                    pattern: pattern?,
                    bus,
                })
            });
            let bus = f.opt(cx, "bus", |cx, b| {
                super::buses::bus_ref(cx, b, known.declared)
            });
            event.map(|mut e| {
                if bus.is_some() {
                    e.bus = bus;
                }
                TriggerKind::Event(e)
            })
        }
    };
    f.finish(cx);
    // A trigger with errors is left out of the checks made across triggers
    // (routes, URLs, bucket notifications).
    Some(Trigger { kind: kind?, loc }).filter(|_| cx.diags.len() == before)
}

fn http_route(cx: &mut Cx, v: &Node) -> Option<HttpRoute> {
    let s = cx.nonempty(v)?;
    let mut words = s.split_whitespace();
    let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
        cx.error_hint(
            v.pos,
            format!("invalid route `{s}`: expected `METHOD /path`"),
            Some("e.g. `POST /ride` or `GET /rides/{id}`".into()),
        );
        return None;
    };
    let Some((_, m)) = HttpMethod::ALL.iter().find(|(w, _)| *w == method) else {
        let upper = method.to_ascii_uppercase();
        let hint = if HttpMethod::ALL.iter().any(|(w, _)| *w == upper) {
            Some(format!("write the method in capitals: `{upper}`"))
        } else {
            Some("use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY".into())
        };
        cx.error_hint(v.pos, format!("unknown HTTP method `{method}`"), hint);
        return None;
    };
    if !valid_route_path(path) {
        cx.error_hint(
            v.pos,
            format!("invalid route path `{path}`"),
            Some("a path starts with `/`; parameters are `{name}`, and `{name+}` only as the last segment".into()),
        );
        return None;
    }
    Some(HttpRoute {
        method: *m,
        path: path.to_string(),
        auth: HttpAuth::None,
    })
}

fn valid_route_path(path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    if path == "/" {
        return true;
    }
    let segs: Vec<&str> = path[1..].split('/').collect();
    segs.iter().enumerate().all(|(i, seg)| {
        if seg.is_empty() {
            return false;
        }
        if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            return !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && (!greedy || i == segs.len() - 1);
        }
        seg.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=%".contains(&b))
    })
}

fn function_url(cx: &mut Cx, v: &Node) -> Option<FunctionUrl> {
    let mut f = cx.map(v)?;
    let auth = f
        .opt(cx, "auth", |cx, a| cx.one_of(a, &["iam", "none"]))
        .unwrap_or("iam");
    let public = f.opt(cx, "public", |cx, p| cx.bool(p)).unwrap_or(false);
    let cors = f.opt(cx, "cors", cors);
    let stream = f.opt(cx, "stream", |cx, s| cx.bool(s)).unwrap_or(false);
    if auth == "none" && !public {
        let at = f.get("auth").map(|n| n.pos).unwrap_or(f.pos);
        cx.at("auth", |cx| {
            cx.error_hint(
                at,
                "a function URL with `auth: none` can be called by anyone on the internet",
                Some("add `public: true` inside `url` to confirm, or use `auth: iam`".into()),
            )
        });
    }
    f.finish(cx);
    Some(FunctionUrl {
        iam: auth == "iam",
        cors,
        stream,
    })
}

fn filters(cx: &mut Cx, n: &Node) -> Option<Vec<Tree>> {
    let items = cx.list(n, |cx, i| {
        let t = cx.tree(i)?;
        if !matches!(t, Tree::Map(_)) {
            cx.error(
                i.pos,
                "a filter is a mapping, e.g. { body: { type: [ride] } }",
            );
            return None;
        }
        Some(t)
    })?;
    if items.len() > 5 {
        cx.error(n.pos, format!("at most 5 filters, found {}", items.len()));
        return None;
    }
    Some(items)
}

fn queue_trigger(
    cx: &mut Cx,
    f: &mut Fields,
    queue: Option<String>,
    known: &Known,
    consumer: Option<(&str, Duration)>,
) -> Option<TriggerKind> {
    let target = queue.as_ref().and_then(|q| known.queues.get(q));
    let name = queue.as_deref().unwrap_or_default();
    let fifo = target.is_some_and(|q| q.fifo);
    let max_batch = if fifo { 10 } else { 10_000 };
    let batch_size = f
        .opt(cx, "batch_size", |cx, n| cx.int_in(n, 1, max_batch))
        .unwrap_or(10) as u32;
    let batch_window = f.opt(cx, "batch_window", |cx, n| cx.duration_in(n, 0, 300));
    if fifo && batch_window.is_some() {
        let k = f.key("batch_window").expect("read");
        cx.at("batch_window", |cx| {
            cx.error(
                k.pos,
                format!(
                    "queue `{name}` is FIFO: Lambda does not allow a batch window on FIFO queues"
                ),
            )
        });
    }
    let window_invalid = batch_window.is_none() && f.written("batch_window");
    if batch_size > 10 && batch_window.is_none_or(|w| w.0 == 0) && !fifo && !window_invalid {
        let k = f.key("batch_size").expect("read");
        cx.at("batch_size", |cx| {
            cx.error_hint(
                k.pos,
                format!("a batch size above 10 ({batch_size}) needs a batch window"),
                Some("add `batch_window: 1s` or more".into()),
            )
        });
    }
    let max_concurrency = f
        .opt(cx, "max_concurrency", |cx, n| cx.int_in(n, 2, 1000))
        .map(|v| v as u32);
    let report_batch_item_failures = f
        .opt(cx, "report_batch_item_failures", |cx, n| cx.bool(n))
        .unwrap_or(true);
    let filter = f.opt(cx, "filter", filters).unwrap_or_default();
    if let (Some(q), Some((consumer, timeout))) = (target, consumer) {
        let need = timeout.0 * 6;
        if q.visibility_timeout.0 < need {
            let loc = q.visibility_loc.clone().unwrap_or_else(|| q.loc.clone());
            cx.report(
                &loc,
                format!(
                    "queue `{name}` has a visibility timeout of {}, less than 6 × the timeout of its consumer `{consumer}` ({} × 6 = {})",
                    q.visibility_timeout,
                    timeout,
                    Duration(need)
                ),
                Some(format!("set `visibility_timeout: {}` or more", Duration(need))),
            );
        }
    }
    Some(TriggerKind::Queue(QueueTrigger {
        queue: queue?,
        batch_size,
        batch_window,
        max_concurrency,
        report_batch_item_failures,
        filter,
    }))
}

fn stream_source(cx: &mut Cx, v: &Node, known: &Known) -> Option<StreamSource> {
    let mut f = cx.map(v)?;
    let table = f.get("table");
    let kinesis = f.get("kinesis");
    let out = match (table, kinesis) {
        (Some(t), None) => cx.at("table", |cx| {
            let name = named_ref(cx, t, Section::Tables)?;
            if let Some(tab) = known.tables.get(&name) {
                if tab.stream.is_none() && !known.declared.has_stream(&name) {
                    cx.error_hint(
                        t.pos,
                        format!("table `{name}` has no stream"),
                        Some(format!(
                            "set `stream: new_and_old_images` (or another view) on `tables.{name}`"
                        )),
                    );
                    return None;
                }
            }
            Some(StreamSource::Table(name))
        }),
        (None, Some(k)) => cx.at("kinesis", |cx| {
            let i = cx.interp(k)?;
            if let Some(lit) = i.as_literal() {
                if !lit.starts_with("arn:") || !lit.contains(":kinesis:") {
                    cx.error(k.pos, format!("`{lit}` is not a Kinesis stream ARN"));
                    return None;
                }
            }
            Some(StreamSource::Kinesis(i))
        }),
        _ => {
            cx.error(v.pos, "a stream trigger names either `table` or `kinesis`");
            None
        }
    };
    f.finish(cx);
    out
}

fn stream_trigger(
    cx: &mut Cx,
    f: &mut Fields,
    source: Option<StreamSource>,
    declared: &Declared,
) -> Option<TriggerKind> {
    let starting_position = f
        .opt(cx, "starting_position", |cx, n| {
            Some(match cx.one_of(n, &["latest", "trim_horizon"])? {
                "latest" => StartingPosition::Latest,
                _ => StartingPosition::TrimHorizon,
            })
        })
        .unwrap_or(StartingPosition::Latest);
    let batch_size = f
        .opt(cx, "batch_size", |cx, n| cx.int_in(n, 1, 10_000))
        .unwrap_or(100) as u32;
    let batch_window = f.opt(cx, "batch_window", |cx, n| cx.duration_in(n, 0, 300));
    let bisect_on_error = f
        .opt(cx, "bisect_on_error", |cx, n| cx.bool(n))
        .unwrap_or(false);
    let retries = f.opt(cx, "retries", |cx, n| cx.int_in(n, -1, 10_000));
    let max_record_age = f.opt(cx, "max_record_age", |cx, n| cx.duration_in(n, 60, 604_800));
    let parallelization = f
        .opt(cx, "parallelization", |cx, n| cx.int_in(n, 1, 10))
        .map(|v| v as u32);
    let on_failure = f.opt(cx, "on_failure", |cx, n| {
        destination(cx, n, &["queue", "topic"], declared)
    });
    let report_batch_item_failures = f
        .opt(cx, "report_batch_item_failures", |cx, n| cx.bool(n))
        .unwrap_or(false);
    let filter = f.opt(cx, "filter", filters).unwrap_or_default();
    Some(TriggerKind::Stream(StreamTrigger {
        source: source?,
        starting_position,
        batch_size,
        batch_window,
        bisect_on_error,
        retries,
        max_record_age,
        parallelization,
        on_failure,
        report_batch_item_failures,
        filter,
    }))
}

/// `{ queue: x }`, `{ topic: x }`, `{ function: x }` or `{ bus: name-or-arn }`,
/// limited to `kinds`.
fn destination(
    cx: &mut Cx,
    n: &Node,
    kinds: &[&'static str],
    declared: &Declared,
) -> Option<Destination> {
    let mut f = cx.map(n)?;
    let present: Vec<&'static str> = kinds.iter().copied().filter(|k| f.has(k)).collect();
    if present.len() != 1 {
        // A misspelled kind is reported as an unknown key, with a hint.
        if !(present.is_empty() && kinds.iter().any(|k| f.written(k))) {
            cx.error(
                n.pos,
                format!("a destination names exactly one of: {}", kinds.join(", ")),
            );
        }
        for k in kinds {
            f.get(k);
        }
        f.finish(cx);
        return None;
    }
    let out = match present[0] {
        "queue" => f
            .opt(cx, "queue", |cx, v| named_ref(cx, v, Section::Queues))
            .map(Destination::Queue),
        "topic" => f
            .opt(cx, "topic", |cx, v| named_ref(cx, v, Section::Topics))
            .map(Destination::Topic),
        "function" => f
            .opt(cx, "function", |cx, v| named_ref(cx, v, Section::Functions))
            .map(Destination::Function),
        _ => f
            .opt(cx, "bus", |cx, v| super::buses::bus_ref(cx, v, declared))
            .map(Destination::Bus),
    };
    f.finish(cx);
    out
}

fn async_config(cx: &mut Cx, n: &Node, declared: &Declared) -> Option<AsyncConfig> {
    let mut f = cx.map(n)?;
    let retries = f
        .opt(cx, "retries", |cx, n| cx.int_in(n, 0, 2))
        .unwrap_or(2) as u32;
    let max_event_age = f
        .opt(cx, "max_event_age", |cx, n| cx.duration_in(n, 60, 21_600))
        .unwrap_or(Duration(21_600));
    let all = ["queue", "topic", "function", "bus"];
    let on_success = f.opt(cx, "on_success", |cx, n| destination(cx, n, &all, declared));
    let on_failure = f.opt(cx, "on_failure", |cx, n| destination(cx, n, &all, declared));
    let dead_letter = f.opt(cx, "dead_letter", |cx, n| {
        destination(cx, n, &["queue", "topic"], declared)
    });
    f.finish(cx);
    Some(AsyncConfig {
        retries,
        max_event_age,
        on_success,
        on_failure,
        dead_letter,
    })
}

fn concurrency(cx: &mut Cx, n: &Node) -> Option<Concurrency> {
    let mut f = cx.map(n)?;
    let reserved = f
        .opt(cx, "reserved", |cx, n| cx.int_in(n, 0, 100_000))
        .map(|v| v as u32);
    let provisioned = f.opt(cx, "provisioned", |cx, n| {
        if n.as_map().is_none() {
            return Some(Provisioned::Fixed(cx.int_in(n, 1, 100_000)? as u32));
        }
        let mut pf = cx.map(n)?;
        let min = pf.req(cx, "min", |cx, n| cx.int_in(n, 1, 100_000));
        let max = pf.req(cx, "max", |cx, n| cx.int_in(n, 1, 100_000));
        let utilization = pf
            .opt(cx, "utilization", |cx, n| cx.float_in(n, 0.1, 0.9))
            .unwrap_or(0.7);
        pf.finish(cx);
        let (min, max) = (min? as u32, max? as u32);
        if min > max {
            cx.error(
                n.pos,
                format!("`min` ({min}) is greater than `max` ({max})"),
            );
            return None;
        }
        Some(Provisioned::Auto {
            min,
            max,
            utilization,
        })
    });
    if let (Some(r), Some(p)) = (reserved, provisioned) {
        let need = match p {
            Provisioned::Fixed(n) => n,
            Provisioned::Auto { max, .. } => max,
        };
        if need > r {
            let at = f.get("provisioned").expect("read").pos;
            cx.at("provisioned", |cx| {
                cx.error(
                    at,
                    format!(
                        "provisioned concurrency ({need}) cannot exceed reserved concurrency ({r})"
                    ),
                )
            });
        }
    }
    f.finish(cx);
    Some(Concurrency {
        reserved,
        provisioned,
    })
}

/// `all-at-once`, `canary10-5m`, `linear10-1m`, ...
fn strategy(cx: &mut Cx, n: &Node) -> Option<Strategy> {
    let s = cx.nonempty(n)?;
    if s == "all-at-once" {
        return Some(Strategy::AllAtOnce);
    }
    let parsed = (|| {
        let (kind, rest) = if let Some(r) = s.strip_prefix("canary") {
            ("canary", r)
        } else {
            ("linear", s.strip_prefix("linear")?)
        };
        let (p, m) = rest.split_once('-')?;
        let percent: u32 = p.parse().ok().filter(|p| (1..=99).contains(p))?;
        let minutes: u32 = m
            .strip_suffix('m')?
            .parse()
            .ok()
            .filter(|m| (1..=2880).contains(m))?;
        Some(if kind == "canary" {
            Strategy::Canary { percent, minutes }
        } else {
            Strategy::Linear { percent, minutes }
        })
    })();
    if parsed.is_none() {
        cx.error_hint(
            n.pos,
            format!("unknown deployment strategy `{s}`"),
            Some(
                "use all-at-once, canaryP-Nm (e.g. canary10-5m) or linearP-Nm (e.g. linear10-1m)"
                    .into(),
            ),
        );
    }
    parsed
}

fn principal(cx: &mut Cx, n: &Node) -> Option<Principal> {
    let mut f = cx.map(n)?;
    let kinds: Vec<&str> = ["account", "service", "role"]
        .into_iter()
        .filter(|k| f.has(k))
        .collect();
    if kinds.len() != 1 {
        // A misspelled kind is reported as an unknown key, with a hint.
        if !(kinds.is_empty() && ["account", "service", "role"].iter().any(|k| f.written(k))) {
            cx.error(
                n.pos,
                "an invoke permission names exactly one of: account, service, role",
            );
        }
        for k in ["account", "service", "role", "source_arn", "source_account"] {
            f.get(k);
        }
        f.finish(cx);
        return None;
    }
    let account = |cx: &mut Cx, n: &Node| {
        let s = cx.string(n)?;
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            cx.error(n.pos, format!("`{s}` is not an AWS account id (12 digits)"));
            return None;
        }
        Some(s)
    };
    let out = match kinds[0] {
        "account" => f.opt(cx, "account", account).map(Principal::Account),
        "role" => f.opt(cx, "role", |cx, v| cx.interp(v)).map(Principal::Role),
        _ => {
            let service = f.opt(cx, "service", |cx, v| {
                let s = cx.nonempty(v)?;
                if !s.ends_with(".amazonaws.com") {
                    cx.error(
                        v.pos,
                        format!("`{s}` is not a service principal such as `events.amazonaws.com`"),
                    );
                    return None;
                }
                Some(s)
            });
            // Without a source, any account's resource of that service
            // could invoke the function (a confused deputy).
            if !f.written("source_arn") && !f.written("source_account") {
                cx.error_hint(
                    n.pos,
                    "a service principal needs `source_arn` or `source_account`",
                    Some("name the resource that invokes the function (`source_arn`) or its account (`source_account`)".into()),
                );
            }
            let source_arn = f.opt(cx, "source_arn", |cx, v| cx.interp(v));
            let source_account = f.opt(cx, "source_account", account);
            service.map(|service| Principal::Service {
                service,
                source_arn,
                source_account,
            })
        }
    };
    f.finish(cx);
    out
}

/// `timeout` is the function's, `None` when it has an error of its own.
fn alarms(cx: &mut Cx, n: &Node, timeout: Option<Duration>) -> Option<Alarms> {
    let mut f = cx.map(n)?;
    let count = |cx: &mut Cx, n: &Node| cx.int_in(n, 1, 1_000_000).map(|v| v as u32);
    let errors = f.opt(cx, "errors", count);
    let throttles = f.opt(cx, "throttles", count);
    let duration_p99 = f.opt(cx, "duration_p99", |cx, n| {
        let d = cx.duration_in(n, 1, 900)?;
        if let Some(timeout) = timeout.filter(|t| d > *t) {
            cx.error(
                n.pos,
                format!(
                    "{d} is above the function's timeout ({timeout}): the alarm could never fire"
                ),
            );
            return None;
        }
        Some(d)
    });
    let notify = f.opt(cx, "notify", |cx, n| {
        let mut nf = cx.map(n)?;
        let t = nf.req(cx, "topic", |cx, v| named_ref(cx, v, Section::Topics));
        nf.finish(cx);
        t
    });
    f.finish(cx);
    Some(Alarms {
        errors,
        throttles,
        duration_p99,
        notify,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_paths() {
        for ok in ["/", "/ride", "/rides/{id}", "/{proxy+}", "/a/b-c/{x_y}"] {
            assert!(valid_route_path(ok), "{ok}");
        }
        for bad in ["ride", "/a//b", "/{proxy+}/x", "/{}", "/a b", "/a/"] {
            assert!(!valid_route_path(bad), "{bad}");
        }
    }

    #[test]
    fn role_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/existing"));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/path/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
        assert!(!is_role_arn("role/x"));
    }
}
