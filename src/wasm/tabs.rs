//! Tabs of one origin, in browser mode: a Web Lock so only one tab refreshes at a time (each
//! refresh rotates the shared httpOnly cookie, and a replayed one would end the session), and a
//! BroadcastChannel that hands the new session, or a sign-out, to the other tabs. The browser's
//! side of both is in `js/runtime.js`; when to wait, steal or speak is decided here.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::client::runtime::PeerMessage;
use crate::wasm::effects::effects;
use crate::wasm::timer::sleep;

/// A held Web Lock; dropping it releases the lock.
pub struct WebLock {
    release: Function,
    /// Another tab held it first.
    pub waited: bool,
}

impl Drop for WebLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::NULL);
    }
}

/// Acquires the Web Lock `name`, waiting at most `takeover_ms` before stealing it (see
/// [`crate::core::refresh::lock_takeover_ms`]: never while the holder's refresh may still be out).
/// `None` where the browser has no Web Locks: the client's own single-flight still holds
/// within a tab.
pub async fn acquire(name: &str, takeover_ms: u32) -> Option<WebLock> {
    // First only if free: whether this tab had to wait tells it whether another tab may have
    // just refreshed.
    if let Some(lock) = request(name, "free".into()).await? {
        return Some(lock);
    }
    // Take the lock over only from a holder that held it for a whole wait (a stuck tab), never
    // from one that got it meanwhile and may have its own refresh out.
    let mut holder = holder_of(name).await;
    let mut lock = loop {
        if let Some(lock) = request(name, takeover_ms.into()).await? {
            break lock;
        }
        let now = holder_of(name).await;
        if now.is_some() && now != holder {
            holder = now;
            continue;
        }
        break request(name, "steal".into()).await??;
    };
    lock.waited = true;
    Some(lock)
}

/// The `clientId` of the tab holding the lock `name`, if the browser says.
async fn holder_of(name: &str) -> Option<String> {
    JsFuture::from(effects().ok()?.holder(name))
        .await
        .ok()?
        .as_string()
}

/// Asks for the lock `name` in `mode` (`js/runtime.js`'s `lock`). `None` where there are no Web
/// Locks; `Some(None)` when it was not granted (held, or the wait timed out).
async fn request(name: &str, mode: JsValue) -> Option<Option<WebLock>> {
    let answer = JsFuture::from(effects().ok()?.lock(name, &mode))
        .await
        .ok()?;
    if answer.is_undefined() {
        return None;
    }
    let Ok(release) = answer.dyn_into::<Function>() else {
        return Some(None);
    };
    let lock = WebLock {
        release,
        waited: false,
    };
    // The tab that held the lock told the others about its new session just before releasing
    // it; one turn of the event loop lets that message land before this tab decides to refresh.
    sleep(0).await;
    Some(Some(lock))
}

/// A channel to the other tabs of this origin for one identity host.
pub struct Peers {
    tell: Function,
}

impl Peers {
    /// Joins the channel `name`, calling `on_message` for what other tabs say. `None` where the
    /// runtime has no BroadcastChannel.
    pub fn join(name: &str, on_message: impl Fn(PeerMessage) + 'static) -> Option<Self> {
        let hear =
            Closure::<dyn Fn(JsValue, JsValue)>::new(move |kind: JsValue, snapshot: JsValue| {
                match kind.as_string().as_deref() {
                    Some("session") => {
                        if let Some(snapshot) = snapshot.as_string() {
                            on_message(PeerMessage::Session(snapshot));
                        }
                    }
                    Some("signed_out") => on_message(PeerMessage::SignedOut),
                    // Messages of another version or from another library are none of our business.
                    _ => {}
                }
            });
        let tell = effects().ok()?.channel(name, hear.as_ref())?;
        // The channel lives as long as the page; the handler must too.
        hear.forget();
        Some(Self { tell })
    }

    /// Tells the other tabs.
    pub fn tell(&self, message: &PeerMessage) {
        let (kind, snapshot) = match message {
            PeerMessage::Session(snapshot) => ("session", JsValue::from_str(snapshot)),
            PeerMessage::SignedOut => ("signed_out", JsValue::UNDEFINED),
        };
        let _ = self.tell.call2(&JsValue::NULL, &kind.into(), &snapshot);
    }
}
