//! `tsvector` and `tsquery`: the values of full text search (PostgreSQL's
//! `tsvector.c`, `tsvector_parser.c`, `tsquery.c`, `tsquery_op.c`).
//!
//! A [`TsVector`] is a sorted, de-duplicated list of lexemes, each with an
//! optional sorted list of positions (1..16383) carrying a weight (A, B, C or
//! D). Lexemes sort by their bytes, shorter first on a common prefix
//! (`tsCompareString`).
//!
//! A [`TsQuery`] is kept as PostgreSQL keeps it: a list of items in prefix
//! (polish) order, operands carrying a weight mask and a prefix flag, operators
//! `!`, `&`, `|` and `<N>`. Text input goes through the same tokenizer as
//! `tsvector` input, with operator characters as delimiters; the infix output
//! puts parentheses only where the operator priorities (`!` 4, `<->` 3, `&` 2,
//! `|` 1) need them.
//!
//! The binary forms are byte-exact with `tsvectorsend` and `tsquerysend`.
//! Ordering follows `silly_cmp_tsvector` for `tsvector` (the stored size first)
//! and `CompareTSQ` for `tsquery` (item count, size, then the items).

use std::cmp::Ordering;

use crate::{PgError, PgResult, SqlState};

/// Longest lexeme, in bytes, plus one (`MAXSTRLEN`).
pub const MAXSTRLEN: usize = (1 << 11) - 1;
/// Largest total of lexeme bytes in a tsvector (`MAXSTRPOS`).
pub const MAXSTRPOS: usize = (1 << 20) - 1;
/// Positions are below this (`MAXENTRYPOS`).
pub const MAXENTRYPOS: u16 = 1 << 14;
/// Most positions one lexeme keeps (`MAXNUMPOS`).
pub const MAXNUMPOS: usize = 256;

/// One position: the low 14 bits are the position, the top two the weight
/// (3 = A, 2 = B, 1 = C, 0 = D), as in PostgreSQL's `WordEntryPos`.
pub type WordPos = u16;

pub fn pos_of(p: WordPos) -> u16 {
    p & 0x3fff
}

pub fn weight_of(p: WordPos) -> u8 {
    (p >> 14) as u8
}

pub fn make_pos(pos: u16, weight: u8) -> WordPos {
    (pos.min(MAXENTRYPOS - 1) & 0x3fff) | ((weight as u16 & 3) << 14)
}

/// One lexeme of a tsvector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexeme {
    pub word: String,
    /// Sorted by position, without duplicates; empty when the lexeme has no
    /// position information.
    pub positions: Vec<WordPos>,
}

/// A `tsvector` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TsVector {
    /// Sorted by [`compare_words`], unique.
    pub lexemes: Vec<Lexeme>,
}

