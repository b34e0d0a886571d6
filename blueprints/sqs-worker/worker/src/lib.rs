//! The worker of the jobs queue. Each message is an order job, priced on its
//! own: a message that fails (not JSON, not an order, an order that cannot be
//! priced) is reported in the batch response, so that only it goes back to
//! the queue, and after 3 receives SQS moves it to the dead-letter queue. The
//! logic is here, free of the runtime, so that it is tested with the sample
//! events in `events/`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::tracing;
use serde::{Deserialize, Serialize};

/// A job: an order to price.
#[derive(Debug, Deserialize)]
pub struct Order {
    pub order_id: String,
    pub lines: Vec<Line>,
}

#[derive(Debug, Deserialize)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
    pub unit_price_cents: u64,
}

/// A priced order.
#[derive(Debug, PartialEq, Serialize)]
pub struct Priced {
    pub order_id: String,
    pub items: u64,
    pub total_cents: u64,
}

/// Prices the order job in a message body.
pub fn price(body: &str) -> Result<Priced, String> {
    let order: Order = serde_json::from_str(body).map_err(|e| format!("not an order job: {e}"))?;
    let id = &order.order_id;
    if order.lines.is_empty() {
        return Err(format!("order {id} has no lines"));
    }
    let (mut items, mut total_cents) = (0u64, 0u64);
    for line in &order.lines {
        if line.quantity == 0 {
            return Err(format!("order {id}: {} has a quantity of 0", line.sku));
        }
        total_cents = u64::from(line.quantity)
            .checked_mul(line.unit_price_cents)
            .and_then(|amount| total_cents.checked_add(amount))
            .ok_or_else(|| format!("order {id}: the total overflows"))?;
        items += u64::from(line.quantity);
    }
    Ok(Priced {
        order_id: order.order_id,
        items,
        total_cents,
    })
}

/// Handles one batch of the jobs queue: every message is priced, and the ids
/// of the messages that failed are returned, for SQS to deliver them again.
pub fn handle(event: SqsEvent) -> SqsBatchResponse {
    let mut failed = Vec::new();
    for message in event.records {
        // Lambda always sets the id; an empty one would retry the whole batch.
        let id = message.message_id.unwrap_or_default();
        match price(message.body.as_deref().unwrap_or_default()) {
            Ok(p) => tracing::info!(
                message_id = %id,
                order_id = %p.order_id,
                items = p.items,
                total_cents = p.total_cents,
                "priced"
            ),
            Err(e) => {
                tracing::warn!(message_id = %id, error = %e, "failed");
                failed.push(id);
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> SqsEvent {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn failures(r: &SqsBatchResponse) -> Vec<&str> {
        r.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    #[test]
    fn the_malformed_message_fails_alone() {
        let r = handle(event("batch.json"));
        assert_eq!(failures(&r), ["c3d7f2a1-8b44-4b6e-a0d9-5e6f7a8b9c0d"]);
    }

    #[test]
    fn the_response_has_the_shape_lambda_reads() {
        let r = serde_json::to_value(handle(event("batch.json"))).unwrap();
        assert_eq!(
            r,
            serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": "c3d7f2a1-8b44-4b6e-a0d9-5e6f7a8b9c0d" }] })
        );
    }

    #[test]
    fn a_batch_of_good_jobs_has_no_failures() {
        let mut e = event("batch.json");
        e.records
            .retain(|m| m.message_id.as_deref() != Some("c3d7f2a1-8b44-4b6e-a0d9-5e6f7a8b9c0d"));
        assert_eq!(e.records.len(), 3);
        assert!(handle(e).batch_item_failures.is_empty());
    }

    #[test]
    fn a_job_is_priced_from_its_lines() {
        let e = event("batch.json");
        let p = price(e.records[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(
            p,
            Priced {
                order_id: "o-1001".into(),
                items: 3,
                total_cents: 2 * 1250 + 499
            }
        );
    }

    #[test]
    fn an_order_that_cannot_be_priced_fails_with_its_reason() {
        let zero = r#"{"order_id": "o-9", "lines": [{"sku": "SADDLE", "quantity": 0, "unit_price_cents": 1250}]}"#;
        assert_eq!(
            price(zero).unwrap_err(),
            "order o-9: SADDLE has a quantity of 0"
        );
        assert_eq!(
            price(r#"{"order_id": "o-9", "lines": []}"#).unwrap_err(),
            "order o-9 has no lines"
        );
        let huge = format!(
            r#"{{"order_id": "o-9", "lines": [{{"sku": "X", "quantity": 2, "unit_price_cents": {}}}]}}"#,
            u64::MAX
        );
        assert!(price(&huge).unwrap_err().contains("overflows"));
        assert!(
            price(r#"{"id": 1}"#)
                .unwrap_err()
                .starts_with("not an order job")
        );
    }
}
