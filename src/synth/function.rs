//! One function: role, log group, function, version, alias, and what hangs
//! off the alias (triggers, async config, concurrency, deployment, alarms,
//! invoke permissions, URL).

use serde_json::{Value, json};

use super::policy::{self, Policy};
use super::refs;
use super::resources::Notification;
use super::template::{Template, arn, depends_on, get_att, r#ref, resource, retain, sub};
use super::{Artifacts, code_location};
use crate::manifest::model::*;
use crate::names::{self, FunctionIds};

pub struct Built {
    /// S3 notifications this function asks of buckets.
    pub notifications: Vec<(String, Notification)>,
}

pub fn function(
    app: &App,
    name: &str,
    f: &Function,
    artifacts: &Artifacts,
    t: &mut Template,
) -> Built {
    let ids = FunctionIds::new(name);
    let physical = names::physical(&app.name, &app.stage, name);
    let mut policy = Policy::default();
    let mut built = Built {
        notifications: Vec::new(),
    };
    t.in_unit("function", name);

    // Log group first: the role may write only to it.
    // Retained: removing or renaming the function keeps its logs.
    let mut log_group = resource(
        "AWS::Logs::LogGroup",
        json!({ "LogGroupName": names::log_group(&physical), "RetentionInDays": f.log_retention }),
    );
    retain(&mut log_group);
    t.add(ids.log_group(), log_group);
    policy::logs(&ids.log_group(), &mut policy);
    policy::access(app, &f.access, &mut policy);
    if f.tracing {
        policy::xray(&mut policy);
    }
    if f.vpc.is_some() {
        policy::vpc(&mut policy);
    }

    // Function properties.
    let mut props = json!({
        "FunctionName": physical,
        "Role": match &f.role { Some(r) => refs::interp(app, r), None => get_att(&ids.role(), "Arn") },
        "MemorySize": f.memory,
        "Timeout": f.timeout.secs(),
        "Architectures": [f.architecture.id()],
        "EphemeralStorage": { "Size": f.ephemeral_storage },
        "LoggingConfig": { "LogGroup": { "Ref": ids.log_group() } },
    });
    let code_hash;
    match &f.code {
        Code::Crate { .. } => {
            props["Runtime"] = json!(f.runtime.id());
            props["Handler"] = json!("bootstrap");
            let artifact = artifacts.functions.get(name);
            props["Code"] = code_location(app, artifacts, artifact, name, t);
            code_hash = artifact
                .map(|a| a.sha256.clone())
                .unwrap_or_else(|| "unbuilt".into());
        }
        Code::Image(uri) => {
            props["PackageType"] = json!("Image");
            props["Code"] = json!({ "ImageUri": refs::interp(app, uri) });
            code_hash = uri.to_string();
        }
    }
    if let Some(d) = &f.description {
        props["Description"] = refs::interp(app, d);
    }
    if !f.environment.is_empty() {
        let vars: serde_json::Map<String, Value> = f
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), refs::interp(app, v)))
            .collect();
        props["Environment"] = json!({ "Variables": vars });
    }
    if f.tracing {
        props["TracingConfig"] = json!({ "Mode": "Active" });
    }
    if !f.layers.is_empty() {
        let layers: Vec<Value> = f
            .layers
            .iter()
            .map(|l| match l {
                LayerRef::Named(n) => r#ref(&names::layer(n)),
                LayerRef::Arn(a) => refs::interp(app, a),
            })
            .collect();
        props["Layers"] = json!(layers);
    }
    if let Some(vpc) = &f.vpc {
        props["VpcConfig"] = json!({
            "SubnetIds": vpc.subnets.iter().map(|s| refs::interp(app, s)).collect::<Vec<_>>(),
            "SecurityGroupIds": vpc.security_groups.iter().map(|s| refs::interp(app, s)).collect::<Vec<_>>(),
        });
    }
    if let Some(r) = f.concurrency.reserved {
        props["ReservedConcurrentExecutions"] = json!(r);
    }
    if let Some(a) = &f.async_config {
        if let Some(dl) = &a.dead_letter {
            props["DeadLetterConfig"] = json!({ "TargetArn": policy::destination_arn(app, dl) });
            policy::destination(app, dl, "DeadLetter", &mut policy);
        }
    }

    // The version's logical ID carries a hash of code and configuration, so
    // every change publishes a new version; old ones are retained.
    let config_hash = names::short_hash(format!("{code_hash}{props}").as_bytes(), 10);
    let version_id = ids.version(&config_hash);
    // `LoggingConfig` refers to the log group, so it exists before the
    // function and Lambda never creates one of its own.
    t.add(ids.function(), resource("AWS::Lambda::Function", props));
    let mut version = resource(
        "AWS::Lambda::Version",
        json!({ "FunctionName": { "Ref": ids.function() }, "Description": format!("ferry {config_hash}") }),
    );
    retain(&mut version);
    t.add(&version_id, version);

    // The alias, which everything targets.
    let mut alias_props = json!({
        "Name": f.alias,
        "FunctionName": { "Ref": ids.function() },
        "FunctionVersion": get_att(&version_id, "Version"),
    });
    match f.concurrency.provisioned {
        Some(Provisioned::Fixed(n)) => {
            alias_props["ProvisionedConcurrencyConfig"] =
                json!({ "ProvisionedConcurrentExecutions": n });
        }
        Some(Provisioned::Auto { min, .. }) => {
            alias_props["ProvisionedConcurrencyConfig"] =
                json!({ "ProvisionedConcurrentExecutions": min });
        }
        None => {}
    }
    let mut alias = resource("AWS::Lambda::Alias", alias_props);
    if f.deployment != Strategy::AllAtOnce {
        alias["UpdatePolicy"] = json!({
            "CodeDeployLambdaAliasUpdate": {
                "ApplicationName": { "Ref": names::CODE_DEPLOY_APP },
                "DeploymentGroupName": { "Ref": ids.deployment_group() }
            }
        });
    }
    t.add(ids.alias(), alias);
    let alias_ref = r#ref(&ids.alias());

    if let Some(Provisioned::Auto {
        min,
        max,
        utilization,
    }) = f.concurrency.provisioned
    {
        autoscaling(&ids, &physical, &f.alias, min, max, utilization, t);
    }
    if let Some(a) = &f.async_config {
        let mut dest = json!({});
        if let Some(d) = &a.on_success {
            dest["OnSuccess"] = json!({ "Destination": policy::destination_arn(app, d) });
            policy::destination(app, d, "OnSuccess", &mut policy);
        }
        if let Some(d) = &a.on_failure {
            dest["OnFailure"] = json!({ "Destination": policy::destination_arn(app, d) });
            policy::destination(app, d, "OnFailure", &mut policy);
        }
        let mut props = json!({
            "FunctionName": { "Ref": ids.function() },
            "Qualifier": f.alias,
            "MaximumRetryAttempts": a.retries,
            "MaximumEventAgeInSeconds": a.max_event_age.secs(),
        });
        if dest.as_object().is_some_and(|d| !d.is_empty()) {
            props["DestinationConfig"] = dest;
        }
        let mut r = resource("AWS::Lambda::EventInvokeConfig", props);
        depends_on(&mut r, &[ids.alias()]);
        t.add(ids.event_invoke_config(), r);
    }

    // Triggers.
    for (i, trig) in f.triggers.iter().enumerate() {
        match &trig.kind {
            TriggerKind::Http(route) => http_route(app, &ids, route, &alias_ref, t),
            TriggerKind::Url(url) => function_url(&ids, f, url, &alias_ref, t),
            TriggerKind::Schedule(_) | TriggerKind::Event(_) => {
                let id = match &trig.kind {
                    TriggerKind::Schedule(s) => {
                        let id = ids.trigger("Schedule", i);
                        schedule_rule(app, &id, s, target(&alias_ref, None), t);
                        id
                    }
                    TriggerKind::Event(e) => {
                        let id = ids.trigger("Event", i);
                        event_rule(app, &id, e, target(&alias_ref, None), t);
                        id
                    }
                    _ => unreachable!("matched above"),
                };
                // EventBridge may invoke the alias, from this rule only.
                permission(
                    t,
                    &format!("{id}Permission"),
                    &alias_ref,
                    "events.amazonaws.com",
                    Some(get_att(&id, "Arn")),
                    None,
                );
            }
            TriggerKind::Queue(q) => {
                let queue_arn = get_att(&names::queue(&q.queue), "Arn");
                policy.allow(
                    &format!("Poll{}", names::pascal(&q.queue)),
                    [
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ]
                    .map(String::from)
                    .to_vec(),
                    vec![queue_arn.clone()],
                );
                let mut props = json!({
                    "EventSourceArn": queue_arn,
                    "FunctionName": alias_ref,
                    "BatchSize": q.batch_size,
                    "Enabled": true,
                });
                if let Some(w) = q.batch_window {
                    props["MaximumBatchingWindowInSeconds"] = json!(w.secs());
                }
                if let Some(m) = q.max_concurrency {
                    props["ScalingConfig"] = json!({ "MaximumConcurrency": m });
                }
                if q.report_batch_item_failures {
                    props["FunctionResponseTypes"] = json!(["ReportBatchItemFailures"]);
                }
                if !q.filter.is_empty() {
                    props["FilterCriteria"] = filter_criteria(app, &q.filter);
                }
                let mut r = resource("AWS::Lambda::EventSourceMapping", props);
                if f.role.is_none() {
                    depends_on(&mut r, &[ids.role()]);
                }
                t.add(ids.trigger("Queue", i), r);
            }
            TriggerKind::Stream(s) => {
                let source_arn = match &s.source {
                    StreamSource::Table(table) => {
                        let stream_arn = get_att(&names::table(table), "StreamArn");
                        policy.allow(
                            &format!("Stream{}", names::pascal(table)),
                            [
                                "dynamodb:DescribeStream",
                                "dynamodb:GetRecords",
                                "dynamodb:GetShardIterator",
                                "dynamodb:ListStreams",
                            ]
                            .map(String::from)
                            .to_vec(),
                            vec![stream_arn.clone()],
                        );
                        stream_arn
                    }
                    StreamSource::Kinesis(k) => {
                        let v = refs::interp(app, k);
                        policy.allow(
                            "Kinesis",
                            [
                                "kinesis:DescribeStream",
                                "kinesis:DescribeStreamSummary",
                                "kinesis:GetRecords",
                                "kinesis:GetShardIterator",
                                "kinesis:ListShards",
                                "kinesis:SubscribeToShard",
                            ]
                            .map(String::from)
                            .to_vec(),
                            vec![v.clone()],
                        );
                        v
                    }
                };
                let mut props = json!({
                    "EventSourceArn": source_arn,
                    "FunctionName": alias_ref,
                    "StartingPosition": match s.starting_position { StartingPosition::Latest => "LATEST", StartingPosition::TrimHorizon => "TRIM_HORIZON" },
                    "BatchSize": s.batch_size,
                    "BisectBatchOnFunctionError": s.bisect_on_error,
                    "Enabled": true,
                });
                if let Some(w) = s.batch_window {
                    props["MaximumBatchingWindowInSeconds"] = json!(w.secs());
                }
                if let Some(r) = s.retries {
                    props["MaximumRetryAttempts"] = json!(r);
                }
                if let Some(a) = s.max_record_age {
                    props["MaximumRecordAgeInSeconds"] = json!(a.secs());
                }
                if let Some(p) = s.parallelization {
                    props["ParallelizationFactor"] = json!(p);
                }
                if let Some(d) = &s.on_failure {
                    props["DestinationConfig"] =
                        json!({ "OnFailure": { "Destination": policy::destination_arn(app, d) } });
                    policy::destination(app, d, "StreamOnFailure", &mut policy);
                }
                if s.report_batch_item_failures {
                    props["FunctionResponseTypes"] = json!(["ReportBatchItemFailures"]);
                }
                if !s.filter.is_empty() {
                    props["FilterCriteria"] = filter_criteria(app, &s.filter);
                }
                let mut r = resource("AWS::Lambda::EventSourceMapping", props);
                if f.role.is_none() {
                    depends_on(&mut r, &[ids.role()]);
                }
                t.add(ids.trigger("Stream", i), r);
            }
            TriggerKind::Topic(topic) => {
                let id = ids.trigger("Topic", i);
                let topic_arn = r#ref(&names::topic(&topic.topic));
                let mut props =
                    json!({ "Protocol": "lambda", "Endpoint": alias_ref, "TopicArn": topic_arn });
                if let Some(fp) = &topic.filter_policy {
                    props["FilterPolicy"] = refs::tree(app, fp);
                }
                t.add(&id, resource("AWS::SNS::Subscription", props));
                permission(
                    t,
                    &format!("{id}Permission"),
                    &alias_ref,
                    "sns.amazonaws.com",
                    Some(topic_arn),
                    None,
                );
            }
            TriggerKind::Bucket(b) => {
                let permission_id = format!("{}Permission", ids.trigger("Bucket", i));
                let bucket_arn = sub(&format!(
                    "arn:${{AWS::Partition}}:s3:::{}",
                    names::bucket_physical_sub(&app.name, &app.stage, &b.bucket)
                ));
                permission(
                    t,
                    &permission_id,
                    &alias_ref,
                    "s3.amazonaws.com",
                    Some(bucket_arn),
                    Some(r#ref("AWS::AccountId")),
                );
                built.notifications.push((
                    b.bucket.clone(),
                    Notification {
                        events: b.events.clone(),
                        prefix: b.prefix.clone(),
                        suffix: b.suffix.clone(),
                        alias_id: ids.alias(),
                        permission_id,
                    },
                ));
            }
        }
    }

    // Invoke permissions.
    for (i, p) in f.invoke.iter().enumerate() {
        let id = ids.invoke_permission(i);
        match p {
            Principal::Account(a) => permission(t, &id, &alias_ref, a, None, None),
            Principal::Role(r) => {
                let v = refs::interp(app, r);
                permission_value(t, &id, &alias_ref, v, None, None);
            }
            Principal::Service {
                service,
                source_arn,
                source_account,
            } => permission(
                t,
                &id,
                &alias_ref,
                service,
                source_arn.as_ref().map(|s| refs::interp(app, s)),
                source_account.as_ref().map(|s| json!(s)),
            ),
        }
    }

    let alarm_ids = alarms(app, &ids, &physical, f, t);
    if f.deployment != Strategy::AllAtOnce {
        deployment(&ids, f.deployment, &alarm_ids, t);
    }

    if f.role.is_none() {
        t.add(
            ids.role(),
            policy::role(app, "lambda.amazonaws.com", &policy),
        );
    }
    t.output(
        ids.alias_output(),
        alias_ref,
        &format!("ARN of the `{}` alias of function {name}", f.alias),
    );
    built
}