/// `tsCompareString` without the prefix mode: byte order.
pub fn compare_words(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

fn syntax_error(kind: &str, s: &str) -> PgError {
    PgError::new(
        SqlState::SyntaxError,
        format!("syntax error in {kind}: \"{s}\""),
    )
}

/// Sorts positions and removes duplicates, keeping the higher weight
/// (`uniquePos`); stops at [`MAXNUMPOS`] positions or the last position.
pub fn unique_positions(mut v: Vec<WordPos>) -> Vec<WordPos> {
    if v.len() <= 1 {
        return v;
    }
    v.sort_by_key(|p| pos_of(*p));
    let mut out: Vec<WordPos> = Vec::with_capacity(v.len());
    for p in v {
        match out.last_mut() {
            Some(last) if pos_of(*last) == pos_of(p) => {
                if weight_of(p) > weight_of(*last) {
                    *last = make_pos(pos_of(*last), weight_of(p));
                }
            }
            _ => {
                if let Some(last) = out.last()
                    && (out.len() >= MAXNUMPOS || pos_of(*last) == MAXENTRYPOS - 1)
                {
                    break;
                }
                out.push(p);
            }
        }
    }
    out
}

impl TsVector {
    /// Builds a tsvector from lexemes in any order, merging duplicates
    /// (`uniqueentry`).
    pub fn from_lexemes(mut lexemes: Vec<Lexeme>) -> TsVector {
        lexemes.sort_by(|a, b| compare_words(&a.word, &b.word));
        let mut out: Vec<Lexeme> = Vec::with_capacity(lexemes.len());
        for l in lexemes {
            match out.last_mut() {
                Some(last) if last.word == l.word => last.positions.extend(l.positions),
                _ => out.push(l),
            }
        }
        for l in &mut out {
            l.positions = unique_positions(std::mem::take(&mut l.positions));
        }
        TsVector { lexemes: out }
    }

    /// `tsvectorin`.
    pub fn parse(s: &str) -> PgResult<TsVector> {
        let mut p = TokenParser::new(s, false);
        let mut lexemes = Vec::new();
        let mut total = 0usize;
        while let Some((word, positions)) = p.next_vector_token()? {
            if word.len() >= MAXSTRLEN {
                return Err(PgError::new(
                    SqlState::ProgramLimitExceeded,
                    format!(
                        "word is too long ({} bytes, max {} bytes)",
                        word.len(),
                        MAXSTRLEN - 1
                    ),
                ));
            }
            if total > MAXSTRPOS {
                return Err(PgError::new(
                    SqlState::ProgramLimitExceeded,
                    format!(
                        "string is too long for tsvector ({total} bytes, max {MAXSTRPOS} bytes)"
                    ),
                ));
            }
            total += word.len();
            lexemes.push(Lexeme { word, positions });
        }
        Ok(TsVector::from_lexemes(lexemes))
    }

    /// `tsvectorout`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, l) in self.lexemes.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            quote_into(&mut out, &l.word);
            if !l.positions.is_empty() {
                out.push(':');
                for (j, p) in l.positions.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    out.push_str(&pos_of(*p).to_string());
                    match weight_of(*p) {
                        3 => out.push('A'),
                        2 => out.push('B'),
                        1 => out.push('C'),
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// `tsvectorsend`.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut b = (self.lexemes.len() as u32).to_be_bytes().to_vec();
        for l in &self.lexemes {
            b.extend_from_slice(l.word.as_bytes());
            b.push(0);
            b.extend_from_slice(&(l.positions.len() as u16).to_be_bytes());
            for p in &l.positions {
                b.extend_from_slice(&p.to_be_bytes());
            }
        }
        b
    }

    /// `tsvectorrecv`.
    pub fn from_binary(b: &[u8]) -> PgResult<TsVector> {
        let mut r = Reader { b, at: 0 };
        let n = r.u32()? as usize;
        let mut lexemes: Vec<Lexeme> = Vec::with_capacity(n.min(1024));
        let mut sorted = true;
        for _ in 0..n {
            let word = r.cstring()?;
            let npos = r.u16()? as usize;
            if word.len() > MAXSTRLEN {
                return Err(PgError::internal("invalid tsvector: lexeme too long"));
            }
            if npos > MAXNUMPOS {
                return Err(PgError::internal("unexpected number of tsvector positions"));
            }
            let mut positions = Vec::with_capacity(npos);
            for j in 0..npos {
                let p = r.u16()?;
                if j > 0 && pos_of(p) <= pos_of(positions[j - 1]) {
                    return Err(PgError::internal("position information is misordered"));
                }
                positions.push(p);
            }
            if let Some(prev) = lexemes.last()
                && compare_words(&word, &prev.word) != Ordering::Greater
            {
                sorted = false;
            }
            lexemes.push(Lexeme { word, positions });
        }
        if !sorted {
            lexemes.sort_by(|a, b| compare_words(&a.word, &b.word));
        }
        Ok(TsVector { lexemes })
    }

    /// The size PostgreSQL stores (`VARSIZE`), which its ordering looks at first.
    pub fn stored_size(&self) -> usize {
        let mut buf = 0usize;
        for l in &self.lexemes {
            buf += l.word.len();
            if !l.positions.is_empty() {
                buf = (buf + 1) & !1;
                buf += 2 + 2 * l.positions.len();
            }
        }
        8 + 4 * self.lexemes.len() + buf
    }

    /// `silly_cmp_tsvector`.
    pub fn compare(&self, other: &TsVector) -> Ordering {
        let (sa, sb) = (self.stored_size(), other.stored_size());
        if sa != sb {
            return sa.cmp(&sb);
        }
        if self.lexemes.len() != other.lexemes.len() {
            return self.lexemes.len().cmp(&other.lexemes.len());
        }
        for (a, b) in self.lexemes.iter().zip(&other.lexemes) {
            let (ha, hb) = (!a.positions.is_empty(), !b.positions.is_empty());
            if ha != hb {
                return if ha {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            let c = compare_words(&a.word, &b.word);
            if c != Ordering::Equal {
                return c;
            }
            if ha {
                if a.positions.len() != b.positions.len() {
                    return b.positions.len().cmp(&a.positions.len());
                }
                for (pa, pb) in a.positions.iter().zip(&b.positions) {
                    if pos_of(*pa) != pos_of(*pb) {
                        return pos_of(*pb).cmp(&pos_of(*pa));
                    }
                    if weight_of(*pa) != weight_of(*pb) {
                        return weight_of(*pb).cmp(&weight_of(*pa));
                    }
                }
            }
        }
        Ordering::Equal
    }

    pub fn find(&self, word: &str) -> Option<&Lexeme> {
        self.lexemes
            .binary_search_by(|l| compare_words(&l.word, word))
            .ok()
            .map(|i| &self.lexemes[i])
    }
}

/// Writes `word` quoted as `tsvectorout` and `tsqueryout` do: `'` and `\`
/// doubled.
fn quote_into(out: &mut String, word: &str) {
    out.push('\'');
    for c in word.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> PgResult<&[u8]> {
        let s = self.b.get(self.at..self.at + n).ok_or_else(|| {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "insufficient data left in message",
            )
        })?;
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> PgResult<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> PgResult<u16> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> PgResult<u32> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn cstring(&mut self) -> PgResult<String> {
        let rest = &self.b[self.at.min(self.b.len())..];
        let nul = rest.iter().position(|&c| c == 0).ok_or_else(|| {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "invalid string in message",
            )
        })?;
        let s = crate::error::utf8_text(&rest[..nul])?.to_owned();
        self.at += nul + 1;
        Ok(s)
    }
}

/// The tokenizer shared by tsvector and tsquery input (`gettoken_tsvector`).
struct TokenParser<'a> {
    input: &'a str,
    chars: Vec<char>,
    at: usize,
    /// tsquery mode: operator characters end a word, and positions are not read.
    is_query: bool,
}

fn is_operator_char(c: char) -> bool {
    matches!(c, '!' | '&' | '|' | '(' | ')' | '<')
}

impl<'a> TokenParser<'a> {
    fn new(input: &'a str, is_query: bool) -> Self {
        TokenParser {
            input,
            chars: input.chars().collect(),
            at: 0,
            is_query,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn err(&self) -> PgError {
        syntax_error(
            if self.is_query { "tsquery" } else { "tsvector" },
            self.input,
        )
    }

    /// Reads one word (quoted or not, with backslash escapes). `None` at the
    /// end of the input.
    fn next_word(&mut self) -> PgResult<Option<(String, bool)>> {
        // WAITWORD
        loop {
            match self.peek() {
                None => return Ok(None),
                Some(c) if c.is_whitespace() => self.at += 1,
                Some(c) if self.is_query && is_operator_char(c) => return Err(self.err()),
                Some(_) => break,
            }
        }
        let mut word = String::new();
        if self.peek() == Some('\'') {
            self.at += 1;
            loop {
                match self.peek() {
                    None => return Err(self.err()),
                    Some('\\') => {
                        self.at += 1;
                        match self.peek() {
                            None => return Err(self.no_escaped()),
                            Some(c) => word.push(c),
                        }
                        self.at += 1;
                    }
                    Some('\'') => {
                        self.at += 1;
                        if self.peek() == Some('\'') {
                            word.push('\'');
                            self.at += 1;
                        } else {
                            if word.is_empty() {
                                return Err(self.err());
                            }
                            return Ok(Some((word, true)));
                        }
                    }
                    Some(c) => {
                        word.push(c);
                        self.at += 1;
                    }
                }
            }
        }
        loop {
            match self.peek() {
                Some('\\') => {
                    self.at += 1;
                    match self.peek() {
                        None => return Err(self.no_escaped()),
                        Some(c) => word.push(c),
                    }
                    self.at += 1;
                }
                None => break,
                Some(c) if c.is_whitespace() || (self.is_query && is_operator_char(c)) => break,
                Some(':') => {
                    if word.is_empty() {
                        return Err(self.err());
                    }
                    break;
                }
                Some(c) => {
                    word.push(c);
                    self.at += 1;
                }
            }
        }
        if word.is_empty() {
            return Err(self.err());
        }
        Ok(Some((word, false)))
    }

    fn no_escaped(&self) -> PgError {
        PgError::new(
            SqlState::SyntaxError,
            format!("there is no escaped character: \"{}\"", self.input),
        )
    }

    /// One lexeme of tsvector input with its positions.
    fn next_vector_token(&mut self) -> PgResult<Option<(String, Vec<WordPos>)>> {
        let Some((word, _)) = self.next_word()? else {
            return Ok(None);
        };
        let mut positions = Vec::new();
        if self.peek() != Some(':') {
            return Ok(Some((word, positions)));
        }
        self.at += 1;
        // INPOSINFO / WAITPOSDELIM
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
                self.at += 1;
            }
            if start == self.at {
                return Err(self.err());
            }
            let digits: String = self.chars[start..self.at].iter().collect();
            // atoi: saturate long digit strings
            let n: u64 = digits.parse().unwrap_or(u64::MAX);
            let n = n.min((MAXENTRYPOS - 1) as u64) as u16;
            if n == 0 {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    format!("wrong position info in tsvector: \"{}\"", self.input),
                ));
            }
            let mut weight: Option<u8> = None;
            loop {
                match self.peek() {
                    Some(',') => {
                        self.at += 1;
                        positions.push(make_pos(n, weight.unwrap_or(0)));
                        break;
                    }
                    Some(c @ ('a' | 'A' | '*' | 'b' | 'B' | 'c' | 'C' | 'd' | 'D')) => {
                        if weight.is_some_and(|w| w != 0) {
                            return Err(self.err());
                        }
                        weight = Some(match c {
                            'a' | 'A' | '*' => 3,
                            'b' | 'B' => 2,
                            'c' | 'C' => 1,
                            _ => 0,
                        });
                        self.at += 1;
                    }
                    None => {
                        positions.push(make_pos(n, weight.unwrap_or(0)));
                        return Ok(Some((word, positions)));
                    }
                    Some(c) if c.is_whitespace() => {
                        positions.push(make_pos(n, weight.unwrap_or(0)));
                        return Ok(Some((word, positions)));
                    }
                    Some(c) if c.is_ascii_digit() => {
                        // digits after a weight are read as part of nothing
                        // (PostgreSQL skips them); keep going
                        self.at += 1;
                    }
                    Some(_) => return Err(self.err()),
                }
            }
        }
    }
}

