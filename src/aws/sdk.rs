//! The AWS SDK behind ferry's AWS traits. Every client honours `--profile`,
//! `--region` and `--endpoint-url` (or `AWS_ENDPOINT_URL`); with an
//! endpoint, S3 uses path-style addressing so that local emulators work.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation as cfn;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, Tag};

use super::*;

/// Where and as whom to call AWS.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// Why the AWS clients could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No region from the flags, the manifest or the AWS configuration.
    #[error(
        "no AWS region: pass --region, set `region:` in ferry.yaml, or configure one (AWS_REGION or ~/.aws/config)"
    )]
    NoRegion,
}

/// The clients ferry uses.
pub struct Aws {
    cfn: cfn::Client,
    s3: aws_sdk_s3::Client,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    sqs: aws_sdk_sqs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    ssm: aws_sdk_ssm::Client,
    secretsmanager: aws_sdk_secretsmanager::Client,
    region: String,
    endpoint: Option<String>,
}

impl Aws {
    pub async fn connect(s: &Settings) -> Result<Aws, ConnectError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &s.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &s.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(u) = &s.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        let conf = loader.load().await;
        let region = conf
            .region()
            .map(|r| r.to_string())
            .ok_or(ConnectError::NoRegion)?;
        let endpoint = s
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(endpoint.is_some())
            .build();
        Ok(Aws {
            cfn: cfn::Client::new(&conf),
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            sts: aws_sdk_sts::Client::new(&conf),
            iam: aws_sdk_iam::Client::new(&conf),
            lambda: aws_sdk_lambda::Client::new(&conf),
            logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
            sqs: aws_sdk_sqs::Client::new(&conf),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&conf),
            ssm: aws_sdk_ssm::Client::new(&conf),
            secretsmanager: aws_sdk_secretsmanager::Client::new(&conf),
            region,
            endpoint,
        })
    }
}

/// S3's form of a SHA-256 checksum (base64 of the digest) from its hex.
fn checksum_base64(hex: &str) -> Option<String> {
    use base64::Engine;
    if hex.len() != 64 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..32)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    Some(base64::engine::general_purpose::STANDARD.encode(bytes?))
}

/// True when DescribeStacks failed because the stack does not exist.
/// CloudFormation gives no code of its own for that: it answers with the
/// generic `ValidationError` (also the code of a malformed stack name), so
/// the code is checked first and the message ("Stack with id X does not
/// exist") tells which. The one place ferry reads this message.
fn stack_is_missing(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError") && message.is_some_and(|m| m.contains("does not exist"))
}

fn err<E>(what: &str, e: E) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e.code().map(String::from);
    let detail = e.message().map(String::from).unwrap_or_else(|| {
        let mut s = aws_smithy_types_display(&e);
        if s.is_empty() {
            s = e.to_string();
        }
        s
    });
    AwsError {
        code,
        message: format!("{what}: {detail}"),
    }
}

