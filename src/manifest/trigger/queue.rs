//! The `queue` trigger: an SQS event source mapping, its batching, and
//! the rule that a queue's visibility timeout covers its consumer's.

use super::filter::filters;
use crate::manifest::declared::named_ref;
use crate::manifest::decode::{Cx, Fields};
use crate::manifest::interp::Section;
use crate::manifest::known::Known;
use crate::manifest::model::{Duration, QueueTrigger, TriggerKind};
use crate::manifest::vocab;

/// Reads a `queue` trigger's keys. `consumer` is the function's name and
/// timeout, when known.
pub(super) fn read(
    cx: &mut Cx,
    f: &mut Fields,
    known: &Known,
    consumer: Option<(&str, Duration)>,
) -> Option<TriggerKind> {
    let queue = f.opt(cx, "queue", |cx, v| named_ref(cx, v, Section::Queues));
    let target = queue.as_ref().and_then(|q| known.queues.get(q));
    let name = queue.as_deref().unwrap_or_default();
    let fifo = target.is_some_and(|q| q.fifo);
    let (lo, hi) = vocab::TRIGGER_QUEUE.int_range("batch_size");
    // A FIFO queue takes batches of at most 10.
    let hi = if fifo { hi.min(10) } else { hi };
    let batch_size = f
        .opt(cx, "batch_size", |cx, n| cx.int_in(n, lo, hi))
        .or_else(|| f.default("batch_size"))
        .unwrap_or_default() as u32;
    let batch_window = f.duration(cx, "batch_window");
    if fifo && batch_window.is_some() {
        let k = f.key("batch_window").expect("read");
        cx.at("batch_window", |cx| {
            cx.error(
                k.pos,
                format!(
                    "queue `{name}` is FIFO: Lambda does not allow a batch window on FIFO queues"
                ),
            )
        });
    }
    let window_invalid = batch_window.is_none() && f.written("batch_window");
    if batch_size > 10 && batch_window.is_none_or(|w| w.0 == 0) && !fifo && !window_invalid {
        let k = f.key("batch_size").expect("read");
        cx.at("batch_size", |cx| {
            cx.error_hint(
                k.pos,
                format!("a batch size above 10 ({batch_size}) needs a batch window"),
                Some("add `batch_window: 1s` or more".into()),
            )
        });
    }
    let max_concurrency = f.int(cx, "max_concurrency").map(|v| v as u32);
    let report_batch_item_failures = f.flag_or_default(cx, "report_batch_item_failures");
    let filter = f.opt(cx, "filter", filters).unwrap_or_default();
    if let (Some(q), Some((consumer, timeout))) = (target, consumer) {
        let need = timeout.0 * 6;
        if q.visibility_timeout.0 < need {
            let loc = q.visibility_loc.clone().unwrap_or_else(|| q.loc.clone());
            cx.report(
                &loc,
                format!(
                    "queue `{name}` has a visibility timeout of {}, less than 6 × the timeout of its consumer `{consumer}` ({} × 6 = {})",
                    q.visibility_timeout,
                    timeout,
                    Duration(need)
                ),
                Some(format!("set `visibility_timeout: {}` or more", Duration(need))),
            );
        }
    }
    Some(TriggerKind::Queue(QueueTrigger {
        queue: queue?,
        batch_size,
        batch_window,
        max_concurrency,
        report_batch_item_failures,
        filter,
    }))
}
