//! The `bucket` trigger: S3 notifications of objects created or removed,
//! by prefix and suffix.

use crate::manifest::declared::named_ref;
use crate::manifest::decode::{Cx, Fields};
use crate::manifest::interp::Section;
use crate::manifest::model::{BucketEvent, BucketTrigger, TriggerKind};
use crate::manifest::vocab;

/// Reads a `bucket` trigger's keys.
pub(super) fn read(cx: &mut Cx, f: &mut Fields) -> Option<TriggerKind> {
    let bucket = f.opt(cx, "bucket", |cx, v| named_ref(cx, v, Section::Buckets));
    let events = f
        .opt(cx, "events", |cx, e| {
            let mut v = cx.list(e, |cx, i| {
                Some(match cx.one_of(i, vocab::TRIGGER_BUCKET.words("events"))? {
                    "created" => BucketEvent::Created,
                    _ => BucketEvent::Removed,
                })
            })?;
            v.sort();
            v.dedup();
            if v.is_empty() {
                cx.error(e.pos, "list at least one event: created or removed");
                return None;
            }
            Some(v)
        })
        .unwrap_or_else(|| vec![BucketEvent::Created]);
    let prefix = f.opt(cx, "prefix", |cx, p| cx.nonempty(p));
    let suffix = f.opt(cx, "suffix", |cx, p| cx.nonempty(p));
    bucket.map(|bucket| {
        TriggerKind::Bucket(BucketTrigger {
            bucket,
            events,
            prefix,
            suffix,
        })
    })
}
