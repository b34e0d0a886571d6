//! Logical IDs and physical names: the one place they are derived.
//!
//! Synth names resources with these, deploy finds them with these, and
//! validation checks that they are unique. A logical ID is the PascalCase of
//! the entry's name plus a kind suffix (`request-unicorn` ->
//! `RequestUnicornFunction`); physical names are `<app>-<stage>-<name>`.

use sha2::{Digest, Sha256};

/// `request-unicorn` -> `RequestUnicorn`.
pub fn pascal(name: &str) -> String {
    pascal_with(name, "")
}

/// `pascal(name)` followed by `suffix`, built in one allocation (logical IDs
/// are made for every entry on every validation).
fn pascal_with(name: &str, suffix: &str) -> String {
    let mut out = String::with_capacity(name.len() + suffix.len());
    for part in name.split(['-', '_', '.', ' ', '/']) {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if c.is_ascii() => out.push(c.to_ascii_uppercase()),
            Some(c) => out.extend(c.to_uppercase()),
            None => continue,
        }
        out.push_str(chars.as_str());
    }
    out.push_str(suffix);
    out
}

/// The first `n` hex digits of the SHA-256 of `data`.
pub fn short_hash(data: &[u8], n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(data);
    digest
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .take(n)
        .map(char::from)
        .collect()
}

/// Logical IDs of one function's resources.
pub struct FunctionIds {
    p: String,
}

impl FunctionIds {
    pub fn new(function: &str) -> Self {
        FunctionIds {
            p: pascal(function),
        }
    }
    /// The function's PascalCase name followed by `suffix`.
    fn with(&self, suffix: &str) -> String {
        let mut id = String::with_capacity(self.p.len() + suffix.len());
        id.push_str(&self.p);
        id.push_str(suffix);
        id
    }
    pub fn function(&self) -> String {
        self.with("Function")
    }
    pub fn role(&self) -> String {
        self.with("Role")
    }
    pub fn log_group(&self) -> String {
        self.with("LogGroup")
    }
    /// `hash` is the hash of the function's code and configuration.
    pub fn version(&self, hash: &str) -> String {
        format!("{}Version{}", self.p, hash)
    }
    pub fn alias(&self) -> String {
        self.with("Alias")
    }
    pub fn url(&self) -> String {
        self.with("Url")
    }
    pub fn url_permission(&self) -> String {
        self.with("UrlPermission")
    }
    pub fn url_invoke_permission(&self) -> String {
        self.with("UrlInvokePermission")
    }
    pub fn http_integration(&self) -> String {
        self.with("HttpIntegration")
    }
    /// A route of the HTTP API: readable, with a hash of the route key so
    /// that `/a/{b}` and `/a/b` differ.
    pub fn route(&self, route_key: &str) -> String {
        format!(
            "{}Route{}{}",
            self.p,
            pascal_route(route_key),
            short_hash(route_key.as_bytes(), 6)
        )
    }
    pub fn route_permission(&self, route_key: &str) -> String {
        format!("{}Permission", self.route(route_key))
    }
    /// The trigger at `index` of the function's list, of the given kind
    /// (`Schedule`, `Queue`, `Stream`, `Topic`, `Bucket`, `Event`).
    pub fn trigger(&self, kind: &str, index: usize) -> String {
        format!("{}{}{}", self.p, kind, index)
    }
    pub fn event_invoke_config(&self) -> String {
        self.with("EventInvokeConfig")
    }
    pub fn scalable_target(&self) -> String {
        self.with("ScalableTarget")
    }
    pub fn scaling_policy(&self) -> String {
        self.with("ScalingPolicy")
    }
    pub fn deployment_group(&self) -> String {
        self.with("DeploymentGroup")
    }
    pub fn deployment_config(&self) -> String {
        self.with("DeploymentConfig")
    }
    /// `Errors`, `Throttles` or `Duration`.
    pub fn alarm(&self, metric: &str) -> String {
        format!("{}{}Alarm", self.p, metric)
    }
    pub fn invoke_permission(&self, index: usize) -> String {
        format!("{}InvokePermission{}", self.p, index)
    }
    /// Stack output: the alias ARN.
    pub fn alias_output(&self) -> String {
        self.with("AliasArn")
    }
    /// Stack output: the function URL.
    pub fn url_output(&self) -> String {
        self.with("FunctionUrl")
    }
}

fn pascal_route(route_key: &str) -> String {
    let mut s = String::new();
    for word in route_key.split(|c: char| !c.is_ascii_alphanumeric()) {
        let lower = word.to_ascii_lowercase();
        s.push_str(&pascal(&lower));
    }
    s.chars().take(60).collect()
}

pub fn table(name: &str) -> String {
    pascal_with(name, "Table")
}
pub fn queue(name: &str) -> String {
    pascal_with(name, "Queue")
}
pub fn topic(name: &str) -> String {
    pascal_with(name, "Topic")
}
pub fn bucket(name: &str) -> String {
    pascal_with(name, "Bucket")
}
pub fn bucket_policy(name: &str) -> String {
    pascal_with(name, "BucketPolicy")
}
pub fn bus(name: &str) -> String {
    pascal_with(name, "Bus")
}
pub fn layer(name: &str) -> String {
    pascal_with(name, "Layer")
}
pub fn state_machine(name: &str) -> String {
    pascal_with(name, "StateMachine")
}
pub fn state_machine_role(name: &str) -> String {
    pascal_with(name, "StateMachineRole")
}
/// The role EventBridge uses to start a state machine from a trigger.
pub fn state_machine_events_role(name: &str) -> String {
    pascal_with(name, "StateMachineEventsRole")
}
pub fn state_machine_trigger(name: &str, kind: &str, index: usize) -> String {
    format!("{}StateMachine{}{}", pascal(name), kind, index)
}

