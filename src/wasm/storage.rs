//! Where the session snapshot is kept between page loads (the `storage` option): nowhere
//! (memory), `localStorage`, `sessionStorage`, or the caller's adapter, whose methods may be
//! sync or async. Only snapshots go here, and in browser mode they never hold the refresh token.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};

use crate::core::config::StorageKind;
use crate::core::error::{Error, Result};

/// A place for the snapshot.
pub enum SnapshotStore {
    /// Nothing is kept.
    Memory,
    /// `localStorage` or `sessionStorage`.
    Web(web_sys::Storage),
    /// `{ get(key), set(key, value), remove(key) }`.
    Adapter(Adapter),
}

/// The caller's adapter and the write it has in flight, if any.
pub struct Adapter {
    object: JsValue,
    in_flight: Rc<RefCell<Option<Promise>>>,
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
                Ok(Self::Adapter(Adapter {
                    object: adapter,
                    in_flight: Rc::default(),
                }))
            }
        }
    }

    /// The stored snapshot, if any. A failing adapter reads as empty: the user signs in again.
    pub async fn get(&self, key: &str) -> Option<String> {
        match self {
            Self::Memory => None,
            Self::Web(storage) => storage.get_item(key).ok().flatten(),
            Self::Adapter(adapter) => call(&adapter.object, "get", &[key.into()])
                .await
                .and_then(|v| v.as_string()),
        }
    }

    /// Stores the snapshot. An adapter's `set` is called before this returns, so a Worker can
    /// collect the write (for `ctx.waitUntil`) as soon as the SDK call that caused it resolves.
    pub fn set(&self, key: &str, value: &str) {
        match self {
            Self::Memory => {}
            // A full or disabled storage only costs the restore after a reload.
            Self::Web(storage) => {
                let _ = storage.set_item(key, value);
            }
            Self::Adapter(adapter) => adapter.write("set", vec![key.into(), value.into()]),
        }
    }

    /// Forgets the snapshot; an adapter's `remove` is called before this returns, as with `set`.
    pub fn remove(&self, key: &str) {
        match self {
            Self::Memory => {}
            Self::Web(storage) => {
                let _ = storage.remove_item(key);
            }
            Self::Adapter(adapter) => adapter.write("remove", vec![key.into()]),
        }
    }

    /// The adapter's optional `compareAndSet(key, expected, value)`, after this instance's own
    /// writes have settled (so none of them lands over what it sets). `None` where there is no
    /// such method, or it threw.
    pub async fn compare_and_set(&self, key: &str, expected: &str, value: &str) -> Option<bool> {
        let Self::Adapter(adapter) = self else {
            return None;
        };
        if !Reflect::get(&adapter.object, &"compareAndSet".into()).is_ok_and(|f| f.is_function()) {
            return None;
        }
        let previous = adapter.in_flight.borrow().clone();
        if let Some(previous) = previous {
            let _ = JsFuture::from(previous).await;
        }
        let args = [key.into(), expected.into(), value.into()];
        call(&adapter.object, "compareAndSet", &args)
            .await
            .map(|done| done.is_truthy())
    }

    /// Whether anything is kept at all.
    pub fn is_memory(&self) -> bool {
        matches!(self, Self::Memory)
    }
}

/// Calls `adapter[method](...args)`; `None` if the method throws.
fn invoke(adapter: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let function: Function = Reflect::get(adapter, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    let array: js_sys::Array = args.iter().collect();
    function.apply(adapter, &array).ok()
}

impl Adapter {
    /// Calls `adapter[method](...args)`: at once when no write is in flight (so it has started
    /// when the SDK call that caused it resolves), else after that one settles, so an async
    /// store (KV) ends up holding the last snapshot, not whichever write landed last. A failed
    /// write only costs the restore later; its rejection is handled (an unhandled one would end
    /// a Node process).
    fn write(&self, method: &'static str, args: Vec<JsValue>) {
        let object = self.object.clone();
        let run = move || invoke(&object, method, &args).and_then(|v| v.dyn_into::<Promise>().ok());
        let started = match self.in_flight.borrow().clone() {
            None => run(),
            Some(previous) => Some(future_to_promise(async move {
                let _ = JsFuture::from(previous).await;
                if let Some(write) = run() {
                    let _ = JsFuture::from(write).await;
                }
                Ok(JsValue::UNDEFINED)
            })),
        };
        let Some(started) = started else { return };
        let settled = future_to_promise(async move {
            let _ = JsFuture::from(started).await;
            Ok(JsValue::UNDEFINED)
        });
        *self.in_flight.borrow_mut() = Some(settled.clone());
        let in_flight = Rc::clone(&self.in_flight);
        spawn_local(async move {
            let _ = JsFuture::from(settled.clone()).await;
            let mut current = in_flight.borrow_mut();
            if current
                .as_ref()
                .is_some_and(|p| JsValue::from(p) == JsValue::from(&settled))
            {
                *current = None;
            }
        });
    }
}

/// Calls `adapter[method](...args)` and awaits the result if it is a promise; `None` if the
/// method throws or rejects.
async fn call(adapter: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let value = invoke(adapter, method, args)?;
    match value.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(value) => Some(value),
    }
}
