//! The SendConfirmation step: the reserved order in, the confirmation out.
//! The confirmation is written to the function's log as one JSON line;
//! replace `LogOutbox` with a mailer to e-mail it.

use std::io::Write;

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use orders::{Confirmation, Outbox, ReservedOrder, send_confirmation};

/// Writes each confirmation as one line of standard output.
struct LogOutbox;

impl Outbox for LogOutbox {
    async fn send(&self, confirmation: &Confirmation) -> Result<(), String> {
        let line = serde_json::to_string(confirmation).map_err(|e| e.to_string())?;
        writeln!(std::io::stdout().lock(), "{line}").map_err(|e| e.to_string())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<ReservedOrder>| async move {
        send_confirmation(&LogOutbox, &event.payload)
            .await
            .map_err(|e| Diagnostic {
                error_type: e.name().to_string(),
                error_message: e.to_string(),
            })
    }))
    .await
}
