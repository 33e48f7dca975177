"""Every row of the op table, tested from the table itself: a new row needs no new test.

The tests are parametrized over :mod:`autograd.ops` (``ELEMENTWISE``, ``VARIADIC``,
``STRUCTURAL``) and build every node generically, ``Value._apply(op, inputs, params)`` and
``autograd.tensor.apply(op, inputs, **params)``, so a row added to the table (``sin``, say) is
checked here as soon as it exists. For each elementwise row, at seeded random points:

(a) the Value node's ``local_grads`` against centered differences of its forward;
(b) ``autograd.gradcheck`` of the Tensor gate on arrays of such points;
(c) Value-vs-Tensor parity: forward value, gradient and local gradients, entry by entry;
(d) the step-through caption: the first line of the gate's ``BackwardStep`` contains
    ``op.describe(names, params)`` for labelled inputs;
(e) second derivatives, ``grad(grad(y, x, create_graph=True)[0].sum(), x)``, against centered
    differences of the first-order gradient, for Value and for Tensor.

Points where the forward raises in strict mode (outside the row's domain) are skipped, and so are
points within ``KINK`` of 0, where every row of the table that has a kink or a pole has it (relu,
abs, sqrt, log, 1/x, x ** -1.5), and points whose local gradient jumps within ``NEAR`` of them (a
kink elsewhere, as a future ``clamp`` row would have at its bounds). Rows with parameters (``pow``: ``p``) take example values from ``PARAM_EXAMPLES``,
keyed by the parameter's *name*. Structural rows are Tensor-only; each has example inputs in
``STRUCTURAL_CASES`` (a test fails for a structural row without one), checked by gradcheck and
to second order. The variadic scalar rows (``sum``, ``linear``) are checked on Values.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, grad, ops
from autograd.array_math import IndexKey
from autograd.steps import format_number
from autograd.tensor import apply

LOW, HIGH = -3.0, 3.0  # where the random points are drawn
KINK = 0.05  # points this close to 0 are skipped (kinks and poles of the table sit at 0)
NEAR = 1e-3  # and points whose local gradients jump within this distance (a kink elsewhere)
POINTS = 16  # random points drawn per row and parameter value (those outside the domain drop)
H = 1e-6  # centered-difference step, first order
H2 = 1e-5  # centered-difference step of the first-order gradient (second order)
SKIPPED = (autograd.DomainError, ZeroDivisionError, OverflowError)

PARAM_EXAMPLES: Dict[str, List[Any]] = {"p": [3.0, -1.5, 0.5, 2.0]}
"""Example values of row parameters, by parameter name (a new row reusing ``p`` needs nothing)."""


def _param_sets(op: ops.Op) -> List[Tuple[Any, ...]]:
    missing = [name for name in op.params if name not in PARAM_EXAMPLES]
    assert not missing, (f"row {op.name!r} has parameters {missing} without example values: "
                         f"add them to PARAM_EXAMPLES in {__file__}")
    return list(itertools.product(*(PARAM_EXAMPLES[name] for name in op.params)))


def _value(op: ops.Op, point: Sequence[float], params: tuple, labels: bool = False) -> Value:
    names = "abcdefgh"
    leaves = tuple(Value(x, label=names[i] if labels else "") for i, x in enumerate(point))
    return Value._apply(op, leaves, params)


def _forward(op: ops.Op, point: Sequence[float], params: tuple) -> float:
    return _value(op, point, params).data


def _valid(op: ops.Op, point: Tuple[float, ...], params: tuple) -> bool:
    """In the row's domain (strict mode raises nowhere near the point), away from 0, and with
    local gradients that change smoothly over +-``NEAR`` in each coordinate (no kink there)."""
    if any(abs(x) < KINK for x in point):
        return False
    try:
        centre = _value(op, point, params)
        if not (math.isfinite(centre.data) and abs(centre.data) < 1e6):
            return False
        for i in range(len(point)):
            for step in (H2, NEAR):
                up, down = list(point), list(point)
                up[i] += step
                down[i] -= step
                near = [_value(op, moved, params) for moved in (up, down)]
                for local, above, below in zip(centre.local_grads, near[0].local_grads,
                                               near[1].local_grads):
                    if not all(math.isfinite(g) for g in (local, above, below)):
                        return False
                    if abs(above - below) > 0.1 * max(1.0, abs(local)):  # a jump: a kink
                        return False
    except SKIPPED:
        return False
    return True


def _points(op: ops.Op, params: tuple, seed: int) -> List[Tuple[float, ...]]:
    rng = np.random.default_rng(seed)
    drawn = rng.uniform(LOW, HIGH, size=(POINTS, op.arity))
    return [tuple(float(x) for x in row) for row in drawn if _valid(op, tuple(row), params)]


def _cases(op: ops.Op) -> List[Tuple[tuple, List[Tuple[float, ...]]]]:
    """``(params, points)`` for each example parameter set; every set must keep some points."""
    cases = []
    for k, params in enumerate(_param_sets(op)):
        points = _points(op, params, seed=1000 + 17 * k + sum(map(ord, op.name)))
        assert len(points) >= 3, (f"row {op.name!r} with params {params}: only {len(points)} of "
                                  f"{POINTS} random points in [{LOW}, {HIGH}] are in its domain")
        cases.append((params, points))
    return cases


def _centered(f: Callable[[List[float]], float], point: Sequence[float], i: int,
              h: float) -> float:
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2.0 * h)


def _close(a: float, b: float, rel: float, floor: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), floor)


ROWS = pytest.mark.parametrize("op", ops.ELEMENTWISE, ids=lambda op: op.name)


# ---------------------------------------------------------------------------------------------
# The table itself.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ops.ALL_OPS, ids=lambda op: op.name)
def test_row_is_complete(op):
    assert op.symbol and op.math, f"row {op.name!r} needs a symbol and its math in words"
    rules = (op.partials, op.vjp, op.variadic_partials)
    assert sum(rule is not None for rule in rules) == 1, "a row has exactly one gradient rule"
    assert repr(op) == f"Op({op.name!r}, {op.symbol!r})"
    assert ops.by_name(op.name) is op
    assert op.structural == (op.vjp is not None)


def test_table_partition():
    names = [op.name for op in ops.ALL_OPS]
    assert len(names) == len(set(names)), "row names are unique"
    assert ops.ALL_OPS == ops.ELEMENTWISE + ops.VARIADIC + ops.STRUCTURAL
    assert all(op.partials is not None for op in ops.ELEMENTWISE)
    assert all(op.variadic_partials is not None for op in ops.VARIADIC)
    assert all(op.vjp is not None for op in ops.STRUCTURAL)


@pytest.mark.parametrize("op", [op for op in ops.ALL_OPS if op.method or op.operator],
                         ids=lambda op: op.name)
def test_generated_methods_build_the_row(op):
    # The operator and method columns make Value/Tensor methods that build exactly this row.
    for kind, leaf in ((Value, lambda: Value(0.7)), (Tensor, lambda: Tensor([0.7, 1.3]))):
        if op.structural and kind is Value:
            continue
        a, b = leaf(), leaf()
        if op.method:
            node = getattr(a, op.method)()
            assert node.row is op and node.inputs == (a,)
        if op.operator:
            dunder = getattr(a, f"__{op.operator}__")
            node = dunder(b) if op.arity == 2 else dunder()
            assert node.row is op and node.inputs[0] is a


# ---------------------------------------------------------------------------------------------
# Elementwise rows.
# ---------------------------------------------------------------------------------------------
@ROWS
def test_local_grads_against_centered_differences(op):  # (a)
    for params, points in _cases(op):
        for point in points:
            node = _value(op, point, params)
            assert node.row is op and len(node.local_grads) == op.arity
            for i, local in enumerate(node.local_grads):
                numeric = _centered(lambda p: _forward(op, p, params), point, i, H)
                assert _close(local, numeric, 1e-6), (op.name, params, point, i, local, numeric)
            node.backward()
            assert tuple(x.grad for x in node.inputs) == node.local_grads


@ROWS
def test_tensor_gradcheck(op):  # (b)
    for params, points in _cases(op):
        columns = np.array(points).T.copy()
        inputs = [Tensor(column) for column in columns]
        kw = op.kwargs(params)
        weights = np.linspace(0.5, 1.5, len(points))  # a different upstream gradient per entry
        autograd.gradcheck(lambda *xs: (apply(op, xs, **kw) * weights).sum(), inputs,
                           h=1e-5, tol=1e-6)


@ROWS
def test_value_tensor_parity(op):  # (c)
    for params, points in _cases(op):
        columns = np.array(points).T.copy()
        tensors = [Tensor(column) for column in columns]
        out = apply(op, tensors, **op.kwargs(params))
        assert out.row is op and out.params == params
        out.sum().backward()
        tensor_locals = out.local_grads
        for k, point in enumerate(points):
            node = _value(op, point, params)
            assert node.data == pytest.approx(out.data[k], rel=1e-14, abs=1e-300)
            node.backward()
            for i, x in enumerate(node.inputs):
                assert x.grad == pytest.approx(tensors[i].grad[k], rel=1e-14, abs=1e-300)
                local = np.broadcast_to(tensor_locals[i], out.shape)[k]
                assert node.local_grads[i] == pytest.approx(local, rel=1e-14, abs=1e-300)


@ROWS
def test_step_caption(op):  # (d)
    params, points = _cases(op)[0]
    node = _value(op, points[0], params, labels=True)
    names = [x.label for x in node.inputs]
    step = next(node.backward_steps())
    first_line = step.describe().splitlines()[0]
    expected = op.describe(names, params, format_number)
    assert expected in first_line, (first_line, expected)
    assert all(name in op.describe(names, params) for name in names)


def _first_order(op: ops.Op, point: Sequence[float], params: tuple, j: int) -> float:
    """d out / d x_j at ``point`` by a plain first-order pass."""
    leaves = [Value(x) for x in point]
    return grad(Value._apply(op, tuple(leaves), params), leaves[j])[0].data


@ROWS
def test_second_derivatives_value(op):  # (e), Value
    for params, points in _cases(op):
        for point in points:
            leaves = [Value(x) for x in point]
            out = Value._apply(op, tuple(leaves), params)
            for j in range(op.arity):
                first, = grad(out, leaves[j], create_graph=True)
                assert first.data == pytest.approx(out.local_grads[j], rel=1e-14, abs=1e-300)
                if not first.inputs:  # a constant slope (add, neg, ...): no graph behind it
                    second = (0.0,) * op.arity
                else:
                    second = tuple(0.0 if s is None else s.data
                                   for s in grad(first, leaves, allow_unused=True))
                for i in range(op.arity):
                    numeric = _centered(lambda p: _first_order(op, p, params, j), point, i, H2)
                    assert _close(second[i], numeric, 1e-6, floor=1e-4), (
                        op.name, params, point, (j, i), second[i], numeric)


@ROWS
def test_second_derivatives_tensor(op):  # (e), Tensor
    for params, points in _cases(op):
        columns = np.array(points).T.copy()
        kw = op.kwargs(params)

        def first_order(cols: np.ndarray, j: int) -> np.ndarray:
            xs = [Tensor(c) for c in cols]
            return grad(apply(op, xs, **kw).sum(), xs[j])[0].data

        xs = [Tensor(c) for c in columns]
        y = apply(op, xs, **kw).sum()
        for j in range(op.arity):
            first, = grad(y, xs[j], create_graph=True)
            assert isinstance(first, Tensor)
            np.testing.assert_allclose(first.data, first_order(columns, j), rtol=1e-14)
            if first.inputs:
                seconds = grad(first.sum(), xs, allow_unused=True)
            else:
                seconds = (None,) * op.arity
            for i in range(op.arity):
                second = np.zeros(len(points)) if seconds[i] is None else seconds[i].data
                up, down = columns.copy(), columns.copy()
                up[i] += H2
                down[i] -= H2
                numeric = (first_order(up, j) - first_order(down, j)) / (2.0 * H2)
                np.testing.assert_allclose(second, numeric, rtol=1e-6, atol=1e-8,
                                           err_msg=f"{op.name} {params} d2/dx{j}dx{i}")


# ---------------------------------------------------------------------------------------------
# Variadic scalar rows.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ops.VARIADIC, ids=lambda op: op.name)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_variadic_rows(op, n):
    rng = np.random.default_rng(n)
    count = n if op is not ops.LINEAR else 2 * n + 1
    leaves = [Value(float(x)) for x in rng.uniform(-2, 2, size=count)]

    def f(*xs):
        node = Value._apply(op, xs)
        assert node.row is op
        return node * node + node  # a nonlinear head, so second derivatives are not all 0

    autograd.gradcheck(f, leaves)
    out = f(*leaves)
    firsts = grad(out, leaves, create_graph=True)
    for j, first in enumerate(firsts):
        seconds = [0.0 if s is None else s.data for s in grad(first, leaves, allow_unused=True)]
        point = [x.data for x in leaves]

        def first_order(p, j=j):
            xs = [Value(x) for x in p]
            return grad(f(*xs), xs[j])[0].data

        for i in range(count):
            numeric = _centered(first_order, point, i, H2)
            assert _close(seconds[i], numeric, 1e-6, floor=1e-4), (op.name, j, i)


# ---------------------------------------------------------------------------------------------
# Structural rows (Tensor only): example inputs per row name.
# ---------------------------------------------------------------------------------------------
def _normal(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape) + len(shape)).standard_normal(shape)


STRUCTURAL_CASES: Dict[str, List[Tuple[List[np.ndarray], Dict[str, Any]]]] = {
    "matmul": [([_normal(3, 4), _normal(4, 2)], {}),
               ([_normal(4), _normal(4, 3)], {}),
               ([_normal(2, 4), _normal(4)], {}),
               ([_normal(5), _normal(5)], {}),
               ([_normal(2, 3, 4), _normal(4, 2)], {})],
    "transpose": [([_normal(3, 4)], {}), ([_normal(2, 3, 4)], {"axes": (1, 2, 0)})],
    "reshape": [([_normal(3, 4)], {"shape": (2, 6)}), ([_normal(2, 3)], {"shape": (6,)})],
    "reduce_sum": [([_normal(3, 4)], {}), ([_normal(3, 4)], {"axis": 0}),
                   ([_normal(2, 3, 4)], {"axis": (0, 2), "keepdims": True})],
    "mean": [([_normal(3, 4)], {}), ([_normal(3, 4)], {"axis": 1, "keepdims": True}),
             ([_normal(2, 3, 4)], {"axis": -1})],
    "max": [([_normal(3, 4)], {}), ([_normal(3, 4)], {"axis": 0}),
            ([_normal(2, 3, 4)], {"axis": 1, "keepdims": True})],
    "index": [([_normal(4, 3)], {"key": IndexKey((np.arange(4), np.array([0, 2, 1, 2])))}),
              ([_normal(5)], {"key": IndexKey(np.array([0, 3, 3, 1]))}),
              ([_normal(4, 3)], {"key": IndexKey((slice(1, 3), slice(None)))})],
    "logsumexp": [([_normal(3, 4)], {}), ([_normal(3, 4)], {"axis": 1}),
                  ([_normal(2, 3, 4)], {"axis": 0, "keepdims": True})],
    "sum_squares": [([_normal(3, 4)], {})],
    "expand": [([_normal(3, 1)], {"shape": (3, 4)}), ([_normal(4)], {"shape": (2, 4)})],
    "scatter": [([_normal(3)], {"key": IndexKey(np.array([0, 2, 2])), "shape": (4,)}),
                ([_normal(2, 3)], {"key": IndexKey(slice(1, 3)), "shape": (4, 3)})],
    "conv2d": [([_normal(2, 2, 5, 5), _normal(3, 2, 3, 3)], {"stride": (1, 1), "padding": (1, 1)}),
               ([_normal(1, 2, 6, 5), _normal(2, 2, 2, 3)], {"stride": (2, 1), "padding": (0, 1)})],
    "conv2d_bias": [([_normal(1, 2, 4, 4), _normal(2, 2, 3, 3), _normal(2)],
                     {"stride": (1, 1), "padding": (1, 1)})],
    "max_pool2d": [([_normal(2, 2, 4, 4)], {"kernel": (2, 2), "stride": (2, 2)}),
                   ([_normal(1, 1, 5, 5)], {"kernel": (3, 3), "stride": (1, 1)})],
    "avg_pool2d": [([_normal(2, 2, 4, 4)], {"kernel": (2, 2), "stride": (2, 2)}),
                   ([_normal(1, 1, 5, 4)], {"kernel": (3, 2), "stride": (1, 1)})],
}


def test_every_structural_row_has_a_case():
    names = {op.name for op in ops.STRUCTURAL}
    missing = names - set(STRUCTURAL_CASES)
    assert not missing, f"structural rows without example inputs in STRUCTURAL_CASES: {missing}"
    assert set(STRUCTURAL_CASES) <= names, set(STRUCTURAL_CASES) - names


STRUCTURAL = pytest.mark.parametrize("op", ops.STRUCTURAL, ids=lambda op: op.name)


def _structural_f(op: ops.Op, kw: Dict[str, Any]) -> Callable:
    """A scalar function of the row's inputs: the row, then a smooth nonlinear head, so the
    upstream gradient differs per entry and second derivatives pass through the row twice."""
    def f(*xs):
        out = apply(op, xs, **kw)
        assert out.row is op
        weights = Tensor(np.linspace(-1.0, 1.5, out.size).reshape(out.shape),
                         requires_grad=False)
        return (weights * out + out * out).sum()
    return f


@STRUCTURAL
def test_structural_gradcheck(op):
    assert op.name in STRUCTURAL_CASES, f"no example inputs for structural row {op.name!r}"
    for arrays, kw in STRUCTURAL_CASES[op.name]:
        inputs = [Tensor(a.copy()) for a in arrays]
        autograd.gradcheck(_structural_f(op, kw), inputs, h=1e-5, tol=1e-6)


@STRUCTURAL
def test_structural_second_order(op):
    assert op.name in STRUCTURAL_CASES, f"no example inputs for structural row {op.name!r}"
    for arrays, kw in STRUCTURAL_CASES[op.name]:
        f = _structural_f(op, kw)
        inputs = [Tensor(a.copy()) for a in arrays]
        if not op.higher_order:  # first-order only: asking for more names the row
            with pytest.raises(NotImplementedError, match=repr(op.name)):
                grad(f(*inputs), inputs, create_graph=True)
            continue
        firsts = grad(f(*inputs), inputs, create_graph=True)
        for j, first in enumerate(firsts):
            plain = grad(f(*inputs), inputs[j])[0]
            np.testing.assert_allclose(first.data, plain.data, rtol=1e-14, atol=1e-15)
            direction = np.random.default_rng(j).standard_normal(first.shape)
            # d/dx_i of (first . direction): a Hessian-vector product, checked entry by entry
            seconds = grad((first * direction).sum(), inputs, allow_unused=True)
            for i, x in enumerate(inputs):
                second = np.zeros(x.shape) if seconds[i] is None else seconds[i].data
                numeric = np.zeros(x.shape)
                for index in np.ndindex(*x.shape):
                    values = []
                    for sign in (1.0, -1.0):
                        moved = [a.copy() for a in arrays]
                        moved[i][index] += sign * H2
                        xs = [Tensor(a) for a in moved]
                        values.append(np.vdot(grad(f(*xs), xs[j])[0].data, direction))
                    numeric[index] = (values[0] - values[1]) / (2.0 * H2)
                np.testing.assert_allclose(second, numeric, rtol=1e-6, atol=1e-8,
                                           err_msg=f"{op.name} {kw} d/dx{i} (grad_{j} . v)")
