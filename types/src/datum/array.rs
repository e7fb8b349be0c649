//! Arrays (PostgreSQL's `arrayfuncs.c` I/O): the text form
//! `{{1,2},{3,NULL}}` (with an optional `[lower:upper]...=` prefix) and the
//! binary form of `array_send` / `array_recv`, which is also how an array
//! is stored in a table.
//!
//! An array has up to [`MAX_DIMS`] dimensions, each with a length and a
//! lower bound. Its elements are kept flat in row-major order (the last
//! subscript varies fastest), as PostgreSQL lays them out:
//!
//! ```text
//!   '[0:1][1:3]={{a,b,c},{d,e,f}}'
//!   lower = 0 (first dimension)      elems = [a, b, c, d, e, f]
//!   inner = [{len 3, lower 1}]       first length = 6 / 3 = 2
//! ```
//!
//! An empty array has no dimension at all (`{}`).

use super::{Datum, OutputOptions};
use crate::{PgError, PgResult, SqlState, oid};

/// PostgreSQL's `MAXDIM`.
pub const MAX_DIMS: usize = 6;

/// One dimension of an array: its length and its lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayDim {
    pub len: i32,
    pub lower: i32,
}

impl ArrayDim {
    pub fn upper(&self) -> i32 {
        self.lower + self.len - 1
    }
}

/// An array value: its element type, the lower bound of its first
/// dimension (1 unless written otherwise), its elements in row-major order
/// and the dimensions after the first. A one-dimensional array has no
/// `inner` dimension; an empty array has no dimension at all, whatever
/// `lower` and `inner` say.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayValue {
    pub elem_type: u32,
    pub lower: i32,
    pub elems: Vec<Datum>,
    /// The second and later dimensions, outermost first; the first
    /// dimension's length is what the elements leave to it.
    pub inner: Vec<ArrayDim>,
}

impl ArrayValue {
    pub fn new(elem_type: u32, elems: Vec<Datum>) -> ArrayValue {
        ArrayValue {
            elem_type,
            lower: 1,
            elems,
            inner: Vec::new(),
        }
    }

    /// An array of the given dimensions (outermost first); the product of
    /// their lengths must be `elems.len()`. No elements make the empty
    /// array.
    pub fn with_dims(elem_type: u32, dims: &[ArrayDim], elems: Vec<Datum>) -> ArrayValue {
        match dims.split_first() {
            Some((first, rest)) if !elems.is_empty() => ArrayValue {
                elem_type,
                lower: first.lower,
                elems,
                inner: rest.to_vec(),
            },
            _ => ArrayValue::new(elem_type, Vec::new()),
        }
    }

    /// The number of dimensions (0 for the empty array).
    pub fn ndim(&self) -> usize {
        if self.elems.is_empty() {
            0
        } else {
            1 + self.inner.len()
        }
    }

    /// The number of elements in one entry of the first dimension.
    fn stride(&self) -> usize {
        self.inner
            .iter()
            .map(|d| d.len.max(0) as usize)
            .product::<usize>()
            .max(1)
    }

    /// The length of the first dimension.
    pub fn outer_len(&self) -> i32 {
        (self.elems.len() / self.stride()) as i32
    }

    /// Every dimension, outermost first (none for the empty array).
    pub fn dims(&self) -> Vec<ArrayDim> {
        if self.elems.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(1 + self.inner.len());
        out.push(ArrayDim {
            len: self.outer_len(),
            lower: self.lower,
        });
        out.extend_from_slice(&self.inner);
        out
    }

    /// The upper bound of the first dimension.
    pub fn upper(&self) -> i32 {
        self.lower + self.outer_len() - 1
    }

    /// The entries of the first dimension, each an array of the inner
    /// dimensions (or one element's worth for a one-dimensional array).
    pub fn outer_entries(&self) -> impl Iterator<Item = &[Datum]> {
        self.elems.chunks(self.stride())
    }

