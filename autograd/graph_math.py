"""The math namespace for graph nodes: how gradients of gradients are built from the same rows.

With ``autograd.grad(..., create_graph=True)`` the backward walk evaluates every rule of
:mod:`autograd.ops` with this module as ``m`` and with Values or Tensors in place of numbers: the
rule ``d tanh(x) = 1 - out * out`` then *builds* the gates ``out * out`` and ``1 - ...``, and the
product ``g * local`` is a ``*`` gate. The gradient that comes out is an ordinary graph, which can
be differentiated again, drawn and stepped through.

Each name does with nodes what :mod:`autograd.array_math` (or :mod:`autograd.scalar_math`) does
with numbers. Derivatives that are piecewise constant (``step`` for relu, ``sign`` for abs, the
maximum's mask) become constants: their own derivative is zero almost everywhere. Any elementwise
function of the op table that is not written out here (``m.cos`` in the rule of ``sin``) is the
node method of the same name (``x.cos()``), found through the table's ``method`` column, so a new
row needs nothing here.
"""

from __future__ import annotations

import contextlib
from typing import Any, Tuple

import numpy as np

from . import array_math, scalar_math

__all__ = ["quietly", "times", "fresh", "fit", "add", "sub", "mul", "div", "pow", "pow_slope", "xlogy", "sqrt_slope",
           "step", "sign", "fsum", "affine", "affine_partials", "shape", "size", "matmul",
           "matmul_grad_a", "matmul_grad_b", "transpose", "inverse_axes", "reshape",
           "expand_reduced", "broadcast_to", "unbroadcast", "reduce_sum", "mean", "reduce_max",
           "logsumexp", "softmax", "max_grad", "index", "scatter", "sum_squares"]


def _constant(like: Any, data: Any) -> Any:
    """A node that holds ``data`` and needs no gradient, of the same kind as ``like``."""
    return type(like)._constant(data)


def _is_node(x: Any) -> bool:
    return hasattr(x, "inputs")


_AS_IS = contextlib.nullcontext()


def quietly() -> contextlib.nullcontext:
    """The floating-point context of a backward step: the gates check strict mode themselves."""
    return _AS_IS


def fresh(product: Any, g: Any) -> bool:
    """Whether a product is an array of its own to adopt as a gradient: a node never is."""
    return False


times = array_math.times
"""The chain rule's product as a gate, ``g * local`` (or ``g``, ``-g`` for a local gradient of
1 or -1): the array rule, whose operators build gates when ``g`` is a node."""


def fit(product: Any, like: Any, op: Any) -> Any:
    """A gradient contribution in its input's shape: broadcast axes summed away by gates."""
    target = np.shape(like)
    if not _is_node(product) or np.shape(product.data) == target:
        return product
    return unbroadcast(product, target)


def add(a: Any, b: Any) -> Any:
    return a + b


def sub(a: Any, b: Any) -> Any:
    return a - b


def mul(a: Any, b: Any) -> Any:
    return a * b


def div(a: Any, b: Any, what: str = "a / b") -> Any:
    return a / b


def pow(a: Any, b: Any) -> Any:  # noqa: A001 - the name the op table uses
    return a ** b


def pow_slope(x: Any, p: Any) -> Any:
    """d(x ** p)/dx = p x^(p - 1) as gates (a number ``p``, or a node exponent)."""
    if type(p) is float:
        if p == 0.0:
            return 0.0
        if p == 1.0:
            return 1.0
        return p * x ** (p - 1.0)
    return p * x ** (p - 1.0)


def xlogy(x: Any, y: Any, what: str = "x * log(y)") -> Any:
    """x log(y) as gates; 0 where x is 0 (d(0 ** b)/db = 0, as for numbers): there y is replaced
    by the constant 1, so no log of 0 is taken and the entry stays 0 when differentiated again."""
    zero = np.equal(x.data, 0.0)
    if np.all(zero):
        return 0.0
    if np.any(zero):
        keep = _constant(y, (~zero).astype(y.data.dtype))
        y = y * keep + (1.0 - keep)
    return x * y.log()


def sqrt_slope(out: Any) -> Any:
    return 0.5 / out  # d sqrt(x) = 1 / (2 sqrt(x))


def step(x: Any) -> Any:
    return _constant(x, _numbers(x).step(x.data))


def sign(x: Any) -> Any:
    return _constant(x, _numbers(x).sign(x.data))