/// tsquery operators, with PostgreSQL's codes.
pub const OP_NOT: u8 = 1;
pub const OP_AND: u8 = 2;
pub const OP_OR: u8 = 3;
pub const OP_PHRASE: u8 = 4;

fn priority(op: u8) -> i32 {
    match op {
        OP_NOT => 4,
        OP_AND => 2,
        OP_OR => 1,
        _ => 3,
    }
}

/// One item of a tsquery in prefix order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryItem {
    /// An operand: the lexeme, a weight mask (bit 3 = A .. bit 0 = D, zero
    /// for any) and whether it matches as a prefix (`:*`).
    Val {
        word: String,
        weight: u8,
        prefix: bool,
    },
    /// An operator; `distance` is used by [`OP_PHRASE`] only.
    Opr { op: u8, distance: u16 },
}

/// A `tsquery` value: its items in prefix order (empty for a query without
/// lexemes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TsQuery {
    pub items: Vec<QueryItem>,
}

/// A tsquery as a tree, for the functions that rebuild queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryNode {
    Val {
        word: String,
        weight: u8,
        prefix: bool,
    },
    /// A stop word removed by a dictionary (`QI_VALSTOP`), dropped by
    /// [`clean_tree`] before the query is stored.
    Stop,
    Not(Box<QueryNode>),
    And(Box<QueryNode>, Box<QueryNode>),
    Or(Box<QueryNode>, Box<QueryNode>),
    Phrase(Box<QueryNode>, Box<QueryNode>, u16),
}

