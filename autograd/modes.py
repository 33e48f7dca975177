"""Strict mode: what happens when an operation leaves the real numbers.

By default circuitgrad is *strict*: ``log(-1)``, ``1 / 0``, ``exp(1000)`` or a negative base
raised to a Value exponent raise a :class:`DomainError` (or ``ZeroDivisionError`` /
``OverflowError``) that names the operation and the offending value, because a student staring
at a ``nan`` three layers later has no way to find where it came from.

Switch strictness off to get IEEE 754 behaviour instead (``inf``, ``-inf`` and ``nan``, as numpy
gives them)::

    import autograd
    autograd.set_strict(False)          # for the rest of the program
    with autograd.strict(False):        # or for one block
        y = Value(0.0).log()            # y.data == -inf
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

__all__ = ["DomainError", "is_strict", "set_strict", "strict", "domain_error", "zero_division",
           "overflow"]

_HINT = " (autograd.set_strict(False) gives IEEE inf/nan instead)"


class DomainError(ValueError, ArithmeticError):
    """An operation was asked for a value outside its domain, e.g. ``log`` of a negative number."""


_strict = True


def is_strict() -> bool:
    """Whether out-of-domain operations raise (True, the default) or give IEEE inf/nan (False)."""
    return _strict


def set_strict(enabled: bool) -> bool:
    """Turn strict mode on or off for the whole program; returns the previous setting."""
    global _strict
    previous, _strict = _strict, bool(enabled)
    return previous


@contextmanager
def strict(enabled: bool = True) -> Iterator[None]:
    """Context manager: strict mode on (or off) inside the block, restored afterwards."""
    previous = set_strict(enabled)
    try:
        yield
    finally:
        set_strict(previous)


def domain_error(message: str) -> DomainError:
    return DomainError(message + _HINT)


def zero_division(message: str) -> ZeroDivisionError:
    return ZeroDivisionError(message + _HINT)


def overflow(message: str) -> OverflowError:
    return OverflowError(message + _HINT)
