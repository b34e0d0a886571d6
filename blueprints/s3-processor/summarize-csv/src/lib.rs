//! CSV summaries: each CSV uploaded under `incoming/` in the uploads bucket
//! is read, summarized (rows, columns, the sum of each numeric column) and
//! written as JSON to the results bucket, under the same key with `.json` for
//! `.csv`. The logic is here, free of AWS, so that it is tested with the
//! sample event; `main.rs` wires it to S3.

use std::collections::BTreeMap;
use std::future::Future;

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use serde::Serialize;
use serde_json::json;

/// Where objects are read and written.
pub trait ObjectStore {
    fn get(&self, bucket: &str, key: &str) -> impl Future<Output = Result<Vec<u8>, String>>;
    fn put(
        &self,
        bucket: &str,
        key: &str,
        json: Vec<u8>,
    ) -> impl Future<Output = Result<(), String>>;
}

/// The summary of a CSV file whose first row names the columns.
#[derive(Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Data rows, the header and blank lines left out.
    pub rows: usize,
    pub columns: Vec<String>,
    /// The sum of each column whose values are all numbers (empty values
    /// left out), rounded to the most decimals written in the column.
    pub sums: BTreeMap<String, f64>,
}

/// Summarizes a CSV file. The error says why the file is not a table.
pub fn summarize(bytes: &[u8]) -> Result<Summary, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("the file is not UTF-8: {e}"))?;
    let mut records = parse(text.strip_prefix('\u{feff}').unwrap_or(text))?.into_iter();
    let Some((_, columns)) = records.next() else {
        return Err("the file is empty".into());
    };
    let mut totals = vec![Total::default(); columns.len()];
    let mut rows = 0;
    for (line, fields) in records {
        if fields.len() != columns.len() {
            return Err(format!(
                "line {line} has {} fields, the header has {}",
                fields.len(),
                columns.len()
            ));
        }
        rows += 1;
        for (value, total) in fields.iter().zip(&mut totals) {
            total.add(value.trim());
        }
    }
    let sums = columns
        .iter()
        .zip(totals)
        .filter_map(|(name, total)| Some((name.clone(), total.sum()?)))
        .collect();
    Ok(Summary {
        rows,
        columns,
        sums,
    })
}

/// The running sum of one column.
#[derive(Clone, Default)]
struct Total {
    sum: f64,
    numbers: usize,
    decimals: usize,
    text: bool,
}

impl Total {
    fn add(&mut self, value: &str) {
        if value.is_empty() || self.text {
            return;
        }
        match value.parse::<f64>() {
            Ok(n) if n.is_finite() => {
                self.sum += n;
                self.numbers += 1;
                let decimals = value.split_once('.').map_or(0, |(_, d)| d.len());
                self.decimals = self.decimals.max(decimals);
            }
            _ => self.text = true,
        }
    }

    /// The sum, if every value was a number, rounded to the most decimals
    /// written (so that 0.1 + 0.2 is 0.3).
    fn sum(&self) -> Option<f64> {
        if self.text || self.numbers == 0 {
            return None;
        }
        let scale = 10f64.powi(self.decimals.min(10) as i32);
        Some((self.sum * scale).round() / scale)
    }
}

/// Splits CSV text (RFC 4180: `"` quotes fields, which may hold commas,
/// newlines and doubled quotes) into records, each with the line it starts
/// on. Blank lines are skipped.
fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let (mut records, mut fields, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut line, mut start, mut quoted) = (1, 1, false);
    let mut chars = text.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, start: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        if record.len() > 1 || !record[0].is_empty() {
            records.push((start, record));
        }
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                end_record(&mut fields, &mut field, start);
                line += 1;
                start = line;
            }
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        }
    }
    if quoted {
        return Err(format!("line {start}: a quoted field is not closed"));
    }
    if !fields.is_empty() || !field.is_empty() {
        end_record(&mut fields, &mut field, start);
    }
    Ok(records)
}

/// An object key as S3 events write it: URL-encoded, with `+` for spaces.
pub fn decode_key(key: &str) -> Result<String, String> {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = key
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(byte.ok_or_else(|| format!("the key `{key}` has a bad escape at {i}"))?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("the key `{key}` is not UTF-8 once decoded"))
}

/// Where the summary of an upload is written in the results bucket.
pub fn result_key(key: &str) -> String {
    format!("{}.json", key.strip_suffix(".csv").unwrap_or(key))
}

