//! `ferry local invoke` and `ferry local serve` running real `lambda_runtime`
//! and `lambda_http` functions (tests/fixtures/local-app) under ferry's
//! Runtime API emulator: success, handler error, panic, init failure,
//! timeout, async retries, HTTP routes with path parameters, JWT claims,
//! concurrency, warm reuse and `--watch`. The fixture's cargo output goes to
//! `target/fixtures`, shared with the other fixture and blueprint tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/local-app")
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fixtures")
}

fn ferry_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap()
}

fn ferry(args: &[&str]) -> Output {
    ferry_in(&fixture(), args)
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn invoke_prints_the_response_and_the_logs_with_lambdas_environment() {
    let out = ferry(&[
        "local",
        "invoke",
        "echo",
        "--payload",
        r#"{"order": 7}"#,
        "--client-context",
        r#"{"custom": {"tenant": "t1"}}"#,
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let r = stdout_json(&out);
    assert_eq!(r["payload"]["order"], 7);
    assert_eq!(r["client_context"]["tenant"], "t1");
    let env = &r["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "local-fixture-dev-echo");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["_HANDLER"], "bootstrap");
    assert_eq!(
        env["TABLE_NAME"], "local-fixture-dev-items",
        "references resolve to deployed names"
    );
    assert_eq!(
        env["QUEUE_URL"],
        "https://sqs.eu-west-1.amazonaws.com/123456789012/local-fixture-dev-failures"
    );
    assert!(env["LAMBDA_TASK_ROOT"].as_str().unwrap().ends_with("debug"));
    assert_eq!(
        r["function_arn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:local-fixture-dev-echo:live"
    );
    // The deadline is the 2 s timeout from now.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let deadline = r["deadline_ms"].as_u64().unwrap();
    assert!(
        deadline > now_ms - 60_000 && deadline <= now_ms + 2_000,
        "{deadline} vs {now_ms}"
    );
    // The function's own output, framed by Lambda's lines.
    let id = r["request_id"].as_str().unwrap();
    assert!(err.contains("echo starting"), "{err}");
    assert!(err.contains(&format!("handled {id}")), "{err}");
    assert!(
        err.contains(&format!("START RequestId: {id} Version: $LATEST")),
        "{err}"
    );
    assert!(err.contains(&format!("END RequestId: {id}")), "{err}");
    assert!(
        err.contains(&format!("REPORT RequestId: {id}\tDuration: ")),
        "{err}"
    );
    assert!(err.contains("Memory Size: 256 MB"), "{err}");
    assert!(
        err.contains("Init Duration: "),
        "a cold start reports its init: {err}"
    );
}

/// `local::invoke` as a library, without the CLI: the event is made and
/// checked before anything runs, and one invocation on a fresh instance
/// answers with the payload and client context given, its log lines told
/// to the caller.
#[test]
fn the_library_makes_the_event_and_runs_one_invocation() {
    use ferry::local::{environment::Context, events::Stamp, invoke};
    use std::sync::{Arc, Mutex};
    // The CLI builds the fixture's `echo` where the library run finds it.
    let built = ferry(&["local", "invoke", "echo", "-q"]);
    assert!(built.status.success(), "{}", stderr(&built));
    let app = ferry::manifest::load(&fixture().join("ferry.yaml"), "dev")
        .unwrap_or_else(|_| panic!("the fixture is valid"));
    let cx = Context::new(&app, None, None, 9000);
    let stamp = Stamp {
        epoch_ms: 1_764_662_400_000,
        seed: "s".into(),
    };
    let request = invoke::request(
        &app,
        "echo",
        invoke::Input::Payload(br#"{"order": 8}"#.to_vec()),
        Some(r#"{"custom": {"tenant": "t2"}}"#),
        false,
        &cx,
        &stamp,
    )
    .unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let logs: ferry::local::Logs = {
        let lines = lines.clone();
        Arc::new(move |_: &str, line: &str| lines.lock().unwrap().push(line.to_string()))
    };
    let ran = invoke::run(
        &app,
        request,
        &target_dir().join("debug/echo"),
        &cx,
        logs,
        |_| panic!("a synchronous invocation is not accepted"),
        |_, _| panic!("a synchronous invocation is not retried"),
    )
    .unwrap();
    let invoke::Ran::Sync(out) = ran else {
        panic!("synchronous")
    };
    let r: Value = serde_json::from_slice(out.result.payload()).unwrap();
    assert_eq!(r["payload"]["order"], 8);
    assert_eq!(r["client_context"]["tenant"], "t2");
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("START RequestId:")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("REPORT RequestId:")),
        "{lines:?}"
    );
}

#[test]
fn json_output_is_one_document_with_the_logs() {
    let out = ferry(&[
        "--output",
        "json",
        "local",
        "invoke",
        "echo",
        "--payload",
        "{}",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = stdout_json(&out);
    assert_eq!(r["statusCode"], 200);
    assert!(r["functionError"].is_null());
    assert_eq!(r["payload"]["env"]["GREETING"], "hello");
    let logs: Vec<&str> = r["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        logs.iter().any(|l| l.starts_with("REPORT RequestId: ")),
        "{logs:?}"
    );
}

#[test]
fn a_handler_error_is_reported_as_lambda_does() {
    let out = ferry(&[
        "local",
        "invoke",
        "echo",
        "--payload",
        r#"{"fail": "no such order"}"#,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = stdout_json(&out);
    assert_eq!(r["errorMessage"], "no such order");
    assert!(r["errorType"].is_string());
    let err = stderr(&out);
    assert!(
        err.contains("error: function `echo` returned an error"),
        "{err}"
    );
    assert!(err.contains("Status: error"), "{err}");
    assert!(!err.contains("panicked at"), "{err}");
}

#[test]
fn a_panic_in_the_handler_is_a_function_error() {
    let out = ferry(&[
        "local",
        "invoke",
        "echo",
        "--payload",
        r#"{"panic": "boom"}"#,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = stdout_json(&out);
    assert!(r["errorMessage"].as_str().unwrap().contains("boom"), "{r}");
}

#[test]
fn an_init_failure_reports_the_exit_and_the_functions_own_message() {
    let out = ferry(&["local", "invoke", "broken-init"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = stdout_json(&out);
    assert_eq!(r["errorType"], "Runtime.ExitError");
    assert!(
        r["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Runtime exited with error: exit status 1"),
        "{r}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("missing configuration: DATABASE_URL is not set"),
        "{err}"
    );
}

#[test]
fn a_crash_during_an_invocation_is_an_exit_error() {
    let out = ferry(&["local", "invoke", "echo", "--payload", r#"{"exit": 3}"#]);
    assert_eq!(out.status.code(), Some(1));
    let r = stdout_json(&out);
    assert_eq!(r["errorType"], "Runtime.ExitError");
    assert!(
        r["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("exit status 3"),
        "{r}"
    );
}

#[test]
fn the_timeout_stops_the_function() {
    let out = ferry(&[
        "local",
        "invoke",
        "echo",
        "--payload",
        r#"{"sleep_ms": 30000}"#,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = stdout_json(&out);
    assert_eq!(r["errorType"], "Sandbox.Timedout");
    assert!(
        r["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Task timed out after 2.00 seconds"),
        "{r}"
    );
    assert!(stderr(&out).contains("Task timed out after 2.00 seconds"));
}

#[test]
fn async_invoke_retries_then_sends_the_failure_record() {
    let out = ferry(&[
        "--output",
        "json",
        "local",
        "invoke",
        "echo",
        "--async",
        "--payload",
        r#"{"fail": "card declined"}"#,
    ]);
    assert!(
        out.status.success(),
        "an async invoke is accepted: {}",
        stderr(&out)
    );
    let r = stdout_json(&out);
    assert_eq!(r["statusCode"], 202);
    assert_eq!(r["condition"], "RetriesExhausted");
    let attempts = r["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "one try and `retries: 1`");
    assert!(
        attempts[1]["atSeconds"].as_f64().unwrap() >= 60.0,
        "Lambda waits a minute"
    );
    let d = &r["destination"];
    assert_eq!(d["on"], "on_failure");
    assert_eq!(d["kind"], "queue");
    assert_eq!(d["target"], "failures");
    assert_eq!(
        d["arn"],
        "arn:aws:sqs:eu-west-1:123456789012:local-fixture-dev-failures"
    );
    let rec = &d["record"];
    assert_eq!(rec["version"], "1.0");
    assert_eq!(rec["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(rec["requestContext"]["approximateInvokeCount"], 2);
    assert_eq!(rec["requestContext"]["requestId"], r["requestId"]);
    assert_eq!(rec["requestPayload"]["fail"], "card declined");
    assert_eq!(rec["responseContext"]["functionError"], "Unhandled");
    assert_eq!(rec["responsePayload"]["errorMessage"], "card declined");

    // Success with no on_success destination: one attempt, nothing sent.
    let out = ferry(&["local", "invoke", "echo", "--async", "--payload", "{}"]);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = stderr(&out);
    assert!(err.contains("202 Accepted"), "{err}");
    assert!(err.contains("Success: 1 attempt"), "{err}");
    assert!(err.contains("no destination is set for success"), "{err}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = ferry(&["local", "invoke", "ecko"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no function `ecko`") && err.contains("did you mean `echo`?"),
        "{err}"
    );
    let out = ferry(&["local", "invoke", "echo", "--payload", "{nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the payload is not JSON"),
        "{}",
        stderr(&out)
    );
    let out = ferry(&["local", "invoke", "echo", "--payload", "@missing.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read missing.json"));
    for out in [
        &ferry(&["local", "invoke"]),
        &ferry(&["local", "serve", "--port", "x"]),
    ] {
        assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    }
    // An app whose only function is a container image has nothing to serve.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.yaml"),
        "app: quiet\nfunctions:\n  job:\n    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/job:1\n",
    )
    .unwrap();
    let out = ferry_in(dir.path(), &["local", "serve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no functions built from a crate to serve"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
    // Generated events: a kind the function has no trigger of, a trigger
    // out of range, an unknown kind, a queue nobody consumes.
    let out = ferry(&["local", "invoke", "echo", "--event", "queue"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("function `echo` has no `queue` trigger (it has no triggers)"),
        "{}",
        stderr(&out)
    );
    let out = ferry(&["local", "events", "typed", "--trigger", "99"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--trigger takes 0 to 9"),
        "{}",
        stderr(&out)
    );
    let out = ferry(&["local", "invoke", "typed", "--event", "sqs"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown kind is a usage error"
    );
    let out = ferry(&["local", "send", "failures", "hello"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no function has a trigger on queue `failures`"),
        "{}",
        stderr(&out)
    );
    let out = ferry(&["local", "send", "jobz", "hello"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("did you mean `jobs`?"),
        "{}",
        stderr(&out)
    );
}

// ---- serve ----

/// A running `ferry local serve`, stopped on drop.
struct Served {
    child: Child,
    port: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn start(dir: &Path, extra: &[&str]) -> Served {
        Served::start_with_stderr(dir, extra, Stdio::null())
    }

    fn start_with_stderr(dir: &Path, extra: &[&str], stderr: Stdio) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(["local", "serve", "--port", "0"])
            .args(extra)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target_dir())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("a first line").unwrap();
        let port = first
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Served { child, port }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        // The server's own Host unless the test gives one.
        let host = match headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")) {
            Some(_) => String::new(),
            None => format!("Host: 127.0.0.1:{}\r\n", self.port),
        };
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\n{host}Connection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header block");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        (status, headers, raw[split + 4..].to_vec())
    }

    fn get_json(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let (status, _, body) = self.request("GET", path, headers, b"");
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn serve_routes_requests_as_api_gateway_does() {
    let s = Served::start(&fixture(), &[]);
    let (status, headers, body) = s.request(
        "GET",
        "/users/a%20b?q=1&q=2",
        &[("x-test", "yes"), ("Origin", "https://app.example")],
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-served-by"), Some("web"));
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        Some("https://app.example")
    );
    let r: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(r["id"], "a b", "path parameters are decoded");
    assert_eq!(r["q"], serde_json::json!(["1", "2"]));
    assert_eq!(r["header"], "yes");
    assert_eq!(
        r["self_url"],
        format!("http://127.0.0.1:{}", s.port),
        "`${{http.url}}` is the port served, also with --port 0"
    );

    // A binary body arrives whole (base64 on the way).
    let bytes: Vec<u8> = (0..=255u8).collect();
    let (status, _, body) = s.request(
        "POST",
        "/upload",
        &[("content-type", "application/octet-stream")],
        &bytes,
    );
    assert_eq!(status, 201);
    let r: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(r["body_len"], 256);
    assert_eq!(r["body_sum"], (0..=255u64).sum::<u64>());

    let (_, r) = s.get_json("/files/a/b/c.txt", &[]);
    assert_eq!(r["rest"], "a/b/c.txt", "a greedy variable takes the rest");
    let (status, r) = s.get_json("/lambda-url/web/hook?q=z", &[]);
    assert_eq!(status, 200);
    assert_eq!(r["path"], "/hook", "a function URL sees its own path");
    // A streamed function URL response, buffered: status, headers, body.
    let (status, headers, body) = s.request("GET", "/lambda-url/stream/", &[], b"");
    assert_eq!(status, 206);
    assert_eq!(header(&headers, "x-streamed"), Some("yes"));
    assert_eq!(body, b"streamed body");
    assert_eq!(s.get_json("/nowhere", &[]).0, 404);
    assert_eq!(s.request("DELETE", "/upload", &[], b"").0, 404);
    // CORS preflight, answered without the function.
    let (status, headers, _) = s.request(
        "OPTIONS",
        "/upload",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert_eq!(status, 204);
    assert_eq!(
        header(&headers, "access-control-allow-methods"),
        Some("GET,POST")
    );

    // DNS rebinding: a page of another site whose name resolves to
    // 127.0.0.1 sends its own Host. Refused, and the function never runs.
    let rebound = format!("rebind.attacker.example:{}", s.port);
    let (status, headers, _) = s.request("GET", "/users/x", &[("Host", &rebound)], b"");
    assert_eq!(status, 421);
    assert_eq!(header(&headers, "x-served-by"), None);
    let (status, _, _) = s.request("GET", "/users/x", &[("Host", "127.0.0.1")], b"");
    assert_eq!(status, 421, "another port of the loopback address");
    let local = format!("localhost:{}", s.port);
    assert_eq!(
        s.request("GET", "/users/x", &[("Host", &local)], b"").0,
        200
    );
}

#[test]
fn jwt_routes_need_a_token_and_pass_its_claims_on() {
    use base64::Engine;
    let s = Served::start(&fixture(), &[]);
    assert_eq!(s.get_json("/me", &[]).0, 401);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims =
        serde_json::json!({ "cognito:username": "rider", "sub": "u1", "exp": 4_000_000_000u64 });
    let token = format!(
        "Bearer {}.{}.sig",
        b64.encode("{}"),
        b64.encode(claims.to_string())
    );
    let (status, r) = s.get_json("/me", &[("Authorization", &token)]);
    assert_eq!(status, 200);
    assert_eq!(r["claims"]["cognito:username"], "rider");
    assert_eq!(
        r["claims"]["exp"], "4000000000",
        "claims are strings, as API Gateway sends them"
    );
    let expired = serde_json::json!({ "exp": 1 });
    let token = format!(
        "Bearer {}.{}.sig",
        b64.encode("{}"),
        b64.encode(expired.to_string())
    );
    assert_eq!(s.get_json("/me", &[("Authorization", &token)]).0, 401);
}

#[test]
fn concurrent_requests_get_their_own_instances_and_instances_stay_warm() {
    let s = Served::start(&fixture(), &[]);
    let pids: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| s.get_json("/slow", &[]).1["pid"].as_u64().unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let distinct: std::collections::BTreeSet<u64> = pids.iter().copied().collect();
    assert!(
        distinct.len() >= 2,
        "overlapping requests ran on one instance: {pids:?}"
    );
    // One at a time, requests reuse a warm instance.
    for _ in 0..5 {
        let pid = s.get_json("/users/1", &[]).1["pid"].as_u64().unwrap();
        assert!(
            distinct.contains(&pid),
            "a new instance {pid} started while {distinct:?} were idle"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "target" || name == ".ferry" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

#[test]
fn watch_rebuilds_and_serves_the_change() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    // Its own package name, so that its binary does not replace the one
    // the other tests run from the shared target folder.
    let cargo = dir.path().join("web/Cargo.toml");
    let text = std::fs::read_to_string(&cargo).unwrap();
    std::fs::write(
        &cargo,
        text.replace(r#"name = "web""#, r#"name = "web-watch""#),
    )
    .unwrap();
    let manifest = dir.path().join("ferry.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("  web:\n", "  web:\n    crate: web-watch\n"),
    )
    .unwrap();
    let s = Served::start(dir.path(), &["--watch"]);
    let (_, headers, _) = s.request("GET", "/users/1", &[], b"");
    assert_eq!(header(&headers, "x-served-by"), Some("web"));
    let main = dir.path().join("web/src/main.rs");
    let src = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        src.replace(r#""x-served-by", "web""#, r#""x-served-by", "web-v2""#),
    )
    .unwrap();
    let until = Instant::now() + Duration::from_secs(240);
    loop {
        let (_, headers, _) = s.request("GET", "/users/1", &[], b"");
        if header(&headers, "x-served-by") == Some("web-v2") {
            break;
        }
        assert!(Instant::now() < until, "the change was not served");
        std::thread::sleep(Duration::from_millis(250));
    }
}

// ---- the emulator with a runtime that is not Rust ----

/// A runtime written in Python speaks the same API: this one reports an
/// init error once, then on its second start echoes the headers it got.
#[test]
fn the_runtime_api_serves_any_runtime_and_takes_init_errors() {
    use ferry::local::{api::Invocation, instance::Result, instance::Spec, pool::Pool};
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bootstrap");
    let marker = dir.path().join("started-once");
    std::fs::write(
        &script,
        format!(
            r#"#!/usr/bin/env python3
import json, os, sys, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
def post(path, body, headers={{}}):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method="POST", headers=headers)
    return urllib.request.urlopen(req).status
if not os.path.exists({marker:?}):
    open({marker:?}, "w").close()
    print("init failing", flush=True)
    post("/init/error", {{"errorType": "Config.Missing", "errorMessage": "no table"}}, {{"Lambda-Runtime-Function-Error-Type": "Config.Missing"}})
    sys.exit(1)
while True:
    r = urllib.request.urlopen(api + "/invocation/next")
    h = dict(r.headers)
    event = json.loads(r.read())
    rid = h["Lambda-Runtime-Aws-Request-Id"]
    code = post("/invocation/" + rid + "/response", {{"event": event, "headers": h, "env": os.environ.get("AWS_LAMBDA_FUNCTION_NAME")}})
"#
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let spec = Spec {
        function: "py".into(),
        binary: script,
        env: vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), "app-dev-py".into()),
        ],
        timeout: Duration::from_secs(5),
        memory: 128,
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:app-dev-py:live".into(),
    };
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = logs.clone();
    let pool = Pool::new(
        spec,
        2,
        std::sync::Arc::new(move |_: &str, l: &str| sink.lock().unwrap().push(l.to_string())),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let first = pool
            .invoke(Invocation::new(
                r#"{"n":1}"#,
                "arn:aws:lambda:us-east-1:123456789012:function:app-dev-py:live",
            ))
            .await;
        match &first.result {
            Result::Error { error_type, body } => {
                assert_eq!(error_type, "Config.Missing");
                let v: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(v["errorMessage"], "no table");
            }
            other => panic!("expected the init error, got {other:?}"),
        }
        assert!(!first.alive);
        let mut inv = Invocation::new(
            r#"{"n":2}"#,
            "arn:aws:lambda:us-east-1:123456789012:function:app-dev-py:live",
        );
        inv.cognito_identity = Some(r#"{"cognitoIdentityId":"id-1"}"#.into());
        let id = inv.request_id.clone();
        let second = pool.invoke(inv).await;
        let Result::Response(body) = &second.result else {
            panic!("expected a response, got {:?}", second.result);
        };
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["event"]["n"], 2);
        assert_eq!(v["env"], "app-dev-py");
        let h = &v["headers"];
        assert_eq!(h["Lambda-Runtime-Aws-Request-Id"], id.as_str());
        assert_eq!(
            h["Lambda-Runtime-Invoked-Function-Arn"],
            "arn:aws:lambda:us-east-1:123456789012:function:app-dev-py:live"
        );
        assert!(
            h["Lambda-Runtime-Trace-Id"]
                .as_str()
                .unwrap()
                .starts_with("Root=1-")
        );
        assert!(
            h["Lambda-Runtime-Deadline-Ms"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .is_ok()
        );
        assert_eq!(
            h["Lambda-Runtime-Cognito-Identity"],
            r#"{"cognitoIdentityId":"id-1"}"#
        );
        assert_eq!(pool.cold_starts(), 2);
    });
    let logs = logs.lock().unwrap();
    assert!(logs.iter().any(|l| l == "init failing"), "{logs:?}");
}

/// An invocation whose caller goes away part-way (a client hanging up on
/// `local serve`) gives its instance slot back: the function never runs out
/// of instances.
#[test]
fn cancelled_invocations_do_not_use_up_the_instances() {
    use ferry::local::{api::Invocation, instance::Result, instance::Spec, pool::Pool};
    // Builds the fixture's `echo` for this machine.
    let out = ferry(&["-q", "local", "invoke", "echo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let spec = Spec {
        function: "echo".into(),
        binary: target_dir().join("debug/echo"),
        env: vec![
            ("AWS_LAMBDA_FUNCTION_NAME".into(), "echo".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        ],
        timeout: Duration::from_secs(5),
        memory: 128,
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:echo".into(),
    };
    let pool = Pool::new(spec, 2, std::sync::Arc::new(|_: &str, _: &str| {}));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..5 {
            let slow = Invocation::new(r#"{"sleep_ms": 2000}"#, "arn:echo");
            let cut = tokio::time::timeout(Duration::from_millis(300), pool.invoke(slow)).await;
            assert!(cut.is_err(), "the invocation should have been cut short");
        }
        let out = pool.invoke(Invocation::new("{}", "arn:echo")).await;
        assert!(
            matches!(out.result, Result::Response(_)),
            "after cancelled invocations: {:?}",
            out.result
        );
    });
}

// ---- generated events, the Invoke API, schedules and queues ----

/// `ferry local invoke typed --event KIND`: the handler takes the event into
/// its `aws_lambda_events` type, and answers what it read.
fn invoke_typed(args: &[&str]) -> Value {
    let mut all = vec!["--output", "json", "local", "invoke", "typed"];
    all.extend_from_slice(args);
    let out = ferry(&all);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let r = stdout_json(&out);
    assert!(
        r["functionError"].is_null(),
        "{args:?}: the typed handler refused the event: {}",
        r["payload"]
    );
    r["payload"].clone()
}

#[test]
fn every_generated_event_fits_its_aws_lambda_events_type() {
    let acct = "123456789012";
    let q = invoke_typed(&["--event", "queue"]);
    assert_eq!(q["kind"], "queue");
    assert_eq!(
        q["source_arn"],
        format!("arn:aws:sqs:eu-west-1:{acct}:local-fixture-dev-jobs")
    );
    assert_eq!(
        q["bodies"][0], r#"{"type":"job"}"#,
        "the body passes the filter"
    );
    assert_eq!(q["batchItemFailures"], serde_json::json!([]));
    let s = invoke_typed(&["--event", "schedule"]);
    assert_eq!(s["kind"], "event");
    assert_eq!(s["detail_type"], "Scheduled Event");
    assert_eq!(
        s["resources"][0],
        format!("arn:aws:events:eu-west-1:{acct}:rule/local-fixture-dev-TypedSchedule1")
    );
    let d = invoke_typed(&["--event", "stream"]);
    assert_eq!(d["kind"], "stream");
    assert!(
        d["source_arn"].as_str().unwrap().starts_with(&format!(
            "arn:aws:dynamodb:eu-west-1:{acct}:table/local-fixture-dev-items/stream/"
        )),
        "{d}"
    );
    assert_eq!(d["keys"], serde_json::json!(["id"]));
    assert_eq!(d["has_old_image"], true, "new_and_old_images");
    let t = invoke_typed(&["--event", "topic"]);
    assert_eq!(
        t["topic_arn"],
        format!("arn:aws:sns:eu-west-1:{acct}:local-fixture-dev-news")
    );
    let b = invoke_typed(&["--event", "bucket"]);
    assert_eq!(
        b["bucket"],
        format!("local-fixture-dev-uploads-{acct}-eu-west-1")
    );
    assert_eq!(b["key"], "in/sample.json");
    assert_eq!(b["event_name"], "ObjectCreated:Put");
    let e = invoke_typed(&["--event", "event"]);
    assert_eq!(e["source"], "local.fixture");
    assert_eq!(e["detail_type"], "Thing Done");
    let h = invoke_typed(&["--event", "http"]);
    assert_eq!(h["kind"], "http");
    assert_eq!(h["route_key"], "GET /typed/{id}");
    assert_eq!(h["path_parameters"]["id"], "id");
    let u = invoke_typed(&["--event", "url"]);
    assert_eq!(u["kind"], "url");
    assert_eq!(u["method"], "GET");

    // `local events` lists every trigger's event; the Kinesis stream and
    // the cron schedule's payload are not the first of their kind.
    let out = ferry(&["--output", "json", "local", "events", "typed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout_json(&out);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 10);
    assert_eq!(list[2]["kind"], "schedule");
    assert_eq!(
        list[2]["event"],
        serde_json::json!({ "job": "local-fixture-nightly" })
    );
    // A cron schedule is fired by hand, with its payload.
    let c = invoke_typed(&["--trigger", "2"]);
    assert_eq!(c["kind"], "payload");
    assert_eq!(c["payload"]["job"], "local-fixture-nightly");
    let kinesis = list[4]["event"].to_string();
    let k = invoke_typed(&["--payload", &kinesis]);
    assert_eq!(k["kind"], "kinesis");
    assert_eq!(
        k["source_arn"],
        format!("arn:aws:kinesis:eu-west-1:{acct}:stream/clicks")
    );
    assert!(k["data"].as_str().unwrap().contains("hello"), "{k}");
    // One trigger alone, as plain JSON for a file.
    let out = ferry(&["local", "events", "typed", "--trigger", "5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let topic = stdout_json(&out);
    assert_eq!(topic["Records"][0]["EventSource"], "aws:sns");
}

/// Python with boto3, from the project's `.venv`.
fn python() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let ok = Command::new(&p)
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(p)
}

const BOTO3_CALLS: &str = r#"
import base64, json, sys
import boto3, botocore
port = sys.argv[1]
client = boto3.client(
    "lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-west-1",
    aws_access_key_id="any", aws_secret_access_key="any",
    config=botocore.config.Config(retries={"max_attempts": 1}),
)
out = {}
r = client.invoke(FunctionName="echo", Payload=json.dumps({"order": 1}), LogType="Tail")
out["sync"] = {
    "status": r["StatusCode"], "version": r.get("ExecutedVersion"),
    "error": r.get("FunctionError"), "payload": json.loads(r["Payload"].read()),
    "log": base64.b64decode(r["LogResult"]).decode(),
}
r = client.invoke(
    FunctionName="arn:aws:lambda:eu-west-1:123456789012:function:local-fixture-dev-echo",
    Qualifier="live", Payload=json.dumps({"fail": "no stock"}), LogType="Tail",
)
out["error"] = {
    "status": r["StatusCode"], "error": r.get("FunctionError"),
    "payload": json.loads(r["Payload"].read()),
    "log": base64.b64decode(r["LogResult"]).decode(),
}
r = client.invoke(FunctionName="local-fixture-dev-echo:live", InvocationType="Event", Payload=b"{}")
out["event"] = {"status": r["StatusCode"]}
r = client.invoke(FunctionName="echo", InvocationType="DryRun")
out["dry_run"] = {"status": r["StatusCode"]}
for name, payload in [("nope", b"{}"), ("echo", b"[" + b"1," * (3 * 1024 * 1024) + b"1]")]:
    try:
        client.invoke(FunctionName=name, Payload=payload)
        out[name] = {"code": None}
    except botocore.exceptions.ClientError as e:
        out[name] = {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                     "message": e.response["Error"].get("Message")}
print(json.dumps(out))
"#;

#[test]
fn boto3_invokes_local_functions_through_the_invoke_api() {
    let Some(python) = python() else {
        panic!("boto3 is needed: run ./scripts/test, which sets up .venv");
    };
    let server_log = tempfile::NamedTempFile::new().unwrap();
    let s = Served::start_with_stderr(&fixture(), &[], Stdio::from(server_log.reopen().unwrap()));
    let out = Command::new(python)
        .args(["-c", BOTO3_CALLS, &s.port.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = stdout_json(&out);
    let sync = &r["sync"];
    assert_eq!(sync["status"], 200);
    assert_eq!(sync["version"], "$LATEST");
    assert!(sync["error"].is_null());
    assert_eq!(sync["payload"]["payload"]["order"], 1);
    assert_eq!(
        sync["payload"]["function_arn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:local-fixture-dev-echo:live"
    );
    let id = sync["payload"]["request_id"].as_str().unwrap();
    let log = sync["log"].as_str().unwrap();
    assert!(log.contains(&format!("START RequestId: {id}")), "{log}");
    assert!(log.contains(&format!("handled {id}")), "{log}");
    assert!(log.contains(&format!("REPORT RequestId: {id}")), "{log}");
    let err = &r["error"];
    assert_eq!(err["status"], 200);
    assert_eq!(err["error"], "Unhandled");
    assert_eq!(err["payload"]["errorMessage"], "no stock");
    assert!(
        err["log"].as_str().unwrap().contains("Status: error"),
        "{err}"
    );
    assert!(
        !err["log"].as_str().unwrap().contains(id),
        "the tail holds this invocation's logs only: {err}"
    );
    assert_eq!(r["event"]["status"], 202);
    // The event ran after the 202, under the function's async policy.
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(server_log.path()).unwrap();
        if text.contains("echo: async ")
            && text.contains(" Success: 1 attempt; no destination is set")
        {
            break;
        }
        assert!(
            Instant::now() < until,
            "the async invocation did not run:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(r["dry_run"]["status"], 204);
    assert_eq!(r["nope"]["code"], "ResourceNotFoundException");
    assert_eq!(r["nope"]["status"], 404);
    assert!(
        r["nope"]["message"]
            .as_str()
            .unwrap()
            .contains("function:nope"),
        "{}",
        r["nope"]
    );
    assert_eq!(r["echo"]["code"], "RequestTooLargeException");
    assert_eq!(r["echo"]["status"], 413);
}

#[test]
fn rate_schedules_fire_on_their_period() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let s = Served::start_with_stderr(
        &fixture(),
        &["--schedules", "--time-scale", "60"],
        Stdio::from(log.reopen().unwrap()),
    );
    // rate(1 minute), 60 times faster: once a second.
    let until = Instant::now() + Duration::from_secs(30);
    let fired = loop {
        let text = std::fs::read_to_string(log.path()).unwrap();
        let fired = text
            .lines()
            .filter(|l| l.starts_with("schedule rate(1 minute) -> typed ok"))
            .count();
        if fired >= 2 || Instant::now() > until {
            break fired;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(s);
    assert!(
        fired >= 2,
        "fired {fired} times:\n{}",
        std::fs::read_to_string(log.path()).unwrap()
    );
}

#[test]
fn a_queue_trigger_filters_batches_redelivers_failed_items_and_dead_letters() {
    let out = ferry(&[
        "--output",
        "json",
        "local",
        "send",
        "jobs",
        r#"{"type":"job","n":1}"#,
        r#"{"type":"job","n":2,"fail":true}"#,
        r#"{"type":"other","n":4}"#,
        r#"{"type":"job","n":3,"fail_once":true}"#,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = stdout_json(&out);
    let id_of = |n: u32| -> String {
        r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["body"].as_str().unwrap().contains(&format!("\"n\":{n}")))
            .map(|m| m["messageId"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (one, two, three, four) = (id_of(1), id_of(2), id_of(3), id_of(4));
    let ids = |v: &Value| -> Vec<String> {
        let mut v: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let steps = r["steps"].as_array().unwrap();
    let of = |kind: &str| -> Vec<&Value> { steps.iter().filter(|s| s["step"] == kind).collect() };
    assert_eq!(ids(&of("filteredOut")[0]["ids"]), vec![four.clone()]);
    let batches = of("batch");
    assert_eq!(batches.len(), 2, "{steps:?}");
    assert_eq!(
        ids(&batches[0]["ids"]),
        sorted(vec![one.clone(), two.clone(), three.clone()]),
        "batch_size 3, the filtered message left out"
    );
    let failed = of("failed");
    assert_eq!(
        ids(&failed[0]["ids"]),
        sorted(vec![two.clone(), three.clone()]),
        "only the reported items failed"
    );
    assert_eq!(
        ids(&batches[1]["ids"]),
        sorted(vec![two.clone(), three.clone()]),
        "exactly the failed items come back"
    );
    assert_eq!(of("window").len(), 1, "the second batch is not full");
    assert_eq!(ids(&failed[1]["ids"]), vec![two.clone()]);
    let dead = of("deadLettered");
    assert_eq!(dead.len(), 1);
    assert_eq!(ids(&dead[0]["ids"]), vec![two.clone()]);
    assert_eq!(dead[0]["receives"], 2, "max_receives");
    assert_eq!(dead[0]["queue"], "jobs-dlq");
    assert_eq!(
        dead[0]["arn"],
        "arn:aws:sqs:eu-west-1:123456789012:local-fixture-dev-jobs-dlq"
    );
    assert_eq!(ids(&r["processed"]), sorted(vec![one, three]));
    assert_eq!(r["invocations"], 2);
    assert_eq!(
        r["deadLettered"][0]["body"],
        r#"{"type":"job","n":2,"fail":true}"#
    );
}

const SQS_CALLS: &str = r#"
import json, sys
import boto3
endpoint, action = sys.argv[1], sys.argv[2]
sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="eu-west-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
if action == "create":
    sqs.create_queue(QueueName="local-fixture-dev-jobs-dlq")
else:
    url = sqs.get_queue_url(QueueName="local-fixture-dev-jobs-dlq")["QueueUrl"]
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    print(json.dumps([m["Body"] for m in r.get("Messages", [])]))
"#;

#[test]
fn dead_letters_are_sent_to_the_queue_on_an_emulator() {
    let Some(python) = python() else {
        panic!("boto3 is needed: run ./scripts/test, which sets up .venv");
    };
    let moto = common::Moto::start();
    let sqs = |action: &str| {
        let out = Command::new(&python)
            .args(["-c", SQS_CALLS, &moto.endpoint(), action])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    sqs("create");
    let body = r#"{"type":"job","n":2,"fail":true}"#;
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["--output", "json", "local", "send", "jobs", body])
        .args(["--endpoint-url", &moto.endpoint()])
        .current_dir(fixture())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = stdout_json(&out);
    assert_eq!(
        r["deadLettered"][0]["sentTo"],
        format!(
            "{}/123456789012/local-fixture-dev-jobs-dlq",
            moto.endpoint()
        )
    );
    let received: Vec<String> = serde_json::from_slice(&sqs("receive").stdout).unwrap();
    assert_eq!(received, vec![body.to_string()]);
}
