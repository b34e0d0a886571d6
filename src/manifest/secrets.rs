//! `secrets:`, values that never enter a template: an SSM parameter or a
//! Secrets Manager secret, by name. Functions get `access.secrets: { X:
//! read }` and read the value at run time; ferry itself only ever writes a
//! value (`ferry secrets set`), never reads one.

use std::collections::BTreeMap;

use super::decode::{Cx, RefSite};
use super::interp::{self, Part, Ref, Section};
use super::model::{Grant, Level, Secret, SecretSource};
use super::yaml::{Node, Value};

const KINDS: [&str; 2] = ["ssm", "secretsmanager"];

/// Decodes `secrets:`; `app` and `stage` resolve `${app}` and `${stage}` in
/// the names.
pub fn decode(cx: &mut Cx, node: &Node, app: &str, stage: &str) -> BTreeMap<String, Secret> {
    cx.named(node, "secret", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.map(n)?;
        let present: Vec<&str> = KINDS.iter().copied().filter(|k| f.has(k)).collect();
        if present.len() != 1 {
            // A misspelled kind is reported as an unknown key, with a hint.
            if !(present.is_empty() && KINDS.iter().any(|k| f.written(k))) {
                cx.error_hint(
                    key.pos,
                    format!(
                        "a secret names exactly one of: ssm, secretsmanager{}",
                        if present.is_empty() {
                            ""
                        } else {
                            " (not both)"
                        }
                    ),
                    Some(
                        "e.g. `{ ssm: /shop/stripe-key }` or `{ secretsmanager: shop/db }`".into(),
                    ),
                );
            }
            for k in KINDS {
                f.get(k);
            }
            f.finish(cx);
            return None;
        }
        let source = if present[0] == "ssm" {
            f.opt(cx, "ssm", |cx, v| {
                let name = literal(cx, v, app, stage)?;
                ssm_name(cx, v, &name)?;
                Some(SecretSource::Ssm(name))
            })
        } else {
            f.opt(cx, "secretsmanager", |cx, v| {
                let name = literal(cx, v, app, stage)?;
                secretsmanager_id(cx, v, &name)?;
                Some(SecretSource::SecretsManager(name))
            })
        };
        f.finish(cx);
        Some(Secret {
            source: source?,
            loc,
        })
    })
    .into_iter()
    .collect()
}

/// `access.secrets: { X: read }`. Each name is recorded for the check that
/// `secrets:` declares it.
pub fn access(cx: &mut Cx, n: &Node) -> Option<BTreeMap<String, Grant>> {
    let fields = cx.map(n)?;
    let mut out = BTreeMap::new();
    for (k, v) in fields.entries {
        cx.at(&k.name, |cx| {
            let loc = cx.loc(k.pos);
            cx.refs.push(RefSite {
                target: Ref::Named(Section::Secrets, k.name.clone()),
                loc,
            });
            if let Value::Seq(_) = v.value {
                cx.error_hint(
                    v.pos,
                    "a secret is granted as `read`, not as a list of actions",
                    Some("write `read`: GetParameter or GetSecretValue on this secret, and kms:Decrypt through that service".into()),
                );
                return;
            }
            if cx.one_of(v, &["read"]).is_some() {
                out.insert(k.name.clone(), Grant::Level(Level::Read));
            }
        });
    }
    Some(out)
}

/// A string in which only `${app}` and `${stage}` may be used, resolved
/// here: names ferry needs as text (secret names, domain names).
pub fn literal(cx: &mut Cx, n: &Node, app: &str, stage: &str) -> Option<String> {
    let text = cx.nonempty(n)?;
    let parsed = match interp::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            let pos = cx.pos_within(n, &text, e.offset);
            cx.error_hint(pos, e.message, e.hint);
            return None;
        }
    };
    let mut out = String::new();
    for p in &parsed.parts {
        match p {
            Part::Lit(l) => out.push_str(l),
            Part::Ref {
                target: Ref::App, ..
            } => out.push_str(app),
            Part::Ref {
                target: Ref::Stage, ..
            } => out.push_str(stage),
            Part::Ref { target, offset } => {
                let pos = cx.pos_within(n, &text, *offset);
                cx.error_hint(
                    pos,
                    format!(
                        "`{target}` cannot be used here: this name must be known before deploying"
                    ),
                    Some("only `${app}` and `${stage}` can be used in it".into()),
                );
                return None;
            }
        }
    }
    Some(out)
}

