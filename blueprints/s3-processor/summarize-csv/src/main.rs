//! The `summarize-csv` function: reads each uploaded CSV from S3 and writes
//! its summary to the results bucket, named by `RESULTS_BUCKET`.

use aws_lambda_events::event::s3::S3Event;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn, tracing};
use summarize_csv::{ObjectStore, handle};

struct S3 {
    client: aws_sdk_s3::Client,
}

/// An S3 error in one line: its code and message, else the chain of causes.
fn describe(e: impl ProvideErrorMetadata + std::error::Error) -> String {
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => DisplayErrorContext(e).to_string(),
    }
}

impl ObjectStore for S3 {
    async fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        let object = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(describe)?;
        let body = object.body.collect().await.map_err(|e| e.to_string())?;
        Ok(body.into_bytes().to_vec())
    }

    async fn put(&self, bucket: &str, key: &str, json: Vec<u8>) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(json))
            .send()
            .await
            .map(|_| ())
            .map_err(describe)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let results = std::env::var("RESULTS_BUCKET").map_err(|_| "RESULTS_BUCKET is not set")?;
    let config = aws_config::load_from_env().await;
    let s3 = S3 {
        client: aws_sdk_s3::Client::new(&config),
    };
    let (s3, results) = (&s3, results.as_str());
    run(service_fn(move |event: LambdaEvent<S3Event>| async move {
        let written = handle(s3, results, event.payload)
            .await
            .map_err(|e| Diagnostic {
                error_type: "SummaryNotWritten".into(),
                error_message: e,
            })?;
        for key in &written {
            tracing::info!(bucket = results, key = %key, "summary written");
        }
        Ok::<_, Diagnostic>(serde_json::json!({ "written": written }))
    }))
    .await
}
