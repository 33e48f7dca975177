"""Every row of the op table, checked against centered differences at several points.

The test is parametrized over ``autograd.ops.ALL_OPS`` itself: a new elementwise row without a
case below fails. For each row and point, the scalar node built from that row must have
* the forward value a plain ``math`` formula gives,
* ``local_grads`` equal to the centered-difference partials (h = 1e-6, relative error < 1e-7),
* leaf gradients after ``backward()`` equal to those local gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence, Tuple

import pytest

import autograd
from autograd import ops


@dataclass
class Case:
    build: Callable  # fresh leaf Values -> the node made by this row
    reference: Callable  # the same function on floats, written with plain math
    points: Sequence[Tuple[float, ...]]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


CASES = {
    "add": [Case(lambda a, b: a + b, lambda a, b: a + b, [(0.7, -1.3), (-2.5, 4.0), (1e3, 2.5)])],
    "sub": [Case(lambda a, b: a - b, lambda a, b: a - b, [(0.7, -1.3), (-2.5, 4.0), (3.0, 3.5)])],
    "mul": [Case(lambda a, b: a * b, lambda a, b: a * b, [(0.7, -1.3), (-2.5, 4.0), (3.0, 0.0)])],
    "div": [Case(lambda a, b: a / b, lambda a, b: a / b, [(0.7, -1.3), (-2.5, 4.0), (1.0, 0.3)])],
    "neg": [Case(lambda x: -x, lambda x: -x, [(0.7,), (-2.5,)])],
    "pow": [Case(lambda x: x ** 2, lambda x: x ** 2, [(0.7,), (-2.5,)]),
            Case(lambda x: x ** 3, lambda x: x ** 3, [(-1.1,), (2.0,)]),
            Case(lambda x: x ** 0.5, lambda x: x ** 0.5, [(0.3,), (4.0,)]),
            Case(lambda x: x ** -1.5, lambda x: x ** -1.5, [(0.8,), (2.5,)]),
            Case(lambda x: x ** -2, lambda x: x ** -2, [(-0.9,), (1.7,)])],
    "pow_value": [Case(lambda a, b: a ** b, lambda a, b: a ** b,
                       [(1.5, 2.3), (2.0, -1.5), (0.4, 3.0), (3.0, 0.5)])],
    "exp": [Case(lambda x: x.exp(), math.exp, [(0.7,), (-2.5,), (3.0,)])],
    "log": [Case(lambda x: x.log(), math.log, [(0.5,), (2.0,), (10.0,)])],
    "tanh": [Case(lambda x: x.tanh(), math.tanh, [(0.7,), (-1.5,), (0.05,)])],
    "sigmoid": [Case(lambda x: x.sigmoid(), _sigmoid, [(0.7,), (-2.5,), (4.0,)])],
    "relu": [Case(lambda x: x.relu(), lambda x: max(x, 0.0), [(0.7,), (-2.5,)])],
    "abs": [Case(lambda x: abs(x), abs, [(0.7,), (-2.5,)]),
            Case(lambda x: x.abs(), abs, [(-0.3,)])],
    "sqrt": [Case(lambda x: x.sqrt(), math.sqrt, [(0.3,), (4.0,), (9.5,)])],
    "sum": [Case(lambda *xs: autograd.sum(xs), lambda *xs: math.fsum(xs),
                 [(0.7,), (0.7, -1.3, 2.5), (1.0, 2.0, 3.0, -4.0, 0.5)])],
    "linear": [Case(lambda w0, w1, x0, x1, b: autograd.linear([w0, w1], [x0, x1], b),
                    lambda w0, w1, x0, x1, b: w0 * x0 + w1 * x1 + b,
                    [(2.0, -3.0, -1.0, -2.0, -3.0), (0.3, 0.7, 1.1, -0.4, 0.05)]),
               Case(lambda w, x, b: autograd.linear([w], [x], b), lambda w, x, b: w * x + b,
                    [(1.5, -0.5, 2.0)])],
}


def test_every_case_names_a_row():
    names = {op.name for op in ops.ALL_OPS}
    assert set(CASES) <= names, set(CASES) - names


SCALAR_ROWS = [op for op in ops.ALL_OPS if not op.structural]


def test_every_row_is_checked_here_or_by_the_tensor_tests():
    # Rows with partials have a scalar form and are checked below; structural (vjp) rows are
    # Tensor-only and tests/autograd/test_tensor.py asserts it builds every one of them.
    assert set(SCALAR_ROWS) | set(ops.STRUCTURAL) == set(ops.ALL_OPS)
    assert all(op.vjp is not None for op in ops.STRUCTURAL)


@pytest.mark.parametrize("op", SCALAR_ROWS, ids=lambda op: op.name)
def test_row_against_centered_differences(op, numeric_grad, rel_error):
    assert op.name in CASES, f"op table row {op.name!r} has no gradient-check case"
    for case in CASES[op.name]:
        for point in case.points:
            leaves = [autograd.Value(x) for x in point]
            node = case.build(*leaves)
            assert node._op is op, f"{op.name}: the case built a {node._op!r} node"
            assert node.inputs == tuple(leaves)
            assert node.data == pytest.approx(case.reference(*point), rel=1e-15, abs=1e-300)
            numeric = numeric_grad(case.build, point, 1e-6)
            assert len(node.local_grads) == len(point)
            for i, (analytic, estimate) in enumerate(zip(node.local_grads, numeric)):
                error = rel_error(analytic, estimate)
                assert error < 1e-7, (op.name, point, i, analytic, estimate, error)
            node.backward()
            assert tuple(x.grad for x in leaves) == node.local_grads


@pytest.mark.parametrize("op", ops.ALL_OPS, ids=lambda op: op.name)
def test_row_has_symbol_and_math(op):
    assert op.symbol and op.math
    rules = (op.partials, op.vjp, op.variadic_partials)
    assert sum(rule is not None for rule in rules) == 1, "a row has exactly one gradient rule"
    assert repr(op) == f"Op({op.name!r}, {op.symbol!r})"


def test_row_rules_agree_with_nodes_at_kinks():
    # relu and abs at 0 follow PyTorch: relu'(0) = 0, |x|'(0) = 0.
    assert autograd.Value(0.0).relu().local_grads == (0.0,)
    assert abs(autograd.Value(0.0)).local_grads == (0.0,)
