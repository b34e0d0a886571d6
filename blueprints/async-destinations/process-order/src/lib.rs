//! ProcessOrder: checks an order and totals it. It is invoked
//! asynchronously, so its answer is not read by the caller: Lambda sends it
//! to the success destination, and an error (after the retries) to the
//! failure destination. The logic is here, free of the runtime, so that it
//! is tested with the sample events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most of one item an order may ask for.
pub const MAX_QUANTITY: u32 = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub customer: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub sku: String,
    pub quantity: u32,
    pub unit_price_cents: u64,
}

/// The answer for an order accepted, which the success destination gets as
/// its `responsePayload`.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub order_id: String,
    pub customer: String,
    pub items: u32,
    pub total_cents: u64,
    pub status: &'static str,
}

/// Why an order was refused. Its [`name`](InvalidOrder::name) is the
/// error's type for Lambda, and so the `errorType` of the failure
/// destination's `responsePayload`.
#[derive(Debug, PartialEq)]
pub struct InvalidOrder {
    pub order_id: Option<String>,
    pub problems: Vec<String>,
}

impl InvalidOrder {
    pub fn name(&self) -> &'static str {
        "InvalidOrder"
    }
}

impl std::fmt::Display for InvalidOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.order_id {
            Some(id) => write!(f, "order {id} is invalid: {}", self.problems.join("; ")),
            None => write!(f, "not an order: {}", self.problems.join("; ")),
        }
    }
}

impl std::error::Error for InvalidOrder {}

/// Processes one order: every problem found is reported at once.
pub fn process_order(payload: Value) -> Result<Receipt, InvalidOrder> {
    let order: Order = serde_json::from_value(payload).map_err(|e| InvalidOrder {
        order_id: None,
        problems: vec![e.to_string()],
    })?;
    let mut problems = Vec::new();
    if order.order_id.trim().is_empty() {
        problems.push("the order id is empty".to_string());
    }
    if !order.customer.contains('@') {
        problems.push(format!(
            "the customer `{}` is not an e-mail address",
            order.customer
        ));
    }
    if order.items.is_empty() {
        problems.push("the order has no items".to_string());
    }
    for item in &order.items {
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            problems.push(format!(
                "{}: the quantity {} is not between 1 and {MAX_QUANTITY}",
                item.sku, item.quantity
            ));
        }
        if item.unit_price_cents == 0 {
            problems.push(format!("{}: the unit price is zero", item.sku));
        }
    }
    if !problems.is_empty() {
        return Err(InvalidOrder {
            order_id: Some(order.order_id),
            problems,
        });
    }
    Ok(Receipt {
        items: order.items.iter().map(|i| i.quantity).sum(),
        total_cents: order
            .items
            .iter()
            .map(|i| u64::from(i.quantity) * i.unit_price_cents)
            .sum(),
        order_id: order.order_id,
        customer: order.customer,
        status: "accepted",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_valid_order_is_accepted_and_totalled() {
        let receipt = process_order(event("order.json")).unwrap();
        assert_eq!(
            receipt,
            Receipt {
                order_id: "o-1001".into(),
                customer: "ada@example.com".into(),
                items: 3,
                total_cents: 2 * 650 + 1200,
                status: "accepted",
            }
        );
        let json = serde_json::to_value(&receipt).unwrap();
        assert_eq!(json["orderId"], "o-1001");
        assert_eq!(json["totalCents"], 2500);
    }

    #[test]
    fn an_invalid_order_is_an_error_naming_every_problem() {
        let e = process_order(event("order-invalid.json")).unwrap_err();
        assert_eq!(e.name(), "InvalidOrder");
        assert_eq!(e.order_id.as_deref(), Some("o-1002"));
        assert_eq!(e.problems.len(), 2, "{:?}", e.problems);
        let message = e.to_string();
        assert!(
            message.starts_with("order o-1002 is invalid: "),
            "{message}"
        );
        assert!(message.contains("not-an-address"), "{message}");
        assert!(
            message.contains("TEA-GREEN-100G: the quantity 0"),
            "{message}"
        );
    }

    #[test]
    fn a_payload_that_is_not_an_order_is_an_error() {
        let e = process_order(json!({ "hello": "world" })).unwrap_err();
        assert_eq!(e.order_id, None);
        assert!(e.to_string().starts_with("not an order: "), "{e}");
    }

    #[test]
    fn an_order_without_items_is_refused() {
        let mut order = event("order.json");
        order["items"] = json!([]);
        let e = process_order(order).unwrap_err();
        assert_eq!(e.problems, ["the order has no items"]);
    }
}
