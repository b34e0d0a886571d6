//! The change-set preview: one row per change with its risk, the summary
//! line, and which rows would lose data.

use serde::Serialize;

use crate::aws::Change;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// A resource that holds state (`state::is_guarded`: a table, bucket,
    /// queue, topic, bus, log group, or a nested stack) is removed or
    /// replaced, or CloudFormation says it deletes it: its data goes with it.
    DataLoss,
    /// Another resource is replaced or removed.
    Replace,
    /// A log group leaves the stack but is kept (`DeletionPolicy: Retain`):
    /// its logs stay in CloudWatch Logs.
    Retained,
    /// IAM changes.
    Permissions,
    /// A function's code was hotswapped since the last change set: the
    /// stack's template names other code than what runs.
    Drift,
    Low,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::DataLoss => "DATA LOSS",
            Risk::Replace => "replace",
            Risk::Retained => "kept (retained)",
            Risk::Drift => "drift (hotswapped)",
            Risk::Permissions => "permissions",
            Risk::Low => "",
        }
    }
}

/// One row of the preview.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Add, Modify, Remove, Import, Dynamic, or Move (a resource removed
    /// from one stack and added to another).
    pub action: String,
    /// `Nested1x0/OrdersTable` for a resource of a nested stack; a move
    /// names the resource alone.
    pub logical_id: String,
    pub resource_type: String,
    pub replacement: String,
    pub risk: Risk,
    /// For a move: the stacks it leaves and joins (`root`, `Nested1x0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// The risk of one change.
pub fn risk(c: &Change) -> Risk {
    let replaces = matches!(c.replacement.as_deref(), Some("True") | Some("Conditional"));
    let removes = c.action == "Remove";
    let deletes = matches!(
        c.policy_action.as_deref(),
        Some("Delete") | Some("ReplaceAndDelete")
    );
    let kept = matches!(
        c.policy_action.as_deref(),
        Some("Retain") | Some("Snapshot")
    );
    // A log group only holds logs, which a retained group keeps; the app's
    // own data (tables, buckets, queues, topics, buses) leaving the stack is
    // refused even when retained: the app loses it.
    if removes && kept && c.resource_type == "AWS::Logs::LogGroup" {
        return Risk::Retained;
    }
    if (removes || replaces || deletes) && crate::state::is_guarded(&c.resource_type) {
        return Risk::DataLoss;
    }
    // Old versions are retained by design (`DeletionPolicy: Retain`):
    // removing one from the template deletes nothing.
    if removes
        && matches!(
            c.resource_type.as_str(),
            "AWS::Lambda::Version" | "AWS::Lambda::LayerVersion"
        )
    {
        return Risk::Low;
    }
    if removes || replaces {
        return Risk::Replace;
    }
    if c.resource_type.starts_with("AWS::IAM::") || c.resource_type == "AWS::Lambda::Permission" {
        return Risk::Permissions;
    }
    Risk::Low
}

/// The stack of a row and the resource's own logical ID.
fn stack_and_id(row: &Row) -> (&str, &str) {
    match row.logical_id.rsplit_once('/') {
        Some((stack, id)) => (stack, id),
        None => ("root", row.logical_id.as_str()),
    }
}

/// Pairs each resource removed from one stack and added to another (same
/// logical ID and type) into one `Move` row: a move is a remove and an add,
/// so it loses a stateful resource's data and fails for one with a fixed
/// name; it is shown, and guarded, as what it is.
pub fn with_moves(rows: Vec<Row>) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::with_capacity(rows.len());
    let mut used = vec![false; rows.len()];
    for i in 0..rows.len() {
        if used[i] || rows[i].action != "Remove" {
            continue;
        }
        let (from, id) = stack_and_id(&rows[i]);
        let partner = (0..rows.len()).find(|&j| {
            !used[j]
                && rows[j].action == "Add"
                && rows[j].resource_type == rows[i].resource_type
                && stack_and_id(&rows[j]).1 == id
                && stack_and_id(&rows[j]).0 != from
        });
        if let Some(j) = partner {
            used[i] = true;
            used[j] = true;
            let stateful = crate::state::is_stateful(&rows[i].resource_type);
            out.push(Row {
                action: "Move".into(),
                logical_id: id.to_string(),
                resource_type: rows[i].resource_type.clone(),
                replacement: "True".into(),
                risk: if stateful {
                    Risk::DataLoss
                } else {
                    Risk::Replace
                },
                from: Some(from.to_string()),
                to: Some(stack_and_id(&rows[j]).0.to_string()),
            });
        }
    }
    for (i, r) in rows.into_iter().enumerate() {
        if !used[i] {
            out.push(r);
        }
    }
    out
}

