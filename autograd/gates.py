"""Named gates: mark a group of primitive operations as one gate of the circuit.

CS231n's point about the sigmoid neuron is that ``1 / (1 + exp(-x))`` is four gates *or* one
sigmoid gate with local gradient (1 - s) s, whichever is more useful to draw. Nodes created inside
``with autograd.gate("sigmoid"):`` remember that gate, and :func:`viz.draw` can show the group
expanded (a labelled cluster of its primitives) or collapsed (one gate)::

    with autograd.gate("sigmoid"):
        s = 1 / (1 + (-x).exp())

Gates nest; a node belongs to the innermost gate open when it was made. A gate can ask to be
drawn collapsed by default (``collapse=True``: the neurons and layers of :mod:`autograd.nn`) and
name the parameters it *owns* (``owns=``), which a collapsed drawing keeps inside its box instead of
drawing one wire per weight.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Sequence

__all__ = ["Gate", "gate", "current_gate"]

_ids = itertools.count(1)


class Gate:
    """One use of a named gate: a name, an id unique in the process, and the enclosing gate.

    Attributes:
        collapse: whether a diagram draws it as one gate unless told otherwise.
        owns: the parameters (leaves) that belong to the gate, or a module whose ``parameters()``
            they are (looked up only when drawn, so a training loop pays nothing): a collapsed
            drawing hides their wires.
    """

    __slots__ = ("name", "id", "parent", "collapse", "owns")

    def __init__(self, name: str, parent: Optional["Gate"] = None, collapse: bool = False,
                 owns: Any = ()):
        self.name = name
        self.id = next(_ids)
        self.parent = parent
        self.collapse = collapse
        self.owns = owns

    def owned(self) -> Sequence[Any]:
        """The parameters the gate owns (see ``owns``)."""
        owns = self.owns
        return owns.parameters() if hasattr(owns, "parameters") else owns

    def __repr__(self) -> str:
        return f"Gate({self.name!r}, id={self.id})"


_active: Optional[Gate] = None


def current_gate() -> Optional[Gate]:
    """The innermost gate open right now, or None."""
    return _active


@contextmanager
def gate(name: str, *, collapse: bool = False, owns: Any = ()) -> Iterator[Gate]:
    """Context manager: every node created inside belongs to a new gate called ``name``.

    Args:
        name: what the diagram calls the gate.
        collapse: draw it as one gate by default (``viz.draw(..., collapse=False)`` expands it).
        owns: parameters the gate owns (a neuron's weights and bias), or the module that has
            them: drawn inside its box when it is collapsed.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"gate() needs a non-empty name string, got {name!r}")
    global _active
    outer = _active
    _active = Gate(name, outer, bool(collapse), owns)
    try:
        yield _active
    finally:
        _active = outer
