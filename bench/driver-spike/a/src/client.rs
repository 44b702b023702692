//! The async driver: ordering only (single-flight refresh, refresh before expiry, one retry
//! after a 401, the refresh timer). Generic over the runtime so native tests can drive it.
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_channel::oneshot;
use rules::{Code, Error, LoginArgs, Profile, Request, Response, Result, Rules, Session};

/// What the driver needs from its host: the network, a timer, a clock and an executor.
#[allow(async_fn_in_trait)]
pub trait Runtime {
    async fn send(&self, req: Request) -> Result<Response>;
    async fn sleep(&self, ms: u32);
    fn spawn(&self, fut: Pin<Box<dyn Future<Output = ()>>>);
    fn now(&self) -> f64;
}

pub struct Client<T> {
    core: RefCell<Rules>,
    rt: T,
    waiters: RefCell<Option<Vec<oneshot::Sender<Result<Session>>>>>,
    timer_gen: Cell<u32>,
}

impl<T: Runtime + 'static> Client<T> {
    pub fn new(rules: Rules, rt: T) -> Rc<Self> {
        Rc::new(Self { core: RefCell::new(rules), rt, waiters: RefCell::new(None), timer_gen: Cell::new(0) })
    }

    pub fn session(&self) -> Option<Session> {
        self.core.borrow().session.clone()
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
        let waiting = self.waiters.borrow_mut().as_mut().map(|w| {
            let (tx, rx) = oneshot::channel();
            w.push(tx);
            rx
        });
        if let Some(rx) = waiting {
            return rx.await.unwrap_or_else(|_| Err(Error::new(Code::Network, "The refresh was cancelled.")));
        }
        *self.waiters.borrow_mut() = Some(Vec::new());
        let req = self.core.borrow().refresh_request();
        let result = match self.rt.send(req).await {
            Ok(resp) => self.core.borrow_mut().handle_refresh(resp, self.rt.now()),
            Err(e) => Err(e),
        };
        self.schedule();
        let waiters = self.waiters.borrow_mut().take().unwrap_or_default();
        for w in waiters {
            let _ = w.send(result.clone());
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

    /// (Re)arms the refresh timer: a spawned task that sleeps, then refreshes unless a newer
    /// schedule superseded it.
    fn schedule(self: &Rc<Self>) {
        let gen = self.timer_gen.get().wrapping_add(1);
        self.timer_gen.set(gen);
        let Some(ms) = self.core.borrow().refresh_delay_ms(self.rt.now()) else { return };
        let me = Rc::clone(self);
        self.rt.spawn(Box::pin(async move {
            me.rt.sleep(ms).await;
            if me.timer_gen.get() == gen {
                let _ = me.refresh().await;
            }
        }));
    }
}
