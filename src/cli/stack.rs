//! The commands that talk to AWS: bootstrap, deploy, diff, outputs,
//! destroy, invoke, logs, info and metrics.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

use super::{Cli, Command, Failure, Outcome, Output, load, run_build};
use crate::aws::Functions;
use crate::aws::sdk::{Aws, Settings};
use crate::build::Record;
use crate::deploy::{self, Pending, Progress, ShowProgress, Ui, Unit};
use crate::manifest::model::App;
use crate::names;

pub(super) fn run(cli: &Cli) -> Outcome {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Message(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(run_async(cli))
}

fn ui(cli: &Cli) -> Ui {
    let interactive = std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none();
    let quiet = cli.quiet > 0 || cli.output == Output::Json;
    // On a terminal (and not CI), a bar of the resources done, with those
    // in progress named; the lines of `say` print above it.
    let bar: Arc<Mutex<Option<ProgressBar>>> = Arc::default();
    let progress: Option<ShowProgress> = (!quiet
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none())
    .then(|| {
        let bar = bar.clone();
        Box::new(move |p: &Progress| show_progress(&bar, p)) as ShowProgress
    });
    Ui {
        quiet,
        interactive,
        confirm: std::sync::Arc::new(|q| {
            eprint!("{q} [y/N] ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            matches!(line.trim(), "y" | "Y" | "yes" | "Yes")
        }),
        say: Box::new(move |s| match bar.lock().ok().as_deref() {
            Some(Some(b)) => b.println(s),
            _ => eprintln!("{s}"),
        }),
        progress,
    }
}

/// Draws the bar, made on the first call, cleared when all is done.
/// Uploads get a bar only when large: small ones are over at once.
fn show_progress(bar: &Mutex<Option<ProgressBar>>, p: &Progress) {
    const LARGE_UPLOAD: usize = 5 * 1024 * 1024;
    let Ok(mut slot) = bar.lock() else {
        return;
    };
    if p.unit == Unit::Bytes && p.total < LARGE_UPLOAD && slot.is_none() {
        return;
    }
    let b = slot.get_or_insert_with(|| {
        let counts = match p.unit {
            Unit::Resources => "{pos}/{len} resources",
            Unit::Bytes => "{bytes}/{total_bytes} uploaded",
        };
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} [{{bar:30.cyan/blue}}] {counts}  {{wide_msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let b = ProgressBar::new(p.total as u64)
            .with_style(style)
            .with_finish(ProgressFinish::AndClear);
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    b.set_length(p.total as u64);
    b.set_position(p.done as u64);
    b.set_message(in_progress_message(&p.in_progress));
    if p.finished {
        if let Some(b) = slot.take() {
            b.finish_and_clear();
        }
    }
}

/// `ApiFunction, OrdersTable (+3 more)`.
fn in_progress_message(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut m = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        m.push_str(&format!(" (+{} more)", names.len() - SHOWN));
    }
    m
}

pub(super) async fn connect(cli: &Cli, app: Option<&App>) -> Result<Aws, Failure> {
    let settings = Settings {
        profile: cli.profile.clone(),
        region: cli
            .region
            .clone()
            .or_else(|| app.and_then(|a| a.region.clone())),
        endpoint_url: cli.endpoint_url.clone(),
    };
    Ok(Aws::connect(&settings).await?)
}

async fn run_async(cli: &Cli) -> Outcome {
    match &cli.command {
        Command::Bootstrap => {
            // The stage's region (and account) when run in an app.
            let app = bootstrap_app(cli)?;
            let aws = connect(cli, app.as_ref()).await?;
            if let Some(app) = &app {
                deploy::check_account(&aws, app).await?;
            }
            let ui = ui(cli);
            let pending = Pending::default();
            let stack = deploy::interruptible(
                &aws,
                &pending,
                deploy::bootstrap_stack(&aws, &ui, cli.wait_timeout, &pending),
            )
            .await?;
            let bucket = deploy::bootstrap_bucket(&aws, &stack)
                .await?
                .unwrap_or_default();
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({ "stack": stack.name, "status": stack.status, "bucket": bucket })
                ),
                Output::Human => println!(
                    "{} is {}: artifact bucket {bucket}",
                    stack.name, stack.status
                ),
            }
            Ok(())
        }
        Command::Deploy {
            yes,
            no_execute,
            allow_data_loss,
            no_build,
            hotswap,
            confirm_stage,
        } => {
            let app = load(cli)?;
            if *hotswap {
                deploy::check_hotswap_allowed(&app, "hotswap").map_err(Failure::from)?;
            }
            if *allow_data_loss {
                typed_stage(&app, "deploy --allow-data-loss", confirm_stage.as_deref())?;
            }
            let aws = connect(cli, Some(&app)).await?;
            deploy::check_account(&aws, &app).await?;
            let record = artifacts(cli, &app, *no_build)?;
            let ui = ui(cli);
            let opts = deploy::Options {
                yes: *yes,
                no_execute: *no_execute,
                allow_data_loss: *allow_data_loss,
                wait_timeout: cli.wait_timeout,
                hotswap: *hotswap,
                hotswap_only: false,
            };
            let pending = Pending::default();
            let outcome = deploy::interruptible(
                &aws,
                &pending,
                deploy::deploy(&aws, &app, &record, &opts, &ui, &pending),
            )
            .await
            .map_err(Failure::from)?;
            print_outcome(cli, &app, &outcome);
            Ok(())
        }
        Command::Watch {
            functions,
            yes,
            debug,
        } => {
            let app = load(cli)?;
            deploy::check_hotswap_allowed(&app, "watch").map_err(Failure::from)?;
            let aws = connect(cli, Some(&app)).await?;
            deploy::check_account(&aws, &app).await?;
            let ui = ui(cli);
            // A failed hook prints why, and the watch goes on.
            let reported = |e: Failure| {
                if let Failure::Message(m) | Failure::Aws { message: m, .. } = e {
                    eprintln!("error: {m}");
                }
                crate::watch::Reported
            };
            let load_app = || load(cli).map_err(reported);
            let build = |app: &App, fns: &[String]| {
                run_build(cli, app, fns, *debug)
                    .and_then(|built| {
                        crate::build::deployable(app, built)
                            .map_err(|e| super::build_failure(cli, app, e))
                    })
                    .map_err(reported)
            };
            let opts = crate::watch::Options {
                yes: *yes,
                wait_timeout: cli.wait_timeout,
                log_poll: std::time::Duration::from_secs(2),
            };
            crate::watch::run(
                &aws,
                functions,
                crate::watch::Hooks {
                    load: &load_app,
                    build: &build,
                },
                &opts,
                &ui,
            )
            .await
            .map_err(Failure::from)
        }
        Command::Package {
            bucket,
            prefix,
            out,
            no_build,
            pipeline_boundary,
        } => {
            let mut app = load(cli)?;
            if *pipeline_boundary {
                app = crate::package::with_pipeline_boundary(app);
            }
            let aws = connect(cli, Some(&app)).await?;
            deploy::check_account(&aws, &app).await?;
            let record = artifacts(cli, &app, *no_build)?;
            let ui = ui(cli);
            let prefix = crate::package::normalize_prefix(prefix.as_deref());
            let p = crate::package::package(&aws, &app, &record, bucket, &prefix, out, &ui)
                .await
                .map_err(Failure::from)?;
            match cli.output {
                Output::Json => {
                    println!("{}", serde_json::to_string_pretty(&p).expect("serializes"))
                }
                Output::Human if cli.quiet == 0 => {
                    println!("wrote {} and {}", p.template.display(), p.config.display());
                    println!(
                        "uploaded {} artifact(s) to s3://{bucket}/{prefix}",
                        p.uploaded
                    );
                }
                Output::Human => {}
            }
            Ok(())
        }
        Command::Diff { exit_code } => {
            let app = load(cli)?;
            let record = crate::build::read_record(&app);
            let aws = connect(cli, Some(&app)).await?;
            deploy::check_account(&aws, &app).await?;
            let ui = ui(cli);
            let pending = Pending::default();
            let rows = deploy::interruptible(
                &aws,
                &pending,
                deploy::diff(&aws, &app, &record, &ui, &pending, cli.wait_timeout),
            )
            .await
            .map_err(Failure::from)?;
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({ "stack": app.stack_name(), "changes": rows })
                ),
                Output::Human if rows.is_empty() => println!("No changes."),
                Output::Human => {
                    print!("{}", deploy::preview::table(&rows));
                    println!("{}", deploy::preview::summary(&rows));
                }
            }
            if *exit_code && !rows.is_empty() {
                return Err(Failure::Exit(3));
            }
            Ok(())
        }
        Command::Outputs => {
            let app = load(cli)?;
            let aws = connect(cli, Some(&app)).await?;
            let outputs = deploy::all_outputs(&aws, &app.stack_name())
                .await
                .map_err(Failure::from)?;
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&outputs).expect("outputs serialize")
                ),
                Output::Human => print_outputs(&outputs),
            }
            Ok(())
        }
        Command::Destroy { yes, confirm_stage } => {
            let app = load(cli)?;
            typed_stage(&app, "destroy", confirm_stage.as_deref())?;
            let aws = connect(cli, Some(&app)).await?;
            deploy::check_account(&aws, &app).await?;
            let ui = ui(cli);
            let left = deploy::destroy(&aws, &app, *yes, &ui, cli.wait_timeout)
                .await
                .map_err(Failure::from)?;
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({ "stack": app.stack_name(), "deleted": true, "left_behind": left })
                ),
                Output::Human => {
                    println!("Deleted stack {}.", app.stack_name());
                    if !left.is_empty() {
                        println!(
                            "Left behind (retained, delete them yourself when no longer needed):"
                        );
                        for l in left {
                            println!(
                                "  {:<24} {:<22} {}",
                                l.logical_id,
                                l.resource_type,
                                l.physical_id.unwrap_or_default()
                            );
                        }
                    }
                }
            }
            Ok(())
        }
        Command::Invoke {
            function,
            payload,
            asynchronous,
        } => {
            let app = load(cli)?;
            let f = app.function(function)?;
            let body = crate::payload::read(payload, std::io::stdin())?;
            let aws = connect(cli, Some(&app)).await?;
            let physical = names::physical(&app.name, &app.stage, function);
            let r = aws.invoke(&physical, &f.alias, body, *asynchronous).await?;
            let text = String::from_utf8_lossy(&r.payload).into_owned();
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({
                        "status": r.status,
                        "payload": serde_json::from_str::<serde_json::Value>(&text).unwrap_or(serde_json::Value::String(text.clone())),
                        "function_error": r.function_error,
                        "log_tail": r.log_tail,
                    })
                ),
                Output::Human => {
                    if *asynchronous {
                        println!("{} Accepted", r.status);
                    } else {
                        if let Some(tail) = &r.log_tail {
                            if cli.quiet == 0 {
                                eprintln!("{}", tail.trim_end());
                            }
                        }
                        println!("{text}");
                    }
                }
            }
            if let Some(kind) = r.function_error {
                return Err(Failure::Message(format!(
                    "the function returned an error ({kind})"
                )));
            }
            Ok(())
        }
        Command::Logs {
            functions,
            follow,
            since,
            filter,
            request_id,
        } => {
            let app = load(cli)?;
            let chosen = app.chosen(functions)?;
            let aws = connect(cli, Some(&app)).await?;
            let prefixed = functions.len() != 1;
            let width = chosen.iter().map(String::len).max().unwrap_or(0);
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut tail = crate::logs::Tail::new(
                &app,
                &chosen,
                now_ms() - since.as_millis() as i64,
                filter.as_deref(),
                request_id.as_deref(),
            );
            loop {
                let lines = tail.poll(&aws).await?;
                for l in lines {
                    match cli.output {
                        Output::Json => println!(
                            "{}",
                            serde_json::json!({
                                "timestamp": l.event.timestamp_ms,
                                "function": l.function,
                                "stream": l.event.stream,
                                "message": l.event.message,
                            })
                        ),
                        Output::Human => {
                            let time = crate::logs::time(l.event.timestamp_ms);
                            let text = crate::logs::message(&l.event.message);
                            if prefixed {
                                let name = format!("{:<width$}", l.function);
                                let name = if colour {
                                    let c = crate::logs::colour(app.functions.keys(), &l.function);
                                    console::Style::new()
                                        .color256(c)
                                        .force_styling(true)
                                        .apply_to(name)
                                        .to_string()
                                } else {
                                    name
                                };
                                println!("{time} {name} {text}");
                            } else {
                                println!("{time} {text}");
                            }
                        }
                    }
                }
                if !*follow {
                    return Ok(());
                }
                tokio::select! {
                    _ = tokio::time::sleep(tail.interval()) => {}
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                }
            }
        }
        Command::Info => {
            let app = load(cli)?;
            let aws = connect(cli, Some(&app)).await?;
            let read = crate::info::gather(&aws, &app)
                .await
                .map_err(Failure::from)?;
            let info = crate::info::assemble(&app, &read);
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&info).expect("info serializes")
                ),
                Output::Human => print!("{}", crate::info::text(&info)),
            }
            Ok(())
        }
        Command::Metrics {
            functions,
            since,
            period,
        } => {
            let app = load(cli)?;
            let chosen = app.chosen(functions)?;
            let aws = connect(cli, Some(&app)).await?;
            let window =
                crate::metrics::Window::new(now_ms() / 1000, since.as_secs(), period.as_secs())?;
            let physical: Vec<String> = chosen
                .iter()
                .map(|f| names::physical(&app.name, &app.stage, f))
                .collect();
            let read = crate::metrics::read(&aws, &physical, &window)
                .await
                .map_err(Failure::from)?;
            if let Some(w) = &read.percentiles_unavailable {
                if cli.quiet == 0 {
                    eprintln!("warning: duration percentiles unavailable: {w}");
                }
            }
            let series = read.series;
            let rows = crate::metrics::summarize(&chosen, &window, &series);
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "stack": app.stack_name(),
                        "window": window,
                        "functions": rows,
                    }))
                    .expect("metrics serialize")
                ),
                Output::Human => print!("{}", crate::metrics::table(&rows, &window)),
            }
            Ok(())
        }
        _ => unreachable!("dispatched by cli::run"),
    }
}

