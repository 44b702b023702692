//! Reading caller arguments (JS objects, seen as JSON) with errors that name the field, so
//! every method rejects bad input with `invalid_input` before any request is made.

use crate::core::json::{Map, Value};

use crate::core::error::{Error, Result};

/// The fields of one argument object, read one by one; [`Fields::finish`] rejects leftovers.
pub struct Fields<'a> {
    what: &'a str,
    obj: &'a Map,
    known: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    /// `what` names the argument in messages, e.g. "login".
    pub fn new(what: &'a str, value: &'a Value) -> Result<Self> {
        match value {
            Value::Object(obj) => Ok(Self {
                what,
                obj,
                known: Vec::new(),
            }),
            _ => Err(Error::invalid_input(format!(
                "{what} needs an object argument."
            ))),
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known.push(key);
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// An optional string; empty or blank strings are rejected, since they are never meant.
    pub fn opt_str(&mut self, key: &'static str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(Error::invalid_input(format!(
                "{}: `{key}` must not be empty.",
                self.what
            ))),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::invalid_input(format!(
                "{}: `{key}` must be a string.",
                self.what
            ))),
        }
    }

    /// A required, non-empty string.
    pub fn req_str(&mut self, key: &'static str) -> Result<&'a str> {
        self.opt_str(key)?
            .ok_or_else(|| Error::invalid_input(format!("{}: `{key}` is required.", self.what)))
    }

    /// A required code or token typed by a person: spaces are dropped (codes are often pasted
    /// as "123 456").
    pub fn req_code(&mut self, key: &'static str) -> Result<String> {
        Ok(self
            .req_str(key)?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect())
    }

    /// An optional id that goes into a URL path: only letters, digits, `-` and `_`, so it can't
    /// change the path (`../`, `?`, `#`).
    pub fn opt_id(&mut self, key: &'static str) -> Result<Option<&'a str>> {
        match self.opt_str(key)? {
            Some(id)
                if !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                Err(Error::invalid_input(format!(
                    "{}: `{key}` is not a valid id.",
                    self.what
                )))
            }
            other => Ok(other),
        }
    }

    /// A required id that goes into a URL path (see [`Fields::opt_id`]).
    pub fn req_id(&mut self, key: &'static str) -> Result<&'a str> {
        self.opt_id(key)?
            .ok_or_else(|| Error::invalid_input(format!("{}: `{key}` is required.", self.what)))
    }

    /// Marks `key` as known when the caller reads it some other way (a field of any JSON type).
    pub fn skip(&mut self, key: &'static str) {
        self.known.push(key);
    }

    /// The argument's name, for messages.
    pub fn what(&self) -> &str {
        self.what
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, key: &'static str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Error::invalid_input(format!(
                "{}: `{key}` must be a boolean.",
                self.what
            ))),
        }
    }

    /// An optional whole number within `min..=max`.
    pub fn opt_u32(&mut self, key: &'static str, min: u32, max: u32) -> Result<Option<u32>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match Some(n.as_f64()) {
                Some(v) if v.fract() == 0.0 && v >= f64::from(min) && v <= f64::from(max) => {
                    Ok(Some(v as u32))
                }
                _ => Err(Error::invalid_input(format!(
                    "{}: `{key}` must be a whole number from {min} to {max}.",
                    self.what
                ))),
            },
            Some(_) => Err(Error::invalid_input(format!(
                "{}: `{key}` must be a number.",
                self.what
            ))),
        }
    }

    /// Rejects any field that was not read, which catches typos such as `pasword`.
    pub fn finish(self) -> Result<()> {
        match self.obj.keys().find(|k| !self.known.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(Error::invalid_input(format!(
                "{}: unknown field `{k}`; expected one of {}.",
                self.what,
                self.known.join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::json;

    #[test]
    fn reads_and_rejects() {
        let v = json!({ "a": "x", "b": true, "n": 3 });
        let mut f = Fields::new("t", &v).unwrap();
        assert_eq!(f.req_str("a").unwrap(), "x");
        assert_eq!(f.opt_bool("b").unwrap(), Some(true));
        assert_eq!(f.opt_u32("n", 0, 5).unwrap(), Some(3));
        assert_eq!(f.opt_str("missing").unwrap(), None);
        f.finish().unwrap();

        let v = json!({ "a": "x", "typo": 1 });
        let mut f = Fields::new("t", &v).unwrap();
        f.req_str("a").unwrap();
        assert!(f
            .finish()
            .unwrap_err()
            .message
            .contains("unknown field `typo`"));

        assert!(Fields::new("t", &json!("str")).is_err());
        let v = json!({ "a": " ", "n": 1.5 });
        let mut f = Fields::new("t", &v).unwrap();
        assert!(f
            .req_str("a")
            .unwrap_err()
            .message
            .contains("must not be empty"));
        assert!(f.opt_u32("n", 0, 5).is_err());
    }
}
