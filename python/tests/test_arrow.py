"""evaluate_arrow agrees with evaluate() row by row, on a few hundred
generated rows of every shipped policy (unknowns, list elements, a bad
row and an evaluation error among them), whatever Arrow types the
columns come in."""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any, Dict, List, Optional

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import rulebook
from rulebook import EvalError, InputError
from conftest import POLICY_NAMES, generated_rows, plain, policy_named

AS_OF = "2025-06-01"
ROWS = 300


def expected_row(policy: rulebook.Policy, facts: Dict[str, Any], as_of: str) -> Dict[str, Any]:
    """What evaluate_arrow should give for one row, from evaluate()."""
    row: Dict[str, Any] = {}
    try:
        out = policy.evaluate(facts, as_of)
        error = None
    except (InputError, EvalError) as e:
        out, error = None, str(e)
    for name, kind in policy.decisions.items():
        if out is None:
            row[name] = row[f"{name}.missing"] = None
            continue
        d = out["decisions"][name]
        value = d["value"]
        if value is not None and kind in ("money", "decimal"):
            value = decimal.Decimal(value)
        elif value is not None and kind == "date":
            value = datetime.date.fromisoformat(value)
        row[name] = value
        row[f"{name}.missing"] = json.dumps(d["missing"], separators=(",", ":")) if "missing" in d else None
    row["error"] = error
    return row


def check_rows(policy: rulebook.Policy, table_out: pa.Table, expected: List[Dict[str, Any]]) -> None:
    got = table_out.to_pylist()
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.pop("line") == i + 1
        assert g == e, f"row {i + 1}"


def first_enum_field(policy: rulebook.Policy) -> Optional[str]:
    return next((n for n, t in policy.inputs.items() if t.startswith("enum(")), None)


def first_money_field(policy: rulebook.Policy) -> str:
    return next(n for n, t in policy.inputs.items() if t == "money")


# One money field per policy whose huge value overflows the policy's arithmetic.
OVERFLOWS = {
    "pension_credit": "monthly_occupational_pension",
    "council_tax_reduction": "annual_council_tax",
}


def rows_with_bad_ones(name: str, seed: int) -> List[Dict[str, Any]]:
    policy = policy_named(name)
    rows = generated_rows(policy, ROWS, seed=seed)
    if name in OVERFLOWS:
        rows[41] = dict(rows[41], **{OVERFLOWS[name]: decimal.Decimal("90000000000000000.00")})
    return rows


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_typed_columns_agree_with_evaluate(name: str) -> None:
    """Columns in the types of input_schema(): decimal128, date32, bool,
    string, list<struct>."""
    policy = policy_named(name)
    rows = rows_with_bad_ones(name, seed=1)
    table = pa.Table.from_pylist(rows, schema=policy.input_schema())
    out = policy.evaluate_arrow(table, AS_OF)
    assert out.schema == policy.output_schema()
    expected = [expected_row(policy, r, AS_OF) for r in rows]
    check_rows(policy, out, expected)
    decided = sum(1 for e in expected if e["error"] is None and any(e[d] is not None for d in policy.decisions))
    assert decided > ROWS // 3  # the rows exercise the rules, not only unknowns
    if name in OVERFLOWS:
        assert expected[41]["error"].startswith("evaluation error: overflow")


