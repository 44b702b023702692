//! Design (b): a poll-style sans-IO state machine (quinn-proto style). Operations go in with the
//! time they happened; effects come out for a small JS runtime to perform. No futures, no
//! executor, no JS types: the machine is plain data and runs natively in tests as it is.

#![cfg_attr(feature = "nostd", no_std)]
extern crate alloc;
#[cfg(feature = "hand")]
extern crate rules_hand as rules;

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use rules::{push_quoted, push_u32, Code, Error, Request, Response, Result, Rules, ToJson};

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

enum Pending {
    Login(u32),
    Refresh,
    Profile { call: u32, retried: bool },
}

/// Who waits for the refresh in flight.
enum Waiter {
    /// An explicit `refresh()` call.
    Call(u32),
    /// A `getProfile` that needs a fresh token first (`retried`: after a 401; `tolerate`: a
    /// transient failure is fine while the old token is still valid).
    Profile { call: u32, retried: bool, tolerate: bool },
}

pub struct Machine {
    rules: Rules,
    next_id: u32,
    pending: Vec<(u32, Pending)>,
    refreshing: bool,
    waiters: Vec<Waiter>,
    out: Vec<Effect>,
}

impl Machine {
    pub fn new(rules: Rules) -> Self {
        Self { rules, next_id: 0, pending: Vec::new(), refreshing: false, waiters: Vec::new(), out: Vec::new() }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Next effect, oldest first (quinn-proto's `poll_transmit` / `poll_timeout` in one).
    pub fn poll(&mut self) -> Option<Effect> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.remove(0))
        }
    }

    /// All effects so far.
    pub fn drain(&mut self) -> alloc::vec::Drain<'_, Effect> {
        self.out.drain(..)
    }

    pub fn handle(&mut self, now: f64, op: Op<'_>) {
        match op {
            Op::Login { call, args } => match Rules::login_args(args) {
                Ok(args) => {
                    let req = self.rules.login_request(&args);
                    self.send(req, Pending::Login(call));
                }
                Err(e) => self.out.push(Effect::Reject { call, err: e }),
            },
            Op::Refresh { call } => self.start_refresh(Waiter::Call(call)),
            Op::GetProfile { call } => {
                if !self.rules.signed_in() {
                    self.profile(call, false);
                } else if self.rules.needs_refresh(now) {
                    self.start_refresh(Waiter::Profile { call, retried: false, tolerate: true });
                } else {
                    self.profile(call, false);
                }
            }
            Op::Timer => {
                if !self.refreshing {
                    self.refreshing = true;
                    let req = self.rules.refresh_request();
                    self.send(req, Pending::Refresh);
                }
            }
            Op::Response { id, status, body } => {
                self.answer(id, now, Ok(Response { status, body: body.to_owned() }))
            }
            Op::Failed { id, name, message } => self.answer(id, now, Err(Error::from_fetch(name, message))),
        }
    }

    fn send(&mut self, req: Request, p: Pending) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.pending.push((id, p));
        self.out.push(Effect::Send { id, req });
    }

    fn start_refresh(&mut self, w: Waiter) {
        self.waiters.push(w);
        if !self.refreshing {
            self.refreshing = true;
            let req = self.rules.refresh_request();
            self.send(req, Pending::Refresh);
        }
    }

    fn profile(&mut self, call: u32, retried: bool) {
        match self.rules.profile_request() {
            Ok(req) => self.send(req, Pending::Profile { call, retried }),
            Err(err) => self.out.push(Effect::Reject { call, err }),
        }
    }

    fn schedule(&mut self, now: f64) {
        self.out.push(match self.rules.refresh_delay_ms(now) {
            Some(ms) => Effect::Timer { ms },
            None => Effect::ClearTimer,
        });
    }

    fn settle<T: ToJson>(&mut self, call: u32, r: Result<T>) {
        self.out.push(match r {
            Ok(v) => Effect::Resolve { call, json: v.to_json() },
            Err(err) => Effect::Reject { call, err },
        });
    }

    fn answer(&mut self, id: u32, now: f64, resp: Result<Response>) {
        let Some(i) = self.pending.iter().position(|(p, _)| *p == id) else { return };
        let (_, pending) = self.pending.swap_remove(i);
        match pending {
            Pending::Login(call) => {
                let r = resp.and_then(|resp| self.rules.handle_login(resp, now));
                if r.is_ok() {
                    self.schedule(now);
                }
                self.settle(call, r);
            }
            Pending::Refresh => {
                let r = resp.and_then(|resp| self.rules.handle_refresh(resp, now));
                self.refreshing = false;
                self.schedule(now);
                for w in core::mem::take(&mut self.waiters) {
                    match w {
                        Waiter::Call(call) => self.settle(call, r.clone()),
                        Waiter::Profile { call, retried, tolerate } => match &r {
                            Err(e) if !(tolerate && e.is_transient() && !self.rules.is_expired(now)) => {
                                self.out.push(Effect::Reject { call, err: e.clone() })
                            }
                            _ => self.profile(call, retried),
                        },
                    }
                }
            }
            Pending::Profile { call, retried } => match resp {
                Ok(resp) if resp.status == 401 && !retried => {
                    self.start_refresh(Waiter::Profile { call, retried: true, tolerate: false })
                }
                r => {
                    let r = r.and_then(|resp| self.rules.handle_profile(resp));
                    self.settle(call, r);
                }
            },
        }
    }
}

/// Effects as JSON text for the runtime's `JSON.parse`:
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

/// The one entry point both export flavours share. `slot`: which client (one per createAuth).
/// `op`: 0 init(call=a, config json; resolves with the new slot) 1 login(call=a, args json)
/// 2 refresh(call=a) 3 getProfile(call=a) 4 response(id=a, status=b, body text)
/// 5 failed(id=a, `name\nmessage`) 6 timer.
pub mod entry {
    use super::*;
    use core::cell::RefCell;

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

/// No wasm-bindgen: the runtime writes UTF-8 into memory from `alloc`, calls `handle`, and
/// reads the answer at `out_ptr()` (length returned by `handle`).
#[cfg(feature = "raw")]
pub mod raw {
    use alloc::string::String;
    use alloc::vec::Vec;
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

/// no_std build: the same allocator std uses on wasm32 (dlmalloc), and a panic is a trap.
#[cfg(feature = "nostd")]
mod nostd {
    #[global_allocator]
    static A: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        core::arch::wasm32::unreachable()
    }
}

#[cfg(feature = "wb")]
mod wb {
    use wasm_bindgen::prelude::*;

    /// The single wasm-bindgen export.
    #[wasm_bindgen]
    pub fn handle(slot: u32, op: u32, a: u32, b: u32, input: &str, now: f64) -> String {
        super::entry::handle(slot, op, a, b, input, now)
    }
}

#[cfg(test)]
mod tests;
