"""The exceptions of the rulebook package.

Every error the package raises on purpose is a :class:`RulebookError`:

- :class:`CompileError`: a ``.rules`` file that does not compile (its
  message has every diagnostic with its line);
- :class:`LoadError`: a ``.wasm`` module that is not a policy, or cannot
  be loaded;
- :class:`InputError` (also a ``ValueError``): facts that do not fit the
  policy's inputs (a value of the wrong type, an enum value that is not a
  variant, money with more than two decimals...);
- :class:`EvalError`: the policy itself failed for a record (an overflow,
  a division by zero, a param with no value on ``as_of``).

``row`` is the 1-based row of the table the error is about (the ``line``
column of ``evaluate_arrow``), or None; ``field`` is the path of the
field (``capital``, ``household[1].date_of_birth``), or None.
A file that cannot be read raises the usual ``OSError``
(``FileNotFoundError``...), and an object that is not a table
``TypeError``.
"""

from __future__ import annotations

from typing import Any, Optional


class RulebookError(Exception):
    """Base class of the package's errors."""

    def __init__(
        self,
        message: str,
        *,
        row: Optional[int] = None,
        field: Optional[str] = None,
        problems: Optional[list] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.field = field
        #: each problem of an InputError: {"path", "value", "expected"}
        self.problems = problems or []

    def __reduce__(self) -> Any:
        # kept across processes (a Dask worker's error reaches the client)
        return (
            _rebuild,
            (type(self), self.message, self.row, self.field, self.problems),
        )


def _rebuild(cls: type, message: str, row: Any, field: Any, problems: Any) -> Any:
    return cls(message, row=row, field=field, problems=problems)


class CompileError(RulebookError):
    """A rule file that does not compile."""


class LoadError(RulebookError):
    """A compiled module that cannot be used."""


class InputError(RulebookError, ValueError):
    """Facts that do not fit the policy's inputs."""


class EvalError(RulebookError):
    """The policy failed for one record (overflow, division by zero...)."""


__all__ = [
    "RulebookError",
    "CompileError",
    "LoadError",
    "InputError",
    "EvalError",
]
