//! The manifest's vocabulary: every key of `ferry.yaml` declared once, with
//! its type (and so its range or its words), whether it is required, its
//! default and a one-line description.
//!
//! Three things are generated from these declarations: the decoder's
//! knowledge of which keys exist (unknown and missing keys, the ranges and
//! words its typed readers check, see `decode::Fields`), the JSON Schema
//! (`ferry schema`, `crate::schema`) and the reference page
//! `docs/manifest.md` (`reference`). Rules that span keys (a batch size above
//! 10 needs a batch window, a FIFO queue takes at most 10) stay in the
//! decoders and are named in the key's description.
//!
//! Adding a key is one declaration here plus its use in a decoder and in
//! synth; a decoder that asks for an undeclared key, or a declared key that
//! no decoder reads, fails the test suite (debug assertions in `Fields`).

/// One key of a mapping.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// The value used when the key is absent, as the reference shows it.
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

/// The keys of one kind of mapping.
#[derive(Debug)]
pub struct Shape {
    /// Where it appears, for the reference page (`functions.<name>`).
    pub path: &'static str,
    pub doc: &'static str,
    pub keys: &'static [Key],
}

impl Shape {
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.keys.iter().map(|k| k.name)
    }

    /// The declared default of `name`, parsed as `T` (numbers, booleans,
    /// words).
    pub fn default<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        let parsed = self.key(name)?.default?.parse().ok();
        debug_assert!(parsed.is_some(), "the default of `{name}` does not parse");
        parsed
    }

    /// The declared default of a duration key.
    pub fn default_duration(&self, name: &str) -> Option<super::model::Duration> {
        let d = super::model::Duration::parse(self.key(name)?.default?);
        debug_assert!(d.is_some(), "the default of `{name}` is not a duration");
        d
    }

    /// The declared range of a duration key, in seconds.
    pub fn duration_range(&self, name: &str) -> (u64, u64) {
        match self.key(name).map(|k| &k.ty) {
            Some(Ty::Duration { min, max }) => (*min, *max),
            _ => (0, u64::MAX),
        }
    }

    /// The declared words of a key (through a list or a choice of forms).
    pub fn words(&self, name: &str) -> &'static [&'static str] {
        fn find(t: &'static Ty) -> Option<&'static [&'static str]> {
            match t {
                Ty::Words(w) => Some(w),
                Ty::List { item, .. } => find(item),
                Ty::Either(forms) => forms.iter().find_map(find),
                _ => None,
            }
        }
        let w = self.key(name).and_then(|k| find(&k.ty));
        debug_assert!(w.is_some(), "`{name}` of `{}` has no words", self.path);
        w.unwrap_or(&[])
    }

    /// The declared range of an integer key.
    pub fn int_range(&self, name: &str) -> (i64, i64) {
        match self.key(name).map(|k| &k.ty) {
            Some(Ty::Int { min, max, .. }) => (*min, *max),
            _ => (i64::MIN, i64::MAX),
        }
    }
}

/// What a key's value is.
#[derive(Debug)]
pub enum Ty {
    Bool,
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
        unit: &'static str,
    },
    /// A number in `min..=max`.
    Number {
        min: f64,
        max: f64,
    },
    /// A duration (whole seconds, or `30s`, `15m`, `4h`, `2d`) in
    /// `min..=max` seconds.
    Duration {
        min: u64,
        max: u64,
    },
    /// One of these words.
    Words(&'static [&'static str]),
    /// One of these integers.
    Ints(&'static [u32]),
    /// A runtime Lambda accepts today (`model::RUNTIMES`).
    Runtime,
    /// A string; `pattern` (a regular expression) when the decoder checks
    /// one that JSON Schema can express too.
    Str {
        pattern: Option<&'static str>,
        what: &'static str,
    },
    /// A string that may hold `${...}` references.
    Text {
        what: &'static str,
    },
    /// The name of an entry of a section of this app (`queues`, ...).
    Ref(&'static str),
    /// A string or an integer (account ids).
    Account,
    /// A string, a number or a boolean, taken as its text (environment
    /// values, parameter values).
    Scalar,
    List {
        item: &'static Ty,
        min: usize,
        max: Option<usize>,
    },
    /// A mapping with the keys of a shape.
    Map(&'static Shape),
    /// User-named entries (`^[a-z][a-z0-9-]{0,39}$`), each a `value`.
    Named(&'static Ty),
    /// Free keys matching `key` (a regular expression), each a `value`.
    Free {
        key: &'static str,
        value: &'static Ty,
    },
    /// Any mapping (event patterns, filter policies, policy statements).
    Object,
    /// Any value (payloads, definitions).
    Any,
    /// One of several forms (`partition_key: RideId` or `{ name, type }`).
    Either(&'static [Ty]),
    /// A mapping with exactly one of these keys (destinations, stream
    /// sources), each of its own type.
    OneKey(&'static [(&'static str, Ty)]),
    /// A mapping whose kind is the one of these shapes' first key it holds;
    /// the shape lists that key and the kind's options (trigger items).
    Kinds(&'static [&'static Shape]),
}

const NAME: &str = "^[a-z][a-z0-9-]{0,39}$";
const REGION: &str = "^[a-z0-9]{2}(-[a-z0-9]+)+-[0-9]+$";

impl Ty {
    /// The most items a list may hold (`usize::MAX` when unbounded).
    pub fn max_items(&self) -> usize {
        match self {
            Ty::List { max: Some(m), .. } => *m,
            _ => usize::MAX,
        }
    }
}

/// CloudWatch Logs' allowed retention periods, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const fn key(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: false,
        default: None,
        doc,
    }
}

const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: true,
        default: None,
        doc,
    }
}

const fn dflt(name: &'static str, ty: Ty, default: &'static str, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: false,
        default: Some(default),
        doc,
    }
}

const STRING: Ty = Ty::Str {
    pattern: None,
    what: "string",
};
const TEXT: Ty = Ty::Text { what: "string" };
const STRINGS: Ty = Ty::List {
    item: &STRING,
    min: 0,
    max: None,
};
/// The instruction sets Lambda runs.
pub const ARCHITECTURES: &[&str] = &["arm64", "x86_64"];
const ARCH: Ty = Ty::Words(ARCHITECTURES);

// ---- settings: defaults, a stage's defaults, a function ----