fn target(arn: &Value, input: Option<Value>) -> Value {
    let mut t = json!({ "Arn": arn, "Id": "Target" });
    if let Some(i) = input {
        t["Input"] = i;
    }
    t
}

/// A rule on a schedule.
pub fn schedule_rule(
    app: &App,
    id: &str,
    s: &ScheduleTrigger,
    mut target: Value,
    t: &mut Template,
) {
    if let Some(p) = &s.payload {
        target["Input"] = refs::tree_json_string(app, p);
    }
    t.add(
        id,
        resource(
            "AWS::Events::Rule",
            json!({
                "ScheduleExpression": s.schedule.expression(),
                "State": if s.enabled { "ENABLED" } else { "DISABLED" },
                "Targets": [target],
            }),
        ),
    );
}

/// A rule on an event pattern.
pub fn event_rule(app: &App, id: &str, e: &EventTrigger, target: Value, t: &mut Template) {
    let mut props = json!({
        "EventPattern": refs::tree(app, &e.pattern),
        "State": "ENABLED",
        "Targets": [target],
    });
    if let Some(bus) = &e.bus {
        props["EventBusName"] = policy::bus_name(app, bus);
    }
    t.add(id, resource("AWS::Events::Rule", props));
}

fn filter_criteria(app: &App, filters: &[Tree]) -> Value {
    let fs: Vec<Value> = filters
        .iter()
        .map(|f| json!({ "Pattern": refs::tree_json_string(app, f) }))
        .collect();
    json!({ "Filters": fs })
}