    /// `ARRAY[sub, ...]`, `array_agg(array)`, `ARRAY(SELECT array)`: one
    /// more dimension over sub-arrays that must share their dimensions
    /// (the caller has set aside NULL and empty ones, as each reports them
    /// its own way). `mismatch` is the caller's error for sub-arrays that
    /// differ.
    pub fn stack(
        elem_type: u32,
        subs: &[&ArrayValue],
        mismatch: impl Fn() -> PgError,
    ) -> PgResult<ArrayValue> {
        let Some(first) = subs.first() else {
            return Ok(ArrayValue::new(elem_type, Vec::new()));
        };
        let dims = first.dims();
        if dims.len() + 1 > MAX_DIMS {
            return Err(too_many_dims(dims.len() + 1));
        }
        let mut elems = Vec::with_capacity(first.elems.len() * subs.len());
        for s in subs {
            if s.dims() != dims {
                return Err(mismatch());
            }
            elems.extend(s.elems.iter().cloned());
        }
        Ok(ArrayValue {
            elem_type,
            lower: 1,
            elems,
            inner: dims,
        })
    }
}

/// `array_agg(anyarray)` and `ARRAY(SELECT anyarray)`: the values, which
/// must be non-empty arrays of one shape, stacked (PostgreSQL's
/// `accumulateArrayResultArr`).
pub fn accumulate(elem_type: u32, values: &[Datum]) -> PgResult<ArrayValue> {
    let mut subs = Vec::with_capacity(values.len());
    for v in values {
        match v {
            Datum::Array(a) if a.elems.is_empty() => {
                return Err(PgError::new(
                    SqlState::ArraySubscriptError,
                    "cannot accumulate empty arrays",
                ));
            }
            Datum::Array(a) => subs.push(a.as_ref()),
            _ => {
                return Err(PgError::new(
                    SqlState::NullValueNotAllowed,
                    "cannot accumulate null arrays",
                ));
            }
        }
    }
    ArrayValue::stack(elem_type, &subs, || {
        PgError::new(
            SqlState::ArraySubscriptError,
            "cannot accumulate arrays of different dimensionality",
        )
    })
}

/// 54000: more than [`MAX_DIMS`] dimensions.
pub fn too_many_dims(n: usize) -> PgError {
    PgError::new(
        SqlState::ProgramLimitExceeded,
        format!("number of array dimensions ({n}) exceeds the maximum allowed ({MAX_DIMS})"),
    )
}

fn malformed(s: &str, detail: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!("malformed array literal: \"{s}\""),
    )
    .with_detail(detail.to_owned())
}

/// Whether an element's text must be quoted in array output.
fn needs_quotes(s: &str, delim: char) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars()
            .any(|c| matches!(c, '{' | '}' | '"' | '\\') || c == delim || c.is_ascii_whitespace())
}

/// `pg_type.typdelim`: `;` for box (whose text holds commas), else `,`.
pub fn delimiter(elem_type: u32) -> char {
    if elem_type == crate::oid::BOX {
        ';'
    } else {
        ','
    }
}

/// `array_out`.
pub fn to_text(a: &ArrayValue, opts: &OutputOptions) -> String {
    let mut out = String::new();
    let dims = a.dims();
    if dims.iter().any(|d| d.lower != 1) {
        for d in &dims {
            out.push_str(&format!("[{}:{}]", d.lower, d.upper()));
        }
        out.push('=');
    }
    if dims.is_empty() {
        out.push_str("{}");
        return out;
    }
    // Before each element, the braces its position opens; after it, the
    // ones it closes (`{{` before the first element of `{{1,2},{3,4}}`):
    // one per dimension whose sub-array starts or ends there.
    let lens: Vec<usize> = dims.iter().map(|d| d.len.max(0) as usize).collect();
    let strides: Vec<usize> = (0..lens.len())
        .map(|k| lens[k..].iter().product::<usize>().max(1))
        .collect();
    for (i, e) in a.elems.iter().enumerate() {
        let opened = strides.iter().filter(|&&s| i % s == 0).count();
        if i > 0 {
            out.push(delimiter(a.elem_type));
        }
        for _ in 0..opened {
            out.push('{');
        }
        if e.is_null() {
            out.push_str("NULL");
        } else {
            let s = e.to_text(opts);
            if needs_quotes(&s, delimiter(a.elem_type)) {
                out.push('"');
                for c in s.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            } else {
                out.push_str(&s);
            }
        }
        let closed = strides.iter().filter(|&&s| (i + 1) % s == 0).count();
        for _ in 0..closed {
            out.push('}');
        }
    }
    out
}

