//! The Lambda entry point of the `report` function, invoked by its schedules.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn, tracing};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(|event: LambdaEvent<Value>| async move {
        let report = report::handle(event.payload, chrono::Utc::now()).map_err(|e| Diagnostic {
            error_type: "UnexpectedPayload".into(),
            error_message: e,
        })?;
        tracing::info!(report = %serde_json::json!(&report), "report");
        Ok::<_, Diagnostic>(report)
    }))
    .await
}
