//! The create-product function: `POST /products`. At cold start it reads
//! the pricing key from the SSM parameter named by `PRICING_KEY_PARAM`;
//! products go to the table named by `TABLE_NAME`.

use aws_sdk_ssm::error::DisplayErrorContext;
use catalog::dynamodb::Table;
use create_product::{Parameters, create_product, load_signer};
use lambda_http::{Error, Request, run, service_fn};

struct Ssm(aws_sdk_ssm::Client);

impl Parameters for Ssm {
    async fn value(&self, name: &str) -> Result<String, String> {
        let out = self
            .0
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        out.parameter
            .and_then(|p| p.value)
            .ok_or_else(|| "the parameter has no value".to_string())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let param = std::env::var("PRICING_KEY_PARAM").map_err(|_| "PRICING_KEY_PARAM is not set")?;
    let config = aws_config::load_from_env().await;
    let signer = load_signer(&Ssm(aws_sdk_ssm::Client::new(&config)), &param).await?;
    let table = Table::with_config(&config)?;
    let (table, signer) = (&table, &signer);
    run(service_fn(move |req: Request| async move {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Ok::<_, Error>(create_product(table, signer, &req, id).await)
    }))
    .await
}
