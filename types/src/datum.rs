//! Values of SQL types: the `Datum` enum with text and binary I/O.
/// placeholder until the SQL-values work lands
#[derive(Debug, Clone, PartialEq)]
pub enum Datum { Null }
