//! The bar of issue 23: benches/benchmark.rules written by hand in
//! WebAssembly (the text below), run by wasmtime with its default settings
//! over a batch in linear memory, as the independent benchmark's
//! "hand-written Wasm, batch in linear memory" row was.
//!
//! What is timed, per call: the host writes every complete record into the
//! module's memory (eight 8-byte slots, as the engine's records are), calls
//! `evaluate` once for the batch, and reads each record's 4-byte result.
//! The module gives `eligible`, the false requires as bits and the route's
//! index, comparing the region's text byte by byte as the policy does, and
//! checks nothing else: no unknown facts, no overflow (the data is far from
//! it). The host writes each record's region text after the results. The
//! module does less than the generated one, so the bar is a low one.
//! Every record's answer is checked against the native function before
//! timing.

use crate::native::{self, Applicant, Employment};
use crate::shapes::{self, Rows};
use wasmtime::{Engine, Instance, Memory, Module, Store, TypedFunc};

/// The policy by hand. A record: age, income_monthly, savings,
/// household_size, is_resident, has_disability, employment_status (its
/// variant's index), each an i64, and region as the engine passes a text:
/// its address in the low 32 bits, its length in the high ones. The texts
/// it is compared with are at the start of memory; records start at 64.
/// A result: bit 0 eligible, bits 1-6 the false requires in file order,
/// bits 8 and up the route's index (reject, specialist, capital_review,
/// self_employed_team, devolved, standard).
const MODULE: &str = r#"
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "london")
  (data (i32.const 8) "scotland")
  (data (i32.const 16) "wales")
  (data (i32.const 24) "northern_ireland")
  ;; whether the text at $a (of $len bytes) is the constant at $c of $clen
  (func $is (param $a i32) (param $len i32) (param $c i32) (param $clen i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $len) (local.get $clen)) (then (return (i32.const 0))))
    (block $differ
      (loop $byte
        (if (i32.ge_u (local.get $i) (local.get $len)) (then (return (i32.const 1))))
        (br_if $differ
          (i32.ne
            (i32.load8_u (i32.add (local.get $a) (local.get $i)))
            (i32.load8_u (i32.add (local.get $c) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.const 0))
  (func (export "evaluate") (param $rec i32) (param $n i32) (param $out i32)
    (local $end i32) (local $age i64) (local $savings i64) (local $disabled i32)
    (local $employment i64) (local $region i64) (local $rptr i32) (local $rlen i32)
    (local $reasons i32)
    (local $limit i64) (local $route i32)
    (local.set $end (i32.add (local.get $rec) (i32.shl (local.get $n) (i32.const 6))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $rec) (local.get $end)))
        (local.set $age (i64.load offset=0 (local.get $rec)))
        (local.set $savings (i64.load offset=16 (local.get $rec)))
        (local.set $disabled (i64.ne (i64.load offset=40 (local.get $rec)) (i64.const 0)))
        (local.set $employment (i64.load offset=48 (local.get $rec)))
        (local.set $region (i64.load offset=56 (local.get $rec)))
        (local.set $rptr (i32.wrap_i64 (local.get $region)))
        (local.set $rlen (i32.wrap_i64 (i64.shr_u (local.get $region) (i64.const 32))))
        ;; the requires of `eligible`, each false one a bit
        (local.set $reasons
          (i32.or
            (i32.or
              (i32.or
                (i64.eqz (i64.load offset=32 (local.get $rec)))
                (i32.shl (i64.lt_s (local.get $age) (i64.const 18)) (i32.const 1)))
              (i32.or
                (i32.shl (i64.ge_s (local.get $age) (i64.const 67)) (i32.const 2))
                (i32.shl (i64.gt_s (local.get $savings) (i64.const 1600000)) (i32.const 3))))
            (i32.shl (i64.eq (local.get $employment) (i64.const 3)) (i32.const 4))))
        ;; threshold: 1,200 + 350 an extra member + 400 if disabled, x 1.15 in London
        (local.set $limit
          (i64.add
            (i64.add
              (i64.const 120000)
              (i64.mul (i64.const 35000)
                (i64.sub (i64.load offset=24 (local.get $rec)) (i64.const 1))))
            (select (i64.const 40000) (i64.const 0) (local.get $disabled))))
        (if (call $is (local.get $rptr) (local.get $rlen) (i32.const 0) (i32.const 6))
          (then
            ;; pence x 1.15 to the penny, half away from zero
            (local.set $limit
              (i64.div_s
                (i64.add
                  (i64.mul (local.get $limit) (i64.const 115))
                  (select (i64.const 50) (i64.const -50)
                    (i64.ge_s (local.get $limit) (i64.const 0))))
                (i64.const 100)))))
        (local.set $reasons
          (i32.or (local.get $reasons)
            (i32.shl (i64.gt_s (i64.load offset=8 (local.get $rec)) (local.get $limit))
              (i32.const 5))))
        (local.set $route
          (if (result i32) (local.get $reasons)
            (then (i32.const 0))
            (else
              (if (result i32) (local.get $disabled)
                (then (i32.const 1))
                (else
                  (if (result i32) (i64.gt_s (local.get $savings) (i64.const 600000))
                    (then (i32.const 2))
                    (else
                      (if (result i32) (i64.eq (local.get $employment) (i64.const 1))
                        (then (i32.const 3))
                        (else
                          (select (i32.const 4) (i32.const 5)
                            (i32.or
                              (i32.or
                                (call $is (local.get $rptr) (local.get $rlen) (i32.const 8) (i32.const 8))
                                (call $is (local.get $rptr) (local.get $rlen) (i32.const 16) (i32.const 5)))
                              (call $is (local.get $rptr) (local.get $rlen) (i32.const 24) (i32.const 16)))))))))))))
        (i32.store (local.get $out)
          (i32.or
            (i32.or (i32.eqz (local.get $reasons)) (i32.shl (local.get $reasons) (i32.const 1)))
            (i32.shl (local.get $route) (i32.const 8))))
        (local.set $rec (i32.add (local.get $rec) (i32.const 64)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next)))))
"#;

/// Where records start in memory (the constant texts come first).
const RECORDS: usize = 64;

/// One record's numbers as the module reads them (slot 7, the region, is
/// written with the text's place).
#[derive(Clone, Copy)]
struct Slots([i64; 7]);

impl Slots {
    fn of(a: &Applicant) -> Option<Slots> {
        let employment = Employment::ALL
            .iter()
            .position(|e| *e == a.employment_status)?;
        Some(Slots([
            a.age,
            a.income_monthly,
            a.savings,
            a.household_size,
            i64::from(a.is_resident),
            i64::from(a.has_disability),
            employment as i64,
        ]))
    }
}

/// The module instantiated with room for `n` records and their results.
struct Loaded {
    store: Store<()>,
    memory: Memory,
    evaluate: TypedFunc<(i32, i32, i32), ()>,
}

impl Loaded {
    fn new(n: usize, text_bytes: usize) -> Loaded {
        let engine = Engine::default();
        let module = Module::new(&engine, wat::parse_str(MODULE).unwrap()).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        let bytes = RECORDS + n * 68 + text_bytes;
        let have = memory.data_size(&store);
        if bytes > have {
            memory
                .grow(&mut store, (bytes - have).div_ceil(65536) as u64)
                .unwrap();
        }
        let evaluate = instance.get_typed_func(&mut store, "evaluate").unwrap();
        Loaded {
            store,
            memory,
            evaluate,
        }
    }

    /// Writes the records, evaluates them in one call and hands each
    /// result word to `each`.
    fn run(&mut self, records: &[(Slots, String)], mut each: impl FnMut(u32)) {
        let n = records.len();
        let out = RECORDS + n * 64;
        let mut text = out + n * 4;
        let mem = self.memory.data_mut(&mut self.store);
        for (k, (r, region)) in records.iter().enumerate() {
            let at = RECORDS + k * 64;
            for (i, v) in r.0.iter().enumerate() {
                mem[at + 8 * i..at + 8 * i + 8].copy_from_slice(&v.to_le_bytes());
            }
            mem[text..text + region.len()].copy_from_slice(region.as_bytes());
            let packed = text as i64 | (region.len() as i64) << 32;
            mem[at + 56..at + 64].copy_from_slice(&packed.to_le_bytes());
            text += region.len();
        }
        self.evaluate
            .call(&mut self.store, (RECORDS as i32, n as i32, out as i32))
            .unwrap();
        let mem = self.memory.data(&self.store);
        for w in mem[out..out + 4 * n].chunks_exact(4) {
            each(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        }
    }
}

/// The timed closure for a policy file that has a hand-written module (the
/// benchmark policy), after checking every record against the native
/// function. It counts as the native closure does: eligible plus the
/// route's index, over the complete records.
pub fn prepare(file: &str, records: &Rows) -> Option<shapes::Timed> {
    if !file.ends_with("benchmark.rules") {
        return None;
    }
    let people: Vec<Applicant> = records.iter().filter_map(shapes::applicant).collect();
    let slots: Vec<(Slots, String)> = people
        .iter()
        .map(|a| (Slots::of(a).unwrap(), a.region.clone()))
        .collect();
    let text_bytes = people.iter().map(|a| a.region.len()).sum();
    let mut loaded = Loaded::new(slots.len(), text_bytes);
    let mut k = 0;
    loaded.run(&slots, |word| {
        let d = native::decide(&people[k]);
        let reasons: u32 = d.reasons.as_slice().iter().map(|i| 1u32 << i).sum();
        let expected = u32::from(d.eligible) | reasons << 1 | u32::from(d.route) << 8;
        assert_eq!(word, expected, "record {k}: {:?}", people[k]);
        k += 1;
    });
    assert_eq!(k, people.len());
    let loaded = std::cell::RefCell::new(loaded);
    Some(Box::new(move |_| {
        let mut total = 0usize;
        loaded
            .borrow_mut()
            .run(std::hint::black_box(&slots), |word| {
                total += (word & 1) as usize + (word >> 8) as usize;
            });
        total
    }))
}
