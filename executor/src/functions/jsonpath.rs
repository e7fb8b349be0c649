//! The SQL/JSON path functions over jsonb (`jsonb_path_exists`,
//! `jsonb_path_match`, `jsonb_path_query`, `_array`, `_first`, their `_tz`
//! forms, and the operators `@?` and `@@`): PostgreSQL's path evaluator.
//!
//! Evaluation walks the parsed path ([`types::datum::jsonpath::Item`]) over a
//! jsonb value. Each step returns a [`Status`] and, when the caller wants
//! them, appends the items it found; a caller that only asks whether there is
//! an item passes no list, and the walk stops at the first one (as in
//! PostgreSQL, so an error after that first item is never reached).
//!
//! Lax mode unwraps arrays where an object or a scalar is wanted, wraps a
//! non-array where an array is wanted, and ignores structural errors (a key
//! that is not there, a subscript out of bounds). Strict mode reports them;
//! `silent` turns reportable errors into "no item" ([`Status::Error`]).
//! Predicates are three-valued ([`Truth`]): an error inside a filter makes it
//! unknown, never an error of the query.
//!
//! `.keyvalue()` ids are PostgreSQL's: the byte offset of the object in its
//! base object's binary jsonb (computed by [`layout`] and found by address;
//! a copy, such as `@`, gets the offset of the first equal object). Datetimes are in
//! [`super::jsonpath_datetime`].

use types::datum::Numeric;
use types::datum::json::Jsonb;
use types::datum::jsonpath::{
    BinaryOp, Item, ItemKind, JsonPath, Method, REGEX_DOTALL, REGEX_ICASE, REGEX_MLINE,
    REGEX_QUOTE, StackGuard,
};
use types::datum::{OutputOptions, TimeZone};
use types::{Datum, PgError, PgResult, SqlState};

use super::jsonpath_datetime as datetime;

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use super::arg;

/// The outcome of evaluating one step (PostgreSQL's `JsonPathExecResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    NotFound,
    /// An error that `silent` (or a predicate) suppressed.
    Error,
}

/// Three-valued logic of predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    False,
    True,
    Unknown,
}

type Res = PgResult<Status>;
type Found<'f> = Option<&'f mut Vec<Jsonb>>;

struct Cx<'a> {
    vars: Option<&'a Jsonb>,
    lax: bool,
    ignore_structural: bool,
    throw: bool,
    root: &'a Jsonb,
    /// `@`: the item a filter is testing.
    current: Jsonb,
    /// The size of the array whose subscripts are being evaluated (`last`).
    innermost_array_size: i64,
    /// Counter for the `id` of `.keyvalue()` results.
    generated: i64,
    /// The value `.keyvalue()` ids are relative to, and its number: the
    /// root (0), `vars` (1), or an object `.keyvalue()` made.
    base: (i64, BaseOf),
    /// Offsets of the containers of the root and of `vars` by address
    /// (built when `.keyvalue()` first needs them).
    root_offsets: Option<HashMap<usize, usize>>,
    vars_offsets: Option<HashMap<usize, usize>>,
    /// Whether datetime comparisons may use the session zone (`_tz`).
    use_tz: bool,
    zone: TimeZone,
    stack: StackGuard,
}

/// The base object of `.keyvalue()` ids.
#[derive(Debug, Clone)]
enum BaseOf {
    Root,
    Vars,
    /// an object `.keyvalue()` made
    Made(Rc<Jsonb>),
}

/// An error `silent` may suppress: raised when errors are thrown, else the
/// step's status is `Error`.
fn soft(cx: &Cx<'_>, code: SqlState, message: impl Into<String>) -> Res {
    if cx.throw {
        Err(PgError::new(code, message))
    } else {
        Ok(Status::Error)
    }
}

fn number(n: i64) -> Jsonb {
    Jsonb::Number(Numeric::from_i64(n))
}

