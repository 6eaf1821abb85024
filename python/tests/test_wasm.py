"""A `.wasm` module (from `rulebook compile`, or Policy.wasm) loads and
gives the decisions of its rule file."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest

import rulebook
from conftest import RULES, POLICY_NAMES, generated_rows, plain, policy_named, run_cli


def same_but_hash(a: dict, b: dict) -> None:
    assert {k: v for k, v in a.items() if k != "hash"} == {k: v for k, v in b.items() if k != "hash"}


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_compiled_module_loads(name: str, cli: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.wasm"
    run = run_cli(cli, "compile", str(RULES / f"{name}.rules"), "-o", str(out))
    assert run.returncode == 0, run.stderr
    module = rulebook.Policy.load(out)
    source = policy_named(name)
    assert module.source is None
    assert module.hash == hashlib.sha256(out.read_bytes()).hexdigest()
    assert module.inputs == source.inputs and module.decisions == source.decisions
    facts = json.loads((RULES / f"{name}.example.json").read_text())
    got = module.evaluate(facts, "2025-06-01")
    same_but_hash(got, source.evaluate(facts, "2025-06-01"))
    assert got["hash"] == module.hash
    # the CLI's own evaluation of the module
    run = run_cli(cli, "eval", "--wasm", str(out), "--input", str(RULES / f"{name}.example.json"), "--as-of", "2025-06-01")
    assert run.returncode == 0, run.stderr
    assert got == json.loads(run.stdout)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_module_bytes_evaluate_arrow_as_the_source(name: str, tmp_path: Path) -> None:
    source = policy_named(name)
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(source.wasm)
    module = rulebook.Policy.load(str(path))
    import pyarrow as pa

    rows = generated_rows(source, 120, seed=7)
    table = pa.Table.from_pylist(rows, schema=source.input_schema())
    assert module.evaluate_arrow(table, "2025-06-01").equals(source.evaluate_arrow(table, "2025-06-01"))
    same_but_hash(module.evaluate(plain(rows[0]), "2025-06-01"), source.evaluate(plain(rows[0]), "2025-06-01"))


def test_pickle_round_trip_is_cached_per_process() -> None:
    source = policy_named("pension_credit")
    again = pickle.loads(pickle.dumps(source))
    assert again.hash == source.hash and again.source == source.source
    assert pickle.loads(pickle.dumps(source)) is again  # compiled once per process
    module = rulebook.Policy.from_wasm(source.wasm)
    restored = pickle.loads(pickle.dumps(module))
    assert restored.source is None and restored.hash == module.hash
    assert restored.evaluate({"capital": "1"}, "2026-01-01") == module.evaluate({"capital": "1"}, "2026-01-01")


def test_load_cached_loads_once(tmp_path: Path) -> None:
    path = tmp_path / "p.rules"
    path.write_text("policy p\ninput { age: int }\ndecision adult: bool = age >= 18\n")
    first = rulebook.load_cached(path)
    assert rulebook.load_cached(str(path)) is first
    path.write_text("policy p\ninput { age: int }\ndecision adult: bool = age >= 21\n")
    second = rulebook.load_cached(path)
    assert second is not first
    assert second.evaluate({"age": 19}, "2026-01-01")["decisions"]["adult"]["value"] is False
