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
}
