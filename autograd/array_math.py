"""The math namespace the op table uses for numpy arrays: :mod:`autograd.scalar_math`, elementwise.

Every rule in :mod:`autograd.ops` is written once against a namespace ``m``. For the
:class:`~autograd.Tensor` that namespace is this module: the same names as ``scalar_math``
(``exp``, ``log``, ``div``, ``pow`` ...) over float64 arrays, plus a few helpers the structural
rows need (matrix-product gradients, ``logsumexp``).

Strict mode (:mod:`autograd.modes`) works as for scalars, at no cost when nothing goes wrong:
the operation runs under ``np.errstate(..., 'raise')``, so numpy's floating-point flags, not an
extra pass over the data, detect a bad entry. Only then is the array searched, and the error names
the operation, how many entries are bad and the first bad value::

    DomainError: log(x) needs x > 0, got 2 bad entries of 6, the first x = -1.0

As for floats, ``+ - * /`` raise where they make an inf from finite operands or a nan from
operands that are not nan (numpy's ``over`` and ``invalid`` flags say exactly that)::

    OverflowError: a * b overflows float64: 1 bad entry of 3, the first at a = 1e+308, b = 10.0

With strict mode off the IEEE 754 results (``inf``, ``-inf``, ``nan``) come back silently: numpy's
warnings are suppressed.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Tuple, Union

import numpy as np

from . import modes, scalar_math

__all__ = ["add", "sub", "mul", "div", "relu", "abs", "times", "fresh", "fit", "quietly", "shape", "size",
           "matmul", "transpose", "inverse_axes", "reshape", "reduce_sum", "mean", "reduce_max",
           "broadcast_to", "index", "scatter", "sum_squares", "exp", "log", "sin", "cos", "xlogy", "tanh",
           "sigmoid", "sqrt", "sqrt_slope", "pow",
           "pow_slope", "sign", "step",
           "maximum", "logsumexp", "softmax", "matmul_grad_a", "matmul_grad_b", "expand_reduced",
           "unbroadcast", "max_grad", "IndexKey"]

Axis = Union[None, int, Tuple[int, ...]]

def _ignore() -> np.errstate:
    return np.errstate(all="ignore")


def _strictly(compute: Callable[[], Any], flags: Tuple[str, ...],
              explain: Callable[[], Any]) -> Any:
    """``compute()`` as strict mode wants it: the one place that reads numpy's error flags.

    Strict mode off: the IEEE result, numpy's warnings silenced. Strict mode on: ``compute`` runs
    with numpy raising on the floating-point ``flags`` (underflow to 0 is always fine); if one is
    raised, ``explain()`` runs. It raises the error that names the operation and the first bad
    entry, or returns the IEEE result when no entry is at fault (an inf or nan passed in gives inf
    or nan, as for floats).
    """
    if not modes.STRICT.get():
        with _ignore():
            return compute()
    raising = _RAISING.get(flags)
    if raising is None:
        raising = _RAISING[flags] = {"under": "ignore", **dict.fromkeys(flags, "raise")}
    try:
        with np.errstate(**raising):
            return compute()
    except FloatingPointError:
        pass
    return explain()


_RAISING = {("over", "invalid"): {"under": "ignore", "over": "raise", "invalid": "raise"}}
"""np.errstate's keywords for each tuple of flags strict mode raises on, made once."""


def _bad_entries(bad: np.ndarray, values: Any, name: str) -> str:
    """'2 bad entries of 6, the first x = -1.0': what strict-mode errors report about an array."""
    bad = np.asarray(bad)
    count = int(np.count_nonzero(bad))
    noun = "entry" if count == 1 else "entries"
    text = f"{count} bad {noun} of {bad.size}"
    if count:
        first = np.broadcast_to(values, bad.shape)[bad].flat[0]
        text += f", the first {name} = {float(first)!r}"
    return text


_MADE_NON_FINITE = ("over", "invalid")


def add(a: Any, b: Any) -> np.ndarray:
    return _checked(np.add, a, b, "a + b")


def sub(a: Any, b: Any) -> np.ndarray:
    return _checked(np.subtract, a, b, "a - b")


def mul(a: Any, b: Any) -> np.ndarray:
    return _checked(np.multiply, a, b, "a * b")


def _checked(ufunc: np.ufunc, a: Any, b: Any, what: str) -> np.ndarray:
    """``ufunc(a, b)`` with the strict-mode check of :func:`_strictly`, written out: ``+ - *``
    are the commonest gates, and two lambdas per call are a tenth of the check's cost."""
    if not modes.STRICT.get():
        with _ignore():
            return ufunc(a, b)
    try:
        with np.errstate(**_RAISING[_MADE_NON_FINITE]):
            return ufunc(a, b)
    except FloatingPointError:
        return _non_finite(ufunc, a, b, what)


