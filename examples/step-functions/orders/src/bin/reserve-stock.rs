//! The ReserveStock step: the validated order in, its reservation out.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use orders::{ValidatedOrder, reserve_stock};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(
        |event: LambdaEvent<ValidatedOrder>| async move {
            reserve_stock(&event.payload).map_err(|e| Diagnostic {
                error_type: e.name().to_string(),
                error_message: e.to_string(),
            })
        },
    ))
    .await
}
