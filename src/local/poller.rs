//! A queue trigger on this machine (`ferry local send`): messages go
//! through the trigger as Lambda's poller takes them: the trigger's filter
//! (a message no filter matches is deleted unseen), batches of
//! `batch_size`, the batch window waited when a batch is not full, partial
//! batch failures (`report_batch_item_failures`: only the failed items come
//! back), the queue's visibility timeout before a failed message is seen
//! again, and after the queue's `max_receives` the message moved to its
//! dead-letter queue. Waits are shortened and reported.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::Value;

use super::Error;
use super::api::Invocation;
use super::environment::{self, Context};
use super::events::{self, Message};
use super::instance::{self, Outcome};
use super::pattern;
use super::pool::Pool;
use crate::manifest::interp::{Attr, Ref, Section};
use crate::manifest::model::{App, QueueTrigger, TriggerKind};

/// How many times a message is received locally when its queue has no
/// dead-letter queue (Lambda would retry it until the queue's retention
/// ends).
pub const RECEIVES_WITHOUT_DEAD_LETTER: u32 = 10;

/// The (function, trigger index) that consume `queue`, in manifest order.
pub fn consumers(app: &App, queue: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (name, f) in &app.functions {
        for (i, t) in f.triggers.iter().enumerate() {
            if let TriggerKind::Queue(q) = &t.kind
                && q.queue == queue
            {
                out.push((name.clone(), i));
            }
        }
    }
    out
}

/// The (function, trigger index) `ferry local send` delivers `queue`'s
/// messages to: `function`'s trigger on it when named, else the only
/// consumer; an error names what is missing or the consumers to choose
/// from.
pub fn consumer(app: &App, queue: &str, function: Option<&str>) -> Result<(String, usize), Error> {
    if !app.queues.contains_key(queue) {
        return Err(Error::UnknownQueue {
            queue: queue.to_string(),
            manifest: app.manifest.clone(),
            hint: crate::diagnostic::did_you_mean(queue, app.queues.keys().map(String::as_str)),
        });
    }
    let consumers = consumers(app, queue);
    match function {
        Some(f) => consumers
            .into_iter()
            .find(|(n, _)| n == f)
            .ok_or_else(|| Error::NotAConsumer {
                function: f.to_string(),
                queue: queue.to_string(),
            }),
        None => match consumers.as_slice() {
            [] => Err(Error::NoConsumer(queue.to_string())),
            [one] => Ok(one.clone()),
            many => Err(Error::SeveralConsumers {
                queue: queue.to_string(),
                functions: many.iter().map(|(n, _)| n.clone()).collect(),
            }),
        },
    }
}

/// The URL of `queue`'s dead-letter queue as deployed, when it has one and
/// `cx` sends calls to an emulator (`--endpoint-url`): where
/// [`forward_dead_letters`] sends. Without an endpoint nothing leaves this
/// machine.
pub fn dead_letter_url(app: &App, queue: &str, cx: &Context) -> Option<String> {
    let dlq = app.queues.get(queue)?.dead_letter.as_ref()?;
    cx.endpoint_url.as_ref()?;
    Some(environment::resolve(
        app,
        &Ref::Attr(Section::Queues, dlq.queue.clone(), Attr::Url),
        cx,
    ))
}

/// Sends each dead-lettered (id, body) to `url` and returns (queue URL,
/// message id) for each; `sent` is told of each as it goes.
pub async fn forward_dead_letters<Q: crate::aws::Queues>(
    aws: &Q,
    url: &str,
    dead: &[(String, String)],
    mut sent: impl FnMut(&str, &str),
) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for (id, body) in dead {
        let message_id = aws
            .send_message(url, body)
            .await
            .map_err(|source| Error::DeadLetter {
                id: id.clone(),
                url: url.to_string(),
                source,
            })?;
        sent(id, &message_id);
        out.push((url.to_string(), message_id));
    }
    Ok(out)
}

