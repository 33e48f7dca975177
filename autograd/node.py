"""What every node of a circuit has, scalar or tensor: data, grad, the op, inputs, local gradients.

A node never holds a closure: it holds its inputs (a tuple, operand order kept) and its local
gradients (or, for structural tensor ops, the parameters its vector-Jacobian product needs). So the
graph has no reference cycles and is freed by reference counting alone, and everything the backward
pass uses can be printed and drawn.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from . import gates, pickling, walk
from .operators import Operators

__all__ = ["Node", "NodeMeta"]


class NodeMeta:
    """The rarely-set parts of a node, kept apart so that a plain node stays small."""

    __slots__ = ("label", "params", "gate")

    def __init__(self, label: str = "", params: tuple = (), gate: Optional[gates.Gate] = None):
        self.label = label
        self.params = params
        self.gate = gate


class Node(Operators):
    """Base of :class:`~autograd.Value` and :class:`~autograd.Tensor`: the engine's view of a node.

    The engine (:mod:`autograd.walk`) needs little of a node's kind, and each kind says it here:
    its math namespace (``_math``), its zero gradient, how it seeds a backward pass, how it
    builds a gate from a row (``_apply``), and how it wraps a number as a node (``_constant``).
    Everything else (the operators, the chain rule, the walk) is shared.

    Attributes:
        data: the forward value.
        grad: d root / d self after ``root.backward()``.
        inputs: the operands, in order (empty for a leaf).
        local_grads: d self / d input for each input, known at forward time.
        input_grads: what this gate passed back to each input in the latest backward pass
            (``local * upstream``, or a structural gate's vector-Jacobian product; None where an
            input took none): the numbers a diagram writes on the wires, as the walk computed
            them. ``()`` before any pass, and for a Tensor gate whose pass was not recorded
            (``backward(record=True)`` and ``backward_steps()`` record).
    """

    __slots__ = ("data", "grad", "inputs", "local_grads", "input_grads", "_op", "_meta")

    _zero_grad: Any = 0.0
    _math: Any = None
    requires_grad = True

    @property
    def op(self) -> str:
        """The gate's symbol (``'*'``, ``'exp'`` ...), ``''`` for a leaf."""
        return self._op.symbol if self._op is not None else ""

    @property
    def row(self) -> Optional[Any]:
        """The :class:`~autograd.ops.Op` row this gate was made from (None for a leaf)."""
        return self._op

    @property
    def label(self) -> str:
        meta = self._meta
        return meta.label if meta is not None else ""

    @label.setter
    def label(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"label must be a string, got {type(text).__name__} {text!r}")
        if self._meta is None:
            self._meta = NodeMeta(text)
        else:
            self._meta.label = text

    @property
    def params(self) -> tuple:
        """Non-differentiable arguments of the op (a number exponent, an axis), else ()."""
        meta = self._meta
        return meta.params if meta is not None else ()

    @property
    def gate(self) -> Optional[gates.Gate]:
        """The named gate (see :func:`autograd.gate`) this node was made in, or None."""
        meta = self._meta
        return meta.gate if meta is not None else None

    @property
    def is_leaf(self) -> bool:
        return not self.inputs

    def backward(self, gradient: Any = None, *, record: bool = False) -> None:
        """Backpropagate: seed this node's grad with 1, apply the chain rule at every gate.

        Args:
            gradient: d root / d self (default 1; an array of this shape for a Tensor).
            record: keep what each gate sent to each input as ``input_grads`` (the numbers a
                diagram writes on its wires). Values always do; Tensors only when asked, as
                each record is an array.
        """
        walk.run_backward(self, gradient, record)

    def backward_steps(self, gradient: Any = None) -> Iterator[Any]:
        """The backward pass one gate at a time, for stepping through it in a REPL.

        Each ``next()`` applies one gate's chain-rule step and returns a
        :class:`~autograd.steps.BackwardStep` that explains it. Running the iterator to the end
        leaves exactly the state ``backward()`` leaves.
        """
        return walk.steps(self, gradient)

    def zero_grad(self) -> None:
        """Reset this node's gradient only (use ``Module.zero_grad()`` for a whole model)."""
        self.grad = self._zero_grad

    def __reduce_ex__(self, protocol: Any) -> tuple:
        """Pickle support for graphs of any depth (see :mod:`autograd.pickling`)."""
        return pickling.reduce_node(self)

    def __copy__(self) -> "Node":
        """A copy with its own label and arrays (see :mod:`autograd.pickling`)."""
        return pickling.copy_node(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Jupyter shows a node as its circuit diagram (SVG), or as text without Graphviz."""
        try:
            from viz.notebook import mimebundle  # imported here: autograd never needs viz
        except ImportError:
            return {"text/plain": repr(self)}
        return mimebundle(self)

    # What each kind of node tells the engine.
    def _seed(self, gradient: Any) -> Any:
        """The gradient a backward pass starts from at this node (1 unless given)."""
        raise NotImplementedError

    @classmethod
    def _constant(cls, data: Any) -> "Node":
        """``data`` as a node of this kind that needs no gradient."""
        raise NotImplementedError

    @classmethod
    def _result(cls, data: Any) -> "Node":
        """A gradient that ``autograd.grad`` returns, as a leaf node of this kind."""
        raise NotImplementedError
