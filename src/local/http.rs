//! What `ferry local serve` does with an HTTP request, without the I/O:
//! find the route as API Gateway would, build the payload 2.0 event, and
//! turn the function's answer into the HTTP response. Function URLs are
//! served under `/lambda-url/<function>/`.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::manifest::model::{App, Cors, HttpAuth, HttpMethod, TriggerKind};

/// The path prefix of function URLs.
pub const URL_PREFIX: &str = "/lambda-url/";

/// One servable entry: a route of the HTTP API or a function URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub function: String,
    pub kind: RouteKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RouteKind {
    Api {
        method: HttpMethod,
        path: String,
        auth: HttpAuth,
    },
    Url {
        cors: Option<Cors>,
    },
}

/// Every route and function URL of the app.
pub fn routes(app: &App) -> Vec<Route> {
    let mut out = Vec::new();
    for (name, f) in &app.functions {
        for t in &f.triggers {
            match &t.kind {
                TriggerKind::Http(r) => out.push(Route {
                    function: name.clone(),
                    kind: RouteKind::Api {
                        method: r.method,
                        path: r.path.clone(),
                        auth: r.auth.clone(),
                    },
                }),
                TriggerKind::Url(u) => out.push(Route {
                    function: name.clone(),
                    kind: RouteKind::Url {
                        cors: u.cors.clone(),
                    },
                }),
                _ => {}
            }
        }
    }
    out
}

/// A request as received.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub method: String,
    /// The path, still percent-encoded.
    pub path: String,
    pub query: String,
    /// In arrival order; names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub source_ip: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The route a request matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Matched<'a> {
    pub route: &'a Route,
    /// `POST /ride`, or `$default` for a function URL.
    pub route_key: String,
    pub path_parameters: Vec<(String, String)>,
    /// The path the function sees (a function URL's, without the prefix).
    pub raw_path: String,
}

/// The route API Gateway would choose: an exact path before one with
/// variables, variables before a greedy `{proxy+}`, a method before `ANY`.
pub fn find<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<Matched<'a>> {
    if let Some(rest) = path.strip_prefix(URL_PREFIX) {
        let (function, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let route = routes
            .iter()
            .find(|r| r.function == function && matches!(r.kind, RouteKind::Url { .. }))?;
        return Some(Matched {
            route,
            route_key: "$default".into(),
            path_parameters: Vec::new(),
            raw_path: format!("/{tail}"),
        });
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best: Option<((usize, usize, bool), Matched<'a>)> = None;
    for route in routes {
        let RouteKind::Api {
            method: m,
            path: pattern,
            ..
        } = &route.kind
        else {
            continue;
        };
        let method_ok = *m == HttpMethod::Any || m.as_str().eq_ignore_ascii_case(method);
        if !method_ok {
            continue;
        }
        let Some((literals, greedy, params)) = match_path(pattern, &segments) else {
            continue;
        };
        // More literal segments first, then no greedy variable, then an
        // exact method.
        let rank = (literals, usize::from(!greedy), *m != HttpMethod::Any);
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((
                rank,
                Matched {
                    route,
                    route_key: format!("{} {pattern}", m.as_str()),
                    path_parameters: params,
                    raw_path: path.to_string(),
                },
            ));
        }
    }
    best.map(|(_, m)| m)
}

/// Path variables and their values.
type Params = Vec<(String, String)>;

/// Matches `segments` against a route path: the number of literal segments,
/// whether a greedy variable was used, and the variables.
fn match_path(pattern: &str, segments: &[&str]) -> Option<(usize, bool, Params)> {
    let parts: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    let mut params = Vec::new();
    let mut literals = 0;
    for (i, p) in parts.iter().enumerate() {
        if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            // Greedy: the rest of the path, at least one segment.
            let rest = segments.get(i..)?;
            if rest.is_empty() || rest.iter().all(|s| s.is_empty()) {
                return None;
            }
            params.push((name.to_string(), decode(&rest.join("/"))));
            return Some((literals, true, params));
        }
        let seg = segments.get(i)?;
        if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if seg.is_empty() {
                return None;
            }
            params.push((name.to_string(), decode(seg)));
        } else if p == seg {
            literals += 1;
        } else {
            return None;
        }
    }
    (segments.len() == parts.len()).then_some((literals, false, params))
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Why a request is refused before the function runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub message: &'static str,
}

