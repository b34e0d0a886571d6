//! The Lambda entry point of the `api` function.

use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_string());
    let greeting = greeting.as_str();
    run(service_fn(move |req| async move {
        Ok::<_, Error>(api::handle(greeting, req))
    }))
    .await
}
