//! The AWS calls ferry makes, behind small traits with plain data types, so
//! that the deploy logic runs the same against AWS, a local emulator, or
//! recorded responses in tests. `sdk` implements them with the AWS SDK.

pub mod sdk;

use std::collections::BTreeMap;
use std::future::Future;

/// An AWS error, as a message for the user, with the service's error code
/// when it gave one.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsError {
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// AWS's error code, when the service gave one: what ferry decides on.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

pub type AwsResult<T> = Result<T, AwsError>;

#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub outputs: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSetKind {
    Create,
    Update,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TemplateSource {
    Body(String),
    Url(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChangeSetRequest {
    pub stack: String,
    pub name: String,
    pub kind: ChangeSetKind,
    pub template: TemplateSource,
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub include_nested: bool,
}

/// One row of a change set.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Add, Modify, Remove, Import or Dynamic.
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// True, False or Conditional, when CloudFormation says.
    pub replacement: Option<String>,
    /// For a nested stack: its own change set.
    pub nested_change_set: Option<String>,
    /// What CloudFormation does with the old resource under its
    /// `DeletionPolicy`: Delete, Retain, Snapshot, ReplaceAndDelete,
    /// ReplaceAndRetain or ReplaceAndSnapshot, when it says.
    pub policy_action: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChangeSet {
    pub id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub execution_status: Option<String>,
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StackEvent {
    pub id: String,
    pub stack_name: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    /// Seconds since the epoch.
    pub timestamp: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
}

pub trait CloudFormation {
    /// `None` when the stack does not exist.
    fn describe_stack(&self, name: &str) -> impl Future<Output = AwsResult<Option<Stack>>>;
    fn create_change_set(&self, req: &ChangeSetRequest) -> impl Future<Output = AwsResult<String>>;
    /// The change set with all its changes (every page).
    fn describe_change_set(&self, id: &str) -> impl Future<Output = AwsResult<ChangeSet>>;
    fn execute_change_set(&self, id: &str) -> impl Future<Output = AwsResult<()>>;
    fn delete_change_set(&self, id: &str) -> impl Future<Output = AwsResult<()>>;
    /// The stack's events, newest first, down to (not including) `after`
    /// when given.
    fn stack_events(
        &self,
        stack: &str,
        after: Option<&str>,
    ) -> impl Future<Output = AwsResult<Vec<StackEvent>>>;
    fn delete_stack(&self, name: &str) -> impl Future<Output = AwsResult<()>>;
    fn get_template(&self, name: &str) -> impl Future<Output = AwsResult<String>>;
    fn stack_resources(&self, name: &str) -> impl Future<Output = AwsResult<Vec<StackResource>>>;
}

pub trait Storage {
    /// Whether the object is there with exactly this content: the SHA-256
    /// checksum S3 stored at upload equals `sha256` (hex). A missing object,
    /// or one with no checksum or another, is `false`.
    fn object_matches(
        &self,
        bucket: &str,
        key: &str,
        sha256: &str,
    ) -> impl Future<Output = AwsResult<bool>>;
    /// Uploads with the SHA-256 checksum of `body` (hex), which S3 checks.
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        sha256: &str,
    ) -> impl Future<Output = AwsResult<()>>;
    /// The HTTPS (or emulator) URL of an object, for `TemplateURL`.
    fn object_url(&self, bucket: &str, key: &str) -> String;
}

pub trait Identity {
    fn account_id(&self) -> impl Future<Output = AwsResult<String>>;
    fn region(&self) -> String;
}

/// What SSM or Secrets Manager says about a secret: never its value.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretState {
    /// The parameter's type (`SecureString`, `String`), or for a secret
    /// `secret`.
    pub detail: String,
    /// When the value last changed (RFC 3339), when the service says.
    pub last_changed: Option<String>,
}

/// Writing and describing the secrets of `secrets:`. Nothing here reads a
/// value.
pub trait Secrets {
    /// Creates or overwrites (`Overwrite`) an SSM `SecureString`; returns
    /// the parameter's new version (1 when it was created).
    fn put_parameter(&self, name: &str, value: &str) -> impl Future<Output = AwsResult<i64>>;
    /// Creates a Secrets Manager secret with this value. A secret that
    /// exists already fails with the code `ResourceExistsException`.
    fn create_secret(&self, name: &str, value: &str) -> impl Future<Output = AwsResult<()>>;
    /// A new value for an existing secret (by name or ARN).
    fn put_secret_value(&self, id: &str, value: &str) -> impl Future<Output = AwsResult<()>>;
    /// `None` when there is no such parameter.
    fn describe_parameter(
        &self,
        name: &str,
    ) -> impl Future<Output = AwsResult<Option<SecretState>>>;
    /// `None` when there is no such secret.
    fn describe_secret(&self, id: &str) -> impl Future<Output = AwsResult<Option<SecretState>>>;
}

pub trait Roles {
    /// The role's trust policy document, `None` when there is no such role.
    fn trust_policy(&self, role_name: &str) -> impl Future<Output = AwsResult<Option<String>>>;
}

#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    pub status: i32,
    pub payload: Vec<u8>,
    pub function_error: Option<String>,
    /// The decoded tail of the log (synchronous calls).
    pub log_tail: Option<String>,
}

