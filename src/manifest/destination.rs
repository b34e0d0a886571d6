//! Destinations of failed or finished invocations: a queue, a topic, a
//! function or an event bus, for async invocation and stream triggers.

use super::declared::{Declared, named_ref};
use super::decode::Cx;
use super::interp::Section;
use super::model::Destination;
use super::yaml::Node;

/// `{ queue: x }`, `{ topic: x }`, `{ function: x }` or `{ bus: name-or-arn }`,
/// limited to `kinds`.
pub fn destination(
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
