//! Parameters and stages: their declarations as read, and the lowering of
//! the stage chosen (`select`): the parameters' values for it, its defaults
//! over the app's, its tags and protection.

use std::collections::BTreeMap;

use super::declared::Declared;
use super::decode::Cx;
use super::interp::Section;
use super::merge::Merge;
use super::model::*;
use super::outputs::decode_tags;
use super::settings::{self, Settings};
use super::vocab;
use super::yaml::{Node, Value};
use crate::diagnostic::{did_you_mean, valid_logical_name, valid_name};

pub(super) struct ParamDecl {
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

pub(super) fn decode_parameters(cx: &mut Cx, node: &Node) -> Option<Vec<(String, ParamDecl)>> {
    let fields = cx.map(node)?;
    let mut out = Vec::new();
    for (k, v) in fields.entries {
        cx.at(&k.name, |cx| {
            if !valid_logical_name(&k.name) {
                cx.error(k.pos, format!("invalid parameter name `{}`: use letters and digits, starting with a letter", k.name));
                return;
            }
            let loc = cx.loc(k.pos);
            let Some(mut f) = cx.fields(v, &vocab::PARAMETER) else { return };
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
            let no_echo = f.flag_or_default(cx, "no_echo");
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

pub(super) struct StageDecl {
    name: String,
    /// Name, value, the value's place and the name's place.
    parameters: Vec<(String, String, Loc, Loc)>,
    defaults: Option<Settings>,
    tags: BTreeMap<String, String>,
    /// `protected: true`: no hotswap or watch on this stage.
    protected: bool,
    /// `account` and `region`: where the stage is deployed.
    account: Option<String>,
    region: Option<String>,
    /// Parameters whose stage value has an error, or all of them when the
    /// stage's `parameters` could not be read: they are not also reported
    /// as lacking a value.
    unreadable: Vec<String>,
    all_unreadable: bool,
}

pub(super) fn decode_stages(cx: &mut Cx, node: &Node) -> Option<Vec<StageDecl>> {
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
            let Some(mut f) = cx.fields(v, &vocab::STAGE) else {
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
            let defaults = f.opt(cx, "defaults", settings::defaults);
            let tags = f.opt(cx, "tags", |cx, n| Some(decode_tags(cx, n, "", &k.name))).unwrap_or_default();
            let protected = f.flag_or_default(cx, "protected");
            let account = f.opt(cx, "account", account);
            let region = f.opt(cx, "region", region);
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

/// The chosen stage, lowered: the parameters' values for it, its defaults
/// over the app's, its own tags and whether it is protected.
pub(super) struct Selected {
    pub(super) parameters: BTreeMap<String, Parameter>,
    pub(super) defaults: Settings,
    /// The stage's own tags, to merge over the app's.
    pub(super) tags: BTreeMap<String, String>,
    pub(super) protected: bool,
    /// The account the stage is bound to, and its region.
    pub(super) account: Option<String>,
    pub(super) region: Option<String>,
}

/// Chooses stage `name` among those declared (a stage need not be
/// declared) and lowers it over the app's `parameters` and `defaults`.
pub(super) fn select(
    cx: &mut Cx,
    parameters: &[(String, ParamDecl)],
    stages: &[StageDecl],
    app_defaults: Option<Settings>,
    name: &str,
    declared: &Declared,
    stages_unreadable: bool,
) -> Selected {
    let parameters = resolve_parameters(cx, parameters, stages, name, declared, stages_unreadable);
    let chosen = stages.iter().find(|s| s.name == name);
    Selected {
        parameters,
        defaults: chosen
            .and_then(|s| s.defaults.clone())
            .unwrap_or_default()
            .over(app_defaults.unwrap_or_default()),
        tags: chosen.map(|s| s.tags.clone()).unwrap_or_default(),
        protected: chosen.is_some_and(|s| s.protected),
        account: chosen.and_then(|s| s.account.clone()),
        region: chosen.and_then(|s| s.region.clone()),
    }
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

/// `us-east-1`, `eu-west-3`, `us-gov-west-1`, ...
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

/// `account: "123456789012"`: twelve digits, written as a string (a YAML
/// number would lose a leading zero).
pub fn account(cx: &mut Cx, n: &Node) -> Option<String> {
    if let Value::Int(_) = n.value {
        let shown = cx.string(n)?;
        cx.error_hint(
            n.pos,
            format!("write the account id as a string: `\"{shown}\"`"),
            Some("an unquoted number loses leading zeros; quote the 12 digits".into()),
        );
        return None;
    }
    let s = cx.string(n)?;
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        cx.error_hint(
            n.pos,
            format!("`{s}` is not an AWS account id (12 digits)"),
            Some("e.g. `account: \"123456789012\"`".into()),
        );
        return None;
    }
    Some(s)
}

/// `region: eu-west-1`: overrides the top-level `region` for the stage.
pub fn region(cx: &mut Cx, n: &Node) -> Option<String> {
    let s = cx.string(n)?;
    if !valid_region(&s) {
        cx.error(
            n.pos,
            format!("invalid region `{s}`: expected a region such as `us-east-1`"),
        );
        return None;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use crate::manifest::{Disk, LoadError, load_str};
    use std::path::Path;

    const STAGES: &str = "app: shop\nregion: us-east-1\nstages:\n  prod: { account: \"123456789012\", region: eu-west-1, protected: true }\nfunctions: { a: {} }\n";

    #[test]
    fn the_stage_binds_account_and_region() {
        let prod = load_str(Path::new("ferry.yaml"), STAGES, "prod", &Disk).unwrap();
        assert_eq!(prod.account.as_deref(), Some("123456789012"));
        assert_eq!(prod.region.as_deref(), Some("eu-west-1"));
        assert!(prod.protected);
        let dev = load_str(Path::new("ferry.yaml"), STAGES, "dev", &Disk).unwrap();
        assert_eq!(dev.account, None);
        assert_eq!(dev.region.as_deref(), Some("us-east-1"));
        assert!(!dev.protected);
    }

    #[test]
    fn an_account_is_twelve_digits_in_quotes() {
        let text = "app: shop\nstages:\n  prod: { account: 123456789012 }\n  qa: { account: \"1234\", region: mars }\nfunctions: { a: {} }\n";
        let Err(LoadError::Invalid { diagnostics, .. }) =
            load_str(Path::new("ferry.yaml"), text, "dev", &Disk)
        else {
            panic!("should fail")
        };
        let got: Vec<String> = diagnostics
            .iter()
            .map(|d| format!("{} {}", d.path, d.message))
            .collect();
        assert_eq!(
            got,
            [
                "stages.prod.account write the account id as a string: `\"123456789012\"`",
                "stages.qa.account `1234` is not an AWS account id (12 digits)",
                "stages.qa.region invalid region `mars`: expected a region such as `us-east-1`",
            ]
        );
    }
}
