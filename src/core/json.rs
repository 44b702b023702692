//! JSON text in and out, without serde: a small reader into [`Value`], typed views of it through
//! [`FromJson`], and a writer through [`ToJson`]; both traits are derived by `json-derive`.
//!
//! Why our own: every serde-derived type costs its visitor, field enum and error paths once per
//! format, and the browser build read answers through `JSON.parse` plus serde-wasm-bindgen and
//! wrote them through serde_json. The same types read from a tree with one call per field are
//! several times smaller (docs/size.md has the numbers). serde_json stays the oracle: the tests
//! and the `json_limits` fuzz target hold this reader to it. `verifyAccessToken` (server builds
//! only) keeps its serde readers, tuned for speed ([`crate::core::verify`]).

use std::fmt;

pub use json_derive::{FromJson, ToJson};

/// The largest JSON text the SDK reads: an answer, a token's parts, a stored snapshot, a
/// caller's argument. The largest real answer (a user's sessions or tenants) is a few KB.
pub const MAX_BYTES: usize = 1 << 20;

/// The deepest nesting of arrays and objects the SDK reads; real answers nest about five deep.
pub const MAX_DEPTH: usize = 64;

/// A JSON value. Objects keep their keys in the order they came, like the JS runtime's.
#[derive(Clone, Default, PartialEq)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// A JSON number: its value, and the text it was read from, written back as it came so that no
/// float formatting ships in the wasm for numbers passed through.
#[derive(Clone, Debug)]
pub struct Number {
    value: f64,
    text: Option<Box<str>>,
}

impl Number {
    /// The value.
    pub fn as_f64(&self) -> f64 {
        self.value
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl From<f64> for Number {
    fn from(value: f64) -> Self {
        Self { value, text: None }
    }
}

/// An object's members in the order they came; a repeated key keeps its last value, as
/// `JSON.parse` does. Objects here have a handful of keys, so a scan beats hashing.
#[derive(Clone)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

/// Equal when the members are, in any order (keys are unique), as JSON objects compare.
impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Default for Map {
    fn default() -> Self {
        Self::new()
    }
}

impl Map {
    /// An empty object.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is there.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` (in its old place if it was there); the old value, if any.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.get_mut(&key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Takes `key` out.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// Keeps the members `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut map = Self::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.value),
            _ => None,
        }
    }

