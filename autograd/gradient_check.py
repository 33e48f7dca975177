"""Gradient checking: compare the engine's backward pass with centered finite differences.

For every entry x_i of every input, the numerical derivative is the centered difference

    n_i = (f(x + h e_i) - f(x - h e_i)) / (2h)

whose error is O(h^2) (the one-sided difference is only O(h)). The analytic derivative a_i comes
from ``f(*inputs).backward()``. They are compared by the relative error CS231n uses:

    rel(a, n) = |a - n| / max(|a|, |n|)

with 0/0 defined as 0 (both exactly zero agree perfectly). The denominator has a floor of
``TINY`` = 1e-300 so that it is never zero; the floor changes nothing for any gradient larger
than 1e-300. Rules of thumb from CS231n: below 1e-7 the gradient is right; 1e-7 to 1e-4 is fine
only near kinks (relu, abs, max); above 1e-2 it is wrong.

:func:`gradcheck` works for any function of :class:`~autograd.Value` or
:class:`~autograd.Tensor` nodes that returns a scalar node. It perturbs ``data`` in place (every
entry is restored exactly, also if ``f`` raises; a numpy array the Tensor shares memory with sees
the nudges while the check runs), so ``f`` must recompute its output from the inputs on every
call. :func:`gradcheck_sparse` checks a few random entries of big inputs, like CS231n's
``grad_check_sparse``.

Each evaluation of f is rounded to a few ulps of |f|, and the difference quotient divides that by
2h: an entry much smaller than |f| (a gradient of 1e-4 beside a loss of 2) can show a relative
error near 1e-6 although it is right. A failure message says so when the discrepancy is within
that rounding noise; use a larger ``h`` or ``tol`` for such entries.

>>> from autograd import Value, gradcheck
>>> x = Value(0.5)
>>> gradcheck(lambda x: (x * x).tanh(), [x]).ok
True
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["gradcheck", "gradcheck_sparse", "numerical_gradient", "relative_error",
           "GradcheckError", "GradcheckReport", "InputCheck", "TINY", "SPARSE_STEP",
           "SPARSE_TOLERANCE"]

TINY = 1e-300
"""The floor of the relative error's denominator: ``max(|a|, |n|, TINY)``."""

Index = Tuple[int, ...]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one.

    Attributes:
        report: the full :class:`GradcheckReport`.
    """

    def __init__(self, message: str, report: "GradcheckReport"):
        super().__init__(message)
        self.report = report


@dataclass
class InputCheck:
    """The comparison for one input.

    Attributes:
        position: the input's position in ``inputs``.
        name: its label, or ``"input <position>"``.
        analytic: the gradient from ``backward()`` (a float for a Value, an array for a Tensor).
        numeric: the centered-difference gradient, same shape; NaN where an entry was not checked
            (only :func:`gradcheck_sparse` skips entries).
        errors: the relative error of each entry, NaN where not checked.
        checked: the indices compared (``()`` is the one index of a Value).
    """

    position: int
    name: str
    analytic: Union[float, np.ndarray]
    numeric: Union[float, np.ndarray]
    errors: Union[float, np.ndarray]
    checked: List[Index]

    @property
    def max_error(self) -> float:
        """The largest relative error over the checked entries."""
        return max((_comparable(np.asarray(self.errors)[i]) for i in self.checked), default=0.0)

    @property
    def worst_index(self) -> Optional[Index]:
        """The index of the entry with the largest relative error (None if nothing was checked)."""
        errors = np.asarray(self.errors)
        return max(self.checked, key=lambda i: _comparable(errors[i]), default=None)


@dataclass
class GradcheckReport:
    """What a gradient check found; true in a boolean context when every entry passed.

    Attributes:
        inputs: one :class:`InputCheck` per input that requires a gradient.
        tol: the relative-error tolerance used.
        h: the finite-difference step used.
        output: f(*inputs) at the unperturbed inputs.
    """

    inputs: List[InputCheck]
    tol: float
    h: float
    output: float = 0.0

    @property
    def rounding_noise(self) -> float:
        """A generous bound on the rounding error of a centered difference: ``10 eps |f| / h``.

        Each evaluation of f is off by a few ulps of |f|; dividing by 2h magnifies that. An
        entry whose ``|analytic - numeric|`` is below this bound cannot be judged at this h: its
        relative error is large only because the entry is small next to |f|.
        """
        return 10.0 * float(np.finfo(np.float64).eps) * abs(self.output) / self.h

    @property
    def worst(self) -> Optional[InputCheck]:
        """The input holding the largest relative error."""
        return max(self.inputs, key=lambda c: c.max_error, default=None)

    @property
    def max_error(self) -> float:
        """The largest relative error of all checked entries."""
        worst = self.worst
        return worst.max_error if worst is not None else 0.0

    @property
    def worst_location(self) -> Optional[Tuple[str, Index]]:
        """``(input name, index)`` of the largest relative error."""
        worst = self.worst
        return (worst.name, worst.worst_index) if worst is not None else None

    @property
    def ok(self) -> bool:
        """Whether every checked entry has relative error <= tol."""
        return self.max_error <= self.tol

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        lines = [f"gradcheck {verdict}: max relative error {self.max_error:.3g} "
                 f"(tol {self.tol:g}, h {self.h:g})"]
        for check in self.inputs:
            lines.append(f"  {check.name}: {len(check.checked)} entries, max relative error "
                         f"{check.max_error:.3g} at {_where(check.worst_index)}")
        return "\n".join(lines)


def relative_error(analytic: Any, numeric: Any, floor: float = TINY) -> Any:
    """CS231n's relative error ``|a - n| / max(|a|, |n|, floor)``, elementwise; 0 where both are 0.

    Args:
        analytic: a number or array.
        numeric: a number or array of the same shape.
        floor: keeps the denominator positive; the default (1e-300) only matters for 0/0.

    Returns:
        A float for number inputs, else an array.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    error = np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    return float(error) if error.ndim == 0 else error


