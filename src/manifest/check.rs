//! Checks made once every section is decoded: references resolve, routes
//! are unique, and rules that span several entries hold.

use std::collections::BTreeMap;

use super::declared::Declared;
use super::decode::Cx;
use super::interp::{Attr, Ref, Section};
use super::model::*;
use crate::diagnostic::{Diagnostic, did_you_mean};

pub fn check(cx: &mut Cx, app: &App, declared: &Declared) {
    check_refs(cx, app, declared);
    check_routes(cx, app);
    check_function_urls(cx, app);
    check_bucket_overlaps(cx, app);
    check_logical_ids(cx, app);
    super::domain::check(cx, app);
}

/// Two entries whose names differ only in ways PascalCase drops (`a-1` and
/// `a1`) would share a logical ID.
fn check_logical_ids(cx: &mut Cx, app: &App) {
    use crate::names;
    let mut claims: Vec<(String, Owner, &Loc)> = Vec::with_capacity(
        4 * app.functions.len()
            + app.tables.len()
            + app.queues.len()
            + app.topics.len()
            + 2 * app.buckets.len()
            + app.layers.len()
            + 3 * app.state_machines.len(),
    );
    for (n, f) in &app.functions {
        let ids = names::FunctionIds::new(n);
        for id in [ids.function(), ids.role(), ids.alias(), ids.log_group()] {
            claims.push((id, Owner("function", n), &f.loc));
        }
    }
    for (n, t) in &app.tables {
        claims.push((names::table(n), Owner("table", n), &t.loc));
    }
    for (n, q) in &app.queues {
        claims.push((names::queue(n), Owner("queue", n), &q.loc));
    }
    for (n, t) in &app.topics {
        claims.push((names::topic(n), Owner("topic", n), &t.loc));
    }
    for (n, b) in &app.buckets {
        claims.push((names::bucket(n), Owner("bucket", n), &b.loc));
        claims.push((names::bucket_policy(n), Owner("bucket", n), &b.loc));
    }
    for (n, l) in &app.layers {
        claims.push((names::layer(n), Owner("layer", n), &l.loc));
    }
    for (n, b) in &app.buses {
        claims.push((names::bus(n), Owner("bus", n), &b.loc));
    }
    for (n, m) in &app.state_machines {
        for id in [
            names::state_machine(n),
            names::state_machine_role(n),
            names::state_machine_events_role(n),
        ] {
            claims.push((id, Owner("state machine", n), &m.loc));
        }
    }
    // Nearly always every ID is claimed once: nothing to order or report.
    if all_distinct(claims.iter().map(|(id, _, _)| id.as_str())) {
        return;
    }
    claims.sort_by_key(|(_, _, loc)| (loc.pos.line, loc.pos.column));
    let mut seen: BTreeMap<&str, (Owner, u32)> = BTreeMap::new();
    let mut reported = std::collections::BTreeSet::new();
    for (id, what, loc) in &claims {
        match seen.get(id.as_str()) {
            Some((other, line)) if other != what && reported.insert((*what, *other)) => {
                cx.report(
                    loc,
                    format!("{what} would have the logical ID `{id}`, which {other} (line {line}) has already"),
                    Some("rename one of them".into()),
                );
            }
            Some(_) => {}
            None => {
                seen.insert(id, (*what, loc.pos.line));
            }
        }
    }
}

/// What claims a logical ID: a kind of entry and its name, shown as
/// "function `a`".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Owner<'a>(&'static str, &'a str);

impl std::fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.0, self.1)
    }
}

/// Whether no key comes twice.
fn all_distinct<'k>(keys: impl ExactSizeIterator<Item = &'k str>) -> bool {
    use foldhash::HashSetExt;
    let mut set = foldhash::HashSet::with_capacity(keys.len());
    keys.into_iter().all(|k| set.insert(k))
}

