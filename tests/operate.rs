//! Operating a deployed app against moto: `ferry info`, `ferry logs` across
//! functions, `ferry metrics`. Events and datapoints are put into moto's
//! CloudWatch Logs and CloudWatch with boto3. What moto does not model
//! (aliases, HTTP APIs, function URLs, percentile statistics) is covered by
//! the unit tests of `info` and `metrics` on recorded answers.

mod common;

use common::*;

const APP: &str = "app: shop
tables:
  orders: { partition_key: id, deletion_protection: false }
queues:
  jobs: {}
functions:
  api:
    memory: 256
    access: { tables: { orders: read_write } }
  worker:
    timeout: 10s
    access: { queues: { jobs: consume } }
";

fn deployed() -> (Moto, tempfile::TempDir) {
    let moto = Moto::start();
    let dir = app_dir(APP);
    let out = ferry_at(&moto, dir.path(), &["deploy", "--no-build", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    (moto, dir)
}

#[test]
fn info_lists_the_stack_functions_and_resources() {
    let (moto, dir) = deployed();
    let out = ferry_at(&moto, dir.path(), &["info"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Stack shop-dev is CREATE_COMPLETE"), "{t}");
    let api = t
        .lines()
        .find(|l| l.trim_start().starts_with("api "))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(api.contains("256 MB"), "{api}");
    assert!(api.contains("provided.al2023"), "{api}");
    let worker = t
        .lines()
        .find(|l| l.trim_start().starts_with("worker "))
        .unwrap();
    assert!(worker.contains("10s"), "{worker}");
    assert!(t.contains("shop-dev-orders"), "{t}");
    assert!(t.contains("shop-dev-jobs"), "{t}");

    let out = ferry_at(&moto, dir.path(), &["--output", "json", "info"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stack"], "shop-dev");
    assert_eq!(v["functions"][0]["physical"], "shop-dev-api");
    assert_eq!(v["functions"][0]["config"]["memory_mb"], 256);
    let sha8 = v["functions"][0]["config"]["sha8"].as_str().unwrap();
    assert_eq!(sha8.len(), 8, "{v}");
    assert_eq!(v["resources"][0]["kind"], "table");
    assert_eq!(v["resources"][0]["physical"], "shop-dev-orders");
}

#[test]
fn info_without_a_stack_says_so() {
    let moto = Moto::start();
    let dir = app_dir(APP);
    let out = ferry_at(&moto, dir.path(), &["info"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("stack shop-dev does not exist"),
        "{}",
        text(&out)
    );
}

const PUT_LOGS: &str = r#"
import boto3, time, json
logs = boto3.client('logs')
now = int(time.time() * 1000) - 60_000
def put(group, events):
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.create_log_stream(logGroupName=group, logStreamName='s1')
    logs.put_log_events(logGroupName=group, logStreamName='s1',
        logEvents=[{'timestamp': now + dt, 'message': m} for dt, m in events])
put('/aws/lambda/shop-dev-api', [
    (0, 'START RequestId: r-1 Version: 1'),
    (2000, json.dumps({'timestamp': 't', 'level': 'ERROR', 'fields': {'message': 'order failed', 'order': 'o-7'}, 'target': 'api'})),
])
put('/aws/lambda/shop-dev-worker', [
    (1000, 'worker picked job j-1'),
    (3000, 'ERROR worker gave up on j-1'),
])
"#;

#[test]
fn logs_of_every_function_interleave_by_time_and_filter() {
    let (moto, dir) = deployed();
    boto3(&moto, PUT_LOGS);
    let out = ferry_at(&moto, dir.path(), &["logs"]);
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 4, "{t}");
    // Time order across the two groups, each line prefixed with its function.
    assert!(lines[0].contains(" api    START RequestId: r-1"), "{t}");
    assert!(lines[1].contains(" worker worker picked job j-1"), "{t}");
    assert!(
        lines[2].contains(" api    ERROR order failed order=o-7"),
        "{t}"
    );
    assert!(lines[3].contains(" worker ERROR worker gave up"), "{t}");
    // No colour codes when piped.
    assert!(!t.contains('\u{1b}'), "{t}");

    let out = ferry_at(&moto, dir.path(), &["logs", "--filter", "ERROR"]);
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(t.lines().count(), 2, "{t}");
    assert!(t.lines().all(|l| l.contains("ERROR")), "{t}");

    // One function: the lines of that function, without a prefix.
    let out = ferry_at(&moto, dir.path(), &["logs", "worker"]);
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(t.lines().count(), 2, "{t}");
    assert!(
        t.lines()
            .next()
            .unwrap()
            .ends_with("Z worker picked job j-1"),
        "{t}"
    );

    let out = ferry_at(&moto, dir.path(), &["logs", "--request-id", "r-1"]);
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(t.lines().count(), 1, "{t}");

    let out = ferry_at(&moto, dir.path(), &["--output", "json", "logs"]);
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(first["function"], "api");

    let out = ferry_at(&moto, dir.path(), &["logs", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let out = ferry_at(&moto, dir.path(), &["logs", "--since", "soon"]);
    assert_eq!(out.status.code(), Some(2));
}

const PUT_METRICS: &str = r#"
import boto3, time, datetime
cw = boto3.client('cloudwatch')
now = datetime.datetime.now(datetime.timezone.utc)
def put(fn, minutes_ago, name, value, unit='Count'):
    cw.put_metric_data(Namespace='AWS/Lambda', MetricData=[{
        'MetricName': name, 'Dimensions': [{'Name': 'FunctionName', 'Value': fn}],
        'Timestamp': now - datetime.timedelta(minutes=minutes_ago), 'Value': value, 'Unit': unit}])
for ago, n in [(30, 10), (20, 30), (5, 20)]:
    put('shop-dev-api', ago, 'Invocations', n)
put('shop-dev-api', 20, 'Errors', 3)
put('shop-dev-api', 20, 'Duration', 120.0, 'Milliseconds')
put('shop-dev-api', 5, 'Duration', 480.0, 'Milliseconds')
put('shop-dev-api', 5, 'ConcurrentExecutions', 4)
put('shop-dev-worker', 10, 'Invocations', 7)
put('shop-dev-worker', 10, 'Throttles', 2)
"#;

#[test]
fn metrics_sum_and_max_what_cloudwatch_holds() {
    let (moto, dir) = deployed();
    boto3(&moto, PUT_METRICS);
    let out = ferry_at(&moto, dir.path(), &["--output", "json", "metrics"]);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let api = &v["functions"][0];
    assert_eq!(api["function"], "api");
    assert_eq!(api["invocations"], 60.0, "{v}");
    assert_eq!(api["errors"], 3.0);
    assert_eq!(api["error_rate"], 0.05);
    assert_eq!(api["duration_max"], 480.0);
    assert_eq!(api["concurrency_max"], 4.0);
    let worker = &v["functions"][1];
    assert_eq!(worker["invocations"], 7.0);
    assert_eq!(worker["throttles"], 2.0);
    assert_eq!(
        api["invocations_series"].as_array().unwrap().len(),
        60,
        "one value per minute of the hour"
    );

    let out = ferry_at(
        &moto,
        dir.path(),
        &["metrics", "--since", "2h", "--period", "5m"],
    );
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", text(&out));
    let api = t
        .lines()
        .find(|l| l.starts_with("api "))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(api.contains("5.0%"), "{api}");
    assert!(api.contains("480 ms"), "{api}");
    assert!(api.contains('█'), "{api}");
    assert!(t.contains("INVOCATIONS PER 5m"), "{t}");
    // moto does not compute percentiles: they are unknown, with a warning.
    assert!(
        text(&out).contains("warning: duration percentiles unavailable"),
        "{}",
        text(&out)
    );
}

/// Puts `messages` into the api function's log group, `dt` ms from `base`.
fn put_api_logs(moto: &Moto, stream: &str, base_ms: i64, events: &[(i64, &str)]) {
    let list: Vec<String> = events
        .iter()
        .map(|(dt, m)| format!("{{'timestamp': {}, 'message': '{m}'}}", base_ms + dt))
        .collect();
    boto3(
        moto,
        &format!(
            "import boto3
logs = boto3.client('logs')
try:
    logs.create_log_group(logGroupName='/aws/lambda/shop-dev-api')
except logs.exceptions.ResourceAlreadyExistsException:
    pass
logs.create_log_stream(logGroupName='/aws/lambda/shop-dev-api', logStreamName='{stream}')
logs.put_log_events(logGroupName='/aws/lambda/shop-dev-api', logStreamName='{stream}', logEvents=[{}])",
            list.join(", ")
        ),
    );
}

#[test]
fn following_prints_new_and_late_events_once() {
    use std::io::BufRead;
    let (moto, dir) = deployed();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    put_api_logs(&moto, "a", now - 30_000, &[(0, "one"), (1000, "two")]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["logs", "--follow", "--endpoint-url", &moto.endpoint()])
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let collect = |lines: &mut Vec<String>, want: usize| {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while lines.len() < want && std::time::Instant::now() < until {
            if let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
                lines.push(l);
            }
        }
    };
    collect(&mut lines, 2);
    // A new event, and a late one: older than the newest printed.
    put_api_logs(&moto, "b", now - 30_000, &[(500, "late"), (5000, "three")]);
    collect(&mut lines, 4);
    // A few more polls: nothing is printed twice.
    std::thread::sleep(std::time::Duration::from_secs(5));
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    let _ = child.kill();
    let _ = child.wait();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(messages, ["one", "two", "late", "three"], "{lines:?}");
}
