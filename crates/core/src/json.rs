//! Writing JSON text by hand, byte for byte as `serde_json::to_string`
//! writes it (compact, fields in the order given, serde_json's string
//! escaping), without serde's serializer: its monomorphized code costs
//! kilobytes of WebAssembly per type. Callers test their output against the
//! serde derives.

/// Compact JSON being written. Call [`Writer::key`] (or a typed helper)
/// before each member or element; commas are added where needed.
#[derive(Debug, Default)]
pub struct Writer(pub String);

impl Writer {
    /// A writer that starts with `start` (`"{"` or `"["`).
    pub fn new(start: &str) -> Writer {
        Writer(start.to_owned())
    }

    /// Starts a member (`"key":`), or an array element when `key` is empty,
    /// with a comma before it unless it is the first.
    pub fn key(&mut self, key: &str) {
        if !self.0.ends_with(['{', '[']) {
            self.0.push(',');
        }
        if !key.is_empty() {
            quote(&mut self.0, key);
            self.0.push(':');
        }
    }

    /// A member whose value is already JSON text (`{`, `[`, a number…).
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.0.push_str(json);
    }

    /// A string member.
    pub fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        quote(&mut self.0, value);
    }

    /// An optional string member: `null` when absent.
    pub fn opt(&mut self, key: &str, value: &Option<String>) {
        match value {
            Some(v) => self.text(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// A boolean member.
    pub fn flag(&mut self, key: &str, value: bool) {
        self.raw(key, if value { "true" } else { "false" });
    }

    /// An unsigned integer member.
    pub fn num(&mut self, key: &str, value: u64) {
        self.key(key);
        self.0.push_str(&value.to_string());
    }

    /// Closes an object or array (`'}'` or `']'`).
    pub fn close(&mut self, c: char) {
        self.0.push(c);
    }
}

/// Appends `s` as a JSON string, escaped exactly as serde_json does: `"` and
/// `\` with a backslash, the control characters `\b \t \n \f \r` by name and
/// the others as `\u00xx` (lower-case hex); everything else as is.
pub fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string (see [`quote`]).
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote(&mut out, s);
    out
}

/// Appends `v` as compact JSON, exactly as its `Display` (`to_string`)
/// writes it (members in the map's own order), without serde's serializer.
pub fn write_value(out: &mut String, v: &serde_json::Value) {
    write(out, v, false);
}

/// Appends `v` as compact JSON with every object's members sorted by the
/// UTF-8 bytes of their keys, numbers as serde_json writes them: the
/// canonical form hashed before RFC 8785
/// ([`crate::hash::legacy_canonical_json`]). The RFC 8785 form has a
/// writer of its own ([`crate::hash::canonical_json`]): folded in here, its
/// code would ride along with every [`write_value`] into the first screen.
pub fn write_sorted(out: &mut String, v: &serde_json::Value) {
    write(out, v, true);
}

fn write(out: &mut String, v: &serde_json::Value, sorted: bool) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => quote(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item, sorted);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            if sorted {
                // Explicitly: serde_json's map may keep insertion order when
                // another crate enables its `preserve_order` feature.
                crate::sort::sort_by(&mut members, |a, b| a.0.as_bytes() < b.0.as_bytes());
            }
            out.push('{');
            for (i, (k, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(out, k);
                out.push(':');
                write(out, item, sorted);
            }
            out.push('}');
        }
    }
}

