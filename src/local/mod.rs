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

use crate::manifest::model::App;

pub use instance::Logs;

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
