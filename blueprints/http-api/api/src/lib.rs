//! A small JSON API: `GET /hello/{name}` greets, `POST /echo` answers the
//! JSON it was sent. The routing is here, free of the runtime, so that it is
//! tested with the sample events in `events/`.

use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Value, json};

fn respond(status: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Body::Text(body.to_string()))
        .expect("a valid response")
}

/// Answers one request of the HTTP API.
pub fn handle(greeting: &str, req: Request) -> Response<Body> {
    let method = req.method().as_str().to_string();
    let params = req.path_parameters();
    match (method.as_str(), params.first("name")) {
        ("GET", Some(name)) => {
            let shout = req.query_string_parameters().first("shout").is_some();
            let mut message = format!("{greeting}, {name}!");
            if shout {
                message = message.to_uppercase();
            }
            respond(200, json!({ "message": message }))
        }
        ("POST", _) => match serde_json::from_slice::<Value>(req.body().as_ref()) {
            Ok(v) => respond(200, json!({ "echo": v })),
            Err(e) => respond(
                400,
                json!({ "error": format!("the body is not JSON: {e}") }),
            ),
        },
        _ => respond(404, json!({ "error": "no such route" })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> Request {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn body(r: &Response<Body>) -> Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    #[test]
    fn hello_greets_the_path_parameter() {
        let r = handle("Hello", event("hello.json"));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["Content-Type"], "application/json");
        assert_eq!(body(&r)["message"], "Hello, ferry!");
    }

    #[test]
    fn hello_shouts_when_asked() {
        let mut req = event("hello.json");
        *req.uri_mut() = "/hello/ferry?shout=1".parse().unwrap();
        let req = req.with_query_string_parameters(
            [("shout".to_string(), "1".to_string())]
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        );
        assert_eq!(body(&handle("Hello", req))["message"], "HELLO, FERRY!");
    }

    #[test]
    fn echo_answers_the_json_it_was_sent() {
        let r = handle("Hello", event("echo.json"));
        assert_eq!(r.status(), 200);
        assert_eq!(body(&r)["echo"]["ride"], 42);
    }

    #[test]
    fn echo_refuses_what_is_not_json() {
        let r = handle("Hello", event("echo-malformed.json"));
        assert_eq!(r.status(), 400);
        assert!(body(&r)["error"].as_str().unwrap().contains("not JSON"));
    }
}
