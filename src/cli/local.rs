//! `ferry local invoke`, `events`, `serve` and `send`.

use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};

use serde_json::{Value, json};

use super::{Cli, Failure, LocalCommand, Outcome, Output, load};
use crate::local::{
    self, asynchronous, environment::Context, events, host, instance, invoke, poller, serve,
};
use crate::manifest::model::App;

pub(super) fn run(cli: &Cli, command: &LocalCommand) -> Outcome {
    match command {
        LocalCommand::Invoke {
            function,
            payload,
            event,
            trigger,
            asynchronous,
            client_context,
            release,
        } => invoke(
            cli,
            function,
            Body {
                payload,
                event: event.as_deref(),
                trigger: *trigger,
            },
            *asynchronous,
            client_context.as_deref(),
            *release,
        ),
        LocalCommand::Serve {
            port,
            watch,
            schedules,
            time_scale,
            release,
        } => serve(
            cli,
            *port,
            *watch,
            schedules.then_some(*time_scale),
            *release,
        ),
        LocalCommand::Events { function, trigger } => events(cli, function, *trigger),
        LocalCommand::Send {
            queue,
            bodies,
            function,
            release,
        } => send(cli, queue, bodies, function.as_deref(), *release),
    }
}

fn human(cli: &Cli) -> bool {
    cli.output == Output::Human && cli.quiet == 0
}

/// Builds `functions` for this machine, printing diagnostics on failure.
fn build(
    cli: &Cli,
    app: &App,
    functions: &[String],
    release: bool,
) -> Result<host::Binaries, Failure> {
    if human(cli) {
        eprintln!(
            "Building {} for this machine ({})",
            if functions.len() == 1 {
                functions[0].as_str()
            } else {
                app.name.as_str()
            },
            if release { "release" } else { "dev" }
        );
    }
    host::build(
        app,
        functions,
        release,
        cli.quiet > 0 || cli.output == Output::Json,
    )
    .map_err(|e| super::build_failure(cli, app, e))
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, Failure> {
    let mut b = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    b.enable_all()
        .build()
        .map_err(|e| Failure::Message(format!("cannot start the async runtime: {e}")))
}

fn as_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// What to invoke with: a payload, the event of a trigger kind, or of one
/// trigger.
struct Body<'a> {
    payload: &'a str,
    event: Option<&'a str>,
    trigger: Option<usize>,
}

/// A fresh stamp for generated events: now, and a random seed for ids.
fn stamp() -> events::Stamp {
    events::Stamp {
        epoch_ms: instance::now_ms(),
        seed: local::api::new_request_id(),
    }
}

