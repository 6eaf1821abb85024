//! `Policy::evaluate_rows`: a block of rows (numbers and text columns)
//! gives, row by row, what `evaluate_each` gives when the same rows are
//! written through `set_nums` and `set`: the same reports, the same
//! refusals of numbers a field cannot take, across chunks, for sets that
//! take the direct path and sets that do not, and texts too large for an
//! instance failing alone; and any set of numeric inputs, in any order,
//! what the same facts give as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Rng;
use rulebook::batch::{Field, Int, NumFields, RowError, Rows, Text};
use rulebook::{Date, EvalError, Policy};

const POLICY: &str = r#"
policy rows_test
input {
  age: int
  income: money
  resident: bool
  status: enum(employed, student, retired)
  born: date
  region: text
  note: text
}
param limit: money = £1,000
decision eligible: bool
  require resident because "Must be resident"
  require age >= 18 because "Must be 18"
  require income <= limit because "Income too high"
  require status != "student" because "No students"
decision route: text
  when not eligible -> "reject"
  when region == "london" -> "london_team"
  when note == "urgent" -> "fast"
  otherwise -> "standard"
decision years: int = years_between(born, as_of)
"#;

/// Rows of the five numeric inputs in `names`' order (some unknown, a few
/// out of their field's range) and the two text columns.
struct Block {
    known: Vec<u64>,
    nums: Vec<i64>,
    regions: Vec<Option<String>>,
    notes: Vec<Option<String>>,
}

fn block(n: usize, seed: u64) -> Block {
    let mut rng = Rng(seed);
    let (mut known, mut nums, mut regions, mut notes) = (vec![], vec![], vec![], vec![]);
    let texts = ["london", "wales", "", "scotland", "urgent", "é"];
    for _ in 0..n {
        let mut k = 0u64;
        for bit in 0..5 {
            k |= u64::from(rng.below(10) != 0) << bit;
        }
        known.push(k);
        nums.extend([
            rng.below(90) as i64,
            rng.below(200_000) as i64,
            // a bool: now and then 2, which it cannot take
            if rng.below(50) == 0 {
                2
            } else {
                rng.below(2) as i64
            },
            // an enum of 3 variants: now and then index 3
            {
                let variants = if rng.below(50) == 0 { 4 } else { 3 };
                rng.below(variants) as i64
            },
            -20_000 + rng.below(40_000) as i64,
        ]);
        let text = |rng: &mut Rng| {
            (rng.below(8) != 0).then(|| texts[rng.below(texts.len() as u64) as usize].to_string())
        };
        regions.push(text(&mut rng));
        notes.push(text(&mut rng));
    }
    Block {
        known,
        nums,
        regions,
        notes,
    }
}

/// A column of texts as an Arrow array holds it: its texts one after
/// another in one buffer, offsets of type `O` (`i32` as `Utf8` has, `i64`
/// as `LargeUtf8`), and a validity bit a row (clear: absent).
fn text_buffer<O: TryFrom<usize>>(column: &[Option<&str>]) -> (Vec<u8>, Vec<O>, Vec<u8>)
where
    O::Error: std::fmt::Debug,
{
    let (mut data, mut offsets) = (Vec::new(), vec![O::try_from(0).unwrap()]);
    let mut valid = vec![0u8; column.len().div_ceil(8)];
    for (r, t) in column.iter().enumerate() {
        if let Some(t) = t {
            data.extend_from_slice(t.as_bytes());
            valid[r / 8] |= 1 << (r % 8);
        }
        offsets.push(O::try_from(data.len()).unwrap());
    }
    (data, offsets, valid)
}

