//! What each access level of the manifest grants, and which IAM actions each
//! service has. Validation checks exact action lists against this catalogue;
//! synth turns levels into policy statements with it.

use crate::manifest::model::Level;

/// The resource kinds that `access` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    Sqs,
    Sns,
    S3,
    Lambda,
    States,
    Events,
    Ssm,
    SecretsManager,
}

impl Service {
    /// The IAM service prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::Sqs => "sqs",
            Service::Sns => "sns",
            Service::S3 => "s3",
            Service::Lambda => "lambda",
            Service::States => "states",
            Service::Events => "events",
            Service::Ssm => "ssm",
            Service::SecretsManager => "secretsmanager",
        }
    }

    /// The levels an `access` entry of this kind may ask for.
    pub fn levels(self) -> &'static [(&'static str, Level)] {
        match self {
            Service::DynamoDb | Service::S3 => &[
                ("read", Level::Read),
                ("write", Level::Write),
                ("read_write", Level::ReadWrite),
            ],
            Service::Sqs => &[("send", Level::Send), ("consume", Level::Consume)],
            Service::Sns => &[("publish", Level::Publish)],
            Service::Lambda => &[("invoke", Level::Invoke)],
            Service::States => &[("start", Level::Start)],
            Service::Events => &[("put", Level::Put)],
            Service::Ssm | Service::SecretsManager => &[("read", Level::Read)],
        }
    }

    /// Every action of the service that applies to the resources ferry
    /// manages.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            Service::DynamoDb => &[
                "BatchGetItem",
                "BatchWriteItem",
                "ConditionCheckItem",
                "CreateBackup",
                "DeleteItem",
                "DescribeContinuousBackups",
                "DescribeStream",
                "DescribeTable",
                "DescribeTimeToLive",
                "GetItem",
                "GetRecords",
                "GetShardIterator",
                "ListStreams",
                "ListTagsOfResource",
                "PartiQLDelete",
                "PartiQLInsert",
                "PartiQLSelect",
                "PartiQLUpdate",
                "PutItem",
                "Query",
                "Scan",
                "UpdateItem",
                "UpdateTable",
                "UpdateTimeToLive",
            ],
            Service::Sqs => &[
                "ChangeMessageVisibility",
                "DeleteMessage",
                "GetQueueAttributes",
                "GetQueueUrl",
                "ListDeadLetterSourceQueues",
                "ListQueueTags",
                "PurgeQueue",
                "ReceiveMessage",
                "SendMessage",
                "SetQueueAttributes",
            ],
            Service::Sns => &[
                "GetTopicAttributes",
                "ListSubscriptionsByTopic",
                "ListTagsForResource",
                "Publish",
                "SetTopicAttributes",
                "Subscribe",
            ],
            Service::S3 => &[
                "AbortMultipartUpload",
                "DeleteObject",
                "DeleteObjectTagging",
                "DeleteObjectVersion",
                "GetBucketLocation",
                "GetBucketNotification",
                "GetBucketVersioning",
                "GetObject",
                "GetObjectAcl",
                "GetObjectAttributes",
                "GetObjectTagging",
                "GetObjectVersion",
                "ListBucket",
                "ListBucketMultipartUploads",
                "ListBucketVersions",
                "ListMultipartUploadParts",
                "PutObject",
                "PutObjectAcl",
                "PutObjectTagging",
                "RestoreObject",
            ],
            Service::Lambda => &[
                "GetFunction",
                "GetFunctionConfiguration",
                "InvokeFunction",
                "InvokeFunctionUrl",
            ],
            Service::States => &[
                "DescribeExecution",
                "DescribeStateMachine",
                "GetExecutionHistory",
                "ListExecutions",
                "StartExecution",
                "StartSyncExecution",
                "StopExecution",
            ],
            Service::Events => &["DescribeEventBus", "PutEvents"],
            Service::Ssm => &["GetParameter", "GetParameterHistory", "GetParameters"],
            Service::SecretsManager => &["DescribeSecret", "GetSecretValue"],
        }
    }

    /// The actual action name for a name a user wrote (`PutItem` or
    /// `dynamodb:PutItem`), if the service has it.
    pub fn action(self, written: &str) -> Option<&'static str> {
        let bare = match written.split_once(':') {
            Some((prefix, rest)) if prefix.eq_ignore_ascii_case(self.prefix()) => rest,
            Some(_) => return None,
            None => written,
        };
        self.actions()
            .iter()
            .copied()
            .find(|a| a.eq_ignore_ascii_case(bare))
    }
}

