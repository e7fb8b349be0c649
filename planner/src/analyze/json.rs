//! The json functions whose arguments the built-in table cannot describe:
//! `to_json(anyelement)`, `array_to_json(anyarray)`, the `VARIADIC "any"`
//! builders, and the `VARIADIC text[]` path extractors.

use types::oid::{self, *};
use types::{PgError, PgResult, SqlState};

use super::Analyzer;
use crate::expr::Expr;

use crate::expr::call;

impl Analyzer<'_> {
    /// Unknown-typed literals among `args` as text.
    fn known(&mut self, args: &[(Expr, Option<usize>)]) -> PgResult<Vec<Expr>> {
        args.iter()
            .map(|(x, p)| match x.type_oid() {
                UNKNOWN => self.coerce(x.clone(), TEXT, -1, false, *p),
                _ => Ok(x.clone()),
            })
            .collect()
    }

    /// A call of one of the json functions of this module; None for any
    /// other name (or argument count the name does not take).
    pub(crate) fn json_call(
        &mut self,
        name: &str,
        args: &[(Expr, Option<usize>)],
        pos: Option<usize>,
    ) -> PgResult<Option<Expr>> {
        Ok(Some(match (name, args.len()) {
            ("to_json", 1) => call("to_json", self.known(args)?, JSON, true),
            ("to_jsonb", 1) => call("to_jsonb", self.known(args)?, JSONB, true),
            ("json_populate_record", 2 | 3) | ("jsonb_populate_record", 2) => {
                let (args, ret) = self.populate_args(name, args, pos)?;
                call(
                    if name == "json_populate_record" {
                        "json_populate_record"
                    } else {
                        "jsonb_populate_record"
                    },
                    args,
                    ret,
                    false,
                )
            }
            ("json_populate_recordset", 2 | 3) | ("jsonb_populate_recordset", 2) => {
                let (args, ret) = self.populate_args(name, args, pos)?;
                let imp = if name == "json_populate_recordset" {
                    "json_populate_recordset"
                } else {
                    "jsonb_populate_recordset"
                };
                self.set_ref(imp, args, ret, pos)?
            }
            ("row_to_json", 1 | 2) if types::datum::record::is_composite(args[0].0.type_oid()) => {
                let mut v = vec![args[0].0.clone()];
                if let Some((x, p)) = args.get(1) {
                    v.push(self.coerce(x.clone(), BOOL, -1, false, *p)?);
                }
                call("row_to_json", v, JSON, true)
            }
            ("array_to_json", 1 | 2) if oid::element_of(args[0].0.type_oid()).is_some() => {
                let mut v = vec![args[0].0.clone()];
                if let Some((x, p)) = args.get(1) {
                    v.push(self.coerce(x.clone(), BOOL, -1, false, *p)?);
                }
                call("array_to_json", v, JSON, true)
            }
            ("json_build_array", _) => call("json_build_array", self.known(args)?, JSON, false),
            ("jsonb_build_array", _) => call("jsonb_build_array", self.known(args)?, JSONB, false),
            ("json_build_object" | "jsonb_build_object", n) => {
                if n % 2 != 0 {
                    return Err(PgError::new(
                        SqlState::InvalidParameterValue,
                        "argument list must have even number of elements",
                    )
                    .with_hint(format!(
                        "The arguments of {name}() must consist of alternating keys and values."
                    ))
                    .or_position(pos));
                }
                let (imp, t) = match name {
                    "json_build_object" => ("json_build_object", JSON),
                    _ => ("jsonb_build_object", JSONB),
                };
                call(imp, self.known(args)?, t, false)
            }
            (
                "json_extract_path"
                | "json_extract_path_text"
                | "jsonb_extract_path"
                | "jsonb_extract_path_text",
                n,
            ) if n >= 1 && !(n == 2 && args[1].0.type_oid() == TEXT_ARRAY) => {
                // VARIADIC text[]: the path elements as one array.
                let mut elems = Vec::with_capacity(n - 1);
                for (x, p) in &args[1..] {
                    elems.push(self.coerce(x.clone(), TEXT, -1, false, *p)?);
                }
                let path = call("array", elems, TEXT_ARRAY, false);
                let mut v = vec![(args[0].0.clone(), args[0].1), (path, None)];
                if v[0].0.type_oid() == UNKNOWN {
                    let t = if name.starts_with("jsonb") {
                        JSONB
                    } else {
                        JSON
                    };
                    let (x, p) = v.remove(0);
                    v.insert(0, (self.coerce(x, t, -1, false, p)?, p));
                }
                return self.call_function(name, v, pos).map(Some);
            }
            _ => return Ok(None),
        }))
    }

    /// The arguments of `json[b]_populate_record[set](base, json)` as
    /// the implementation takes them (json, the field names, base) and the
    /// base's composite type.
    pub(crate) fn populate_args(
        &mut self,
        name: &str,
        args: &[(Expr, Option<usize>)],
        pos: Option<usize>,
    ) -> PgResult<(Vec<Expr>, u32)> {
        self.populate_args_with(name, args, pos, None)
            .map(|(a, t, _)| (a, t))
    }

    /// [`Self::populate_args`], the fields given by a column definition
    /// list when `defined` (a `record` base then need not be known); also
    /// the fields.
    pub(crate) fn populate_args_with(
        &mut self,
        name: &str,
        args: &[(Expr, Option<usize>)],
        pos: Option<usize>,
        defined: Option<Vec<types::datum::RecordField>>,
    ) -> PgResult<(Vec<Expr>, u32, std::sync::Arc<[types::datum::RecordField]>)> {
        let (base, bpos) = args[0].clone();
        let t = base.type_oid();
        let known = match t {
            RECORD => types::typcache::record_fields(base.typmod()),
            _ => types::datum::record::fields_of(t),
        };
        let fields = match (known, defined) {
            (Some(k), Some(d)) => {
                let mismatch = |detail: String| {
                    PgError::new(
                        SqlState::DatatypeMismatch,
                        "function return row and query-specified return row do not match",
                    )
                    .with_detail(detail)
                };
                if k.len() != d.len() {
                    return Err(mismatch(format!(
                        "Returned row contains {} attribute{}, but query expects {}.",
                        k.len(),
                        if k.len() == 1 { "" } else { "s" },
                        d.len()
                    )));
                }
                if let Some((i, (a, b))) = k
                    .iter()
                    .zip(d.iter())
                    .enumerate()
                    .find(|(_, (a, b))| a.type_oid != b.type_oid)
                {
                    return Err(mismatch(format!(
                        "Returned type {} at ordinal position {}, but query expects {}.",
                        oid::type_name(a.type_oid),
                        i + 1,
                        oid::type_name(b.type_oid)
                    )));
                }
                Some(d.into())
            }
            (None, Some(d)) => Some(d.into()),
            (k, None) => k,
        };
        let Some(fields) = fields else {
            if t == RECORD {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    format!("could not determine row type for result of {name}"),
                )
                .with_hint("Provide a non-null record argument, or call the function in the FROM clause using a column definition list.")
                .or_position(pos));
            }
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!("first argument of {name} must be a row type"),
            )
            .or_position(bpos.or(pos)));
        };
        let json_type = if name.starts_with("jsonb") {
            JSONB
        } else {
            JSON
        };
        let (j, jpos) = args[1].clone();
        let j = self.coerce(j, json_type, -1, false, jpos)?;
        let names = types::Datum::Array(Box::new(types::datum::ArrayValue::new(
            TEXT,
            fields
                .iter()
                .map(|f| types::Datum::Text(f.name.clone()))
                .collect(),
        )));
        Ok((
            vec![
                j,
                Expr::Const {
                    value: names,
                    type_oid: TEXT_ARRAY,
                },
                base,
            ],
            t,
            fields,
        ))
    }
}
