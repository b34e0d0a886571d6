//! The resource sections: tables, queues, topics, buckets and layers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::declared::named_ref;
use super::decode::{Cx, Fields};
use super::files::Files;
use super::interp::Section;
use super::model::*;
use super::settings;
use super::vocab;
use super::yaml::{self, Node};

fn attr_type(cx: &mut Cx, n: &Node) -> Option<AttrType> {
    Some(match cx.one_of(n, vocab::KEY_ATTR_MAP.words("type"))? {
        "string" => AttrType::String,
        "number" => AttrType::Number,
        _ => AttrType::Binary,
    })
}

/// A key attribute: `RideId` (a string attribute) or `{ name, type }`. The
/// type is `None` when not written.
fn key_attr(cx: &mut Cx, n: &Node) -> Option<(String, Option<AttrType>, yaml::Pos)> {
    if n.as_map().is_some() {
        let mut f = cx.fields(n, &vocab::KEY_ATTR_MAP)?;
        let name = f.req(cx, "name", |cx, n| cx.nonempty(n));
        let ty = f.opt(cx, "type", attr_type);
        f.finish(cx);
        return Some((name?, ty, n.pos));
    }
    Some((cx.nonempty(n)?, None, n.pos))
}

fn billing(cx: &mut Cx, n: &Node) -> Option<Billing> {
    if n.as_map().is_some() {
        let mut f = cx.fields(n, &vocab::PROVISIONED_BILLING)?;
        let read = f.int(cx, "read");
        let write = f.int(cx, "write");
        f.finish(cx);
        return Some(Billing::Provisioned {
            read: read? as u32,
            write: write? as u32,
        });
    }
    match cx.string(n)?.as_str() {
        "on_demand" => Some(Billing::OnDemand),
        other => {
            cx.error_hint(
                n.pos,
                format!("unknown billing `{other}`"),
                Some("use `on_demand` or `{ read: N, write: N }`".into()),
            );
            None
        }
    }
}