impl QueryNode {
    pub fn val(word: impl Into<String>, weight: u8, prefix: bool) -> QueryNode {
        QueryNode::Val {
            word: word.into(),
            weight,
            prefix,
        }
    }

    fn flatten(&self, out: &mut Vec<QueryItem>) {
        match self {
            QueryNode::Val {
                word,
                weight,
                prefix,
            } => out.push(QueryItem::Val {
                word: word.clone(),
                weight: *weight,
                prefix: *prefix,
            }),
            // never stored: cleaned before
            QueryNode::Stop => {}
            QueryNode::Not(a) => {
                out.push(QueryItem::Opr {
                    op: OP_NOT,
                    distance: 0,
                });
                a.flatten(out);
            }
            // PostgreSQL stores the right operand first after the operator
            QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
                let (op, distance) = match self {
                    QueryNode::And(..) => (OP_AND, 0),
                    QueryNode::Or(..) => (OP_OR, 0),
                    QueryNode::Phrase(_, _, d) => (OP_PHRASE, *d),
                    _ => unreachable!("binary operator"),
                };
                out.push(QueryItem::Opr { op, distance });
                r.flatten(out);
                l.flatten(out);
            }
        }
    }
}

/// Removes stop-word placeholders (`clean_stopword_intree`): an operator
/// loses an operand that is a stop word, `!` of a stop word is a stop word,
/// and a phrase operator whose operand disappears adds its distance to the
/// neighbour phrase operator. Returns `None` when nothing is left.
pub fn clean_tree(n: QueryNode) -> Option<QueryNode> {
    fn go(n: QueryNode) -> (Option<QueryNode>, u16, u16) {
        match n {
            QueryNode::And(a, b) => bin(OP_AND, *a, *b, 0),
            QueryNode::Or(a, b) => bin(OP_OR, *a, *b, 0),
            QueryNode::Phrase(a, b, d) => bin(OP_PHRASE, *a, *b, d),
            QueryNode::Not(a) => {
                let (a, l, r) = go(*a);
                (a.map(|a| QueryNode::Not(Box::new(a))), l, r)
            }
            QueryNode::Stop => (None, 0, 0),
            v @ QueryNode::Val { .. } => (Some(v), 0, 0),
        }
    }
    fn bin(op: u8, a: QueryNode, b: QueryNode, d: u16) -> (Option<QueryNode>, u16, u16) {
        let (la, lladd, lradd) = go(a);
        let (rb, rladd, rradd) = go(b);
        let build = |l: QueryNode, r: QueryNode, dist: u16| -> QueryNode {
            match op {
                OP_AND => QueryNode::And(Box::new(l), Box::new(r)),
                OP_OR => QueryNode::Or(Box::new(l), Box::new(r)),
                _ => QueryNode::Phrase(Box::new(l), Box::new(r), dist),
            }
        };
        let phrase = op == OP_PHRASE;
        match (la, rb) {
            (None, None) => {
                if phrase {
                    (None, lladd + d + rladd, lradd + d + rradd)
                } else {
                    (None, 0, 0)
                }
            }
            (Some(l), None) => (
                Some(l),
                lladd,
                if phrase { lradd + d + rradd } else { lradd },
            ),
            (None, Some(r)) => (
                Some(r),
                if phrase { lladd + d + rladd } else { rladd },
                rradd,
            ),
            (Some(l), Some(r)) => {
                let dist = if phrase { d + lradd + rladd } else { d };
                (Some(build(l, r, dist)), lladd, rradd)
            }
        }
    }
    go(n).0
}