def numerical_gradient(f: Callable[..., Any], inputs: Sequence[Any], position: int = 0,
                       h: float = 1e-6, indices: Optional[Sequence[Index]] = None
                       ) -> Union[float, np.ndarray]:
    """d f / d inputs[position] by centered differences ``(f(x+h) - f(x-h)) / 2h``.

    Args:
        f: called as ``f(*inputs)``; returns a scalar node (a Value or a one-element Tensor).
        inputs: the nodes ``f`` takes.
        position: which input to differentiate with respect to.
        h: the step.
        indices: only these entries (the rest are NaN); all by default.

    Returns:
        A float for a Value input, an array of the input's shape for a Tensor.
    """
    inputs = _as_inputs(inputs)
    _check_step(h)
    return _numeric(f, inputs, position, h, indices)


def gradcheck(f: Callable[..., Any], inputs: Sequence[Any], h: float = 1e-6, tol: float = 1e-7,
              raise_exception: bool = True) -> GradcheckReport:
    """Check every entry of the analytic gradient of ``f`` against centered differences.

    Inputs' gradients are zeroed, ``f(*inputs).backward()`` gives the analytic gradient (left in
    each input's ``.grad``), then each entry of each input's data is nudged by +-h in place and
    restored exactly. Tensors created with ``requires_grad=False`` are treated as constants.

    Args:
        f: called as ``f(*inputs)``; must return a scalar node (a Value or a one-element Tensor)
            computed afresh from the inputs on every call.
        inputs: the nodes to differentiate with respect to (a single node is accepted too).
        h: the finite-difference step.
        tol: the largest relative error allowed.
        raise_exception: raise :class:`GradcheckError` on failure (else only report it).

    Returns:
        A :class:`GradcheckReport` (true when the check passed).

    Raises:
        GradcheckError: when an entry's relative error exceeds ``tol`` and ``raise_exception``.
        TypeError: when ``f`` does not return a scalar node or an input is not a float node.
    """
    return _run(f, inputs, h, tol, raise_exception, pick=None)


SPARSE_STEP = 1e-6
"""gradcheck_sparse's default finite-difference step h (see its docstring for why)."""

SPARSE_TOLERANCE = 1e-5
"""gradcheck_sparse's default largest relative error (see its docstring for why)."""