impl Cx<'_> {
    fn item(&mut self, jsp: &Item, jb: &Jsonb, found: Found<'_>) -> Res {
        let unwrap = self.lax;
        self.item_unwrap_target(jsp, jb, found, unwrap)
    }

    /// The step after `cur` on `v`, or `v` itself when `cur` is the last step.
    fn next(&mut self, cur: &Item, v: Cow<'_, Jsonb>, found: Found<'_>) -> Res {
        self.next_of(cur.next.as_deref(), v, found)
    }

    fn next_of(&mut self, next: Option<&Item>, v: Cow<'_, Jsonb>, found: Found<'_>) -> Res {
        match next {
            Some(n) => self.item(n, &v, found),
            None => {
                if let Some(f) = found {
                    f.push(v.into_owned());
                }
                Ok(Status::Ok)
            }
        }
    }

    /// Each element of array `jb` through `jsp` (or collected when None).
    fn unwrap_target_array(
        &mut self,
        jsp: Option<&Item>,
        jb: &Jsonb,
        found: Found<'_>,
        unwrap_elements: bool,
    ) -> Res {
        self.any_item(jsp, jb, found, 1, 1, 1, false, unwrap_elements)
    }

    #[allow(clippy::too_many_arguments)]
    fn any_item(
        &mut self,
        jsp: Option<&Item>,
        container: &Jsonb,
        mut found: Found<'_>,
        level: u32,
        first: u32,
        last: u32,
        ignore_structural: bool,
        unwrap_next: bool,
    ) -> Res {
        self.stack.check()?;
        let mut res = Status::NotFound;
        if level > last {
            return Ok(res);
        }
        let children: Vec<&Jsonb> = match container {
            Jsonb::Array(items) => items.iter().collect(),
            Jsonb::Object(pairs) => pairs.iter().map(|(_, v)| v).collect(),
            _ => return Ok(res),
        };
        for v in children {
            let is_container = matches!(v, Jsonb::Array(_) | Jsonb::Object(_));
            if level >= first || (first == u32::MAX && last == u32::MAX && !is_container) {
                if let Some(jsp) = jsp {
                    let saved = self.ignore_structural;
                    if ignore_structural {
                        self.ignore_structural = true;
                    }
                    let r = self.item_unwrap_target(jsp, v, found.as_deref_mut(), unwrap_next);
                    self.ignore_structural = saved;
                    res = r?;
                } else if let Some(f) = found.as_deref_mut() {
                    f.push(v.clone());
                } else {
                    return Ok(Status::Ok);
                }
                if res == Status::Error || (res == Status::Ok && found.is_none()) {
                    break;
                }
            }
            if level < last && is_container {
                res = self.any_item(
                    jsp,
                    v,
                    found.as_deref_mut(),
                    level + 1,
                    first,
                    last,
                    ignore_structural,
                    unwrap_next,
                )?;
                if res == Status::Error || (res == Status::Ok && found.is_none()) {
                    break;
                }
            }
        }
        Ok(res)
    }

    fn item_unwrap_target(
        &mut self,
        jsp: &Item,
        jb: &Jsonb,
        mut found: Found<'_>,
        unwrap: bool,
    ) -> Res {
        self.stack.check()?;
        if jsp.is_boolean() {
            let st = self.bool_item(jsp, jb, true)?;
            if jsp.next.is_none() && found.is_none() {
                return Ok(Status::Ok);
            }
            let v = match st {
                Truth::Unknown => Jsonb::Null,
                t => Jsonb::Bool(t == Truth::True),
            };
            return self.next(jsp, Cow::Owned(v), found);
        }
        match &jsp.kind {
            ItemKind::Key(key) => match jb {
                Jsonb::Object(_) => match jb.field(key) {
                    Some(v) => self.next(jsp, Cow::Borrowed(v), found),
                    None if !self.ignore_structural => soft(
                        self,
                        SqlState::SqlJsonMemberNotFound,
                        format!("JSON object does not contain key \"{key}\""),
                    ),
                    None => Ok(Status::NotFound),
                },
                Jsonb::Array(_) if unwrap => self.unwrap_target_array(Some(jsp), jb, found, false),
                _ if !self.ignore_structural => soft(
                    self,
                    SqlState::SqlJsonMemberNotFound,
                    "jsonpath member accessor can only be applied to an object",
                ),
                _ => Ok(Status::NotFound),
            },
            ItemKind::Root => {
                let root = self.root;
                let saved = std::mem::replace(&mut self.base, (0, BaseOf::Root));
                let r = self.next(jsp, Cow::Borrowed(root), found);
                self.base = saved;
                r
            }
            ItemKind::Current => {
                let cur = self.current.clone();
                self.next(jsp, Cow::Owned(cur), found)
            }
            ItemKind::AnyArray => {
                if let Jsonb::Array(_) = jb {
                    let lax = self.lax;
                    self.unwrap_target_array(jsp.next.as_deref(), jb, found, lax)
                } else if self.lax {
                    self.next(jsp, Cow::Borrowed(jb), found)
                } else if !self.ignore_structural {
                    soft(
                        self,
                        SqlState::SqlJsonArrayNotFound,
                        "jsonpath wildcard array accessor can only be applied to an array",
                    )
                } else {
                    Ok(Status::NotFound)
                }
            }
            ItemKind::IndexArray(elems) => self.index_array(jsp, elems, jb, found),
            ItemKind::Last => {
                if self.innermost_array_size < 0 {
                    return Err(PgError::internal(
                        "evaluating jsonpath LAST outside of array subscript",
                    ));
                }
                if jsp.next.is_none() && found.is_none() {
                    return Ok(Status::Ok);
                }
                let last = number(self.innermost_array_size - 1);
                self.next(jsp, Cow::Owned(last), found)
            }
            ItemKind::AnyKey => match jb {
                Jsonb::Object(_) => {
                    let lax = self.lax;
                    self.any_item(jsp.next.as_deref(), jb, found, 1, 1, 1, false, lax)
                }
                Jsonb::Array(_) if unwrap => self.unwrap_target_array(Some(jsp), jb, found, false),
                _ if !self.ignore_structural => soft(
                    self,
                    SqlState::SqlJsonObjectNotFound,
                    "jsonpath wildcard member accessor can only be applied to an object",
                ),
                _ => Ok(Status::NotFound),
            },
            ItemKind::Binary(op, l, r) => self.binary_arith(jsp, *op, l, r, jb, found),
            ItemKind::Plus(a) => self.unary_arith(jsp, a, false, jb, found),
            ItemKind::Minus(a) => self.unary_arith(jsp, a, true, jb, found),
            ItemKind::Filter(pred) => {
                if unwrap && matches!(jb, Jsonb::Array(_)) {
                    return self.unwrap_target_array(Some(jsp), jb, found, false);
                }
                if self.nested_bool(pred, jb)? != Truth::True {
                    Ok(Status::NotFound)
                } else {
                    self.next(jsp, Cow::Borrowed(jb), found)
                }
            }
            ItemKind::Any { first, last } => {
                let mut res = Status::NotFound;
                if *first == 0 {
                    let saved = self.ignore_structural;
                    self.ignore_structural = true;
                    let r = self.next(jsp, Cow::Borrowed(jb), found.as_deref_mut());
                    self.ignore_structural = saved;
                    res = r?;
                    if res == Status::Ok && found.is_none() {
                        return Ok(res);
                    }
                }
                if matches!(jb, Jsonb::Array(_) | Jsonb::Object(_)) {
                    let lax = self.lax;
                    res =
                        self.any_item(jsp.next.as_deref(), jb, found, 1, *first, *last, true, lax)?;
                }
                Ok(res)
            }
            ItemKind::Null
            | ItemKind::Bool(_)
            | ItemKind::Numeric(_)
            | ItemKind::String(_)
            | ItemKind::Variable(_) => {
                if jsp.next.is_none()
                    && found.is_none()
                    && !matches!(jsp.kind, ItemKind::Variable(_))
                {
                    return Ok(Status::Ok);
                }
                let v = self.literal(jsp)?;
                let saved = self.base.clone();
                if let (ItemKind::Variable(_), Some(_)) = (&jsp.kind, self.vars) {
                    self.base = (1, BaseOf::Vars);
                }
                let r = self.next(jsp, Cow::Owned(v), found);
                self.base = saved;
                r
            }
            ItemKind::Method(Method::Type) => {
                let name = match datetime::from_jsonb(jb) {
                    Some(dt) => dt.type_name(),
                    None => jb.type_name(),
                };
                let t = Jsonb::String(name.to_string());
                self.next(jsp, Cow::Owned(t), found)
            }
            ItemKind::Method(Method::Size) => {
                let size = match jb {
                    Jsonb::Array(items) => items.len() as i64,
                    _ if !self.lax => {
                        if !self.ignore_structural {
                            return soft(
                                self,
                                SqlState::SqlJsonArrayNotFound,
                                "jsonpath item method .size() can only be applied to an array",
                            );
                        }
                        return Ok(Status::NotFound);
                    }
                    _ => 1,
                };
                self.next(jsp, Cow::Owned(number(size)), found)
            }
            ItemKind::Method(m @ (Method::Abs | Method::Floor | Method::Ceiling)) => {
                if unwrap && matches!(jb, Jsonb::Array(_)) {
                    return self.unwrap_target_array(Some(jsp), jb, found, false);
                }
                let Jsonb::Number(n) = jb else {
                    return soft(
                        self,
                        SqlState::NonNumericSqlJsonItem,
                        format!(
                            "jsonpath item method .{}() can only be applied to a numeric value",
                            m.name()
                        ),
                    );
                };
                let r = match m {
                    Method::Abs => n.abs(),
                    Method::Floor => n.ceil_floor(false)?,
                    _ => n.ceil_floor(true)?,
                };
                if jsp.next.is_none() && found.is_none() {
                    return Ok(Status::Ok);
                }
                self.next(jsp, Cow::Owned(Jsonb::Number(r)), found)
            }
            ItemKind::Method(Method::Double) => {
                if unwrap && matches!(jb, Jsonb::Array(_)) {
                    return self.unwrap_target_array(Some(jsp), jb, found, false);
                }
                let v = match jb {
                    Jsonb::Number(n) => {
                        let f = n.to_f64();
                        if !f.is_finite() {
                            return soft(
                                self,
                                SqlState::NonNumericSqlJsonItem,
                                "numeric argument of jsonpath item method .double() is out of range for type double precision",
                            );
                        }
                        jb.clone()
                    }
                    Jsonb::String(s) => {
                        let f = types::datum::float::parse_float(s);
                        match f {
                            Some(f) if f.is_finite() => Jsonb::Number(Numeric::from_f64(f, 15)?),
                            _ => {
                                return soft(
                                    self,
                                    SqlState::NonNumericSqlJsonItem,
                                    "string argument of jsonpath item method .double() is not a valid representation of a double precision number",
                                );
                            }
                        }
                    }
                    _ => {
                        return soft(
                            self,
                            SqlState::NonNumericSqlJsonItem,
                            "jsonpath item method .double() can only be applied to a string or numeric value",
                        );
                    }
                };
                self.next(jsp, Cow::Owned(v), found)
            }
            ItemKind::Method(Method::KeyValue) => {
                if unwrap && matches!(jb, Jsonb::Array(_)) {
                    return self.unwrap_target_array(Some(jsp), jb, found, false);
                }
                self.key_value(jsp, jb, found)
            }
            ItemKind::Datetime(template) => {
                if unwrap && matches!(jb, Jsonb::Array(_)) {
                    return self.unwrap_target_array(Some(jsp), jb, found, false);
                }
                let Jsonb::String(s) = jb else {
                    return soft(
                        self,
                        SqlState::InvalidArgumentForSqlJsonDatetimeFunction,
                        "jsonpath item method .datetime() can only be applied to a string",
                    );
                };
                if let Some(t) = template {
                    datetime::check_template(t)?;
                }
                let dt = match template {
                    Some(t) => match datetime::parse(s, t) {
                        Ok(dt) => dt,
                        Err(e) if self.throw => return Err(e),
                        Err(_) => return Ok(Status::Error),
                    },
                    None => {
                        match datetime::FORMATS
                            .iter()
                            .find_map(|f| datetime::parse(s, f).ok())
                        {
                            Some(dt) => dt,
                            None if self.throw => {
                                return Err(PgError::new(
                                    SqlState::InvalidArgumentForSqlJsonDatetimeFunction,
                                    format!("datetime format is not recognized: \"{s}\""),
                                )
                                .with_hint(
                                    "Use a datetime template argument to specify the input data format.",
                                ));
                            }
                            None => return Ok(Status::Error),
                        }
                    }
                };
                if jsp.next.is_none() && found.is_none() {
                    return Ok(Status::Ok);
                }
                self.next(jsp, Cow::Owned(datetime::to_jsonb(dt)), found)
            }
            // predicates are handled above
            ItemKind::Not(_)
            | ItemKind::IsUnknown(_)
            | ItemKind::Exists(_)
            | ItemKind::LikeRegex { .. } => Err(PgError::internal("unexpected jsonpath predicate")),
        }
    }

    fn literal(&mut self, jsp: &Item) -> PgResult<Jsonb> {
        Ok(match &jsp.kind {
            ItemKind::Null => Jsonb::Null,
            ItemKind::Bool(b) => Jsonb::Bool(*b),
            ItemKind::Numeric(n) => Jsonb::Number(n.clone()),
            ItemKind::String(s) => Jsonb::String(s.clone()),
            ItemKind::Variable(name) => match self.vars {
                None => Jsonb::Null,
                Some(vars) => match vars.field(name) {
                    Some(v) => v.clone(),
                    None => {
                        return Err(PgError::new(
                            SqlState::UndefinedObject,
                            format!("could not find jsonpath variable \"{name}\""),
                        ));
                    }
                },
            },
            _ => return Err(PgError::internal("not a jsonpath literal")),
        })
    }

    fn index_array(
        &mut self,
        jsp: &Item,
        elems: &[(Item, Option<Item>)],
        jb: &Jsonb,
        mut found: Found<'_>,
    ) -> Res {
        let items: Option<&Vec<Jsonb>> = match jb {
            Jsonb::Array(items) => Some(items),
            _ => None,
        };
        if items.is_none() && !self.lax {
            if !self.ignore_structural {
                return soft(
                    self,
                    SqlState::SqlJsonArrayNotFound,
                    "jsonpath array accessor can only be applied to an array",
                );
            }
            return Ok(Status::NotFound);
        }
        let size = items.map_or(1, |v| v.len() as i64);
        let saved = self.innermost_array_size;
        self.innermost_array_size = size;
        let mut res = Status::NotFound;
        for (from, to) in elems {
            let index_from = match self.array_index(from, jb)? {
                Ok(i) => i,
                Err(st) => {
                    res = st;
                    break;
                }
            };
            let index_to = match to {
                Some(to) => match self.array_index(to, jb)? {
                    Ok(i) => i,
                    Err(st) => {
                        res = st;
                        break;
                    }
                },
                None => index_from,
            };
            if !self.ignore_structural
                && (index_from < 0 || index_from > index_to || index_to >= size)
            {
                return soft(
                    self,
                    SqlState::InvalidSqlJsonSubscript,
                    "jsonpath array subscript is out of bounds",
                );
            }
            let index_from = index_from.max(0);
            let index_to = index_to.min(size - 1);
            res = Status::NotFound;
            let mut index = index_from;
            while index <= index_to {
                let v = match items {
                    None => jb,
                    Some(items) => match items.get(index as usize) {
                        Some(v) => v,
                        None => {
                            index += 1;
                            continue;
                        }
                    },
                };
                if jsp.next.is_none() && found.is_none() {
                    return Ok(Status::Ok);
                }
                res = self.next(jsp, Cow::Borrowed(v), found.as_deref_mut())?;
                if res == Status::Error || (res == Status::Ok && found.is_none()) {
                    break;
                }
                index += 1;
            }
            if res == Status::Error || (res == Status::Ok && found.is_none()) {
                break;
            }
        }
        self.innermost_array_size = saved;
        Ok(res)
    }

    /// A subscript's value as an integer, or the status to stop with.
    fn array_index(&mut self, jsp: &Item, jb: &Jsonb) -> PgResult<Result<i64, Status>> {
        let mut found = Vec::new();
        let res = self.item(jsp, jb, Some(&mut found))?;
        if res == Status::Error {
            return Ok(Err(res));
        }
        let n = match found.as_slice() {
            [Jsonb::Number(n)] => n.clone(),
            _ => {
                return soft(
                    self,
                    SqlState::InvalidSqlJsonSubscript,
                    "jsonpath array subscript is not a single numeric value",
                )
                .map(Err);
            }
        };
        let truncated = n.round_to(0, true)?;
        match truncated.to_i64_rounded() {
            Some(i) if i32::try_from(i).is_ok() => Ok(Ok(i)),
            _ => soft(
                self,
                SqlState::InvalidSqlJsonSubscript,
                "jsonpath array subscript is out of integer range",
            )
            .map(Err),
        }
    }

    fn key_value(&mut self, jsp: &Item, jb: &Jsonb, mut found: Found<'_>) -> Res {
        let Jsonb::Object(pairs) = jb else {
            return soft(
                self,
                SqlState::SqlJsonObjectNotFound,
                "jsonpath item method .keyvalue() can only be applied to an object",
            );
        };
        if pairs.is_empty() {
            return Ok(Status::NotFound);
        }
        // PostgreSQL's id: the object's byte offset in its base object's
        // binary jsonb, plus the base object's number times 10^10.
        let offset = self.offset_in_base(jb).unwrap_or(0) as i64;
        let id = offset.wrapping_add(self.base.0.wrapping_mul(10_000_000_000));
        let mut res = Status::NotFound;
        for (k, v) in pairs {
            res = Status::Ok;
            if jsp.next.is_none() && found.is_none() {
                break;
            }
            let obj = Jsonb::object(vec![
                ("key".to_string(), Jsonb::String(k.clone())),
                ("value".to_string(), v.clone()),
                ("id".to_string(), number(id)),
            ]);
            let made = BaseOf::Made(Rc::new(obj.clone()));
            let saved = std::mem::replace(&mut self.base, (self.generated, made));
            self.generated += 1;
            let r = self.next(jsp, Cow::Owned(obj), found.as_deref_mut());
            self.base = saved;
            res = r?;
            if res == Status::Error {
                return Ok(res);
            }
            if res == Status::Ok && found.is_none() {
                break;
            }
        }
        Ok(res)
    }

    /// The offset of container `jb` in the base object: found by address
    /// when `jb` is part of it, else the first container equal to it.
    fn offset_in_base(&mut self, jb: &Jsonb) -> Option<usize> {
        let address = jb as *const Jsonb as usize;
        let (base, cache) = match &self.base.1 {
            BaseOf::Made(obj) => return layout::find(obj, jb),
            BaseOf::Root => (self.root, &mut self.root_offsets),
            BaseOf::Vars => (self.vars?, &mut self.vars_offsets),
        };
        let map = cache.get_or_insert_with(|| layout::offsets(base));
        map.get(&address)
            .copied()
            .or_else(|| layout::find(base, jb))
    }

    /// The items of `jsp`, with arrays among them unwrapped in lax mode.
    fn item_unwrap_result(
        &mut self,
        jsp: &Item,
        jb: &Jsonb,
        unwrap: bool,
        found: &mut Vec<Jsonb>,
    ) -> Res {
        if unwrap && self.lax {
            let mut seq = Vec::new();
            let res = self.item(jsp, jb, Some(&mut seq))?;
            if res == Status::Error {
                return Ok(res);
            }
            for item in seq {
                match item {
                    Jsonb::Array(items) => found.extend(items),
                    other => found.push(other),
                }
            }
            return Ok(Status::Ok);
        }
        self.item(jsp, jb, Some(found))
    }

    fn item_unwrap_result_no_throw(
        &mut self,
        jsp: &Item,
        jb: &Jsonb,
        unwrap: bool,
        found: &mut Vec<Jsonb>,
    ) -> Res {
        let saved = self.throw;
        self.throw = false;
        let r = self.item_unwrap_result(jsp, jb, unwrap, found);
        self.throw = saved;
        r
    }

    fn binary_arith(
        &mut self,
        jsp: &Item,
        op: BinaryOp,
        l: &Item,
        r: &Item,
        jb: &Jsonb,
        found: Found<'_>,
    ) -> Res {
        let mut lseq = Vec::new();
        if self.item_unwrap_result(l, jb, true, &mut lseq)? == Status::Error {
            return Ok(Status::Error);
        }
        let mut rseq = Vec::new();
        if self.item_unwrap_result(r, jb, true, &mut rseq)? == Status::Error {
            return Ok(Status::Error);
        }
        let Some(lval) = single_number(&lseq) else {
            return soft(
                self,
                SqlState::SingletonSqlJsonItemRequired,
                format!(
                    "left operand of jsonpath operator {} is not a single numeric value",
                    op.name()
                ),
            );
        };
        let Some(rval) = single_number(&rseq) else {
            return soft(
                self,
                SqlState::SingletonSqlJsonItemRequired,
                format!(
                    "right operand of jsonpath operator {} is not a single numeric value",
                    op.name()
                ),
            );
        };
        let result = match op {
            BinaryOp::Add => lval.add(&rval),
            BinaryOp::Sub => lval.sub(&rval),
            BinaryOp::Mul => lval.mul(&rval),
            BinaryOp::Div => lval.div(&rval),
            _ => lval.modulo(&rval),
        };
        let n = match result {
            Ok(n) => n,
            Err(e) if self.throw => return Err(e),
            Err(_) => return Ok(Status::Error),
        };
        if jsp.next.is_none() && found.is_none() {
            return Ok(Status::Ok);
        }
        self.next(jsp, Cow::Owned(Jsonb::Number(n)), found)
    }

    fn unary_arith(
        &mut self,
        jsp: &Item,
        a: &Item,
        minus: bool,
        jb: &Jsonb,
        mut found: Found<'_>,
    ) -> Res {
        let mut seq = Vec::new();
        if self.item_unwrap_result(a, jb, true, &mut seq)? == Status::Error {
            return Ok(Status::Error);
        }
        let mut res = Status::NotFound;
        let has_next = jsp.next.is_some();
        for v in seq {
            let n = match v {
                Jsonb::Number(n) => {
                    if found.is_none() && !has_next {
                        return Ok(Status::Ok);
                    }
                    n
                }
                _ => {
                    if found.is_none() && !has_next {
                        continue;
                    }
                    return soft(
                        self,
                        SqlState::SqlJsonNumberNotFound,
                        format!(
                            "operand of unary jsonpath operator {} is not a numeric value",
                            if minus { "-" } else { "+" }
                        ),
                    );
                }
            };
            let n = if minus { n.neg() } else { n };
            let r = self.next(jsp, Cow::Owned(Jsonb::Number(n)), found.as_deref_mut())?;
            if r == Status::Error {
                return Ok(r);
            }
            if r == Status::Ok {
                if found.is_none() {
                    return Ok(Status::Ok);
                }
                res = Status::Ok;
            }
        }
        Ok(res)
    }

    fn nested_bool(&mut self, jsp: &Item, jb: &Jsonb) -> PgResult<Truth> {
        let prev = std::mem::replace(&mut self.current, jb.clone());
        let r = self.bool_item(jsp, jb, false);
        self.current = prev;
        r
    }

    fn bool_item(&mut self, jsp: &Item, jb: &Jsonb, can_have_next: bool) -> PgResult<Truth> {
        self.stack.check()?;
        if !can_have_next && jsp.next.is_some() {
            return Err(PgError::internal(
                "boolean jsonpath item cannot have next item",
            ));
        }
        match &jsp.kind {
            ItemKind::Binary(BinaryOp::And, l, r) => {
                let res = self.bool_item(l, jb, false)?;
                if res == Truth::False {
                    return Ok(Truth::False);
                }
                let res2 = self.bool_item(r, jb, false)?;
                Ok(if res2 == Truth::True { res } else { res2 })
            }
            ItemKind::Binary(BinaryOp::Or, l, r) => {
                let res = self.bool_item(l, jb, false)?;
                if res == Truth::True {
                    return Ok(Truth::True);
                }
                let res2 = self.bool_item(r, jb, false)?;
                Ok(if res2 == Truth::False { res } else { res2 })
            }
            ItemKind::Not(a) => Ok(match self.bool_item(a, jb, false)? {
                Truth::Unknown => Truth::Unknown,
                Truth::True => Truth::False,
                Truth::False => Truth::True,
            }),
            ItemKind::IsUnknown(a) => Ok(if self.bool_item(a, jb, false)? == Truth::Unknown {
                Truth::True
            } else {
                Truth::False
            }),
            ItemKind::Binary(BinaryOp::StartsWith, l, r) => self.predicate(
                l,
                Some(r),
                jb,
                false,
                &mut |whole, initial| match (whole, initial) {
                    (Jsonb::String(w), Some(Jsonb::String(i))) => {
                        Ok(if w.starts_with(i.as_str()) {
                            Truth::True
                        } else {
                            Truth::False
                        })
                    }
                    _ => Ok(Truth::Unknown),
                },
            ),
            ItemKind::Binary(op, l, r) => {
                let op = *op;
                let (use_tz, zone) = (self.use_tz, self.zone);
                self.predicate(l, Some(r), jb, true, &mut |a, b| match b {
                    Some(b) => compare_items(op, a, b, use_tz, zone),
                    None => Ok(Truth::Unknown),
                })
            }
            ItemKind::LikeRegex {
                expr,
                pattern,
                flags,
            } => {
                let (icase, dotall, mline, quote) = (
                    flags & REGEX_ICASE != 0,
                    flags & REGEX_DOTALL != 0,
                    flags & REGEX_MLINE != 0,
                    flags & REGEX_QUOTE != 0,
                );
                self.predicate(expr, None, jb, false, &mut |s, _| match s {
                    Jsonb::String(s) => Ok(
                        if super::regex::like_regex(s, pattern, icase, dotall, mline, quote)? {
                            Truth::True
                        } else {
                            Truth::False
                        },
                    ),
                    _ => Ok(Truth::Unknown),
                })
            }
            ItemKind::Exists(a) => {
                if !self.lax {
                    let mut vals = Vec::new();
                    let saved = self.throw;
                    self.throw = false;
                    let res = self.item(a, jb, Some(&mut vals));
                    self.throw = saved;
                    if res? == Status::Error {
                        return Ok(Truth::Unknown);
                    }
                    Ok(if vals.is_empty() {
                        Truth::False
                    } else {
                        Truth::True
                    })
                } else {
                    let saved = self.throw;
                    self.throw = false;
                    let res = self.item(a, jb, None);
                    self.throw = saved;
                    Ok(match res? {
                        Status::Error => Truth::Unknown,
                        Status::Ok => Truth::True,
                        Status::NotFound => Truth::False,
                    })
                }
            }
            _ => Err(PgError::internal("invalid boolean jsonpath item type")),
        }
    }

    /// A predicate over the items of `l` (unwrapped) and `r` (unwrapped if
    /// `unwrap_right`): true if it holds for a pair (strict mode: and no pair
    /// is unknown), unknown if some pair is.
    fn predicate(
        &mut self,
        l: &Item,
        r: Option<&Item>,
        jb: &Jsonb,
        unwrap_right: bool,
        exec: &mut dyn FnMut(&Jsonb, Option<&Jsonb>) -> PgResult<Truth>,
    ) -> PgResult<Truth> {
        let mut lseq = Vec::new();
        if self.item_unwrap_result_no_throw(l, jb, true, &mut lseq)? == Status::Error {
            return Ok(Truth::Unknown);
        }
        let mut rseq = Vec::new();
        if let Some(r) = r
            && self.item_unwrap_result_no_throw(r, jb, unwrap_right, &mut rseq)? == Status::Error
        {
            return Ok(Truth::Unknown);
        }
        let strict = !self.lax;
        let (mut error, mut found) = (false, false);
        for lval in &lseq {
            let rvals: Vec<Option<&Jsonb>> = if r.is_some() {
                rseq.iter().map(Some).collect()
            } else {
                vec![None]
            };
            for rval in rvals {
                match exec(lval, rval)? {
                    Truth::Unknown => {
                        if strict {
                            return Ok(Truth::Unknown);
                        }
                        error = true;
                    }
                    Truth::True => {
                        if !strict {
                            return Ok(Truth::True);
                        }
                        found = true;
                    }
                    Truth::False => {}
                }
            }
        }
        Ok(if found {
            Truth::True
        } else if error {
            Truth::Unknown
        } else {
            Truth::False
        })
    }
}

