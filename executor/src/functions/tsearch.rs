//! Full text search (PostgreSQL's `tsvector_op.c`, `tsquery_op.c`,
//! `to_tsany.c`, `wparser_def.c`, `dict_simple.c`, `dict_snowball.c`,
//! `tsrank.c`): matching a `tsvector` with a `tsquery` (`@@`), the
//! operators that combine them, and the text search configurations that turn
//! a document into lexemes.
//!
//! Two configurations exist, `simple` and `english`, over a default parser
//! that knows words (ASCII or not), words with digits, numbers and hyphenated
//! words; email addresses, URLs, hosts and file names are split into words.
//! `simple` lower-cases every token; `english` lower-cases, drops the stop
//! words of the Snowball english list and stems words with the Snowball
//! english stemmer (the `rust-stemmers` crate), as `english_stem` does.
//! Tokens with digits go to `simple` in both, as PostgreSQL maps them.
//!
//! Matching follows `TS_execute`: `&`, `|`, `!` on the presence of lexemes
//! (a prefix operand `:*` matches any lexeme it begins; a weight mask keeps
//! positions of those weights), and the phrase operator `<N>` on positions:
//! each operand yields the positions where it ends and its width, and
//! `l <N> r` matches where `r` ends `N` positions after `l` ends, counting the
//! width of `r`. A lexeme without positions matches any weight, but makes
//! a phrase "maybe", which the topmost phrase operator takes as no match, as
//! PostgreSQL does.

use std::sync::OnceLock;

use types::datum::ArrayValue;
use types::datum::tsearch::{
    Lexeme, MAXENTRYPOS, QueryItem, QueryNode, TsQuery, TsVector, WordPos, make_pos, pos_of,
    weight_of,
};
use types::{Datum, PgError, PgResult, SqlState, oid};

use crate::expr::Evaluator;

