//! `ferry local serve`: an HTTP server in front of the app's routes and
//! function URLs. Each function keeps warm instances; concurrent requests
//! start more. With `--watch`, a change under the app's folder reloads the
//! manifest, rebuilds, and swaps the functions in without a restart.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use tokio::net::TcpListener;

use super::api::{self, Invocation};
use super::environment::{Context, LOCAL_ACCOUNT};
use super::http::{self, Route, RouteKind};
use super::instance;
use super::invoke_api;
use super::pool::Pool;
use crate::manifest::model::{App, HttpAuth};

/// Lambda's limit on a synchronous request payload.
const MAX_REQUEST: usize = 6 * 1024 * 1024;

/// What is being served: swapped whole on reload.
pub struct Served {
    pub app: App,
    pub cx: Context,
    pub routes: Vec<Route>,
    pub pools: BTreeMap<String, Arc<Pool>>,
}

/// The functions `ferry local serve` runs: every function built from a
/// crate (its routes and URLs, the Invoke API and schedules reach them).
pub fn functions(app: &App) -> Vec<String> {
    app.functions
        .iter()
        .filter(|(_, f)| matches!(f.code, crate::manifest::model::Code::Crate { .. }))
        .map(|(n, _)| n.clone())
        .collect()
}

impl Served {
    /// The app served from `binaries`: a pool per function, and the routes
    /// of the functions that have one.
    pub fn new(
        app: App,
        cx: Context,
        binaries: &super::host::Binaries,
        logs: &super::Logs,
    ) -> Served {
        let pools = super::pools(&app, binaries, &cx, logs);
        let routes = http::routes(&app)
            .into_iter()
            .filter(|r| pools.contains_key(&r.function))
            .collect();
        Served {
            app,
            cx,
            routes,
            pools,
        }
    }

    /// Each route as (method, URL under `base`, function), in route order;
    /// a function URL answers any method under its prefix.
    pub fn describe_routes(&self, base: &str) -> Vec<(String, String, String)> {
        self.routes
            .iter()
            .map(|r| match &r.kind {
                RouteKind::Api { method, path, .. } => (
                    method.as_str().to_string(),
                    format!("{base}{path}"),
                    r.function.clone(),
                ),
                RouteKind::Url { .. } => (
                    "ANY".to_string(),
                    format!("{base}{}{}/", http::URL_PREFIX, r.function),
                    r.function.clone(),
                ),
            })
            .collect()
    }
}

/// Where access lines go (one per request).
pub type Access = Arc<dyn Fn(&str) + Send + Sync>;

pub type Shared = Arc<RwLock<Arc<Served>>>;

/// Whether a request's `Host` names this server: its loopback address or
/// `localhost`, with its port. Anything else may be a page on another site
/// that reaches the server through DNS rebinding (a name of its own that
/// resolves to 127.0.0.1), while the functions hold the developer's
/// credentials.
pub fn host_allowed(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    let (name, given) = match host.rsplit_once(':') {
        Some((n, p)) => (n.to_string(), p.parse::<u16>().ok()),
        None => (host.clone(), Some(80)),
    };
    given == Some(port) && (name == "127.0.0.1" || name == "localhost")
}

/// Serves until the future `stop` completes.
pub async fn run(
    listener: TcpListener,
    served: Shared,
    access: Access,
    stop: impl std::future::Future<Output = ()>,
) {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let accept = async {
        loop {
            let Ok((stream, remote)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let served = served.clone();
            let access = access.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let current = served.read().expect("lock").clone();
                    let access = access.clone();
                    async move { Ok::<_, Infallible>(handle(current, req, remote, port, &access).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    };
    tokio::select! {
        _ = accept => {}
        _ = stop => {}
    }
}

fn to_hyper(r: http::Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(r.body)));
    *out.status_mut() =
        hyper::StatusCode::from_u16(r.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(&v),
        ) {
            out.headers_mut().append(k, v);
        }
    }
    out
}

async fn handle(
    served: Arc<Served>,
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    port: u16,
    access: &Access,
) -> hyper::Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let allowed = host_allowed(
        req.headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok()),
        port,
    );
    let (r, function) = if !allowed {
        (http::Response::message(421, "Misdirected Request"), None)
    } else if invoke_api::is_invoke(&path) {
        invoke_api::answer(served.clone(), req, access).await
    } else {
        answer(&served, req, remote).await
    };
    access(&format!(
        "{method} {path} -> {} {} ({:.1} ms)",
        function.as_deref().unwrap_or("-"),
        r.status,
        started.elapsed().as_secs_f64() * 1000.0
    ));
    to_hyper(r)
}

