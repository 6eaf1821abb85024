"""Policy.evaluate_arrow on generated Universal Credit casework (the shipped
rules/casework_routing.rules), one thread, with its text and enum columns
as plain strings or as dictionaries (pandas' category):

    python python/bench/casework_rows.py [--rows 200000] [--repeat 5] [--columns string|dictionary]

It prints the best of --repeat runs in ns a row. The cases: five work
types and four channels in random order, references ("UC-", "TC-" for a
tenth, "-MP" for a few) and postcodes ("BT" for one in twenty), dates of
birth missing for a tenth, notification dates only for mandatory
reconsiderations, a few terminally ill or Welsh-speaking customers.

Instructions a row, which unlike times do not move with the machine's load
(docs/performance.md, session 23), with callgrind counting inside
evaluate_arrow only:

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*evaluate_arrow*' \\
        python python/bench/casework_rows.py --repeat 1

then divide the total by twice the rows (the run that checks no case is
refused, and the timed one). This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import rulebook

REPO = Path(__file__).resolve().parents[2]
AS_OF = datetime.date(2025, 6, 1)
WORK_TYPES = ["new_claim", "change_of_circumstances", "mandatory_reconsideration", "overpayment", "complaint"]
CHANNELS = ["online", "telephone", "post", "face_to_face"]


def cases(rows: int, dictionary: bool, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)

    def texts(values: list) -> pa.Array:
        array = pa.array(values, pa.string())
        return array.dictionary_encode() if dictionary else array

    def days(first: datetime.date, offsets: np.ndarray) -> list:
        return [first + datetime.timedelta(days=int(d)) for d in offsets]

    work = [WORK_TYPES[k] for k in rng.integers(0, len(WORK_TYPES), rows)]
    references = [
        ("TC-" if r < 0.1 else "UC-") + str(int(n)) + ("-MP" if r > 0.97 else "")
        for r, n in zip(rng.random(rows), rng.integers(1_000_000, 9_999_999, rows))
    ]
    postcodes = [
        ("BT" if r < 0.05 else "SW") + f"{int(a)} {int(b)}AB"
        for r, a, b in zip(rng.random(rows), rng.integers(1, 99, rows), rng.integers(1, 9, rows))
    ]
    births = days(datetime.date(1940, 1, 1), rng.integers(0, 25_000, rows))
    notified = days(datetime.date(2023, 1, 1), rng.integers(0, 700, rows))
    return pa.table(
        {
            "work_type": texts(work),
            "channel": texts([CHANNELS[k] for k in rng.integers(0, len(CHANNELS), rows)]),
            "reference": texts(references),
            "postcode": texts(postcodes),
            "claimant_date_of_birth": pa.array(
                [None if r < 0.1 else d for r, d in zip(rng.random(rows), births)], pa.date32()
            ),
            "received_on": pa.array(days(datetime.date(2024, 1, 1), rng.integers(0, 700, rows)), pa.date32()),
            "decision_notified_on": pa.array(
                [d if w == "mandatory_reconsideration" else None for w, d in zip(work, notified)], pa.date32()
            ),
            "terminally_ill": pa.array(rng.random(rows) < 0.02),
            "needs_welsh_language": pa.array(rng.random(rows) < 0.05),
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--columns", choices=["string", "dictionary"], default="string")
    args = ap.parse_args()
    table = cases(args.rows, args.columns == "dictionary")
    policy = rulebook.Policy.load(REPO / "rules" / "casework_routing.rules")
    out = policy.evaluate_arrow(table, AS_OF, threads=1)
    assert out.column("error").null_count == args.rows, "a generated case was refused"
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        policy.evaluate_arrow(table, AS_OF, threads=1)
        best = min(best, time.perf_counter() - start)
    print(f"casework routing, {args.rows} rows, {args.columns} columns, one thread: {best / args.rows * 1e9:.0f} ns a row")


if __name__ == "__main__":
    main()
