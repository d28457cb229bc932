//! Build script: make the binary find the libpython it was linked against, without
//! `LD_LIBRARY_PATH`. pyenv's Python is a shared-library build outside the loader's search
//! path, and Debian's own libpython (same soname, no numpy) would otherwise be picked up.

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    if std::env::var_os("CARGO_FEATURE_EMBEDDED").is_none() {
        return;
    }
    let config = pyo3_build_config::get();
    if let Some(dir) = config.lib_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    // The embedded bridge refuses an environment of another Python version.
    println!(
        "cargo:rustc-env=POLYGLOT_PYTHON_VERSION={}.{}",
        config.version().major,
        config.version().minor
    );
}
