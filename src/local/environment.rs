//! What a function sees when it runs locally: the variables Lambda sets,
//! and its own `environment:` with every reference resolved to the value it
//! would have once deployed (names, ARNs and URLs built from the app, the
//! stage, the region and a stand-in account id).

use std::path::Path;

use crate::manifest::interp::{Attr, Interp, Part, Pseudo, Ref, Section};
use crate::manifest::model::{App, Function, SecretSource, Tree};
use crate::names;

/// The account id ARNs are built with locally: moto's default account, so
/// that ARNs match when `--endpoint-url` points at a moto server.
pub const LOCAL_ACCOUNT: &str = "123456789012";

/// Where the function runs and what it may reach.
#[derive(Clone, Debug)]
pub struct Context {
    pub region: String,
    /// Passed on as `AWS_ENDPOINT_URL`, so the function's SDK calls go to a
    /// local emulator.
    pub endpoint_url: Option<String>,
    /// The base URL of `ferry local serve`, for `${http.url}`.
    pub http_url: String,
}

impl Context {
    /// `--region`, else the manifest's, else `AWS_REGION`, else us-east-1.
    pub fn new(app: &App, region: Option<&str>, endpoint_url: Option<&str>, port: u16) -> Context {
        let region = region
            .map(str::to_string)
            .or_else(|| app.region.clone())
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
            .or_else(|| {
                std::env::var("AWS_DEFAULT_REGION")
                    .ok()
                    .filter(|r| !r.is_empty())
            })
            .unwrap_or_else(|| "us-east-1".into());
        Context {
            region,
            endpoint_url: endpoint_url.map(str::to_string),
            http_url: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// The function's deployed name, `<app>-<stage>-<function>`.
pub fn function_name(app: &App, function: &str) -> String {
    names::physical(&app.name, &app.stage, function)
}

/// The ARN the function is invoked through (its alias).
pub fn function_arn(app: &App, function: &str, cx: &Context) -> String {
    let alias = app
        .functions
        .get(function)
        .map(|f| f.alias.as_str())
        .unwrap_or("live");
    qualified_function_arn(app, function, alias, cx)
}

/// The function's ARN with a version or alias: `...:function:<name>:<qualifier>`.
pub fn qualified_function_arn(app: &App, function: &str, qualifier: &str, cx: &Context) -> String {
    format!(
        "arn:aws:lambda:{}:{LOCAL_ACCOUNT}:function:{}:{qualifier}",
        cx.region,
        function_name(app, function)
    )
}

/// Variables passed through from ferry's own environment: credentials and
/// AWS settings (so the function can call AWS, or a local emulator), and
/// what a Rust program reads for its logs and backtraces.
const PASSED: [&str; 12] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "HOME",
    "PATH",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "AWS_LAMBDA_LOG_LEVEL",
    "AWS_LAMBDA_LOG_FORMAT",
];

/// What `ferry local serve` says at start when functions get the caller's
/// AWS credentials and no `--endpoint-url`: they then act on the real
/// account. `var` reads ferry's own environment.
pub fn credentials_notice(
    endpoint_url: Option<&str>,
    var: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    if endpoint_url.is_some() {
        return None;
    }
    let source = if var("AWS_ACCESS_KEY_ID").is_some() {
        "AWS_ACCESS_KEY_ID".to_string()
    } else if let Some(p) = var("AWS_PROFILE") {
        format!("profile `{p}`")
    } else {
        "the default AWS configuration".to_string()
    };
    Some(format!(
        "functions run with your AWS credentials ({source}) and reach real AWS; pass --endpoint-url to use an emulator instead"
    ))
}

/// The whole environment of a function's process, but for
/// `AWS_LAMBDA_RUNTIME_API` (set per instance).
pub fn variables(
    app: &App,
    function: &str,
    f: &Function,
    binary: &Path,
    cx: &Context,
) -> Vec<(String, String)> {
    let name = function_name(app, function);
    let task_root = binary
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut env: Vec<(String, String)> = PASSED
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    let log_group = names::log_group(&name);
    let day = super::instance::now_iso()[..10].replace('-', "/");
    let set = [
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory.to_string()),
        ("AWS_LAMBDA_FUNCTION_TIMEOUT", f.timeout.secs().to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", log_group),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!(
                "{day}/[$LATEST]{}",
                crate::names::short_hash(name.as_bytes(), 32)
            ),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        (
            "AWS_EXECUTION_ENV",
            format!("AWS_Lambda_{}", f.runtime.id().replace('.', "")),
        ),
        ("AWS_REGION", cx.region.clone()),
        ("AWS_DEFAULT_REGION", cx.region.clone()),
        ("_HANDLER", "bootstrap".into()),
        ("LAMBDA_TASK_ROOT", task_root.clone()),
        ("LAMBDA_RUNTIME_DIR", task_root),
        ("TZ", ":UTC".into()),
        ("LANG", "en_US.UTF-8".into()),
    ];
    env.extend(set.into_iter().map(|(k, v)| (k.to_string(), v)));
    if f.tracing {
        env.push(("_X_AMZN_TRACE_ID".into(), String::new()));
    }
    if let Some(url) = &cx.endpoint_url {
        env.push(("AWS_ENDPOINT_URL".into(), url.clone()));
    }
    for (k, v) in &f.environment {
        env.push((k.clone(), value(app, v, cx)));
    }
    // Later entries win, as in a shell.
    let mut seen = std::collections::BTreeSet::new();
    let mut out: Vec<(String, String)> = env
        .into_iter()
        .rev()
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect();
    out.reverse();
    out
}

/// A manifest string with its references resolved locally.
pub fn value(app: &App, i: &Interp, cx: &Context) -> String {
    i.parts
        .iter()
        .map(|p| match p {
            Part::Lit(l) => l.clone(),
            Part::Ref { target, .. } => resolve(app, target, cx),
        })
        .collect()
}

/// A free-form tree of the manifest (a payload, a pattern) as JSON, with
/// its references resolved locally.
pub fn tree(app: &App, t: &Tree, cx: &Context) -> serde_json::Value {
    use serde_json::Value;
    match t {
        Tree::Null => Value::Null,
        Tree::Bool(b) => Value::Bool(*b),
        Tree::Int(i) => Value::from(*i),
        Tree::Float(f) => Value::from(*f),
        Tree::Str(s) => Value::String(value(app, s, cx)),
        Tree::Seq(items) => Value::Array(items.iter().map(|i| tree(app, i, cx)).collect()),
        Tree::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), tree(app, v, cx)))
                .collect(),
        ),
    }
}

