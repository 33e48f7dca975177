"""The math namespace the op table uses for Python floats.

Every rule in :mod:`autograd.ops` is written once against a small namespace ``m`` (``m.exp``,
``m.log``, ``m.div`` ...). For the scalar :class:`~autograd.Value` that namespace is this module:
plain :mod:`math` on Python floats, plus the strict-mode checks of :mod:`autograd.modes`, and
numerically stable forms where the textbook formula overflows (``sigmoid`` at x = -1000).
The array namespace for :class:`~autograd.Tensor` offers the same names over numpy arrays.

Strict mode raises when an operation makes a non-finite number from operands that did not force
it: an inf from finite operands (``1e308 * 10``), a nan from operands that are not nan
(``inf * 0``, ``inf - inf``). The check costs one subtraction on the usual path: ``out - out``
is 0 exactly when ``out`` is finite.
"""

from __future__ import annotations

import contextlib
import math

from . import modes

__all__ = ["add", "sub", "mul", "div", "relu", "abs", "times", "fresh", "fit", "quietly", "exp", "log",
           "sin", "cos", "xlogy", "tanh", "sigmoid", "sqrt", "sqrt_slope", "pow",
           "pow_slope", "sign", "step",
           "maximum", "fsum", "affine", "affine_partials"]

_INF = math.inf
_NAN = math.nan


def add(a: float, b: float) -> float:
    out = a + b
    if out - out == 0.0:  # finite: inf - inf and nan - nan are nan
        return out
    return _non_finite(out, a, b, "a + b")


def sub(a: float, b: float) -> float:
    out = a - b
    if out - out == 0.0:
        return out
    return _non_finite(out, a, b, "a - b")


def mul(a: float, b: float) -> float:
    out = a * b
    if out - out == 0.0:
        return out
    return _non_finite(out, a, b, "a * b")


def _non_finite(out: float, a: float, b: float, what: str, names: str = "a, b") -> float:
    """``out``, the non-finite result of ``what`` at operands a, b, unless strict mode must refuse
    it: an inf made from finite operands (overflow) or a nan made from operands that are not nan.
    An inf or nan passed in gives its IEEE result, as in PyTorch (``inf * 2`` is ``inf``)."""
    if not modes.STRICT.get():
        return out
    first, second = names.split(", ")
    at = f"{first} = {a!r}, {second} = {b!r}"
    if out != out:
        if a == a and b == b:
            raise modes.domain_error(f"{what} is undefined (nan) at {at}")
    elif -_INF < a < _INF and -_INF < b < _INF:
        raise modes.overflow(f"{what} overflows float64 at {at}")
    return out


def relu(x: float) -> float:
    """max(x, 0); nan at nan (as numpy's maximum and PyTorch: a NaN input must not vanish)."""
    return x if x > 0.0 or x != x else 0.0


abs = abs  # noqa: A001 - the builtin, under the name the op table uses


def fresh(product: float, g: float) -> bool:
    """Whether a product is an array of its own to adopt as a gradient: a float never is."""
    return False


def times(g: float, local: float) -> float:
    """The chain rule's product for one wire: upstream gradient times local gradient."""
    return g * local


def fit(product: float, like: object, op: object) -> float:
    """A gradient contribution in its input's shape: a float already is."""
    return product


_AS_IS = contextlib.nullcontext()


def quietly() -> contextlib.nullcontext:
    """The floating-point context of a backward step: floats need none."""
    return _AS_IS


def exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        if modes.STRICT.get():
            raise modes.overflow(f"exp(x) overflows float64 at x = {x!r} (x must be < 709.78)") \
                from None
        return _INF


def log(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    if modes.STRICT.get():
        raise modes.domain_error(f"log(x) needs x > 0, got x = {x!r}")
    return -_INF if x == 0.0 else _NAN


def xlogy(x: float, y: float, what: str = "x * log(y)") -> float:
    """x * log(y), taken as 0 where x == 0 (the limit that makes d(0 ** b)/db = 0 for b > 0)."""
    if x == 0.0 and y == y:
        return 0.0
    if y > 0.0:
        return x * math.log(y)
    if modes.STRICT.get():
        raise modes.domain_error(f"{what} needs log of a positive number, got {y!r} "
                                 f"{_XLOGY_WHY[y == 0.0]}")
    return -math.copysign(_INF, x) if y == 0.0 else _NAN


_XLOGY_WHY = {
    False: "(a negative base has no real derivative in its exponent; use a number exponent such "
           "as x ** 2 if it is not learned)",
    True: "(log(0) = -inf: 0 ** b jumps from 1 at b = 0 to 0 for b > 0, so it has no derivative "
          "in b at b = 0)",
}


def sin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else _NAN  # as numpy: sin(±inf) is nan


def cos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else _NAN


def tanh(x: float) -> float:
    return math.tanh(x)


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), written so that neither branch can overflow."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def sqrt(x: float) -> float:
    if x >= 0.0:
        return math.sqrt(x)
    if modes.STRICT.get():
        raise modes.domain_error(f"sqrt(x) needs x >= 0, got x = {x!r}")
    return _NAN


