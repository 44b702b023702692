//! Design (c), hybrid: (b)'s machine interface (`handle(now, Op)` → `Effect`s, raw exports, the
//! same JS runtime) with (a)'s flow code inside: async fns over a small `Runtime` trait, run by a
//! tiny single-threaded executor the `Machine` owns. No wasm-bindgen, no futures crates.
//!
//! `Io` is the machine's `Runtime`: `send` pushes `Effect::Send` and waits for the matching
//! `Op::Response`/`Op::Failed` (a slot keyed by request id); `sleep` pushes `Effect::Timer` and
//! waits for `Op::Timer`. `handle` stores the op's result, then polls tasks until a whole pass
//! makes no progress (a flag waker says whether anything woke).
#[cfg(feature = "hand")]
extern crate rules_hand as rules;

pub mod client;

use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
use core::task::{Context, Poll, Waker};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Wake;

use client::{Client, Runtime, Task};
use rules::{push_quoted, push_u32, Error, Request, Response, Result, Rules, ToJson};

// ---- The protocol: `Op`, `Effect`, `effects_json` are verbatim copies of b/src/lib.rs. ----

/// What happened.
pub enum Op<'a> {
    /// `login(args)` as call `call`; `args` is JSON text.
    Login { call: u32, args: &'a str },
    /// `refresh()`.
    Refresh { call: u32 },
    /// `getProfile()`.
    GetProfile { call: u32 },
    /// The answer to request `id`.
    Response { id: u32, status: u16, body: &'a str },
    /// `fetch` threw for request `id`.
    Failed { id: u32, name: &'a str, message: &'a str },
    /// The refresh timer fired.
    Timer,
}

/// What the runtime must do.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// `fetch` it, then feed back `Op::Response` / `Op::Failed` with `id`.
    Send { id: u32, req: Request },
    /// (Re)arm the single refresh timer: feed back `Op::Timer` after `ms` (already ≤ 2^31-1).
    Timer { ms: u32 },
    /// Cancel the refresh timer.
    ClearTimer,
    /// Resolve call `call` with this JSON text.
    Resolve { call: u32, json: String },
    /// Reject call `call`.
    Reject { call: u32, err: Error },
}

// ---- The runtime the flows see inside the machine. ----

#[derive(Default)]
struct IoState {
    now: Cell<f64>,
    next_id: Cell<u32>,
    /// Answers that arrived, keyed by request id, until their `send` takes them.
    arrived: RefCell<Vec<(u32, Result<Response>)>>,
    fired: Cell<bool>,
    out: RefCell<Vec<Effect>>,
    spawned: RefCell<Vec<Task>>,
    rearm: RefCell<Option<Option<Task>>>,
}

#[derive(Clone, Default)]
pub struct Io(Rc<IoState>);

impl Runtime for Io {
    async fn send(&self, req: Request) -> Result<Response> {
        let s = &self.0;
        let id = s.next_id.get();
        s.next_id.set(id.wrapping_add(1));
        s.out.borrow_mut().push(Effect::Send { id, req });
        poll_fn(|_| {
            let mut a = s.arrived.borrow_mut();
            match a.iter().position(|(k, _)| *k == id) {
                Some(i) => Poll::Ready(a.swap_remove(i).1),
                None => Poll::Pending,
            }
        })
        .await
    }

    async fn sleep(&self, ms: u32) {
        let s = &self.0;
        s.fired.set(false);
        s.out.borrow_mut().push(Effect::Timer { ms });
        poll_fn(|_| if s.fired.replace(false) { Poll::Ready(()) } else { Poll::Pending }).await
    }

    fn spawn(&self, fut: Task) {
        self.0.spawned.borrow_mut().push(fut);
    }

    fn rearm(&self, fut: Option<Task>) {
        if fut.is_none() {
            self.0.out.borrow_mut().push(Effect::ClearTimer);
        }
        *self.0.rearm.borrow_mut() = Some(fut);
    }

    fn now(&self) -> f64 {
        self.0.now.get()
    }
}

impl Io {
    fn settle<T: ToJson>(&self, call: u32, r: Result<T>) {
        self.0.out.borrow_mut().push(match r {
            Ok(v) => Effect::Resolve { call, json: v.to_json() },
            Err(err) => Effect::Reject { call, err },
        });
    }
}

/// The flag waker: any wake means "poll everything again".
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Relaxed);
    }
}

// ---- The machine: the client, its runtime and the executor. ----

pub struct Machine {
    client: Rc<Client<Io>>,
    io: Io,
    tasks: Vec<Task>,
    timer: Option<Task>,
    flag: Arc<Flag>,
    waker: Waker,
}

