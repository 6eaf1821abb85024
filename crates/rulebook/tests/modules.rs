//! The compiled artifact: every module codegen emits validates, imports
//! nothing and carries its metadata; a module written to disk evaluates like
//! its source; and a module that is not a Rulebook policy of this ABI, or
//! one that misbehaves, is refused or stopped with a clear error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use rulebook::__private::{num, read_meta};
use rulebook::{Date, EvalError, LoadError, Policy, Runtime, RuntimeConfig};
use std::path::Path;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A fresh empty folder under the system temp dir, named from `prefix`,
/// removed when dropped.
fn temp_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir().unwrap()
}

#[test]
fn every_emitted_module_validates_and_imports_nothing() {
    let policies = common::all_policies();
    assert!(policies.len() > 5);
    for p in &policies {
        let wasm = p.wasm();
        wasmparser::Validator::new()
            .validate_all(wasm)
            .unwrap_or_else(|e| panic!("{}: invalid module: {e}", p.path()));
        let mut imports = 0;
        let mut exports = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.unwrap() {
                wasmparser::Payload::ImportSection(s) => imports += s.count(),
                wasmparser::Payload::ExportSection(s) => {
                    for e in s {
                        exports.push(e.unwrap().name.to_string());
                    }
                }
                _ => {}
            }
        }
        assert_eq!(imports, 0, "{} imports something", p.path());
        exports.sort();
        assert_eq!(exports, ["evaluate", "memory"], "{}", p.path());
        let meta = read_meta(wasm).unwrap();
        assert_eq!(meta.hash, p.hash());
        assert_eq!(&meta, p.meta());
    }
}

#[test]
fn a_module_from_disk_evaluates_like_its_source() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("rules");
    let dir = temp_dir("rulebook-modules-");
    let as_of = Date::parse("2026-11-27").unwrap();
    for name in [
        "pension_credit",
        "casework_routing",
        "council_tax_reduction",
    ] {
        let source = Policy::from_file(root.join(format!("{name}.rules"))).unwrap();
        let wasm_path = dir.path().join(format!("{name}.wasm"));
        std::fs::write(&wasm_path, source.wasm()).unwrap();
        let loaded = Policy::from_wasm_file(&wasm_path).unwrap();
        let facts = std::fs::read_to_string(root.join(format!("{name}.example.json"))).unwrap();
        let a = source.evaluate_json(&facts, as_of).unwrap();
        let mut b = loaded.evaluate_json(&facts, as_of).unwrap();
        // a module is identified by its own bytes; its metadata still
        // carries the source hash it was compiled from
        assert_eq!(b["hash"], rulebook::sha256_hex(source.wasm()), "{name}");
        assert_eq!(read_meta(source.wasm()).unwrap().hash, source.hash());
        b["hash"] = a["hash"].clone();
        assert_eq!(a, b, "{name}");
        assert!(rulebook::__private::program(&loaded).is_none());
    }
}

#[test]
fn foreign_and_stale_modules_are_refused_with_a_reason() {
    let p = Policy::from_source(
        "t.rules",
        "policy t\ninput { a: int }\ndecision d: int = a\n",
    )
    .unwrap();
    // not WebAssembly at all
    assert!(matches!(read_meta(b"not wasm"), Err(LoadError::Invalid(_))));
    // valid WebAssembly without the metadata section
    let bare = wasm_encoder::Module::new().finish();
    let e = Policy::from_wasm("bare.wasm", bare).unwrap_err();
    assert!(
        e.to_string().contains("not a Rulebook policy module"),
        "{e}"
    );
    // another ABI version
    let mut meta = serde_json::to_value(p.meta()).unwrap();
    meta["abi_version"] = 99.into();
    let stale = with_meta(p.wasm(), &serde_json::to_vec(&meta).unwrap());
    let e = Policy::from_wasm("stale.wasm", stale).unwrap_err();
    assert_eq!(
        e,
        LoadError::AbiVersion {
            found: 99,
            expected: 1
        }
    );
    assert!(e.to_string().contains("recompile"), "{e}");
    // unreadable metadata
    let junk = with_meta(p.wasm(), b"{\"abi_version\": 1, \"policy\": 3}");
    assert!(matches!(
        Policy::from_wasm("junk.wasm", junk),
        Err(LoadError::NotAPolicy(_))
    ));
}

