//! `${...}` references inside manifest strings, parsed into typed targets.
//!
//! A reference never becomes a literal value: synth compiles each one to
//! `Ref`, `Fn::GetAtt` or `Fn::Sub`. `$${` writes a literal `${`.

use std::fmt;

use crate::diagnostic::did_you_mean;

/// The sections whose entries can be referenced by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Tables,
    Queues,
    Topics,
    Buckets,
    Functions,
    StateMachines,
    Layers,
    Parameters,
    Buses,
    Secrets,
}

impl Section {
    pub fn key(self) -> &'static str {
        match self {
            Section::Tables => "tables",
            Section::Queues => "queues",
            Section::Topics => "topics",
            Section::Buckets => "buckets",
            Section::Functions => "functions",
            Section::StateMachines => "state_machines",
            Section::Layers => "layers",
            Section::Parameters => "parameters",
            Section::Buses => "buses",
            Section::Secrets => "secrets",
        }
    }

    /// The singular noun, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Section::Tables => "table",
            Section::Queues => "queue",
            Section::Topics => "topic",
            Section::Buckets => "bucket",
            Section::Functions => "function",
            Section::StateMachines => "state machine",
            Section::Layers => "layer",
            Section::Parameters => "parameter",
            Section::Buses => "bus",
            Section::Secrets => "secret",
        }
    }

    /// The attributes a `${section.name.attr}` reference may ask for.
    fn attrs(self) -> &'static [Attr] {
        match self {
            Section::Tables => &[Attr::Name, Attr::Arn, Attr::StreamArn],
            Section::Queues => &[Attr::Url, Attr::Arn, Attr::Name],
            Section::Topics => &[Attr::Arn, Attr::Name],
            Section::Buckets => &[Attr::Name, Attr::Arn],
            Section::Functions => &[Attr::Name, Attr::Arn],
            Section::StateMachines => &[Attr::Arn, Attr::Name],
            Section::Buses | Section::Secrets => &[Attr::Name, Attr::Arn],
            Section::Layers | Section::Parameters => &[],
        }
    }

    const REFERABLE: [Section; 8] = [
        Section::Tables,
        Section::Queues,
        Section::Topics,
        Section::Buckets,
        Section::Functions,
        Section::StateMachines,
        Section::Buses,
        Section::Secrets,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attr {
    Name,
    Arn,
    StreamArn,
    Url,
}

impl Attr {
    pub fn key(self) -> &'static str {
        match self {
            Attr::Name => "name",
            Attr::Arn => "arn",
            Attr::StreamArn => "stream_arn",
            Attr::Url => "url",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pseudo {
    Region,
    AccountId,
    Partition,
    UrlSuffix,
}

/// What a reference points at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ref {
    App,
    Stage,
    Aws(Pseudo),
    Param(String),
    /// `${section.name.attr}`
    Attr(Section, String, Attr),
    /// An entry named in a key such as `queue: ride-failures`.
    Named(Section, String),
    HttpUrl,
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ref::App => f.write_str("${app}"),
            Ref::Stage => f.write_str("${stage}"),
            Ref::Aws(p) => write!(
                f,
                "${{aws.{}}}",
                match p {
                    Pseudo::Region => "region",
                    Pseudo::AccountId => "account_id",
                    Pseudo::Partition => "partition",
                    Pseudo::UrlSuffix => "url_suffix",
                }
            ),
            Ref::Param(p) => write!(f, "${{params.{p}}}"),
            Ref::Attr(s, n, a) => write!(f, "${{{}.{n}.{}}}", s.key(), a.key()),
            Ref::Named(s, n) => write!(f, "{} `{n}`", s.noun()),
            Ref::HttpUrl => f.write_str("${http.url}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit(String),
    Ref { target: Ref, offset: usize },
}

/// A string with its references parsed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Interp {
    pub parts: Vec<Part>,
}

impl Interp {
    pub fn literal(s: impl Into<String>) -> Self {
        let s = s.into();
        if s.is_empty() {
            return Interp { parts: vec![] };
        }
        Interp {
            parts: vec![Part::Lit(s)],
        }
    }

    /// The string when it holds no reference.
    pub fn as_literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Ref { .. } => return None,
            }
        }
        Some(s)
    }

    pub fn refs(&self) -> impl Iterator<Item = &Ref> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref { target, .. } => Some(target),
            Part::Lit(_) => None,
        })
    }

    pub fn refs_with_offsets(&self) -> impl Iterator<Item = (&Ref, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref { target, offset } => Some((target, *offset)),
            Part::Lit(_) => None,
        })
    }
}

impl fmt::Display for Interp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                Part::Lit(l) => f.write_str(&l.replace("${", "$${"))?,
                Part::Ref { target, .. } => write!(f, "{target}")?,
            }
        }
        Ok(())
    }
}

/// A malformed reference: where in the string, and why.
#[derive(Debug)]
pub struct InterpError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// Parses the references of one string.
pub fn parse(s: &str) -> Result<Interp, InterpError> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    let mut base = 0;
    while let Some(i) = rest.find("${") {
        if rest[..i].ends_with('$') {
            // `$${` is a literal `${`.
            lit.push_str(&rest[..i - 1]);
            lit.push_str("${");
            base += i + 2;
            rest = &rest[i + 2..];
            continue;
        }
        lit.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(InterpError {
                offset: base + i,
                message: "unclosed `${`: a reference ends with `}`".into(),
                hint: Some("write `$${` for a literal `${`".into()),
            });
        };
        let target = parse_ref(&after[..end]).map_err(|(message, hint)| InterpError {
            offset: base + i,
            message,
            hint,
        })?;
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(&mut lit)));
        }
        parts.push(Part::Ref {
            target,
            offset: base + i,
        });
        base += i + 2 + end + 1;
        rest = &after[end + 1..];
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(Interp { parts })
}

