//! Rich display: the MIME bundle of a value (`_repr_mimebundle_`, `_repr_html_`, `_repr_png_`,
//! …, matplotlib figures as PNG, text for everything), the builtins that show one in the middle
//! of a cell (`display`, `update-display`, `display-mime`, `clear-output`), and what a
//! notebook's inspection shows. The Python half is `display_helper.py`, loaded once per session
//! as the module `_polyglot_display` (never into the user's namespace); every answer crosses
//! the bridge as one JSON string, so any backend can give it.
//!
//! Where the output sink shows text only (the terminal), `display` prints the value and the
//! rest do nothing.

use super::builtins::interop;
use super::Interop;
use crate::bridge::ir::{ResultMode, Step};
use crate::runtime::builtins::defvm;
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::host::Lazy;
use crate::runtime::output::{Display, Stream};
use crate::runtime::printer;
use crate::runtime::value::{Builtin, BuiltinResult, Value};
use crate::runtime::Vm;

/// The Python side, as source.
const HELPER: &str = include_str!("display_helper.py");
const MODULE: &str = "_polyglot_display";

pub static BUILTINS: &[Builtin] = &[
    defvm!(
        "display",
        1,
        None,
        display,
        "(display x ...) shows each value as a notebook output now, with its richest \
         representation (HTML, PNG, …); (display x :id \"name\") names it for update-display. \
         At a terminal it prints the values."
    ),
    defvm!(
        "update-display",
        3,
        Some(3),
        update_display,
        "(update-display x :id \"name\") replaces the display of that name with x."
    ),
    defvm!(
        "display-mime",
        2,
        None,
        display_mime,
        "(display-mime \"text/html\" \"<b>hi</b>\" ...) shows content of the given MIME types."
    ),
    defvm!(
        "clear-output",
        0,
        Some(1),
        clear_output,
        "(clear-output) clears the cell's output; (clear-output true) waits for the next output."
    ),
];

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as a Python string literal.
fn py_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl Interop {
    /// A function of the Python helper module, loading the module on first use.
    fn display_helper(&self, vm: &mut Vm, name: &str) -> Result<Value, Exn> {
        let span = vm.call_span;
        if !self.display_loaded.get() {
            let code = format!(
                "import sys as _pg_sys\n\
                 if {m:?} not in _pg_sys.modules:\n    \
                     import types as _pg_types\n    \
                     _pg_mod = _pg_types.ModuleType({m:?})\n    \
                     exec(compile({src}, '<polyglot display>', 'exec'), _pg_mod.__dict__)\n    \
                     _pg_sys.modules[{m:?}] = _pg_mod\n    \
                     del _pg_mod, _pg_types\n\
                 del _pg_sys\n",
                m = MODULE,
                src = py_string(HELPER)
            );
            self.run(vm, vec![Step::Exec(code)], &[span], ResultMode::Auto)?;
            self.display_loaded.set(true);
        }
        let module = Lazy::import(vm.host.clone(), MODULE, span);
        Ok(Lazy::attr(&vm.host, module, vec![name.to_string()], span))
    }

    fn call_helper(&self, vm: &mut Vm, name: &str, args: &[Value]) -> Result<String, Exn> {
        let f = self.display_helper(vm, name)?;
        let span = vm.call_span;
        match self.call_value(vm, &f, args, span)? {
            Value::Str(s) => Ok(s.as_str().to_string()),
            other => Ok(printer::display(&other)),
        }
    }
}

/// The MIME bundle of `v` as JSON (`{"data": {...}, "metadata": {...}}`): Python objects by
/// their rich representations, Lisp values by their printed form.
pub fn bundle_of(vm: &mut Vm, v: &Value) -> Result<String, Exn> {
    if !v.is_host() {
        return Ok(text_bundle(&printer::readable(v)));
    }
    interop(vm)?.call_helper(vm, "bundle", std::slice::from_ref(v))
}

/// A bundle with only `text/plain`.
pub fn text_bundle(text: &str) -> String {
    format!(
        "{{\"data\": {{\"text/plain\": {}}}, \"metadata\": {{}}}}",
        json_string(text)
    )
}

/// The open matplotlib figures, as a JSON list of PNG bundles, closing them (a notebook shows
/// them after each cell). `[]` when Python has not started or pyplot is not loaded.
pub fn take_figures(vm: &mut Vm) -> Result<String, Exn> {
    match Interop::of(vm) {
        Some(i) if i.started() => i.call_helper(vm, "figures", &[]),
        _ => Ok("[]".into()),
    }
}

