//! `ferry logs`: the events of one or more functions' log groups merged by
//! time, each line prefixed with its function, JSON lines of `tracing`'s
//! formatter shown as `LEVEL message key=value`, and a cursor that follows
//! the groups without gaps or duplicates.
//!
//! Pure but for [`Tail::poll`], which fetches the events through
//! `aws::Logs`; `ferry logs` (`cli::stack`) and `ferry watch` print what it
//! returns.

use std::collections::BTreeMap;

use crate::aws::{AwsResult, LogEvent, Logs};
use crate::manifest::model::App;
use crate::names;

/// How far back each poll of `--follow` looks again: CloudWatch Logs may
/// deliver an event a while after its timestamp, and such an event must
/// not be skipped. Events seen before are recognised by their id.
pub const LATE_MS: i64 = 60_000;

/// How long `--follow` waits between polls of `groups` log groups: 2 s,
/// longer for many groups, so that one `FilterLogEvents` per group stays
/// within CloudWatch Logs' default rate of 5 calls per second.
pub fn poll_interval(groups: usize) -> std::time::Duration {
    std::time::Duration::from_secs(2.max(groups.div_ceil(5) as u64))
}

/// The server-side filter pattern, and a request id left to check on each
/// message (when `--filter` already takes the pattern).
pub fn pattern(filter: Option<&str>, request_id: Option<&str>) -> (Option<String>, Option<String>) {
    match (filter, request_id) {
        (Some(f), id) => (Some(f.to_string()), id.map(String::from)),
        (None, Some(id)) => (Some(format!("\"{}\"", id.replace('"', ""))), None),
        (None, None) => (None, None),
    }
}

/// One event of one function.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub function: String,
    pub event: LogEvent,
}