/// Each row's report, or its error's message, through `evaluate_rows`.
fn by_rows(p: &Policy, set: &NumFields, b: &Block, as_of: Date) -> Vec<String> {
    let regions: Vec<Option<&str>> = b.regions.iter().map(Option::as_deref).collect();
    let notes: Vec<Option<&str>> = b.notes.iter().map(Option::as_deref).collect();
    let rows = Rows::new(set, &b.known, &b.nums)
        .unwrap()
        .text(p.field("region").unwrap(), "region", &regions)
        .unwrap()
        .text(p.field("note").unwrap(), "note", &notes)
        .unwrap();
    let mut out = Vec::new();
    p.evaluate_rows(&rows, as_of, |i, r| {
        assert_eq!(i, out.len(), "rows in order");
        out.push(match r {
            Ok(view) => p.report(&view, as_of).to_string(),
            Err(e) => e.to_string(),
        });
    });
    out
}

/// The same through `evaluate_each`, `set_nums` and `set`.
fn by_each(p: &Policy, set: &NumFields, b: &Block, as_of: Date) -> Vec<String> {
    let (region, note): (Field<Text>, Field<Text>) =
        (p.field("region").unwrap(), p.field("note").unwrap());
    let width = set.len();
    let refused = std::cell::RefCell::new(vec![None; b.known.len()]);
    let mut out = Vec::new();
    p.evaluate_each(
        0..b.known.len(),
        as_of,
        |&i, w| {
            let nums = &b.nums[i * width..(i + 1) * width];
            if let Err(e) = w.set_nums(set, b.known[i], nums) {
                // as evaluate_rows does: a refused row has no facts
                refused.borrow_mut()[i] = Some(e.to_string());
                return;
            }
            if let Some(t) = &b.regions[i] {
                w.set(region, t.as_str());
            }
            if let Some(t) = &b.notes[i] {
                w.set(note, t.as_str());
            }
        },
        |i, r| {
            out.push(match (&refused.borrow()[i], r) {
                (Some(e), _) => e.clone(),
                (None, Ok(view)) => p.report(&view, as_of).to_string(),
                (None, Err(e)) => e.to_string(),
            })
        },
    );
    out
}

#[test]
fn rows_give_what_evaluate_each_gives_across_chunks() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    // consecutive inputs in order: the direct path
    let direct = p
        .num_fields(["age", "income", "resident", "status", "born"])
        .unwrap();
    // another order: through the record writer
    let shuffled = p
        .num_fields(["born", "status", "resident", "income", "age"])
        .unwrap();
    for (seed, n) in [(1, 0), (2, 1), (3, 511), (4, 512), (5, 1500)] {
        let b = block(n, seed);
        let rows = by_rows(&p, &direct, &b, as_of);
        assert_eq!(rows, by_each(&p, &direct, &b, as_of), "{n} rows");
        assert_eq!(rows.len(), n);
        // the same rows with their numbers in the shuffled set's order
        let mut s = Block {
            known: Vec::new(),
            nums: Vec::new(),
            ..b
        };
        let original = block(n, seed);
        for (i, k) in original.known.iter().enumerate() {
            let row = &original.nums[i * 5..i * 5 + 5];
            s.nums.extend(row.iter().rev());
            s.known
                .push((0..5).fold(0, |m, bit| m | (k >> (4 - bit) & 1) << bit));
        }
        assert_eq!(
            by_rows(&p, &shuffled, &s, as_of),
            rows,
            "{n} rows, shuffled"
        );
    }
    // the data has refusals, unknown decisions and decided rows
    let all = by_rows(&p, &direct, &block(1500, 5), as_of).join("\n");
    for seen in [
        "cannot take the number",
        "\"missing\"",
        "london_team",
        "reject",
    ] {
        assert!(all.contains(seen), "{seen}");
    }
}

