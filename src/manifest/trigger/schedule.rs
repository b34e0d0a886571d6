//! The `schedule` trigger: an EventBridge `rate()` or `cron()` expression
//! (checked by `manifest::schedule`), its payload and whether it is enabled.

use crate::manifest::decode::{Cx, Fields};
use crate::manifest::model::{ScheduleTrigger, TriggerKind};
use crate::manifest::schedule as schedule_expr;

/// Reads a `schedule` trigger's keys.
pub(super) fn read(cx: &mut Cx, f: &mut Fields) -> Option<TriggerKind> {
    let schedule = f.opt(cx, "schedule", |cx, v| {
        let s = cx.nonempty(v)?;
        match schedule_expr::parse(&s) {
            Ok(s) => Some(s),
            Err(m) => {
                cx.error(v.pos, m);
                None
            }
        }
    });
    let payload = f.opt(cx, "payload", |cx, p| cx.tree(p));
    let enabled = f.flag_or_default(cx, "enabled");
    schedule.map(|schedule| {
        TriggerKind::Schedule(ScheduleTrigger {
            schedule,
            payload,
            enabled,
        })
    })
}