/// Where values sit in PostgreSQL's binary jsonb (`.keyvalue()` ids are
/// offsets in it): a container is a 4-byte header and a 4-byte entry per
/// element (per key and value of an object), then the keys' bytes, then the
/// values' data: strings' bytes, numerics as `numeric` varlenas and nested
/// containers, the last two aligned to 4 bytes.
mod layout {
    use std::collections::HashMap;

    use types::datum::Numeric;
    use types::datum::json::Jsonb;

    fn pad(x: usize) -> usize {
        (x + 3) & !3
    }

    /// The size of a `numeric` varlena: 4-byte length, 2-byte header, and a
    /// 2-byte base-10000 digit per group (leading and trailing zero groups
    /// left out).
    fn numeric_size(n: &Numeric) -> usize {
        let text = n.to_text();
        let digits = text.trim_start_matches('-');
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let int = int.trim_start_matches('0');
        let mut groups: Vec<u32> = Vec::new();
        let lead = (4 - int.len() % 4) % 4;
        let int_padded = format!("{}{int}", "0".repeat(lead));
        let frac_padded = format!("{frac}{}", "0".repeat((4 - frac.len() % 4) % 4));
        for chunk in int_padded
            .as_bytes()
            .chunks(4)
            .chain(frac_padded.as_bytes().chunks(4))
        {
            let g = chunk
                .iter()
                .fold(0u32, |a, &b| a * 10 + u32::from(b.wrapping_sub(b'0')));
            groups.push(g);
        }
        let first = groups.iter().position(|&g| g != 0);
        let last = groups.iter().rposition(|&g| g != 0);
        let ndigits = match (first, last) {
            (Some(f), Some(l)) => l - f + 1,
            _ => 0,
        };
        4 + 2 + 2 * ndigits
    }

