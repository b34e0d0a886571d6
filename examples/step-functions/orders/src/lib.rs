//! The three steps of the order flow, one function each, run in turn by the
//! `order-flow` state machine (`flows/order-flow.asl.json`):
//!
//! 1. [`validate_order`] checks the order against the catalogue and prices
//!    it; the state becomes the [`ValidatedOrder`].
//! 2. [`reserve_stock`] reserves its items; the [`Reservation`] is added to
//!    the state as `reservation`.
//! 3. [`send_confirmation`] sends the customer a [`Confirmation`], added to
//!    the state as `confirmation`.
//!
//! A step fails with a [`StepError`], whose [`name`](StepError::name) is the
//! error the state machine's `Retry` and `Catch` match. The logic is here,
//! free of the runtime, so that it is tested with the sample events; the
//! binaries in `src/bin/` wire each step to Lambda.

use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A product of the catalogue, with the stock that can be reserved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Product {
    pub sku: &'static str,
    pub name: &'static str,
    pub unit_price_cents: u64,
    pub stock: u32,
}

/// The shop's catalogue.
pub const CATALOGUE: [Product; 3] = [
    Product {
        sku: "TEA-GREEN-100G",
        name: "Green tea, 100 g",
        unit_price_cents: 650,
        stock: 40,
    },
    Product {
        sku: "MUG-BLUE",
        name: "Blue mug",
        unit_price_cents: 1200,
        stock: 5,
    },
    Product {
        sku: "KETTLE-1L",
        name: "Kettle, 1 l",
        unit_price_cents: 3900,
        stock: 0,
    },
];

fn product(sku: &str) -> Option<&'static Product> {
    CATALOGUE.iter().find(|p| p.sku == sku)
}

/// The flow's input: an order as the shop's front end sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub customer: String,
    pub items: Vec<OrderItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub sku: String,
    pub quantity: u32,
}

/// The order once checked and priced: the output of `ValidateOrder`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedOrder {
    pub order_id: String,
    pub customer: String,
    pub items: Vec<PricedItem>,
    pub total_cents: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedItem {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price_cents: u64,
}

/// The output of `ReserveStock`, kept in the state as `reservation`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    /// Derived from the order, so that a retried step reserves nothing twice.
    pub reservation_id: String,
    pub units: u32,
}

/// The input of `SendConfirmation`: the validated order and its reservation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservedOrder {
    #[serde(flatten)]
    pub order: ValidatedOrder,
    pub reservation: Reservation,
}

/// The message sent to the customer: the output of `SendConfirmation`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirmation {
    pub order_id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a step failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepErrorKind {
    /// The order cannot be processed: caught, the flow ends in `OrderRejected`.
    InvalidOrder,
    /// An item is not in stock: caught, the flow ends in `OrderRejected`.
    OutOfStock,
    /// The confirmation was not sent: retried.
    NotSent,
}

#[derive(Debug, PartialEq)]
pub struct StepError {
    pub kind: StepErrorKind,
    pub message: String,
}

impl StepError {
    fn new(kind: StepErrorKind, message: impl Into<String>) -> StepError {
        StepError {
            kind,
            message: message.into(),
        }
    }

