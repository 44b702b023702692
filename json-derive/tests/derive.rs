//! The derives against a mock of the SDK's `crate::core::json`, which the generated code names.

mod core {
    /// A minimal stand-in with the SDK's signatures; only what the derives and tests need.
    pub mod json {
        pub type Number = f64;

        #[derive(Debug, Clone, PartialEq)]
        pub enum Value {
            Null,
            Bool(bool),
            Number(Number),
            String(String),
            Array(Vec<Value>),
            Object(Map),
        }

        #[derive(Debug, Clone, PartialEq)]
        pub struct Map(pub Vec<(String, Value)>);

        impl Map {
            pub fn get(&self, key: &str) -> Option<&Value> {
                self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
        }

        impl Value {
            pub fn as_object(&self) -> Option<&Map> {
                match self {
                    Value::Object(m) => Some(m),
                    _ => None,
                }
            }
            pub fn as_str(&self) -> Option<&str> {
                match self {
                    Value::String(s) => Some(s),
                    _ => None,
                }
            }
            pub fn is_null(&self) -> bool {
                matches!(self, Value::Null)
            }
        }

        pub trait FromJson: Sized {
            fn from_json(value: &Value) -> Option<Self>;
            fn missing() -> Option<Self> {
                None
            }
        }

        pub trait ToJson {
            fn write_json(&self, out: &mut String);
        }

        impl FromJson for String {
            fn from_json(value: &Value) -> Option<Self> {
                value.as_str().map(str::to_owned)
            }
        }
        impl ToJson for String {
            fn write_json(&self, out: &mut String) {
                write_str(out, self)
            }
        }
        impl ToJson for str {
            fn write_json(&self, out: &mut String) {
                write_str(out, self)
            }
        }
        impl<T: ToJson + ?Sized> ToJson for &T {
            fn write_json(&self, out: &mut String) {
                (**self).write_json(out)
            }
        }
        impl FromJson for bool {
            fn from_json(value: &Value) -> Option<Self> {
                match value {
                    Value::Bool(b) => Some(*b),
                    _ => None,
                }
            }
        }
        impl ToJson for bool {
            fn write_json(&self, out: &mut String) {
                out.push_str(if *self { "true" } else { "false" })
            }
        }
        macro_rules! number {
            ($($t:ty),*) => {$(
                impl FromJson for $t {
                    fn from_json(value: &Value) -> Option<Self> {
                        match value {
                            Value::Number(n) if (*n as $t) as f64 == *n => Some(*n as $t),
                            _ => None,
                        }
                    }
                }
                impl ToJson for $t {
                    fn write_json(&self, out: &mut String) {
                        out.push_str(&self.to_string())
                    }
                }
            )*};
        }
        number!(f64, u8, u32, u64, i64);

        impl<T: FromJson> FromJson for Option<T> {
            fn from_json(value: &Value) -> Option<Self> {
                if value.is_null() {
                    Some(None)
                } else {
                    T::from_json(value).map(Some)
                }
            }
            fn missing() -> Option<Self> {
                Some(None)
            }
        }
        impl<T: ToJson> ToJson for Option<T> {
            fn write_json(&self, out: &mut String) {
                match self {
                    Some(v) => v.write_json(out),
                    None => out.push_str("null"),
                }
            }
        }
        impl<T: FromJson> FromJson for Vec<T> {
            fn from_json(value: &Value) -> Option<Self> {
                match value {
                    Value::Array(items) => items.iter().map(T::from_json).collect(),
                    _ => None,
                }
            }
        }
        impl<T: ToJson> ToJson for Vec<T> {
            fn write_json(&self, out: &mut String) {
                out.push('[');
                for (i, v) in self.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
        }
        impl FromJson for Value {
            fn from_json(value: &Value) -> Option<Self> {
                Some(value.clone())
            }
        }
        impl ToJson for Value {
            fn write_json(&self, out: &mut String) {
                match self {
                    Value::Null => out.push_str("null"),
                    Value::Bool(b) => b.write_json(out),
                    Value::Number(n) => n.write_json(out),
                    Value::String(s) => write_str(out, s),
                    Value::Array(items) => items.write_json(out),
                    Value::Object(map) => {
                        let mut first = true;
                        out.push('{');
                        for (k, v) in &map.0 {
                            if !first {
                                out.push(',');
                            }
                            first = false;
                            write_str(out, k);
                            out.push(':');
                            v.write_json(out);
                        }
                        out.push('}');
                    }
                }
            }
        }