    /// The number, if this is a whole one that fits.
    pub fn as_i64(&self) -> Option<i64> {
        let n = self.as_f64()?;
        (n.fract() == 0.0 && n.abs() <= MAX_SAFE).then_some(n as i64)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The members, to change, if this is an object.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    /// Whether this is `true` or `false`.
    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Member `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// Member `key`, to change, if this is an object that has it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.as_object_mut()?.get_mut(key)
    }
}

/// `{ key: value }`: a lone argument read with [`crate::core::input::Fields`] like a member.
pub fn single(key: &str, value: Value) -> Value {
    Value::Object(Map {
        entries: vec![(key.to_owned(), value)],
    })
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n.into())
    }
}

/// Whole numbers, as the JSON numbers they are.
macro_rules! from_whole {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                // Whole numbers the SDK makes (timeouts, counts) are far below 2^53.
                Value::Number((n as f64).into())
            }
        }
    )*};
}

from_whole!(i64);
// The other widths, for tests comparing values with plain numbers.
#[cfg(test)]
from_whole!(i32, u32, u64);

impl From<Map> for Value {
    fn from(o: Map) -> Self {
        Value::Object(o)
    }
}

/// Debug output without the values: a value may hold a token or a password.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Value::Null => "null",
            Value::Bool(_) => "<bool>",
            Value::Number(_) => "<number>",
            Value::String(_) => "<string>",
            Value::Array(_) => "<array>",
            Value::Object(_) => "<object>",
        })
    }
}

/// The JSON text, as serde_json's `Value` displays.
#[cfg(test)]
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_string(self))
    }
}

/// `value["key"]`: the member, or `null` when there is none (serde_json's rule).
#[cfg(test)]
impl std::ops::Index<&str> for Value {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&Value::Null)
    }
}

/// `value["key"] = …` in tests: sets the member of an object (`null` becomes `{}`).
#[cfg(test)]
impl std::ops::IndexMut<&str> for Value {
    fn index_mut(&mut self, key: &str) -> &mut Value {
        if self.is_null() {
            *self = Value::Object(Map::new());
        }
        let Value::Object(map) = self else {
            // Only tests index into values they built; a non-object there is their bug.
            unreachable!("indexing into a non-object");
        };
        if !map.contains_key(key) {
            map.insert(key.to_owned(), Value::Null);
        }
        map.get_mut(key).unwrap_or_else(|| unreachable!())
    }
}

/// Comparisons with plain values, as serde_json's `Value` has them.
#[cfg(test)]
macro_rules! eq_plain {
    ($($t:ty => $v:ident => $e:expr),*) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, $v: &$t) -> bool {
                *self == $e
            }
        }
    )*};
}

#[cfg(test)]
eq_plain!(
    &str => other => Value::from(*other),
    str => other => Value::from(other),
    String => other => Value::from(other.as_str()),
    bool => other => Value::Bool(*other),
    f64 => other => Value::from(*other),
    i32 => other => Value::from(*other),
    i64 => other => Value::from(*other),
    u32 => other => Value::from(*other),
    u64 => other => Value::from(*other)
);

/// `map["key"]`: the member, or `null` when there is none.
#[cfg(test)]
impl std::ops::Index<&str> for Map {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&Value::Null)
    }
}

/// `value[i]`: the item, or `null` when there is none.
#[cfg(test)]
impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        self.as_array()
            .and_then(|a| a.get(i))
            .unwrap_or(&Value::Null)
    }
}

/// Tests build values with serde_json's `json!`, which may hold ours.
#[cfg(test)]
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = serde_json::from_str(&to_string(self)).expect("valid JSON");
        value.serialize(s)
    }
}

/// Debug output without the values, as for [`Value`].
impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys()).finish()
    }
}

/// The largest integer a double holds exactly (2^53 − 1).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Reads `text` as a [`Value`]; `None` for malformed text or text beyond [`MAX_BYTES`] or
/// [`MAX_DEPTH`]. What it takes is exactly what serde_json takes, with duplicate keys resolved
/// as `JSON.parse` does (the last one wins).
pub fn parse(text: &str) -> Option<Value> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let mut reader = Reader {
        text,
        at: 0,
        depth: 0,
    };
    let value = reader.value()?;
    reader.space();
    (reader.at == text.len()).then_some(value)
}

/// Parses `text` into `T`; `None` for malformed text, a shape that doesn't fit, or a text
/// beyond the limits.
pub fn from_str<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&parse(text)?)
}

/// `value` as JSON text.
pub fn to_string<T: ToJson + ?Sized>(value: &T) -> String {
    // Room for a typical answer up front, rather than doubling from nothing.
    let mut out = String::with_capacity(1024);
    value.write_json(&mut out);
    out
}

/// A recursive-descent reader. Depth is counted on the way in, so nesting beyond
/// [`MAX_DEPTH`] is refused before it can exhaust the stack.
struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    // Inlined despite opt-level "z": called per byte, a call each was most of a read's time.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.space();
        let yes = self.peek() == Some(byte);
        self.at += usize::from(yes);
        yes
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Option<Value> {
        let end = self.at + word.len();
        (self.bytes().get(self.at..end)? == word).then(|| {
            self.at = end;
            value
        })
    }

    fn value(&mut self) -> Option<Value> {
        self.space();
        match self.peek()? {
            b'n' => self.literal(b"null", Value::Null),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' | b'{' => self.nested(),
            _ => self.number(),
        }
    }

    fn nested(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let object = self.peek() == Some(b'{');
        self.at += 1;
        let value = if object {
            self.object().map(Value::Object)
        } else {
            self.array().map(Value::Array)
        };
        self.depth -= 1;
        value
    }

    /// After `[`: the items and the closing `]`.
    fn array(&mut self) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        if self.eat(b']') {
            return Some(items);
        }
        loop {
            items.push(self.value()?);
            if self.eat(b']') {
                return Some(items);
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// After `{`: the members and the closing `}`.
    fn object(&mut self) -> Option<Map> {
        let mut members = Map::new();
        // Keys seen, one bit per (length, first byte) hash: a repeated key is rare, so most
        // members are added without comparing their key with every other.
        let mut seen = 0u64;
        if self.eat(b'}') {
            return Some(members);
        }
        loop {
            self.space();
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            let value = self.value()?;
            let bit =
                1u64 << ((key.len() * 31 + usize::from(key.bytes().next().unwrap_or(0))) % 64);
            if seen & bit == 0 {
                members.entries.push((key, value));
            } else {
                members.insert(key, value);
            }
            seen |= bit;
            if self.eat(b'}') {
                return Some(members);
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    /// JSON's number grammar checked here; the value comes from core's exact `f64` parser.
    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        self.at += usize::from(self.peek() == Some(b'-'));
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        // Only ASCII was consumed, so the slice is on character boundaries.
        let text = self.text.get(start..self.at)?;
        let value = whole_number(text).or_else(|| float_from_str(text))?;
        // serde_json refuses what overflows a double; so do we.
        value.is_finite().then(|| {
            Value::Number(Number {
                value,
                text: Some(text.into()),
            })
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes().get(self.at..self.at + 4)?;
        self.at += 4;
        digits
            .iter()
            .try_fold(0, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
    }

    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            let rest = self.bytes().get(start..)?;
            self.at += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            // Runs end at ASCII bytes, so they are whole characters of the `str`: no copy
            // through bytes and no second UTF-8 check.
            out.push_str(self.text.get(start..self.at)?);
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.at += 1;
                    let escape = self.peek()?;
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return None,
                    };
                    out.push(c);
                }
                // A raw control character: not allowed inside a JSON string.
                _ => return None,
            }
        }
    }

    /// A `\u` escape, surrogate pairs joined; a lone surrogate is refused (serde_json does too).
    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes().get(self.at..self.at + 2)? != b"\\u" {
                return None;
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            return char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        }
        char::from_u32(first)
    }
}

/// A whole number of at most 15 digits (every one a double holds exactly): read here, which
/// is most numbers the SDK sees (times, counts, codes).
fn whole_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits
        .bytes()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')) as f64;
    Some(if digits.len() < text.len() { -n } else { n })
}

/// Any other JSON number, correctly rounded: core's parser natively; in wasm the runtime's
/// `Number()` ([`crate::wasm::codec`]), which keeps core's 10 KB of tables out of the download.
#[cfg(not(target_arch = "wasm32"))]
fn float_from_str(text: &str) -> Option<f64> {
    text.parse().ok()
}

#[cfg(target_arch = "wasm32")]
use crate::wasm::codec::float_from_str;

/// The shortest text that reads back as `n` (finite, not whole): ryu natively; in wasm the
/// runtime's `String()`, which gives the same value without ryu's tables.
#[cfg(not(target_arch = "wasm32"))]
fn float_to_str(n: f64, out: &mut String) {
    out.push_str(ryu::Buffer::new().format_finite(n));
}

#[cfg(target_arch = "wasm32")]
use crate::wasm::codec::float_to_str;

/// Whether `text` is at most [`MAX_BYTES`] long and nests arrays and objects at most
/// [`MAX_DEPTH`] deep: the check that runs before serde's readers (server builds' token
/// checks) and before a caller's argument is read. No allocation.
pub fn within_limits(text: &str) -> bool {
    if text.len() > MAX_BYTES {
        return false;
    }
    // Nesting can't be deeper than the brackets that open it: most texts (a token's claims,
    // a call's arguments) have too few to need the scan below, and counting them is a loop
    // without branches, several times quicker per byte.
    let opening = text.bytes().filter(|&b| b == b'[' || b == b'{').count();
    if opening <= MAX_DEPTH {
        return true;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Parses `text` with serde: the token checks of server builds ([`crate::core::verify`]), whose
/// readers are tuned serde visitors. Natively serde_json; in wasm the runtime's `JSON.parse`
/// typed by serde-wasm-bindgen ([`crate::wasm::codec`]). `None` beyond [`within_limits`].
pub fn serde_from_str<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    if !within_limits(text) {
        return None;
    }
    serde_parse(text)
}

#[cfg(not(target_arch = "wasm32"))]
fn serde_parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

#[cfg(target_arch = "wasm32")]
use crate::wasm::codec::json_from_str as serde_parse;

/// `json!` for tests: serde_json's macro, read back as a [`Value`].
#[cfg(test)]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::core::json::from_serde(&serde_json::json!($($t)+))
    };
}
#[cfg(test)]
pub(crate) use json;

/// A serde_json value as ours, for tests that hold the SDK to serde models.
#[cfg(test)]
pub fn from_serde(value: &serde_json::Value) -> Value {
    parse(&value.to_string()).expect("serde_json writes valid JSON")
}

/// Ours as a serde_json value, for tests that read it with serde models.
#[cfg(test)]
pub fn to_serde(value: &Value) -> serde_json::Value {
    serde_json::from_str(&to_string(value)).expect("we write valid JSON")
}

/// `value` as a [`Value`], for tests that look into what would be written.
#[cfg(test)]
pub fn to_value<T: ToJson + ?Sized>(value: &T) -> Value {
    parse(&to_string(value)).expect("we write valid JSON")
}

/// A type read from a [`Value`]; derived with `#[derive(FromJson)]`.
pub trait FromJson: Sized {
    /// Reads `value`; `None` if it doesn't fit.
    fn from_json(value: &Value) -> Option<Self>;

    /// What an absent field reads as; `None` makes the field required.
    fn missing() -> Option<Self> {
        None
    }
}

/// A type written as JSON text; derived with `#[derive(ToJson)]`.
pub trait ToJson {
    /// Appends this value's JSON text to `out`.
    fn write_json(&self, out: &mut String);
}

/// Reads field `keys[0]` of `obj` (or the first of its aliases, `keys[1..]`, that is there) as
/// `T`; an absent field reads as [`FromJson::missing`].
pub fn field<T: FromJson>(obj: &Map, keys: &[&str]) -> Option<T> {
    match lookup(obj, keys) {
        Some(v) => T::from_json(v),
        None => T::missing(),
    }
}

/// Like [`field`], but an absent field reads as `T::default()` (`#[json(default)]`).
pub fn field_or_default<T: FromJson + Default>(obj: &Map, keys: &[&str]) -> Option<T> {
    match lookup(obj, keys) {
        Some(v) => T::from_json(v),
        None => Some(T::default()),
    }
}

/// Like [`field`], but an absent or `null` field reads as `T::default()` (`#[json(nullable)]`:
/// the host sends `null` for empty lists).
pub fn field_nullable<T: FromJson + Default>(obj: &Map, keys: &[&str]) -> Option<T> {
    match lookup(obj, keys) {
        Some(Value::Null) | None => Some(T::default()),
        Some(v) => T::from_json(v),
    }
}

/// The first of `keys` that `obj` has. Not generic and not inlined: the field readers, one per
/// field type, share it.
#[inline(never)]
fn lookup<'a>(obj: &'a Map, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| obj.get(k))
}