/// The whole chain of an error's sources, for errors without a service
/// message (no credentials, connection refused, ...).
fn aws_smithy_types_display(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.contains(&t) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

impl CloudFormation for Aws {
    async fn describe_stack(&self, name: &str) -> AwsResult<Option<Stack>> {
        match self.cfn.describe_stacks().stack_name(name).send().await {
            Ok(out) => Ok(out.stacks().first().map(|s| Stack {
                id: s.stack_id().unwrap_or_default().to_string(),
                name: s.stack_name().unwrap_or_default().to_string(),
                status: s
                    .stack_status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
                status_reason: s.stack_status_reason().map(String::from),
                outputs: s
                    .outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((
                            o.output_key()?.to_string(),
                            o.output_value().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect(),
            })),
            Err(e) => {
                if stack_is_missing(e.code(), e.message()) {
                    Ok(None)
                } else {
                    Err(err("DescribeStacks", e))
                }
            }
        }
    }

    async fn create_change_set(&self, req: &ChangeSetRequest) -> AwsResult<String> {
        let mut call = self
            .cfn
            .create_change_set()
            .stack_name(&req.stack)
            .change_set_name(&req.name)
            .change_set_type(match req.kind {
                ChangeSetKind::Create => ChangeSetType::Create,
                ChangeSetKind::Update => ChangeSetType::Update,
            })
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam);
        if req.include_nested {
            call = call.include_nested_stacks(true);
        }
        call = match &req.template {
            TemplateSource::Body(b) => call.template_body(b),
            TemplateSource::Url(u) => call.template_url(u),
        };
        for (k, v) in &req.parameters {
            call = call.parameters(
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build(),
            );
        }
        for (k, v) in &req.tags {
            call = call.tags(Tag::builder().key(k).value(v).build());
        }
        let out = call.send().await.map_err(|e| err("CreateChangeSet", e))?;
        Ok(out.id().unwrap_or(&req.name).to_string())
    }

    async fn describe_change_set(&self, id: &str) -> AwsResult<ChangeSet> {
        let mut token: Option<String> = None;
        let mut cs = ChangeSet {
            id: id.to_string(),
            status: String::new(),
            status_reason: None,
            execution_status: None,
            changes: Vec::new(),
        };
        loop {
            let out = self
                .cfn
                .describe_change_set()
                .change_set_name(id)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| err("DescribeChangeSet", e))?;
            cs.status = out
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            cs.status_reason = out.status_reason().map(String::from);
            cs.execution_status = out.execution_status().map(|s| s.as_str().to_string());
            for c in out.changes() {
                let Some(rc) = c.resource_change() else {
                    continue;
                };
                cs.changes.push(Change {
                    action: rc
                        .action()
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                    resource_type: rc.resource_type().unwrap_or_default().to_string(),
                    replacement: rc.replacement().map(|r| r.as_str().to_string()),
                    nested_change_set: rc.change_set_id().map(String::from),
                    policy_action: rc.policy_action().map(|a| a.as_str().to_string()),
                });
            }
            token = out.next_token().map(String::from);
            if token.is_none() {
                return Ok(cs);
            }
        }
    }

    async fn execute_change_set(&self, id: &str) -> AwsResult<()> {
        self.cfn
            .execute_change_set()
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| err("ExecuteChangeSet", e))?;
        Ok(())
    }

    async fn delete_change_set(&self, id: &str) -> AwsResult<()> {
        self.cfn
            .delete_change_set()
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| err("DeleteChangeSet", e))?;
        Ok(())
    }

    async fn stack_events(&self, stack: &str, after: Option<&str>) -> AwsResult<Vec<StackEvent>> {
        let mut out_events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .cfn
                .describe_stack_events()
                .stack_name(stack)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| err("DescribeStackEvents", e))?;
            for e in out.stack_events() {
                let id = e.event_id().unwrap_or_default().to_string();
                if Some(id.as_str()) == after {
                    return Ok(out_events);
                }
                out_events.push(StackEvent {
                    id,
                    stack_name: e.stack_name().unwrap_or_default().to_string(),
                    logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: e.physical_resource_id().map(String::from),
                    resource_type: e.resource_type().unwrap_or_default().to_string(),
                    status: e
                        .resource_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    reason: e.resource_status_reason().map(String::from),
                    timestamp: e.timestamp().map(|t| t.as_secs_f64()).unwrap_or(0.0),
                });
            }
            token = out.next_token().map(String::from);
            // Without a marker, the first page is enough (newest events).
            if token.is_none() || after.is_none() {
                return Ok(out_events);
            }
        }
    }

    async fn delete_stack(&self, name: &str) -> AwsResult<()> {
        self.cfn
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| err("DeleteStack", e))?;
        Ok(())
    }

    async fn get_template(&self, name: &str) -> AwsResult<String> {
        let out = self
            .cfn
            .get_template()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| err("GetTemplate", e))?;
        Ok(out.template_body().unwrap_or_default().to_string())
    }

    async fn stack_resources(&self, name: &str) -> AwsResult<Vec<StackResource>> {
        let mut out_r = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .cfn
                .list_stack_resources()
                .stack_name(name)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| err("ListStackResources", e))?;
            for r in out.stack_resource_summaries() {
                out_r.push(StackResource {
                    logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: r.physical_resource_id().map(String::from),
                    resource_type: r.resource_type().unwrap_or_default().to_string(),
                });
            }
            token = out.next_token().map(String::from);
            if token.is_none() {
                return Ok(out_r);
            }
        }
    }
}

impl Storage for Aws {
    async fn object_matches(&self, bucket: &str, key: &str, sha256: &str) -> AwsResult<bool> {
        let call = self
            .s3
            .head_object()
            .bucket(bucket)
            .key(key)
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled);
        match call.send().await {
            Ok(o) => Ok(o.checksum_sha256() == checksum_base64(sha256).as_deref()),
            Err(e) => {
                let not_found = e.as_service_error().is_some_and(|s| s.is_not_found())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                if not_found {
                    Ok(false)
                } else {
                    Err(err("HeadObject", e))
                }
            }
        }
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        sha256: &str,
    ) -> AwsResult<()> {
        let checksum = checksum_base64(sha256).ok_or_else(|| AwsError {
            code: None,
            message: format!("PutObject: `{sha256}` is not a SHA-256 in hex"),
        })?;
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256)
            .checksum_sha256(checksum)
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map_err(|e| err("PutObject", e))?;
        Ok(())
    }

    fn object_url(&self, bucket: &str, key: &str) -> String {
        match &self.endpoint {
            Some(ep) => format!("{}/{bucket}/{key}", ep.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{}.amazonaws.com/{key}", self.region),
        }
    }
}

