//! Lambda's Invoke API on `ferry local serve`'s port, so that the AWS CLI
//! and SDKs reach local functions with `--endpoint-url`:
//! `POST /2015-03-31/functions/{name}/invocations` with
//! `X-Amz-Invocation-Type` RequestResponse, Event (202, then the function's
//! async policy) or DryRun (204), `X-Amz-Log-Type: Tail`,
//! `X-Amz-Client-Context`. Naming a function, checking a request and
//! shaping the answers is pure; `answer` does the I/O.

use std::sync::Arc;

use base64::Engine;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::json;

use super::api::Invocation;
use super::asynchronous;
use super::environment::{self, Context};
use super::http::Response;
use super::instance::{self, Outcome};
use super::serve::{Access, Served};
use crate::manifest::model::App;

/// The path prefix of the Invoke API.
pub const PREFIX: &str = "/2015-03-31/functions/";

/// Lambda's limit on a synchronous request payload.
pub const MAX_REQUEST: usize = 6 * 1024 * 1024;

/// The version a local invocation runs: always the code just built.
pub const EXECUTED_VERSION: &str = "$LATEST";

/// True when a request path is for the Invoke API.
pub fn is_invoke(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// How the caller asked to invoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

impl InvocationType {
    pub fn parse(header: Option<&str>) -> Option<InvocationType> {
        match header.unwrap_or("RequestResponse") {
            "RequestResponse" => Some(InvocationType::RequestResponse),
            "Event" => Some(InvocationType::Event),
            "DryRun" => Some(InvocationType::DryRun),
            _ => None,
        }
    }
}

/// An error answer as Lambda's API gives it: the type in
/// `x-amzn-ErrorType` and in the body.
pub fn error(status: u16, error_type: &str, message: &str) -> Response {
    Response {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-amzn-errortype".into(), format!("{error_type}:")),
        ],
        body: json!({ "__type": error_type, "Type": "User", "message": message })
            .to_string()
            .into_bytes(),
    }
}

/// The function name as written in the path, and the `Qualifier` query
/// parameter; None when the path is not `.../functions/{name}/invocations`.
pub fn parse_path(path: &str, query: &str) -> Option<(String, Option<String>)> {
    let name = path.strip_prefix(PREFIX)?.strip_suffix("/invocations")?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let name = percent_encoding::percent_decode_str(name)
        .decode_utf8()
        .ok()?
        .into_owned();
    let qualifier = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "Qualifier")
        .map(|(_, v)| v.into_owned());
    Some((name, qualifier))
}

/// Lambda's `ResourceNotFoundException`: no function (or qualifier) of the
/// app answers to this ARN.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Function not found: {arn}")]
pub struct NotFound {
    /// The ARN asked for, with its qualifier when one was given.
    pub arn: String,
}

impl NotFound {
    /// The error code Lambda answers with.
    pub const CODE: &'static str = "ResourceNotFoundException";
}

/// The function of the app that `name` means: its name in the manifest,
/// its deployed name, or its ARN (full or partial), each with or without a
/// qualifier (`$LATEST` or the function's alias). Errors are Lambda's
/// `ResourceNotFoundException` message.
pub fn resolve(
    app: &App,
    name: &str,
    qualifier: Option<&str>,
    cx: &Context,
) -> Result<String, NotFound> {
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER],
    // ACCOUNT:function:NAME[:QUALIFIER], NAME[:QUALIFIER]
    let parts: Vec<&str> = name.split(':').collect();
    let (bare, in_name) = match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", n] | [_, "function", n] | [n] => (*n, None),
        ["arn", _, "lambda", _, _, "function", n, q] | [_, "function", n, q] | [n, q] => {
            (*n, Some(*q))
        }
        _ => ("", None),
    };
    let qualifier = qualifier.or(in_name);
    let function = app
        .functions
        .keys()
        .find(|f| *f == bare || environment::function_name(app, f) == bare);
    let not_found = |q: Option<&str>| {
        let deployed = app
            .functions
            .keys()
            .find(|f| *f == bare)
            .map(|f| environment::function_name(app, f))
            .unwrap_or_else(|| bare.to_string());
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{deployed}",
            cx.region,
            environment::LOCAL_ACCOUNT
        );
        NotFound {
            arn: match q {
                Some(q) => format!("{arn}:{q}"),
                None => arn,
            },
        }
    };
    let Some(function) = function else {
        return Err(not_found(qualifier));
    };
    match qualifier {
        None | Some("$LATEST") => Ok(function.clone()),
        Some(q) if q == app.functions[function].alias => Ok(function.clone()),
        Some(q) => Err(not_found(Some(q))),
    }
}