/// The response to one request, and the function that answered it.
async fn answer(
    served: &Served,
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
) -> (http::Response, Option<String>) {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match Limited::new(req.into_body(), MAX_REQUEST).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => {
            return (
                http::Response::message(413, "Request Entity Too Large"),
                None,
            );
        }
    };
    let request = http::Request {
        method,
        path,
        query,
        headers,
        body,
        source_ip: remote.ip().to_string(),
    };
    let (method, path) = (request.method.as_str(), request.path.as_str());
    let preflight =
        method == "OPTIONS" && request.header("access-control-request-method").is_some();
    let Some(m) = http::find(&served.routes, method, path).or_else(|| {
        // A preflight needs no OPTIONS route: answer for the path's routes.
        preflight
            .then(|| {
                let wanted = request.header("access-control-request-method")?;
                http::find(&served.routes, wanted, path)
            })
            .flatten()
    }) else {
        return (http::Response::message(404, "Not Found"), None);
    };
    let function = m.route.function.clone();
    let cors = match &m.route.kind {
        RouteKind::Api { .. } => served.app.http.cors.as_ref(),
        RouteKind::Url { cors } => cors.as_ref(),
    };
    if preflight && let Some(c) = cors {
        let r = http::Response {
            status: 204,
            headers: http::cors_headers(c, &request, true),
            body: Vec::new(),
        };
        return (r, None);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let authorizer = match &m.route.kind {
        RouteKind::Api {
            auth: HttpAuth::Jwt { scopes },
            ..
        } => match http::jwt_claims(&request, scopes, now.as_secs()) {
            Ok((claims, granted)) => Some(serde_json::json!({
                "jwt": {
                    "claims": claims,
                    "scopes": if scopes.is_empty() { serde_json::Value::Null } else { serde_json::json!(granted) },
                }
            })),
            Err(refusal) => {
                return (
                    http::Response::message(refusal.status, refusal.message),
                    Some(function),
                );
            }
        },
        _ => None,
    };
    let Some(pool) = served.pools.get(&function) else {
        return (
            http::Response::message(500, "Internal Server Error"),
            Some(function),
        );
    };
    let stamp = http::Stamp {
        request_id: api::new_request_id(),
        epoch_ms: now.as_millis() as u64,
        region: served.cx.region.clone(),
        account: LOCAL_ACCOUNT.into(),
    };
    let event = http::event(&request, &m, authorizer, &stamp);
    let inv = Invocation::new(event.to_string(), &pool.spec().function_arn);
    // As on Lambda, the invocation runs to its end even when the client
    // goes away: it is not cancelled with this request's future.
    let pool = pool.clone();
    let out = match tokio::spawn(async move { pool.invoke(inv).await }).await {
        Ok(out) => out,
        Err(_) => {
            return (
                http::Response::message(500, "Internal Server Error"),
                Some(function),
            );
        }
    };
    let mut r = match &out.result {
        instance::Result::Response(b) => http::response(b),
        instance::Result::Error { error_type, .. } if error_type == "TooManyRequestsException" => {
            http::Response::message(503, "Service Unavailable")
        }
        instance::Result::Error { .. } => http::Response::message(500, "Internal Server Error"),
    };
    if let Some(c) = cors {
        r.headers.extend(http::cors_headers(c, &request, false));
    }
    (r, Some(function))
}

/// Calls `changed` (debounced) whenever a file under `root` changes, but
/// for build output, `.ferry` and `.git`. Returns the watcher: dropping it
/// stops watching.
pub fn watch(
    root: &Path,
    changed: tokio::sync::mpsc::UnboundedSender<PathBuf>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let ignored = |p: &Path| {
        p.components().any(|c| {
            matches!(
                c.as_os_str().to_str(),
                Some("target" | ".ferry" | ".git" | "node_modules")
            )
        })
    };
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(e) = res else { return };
        if !matches!(
            e.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) {
            return;
        }
        for p in e.paths {
            if !ignored(&p) {
                let _ = changed.send(p);
            }
        }
    })?;
    w.watch(root, RecursiveMode::Recursive)?;
    Ok(w)
}

/// Waits for the first change, then for a quiet moment; returns the files
/// changed.
pub async fn next_change(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<PathBuf>,
) -> Option<Vec<PathBuf>> {
    let first = rx.recv().await?;
    let mut paths = vec![first];
    loop {
        match tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
            Ok(Some(p)) => {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
            Ok(None) | Err(_) => return Some(paths),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn crate_functions_are_served_and_their_routes_described() {
        use super::*;
        let app = crate::manifest::load_str(
            Path::new("ferry.yaml"),
            "app: shop\nfunctions:\n  api:\n    triggers:\n      - http: GET /orders/{id}\n      - url: { auth: iam }\n  worker: {}\n  container: { image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:latest }\n",
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|e| match e {
            crate::manifest::LoadError::Plain(m) => panic!("{m}"),
            crate::manifest::LoadError::Invalid { diagnostics, .. } => panic!(
                "{:?}",
                diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
            ),
        });
        assert_eq!(functions(&app), ["api", "worker"]);
        let cx = Context::new(&app, None, None, 9000);
        // Nothing built: no pool, so no route either.
        let logs: super::super::Logs = Arc::new(|_: &str, _: &str| {});
        let none = Served::new(app.clone(), cx.clone(), &Default::default(), &logs);
        assert!(none.routes.is_empty() && none.pools.is_empty());
        let served = Served {
            routes: http::routes(&app),
            ..none
        };
        assert_eq!(
            served.describe_routes("http://127.0.0.1:9000"),
            [
                (
                    "GET".to_string(),
                    "http://127.0.0.1:9000/orders/{id}".to_string(),
                    "api".to_string()
                ),
                (
                    "ANY".to_string(),
                    format!("http://127.0.0.1:9000{}api/", http::URL_PREFIX),
                    "api".to_string()
                ),
            ]
        );
    }

    #[test]
    fn only_its_own_host_and_port() {
        assert!(host_allowed(Some("127.0.0.1:9000"), 9000));
        assert!(host_allowed(Some("localhost:9000"), 9000));
        assert!(host_allowed(Some("LocalHost:9000"), 9000));
        assert!(host_allowed(Some("localhost"), 80));
        assert!(!host_allowed(Some("localhost"), 9000));
        assert!(!host_allowed(Some("127.0.0.1:9001"), 9000));
        assert!(!host_allowed(Some("attacker.example:9000"), 9000));
        assert!(!host_allowed(Some("127.0.0.1.nip.io:9000"), 9000));
        assert!(!host_allowed(Some("localhost.:9000"), 9000));
        assert!(!host_allowed(None, 9000));
    }
}