/// The module bytes with its metadata section replaced.
fn with_meta(wasm: &[u8], meta: &[u8]) -> Vec<u8> {
    let mut module = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.unwrap();
        match &payload {
            wasmparser::Payload::CustomSection(c) if c.name() == "rulebook.meta" => {}
            _ => {
                if let Some((id, range)) = payload.as_section() {
                    module.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    module.section(&wasm_encoder::CustomSection {
        name: "rulebook.meta".into(),
        data: meta.into(),
    });
    module.finish()
}

/// A module with genuine metadata whose `evaluate` never returns.
fn endless_module(meta: &[u8]) -> Vec<u8> {
    use wasm_encoder::*;
    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32; 4], [ValType::I32]);
    m.section(&types);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    m.section(&funcs);
    let mut mems = MemorySection::new();
    mems.memory(MemoryType {
        minimum: 1,
        maximum: Some(2),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    m.section(&mems);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("evaluate", ExportKind::Func, 0);
    m.section(&exports);
    let mut code = CodeSection::new();
    let mut f = Function::new([]);
    f.instruction(&Instruction::Loop(BlockType::Empty));
    f.instruction(&Instruction::Br(0));
    f.instruction(&Instruction::End);
    f.instruction(&Instruction::I32Const(0));
    f.instruction(&Instruction::End);
    code.function(&f);
    m.section(&code);
    m.section(&CustomSection {
        name: "rulebook.meta".into(),
        data: meta.into(),
    });
    m.finish()
}

#[test]
fn a_module_that_never_returns_is_stopped() {
    let p = Policy::from_source(
        "t.rules",
        "policy t\ninput { a: int }\ndecision d: int = a\n",
    )
    .unwrap();
    let wasm = endless_module(&serde_json::to_vec(p.meta()).unwrap());
    let mut config = RuntimeConfig::default();
    config.deadline = Duration::from_millis(200);
    config.cache_dir = None;
    let loaded = Runtime::new(config)
        .unwrap()
        .load_wasm("endless.wasm", wasm)
        .unwrap();
    let facts = loaded.parse_facts(r#"{"a": 1}"#).unwrap();
    let start = Instant::now();
    let r = loaded.evaluate(&facts, Date(20_000));
    assert!(
        matches!(&r, Err(EvalError::TimeLimit { limit_ms: 200 })),
        "{r:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn policies_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
    let p = Policy::from_source(
        "t.rules",
        "policy t\ninput { a: int }\ndecision d: int = a * 2\n",
    )
    .unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let p = p.clone();
            s.spawn(move || {
                for i in 0..200 {
                    let out = p
                        .evaluate_json(&format!(r#"{{"a": {}}}"#, t * 1000 + i), as_of)
                        .unwrap();
                    assert_eq!(out["decisions"]["d"]["value"], 2 * (t * 1000 + i));
                }
            });
        }
    });
}

#[test]
fn a_batch_keeps_good_records_beside_bad_ones() {
    let p = Policy::from_source(
        "t.rules",
        "policy t\ninput { a: int\n b: int }\ndecision q: decimal = a / b\n",
    )
    .unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    let records: Vec<_> = (0..1200)
        .map(|i| {
            p.parse_facts(&format!(r#"{{"a": {i}, "b": {}}}"#, i % 3))
                .unwrap()
        })
        .collect();
    let results = p.evaluate_batch(&records, as_of);
    assert_eq!(results.len(), 1200);
    for (i, r) in results.iter().enumerate() {
        if i % 3 == 0 {
            assert!(
                matches!(r, Err(EvalError::DivisionByZero { .. })),
                "{i}: {r:?}"
            );
        } else {
            let out = serde_json::to_value(p.report(r.as_ref().unwrap(), as_of)).unwrap();
            let expect =
                num::format_decimal(num::int_div_to_dec(i as i64, (i % 3) as i64).unwrap());
            assert_eq!(out["decisions"]["q"]["value"], expect.as_str(), "{i}");
        }
    }
}

#[test]
fn the_native_code_cache_is_used_and_a_corrupt_entry_is_ignored() {
    // a folder the cache makes itself
    let tmp = temp_dir("rulebook-cache-");
    let dir = tmp.path().join("cache");
    let mut config = RuntimeConfig::default();
    config.cache_dir = Some(dir.clone());
    let runtime = Runtime::new(config).unwrap();
    let p = runtime
        .compile(
            "c.rules",
            "policy c\ninput { a: int }\ndecision d: int = a + 1\n",
        )
        .unwrap();
    p.warm_cache().unwrap();
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let as_of = Date::parse("2026-01-01").unwrap();
    let loaded = runtime.load_wasm("c.wasm", p.wasm().to_vec()).unwrap();
    assert_eq!(
        loaded.evaluate_json(r#"{"a": 1}"#, as_of).unwrap()["decisions"]["d"]["value"],
        2
    );
    std::fs::write(&entries[0], b"corrupt").unwrap();
    let loaded = runtime.load_wasm("c.wasm", p.wasm().to_vec()).unwrap();
    assert_eq!(
        loaded.evaluate_json(r#"{"a": 41}"#, as_of).unwrap()["decisions"]["d"]["value"],
        42
    );
}
