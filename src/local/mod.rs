//! Local: run the app's functions on this machine, built for the host, each
//! under an in-process emulator of the Lambda Runtime API. No containers.
//!
//! - `api`: the Runtime API one instance talks to.
//! - `instance`: one function process, its timeouts and its logs.
//! - `pool`: the warm instances of one function, and its concurrency.
//! - `environment`: the variables a function sees, references resolved.
//! - `host`: the host build.
//! - `asynchronous`: retries and destination records of async invokes.
//! - `invoke`: `ferry local invoke`: the event, then one invocation.
//! - `http`: routes, payload 2.0 events and responses (pure).
//! - `events`: the event each kind of trigger delivers (pure).
//! - `pattern`: event filter and rule patterns (pure).
//! - `invoke_api`: Lambda's Invoke API on the serve port.
//! - `schedules`: `rate(...)` schedules fired on their period.
//! - `poller`: a queue trigger's batches, filters and partial failures.
//! - `serve`: the HTTP server of `ferry local serve`, and `--watch`.

pub mod api;
pub mod asynchronous;
pub mod environment;
pub mod events;
pub mod host;
pub mod http;
pub mod instance;
pub mod invoke;
pub mod invoke_api;
pub mod pattern;
pub mod poller;
pub mod pool;
pub mod schedules;
pub mod serve;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::aws::AwsError;
use crate::manifest::model::App;
use crate::manifest::select::UnknownFunction;

pub use instance::Logs;

/// Why a local command cannot run: what it was asked for does not exist
/// in the manifest, or cannot run on this machine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    UnknownFunction(#[from] UnknownFunction),
    #[error("function `{0}` runs a container image: ferry local runs functions built from a crate")]
    ContainerImage(String),
    /// `--trigger N` beyond the function's triggers (`count` of them).
    #[error("{}", no_trigger(function, *index, *count))]
    NoTrigger {
        function: String,
        index: usize,
        count: usize,
    },
    /// `local events` of a function without triggers.
    #[error(
        "function `{0}` has no triggers: invoke it with `ferry local invoke {0} --payload JSON`"
    )]
    NoTriggers(String),
    /// `--event KIND` of a function without a trigger of that kind.
    #[error("function `{function}` has no `{kind}` trigger ({})", if kinds.is_empty() { "it has no triggers".to_string() } else { format!("its triggers: {}", kinds.join(", ")) })]
    NoTriggerOfKind {
        function: String,
        kind: &'static str,
        /// The kinds of the triggers it has.
        kinds: Vec<&'static str>,
    },
    #[error("unknown event kind `{0}`")]
    UnknownEventKind(String),
    #[error("--client-context is not JSON: {0}")]
    ClientContext(#[source] serde_json::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("no queue `{queue}` in {}{}", manifest.display(), hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    UnknownQueue {
        queue: String,
        manifest: std::path::PathBuf,
        hint: Option<String>,
    },
    #[error("function `{function}` has no trigger on queue `{queue}`")]
    NotAConsumer { function: String, queue: String },
    #[error("no function has a trigger on queue `{0}`")]
    NoConsumer(String),
    #[error("several functions consume queue `{queue}` ({}): choose one with --function", functions.join(", "))]
    SeveralConsumers {
        queue: String,
        functions: Vec<String>,
    },
    /// SendMessage to the dead-letter queue failed (AWS's code kept).
    #[error("cannot send {id} to the dead-letter queue {url}: {source}")]
    DeadLetter {
        id: String,
        url: String,
        #[source]
        source: AwsError,
    },
}

impl Error {
    /// AWS's error code, when an AWS call failed with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::DeadLetter { source, .. } => source.code(),
            _ => None,
        }
    }
}

/// Says that trigger `index` of `function` (which has `count`) does not
/// exist, and which do.
fn no_trigger(function: &str, index: usize, count: usize) -> String {
    match count {
        0 => format!("function `{function}` has no triggers (trigger {index} was asked for)"),
        1 => format!("function `{function}` has 1 trigger: --trigger takes 0"),
        n => format!(
            "function `{function}` has {n} triggers: --trigger takes 0 to {}",
            n - 1
        ),
    }
}

/// The instance spec of `function`, run from `binary`.
pub fn spec(app: &App, function: &str, binary: &Path, cx: &environment::Context) -> instance::Spec {
    let f = &app.functions[function];
    instance::Spec {
        function: function.to_string(),
        binary: binary.to_path_buf(),
        env: environment::variables(app, function, f, binary, cx),
        timeout: std::time::Duration::from_secs(f.timeout.secs()),
        memory: f.memory,
        function_arn: environment::function_arn(app, function, cx),
    }
}

/// A pool per function built, each limited to the function's reserved
/// concurrency when it has one.
pub fn pools(
    app: &App,
    binaries: &host::Binaries,
    cx: &environment::Context,
    logs: &Logs,
) -> BTreeMap<String, Arc<pool::Pool>> {
    binaries
        .iter()
        .map(|(name, bin)| {
            let max = app.functions[name]
                .concurrency
                .reserved
                .map(|r| r as usize)
                .unwrap_or(pool::DEFAULT_MAX_INSTANCES);
            (
                name.clone(),
                Arc::new(pool::Pool::new(spec(app, name, bin, cx), max, logs.clone())),
            )
        })
        .collect()
}
