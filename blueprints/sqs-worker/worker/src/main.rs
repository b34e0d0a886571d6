//! The Lambda entry point of the `worker` function: one batch of the jobs
//! queue per invocation, answered with the ids of the messages that failed.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn, tracing};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker::handle(event.payload))
    }))
    .await
}
