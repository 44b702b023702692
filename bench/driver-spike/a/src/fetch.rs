//! The runtime over JS: fetch, setTimeout, Date.now, spawn_local.
use std::future::Future;
use std::pin::Pin;

use js_sys::{Function, Promise, Reflect};
use rules::{Error, Request, Response, Result};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, RequestCredentials, RequestInit};

use crate::client::Runtime;

pub struct FetchRuntime {
    pub fetch: Function,
}

fn fetch_error(e: &JsValue) -> Error {
    let field = |k: &str| Reflect::get(e, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    Error::from_fetch(&field("name"), &field("message"))
}

impl Runtime for FetchRuntime {
    async fn send(&self, req: Request) -> Result<Response> {
        let init = RequestInit::new();
        init.set_method(req.method);
        let headers = Headers::new().map_err(|e| fetch_error(&e))?;
        for (k, v) in &req.headers {
            headers.append(k, v).map_err(|e| fetch_error(&e))?;
        }
        init.set_headers(&headers);
        if let Some(b) = &req.body {
            init.set_body(&JsValue::from_str(b));
        }
        init.set_credentials(if req.credentials { RequestCredentials::Include } else { RequestCredentials::SameOrigin });
        init.set_signal(Some(&AbortSignal::timeout_with_u32(15_000)));
        let p: Promise = self
            .fetch
            .call2(&js_sys::global(), &JsValue::from_str(&req.url), &init)
            .map_err(|e| fetch_error(&e))?
            .unchecked_into();
        let resp: web_sys::Response = JsFuture::from(p).await.map_err(|e| fetch_error(&e))?.unchecked_into();
        let status = resp.status();
        let text = JsFuture::from(resp.text().map_err(|e| fetch_error(&e))?)
            .await
            .map_err(|e| fetch_error(&e))?;
        Ok(Response { status, body: text.as_string().unwrap_or_default() })
    }

    async fn sleep(&self, ms: u32) {
        let promise = Promise::new(&mut |resolve, _| {
            let timer = set_timeout(&resolve, ms);
            if let Some(unref) = Reflect::get(&timer, &"unref".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
                let _ = unref.call0(&timer);
            }
        });
        let _ = JsFuture::from(promise).await;
    }

    fn spawn(&self, fut: Pin<Box<dyn Future<Output = ()>>>) {
        wasm_bindgen_futures::spawn_local(fut);
    }

    fn now(&self) -> f64 {
        js_sys::Date::now()
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: u32) -> JsValue;
}