#[test]
fn a_refused_row_is_a_value_error_and_its_neighbours_are_evaluated() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let set = p
        .num_fields(["age", "income", "resident", "status", "born"])
        .unwrap();
    let known = [0b11111, 0b11111, 0b11111];
    let nums = [
        30, 50_000, 1, 0, 0, 30, 50_000, 7, 0, 0, 30, 50_000, 1, 0, 0,
    ];
    let rows = Rows::new(&set, &known, &nums).unwrap();
    let mut got = Vec::new();
    p.evaluate_rows(&rows, Date::parse("2026-06-01").unwrap(), |i, r| {
        got.push((
            i,
            r.map(|v| v.evaluated_in_full()).map_err(|e| e.to_string()),
        ));
    });
    assert!(got[0].1.is_ok() && got[2].1.is_ok(), "{got:?}");
    match &got[1].1 {
        Err(e) => assert!(e.contains("`resident` cannot take the number 7"), "{e}"),
        Ok(_) => panic!("row 1 was evaluated"),
    }
}

/// One number out of its field's range, at any row of a chunk (the first
/// chunk of 602 rows and the second, whose 90 rows are not a multiple of
/// four), and of either limited field: that row alone is refused, whatever
/// rows are checked together.
#[test]
fn a_number_out_of_range_is_refused_at_any_row() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let set = p
        .num_fields(["age", "income", "resident", "status", "born"])
        .unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let n = 602;
    let known = vec![0b11111; n];
    for bad in (0..12).chain(505..525).chain([n - 1]) {
        for (field, value) in [(2, 7), (3, 3)] {
            let mut nums: Vec<i64> = (0..n).flat_map(|_| [30, 50_000, 1, 0, 0]).collect();
            nums[bad * 5 + field] = value;
            let rows = Rows::new(&set, &known, &nums).unwrap();
            let mut refused = Vec::new();
            p.evaluate_rows(&rows, as_of, |i, r| {
                if let Err(RowError::Value(_)) = r {
                    refused.push(i);
                }
            });
            assert_eq!(refused, [bad], "field {field} = {value} at row {bad}");
        }
    }
}

#[test]
fn rows_of_the_wrong_shape_are_refused_before_evaluating() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let set = p.num_fields(["age", "income"]).unwrap();
    let e = Rows::new(&set, &[1, 1], &[1, 2, 3]).err().unwrap();
    assert_eq!(e.to_string(), "3 numbers for 4 fields");
    let rows = Rows::new(&set, &[1, 1], &[1, 2, 3, 4]).unwrap();
    let e = rows
        .text(p.field("region").unwrap(), "region", &[Some("x")])
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "the text column of input field `region` has 1 rows, the numbers 2"
    );
}

#[test]
fn a_field_named_twice_in_a_set_is_refused() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let e = p.num_fields(["age", "income", "age"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "input field `age` is named twice in one set of number fields (a row would give it two numbers)"
    );
}

#[test]
fn handles_of_another_policy_fail_every_row() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let other = Policy::from_source(
        "other.rules",
        "policy other\ninput { age: int }\ndecision d: int = age\n",
    )
    .unwrap();
    let set = other.num_fields(["age"]).unwrap();
    let rows = Rows::new(&set, &[1, 1], &[3, 4]).unwrap();
    let mut errors = Vec::new();
    p.evaluate_rows(&rows, Date::parse("2026-06-01").unwrap(), |_, r| {
        errors.push(matches!(
            r,
            Err(RowError::Eval(rulebook::EvalError::WrongPolicy(_)))
        ));
    });
    assert_eq!(errors, [true, true]);
}