    fn children(v: &Jsonb) -> (usize, usize, Vec<&Jsonb>) {
        match v {
            Jsonb::Array(items) => (items.len(), 0, items.iter().collect()),
            Jsonb::Object(pairs) => (
                2 * pairs.len(),
                pairs.iter().map(|(k, _)| k.len()).sum(),
                pairs.iter().map(|(_, v)| v).collect(),
            ),
            _ => (0, 0, Vec::new()),
        }
    }

    /// Where a container starting at `start` ends; with `target`, the offset
    /// of the first container equal to it instead (None if there is none).
    fn walk(v: &Jsonb, start: usize, target: Option<&Jsonb>) -> Result<usize, Option<usize>> {
        if target.is_some_and(|t| t == v) {
            return Err(Some(start));
        }
        let (entries, keys, values) = children(v);
        let mut pos = start + 4 + 4 * entries + keys;
        for c in values {
            match c {
                Jsonb::Array(_) | Jsonb::Object(_) => pos = walk(c, pad(pos), target)?,
                Jsonb::Number(n) => pos = pad(pos) + numeric_size(n),
                Jsonb::String(s) => pos += s.len(),
                Jsonb::Null | Jsonb::Bool(_) => {}
            }
        }
        Ok(pos)
    }

    /// The offset of the first container equal to `target` within `base`.
    pub(super) fn find(base: &Jsonb, target: &Jsonb) -> Option<usize> {
        walk(base, 0, Some(target)).err().flatten()
    }

