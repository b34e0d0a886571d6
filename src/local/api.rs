//! The Lambda Runtime API, as one function instance sees it: the process
//! polls `invocation/next`, answers with `invocation/{id}/response` or
//! `/error`, or reports `init/error`. One server per instance, on a loopback
//! port of its own, so that an instance can be stopped without touching the
//! others.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// The largest response Lambda accepts from a synchronous invocation.
pub const MAX_RESPONSE: usize = 6 * 1024 * 1024;

/// The largest streamed response (`Lambda-Runtime-Function-Response-Mode:
/// streaming`), which ferry buffers.
pub const MAX_STREAMED_RESPONSE: usize = 20 * 1024 * 1024;

const PREFIX: &str = "/2018-06-01/runtime/";

/// One event for the function.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub request_id: String,
    pub payload: Bytes,
    pub function_arn: String,
    pub trace_id: String,
    /// JSON, sent as `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// JSON, sent as `Lambda-Runtime-Cognito-Identity`.
    pub cognito_identity: Option<String>,
}

impl Invocation {
    pub fn new(payload: impl Into<Bytes>, function_arn: &str) -> Invocation {
        Invocation {
            request_id: new_request_id(),
            payload: payload.into(),
            function_arn: function_arn.to_string(),
            trace_id: new_trace_id(),
            client_context: None,
            cognito_identity: None,
        }
    }
}

/// What the function answered.
#[derive(Debug)]
pub enum Reply {
    Response(Bytes),
    /// `/error`: the body and `Lambda-Runtime-Function-Error-Type`.
    Error {
        error_type: Option<String>,
        body: Bytes,
    },
}

/// An invocation handed to an instance.
pub struct Job {
    pub invocation: Invocation,
    /// The function's time limit, from when `next` hands the event over.
    pub timeout: Duration,
    /// Fired with the moment `next` hands the event over.
    pub delivered: oneshot::Sender<Instant>,
    pub reply: oneshot::Sender<Reply>,
}

/// The state of one instance's API.
pub struct State {
    jobs: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    init_error: Mutex<Option<Bytes>>,
    /// True once the process has asked for its first event: init is over.
    ready: Mutex<Option<Instant>>,
}

impl State {
    /// The body of `init/error`, when the process posted one.
    pub fn init_error(&self) -> Option<Bytes> {
        self.init_error.lock().expect("lock").clone()
    }

    /// When the process first asked for an event.
    pub fn ready_at(&self) -> Option<Instant> {
        *self.ready.lock().expect("lock")
    }
}

/// A running API server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    pub jobs: mpsc::Sender<Job>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server on a free loopback port.
pub async fn start() -> std::io::Result<Server> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(1);
    let state = Arc::new(State {
        jobs: tokio::sync::Mutex::new(rx),
        pending: Mutex::new(HashMap::new()),
        init_error: Mutex::new(None),
        ready: Mutex::new(None),
    });
    let shared = state.clone();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let state = shared.clone();
            connections.spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, req).await) }
                });
                // Header names as Lambda writes them (`Lambda-Runtime-...`).
                let _ = hyper::server::conn::http1::Builder::new()
                    .title_case_headers(true)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
            // Reap finished connections so the set does not grow.
            while connections.try_join_next().is_some() {}
        }
    });
    Ok(Server {
        addr,
        state,
        jobs: tx,
        task,
    })
}

/// Lambda's error document, `{"errorType", "errorMessage"}`.
pub fn error_document(error_type: &str, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string())
}

