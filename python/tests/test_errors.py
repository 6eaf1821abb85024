"""Every failure is a Python exception of the package (or OSError,
TypeError), naming the row and the field where there is one; no input
crashes the process."""

from __future__ import annotations

import datetime
import decimal
import pickle
from pathlib import Path

import pyarrow as pa
import pytest

import rulebook
from rulebook import CompileError, EvalError, InputError, LoadError, RulebookError
from conftest import policy_named

OVERFLOW = """policy big
input { n: int  label: text }
decision big: int = n * 1000000000000
decision named: text = label
"""


def test_input_error_names_the_field() -> None:
    policy = policy_named("pension_credit")
    with pytest.raises(InputError) as e:
        policy.evaluate({"capital": "1.234"}, "2026-01-01")
    assert e.value.field == "capital" and e.value.row is None
    assert str(e.value) == 'input error at capital: expected money with at most 2 decimal places, got "1.234"'
    assert isinstance(e.value, ValueError) and isinstance(e.value, RulebookError)
    assert e.value.problems == [
        {"path": "capital", "value": '"1.234"', "expected": "money with at most 2 decimal places"}
    ]


def test_list_element_paths() -> None:
    policy = policy_named("council_tax_reduction")
    facts = {"household": [{"relationship": "partner"}, {"relationship": "cousin"}]}
    with pytest.raises(InputError) as e:
        policy.evaluate(facts, "2026-01-01")
    assert e.value.field == "household[1].relationship"
    assert "one of partner, child, non_dependant" in str(e.value)


@pytest.mark.parametrize(
    "value, shown",
    [
        ({1, 2}, "a Python set"),
        (object(), "a Python object"),
        (b"1200", "a Python bytes"),
        (1 + 2j, "a Python complex"),
        (float("inf"), "inf"),
        (decimal.Decimal("Infinity"), "Infinity"),
        (datetime.datetime(2020, 1, 1, 12, 30), "2020-01-01 12:30:00"),
    ],
)
def test_python_values_of_no_json_type(value: object, shown: str) -> None:
    policy = policy_named("pension_credit")
    with pytest.raises(InputError) as e:
        policy.evaluate({"capital": value}, "2026-01-01")
    assert e.value.field == "capital"
    assert shown in str(e.value)


