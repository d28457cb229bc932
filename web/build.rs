//! The wasm module's own stack (Rust's shadow stack in linear memory): 32 MiB, so deep Lisp
//! recursion runs out of the JS engine's stack (which the VM's depth limit guards) before it
//! runs out of this one.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=-zstack-size=33554432");
    }
}
