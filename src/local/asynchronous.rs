//! Asynchronous invocation, as Lambda does it: a function error is retried
//! (up to `async.retries` times, one minute before the first retry and two
//! before the second), an event older than `async.max_event_age` is
//! dropped, and the outcome goes to `on_success` / `on_failure` as a
//! destination record, or to the dead-letter target. Locally the waits are
//! shortened: the policy is followed on a simulated clock.

use std::time::Duration;

use serde_json::{Value, json};

use super::api::Invocation;
use super::environment::{self, Context};
use super::instance::{Outcome, Result};
use super::pool::Pool;
use crate::manifest::interp::Section;
use crate::manifest::model::{App, AsyncConfig, BusRef, Destination, Duration as Secs};

/// Lambda's policy when the function sets no `async:`.
pub fn default_policy() -> AsyncConfig {
    AsyncConfig {
        retries: 2,
        max_event_age: Secs(6 * 3600),
        on_success: None,
        on_failure: None,
        dead_letter: None,
    }
}

/// How long a retry wait really lasts locally.
pub const SHORTENED_WAIT: Duration = Duration::from_millis(200);

/// Lambda's wait before retry `n` (1-based).
pub fn retry_delay(n: u32) -> Duration {
    Duration::from_secs(60 * u64::from(n.min(2)))
}

/// What happened to one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Simulated time since the event was queued.
    pub at: Duration,
    pub outcome: Outcome,
}

/// Where a record went.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `on_success`, `on_failure` or `dead_letter`.
    pub slot: &'static str,
    /// `queue`, `topic`, `function` or `bus`.
    pub kind: &'static str,
    pub target: String,
    pub arn: String,
    /// What Lambda sends there.
    pub record: Value,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub request_id: String,
    pub attempts: Vec<Attempt>,
    /// `Success`, `RetriesExhausted` or `EventAgeExceeded`.
    pub condition: &'static str,
    pub delivery: Option<Delivery>,
}

/// Runs `inv` under the function's async policy. `on_retry` is told of each
/// retry before it runs (the attempt number, the real delay, and the
/// shortened one), and `shortened` is how long to really wait.
pub async fn invoke(
    app: &App,
    function: &str,
    pool: &Pool,
    inv: Invocation,
    cx: &Context,
    shortened: Duration,
    mut on_retry: impl FnMut(u32, Duration),
) -> Report {
    let f = &app.functions[function];
    let policy = f.async_config.clone().unwrap_or_else(default_policy);
    let max_age = Duration::from_secs(policy.max_event_age.secs());
    let payload = inv.payload.clone();
    let request_id = inv.request_id.clone();
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut clock = Duration::ZERO;
    let mut condition = "RetriesExhausted";
    for n in 0..=policy.retries {
        if n > 0 {
            let wait = retry_delay(n);
            if clock + wait > max_age {
                condition = "EventAgeExceeded";
                break;
            }
            on_retry(n, wait);
            tokio::time::sleep(shortened).await;
            clock += wait;
        }
        // A retry keeps the request id, as on Lambda.
        let outcome = pool.invoke(inv.clone()).await;
        let failed = outcome.result.is_error();
        clock += outcome.duration;
        attempts.push(Attempt { at: clock, outcome });
        if !failed {
            condition = "Success";
            break;
        }
    }
    let last = attempts.last().map(|a| &a.outcome);
    let record = |condition: &str| {
        destination_record(
            &request_id,
            &environment::qualified_function_arn(app, function, "$LATEST", cx),
            condition,
            attempts.len(),
            &payload,
            last.map(|o| &o.result),
        )
    };
    let delivery = match (condition, &policy) {
        (
            "Success",
            AsyncConfig {
                on_success: Some(d),
                ..
            },
        ) => Some(deliver(app, "on_success", d, record(condition), cx)),
        ("Success", _) => None,
        (
            _,
            AsyncConfig {
                on_failure: Some(d),
                ..
            },
        ) => Some(deliver(app, "on_failure", d, record(condition), cx)),
        (
            _,
            AsyncConfig {
                dead_letter: Some(d),
                ..
            },
        ) => {
            let error = last
                .map(|o| o.result.payload().clone())
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v["errorMessage"].as_str().map(str::to_string))
                .unwrap_or_default();
            Some(deliver(
                app,
                "dead_letter",
                d,
                dead_letter_message(&request_id, &payload, &error),
                cx,
            ))
        }
        _ => None,
    };
    Report {
        request_id,
        attempts,
        condition,
        delivery,
    }
}