pub static VPC: Shape = Shape {
    path: "functions.<name>.vpc",
    doc: "Subnets and security groups of a function in a VPC.",
    keys: &[
        req(
            "subnets",
            Ty::List {
                item: &TEXT,
                min: 1,
                max: None,
            },
            "subnet ids",
        ),
        req(
            "security_groups",
            Ty::List {
                item: &TEXT,
                min: 1,
                max: None,
            },
            "security group ids",
        ),
    ],
};

macro_rules! settings_keys {
    () => {
        [
            dflt(
                "runtime",
                Ty::Runtime,
                "provided.al2023",
                "Lambda runtime; a runtime Lambda no longer accepts is refused with its dates",
            ),
            dflt(
                "architecture",
                ARCH,
                "arm64",
                "instruction set the function is built for",
            ),
            dflt(
                "memory",
                Ty::Int {
                    min: 128,
                    max: 10_240,
                    unit: "MB",
                },
                "128",
                "memory in MB",
            ),
            dflt(
                "timeout",
                Ty::Duration { min: 1, max: 900 },
                "3s",
                "how long an invocation may run",
            ),
            dflt(
                "ephemeral_storage",
                Ty::Int {
                    min: 512,
                    max: 10_240,
                    unit: "MB",
                },
                "512",
                "/tmp size in MB",
            ),
            dflt("tracing", Ty::Bool, "false", "X-Ray active tracing"),
            dflt(
                "log_retention",
                Ty::Ints(&LOG_RETENTION_DAYS),
                "30",
                "days the function's log group keeps events (a value CloudWatch Logs allows)",
            ),
            key(
                "environment",
                Ty::Free {
                    key: "^[A-Za-z][A-Za-z0-9_]+$",
                    value: &Ty::Scalar,
                },
                "environment variables (merged over the defaults'); 4 KB in total; Lambda's own names refused",
            ),
            key(
                "layers",
                Ty::List {
                    item: &TEXT,
                    min: 0,
                    max: Some(5),
                },
                "layers: names of `layers` entries, or layer version ARNs",
            ),
            dflt(
                "alias",
                Ty::Str {
                    pattern: Some("^[A-Za-z][A-Za-z0-9_-]{0,127}$"),
                    what: "alias name",
                },
                "live",
                "the alias every trigger targets",
            ),
            key("vpc", Ty::Map(&VPC), "run the function in a VPC"),
        ]
    };
}

/// The settings `defaults`, a stage's `defaults` and a function share.
pub static SETTINGS: Shape = Shape {
    path: "defaults",
    doc: "Settings every function starts from; a function's own keys win, environments merge.",
    keys: &settings_keys!(),
};

// ---- functions ----

const GRANT_WORDS_TABLES: Ty = Ty::Either(&[Ty::Words(&["read", "write", "read_write"]), ACTIONS]);
const ACTIONS: Ty = Ty::List {
    item: &STRING,
    min: 1,
    max: None,
};

pub static ACCESS: Shape = Shape {
    path: "functions.<name>.access",
    doc: "What the function may do: each entry grants exactly the actions of its level on that one resource (or the listed actions).",
    keys: &[
        key(
            "tables",
            Ty::Free {
                key: NAME,
                value: &GRANT_WORDS_TABLES,
            },
            "table name: read, write, read_write, or a list of dynamodb actions",
        ),
        key(
            "queues",
            Ty::Free {
                key: NAME,
                value: &Ty::Either(&[Ty::Words(&["send", "consume"]), ACTIONS]),
            },
            "queue name: send, consume, or a list of sqs actions",
        ),
        key(
            "topics",
            Ty::Free {
                key: NAME,
                value: &Ty::Either(&[Ty::Words(&["publish"]), ACTIONS]),
            },
            "topic name: publish, or a list of sns actions",
        ),
        key(
            "buckets",
            Ty::Free {
                key: NAME,
                value: &Ty::Either(&[Ty::Words(&["read", "write", "read_write"]), ACTIONS]),
            },
            "bucket name: read, write, read_write, or a list of s3 actions",
        ),
        key(
            "functions",
            Ty::Free {
                key: NAME,
                value: &Ty::Either(&[Ty::Words(&["invoke"]), ACTIONS]),
            },
            "function name: invoke, or a list of lambda actions",
        ),
        key(
            "state_machines",
            Ty::Free {
                key: NAME,
                value: &Ty::Either(&[Ty::Words(&["start"]), ACTIONS]),
            },
            "state machine name: start, or a list of states actions",
        ),
        key(
            "buses",
            Ty::Free {
                key: NAME,
                value: &Ty::Either(&[Ty::Words(&["put"]), ACTIONS]),
            },
            "bus name: put (events:PutEvents on that bus), or a list of events actions",
        ),
        key(
            "secrets",
            Ty::Free {
                key: NAME,
                value: &Ty::Words(&["read"]),
            },
            "secret name: read (GetParameter or GetSecretValue on it, kms:Decrypt only through that service)",
        ),
        key(
            "policies",
            Ty::List {
                item: &Ty::Object,
                min: 0,
                max: None,
            },
            "extra IAM statements (`Effect`, `Action`, `Resource`); a `*` is warned about",
        ),
    ],
};

const ASYNC_DESTINATION: Ty = Ty::OneKey(&[
    ("queue", Ty::Ref("queues")),
    ("topic", Ty::Ref("topics")),
    ("function", Ty::Ref("functions")),
    ("bus", TEXT),
]);

pub static ASYNC: Shape = Shape {
    path: "functions.<name>.async",
    doc: "Asynchronous invocation: retries, age limit, destinations and dead letters.",
    keys: &[
        dflt(
            "retries",
            Ty::Int {
                min: 0,
                max: 2,
                unit: "",
            },
            "2",
            "retries after a failed asynchronous invocation",
        ),
        dflt(
            "max_event_age",
            Ty::Duration {
                min: 60,
                max: 21_600,
            },
            "6h",
            "how long an event may wait to be processed",
        ),
        key(
            "on_success",
            ASYNC_DESTINATION,
            "where a success record goes: { queue | topic | function | bus: name }",
        ),
        key(
            "on_failure",
            ASYNC_DESTINATION,
            "where a failure record goes: { queue | topic | function | bus: name }",
        ),
        key(
            "dead_letter",
            Ty::OneKey(&[("queue", Ty::Ref("queues")), ("topic", Ty::Ref("topics"))]),
            "dead-letter target of failed events: { queue | topic: name }",
        ),
    ],
};

