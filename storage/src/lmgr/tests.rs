//! Lock manager tests.
