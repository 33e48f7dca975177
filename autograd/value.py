"""The scalar node: a number that remembers how it was computed.

>>> x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
>>> f = (x + y) * z
>>> f.backward()
>>> x.grad, y.grad, z.grad
(-4.0, -4.0, 3.0)

Each operator looks its rule up in :mod:`autograd.ops`, computes the forward value and the local
gradients at once, and stores them on the new node: ``f.local_grads == (-4.0, 3.0)`` above, the
d f / d q = z and d f / d z = q of the lecture.

A Value is true when its number is nonzero, as a float is (and as a one-element Tensor is).
"""

from __future__ import annotations

import numbers
from typing import Iterable, Sequence, Union

from . import gates, operators, ops, scalar_math
from .node import Node, NodeMeta

__all__ = ["Value", "Constant", "sum", "dot", "linear"]

Number = Union[int, float]

_new = object.__new__


def _as_float(data: object, where: str) -> float:
    """``data`` as a float, or a TypeError naming what was passed instead of a real number."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        try:
            return float(data)  # also numpy scalars (np.float64 is a float subclass)
        except OverflowError:  # an int beyond float64's range, such as 10 ** 400
            raise OverflowError(f"{where} needs a number within float64's range (up to about "
                                f"1.8e308), got an int of {int(data).bit_length()} bits (about "
                                f"10^{int(int(data).bit_length() * 0.30103)})") from None
    if isinstance(data, Node):
        raise _mixing_error(data, where)
    size = getattr(data, "size", None)
    if size == 1 and getattr(data, "dtype", None) is not None and data.dtype.kind in "biuf":
        return float(data.reshape(()))  # a one-element numpy array
    shape = getattr(data, "shape", None)
    what = f"{type(data).__name__} of shape {shape}" if shape is not None else type(data).__name__
    hint = " (for arrays use autograd.Tensor)" if shape is not None or isinstance(
        data, (list, tuple)) else ""
    raise TypeError(f"{where} needs a real number, got {what}: {data!r:.60}{hint}")


def _mixing_error(node: Node, where: str) -> TypeError:
    return TypeError(f"{where} got a {type(node).__name__} ({node!r:.60}): a Tensor and a Value "
                     f"cannot be mixed (use Values throughout, or Tensors throughout)")


def _make(op: ops.Op, inputs: tuple, data: float, local_grads: tuple,
          params: tuple = ()) -> "Value":
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.inputs = inputs
    node.local_grads = local_grads
    node.input_grads = ()
    node._op = op
    gate = gates.innermost_gate()
    node._meta = (NodeMeta("", params, gates.live_gate(gate))
                  if (gate is not None or params) else None)
    return node


def _apply(op: ops.Op, inputs: tuple, params: tuple = ()) -> "Value":
    """The gate ``op(*inputs, *params)``: its forward value and, at once, its local gradients.

    A local gradient is computed for every input but a :class:`Constant` (the 2 in ``2 ** x``
    needs no d/d2, which would be 2^x ln 2 and, for a negative base, undefined). The operators
    take the shorter path of :meth:`Value._gate_maker`; this one serves rows with parameters
    (``x ** 2``) and the variadic ones.
    """
    if op.vjp is not None:
        raise TypeError(f"the {op.name!r} gate works on Tensors, not on scalar Values")
    m = scalar_math
    if len(inputs) == 1 and op.partials is not None:  # x ** p: the common case, kept short
        x = inputs[0].data
        kw = op.kwargs(params)
        out = op.forward(m, x, **kw)
        (rule,) = op.partials
        return _make(op, inputs, out,
                     (rule if type(rule) is float else rule(m, out, x, **kw),), params)
    xs = [x.data for x in inputs]
    out = op.forward(m, *xs, **op.kwargs(params))
    if op.partials is None:
        local_grads = op.variadic_partials(m, out, *xs)
        if Constant in map(type, inputs):
            local_grads = tuple(None if x.is_constant else local
                                for x, local in zip(inputs, local_grads))
    else:
        local_grads = op.local_grads(m, out, xs, params, [not x.is_constant for x in inputs])
    return _make(op, inputs, out, local_grads, params)


class Value(Node):
    """A scalar node of a computational circuit.

    Args:
        data: a real number (int, float or numpy scalar).
        label: a name for diagrams and step-through text, e.g. ``"x"``.

    Attributes:
        data (float): the forward value.
        grad (float): d root / d self after ``root.backward()``; 0.0 before.
        label (str): the name given, or ``""``.
        op (str): the gate's symbol, ``""`` for a leaf.
        inputs (tuple[Value, ...]): the operands, in order.
        local_grads (tuple[float | None, ...]): d self / d input for each input (None for a
            Constant whose partial nobody needs, as the 2 in ``2 ** x``).
    """

    __slots__ = ()
    __array_ufunc__ = None  # numpy must not broadcast a Value into an object array
    is_constant = False  # True for a Constant operand, whose gradient nobody asks for
    requires_grad = True

    def __init__(self, data: Number, label: str = ""):
        self.data = _as_float(data, "Value()")
        self.grad = 0.0
        self.inputs = ()
        self.local_grads = ()
        self.input_grads = ()
        self._op = None
        self._meta = None
        if label:
            self.label = label

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self._op is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label}{op})"

    def item(self) -> float:
        return self.data

    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        """The truth of the number, as for a float (and a one-element Tensor, and PyTorch)."""
        return bool(self.data)

    # What the engine needs of a scalar node (the operators come from autograd.operators).
    _math = scalar_math
    _apply = staticmethod(_apply)

    @staticmethod
    def _gate_maker(op: ops.Op):
        """``make(*inputs)`` for a row without parameters, its rules bound once (a constant
        local gradient, as the 1s of ``+``, shares one tuple between all its gates)."""
        if op.structural:
            return None
        m = scalar_math
        forward = op.forward
        rules = op.partials
        if rules is not None and op.arity == 2 and all(type(r) is float for r in rules):
            shared = rules
            first, second = rules

            def make(a, b):
                out = forward(m, a.data, b.data)
                if a.is_constant or b.is_constant:
                    return _make(op, (a, b), out, (None if a.is_constant else first,
                                                   None if b.is_constant else second))
                return _make(op, (a, b), out, shared)
        elif rules is not None and op.arity == 1 and type(rules[0]) is float:
            shared = rules

            def make(a):
                return _make(op, (a,), forward(m, a.data), shared)
        elif op.arity == 2:
            first, second = rules

            def make(a, b):
                x, y = a.data, b.data
                out = forward(m, x, y)
                return _make(op, (a, b), out,
                             (None if a.is_constant else first(m, out, x, y),
                              None if b.is_constant else second(m, out, x, y)))
        elif op.arity == 1:
            (rule,) = rules

            def make(a):
                x = a.data
                out = forward(m, x)
                return _make(op, (a,), out, (rule(m, out, x),))
        else:
            def make(*inputs):
                return _apply(op, inputs)
        return make

    def _operand(self, other: object, symbol: str) -> "Value":
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real):
            return Constant(other)
        return Constant(_as_float(other, f"Value {symbol} ..."))

    def _number_exponent(self, exponent: object):
        if isinstance(exponent, Value):
            return None
        return _as_float(exponent, "Value ** exponent")

    def __matmul__(self, other):
        raise TypeError("@ (matrix product) needs Tensors; for scalars use * or autograd.dot")

    __rmatmul__ = __matmul__

    def _seed(self, gradient) -> float:
        if isinstance(gradient, Value):  # a seed with a graph stays a node, as for a Tensor
            return gradient if gradient.inputs else gradient.data
        return 1.0 if gradient is None else _as_float(gradient, "backward(gradient)")

    @classmethod
    def _constant(cls, data) -> "Value":
        return Constant(data)

    @classmethod
    def _result(cls, data) -> "Value":
        return Value(data)


operators.install(Value)


class Constant(Value):
    """A number used as an operand (the ``2`` in ``2 * x``): a leaf diagrams fold into its gate."""

    __slots__ = ()
    is_constant = True
    requires_grad = False

    def __init__(self, data: Number):
        super().__init__(data)

    def __repr__(self) -> str:
        return f"Constant({self.data!r})"


def _values(items: Iterable, where: str) -> tuple:
    return tuple(v if isinstance(v, Value) else Constant(_as_float(v, where)) for v in items)


def sum(values: Iterable[Union[Value, Number]]) -> Value:  # noqa: A001 - mirrors torch.sum
    """The sum of many Values as one ``sum`` gate (local gradient 1 on every input)."""
    inputs = _values(values, "autograd.sum()")
    if not inputs:
        raise ValueError("autograd.sum() needs at least one value")
    return _apply(ops.SUM, inputs)


def linear(w: Sequence[Value], x: Sequence[Union[Value, Number]], b: Union[Value, Number]) -> Value:
    """w . x + b as one gate: the pre-activation of a neuron, with local gradients x, w and 1."""
    if len(w) != len(x):
        raise ValueError(f"linear(w, x, b) needs as many weights as inputs, got {len(w)} weights "
                         f"and {len(x)} inputs")
    inputs = _values(w, "linear(w, ...)") + _values(x, "linear(..., x, ...)") + _values(
        (b,), "linear(..., b)")
    return _apply(ops.LINEAR, inputs)


def dot(w: Sequence[Value], x: Sequence[Union[Value, Number]]) -> Value:
    """w . x as one gate (a :func:`linear` gate with bias 0)."""
    return linear(w, x, 0.0)


