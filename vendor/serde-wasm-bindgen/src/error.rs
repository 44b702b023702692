use wasm_bindgen::prelude::*;

/// A newtype that represents Serde errors as JavaScript exceptions.
#[derive(Debug)]
pub struct Error(JsValue);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        #[wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_name = String)]
            pub fn to_string(value: &JsValue) -> String;
        }

        to_string(&self.0).fmt(f)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Creates a JavaScript `Error` with a given message.
    pub fn new<T: std::fmt::Display>(msg: T) -> Self {
        Error(JsError::new(&msg.to_string()).into())
    }
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::new(msg)
    }
}

// frontegg-auth-wasm: serde's default messages for these format the unexpected value, which pulls
// float formatting and every visitor's `expecting` text into the wasm (7 KB gzip of a browser
// SDK that never shows these messages). A fixed message per kind keeps the binary small.
impl serde::de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::new(msg)
    }

    fn invalid_type(_: serde::de::Unexpected, _: &dyn serde::de::Expected) -> Self {
        Error::new("invalid type")
    }

    fn invalid_value(_: serde::de::Unexpected, _: &dyn serde::de::Expected) -> Self {
        Error::new("invalid value")
    }

    fn invalid_length(_: usize, _: &dyn serde::de::Expected) -> Self {
        Error::new("invalid length")
    }

    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Error::new("unknown variant")
    }

    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Error::new("unknown field")
    }

    fn missing_field(_: &'static str) -> Self {
        Error::new("missing field")
    }

    fn duplicate_field(_: &'static str) -> Self {
        Error::new("duplicate field")
    }
}

/// This conversion is needed for `?` to just work when using wasm-bindgen
/// imports that return JavaScript exceptions as `Result<T, JsValue>`.
impl From<JsValue> for Error {
    fn from(error: JsValue) -> Error {
        Error(error)
    }
}

// This conversion is needed for `?` to just work in wasm-bindgen exports
// that return `Result<T, JsValue>` to throw JavaScript exceptions.
impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        error.0
    }
}
