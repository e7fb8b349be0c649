//! The geometric types `point`, `lseg`, `line`, `box`, `path`, `polygon`
//! and `circle` (PostgreSQL's `utils/adt/geo_ops.c`): their text and binary
//! forms and the geometry behind their operators.
//!
//! Coordinates are `float8`. Arithmetic goes through [`pl`], [`mi`],
//! [`mul`] and [`div`], which raise `float8`'s overflow, underflow and
//! division-by-zero errors, and comparisons are fuzzy: two coordinates
//! closer than [`EPSILON`] are equal ([`fp_eq`] and friends), as in
//! PostgreSQL, so that results match it to the last digit.
//!
//! ```text
//!   point    (x,y)                 line     {A,B,C}   (Ax + By + C = 0)
//!   lseg     [(x1,y1),(x2,y2)]     box      (x_high,y_high),(x_low,y_low)
//!   path     [(..),...] open       polygon  ((..),...)
//!            ((..),...) closed     circle   <(x,y),r>
//! ```

use crate::{PgError, PgResult, SqlState};

/// The tolerance of the fuzzy comparisons.
pub const EPSILON: f64 = 1.0e-06;

pub fn fp_zero(a: f64) -> bool {
    a.abs() <= EPSILON
}
pub fn fp_eq(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= EPSILON
}
pub fn fp_ne(a: f64, b: f64) -> bool {
    a != b && (a - b).abs() > EPSILON
}
pub fn fp_lt(a: f64, b: f64) -> bool {
    b - a > EPSILON
}
pub fn fp_le(a: f64, b: f64) -> bool {
    a - b <= EPSILON
}
pub fn fp_gt(a: f64, b: f64) -> bool {
    a - b > EPSILON
}
pub fn fp_ge(a: f64, b: f64) -> bool {
    b - a <= EPSILON
}

/// `float8` equality and order with NaN equal to itself and above all.
fn f_eq(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        a.is_nan() && b.is_nan()
    } else {
        a == b
    }
}
fn f_lt(a: f64, b: f64) -> bool {
    if a.is_nan() {
        false
    } else if b.is_nan() {
        true
    } else {
        a < b
    }
}
fn f_gt(a: f64, b: f64) -> bool {
    f_lt(b, a)
}
pub fn f_min(a: f64, b: f64) -> f64 {
    if f_lt(a, b) { a } else { b }
}
pub fn f_max(a: f64, b: f64) -> f64 {
    if f_gt(a, b) { a } else { b }
}

fn overflow() -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        "value out of range: overflow",
    )
}
fn underflow() -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        "value out of range: underflow",
    )
}

/// `float8` addition with its overflow check.
pub fn pl(a: f64, b: f64) -> PgResult<f64> {
    let r = a + b;
    if r.is_infinite() && !a.is_infinite() && !b.is_infinite() {
        return Err(overflow());
    }
    Ok(r)
}
pub fn mi(a: f64, b: f64) -> PgResult<f64> {
    let r = a - b;
    if r.is_infinite() && !a.is_infinite() && !b.is_infinite() {
        return Err(overflow());
    }
    Ok(r)
}
pub fn mul(a: f64, b: f64) -> PgResult<f64> {
    let r = a * b;
    if r.is_infinite() && !a.is_infinite() && !b.is_infinite() {
        return Err(overflow());
    }
    if r == 0.0 && a != 0.0 && b != 0.0 {
        return Err(underflow());
    }
    Ok(r)
}
pub fn div(a: f64, b: f64) -> PgResult<f64> {
    if b == 0.0 && !a.is_nan() {
        return Err(PgError::new(SqlState::DivisionByZero, "division by zero"));
    }
    let r = a / b;
    if r.is_infinite() && !a.is_infinite() {
        return Err(overflow());
    }
    if r == 0.0 && a != 0.0 && !b.is_infinite() {
        return Err(underflow());
    }
    Ok(r)
}

/// The hypotenuse without needless overflow (`pg_hypot`).
pub fn hypot(x: f64, y: f64) -> PgResult<f64> {
    if x.is_infinite() || y.is_infinite() {
        return Ok(f64::INFINITY);
    }
    if x.is_nan() || y.is_nan() {
        return Ok(f64::NAN);
    }
    let (mut x, mut y) = (x.abs(), y.abs());
    if x < y {
        std::mem::swap(&mut x, &mut y);
    }
    if y == 0.0 {
        return Ok(x);
    }
    let yx = y / x;
    let r = x * (1.0 + yx * yx).sqrt();
    if r.is_infinite() {
        return Err(overflow());
    }
    if r == 0.0 {
        return Err(underflow());
    }
    Ok(r)
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lseg {
    pub p: [Point; 2],
}

/// `Ax + By + C = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

/// A box by its upper right and lower left corners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoBox {
    pub high: Point,
    pub low: Point,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub closed: bool,
    pub points: Vec<Point>,
}

/// A polygon keeps its bounding box, as PostgreSQL's does.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub bound: GeoBox,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    pub center: Point,
    pub radius: f64,
}

/// A value of one of the geometric types.
#[derive(Debug, Clone, PartialEq)]
pub enum Geo {
    Point(Point),
    Lseg(Lseg),
    Line(Line),
    Box(GeoBox),
    Path(Path),
    Polygon(Polygon),
    Circle(Circle),
}

// ---------------------------------------------------------------------------
// Text input

/// A cursor over the input text; every error names the whole input.
struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
    type_name: &'static str,
    orig: &'a str,
}