impl Machine {
    pub fn new(rules: Rules) -> Self {
        let io = Io::default();
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        Self {
            client: Client::new(rules, io.clone()),
            io,
            tasks: Vec::new(),
            timer: None,
            waker: Waker::from(flag.clone()),
            flag,
        }
    }

    pub fn rules(&self) -> core::cell::Ref<'_, Rules> {
        self.client.rules()
    }

    /// Next effect, oldest first.
    pub fn poll(&mut self) -> Option<Effect> {
        let mut out = self.io.0.out.borrow_mut();
        if out.is_empty() {
            None
        } else {
            Some(out.remove(0))
        }
    }

    /// All effects so far.
    pub fn drain(&mut self) -> std::vec::IntoIter<Effect> {
        core::mem::take(&mut *self.io.0.out.borrow_mut()).into_iter()
    }

    /// Number of live tasks (calls in progress + the timer task), for tests.
    pub fn tasks(&self) -> usize {
        self.tasks.len() + self.timer.is_some() as usize
    }

    pub fn handle(&mut self, now: f64, op: Op<'_>) {
        let io = &self.io.0;
        io.now.set(now);
        match op {
            Op::Login { call, args } => {
                let (c, args) = (self.client.clone(), args.to_owned());
                self.call(call, async move { c.login(&Rules::login_args(&args)?).await })
            }
            Op::Refresh { call } => {
                let c = self.client.clone();
                self.call(call, async move { c.refresh().await })
            }
            Op::GetProfile { call } => {
                let c = self.client.clone();
                self.call(call, async move { c.get_profile().await })
            }
            Op::Response { id, status, body } => {
                io.arrived.borrow_mut().push((id, Ok(Response { status, body: body.to_owned() })))
            }
            Op::Failed { id, name, message } => {
                io.arrived.borrow_mut().push((id, Err(Error::from_fetch(name, message))))
            }
            Op::Timer => io.fired.set(true),
        }
        self.run();
    }

    /// Starts call `call` as a task that settles it.
    fn call<T: ToJson>(&mut self, call: u32, fut: impl Future<Output = Result<T>> + 'static) {
        let io = self.io.clone();
        self.tasks.push(Box::pin(async move { io.settle(call, fut.await) }));
    }

    /// Polls every task until a whole pass makes no progress: nothing woke (flag), no task
    /// spawned or re-armed. Op results are picked up by re-polling, so the first pass always runs.
    fn run(&mut self) {
        let mut cx = Context::from_waker(&self.waker);
        let io = &self.io.0;
        loop {
            self.flag.0.store(false, Relaxed);
            let mut again = false;
            if let Some(t) = &mut self.timer {
                if t.as_mut().poll(&mut cx).is_ready() {
                    self.timer = None;
                }
            }
            let mut i = 0;
            loop {
                let new = core::mem::take(&mut *io.spawned.borrow_mut());
                again |= !new.is_empty();
                self.tasks.extend(new);
                let Some(t) = self.tasks.get_mut(i) else { break };
                if t.as_mut().poll(&mut cx).is_ready() {
                    drop(self.tasks.swap_remove(i));
                } else {
                    i += 1;
                }
            }
            if let Some(t) = io.rearm.borrow_mut().take() {
                again = true;
                self.timer = t;
            }
            if !again && !self.flag.0.load(Relaxed) {
                return;
            }
        }
    }
}