/// Writes `"key":value` into an object being written, with a comma unless it is the first.
pub fn write_field<T: ToJson + ?Sized>(out: &mut String, first: &mut bool, key: &str, value: &T) {
    write_key(out, first, key);
    value.write_json(out);
}

/// `,"key":` (no comma before the first); shared by every [`write_field`].
#[inline(never)]
fn write_key(out: &mut String, first: &mut bool, key: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    write_str(out, key);
    out.push(':');
}

/// Writes `s` as a JSON string.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is an ASCII byte's position, so both ends are character boundaries.
        out.push_str(s.get(start..i).unwrap_or_default());
        start = i + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            out.extend([b >> 4, b & 15].map(|d| char::from_digit(u32::from(d), 16).unwrap_or('0')));
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Writes a number: whole numbers as integers, others in the shortest form that reads back the
/// same ([`float_to_str`]), and what JSON can't hold (NaN, infinities) as `null`, as `JSON.stringify` does.
fn write_f64(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push_str("null");
    } else if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
        write_int(out, n as i64);
    } else {
        float_to_str(n, out);
    }
}

/// Writes a whole number without `core::fmt`.
fn write_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    // Least significant first, on the stack; a u64 has at most 20 digits.
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n.unsigned_abs();
    for slot in &mut digits {
        *slot = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits.iter().take(len).rev().map(|&d| char::from(d)));
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
            Value::Number(n) => match &n.text {
                Some(text) => out.push_str(text),
                None => write_f64(out, n.value),
            },
            Value::String(s) => write_str(out, s),
            Value::Array(items) => items.write_json(out),
            Value::Object(members) => members.write_json(out),
        }
    }
}

