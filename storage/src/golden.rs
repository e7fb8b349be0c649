//! The runner of the golden scripts each subsystem keeps in
//! `src/<module>/testscripts/*.txt` (tests only): every script's output is
//! regenerated and compared with the file; `UPDATE_GOLDEN=1` rewrites the
//! files instead.

use std::path::Path;

/// Runs each script of `src/<module>/testscripts` through `run` (the
/// script's text in, the regenerated text out) and fails with the
/// differences.
pub(crate) fn check_scripts(module: &str, run: impl Fn(&str) -> String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(module)
        .join("testscripts");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("testscripts dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no scripts in {}", dir.display());
    let mut failed = Vec::new();
    for path in paths {
        let expected = std::fs::read_to_string(&path).expect("read script");
        let actual = run(&expected);
        if actual == expected {
            continue;
        }
        if update {
            std::fs::write(&path, &actual).expect("rewrite script");
        } else {
            eprintln!(
                "--- {} expected\n{expected}\n--- actual\n{actual}",
                path.display()
            );
            failed.push(path.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "golden scripts differ: {failed:?} (UPDATE_GOLDEN=1 to rewrite)"
    );
}
