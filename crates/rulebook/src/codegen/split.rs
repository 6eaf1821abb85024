//! Split evaluation: the record evaluation of a large policy as several
//! functions of bounded size, so that compiling it (here and in wasmtime's
//! Cranelift, whose register allocation grows faster than linearly in a
//! function's size) takes time and memory linear in the policy's size,
//! wasmtime can compile the functions in parallel, and no function exceeds
//! the engine's limits (50,000 locals).
//!
//! A policy whose full record function stays under [`SPLIT_AT`] is compiled
//! as one function, with the fast evaluation inlined in the record loop. A
//! larger one gets:
//!
//! - `record_full(rec, out, as_of)`: calls each full part in turn, then
//!   writes the record's status from the scratch area (the first failing
//!   decision in declaration order, else ok and whether every decision is
//!   known);
//! - full parts `part_k(rec, out, as_of)`: consecutive items in evaluation
//!   order, up to [`PART_SIZE`] instructions each, reading earlier parts'
//!   items from the scratch area (see [`super::scratch`]) and the result
//!   record;
//! - fast parts `fast_part_k(rec, out, as_of) -> i32`: the same for the
//!   fast evaluation (cut where its own code reaches [`PART_SIZE`]), each
//!   returning 1 when the record must be evaluated in full;
//! - `evaluate`: the record loop, calling the fast parts in turn for each
//!   record whose lists are complete, and `record_full` for any other or
//!   when a fast part returns 1.

use super::emit::FnBuilder;
use super::expr::{Gen, Io, Mode, Presence};
use super::scratch::Scratch;
use super::{mem, Refused, Sites, Strings};
use crate::abi::{self, Meta};
use crate::program::Program;
use wasm_encoder::Instruction as I;

/// The size (instructions, locals) of a full record function from which the
/// evaluation is split: above every shipped policy's (the largest, council
/// tax reduction, is about 4,100 instructions), and small enough that no
/// function is long enough for Cranelift's time to grow faster than its
/// length.
pub const SPLIT_AT: (usize, usize) = (5_000, 4_000);

/// The size (instructions, locals) after which a part takes no more items.
/// Smaller parts compile faster (and in parallel) and run no slower: a
/// call per part and the defines passed through memory cost less than
/// what Cranelift's register allocation gives back on short functions.
pub const PART_SIZE: (usize, usize) = (2_000, 2_000);

/// When to split a record evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// When its one function would be larger than [`SPLIT_AT`], into parts
    /// of about [`PART_SIZE`].
    Auto,
    /// Always, one item a part: the same code paths as a large policy's, for
    /// tests on small ones.
    EveryItem,
}

/// Provisional function index of part `k`: renumbered by [`super::compile`]
/// once the helpers a module uses are known.
pub const FIRST_PART_TAG: u32 = 1 << 30;

/// Whether a full record function of this size is split.
pub fn too_large(size: (usize, usize)) -> bool {
    size.0 > SPLIT_AT.0 || size.1 > SPLIT_AT.1
}

/// The scratch area a split evaluation of `program` uses.
pub fn scratch(program: &Program, meta: &Meta) -> Scratch {
    Scratch::new(
        program.decisions.len(),
        program.defines.len(),
        meta.missing_words as usize,
    )
}

/// The parts of a split evaluation, in the order `record_full` (or, `fast`,
/// the record loop) calls them. Each is within the engine's limits (50,000
/// locals a function): a part takes no more items once it reaches
/// [`PART_SIZE`], and no item is larger than [`super::MAX_ITEM_SIZE`] (the
/// full parts refuse one that is).
///
/// A fast part, `fast_part_k(rec, out, as_of) -> i32`, evaluates its items
/// as the fast evaluation does (no missing facts, no failures) and returns
/// 0, or returns 1 as soon as the record must be evaluated in full (an
/// absent fact read, a failure, a value beyond an inline fast path's
/// range): the loop then calls `record_full`, which evaluates it again
/// from the start.
pub fn parts(
    program: &Program,
    meta: &Meta,
    strings: &mut Strings,
    sites: &mut Sites,
    scratch: Scratch,
    (split, fast): (Split, bool),
) -> Result<Vec<FnBuilder>, Refused> {
    let part_size = match split {
        Split::Auto => PART_SIZE,
        Split::EveryItem => (0, 0),
    };
    let io = Io {
        rec: 0,
        out: 1,
        as_of: 2,
    };
    let mut parts = Vec::new();
    let mut rest = program.order.as_slice();
    while parts.is_empty() || !rest.is_empty() {
        let mut f = FnBuilder::new(3);
        let mode = if fast {
            Mode::Fast {
                fallback: f.block(),
                presence: Presence::WhereRead,
            }
        } else {
            Mode::Full
        };
        let mut g = Gen::new(program, meta, strings, sites, mode, f, io).in_part(scratch);
        let mut taken = 0;
        for item in rest {
            g.item(*item);
            taken += 1;
            let (instructions, locals) = g.size();
            if instructions > part_size.0 || locals > part_size.1 {
                break;
            }
        }
        if let Some(item) = g.oversized() {
            return Err(Refused::TooLarge(item));
        }
        let f = g.finish_part();
        parts.push(if fast { return_left(f) } else { f });
        // `taken` counts items of `rest`, so it is at most its length
        rest = rest.get(taken..).unwrap_or_default();
    }
    Ok(parts)
}

/// Ends a fast function whose evaluation (`f`, inside the block it
/// leaves by when the record must be evaluated in full) is done: it returns
/// 0 when done, 1 when left to the full evaluation. The fast parts end so.
pub fn return_left(mut f: FnBuilder) -> FnBuilder {
    f.i32c(0).op(I::Return);
    f.end();
    f.i32c(1);
    f
}

/// `record_full(rec, out, as_of)` of a split evaluation of `parts` parts.
pub fn record_function(parts: usize, scratch: Scratch, meta: &Meta) -> FnBuilder {
    let mut f = FnBuilder::new(3);
    let (rec, out, as_of) = (0, 1, 2);
    for k in 0..parts {
        f.get(rec).get(out).get(as_of);
        f.op(I::Call(FIRST_PART_TAG + k as u32));
    }
    // the record's status: the first failure in declaration order, if any
    let (at, failure) = (f.i32_local(), f.i64_local());
    let written = f.block();
    let no_failure = f.block();
    f.i32c(scratch.decision_failure(0) as i32).set(at);
    let top = f.loop_();
    f.get(at)
        .i32c(scratch.decision_failures_end() as i32)
        .op(I::I32Eq);
    f.br_if(no_failure);
    f.get(at).op(I::I64Load(mem(0))).set(failure);
    f.get(failure).op(I::I64Eqz).op(I::I32Eqz);
    f.if_();
    f.get(out).get(failure).op(I::I64Store(mem(0)));
    f.br(written);
    f.end();
    f.get(at).i32c(8).op(I::I32Add).set(at);
    f.br(top);
    f.end();
    f.end();
    // else ok, and ALL_KNOWN when no decision misses a fact (their
    // missing-fact words, read from the result record)
    f.get(out);
    f.i64c(0);
    for d in &meta.decisions {
        for w in 0..meta.missing_words {
            f.get(out).op(I::I64Load(mem(d.offset + 16 + 8 * w)));
            f.op(I::I64Or);
        }
    }
    f.op(I::I64Eqz)
        .op(I::I64ExtendI32U)
        .i64c(32)
        .op(I::I64Shl)
        .i64c(i64::from(abi::STATUS_OK))
        .op(I::I64Or);
    f.op(I::I64Store(mem(0)));
    f.end();
    f
}
