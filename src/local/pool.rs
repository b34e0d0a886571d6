//! The warm instances of one function. An invocation takes an idle
//! instance or starts a new one, up to the function's concurrency; an
//! instance that survives its invocation goes back to the pool.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::api::Invocation;
use super::instance::{Instance, Logs, Outcome, Spec};

/// How many instances of one function run at once when the manifest sets
/// no reserved concurrency.
pub const DEFAULT_MAX_INSTANCES: usize = 64;

pub struct Pool {
    spec: Mutex<Arc<Spec>>,
    idle: Mutex<Vec<Instance>>,
    running: AtomicUsize,
    started: AtomicUsize,
    max: usize,
    logs: Logs,
}

impl Pool {
    pub fn new(spec: Spec, max: usize, logs: Logs) -> Pool {
        Pool {
            spec: Mutex::new(Arc::new(spec)),
            idle: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            max: max.max(1),
            logs,
        }
    }

    pub fn spec(&self) -> Arc<Spec> {
        self.spec.lock().expect("lock").clone()
    }

    /// Instances started so far (cold starts).
    pub fn cold_starts(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }

    /// Uses `spec` for new instances and stops the idle ones: after a
    /// rebuild, the next invocation runs the new binary.
    pub fn replace(&self, spec: Spec) {
        *self.spec.lock().expect("lock") = Arc::new(spec);
        let stale: Vec<Instance> = std::mem::take(&mut *self.idle.lock().expect("lock"));
        self.running.fetch_sub(stale.len(), Ordering::Relaxed);
        drop(stale);
    }

    /// Runs one invocation on a warm instance, or a new one.
    pub async fn invoke(&self, inv: Invocation) -> Outcome {
        let spec = self.spec();
        let warm = self.idle.lock().expect("lock").pop();
        let mut instance = match warm {
            Some(i) => i,
            None => {
                let n = self.running.fetch_add(1, Ordering::Relaxed);
                if n >= self.max {
                    self.running.fetch_sub(1, Ordering::Relaxed);
                    return throttled(&inv.request_id, self.max);
                }
                let id = self.started.fetch_add(1, Ordering::Relaxed) + 1;
                match Instance::start(spec.clone(), id, self.logs.clone()).await {
                    Ok(i) => i,
                    Err(e) => {
                        self.running.fetch_sub(1, Ordering::Relaxed);
                        return failed_start(&inv.request_id, &e.to_string());
                    }
                }
            }
        };
        let out = instance.invoke(inv).await;
        let current = Arc::ptr_eq(instance.spec(), &self.spec());
        if instance.alive() && current {
            self.idle.lock().expect("lock").push(instance);
        } else {
            self.running.fetch_sub(1, Ordering::Relaxed);
            instance.stop();
        }
        out
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for mut i in std::mem::take(&mut *self.idle.lock().expect("lock")) {
            i.stop();
        }
    }
}

fn throttled(request_id: &str, max: usize) -> Outcome {
    Outcome::failed(
        request_id,
        "TooManyRequestsException",
        &format!(
            "Rate Exceeded: {max} instances of the function are busy (its reserved concurrency)"
        ),
        std::time::Duration::ZERO,
        None,
    )
}

fn failed_start(request_id: &str, message: &str) -> Outcome {
    Outcome::failed(
        request_id,
        "Runtime.InvalidEntrypoint",
        message,
        std::time::Duration::ZERO,
        None,
    )
}
