//! The `ferry-bootstrap` stack: one artifact bucket per account and region
//! (versioned, encrypted, public access blocked, TLS only), where deploy
//! uploads zips and templates.

use serde_json::json;

use crate::synth::Template;
use crate::synth::template::{resource, tls_only_bucket_policy};

/// The stack's output holding the bucket name.
pub const BUCKET_OUTPUT: &str = "ArtifactBucketName";

pub fn template() -> Template {
    let mut t = Template {
        description: "ferry artifact bucket".into(),
        ..Template::default()
    };
    let mut bucket = resource(
        "AWS::S3::Bucket",
        json!({
            "VersioningConfiguration": { "Status": "Enabled" },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" }, "BucketKeyEnabled": true }
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true,
                "BlockPublicPolicy": true,
                "IgnorePublicAcls": true,
                "RestrictPublicBuckets": true
            },
            "OwnershipControls": { "Rules": [ { "ObjectOwnership": "BucketOwnerEnforced" } ] },
            "LifecycleConfiguration": {
                "Rules": [ { "Id": "ExpireOldVersions", "Status": "Enabled", "NoncurrentVersionExpiration": { "NoncurrentDays": 30 } } ]
            }
        }),
    );
    crate::synth::template::retain(&mut bucket);
    t.add("ArtifactBucket", bucket);
    t.add(
        "ArtifactBucketPolicy",
        tls_only_bucket_policy(json!({ "Ref": "ArtifactBucket" }), "${ArtifactBucket.Arn}"),
    );
    t.output(
        BUCKET_OUTPUT,
        json!({ "Ref": "ArtifactBucket" }),
        "Bucket for ferry's artifacts",
    );
    t
}