fn check_refs(cx: &mut Cx, app: &App, declared: &Declared) {
    let refs = std::mem::take(&mut cx.refs);
    for site in &refs {
        let (section, name) = match &site.target {
            Ref::App | Ref::Stage | Ref::Aws(_) => continue,
            Ref::HttpUrl => {
                if !app.has_http_api() {
                    cx.report(
                        &site.loc,
                        "`${http.url}` needs an HTTP API, and no function has an `http` trigger",
                        None,
                    );
                }
                continue;
            }
            Ref::Param(name) => (Section::Parameters, name),
            Ref::Attr(section, name, _) | Ref::Named(section, name) => (*section, name),
        };
        // A section that is not a mapping has its own error; its names are
        // not known.
        if declared.is_broken(section) {
            continue;
        }
        if !declared.has(section, name) {
            let known = declared.list(section);
            let hint = did_you_mean(name, known.iter().map(String::as_str)).or_else(|| {
                Some(if known.is_empty() {
                    format!("declare it under `{}:`", section.key())
                } else {
                    format!("declared {}: {}", section.key(), known.join(", "))
                })
            });
            cx.report(
                &site.loc,
                format!("unknown {} `{name}`", section.noun()),
                hint,
            );
            continue;
        }
        if let Ref::Attr(Section::Tables, name, Attr::StreamArn) = &site.target {
            if app.tables.get(name).is_some_and(|t| t.stream.is_none())
                && !declared.has_stream(name)
            {
                cx.report(
                    &site.loc,
                    format!("table `{name}` has no stream, so no `stream_arn`"),
                    Some(format!("set `stream:` on `tables.{name}`")),
                );
            }
        }
    }
    cx.refs = refs;
}

fn check_routes(cx: &mut Cx, app: &App) {
    // In the order they are written, so that the later one is reported.
    let mut routes: Vec<(String, &str, &Loc)> = Vec::new();
    for (fname, f) in &app.functions {
        for t in &f.triggers {
            if let TriggerKind::Http(route) = &t.kind {
                routes.push((route.key(), fname, &t.loc));
            }
        }
    }
    if all_distinct(routes.iter().map(|(key, _, _)| key.as_str())) {
        return;
    }
    routes.sort_by_key(|(_, _, loc)| (loc.pos.line, loc.pos.column));
    let mut seen: BTreeMap<&str, (&str, &Loc)> = BTreeMap::new();
    for (key, fname, loc) in &routes {
        match seen.get(key.as_str()) {
            Some((owner, first)) => {
                let msg = format!(
                    "route `{key}` is declared twice (first by function `{owner}` at line {})",
                    first.pos.line
                );
                let at = Loc {
                    path: format!("{}.http", loc.path),
                    ..(*loc).clone()
                };
                cx.report(&at, msg, None);
            }
            None => {
                seen.insert(key, (fname, loc));
            }
        }
    }
}

fn check_function_urls(cx: &mut Cx, app: &App) {
    for f in app.functions.values() {
        let urls: Vec<&Trigger> = f
            .triggers
            .iter()
            .filter(|t| matches!(t.kind, TriggerKind::Url(_)))
            .collect();
        for extra in urls.iter().skip(1) {
            cx.report(&extra.loc, "a function has at most one function URL", None);
        }
    }
}

/// S3 refuses two notifications on one bucket whose events, prefixes and
/// suffixes overlap.
fn check_bucket_overlaps(cx: &mut Cx, app: &App) {
    let mut all: Vec<(&BucketTrigger, &Loc)> = Vec::new();
    for f in app.functions.values() {
        for t in &f.triggers {
            if let TriggerKind::Bucket(b) = &t.kind {
                all.push((b, &t.loc));
            }
        }
    }
    for (i, (b, loc)) in all.iter().enumerate() {
        let overlap = all[..i].iter().find(|(a, _)| {
            a.bucket == b.bucket
                && a.events.iter().any(|e| b.events.contains(e))
                && affix_overlap(&a.prefix, &b.prefix, |x, y| x.starts_with(y))
                && affix_overlap(&a.suffix, &b.suffix, |x, y| x.ends_with(y))
        });
        if let Some((_, first)) = overlap {
            cx.report(
                loc,
                format!(
                    "this notification on bucket `{}` overlaps the one at line {}: S3 refuses overlapping prefixes and suffixes for the same event",
                    b.bucket, first.pos.line
                ),
                Some("give each trigger a distinct `prefix` or `suffix`".into()),
            );
        }
    }
}

fn affix_overlap(a: &Option<String>, b: &Option<String>, contains: fn(&str, &str) -> bool) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => contains(a, b) || contains(b, a),
        _ => true,
    }
}

/// What validates but deserves a word: `*` in an action or a resource of
/// `access.policies` (the role then reaches more than the app names).
pub fn warnings(app: &App) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = app
        .functions
        .values()
        .flat_map(|f| &f.access.wildcards)
        .map(|loc| Diagnostic {
            file: loc.file.to_path_buf(),
            path: loc.path.clone(),
            pos: loc.pos,
            message:
                "`*` in a policy of `access.policies`: the function may reach more than it names"
                    .into(),
            hint: Some("name the actions and resources it needs".into()),
        })
        .collect();
    out.sort_by_key(|d| (d.pos.line, d.pos.column));
    out
}