def as_text_type(t: pa.DataType) -> pa.DataType:
    """Money, decimals and dates as strings, inside lists too."""
    if t in (pa.decimal128(38, 2), pa.decimal128(38, 6), pa.date32()):
        return pa.string()
    if pa.types.is_list(t):
        item = t.value_type
        return pa.list_(pa.struct([f.with_type(as_text_type(f.type)) for f in item]))
    return t


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_text_columns_agree_with_evaluate(name: str) -> None:
    """Money, decimals and dates as strings (as a CSV gives them), with a
    bad value in one row: that row's error, every other row evaluated."""
    policy = policy_named(name)
    rows = [plain(r) for r in generated_rows(policy, ROWS, seed=2)]
    bad_field = first_enum_field(policy) or first_money_field(policy)
    bad_value = "no_such_variant" if first_enum_field(policy) else "12.345"
    rows[17] = dict(rows[17], **{bad_field: bad_value})
    schema = pa.schema([f.with_type(as_text_type(f.type)) for f in policy.input_schema()])
    table = pa.Table.from_pylist(rows, schema=schema)
    out = policy.evaluate_arrow(table, AS_OF)
    expected = [expected_row(policy, r, AS_OF) for r in rows]
    assert expected[17]["error"].startswith(f"input error at {bad_field}: expected ")
    check_rows(policy, out, expected)
    with pytest.raises(InputError) as e:
        policy.evaluate_arrow(table, AS_OF, errors="raise")
    assert (e.value.row, e.value.field) == (18, bad_field)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_batches_and_chunks(name: str) -> None:
    """A Table of several record batches, or one RecordBatch: the same
    rows, numbered across batches."""
    policy = policy_named(name)
    rows = generated_rows(policy, 250, seed=3)
    table = pa.Table.from_pylist(rows, schema=policy.input_schema())
    whole = policy.evaluate_arrow(table, "2026-11-27")
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=60))
    assert policy.evaluate_arrow(chunked, "2026-11-27").equals(whole)
    batch = table.combine_chunks().to_batches()[0]
    assert policy.evaluate_arrow(batch, "2026-11-27").equals(whole)
    assert policy.evaluate_arrow(table.slice(0, 0), "2026-11-27").num_rows == 0


def test_other_arrow_types_read_the_same() -> None:
    """Ints (pounds), floats, strings and decimals of any scale for money;
    timestamps, date64 and strings for dates; dictionaries, large and view
    strings for enums and text."""
    policy = policy_named("pension_credit")
    rows = generated_rows(policy, 200, seed=4)
    typed = pa.Table.from_pylist(rows, schema=policy.input_schema())
    reference = policy.evaluate_arrow(typed, AS_OF)

    def swap(column: str, array: pa.Array) -> pa.Table:
        return typed.set_column(typed.schema.get_field_index(column), column, array)

    pension = typed.column("weekly_state_pension")
    variants = [
        swap("weekly_state_pension", pc.cast(pension, pa.decimal128(20, 5))),
        # (pyarrow's decimal-to-float cast is not the nearest float: Python's is)
        swap("weekly_state_pension", pa.array([None if v is None else float(v) for v in pension.to_pylist()])),
        swap("weekly_state_pension", pc.cast(pension, pa.string())),
        swap("weekly_state_pension", pc.cast(pension, pa.large_string())),
        swap("date_of_birth", pc.cast(typed.column("date_of_birth"), pa.timestamp("ns"))),
        swap("date_of_birth", pc.cast(typed.column("date_of_birth"), pa.date64())),
        swap("date_of_birth", pc.cast(typed.column("date_of_birth"), pa.string())),
        swap("date_of_birth", pc.cast(typed.column("date_of_birth"), pa.string_view())),
    ]
    for table in variants:
        assert policy.evaluate_arrow(table, AS_OF).equals(reference)

    # whole pounds as integers of any width
    capital = typed.column("capital")
    pounds = pc.cast(pc.floor(pc.cast(capital, pa.float64())), pa.int64())
    whole = swap("capital", pc.cast(pounds, pa.decimal128(38, 2)))
    for int_type in (pa.int64(), pa.int32(), pa.uint32()):
        assert policy.evaluate_arrow(swap("capital", pc.cast(pounds, int_type)), AS_OF).equals(
            policy.evaluate_arrow(whole, AS_OF)
        )

    routing = policy_named("casework_routing")
    rows = generated_rows(routing, 200, seed=5)
    typed = pa.Table.from_pylist(rows, schema=routing.input_schema())
    reference = routing.evaluate_arrow(typed, AS_OF)
    for column in ("work_type", "channel", "reference"):
        i = typed.schema.get_field_index(column)
        for converted in (
            pc.dictionary_encode(typed.column(column)),
            pc.cast(typed.column(column), pa.large_string()),
            pc.cast(typed.column(column), pa.string_view()),
        ):
            assert routing.evaluate_arrow(typed.set_column(i, column, converted), AS_OF).equals(reference)


