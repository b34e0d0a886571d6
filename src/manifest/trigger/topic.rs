//! The `topic` trigger: an SNS subscription with an optional filter
//! policy.

use crate::manifest::declared::named_ref;
use crate::manifest::decode::{Cx, Fields};
use crate::manifest::interp::Section;
use crate::manifest::model::{TopicTrigger, Tree, TriggerKind};

/// Reads a `topic` trigger's keys.
pub(super) fn read(cx: &mut Cx, f: &mut Fields) -> Option<TriggerKind> {
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