/// `v` as compact JSON text (see [`write_value`]).
pub fn value_text(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

/// Why [`parse`] refused a text: serde_json's message and position (1-based
/// line; column in bytes, as serde_json counts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong, in serde_json's words (`expected value`).
    pub message: &'static str,
    /// Line, from 1.
    pub line: usize,
    /// Column (bytes from the start of the line), as serde_json reports it.
    pub column: usize,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for ParseError {}

const EOF_LIST: &str = "EOF while parsing a list";
const EOF_OBJECT: &str = "EOF while parsing an object";
const EOF_STRING: &str = "EOF while parsing a string";
const EOF_VALUE: &str = "EOF while parsing a value";
const INVALID_ESCAPE: &str = "invalid escape";
const INVALID_NUMBER: &str = "invalid number";
const OUT_OF_RANGE: &str = "number out of range";
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
const TRAILING_COMMA: &str = "trailing comma";
const TRAILING: &str = "trailing characters";

/// Parses JSON text into a `serde_json::Value`: the same values, and the
/// same refusals with the same messages and positions, as
/// `serde_json::from_str::<Value>` (a test compares them on a corpus and on
/// random texts), in a fraction of serde's WebAssembly. Numbers follow
/// serde_json's default (not `float_roundtrip`) conversion exactly.
pub fn parse(text: &str) -> Result<serde_json::Value, ParseError> {
    parse_skipping(text, &[])
}

/// [`parse`], but the values of the top-level object's members named in
/// `skip` are only stepped over (brackets matched, strings to their closing
/// quote) and come out as null: for a reader that needs the rest of a large
/// document first. What is inside them is not checked, so a caller reads
/// them later with [`parse`]; an error here may be one [`parse`] would
/// report differently.
pub fn parse_skipping(text: &str, skip: &[&str]) -> Result<serde_json::Value, ParseError> {
    parse_with(text, skip, None)
}

/// [`parse`], but every number that is not an integer comes out as the
/// double nearest to it (IEEE-754 round to nearest, ties to even), as
/// JavaScript, Python, Go and .NET read JSON. `parse` keeps serde_json's
/// faster conversion, which for a number of more than 15 significant digits
/// or an exponent past ±22 can land on a neighbouring double (the RFC
/// 8785 example `333333333.33333329`). For the ruleset hash
/// ([`crate::hash`]), which a partner's server recomputes in its own
/// language.
pub fn parse_nearest(text: &str) -> Result<serde_json::Value, ParseError> {
    parse_with(text, &[], Some(nearest_double))
}

fn parse_with(
    text: &str,
    skip: &[&str],
    nearest: Option<Nearest>,
) -> Result<serde_json::Value, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 128,
        skip,
        nearest,
    };
    let v = p.value()?;
    match p.ws() {
        Some(_) => Err(p.peek_error(TRAILING)),
        None => Ok(v),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: u8,
    /// Top-level members stepped over (see [`parse_skipping`]).
    skip: &'a [&'a str],
    /// Numbers as the nearest double (see [`parse_nearest`]).
    nearest: Option<Nearest>,
}

/// Corrects a number's double (see [`nearest_double`]). A function pointer
/// rather than a flag so that the correction's code is only reachable from
/// [`parse_nearest`]: the portal's first screen parses with [`parse`], and
/// its module does not carry the big-integer code.
type Nearest = fn(&[u8], f64) -> f64;

type Parsed<T> = Result<T, ParseError>;

