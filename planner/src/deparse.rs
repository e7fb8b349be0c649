//! Prints an analyzed expression back as SQL the way PostgreSQL's
//! `ruleutils.c` does for `pg_get_expr`, `pg_get_constraintdef` and
//! `pg_get_indexdef`: constants labelled with their type unless the type
//! is evident (`'x'::text`, `0::numeric`, but `1` and `0.5`), implicit
//! casts shown under operators and function arguments, operators in
//! parentheses (all of them, or in pretty mode only where precedence needs
//! them).
//!
//! Operators and functions are printed by the name of the built-in the
//! analyzer resolved (`analyze::func`), found again by its implementation
//! and argument types.

use types::Datum;
use types::datum::OutputOptions;
use types::oid::{self, BOOL, INT4, NUMERIC, REGCLASS, UNKNOWN};

use crate::expr::{BoolTestKind, Expr};

/// What deparsing needs from the catalog.
pub trait DeparseContext {
    /// The name of column `index` of the relation the expression is over.
    fn column_name(&self, index: usize) -> String;
    /// A relation named in a `regclass` literal, as `regclass` output
    /// prints it (unqualified when the search_path finds it).
    fn regclass_text(&mut self, literal: &str) -> String;
    /// The text of an expression this context prints its own way (EXPLAIN:
    /// subplans as `$0` or `(SubPlan 1)`, outer parameters), or None.
    fn special(&mut self, _expr: &Expr) -> Option<String> {
        None
    }
    /// The indentation level of a view definition being printed
    /// (PostgreSQL's `PRETTY_INDENT`): a CASE then takes lines of its own.
    /// None (`pg_get_expr`): everything on one line.
    fn indent(&self) -> Option<i32> {
        None
    }
    /// Whether the expression is a planned one, whose constant arrays
    /// PostgreSQL's planner has folded (EXPLAIN prints `ARRAY[1, 2]` as
    /// `'{1,2}'::integer[]`); a stored expression prints as written.
    fn folded(&self) -> bool {
        false
    }
}

/// `expr` as SQL text; `pretty` is the pretty flag of `pg_get_expr`.
/// [`deparse_expr`] with the implicit casts at the top shown too (the
/// direct arguments of an ordered-set aggregate, as `get_agg_expr` prints
/// them).
pub fn deparse_expr_showing_casts(
    expr: &Expr,
    ctx: &mut dyn DeparseContext,
    pretty: bool,
) -> String {
    let indent = ctx.indent();
    let mut d = Deparser {
        ctx,
        pretty,
        indent,
    };
    d.expr(expr, true)
}

pub fn deparse_expr(expr: &Expr, ctx: &mut dyn DeparseContext, pretty: bool) -> String {
    let indent = ctx.indent();
    let mut d = Deparser {
        ctx,
        pretty,
        indent,
    };
    d.expr(expr, false)
}

struct Deparser<'a> {
    ctx: &'a mut dyn DeparseContext,
    pretty: bool,
    /// See [`DeparseContext::indent`]; deeper inside a CASE.
    indent: Option<i32>,
}

/// What kind of node an expression prints as, for the parenthesis rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Op(&'static str),
    Bool(u8),
    Test,
    Cast,
    Other,
}

