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
    source: Option<Shown>,
}

/// The source text handed to miette: the text itself, or (when a line is too long to show)
/// an [`Excerpt`] with the long lines cut down around the labels.
enum Shown {
    Full(NamedSource<String>),
    Short(Excerpt),
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.e.message)
    }
}

impl Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = shorten_long_lines(&self.e.message);
        match &self.e.kind {
            ErrorKind::Read(_) => write!(f, "{message}"),
            kind => write!(f, "{}: {message}", kind.type_name()),
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
        let help = match (&self.e.kind, &self.e.help) {
            (_, Some(h)) => h.clone(),
            (ErrorKind::Read(r), None) => r.help()?.to_string(),
            _ => return None,
        };
        Some(Box::new(shorten_long_lines(&help).into_owned()))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        match self.source.as_ref()? {
            Shown::Full(s) => Some(s as &dyn miette::SourceCode),
            Shown::Short(x) => Some(x as &dyn miette::SourceCode),
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = raw_labels(self.e);
        match self.source.as_ref()? {
            Shown::Full(_) => Some(Box::new(labels.into_iter())),
            Shown::Short(x) => Some(Box::new(labels.into_iter().map(|l| x.label(&l)))),
        }
    }
}

/// The labels of the error, at their spans in the original text.
fn raw_labels(e: &LispError) -> Vec<LabeledSpan> {
    if let ErrorKind::Read(r) = &e.kind {
        return r.labels().map(|l| l.collect()).unwrap_or_default();
    }
    let Some(span) = e.span else {
        return Vec::new();
    };
    let label = match &e.kind {
        ErrorKind::Unbound => "not bound",
        ErrorKind::Host(_) => "raised here",
        ErrorKind::Arity => "called here",
        _ => "here",
    };
    vec![LabeledSpan::new_with_span(Some(label.to_string()), span)]
}

/// A line with more characters than this is shown shortened (miette would echo all of it, and
/// panics on columns past 65,535).
const LONG_LINE: usize = 160;
/// Characters kept on each side of a label's start and end on a shortened line: a window of
/// about 120 characters around each.
const CONTEXT: usize = 60;
/// Marks text left out of a shortened line.
const ELLIPSIS: &str = "…";
/// A line of a message or help text longer than this is cut in the middle.
const LONG_MESSAGE_LINE: usize = 240;

/// One stretch of the original text copied unchanged into the shown text.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Piece {
    orig: usize,
    shown: usize,
    len: usize,
}

/// The source as shown when some line is too long: every line of more than [`LONG_LINE`]
/// characters keeps only windows of [`CONTEXT`] characters around the points the labels start
/// and end at, with `…` where text is left out. Every line is kept, so line numbers stay right;
/// spans are mapped into the shown text through `pieces`, and the column miette prints in the
/// header is mapped back to the original one.
struct Excerpt {
    name: String,
    original: std::sync::Arc<str>,
    text: String,
    /// Ordered by both `orig` and `shown`.
    pieces: Vec<Piece>,
}

impl Excerpt {
    /// `None` when no line is long: the text is then shown as it is.
    fn build(name: &str, original: &std::sync::Arc<str>, points: &[usize]) -> Option<Excerpt> {
        let long = |line: &str| line.len() > LONG_LINE && line.chars().count() > LONG_LINE;
        if !original.split('\n').any(long) {
            return None;
        }
        let mut points = points.to_vec();
        points.sort_unstable();
        points.dedup();
        let mut x = Excerpt {
            name: name.to_string(),
            original: original.clone(),
            text: String::new(),
            pieces: Vec::new(),
        };
        let mut line_start = 0;
        for line in original.split_inclusive('\n') {
            let content = line.strip_suffix('\n').unwrap_or(line);
            let content = content.strip_suffix('\r').unwrap_or(content);
            if !long(content) {
                x.copy(line_start, line.len());
            } else {
                let first = points.partition_point(|&p| p < line_start);
                let last = points.partition_point(|&p| p <= line_start + content.len());
                let local: Vec<usize> =
                    points[first..last].iter().map(|p| p - line_start).collect();
                let mut at = 0;
                for (a, b) in windows(content, &local) {
                    if a > at {
                        x.text.push_str(ELLIPSIS);
                    }
                    x.copy(line_start + a, b - a);
                    at = b;
                }
                if at < content.len() {
                    x.text.push_str(ELLIPSIS);
                }
                x.copy(line_start + content.len(), line.len() - content.len());
            }
            line_start += line.len();
        }
        Some(x)
    }