/// The implementation names this module answers.
pub fn call(func: &str, args: &[Datum], ev: &mut Evaluator<'_>) -> PgResult<Option<Datum>> {
    if !func.starts_with("ts_") {
        return Ok(None);
    }
    let vec = |i: usize| -> PgResult<&TsVector> {
        match args.get(i) {
            Some(Datum::TsVector(v)) => Ok(v),
            _ => Err(PgError::internal("tsvector argument expected")),
        }
    };
    let query = |i: usize| -> PgResult<&TsQuery> {
        match args.get(i) {
            Some(Datum::TsQuery(q)) => Ok(q),
            _ => Err(PgError::internal("tsquery argument expected")),
        }
    };
    let text = |i: usize| -> PgResult<&str> {
        match args.get(i) {
            Some(Datum::Text(s)) => Ok(s),
            _ => Err(PgError::internal("text argument expected")),
        }
    };
    let tsv = |v: TsVector| Datum::TsVector(Box::new(v));
    let tsq = |q: TsQuery| Datum::TsQuery(Box::new(q));
    Ok(Some(match func {
        "ts_match_vq" => Datum::Bool(matches(vec(0)?, query(1)?)),
        "ts_match_qv" => Datum::Bool(matches(vec(1)?, query(0)?)),
        "ts_match_tq" => {
            let cfg = default_config(ev)?;
            Datum::Bool(matches(&to_tsvector(cfg, text(0)?), query(1)?))
        }
        "ts_match_tt" => {
            let cfg = default_config(ev)?;
            let q = to_tsquery(cfg, text(1)?, QueryMode::Standard, ev)?;
            Datum::Bool(matches(&to_tsvector(cfg, text(0)?), &q))
        }
        "ts_concat" => tsv(concat(vec(0)?, vec(1)?)),
        "ts_strip" => tsv(TsVector {
            lexemes: vec(0)?
                .lexemes
                .iter()
                .map(|l| Lexeme {
                    word: l.word.clone(),
                    positions: Vec::new(),
                })
                .collect(),
        }),
        "ts_length" => Datum::Int4(vec(0)?.lexemes.len() as i32),
        "ts_setweight" => {
            let w = weight_arg(text(1)?)?;
            let mut v = vec(0)?.clone();
            for l in &mut v.lexemes {
                for p in &mut l.positions {
                    *p = make_pos(pos_of(*p), w);
                }
            }
            tsv(v)
        }
        "ts_setweight_by_filter" => {
            let w = weight_arg(text(1)?)?;
            let words = text_array_skip_nulls(args.get(2))?;
            let mut v = vec(0)?.clone();
            for l in &mut v.lexemes {
                if words.iter().any(|x| x == &l.word) {
                    for p in &mut l.positions {
                        *p = make_pos(pos_of(*p), w);
                    }
                }
            }
            tsv(v)
        }
        "ts_delete" => {
            let w = text(1)?;
            let mut v = vec(0)?.clone();
            v.lexemes.retain(|l| l.word != w);
            tsv(v)
        }
        "ts_delete_array" => {
            let words = text_array_skip_nulls(args.get(1))?;
            let mut v = vec(0)?.clone();
            v.lexemes.retain(|l| !words.contains(&l.word));
            tsv(v)
        }
        "ts_to_array" => Datum::Array(Box::new(ArrayValue::new(
            oid::TEXT,
            vec(0)?
                .lexemes
                .iter()
                .map(|l| Datum::Text(l.word.clone()))
                .collect(),
        ))),
        "ts_from_array" => {
            let words = text_array(args.first(), "lexeme array may not contain nulls")?;
            if words.iter().any(String::is_empty) {
                return Err(PgError::new(
                    SqlState::ZeroLengthCharacterString,
                    "lexeme array may not contain empty strings",
                ));
            }
            tsv(TsVector::from_lexemes(
                words
                    .into_iter()
                    .map(|word| Lexeme {
                        word,
                        positions: Vec::new(),
                    })
                    .collect(),
            ))
        }
        "ts_filter" => {
            let Some(Datum::Array(a)) = args.get(1) else {
                return Err(PgError::internal("ts_filter without weights"));
            };
            let mut mask = 0u8;
            for e in &a.elems {
                let Datum::Text(c) = e else {
                    return Err(PgError::new(
                        SqlState::NullValueNotAllowed,
                        "weight array may not contain nulls",
                    ));
                };
                mask |= 1
                    << weight_arg(c).map_err(|_| {
                        PgError::new(
                            SqlState::InvalidParameterValue,
                            format!("unrecognized weight: \"{c}\""),
                        )
                    })?;
            }
            let mut out = Vec::new();
            for l in &vec(0)?.lexemes {
                let kept: Vec<WordPos> = l
                    .positions
                    .iter()
                    .copied()
                    .filter(|p| mask & (1 << weight_of(*p)) != 0)
                    .collect();
                if !kept.is_empty() {
                    out.push(Lexeme {
                        word: l.word.clone(),
                        positions: kept,
                    });
                }
            }
            tsv(TsVector { lexemes: out })
        }
        "ts_query_contains" | "ts_query_contained" => {
            let (a, b) = if func == "ts_query_contains" {
                (query(0)?, query(1)?)
            } else {
                (query(1)?, query(0)?)
            };
            // tsq_mcontains: every operand of b is an operand of a
            let words = |q: &TsQuery| -> Vec<String> {
                q.items
                    .iter()
                    .filter_map(|i| match i {
                        QueryItem::Val { word, .. } => Some(word.clone()),
                        QueryItem::Opr { .. } => None,
                    })
                    .collect()
            };
            let (wa, wb) = (words(a), words(b));
            Datum::Bool(!wb.is_empty() && wb.iter().all(|w| wa.contains(w)))
        }
        "ts_headline" | "ts_headline_cfg" => {
            let (cfg, rest) = if func == "ts_headline_cfg" {
                (config(text(0)?)?, &args[1..])
            } else {
                (default_config(ev)?, args)
            };
            let (Some(Datum::Text(doc)), Some(Datum::TsQuery(q))) = (rest.first(), rest.get(1))
            else {
                return Err(PgError::internal("ts_headline arguments"));
            };
            let opts = match rest.get(2) {
                Some(Datum::Text(o)) => o.as_str(),
                _ => "",
            };
            Datum::Text(headline(cfg, doc, q, opts)?)
        }
        "ts_numnode" => Datum::Int4(query(0)?.items.len() as i32),
        "ts_querytree" => {
            let q = query(0)?;
            match q.tree().map(strip_not) {
                Some(Some(n)) => Datum::Text(TsQuery::from_tree(Some(n)).to_text()),
                Some(None) => Datum::Text("T".into()),
                None => Datum::Text(String::new()),
            }
        }
        "ts_query_and" | "ts_query_or" | "ts_query_phrase" | "ts_query_phrase_n" => {
            let (a, b) = (query(0)?, query(1)?);
            let distance = match args.get(2) {
                Some(Datum::Int4(d)) => {
                    if *d < 0 || *d > MAXENTRYPOS as i32 {
                        return Err(PgError::new(
                            SqlState::InvalidParameterValue,
                            format!(
                                "distance in phrase operator must be an integer value between zero and {MAXENTRYPOS} inclusive"
                            ),
                        ));
                    }
                    *d as u16
                }
                _ => 1,
            };
            match (a.tree(), b.tree()) {
                (None, _) => tsq(b.clone()),
                (_, None) => tsq(a.clone()),
                (Some(l), Some(r)) => {
                    let (l, r) = (Box::new(l), Box::new(r));
                    tsq(TsQuery::from_tree(Some(match func {
                        "ts_query_and" => QueryNode::And(l, r),
                        "ts_query_or" => QueryNode::Or(l, r),
                        _ => QueryNode::Phrase(l, r, distance),
                    })))
                }
            }
        }
        "ts_query_not" => {
            let a = query(0)?;
            match a.tree() {
                None => tsq(a.clone()),
                Some(n) => tsq(TsQuery::from_tree(Some(QueryNode::Not(Box::new(n))))),
            }
        }
        "ts_to_tsvector" => {
            let cfg = default_config(ev)?;
            tsv(to_tsvector(cfg, text(0)?))
        }
        "ts_to_tsvector_cfg" => {
            let cfg = config(text(0)?)?;
            tsv(to_tsvector(cfg, text(1)?))
        }
        "ts_to_tsquery"
        | "ts_plainto_tsquery"
        | "ts_phraseto_tsquery"
        | "ts_websearch_to_tsquery" => {
            let cfg = default_config(ev)?;
            tsq(to_tsquery(cfg, text(0)?, QueryMode::of(func), ev)?)
        }
        "ts_to_tsquery_cfg"
        | "ts_plainto_tsquery_cfg"
        | "ts_phraseto_tsquery_cfg"
        | "ts_websearch_to_tsquery_cfg" => {
            let cfg = config(text(0)?)?;
            let mode = QueryMode::of(func.trim_end_matches("_cfg"));
            tsq(to_tsquery(cfg, text(1)?, mode, ev)?)
        }
        "ts_get_current_config" => {
            let name = ev.ctx.setting("default_text_search_config")?;
            Datum::Text(name.trim_start_matches("pg_catalog.").to_string())
        }
        "ts_lexize" => {
            let dict = text(0)?;
            let word = text(1)?;
            let cfg = match dict {
                "simple" | "pg_catalog.simple" => Config::Simple,
                "english_stem" | "pg_catalog.english_stem" => Config::English,
                _ => {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("text search dictionary \"{dict}\" does not exist"),
                    ));
                }
            };
            let lexemes = normalize(cfg, word, true);
            Datum::Array(Box::new(ArrayValue::new(
                oid::TEXT,
                lexemes.into_iter().map(Datum::Text).collect(),
            )))
        }
        "ts_rank" | "ts_rank_cd" => {
            // ts_rank([weights,] vector, query [, normalization])
            let (weights, rest) = match args.first() {
                Some(Datum::Array(a)) => (Some(rank_weights(a)?), &args[1..]),
                _ => (None, args),
            };
            let (Some(Datum::TsVector(v)), Some(Datum::TsQuery(q))) = (rest.first(), rest.get(1))
            else {
                return Err(PgError::internal("ts_rank arguments"));
            };
            let norm = match rest.get(2) {
                Some(Datum::Int4(n)) => *n,
                _ => 0,
            };
            let w = weights.unwrap_or([0.1, 0.2, 0.4, 1.0]);
            if func == "ts_rank" {
                Datum::Float4(normalize_rank(rank(v, q, &w), v, norm))
            } else {
                let wd = w.map(|x| x as f64);
                Datum::Float4(normalize_rank(rank_cd(v, q, &wd) as f32, v, norm))
            }
        }
        _ => return Ok(None),
    }))
}