def test_text_columns_from_sliced_arrays() -> None:
    """Text columns read as Arrow holds them (one buffer, offsets, validity
    bits), string and large_string, from arrays sliced at every offset
    modulo 8 (whose validity bits start inside a byte, or not), with
    unknown texts among them: each row as evaluate() gives it."""
    routing = policy_named("casework_routing")
    rows = generated_rows(routing, 120, seed=7)
    for k in range(0, 120, 5):
        rows[k] = dict(rows[k], reference=None)
    for k in range(0, 120, 7):
        rows[k] = dict(rows[k], postcode=None)
    table = pa.Table.from_pylist(rows, schema=routing.input_schema())
    assert table.column("reference").null_count > 0
    large = table
    for column in ("reference", "postcode"):
        i = large.schema.get_field_index(column)
        large = large.set_column(i, column, pc.cast(large.column(column), pa.large_string()))
    for start in range(9):
        expected = [expected_row(routing, r, AS_OF) for r in rows[start : start + 100]]
        for t in (table, large):
            check_rows(routing, routing.evaluate_arrow(t.slice(start, 100), AS_OF), expected)


def test_columns_absent_null_or_extra() -> None:
    policy = policy_named("pension_credit")
    table = pa.table(
        {
            "capital": pa.array(["4000", None]),
            "has_partner": pa.nulls(2),  # a column of nulls: unknown, whatever its type
            "not_an_input": [1, 2],
        }
    )
    got = policy.evaluate_arrow(table, AS_OF).to_pylist()
    assert got == [
        {k: v for k, v in expected_row(policy, {"capital": "4000"}, AS_OF).items()} | {"line": 1},
        {k: v for k, v in expected_row(policy, {}, AS_OF).items()} | {"line": 2},
    ]


def test_float_money_and_int_edges() -> None:
    source = """policy p
input { amount: money  rate: decimal  n: int }
decision a: money = amount
decision r: decimal = rate
decision k: int = n
"""
    policy = rulebook.Policy.from_source(source)
    table = pa.table(
        {
            "amount": pa.array([0.1, 176.45, float("nan"), 1e-3, float("inf"), None]),
            "rate": pa.array([0.55, 1e-6, 1.5, 2.0, 3.0, None], pa.float32()),
            "n": pa.array([1.0, 2.0, 3.0, 2.5, 4.0, None]),
        }
    )
    out = policy.evaluate_arrow(table, AS_OF).to_pydict()
    assert out["a"][:2] == [decimal.Decimal("0.10"), decimal.Decimal("176.45")]
    assert out["r"][:2] == [decimal.Decimal("0.55"), decimal.Decimal("0.000001")]
    assert out["a.missing"][2] == '["amount"]'  # NaN is unknown
    assert out["k"][2] == 3 and out["error"][2] is None
    # every problem of a row, one a line
    assert out["error"][3] == (
        "input error at amount: expected money with at most 2 decimal places, got 0.001\n"
        "input error at n: expected int (a whole number), got 2.5"
    )
    assert out["error"][4] == "input error at amount: expected a finite number, got inf"
    assert out["error"][5] is None and out["k.missing"][5] == '["n"]'
    far = pa.table({"d": pa.array([0, 2**62], pa.date64())})
    dated = rulebook.Policy.from_source("policy q\ninput { d: date }\ndecision same: date = d\n")
    assert dated.evaluate_arrow(far, AS_OF).column("error").to_pylist() == [
        None,
        'input error at d: expected date (a real calendar date "YYYY-MM-DD"), got 53375995583 days from 1970-01-01',
    ]
    big = pa.table({"n": pa.array([2**63], pa.uint64())})
    assert policy.evaluate_arrow(big, AS_OF).column("error")[0].as_py() == (
        "input error at n: expected int (a whole number that fits in 64 bits), got 9223372036854775808"
    )


