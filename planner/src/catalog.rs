//! What analysis needs to know about relations, as an interface the backend
//! implements over the real system catalogs (`pg_class`, `pg_attribute`,
//! `pg_attrdef`, search_path).
//!
//! The planner never reads catalogs itself: it asks a [`CatalogView`] for a
//! [`RelationDesc`] by name. The view applies `search_path` when no schema is
//! given and decides visibility (the caller's snapshot, its own uncommitted DDL).
//! [`EmptyCatalog`] knows no relations: every table reference is then 42P01,
//! which is what [`crate::plan_statement`] uses.

use std::sync::Arc;

use types::{PgError, PgResult, SqlState};

/// One column of a relation (`pg_attribute` plus its `pg_attrdef` default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDesc {
    pub name: String,
    pub type_oid: u32,
    /// `atttypmod`: -1, or e.g. `varchar(3)` = 7, `numeric(5,2)` as `pg_attribute` stores it
    pub typmod: i32,
    pub not_null: bool,
    /// The SQL text of the default expression (`pg_get_expr(adbin, adrelid)`),
    /// parsed and analyzed by the planner when a row needs it.
    pub default: Option<String>,
    /// 1-based position in the relation; columns are kept in attnum order.
    pub attnum: i16,
    /// A dropped column: invisible to SQL, stored as NULL in full-width rows.
    pub dropped: bool,
    /// `attidentity`: `'a'` GENERATED ALWAYS, `'d'` BY DEFAULT, `'\0'` not
    /// an identity column (whose `default` is then its sequence's nextval).
    pub identity: char,
    /// `attgenerated`: `'s'` a stored generated column, whose `default` is
    /// its generation expression (computed by the executor for every row
    /// written, see [`RelationDesc::generated`]); `'\0'` none.
    pub generated: char,
}

/// A relation as the planner sees it. Rows of the relation exchanged with the
/// executor are full-width: one value per entry of `columns`, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationDesc {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    /// `pg_class.relkind`: `'r'` ordinary table (the only kind planned today),
    /// `'v'` view, `'i'` index, `'S'` sequence, ...
    pub relkind: char,
    pub columns: Vec<ColumnDesc>,
    /// The table's usable B-tree indexes.
    pub indexes: Vec<IndexDesc>,
    /// CHECK constraints every new row version must pass (not be false),
    /// in name order: (name, boolean expression over the row).
    pub checks: Arc<Vec<(String, crate::expr::Expr)>>,
    /// The stored generated columns: (column index, generation expression
    /// over the row, coerced to the column's type), in column order. The
    /// executor computes them after the BEFORE ROW triggers of an INSERT or
    /// UPDATE and before the constraints are checked, as PostgreSQL's
    /// `ExecComputeStoredGenerated` does.
    pub generated: Arc<Vec<(usize, crate::expr::Expr)>>,
    /// A view's query (relkind `'v'`), as SQL text: FROM expands it.
    pub view_query: Option<Arc<str>>,
    /// The alias of the FROM item that scans it (`FROM t AS x`), for
    /// EXPLAIN; None as the catalog describes it.
    pub alias: Option<String>,
    /// Inheritance children, or a partitioned table's partitions, each
    /// described with its own, in scan order: a FROM item or an UPDATE /
    /// DELETE target without ONLY covers them too.
    pub children: Vec<Arc<RelationDesc>>,
    /// A partitioned table's key and how a row finds its partition.
    pub partitioning: Option<Arc<Partitioning>>,
    /// A partition's constraint (its bound and its ancestors'), a boolean
    /// expression over its row that every row in it satisfies.
    pub partition_check: Option<Arc<crate::expr::Expr>>,
    /// Its enabled triggers, by name (see [`TriggerDesc`]).
    pub triggers: Arc<Vec<TriggerDesc>>,
    /// Its size and column statistics (what VACUUM and ANALYZE saw), for
    /// the cost estimates (`selfuncs.rs`).
    pub stats: Arc<catalog::statistics::RelationStatistics>,
    /// A scan of it appends the system columns ([`SYSTEM_COLUMNS`], in
    /// that order) to each row, after the row's own columns: set by
    /// analysis on the scans of a statement that may read them, so that
    /// the rows of every other scan stay as wide as the relation.
    pub system_columns: bool,
}