impl TsQuery {
    pub fn from_tree(n: Option<QueryNode>) -> TsQuery {
        let mut items = Vec::new();
        if let Some(n) = n {
            n.flatten(&mut items);
        }
        TsQuery { items }
    }

    /// The tree of a non-empty query.
    pub fn tree(&self) -> Option<QueryNode> {
        if self.items.is_empty() {
            return None;
        }
        let mut at = 0;
        build_node(&self.items, &mut at)
    }

    /// `tsqueryin`.
    pub fn parse(s: &str) -> PgResult<TsQuery> {
        let tree = parse_query(s, &mut |word, weight, prefix| {
            Ok(QueryNode::val(word, weight, prefix))
        })?;
        Ok(TsQuery::from_tree(tree.and_then(clean_tree)))
    }

    /// `tsqueryout`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(t) = self.tree() {
            infix(&t, -1, false, &mut out);
        }
        out
    }

    /// `tsquerysend`.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut b = (self.items.len() as u32).to_be_bytes().to_vec();
        for it in &self.items {
            match it {
                QueryItem::Val {
                    word,
                    weight,
                    prefix,
                } => {
                    b.push(1);
                    b.push(*weight);
                    b.push(*prefix as u8);
                    b.extend_from_slice(word.as_bytes());
                    b.push(0);
                }
                QueryItem::Opr { op, distance } => {
                    b.push(2);
                    b.push(*op);
                    if *op == OP_PHRASE {
                        b.extend_from_slice(&distance.to_be_bytes());
                    }
                }
            }
        }
        b
    }

    /// `tsqueryrecv`.
    pub fn from_binary(b: &[u8]) -> PgResult<TsQuery> {
        let mut r = Reader { b, at: 0 };
        let n = r.u32()? as usize;
        let mut items = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            match r.u8()? {
                1 => {
                    let weight = r.u8()?;
                    let prefix = r.u8()? != 0;
                    let word = r.cstring()?;
                    if weight > 0xf {
                        return Err(PgError::internal("invalid tsquery: invalid weight bitmap"));
                    }
                    if word.len() > MAXSTRLEN {
                        return Err(PgError::internal("invalid tsquery: operand too long"));
                    }
                    items.push(QueryItem::Val {
                        word,
                        weight,
                        prefix,
                    });
                }
                2 => {
                    let op = r.u8()?;
                    if !(OP_NOT..=OP_PHRASE).contains(&op) {
                        return Err(PgError::internal(format!(
                            "invalid tsquery: unrecognized operator type {op}"
                        )));
                    }
                    let distance = if op == OP_PHRASE { r.u16()? } else { 0 };
                    items.push(QueryItem::Opr { op, distance });
                }
                t => {
                    return Err(PgError::internal(format!(
                        "unrecognized tsquery node type: {t}"
                    )));
                }
            }
        }
        let q = TsQuery { items };
        if !q.items.is_empty() {
            let mut at = 0;
            if build_node(&q.items, &mut at).is_none() || at != q.items.len() {
                return Err(PgError::internal("malformed tsquery"));
            }
        }
        Ok(q)
    }

    /// The size PostgreSQL stores: header, 12 bytes an item, operand strings.
    pub fn stored_size(&self) -> usize {
        let strings: usize = self
            .items
            .iter()
            .map(|i| match i {
                QueryItem::Val { word, .. } => word.len() + 1,
                QueryItem::Opr { .. } => 0,
            })
            .sum();
        8 + 12 * self.items.len() + strings
    }

    /// `CompareTSQ`: item count, stored size, then the trees
    /// (`QTNodeCompare`).
    pub fn compare(&self, other: &TsQuery) -> Ordering {
        if self.items.len() != other.items.len() {
            return self.items.len().cmp(&other.items.len());
        }
        let (sa, sb) = (self.stored_size(), other.stored_size());
        if sa != sb {
            return sa.cmp(&sb);
        }
        match (self.tree(), other.tree()) {
            (Some(a), Some(b)) => compare_nodes(&a, &b),
            _ => Ordering::Equal,
        }
    }
}

