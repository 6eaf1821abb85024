//! What the formatter reads from the source text beside the syntax tree:
//! the comments (which the grammar skips), where code resumes after a
//! position, the parentheses an author wrote (the tree keeps only their
//! span), and blank lines.

use crate::ast::Span;

/// A `# ...` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    /// Offset of the `#`.
    pub start: usize,
    /// Offset of the end of its line (the newline, or the end of the file).
    pub end: usize,
    /// The text from `#`, blanks at its end removed.
    pub text: String,
    /// Whether code comes before it on its line (a trailing comment), rather
    /// than only blanks (a comment on a line of its own).
    pub trailing: bool,
}

/// The source with its comments found once.
pub(crate) struct Source<'a> {
    pub text: &'a str,
    pub comments: Vec<Comment>,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Self {
        Source {
            text,
            comments: comments(text),
        }
    }

    /// The first offset at or after `pos` that is neither blank nor in a
    /// comment: where the next token starts.
    pub fn next_code(&self, mut pos: usize) -> usize {
        let bytes = self.text.as_bytes();
        loop {
            while bytes.get(pos).is_some_and(|b| is_blank(*b)) {
                pos += 1;
            }
            if self
                .text
                .get(pos..)
                .is_some_and(|s| s.starts_with('\u{feff}'))
            {
                pos += '\u{feff}'.len_utf8();
                continue;
            }
            match self.comment_at(pos) {
                Some(c) => pos = c.end,
                None => return pos.min(self.text.len()),
            }
        }
    }

    /// The end of a span's code: blanks and comments at its end left out
    /// (pest's spans can run on over the blanks that follow a rule).
    pub fn code_end(&self, span: Span) -> usize {
        let bytes = self.text.as_bytes();
        let mut end = span.end.min(self.text.len());
        loop {
            while end > span.start && bytes.get(end - 1).is_some_and(|b| is_blank(*b)) {
                end -= 1;
            }
            let i = self.comments.partition_point(|c| c.start < end);
            match i.checked_sub(1).and_then(|i| self.comments.get(i)) {
                Some(c) if c.end == end && c.start >= span.start => end = c.start,
                _ => return end,
            }
        }
    }

    /// Whether the text of `span` is wrapped in parentheses: it starts with
    /// `(` and that parenthesis closes at its last character.
    pub fn parenthesised(&self, span: Span) -> bool {
        let end = self.code_end(span);
        let bytes = self.text.as_bytes();
        if bytes.get(span.start) != Some(&b'(') || end == 0 || bytes.get(end - 1) != Some(&b')') {
            return false;
        }
        self.closing_paren(span.start) == Some(end - 1)
    }

    /// Where the parenthesis opened at `open` closes, skipping texts and
    /// comments.
    fn closing_paren(&self, open: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut depth = 0usize;
        let mut i = open;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                b'"' => i = string_end(bytes, i) - 1,
                b'#' => i = line_end(bytes, i) - 1,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Whether a blank line separates `pos` from the code or comment
    /// before it.
    pub fn blank_line_before(&self, pos: usize) -> bool {
        let bytes = self.text.as_bytes();
        let mut newlines = 0;
        let mut i = pos.min(bytes.len());
        while i > 0 {
            match bytes.get(i - 1) {
                Some(b'\n') => newlines += 1,
                Some(b) if is_blank(*b) => {}
                _ => break,
            }
            i -= 1;
        }
        // the start of the file is no separation
        i > 0 && newlines >= 2
    }

    fn comment_at(&self, pos: usize) -> Option<&Comment> {
        let i = self.comments.partition_point(|c| c.start < pos);
        self.comments.get(i).filter(|c| c.start == pos)
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The offset just past the text literal opened at `open` (its closing
/// quote, or the end of its line when it is not closed).
fn string_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 1,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes
        .iter()
        .skip(from)
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| from + i)
}

/// Every comment of the source, in order.
fn comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut code_on_line = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                code_on_line = false;
                i += 1;
            }
            b'"' => {
                code_on_line = true;
                i = string_end(bytes, i);
            }
            b'#' => {
                let end = line_end(bytes, i);
                let body = text.get(i..end).unwrap_or("#");
                out.push(Comment {
                    start: i,
                    end,
                    text: body.trim_end().to_string(),
                    trailing: code_on_line,
                });
                i = end;
            }
            _ => {
                if !is_blank(b) && !text.get(i..).is_some_and(|s| s.starts_with('\u{feff}')) {
                    code_on_line = true;
                }
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn comments_are_found_outside_texts() {
        let s = Source::new("# head\nx \"a # b\" # tail\n  # own\n");
        let texts: Vec<(&str, bool)> = s
            .comments
            .iter()
            .map(|c| (c.text.as_str(), c.trailing))
            .collect();
        assert_eq!(
            texts,
            vec![("# head", false), ("# tail", true), ("# own", false)]
        );
    }

    #[test]
    fn parentheses_are_matched() {
        let text = "(a) + (b)";
        let s = Source::new(text);
        assert!(!s.parenthesised(Span::new(0, text.len())));
        assert!(s.parenthesised(Span::new(0, 3)));
        let text = "(a + \")\" # )\n )  ";
        let s = Source::new(text);
        assert!(s.parenthesised(Span::new(0, text.len())));
    }

    #[test]
    fn code_resumes_after_blanks_and_comments() {
        let text = "a  # c\n  # d\n  + b";
        let s = Source::new(text);
        assert_eq!(s.next_code(1), text.find('+').unwrap());
        assert_eq!(s.code_end(Span::new(0, text.find('+').unwrap())), 1);
    }
}
