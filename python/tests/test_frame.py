"""evaluate_frame agrees with evaluate() row by row on pandas DataFrames,
with the frame's index, in the dtypes pandas users work with."""

from __future__ import annotations

import datetime
import decimal
from typing import Any, Dict, List

import pandas as pd
import pytest

import rulebook
from conftest import POLICY_NAMES, generated_rows, plain, policy_named
from test_arrow import expected_row, first_enum_field, first_money_field

AS_OF = "2025-06-01"


def check_frame(policy: rulebook.Policy, out: pd.DataFrame, rows: List[Dict[str, Any]], as_of: str) -> None:
    assert list(out.columns) == policy.output_schema().names
    for position, (label, got) in enumerate(out.iterrows()):
        expected = expected_row(policy, rows[position], as_of)
        assert got["line"] == position + 1
        for column, value in expected.items():
            cell = got[column]
            if value is None:
                assert pd.isna(cell), (label, column, cell)
            else:
                assert cell == value, (label, column, cell, value)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_frame_of_python_values(name: str) -> None:
    """Object columns of Decimal, date, bool and None (and lists of dicts),
    a bad value in one row; the frame's own index is kept."""
    policy = policy_named(name)
    rows = generated_rows(policy, 300, seed=11)
    bad_field = first_enum_field(policy) or first_money_field(policy)
    bad = "no_such_variant" if first_enum_field(policy) else decimal.Decimal("12.345")
    rows[29] = dict(rows[29], **{bad_field: bad})
    frame = pd.DataFrame(rows, index=[f"case-{i}" for i in range(len(rows))])
    out = policy.evaluate_frame(frame, AS_OF)
    assert list(out.index) == list(frame.index)
    check_frame(policy, out, rows, AS_OF)
    assert out.loc["case-29", "error"].startswith(f"input error at {bad_field}: ")


def test_frame_of_pandas_dtypes() -> None:
    """float64 money with NaN, nullable Int64 and boolean, datetime64
    dates, categorical and str text: read as the same facts."""
    policy = policy_named("pension_credit")
    rows = [plain(r) for r in generated_rows(policy, 200, seed=12)]
    frame = pd.DataFrame(rows)
    for column, kind in policy.inputs.items():
        if kind == "money":
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
        elif kind == "date":
            frame[column] = pd.to_datetime(frame[column])
        elif kind == "bool":
            frame[column] = frame[column].astype("boolean")
    out = policy.evaluate_frame(frame, AS_OF)
    check_frame(policy, out, rows, AS_OF)
    assert out["eligible"].dtype == "boolean"
    assert out["line"].dtype == "Int64"

    routing = policy_named("casework_routing")
    rows = [plain(r) for r in generated_rows(routing, 200, seed=13)]
    frame = pd.DataFrame(rows)
    frame["work_type"] = frame["work_type"].astype("category")
    frame["channel"] = frame["channel"].astype("str").where(frame["channel"].notna(), None)
    frame["received_on"] = pd.to_datetime(frame["received_on"])
    out = routing.evaluate_frame(frame, AS_OF)
    check_frame(routing, out, rows, AS_OF)
    assert out["days_waiting"].dtype == "Int64"


def test_mixed_object_column_reports_each_bad_row() -> None:
    policy = policy_named("pension_credit")
    frame = pd.DataFrame({"capital": [decimal.Decimal("4000"), "abc", 5, None, 2.5]})
    out = policy.evaluate_frame(frame, AS_OF)
    assert out["error"].isna().tolist() == [True, False, True, True, True]
    with pytest.raises(rulebook.InputError) as e:
        policy.evaluate({"capital": "abc"}, AS_OF)
    assert out["error"][1] == str(e.value)
    for i, capital in [(0, "4000"), (2, "5"), (3, None), (4, "2.5")]:
        expected = expected_row(policy, {"capital": capital}, AS_OF)
        assert out["eligible.missing"][i] == expected["eligible.missing"]


def test_frame_without_input_columns() -> None:
    policy = policy_named("pension_credit")
    frame = pd.DataFrame({"id": [1, 2, 3]}, index=[10, 20, 30])
    out = policy.evaluate_frame(frame, AS_OF)
    assert list(out.index) == [10, 20, 30]
    assert out["line"].tolist() == [1, 2, 3]
    assert out["error"].isna().all()


def test_frame_meta_matches_output() -> None:
    policy = policy_named("council_tax_reduction")
    meta = policy.frame_meta()
    out = policy.evaluate_frame(pd.DataFrame(generated_rows(policy, 5, seed=14)), AS_OF)
    assert list(meta.columns) == list(out.columns)
    assert list(meta.dtypes) == list(out.dtypes)
    assert len(meta) == 0