impl Identity for Aws {
    async fn account_id(&self) -> AwsResult<String> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| err("GetCallerIdentity", e))?;
        Ok(out.account().unwrap_or_default().to_string())
    }

    fn region(&self) -> String {
        self.region.clone()
    }
}

/// A service's timestamp as RFC 3339.
fn rfc3339(t: &aws_smithy_types::DateTime) -> Option<String> {
    t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()
}

impl Secrets for Aws {
    async fn put_parameter(&self, name: &str, value: &str) -> AwsResult<i64> {
        let out = self
            .ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| err("PutParameter", e))?;
        Ok(out.version())
    }

    async fn create_secret(&self, name: &str, value: &str) -> AwsResult<()> {
        self.secretsmanager
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| err("CreateSecret", e))?;
        Ok(())
    }

    async fn put_secret_value(&self, id: &str, value: &str) -> AwsResult<()> {
        self.secretsmanager
            .put_secret_value()
            .secret_id(id)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| err("PutSecretValue", e))?;
        Ok(())
    }

    async fn describe_parameter(&self, name: &str) -> AwsResult<Option<SecretState>> {
        use aws_sdk_ssm::types::ParameterStringFilter;
        let filter = ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .values(name)
            .build()
            .map_err(|e| AwsError {
                code: None,
                message: format!("DescribeParameters: {e}"),
            })?;
        let out = self
            .ssm
            .describe_parameters()
            .parameter_filters(filter)
            .send()
            .await
            .map_err(|e| err("DescribeParameters", e))?;
        Ok(out
            .parameters()
            .iter()
            .find(|p| p.name() == Some(name))
            .map(|p| SecretState {
                detail: p
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                last_changed: p.last_modified_date().and_then(rfc3339),
            }))
    }

    async fn describe_secret(&self, id: &str) -> AwsResult<Option<SecretState>> {
        match self
            .secretsmanager
            .describe_secret()
            .secret_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(Some(SecretState {
                detail: "secret".into(),
                last_changed: out
                    .last_changed_date()
                    .or(out.created_date())
                    .and_then(rfc3339),
            })),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(err("DescribeSecret", e)),
        }
    }
}

impl Roles for Aws {
    async fn trust_policy(&self, role_name: &str) -> AwsResult<Option<String>> {
        match self.iam.get_role().role_name(role_name).send().await {
            Ok(out) => Ok(out
                .role()
                .and_then(|r| r.assume_role_policy_document())
                .map(percent_decode)),
            Err(e) => {
                if e.code() == Some("NoSuchEntity") {
                    Ok(None)
                } else {
                    Err(err("GetRole", e))
                }
            }
        }
    }
}

/// IAM returns policy documents URL-encoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Functions for Aws {
    async fn invoke(
        &self,
        function: &str,
        qualifier: &str,
        payload: Vec<u8>,
        asynchronous: bool,
    ) -> AwsResult<Invocation> {
        use aws_sdk_lambda::types::{InvocationType, LogType};
        let mut call = self
            .lambda
            .invoke()
            .function_name(function)
            .qualifier(qualifier)
            .payload(aws_sdk_lambda::primitives::Blob::new(payload));
        call = if asynchronous {
            call.invocation_type(InvocationType::Event)
        } else {
            call.invocation_type(InvocationType::RequestResponse)
                .log_type(LogType::Tail)
        };
        let out = call.send().await.map_err(|e| err("Invoke", e))?;
        Ok(Invocation {
            status: out.status_code(),
            payload: out
                .payload()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default(),
            function_error: out.function_error().map(String::from),
            log_tail: out.log_result().and_then(base64_decode),
        })
    }
}

impl FunctionCode for Aws {
    async fn update_code(&self, name: &str, bucket: &str, key: &str) -> AwsResult<()> {
        self.lambda
            .update_function_code()
            .function_name(name)
            .s3_bucket(bucket)
            .s3_key(key)
            .send()
            .await
            .map_err(|e| err("UpdateFunctionCode", e))?;
        Ok(())
    }

    async fn publish_version(
        &self,
        name: &str,
        code_sha256: &str,
        description: &str,
    ) -> AwsResult<String> {
        let out = self
            .lambda
            .publish_version()
            .function_name(name)
            .code_sha256(code_sha256)
            .description(description)
            .send()
            .await
            .map_err(|e| err("PublishVersion", e))?;
        Ok(out.version().unwrap_or_default().to_string())
    }

    async fn update_alias(&self, name: &str, alias: &str, version: &str) -> AwsResult<()> {
        self.lambda
            .update_alias()
            .function_name(name)
            .name(alias)
            .function_version(version)
            .send()
            .await
            .map_err(|e| err("UpdateAlias", e))?;
        Ok(())
    }
}