/// Handles one S3 notification: every object in it is summarized into the
/// results bucket, and the keys written are returned. A file that is not a
/// table gets a result with its `error`; a failed read or write is an error,
/// for Lambda to retry the event.
pub async fn handle(
    store: &impl ObjectStore,
    results_bucket: &str,
    event: S3Event,
) -> Result<Vec<String>, String> {
    let mut written = Vec::new();
    let mut errors = Vec::new();
    for record in &event.records {
        match summarize_object(store, results_bucket, record).await {
            Ok(key) => written.push(key),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(written)
    } else {
        Err(errors.join("; "))
    }
}

async fn summarize_object(
    store: &impl ObjectStore,
    results_bucket: &str,
    record: &S3EventRecord,
) -> Result<String, String> {
    let (bucket, key) = match (&record.s3.bucket.name, &record.s3.object.key) {
        (Some(bucket), Some(key)) => (bucket, decode_key(key)?),
        _ => return Err("a record without a bucket name or an object key".into()),
    };
    let body = store
        .get(bucket, &key)
        .await
        .map_err(|e| format!("reading s3://{bucket}/{key}: {e}"))?;
    let source = json!({ "bucket": bucket, "key": key });
    let result = match summarize(&body) {
        Ok(s) => json!({ "source": source, "rows": s.rows, "columns": s.columns, "sums": s.sums }),
        Err(e) => json!({ "source": source, "error": e }),
    };
    let out = result_key(&key);
    store
        .put(
            results_bucket,
            &out,
            serde_json::to_vec_pretty(&result).expect("JSON"),
        )
        .await
        .map_err(|e| format!("writing s3://{results_bucket}/{out}: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// Objects in memory, by bucket and key.
    #[derive(Default)]
    struct Memory {
        objects: RefCell<HashMap<(String, String), Vec<u8>>>,
    }

    impl Memory {
        fn with(bucket: &str, key: &str, body: &[u8]) -> Self {
            let m = Memory::default();
            m.objects
                .borrow_mut()
                .insert((bucket.into(), key.into()), body.to_vec());
            m
        }

        fn json(&self, bucket: &str, key: &str) -> Value {
            let objects = self.objects.borrow();
            serde_json::from_slice(&objects[&(bucket.to_string(), key.to_string())]).unwrap()
        }
    }

    impl ObjectStore for Memory {
        async fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
            let objects = self.objects.borrow();
            objects
                .get(&(bucket.into(), key.into()))
                .cloned()
                .ok_or_else(|| "NoSuchKey".to_string())
        }

        async fn put(&self, bucket: &str, key: &str, json: Vec<u8>) -> Result<(), String> {
            self.objects
                .borrow_mut()
                .insert((bucket.into(), key.into()), json);
            Ok(())
        }
    }

    const UPLOADS: &str = "my-app-dev-uploads-123456789012-us-east-1";
    const RESULTS: &str = "results";

    fn file(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn event(name: &str) -> S3Event {
        serde_json::from_slice(&file(&format!("events/{name}"))).unwrap()
    }

    #[tokio::test]
    async fn an_upload_is_summarized_into_the_results_bucket() {
        let store = Memory::with(
            UPLOADS,
            "incoming/november sales.csv",
            &file("samples/sales.csv"),
        );
        let written = handle(&store, RESULTS, event("csv-uploaded.json"))
            .await
            .unwrap();
        assert_eq!(written, ["incoming/november sales.json"]);
        let r = store.json(RESULTS, "incoming/november sales.json");
        assert_eq!(
            r["source"],
            json!({ "bucket": UPLOADS, "key": "incoming/november sales.csv" })
        );
        assert_eq!(r["rows"], 5);
        assert_eq!(r["columns"], json!(["date", "region", "units", "revenue"]));
        assert_eq!(r["sums"], json!({ "units": 31.0, "revenue": 387.19 }));
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_table_gets_its_error_as_result() {
        let store = Memory::with(UPLOADS, "incoming/november sales.csv", b"a,b\n1,2\n3\n");
        handle(&store, RESULTS, event("csv-uploaded.json"))
            .await
            .unwrap();
        let r = store.json(RESULTS, "incoming/november sales.json");
        assert_eq!(r["error"], "line 3 has 1 fields, the header has 2");
        assert!(r.get("rows").is_none());
    }

    #[tokio::test]
    async fn a_failed_read_is_an_error_and_nothing_is_written() {
        let store = Memory::default();
        let e = handle(&store, RESULTS, event("csv-uploaded.json"))
            .await
            .unwrap_err();
        assert_eq!(
            e,
            format!("reading s3://{UPLOADS}/incoming/november sales.csv: NoSuchKey")
        );
        assert!(store.objects.borrow().is_empty());
    }

    #[test]
    fn quoted_fields_may_hold_commas_quotes_and_newlines() {
        let csv =
            "\u{feff}name,note,n\r\n\"Smith, J\",\"says \"\"hi\"\"\ntwice\",1.5\r\n\r\nDoe,,2\r\n";
        let s = summarize(csv.as_bytes()).unwrap();
        assert_eq!(s.rows, 2);
        assert_eq!(s.columns, ["name", "note", "n"]);
        assert_eq!(s.sums, BTreeMap::from([("n".to_string(), 3.5)]));
        assert_eq!(parse(csv).unwrap()[1].1[1], "says \"hi\"\ntwice");
        assert_eq!(
            parse("a\n\"b\nc").unwrap_err(),
            "line 2: a quoted field is not closed"
        );
    }

    #[test]
    fn a_column_with_any_text_has_no_sum() {
        let s = summarize(b"id,score\nA7,0.1\n12,0.2\n").unwrap();
        assert_eq!(s.sums, BTreeMap::from([("score".to_string(), 0.3)]));
        assert_eq!(summarize(b"x\nNaN\n").unwrap().sums, BTreeMap::new());
        assert_eq!(summarize(b"").unwrap_err(), "the file is empty");
        assert!(summarize(b"\xff,a\n").unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(
            decode_key("incoming/november+sales.csv").unwrap(),
            "incoming/november sales.csv"
        );
        assert_eq!(
            decode_key("incoming/a%2Bb%20%C3%A9t%C3%A9.csv").unwrap(),
            "incoming/a+b été.csv"
        );
        assert!(decode_key("incoming/100%.csv").is_err());
        assert!(decode_key("incoming/%+1.csv").is_err());
        assert_eq!(result_key("incoming/a.csv"), "incoming/a.json");
    }
}
