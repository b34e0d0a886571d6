//! `examples/products` against a moto server: its dev stage deploys (with
//! stand-in build artifacts, as moto runs no function code, and without the
//! triggers and the domain, which moto cannot create), its table takes
//! items, each function has the names it needs in its environment (the
//! bus's name, the secret's name, never a secret's value), and a stage
//! bound to another account is refused before anything is created.

mod common;

use common::*;

fn example_manifest() -> String {
    std::fs::read_to_string(repo().join("examples/products/ferry.yaml")).unwrap()
}

/// `text` without every line equal to `line` and the lines nested under
/// it (more indented, and blank lines).
fn without_blocks(text: &str, line: &str) -> String {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let depth = indent(line);
    let mut out = Vec::new();
    let mut skipping = false;
    for l in text.lines() {
        if skipping && (l.trim().is_empty() || indent(l) > depth) {
            continue;
        }
        skipping = l == line;
        if !skipping {
            out.push(l);
        }
    }
    out.join("\n") + "\n"
}

/// The example as moto can deploy it: without its triggers and its
/// domain. moto's CloudFormation ignores `AWS::Lambda::Alias`, which every
/// trigger targets (a route's permission or the stream's event source
/// mapping then names no function, and moto stops creating the stack
/// there), and models neither `AWS::ApiGatewayV2::DomainName` nor ACM
/// certificates. The blueprint's test synthesizes and lints all of them.
fn deployable_on_moto() -> String {
    without_blocks(
        &without_blocks(&example_manifest(), "http:"),
        "    triggers:",
    )
}

#[test]
fn the_moto_copy_leaves_out_only_the_triggers_and_the_domain() {
    let full = example_manifest();
    assert!(full.contains("\nhttp:\n  domain:\n"));
    assert_eq!(full.matches("\n    triggers:\n").count(), 5);
    let copy = deployable_on_moto();
    assert!(
        !copy.contains("\nhttp:") && !copy.contains("zone:"),
        "{copy}"
    );
    assert!(
        !copy.contains("triggers:") && !copy.contains("- http:"),
        "{copy}"
    );
    assert!(
        !copy.contains("- stream:") && !copy.contains("on_failure"),
        "{copy}"
    );
    for kept in [
        "\ntables:\n  products:\n",
        "\nbuses:\n",
        "\nsecrets:\n",
        "  publish-changes:\n",
        "      BUS_NAME: ${buses.catalog.name}\n",
        "      secrets: { pricing-key: read }\n",
        "\nqueues:\n",
        "\noutputs:\n",
        "    account: \"123456789012\"",
    ] {
        assert!(copy.contains(kept), "`{kept}` is kept: {copy}");
    }
}

const SECRET_VALUE: &str = "pricing-key-value-never-in-a-template";