pub trait Functions {
    fn invoke(
        &self,
        function: &str,
        qualifier: &str,
        payload: Vec<u8>,
        asynchronous: bool,
    ) -> impl Future<Output = AwsResult<Invocation>>;
}

pub trait Queues {
    /// Sends one message; returns its message id.
    fn send_message(&self, queue_url: &str, body: &str) -> impl Future<Output = AwsResult<String>>;
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogEvent {
    /// CloudWatch's event id (empty when the service gave none).
    pub id: String,
    pub timestamp_ms: i64,
    pub stream: String,
    pub message: String,
}

pub trait Logs {
    /// Events of a log group from `start_ms` matching the CloudWatch filter
    /// `pattern` when given, every page; none when the group does not exist
    /// (a function never invoked has no log group).
    fn log_events(
        &self,
        group: &str,
        start_ms: i64,
        pattern: Option<&str>,
    ) -> impl Future<Output = AwsResult<Vec<LogEvent>>>;
}

/// The calls that update a function's code directly (hotswap); its state
/// is read with `Inspect::function_config`.
pub trait FunctionCode: Inspect {
    fn update_code(
        &self,
        name: &str,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = AwsResult<()>>;
    /// Publishes a version of exactly this code (`code_sha256`, base64);
    /// returns the version number.
    fn publish_version(
        &self,
        name: &str,
        code_sha256: &str,
        description: &str,
    ) -> impl Future<Output = AwsResult<String>>;
    fn update_alias(
        &self,
        name: &str,
        alias: &str,
        version: &str,
    ) -> impl Future<Output = AwsResult<()>>;
}

/// A function's configuration as Lambda reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionConfig {
    pub runtime: Option<String>,
    pub architecture: Option<String>,
    pub memory_mb: Option<i32>,
    pub timeout_s: Option<i32>,
    pub code_size: i64,
    /// Base64 SHA-256 of the deployment package, as Lambda gives it.
    pub code_sha256: Option<String>,
    pub last_modified: Option<String>,
    /// InProgress, Successful or Failed (absent on some emulators).
    pub last_update_status: Option<String>,
    pub last_update_reason: Option<String>,
}

pub trait Inspect {
    /// `None` when there is no such function.
    fn function_config(
        &self,
        function: &str,
    ) -> impl Future<Output = AwsResult<Option<FunctionConfig>>>;
    /// The version an alias points to; `None` when there is no such alias.
    fn alias_version(
        &self,
        function: &str,
        alias: &str,
    ) -> impl Future<Output = AwsResult<Option<String>>>;
}

/// One query of `GetMetricData`: a statistic of a metric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricQuery {
    /// Starts with a lowercase letter: letters, digits and `_`.
    pub id: String,
    pub namespace: String,
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    /// `Sum`, `Maximum`, `p99`, ...
    pub stat: String,
    pub period_s: i32,
}

/// The datapoints of one query, oldest first.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MetricSeries {
    pub id: String,
    /// Seconds since the epoch.
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

/// At most this many queries in one `GetMetricData` call.
pub const MAX_METRIC_QUERIES: usize = 500;

pub trait Metrics {
    /// One `GetMetricData` call (every page) for at most
    /// `MAX_METRIC_QUERIES` queries, between two times in seconds.
    fn metric_data(
        &self,
        queries: &[MetricQuery],
        start_s: i64,
        end_s: i64,
    ) -> impl Future<Output = AwsResult<Vec<MetricSeries>>>;
}
