//! The typed model of one app for one stage: what every other part of ferry
//! reads. It is built only by `manifest::load`, after validation, so every
//! name it holds exists, every number is in range and every reference
//! resolves. Maps are ordered by name, which keeps all output deterministic.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::interp::Interp;
use super::trigger::kind::Kind;
use super::yaml::Pos;

/// A place in a source file, kept for checks and messages after decoding.
#[derive(Clone, Debug, PartialEq)]
pub struct Loc {
    /// Shared by every `Loc` of one file (a reference count, not a copy).
    pub file: std::sync::Arc<std::path::Path>,
    pub path: String,
    pub pos: Pos,
}

/// A span of time in whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    /// `30`, `"30s"`, `"15m"`, `"4h"`, `"2d"`.
    pub fn parse(s: &str) -> Option<Duration> {
        let s = s.trim();
        let (num, mult) = match s.char_indices().last()? {
            (i, 's') => (&s[..i], 1),
            (i, 'm') => (&s[..i], 60),
            (i, 'h') => (&s[..i], 3600),
            (i, 'd') => (&s[..i], 86_400),
            _ => (s, 1),
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        num.parse::<u64>().ok()?.checked_mul(mult).map(Duration)
    }

    pub fn secs(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Duration {
    /// Seconds below an hour (`900s`), else the largest unit that divides
    /// the value exactly (`6h`, `4d`, `90m`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s < 3600 {
            write!(f, "{s}s")
        } else if s % 86_400 == 0 {
            write!(f, "{}d", s / 86_400)
        } else if s % 3600 == 0 {
            write!(f, "{}h", s / 3600)
        } else if s % 60 == 0 {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

/// A free-form value (IAM statements, patterns, payloads, state machine
/// definitions) whose strings may hold references.
#[derive(Clone, Debug, PartialEq)]
pub enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Interp),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// Every string in the tree, depth first.
    pub fn strings(&self) -> Vec<&Interp> {
        let mut out = Vec::new();
        self.collect_strings(&mut out);
        out
    }

    fn collect_strings<'a>(&'a self, out: &mut Vec<&'a Interp>) {
        match self {
            Tree::Str(s) => out.push(s),
            Tree::Seq(items) => items.iter().for_each(|t| t.collect_strings(out)),
            Tree::Map(entries) => entries.iter().for_each(|(_, t)| t.collect_strings(out)),
            _ => {}
        }
    }

    pub fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The whole app, resolved for one stage.
#[derive(Clone, Debug)]
pub struct App {
    /// The manifest file; paths in it are relative to its folder.
    pub manifest: PathBuf,
    pub name: String,
    pub stage: String,
    pub region: Option<String>,
    /// The managed policy attached as permissions boundary to every role
    /// ferry creates (`permissions_boundary:`, an ARN).
    pub permissions_boundary: Option<String>,
    pub parameters: BTreeMap<String, Parameter>,
    pub tables: BTreeMap<String, Table>,
    pub queues: BTreeMap<String, Queue>,
    pub topics: BTreeMap<String, Topic>,
    pub buckets: BTreeMap<String, Bucket>,
    pub layers: BTreeMap<String, Layer>,
    pub functions: BTreeMap<String, Function>,
    pub state_machines: BTreeMap<String, StateMachine>,
    pub http: Http,
    pub outputs: BTreeMap<String, Interp>,
    /// Stack tags, the stage's merged over the app's. Literal values.
    pub tags: BTreeMap<String, String>,
    /// The stage is `protected`: no hotswap, no watch; `destroy` and
    /// `deploy --allow-data-loss` need the stage typed back.
    pub protected: bool,
    /// EventBridge buses of the app (`buses:`).
    pub buses: BTreeMap<String, Bus>,
    /// Secrets the app's functions read at run time (`secrets:`): names
    /// only, never values.
    pub secrets: BTreeMap<String, Secret>,
    /// The AWS account the stage is bound to (`stages.<name>.account`):
    /// commands that change the stack refuse other credentials.
    pub account: Option<String>,
}

impl App {
    /// `<app>-<stage>`, the CloudFormation stack name.
    pub fn stack_name(&self) -> String {
        format!("{}-{}", self.name, self.stage)
    }

    /// The folder the manifest is in.
    pub fn root(&self) -> PathBuf {
        match self.manifest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// True when any function has an `http` trigger: the app then has an
    /// HTTP API.
    pub fn has_http_api(&self) -> bool {
        self.functions.values().any(|f| {
            f.triggers
                .iter()
                .any(|t| matches!(t.kind, TriggerKind::Http(_)))
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// `String`, `Number`, `CommaDelimitedList`, `List<Number>` or an
    /// AWS-specific parameter type.
    pub ty: String,
    /// The value for this stage: the stage's value, else the default.
    pub value: String,
    pub allowed: Vec<String>,
    pub description: Option<String>,
    pub no_echo: bool,
}

// ---- tables, queues, topics, buckets, layers ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Binary,
}

impl AttrType {
    /// DynamoDB's letter for the type.
    pub fn code(self) -> &'static str {
        match self {
            AttrType::String => "S",
            AttrType::Number => "N",
            AttrType::Binary => "B",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyAttr {
    pub name: String,
    pub ty: AttrType,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Billing {
    OnDemand,
    Provisioned { read: u32, write: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamView {
    NewImage,
    OldImage,
    NewAndOldImages,
    KeysOnly,
}

impl StreamView {
    pub fn cfn(self) -> &'static str {
        match self {
            StreamView::NewImage => "NEW_IMAGE",
            StreamView::OldImage => "OLD_IMAGE",
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
            StreamView::KeysOnly => "KEYS_ONLY",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    pub projection: Projection,
    /// Only for tables with provisioned billing.
    pub billing: Option<Billing>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    pub billing: Billing,
    pub stream: Option<StreamView>,
    pub ttl: Option<String>,
    pub indexes: BTreeMap<String, Index>,
    pub point_in_time_recovery: bool,
    pub retain: bool,
    /// `DeletionProtectionEnabled`: on unless the manifest turns it off.
    pub deletion_protection: bool,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetter {
    pub queue: String,
    pub max_receives: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub visibility_timeout: Duration,
    pub retention: Duration,
    pub delay: Duration,
    pub dead_letter: Option<DeadLetter>,
    pub loc: Loc,
    /// Where `visibility_timeout` is written, when it is.
    pub visibility_loc: Option<Loc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    pub versioned: bool,
    pub retain: bool,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Folder zipped as it is, relative to the manifest.
    pub path: PathBuf,
    pub architectures: Vec<Architecture>,
    pub runtimes: Vec<Runtime>,
    pub description: Option<String>,
    pub loc: Loc,
}

// ---- functions ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Runtime {
    ProvidedAl2023,
    ProvidedAl2,
}

/// A runtime's identifier, glibc and end of life. Lambda's deprecation
/// dates are ISO dates (UTC); `None` where none is announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    pub runtime: Runtime,
    pub id: &'static str,
    /// The newest glibc the runtime has.
    pub glibc: (u32, u32),
    pub deprecated: Option<&'static str>,
    /// From this day Lambda refuses to create functions on the runtime.
    pub block_create: Option<&'static str>,
    /// From this day Lambda refuses to update them.
    pub block_update: Option<&'static str>,
}

/// Every runtime ferry knows, with its lifecycle: the next deprecation is
/// one line here. A runtime is refused from its `block_create` day on.
pub const RUNTIMES: [Lifecycle; 2] = [
    Lifecycle {
        runtime: Runtime::ProvidedAl2023,
        id: "provided.al2023",
        glibc: (2, 34),
        deprecated: None,
        block_create: None,
        block_update: None,
    },
    Lifecycle {
        runtime: Runtime::ProvidedAl2,
        id: "provided.al2",
        glibc: (2, 26),
        deprecated: Some("2026-06-30"),
        block_create: Some("2026-07-31"),
        block_update: Some("2026-08-31"),
    },
];

impl Lifecycle {
    /// True when Lambda no longer creates functions on it on `today`
    /// (`YYYY-MM-DD`).
    pub fn blocked_on(&self, today: &str) -> bool {
        self.block_create.is_some_and(|d| d <= today)
    }

    /// The runtimes that are not blocked on `today`.
    pub fn usable_on(today: &str) -> impl Iterator<Item = &'static Lifecycle> {
        RUNTIMES.iter().filter(move |l| !l.blocked_on(today))
    }
}

impl Runtime {
    pub fn lifecycle(self) -> &'static Lifecycle {
        RUNTIMES
            .iter()
            .find(|l| l.runtime == self)
            .expect("every runtime is in RUNTIMES")
    }

    pub fn id(self) -> &'static str {
        self.lifecycle().id
    }

    /// The newest glibc the runtime has.
    pub fn glibc(self) -> (u32, u32) {
        self.lifecycle().glibc
    }
}

/// Today's date in UTC as `YYYY-MM-DD`, for the runtime lifecycle.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Architecture {
    Arm64,
    X86_64,
}

impl Architecture {
    pub fn id(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }

    /// The Rust target triple.
    pub fn triple(self) -> &'static str {
        match self {
            Architecture::Arm64 => "aarch64-unknown-linux-gnu",
            Architecture::X86_64 => "x86_64-unknown-linux-gnu",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Code {
    /// A binary of a cargo package. `bin` is resolved by `build` when absent.
    Crate {
        package: String,
        bin: Option<String>,
    },
    /// A container image URI.
    Image(Interp),
}

#[derive(Clone, Debug, PartialEq)]
pub enum LayerRef {
    /// A layer of this app, by name.
    Named(String),
    /// A layer version ARN.
    Arn(Interp),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Vpc {
    pub subnets: Vec<Interp>,
    pub security_groups: Vec<Interp>,
}

/// An access level, or the exact actions of the service.
#[derive(Clone, Debug, PartialEq)]
pub enum Grant {
    Level(Level),
    Actions(Vec<String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Read,
    Write,
    ReadWrite,
    Send,
    Consume,
    Publish,
    Invoke,
    Start,
    Put,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Access {
    pub tables: BTreeMap<String, Grant>,
    /// Buses of the app: `put`.
    pub buses: BTreeMap<String, Grant>,
    /// Secrets of the app: `read`.
    pub secrets: BTreeMap<String, Grant>,
    pub queues: BTreeMap<String, Grant>,
    pub topics: BTreeMap<String, Grant>,
    pub buckets: BTreeMap<String, Grant>,
    pub functions: BTreeMap<String, Grant>,
    pub state_machines: BTreeMap<String, Grant>,
    /// Raw IAM statements, copied as written.
    pub policies: Vec<Tree>,
    /// Where `policies` has `*` in an action or a resource: allowed, but
    /// worth a warning.
    pub wildcards: Vec<Loc>,
}

impl Access {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
            && self.buses.is_empty()
            && self.secrets.is_empty()
            && self.queues.is_empty()
            && self.topics.is_empty()
            && self.buckets.is_empty()
            && self.functions.is_empty()
            && self.state_machines.is_empty()
            && self.policies.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
    Any,
}

impl HttpMethod {
    pub const ALL: [(&'static str, HttpMethod); 8] = [
        ("GET", HttpMethod::Get),
        ("POST", HttpMethod::Post),
        ("PUT", HttpMethod::Put),
        ("PATCH", HttpMethod::Patch),
        ("DELETE", HttpMethod::Delete),
        ("HEAD", HttpMethod::Head),
        ("OPTIONS", HttpMethod::Options),
        ("ANY", HttpMethod::Any),
    ];

    pub fn as_str(self) -> &'static str {
        HttpMethod::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(s, _)| *s)
            .unwrap_or("ANY")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum HttpAuth {
    None,
    Iam,
    Jwt { scopes: Vec<String> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpRoute {
    pub method: HttpMethod,
    /// `/ride`, `/rides/{id}`, `/{proxy+}`.
    pub path: String,
    pub auth: HttpAuth,
}

impl HttpRoute {
    /// API Gateway's route key, `POST /ride`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method.as_str(), self.path)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Cors {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<Duration>,
    pub allow_credentials: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionUrl {
    /// `true`: AWS_IAM; `false`: NONE (then `public` is true).
    pub iam: bool,
    pub cors: Option<Cors>,
    /// Response streaming.
    pub stream: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// `rate(5 minutes)`
    Rate(String),
    /// `cron(0 12 * * ? *)`
    Cron(String),
}

impl Schedule {
    pub fn expression(&self) -> &str {
        match self {
            Schedule::Rate(s) | Schedule::Cron(s) => s,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleTrigger {
    pub schedule: Schedule,
    pub payload: Option<Tree>,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueueTrigger {
    pub queue: String,
    pub batch_size: u32,
    pub batch_window: Option<Duration>,
    pub max_concurrency: Option<u32>,
    pub report_batch_item_failures: bool,
    pub filter: Vec<Tree>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StreamSource {
    Table(String),
    Kinesis(Interp),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartingPosition {
    Latest,
    TrimHorizon,
}

/// Where failed or finished records and events go.
#[derive(Clone, Debug, PartialEq)]
pub enum Destination {
    Queue(String),
    Topic(String),
    Function(String),
    /// An EventBridge bus.
    Bus(BusRef),
}

#[derive(Clone, Debug, PartialEq)]
pub struct StreamTrigger {
    pub source: StreamSource,
    pub starting_position: StartingPosition,
    pub batch_size: u32,
    pub batch_window: Option<Duration>,
    pub bisect_on_error: bool,
    /// `None`: Lambda's default (retry until the record expires).
    pub retries: Option<i64>,
    pub max_record_age: Option<Duration>,
    pub parallelization: Option<u32>,
    pub on_failure: Option<Destination>,
    pub report_batch_item_failures: bool,
    pub filter: Vec<Tree>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopicTrigger {
    pub topic: String,
    pub filter_policy: Option<Tree>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BucketEvent {
    Created,
    Removed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BucketTrigger {
    pub bucket: String,
    pub events: Vec<BucketEvent>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventTrigger {
    pub pattern: Tree,
    /// The bus; the account's default bus when absent.
    pub bus: Option<BusRef>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TriggerKind {
    Http(HttpRoute),
    Url(FunctionUrl),
    Schedule(ScheduleTrigger),
    Queue(QueueTrigger),
    Stream(StreamTrigger),
    Topic(TopicTrigger),
    Bucket(BucketTrigger),
    Event(EventTrigger),
}

impl TriggerKind {
    /// The key of each kind (`trigger::Kind`), in the order of `Kind::ALL`.
    pub const KEYS: [&'static str; 8] = Kind::keys();

    /// Which kind this is.
    pub fn kind(&self) -> Kind {
        match self {
            TriggerKind::Http(_) => Kind::Http,
            TriggerKind::Url(_) => Kind::Url,
            TriggerKind::Schedule(_) => Kind::Schedule,
            TriggerKind::Queue(_) => Kind::Queue,
            TriggerKind::Stream(_) => Kind::Stream,
            TriggerKind::Topic(_) => Kind::Topic,
            TriggerKind::Bucket(_) => Kind::Bucket,
            TriggerKind::Event(_) => Kind::Event,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    pub kind: TriggerKind,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AsyncConfig {
    pub retries: u32,
    pub max_event_age: Duration,
    pub on_success: Option<Destination>,
    pub on_failure: Option<Destination>,
    /// Queue or topic.
    pub dead_letter: Option<Destination>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Provisioned {
    Fixed(u32),
    Auto {
        min: u32,
        max: u32,
        utilization: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Concurrency {
    pub reserved: Option<u32>,
    pub provisioned: Option<Provisioned>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    AllAtOnce,
    Canary { percent: u32, minutes: u32 },
    Linear { percent: u32, minutes: u32 },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    Account(String),
    Service {
        service: String,
        source_arn: Option<Interp>,
        source_account: Option<String>,
    },
    Role(Interp),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Alarms {
    pub errors: Option<u32>,
    pub throttles: Option<u32>,
    pub duration_p99: Option<Duration>,
    pub notify: Option<String>,
}

impl Alarms {
    pub fn any(&self) -> bool {
        self.errors.is_some() || self.throttles.is_some() || self.duration_p99.is_some()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub code: Code,
    pub description: Option<Interp>,
    pub runtime: Runtime,
    pub architecture: Architecture,
    pub memory: u32,
    pub timeout: Duration,
    pub ephemeral_storage: u32,
    pub tracing: bool,
    pub log_retention: u32,
    pub environment: BTreeMap<String, Interp>,
    pub layers: Vec<LayerRef>,
    pub alias: String,
    pub vpc: Option<Vpc>,
    pub access: Access,
    pub triggers: Vec<Trigger>,
    pub async_config: Option<AsyncConfig>,
    pub concurrency: Concurrency,
    pub deployment: Strategy,
    pub invoke: Vec<Principal>,
    pub alarms: Alarms,
    /// An existing role, by ARN; then ferry creates none.
    pub role: Option<Interp>,
    pub loc: Loc,
}

// ---- state machines, http ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineType {
    Standard,
    Express,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StateMachine {
    pub ty: MachineType,
    /// The definition with its references parsed.
    pub definition: Tree,
    /// The functions the definition references: what its role may invoke.
    pub functions: Vec<String>,
    pub triggers: Vec<Trigger>,
    pub tracing: bool,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Jwt {
    pub issuer: Interp,
    pub audience: Vec<Interp>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Http {
    pub cors: Option<Cors>,
    pub jwt: Option<Jwt>,
    /// A custom domain for the HTTP API (`http.domain`).
    pub domain: Option<Domain>,
}

// ---- buses, secrets, custom domains ----

/// An EventBridge bus of the app, named `<app>-<stage>-<name>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bus {
    pub loc: Loc,
}

/// The bus of an event rule or a destination.
#[derive(Clone, Debug, PartialEq)]
pub enum BusRef {
    /// A bus of this app (`buses:`), by its name in the manifest.
    App(String),
    /// Any other bus: a name or an ARN, as written.
    External(Interp),
}

/// Where a secret's value lives. The names are literal (`${app}` and
/// `${stage}` are resolved when decoding).
#[derive(Clone, Debug, PartialEq)]
pub enum SecretSource {
    /// An SSM parameter (SecureString or String), by name: `/shop/key`.
    Ssm(String),
    /// A Secrets Manager secret, by name or ARN.
    SecretsManager(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Secret {
    pub source: SecretSource,
    pub loc: Loc,
}

impl Secret {
    /// `ssm` or `secretsmanager`, as in the manifest.
    pub fn kind(&self) -> &'static str {
        match self.source {
            SecretSource::Ssm(_) => "ssm",
            SecretSource::SecretsManager(_) => "secretsmanager",
        }
    }

    /// The parameter's name, or the secret's name or ARN as written: what
    /// `GetParameter` or `GetSecretValue` takes.
    pub fn id(&self) -> &str {
        match &self.source {
            SecretSource::Ssm(n) | SecretSource::SecretsManager(n) => n,
        }
    }
}

/// How the custom domain gets its certificate.
#[derive(Clone, Debug, PartialEq)]
pub enum DomainTls {
    /// An existing ACM certificate in the stack's region, by ARN.
    Certificate(Interp),
    /// A Route 53 hosted zone id: ferry creates a DNS-validated certificate
    /// and the alias record in that zone.
    Zone(Interp),
}

/// `http.domain`: the HTTP API under a name of the app's own.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    /// The domain name, literal (`${app}` and `${stage}` resolved).
    pub name: String,
    pub tls: DomainTls,
    pub loc: Loc,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(Duration::parse("30s"), Some(Duration(30)));
        assert_eq!(Duration::parse("15m"), Some(Duration(900)));
        assert_eq!(Duration::parse("4d"), Some(Duration(345_600)));
        assert_eq!(Duration::parse("7"), Some(Duration(7)));
        assert_eq!(Duration::parse("1.5h"), None);
        assert_eq!(Duration::parse("-3s"), None);
        assert_eq!(Duration::parse("s"), None);
        assert_eq!(Duration::parse("99999999999999999999d"), None);
        assert_eq!(Duration(21_600).to_string(), "6h");
        assert_eq!(Duration(90).to_string(), "90s");
    }
}

#[cfg(test)]
mod runtime_tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(today_utc().len(), 10);
    }

    #[test]
    fn provided_al2_is_blocked_from_its_create_date() {
        let al2 = Runtime::ProvidedAl2.lifecycle();
        assert!(!al2.blocked_on("2026-07-30"));
        assert!(al2.blocked_on("2026-07-31"));
        assert!(!Runtime::ProvidedAl2023.lifecycle().blocked_on("2099-01-01"));
        let usable: Vec<&str> = Lifecycle::usable_on("2026-12-02").map(|l| l.id).collect();
        assert_eq!(usable, ["provided.al2023"]);
    }
}
