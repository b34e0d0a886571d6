//! The `stream` trigger: a DynamoDB table's stream or a Kinesis stream as
//! an event source mapping, with its batching and failure handling.

use super::filter::filters;
use crate::manifest::declared::named_ref;
use crate::manifest::decode::{Cx, Fields};
use crate::manifest::destination::destination;
use crate::manifest::interp::Section;
use crate::manifest::known::Known;
use crate::manifest::model::{StartingPosition, StreamSource, StreamTrigger, TriggerKind};
use crate::manifest::yaml::Node;

/// Reads a `stream` trigger's keys.
pub(super) fn read(cx: &mut Cx, f: &mut Fields, known: &Known) -> Option<TriggerKind> {
    let source = f.opt(cx, "stream", |cx, v| stream_source(cx, v, known));
    let starting_position = f
        .word(cx, "starting_position")
        .or_else(|| f.default_word("starting_position"))
        .map(|w| match w {
            "trim_horizon" => StartingPosition::TrimHorizon,
            _ => StartingPosition::Latest,
        })
        .unwrap_or(StartingPosition::Latest);
    let batch_size = f.int_or_default(cx, "batch_size") as u32;
    let batch_window = f.duration(cx, "batch_window");
    let bisect_on_error = f.flag_or_default(cx, "bisect_on_error");
    let retries = f.int(cx, "retries");
    let max_record_age = f.duration(cx, "max_record_age");
    let parallelization = f.int(cx, "parallelization").map(|v| v as u32);
    let on_failure = f.opt(cx, "on_failure", |cx, n| {
        destination(cx, n, &["queue", "topic"], known.declared)
    });
    let report_batch_item_failures = f.flag_or_default(cx, "report_batch_item_failures");
    let filter = f.opt(cx, "filter", filters).unwrap_or_default();
    Some(TriggerKind::Stream(StreamTrigger {
        source: source?,
        starting_position,
        batch_size,
        batch_window,
        bisect_on_error,
        retries,
        max_record_age,
        parallelization,
        on_failure,
        report_batch_item_failures,
        filter,
    }))
}

fn stream_source(cx: &mut Cx, v: &Node, known: &Known) -> Option<StreamSource> {
    let mut f = cx.map(v)?;
    let table = f.get("table");
    let kinesis = f.get("kinesis");
    let out = match (table, kinesis) {
        (Some(t), None) => cx.at("table", |cx| {
            let name = named_ref(cx, t, Section::Tables)?;
            if let Some(tab) = known.tables.get(&name) {
                if tab.stream.is_none() && !known.declared.has_stream(&name) {
                    cx.error_hint(
                        t.pos,
                        format!("table `{name}` has no stream"),
                        Some(format!(
                            "set `stream: new_and_old_images` (or another view) on `tables.{name}`"
                        )),
                    );
                    return None;
                }
            }
            Some(StreamSource::Table(name))
        }),
        (None, Some(k)) => cx.at("kinesis", |cx| {
            let i = cx.interp(k)?;
            if let Some(lit) = i.as_literal() {
                if !lit.starts_with("arn:") || !lit.contains(":kinesis:") {
                    cx.error(k.pos, format!("`{lit}` is not a Kinesis stream ARN"));
                    return None;
                }
            }
            Some(StreamSource::Kinesis(i))
        }),
        _ => {
            cx.error(v.pos, "a stream trigger names either `table` or `kinesis`");
            None
        }
    };
    f.finish(cx);
    out
}
