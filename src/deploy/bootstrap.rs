//! The `ferry-bootstrap` stack: one artifact bucket per account and region
//! (versioned, encrypted, public access blocked, TLS only), where deploy
//! uploads zips and templates.

use serde_json::json;

use crate::synth::Template;
use crate::synth::template::{get_att, resource, sub};

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
        resource(
            "AWS::S3::BucketPolicy",
            json!({
                "Bucket": { "Ref": "ArtifactBucket" },
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [ get_att("ArtifactBucket", "Arn"), sub("${ArtifactBucket.Arn}/*") ],
                        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
                    }]
                }
            }),
        ),
    );
    t.output(
        BUCKET_OUTPUT,
        json!({ "Ref": "ArtifactBucket" }),
        "Bucket for ferry's artifacts",
    );
    t
}
