//! Host side of the ABI, facts in: typed facts written straight into the
//! module's linear memory as fact records, their texts and list elements.
//! (Result records are read by `runtime::results`.)
//!
//! A chunk of `n` records sits in memory from the module's `heap_base`:
//! the `n` fact records, then (8-aligned) room for the `n` result records,
//! then the bytes of texts and the element records of lists.

use crate::abi::{Layout, Meta, ValueType};
use crate::facts::{FactValue, Facts};

/// Records marshalled into memory per call.
pub const CHUNK: usize = 512;

/// Where the parts of one chunk sit in memory (absolute addresses).
#[derive(Debug, Clone, Copy)]
pub struct ChunkAddrs {
    pub records: usize,
    pub results: usize,
    /// First byte after the result records: texts and list elements follow.
    pub extra: usize,
}

impl ChunkAddrs {
    pub fn of(meta: &Meta, count: usize) -> ChunkAddrs {
        let records = meta.heap_base as usize;
        let results = (records + count * meta.input.size as usize).next_multiple_of(8);
        let extra = results + count * meta.result_size as usize;
        ChunkAddrs {
            records,
            results,
            extra,
        }
    }
}

/// Writes the fact records of `records` into `mem` (the whole linear memory,
/// which must hold at least up to `addrs.extra`). Returns the end of the
/// bytes used; when that is beyond `mem.len()` the texts and lists did not
/// fit and were only partly written: grow the memory to it and write again.
/// Facts of other inputs are written as a record with every fact unknown
/// (the caller gives them an error), never into slots of other types.
pub fn write_records(meta: &Meta, records: &[Facts], addrs: ChunkAddrs, mem: &mut [u8]) -> usize {
    let mut w = Writer {
        mem,
        heap: addrs.extra,
    };
    let size = meta.input.size as usize;
    for (i, r) in records.iter().enumerate() {
        let values: &[Option<FactValue>] = if r.fits(&meta.input) { &r.values } else { &[] };
        w.record(addrs.records + i * size, &meta.input, values);
    }
    w.heap
}

/// The most bytes [`write_records`] writes after the records for the texts
/// and list elements of `facts` (nothing for facts of other inputs).
pub fn extra_size(layout: &Layout, facts: &Facts) -> usize {
    if facts.fits(layout) {
        values_size(layout, &facts.values)
    } else {
        0
    }
}

fn values_size(layout: &Layout, values: &[Option<FactValue>]) -> usize {
    let mut bytes = 0;
    for (field, value) in layout.fields.iter().zip(values) {
        bytes += match (value, &field.ty) {
            (Some(FactValue::Text(t)), _) => t.len(),
            (Some(FactValue::List(items)), ValueType::List { element }) => {
                // at most 7 bytes of alignment, then the element records
                7 + items.len() * element.size as usize
                    + items
                        .iter()
                        .map(|item| values_size(element, item))
                        .sum::<usize>()
            }
            _ => 0,
        };
    }
    bytes
}

struct Writer<'m> {
    mem: &'m mut [u8],
    /// Next free byte for texts and list elements.
    heap: usize,
}

impl Writer<'_> {
    /// Stores an i64 (nothing when out of bounds: the caller sees the
    /// shortfall from the returned end and writes again).
    fn put(&mut self, at: usize, v: i64) {
        if let Some(dst) = self.mem.get_mut(at..at + 8) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
    }

    /// One record: every slot (0 when absent), then its presence words,
    /// each built in a register and stored once.
    fn record(&mut self, at: usize, layout: &Layout, values: &[Option<FactValue>]) {
        let mut word = 0u64;
        let n = layout.fields.len();
        for (i, field) in layout.fields.iter().enumerate() {
            let slot = match values.get(i) {
                Some(Some(v)) => {
                    word |= 1 << (i % 64);
                    self.slot(v, &field.ty)
                }
                _ => 0,
            };
            self.put(at + field.offset as usize, slot);
            if i % 64 == 63 {
                self.put(at + i / 64 * 8, word as i64);
                word = 0;
            }
        }
        if !n.is_multiple_of(64) || n == 0 {
            self.put(at + n / 64 * 8, word as i64);
        }
    }

    /// The slot of a known value, writing its text bytes or list elements.
    fn slot(&mut self, value: &FactValue, ty: &ValueType) -> i64 {
        match (value, ty) {
            (FactValue::Bool(b), _) => i64::from(*b),
            (FactValue::Num(n), _) => *n,
            (FactValue::Text(t), _) => {
                let ptr = self.heap;
                if let Some(dst) = self.mem.get_mut(ptr..ptr + t.len()) {
                    dst.copy_from_slice(t.as_bytes());
                }
                self.heap += t.len();
                packed(ptr, t.len())
            }
            (FactValue::List(items), ValueType::List { element }) => {
                let start = self.heap.next_multiple_of(8);
                let esize = element.size as usize;
                self.heap = start + items.len() * esize;
                for (j, item) in items.iter().enumerate() {
                    self.record(start + j * esize, element, item);
                }
                packed(start, items.len())
            }
            (FactValue::List(_), _) => 0,
        }
    }
}

/// `ptr | len << 32`. Addresses beyond 4 GiB never reach the module: the
/// caller refuses a chunk larger than the module's memory limit first.
pub(crate) fn packed(ptr: usize, len: usize) -> i64 {
    (ptr as u64 as i64 & 0xffff_ffff) | ((len as i64) << 32)
}