    /// The error's name for Lambda (its `errorType`), which is what the
    /// state machine's `ErrorEquals` match.
    pub fn name(&self) -> &'static str {
        match self.kind {
            StepErrorKind::InvalidOrder => "InvalidOrder",
            StepErrorKind::OutOfStock => "OutOfStock",
            StepErrorKind::NotSent => "NotSent",
        }
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StepError {}

/// Step 1: checks the order and prices it from the catalogue.
pub fn validate_order(input: Value) -> Result<ValidatedOrder, StepError> {
    use StepErrorKind::InvalidOrder;
    let order: Order = serde_json::from_value(input)
        .map_err(|e| StepError::new(InvalidOrder, format!("not an order: {e}")))?;
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
    let mut items = Vec::new();
    for item in &order.items {
        if item.quantity == 0 {
            problems.push(format!("{}: the quantity is zero", item.sku));
        }
        match product(&item.sku) {
            Some(p) => items.push(PricedItem {
                sku: p.sku.to_string(),
                name: p.name.to_string(),
                quantity: item.quantity,
                unit_price_cents: p.unit_price_cents,
            }),
            None => problems.push(format!("{}: no such product", item.sku)),
        }
    }
    if !problems.is_empty() {
        let message = format!(
            "order {} is invalid: {}",
            order.order_id,
            problems.join("; ")
        );
        return Err(StepError::new(InvalidOrder, message));
    }
    let total_cents = items
        .iter()
        .map(|i| u64::from(i.quantity) * i.unit_price_cents)
        .sum();
    Ok(ValidatedOrder {
        order_id: order.order_id,
        customer: order.customer,
        items,
        total_cents,
    })
}

/// Step 2: reserves every item of a validated order, or none.
pub fn reserve_stock(order: &ValidatedOrder) -> Result<Reservation, StepError> {
    let short: Vec<String> = order
        .items
        .iter()
        .filter_map(|i| {
            let stock = product(&i.sku).map_or(0, |p| p.stock);
            (i.quantity > stock)
                .then(|| format!("{}: {} wanted, {stock} in stock", i.sku, i.quantity))
        })
        .collect();
    if !short.is_empty() {
        let message = format!(
            "order {} cannot be reserved: {}",
            order.order_id,
            short.join("; ")
        );
        return Err(StepError::new(StepErrorKind::OutOfStock, message));
    }
    Ok(Reservation {
        reservation_id: format!("r-{}", order.order_id),
        units: order.items.iter().map(|i| i.quantity).sum(),
    })
}

/// Where confirmations are sent.
pub trait Outbox {
    fn send(&self, confirmation: &Confirmation) -> impl Future<Output = Result<(), String>>;
}

/// Step 3: writes the confirmation of a reserved order and sends it.
pub async fn send_confirmation(
    outbox: &impl Outbox,
    input: &ReservedOrder,
) -> Result<Confirmation, StepError> {
    let order = &input.order;
    let lines: Vec<String> = order
        .items
        .iter()
        .map(|i| {
            format!(
                "{} x {} ({})",
                i.quantity,
                i.name,
                money(u64::from(i.quantity) * i.unit_price_cents)
            )
        })
        .collect();
    let confirmation = Confirmation {
        order_id: order.order_id.clone(),
        to: order.customer.clone(),
        subject: format!("Your order {} is confirmed", order.order_id),
        body: format!(
            "{}\nTotal: {}\nReservation: {}",
            lines.join("\n"),
            money(order.total_cents),
            input.reservation.reservation_id
        ),
    };
    outbox.send(&confirmation).await.map_err(|e| {
        StepError::new(
            StepErrorKind::NotSent,
            format!("order {}: {e}", order.order_id),
        )
    })?;
    Ok(confirmation)
}

/// `1234` cents as `12.34`.
fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Memory {
        sent: RefCell<Vec<Confirmation>>,
        fail: bool,
    }

    impl Outbox for Memory {
        async fn send(&self, confirmation: &Confirmation) -> Result<(), String> {
            if self.fail {
                return Err("the mail server is unavailable".into());
            }
            self.sent.borrow_mut().push(confirmation.clone());
            Ok(())
        }
    }