def _non_finite(ufunc: np.ufunc, a: Any, b: Any, what: str,
                names: Tuple[str, str] = ("a", "b")) -> np.ndarray:
    """``ufunc(a, b)`` after a floating-point flag: an error for the entries where it made an
    inf from finite operands or a nan from operands that are not nan, else the IEEE result (an
    inf or nan passed in gives its IEEE result, as in PyTorch)."""
    with _ignore():
        out = ufunc(a, b)
    overflowed = np.isinf(out) & np.isfinite(a) & np.isfinite(b)
    if np.any(overflowed):
        raise modes.overflow(f"{what} overflows {out.dtype}: "
                             f"{_bad_pairs(overflowed, a, b, names)}")
    undefined = np.isnan(out) & ~np.isnan(a) & ~np.isnan(b)
    if np.any(undefined):
        raise modes.domain_error(f"{what} is undefined (nan): "
                                 f"{_bad_pairs(undefined, a, b, names)}")
    return out


def _bad_pairs(bad: np.ndarray, a: Any, b: Any, names: Tuple[str, str]) -> str:
    """'1 bad entry of 3, the first at a = 1e+308, b = 10.0'."""
    count = int(np.count_nonzero(bad))
    first = np.flatnonzero(bad)[0]
    at = ", ".join(f"{name} = {float(np.broadcast_to(v, bad.shape).flat[first])!r}"
                   for name, v in zip(names, (a, b)))
    return f"{count} bad {'entry' if count == 1 else 'entries'} of {bad.size}, the first at {at}"


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def abs(x: np.ndarray) -> np.ndarray:  # noqa: A001 - the name the op table uses
    return np.abs(x)


def quietly() -> Any:
    """The floating-point context of a backward step: numpy as is in strict mode (the rules check
    what they must), its inf/nan warnings silenced otherwise."""
    return _AS_IS if modes.STRICT.get() else np.errstate(all="ignore")


_AS_IS = contextlib.nullcontext()


def fresh(product: Any, g: Any) -> bool:
    """Whether ``product`` is an array the rule just made, shared with nothing (not ``g``, not a
    view or broadcast of anything), so a pass may adopt it as a gradient without copying."""
    return (type(product) is np.ndarray and product.base is None and product is not g
            and product.flags.writeable and product.ndim > 0)


def times(g: np.ndarray, local: Any) -> Any:
    """The chain rule's product for one wire, g * local, skipped when local is the number 1 or -1
    (an add gate passes g itself on)."""
    if type(local) is float:
        if local == 1.0:
            return g
        if local == -1.0:
            return -g
    return g * local


def fit(product: Any, like: np.ndarray, op: Any) -> np.ndarray:
    """A gradient contribution as an array of its input's shape and dtype: broadcast axes summed
    away, the float64 product of a float32 input cast to float32.

    Raises:
        RuntimeError: if the product still has another shape: a rule of ``op`` is wrong.
    """
    if type(product) is not np.ndarray:
        product = np.asarray(product)
    target = like.shape
    if product.shape != target:
        product = unbroadcast(product, target)
        if product.shape != target:
            raise RuntimeError(f"internal error in the {op.name!r} gate: its gradient rule gave "
                               f"an input of shape {target} a gradient of shape {product.shape} "
                               f"(please report this)")
    if product.dtype != like.dtype:
        product = product.astype(like.dtype)
    return product


def shape(x: np.ndarray) -> Tuple[int, ...]:
    return np.shape(x)


def size(x: np.ndarray) -> int:
    return np.size(x)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


def transpose(x: np.ndarray, axes: Any = None) -> np.ndarray:
    return np.transpose(x, axes)


def inverse_axes(axes: Any) -> Any:
    """The permutation that undoes ``transpose(x, axes)`` (None: reversing is its own inverse)."""
    return None if axes is None else tuple(int(i) for i in np.argsort(axes))


