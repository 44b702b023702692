//! Where the session snapshot is kept between page loads (the `storage` option): nowhere
//! (memory), `localStorage`, `sessionStorage`, or the caller's adapter, whose methods may be
//! sync or async. Only snapshots go here, and in browser mode they never hold the refresh token.
//! The reads and writes themselves are `js/runtime.js`'s `store`.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::config::StorageKind;
use crate::core::error::{Error, Result};
use crate::wasm::convert::bounded_string;
use crate::wasm::effects::effects;

#[wasm_bindgen]
extern "C" {
    /// What `js/runtime.js`'s `store` makes: the storage or adapter behind four calls.
    pub type Store;

    /// The snapshot under `key`; anything but a string (nothing, or a failing adapter) reads
    /// as empty: the user signs in again.
    #[wasm_bindgen(method)]
    fn get(this: &Store, key: &str) -> Promise;

    /// Stores `value` under `key`. An adapter's `set` is called before this returns (unless an
    /// earlier write is still in flight, which it then follows), so a Worker can collect the
    /// write (for `ctx.waitUntil`) as soon as the SDK call that caused it resolves.
    #[wasm_bindgen(method)]
    fn set(this: &Store, key: &str, value: &str);

    /// Forgets `key`, as [`Store::set`] writes.
    #[wasm_bindgen(method)]
    fn remove(this: &Store, key: &str);

    /// The adapter's optional `compareAndSet(key, expected, value)`, after this store's own
    /// writes have settled: true or false, undefined where there is none, or it threw.
    #[wasm_bindgen(method)]
    fn cas(this: &Store, key: &str, expected: &str, value: &str) -> Promise;
}

/// A place for the snapshot.
pub struct SnapshotStore(Option<Store>);

impl SnapshotStore {
    /// Opens the store the options ask for; `adapter` is the object given as `storage`, if any.
    pub fn open(kind: StorageKind, adapter: Option<JsValue>) -> Result<Self> {
        let name = match kind {
            StorageKind::Memory => return Ok(Self(None)),
            StorageKind::Local => "localStorage",
            StorageKind::Session => "sessionStorage",
            StorageKind::Adapter => "adapter",
        };
        let adapter = adapter.unwrap_or(JsValue::UNDEFINED);
        if kind == StorageKind::Adapter {
            if !adapter.is_object() {
                return Err(Error::invalid_input(
                    "createAuth: `storage` adapter is missing.",
                ));
            }
            for method in ["get", "set", "remove"] {
                if !Reflect::get(&adapter, &method.into()).is_ok_and(|f| f.is_function()) {
                    return Err(Error::invalid_input(format!(
                        "createAuth: the `storage` adapter needs a `{method}` method."
                    )));
                }
            }
        }
        let store = effects().ok().map(|e| e.store(name, &adapter));
        match store {
            Some(store) if !store.is_undefined() => Ok(Self(Some(store.unchecked_into()))),
            _ => Err(Error::invalid_input(format!(
                "createAuth: this runtime has no `{name}`; use \"memory\" or an adapter."
            ))),
        }
    }

    /// The stored snapshot, if any: text within the JSON limits (a longer one could not be
    /// read anyway, and is not copied into the wasm).
    pub async fn get(&self, key: &str) -> Option<String> {
        let stored = JsFuture::from(self.0.as_ref()?.get(key)).await.ok()?;
        bounded_string(&stored)
    }

    /// Stores the snapshot (see [`Store::set`]).
    pub fn set(&self, key: &str, value: &str) {
        if let Some(store) = &self.0 {
            store.set(key, value);
        }
    }

    /// Forgets the snapshot.
    pub fn remove(&self, key: &str) {
        if let Some(store) = &self.0 {
            store.remove(key);
        }
    }

    /// The adapter's `compareAndSet` (see [`Store::cas`]); `None` where there is none.
    pub async fn compare_and_set(&self, key: &str, expected: &str, value: &str) -> Option<bool> {
        JsFuture::from(self.0.as_ref()?.cas(key, expected, value))
            .await
            .ok()?
            .as_bool()
    }

    /// Whether anything is kept at all.
    pub fn is_memory(&self) -> bool {
        self.0.is_none()
    }
}
