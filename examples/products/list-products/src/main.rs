//! The list-products function: `GET /products` scans the table named by
//! `TABLE_NAME`, a page at a time.

use catalog::dynamodb::Table;
use lambda_http::{Error, Request, run, service_fn};
use list_products::list_products;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let table = &Table::from_env().await?;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(list_products(table, &req).await)
    }))
    .await
}
