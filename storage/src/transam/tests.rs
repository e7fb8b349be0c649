//! Transam tests.