#[test]
fn a_text_too_large_for_an_instance_fails_alone() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let set = p.num_fields(["age"]).unwrap();
    let huge = "x".repeat(65 << 20);
    let regions = [Some("london"), Some(huge.as_str()), Some("wales")];
    let rows = Rows::new(&set, &[1, 1, 1], &[30, 30, 30])
        .unwrap()
        .text(p.field("region").unwrap(), "region", &regions)
        .unwrap();
    let mut got = Vec::new();
    p.evaluate_rows(&rows, Date::parse("2026-06-01").unwrap(), |_, r| {
        got.push(r.map(|_| ()).map_err(|e| e.to_string()));
    });
    assert!(got[0].is_ok() && got[2].is_ok(), "{got:?}");
    assert!(
        got[1].as_ref().is_err_and(|e| e.contains("more than the")),
        "{got:?}"
    );
    // the bytes it needs, more than the limit and more than its text, as
    // `evaluate_each` counts them for the same record
    let mut needed = None;
    p.evaluate_rows(&rows, Date::parse("2026-06-01").unwrap(), |_, r| {
        if let Err(RowError::Eval(EvalError::TooLarge { needed: n, limit })) = r {
            needed = Some((n, limit));
        }
    });
    let (n, limit) = needed.expect("the huge row's error");
    assert!(n > limit && n > huge.len(), "{n} {limit}");
    let age: Field<Int> = p.field("age").unwrap();
    let region: Field<Text> = p.field("region").unwrap();
    let mut each = Vec::new();
    p.evaluate_each(
        regions,
        Date::parse("2026-06-01").unwrap(),
        |r, w| {
            w.set(age, 30);
            if let Some(t) = r {
                w.set(region, t);
            }
        },
        |_, r| each.push(r.map(|_| ()).map_err(|e| e.to_string())),
    );
    assert_eq!(got, each);
}

/// Text columns as Arrow holds them (`Rows::text_buffer`), whose texts in
/// one chunk take more than the free memory after its results: long texts
/// first, until the memory holds no more (the rest are kept aside and
/// placed after growing it), then short ones, which would run past the
/// memory's end, a text too large for an instance in the next chunk, and
/// short ones to the end of the buffer. Every row reads its own text, as
/// the same rows as plain columns of values give.
#[test]
fn text_buffers_whose_chunk_outgrows_the_free_memory_are_read_exactly() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let set = p
        .num_fields(["age", "income", "resident", "status"])
        .unwrap();
    let n = 1_500;
    // 480 KB of long texts in the first chunk: more than its free memory
    // (about 52 KB today), whatever that becomes
    let long: Vec<String> = (0..480).map(|r| format!("{r:-<1000}")).collect();
    let huge = "z".repeat(65 << 20);
    let regions: Vec<Option<&str>> = (0..n)
        .map(|r| match r {
            r if r < 480 => Some(long[r].as_str()),
            700 => Some(huge.as_str()),
            r if r % 7 == 3 => None,
            r if r % 2 == 0 => Some("london"),
            _ => Some("wales-and-the-marches"),
        })
        .collect();
    let notes: Vec<Option<&str>> = (0..n)
        .map(|r| Some(if r % 5 == 0 { "urgent" } else { "routine" }))
        .collect();
    let known = vec![0b1111; n];
    let nums: Vec<i64> = (0..n).flat_map(|_| [30, 50_000, 1, 0]).collect();
    // each column as one buffer, with offsets and validity bits
    let (region_data, region_offsets, region_valid) = text_buffer::<i64>(&regions);
    let (note_data, note_offsets, note_valid) = text_buffer::<i64>(&notes);
    let region: Field<Text> = p.field("region").unwrap();
    let note: Field<Text> = p.field("note").unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let route = p.decision::<Text>("route").unwrap();
    let routes = |rows: &Rows<'_>| {
        let mut got = Vec::new();
        p.evaluate_rows(rows, as_of, |r, result| {
            got.push((r, result.map(|v| v.get(route).unwrap().map(str::to_string))));
        });
        got
    };
    let from_buffers = routes(
        &Rows::new(&set, &known, &nums)
            .unwrap()
            .text_buffer(
                region,
                "region",
                &region_data,
                &region_offsets,
                Some(&region_valid),
            )
            .unwrap()
            .text_buffer(note, "note", &note_data, &note_offsets, Some(&note_valid))
            .unwrap(),
    );
    let from_values = routes(
        &Rows::new(&set, &known, &nums)
            .unwrap()
            .text(region, "region", &regions)
            .unwrap()
            .text(note, "note", &notes)
            .unwrap(),
    );
    assert_eq!(from_buffers.len(), n);
    for (r, result) in &from_buffers {
        let want = match (regions[*r], notes[*r]) {
            (Some(t), _) if t.len() > 64 << 20 => None,
            (Some("london"), _) => Some("london_team"),
            // an unknown region leaves the route unknown
            (None, _) => Some("unknown"),
            (_, Some("urgent")) => Some("fast"),
            _ => Some("standard"),
        };
        match (want, result) {
            (None, Err(e)) => assert!(e.to_string().contains("more than the"), "row {r}: {e}"),
            (Some("unknown"), Ok(None)) => {}
            (Some(want), Ok(Some(got))) => assert_eq!(got, want, "row {r}"),
            (want, got) => panic!("row {r}: {got:?}, expected {want:?}"),
        }
    }
    let errors = |got: &[(usize, Result<Option<String>, RowError>)]| -> Vec<_> {
        got.iter()
            .map(|(r, g)| (*r, g.as_ref().map_err(|e| e.to_string()).cloned()))
            .collect()
    };
    assert_eq!(errors(&from_buffers), errors(&from_values));
}

