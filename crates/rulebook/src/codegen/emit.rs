//! A small function builder over wasm-encoder: typed locals, instruction
//! list, and block-depth bookkeeping so that branches to an enclosing block
//! can be named by the block instead of by a relative index.

use wasm_encoder::{BlockType, Function, Instruction as I, ValType};

/// A local variable index.
pub type Local = u32;

/// The nesting level of an open block (0 = the function body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(u32);

pub struct FnBuilder {
    params: u32,
    locals: Vec<ValType>,
    body: Vec<I<'static>>,
    depth: u32,
}

impl FnBuilder {
    pub fn new(params: u32) -> Self {
        FnBuilder {
            params,
            locals: Vec::new(),
            body: Vec::new(),
            depth: 0,
        }
    }

    pub fn local(&mut self, ty: ValType) -> Local {
        self.locals.push(ty);
        self.params + self.locals.len() as u32 - 1
    }
    /// Instructions emitted so far.
    pub fn len(&self) -> usize {
        self.body.len()
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
        self.body.push(i);
        self.depth += 1;
        Label(self.depth)
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
    }
    pub fn end(&mut self) {
        self.body.push(I::End);
        self.depth = self.depth.saturating_sub(1);
    }
    fn relative(&self, l: Label) -> u32 {
        self.depth.saturating_sub(l.0)
    }
    /// Branch to `l` (the end of a block, or the start of a loop).
    pub fn br(&mut self, l: Label) {
        let rel = self.relative(l);
        self.body.push(I::Br(rel));
    }
    /// Branch to `l` when the i32 on the stack is non-zero.
    pub fn br_if(&mut self, l: Label) {
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
