"""Shared test helpers: centered differences and the gradient-check error measure.

The helpers are handed out as session-scoped fixtures so that hypothesis tests can use them too.
"""

from __future__ import annotations

from typing import Callable, List, Sequence

import pytest

from autograd import Value


def numeric_grad(f: Callable[..., Value], values: Sequence[float], h: float = 1e-6) -> List[float]:
    """Centered differences (f(x + h e_i) - f(x - h e_i)) / 2h for every input of ``f``.

    Args:
        f: builds the output Value from fresh leaf Values, one per entry of ``values``.
        values: the point, as numbers (or Values, whose ``.data`` is used).
        h: the step.

    Returns:
        d f / d x_i estimated for each i.
    """
    point = [float(v.data) if isinstance(v, Value) else float(v) for v in values]
    grads = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        f_up = f(*[Value(x) for x in up]).data
        f_down = f(*[Value(x) for x in down]).data
        grads.append((f_up - f_down) / (2.0 * h))
    return grads


def rel_error(analytic: float, numeric: float, floor: float = 0.0) -> float:
    """CS231n's relative error |a - n| / max(|a|, |n|), with an absolute floor for tiny grads."""
    scale = max(abs(analytic), abs(numeric), floor)
    return 0.0 if scale == 0.0 else abs(analytic - numeric) / scale


@pytest.fixture(scope="session", name="numeric_grad")
def numeric_grad_fixture() -> Callable:
    return numeric_grad


@pytest.fixture(scope="session", name="rel_error")
def rel_error_fixture() -> Callable:
    return rel_error
