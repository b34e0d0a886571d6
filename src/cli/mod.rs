//! The command line: parses flags and calls the library. No logic of its
//! own beyond choosing what to print and the exit code. `stack` holds the
//! commands that talk to AWS.

mod local;
mod secrets;
mod stack;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::diagnostic;
use crate::manifest::{self, LoadError, model::App};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "ferry",
    version,
    about = "Deploy serverless Rust apps to AWS Lambda from one manifest",
    propagate_version = true
)]
pub struct Cli {
    /// The manifest [default: ferry.yaml, searched upward from the current folder]
    #[arg(short = 'f', long = "manifest", global = true, value_name = "PATH")]
    pub manifest: Option<PathBuf>,

    /// The stage to work on
    #[arg(
        short = 's',
        long,
        global = true,
        default_value = "dev",
        value_name = "NAME"
    )]
    pub stage: String,

    /// AWS profile, as the AWS CLI
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region, as the AWS CLI
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint (S3 then uses path-style)
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Output::Human)]
    pub output: Output,

    /// Print less
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,

    /// Print more
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The longest ferry waits for one CloudFormation operation (bootstrap,
    /// deploy, diff, destroy) before it stops with an error: 30s, 10m, 1h
    #[arg(long, global = true, value_name = "DURATION", default_value = "30m", value_parser = parse_wait)]
    pub wait_timeout: std::time::Duration,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Yaml,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Svg,
}

