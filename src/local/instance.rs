//! One function instance: the function's process with its own Runtime API
//! server. It lives across invocations (warm) until it crashes, times out
//! or is stopped.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};

use super::api::{self, Invocation, Job, Reply};

/// Lambda's limit on a function's init phase.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start one function's processes.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The function's name in the manifest.
    pub function: String,
    pub binary: PathBuf,
    /// The environment, complete: the process inherits nothing else.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub memory: u32,
    pub function_arn: String,
}

/// Where log lines go: the function's name and one line.
pub type Logs = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// How an invocation ended, as Lambda reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Result {
    /// The function's response.
    Response(Bytes),
    /// A function error (`X-Amz-Function-Error: Unhandled`): the error
    /// document Lambda answers, and its `errorType` for messages.
    Error { error_type: String, body: Bytes },
}

impl Result {
    pub fn is_error(&self) -> bool {
        matches!(self, Result::Error { .. })
    }

    /// The payload the caller receives.
    pub fn payload(&self) -> &Bytes {
        match self {
            Result::Response(b) | Result::Error { body: b, .. } => b,
        }
    }
}

/// An invocation's result with its timings.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub request_id: String,
    pub result: Result,
    pub duration: Duration,
    /// The init phase, on a cold start.
    pub init: Option<Duration>,
    /// Peak memory of the process, in MB, where the platform tells.
    pub max_memory_mb: Option<u64>,
    /// False when the instance is gone (crash, timeout, init failure).
    pub alive: bool,
    /// The log lines of this invocation (and of the init before it, on a
    /// cold start), `START` to `REPORT`, as `X-Amz-Log-Type: Tail` returns
    /// them; at most [`TAIL_KEPT`] bytes, the latest.
    pub tail: String,
}

/// How much of an invocation's log an instance keeps for its tail: Lambda
/// returns the last 4 KB.
pub const TAIL_KEPT: usize = 4096;

/// Appends one line to a tail, keeping at most about twice [`TAIL_KEPT`].
fn push_tail(tail: &std::sync::Mutex<String>, line: &str) {
    let Ok(mut t) = tail.lock() else { return };
    t.push_str(line);
    t.push('\n');
    if t.len() > 2 * TAIL_KEPT {
        let mut cut = t.len() - TAIL_KEPT;
        while !t.is_char_boundary(cut) {
            cut += 1;
        }
        t.drain(..cut);
    }
}

/// The last [`TAIL_KEPT`] bytes of a log text, cut at a character boundary.
pub fn last_bytes(text: &str) -> &str {
    let mut cut = text.len().saturating_sub(TAIL_KEPT);
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    &text[cut..]
}

impl Outcome {
    /// An invocation that failed outside the function's code: the error
    /// document Lambda answers with, `{"errorType", "errorMessage"}`.
    pub fn failed(
        request_id: &str,
        error_type: &str,
        message: &str,
        duration: Duration,
        init: Option<Duration>,
    ) -> Outcome {
        Outcome {
            request_id: request_id.to_string(),
            result: Result::Error {
                error_type: error_type.to_string(),
                body: api::error_document(error_type, message),
            },
            duration,
            init,
            max_memory_mb: None,
            alive: false,
            tail: String::new(),
        }
    }
}

pub struct Instance {
    pub id: usize,
    server: api::Server,
    exited: watch::Receiver<Option<String>>,
    kill: Option<oneshot::Sender<()>>,
    pid: Option<u32>,
    started: Instant,
    /// No invocation yet: the next one pays for init.
    cold: bool,
    alive: bool,
    spec: Arc<Spec>,
    logs: Logs,
    /// This invocation's log lines.
    tail: Arc<std::sync::Mutex<String>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(k) = self.kill.take() {
            let _ = k.send(());
        }
    }
}