pub static PROVISIONED: Shape = Shape {
    path: "functions.<name>.concurrency.provisioned",
    doc: "Provisioned concurrency scaled between `min` and `max` on utilization.",
    keys: &[
        req(
            "min",
            Ty::Int {
                min: 1,
                max: 100_000,
                unit: "",
            },
            "environments kept ready at least",
        ),
        req(
            "max",
            Ty::Int {
                min: 1,
                max: 100_000,
                unit: "",
            },
            "environments kept ready at most (not below `min`)",
        ),
        dflt(
            "utilization",
            Ty::Number { min: 0.1, max: 0.9 },
            "0.7",
            "target utilization the scaling tracks",
        ),
    ],
};

/// The range of `provisioned: N`.
pub const PROVISIONED_FIXED: (i64, i64) = (1, 100_000);

pub static CONCURRENCY: Shape = Shape {
    path: "functions.<name>.concurrency",
    doc: "Reserved and provisioned concurrency.",
    keys: &[
        key(
            "reserved",
            Ty::Int {
                min: 0,
                max: 100_000,
                unit: "",
            },
            "concurrent executions reserved for (and capped at) this function",
        ),
        key(
            "provisioned",
            Ty::Either(&[
                Ty::Int {
                    min: PROVISIONED_FIXED.0,
                    max: PROVISIONED_FIXED.1,
                    unit: "",
                },
                Ty::Map(&PROVISIONED),
            ]),
            "environments kept initialized on the alias: a number, or { min, max, utilization }",
        ),
    ],
};

pub static DEPLOYMENT: Shape = Shape {
    path: "functions.<name>.deployment",
    doc: "How a new version reaches the alias.",
    keys: &[dflt(
        "strategy",
        Ty::Str {
            pattern: Some("^(all-at-once|(canary|linear)[0-9]{1,2}-[0-9]+m)$"),
            what: "strategy",
        },
        "all-at-once",
        "all-at-once, canaryP-Nm (P% then the rest after N minutes) or linearP-Nm (P% every N minutes), through CodeDeploy",
    )],
};

static PRINCIPAL_ACCOUNT: Shape = Shape {
    path: "functions.<name>.invoke[] (account)",
    doc: "Another AWS account may invoke the function.",
    keys: &[req("account", Ty::Account, "12-digit account id")],
};

static PRINCIPAL_SERVICE: Shape = Shape {
    path: "functions.<name>.invoke[] (service)",
    doc: "An AWS service may invoke the function, for one source.",
    keys: &[
        req(
            "service",
            Ty::Str {
                pattern: Some("^[a-z0-9.-]+\\.amazonaws\\.com$"),
                what: "service principal",
            },
            "service principal, e.g. events.amazonaws.com",
        ),
        key(
            "source_arn",
            TEXT,
            "the one resource that may invoke (this or source_account is required)",
        ),
        key(
            "source_account",
            Ty::Account,
            "the account the source belongs to",
        ),
    ],
};

static PRINCIPAL_ROLE: Shape = Shape {
    path: "functions.<name>.invoke[] (role)",
    doc: "An IAM role may invoke the function.",
    keys: &[req("role", TEXT, "role ARN")],
};

/// The kinds of `invoke` entries, each named by its first key.
pub static PRINCIPAL_KINDS: [&Shape; 3] = [&PRINCIPAL_ACCOUNT, &PRINCIPAL_SERVICE, &PRINCIPAL_ROLE];

pub static ALARM_NOTIFY: Shape = Shape {
    path: "functions.<name>.alarms.notify",
    doc: "Where alarms are sent.",
    keys: &[req("topic", Ty::Ref("topics"), "a topic of this app")],
};

pub static ALARMS: Shape = Shape {
    path: "functions.<name>.alarms",
    doc: "CloudWatch alarms on the function's alias.",
    keys: &[
        key(
            "errors",
            Ty::Int {
                min: 1,
                max: 1_000_000,
                unit: "",
            },
            "alarm when errors in a minute reach this",
        ),
        key(
            "throttles",
            Ty::Int {
                min: 1,
                max: 1_000_000,
                unit: "",
            },
            "alarm when throttles in a minute reach this",
        ),
        key(
            "duration_p99",
            Ty::Duration { min: 1, max: 900 },
            "alarm when the p99 duration over 5 minutes exceeds this (not above the timeout)",
        ),
        key("notify", Ty::Map(&ALARM_NOTIFY), "send alarms to a topic"),
    ],
};

macro_rules! function_keys {
    ($($settings:expr),* $(,)?) => {
        [
            $($settings,)*
            key("crate", STRING, "cargo package; default: the function's name"),
            key(
                "bin",
                STRING,
                "binary target; default: the package's only binary, else the function's name",
            ),
            key("image", TEXT, "container image URI, instead of crate/bin"),
            key(
                "description",
                Ty::Str {
                    pattern: Some("^[\\s\\S]{0,256}$"),
                    what: "description",
                },
                "up to 256 characters",
            ),
            key("access", Ty::Map(&ACCESS), "what the function may do (its role's statements)"),
            key(
                "triggers",
                Ty::List { item: &TRIGGER, min: 0, max: None },
                "what invokes the function; each item names one kind",
            ),
            key("async", Ty::Map(&ASYNC), "asynchronous invocation settings"),
            key("concurrency", Ty::Map(&CONCURRENCY), "reserved and provisioned concurrency"),
            key("deployment", Ty::Map(&DEPLOYMENT), "how new versions reach the alias"),
            key(
                "invoke",
                Ty::List {
                    item: &Ty::Kinds(&PRINCIPAL_KINDS),
                    min: 0,
                    max: None,
                },
                "who else may invoke the function: { account } | { service, source_arn | source_account } | { role }",
            ),
            key("alarms", Ty::Map(&ALARMS), "CloudWatch alarms"),
            key(
                "role",
                TEXT,
                "an existing IAM role ARN instead of the generated one; then `access` must be empty",
            ),
        ]
    };
}