#[derive(Subcommand, Debug, Clone)]
pub enum PipelineCommand {
    /// Write pipeline.yaml and buildspec.yml next to the manifest
    Init {
        /// The stages to deploy, in order
        #[arg(long, value_delimiter = ',', default_value = "dev,prod")]
        stages: Vec<String>,
        /// A manual approval before the last stage
        #[arg(long)]
        approval: bool,
        /// Where the source comes from
        #[arg(long, value_enum, default_value_t = crate::pipeline::Source::Codestar)]
        source: crate::pipeline::Source,
        /// Write into this folder instead of the manifest's
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: Option<PathBuf>,
        /// Overwrite existing files
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum SecretsCommand {
    /// Write a secret's value for the stage: read from standard input, or
    /// typed without echo on a terminal
    Set {
        /// The secret (its name under `secrets:`)
        name: String,
    },
    /// The app's secrets: kind, name in AWS, type and last change (never
    /// the values)
    List,
}

#[derive(Subcommand, Debug, Clone)]
pub enum LocalCommand {
    /// Run one function on this machine under a Lambda Runtime API emulator
    Invoke {
        /// The function
        function: String,
        /// The event: JSON text, @file, or - for standard input
        #[arg(long, default_value = "{}")]
        payload: String,
        /// Invoke with the event this trigger kind delivers, filled with this
        /// app's names (see `ferry local events`)
        #[arg(long, value_name = "KIND", conflicts_with = "payload",
              value_parser = clap::builder::PossibleValuesParser::new(crate::manifest::model::TriggerKind::KEYS))]
        event: Option<String>,
        /// Invoke with the event of this trigger (its index in the function's
        /// `triggers`, from 0)
        #[arg(long, value_name = "N", conflicts_with_all = ["payload", "event"])]
        trigger: Option<usize>,
        /// Invoke asynchronously: apply the retry policy (waits shortened) and
        /// print the destination record
        #[arg(long = "async")]
        asynchronous: bool,
        /// The client context (JSON), as a mobile SDK sends it
        #[arg(long, value_name = "JSON")]
        client_context: Option<String>,
        /// Build with the release profile instead of dev
        #[arg(long)]
        release: bool,
    },
    /// Serve the app's HTTP routes, function URLs and Lambda's Invoke API on this machine
    Serve {
        /// The port on 127.0.0.1
        #[arg(long, default_value_t = local::SERVE_PORT)]
        port: u16,
        /// Rebuild and reload when a source file or the manifest changes
        #[arg(long)]
        watch: bool,
        /// Fire `rate(...)` schedule triggers on their period
        #[arg(long)]
        schedules: bool,
        /// Run schedules this many times faster (for tests and demos)
        #[arg(long, value_name = "FACTOR", default_value_t = 1,
              value_parser = clap::value_parser!(u32).range(1..=86_400))]
        time_scale: u32,
        /// Build with the release profile instead of dev
        #[arg(long)]
        release: bool,
    },
    /// Print the event each of a function's triggers delivers, filled with this app's names
    Events {
        /// The function
        function: String,
        /// Only this trigger (its index in the function's `triggers`, from 0)
        #[arg(long, value_name = "N")]
        trigger: Option<usize>,
    },
    /// Send messages through a queue's trigger as Lambda's poller would
    Send {
        /// The queue (its name in the manifest)
        queue: String,
        /// The message bodies
        #[arg(required = true, value_name = "BODY")]
        bodies: Vec<String>,
        /// The consuming function, when several consume the queue
        #[arg(long, value_name = "FUNCTION")]
        function: Option<String>,
        /// Build with the release profile instead of dev
        #[arg(long)]
        release: bool,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Scaffold a new app from a blueprint
    Init {
        /// The folder to create (or an empty one)
        dir: PathBuf,
        /// The blueprint (see `ferry blueprints`)
        #[arg(long, short = 'b', default_value = crate::blueprint::DEFAULT, value_name = "NAME")]
        blueprint: String,
        /// The app's name [default: the folder's name]
        #[arg(long, value_name = "NAME")]
        app: Option<String>,
        /// Write into a folder that is not empty (files of the same path are replaced)
        #[arg(long)]
        force: bool,
    },
    /// List the blueprints `ferry init` can use
    Blueprints,
    /// Check the manifest for the stage and print every error
    Validate,
    /// Cross-compile the functions and pack their zips into .ferry/build
    Build {
        /// Only these functions
        functions: Vec<String>,
        /// Build with the dev profile instead of release
        #[arg(long)]
        debug: bool,
    },
    /// Build, upload the artifacts to a bucket, and write the template and the
    /// stage's template configuration for a CodePipeline deploy action
    Package {
        /// The bucket for the zips and nested templates
        #[arg(long)]
        bucket: String,
        /// A key prefix in the bucket
        #[arg(long)]
        prefix: Option<String>,
        /// Where to write template.json and <stage>.config.json
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        /// Use the artifacts of the last `ferry build`
        #[arg(long)]
        no_build: bool,
        /// Attach the permissions boundary that `ferry pipeline init`'s stack
        /// creates (`<app>-<stage>-boundary`) to every role, unless the
        /// manifest names one (`permissions_boundary:`)
        #[arg(long)]
        pipeline_boundary: bool,
    },
    /// Write a CodePipeline stack (pipeline.yaml) and its CodeBuild buildspec
    Pipeline {
        #[command(subcommand)]
        command: PipelineCommand,
    },
    /// Create or update the per-account-and-region ferry-bootstrap stack (artifact bucket)
    Bootstrap,
    /// Build, upload, preview and deploy the stack through a change set
    Deploy {
        /// Deploy without asking (required without a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
        /// Create the change set and keep it for review instead of executing it
        #[arg(long)]
        no_execute: bool,
        /// Allow removing or replacing tables, buckets, queues, topics, buses, log groups and nested stacks
        #[arg(long)]
        allow_data_loss: bool,
        /// Use the artifacts of the last `ferry build`
        #[arg(long)]
        no_build: bool,
        /// When only function code changed, update it directly (seconds, no
        /// change set); anything else takes the change-set path
        #[arg(long)]
        hotswap: bool,
        /// On a protected stage, confirm --allow-data-loss without a terminal:
        /// the stage's name
        #[arg(long, value_name = "STAGE")]
        confirm_stage: Option<String>,
    },
    /// Rebuild and hotswap functions on every saved change, and tail their logs
    Watch {
        /// Only these functions (default: every function built from a crate)
        functions: Vec<String>,
        /// Apply manifest changes through a change set without asking
        #[arg(long, short = 'y')]
        yes: bool,
        /// Build with the dev profile (faster builds, slower code)
        #[arg(long)]
        debug: bool,
    },
    /// Preview what deploy would change (against the last build), keeping nothing
    Diff {
        /// Exit with 3 when there are changes, 0 when there are none
        #[arg(long)]
        exit_code: bool,
    },
    /// Print the stack's outputs
    Outputs,
    /// Delete the stack (retained tables, buckets, queues, topics and log groups are left behind and listed)
    Destroy {
        /// Delete without asking (required without a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
        /// On a protected stage, confirm without a terminal: the stage's name
        #[arg(long, value_name = "STAGE")]
        confirm_stage: Option<String>,
    },
    /// Write or list the values of `secrets:` in SSM or Secrets Manager
    /// (values are never printed)
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Invoke a deployed function through its alias
    Invoke {
        /// The function
        function: String,
        /// The event: JSON text, or @file
        #[arg(long, default_value = "{}")]
        payload: String,
        /// Invoke asynchronously (prints the 202)
        #[arg(long = "async")]
        asynchronous: bool,
    },
    /// Run functions on this machine: `local invoke`, `local serve`, `local events`, `local send`
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
    /// Print the CloudWatch logs of the app's functions, merged by time
    Logs {
        /// Only these functions [default: every function of the app]
        functions: Vec<String>,
        /// Keep printing new events
        #[arg(long)]
        follow: bool,
        /// How far back to start, e.g. 10m, 2h, 1d
        #[arg(long, default_value = "10m", value_parser = parse_wait)]
        since: std::time::Duration,
        /// A CloudWatch Logs filter pattern, e.g. ERROR or '{ $.level = "ERROR" }'
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
        /// Only the lines of this request
        #[arg(long, value_name = "ID")]
        request_id: Option<String>,
    },
    /// The deployed app at a glance: stack, endpoints, functions, resources
    Info,
    /// Per function from CloudWatch: invocations, errors, throttles, duration
    /// percentiles, concurrency
    Metrics {
        /// Only these functions [default: every function of the app]
        functions: Vec<String>,
        /// How far back, e.g. 30m, 1h, 1d
        #[arg(long, default_value = "1h", value_parser = parse_wait)]
        since: std::time::Duration,
        /// The width of each datapoint (a multiple of a minute), e.g. 1m, 5m
        #[arg(long, default_value = "1m", value_parser = parse_wait)]
        period: std::time::Duration,
    },
    /// Draw the app from the manifest: triggers, functions and what they use
    Graph {
        /// The drawing's format
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Write to this file instead of standard output
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print the JSON Schema of ferry.yaml, or its reference page
    Schema {
        /// `json`: the JSON Schema (draft 2020-12); `markdown`: the reference
        /// of every key (docs/manifest.md)
        #[arg(long, value_enum, default_value_t = SchemaFormat::Json)]
        format: SchemaFormat,
    },
    /// Write the CloudFormation template(s) for the stage (no AWS calls, no build)
    Synth {
        /// Write every template into this folder instead of the root template on stdout
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: Option<PathBuf>,
        /// Template format
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Print shell completions
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// What `ferry schema` prints.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SchemaFormat {
    Json,
    Markdown,
}

/// Why a command failed. Either way the exit code is 1.
pub(crate) enum Failure {
    /// Print this message.
    Message(String),
    /// An AWS call failed: its message, and AWS's error code, which
    /// `--output json` adds.
    Aws { message: String, code: String },
    /// Exit with this code, nothing more to print.
    Exit(u8),
    /// Already printed.
    Reported,
}

impl Failure {
    /// A layer's error, rendered as its message, with AWS's code when an
    /// AWS call failed with one.
    fn of(e: &dyn std::fmt::Display, code: Option<&str>) -> Failure {
        match code {
            Some(code) => Failure::Aws {
                message: e.to_string(),
                code: code.to_string(),
            },
            None => Failure::Message(e.to_string()),
        }
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Message(s)
    }
}

/// Each layer's error is rendered here, once, as its message; those that
/// can come from AWS keep its error code.
macro_rules! rendered {
    (coded: $($coded:ty),*; plain: $($plain:ty),*) => {
        $(impl From<$coded> for Failure {
            fn from(e: $coded) -> Self {
                Failure::of(&e, e.code())
            }
        })*
        $(impl From<$plain> for Failure {
            fn from(e: $plain) -> Self {
                Failure::Message(e.to_string())
            }
        })*
    };
}

rendered!(
    coded: crate::aws::AwsError,
        crate::deploy::Error,
        crate::package::Error,
        crate::info::Error,
        crate::metrics::Error,
        crate::local::Error;
    plain: crate::aws::sdk::ConnectError,
        crate::blueprint::Error,
        crate::pipeline::Error,
        crate::payload::Error,
        crate::manifest::select::UnknownFunction
);

/// A watch that stopped: a failed hook has printed why already.
impl From<crate::watch::Error> for Failure {
    fn from(e: crate::watch::Error) -> Self {
        match e {
            crate::watch::Error::Hook(_) => Failure::Reported,
            e => Failure::of(&e, e.code()),
        }
    }
}

pub(crate) type Outcome = Result<(), Failure>;

/// The entry point of the `ferry` binary.
pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::from(1),
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Message(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
        Err(Failure::Aws { message, code }) => {
            eprintln!("error: {message}");
            if cli.output == Output::Json {
                println!(
                    "{}",
                    serde_json::json!({ "error": { "message": message, "code": code } })
                );
            }
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> Outcome {
    match &cli.command {
        Command::Init {
            dir,
            blueprint,
            app,
            force,
        } => init(cli, dir, blueprint, app.as_deref(), *force),
        Command::Blueprints => blueprints(cli),
        Command::Validate => validate(cli),
        Command::Build { functions, debug } => build(cli, functions, *debug),
        Command::Pipeline {
            command:
                PipelineCommand::Init {
                    stages,
                    approval,
                    source,
                    out,
                    force,
                },
        } => pipeline_init(cli, stages, *approval, *source, out.as_deref(), *force),
        Command::Bootstrap
        | Command::Package { .. }
        | Command::Deploy { .. }
        | Command::Watch { .. }
        | Command::Diff { .. }
        | Command::Outputs
        | Command::Destroy { .. }
        | Command::Invoke { .. }
        | Command::Logs { .. }
        | Command::Info
        | Command::Metrics { .. } => stack::run(cli),
        Command::Graph { format, out } => graph(cli, *format, out.as_deref()),
        Command::Synth { out, format } => synth(cli, out.as_deref(), *format),
        Command::Local { command } => local::run(cli, command),
        Command::Secrets { command } => secrets::run(cli, command),
        Command::Schema { format } => {
            match format {
                SchemaFormat::Json => println!("{}", crate::schema::json()),
                SchemaFormat::Markdown => print!("{}", crate::manifest::vocab::reference()),
            }
            Ok(())
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "ferry", &mut std::io::stdout());
            Ok(())
        }
    }
}

/// `--wait-timeout`, `--since`, `--period`: a duration as in the manifest
/// (`90s`, `30m`, `1h`).
fn parse_wait(s: &str) -> Result<std::time::Duration, String> {
    match crate::manifest::model::Duration::parse(s) {
        Some(d) if d.secs() > 0 => Ok(std::time::Duration::from_secs(d.secs())),
        _ => Err(format!("`{s}` is not a duration such as 90s, 30m or 1h")),
    }
}

/// The manifest's path: `-f`, else `ferry.yaml` here or above.
fn manifest_path(cli: &Cli) -> Result<PathBuf, Failure> {
    if let Some(p) = &cli.manifest {
        return Ok(p.clone());
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let found = manifest::find(&cwd).ok_or_else(|| {
        format!(
            "no {} in {} or any folder above it (use -f PATH, or `ferry init` to start an app)",
            manifest::FILE_NAME,
            cwd.display()
        )
    })?;
    // Show paths relative to the current folder when they are below it.
    Ok(found.strip_prefix(&cwd).map(PathBuf::from).unwrap_or(found))
}

/// Loads the model, printing diagnostics on failure.
pub(crate) fn load(cli: &Cli) -> Result<App, Failure> {
    let path = manifest_path(cli)?;
    match manifest::load(&path, &cli.stage) {
        Ok(app) => {
            if cli.quiet == 0 {
                for w in manifest::check::warnings(&app) {
                    eprintln!(
                        "warning: {}:{}:{}: {}: {}{}",
                        w.file.display(),
                        w.pos.line,
                        w.pos.column,
                        w.path,
                        w.message,
                        w.hint.map(|h| format!(" ({h})")).unwrap_or_default()
                    );
                }
            }
            Ok(app)
        }
        Err(LoadError::Plain(m)) => Err(Failure::Message(m)),
        Err(LoadError::Invalid {
            diagnostics,
            sources,
        }) => {
            report_diagnostics(cli, &path, &diagnostics, &sources);
            Err(Failure::Reported)
        }
    }
}

/// Prints diagnostics: a JSON array on stdout, or snippets on stderr.
fn report_diagnostics(
    cli: &Cli,
    path: &std::path::Path,
    diagnostics: &[crate::diagnostic::Diagnostic],
    sources: &crate::diagnostic::Sources,
) {
    match cli.output {
        Output::Json => println!("{}", diagnostic::to_json(diagnostics)),
        Output::Human => {
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(diagnostic::render(diagnostics, sources, color).as_bytes());
            let n = diagnostics.len();
            let _ = writeln!(
                err,
                "error: {} has {n} problem{} (stage `{}`)",
                path.display(),
                if n == 1 { "" } else { "s" },
                cli.stage
            );
        }
    }
}

fn init(
    cli: &Cli,
    dir: &std::path::Path,
    blueprint: &str,
    app: Option<&str>,
    force: bool,
) -> Outcome {
    use crate::blueprint;
    let bp = blueprint::find(blueprint)?;
    let app = match app {
        Some(a) => {
            blueprint::check_app_name(a)?;
            a.to_string()
        }
        None => blueprint::app_name_for(dir)?,
    };
    let files = blueprint::render(&bp, &blueprint::Vars::new(&app))?;
    blueprint::write(dir, &files, force)?;
    match cli.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "app": app,
                "blueprint": bp.name,
                "dir": dir.display().to_string(),
                "files": files.iter().map(|f| f.path.display().to_string()).collect::<Vec<_>>(),
            })
        ),
        Output::Human if cli.quiet == 0 => {
            println!(
                "Created app `{app}` from blueprint `{}` in {} ({} files)",
                bp.name,
                dir.display(),
                files.len()
            );
            println!("next:");
            println!("  cd {}", dir.display());
            for cmd in &bp.next {
                println!("  {cmd}");
            }
        }
        Output::Human => {}
    }
    Ok(())
}