/// `bootstrap` in an app: the manifest (`-f`, or found from here) for its
/// stage's region and account; `None` outside an app.
fn bootstrap_app(cli: &Cli) -> Result<Option<App>, Failure> {
    let found = cli.manifest.is_some()
        || std::env::current_dir()
            .ok()
            .and_then(|d| crate::manifest::find(&d))
            .is_some();
    if found { load(cli).map(Some) } else { Ok(None) }
}

/// On a protected stage, the stage typed back: `--confirm-stage`, else a
/// prompt on a terminal; refused otherwise (see `deploy::check_stage_typed`).
fn typed_stage(app: &App, what: &str, given: Option<&str>) -> Result<(), Failure> {
    if !app.protected {
        return Ok(());
    }
    let interactive = std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none();
    let typed = match given {
        Some(g) => Some(g.to_string()),
        None if interactive => {
            eprint!("{} ", deploy::stage_prompt(app));
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            Some(line)
        }
        None => None,
    };
    deploy::check_stage_typed(app, what, typed.as_deref()).map_err(Failure::from)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The artifacts to deploy or package: a fresh build, or with `--no-build`
/// the last one; every function and layer must have one.
fn artifacts(cli: &Cli, app: &App, no_build: bool) -> Result<Record, Failure> {
    let built = if no_build {
        Record::default()
    } else {
        run_build(cli, app, &[], false)?
    };
    crate::build::deployable(app, built).map_err(|e| super::build_failure(cli, app, e))
}

fn print_outputs(outputs: &std::collections::BTreeMap<String, String>) {
    let w = outputs.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in outputs {
        println!("{k:<w$}  {v}");
    }
}

fn print_outcome(cli: &Cli, app: &App, o: &deploy::Outcome) {
    if cli.output == Output::Json {
        let mut v = serde_json::to_value(o).expect("outcome serializes");
        v["stack"] = serde_json::json!(app.stack_name());
        println!("{v}");
        return;
    }
    match o {
        deploy::Outcome::NoChanges => println!("No changes."),
        deploy::Outcome::Kept { change_set, .. } => {
            println!("Change set kept for review: {change_set}")
        }
        deploy::Outcome::NeedsChangeSet { .. } => {}
        deploy::Outcome::Hotswapped { functions } => {
            println!(
                "Hotswapped {} function{}; no change set. `ferry diff` shows them as drift until the next deploy without --hotswap.",
                functions.len(),
                if functions.len() == 1 { "" } else { "s" }
            );
        }
        deploy::Outcome::Deployed {
            status, outputs, ..
        } => {
            if cli.quiet == 0 {
                eprintln!("Stack {} is {status}.", app.stack_name());
            }
            print_outputs(outputs);
        }
    }
}
