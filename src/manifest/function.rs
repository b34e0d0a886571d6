//! Decoders for `functions`: each function's code, its settings over the
//! defaults, async invocation, concurrency, deployment, invoke permissions,
//! alarms and role. Settings, access and triggers have modules of their own.

use std::collections::BTreeMap;

use super::access::access;
use super::declared::Declared;
use super::declared::named_ref;
use super::decode::Cx;
use super::destination::destination;
use super::interp::Section;
use super::known::Known;
use super::merge::Merge;
use super::model::*;
use super::settings::settings;
use super::trigger::decode_trigger;
use super::vocab;
use super::yaml::{Node, Value};

/// Decodes every function and resolves its settings over the defaults.
pub fn decode_functions(cx: &mut Cx, node: &Node, known: &Known) -> BTreeMap<String, Function> {
    cx.named(node, "function", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let length = known.app.len() + known.stage.len() + key.name.len() + 2;
        if length > 64 && !known.app.is_empty() {
            let full = format!("{}-{}-{}", known.app, known.stage, key.name);
            cx.error_hint(
                key.pos,
                format!("the function name `{full}` has {} characters; Lambda allows 64", full.len()),
                Some("shorten the app, stage or function name".into()),
            );
        }
        let mut f = cx.fields(n, &vocab::FUNCTION)?;
        let own = settings(cx, &mut f);
        // A timeout with an error of its own is not compared with again.
        let timeout_known = !(own.timeout.is_none() && f.written("timeout"));
        let own_layers = own.layers.as_ref().is_some_and(|l| !l.is_empty());
        let own_layers_invalid = own.layers.is_none() && f.written("layers");
        let mut s = own.over(known.defaults.clone());
        let timeout = s.timeout.or_else(|| f.default_duration("timeout")).unwrap_or_default();
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
                let mut f = cx.fields(n, &vocab::DEPLOYMENT)?;
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
            memory: s.memory.or_else(|| vocab::FUNCTION.default("memory")).unwrap_or_default(),
            timeout,
            ephemeral_storage: s.ephemeral_storage.or_else(|| vocab::FUNCTION.default("ephemeral_storage")).unwrap_or_default(),
            tracing: s.tracing.or_else(|| vocab::FUNCTION.default("tracing")).unwrap_or_default(),
            log_retention: s.log_retention.or_else(|| vocab::FUNCTION.default("log_retention")).unwrap_or_default(),
            environment: s.environment,
            layers: s.layers.unwrap_or_default(),
            alias: s.alias.or_else(|| vocab::FUNCTION.default("alias")).unwrap_or_default(),
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

fn async_config(cx: &mut Cx, n: &Node, declared: &Declared) -> Option<AsyncConfig> {
    let mut f = cx.fields(n, &vocab::ASYNC)?;
    let retries = f.int_or_default(cx, "retries") as u32;
    let max_event_age = f.duration_or_default(cx, "max_event_age");
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
    let mut f = cx.fields(n, &vocab::CONCURRENCY)?;
    let reserved = f.int(cx, "reserved").map(|v| v as u32);
    let provisioned = f.opt(cx, "provisioned", |cx, n| {
        if n.as_map().is_none() {
            let (lo, hi) = vocab::PROVISIONED_FIXED;
            return Some(Provisioned::Fixed(cx.int_in(n, lo, hi)? as u32));
        }
        let mut pf = cx.fields(n, &vocab::PROVISIONED)?;
        let min = pf.int(cx, "min");
        let max = pf.int(cx, "max");
        let utilization = pf
            .number(cx, "utilization")
            .or_else(|| pf.default("utilization"))
            .unwrap_or_default();
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
    if let Some(shape) = vocab::PRINCIPAL_KINDS
        .iter()
        .find(|s| s.keys[0].name == kinds[0])
    {
        f.shaped(shape);
    }
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
    let mut f = cx.fields(n, &vocab::ALARMS)?;
    let errors = f.int(cx, "errors").map(|v| v as u32);
    let throttles = f.int(cx, "throttles").map(|v| v as u32);
    let (lo, hi) = vocab::ALARMS.duration_range("duration_p99");
    let duration_p99 = f.opt(cx, "duration_p99", |cx, n| {
        let d = cx.duration_in(n, lo, hi)?;
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
        let mut nf = cx.fields(n, &vocab::ALARM_NOTIFY)?;
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
    fn role_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/existing"));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/path/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
        assert!(!is_role_arn("role/x"));
    }
}
