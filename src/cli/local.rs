//! `ferry local invoke` and `ferry local serve`.

use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::{Value, json};

use super::{Cli, Failure, LocalCommand, Outcome, Output, known_function, load, read_payload};
use crate::build::BuildError;
use crate::local::{
    self, api::Invocation, asynchronous, environment::Context, host, instance, serve,
};
use crate::manifest::model::{App, Code, TriggerKind};

/// How long a shortened retry wait really lasts.
const SHORT_WAIT: Duration = Duration::from_millis(200);

pub(super) fn run(cli: &Cli, command: &LocalCommand) -> Outcome {
    match command {
        LocalCommand::Invoke {
            function,
            payload,
            asynchronous,
            client_context,
            release,
        } => invoke(
            cli,
            function,
            payload,
            *asynchronous,
            client_context.as_deref(),
            *release,
        ),
        LocalCommand::Serve {
            port,
            watch,
            release,
        } => serve(cli, *port, *watch, *release),
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
    .map_err(|e| match e {
        BuildError::Message(m) => Failure::Message(m),
        BuildError::Diagnostics(d) => {
            super::report_diagnostics(cli, &app.manifest, &d, &super::manifest_sources(app));
            Failure::Reported
        }
    })
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

fn invoke(
    cli: &Cli,
    function: &str,
    payload: &str,
    asynchronous: bool,
    client_context: Option<&str>,
    release: bool,
) -> Outcome {
    let app = load(cli)?;
    let f = known_function(&app, function)?;
    if let Code::Image(_) = f.code {
        return Err(Failure::Message(format!(
            "function `{function}` runs a container image: ferry local runs functions built from a crate"
        )));
    }
    let body = read_payload(payload)?;
    if let Some(c) = client_context {
        serde_json::from_str::<Value>(c)
            .map_err(|e| Failure::Message(format!("--client-context is not JSON: {e}")))?;
    }
    let binaries = build(cli, &app, &[function.to_string()], release)?;
    let Some(binary) = binaries.get(function) else {
        return Err(Failure::Message(format!(
            "function `{function}` was not built"
        )));
    };
    let cx = Context::new(
        &app,
        cli.region.as_deref(),
        cli.endpoint_url.as_deref(),
        9000,
    );
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
    let spec = local::spec(&app, function, binary, &cx);
    let pool = local::pool::Pool::new(spec, 1, logs);
    let mut inv = Invocation::new(body, &pool.spec().function_arn);
    inv.client_context = client_context.map(str::to_string);
    let rt = runtime(1)?;

    if asynchronous {
        let quiet = !human(cli);
        if !quiet {
            eprintln!("202 Accepted (RequestId: {})", inv.request_id);
        }
        let report = rt.block_on(asynchronous::invoke(
            &app,
            function,
            &pool,
            inv,
            &cx,
            SHORT_WAIT,
            |n, wait| {
                if !quiet {
                    eprintln!(
                        "retry {n}: Lambda would wait {}s; waiting {} ms",
                        wait.as_secs(),
                        SHORT_WAIT.as_millis()
                    );
                }
            },
        ));
        drop(pool);
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
                    "logs": *collected.lock().expect("lock"),
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
        return Ok(());
    }

    let out = rt.block_on(pool.invoke(inv));
    drop(pool);
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

/// The functions `serve` runs: those with a route or a function URL.
fn served_functions(app: &App) -> Vec<String> {
    app.functions
        .iter()
        .filter(|(_, f)| {
            matches!(f.code, Code::Crate { .. })
                && f.triggers
                    .iter()
                    .any(|t| matches!(t.kind, TriggerKind::Http(_) | TriggerKind::Url(_)))
        })
        .map(|(n, _)| n.clone())
        .collect()
}

fn prepare(cli: &Cli, port: u16, release: bool) -> Result<serve::Served, Failure> {
    let app = load(cli)?;
    let functions = served_functions(&app);
    if functions.is_empty() {
        return Err(Failure::Message(format!(
            "{} has no HTTP routes or function URLs to serve: run a function with `ferry local invoke FUNCTION`",
            app.manifest.display()
        )));
    }
    let binaries = build(cli, &app, &functions, release)?;
    let cx = Context::new(
        &app,
        cli.region.as_deref(),
        cli.endpoint_url.as_deref(),
        port,
    );
    let logs: local::Logs = if cli.quiet > 0 {
        Arc::new(|_: &str, _: &str| {})
    } else {
        Arc::new(|f: &str, line: &str| {
            let _ = writeln!(std::io::stderr().lock(), "[{f}] {line}");
        })
    };
    let pools = local::pools(&app, &binaries, &cx, &logs);
    let routes = local::http::routes(&app)
        .into_iter()
        .filter(|r| pools.contains_key(&r.function))
        .collect();
    Ok(serve::Served {
        app,
        cx,
        routes,
        pools,
    })
}

fn describe_routes(served: &serve::Served, base: &str) -> Vec<(String, String, String)> {
    served
        .routes
        .iter()
        .map(|r| match &r.kind {
            local::http::RouteKind::Api { method, path, .. } => (
                method.as_str().to_string(),
                format!("{base}{path}"),
                r.function.clone(),
            ),
            local::http::RouteKind::Url { .. } => (
                "ANY".to_string(),
                format!("{base}{}{}/", local::http::URL_PREFIX, r.function),
                r.function.clone(),
            ),
        })
        .collect()
}

fn serve(cli: &Cli, port: u16, watch: bool, release: bool) -> Outcome {
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
    let routes = describe_routes(&served, &base);
    match cli.output {
        Output::Json => println!(
            "{}",
            json!({
                "url": base,
                "routes": routes.iter().map(|(m, u, f)| json!({ "method": m, "url": u, "function": f })).collect::<Vec<_>>(),
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
    rt.block_on(serve::run(listener, shared, access, async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    Ok(())
}