impl<'a> Reader<'a> {
    fn new(orig: &'a str, type_name: &'static str) -> Self {
        Reader {
            s: orig.as_bytes(),
            pos: 0,
            type_name,
            orig,
        }
    }
    fn err(&self) -> PgError {
        PgError::new(
            SqlState::InvalidTextRepresentation,
            format!(
                "invalid input syntax for type {}: \"{}\"",
                self.type_name, self.orig
            ),
        )
    }
    fn peek(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }
    fn skip_space(&mut self) {
        while self.peek().is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    /// One `float8` (leading and trailing blanks skipped), as `float8in`
    /// reads a number that other text follows.
    fn float(&mut self) -> PgResult<f64> {
        self.skip_space();
        let start = self.pos;
        let (v, len) = scan_float(&self.s[start..]).ok_or_else(|| self.err())?;
        self.pos += len;
        let text = &self.orig[start..start + len];
        let lower = text.to_ascii_lowercase();
        let word = lower.contains("inf") || lower.contains("nan");
        let underflow = v == 0.0
            && text
                .split(['e', 'E'])
                .next()
                .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)));
        if (v.is_infinite() && !word) || underflow {
            return Err(PgError::new(
                SqlState::NumericValueOutOfRange,
                format!("\"{text}\" is out of range for type double precision"),
            ));
        }
        self.skip_space();
        Ok(v)
    }
    /// `pair_decode`: `x,y` or `(x,y)`, blanks after a closing paren skipped.
    fn pair(&mut self) -> PgResult<Point> {
        self.skip_space();
        let delim = self.peek() == b'(';
        if delim {
            self.pos += 1;
        }
        let x = self.float()?;
        if self.peek() != b',' {
            return Err(self.err());
        }
        self.pos += 1;
        let y = self.float()?;
        if delim {
            if self.peek() != b')' {
                return Err(self.err());
            }
            self.pos += 1;
            self.skip_space();
        }
        Ok(Point { x, y })
    }
    /// `path_decode`: `npts` pairs, optionally in `[...]` (when `open_ok`,
    /// reporting it) or `(...)`.
    fn points(&mut self, open_ok: bool, npts: usize) -> PgResult<(Vec<Point>, bool)> {
        let mut depth = 0;
        self.skip_space();
        let open = self.peek() == b'[';
        if open {
            if !open_ok {
                return Err(self.err());
            }
            depth += 1;
            self.pos += 1;
        } else if self.peek() == b'(' {
            let mut cp = self.pos + 1;
            while self.at(cp).is_ascii_whitespace() {
                cp += 1;
            }
            // `((x,y),...)`, or `(x,y,...)` with no other paren: the outer
            // paren is the list's
            if self.at(cp) == b'(' || !self.s[self.pos + 1..].contains(&b'(') {
                depth += 1;
                self.pos = cp;
            }
        }
        let mut pts = Vec::with_capacity(npts);
        for _ in 0..npts {
            pts.push(self.pair()?);
            if self.peek() == b',' {
                self.pos += 1;
            }
        }
        while depth > 0 {
            let c = self.peek();
            if c == b')' || (c == b']' && open && depth == 1) {
                depth -= 1;
                self.pos += 1;
                self.skip_space();
            } else {
                return Err(self.err());
            }
        }
        Ok((pts, open))
    }
    fn finish(&self) -> PgResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err())
        }
    }
}

/// The longest prefix of `s` that C's `strtod` reads as a decimal number
/// (or `inf`, `infinity`, `nan`), with its value.
fn scan_float(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let rest = &s[i..];
    let starts =
        |w: &str| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes());
    let neg = s.first() == Some(&b'-');
    if starts("infinity") {
        return Some((
            if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            i + 8,
        ));
    }
    if starts("inf") {
        return Some((
            if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            i + 3,
        ));
    }
    if starts("nan") {
        return Some((f64::NAN, i + 3));
    }
    let mut digits = 0;
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits += 1;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if s.get(j).is_some_and(u8::is_ascii_digit) {
            while s.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            i = j;
        }
    }
    let text = std::str::from_utf8(&s[..i]).ok()?;
    text.parse::<f64>().ok().map(|v| (v, i))
}

/// `pair_count`: the number of points `,`-separated pairs make, or None.
fn pair_count(s: &str) -> Option<usize> {
    let n = s.bytes().filter(|&b| b == b',').count();
    (n % 2 == 1).then_some(n.div_ceil(2))
}

impl Geo {
    /// The text input of geometric type `type_oid`.
    pub fn parse(type_oid: u32, s: &str) -> PgResult<Geo> {
        use crate::oid;
        Ok(match type_oid {
            oid::POINT => {
                let mut r = Reader::new(s, "point");
                let p = r.pair()?;
                r.finish()?;
                Geo::Point(p)
            }
            oid::LSEG => {
                let mut r = Reader::new(s, "lseg");
                let (p, _) = r.points(true, 2)?;
                r.finish()?;
                Geo::Lseg(Lseg { p: [p[0], p[1]] })
            }
            oid::BOX => {
                let mut r = Reader::new(s, "box");
                let (p, _) = r.points(false, 2)?;
                r.finish()?;
                Geo::Box(GeoBox::new(p[0], p[1]))
            }
            oid::LINE => Geo::Line(parse_line(s)?),
            oid::PATH => {
                let mut r = Reader::new(s, "path");
                let npts = pair_count(s).ok_or_else(|| r.err())?;
                r.skip_space();
                let mut depth = 0;
                if r.peek() == b'(' && !r.s[r.pos + 1..].contains(&b'(') {
                    r.pos += 1;
                    depth += 1;
                }
                let (points, open) = r.points(true, npts)?;
                if depth >= 1 {
                    if r.peek() != b')' {
                        return Err(r.err());
                    }
                    r.pos += 1;
                    r.skip_space();
                }
                r.finish()?;
                Geo::Path(Path {
                    closed: !open,
                    points,
                })
            }
            oid::POLYGON => {
                let mut r = Reader::new(s, "polygon");
                let npts = pair_count(s).ok_or_else(|| r.err())?;
                let (points, _) = r.points(false, npts)?;
                r.finish()?;
                Geo::Polygon(Polygon::new(points))
            }
            oid::CIRCLE => Geo::Circle(parse_circle(s)?),
            _ => return Err(PgError::internal("not a geometric type")),
        })
    }

    /// The text output, coordinates as `float8out` prints them.
    pub fn to_text(&self, extra_float_digits: i32) -> String {
        let f = |v: f64| super::float::format_float8(v, extra_float_digits);
        let pts = |pts: &[Point]| {
            pts.iter()
                .map(|p| format!("({},{})", f(p.x), f(p.y)))
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Geo::Point(p) => pts(&[*p]),
            Geo::Lseg(l) => format!("[{}]", pts(&l.p)),
            Geo::Line(l) => format!("{{{},{},{}}}", f(l.a), f(l.b), f(l.c)),
            Geo::Box(b) => pts(&[b.high, b.low]),
            Geo::Path(p) if p.closed => format!("({})", pts(&p.points)),
            Geo::Path(p) => format!("[{}]", pts(&p.points)),
            Geo::Polygon(p) => format!("({})", pts(&p.points)),
            Geo::Circle(c) => format!("<{},{}>", pts(&[c.center]), f(c.radius)),
        }
    }

