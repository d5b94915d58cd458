//! The library itself is linked by retold-sys. This only gives this package's own tests,
//! examples and benchmark an rpath to the directory retold-sys linked from (RETOLD_LIB_DIR), so
//! they run without LD_LIBRARY_PATH; programs that depend on `retold` are not affected.
use std::env;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_RETOLD_C_LIB_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(dir) = env::var("DEP_RETOLD_C_LIB_DIR") {
        if !dir.is_empty() {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
        }
    }
}
