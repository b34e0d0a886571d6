//! The delete-product function: `DELETE /products/{id}` deletes from the
//! table named by `TABLE_NAME`.

use catalog::dynamodb::Table;
use delete_product::delete_product;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let table = &Table::from_env().await?;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(delete_product(table, &req).await)
    }))
    .await
}