/// The `errorType` of an error document.
pub fn error_type_of(document: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(document)
        .ok()?
        .get("errorType")?
        .as_str()
        .map(str::to_string)
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, body: Bytes) -> Answer {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Answer {
    answer(status, error_document(error_type, message))
}

fn accepted() -> Answer {
    answer(
        StatusCode::ACCEPTED,
        Bytes::from_static(br#"{"status":"OK"}"#),
    )
}

async fn handle(state: &State, req: Request<Incoming>) -> Answer {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return error(StatusCode::NOT_FOUND, "NotFound", "unknown path");
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (req.method(), parts.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(state).await,
        (&Method::POST, ["invocation", id, kind @ ("response" | "error")]) => {
            let id = id.to_string();
            let is_error = *kind == "error";
            let error_type = req
                .headers()
                .get("Lambda-Runtime-Function-Error-Type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let streamed = req
                .headers()
                .get("Lambda-Runtime-Function-Response-Mode")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("streaming"));
            let limit = if streamed {
                MAX_STREAMED_RESPONSE
            } else {
                MAX_RESPONSE
            };
            let too_large = || Reply::Error {
                error_type: None,
                body: error_document(
                    "Function.ResponseSizeTooLarge",
                    &format!(
                        "Response payload size exceeded maximum allowed payload size ({limit} bytes)."
                    ),
                ),
            };
            let collected = match Limited::new(req.into_body(), limit).collect().await {
                Ok(c) => c,
                Err(_) => {
                    // Too large (or the connection broke): Lambda reports
                    // the invocation as failed.
                    complete(state, &id, too_large());
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "RequestEntityTooLarge",
                        "response too large",
                    );
                }
            };
            let trailers = collected.trailers().cloned();
            let body = collected.to_bytes();
            let reply = if is_error {
                Reply::Error { error_type, body }
            } else if let Some(e) = trailers.as_ref().and_then(stream_error) {
                e
            } else {
                Reply::Response(body)
            };
            if complete(state, &id, reply) {
                accepted()
            } else {
                error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestID",
                    &format!("no invocation {id} is in progress"),
                )
            }
        }
        (&Method::POST, ["init", "error"]) => {
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            *state.init_error.lock().expect("lock") = Some(body);
            accepted()
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("{} {path} is not part of the Runtime API", req.method()),
        ),
    }
}

/// A streamed response that failed midway, from its trailers
/// (`Lambda-Runtime-Function-Error-Type`, and `-Body` in base64).
fn stream_error(trailers: &hyper::HeaderMap) -> Option<Reply> {
    use base64::Engine;
    let error_type = trailers
        .get("Lambda-Runtime-Function-Error-Type")?
        .to_str()
        .ok()?
        .to_string();
    let message = trailers
        .get("Lambda-Runtime-Function-Error-Body")
        .and_then(|v| v.to_str().ok())
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    Some(Reply::Error {
        body: error_document(&error_type, &message),
        error_type: Some(error_type),
    })
}

/// Hands the next event over, waiting for one as long as it takes.
async fn next(state: &State) -> Answer {
    {
        let mut ready = state.ready.lock().expect("lock");
        if ready.is_none() {
            *ready = Some(Instant::now());
        }
    }
    let job = {
        let mut jobs = state.jobs.lock().await;
        jobs.recv().await
    };
    let Some(job) = job else {
        // The instance is shutting down: never answer.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let inv = job.invocation;
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(job.timeout)
        .as_millis();
    state
        .pending
        .lock()
        .expect("lock")
        .insert(inv.request_id.clone(), job.reply);
    let _ = job.delivered.send(Instant::now());
    let mut r = Response::new(Full::new(inv.payload));
    let h = r.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = hyper::header::HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("Content-Type", "application/json");
    set("Lambda-Runtime-Aws-Request-Id", &inv.request_id);
    set("Lambda-Runtime-Deadline-Ms", &deadline.to_string());
    set("Lambda-Runtime-Invoked-Function-Arn", &inv.function_arn);
    set("Lambda-Runtime-Trace-Id", &inv.trace_id);
    if let Some(c) = &inv.client_context {
        set("Lambda-Runtime-Client-Context", c);
    }
    if let Some(c) = &inv.cognito_identity {
        set("Lambda-Runtime-Cognito-Identity", c);
    }
    r
}

/// Completes invocation `id`; false when none such is waiting.
fn complete(state: &State, id: &str, reply: Reply) -> bool {
    match state.pending.lock().expect("lock").remove(id) {
        Some(tx) => {
            let _ = tx.send(reply);
            true
        }
        None => false,
    }
}

/// A random id shaped like Lambda's (a UUID v4).
pub fn new_request_id() -> String {
    let b = random_bytes::<16>();
    let h = |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        h(0..4),
        h(4..6),
        &h(6..8)[1..],
        8 | (b[8] & 0x3),
        &h(8..10)[1..],
        h(10..16)
    )
}

/// An X-Ray trace header for the invocation.
pub fn new_trace_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let b = random_bytes::<20>();
    let hex = |s: &[u8]| s.iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        hex(&b[..12]),
        hex(&b[12..20])
    )
}

/// Bytes that differ between calls and processes: enough for ids, not for
/// secrets.
fn random_bytes<const N: usize>() -> [u8; N] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids_and_differ() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36, "{a}");
        assert_eq!(&a[14..15], "4", "{a}");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        assert!(new_trace_id().starts_with("Root=1-"));
    }
}