fn permission(
    t: &mut Template,
    id: &str,
    function: &Value,
    principal: &str,
    source_arn: Option<Value>,
    source_account: Option<Value>,
) {
    permission_value(
        t,
        id,
        function,
        json!(principal),
        source_arn,
        source_account,
    );
}

fn permission_value(
    t: &mut Template,
    id: &str,
    function: &Value,
    principal: Value,
    source_arn: Option<Value>,
    source_account: Option<Value>,
) {
    let mut props = json!({ "Action": "lambda:InvokeFunction", "FunctionName": function, "Principal": principal });
    if let Some(s) = source_arn {
        props["SourceArn"] = s;
    }
    if let Some(a) = source_account {
        props["SourceAccount"] = a;
    }
    t.add(id, resource("AWS::Lambda::Permission", props));
}

fn http_route(app: &App, ids: &FunctionIds, route: &HttpRoute, alias: &Value, t: &mut Template) {
    let key = route.key();
    if !t.resources.contains_key(&ids.http_integration()) {
        t.add(
            ids.http_integration(),
            resource(
                "AWS::ApiGatewayV2::Integration",
                json!({
                    "ApiId": { "Ref": names::HTTP_API },
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": alias,
                    "PayloadFormatVersion": "2.0",
                }),
            ),
        );
    }
    let mut props = json!({
        "ApiId": { "Ref": names::HTTP_API },
        "RouteKey": key,
        "Target": { "Fn::Join": ["/", ["integrations", { "Ref": ids.http_integration() }]] },
    });
    match &route.auth {
        HttpAuth::None => props["AuthorizationType"] = json!("NONE"),
        HttpAuth::Iam => props["AuthorizationType"] = json!("AWS_IAM"),
        HttpAuth::Jwt { scopes } => {
            props["AuthorizationType"] = json!("JWT");
            props["AuthorizerId"] = json!({ "Ref": names::HTTP_API_AUTHORIZER });
            if !scopes.is_empty() {
                props["AuthorizationScopes"] = json!(scopes);
            }
        }
    }
    t.add(ids.route(&key), resource("AWS::ApiGatewayV2::Route", props));
    // Scoped to this route: `/*/<METHOD>/<path>`, path parameters as `*`.
    let method = if route.method == HttpMethod::Any {
        "*".to_string()
    } else {
        route.method.as_str().to_string()
    };
    let path: Vec<String> = route
        .path
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                "*".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    let source = arn(&format!(
        "execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{}}}/*/{method}/{}",
        names::HTTP_API,
        path.join("/")
    ));
    let _ = app;
    permission(
        t,
        &ids.route_permission(&key),
        alias,
        "apigateway.amazonaws.com",
        Some(source),
        None,
    );
}