/// Text buffers holding exactly their texts, as Arrow's arrays do, whose
/// last rows end within 16 bytes of the buffer's end: a chunk ends before
/// them and the next one reads them with every check. Here the last 300
/// rows of one column are empty or absent, so its chunk ends far before
/// its 512 rows, and the other column's last texts are short ones; every
/// row reads its own text, as the same rows as plain values give, at
/// every length of block from one row on.
#[test]
fn text_buffers_whose_last_rows_end_near_their_end_are_read_exactly() {
    let p = Policy::from_source("rows.rules", POLICY).unwrap();
    let set = p
        .num_fields(["age", "income", "resident", "status"])
        .unwrap();
    let n = 1_300;
    let regions: Vec<Option<&str>> = (0..n)
        .map(|r| match r {
            r if r >= n - 300 && r % 2 == 0 => Some(""),
            r if r >= n - 300 => None,
            r if r % 3 == 0 => Some("london"),
            r if r % 3 == 1 => Some("wales"),
            _ => Some("a region named at length, past sixteen bytes"),
        })
        .collect();
    let notes: Vec<Option<&str>> = (0..n)
        .map(|r| Some(["urgent", "u", "", "routine"][r % 4]))
        .collect();
    let known = vec![0b1111; n];
    let nums: Vec<i64> = (0..n).flat_map(|_| [30, 50_000, 1, 0]).collect();
    let (region_data, region_offsets, region_valid) = text_buffer::<i32>(&regions);
    let (note_data, note_offsets, note_valid) = text_buffer::<i32>(&notes);
    let region: Field<Text> = p.field("region").unwrap();
    let note: Field<Text> = p.field("note").unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let reports = |rows: &Rows<'_>| {
        let mut got = Vec::new();
        p.evaluate_rows(rows, as_of, |_, result| {
            got.push(result.map(|v| p.report(&v, as_of).to_string()));
        });
        got
    };
    for rows in [1, 2, 17, 511, 512, 513, 1_000, 1_024, n] {
        // the buffers cut to the rows' texts, so the last ones end at
        // the buffer's end
        let (region_end, note_end) = (region_offsets[rows] as usize, note_offsets[rows] as usize);
        let from_buffers = reports(
            &Rows::new(&set, &known[..rows], &nums[..rows * 4])
                .unwrap()
                .text_buffer(
                    region,
                    "region",
                    &region_data[..region_end],
                    &region_offsets[..=rows],
                    Some(&region_valid),
                )
                .unwrap()
                .text_buffer(
                    note,
                    "note",
                    &note_data[..note_end],
                    &note_offsets[..=rows],
                    Some(&note_valid),
                )
                .unwrap(),
        );
        let from_values = reports(
            &Rows::new(&set, &known[..rows], &nums[..rows * 4])
                .unwrap()
                .text(region, "region", &regions[..rows])
                .unwrap()
                .text(note, "note", &notes[..rows])
                .unwrap(),
        );
        assert_eq!(from_buffers.len(), rows);
        assert!(from_buffers.iter().all(Result::is_ok), "{rows} rows");
        assert_eq!(
            from_buffers
                .iter()
                .map(|r| r.as_ref().ok())
                .collect::<Vec<_>>(),
            from_values
                .iter()
                .map(|r| r.as_ref().ok())
                .collect::<Vec<_>>(),
            "{rows} rows"
        );
    }
}

