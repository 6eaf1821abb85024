"""Evaluate a caseload stored as Parquet with Spark's ``mapInArrow``.

    python python/examples/spark_caseload.py --rows 1000000 --partitions 8

writes a made-up Pension Credit caseload (caseload.py) as Parquet with
pyarrow, starts Spark in local mode (``local[2]``), reads the files and
evaluates every Arrow batch of every partition with
``Policy.evaluate_arrow`` inside ``mapInArrow``. Each Python worker process
loads (compiles) the policy once, with ``rulebook.load_cached``, and reuses
it for every later batch. The decisions are written back as Parquet; with
``--passthrough`` the same pipeline copies the facts instead of evaluating
them (what Spark and Parquet cost on their own).

Spark needs a Java runtime (Debian: ``apt-get install default-jre-headless``)
and ``pip install pyspark``; on a real cluster every executor needs the
rulebook package and the policy file at the same path.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

import rulebook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from caseload import pension_credit_caseload  # noqa: E402

REPO = HERE.parents[1]
POLICY = str(REPO / "rules" / "pension_credit.rules")
AS_OF = "2026-11-27"


def evaluate_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """What every Spark task runs: each Arrow batch of its partition through
    the policy, loaded once per Python worker process."""
    policy = rulebook.load_cached(POLICY)
    for batch in batches:
        # one thread: the Spark task is already the unit of parallelism
        decisions = policy.evaluate_arrow(batch, AS_OF, threads=1)
        yield from decisions.to_batches()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--passthrough", action="store_true")
    args = parser.parse_args()

    # the Python workers run this interpreter (and so find rulebook)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from pyspark.sql.pandas.types import from_arrow_schema

    with tempfile.TemporaryDirectory() as tmp:
        cases = Path(tmp) / "caseload.parquet"
        table = pension_credit_caseload(args.rows, seed=1)
        pq.write_table(table, cases, row_group_size=max(1, args.rows // args.partitions))

        spark = (
            SparkSession.builder.master("local[2]")
            .appName("rulebook caseload")
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        frame = spark.read.parquet(str(cases)).repartition(args.partitions)
        if args.passthrough:
            out = frame.mapInArrow(lambda bs: iter(bs), frame.schema)
        else:
            schema = from_arrow_schema(rulebook.Policy.load(POLICY).output_schema())
            out = frame.mapInArrow(evaluate_batches, schema)
        start = time.perf_counter()
        out.write.mode("overwrite").parquet(str(Path(tmp) / "decisions"))
        took = time.perf_counter() - start
        written = pq.read_table(Path(tmp) / "decisions")
        what = "copied" if args.passthrough else "evaluated"
        print(
            f"{written.num_rows} rows {what} in {args.partitions} partitions "
            f"in {took:.2f} s ({written.num_rows / took:,.0f} rows/s)"
        )
        if not args.passthrough:
            good = written.column("error").null_count
            print(f"rows without an error: {good} of {written.num_rows}")
        spark.stop()


if __name__ == "__main__":
    main()
