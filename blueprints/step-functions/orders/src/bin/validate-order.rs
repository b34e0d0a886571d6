//! The ValidateOrder step: the flow's input in, the validated order out.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use orders::validate_order;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        validate_order(event.payload).map_err(|e| Diagnostic {
            error_type: e.name().to_string(),
            error_message: e.to_string(),
        })
    }))
    .await
}
