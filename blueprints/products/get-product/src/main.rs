//! The get-product function: `GET /products/{id}` reads the table named by
//! `TABLE_NAME`.

use catalog::dynamodb::Table;
use get_product::get_product;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let table = &Table::from_env().await?;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(get_product(table, &req).await)
    }))
    .await
}
