//! Links the backend binary as a position-dependent executable.
//!
//! Every connection is a fresh exec of this binary. As a PIE, the dynamic
//! loader relocates its `.data.rel.ro` (the static tables of functions,
//! catalogs, settings and views, about 1 MB) in each process, which makes
//! those pages private: measured as ~1 MB of extra PSS per idle backend
//! (`cargo xtask bench`, mem_idle_backend). Linked without PIE the linker
//! resolves them once and the pages stay shared with the file.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