pub fn decode_tables(cx: &mut Cx, node: &Node) -> BTreeMap<String, Table> {
    cx.named(node, "table", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.fields(n, &vocab::TABLE)?;
        // Attribute types: declared ones first, then shorthand index keys
        // take the declared type.
        let mut types: BTreeMap<String, (AttrType, Loc)> = BTreeMap::new();
        let mut declare = |cx: &mut Cx, name: &str, ty: AttrType, pos: yaml::Pos| {
            match types.get(name) {
                Some((t, first)) if *t != ty => {
                    let line = first.pos.line;
                    cx.error(
                        pos,
                        format!(
                            "attribute `{name}` is declared as {} here and as {} at line {line}",
                            type_word(ty),
                            type_word(*t)
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    types.insert(name.to_string(), (ty, cx.loc(pos)));
                }
            }
        };
        let pk = f.req(cx, "partition_key", |cx, n| {
            let (name, ty, pos) = key_attr(cx, n)?;
            let ty = ty.unwrap_or(AttrType::String);
            declare(cx, &name, ty, pos);
            Some(KeyAttr { name, ty })
        });
        let sk = f.opt(cx, "sort_key", |cx, n| {
            let (name, ty, pos) = key_attr(cx, n)?;
            let ty = ty.unwrap_or(AttrType::String);
            if pk.as_ref().is_some_and(|p| p.name == name) {
                cx.error(pos, format!("the sort key `{name}` is also the partition key"));
                return None;
            }
            declare(cx, &name, ty, pos);
            Some(KeyAttr { name, ty })
        });
        let table_billing = f.opt(cx, "billing", billing).unwrap_or(Billing::OnDemand);
        let stream = f.opt(cx, "stream", |cx, n| {
            Some(match cx.one_of(n, vocab::TABLE.words("stream"))? {
                "new_image" => StreamView::NewImage,
                "old_image" => StreamView::OldImage,
                "new_and_old_images" => StreamView::NewAndOldImages,
                _ => StreamView::KeysOnly,
            })
        });
        let ttl = f.opt(cx, "ttl", |cx, n| cx.nonempty(n));
        // Indexes: read the raw key declarations, then settle types.
        struct RawIndex {
            name: String,
            pk: (String, Option<AttrType>, yaml::Pos),
            sk: Option<(String, Option<AttrType>, yaml::Pos)>,
            projection: Projection,
            billing: Option<Billing>,
            path: String,
        }
        let raw_indexes: Vec<RawIndex> = f
            .opt(cx, "indexes", |cx, n| {
                let fields = cx.map(n)?;
                let mut out = Vec::new();
                for (ik, iv) in fields.entries {
                    cx.at(&ik.name, |cx| {
                        if !valid_index_name(&ik.name) {
                            cx.error(ik.pos, format!("invalid index name `{}`: 3 to 255 letters, digits, `_`, `-` or `.`", ik.name));
                            return;
                        }
                        let Some(mut f) = cx.fields(iv, &vocab::INDEX) else { return };
                        let ipk = f.req(cx, "partition_key", key_attr);
                        let isk = f.opt(cx, "sort_key", key_attr);
                        let projection = f
                            .opt(cx, "projection", |cx, n| {
                                if n.as_map().is_some() || matches!(n.value, yaml::Value::Seq(_)) {
                                    return Some(Projection::Include(cx.list(n, |cx, i| cx.nonempty(i))?));
                                }
                                Some(match cx.one_of(n, vocab::INDEX.words("projection"))? {
                                    "all" => Projection::All,
                                    _ => Projection::KeysOnly,
                                })
                            })
                            .unwrap_or(Projection::All);
                        let ibilling = f.opt(cx, "billing", billing);
                        f.finish(cx);
                        if let Some(pk) = ipk {
                            out.push(RawIndex {
                                name: ik.name.clone(),
                                pk,
                                sk: isk,
                                projection,
                                billing: ibilling,
                                path: cx.path(),
                            });
                        }
                    });
                }
                Some(out)
            })
            .unwrap_or_default();
        for ix in &raw_indexes {
            let keys = std::iter::once(("partition_key", &ix.pk))
                .chain(ix.sk.iter().map(|k| ("sort_key", k)));
            for (which, (name, ty, pos)) in keys {
                if let Some(t) = ty {
                    cx.at("indexes", |cx| {
                        cx.at(&ix.name, |cx| cx.at(which, |cx| declare(cx, name, *t, *pos)))
                    });
                }
            }
        }
        let mut indexes = BTreeMap::new();
        for ix in raw_indexes {
            let settle = |(name, ty, _): (String, Option<AttrType>, yaml::Pos)| {
                let ty = ty.or_else(|| types.get(&name).map(|(t, _)| *t)).unwrap_or(AttrType::String);
                KeyAttr { name, ty }
            };
            let _ = ix.path;
            indexes.insert(
                ix.name,
                Index {
                    partition_key: settle(ix.pk),
                    sort_key: ix.sk.map(settle),
                    projection: ix.projection,
                    billing: ix.billing,
                },
            );
        }
        let point_in_time_recovery = f.flag_or_default(cx, "point_in_time_recovery");
        let retain = f.flag_or_default(cx, "retain");
        let deletion_protection = f.flag_or_default(cx, "deletion_protection");
        f.finish(cx);
        Some(Table {
            partition_key: pk?,
            sort_key: sk,
            billing: table_billing,
            stream,
            ttl,
            indexes,
            point_in_time_recovery,
            retain,
            deletion_protection,
            loc,
        })
    })
    .into_iter()
    .collect()
}

fn type_word(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "string",
        AttrType::Number => "number",
        AttrType::Binary => "binary",
    }
}

fn valid_index_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

// ---- queues, topics, buckets ----

/// `fifo` and `content_based_deduplication` of a queue or a topic; the
/// second needs the first.
fn fifo(cx: &mut Cx, f: &mut Fields) -> (bool, bool) {
    let fifo = f.flag_or_default(cx, "fifo");
    let dedup = f.flag_or_default(cx, "content_based_deduplication");
    if dedup && !fifo {
        if let Some(k) = f.key("content_based_deduplication") {
            cx.at("content_based_deduplication", |cx| {
                cx.error(k.pos, "content-based deduplication needs `fifo: true`")
            });
        }
    }
    (fifo, dedup)
}