def gradcheck_sparse(f: Callable[..., Any], inputs: Sequence[Any], num_checks: int = 10,
                     h: float = SPARSE_STEP, seed: int = 0, tol: float = SPARSE_TOLERANCE,
                     raise_exception: bool = True) -> GradcheckReport:
    """Check ``num_checks`` random entries of each input: a quick check of big weight matrices.

    CS231n's ``grad_check_sparse``: one backward pass for the analytic gradient, then centered
    differences only at the sampled entries (distinct entries, drawn with ``seed``).

    The defaults (h = 1e-6, tol = 1e-5) are chosen for the models this is meant for, a linear
    classifier or small net on CIFAR-10 sized data (W 3073 x 10, X 500 x 3073 of pixel values up
    to 255). The centered difference is off by about ``h^2 f'''(w) / 6`` (truncation) plus
    ``eps |f| / h`` (rounding). For a softmax loss the third derivative in a weight grows as the
    cube of its input, so raw pixels make the truncation large: a correct gradient shows
    relative errors up to 3e-4 at CS231n's h = 1e-5 and about 3e-6 at h = 1e-6, while the
    rounding term stays below 1e-8 for gradient entries above 1e-2. A tolerance of 1e-5 passes
    a correct gradient there with room to spare and still fails real bugs: a dropped or doubled
    term, a missing 1/N or a wrong sign give errors of 1e-3 and more, and a term 1e-4 the size
    of the gradient already fails. (CS231n's "below 1e-7 is good" holds for small, centered
    inputs, as in :func:`gradcheck`, whose defaults stay h = 1e-6 and tol = 1e-7.)

    Args:
        f: called as ``f(*inputs)``; returns a scalar node.
        inputs: the nodes to check.
        num_checks: entries per input (all of them if the input is smaller).
        h: the finite-difference step.
        seed: seeds the choice of entries.
        tol: the largest relative error allowed.
        raise_exception: raise :class:`GradcheckError` on failure.

    Returns:
        A :class:`GradcheckReport`; unchecked entries of ``numeric`` and ``errors`` are NaN.
    """
    if not isinstance(num_checks, numbers.Integral) or isinstance(num_checks, bool) or (
            num_checks < 1):
        raise ValueError(f"num_checks must be a positive int, got {num_checks!r}")
    generator = np.random.default_rng(seed)

    def pick(shape: Tuple[int, ...]) -> List[Index]:
        size = int(np.prod(shape, dtype=np.int64))
        flat = generator.choice(size, size=min(num_checks, size), replace=False)
        return [tuple(int(k) for k in np.unravel_index(i, shape)) for i in np.sort(flat)]

    return _run(f, inputs, h, tol, raise_exception, pick)


def _run(f, inputs, h, tol, raise_exception, pick) -> GradcheckReport:
    inputs = _as_inputs(inputs)
    _check_step(h)
    if not (isinstance(tol, numbers.Real) and not isinstance(tol, bool) and tol >= 0):
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    positions = [i for i, x in enumerate(inputs) if getattr(x, "requires_grad", True)]
    if not positions:
        raise ValueError("gradcheck: no input requires a gradient (all have requires_grad=False)")

    for i in positions:
        inputs[i].zero_grad()
    out = _scalar_of(f(*inputs), "f(*inputs)")
    output = float(np.asarray(out.data).reshape(()))
    out.backward()

    checks = []
    for i in positions:
        x = inputs[i]
        analytic = _analytic(x)
        shape = np.shape(x.data)
        indices = list(np.ndindex(*shape)) if pick is None else pick(shape)
        numeric = _numeric(f, inputs, i, h, indices)
        errors = relative_error(analytic, numeric)  # NaN where numeric is NaN: unchecked entries
        checks.append(InputCheck(i, _name(x, i), analytic, numeric, errors, indices))

    report = GradcheckReport(checks, float(tol), float(h), output)
    if not report.ok and raise_exception:
        raise GradcheckError(_failure_message(report), report)
    return report


