//! `GET /products/{id}`: one product, with its tag as the `ETag` header;
//! 404 when there is none.

use catalog::{ProductStore, error, path_id, store_failed};
use lambda_http::{Body, Request, Response};

/// Handles `GET /products/{id}`.
pub async fn get_product(store: &impl ProductStore, req: &Request) -> Response<Body> {
    let id = match path_id(req) {
        Ok(id) => id,
        Err(e) => return error(400, e),
    };
    match store.get(&id).await {
        Ok(Some(product)) => {
            let mut r = catalog::respond(200, &product);
            if let Ok(v) = format!("\"{}\"", product.etag).parse() {
                r.headers_mut().insert("ETag", v);
            }
            r
        }
        Ok(None) => error(404, format!("no product `{id}`")),
        Err(e) => store_failed(req, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::Product;
    use catalog::memory::Memory;

    fn event(name: &str) -> Request {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    fn lamp() -> Product {
        Product {
            id: "6f1c0d2e9a8b4c7d8e9f0a1b2c3d4e5f".into(),
            name: "Desk lamp".into(),
            description: None,
            price_cents: 2599,
            etag: "ab12".into(),
        }
    }

    #[tokio::test]
    async fn a_product_is_answered_with_its_etag() {
        let store = Memory::with([lamp()]);
        let r = get_product(&store, &event("get-product.json")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["ETag"], "\"ab12\"");
        assert_eq!(json(&r)["name"], "Desk lamp");
        assert!(json(&r).get("description").is_none());
    }

    #[tokio::test]
    async fn a_missing_product_is_404() {
        let r = get_product(&Memory::default(), &event("get-product.json")).await;
        assert_eq!(r.status(), 404);
        assert!(json(&r)["error"].as_str().unwrap().contains("no product"));
    }

    #[tokio::test]
    async fn a_bad_id_is_400_before_the_table_is_read() {
        let store = Memory::failing("the table must not be read");
        let r = get_product(&store, &event("get-product-bad-id.json")).await;
        assert_eq!(r.status(), 400);
        assert!(
            json(&r)["error"]
                .as_str()
                .unwrap()
                .contains("not a product id")
        );
    }

    #[tokio::test]
    async fn a_failed_read_is_500() {
        let r = get_product(&Memory::failing("throttled"), &event("get-product.json")).await;
        assert_eq!(r.status(), 500);
    }
}