    /// The binary form (`*_send`): big-endian `float8`s, a path with its
    /// closed flag and point count, a polygon with its point count.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let put = |v: f64, out: &mut Vec<u8>| out.extend_from_slice(&v.to_bits().to_be_bytes());
        match self {
            Geo::Point(p) => {
                put(p.x, &mut out);
                put(p.y, &mut out);
            }
            Geo::Lseg(l) => {
                for p in l.p {
                    put(p.x, &mut out);
                    put(p.y, &mut out);
                }
            }
            Geo::Line(l) => {
                put(l.a, &mut out);
                put(l.b, &mut out);
                put(l.c, &mut out);
            }
            Geo::Box(b) => {
                for p in [b.high, b.low] {
                    put(p.x, &mut out);
                    put(p.y, &mut out);
                }
            }
            Geo::Path(p) => {
                out.push(u8::from(p.closed));
                out.extend_from_slice(&(p.points.len() as i32).to_be_bytes());
                for q in &p.points {
                    put(q.x, &mut out);
                    put(q.y, &mut out);
                }
            }
            Geo::Polygon(p) => {
                out.extend_from_slice(&(p.points.len() as i32).to_be_bytes());
                for q in &p.points {
                    put(q.x, &mut out);
                    put(q.y, &mut out);
                }
            }
            Geo::Circle(c) => {
                put(c.center.x, &mut out);
                put(c.center.y, &mut out);
                put(c.radius, &mut out);
            }
        }
        out
    }

    /// The form a heap tuple stores: the binary form, except that a path
    /// keeps its count and flag as two words and a pad word, and a polygon
    /// its bounding box, as PostgreSQL's `PATH` and `POLYGON` structs do
    /// (so that column widths, and with them the planner's estimates,
    /// are PostgreSQL's).
    pub fn to_storage(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let put = |v: f64, out: &mut Vec<u8>| out.extend_from_slice(&v.to_bits().to_be_bytes());
        match self {
            Geo::Path(p) => {
                out.extend_from_slice(&(p.points.len() as i32).to_be_bytes());
                out.extend_from_slice(&i32::from(p.closed).to_be_bytes());
                out.extend_from_slice(&0i32.to_be_bytes());
                for q in &p.points {
                    put(q.x, &mut out);
                    put(q.y, &mut out);
                }
            }
            Geo::Polygon(p) => {
                out.extend_from_slice(&(p.points.len() as i32).to_be_bytes());
                for v in [p.bound.high.x, p.bound.high.y, p.bound.low.x, p.bound.low.y] {
                    put(v, &mut out);
                }
                for q in &p.points {
                    put(q.x, &mut out);
                    put(q.y, &mut out);
                }
            }
            other => return other.to_binary(),
        }
        out
    }

    /// Reads [`Geo::to_storage`]'s form.
    pub fn from_storage(type_oid: u32, b: &[u8]) -> PgResult<Geo> {
        use crate::oid;
        let bad = || PgError::internal("invalid stored geometric value");
        let word = |i: usize| -> PgResult<i32> {
            let s = b.get(i..i + 4).ok_or_else(bad)?;
            Ok(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        };
        let f = |i: usize| -> PgResult<f64> {
            let s = b.get(i..i + 8).ok_or_else(bad)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            Ok(f64::from_bits(u64::from_be_bytes(a)))
        };
        let points = |from: usize, n: usize| -> PgResult<Vec<Point>> {
            (0..n)
                .map(|i| {
                    Ok(Point {
                        x: f(from + 16 * i)?,
                        y: f(from + 16 * i + 8)?,
                    })
                })
                .collect()
        };
        match type_oid {
            oid::PATH => {
                let n = usize::try_from(word(0)?).map_err(|_| bad())?;
                Ok(Geo::Path(Path {
                    closed: word(4)? != 0,
                    points: points(12, n)?,
                }))
            }
            oid::POLYGON => {
                let n = usize::try_from(word(0)?).map_err(|_| bad())?;
                Ok(Geo::Polygon(Polygon {
                    bound: GeoBox {
                        high: Point {
                            x: f(4)?,
                            y: f(12)?,
                        },
                        low: Point {
                            x: f(20)?,
                            y: f(28)?,
                        },
                    },
                    points: points(36, n)?,
                }))
            }
            _ => Geo::from_binary(type_oid, b),
        }
    }

    /// The binary input (`*_recv`).
    pub fn from_binary(type_oid: u32, b: &[u8]) -> PgResult<Geo> {
        use crate::oid;
        let short = || {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "insufficient data left in message",
            )
        };
        let f = |i: usize| -> PgResult<f64> {
            let s = b.get(i..i + 8).ok_or_else(short)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            Ok(f64::from_bits(u64::from_be_bytes(a)))
        };
        let pt = |i: usize| -> PgResult<Point> {
            Ok(Point {
                x: f(i)?,
                y: f(i + 8)?,
            })
        };
        let count = |i: usize, what: &str| -> PgResult<usize> {
            let s = b.get(i..i + 4).ok_or_else(short)?;
            let n = i32::from_be_bytes([s[0], s[1], s[2], s[3]]);
            if n <= 0 || n as usize > (b.len() - i - 4) / 16 + 1 {
                return Err(PgError::new(
                    SqlState::InvalidBinaryRepresentation,
                    format!("invalid number of points in external \"{what}\" value"),
                ));
            }
            Ok(n as usize)
        };
        let (g, used) = match type_oid {
            oid::POINT => (Geo::Point(pt(0)?), 16),
            oid::LSEG => (
                Geo::Lseg(Lseg {
                    p: [pt(0)?, pt(16)?],
                }),
                32,
            ),
            oid::BOX => (Geo::Box(GeoBox::new(pt(0)?, pt(16)?)), 32),
            oid::LINE => {
                let l = Line {
                    a: f(0)?,
                    b: f(8)?,
                    c: f(16)?,
                };
                if fp_zero(l.a) && fp_zero(l.b) {
                    return Err(PgError::new(
                        SqlState::InvalidBinaryRepresentation,
                        "invalid line specification: A and B cannot both be zero",
                    ));
                }
                (Geo::Line(l), 24)
            }
            oid::PATH => {
                let closed = *b.first().ok_or_else(short)? != 0;
                let n = count(1, "path")?;
                let points = (0..n).map(|i| pt(5 + 16 * i)).collect::<PgResult<_>>()?;
                (Geo::Path(Path { closed, points }), 5 + 16 * n)
            }
            oid::POLYGON => {
                let n = count(0, "polygon")?;
                let points = (0..n).map(|i| pt(4 + 16 * i)).collect::<PgResult<_>>()?;
                (Geo::Polygon(Polygon::new(points)), 4 + 16 * n)
            }
            oid::CIRCLE => {
                let c = Circle {
                    center: pt(0)?,
                    radius: f(16)?,
                };
                if c.radius < 0.0 {
                    return Err(PgError::new(
                        SqlState::InvalidBinaryRepresentation,
                        "invalid radius in external \"circle\" value",
                    ));
                }
                (Geo::Circle(c), 24)
            }
            _ => return Err(PgError::internal("not a geometric type")),
        };
        if used != b.len() {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "incorrect binary data format",
            ));
        }
        Ok(g)
    }
}

fn parse_line(s: &str) -> PgResult<Line> {
    let mut r = Reader::new(s, "line");
    r.skip_space();
    if r.peek() == b'{' {
        r.pos += 1;
        let mut vals = [0.0; 3];
        for (i, v) in vals.iter_mut().enumerate() {
            *v = r.float()?;
            let want = if i == 2 { b'}' } else { b',' };
            if r.peek() != want {
                return Err(r.err());
            }
            r.pos += 1;
        }
        r.skip_space();
        r.finish()?;
        let l = Line {
            a: vals[0],
            b: vals[1],
            c: vals[2],
        };
        if fp_zero(l.a) && fp_zero(l.b) {
            return Err(PgError::new(
                SqlState::InvalidTextRepresentation,
                "invalid line specification: A and B cannot both be zero",
            ));
        }
        Ok(l)
    } else {
        let (p, _) = r.points(true, 2)?;
        r.finish()?;
        if point_eq(&p[0], &p[1]) {
            return Err(PgError::new(
                SqlState::InvalidTextRepresentation,
                "invalid line specification: must be two distinct points",
            ));
        }
        Line::construct(&p[0], point_sl(&p[0], &p[1])?)
    }
}