/// The JWT authorizer, locally: a bearer token whose claims are passed on
/// unverified (the signature, issuer and audience are not checked), refused
/// when absent, malformed, expired, or without the route's scopes.
pub fn jwt_claims(
    req: &Request,
    scopes: &[String],
    now_secs: u64,
) -> Result<(Map<String, Value>, Vec<String>), Refusal> {
    let unauthorized = Refusal {
        status: 401,
        message: "Unauthorized",
    };
    let header = req.header("authorization").ok_or(unauthorized.clone())?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .unwrap_or(header)
        .trim();
    let payload = token.split('.').nth(1).ok_or(unauthorized.clone())?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| unauthorized.clone())?;
    let Ok(Value::Object(raw)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(unauthorized);
    };
    if let Some(exp) = raw.get("exp").and_then(Value::as_u64)
        && exp < now_secs
    {
        return Err(unauthorized);
    }
    let granted: Vec<String> = raw
        .get("scope")
        .or_else(|| raw.get("scp"))
        .map(|s| match s {
            Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    if !scopes.is_empty() && !scopes.iter().any(|s| granted.contains(s)) {
        return Err(Refusal {
            status: 403,
            message: "Forbidden",
        });
    }
    // API Gateway passes every claim as a string; arrays as `[a b]`.
    let claims = raw
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                Value::Array(a) => format!(
                    "[{}]",
                    a.iter()
                        .map(|x| x
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| x.to_string()))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                other => other.to_string(),
            };
            (k, Value::String(s))
        })
        .collect();
    Ok((claims, granted))
}

/// Request details the event carries that do not come from the request.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub request_id: String,
    pub epoch_ms: u64,
    pub region: String,
    pub account: String,
}

/// Content types whose bodies are passed as text; others are base64.
fn is_text(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return true;
    };
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("text/")
        || [
            "json",
            "xml",
            "javascript",
            "x-www-form-urlencoded",
            "graphql",
            "yaml",
        ]
        .iter()
        .any(|t| ct.contains(t))
}

/// The API Gateway (payload 2.0) or function URL event for a request.
pub fn event(req: &Request, m: &Matched, authorizer: Option<Value>, stamp: &Stamp) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (k, v) in &req.headers {
        let k = k.to_ascii_lowercase();
        if k == "cookie" {
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        match headers.get_mut(&k) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(v);
            }
            _ => {
                headers.insert(k, Value::String(v.clone()));
            }
        }
    }
    let mut query = Map::new();
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
        match query.get_mut(k.as_ref()) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(&v);
            }
            _ => {
                query.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
    }
    let is_url = matches!(m.route.kind, RouteKind::Url { .. });
    let api_id = if is_url {
        crate::names::short_hash(m.route.function.as_bytes(), 32)
    } else {
        "local".to_string()
    };
    let domain = if is_url {
        format!("{api_id}.lambda-url.{}.on.aws", stamp.region)
    } else {
        req.header("host").unwrap_or("127.0.0.1").to_string()
    };
    let text = is_text(req.header("content-type")) && std::str::from_utf8(&req.body).is_ok();
    let time = http_time(stamp.epoch_ms);
    let mut context = json!({
        "accountId": if is_url { "anonymous".to_string() } else { stamp.account.clone() },
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split('.').next().unwrap_or_default(),
        "http": {
            "method": req.method,
            "path": m.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": req.source_ip,
            "userAgent": req.header("user-agent").unwrap_or_default(),
        },
        "requestId": stamp.request_id,
        "routeKey": m.route_key,
        "stage": "$default",
        "time": time,
        "timeEpoch": stamp.epoch_ms,
    });
    if let Some(a) = authorizer {
        context["authorizer"] = a;
    }
    let mut e = json!({
        "version": "2.0",
        "routeKey": m.route_key,
        "rawPath": m.raw_path,
        "rawQueryString": req.query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": !text,
    });
    if !cookies.is_empty() {
        e["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        e["queryStringParameters"] = Value::Object(query);
    }
    if !m.path_parameters.is_empty() {
        e["pathParameters"] = Value::Object(
            m.path_parameters
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
    }
    if !req.body.is_empty() {
        e["body"] = Value::String(if text {
            String::from_utf8_lossy(&req.body).into_owned()
        } else {
            base64::engine::general_purpose::STANDARD.encode(&req.body)
        });
    }
    e
}

/// `23/Nov/2026:10:00:00 +0000`, as API Gateway writes `requestContext.time`.
fn http_time(epoch_ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = aws_smithy_types::DateTime::from_millis(epoch_ms as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    // 2026-11-23T10:00:00Z or with fractional seconds
    let (date, time) = iso.split_once('T').unwrap_or(("1970-01-01", "00:00:00Z"));
    let mut d = date.split('-');
    let (y, m, day) = (
        d.next().unwrap_or("1970"),
        d.next().and_then(|m| m.parse::<usize>().ok()).unwrap_or(1),
        d.next().unwrap_or("01"),
    );
    format!(
        "{day}/{}/{y}:{} +0000",
        MONTHS[(m.clamp(1, 12)) - 1],
        &time.get(..8).unwrap_or("00:00:00")
    )
}

/// An HTTP response to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn message(status: u16, message: &str) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: json!({ "message": message }).to_string().into_bytes(),
        }
    }
}