/// PostgreSQL's legacy CRC-32 of an operand (`valcrc`): the reflected table
/// driven the "normal" way (see `pg_crc.h`).
pub fn legacy_crc32(data: &[u8]) -> i32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc: u32 = 0xFFFF_FFFF;
    for &b in data {
        let idx = ((crc >> 24) ^ b as u32) & 0xFF;
        crc = TABLE[idx as usize] ^ (crc << 8);
    }
    (crc ^ 0xFFFF_FFFF) as i32
}

/// `QTNodeCompare`: operators before operands, higher operator codes first,
/// then the children (right operand first); operands by their CRC (higher
/// first), then their text.
fn compare_nodes(a: &QueryNode, b: &QueryNode) -> Ordering {
    fn code(n: &QueryNode) -> Option<(u8, u16)> {
        match n {
            QueryNode::Not(_) => Some((OP_NOT, 0)),
            QueryNode::And(..) => Some((OP_AND, 0)),
            QueryNode::Or(..) => Some((OP_OR, 0)),
            QueryNode::Phrase(_, _, d) => Some((OP_PHRASE, *d)),
            _ => None,
        }
    }
    fn children(n: &QueryNode) -> Vec<&QueryNode> {
        match n {
            QueryNode::Not(x) => vec![x],
            QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
                vec![r, l]
            }
            _ => vec![],
        }
    }
    match (code(a), code(b)) {
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some((oa, da)), Some((ob, db))) => {
            if oa != ob {
                return ob.cmp(&oa);
            }
            for (x, y) in children(a).into_iter().zip(children(b)) {
                let c = compare_nodes(x, y);
                if c != Ordering::Equal {
                    return c;
                }
            }
            db.cmp(&da)
        }
        (None, None) => {
            let (QueryNode::Val { word: wa, .. }, QueryNode::Val { word: wb, .. }) = (a, b) else {
                return Ordering::Equal;
            };
            let (ca, cb) = (legacy_crc32(wa.as_bytes()), legacy_crc32(wb.as_bytes()));
            if ca != cb {
                return cb.cmp(&ca);
            }
            compare_words(wa, wb)
        }
    }
}

fn build_node(items: &[QueryItem], at: &mut usize) -> Option<QueryNode> {
    let it = items.get(*at)?;
    *at += 1;
    Some(match it {
        QueryItem::Val {
            word,
            weight,
            prefix,
        } => QueryNode::val(word.clone(), *weight, *prefix),
        QueryItem::Opr { op: OP_NOT, .. } => QueryNode::Not(Box::new(build_node(items, at)?)),
        QueryItem::Opr { op, distance } => {
            let r = build_node(items, at)?;
            let l = build_node(items, at)?;
            match *op {
                OP_AND => QueryNode::And(Box::new(l), Box::new(r)),
                OP_OR => QueryNode::Or(Box::new(l), Box::new(r)),
                _ => QueryNode::Phrase(Box::new(l), Box::new(r), *distance),
            }
        }
    })
}

fn node_priority(n: &QueryNode) -> i32 {
    match n {
        QueryNode::Not(_) => priority(OP_NOT),
        QueryNode::And(..) => priority(OP_AND),
        QueryNode::Or(..) => priority(OP_OR),
        QueryNode::Phrase(..) => priority(OP_PHRASE),
        _ => 5,
    }
}

/// `infix` of tsquery.c.
fn infix(n: &QueryNode, parent: i32, right_phrase: bool, out: &mut String) {
    match n {
        QueryNode::Val {
            word,
            weight,
            prefix,
        } => {
            quote_into(out, word);
            if *weight != 0 || *prefix {
                out.push(':');
                if *prefix {
                    out.push('*');
                }
                for (bit, c) in [(8, 'A'), (4, 'B'), (2, 'C'), (1, 'D')] {
                    if weight & bit != 0 {
                        out.push(c);
                    }
                }
            }
        }
        QueryNode::Stop => {}
        QueryNode::Not(a) => {
            let p = priority(OP_NOT);
            if p < parent {
                out.push_str("( ");
            }
            out.push('!');
            infix(a, p, false, out);
            if p < parent {
                out.push_str(" )");
            }
        }
        QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
            let p = node_priority(n);
            let is_phrase = matches!(n, QueryNode::Phrase(..));
            let paren = p < parent || (is_phrase && right_phrase);
            if paren {
                out.push_str("( ");
            }
            infix(l, p, false, out);
            match n {
                QueryNode::And(..) => out.push_str(" & "),
                QueryNode::Or(..) => out.push_str(" | "),
                QueryNode::Phrase(_, _, 1) => out.push_str(" <-> "),
                QueryNode::Phrase(_, _, d) => out.push_str(&format!(" <{d}> ")),
                _ => {}
            }
            infix(r, p, is_phrase, out);
            if paren {
                out.push_str(" )");
            }
        }
    }
}

