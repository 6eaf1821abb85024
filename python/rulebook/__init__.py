"""Evaluate Rulebook policies from Python.

    >>> import rulebook
    >>> policy = rulebook.Policy.load("rules/pension_credit.rules")
    >>> out = policy.evaluate({"capital": "4000"}, "2026-11-27")
    >>> out["missing"][:2]
    ['date_of_birth', 'has_partner']

``evaluate`` gives the decisions JSON of ``rulebook eval`` (language.md
section 6) as Python objects; ``evaluate_arrow`` evaluates every row of a
pyarrow Table or RecordBatch (one fact a column) and returns the columns
of ``rulebook batch`` as a pyarrow Table; ``evaluate_frame`` does the same
for a pandas DataFrame. See python/README.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from . import _native
from .errors import CompileError, EvalError, InputError, LoadError, RulebookError

if TYPE_CHECKING:  # pragma: no cover
    import datetime

    import pandas
    import pyarrow

    AsOf = Union[str, datetime.date]

__version__ = _native.__version__

__all__ = [
    "Policy",
    "load_cached",
    "loaded_policies",
    "RulebookError",
    "CompileError",
    "LoadError",
    "InputError",
    "EvalError",
]


class Policy:
    """A compiled policy, ready to evaluate.

    Load one with :meth:`Policy.load`. A Policy is safe to share between
    threads (evaluations release the GIL) and can be pickled: it travels as
    its rule-file text (or module bytes) and is compiled once per process
    on the other side (see :func:`load_cached`).
    """

    __slots__ = ("_native",)

    def __init__(self, native: "_native.NativePolicy") -> None:
        self._native = native

    # -- loading ---------------------------------------------------------

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Policy":
        """Loads a ``.rules`` file, or a ``.wasm`` module from ``rulebook compile``.

        Raises ``CompileError`` for a rule file that does not compile,
        ``LoadError`` for a module that cannot be used, ``OSError`` for a
        file that cannot be read.
        """
        return cls(_native.NativePolicy.load(os.fspath(path)))

    @classmethod
    def from_source(cls, source: str, path: str = "<source>.rules") -> "Policy":
        """Compiles rule-file text (``path`` names it in messages)."""
        return cls(_native.NativePolicy.from_source(path, source))

    @classmethod
    def from_wasm(cls, wasm: bytes, path: str = "<module>.wasm") -> "Policy":
        """Loads a compiled module from its bytes."""
        return cls(_native.NativePolicy.from_wasm(path, bytes(wasm)))

    # -- what it is ------------------------------------------------------

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def title(self) -> Optional[str]:
        return self._native.title

    @property
    def version(self) -> Optional[str]:
        return self._native.version

    @property
    def hash(self) -> str:
        """SHA-256 of the rule file (of the module's bytes, when loaded from one)."""
        return self._native.hash

    @property
    def path(self) -> str:
        return self._native.path

    @property
    def source(self) -> Optional[str]:
        """The rule-file text; None for a policy loaded from a module."""
        return self._native.source

    @property
    def wasm(self) -> bytes:
        """The compiled module (what ``rulebook compile`` writes)."""
        return self._native.wasm

    @property
    def inputs(self) -> Dict[str, str]:
        """Input field name -> type (``money``, ``enum(a, b)``, ``list of {...}``)."""
        return dict(self._native.inputs())

    @property
    def decisions(self) -> Dict[str, str]:
        """Decision name -> type, in source order."""
        return dict(self._native.decisions())

    def __repr__(self) -> str:
        version = f" {self.version}" if self.version else ""
        return f"<rulebook.Policy {self.name}{version} from {self.path}>"

    # -- evaluating ------------------------------------------------------

    def evaluate(self, facts: Dict[str, Any], as_of: "AsOf") -> Dict[str, Any]:
        """The decisions for one set of facts: what ``rulebook eval`` prints.

        ``facts`` is a dict keyed by input field name. Values: bool, int,
        str; money and decimals as ``Decimal``, int, str ("1200.50") or
        float (read as its shortest text, 0.1 is 0.1); dates as
        ``datetime.date`` or "YYYY-MM-DD"; enums and text as str; lists as
        lists of dicts; None (or NaN, pandas' NA) for unknown. ``as_of`` is
        "YYYY-MM-DD" or a ``datetime.date``.

        Raises ``InputError`` (naming the field) for a value that does not
        fit, ``EvalError`` when the policy fails (overflow...).
        """
        return json.loads(self._native.evaluate_json(facts, as_of))

    def evaluate_arrow(
        self,
        data: Any,
        as_of: "AsOf",
        *,
        errors: str = "column",
        threads: Optional[int] = None,
    ) -> "pyarrow.Table":
        """Evaluates every row of a pyarrow ``Table`` or ``RecordBatch``.

        One fact a column, named as the input field; columns the policy
        does not declare are ignored, and a missing column is unknown in
        every row. Returns a pyarrow Table with, for each input row in
        order: ``line`` (1-based), ``NAME`` and ``NAME.missing`` for each
        decision, and ``error``.

        With ``errors="column"`` (the default) a bad row (a value that does
        not fit its field, or an evaluation error) gets its message in
        ``error`` and nulls for its decisions; every other row is evaluated
        as usual. With ``errors="raise"`` the first bad row raises
        ``InputError`` or ``EvalError`` naming the row and the field.
        A column whose type cannot hold its field raises ``InputError``
        naming the field, whatever ``errors`` says.

        Rows are evaluated in slices of 65,536 on up to ``threads``
        threads (default: every core; give 1 inside a Dask, Spark or Ray
        task that already has a core of its own). The GIL is released
        meanwhile.
        """
        return self._native.evaluate_arrow(data, as_of, errors, threads)

    def evaluate_frame(
        self,
        frame: "pandas.DataFrame",
        as_of: "AsOf",
        *,
        errors: str = "column",
        threads: Optional[int] = None,
    ) -> "pandas.DataFrame":
        """Evaluates every row of a pandas DataFrame (``evaluate_arrow``'s
        columns, as a DataFrame with the same index as ``frame``).

        Ints and bools come out as pandas' nullable ``Int64`` and
        ``boolean``; money, decimals and dates Arrow-backed
        (``decimal128(38, 2)[pyarrow]``, ``date32[day][pyarrow]``: a cell
        reads as a ``decimal.Decimal`` or a ``datetime.date``); text and
        enums as strings; unknown as missing (``pd.NA``, None).
        """
        table = _frame_to_arrow(frame, self._input_names())
        out = self.evaluate_arrow(table, as_of, errors=errors, threads=threads)
        result = out.to_pandas(types_mapper=_types_mapper())
        result.index = frame.index
        return result

    def input_schema(self) -> "pyarrow.Schema":
        """The Arrow types to give the inputs in: money and decimals as
        decimal128 (2 and 6 places), dates as date32, enums and text as
        strings, lists as list<struct>. (Other types are read too: see the
        README.) Each field's metadata ``rulebook.type`` is its type in the
        rule file (``enum(a, b)`` lists the variants)."""
        return self._native.input_schema()

    def output_schema(self) -> "pyarrow.Schema":
        """The schema of :meth:`evaluate_arrow`'s output."""
        return self._native.output_schema()

    def frame_meta(self) -> "pandas.DataFrame":
        """An empty DataFrame shaped as :meth:`evaluate_frame`'s output (the
        ``meta`` of a Dask ``map_partitions``)."""
        return self.output_schema().empty_table().to_pandas(types_mapper=_types_mapper())

    def _input_names(self) -> Tuple[str, ...]:
        return tuple(name for name, _ in self._native.inputs())

    # -- pickling --------------------------------------------------------

    def __reduce__(self) -> Any:
        source = self.source
        if source is not None:
            return (_restore, ("source", source, self.path))
        return (_restore, ("wasm", self.wasm, self.path))


# One compiled policy per process for each rule text or module: unpickling
# a Policy (as Dask does for each task) or calling load_cached again costs
# a dict lookup, not a compilation.
_RESTORED: Dict[Tuple[str, str], Policy] = {}
_LOADED: Dict[Tuple[str, int, int], Policy] = {}
# (path, hash) of each load load_cached made in this process, in order
_LOADS: List[Tuple[str, str]] = []
_LOCK = threading.Lock()


def _restore(kind: str, payload: Union[str, bytes], path: str) -> Policy:
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    key = (kind, hashlib.sha256(data).hexdigest())
    with _LOCK:
        policy = _RESTORED.get(key)
        if policy is None:
            if kind == "source":
                policy = Policy.from_source(str(payload), path)
            else:
                policy = Policy.from_wasm(bytes(data), path)
            _RESTORED[key] = policy
        return policy


def load_cached(path: Union[str, "os.PathLike[str]"]) -> Policy:
    """``Policy.load(path)``, once per process for each version of the file.

    The policy is kept while the file keeps its size and modification
    time; a changed file is loaded again. This is the loader to call inside
    a Dask, Spark or Ray task: each worker process compiles the policy on
    its first task and reuses it for every later one.
    """
    full = os.path.abspath(os.fspath(path))
    st = os.stat(full)
    key = (full, st.st_mtime_ns, st.st_size)
    with _LOCK:
        policy = _LOADED.get(key)
        if policy is None:
            policy = Policy.load(full)
            _LOADED[key] = policy
            _LOADS.append((full, policy.hash))
        return policy


def loaded_policies() -> List[Tuple[str, str]]:
    """The ``(path, hash)`` of each policy :func:`load_cached` loaded in this
    process, one entry per load: on a Dask worker,
    ``client.run(rulebook.loaded_policies)`` shows that it loaded each
    policy once."""
    with _LOCK:
        return list(_LOADS)


def _types_mapper() -> Any:
    """evaluate_frame's dtypes: nullable Int64 and boolean; money, decimals
    and dates stay Arrow-backed (``pd.ArrowDtype``: a cell reads as a
    ``Decimal`` or ``datetime.date``, and no Python object is made per
    row); strings are pandas' default string dtype."""
    import pandas as pd
    import pyarrow as pa

    def mapper(t: "pyarrow.DataType") -> Any:
        if t == pa.int64():
            return pd.Int64Dtype()
        if t == pa.bool_():
            return pd.BooleanDtype()
        if pa.types.is_decimal(t) or pa.types.is_date(t):
            return pd.ArrowDtype(t)
        return None

    return mapper


def _frame_to_arrow(frame: "pandas.DataFrame", inputs: Tuple[str, ...]) -> "pyarrow.Table":
    """The input columns of a DataFrame as a pyarrow Table.

    Each column goes through pyarrow's own conversion (the same as
    ``pyarrow.Table.from_pandas``). A column pyarrow cannot convert as a
    whole (an object column mixing types, say ``Decimal`` and ``"abc"``) is
    given as text instead, so that each bad value is reported on its own row.
    """
    import pandas as pd
    import pyarrow as pa

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"evaluate_frame takes a pandas DataFrame, not a {type(frame).__name__}"
        )
    wanted = set(inputs)
    names = []
    arrays = []
    for position, name in enumerate(frame.columns):
        if not isinstance(name, str) or name not in wanted:
            continue
        if name in names:
            raise InputError(
                f"input error at {name}: the frame has two columns of this name",
                field=name,
            )
        column = frame.iloc[:, position]
        try:
            array = pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
            array = pa.array([_as_text(v) for v in column], pa.string())
        names.append(name)
        arrays.append(array)
    if not arrays:
        return pa.table({"__rows__": pa.nulls(len(frame))})
    return pa.Table.from_arrays(arrays, names=names)


def _as_text(value: Any) -> Optional[str]:
    """A value as the text the engine reads (None for missing)."""
    import datetime
    import decimal
    import math

    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, decimal.Decimal):
        return None if value.is_nan() else format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