/// The HTTP response for a function's payload, as API Gateway (payload
/// 2.0) and function URLs build it: a `statusCode` object is taken apart,
/// any other JSON is a 200 `application/json` body.
pub fn response(payload: &[u8]) -> Response {
    if let Some(r) = streamed_response(payload) {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(payload) else {
        return Response::message(502, "Internal Server Error");
    };
    let Some(obj) = v.as_object().filter(|o| o.contains_key("statusCode")) else {
        return Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: payload.to_vec(),
        };
    };
    let status = obj["statusCode"]
        .as_u64()
        .or_else(|| obj["statusCode"].as_str().and_then(|s| s.parse().ok()))
        .filter(|s| (100..600).contains(s))
        .unwrap_or(500) as u16;
    let headers = headers_and_cookies(obj);
    let body = match obj.get("body") {
        Some(Value::String(s))
            if obj.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) =>
        {
            match base64::engine::general_purpose::STANDARD.decode(s) {
                Ok(b) => b,
                Err(_) => return Response::message(502, "Internal Server Error"),
            }
        }
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => other.to_string().into_bytes(),
    };
    Response {
        status,
        headers,
        body,
    }
}

/// The `headers` (values as strings) and `cookies` (as `Set-Cookie`) of a
/// payload 2.0 response or a stream's prelude.
fn headers_and_cookies(obj: &Map<String, Value>) -> Vec<(String, String)> {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    let mut headers: Vec<(String, String)> = obj
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    for (k, vs) in obj
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for v in vs.as_array().into_iter().flatten() {
            headers.push((k.clone(), text(v)));
        }
    }
    for c in obj
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(c) = c.as_str() {
            headers.push(("set-cookie".into(), c.to_string()));
        }
    }
    headers
}

