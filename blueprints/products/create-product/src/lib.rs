//! `POST /products`: a new product, checked, tagged and written to the
//! table. The tag (the product's `etag`) is an HMAC-SHA256 of its content
//! with the pricing key, a secret read from SSM once per cold start: a
//! consumer that holds the key can tell a product written by this API from
//! one written by hand. The key is never logged nor answered; `Signer`'s
//! `Debug` leaves it out.

use std::future::Future;

use catalog::{NewProduct, Product, ProductStore, error, store_failed};
use hmac::{Hmac, KeyInit, Mac};
use lambda_http::{Body, Request, Response};
use sha2::Sha256;

/// Signs product content with the pricing key.
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { key: <hidden> }")
    }
}

impl Signer {
    pub fn new(key: &[u8]) -> Result<Signer, String> {
        if key.is_empty() {
            return Err("the pricing key is empty".into());
        }
        Ok(Signer { key: key.to_vec() })
    }

    /// HMAC-SHA256 of `data`, in lowercase hex.
    pub fn sign(&self, data: &[u8]) -> String {
        // HMAC takes keys of any length: this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(data);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The tag of a product's content: its id, name, description and
    /// price, as one JSON array so that no two contents read the same.
    pub fn tag(&self, id: &str, p: &NewProduct) -> String {
        let content = serde_json::json!([id, p.name, p.description, p.price_cents]);
        self.sign(content.to_string().as_bytes())
    }
}

/// Where the pricing key is read from (SSM Parameter Store in `main.rs`).
pub trait Parameters {
    /// The decrypted value of the parameter `name`.
    fn value(&self, name: &str) -> impl Future<Output = Result<String, String>>;
}

/// The signer, with the key read from the parameter `name`. Errors name
/// the parameter, never its value.
pub async fn load_signer(parameters: &impl Parameters, name: &str) -> Result<Signer, String> {
    let value = parameters
        .value(name)
        .await
        .map_err(|e| format!("cannot read the pricing key from {name}: {e}"))?;
    Signer::new(value.as_bytes()).map_err(|e| format!("{e}: set {name}"))
}

/// Handles `POST /products`. `id` is given so that tests are repeatable.
pub async fn create_product(
    store: &impl ProductStore,
    signer: &Signer,
    req: &Request,
    id: String,
) -> Response<Body> {
    let new = match NewProduct::parse(req.body().as_ref()) {
        Ok(p) => p,
        Err(e) => return error(400, e),
    };
    let product = Product {
        etag: signer.tag(&id, &new),
        id,
        name: new.name,
        description: new.description,
        price_cents: new.price_cents,
    };
    if let Err(e) = store.put(&product).await {
        return store_failed(req, &e);
    }
    let mut r = catalog::respond(201, &product);
    for (name, value) in [
        ("Location", format!("/products/{}", product.id)),
        ("ETag", format!("\"{}\"", product.etag)),
    ] {
        if let Ok(v) = value.parse() {
            r.headers_mut().insert(name, v);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::memory::Memory;

    const KEY: &str = "test-pricing-key";

    fn event(name: &str) -> Request {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    async fn create(store: &Memory, event_name: &str) -> Response<Body> {
        let signer = Signer::new(KEY.as_bytes()).unwrap();
        create_product(store, &signer, &event(event_name), "p-1".into()).await
    }

    #[tokio::test]
    async fn a_product_is_written_tagged_and_answered_201() {
        let store = Memory::default();
        let r = create(&store, "create-product.json").await;
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["Location"], "/products/p-1");
        let body = json(&r);
        assert_eq!(body["id"], "p-1");
        assert_eq!(body["name"], "Desk lamp");
        assert_eq!(body["price_cents"], 2599);
        let etag = body["etag"].as_str().unwrap();
        assert_eq!(etag.len(), 64, "hex of 32 bytes");
        assert_eq!(r.headers()["ETag"], format!("\"{etag}\""));
        assert_eq!(store.products().len(), 1);
        assert_eq!(store.products()[0].etag, etag);
    }

    #[tokio::test]
    async fn a_bad_body_is_400_and_writes_nothing() {
        let store = Memory::default();
        let r = create(&store, "create-product-invalid.json").await;
        assert_eq!(r.status(), 400);
        assert!(json(&r)["error"].as_str().unwrap().contains("price_cents"));
        assert!(store.products().is_empty());
    }

    #[tokio::test]
    async fn a_failed_write_is_500_without_the_cause() {
        let store = Memory::failing("ProvisionedThroughputExceededException");
        let r = create(&store, "create-product.json").await;
        assert_eq!(r.status(), 500);
        let body = json(&r);
        assert!(!body.to_string().contains("Provisioned"), "{body}");
        assert!(body.get("reference").is_some());
    }

    #[test]
    fn the_tag_is_an_hmac_sha256_of_the_content() {
        // RFC 4231, test case 2.
        let s = Signer::new(b"Jefe").unwrap();
        assert_eq!(
            s.sign(b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let lamp = NewProduct::parse(br#"{"name": "Lamp", "price_cents": 100}"#).unwrap();
        let dearer = NewProduct {
            price_cents: 101,
            ..lamp.clone()
        };
        assert_ne!(s.tag("p", &lamp), s.tag("p", &dearer));
        assert_ne!(s.tag("p", &lamp), s.tag("q", &lamp));
        let other = Signer::new(b"another key").unwrap();
        assert_ne!(s.tag("p", &lamp), other.tag("p", &lamp));
    }

    struct Fixed(Result<&'static str, &'static str>);

    impl Parameters for Fixed {
        async fn value(&self, _name: &str) -> Result<String, String> {
            self.0.map(str::to_string).map_err(str::to_string)
        }
    }

    #[tokio::test]
    async fn the_key_is_loaded_and_never_shown() {
        let signer = load_signer(&Fixed(Ok(KEY)), "/products/pricing-key")
            .await
            .unwrap();
        assert!(!format!("{signer:?}").contains(KEY));
        let e = load_signer(&Fixed(Ok("")), "/products/pricing-key")
            .await
            .unwrap_err();
        assert_eq!(e, "the pricing key is empty: set /products/pricing-key");
        let e = load_signer(&Fixed(Err("ParameterNotFound")), "/p")
            .await
            .unwrap_err();
        assert_eq!(e, "cannot read the pricing key from /p: ParameterNotFound");
    }
}
