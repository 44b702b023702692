//! The flows as ordinary async fns, adapted from design (a)'s `a/src/client.rs`. Differences
//! from (a), all marked `(c)`: single flight waits on a shared result slot + wakers instead of
//! futures-channel oneshots, and the refresh timer is one replaceable task (`rearm`) that waits in
//! clamped steps, instead of a spawned task per schedule with a generation check.
use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{Poll, Waker};
use std::rc::Rc;

use rules::{Code, Error, LoginArgs, Profile, Request, Response, Result, Rules, Session, MAX_TIMER_MS};

pub type Task = Pin<Box<dyn Future<Output = ()>>>;

/// What the flows need from their host: the network, a timer, a clock and somewhere to run tasks.
#[allow(async_fn_in_trait)]
pub trait Runtime {
    async fn send(&self, req: Request) -> Result<Response>;
    async fn sleep(&self, ms: u32);
    fn spawn(&self, fut: Task);
    /// (c) Replaces the one refresh-timer task (dropping the old one); `None`: no timer.
    fn rearm(&self, fut: Option<Task>);
    fn now(&self) -> f64;
}

pub struct Client<T> {
    core: RefCell<Rules>,
    rt: T,
    /// (c) Single flight: a refresh is in flight; its result lands in `last`, `done` counts them.
    refreshing: Cell<bool>,
    done: Cell<u32>,
    last: RefCell<Result<Session>>,
    waiting: RefCell<Vec<Waker>>,
}

impl<T: Runtime + 'static> Client<T> {
    pub fn new(rules: Rules, rt: T) -> Rc<Self> {
        Rc::new(Self {
            core: RefCell::new(rules),
            rt,
            refreshing: Cell::new(false),
            done: Cell::new(0),
            last: RefCell::new(Err(Error::new(Code::Network, "No refresh yet."))),
            waiting: RefCell::new(Vec::new()),
        })
    }

    pub fn rules(&self) -> core::cell::Ref<'_, Rules> {
        self.core.borrow()
    }

    pub async fn login(self: &Rc<Self>, args: &LoginArgs) -> Result<Session> {
        let req = self.core.borrow().login_request(args);
        let resp = self.rt.send(req).await?;
        let s = self.core.borrow_mut().handle_login(resp, self.rt.now())?;
        self.schedule();
        Ok(s)
    }

    /// Single flight: concurrent callers share one request.
    pub async fn refresh(self: &Rc<Self>) -> Result<Session> {
        if self.refreshing.get() {
            // (c) Wait for the refresh in flight to finish, then take its result.
            let n = self.done.get();
            return poll_fn(|cx| {
                if self.done.get() != n {
                    return Poll::Ready(self.last.borrow().clone());
                }
                let mut w = self.waiting.borrow_mut();
                if !w.iter().any(|w| w.will_wake(cx.waker())) {
                    w.push(cx.waker().clone());
                }
                Poll::Pending
            })
            .await;
        }
        self.refreshing.set(true);
        let req = self.core.borrow().refresh_request();
        let result = match self.rt.send(req).await {
            Ok(resp) => self.core.borrow_mut().handle_refresh(resp, self.rt.now()),
            Err(e) => Err(e),
        };
        self.schedule();
        *self.last.borrow_mut() = result.clone();
        self.done.set(self.done.get().wrapping_add(1));
        self.refreshing.set(false);
        for w in core::mem::take(&mut *self.waiting.borrow_mut()) {
            w.wake();
        }
        result
    }

    /// Refresh first when inside the leeway; refresh and retry once after a 401.
    pub async fn get_profile(self: &Rc<Self>) -> Result<Profile> {
        let now = self.rt.now();
        let (signed_in, needs) = {
            let c = self.core.borrow();
            (c.signed_in(), c.needs_refresh(now))
        };
        if signed_in && needs {
            if let Err(e) = self.refresh().await {
                if !(e.is_transient() && !self.core.borrow().is_expired(self.rt.now())) {
                    return Err(e);
                }
            }
        }
        let req = self.core.borrow().profile_request()?;
        let mut resp = self.rt.send(req).await?;
        if resp.status == 401 {
            self.refresh().await?;
            let req = self.core.borrow().profile_request()?;
            resp = self.rt.send(req).await?;
        }
        self.core.borrow().handle_profile(resp)
    }

    /// (Re)arms the refresh timer. (c) One task, replaced on every schedule (so no generation
    /// check); a delay clamped to 2^31-1 ms is slept in steps, re-reading the delay after each.
    fn schedule(self: &Rc<Self>) {
        let Some(mut ms) = self.core.borrow().refresh_delay_ms(self.rt.now()) else {
            return self.rt.rearm(None);
        };
        let me = Rc::clone(self);
        self.rt.rearm(Some(Box::pin(async move {
            while ms == MAX_TIMER_MS {
                me.rt.sleep(ms).await;
                let Some(next) = me.core.borrow().refresh_delay_ms(me.rt.now()) else { return };
                ms = next;
            }
            me.rt.sleep(ms).await;
            // A separate task, so that re-arming (which drops this one) never cancels a refresh.
            let me2 = Rc::clone(&me);
            me.rt.spawn(Box::pin(async move {
                let _ = me2.refresh().await;
            }));
        })));
    }
}