pub static FUNCTION: Shape = Shape {
    path: "functions.<name>",
    doc: "A Rust function: a binary of the cargo workspace, its settings, access and triggers.",
    keys: &{
        let s = settings_keys!();
        let [a, b, c, d, e, f, g, h, i, j, k] = s;
        function_keys!(a, b, c, d, e, f, g, h, i, j, k)
    },
};

// ---- triggers ----

pub static CORS: Shape = Shape {
    path: "http.cors",
    doc: "CORS of the HTTP API or a function URL.",
    keys: &[
        dflt(
            "origins",
            STRINGS,
            "[\"*\"]",
            "allowed origins (`*` only without credentials)",
        ),
        key("methods", STRINGS, "allowed methods (GET, POST, ... or *)"),
        key("headers", STRINGS, "allowed request headers"),
        key(
            "expose_headers",
            STRINGS,
            "response headers exposed to scripts",
        ),
        key(
            "max_age",
            Ty::Duration {
                min: 0,
                max: 86_400,
            },
            "how long browsers cache the preflight answer",
        ),
        dflt(
            "allow_credentials",
            Ty::Bool,
            "false",
            "allow cookies and authorization headers (needs explicit origins)",
        ),
    ],
};

pub static URL: Shape = Shape {
    path: "functions.<name>.triggers[].url",
    doc: "The function URL's options.",
    keys: &[
        dflt(
            "auth",
            Ty::Words(&["iam", "none"]),
            "iam",
            "who may call the URL: signed IAM requests, or anyone (needs `public: true`)",
        ),
        dflt(
            "public",
            Ty::Bool,
            "false",
            "confirms that `auth: none` makes the URL public",
        ),
        key("cors", Ty::Map(&CORS), "CORS of the URL"),
        dflt(
            "stream",
            Ty::Bool,
            "false",
            "response streaming (RESPONSE_STREAM invoke mode)",
        ),
    ],
};

pub static TRIGGER_HTTP: Shape = Shape {
    path: "functions.<name>.triggers[] (http)",
    doc: "A route of the app's HTTP API.",
    keys: &[
        req(
            "http",
            Ty::Str {
                pattern: None,
                what: "route",
            },
            "`METHOD /path`, e.g. `POST /ride` or `GET /rides/{id}`",
        ),
        dflt(
            "auth",
            Ty::Words(&["none", "iam", "jwt"]),
            "none",
            "who may call the route (jwt needs `http.jwt`)",
        ),
        key(
            "scopes",
            STRINGS,
            "JWT scopes the route requires (with `auth: jwt`)",
        ),
    ],
};

static TRIGGER_URL: Shape = Shape {
    path: "functions.<name>.triggers[] (url)",
    doc: "A function URL.",
    keys: &[req(
        "url",
        Ty::Map(&URL),
        "the URL's options (`{}` for the defaults)",
    )],
};

pub static TRIGGER_SCHEDULE: Shape = Shape {
    path: "functions.<name>.triggers[] (schedule)",
    doc: "An EventBridge schedule.",
    keys: &[
        req(
            "schedule",
            Ty::Str {
                pattern: None,
                what: "schedule",
            },
            "`rate(5 minutes)` or `cron(0 12 * * ? *)`",
        ),
        key("payload", Ty::Any, "the event the function receives"),
        dflt("enabled", Ty::Bool, "true", "whether the schedule fires"),
    ],
};

const FILTERS: Ty = Ty::List {
    item: &Ty::Object,
    min: 0,
    max: Some(5),
};

pub static TRIGGER_QUEUE: Shape = Shape {
    path: "functions.<name>.triggers[] (queue)",
    doc: "An SQS event source mapping.",
    keys: &[
        req("queue", Ty::Ref("queues"), "a queue of this app"),
        dflt(
            "batch_size",
            Ty::Int {
                min: 1,
                max: 10_000,
                unit: "",
            },
            "10",
            "messages per invocation; above 10 needs a batch window; at most 10 on a FIFO queue",
        ),
        key(
            "batch_window",
            Ty::Duration { min: 0, max: 300 },
            "how long to gather a batch (not on FIFO queues)",
        ),
        key(
            "max_concurrency",
            Ty::Int {
                min: 2,
                max: 1000,
                unit: "",
            },
            "concurrent invocations the mapping may use",
        ),
        dflt(
            "report_batch_item_failures",
            Ty::Bool,
            "true",
            "the function reports failed messages; the others are deleted",
        ),
        key("filter", FILTERS, "event filter patterns (at most 5)"),
    ],
};

static STREAM_DESTINATION: [(&str, Ty); 2] =
    [("queue", Ty::Ref("queues")), ("topic", Ty::Ref("topics"))];

static TRIGGER_STREAM: Shape = Shape {
    path: "functions.<name>.triggers[] (stream)",
    doc: "A DynamoDB or Kinesis stream event source mapping.",
    keys: &[
        req(
            "stream",
            Ty::OneKey(&[("table", Ty::Ref("tables")), ("kinesis", TEXT)]),
            "{ table: name } (a table with `stream`) or { kinesis: stream ARN }",
        ),
        dflt(
            "starting_position",
            Ty::Words(&["latest", "trim_horizon"]),
            "latest",
            "where a new mapping starts reading",
        ),
        dflt(
            "batch_size",
            Ty::Int {
                min: 1,
                max: 10_000,
                unit: "",
            },
            "100",
            "records per invocation",
        ),
        key(
            "batch_window",
            Ty::Duration { min: 0, max: 300 },
            "how long to gather a batch",
        ),
        dflt(
            "bisect_on_error",
            Ty::Bool,
            "false",
            "split a failing batch to find the bad record",
        ),
        key(
            "retries",
            Ty::Int {
                min: -1,
                max: 10_000,
                unit: "",
            },
            "retries of a failing batch (-1: until the record expires)",
        ),
        key(
            "max_record_age",
            Ty::Duration {
                min: 60,
                max: 604_800,
            },
            "records older than this are skipped",
        ),
        dflt(
            "parallelization",
            Ty::Int {
                min: 1,
                max: 10,
                unit: "",
            },
            "1",
            "batches per shard processed at once",
        ),
        key(
            "on_failure",
            Ty::OneKey(&STREAM_DESTINATION),
            "where records of a failed batch are described: { queue | topic: name }",
        ),
        dflt(
            "report_batch_item_failures",
            Ty::Bool,
            "false",
            "the function reports the first failed record",
        ),
        key("filter", FILTERS, "event filter patterns (at most 5)"),
    ],
};

