//! The JS face (wasm-bindgen): one exported class, one method per call, each an async body
//! turned into a Promise.
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use rules::{Code, Error, LoginArgs, Rules};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::client::Client;
use crate::fetch::FetchRuntime;

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

#[wasm_bindgen(js_name = "__setErrorClass")]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

fn to_js_error(e: &Error) -> JsValue {
    let status = e.status.map_or(JsValue::UNDEFINED, JsValue::from);
    let args = js_sys::Array::of3(&e.code.as_str().into(), &e.message.as_str().into(), &status);
    ERROR_CLASS
        .with(|c| c.borrow().as_ref().and_then(|class| Reflect::construct(class, &args).ok()))
        .unwrap_or_else(|| js_sys::Error::new(&e.message).into())
}

/// What a call may resolve with.
#[cfg(not(feature = "hand"))]
pub trait Out: serde::Serialize {}
#[cfg(not(feature = "hand"))]
impl<T: serde::Serialize> Out for T {}
#[cfg(feature = "hand")]
pub trait Out: rules::ToJson {}
#[cfg(feature = "hand")]
impl<T: rules::ToJson> Out for T {}

#[cfg(not(feature = "hand"))]
fn to_value<T: Out>(v: &T) -> Result<JsValue, Error> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| Error::new(Code::Server, "Could not convert the answer."))
}

#[cfg(feature = "hand")]
fn to_value<T: Out>(v: &T) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&v.to_json()).map_err(|_| Error::new(Code::Server, "Could not convert the answer."))
}

/// JS value to JSON text (functions and undefined members drop out).
#[cfg(feature = "hand")]
fn json_text(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

fn promise<T: Out + 'static>(fut: impl Future<Output = Result<T, Error>> + 'static) -> Promise {
    run(Box::pin(async move { to_value(&fut.await?) }))
}

/// The one place futures become Promises.
fn run(fut: Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>) -> Promise {
    future_to_promise(async move { fut.await.map_err(|e| to_js_error(&e)) })
}

#[wasm_bindgen]
pub struct Auth {
    client: Rc<Client<FetchRuntime>>,
}

#[wasm_bindgen(js_name = "createAuth")]
pub fn create_auth(options: JsValue) -> Result<Auth, JsValue> {
    let bad = || to_js_error(&Error::new(Code::InvalidInput, "createAuth: `{ baseUrl }` is required."));
    #[cfg(not(feature = "hand"))]
    let rules = {
        let config: rules::Config = serde_wasm_bindgen::from_value(options.clone()).map_err(|_| bad())?;
        Rules::new(config).map_err(|e| to_js_error(&e))?
    };
    #[cfg(feature = "hand")]
    let rules = Rules::from_json(&json_text(&options)).map_err(|e| to_js_error(&e))?;
    let fetch = Reflect::get(&options, &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .or_else(|| Reflect::get(&js_sys::global(), &"fetch".into()).ok()?.dyn_into().ok())
        .ok_or_else(bad)?;
    Ok(Auth { client: Client::new(rules, FetchRuntime { fetch }) })
}

#[wasm_bindgen]
impl Auth {
    pub fn login(&self, params: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            #[cfg(not(feature = "hand"))]
            let args: LoginArgs = serde_wasm_bindgen::from_value(params)
                .map_err(|_| Error::new(Code::InvalidInput, "login: `{ email, password }` is required."))?;
            #[cfg(feature = "hand")]
            let args: LoginArgs = Rules::login_args(&json_text(&params))?;
            client.login(&args).await
        })
    }

    pub fn refresh(&self) -> Promise {
        let client = self.client.clone();
        promise(async move { client.refresh().await })
    }

    #[wasm_bindgen(js_name = "getProfile")]
    pub fn get_profile(&self) -> Promise {
        let client = self.client.clone();
        promise(async move { client.get_profile().await })
    }
}
