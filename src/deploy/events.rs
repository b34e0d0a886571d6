//! Reading stack events: progress, and the root cause of a failure.

use crate::aws::StackEvent;

/// Statuses after which a stack operation is over.
pub fn is_terminal(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// Success statuses of a create or update.
pub fn is_success(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
    )
}

/// Reasons that follow from another failure, not causes. A stack event
/// carries its status and a reason in text, no error code, so the text is
/// all there is to read; it is read here only.
fn is_cascade(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("resource creation cancelled")
        || r.contains("resource update cancelled")
        || r.contains("the following resource(s) failed")
        || r.contains("resource handler returned message: \"null\"")
        || r.is_empty()
}

/// The first resource that failed, by time, skipping the cancellations it
/// caused and the stack's own summary events.
pub fn root_cause(events: &[StackEvent]) -> Option<&StackEvent> {
    let mut failed: Vec<&StackEvent> = events
        .iter()
        .filter(|e| {
            e.status.ends_with("_FAILED") && e.resource_type != "AWS::CloudFormation::Stack"
        })
        .collect();
    failed.sort_by(|a, b| {
        a.timestamp
            .partial_cmp(&b.timestamp)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    failed
        .iter()
        .copied()
        .find(|e| !is_cascade(e.reason.as_deref().unwrap_or("")))
        .or_else(|| failed.first().copied())
        .or_else(|| {
            events
                .iter()
                .filter(|e| e.status.ends_with("_FAILED"))
                .min_by(|a, b| {
                    a.timestamp
                        .partial_cmp(&b.timestamp)
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: f64, id: &str, ty: &str, status: &str, reason: &str) -> StackEvent {
        StackEvent {
            id: format!("{t}"),
            stack_name: "s".into(),
            logical_id: id.into(),
            physical_id: None,
            resource_type: ty.into(),
            status: status.into(),
            reason: Some(reason.into()),
            timestamp: t,
        }
    }

    #[test]
    fn the_root_cause_is_the_first_real_failure() {
        // Newest first, as CloudFormation returns them.
        let events = vec![
            ev(
                5.0,
                "s",
                "AWS::CloudFormation::Stack",
                "ROLLBACK_COMPLETE",
                "",
            ),
            ev(
                4.0,
                "s",
                "AWS::CloudFormation::Stack",
                "CREATE_FAILED",
                "The following resource(s) failed to create: [A, B].",
            ),
            ev(
                3.0,
                "B",
                "AWS::Lambda::Function",
                "CREATE_FAILED",
                "Resource creation cancelled",
            ),
            ev(
                2.0,
                "A",
                "AWS::DynamoDB::Table",
                "CREATE_FAILED",
                "Table already exists: x",
            ),
            ev(1.0, "A", "AWS::DynamoDB::Table", "CREATE_IN_PROGRESS", ""),
        ];
        let c = root_cause(&events).unwrap();
        assert_eq!(c.logical_id, "A");
        assert_eq!(c.reason.as_deref(), Some("Table already exists: x"));
    }

    #[test]
    fn statuses() {
        assert!(is_terminal("UPDATE_ROLLBACK_COMPLETE"));
        assert!(!is_terminal("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(is_success("UPDATE_COMPLETE"));
        assert!(!is_success("ROLLBACK_COMPLETE"));
    }
}