/// The `[l:u][l:u]=` prefix of an array literal, if any: the declared
/// dimensions and the rest of the text.
fn declared_dims<'a>(s: &str, mut rest: &'a str) -> PgResult<(Option<Vec<ArrayDim>>, &'a str)> {
    if !rest.starts_with('[') {
        return Ok((None, rest));
    }
    let mut dims = Vec::new();
    while let Some(r) = rest.strip_prefix('[') {
        if dims.len() >= MAX_DIMS {
            return Err(too_many_dims(dims.len() + 1));
        }
        let end = r
            .find(']')
            .ok_or_else(|| malformed(s, "Missing \"]\" after array dimensions."))?;
        let text = &r[..end];
        let parse = |x: &str| {
            x.trim()
                .parse::<i32>()
                .map_err(|_| malformed(s, "Invalid array dimensions."))
        };
        // `[u]` is `[1:u]`.
        let (l, u) = match text.split_once(':') {
            Some((l, u)) => (parse(l)?, parse(u)?),
            None => (1, parse(text)?),
        };
        if u < l {
            return Err(PgError::new(
                SqlState::ArraySubscriptError,
                "upper bound cannot be less than lower bound",
            ));
        }
        dims.push(ArrayDim {
            len: u - l + 1,
            lower: l,
        });
        rest = r[end + 1..].trim_start();
    }
    let rest = rest
        .strip_prefix('=')
        .ok_or_else(|| malformed(s, "Missing \"=\" after array dimensions."))?
        .trim_start();
    Ok((Some(dims), rest))
}

