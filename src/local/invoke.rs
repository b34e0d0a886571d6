//! `ferry local invoke`: what a function is invoked with (a payload, the
//! event of a trigger kind, or of one trigger), and one invocation on a
//! fresh instance: synchronous, or asynchronous under the function's retry
//! policy with its destination record.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::api::Invocation;
use super::environment::Context;
use super::{Error, Logs, asynchronous, events, instance, pool::Pool};
use crate::manifest::model::{App, Code};

/// What to invoke with.
#[derive(Clone, Debug)]
pub enum Input<'a> {
    /// The event as given (JSON).
    Payload(Vec<u8>),
    /// The event of the function's trigger of this kind (`sqs`, `s3`, ...).
    Kind(&'a str),
    /// The event of the function's trigger at this index (from 0).
    Trigger(usize),
}

/// One invocation, checked, ready to run once the function is built.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub function: String,
    pub event: Vec<u8>,
    /// The client context (JSON), as a mobile SDK sends it.
    pub client_context: Option<String>,
    /// Under the function's retry policy, with its destination record.
    pub asynchronous: bool,
}

/// What an invocation gave.
pub enum Ran {
    Sync(instance::Outcome),
    Async(asynchronous::Report),
}

/// Fails when `function` is not one ferry runs locally: unknown, or a
/// container image.
pub fn runnable(app: &App, function: &str) -> Result<(), Error> {
    match &app.function(function)?.code {
        Code::Image(_) => Err(Error::ContainerImage(function.to_string())),
        _ => Ok(()),
    }
}

/// Checks what `function` is to be invoked with and makes the event, before
/// anything is built: generated events are filled with this app's names
/// (`cx`) and `stamp`.
pub fn request(
    app: &App,
    function: &str,
    input: Input,
    client_context: Option<&str>,
    asynchronous: bool,
    cx: &Context,
    stamp: &events::Stamp,
) -> Result<Request, Error> {
    runnable(app, function)?;
    let generated = |index: usize| {
        events::for_trigger(app, function, index, cx, stamp)
            .map(|e| e.to_string().into_bytes())
            .ok_or_else(|| events::no_trigger(app, function, index))
    };
    let event = match input {
        Input::Trigger(index) => generated(index)?,
        Input::Kind(kind) => {
            let kind = events::Kind::from_key(kind)
                .ok_or_else(|| Error::UnknownEventKind(kind.to_string()))?;
            generated(events::trigger_of_kind(app, function, kind)?)?
        }
        Input::Payload(bytes) => bytes,
    };
    if let Some(c) = client_context {
        serde_json::from_str::<Value>(c).map_err(Error::ClientContext)?;
    }
    Ok(Request {
        function: function.to_string(),
        event,
        client_context: client_context.map(str::to_string),
        asynchronous,
    })
}

/// Runs `request` once on a fresh instance of `binary`, on a runtime of its
/// own. Asynchronously, `accepted` is told the request id before the first
/// attempt, and `on_retry` of each retry (its number and the delay Lambda
/// would wait; ferry waits [`asynchronous::SHORTENED_WAIT`]).
pub fn run(
    app: &App,
    request: Request,
    binary: &Path,
    cx: &Context,
    logs: Logs,
    accepted: impl FnOnce(&str),
    on_retry: impl FnMut(u32, Duration),
) -> Result<Ran, Error> {
    runnable(app, &request.function)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let spec = super::spec(app, &request.function, binary, cx);
    let pool = Pool::new(spec, 1, logs);
    let mut inv = Invocation::new(request.event, &pool.spec().function_arn);
    inv.client_context = request.client_context;
    let ran = if request.asynchronous {
        accepted(&inv.request_id);
        Ran::Async(rt.block_on(asynchronous::invoke(
            app,
            &request.function,
            &pool,
            inv,
            cx,
            asynchronous::SHORTENED_WAIT,
            on_retry,
        )))
    } else {
        Ran::Sync(rt.block_on(pool.invoke(inv)))
    };
    // The instance stops with the pool, on this runtime.
    drop(pool);
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let text = r#"app: shop
queues:
  jobs: {}
functions:
  worker:
    triggers:
      - queue: jobs
      - schedule: rate(5 minutes)
  plain: {}
  container:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:latest
"#;
        crate::manifest::load_str(Path::new("ferry.yaml"), text, "dev", &crate::manifest::Disk)
            .unwrap_or_else(|_| panic!("valid"))
    }

    fn cx(app: &App) -> Context {
        Context::new(app, Some("eu-west-1"), None, 9000)
    }

    fn stamp() -> events::Stamp {
        events::Stamp {
            epoch_ms: 1_764_662_400_000,
            seed: "s".into(),
        }
    }

    fn event(app: &App, function: &str, input: Input) -> Result<Value, String> {
        event_or_error(app, function, input).map_err(|e| e.to_string())
    }

    fn event_or_error(app: &App, function: &str, input: Input) -> Result<Value, Error> {
        let r = request(app, function, input, None, false, &cx(app), &stamp())?;
        Ok(serde_json::from_slice(&r.event).unwrap())
    }

    #[test]
    fn the_event_is_the_payload_or_a_triggers_event() {
        let app = app();
        let given = event(&app, "plain", Input::Payload(br#"{"a":1}"#.to_vec())).unwrap();
        assert_eq!(given, serde_json::json!({ "a": 1 }));
        let by_index = event(&app, "worker", Input::Trigger(1)).unwrap();
        assert_eq!(by_index["source"], "aws.events");
        let by_kind = event(&app, "worker", Input::Kind("queue")).unwrap();
        assert_eq!(by_kind["Records"][0]["eventSource"], "aws:sqs");
    }

    #[test]
    fn what_cannot_run_is_refused_before_building() {
        let app = app();
        let e = event(&app, "worker", Input::Trigger(2)).unwrap_err();
        assert_eq!(
            e,
            "function `worker` has 2 triggers: --trigger takes 0 to 1"
        );
        let e = event(&app, "plain", Input::Trigger(0)).unwrap_err();
        assert!(e.contains("has no triggers"), "{e}");
        let e = event(&app, "worker", Input::Kind("nothing")).unwrap_err();
        assert_eq!(e, "unknown event kind `nothing`");
        let e = event(&app, "container", Input::Payload(b"{}".to_vec())).unwrap_err();
        assert!(e.contains("container image"), "{e}");
        let e = request(
            &app,
            "plain",
            Input::Payload(b"{}".to_vec()),
            Some("{not json"),
            false,
            &cx(&app),
            &stamp(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::ClientContext(_)), "{e:?}");
        assert!(
            e.to_string().starts_with("--client-context is not JSON"),
            "{e}"
        );
        assert!(matches!(
            event_or_error(&app, "container", Input::Payload(b"{}".to_vec())),
            Err(Error::ContainerImage(f)) if f == "container"
        ));
        assert!(matches!(
            event_or_error(&app, "nope", Input::Trigger(0)),
            Err(Error::UnknownFunction(u)) if u.name == "nope"
        ));
    }
}
