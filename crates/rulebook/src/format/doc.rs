//! A small pretty-printing document (after Wadler's "prettier printer" and
//! its use in prettier): text, line breaks that a group takes either all or
//! none of, nesting, and the comments that force breaks. Rendered to lines,
//! with trailing comments aligned in each run of lines without a blank one.

/// A document to lay out.
#[derive(Debug, Clone)]
pub(crate) enum Doc {
    /// Text without a newline.
    Text(String),
    /// A space when its group is flat, a new line when it is broken.
    Line,
    /// Always a new line.
    HardLine,
    /// Ends the line, and leaves one blank line before the next.
    BlankLine,
    /// The lines inside are indented `n` more.
    Nest(usize, Box<Doc>),
    /// The lines inside are indented to the column where it starts.
    Align(Box<Doc>),
    /// Laid out flat when it fits in the width and holds no forced break,
    /// else broken; the flag caches whether it holds a forced break.
    Group(Box<Doc>, bool),
    Cat(Vec<Doc>),
    /// A comment at the end of the current line (code comes on the next).
    Trailing(String),
    /// A comment on a line of its own.
    OwnLine(String),
}

impl Doc {
    pub fn text(s: impl Into<String>) -> Doc {
        Doc::Text(s.into())
    }
    pub fn nest(n: usize, d: Doc) -> Doc {
        Doc::Nest(n, Box::new(d))
    }
    pub fn align(d: Doc) -> Doc {
        Doc::Align(Box::new(d))
    }
    pub fn group(d: Doc) -> Doc {
        let hard = d.forces_break();
        Doc::Group(Box::new(d), hard)
    }
    /// Whether laying this out needs a new line whatever the width.
    fn forces_break(&self) -> bool {
        match self {
            Doc::HardLine | Doc::BlankLine | Doc::Trailing(_) | Doc::OwnLine(_) => true,
            Doc::Text(_) | Doc::Line => false,
            Doc::Nest(_, d) | Doc::Align(d) => d.forces_break(),
            Doc::Group(_, hard) => *hard,
            Doc::Cat(ds) => ds.iter().any(Doc::forces_break),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

/// One line of output.
#[derive(Debug, Default)]
struct OutLine {
    indent: usize,
    code: String,
    /// A trailing comment after the code, or the comment that is the line.
    comment: Option<String>,
}

impl OutLine {
    fn is_empty(&self) -> bool {
        self.code.is_empty() && self.comment.is_none()
    }
}

struct Renderer {
    width: usize,
    /// The lines so far; None for a blank one.
    lines: Vec<Option<OutLine>>,
    cur: OutLine,
    col: usize,
    /// A comment ended the line: the next text starts a new one.
    pending_newline: bool,
    /// A blank line is due before the next line.
    blank_pending: bool,
}

/// Lays `doc` out in `width` columns (text that cannot be broken may run
/// over) and returns the text, each line ending with a newline.
pub(crate) fn render(doc: &Doc, width: usize) -> String {
    let mut r = Renderer {
        width,
        lines: Vec::new(),
        cur: OutLine::default(),
        col: 0,
        pending_newline: false,
        blank_pending: false,
    };
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(0, Mode::Break, doc)];
    while let Some((indent, mode, d)) = stack.pop() {
        match d {
            Doc::Text(s) => {
                if r.pending_newline {
                    r.newline(indent);
                }
                // a word joined to the one before (` personal`) that a
                // comment put on a line of its own
                let s = if r.cur.code.is_empty() {
                    s.trim_start()
                } else {
                    s
                };
                r.cur.code.push_str(s);
                r.col += s.chars().count();
            }
            Doc::Line if mode == Mode::Flat && !r.pending_newline => {
                r.cur.code.push(' ');
                r.col += 1;
            }
            Doc::Line | Doc::HardLine => r.newline(indent),
            Doc::BlankLine => {
                r.newline(indent);
                r.blank_pending = true;
            }
            Doc::Nest(n, inner) => stack.push((indent + n, mode, inner)),
            Doc::Align(inner) => {
                let at = if r.pending_newline { indent } else { r.col };
                stack.push((at, mode, inner));
            }
            Doc::Group(inner, hard) => {
                let flat = mode == Mode::Flat || (!hard && r.fits(indent, inner, &stack));
                let m = if flat { Mode::Flat } else { Mode::Break };
                stack.push((indent, m, inner));
            }
            Doc::Cat(ds) => {
                for inner in ds.iter().rev() {
                    stack.push((indent, mode, inner));
                }
            }
            Doc::Trailing(c) => {
                if r.cur.code.is_empty() || r.cur.comment.is_some() {
                    r.newline(indent);
                }
                r.cur.comment = Some(c.clone());
                r.pending_newline = true;
            }
            Doc::OwnLine(c) => {
                r.newline(indent);
                r.cur.comment = Some(c.clone());
                r.pending_newline = true;
            }
        }
    }
    r.newline(0);
    r.finish()
}

impl Renderer {
    /// Ends the current line (an empty one is dropped) and starts one at `indent`.
    fn newline(&mut self, indent: usize) {
        let line = std::mem::take(&mut self.cur);
        if !line.is_empty() {
            if self.blank_pending && !self.lines.is_empty() {
                self.lines.push(None);
            }
            self.blank_pending = false;
            self.lines.push(Some(line));
        }
        self.cur.indent = indent;
        self.col = indent;
        self.pending_newline = false;
    }

    /// Whether `doc` laid out flat, and what follows it up to the next
    /// possible line break, fit in what is left of the line.
    fn fits(&self, indent: usize, doc: &Doc, rest: &[(usize, Mode, &Doc)]) -> bool {
        let start = if self.pending_newline {
            indent
        } else {
            self.col
        };
        let mut left = self.width as isize - start as isize;
        let mut todo: Vec<(Mode, &Doc)> = vec![(Mode::Flat, doc)];
        let mut rest = rest.iter().rev();
        loop {
            let Some((mode, d)) = todo.pop() else {
                match rest.next() {
                    Some((_, m, d)) => {
                        todo.push((*m, d));
                        continue;
                    }
                    None => return true,
                }
            };
            if left < 0 {
                return false;
            }
            match d {
                Doc::Text(s) => left -= s.chars().count() as isize,
                Doc::Line if mode == Mode::Flat => left -= 1,
                Doc::Line | Doc::HardLine | Doc::BlankLine => return true,
                // a comment ends the line, and may run past the width
                Doc::Trailing(_) | Doc::OwnLine(_) => return mode == Mode::Break,
                Doc::Nest(_, inner) | Doc::Align(inner) => todo.push((mode, inner)),
                Doc::Group(inner, hard) => {
                    if *hard && mode == Mode::Flat {
                        return false;
                    }
                    let m = if *hard { Mode::Break } else { mode };
                    todo.push((m, inner));
                }
                Doc::Cat(ds) => {
                    for inner in ds.iter().rev() {
                        todo.push((mode, inner));
                    }
                }
            }
            if left < 0 {
                return false;
            }
        }
    }

    /// The text: trailing comments aligned one column apart from the
    /// longest code among the lines of each paragraph (lines between blank
    /// ones) that have one.
    fn finish(self) -> String {
        let mut out = String::new();
        for paragraph in self.lines.split(Option::is_none) {
            let column = paragraph
                .iter()
                .flatten()
                .filter(|l| !l.code.is_empty() && l.comment.is_some())
                .map(|l| l.indent + l.code.trim_end().chars().count() + 2)
                .max()
                .unwrap_or(0);
            for line in paragraph.iter().flatten() {
                let mut text = " ".repeat(line.indent);
                text.push_str(line.code.trim_end());
                if let Some(c) = &line.comment {
                    if !line.code.is_empty() {
                        let width = text.chars().count();
                        text.push_str(&" ".repeat(column.saturating_sub(width).max(2)));
                    }
                    text.push_str(c);
                }
                out.push_str(text.trim_end());
                out.push('\n');
            }
            out.push('\n');
        }
        // one newline at the end, not a blank line
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Doc {
        let mut parts = vec![Doc::text("first")];
        for i in 0..n {
            parts.push(Doc::Line);
            parts.push(Doc::text(format!("+ operand{i}")));
        }
        Doc::group(Doc::Cat(parts))
    }

    #[test]
    fn a_group_breaks_only_when_it_does_not_fit() {
        assert_eq!(render(&chain(2), 80), "first + operand0 + operand1\n");
        assert_eq!(render(&chain(2), 20), "first\n+ operand0\n+ operand1\n");
    }

    #[test]
    fn a_comment_breaks_its_group_and_trailing_comments_align() {
        let doc = Doc::group(Doc::Cat(vec![
            Doc::text("a"),
            Doc::Trailing("# one".into()),
            Doc::Line,
            Doc::text("longer"),
            Doc::Trailing("# two".into()),
            Doc::Line,
            Doc::text("b"),
        ]));
        assert_eq!(render(&doc, 80), "a       # one\nlonger  # two\nb\n");
    }
}
