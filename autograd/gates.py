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

Open gates live in :mod:`contextvars` variables, so each thread (and each asyncio task) has its
own: a node built in another thread never lands in this thread's gate. Two more cases are
handled, which a plain global would get wrong for good:

* gates left out of order (an outer gate exited while an inner one is still open) are simply
  removed from the open ones;
* a generator (or coroutine) suspended inside a gate does not lend it to its caller: a gate
  opened in a generator's frame counts only while that frame runs. (Generators that are context
  managers, ``@contextlib.contextmanager``, are the exception: their gate is meant to cover the
  ``with`` block they wrap, and does.)

The engine reads the innermost gate on every node creation: ``innermost_gate()`` (one C call,
as cheap as reading a global), then ``live_gate(gate)`` only when one is open.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import itertools
import sys
from types import FrameType
from typing import Any, Optional, Sequence

__all__ = ["Gate", "gate", "current_gate", "innermost_gate", "live_gate"]

_ids = itertools.count(1)

_SUSPENDABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_CONTEXT_MANAGER_STEPS = frozenset(
    f.__code__ for f in (contextlib._GeneratorContextManager.__enter__,  # noqa: SLF001
                         contextlib._AsyncGeneratorContextManager.__aenter__))  # noqa: SLF001

_INNERMOST: contextvars.ContextVar = contextvars.ContextVar("circuitgrad_gate", default=None)
"""The innermost open gate of this context (None if none): what the engine reads."""

_OPEN: contextvars.ContextVar = contextvars.ContextVar("circuitgrad_gates", default=())
"""Every gate open in this context, outermost first (an immutable tuple, never shared)."""


class Gate:
    """One use of a named gate: a name, an id unique in the process, and the enclosing gate.

    ``gate(name)`` makes one; entering it with ``with`` opens it (once).

    Attributes:
        collapse: whether a diagram draws it as one gate unless told otherwise.
        owns: the parameters (leaves) that belong to the gate, or a module whose ``parameters()``
            they are (looked up only when drawn, so a training loop pays nothing): a collapsed
            drawing hides their wires.
    """

    __slots__ = ("name", "id", "parent", "_frame", "_entered", "collapse", "owns")

    def __init__(self, name: str, parent: Optional["Gate"] = None, collapse: bool = False,
                 owns: Any = ()):
        self.name = name
        self.id = next(_ids)
        self.parent = parent
        self._frame: Optional[FrameType] = None  # a generator frame the gate counts in only
        self._entered = False
        self.collapse = collapse
        self.owns = owns

    def owned(self) -> Sequence[Any]:
        """The parameters the gate owns (see ``owns``)."""
        owns = self.owns
        return owns.parameters() if hasattr(owns, "parameters") else owns

    def __repr__(self) -> str:
        return f"Gate({self.name!r}, id={self.id})"

    def __enter__(self) -> "Gate":
        if self._entered:
            raise RuntimeError(f"gate {self.name!r} was already entered: use a new "
                               f"autograd.gate({self.name!r}) for each with statement")
        self._entered = True
        self._frame = _suspendable_frame(sys._getframe(1))
        if self.parent is None:
            self.parent = current_gate()
        _OPEN.set(_OPEN.get() + (self,))
        _INNERMOST.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._frame = None
        gates = _OPEN.get()
        if self not in gates:
            return  # left in another thread or task than it was opened in
        gates = tuple(g for g in gates if g is not self)
        _OPEN.set(gates)
        _INNERMOST.set(gates[-1] if gates else None)

    def __reduce__(self) -> Any:
        # A pickled graph keeps its gates' names and nesting (one Gate per gate, as pickle keeps
        # identity); a loaded gate gets a fresh id, unique in the loading process.
        return (_restored_gate, (self.name, self.parent, self.collapse, self.owns))


def _restored_gate(name: str, parent: Optional[Gate], collapse: bool = False,
                   owns: Any = ()) -> Gate:
    restored = Gate(name, parent, collapse, owns)
    restored._entered = True  # a gate of a finished graph, not one to open
    return restored


def _suspendable_frame(frame: FrameType) -> Optional[FrameType]:
    """``frame`` if it is a generator's or coroutine's that may be suspended while the gate is
    open (so that the gate must not count then), else None."""
    if not frame.f_code.co_flags & _SUSPENDABLE:
        return None
    driver = frame.f_back
    if driver is not None and driver.f_code in _CONTEXT_MANAGER_STEPS:
        return None  # a @contextmanager generator: its gate covers the with block it wraps
    return frame


innermost_gate = _INNERMOST.get
"""The innermost gate entered in this context, or None: one C call, for the engine's hot path.
Pass what it gives through :func:`live_gate` before storing it on a node (a gate whose
generator is suspended must not count)."""


def live_gate(innermost: Optional[Gate]) -> Optional[Gate]:
    """``innermost`` (from :data:`innermost_gate`) if it counts now, else the nearest gate open
    in this context that does: gates of suspended generators are skipped."""
    if innermost is None or innermost._frame is None:
        return innermost
    for open_gate in reversed(_OPEN.get()):  # skip gates of suspended generators
        frame = open_gate._frame
        if frame is None or frame.f_back is not None:
            return open_gate
    return None


def current_gate() -> Optional[Gate]:
    """The innermost gate open right now in this thread (or task), or None."""
    return live_gate(_INNERMOST.get())


def gate(name: str, *, collapse: bool = False, owns: Any = ()) -> Gate:
    """Context manager: every node created inside belongs to a new gate called ``name``.

    ``with autograd.gate("sigmoid") as g:`` gives the :class:`Gate` as ``g``.

    Args:
        name: what the diagram calls the gate.
        collapse: draw it as one gate by default (``viz.draw(..., collapse=False)`` expands it).
        owns: parameters the gate owns (a neuron's weights and bias), or the module that has
            them: drawn inside its box when it is collapsed.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"gate() needs a non-empty name string, got {name!r}")
    return Gate(name, None, bool(collapse), owns)