fn blueprints(cli: &Cli) -> Outcome {
    let all = crate::blueprint::all();
    match cli.output {
        Output::Json => {
            let list: Vec<serde_json::Value> = all
                .iter()
                .map(|b| serde_json::json!({ "name": b.name, "description": b.description }))
                .collect();
            println!("{}", serde_json::Value::Array(list));
        }
        Output::Human => {
            let width = all.iter().map(|b| b.name.len()).max().unwrap_or(0);
            for b in &all {
                let mark = if b.name == crate::blueprint::DEFAULT {
                    " (default)"
                } else {
                    ""
                };
                println!("{:<width$}  {}{mark}", b.name, b.description);
            }
        }
    }
    Ok(())
}

fn validate(cli: &Cli) -> Outcome {
    let app = load(cli)?;
    match cli.output {
        Output::Json => println!("[]"),
        Output::Human => {
            if cli.quiet == 0 {
                println!(
                    "{} is valid for stage `{}`: {} function{}, {} state machine{}, stack `{}`",
                    app.manifest.display(),
                    app.stage,
                    app.functions.len(),
                    if app.functions.len() == 1 { "" } else { "s" },
                    app.state_machines.len(),
                    if app.state_machines.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    app.stack_name()
                );
            }
        }
    }
    Ok(())
}

