"""The op table: every operation circuitgrad knows, its forward and its local gradient side by side.

Each row is an :class:`Op`. The scalar :class:`~autograd.Value` and the numpy-backed
:class:`~autograd.Tensor` both build their nodes from these rows, so an operation is defined once.

Two kinds of rule:

* **Elementwise** rows give ``partials(m, out, *xs, *params)``: the local gradients
  d out / d x_i, one per input, evaluated at the forward values. For a Value they are floats stored
  on the node as ``.local_grads`` (the numbers a circuit diagram writes on its wires); the backward
  pass multiplies each by the upstream gradient ``g``. For a Tensor they are arrays (or scalars)
  that broadcast against ``out``, and the engine sums ``g * partial`` back down to each input's
  shape, so no rule ever deals with broadcasting.
* **Structural** rows (matrix product, reductions, indexing) give ``vjp(g, out, *xs, *params)``:
  the vector-Jacobian product, returning one gradient per input, already in that input's shape.

``m`` is the math namespace: :mod:`autograd.scalar_math` for floats, :mod:`autograd.array_math`
for arrays. Both offer the same names and honour strict mode. ``params`` are non-differentiable
arguments of the operation (a number exponent, an axis) kept on the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

__all__ = ["Op", "ELEMENTWISE", "ALL_OPS",
           "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "POW_VALUE", "EXP", "LOG", "TANH", "SIGMOID",
           "RELU", "ABS", "SQRT", "SUM", "LINEAR"]


@dataclass(frozen=True, eq=False)
class Op:
    """One row of the op table.

    Attributes:
        name: identifier, e.g. ``"mul"``.
        symbol: what the gate shows in a diagram and what ``node.op`` returns, e.g. ``"*"``.
        forward: ``forward(m, *xs, *params) -> out``.
        partials: for elementwise rows, ``partials(m, out, *xs, *params) -> tuple`` of local
            gradients d out / d x_i.
        vjp: for structural rows, ``vjp(g, out, *xs, *params) -> tuple`` of input gradients.
        math: the local-gradient rule in words, shown by diagrams and docs.
    """

    name: str
    symbol: str
    forward: Callable[..., Any]
    partials: Optional[Callable[..., tuple]] = None
    vjp: Optional[Callable[..., tuple]] = None
    math: str = ""

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.symbol!r})"


ONE_ONE = (1.0, 1.0)
ONE_MINUS_ONE = (1.0, -1.0)
MINUS_ONE = (-1.0,)

ADD = Op("add", "+",
         forward=lambda m, a, b: a + b,
         partials=lambda m, out, a, b: ONE_ONE,
         math="d(a+b)/da = 1, d(a+b)/db = 1")
SUB = Op("sub", "-",
         forward=lambda m, a, b: a - b,
         partials=lambda m, out, a, b: ONE_MINUS_ONE,
         math="d(a-b)/da = 1, d(a-b)/db = -1")
MUL = Op("mul", "*",
         forward=lambda m, a, b: a * b,
         partials=lambda m, out, a, b: (b, a),
         math="d(ab)/da = b, d(ab)/db = a")
DIV = Op("div", "/",
         forward=lambda m, a, b: m.div(a, b, "a / b"),
         partials=lambda m, out, a, b: (m.div(1.0, b, "1 / b"), -m.div(out, b, "(a/b) / b")),
         math="d(a/b)/da = 1/b, d(a/b)/db = -a/b^2")
NEG = Op("neg", "*-1",
         forward=lambda m, x: -x,
         partials=lambda m, out, x: MINUS_ONE,
         math="d(-x)/dx = -1")
POW = Op("pow", "**",
         forward=lambda m, x, p: m.pow(x, p),
         partials=lambda m, out, x, p: (p * m.pow(x, p - 1.0),),
         math="d(x^p)/dx = p x^(p-1)  (p a number)")
POW_VALUE = Op("pow_value", "**",
               forward=lambda m, a, b: m.pow(a, b),
               partials=lambda m, out, a, b: (b * m.pow(a, b - 1.0), out * m.log(a)),
               math="d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a")
EXP = Op("exp", "exp",
         forward=lambda m, x: m.exp(x),
         partials=lambda m, out, x: (out,),
         math="d exp(x)/dx = exp(x)")
LOG = Op("log", "log",
         forward=lambda m, x: m.log(x),
         partials=lambda m, out, x: (m.div(1.0, x, "1 / x"),),
         math="d log(x)/dx = 1/x")
TANH = Op("tanh", "tanh",
          forward=lambda m, x: m.tanh(x),
          partials=lambda m, out, x: (1.0 - out * out,),
          math="d tanh(x)/dx = 1 - tanh(x)^2")
SIGMOID = Op("sigmoid", "sigmoid",
             forward=lambda m, x: m.sigmoid(x),
             partials=lambda m, out, x: (out * (1.0 - out),),
             math="d sigmoid(x)/dx = (1 - s) s")
RELU = Op("relu", "relu",
          forward=lambda m, x: m.maximum(x, 0.0),
          partials=lambda m, out, x: (m.step(x),),
          math="d relu(x)/dx = 1 if x > 0 else 0")
ABS = Op("abs", "abs",
         forward=lambda m, x: abs(x),
         partials=lambda m, out, x: (m.sign(x),),
         math="d|x|/dx = sign(x)")
SQRT = Op("sqrt", "sqrt",
          forward=lambda m, x: m.sqrt(x),
          partials=lambda m, out, x: (m.div(0.5, out, "0.5 / sqrt(x)"),),
          math="d sqrt(x)/dx = 1 / (2 sqrt(x))")

# Variadic rows for the scalar engine: one node instead of a chain of binary gates.
SUM = Op("sum", "sum",
         forward=lambda m, *xs: m.fsum(xs),
         partials=lambda m, out, *xs: (1.0,) * len(xs),
         math="d(x_1 + ... + x_n)/dx_i = 1")
LINEAR = Op("linear", "w·x+b",
            forward=lambda m, *wxb: m.affine(wxb),
            partials=lambda m, out, *wxb: m.affine_partials(wxb),
            math="inputs w_1..w_n, x_1..x_n, b:  d/dw_i = x_i, d/dx_i = w_i, d/db = 1")

ELEMENTWISE = (ADD, SUB, MUL, DIV, NEG, POW, POW_VALUE, EXP, LOG, TANH, SIGMOID, RELU, ABS, SQRT)
ALL_OPS = ELEMENTWISE + (SUM, LINEAR)
