//! The databases of a cluster (pg_database's bootstrap rows).

/// A row of pg_database as far as connection start-up needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub oid: u32,
    pub name: &'static str,
    pub allow_connections: bool,
}

/// The databases initdb creates. CREATE DATABASE arrives with the catalog issue.
pub const BOOTSTRAP_DATABASES: &[Database] = &[
    Database {
        oid: 1,
        name: "template1",
        allow_connections: true,
    },
    Database {
        oid: 4,
        name: "template0",
        allow_connections: false,
    },
    Database {
        oid: 5,
        name: "postgres",
        allow_connections: true,
    },
];

/// Looks a database up by name.
pub fn lookup(name: &str) -> Option<&'static Database> {
    BOOTSTRAP_DATABASES.iter().find(|d| d.name == name)
}
