//! Reading `rulebook batch`'s input: one thread cuts the byte stream into
//! chunks of whole records and numbers them, without parsing anything, so
//! that every worker can split and parse its own chunks. A JSONL record
//! ends at a line break. A CSV record ends at a line break outside a
//! quoted cell, found by following the quotes exactly as the `csv` crate
//! reads them (the workers split the cells with that crate).

use super::format::Format;
use memchr::{memchr, memchr3};
use rulebook::Policy;
use std::io::Read;
use std::sync::Arc;

/// Bytes asked of the input at a time.
const READ: usize = 256 * 1024;

/// A chunk of whole records as read: their text and the first one's number.
pub(crate) struct Chunk {
    pub(crate) index: u64,
    /// The number of the chunk's first record (1-based): a JSONL line, or a
    /// CSV data row.
    pub(crate) first: u64,
    /// How many records the reader found: JSONL lines (blank ones too), or
    /// CSV rows.
    pub(crate) count: u64,
    /// The records' bytes, whole records only.
    pub(crate) text: Vec<u8>,
}

impl Chunk {
    /// The JSONL lines that are not blank, each with its number and its
    /// text (line break included), or why it is no text.
    pub(crate) fn lines(&self) -> impl Iterator<Item = (u64, Result<&str, String>)> + '_ {
        let mut rest = self.text.as_slice();
        let mut number = self.first;
        std::iter::from_fn(move || loop {
            if rest.is_empty() {
                return None;
            }
            let end = memchr(b'\n', rest).map_or(rest.len(), |k| k + 1);
            let (line, tail) = rest.split_at(end);
            rest = tail;
            let n = number;
            number += 1;
            match std::str::from_utf8(line) {
                Ok(text) if text.trim().is_empty() => continue, // counted, no record
                Ok(text) => return Some((n, Ok(text))),
                Err(e) => {
                    return Some((
                        n,
                        Err(format!(
                            "the line is not UTF-8 text (byte {} of the line)",
                            e.valid_up_to() + 1
                        )),
                    ))
                }
            }
        })
    }
}

/// Cuts the input into chunks of records.
pub(crate) struct Reader {
    format: Format,
    input: Box<dyn Read + Send>,
    /// Bytes read past the end of the last chunk.
    carry: Vec<u8>,
    eof: bool,
    /// Records before the next chunk.
    number: u64,
    /// The size of the last chunk, to size the next one's buffer.
    last_len: usize,
    /// For CSV, each column's input field.
    columns: Option<Arc<Vec<Option<usize>>>>,
    warnings: Vec<String>,
}

impl Reader {
    /// A reader of `input`; for CSV, the header is read and checked
    /// against the policy's inputs.
    pub fn new(
        format: Format,
        input: impl Read + Send + 'static,
        policy: &Policy,
    ) -> Result<Reader, String> {
        let mut r = Reader::bare(format, input);
        if format == Format::Csv {
            let header = match r.cut(1, Vec::new())? {
                Some((text, _)) => {
                    let mut rows = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .from_reader(text.as_slice());
                    let mut header = csv::StringRecord::new();
                    rows.read_record(&mut header)
                        .map_err(|e| format!("the CSV header cannot be read: {e}"))?;
                    header
                }
                None => csv::StringRecord::new(),
            };
            r.columns = Some(Arc::new(header_columns(&header, policy, &mut r.warnings)?));
        }
        Ok(r)
    }