def test_wrong_shapes_never_crash() -> None:
    policy = policy_named("council_tax_reduction")
    loop: list = []
    loop.append(loop)
    for facts, field in [
        ({"household": loop}, None),
        ({1: True}, ""),
        ({"household": [{"incomes": {"kind": "other"}}]}, "household[0].incomes"),
        ({"household": "nobody"}, "household"),
        ({"capital": [1, 2]}, "capital"),
    ]:
        with pytest.raises(InputError) as e:
            policy.evaluate(facts, "2026-01-01")
        if field is not None:
            assert e.value.field == field, (facts, str(e.value))
    for not_a_dict in (None, [("capital", 1)], "capital=1", 42):
        with pytest.raises(InputError):
            policy.evaluate(not_a_dict, "2026-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize("as_of", ["2026-02-30", "tomorrow", 20260101, None])
def test_bad_as_of(as_of: object) -> None:
    policy = policy_named("pension_credit")
    with pytest.raises(InputError) as e:
        policy.evaluate({}, as_of)  # type: ignore[arg-type]
    assert e.value.field == "as_of"
    with pytest.raises(InputError):
        policy.evaluate_arrow(pa.table({"capital": ["1"]}), as_of)  # type: ignore[arg-type]


def test_as_of_as_a_date() -> None:
    policy = policy_named("pension_credit")
    assert policy.evaluate({}, datetime.date(2026, 1, 1)) == policy.evaluate({}, "2026-01-01")


def test_eval_error() -> None:
    policy = rulebook.Policy.from_source(OVERFLOW)
    with pytest.raises(EvalError) as e:
        policy.evaluate({"n": 100000000}, "2026-01-01")
    assert "overflow" in str(e.value)


def test_param_without_value_is_an_eval_error() -> None:
    policy = policy_named("pension_credit")
    with pytest.raises(EvalError) as e:
        policy.evaluate({"has_partner": False}, "2020-01-01")
    assert "standard_minimum_guarantee_single" in str(e.value)


def test_arrow_bad_rows_in_error_column_or_raised() -> None:
    policy = rulebook.Policy.from_source(OVERFLOW)
    table = pa.table({"n": pa.array(["1", "x", "100000000", None, "2.5"]), "label": ["a", "b", "c", "d", "e"]})
    out = policy.evaluate_arrow(table, "2026-01-01").to_pydict()
    assert out["line"] == [1, 2, 3, 4, 5]
    assert out["big"] == [1000000000000, None, None, None, None]
    assert out["named"] == ["a", None, None, "d", None]
    assert out["big.missing"] == [None, None, None, '["n"]', None]
    assert out["error"][0] is None and out["error"][3] is None
    assert out["error"][1] == 'input error at n: expected int (a whole number), got "x"'
    assert out["error"][2].startswith("evaluation error: overflow")
    assert out["error"][4] == 'input error at n: expected int (a whole number), got "2.5"'

    with pytest.raises(InputError) as e:
        policy.evaluate_arrow(table, "2026-01-01", errors="raise")
    assert (e.value.row, e.value.field) == (2, "n")
    assert str(e.value).startswith("row 2: input error at n:")
    with pytest.raises(EvalError) as ev:
        policy.evaluate_arrow(table.slice(2, 1), "2026-01-01", errors="raise")
    assert ev.value.row == 1
    with pytest.raises(ValueError):
        policy.evaluate_arrow(table, "2026-01-01", errors="ignore")


def test_arrow_list_row_errors_name_the_element() -> None:
    policy = policy_named("council_tax_reduction")
    rows = [
        {"household": [{"relationship": "partner", "incomes": [{"kind": "earnings", "weekly_amount": "1"}]}]},
        {"household": [{"relationship": "partner", "incomes": [{"kind": "wages", "weekly_amount": "1"}]}]},
    ]
    out = policy.evaluate_arrow(pa.Table.from_pylist(rows), "2026-01-01", errors="column").to_pydict()
    assert out["error"][0] is None
    assert out["error"][1].startswith("input error at household[0].incomes[0].kind: expected one of earnings")
    with pytest.raises(InputError) as e:
        policy.evaluate_arrow(pa.Table.from_pylist(rows), "2026-01-01", errors="raise")
    assert (e.value.row, e.value.field) == (2, "household[0].incomes[0].kind")


def test_column_of_the_wrong_type_names_the_field() -> None:
    policy = policy_named("pension_credit")
    for column, field in [
        (pa.table({"capital": [True, False]}), "capital"),
        (pa.table({"has_partner": ["yes", "no"]}), "has_partner"),
        (pa.table({"date_of_birth": [1.5, 2.5]}), "date_of_birth"),
    ]:
        with pytest.raises(InputError) as e:
            policy.evaluate_arrow(column, "2026-01-01")
        assert e.value.field == field and e.value.row is None
        assert "the column cannot be read" in str(e.value)
    tz = pa.table({"date_of_birth": pa.array([0], pa.timestamp("s", tz="UTC"))})
    with pytest.raises(InputError):
        policy.evaluate_arrow(tz, "2026-01-01")
    twice = pa.Table.from_arrays([pa.array(["1"]), pa.array(["2"])], names=["capital", "capital"])
    with pytest.raises(InputError) as e:
        policy.evaluate_arrow(twice, "2026-01-01")
    assert e.value.field == "capital"


def test_not_a_table() -> None:
    policy = policy_named("pension_credit")
    for data in ([{"capital": 1}], {"capital": [1]}, None, "capital"):
        with pytest.raises(TypeError):
            policy.evaluate_arrow(data, "2026-01-01")
    with pytest.raises(TypeError):
        policy.evaluate_frame([{"capital": 1}], "2026-01-01")  # type: ignore[arg-type]


def test_loading_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        rulebook.Policy.load(tmp_path / "nope.rules")
    bad = tmp_path / "bad.rules"
    bad.write_text("policy p\ninput { age: int }\ndecision adult: bool = age >= \"x\"\n")
    with pytest.raises(CompileError) as e:
        rulebook.Policy.load(bad)
    assert "bad.rules:3:" in str(e.value)
    junk = tmp_path / "junk.wasm"
    junk.write_bytes(b"\0asm\x01\0\0\0garbage")
    with pytest.raises(LoadError):
        rulebook.Policy.load(junk)
    with pytest.raises(LoadError):
        rulebook.Policy.from_wasm(b"\0asm\x01\0\0\0")
    with pytest.raises(TypeError):
        rulebook.Policy.load(42)  # type: ignore[arg-type]


def test_errors_pickle_with_row_and_field() -> None:
    err = InputError("row 3: input error at capital: ...", row=3, field="capital", problems=[{"path": "capital"}])
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is InputError
    assert (again.row, again.field, again.problems, str(again)) == (3, "capital", [{"path": "capital"}], str(err))


def odd_columns() -> list:
    """Columns of many Arrow types, some with values no field takes."""
    import numpy as np

    return [
        pa.array([1, None, -1], pa.int8()),
        pa.array([2**64 - 1, 0, None], pa.uint64()),
        pa.array(np.array([1.5, 2.0, np.nan], dtype=np.float16)),
        pa.array([decimal.Decimal("1.5"), None, decimal.Decimal("-3")], pa.decimal256(40, 2)),
        pa.array([decimal.Decimal("1E+30"), None, decimal.Decimal("0.001")], pa.decimal128(38, 3)),
        pa.array([True, None, False]),
        pa.array(["", None, "\u00e9\u00e8 \U0001f600"]),
        pa.array([b"\x00\xff", None, b""], pa.binary()),
        pa.array([0, None, -(2**40)], pa.date64()),
        pa.array([0, None, 1], pa.timestamp("us", tz="Europe/London")),
        pa.array([[1, 2], None, []], pa.list_(pa.int64())),
        pa.array([{"a": 1}, None, {"a": None}], pa.struct([("a", pa.int64())])),
        pa.array([[{"relationship": "x"}], [None], []]),
        pa.array([1, 2, 1], pa.int64()).dictionary_encode(),
        pa.array(["a", "b", None]).dictionary_encode(),
        pa.nulls(3),
        pa.array([1, 2, 3], pa.duration("s")),
    ]


@pytest.mark.parametrize("name", ["pension_credit", "council_tax_reduction", "casework_routing"])
def test_any_column_for_any_field_is_a_table_or_an_input_error(name: str) -> None:
    policy = policy_named(name)
    for field in policy.inputs:
        for column in odd_columns():
            table = pa.table({field: column})
            try:
                out = policy.evaluate_arrow(table, "2026-01-01")
            except InputError as e:
                assert e.field == field, (field, column.type, str(e))
                continue
            assert out.num_rows == 3, (field, column.type)
            errors = out.column("error").to_pylist()
            assert all(e is None or e.startswith("input error at ") for e in errors), errors