static TRIGGER_TOPIC: Shape = Shape {
    path: "functions.<name>.triggers[] (topic)",
    doc: "An SNS subscription.",
    keys: &[
        req("topic", Ty::Ref("topics"), "a topic of this app"),
        key("filter_policy", Ty::Object, "SNS filter policy"),
    ],
};

pub static TRIGGER_BUCKET: Shape = Shape {
    path: "functions.<name>.triggers[] (bucket)",
    doc: "S3 event notifications.",
    keys: &[
        req("bucket", Ty::Ref("buckets"), "a bucket of this app"),
        dflt(
            "events",
            Ty::List {
                item: &Ty::Words(&["created", "removed"]),
                min: 1,
                max: None,
            },
            "[created]",
            "object events that invoke the function",
        ),
        key("prefix", STRING, "only keys starting with this"),
        key("suffix", STRING, "only keys ending with this"),
    ],
};

pub static EVENT_RULE: Shape = Shape {
    path: "functions.<name>.triggers[].event",
    doc: "An EventBridge rule.",
    keys: &[
        req(
            "pattern",
            Ty::Object,
            "the event pattern, e.g. { source: [my.app] }",
        ),
        key(
            "bus",
            TEXT,
            "the bus name or ARN; the default bus when absent",
        ),
    ],
};

static TRIGGER_EVENT: Shape = Shape {
    path: "functions.<name>.triggers[] (event)",
    doc: "An EventBridge rule on a bus.",
    keys: &[
        req("event", Ty::Map(&EVENT_RULE), "the rule"),
        key(
            "bus",
            TEXT,
            "the bus name or ARN (also allowed inside `event`)",
        ),
    ],
};

/// The trigger kinds, in the order the manifest documents them.
pub static TRIGGER_KINDS: [&Shape; 8] = [
    &TRIGGER_HTTP,
    &TRIGGER_URL,
    &TRIGGER_SCHEDULE,
    &TRIGGER_QUEUE,
    &TRIGGER_STREAM,
    &TRIGGER_TOPIC,
    &TRIGGER_BUCKET,
    &TRIGGER_EVENT,
];

pub const TRIGGER: Ty = Ty::Kinds(&TRIGGER_KINDS);

/// The shape of trigger kind `kind` (its key, e.g. `queue`).
pub fn trigger_kind(kind: &str) -> Option<&'static Shape> {
    TRIGGER_KINDS
        .iter()
        .copied()
        .find(|s| s.keys.first().is_some_and(|k| k.name == kind))
}

// ---- resources ----

pub static KEY_ATTR_MAP: Shape = Shape {
    path: "tables.<name>.partition_key",
    doc: "A key attribute with its type.",
    keys: &[
        req("name", STRING, "attribute name"),
        dflt(
            "type",
            Ty::Words(&["string", "number", "binary"]),
            "string",
            "attribute type",
        ),
    ],
};

const KEY_ATTR: Ty = Ty::Either(&[STRING, Ty::Map(&KEY_ATTR_MAP)]);

const CAPACITY: Ty = Ty::Int {
    min: 1,
    max: 40_000,
    unit: "units",
};

pub static PROVISIONED_BILLING: Shape = Shape {
    path: "tables.<name>.billing",
    doc: "Provisioned capacity.",
    keys: &[
        req("read", CAPACITY, "read capacity units"),
        req("write", CAPACITY, "write capacity units"),
    ],
};

const BILLING: Ty = Ty::Either(&[Ty::Words(&["on_demand"]), Ty::Map(&PROVISIONED_BILLING)]);

pub static INDEX: Shape = Shape {
    path: "tables.<name>.indexes.<index>",
    doc: "A global secondary index.",
    keys: &[
        req("partition_key", KEY_ATTR, "the index's partition key"),
        key("sort_key", KEY_ATTR, "the index's sort key"),
        dflt(
            "projection",
            Ty::Either(&[Ty::Words(&["all", "keys_only"]), STRINGS]),
            "all",
            "all, keys_only, or the attributes to include",
        ),
        key(
            "billing",
            BILLING,
            "the index's capacity (provisioned tables only)",
        ),
    ],
};

pub static TABLE: Shape = Shape {
    path: "tables.<name>",
    doc: "A DynamoDB table named `<app>-<stage>-<name>`; retained and deletion-protected unless said otherwise.",
    keys: &[
        req(
            "partition_key",
            KEY_ATTR,
            "`Name` (a string attribute) or { name, type }",
        ),
        key("sort_key", KEY_ATTR, "`Name` or { name, type }"),
        dflt(
            "billing",
            BILLING,
            "on_demand",
            "on_demand, or { read, write } capacity",
        ),
        key(
            "stream",
            Ty::Words(&["new_image", "old_image", "new_and_old_images", "keys_only"]),
            "the table's stream view (for stream triggers)",
        ),
        key("ttl", STRING, "the attribute holding expiry times"),
        key(
            "indexes",
            Ty::Free {
                key: "^[A-Za-z0-9_.-]{3,255}$",
                value: &Ty::Map(&INDEX),
            },
            "global secondary indexes by name",
        ),
        dflt(
            "point_in_time_recovery",
            Ty::Bool,
            "true",
            "continuous backups",
        ),
        dflt(
            "retain",
            Ty::Bool,
            "true",
            "keep the table when it leaves the stack",
        ),
        dflt(
            "deletion_protection",
            Ty::Bool,
            "true",
            "DeletionProtectionEnabled; false to opt out",
        ),
    ],
};

pub static DEAD_LETTER: Shape = Shape {
    path: "queues.<name>.dead_letter",
    doc: "Where messages go after too many receives.",
    keys: &[
        req("queue", Ty::Ref("queues"), "another queue of this app"),
        dflt(
            "max_receives",
            Ty::Int {
                min: 1,
                max: 1000,
                unit: "",
            },
            "5",
            "receives before a message is moved",
        ),
    ],
};

