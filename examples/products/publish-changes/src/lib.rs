//! The products table's changes, from its stream, published as events on
//! the `catalog` bus: an INSERT is `ProductCreated`, a MODIFY
//! `ProductUpdated`, a REMOVE `ProductDeleted`, all with source `products`.
//! The detail is the product's id and its new and old images as plain JSON
//! (`{"price_cents": 2599}`, not DynamoDB's `{"price_cents": {"N": "2599"}}`).
//!
//! The mapping is here, free of AWS, with the bus behind the [`Bus`] trait;
//! `main.rs` puts the events with EventBridge's PutEvents.

use std::future::Future;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The source of every event.
pub const SOURCE: &str = "products";

/// PutEvents takes at most 10 entries.
pub const MAX_ENTRIES: usize = 10;

/// One event to put on the bus.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub source: &'static str,
    pub detail_type: &'static str,
    /// The detail, as the JSON text PutEvents takes.
    pub detail: String,
}

/// Where events go. `put` answers, per entry in order, why it was not
/// put (`None`: it was).
pub trait Bus {
    fn put(&self, entries: &[Entry]) -> impl Future<Output = Result<Vec<Option<String>>, String>>;
}

/// The event of one stream record.
pub fn entry(record: &EventRecord) -> Result<Entry, String> {
    let detail_type = match record.event_name.as_str() {
        "INSERT" => "ProductCreated",
        "MODIFY" => "ProductUpdated",
        "REMOVE" => "ProductDeleted",
        other => return Err(format!("unknown event name `{other}`")),
    };
    let change = &record.change;
    let keys = plain(&serde_json::to_value(&change.keys).map_err(|e| e.to_string())?)?;
    let id = keys
        .get("id")
        .and_then(Value::as_str)
        .ok_or("the record's keys have no string `id`")?;
    let mut detail = json!({ "id": id });
    for (name, image) in [
        ("product", &change.new_image),
        ("previous", &change.old_image),
    ] {
        if !image.is_empty() {
            detail[name] = plain(&serde_json::to_value(image).map_err(|e| e.to_string())?)?;
        }
    }
    Ok(Entry {
        source: SOURCE,
        detail_type,
        detail: detail.to_string(),
    })
}

/// An item in DynamoDB JSON as plain JSON: `{"S": "x"}` is `"x"`, `{"N":
/// "12"}` is `12`, maps and lists are converted inside, string and number
/// sets become arrays. A number JSON cannot hold exactly stays a string.
pub fn plain(item: &Value) -> Result<Value, String> {
    let Value::Object(fields) = item else {
        return Err(format!("not an item: {item}"));
    };
    let mut out = Map::new();
    for (name, value) in fields {
        out.insert(name.clone(), attribute(value)?);
    }
    Ok(Value::Object(out))
}

fn attribute(value: &Value) -> Result<Value, String> {
    let typed = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next());
    let Some((kind, v)) = typed else {
        return Err(format!("not an attribute value: {value}"));
    };
    Ok(match (kind.as_str(), v) {
        ("S" | "B" | "BOOL", v) => v.clone(),
        ("NULL", _) => Value::Null,
        ("N", Value::String(n)) => number(n),
        ("M", m) => plain(m)?,
        ("L", Value::Array(items)) => {
            Value::Array(items.iter().map(attribute).collect::<Result<_, _>>()?)
        }
        ("NS", Value::Array(ns)) => Value::Array(
            ns.iter()
                .map(|n| n.as_str().map_or(n.clone(), number))
                .collect(),
        ),
        ("SS" | "BS", v) => v.clone(),
        _ => return Err(format!("not an attribute value: {value}")),
    })
}

fn number(n: &str) -> Value {
    if let Ok(i) = n.parse::<i64>() {
        return json!(i);
    }
    match n.parse::<f64>() {
        Ok(f) if f.is_finite() && f.to_string() == n => json!(f),
        _ => Value::String(n.to_string()),
    }
}