#[test]
fn fields_past_the_64th_are_set_and_cleared_row_by_row() {
    // 70 int inputs; the set's last four are past the first presence word
    let inputs: String = (0..70).map(|i| format!("  x{i}: int\n")).collect();
    let src = format!("policy wide\ninput {{\n{inputs}}}\ndecision s: int = x60 + x69\n");
    let p = Policy::from_source("wide.rules", &src).unwrap();
    let names: Vec<String> = (60..70).map(|i| format!("x{i}")).collect();
    let set = p.num_fields(names.iter().map(String::as_str)).unwrap();
    let mut rng = Rng(7);
    let n = 1100;
    let known: Vec<u64> = (0..n).map(|_| rng.below(1 << 10)).collect();
    let nums: Vec<i64> = (0..n * 10).map(|_| rng.below(1000) as i64).collect();
    let rows = Rows::new(&set, &known, &nums).unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let mut got = Vec::new();
    p.evaluate_rows(&rows, as_of, |_, r| {
        got.push(r.map(|v| p.report(&v, as_of).to_string()).unwrap())
    });
    let mut want = Vec::new();
    p.evaluate_each(
        0..n,
        as_of,
        |&i, w| {
            w.set_nums(&set, known[i], &nums[i * 10..i * 10 + 10])
                .unwrap()
        },
        |_, r| want.push(r.map(|v| p.report(&v, as_of).to_string()).unwrap()),
    );
    assert_eq!(got, want);
    // a row with x69 unknown after one with it known: the bit was cleared
    let decided = got.iter().filter(|r| !r.contains("\"value\":null")).count();
    assert!(decided > 0 && decided < n, "{decided} of {n} decided");
}

/// Numeric inputs split by text inputs, so that a set of them is several
/// stretches of consecutive inputs (or, out of order, none).
const INTERLEAVED: &str = r#"
policy interleaved
input {
  a: int
  t1: text
  b: money
  c: bool
  t2: text
  d: date
  e: enum(x, y, z)
  f: int
  g: money
}
decision out: text
  when c and a > 10 -> "one"
  when t1 == "p" -> "two"
  when starts_with(t2, "ab") -> "three"
  when e == "y" and b > 500 -> "four"
  otherwise -> "five"
decision total: money = b + g * f
decision age: int = years_between(d, as_of)
decision either: bool = c or e == "z"
"#;