/// The system columns a table's rows carry besides `tableoid`, in the
/// order a scan with [`RelationDesc::system_columns`] appends them: name,
/// type and `pg_attribute.attnum` (PostgreSQL's `sysattr.h`).
pub const SYSTEM_COLUMNS: [(&str, u32, i16); 5] = [
    ("ctid", types::oid::TID, -1),
    ("xmin", types::oid::XID, -2),
    ("cmin", types::oid::CID, -3),
    ("xmax", types::oid::XID, -4),
    ("cmax", types::oid::CID, -5),
];

/// Whether `text` names one of [`SYSTEM_COLUMNS`] as a word (in any
/// case): only then do the scans of its statement carry them. A mention
/// in a string or as some other name costs a little width, never a result.
pub fn mentions_system_column(text: &str) -> bool {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    b.windows(4).enumerate().any(|(i, w)| {
        SYSTEM_COLUMNS
            .iter()
            .any(|(name, _, _)| w.eq_ignore_ascii_case(name.as_bytes()))
            && (i == 0 || !word(b[i - 1]))
            && b.get(i + 4).is_none_or(|&c| !word(c))
    })
}

/// A trigger of a relation (`pg_trigger`): the executor asks its context
/// to fire it (`ExecContext::before_row_triggers` and the others).
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerDesc {
    pub oid: u32,
    pub name: String,
    pub func: u32,
    /// `pg_trigger.tgtype` bits (row, before, insert, delete, update, ...).
    pub tgtype: i16,
    /// `UPDATE OF` columns (attnums); empty for any.
    pub columns: Vec<i16>,
    pub args: Vec<String>,
    /// The WHEN condition, as SQL text over `old` and `new`.
    pub when: Option<Arc<str>>,
    /// Transition table names (`REFERENCING OLD / NEW TABLE AS`).
    pub old_table: Option<Arc<str>>,
    pub new_table: Option<Arc<str>>,
}

impl TriggerDesc {
    pub fn is_row(&self) -> bool {
        self.tgtype & 1 != 0
    }
    pub fn is_before(&self) -> bool {
        self.tgtype & 2 != 0
    }
    pub fn is_instead(&self) -> bool {
        self.tgtype & 64 != 0
    }
    /// Whether it has transition tables.
    pub fn has_transition(&self) -> bool {
        self.old_table.is_some() || self.new_table.is_some()
    }
    /// Whether it fires for `event` (the `TRIGGER_TYPE_*` bit of INSERT,
    /// DELETE, UPDATE or TRUNCATE).
    pub fn fires_on(&self, event: i16) -> bool {
        self.tgtype & event != 0
    }
}

/// How a partitioned table's rows are spread over its partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Partitioning {
    /// The key as written (column names, expressions), for messages.
    pub key_names: Vec<String>,
    /// The key, over the table's row.
    pub key: Vec<crate::expr::Expr>,
    /// Per entry of `children`: the condition over the table's row that
    /// sends a row there; None for the default partition, which takes what
    /// no other does.
    pub routes: Vec<Option<crate::expr::Expr>>,
}

/// A B-tree index of a relation as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDesc {
    pub oid: u32,
    pub name: String,
    /// The key columns, as positions in the relation's `columns`.
    pub columns: Vec<usize>,
    /// Per key column: DESC.
    pub descending: Vec<bool>,
    /// Per key column: NULLS FIRST.
    pub nulls_first: Vec<bool>,
    pub unique: bool,
    /// Every column the index stores (key and INCLUDE columns), as positions
    /// in `columns`: what an index-only scan can return.
    pub stored: Vec<usize>,
    /// Per key column: its expression, for an expression column (whose
    /// entry in `columns` is then `usize::MAX`).
    pub exprs: Vec<Option<crate::expr::Expr>>,
    /// A partial index's predicate: usable only by a query whose WHERE
    /// implies it.
    pub predicate: Option<crate::expr::Expr>,
}

impl RelationDesc {
    /// The index in `columns` of the live (not dropped) column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| !c.dropped && c.name == name)
    }
}

/// The language of a user function (`pg_proc.prolang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionLanguage {
    /// SQL whose body is one SELECT, expanded where it is called.
    Sql,
    /// SQL run statement by statement by the backend (several statements,
    /// DML, `void`, rows).
    SqlStatements,
    Plpgsql,
}