/// The row of a function whose running code was hotswapped.
pub fn drift_row(logical_id: &str) -> Row {
    Row {
        action: "Drift".into(),
        logical_id: logical_id.to_string(),
        resource_type: "AWS::Lambda::Function".into(),
        replacement: "-".into(),
        risk: Risk::Drift,
        from: None,
        to: None,
    }
}

/// How a row names its resource in the table: `Move X: A -> B` for moves.
pub fn describe(r: &Row) -> String {
    match (&r.from, &r.to) {
        (Some(from), Some(to)) => format!("{}: {from} -> {to}", r.logical_id),
        _ => r.logical_id.clone(),
    }
}

/// Rows for the changes of a stack, `prefix` naming the nested stack.
pub fn rows(changes: &[Change], prefix: &str) -> Vec<Row> {
    changes
        .iter()
        .map(|c| Row {
            action: c.action.clone(),
            logical_id: if prefix.is_empty() {
                c.logical_id.clone()
            } else {
                format!("{prefix}/{}", c.logical_id)
            },
            resource_type: c.resource_type.clone(),
            replacement: match (c.action.as_str(), c.replacement.as_deref()) {
                ("Modify", Some(r)) => r.to_string(),
                _ => "-".to_string(),
            },
            risk: risk(c),
            from: None,
            to: None,
        })
        .collect()
}

/// `N to add, N to modify, N to remove`.
pub fn summary(rows: &[Row]) -> String {
    let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
    let add = count("Add") + count("Import");
    let remove = count("Remove");
    let moved = count("Move");
    let drift = count("Drift");
    let modify = rows.len() - add - remove - moved - drift;
    let mut s = format!("{add} to add, {modify} to modify, {remove} to remove");
    if moved > 0 {
        s.push_str(&format!(", {moved} to move"));
    }
    if drift > 0 {
        s.push_str(&format!(", {drift} drift (hotswapped)"));
    }
    s
}