/// `ts_headline` (`prsd_headline`), its basic form: the words that match
/// an operand of the query are wrapped in `StartSel` / `StopSel`; a
/// document longer than `MaxWords` words is cut to `MinWords` words from
/// the first match. `HighlightAll` keeps the whole document.
fn headline(cfg: Config, doc: &str, q: &TsQuery, opts: &str) -> PgResult<String> {
    let mut start_sel = "<b>".to_string();
    let mut stop_sel = "</b>".to_string();
    let mut max_words: i64 = 35;
    let mut min_words: i64 = 15;
    let mut highlight_all = false;
    for part in opts.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            if part.trim().is_empty() {
                continue;
            }
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("unrecognized headline parameter: \"{}\"", part.trim()),
            ));
        };
        let (k, v) = (k.trim(), v.trim().trim_matches('"'));
        let int = |v: &str| -> PgResult<i64> {
            v.parse().map_err(|_| {
                PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("invalid value for parameter \"{k}\": \"{v}\""),
                )
            })
        };
        match k.to_ascii_lowercase().as_str() {
            "startsel" => start_sel = v.to_string(),
            "stopsel" => stop_sel = v.to_string(),
            "maxwords" => max_words = int(v)?,
            "minwords" => min_words = int(v)?,
            "highlightall" => {
                highlight_all = matches!(
                    v.to_ascii_lowercase().as_str(),
                    "true" | "t" | "on" | "1" | "yes" | "y"
                )
            }
            "shortword" | "maxfragments" | "fragmentdelimiter" => {}
            _ => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("unrecognized headline parameter: \"{k}\""),
                ));
            }
        }
    }
    if !highlight_all {
        if min_words >= max_words {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                "MinWords should be less than MaxWords",
            ));
        }
        if min_words <= 0 {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                "MinWords should be positive",
            ));
        }
    }
    let mut operands: Vec<(String, bool)> = Vec::new();
    if let Some(tree) = q.tree() {
        positive_operands(&tree, &mut operands);
    }
    // segments: (text, is_word)
    let mut segs: Vec<(String, bool)> = Vec::new();
    for c in doc.chars() {
        let w = c.is_alphanumeric();
        match segs.last_mut() {
            Some((t, lw)) if *lw == w => t.push(c),
            _ => segs.push((c.to_string(), w)),
        }
    }
    let hit = |word: &str| -> bool {
        normalize(cfg, word, false).iter().any(|lex| {
            operands.iter().any(|(o, prefix)| {
                if *prefix {
                    lex.starts_with(o.as_str())
                } else {
                    lex == o
                }
            })
        })
    };
    let marks: Vec<bool> = segs.iter().map(|(t, w)| *w && hit(t)).collect();
    let nwords = segs.iter().filter(|s| s.1).count() as i64;
    let (mut from, mut to) = (0usize, segs.len());
    if !highlight_all && nwords > max_words {
        let words: Vec<usize> = (0..segs.len()).filter(|&i| segs[i].1).collect();
        let first = marks.iter().position(|m| *m);
        let start_word = match first {
            Some(i) => words.iter().position(|&w| w == i).unwrap_or(0),
            None => 0,
        };
        let mut end_word = (start_word + min_words as usize).min(words.len());
        let mut start_word = start_word;
        if end_word - start_word < min_words as usize {
            start_word = end_word.saturating_sub(min_words as usize);
            end_word = words.len();
        }
        from = words[start_word];
        to = words[end_word - 1] + 1;
    }
    let mut out = String::new();
    for i in from..to {
        if marks[i] {
            out.push_str(&start_sel);
            out.push_str(&segs[i].0);
            out.push_str(&stop_sel);
        } else {
            out.push_str(&segs[i].0);
        }
    }
    Ok(out)
}

fn positive_operands(n: &QueryNode, out: &mut Vec<(String, bool)>) {
    match n {
        QueryNode::Val { word, prefix, .. } => out.push((word.clone(), *prefix)),
        QueryNode::Not(_) | QueryNode::Stop => {}
        QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
            positive_operands(l, out);
            positive_operands(r, out);
        }
    }
}

/// The rows of `unnest(tsvector)`: lexeme, positions and weights (NULLs
/// for a lexeme without positions).
pub fn unnest_rows(v: &TsVector) -> Vec<Vec<Datum>> {
    v.lexemes
        .iter()
        .map(|l| {
            if l.positions.is_empty() {
                return vec![Datum::Text(l.word.clone()), Datum::Null, Datum::Null];
            }
            let positions = l
                .positions
                .iter()
                .map(|p| Datum::Int2(pos_of(*p) as i16))
                .collect();
            let weights = l
                .positions
                .iter()
                .map(|p| Datum::Text(["D", "C", "B", "A"][weight_of(*p) as usize].into()))
                .collect();
            vec![
                Datum::Text(l.word.clone()),
                Datum::Array(Box::new(ArrayValue::new(oid::INT2, positions))),
                Datum::Array(Box::new(ArrayValue::new(oid::TEXT, weights))),
            ]
        })
        .collect()
}

fn weight_arg(s: &str) -> PgResult<u8> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => match c {
            'A' | 'a' => Ok(3),
            'B' | 'b' => Ok(2),
            'C' | 'c' => Ok(1),
            'D' | 'd' => Ok(0),
            _ => Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("unrecognized weight: {}", c as u32),
            )),
        },
        _ => Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("unrecognized weight: \"{s}\""),
        )),
    }
}

fn text_array(d: Option<&Datum>, null_msg: &str) -> PgResult<Vec<String>> {
    let Some(Datum::Array(a)) = d else {
        return Err(PgError::internal("text array argument expected"));
    };
    a.elems
        .iter()
        .map(|e| match e {
            Datum::Text(s) => Ok(s.clone()),
            _ => Err(PgError::new(SqlState::NullValueNotAllowed, null_msg)),
        })
        .collect()
}

/// The non-null elements of a text array (`ts_delete` and `setweight`
/// ignore NULLs).
fn text_array_skip_nulls(d: Option<&Datum>) -> PgResult<Vec<String>> {
    let Some(Datum::Array(a)) = d else {
        return Err(PgError::internal("text array argument expected"));
    };
    Ok(a.elems
        .iter()
        .filter_map(|e| match e {
            Datum::Text(s) => Some(s.clone()),
            _ => None,
        })
        .collect())
}

