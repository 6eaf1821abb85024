"""A made-up caseload for rules/pension_credit.rules, as a pyarrow Table:
one row per claimant, one column per fact, in the Arrow types of
``Policy.input_schema()``, with about 3% of the values unknown (null).
Built with numpy, column by column, so that a million rows take a second.
Used by dask_caseload.py and ../bench/arrow_throughput.py."""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa

EPOCH = datetime.date(1970, 1, 1)


def _days(year: int, month: int, day: int) -> int:
    return (datetime.date(year, month, day) - EPOCH).days


def pension_credit_caseload(rows: int, seed: int = 0, unknown: float = 0.03) -> pa.Table:
    rng = np.random.default_rng(seed)

    def mask() -> np.ndarray:
        return rng.random(rows) < unknown

    def dates(first: int, last: int) -> pa.Array:
        return pa.array(rng.integers(first, last, rows).astype("int32"), pa.date32(), mask=mask())

    def flags(p: float) -> pa.Array:
        return pa.array(rng.random(rows) < p, pa.bool_(), mask=mask())

    def money(low: int, high: int, *, zero: float = 0.0) -> pa.Array:
        pence = rng.integers(low, high, rows).astype("int64")
        pence[rng.random(rows) < zero] = 0
        return pence_to_money(pence, mask())

    has_partner = rng.random(rows) < 0.4
    columns = {
        "case_id": pa.array(np.arange(rows, dtype="int64")),
        "date_of_birth": dates(_days(1930, 1, 1), _days(1965, 1, 1)),
        "has_partner": pa.array(has_partner, mask=mask()),
        # a partner's date of birth only for couples
        "partner_date_of_birth": pa.array(
            rng.integers(_days(1935, 1, 1), _days(1970, 1, 1), rows).astype("int32"),
            pa.date32(),
            mask=~has_partner | mask(),
        ),
        "in_great_britain": flags(0.97),
        "habitually_resident": flags(0.95),
        "subject_to_immigration_control": flags(0.03),
        "severely_disabled": flags(0.15),
        "is_carer": flags(0.08),
        "weekly_state_pension": money(5_000, 45_000),
        "monthly_occupational_pension": money(0, 150_000, zero=0.5),
        "weekly_earnings": money(0, 40_000, zero=0.8),
        "capital": money(0, 3_000_000, zero=0.1),
    }
    return pa.table(columns)


def pence_to_money(pence: np.ndarray, unknown: np.ndarray) -> pa.Array:
    """Amounts in pence as decimal128(38, 2) money, null where ``unknown``:
    the decimal's 16-byte little-endian words written directly."""
    words = np.zeros((len(pence), 2), dtype="<i8")
    words[:, 0] = pence
    words[:, 1] = np.where(pence < 0, -1, 0)
    validity = pa.array(pence, mask=unknown).buffers()[0]
    return pa.Array.from_buffers(
        pa.decimal128(38, 2), len(pence), [validity, pa.py_buffer(words.tobytes())]
    )
