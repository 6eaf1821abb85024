"""The Dask example on a real local cluster (two worker processes): a
Parquet caseload read with dask.dataframe, evaluated by map_partitions
with evaluate_frame, equal to evaluate() case by case; each worker
loaded the policy once."""

from __future__ import annotations

import decimal
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import rulebook
from conftest import REPO, policy_named
from test_arrow import expected_row

EXAMPLES = REPO / "python" / "examples"
sys.path.insert(0, str(EXAMPLES))  # (spawned workers get the same sys.path)

import caseload  # noqa: E402
import dask_caseload  # noqa: E402

AS_OF = "2025-06-01"
ROWS = 3000


def test_dask_map_partitions_equals_evaluate(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    policy_path = REPO / "rules" / "pension_credit.rules"
    table = caseload.pension_credit_caseload(ROWS, seed=21, unknown=0.08)
    # one row whose capital has three decimals: its error, not the partition's
    capital = table.column("capital").cast(pa.decimal128(38, 3)).to_pylist()
    capital[1234] = decimal.Decimal("12.345")
    table = table.set_column(
        table.schema.get_field_index("capital"), "capital", pa.array(capital, pa.decimal128(38, 3))
    )
    parquet_dir = tmp_path / "caseload"
    dask_caseload.write_caseload(parquet_dir, table, partitions=6)

    start = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        result = dask_caseload.evaluate_caseload(parquet_dir, policy_path, AS_OF).compute()
        loads = client.run(rulebook.loaded_policies)
    print(f"dask: {ROWS} rows on 2 workers in {time.perf_counter() - start:.1f}s (cluster included)")

    assert len(loads) == 2
    for worker, loaded in loads.items():
        assert loaded == [(str(policy_path), policy_named("pension_credit").hash)], worker

    policy = policy_named("pension_credit")
    result = result.sort_index()
    assert list(result.index) == list(range(ROWS))
    assert list(result.columns) == policy.output_schema().names
    for case_id, row in zip(table.column("case_id").to_pylist(), table.to_pylist()):
        facts = {k: v for k, v in row.items() if k != "case_id"}
        expected = expected_row(policy, facts, AS_OF)
        got = result.loc[case_id]
        for column, value in expected.items():
            cell = got[column]
            if value is None:
                assert pd.isna(cell), (case_id, column, cell)
            else:
                assert cell == value, (case_id, column, cell, value)
    assert result.loc[1234, "error"].startswith("input error at capital: expected money with at most 2")
    assert result["error"].notna().sum() == 1
