//! The reader on arbitrary text: it must answer `Ok` or a `ReadError`, never panic, overflow
//! the stack or hang (nesting is capped at 1000).
#![no_main]

use libfuzzer_sys::fuzz_target;
use polyglot::reader::read_all;
use polyglot::source::SourceId;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = read_all(&text, SourceId(0));
});