/// The preview as a table.
pub fn table(rows: &[Row]) -> String {
    let headers = ["ACTION", "LOGICAL ID", "TYPE", "REPLACEMENT", "RISK"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.action.clone(),
                describe(r),
                r.resource_type.clone(),
                r.replacement.clone(),
                r.risk.label().to_string(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for c in &cells {
        for (w, v) in widths.iter_mut().zip(c.iter()) {
            *w = (*w).max(v.len());
        }
    }
    let mut out = String::new();
    let mut line = |vals: [&str; 5]| {
        let s: Vec<String> = vals
            .iter()
            .zip(widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        out.push_str(s.join("  ").trim_end());
        out.push('\n');
    };
    line(headers);
    for c in &cells {
        line([&c[0], &c[1], &c[2], &c[3], &c[4]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: &str, id: &str, ty: &str, replacement: Option<&str>) -> Change {
        Change {
            action: action.into(),
            logical_id: id.into(),
            resource_type: ty.into(),
            replacement: replacement.map(String::from),
            nested_change_set: None,
            policy_action: None,
        }
    }

    #[test]
    fn removing_or_replacing_data_is_data_loss() {
        assert_eq!(
            risk(&change("Remove", "T", "AWS::DynamoDB::Table", None)),
            Risk::DataLoss
        );
        assert_eq!(
            risk(&change("Modify", "B", "AWS::S3::Bucket", Some("True"))),
            Risk::DataLoss
        );
        assert_eq!(
            risk(&change(
                "Modify",
                "Q",
                "AWS::SQS::Queue",
                Some("Conditional")
            )),
            Risk::DataLoss
        );
        assert_eq!(
            risk(&change("Remove", "N", "AWS::CloudFormation::Stack", None)),
            Risk::DataLoss
        );
        assert_eq!(
            risk(&change(
                "Modify",
                "T",
                "AWS::DynamoDB::Table",
                Some("False")
            )),
            Risk::Low
        );
        assert_eq!(
            risk(&change("Add", "T", "AWS::DynamoDB::Table", None)),
            Risk::Low
        );
    }

    #[test]
    fn other_risks() {
        assert_eq!(
            risk(&change(
                "Modify",
                "F",
                "AWS::Lambda::Function",
                Some("True")
            )),
            Risk::Replace
        );
        assert_eq!(
            risk(&change("Remove", "F", "AWS::Lambda::Function", None)),
            Risk::Replace
        );
        assert_eq!(
            risk(&change("Modify", "R", "AWS::IAM::Role", Some("False"))),
            Risk::Permissions
        );
        assert_eq!(
            risk(&change("Remove", "V", "AWS::Lambda::Version", None)),
            Risk::Low
        );
    }

    #[test]
    fn every_stateful_type_and_policy_action_is_guarded() {
        for ty in crate::state::STATEFUL_TYPES {
            assert_eq!(
                risk(&change("Remove", "X", ty, None)),
                Risk::DataLoss,
                "{ty}"
            );
            assert_eq!(
                risk(&change("Modify", "X", ty, Some("True"))),
                Risk::DataLoss,
                "{ty}"
            );
        }
        let mut c = change("Modify", "L", "AWS::Logs::LogGroup", Some("False"));
        assert_eq!(risk(&c), Risk::Low);
        c.policy_action = Some("ReplaceAndDelete".into());
        assert_eq!(risk(&c), Risk::DataLoss);
        c.policy_action = Some("Delete".into());
        assert_eq!(risk(&c), Risk::DataLoss);
        c.policy_action = Some("Retain".into());
        assert_eq!(risk(&c), Risk::Low);
    }

    #[test]
    fn a_remove_and_an_add_across_stacks_is_a_move() {
        let mut r = rows(
            &[change(
                "Remove",
                "OrdersTable",
                "AWS::DynamoDB::Table",
                None,
            )],
            "",
        );
        r.extend(rows(
            &[change("Add", "OrdersTable", "AWS::DynamoDB::Table", None)],
            "Nested1x0",
        ));
        r.extend(rows(
            &[change("Add", "ApiFunction", "AWS::Lambda::Function", None)],
            "Nested1x0",
        ));
        let m = with_moves(r);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].action, "Move");
        assert_eq!(m[0].risk, Risk::DataLoss);
        assert_eq!(describe(&m[0]), "OrdersTable: root -> Nested1x0");
        assert_eq!(summary(&m), "1 to add, 0 to modify, 0 to remove, 1 to move");
        assert!(
            table(&m).contains("Move    OrdersTable: root -> Nested1x0"),
            "{}",
            table(&m)
        );
    }

    #[test]
    fn summary_counts_actions() {
        let r = rows(
            &[
                change("Add", "A", "AWS::SQS::Queue", None),
                change("Add", "B", "AWS::SQS::Queue", None),
                change("Modify", "C", "AWS::Lambda::Function", Some("False")),
                change("Remove", "D", "AWS::SNS::Topic", None),
            ],
            "",
        );
        assert_eq!(summary(&r), "2 to add, 1 to modify, 1 to remove");
        let t = table(&r);
        assert!(t.lines().next().unwrap().starts_with("ACTION"));
        assert!(t.contains("Modify  C"), "{t}");
    }
}