        fn lookup<'a>(obj: &'a Map, keys: &[&str]) -> Option<&'a Value> {
            keys.iter().find_map(|k| obj.get(k))
        }
        pub fn field<T: FromJson>(obj: &Map, keys: &[&str]) -> Option<T> {
            match lookup(obj, keys) {
                Some(v) => T::from_json(v),
                None => T::missing(),
            }
        }
        pub fn field_or_default<T: FromJson + Default>(obj: &Map, keys: &[&str]) -> Option<T> {
            match lookup(obj, keys) {
                Some(v) => T::from_json(v),
                None => Some(T::default()),
            }
        }
        pub fn field_nullable<T: FromJson + Default>(obj: &Map, keys: &[&str]) -> Option<T> {
            match lookup(obj, keys) {
                Some(v) if !v.is_null() => T::from_json(v),
                _ => Some(T::default()),
            }
        }
        pub fn write_field<T: ToJson + ?Sized>(
            out: &mut String,
            first: &mut bool,
            key: &str,
            value: &T,
        ) {
            if !*first {
                out.push(',');
            }
            *first = false;
            out.push('"');
            out.push_str(key);
            out.push_str("\":");
            value.write_json(out);
        }
        pub fn write_str(out: &mut String, s: &str) {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
    }
}

use crate::core::json::{FromJson, Map, ToJson, Value};
use json_derive::{FromJson, ToJson};

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(Map(pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()))
}
fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}
fn text<T: ToJson>(value: &T) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// A user profile; the doc comment and the other attributes are not the derive's business.
#[derive(Debug, PartialEq, Default, FromJson, ToJson)]
#[json(rename_all = "camelCase")]
#[allow(dead_code)]
struct Profile {
    user_id: String,
    #[json(default)]
    login_count: u32,
    #[json(nullable)]
    roles: Vec<String>,
    #[json(alias = "access_token", alias = "token")]
    access_token: String,
    #[json(rename = "recoveryCode", skip_serializing_if = "Option::is_none")]
    recovery: Option<String>,
    #[json(default, skip_serializing_if = "Vec::is_empty")]
    tenant_ids: Vec<String>,
    #[json(skip)]
    cached: u64,
    r#type: Option<u8>,
}

#[derive(Debug, PartialEq, FromJson, ToJson)]
#[json(transparent)]
struct Secret(String);

#[derive(Debug, PartialEq, FromJson, ToJson)]
#[json(transparent)]
struct MaybeSecret {
    inner: Option<String>,
}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct SmsCode<'a> {
    otc_token: &'a str,
    code: &'a str,
}

#[derive(Debug, PartialEq, FromJson, ToJson)]
#[json(tag = "status", rename_all = "snake_case")]
enum Login {
    /// Signed in.
    Authenticated {
        user_id: String,
        #[json(rename = "mfaToken", skip_serializing_if = "Option::is_none")]
        mfa_token: Option<String>,
        #[json(skip)]
        seen: bool,
        out: u8,
    },
    MfaRequired {
        first: String,
    },
    AccountDisabled,
}

#[derive(Debug, PartialEq, FromJson, ToJson)]
#[json(rename_all = "camelCase")]
enum Method {
    Password,
    MagicLink,
    #[json(rename = "sms-code")]
    SmsCode,
}

#[test]
fn struct_writes_renamed_and_skipped_fields() {
    let profile = Profile {
        user_id: "u\"1".into(),
        login_count: 3,
        roles: vec!["admin".into()],
        access_token: "t".into(),
        recovery: None,
        tenant_ids: Vec::new(),
        cached: 9,
        r#type: Some(2),
    };
    assert_eq!(
        text(&profile),
        r#"{"userId":"u\"1","loginCount":3,"roles":["admin"],"accessToken":"t","type":2}"#
    );
    let full = Profile {
        recovery: Some("r".into()),
        tenant_ids: vec!["a".into()],
        ..profile
    };
    assert_eq!(
        text(&full),
        r#"{"userId":"u\"1","loginCount":3,"roles":["admin"],"accessToken":"t","recoveryCode":"r","tenantIds":["a"],"type":2}"#
    );
}

#[test]
fn struct_reads_defaults_aliases_and_round_trips() {
    let minimal = obj(&[
        ("userId", s("u")),
        ("token", s("t")),
        ("extra", Value::Bool(true)),
    ]);
    assert_eq!(
        Profile::from_json(&minimal),
        Some(Profile {
            user_id: "u".into(),
            access_token: "t".into(),
            ..Profile::default()
        })
    );
    // The key itself wins over aliases.
    let both = obj(&[
        ("userId", s("u")),
        ("access_token", s("alias")),
        ("accessToken", s("key")),
    ]);
    assert_eq!(Profile::from_json(&both).unwrap().access_token, "key");

    let profile = Profile {
        user_id: "u".into(),
        login_count: 7,
        roles: vec!["a".into(), "b".into()],
        access_token: "t".into(),
        recovery: Some("r".into()),
        tenant_ids: vec!["x".into()],
        cached: 0,
        r#type: None,
    };
    let value = obj(&[
        ("userId", s("u")),
        ("loginCount", Value::Number(7.0)),
        ("roles", Value::Array(vec![s("a"), s("b")])),
        ("accessToken", s("t")),
        ("recoveryCode", s("r")),
        ("tenantIds", Value::Array(vec![s("x")])),
        ("type", Value::Null),
    ]);
    // Writes the same object it reads (`type` has no skip_serializing_if, so null stays).
    assert_eq!(text(&profile), text(&value));
    assert_eq!(Profile::from_json(&value), Some(profile));
}

