//! Where the session snapshot is kept between page loads (the `storage` option): nowhere
//! (memory), `localStorage`, `sessionStorage`, or the caller's adapter, whose methods may be
//! sync or async. Only snapshots go here, and in browser mode they never hold the refresh token.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::config::StorageKind;
use crate::error::{Error, Result};

/// A place for the snapshot.
pub enum SnapshotStore {
    /// Nothing is kept.
    Memory,
    /// `localStorage` or `sessionStorage`.
    Web(web_sys::Storage),
    /// `{ get(key), set(key, value), remove(key) }`.
    Adapter(JsValue),
}

impl SnapshotStore {
    /// Opens the store the options ask for; `adapter` is the object given as `storage`, if any.
    pub fn open(kind: StorageKind, adapter: Option<JsValue>) -> Result<Self> {
        let web = |name: &str| {
            Reflect::get(&js_sys::global(), &name.into())
                .ok()
                .and_then(|s| s.dyn_into::<web_sys::Storage>().ok())
                .map(Self::Web)
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "createAuth: this runtime has no `{name}`; use \"memory\" or an adapter."
                    ))
                })
        };
        match kind {
            StorageKind::Memory => Ok(Self::Memory),
            StorageKind::Local => web("localStorage"),
            StorageKind::Session => web("sessionStorage"),
            StorageKind::Adapter => {
                let adapter = adapter.ok_or_else(|| {
                    Error::invalid_input("createAuth: `storage` adapter is missing.")
                })?;
                for method in ["get", "set", "remove"] {
                    if !Reflect::get(&adapter, &method.into()).is_ok_and(|f| f.is_function()) {
                        return Err(Error::invalid_input(format!(
                            "createAuth: the `storage` adapter needs a `{method}` method."
                        )));
                    }
                }
                Ok(Self::Adapter(adapter))
            }
        }
    }

    /// The stored snapshot, if any. A failing adapter reads as empty: the user signs in again.
    pub async fn get(&self, key: &str) -> Option<String> {
        match self {
            Self::Memory => None,
            Self::Web(storage) => storage.get_item(key).ok().flatten(),
            Self::Adapter(adapter) => call(adapter, "get", &[key.into()])
                .await
                .and_then(|v| v.as_string()),
        }
    }

    /// Stores the snapshot.
    pub async fn set(&self, key: &str, value: &str) {
        match self {
            Self::Memory => {}
            // A full or disabled storage only costs the restore after a reload.
            Self::Web(storage) => {
                let _ = storage.set_item(key, value);
            }
            Self::Adapter(adapter) => {
                call(adapter, "set", &[key.into(), value.into()]).await;
            }
        }
    }

    /// Forgets the snapshot.
    pub async fn remove(&self, key: &str) {
        match self {
            Self::Memory => {}
            Self::Web(storage) => {
                let _ = storage.remove_item(key);
            }
            Self::Adapter(adapter) => {
                call(adapter, "remove", &[key.into()]).await;
            }
        }
    }

    /// Whether anything is kept at all.
    pub fn is_memory(&self) -> bool {
        matches!(self, Self::Memory)
    }
}

/// Calls `adapter[method](...args)` and awaits the result if it is a promise; `None` if the
/// method throws or rejects.
async fn call(adapter: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let function: Function = Reflect::get(adapter, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    let array: js_sys::Array = args.iter().collect();
    let value = function.apply(adapter, &array).ok()?;
    match value.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(value) => Some(value),
    }
}
