//! The `polyglot` binary: everything is in the library; see `polyglot::cli`.

fn main() {
    std::process::exit(polyglot::cli::main());
}