    /// The offsets of every container of `base`, by address.
    pub(super) fn offsets(base: &Jsonb) -> HashMap<usize, usize> {
        let mut map = HashMap::new();
        record(base, 0, &mut map);
        map
    }

    fn record(v: &Jsonb, start: usize, map: &mut HashMap<usize, usize>) -> usize {
        map.insert(v as *const Jsonb as usize, start);
        let (entries, keys, values) = children(v);
        let mut pos = start + 4 + 4 * entries + keys;
        for c in values {
            match c {
                Jsonb::Array(_) | Jsonb::Object(_) => pos = record(c, pad(pos), map),
                Jsonb::Number(n) => pos = pad(pos) + numeric_size(n),
                Jsonb::String(s) => pos += s.len(),
                Jsonb::Null | Jsonb::Bool(_) => {}
            }
        }
        pos
    }
}

fn single_number(seq: &[Jsonb]) -> Option<Numeric> {
    match seq {
        [Jsonb::Number(n)] => Some(n.clone()),
        _ => None,
    }
}

/// Comparison of two items: nulls equal only nulls, other items of
/// different types and containers are not comparable.
fn compare_items(
    op: BinaryOp,
    a: &Jsonb,
    b: &Jsonb,
    use_tz: bool,
    zone: TimeZone,
) -> PgResult<Truth> {
    use std::cmp::Ordering;
    let cmp = match (datetime::from_jsonb(a), datetime::from_jsonb(b)) {
        (Some(x), Some(y)) => match datetime::compare(x, y, use_tz, zone)? {
            Some(o) => Some(o),
            None => return Ok(Truth::Unknown),
        },
        (Some(_), None) | (None, Some(_))
            if !matches!(a, Jsonb::Null) && !matches!(b, Jsonb::Null) =>
        {
            return Ok(Truth::Unknown);
        }
        _ => None,
    };
    let cmp = match cmp {
        Some(o) => o,
        None => match (a, b) {
            (Jsonb::Null, Jsonb::Null) => Ordering::Equal,
            (Jsonb::Null, _) | (_, Jsonb::Null) => {
                return Ok(if op == BinaryOp::NotEqual {
                    Truth::True
                } else {
                    Truth::False
                });
            }
            (Jsonb::Bool(x), Jsonb::Bool(y)) => x.cmp(y),
            (Jsonb::Number(x), Jsonb::Number(y)) => x.total_cmp(y),
            (Jsonb::String(x), Jsonb::String(y)) => x.as_bytes().cmp(y.as_bytes()),
            _ => return Ok(Truth::Unknown),
        },
    };
    let holds = match op {
        BinaryOp::Equal => cmp.is_eq(),
        BinaryOp::NotEqual => cmp.is_ne(),
        BinaryOp::Less => cmp.is_lt(),
        BinaryOp::Greater => cmp.is_gt(),
        BinaryOp::LessOrEqual => cmp.is_le(),
        BinaryOp::GreaterOrEqual => cmp.is_ge(),
        _ => return Ok(Truth::Unknown),
    };
    Ok(if holds { Truth::True } else { Truth::False })
}