    /// A reader of `input` at its start, no header read.
    fn bare(format: Format, input: impl Read + Send + 'static) -> Reader {
        Reader {
            format,
            input: Box::new(input),
            carry: Vec::new(),
            eof: false,
            number: 0,
            last_len: 0,
            columns: None,
            warnings: Vec::new(),
        }
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The CSV columns' input fields (None for JSONL).
    pub fn columns(&self) -> Option<Arc<Vec<Option<usize>>>> {
        self.columns.clone()
    }

    /// The next chunk of at most `max` records; None at the end.
    /// `spare` is the text buffer of a chunk done with, to fill again.
    pub fn chunk(
        &mut self,
        index: u64,
        max: usize,
        spare: Option<Vec<u8>>,
    ) -> Result<Option<Chunk>, String> {
        let Some((text, count)) = self.cut(max, spare.unwrap_or_default())? else {
            return Ok(None);
        };
        let first = self.number + 1;
        self.number += count;
        Ok(Some(Chunk {
            index,
            first,
            count,
            text,
        }))
    }

    /// The text of the next `max` records (fewer at the end) and how many
    /// there are; None when no record is left.
    /// `text` is a buffer to fill.
    fn cut(&mut self, max: usize, mut text: Vec<u8>) -> Result<Option<(Vec<u8>, u64)>, String> {
        let max = max.max(1) as u64;
        text.clear();
        text.reserve(self.last_len + READ);
        text.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut scan = Scan::new(self.format);
        let mut count = 0u64;
        loop {
            count += scan.records(&text, max - count);
            if count == max {
                self.carry
                    .extend_from_slice(text.get(scan.at..).unwrap_or_default());
                text.truncate(scan.at);
                break;
            }
            if self.eof {
                count += u64::from(scan.open(&text));
                break;
            }
            let n = (&mut self.input)
                .take(READ as u64)
                .read_to_end(&mut text)
                .map_err(|e| format!("after record {}: {e}", self.number + count))?;
            self.eof = n == 0;
        }
        self.last_len = text.len();
        Ok((count > 0).then_some((text, count)))
    }
}

/// Where the scan of a chunk's text is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// JSONL: within a line.
    Line,
    /// CSV: before a record (line breaks here are skipped, as blank lines).
    RecordStart,
    /// CSV: outside quotes within a record; `at_cell_start` when the next
    /// byte starts a cell (only there does a quote open a quoted cell).
    Unquoted { at_cell_start: bool },
    /// CSV: in a quoted cell.
    Quoted,
    /// CSV: just after a quote in a quoted cell: a second quote is an
    /// escaped quote, anything else ends the quoting.
    QuoteInQuoted,
}

/// Finds where records end, carried on as more text is read.
struct Scan {
    state: State,
    /// Bytes of the text scanned.
    at: usize,
}

impl Scan {
    fn new(format: Format) -> Scan {
        Scan {
            state: match format {
                Format::Jsonl => State::Line,
                Format::Csv => State::RecordStart,
            },
            at: 0,
        }
    }

    /// Scans on through `text` until `max` more records have ended (then
    /// `at` is just past the last one's line break) or the text ends;
    /// returns how many records ended.
    fn records(&mut self, text: &[u8], max: u64) -> u64 {
        let mut ended = 0;
        while ended < max {
            let Some(rest) = text.get(self.at..).filter(|r| !r.is_empty()) else {
                break;
            };
            match self.state {
                State::Line => match memchr(b'\n', rest) {
                    Some(k) => {
                        self.at += k + 1;
                        ended += 1;
                    }
                    None => self.at = text.len(),
                },
                State::RecordStart => match rest.iter().position(|&b| b != b'\n' && b != b'\r') {
                    Some(k) => {
                        self.at += k;
                        self.state = State::Unquoted {
                            at_cell_start: true,
                        };
                    }
                    None => self.at = text.len(),
                },
                State::Unquoted { at_cell_start } => match memchr3(b'"', b'\n', b'\r', rest) {
                    Some(k) => {
                        let quote = rest.get(k) == Some(&b'"');
                        let cell_start = if k == 0 {
                            at_cell_start
                        } else {
                            rest.get(k - 1) == Some(&b',')
                        };
                        self.at += k + 1;
                        self.state = match (quote, cell_start) {
                            // a quote opens a quoted cell only at its start
                            (true, true) => State::Quoted,
                            (true, false) => State::Unquoted {
                                at_cell_start: false,
                            },
                            (false, _) => {
                                ended += 1;
                                State::RecordStart
                            }
                        };
                    }
                    None => {
                        self.at = text.len();
                        self.state = State::Unquoted {
                            at_cell_start: rest.last() == Some(&b','),
                        };
                    }
                },
                State::Quoted => match memchr(b'"', rest) {
                    Some(k) => {
                        self.at += k + 1;
                        self.state = State::QuoteInQuoted;
                    }
                    None => self.at = text.len(),
                },
                State::QuoteInQuoted => {
                    if rest.first() == Some(&b'"') {
                        // `""`: a quote in the cell
                        self.at += 1;
                        self.state = State::Quoted;
                    } else {
                        // the quoting ended: the byte is read outside it
                        // (a comma, a line break, or text kept in the cell)
                        self.state = State::Unquoted {
                            at_cell_start: false,
                        };
                    }
                }
            }
        }
        ended
    }