/// Runs the build, printing diagnostics on failure.
fn run_build(
    cli: &Cli,
    app: &App,
    functions: &[String],
    debug: bool,
) -> Result<crate::build::Record, Failure> {
    let opts = crate::build::Options {
        functions: functions.to_vec(),
        debug,
        quiet: cli.quiet > 0 || cli.output == Output::Json,
    };
    if cli.quiet == 0 && cli.output == Output::Human {
        eprintln!(
            "Building {} ({})",
            app.name,
            if debug { "debug" } else { "release" }
        );
    }
    crate::build::build(app, &opts).map_err(|e| build_failure(cli, app, e))
}

/// A build's failure: its diagnostics printed, or its message.
fn build_failure(cli: &Cli, app: &App, e: crate::build::Error) -> Failure {
    match e {
        crate::build::Error::Diagnostics(d) => {
            report_diagnostics(cli, &app.manifest, &d, &manifest_sources(app));
            Failure::Reported
        }
        e => Failure::Message(e.to_string()),
    }
}

fn manifest_sources(app: &App) -> crate::diagnostic::Sources {
    let mut s = crate::diagnostic::Sources::default();
    if let Ok(t) = std::fs::read_to_string(&app.manifest) {
        s.insert(app.manifest.clone(), t);
    }
    s
}