/// Runs `path` over `target`: the status and, when `want_items`, the items.
fn execute(
    path: &JsonPath,
    vars: Option<&Jsonb>,
    target: &Jsonb,
    throw: bool,
    want_items: bool,
    use_tz: bool,
    zone: TimeZone,
) -> PgResult<(Status, Vec<Jsonb>)> {
    if let Some(v) = vars
        && !matches!(v, Jsonb::Object(_))
    {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "\"vars\" argument is not an object",
        )
        .with_detail(
            "Jsonpath parameters should be encoded as key-value pairs of \"vars\" object.",
        ));
    }
    let mut cx = Cx {
        base: (0, BaseOf::Root),
        root_offsets: None,
        vars_offsets: None,
        use_tz,
        zone,
        stack: StackGuard::new(),
        vars,
        lax: path.lax,
        ignore_structural: path.lax,
        throw,
        root: target,
        current: target.clone(),
        innermost_array_size: -1,
        generated: if vars.is_some() { 2 } else { 1 },
    };
    let mut items = Vec::new();
    if !path.lax && !want_items {
        let res = cx.item(&path.expr, target, Some(&mut items))?;
        if res == Status::Error {
            return Ok((res, Vec::new()));
        }
        let st = if items.is_empty() {
            Status::NotFound
        } else {
            Status::Ok
        };
        return Ok((st, Vec::new()));
    }
    let res = if want_items {
        cx.item(&path.expr, target, Some(&mut items))?
    } else {
        cx.item(&path.expr, target, None)?
    };
    Ok((res, items.into_iter().map(datetime::materialize).collect()))
}