def _numbers(x: Any) -> Any:
    return array_math if isinstance(x.data, np.ndarray) else scalar_math


# The variadic scalar rows.
def fsum(xs: Tuple[Any, ...]) -> Any:
    from .value import sum as value_sum
    return value_sum(xs)


def affine(wxb: Tuple[Any, ...]) -> Any:
    from .value import linear
    n = len(wxb) // 2
    return linear(wxb[:n], wxb[n:2 * n], wxb[-1])


affine_partials = scalar_math.affine_partials  # slices of the input tuple: works on nodes too


# Structural rules on Tensor nodes.
def shape(x: Any) -> Tuple[int, ...]:
    return x.shape


def size(x: Any) -> int:
    return x.size


def matmul(a: Any, b: Any) -> Any:
    return a @ b


def _swap_last(x: Any) -> Any:
    if x.ndim == 2:
        return x.transpose()  # no axes to invert when its gradient is taken
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(tuple(axes))


def _append_axis(x: Any) -> Any:
    return x.reshape(tuple(x.shape) + (1,))


def _drop_last_axis(x: Any) -> Any:
    return x.reshape(tuple(x.shape[:-1]))


def matmul_grad_a(g: Any, a: Any, b: Any) -> Any:
    """g @ b.T with numpy's rules for 1-D and stacked operands, as gates."""
    if b.ndim == 1:
        return g * b if a.ndim == 1 else _append_axis(g) * b
    if a.ndim == 1:
        return _drop_last_axis(b @ _append_axis(g))
    return g @ _swap_last(b)


def matmul_grad_b(g: Any, a: Any, b: Any) -> Any:
    """a.T @ g with numpy's rules for 1-D and stacked operands, as gates."""
    if a.ndim == 1:
        if b.ndim == 1:
            return g * a
        shape_g = tuple(g.shape)
        return a.reshape((a.shape[0], 1)) * g.reshape(shape_g[:-1] + (1,) + shape_g[-1:])
    if b.ndim == 1:
        return _drop_last_axis(_swap_last(a) @ _append_axis(g))
    return _swap_last(a) @ g


def transpose(x: Any, axes: Any = None) -> Any:
    return x.transpose(axes) if axes is not None else x.transpose()


inverse_axes = array_math.inverse_axes


def reshape(x: Any, shape: Tuple[int, ...]) -> Any:
    return x.reshape(tuple(shape))


def expand_reduced(g: Any, axis: Any, keepdims: bool) -> Any:
    if keepdims or axis is None or g.ndim == 0:
        return g
    return g.reshape(np.expand_dims(g.data, axis).shape)


def broadcast_to(x: Any, shape: Tuple[int, ...]) -> Any:
    return x if tuple(x.shape) == tuple(shape) else x.expand(shape)


def unbroadcast(g: Any, shape: Tuple[int, ...]) -> Any:
    """Sum ``g`` down to ``shape`` with gates: the adjoint of broadcasting."""
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(tuple(shape)) if tuple(g.shape) != tuple(shape) else g


def reduce_sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return x.sum(axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return x.mean(axis, keepdims)


def reduce_max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return x.max(axis, keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return x.logsumexp(axis, keepdims)


def softmax(x: Any, axis: Any = None) -> Any:
    """exp(x - logsumexp(x)) as gates: the local gradient of logsumexp, differentiable again."""
    return (x - x.logsumexp(axis, keepdims=True)).exp()


def max_grad(g: Any, out: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """g at the maximum of each slice (split evenly between ties): a constant mask times g."""
    at_max = x.data == array_math.expand_reduced(out.data, axis, keepdims)
    share = at_max / np.sum(at_max, axis=axis, keepdims=True)
    return _constant(x, share.astype(x.data.dtype)) * expand_reduced(g, axis, keepdims)


def index(x: Any, key: Any) -> Any:
    return x[key.key]


def scatter(g: Any, key: Any, shape: Tuple[int, ...]) -> Any:
    from . import ops
    from .tensor import apply
    return apply(ops.SCATTER, (g,), key=key, shape=tuple(shape))


def sum_squares(x: Any) -> Any:
    return x.sum_of_squares()


def __getattr__(name: str) -> Any:
    """An elementwise function of the op table as its node method: ``cos(x)`` is ``x.cos()``."""
    from . import ops
    for op in ops.ELEMENTWISE:
        if op.method == name:
            return lambda x: getattr(x, name)()
    raise AttributeError(f"module 'autograd.graph_math' has no attribute {name!r}")