/// Any subset of the interleaved policy's numeric inputs, in any order,
/// filled from rows through `evaluate_rows`, gives each row the report
/// that the same facts give as JSON (`evaluate_json`: facts read another
/// way and written into memory by another writer).
#[test]
fn any_set_of_inputs_in_any_order_fills_as_json_facts_do() {
    let p = Policy::from_source("interleaved.rules", INTERLEAVED).unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let numeric = ["a", "b", "c", "d", "e", "f", "g"];
    let variants = ["x", "y", "z"];
    let texts = ["p", "abc", "ab", "", "q"];
    let mut rng = Rng(0x5eed);
    for round in 0..60 {
        // a random non-empty subset, shuffled
        let mut names: Vec<&str> = numeric
            .iter()
            .copied()
            .filter(|_| rng.below(3) != 0)
            .collect();
        if names.is_empty() {
            names.push(numeric[rng.below(7) as usize]);
        }
        for i in (1..names.len()).rev() {
            names.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let set = p.num_fields(names.iter().copied()).unwrap();
        let n = 1 + rng.below(700) as usize;
        let (mut known, mut nums, mut json) = (Vec::new(), Vec::new(), Vec::new());
        let (mut t1, mut t2) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let mut facts = serde_json::Map::new();
            let mut k = 0u64;
            for (bit, name) in names.iter().enumerate() {
                let value = match *name {
                    "a" | "f" => rng.below(40) as i64,
                    "b" | "g" => rng.below(100_000) as i64,
                    "c" => rng.below(2) as i64,
                    "d" => rng.below(40_000) as i64 - 20_000,
                    _ => rng.below(3) as i64,
                };
                nums.push(value);
                if rng.below(6) == 0 {
                    continue;
                }
                k |= 1 << bit;
                let fact = match *name {
                    "a" | "f" => serde_json::json!(value),
                    "b" | "g" => serde_json::json!(format!("{}.{:02}", value / 100, value % 100)),
                    "c" => serde_json::json!(value == 1),
                    "d" => serde_json::json!(Date(value as i32).to_string()),
                    _ => serde_json::json!(variants[value as usize]),
                };
                facts.insert(name.to_string(), fact);
            }
            known.push(k);
            let mut text = |name: &str, column: &mut Vec<Option<String>>| {
                let t = (rng.below(5) != 0).then(|| texts[rng.below(5) as usize].to_string());
                if let Some(t) = &t {
                    facts.insert(name.to_string(), serde_json::json!(t));
                }
                column.push(t);
            };
            text("t1", &mut t1);
            text("t2", &mut t2);
            json.push(serde_json::Value::Object(facts).to_string());
        }
        let t1: Vec<Option<&str>> = t1.iter().map(Option::as_deref).collect();
        let t2: Vec<Option<&str>> = t2.iter().map(Option::as_deref).collect();
        let rows = Rows::new(&set, &known, &nums)
            .unwrap()
            .text(p.field("t1").unwrap(), "t1", &t1)
            .unwrap()
            .text(p.field("t2").unwrap(), "t2", &t2)
            .unwrap();
        let mut seen = 0;
        p.evaluate_rows(&rows, as_of, |i, r| {
            let report: serde_json::Value =
                serde_json::from_str(&p.report(&r.unwrap(), as_of).to_string()).unwrap();
            let expected = p.evaluate_json(&json[i], as_of).unwrap();
            assert_eq!(
                report, expected,
                "round {round}, set {names:?}, row {i}: {}",
                json[i]
            );
            seen += 1;
        });
        assert_eq!(seen, n);
    }
}

/// Twelve numeric inputs one after another, then a text: a set of them in
/// the policy's order keeps consecutive inputs together, so its stretches
/// (stored as one copy each) can be of any length from 1 to 12.
const CONSECUTIVE: &str = r#"
policy consecutive
input {
  n0: int
  n1: money
  n2: bool
  n3: date
  n4: enum(x, y, z)
  n5: int
  n6: money
  n7: bool
  n8: date
  n9: enum(x, y, z)
  n10: int
  n11: money
  label: text
}
decision o0: int = n0
decision o1: money = n1
decision o2: bool = n2
decision o3: date = n3
decision o4: text
  when n4 == "x" -> "x"
  when n4 == "y" -> "y"
  otherwise -> "z"
decision o5: int = n5
decision o6: money = n6
decision o7: bool = n7
decision o8: date = n8
decision o9: text
  when n9 == "x" -> "x"
  when n9 == "y" -> "y"
  otherwise -> "z"
decision o10: int = n10
decision o11: money = n11
decision o12: text = label
"#;

