"""Evaluate a caseload stored as Parquet on a Dask cluster.

    python python/examples/dask_caseload.py --rows 200000 --partitions 8

writes a made-up Pension Credit caseload (caseload.py) as Parquet files
with pyarrow, starts a local cluster of two worker processes, reads the
files with dask.dataframe and evaluates every partition with
``Policy.evaluate_frame`` through ``map_partitions``. Each worker process
loads (compiles) the policy once, on its first partition, with
``rulebook.load_cached``, and reuses it for every later one: the tasks
carry only the policy's path. The result is a Dask DataFrame indexed by
``case_id`` with the columns of ``rulebook batch`` (line, each decision
and its ``.missing``, error).

On a real cluster, give the workers the policy file at the same path (or
pass a ``rulebook.Policy`` object instead of a path: it pickles as its rule
text and is compiled once per worker process too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict

import pyarrow as pa
import pyarrow.parquet as pq

import rulebook

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_POLICY = REPO / "rules" / "pension_credit.rules"


def evaluate_partition(frame: Any, policy_path: str, as_of: str) -> Any:
    """The function map_partitions runs on a worker, once per partition.

    ``load_cached`` compiles the policy the first time a worker process
    asks for it and returns the same compiled policy afterwards (until the
    file changes), so a worker pays the compilation (tens of milliseconds)
    once, not once per partition.
    """
    policy = rulebook.load_cached(policy_path)
    # one thread: the worker process is the unit of parallelism here
    return policy.evaluate_frame(frame, as_of, threads=1)


def write_caseload(directory: Path, table: pa.Table, partitions: int) -> None:
    """``table`` as ``partitions`` Parquet files of about equal rows."""
    directory.mkdir(parents=True, exist_ok=True)
    size = -(-table.num_rows // partitions)
    for i in range(partitions):
        pq.write_table(table.slice(i * size, size), directory / f"part-{i:04d}.parquet")


def evaluate_caseload(parquet_dir: Path, policy_path: Path, as_of: str) -> Any:
    """The lazy Dask DataFrame of decisions, one row per case."""
    import dask.dataframe as dd

    cases = dd.read_parquet(str(parquet_dir), index="case_id")
    # the output's columns and dtypes, so that Dask need not run a partition to learn them
    meta = rulebook.Policy.load(policy_path).frame_meta()
    meta.index = meta.index.astype("int64").rename("case_id")
    return cases.map_partitions(evaluate_partition, str(policy_path), as_of, meta=meta)


def main(argv: Any = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--as-of", default="2025-06-01")
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY)
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the decisions as Parquet beside the caseload instead of gathering them",
    )
    parser.add_argument(
        "--passthrough",
        action="store_true",
        help="the same pipeline without evaluating (each partition's facts as they are): "
        "what Dask and Parquet cost on their own",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    from caseload import pension_credit_caseload
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        parquet_dir = Path(tmp) / "caseload"
        write_caseload(parquet_dir, pension_credit_caseload(args.rows), args.partitions)
        with LocalCluster(
            n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster, Client(cluster) as client:
            start = time.perf_counter()
            if args.passthrough:
                import dask.dataframe as dd

                lazy = dd.read_parquet(str(parquet_dir), index="case_id")
            else:
                lazy = evaluate_caseload(parquet_dir, args.policy, args.as_of)
            if args.write:
                lazy.to_parquet(str(Path(tmp) / "decisions"))
                result = None
            else:
                result = lazy.compute()
            seconds = time.perf_counter() - start
            loads = client.run(rulebook.loaded_policies)
    summary: Dict[str, Any] = {
        "rows": args.rows,
        "partitions": args.partitions,
        "seconds": round(seconds, 2),
        "rows_per_second": round(args.rows / seconds),
        "loads_per_worker": {worker: len(l) for worker, l in loads.items()},
    }
    if result is not None and not args.passthrough:
        summary["eligible"] = result["eligible"].value_counts(dropna=False).to_dict()
        summary["errors"] = int(result["error"].notna().sum())
    for key, value in summary.items():
        print(f"{key}: {value}")
    return summary


if __name__ == "__main__":
    main()
