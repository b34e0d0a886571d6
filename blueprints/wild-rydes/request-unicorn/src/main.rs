//! The RequestUnicorn function: `POST /ride` writes one item to the rides
//! table, named by `TABLE_NAME`.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Error, Request, run, service_fn};
use request_unicorn::{Ride, RideStore, request_unicorn};

struct Rides {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl RideStore for Rides {
    async fn put_ride(&self, ride: &Ride) -> Result<(), String> {
        let s = |v: &str| AttributeValue::S(v.to_string());
        let unicorn = AttributeValue::M(
            [
                ("Name".to_string(), s(ride.unicorn.name)),
                ("Color".to_string(), s(ride.unicorn.color)),
                ("Gender".to_string(), s(ride.unicorn.gender)),
            ]
            .into(),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .item("RideId", s(&ride.ride_id))
            .item("User", s(&ride.user))
            .item("Unicorn", unicorn)
            .item("UnicornName", s(ride.unicorn.name))
            .item("RequestTime", s(&ride.request_time))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let config = aws_config::load_from_env().await;
    let rides = Rides {
        client: aws_sdk_dynamodb::Client::new(&config),
        table,
    };
    let rides = &rides;
    run(service_fn(move |req: Request| async move {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Ok::<_, Error>(request_unicorn(rides, req, id, now).await)
    }))
    .await
}
