//! The stack of the recursive walks over expressions (checking, code
//! generation, the interpreter, lint): each step of such a walk goes
//! through [`deep`], which moves on to a fresh stack segment when little
//! is left, so that an expression as deep as the front end accepts
//! (`syntax::MAX_EXPR_DEPTH`) is handled on any thread, the 2 MiB ones a
//! server spawns included, in debug builds as in release.

/// Left on the stack before a step moves on to a new segment.
const RED_ZONE: usize = 64 * 1024;
/// The size of each new segment.
const SEGMENT: usize = 1024 * 1024;

/// Runs one step of a recursive walk, on a new stack segment if needed.
#[inline]
pub(crate) fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
