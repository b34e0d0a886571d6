//! The publish-changes function: each change of the products table, from
//! its stream, becomes an event on the bus named by `BUS_NAME`.

use aws_lambda_events::dynamodb::Event;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use publish_changes::{Bus, Entry, publish};

struct EventBridge {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl Bus for EventBridge {
    async fn put(&self, entries: &[Entry]) -> Result<Vec<Option<String>>, String> {
        let entries = entries
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(e.source)
                    .detail_type(e.detail_type)
                    .detail(&e.detail)
                    .build()
            })
            .collect();
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        Ok(out
            .entries
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                r.error_code
                    .map(|code| format!("{code}: {}", r.error_message.unwrap_or_default()))
            })
            .collect())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let bus = std::env::var("BUS_NAME").map_err(|_| "BUS_NAME is not set")?;
    let config = aws_config::load_from_env().await;
    let events = &EventBridge {
        client: aws_sdk_eventbridge::Client::new(&config),
        bus,
    };
    run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, Error>(publish(events, &event.payload).await)
    }))
    .await
}