fn parse_circle(s: &str) -> PgResult<Circle> {
    let mut r = Reader::new(s, "circle");
    r.skip_space();
    let mut depth = 0;
    if r.peek() == b'<' {
        depth += 1;
        r.pos += 1;
    } else if r.peek() == b'(' {
        let mut cp = r.pos + 1;
        while r.at(cp).is_ascii_whitespace() {
            cp += 1;
        }
        if r.at(cp) == b'(' {
            depth += 1;
            r.pos = cp;
        }
    }
    let center = r.pair()?;
    if r.peek() == b',' {
        r.pos += 1;
    }
    let radius = r.float()?;
    if radius < 0.0 {
        return Err(r.err());
    }
    while depth > 0 {
        let c = r.peek();
        if c == b')' || (c == b'>' && depth == 1) {
            depth -= 1;
            r.pos += 1;
            r.skip_space();
        } else {
            return Err(r.err());
        }
    }
    r.finish()?;
    Ok(Circle { center, radius })
}

// ---------------------------------------------------------------------------
// Points

/// Fuzzy point equality; with a NaN coordinate, exact (NaN equal to NaN).
pub fn point_eq(a: &Point, b: &Point) -> bool {
    if a.x.is_nan() || a.y.is_nan() || b.x.is_nan() || b.y.is_nan() {
        f_eq(a.x, b.x) && f_eq(a.y, b.y)
    } else {
        fp_eq(a.x, b.x) && fp_eq(a.y, b.y)
    }
}

pub fn point_dt(a: &Point, b: &Point) -> PgResult<f64> {
    hypot(mi(a.x, b.x)?, mi(a.y, b.y)?)
}

/// The slope from `a` to `b` (infinite if vertical).
pub fn point_sl(a: &Point, b: &Point) -> PgResult<f64> {
    if fp_eq(a.x, b.x) {
        return Ok(f64::INFINITY);
    }
    if fp_eq(a.y, b.y) {
        return Ok(0.0);
    }
    div(mi(a.y, b.y)?, mi(a.x, b.x)?)
}

/// The slope perpendicular to `a`-`b`.
fn point_invsl(a: &Point, b: &Point) -> PgResult<f64> {
    if fp_eq(a.x, b.x) {
        return Ok(0.0);
    }
    if fp_eq(a.y, b.y) {
        return Ok(f64::INFINITY);
    }
    div(mi(a.x, b.x)?, mi(b.y, a.y)?)
}

impl Point {
    pub fn add(&self, o: &Point) -> PgResult<Point> {
        Ok(Point {
            x: pl(self.x, o.x)?,
            y: pl(self.y, o.y)?,
        })
    }
    pub fn sub(&self, o: &Point) -> PgResult<Point> {
        Ok(Point {
            x: mi(self.x, o.x)?,
            y: mi(self.y, o.y)?,
        })
    }
    /// Multiplication as complex numbers (rotation and scaling).
    pub fn mul(&self, o: &Point) -> PgResult<Point> {
        Ok(Point {
            x: mi(mul(self.x, o.x)?, mul(self.y, o.y)?)?,
            y: pl(mul(self.x, o.y)?, mul(self.y, o.x)?)?,
        })
    }
    pub fn div(&self, o: &Point) -> PgResult<Point> {
        let d = pl(mul(o.x, o.x)?, mul(o.y, o.y)?)?;
        Ok(Point {
            x: div(pl(mul(self.x, o.x)?, mul(self.y, o.y)?)?, d)?,
            y: div(mi(mul(self.y, o.x)?, mul(self.x, o.y)?)?, d)?,
        })
    }
}

// ---------------------------------------------------------------------------
// Lines

impl Line {
    /// The line through `pt` with slope `m`.
    pub fn construct(pt: &Point, m: f64) -> PgResult<Line> {
        Ok(if m.is_infinite() {
            Line {
                a: -1.0,
                b: 0.0,
                c: pt.x,
            }
        } else if m == 0.0 {
            Line {
                a: 0.0,
                b: -1.0,
                c: pt.y,
            }
        } else {
            let c = mi(pt.y, mul(m, pt.x)?)?;
            Line {
                a: m,
                b: -1.0,
                c: if c == 0.0 { 0.0 } else { c },
            }
        })
    }

    /// `line(point, point)`.
    pub fn through(a: &Point, b: &Point) -> PgResult<Line> {
        if point_eq(a, b) {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                "invalid line specification: must be two distinct points",
            ));
        }
        Line::construct(a, point_sl(a, b)?)
    }

    pub fn sl(&self) -> PgResult<f64> {
        if fp_zero(self.a) {
            return Ok(0.0);
        }
        if fp_zero(self.b) {
            return Ok(f64::INFINITY);
        }
        div(self.a, -self.b)
    }

    fn invsl(&self) -> PgResult<f64> {
        if fp_zero(self.a) {
            return Ok(f64::INFINITY);
        }
        if fp_zero(self.b) {
            return Ok(0.0);
        }
        div(self.b, self.a)
    }

    /// The intersection point, None if parallel.
    pub fn interpt(&self, o: &Line) -> PgResult<Option<Point>> {
        let (l1, l2) = (self, o);
        let (mut x, mut y);
        if !fp_zero(l1.b) {
            if fp_eq(l2.a, mul(l1.a, div(l2.b, l1.b)?)?) {
                return Ok(None);
            }
            x = div(
                mi(mul(l1.b, l2.c)?, mul(l2.b, l1.c)?)?,
                mi(mul(l1.a, l2.b)?, mul(l2.a, l1.b)?)?,
            )?;
            y = div(-pl(mul(l1.a, x)?, l1.c)?, l1.b)?;
        } else if !fp_zero(l2.b) {
            if fp_eq(l1.a, mul(l2.a, div(l1.b, l2.b)?)?) {
                return Ok(None);
            }
            x = div(
                mi(mul(l2.b, l1.c)?, mul(l1.b, l2.c)?)?,
                mi(mul(l2.a, l1.b)?, mul(l1.a, l2.b)?)?,
            )?;
            y = div(-pl(mul(l2.a, x)?, l2.c)?, l2.b)?;
        } else {
            return Ok(None);
        }
        if x == 0.0 {
            x = 0.0;
        }
        if y == 0.0 {
            y = 0.0;
        }
        Ok(Some(Point { x, y }))
    }

    pub fn perp(&self, o: &Line) -> PgResult<bool> {
        let (l1, l2) = (self, o);
        if fp_zero(l1.a) {
            return Ok(fp_zero(l2.b));
        }
        if fp_zero(l2.a) {
            return Ok(fp_zero(l1.b));
        }
        if fp_zero(l1.b) {
            return Ok(fp_zero(l2.a));
        }
        if fp_zero(l2.b) {
            return Ok(fp_zero(l1.a));
        }
        Ok(fp_eq(div(mul(l1.a, l2.a)?, mul(l1.b, l2.b)?)?, -1.0))
    }

    pub fn same(&self, o: &Line) -> PgResult<bool> {
        let (l1, l2) = (self, o);
        if [l1.a, l1.b, l1.c, l2.a, l2.b, l2.c]
            .iter()
            .any(|v| v.is_nan())
        {
            return Ok(f_eq(l1.a, l2.a) && f_eq(l1.b, l2.b) && f_eq(l1.c, l2.c));
        }
        let ratio = if !fp_zero(l2.a) {
            div(l1.a, l2.a)?
        } else if !fp_zero(l2.b) {
            div(l1.b, l2.b)?
        } else if !fp_zero(l2.c) {
            div(l1.c, l2.c)?
        } else {
            1.0
        };
        Ok(fp_eq(l1.a, mul(ratio, l2.a)?)
            && fp_eq(l1.b, mul(ratio, l2.b)?)
            && fp_eq(l1.c, mul(ratio, l2.c)?))
    }

    pub fn distance(&self, o: &Line) -> PgResult<f64> {
        let (l1, l2) = (self, o);
        if l1.interpt(l2)?.is_some() {
            return Ok(0.0);
        }
        let ok = |v: f64| !fp_zero(v) && !v.is_nan();
        let ratio = if ok(l1.a) && ok(l2.a) {
            div(l1.a, l2.a)?
        } else if ok(l1.b) && ok(l2.b) {
            div(l1.b, l2.b)?
        } else {
            1.0
        };
        div(mi(l1.c, mul(ratio, l2.c)?)?.abs(), hypot(l1.a, l1.b)?)
    }

    pub fn contains(&self, p: &Point) -> PgResult<bool> {
        Ok(fp_zero(pl(
            pl(mul(self.a, p.x)?, mul(self.b, p.y)?)?,
            self.c,
        )?))
    }

    /// Distance from `p` and the closest point (NaN and `p` if none).
    pub fn closept_point(&self, p: &Point) -> PgResult<(f64, Point)> {
        let tmp = Line::construct(p, self.invsl()?)?;
        match tmp.interpt(self)? {
            Some(c) => Ok((point_dt(&c, p)?, c)),
            None => Ok((f64::NAN, *p)),
        }
    }
}

