//! `GET /products?limit=20&after=ID`: a page of products and the `next`
//! cursor, which is the `after` of the following page.

use catalog::{ProductStore, error, store_failed, valid_id};
use lambda_http::{Body, Request, RequestExt, Response};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// What a page asks for.
#[derive(Debug, PartialEq)]
pub struct PageQuery {
    pub limit: u32,
    pub after: Option<String>,
}

impl PageQuery {
    /// Reads `limit` and `after` from the query string.
    pub fn from_request(req: &Request) -> Result<PageQuery, String> {
        let query = req.query_string_parameters();
        let limit = match query.first("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "`limit` must be a whole number from 1 to {MAX_LIMIT}, not `{text}`"
                    ));
                }
            },
        };
        let after = match query.first("after") {
            None => None,
            Some(id) if valid_id(id) => Some(id.to_string()),
            Some(id) => return Err(format!("`after` is not a product id: `{id}`")),
        };
        Ok(PageQuery { limit, after })
    }
}

/// Handles `GET /products`.
pub async fn list_products(store: &impl ProductStore, req: &Request) -> Response<Body> {
    let q = match PageQuery::from_request(req) {
        Ok(q) => q,
        Err(e) => return error(400, e),
    };
    match store.list(q.limit, q.after.as_deref()).await {
        Ok(page) => catalog::respond(200, &page),
        Err(e) => store_failed(req, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::Product;
    use catalog::memory::Memory;
    use std::collections::HashMap;

    fn event(name: &str) -> Request {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn with_query(pairs: &[(&str, &str)]) -> Request {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        event("list-products.json").with_query_string_parameters(map)
    }

    fn json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    fn product(id: &str) -> Product {
        Product {
            id: id.into(),
            name: format!("Product {id}"),
            description: None,
            price_cents: 100,
            etag: "e".into(),
        }
    }

    #[test]
    fn the_query_has_defaults_and_limits() {
        let q = PageQuery::from_request(&with_query(&[])).unwrap();
        assert_eq!(
            q,
            PageQuery {
                limit: DEFAULT_LIMIT,
                after: None
            }
        );
        let q = PageQuery::from_request(&event("list-products.json")).unwrap();
        assert_eq!(
            q,
            PageQuery {
                limit: 2,
                after: None
            },
            "the sample asks for 2"
        );
        let q =
            PageQuery::from_request(&with_query(&[("limit", "100"), ("after", "p-7")])).unwrap();
        assert_eq!(
            q,
            PageQuery {
                limit: 100,
                after: Some("p-7".into())
            }
        );
        for (k, v) in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "ten"),
            ("after", "a b"),
        ] {
            let e = PageQuery::from_request(&with_query(&[(k, v)])).unwrap_err();
            assert!(e.contains(k) && e.contains(v), "{e}");
        }
    }

    #[tokio::test]
    async fn pages_carry_the_cursor_of_the_next() {
        let store = Memory::with(["a", "b", "c"].map(product));
        let r = list_products(&store, &event("list-products.json")).await;
        assert_eq!(r.status(), 200);
        let page = json(&r);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert_eq!(page["next"], "b");
        let r = list_products(&store, &with_query(&[("limit", "2"), ("after", "b")])).await;
        let page = json(&r);
        assert_eq!(page["items"][0]["id"], "c");
        assert!(page.get("next").is_none(), "the last page: {page}");
    }

    #[tokio::test]
    async fn a_bad_query_is_400_and_a_failed_scan_500() {
        let store = Memory::failing("throttled");
        let r = list_products(&store, &event("list-products-bad-limit.json")).await;
        assert_eq!(r.status(), 400);
        assert!(json(&r)["error"].as_str().unwrap().contains("limit"));
        let r = list_products(&store, &event("list-products.json")).await;
        assert_eq!(r.status(), 500);
    }
}