/// What a reference is worth once deployed, as far as it can be known
/// without AWS.
pub fn resolve(app: &App, r: &Ref, cx: &Context) -> String {
    let region = &cx.region;
    let acct = LOCAL_ACCOUNT;
    let physical = |n: &str| names::physical(&app.name, &app.stage, n);
    match r {
        Ref::App => app.name.clone(),
        Ref::Stage => app.stage.clone(),
        Ref::Aws(Pseudo::Region) => region.clone(),
        Ref::Aws(Pseudo::AccountId) => acct.into(),
        Ref::Aws(Pseudo::Partition) => "aws".into(),
        Ref::Aws(Pseudo::UrlSuffix) => "amazonaws.com".into(),
        Ref::Param(p) => app
            .parameters
            .get(p)
            .map(|p| p.value.clone())
            .unwrap_or_default(),
        Ref::HttpUrl => cx.http_url.clone(),
        Ref::Named(section, name) => {
            resolve(app, &Ref::Attr(*section, name.clone(), Attr::Arn), cx)
        }
        Ref::Attr(section, name, attr) => match (section, attr) {
            (Section::Tables, Attr::Name) => physical(name),
            (Section::Tables, Attr::StreamArn) => format!(
                "arn:aws:dynamodb:{region}:{acct}:table/{}/stream/1970-01-01T00:00:00.000",
                physical(name)
            ),
            (Section::Tables, _) => {
                format!("arn:aws:dynamodb:{region}:{acct}:table/{}", physical(name))
            }
            (Section::Queues, _) => {
                let fifo = app.queues.get(name).is_some_and(|q| q.fifo);
                let qname = names::queue_physical(&app.name, &app.stage, name, fifo);
                match attr {
                    Attr::Name => qname,
                    Attr::Url => match &cx.endpoint_url {
                        Some(e) => format!("{}/{acct}/{qname}", e.trim_end_matches('/')),
                        None => format!("https://sqs.{region}.amazonaws.com/{acct}/{qname}"),
                    },
                    _ => format!("arn:aws:sqs:{region}:{acct}:{qname}"),
                }
            }
            (Section::Topics, Attr::Name) => physical(name),
            (Section::Topics, _) => format!("arn:aws:sns:{region}:{acct}:{}", physical(name)),
            (Section::Buckets, attr) => {
                let bucket = names::bucket_physical_sub(&app.name, &app.stage, name)
                    .replace("${AWS::AccountId}", acct)
                    .replace("${AWS::Region}", region);
                match attr {
                    Attr::Name => bucket,
                    _ => format!("arn:aws:s3:::{bucket}"),
                }
            }
            (Section::Functions, Attr::Name) => physical(name),
            (Section::Functions, _) => function_arn(app, name, cx),
            (Section::StateMachines, Attr::Name) => physical(name),
            (Section::StateMachines, _) => {
                format!(
                    "arn:aws:states:{region}:{acct}:stateMachine:{}",
                    physical(name)
                )
            }
            (Section::Buses, Attr::Name) => physical(name),
            (Section::Buses, _) => {
                format!(
                    "arn:aws:events:{region}:{acct}:event-bus/{}",
                    physical(name)
                )
            }
            // The name a function reads the value by: the value itself stays
            // in SSM or Secrets Manager (AWS, or an emulator through
            // `--endpoint-url`).
            (Section::Secrets, attr) => match app.secrets.get(name).map(|s| &s.source) {
                Some(SecretSource::Ssm(p)) if *attr == Attr::Arn => format!(
                    "arn:aws:ssm:{region}:{acct}:parameter/{}",
                    p.strip_prefix('/').unwrap_or(p)
                ),
                Some(SecretSource::SecretsManager(id))
                    if *attr == Attr::Arn && !id.starts_with("arn:") =>
                {
                    format!("arn:aws:secretsmanager:{region}:{acct}:secret:{id}")
                }
                Some(SecretSource::Ssm(id) | SecretSource::SecretsManager(id)) => id.clone(),
                None => format!("<{r}>"),
            },
            (Section::Layers | Section::Parameters, _) => format!("<{r}>"),
        },
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn says_when_functions_get_real_credentials() {
        let keys = |k: &str| (k == "AWS_ACCESS_KEY_ID").then(|| "AKIA...".to_string());
        let said = credentials_notice(None, keys).unwrap();
        assert!(said.contains("AWS_ACCESS_KEY_ID") && said.contains("--endpoint-url"));
        let profile = |k: &str| (k == "AWS_PROFILE").then(|| "work".to_string());
        assert!(
            credentials_notice(None, profile)
                .unwrap()
                .contains("profile `work`")
        );
        assert!(
            credentials_notice(None, |_| None)
                .unwrap()
                .contains("default AWS configuration")
        );
        assert_eq!(
            credentials_notice(Some("http://127.0.0.1:5000"), keys),
            None
        );
    }
    use super::*;

    fn app() -> App {
        let text = "app: shop\nregion: eu-west-1\nparameters:\n  Greeting: { default: hi }\ntables:\n  orders: { partition_key: id }\nqueues:\n  jobs: { fifo: true }\nbuckets:\n  uploads: {}\nfunctions:\n  api:\n    environment:\n      TABLE: ${tables.orders.name}\n      QUEUE: ${queues.jobs.url}\n      BUCKET: ${buckets.uploads.name}\n      SAY: \"${params.Greeting} from ${app}-${stage}\"\n      URL: ${http.url}/x\n    triggers:\n      - http: GET /x\n";
        crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            text,
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"))
    }

    #[test]
    fn references_resolve_to_deployed_names() {
        let app = app();
        let cx = Context::new(&app, None, None, 9000);
        let f = &app.functions["api"];
        let env: std::collections::BTreeMap<String, String> =
            variables(&app, "api", f, Path::new("/w/target/debug/api"), &cx)
                .into_iter()
                .collect();
        assert_eq!(env["TABLE"], "shop-dev-orders");
        assert_eq!(
            env["QUEUE"],
            "https://sqs.eu-west-1.amazonaws.com/123456789012/shop-dev-jobs.fifo"
        );
        assert_eq!(env["BUCKET"], "shop-dev-uploads-123456789012-eu-west-1");
        assert_eq!(env["SAY"], "hi from shop-dev");
        assert_eq!(env["URL"], "http://127.0.0.1:9000/x");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "shop-dev-api");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], f.memory.to_string());
        assert_eq!(env["AWS_REGION"], "eu-west-1");
        assert_eq!(env["_HANDLER"], "bootstrap");
        assert_eq!(env["LAMBDA_TASK_ROOT"], "/w/target/debug");
        assert!(env["AWS_LAMBDA_LOG_GROUP_NAME"].ends_with("shop-dev-api"));
    }

    #[test]
    fn an_endpoint_reaches_the_function_and_queue_urls() {
        let app = app();
        let cx = Context::new(&app, Some("us-west-2"), Some("http://localhost:5000"), 9000);
        let env: std::collections::BTreeMap<String, String> =
            variables(&app, "api", &app.functions["api"], Path::new("/b/api"), &cx)
                .into_iter()
                .collect();
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://localhost:5000");
        assert_eq!(
            env["QUEUE"],
            "http://localhost:5000/123456789012/shop-dev-jobs.fifo"
        );
        assert_eq!(env["AWS_REGION"], "us-west-2");
    }

    #[test]
    fn buses_and_secrets_resolve_to_names_never_values() {
        let text = "app: shop\nregion: eu-west-1\nbuses:\n  orders: {}\nsecrets:\n  key: { ssm: \"/shop/${stage}/key\" }\n  db: { secretsmanager: shop/db }\nfunctions:\n  api:\n    environment:\n      BUS: ${buses.orders.name}\n      BUS_ARN: ${buses.orders.arn}\n      KEY: ${secrets.key.name}\n      KEY_ARN: ${secrets.key.arn}\n      DB: ${secrets.db.name}\n      DB_ARN: ${secrets.db.arn}\n";
        let app = crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            text,
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let cx = Context::new(&app, None, None, 9000);
        let env: std::collections::BTreeMap<String, String> =
            variables(&app, "api", &app.functions["api"], Path::new("/b/api"), &cx)
                .into_iter()
                .collect();
        assert_eq!(env["BUS"], "shop-dev-orders");
        assert_eq!(
            env["BUS_ARN"],
            "arn:aws:events:eu-west-1:123456789012:event-bus/shop-dev-orders"
        );
        assert_eq!(env["KEY"], "/shop/dev/key");
        assert_eq!(
            env["KEY_ARN"],
            "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/dev/key"
        );
        assert_eq!(env["DB"], "shop/db");
        assert_eq!(
            env["DB_ARN"],
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db"
        );
    }
}