    /// Appends `original[orig..orig + len]` to the shown text.
    fn copy(&mut self, orig: usize, len: usize) {
        if len == 0 {
            return;
        }
        let shown = self.text.len();
        self.text.push_str(&self.original[orig..orig + len]);
        match self.pieces.last_mut() {
            Some(p) if p.orig + p.len == orig && p.shown + p.len == shown => p.len += len,
            _ => self.pieces.push(Piece { orig, shown, len }),
        }
    }

    /// Where an offset of the original text is in the shown text (a left-out offset goes to
    /// the end of the piece before it).
    fn to_shown(&self, orig: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.orig <= orig);
        match i.checked_sub(1).map(|i| self.pieces[i]) {
            Some(p) => p.shown + (orig - p.orig).min(p.len),
            None => 0,
        }
    }

    /// Where an offset of the shown text is in the original.
    fn to_original(&self, shown: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.shown <= shown);
        match i.checked_sub(1).map(|i| self.pieces[i]) {
            Some(p) => p.orig + (shown - p.shown).min(p.len),
            None => 0,
        }
    }

    /// A label moved to the shown text.
    fn label(&self, l: &LabeledSpan) -> LabeledSpan {
        let start = self.to_shown(l.inner().offset());
        let end = self
            .to_shown(l.inner().offset() + l.inner().len())
            .max(start);
        let span = (start, end - start);
        let text = l.label().map(str::to_string);
        if l.primary() {
            LabeledSpan::new_primary_with_span(text, span)
        } else {
            LabeledSpan::new_with_span(text, span)
        }
    }
}

