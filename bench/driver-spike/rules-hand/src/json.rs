//! A minimal JSON reader (into a tree) and writer helpers. No core::fmt, no float parsing
//! library: numbers are read digit by digit (exact for integers below 2^53, which is all the
//! SDK reads: expiresIn, status codes).

use alloc::string::String;
use alloc::vec::Vec;

pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<V>),
    Obj(Vec<(String, V)>),
}

impl V {
    pub fn get(&self, k: &str) -> Option<&V> {
        match self {
            V::Obj(f) => f.iter().find(|(n, _)| n == k).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// `Some(None)` when absent or null, `Some(Some(s))` for a string, `None` for a wrong type.
pub fn opt_str(v: &V, k: &str) -> Option<Option<String>> {
    match v.get(k) {
        None | Some(V::Null) => Some(None),
        Some(V::Str(s)) => Some(Some(s.clone())),
        _ => None,
    }
}

pub fn parse(text: &str) -> Option<V> {
    let mut p = P { b: text.as_bytes(), i: 0, depth: 0 };
    let v = p.value()?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
}

impl P<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let ok = self.b.get(self.i) == Some(&c);
        self.i += ok as usize;
        ok
    }
    fn lit(&mut self, s: &[u8], v: V) -> Option<V> {
        self.b.get(self.i..self.i + s.len()).filter(|x| *x == s)?;
        self.i += s.len();
        Some(v)
    }
    fn value(&mut self) -> Option<V> {
        self.ws();
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let v = match *self.b.get(self.i)? {
            b'n' => self.lit(b"null", V::Null),
            b't' => self.lit(b"true", V::Bool(true)),
            b'f' => self.lit(b"false", V::Bool(false)),
            b'"' => self.string().map(V::Str),
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                if !self.eat(b']') {
                    loop {
                        a.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(V::Arr(a))
            }
            b'{' => {
                self.i += 1;
                let mut o = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        o.push((k, self.value()?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(V::Obj(o))
            }
            _ => self.number().map(V::Num),
        };
        self.depth -= 1;
        v
    }
    fn digits(&mut self) -> (f64, i32) {
        let (mut n, mut count) = (0.0, 0);
        while let Some(d @ b'0'..=b'9') = self.b.get(self.i) {
            n = n * 10.0 + f64::from(d - b'0');
            count += 1;
            self.i += 1;
        }
        (n, count)
    }
    fn number(&mut self) -> Option<f64> {
        let neg = self.b.get(self.i) == Some(&b'-');
        self.i += neg as usize;
        let (mut n, c) = self.digits();
        if c == 0 {
            return None;
        }
        let mut exp = 0i32;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let (f, c) = self.digits();
            if c == 0 {
                return None;
            }
            n = n * pow10(c) + f;
            exp -= c;
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            let eneg = self.b.get(self.i) == Some(&b'-');
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            let (e, c) = self.digits();
            if c == 0 {
                return None;
            }
            let e = e.min(400.0) as i32;
            exp += if eneg { -e } else { e };
        }
        let n = if exp < 0 { n / pow10(-exp) } else { n * pow10(exp) };
        Some(if neg { -n } else { n })
    }
    fn hex4(&mut self) -> Option<u32> {
        let mut u = 0;
        for _ in 0..4 {
            let d = (*self.b.get(self.i)? as char).to_digit(16)?;
            u = u * 16 + d;
            self.i += 1;
        }
        Some(u)
    }
    fn string(&mut self) -> Option<String> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut s = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(s).ok(),
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) {
                                if self.b.get(self.i..self.i + 2)? != b"\\u" {
                                    return None;
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                            }
                            char::from_u32(u)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0; 4];
                    s.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return None,
                _ => s.push(c),
            }
        }
    }
}

fn pow10(n: i32) -> f64 {
    let mut r = 1.0;
    for _ in 0..n.min(400) {
        r *= 10.0;
    }
    r
}

/// Appends `s` as a JSON string literal.
pub fn push_quoted(o: &mut String, s: &str) {
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                o.push_str("\\u00");
                o.push(HEX[(c as usize) >> 4] as char);
                o.push(HEX[(c as usize) & 15] as char);
            }
            c => o.push(c),
        }
    }
    o.push('"');
}

/// Appends `n` in decimal (no core::fmt).
pub fn push_u32(out: &mut String, n: u32) {
    push_u64(out, n.into());
}

fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

/// Epoch milliseconds, written as a whole number (fractions of a millisecond dropped).
pub fn push_ms(out: &mut String, ms: f64) {
    if ms.is_finite() && ms >= 0.0 {
        push_u64(out, ms as u64);
    } else {
        out.push('0');
    }
}

