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

from . import gates, ops, scalar_math
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
    node._op = op
    gate = gates.innermost_gate()
    node._meta = (NodeMeta("", params, gates.live_gate(gate))
                  if (gate is not None or params) else None)
    return node


def _binary(op: ops.Op, a: "Value", b: "Value") -> "Value":
    x, y = a.data, b.data
    out = op.forward(scalar_math, x, y)
    return _make(op, (a, b), out, op.partials(scalar_math, out, x, y))


def _unary(op: ops.Op, a: "Value") -> "Value":
    x = a.data
    out = op.forward(scalar_math, x)
    return _make(op, (a,), out, op.partials(scalar_math, out, x))


def _pow_value(a: "Value", b: "Value") -> "Value":
    """a ** b with a Value exponent. Its rule has one partial per input, each computed only for
    an input that is not a :class:`Constant`: ``2 ** x`` needs no d/d2, and ``x ** Constant(2)``
    no d/db (which would need log(x), undefined for x < 0)."""
    op = ops.POW_VALUE
    x, y = a.data, b.data
    out = op.forward(scalar_math, x, y)
    local_grads = ops.local_gradients(op, scalar_math, out, (x, y),
                                      needed=(not a.is_constant, not b.is_constant))
    return _make(op, (a, b), out, local_grads)


def _operand(other: object, symbol: str) -> "Value":
    """The other operand of a binary operator as a Value (a number becomes a :class:`Constant`)."""
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real):
        return Constant(other)
    return Constant(_as_float(other, f"Value {symbol} ..."))


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

    def __init__(self, data: Number, label: str = ""):
        self.data = _as_float(data, "Value()")
        self.grad = 0.0
        self.inputs = ()
        self.local_grads = ()
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

    # The circuit's gates. Each builds one node from one row of the op table.
    def __add__(self, other):
        return _binary(ops.ADD, self, _operand(other, "+"))

    def __radd__(self, other):
        return _binary(ops.ADD, _operand(other, "+"), self)

    def __sub__(self, other):
        return _binary(ops.SUB, self, _operand(other, "-"))

    def __rsub__(self, other):
        return _binary(ops.SUB, _operand(other, "-"), self)

    def __mul__(self, other):
        return _binary(ops.MUL, self, _operand(other, "*"))

    def __rmul__(self, other):
        return _binary(ops.MUL, _operand(other, "*"), self)

    def __truediv__(self, other):
        return _binary(ops.DIV, self, _operand(other, "/"))

    def __rtruediv__(self, other):
        return _binary(ops.DIV, _operand(other, "/"), self)

    def __neg__(self):
        return _unary(ops.NEG, self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            return _pow_value(self, exponent)
        p = _as_float(exponent, "Value ** exponent")
        x = self.data
        out = ops.POW.forward(scalar_math, x, p)
        return _make(ops.POW, (self,), out, ops.POW.partials(scalar_math, out, x, p), (p,))

    def __rpow__(self, base):
        return _pow_value(_operand(base, "**"), self)

    def __abs__(self):
        return _unary(ops.ABS, self)

    def exp(self) -> "Value":
        return _unary(ops.EXP, self)

    def log(self) -> "Value":
        return _unary(ops.LOG, self)

    def tanh(self) -> "Value":
        return _unary(ops.TANH, self)

    def sigmoid(self) -> "Value":
        return _unary(ops.SIGMOID, self)

    def relu(self) -> "Value":
        return _unary(ops.RELU, self)

    def abs(self) -> "Value":
        return _unary(ops.ABS, self)

    def sqrt(self) -> "Value":
        return _unary(ops.SQRT, self)

    # How gradients flow through a scalar gate: upstream times local, added to each input. A local
    # gradient is None for a Constant input whose partial was not computed (see _pow_value).
    def _seed(self, gradient) -> None:
        seed = 1.0 if gradient is None else _as_float(gradient, "backward(gradient)")
        if self.inputs:
            self.grad = seed
        else:
            self.grad += seed

    def _propagate(self) -> None:
        g = self.grad
        for x, local in zip(self.inputs, self.local_grads):
            if local is not None:
                x.grad += local * g

    def _contributions(self) -> list:
        g = self.grad
        return [(x, local, local * g) for x, local in zip(self.inputs, self.local_grads)
                if local is not None]

    def _apply(self, contributions: list) -> None:
        for x, _, product in contributions:
            x.grad += product


class Constant(Value):
    """A number used as an operand (the ``2`` in ``2 * x``): a leaf diagrams fold into its gate."""

    __slots__ = ()
    is_constant = True

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
    xs = tuple(v.data for v in inputs)
    out = ops.SUM.forward(scalar_math, *xs)
    return _make(ops.SUM, inputs, out, ops.SUM.partials(scalar_math, out, *xs))


def linear(w: Sequence[Value], x: Sequence[Union[Value, Number]], b: Union[Value, Number]) -> Value:
    """w . x + b as one gate: the pre-activation of a neuron, with local gradients x, w and 1."""
    if len(w) != len(x):
        raise ValueError(f"linear(w, x, b) needs as many weights as inputs, got {len(w)} weights "
                         f"and {len(x)} inputs")
    inputs = _values(w, "linear(w, ...)") + _values(x, "linear(..., x, ...)") + _values(
        (b,), "linear(..., b)")
    wxb = tuple(v.data for v in inputs)
    out = ops.LINEAR.forward(scalar_math, *wxb)
    return _make(ops.LINEAR, inputs, out, ops.LINEAR.partials(scalar_math, out, *wxb))


def dot(w: Sequence[Value], x: Sequence[Union[Value, Number]]) -> Value:
    """w . x as one gate (a :func:`linear` gate with bias 0)."""
    return linear(w, x, 0.0)


