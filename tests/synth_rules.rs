//! The rules synth must keep, checked on the model-to-template function
//! directly: least privilege, alias targeting, determinism, versions, and
//! the nested-stack split.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ferry::manifest::{Disk, load_str, model::App};
use ferry::synth::{Artifacts, Stacks, synth};
use serde_json::Value;

fn app_from(path: &Path, text: &str) -> App {
    load_str(path, text, "dev", &Disk).unwrap_or_else(|e| panic!("{e:?}"))
}

fn app(text: &str) -> App {
    app_from(Path::new("ferry.yaml"), text)
}

fn all_features() -> App {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/apps/all-features/ferry.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    app_from(&path, &text)
}

fn template(app: &App) -> Value {
    synth(app, &Artifacts::default()).root.to_value()
}

fn resources_of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

/// Every action of every statement of a role.
fn actions(role: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in role["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for s in p["PolicyDocument"]["Statement"].as_array().unwrap() {
            match &s["Action"] {
                Value::String(a) => out.push(a.clone()),
                Value::Array(a) => out.extend(a.iter().map(|x| x.as_str().unwrap().to_string())),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

#[test]
fn read_access_grants_no_write_action() {
    let a = app(
        "app: x\ntables:\n  t: { partition_key: id }\nfunctions:\n  f:\n    access: { tables: { t: read } }\n",
    );
    let t = template(&a);
    let acts = actions(&t["Resources"]["FRole"]);
    for w in [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ] {
        assert!(!acts.contains(&w.to_string()), "{w} in {acts:?}");
    }
    assert!(acts.contains(&"dynamodb:Query".to_string()));
}

#[test]
fn put_item_access_gives_put_item_and_own_logs_only() {
    let a = app(
        "app: x\ntables:\n  rides: { partition_key: RideId }\nfunctions:\n  f:\n    access: { tables: { rides: [PutItem] } }\n",
    );
    let t = template(&a);
    assert_eq!(
        actions(&t["Resources"]["FRole"]),
        vec![
            "dynamodb:PutItem",
            "logs:CreateLogStream",
            "logs:PutLogEvents"
        ]
    );
    let doc = &t["Resources"]["FRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let logs = doc
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "Logs")
        .unwrap();
    assert_eq!(logs["Resource"][0]["Fn::GetAtt"][0], "FLogGroup");
    let table = doc
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "TableRides")
        .unwrap();
    assert_eq!(table["Resource"][0]["Fn::GetAtt"][0], "RidesTable");
}

#[test]
fn state_machine_role_invokes_exactly_the_referenced_functions() {
    let t = template(&all_features());
    let role = &t["Resources"]["OrderFlowStateMachineRole"];
    let statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let invoke: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Action"][0] == "lambda:InvokeFunction")
        .collect();
    let mut named: Vec<String> = invoke
        .iter()
        .flat_map(|s| s["Resource"].as_array().unwrap().iter())
        .map(|r| {
            r["Fn::Sub"]
                .as_str()
                .unwrap()
                .rsplit("function:")
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    named.sort();
    named.dedup();
    assert_eq!(
        named,
        vec![
            "shop-dev-api",
            "shop-dev-api:*",
            "shop-dev-worker",
            "shop-dev-worker:*"
        ]
    );
    let inline = &t["Resources"]["InlineStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"];
    assert_eq!(
        inline.as_array().unwrap().len(),
        1,
        "inline machine references only `worker`"
    );
}

#[test]
fn no_wildcard_resource_except_xray_and_vpc() {
    let t = template(&all_features());
    for (id, r) in t["Resources"].as_object().unwrap() {
        if r["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for p in r["Properties"]["Policies"].as_array().into_iter().flatten() {
            for s in p["PolicyDocument"]["Statement"].as_array().unwrap() {
                let res = match &s["Resource"] {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                if res.iter().any(|r| r == "*") {
                    let acts: Vec<&str> = s["Action"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap())
                        .collect();
                    assert!(
                        acts.iter()
                            .all(|a| a.starts_with("xray:") || a.starts_with("ec2:")),
                        "{id}: {acts:?} on *"
                    );
                }
                assert_ne!(s["Action"], "*", "{id}");
            }
        }
        assert!(
            r["Properties"].get("ManagedPolicyArns").is_none(),
            "{id} uses a managed policy"
        );
    }
}

#[test]
fn every_role_gets_the_permissions_boundary_and_service_roles_the_source_account() {
    let text = "app: shop\npermissions_boundary: arn:aws:iam::123456789012:policy/team-boundary\nfunctions:\n  api:\n    deployment: { strategy: canary10-5m }\nstate_machines:\n  flow:\n    definition: { StartAt: A, States: { A: { Type: Pass, End: true } } }\n    triggers: [ { schedule: rate(1 hour) } ]\n";
    let t = template(&app(text));
    let roles = resources_of_type(&t, "AWS::IAM::Role");
    // The function's, CodeDeploy's, the state machine's and EventBridge's.
    assert_eq!(roles.len(), 4, "{roles:?}");
    for (id, r) in roles {
        let p = &r["Properties"];
        assert_eq!(
            p["PermissionsBoundary"], "arn:aws:iam::123456789012:policy/team-boundary",
            "{id}"
        );
        let trust = &p["AssumeRolePolicyDocument"]["Statement"][0];
        if trust["Principal"]["Service"] == "lambda.amazonaws.com" {
            continue;
        }
        assert_eq!(
            trust["Condition"]["StringEquals"]["aws:SourceAccount"],
            serde_json::json!({ "Ref": "AWS::AccountId" }),
            "{id}"
        );
    }
    let none = template(&app("app: shop\nfunctions:\n  api: {}\n"));
    assert!(
        none["Resources"]["ApiRole"]["Properties"]
            .get("PermissionsBoundary")
            .is_none()
    );
}

#[test]
fn a_given_role_creates_no_role() {
    let t = template(&all_features());
    assert!(t["Resources"].get("VpcfnRole").is_none());
    let f = &t["Resources"]["VpcfnFunction"]["Properties"];
    assert_eq!(f["Role"], "arn:aws:iam::123456789012:role/existing");
}

#[test]
fn every_trigger_targets_the_alias() {
    let t = template(&all_features());
    for ty in ["AWS::Lambda::EventSourceMapping", "AWS::Lambda::Permission"] {
        for (id, r) in resources_of_type(&t, ty) {
            let f = &r["Properties"]["FunctionName"];
            assert!(
                f["Ref"].as_str().is_some_and(|s| s.ends_with("Alias")),
                "{id}: {f}"
            );
        }
    }
    for (id, r) in resources_of_type(&t, "AWS::Events::Rule") {
        let target = &r["Properties"]["Targets"][0]["Arn"]["Ref"];
        assert!(
            target.as_str().unwrap().ends_with("Alias")
                || target.as_str().unwrap().ends_with("StateMachine"),
            "{id}"
        );
    }
    for (id, r) in resources_of_type(&t, "AWS::SNS::Subscription") {
        assert!(
            r["Properties"]["Endpoint"]["Ref"]
                .as_str()
                .unwrap()
                .ends_with("Alias"),
            "{id}"
        );
    }
    let integration = &t["Resources"]["ApiHttpIntegration"]["Properties"]["IntegrationUri"];
    assert_eq!(integration["Ref"], "ApiAlias");
}

#[test]
fn push_triggers_are_scoped_by_source() {
    let t = template(&all_features());
    for (id, r) in resources_of_type(&t, "AWS::Lambda::Permission") {
        let p = &r["Properties"];
        if id.contains("InvokePermission") || id.contains("UrlPermission") {
            continue;
        }
        assert!(p.get("SourceArn").is_some(), "{id} has no SourceArn");
        if p["Principal"] == "s3.amazonaws.com" {
            assert!(
                p.get("SourceAccount").is_some(),
                "{id} has no SourceAccount"
            );
        }
    }
}

#[test]
fn bucket_trigger_does_not_make_a_cycle() {
    // The worker reads `uploads` and is triggered by it: nothing that the
    // function depends on may refer to the bucket resource.
    let t = template(&all_features());
    let role = serde_json::to_string(&t["Resources"]["WorkerRole"]).unwrap();
    assert!(
        !role.contains("UploadsBucket\""),
        "the role refers to the bucket resource"
    );
    let bucket = &t["Resources"]["UploadsBucket"];
    assert!(
        bucket["DependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().contains("Permission"))
    );
}

#[test]
fn same_model_gives_same_bytes() {
    let a = all_features();
    assert_eq!(
        synth(&a, &Artifacts::default()).root.to_json(),
        synth(&a, &Artifacts::default()).root.to_json()
    );
}

#[test]
fn version_id_follows_code_and_configuration() {
    let base = "app: x\nfunctions:\n  f: { memory: 128 }\n";
    let version = |text: &str, sha: Option<&str>| {
        let mut arts = Artifacts::default();
        if let Some(s) = sha {
            arts.functions.insert(
                "f".into(),
                ferry::synth::Artifact {
                    key: format!("x/{s}.zip"),
                    sha256: s.into(),
                },
            );
        }
        let t = synth(&app(text), &arts).root.to_value();
        resources_of_type(&t, "AWS::Lambda::Version")[0].0.clone()
    };
    let v1 = version(base, Some("aa"));
    assert_eq!(v1, version(base, Some("aa")));
    assert_ne!(v1, version(base, Some("bb")), "code change");
    assert_ne!(
        v1,
        version("app: x\nfunctions:\n  f: { memory: 256 }\n", Some("aa")),
        "config change"
    );
    let t = template(&app(base));
    let (_, v) = resources_of_type(&t, "AWS::Lambda::Version")[0];
    assert_eq!(v["DeletionPolicy"], "Retain");
}

#[test]
fn references_compile_to_intrinsics_not_literals() {
    let t = template(&all_features());
    let env = &t["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["TABLE"], serde_json::json!({ "Ref": "OrdersTable" }));
    assert_eq!(env["QUEUE_URL"], serde_json::json!({ "Ref": "JobsQueue" }));
    assert_eq!(env["LOG_LEVEL"], serde_json::json!({ "Ref": "LogLevel" }));
    assert_eq!(env["STAGE"], "dev");
    assert!(
        env["URL"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .contains("${HttpApi.ApiEndpoint}/x")
    );
}

#[test]
fn stage_values_become_parameter_defaults() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/apps/all-features/ferry.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let prod = load_str(&path, &text, "prod", &Disk).unwrap();
    let t = synth(&prod, &Artifacts::default()).root.to_value();
    assert_eq!(t["Parameters"]["LogLevel"]["Default"], "warn");
    assert_eq!(
        t["Resources"]["WorkerFunction"]["Properties"]["MemorySize"],
        512
    );
    assert_eq!(
        prod.tags.get("cost-center").map(String::as_str),
        Some("shop")
    );
}

fn stacks_of(n: usize) -> Stacks {
    let a = app(&ferry::fixtures::app(n));
    synth(&a, &Artifacts::default())
}

#[test]
fn small_apps_stay_in_one_template() {
    assert!(stacks_of(20).nested.is_empty());
}

/// Every template within CloudFormation's limits, every nested parameter
/// passed by the root from a resource or output that exists, and no
/// reference to a resource of another template.
fn assert_within_limits_and_wired(s: &Stacks) {
    let root = s.root.to_value();
    for (id, t) in std::iter::once(("root".to_string(), &s.root))
        .chain(s.nested.iter().map(|(i, t)| (i.clone(), t)))
    {
        assert!(
            t.resources.len() <= 500,
            "{id}: {} resources",
            t.resources.len()
        );
        assert!(t.outputs.len() <= 200, "{id}: {} outputs", t.outputs.len());
        assert!(
            t.parameters.len() <= 200,
            "{id}: {} parameters",
            t.parameters.len()
        );
        assert!(t.to_json().len() <= 1_000_000, "{id}: too large");
        let body = t.to_value();
        let mut links = BTreeSet::new();
        ferry::synth::split::links(&body["Resources"], &mut links);
        ferry::synth::split::links(&body["Outputs"], &mut links);
        for (x, _) in links {
            assert!(
                x.starts_with("AWS::")
                    || t.resources.contains_key(&x)
                    || t.parameters.contains_key(&x),
                "{id} refers to {x}"
            );
        }
    }
    let nested_ids: BTreeSet<&str> = s.nested.iter().map(|(i, _)| i.as_str()).collect();
    for (id, t) in &s.nested {
        // Every parameter of a nested stack is passed by the root.
        let passed = &root["Resources"][id]["Properties"]["Parameters"];
        for p in t.parameters.keys() {
            assert!(passed.get(p).is_some(), "{id}: parameter {p} is not passed");
        }
        // Every passed output exists in the stack it comes from.
        for (p, v) in passed.as_object().into_iter().flatten() {
            if let Some(att) = v.get("Fn::GetAtt") {
                let from = att[0].as_str().unwrap();
                if !nested_ids.contains(from) {
                    assert!(s.root.resources.contains_key(from), "{id}.{p} from {from}");
                    continue;
                }
                let out = att[1].as_str().unwrap().trim_start_matches("Outputs.");
                let other = &s.nested.iter().find(|(i, _)| i == from).unwrap().1;
                assert!(other.outputs.contains_key(out), "{from} lacks output {out}");
            }
        }
        // Its dependencies are resources of the root or other stacks.
        for d in root["Resources"][id]["DependsOn"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let d = d.as_str().unwrap();
            assert!(
                s.root.resources.contains_key(d),
                "{id} depends on unknown {d}"
            );
        }
    }
}

#[test]
fn large_apps_split_within_limits_and_wire_every_link() {
    let s = stacks_of(1000);
    assert!(!s.nested.is_empty());
    assert_within_limits_and_wired(&s);
}

fn grown(n: usize, second_user: bool, removed: Option<usize>) -> App {
    app(&ferry::fixtures::grown(n, second_user, removed))
}

/// The growth sequence: 40, 60 and 130 functions, a second user of a
/// table, a function removed.
fn growth() -> Vec<(&'static str, App)> {
    vec![
        ("40 functions", grown(40, false, None)),
        ("60 functions", grown(60, false, None)),
        ("130 functions", grown(130, false, None)),
        ("a second user of t1", grown(130, true, None)),
        ("f5 removed", grown(130, true, Some(5))),
    ]
}

fn stateful_placement(s: &Stacks) -> std::collections::BTreeMap<String, String> {
    let all: Vec<&ferry::synth::Template> = std::iter::once(&s.root)
        .chain(s.nested.iter().map(|(_, t)| t))
        .collect();
    ferry::synth::split::placement_of(s)
        .into_iter()
        .filter(|(id, _)| {
            all.iter().any(|t| {
                t.resources
                    .get(id)
                    .and_then(|r| r["Type"].as_str())
                    .is_some_and(ferry::state::is_stateful)
            })
        })
        .collect()
}

#[test]
fn growing_an_app_never_moves_a_stateful_resource() {
    // As `ferry synth` places an app with nothing deployed.
    let mut before: Option<std::collections::BTreeMap<String, String>> = None;
    let mut split_seen = false;
    for (step, a) in growth() {
        let s = synth(&a, &Artifacts::default());
        split_seen |= !s.nested.is_empty();
        assert_within_limits_and_wired(&s);
        let now = stateful_placement(&s);
        assert!(now.len() >= 2 * 40, "{step}: {} stateful", now.len());
        if let Some(b) = &before {
            for (id, stack) in &now {
                if let Some(old) = b.get(id) {
                    assert_eq!(old, stack, "{step}: {id} moved");
                }
            }
        }
        before = Some(now);
    }
    assert!(split_seen, "the sequence crosses the split");
}

#[test]
fn a_deployed_placement_is_kept_so_nothing_moves() {
    // As deploy places it: each step keeps what the one before deployed.
    let mut deployed = ferry::synth::split::Placement::new();
    let mut kinds = BTreeSet::new();
    for (step, a) in growth() {
        let s = ferry::synth::synth_placed(&a, &Artifacts::default(), &deployed);
        assert_within_limits_and_wired(&s);
        let moves = ferry::synth::split::moves(&deployed, &s);
        assert!(moves.is_empty(), "{step}: {moves:?}");
        kinds.insert(s.nested.len());
        deployed = ferry::synth::split::placement_of(&s);
    }
    // The 40 functions deployed unsplit stay in the root; what came later
    // is in nested stacks.
    assert_eq!(deployed.get("F0Function").map(String::as_str), Some(""));
    assert_ne!(deployed.get("F100Function").map(String::as_str), Some(""));
    assert!(kinds.len() > 1, "the sequence splits: {kinds:?}");
}

#[test]
fn a_table_gaining_a_second_user_stays_in_the_root_and_is_named_not_passed() {
    let s = synth(&grown(130, true, None), &Artifacts::default());
    assert!(s.root.resources.contains_key("T1Table"));
    for (id, t) in &s.nested {
        assert!(
            !t.parameters.keys().any(|p| p.starts_with("T1Table")),
            "{id} takes the table as a parameter"
        );
    }
}

#[test]
fn the_http_api_stage_writes_access_logs_to_its_own_group() {
    let t = template(&all_features());
    let stage = &t["Resources"]["HttpApiDefaultStage"]["Properties"];
    assert_eq!(
        stage["AccessLogSettings"]["DestinationArn"],
        serde_json::json!({ "Fn::GetAtt": ["HttpApiAccessLogs", "Arn"] })
    );
    let format: Value =
        serde_json::from_str(stage["AccessLogSettings"]["Format"].as_str().unwrap()).unwrap();
    assert_eq!(format["requestId"], "$context.requestId");
    let group = &t["Resources"]["HttpApiAccessLogs"]["Properties"];
    assert!(
        group["LogGroupName"]
            .as_str()
            .unwrap()
            .starts_with("/aws/vendedlogs/apigateway/")
    );
    assert!(group["RetentionInDays"].as_u64().is_some());
}

// ---- buses, secrets, custom domains ----

fn products_api() -> App {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/manifests/good/products-api.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    app_from(&path, &text)
}

/// The statements of a role's policy that grant `action`.
fn statements_with<'a>(role: &'a Value, action: &str) -> Vec<&'a Value> {
    role["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
        .filter(|s| s["Action"].as_array().unwrap().iter().any(|a| a == action))
        .collect()
}

#[test]
fn put_events_is_granted_on_the_apps_bus_only() {
    let t = template(&products_api());
    let bus = &t["Resources"]["CatalogBus"];
    assert_eq!(bus["Type"], "AWS::Events::EventBus");
    assert_eq!(bus["Properties"]["Name"], "products-dev-catalog");
    let arn = serde_json::json!({ "Fn::GetAtt": ["CatalogBus", "Arn"] });
    // `access.buses` and the `{ bus: catalog }` destination of `publish`.
    let puts = statements_with(&t["Resources"]["PublishRole"], "events:PutEvents");
    assert_eq!(puts.len(), 2);
    for s in puts {
        assert_eq!(s["Action"], serde_json::json!(["events:PutEvents"]));
        assert_eq!(s["Resource"], serde_json::json!([arn.clone()]));
    }
    for (id, role) in resources_of_type(&t, "AWS::IAM::Role") {
        if id != "PublishRole" {
            assert!(
                statements_with(role, "events:PutEvents").is_empty(),
                "{id} may put events"
            );
        }
    }
    // The rule listens on that bus and targets the alias.
    let rule = &t["Resources"]["AuditEvent0"]["Properties"];
    assert_eq!(
        rule["EventBusName"],
        serde_json::json!({ "Ref": "CatalogBus" })
    );
    assert_eq!(
        rule["Targets"][0]["Arn"],
        serde_json::json!({ "Ref": "AuditAlias" })
    );
    let on_failure = &t["Resources"]["PublishEventInvokeConfig"]["Properties"]["DestinationConfig"]
        ["OnFailure"]["Destination"];
    assert_eq!(on_failure, &arn);
}

#[test]
fn a_bus_outside_the_app_keeps_its_name_and_a_declared_name_wins() {
    let a = app(
        "app: x\nbuses: { orders: {} }\nfunctions:\n  f:\n    triggers:\n      - event: { bus: orders, pattern: { source: [a] } }\n      - event: { bus: partner, pattern: { source: [a] } }\n      - event: { bus: \"arn:aws:events:us-east-1:123456789012:event-bus/orders\", pattern: { source: [a] } }\n",
    );
    let t = template(&a);
    let bus = |id: &str| t["Resources"][id]["Properties"]["EventBusName"].clone();
    assert_eq!(bus("FEvent0"), serde_json::json!({ "Ref": "OrdersBus" }));
    assert_eq!(bus("FEvent1"), "partner");
    assert_eq!(
        bus("FEvent2"),
        "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    );
}

#[test]
fn reading_a_secret_grants_that_one_parameter_or_secret_and_kms_through_its_service() {
    let a = app(
        "app: x\nsecrets:\n  path: { ssm: /shop/x }\n  flat: { ssm: y }\n  named: { secretsmanager: shop/db }\n  arn: { secretsmanager: \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf\" }\nfunctions:\n  ssm: { access: { secrets: { path: read, flat: read } } }\n  sm: { access: { secrets: { named: read, arn: read } } }\n  none: {}\n",
    );
    let t = template(&a);
    let ssm = &t["Resources"]["SsmRole"];
    let gets = statements_with(ssm, "ssm:GetParameter");
    let resources: Vec<&Value> = gets.iter().map(|s| &s["Resource"][0]).collect();
    assert_eq!(
        resources,
        [
            &serde_json::json!({ "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/y" }),
            &serde_json::json!({ "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shop/x" }),
        ]
    );
    for s in &gets {
        assert_eq!(s["Action"], serde_json::json!(["ssm:GetParameter"]));
        assert_eq!(s["Resource"].as_array().unwrap().len(), 1);
    }
    let sm = &t["Resources"]["SmRole"];
    let secret_resources: Vec<&Value> = statements_with(sm, "secretsmanager:GetSecretValue")
        .iter()
        .map(|s| &s["Resource"][0])
        .collect();
    assert_eq!(
        secret_resources,
        [
            &serde_json::json!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"),
            &serde_json::json!({ "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shop/db-??????" }),
        ]
    );
    // kms:Decrypt once per service, only through that service.
    for (role, service) in [(ssm, "ssm"), (sm, "secretsmanager")] {
        let kms = statements_with(role, "kms:Decrypt");
        assert_eq!(kms.len(), 1, "{kms:?}");
        assert_eq!(
            kms[0]["Condition"],
            serde_json::json!({ "StringEquals": { "kms:ViaService": { "Fn::Sub": format!("{service}.${{AWS::Region}}.amazonaws.com") } } })
        );
        assert_eq!(kms[0]["Action"], serde_json::json!(["kms:Decrypt"]));
    }
    assert!(statements_with(&t["Resources"]["NoneRole"], "kms:Decrypt").is_empty());
}

#[test]
fn a_wildcard_resource_is_only_xray_vpc_or_kms_through_a_service() {
    let t = template(&products_api());
    for (id, role) in resources_of_type(&t, "AWS::IAM::Role") {
        for p in role["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for s in p["PolicyDocument"]["Statement"].as_array().unwrap() {
                if !s["Resource"].as_array().unwrap().iter().any(|r| r == "*") {
                    continue;
                }
                let acts = s["Action"].as_array().unwrap();
                let kms = acts == &[serde_json::json!("kms:Decrypt")]
                    && s["Condition"]["StringEquals"]
                        .get("kms:ViaService")
                        .is_some();
                assert!(kms, "{id}: {s} on *");
            }
        }
    }
}

#[test]
fn no_secret_value_or_secret_resource_is_in_any_template() {
    for stage in ["dev", "prod"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/manifests/good/products-api.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let a = load_str(&path, &text, stage, &Disk).unwrap();
        let stacks = synth(&a, &Artifacts::default());
        let mut all = vec![stacks.root.to_value()];
        all.extend(stacks.nested.iter().map(|(_, t)| t.to_value()));
        for t in all {
            for ty in [
                "AWS::SSM::Parameter",
                "AWS::SecretsManager::Secret",
                "AWS::SecretsManager::SecretTargetAttachment",
            ] {
                assert!(resources_of_type(&t, ty).is_empty(), "{ty} in {stage}");
            }
            let json = t.to_string();
            // No dynamic reference that would resolve a value at deploy
            // time, and no parameter holding one.
            assert!(!json.contains("{{resolve:"), "{json}");
            let params: Vec<&String> = t["Parameters"]
                .as_object()
                .map(|p| p.keys().collect())
                .unwrap_or_default();
            assert!(params.iter().all(|p| *p == "ArtifactBucket"), "{params:?}");
            // The names are there (the functions read the values by them).
            assert!(json.contains(&format!("/products/{stage}/stripe-key")));
        }
    }
}

#[test]
fn a_custom_domain_maps_the_default_stage_with_tls_1_2() {
    let t = template(&products_api());
    let d = &t["Resources"]["HttpApiDomainName"]["Properties"];
    assert_eq!(d["DomainName"], "dev.api.example.com");
    let conf = &d["DomainNameConfigurations"][0];
    assert_eq!(conf["SecurityPolicy"], "TLS_1_2");
    assert_eq!(conf["EndpointType"], "REGIONAL");
    assert_eq!(
        conf["CertificateArn"],
        serde_json::json!({ "Ref": "HttpApiCertificate" })
    );
    let cert = &t["Resources"]["HttpApiCertificate"]["Properties"];
    assert_eq!(cert["ValidationMethod"], "DNS");
    assert_eq!(
        cert["DomainValidationOptions"][0]["HostedZoneId"],
        "Z0123456789ABC"
    );
    let mapping = &t["Resources"]["HttpApiMapping"]["Properties"];
    assert_eq!(
        mapping["Stage"],
        serde_json::json!({ "Ref": "HttpApiDefaultStage" })
    );
    assert_eq!(mapping["ApiId"], serde_json::json!({ "Ref": "HttpApi" }));
    let record = &t["Resources"]["HttpApiDnsRecord"]["Properties"];
    assert_eq!(record["Type"], "A");
    assert_eq!(
        record["AliasTarget"]["DNSName"],
        serde_json::json!({ "Fn::GetAtt": ["HttpApiDomainName", "RegionalDomainName"] })
    );
    assert_eq!(
        record["AliasTarget"]["HostedZoneId"],
        serde_json::json!({ "Fn::GetAtt": ["HttpApiDomainName", "RegionalHostedZoneId"] })
    );
    // `${http.url}` and the output are the custom domain.
    assert_eq!(
        t["Outputs"]["HttpApiUrl"]["Value"],
        "https://dev.api.example.com/"
    );
    assert_eq!(
        t["Resources"]["PutFunction"]["Properties"]["Environment"]["Variables"]["PUBLIC_URL"],
        "https://dev.api.example.com/"
    );
    // With an existing certificate: neither a certificate nor a record.
    let a = app(
        "app: x\nhttp:\n  domain: { name: api.example.com, certificate: \"arn:aws:acm:us-east-1:123456789012:certificate/abc\" }\nfunctions:\n  f: { triggers: [ { http: GET /a } ] }\n",
    );
    let t = template(&a);
    assert!(resources_of_type(&t, "AWS::CertificateManager::Certificate").is_empty());
    assert!(resources_of_type(&t, "AWS::Route53::RecordSet").is_empty());
    assert_eq!(
        t["Resources"]["HttpApiDomainName"]["Properties"]["DomainNameConfigurations"][0]["CertificateArn"],
        "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    );
}
