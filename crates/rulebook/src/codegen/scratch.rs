//! The scratch area of a split record evaluation: where the values computed
//! by one function of a split evaluation wait for the functions after it
//! (see [`super::split`]). It lies at a fixed address below the constant
//! texts, and every record's evaluation writes each of its words before
//! any is read.

/// The layout of the scratch area, from address [`Scratch::BASE`]:
///
/// - one i64 a decision, in declaration order: its failure status (low 32
///   bits) and site (high 32 bits), 0 when it did not fail;
/// - one entry a define: its value, its failure (as a decision's), and its
///   missing-fact words.
#[derive(Debug, Clone, Copy)]
pub struct Scratch {
    decisions: u32,
    defines: u32,
    words: u32,
}

impl Scratch {
    /// The address of the area: above the null page's first words.
    pub const BASE: u32 = 16;

    pub fn new(decisions: usize, defines: usize, words: usize) -> Scratch {
        Scratch {
            decisions: decisions as u32,
            defines: defines as u32,
            words: words as u32,
        }
    }

    /// The failure of decision `i` (in declaration order).
    pub fn decision_failure(&self, i: usize) -> u32 {
        Self::BASE + 8 * i as u32
    }

    /// The end of the decisions' failures.
    pub fn decision_failures_end(&self) -> u32 {
        self.decision_failure(self.decisions as usize)
    }

    fn define(&self, i: usize) -> u32 {
        self.decision_failures_end() + (16 + 8 * self.words) * i as u32
    }

    /// The value of define `i`.
    pub fn define_value(&self, i: usize) -> u32 {
        self.define(i)
    }

    /// The failure of define `i`.
    pub fn define_failure(&self, i: usize) -> u32 {
        self.define(i) + 8
    }

    /// Missing-fact word `w` of define `i`.
    pub fn define_word(&self, i: usize, w: usize) -> u32 {
        self.define(i) + 16 + 8 * w as u32
    }

    /// The first address after the area.
    pub fn end(&self) -> u32 {
        self.define(self.defines as usize)
    }
}
