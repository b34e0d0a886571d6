//! The `http` trigger: a route of the HTTP API (`METHOD /path`), its
//! authorization (`auth`, `scopes`).

use crate::manifest::decode::{Cx, Fields};
use crate::manifest::known::Known;
use crate::manifest::model::{HttpAuth, HttpMethod, HttpRoute, TriggerKind};
use crate::manifest::vocab;
use crate::manifest::yaml::Node;

/// Reads an `http` trigger's keys.
pub(super) fn read(cx: &mut Cx, f: &mut Fields, known: &Known) -> Option<TriggerKind> {
    let route = f.opt(cx, "http", http_route);
    let auth = f.opt(cx, "auth", |cx, a| {
        Some(match cx.one_of(a, vocab::TRIGGER_HTTP.words("auth"))? {
            "none" => HttpAuth::None,
            "iam" => HttpAuth::Iam,
            _ => {
                if !known.has_jwt {
                    cx.error_hint(
                        a.pos,
                        "`auth: jwt` needs a JWT authorizer",
                        Some("declare `http.jwt` with `issuer` and `audience`".into()),
                    );
                }
                HttpAuth::Jwt { scopes: vec![] }
            }
        })
    });
    let auth_invalid = auth.is_none() && f.written("auth");
    let scopes = f.opt(cx, "scopes", |cx, s| cx.list(s, |cx, i| cx.nonempty(i)));
    let auth = match (auth.unwrap_or(HttpAuth::None), scopes) {
        (HttpAuth::Jwt { .. }, Some(scopes)) => HttpAuth::Jwt { scopes },
        (a, None) => a,
        (a, Some(_)) if auth_invalid => a,
        (a, Some(_)) => {
            let k = f.key("scopes").expect("read");
            cx.at("scopes", |cx| {
                cx.error(k.pos, "`scopes` go with `auth: jwt`")
            });
            a
        }
    };
    route.map(|route| TriggerKind::Http(HttpRoute { auth, ..route }))
}

fn http_route(cx: &mut Cx, v: &Node) -> Option<HttpRoute> {
    let s = cx.nonempty(v)?;
    let mut words = s.split_whitespace();
    let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
        cx.error_hint(
            v.pos,
            format!("invalid route `{s}`: expected `METHOD /path`"),
            Some("e.g. `POST /ride` or `GET /rides/{id}`".into()),
        );
        return None;
    };
    let Some((_, m)) = HttpMethod::ALL.iter().find(|(w, _)| *w == method) else {
        let upper = method.to_ascii_uppercase();
        let hint = if HttpMethod::ALL.iter().any(|(w, _)| *w == upper) {
            Some(format!("write the method in capitals: `{upper}`"))
        } else {
            Some("use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY".into())
        };
        cx.error_hint(v.pos, format!("unknown HTTP method `{method}`"), hint);
        return None;
    };
    if !valid_route_path(path) {
        cx.error_hint(
            v.pos,
            format!("invalid route path `{path}`"),
            Some("a path starts with `/`; parameters are `{name}`, and `{name+}` only as the last segment".into()),
        );
        return None;
    }
    Some(HttpRoute {
        method: *m,
        path: path.to_string(),
        auth: HttpAuth::None,
    })
}

fn valid_route_path(path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    if path == "/" {
        return true;
    }
    let segs: Vec<&str> = path[1..].split('/').collect();
    segs.iter().enumerate().all(|(i, seg)| {
        if seg.is_empty() {
            return false;
        }
        if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            return !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && (!greedy || i == segs.len() - 1);
        }
        seg.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=%".contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_paths() {
        for ok in ["/", "/ride", "/rides/{id}", "/{proxy+}", "/a/b-c/{x_y}"] {
            assert!(valid_route_path(ok), "{ok}");
        }
        for bad in ["ride", "/a//b", "/{proxy+}/x", "/{}", "/a b", "/a/"] {
            assert!(!valid_route_path(bad), "{bad}");
        }
    }
}