pub static QUEUE: Shape = Shape {
    path: "queues.<name>",
    doc: "An SQS queue named `<app>-<stage>-<name>` (`.fifo` appended for FIFO).",
    keys: &[
        dflt("fifo", Ty::Bool, "false", "a FIFO queue"),
        dflt(
            "content_based_deduplication",
            Ty::Bool,
            "false",
            "deduplicate on the body's hash (FIFO only)",
        ),
        dflt(
            "visibility_timeout",
            Ty::Duration {
                min: 0,
                max: 43_200,
            },
            "30s",
            "at least 6 x the timeout of a consuming function",
        ),
        dflt(
            "retention",
            Ty::Duration {
                min: 60,
                max: 1_209_600,
            },
            "4d",
            "how long messages are kept",
        ),
        dflt(
            "delay",
            Ty::Duration { min: 0, max: 900 },
            "0s",
            "delivery delay of every message",
        ),
        key("dead_letter", Ty::Map(&DEAD_LETTER), "a dead-letter queue"),
    ],
};

pub static TOPIC: Shape = Shape {
    path: "topics.<name>",
    doc: "An SNS topic named `<app>-<stage>-<name>`.",
    keys: &[
        dflt("fifo", Ty::Bool, "false", "a FIFO topic"),
        dflt(
            "content_based_deduplication",
            Ty::Bool,
            "false",
            "deduplicate on the body's hash (FIFO only)",
        ),
    ],
};

pub static BUCKET: Shape = Shape {
    path: "buckets.<name>",
    doc: "An S3 bucket (encrypted, public access blocked) with a name derived from app, stage, account and region.",
    keys: &[
        dflt("versioned", Ty::Bool, "false", "keep object versions"),
        dflt(
            "retain",
            Ty::Bool,
            "true",
            "keep the bucket when it leaves the stack",
        ),
    ],
};

pub static LAYER: Shape = Shape {
    path: "layers.<name>",
    doc: "A Lambda layer built from a folder.",
    keys: &[
        req(
            "path",
            STRING,
            "the layer's folder, relative to the manifest",
        ),
        dflt(
            "architectures",
            Ty::List {
                item: &ARCH,
                min: 1,
                max: None,
            },
            "[arm64, x86_64]",
            "compatible architectures",
        ),
        dflt(
            "runtimes",
            Ty::List {
                item: &Ty::Runtime,
                min: 1,
                max: None,
            },
            "every runtime Lambda accepts",
            "compatible runtimes",
        ),
        key("description", STRING, "the layer's description"),
    ],
};

pub static STATE_MACHINE: Shape = Shape {
    path: "state_machines.<name>",
    doc: "A Step Functions state machine.",
    keys: &[
        dflt(
            "type",
            Ty::Words(&["standard", "express"]),
            "standard",
            "workflow type",
        ),
        req(
            "definition",
            Ty::Either(&[STRING, Ty::Object]),
            "Amazon States Language: inline, or a file path (.json, .yaml)",
        ),
        key(
            "triggers",
            Ty::List {
                item: &Ty::Kinds(&[&TRIGGER_SCHEDULE, &TRIGGER_EVENT]),
                min: 0,
                max: None,
            },
            "what starts executions: schedules and EventBridge rules",
        ),
        dflt("tracing", Ty::Bool, "false", "X-Ray tracing"),
    ],
};

pub static JWT: Shape = Shape {
    path: "http.jwt",
    doc: "The JWT authorizer of routes with `auth: jwt`.",
    keys: &[
        req("issuer", TEXT, "token issuer URL"),
        req(
            "audience",
            Ty::List {
                item: &TEXT,
                min: 1,
                max: None,
            },
            "accepted audiences",
        ),
    ],
};

pub static DOMAIN: Shape = Shape {
    path: "http.domain",
    doc: "A custom domain for the HTTP API (TLS 1.2, mapped to the `$default` stage): an existing certificate, or a Route 53 zone in which ferry creates a DNS-validated certificate and the alias record. Exactly one of `certificate` and `zone`.",
    keys: &[
        req(
            "name",
            Ty::Text {
                what: "domain name",
            },
            "the domain name; `${app}` and `${stage}` may be used",
        ),
        key(
            "certificate",
            TEXT,
            "an ACM certificate ARN in the stack's region",
        ),
        key(
            "zone",
            TEXT,
            "a Route 53 hosted zone id, e.g. Z0123456789ABC",
        ),
    ],
};

pub static HTTP: Shape = Shape {
    path: "http",
    doc: "The app's HTTP API (API Gateway v2), created when a function has an `http` trigger.",
    keys: &[
        key("cors", Ty::Map(&CORS), "CORS of the API"),
        key("jwt", Ty::Map(&JWT), "a JWT authorizer"),
        key(
            "domain",
            Ty::Map(&DOMAIN),
            "a custom domain; `${http.url}` becomes https://<name>/",
        ),
    ],
};

pub static BUS: Shape = Shape {
    path: "buses.<name>",
    doc: "An EventBridge event bus named `<app>-<stage>-<name>` (`{}`: it takes no settings).",
    keys: &[],
};

pub static PARAMETER: Shape = Shape {
    path: "parameters.<Name>",
    doc: "A CloudFormation parameter; stages give its value.",
    keys: &[
        dflt(
            "type",
            STRING,
            "String",
            "String, Number, CommaDelimitedList, List<Number>, or an AWS-specific type",
        ),
        key(
            "default",
            Ty::Scalar,
            "value when a stage gives none (one of `allowed`)",
        ),
        key(
            "allowed",
            Ty::List {
                item: &Ty::Any,
                min: 0,
                max: None,
            },
            "the values allowed",
        ),
        key("description", STRING, "shown in the console"),
        dflt(
            "no_echo",
            Ty::Bool,
            "false",
            "a secret value: passed at deploy time, never written to a template or config",
        ),
    ],
};

pub static STAGE: Shape = Shape {
    path: "stages.<name>",
    doc: "A deployment stage: its parameter values, defaults, tags and guards.",
    keys: &[
        key(
            "parameters",
            Ty::Free {
                key: "^[A-Za-z][A-Za-z0-9]*$",
                value: &Ty::Scalar,
            },
            "parameter values for this stage",
        ),
        key(
            "defaults",
            Ty::Map(&SETTINGS),
            "settings over the app's `defaults` for this stage",
        ),
        key(
            "tags",
            Ty::Free {
                key: ".+",
                value: &STRING,
            },
            "tags added on this stage",
        ),
        dflt(
            "protected",
            Ty::Bool,
            "false",
            "no hotswap and no watch on this stage; destroy and --allow-data-loss need the stage typed back",
        ),
        key(
            "account",
            Ty::Str {
                pattern: Some("^[0-9]{12}$"),
                what: "account id, quoted",
            },
            "deploy, diff, destroy, package and hotswap refuse other accounts (STS), before any change",
        ),
        key(
            "region",
            Ty::Str {
                pattern: Some(REGION),
                what: "region",
            },
            "overrides the top-level `region` on this stage",
        ),
    ],
};