fn jsonb_arg(args: &[Datum], n: usize) -> PgResult<&Jsonb> {
    match arg(args, n)? {
        Datum::Jsonb(j) => Ok(j),
        _ => Err(PgError::internal("jsonb argument expected")),
    }
}

fn path_arg(args: &[Datum], n: usize) -> PgResult<JsonPath> {
    match arg(args, n)? {
        Datum::Text(s) => JsonPath::parse(s),
        _ => Err(PgError::internal("jsonpath argument expected")),
    }
}

/// The target, path, vars and whether errors are raised, from a call's
/// arguments: `(target, path)` for the operators (silent), `(target, path
/// [, vars [, silent]])` for the functions (`vars` `{}`, `silent` false by
/// default).
fn call_args(func: &str, args: &[Datum]) -> PgResult<(Jsonb, JsonPath, Option<Jsonb>, bool)> {
    let target = jsonb_arg(args, 0)?.clone();
    let path = path_arg(args, 1)?;
    if func.ends_with("_opr") {
        return Ok((target, path, None, false));
    }
    let vars = match args.get(2) {
        Some(_) => jsonb_arg(args, 2)?.clone(),
        None => Jsonb::Object(Vec::new()),
    };
    let silent = match args.get(3) {
        Some(Datum::Bool(b)) => *b,
        _ => false,
    };
    Ok((target, path, Some(vars), !silent))
}