/// Sets of consecutive inputs whose stretches are of every length from 1
/// to 12 (each length a copy of its own when the numbers are all in
/// range), filled from rows through `evaluate_rows` over several chunks,
/// give each row the report that the same facts give as JSON; a few
/// rounds put one number out of range, so that its chunk is filled with
/// each row's checks and that row alone is refused.
#[test]
fn stretches_of_every_length_fill_as_json_facts_do() {
    let p = Policy::from_source("consecutive.rules", CONSECUTIVE).unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let all: Vec<String> = (0..12).map(|i| format!("n{i}")).collect();
    let variants = ["x", "y", "z"];
    let mut rng = Rng(0xc0ffee);
    // the first 1 to 12 inputs, then 40 random subsets kept in order
    let mut sets: Vec<Vec<usize>> = (1..=12).map(|len| (0..len).collect()).collect();
    for _ in 0..40 {
        let keep = 2 + rng.below(6);
        let set: Vec<usize> = (0..12).filter(|_| rng.below(keep) != 0).collect();
        if !set.is_empty() {
            sets.push(set);
        }
    }
    for (round, fields) in sets.iter().enumerate() {
        let names: Vec<&str> = fields.iter().map(|&i| all[i].as_str()).collect();
        let set = p.num_fields(names.iter().copied()).unwrap();
        let n = 1 + rng.below(1_300) as usize;
        let bad_row = (round % 4 == 3).then(|| rng.below(n as u64) as usize);
        let (mut known, mut nums, mut json, mut labels) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for row in 0..n {
            let mut facts = serde_json::Map::new();
            let mut k = 0u64;
            for (bit, &field) in fields.iter().enumerate() {
                let value = match field % 5 {
                    0 => rng.below(1 << 40) as i64 - (1 << 39),
                    1 => rng.below(10_000_000) as i64,
                    2 => rng.below(2) as i64,
                    3 => rng.below(60_000) as i64 - 30_000,
                    _ => rng.below(3) as i64,
                };
                nums.push(value);
                if rng.below(6) == 0 {
                    continue;
                }
                k |= 1 << bit;
                let fact = match field % 5 {
                    0 => serde_json::json!(value),
                    1 => serde_json::json!(format!("{}.{:02}", value / 100, value % 100)),
                    2 => serde_json::json!(value == 1),
                    3 => serde_json::json!(Date(value as i32).to_string()),
                    _ => serde_json::json!(variants[value as usize]),
                };
                facts.insert(all[field].clone(), fact);
            }
            known.push(k);
            let label = format!("row {row}");
            facts.insert("label".into(), serde_json::json!(label));
            labels.push(label);
            json.push(serde_json::Value::Object(facts).to_string());
        }
        // one number its field cannot take, known, in a limited field
        let limited = fields.iter().position(|f| matches!(f % 5, 2 | 4));
        let bad = bad_row.zip(limited);
        if let Some((row, at)) = bad {
            nums[row * fields.len() + at] = 7;
            known[row] |= 1 << at;
        }
        let labels: Vec<Option<&str>> = labels.iter().map(|l| Some(l.as_str())).collect();
        let rows = Rows::new(&set, &known, &nums)
            .unwrap()
            .text(p.field("label").unwrap(), "label", &labels)
            .unwrap();
        let mut seen = 0;
        p.evaluate_rows(&rows, as_of, |i, r| {
            seen += 1;
            if bad.is_some_and(|(row, _)| row == i) {
                assert!(
                    matches!(r, Err(RowError::Value(_))),
                    "round {round}, set {names:?}: row {i} is out of range"
                );
                return;
            }
            let report: serde_json::Value =
                serde_json::from_str(&p.report(&r.unwrap(), as_of).to_string()).unwrap();
            let expected = p.evaluate_json(&json[i], as_of).unwrap();
            assert_eq!(
                report, expected,
                "round {round}, set {names:?}, row {i}: {}",
                json[i]
            );
        });
        assert_eq!(seen, n);
    }
}
