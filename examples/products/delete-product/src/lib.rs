//! `DELETE /products/{id}`: 204 when the product was deleted, 404 when
//! there was none. The table's stream then carries the removal to
//! `publish-changes`.

use catalog::{ProductStore, error, path_id, store_failed};
use lambda_http::{Body, Request, Response};

/// Handles `DELETE /products/{id}`.
pub async fn delete_product(store: &impl ProductStore, req: &Request) -> Response<Body> {
    let id = match path_id(req) {
        Ok(id) => id,
        Err(e) => return error(400, e),
    };
    match store.delete(&id).await {
        Ok(Some(_)) => Response::builder()
            .status(204)
            .body(Body::Empty)
            .unwrap_or_default(),
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
    async fn a_product_is_deleted_once() {
        let store = Memory::with([lamp()]);
        let r = delete_product(&store, &event("delete-product.json")).await;
        assert_eq!(r.status(), 204);
        assert!(r.body().is_empty());
        assert!(store.products().is_empty());
        let again = delete_product(&store, &event("delete-product.json")).await;
        assert_eq!(again.status(), 404);
    }

    #[tokio::test]
    async fn a_bad_id_or_a_failed_delete_leaves_the_product() {
        let store = Memory::with([lamp()]);
        let r = delete_product(&store, &event("get-product-bad-id.json")).await;
        assert_eq!(r.status(), 400);
        assert_eq!(store.products(), [lamp()]);
        let failing = Memory::failing("throttled");
        let r = delete_product(&failing, &event("delete-product.json")).await;
        assert_eq!(r.status(), 500);
    }
}
