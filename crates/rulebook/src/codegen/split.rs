//! Split evaluation: the record evaluation of a large policy as several
//! functions of bounded size, so that compiling it (here and in wasmtime's
//! Cranelift, whose register allocation grows faster than linearly in a
//! function's size) takes time and memory linear in the policy's size, and
//! no function exceeds the engine's limits (50,000 locals).
//!
//! A policy whose full record function stays under [`SPLIT_AT`] is compiled
//! as one function as before. A larger one gets:
//!
//! - `record_full(rec, out, as_of)`: calls each part in turn, then writes the
//!   record's status from the scratch area (the first failing decision in
//!   declaration order, else ok and whether every decision is known);
//! - parts `part_k(rec, out, as_of)`: consecutive items in evaluation order,
//!   up to [`PART_SIZE`] instructions each, reading earlier parts' items from
//!   the scratch area (see [`super::scratch`]) and the result record;
//! - `evaluate`: the record loop, calling `record_full` for every record
//!   (no inlined fast evaluation: its speed matters less than a bounded
//!   compile for policies of this size).

use super::emit::FnBuilder;
use super::expr::{Gen, Io, Mode};
use super::scratch::Scratch;
use super::{mem, Sites, Strings};
use crate::abi::{self, Meta};
use crate::program::Program;
use wasm_encoder::Instruction as I;

/// The size (instructions, locals) of a full record function from which the
/// evaluation is split.
pub const SPLIT_AT: (usize, usize) = (40_000, 4_000);

/// The size (instructions, locals) after which a part takes no more items.
pub const PART_SIZE: (usize, usize) = (8_000, 2_000);

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

/// The parts of a split evaluation, in the order `record_full` calls them.
/// Each is within the engine's limits (50,000 locals a function): a part
/// takes no more items once it reaches [`PART_SIZE`], and no item is larger
/// than [`super::MAX_ITEM_SIZE`] (checked, before any split, by
/// [`super::compile_with`]).
pub fn parts(
    program: &Program,
    meta: &Meta,
    strings: &mut Strings,
    sites: &mut Sites,
    scratch: Scratch,
    split: Split,
) -> Vec<FnBuilder> {
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
        let f = FnBuilder::new(3);
        let mut g = Gen::new(program, meta, strings, sites, Mode::Full, f, io).in_part(scratch);
        let mut taken = 0;
        for item in rest {
            g.item(*item);
            taken += 1;
            let (instructions, locals) = g.size();
            if instructions > part_size.0 || locals > part_size.1 {
                break;
            }
        }
        parts.push(g.finish_part());
        // `taken` counts items of `rest`, so it is at most its length
        rest = rest.get(taken..).unwrap_or_default();
    }
    parts
}

/// `record_full(rec, out, as_of)` of a split evaluation of `parts` parts.
pub fn record_function(parts: usize, scratch: Scratch) -> FnBuilder {
    let mut f = FnBuilder::new(3);
    let (rec, out, as_of) = (0, 1, 2);
    f.i32c(0).i64c(0).op(I::I64Store(mem(scratch.missing())));
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
    // else ok, and ALL_KNOWN when no decision misses a fact
    f.get(out);
    f.i32c(0).op(I::I64Load(mem(scratch.missing())));
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