/// The body of an array literal being read: the flat elements and the
/// length of each dimension seen so far.
struct Reader<'a> {
    s: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    elem_type: u32,
    opts: &'a OutputOptions,
    elems: Vec<Datum>,
    /// Per nesting depth, the number of entries of its sub-arrays (all
    /// must agree).
    lens: Vec<Option<usize>>,
    /// The depth at which elements sit (the number of dimensions - 1).
    leaf: Option<usize>,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while self
            .chars
            .next_if(|(_, c)| c.is_ascii_whitespace())
            .is_some()
        {}
    }

    /// One `{...}` at `depth` whose `{` has been read.
    fn sub_array(&mut self, depth: usize) -> PgResult<()> {
        let s = self.s;
        let mut count = 0usize;
        // Whether the last thing read was an entry (so a `,` or `}` must
        // follow).
        let mut after_entry = false;
        loop {
            self.skip_space();
            let Some(&(_, c)) = self.chars.peek() else {
                return Err(malformed(s, "Unexpected end of input."));
            };
            match c {
                '}' => {
                    self.chars.next();
                    if !after_entry && (count > 0 || depth > 0) {
                        return Err(malformed(s, "Unexpected \"}\" character."));
                    }
                    break;
                }
                c if after_entry && c == delimiter(self.elem_type) => {
                    self.chars.next();
                    after_entry = false;
                }
                _ if after_entry => {
                    return Err(malformed(s, "Unexpected array element."));
                }
                '{' => {
                    if self.leaf.is_some_and(|l| l <= depth) {
                        return Err(malformed(s, "Unexpected \"{\" character."));
                    }
                    if depth + 2 > MAX_DIMS {
                        return Err(too_many_dims(depth + 2));
                    }
                    self.chars.next();
                    self.sub_array(depth + 1)?;
                    count += 1;
                    after_entry = true;
                }
                _ => {
                    match self.leaf {
                        Some(l) if l != depth && c == '\\' => {
                            return Err(malformed(s, "Unexpected \"\\\" character."));
                        }
                        Some(l) if l != depth => {
                            return Err(malformed(s, "Unexpected array element."));
                        }
                        _ => self.leaf = Some(depth),
                    }
                    self.element()?;
                    count += 1;
                    after_entry = true;
                }
            }
        }
        if self.lens.len() <= depth {
            self.lens.resize(depth + 1, None);
        }
        match self.lens[depth] {
            None => self.lens[depth] = Some(count),
            Some(n) if n == count => {}
            Some(_) => {
                return Err(malformed(
                    s,
                    "Multidimensional arrays must have sub-arrays with matching dimensions.",
                ));
            }
        }
        Ok(())
    }

    /// One element: quoted, or up to the next delimiter.
    fn element(&mut self) -> PgResult<()> {
        let s = self.s;
        let mut text = String::new();
        let quoted = self.chars.peek().is_some_and(|p| p.1 == '"');
        if quoted {
            self.chars.next();
            loop {
                match self.chars.next() {
                    Some((_, '\\')) => match self.chars.next() {
                        Some((_, x)) => text.push(x),
                        None => return Err(malformed(s, "Unexpected end of input.")),
                    },
                    Some((_, '"')) => break,
                    Some((_, x)) => text.push(x),
                    None => return Err(malformed(s, "Unexpected end of input.")),
                }
            }
        } else {
            while let Some(&(_, x)) = self.chars.peek() {
                if x == delimiter(self.elem_type) || x == '}' {
                    break;
                }
                if x == '"' {
                    return Err(malformed(s, "Unexpected array element."));
                }
                if x == '{' {
                    return Err(malformed(s, "Unexpected \"{\" character."));
                }
                self.chars.next();
                if x == '\\' {
                    match self.chars.next() {
                        Some((_, y)) => text.push(y),
                        None => return Err(malformed(s, "Unexpected end of input.")),
                    }
                } else {
                    text.push(x);
                }
            }
            let trimmed = text.trim_end().len();
            text.truncate(trimmed);
            if text.is_empty() {
                let next = self.chars.peek().map_or('}', |p| p.1);
                return Err(malformed(s, &format!("Unexpected \"{next}\" character.")));
            }
        }
        self.elems
            .push(if !quoted && text.eq_ignore_ascii_case("null") {
                Datum::Null
            } else {
                Datum::from_text(self.elem_type, &text, self.opts)?
            });
        Ok(())
    }
}

/// `array_in` for an array of `elem_type`.
pub fn from_text(elem_type: u32, s: &str, opts: &OutputOptions) -> PgResult<ArrayValue> {
    let (declared, rest) = declared_dims(s, s.trim_start())?;
    let body = rest.strip_prefix('{').ok_or_else(|| {
        malformed(
            s,
            "Array value must start with \"{\" or dimension information.",
        )
    })?;
    let mut r = Reader {
        s,
        chars: body.char_indices().peekable(),
        elem_type,
        opts,
        elems: Vec::new(),
        lens: Vec::new(),
        leaf: None,
    };
    r.sub_array(0)?;
    if r.chars.any(|(_, c)| !c.is_ascii_whitespace()) {
        return Err(malformed(s, "Junk after closing right brace."));
    }
    let ndim = r.leaf.map_or(0, |l| l + 1);
    let lens: Vec<usize> = r.lens.iter().take(ndim).map(|n| n.unwrap_or(0)).collect();
    let dims: Vec<ArrayDim> = match declared {
        Some(d) => {
            let matches = d.len() == ndim && d.iter().zip(&lens).all(|(d, &n)| d.len as usize == n);
            if !matches {
                return Err(malformed(
                    s,
                    "Specified array dimensions do not match array contents.",
                ));
            }
            d
        }
        None => lens
            .iter()
            .map(|&n| ArrayDim {
                len: n as i32,
                lower: 1,
            })
            .collect(),
    };
    Ok(ArrayValue::with_dims(elem_type, &dims, r.elems))
}

