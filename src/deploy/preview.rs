//! The change-set preview: one row per change with its risk, the summary
//! line, and which rows would lose data.

use serde::Serialize;

use crate::aws::Change;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// A table, bucket or queue (or a nested stack holding resources) is
    /// removed or replaced: its data goes with it.
    DataLoss,
    /// Another resource is replaced or removed.
    Replace,
    /// IAM changes.
    Permissions,
    Low,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::DataLoss => "DATA LOSS",
            Risk::Replace => "replace",
            Risk::Permissions => "permissions",
            Risk::Low => "",
        }
    }
}

/// One row of the preview.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub action: String,
    /// `Nested1x0/OrdersTable` for a resource of a nested stack.
    pub logical_id: String,
    pub resource_type: String,
    pub replacement: String,
    pub risk: Risk,
}

const DATA_TYPES: [&str; 3] = ["AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue"];

/// The risk of one change.
pub fn risk(c: &Change) -> Risk {
    let replaces = matches!(c.replacement.as_deref(), Some("True") | Some("Conditional"));
    let removes = c.action == "Remove";
    let holds_data = DATA_TYPES.contains(&c.resource_type.as_str())
        || c.resource_type == "AWS::CloudFormation::Stack";
    if (removes || replaces) && holds_data {
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
        })
        .collect()
}

/// `N to add, N to modify, N to remove`.
pub fn summary(rows: &[Row]) -> String {
    let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
    let add = count("Add") + count("Import");
    let remove = count("Remove");
    let modify = rows.len() - add - remove;
    format!("{add} to add, {modify} to modify, {remove} to remove")
}

/// The preview as a table.
pub fn table(rows: &[Row]) -> String {
    let headers = ["ACTION", "LOGICAL ID", "TYPE", "REPLACEMENT", "RISK"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.action.clone(),
                r.logical_id.clone(),
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
