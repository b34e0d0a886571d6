//! The `event` trigger: an EventBridge rule's pattern, on the default bus
//! or a named one.

use crate::manifest::buses::bus_ref;
use crate::manifest::declared::Declared;
use crate::manifest::decode::{Cx, Fields};
use crate::manifest::model::{EventTrigger, Tree, TriggerKind};
use crate::manifest::vocab;

/// Reads an `event` trigger's keys.
pub(super) fn read(cx: &mut Cx, f: &mut Fields, declared: &Declared) -> Option<TriggerKind> {
    let event = f.opt(cx, "event", |cx, v| {
        let mut ef = cx.fields(v, &vocab::EVENT_RULE)?;
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
        let bus = ef.opt(cx, "bus", |cx, b| bus_ref(cx, b, declared));
        ef.finish(cx);
        Some(EventTrigger {
            pattern: pattern?,
            bus,
        })
    });
    let bus = f.opt(cx, "bus", |cx, b| bus_ref(cx, b, declared));
    event.map(|mut e| {
        if bus.is_some() {
            e.bus = bus;
        }
        TriggerKind::Event(e)
    })
}