def reshape(x: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    return np.reshape(x, shape)


def reduce_sum(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.sum(x, axis, keepdims=keepdims)


def mean(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.mean(x, axis, keepdims=keepdims)


def reduce_max(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.max(x, axis, keepdims=keepdims)


def broadcast_to(x: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(x, shape)


def sum_squares(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.vdot(x, x))


def index(x: np.ndarray, key: "IndexKey") -> np.ndarray:
    return x[key.key]


def scatter(g: np.ndarray, key: "IndexKey", shape: Tuple[int, ...]) -> np.ndarray:
    """A zero array of ``shape`` with ``g`` added at ``key``: the adjoint of indexing."""
    grad = np.zeros(shape, dtype=np.result_type(g, np.float64) if g.dtype.kind != "f"
                    else g.dtype)
    if _picks_each_entry_once(key.key):
        grad[key.key] = g
    else:
        np.add.at(grad, key.key, g)
    return grad


def exp(x: np.ndarray) -> np.ndarray:
    return _strictly(lambda: np.exp(x), ("over",), lambda: _exp_overflow(x))


def _exp_overflow(x: np.ndarray) -> np.ndarray:
    with _ignore():
        out = np.exp(x)
    overflowed = np.isinf(out) & np.isfinite(x)
    if not np.any(overflowed):
        return out
    limit = float(np.log(np.finfo(out.dtype).max))
    raise modes.overflow(f"exp(x) overflows {out.dtype} (x must be < {limit:.2f}): "
                         f"{_bad_entries(overflowed, x, 'x')}")


def log(x: np.ndarray) -> np.ndarray:
    return _strictly(lambda: np.log(x), ("divide", "invalid"), lambda: _log_domain(x))


def _log_domain(x: np.ndarray) -> np.ndarray:
    outside = ~(np.asarray(x) > 0.0) & ~np.isnan(x)
    if not np.any(outside):
        with _ignore():
            return np.log(x)
    raise modes.domain_error(f"log(x) needs x > 0, got {_bad_entries(outside, x, 'x')}")


def xlogy(x: Any, y: Any, what: str = "x * log(y)") -> np.ndarray:
    """x * log(y), taken as 0 where x == 0 (the limit that makes d(0 ** b)/db = 0 for b > 0)."""
    with _ignore():
        out = np.multiply(x, np.log(y))
    zero = np.equal(x, 0.0) & ~np.isnan(y)
    if modes.STRICT.get():
        bad = ~np.greater(y, 0.0) & ~zero
        if np.any(bad):
            first_bad = float(np.broadcast_to(y, bad.shape)[bad].flat[0])
            raise modes.domain_error(f"{what} needs log of a positive number, got "
                                     f"{_bad_entries(bad, y, 'y')} "
                                     f"{scalar_math._XLOGY_WHY[first_bad == 0.0]}")
    return np.where(zero, 0.0, out) if np.any(zero) else out


def sin(x: np.ndarray) -> np.ndarray:
    with _ignore():  # sin(±inf) is nan, as for floats
        return np.sin(x)


def cos(x: np.ndarray) -> np.ndarray:
    with _ignore():
        return np.cos(x)


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0: no exponent is ever positive."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0, z) / (1.0 + z)


def sqrt(x: np.ndarray) -> np.ndarray:
    return _strictly(lambda: np.sqrt(x), ("invalid",), lambda: _sqrt_domain(x))


def _sqrt_domain(x: np.ndarray) -> np.ndarray:
    negative = np.asarray(x) < 0.0
    if not np.any(negative):
        with _ignore():
            return np.sqrt(x)
    raise modes.domain_error(f"sqrt(x) needs x >= 0, got {_bad_entries(negative, x, 'x')}")


def sqrt_slope(out: np.ndarray) -> np.ndarray:
    """d sqrt(x)/dx = 0.5 / sqrt(x), from ``out = sqrt(x)``; infinite at x = 0 (strict: raises)."""
    return _strictly(lambda: 0.5 / out, ("divide",), lambda: _sqrt_slope_infinite(out))


def _sqrt_slope_infinite(out: np.ndarray) -> np.ndarray:
    raise modes.zero_division(f"d sqrt(x)/dx = 1 / (2 sqrt(x)) is infinite at x = 0: "
                              f"{_bad_entries(np.equal(out, 0.0), out, 'x')}")


def div(a: Any, b: Any, what: str = "a / b") -> np.ndarray:
    """a / b; a zero denominator or an overflowing quotient (``1 / 1e-320``) raises in strict
    mode, and follows IEEE 754 otherwise."""
    return _strictly(lambda: np.true_divide(a, b), ("divide",) + _MADE_NON_FINITE,
                     lambda: _division_by_zero(a, b, what))


def _division_by_zero(a: Any, b: Any, what: str) -> np.ndarray:
    zero = np.broadcast_to(np.equal(b, 0.0), np.broadcast_shapes(np.shape(a), np.shape(b)))
    if not np.any(zero):  # an overflow (1 / 1e-320) or a nan (inf / inf), or an IEEE result
        return _non_finite(np.true_divide, a, b, what, ("numerator", "denominator"))
    count = int(np.count_nonzero(zero))
    first = np.broadcast_to(a, zero.shape)[zero].flat[0]
    raise modes.zero_division(
        f"division by zero in {what}: {count} zero denominator{'s' if count != 1 else ''} of "
        f"{zero.size}, the first with numerator {float(first)!r}")


def pow(a: Any, b: Any) -> np.ndarray:
    """a ** b for real results only: a negative base needs an integer exponent."""
    if type(b) is float and b == 1.0:
        return np.asarray(a)  # x ** 1 is x: spares a copy in the slope 2 x ** 1 of x ** 2
    return _strictly(lambda: np.asarray(a) ** b, ("divide", "invalid", "over"),
                     lambda: _power_outside_reals(a, b))


def _power_outside_reals(a: Any, b: Any) -> np.ndarray:
    with _ignore():
        negative = np.less(a, 0.0) & np.not_equal(np.floor(b), b)
        if np.any(negative):
            raise modes.domain_error("a ** b with a negative base needs an integer exponent, got "
                                     + _bad_entries(negative, a, "a"))
        zero = np.equal(a, 0.0) & np.less(b, 0.0)
        if np.any(zero):
            raise modes.zero_division(
                "0 ** b with a negative exponent divides by zero: " + _bad_entries(zero, b, "b"))
        out = np.asarray(a) ** b
    overflow = np.isinf(out) & np.isfinite(a) & np.isfinite(b)
    if np.any(overflow):
        raise modes.overflow(f"a ** b overflows {out.dtype}: " + _bad_entries(overflow, a, "a"))
    return out  # the flag came from an inf or nan operand: IEEE result, as for floats


def pow_slope(x: Any, p: Any) -> Any:
    """d(x ** p)/dx = p * x ** (p - 1) for a number or array ``p``; strict mode raises where that
    is infinite (x = 0 with p < 1), naming the derivative rather than the power it computes."""
    if type(p) is float:
        if p == 0.0:
            return 0.0  # x ** 0 is constant, also at x = 0 where x ** -1 is not finite
        if p == 1.0:
            return 1.0
    elif np.any(np.equal(p, 0.0)):  # the same for the entries of an array exponent
        zero = np.equal(p, 0.0)
        return np.where(zero, 0.0, pow_slope(x, np.where(zero, 1.0, p)))
    try:
        return p * pow(x, p - 1.0)
    except (ZeroDivisionError, OverflowError) as error:  # raised in strict mode only
        with _ignore():
            infinite = np.isinf(p * np.asarray(x) ** (p - 1.0)) & np.isfinite(x)
        rule, name = ((f"d(x ** {p!r})/dx = {p!r} * x ** {p - 1.0!r}", "x") if type(p) is float
                      else ("d(a ** b)/da = b * a ** (b - 1)", "a"))
        if isinstance(error, ZeroDivisionError):
            detail = _bad_entries(infinite & np.equal(x, 0.0), x, name)
            raise modes.zero_division(f"{rule} is infinite at {name} = 0: {detail}") from None
        raise modes.overflow(f"{rule} overflows: {_bad_entries(infinite, x, name)}") from None


def sign(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1; 0 at nan (numpy's sign gives nan there), as PyTorch's gradient of abs."""
    out = np.sign(x)
    return np.nan_to_num(out, copy=False, nan=0.0) if out.dtype.kind == "f" else out


def step(x: np.ndarray) -> np.ndarray:
    """The derivative of relu as PyTorch takes it: 0 where x <= 0 (also at the kink x = 0),
    else 1, so 1 at nan too (the nan itself reaches the gradient through g)."""
    return np.logical_not(np.less_equal(x, 0.0)).astype(np.asarray(x).dtype)  # x's float type


def maximum(a: Any, b: Any) -> np.ndarray:
    return np.maximum(a, b)


def logsumexp(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(x))) over ``axis``, computed as max + log(sum(exp(x - max))): never overflows."""
    top = _finite_max(x, axis)
    with _ignore():
        out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out


def softmax(x: np.ndarray, axis: Axis = None) -> np.ndarray:
    """exp(x) / sum(exp(x)) over ``axis``, from x - max(x): each entry within a few ulps."""
    e = np.exp(x - _finite_max(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def _finite_max(x: np.ndarray, axis: Axis) -> np.ndarray:
    """The maximum over ``axis`` (kept as length-1 axes), 0 where it is inf or nan.

    The shift that keeps ``exp(x - max)`` from overflowing; where the maximum is not finite no
    shift is safe (inf - inf is nan), so none is made and an all -inf slice gives -inf, not nan.
    """
    top = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(top), top, 0.0)


def expand_reduced(g: np.ndarray, axis: Axis, keepdims: bool) -> np.ndarray:
    """A reduction's upstream gradient with the reduced axes put back as length-1 axes."""
    if keepdims or axis is None or np.ndim(g) == 0:
        return g
    return np.expand_dims(g, axis)


def matmul_grad_a(g: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """d(a @ b)/da applied to g: ``g @ b.T``, with numpy's rules for 1-D and stacked operands.

    Returns the gradient in the broadcast batch shape; the engine sums it down to ``a.shape``.
    """
    if b.ndim == 1:
        return g * b if a.ndim == 1 else np.multiply.outer(g, b)
    if a.ndim == 1:
        return (b @ g[..., None])[..., 0]
    return g @ (b.T if b.ndim == 2 else np.swapaxes(b, -1, -2))


def matmul_grad_b(g: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """d(a @ b)/db applied to g: ``a.T @ g``, with numpy's rules for 1-D and stacked operands."""
    if a.ndim == 1:
        return g * a if b.ndim == 1 else a[:, None] * g[..., None, :]
    if b.ndim == 1:
        return (np.swapaxes(a, -1, -2) @ g[..., None])[..., 0]
    if a.ndim == 2 and g.ndim == 2 and g.shape[1] < a.shape[1]:
        # The same numbers as a.T @ g, computed as (g.T @ a).T: BLAS (OpenBLAS at least) is up to
        # twice as fast when the product it writes is wide, as for a weight gradient X.T @ g with
        # few columns (3073 x 10 for a linear classifier).
        return (g.T @ a).T
    return (a.T if a.ndim == 2 else np.swapaxes(a, -1, -2)) @ g


def unbroadcast(grad: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the adjoint of numpy broadcasting ``shape`` up to grad's."""
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape) if extra else grad


def max_grad(g: np.ndarray, out: np.ndarray, x: np.ndarray, axis: Axis,
             keepdims: bool) -> np.ndarray:
    """d max(x)/dx applied to g: g at the maximum of each slice, split evenly between ties.

    Splitting ties evenly is what ``torch.amax`` does (``torch.max(x, dim)`` picks one index); it
    keeps the gradient symmetric in the tied entries, and it equals the single-index answer
    whenever the maximum is unique, which is the only case where max has a derivative.
    """
    at_max = x == expand_reduced(out, axis, keepdims)
    ties = np.sum(at_max, axis=axis, keepdims=True)
    return at_max * (expand_reduced(g, axis, keepdims) / ties)


class IndexKey:
    """The key of ``x[key]`` as a node parameter, printed briefly: ``[arange(500), array(500,)]``.

    Attributes:
        key: the index exactly as numpy takes it (lists turned into arrays).
    """

    __slots__ = ("key",)

    def __init__(self, key: Any):
        self.key = key

    def __repr__(self) -> str:
        parts = self.key if isinstance(self.key, tuple) else (self.key,)
        return "[" + ", ".join(_describe_index_part(p) for p in parts) + "]"


def _describe_index_part(part: Any) -> str:
    if isinstance(part, slice):
        text = ":".join("" if v is None else str(v) for v in (part.start, part.stop, part.step))
        return text[:-1] if text.endswith(":") and part.step is None else text
    if part is Ellipsis:
        return "..."
    if part is None:
        return "None"
    if isinstance(part, np.ndarray):
        if part.ndim == 0 or part.size <= 4:
            return np.array2string(part, separator=", ")
        if part.ndim == 1 and part.dtype.kind in "iu" and _is_arange(part):
            return f"arange({part.size})"
        return f"array{part.shape}"
    return repr(part)


def _is_arange(p: np.ndarray) -> bool:
    return bool(p[0] == 0 and p[-1] == p.size - 1 and np.array_equal(p, np.arange(p.size)))


def _picks_each_entry_once(key: Any) -> bool:
    """True when no entry of x can be picked twice, so plain assignment equals accumulation.

    Slices, integers and boolean masks never repeat an entry; integer arrays can, unless one of
    them is 0..n-1 and all of them are 1-D of length n, as in ``scores[np.arange(N), y]``.
    """
    parts = key if isinstance(key, tuple) else (key,)
    arrays = [p for p in parts if isinstance(p, np.ndarray) and p.ndim > 0 and p.dtype.kind in "iu"]
    if not arrays:
        return True
    shape = arrays[0].shape
    if len(shape) != 1 or shape[0] == 0 or any(p.shape != shape for p in arrays):
        return False
    if any(isinstance(p, np.ndarray) and p.dtype.kind == "b" for p in parts):
        return False
    return any(_is_arange(p) for p in arrays)