/// The events of several functions in time order (ties by function, then
/// by the order CloudWatch gave them).
pub fn merge(per_function: Vec<(String, Vec<LogEvent>)>) -> Vec<Line> {
    let mut lines: Vec<Line> = per_function
        .into_iter()
        .flat_map(|(f, events)| {
            events.into_iter().map(move |event| Line {
                function: f.clone(),
                event,
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        (a.event.timestamp_ms, &a.function).cmp(&(b.event.timestamp_ms, &b.function))
    });
    lines
}

/// What `--follow` has printed: each poll asks from `start()` and prints
/// only what `admit` lets through.
#[derive(Clone, Debug)]
pub struct Cursor {
    from_ms: i64,
    newest_ms: Option<i64>,
    /// Keys of the events printed within the look-back window.
    seen: BTreeMap<String, i64>,
}

impl Cursor {
    pub fn new(from_ms: i64) -> Self {
        Cursor {
            from_ms,
            newest_ms: None,
            seen: BTreeMap::new(),
        }
    }

    /// The start time of the next query.
    pub fn start(&self) -> i64 {
        match self.newest_ms {
            Some(n) => self.from_ms.max(n - LATE_MS),
            None => self.from_ms,
        }
    }

    /// The lines not printed yet, in time order; remembers them.
    pub fn admit(&mut self, lines: Vec<Line>) -> Vec<Line> {
        let mut fresh = Vec::new();
        for l in lines {
            let key = key(&l);
            if l.event.timestamp_ms < self.from_ms || self.seen.contains_key(&key) {
                continue;
            }
            self.seen.insert(key, l.event.timestamp_ms);
            self.newest_ms = Some(
                self.newest_ms
                    .map_or(l.event.timestamp_ms, |n| n.max(l.event.timestamp_ms)),
            );
            fresh.push(l);
        }
        let start = self.start();
        self.seen.retain(|_, ts| *ts >= start);
        fresh
    }
}

/// The log groups of some functions, followed from a time with a
/// [`Cursor`]: each poll returns the lines not returned before.
#[derive(Clone, Debug)]
pub struct Tail {
    /// Function -> log group.
    groups: Vec<(String, String)>,
    /// The server-side filter pattern.
    pattern: Option<String>,
    /// A request id each message must contain (see [`pattern`]).
    must_contain: Option<String>,
    cursor: Cursor,
}

impl Tail {
    /// Follows `functions` of `app` from `from_ms`, with `--filter` and
    /// `--request-id` when given.
    pub fn new(
        app: &App,
        functions: &[String],
        from_ms: i64,
        filter: Option<&str>,
        request_id: Option<&str>,
    ) -> Self {
        let (pattern, must_contain) = pattern(filter, request_id);
        Tail {
            groups: functions
                .iter()
                .map(|f| {
                    let group = names::log_group(&names::physical(&app.name, &app.stage, f));
                    (f.clone(), group)
                })
                .collect(),
            pattern,
            must_contain,
            cursor: Cursor::new(from_ms),
        }
    }

    /// How long to wait before the next poll ([`poll_interval`]).
    pub fn interval(&self) -> std::time::Duration {
        poll_interval(self.groups.len())
    }

    /// The new lines of every group, in time order. When a group cannot be
    /// read the poll fails and the cursor stays where it was, so that the
    /// next poll returns what this one would have.
    pub async fn poll<A: Logs>(&mut self, aws: &A) -> AwsResult<Vec<Line>> {
        let start = self.cursor.start();
        let mut per_function = Vec::new();
        for (function, group) in &self.groups {
            let events = aws
                .log_events(group, start, self.pattern.as_deref())
                .await?;
            per_function.push((function.clone(), events));
        }
        let must_contain = self.must_contain.as_deref();
        Ok(self
            .cursor
            .admit(merge(per_function))
            .into_iter()
            .filter(|l| must_contain.is_none_or(|id| l.event.message.contains(id)))
            .collect())
    }
}

fn key(l: &Line) -> String {
    if l.event.id.is_empty() {
        format!(
            "{}/{}/{}/{}",
            l.function, l.event.stream, l.event.timestamp_ms, l.event.message
        )
    } else {
        format!("{}/{}", l.function, l.event.id)
    }
}

/// A log message for people: a JSON line of `tracing`'s formatter (or
/// Lambda's JSON log format) as `LEVEL message key=value ...`; anything
/// else as it is, without its trailing newline.
pub fn message(raw: &str) -> String {
    let text = raw.trim_end();
    let Some(serde_json::Value::Object(top)) = text
        .starts_with('{')
        .then(|| serde_json::from_str::<serde_json::Value>(text).ok())
        .flatten()
    else {
        return text.to_string();
    };
    let Some(level) = top.get("level").and_then(|l| l.as_str()) else {
        return text.to_string();
    };
    let fields = top.get("fields").and_then(|f| f.as_object());
    let msg = fields
        .and_then(|f| f.get("message"))
        .or_else(|| top.get("message"))
        .map(scalar)
        .unwrap_or_default();
    let mut out = format!("{level} {msg}");
    let mut pairs: Vec<(String, String)> = Vec::new();
    match fields {
        Some(f) => {
            pairs.extend(
                f.iter()
                    .filter(|(k, _)| *k != "message")
                    .map(|(k, v)| (k.clone(), scalar(v))),
            );
            if let Some(span) = top.get("span").and_then(|s| s.as_object()) {
                pairs.extend(
                    span.iter()
                        .filter(|(k, _)| *k != "name")
                        .map(|(k, v)| (k.clone(), scalar(v))),
                );
            }
        }
        None => pairs.extend(
            top.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "timestamp" | "level" | "message" | "type"))
                .map(|(k, v)| (k.clone(), scalar(v))),
        ),
    }
    for (k, v) in pairs {
        out.push_str(&format!(" {k}={v}"));
    }
    out
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The 256-colour terminal codes of function names: cyan, yellow,
/// magenta, green, blue and their bright variants (no red: it reads as an
/// error).
pub const PALETTE: [u8; 10] = [6, 3, 5, 2, 4, 14, 11, 13, 10, 12];

/// A colour per function, the same in every run of the same app: by the
/// function's place among the app's functions, so that neighbours differ.
pub fn colour<'a>(functions: impl IntoIterator<Item = &'a String>, function: &str) -> u8 {
    let i = functions
        .into_iter()
        .position(|f| f == function)
        .unwrap_or(0);
    PALETTE[i % PALETTE.len()]
}