#[test]
fn the_dev_stage_deploys_with_its_bus_and_secret_names() {
    let moto = Moto::start();
    // The key is in SSM before the deploy, as the README says.
    boto3(
        &moto,
        &format!(
            "import boto3; boto3.client('ssm').put_parameter(Name='/products/pricing-key', Value='{SECRET_VALUE}', Type='SecureString')"
        ),
    );
    let dir = app_dir(&deployable_on_moto());
    let out = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--stage", "dev", "--no-build", "--yes"],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Stack products-dev is CREATE_COMPLETE"), "{t}");
    assert!(!t.contains(SECRET_VALUE), "{t}");

    // The table takes an item and gives it back.
    let item = boto3(
        &moto,
        "import boto3\nd = boto3.client('dynamodb')\nd.put_item(TableName='products-dev-products', Item={'id': {'S': 'p-1'}, 'name': {'S': 'Desk lamp'}, 'price_cents': {'N': '2599'}, 'etag': {'S': 'e'}})\nprint(d.get_item(TableName='products-dev-products', Key={'id': {'S': 'p-1'}})['Item']['name']['S'])",
    );
    assert_eq!(item, "Desk lamp");

    // Five functions, each with the names it reads. moto resolves a `Ref`
    // to an event bus to no name, and then answers ListFunctions, and
    // GetFunction of publish-changes, with a 500: publish-changes is found
    // by its tags here, and its environment read from the deployed
    // template below.
    let env = boto3(
        &moto,
        "import boto3, json\nl = boto3.client('lambda')\nout = {}\nfor f in ['create-product', 'get-product', 'list-products', 'delete-product', 'publish-changes']:\n    name = 'products-dev-' + f\n    l.list_tags(Resource='arn:aws:lambda:us-east-1:123456789012:function:' + name)\n    if f != 'publish-changes':\n        out[f] = l.get_function_configuration(FunctionName=name)['Environment']['Variables']\nprint(json.dumps(out, sort_keys=True))",
    );
    let fns: serde_json::Value = serde_json::from_str(&env).unwrap();
    let create = &fns["create-product"];
    assert_eq!(
        create["PRICING_KEY_PARAM"], "/products/pricing-key",
        "{create}"
    );
    assert_eq!(create["TABLE_NAME"], "products-dev-products", "{create}");
    for f in ["get-product", "list-products", "delete-product"] {
        assert_eq!(fns[f]["TABLE_NAME"], "products-dev-products", "{fns}");
        assert!(fns[f].get("PRICING_KEY_PARAM").is_none(), "{fns}");
    }
    assert!(!env.contains(SECRET_VALUE), "{env}");

    // The bus exists, publish-changes is given its name, and the secret's
    // value is in no template.
    let buses = boto3(
        &moto,
        "import boto3; print(sorted(b['Name'] for b in boto3.client('events').list_event_buses()['EventBuses']))",
    );
    assert!(buses.contains("'products-dev-catalog'"), "{buses}");
    let template = boto3(
        &moto,
        "import boto3, json; print(json.dumps(boto3.client('cloudformation').get_template(StackName='products-dev')['TemplateBody']))",
    );
    let t: serde_json::Value = serde_json::from_str(&template).unwrap();
    let resources = &t["Resources"];
    let bus_name =
        &resources["PublishChangesFunction"]["Properties"]["Environment"]["Variables"]["BUS_NAME"];
    let named = match bus_name["Ref"].as_str() {
        Some(bus) => &resources[bus]["Properties"]["Name"],
        None => bus_name,
    };
    assert_eq!(named, "products-dev-catalog", "{bus_name}");
    assert!(
        template.contains("/products/pricing-key"),
        "the secret's name"
    );
    assert!(!template.contains(SECRET_VALUE), "never its value");
}

#[test]
fn a_stage_bound_to_another_account_is_refused_before_any_change() {
    // moto's account is 123456789012: bind prod to another one.
    let moto = Moto::start();
    let manifest = example_manifest();
    assert!(manifest.contains("account: \"123456789012\""));
    let dir = app_dir(&manifest.replace("account: \"123456789012\"", "account: \"111111111111\""));
    let out = ferry_at(
        &moto,
        dir.path(),
        &["deploy", "--stage", "prod", "--no-build", "--yes"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("111111111111") && t.contains("123456789012"),
        "names both accounts: {t}"
    );
    assert!(!t.contains("panicked"), "{t}");
    // Nothing was created in either region: no stack (not even the
    // bootstrap stack), no bucket.
    let left = boto3(
        &moto,
        "import boto3\nfor r in ['us-east-1', 'eu-west-1']:\n    cf = boto3.client('cloudformation', region_name=r)\n    s3 = boto3.client('s3', region_name=r)\n    print(r, [s['StackName'] for s in cf.list_stacks()['StackSummaries']], [b['Name'] for b in s3.list_buckets()['Buckets']])",
    );
    assert_eq!(left, "us-east-1 [] []\neu-west-1 [] []");
}