/// The top level of `ferry.yaml`.
pub static ROOT: Shape = Shape {
    path: "",
    doc: "The manifest of a ferry app: Rust functions on AWS Lambda and what they use.",
    keys: &[
        req(
            "app",
            Ty::Str {
                pattern: Some(NAME),
                what: "app name",
            },
            "the app's name: lowercase letters, digits and `-`, at most 40",
        ),
        key(
            "region",
            Ty::Str {
                pattern: Some(REGION),
                what: "region",
            },
            "the AWS region; else the environment's",
        ),
        key(
            "permissions_boundary",
            Ty::Str {
                pattern: Some("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$"),
                what: "policy ARN",
            },
            "a managed policy attached as permissions boundary to every role ferry creates",
        ),
        key(
            "defaults",
            Ty::Map(&SETTINGS),
            "settings every function starts from",
        ),
        key(
            "parameters",
            Ty::Free {
                key: "^[A-Za-z][A-Za-z0-9]*$",
                value: &Ty::Map(&PARAMETER),
            },
            "CloudFormation parameters",
        ),
        key("stages", Ty::Named(&Ty::Map(&STAGE)), "deployment stages"),
        key("tables", Ty::Named(&Ty::Map(&TABLE)), "DynamoDB tables"),
        key("queues", Ty::Named(&Ty::Map(&QUEUE)), "SQS queues"),
        key("topics", Ty::Named(&Ty::Map(&TOPIC)), "SNS topics"),
        key("buckets", Ty::Named(&Ty::Map(&BUCKET)), "S3 buckets"),
        key("layers", Ty::Named(&Ty::Map(&LAYER)), "Lambda layers"),
        key(
            "buses",
            Ty::Named(&Ty::Map(&BUS)),
            "EventBridge event buses",
        ),
        key(
            "secrets",
            Ty::Named(&Ty::OneKey(&[
                (
                    "ssm",
                    Ty::Text {
                        what: "SSM parameter name",
                    },
                ),
                (
                    "secretsmanager",
                    Ty::Text {
                        what: "secret name or ARN",
                    },
                ),
            ])),
            "secrets by name: { ssm: /path } or { secretsmanager: name-or-ARN }; never a value",
        ),
        key(
            "functions",
            Ty::Named(&Ty::Map(&FUNCTION)),
            "Rust functions",
        ),
        key(
            "state_machines",
            Ty::Named(&Ty::Map(&STATE_MACHINE)),
            "Step Functions state machines",
        ),
        key("http", Ty::Map(&HTTP), "the HTTP API's settings"),
        key(
            "outputs",
            Ty::Free {
                key: "^[A-Za-z][A-Za-z0-9]*$",
                value: &TEXT,
            },
            "stack outputs",
        ),
        key(
            "tags",
            Ty::Free {
                key: ".+",
                value: &STRING,
            },
            "tags on every resource",
        ),
    ],
};

/// Every shape reachable from `ROOT`, each once, in reference order.
pub fn shapes() -> Vec<&'static Shape> {
    fn walk_ty(ty: &'static Ty, out: &mut Vec<&'static Shape>) {
        match ty {
            Ty::Map(s) => walk(s, out),
            Ty::List { item, .. } => walk_ty(item, out),
            Ty::Named(v) | Ty::Free { value: v, .. } => walk_ty(v, out),
            Ty::Either(tys) => tys.iter().for_each(|t| walk_ty(t, out)),
            Ty::OneKey(kinds) => kinds.iter().for_each(|(_, t)| walk_ty(t, out)),
            Ty::Kinds(shapes) => shapes.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    fn walk(s: &'static Shape, out: &mut Vec<&'static Shape>) {
        if out.iter().any(|o| std::ptr::eq(*o, s)) {
            return;
        }
        out.push(s);
        for k in s.keys {
            walk_ty(&k.ty, out);
        }
    }
    let mut out = Vec::new();
    walk(&ROOT, &mut out);
    out
}

// ---- the reference page ----

/// `docs/manifest.md`: every shape with its keys, types, ranges, defaults,
/// examples and descriptions, in the order of the manifest.
pub fn reference() -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    out.push_str(
        "# ferry.yaml reference\n\n\
         <!-- Generated by `ferry schema --format markdown` from the manifest's vocabulary \
         (src/manifest/vocab.rs); a test checks that this file is current. Do not edit. -->\n\n\
         Every key of `ferry.yaml`, where it goes, what it takes, its default and an example. \
         The same declarations drive `ferry validate` (unknown and missing keys, ranges, \
         words) and the JSON Schema of `ferry schema`. Durations are whole seconds or a \
         number with a unit: `30s`, `15m`, `4h`, `2d`. Strings marked *with references* \
         may hold `${...}` (see the manifest guide). Rules across keys are named in the \
         descriptions and checked by `ferry validate`.\n",
    );
    for s in shapes() {
        let title = if s.path.is_empty() {
            "top level"
        } else {
            s.path
        };
        let _ = write!(out, "\n## `{title}`\n\n{}\n\n", s.doc);
        out.push_str("| key | type | default | example | description |\n");
        out.push_str("|---|---|---|---|---|\n");
        for k in s.keys {
            let name = if k.required {
                format!("`{}` (required)", k.name)
            } else {
                format!("`{}`", k.name)
            };
            let default = k.default.map(|d| format!("`{d}`")).unwrap_or_default();
            let example = example(k)
                .map(|e| format!("`{}: {}`", k.name, e))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {name} | {} | {default} | {example} | {} |",
                cell(&type_text(&k.ty)),
                cell(k.doc)
            );
        }
    }
    out
}

