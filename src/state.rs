//! Which resources hold state: the one list that the deploy guard refuses to
//! remove or replace, that nested-stack placement never moves, that
//! `destroy` reports as left behind, and that a pipeline's stack policy
//! protects.

/// CloudFormation types whose removal or replacement loses data (or, for a
/// log group, history) that a redeploy cannot bring back.
pub const STATEFUL_TYPES: [&str; 6] = [
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::Events::EventBus",
    "AWS::Logs::LogGroup",
];

/// The type of a nested stack: removing or replacing one removes everything
/// in it, so the guard treats it as stateful too.
pub const NESTED_STACK_TYPE: &str = "AWS::CloudFormation::Stack";

/// True for a type in [`STATEFUL_TYPES`].
pub fn is_stateful(resource_type: &str) -> bool {
    STATEFUL_TYPES.contains(&resource_type)
}

/// True for a type whose removal or replacement the deploy guard refuses:
/// the stateful types and nested stacks.
pub fn is_guarded(resource_type: &str) -> bool {
    is_stateful(resource_type) || resource_type == NESTED_STACK_TYPE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_types() {
        assert!(is_guarded("AWS::SNS::Topic"));
        assert!(is_guarded("AWS::Logs::LogGroup"));
        assert!(is_guarded("AWS::CloudFormation::Stack"));
        assert!(!is_stateful("AWS::CloudFormation::Stack"));
        assert!(!is_guarded("AWS::Lambda::Function"));
    }
}
