//! `outputs` (the stack's own outputs, beside those ferry generates) and
//! `tags` (the stack tags, of the app and of a stage).

use std::collections::BTreeMap;

use super::decode::Cx;
use super::interp::{Interp, Part, Ref};
use super::yaml::Node;
use crate::diagnostic::valid_logical_name;

pub fn decode_outputs(
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
pub fn decode_tags(cx: &mut Cx, node: &Node, app: &str, stage: &str) -> BTreeMap<String, String> {
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
                Part::Lit(l) => s.push_str(l),
                Part::Ref {
                    target: Ref::App, ..
                } => s.push_str(app),
                Part::Ref {
                    target: Ref::Stage, ..
                } => s.push_str(stage),
                Part::Ref { .. } => ok = false,
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