fn cors_value(c: &Cors) -> Value {
    let mut v = json!({ "AllowOrigins": c.origins });
    if !c.methods.is_empty() {
        v["AllowMethods"] = json!(c.methods);
    }
    if !c.headers.is_empty() {
        v["AllowHeaders"] = json!(c.headers);
    }
    if !c.expose_headers.is_empty() {
        v["ExposeHeaders"] = json!(c.expose_headers);
    }
    if let Some(m) = c.max_age {
        v["MaxAge"] = json!(m.secs());
    }
    if c.allow_credentials {
        v["AllowCredentials"] = json!(true);
    }
    v
}

/// CORS for the HTTP API.
pub fn http_cors(c: &Cors) -> Value {
    cors_value(c)
}

fn function_url(
    ids: &FunctionIds,
    f: &Function,
    url: &FunctionUrl,
    alias: &Value,
    t: &mut Template,
) {
    let mut props = json!({
        "TargetFunctionArn": { "Ref": ids.function() },
        "Qualifier": f.alias,
        "AuthType": if url.iam { "AWS_IAM" } else { "NONE" },
        "InvokeMode": if url.stream { "RESPONSE_STREAM" } else { "BUFFERED" },
    });
    if let Some(c) = &url.cors {
        props["Cors"] = cors_value(c);
    }
    let mut r = resource("AWS::Lambda::Url", props);
    depends_on(&mut r, &[ids.alias()]);
    t.add(ids.url(), r);
    if !url.iam {
        // `public: true` was confirmed: anyone may call the URL.
        t.add(
            ids.url_permission(),
            resource(
                "AWS::Lambda::Permission",
                json!({
                    "Action": "lambda:InvokeFunctionUrl",
                    "FunctionName": alias,
                    "Principal": "*",
                    "FunctionUrlAuthType": "NONE",
                }),
            ),
        );
    }
    t.output(
        ids.url_output(),
        get_att(&ids.url(), "FunctionUrl"),
        "The function URL",
    );
}