def sqrt_slope(out: float) -> float:
    """d sqrt(x)/dx = 0.5 / sqrt(x), from ``out = sqrt(x)``; infinite at x = 0 (strict: raises)."""
    if out != 0.0:
        return 0.5 / out
    if modes.STRICT.get():
        raise modes.zero_division(f"d sqrt(x)/dx = 1 / (2 sqrt(x)) is infinite at x = {out!r}")
    return _INF


def div(a: float, b: float, what: str = "a / b") -> float:
    """a / b; division by zero or an overflowing quotient (``1 / 1e-320``) raises in strict mode
    and follows IEEE 754 otherwise."""
    try:
        out = a / b
    except ZeroDivisionError:
        if modes.STRICT.get():
            raise modes.zero_division(f"division by zero in {what}: denominator = {b!r}, "
                                      f"numerator = {a!r}") from None
        if a == 0.0 or a != a:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)
    if out - out == 0.0:
        return out
    return _non_finite(out, a, b, what, "numerator, denominator")


def pow(a: float, b: float) -> float:
    """a ** b for real results only: a negative base with a fractional exponent is an error."""
    if a < 0.0 and not float(b).is_integer():
        if modes.STRICT.get():
            raise modes.domain_error(f"a ** b with a negative base needs an integer exponent, "
                                     f"got a = {a!r}, b = {b!r}")
        return _NAN
    if a == 0.0 and b < 0.0:
        if modes.STRICT.get():
            raise modes.zero_division(f"0 ** b with a negative exponent b = {b!r} divides by zero")
        return _INF
    try:
        return a ** b
    except OverflowError:
        if modes.STRICT.get():
            raise modes.overflow(f"a ** b overflows float64 at a = {a!r}, b = {b!r}") from None
        return _INF


def pow_slope(x: float, p: float) -> float:
    """d(x ** p)/dx = p * x ** (p - 1); where that is infinite strict mode raises, naming it."""
    if p == 0.0:
        return 0.0  # x ** 0 is constant, also at x = 0 where x ** -1 is not finite
    try:
        return p * pow(x, p - 1.0)
    except (ZeroDivisionError, OverflowError) as error:  # raised in strict mode only
        rule = f"d(x ** {p!r})/dx = {p!r} * x ** {p - 1.0!r}"
        if isinstance(error, ZeroDivisionError):
            raise modes.zero_division(f"{rule} is infinite at x = {x!r}") from None
        raise modes.overflow(f"{rule} overflows float64 at x = {x!r}") from None


def sign(x: float) -> float:
    """-1, 0 or 1; 0 at nan, as PyTorch's gradient of abs takes it."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def step(x: float) -> float:
    """The derivative of relu as PyTorch takes it: 0 where x <= 0 (also at the kink x = 0),
    else 1, so 1 at nan too (the nan itself reaches the gradient through g)."""
    return 0.0 if x <= 0.0 else 1.0


def maximum(a: float, b: float) -> float:
    """The larger of a and b; nan if either is nan (as numpy's maximum, so relu(nan) is nan)."""
    if a != a or b != b:
        return _NAN
    return a if a >= b else b


def fsum(xs: tuple) -> float:
    """The correctly rounded sum of ``xs`` (:func:`math.fsum`), checked as ``a + b`` is."""
    try:
        return math.fsum(xs)
    except OverflowError:  # finite numbers whose sum overflows along the way
        if modes.STRICT.get():
            raise modes.overflow(f"the sum of {len(xs)} numbers overflows float64") from None
    except ValueError:  # inf + -inf
        if modes.STRICT.get():
            raise modes.domain_error(f"the sum of {len(xs)} numbers is undefined (nan): it adds "
                                     f"inf and -inf") from None
    return sum(xs)  # IEEE 754: inf or nan


def affine(wxb: tuple) -> float:
    """w . x + b for the flat tuple (w_1..w_n, x_1..x_n, b), checked as ``a + b`` is."""
    n = len(wxb) // 2
    total = wxb[-1]
    for w, x in zip(wxb[:n], wxb[n:2 * n]):
        total += w * x
    if total - total == 0.0 or not modes.STRICT.get():
        return total
    if all(-_INF < v < _INF for v in wxb):
        raise modes.overflow(f"w . x + b overflows float64 (n = {n})")
    if total != total and all(v == v for v in wxb):
        raise modes.domain_error(f"w . x + b is undefined (nan) (n = {n}): it multiplies inf "
                                 f"by 0 or adds inf and -inf")
    return total


def affine_partials(wxb: tuple) -> tuple:
    """(x_1..x_n, w_1..w_n, 1): the local gradients of w . x + b on (w, x, b)."""
    n = len(wxb) // 2
    return wxb[n:2 * n] + wxb[:n] + (1.0,)
