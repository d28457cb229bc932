//! Rendering errors for people: miette's graphical report with the offending source line and a
//! label at the span, the Lisp call stack under it, and Python's traceback when the error came
//! from Python. Plain (no colour, ASCII-safe) when stderr is not a terminal, with `--no-color`, or
//! under `NO_COLOR`.

use crate::runtime::error::{ErrorKind, LispError};
use crate::source::{SourceMap, Span};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt::{self, Display};

#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub color: bool,
    pub unicode: bool,
    pub width: usize,
}

impl RenderOptions {
    pub fn plain() -> RenderOptions {
        RenderOptions {
            color: false,
            unicode: false,
            width: 100,
        }
    }

    /// Colour only for a terminal, and never when `NO_COLOR` is set or `--no-color` was given.
    pub fn for_stderr(no_color_flag: bool) -> RenderOptions {
        use std::io::IsTerminal;
        let tty = std::io::stderr().is_terminal();
        let no_color = no_color_flag || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        RenderOptions {
            color: tty && !no_color,
            unicode: tty,
            width: 100,
        }
    }
}

/// A `LispError` with the source text its span points into, as miette wants it.
struct View<'a> {
    e: &'a LispError,
    source: Option<NamedSource<String>>,
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.e.message)
    }
}

impl Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.e.kind {
            ErrorKind::Read(_) => write!(f, "{}", self.e.message),
            kind => write!(f, "{}: {}", kind.type_name(), self.e.message),
        }
    }
}

impl std::error::Error for View<'_> {}

impl Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn Display + 'b>> {
        match &self.e.kind {
            ErrorKind::Read(r) => r.code(),
            k => Some(Box::new(k.code())),
        }
    }

    fn help<'b>(&'b self) -> Option<Box<dyn Display + 'b>> {
        match (&self.e.kind, &self.e.help) {
            (_, Some(h)) => Some(Box::new(h.clone())),
            (ErrorKind::Read(r), None) => r.help(),
            _ => None,
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        if let ErrorKind::Read(r) = &self.e.kind {
            return r.labels();
        }
        let span = self.e.span?;
        let label = match &self.e.kind {
            ErrorKind::Unbound => "not bound",
            ErrorKind::Host(_) => "raised here",
            ErrorKind::Arity => "called here",
            _ => "here",
        };
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label.to_string()),
            span,
        ))))
    }
}

fn location(sources: &SourceMap, span: Span) -> String {
    let name = sources
        .get(span.source)
        .map_or("<unknown>", |s| s.name.as_str());
    match sources.line_col(span) {
        Some((l, c)) => format!("{name}:{l}:{c}"),
        None => name.to_string(),
    }
}

/// The error as text, ready for stderr.
pub fn render(e: &LispError, sources: &SourceMap, opts: &RenderOptions) -> String {
    let source = e.span.and_then(|s| sources.get(s.source)).map(|src| {
        NamedSource::new(src.name.clone(), src.text.to_string()).with_language("clojure")
    });
    let view = View { e, source };
    let theme = match (opts.color, opts.unicode) {
        (true, true) => GraphicalTheme::unicode(),
        (true, false) => GraphicalTheme::ascii(),
        (false, true) => GraphicalTheme::unicode_nocolor(),
        (false, false) => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &view).is_err() {
        out = format!("error: {view}\n");
    }
    if !e.trace.is_empty() {
        out.push_str("Lisp stack (innermost first):\n");
        // Runs of the same frame (deep recursion) are shown once with a count.
        let mut runs: Vec<(&crate::runtime::error::TraceFrame, usize)> = Vec::new();
        for frame in &e.trace {
            match runs.last_mut() {
                Some((f, n)) if *f == frame => *n += 1,
                _ => runs.push((frame, 1)),
            }
        }
        for (i, (frame, n)) in runs.iter().enumerate() {
            if i == 20 && runs.len() > 25 {
                out.push_str(&format!("  ... {} more frames ...\n", runs.len() - 25));
            }
            if i >= 20 && i < runs.len() - 5 {
                continue;
            }
            let times = if *n > 1 {
                format!(" (repeated {n} times)")
            } else {
                String::new()
            };
            out.push_str(&format!(
                "  in {} at {}{times}\n",
                frame.function,
                location(sources, frame.span)
            ));
        }
    }
    if let Some(tb) = &e.host_traceback_text() {
        out.push_str("Python traceback:\n");
        for line in tb.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