fn autoscaling(
    ids: &FunctionIds,
    physical: &str,
    alias: &str,
    min: u32,
    max: u32,
    utilization: f64,
    t: &mut Template,
) {
    let mut target = resource(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({
            "MinCapacity": min,
            "MaxCapacity": max,
            "ResourceId": format!("function:{physical}:{alias}"),
            "ScalableDimension": "lambda:function:ProvisionedConcurrency",
            "ServiceNamespace": "lambda",
            "RoleARN": arn(&format!("iam::${{AWS::AccountId}}:role/{}", names::LAMBDA_CONCURRENCY_SCALING_ROLE)),
        }),
    );
    depends_on(&mut target, &[ids.alias()]);
    t.add(ids.scalable_target(), target);
    t.add(
        ids.scaling_policy(),
        resource(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            json!({
                "PolicyName": format!("{physical}-utilization"),
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": { "Ref": ids.scalable_target() },
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": utilization,
                    "PredefinedMetricSpecification": { "PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization" }
                }
            }),
        ),
    );
}

fn alarms(
    app: &App,
    ids: &FunctionIds,
    physical: &str,
    f: &Function,
    t: &mut Template,
) -> Vec<String> {
    let mut out = Vec::new();
    let actions: Vec<Value> = f
        .alarms
        .notify
        .iter()
        .map(|n| r#ref(&names::topic(n)))
        .collect();
    let dims = json!([
        { "Name": "FunctionName", "Value": physical },
        { "Name": "Resource", "Value": format!("{physical}:{}", f.alias) }
    ]);
    let mut add = |metric: &str, stat: Value, threshold: f64, what: &str| {
        let id = ids.alarm(metric);
        let mut props = json!({
            "AlarmDescription": format!("{what} of {physical}"),
            "Namespace": "AWS/Lambda",
            "MetricName": metric,
            "Dimensions": dims,
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        });
        for (k, v) in stat.as_object().into_iter().flatten() {
            props[k] = v.clone();
        }
        if !actions.is_empty() {
            props["AlarmActions"] = json!(actions);
            props["OKActions"] = json!(actions);
        }
        t.add(&id, resource("AWS::CloudWatch::Alarm", props));
        out.push(id);
    };
    if let Some(n) = f.alarms.errors {
        add(
            "Errors",
            json!({ "Statistic": "Sum" }),
            f64::from(n),
            "Errors",
        );
    }
    if let Some(n) = f.alarms.throttles {
        add(
            "Throttles",
            json!({ "Statistic": "Sum" }),
            f64::from(n),
            "Throttles",
        );
    }
    if let Some(d) = f.alarms.duration_p99 {
        add(
            "Duration",
            json!({ "ExtendedStatistic": "p99" }),
            (d.secs() * 1000) as f64,
            "p99 duration",
        );
    }
    let _ = app;
    out
}

/// CodeDeploy's name for a predefined Lambda deployment configuration.
fn predefined_config(s: Strategy) -> Option<&'static str> {
    Some(match s {
        Strategy::Canary {
            percent: 10,
            minutes: 5,
        } => "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        Strategy::Canary {
            percent: 10,
            minutes: 10,
        } => "CodeDeployDefault.LambdaCanary10Percent10Minutes",
        Strategy::Canary {
            percent: 10,
            minutes: 15,
        } => "CodeDeployDefault.LambdaCanary10Percent15Minutes",
        Strategy::Canary {
            percent: 10,
            minutes: 30,
        } => "CodeDeployDefault.LambdaCanary10Percent30Minutes",
        Strategy::Linear {
            percent: 10,
            minutes: 1,
        } => "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
        Strategy::Linear {
            percent: 10,
            minutes: 2,
        } => "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
        Strategy::Linear {
            percent: 10,
            minutes: 3,
        } => "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
        Strategy::Linear {
            percent: 10,
            minutes: 10,
        } => "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
        _ => return None,
    })
}