/// `array_send`: dimensions, flags, element type, then each element's
/// length and binary form (-1 for NULL).
pub fn to_binary(a: &ArrayValue) -> Vec<u8> {
    let mut out = Vec::new();
    let dims = a.dims();
    let has_null = a.elems.iter().any(Datum::is_null);
    out.extend_from_slice(&(dims.len() as i32).to_be_bytes());
    out.extend_from_slice(&i32::from(has_null).to_be_bytes());
    out.extend_from_slice(&a.elem_type.to_be_bytes());
    for d in &dims {
        out.extend_from_slice(&d.len.to_be_bytes());
        out.extend_from_slice(&d.lower.to_be_bytes());
    }
    for e in &a.elems {
        if e.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            let b = e.to_binary();
            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
            out.extend_from_slice(&b);
        }
    }
    out
}

/// `array_recv` of an array whose elements are `elem_type`.
pub fn from_binary(elem_type: u32, b: &[u8]) -> PgResult<ArrayValue> {
    let bad = || {
        PgError::new(
            SqlState::InvalidBinaryRepresentation,
            "insufficient data left in message",
        )
    };
    let mut at = 0usize;
    let word = |at: &mut usize| -> PgResult<i32> {
        let v = b.get(*at..*at + 4).ok_or_else(bad)?;
        *at += 4;
        Ok(i32::from_be_bytes([v[0], v[1], v[2], v[3]]))
    };
    let ndim = word(&mut at)?;
    let _flags = word(&mut at)?;
    let stored_elem = word(&mut at)? as u32;
    if ndim < 0 {
        return Err(PgError::new(
            SqlState::InvalidBinaryRepresentation,
            format!("invalid number of dimensions: {ndim}"),
        ));
    }
    if ndim as usize > MAX_DIMS {
        return Err(too_many_dims(ndim as usize));
    }
    // A domain's elements are its base type's values.
    if stored_elem != elem_type
        && crate::typcache::base_type(stored_elem) != crate::typcache::base_type(elem_type)
    {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "binary data has array element type {stored_elem} ({}) instead of expected {elem_type} ({})",
                oid::type_name(stored_elem),
                oid::type_name(elem_type)
            ),
        ));
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    let mut total: i64 = 1;
    for _ in 0..ndim {
        let (len, lower) = (word(&mut at)?, word(&mut at)?);
        if len < 0 || lower.checked_add(len).is_none() {
            return Err(PgError::new(
                SqlState::ProgramLimitExceeded,
                "array size exceeds the maximum allowed",
            ));
        }
        total = total.saturating_mul(i64::from(len));
        dims.push(ArrayDim { len, lower });
    }
    if ndim == 0 {
        total = 0;
    }
    // Each element takes at least its four-byte length.
    if total > (b.len() as i64) / 4 {
        return Err(bad());
    }
    let mut elems = Vec::with_capacity(total as usize);
    for _ in 0..total {
        let n = word(&mut at)?;
        if n < 0 {
            elems.push(Datum::Null);
            continue;
        }
        let bytes = b.get(at..at + n as usize).ok_or_else(bad)?;
        at += n as usize;
        elems.push(Datum::from_binary(elem_type, bytes)?);
    }
    if at != b.len() {
        return Err(PgError::new(
            SqlState::InvalidBinaryRepresentation,
            "incorrect binary data format in array",
        ));
    }
    Ok(ArrayValue::with_dims(elem_type, &dims, elems))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts() -> OutputOptions {
        OutputOptions::default()
    }

    /// Expectations from PostgreSQL 15 (`SELECT '<literal>'::text[]` and
    /// `::int[]`).
    #[test]
    fn text_forms_read_and_print_as_postgresql_does() {
        let t = |s: &str| to_text(&from_text(oid::TEXT, s, &opts()).unwrap(), &opts());
        assert_eq!(t("{a,b}"), "{a,b}");
        assert_eq!(
            t("{ a , \"b c\" , NULL, \"NULL\", \"\" }"),
            "{a,\"b c\",NULL,\"NULL\",\"\"}"
        );
        assert_eq!(t("{\"x\\\"y\",z\\,w}"), "{\"x\\\"y\",\"z,w\"}");
        assert_eq!(t("{}"), "{}");
        assert_eq!(t("[0:1]={a,b}"), "[0:1]={a,b}");
        let i = |s: &str| to_text(&from_text(oid::INT4, s, &opts()).unwrap(), &opts());
        assert_eq!(i("{1, 2,3}"), "{1,2,3}");
        for bad in ["1,2", "{1,2", "{1,,2}", "{1,2}x", "[1:3]={1,2}"] {
            let e = from_text(oid::INT4, bad, &opts()).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidTextRepresentation, "{bad}");
        }
        assert_eq!(i("{{1,2},{3,4}}"), "{{1,2},{3,4}}");
        assert_eq!(i(" { { 1 } , { 2 } } "), "{{1},{2}}");
        assert_eq!(i("[0:1][1:2]={{1,2},{3,4}}"), "[0:1][1:2]={{1,2},{3,4}}");
        assert_eq!(i("[1:2][1:2]={{1,2},{3,4}}"), "{{1,2},{3,4}}");
        assert_eq!(i("{{{1},{2}},{{3},{4}}}"), "{{{1},{2}},{{3},{4}}}");
        assert!(from_text(oid::INT4, "[1:2]={}", &opts()).is_err());
        let detail = |s: &str| {
            from_text(oid::INT4, s, &opts())
                .unwrap_err()
                .detail
                .unwrap()
        };
        assert_eq!(
            detail("{{1,2},{3}}"),
            "Multidimensional arrays must have sub-arrays with matching dimensions."
        );
        assert_eq!(detail("{{1},2}"), "Unexpected array element.");
        assert_eq!(detail("{1,{2}}"), "Unexpected \"{\" character.");
        assert_eq!(detail("{{}}"), "Unexpected \"}\" character.");
        assert_eq!(detail("{{1,2}x}"), "Unexpected array element.");
        assert_eq!(
            detail("[0:1]={{1,2},{3,4}}"),
            "Specified array dimensions do not match array contents."
        );
        assert_eq!(
            from_text(oid::INT4, "{{{{{{{1}}}}}}}", &opts())
                .unwrap_err()
                .code,
            SqlState::ProgramLimitExceeded
        );
    }

    #[test]
    fn binary_form_round_trips() {
        let a = ArrayValue {
            elem_type: oid::INT4,
            lower: 1,
            elems: vec![Datum::Int4(7), Datum::Null, Datum::Int4(-1)],
            inner: Vec::new(),
        };
        let b = to_binary(&a);
        assert_eq!(&b[..12], &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23]);
        assert_eq!(from_binary(oid::INT4, &b).unwrap(), a);
        let empty = ArrayValue::new(oid::TEXT, vec![]);
        assert_eq!(from_binary(oid::TEXT, &to_binary(&empty)).unwrap(), empty);
        assert!(from_binary(oid::TEXT, &to_binary(&a)).is_err());
        let m = from_text(oid::INT4, "[0:1][2:3]={{1,2},{3,NULL}}", &opts()).unwrap();
        let b = to_binary(&m);
        assert_eq!(
            &b[..28],
            &[
                0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2
            ]
        );
        assert_eq!(from_binary(oid::INT4, &b).unwrap(), m);
    }
}
