//! `ferry logs`: the events of one or more functions' log groups merged by
//! time, each line prefixed with its function, JSON lines of `tracing`'s
//! formatter shown as `LEVEL message key=value`, and a cursor that follows
//! the groups without gaps or duplicates.
//!
//! Pure: the command in `cli::stack` fetches the events through
//! `aws::Logs` and prints what these functions return.

use std::collections::BTreeMap;

use crate::aws::LogEvent;

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