/// A streamed HTTP response (`lambda_http::run_with_streaming_response`):
/// a JSON prelude (`statusCode`, `headers`, `cookies`), eight NUL bytes,
/// then the body. None when `payload` is not one (JSON has no raw NUL).
fn streamed_response(payload: &[u8]) -> Option<Response> {
    const DELIMITER: [u8; 8] = [0; 8];
    let at = payload.windows(8).position(|w| w == DELIMITER)?;
    let prelude: Value = serde_json::from_slice(&payload[..at]).ok()?;
    let prelude = prelude.as_object()?;
    let status = prelude
        .get("statusCode")
        .and_then(Value::as_u64)
        .filter(|s| (100..600).contains(s))
        .unwrap_or(200) as u16;
    let headers = headers_and_cookies(prelude);
    let mut body = payload[at + 8..].to_vec();
    // lambda_runtime writes a failure midway as a last chunk of
    // trailer-like lines: the client sees the body up to there.
    let marker = b"Lambda-Runtime-Function-Error-Type: ";
    if let Some(cut) = body.windows(marker.len()).position(|w| w == marker) {
        body.truncate(cut);
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

/// The CORS headers for a request, when `cors` allows its origin.
pub fn cors_headers(cors: &Cors, req: &Request, preflight: bool) -> Vec<(String, String)> {
    let Some(origin) = req.header("origin") else {
        return Vec::new();
    };
    let allowed = cors
        .origins
        .iter()
        .any(|o| o == "*" || o.eq_ignore_ascii_case(origin));
    if !allowed {
        return Vec::new();
    }
    let star = cors.origins.iter().any(|o| o == "*") && !cors.allow_credentials;
    let mut h = vec![(
        "access-control-allow-origin".to_string(),
        if star {
            "*".to_string()
        } else {
            origin.to_string()
        },
    )];
    if cors.allow_credentials {
        h.push(("access-control-allow-credentials".into(), "true".into()));
    }
    if preflight {
        if !cors.methods.is_empty() {
            h.push((
                "access-control-allow-methods".into(),
                cors.methods.join(","),
            ));
        }
        if !cors.headers.is_empty() {
            h.push((
                "access-control-allow-headers".into(),
                cors.headers.join(","),
            ));
        }
        if let Some(age) = cors.max_age {
            h.push(("access-control-max-age".into(), age.secs().to_string()));
        }
    } else if !cors.expose_headers.is_empty() {
        h.push((
            "access-control-expose-headers".into(),
            cors.expose_headers.join(","),
        ));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(function: &str, method: HttpMethod, path: &str) -> Route {
        Route {
            function: function.into(),
            kind: RouteKind::Api {
                method,
                path: path.into(),
                auth: HttpAuth::None,
            },
        }
    }

    #[test]
    fn the_most_specific_route_wins() {
        let routes = vec![
            api("proxy", HttpMethod::Any, "/{proxy+}"),
            api("one", HttpMethod::Get, "/items/{id}"),
            api("new", HttpMethod::Get, "/items/new"),
            api("any", HttpMethod::Any, "/items/{id}"),
        ];
        let f = |m: &str, p: &str| find(&routes, m, p).map(|m| m.route.function.clone());
        assert_eq!(f("GET", "/items/new").as_deref(), Some("new"));
        assert_eq!(f("GET", "/items/42").as_deref(), Some("one"));
        assert_eq!(f("DELETE", "/items/42").as_deref(), Some("any"));
        assert_eq!(f("GET", "/a/b/c").as_deref(), Some("proxy"));
        let m = find(&routes, "GET", "/items/a%20b").unwrap();
        assert_eq!(m.path_parameters, vec![("id".into(), "a b".into())]);
        assert_eq!(m.route_key, "GET /items/{id}");
        let m = find(&routes, "POST", "/x/y").unwrap();
        assert_eq!(m.path_parameters, vec![("proxy".into(), "x/y".into())]);
        assert!(find(&routes[1..], "GET", "/items").is_none());
        assert!(find(&routes[1..], "GET", "/items/1/2").is_none());
    }

    #[test]
    fn function_urls_are_served_under_their_prefix() {
        let routes = vec![Route {
            function: "hook".into(),
            kind: RouteKind::Url { cors: None },
        }];
        let m = find(&routes, "POST", "/lambda-url/hook/a/b").unwrap();
        assert_eq!(m.raw_path, "/a/b");
        assert_eq!(m.route_key, "$default");
        assert!(find(&routes, "POST", "/lambda-url/other/").is_none());
    }

    fn stamp() -> Stamp {
        Stamp {
            request_id: "r1".into(),
            epoch_ms: 1_795_428_000_000,
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    #[test]
    fn events_carry_what_api_gateway_sends() {
        let routes = vec![api("f", HttpMethod::Post, "/users/{id}")];
        let req = Request {
            method: "POST".into(),
            path: "/users/7".into(),
            query: "a=1&a=2&b=x%20y".into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-Multi".into(), "1".into()),
                ("x-multi".into(), "2".into()),
                ("Cookie".into(), "s=1; t=2".into()),
            ],
            body: br#"{"n":1}"#.to_vec(),
            source_ip: "127.0.0.1".into(),
        };
        let m = find(&routes, "POST", "/users/7").unwrap();
        let e = event(&req, &m, None, &stamp());
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "POST /users/{id}");
        assert_eq!(e["pathParameters"]["id"], "7");
        assert_eq!(e["queryStringParameters"]["a"], "1,2");
        assert_eq!(e["queryStringParameters"]["b"], "x y");
        assert_eq!(e["headers"]["x-multi"], "1,2");
        assert_eq!(e["cookies"], json!(["s=1", "t=2"]));
        assert_eq!(e["body"], r#"{"n":1}"#);
        assert_eq!(e["isBase64Encoded"], false);
        assert_eq!(e["requestContext"]["http"]["method"], "POST");
        assert_eq!(e["requestContext"]["time"], "23/Nov/2026:10:00:00 +0000");
        let bin = Request {
            headers: vec![("content-type".into(), "image/png".into())],
            body: vec![0, 159, 146, 150],
            ..req
        };
        let e = event(&bin, &m, None, &stamp());
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(e["body"], "AJ+Slg==");
    }

    #[test]
    fn responses_follow_payload_2_0() {
        let r =
            response(br#"{"statusCode":201,"headers":{"x-a":"1"},"cookies":["c=1"],"body":"hi"}"#);
        assert_eq!(r.status, 201);
        assert!(r.headers.contains(&("x-a".into(), "1".into())));
        assert!(r.headers.contains(&("set-cookie".into(), "c=1".into())));
        assert_eq!(r.body, b"hi");
        let r = response(br#"{"statusCode":200,"body":"AAE=","isBase64Encoded":true}"#);
        assert_eq!(r.body, vec![0, 1]);
        let r = response(br#"{"message":"plain"}"#);
        assert_eq!(r.status, 200);
        assert_eq!(r.body, br#"{"message":"plain"}"#);
        assert_eq!(response(b"not json").status, 502);
    }

    #[test]
    fn streamed_responses_are_taken_apart() {
        let mut payload =
            br#"{"statusCode":202,"headers":{"content-type":"text/plain"},"cookies":["a=1"]}"#
                .to_vec();
        payload.extend([0u8; 8]);
        payload.extend(b"chunk one, chunk two");
        let r = response(&payload);
        assert_eq!(r.status, 202);
        assert!(
            r.headers
                .contains(&("content-type".into(), "text/plain".into()))
        );
        assert!(r.headers.contains(&("set-cookie".into(), "a=1".into())));
        assert_eq!(r.body, b"chunk one, chunk two");
        payload.extend(b"Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\nLambda-Runtime-Function-Error-Body: Ym9vbQ==\r\n");
        assert_eq!(response(&payload).body, b"chunk one, chunk two");
    }

    fn token(claims: Value) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "Bearer {}.{}.sig",
            b.encode(b"{}"),
            b.encode(claims.to_string())
        )
    }

    #[test]
    fn jwt_claims_are_passed_on_and_checked_for_expiry_and_scopes() {
        let req = |t: Option<String>| Request {
            headers: t
                .map(|t| vec![("Authorization".to_string(), t)])
                .unwrap_or_default(),
            ..Request::default()
        };
        let now = 1_800_000_000;
        let ok = req(Some(token(
            json!({"cognito:username": "rider", "exp": now + 60, "scope": "rides/write"}),
        )));
        let (claims, scopes) = jwt_claims(&ok, &[], now).unwrap();
        assert_eq!(claims["cognito:username"], "rider");
        assert_eq!(claims["exp"], (now + 60).to_string());
        assert_eq!(scopes, vec!["rides/write".to_string()]);
        assert!(jwt_claims(&ok, &["rides/write".into()], now).is_ok());
        assert_eq!(
            jwt_claims(&ok, &["admin".into()], now).unwrap_err().status,
            403
        );
        assert_eq!(jwt_claims(&req(None), &[], now).unwrap_err().status, 401);
        assert_eq!(
            jwt_claims(&req(Some("Bearer nope".into())), &[], now)
                .unwrap_err()
                .status,
            401
        );
        let expired = req(Some(token(json!({"exp": now - 1}))));
        assert_eq!(jwt_claims(&expired, &[], now).unwrap_err().status, 401);
    }

    #[test]
    fn cors_allows_only_listed_origins() {
        let cors = Cors {
            origins: vec!["https://app.example".into()],
            methods: vec!["GET".into()],
            ..Cors::default()
        };
        let req = |o: &str| Request {
            headers: vec![("Origin".into(), o.into())],
            ..Request::default()
        };
        let h = cors_headers(&cors, &req("https://app.example"), true);
        assert!(h.contains(&(
            "access-control-allow-origin".into(),
            "https://app.example".into()
        )));
        assert!(h.contains(&("access-control-allow-methods".into(), "GET".into())));
        assert!(cors_headers(&cors, &req("https://evil.example"), true).is_empty());
    }
}