/// The byte ranges of `line` to keep: [`CONTEXT`] characters either side of each point
/// (sorted, inside the line), merged where they touch; the line's start when there is no point.
fn windows(line: &str, points: &[usize]) -> Vec<(usize, usize)> {
    let back = |p: usize| {
        line[..p]
            .char_indices()
            .rev()
            .nth(CONTEXT - 1)
            .map_or(0, |(i, _)| i)
    };
    let forward = |p: usize| {
        line[p..]
            .char_indices()
            .nth(CONTEXT)
            .map_or(line.len(), |(i, _)| p + i)
    };
    if points.is_empty() {
        return vec![(0, forward(0))];
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &p in points {
        let mut p = p.min(line.len());
        while !line.is_char_boundary(p) {
            p -= 1;
        }
        let (a, b) = (back(p), forward(p));
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // The header's `file:line:column` comes from a read with no context lines: report the
        // column in the original line, not in the shortened one.
        let column = if context_lines_before == 0 {
            let orig = self.to_original(span.offset());
            let line_start = self.original[..orig].rfind('\n').map_or(0, |i| i + 1);
            orig - line_start
        } else {
            inner.column()
        };
        Ok(Box::new(
            miette::MietteSpanContents::new_named(
                self.name.clone(),
                inner.data(),
                *inner.span(),
                inner.line(),
                column,
                inner.line_count(),
            )
            .with_language("clojure"),
        ))
    }
}

/// Cuts the middle out of every line longer than [`LONG_MESSAGE_LINE`] characters.
fn shorten_long_lines(text: &str) -> std::borrow::Cow<'_, str> {
    let long = |l: &str| l.len() > LONG_MESSAGE_LINE && l.chars().count() > LONG_MESSAGE_LINE;
    if !text.lines().any(long) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if long(line) {
            let head: String = line.chars().take(LONG_MESSAGE_LINE - 80).collect();
            let n = line.chars().count();
            let tail: String = line.chars().skip(n - 40).collect();
            out.push_str(&head);
            out.push_str(ELLIPSIS);
            out.push_str(&tail);
        } else {
            out.push_str(line);
        }
    }
    std::borrow::Cow::Owned(out)
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
        let points: Vec<usize> = raw_labels(e)
            .iter()
            .flat_map(|l| [l.inner().offset(), l.inner().offset() + l.inner().len()])
            .collect();
        match Excerpt::build(&src.name, &src.text, &points) {
            Some(x) => Shown::Short(x),
            None => Shown::Full(
                NamedSource::new(src.name.clone(), src.text.to_string()).with_language("clojure"),
            ),
        }
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
            out.push_str(&shorten_long_lines(line));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_in(text: &str, e: impl FnOnce(crate::source::SourceId) -> Box<LispError>) -> String {
        let mut sources = SourceMap::default();
        let id = sources.add("t.lisp", text);
        render(&e(id), &sources, &RenderOptions::plain())
    }

    fn zero_division_at(text: &str, pat: &str) -> String {
        let at = text.find(pat).expect("pattern in text");
        render_in(text, |id| {
            LispError::new(ErrorKind::ZeroDivision, "division by zero").at(Span::new(
                id,
                at,
                at + pat.len(),
            ))
        })
    }

    #[test]
    fn long_lines_are_shortened_in_diagnostics() {
        for n in [200, 70_000, 300_000] {
            let text = format!("{}(/ 1 0)\n", " ".repeat(n));
            let out = zero_division_at(&text, "(/ 1 0)");
            assert!(out.len() < 1500, "{n}: {} bytes\n{out}", out.len());
            assert!(out.contains(&format!("[t.lisp:1:{}]", n + 1)), "{out}");
            assert!(out.contains("… ") && out.contains("(/ 1 0)"), "{out}");
            let lines: Vec<&str> = out.lines().collect();
            let src = lines.iter().position(|l| l.contains("(/ 1 0)")).unwrap();
            let col = |l: &str, c: char| l.chars().position(|x| x == c);
            assert_eq!(col(lines[src + 1], '^'), col(lines[src], '('), "{out}");
        }
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let text = format!("(def x 1)\n{}(/ 1 0)\n", " ".repeat(100));
        let out = zero_division_at(&text, "(/ 1 0)");
        assert!(!out.contains('…'), "{out}");
        assert!(
            out.contains(&format!("{}(/ 1 0)", " ".repeat(100))),
            "{out}"
        );
    }

    #[test]
    fn long_context_lines_and_labels_are_shortened() {
        // A long line before the error, a label longer than the window, and a read error with
        // two labels far apart on one line.
        let text = format!("{}\n(/ 1 0{})\n", "y".repeat(100_000), " 1".repeat(50_000));
        let end = text.len() - 1;
        let start = 100_001;
        let out = render_in(&text, |id| {
            LispError::new(ErrorKind::ZeroDivision, "division by zero")
                .at(Span::new(id, start, end))
        });
        assert!(out.len() < 2000, "{} bytes\n{out}", out.len());
        assert!(out.contains("[t.lisp:2:1]"), "{out}");
        assert!(out.contains("1 1)"), "{out}");

        let text = format!("(list {}]", "1 ".repeat(100_000));
        let e = crate::reader::read_all(&text, crate::source::SourceId(0)).unwrap_err();
        let out = render_in(&text, |_| LispError::from_read(e));
        assert!(out.len() < 2000, "{} bytes\n{out}", out.len());
        assert!(
            out.contains("opened here") && out.contains("closes nothing"),
            "{out}"
        );
    }

    #[test]
    fn excerpt_maps_offsets_both_ways() {
        let line = format!("{}abc{}", "é".repeat(500), "x".repeat(500));
        let text: std::sync::Arc<str> = format!("short\n{line}\nend\n").into();
        let at = text.find("abc").unwrap();
        let x = Excerpt::build("t", &text, &[at, at + 3]).expect("a long line");
        assert!(x.text.starts_with("short\n…"), "{}", x.text);
        assert!(x.text.ends_with("…\nend\n"), "{}", x.text);
        let shown = x.to_shown(at);
        assert_eq!(&x.text[shown..shown + 3], "abc");
        assert_eq!(x.to_original(shown), at);
        assert_eq!(x.to_shown(0), 0);
        assert_eq!(x.to_shown(text.len()), x.text.len());
        // About 120 characters around the label.
        let shown_line = x.text.lines().nth(1).unwrap();
        assert!(
            (120..=130).contains(&shown_line.chars().count()),
            "{shown_line}"
        );
    }

    #[test]
    fn long_messages_are_cut_in_the_middle() {
        let name = "q".repeat(100_000);
        let text = format!("(+ 1 {name})");
        let out =
            render_in(&text, |id| {
                LispError::new(ErrorKind::Unbound, format!("unbound symbol `{name}`"))
                    .at(Span::new(id, 5, 5 + name.len()))
            });
        assert!(out.len() < 2000, "{} bytes\n{out}", out.len());
        assert!(out.contains("unbound symbol") && out.contains('…'), "{out}");
    }
}