fn build(cli: &Cli, functions: &[String], debug: bool) -> Outcome {
    let app = load(cli)?;
    let built = run_build(cli, &app, functions, debug)?;
    match cli.output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&built).expect("record serializes")
        ),
        Output::Human if cli.quiet == 0 => {
            for (kind, items) in [("function", &built.functions), ("layer", &built.layers)] {
                for (name, a) in items {
                    println!(
                        "{kind:<8} {name:<24} {:>10}  sha256:{}  {}",
                        crate::build::archive::human(a.size),
                        a.sha256,
                        a.path.display()
                    );
                }
            }
            if built.functions.is_empty() && built.layers.is_empty() {
                println!("nothing to build: no function is built from a crate");
            }
        }
        Output::Human => {}
    }
    Ok(())
}

fn pipeline_init(
    cli: &Cli,
    stages: &[String],
    approval: bool,
    source: crate::pipeline::Source,
    out: Option<&std::path::Path>,
    force: bool,
) -> Outcome {
    let mut apps = Vec::new();
    for stage in stages {
        let staged = Cli {
            stage: stage.clone(),
            command: Command::Validate,
            ..cli.clone()
        };
        apps.push(load(&staged)?);
    }
    let files = crate::pipeline::render(&apps, approval, source)?;
    let dir = out
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| apps[0].root());
    let written = crate::pipeline::write(&dir, &files, force)?;
    if cli.quiet == 0 && cli.output == Output::Human {
        for p in &written {
            println!("wrote {}", p.display());
        }
    }
    if cli.quiet == 0 && cli.output == Output::Human {
        println!("next: commit both files, then create the stack:");
        println!(
            "  aws cloudformation deploy --template-file pipeline.yaml --stack-name {}-pipeline --capabilities CAPABILITY_NAMED_IAM \\",
            apps[0].name
        );
        match source {
            crate::pipeline::Source::Codestar => println!(
                "    --parameter-overrides ConnectionArn=<arn> FullRepositoryId=<owner/repo>"
            ),
            crate::pipeline::Source::Codecommit => {
                println!("    --parameter-overrides RepositoryName=<name>")
            }
            crate::pipeline::Source::S3 => {
                println!("    --parameter-overrides SourceBucket=<bucket>")
            }
        }
    }
    Ok(())
}