impl Parser<'_> {
    fn at(&self, i: usize, message: &'static str) -> ParseError {
        let before = &self.s[..i];
        let start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
        ParseError {
            message,
            line: 1 + before[..start].iter().filter(|b| **b == b'\n').count(),
            column: i - start,
        }
    }

    /// At the last byte read.
    fn error(&self, message: &'static str) -> ParseError {
        self.at(self.i, message)
    }

    /// At the next byte.
    fn peek_error(&self, message: &'static str) -> ParseError {
        self.at(self.s.len().min(self.i + 1), message)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_or_null(&self) -> u8 {
        self.peek().unwrap_or(0)
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    /// Skips white space; the next byte.
    fn ws(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
        self.peek()
    }

    fn value(&mut self) -> Parsed<serde_json::Value> {
        use serde_json::Value;
        let Some(c) = self.ws() else {
            return Err(self.peek_error(EOF_VALUE));
        };
        Ok(match c {
            b'n' | b't' | b'f' => {
                let (word, v): (&[u8], _) = match c {
                    b'n' => (b"null", Value::Null),
                    b't' => (b"true", Value::Bool(true)),
                    _ => (b"false", Value::Bool(false)),
                };
                self.i += 1;
                for expected in &word[1..] {
                    match self.next() {
                        None => return Err(self.error(EOF_VALUE)),
                        Some(b) if b != *expected => return Err(self.error("expected ident")),
                        Some(_) => {}
                    }
                }
                v
            }
            b'-' => {
                self.i += 1;
                self.number(false)?
            }
            b'0'..=b'9' => self.number(true)?,
            b'"' => {
                self.i += 1;
                Value::String(self.string()?)
            }
            b'[' | b'{' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Err(self.peek_error("recursion limit exceeded"));
                }
                self.i += 1;
                let v = if c == b'[' {
                    self.array()
                } else {
                    self.object()
                };
                self.depth += 1;
                v?
            }
            _ => return Err(self.peek_error("expected value")),
        })
    }

    fn array(&mut self) -> Parsed<serde_json::Value> {
        let mut items = Vec::new();
        loop {
            let c = match self.ws() {
                Some(b']') => break,
                Some(b',') if !items.is_empty() => {
                    self.i += 1;
                    self.ws()
                }
                Some(_) if items.is_empty() => self.peek(),
                Some(_) => return Err(self.peek_error("expected `,` or `]`")),
                None => return Err(self.peek_error(EOF_LIST)),
            };
            match c {
                Some(b']') => return Err(self.peek_error(TRAILING_COMMA)),
                Some(_) => items.push(self.value()?),
                None => return Err(self.peek_error(EOF_VALUE)),
            }
        }
        self.i += 1; // the `]` seen above
        Ok(serde_json::Value::Array(items))
    }

    fn object(&mut self) -> Parsed<serde_json::Value> {
        let mut map = serde_json::Map::new();
        let mut first = true;
        loop {
            let c = match self.ws() {
                Some(b'}') => break,
                Some(b',') if !first => {
                    self.i += 1;
                    self.ws()
                }
                Some(_) if first => self.peek(),
                Some(_) => return Err(self.peek_error("expected `,` or `}`")),
                None => return Err(self.peek_error(EOF_OBJECT)),
            };
            first = false;
            let key = match c {
                Some(b'"') => {
                    self.i += 1;
                    self.string()?
                }
                Some(b'}') => return Err(self.peek_error(TRAILING_COMMA)),
                Some(_) => return Err(self.peek_error("key must be a string")),
                None => return Err(self.peek_error(EOF_VALUE)),
            };
            match self.ws() {
                Some(b':') => self.i += 1,
                Some(_) => return Err(self.peek_error("expected `:`")),
                None => return Err(self.peek_error(EOF_OBJECT)),
            }
            // The top-level object is the only one at depth 127.
            let v = if self.depth == 127 && self.skip.contains(&key.as_str()) {
                self.skip_value()?;
                serde_json::Value::Null
            } else {
                self.value()?
            };
            map.insert(key, v);
        }
        self.i += 1; // the `}` seen above
        Ok(serde_json::Value::Object(map))
    }

    /// Steps over one value (see [`parse_skipping`]).
    fn skip_value(&mut self) -> Parsed<()> {
        let mut open = 0usize;
        loop {
            let Some(c) = self.ws() else {
                return Err(self.peek_error(EOF_VALUE));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    loop {
                        match self.next() {
                            None => return Err(self.error(EOF_STRING)),
                            Some(b'"') => break,
                            Some(b'\\') => self.i += 1,
                            Some(_) => {}
                        }
                    }
                }
                b'[' | b'{' => {
                    self.i += 1;
                    open += 1;
                }
                b']' | b'}' | b',' | b':' if open == 0 => {
                    return Err(self.peek_error("expected value"));
                }
                b']' | b'}' => {
                    self.i += 1;
                    open -= 1;
                }
                b',' | b':' => self.i += 1,
                // A number or a word: up to the next delimiter.
                _ => {
                    self.i += 1;
                    while let Some(b) = self.peek() {
                        if matches!(b, b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"')
                            || b.is_ascii_whitespace()
                        {
                            break;
                        }
                        self.i += 1;
                    }
                }
            }
            if open == 0 {
                return Ok(());
            }
        }
    }

    /// After the opening `"`.
    fn string(&mut self) -> Parsed<String> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.next() else {
                return Err(self.error(EOF_STRING));
            };
            match c {
                b'"' => break,
                b'\\' => self.escape(&mut out)?,
                0..=0x1f => {
                    return Err(self
                        .error("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                _ => out.push(c),
            }
        }
        // Only whole UTF-8 sequences of the input and escapes went in.
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    /// After a `\`.
    fn escape(&mut self, out: &mut Vec<u8>) -> Parsed<()> {
        let Some(c) = self.next() else {
            return Err(self.error(EOF_STRING));
        };
        let byte = match c {
            b'"' | b'\\' | b'/' => c,
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let n = self.hex4()?;
                let code = match n {
                    0xDC00..=0xDFFF => return Err(self.error(LONE_SURROGATE)),
                    0xD800..=0xDBFF => {
                        for expected in [b'\\', b'u'] {
                            let Some(b) = self.peek() else {
                                return Err(self.error(EOF_STRING));
                            };
                            self.i += 1;
                            if b != expected {
                                return Err(self.error("unexpected end of hex escape"));
                            }
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error(LONE_SURROGATE));
                        }
                        (((u32::from(n) - 0xD800) << 10) | (u32::from(low) - 0xDC00)) + 0x1_0000
                    }
                    n => u32::from(n),
                };
                let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => return Err(self.error(INVALID_ESCAPE)),
        };
        out.push(byte);
        Ok(())
    }

    fn hex4(&mut self) -> Parsed<u16> {
        let Some(digits) = self.s.get(self.i..self.i + 4) else {
            self.i = self.s.len();
            return Err(self.error(EOF_STRING));
        };
        self.i += 4;
        let mut n: u16 = 0;
        for d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.error(INVALID_ESCAPE)),
            };
            n = n * 16 + u16::from(v);
        }
        Ok(n)
    }

    /// After the sign, if any: serde_json's integer, decimal and exponent
    /// parsing, step for step.
    fn number(&mut self, positive: bool) -> Parsed<serde_json::Value> {
        use serde_json::{Number, Value};
        let start = self.i;
        let mut significand: u64 = match self.next() {
            None => return Err(self.error(EOF_VALUE)),
            Some(b'0') => {
                if self.peek_or_null().is_ascii_digit() {
                    return Err(self.peek_error(INVALID_NUMBER));
                }
                0
            }
            Some(c @ b'1'..=b'9') => u64::from(c - b'0'),
            Some(_) => return Err(self.error(INVALID_NUMBER)),
        };
        let mut exponent: i32 = 0;
        let mut overflowed = false;
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            self.i += 1;
            match significand
                .checked_mul(10)
                .and_then(|s| s.checked_add(u64::from(c - b'0')))
            {
                Some(s) if !overflowed => significand = s,
                _ => {
                    // serde_json keeps the first digits and counts the rest.
                    overflowed = true;
                    exponent += 1;
                }
            }
        }
        let float = match self.peek_or_null() {
            b'.' => {
                self.i += 1;
                let mut digits = 0;
                let mut overflow = false;
                while let c @ b'0'..=b'9' = self.peek_or_null() {
                    self.i += 1;
                    digits += 1;
                    if overflow {
                        continue;
                    }
                    match significand
                        .checked_mul(10)
                        .and_then(|s| s.checked_add(u64::from(c - b'0')))
                    {
                        Some(s) => {
                            significand = s;
                            exponent -= 1;
                        }
                        None => overflow = true,
                    }
                }
                if digits == 0 {
                    return Err(match self.peek() {
                        Some(_) => self.peek_error(INVALID_NUMBER),
                        None => self.peek_error(EOF_VALUE),
                    });
                }
                true
            }
            _ => overflowed,
        };
        let float = match self.peek_or_null() {
            b'e' | b'E' => {
                self.i += 1;
                let positive_exp = match self.peek_or_null() {
                    b'+' => {
                        self.i += 1;
                        true
                    }
                    b'-' => {
                        self.i += 1;
                        false
                    }
                    _ => true,
                };
                let mut exp: i32 = match self.next() {
                    None => return Err(self.error(EOF_VALUE)),
                    Some(c @ b'0'..=b'9') => i32::from(c - b'0'),
                    Some(_) => return Err(self.error(INVALID_NUMBER)),
                };
                while let c @ b'0'..=b'9' = self.peek_or_null() {
                    self.i += 1;
                    match exp
                        .checked_mul(10)
                        .and_then(|e| e.checked_add(i32::from(c - b'0')))
                    {
                        Some(e) => exp = e,
                        None => {
                            if significand != 0 && positive_exp {
                                return Err(self.error(OUT_OF_RANGE));
                            }
                            while self.peek_or_null().is_ascii_digit() {
                                self.i += 1;
                            }
                            let zero = if positive { 0.0 } else { -0.0 };
                            return Ok(Value::Number(Number::from_f64(zero).unwrap_or(0.into())));
                        }
                    }
                }
                exponent = if positive_exp {
                    exponent.saturating_add(exp)
                } else {
                    exponent.saturating_sub(exp)
                };
                true
            }
            _ => float,
        };
        if !float {
            return Ok(if positive {
                Value::Number(significand.into())
            } else {
                let neg = (significand as i64).wrapping_neg();
                if neg >= 0 {
                    // `-0`, or below i64::MIN: a float, as in serde_json.
                    Value::Number(Number::from_f64(-(significand as f64)).unwrap_or(0.into()))
                } else {
                    Value::Number(neg.into())
                }
            });
        }
        // serde_json's `f64_from_parts` (without `float_roundtrip`).
        let mut f = significand as f64;
        loop {
            match POW10.get(exponent.unsigned_abs() as usize) {
                Some(&pow) => {
                    if exponent >= 0 {
                        f *= pow;
                        if f.is_infinite() {
                            return Err(self.error(OUT_OF_RANGE));
                        }
                    } else {
                        f /= pow;
                    }
                    break;
                }
                None => {
                    if f == 0.0 {
                        break;
                    }
                    if exponent >= 0 {
                        return Err(self.error(OUT_OF_RANGE));
                    }
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
        if let Some(nearest) = self.nearest {
            f = nearest(&self.s[start..self.i], f);
        }
        let f = if positive { f } else { -f };
        Ok(Value::Number(Number::from_f64(f).unwrap_or(0.into())))
    }
}

/// The double nearest to the decimal `text` (a JSON number without its
/// sign), starting from `approx`, a double at most a few steps away: moves
/// one step up or down while the number is past the midpoint to the
/// neighbour on that side, comparing exactly in big integers (a few hundred
/// bytes of code, where the standard library's correctly rounded parser
/// would bring its ~10 KB table of powers into the WebAssembly). Checks
/// every number, even those serde_json's conversion gets right (at most 15
/// digits and an exponent within ±22): the test for that would sit in the
/// first screen's parser, and a ruleset has few non-integers.
fn nearest_double(text: &[u8], approx: f64) -> f64 {
    // text = D × 10^e, D the significant digits.
    let mut digits: Vec<u8> = Vec::new();
    let mut e: i64 = 0;
    let mut fraction = false;
    let mut rest = text.iter();
    for &c in rest.by_ref() {
        match c {
            b'.' => fraction = true,
            b'0'..=b'9' => {
                if fraction {
                    e -= 1;
                }
                if c != b'0' || !digits.is_empty() {
                    digits.push(c - b'0');
                }
            }
            _ => break, // 'e' or 'E'
        }
    }
    let mut exp: i64 = 0;
    let mut negative = false;
    for &c in rest {
        match c {
            b'-' => negative = true,
            b'0'..=b'9' => exp = (exp * 10 + i64::from(c - b'0')).min(1 << 20),
            _ => {}
        }
    }
    e += if negative { -exp } else { exp };
    // 768 significant digits decide any double; past them only whether
    // something nonzero follows counts (one sticky digit).
    const KEEP: usize = 800;
    if digits.len() > KEEP {
        let sticky = digits[KEEP..].iter().any(|&d| d != 0);
        e += (digits.len() - KEEP) as i64;
        digits.truncate(KEEP);
        if sticky {
            digits.push(1);
            e -= 1;
        }
    }
    if digits.is_empty() || e > 400 || e + (digits.len() as i64) < -400 {
        return approx; // zero, or far past the range of doubles
    }
    let e = e as i32;
    // Compares D × 10^e with m × 2^k.
    let compare = |m: u64, k: i32| {
        let mut left = Big::default();
        for &d in &digits {
            left.mul_add(10, u32::from(d));
        }
        let mut right = Big(vec![m as u32, (m >> 32) as u32]);
        left.scale(e.max(0), (-k).max(0));
        right.scale((-e).max(0), k.max(0));
        left.cmp(&right)
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    let mut f = approx;
    loop {
        let bits = f.to_bits();
        let (biased, frac) = ((bits >> 52) as i32, bits & ((1 << 52) - 1));
        let (m, k) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | 1 << 52, biased - 1075)
        };
        let odd = m & 1 == 1;
        // Up to the midpoint with the next double, ties to the even one.
        match compare(2 * m + 1, k - 1) {
            Greater => {}
            Equal if odd => {}
            _ => {
                if f == 0.0 {
                    return f;
                }
                // Down to the midpoint with the previous one, whose spacing
                // is half ours below a power of two.
                let below = if frac == 0 && biased > 1 {
                    compare(4 * m - 1, k - 2)
                } else {
                    compare(2 * m - 1, k - 1)
                };
                match below {
                    Less => {}
                    Equal if odd => {}
                    _ => return f,
                }
                f = f64::from_bits(bits - 1);
                continue;
            }
        }
        let up = f64::from_bits(bits + 1);
        if up.is_infinite() {
            return f;
        }
        f = up;
    }
}

