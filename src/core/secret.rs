//! Secrets (passwords, access and refresh tokens, API secrets) in a type that never shows them
//! by accident: its `Debug` prints no part of the value, and it has no `Display`. The value is
//! read only where it is sent or handed to the app ([`Secret::expose`]).

use std::fmt;

use crate::core::json::{FromJson, ToJson};

/// A secret string. Serialises as the plain string: that is how it travels to the host and to
/// the app, on purpose.
#[derive(Clone, Default, PartialEq, Eq, ToJson, FromJson)]
#[json(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends or returns it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_nothing_of_the_value() {
        let s = Secret::new("rt-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret(..))");
        assert_eq!(crate::core::json::to_string(&s), r#""rt-very-secret""#);
        let back: Secret = crate::core::json::from_str(r#""x""#).unwrap();
        assert_eq!(back.expose(), "x");
    }
}