/// True when one of the trigger's filters matches the record (or it has
/// none). The body is matched as JSON when it is JSON.
pub fn passes(app: &App, q: &QueueTrigger, record: &Value, cx: &Context) -> bool {
    if q.filter.is_empty() {
        return true;
    }
    let mut data = record.clone();
    if let Some(body) = record["body"].as_str()
        && let Ok(v) = serde_json::from_str::<Value>(body)
    {
        data["body"] = v;
    }
    q.filter
        .iter()
        .any(|f| pattern::matches(&environment::tree(app, f, cx), &data))
}

/// Which messages of a batch failed, from the function's outcome. A
/// function error, or a response that is not a valid batch response
/// (with `report_batch_item_failures`), fails the whole batch.
pub fn failed_ids(outcome: &Outcome, ids: &[String], report_item_failures: bool) -> Vec<String> {
    let all = || ids.to_vec();
    let instance::Result::Response(body) = &outcome.result else {
        return all();
    };
    if !report_item_failures {
        return Vec::new();
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        // An empty or non-JSON response reports no failures.
        return Vec::new();
    };
    let failures = match v.get("batchItemFailures") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return all(),
    };
    let mut out = Vec::new();
    for item in failures {
        match item.get("itemIdentifier").and_then(Value::as_str) {
            Some(id) if ids.iter().any(|i| i == id) => {
                if !out.iter().any(|o| o == id) {
                    out.push(id.to_string());
                }
            }
            // A missing, empty or unknown identifier: the batch failed.
            _ => return all(),
        }
    }
    out
}

/// What happened, step by step, for people.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A message put on the queue.
    Sent {
        id: String,
        body: String,
    },
    /// No filter matches: deleted without invoking.
    FilteredOut {
        id: String,
    },
    /// A batch not full: Lambda waits up to the batch window for more.
    Window {
        real: Duration,
    },
    Batch {
        ids: Vec<String>,
        request_id: String,
    },
    Failed {
        ids: Vec<String>,
        whole_batch: bool,
    },
    Deleted {
        ids: Vec<String>,
    },
    /// Failed messages become visible again after the visibility timeout.
    Visible {
        ids: Vec<String>,
        real: Duration,
    },
    DeadLettered {
        id: String,
        receives: u32,
        queue: String,
        arn: String,
    },
    /// No dead-letter queue, and the local receive limit is reached.
    GivenUp {
        id: String,
        receives: u32,
    },
}

/// Where each message ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub processed: Vec<String>,
    pub filtered_out: Vec<String>,
    /// (message id, its body) moved to the dead-letter queue.
    pub dead_lettered: Vec<(String, String)>,
    pub given_up: Vec<String>,
    pub invocations: usize,
    /// Every message sent: (message id, body).
    pub messages: Vec<(String, String)>,
}