/// What inspecting a Python value shows: type, value, signature, docstring (and the source
/// for `detail` 1).
pub fn inspect_text(vm: &mut Vm, v: &Value, detail: i64) -> Result<String, Exn> {
    interop(vm)?.call_helper(vm, "inspect_text", &[v.clone(), Value::Int(detail)])
}

/// Routes Python's `input()` and `getpass.getpass()` to `ask`, a Lisp function of
/// `(prompt password?)` returning the line typed.
pub fn install_input(vm: &mut Vm, ask: Value) -> Result<(), Exn> {
    interop(vm)?.call_helper(vm, "install_input", &[ask])?;
    Ok(())
}

/// `:id "name"` at the end of the arguments: the values before it, and the name.
fn split_id(args: Vec<Value>, op: &str) -> Result<(Vec<Value>, Option<String>), Exn> {
    let n = args.len();
    if n >= 2 {
        if let Value::Keyword(k) = &args[n - 2] {
            if &*k.name() == "id" {
                let id = match &args[n - 1] {
                    Value::Str(s) => s.as_str().to_string(),
                    other => printer::display(other),
                };
                let mut values = args;
                values.truncate(n - 2);
                return Ok((values, Some(id)));
            }
            return Err(LispError::new(
                ErrorKind::Value,
                format!("{op}: unknown option :{} (it takes :id)", k.name()),
            ));
        }
    }
    Ok((args, None))
}

fn display(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let (values, id) = split_id(args, "display")?;
    show(vm, values, id, false)
}

fn update_display(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let (values, id) = split_id(args, "update-display")?;
    if id.is_none() || values.len() != 1 {
        return Err(LispError::new(
            ErrorKind::Value,
            "update-display: takes a value and :id \"name\"",
        ));
    }
    show(vm, values, id, true)
}

fn show(vm: &mut Vm, values: Vec<Value>, id: Option<String>, update: bool) -> BuiltinResult {
    let out = vm.out.clone();
    for v in values {
        let v = vm.force(&v)?;
        if !out.shows_rich() {
            if !update {
                out.write(Stream::Stdout, &format!("{}\n", printer::display(&v)));
            }
            continue;
        }
        let bundle = bundle_of(vm, &v)?;
        out.display(&Display {
            bundle,
            id: id.clone(),
            update,
        });
    }
    Ok(Value::Nil)
}

fn display_mime(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let (args, id) = split_id(args, "display-mime")?;
    if !args.len().is_multiple_of(2) {
        return Err(LispError::new(
            ErrorKind::Value,
            "display-mime: takes MIME type and content pairs",
        ));
    }
    let mut data = Vec::new();
    let mut plain = None;
    for pair in args.chunks(2) {
        let mime = match &pair[0] {
            Value::Str(s) => s.as_str().to_string(),
            other => printer::display(other),
        };
        let content = match &pair[1] {
            Value::Str(s) => s.as_str().to_string(),
            other => printer::display(other),
        };
        if mime == "text/plain" || plain.is_none() {
            plain = Some(content.clone());
        }
        data.push(format!("{}: {}", json_string(&mime), json_string(&content)));
    }
    if !args
        .chunks(2)
        .any(|p| matches!(&p[0], Value::Str(s) if s.as_str() == "text/plain"))
    {
        data.push(format!(
            "\"text/plain\": {}",
            json_string(plain.as_deref().unwrap_or(""))
        ));
    }
    let out = vm.out.clone();
    if !out.shows_rich() {
        out.write(Stream::Stdout, &format!("{}\n", plain.unwrap_or_default()));
        return Ok(Value::Nil);
    }
    out.display(&Display {
        bundle: format!("{{\"data\": {{{}}}, \"metadata\": {{}}}}", data.join(", ")),
        id,
        update: false,
    });
    Ok(Value::Nil)
}

fn clear_output(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let wait = args.first().is_some_and(|v| v.truthy());
    vm.out.flush();
    vm.out.clear(wait);
    Ok(Value::Nil)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_what_json_needs() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }

    #[test]
    fn python_literals_round_trip_quotes_and_newlines() {
        assert_eq!(py_string("it's\n\\"), "'it\\'s\\n\\\\'");
    }
}