/// `tsvector || tsvector`: the right operand's positions shift past the
/// left's largest position.
fn concat(a: &TsVector, b: &TsVector) -> TsVector {
    let maxpos = a
        .lexemes
        .iter()
        .flat_map(|l| l.positions.iter().map(|p| pos_of(*p)))
        .max()
        .unwrap_or(0);
    let mut lexemes = a.lexemes.clone();
    for l in &b.lexemes {
        let positions: Vec<WordPos> = l
            .positions
            .iter()
            .map(|p| {
                let np = (pos_of(*p) as u32 + maxpos as u32).min(MAXENTRYPOS as u32 - 1) as u16;
                make_pos(np, weight_of(*p))
            })
            .collect();
        match lexemes.iter_mut().find(|x| x.word == l.word) {
            // the same lexeme in both: the right one's positions win when
            // the left has none
            Some(x) => {
                if x.positions.is_empty() {
                    x.positions = positions;
                } else if !positions.is_empty() {
                    x.positions.extend(positions);
                }
            }
            None => lexemes.push(Lexeme {
                word: l.word.clone(),
                positions,
            }),
        }
    }
    TsVector::from_lexemes(lexemes)
}

/// `querytree`: the query without its `!` parts; `None` when nothing is left.
fn strip_not(n: QueryNode) -> Option<QueryNode> {
    match n {
        QueryNode::Not(_) | QueryNode::Stop => None,
        QueryNode::Val { .. } => Some(n),
        QueryNode::And(l, r) => match (strip_not(*l), strip_not(*r)) {
            (Some(l), Some(r)) => Some(QueryNode::And(Box::new(l), Box::new(r))),
            (x, None) | (None, x) => x,
        },
        QueryNode::Or(l, r) => match (strip_not(*l), strip_not(*r)) {
            (Some(l), Some(r)) => Some(QueryNode::Or(Box::new(l), Box::new(r))),
            _ => None,
        },
        QueryNode::Phrase(l, r, d) => match (strip_not(*l), strip_not(*r)) {
            (Some(l), Some(r)) => Some(QueryNode::Phrase(Box::new(l), Box::new(r), d)),
            (x, None) | (None, x) => x,
        },
    }
}

// ---------------------------------------------------------------------------
// Matching

/// `tsvector @@ tsquery`.
pub fn matches(v: &TsVector, q: &TsQuery) -> bool {
    match q.tree() {
        None => false,
        Some(n) => exec(v, &n) != Tri::No,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    No,
    Yes,
    Maybe,
}

/// The lexemes an operand matches.
fn operand_lexemes<'a>(v: &'a TsVector, word: &str, prefix: bool) -> Vec<&'a Lexeme> {
    if prefix {
        v.lexemes
            .iter()
            .filter(|l| l.word.as_bytes().starts_with(word.as_bytes()))
            .collect()
    } else {
        v.find(word).into_iter().collect()
    }
}

fn weight_ok(mask: u8, p: WordPos) -> bool {
    mask == 0 || mask & (1 << weight_of(p)) != 0
}

