//! The audit function: each change of the orders table, from its stream,
//! becomes one JSON line of the function's log (and so of CloudWatch Logs).

use std::io::Write;

use audit::{AuditLog, Entry, audit};
use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

/// Writes each entry as one line of standard output.
struct Stdout;

impl AuditLog for Stdout {
    fn write(&mut self, entry: &Entry) -> Result<(), String> {
        let line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        writeln!(std::io::stdout().lock(), "{line}").map_err(|e| e.to_string())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Event>| async move {
        Ok::<_, Error>(audit(&mut Stdout, &event.payload))
    }))
    .await
}
