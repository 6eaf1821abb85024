"""evaluate() gives exactly what `rulebook eval` prints (language.md
section 6), on every case of the shipped policies' tests and on their
examples; and it meets the tests' own expectations."""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path
from typing import Any

import pytest

import rulebook
from conftest import RULES, POLICY_NAMES, as_of_text, policy_named, run_cli, to_json, yaml_cases


def same_value(expected: Any, got: Any) -> bool:
    """A test file's expected value against the output's (money and
    decimals by value, as `rulebook test` compares them)."""
    if isinstance(expected, bool) or expected is None or isinstance(got, bool) or got is None:
        return expected == got
    if isinstance(got, str) and isinstance(expected, (int, float, str, decimal.Decimal)):
        try:
            return decimal.Decimal(str(expected)) == decimal.Decimal(got)
        except decimal.InvalidOperation:
            return str(expected) == got
    return expected == got


@pytest.mark.parametrize("policy_name, case", yaml_cases())
def test_case_matches_cli_and_expectations(policy_name: str, case: dict, cli: Path, tmp_path: Path) -> None:
    policy = policy_named(policy_name)
    as_of = as_of_text(case.get("as_of"))
    facts = case.get("input") or {}
    got = policy.evaluate(facts, as_of)

    facts_file = tmp_path / "facts.json"
    facts_file.write_text(to_json(facts))
    run = run_cli(cli, "eval", str(RULES / f"{policy_name}.rules"), "--input", str(facts_file), "--as-of", as_of)
    assert run.returncode == 0, run.stderr
    assert got == json.loads(run.stdout)

    for name, expected in (case.get("expect") or {}).items():
        assert same_value(expected, got["decisions"][name]["value"]), (name, expected, got["decisions"][name])
    if "missing" in case:
        assert got["missing"] == case["missing"]


@pytest.mark.parametrize("policy_name", POLICY_NAMES)
@pytest.mark.parametrize("as_of", ["2024-04-07", "2025-06-01", "2026-11-27"])
def test_example_matches_cli(policy_name: str, as_of: str, cli: Path) -> None:
    example = RULES / f"{policy_name}.example.json"
    got = policy_named(policy_name).evaluate(json.loads(example.read_text()), as_of)
    run = run_cli(cli, "eval", str(RULES / f"{policy_name}.rules"), "--input", str(example), "--as-of", as_of)
    assert run.returncode == 0, run.stderr
    assert got == json.loads(run.stdout)


def test_python_values_read_as_their_json() -> None:
    """Decimal, date, datetime at midnight, float, int and str give the
    same decisions as the JSON text of the same facts."""
    policy = policy_named("pension_credit")
    as_of = datetime.date(2025, 6, 1)
    as_text = {
        "date_of_birth": "1955-06-15",
        "has_partner": False,
        "in_great_britain": True,
        "habitually_resident": True,
        "subject_to_immigration_control": False,
        "severely_disabled": False,
        "is_carer": False,
        "weekly_state_pension": "176.45",
        "weekly_earnings": "0.00",
        "capital": "4000.00",
    }
    as_python = dict(
        as_text,
        date_of_birth=datetime.datetime(1955, 6, 15),
        weekly_state_pension=decimal.Decimal("176.45"),
        weekly_earnings=0,
        capital=4000.0,
    )
    expected = policy.evaluate(as_text, "2025-06-01")
    assert policy.evaluate(as_python, as_of) == expected
    assert expected["decisions"]["weekly_guarantee_credit"]["value"] == "50.65"
    # a Decimal is a value: trailing zeros and exponents do not matter
    for same in (decimal.Decimal("4000.000"), decimal.Decimal("4E+3")):
        assert policy.evaluate(dict(as_python, capital=same), as_of) == expected
    # NaN and None are unknown, like a missing key
    unknown = policy.evaluate(dict(as_text, capital=float("nan")), as_of)
    assert unknown == policy.evaluate({k: v for k, v in as_text.items() if k != "capital"}, as_of)
    assert "capital" in unknown["missing"]


def test_undeclared_facts_are_listed_as_ignored(cli: Path) -> None:
    policy = policy_named("pension_credit")
    facts = {"capital": "4000", "captial": "1", "shoe_size": 9}
    got = policy.evaluate(facts, "2026-01-01")
    run = run_cli(cli, "eval", str(RULES / "pension_credit.rules"), "--as-of", "2026-01-01", stdin=json.dumps(facts))
    assert got == json.loads(run.stdout)
    assert got["ignored"] == ["captial", "shoe_size"]


def test_list_facts(cli: Path) -> None:
    policy = policy_named("council_tax_reduction")
    facts = json.loads((RULES / "council_tax_reduction.example.json").read_text())
    facts["household"][1]["incomes"].append({"kind": "other", "weekly_amount": None})
    got = policy.evaluate(facts, "2025-06-01")
    run = run_cli(cli, "eval", str(RULES / "council_tax_reduction.rules"), "--as-of", "2025-06-01", stdin=json.dumps(facts))
    assert got == json.loads(run.stdout)
    assert "household[].incomes[].weekly_amount" in got["missing"]


def test_policy_metadata() -> None:
    policy = policy_named("casework_routing")
    assert policy.name == "uc_casework_routing"
    assert policy.version == "2025.2"
    assert policy.inputs["work_type"].startswith("enum(new_claim, ")
    assert list(policy.decisions) == ["team", "days_waiting", "overdue", "urgent"]
    assert policy.source is not None and policy.source.startswith("#")
    assert policy.wasm[:4] == b"\0asm"
    assert "uc_casework_routing" in repr(policy)
