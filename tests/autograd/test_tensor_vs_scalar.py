"""The same computation on a Tensor and on a grid of scalar Values gives the same gradients.

Both engines share the op table and the backward walk, so on small shapes every gradient must agree
to 1e-10 relative: the Tensor side sums broadcast gradients, the Value side gets the same sums by
fan-out (one Value feeding several gates).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

import autograd
from autograd import Constant, Tensor, Value

RNG = np.random.default_rng(7)


def as_values(array: np.ndarray) -> np.ndarray:
    """An object array of leaf Values with the entries of ``array``."""
    grid = np.empty(array.shape, dtype=object)
    for i in np.ndindex(array.shape):
        grid[i] = Value(float(array[i]))
    return grid


def grads(grid: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: v.grad, otypes=[float])(grid)


def weighted_sum(grid: np.ndarray, weights: np.ndarray) -> Value:
    """sum(grid * weights) as one scalar Value (weights are constants)."""
    grid = np.asarray(grid, dtype=object)
    weights = np.broadcast_to(weights, grid.shape)
    return autograd.sum([v * float(w) for v, w in zip(grid.flat, weights.flat)])


def assert_close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-10) -> None:
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)


def compare_elementwise(f: Callable, *arrays: np.ndarray) -> None:
    """f applied to Tensors, and entry by entry (with numpy broadcasting) to Values."""
    tensors = [Tensor(a) for a in arrays]
    out = f(*tensors)
    weights = RNG.standard_normal(out.shape)
    (out * weights).sum().backward()

    grids = [as_values(a) for a in arrays]
    scalar_out = np.frompyfunc(f, len(grids), 1)(*grids)
    weighted_sum(scalar_out, weights).backward()

    np.testing.assert_allclose(np.vectorize(lambda v: v.data, otypes=[float])(scalar_out),
                               out.data, rtol=1e-13)
    for t, grid in zip(tensors, grids):
        assert_close(t.grad, grads(grid))


def positive(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape)


def signed(*shape: int) -> np.ndarray:
    return RNG.uniform(0.3, 1.5, shape) * RNG.choice([-1.0, 1.0], shape)


ELEMENTWISE = {
    "add": (lambda a, b: a + b, signed, signed),
    "sub": (lambda a, b: a - b, signed, signed),
    "mul": (lambda a, b: a * b, signed, signed),
    "div": (lambda a, b: a / b, signed, signed),
    "pow_value": (lambda a, b: a ** b, positive, signed),
    "neg": (lambda a: -a, signed),
    "pow": (lambda a: a ** 3.0, signed),
    "exp": (lambda a: a.exp(), signed),
    "log": (lambda a: a.log(), positive),
    "tanh": (lambda a: a.tanh(), signed),
    "sigmoid": (lambda a: a.sigmoid(), signed),
    "relu": (lambda a: a.relu(), signed),
    "abs": (lambda a: a.abs(), signed),
    "sqrt": (lambda a: a.sqrt(), positive),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_each_elementwise_row_agrees_with_the_scalar_engine(name):
    f, *makers = ELEMENTWISE[name]
    compare_elementwise(f, *[make(2, 3) for make in makers])


def test_a_graph_of_many_gates_on_a_2x3_grid():
    def f(a, b):
        h = (a * b + a.tanh()) / (b.sigmoid() + 1.0)
        return h.exp() - (a ** 2).relu() + (b.abs() + 0.5).sqrt().log() * 3.0 - 2.0 / (a * a + 1.0)

    compare_elementwise(f, signed(2, 3), signed(2, 3))


@pytest.mark.parametrize("shapes", [((2, 1), (1, 3)), ((3,), (2, 3)), ((), (2, 3))], ids=str)
def test_broadcasting_agrees_with_fan_out(shapes):
    compare_elementwise(lambda a, b: (a * b).tanh() + a - b / (a * a + 1.0),
                        signed(*shapes[0]), signed(*shapes[1]))


def test_matmul_agrees_with_sums_of_products():
    A, B = signed(2, 3), signed(3, 4)
    a, b = Tensor(A), Tensor(B)
    weights = RNG.standard_normal((2, 4))
    ((a @ b) * weights).sum().backward()

    va, vb = as_values(A), as_values(B)
    product = np.empty((2, 4), dtype=object)
    for i in range(2):
        for j in range(4):
            product[i, j] = autograd.sum([va[i, k] * vb[k, j] for k in range(3)])
    weighted_sum(product, weights).backward()
    assert_close(a.grad, grads(va))
    assert_close(b.grad, grads(vb))


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_reductions_agree(axis):
    X = RNG.permutation(6).reshape(2, 3) * 0.3 + 0.1  # distinct entries: max is unique
    t = Tensor(X)
    loss = t.sum(axis=axis) * 2.0 + t.mean(axis=axis) - t.max(axis=axis) * 3.0 + t.logsumexp(axis)
    weights = RNG.standard_normal(loss.shape)
    (loss * weights).sum().backward()

    grid = as_values(X)
    if axis is None:
        lines = [grid.ravel()]
    else:  # one line of Values per output entry, in the output's order
        lines = np.moveaxis(grid, axis, -1).reshape(-1, X.shape[axis])
    outputs = []
    for line in lines:
        line = list(line)
        top = max(line, key=lambda v: v.data)
        shift = Constant(top.data)
        lse = autograd.sum([(v - shift).exp() for v in line]).log() + shift
        outputs.append(autograd.sum(line) * 2.0 + autograd.sum(line) / len(line) - top * 3.0 + lse)
    weighted_sum(np.array(outputs, dtype=object), np.ravel(weights)).backward()
    assert_close(t.grad, grads(grid))


def test_indexing_with_repeats_agrees_with_reusing_values():
    X = signed(3, 4)
    rows, cols = np.array([0, 2, 0, 0, 1]), np.array([1, 3, 1, 2, 1])
    t = Tensor(X)
    picked = t[rows, cols]
    weights = RNG.standard_normal(5)
    (picked.tanh() * weights).sum().backward()

    grid = as_values(X)
    weighted_sum(np.array([grid[r, c].tanh() for r, c in zip(rows, cols)], dtype=object),
                 weights).backward()
    assert_close(t.grad, grads(grid))


def test_softmax_loss_agrees_with_the_scalar_engine():
    N, D, C = 4, 3, 3
    X, y, W = signed(N, D), np.array([0, 2, 2, 1]), signed(D, C)
    w = Tensor(W)
    scores = Tensor(X, requires_grad=False) @ w
    loss = (scores.logsumexp(axis=1) - scores[np.arange(N), y]).mean() + 0.5 * (w * w).sum()
    loss.backward()

    vw = as_values(W)
    terms = []
    for i in range(N):
        row = [autograd.dot([vw[k, j] for k in range(D)], list(X[i])) for j in range(C)]
        exps = [s.exp() for s in row]
        terms.append(autograd.sum(exps).log() - row[y[i]])
    scalar_loss = autograd.sum(terms) / N + 0.5 * autograd.sum([v * v for v in vw.flat])
    scalar_loss.backward()
    assert loss.item() == pytest.approx(scalar_loss.data, rel=1e-12)
    assert_close(w.grad, grads(vw))


def test_same_rows_same_local_gradients():
    a, b = signed(2, 3), signed(2, 3)
    t = Tensor(a) / Tensor(b)
    local_a, local_b = t.local_grads
    for i in np.ndindex(a.shape):
        v = Value(a[i]) / Value(b[i])
        assert v.local_grads == pytest.approx((local_a[i], local_b[i]), rel=1e-15)
