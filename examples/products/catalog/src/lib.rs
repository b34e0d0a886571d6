//! The catalog shared by the four HTTP functions: what a product is, how a
//! request becomes one, where products are kept (the [`ProductStore`]
//! trait, with the DynamoDB table in [`dynamodb`] and an in-memory store
//! for tests in [`memory`]) and the JSON answers of the API. Nothing here
//! calls AWS except [`dynamodb`], so the functions' logic is tested without
//! it.

use std::future::Future;

use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub mod dynamodb;
pub mod memory;

/// One product, as it is kept in the table and answered by the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The price in cents, so that no float is ever rounded.
    pub price_cents: u64,
    /// A tag of the product's content, signed by `create-product`.
    pub etag: String,
}

/// The body of `POST /products`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub price_cents: u64,
}

pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 1000;
/// A million, in cents: anything above is a typo.
pub const MAX_PRICE_CENTS: u64 = 100_000_000;

impl NewProduct {
    /// Reads and checks a request body. The message says what is wrong.
    pub fn parse(body: &[u8]) -> Result<NewProduct, String> {
        let mut p: NewProduct = serde_json::from_slice(body).map_err(|e| {
            format!(
                "expected {{\"name\": \"..\", \"price_cents\": 1250, \"description\": \"..\" (optional)}}: {e}"
            )
        })?;
        p.name = p.name.trim().to_string();
        if p.name.is_empty() {
            return Err("`name` is empty".into());
        }
        if p.name.chars().count() > MAX_NAME {
            return Err(format!("`name` is longer than {MAX_NAME} characters"));
        }
        if let Some(d) = &p.description
            && d.chars().count() > MAX_DESCRIPTION
        {
            return Err(format!(
                "`description` is longer than {MAX_DESCRIPTION} characters"
            ));
        }
        if p.price_cents == 0 || p.price_cents > MAX_PRICE_CENTS {
            return Err(format!(
                "`price_cents` must be between 1 and {MAX_PRICE_CENTS}"
            ));
        }
        Ok(p)
    }
}

/// Product ids are 1 to 64 letters, digits, `-` or `_` (`create-product`
/// makes UUIDs), so that a bad path is refused before the table is read.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A page of `GET /products`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Page {
    pub items: Vec<Product>,
    /// The id to pass as `after` for the next page; none on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A failure of the store. Its text is logged, never answered.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where products are kept. Each function uses one method, and its role
/// may call only the DynamoDB action behind it.
pub trait ProductStore {
    fn put(&self, product: &Product) -> impl Future<Output = Result<(), StoreError>>;
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Product>, StoreError>>;
    /// Up to `limit` products whose id follows `after`.
    fn list(
        &self,
        limit: u32,
        after: Option<&str>,
    ) -> impl Future<Output = Result<Page, StoreError>>;
    /// Deletes a product; answers the product that was deleted, if any.
    fn delete(&self, id: &str) -> impl Future<Output = Result<Option<Product>, StoreError>>;
}

/// A JSON answer.
pub fn respond(status: u16, body: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "null".into());
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Body::Text(text))
        .unwrap_or_default()
}

/// An error answer: `{"error": message}`.
pub fn error(status: u16, message: impl Into<String>) -> Response<Body> {
    respond(status, &json!({ "error": message.into() }))
}

/// The 500 of a failed store call. The cause goes to the log with the
/// request id; the answer carries only that id as a reference.
pub fn store_failed(req: &Request, e: &StoreError) -> Response<Body> {
    let reference = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    eprintln!("request {reference}: the products table failed: {e}");
    respond(
        500,
        &json!({ "error": "the products table could not be reached", "reference": reference }),
    )
}

/// The `{id}` of `/products/{id}`, checked; the message of a 400 otherwise.
pub fn path_id(req: &Request) -> Result<String, String> {
    let params = req.path_parameters();
    match params.first("id") {
        Some(id) if valid_id(id) => Ok(id.to_string()),
        Some(id) => Err(format!(
            "`{id}` is not a product id: 1 to 64 letters, digits, `-` or `_`"
        )),
        None => Err("no product id in the path".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_product_is_read_and_trimmed() {
        let p = NewProduct::parse(br#"{"name": "  Desk lamp ", "price_cents": 2599}"#).unwrap();
        assert_eq!(p.name, "Desk lamp");
        assert_eq!(p.price_cents, 2599);
        assert_eq!(p.description, None);
    }

    #[test]
    fn a_bad_new_product_says_what_is_wrong() {
        for (body, want) in [
            (r#"{"name": "Lamp"}"#, "price_cents"),
            (r#"{"name": " ", "price_cents": 1}"#, "`name` is empty"),
            (r#"{"name": "Lamp", "price_cents": 0}"#, "between 1 and"),
            (r#"{"name": "Lamp", "price_cents": -3}"#, "price_cents"),
            (
                r#"{"name": "Lamp", "price_cents": 1, "colour": "red"}"#,
                "colour",
            ),
            ("not json", "expected {"),
        ] {
            let e = NewProduct::parse(body.as_bytes()).unwrap_err();
            assert!(e.contains(want), "{body}: {e}");
        }
        let long = format!(r#"{{"name": "{}", "price_cents": 1}}"#, "x".repeat(101));
        assert!(
            NewProduct::parse(long.as_bytes())
                .unwrap_err()
                .contains("longer")
        );
    }

    #[test]
    fn ids_are_short_and_plain() {
        assert!(valid_id("6f1c0d2e9a8b4c7d8e9f0a1b2c3d4e5f"));
        assert!(valid_id("lamp-01_b"));
        for bad in ["", "a b", "../etc", "é", &"x".repeat(65)] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn answers_are_json() {
        let r = error(404, "no product `x`");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["Content-Type"], "application/json");
        let v: serde_json::Value = serde_json::from_slice(r.body().as_ref()).unwrap();
        assert_eq!(v, json!({ "error": "no product `x`" }));
        let page = Page::default();
        let r = respond(200, &page);
        assert_eq!(r.body().as_ref(), br#"{"items":[]}"#);
    }
}
