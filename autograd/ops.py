"""The op table: every operation circuitgrad knows, its forward and its local gradient side by side.

Each row is an :class:`Op`. The scalar :class:`~autograd.Value` and the numpy-backed
:class:`~autograd.Tensor` both build their nodes from these rows, so an operation is defined once.

Two kinds of rule:

* **Elementwise** rows give ``partials``: the local gradients d out / d x_i, one per input,
  evaluated at the forward values. Either one function ``partials(m, out, *xs, *params)``
  returning all of them as a tuple (cheap rules: ``+``, ``*``, ``exp``), or, like ``vjp``, a
  tuple of one function per input, ``partials[i](m, out, *xs, *params)``, when a partial can be
  costly or undefined where the other input needs none: ``a ** b`` has d/db = a^b ln a, which
  does not exist for a negative base, so ``x ** np.array([2., 3.])`` or ``2 ** x`` must not ask
  for it. :func:`local_gradients` evaluates either form, giving None for an input whose gradient
  is not needed (a Tensor with ``requires_grad=False``, a Value :class:`~autograd.Constant`).
  For a Value the partials are floats stored on the node as ``.local_grads`` (the numbers a
  circuit diagram writes on its wires); the backward pass multiplies each by the upstream
  gradient ``g``. For a Tensor they are arrays (or scalars) that broadcast against ``out``, and
  the engine sums ``g * partial`` back down to each input's shape, so no rule ever deals with
  broadcasting.
* **Structural** rows (matrix product, reductions, indexing) give ``vjp(g, out, *xs, *params)``:
  the vector-Jacobian product, returning one gradient per input, already in that input's shape.

``m`` is the math namespace: :mod:`autograd.scalar_math` for floats, :mod:`autograd.array_math`
for arrays. Both offer the same names and honour strict mode, in which an infinite local gradient
(d sqrt(x)/dx at x = 0) raises too, naming the derivative. Both refuse the same things, at
different times: a Value computes its partials when it is built, so ``Value(0.0).sqrt()`` raises
at once; a Tensor computes them when the backward pass reaches it, so ``backward()`` raises.
``params`` are non-differentiable arguments of the operation (a number exponent, an axis) kept on
the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

from . import array_math

__all__ = ["Op", "local_gradients", "ELEMENTWISE", "STRUCTURAL", "ALL_OPS",
           "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "POW_VALUE", "EXP", "LOG", "TANH", "SIGMOID",
           "RELU", "ABS", "SQRT", "SUM", "LINEAR",
           "MATMUL", "TRANSPOSE", "RESHAPE", "REDUCE_SUM", "MEAN", "MAX", "INDEX", "LOGSUMEXP",
           "SUM_SQUARES"]


@dataclass(frozen=True, eq=False)
class Op:
    """One row of the op table.

    Attributes:
        name: identifier, e.g. ``"mul"``.
        symbol: what the gate shows in a diagram and what ``node.op`` returns, e.g. ``"*"``.
        forward: ``forward(m, *xs, *params) -> out``.
        partials: for elementwise rows, ``partials(m, out, *xs, *params) -> tuple`` of local
            gradients d out / d x_i, or a tuple with one such function per input (see
            :func:`local_gradients`).
        vjp: for structural rows, a tuple with one rule per input,
            ``vjp[i](g, out, *xs, *params) -> gradient of input i`` (so the engine computes only
            the gradients it needs; a batch dimension may be left for the engine to sum).
        math: the local-gradient rule in words, shown by diagrams and docs.
    """

    name: str
    symbol: str
    forward: Callable[..., Any]
    partials: Union[None, Callable[..., tuple], Tuple[Callable[..., Any], ...]] = None
    vjp: Optional[Callable[..., tuple]] = None
    math: str = ""

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.symbol!r})"


def local_gradients(op: Op, m: Any, out: Any, xs: Sequence[Any], params: tuple = (),
                    needed: Optional[Sequence[bool]] = None) -> tuple:
    """The local gradients d out / d x_i of an elementwise row at the forward values.

    Args:
        op: an elementwise row.
        m: the math namespace (:mod:`autograd.scalar_math` or :mod:`autograd.array_math`).
        out: the forward result.
        xs: the inputs' values.
        params: the op's parameters.
        needed: one flag per input, True where its gradient is wanted (all if None). A row with
            one rule per input evaluates only the wanted ones and gives None for the others; a
            row with one function for all inputs computes every partial (they are cheap).

    Returns:
        One local gradient (or None) per input.
    """
    rule = op.partials
    if type(rule) is tuple:
        if needed is None:
            return tuple(partial(m, out, *xs, *params) for partial in rule)
        return tuple(partial(m, out, *xs, *params) if wanted else None
                     for partial, wanted in zip(rule, needed))
    return rule(m, out, *xs, *params)


ONE_ONE = (1.0, 1.0)
ONE_MINUS_ONE = (1.0, -1.0)
MINUS_ONE = (-1.0,)

ADD = Op("add", "+",
         forward=lambda m, a, b: m.add(a, b),
         partials=lambda m, out, a, b: ONE_ONE,
         math="d(a+b)/da = 1, d(a+b)/db = 1")
SUB = Op("sub", "-",
         forward=lambda m, a, b: m.sub(a, b),
         partials=lambda m, out, a, b: ONE_MINUS_ONE,
         math="d(a-b)/da = 1, d(a-b)/db = -1")
MUL = Op("mul", "*",
         forward=lambda m, a, b: m.mul(a, b),
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
         partials=lambda m, out, x, p: (m.pow_slope(x, p),),  # p x^(p-1)
         math="d(x^p)/dx = p x^(p-1)  (p a number)")
POW_VALUE = Op("pow_value", "**",
               forward=lambda m, a, b: m.pow(a, b),
               # one rule per input: d/db needs log(a), which 2 ** x has but (-2) ** 2 has not
               partials=(lambda m, out, a, b: m.pow_slope(a, b),  # b a^(b-1)
                         lambda m, out, a, b: m.xlogy(out, a, "d(a ** b)/db = a ** b * log(a)")),
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
          partials=lambda m, out, x: (m.sqrt_slope(out),),  # 0.5 / out
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


# ---------------------------------------------------------------------------------------------
# Structural rows (Tensor): rules that move, reduce or pick entries, given as vector-Jacobian
# products, one per input. ``g`` is the upstream gradient (shaped like ``out``); each rule returns
# the gradient of its input. Params follow the inputs and are omitted when they take their
# default, so ``x.sum()`` is a node with ``params == ()`` and ``x.sum(axis=1)`` one with ``(1,)``.
# ---------------------------------------------------------------------------------------------
_expand = array_math.expand_reduced

MATMUL = Op("matmul", "@",
            forward=lambda m, a, b: a @ b,
            vjp=(lambda g, out, a, b: array_math.matmul_grad_a(g, a, b),  # g @ b.T
                 lambda g, out, a, b: array_math.matmul_grad_b(g, a, b)),  # a.T @ g
            math="d(A@B): dA = g @ B.T, dB = A.T @ g")
TRANSPOSE = Op("transpose", "transpose",
               forward=lambda m, x, axes=None: np.transpose(x, axes),
               # undo the permutation: axes reversed, or the inverse permutation argsort(axes)
               vjp=(lambda g, out, x, axes=None: np.transpose(
                   g, None if axes is None else np.argsort(axes)),),
               math="dx = g with the axes permuted back")
RESHAPE = Op("reshape", "reshape",
             forward=lambda m, x, shape: np.reshape(x, shape),
             vjp=(lambda g, out, x, shape: np.reshape(g, x.shape),),
             math="dx = g reshaped to x's shape")
REDUCE_SUM = Op("reduce_sum", "sum",
                forward=lambda m, x, axis=None, keepdims=False: np.sum(x, axis, keepdims=keepdims),
                # every summed entry gets the upstream gradient of its sum
                vjp=(lambda g, out, x, axis=None, keepdims=False: np.broadcast_to(
                    _expand(g, axis, keepdims), x.shape),),
                math="d sum(x)/dx_i = 1: dx = g broadcast back over the summed axes")
MEAN = Op("mean", "mean",
          forward=lambda m, x, axis=None, keepdims=False: np.mean(x, axis, keepdims=keepdims),
          vjp=(lambda g, out, x, axis=None, keepdims=False: np.broadcast_to(
              _expand(g, axis, keepdims) / (x.size // max(out.size, 1)), x.shape),),
          math="d mean(x)/dx_i = 1/n: dx = g / n broadcast back over the averaged axes")
MAX = Op("max", "max",
         forward=lambda m, x, axis=None, keepdims=False: np.max(x, axis, keepdims=keepdims),
         vjp=(lambda g, out, x, axis=None, keepdims=False: array_math.max_grad(
             g, out, x, axis, keepdims),),
         math="d max(x)/dx_i = 1 at the maximum (split evenly between ties), 0 elsewhere")
INDEX = Op("index", "index",
           forward=lambda m, x, key: x[key.key],
           vjp=(lambda g, out, x, key: array_math.index_grad(g, x, key.key),),
           math="dx = g put back where the entries were taken from (repeats add up)")
LOGSUMEXP = Op("logsumexp", "logsumexp",
               forward=lambda m, x, axis=None, keepdims=False: m.logsumexp(x, axis, keepdims),
               # d/dx_i log sum_j exp(x_j) = exp(x_i) / sum_j exp(x_j): the softmax
               vjp=(lambda g, out, x, axis=None, keepdims=False: array_math.softmax(
                   x, axis) * _expand(g, axis, keepdims),),
               math="d logsumexp(x)/dx_i = exp(x_i - logsumexp(x)) = softmax(x)_i")

SUM_SQUARES = Op("sum_squares", "Σx²",
                 forward=lambda m, x: np.vdot(x, x),
                 vjp=(lambda g, out, x: (2.0 * g) * x,),
                 math="d sum(x^2)/dx_i = 2 x_i: one array the size of x, made in backward only")

STRUCTURAL = (MATMUL, TRANSPOSE, RESHAPE, REDUCE_SUM, MEAN, MAX, INDEX, LOGSUMEXP,
              SUM_SQUARES)
ALL_OPS = ELEMENTWISE + (SUM, LINEAR) + STRUCTURAL
