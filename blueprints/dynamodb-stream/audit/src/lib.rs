//! The audit of the orders table: every change that its stream delivers
//! (an insert, a modify, a remove) becomes one audit entry with the item's
//! keys and, for a modify, the names of the attributes that changed. The
//! logic is here, free of the runtime, so that it is tested with the sample
//! events; `main.rs` writes the entries to the function's log.

use std::collections::{BTreeMap, BTreeSet};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::Serialize;

/// What happened to the item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Insert,
    Modify,
    Remove,
}

/// One line of the audit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// The table, from the stream's ARN.
    pub table: String,
    pub change: Change,
    /// The item's primary key, attribute by attribute.
    pub keys: BTreeMap<String, String>,
    /// The attributes added, changed or dropped by a modify (empty otherwise).
    pub changed: Vec<String>,
    /// When the change was made (RFC 3339).
    pub at: String,
    /// The stream record's sequence number.
    pub sequence_number: String,
}

/// Where audit entries are written.
pub trait AuditLog {
    fn write(&mut self, entry: &Entry) -> Result<(), String>;
}

/// Audits one batch of stream records, in order. At the first record that
/// cannot be audited, it stops and answers that record's sequence number:
/// Lambda then retries the batch from that record, so the records before it
/// are not audited twice. A record without a sequence number fails the whole
/// batch (an empty item identifier means that to Lambda).
pub fn audit(log: &mut impl AuditLog, event: &Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let written = entry(record).and_then(|e| log.write(&e));
        if let Err(e) = written {
            let sequence_number = record.change.sequence_number.clone();
            eprintln!(
                "record {} ({}) not audited: {e}",
                record.event_id,
                sequence_number.as_deref().unwrap_or("no sequence number")
            );
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence_number;
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

/// The audit entry of one stream record.
pub fn entry(record: &EventRecord) -> Result<Entry, String> {
    let change = match record.event_name.as_str() {
        "INSERT" => Change::Insert,
        "MODIFY" => Change::Modify,
        "REMOVE" => Change::Remove,
        other => return Err(format!("unknown event name `{other}`")),
    };
    let sequence_number = record
        .change
        .sequence_number
        .clone()
        .ok_or("the record has no sequence number")?;
    if record.change.keys.is_empty() {
        return Err("the record has no keys".into());
    }
    let keys = record
        .change
        .keys
        .iter()
        .map(|(name, value)| Ok((name.clone(), key_text(value)?)))
        .collect::<Result<_, String>>()?;
    let changed = match change {
        Change::Modify => {
            let (old, new) = (&record.change.old_image, &record.change.new_image);
            let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            names
                .into_iter()
                .filter(|n| old.get(*n) != new.get(*n))
                .cloned()
                .collect()
        }
        Change::Insert | Change::Remove => Vec::new(),
    };
    Ok(Entry {
        table: table_name(record.event_source_arn.as_deref().unwrap_or_default()),
        change,
        keys,
        changed,
        at: record.change.approximate_creation_date_time.to_rfc3339(),
        sequence_number,
    })
}

/// A key attribute's value as text: keys are strings, numbers or binary,
/// which DynamoDB JSON all writes as one string (`{"S": "o-1001"}`).
fn key_text(value: &impl Serialize) -> Result<String, String> {
    let json = serde_json::to_value(value).map_err(|e| e.to_string())?;
    match json
        .as_object()
        .map(|o| o.iter().collect::<Vec<_>>())
        .as_deref()
    {
        Some([(_, serde_json::Value::String(s))]) => Ok(s.clone()),
        _ => Err(format!(
            "a key attribute is neither a string, a number nor binary: {json}"
        )),
    }
}

/// `orders` from `arn:aws:dynamodb:REGION:ACCOUNT:table/orders/stream/LABEL`.
fn table_name(stream_arn: &str) -> String {
    stream_arn
        .split_once(":table/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the entries; refuses to write the entry of one key.
    #[derive(Default)]
    struct Memory {
        entries: Vec<Entry>,
        refuse: Option<&'static str>,
    }

    impl AuditLog for Memory {
        fn write(&mut self, entry: &Entry) -> Result<(), String> {
            if self
                .refuse
                .is_some_and(|k| entry.keys.values().any(|v| v == k))
            {
                return Err("the log refused the entry".into());
            }
            self.entries.push(entry.clone());
            Ok(())
        }
    }

    fn event(name: &str) -> Event {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn failures(r: &DynamoDbEventResponse) -> Vec<Option<&str>> {
        r.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_deref())
            .collect()
    }

    #[test]
    fn every_change_of_the_batch_is_audited_in_order() {
        let mut log = Memory::default();
        let r = audit(&mut log, &event("stream-batch.json"));
        assert!(r.batch_item_failures.is_empty());
        let changes: Vec<Change> = log.entries.iter().map(|e| e.change).collect();
        assert_eq!(changes, [Change::Insert, Change::Modify, Change::Remove]);
        for e in &log.entries {
            assert_eq!(e.table, "orders");
        }
        assert_eq!(
            log.entries[0].keys,
            BTreeMap::from([("OrderId".to_string(), "o-1001".to_string())])
        );
        assert_eq!(log.entries[0].sequence_number, "111000000000000000001");
        assert_eq!(log.entries[0].at, "2026-11-23T10:00:00+00:00");
        assert_eq!(log.entries[2].keys["OrderId"], "o-0999");
    }

    #[test]
    fn a_modify_names_the_attributes_that_changed() {
        let mut log = Memory::default();
        audit(&mut log, &event("stream-batch.json"));
        let modify = &log.entries[1];
        assert_eq!(modify.change, Change::Modify);
        assert_eq!(modify.changed, ["Status", "TrackingNumber"]);
        assert!(log.entries[0].changed.is_empty());
    }

    #[test]
    fn a_failed_entry_is_reported_and_the_rest_left_for_the_retry() {
        let mut log = Memory {
            refuse: Some("o-1000"),
            ..Memory::default()
        };
        let r = audit(&mut log, &event("stream-batch.json"));
        assert_eq!(failures(&r), [Some("111000000000000000002")]);
        assert_eq!(
            log.entries.len(),
            1,
            "only the record before the failure is audited"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["batchItemFailures"][0]["itemIdentifier"],
            "111000000000000000002"
        );
    }

    #[test]
    fn a_record_without_keys_is_a_failure() {
        let mut batch = event("stream-batch.json");
        batch.records[0].change.keys.clear();
        let mut log = Memory::default();
        let r = audit(&mut log, &batch);
        assert_eq!(failures(&r), [Some("111000000000000000001")]);
        assert!(log.entries.is_empty());
    }

    #[test]
    fn a_record_without_a_sequence_number_fails_the_whole_batch() {
        let mut batch = event("stream-batch.json");
        batch.records[1].change.sequence_number = None;
        let mut log = Memory::default();
        let r = audit(&mut log, &batch);
        assert_eq!(failures(&r), [None]);
        assert_eq!(log.entries.len(), 1);
    }

    #[test]
    fn an_unknown_event_name_is_a_failure() {
        let mut batch = event("stream-batch.json");
        batch.records[2].event_name = "UPSERT".into();
        assert!(entry(&batch.records[2]).unwrap_err().contains("UPSERT"));
    }

    #[test]
    fn the_table_is_read_from_the_stream_arn() {
        let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/my-app-dev-orders/stream/2026-11-23T10:00:00.000";
        assert_eq!(table_name(arn), "my-app-dev-orders");
        assert_eq!(table_name("not an arn"), "");
    }
}
