//! A small function builder over wasm-encoder: typed locals (reused once
//! released, so that a long function needs only as many locals as it has
//! values live at once), instruction list, and block-depth bookkeeping so
//! that branches to an enclosing block can be named by the block instead of
//! by a relative index.

use wasm_encoder::{BlockType, Function, Instruction as I, ValType};

/// A local variable index.
pub type Local = u32;

/// The nesting level of an open block (0 = the function body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(u32);

pub struct FnBuilder {
    params: u32,
    locals: Vec<ValType>,
    /// Released locals of each type, ready for reuse.
    free_i64: Vec<Local>,
    free_i32: Vec<Local>,
    /// Every local handed out and not released, in the order it was.
    taken: Vec<Local>,
    /// The most locals taken at once since [`FnBuilder::reset_peak`].
    peak: usize,
    body: Vec<I<'static>>,
    depth: u32,
    /// The regions open here, innermost last: a block, a loop, an `if`
    /// arm or an `else` arm, each numbered when it opens (0 is the function
    /// body). Code emitted in an open region runs before any code emitted
    /// later in it: see [`FnBuilder::region`].
    regions: Vec<u32>,
    regions_opened: u32,
    /// For each open block, loop or `if`, innermost last: whether it is a
    /// block, and where the first branch to it was emitted (an index into
    /// `body`), if one was.
    frames: Vec<Frame>,
    /// The region of each block that has ended, with the region it ended
    /// in and where the first branch to it was: a check made in the block
    /// before any branch to it ran on every path through its end (see
    /// [`FnBuilder::holds`]).
    closed_blocks: std::collections::HashMap<u32, (u32, Option<usize>)>,
}

/// An open block, loop or `if` (see `FnBuilder::frames`).
#[derive(Clone, Copy)]
struct Frame {
    is_block: bool,
    is_loop: bool,
    first_branch: Option<usize>,
}

/// A point in the handing out of locals: the locals handed out after it can
/// be released together ([`FnBuilder::release`]).
#[derive(Debug, Clone, Copy)]
pub struct Scope(usize);

impl FnBuilder {
    pub fn new(params: u32) -> Self {
        FnBuilder {
            params,
            locals: Vec::new(),
            free_i64: Vec::new(),
            free_i32: Vec::new(),
            taken: Vec::new(),
            peak: 0,
            body: Vec::new(),
            depth: 0,
            regions: Vec::new(),
            regions_opened: 0,
            frames: Vec::new(),
            closed_blocks: std::collections::HashMap::new(),
        }
    }