fn exec(v: &TsVector, n: &QueryNode) -> Tri {
    match n {
        QueryNode::Val {
            word,
            weight,
            prefix,
        } => {
            let mut found = Tri::No;
            for l in operand_lexemes(v, word, *prefix) {
                if l.positions.is_empty() {
                    // a stripped lexeme matches whatever the weight
                    return Tri::Yes;
                }
                if l.positions.iter().any(|p| weight_ok(*weight, *p)) {
                    found = Tri::Yes;
                }
            }
            found
        }
        QueryNode::Stop => Tri::No,
        QueryNode::Not(a) => match exec(v, a) {
            Tri::No => Tri::Yes,
            Tri::Yes => Tri::No,
            Tri::Maybe => Tri::Maybe,
        },
        QueryNode::And(l, r) => match exec(v, l) {
            Tri::No => Tri::No,
            x => match (x, exec(v, r)) {
                (_, Tri::No) => Tri::No,
                (Tri::Yes, Tri::Yes) => Tri::Yes,
                _ => Tri::Maybe,
            },
        },
        QueryNode::Or(l, r) => match exec(v, l) {
            Tri::Yes => Tri::Yes,
            x => match (x, exec(v, r)) {
                (_, Tri::Yes) => Tri::Yes,
                (Tri::No, Tri::No) => Tri::No,
                _ => Tri::Maybe,
            },
        },
        // a phrase without positions to check does not match (the
        // topmost phrase operator turns "maybe" into "no", as PostgreSQL)
        QueryNode::Phrase(..) => match phrase(v, n) {
            Phrase::No | Phrase::Maybe => Tri::No,
            Phrase::Pos { pos, negate, .. } => {
                if negate || !pos.is_empty() {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
        },
    }
}

/// What a subquery of a phrase yields (`ExecPhraseData`): the positions
/// where it ends (or, negated, where it does not), and its width.
#[derive(Debug, Clone)]
enum Phrase {
    No,
    Maybe,
    Pos {
        pos: Vec<u16>,
        negate: bool,
        width: u16,
    },
}

fn phrase(v: &TsVector, n: &QueryNode) -> Phrase {
    match n {
        QueryNode::Val {
            word,
            weight,
            prefix,
        } => {
            let mut pos = Vec::new();
            let mut any = false;
            for l in operand_lexemes(v, word, *prefix) {
                if l.positions.is_empty() {
                    return Phrase::Maybe;
                }
                any = true;
                pos.extend(
                    l.positions
                        .iter()
                        .filter(|p| weight_ok(*weight, **p))
                        .map(|p| pos_of(*p)),
                );
            }
            if !any || pos.is_empty() {
                return Phrase::No;
            }
            pos.sort_unstable();
            pos.dedup();
            Phrase::Pos {
                pos,
                negate: false,
                width: 0,
            }
        }
        QueryNode::Stop => Phrase::No,
        QueryNode::Not(a) => match phrase(v, a) {
            Phrase::No => Phrase::Pos {
                pos: Vec::new(),
                negate: true,
                width: 0,
            },
            Phrase::Maybe => Phrase::Maybe,
            Phrase::Pos { pos, negate, width } => Phrase::Pos {
                pos,
                negate: !negate,
                width,
            },
        },
        QueryNode::Phrase(l, r, d) => {
            let (lp, rp) = (phrase(v, l), phrase(v, r));
            let (
                Phrase::Pos {
                    pos: lpos,
                    negate: lneg,
                    width: lw,
                },
                Phrase::Pos {
                    pos: rpos,
                    negate: rneg,
                    width: rw,
                },
            ) = (&lp, &rp)
            else {
                return match (lp, rp) {
                    (Phrase::No, _) | (_, Phrase::No) => Phrase::No,
                    _ => Phrase::Maybe,
                };
            };
            let shift = *d as i32 + *rw as i32;
            let width = lw + rw + d;
            let out: Vec<u16> = match (lneg, rneg) {
                (false, false) => rpos
                    .iter()
                    .copied()
                    .filter(|&p| {
                        lpos.binary_search(&((p as i32 - shift) as u16)).is_ok()
                            && p as i32 - shift > 0
                    })
                    .collect(),
                (false, true) => lpos
                    .iter()
                    .map(|&p| p as i32 + shift)
                    .filter(|&p| p < MAXENTRYPOS as i32 && rpos.binary_search(&(p as u16)).is_err())
                    .map(|p| p as u16)
                    .collect(),
                (true, false) => rpos
                    .iter()
                    .copied()
                    .filter(|&p| {
                        let lp = p as i32 - shift;
                        lp < 1 || lpos.binary_search(&(lp as u16)).is_err()
                    })
                    .collect(),
                (true, true) => {
                    // neither: the positions either excludes, shifted
                    let mut all: Vec<u16> = lpos
                        .iter()
                        .map(|&p| (p as i32 + shift) as u16)
                        .chain(rpos.iter().copied())
                        .collect();
                    all.sort_unstable();
                    all.dedup();
                    return Phrase::Pos {
                        pos: all,
                        negate: true,
                        width,
                    };
                }
            };
            if out.is_empty() {
                Phrase::No
            } else {
                Phrase::Pos {
                    pos: out,
                    negate: false,
                    width,
                }
            }
        }
        QueryNode::And(l, r) | QueryNode::Or(l, r) => {
            let is_and = matches!(n, QueryNode::And(..));
            let (lp, rp) = (phrase(v, l), phrase(v, r));
            let (
                Phrase::Pos {
                    pos: lpos,
                    negate: lneg,
                    width: lw,
                },
                Phrase::Pos {
                    pos: rpos,
                    negate: rneg,
                    width: rw,
                },
            ) = (&lp, &rp)
            else {
                return match (is_and, lp, rp) {
                    (true, Phrase::No, _) | (true, _, Phrase::No) => Phrase::No,
                    (false, Phrase::No, Phrase::No) => Phrase::No,
                    (false, Phrase::No, x) | (false, x, Phrase::No) => x,
                    _ => Phrase::Maybe,
                };
            };
            let width = (*lw).max(*rw);
            let has = |v: &Vec<u16>, p: u16| v.binary_search(&p).is_ok();
            let mut all: Vec<u16> = lpos.iter().chain(rpos.iter()).copied().collect();
            all.sort_unstable();
            all.dedup();
            // set algebra with complements
            let in_l = |p: u16| has(lpos, p) != *lneg;
            let in_r = |p: u16| has(rpos, p) != *rneg;
            let result_negated = if is_and {
                *lneg && *rneg
            } else {
                *lneg || *rneg
            };
            let keep: Vec<u16> = all
                .into_iter()
                .filter(|&p| {
                    let inside = if is_and {
                        in_l(p) && in_r(p)
                    } else {
                        in_l(p) || in_r(p)
                    };
                    inside != result_negated
                })
                .collect();
            if keep.is_empty() && !result_negated {
                Phrase::No
            } else {
                Phrase::Pos {
                    pos: keep,
                    negate: result_negated,
                    width,
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Ranking (tsrank.c, simplified)

fn rank_weights(a: &ArrayValue) -> PgResult<[f32; 4]> {
    if a.elems.len() < 4 {
        return Err(PgError::new(
            SqlState::ArraySubscriptError,
            "array of weight is too short",
        ));
    }
    let mut w = [0.0; 4];
    for (i, e) in a.elems.iter().take(4).enumerate() {
        w[i] = match e {
            Datum::Float4(f) => *f,
            Datum::Float8(f) => *f as f32,
            _ => {
                return Err(PgError::new(
                    SqlState::NullValueNotAllowed,
                    "array of weight must not contain nulls",
                ));
            }
        };
        if w[i] > 1.0 {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                "weight out of range",
            ));
        }
    }
    Ok(w)
}

fn query_words(q: &QueryNode, out: &mut Vec<(String, u8, bool)>) {
    match q {
        QueryNode::Val {
            word,
            weight,
            prefix,
        } => {
            if !out.iter().any(|(w, _, _)| w == word) {
                out.push((word.clone(), *weight, *prefix));
            }
        }
        QueryNode::Stop => {}
        QueryNode::Not(_) => {}
        QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
            query_words(l, out);
            query_words(r, out);
        }
    }
}

/// The distinct operands of a query, `!` ones too (`SortAndUniqItems`).
fn rank_items(q: &TsQuery) -> Vec<(String, bool)> {
    let mut items: Vec<(String, bool)> = q
        .items
        .iter()
        .filter_map(|i| match i {
            QueryItem::Val { word, prefix, .. } => Some((word.clone(), *prefix)),
            QueryItem::Opr { .. } => None,
        })
        .collect();
    items.sort_by(|a, b| types::datum::tsearch::compare_words(&a.0, &b.0).then(a.1.cmp(&b.1)));
    items.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    items
}

/// `ts_rank` (`calc_rank`): for an `&` or phrase query the proximity of
/// pairs of query words (`calc_rank_and`), else the weighted occurrences
/// (`calc_rank_or`). Computed in single precision as PostgreSQL does.
fn rank(v: &TsVector, q: &TsQuery, w: &[f32; 4]) -> f32 {
    if v.lexemes.is_empty() || q.items.is_empty() {
        return 0.0;
    }
    let is_and = matches!(
        q.items.first(),
        Some(QueryItem::Opr {
            op: types::datum::tsearch::OP_AND | types::datum::tsearch::OP_PHRASE,
            ..
        })
    );
    let res = if is_and {
        rank_and(v, q, w)
    } else {
        rank_or(v, q, w)
    };
    if res < 0.0 { 1e-20 } else { res }
}

fn rank_or(v: &TsVector, q: &TsQuery, w: &[f32; 4]) -> f32 {
    let items = rank_items(q);
    let mut res: f32 = 0.0;
    for (word, prefix) in &items {
        for l in operand_lexemes(v, word, *prefix) {
            let positions: Vec<WordPos> = if l.positions.is_empty() {
                vec![0]
            } else {
                l.positions.clone()
            };
            let mut resj: f32 = 0.0;
            let mut wjm: f32 = -1.0;
            let mut jm: i32 = 0;
            for (j, p) in positions.iter().enumerate() {
                let j = j as i32;
                let wt = w[weight_of(*p) as usize];
                resj += wt / ((j + 1) * (j + 1)) as f32;
                if wt > wjm {
                    wjm = wt;
                    jm = j;
                }
            }
            let part = wjm + resj - wjm / ((jm + 1) * (jm + 1)) as f32;
            res = (res as f64 + part as f64 / 1.644_934_066_85) as f32;
        }
    }
    if !items.is_empty() {
        res /= items.len() as f32;
    }
    res
}

fn rank_and(v: &TsVector, q: &TsQuery, w: &[f32; 4]) -> f32 {
    let items = rank_items(q);
    if items.len() < 2 {
        return rank_or(v, q, w);
    }
    let null_pos = make_pos(MAXENTRYPOS - 1, 0);
    let mut pos: Vec<Option<(Vec<WordPos>, bool)>> = vec![None; items.len()];
    let mut res: f32 = -1.0;
    for i in 0..items.len() {
        let (word, prefix) = &items[i];
        for l in operand_lexemes(v, word, *prefix) {
            let mine = if l.positions.is_empty() {
                (vec![null_pos], true)
            } else {
                (l.positions.clone(), false)
            };
            for (ct, knull) in pos[..i].iter().flatten() {
                for pl in &mine.0 {
                    for pk in ct {
                        let mut dist = (pos_of(*pl) as i32 - pos_of(*pk) as i32).abs();
                        if dist != 0 || mine.1 || *knull {
                            if dist == 0 {
                                dist = MAXENTRYPOS as i32;
                            }
                            let prod = w[weight_of(*pl) as usize]
                                * w[weight_of(*pk) as usize]
                                * word_distance(dist);
                            let curw = (prod as f64).sqrt() as f32;
                            res = if res < 0.0 {
                                curw
                            } else {
                                (1.0 - (1.0 - res as f64) * (1.0 - curw as f64)) as f32
                            };
                        }
                    }
                }
            }
            pos[i] = Some(mine);
        }
    }
    res
}

fn word_distance(d: i32) -> f32 {
    if d > 100 {
        1e-30
    } else {
        (1.0 / (1.005 + 0.05 * ((d as f32 as f64 / 1.5 - 2.0).exp()))) as f32
    }
}

/// `ts_rank_cd`: cover density, simplified to the covers of the query's
/// words in order of position.
fn rank_cd(v: &TsVector, q: &TsQuery, w: &[f64; 4]) -> f64 {
    let Some(tree) = q.tree() else {
        return 0.0;
    };
    let mut words = Vec::new();
    query_words(&tree, &mut words);
    // every position of a query word, with its weight
    let mut doc: Vec<(u16, usize, f64)> = Vec::new();
    for (i, (word, mask, prefix)) in words.iter().enumerate() {
        for l in operand_lexemes(v, word, *prefix) {
            for p in &l.positions {
                if weight_ok(*mask, *p) {
                    doc.push((pos_of(*p), i, w[weight_of(*p) as usize]));
                }
            }
        }
    }
    doc.sort_by_key(|d| d.0);
    let mut res = 0.0;
    let mut start = 0;
    while start < doc.len() {
        // the shortest extent from `start` that satisfies the query
        let mut seen = vec![false; words.len()];
        let mut end = None;
        for (k, &(_, i, _)) in doc.iter().enumerate().skip(start) {
            seen[i] = true;
            let present = |n: &QueryNode| -> bool { satisfied(n, &words, &seen) };
            if present(&tree) {
                end = Some(k);
                break;
            }
        }
        let Some(end) = end else {
            break;
        };
        // shrink from the left
        let mut b = end;
        let mut seen2 = vec![false; words.len()];
        loop {
            seen2[doc[b].1] = true;
            if satisfied(&tree, &words, &seen2) || b == start {
                break;
            }
            b -= 1;
        }
        let den: f64 = doc[b..=end].iter().map(|d| d.2).sum::<f64>();
        let nitems = (end - b + 1) as f64;
        let invsum: f64 = doc[b..=end].iter().map(|d| 1.0 / d.2).sum();
        let cpos = (doc[end].0 as f64 - doc[b].0 as f64) + 1.0;
        let _ = den;
        let inv = nitems / invsum;
        res += inv / (cpos - nitems + 1.0);
        start = b + 1;
    }
    res
}

fn satisfied(n: &QueryNode, words: &[(String, u8, bool)], seen: &[bool]) -> bool {
    match n {
        QueryNode::Val { word, .. } => words
            .iter()
            .position(|(w, _, _)| w == word)
            .is_some_and(|i| seen[i]),
        QueryNode::Stop => false,
        QueryNode::Not(_) => true,
        QueryNode::And(l, r) | QueryNode::Phrase(l, r, _) => {
            satisfied(l, words, seen) && satisfied(r, words, seen)
        }
        QueryNode::Or(l, r) => satisfied(l, words, seen) || satisfied(r, words, seen),
    }
}

/// The normalization flags of `ts_rank` (bits 0..5).
fn normalize_rank(mut r: f32, v: &TsVector, flags: i32) -> f32 {
    let len: usize = v.lexemes.iter().map(|l| l.positions.len().max(1)).sum();
    if flags & 1 != 0 && !v.lexemes.is_empty() {
        r = (r as f64 / (((len + 1) as f64).ln() / 2f64.ln())) as f32;
    }
    if flags & 2 != 0 && len > 0 {
        r /= len as f32;
    }
    if flags & 8 != 0 && !v.lexemes.is_empty() {
        r /= v.lexemes.len() as f32;
    }
    if flags & 16 != 0 && !v.lexemes.is_empty() {
        r = (r as f64 / (((v.lexemes.len() + 1) as f64).ln() / 2f64.ln())) as f32;
    }
    if flags & 32 != 0 {
        r /= r + 1.0;
    }
    r
}

// ---------------------------------------------------------------------------
// Configurations, parser and dictionaries

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    Simple,
    English,
}

/// A configuration by name (`regconfig` input).
pub fn config(name: &str) -> PgResult<Config> {
    match types::datum::tsearch::regconfig_name(name)? {
        "english" => Ok(Config::English),
        _ => Ok(Config::Simple),
    }
}

fn default_config(ev: &mut Evaluator<'_>) -> PgResult<Config> {
    let name = ev.ctx.setting("default_text_search_config")?;
    config(&name)
}

/// The token kinds of the default parser that we tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// letters only (`asciiword`, `word`)
    Word,
    /// letters and digits (`numword`)
    NumWord,
    /// digits only (`uint`)
    Number,
    /// a hyphenated word as a whole (`asciihword`, `hword`, `numhword`)
    HyphenWord,
}

/// Splits a document into tokens with the positions they take. A hyphenated
/// word gives the whole word, then its parts.
fn parse_document(text: &str) -> Vec<(String, TokenKind)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let is_word_char = |c: char| c.is_alphanumeric();
    while i < chars.len() {
        if !is_word_char(chars[i]) {
            i += 1;
            continue;
        }
        // a run of word characters, possibly joined by single hyphens
        let start = i;
        let mut parts: Vec<(usize, usize)> = Vec::new();
        let mut part_start = i;
        loop {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            parts.push((part_start, i));
            if i + 1 < chars.len() && chars[i] == '-' && is_word_char(chars[i + 1]) {
                i += 1;
                part_start = i;
            } else {
                break;
            }
        }
        let kind_of = |s: &[char]| {
            let digits = s.iter().all(|c| c.is_ascii_digit());
            let letters = s.iter().all(|c| c.is_alphabetic());
            if digits {
                TokenKind::Number
            } else if letters {
                TokenKind::Word
            } else {
                TokenKind::NumWord
            }
        };
        if parts.len() > 1 {
            // all-digit parts joined by hyphens are numbers with signs in
            // PostgreSQL; keep them as separate numbers
            if parts
                .iter()
                .all(|&(a, b)| kind_of(&chars[a..b]) == TokenKind::Number)
            {
                for (k, &(a, b)) in parts.iter().enumerate() {
                    let mut s: String = chars[a..b].iter().collect();
                    if k > 0 {
                        s.insert(0, '-');
                    }
                    out.push((s, TokenKind::Number));
                }
                continue;
            }
            out.push((chars[start..i].iter().collect(), TokenKind::HyphenWord));
        }
        for &(a, b) in &parts {
            out.push((chars[a..b].iter().collect(), kind_of(&chars[a..b])));
        }
    }
    out
}

/// `to_tsvector(config, text)`.
pub fn to_tsvector(cfg: Config, text: &str) -> TsVector {
    let mut lexemes = Vec::new();
    let mut pos: u32 = 0;
    for (token, kind) in parse_document(text) {
        pos += 1;
        for word in normalize_token(cfg, &token, kind) {
            if word.len() >= types::datum::tsearch::MAXSTRLEN {
                continue;
            }
            lexemes.push(Lexeme {
                word,
                positions: vec![make_pos(pos.min(MAXENTRYPOS as u32 - 1) as u16, 0)],
            });
        }
    }
    TsVector::from_lexemes(lexemes)
}

fn normalize_token(cfg: Config, token: &str, kind: TokenKind) -> Vec<String> {
    match kind {
        TokenKind::Word | TokenKind::HyphenWord => normalize(cfg, token, false),
        TokenKind::NumWord | TokenKind::Number => normalize(Config::Simple, token, false),
    }
}

/// A dictionary's lexemes for one token: lower case, then (english) the
/// stop word test and the stemmer. `lexize` answers `ts_lexize`.
fn normalize(cfg: Config, token: &str, _lexize: bool) -> Vec<String> {
    let lower = token.to_lowercase();
    match cfg {
        Config::Simple => vec![lower],
        Config::English => {
            if english_stop_words().contains(&lower.as_str()) {
                return Vec::new();
            }
            vec![stemmer().stem(&lower).into_owned()]
        }
    }
}

fn stemmer() -> &'static rust_stemmers::Stemmer {
    static STEMMER: OnceLock<rust_stemmers::Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
}