/// SSM parameter names: letters, digits, `_`, `.`, `-` and `/`; a name
/// with a `/` is a path and starts with one.
fn ssm_name(cx: &mut Cx, n: &Node, name: &str) -> Option<()> {
    if name.starts_with("arn:") {
        cx.error_hint(
            n.pos,
            format!("`{name}` is an ARN: `ssm` takes the parameter's name"),
            Some("e.g. `/shop/stripe-key`".into()),
        );
        return None;
    }
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b));
    if !chars_ok || name.len() > 1011 {
        cx.error_hint(
            n.pos,
            format!("invalid SSM parameter name `{name}`"),
            Some("letters, digits, `_`, `.`, `-` and `/`, at most 1011 characters".into()),
        );
        return None;
    }
    if name.contains('/') && !name.starts_with('/') {
        cx.error_hint(
            n.pos,
            format!("the SSM parameter name `{name}` is a path but does not start with `/`"),
            Some(format!("write `/{name}`")),
        );
        return None;
    }
    if name.ends_with('/') || name.contains("//") {
        cx.error_hint(
            n.pos,
            format!("invalid SSM parameter name `{name}`: an empty path segment"),
            Some("e.g. `/shop/stripe-key`".into()),
        );
        return None;
    }
    Some(())
}

/// A Secrets Manager secret's name, or its ARN.
fn secretsmanager_id(cx: &mut Cx, n: &Node, id: &str) -> Option<()> {
    if id.starts_with("arn:") {
        let parts: Vec<&str> = id.splitn(7, ':').collect();
        let ok = matches!(parts.as_slice(), ["arn", partition, "secretsmanager", region, account, "secret", name]
            if partition.starts_with("aws") && !region.is_empty()
                && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty());
        if !ok {
            cx.error_hint(
                n.pos,
                format!("`{id}` is not a Secrets Manager secret ARN"),
                Some("arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-abcdef, or the secret's name".into()),
            );
            return None;
        }
        return Some(());
    }
    let ok = id.len() <= 512
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
    if !ok {
        cx.error_hint(
            n.pos,
            format!("invalid Secrets Manager secret name `{id}`"),
            Some(
                "letters, digits and `/_+=.@-`, at most 512 characters, or the secret's ARN".into(),
            ),
        );
        return None;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use crate::manifest::model::SecretSource;
    use crate::manifest::{Disk, LoadError, load_str};
    use std::path::Path;

    fn errors(text: &str) -> Vec<String> {
        match load_str(Path::new("ferry.yaml"), text, "prod", &Disk) {
            Ok(_) => vec![],
            Err(LoadError::Invalid { diagnostics, .. }) => diagnostics
                .into_iter()
                .map(|d| format!("{} {}", d.path, d.message))
                .collect(),
            Err(LoadError::Plain(m)) => vec![m],
        }
    }

    #[test]
    fn names_resolve_app_and_stage() {
        let app = load_str(
            Path::new("ferry.yaml"),
            "app: shop\nsecrets:\n  key: { ssm: \"/${app}/${stage}/key\" }\n  db: { secretsmanager: shop/db }\nfunctions:\n  a: { access: { secrets: { key: read, db: read } } }\n",
            "prod",
            &Disk,
        )
        .unwrap();
        assert_eq!(
            app.secrets["key"].source,
            SecretSource::Ssm("/shop/prod/key".into())
        );
        assert_eq!(app.secrets["db"].kind(), "secretsmanager");
    }

    #[test]
    fn each_mistake_is_reported_at_its_key() {
        let e = errors(
            "app: shop\nsecrets:\n  both: { ssm: /a, secretsmanager: b }\n  neither: {}\n  path: { ssm: shop/key }\n  arn: { secretsmanager: \"arn:aws:secretsmanager:eu-west-1:1234:secret:x\" }\n  refs: { ssm: \"/x/${aws.region}\" }\nfunctions:\n  a: { access: { secrets: { nope: read, both: [GetParameter] } } }\n",
        );
        let joined = e.join("\n");
        for want in [
            "secrets.both a secret names exactly one of: ssm, secretsmanager (not both)",
            "secrets.neither a secret names exactly one of",
            "secrets.path.ssm the SSM parameter name `shop/key` is a path but does not start with `/`",
            "secrets.arn.secretsmanager `arn:aws:secretsmanager:eu-west-1:1234:secret:x` is not a Secrets Manager secret ARN",
            "secrets.refs.ssm `${aws.region}` cannot be used here",
            "functions.a.access.secrets.nope unknown secret `nope`",
            "functions.a.access.secrets.both a secret is granted as `read`",
        ] {
            assert!(joined.contains(want), "missing {want:?} in\n{joined}");
        }
    }
}
