//! Set-returning functions (PostgreSQL's `check_srf_call_placement` and
//! the ProjectSet half of `parse_target`): a call in the select list
//! becomes a [`SetFunction`] of the query level and, where it stands, a
//! `SetRef`; once the select list and ORDER BY are analyzed,
//! [`Analyzer::finish_project_set`] puts the calls' arguments over the row
//! they see and the references become `Var`s of the columns appended to
//! it (see [`ProjectSet`]). In FROM a call is a [`FunctionScan`].

use sqlparser::ast;
use types::oid::{self, UNKNOWN};
use types::{PgError, PgResult, SqlState};

use super::func::{self, Resolution};
use super::{Analyzer, RangeEntry, Target, scope_relation};
use crate::expr::Expr;
use crate::plan::{FunctionScan, ProjectSet, SetFunction, Source, UserSetCall};

const LATERAL_HINT: &str =
    "You might be able to move the set-returning function into a LATERAL FROM item.";

impl Analyzer<'_> {
    /// A call of set-returning function `func` in an expression: allowed
    /// only in the select list and ORDER BY of a SELECT. `type_oid` is
    /// its column's type, or `record` for several columns.
    pub(crate) fn set_ref(
        &mut self,
        func: &'static str,
        args: Vec<Expr>,
        type_oid: u32,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        self.push_set_ref(func, args, (type_oid, -1), None, pos)
    }

    /// A call of a user function that returns rows, in an expression (as
    /// [`Self::set_ref`]).
    pub(crate) fn user_set_ref(
        &mut self,
        args: Vec<Expr>,
        (type_oid, typmod): (u32, i32),
        user: UserSetCall,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        self.push_set_ref("user function", args, (type_oid, typmod), Some(user), pos)
    }

    fn push_set_ref(
        &mut self,
        func: &'static str,
        args: Vec<Expr>,
        (type_oid, typmod): (u32, i32),
        user: Option<UserSetCall>,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let not_supported =
            |m: String| PgError::new(SqlState::FeatureNotSupported, m).or_position(pos);
        if self.in_agg_arg {
            return Err(not_supported(
                "aggregate function calls cannot contain set-returning function calls".into(),
            )
            .with_hint(LATERAL_HINT));
        }
        if self.in_window {
            return Err(not_supported(
                "window function calls cannot contain set-returning function calls".into(),
            )
            .with_hint(LATERAL_HINT));
        }
        if !self.srf_allowed {
            return Err(match self.agg_forbidden {
                Some(clause) => not_supported(format!(
                    "set-returning functions are not allowed in {clause}"
                )),
                None => {
                    PgError::feature_not_supported("set-returning functions here").or_position(pos)
                }
            });
        }
        self.srfs.push(SetFunction {
            func,
            args,
            type_oid,
            user,
        });
        Ok(Expr::SetRef {
            index: self.srfs.len() - 1,
            type_oid,
            typmod,
        })
    }

    /// `unnest(array)` in an expression; None for anything else.
    pub(crate) fn unnest_call(
        &mut self,
        name: &str,
        args: &[(Expr, Option<usize>)],
        pos: Option<usize>,
    ) -> PgResult<Option<Expr>> {
        let [(x, _)] = args else {
            return Ok(None);
        };
        if name != "unnest" {
            return Ok(None);
        }
        let x = self.vector_as_array(x.clone())?;
        let Some(elem) = oid::element_of(x.type_oid()) else {
            return Ok(None);
        };
        self.set_ref("unnest", vec![x], elem, pos).map(Some)
    }

    /// An `int2vector` or `oidvector` as the array (`int2[]`, `oid[]`) that
    /// PostgreSQL lets it stand for; anything else as it is.
    pub(crate) fn vector_as_array(&mut self, x: Expr) -> PgResult<Expr> {
        match x.type_oid() {
            oid::INT2VECTOR => self.coerce(x, oid::INT2_ARRAY, -1, false, None),
            oid::OIDVECTOR => self.coerce(x, oid::OID_ARRAY, -1, false, None),
            _ => Ok(x),
        }
    }

    /// After the select list and ORDER BY: the set-returning functions'
    /// arguments over the row they see (regrouped when the query groups,
    /// window results at `window_base..`), their references in `targets`
    /// as `Var`s from `input_width` on.
    pub(crate) fn finish_project_set(
        &mut self,
        targets: Vec<Expr>,
        input_width: usize,
        window_base: usize,
        group_by: Option<&[Expr]>,
    ) -> PgResult<(Vec<Expr>, Option<ProjectSet>)> {
        if self.srfs.is_empty() {
            return Ok((targets, None));
        }
        let mut funcs = std::mem::take(&mut self.srfs);
        for f in &mut funcs {
            let mut args = Vec::with_capacity(f.args.len());
            for a in std::mem::take(&mut f.args) {
                let mut nested = false;
                a.walk(&mut |x| nested |= matches!(x, Expr::SetRef { .. }));
                if nested {
                    return Err(PgError::feature_not_supported(
                        "set-returning functions nested in the arguments of another",
                    ));
                }
                let a = match group_by {
                    Some(g) => self.regroup(
                        Target {
                            expr: a,
                            var_positions: vec![],
                        },
                        g,
                    )?,
                    None => a,
                };
                args.push(super::window::replace_window_refs(a, window_base)?);
            }
            f.args = args;
        }
        let targets = targets
            .into_iter()
            .map(|t| replace_set_refs(t, input_width))
            .collect::<PgResult<_>>()?;
        Ok((targets, Some(ProjectSet { input_width, funcs })))
    }

    /// A built-in set-returning function as a FROM item (`jsonb_each(x) AS
    /// e(k, v)`); None if `name` has none of that name.
    pub(crate) fn function_in_from(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        pos: Option<usize>,
    ) -> PgResult<Option<(Source, RangeEntry)>> {
        if matches!(
            name,
            "json_to_record" | "jsonb_to_record" | "json_to_recordset" | "jsonb_to_recordset"
        ) {
            return self
                .record_function_in_from(name, args, alias, pos)
                .map(Some);
        }
        if matches!(
            name,
            "json_populate_record"
                | "jsonb_populate_record"
                | "json_populate_recordset"
                | "jsonb_populate_recordset"
        ) {
            return self
                .populate_function_in_from(name, args, alias, pos)
                .map(Some);
        }
        if !func::catalog()
            .iter()
            .any(|f| f.name == name && f.returns_set.is_some())
        {
            return Ok(None);
        }
        let mut exprs = Vec::with_capacity(args.len());
        for a in args {
            exprs.push((
                self.transform(a)?,
                self.pos(sqlparser::ast::Spanned::span(a)),
            ));
        }
        let types: Vec<u32> = exprs.iter().map(|(x, _)| x.type_oid()).collect();
        let sig = || {
            types
                .iter()
                .map(|&t| oid::type_name(t))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let d = match func::resolve(name, &types) {
            Resolution::Found(d) if d.returns_set.is_some() => d,
            Resolution::Ambiguous => {
                return Err(PgError::new(
                    SqlState::AmbiguousFunction,
                    format!("function {name}({}) is not unique", sig()),
                )
                .with_hint("Could not choose a best candidate function. You might need to add explicit type casts.")
                .or_position(pos));
            }
            _ => {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!("function {name}({}) does not exist", sig()),
                )
                .with_hint(super::expr::FUNC_HINT)
                .or_position(pos));
            }
        };
        let Some(columns) = d.returns_set else {
            return Ok(None);
        };
        let mut coerced = Vec::with_capacity(exprs.len());
        for (i, (x, p)) in exprs.into_iter().enumerate() {
            let target = d
                .args
                .get(i)
                .copied()
                .unwrap_or(if x.type_oid() == UNKNOWN {
                    oid::TEXT
                } else {
                    x.type_oid()
                });
            coerced.push(self.coerce(x, target, -1, false, p)?);
        }
        let owned: Vec<(String, u32)> = columns.iter().map(|(n, t)| (n.to_string(), *t)).collect();
        let (refname, has_alias, names) = function_columns(alias, name, &owned, pos)?;
        let rel = scope_relation(
            name,
            'f',
            names
                .into_iter()
                .zip(columns)
                .map(|(n, (_, t))| (n, *t, -1)),
        );
        let source = Source::Function(FunctionScan {
            func: SetFunction {
                func: d.imp,
                args: coerced,
                type_oid: d.ret,
                user: None,
            },
            types: columns.iter().map(|(_, t)| *t).collect(),
        });
        Ok(Some((
            source,
            RangeEntry {
                rel,
                refname,
                has_alias,
            },
        )))
    }
}

