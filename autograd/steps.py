"""One step of the backward pass, explained: what a student sees when stepping through in a REPL.

>>> steps = f.backward_steps()
>>> next(steps)
step 1/2: f = q * z = -12, upstream grad 1
  q.grad += local -4 * upstream 1 = -4;  z.grad += local 3 * upstream 1 = 3

Unlabelled nodes get short names, the output ``f`` and the others ``a``, ``b``, ``c`` ... (see
:func:`node_names`), which the diagrams write on their wires too.

The same text is the caption of each frame of the diagram step-through (:mod:`viz`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

__all__ = ["BackwardStep", "node_name", "node_names", "gate_expression", "formula", "format_number",
           "AUTO_NAMES", "OUTPUT_NAME"]


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


AUTO_NAMES = "abcdghkmnpqrstuv"
"""Letters given to unlabelled nodes, in the order the nodes are computed. Left out: ``e`` (it
reads as Euler's number in ``exp(e)``), ``f`` (kept for the output), ``i j`` (indices), ``l o``
(they read as 1 and 0) and ``w x y z`` (the usual names of inputs)."""

OUTPUT_NAME = "f"
"""What an unlabelled output is called, as in the CS231n notes (``f = q z``)."""


def node_names(root: Any, order: Optional[Sequence[Any]] = None) -> Dict[int, str]:
    """A name for every node of ``root``'s graph but its constants: ``id(node) -> name``.

    A labelled node is called by its label. Every other node gets a short automatic name, which
    the diagrams write on its wire (``a = -2``) and the step texts use: the output ``f``, the
    others ``a``, ``b``, ``c`` ... (see :data:`AUTO_NAMES`; then ``a1``, ``b1`` ...) in the order
    they are computed, skipping every label of the graph.

    Why letters and not sub-expressions: a letter is short at any depth (the sigmoid neuron's
    ``1 + exp(-(w0*x0 + w1*x1 + w2))`` is not), so a step text fits one line on a projector; it
    is unique by construction, where shortened sub-expressions (``exp(…)``) can read alike for
    two different nodes; and it is what the CS231n notes do (``q = x + y``, ``f = q z``), so a
    student's notes carry over. A step text still spells out what each gate computes
    (``c = a + b``), and the step that computed ``a`` said ``a = w0 * x0``.

    No two nodes share a name: when two different nodes have the same label, the later ones get
    primes (``x'``, ``x''``), in the diagram too.

    Args:
        root: the output node.
        order: ``forward_order(root)`` if the caller has it already (saves a walk).
    """
    if order is None:
        from .walk import forward_order

        order = forward_order(root)
    order = [node for node in order if not getattr(node, "is_constant", False)]
    taken = {node.label for node in order if node.label}
    names: Dict[int, str] = {}
    used: Set[str] = set()
    for node in order:  # labels first, so that an automatic name never takes a label's place
        label = node.label
        if label:
            name = label
            while name in used:
                name += "'"
            names[id(node)] = name
            used.add(name)
    letters = _letters(taken | used | {OUTPUT_NAME})
    if not root.label and not getattr(root, "is_constant", False):
        names[id(root)] = OUTPUT_NAME if OUTPUT_NAME not in taken else next(letters)
    for node in order:
        if id(node) not in names:
            names[id(node)] = next(letters)
    return names


def _letters(taken: Set[str]) -> Iterator[str]:
    """``a b c d g ...`` then ``a1 b1 ...``, ``a2 ...``, leaving out every name in ``taken``."""
    for suffix in itertools.chain([""], map(str, itertools.count(1))):
        for letter in AUTO_NAMES:
            name = letter + suffix
            if name not in taken:
                yield name


def node_name(node: Any, precision: int = 4, names: Optional[Mapping[int, str]] = None) -> str:
    """How text names a node: its name in ``names`` (see :func:`node_names`); else its label;
    else a constant's value; else its gate in parentheses (when no ``names`` were given)."""
    if names is not None:
        name = names.get(id(node))
        if name is not None:
            return name
    label = node.label
    if label:
        return label
    if not node.inputs:
        return format_number(node.data, precision)
    return f"({node.op})"


def gate_expression(node: Any, precision: int = 4,
                    names: Optional[Mapping[int, str]] = None) -> str:
    """How a gate reads, as its row prints it, with the inputs' names: ``a * b``, ``x ** 2``,
    ``exp(g)``, ``sum(x, axis=1)`` (step texts, and the inside of a collapsed gate)."""
    inputs = [node_name(x, precision, names) for x in node.inputs]
    return node.row.describe(inputs, node.params, lambda p: _format_param(p, precision))


# Binding strength of the infix rows (by row name), for the parentheses of :func:`formula`.
_INFIX = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "pow": 4, "pow_value": 4}
_UNARY_MINUS = 3
_ATOM = 5


def formula(root: Any, precision: int = 4, limit: int = 80,
            names: Optional[Mapping[int, str]] = None) -> str:
    """The formula that computes ``root`` from its named inputs, as one would type it:
    ``1/(1 + exp(-(w0*x0 + w1*x1 + w2)))``; cut with ``…`` after ``limit`` characters.

    Leaves are called by their names (:func:`node_names`), constants by their values. Each node's
    text is kept to ``limit + 1`` characters while it is built, so a huge or deeply shared graph
    costs time linear in its size.
    """
    from .walk import forward_order

    texts: Dict[int, Tuple[str, int, str]] = {}  # text, binding strength, row name
    for node in forward_order(root):
        if not node.inputs:
            texts[id(node)] = (node_name(node, precision, names), _ATOM, "")
            continue
        inputs = [texts[id(x)] for x in node.inputs]
        op, kind = node.op, node.row.name
        strength = _INFIX.get(kind)
        if kind == "neg":
            text, strength = "-" + _wrapped(inputs[0], _UNARY_MINUS + 1), _UNARY_MINUS
        elif strength is not None and len(inputs) == 2:
            if op == "**":  # right-associative: (a**b)**c, a**b**c
                left, right = _wrapped(inputs[0], strength + 1), _wrapped(inputs[1], strength)
            else:  # left-associative: a - b - c, a - (b - c); a + (b + c) reads a + b + c
                same = inputs[1][2] == kind and kind in ("add", "mul")
                left = _wrapped(inputs[0], strength)
                right = _wrapped(inputs[1], strength + (not same))
            spaced = strength == 1 or kind == "matmul"
            text = f"{left} {op} {right}" if spaced else f"{left}{op}{right}"
        elif strength is not None and len(inputs) == 1 and len(node.params) == 1:
            power = _format_param(node.params[0], precision)  # x ** 2
            text = f"{_wrapped(inputs[0], strength + 1)}{op}{power}"
        else:
            args = ", ".join(item[0] for item in inputs)
            text, strength = f"{op}({args})", _ATOM
        texts[id(node)] = (text[:limit + 1], strength, kind)
    text = texts[id(root)][0]
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _wrapped(item: Tuple[str, int, str], needed: int) -> str:
    text, strength, _ = item
    return text if strength >= needed else f"({text})"


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
        names: ``id(node) -> name`` for the whole pass (:func:`node_names`), shared by its
            steps; without it a step names unlabelled gates by their symbol, ``(*)``.
    """

    index: int
    total: int
    node: Any
    upstream: Any
    contributions: List[Tuple[Any, Any, Any]]
    names: Optional[Mapping[int, str]] = field(default=None, repr=False, compare=False)

    def describe(self, precision: int = 4, names: Optional[Mapping[int, str]] = None) -> str:
        """The step in two lines: the gate and its upstream gradient, then each input's product.

        Nodes are called by ``names`` (default: the pass's own, :func:`node_names` of the root),
        so every node has one name, the one the diagram writes on its wire.
        """
        fmt = lambda x: format_number(x, precision)  # noqa: E731
        names = self.names if names is None else names
        node = self.node
        name = node_name(node, precision, names)
        head = f"{name} = " if names is not None and id(node) in names or node.label else ""
        gate = gate_expression(node, precision, names)
        first = (f"step {self.index}/{self.total}: {head}{gate} = {fmt(node.data)}, "
                 f"upstream grad {fmt(self.upstream)}")
        # A constant operand (the 2 in 2 * x) still gets its product added, but no student asks
        # for d f / d 2, so the text leaves it out.
        parts = [f"{node_name(x, precision, names)}.grad += local {fmt(local)} * upstream "
                 f"{fmt(self.upstream)} = {fmt(product)}"
                 for x, local, product in self.contributions
                 if not getattr(x, "is_constant", False)]
        if not parts:
            parts = ["(all inputs are constants: no gradient to pass on)"]
        return first + "\n  " + ";  ".join(parts)

    def __repr__(self) -> str:
        return self.describe()

    __str__ = __repr__
