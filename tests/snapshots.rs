//! Template snapshots, one per feature of the manifest. A change to what
//! synth writes shows up here as a diff to review (`cargo insta review`).

use std::path::Path;

use ferry::manifest::{Disk, load_str};
use ferry::synth::{Artifacts, synth};

fn snapshot(name: &str, manifest: &str) {
    let app = load_str(Path::new("ferry.yaml"), manifest, "dev", &Disk)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let stacks = synth(&app, &Artifacts::default());
    insta::assert_snapshot!(name, stacks.root.to_json());
}

#[test]
fn function_defaults() {
    snapshot("function_defaults", "app: demo\nfunctions:\n  hello: {}\n");
}

#[test]
fn function_settings() {
    snapshot(
        "function_settings",
        r#"app: demo
defaults: { memory: 256, environment: { AA: "1" } }
functions:
  hello:
    description: Says hello in ${stage}
    runtime: provided.al2023
    architecture: x86_64
    memory: 1024
    timeout: 30s
    ephemeral_storage: 2048
    tracing: true
    log_retention: 7
    alias: current
    environment: { BB: "2", REGION: "${aws.region}" }
    vpc: { subnets: [subnet-0123456789abcdef0], security_groups: [sg-0123456789abcdef0] }
    concurrency: { reserved: 5 }
"#,
    );
}

#[test]
fn image_function() {
    snapshot(
        "image_function",
        "app: demo\nfunctions:\n  img:\n    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:1\n",
    );
}

#[test]
fn http_api_with_cors_jwt_and_iam() {
    snapshot(
        "http_api",
        r#"app: demo
http:
  cors: { origins: ["https://example.com"], methods: [GET, POST], headers: [authorization], max_age: 1h }
  jwt: { issuer: "https://issuer.example.com", audience: [client] }
functions:
  api:
    triggers:
      - http: GET /items/{id}
        auth: jwt
        scopes: [items/read]
      - http: POST /items
        auth: iam
      - http: ANY /{proxy+}
"#,
    );
}

#[test]
fn function_urls() {
    snapshot(
        "function_urls",
        r#"app: demo
functions:
  private:
    triggers: [ { url: { cors: { origins: ["*"] } } } ]
  public:
    triggers: [ { url: { auth: none, public: true, stream: true } } ]
"#,
    );
}

#[test]
fn schedules_and_events() {
    snapshot(
        "schedules_and_events",
        r#"app: demo
functions:
  cron:
    triggers:
      - schedule: rate(5 minutes)
        payload: { task: cleanup, stage: "${stage}", region: "${aws.region}" }
      - schedule: cron(0 12 * * ? *)
        enabled: false
      - event: { pattern: { source: [demo.orders] }, bus: orders }
"#,
    );
}

#[test]
fn queue_trigger_with_dead_letter() {
    snapshot(
        "queue_trigger",
        r#"app: demo
queues:
  jobs: { visibility_timeout: 60s, dead_letter: { queue: dlq, max_receives: 3 } }
  dlq: { retention: 14d }
  ordered: { fifo: true, content_based_deduplication: true, visibility_timeout: 60s }
functions:
  worker:
    timeout: 10s
    triggers:
      - queue: jobs
        batch_size: 50
        batch_window: 5s
        max_concurrency: 5
        filter: [ { body: { type: [job] } } ]
      - queue: ordered
        report_batch_item_failures: false
"#,
    );
}

#[test]
fn table_stream_and_kinesis_triggers() {
    snapshot(
        "stream_triggers",
        r#"app: demo
tables:
  orders: { partition_key: id, stream: new_and_old_images }
queues:
  failed: {}
topics:
  alerts: {}
functions:
  consumer:
    triggers:
      - stream: { table: orders }
        starting_position: trim_horizon
        batch_size: 100
        bisect_on_error: true
        retries: 3
        max_record_age: 1h
        on_failure: { queue: failed }
      - stream: { kinesis: "arn:aws:kinesis:us-east-1:123456789012:stream/clicks" }
        parallelization: 2
        on_failure: { topic: alerts }
"#,
    );
}