fn render(t: &crate::synth::Template, format: Format) -> String {
    match format {
        Format::Json => t.to_json(),
        Format::Yaml => t.to_yaml(),
    }
}

fn synth(cli: &Cli, out: Option<&std::path::Path>, format: Format) -> Outcome {
    let app = load(cli)?;
    let artifacts = crate::synth::Artifacts::default();
    let stacks = crate::synth::synth(&app, &artifacts);
    let ext = match format {
        Format::Json => "json",
        Format::Yaml => "yaml",
    };
    let Some(dir) = out else {
        print!("{}", render(&stacks.root, format));
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    let mut write = |name: String, t: &crate::synth::Template| -> Outcome {
        let path = dir.join(name);
        std::fs::write(&path, render(t, format))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push((path, t.resources.len()));
        Ok(())
    };
    write(format!("template.{ext}"), &stacks.root)?;
    for (id, t) in &stacks.nested {
        write(format!("{id}.{ext}"), t)?;
    }
    match cli.output {
        Output::Json => {
            let files: Vec<serde_json::Value> = written
                .iter()
                .map(
                    |(p, n)| serde_json::json!({ "path": p.display().to_string(), "resources": n }),
                )
                .collect();
            println!(
                "{}",
                serde_json::json!({ "stack": app.stack_name(), "templates": files })
            );
        }
        Output::Human if cli.quiet == 0 => {
            for (p, n) in &written {
                println!("wrote {} ({n} resources)", p.display());
            }
        }
        Output::Human => {}
    }
    Ok(())
}

fn graph(cli: &Cli, format: GraphFormat, out: Option<&std::path::Path>) -> Outcome {
    let app = load(cli)?;
    let g = crate::graph::of(&app);
    let text = match (cli.output, format) {
        (Output::Json, _) => crate::graph::json(&g),
        (Output::Human, GraphFormat::Mermaid) => crate::graph::mermaid(&g),
        (Output::Human, GraphFormat::Dot) => crate::graph::dot(&g),
        (Output::Human, GraphFormat::Svg) => crate::graph::svg(&g),
    };
    match out {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            if cli.quiet == 0 && cli.output == Output::Human {
                eprintln!(
                    "wrote {} ({} nodes, {} edges)",
                    path.display(),
                    g.nodes.len(),
                    g.edges.len()
                );
            }
        }
        None => {
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
        }
    }
    Ok(())
}