/// `jsonb_path_exists`, `jsonb_path_match`, `_query_array`, `_query_first`
/// (and `_tz`, and the operators' `_opr`); None for other names.
pub fn call(func: &str, args: &[Datum], opts: &OutputOptions) -> PgResult<Option<Datum>> {
    let base = func.trim_end_matches("_tz").trim_end_matches("_opr");
    if !matches!(
        base,
        "jsonb_path_exists"
            | "jsonb_path_match"
            | "jsonb_path_query_array"
            | "jsonb_path_query_first"
    ) {
        return Ok(None);
    }
    let (target, path, vars, throw) = call_args(func, args)?;
    let (use_tz, zone) = (func.ends_with("_tz"), opts.zone());
    Ok(Some(match base {
        "jsonb_path_exists" => {
            let (st, _) = execute(&path, vars.as_ref(), &target, throw, false, use_tz, zone)?;
            match st {
                Status::Error => Datum::Null,
                st => Datum::Bool(st == Status::Ok),
            }
        }
        "jsonb_path_match" => {
            let (_, items) = execute(&path, vars.as_ref(), &target, throw, true, use_tz, zone)?;
            match items.as_slice() {
                [Jsonb::Bool(b)] => Datum::Bool(*b),
                [Jsonb::Null] => Datum::Null,
                _ if throw => {
                    return Err(PgError::new(
                        SqlState::SingletonSqlJsonItemRequired,
                        "single boolean result is expected",
                    ));
                }
                _ => Datum::Null,
            }
        }
        "jsonb_path_query_array" => {
            let (_, items) = execute(&path, vars.as_ref(), &target, throw, true, use_tz, zone)?;
            Datum::Jsonb(Box::new(Jsonb::Array(items)))
        }
        _ => {
            let (_, items) = execute(&path, vars.as_ref(), &target, throw, true, use_tz, zone)?;
            match items.into_iter().next() {
                Some(v) => Datum::Jsonb(Box::new(v)),
                None => Datum::Null,
            }
        }
    }))
}

/// `jsonb_path_query[_tz]`: one row per item.
pub fn query(
    func: &str,
    args: &[Datum],
    opts: &OutputOptions,
) -> PgResult<Option<Vec<Vec<Datum>>>> {
    if !matches!(func, "jsonb_path_query" | "jsonb_path_query_tz") {
        return Ok(None);
    }
    let (target, path, vars, throw) = call_args(func, args)?;
    let (use_tz, zone) = (func.ends_with("_tz"), opts.zone());
    let (_, items) = execute(&path, vars.as_ref(), &target, throw, true, use_tz, zone)?;
    Ok(Some(
        items
            .into_iter()
            .map(|v| vec![Datum::Jsonb(Box::new(v))])
            .collect(),
    ))
}
