//! Type OIDs of the built-in types, as in pg_type.