    fn file(path: &str) -> Value {
        let path = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn event(name: &str) -> Value {
        file(&format!("events/{name}"))
    }

    #[test]
    fn a_valid_order_is_priced() {
        let order = validate_order(event("validate-order.json")).unwrap();
        assert_eq!(order.order_id, "o-1001");
        assert_eq!(order.items.len(), 2);
        assert_eq!(order.items[0].name, "Green tea, 100 g");
        assert_eq!(order.total_cents, 2 * 650 + 1200);
    }

    #[test]
    fn the_output_of_each_step_is_the_input_of_the_next() {
        // ValidateOrder's output replaces the state...
        let validated = validate_order(event("validate-order.json")).unwrap();
        assert_eq!(
            serde_json::to_value(&validated).unwrap(),
            event("reserve-stock.json")
        );
        // ...and ReserveStock's is added to it as `reservation`.
        let mut state = event("reserve-stock.json");
        state["reservation"] = serde_json::to_value(reserve_stock(&validated).unwrap()).unwrap();
        assert_eq!(state, event("send-confirmation.json"));
    }

    #[test]
    fn an_invalid_order_names_every_problem() {
        let e = validate_order(event("validate-order-invalid.json")).unwrap_err();
        assert_eq!(e.name(), "InvalidOrder");
        assert!(
            e.message
                .contains("`not-an-address` is not an e-mail address"),
            "{e}"
        );
        assert!(e.message.contains("TEA-BLACK-1KG: no such product"), "{e}");
        assert!(e.message.contains("MUG-BLUE: the quantity is zero"), "{e}");
    }

    #[test]
    fn what_is_not_an_order_is_invalid() {
        let e = validate_order(serde_json::json!(["o-1001"])).unwrap_err();
        assert_eq!(e.kind, StepErrorKind::InvalidOrder);
        assert!(e.message.starts_with("not an order"), "{e}");
    }

    #[test]
    fn stock_is_reserved_for_every_item() {
        let order: ValidatedOrder = serde_json::from_value(event("reserve-stock.json")).unwrap();
        let r = reserve_stock(&order).unwrap();
        assert_eq!(
            r,
            Reservation {
                reservation_id: "r-o-1001".into(),
                units: 3
            }
        );
    }

    #[test]
    fn an_item_short_of_stock_is_out_of_stock() {
        let mut order: ValidatedOrder =
            serde_json::from_value(event("reserve-stock.json")).unwrap();
        order.items[1].quantity = 6;
        let e = reserve_stock(&order).unwrap_err();
        assert_eq!(e.name(), "OutOfStock");
        assert_eq!(
            e.message,
            "order o-1001 cannot be reserved: MUG-BLUE: 6 wanted, 5 in stock"
        );
    }

    #[tokio::test]
    async fn the_confirmation_is_sent_to_the_customer() {
        let outbox = Memory::default();
        let input: ReservedOrder = serde_json::from_value(event("send-confirmation.json")).unwrap();
        let c = send_confirmation(&outbox, &input).await.unwrap();
        assert_eq!(c.to, "ada@example.com");
        assert_eq!(c.subject, "Your order o-1001 is confirmed");
        assert_eq!(
            c.body,
            "2 x Green tea, 100 g (13.00)\n1 x Blue mug (12.00)\nTotal: 25.00\nReservation: r-o-1001"
        );
        assert_eq!(*outbox.sent.borrow(), [c]);
    }

    #[tokio::test]
    async fn a_confirmation_not_sent_is_an_error_to_retry() {
        let outbox = Memory {
            fail: true,
            ..Memory::default()
        };
        let input: ReservedOrder = serde_json::from_value(event("send-confirmation.json")).unwrap();
        let e = send_confirmation(&outbox, &input).await.unwrap_err();
        assert_eq!(e.name(), "NotSent");
        assert!(e.message.contains("unavailable"), "{e}");
    }

    /// The names the state machine matches are the names the steps fail with.
    #[test]
    fn the_flow_retries_and_catches_the_errors_of_the_steps() {
        let flow = file("flows/order-flow.asl.json");
        let states = &flow["States"];
        let matched = |state: &str, field: &str| -> Vec<String> {
            let rules = states[state][field].as_array().cloned().unwrap_or_default();
            rules
                .iter()
                .flat_map(|r| r["ErrorEquals"].as_array().unwrap().clone())
                .map(|e| e.as_str().unwrap().to_string())
                .collect()
        };
        let name = |kind| StepError::new(kind, "").name().to_string();
        assert!(matched("ValidateOrder", "Catch").contains(&name(StepErrorKind::InvalidOrder)));
        assert!(matched("ReserveStock", "Catch").contains(&name(StepErrorKind::OutOfStock)));
        assert!(matched("SendConfirmation", "Retry").contains(&name(StepErrorKind::NotSent)));
        for state in ["ValidateOrder", "ReserveStock"] {
            assert_eq!(states[state]["Catch"][0]["Next"], "OrderRejected");
        }
        assert_eq!(states["OrderRejected"]["Type"], "Fail");
        let resources: Vec<&str> = ["ValidateOrder", "ReserveStock", "SendConfirmation"]
            .iter()
            .map(|s| states[s]["Resource"].as_str().unwrap())
            .collect();
        assert_eq!(
            resources,
            [
                "${functions.validate-order.arn}",
                "${functions.reserve-stock.arn}",
                "${functions.send-confirmation.arn}"
            ]
        );
    }
}
