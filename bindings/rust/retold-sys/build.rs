//! Links libretold_c. With RETOLD_LIB_DIR set (bindings/rust/run_tests.sh sets it to a CMake
//! build directory) the library is taken from there, and this crate's own tests get an rpath to
//! it; without it, from the system's library path (after `cmake --install`).
//! The directory is passed on to dependents' build scripts as DEP_RETOLD_C_LIB_DIR.
use std::env;
use std::path::PathBuf;
use std::process;

fn main() {
    println!("cargo:rerun-if-env-changed=RETOLD_LIB_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    if let Some(dir) = env::var_os("RETOLD_LIB_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        let lib = dir.join("libretold_c.so");
        if !lib.exists() {
            eprintln!(
                "retold-sys: RETOLD_LIB_DIR={} holds no libretold_c.so: build the CMake target \
                 retold_c there first (cmake --build {} --target retold_c)",
                dir.display(),
                dir.display()
            );
            process::exit(1);
        }
        let dir = dir.canonicalize().unwrap_or(dir);
        println!("cargo:rerun-if-changed={}", lib.display());
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        println!("cargo:lib_dir={}", dir.display());
    }
    println!("cargo:rustc-link-lib=dylib=retold_c");
}