/// An unsigned big integer, 32-bit limbs, least significant first: just
/// enough arithmetic for [`nearest_double`].
#[derive(Default, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    /// self × m + a.
    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let x = u64::from(*limb) * u64::from(m) + carry;
            *limb = x as u32;
            carry = x >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// self × 10^tens × 2^twos.
    fn scale(&mut self, mut tens: i32, mut twos: i32) {
        while tens > 0 {
            let n = tens.min(9);
            self.mul_add(10u32.pow(n as u32), 0);
            tens -= n;
        }
        while twos > 0 {
            let n = twos.min(31);
            self.mul_add(1 << n, 0);
            twos -= n;
        }
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let trim = |v: &[u32]| v.len() - v.iter().rev().take_while(|&&l| l == 0).count();
        let (a, b) = (&self.0[..trim(&self.0)], &other.0[..trim(&other.0)]);
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
}

/// Powers of ten as serde_json's parser uses them (`1e0` to `1e308`).
#[rustfmt::skip]
static POW10: [f64; 309] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32,
    1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48,
    1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59, 1e60, 1e61, 1e62, 1e63, 1e64,
    1e65, 1e66, 1e67, 1e68, 1e69, 1e70, 1e71, 1e72, 1e73, 1e74, 1e75, 1e76, 1e77, 1e78, 1e79, 1e80,
    1e81, 1e82, 1e83, 1e84, 1e85, 1e86, 1e87, 1e88, 1e89, 1e90, 1e91, 1e92, 1e93, 1e94, 1e95, 1e96,
    1e97, 1e98, 1e99, 1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109, 1e110,
    1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119, 1e120, 1e121, 1e122, 1e123,
    1e124, 1e125, 1e126, 1e127, 1e128, 1e129, 1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136,
    1e137, 1e138, 1e139, 1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149,
    1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159, 1e160, 1e161, 1e162,
    1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169, 1e170, 1e171, 1e172, 1e173, 1e174, 1e175,
    1e176, 1e177, 1e178, 1e179, 1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188,
    1e189, 1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199, 1e200, 1e201,
    1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209, 1e210, 1e211, 1e212, 1e213, 1e214,
    1e215, 1e216, 1e217, 1e218, 1e219, 1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227,
    1e228, 1e229, 1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239, 1e240,
    1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249, 1e250, 1e251, 1e252, 1e253,
    1e254, 1e255, 1e256, 1e257, 1e258, 1e259, 1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266,
    1e267, 1e268, 1e269, 1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279,
    1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289, 1e290, 1e291, 1e292,
    1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299, 1e300, 1e301, 1e302, 1e303, 1e304, 1e305,
    1e306, 1e307, 1e308,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every: String = (0u32..0x80).filter_map(char::from_u32).collect();
        every.push_str("é€😀\u{7f}\u{2028}\u{fffd}");
        for s in ["", "plain", "a\"b\\c/d", "line\nnext\r\t\u{8}\u{c}", &every] {
            assert_eq!(quoted(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn values_are_written_as_their_display_writes_them() {
        let v = serde_json::json!({
            "z": [1, -2, 3.5, 1e300, -0.0, 0.1, 18446744073709551615u64, -9223372036854775808i64],
            "a": {"nested": [null, true, false, "s\"\\\n\u{1}é"], "": {}},
            "m": [], "k\"": "v"
        });
        for v in [
            v.clone(),
            v["z"].clone(),
            v["a"].clone(),
            serde_json::json!(null),
            serde_json::json!(2.5e-8),
        ] {
            assert_eq!(value_text(&v), v.to_string());
        }
        let text = r#"{"f":1.0,"g":12345678901234567890123,"h":-1.5E10,"i":[0.30000000000000004]}"#;
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value_text(&parsed), parsed.to_string());
    }

    #[test]
    fn members_and_elements_get_their_commas() {
        let mut w = Writer::new("{");
        w.num("n", 18_446_744_073_709_551_615);
        w.raw("a", "[");
        w.text("", "x");
        w.opt("", &None);
        w.close(']');
        w.flag("b", false);
        w.opt("k\"", &Some("v".into()));
        w.close('}');
        let expected = serde_json::json!({
            "n": u64::MAX, "a": ["x", null], "b": false, "k\"": "v"
        });
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&w.0).unwrap(),
            expected
        );
        assert_eq!(
            w.0,
            r#"{"n":18446744073709551615,"a":["x",null],"b":false,"k\"":"v"}"#
        );
    }

    /// What serde_json makes of `text`: the value, or its error text.
    fn by_serde(text: &str) -> Result<serde_json::Value, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    fn same_as_serde(text: &str) {
        let ours = parse(text).map_err(|e| e.to_string());
        let theirs = by_serde(text);
        // Compare numbers bit for bit (-0.0 == 0.0 otherwise).
        assert_eq!(
            ours.as_ref().map(|v| format!("{v:?}")),
            theirs.as_ref().map(|v| format!("{v:?}")),
            "{text:?}"
        );
        if let (Ok(a), Ok(b)) = (&ours, &theirs) {
            assert_eq!(value_text(a), b.to_string(), "{text:?}");
        }
    }

    #[test]
    fn the_parser_reads_and_refuses_as_serde_json_does() {
        let deep_ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let deep_bad = format!("{}{}", "[".repeat(128), "]".repeat(128));
        let deep_obj = format!("{}1{}", r#"{"a":"#.repeat(130), "}".repeat(130));
        let corpus = [
            "",
            " ",
            "null",
            " true ",
            "false",
            "nul",
            "nulx",
            "tru",
            "t",
            "fals",
            "n\n",
            "0",
            "-0",
            "-",
            "--1",
            "+1",
            "01",
            "-01",
            "1.",
            "1.e5",
            ".5",
            "1e",
            "1e+",
            "1e-",
            "1E5",
            "1e-5",
            "1.5e3",
            "-1.5E-3",
            "1x",
            "0.0",
            "-0.0",
            "123456789",
            "-123456789",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551616.1",
            "18446744073709551617.9e-3",
            "-9223372036854775808",
            "-9223372036854775809",
            "-18446744073709551615",
            "-18446744073709551616",
            "99999999999999999999999999",
            "0.1",
            "0.30000000000000004",
            "1.7976931348623157e308",
            "1.8e308",
            "-1.8e308",
            "2.2250738585072014e-308",
            "5e-324",
            "1e-400",
            "-1e-400",
            "0e999999999999",
            "1e999999999999",
            "-1e999999999999",
            "1e-999999999999",
            "1e2147483647",
            "1e2147483648",
            "1e-2147483648",
            "0.000000000000000000000000000000000000001e-300",
            "123.456e-310",
            "1234567890123456789012345678901234567890e-30",
            "3.14159265358979323846264338327950288",
            "1e309",
            "0.1e309",
            "10e308",
            "\"\"",
            "\"abc\"",
            "\"a",
            "\"\\",
            "\"\\x\"",
            "\"\\n\\t\\r\\b\\f\\/\\\\\\\"\"",
            "\"\\u00e9\\u0041\"",
            "\"\\u00\"",
            "\"\\u00g0\"",
            "\"\\uD83D\\uDE00\"",
            "\"\\uD83D\"",
            "\"\\uD83Dx\"",
            "\"\\uD83D\\x\"",
            "\"\\uD83D\\u0041\"",
            "\"\\uDE00\"",
            "\"\\uD83D\\",
            "\"\\uD83D\\u\"",
            "\"\\uDBFF\\uDFFF\"",
            "\"tab\there\"",
            "\"nl\nhere\"",
            "\"é😀\"",
            "\"\u{1f}\"",
            "\"\u{7f}\"",
            "[]",
            "[ ]",
            "[1,2]",
            "[1 2]",
            "[1,]",
            "[,1]",
            "[",
            "[1",
            "[1,",
            "]",
            "[1]]",
            "[1],",
            "[[[]]]",
            "{}",
            "{ }",
            "{\"a\":1}",
            "{\"a\" 1}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1 \"b\":2}",
            "{a:1}",
            "{1:1}",
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\":1,",
            "{,}",
            "{\"a\":1}}",
            "{\"a\":1,\"a\":2}",
            "{\"b\":1,\"a\":[true,null]}",
            "\n\n  [1,\n  2,\n  x]",
            "\r\n{\"k\":\n\"v\"\n,}",
            "1 2",
            "[] []",
            "\u{feff}1",
            "\t[\"a\"]\n",
            &deep_ok,
            &deep_bad,
            &deep_obj,
        ];
        for text in corpus {
            same_as_serde(text);
        }
        let rules = include_str!("../../../public/rules/default.json");
        same_as_serde(rules);
        for cut in (0..rules.len())
            .step_by(37)
            .filter(|c| rules.is_char_boundary(*c))
        {
            same_as_serde(&rules[..cut]);
        }
    }

    /// Any JSON value, a few levels deep.
    fn any_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-z\"\\\\é😀\n{}\\[\\]]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[ab]", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// `parse` of `text` with the top-level members `skip` made null.
    fn nulled(text: &str, skip: &[&str]) -> Result<serde_json::Value, ParseError> {
        let mut v = parse(text)?;
        if let Some(map) = v.as_object_mut() {
            for (key, value) in map.iter_mut() {
                if skip.contains(&key.as_str()) {
                    *value = serde_json::Value::Null;
                }
            }
        }
        Ok(v)
    }

    #[test]
    fn skipping_steps_over_the_named_top_level_members_only() {
        let skip = ["nodes", "rules", "x"];
        let rules = include_str!("../../../public/rules/default.json");
        let skipped = parse_skipping(rules, &skip).unwrap();
        assert_eq!(skipped, nulled(rules, &skip).unwrap());
        assert!(skipped["nodes"].is_null() && skipped["rules"].is_null());
        assert!(skipped["products"].is_array(), "not named: read");
        let text = r#"{"x": {"x": [1, "a\"]}", {"y": -2.5e3}], "nodes": true}, "nodes": {"x": 1}, "k": {"x": 3}}"#;
        assert_eq!(
            parse_skipping(text, &skip).unwrap(),
            serde_json::json!({"x": null, "nodes": null, "k": {"x": 3}}),
            "nested members of the same name are read"
        );
        // Broken where it is skipped: refused when the steps do not add up,
        // else left for the whole parse (which refuses it).
        for broken in [
            r#"{"x": [1, 2}"#,
            r#"{"x": "a"#,
            r#"{"x": }"#,
            r#"{"x": [1,, 2]}"#,
        ] {
            assert!(parse(broken).is_err(), "{broken}");
            if let Ok(v) = parse_skipping(broken, &skip) {
                assert!(v["x"].is_null(), "{broken}");
            }
        }
        assert!(parse_skipping(r#"{"x": [1, 2}"#, &skip).is_err());
        assert!(parse_skipping(r#"{"x": }"#, &skip).is_err());
    }

    proptest::proptest! {
        /// Random token soup: every acceptance, value and error (message and
        /// position) is serde_json's.
        #[test]
        fn random_texts_are_read_as_serde_json_reads_them(
            text in "[\\[\\]{}:,\"\\\\ \n0-9eE.+\\-ntrufalsbxu\u{1}éD8]{0,40}",
        ) {
            let ours = parse(&text).map_err(|e| e.to_string());
            let theirs = by_serde(&text);
            proptest::prop_assert_eq!(
                ours.as_ref().map(|v| format!("{v:?}")),
                theirs.as_ref().map(|v| format!("{v:?}"))
            );
        }

        /// Random documents: skipped members come out null, the rest as
        /// `parse` reads it.
        #[test]
        fn skipping_reads_what_it_does_not_skip_as_parse_does(
            members in proptest::collection::btree_map("[abc]", any_value(), 0..4),
            soup in "[\\[\\]{}:,\"\\\\ 0-9eE.+\\-ntrufalsbu]{0,24}",
            pretty in proptest::bool::ANY,
        ) {
            let skip = ["a", "b"];
            let doc = serde_json::Value::Object(members.into_iter().collect());
            let text = if pretty { serde_json::to_string_pretty(&doc) } else { serde_json::to_string(&doc) }.unwrap();
            proptest::prop_assert_eq!(parse_skipping(&text, &skip).ok(), nulled(&text, &skip).ok());
            // Token soup where a value is skipped: read as `parse` reads it whenever that succeeds.
            let text = format!(r#"{{"a": {soup}, "c": [1, {{"a": 2}}]}}"#);
            if let Ok(whole) = nulled(&text, &skip) {
                proptest::prop_assert_eq!(parse_skipping(&text, &skip).ok(), Some(whole));
            }
        }

        /// Random numbers, written in every JSON form.
        #[test]
        fn random_numbers_are_read_as_serde_json_reads_them(
            sign in proptest::option::of(proptest::bool::ANY),
            int in "[0-9]{1,25}",
            frac in proptest::option::of("[0-9]{0,25}"),
            exp in proptest::option::of(("[eE]", "[+-]?", "[0-9]{0,4}")),
        ) {
            let mut text = String::new();
            if sign == Some(true) { text.push('-'); }
            text.push_str(&int);
            if let Some(f) = frac { text.push('.'); text.push_str(&f); }
            if let Some((e, s, d)) = exp { text.push_str(&e); text.push_str(&s); text.push_str(&d); }
            let ours = parse(&text).map_err(|e| e.to_string());
            let theirs = by_serde(&text);
            proptest::prop_assert_eq!(
                ours.as_ref().map(|v| format!("{v:?}")),
                theirs.as_ref().map(|v| format!("{v:?}")),
                "{}", text
            );
        }
    }
}