fn invoke(
    cli: &Cli,
    function: &str,
    body: Body,
    asynchronous: bool,
    client_context: Option<&str>,
    release: bool,
) -> Outcome {
    let app = load(cli)?;
    app.function(function)?;
    let cx = context(cli, &app, SERVE_PORT);
    let input = match (body.event, body.trigger) {
        (_, Some(index)) => invoke::Input::Trigger(index),
        (Some(kind), None) => invoke::Input::Kind(kind),
        (None, None) => {
            invoke::Input::Payload(crate::payload::read(body.payload, std::io::stdin())?)
        }
    };
    let request = invoke::request(
        &app,
        function,
        input,
        client_context,
        asynchronous,
        &cx,
        &stamp(),
    )?;
    let binaries = build(cli, &app, &[function.to_string()], release)?;
    let Some(binary) = binaries.get(function) else {
        return Err(Failure::Message(format!(
            "function `{function}` was not built"
        )));
    };
    let collected: Arc<Mutex<Vec<String>>> = Arc::default();
    let logs: local::Logs = match cli.output {
        Output::Json => {
            let c = collected.clone();
            Arc::new(move |_f: &str, line: &str| c.lock().expect("lock").push(line.to_string()))
        }
        Output::Human if cli.quiet > 0 => Arc::new(|_: &str, _: &str| {}),
        Output::Human => Arc::new(|_: &str, line: &str| {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }),
    };
    let quiet = !human(cli);
    let ran = invoke::run(
        &app,
        request,
        binary,
        &cx,
        logs,
        |request_id| {
            if !quiet {
                eprintln!("202 Accepted (RequestId: {request_id})");
            }
        },
        |n, wait| {
            if !quiet {
                eprintln!(
                    "retry {n}: Lambda would wait {}s; waiting {} ms",
                    wait.as_secs(),
                    asynchronous::SHORTENED_WAIT.as_millis()
                );
            }
        },
    )?;
    match ran {
        invoke::Ran::Async(report) => {
            print_async(cli, &report, &collected.lock().expect("lock"));
            Ok(())
        }
        invoke::Ran::Sync(out) => {
            let payload = out.result.payload();
            match cli.output {
                Output::Json => println!(
                    "{}",
                    json!({
                        "statusCode": 200,
                        "requestId": out.request_id,
                        "functionError": out.result.is_error().then_some("Unhandled"),
                        "payload": as_json(payload),
                        "durationMs": out.duration.as_secs_f64() * 1000.0,
                        "initDurationMs": out.init.map(|d| d.as_secs_f64() * 1000.0),
                        "logs": *collected.lock().expect("lock"),
                    })
                ),
                Output::Human => println!("{}", String::from_utf8_lossy(payload)),
            }
            match &out.result {
                instance::Result::Response(_) => Ok(()),
                instance::Result::Error { error_type, .. } => Err(Failure::Message(format!(
                    "function `{function}` returned an error ({error_type})"
                ))),
            }
        }
    }
}

/// Prints what an asynchronous invocation gave: its attempts and the
/// destination record.
fn print_async(cli: &Cli, report: &asynchronous::Report, logs: &[String]) {
    let delivery = report.delivery.as_ref().map(|d| {
        json!({ "on": d.slot, "kind": d.kind, "target": d.target, "arn": d.arn, "record": d.record })
    });
    match cli.output {
        Output::Json => println!(
            "{}",
            json!({
                "statusCode": 202,
                "requestId": report.request_id,
                "condition": report.condition,
                "attempts": report.attempts.iter().map(|a| json!({
                    "atSeconds": a.at.as_secs_f64(),
                    "durationMs": a.outcome.duration.as_secs_f64() * 1000.0,
                    "functionError": a.outcome.result.is_error().then_some("Unhandled"),
                    "payload": as_json(a.outcome.result.payload()),
                })).collect::<Vec<_>>(),
                "destination": delivery,
                "logs": logs,
            })
        ),
        Output::Human => {
            let n = report.attempts.len();
            if human(cli) {
                eprintln!(
                    "{}: {n} attempt{}",
                    report.condition,
                    if n == 1 { "" } else { "s" }
                );
            }
            match &report.delivery {
                Some(d) => {
                    if human(cli) {
                        eprintln!(
                            "{} -> {} `{}` ({}) would receive:",
                            d.slot, d.kind, d.target, d.arn
                        );
                    }
                    println!("{}", serde_json::to_string_pretty(&d.record).expect("json"));
                }
                None if human(cli) => eprintln!(
                    "no destination is set for {}: the result is dropped",
                    if report.condition == "Success" {
                        "success"
                    } else {
                        "failure"
                    }
                ),
                None => {}
            }
        }
    }
}

fn prepare(cli: &Cli, port: u16, release: bool) -> Result<serve::Served, Failure> {
    let app = load(cli)?;
    let functions = serve::functions(&app);
    if functions.is_empty() {
        return Err(Failure::Message(format!(
            "{} has no functions built from a crate to serve",
            app.manifest.display()
        )));
    }
    let binaries = build(cli, &app, &functions, release)?;
    let cx = context(cli, &app, port);
    let logs: local::Logs = if cli.quiet > 0 {
        Arc::new(|_: &str, _: &str| {})
    } else {
        Arc::new(|f: &str, line: &str| {
            let _ = writeln!(std::io::stderr().lock(), "[{f}] {line}");
        })
    };
    Ok(serve::Served::new(app, cx, &binaries, &logs))
}

