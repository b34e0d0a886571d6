//! `ferry secrets set` and `ferry secrets list`: the values of `secrets:`
//! written to SSM Parameter Store or Secrets Manager, and what those
//! services say about them. A value goes from standard input (or a prompt
//! without echo) straight to the service: it never enters a template, a
//! file, an output or a log line, and nothing here reads one back.

use serde::Serialize;

use crate::aws::{AwsError, Secrets};
use crate::manifest::model::{App, Secret, SecretSource};

/// What `set` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Written {
    Created,
    Updated,
}

/// Secrets Manager's code for a `CreateSecret` of a name that exists.
const SECRET_EXISTS: &str = "ResourceExistsException";

/// Writes `value` as the secret's value: an SSM `SecureString` (created or
/// overwritten), or a Secrets Manager secret (created, or given a new value
/// when it exists; one given by ARN exists by definition).
pub async fn set<A: Secrets>(aws: &A, secret: &Secret, value: &str) -> Result<Written, AwsError> {
    match &secret.source {
        SecretSource::Ssm(name) => {
            let version = aws.put_parameter(name, value).await?;
            Ok(if version <= 1 {
                Written::Created
            } else {
                Written::Updated
            })
        }
        SecretSource::SecretsManager(arn) if arn.starts_with("arn:") => {
            aws.put_secret_value(arn, value).await?;
            Ok(Written::Updated)
        }
        SecretSource::SecretsManager(name) => match aws.create_secret(name, value).await {
            Ok(()) => Ok(Written::Created),
            Err(e) if e.code.as_deref() == Some(SECRET_EXISTS) => {
                aws.put_secret_value(name, value).await?;
                Ok(Written::Updated)
            }
            Err(e) => Err(e),
        },
    }
}

/// One line of `ferry secrets list`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listed {
    /// The name in the manifest.
    pub name: String,
    /// `ssm` or `secretsmanager`.
    pub kind: &'static str,
    /// The parameter's name, or the secret's name or ARN.
    pub id: String,
    /// Whether the service has it (a value was ever set).
    pub exists: bool,
    /// `SecureString`, `String`, `secret`.
    pub detail: Option<String>,
    pub last_changed: Option<String>,
}

/// The app's secrets as the services describe them, in the manifest's
/// order (by name).
pub async fn list<A: Secrets>(aws: &A, app: &App) -> Result<Vec<Listed>, AwsError> {
    let mut out = Vec::new();
    for (name, s) in &app.secrets {
        let state = match &s.source {
            SecretSource::Ssm(p) => aws.describe_parameter(p).await?,
            SecretSource::SecretsManager(id) => aws.describe_secret(id).await?,
        };
        out.push(Listed {
            name: name.clone(),
            kind: s.kind(),
            id: s.id().to_string(),
            exists: state.is_some(),
            detail: state.as_ref().map(|st| st.detail.clone()),
            last_changed: state.and_then(|st| st.last_changed),
        });
    }
    Ok(out)
}

/// The list as a table for people.
pub fn table(rows: &[Listed]) -> String {
    let header = ["NAME", "KIND", "IN AWS", "TYPE", "LAST CHANGED"];
    let mut lines: Vec<[String; 5]> = vec![header.map(String::from)];
    for r in rows {
        lines.push([
            r.name.clone(),
            r.kind.to_string(),
            r.id.clone(),
            r.detail
                .clone()
                .unwrap_or_else(|| "not set (ferry secrets set)".into()),
            r.last_changed.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for l in &lines {
        let mut line = String::new();
        for (c, cell) in l.iter().enumerate() {
            line.push_str(cell);
            line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A value as read from standard input: without the one line ending a
/// shell's `echo` or a file adds.
pub fn trim_line_end(mut v: String) -> String {
    if v.ends_with('\n') {
        v.pop();
        if v.ends_with('\r') {
            v.pop();
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsResult, SecretState};
    use crate::manifest::model::Loc;
    use std::sync::Mutex;

    /// Records the calls; `exists` makes CreateSecret fail as AWS does.
    #[derive(Default)]
    struct Fake {
        exists: bool,
        calls: Mutex<Vec<String>>,
    }

    impl Secrets for Fake {
        async fn put_parameter(&self, name: &str, _value: &str) -> AwsResult<i64> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("PutParameter {name}"));
            Ok(if self.exists { 2 } else { 1 })
        }
        async fn create_secret(&self, name: &str, _value: &str) -> AwsResult<()> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("CreateSecret {name}"));
            if self.exists {
                return Err(AwsError {
                    code: Some(SECRET_EXISTS.into()),
                    message: "CreateSecret: the secret exists (any wording)".into(),
                });
            }
            Ok(())
        }
        async fn put_secret_value(&self, id: &str, _value: &str) -> AwsResult<()> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("PutSecretValue {id}"));
            Ok(())
        }
        async fn describe_parameter(&self, _name: &str) -> AwsResult<Option<SecretState>> {
            Ok(Some(SecretState {
                detail: "SecureString".into(),
                last_changed: Some("2026-01-02T03:04:05Z".into()),
            }))
        }
        async fn describe_secret(&self, _id: &str) -> AwsResult<Option<SecretState>> {
            Ok(None)
        }
    }

    fn secret(source: SecretSource) -> Secret {
        Secret {
            source,
            loc: Loc {
                file: std::path::Path::new("ferry.yaml").into(),
                path: String::new(),
                pos: Default::default(),
            },
        }
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn an_existing_secret_gets_a_new_value_decided_by_the_code() {
        let fake = Fake {
            exists: true,
            ..Fake::default()
        };
        let s = secret(SecretSource::SecretsManager("shop/db".into()));
        assert_eq!(run(set(&fake, &s, "v")).unwrap(), Written::Updated);
        assert_eq!(
            *fake.calls.lock().unwrap(),
            ["CreateSecret shop/db", "PutSecretValue shop/db"]
        );
        let fresh = Fake::default();
        assert_eq!(run(set(&fresh, &s, "v")).unwrap(), Written::Created);
        assert_eq!(*fresh.calls.lock().unwrap(), ["CreateSecret shop/db"]);
    }

    #[test]
    fn a_secret_by_arn_and_a_parameter_are_written_in_one_call() {
        let fake = Fake::default();
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
        run(set(
            &fake,
            &secret(SecretSource::SecretsManager(arn.into())),
            "v",
        ))
        .unwrap();
        let p = secret(SecretSource::Ssm("/shop/key".into()));
        assert_eq!(run(set(&fake, &p, "v")).unwrap(), Written::Created);
        assert_eq!(
            *fake.calls.lock().unwrap(),
            [
                format!("PutSecretValue {arn}"),
                "PutParameter /shop/key".into()
            ]
        );
    }

    #[test]
    fn one_line_end_is_dropped() {
        assert_eq!(trim_line_end("s3cr3t\n".into()), "s3cr3t");
        assert_eq!(trim_line_end("s3cr3t\r\n".into()), "s3cr3t");
        assert_eq!(trim_line_end("a\n\n".into()), "a\n");
        assert_eq!(trim_line_end("a".into()), "a");
    }
}
