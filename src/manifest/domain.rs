//! `http.domain`: the HTTP API under a custom domain name, with an existing
//! ACM certificate (`certificate`) or one ferry creates and validates in a
//! Route 53 hosted zone (`zone`), where it also writes the alias record.

use super::decode::Cx;
use super::model::{App, Domain, DomainTls};
use super::secrets::literal;
use super::yaml::Node;

const KINDS: [&str; 2] = ["certificate", "zone"];

/// Decodes `http.domain`; `app` and `stage` resolve `${app}` and `${stage}`
/// in the name.
pub fn decode(cx: &mut Cx, node: &Node, app: &str, stage: &str) -> Option<Domain> {
    let loc = cx.loc(node.pos);
    let mut f = cx.fields(node, &super::vocab::DOMAIN)?;
    let name = f.req(cx, "name", |cx, n| {
        let name = literal(cx, n, app, stage)?;
        domain_name(cx, n, &name)?;
        Some(name)
    });
    let present: Vec<&str> = KINDS.iter().copied().filter(|k| f.has(k)).collect();
    let tls = if present.len() == 1 {
        if present[0] == "certificate" {
            f.opt(cx, "certificate", |cx, n| {
                let i = cx.interp(n)?;
                if let Some(lit) = i.as_literal() {
                    if !is_certificate_arn(&lit) {
                        cx.error_hint(
                            n.pos,
                            format!("`{lit}` is not an ACM certificate ARN"),
                            Some(
                                "arn:aws:acm:REGION:ACCOUNT:certificate/ID, in the stack's region"
                                    .into(),
                            ),
                        );
                        return None;
                    }
                }
                Some(DomainTls::Certificate(i))
            })
        } else {
            f.opt(cx, "zone", |cx, n| {
                let i = cx.interp(n)?;
                if let Some(lit) = i.as_literal() {
                    if !is_zone_id(&lit) {
                        cx.error_hint(
                            n.pos,
                            format!("`{lit}` is not a Route 53 hosted zone id"),
                            Some(
                                "e.g. `Z0123456789ABC` (Route 53 > Hosted zones > Hosted zone ID)"
                                    .into(),
                            ),
                        );
                        return None;
                    }
                }
                Some(DomainTls::Zone(i))
            })
        }
    } else {
        // A misspelled kind is reported as an unknown key, with a hint.
        if !(present.is_empty() && KINDS.iter().any(|k| f.written(k))) {
            cx.error_hint(
                node.pos,
                format!(
                    "a custom domain names exactly one of: certificate, zone{}",
                    if present.is_empty() { "" } else { " (not both)" }
                ),
                Some("`certificate`: an existing ACM certificate ARN; `zone`: a Route 53 hosted zone where ferry creates the certificate and the DNS record".into()),
            );
        }
        for k in KINDS {
            f.get(k);
        }
        None
    };
    f.finish(cx);
    Some(Domain {
        name: name?,
        tls: tls?,
        loc,
    })
}

/// A custom domain needs the HTTP API it names.
pub fn check(cx: &mut Cx, app: &App) {
    if let Some(d) = &app.http.domain {
        if !app.has_http_api() {
            cx.report(
                &d.loc,
                "a custom domain needs an HTTP API, and no function has an `http` trigger",
                Some("add an `http` trigger to a function, or remove `http.domain`".into()),
            );
        }
    }
}

/// Lowercase labels of letters, digits and `-`, at least two of them, at
/// most 253 characters.
fn domain_name(cx: &mut Cx, n: &Node, name: &str) -> Option<()> {
    let labels: Vec<&str> = name.split('.').collect();
    let ok = name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !ok {
        let hint = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            format!("write it in lowercase: `{}`", name.to_ascii_lowercase())
        } else {
            "e.g. `api.example.com` or `${stage}.api.example.com`".to_string()
        };
        cx.error_hint(n.pos, format!("invalid domain name `{name}`"), Some(hint));
        return None;
    }
    Some(())
}

fn is_certificate_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "acm", region, account, resource]
        if partition.starts_with("aws") && !region.is_empty()
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("certificate/").is_some_and(|id| !id.is_empty()))
}

/// Route 53 hosted zone ids: uppercase letters and digits.
fn is_zone_id(s: &str) -> bool {
    (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use crate::manifest::model::DomainTls;
    use crate::manifest::{Disk, LoadError, load_str};
    use std::path::Path;

    const FUNCTION: &str = "functions:\n  a: { triggers: [ { http: GET /a } ] }\n";

    fn load(http: &str) -> Result<crate::manifest::model::App, Vec<String>> {
        let text = format!("app: shop\nhttp:\n  domain: {http}\n{FUNCTION}");
        load_str(Path::new("ferry.yaml"), &text, "prod", &Disk).map_err(|e| match e {
            LoadError::Invalid { diagnostics, .. } => diagnostics
                .into_iter()
                .map(|d| format!("{} {}", d.path, d.message))
                .collect(),
            LoadError::Plain(m) => vec![m],
        })
    }

    #[test]
    fn the_name_takes_the_stage() {
        let app = load("{ name: \"${stage}.api.example.com\", zone: Z0123456789ABC }").unwrap();
        let d = app.http.domain.unwrap();
        assert_eq!(d.name, "prod.api.example.com");
        assert!(matches!(d.tls, DomainTls::Zone(_)));
    }

    #[test]
    fn certificate_or_zone_exactly() {
        assert_eq!(
            load("{ name: api.example.com }").unwrap_err(),
            vec!["http.domain a custom domain names exactly one of: certificate, zone"]
        );
        let both = load("{ name: api.example.com, zone: Z1, certificate: \"arn:aws:acm:us-east-1:123456789012:certificate/abc\" }").unwrap_err();
        assert!(both[0].ends_with("(not both)"), "{both:?}");
        assert_eq!(
            load("{ name: Api.Example.com, zone: z1 }").unwrap_err(),
            vec![
                "http.domain.name invalid domain name `Api.Example.com`",
                "http.domain.zone `z1` is not a Route 53 hosted zone id"
            ]
        );
    }

    #[test]
    fn a_domain_needs_an_http_api() {
        let e = load_str(
            Path::new("ferry.yaml"),
            "app: shop\nhttp: { domain: { name: api.example.com, zone: Z1 } }\nfunctions: { a: {} }\n",
            "dev",
            &Disk,
        )
        .err()
        .unwrap();
        let LoadError::Invalid { diagnostics, .. } = e else {
            panic!()
        };
        assert_eq!(diagnostics[0].path, "http.domain");
        assert!(diagnostics[0].message.contains("needs an HTTP API"));
    }
}