// ---------------------------------------------------------------------------
// Line segments

impl Lseg {
    pub fn sl(&self) -> PgResult<f64> {
        point_sl(&self.p[0], &self.p[1])
    }
    pub fn invsl(&self) -> PgResult<f64> {
        point_invsl(&self.p[0], &self.p[1])
    }
    pub fn length(&self) -> PgResult<f64> {
        point_dt(&self.p[0], &self.p[1])
    }
    pub fn center(&self) -> PgResult<Point> {
        Ok(Point {
            x: div(pl(self.p[0].x, self.p[1].x)?, 2.0)?,
            y: div(pl(self.p[0].y, self.p[1].y)?, 2.0)?,
        })
    }
    /// On the segment, by the triangle inequality.
    pub fn contains(&self, pt: &Point) -> PgResult<bool> {
        Ok(fp_eq(
            point_dt(pt, &self.p[0])? + point_dt(pt, &self.p[1])?,
            point_dt(&self.p[0], &self.p[1])?,
        ))
    }
    /// Where the segment meets `line` (an end point if it is one).
    pub fn interpt_line(&self, line: &Line) -> PgResult<Option<Point>> {
        let tmp = Line::construct(&self.p[0], self.sl()?)?;
        let Some(i) = tmp.interpt(line)? else {
            return Ok(None);
        };
        if !self.contains(&i)? {
            return Ok(None);
        }
        Ok(Some(if point_eq(&self.p[0], &i) {
            self.p[0]
        } else if point_eq(&self.p[1], &i) {
            self.p[1]
        } else {
            i
        }))
    }
    pub fn interpt(&self, o: &Lseg) -> PgResult<Option<Point>> {
        let tmp = Line::construct(&o.p[0], o.sl()?)?;
        let Some(i) = self.interpt_line(&tmp)? else {
            return Ok(None);
        };
        if !o.contains(&i)? {
            return Ok(None);
        }
        Ok(Some(i))
    }
    /// Distance to `line` and the closest point of the segment.
    pub fn closept_line(&self, line: &Line) -> PgResult<(f64, Point)> {
        if let Some(p) = self.interpt_line(line)? {
            return Ok((0.0, p));
        }
        let d1 = line.closept_point(&self.p[0])?.0;
        let d2 = line.closept_point(&self.p[1])?.0;
        Ok(if d1 < d2 {
            (d1, self.p[0])
        } else {
            (d2, self.p[1])
        })
    }
    pub fn closept_point(&self, pt: &Point) -> PgResult<(f64, Point)> {
        let tmp = Line::construct(pt, self.invsl()?)?;
        let (_, c) = self.closept_line(&tmp)?;
        Ok((point_dt(&c, pt)?, c))
    }
    /// Distance to `to` and the closest point on `self`.
    pub fn closept_lseg(&self, to: &Lseg) -> PgResult<(f64, Point)> {
        if let Some(p) = self.interpt(to)? {
            return Ok((0.0, p));
        }
        let (mut dist, mut res) = self.closept_point(&to.p[0])?;
        let (d, p) = self.closept_point(&to.p[1])?;
        if f_lt(d, dist) {
            dist = d;
            res = p;
        }
        for e in self.p {
            let d = to.closept_point(&e)?.0;
            if f_lt(d, dist) {
                dist = d;
                res = e;
            }
        }
        Ok((dist, res))
    }
    pub fn same(&self, o: &Lseg) -> bool {
        point_eq(&self.p[0], &o.p[0]) && point_eq(&self.p[1], &o.p[1])
    }
}

// ---------------------------------------------------------------------------
// Boxes