/// A panic is a bug in ferry: say so in one line, without a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in ferry: {msg}{at}. Please report it.");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(f: Failure) -> (String, Option<String>) {
        match f {
            Failure::Message(m) => (m, None),
            Failure::Aws { message, code } => (message, Some(code)),
            Failure::Exit(c) => (format!("exit {c}"), None),
            Failure::Reported => ("reported".into(), None),
        }
    }

    #[test]
    fn layer_errors_render_as_their_message_and_keep_the_aws_code() {
        let aws = crate::aws::AwsError {
            code: Some("ExpiredToken".into()),
            message: "DescribeStacks: The security token included in the request is expired".into(),
        };
        let info = crate::info::Error::Aws(aws.clone());
        assert_eq!(
            rendered(info.into()),
            (aws.message.clone(), Some("ExpiredToken".into()))
        );
        let missing = crate::info::Error::NotDeployed {
            stack: "shop-dev".into(),
            stage: "dev".into(),
        };
        assert_eq!(
            rendered(missing.into()),
            (
                "stack shop-dev does not exist (stage `dev`): run `ferry deploy`".into(),
                None
            )
        );
        let package = crate::package::Error::from(crate::deploy::Error::from(aws.clone()));
        assert_eq!(rendered(package.into()).1.as_deref(), Some("ExpiredToken"));
        let watch = crate::watch::Error::from(crate::watch::Reported);
        assert_eq!(rendered(watch.into()).0, "reported");
        let stop = crate::watch::Error::NothingToWatch;
        assert_eq!(
            rendered(stop.into()),
            ("no function built from a crate to watch".into(), None)
        );
    }
}
