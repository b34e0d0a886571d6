//! RequestUnicorn: the WildRydes ride request, on the HTTP API behind a
//! Cognito JWT authorizer. The logic is here, free of AWS, so that it is
//! tested with the sample events; `main.rs` wires it to DynamoDB.

use std::future::Future;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Unicorn {
    pub name: &'static str,
    pub color: &'static str,
    pub gender: &'static str,
}

/// The workshop's fleet.
pub const FLEET: [Unicorn; 3] = [
    Unicorn {
        name: "Bucephalus",
        color: "Golden",
        gender: "Male",
    },
    Unicorn {
        name: "Shadowfax",
        color: "White",
        gender: "Male",
    },
    Unicorn {
        name: "Rocinante",
        color: "Yellow",
        gender: "Female",
    },
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RideRequest {
    pub pickup_location: Location,
}

/// The item written to the rides table.
#[derive(Clone, Debug, PartialEq)]
pub struct Ride {
    pub ride_id: String,
    pub user: String,
    pub unicorn: Unicorn,
    pub request_time: String,
}

/// Where rides are recorded.
pub trait RideStore {
    fn put_ride(&self, ride: &Ride) -> impl Future<Output = Result<(), String>>;
}

fn respond(status: u16, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("Access-Control-Allow-Origin", "*")
        .header("Content-Type", "application/json")
        .body(Body::Text(body.to_string()))
        .expect("a valid response")
}

/// The rider's user name, from the JWT authorizer's claims.
fn rider(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()?
            .jwt
            .as_ref()?
            .claims
            .get("cognito:username")
            .cloned(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Handles `POST /ride`. `ride_id` and `now` are given so that tests are
/// repeatable.
pub async fn request_unicorn(
    store: &impl RideStore,
    req: Request,
    ride_id: String,
    now: String,
) -> Response<Body> {
    let Some(user) = rider(&req) else {
        return respond(
            401,
            json!({ "Error": "Unauthorized: no authenticated rider" }),
        );
    };
    let body: RideRequest = match serde_json::from_slice(req.body().as_ref()) {
        Ok(b) => b,
        Err(e) => {
            return respond(
                400,
                json!({ "Error": format!("Expected {{\"PickupLocation\": {{\"Latitude\", \"Longitude\"}}}}: {e}") }),
            );
        }
    };
    let _ = (
        body.pickup_location.latitude,
        body.pickup_location.longitude,
    );
    let unicorn = pick(&ride_id);
    let ride = Ride {
        ride_id: ride_id.clone(),
        user: user.clone(),
        unicorn,
        request_time: now,
    };
    if let Err(e) = store.put_ride(&ride).await {
        let reference = req
            .lambda_context_ref()
            .map(|c| c.request_id.clone())
            .unwrap_or_default();
        return respond(500, json!({ "Error": e, "Reference": reference }));
    }
    respond(
        201,
        json!({
            "RideId": ride_id,
            "Unicorn": unicorn,
            "UnicornName": unicorn.name,
            "Eta": "30 seconds",
            "Rider": user,
        }),
    )
}

/// A unicorn from the fleet, chosen by the ride id.
fn pick(ride_id: &str) -> Unicorn {
    let n = ride_id
        .bytes()
        .fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(b as usize));
    FLEET[n % FLEET.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Memory {
        rides: RefCell<Vec<Ride>>,
        fail: bool,
    }

    impl RideStore for Memory {
        async fn put_ride(&self, ride: &Ride) -> Result<(), String> {
            if self.fail {
                return Err("ProvisionedThroughputExceededException".into());
            }
            self.rides.borrow_mut().push(ride.clone());
            Ok(())
        }
    }

    fn event(name: &str) -> Request {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn json_body(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    async fn call(store: &Memory, name: &str) -> Response<Body> {
        request_unicorn(
            store,
            event(name),
            "ride123".into(),
            "2026-11-23T10:00:00.000Z".into(),
        )
        .await
    }

    #[tokio::test]
    async fn a_valid_request_records_the_ride_and_answers_201() {
        let store = Memory::default();
        let r = call(&store, "request-ride.json").await;
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["Access-Control-Allow-Origin"], "*");
        let b = json_body(&r);
        assert_eq!(b["RideId"], "ride123");
        assert_eq!(b["Rider"], "the-rider");
        assert_eq!(b["Eta"], "30 seconds");
        assert_eq!(b["UnicornName"], b["Unicorn"]["Name"]);
        let rides = store.rides.borrow();
        assert_eq!(rides.len(), 1);
        assert_eq!(rides[0].user, "the-rider");
        assert_eq!(rides[0].request_time, "2026-11-23T10:00:00.000Z");
    }

    #[tokio::test]
    async fn no_claims_is_401() {
        let store = Memory::default();
        let r = call(&store, "request-ride-no-claims.json").await;
        assert_eq!(r.status(), 401);
        assert!(store.rides.borrow().is_empty());
    }

    #[tokio::test]
    async fn a_malformed_body_is_400_with_a_message() {
        let store = Memory::default();
        let r = call(&store, "request-ride-malformed.json").await;
        assert_eq!(r.status(), 400);
        assert!(
            json_body(&r)["Error"]
                .as_str()
                .unwrap()
                .contains("PickupLocation")
        );
        assert_eq!(r.headers()["Access-Control-Allow-Origin"], "*");
    }

    #[tokio::test]
    async fn a_failed_write_is_500_with_a_reference() {
        let store = Memory {
            fail: true,
            ..Memory::default()
        };
        let r = call(&store, "request-ride.json").await;
        assert_eq!(r.status(), 500);
        let b = json_body(&r);
        assert_eq!(b["Error"], "ProvisionedThroughputExceededException");
        assert!(b.get("Reference").is_some());
        assert_eq!(r.headers()["Access-Control-Allow-Origin"], "*");
    }

    #[test]
    fn every_unicorn_can_be_picked() {
        let names: std::collections::BTreeSet<&str> =
            (0..50).map(|i| pick(&format!("r{i}")).name).collect();
        assert_eq!(names.len(), 3);
    }
}
