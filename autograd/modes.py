"""Strict mode: what happens when an operation leaves the real numbers.

By default circuitgrad is *strict*: ``log(-1)``, ``1 / 0``, ``exp(1000)``, ``1e308 * 10`` or a
negative base raised to a Value exponent raise a :class:`DomainError` (or ``ZeroDivisionError`` /
``OverflowError``) that names the operation and the offending value, because a student staring
at a ``nan`` three layers later has no way to find where it came from.

The rule: strict mode raises when an operation *makes* a non-finite number, that is an ``inf``
from finite operands (overflow, division by zero) or a ``nan`` from operands that are not nan
(``log(-1)``, ``inf - inf``, ``inf * 0``). Non-finite numbers a user passes in follow IEEE 754
as in PyTorch: ``inf + 1`` is ``inf`` and ``nan * 2`` is ``nan``, since the operation did not
create them.

Switch strictness off to get IEEE 754 behaviour everywhere (``inf``, ``-inf`` and ``nan``, as
numpy gives them)::

    import autograd
    autograd.set_strict(False)          # for the rest of this thread
    with autograd.strict(False):        # or for one block
        y = Value(0.0).log()            # y.data == -inf

The setting lives in a :mod:`contextvars` variable, as numpy's error state does: each thread
(and each asyncio task) has its own, so ``strict(False)`` in one thread never changes another.
A new thread starts strict. Blocks may even be left out of order (an outer ``strict()`` exited
before an inner one): each block restores what was in force when it began, with the blocks
already left spliced out, so the setting is never left wrong.

The engine reads the flag on its error paths with ``modes.STRICT.get()`` (one C call).
"""

from __future__ import annotations

import contextvars

__all__ = ["DomainError", "STRICT", "is_strict", "set_strict", "strict", "domain_error",
           "zero_division", "overflow"]

_HINT = " (autograd.set_strict(False) gives IEEE inf/nan instead)"


class DomainError(ValueError, ArithmeticError):
    """An operation was asked for a value outside its domain, e.g. ``log`` of a negative number."""


STRICT: contextvars.ContextVar = contextvars.ContextVar("circuitgrad_strict", default=True)
"""Whether strict mode is on in the current thread or task: read it with ``STRICT.get()``."""

_BLOCKS: contextvars.ContextVar = contextvars.ContextVar("circuitgrad_strict_blocks", default=())
"""The ``strict()`` blocks open in this context, outermost first, each with the setting it
restores: an immutable tuple, so a context copied for a task or thread never shares changes."""


def is_strict() -> bool:
    """Whether out-of-domain operations raise (True, the default) or give IEEE inf/nan (False)."""
    return STRICT.get()


def set_strict(enabled: bool) -> bool:
    """Turn strict mode on or off for the rest of this thread (or task); returns the previous
    setting. Inside a ``strict()`` block the block's end restores what was in force before it."""
    previous = STRICT.get()
    STRICT.set(bool(enabled))
    return previous


class strict:  # noqa: N801 - used like a function: ``with autograd.strict(False):``
    """Context manager: strict mode on (or off) inside the block, restored afterwards.

    Args:
        enabled: the setting inside the block (True: raise; False: IEEE inf/nan).
    """

    __slots__ = ("enabled", "_entered")

    def __init__(self, enabled: bool = True):
        self.enabled = bool(enabled)
        self._entered = False

    def __enter__(self) -> None:
        if self._entered:
            raise RuntimeError("this autograd.strict() block was already entered: make a new "
                               "one for each with statement")
        self._entered = True
        _BLOCKS.set(_BLOCKS.get() + ((self, STRICT.get()),))
        STRICT.set(self.enabled)

    def __exit__(self, *exc_info: object) -> None:
        blocks = _BLOCKS.get()
        for i, (block, previous) in enumerate(blocks):
            if block is self:
                break
        else:
            return  # left in another thread or task than it began in, whose setting is its own
        if i == len(blocks) - 1:
            _BLOCKS.set(blocks[:-1])
            STRICT.set(previous)
        else:
            # Left before a block begun inside it: that block now restores what this one would.
            inner = blocks[i + 1][0]
            _BLOCKS.set(blocks[:i] + ((inner, previous),) + blocks[i + 2:])


def domain_error(message: str) -> DomainError:
    return DomainError(message + _HINT)


def zero_division(message: str) -> ZeroDivisionError:
    return ZeroDivisionError(message + _HINT)


def overflow(message: str) -> OverflowError:
    return OverflowError(message + _HINT)