/// A user-defined function (`pg_proc`).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDesc {
    pub oid: u32,
    pub name: String,
    pub arg_types: Vec<u32>,
    /// Argument names ("" for an unnamed one).
    pub arg_names: Vec<String>,
    pub ret_type: u32,
    /// The body: for SQL, one SELECT (or the expression of a `RETURN`
    /// body, as `SELECT expr`) or several statements; for PL/pgSQL, its
    /// block.
    pub body: Arc<str>,
    pub strict: bool,
    pub language: FunctionLanguage,
    /// `RETURNS SETOF` / `RETURNS TABLE`.
    pub retset: bool,
    /// `VOLATILE` (the default): called for every row, never folded.
    pub volatile: bool,
    /// The columns of its result rows when it has OUT arguments or
    /// `RETURNS TABLE` (names and types); empty when the result is one
    /// value of `ret_type`.
    pub out_columns: Vec<(String, u32)>,
    /// The defaults of the last input arguments, as SQL text.
    pub arg_defaults: Vec<Arc<str>>,
    /// A procedure (`prokind = 'p'`): called by CALL only. Its `arg_types`
    /// are the call signature, OUT arguments included (PostgreSQL's
    /// `include_out_arguments` for CALL).
    pub procedure: bool,
    /// A procedure's OUT and INOUT arguments: their places in `arg_types`,
    /// in the order of `out_columns`.
    pub out_positions: Vec<usize>,
    /// The last input argument is VARIADIC: an array that a call fills
    /// from its trailing arguments, unless the call passes the array itself
    /// (`VARIADIC expr`).
    pub variadic: bool,
    /// Set on the expanded form of a VARIADIC function while a call is
    /// resolved (never in the catalog's descriptions): where its trailing
    /// element parameters start, and the array parameter's declared type.
    pub variadic_from: Option<(usize, u32)>,
}

/// A user-defined aggregate (`pg_proc` with `prokind` 'a' and its
/// `pg_aggregate` row): the support functions by name, resolved for the
/// argument types of each call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AggregateDesc {
    pub oid: u32,
    pub name: String,
    /// The declared argument types (`*`: none; may be polymorphic).
    pub arg_types: Vec<u32>,
    pub ret_type: u32,
    /// `sfunc` (possibly schema-qualified, as written).
    pub transfn: String,
    pub finalfn: Option<String>,
    /// `finalfunc_extra`: the final function takes one NULL per argument
    /// after the state.
    pub finalextra: bool,
    pub transtype: u32,
    pub initval: Option<String>,
    /// The moving-aggregate implementation (`msfunc`, `minvfunc`,
    /// `mfinalfunc`, `mstype`, `minitcond`), used for window frames whose
    /// start moves.
    pub mtransfn: Option<String>,
    pub minvtransfn: Option<String>,
    pub mfinalfn: Option<String>,
    pub mfinalextra: bool,
    pub mtranstype: u32,
    pub minitval: Option<String>,
}

/// A user-defined operator (`pg_operator`): its argument types (0 for the
/// missing left one of a prefix operator) and the function it calls, kept
/// by name as `oprcode` holds it and resolved for the argument types when
/// the operator is used (a user function, else a built-in one).
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorDesc {
    pub oid: u32,
    pub name: String,
    pub left: u32,
    pub right: u32,
    pub result: u32,
    /// `oprcode`: the function's name, schema-qualified when it is a
    /// user function's; `-` for a shell operator (no function yet).
    pub function: String,
}

/// The variables of a PL/pgSQL function that a statement in its body may
/// name (PostgreSQL's parser hooks for PL/pgSQL): a name that is no column
/// resolves here, to parameter `index` of the statement.
pub trait VariableResolver {
    /// `qualifier.name` (`qualifier` empty for a bare name): the parameter
    /// index and type (with typmod) it stands for, or None; an error for a
    /// field a record variable does not have.
    fn resolve_variable(
        &self,
        qualifier: &[String],
        name: &str,
    ) -> PgResult<Option<(usize, u32, i32)>>;

    /// Tables of rows the statement may name in FROM (a trigger's
    /// transition tables): name, columns (name, type), rows.
    fn ephemeral_tables(&self) -> Vec<EphemeralTable> {
        Vec::new()
    }
}

/// A named set of rows a statement reads like a WITH query (see
/// [`VariableResolver::ephemeral_tables`]).
pub type EphemeralTable = (String, Vec<(String, u32)>, Arc<Vec<Vec<types::Datum>>>);

/// Name lookup for analysis (implemented by the backend).
pub trait CatalogView {
    /// Whether foreign table `oid` can be scanned: an error when its
    /// wrapper has no handler (PostgreSQL's `foreign-data wrapper "x" has
    /// no handler`, raised while planning).
    fn check_foreign_scan(&self, oid: u32) -> PgResult<()> {
        let _ = oid;
        Ok(())
    }