impl Analyzer<'_> {
    /// A call of a user function in FROM: its rows (one row for a
    /// function that returns no set), its OUT or TABLE columns or one
    /// column named after the function. None if no user function fits.
    /// The arguments: positional, named, and whether the last positional
    /// one was written `VARIADIC expr`.
    pub(crate) fn user_function_in_from(
        &mut self,
        schema: Option<&str>,
        name: &str,
        (args, named_args, variadic): (&[ast::Expr], &[(String, ast::Expr)], bool),
        alias: Option<&ast::TableAlias>,
        pos: Option<usize>,
    ) -> PgResult<Option<(Source, RangeEntry)>> {
        let mut exprs = Vec::with_capacity(args.len());
        for a in args {
            exprs.push((
                self.transform(a)?,
                self.pos(sqlparser::ast::Spanned::span(a)),
            ));
        }
        let mut named_exprs = Vec::with_capacity(named_args.len());
        for (n, a) in named_args {
            let x = self.transform(a)?;
            named_exprs.push((n.clone(), (x, self.pos(sqlparser::ast::Spanned::span(a)))));
        }
        let named = named_exprs.as_slice();
        let calling = self.procedure_call;
        self.allow_procedure = calling;
        self.variadic_call = variadic;
        let Some((f, coerced)) = self.choose_user_function(schema, name, &exprs, named, pos)?
        else {
            let sig: Vec<&str> = exprs
                .iter()
                .chain(named.iter().map(|(_, a)| a))
                .map(|(x, _)| oid::type_name(x.type_oid()))
                .collect();
            let qualified = match schema {
                Some(s) => format!("{s}.{name}"),
                None => name.to_owned(),
            };
            if calling {
                if schema.is_none_or(|s| s == "pg_catalog")
                    && (super::func::name_exists(name) || super::agg::is_aggregate(name))
                {
                    return Err(super::expr::not_a_procedure(name, &sig).or_position(pos));
                }
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!("procedure {qualified}({}) does not exist", sig.join(", ")),
                )
                .with_hint("No procedure matches the given name and argument types. You might need to add explicit type casts.")
                .or_position(pos));
            }
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("function {qualified}({}) does not exist", sig.join(", ")),
            )
            .with_hint(super::expr::FUNC_HINT)
            .or_position(pos));
        };
        let columns = match f.out_columns.is_empty() {
            true => vec![(String::new(), f.ret_type)],
            false => f.out_columns.clone(),
        };
        let (refname, has_alias, names) = function_columns(alias, name, &columns, pos)?;
        let rel = scope_relation(
            name,
            'f',
            names
                .into_iter()
                .zip(&columns)
                .map(|(n, (_, t))| (n, *t, -1)),
        );
        let source = Source::Function(FunctionScan {
            func: SetFunction {
                func: "user function",
                args: coerced,
                type_oid: columns[0].1,
                user: Some(UserSetCall {
                    oid: f.oid,
                    strict: f.strict,
                    width: columns.len(),
                    retset: f.retset,
                    arg_types: f.arg_types.clone(),
                    ret_type: f.ret_type,
                    record_typmod: -1,
                }),
            },
            types: columns.iter().map(|(_, t)| *t).collect(),
        });
        Ok(Some((
            source,
            RangeEntry {
                rel,
                refname,
                has_alias,
            },
        )))
    }
}