/// The operand callback of [`parse_query`]: turns one operand (its text,
/// weight mask and prefix flag) into a subtree (a dictionary may give several
/// lexemes or a stop word).
pub type PushValue<'a> = dyn FnMut(&str, u8, bool) -> PgResult<QueryNode> + 'a;

enum Token {
    Val(String, u8, bool),
    Opr(u8, u16),
    Open,
    Close,
    End,
}

struct QueryParser<'a> {
    tp: TokenParser<'a>,
    waiting_operand: bool,
    first: bool,
    depth: i32,
}

impl QueryParser<'_> {
    fn err(&self) -> PgError {
        syntax_error("tsquery", self.tp.input)
    }

    fn token(&mut self) -> PgResult<Token> {
        loop {
            let c = self.tp.peek();
            if self.waiting_operand {
                match c {
                    Some('!') => {
                        self.tp.at += 1;
                        self.first = false;
                        return Ok(Token::Opr(OP_NOT, 0));
                    }
                    Some('(') => {
                        self.tp.at += 1;
                        self.first = false;
                        self.depth += 1;
                        return Ok(Token::Open);
                    }
                    Some(':') => return Err(self.err()),
                    Some(c) if c.is_whitespace() => self.tp.at += 1,
                    None if self.first => return Ok(Token::End),
                    None => {
                        return Err(PgError::new(
                            SqlState::SyntaxError,
                            format!("no operand in tsquery: \"{}\"", self.tp.input),
                        ));
                    }
                    Some(_) => {
                        let Some((word, _)) = self.tp.next_word()? else {
                            return Err(self.err());
                        };
                        let (weight, prefix) = self.modifiers();
                        self.waiting_operand = false;
                        self.first = false;
                        return Ok(Token::Val(word, weight, prefix));
                    }
                }
            } else {
                match c {
                    Some('&') => {
                        self.tp.at += 1;
                        self.waiting_operand = true;
                        return Ok(Token::Opr(OP_AND, 0));
                    }
                    Some('|') => {
                        self.tp.at += 1;
                        self.waiting_operand = true;
                        return Ok(Token::Opr(OP_OR, 0));
                    }
                    Some('<') => {
                        let d = self.phrase_operator()?.ok_or_else(|| self.err())?;
                        self.waiting_operand = true;
                        return Ok(Token::Opr(OP_PHRASE, d));
                    }
                    Some(')') => {
                        self.tp.at += 1;
                        self.depth -= 1;
                        if self.depth < 0 {
                            return Err(self.err());
                        }
                        return Ok(Token::Close);
                    }
                    None => {
                        if self.depth != 0 {
                            return Err(self.err());
                        }
                        return Ok(Token::End);
                    }
                    Some(c) if c.is_whitespace() => self.tp.at += 1,
                    Some(_) => return Err(self.err()),
                }
            }
        }
    }

    /// `get_modifiers`: `:` then weights `ABCD` and `*` in any order.
    fn modifiers(&mut self) -> (u8, bool) {
        let (mut weight, mut prefix) = (0u8, false);
        if self.tp.peek() != Some(':') {
            return (0, false);
        }
        self.tp.at += 1;
        while let Some(c) = self.tp.peek() {
            match c {
                'a' | 'A' => weight |= 8,
                'b' | 'B' => weight |= 4,
                'c' | 'C' => weight |= 2,
                'd' | 'D' => weight |= 1,
                '*' => prefix = true,
                _ => break,
            }
            self.tp.at += 1;
        }
        (weight, prefix)
    }

    /// `<->` or `<N>`.
    fn phrase_operator(&mut self) -> PgResult<Option<u16>> {
        let ch = &self.tp.chars;
        let mut i = self.tp.at + 1;
        let mut dist: u64 = 1;
        match ch.get(i) {
            Some('-') => i += 1,
            Some(c) if c.is_ascii_digit() => {
                let start = i;
                while ch.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
                let digits: String = ch[start..i].iter().collect();
                dist = digits.parse().unwrap_or(u64::MAX);
                if dist > MAXENTRYPOS as u64 {
                    return Err(PgError::new(
                        SqlState::InvalidParameterValue,
                        format!(
                            "distance in phrase operator must be an integer value between zero and {MAXENTRYPOS} inclusive"
                        ),
                    ));
                }
            }
            _ => return Ok(None),
        }
        if ch.get(i) != Some(&'>') {
            return Ok(None);
        }
        // PHRASE_FINISH needs a character after '>'
        if i + 1 >= ch.len() {
            return Ok(None);
        }
        self.tp.at = i + 1;
        Ok(Some(dist as u16))
    }
}