impl Instance {
    /// Starts the process; init runs in the background.
    pub async fn start(spec: Arc<Spec>, id: usize, logs: Logs) -> std::io::Result<Instance> {
        let server = api::start().await?;
        let mut cmd = Command::new(&spec.binary);
        cmd.env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", server.addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = spec.binary.parent() {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn().map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot start {}: {e}", spec.binary.display()),
            )
        })?;
        let pid = child.id();
        let tail: Arc<std::sync::Mutex<String>> = Arc::default();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            let name = spec.function.clone();
            let tail = tail.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    push_tail(&tail, &line);
                    logs(&name, &line);
                }
            });
        }
        let (exit_tx, exited) = watch::channel(None);
        let (kill_tx, kill_rx) = oneshot::channel();
        tokio::spawn(supervise(child, kill_rx, exit_tx));
        Ok(Instance {
            id,
            server,
            exited,
            kill: Some(kill_tx),
            pid,
            started: Instant::now(),
            cold: true,
            alive: true,
            spec,
            logs,
            tail,
        })
    }

    pub fn alive(&self) -> bool {
        self.alive && self.exited.borrow().is_none()
    }

    /// Stops the process.
    pub fn stop(&mut self) {
        self.alive = false;
        if let Some(k) = self.kill.take() {
            let _ = k.send(());
        }
    }

    fn log(&self, line: &str) {
        push_tail(&self.tail, line);
        (self.logs)(&self.spec.function, line);
    }

    fn take_tail(&self) -> String {
        self.tail
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }

    /// Runs one invocation, enforcing init and function timeouts.
    pub async fn invoke(&mut self, inv: Invocation) -> Outcome {
        let id = inv.request_id.clone();
        let cold = std::mem::replace(&mut self.cold, false);
        if !cold {
            self.take_tail();
        }
        let (dtx, drx) = oneshot::channel();
        let (rtx, rrx) = oneshot::channel();
        let job = Job {
            invocation: inv,
            timeout: self.spec.timeout,
            delivered: dtx,
            reply: rtx,
        };
        let queued = Instant::now();
        if self.server.jobs.send(job).await.is_err() {
            return self.finish_lost(
                &id,
                queued,
                None,
                "Runtime.ExitError",
                "the runtime API stopped",
            );
        }

        // Init (cold) or waiting for the process to poll again (warm).
        let init_limit = if cold {
            INIT_TIMEOUT.saturating_sub(self.started.elapsed())
        } else {
            INIT_TIMEOUT
        };
        let mut exited = self.exited.clone();
        let delivered_at = tokio::select! {
            t = drx => t.ok(),
            _ = exited.wait_for(Option::is_some) => None,
            _ = tokio::time::sleep(init_limit) => {
                self.stop();
                let msg = format!(
                    "RequestId: {id} Error: the function did not finish its init within {} seconds",
                    INIT_TIMEOUT.as_secs()
                );
                return self.finish_lost(&id, queued, None, "Runtime.InitTimeout", &msg);
            }
        };
        let Some(delivered_at) = delivered_at else {
            // The process exited before taking the event.
            if let Some(body) = self.server.state.init_error() {
                self.alive = false;
                let error_type =
                    api::error_type_of(&body).unwrap_or_else(|| "Runtime.InitError".into());
                self.log(&format!(
                    "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: error\tError Type: {error_type}",
                    ms(self.started.elapsed())
                ));
                return Outcome {
                    request_id: id,
                    result: Result::Error { error_type, body },
                    duration: queued.elapsed(),
                    init: Some(self.started.elapsed()),
                    max_memory_mb: None,
                    alive: false,
                    tail: self.take_tail(),
                };
            }
            let status = self.exit_status().await;
            let msg = format!("RequestId: {id} Error: Runtime exited with error: {status}");
            return self.finish_lost(
                &id,
                queued,
                Some(self.started.elapsed()),
                "Runtime.ExitError",
                &msg,
            );
        };
        let init = cold.then(|| {
            self.server
                .state
                .ready_at()
                .unwrap_or(delivered_at)
                .saturating_duration_since(self.started)
        });
        if let Some(init) = init {
            self.log(&format!(
                "INIT_START Runtime Version: ferry.local Phase: init ({:.2} ms)",
                ms(init)
            ));
        }
        self.log(&format!("START RequestId: {id} Version: $LATEST"));

        let deadline = tokio::time::Instant::from_std(delivered_at + self.spec.timeout);
        let mut exited = self.exited.clone();
        let reply = tokio::select! {
            r = rrx => r.ok(),
            _ = exited.wait_for(Option::is_some) => None,
            _ = tokio::time::sleep_until(deadline) => {
                let max_memory_mb = self.max_memory_mb();
                self.stop();
                let secs = self.spec.timeout.as_secs_f64();
                let msg = format!("RequestId: {id} Error: Task timed out after {secs:.2} seconds");
                self.log(&format!("{} {id} Task timed out after {secs:.2} seconds", now_iso()));
                let mut out = self.finish_lost(&id, delivered_at, init, "Sandbox.Timedout", &msg);
                out.max_memory_mb = max_memory_mb;
                return out;
            }
        };
        let max_memory_mb = self.max_memory_mb();
        let result = match reply {
            Some(Reply::Response(b)) => Result::Response(b),
            Some(Reply::Error { error_type, body }) => {
                // The document's errorType says more than the header.
                let error_type = api::error_type_of(&body)
                    .or(error_type)
                    .unwrap_or_else(|| "Unhandled".into());
                Result::Error { error_type, body }
            }
            None => {
                let status = self.exit_status().await;
                let msg = format!("RequestId: {id} Error: Runtime exited with error: {status}");
                return self.finish_lost(&id, delivered_at, init, "Runtime.ExitError", &msg);
            }
        };
        let mut out = Outcome {
            request_id: id,
            result,
            duration: delivered_at.elapsed(),
            init,
            max_memory_mb,
            alive: true,
            tail: String::new(),
        };
        // Let the log readers catch up with what was printed before the
        // response.
        tokio::task::yield_now().await;
        self.report(&mut out);
        out
    }

    /// Reports a lost instance's invocation as the error Lambda gives.
    fn finish_lost(
        &mut self,
        id: &str,
        since: Instant,
        init: Option<Duration>,
        error_type: &str,
        message: &str,
    ) -> Outcome {
        self.alive = false;
        let mut out = Outcome::failed(id, error_type, message, since.elapsed(), init);
        self.report(&mut out);
        out
    }

    fn report(&self, out: &mut Outcome) {
        let id = &out.request_id;
        self.log(&format!("END RequestId: {id}"));
        let mut line = format!(
            "REPORT RequestId: {id}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB",
            ms(out.duration),
            out.duration.as_micros().div_ceil(1000).max(1),
            self.spec.memory,
        );
        if let Some(m) = out.max_memory_mb {
            line.push_str(&format!("\tMax Memory Used: {m} MB"));
        }
        if let Some(i) = out.init {
            line.push_str(&format!("\tInit Duration: {:.2} ms", ms(i)));
        }
        if let Result::Error { error_type, .. } = &out.result {
            line.push_str(&format!("\tStatus: error\tError Type: {error_type}"));
        }
        self.log(&line);
        out.tail = self.take_tail();
    }

    /// The process's exit status, once it has exited (waits briefly).
    async fn exit_status(&self) -> String {
        let mut exited = self.exited.clone();
        let _ =
            tokio::time::timeout(Duration::from_secs(2), exited.wait_for(Option::is_some)).await;
        let s = exited.borrow().clone();
        s.unwrap_or_else(|| "the process stopped answering".into())
    }

    /// Peak resident memory (VmHWM) on Linux.
    fn max_memory_mb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid?)).ok()?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb.div_ceil(1024))
    }
}

/// Waits for the process to exit or to be told to stop, then says how it
/// ended.
async fn supervise(
    mut child: Child,
    kill: oneshot::Receiver<()>,
    exited: watch::Sender<Option<String>>,
) {
    let status = tokio::select! {
        s = child.wait() => s,
        _ = kill => {
            let _ = child.start_kill();
            child.wait().await
        }
    };
    let text = match status {
        Ok(s) => describe(s),
        Err(e) => format!("cannot wait for the process: {e}"),
    };
    let _ = exited.send(Some(text));
}

fn describe(s: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = s.signal() {
            return format!("signal: {sig}");
        }
    }
    match s.code() {
        Some(c) => format!("exit status {c}"),
        None => "exit status unknown".into(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The current time as Lambda prints it in logs: `2026-11-23T10:00:00.123Z`.
pub fn now_iso() -> String {
    iso_time(now_ms())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A time as AWS writes it in events and logs: `2026-11-23T10:00:00.123Z`.
pub fn iso_time(epoch_ms: u64) -> String {
    aws_smithy_types::DateTime::from_millis(epoch_ms as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