impl FromJson for Map {
    fn from_json(value: &Value) -> Option<Self> {
        value.as_object().cloned()
    }
}

impl ToJson for Map {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        let mut first = true;
        for (k, v) in &self.entries {
            write_field(out, &mut first, k, v);
        }
        out.push('}');
    }
}

impl FromJson for String {
    fn from_json(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

/// Nothing to say: `null`, as serde writes `()`.
impl ToJson for () {
    fn write_json(&self, out: &mut String) {
        out.push_str("null");
    }
}

impl FromJson for bool {
    fn from_json(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl FromJson for f64 {
    fn from_json(value: &Value) -> Option<Self> {
        value.as_f64()
    }
}

impl ToJson for f64 {
    fn write_json(&self, out: &mut String) {
        write_f64(out, *self);
    }
}

/// Whole numbers: a number that is whole and in range, as serde reads them.
macro_rules! whole {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: &Value) -> Option<Self> {
                <$t>::try_from(value.as_i64()?).ok()
            }
        }

        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                write_int(out, i64::from(*self));
            }
        }
    )*};
}

whole!(u8, u16, u32, i32, i64);

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            v => T::from_json(v).map(Some),
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
        // A plain loop: `collect` into `Option<Vec<_>>` costs a kilobyte per item type.
        let items = value.as_array()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(T::from_json(item)?);
        }
        Some(out)
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    /// What serde_json makes of `text`, written by serde_json; the oracle for this reader.
    fn oracle(text: &str) -> Option<serde_json::Value> {
        serde_json::from_str(text).ok()
    }

    /// What this reader makes of `text`, as serde_json sees our written form.
    fn ours(text: &str) -> Option<serde_json::Value> {
        let value = parse(text)?;
        Some(serde_json::from_str(&to_string(&value)).expect("we write valid JSON"))
    }

    #[test]
    fn reads_and_writes_what_serde_json_does() {
        for text in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}}"#,
            " [ 1 , -0 , 0.5 , 1e3 , 1E+2 , -1.25e-3 , 123456789012345678 ] ",
            r#""\u0000\u001f""#,
            "{}",
            "[]",
            "0",
        ] {
            assert_eq!(ours(text), oracle(text), "{text}");
            assert!(ours(text).is_some(), "{text}");
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            "",
            " ",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "[1 2]",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"a\nb\"",
            "tru",
            "nul",
            "1e400",
            "[",
            "{\"a\"}",
            "{\"a\":}",
            "\"abc",
            "1 2",
            "\"\\u12\"",
        ] {
            assert_eq!(oracle(text), None, "serde_json takes {text:?}");
            assert_eq!(parse(text), None, "we take {text:?}");
        }
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_in_its_first_place() {
        let value = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(to_string(&value), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn numbers_are_written_back_as_they_came_and_computed_ones_shortest() {
        assert_eq!(to_string(&parse("[1.50,1e2,-0]").unwrap()), "[1.50,1e2,-0]");
        let written = |n: f64| to_string(&n);
        assert_eq!(written(1_700_000_000_000.0), "1700000000000");
        assert_eq!(written(-3.0), "-3");
        assert_eq!(written(0.1), "0.1");
        assert_eq!(written(1e300), "1e300");
        assert_eq!(written(f64::NAN), "null");
        assert_eq!(written(f64::INFINITY), "null");
    }

    #[test]
    fn strings_are_escaped_as_json_needs() {
        let s = "q\"b\\n\nr\rt\tc\u{1}\u{1f}é😀</";
        let text = to_string(s);
        assert_eq!(serde_json::from_str::<String>(&text).unwrap(), s);
        assert_eq!(from_str::<String>(&text).unwrap(), s);
    }

    #[test]
    fn texts_nested_deeper_than_the_limit_are_refused() {
        assert!(parse(&nested(MAX_DEPTH)).is_some());
        assert!(parse(&nested(MAX_DEPTH + 1)).is_none());
        assert!(parse(&nested(100_000)).is_none());
        assert!(within_limits(&nested(MAX_DEPTH)));
        assert!(!within_limits(&nested(MAX_DEPTH + 1)));
        // Brackets inside strings, escaped quotes included, are not nesting.
        let text = format!(r#"{{"a":"{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert!(within_limits(&text));
        assert!(parse(&text).is_some());
        // Unbalanced closers don't underflow.
        assert!(within_limits("]]]]{}"));
        // Many brackets, but side by side: shallow.
        assert!(within_limits(&format!("[{}[]]", "{},".repeat(100))));
    }

    #[test]
    fn texts_longer_than_the_limit_are_refused() {
        let long = format!("\"{}\"", "a".repeat(MAX_BYTES));
        assert!(!within_limits(&long));
        assert!(from_str::<String>(&long).is_none());
    }

    #[test]
    fn typed_reads_check_the_shape() {
        assert_eq!(from_str::<u8>("255"), Some(255));
        assert_eq!(from_str::<u8>("256"), None);
        assert_eq!(from_str::<u32>("1.5"), None);
        assert_eq!(from_str::<u32>("-1"), None);
        assert_eq!(
            from_str::<i64>("-9007199254740991"),
            Some(-9_007_199_254_740_991)
        );
        assert_eq!(from_str::<Option<String>>("null"), Some(None));
        assert_eq!(from_str::<Vec<bool>>("[true,1]"), None);
        assert_eq!(
            from_str::<Vec<bool>>("[true,false]"),
            Some(vec![true, false])
        );
        assert_eq!(to_string(&vec![Some(1u32), None]), "[1,null]");
    }

    /// Random JSON-ish texts from JSON's own alphabet.
    fn jsonish() -> impl proptest::strategy::Strategy<Value = String> {
        "[\\[\\]{}\"\\\\a:,0-9.eE+\\- tnrufls]{0,120}"
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_serde_json_on_any_text(text in jsonish()) {
            proptest::prop_assert_eq!(ours(&text), oracle(&text));
        }

        #[test]
        fn round_trips_what_serde_json_writes(v in arbitrary_json()) {
            let text = v.to_string();
            proptest::prop_assert_eq!(ours(&text), Some(v));
        }

        #[test]
        fn the_limit_scan_agrees_with_the_reader(text in "[\\[\\]{}\"\\\\a:,]{0,200}") {
            if let Some(value) = oracle(&text) {
                fn depth(v: &serde_json::Value) -> usize {
                    match v {
                        serde_json::Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
                        serde_json::Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
                        _ => 0,
                    }
                }
                proptest::prop_assert_eq!(within_limits(&text), depth(&value) <= MAX_DEPTH);
                proptest::prop_assert_eq!(parse(&text).is_some(), depth(&value) <= MAX_DEPTH);
            }
        }
    }

    /// Arbitrary JSON values, strings and numbers of every kind included.
    fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
