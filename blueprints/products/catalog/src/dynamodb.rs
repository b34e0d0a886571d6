//! The products table: one item per product, keyed by `id`. The table's
//! name comes from the function's `TABLE_NAME`.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::{Page, Product, ProductStore, StoreError};

type Item = HashMap<String, AttributeValue>;

/// The table named by `TABLE_NAME`, with a client from the environment.
pub struct Table {
    client: Client,
    name: String,
}

impl Table {
    pub async fn from_env() -> Result<Table, String> {
        Table::with_config(&aws_config::load_from_env().await)
    }

    /// The table named by `TABLE_NAME`, with a client of `config`.
    pub fn with_config(config: &aws_config::SdkConfig) -> Result<Table, String> {
        let name = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
        Ok(Table {
            client: Client::new(config),
            name,
        })
    }
}

fn failed(e: impl std::error::Error) -> StoreError {
    StoreError(DisplayErrorContext(e).to_string())
}

impl ProductStore for Table {
    async fn put(&self, product: &Product) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(to_item(product)))
            .send()
            .await
            .map(|_| ())
            .map_err(failed)
    }

    async fn get(&self, id: &str) -> Result<Option<Product>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("id", AttributeValue::S(id.to_string()))
            .send()
            .await
            .map_err(failed)?;
        out.item.as_ref().map(from_item).transpose()
    }

    async fn list(&self, limit: u32, after: Option<&str>) -> Result<Page, StoreError> {
        let start =
            after.map(|id| HashMap::from([("id".to_string(), AttributeValue::S(id.into()))]));
        let out = self
            .client
            .scan()
            .table_name(&self.name)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(failed)?;
        let items = out
            .items
            .unwrap_or_default()
            .iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        let next = out
            .last_evaluated_key
            .as_ref()
            .and_then(|k| k.get("id")?.as_s().ok().cloned());
        Ok(Page { items, next })
    }

    async fn delete(&self, id: &str) -> Result<Option<Product>, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.name)
            .key("id", AttributeValue::S(id.to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(failed)?;
        out.attributes.as_ref().map(from_item).transpose()
    }
}

/// The item of a product. The price is a number attribute.
pub fn to_item(p: &Product) -> Item {
    let mut item = HashMap::from([
        ("id".to_string(), AttributeValue::S(p.id.clone())),
        ("name".to_string(), AttributeValue::S(p.name.clone())),
        (
            "price_cents".to_string(),
            AttributeValue::N(p.price_cents.to_string()),
        ),
        ("etag".to_string(), AttributeValue::S(p.etag.clone())),
    ]);
    if let Some(d) = &p.description {
        item.insert("description".into(), AttributeValue::S(d.clone()));
    }
    item
}

/// The product of an item; an item that is not one is an error naming the
/// attribute.
pub fn from_item(item: &Item) -> Result<Product, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> {
        match item.get(name) {
            Some(AttributeValue::S(s)) => Ok(s.clone()),
            _ => Err(StoreError(format!("an item has no string `{name}`"))),
        }
    };
    let price_cents = match item.get("price_cents") {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| StoreError("an item has no whole number `price_cents`".into()))?;
    Ok(Product {
        id: text("id")?,
        name: text("name")?,
        description: text("description").ok(),
        price_cents,
        etag: text("etag")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lamp() -> Product {
        Product {
            id: "p1".into(),
            name: "Desk lamp".into(),
            description: Some("Warm light".into()),
            price_cents: 2599,
            etag: "ab12".into(),
        }
    }

    #[test]
    fn a_product_round_trips_through_its_item() {
        let item = to_item(&lamp());
        assert_eq!(item["price_cents"], AttributeValue::N("2599".into()));
        assert_eq!(from_item(&item).unwrap(), lamp());
        let plain = Product {
            description: None,
            ..lamp()
        };
        let item = to_item(&plain);
        assert!(!item.contains_key("description"));
        assert_eq!(from_item(&item).unwrap(), plain);
    }

    #[test]
    fn an_item_that_is_not_a_product_names_what_is_missing() {
        let mut item = to_item(&lamp());
        item.insert("price_cents".into(), AttributeValue::N("12.5".into()));
        assert!(from_item(&item).unwrap_err().0.contains("price_cents"));
        let mut item = to_item(&lamp());
        item.remove("name");
        assert!(from_item(&item).unwrap_err().0.contains("`name`"));
    }
}