/// Publishes one batch of stream records, in order, 10 per PutEvents call.
/// At the first record that cannot be published (it does not map to an
/// event, or the bus refused it), it stops and answers that record's
/// sequence number: Lambda retries the batch from there. Events after it in
/// the same call may have been put already, so a consumer may see an event
/// twice (EventBridge delivers at least once anyway).
pub async fn publish(bus: &impl Bus, event: &Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut failed = None;
    'batches: for records in event.records.chunks(MAX_ENTRIES) {
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            match entry(record) {
                Ok(e) => entries.push(e),
                Err(e) => {
                    // Put the events before it, then stop at it.
                    failed = Some((record, e));
                    break;
                }
            }
        }
        if !entries.is_empty() {
            let refused: Vec<(usize, String)> = match bus.put(&entries).await {
                Ok(results) => results
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, r)| Some((i, r?)))
                    .collect(),
                Err(e) => vec![(0, e)],
            };
            if let Some((i, why)) = refused.into_iter().next() {
                failed = Some((&records[i], why));
                break 'batches;
            }
        }
        if failed.is_some() {
            break;
        }
    }
    if let Some((record, why)) = failed {
        let sequence_number = record.change.sequence_number.clone();
        eprintln!(
            "record {} ({}) not published: {why}",
            record.event_id,
            sequence_number.as_deref().unwrap_or("no sequence number")
        );
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = sequence_number;
        response.batch_item_failures.push(failure);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Keeps what it is given; refuses the events of one product id, or
    /// every call.
    #[derive(Default)]
    struct Memory {
        calls: Mutex<Vec<Vec<Entry>>>,
        refuse_id: Option<&'static str>,
        down: bool,
    }

    impl Bus for Memory {
        async fn put(&self, entries: &[Entry]) -> Result<Vec<Option<String>>, String> {
            if self.down {
                return Err("the bus is unreachable".into());
            }
            self.calls.lock().unwrap().push(entries.to_vec());
            Ok(entries
                .iter()
                .map(|e| {
                    let refused = self
                        .refuse_id
                        .is_some_and(|id| e.detail.contains(&format!("\"id\":\"{id}\"")));
                    refused.then(|| "InternalFailure".to_string())
                })
                .collect())
        }
    }

    impl Memory {
        fn entries(&self) -> Vec<Entry> {
            self.calls.lock().unwrap().concat()
        }
    }

    fn batch() -> Event {
        let path = format!("{}/../events/stream-batch.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn failures(r: &DynamoDbEventResponse) -> Vec<Option<&str>> {
        r.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_deref())
            .collect()
    }

    fn detail(e: &Entry) -> Value {
        serde_json::from_str(&e.detail).unwrap()
    }

    #[test]
    fn each_change_maps_to_its_event() {
        let b = batch();
        let events: Vec<Entry> = b.records.iter().map(|r| entry(r).unwrap()).collect();
        let types: Vec<&str> = events.iter().map(|e| e.detail_type).collect();
        assert_eq!(
            types,
            ["ProductCreated", "ProductUpdated", "ProductDeleted"]
        );
        assert!(events.iter().all(|e| e.source == "products"));

        let created = detail(&events[0]);
        assert_eq!(created["id"], "6f1c0d2e9a8b4c7d8e9f0a1b2c3d4e5f");
        assert_eq!(created["product"]["price_cents"], 2599);
        assert_eq!(created["product"]["name"], "Desk lamp");
        assert!(created.get("previous").is_none());

        let updated = detail(&events[1]);
        assert_eq!(updated["product"]["price_cents"], 1999);
        assert_eq!(updated["previous"]["price_cents"], 2499);

        let deleted = detail(&events[2]);
        assert_eq!(deleted["id"], "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d");
        assert!(deleted.get("product").is_none());
        assert_eq!(deleted["previous"]["name"], "Bookend");
    }

    #[test]
    fn dynamodb_json_becomes_plain_json() {
        let item = json!({
            "s": {"S": "x"}, "n": {"N": "12"}, "f": {"N": "1.5"}, "big": {"N": "123456789012345678901234567890"},
            "t": {"BOOL": true}, "z": {"NULL": true},
            "m": {"M": {"k": {"S": "v"}}}, "l": {"L": [{"N": "1"}, {"S": "a"}]},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}
        });
        assert_eq!(
            plain(&item).unwrap(),
            json!({
                "s": "x", "n": 12, "f": 1.5, "big": "123456789012345678901234567890",
                "t": true, "z": null, "m": {"k": "v"}, "l": [1, "a"],
                "ss": ["a", "b"], "ns": [1, 2]
            })
        );
        assert!(plain(&json!({"x": {"Q": 1}})).is_err());
        assert!(plain(&json!({"x": {"S": "a", "N": "1"}})).is_err());
    }

    #[tokio::test]
    async fn a_batch_is_published_in_order() {
        let bus = Memory::default();
        let r = publish(&bus, &batch()).await;
        assert!(r.batch_item_failures.is_empty());
        let types: Vec<&str> = bus.entries().iter().map(|e| e.detail_type).collect();
        assert_eq!(
            types,
            ["ProductCreated", "ProductUpdated", "ProductDeleted"]
        );
        assert_eq!(bus.calls.lock().unwrap().len(), 1, "one PutEvents call");
    }

    #[tokio::test]
    async fn more_than_ten_records_take_several_calls() {
        let mut b = batch();
        let first = b.records[0].clone();
        b.records = (0..23).map(|_| first.clone()).collect();
        let bus = Memory::default();
        assert!(publish(&bus, &b).await.batch_item_failures.is_empty());
        let sizes: Vec<usize> = bus.calls.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 3]);
    }

    #[tokio::test]
    async fn a_refused_event_is_the_batch_item_failure() {
        let bus = Memory {
            refuse_id: Some("0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"),
            ..Memory::default()
        };
        let r = publish(&bus, &batch()).await;
        assert_eq!(failures(&r), [Some("300000000000000000003")]);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["batchItemFailures"][0]["itemIdentifier"],
            "300000000000000000003"
        );
    }

    #[tokio::test]
    async fn a_record_that_maps_to_no_event_stops_the_batch_there() {
        let mut b = batch();
        b.records[1].event_name = "UPSERT".into();
        let bus = Memory::default();
        let r = publish(&bus, &b).await;
        assert_eq!(failures(&r), [Some("300000000000000000002")]);
        let types: Vec<&str> = bus.entries().iter().map(|e| e.detail_type).collect();
        assert_eq!(types, ["ProductCreated"], "only the record before it");
    }

    #[tokio::test]
    async fn an_unreachable_bus_fails_from_the_first_record() {
        let bus = Memory {
            down: true,
            ..Memory::default()
        };
        let r = publish(&bus, &batch()).await;
        assert_eq!(failures(&r), [Some("300000000000000000001")]);
    }
}
