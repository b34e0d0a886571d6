//! Schedule triggers on this machine (`ferry local serve --schedules`):
//! each enabled `rate(...)` schedule fires on its period with its payload
//! (or EventBridge's `Scheduled Event`); `cron(...)` schedules are listed
//! with their next time, to be fired by hand with
//! `ferry local invoke FUNCTION --trigger N` (or `--event schedule`). Periods may be divided
//! by a time scale, so that a test sees `rate(1 minute)` fire every second.

use std::time::Duration;

use super::api::{self, Invocation};
use super::events::{self, Stamp};
use super::instance::{self, iso_time};
use super::serve::{Access, Shared};
use crate::manifest::model::{App, Schedule, TriggerKind};
use crate::manifest::schedule::{next_cron, rate_seconds};

/// One schedule trigger of the app.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub function: String,
    /// The trigger's index in the function's `triggers`.
    pub index: usize,
    pub expression: String,
    pub enabled: bool,
    /// A rate's period, in seconds.
    pub period: Option<u64>,
    /// A cron's next time (Unix seconds), when it can be computed.
    pub next: Option<u64>,
}

/// Every schedule trigger of the app, rates and crons, with what is known
/// of when it fires after `now` (Unix seconds).
pub fn entries(app: &App, now: u64) -> Vec<Entry> {
    let mut out = Vec::new();
    for (name, f) in &app.functions {
        for (index, t) in f.triggers.iter().enumerate() {
            if let TriggerKind::Schedule(s) = &t.kind {
                let expression = s.schedule.expression().to_string();
                let (period, next) = match &s.schedule {
                    Schedule::Rate(e) => (rate_seconds(e), None),
                    Schedule::Cron(e) => (None, next_cron(e, now)),
                };
                out.push(Entry {
                    function: name.clone(),
                    index,
                    expression,
                    enabled: s.enabled,
                    period,
                    next,
                });
            }
        }
    }
    out
}

/// How a listed schedule will run, for people.
pub fn describe(e: &Entry, scale: u32) -> String {
    let what = format!("{} {}", e.function, e.expression);
    let by_hand = format!("ferry local invoke {} --trigger {}", e.function, e.index);
    if !e.enabled {
        return format!("{what}: disabled");
    }
    match (e.period, e.next) {
        (Some(p), _) if scale > 1 => format!(
            "{what}: every {p}s, shortened {scale} times to {:.1}s",
            p as f64 / f64::from(scale)
        ),
        (Some(p), _) => format!("{what}: every {p}s"),
        (None, Some(n)) => format!(
            "{what}: next at {} (not fired locally: `{by_hand}`)",
            iso_time(n * 1000)
        ),
        (None, None) => format!("{what}: not fired locally (`{by_hand}`)"),
    }
}

/// Fires every enabled rate schedule on its period divided by `scale`,
/// for as long as the returned tasks run (they are aborted on drop of the
/// runtime). Each firing is one line on `access`.
pub fn start(shared: Shared, scale: u32, access: Access) -> Vec<tokio::task::JoinHandle<()>> {
    let app = shared.read().map(|s| s.app.clone()).ok();
    let Some(app) = app else {
        return Vec::new();
    };
    entries(&app, 0)
        .into_iter()
        .filter(|e| e.enabled)
        .filter_map(|e| Some((e.period?, e)))
        .map(|(period, e)| {
            let every = Duration::from_secs(period).div_f64(f64::from(scale.max(1)));
            let shared = shared.clone();
            let access = access.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let current = match shared.read() {
                        Ok(s) => s.clone(),
                        Err(_) => return,
                    };
                    let Some(pool) = current.pools.get(&e.function).cloned() else {
                        continue;
                    };
                    let stamp = Stamp {
                        epoch_ms: instance::now_ms(),
                        seed: api::new_request_id(),
                    };
                    let Some(event) = events::for_trigger(
                        &current.app,
                        &e.function,
                        e.index,
                        &current.cx,
                        &stamp,
                    ) else {
                        continue;
                    };
                    let inv = Invocation::new(event.to_string(), &pool.spec().function_arn);
                    let out = pool.invoke(inv).await;
                    access(&format!(
                        "schedule {} -> {} {} ({:.1} ms)",
                        e.expression,
                        e.function,
                        match &out.result {
                            instance::Result::Response(_) => "ok".to_string(),
                            instance::Result::Error { error_type, .. } =>
                                format!("error {error_type}"),
                        },
                        out.duration.as_secs_f64() * 1000.0
                    ));
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_periods_and_crons_next_times() {
        let text = "app: a\nfunctions:\n  tick:\n    triggers:\n      - schedule: rate(2 minutes)\n      - schedule: cron(0 12 * * ? *)\n      - schedule: rate(1 hour)\n        enabled: false\n";
        let app = crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            text,
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"));
        let e = entries(&app, 1_764_662_400);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].period, Some(120));
        assert_eq!(e[1].next, Some(1_764_662_400 + 4 * 3600));
        assert!(!e[2].enabled);
        assert_eq!(
            describe(&e[0], 60),
            "tick rate(2 minutes): every 120s, shortened 60 times to 2.0s"
        );
        assert_eq!(
            describe(&e[1], 1),
            "tick cron(0 12 * * ? *): next at 2025-12-02T12:00:00Z (not fired locally: `ferry local invoke tick --trigger 1`)"
        );
    }
}
