//! One trigger of a function or a state machine: which kind it is (exactly
//! one kind key per item), and the `Trigger` with its place. Each kind's
//! options are read by its own module.

mod bucket;
mod event;
mod filter;
mod http;
pub mod kind;
mod queue;
mod schedule;
mod stream;
mod topic;
mod url;

use super::decode::Cx;
use super::known::Known;
use super::model::{Duration, Trigger, TriggerKind};
use super::yaml::Node;
use crate::diagnostic::did_you_mean;
pub use kind::Kind;

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
    let kinds: Vec<Kind> = f
        .entries
        .iter()
        .filter_map(|(k, _)| Kind::from_key(&k.name))
        .collect();
    if let [first, second, ..] = kinds[..] {
        let at = f.key(second.key()).expect("present");
        cx.at(second.key(), |cx| {
            cx.error_hint(
                at.pos,
                format!(
                    "a trigger has one kind, this one names `{}` and `{}`",
                    first.key(),
                    second.key()
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
    if let Some(shape) = crate::manifest::vocab::trigger_kind(kind.key()) {
        f.shaped(shape);
    }
    // Each kind's options are read even when the kind's own value has an
    // error, so that they are checked too and not reported as unknown keys.
    let kind = match kind {
        Kind::Http => http::read(cx, &mut f, known),
        Kind::Url => url::read(cx, &mut f),
        Kind::Schedule => schedule::read(cx, &mut f),
        Kind::Queue => queue::read(cx, &mut f, known, consumer),
        Kind::Stream => stream::read(cx, &mut f, known),
        Kind::Topic => topic::read(cx, &mut f),
        Kind::Bucket => bucket::read(cx, &mut f),
        Kind::Event => event::read(cx, &mut f, known.declared),
    };
    f.finish(cx);
    // A trigger with errors is left out of the checks made across triggers
    // (routes, URLs, bucket notifications).
    Some(Trigger { kind: kind?, loc }).filter(|_| cx.diags.len() == before)
}