fn deployment(ids: &FunctionIds, s: Strategy, alarms: &[String], t: &mut Template) {
    let config_name = match predefined_config(s) {
        Some(n) => json!(n),
        None => {
            let routing = match s {
                Strategy::Canary { percent, minutes } => json!({
                    "Type": "TimeBasedCanary",
                    "TimeBasedCanary": { "CanaryPercentage": percent, "CanaryInterval": minutes }
                }),
                Strategy::Linear { percent, minutes } => json!({
                    "Type": "TimeBasedLinear",
                    "TimeBasedLinear": { "LinearPercentage": percent, "LinearInterval": minutes }
                }),
                Strategy::AllAtOnce => json!({ "Type": "AllAtOnce" }),
            };
            t.add(
                ids.deployment_config(),
                resource(
                    "AWS::CodeDeploy::DeploymentConfig",
                    json!({ "ComputePlatform": "Lambda", "TrafficRoutingConfig": routing }),
                ),
            );
            r#ref(&ids.deployment_config())
        }
    };
    let mut props = json!({
        "ApplicationName": { "Ref": names::CODE_DEPLOY_APP },
        "ServiceRoleArn": get_att(names::CODE_DEPLOY_ROLE, "Arn"),
        "DeploymentConfigName": config_name,
        "DeploymentStyle": { "DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL" },
        "AutoRollbackConfiguration": { "Enabled": true, "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
    });
    if !alarms.is_empty() {
        props["AlarmConfiguration"] = json!({
            "Enabled": true,
            "Alarms": alarms.iter().map(|a| json!({ "Name": { "Ref": a } })).collect::<Vec<_>>(),
        });
    }
    t.add(
        ids.deployment_group(),
        resource("AWS::CodeDeploy::DeploymentGroup", props),
    );
}