/// The Snowball project's english stop word list (BSD licensed), the list
/// PostgreSQL's `english_stem` dictionary uses.
fn english_stop_words() -> &'static [&'static str] {
    &[
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "a",
        "an",
        "the",
        "and",
        "but",
        "if",
        "or",
        "because",
        "as",
        "until",
        "while",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryMode {
    Standard,
    Plain,
    Phrase,
    Web,
}

impl QueryMode {
    fn of(func: &str) -> QueryMode {
        match func {
            "ts_plainto_tsquery" => QueryMode::Plain,
            "ts_phraseto_tsquery" => QueryMode::Phrase,
            "ts_websearch_to_tsquery" => QueryMode::Web,
            _ => QueryMode::Standard,
        }
    }
}

/// `to_tsquery`, `plainto_tsquery`, `phraseto_tsquery`,
/// `websearch_to_tsquery`.
fn to_tsquery(
    cfg: Config,
    text: &str,
    mode: QueryMode,
    ev: &mut Evaluator<'_>,
) -> PgResult<TsQuery> {
    use types::datum::tsearch::{OP_AND, OP_PHRASE, clean_tree, parse_query};
    let tree = match mode {
        QueryMode::Standard => {
            let mut push = |word: &str, weight: u8, prefix: bool| -> PgResult<QueryNode> {
                Ok(morph(cfg, word, weight, prefix, OP_PHRASE))
            };
            parse_query(text, &mut push)?
        }
        QueryMode::Plain if text.is_empty() => None,
        QueryMode::Plain => Some(morph(cfg, text, 0, false, OP_AND)),
        QueryMode::Phrase if text.is_empty() => None,
        QueryMode::Phrase => Some(morph(cfg, text, 0, false, OP_PHRASE)),
        QueryMode::Web => websearch(cfg, text),
    };
    let Some(tree) = tree else {
        ev.ctx
            .notice(types::datum::tsearch::no_lexemes_notice(text));
        return Ok(TsQuery::default());
    };
    let cleaned = clean_tree(tree);
    if cleaned.is_none() {
        ev.ctx
            .notice(types::datum::tsearch::ONLY_STOP_WORDS_NOTICE.to_string());
    }
    Ok(TsQuery::from_tree(cleaned))
}

/// `pushval_morph`: one operand run through the configuration. Its lexemes
/// are joined by `op` (`<->` for `to_tsquery`, `&` for `plainto_tsquery`);
/// a stop word between two lexemes leaves a placeholder, so that a phrase
/// keeps its distance; an operand without lexemes is a stop word.
fn morph(cfg: Config, text: &str, weight: u8, prefix: bool, op: u8) -> QueryNode {
    let join = |l: QueryNode, r: QueryNode| -> QueryNode {
        if op == types::datum::tsearch::OP_AND {
            QueryNode::And(Box::new(l), Box::new(r))
        } else {
            QueryNode::Phrase(Box::new(l), Box::new(r), 1)
        }
    };
    let mut acc: Option<QueryNode> = None;
    let mut last = 0usize;
    for (i, (token, kind)) in parse_document(text).into_iter().enumerate() {
        let pos = i + 1;
        let words = normalize_token(cfg, &token, kind);
        if words.is_empty() {
            continue;
        }
        if let Some(a) = acc.take() {
            let mut a = a;
            for _ in last + 1..pos {
                a = join(a, QueryNode::Stop);
            }
            acc = Some(join(a, join_variants(words, weight, prefix)));
        } else {
            acc = Some(join_variants(words, weight, prefix));
        }
        last = pos;
    }
    acc.unwrap_or(QueryNode::Stop)
}

fn join_variants(words: Vec<String>, weight: u8, prefix: bool) -> QueryNode {
    let mut it = words.into_iter();
    let first = QueryNode::val(it.next().unwrap_or_default(), weight, prefix);
    it.fold(first, |acc, w| {
        QueryNode::And(Box::new(acc), Box::new(QueryNode::val(w, weight, prefix)))
    })
}

#[derive(Debug)]
enum WebToken {
    Val(QueryNode),
    Not,
    And,
    Or,
}

/// `websearch_to_tsquery`: words joined by an implicit `&`, `or` between
/// them, `-` before one for `!`, and `"..."` for a phrase; any other
/// punctuation is ignored and the input never fails to parse.
fn websearch(cfg: Config, text: &str) -> Option<QueryNode> {
    use types::datum::tsearch::OP_PHRASE;
    let chars: Vec<char> = text.chars().collect();
    let is_op = |c: char| matches!(c, '!' | '&' | '|' | '(' | ')' | '<');
    let mut tokens: Vec<WebToken> = Vec::new();
    let mut i = 0;
    let mut waiting_operand = true;
    let mut first = true;
    loop {
        if waiting_operand {
            let Some(&c) = chars.get(i) else {
                if !first {
                    tokens.push(WebToken::Val(QueryNode::Stop));
                }
                break;
            };
            if c == '-' {
                i += 1;
                first = false;
                tokens.push(WebToken::Not);
            } else if c == '"' {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                let quoted: String = chars[start..i].iter().collect();
                if i < chars.len() {
                    i += 1;
                }
                tokens.push(WebToken::Val(morph(cfg, &quoted, 0, false, OP_PHRASE)));
                waiting_operand = false;
                first = false;
            } else if is_op(c) || c.is_whitespace() {
                i += 1;
            } else {
                let start = i;
                i += 1;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !is_op(chars[i])
                    && chars[i] != '"'
                    && chars[i] != ':'
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                tokens.push(WebToken::Val(morph(cfg, &word, 0, false, OP_PHRASE)));
                waiting_operand = false;
                first = false;
            }
        } else {
            let Some(&c) = chars.get(i) else {
                break;
            };
            if web_or_operator(&chars[i..]) {
                i += 2;
                tokens.push(WebToken::Or);
                waiting_operand = true;
            } else if is_op(c) || c.is_whitespace() {
                i += 1;
            } else {
                tokens.push(WebToken::And);
                waiting_operand = true;
            }
        }
    }
    let mut it = tokens.into_iter().peekable();
    web_or(&mut it)
}

/// `parse_or_operator`: `or` not followed by a word character, with an
/// operand somewhere after it.
fn web_or_operator(rest: &[char]) -> bool {
    if rest.len() < 2 || !rest[0].eq_ignore_ascii_case(&'o') || !rest[1].eq_ignore_ascii_case(&'r')
    {
        return false;
    }
    match rest.get(2) {
        None => false,
        Some(&c) if c == '-' || c == '_' || c.is_alphanumeric() => false,
        Some(_) => rest[3..].iter().any(|c| !c.is_whitespace()),
    }
}

type WebTokens = std::iter::Peekable<std::vec::IntoIter<WebToken>>;

fn web_or(it: &mut WebTokens) -> Option<QueryNode> {
    let mut acc = web_and(it)?;
    while matches!(it.peek(), Some(WebToken::Or)) {
        it.next();
        let r = web_and(it)?;
        acc = QueryNode::Or(Box::new(acc), Box::new(r));
    }
    Some(acc)
}

fn web_and(it: &mut WebTokens) -> Option<QueryNode> {
    let mut acc = web_unary(it)?;
    while matches!(it.peek(), Some(WebToken::And)) {
        it.next();
        let r = web_unary(it)?;
        acc = QueryNode::And(Box::new(acc), Box::new(r));
    }
    Some(acc)
}

fn web_unary(it: &mut WebTokens) -> Option<QueryNode> {
    match it.next()? {
        WebToken::Not => Some(QueryNode::Not(Box::new(web_unary(it)?))),
        WebToken::Val(n) => Some(n),
        WebToken::And | WebToken::Or => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_vector() {
        let v = to_tsvector(
            Config::English,
            "The quick brown foxes jumped over the lazy dogs",
        );
        assert_eq!(
            v.to_text(),
            "'brown':3 'dog':9 'fox':4 'jump':5 'lazi':8 'quick':2"
        );
    }

    #[test]
    fn phrase_match() -> PgResult<()> {
        let v = TsVector::parse("a:1 b:2 c:3")?;
        let m = |q: &str| -> PgResult<bool> { Ok(matches(&v, &TsQuery::parse(q)?)) };
        assert!(m("a <-> b")?);
        assert!(!m("a <-> c")?);
        assert!(m("a <2> c")?);
        assert!(m("a <-> (b <-> c)")?);
        assert!(m("a <-> !c")?);
        assert!(!m("a <-> !b")?);
        Ok(())
    }
}
