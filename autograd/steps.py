"""One step of the backward pass, explained: what a student sees when stepping through in a REPL.

>>> steps = f.backward_steps()
>>> next(steps)
step 1/2: f = q * z = -12, upstream grad 1
  q.grad += local -4 * upstream 1 = -4;  z.grad += local 3 * upstream 1 = 3

The same text is the caption of each frame of the diagram step-through (:mod:`viz`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Tuple

__all__ = ["BackwardStep", "node_name", "format_number"]


def format_number(x: Any, precision: int = 4) -> str:
    """A number in ``precision`` significant digits at most, no trailing zeros (-12, 0.7311)."""
    try:
        text = f"{float(x):.{precision}g}"
    except (TypeError, ValueError):
        return _summary(x, precision)
    return "0" if text == "-0" else text


def _summary(x: Any, precision: int) -> str:
    shape = getattr(x, "shape", None)
    if shape is None:
        return str(x)
    if x.size == 1:
        return format_number(x.reshape(()), precision)
    return f"array{tuple(shape)}"


def node_name(node: Any, precision: int = 4) -> str:
    """How text names a node: its label; else a constant's value; else its gate in parentheses."""
    label = node.label
    if label:
        return label
    if not node.inputs:
        return format_number(node.data, precision)
    return f"({node.op})"


def _expression(node: Any, precision: int) -> str:
    """How a gate reads, as its row prints it: ``a * b``, ``x ** 2``, ``-x``, ``sum(x, axis=1)``."""
    names = [node_name(x, precision) for x in node.inputs]
    return node.row.describe(names, node.params, lambda p: _format_param(p, precision))


def _format_param(p: Any, precision: int) -> str:
    if isinstance(p, (bool, tuple)) or p is None:
        return repr(p)
    return format_number(p, precision)


@dataclass
class BackwardStep:
    """One gate's chain-rule step: ``input.grad += local * upstream`` for each of its inputs.

    Attributes:
        index: 1-based position in the pass.
        total: number of steps in the pass.
        node: the gate whose upstream gradient is being passed on.
        upstream: ``node.grad`` when the step ran, d root / d node.
        contributions: ``(input, local, product)`` for each input, in operand order (constant
            inputs included, though the text leaves them out, except where the gate computed no
            partial for them: the 2 in ``2 ** x``, a Tensor with ``requires_grad=False``).
    """

    index: int
    total: int
    node: Any
    upstream: Any
    contributions: List[Tuple[Any, Any, Any]]

    def describe(self, precision: int = 4) -> str:
        """The step in two lines: the gate and its upstream gradient, then each input's product."""
        fmt = lambda x: format_number(x, precision)  # noqa: E731
        node = self.node
        label = node.label
        head = f"{label} = " if label else ""
        first = (f"step {self.index}/{self.total}: {head}{_expression(node, precision)} = "
                 f"{fmt(node.data)}, upstream grad {fmt(self.upstream)}")
        # A constant operand (the 2 in 2 * x) still gets its product added, but no student asks
        # for d f / d 2, so the text leaves it out.
        parts = [f"{node_name(x, precision)}.grad += local {fmt(local)} * upstream "
                 f"{fmt(self.upstream)} = {fmt(product)}"
                 for x, local, product in self.contributions
                 if not getattr(x, "is_constant", False)]
        if not parts:
            parts = ["(all inputs are constants: no gradient to pass on)"]
        return first + "\n  " + ";  ".join(parts)

    def __repr__(self) -> str:
        return self.describe()

    __str__ = __repr__