/// `parse_tsquery` for the standard syntax: operands go through `push`.
/// Returns the tree before stop words are cleaned out (see [`clean_tree`]),
/// `None` for an input without operands.
pub fn parse_query(s: &str, push: &mut PushValue<'_>) -> PgResult<Option<QueryNode>> {
    let mut p = QueryParser {
        tp: TokenParser::new(s, true),
        waiting_operand: true,
        first: true,
        depth: 0,
    };
    makepol(&mut p, push, 0)
}

fn makepol(
    p: &mut QueryParser<'_>,
    push: &mut PushValue<'_>,
    depth: usize,
) -> PgResult<Option<QueryNode>> {
    if depth > 1000 {
        return Err(PgError::new(
            SqlState::StatementTooComplex,
            "stack depth limit exceeded",
        ));
    }
    let mut operands: Vec<QueryNode> = Vec::new();
    let mut ops: Vec<(u8, u16)> = Vec::new();
    fn reduce(operands: &mut Vec<QueryNode>, op: (u8, u16)) -> Option<()> {
        if op.0 == OP_NOT {
            let a = operands.pop()?;
            operands.push(QueryNode::Not(Box::new(a)));
        } else {
            let r = operands.pop()?;
            let l = operands.pop()?;
            operands.push(match op.0 {
                OP_AND => QueryNode::And(Box::new(l), Box::new(r)),
                OP_OR => QueryNode::Or(Box::new(l), Box::new(r)),
                _ => QueryNode::Phrase(Box::new(l), Box::new(r), op.1),
            });
        }
        Some(())
    }
    fn clean_ops(operands: &mut Vec<QueryNode>, ops: &mut Vec<(u8, u16)>, op: u8) -> Option<()> {
        let pr = priority(op);
        while let Some(top) = ops.last() {
            let tp = priority(top.0);
            if (op != OP_NOT && pr > tp) || (op == OP_NOT && pr >= tp) {
                break;
            }
            let top = ops.pop()?;
            reduce(operands, top)?;
        }
        Some(())
    }
    loop {
        match p.token()? {
            Token::End => break,
            Token::Val(w, weight, prefix) => operands.push(push(&w, weight, prefix)?),
            Token::Opr(op, d) => {
                clean_ops(&mut operands, &mut ops, op).ok_or_else(|| p.err())?;
                ops.push((op, d));
            }
            Token::Open => {
                p.waiting_operand = true;
                p.first = false;
                match makepol(p, push, depth + 1)? {
                    Some(n) => operands.push(n),
                    None => return Err(p.err()),
                }
                p.waiting_operand = false;
            }
            Token::Close => {
                clean_ops(&mut operands, &mut ops, OP_OR).ok_or_else(|| p.err())?;
                return finish(p, operands);
            }
        }
    }
    clean_ops(&mut operands, &mut ops, OP_OR).ok_or_else(|| p.err())?;
    finish(p, operands)
}

fn finish(p: &QueryParser<'_>, mut operands: Vec<QueryNode>) -> PgResult<Option<QueryNode>> {
    match operands.len() {
        0 => Ok(None),
        1 => Ok(operands.pop()),
        _ => Err(p.err()),
    }
}

/// The configurations there are, by name and `pg_ts_config` OID.
pub const CONFIGS: &[(&str, u32)] = &[("simple", 3748), ("english", 13164)];

/// `regconfigin`: the canonical name of a configuration, given as its name
/// (optionally schema-qualified with `pg_catalog`) or its OID.
pub fn regconfig_name(s: &str) -> PgResult<&'static str> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>()
        && let Some((name, _)) = CONFIGS.iter().find(|c| c.1 == n)
    {
        return Ok(name);
    }
    let unquoted = |p: &str| -> String {
        match p.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
            Some(q) => q.to_string(),
            None => p.to_lowercase(),
        }
    };
    let parts: Vec<String> = t.split('.').map(unquoted).collect();
    let name = match parts.as_slice() {
        [n] => n.as_str(),
        [schema, n] if schema == "pg_catalog" => n.as_str(),
        [schema, _] => {
            return Err(PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{schema}\" does not exist"),
            ));
        }
        _ => "",
    };
    CONFIGS
        .iter()
        .find(|c| c.0 == name)
        .map(|c| c.0)
        .ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedObject,
                format!("text search configuration \"{t}\" does not exist"),
            )
        })
}

/// The NOTICE of a query whose operands were all stop words.
pub const ONLY_STOP_WORDS_NOTICE: &str =
    "text-search query contains only stop words or doesn't contain lexemes, ignored";

/// The NOTICE of a query without operands.
pub fn no_lexemes_notice(s: &str) -> String {
    format!("text-search query doesn't contain lexemes: \"{s}\"")
}