const ROOTS: [&str; 13] = [
    "app",
    "stage",
    "aws",
    "params",
    "tables",
    "queues",
    "topics",
    "buckets",
    "functions",
    "state_machines",
    "buses",
    "secrets",
    "http",
];

/// A reference as written, `${body}`, for messages (rendered only when one
/// is reported).
struct Shown<'a>(&'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${{{}}}", self.0)
    }
}

fn parse_ref(body: &str) -> Result<Ref, (String, Option<String>)> {
    let shown = Shown(body);
    let segs: Vec<&str> = body.split('.').collect();
    let bad_shape = |expected: &str| {
        (
            format!("invalid reference `{shown}`: expected {expected}"),
            None,
        )
    };
    match segs[0] {
        "app" | "stage" if segs.len() == 1 => Ok(if segs[0] == "app" {
            Ref::App
        } else {
            Ref::Stage
        }),
        "app" | "stage" => Err(bad_shape(&format!("`${{{}}}`", segs[0]))),
        "aws" => {
            let words = ["region", "account_id", "partition", "url_suffix"];
            match segs.get(1..) {
                Some(["region"]) => Ok(Ref::Aws(Pseudo::Region)),
                Some(["account_id"]) => Ok(Ref::Aws(Pseudo::AccountId)),
                Some(["partition"]) => Ok(Ref::Aws(Pseudo::Partition)),
                Some(["url_suffix"]) => Ok(Ref::Aws(Pseudo::UrlSuffix)),
                Some([other]) => Err((
                    format!("unknown reference `{shown}`"),
                    did_you_mean(other, words)
                        .or_else(|| Some(format!("`aws.` takes one of: {}", words.join(", ")))),
                )),
                _ => Err(bad_shape(
                    "`${aws.region}`, `${aws.account_id}` or `${aws.partition}`",
                )),
            }
        }
        "params" => match segs.get(1..) {
            Some([name]) if !name.is_empty() => Ok(Ref::Param(name.to_string())),
            _ => Err(bad_shape("`${params.NAME}`")),
        },
        "http" => match segs.get(1..) {
            Some(["url"]) => Ok(Ref::HttpUrl),
            _ => Err(bad_shape("`${http.url}`")),
        },
        root => {
            let Some(section) = Section::REFERABLE.iter().copied().find(|s| s.key() == root) else {
                return Err((
                    format!("unknown reference `{shown}`"),
                    did_you_mean(root, ROOTS).or_else(|| {
                        Some(format!(
                            "a reference starts with one of: {}",
                            ROOTS.join(", ")
                        ))
                    }),
                ));
            };
            let attrs: Vec<&str> = section.attrs().iter().map(|a| a.key()).collect();
            match segs.get(1..) {
                Some([name, attr]) if !name.is_empty() => {
                    match section.attrs().iter().find(|a| a.key() == *attr) {
                        Some(a) => Ok(Ref::Attr(section, name.to_string(), *a)),
                        None => Err((
                            format!(
                                "unknown attribute `{attr}` in `{shown}`: a {} has {}",
                                section.noun(),
                                attrs.join(", ")
                            ),
                            did_you_mean(attr, attrs.iter().copied()).or_else(|| {
                                (section == Section::Secrets).then(|| {
                                    "a secret's value never enters the template: pass its name, and let the function read the value (access.secrets: read)".to_string()
                                })
                            }),
                        )),
                    }
                }
                _ => Err(bad_shape(&format!(
                    "`${{{root}.NAME.ATTR}}` with ATTR one of {}",
                    attrs.join(", ")
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literals_and_references() {
        let i = parse("arn:${aws.partition}:x/${tables.rides.name}-end").unwrap();
        assert_eq!(i.parts.len(), 5);
        let refs: Vec<_> = i.refs().cloned().collect();
        assert_eq!(
            refs,
            vec![
                Ref::Aws(Pseudo::Partition),
                Ref::Attr(Section::Tables, "rides".into(), Attr::Name)
            ]
        );
        assert_eq!(i.refs_with_offsets().nth(1).unwrap().1, 23);
    }

    #[test]
    fn escapes_a_literal_dollar_brace() {
        let i = parse("a $${b} c").unwrap();
        assert_eq!(i.as_literal().unwrap(), "a ${b} c");
    }

    #[test]
    fn rejects_malformed_references_with_offsets() {
        let e = parse("x ${tables.rides.nmae}").unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(
            e.message.contains("unknown attribute `nmae`"),
            "{}",
            e.message
        );
        assert_eq!(e.hint.as_deref(), Some("did you mean `name`?"));
        assert!(
            parse("${tabels.x.name}")
                .unwrap_err()
                .hint
                .unwrap()
                .contains("tables")
        );
        assert!(parse("${app").unwrap_err().message.contains("unclosed"));
        assert!(parse("${queues.q}").is_err());
    }
}