    /// Whether a record is still open at the end of the text (a last line
    /// without a line break).
    fn open(&self, text: &[u8]) -> bool {
        match self.state {
            State::Line => text.last().is_some_and(|&b| b != b'\n'),
            State::RecordStart => false,
            _ => true,
        }
    }
}

/// Each header column's input field (None for a column that is no input,
/// warned about); a header naming an input twice is refused.
fn header_columns(
    header: &csv::StringRecord,
    policy: &Policy,
    warnings: &mut Vec<String>,
) -> Result<Vec<Option<usize>>, String> {
    let fields = &policy.meta().input.fields;
    let mut columns = Vec::with_capacity(header.len());
    let mut seen = vec![false; fields.len()];
    for name in header.iter() {
        let name = name.trim();
        match fields.iter().position(|f| f.name == name) {
            Some(i) if seen.get(i).copied().unwrap_or(true) => {
                return Err(format!("the CSV header names `{name}` twice"));
            }
            Some(i) => {
                if let Some(s) = seen.get_mut(i) {
                    *s = true;
                }
                columns.push(Some(i));
            }
            None => {
                warnings.push(format!(
                    "column `{name}` is not an input of policy {}: ignored",
                    policy.name()
                ));
                columns.push(None);
            }
        }
    }
    Ok(columns)
}

/// Splits a chunk's CSV rows into cells as the `csv` crate reads them
/// (RFC 4180: a cell in quotes may hold commas, line breaks and doubled
/// quotes; a quote elsewhere is kept as text), without copying a cell that
/// is not quoted.
pub(crate) struct CsvRows {
    /// The row's cells, where each one's text is.
    spans: Vec<Span>,
    /// The text of the row's quoted cells, quotes taken out.
    unquoted: Vec<u8>,
    /// Every cell's text, for a row of a chunk that is not all text.
    owned: String,
    owned_spans: Vec<Span>,
}

/// Where a cell's text is: a range of the chunk's text, or of the row's
/// unquoted text.
#[derive(Clone, Copy, Debug)]
enum Span {
    Chunk(usize, usize),
    Unquoted(usize, usize),
}

/// One CSV row of a chunk.
pub(crate) enum Row<'a> {
    /// Its cells.
    Cells(Cells<'a>),
    /// Why it cannot be read.
    Bad(String),
}

/// The cells of one row, as text.
pub(crate) struct Cells<'a> {
    /// The chunk's text.
    text: &'a str,
    unquoted: &'a str,
    spans: &'a [Span],
}

impl<'a> Cells<'a> {
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        // every span starts and ends at an end of its text or next to an
        // ASCII byte (a comma, a quote, a line break): on a character
        // boundary, so `get` always gives the text
        self.spans.iter().map(|span| {
            match *span {
                Span::Chunk(a, b) => self.text.get(a..b),
                Span::Unquoted(a, b) => self.unquoted.get(a..b),
            }
            .unwrap_or_default()
        })
    }
}

impl CsvRows {
    pub fn new() -> CsvRows {
        CsvRows {
            spans: Vec::new(),
            unquoted: Vec::new(),
            owned: String::new(),
            owned_spans: Vec::new(),
        }
    }

    /// Calls `each` with every row of `chunk` and its number, each row of
    /// `width` cells (a row of another width is bad). Fails when the rows
    /// are not the ones the reader counted (which would number them wrong).
    pub fn each(
        &mut self,
        chunk: &Chunk,
        width: usize,
        mut each: impl FnMut(u64, Row),
    ) -> Result<(), String> {
        let text = chunk.text.as_slice();
        // text throughout, usually: no row needs checking on its own
        let whole = std::str::from_utf8(text).ok();
        let mut number = chunk.first;
        let mut at = 0;
        while let Some(next) = self.split_row(text, at) {
            at = next;
            let row = if self.spans.len() != width {
                Row::Bad(format!(
                    "the row has {} cells; the header has {width}",
                    self.spans.len()
                ))
            } else if let Some(text) = whole {
                // the cells of text are text (split next to ASCII bytes)
                match std::str::from_utf8(&self.unquoted) {
                    Ok(unquoted) => Row::Cells(Cells {
                        text,
                        unquoted,
                        spans: &self.spans,
                    }),
                    Err(_) => {
                        Row::Bad("the row cannot be read as CSV: it is not UTF-8 text".into())
                    }
                }
            } else {
                // somewhere in the chunk is not text: each cell is checked
                // (as the csv crate checks them) and copied
                self.owned.clear();
                self.owned_spans.clear();
                let mut bad = None;
                for (k, span) in self.spans.iter().enumerate() {
                    let bytes = match *span {
                        Span::Chunk(a, b) => text.get(a..b),
                        Span::Unquoted(a, b) => self.unquoted.get(a..b),
                    }
                    .unwrap_or_default();
                    match std::str::from_utf8(bytes) {
                        Ok(cell) => {
                            let a = self.owned.len();
                            self.owned.push_str(cell);
                            self.owned_spans.push(Span::Unquoted(a, self.owned.len()));
                        }
                        Err(_) => {
                            bad = Some(k + 1);
                            break;
                        }
                    }
                }
                match bad {
                    None => Row::Cells(Cells {
                        text: "",
                        unquoted: &self.owned,
                        spans: &self.owned_spans,
                    }),
                    Some(k) => Row::Bad(format!(
                        "the row cannot be read as CSV: cell {k} is not UTF-8 text"
                    )),
                }
            };
            each(number, row);
            number += 1;
        }
        let read = number - chunk.first;
        if read != chunk.count {
            return Err(format!(
                "rows {} to {}: {read} rows were split where {} were counted",
                chunk.first,
                chunk.first + chunk.count.saturating_sub(1),
                chunk.count
            ));
        }
        Ok(())
    }

