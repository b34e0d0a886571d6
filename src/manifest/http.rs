//! `http`: the HTTP API's CORS and JWT authorizer; CORS settings are
//! shared with function URLs.

use super::decode::Cx;
use super::model::*;
use super::vocab;
use super::yaml::Node;

pub fn decode_http(cx: &mut Cx, node: &Node, app: &str, stage: &str) -> Option<Http> {
    let mut f = cx.fields(node, &vocab::HTTP)?;
    let cors = f.opt(cx, "cors", cors);
    let domain = f.opt(cx, "domain", |cx, n| {
        super::domain::decode(cx, n, app, stage)
    });
    let jwt = f.opt(cx, "jwt", |cx, n| {
        let mut f = cx.fields(n, &vocab::JWT)?;
        let issuer = f.req(cx, "issuer", |cx, n| cx.interp(n));
        let audience = f.req(cx, "audience", |cx, n| {
            let items = cx.list(n, |cx, i| cx.interp(i))?;
            if items.is_empty() {
                cx.error(n.pos, "a JWT authorizer needs at least one audience");
                return None;
            }
            Some(items)
        });
        f.finish(cx);
        Some(Jwt {
            issuer: issuer?,
            audience: audience?,
        })
    });
    f.finish(cx);
    Some(Http { cors, jwt, domain })
}

/// CORS settings, for the HTTP API and for function URLs.
pub fn cors(cx: &mut Cx, node: &Node) -> Option<Cors> {
    let mut f = cx.fields(node, &vocab::CORS)?;
    let strings = |cx: &mut Cx, n: &Node| cx.list(n, |cx, i| cx.nonempty(i));
    let origins = f.opt(cx, "origins", strings);
    let origins_invalid = origins.is_none() && f.written("origins");
    // No `origins`: any origin, as API Gateway's and Lambda's CORS default;
    // refused below together with credentials, which CORS forbids.
    let origins = origins.unwrap_or_else(|| vec!["*".to_string()]);
    let methods = f
        .opt(cx, "methods", |cx, n| {
            cx.list(n, |cx, i| {
                let s = cx.string(i)?;
                // `*` is CORS's own word for every method (API Gateway's
                // AllowMethods takes it); it allows preflight answers, it
                // grants nothing.
                let ok = s == "*" || HttpMethod::ALL.iter().any(|(m, _)| *m == s && *m != "ANY");
                if !ok {
                    cx.error_hint(
                        i.pos,
                        format!("unknown HTTP method `{s}`"),
                        Some("use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *".into()),
                    );
                    return None;
                }
                Some(s)
            })
        })
        .unwrap_or_default();
    let headers = f.opt(cx, "headers", strings).unwrap_or_default();
    let expose_headers = f.opt(cx, "expose_headers", strings).unwrap_or_default();
    let max_age = f.duration(cx, "max_age");
    let allow_credentials = f.flag_or_default(cx, "allow_credentials");
    if allow_credentials && origins.iter().any(|o| o == "*") && !origins_invalid {
        let at = f.get("allow_credentials").expect("read").pos;
        cx.at("allow_credentials", |cx| {
            cx.error_hint(
                at,
                "CORS with `allow_credentials: true` cannot allow every origin (`*`)",
                Some("list the origins explicitly".into()),
            )
        });
    }
    f.finish(cx);
    Some(Cors {
        origins,
        methods,
        headers,
        expose_headers,
        max_age,
        allow_credentials,
    })
}