/// The range name, whether it is an alias, and the column names of a
/// function in FROM with result `columns`: one unnamed column takes the
/// function's (or the alias's) name; named ones may be renamed by the
/// alias's column list.
fn function_columns(
    alias: Option<&ast::TableAlias>,
    name: &str,
    columns: &[(String, u32)],
    pos: Option<usize>,
) -> PgResult<(String, bool, Vec<String>)> {
    if let [(n, _)] = columns
        && n.is_empty()
    {
        let (r, h, c) = super::from::one_column_alias(alias, name, pos)?;
        return Ok((r, h, vec![c]));
    }
    let mut names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let (refname, has_alias) = match alias {
        Some(a) => {
            if a.columns.len() > names.len() {
                return Err(PgError::new(
                    SqlState::InvalidColumnReference,
                    format!(
                        "table \"{}\" has {} columns available but {} columns specified",
                        super::ident_name(&a.name),
                        names.len(),
                        a.columns.len()
                    ),
                )
                .or_position(pos));
            }
            for (n, c) in names.iter_mut().zip(&a.columns) {
                *n = super::ident_name(&c.name);
            }
            (super::ident_name(&a.name), true)
        }
        None => (name.to_owned(), false),
    };
    Ok((refname, has_alias, names))
}

impl Analyzer<'_> {
    /// `json[b]_to_record[set](x) AS a(col type, ...)`: the columns come
    /// from the column definition list, their names passed to the
    /// function as a text[] argument.
    fn record_function_in_from(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        pos: Option<usize>,
    ) -> PgResult<(Source, RangeEntry)> {
        let json_type = if name.starts_with("jsonb") {
            oid::JSONB
        } else {
            oid::JSON
        };
        let [arg] = args else {
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("function {name} takes one argument"),
            )
            .or_position(pos));
        };
        let apos = self.pos(sqlparser::ast::Spanned::span(arg));
        let x = self.transform(arg)?;
        let x = self.coerce(x, json_type, -1, false, apos)?;
        let defs = match alias {
            Some(a) if !a.columns.is_empty() && a.columns.iter().all(|c| c.data_type.is_some()) => {
                a
            }
            _ => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "a column definition list is required for functions returning \"record\"",
                )
                .or_position(pos));
            }
        };
        let mut columns = Vec::with_capacity(defs.columns.len());
        for c in &defs.columns {
            let Some(dt) = &c.data_type else {
                return Err(PgError::internal("column definition without a type"));
            };
            let (t, typmod) = super::typename::resolve_type_in(dt, self.catalog)?;
            columns.push((super::ident_name(&c.name), t, typmod));
        }
        let names = types::Datum::Array(Box::new(types::datum::ArrayValue::new(
            oid::TEXT,
            columns
                .iter()
                .map(|(n, _, _)| types::Datum::Text(n.clone()))
                .collect(),
        )));
        let imp: &'static str = match name {
            "json_to_record" => "json_to_record",
            "jsonb_to_record" => "jsonb_to_record",
            "json_to_recordset" => "json_to_recordset",
            _ => "jsonb_to_recordset",
        };
        let types_list: Vec<u32> = columns.iter().map(|(_, t, _)| *t).collect();
        let source = Source::Function(FunctionScan {
            func: SetFunction {
                func: imp,
                args: vec![
                    x,
                    Expr::Const {
                        value: names,
                        type_oid: oid::TEXT_ARRAY,
                    },
                ],
                type_oid: types_list[0],
                user: None,
            },
            types: types_list,
        });
        let refname = super::ident_name(&defs.name);
        let rel = scope_relation(name, 'f', columns.into_iter());
        Ok((
            source,
            RangeEntry {
                rel,
                refname,
                has_alias: true,
            },
        ))
    }
}