/// The actions a level grants, per the manifest's access table.
pub fn level_actions(service: Service, level: Level) -> Vec<&'static str> {
    const TABLE_READ: [&str; 6] = [
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "ConditionCheckItem",
        "DescribeTable",
    ];
    const TABLE_WRITE: [&str; 5] = [
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "DescribeTable",
    ];
    const BUCKET_READ: [&str; 2] = ["GetObject", "ListBucket"];
    const BUCKET_WRITE: [&str; 3] = ["PutObject", "DeleteObject", "AbortMultipartUpload"];
    let mut out: Vec<&'static str> = match (service, level) {
        (Service::DynamoDb, Level::Read) => TABLE_READ.to_vec(),
        (Service::DynamoDb, Level::Write) => TABLE_WRITE.to_vec(),
        (Service::DynamoDb, Level::ReadWrite) => [&TABLE_READ[..], &TABLE_WRITE[..]].concat(),
        (Service::Sqs, Level::Send) => vec!["SendMessage", "GetQueueAttributes", "GetQueueUrl"],
        (Service::Sqs, Level::Consume) => vec![
            "ReceiveMessage",
            "DeleteMessage",
            "ChangeMessageVisibility",
            "GetQueueAttributes",
        ],
        (Service::Sns, Level::Publish) => vec!["Publish"],
        (Service::S3, Level::Read) => BUCKET_READ.to_vec(),
        (Service::S3, Level::Write) => BUCKET_WRITE.to_vec(),
        (Service::S3, Level::ReadWrite) => [&BUCKET_READ[..], &BUCKET_WRITE[..]].concat(),
        (Service::Lambda, Level::Invoke) => vec!["InvokeFunction"],
        (Service::States, Level::Start) => vec!["StartExecution"],
        (Service::Events, Level::Put) => vec!["PutEvents"],
        (Service::Ssm, Level::Read) => vec!["GetParameter"],
        (Service::SecretsManager, Level::Read) => vec!["GetSecretValue"],
        _ => vec![],
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|a| seen.insert(*a));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_grants_no_write_action() {
        let read = level_actions(Service::DynamoDb, Level::Read);
        for w in ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"] {
            assert!(!read.contains(&w));
        }
        assert!(read.contains(&"Query"));
    }

    #[test]
    fn read_write_lists_each_action_once() {
        let rw = level_actions(Service::DynamoDb, Level::ReadWrite);
        assert_eq!(rw.iter().filter(|a| **a == "DescribeTable").count(), 1);
    }

    #[test]
    fn every_level_action_is_in_the_catalogue() {
        for s in [
            Service::DynamoDb,
            Service::Sqs,
            Service::Sns,
            Service::S3,
            Service::Lambda,
            Service::States,
            Service::Events,
            Service::Ssm,
            Service::SecretsManager,
        ] {
            for (_, l) in s.levels() {
                for a in level_actions(s, *l) {
                    assert!(s.actions().contains(&a), "{a}");
                }
            }
        }
    }

    #[test]
    fn actions_accept_the_service_prefix() {
        assert_eq!(
            Service::DynamoDb.action("dynamodb:putitem"),
            Some("PutItem")
        );
        assert_eq!(Service::DynamoDb.action("s3:PutObject"), None);
        assert_eq!(Service::Sqs.action("SendMessageBatch"), None);
    }
}
