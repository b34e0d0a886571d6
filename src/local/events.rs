//! The event each kind of trigger delivers, shaped as AWS sends it and
//! filled with this app's names, ARNs, region and account (pure: the time
//! and the seed of the ids are inputs). `ferry local events`,
//! `ferry local invoke --event`, the schedules of `ferry local serve` and
//! the queue poller of `ferry local send` all build their events here.

use base64::Engine;
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::Error;
use super::environment::{self, Context, LOCAL_ACCOUNT};
use super::http;
use super::instance::iso_time;
use super::pattern;
use crate::manifest::interp::{Attr, Ref, Section};
use crate::manifest::model::{
    App, AttrType, BucketEvent, BucketTrigger, EventTrigger, HttpMethod, KeyAttr, ScheduleTrigger,
    StreamSource, StreamTrigger, StreamView, TopicTrigger, TriggerKind,
};
use crate::names;

pub use crate::manifest::trigger::Kind;

/// The time of the event and the seed its ids are derived from.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub epoch_ms: u64,
    pub seed: String,
}

impl Stamp {
    /// A UUID-shaped id, the same for the same seed and salt.
    pub fn id(&self, salt: &str) -> String {
        let h = names::short_hash(format!("{}/{salt}", self.seed).as_bytes(), 32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    fn time(&self) -> String {
        // AWS writes event times without fractional seconds in most events.
        iso_time(self.epoch_ms - self.epoch_ms % 1000)
    }
}

/// The index of the function's first trigger of `kind`, or a message naming
/// the kinds it has.
pub fn trigger_of_kind(app: &App, function: &str, kind: Kind) -> Result<usize, Error> {
    let f = app.function(function)?;
    if let Some(i) = f.triggers.iter().position(|t| t.kind.kind() == kind) {
        return Ok(i);
    }
    Err(Error::NoTriggerOfKind {
        function: function.to_string(),
        kind: kind.key(),
        kinds: f.triggers.iter().map(|t| t.kind.kind().key()).collect(),
    })
}

/// Says that trigger `index` of `function` does not exist, and which do.
pub fn no_trigger(app: &App, function: &str, index: usize) -> Error {
    Error::NoTrigger {
        function: function.to_string(),
        index,
        count: app.functions.get(function).map_or(0, |f| f.triggers.len()),
    }
}

/// The events `ferry local events` prints: of trigger `index` when given,
/// else of each of the function's triggers, as (index, kind, event).
pub fn listed(
    app: &App,
    function: &str,
    index: Option<usize>,
    cx: &Context,
    stamp: &Stamp,
) -> Result<Vec<(usize, &'static str, Value)>, Error> {
    let f = app.function(function)?;
    let indexes: Vec<usize> = match index {
        Some(i) if i < f.triggers.len() => vec![i],
        Some(i) => return Err(no_trigger(app, function, i)),
        None if f.triggers.is_empty() => {
            return Err(Error::NoTriggers(function.to_string()));
        }
        None => (0..f.triggers.len()).collect(),
    };
    Ok(indexes
        .into_iter()
        .filter_map(|i| {
            let kind = f.triggers[i].kind.kind().key();
            Some((i, kind, for_trigger(app, function, i, cx, stamp)?))
        })
        .collect())
}

/// The event trigger `index` of `function` delivers, or None when there is
/// no such trigger.
pub fn for_trigger(
    app: &App,
    function: &str,
    index: usize,
    cx: &Context,
    stamp: &Stamp,
) -> Option<Value> {
    let t = app.functions.get(function)?.triggers.get(index)?;
    Some(match &t.kind {
        TriggerKind::Http(r) => {
            let path = sample_path(&r.path);
            let method = match r.method {
                HttpMethod::Any => "GET",
                m => m.as_str(),
            };
            http_event(app, function, false, method, &path, stamp, cx)
        }
        TriggerKind::Url(_) => http_event(
            app,
            function,
            true,
            "GET",
            &format!("{}{function}/", http::URL_PREFIX),
            stamp,
            cx,
        ),
        TriggerKind::Schedule(s) => schedule_event(app, function, index, s, cx, stamp),
        TriggerKind::Queue(q) => {
            let body = match q.filter.first() {
                Some(f) => {
                    let f = environment::tree(app, f, cx);
                    pattern::sample(&f["body"]).to_string()
                }
                None => json!({ "message": "hello from ferry" }).to_string(),
            };
            let m = Message {
                id: stamp.id("message"),
                body,
                receive_count: 1,
                sent_ms: stamp.epoch_ms,
                first_received_ms: stamp.epoch_ms,
            };
            sqs_event(vec![sqs_record(app, &q.queue, &m, cx)])
        }
        TriggerKind::Stream(s) => stream_event(app, s, cx, stamp),
        TriggerKind::Topic(t) => topic_event(app, t, cx, stamp),
        TriggerKind::Bucket(b) => bucket_event(app, b, cx, stamp),
        TriggerKind::Event(e) => rule_event(app, e, cx, stamp),
    })
}

/// `/users/{id}` -> `/users/id`; `/files/{rest+}` -> `/files/rest/sample`.
fn sample_path(path: &str) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(v) => match v.strip_suffix('+') {
                    Some(greedy) => format!("{greedy}/sample"),
                    None => v.to_string(),
                },
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn http_event(
    app: &App,
    function: &str,
    url: bool,
    method: &str,
    path: &str,
    stamp: &Stamp,
    cx: &Context,
) -> Value {
    let routes: Vec<http::Route> = http::routes(app)
        .into_iter()
        .filter(|r| r.function == function)
        .filter(|r| matches!(r.kind, http::RouteKind::Url { .. }) == url)
        .collect();
    let body = if method == "GET" || method == "HEAD" {
        Vec::new()
    } else {
        br#"{"hello":"ferry"}"#.to_vec()
    };
    let request = http::Request {
        method: method.to_string(),
        path: path.to_string(),
        query: String::new(),
        headers: vec![
            (
                "host".into(),
                cx.http_url.trim_start_matches("http://").into(),
            ),
            ("user-agent".into(), "ferry-local".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body,
        source_ip: "127.0.0.1".into(),
    };
    let Some(m) = http::find(&routes, method, path) else {
        return json!({});
    };
    let authorizer = match &m.route.kind {
        http::RouteKind::Api {
            auth: crate::manifest::model::HttpAuth::Jwt { scopes },
            ..
        } => Some(json!({
            "jwt": {
                "claims": { "sub": "local-user", "iss": "https://issuer.example" },
                "scopes": if scopes.is_empty() { Value::Null } else { json!(scopes) },
            }
        })),
        _ => None,
    };
    http::event(
        &request,
        &m,
        authorizer,
        &http::Stamp {
            request_id: stamp.id("request"),
            epoch_ms: stamp.epoch_ms,
            region: cx.region.clone(),
            account: LOCAL_ACCOUNT.into(),
        },
    )
}

/// The ARN of the EventBridge rule of trigger `index` (schedule or event
/// rule). CloudFormation names the rule `<stack>-<logical id>-<suffix>`; the
/// random suffix is left out locally.
pub fn rule_arn(
    app: &App,
    function: &str,
    index: usize,
    kind: Kind,
    bus: Option<&str>,
    cx: &Context,
) -> String {
    let id = names::FunctionIds::new(function).trigger(
        if kind == Kind::Schedule {
            "Schedule"
        } else {
            "Event"
        },
        index,
    );
    let bus = bus
        .filter(|b| *b != "default")
        .map(|b| format!("{}/", b.rsplit('/').next().unwrap_or(b)))
        .unwrap_or_default();
    format!(
        "arn:aws:events:{}:{LOCAL_ACCOUNT}:rule/{bus}{}-{id}",
        cx.region,
        names::stack(&app.name, &app.stage)
    )
}

/// What a schedule delivers: its payload when it has one, else
/// EventBridge's `Scheduled Event`.
pub fn schedule_event(
    app: &App,
    function: &str,
    index: usize,
    s: &ScheduleTrigger,
    cx: &Context,
    stamp: &Stamp,
) -> Value {
    if let Some(p) = &s.payload {
        return environment::tree(app, p, cx);
    }
    json!({
        "version": "0",
        "id": stamp.id("schedule"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT,
        "time": stamp.time(),
        "region": cx.region,
        "resources": [rule_arn(app, function, index, Kind::Schedule, None, cx)],
        "detail": {},
    })
}

/// An event the rule's pattern matches, as EventBridge delivers it.
fn rule_event(app: &App, e: &EventTrigger, cx: &Context, stamp: &Stamp) -> Value {
    let p = environment::tree(app, &e.pattern, cx);
    let s = pattern::sample(&p);
    let text = |k: &str, default: &str| {
        s.get(k)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    json!({
        "version": "0",
        "id": stamp.id("event"),
        "detail-type": text("detail-type", "Local Event"),
        "source": text("source", "ferry.local"),
        "account": LOCAL_ACCOUNT,
        "time": stamp.time(),
        "region": cx.region,
        "resources": s.get("resources").cloned().unwrap_or_else(|| json!([])),
        "detail": s.get("detail").cloned().unwrap_or_else(|| json!({})),
    })
}

/// One queue message, as the poller sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: String,
    pub body: String,
    /// How many times it has been received, this time included.
    pub receive_count: u32,
    pub sent_ms: u64,
    /// When it was first received.
    pub first_received_ms: u64,
}

/// The record of one SQS message in a Lambda event.
pub fn sqs_record(app: &App, queue: &str, m: &Message, cx: &Context) -> Value {
    let arn = environment::resolve(
        app,
        &Ref::Attr(Section::Queues, queue.to_string(), Attr::Arn),
        cx,
    );
    let fifo = app.queues.get(queue).is_some_and(|q| q.fifo);
    let mut attributes = json!({
        "ApproximateReceiveCount": m.receive_count.to_string(),
        "SentTimestamp": m.sent_ms.to_string(),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": m.first_received_ms.to_string(),
    });
    if fifo {
        attributes["MessageGroupId"] = json!("1");
        attributes["MessageDeduplicationId"] = json!(m.id);
        attributes["SequenceNumber"] = json!(format!("{:020}", m.sent_ms));
    }
    let handle = base64::engine::general_purpose::STANDARD
        .encode(format!("{}#{}#{}", m.id, m.receive_count, arn));
    json!({
        "messageId": m.id,
        "receiptHandle": handle,
        "body": m.body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": md5_hex(m.body.as_bytes()),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": cx.region,
    })
}

pub fn sqs_event(records: Vec<Value>) -> Value {
    json!({ "Records": records })
}

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sample_attr(k: &KeyAttr) -> Value {
    match k.ty {
        AttrType::String => json!({ "S": format!("sample-{}", k.name) }),
        AttrType::Number => json!({ "N": "1" }),
        AttrType::Binary => json!({ "B": "AQID" }),
    }
}

fn stream_event(app: &App, s: &StreamTrigger, cx: &Context, stamp: &Stamp) -> Value {
    match &s.source {
        StreamSource::Table(table) => {
            let arn = environment::resolve(
                app,
                &Ref::Attr(Section::Tables, table.clone(), Attr::StreamArn),
                cx,
            );
            let t = app.tables.get(table);
            let mut keys = serde_json::Map::new();
            if let Some(t) = t {
                for k in std::iter::once(&t.partition_key).chain(t.sort_key.as_ref()) {
                    keys.insert(k.name.clone(), sample_attr(k));
                }
            }
            let view = t
                .and_then(|t| t.stream)
                .unwrap_or(StreamView::NewAndOldImages);
            let mut new_image = keys.clone();
            new_image.insert("status".into(), json!({ "S": "new" }));
            let mut old_image = keys.clone();
            old_image.insert("status".into(), json!({ "S": "old" }));
            let mut change = json!({
                "ApproximateCreationDateTime": stamp.epoch_ms / 1000,
                "Keys": keys,
                "SequenceNumber": format!("{}00000000000000000001", stamp.epoch_ms / 1000),
                "SizeBytes": 64,
                "StreamViewType": view.cfn(),
            });
            if matches!(view, StreamView::NewImage | StreamView::NewAndOldImages) {
                change["NewImage"] = Value::Object(new_image);
            }
            if matches!(view, StreamView::OldImage | StreamView::NewAndOldImages) {
                change["OldImage"] = Value::Object(old_image);
            }
            json!({ "Records": [{
                "eventID": stamp.id("stream").replace('-', ""),
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": cx.region,
                "dynamodb": change,
                "eventSourceARN": arn,
            }] })
        }
        StreamSource::Kinesis(arn) => {
            let arn = environment::value(app, arn, cx);
            let data = base64::engine::general_purpose::STANDARD
                .encode(json!({ "message": "hello from ferry" }).to_string());
            let seq = format!("4959{:052}", stamp.epoch_ms);
            json!({ "Records": [{
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "1",
                    "sequenceNumber": seq,
                    "data": data,
                    "approximateArrivalTimestamp": stamp.epoch_ms as f64 / 1000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{seq}"),
                "eventName": "aws:kinesis:record",
                "awsRegion": cx.region,
                "eventSourceARN": arn,
            }] })
        }
    }
}

fn topic_event(app: &App, t: &TopicTrigger, cx: &Context, stamp: &Stamp) -> Value {
    let arn = environment::resolve(
        app,
        &Ref::Attr(Section::Topics, t.topic.clone(), Attr::Arn),
        cx,
    );
    // Message attributes the filter policy accepts.
    let mut attributes = serde_json::Map::new();
    if let Some(p) = &t.filter_policy {
        let p = environment::tree(app, p, cx);
        if let Some(s) = pattern::sample(&p).as_object() {
            for (k, v) in s {
                let (ty, value) = match v {
                    Value::Number(n) => ("Number", n.to_string()),
                    Value::String(s) => ("String", s.clone()),
                    other => ("String", other.to_string()),
                };
                attributes.insert(k.clone(), json!({ "Type": ty, "Value": value }));
            }
        }
    }
    let url = format!("https://sns.{}.amazonaws.com", cx.region);
    json!({ "Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{arn}:{}", stamp.id("subscription")),
        "Sns": {
            "Type": "Notification",
            "MessageId": stamp.id("notification"),
            "TopicArn": arn,
            "Subject": null,
            "Message": json!({ "message": "hello from ferry" }).to_string(),
            "Timestamp": iso_time(stamp.epoch_ms),
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": format!("{url}/SimpleNotificationService-local.pem"),
            "UnsubscribeUrl": format!("{url}/?Action=Unsubscribe&SubscriptionArn={arn}"),
            "MessageAttributes": attributes,
        },
    }] })
}

fn bucket_event(app: &App, b: &BucketTrigger, cx: &Context, stamp: &Stamp) -> Value {
    let bucket = environment::resolve(
        app,
        &Ref::Attr(Section::Buckets, b.bucket.clone(), Attr::Name),
        cx,
    );
    let created = b.events.is_empty() || b.events.contains(&BucketEvent::Created);
    let key = format!(
        "{}sample{}",
        b.prefix.as_deref().unwrap_or_default(),
        b.suffix.as_deref().unwrap_or(".json")
    );
    let mut object = json!({
        "key": key,
        "sequencer": format!("{:016X}", stamp.epoch_ms),
    });
    if created {
        object["size"] = json!(1024);
        object["eTag"] = json!(md5_hex(key.as_bytes()));
    }
    json!({ "Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": cx.region,
        "eventTime": iso_time(stamp.epoch_ms),
        "eventName": if created { "ObjectCreated:Put" } else { "ObjectRemoved:Delete" },
        "userIdentity": { "principalId": "AWS:AIDAIENQZJOLO23YVJ4VO" },
        "requestParameters": { "sourceIPAddress": "127.0.0.1" },
        "responseElements": {
            "x-amz-request-id": stamp.id("s3-request").replace('-', "")[..16].to_uppercase(),
            "x-amz-id-2": stamp.id("s3-id"),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "ferry-local-notification",
            "bucket": {
                "name": bucket,
                "ownerIdentity": { "principalId": "A3NL1KOZZKExample" },
                "arn": format!("arn:aws:s3:::{bucket}"),
            },
            "object": object,
        },
    }] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let text = r#"app: shop
region: eu-west-1
tables:
  orders: { partition_key: id, sort_key: { name: at, type: number }, stream: new_image }
queues:
  jobs: {}
topics:
  news: {}
buckets:
  uploads: {}
functions:
  worker:
    triggers:
      - queue: jobs
        filter: [ { body: { type: [ride] } } ]
      - schedule: rate(5 minutes)
      - schedule: cron(0 12 * * ? *)
        payload: { job: "${app}-nightly" }
      - stream: { table: orders }
      - topic: news
        filter_policy: { kind: [big] }
      - bucket: uploads
        prefix: in/
        suffix: .jpg
      - event: { pattern: { source: [shop.orders], detail-type: [Order Placed], detail: { total: [{ numeric: [">", 10] }] } } }
      - http: GET /users/{id}
      - url: { auth: iam }
"#;
        crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            text,
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"))
    }

    fn stamp() -> Stamp {
        Stamp {
            epoch_ms: 1_764_662_400_000,
            seed: "s".into(),
        }
    }

    #[test]
    fn listed_events_are_every_triggers_or_the_one_asked_for() {
        let app = app();
        let cx = Context::new(&app, None, None, 9000);
        let all = listed(&app, "worker", None, &cx, &stamp()).unwrap();
        let n = app.functions["worker"].triggers.len();
        assert_eq!(all.len(), n);
        assert_eq!((all[0].0, all[0].1), (0, "queue"));
        let one = listed(&app, "worker", Some(1), &cx, &stamp()).unwrap();
        assert_eq!((one.len(), one[0].1), (1, "schedule"));
        assert_eq!(
            listed(&app, "worker", Some(n), &cx, &stamp())
                .unwrap_err()
                .to_string(),
            format!(
                "function `worker` has {n} triggers: --trigger takes 0 to {}",
                n - 1
            )
        );
    }

    #[test]
    fn every_trigger_has_its_event_with_this_apps_names() {
        let app = app();
        let cx = Context::new(&app, None, None, 9000);
        let e = |i| for_trigger(&app, "worker", i, &cx, &stamp()).unwrap_or_default();
        let q = e(0);
        assert_eq!(q["Records"][0]["eventSource"], "aws:sqs");
        assert_eq!(
            q["Records"][0]["eventSourceARN"],
            "arn:aws:sqs:eu-west-1:123456789012:shop-dev-jobs"
        );
        assert_eq!(q["Records"][0]["body"], r#"{"type":"ride"}"#);
        let s = e(1);
        assert_eq!(s["detail-type"], "Scheduled Event");
        assert_eq!(
            s["resources"][0],
            "arn:aws:events:eu-west-1:123456789012:rule/shop-dev-WorkerSchedule1"
        );
        assert_eq!(s["time"], "2025-12-02T08:00:00Z");
        assert_eq!(e(2), json!({ "job": "shop-nightly" }));
        let d = e(3);
        assert_eq!(d["Records"][0]["dynamodb"]["Keys"]["at"]["N"], "1");
        assert!(d["Records"][0]["dynamodb"].get("OldImage").is_none());
        assert!(
            d["Records"][0]["eventSourceARN"]
                .as_str()
                .unwrap_or_default()
                .starts_with(
                    "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-dev-orders/stream/"
                )
        );
        let t = e(4);
        assert_eq!(
            t["Records"][0]["Sns"]["TopicArn"],
            "arn:aws:sns:eu-west-1:123456789012:shop-dev-news"
        );
        assert_eq!(
            t["Records"][0]["Sns"]["MessageAttributes"]["kind"]["Value"],
            "big"
        );
        let b = e(5);
        assert_eq!(
            b["Records"][0]["s3"]["bucket"]["name"],
            "shop-dev-uploads-123456789012-eu-west-1"
        );
        assert_eq!(b["Records"][0]["s3"]["object"]["key"], "in/sample.jpg");
        let r = e(6);
        assert_eq!(r["source"], "shop.orders");
        assert_eq!(r["detail-type"], "Order Placed");
        assert!(r["detail"]["total"].as_f64().unwrap_or_default() > 10.0);
        let h = e(7);
        assert_eq!(h["routeKey"], "GET /users/{id}");
        assert_eq!(h["pathParameters"]["id"], "id");
        let u = e(8);
        assert_eq!(u["routeKey"], "$default");
        assert!(for_trigger(&app, "worker", 9, &cx, &stamp()).is_none());
    }

    #[test]
    fn kinds_are_the_manifest_keys() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_key(k.key()), Some(k));
        }
        let app = app();
        assert_eq!(
            trigger_of_kind(&app, "worker", Kind::Schedule).ok(),
            Some(1)
        );
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