impl Queues for Aws {
    async fn send_message(&self, queue_url: &str, body: &str) -> AwsResult<String> {
        let out = self
            .sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| err("SendMessage", e))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

fn base64_decode(s: &str) -> Option<String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

impl Logs for Aws {
    async fn log_events(
        &self,
        group: &str,
        start_ms: i64,
        pattern: Option<&str>,
    ) -> AwsResult<Vec<LogEvent>> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = match self
                .logs
                .filter_log_events()
                .log_group_name(group)
                .start_time(start_ms)
                .set_filter_pattern(pattern.map(String::from))
                .set_next_token(token.clone())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(events),
                Err(e) => return Err(err("FilterLogEvents", e)),
            };
            for e in out.events() {
                events.push(LogEvent {
                    id: e.event_id().unwrap_or_default().to_string(),
                    timestamp_ms: e.timestamp().unwrap_or(0),
                    stream: e.log_stream_name().unwrap_or_default().to_string(),
                    message: e.message().unwrap_or_default().to_string(),
                });
            }
            token = out.next_token().map(String::from);
            if token.is_none() {
                return Ok(events);
            }
        }
    }
}

impl Inspect for Aws {
    async fn function_config(&self, function: &str) -> AwsResult<Option<FunctionConfig>> {
        match self
            .lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
        {
            Ok(c) => Ok(Some(FunctionConfig {
                runtime: c.runtime().map(|r| r.as_str().to_string()),
                architecture: c.architectures().first().map(|a| a.as_str().to_string()),
                memory_mb: c.memory_size(),
                timeout_s: c.timeout(),
                code_size: c.code_size(),
                code_sha256: c.code_sha256().map(String::from),
                last_modified: c.last_modified().map(String::from),
                last_update_status: c.last_update_status().map(|s| s.as_str().to_string()),
                last_update_reason: c.last_update_status_reason().map(String::from),
            })),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(err("GetFunctionConfiguration", e)),
        }
    }

    async fn alias_version(&self, function: &str, alias: &str) -> AwsResult<Option<String>> {
        match self
            .lambda
            .get_alias()
            .function_name(function)
            .name(alias)
            .send()
            .await
        {
            Ok(a) => Ok(a.function_version().map(String::from)),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(err("GetAlias", e)),
        }
    }
}

impl Metrics for Aws {
    async fn metric_data(
        &self,
        queries: &[MetricQuery],
        start_s: i64,
        end_s: i64,
    ) -> AwsResult<Vec<MetricSeries>> {
        use aws_sdk_cloudwatch::primitives::DateTime;
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
        let list: Vec<MetricDataQuery> = queries
            .iter()
            .map(|q| {
                let mut metric = Metric::builder()
                    .namespace(&q.namespace)
                    .metric_name(&q.metric);
                for (k, v) in &q.dimensions {
                    metric = metric.dimensions(Dimension::builder().name(k).value(v).build());
                }
                MetricDataQuery::builder()
                    .id(&q.id)
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric.build())
                            .period(q.period_s)
                            .stat(&q.stat)
                            .build(),
                    )
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut series: Vec<MetricSeries> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(list.clone()))
                .start_time(DateTime::from_secs(start_s))
                .end_time(DateTime::from_secs(end_s))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| err("GetMetricData", e))?;
            for r in out.metric_data_results() {
                let id = r.id().unwrap_or_default();
                let i = match series.iter().position(|s| s.id == id) {
                    Some(i) => i,
                    None => {
                        series.push(MetricSeries {
                            id: id.to_string(),
                            ..MetricSeries::default()
                        });
                        series.len() - 1
                    }
                };
                series[i]
                    .timestamps
                    .extend(r.timestamps().iter().map(|t| t.secs()));
                series[i].values.extend_from_slice(r.values());
            }
            token = out.next_token().map(String::from);
            if token.is_none() {
                return Ok(series);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_stack_is_a_validation_error_saying_so() {
        let missing = Some("Stack with id shop-dev does not exist");
        assert!(super::stack_is_missing(Some("ValidationError"), missing));
        assert!(!super::stack_is_missing(Some("AccessDenied"), missing));
        assert!(!super::stack_is_missing(None, missing));
        assert!(!super::stack_is_missing(
            Some("ValidationError"),
            Some(
                "1 validation error detected: Value 'a b' at 'stackName' failed to satisfy constraint"
            )
        ));
    }

    #[test]
    fn decodes_iam_policy_documents() {
        assert_eq!(
            super::percent_decode("%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D"),
            r#"{"Service":"lambda.amazonaws.com"}"#
        );
    }

    #[test]
    fn checksums_are_sent_as_s3_expects() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            super::checksum_base64(empty).as_deref(),
            Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        );
        assert_eq!(super::checksum_base64("abc"), None);
        assert_eq!(super::checksum_base64(&"zz".repeat(32)), None);
    }
}