    /// Splits the row at or after byte `at` of `text` (blank lines before
    /// it skipped) into `spans` and `unquoted`; gives where the next row
    /// may start, or None when no row is left.
    fn split_row(&mut self, text: &[u8], mut at: usize) -> Option<usize> {
        while matches!(text.get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        if at >= text.len() {
            return None;
        }
        self.spans.clear();
        self.unquoted.clear();
        loop {
            let rest = text.get(at..).unwrap_or_default();
            if rest.first() == Some(&b'"') {
                // a quoted cell: up to the quote that is not doubled
                let from = self.unquoted.len();
                at += 1;
                loop {
                    let rest = text.get(at..).unwrap_or_default();
                    match memchr(b'"', rest) {
                        None => {
                            // no closing quote: the cell runs to the end
                            self.unquoted.extend_from_slice(rest);
                            at = text.len();
                            break;
                        }
                        Some(k) => {
                            self.unquoted
                                .extend_from_slice(rest.get(..k).unwrap_or_default());
                            at += k + 1;
                            if text.get(at) == Some(&b'"') {
                                self.unquoted.push(b'"');
                                at += 1;
                            } else {
                                break;
                            }
                        }
                    }
                }
                // text after the closing quote is kept, up to the cell's end
                let end = cell_end(text, at);
                self.unquoted
                    .extend_from_slice(text.get(at..end).unwrap_or_default());
                at = end;
                self.spans.push(Span::Unquoted(from, self.unquoted.len()));
            } else {
                let end = cell_end(text, at);
                self.spans.push(Span::Chunk(at, end));
                at = end;
            }
            match text.get(at) {
                Some(b',') => at += 1,
                // a line break ends the row (a \n after \r is skipped next
                // time, as a blank line)
                Some(_) => return Some(at + 1),
                None => return Some(at),
            }
        }
    }
}

/// Where the unquoted cell text from `at` ends: at a comma, a line break
/// or the end. Eight bytes are looked at a time.
fn cell_end(text: &[u8], at: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // high bits set from the first byte of `w` that is `b` (the lowest one
    // set marks it exactly)
    let matches = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let mut i = at;
    while let Some(word) = text.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        let w = u64::from_le_bytes(word);
        let m = matches(w, b',') | matches(w, b'\n') | matches(w, b'\r');
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let rest = text.get(i..).unwrap_or_default();
    i + rest
        .iter()
        .position(|&b| b == b',' || b == b'\n' || b == b'\r')
        .unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    //! The reader's cuts against the `csv` crate reading the whole text:
    //! on random texts of commas, quotes, line breaks and letters, the rows
    //! read chunk by chunk are the rows of the whole, with the same numbers.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn whole(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut rows = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        rows.byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    /// A reader over `text` in pieces of `piece` bytes a read.
    struct Pieces(Vec<u8>, usize, usize);
    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len() - self.2);
            buf[..n].copy_from_slice(&self.0[self.2..self.2 + n]);
            self.2 += n;
            Ok(n)
        }
    }

    fn reader(format: Format, text: &[u8], piece: usize) -> Reader {
        Reader::bare(format, Pieces(text.to_vec(), piece, 0))
    }

    /// The rows of `text` as split by `CsvRows`.
    fn split(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut rows = CsvRows::new();
        let mut got = Vec::new();
        let mut at = 0;
        while let Some(next) = rows.split_row(text, at) {
            at = next;
            got.push(
                rows.spans
                    .iter()
                    .map(|s| match *s {
                        Span::Chunk(a, b) => text[a..b].to_vec(),
                        Span::Unquoted(a, b) => rows.unquoted[a..b].to_vec(),
                    })
                    .collect(),
            );
        }
        got
    }

    #[test]
    fn csv_chunks_are_cut_and_split_as_the_csv_crate_reads_them() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
        };
        // dense in commas, quotes and line breaks; or with longer cells
        let dense: &[u8] = b"ab,,\"\"\"\n\n\r \xc3\xa9";
        let sparse: &[u8] = b"abcdefghijklmn ,\"\n\r\xc3\xa9";
        for round in 0..30_000 {
            let alphabet = if round % 3 == 0 { sparse } else { dense };
            let len = next(if round % 3 == 0 { 80 } else { 40 });
            let text: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let want = whole(&text);
            let shown = String::from_utf8_lossy(&text).to_string();
            assert_eq!(split(&text), want, "{shown:?} split");
            let max = 1 + next(3);
            let piece = 1 + next(8);
            let mut r = reader(Format::Csv, &text, piece);
            let mut got = Vec::new();
            let mut index = 0;
            while let Some(chunk) = r.chunk(index, max, None).unwrap() {
                index += 1;
                assert!(chunk.count <= max as u64);
                assert_eq!(chunk.first, got.len() as u64 + 1, "{round}");
                let rows = split(&chunk.text);
                // each row comes with its number, its cells as the csv
                // crate reads them where they are text
                let mut numbers = Vec::new();
                for width in [0, 1, 2, 3] {
                    numbers.clear();
                    CsvRows::new()
                        .each(&chunk, width, |n, row| {
                            let i = (n - chunk.first) as usize;
                            match row {
                                Row::Cells(cells) => {
                                    let cells: Vec<&str> = cells.iter().collect();
                                    let want: Vec<String> = rows[i]
                                        .iter()
                                        .map(|c| String::from_utf8(c.clone()).unwrap())
                                        .collect();
                                    assert_eq!(cells, want, "{shown:?}");
                                }
                                Row::Bad(e) => assert!(
                                    rows[i].len() != width
                                        || rows[i].iter().any(|c| std::str::from_utf8(c).is_err()),
                                    "{e} {shown:?}"
                                ),
                            }
                            numbers.push(n);
                        })
                        .unwrap_or_else(|e| panic!("{e}: {shown:?}"));
                    assert_eq!(numbers.len(), rows.len());
                }
                got.extend(rows);
            }
            assert_eq!(got, want, "{shown:?} in chunks of {max}");
        }
    }

    #[test]
    fn jsonl_chunks_number_every_line() {
        for text in [
            &b""[..],
            b"\n",
            b"{}",
            b"{}\n",
            b"{}\n\n  \n{\"a\":1}",
            b"{}\r\n{}\r\n",
            b"\xff\n{}\n",
        ] {
            for (max, piece) in [(1, 1), (2, 3), (5, 100)] {
                let mut r = reader(Format::Jsonl, text, piece);
                let mut lines = Vec::new();
                let mut counted = 0;
                while let Some(chunk) = r.chunk(0, max, None).unwrap() {
                    assert_eq!(chunk.first, counted + 1);
                    counted += chunk.count;
                    lines.extend(chunk.lines().map(|(n, l)| (n, l.map(str::to_string))));
                }
                let want: Vec<(u64, Result<String, String>)> = text
                    .split_inclusive(|b| *b == b'\n')
                    .enumerate()
                    .filter_map(|(i, l)| match std::str::from_utf8(l) {
                        Ok(t) if t.trim().is_empty() => None,
                        Ok(t) => Some((i as u64 + 1, Ok(t.to_string()))),
                        Err(_) => Some((
                            i as u64 + 1,
                            Err("the line is not UTF-8 text (byte 1 of the line)".to_string()),
                        )),
                    })
                    .collect();
                assert_eq!(
                    lines,
                    want,
                    "{:?} {max} {piece}",
                    String::from_utf8_lossy(text)
                );
                assert_eq!(
                    counted,
                    text.split_inclusive(|b| *b == b'\n').count() as u64
                );
            }
        }
    }
}