#[test]
fn topic_and_bucket_triggers() {
    snapshot(
        "topic_and_bucket_triggers",
        r#"app: demo
topics:
  events: {}
buckets:
  uploads: { versioned: true }
  results: { retain: false }
functions:
  processor:
    access: { buckets: { uploads: read, results: write } }
    triggers:
      - topic: events
        filter_policy: { kind: [upload] }
      - bucket: uploads
        events: [created]
        prefix: incoming/
        suffix: .csv
"#,
    );
}

#[test]
fn async_invocation() {
    snapshot(
        "async_invocation",
        r#"app: demo
queues:
  done: {}
  dlq: {}
topics:
  failures: {}
functions:
  job:
    async:
      retries: 1
      max_event_age: 1h
      on_success: { queue: done }
      on_failure: { topic: failures }
      dead_letter: { queue: dlq }
  chained:
    async: { on_success: { function: job }, on_failure: { bus: default } }
"#,
    );
}

#[test]
fn concurrency_and_deployment() {
    snapshot(
        "concurrency_and_deployment",
        r#"app: demo
topics:
  ops: {}
functions:
  fixed:
    concurrency: { reserved: 10, provisioned: 2 }
  scaled:
    concurrency: { provisioned: { min: 1, max: 20, utilization: 0.7 } }
    deployment: { strategy: canary10-5m }
    alarms: { errors: 1, throttles: 1, duration_p99: 2s, notify: { topic: ops } }
  custom:
    deployment: { strategy: linear20-3m }
"#,
    );
}

#[test]
fn invoke_permissions() {
    snapshot(
        "invoke_permissions",
        r#"app: demo
functions:
  shared:
    invoke:
      - account: "123456789012"
      - service: events.amazonaws.com
        source_arn: arn:aws:events:us-east-1:123456789012:rule/x
      - role: arn:aws:iam::123456789012:role/caller
"#,
    );
}

#[test]
fn access_levels_and_actions() {
    snapshot(
        "access",
        r#"app: demo
tables:
  orders: { partition_key: id }
queues:
  jobs: {}
topics:
  events: {}
buckets:
  files: {}
state_machines:
  flow:
    type: express
    definition: { StartAt: A, States: { A: { Type: Pass, End: true } } }
functions:
  api:
    access:
      tables: { orders: read_write }
      queues: { jobs: send }
      topics: { events: publish }
      buckets: { files: [GetObject, ListBucket] }
      functions: { other: invoke }
      state_machines: { flow: start }
      policies:
        - { Effect: Allow, Action: [ssm:GetParameter], Resource: "arn:${aws.partition}:ssm:${aws.region}:${aws.account_id}:parameter/${app}/*" }
  other: {}
"#,
    );
}

#[test]
fn tables_queues_topics_buckets() {
    snapshot(
        "resources",
        r#"app: demo
tables:
  orders:
    partition_key: OrderId
    sort_key: { name: CreatedAt, type: number }
    stream: keys_only
    ttl: ExpiresAt
    indexes:
      by-user: { partition_key: User, sort_key: CreatedAt, projection: [Total] }
  audit: { partition_key: Id, billing: { read: 5, write: 5 }, retain: false, point_in_time_recovery: false }
queues:
  jobs: { delay: 10s, retention: 1d }
topics:
  events: { fifo: true, content_based_deduplication: true }
buckets:
  files: { versioned: true }
functions:
  f: {}
"#,
    );
}

#[test]
fn layers_state_machines_parameters_outputs() {
    snapshot(
        "layers_machines_parameters",
        r#"app: demo
parameters:
  LogLevel: { default: info, allowed: [debug, info] }
  Secret: { type: String, default: x, no_echo: true, description: A secret }
layers:
  config: { path: ".", architectures: [arm64] }
functions:
  step:
    layers: [config, "arn:aws:lambda:us-east-1:123456789012:layer:other:3"]
    environment: { LEVEL: "${params.LogLevel}" }
state_machines:
  flow:
    definition:
      StartAt: Step
      States: { Step: { Type: Task, Resource: "${functions.step.arn}", End: true } }
    triggers: [ { schedule: rate(1 hour) }, { event: { pattern: { source: [demo] } } } ]
    tracing: true
outputs:
  StepName: ${functions.step.name}
  Flow: ${state_machines.flow.arn}
tags: { team: platform }
"#,
    );
}
