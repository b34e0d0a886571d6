//! `state_machines`: Step Functions state machines, their definitions
//! (inline or in a file of their own) and triggers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::decode::Cx;
use super::files::{ExtraSources, Files};
use super::interp::{Ref, Section};
use super::known::Known;
use super::model::*;
use super::trigger::decode_trigger;
use super::vocab;
use super::yaml::{self, Node};

pub fn decode_state_machines(
    cx: &mut Cx,
    node: &Node,
    base: &Path,
    files: &dyn Files,
    extra: &mut ExtraSources,
    known: &Known,
) -> BTreeMap<String, StateMachine> {
    cx.named(node, "state machine", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.fields(n, &vocab::STATE_MACHINE)?;
        let ty = f
            .opt(cx, "type", |cx, n| {
                Some(match cx.one_of(n, vocab::STATE_MACHINE.words("type"))? {
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
                cx.list(n, |cx, t| decode_trigger(cx, t, known, None))
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
        let tracing = f.flag_or_default(cx, "tracing");
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
    let parsed = yaml::parse_document(&text);
    extra.push((shown.clone(), text.clone()));
    let mut inner = Cx::new(&text, shown);
    let tree = match parsed {
        Ok(doc) => {
            let root = &doc.root;
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
                if doc.duplicate_keys {
                    inner.check_duplicate_keys(root);
                }
                inner.tree(root)
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
