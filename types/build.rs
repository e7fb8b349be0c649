//! Generates the `SqlState` enum from `errcodes.txt`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=errcodes.txt");
    let text = std::fs::read_to_string("errcodes.txt").expect("types/errcodes.txt is readable");
    let mut variants = String::new();
    let mut codes = String::new();
    let mut names = String::new();
    let mut from_code = String::new();
    let mut from_name = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("Section:") {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(fields.len() == 4, "errcodes.txt: malformed line: {line}");
        let (code, macro_name, spec_name) = (fields[0], fields[2], fields[3]);
        let variant: String = spec_name
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        writeln!(
            variants,
            "    /// `{code}` {spec_name} (`{macro_name}`)\n    {variant},"
        )
        .expect("writing to a String cannot fail");
        writeln!(codes, "            SqlState::{variant} => \"{code}\",")
            .expect("writing to a String cannot fail");
        writeln!(names, "            SqlState::{variant} => \"{spec_name}\",")
            .expect("writing to a String cannot fail");
        // Some names (e.g. string_data_right_truncation) head a warning and
        // an error both: the first (the warning class's) is not kept.
        if !spec_name.is_empty() && !code.starts_with("01") {
            writeln!(
                from_name,
                "            \"{spec_name}\" => Some(SqlState::{variant}),"
            )
            .expect("writing to a String cannot fail");
        }
        writeln!(
            from_code,
            "            \"{code}\" => Some(SqlState::{variant}),"
        )
        .expect("writing to a String cannot fail");
    }
    let out = format!(
        "/// A SQLSTATE condition, generated from `types/errcodes.txt`.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n\
         pub enum SqlState {{\n{variants}}}\n\n\
         impl SqlState {{\n\
         /// The five-character SQLSTATE code.\n\
         pub fn code(self) -> &'static str {{\n        match self {{\n{codes}        }}\n    }}\n\n\
         /// The condition name of the SQL standard / PostgreSQL appendix A.\n\
         pub fn name(self) -> &'static str {{\n        match self {{\n{names}        }}\n    }}\n\n\
         /// The condition for a five-character code, if the table has it.\n\
         pub fn from_code(code: &str) -> Option<SqlState> {{\n        match code {{\n{from_code}            _ => None,\n        }}\n    }}\n\n\
         /// The condition for a condition name (PL/pgSQL's `WHEN division_by_zero`).\n\
         #[allow(unreachable_patterns)]\n\
         pub fn from_name(name: &str) -> Option<SqlState> {{\n        match name {{\n{from_name}            _ => None,\n        }}\n    }}\n}}\n"
    );
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("sqlstate.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