impl Analyzer<'_> {
    /// `json[b]_populate_record[set](base, json) [AS a(names)]`: the
    /// columns are the fields of base's composite type.
    fn populate_function_in_from(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        pos: Option<usize>,
    ) -> PgResult<(Source, RangeEntry)> {
        let max = if name.starts_with("jsonb") { 2 } else { 3 };
        if args.len() < 2 || args.len() > max {
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("function {name} does not exist"),
            )
            .with_hint(super::expr::FUNC_HINT)
            .or_position(pos));
        }
        let mut exprs = Vec::with_capacity(args.len());
        for a in args {
            exprs.push((
                self.transform(a)?,
                self.pos(sqlparser::ast::Spanned::span(a)),
            ));
        }
        // A column definition list: `AS q (a text, b int)`.
        let defined = match alias {
            Some(a) if !a.columns.is_empty() && a.columns.iter().all(|c| c.data_type.is_some()) => {
                let mut d = Vec::with_capacity(a.columns.len());
                for c in &a.columns {
                    let Some(dt) = &c.data_type else {
                        return Err(PgError::internal("column definition without a type"));
                    };
                    let (t, typmod) = super::typename::resolve_type_in(dt, self.catalog)?;
                    d.push(types::datum::RecordField {
                        name: super::ident_name(&c.name),
                        type_oid: t,
                        typmod,
                    });
                }
                Some(d)
            }
            _ => None,
        };
        let has_definitions = defined.is_some();
        let (call_args, t, fields) = self.populate_args_with(name, &exprs, pos, defined)?;
        let (refname, has_alias, names) = match alias {
            Some(a) if has_definitions => (
                super::ident_name(&a.name),
                true,
                fields.iter().map(|f| f.name.clone()).collect(),
            ),
            _ => {
                let columns: Vec<(String, u32)> = fields
                    .iter()
                    .map(|f| (f.name.clone(), f.type_oid))
                    .collect();
                function_columns(alias, name, &columns, pos)?
            }
        };
        let imp: &'static str = match name {
            "json_populate_record" => "json_populate_record",
            "jsonb_populate_record" => "jsonb_populate_record",
            "json_populate_recordset" => "json_populate_recordset",
            _ => "jsonb_populate_recordset",
        };
        let types_list: Vec<u32> = fields.iter().map(|f| f.type_oid).collect();
        let source = Source::Function(FunctionScan {
            func: SetFunction {
                func: imp,
                args: call_args,
                type_oid: t,
                user: None,
            },
            types: types_list,
        });
        let rel = scope_relation(
            name,
            'f',
            names
                .into_iter()
                .zip(fields.iter())
                .map(|(n, f)| (n, f.type_oid, f.typmod)),
        );
        Ok((
            source,
            RangeEntry {
                rel,
                refname,
                has_alias,
            },
        ))
    }
}

/// The columns of the set-returning function `name` (its first
/// signature's), if it is one.
pub(crate) fn set_function_columns(name: &str) -> Option<&'static [(&'static str, u32)]> {
    func::catalog()
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| f.returns_set)
}

fn replace_set_refs(e: Expr, base: usize) -> PgResult<Expr> {
    match e {
        Expr::SetRef {
            index,
            type_oid,
            typmod,
        } => Ok(Expr::Var {
            index: base + index,
            type_oid,
            typmod,
        }),
        other => other.map_children(&mut |c| replace_set_refs(c, base)),
    }
}
