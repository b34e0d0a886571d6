//! The ProcessOrder function. Its answer goes to the success destination;
//! an invalid order is an error of type `InvalidOrder`, which Lambda
//! retries and then sends to the failure destination.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use process_order::process_order;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        process_order(event.payload).map_err(|e| Diagnostic {
            error_type: e.name().to_string(),
            error_message: e.to_string(),
        })
    }))
    .await
}