    /// The user functions named `name` (in `schema`, or on the search_path).
    fn lookup_functions(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<FunctionDesc>>> {
        let _ = (schema, name);
        Ok(Vec::new())
    }

    /// The user aggregates named `name` (in `schema`, or on the search_path).
    fn lookup_aggregates(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<AggregateDesc>>> {
        let _ = (schema, name);
        Ok(Vec::new())
    }

    /// The user operators named `name` (in `schema`, or on the
    /// search_path, nearest schema first).
    fn lookup_operators(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<OperatorDesc>>> {
        let _ = (schema, name);
        Ok(Vec::new())
    }

    /// The `check_option` of view `oid`: `'l'` LOCAL, `'c'` CASCADED, or
    /// None (PostgreSQL's `reloptions`).
    fn view_check_option(&self, oid: u32) -> PgResult<Option<char>> {
        let _ = oid;
        Ok(None)
    }

    /// The row-level security policies that apply to table `oid` for the
    /// user that reads it (the owner of view `through` when the table is
    /// reached through a view, else the current user), PostgreSQL's
    /// `check_enable_rls` and `get_policies_for_relation`: None when row
    /// security does not apply (not enabled, or the user bypasses it);
    /// 42501 when it would apply and `row_security` is off.
    fn row_security(&self, oid: u32, through: Option<u32>) -> PgResult<Option<Vec<PolicyDesc>>> {
        let _ = (oid, through);
        Ok(None)
    }

    /// The session's `enable_*` settings (see `settings.rs`).
    fn planner_settings(&self) -> crate::settings::PlannerSettings {
        crate::settings::PlannerSettings::default()
    }

    /// The user-defined type `schema.name` (or `name` on the search_path,
    /// or the array type `_name` of one), as its OID; `Ok(None)` if there
    /// is none. What the executor and storage need to know about the type
    /// is in [`types::typcache`], which the implementation keeps filled.
    fn lookup_type(&self, schema: Option<&str>, name: &str) -> PgResult<Option<u32>> {
        let _ = (schema, name);
        Ok(None)
    }

    /// The relation `schema.name`, or `name` on the search_path when `schema` is
    /// None; `Ok(None)` if there is no such relation (names are already
    /// case-folded). An error is for failures of the lookup itself.
    fn lookup_relation(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Option<Arc<RelationDesc>>>;
}

/// A row-level security policy (`pg_policy`) as analysis applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDesc {
    pub name: String,
    /// `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `*` ALL.
    pub cmd: char,
    pub permissive: bool,
    /// USING and WITH CHECK, as SQL text over the table's columns.
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// A catalog without relations.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyCatalog;

impl CatalogView for EmptyCatalog {
    fn lookup_relation(
        &self,
        _schema: Option<&str>,
        _name: &str,
    ) -> PgResult<Option<Arc<RelationDesc>>> {
        Ok(None)
    }
}

/// The deepest nesting of SQL function bodies analyzed into one statement
/// (a function calling itself would otherwise never end).
pub const MAX_FUNCTION_DEPTH: usize = 16;

/// Splits a possibly qualified name written as text (`'Foo'`, `'"Foo"'`,
/// `'s.t'`) into its parts as PostgreSQL's `stringToQualifiedNameList`
/// does: unquoted parts are case-folded, quoted ones kept; 42602 for
/// anything else.
pub fn parse_qualified_name(text: &str) -> PgResult<Vec<String>> {
    let invalid = || PgError::new(SqlState::InvalidName, "invalid name syntax");
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(invalid()),
                }
            }
            if part.is_empty() {
                return Err(invalid());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' || c.is_whitespace() {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
            if part.is_empty() {
                return Err(invalid());
            }
        }
        parts.push(part);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Ok(parts),
            Some('.') => continue,
            Some(_) => return Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mentions_system_column;

    #[test]
    fn system_column_mentions_are_whole_words() {
        assert!(mentions_system_column("select ctid from t"));
        assert!(mentions_system_column("SELECT t.XMIN, a FROM t"));
        assert!(mentions_system_column("delete from t returning cmax"));
        assert!(!mentions_system_column(
            "select pg_snapshot_xmin(s), xmin2 from t"
        ));
        assert!(!mentions_system_column("select ctids, \"$xmax\" from t"));
        assert!(!mentions_system_column("select a from t"));
    }
}