/// Effects as JSON text for the runtime's `JSON.parse` (verbatim from b/src/lib.rs):
/// `[{"t":"send","id":1,"m":"POST","u":"...","h":[["k","v"]],"b":"...","c":1},
///   {"t":"timer","ms":270000}, {"t":"clear"}, {"t":"ok","k":3,"v":<json>},
///   {"t":"err","k":3,"code":"...","message":"...","status":401}]`
pub fn effects_json(effects: impl Iterator<Item = Effect>) -> String {
    let mut o = String::from("[");
    for (i, e) in effects.enumerate() {
        if i > 0 {
            o.push(',');
        }
        match e {
            Effect::Send { id, req } => {
                o.push_str(r#"{"t":"send","id":"#);
                push_u32(&mut o, id);
                o.push_str(r#","m":""#);
                o.push_str(req.method);
                o.push_str(r#"","u":"#);
                push_quoted(&mut o, &req.url);
                o.push_str(r#","h":["#);
                for (j, (k, v)) in req.headers.iter().enumerate() {
                    if j > 0 {
                        o.push(',');
                    }
                    o.push_str("[\"");
                    o.push_str(k);
                    o.push_str("\",");
                    push_quoted(&mut o, v);
                    o.push(']');
                }
                o.push(']');
                if let Some(b) = &req.body {
                    o.push_str(r#","b":"#);
                    push_quoted(&mut o, b);
                }
                o.push_str(if req.credentials { r#","c":1}"# } else { r#","c":0}"# });
            }
            Effect::Timer { ms } => {
                o.push_str(r#"{"t":"timer","ms":"#);
                push_u32(&mut o, ms);
                o.push('}');
            }
            Effect::ClearTimer => o.push_str(r#"{"t":"clear"}"#),
            Effect::Resolve { call, json } => {
                o.push_str(r#"{"t":"ok","k":"#);
                push_u32(&mut o, call);
                o.push_str(r#","v":"#);
                o.push_str(&json);
                o.push('}');
            }
            Effect::Reject { call, err } => {
                o.push_str(r#"{"t":"err","k":"#);
                push_u32(&mut o, call);
                o.push_str(r#","code":""#);
                o.push_str(err.code.as_str());
                o.push_str(r#"","message":"#);
                push_quoted(&mut o, &err.message);
                if let Some(st) = err.status {
                    o.push_str(r#","status":"#);
                    push_u32(&mut o, st.into());
                }
                o.push('}');
            }
        }
    }
    o.push(']');
    o
}

/// The one entry point (verbatim from b/src/lib.rs but for the `Machine` type). `slot`: which
/// client. `op`: 0 init(call=a, config json; resolves with the new slot) 1 login(call=a, args
/// json) 2 refresh(call=a) 3 getProfile(call=a) 4 response(id=a, status=b, body text)
/// 5 failed(id=a, `name\nmessage`) 6 timer.
pub mod entry {
    use super::*;

    /// Wasm runs one thread; native tests use `Machine` directly.
    struct One(RefCell<Vec<Machine>>);
    unsafe impl Sync for One {}
    static MACHINES: One = One(RefCell::new(Vec::new()));

    pub fn handle(slot: u32, op: u32, a: u32, b: u32, input: &str, now: f64) -> String {
        {
            let mut ms = MACHINES.0.borrow_mut();
            if op == 0 {
                let e = match Rules::from_json(input) {
                    Ok(r) => {
                        ms.push(Machine::new(r));
                        let mut json = String::new();
                        push_u32(&mut json, (ms.len() - 1) as u32);
                        Effect::Resolve { call: a, json }
                    }
                    Err(err) => Effect::Reject { call: a, err },
                };
                return effects_json(core::iter::once(e));
            }
            let Some(m) = ms.get_mut(slot as usize) else { return "[]".to_owned() };
            let op = match op {
                1 => Op::Login { call: a, args: input },
                2 => Op::Refresh { call: a },
                3 => Op::GetProfile { call: a },
                4 => Op::Response { id: a, status: b as u16, body: input },
                5 => {
                    let (name, message) = input.split_once('\n').unwrap_or((input, ""));
                    Op::Failed { id: a, name, message }
                }
                _ => Op::Timer,
            };
            m.handle(now, op);
            effects_json(m.drain())
        }
    }
}

/// No wasm-bindgen (verbatim from b/src/lib.rs): the runtime writes UTF-8 into memory from
/// `alloc`, calls `handle`, and reads the answer at `out_ptr()` (length returned by `handle`).
#[cfg(feature = "raw")]
pub mod raw {
    use core::cell::RefCell;

    struct Out(RefCell<String>);
    unsafe impl Sync for Out {}
    static OUT: Out = Out(RefCell::new(String::new()));

    #[no_mangle]
    pub extern "C" fn alloc(len: usize) -> *mut u8 {
        let mut v = Vec::<u8>::with_capacity(len);
        let p = v.as_mut_ptr();
        core::mem::forget(v);
        p
    }

    /// # Safety
    /// `ptr`/`cap` must come from `alloc`.
    #[no_mangle]
    pub unsafe extern "C" fn dealloc(ptr: *mut u8, cap: usize) {
        drop(Vec::from_raw_parts(ptr, 0, cap));
    }

    /// Takes ownership of the input buffer (`ptr`, `len` from `alloc(len)`).
    ///
    /// # Safety
    /// `ptr` must come from `alloc(len)` and hold `len` bytes of UTF-8.
    #[no_mangle]
    pub unsafe extern "C" fn handle(slot: u32, op: u32, a: u32, b: u32, ptr: *mut u8, len: usize, now: f64) -> usize {
        let input = if len == 0 { String::new() } else { String::from_raw_parts(ptr, len, len) };
        let out = super::entry::handle(slot, op, a, b, &input, now);
        let n = out.len();
        *OUT.0.borrow_mut() = out;
        n
    }

    #[no_mangle]
    pub extern "C" fn out_ptr() -> *const u8 {
        OUT.0.borrow().as_ptr()
    }
}

#[cfg(test)]
mod tests;