/// One line on how an async invocation ended and where its record would go.
pub fn summary(function: &str, r: &Report) -> String {
    let n = r.attempts.len();
    let attempts = format!("{n} attempt{}", if n == 1 { "" } else { "s" });
    match &r.delivery {
        Some(d) => format!(
            "{function}: async {} {}: {attempts}; {} -> {} `{}` ({}) would receive: {}",
            r.request_id, r.condition, d.slot, d.kind, d.target, d.arn, d.record
        ),
        None => format!(
            "{function}: async {} {}: {attempts}; no destination is set: the result is dropped",
            r.request_id, r.condition
        ),
    }
}

/// The record Lambda sends to a destination.
pub fn destination_record(
    request_id: &str,
    function_arn: &str,
    condition: &str,
    invoke_count: usize,
    payload: &[u8],
    result: Option<&Result>,
) -> Value {
    let request_payload: Value = serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into()));
    let mut response_context = json!({ "statusCode": 200, "executedVersion": "$LATEST" });
    let mut response_payload = Value::Null;
    if let Some(r) = result {
        response_payload = serde_json::from_slice(r.payload())
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(r.payload()).into()));
        if r.is_error() {
            response_context["functionError"] = json!("Unhandled");
        }
    }
    json!({
        "version": "1.0",
        "timestamp": super::instance::now_iso(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": request_payload,
        "responseContext": response_context,
        "responsePayload": response_payload,
    })
}

/// What a dead-letter queue or topic receives: the event as the body, the
/// error in message attributes.
pub fn dead_letter_message(request_id: &str, payload: &[u8], error: &str) -> Value {
    json!({
        "body": String::from_utf8_lossy(payload),
        "messageAttributes": {
            "RequestID": { "dataType": "String", "stringValue": request_id },
            "ErrorCode": { "dataType": "Number", "stringValue": "200" },
            "ErrorMessage": { "dataType": "String", "stringValue": error },
        },
    })
}

fn deliver(
    app: &App,
    slot: &'static str,
    d: &Destination,
    record: Value,
    cx: &Context,
) -> Delivery {
    let (kind, target, arn) = match d {
        Destination::Queue(n) => ("queue", n.clone(), arn_of(app, Section::Queues, n, cx)),
        Destination::Topic(n) => ("topic", n.clone(), arn_of(app, Section::Topics, n, cx)),
        Destination::Function(n) => (
            "function",
            n.clone(),
            arn_of(app, Section::Functions, n, cx),
        ),
        Destination::Bus(BusRef::App(n)) => ("bus", n.clone(), arn_of(app, Section::Buses, n, cx)),
        Destination::Bus(BusRef::External(b)) => {
            let v = environment::value(app, b, cx);
            let arn = if v.starts_with("arn:") {
                v.clone()
            } else {
                format!(
                    "arn:aws:events:{}:{}:event-bus/{v}",
                    cx.region,
                    environment::LOCAL_ACCOUNT
                )
            };
            ("bus", v, arn)
        }
    };
    Delivery {
        slot,
        kind,
        target,
        arn,
        record,
    }
}

fn arn_of(app: &App, section: Section, name: &str, cx: &Context) -> String {
    environment::resolve(
        app,
        &crate::manifest::interp::Ref::Attr(
            section,
            name.to_string(),
            crate::manifest::interp::Attr::Arn,
        ),
        cx,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_lambdas_shape() {
        let err = Result::Error {
            error_type: "Oops".into(),
            body: hyper::body::Bytes::from_static(
                br#"{"errorType":"Oops","errorMessage":"bad order"}"#,
            ),
        };
        let r = destination_record(
            "id-1",
            "arn:fn",
            "RetriesExhausted",
            3,
            br#"{"order":1}"#,
            Some(&err),
        );
        assert_eq!(r["version"], "1.0");
        assert_eq!(r["requestContext"]["condition"], "RetriesExhausted");
        assert_eq!(r["requestContext"]["approximateInvokeCount"], 3);
        assert_eq!(r["requestPayload"]["order"], 1);
        assert_eq!(r["responseContext"]["functionError"], "Unhandled");
        assert_eq!(r["responsePayload"]["errorMessage"], "bad order");
        let ok = Result::Response(hyper::body::Bytes::from_static(b"\"done\""));
        let r = destination_record("id-1", "arn:fn", "Success", 1, b"{}", Some(&ok));
        assert!(r["responseContext"].get("functionError").is_none());
        assert_eq!(r["responsePayload"], "done");
    }

    #[test]
    fn retries_wait_one_then_two_minutes() {
        assert_eq!(retry_delay(1), Duration::from_secs(60));
        assert_eq!(retry_delay(2), Duration::from_secs(120));
    }
}