def test_many_rows_across_slices() -> None:
    """More rows than one slice (65,536) and many module chunks (512)."""
    policy = rulebook.Policy.from_source(
        "policy p\ninput { age: int  region: text }\n"
        'decision adult: bool = age >= 18\ndecision queue: text = if region == "wales" then "cymru" else region\n'
    )
    n = 140_000
    ages = pa.array([i % 40 if i % 11 else None for i in range(n)], pa.int64())
    regions = pc.cast(pc.binary_join_element_wise(pa.array(["r"] * n), pc.cast(pa.array(range(n)), pa.string()), ""), pa.string())
    out = policy.evaluate_arrow(pa.table({"age": ages, "region": regions}), AS_OF)
    assert out.num_rows == n
    assert out.column("line").to_pylist() == list(range(1, n + 1))
    assert out.column("adult").combine_chunks().equals(pc.greater_equal(ages, 18))
    assert out.column("queue").combine_chunks().equals(regions)
    assert out.column("adult").num_chunks == 3  # one per slice of 65,536 rows
    assert out.column("adult.missing").null_count == n - ages.null_count
    # slices evaluated side by side come out in the order of the rows
    assert policy.evaluate_arrow(pa.table({"age": ages, "region": regions}), AS_OF, threads=3).equals(out)
    assert policy.evaluate_arrow(pa.table({"age": ages, "region": regions}), AS_OF, threads=1).equals(out)
    # with errors="raise", the first bad row of all, whichever thread met it
    bad = pa.array(
        [("x" if i in (70_000, 130_000) else None if a is None else str(a)) for i, a in enumerate(ages.to_pylist())]
    )
    for threads in (1, 2, 3):
        with pytest.raises(InputError) as e:
            policy.evaluate_arrow(pa.table({"age": bad}), AS_OF, errors="raise", threads=threads)
        assert e.value.row == 70_001
    with pytest.raises(ValueError):
        policy.evaluate_arrow(pa.table({"age": ages}), AS_OF, threads=0)


def test_output_types() -> None:
    schema = policy_named("pension_credit").output_schema()
    assert schema.field("line").type == pa.int64()
    assert schema.field("appropriate_minimum_guarantee").type == pa.decimal128(38, 2)
    assert schema.field("eligible").type == pa.bool_()
    assert schema.field("eligible.missing").type == pa.string()
    assert schema.names[-1] == "error"
    routing = policy_named("casework_routing").output_schema()
    assert routing.field("days_waiting").type == pa.int64()
    assert routing.field("team").type == pa.string()


def test_enum_columns_and_decisions() -> None:
    """An enum input from string and dictionary columns (nulls, a text no
    variant has, in the dictionary and used by a row or not, tables sliced
    at every offset modulo 8), and enum and text decisions read out: each
    row as evaluate() gives it."""
    policy = rulebook.Policy.from_source(
        """policy e
input { kind: enum(new_claim, change_of_circumstances, complaint)  note: text }
decision route: enum(fast, slow)
  when kind == "complaint" -> "slow"
  otherwise -> "fast"
decision kind_again: enum(new_claim, change_of_circumstances, complaint) = kind
decision said: text = if kind == "new_claim" then note else "-"
"""
    )
    # (foreign texts that share a variant's length and all but their last
    # byte: "new_claiX" its first eight bytes, the other its first 22)
    kinds = ["new_claim", "complaint", None, "change_of_circumstances", "no_such_kind", "complaint", "new_claiX"]
    kinds += ["change_of_circumstanceX"]
    rows = [
        {"kind": kinds[i % len(kinds)], "note": None if i % 5 == 0 else f"note {i} é"}
        for i in range(150)
    ]
    expected_all = [expected_row(policy, r, AS_OF) for r in rows]
    assert any(e["error"] for e in expected_all) and any(e["route"] is None for e in expected_all)
    plain_kind = pa.array([r["kind"] for r in rows], pa.string())
    notes = pa.array([r["note"] for r in rows], pa.string())
    # a dictionary whose entries include one no row uses and a null
    entries = pa.array(
        ["unused_kind", "complaint", None, "new_claim", "no_such_kind", "change_of_circumstances", "new_claiX"]
        + ["change_of_circumstanceX"]
    )
    index = {v: i for i, v in enumerate(entries.to_pylist()) if v is not None}
    keys = pa.array([None if r["kind"] is None else index[r["kind"]] for r in rows], pa.int8())
    dictionary = pa.DictionaryArray.from_arrays(keys, entries)
    for kind in (plain_kind, dictionary, pc.cast(plain_kind, pa.large_string()), pc.cast(plain_kind, pa.string_view())):
        table = pa.table({"kind": kind, "note": notes})
        for start in range(9):
            check_rows(policy, policy.evaluate_arrow(table.slice(start, 120), AS_OF), expected_all[start : start + 120])
    # a null entry of the dictionary is an unknown kind, as a null key is
    only_null = pa.DictionaryArray.from_arrays(pa.array([2, 2], pa.int8()), entries)
    out = policy.evaluate_arrow(pa.table({"kind": only_null, "note": ["a", "b"]}), AS_OF).to_pydict()
    assert out["route"] == [None, None] and out["route.missing"] == ['["kind"]', '["kind"]']