/// `2026-12-02T06:50:08.123Z`: UTC, always three digits of milliseconds.
pub fn time(ms: i64) -> String {
    let whole = aws_smithy_types::DateTime::from_secs(ms.div_euclid(1000))
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| ms.to_string());
    match whole.strip_suffix('Z') {
        Some(s) => format!("{s}.{:03}Z", ms.rem_euclid(1000)),
        None => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsError;
    use std::sync::Mutex;

    /// Log groups by name, and the (group, start, pattern) of each call.
    #[derive(Default)]
    struct Groups {
        events: BTreeMap<String, Vec<LogEvent>>,
        failing: Option<String>,
        calls: Mutex<Vec<(String, i64, Option<String>)>>,
    }

    impl Logs for Groups {
        async fn log_events(
            &self,
            group: &str,
            start_ms: i64,
            pattern: Option<&str>,
        ) -> AwsResult<Vec<LogEvent>> {
            self.calls.lock().unwrap().push((
                group.to_string(),
                start_ms,
                pattern.map(String::from),
            ));
            if self.failing.as_deref() == Some(group) {
                return Err(AwsError {
                    code: Some("ThrottlingException".into()),
                    message: "Rate exceeded".into(),
                });
            }
            Ok(self.events.get(group).cloned().unwrap_or_default())
        }
    }

    fn tail_app() -> App {
        crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            "app: shop\nfunctions:\n  api: {}\n  worker: {}\n",
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"))
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_tail_merges_its_groups_and_returns_each_line_once() {
        let app = tail_app();
        let functions = ["api".to_string(), "worker".to_string()];
        let mut aws = Groups::default();
        aws.events.insert(
            "/aws/lambda/shop-dev-api".into(),
            vec![
                ev("a1", 1_000, "START RequestId: r1"),
                ev("a2", 3_000, "r2 done"),
            ],
        );
        aws.events.insert(
            "/aws/lambda/shop-dev-worker".into(),
            vec![ev("w1", 2_000, "r1 working")],
        );
        let mut tail = Tail::new(&app, &functions, 500, None, None);
        let lines = run(tail.poll(&aws)).unwrap();
        let order: Vec<&str> = lines.iter().map(|l| l.event.id.as_str()).collect();
        assert_eq!(order, ["a1", "w1", "a2"]);
        assert!(run(tail.poll(&aws)).unwrap().is_empty(), "nothing twice");
        let calls = aws.calls.lock().unwrap().clone();
        assert_eq!(calls[0], ("/aws/lambda/shop-dev-api".into(), 500, None));

        // --request-id alone becomes the pattern; with --filter, it is
        // checked on each message.
        let mut by_id = Tail::new(&app, &functions, 500, Some("ERROR"), Some("r1"));
        let lines = run(by_id.poll(&aws)).unwrap();
        let order: Vec<&str> = lines.iter().map(|l| l.event.id.as_str()).collect();
        assert_eq!(order, ["a1", "w1"]);
        assert_eq!(
            aws.calls.lock().unwrap().last().unwrap().2.as_deref(),
            Some("ERROR")
        );
    }

    #[test]
    fn a_failed_poll_keeps_the_cursor() {
        let app = tail_app();
        let functions = ["api".to_string(), "worker".to_string()];
        let mut aws = Groups::default();
        aws.events.insert(
            "/aws/lambda/shop-dev-api".into(),
            vec![ev("a1", 1_000, "hello")],
        );
        aws.failing = Some("/aws/lambda/shop-dev-worker".into());
        let mut tail = Tail::new(&app, &functions, 0, None, None);
        let e = run(tail.poll(&aws)).unwrap_err();
        assert_eq!(e.code.as_deref(), Some("ThrottlingException"));
        aws.failing = None;
        let lines = run(tail.poll(&aws)).unwrap();
        assert_eq!(lines.len(), 1, "the line of the failed poll comes now");
    }

    fn ev(id: &str, ts: i64, msg: &str) -> LogEvent {
        LogEvent {
            id: id.into(),
            timestamp_ms: ts,
            stream: "s".into(),
            message: msg.into(),
        }
    }

    #[test]
    fn tracing_json_lines_read_as_level_message_fields() {
        let line = r#"{"timestamp":"2026-12-02T06:00:00Z","level":"INFO","fields":{"message":"ride recorded","ride_id":"r-1","count":2},"target":"request_unicorn","span":{"requestId":"abc","name":"Lambda runtime invoke"}}"#;
        assert_eq!(
            message(line),
            "INFO ride recorded ride_id=r-1 count=2 requestId=abc"
        );
        let lambda = r#"{"timestamp":"t","level":"ERROR","message":"boom","requestId":"x"}"#;
        assert_eq!(message(lambda), "ERROR boom requestId=x");
        assert_eq!(message("START RequestId: x\n"), "START RequestId: x");
        assert_eq!(message("{not json"), "{not json");
        assert_eq!(message(r#"{"a":1}"#), r#"{"a":1}"#);
    }

    #[test]
    fn merging_orders_by_time() {
        let m = merge(vec![
            ("b".into(), vec![ev("1", 10, "b1"), ev("2", 30, "b2")]),
            ("a".into(), vec![ev("3", 20, "a1"), ev("4", 30, "a2")]),
        ]);
        let order: Vec<&str> = m.iter().map(|l| l.event.message.as_str()).collect();
        assert_eq!(order, ["b1", "a1", "a2", "b2"]);
    }

    #[test]
    fn following_skips_what_was_printed_and_keeps_late_events() {
        let mut c = Cursor::new(1_000);
        let first = c.admit(merge(vec![(
            "f".into(),
            vec![ev("1", 100_000, "x"), ev("2", 100_500, "y")],
        )]));
        assert_eq!(first.len(), 2);
        assert_eq!(c.start(), 100_500 - LATE_MS);
        // The next poll sees them again, plus a late event older than the
        // newest one printed.
        let next = c.admit(merge(vec![(
            "f".into(),
            vec![
                ev("1", 100_000, "x"),
                ev("3", 100_200, "late"),
                ev("2", 100_500, "y"),
            ],
        )]));
        let msgs: Vec<&str> = next.iter().map(|l| l.event.message.as_str()).collect();
        assert_eq!(msgs, ["late"]);
    }

    #[test]
    fn polls_stay_within_five_calls_a_second() {
        assert_eq!(poll_interval(1).as_secs(), 2);
        assert_eq!(poll_interval(10).as_secs(), 2);
        assert_eq!(poll_interval(50).as_secs(), 10);
    }

    #[test]
    fn patterns_for_filter_and_request_id() {
        assert_eq!(pattern(None, None), (None, None));
        assert_eq!(pattern(None, Some("abc")), (Some("\"abc\"".into()), None));
        assert_eq!(
            pattern(Some("ERROR"), Some("abc")),
            (Some("ERROR".into()), Some("abc".into()))
        );
    }

    #[test]
    fn colours_and_times_are_stable() {
        let fns = ["api".to_string(), "worker".to_string()];
        assert_eq!(colour(&fns, "api"), colour(&fns, "api"));
        assert_ne!(colour(&fns, "api"), colour(&fns, "worker"));
        assert_eq!(time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(time(1_500), "1970-01-01T00:00:01.500Z");
        assert_eq!(time(1_764_658_219_590), "2025-12-02T06:50:19.590Z");
    }
}