#[test]
fn struct_rejects_missing_required_and_null_default() {
    assert_eq!(Profile::from_json(&obj(&[("token", s("t"))])), None);
    assert_eq!(Profile::from_json(&s("not an object")), None);
    let base = [("userId", s("u")), ("accessToken", s("t"))];
    let with = |extra: (&str, Value)| {
        let mut pairs = base.to_vec();
        pairs.push(extra);
        Profile::from_json(&obj(&pairs))
    };
    // `default` covers absence only; a null u32 is a type error.
    assert_eq!(with(("loginCount", Value::Null)), None);
    // `nullable` reads null as the default.
    assert_eq!(
        with(("roles", Value::Null)).unwrap().roles,
        Vec::<String>::new()
    );
    assert_eq!(with(("roles", s("wrong"))), None);
}

#[test]
fn transparent_delegates_both_ways() {
    assert_eq!(Secret::from_json(&s("k")), Some(Secret("k".into())));
    assert_eq!(Secret::from_json(&Value::Bool(true)), None);
    assert_eq!(text(&Secret("k\n".into())), r#""k\n""#);
    assert_eq!(Secret::missing(), None);
    assert_eq!(MaybeSecret::missing(), Some(MaybeSecret { inner: None }));
    assert_eq!(text(&MaybeSecret { inner: None }), "null");
    assert_eq!(
        MaybeSecret::from_json(&s("k")),
        Some(MaybeSecret {
            inner: Some("k".into())
        })
    );
}

#[test]
fn borrowed_struct_writes() {
    let code = String::from("123456");
    assert_eq!(
        text(&SmsCode {
            otc_token: "o",
            code: &code
        }),
        r#"{"otcToken":"o","code":"123456"}"#
    );
}

#[test]
fn tagged_enum_round_trips() {
    let cases = [
        (
            Login::Authenticated {
                user_id: "u".into(),
                mfa_token: None,
                seen: false,
                out: 1,
            },
            r#"{"status":"authenticated","user_id":"u","out":1}"#,
        ),
        (
            Login::Authenticated {
                user_id: "u".into(),
                mfa_token: Some("m".into()),
                seen: false,
                out: 1,
            },
            r#"{"status":"authenticated","user_id":"u","mfaToken":"m","out":1}"#,
        ),
        (
            Login::MfaRequired { first: "f".into() },
            r#"{"status":"mfa_required","first":"f"}"#,
        ),
        (Login::AccountDisabled, r#"{"status":"account_disabled"}"#),
    ];
    for (login, expected) in cases {
        assert_eq!(text(&login), expected);
    }

    let read = obj(&[
        ("out", Value::Number(1.0)),
        ("status", s("authenticated")),
        ("mfaToken", s("m")),
        ("user_id", s("u")),
    ]);
    assert_eq!(
        Login::from_json(&read),
        Some(Login::Authenticated {
            user_id: "u".into(),
            mfa_token: Some("m".into()),
            seen: false,
            out: 1
        })
    );
    assert_eq!(
        Login::from_json(&obj(&[("status", s("account_disabled"))])),
        Some(Login::AccountDisabled)
    );
    assert_eq!(
        Login::from_json(&obj(&[("status", s("mfa_required")), ("first", s("f"))])),
        Some(Login::MfaRequired { first: "f".into() })
    );
    // Unknown tag, missing tag, missing required field.
    assert_eq!(Login::from_json(&obj(&[("status", s("nope"))])), None);
    assert_eq!(Login::from_json(&obj(&[("first", s("f"))])), None);
    assert_eq!(
        Login::from_json(&obj(&[("status", s("mfa_required"))])),
        None
    );
}

#[test]
fn unit_enum_is_a_string() {
    for (method, name) in [
        (Method::Password, "password"),
        (Method::MagicLink, "magicLink"),
        (Method::SmsCode, "sms-code"),
    ] {
        assert_eq!(text(&method), format!("\"{name}\""));
        assert_eq!(Method::from_json(&s(name)), Some(method));
    }
    assert_eq!(Method::from_json(&s("MagicLink")), None);
    assert_eq!(Method::from_json(&Value::Null), None);
}
