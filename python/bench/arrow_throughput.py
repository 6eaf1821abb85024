"""Throughput of Policy.evaluate_arrow on a million rows, against a pure
pyarrow baseline in the same run.

    python python/bench/arrow_throughput.py [--rows 1000000] [--repeat 5]

Input: a made-up Pension Credit caseload (../examples/caseload.py), one
column per fact in the types of Policy.input_schema() (decimal128 money,
date32 dates, bools), about 3% unknown. Output: the pyarrow Table of
rulebook batch's columns (line, each decision and its .missing, error).

Baseline: the same policy written by hand with pyarrow.compute over the
same columns (the age test as a date comparison, the income sum, the
tariff income, the guarantee and the credit), which is what a team would
write without Rulebook. It computes the four values only: no unknown
facts and no missing lists (an unknown fact gives a null, not the list of
facts to ask for), no reasons, no line numbers or error column. The ratio
is Rulebook's time on one thread over the baseline's (pyarrow's compute
kernels run on one thread, on the CPU's vector units); evaluate_arrow on
every core is reported beside it, and evaluate_frame (a pandas DataFrame
in and out) too.

This is a benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import pyarrow as pa
import pyarrow.compute as pc

import rulebook

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "examples"))

from caseload import pension_credit_caseload  # noqa: E402

AS_OF = datetime.date(2025, 6, 1)


def baseline_input(table: pa.Table) -> pa.Table:
    """The caseload with money as int64 pence (pyarrow's decimal arithmetic
    widens precision at each step and soon passes 38 digits: pence are what
    a hand-written pipeline computes in). Converted before timing."""
    return pa.table(
        {
            name: pence(col) if pa.types.is_decimal(col.type) else col
            for name, col in zip(table.column_names, table.columns)
        }
    )


def pence(col: Any) -> Any:
    return pc.multiply(col.cast(pa.decimal128(18, 2)), pa.scalar(100, pa.decimal128(3, 0))).cast(pa.int64())


def baseline(table: pa.Table) -> pa.Table:
    """rules/pension_credit.rules (2025-26 rates) by hand in pyarrow.compute,
    in pence."""
    c = table.column
    pension_age = pa.scalar(datetime.date(AS_OF.year - 66, AS_OF.month, AS_OF.day), pa.date32())
    age_ok = pc.less_equal(c("date_of_birth"), pension_age)
    partner_ok = pc.or_kleene(
        pc.invert(c("has_partner")), pc.less_equal(c("partner_date_of_birth"), pension_age)
    )
    amg = pc.add(
        pc.add(
            pc.if_else(c("has_partner"), 34660, 22710),
            pc.if_else(c("severely_disabled"), 8290, 0),
        ),
        pc.if_else(c("is_carer"), 4640, 0),
    )
    # monthly * 12 / 52, to the penny, half away from zero (amounts are >= 0)
    occupational = pc.divide(
        pc.add(pc.multiply(pc.coalesce(c("monthly_occupational_pension"), 0), 24), 52), 104
    )
    disregard = pc.if_else(c("has_partner"), 1000, 500)
    earnings = pc.subtract(c("weekly_earnings"), pc.min_element_wise(c("weekly_earnings"), disregard))
    excess = pc.subtract(c("capital"), 1_000_000)
    # £1 for each £500 or part of £500 above £10,000
    tariff = pc.if_else(
        pc.greater(excess, 0), pc.multiply(pc.divide(pc.add(excess, 49_999), 50_000), 100), 0
    )
    income = pc.add(pc.add(pc.add(c("weekly_state_pension"), occupational), earnings), tariff)
    eligible = pc.and_kleene(
        pc.and_kleene(
            pc.and_kleene(age_ok, partner_ok),
            pc.and_kleene(c("in_great_britain"), c("habitually_resident")),
        ),
        pc.and_kleene(pc.invert(c("subject_to_immigration_control")), pc.less_equal(income, amg)),
    )
    shortfall = pc.subtract(amg, income)
    credit = pc.if_else(pc.and_kleene(eligible, pc.greater_equal(shortfall, 10)), shortfall, 0)
    return pa.table(
        {
            "appropriate_minimum_guarantee": amg,
            "eligible": eligible,
            "weekly_guarantee_credit": credit,
            "passports_housing_support": pc.greater(credit, 0),
        }
    )


def timed(run: Callable[[], Any], repeat: int) -> List[float]:
    run()  # warm up (loads the module's native code, pyarrow's kernels)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main() -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    policy = rulebook.Policy.load(REPO / "rules" / "pension_credit.rules")
    table = pension_credit_caseload(args.rows)
    as_of = AS_OF.isoformat()

    out = policy.evaluate_arrow(table, as_of)
    base_table = baseline_input(table)
    base = baseline(base_table)
    # the baseline computes the same values where every fact is known
    known = pc.is_null(out.column("eligible.missing"))
    for name in ("eligible", "weekly_guarantee_credit"):
        ours = out.column(name)
        if pa.types.is_decimal(ours.type):
            ours = pence(ours)
        ours = pc.filter(ours, known)
        theirs = pc.filter(base.column(name), known)
        assert ours.equals(theirs), f"baseline differs from the policy on {name}"

    one_thread = timed(lambda: policy.evaluate_arrow(table, as_of, threads=1), args.repeat)
    every_core = timed(lambda: policy.evaluate_arrow(table, as_of), args.repeat)
    baseline_times = timed(lambda: baseline(base_table), args.repeat)
    frame = table.to_pandas(types_mapper=pd_types())
    frame_times = timed(lambda: policy.evaluate_frame(frame, as_of), max(1, args.repeat // 2))

    best, base = min(one_thread), min(baseline_times)
    figures = {
        "rows": args.rows,
        "cpu": f"{cpu_name()} ({os.cpu_count()} cores)",
        "evaluate_arrow_1_thread_seconds": round(best, 3),
        "evaluate_arrow_1_thread_rows_per_second": round(args.rows / best),
        "evaluate_arrow_1_thread_ns_per_row": round(best / args.rows * 1e9),
        "evaluate_arrow_1_thread_median_seconds": round(statistics.median(one_thread), 3),
        "evaluate_arrow_all_cores_seconds": round(min(every_core), 3),
        "evaluate_arrow_all_cores_rows_per_second": round(args.rows / min(every_core)),
        "baseline_seconds": round(base, 3),
        "baseline_rows_per_second": round(args.rows / base),
        "ratio_rulebook_1_thread_over_baseline": round(best / base, 2),
        "evaluate_frame_all_cores_seconds": round(min(frame_times), 3),
        "evaluate_frame_all_cores_rows_per_second": round(args.rows / min(frame_times)),
        "known_rows": int(pc.sum(known).as_py()),
        "versions": {"pyarrow": pa.__version__, "rulebook": rulebook.__version__},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:36} {value}")
    return figures


def pd_types() -> Any:
    import pandas as pd

    def mapper(t: pa.DataType) -> Any:
        if pa.types.is_decimal(t) or pa.types.is_date(t):
            return pd.ArrowDtype(t)
        return None

    return mapper


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine


if __name__ == "__main__":
    main()