/// Delivers `bodies` to the consumer `(function, index)` of `queue`, as
/// Lambda's poller would, waiting `shortened` where Lambda waits longer.
#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    app: &App,
    function: &str,
    index: usize,
    pool: &Pool,
    bodies: &[String],
    cx: &Context,
    shortened: Duration,
    mut on_step: impl FnMut(Step),
) -> Report {
    let mut report = Report::default();
    let Some(TriggerKind::Queue(q)) = app
        .functions
        .get(function)
        .and_then(|f| f.triggers.get(index))
        .map(|t| &t.kind)
    else {
        return report;
    };
    let queue = app.queues.get(&q.queue);
    let visibility = queue.map(|q| q.visibility_timeout.secs()).unwrap_or(30);
    let dead_letter = queue.and_then(|q| q.dead_letter.clone());
    let max_receives = dead_letter
        .as_ref()
        .map(|d| d.max_receives)
        .unwrap_or(RECEIVES_WITHOUT_DEAD_LETTER);
    let sent_ms = instance::now_ms();
    let mut pending: VecDeque<Message> = bodies
        .iter()
        .map(|b| Message {
            id: super::api::new_request_id(),
            body: b.clone(),
            receive_count: 0,
            sent_ms,
            first_received_ms: 0,
        })
        .collect();
    for m in &pending {
        on_step(Step::Sent {
            id: m.id.clone(),
            body: m.body.clone(),
        });
    }
    report.messages = pending
        .iter()
        .map(|m| (m.id.clone(), m.body.clone()))
        .collect();
    let batch_size = q.batch_size.max(1) as usize;
    while !pending.is_empty() {
        let mut returned = Vec::new();
        while !pending.is_empty() {
            let now = instance::now_ms();
            let mut batch: Vec<Message> = Vec::new();
            while batch.len() < batch_size
                && let Some(mut m) = pending.pop_front()
            {
                m.receive_count += 1;
                if m.first_received_ms == 0 {
                    m.first_received_ms = now;
                }
                let record = events::sqs_record(app, &q.queue, &m, cx);
                if passes(app, q, &record, cx) {
                    batch.push(m);
                } else {
                    on_step(Step::FilteredOut { id: m.id.clone() });
                    report.filtered_out.push(m.id);
                }
            }
            if batch.is_empty() {
                continue;
            }
            if batch.len() < batch_size
                && let Some(w) = q.batch_window
                && w.secs() > 0
            {
                on_step(Step::Window {
                    real: Duration::from_secs(w.secs()),
                });
                tokio::time::sleep(shortened).await;
            }
            let records: Vec<Value> = batch
                .iter()
                .map(|m| events::sqs_record(app, &q.queue, m, cx))
                .collect();
            let ids: Vec<String> = batch.iter().map(|m| m.id.clone()).collect();
            let inv = Invocation::new(
                events::sqs_event(records).to_string(),
                &pool.spec().function_arn,
            );
            on_step(Step::Batch {
                ids: ids.clone(),
                request_id: inv.request_id.clone(),
            });
            let out = pool.invoke(inv).await;
            report.invocations += 1;
            let failed = failed_ids(&out, &ids, q.report_batch_item_failures);
            let done: Vec<String> = ids
                .iter()
                .filter(|i| !failed.contains(i))
                .cloned()
                .collect();
            if !done.is_empty() {
                on_step(Step::Deleted { ids: done.clone() });
                report.processed.extend(done);
            }
            if !failed.is_empty() {
                on_step(Step::Failed {
                    ids: failed.clone(),
                    whole_batch: failed.len() == ids.len(),
                });
            }
            for m in batch.into_iter().filter(|m| failed.contains(&m.id)) {
                if m.receive_count >= max_receives {
                    match &dead_letter {
                        Some(d) => {
                            let arn = environment::resolve(
                                app,
                                &Ref::Attr(Section::Queues, d.queue.clone(), Attr::Arn),
                                cx,
                            );
                            on_step(Step::DeadLettered {
                                id: m.id.clone(),
                                receives: m.receive_count,
                                queue: d.queue.clone(),
                                arn,
                            });
                            report.dead_lettered.push((m.id, m.body));
                        }
                        None => {
                            on_step(Step::GivenUp {
                                id: m.id.clone(),
                                receives: m.receive_count,
                            });
                            report.given_up.push(m.id);
                        }
                    }
                } else {
                    returned.push(m);
                }
            }
        }
        if !returned.is_empty() {
            on_step(Step::Visible {
                ids: returned.iter().map(|m| m.id.clone()).collect(),
                real: Duration::from_secs(visibility),
            });
            tokio::time::sleep(shortened).await;
            pending.extend(returned);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::body::Bytes;

    /// Queues that record what they are sent and fail on one URL.
    #[derive(Default)]
    struct Sent(std::sync::Mutex<Vec<(String, String)>>);

    impl crate::aws::Queues for Sent {
        async fn send_message(&self, url: &str, body: &str) -> crate::aws::AwsResult<String> {
            if url.ends_with("/broken") {
                return Err(crate::aws::AwsError {
                    code: Some("AWS.SimpleQueueService.NonExistentQueue".into()),
                    message: "SendMessage: The specified queue does not exist".into(),
                });
            }
            let mut v = self.0.lock().unwrap();
            v.push((url.to_string(), body.to_string()));
            Ok(format!("m{}", v.len()))
        }
    }

    #[test]
    fn dead_letters_go_to_the_emulators_queue_only() {
        let app = crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            "app: shop\nregion: eu-west-1\nqueues:\n  jobs: { dead_letter: { queue: dlq, max_receives: 2 } }\n  dlq: {}\nfunctions:\n  a: { triggers: [ { queue: jobs } ] }\n",
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"));
        let here = Context::new(&app, None, None, 9000);
        assert_eq!(dead_letter_url(&app, "jobs", &here), None);
        let moto = Context::new(&app, None, Some("http://127.0.0.1:5000"), 9000);
        assert_eq!(dead_letter_url(&app, "dlq", &moto), None);
        let url = dead_letter_url(&app, "jobs", &moto).unwrap();
        assert!(url.ends_with("/shop-dev-dlq"), "{url}");

        let aws = Sent::default();
        let dead = vec![
            ("1".to_string(), "a".to_string()),
            ("2".to_string(), "b".to_string()),
        ];
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut told = Vec::new();
        let sent = rt
            .block_on(forward_dead_letters(&aws, &url, &dead, |id, m| {
                told.push(format!("{id}:{m}"))
            }))
            .unwrap();
        assert_eq!(
            sent,
            vec![
                (url.clone(), "m1".to_string()),
                (url.clone(), "m2".to_string())
            ]
        );
        assert_eq!(told, ["1:m1", "2:m2"]);
        let e = rt
            .block_on(forward_dead_letters(
                &aws,
                "http://x/broken",
                &dead,
                |_, _| {},
            ))
            .unwrap_err();
        assert_eq!(e.code(), Some("AWS.SimpleQueueService.NonExistentQueue"));
        assert_eq!(
            e.to_string(),
            "cannot send 1 to the dead-letter queue http://x/broken: SendMessage: The specified queue does not exist"
        );
    }

    #[test]
    fn send_chooses_the_consumer_or_says_why_not() {
        let app = crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            "app: shop\nqueues:\n  jobs: {}\n  mail: {}\n  idle: {}\nfunctions:\n  a: { triggers: [ { queue: jobs }, { queue: mail } ] }\n  b: { triggers: [ { queue: jobs } ] }\n",
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"));
        let consumer = |q: &str, f: Option<&str>| consumer(&app, q, f).map_err(|e| e.to_string());
        assert_eq!(consumer("mail", None), Ok(("a".to_string(), 1)));
        assert_eq!(consumer("jobs", Some("b")), Ok(("b".to_string(), 0)));
        assert_eq!(
            consumer("jobs", None).unwrap_err(),
            "several functions consume queue `jobs` (a, b): choose one with --function"
        );
        assert_eq!(
            consumer("mail", Some("b")).unwrap_err(),
            "function `b` has no trigger on queue `mail`"
        );
        assert_eq!(
            consumer("idle", None).unwrap_err(),
            "no function has a trigger on queue `idle`"
        );
        let e = consumer("job", None).unwrap_err();
        assert!(e.starts_with("no queue `job` in ferry.yaml"), "{e}");
    }

    fn outcome(result: instance::Result) -> Outcome {
        Outcome {
            request_id: "r".into(),
            result,
            duration: Duration::ZERO,
            init: None,
            max_memory_mb: None,
            alive: true,
            tail: String::new(),
        }
    }

    #[test]
    fn batch_responses_say_which_items_failed() {
        let ids = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let ok =
            |s: &'static str| outcome(instance::Result::Response(Bytes::from_static(s.as_bytes())));
        assert_eq!(
            failed_ids(
                &ok(r#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#),
                &ids,
                true
            ),
            vec!["b"]
        );
        assert!(failed_ids(&ok(r#"{"batchItemFailures":[]}"#), &ids, true).is_empty());
        assert!(failed_ids(&ok("null"), &ids, true).is_empty());
        assert_eq!(
            failed_ids(
                &ok(r#"{"batchItemFailures":[{"itemIdentifier":"zz"}]}"#),
                &ids,
                true
            ),
            ids
        );
        assert!(
            failed_ids(
                &ok(r#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#),
                &ids,
                false
            )
            .is_empty(),
            "without report_batch_item_failures the response is not read"
        );
        let err = outcome(instance::Result::Error {
            error_type: "Oops".into(),
            body: Bytes::from_static(b"{}"),
        });
        assert_eq!(failed_ids(&err, &ids, true), ids);
    }
}