/// Markdown table cells: `|` escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn type_text(t: &Ty) -> String {
    match t {
        Ty::Bool => "`true` or `false`".into(),
        Ty::Int { min, max, unit } => {
            let unit = if unit.is_empty() {
                String::new()
            } else {
                format!(" ({unit})")
            };
            format!("integer {min} to {max}{unit}")
        }
        Ty::Number { min, max } => format!("number {min} to {max}"),
        Ty::Duration { min, max } => format!(
            "duration {} to {}",
            super::model::Duration(*min),
            super::model::Duration(*max)
        ),
        Ty::Words(w) => format!("one of: {}", quoted(w.iter().copied())),
        Ty::Ints(v) => format!(
            "one of: {}",
            v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        ),
        Ty::Runtime => format!(
            "a runtime: {} (refused from the date Lambda blocks creating functions on it)",
            quoted(super::model::RUNTIMES.iter().map(|l| l.id))
        ),
        Ty::Str { pattern, what } => match pattern {
            Some(p) => format!("{what} (`{p}`)"),
            None => (*what).to_string(),
        },
        Ty::Text { what } => format!("{what}, with references"),
        Ty::Ref(section) => format!("the name of an entry of `{section}`"),
        Ty::Account => "12-digit account id".into(),
        Ty::Scalar => "string, number or boolean".into(),
        Ty::List { item, min, max } => {
            let n = match (min, max) {
                (0, None) => String::new(),
                (m, None) => format!(", at least {m}"),
                (0, Some(x)) => format!(", at most {x}"),
                (m, Some(x)) => format!(", {m} to {x}"),
            };
            format!("list of {}{n}", type_text(item))
        }
        Ty::Map(s) => format!("mapping: see `{}`", s.path),
        Ty::Named(v) => format!("entries by name (`{NAME}`), each {}", type_text(v)),
        Ty::Free { key, value } => format!("mapping of keys (`{key}`) to {}", type_text(value)),
        Ty::Object => "mapping".into(),
        Ty::Any => "any value".into(),
        Ty::Either(forms) => forms
            .iter()
            .map(type_text)
            .collect::<Vec<_>>()
            .join(", or "),
        Ty::OneKey(kinds) => format!(
            "one key of: {}",
            kinds
                .iter()
                .map(|(k, t)| format!("`{k}` ({})", type_text(t)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Ty::Kinds(shapes) => format!(
            "one of: {}",
            shapes
                .iter()
                .map(|s| format!("`{}`", s.path))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn quoted<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An example value of a key, written as YAML.
fn example(k: &Key) -> Option<String> {
    Some(match &k.ty {
        Ty::Bool => match k.default {
            Some("true") => "false".into(),
            _ => "true".into(),
        },
        Ty::Int { min, max, .. } => {
            let v = (*min).max(1).min(*max);
            let v = match k.default.and_then(|d| d.parse::<i64>().ok()) {
                Some(d) if d < *max => (d * 2).min(*max),
                _ => v,
            };
            v.to_string()
        }
        Ty::Number { min, max } => format!("{}", ((min + max) / 2.0 * 10.0).round() / 10.0),
        Ty::Duration { min, max } => {
            super::model::Duration(((*min).max(1) * 30).min(*max)).to_string()
        }
        Ty::Words(w) => w.iter().rev().find(|w| Some(**w) != k.default)?.to_string(),
        Ty::Ints(v) => v.get(v.len() / 2)?.to_string(),
        Ty::Runtime => k.default?.to_string(),
        Ty::Ref(section) => format!("my-{}", section.trim_end_matches('s').replace('_', "-")),
        Ty::Account => "\"123456789012\"".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::Service;

    #[test]
    fn access_levels_are_the_iam_catalogue_levels() {
        for (key, service) in [
            ("tables", Service::DynamoDb),
            ("queues", Service::Sqs),
            ("topics", Service::Sns),
            ("buckets", Service::S3),
            ("functions", Service::Lambda),
            ("state_machines", Service::States),
            ("buses", Service::Events),
        ] {
            let declared = match ACCESS.key(key).map(|k| &k.ty) {
                Some(Ty::Free {
                    value: Ty::Either(forms),
                    ..
                }) => match forms.first() {
                    Some(Ty::Words(w)) => w.to_vec(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            let levels: Vec<&str> = service.levels().iter().map(|(w, _)| *w).collect();
            assert_eq!(declared, levels, "access.{key}");
        }
    }

    /// Every declared default is a value of its key's type, in range.
    #[test]
    fn defaults_are_values_of_their_type() {
        fn fits(ty: &Ty, d: &str) -> bool {
            match ty {
                Ty::Bool => d.parse::<bool>().is_ok(),
                Ty::Int { min, max, .. } => {
                    d.parse::<i64>().is_ok_and(|v| (*min..=*max).contains(&v))
                }
                Ty::Number { min, max } => {
                    d.parse::<f64>().is_ok_and(|v| (*min..=*max).contains(&v))
                }
                Ty::Duration { min, max } => super::super::model::Duration::parse(d)
                    .is_some_and(|v| (*min..=*max).contains(&v.0)),
                Ty::Words(w) => w.contains(&d),
                Ty::Ints(v) => d.parse::<u32>().is_ok_and(|x| v.contains(&x)),
                Ty::Runtime => super::super::model::RUNTIMES.iter().any(|l| l.id == d),
                Ty::Either(forms) => forms.iter().any(|f| fits(f, d)),
                // Lists, strings and the rest: shown as written.
                _ => true,
            }
        }
        for s in shapes() {
            for k in s.keys {
                if let Some(d) = k.default {
                    assert!(fits(&k.ty, d), "{}.{}: default `{d}`", s.path, k.name);
                }
                assert!(
                    !(k.required && k.default.is_some()),
                    "{}.{}",
                    s.path,
                    k.name
                );
            }
        }
    }

    #[test]
    fn kinds_are_told_apart_by_their_first_key() {
        let mut kinds: Vec<&str> = TRIGGER_KINDS.iter().map(|s| s.keys[0].name).collect();
        assert_eq!(kinds, crate::manifest::model::TriggerKind::KEYS);
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), TRIGGER_KINDS.len());
        assert!(PRINCIPAL_KINDS.iter().all(|s| s.keys[0].required));
    }

    #[test]
    fn the_reference_names_every_shape_and_key() {
        let page = reference();
        for s in shapes() {
            for k in s.keys {
                assert!(page.contains(&format!("`{}`", k.name)), "{}", k.name);
            }
        }
        assert!(page.contains("## `functions.<name>.triggers[] (queue)`"));
    }
}
