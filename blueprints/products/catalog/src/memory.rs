//! A store in memory, in id order, for the functions' tests: it behaves as
//! the table does for one caller, and can be told to fail.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::{Page, Product, ProductStore, StoreError};

#[derive(Default)]
pub struct Memory {
    products: Mutex<BTreeMap<String, Product>>,
    /// Every call fails with this message.
    pub fail: Option<String>,
}

impl Memory {
    pub fn with(products: impl IntoIterator<Item = Product>) -> Memory {
        let m = Memory::default();
        if let Ok(mut map) = m.products.lock() {
            map.extend(products.into_iter().map(|p| (p.id.clone(), p)));
        }
        m
    }

    pub fn failing(message: &str) -> Memory {
        Memory {
            fail: Some(message.to_string()),
            ..Memory::default()
        }
    }

    /// The products kept, in id order.
    pub fn products(&self) -> Vec<Product> {
        self.products
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    fn map(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, Product>>, StoreError> {
        if let Some(m) = &self.fail {
            return Err(StoreError(m.clone()));
        }
        self.products
            .lock()
            .map_err(|_| StoreError("the store is poisoned".into()))
    }
}

impl ProductStore for Memory {
    async fn put(&self, product: &Product) -> Result<(), StoreError> {
        self.map()?.insert(product.id.clone(), product.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Product>, StoreError> {
        Ok(self.map()?.get(id).cloned())
    }

    async fn list(&self, limit: u32, after: Option<&str>) -> Result<Page, StoreError> {
        let map = self.map()?;
        let mut rest = map
            .values()
            .filter(|p| after.is_none_or(|a| p.id.as_str() > a));
        let items: Vec<Product> = rest.by_ref().take(limit as usize).cloned().collect();
        let next = if rest.next().is_some() {
            items.last().map(|p| p.id.clone())
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn delete(&self, id: &str) -> Result<Option<Product>, StoreError> {
        Ok(self.map()?.remove(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str) -> Product {
        Product {
            id: id.into(),
            name: format!("Product {id}"),
            description: None,
            price_cents: 100,
            etag: "e".into(),
        }
    }

    #[tokio::test]
    async fn pages_follow_the_id_order() {
        let m = Memory::with(["c", "a", "b"].map(product));
        let first = m.list(2, None).await.unwrap();
        let ids: Vec<&str> = first.items.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(first.next.as_deref(), Some("b"));
        let last = m.list(2, first.next.as_deref()).await.unwrap();
        assert_eq!(last.items, [product("c")]);
        assert_eq!(last.next, None);
    }

    #[tokio::test]
    async fn a_failing_store_fails_every_call() {
        let m = Memory::failing("throttled");
        assert_eq!(m.get("a").await, Err(StoreError("throttled".into())));
        assert!(m.put(&product("a")).await.is_err());
        assert!(m.products().is_empty());
    }
}
