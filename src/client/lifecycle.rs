//! The session's life between calls, in one place for every runtime: after each change of
//! session the snapshot is stored, the other tabs are told and the next refresh is armed; a
//! peer's news is taken in without echoing it; a page coming back to the foreground catches up.
//! The runtime only performs these effects (`Runtime::store_snapshot`, `tell_peers`, `spawn`,
//! `sleep`), so native tests drive all of it on simulated time.

use std::rc::{Rc, Weak};

use crate::client::runtime::{PeerMessage, Runtime};
use crate::client::{Client, Source};
use crate::core::error::ErrorCode;
use crate::core::refresh::{timer_delay_ms, AuthEvent};

/// How long to wait before trying again after a timer-driven refresh failed on the network.
pub(super) const RETRY_LATER_MS: u32 = 30_000;
/// A refresh timer that fires less than this before its planned time counts as on time.
const EARLY_WAKE_MS: f64 = 1_000.0;

/// What the client does between calls; see [`Client::start`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lifecycle {
    /// Refresh before each expiry, `refreshLeewaySeconds` before it (the `autoRefresh` option).
    pub auto_refresh: bool,
    /// Keep the snapshot in the runtime's store after every change (`storage` is not memory).
    pub persist: bool,
    /// Tell the other tabs (browser mode).
    pub share_with_peers: bool,
}

impl<T: Runtime> Client<T> {
    /// Starts the lifecycle: from now on every change of session is stored, shared and followed
    /// by a refresh timer, as `lifecycle` says. The timers hold the client weakly, so a client
    /// the app dropped is not kept alive by them.
    pub fn start(self: &Rc<Self>, lifecycle: Lifecycle) {
        *self.me.borrow_mut() = Rc::downgrade(self);
        self.lifecycle.set(Some(lifecycle));
        if self.session().is_some() {
            self.arm_refresh_timer();
        }
    }

    /// The SDK's own reaction to the changes in `events`, run before a refresh lock is released
    /// so a waiting tab finds the new session instead of refreshing again. It never calls the
    /// app's code.
    pub(super) fn react(&self, events: &[AuthEvent]) {
        let Some(lifecycle) = self.lifecycle.get() else {
            return;
        };
        let changed = events.iter().any(|e| *e != AuthEvent::MfaRequired);
        if !changed {
            return;
        }
        let source = self.source.get();
        let persist = lifecycle.persist && source != Source::Store;
        let share = lifecycle.share_with_peers && source != Source::Peer;
        // Serialised only when something takes it (a server with memory storage doesn't).
        let snapshot = (persist || share).then(|| self.snapshot()).flatten();
        if persist {
            self.runtime.store_snapshot(snapshot.as_deref());
        }
        if share {
            self.runtime.tell_peers(&match snapshot {
                Some(snapshot) => PeerMessage::Session(snapshot),
                None => PeerMessage::SignedOut,
            });
        }
        if lifecycle.auto_refresh {
            self.arm_refresh_timer();
        }
    }

    /// Takes in what another tab said: its new session, or its sign-out.
    pub fn on_peer_message(&self, message: PeerMessage) {
        match message {
            PeerMessage::Session(snapshot) => {
                self.adopt_from(Source::Peer, &snapshot);
            }
            PeerMessage::SignedOut => {
                self.source.set(Source::Peer);
                self.sign_out_locally();
                self.source.set(Source::Here);
            }
        }
    }

    /// Background tabs throttle timers, and a laptop may have slept: when the page is visible
    /// again (or the network is back), refresh now if the token is due. Failures surface on the
    /// next call that needs the token.
    pub fn catch_up(&self) {
        if self.lifecycle.get().is_none_or(|l| !l.auto_refresh) {
            return;
        }
        let Some(me) = self.me.borrow().upgrade() else {
            return;
        };
        self.runtime.spawn(Box::pin(async move {
            let _ = me.ensure_fresh().await;
        }));
    }

    /// Cancels the previous refresh timer and, when signed in, arms the next one.
    fn arm_refresh_timer(&self) {
        let current = self.timer.get().wrapping_add(1);
        self.timer.set(current);
        let now = (self.clock)();
        let due = self.core.borrow().refresh_due(now, self.runtime.jitter());
        let Some(due_at) = due else {
            return;
        };
        let me = self.me.borrow().clone();
        self.runtime
            .spawn(Box::pin(Self::refresh_when_due(me, now, due_at, current)));
    }

    /// The refresh timer `current` of one session, armed at `armed_at` for `due_at` (epoch ms).
    /// It waits in steps timers can take (a 60-day token is waited for, not refreshed at once),
    /// then refreshes; after a transient failure it waits [`RETRY_LATER_MS`] and tries again, for
    /// as long as the session holds (or the host's `Retry-After`, if longer). It stops as soon as another timer was armed or the client is
    /// gone.
    ///
    /// The wait is counted on the timer, not only on the wall clock: a clock set back an hour
    /// must not put the refresh off by an hour (the host's expiry doesn't move), while a clock
    /// that moved forward (a laptop waking from sleep, whose timers paused) refreshes at once.
    pub(super) async fn refresh_when_due(
        this: Weak<Self>,
        armed_at: f64,
        due_at: f64,
        current: u32,
    ) {
        let mut left = (due_at - armed_at).max(0.0);
        loop {
            let step = timer_delay_ms(0.0, left);
            let Some(wait) = this.upgrade().map(|c| c.runtime.sleep(step)) else {
                return;
            };
            wait.await;
            let Some(client) = this.upgrade().filter(|c| c.timer.get() == current) else {
                return;
            };
            left = (left - f64::from(step)).min(due_at - (client.clock)());
            if left > EARLY_WAKE_MS {
                // A step of a long wait: wait for the rest.
                continue;
            }
            match client.refresh().await {
                // Success armed the next timer (TOKEN_REFRESHED); a refusal ended the session.
                Ok(_) => return,
                Err(e) if e.code == ErrorCode::SessionExpired => return,
                // Not before the host asked to be left alone (a 429's `Retry-After`).
                Err(e) => left = f64::from(RETRY_LATER_MS.max(e.retry_after_ms.unwrap_or(0))),
            }
        }
    }
}