pub fn decode_queues(cx: &mut Cx, node: &Node) -> BTreeMap<String, Queue> {
    // Where each queue names its dead-letter queue, for the checks below.
    let mut dead_letter_locs: BTreeMap<String, Loc> = BTreeMap::new();
    let queues: Vec<(String, Queue)> = cx.named(node, "queue", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.fields(n, &vocab::QUEUE)?;
        let (fifo, content_based_deduplication) = fifo(cx, &mut f);
        let visibility_loc = f
            .get("visibility_timeout")
            .map(|n| cx.at("visibility_timeout", |cx| cx.loc(n.pos)));
        let visibility_timeout = f.duration_or_default(cx, "visibility_timeout");
        let retention = f.duration_or_default(cx, "retention");
        let delay = f.duration_or_default(cx, "delay");
        let dead_letter = f.opt(cx, "dead_letter", |cx, n| {
            let mut f = cx.fields(n, &vocab::DEAD_LETTER)?;
            let queue = f.req(cx, "queue", |cx, n| {
                dead_letter_locs.insert(key.name.clone(), cx.loc(n.pos));
                named_ref(cx, n, Section::Queues)
            });
            let max_receives = f.int_or_default(cx, "max_receives");
            f.finish(cx);
            Some(DeadLetter {
                queue: queue?,
                max_receives: max_receives as u32,
            })
        });
        f.finish(cx);
        Some(Queue {
            fifo,
            content_based_deduplication,
            visibility_timeout,
            retention,
            delay,
            dead_letter,
            loc,
            visibility_loc,
        })
    });
    let map: BTreeMap<String, Queue> = queues.into_iter().collect();
    // A dead-letter queue must be of the same kind (FIFO or standard) and
    // not the queue itself.
    for (name, q) in &map {
        let Some(dl) = &q.dead_letter else { continue };
        let Some(loc) = dead_letter_locs.get(name) else {
            continue;
        };
        if dl.queue == *name {
            cx.report(
                loc,
                format!("queue `{name}` cannot be its own dead-letter queue"),
                None,
            );
        } else if let Some(target) = map.get(&dl.queue) {
            if target.fifo != q.fifo {
                cx.report(
                    loc,
                    format!(
                        "the dead-letter queue of a {} queue must be {} too: `{}` is not",
                        if q.fifo { "FIFO" } else { "standard" },
                        if q.fifo { "FIFO" } else { "standard" },
                        dl.queue
                    ),
                    None,
                );
            }
        }
    }
    map
}

pub fn decode_topics(cx: &mut Cx, node: &Node) -> BTreeMap<String, Topic> {
    cx.named(node, "topic", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.fields(n, &vocab::TOPIC)?;
        let (fifo, content_based_deduplication) = fifo(cx, &mut f);
        f.finish(cx);
        Some(Topic {
            loc,
            fifo,
            content_based_deduplication,
        })
    })
    .into_iter()
    .collect()
}

pub fn decode_buckets(cx: &mut Cx, node: &Node) -> BTreeMap<String, Bucket> {
    cx.named(node, "bucket", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.fields(n, &vocab::BUCKET)?;
        let versioned = f.flag_or_default(cx, "versioned");
        let retain = f.flag_or_default(cx, "retain");
        f.finish(cx);
        Some(Bucket {
            versioned,
            retain,
            loc,
        })
    })
    .into_iter()
    .collect()
}

pub fn decode_layers(
    cx: &mut Cx,
    node: &Node,
    base: &Path,
    files: &dyn Files,
) -> BTreeMap<String, Layer> {
    cx.named(node, "layer", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let mut f = cx.fields(n, &vocab::LAYER)?;
        let path = f.req(cx, "path", |cx, n| {
            let p = PathBuf::from(cx.nonempty(n)?);
            if !files.is_dir(&base.join(&p)) {
                cx.error(
                    n.pos,
                    format!("layer folder `{}` does not exist", p.display()),
                );
                return None;
            }
            Some(p)
        });
        let architectures = f
            .opt(cx, "architectures", |cx, n| {
                let v = cx.list(n, settings::architecture)?;
                at_least_one(cx, n, v, "architecture")
            })
            .unwrap_or_else(|| vec![Architecture::Arm64, Architecture::X86_64]);
        let runtimes = f
            .opt(cx, "runtimes", |cx, n| {
                let v = cx.list(n, settings::runtime)?;
                at_least_one(cx, n, v, "runtime")
            })
            .unwrap_or_else(|| {
                let today = today_utc();
                Lifecycle::usable_on(&today).map(|l| l.runtime).collect()
            });
        let description = f.opt(cx, "description", |cx, n| cx.string(n));
        f.finish(cx);
        Some(Layer {
            loc,
            path: path?,
            architectures,
            runtimes,
            description,
        })
    })
    .into_iter()
    .collect()
}

/// A list that must not be empty: leaving the key out means "all".
fn at_least_one<T>(cx: &mut Cx, n: &Node, v: Vec<T>, what: &str) -> Option<Vec<T>> {
    if v.is_empty() {
        cx.error(
            n.pos,
            format!("list at least one {what}, or leave the key out for all"),
        );
        return None;
    }
    Some(v)
}
