//! Tabs of one origin, in browser mode: a Web Lock so only one tab refreshes at a time (each
//! refresh rotates the shared httpOnly cookie, and a replayed one would end the session), and a
//! BroadcastChannel that hands the new session, or a sign-out, to the other tabs.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, BroadcastChannel, MessageEvent};

use crate::client::runtime::PeerMessage;
use crate::wasm::timer::sleep;

/// A held Web Lock; dropping it releases the lock.
pub struct WebLock {
    release: Option<Function>,
    /// Another tab held it first.
    pub waited: bool,
}

impl Drop for WebLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

/// The origin's `navigator.locks`, where the browser has Web Locks.
fn lock_manager() -> Option<JsValue> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    Reflect::get(&locks, &"request".into())
        .ok()?
        .is_function()
        .then_some(locks)
}

/// Acquires the Web Lock `name`, waiting at most `takeover_ms` before stealing it (see
/// [`crate::core::refresh::lock_takeover_ms`]: never while the holder's refresh may still be out).
/// `None` where the browser has no Web Locks: the client's own single-flight still holds
/// within a tab.
pub async fn acquire(name: &str, takeover_ms: u32) -> Option<WebLock> {
    let locks = lock_manager()?;
    // First only if free: whether this tab had to wait tells it whether another tab may have
    // just refreshed.
    let if_free = Object::new();
    let _ = Reflect::set(&if_free, &"ifAvailable".into(), &JsValue::TRUE);
    if let Some(lock) = request(&locks, name, &if_free).await {
        return Some(lock);
    }
    // Take the lock over only from a holder that held it for a whole wait (a stuck tab), never
    // from one that got it meanwhile and may have its own refresh out.
    let mut holder = holder_of(&locks, name).await;
    let mut lock = loop {
        let options = Object::new();
        let _ = Reflect::set(
            &options,
            &"signal".into(),
            &AbortSignal::timeout_with_u32(takeover_ms),
        );
        if let Some(lock) = request(&locks, name, &options).await {
            break lock;
        }
        let now = holder_of(&locks, name).await;
        if now.is_some() && now != holder {
            holder = now;
            continue;
        }
        let steal = Object::new();
        let _ = Reflect::set(&steal, &"steal".into(), &JsValue::TRUE);
        break request(&locks, name, &steal).await?;
    };
    lock.waited = true;
    Some(lock)
}

/// The `clientId` of the tab holding the lock `name` (`locks.query()`), if the browser says.
async fn holder_of(locks: &JsValue, name: &str) -> Option<String> {
    let query: Function = Reflect::get(locks, &"query".into()).ok()?.dyn_into().ok()?;
    let pending: Promise = query.call0(locks).ok()?.dyn_into().ok()?;
    let snapshot = JsFuture::from(pending).await.ok()?;
    let held: js_sys::Array = Reflect::get(&snapshot, &"held".into())
        .ok()?
        .dyn_into()
        .ok()?;
    held.iter()
        .find(|lock| {
            Reflect::get(lock, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .as_deref()
                == Some(name)
        })
        .and_then(|lock| Reflect::get(&lock, &"clientId".into()).ok())
        .and_then(|id| id.as_string())
}

/// `locks.request(name, options, callback)`: the callback returns a promise that stays pending
/// until the returned [`WebLock`] is dropped. `None` if the request failed (timed out).
async fn request(locks: &JsValue, name: &str, options: &Object) -> Option<WebLock> {
    let (granted_tx, granted_rx) = oneshot::channel::<Function>();
    let granted_tx = Rc::new(RefCell::new(Some(granted_tx)));
    let on_grant = {
        let granted_tx = Rc::clone(&granted_tx);
        Closure::once_into_js(move |lock: JsValue| {
            if lock.is_null() {
                // `ifAvailable` and another tab holds it: dropping the sender says "not granted".
                granted_tx.borrow_mut().take();
                return Promise::resolve(&JsValue::UNDEFINED);
            }
            Promise::new(&mut |release, _| {
                if let Some(tx) = granted_tx.borrow_mut().take() {
                    let _ = tx.send(release);
                }
            })
        })
    };
    let request: Function = Reflect::get(locks, &"request".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let pending: Promise = request
        .call3(locks, &name.into(), options, &on_grant)
        .ok()?
        .dyn_into()
        .ok()?;
    // If the request is aborted (timeout), dropping the sender wakes the waiter below.
    let on_fail = Closure::once_into_js(move |_e: JsValue| {
        granted_tx.borrow_mut().take();
    });
    if let Some(catch) = Reflect::get(&pending, &"catch".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    {
        let _ = catch.call1(&pending, &on_fail);
    }
    let release = granted_rx.await.ok()?;
    let lock = WebLock {
        release: Some(release),
        waited: false,
    };
    // The tab that held the lock told the others about its new session just before releasing
    // it; one turn of the event loop lets that message land before this tab decides to refresh.
    sleep(0).await;
    Some(lock)
}

/// A channel to the other tabs of this origin for one identity host.
pub struct Peers {
    channel: BroadcastChannel,
}

impl Peers {
    /// Joins the channel `name`, calling `on_message` for what other tabs say. `None` where the
    /// runtime has no BroadcastChannel.
    pub fn join(name: &str, on_message: impl Fn(PeerMessage) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(name).ok()?;
        let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let kind = Reflect::get(&data, &"type".into())
                .ok()
                .and_then(|k| k.as_string());
            match kind.as_deref() {
                Some("session") => {
                    if let Some(snapshot) = Reflect::get(&data, &"snapshot".into())
                        .ok()
                        .and_then(|s| s.as_string())
                    {
                        on_message(PeerMessage::Session(snapshot));
                    }
                }
                Some("signed_out") => on_message(PeerMessage::SignedOut),
                // Messages of another version or from another library are none of our business.
                _ => {}
            }
        });
        channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        // The channel lives as long as the page; the handler must too.
        handler.forget();
        Some(Self { channel })
    }

    /// Tells the other tabs.
    pub fn tell(&self, message: &PeerMessage) {
        let data = Object::new();
        let (kind, snapshot) = match message {
            PeerMessage::Session(snapshot) => ("session", Some(snapshot.as_str())),
            PeerMessage::SignedOut => ("signed_out", None),
        };
        let _ = Reflect::set(&data, &"type".into(), &kind.into());
        if let Some(snapshot) = snapshot {
            let _ = Reflect::set(&data, &"snapshot".into(), &snapshot.into());
        }
        let _ = self.channel.post_message(&data);
    }
}