pub const HTTP_API: &str = "HttpApi";
pub const HTTP_API_STAGE: &str = "HttpApiDefaultStage";
pub const HTTP_API_AUTHORIZER: &str = "HttpApiJwtAuthorizer";
pub const HTTP_API_ACCESS_LOGS: &str = "HttpApiAccessLogs";
pub const HTTP_API_URL_OUTPUT: &str = "HttpApiUrl";
/// The custom domain of the HTTP API (`http.domain`), its mapping to the
/// `$default` stage, and with a hosted zone its certificate and DNS record.
pub const HTTP_API_DOMAIN: &str = "HttpApiDomainName";
pub const HTTP_API_MAPPING: &str = "HttpApiMapping";
pub const HTTP_API_CERTIFICATE: &str = "HttpApiCertificate";
pub const HTTP_API_DNS_RECORD: &str = "HttpApiDnsRecord";
pub const CODE_DEPLOY_APP: &str = "CodeDeployApplication";
pub const CODE_DEPLOY_ROLE: &str = "CodeDeployServiceRole";
/// Template parameter holding the artifact bucket, when synth does not know
/// it.
pub const ARTIFACT_BUCKET_PARAM: &str = "ArtifactBucket";

/// `<app>-<stage>`: the stack name, and the prefix of physical names.
pub fn stack(app: &str, stage: &str) -> String {
    format!("{app}-{stage}")
}

/// `<app>-<stage>-<name>`: functions, tables, topics, state machines.
pub fn physical(app: &str, stage: &str, name: &str) -> String {
    format!("{app}-{stage}-{name}")
}

/// Queue names carry `.fifo` when FIFO.
pub fn queue_physical(app: &str, stage: &str, name: &str, fifo: bool) -> String {
    let base = physical(app, stage, name);
    if fifo { format!("{base}.fifo") } else { base }
}

/// A bucket's name, as a `Fn::Sub` string: globally unique through the
/// account and region, at most 63 characters. Known before the bucket
/// exists, so that notifications, permissions and roles can name it without
/// depending on it (which would make a cycle).
pub fn bucket_physical_sub(app: &str, stage: &str, name: &str) -> String {
    let base = physical(app, stage, name);
    // `-${AWS::AccountId}-${AWS::Region}` adds at most 28 characters.
    let base = if base.len() > 35 {
        format!(
            "{}-{}",
            &base[..26].trim_end_matches('-'),
            short_hash(base.as_bytes(), 8)
        )
    } else {
        base
    };
    format!("{base}-${{AWS::AccountId}}-${{AWS::Region}}")
}

/// The access log group of the app's HTTP API. The `/aws/vendedlogs/`
/// prefix keeps CloudWatch Logs from adding each group to its size-limited
/// resource policy.
pub fn http_api_access_log_group(app: &str, stage: &str) -> String {
    format!("/aws/vendedlogs/apigateway/{}", stack(app, stage))
}

/// The CloudWatch Logs group of a function.
pub fn log_group(function_physical: &str) -> String {
    format!("/aws/lambda/{function_physical}")
}

/// A pipeline's CloudFormation deploy role for one stage (logical ID).
pub fn pipeline_deploy_role(stage: &str) -> String {
    format!("DeployRole{}", pascal(stage))
}

/// A pipeline's permissions boundary for one stage (logical ID).
pub fn pipeline_boundary(stage: &str) -> String {
    format!("PermissionsBoundary{}", pascal(stage))
}

/// `<app>-<stage>-boundary`: the managed policy that a pipeline creates as
/// the permissions boundary of every role of the stage.
pub fn boundary_policy(app: &str, stage: &str) -> String {
    format!("{}-boundary", stack(app, stage))
}

/// The ARN of [`boundary_policy`], as a `Fn::Sub` string.
pub fn boundary_policy_arn_sub(app: &str, stage: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{}",
        boundary_policy(app, stage)
    )
}

/// The service-linked role with which Application Auto Scaling manages a
/// function's provisioned concurrency (path and name).
pub const LAMBDA_CONCURRENCY_SCALING_ROLE: &str = "aws-service-role/lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency";

/// The name of the per-account-and-region bootstrap stack.
pub const BOOTSTRAP_STACK: &str = "ferry-bootstrap";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_follow_the_spec() {
        assert_eq!(
            FunctionIds::new("request-unicorn").function(),
            "RequestUnicornFunction"
        );
        assert_eq!(
            FunctionIds::new("request-unicorn").role(),
            "RequestUnicornRole"
        );
        assert_eq!(table("rides"), "RidesTable");
    }

    #[test]
    fn routes_with_and_without_parameters_differ() {
        let f = FunctionIds::new("a");
        assert_ne!(f.route("GET /a/{b}"), f.route("GET /a/b"));
        assert!(f.route("POST /ride").starts_with("ARoutePostRide"));
    }

    #[test]
    fn bucket_names_fit_s3_limits() {
        let long = bucket_physical_sub(&"a".repeat(40), "production", &"b".repeat(40));
        let shown = long
            .replace("${AWS::AccountId}", "123456789012")
            .replace("${AWS::Region}", "ap-southeast-3");
        assert!(shown.len() <= 63, "{shown}");
        assert_eq!(shown, shown.to_lowercase());
    }
}
