//! `ferry info`: the deployed app at a glance. `gather` reads the stack,
//! its nested stacks, their outputs and each function's configuration and
//! alias through the `aws` traits; `assemble` and `text` are pure.
//! What the service cannot say (an alias a local emulator does not model,
//! a function that is missing) shows as unknown instead of failing.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::{AwsError, CloudFormation, FunctionConfig, Inspect, StackResource};
use crate::manifest::model::App;
use crate::names;

/// Why `ferry info` could not read the deployed app.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The stack does not exist (DescribeStacks said so).
    #[error("stack {stack} does not exist (stage `{stage}`): run `ferry deploy`")]
    NotDeployed { stack: String, stage: String },
    /// Reading the stack failed (AWS's code kept).
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// Reading the nested stacks failed.
    #[error("{0}")]
    Deploy(#[from] crate::deploy::Error),
}

impl Error {
    /// AWS's error code, when an AWS call failed with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::NotDeployed { .. } => None,
            Error::Aws(e) => e.code(),
            Error::Deploy(e) => e.code(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Info {
    pub stack: String,
    pub status: String,
    /// When the last create or update of the stack finished (RFC 3339).
    pub last_deploy: Option<String>,
    pub http_api: Option<HttpApi>,
    /// Function URLs by function.
    pub function_urls: BTreeMap<String, String>,
    pub functions: Vec<FunctionInfo>,
    pub resources: Vec<ResourceInfo>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpApi {
    /// `None` when the stack has no such output.
    pub url: Option<String>,
    /// As the manifest declares them.
    pub routes: Vec<Route>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Route {
    /// `POST /ride`.
    pub route: String,
    pub function: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionInfo {
    pub name: String,
    pub physical: String,
    pub alias: String,
    /// The version the alias points to; `None`: unknown.
    pub version: Option<String>,
    /// `None` when Lambda does not know the function.
    pub config: Option<Config>,
    /// Its code was hotswapped since the last change set (the stack's
    /// template names other code).
    pub hotswapped: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    pub runtime: Option<String>,
    pub architecture: Option<String>,
    pub memory_mb: Option<i32>,
    pub timeout_s: Option<i32>,
    pub code_size: i64,
    /// The first 8 hex digits of the package's SHA-256 (as in its key).
    pub sha8: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceInfo {
    /// table, queue, topic, bucket, bus, state_machine.
    pub kind: &'static str,
    pub name: String,
    /// `None`: not in the deployed stack.
    pub physical: Option<String>,
    /// The nested stack holding it (logical IDs joined by `/`), or `""`.
    pub stack: String,
}

/// What `gather` read, for `assemble`.
#[derive(Clone, Debug, Default)]
pub struct Read {
    pub stack: String,
    pub status: String,
    pub last_deploy: Option<String>,
    /// Every resource, with the nested stack holding it (`""`: the root).
    pub resources: Vec<(String, StackResource)>,
    pub outputs: BTreeMap<String, String>,
    pub configs: BTreeMap<String, FunctionConfig>,
    pub aliases: BTreeMap<String, String>,
    /// Functions hotswapped since the last change set.
    pub hotswapped: std::collections::BTreeSet<String>,
}

/// Reads the deployed app. Fails only when the stack cannot be read.
pub async fn gather<A: CloudFormation + Inspect>(aws: &A, app: &App) -> Result<Read, Error> {
    let name = app.stack_name();
    let s = aws
        .describe_stack(&name)
        .await?
        .ok_or_else(|| Error::NotDeployed {
            stack: name.clone(),
            stage: app.stage.clone(),
        })?;
    let last_deploy = aws
        .stack_events(&s.id, None)
        .await
        .unwrap_or_default()
        .iter()
        .find(|e| {
            e.resource_type == crate::state::NESTED_STACK_TYPE
                && e.logical_id == name
                && crate::deploy::events::is_success(&e.status)
        })
        .map(|e| crate::logs::time((e.timestamp * 1000.0) as i64));
    let mut resources = Vec::new();
    for (prefix, id) in crate::deploy::stack_tree(aws, &s).await? {
        let at = prefix.trim_end_matches('/').to_string();
        for r in aws.stack_resources(&id).await.unwrap_or_default() {
            resources.push((at.clone(), r));
        }
    }
    let outputs = crate::deploy::all_outputs(aws, &name)
        .await
        .unwrap_or_default();
    let mut configs = BTreeMap::new();
    let mut aliases = BTreeMap::new();
    for (f, spec) in &app.functions {
        let physical = names::physical(&app.name, &app.stage, f);
        if let Ok(Some(c)) = aws.function_config(&physical).await {
            configs.insert(f.clone(), c);
        }
        if let Ok(Some(v)) = aws.alias_version(&physical, &spec.alias).await {
            aliases.insert(f.clone(), v);
        }
    }
    let templates = crate::deploy::deployed_templates(aws, &name)
        .await
        .unwrap_or_default();
    let live: BTreeMap<String, Option<String>> = configs
        .iter()
        .map(|(f, c)| {
            (
                f.clone(),
                c.code_sha256
                    .as_deref()
                    .and_then(crate::deploy::hotswap::hex_of_base64),
            )
        })
        .collect();
    let hotswapped = crate::deploy::hotswap::drift(&templates, app, &live)
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    Ok(Read {
        stack: name,
        status: s.status,
        last_deploy,
        resources,
        outputs,
        configs,
        aliases,
        hotswapped,
    })
}

fn sha8(b64: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some(bytes.iter().take(4).map(|b| format!("{b:02x}")).collect())
}

/// The app's view of what was read.
pub fn assemble(app: &App, read: &Read) -> Info {
    let find = |logical: &str| {
        read.resources
            .iter()
            .find(|(_, r)| r.logical_id == logical)
            .map(|(at, r)| (at.clone(), r.physical_id.clone()))
    };
    let functions = app
        .functions
        .iter()
        .map(|(name, f)| FunctionInfo {
            name: name.clone(),
            physical: names::physical(&app.name, &app.stage, name),
            alias: f.alias.clone(),
            version: read.aliases.get(name).cloned(),
            config: read.configs.get(name).map(|c| Config {
                runtime: c.runtime.clone(),
                architecture: c.architecture.clone(),
                memory_mb: c.memory_mb,
                timeout_s: c.timeout_s,
                code_size: c.code_size,
                sha8: c.code_sha256.as_deref().and_then(sha8),
                last_modified: c.last_modified.clone(),
            }),
            hotswapped: read.hotswapped.contains(name),
        })
        .collect();
    let mut resources = Vec::new();
    let mut add = |kind: &'static str, name: &str, logical: String| {
        let (stack, physical) = find(&logical).unwrap_or_default();
        resources.push(ResourceInfo {
            kind,
            name: name.to_string(),
            physical,
            stack,
        });
    };
    for n in app.tables.keys() {
        add("table", n, names::table(n));
    }
    for n in app.queues.keys() {
        add("queue", n, names::queue(n));
    }
    for n in app.topics.keys() {
        add("topic", n, names::topic(n));
    }
    for n in app.buckets.keys() {
        add("bucket", n, names::bucket(n));
    }
    for n in app.buses.keys() {
        add("bus", n, names::bus(n));
    }
    for n in app.state_machines.keys() {
        add("state_machine", n, names::state_machine(n));
    }
    let routes: Vec<Route> = app
        .functions
        .iter()
        .flat_map(|(name, f)| {
            f.triggers.iter().filter_map(move |t| match &t.kind {
                crate::manifest::model::TriggerKind::Http(r) => Some(Route {
                    route: r.key(),
                    function: name.clone(),
                }),
                _ => None,
            })
        })
        .collect();
    let http_api = app.has_http_api().then(|| HttpApi {
        url: read.outputs.get(names::HTTP_API_URL_OUTPUT).cloned(),
        routes,
    });
    let function_urls = app
        .functions
        .keys()
        .filter_map(|f| {
            read.outputs
                .get(&names::FunctionIds::new(f).url_output())
                .map(|u| (f.clone(), u.clone()))
        })
        .collect();
    Info {
        stack: read.stack.clone(),
        status: read.status.clone(),
        last_deploy: read.last_deploy.clone(),
        http_api,
        function_urls,
        functions,
        resources,
    }
}

fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const UNKNOWN: &str = "unknown";

/// `ferry info` for people.
pub fn text(i: &Info) -> String {
    let mut out = format!(
        "Stack {} is {} (last deploy: {})\n",
        i.stack,
        i.status,
        i.last_deploy.as_deref().unwrap_or(UNKNOWN)
    );
    if i.http_api.is_some() || !i.function_urls.is_empty() {
        out.push_str("\nEndpoints\n");
        let mut rows = Vec::new();
        if let Some(api) = &i.http_api {
            let base = api.url.as_deref().unwrap_or(UNKNOWN);
            rows.push(vec![
                "HTTP API".to_string(),
                base.to_string(),
                String::new(),
            ]);
            for r in &api.routes {
                rows.push(vec![
                    String::new(),
                    r.route.clone(),
                    format!("-> {}", r.function),
                ]);
            }
        }
        for (f, url) in &i.function_urls {
            rows.push(vec!["URL".to_string(), url.clone(), format!("-> {f}")]);
        }
        out.push_str(&columns(&rows));
    }
    out.push_str("\nFunctions\n");
    let mut rows = vec![
        [
            "NAME", "ALIAS", "VERSION", "RUNTIME", "ARCH", "MEMORY", "TIMEOUT", "CODE", "SHA8",
            "MODIFIED",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for f in &i.functions {
        let c = f.config.as_ref();
        let opt = |v: Option<String>| v.unwrap_or_else(|| UNKNOWN.to_string());
        rows.push(vec![
            f.name.clone(),
            f.alias.clone(),
            opt(f.version.clone()),
            opt(c.and_then(|c| c.runtime.clone())),
            opt(c.and_then(|c| c.architecture.clone())),
            opt(c.and_then(|c| c.memory_mb).map(|m| format!("{m} MB"))),
            opt(c.and_then(|c| c.timeout_s).map(|t| format!("{t}s"))),
            opt(c.map(|c| crate::build::archive::human(c.code_size.max(0) as u64))),
            opt(c.and_then(|c| c.sha8.clone())) + if f.hotswapped { " (hotswapped)" } else { "" },
            opt(c.and_then(|c| c.last_modified.clone())),
        ]);
    }
    out.push_str(&columns(&rows));
    if !i.resources.is_empty() {
        out.push_str("\nResources\n");
        let rows: Vec<Vec<String>> = i
            .resources
            .iter()
            .map(|r| {
                vec![
                    r.kind.replace('_', " "),
                    r.name.clone(),
                    r.physical
                        .clone()
                        .unwrap_or_else(|| "not deployed".to_string()),
                    if r.stack.is_empty() {
                        String::new()
                    } else {
                        format!("(in {})", r.stack)
                    },
                ]
            })
            .collect();
        out.push_str(&columns(&rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsResult;

    fn app() -> App {
        let yaml = "app: rides
tables:
  rides: { partition_key: id }
buses:
  trips: {}
functions:
  api:
    triggers:
      - http: POST /ride
  hook:
    triggers:
      - url: { auth: iam }
";
        crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            yaml,
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// CloudFormation and Lambda as recorded for a split app: the table in
    /// the root, the function's stack nested, the HTTP API URL an output of
    /// the root and the alias at version 7.
    struct Recorded;

    fn stack(id: &str, status: &str, outputs: &[(&str, &str)]) -> crate::aws::Stack {
        crate::aws::Stack {
            id: id.into(),
            name: id.into(),
            status: status.into(),
            status_reason: None,
            outputs: outputs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    impl CloudFormation for Recorded {
        async fn describe_stack(&self, name: &str) -> AwsResult<Option<crate::aws::Stack>> {
            Ok(match name {
                "rides-dev" => Some(stack(
                    "rides-dev",
                    "UPDATE_COMPLETE",
                    &[(
                        "HttpApiUrl",
                        "https://abc.execute-api.us-east-1.amazonaws.com",
                    )],
                )),
                "nested-1" => Some(stack(
                    "nested-1",
                    "UPDATE_COMPLETE",
                    &[(
                        "HookFunctionUrl",
                        "https://xyz.lambda-url.us-east-1.on.aws/",
                    )],
                )),
                // A stack ferry may not read.
                "locked-dev" => {
                    return Err(AwsError {
                        code: Some("AccessDenied".into()),
                        message: format!("DescribeStacks: not authorized to read {name}"),
                    });
                }
                _ => None,
            })
        }
        async fn create_change_set(&self, _: &crate::aws::ChangeSetRequest) -> AwsResult<String> {
            unreachable!("info changes nothing")
        }
        async fn describe_change_set(&self, _: &str) -> AwsResult<crate::aws::ChangeSet> {
            unreachable!("info changes nothing")
        }
        async fn execute_change_set(&self, _: &str) -> AwsResult<()> {
            unreachable!("info changes nothing")
        }
        async fn delete_change_set(&self, _: &str) -> AwsResult<()> {
            unreachable!("info changes nothing")
        }
        async fn stack_events(
            &self,
            stack: &str,
            _: Option<&str>,
        ) -> AwsResult<Vec<crate::aws::StackEvent>> {
            let ev = |t: f64, id: &str, status: &str| crate::aws::StackEvent {
                id: format!("{t}"),
                stack_name: stack.into(),
                logical_id: id.into(),
                physical_id: None,
                resource_type: crate::state::NESTED_STACK_TYPE.into(),
                status: status.into(),
                reason: None,
                timestamp: t,
            };
            // Newest first.
            Ok(vec![
                ev(1_764_658_260.0, "rides-dev", "UPDATE_COMPLETE"),
                ev(1_764_658_250.0, "Nested1x0", "UPDATE_COMPLETE"),
                ev(1_764_658_200.0, "rides-dev", "UPDATE_IN_PROGRESS"),
            ])
        }
        async fn delete_stack(&self, _: &str) -> AwsResult<()> {
            unreachable!("info changes nothing")
        }
        /// The deployed templates, for drift: this recorded stack's
        /// functions run the code their templates name.
        async fn get_template(&self, _: &str) -> AwsResult<String> {
            Ok("{\"Resources\": {}}".into())
        }
        async fn stack_resources(&self, name: &str) -> AwsResult<Vec<StackResource>> {
            let r = |l: &str, p: &str, t: &str| StackResource {
                logical_id: l.into(),
                physical_id: Some(p.into()),
                resource_type: t.into(),
            };
            Ok(match name {
                "rides-dev" => vec![
                    r("RidesTable", "rides-dev-rides", "AWS::DynamoDB::Table"),
                    r("TripsBus", "rides-dev-trips", "AWS::Events::EventBus"),
                    r("Nested1x0", "nested-1", crate::state::NESTED_STACK_TYPE),
                ],
                "nested-1" => vec![r("ApiFunction", "rides-dev-api", "AWS::Lambda::Function")],
                _ => vec![],
            })
        }
    }

    impl Inspect for Recorded {
        async fn function_config(&self, f: &str) -> AwsResult<Option<FunctionConfig>> {
            Ok((f == "rides-dev-api").then(|| FunctionConfig {
                runtime: Some("provided.al2023".into()),
                architecture: Some("arm64".into()),
                memory_mb: Some(128),
                timeout_s: Some(3),
                code_size: 1_300_000,
                code_sha256: Some("3q2+7w==".into()),
                last_modified: Some("2026-12-02T06:51:00.000+0000".into()),
                last_update_status: Some("Successful".into()),
                last_update_reason: None,
            }))
        }
        async fn alias_version(&self, f: &str, alias: &str) -> AwsResult<Option<String>> {
            Ok((f == "rides-dev-api" && alias == "live").then(|| "7".to_string()))
        }
    }

    #[test]
    fn gathered_through_the_traits_with_nested_stacks() {
        let read = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(gather(&Recorded, &app()))
            .unwrap();
        assert_eq!(
            read.last_deploy.as_deref(),
            Some("2025-12-02T06:51:00.000Z")
        );
        let i = assemble(&app(), &read);
        assert_eq!(i.functions[0].version.as_deref(), Some("7"));
        assert_eq!(i.functions[1].version, None);
        assert_eq!(
            i.http_api.as_ref().and_then(|a| a.url.as_deref()),
            Some("https://abc.execute-api.us-east-1.amazonaws.com")
        );
        assert_eq!(
            i.function_urls.get("hook").map(String::as_str),
            Some("https://xyz.lambda-url.us-east-1.on.aws/")
        );
        assert_eq!(i.resources[0].physical.as_deref(), Some("rides-dev-rides"));
        let bus = i.resources.iter().find(|r| r.kind == "bus").unwrap();
        assert_eq!(
            (bus.name.as_str(), bus.physical.as_deref()),
            ("trips", Some("rides-dev-trips"))
        );
        let t = text(&i);
        let api = t
            .lines()
            .find(|l| l.trim_start().starts_with("api "))
            .unwrap();
        assert!(
            api.contains(" live ") && api.contains(" 7 ") && api.contains("deadbeef"),
            "{api}"
        );
    }

    #[test]
    fn a_missing_stack_is_not_deployed_and_other_failures_keep_their_code() {
        let named = |name: &str| {
            let mut a = app();
            a.name = name.into();
            a
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let e = rt.block_on(gather(&Recorded, &named("gone"))).unwrap_err();
        assert!(matches!(e, Error::NotDeployed { .. }), "{e:?}");
        assert_eq!(e.code(), None);
        assert_eq!(
            e.to_string(),
            "stack gone-dev does not exist (stage `dev`): run `ferry deploy`"
        );
        let e = rt
            .block_on(gather(&Recorded, &named("locked")))
            .unwrap_err();
        assert!(matches!(e, Error::Aws(_)), "{e:?}");
        assert_eq!(e.code(), Some("AccessDenied"));
        assert_eq!(
            e.to_string(),
            "DescribeStacks: not authorized to read locked-dev"
        );
    }

    fn resource(logical: &str, physical: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: Some(physical.into()),
            resource_type: "AWS::DynamoDB::Table".into(),
        }
    }

    /// The answers AWS gives (recorded): an alias at version 3, the API
    /// and URL outputs, a table in a nested stack.
    #[test]
    fn a_deployed_app_with_alias_routes_and_urls() {
        let read = Read {
            stack: "rides-dev".into(),
            status: "UPDATE_COMPLETE".into(),
            last_deploy: Some("2026-12-02T06:00:00Z".into()),
            resources: vec![(
                "Nested1x0".into(),
                resource("RidesTable", "rides-dev-rides"),
            )],
            outputs: BTreeMap::from([
                (
                    "HttpApiUrl".to_string(),
                    "https://abc.execute-api.us-east-1.amazonaws.com".to_string(),
                ),
                (
                    "HookFunctionUrl".to_string(),
                    "https://xyz.lambda-url.us-east-1.on.aws/".to_string(),
                ),
            ]),
            configs: BTreeMap::from([(
                "api".to_string(),
                FunctionConfig {
                    runtime: Some("provided.al2023".into()),
                    architecture: Some("arm64".into()),
                    memory_mb: Some(128),
                    timeout_s: Some(3),
                    code_size: 2048,
                    code_sha256: Some("3q2+7w==".into()),
                    last_modified: Some("2026-12-02T06:00:00.000+0000".into()),
                    last_update_status: Some("Successful".into()),
                    last_update_reason: None,
                },
            )]),
            aliases: BTreeMap::from([("api".to_string(), "3".to_string())]),
            hotswapped: ["api".to_string()].into(),
        };
        let i = assemble(&app(), &read);
        assert_eq!(i.functions[0].version.as_deref(), Some("3"));
        assert_eq!(
            i.functions[0].config.as_ref().unwrap().sha8.as_deref(),
            Some("deadbeef")
        );
        assert!(i.functions[0].hotswapped);
        assert!(text(&i).contains("(hotswapped)"), "{}", text(&i));
        assert_eq!(i.resources[0].stack, "Nested1x0");
        let t = text(&i);
        assert!(
            t.contains("Stack rides-dev is UPDATE_COMPLETE (last deploy: 2026-12-02T06:00:00Z)"),
            "{t}"
        );
        assert!(t.contains("HTTP API  https://abc.execute-api"), "{t}");
        assert!(t.contains("POST /ride"), "{t}");
        assert!(t.contains("-> api"), "{t}");
        assert!(
            t.lines()
                .any(|l| l.contains("https://xyz.lambda-url.us-east-1.on.aws/")
                    && l.ends_with("-> hook")),
            "{t}"
        );
        assert!(t.contains("rides-dev-rides  (in Nested1x0)"), "{t}");
        // What Lambda did not say is unknown, not an error.
        let hook = t
            .lines()
            .find(|l| l.trim_start().starts_with("hook"))
            .unwrap();
        assert!(hook.contains("unknown"), "{hook}");
    }
}
