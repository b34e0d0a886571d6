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
    spec: Arc<Spec>,
    idle: Mutex<Vec<Instance>>,
    running: AtomicUsize,
    started: AtomicUsize,
    max: usize,
    logs: Logs,
}

impl Pool {
    pub fn new(spec: Spec, max: usize, logs: Logs) -> Pool {
        Pool {
            spec: Arc::new(spec),
            idle: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            max: max.max(1),
            logs,
        }
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Instances started so far (cold starts).
    pub fn cold_starts(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }

    /// Runs one invocation on a warm instance, or a new one.
    pub async fn invoke(&self, inv: Invocation) -> Outcome {
        let warm = self.idle.lock().expect("lock").pop();
        let mut slot = match warm {
            Some(i) => Slot {
                pool: self,
                instance: Some(i),
                returned: false,
            },
            None => {
                if self.running.fetch_add(1, Ordering::Relaxed) >= self.max {
                    self.running.fetch_sub(1, Ordering::Relaxed);
                    return throttled(&inv.request_id, self.max);
                }
                let mut slot = Slot {
                    pool: self,
                    instance: None,
                    returned: false,
                };
                let id = self.started.fetch_add(1, Ordering::Relaxed) + 1;
                match Instance::start(self.spec.clone(), id, self.logs.clone()).await {
                    Ok(i) => slot.instance = Some(i),
                    Err(e) => return failed_start(&inv.request_id, &e.to_string()),
                }
                slot
            }
        };
        let Some(instance) = slot.instance.as_mut() else {
            return failed_start(&inv.request_id, "no instance");
        };
        let out = instance.invoke(inv).await;
        if instance.alive() {
            slot.give_back();
        }
        out
    }
}

/// One running instance, counted in `running` from the moment it is taken
/// from the pool or started until it is back in the pool. Dropped without
/// `give_back` (the instance died, or the invocation was cancelled
/// part-way), it stops the process and frees the
/// count, so that the function never runs out of instances.
struct Slot<'a> {
    pool: &'a Pool,
    instance: Option<Instance>,
    returned: bool,
}

impl Slot<'_> {
    fn give_back(&mut self) {
        if let Some(i) = self.instance.take() {
            self.pool.idle.lock().expect("lock").push(i);
            self.returned = true;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.returned {
            self.pool.running.fetch_sub(1, Ordering::Relaxed);
            if let Some(mut i) = self.instance.take() {
                i.stop();
            }
        }
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
