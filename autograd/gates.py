"""Named gates: mark a group of primitive operations as one gate of the circuit.

CS231n's point about the sigmoid neuron is that ``1 / (1 + exp(-x))`` is four gates *or* one
sigmoid gate with local gradient (1 - s) s, whichever is more useful to draw. Nodes created inside
``with autograd.gate("sigmoid"):`` remember that gate, and :func:`viz.draw` can show the group
expanded (a labelled cluster of its primitives) or collapsed (one gate)::

    with autograd.gate("sigmoid"):
        s = 1 / (1 + (-x).exp())

Gates nest; a node belongs to the innermost gate open when it was made.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Iterator, Optional

__all__ = ["Gate", "gate", "current_gate"]

_ids = itertools.count(1)


class Gate:
    """One use of a named gate: a name, an id unique in the process, and the enclosing gate."""

    __slots__ = ("name", "id", "parent")

    def __init__(self, name: str, parent: Optional["Gate"] = None):
        self.name = name
        self.id = next(_ids)
        self.parent = parent

    def __repr__(self) -> str:
        return f"Gate({self.name!r}, id={self.id})"


_active: Optional[Gate] = None


def current_gate() -> Optional[Gate]:
    """The innermost gate open right now, or None."""
    return _active


@contextmanager
def gate(name: str) -> Iterator[Gate]:
    """Context manager: every node created inside belongs to a new gate called ``name``."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"gate() needs a non-empty name string, got {name!r}")
    global _active
    outer = _active
    _active = Gate(name, outer)
    try:
        yield _active
    finally:
        _active = outer