/// PostgreSQL's `format_type_with_typemod`: as `format_type`, except that
/// `bpchar` without a length stays `bpchar` (`character` would read back
/// as character(1)), and neither does `bit`, which is quoted.
fn type_with_typmod(type_oid: u32, typmod: i32) -> String {
    if type_oid == oid::BPCHAR && typmod < 0 {
        "bpchar".into()
    } else if type_oid == oid::BIT && typmod < 0 {
        "\"bit\"".into()
    } else {
        oid::format_type(type_oid, typmod)
    }
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The operator symbol or function name of a built-in call.
fn call_name(func: &str, args: &[Expr]) -> (String, bool) {
    let types: Vec<u32> = args.iter().map(Expr::type_oid).collect();
    let catalog = crate::analyze::func::catalog();
    let is_op = |n: &str| !n.chars().any(|c| c.is_alphanumeric() || c == '_');
    let exact = catalog
        .iter()
        .filter(|f| f.imp == func && f.args == types)
        .min_by_key(|f| (f.name != func, !is_op(f.name)));
    let found = exact.or_else(|| {
        catalog
            .iter()
            .filter(|f| f.imp == func && f.args.len() == types.len())
            .min_by_key(|f| (f.name != func, !is_op(f.name)))
    });
    match found {
        Some(f) => (f.name.to_owned(), is_op(f.name)),
        None => (func.to_owned(), false),
    }
}

/// An operand as PostgreSQL's analysis leaves it: it has the cross-type
/// integer operators (`int84gt`, `int48pl`, ...), so a smallint or integer
/// constant beside a bigint is not cast, where our analysis casts it.
fn cross_type_operand(x: &Expr) -> &Expr {
    match x {
        Expr::Cast {
            arg,
            from: oid::INT2 | oid::INT4,
            to: oid::INT8,
            explicit: false,
            ..
        } if matches!(
            **arg,
            Expr::Const {
                value: Datum::Int2(0..) | Datum::Int4(0..),
                ..
            }
        ) =>
        {
            arg
        }
        _ => x,
    }
}

fn is_arith(op: &str) -> Option<bool> {
    match op {
        "+" | "-" => Some(false),
        "*" | "/" | "%" => Some(true),
        _ => None,
    }
}

impl Deparser<'_> {
    /// A CASE in a view definition: `CASE`, each `WHEN` and the `ELSE` on
    /// lines of their own, 4 more spaces in (`ruleutils.c` with
    /// `PRETTYINDENT_VAR`).
    fn case_indented(&mut self, whens: &[(Expr, Expr)], else_result: &Expr, level: i32) -> String {
        let line = |n: i32| format!("\n{}", " ".repeat(n.max(0) as usize));
        let inner = level + 4;
        self.indent = Some(inner);
        let mut s = format!("{}CASE", line(level));
        for (w, t) in whens {
            let w = self.expr(w, false);
            let t = self.expr(t, true);
            s.push_str(&format!("{}WHEN {w} THEN {t}", line(inner)));
        }
        let e = self.expr(else_result, true);
        s.push_str(&format!("{}ELSE {e}", line(inner)));
        self.indent = Some(level);
        s.push_str(&format!("{}END", line(level)));
        s
    }

    /// `x IN (1, 2)` as PostgreSQL's analysis makes it, a ScalarArrayOp
    /// `(x = ANY (ARRAY[1, 2]))` (`<> ALL` for NOT IN); ours is an OR of
    /// equalities (which the B-tree IN-list scan reads), printed back the
    /// same way when its right-hand sides are all constants.
    fn in_list(&mut self, x: &Expr) -> Option<String> {
        let (items, negated) = match x {
            Expr::Or(items) => (items, false),
            Expr::Not(inner) => match &**inner {
                Expr::Or(items) => (items, true),
                _ => return None,
            },
            _ => return None,
        };
        if let [Expr::Call { func, args, .. }] = items.as_slice()
            && args.len() == 2
            && call_name(func, args) == ("=".to_owned(), true)
        {
            // `x IN (1)` is `x = 1`; `x NOT IN (1)` is `x <> 1`.
            let me = Kind::Op("?");
            let l = self.paren(cross_type_operand(&args[0]), true, me, true);
            let r = self.paren(cross_type_operand(&args[1]), true, me, false);
            let op = if negated { "<>" } else { "=" };
            return Some(format!("{}{l} {op} {r}{}", self.open(), self.close()));
        }
        if items.len() < 2 {
            return None;
        }
        let mut left: Option<&Expr> = None;
        let mut values = Vec::new();
        for item in items {
            let Expr::Call { func, args, .. } = item else {
                return None;
            };
            let (name, true) = call_name(func, args) else {
                return None;
            };
            if name != "=" || args.len() != 2 {
                return None;
            }
            let constant = match &args[1] {
                Expr::Const { .. } => true,
                Expr::Cast { arg, .. } => matches!(**arg, Expr::Const { .. }),
                _ => false,
            };
            if !constant || left.is_some_and(|l| *l != args[0]) {
                return None;
            }
            if values
                .first()
                .is_some_and(|v: &&Expr| v.type_oid() != args[1].type_oid())
            {
                return None;
            }
            left = Some(&args[0]);
            values.push(&args[1]);
        }
        let left = left?;
        let l = self.paren(left, true, Kind::Op("?"), true);
        let (op, quantifier) = if negated { ("<>", "ALL") } else { ("=", "ANY") };
        let array = values
            .first()
            .and_then(|v| oid::array_of(v.type_oid()))
            .and_then(|t| self.folded_array(t, &values));
        let array = match array {
            Some(a) => a,
            None => {
                let elems: Vec<String> = values.iter().map(|v| self.expr(v, true)).collect();
                format!("ARRAY[{}]", elems.join(", "))
            }
        };
        Some(format!(
            "{}{l} {op} {quantifier} ({array}){}",
            self.open(),
            self.close()
        ))
    }

    /// An array of constants as the constant the planner folds it into,
    /// when the context prints planned expressions (see
    /// [`DeparseContext::folded`]).
    fn folded_array(&mut self, array_type: u32, values: &[&Expr]) -> Option<String> {
        if !self.ctx.folded() {
            return None;
        }
        let elem_type = oid::element_of(array_type)?;
        let elems = values
            .iter()
            .map(|v| match v {
                Expr::Const { value, type_oid } if *type_oid == elem_type => Some(value.clone()),
                _ => None,
            })
            .collect::<Option<Vec<Datum>>>()?;
        let array = Datum::Array(Box::new(types::datum::ArrayValue::new(elem_type, elems)));
        Some(self.constant(&array, array_type, -1, 0))
    }

    fn kind(&self, x: &Expr) -> Kind {
        match x {
            Expr::Var { .. }
            | Expr::Const { .. }
            | Expr::Param { .. }
            | Expr::Aggref { .. }
            | Expr::WindowRef { .. }
            | Expr::SubPlan { .. }
            | Expr::OuterParam { .. } => Kind::Simple,
            Expr::Cast {
                arg, from: UNKNOWN, ..
            } if matches!(**arg, Expr::Const { .. }) => Kind::Simple,
            Expr::Cast { .. } | Expr::CoerceToDomain { .. } => Kind::Cast,
            Expr::Call { func, args, .. } => match call_name(func, args) {
                (name, true) => Kind::Op(if is_arith(&name) == Some(true) {
                    "*"
                } else if is_arith(&name) == Some(false) {
                    "+"
                } else {
                    "?"
                }),
                _ => Kind::Simple,
            },
            Expr::And(_) => Kind::Bool(1),
            Expr::Or(_) => Kind::Bool(2),
            Expr::Not(_) => Kind::Bool(0),
            Expr::IsNull { .. } | Expr::BoolTest { .. } | Expr::DistinctFrom { .. } => Kind::Test,
            Expr::Coalesce { .. }
            | Expr::Row { .. }
            | Expr::MinMax { .. }
            | Expr::NullIf { .. }
            | Expr::Case { .. } => Kind::Simple,
            _ => Kind::Other,
        }
    }

    /// Whether `x` needs no parentheses of its own as an argument of
    /// `parent` in pretty mode (PostgreSQL's `isSimpleNode`).
    fn simple_under(&self, x: &Expr, parent: Kind, first: bool) -> bool {
        match self.kind(x) {
            Kind::Simple => true,
            Kind::Cast => match x {
                Expr::Cast { arg, .. } => self.simple_under(arg, Kind::Cast, true),
                _ => false,
            },
            Kind::Op(op) => {
                if let Kind::Op(p) = parent {
                    let (Some(hi), Some(phi)) = (is_arith_kind(op), is_arith_kind(p)) else {
                        return false;
                    };
                    if hi && !phi {
                        return true;
                    }
                    if !hi && phi {
                        return false;
                    }
                    return first;
                }
                matches!(parent, Kind::Bool(_) | Kind::Simple)
            }
            Kind::Test => matches!(parent, Kind::Bool(_) | Kind::Simple),
            Kind::Bool(b) => match parent {
                Kind::Bool(p) => match b {
                    0 | 1 => p == 1 || p == 2,
                    _ => p == 2,
                },
                Kind::Simple => true,
                _ => false,
            },
            Kind::Other => false,
        }
    }

    fn paren(&mut self, x: &Expr, show_implicit: bool, parent: Kind, first: bool) -> String {
        let s = self.expr(x, show_implicit);
        if self.pretty && !self.simple_under(x, parent, first) {
            format!("({s})")
        } else {
            s
        }
    }

    fn open(&self) -> &'static str {
        if self.pretty { "" } else { "(" }
    }

    fn close(&self) -> &'static str {
        if self.pretty { "" } else { ")" }
    }

    fn expr(&mut self, x: &Expr, show_implicit: bool) -> String {
        if let Some(s) = self.ctx.special(x) {
            return s;
        }
        if let Some(s) = self.in_list(x) {
            return s;
        }
        match x {
            Expr::Param { index, .. } => format!("${}", index + 1),
            Expr::ScalarArrayOp {
                any,
                left,
                right,
                test,
            } => {
                let op = match &**test {
                    Expr::Call { func, args, .. } => call_name(func, args).0,
                    _ => "=".to_owned(),
                };
                let l = self.paren(left, true, Kind::Op("?"), true);
                let r = self.expr(right, true);
                let quantifier = if *any { "ANY" } else { "ALL" };
                format!("{}{l} {op} {quantifier} ({r}){}", self.open(), self.close())
            }
            Expr::Var { index, .. } => self.ctx.column_name(*index),
            Expr::Const { value, type_oid } => self.constant(value, *type_oid, -1, 0),
            Expr::Cast {
                arg,
                from,
                to,
                typmod,
                ..
            } if *from == UNKNOWN
                && let Expr::Const { value, .. } = &**arg =>
            {
                let value = match (value, *to) {
                    (Datum::Text(t), REGCLASS) => Datum::Text(self.ctx.regclass_text(t)),
                    (v, _) => v.clone(),
                };
                self.constant(&value, *to, *typmod, 0)
            }
            Expr::Cast {
                arg,
                to,
                typmod,
                explicit,
                ..
            } => {
                if !explicit && !show_implicit {
                    return self.paren(arg, false, Kind::Cast, true);
                }
                let inner = match &**arg {
                    Expr::Const { value, type_oid } if type_oid == to => {
                        self.constant(value, *type_oid, -1, -1)
                    }
                    _ => {
                        let s = self.paren(arg, false, Kind::Cast, true);
                        format!("{}{s}{}", self.open(), self.close())
                    }
                };
                format!("{inner}::{}", type_with_typmod(*to, *typmod))
            }
            Expr::CoerceToDomain { arg, domain, .. } => match &**arg {
                Expr::Const { value, .. } => self.constant(value, *domain, -1, 0),
                Expr::Cast {
                    arg: inner,
                    from: UNKNOWN,
                    ..
                } if matches!(**inner, Expr::Const { .. }) => {
                    let Expr::Const { value, .. } = &**inner else {
                        return String::new();
                    };
                    self.constant(value, *domain, -1, 0)
                }
                _ => {
                    let s = self.paren(arg, false, Kind::Cast, true);
                    format!(
                        "{}{s}{}::{}",
                        self.open(),
                        self.close(),
                        type_with_typmod(*domain, -1)
                    )
                }
            },
            Expr::Call {
                func: func @ ("array" | "array_stack"),
                args,
                type_oid,
                ..
            } => {
                let values: Vec<&Expr> = args.iter().collect();
                match self.folded_array(*type_oid, &values) {
                    Some(folded) if *func == "array" => folded,
                    _ => {
                        let a: Vec<String> = args.iter().map(|a| self.expr(a, true)).collect();
                        format!("ARRAY[{}]", a.join(", "))
                    }
                }
            }
            // `a[1][2]`, `a[1:2][2:]`: a base other than a column in
            // parentheses, as PostgreSQL prints it.
            Expr::Call {
                func: func @ ("array_subscript" | "array_slice"),
                args,
                ..
            } if !args.is_empty() => {
                let base = match &args[0] {
                    a @ Expr::Var { .. } => self.expr(a, true),
                    a => format!("({})", self.expr(a, false)),
                };
                let mut out = base;
                if *func == "array_subscript" {
                    for i in &args[1..] {
                        out.push_str(&format!("[{}]", self.expr(i, false)));
                    }
                    return out;
                }
                let given = match args.get(1) {
                    Some(Expr::Const {
                        value: types::Datum::Int4(g),
                        ..
                    }) => *g,
                    _ => -1,
                };
                for (k, pair) in args[2.min(args.len())..].chunks(2).enumerate() {
                    let bound = |j: usize, me: &mut Self| {
                        if given & (1 << (2 * k + j)) != 0 {
                            pair.get(j).map(|b| me.expr(b, false)).unwrap_or_default()
                        } else {
                            String::new()
                        }
                    };
                    let (lo, hi) = (bound(0, self), bound(1, self));
                    out.push_str(&format!("[{lo}:{hi}]"));
                }
                out
            }
            // Field selection: `(x).f`.
            Expr::Call {
                func: "record_field",
                args,
                ..
            } if args.len() == 2 => {
                let base = self.expr(&args[0], true);
                let i = match &args[1] {
                    Expr::Const {
                        value: types::Datum::Int4(i),
                        ..
                    } => usize::try_from(*i).unwrap_or(0),
                    _ => 0,
                };
                let t = args[0].type_oid();
                let fields = match &args[0] {
                    Expr::Row { fields, .. } => Some(fields.clone()),
                    a if t == types::oid::RECORD => types::typcache::record_fields(a.typmod()),
                    _ => types::datum::record::fields_of(t),
                };
                let name = fields
                    .and_then(|f| f.get(i).map(|f| f.name.clone()))
                    .unwrap_or_else(|| format!("f{}", i + 1));
                format!("({base}).{}", types::guc::quote_identifier(&name))
            }
            Expr::Call { func, args, .. } => {
                let (name, op) = call_name(func, args);
                let me = self.kind(x);
                if op && args.len() == 2 {
                    let l = self.paren(cross_type_operand(&args[0]), true, me, true);
                    let r = self.paren(cross_type_operand(&args[1]), true, me, false);
                    format!("{}{l} {name} {r}{}", self.open(), self.close())
                } else if op && args.len() == 1 {
                    let a = self.paren(&args[0], true, me, true);
                    format!("{}{name} {a}{}", self.open(), self.close())
                } else if args.is_empty()
                    && matches!(name.as_str(), "current_user" | "session_user")
                {
                    // SQL-value functions print as their keyword.
                    name.to_uppercase()
                } else {
                    let a: Vec<String> = args.iter().map(|a| self.expr(a, true)).collect();
                    format!("{name}({})", a.join(", "))
                }
            }
            Expr::And(items) | Expr::Or(items) => {
                let me = self.kind(x);
                let sep = if matches!(x, Expr::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, a)| self.paren(a, false, me, i == 0))
                    .collect();
                format!("{}{}{}", self.open(), parts.join(sep), self.close())
            }
            Expr::Not(a) => {
                let s = self.paren(a, false, Kind::Bool(0), true);
                format!("{}NOT {s}{}", self.open(), self.close())
            }
            Expr::IsNull { arg, negated } => {
                let s = self.paren(arg, true, Kind::Test, true);
                let what = if *negated { "IS NOT NULL" } else { "IS NULL" };
                format!("{}{s} {what}{}", self.open(), self.close())
            }
            Expr::BoolTest { arg, test } => {
                let s = self.paren(arg, false, Kind::Test, true);
                let what = match test {
                    BoolTestKind::IsTrue => "IS TRUE",
                    BoolTestKind::IsNotTrue => "IS NOT TRUE",
                    BoolTestKind::IsFalse => "IS FALSE",
                    BoolTestKind::IsNotFalse => "IS NOT FALSE",
                    BoolTestKind::IsUnknown => "IS UNKNOWN",
                    BoolTestKind::IsNotUnknown => "IS NOT UNKNOWN",
                };
                format!("{}{s} {what}{}", self.open(), self.close())
            }
            Expr::Coalesce { args, .. } => {
                let a: Vec<String> = args.iter().map(|a| self.expr(a, true)).collect();
                format!("COALESCE({})", a.join(", "))
            }
            Expr::Row { args, .. } => {
                let a: Vec<String> = args.iter().map(|a| self.expr(a, true)).collect();
                format!("ROW({})", a.join(", "))
            }
            Expr::MinMax { args, greatest, .. } => {
                let a: Vec<String> = args.iter().map(|a| self.expr(a, true)).collect();
                let f = if *greatest { "GREATEST" } else { "LEAST" };
                format!("{f}({})", a.join(", "))
            }
            Expr::NullIf { left, right, .. } => {
                let l = self.expr(left, true);
                let r = self.expr(right, true);
                format!("NULLIF({l}, {r})")
            }
            Expr::Case {
                whens, else_result, ..
            } => {
                if let Some(level) = self.indent {
                    return self.case_indented(whens, else_result, level);
                }
                let mut s = String::from("CASE");
                for (w, t) in whens {
                    let w = self.expr(w, false);
                    let t = self.expr(t, true);
                    s.push_str(&format!(" WHEN {w} THEN {t}"));
                }
                let e = self.expr(else_result, true);
                s.push_str(&format!(" ELSE {e} END"));
                s
            }
            // Not produced by the stored expressions we deparse.
            other => format!("{other:?}"),
        }
    }

    /// PostgreSQL's `get_const_expr`: `show_type` -1 never labels, 0 labels
    /// when the type is not evident, 1 always.
    fn constant(&self, value: &Datum, type_oid: u32, typmod: i32, show_type: i32) -> String {
        let label = |s: String, need: bool| {
            if show_type > 0 || (show_type == 0 && need) {
                format!("{s}::{}", type_with_typmod(type_oid, typmod))
            } else {
                s
            }
        };
        if value.is_null() {
            return label("NULL".into(), true);
        }
        let text = value.to_text(&OutputOptions::default());
        match type_oid {
            INT4 if !text.starts_with('-') => label(text, false),
            NUMERIC
                if text.starts_with(|c: char| c.is_ascii_digit())
                    && text.contains(['e', 'E', '.']) =>
            {
                label(text, typmod >= 0)
            }
            BOOL => (if text == "t" { "true" } else { "false" }).to_owned(),
            UNKNOWN => quote_literal(&text),
            _ => label(quote_literal(&text), true),
        }
    }
}

fn is_arith_kind(op: &str) -> Option<bool> {
    is_arith(op)
}