fn serve(cli: &Cli, port: u16, watch: bool, schedules: Option<u32>, release: bool) -> Outcome {
    let rt = runtime(2)?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .map_err(|e| {
            Failure::Message(format!(
                "cannot listen on 127.0.0.1:{port}: {e} (choose another with --port)"
            ))
        })?;
    // The port really listened on (`--port 0` picks one): `${http.url}`
    // resolves to it.
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    let served = prepare(cli, port, release)?;
    let base = format!("http://127.0.0.1:{port}");
    let routes = served.describe_routes(&base);
    let now = instance::now_ms() / 1000;
    let timers = match schedules {
        Some(_) => local::schedules::entries(&served.app, now),
        None => Vec::new(),
    };
    let scale = schedules.unwrap_or(1);
    let invoke_url = format!("{base}{}{{name}}/invocations", local::invoke_api::PREFIX);
    match cli.output {
        Output::Json => println!(
            "{}",
            json!({
                "url": base,
                "routes": routes.iter().map(|(m, u, f)| json!({ "method": m, "url": u, "function": f })).collect::<Vec<_>>(),
                "invokeApi": invoke_url,
                "functions": served.pools.keys().collect::<Vec<_>>(),
                "schedules": timers.iter().map(|e| json!({
                    "function": e.function,
                    "trigger": e.index,
                    "expression": e.expression,
                    "enabled": e.enabled,
                    "periodSeconds": e.period,
                    "next": e.next.map(|n| instance::iso_time(n * 1000)),
                })).collect::<Vec<_>>(),
            })
        ),
        Output::Human => {
            println!(
                "Serving {} (stage `{}`) on {base}",
                served.app.name, served.app.stage
            );
            for (m, u, f) in &routes {
                println!("  {m:<7} {u}  -> {f}");
            }
            println!(
                "  Invoke API: POST {invoke_url} ({})",
                served.pools.keys().cloned().collect::<Vec<_>>().join(", ")
            );
            for e in &timers {
                println!("  schedule {}", local::schedules::describe(e, scale));
            }
            if watch {
                println!("Watching {} for changes", served.app.root().display());
            }
            println!("Press Ctrl-C to stop.");
        }
    }
    if let Some(note) = local::environment::credentials_notice(cli.endpoint_url.as_deref(), |k| {
        std::env::var(k).ok()
    }) {
        eprintln!("note: {note}");
    }
    let _ = std::io::stdout().flush();
    let root = served.app.root();
    let shared: serve::Shared = Arc::new(RwLock::new(Arc::new(served)));
    let access: serve::Access = if cli.quiet > 0 {
        Arc::new(|_: &str| {})
    } else {
        Arc::new(|line: &str| eprintln!("{line}"))
    };
    let _watcher = if watch {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = serve::watch(&root, tx)
            .map_err(|e| Failure::Message(format!("cannot watch {}: {e}", root.display())))?;
        let shared = shared.clone();
        let cli = cli.clone();
        rt.spawn(async move {
            while let Some(paths) = serve::next_change(&mut rx).await {
                if cli.quiet == 0 {
                    eprintln!(
                        "Changed: {}; rebuilding",
                        paths
                            .iter()
                            .take(3)
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                let cli2 = cli.clone();
                let fresh =
                    tokio::task::spawn_blocking(move || prepare(&cli2, port, release)).await;
                match fresh {
                    Ok(Ok(s)) => {
                        *shared.write().expect("lock") = Arc::new(s);
                        if cli.quiet == 0 {
                            eprintln!("Reloaded: new requests run the new build");
                        }
                    }
                    Ok(Err(Failure::Message(m))) => {
                        eprintln!("error: {m}; still serving the last good build")
                    }
                    _ => eprintln!("error: the reload failed; still serving the last good build"),
                }
            }
        });
        Some(w)
    } else {
        None
    };
    let _timers = if schedules.is_some() {
        let _guard = rt.enter();
        local::schedules::start(shared.clone(), scale, access.clone())
    } else {
        Vec::new()
    };
    rt.block_on(serve::run(listener, shared, access, async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    Ok(())
}

/// `ferry local serve`'s default port: what `${http.url}` resolves to
/// for commands that do not serve.
pub(super) const SERVE_PORT: u16 = 9000;

/// The local values of references, for the flags given.
fn context(cli: &Cli, app: &App, port: u16) -> Context {
    Context::new(
        app,
        cli.region.as_deref(),
        cli.endpoint_url.as_deref(),
        port,
    )
}

fn events(cli: &Cli, function: &str, trigger: Option<usize>) -> Outcome {
    let app = load(cli)?;
    app.function(function)?;
    let cx = context(cli, &app, SERVE_PORT);
    let list = events::listed(&app, function, trigger, &cx, &stamp())?;
    match cli.output {
        Output::Json => println!(
            "{}",
            json!(
                list.iter()
                    .map(|(i, k, e)| json!({ "trigger": i, "kind": k, "event": e }))
                    .collect::<Vec<_>>()
            )
        ),
        Output::Human => {
            for (i, k, e) in &list {
                if trigger.is_none() && human(cli) {
                    eprintln!("trigger {i} ({k}):");
                }
                println!("{}", serde_json::to_string_pretty(e).unwrap_or_default());
            }
        }
    }
    Ok(())
}

fn send(
    cli: &Cli,
    queue: &str,
    bodies: &[String],
    function: Option<&str>,
    release: bool,
) -> Outcome {
    let app = load(cli)?;
    let (fname, index) = poller::consumer(&app, queue, function)?;
    invoke::runnable(&app, &fname)?;
    let binaries = build(cli, &app, std::slice::from_ref(&fname), release)?;
    let Some(binary) = binaries.get(&fname) else {
        return Err(Failure::Message(format!(
            "function `{fname}` was not built"
        )));
    };
    let cx = context(cli, &app, SERVE_PORT);
    let show = human(cli);
    let logs: local::Logs = if show {
        Arc::new(|f: &str, line: &str| {
            let _ = writeln!(std::io::stderr().lock(), "[{f}] {line}");
        })
    } else {
        Arc::new(|_: &str, _: &str| {})
    };
    let spec = local::spec(&app, &fname, binary, &cx);
    let pool = local::pool::Pool::new(spec, 1, logs);
    let rt = runtime(1)?;
    let mut steps: Vec<serde_json::Value> = Vec::new();
    let wait_ms = asynchronous::SHORTENED_WAIT.as_millis();
    let report = rt.block_on(poller::deliver(
        &app,
        &fname,
        index,
        &pool,
        bodies,
        &cx,
        asynchronous::SHORTENED_WAIT,
        |step| {
            let (line, record) = describe_step(&fname, &step, wait_ms);
            if show {
                eprintln!("{line}");
            }
            steps.push(record);
        },
    ));
    drop(pool);
    let sent = forward_dead_letters(cli, &app, queue, &report.dead_lettered, &cx, &rt)?;
    match cli.output {
        Output::Json => println!(
            "{}",
            json!({
                "queue": queue,
                "function": fname,
                "invocations": report.invocations,
                "processed": report.processed,
                "filteredOut": report.filtered_out,
                "deadLettered": report.dead_lettered.iter().zip(sent.iter().map(Some).chain(std::iter::repeat(None))).map(|((id, body), sent)| json!({
                    "messageId": id,
                    "body": body,
                    "sentTo": sent.map(|(url, _)| url),
                    "sentMessageId": sent.map(|(_, m)| m),
                })).collect::<Vec<_>>(),
                "givenUp": report.given_up,
                "messages": report.messages.iter().map(|(id, body)| json!({ "messageId": id, "body": body })).collect::<Vec<_>>(),
                "steps": steps,
            })
        ),
        Output::Human => {
            if show {
                eprintln!(
                    "{} processed, {} filtered out, {} dead-lettered, in {} invocation{}",
                    report.processed.len(),
                    report.filtered_out.len(),
                    report.dead_lettered.len(),
                    report.invocations,
                    if report.invocations == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(())
}

/// One step of `local send`: a line for people and a record for `--output json`.
fn describe_step(
    function: &str,
    step: &poller::Step,
    wait_ms: u128,
) -> (String, serde_json::Value) {
    use poller::Step;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match step {
        Step::Sent { id, body } => (
            format!("{id}: {body}"),
            json!({ "step": "sent", "ids": [id] }),
        ),
        Step::FilteredOut { id } => (
            format!("{id}: no filter matches: deleted without invoking {function}"),
            json!({ "step": "filteredOut", "ids": [id] }),
        ),
        Step::Window { real } => (
            format!(
                "batch not full: Lambda would wait up to {}s (the batch window); waiting {wait_ms} ms",
                real.as_secs()
            ),
            json!({ "step": "window", "seconds": real.as_secs() }),
        ),
        Step::Batch { ids, request_id } => (
            format!(
                "invoking {function} with {} message{} (RequestId: {request_id}): {}",
                ids.len(),
                plural(ids.len()),
                ids.join(", ")
            ),
            json!({ "step": "batch", "ids": ids, "requestId": request_id }),
        ),
        Step::Failed { ids, whole_batch } => (
            format!(
                "{}failed: {}",
                if *whole_batch { "the whole batch " } else { "" },
                ids.join(", ")
            ),
            json!({ "step": "failed", "ids": ids, "wholeBatch": whole_batch }),
        ),
        Step::Deleted { ids } => (
            format!("processed and deleted: {}", ids.join(", ")),
            json!({ "step": "deleted", "ids": ids }),
        ),
        Step::Visible { ids, real } => (
            format!(
                "{} message{} visible again after the visibility timeout ({}s; waiting {wait_ms} ms): {}",
                ids.len(),
                plural(ids.len()),
                real.as_secs(),
                ids.join(", ")
            ),
            json!({ "step": "visible", "ids": ids, "seconds": real.as_secs() }),
        ),
        Step::DeadLettered {
            id,
            receives,
            queue,
            arn,
        } => (
            format!(
                "{id}: received {receives} times (max_receives): moved to dead-letter queue `{queue}` ({arn})"
            ),
            json!({ "step": "deadLettered", "ids": [id], "receives": receives, "queue": queue, "arn": arn }),
        ),
        Step::GivenUp { id, receives } => (
            format!(
                "{id}: received {receives} times and the queue has no dead-letter queue: Lambda would retry it until the queue's retention ends; stopping here"
            ),
            json!({ "step": "givenUp", "ids": [id], "receives": receives }),
        ),
    }
}

/// With `--endpoint-url` (a local emulator such as moto), sends the
/// dead-lettered messages to the dead-letter queue there, and returns
/// (queue URL, message id) for each. Without one, nothing leaves this
/// machine.
fn forward_dead_letters(
    cli: &Cli,
    app: &App,
    queue: &str,
    dead: &[(String, String)],
    cx: &Context,
    rt: &tokio::runtime::Runtime,
) -> Result<Vec<(String, String)>, Failure> {
    let Some(url) = poller::dead_letter_url(app, queue, cx) else {
        return Ok(Vec::new());
    };
    if dead.is_empty() {
        return Ok(Vec::new());
    }
    rt.block_on(async {
        let aws = super::stack::connect(cli, Some(app)).await?;
        let show = human(cli);
        let sent = poller::forward_dead_letters(&aws, &url, dead, |id, message_id| {
            if show {
                eprintln!("{id}: sent to {url} (MessageId: {message_id})");
            }
        })
        .await?;
        Ok(sent)
    })
}
