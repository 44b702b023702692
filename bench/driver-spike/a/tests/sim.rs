//! Design (a) driven natively: a Runtime with a virtual clock and a scripted transport, plus
//! the executor the test must bring (here a minimal single-threaded one).
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Waker};

use futures_channel::oneshot;
use proto_a::client::{Client, Runtime};
use rules::{Code, Request, Response, Result, Rules};

type Task = Pin<Box<dyn Future<Output = ()>>>;

#[derive(Default)]
struct Sim {
    now: Cell<f64>,
    requests: RefCell<Vec<(Request, oneshot::Sender<Result<Response>>)>>,
    timers: RefCell<Vec<(f64, oneshot::Sender<()>)>>,
    tasks: RefCell<Vec<Task>>,
}

#[derive(Clone, Default)]
struct SimRt(Rc<Sim>);

impl Runtime for SimRt {
    async fn send(&self, req: Request) -> Result<Response> {
        let (tx, rx) = oneshot::channel();
        self.0.requests.borrow_mut().push((req, tx));
        rx.await.unwrap()
    }
    async fn sleep(&self, ms: u32) {
        let (tx, rx) = oneshot::channel();
        self.0.timers.borrow_mut().push((self.0.now.get() + f64::from(ms), tx));
        let _ = rx.await;
    }
    fn spawn(&self, fut: Task) {
        self.0.tasks.borrow_mut().push(fut);
    }
    fn now(&self) -> f64 {
        self.0.now.get()
    }
}

impl Sim {
    /// Polls every task until none makes progress (the executor the test has to supply).
    fn run(&self) {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..100 {
            let mut tasks = std::mem::take(&mut *self.tasks.borrow_mut());
            let before = tasks.len();
            tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
            let progressed = tasks.len() != before || !self.tasks.borrow().is_empty();
            self.tasks.borrow_mut().extend(tasks);
            if !progressed {
                return;
            }
        }
    }
    /// Starts a call as a task; its result lands in the returned cell.
    fn call<T: 'static>(&self, fut: impl Future<Output = T> + 'static) -> Rc<RefCell<Option<T>>> {
        let out = Rc::new(RefCell::new(None));
        let o = out.clone();
        self.tasks.borrow_mut().push(Box::pin(async move { *o.borrow_mut() = Some(fut.await) }));
        self.run();
        out
    }
    fn reply(&self, status: u16, body: &str) -> Request {
        let (req, tx) = self.requests.borrow_mut().remove(0);
        let _ = tx.send(Ok(Response { status, body: body.into() }));
        self.run();
        req
    }
    /// Moves the virtual clock and fires due timers.
    fn advance(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
        let now = self.now.get();
        let due: Vec<_> = {
            let mut t = self.timers.borrow_mut();
            let (due, rest) = std::mem::take(&mut *t).into_iter().partition(|(at, _)| *at <= now);
            *t = rest;
            due
        };
        for (_, tx) in due {
            let _ = tx.send(());
        }
        self.run();
    }
}

#[test]
fn timer_refresh_then_expiry_and_single_flight_on_401() {
    let rt = SimRt::default();
    let sim = rt.0.clone();
    let client = Client::new(Rules::from_json(r#"{"baseUrl":"http://h"}"#).unwrap(), rt);
    let args = Rules::login_args(r#"{"email":"a@b.c","password":"p"}"#).unwrap();
    let c = client.clone();
    let login = sim.call(async move { c.login(&args).await });
    sim.reply(200, r#"{"accessToken":"t1","expiresIn":300}"#);
    assert!(login.borrow().as_ref().unwrap().is_ok());
    assert_eq!(sim.timers.borrow()[0].0, 270_000.0);

    // Two getProfile calls, both 401: one refresh, two retries.
    let (c1, c2) = (client.clone(), client.clone());
    let p1 = sim.call(async move { c1.get_profile().await });
    let p2 = sim.call(async move { c2.get_profile().await });
    sim.reply(401, "");
    sim.reply(401, "");
    assert_eq!(sim.requests.borrow().len(), 1, "single flight");
    sim.reply(200, r#"{"accessToken":"t2","expiresIn":300}"#);
    let me = r#"{"id":"u","email":"a@b.c","tenantId":"t"}"#;
    sim.reply(200, me);
    sim.reply(200, me);
    assert!(p1.borrow().as_ref().unwrap().is_ok() && p2.borrow().as_ref().unwrap().is_ok());

    // 270 s later the timer task refreshes; the host says the session is over.
    sim.advance(270_000.0);
    let r = sim.reply(401, "");
    assert!(r.url.ends_with("/token/refresh"));
    let c3 = client.clone();
    let p3 = sim.call(async move { c3.get_profile().await });
    assert_eq!(p3.borrow().as_ref().unwrap().as_ref().unwrap_err().code, Code::Unauthorized);
}