impl GeoBox {
    /// The box with corners `a` and `b` in any order.
    pub fn new(a: Point, b: Point) -> GeoBox {
        let (hx, lx) = if f_gt(a.x, b.x) {
            (a.x, b.x)
        } else {
            (b.x, a.x)
        };
        let (hy, ly) = if f_gt(a.y, b.y) {
            (a.y, b.y)
        } else {
            (b.y, a.y)
        };
        GeoBox {
            high: Point { x: hx, y: hy },
            low: Point { x: lx, y: ly },
        }
    }
    pub fn width(&self) -> PgResult<f64> {
        mi(self.high.x, self.low.x)
    }
    pub fn height(&self) -> PgResult<f64> {
        mi(self.high.y, self.low.y)
    }
    pub fn area(&self) -> PgResult<f64> {
        mul(self.width()?, self.height()?)
    }
    pub fn center(&self) -> PgResult<Point> {
        Ok(Point {
            x: div(pl(self.high.x, self.low.x)?, 2.0)?,
            y: div(pl(self.high.y, self.low.y)?, 2.0)?,
        })
    }
    pub fn overlaps(&self, o: &GeoBox) -> bool {
        fp_le(self.low.x, o.high.x)
            && fp_le(o.low.x, self.high.x)
            && fp_le(self.low.y, o.high.y)
            && fp_le(o.low.y, self.high.y)
    }
    pub fn contains_box(&self, o: &GeoBox) -> bool {
        fp_ge(self.high.x, o.high.x)
            && fp_le(self.low.x, o.low.x)
            && fp_ge(self.high.y, o.high.y)
            && fp_le(self.low.y, o.low.y)
    }
    pub fn contains_point(&self, p: &Point) -> bool {
        self.high.x >= p.x && self.low.x <= p.x && self.high.y >= p.y && self.low.y <= p.y
    }
    pub fn same(&self, o: &GeoBox) -> bool {
        point_eq(&self.high, &o.high) && point_eq(&self.low, &o.low)
    }
    /// The four sides, as PostgreSQL walks them.
    fn sides(&self) -> [Lseg; 4] {
        let ul = Point {
            x: self.low.x,
            y: self.high.y,
        };
        let lr = Point {
            x: self.high.x,
            y: self.low.y,
        };
        [
            Lseg { p: [self.low, ul] },
            Lseg { p: [self.high, ul] },
            Lseg { p: [self.low, lr] },
            Lseg { p: [self.high, lr] },
        ]
    }
    pub fn closept_point(&self, pt: &Point) -> PgResult<(f64, Point)> {
        if self.contains_point(pt) {
            return Ok((0.0, *pt));
        }
        let sides = self.sides();
        let (mut dist, mut res) = sides[0].closept_point(pt)?;
        for s in &sides[1..] {
            let (d, p) = s.closept_point(pt)?;
            if f_lt(d, dist) {
                dist = d;
                res = p;
            }
        }
        Ok((dist, res))
    }
    /// Whether the segment meets the box, and a point near it.
    pub fn interpt_lseg(&self, l: &Lseg) -> PgResult<Option<Point>> {
        let lbox = GeoBox {
            low: Point {
                x: f_min(l.p[0].x, l.p[1].x),
                y: f_min(l.p[0].y, l.p[1].y),
            },
            high: Point {
                x: f_max(l.p[0].x, l.p[1].x),
                y: f_max(l.p[0].y, l.p[1].y),
            },
        };
        if !lbox.overlaps(self) {
            return Ok(None);
        }
        let near = l.closept_point(&self.center()?)?.1;
        if self.contains_point(&l.p[0]) || self.contains_point(&l.p[1]) {
            return Ok(Some(near));
        }
        for s in self.sides() {
            if s.interpt(l)?.is_some() {
                return Ok(Some(near));
            }
        }
        Ok(None)
    }
    pub fn closept_lseg(&self, l: &Lseg) -> PgResult<(f64, Point)> {
        if let Some(p) = self.interpt_lseg(l)? {
            return Ok((0.0, p));
        }
        let sides = self.sides();
        let (mut dist, mut res) = sides[0].closept_lseg(l)?;
        for s in &sides[1..] {
            let (d, p) = s.closept_lseg(l)?;
            if f_lt(d, dist) {
                dist = d;
                res = p;
            }
        }
        Ok((dist, res))
    }
    /// `?#` of a line and a box: the line crosses a side.
    pub fn meets_line(&self, line: &Line) -> PgResult<bool> {
        let ll = self.low;
        let ul = Point {
            x: self.low.x,
            y: self.high.y,
        };
        let ur = self.high;
        let lr = Point {
            x: self.high.x,
            y: self.low.y,
        };
        for s in [[ll, ul], [ur, ul], [ur, lr], [ll, lr]] {
            if (Lseg { p: s }).interpt_line(line)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
    pub fn to_polygon(&self) -> Polygon {
        Polygon {
            points: vec![
                self.low,
                Point {
                    x: self.low.x,
                    y: self.high.y,
                },
                self.high,
                Point {
                    x: self.high.x,
                    y: self.low.y,
                },
            ],
            bound: GeoBox::new(self.high, self.low),
        }
    }
    pub fn map(&self, f: impl Fn(&Point) -> PgResult<Point>) -> PgResult<GeoBox> {
        Ok(GeoBox::new(f(&self.high)?, f(&self.low)?))
    }
}

// ---------------------------------------------------------------------------
// Paths and polygons

/// The segments of a point list: with the closing one first when `closed`.
fn segments(points: &[Point], closed: bool) -> Vec<Lseg> {
    let n = points.len();
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 {
            v.push(Lseg {
                p: [points[i - 1], points[i]],
            });
        } else if closed {
            v.push(Lseg {
                p: [points[n - 1], points[0]],
            });
        }
    }
    v
}

fn bound_of(points: &[Point]) -> GeoBox {
    let (mut x1, mut y1) = (points[0].x, points[0].y);
    let (mut x2, mut y2) = (x1, y1);
    for p in &points[1..] {
        if f_lt(p.x, x1) {
            x1 = p.x;
        }
        if f_gt(p.x, x2) {
            x2 = p.x;
        }
        if f_lt(p.y, y1) {
            y1 = p.y;
        }
        if f_gt(p.y, y2) {
            y2 = p.y;
        }
    }
    GeoBox {
        low: Point { x: x1, y: y1 },
        high: Point { x: x2, y: y2 },
    }
}

/// Minimum of the distances of pairs of segments (None without any).
fn min_segment_distance(a: &[Lseg], b: &[Lseg]) -> PgResult<Option<f64>> {
    let mut min: Option<f64> = None;
    for s in a {
        for t in b {
            let d = s.closept_lseg(t)?.0;
            if min.is_none_or(|m| f_lt(d, m)) {
                min = Some(d);
            }
        }
    }
    Ok(min)
}

impl Path {
    pub fn segments(&self) -> Vec<Lseg> {
        segments(&self.points, self.closed)
    }
    pub fn length(&self) -> PgResult<f64> {
        let mut r = 0.0;
        for s in self.segments() {
            r = pl(r, s.length()?)?;
        }
        Ok(r)
    }
    /// The area of a closed path (None if open).
    pub fn area(&self) -> PgResult<Option<f64>> {
        if !self.closed {
            return Ok(None);
        }
        let n = self.points.len();
        let mut area = 0.0;
        for i in 0..n {
            let (p, q) = (&self.points[i], &self.points[(i + 1) % n]);
            area = pl(area, mul(p.x, q.y)?)?;
            area = mi(area, mul(p.y, q.x)?)?;
        }
        Ok(Some(div(area.abs(), 2.0)?))
    }
    pub fn intersects(&self, o: &Path) -> PgResult<bool> {
        let bb = |pts: &[Point]| {
            let mut b = GeoBox {
                high: pts[0],
                low: pts[0],
            };
            for p in &pts[1..] {
                b.high.x = f_max(p.x, b.high.x);
                b.high.y = f_max(p.y, b.high.y);
                b.low.x = f_min(p.x, b.low.x);
                b.low.y = f_min(p.y, b.low.y);
            }
            b
        };
        if !bb(&self.points).overlaps(&bb(&o.points)) {
            return Ok(false);
        }
        for s in self.segments() {
            for t in o.segments() {
                if s.interpt(&t)?.is_some() {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
    pub fn distance(&self, o: &Path) -> PgResult<Option<f64>> {
        min_segment_distance(&self.segments(), &o.segments())
    }
    pub fn dist_point(&self, pt: &Point) -> PgResult<f64> {
        let mut r: Option<f64> = None;
        for s in self.segments() {
            let d = s.closept_point(pt)?.0;
            if r.is_none_or(|m| f_lt(d, m)) {
                r = Some(d);
            }
        }
        Ok(r.unwrap_or(0.0))
    }
    /// `point <@ path`: on an open path's segments, in or on a closed one.
    pub fn contains_point(&self, pt: &Point) -> PgResult<bool> {
        if !self.closed {
            let mut a = point_dt(pt, &self.points[0])?;
            for w in self.points.windows(2) {
                let b = point_dt(pt, &w[1])?;
                if fp_eq(pl(a, b)?, point_dt(&w[0], &w[1])?) {
                    return Ok(true);
                }
                a = b;
            }
            return Ok(false);
        }
        Ok(point_inside(pt, &self.points)? != 0)
    }
    pub fn map(&self, f: impl Fn(&Point) -> PgResult<Point>) -> PgResult<Path> {
        Ok(Path {
            closed: self.closed,
            points: self.points.iter().map(f).collect::<PgResult<_>>()?,
        })
    }
}

impl Polygon {
    pub fn new(points: Vec<Point>) -> Polygon {
        Polygon {
            bound: bound_of(&points),
            points,
        }
    }
    pub fn same(&self, o: &Polygon) -> bool {
        self.points.len() == o.points.len() && plist_same(&self.points, &o.points)
    }
    pub fn overlaps(&self, o: &Polygon) -> PgResult<bool> {
        if !self.bound.overlaps(&o.bound) {
            return Ok(false);
        }
        for s in segments(&self.points, true) {
            for t in segments(&o.points, true) {
                if s.interpt(&t)?.is_some() {
                    return Ok(true);
                }
            }
        }
        Ok(point_inside(&self.points[0], &o.points)? != 0
            || point_inside(&o.points[0], &self.points)? != 0)
    }
    pub fn contains(&self, o: &Polygon) -> PgResult<bool> {
        if !self.bound.contains_box(&o.bound) {
            return Ok(false);
        }
        let n = o.points.len();
        let mut a = o.points[n - 1];
        for b in &o.points {
            if !lseg_inside_poly(&a, b, self, 0)? {
                return Ok(false);
            }
            a = *b;
        }
        Ok(true)
    }
    pub fn contains_point(&self, p: &Point) -> PgResult<bool> {
        Ok(point_inside(p, &self.points)? != 0)
    }
    pub fn distance(&self, o: &Polygon) -> PgResult<Option<f64>> {
        if self.overlaps(o)? {
            return Ok(Some(0.0));
        }
        min_segment_distance(&segments(&self.points, true), &segments(&o.points, true))
    }
    pub fn dist_point(&self, pt: &Point) -> PgResult<f64> {
        if point_inside(pt, &self.points)? != 0 {
            return Ok(0.0);
        }
        let n = self.points.len();
        let mut r = Lseg {
            p: [self.points[0], self.points[n - 1]],
        }
        .closept_point(pt)?
        .0;
        for w in self.points.windows(2) {
            let d = Lseg { p: [w[0], w[1]] }.closept_point(pt)?.0;
            if f_lt(d, r) {
                r = d;
            }
        }
        Ok(r)
    }
    /// The circle of the mean of the points and their mean distance.
    pub fn to_circle(&self) -> PgResult<Circle> {
        let n = self.points.len() as f64;
        let mut c = Point::default();
        for p in &self.points {
            c = c.add(p)?;
        }
        c.x = div(c.x, n)?;
        c.y = div(c.y, n)?;
        let mut r = 0.0;
        for p in &self.points {
            r = pl(r, point_dt(p, &c)?)?;
        }
        Ok(Circle {
            center: c,
            radius: div(r, n)?,
        })
    }
}

fn plist_same(p1: &[Point], p2: &[Point]) -> bool {
    let n = p1.len();
    for i in 0..n {
        if !point_eq(&p2[i], &p1[0]) {
            continue;
        }
        // forwards
        if (1..n).all(|k| point_eq(&p2[(i + k) % n], &p1[k])) {
            return true;
        }
        // backwards
        if (1..n).all(|k| point_eq(&p2[(i + n - k) % n], &p1[k])) {
            return true;
        }
    }
    false
}

/// Where the segment `a`-`b`, which touches `s` at `a`, goes on from.
fn touched_lseg_inside_poly(
    a: &Point,
    b: &Point,
    s: &Lseg,
    poly: &Polygon,
    start: usize,
) -> PgResult<bool> {
    let t = Lseg { p: [*a, *b] };
    if point_eq(a, &s.p[0]) {
        if t.contains(&s.p[1])? {
            return lseg_inside_poly(b, &s.p[1], poly, start);
        }
    } else if point_eq(a, &s.p[1]) {
        if t.contains(&s.p[0])? {
            return lseg_inside_poly(b, &s.p[0], poly, start);
        }
    } else if t.contains(&s.p[0])? {
        return lseg_inside_poly(b, &s.p[0], poly, start);
    } else if t.contains(&s.p[1])? {
        return lseg_inside_poly(b, &s.p[1], poly, start);
    }
    Ok(true)
}

/// Whether the segment `a`-`b` lies inside `poly` (sides from `start` on).
fn lseg_inside_poly(a: &Point, b: &Point, poly: &Polygon, start: usize) -> PgResult<bool> {
    let n = poly.points.len();
    let t = Lseg { p: [*a, *b] };
    let mut res = true;
    let mut intersection = false;
    let mut s0 = poly.points[if start == 0 { n - 1 } else { start - 1 }];
    let mut i = start;
    while i < n && res {
        let s = Lseg {
            p: [s0, poly.points[i]],
        };
        if s.contains(&t.p[0])? {
            if s.contains(&t.p[1])? {
                return Ok(true);
            }
            res = touched_lseg_inside_poly(&t.p[0], &t.p[1], &s, poly, i + 1)?;
        } else if s.contains(&t.p[1])? {
            res = touched_lseg_inside_poly(&t.p[1], &t.p[0], &s, poly, i + 1)?;
        } else if let Some(ip) = t.interpt(&s)? {
            intersection = true;
            res = lseg_inside_poly(&t.p[0], &ip, poly, i + 1)?;
            if res {
                res = lseg_inside_poly(&t.p[1], &ip, poly, i + 1)?;
            }
        }
        s0 = s.p[1];
        i += 1;
    }
    if res && !intersection {
        let mid = t.center()?;
        res = point_inside(&mid, &poly.points)? != 0;
    }
    Ok(res)
}

/// 0 outside, 1 inside, 2 on the border (a ray-crossing count).
pub fn point_inside(p: &Point, plist: &[Point]) -> PgResult<i32> {
    const ON: i32 = i32::MAX;
    let x0 = mi(plist[0].x, p.x)?;
    let y0 = mi(plist[0].y, p.y)?;
    let (mut px, mut py) = (x0, y0);
    let mut total = 0;
    for q in &plist[1..] {
        let x = mi(q.x, p.x)?;
        let y = mi(q.y, p.y)?;
        let c = lseg_crossing(x, y, px, py)?;
        if c == ON {
            return Ok(2);
        }
        total += c;
        px = x;
        py = y;
    }
    let c = lseg_crossing(x0, y0, px, py)?;
    if c == ON {
        return Ok(2);
    }
    total += c;
    Ok(i32::from(total != 0))
}

/// How the segment from (prev_x, prev_y) to (x, y) crosses the positive
/// X axis: 0, ±1 for a touch, ±2 for a crossing, `i32::MAX` if the origin
/// lies on it.
fn lseg_crossing(x: f64, y: f64, prev_x: f64, prev_y: f64) -> PgResult<i32> {
    const ON: i32 = i32::MAX;
    if fp_zero(y) {
        if fp_zero(x) {
            return Ok(ON);
        }
        if fp_gt(x, 0.0) {
            if fp_zero(prev_y) {
                return Ok(if fp_gt(prev_x, 0.0) { 0 } else { ON });
            }
            return Ok(if fp_lt(prev_y, 0.0) { 1 } else { -1 });
        }
        if fp_zero(prev_y) {
            return Ok(if fp_lt(prev_x, 0.0) { 0 } else { ON });
        }
        return Ok(0);
    }
    let y_sign = if fp_gt(y, 0.0) { 1 } else { -1 };
    if fp_zero(prev_y) {
        return Ok(if fp_lt(prev_x, 0.0) { 0 } else { y_sign });
    }
    if (y_sign < 0 && fp_lt(prev_y, 0.0)) || (y_sign > 0 && fp_gt(prev_y, 0.0)) {
        return Ok(0);
    }
    if fp_ge(x, 0.0) && fp_gt(prev_x, 0.0) {
        return Ok(2 * y_sign);
    }
    if fp_lt(x, 0.0) && fp_le(prev_x, 0.0) {
        return Ok(0);
    }
    let z = mi(mul(mi(x, prev_x)?, y)?, mul(mi(y, prev_y)?, x)?)?;
    if fp_zero(z) {
        return Ok(ON);
    }
    if (y_sign < 0 && fp_lt(z, 0.0)) || (y_sign > 0 && fp_gt(z, 0.0)) {
        return Ok(0);
    }
    Ok(2 * y_sign)
}

// ---------------------------------------------------------------------------
// Circles

impl Circle {
    pub fn area(&self) -> PgResult<f64> {
        mul(mul(self.radius, self.radius)?, std::f64::consts::PI)
    }
    pub fn same(&self, o: &Circle) -> bool {
        ((self.radius.is_nan() && o.radius.is_nan()) || fp_eq(self.radius, o.radius))
            && point_eq(&self.center, &o.center)
    }
    pub fn to_box(&self) -> PgResult<GeoBox> {
        let delta = div(self.radius, 2f64.sqrt())?;
        Ok(GeoBox {
            high: Point {
                x: pl(self.center.x, delta)?,
                y: pl(self.center.y, delta)?,
            },
            low: Point {
                x: mi(self.center.x, delta)?,
                y: mi(self.center.y, delta)?,
            },
        })
    }
    pub fn from_box(b: &GeoBox) -> PgResult<Circle> {
        let center = b.center()?;
        Ok(Circle {
            center,
            radius: point_dt(&center, &b.high)?,
        })
    }
    pub fn to_polygon(&self, npts: i32) -> PgResult<Polygon> {
        if fp_zero(self.radius) {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "cannot convert circle with radius zero to polygon",
            ));
        }
        if npts < 2 {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                "must request at least 2 points",
            ));
        }
        let step = div(2.0 * std::f64::consts::PI, f64::from(npts))?;
        let mut pts = Vec::with_capacity(npts as usize);
        for i in 0..npts {
            let angle = mul(step, f64::from(i))?;
            pts.push(Point {
                x: mi(self.center.x, mul(self.radius, angle.cos())?)?,
                y: pl(self.center.y, mul(self.radius, angle.sin())?)?,
            });
        }
        Ok(Polygon::new(pts))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::oid;

    fn round(t: u32, s: &str) -> String {
        Geo::parse(t, s).unwrap().to_text(1)
    }

    #[test]
    fn text_forms_match_postgres() {
        assert_eq!(round(oid::POINT, " ( 1 , 2 ) "), "(1,2)");
        assert_eq!(round(oid::POINT, "1e3,-2.5"), "(1000,-2.5)");
        assert_eq!(round(oid::BOX, "(0,0),(1,1)"), "(1,1),(0,0)");
        assert_eq!(round(oid::BOX, "(1,0,0,1)"), "(1,1),(0,0)");
        assert_eq!(round(oid::LSEG, "1,2,3,4"), "[(1,2),(3,4)]");
        assert_eq!(round(oid::PATH, "[1,2,3,4]"), "[(1,2),(3,4)]");
        assert_eq!(round(oid::PATH, "(1,2),(3,4)"), "((1,2),(3,4))");
        assert_eq!(round(oid::POLYGON, "1,2,3,4,5,6"), "((1,2),(3,4),(5,6))");
        assert_eq!(round(oid::CIRCLE, "1,2,3"), "<(1,2),3>");
        assert_eq!(round(oid::CIRCLE, "((1,2),3)"), "<(1,2),3>");
        assert_eq!(round(oid::LINE, "{1,2,3}"), "{1,2,3}");
        assert_eq!(round(oid::LINE, "[(0,0),(1,1)]"), "{1,-1,0}");
    }

    #[test]
    fn input_errors_match_postgres() {
        let e = Geo::parse(oid::POINT, "(1,2").unwrap_err();
        assert_eq!(e.message, "invalid input syntax for type point: \"(1,2\"");
        let e = Geo::parse(oid::LINE, "{0,0,1}").unwrap_err();
        assert_eq!(
            e.message,
            "invalid line specification: A and B cannot both be zero"
        );
        assert!(Geo::parse(oid::CIRCLE, "<(1,2),-1>").is_err());
        assert!(Geo::parse(oid::PATH, "[(1,2),(3,4)").is_err());
        let e = Geo::parse(oid::POINT, "(1e400,0)").unwrap_err();
        assert_eq!(
            e.message,
            "\"1e400\" is out of range for type double precision"
        );
    }

    #[test]
    fn binary_round_trip() {
        for (t, s) in [
            (oid::POINT, "(1,2)"),
            (oid::PATH, "[(1,2),(3,4)]"),
            (oid::POLYGON, "((1,2),(3,4),(5,0))"),
            (oid::CIRCLE, "<(1,2),3>"),
        ] {
            let g = Geo::parse(t, s).unwrap();
            assert_eq!(Geo::from_binary(t, &g.to_binary()).unwrap(), g);
            assert_eq!(Geo::from_storage(t, &g.to_storage()).unwrap(), g);
        }
    }

    #[test]
    fn point_in_polygon() {
        let sq = [
            Point { x: 0.0, y: 0.0 },
            Point { x: 0.0, y: 2.0 },
            Point { x: 2.0, y: 2.0 },
            Point { x: 2.0, y: 0.0 },
        ];
        assert_eq!(point_inside(&Point { x: 1.0, y: 1.0 }, &sq).unwrap(), 1);
        assert_eq!(point_inside(&Point { x: 0.0, y: 1.0 }, &sq).unwrap(), 2);
        assert_eq!(point_inside(&Point { x: 3.0, y: 1.0 }, &sq).unwrap(), 0);
    }
}