def _failure_message(report: GradcheckReport) -> str:
    check = report.worst
    index = check.worst_index
    a = float(np.asarray(check.analytic)[index])
    n = float(np.asarray(check.numeric)[index])
    failing = sum(1 for c in report.inputs for i in c.checked
                  if _comparable(np.asarray(c.errors)[i]) > report.tol)
    message = (f"gradcheck failed for {check.name} at {_where(index)}: analytic {a!r}, "
               f"numeric {n!r}, relative error {check.max_error:.3g} > tol {report.tol:g} "
               f"({failing} failing entr{'y' if failing == 1 else 'ies'} in all, h = {report.h:g})")
    if abs(a - n) <= report.rounding_noise:
        message += (f". The difference {abs(a - n):.2g} is within the rounding noise of the "
                    f"centered difference (~{report.rounding_noise:.2g} for |f| = "
                    f"{abs(report.output):.3g}): this entry is too small next to f to judge at "
                    f"h = {report.h:g}; try a larger h (1e-5) or tol")
    return message


def _comparable(error: float) -> float:
    """A relative error for ``max``: NaN (from an inf or nan gradient) counts as infinitely bad."""
    error = float(error)
    return math.inf if math.isnan(error) else error


def _where(index: Optional[Index]) -> str:
    if index is None:
        return "no entry"
    return "the scalar" if index == () else f"index {index}"


def _as_inputs(inputs: Any) -> list:
    from .node import Node

    items = [inputs] if isinstance(inputs, Node) else list(inputs)
    for i, x in enumerate(items):
        if not isinstance(x, Node):
            raise TypeError(f"gradcheck inputs must be Values or Tensors; input {i} is "
                            f"{type(x).__name__} {x!r:.60}")
        data = x.data
        if isinstance(data, np.ndarray) and data.dtype.kind != "f":
            raise TypeError(f"gradcheck needs float data; {_name(x, i)} has dtype {data.dtype}")
        if isinstance(data, np.ndarray) and data.dtype != np.float64:
            warnings.warn(f"gradcheck: {_name(x, i)} is {data.dtype}; finite differences need "
                          f"float64 to be meaningful", stacklevel=3)
    if not items:
        raise ValueError("gradcheck needs at least one input")
    return items


def _check_step(h: float) -> None:
    if not (isinstance(h, numbers.Real) and not isinstance(h, bool) and math.isfinite(h)
            and h > 0):
        raise ValueError(f"the finite-difference step h must be a positive number, got {h!r}")


def _name(x: Any, position: int) -> str:
    return f"input {position} ({x.label})" if x.label else f"input {position}"


def _scalar_of(out: Any, where: str):
    """``out`` if it is a scalar node, else a TypeError saying what came back."""
    from .node import Node

    if not isinstance(out, Node):
        raise TypeError(f"{where} must return a Value or a one-element Tensor, got "
                        f"{type(out).__name__} {out!r:.60}")
    if np.size(out.data) != 1:
        raise TypeError(f"{where} must return a scalar node, got a Tensor of shape "
                        f"{np.shape(out.data)} (reduce it, e.g. with .sum())")
    return out


def _evaluate(f, inputs) -> float:
    return float(np.asarray(_scalar_of(f(*inputs), "f(*inputs)").data).reshape(()))


def _analytic(x: Any) -> Union[float, np.ndarray]:
    if isinstance(x.data, np.ndarray):
        if x.grad is None:  # the output does not depend on x
            return np.zeros_like(x.data, dtype=np.float64)
        return np.array(np.broadcast_to(x.grad, x.data.shape), dtype=np.float64)
    return float(x.grad)


def _numeric(f, inputs, position, h, indices) -> Union[float, np.ndarray]:
    x = inputs[position]
    if not isinstance(x.data, np.ndarray):  # a Value: data is a float
        original = x.data
        try:
            x.data = original + h
            plus = _evaluate(f, inputs)
            x.data = original - h
            minus = _evaluate(f, inputs)
        finally:
            x.data = original
        return (plus - minus) / (2.0 * h)

    data = x.data
    if indices is None:
        indices = list(np.ndindex(*data.shape))
    gradient = np.full(data.shape, np.nan)
    for index in indices:
        original = data[index]
        try:
            data[index] = original + h
            plus = _evaluate(f, inputs)
            data[index] = original - h
            minus = _evaluate(f, inputs)
        finally:
            data[index] = original
        gradient[index] = (plus - minus) / (2.0 * h)
    return gradient