/// The answer to a synchronous invocation.
pub fn invoked(out: &Outcome, tail: bool) -> Response {
    let mut headers = vec![
        ("content-type".into(), "application/json".into()),
        ("x-amzn-requestid".into(), out.request_id.clone()),
        ("x-amz-executed-version".into(), EXECUTED_VERSION.into()),
    ];
    if let instance::Result::Error { error_type, .. } = &out.result
        && error_type == "TooManyRequestsException"
    {
        return error(
            429,
            "TooManyRequestsException",
            "Rate Exceeded: the function's instances are all busy (its reserved concurrency)",
        );
    }
    if out.result.is_error() {
        headers.push(("x-amz-function-error".into(), "Unhandled".into()));
    }
    if tail {
        let text = instance::last_bytes(&out.tail);
        headers.push((
            "x-amz-log-result".into(),
            base64::engine::general_purpose::STANDARD.encode(text),
        ));
    }
    Response {
        status: 200,
        headers,
        body: out.result.payload().to_vec(),
    }
}

fn header<'a>(req: &'a hyper::Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Answers one Invoke API request; also returns the function that ran.
pub async fn answer(
    served: Arc<Served>,
    req: hyper::Request<Incoming>,
    access: &Access,
) -> (Response, Option<String>) {
    if req.method() != hyper::Method::POST {
        return (
            error(404, "UnknownOperationException", "Unknown operation"),
            None,
        );
    }
    let Some((name, qualifier)) = parse_path(req.uri().path(), req.uri().query().unwrap_or(""))
    else {
        return (
            error(404, "UnknownOperationException", "Unknown operation"),
            None,
        );
    };
    let function = match resolve(&served.app, &name, qualifier.as_deref(), &served.cx) {
        Ok(f) => f,
        Err(e) => return (error(404, NotFound::CODE, &e.to_string()), None),
    };
    let Some(kind) = InvocationType::parse(header(&req, "x-amz-invocation-type")) else {
        return (
            error(
                400,
                "InvalidParameterValueException",
                "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun",
            ),
            Some(function),
        );
    };
    let tail = header(&req, "x-amz-log-type") == Some("Tail");
    let client_context = match header(&req, "x-amz-client-context") {
        None => None,
        Some(c) => match base64::engine::general_purpose::STANDARD
            .decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|s| serde_json::from_str::<serde_json::Value>(s).is_ok())
        {
            Some(c) => Some(c),
            None => {
                return (
                    error(
                        400,
                        "InvalidRequestContentException",
                        "Client context must be a valid Base64-encoded JSON object.",
                    ),
                    Some(function),
                );
            }
        },
    };
    let body = match Limited::new(req.into_body(), MAX_REQUEST).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return (
                error(
                    413,
                    "RequestTooLargeException",
                    &format!(
                        "Request must be smaller than {MAX_REQUEST} bytes for the InvokeFunction operation"
                    ),
                ),
                Some(function),
            );
        }
    };
    let body = if body.is_empty() {
        hyper::body::Bytes::from_static(b"{}")
    } else {
        body
    };
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return (
            error(
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json",
            ),
            Some(function),
        );
    }
    let Some(pool) = served.pools.get(&function).cloned() else {
        return (
            error(
                404,
                "ResourceNotFoundException",
                &format!("function `{function}` is not run locally (a container image function)"),
            ),
            Some(function),
        );
    };
    let mut inv = Invocation::new(body, &pool.spec().function_arn);
    inv.client_context = client_context;
    match kind {
        InvocationType::DryRun => {
            let r = Response {
                status: 204,
                headers: vec![("x-amzn-requestid".into(), inv.request_id)],
                body: Vec::new(),
            };
            (r, Some(function))
        }
        InvocationType::Event => {
            let r = Response {
                status: 202,
                headers: vec![("x-amzn-requestid".into(), inv.request_id.clone())],
                body: Vec::new(),
            };
            let access = access.clone();
            let f = function.clone();
            tokio::spawn(async move {
                let report = asynchronous::invoke(
                    &served.app,
                    &f,
                    &pool,
                    inv,
                    &served.cx,
                    asynchronous::SHORTENED_WAIT,
                    |n, wait| {
                        access(&format!(
                            "{f}: async retry {n}: Lambda would wait {}s; waiting {} ms",
                            wait.as_secs(),
                            asynchronous::SHORTENED_WAIT.as_millis()
                        ))
                    },
                )
                .await;
                access(&asynchronous::summary(&f, &report));
            });
            (r, Some(function))
        }
        InvocationType::RequestResponse => {
            // As on Lambda, the invocation runs to its end even when the
            // client goes away.
            let out = match tokio::spawn(async move { pool.invoke(inv).await }).await {
                Ok(out) => out,
                Err(_) => {
                    return (
                        error(500, "ServiceException", "the invocation was lost"),
                        Some(function),
                    );
                }
            };
            (invoked(&out, tail), Some(function))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let text =
            "app: shop\nregion: eu-west-1\nfunctions:\n  api: {}\n  worker:\n    alias: prod\n";
        crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            text,
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"))
    }

    #[test]
    fn functions_are_found_by_name_deployed_name_or_arn() {
        let app = app();
        let cx = Context::new(&app, None, None, 9000);
        for (name, q) in [
            ("api", None),
            ("shop-dev-api", None),
            ("shop-dev-api:$LATEST", None),
            ("shop-dev-api", Some("live")),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-api",
                None,
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-api:live",
                None,
            ),
            ("123456789012:function:shop-dev-api", None),
        ] {
            assert_eq!(resolve(&app, name, q, &cx), Ok("api".into()), "{name}");
        }
        assert_eq!(resolve(&app, "worker:prod", None, &cx), Ok("worker".into()));
        let e = resolve(&app, "nope", None, &cx).unwrap_err().to_string();
        assert_eq!(
            e,
            "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope"
        );
        let e = resolve(&app, "api", Some("7"), &cx)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("function:shop-dev-api:7"), "{e}");
    }

    #[test]
    fn answers_carry_lambdas_headers() {
        let out = Outcome {
            request_id: "id-1".into(),
            result: instance::Result::Error {
                error_type: "Oops".into(),
                body: hyper::body::Bytes::from_static(br#"{"errorType":"Oops"}"#),
            },
            duration: std::time::Duration::ZERO,
            init: None,
            max_memory_mb: None,
            alive: true,
            tail: format!("{}END\n", "x".repeat(5000)),
        };
        let r = invoked(&out, true);
        let h = |k: &str| {
            r.headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(r.status, 200);
        assert_eq!(h("x-amz-function-error").as_deref(), Some("Unhandled"));
        assert_eq!(h("x-amz-executed-version").as_deref(), Some("$LATEST"));
        let tail = base64::engine::general_purpose::STANDARD
            .decode(h("x-amz-log-result").unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(tail.len(), 4096, "the last 4 KB");
        assert!(tail.ends_with(b"END\n"));
        assert!(
            invoked(&out, false)
                .headers
                .iter()
                .all(|(k, _)| k != "x-amz-log-result")
        );
    }

    #[test]
    fn paths_and_types() {
        assert_eq!(
            parse_path(
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Ax/invocations",
                "Qualifier=live"
            ),
            Some((
                "arn:aws:lambda:eu-west-1:1:function:x".into(),
                Some("live".into())
            ))
        );
        assert_eq!(parse_path("/2015-03-31/functions/x", ""), None);
        assert_eq!(
            InvocationType::parse(None),
            Some(InvocationType::RequestResponse)
        );
        assert_eq!(InvocationType::parse(Some("Later")), None);
        let e = error(404, "ResourceNotFoundException", "gone");
        assert_eq!(e.status, 404);
        assert!(
            String::from_utf8_lossy(&e.body).contains(r#""__type":"ResourceNotFoundException""#)
        );
    }
}