    /// A local of type `ty`: a released one when there is one. Its value is
    /// whatever was last stored in it, so code must set a local before it
    /// reads it (as it must anyway: the fast evaluation runs in a loop).
    pub fn local(&mut self, ty: ValType) -> Local {
        let free = match ty {
            ValType::I64 => self.free_i64.pop(),
            ValType::I32 => self.free_i32.pop(),
            _ => None,
        };
        let l = free.unwrap_or_else(|| {
            self.locals.push(ty);
            self.params + self.locals.len() as u32 - 1
        });
        self.taken.push(l);
        self.peak = self.peak.max(self.taken.len());
        l
    }
    /// Starts measuring the most locals taken at once: returns how many
    /// are taken now.
    pub fn reset_peak(&mut self) -> usize {
        self.peak = self.taken.len();
        self.peak
    }
    /// The most locals taken at once since [`FnBuilder::reset_peak`].
    pub fn peak(&self) -> usize {
        self.peak
    }
    /// The point from which [`FnBuilder::release`] gives locals back.
    pub fn scope(&self) -> Scope {
        Scope(self.taken.len())
    }
    /// Gives back every local handed out since `scope` except those in
    /// `keep` (which then belong to the enclosing scope), for reuse by code
    /// generated from here on: none of them may be read again. Returns the
    /// released locals.
    pub fn release(&mut self, scope: Scope, keep: &[Local]) -> Vec<Local> {
        let since = self.taken.split_off(scope.0.min(self.taken.len()));
        let mut released = Vec::new();
        for l in since {
            if keep.contains(&l) {
                self.taken.push(l);
                continue;
            }
            let ty = l
                .checked_sub(self.params)
                .and_then(|i| self.locals.get(i as usize));
            match ty {
                Some(ValType::I64) => self.free_i64.push(l),
                Some(ValType::I32) => self.free_i32.push(l),
                _ => continue,
            }
            released.push(l);
        }
        released
    }
    /// The size so far: instructions, and locals declared (not counting
    /// parameters).
    pub fn size(&self) -> (usize, usize) {
        (self.body.len(), self.locals.len())
    }
    /// Instructions emitted so far.
    pub fn len(&self) -> usize {
        self.body.len()
    }
    /// Moves aside the instructions from `at` on (a [`FnBuilder::len`]
    /// from earlier), so that code emitted next goes before them; `append`
    /// puts them back after it.
    pub fn take_from(&mut self, at: usize) -> Vec<I<'static>> {
        self.body.split_off(at.min(self.body.len()))
    }
    pub fn append(&mut self, tail: Vec<I<'static>>) {
        self.body.extend(tail);
    }
    /// A local of type `ty`, never handed out before nor after: no other
    /// value takes it, so that it may be set at the start of the function
    /// and read anywhere.
    pub fn fresh_local(&mut self, ty: ValType) -> Local {
        self.locals.push(ty);
        self.params + self.locals.len() as u32 - 1
    }
    /// A [`FnBuilder::fresh_local`] of the type of `like`, a local handed
    /// out by this builder (a parameter's type is not kept here: it is
    /// taken as i64, and a module that got it wrong fails validation).
    pub fn fresh_local_like(&mut self, like: Local) -> Local {
        let ty = (like.checked_sub(self.params))
            .and_then(|i| self.locals.get(i as usize).copied())
            .unwrap_or(ValType::I64);
        self.fresh_local(ty)
    }
    /// Renames the locals that the instructions from `from` on read and
    /// set, as `map` says.
    pub fn rename_from(&mut self, from: usize, map: &std::collections::HashMap<Local, Local>) {
        for i in self.body.iter_mut().skip(from) {
            match i {
                I::LocalGet(l) | I::LocalSet(l) | I::LocalTee(l) => {
                    if let Some(to) = map.get(l) {
                        *l = *to;
                    }
                }
                _ => {}
            }
        }
    }
    pub fn i64_local(&mut self) -> Local {
        self.local(ValType::I64)
    }
    pub fn i32_local(&mut self) -> Local {
        self.local(ValType::I32)
    }

    /// Emits one instruction. Use the block methods for block structure.
    pub fn op(&mut self, i: I<'static>) -> &mut Self {
        debug_assert!(!matches!(
            i,
            I::Block(_) | I::Loop(_) | I::If(_) | I::End | I::Br(_) | I::BrIf(_)
        ));
        self.body.push(i);
        self
    }

    pub fn get(&mut self, l: Local) -> &mut Self {
        self.op(I::LocalGet(l))
    }
    pub fn set(&mut self, l: Local) -> &mut Self {
        self.op(I::LocalSet(l))
    }
    pub fn i64c(&mut self, v: i64) -> &mut Self {
        self.op(I::I64Const(v))
    }
    pub fn i32c(&mut self, v: i32) -> &mut Self {
        self.op(I::I32Const(v))
    }

    fn open(&mut self, i: I<'static>) -> Label {
        self.frames.push(Frame {
            is_block: matches!(i, I::Block(_)),
            is_loop: matches!(i, I::Loop(_)),
            first_branch: None,
        });
        self.body.push(i);
        self.depth += 1;
        self.enter_region();
        Label(self.depth)
    }
    fn enter_region(&mut self) {
        self.regions_opened += 1;
        self.regions.push(self.regions_opened);
    }
    /// The innermost open region. Code emitted from here on, while it is
    /// still open ([`FnBuilder::is_open`]), runs only after the code
    /// emitted so far in it: a check made here (that a fact is present,
    /// that a define did not fail) need not be made again there.
    pub fn region(&self) -> u32 {
        self.regions.last().copied().unwrap_or(0)
    }
    /// Whether `region` is still open where code is emitted now.
    pub fn is_open(&self, region: u32) -> bool {
        region == 0 || self.regions.contains(&region)
    }
    /// Whether code emitted at `at` (a [`FnBuilder::len`]) in `region` ran
    /// on every path to where code is emitted now: `region` is still open,
    /// or it was a block that ended with no branch to it emitted before
    /// `at`, in a region of which the same holds. (Every path through such
    /// a block's end went through `at`: code in a block runs in order, and
    /// the only ways to its end that skip code are branches to it.)
    pub fn holds(&self, region: u32, at: usize) -> bool {
        let mut region = region;
        loop {
            if self.is_open(region) {
                return true;
            }
            match self.closed_blocks.get(&region) {
                Some(&(outer, first_branch)) if first_branch.is_none_or(|b| b > at) => {
                    region = outer;
                }
                _ => return false,
            }
        }
    }
    /// How many loops are open here.
    pub fn loops_open(&self) -> usize {
        self.frames.iter().filter(|f| f.is_loop).count()
    }
    pub fn block(&mut self) -> Label {
        self.open(I::Block(BlockType::Empty))
    }
    pub fn loop_(&mut self) -> Label {
        self.open(I::Loop(BlockType::Empty))
    }
    /// `if` on the i32 on the stack.
    pub fn if_(&mut self) -> Label {
        self.open(I::If(BlockType::Empty))
    }
    pub fn else_(&mut self) {
        self.body.push(I::Else);
        // the else arm runs instead of the if arm, not after it
        self.regions.pop();
        self.enter_region();
    }
    pub fn end(&mut self) {
        self.body.push(I::End);
        self.depth = self.depth.saturating_sub(1);
        let region = self.regions.pop();
        if let (Some(frame), Some(region)) = (self.frames.pop(), region) {
            if frame.is_block {
                let outer = self.region();
                self.closed_blocks
                    .insert(region, (outer, frame.first_branch));
            }
        }
    }
    fn relative(&self, l: Label) -> u32 {
        self.depth.saturating_sub(l.0)
    }
    /// Notes a branch to `l` emitted here (see [`FnBuilder::holds`]).
    fn branch_to(&mut self, l: Label) {
        let at = self.body.len();
        if let Some(frame) = (l.0.checked_sub(1)).and_then(|i| self.frames.get_mut(i as usize)) {
            frame.first_branch.get_or_insert(at);
        }
    }
    /// Branch to `l` (the end of a block, or the start of a loop).
    pub fn br(&mut self, l: Label) {
        self.branch_to(l);
        let rel = self.relative(l);
        self.body.push(I::Br(rel));
    }
    /// Branch to `l` when the i32 on the stack is non-zero.
    pub fn br_if(&mut self, l: Label) {
        self.branch_to(l);
        let rel = self.relative(l);
        self.body.push(I::BrIf(rel));
    }

    /// The function indices this body calls.
    pub fn calls(&self) -> impl Iterator<Item = u32> + '_ {
        self.body.iter().filter_map(|i| match i {
            I::Call(f) => Some(*f),
            _ => None,
        })
    }

    /// Renumbers the functions this body calls.
    pub fn remap_calls(&mut self, map: impl Fn(u32) -> u32) {
        for i in &mut self.body {
            if let I::Call(f) = i {
                *f = map(*f);
            }
        }
    }

    pub fn finish(self) -> Function {
        let mut f = Function::new_with_locals_types(self.locals);
        for i in &self.body {
            f.instruction(i);
        }
        f.instruction(&I::End);
        f
    }
}
