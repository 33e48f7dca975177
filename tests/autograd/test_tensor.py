"""Tensor ops against centered differences; broadcasting, gradient semantics, errors, strictness.

Gradient checks project the output onto fixed random weights R and differentiate
``sum(f(x) * R)``, so every entry of the vector-Jacobian product is tested, not only its sum.
"""

from __future__ import annotations

import gc
import re
import warnings
from typing import Callable, Sequence

import numpy as np
import pytest

import autograd
from autograd import DomainError, Tensor, Value, ops

H = 1e-5  # centered-difference step: truncation ~h^2, rounding ~1e-16 / h, both ~1e-10 here


def rel_error(a: np.ndarray, n: np.ndarray) -> float:
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-8)
    return float(np.max(np.abs(a - n) / scale))


def centered(f: Callable[..., np.ndarray], arrays: Sequence[np.ndarray], weights: np.ndarray,
             which: int) -> np.ndarray:
    """d sum(f(*arrays) * weights) / d arrays[which] by centered differences, entry by entry."""
    x = arrays[which]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + H
        up = np.sum(f(*arrays) * weights)
        x[i] = old - H
        down = np.sum(f(*arrays) * weights)
        x[i] = old
        grad[i] = (up - down) / (2 * H)
    return grad


def check(build: Callable[..., Tensor], *arrays: np.ndarray, tol: float = 1e-7) -> None:
    """Backward through ``build`` agrees with centered differences for every input."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy()) for a in arrays]
    out = build(*tensors)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward()

    def forward(*xs):
        return build(*[Tensor(x, requires_grad=False) for x in xs]).data

    for k, t in enumerate(tensors):
        numeric = centered(forward, arrays, weights, k)
        assert t.grad.shape == arrays[k].shape
        assert rel_error(t.grad, numeric) < tol, (k, t.grad, numeric)


RNG = np.random.default_rng(0)


def away_from_zero(*shape: int) -> np.ndarray:
    """Entries in +-[0.3, 1.5]: no kink of relu/abs/max and no pole of 1/x nearby."""
    return RNG.uniform(0.3, 1.5, shape) * RNG.choice([-1.0, 1.0], shape)


def positive(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape)


UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "abs": lambda x: x.abs(),
    "abs_operator": lambda x: abs(x),
    "sqrt": lambda x: x.sqrt(),
    "pow_number": lambda x: x ** 3,
    "pow_fraction": lambda x: x ** 1.5,
    "pow_negative": lambda x: x ** -2.0,
    "rpow": lambda x: 2.0 ** x,
    "radd": lambda x: 2.0 + x,
    "rsub": lambda x: 2.0 - x,
    "rmul": lambda x: 2.0 * x,
    "rdiv": lambda x: 2.0 / x,
    "pos": lambda x: +x * 1.0,
}
NEEDS_POSITIVE = {"log", "sqrt", "pow_fraction"}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_centered_differences(name):
    x = positive(3, 4) if name in NEEDS_POSITIVE else away_from_zero(3, 4)
    check(UNARY[name], x)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow_tensor": lambda a, b: a ** b,
}
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (3, 4)), ((3, 4), (4,)),
                    ((), (3, 4)), ((3, 4), ()), ((2, 1, 4), (3, 1))]


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_broadcast_and_match_centered_differences(name, shapes):
    a = positive(*shapes[0]) if name == "pow_tensor" else away_from_zero(*shapes[0])
    check(BINARY[name], a, away_from_zero(*shapes[1]))


def test_broadcast_gradient_is_summed_down_to_each_input_shape():
    a, b = Tensor(np.ones((3, 1))), Tensor(np.ones((1, 4)))
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad, np.full((1, 4), 3.0))


def test_operators_with_ndarrays_on_either_side():
    c = away_from_zero(3, 4)
    for build in (lambda x: c + x, lambda x: x - c, lambda x: c * x, lambda x: c / x,
                  lambda x: x / c, lambda x: c - x, lambda x: abs(c) ** (x * 0.1 + 2.0)):
        check(build, positive(3, 4))
    x = Tensor(np.ones(3))
    assert type(np.ones(3) + x) is Tensor and type(np.ones((2, 3)) @ Tensor(np.ones(3))) is Tensor


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                                    ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
                                    ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (3, 4, 2)),
                                    ((4,), (2, 4, 3)), ((2, 3, 4), (4,))], ids=str)
def test_matmul_shapes_match_centered_differences(shapes):
    check(lambda a, b: a @ b, RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1]))


def test_matmul_with_a_data_operand_computes_only_the_weight_gradient():
    X = Tensor(RNG.standard_normal((5, 3)), requires_grad=False)
    W = Tensor(RNG.standard_normal((3, 2)))
    (X @ W).sum().backward()
    assert X.grad is None
    np.testing.assert_allclose(W.grad, X.data.T @ np.ones((5, 2)), rtol=1e-15)


REDUCTIONS = {
    "sum": lambda x, **kw: x.sum(**kw),
    "mean": lambda x, **kw: x.mean(**kw),
    "max": lambda x, **kw: x.max(**kw),
    "logsumexp": lambda x, **kw: x.logsumexp(**kw),
}


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)], ids=str)
def test_sum_of_squares_matches_numpy_and_centered_differences(shape):
    x = RNG.standard_normal(shape)
    out = Tensor(x).sum_of_squares()
    assert out.shape == () and out.op == "Σx²"
    np.testing.assert_allclose(out.data, np.sum(x ** 2), rtol=1e-14)
    check(lambda t: t.sum_of_squares(), x)


def test_sum_of_squares_of_a_transposed_view_has_the_views_gradient():
    x = RNG.standard_normal((3, 4))
    w = Tensor(x)
    (w.T.sum_of_squares() * 3.0).backward()
    np.testing.assert_allclose(w.grad, 6.0 * x, rtol=1e-15)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (-1, 0)], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_over_axes_match_centered_differences(name, axis, keepdims):
    x = RNG.permutation(24).reshape(2, 3, 4) * 0.05 + RNG.uniform(0, 0.01, (2, 3, 4))  # no ties
    reduce = REDUCTIONS[name]
    expected = getattr(np, "max" if name == "max" else name, None)
    out = reduce(Tensor(x), axis=axis, keepdims=keepdims)
    if expected is not None:
        np.testing.assert_allclose(out.data, expected(x, axis=axis, keepdims=keepdims), rtol=1e-15)
    check(lambda t: reduce(t, axis=axis, keepdims=keepdims), x)


def test_logsumexp_is_stable_and_exact():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [0.0, -np.inf]])
    t = Tensor(x)
    out = t.logsumexp(axis=1)
    np.testing.assert_allclose(out.data, [1000.0 + np.log(2.0), -1000.0 + np.log(2.0), 0.0],
                               rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(t.grad, [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]], rtol=1e-15)


def test_max_splits_the_gradient_evenly_between_ties():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, 0.0, 1.0]]))
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [1, 0, 0]],
                               rtol=1e-15)
    y = Tensor(np.array([4.0, 1.0, 4.0]))
    y.max().backward()
    np.testing.assert_array_equal(y.grad, [0.5, 0.0, 0.5])


INDEXING = {
    "int": (lambda x: x[1], (3, 4)),
    "negative_int": (lambda x: x[-1, 2], (3, 4)),
    "slice": (lambda x: x[1:, ::2], (3, 4)),
    "list_with_repeats": (lambda x: x[[0, 0, 2, 0]], (3, 4)),
    "pairs_arange": (lambda x: x[np.arange(3), np.array([1, 3, 1])], (3, 4)),
    "pairs_with_repeats": (lambda x: x[np.array([0, 0, 2, 0]), np.array([1, 1, 3, 1])], (3, 4)),
    "arange_first_but_repeated_second": (
        lambda x: x[np.arange(4) % 2, np.array([0, 1, 0, 1])], (2, 3)),
    "2d_integer_array": (lambda x: x[np.array([[0, 1], [1, 1]])], (3, 4)),
    "boolean_mask": (lambda x: x[np.array([True, False, True])], (3, 4)),
    "mixed_slice_and_array": (lambda x: x[:, np.array([3, 3, 0])], (3, 4)),
    "ellipsis_newaxis": (lambda x: x[..., None, 1], (3, 4)),
}


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_indexing_matches_centered_differences(name):
    build, shape = INDEXING[name]
    check(build, RNG.standard_normal(shape))


def test_repeated_indices_accumulate():
    x = Tensor(np.zeros((2, 3)))
    x[np.array([0, 0, 1, 0]), np.array([2, 2, 0, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 3], [1, 0, 0]])
    N, y = 4, np.array([2, 0, 2, 1])
    scores = Tensor(np.zeros((N, 3)))
    (scores[np.arange(N), y] * np.array([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(scores.grad, [[0, 0, 1], [2, 0, 0], [0, 0, 3], [0, 4, 0]])


def test_reshape_and_transpose_match_centered_differences():
    x = RNG.standard_normal((2, 3, 4))
    check(lambda t: t.reshape(4, 6) * np.arange(24.0).reshape(4, 6), x)
    check(lambda t: t.reshape((-1,)), x)
    check(lambda t: t.transpose(1, 0, 2), x)
    check(lambda t: t.transpose((2, 0, 1)), x)
    check(lambda t: t.T, x)
    check(lambda t: (t.T @ t).sum(axis=0), RNG.standard_normal((3, 4)))


def test_softmax_loss_gradient_equals_the_closed_form():
    N, D, C = 7, 5, 4
    X, y, W = RNG.standard_normal((N, D)), RNG.integers(0, C, N), RNG.standard_normal((D, C))
    w = Tensor(W)
    scores = Tensor(X, requires_grad=False) @ w
    loss = (scores.logsumexp(axis=1) - scores[np.arange(N), y]).mean()
    loss.backward()
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected_loss = -np.mean(np.log(p[np.arange(N), y]))
    p[np.arange(N), y] -= 1.0
    assert loss.item() == pytest.approx(expected_loss, rel=1e-14)
    np.testing.assert_allclose(w.grad, X.T @ p / N, rtol=1e-12, atol=1e-15)


# ---- gradient semantics -------------------------------------------------------------------------

def test_backward_twice_accumulates_in_leaves_only():
    x = Tensor(np.array([1.0, -2.0, 3.0]))
    h = x * x
    loss = h.sum()
    loss.backward()
    first = x.grad.copy()
    np.testing.assert_array_equal(first, [2.0, -4.0, 6.0])
    loss.backward()
    np.testing.assert_array_equal(x.grad, 2 * first)
    np.testing.assert_array_equal(h.grad, [1.0, 1.0, 1.0])  # interior: the latest pass
    x.zero_grad()
    assert x.grad is None
    loss.backward()
    np.testing.assert_array_equal(x.grad, first)


def test_leaf_gradient_is_its_own_writable_array():
    x = Tensor(np.ones((2, 3)))
    h = x + 0.0
    y = h.sum()
    y.backward()
    assert x.grad.flags.writeable and x.grad.base is None and x.grad is not h.grad
    x.grad *= 2.0  # the user may scale a gradient in place without touching the graph
    np.testing.assert_array_equal(h.grad, np.ones((2, 3)))


def test_fan_out_sums_all_paths():
    x = Tensor(np.array([0.5, -1.5]))
    a = x.exp()
    f = (a * 3.0 + a.tanh()).sum()
    f.backward()
    np.testing.assert_allclose(a.grad, 3.0 + (1 - np.tanh(a.data) ** 2), rtol=1e-15)
    np.testing.assert_allclose(x.grad, a.grad * a.data, rtol=1e-15)


def test_requires_grad_false_gets_no_gradient_and_no_graph():
    X = Tensor(np.ones((2, 2)), requires_grad=False)
    W = Tensor(np.ones((2, 2)))
    const = X * 2.0 + 1.0
    assert not const.requires_grad and const.inputs == () and const.op == "" and const.is_leaf
    assert const.is_constant and not W.is_constant
    assert not Tensor(np.ones(2), label="X", requires_grad=False).is_constant
    out = (const @ W).sum()
    assert out.requires_grad and W.requires_grad
    out.backward()
    assert X.grad is None and const.grad is None
    np.testing.assert_array_equal(W.grad, np.full((2, 2), 6.0))


def test_backward_on_a_leaf_seeds_it():
    x = Tensor(np.array([3.0]))
    x.backward()
    x.backward()
    np.testing.assert_array_equal(x.grad, [2.0])


def test_backward_with_gradient_argument():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    y = x * x
    y.backward(gradient=np.array([[1.0, 0.0], [0.5, 2.0]]))
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0], [3.0, 16.0]])


def test_one_element_tensor_of_any_shape_seeds_with_one():
    x = Tensor(np.array([[2.0]]))
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [[4.0]])


def test_step_through_equals_backward():
    def build():
        W = Tensor(np.array([[0.2, -0.5], [1.5, 1.3], [-0.3, 0.8]]), label="W")
        b = Tensor(np.array([0.1, -0.2]), label="b")
        x = Tensor(np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]]), label="x", requires_grad=False)
        h = (x @ W + b).tanh()
        return W, b, (h * h).mean() + h.max()

    W1, b1, loss1 = build()
    loss1.backward()
    W2, b2, loss2 = build()
    steps = list(loss2.backward_steps())
    assert len(steps) == 7 and steps[-1].index == steps[-1].total == 7
    np.testing.assert_array_equal(W1.grad, W2.grad)
    np.testing.assert_array_equal(b1.grad, b2.grad)
    text = "\n".join(str(s) for s in steps)
    assert "x @ W = array(2, 2)" in text
    assert "W.grad += local vjp * upstream array(2, 2) = array(3, 2)" in text
    assert "b.grad += local 1 * upstream array(2, 2) = array(2,)" in text
    assert "x.grad" not in text  # data gets no gradient, so the text leaves it out


def test_local_grads_for_elementwise_and_structural_gates():
    a, b = Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, 4.0]))
    prod = a * b
    la, lb = prod.local_grads
    np.testing.assert_array_equal(la, b.data)
    np.testing.assert_array_equal(lb, a.data)
    assert (a + b).local_grads == (1.0, 1.0)
    assert (a @ b).local_grads == (None, None) and a.sum().local_grads == (None,)
    assert a.local_grads == ()
    assert (a ** 2).params == (2.0,)
    assert a.sum().params == () and a.sum(axis=0).params == (0,)
    assert a.sum(axis=0, keepdims=True).params == (0, True)


def test_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = Tensor(RNG.standard_normal((4, 3)))
        W = Tensor(RNG.standard_normal((3, 2)))
        scores = x @ W
        loss = (scores.logsumexp(axis=1) - scores[np.arange(4), np.array([0, 1, 1, 0])]).mean()
        loss = loss + (W * W).sum() + scores.relu().max() + (scores ** 2).sigmoid().sum()
        loss.backward()
        for _ in loss.backward_steps():
            pass
        del x, W, scores, loss
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_deep_chain_needs_no_recursion():
    x = Tensor(np.array([1.0, 2.0]))
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_nodes_made_inside_a_gate_remember_it():
    x = Tensor(np.array([0.5, -0.5]))
    with autograd.gate("sigmoid") as g:
        s = 1.0 / (1.0 + (-x).exp())
    assert s.gate is g and s.inputs[1].gate is g
    assert x.gate is None


# ---- construction, properties, errors ----------------------------------------------------------

def test_construction_and_properties():
    raw = np.arange(6.0).reshape(2, 3)
    t = Tensor(raw, label="t")
    assert t.data is raw  # float64 arrays are shared, not copied
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.grad is None and t.requires_grad and t.label == "t" and t.op == ""
    assert t.numpy() is raw and t.T.shape == (3, 2)
    ints = Tensor([[1, 2], [3, 4]])
    assert ints.data.dtype == np.float64
    assert Tensor(raw, dtype=np.float32).data.dtype == np.float32
    assert Tensor(2.5).item() == 2.5 and float(Tensor([[2.5]])) == 2.5
    copy = Tensor(t)
    assert copy.data is not raw and np.array_equal(copy.data, raw)
    text = repr(Tensor(np.arange(100.0), label="w"))
    assert text.startswith("Tensor([ 0.,  1., ..., 98., 99.], shape=(100,), label='w')")
    assert "op='@'" in repr(t @ t.T)
    assert "requires_grad=False" in repr(Tensor(1.0, requires_grad=False))


@pytest.mark.parametrize("bad, words", [
    (np.array([1 + 2j]), "complex"),
    (["a", "b"], "strings"),
    ([Value(1.0)], "Python objects"),
    (np.array([None, 1.0]), "Python objects"),
])
def test_non_real_data_is_rejected(bad, words):
    with pytest.raises(TypeError, match=words):
        Tensor(bad)


def test_bad_dtype_and_value_are_rejected():
    with pytest.raises(TypeError, match="float dtype"):
        Tensor([1.0], dtype=np.int64)
    with pytest.raises(TypeError, match="scalar Value"):
        Tensor(Value(1.0))


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) @ \(5, 2\)"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"\(3,\) @ \(4,\)"):
        Tensor(np.ones(3)) @ np.ones(4)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        Tensor(np.ones(3)) @ 2.0


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"shapes \(3, 4\) and \(5,\) do not broadcast"):
        Tensor(np.ones((3, 4))) + np.ones(5)


def test_backward_errors():
    t = Tensor(np.ones((3, 4)))
    y = t * 2.0
    with pytest.raises(ValueError, match=r"shape \(3, 4\) needs gradient="):
        y.backward()
    with pytest.raises(ValueError, match=r"shape \(3, 4\), got shape \(4, 3\)"):
        y.backward(gradient=np.ones((4, 3)))
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor(np.ones(1), requires_grad=False) * 2.0).backward()
    with pytest.raises(ValueError, match=r"one-element tensor, got shape \(3, 4\)"):
        t.item()


def test_tensor_and_value_are_never_mixed():
    t, v = Tensor(np.ones(2)), Value(1.0)
    for combine in (lambda: t * v, lambda: t + v, lambda: t @ v, lambda: t ** v, lambda: v * t,
                    lambda: v + Tensor(np.ones(1)), lambda: t[v]):
        with pytest.raises(TypeError):
            combine()


# ---- strict mode over arrays ---------------------------------------------------------------------

def test_strict_mode_names_the_op_the_count_and_the_first_bad_value():
    x = Tensor(np.array([[1.0, -2.0], [0.0, 4.0]]))
    with pytest.raises(DomainError, match=r"log\(x\) needs x > 0, got 2 bad entries of 4, "
                                          r"the first x = -2.0"):
        x.log()
    with pytest.raises(DomainError, match=r"sqrt.*1 bad entry of 4, the first x = -2.0"):
        x.sqrt()
    with pytest.raises(ZeroDivisionError, match=r"division by zero in a / b: 1 zero denominator"):
        Tensor(np.ones((2, 2))) / x
    with pytest.raises(OverflowError, match=r"exp\(x\) overflows.*the first x = 800.0"):
        Tensor(np.array([1.0, 800.0, 900.0])).exp()
    with pytest.raises(DomainError, match="negative base"):
        x ** 0.5
    with pytest.raises(ZeroDivisionError, match="0 \\*\\* b"):
        x ** -1.0


def test_strict_mode_checks_local_gradients_too():
    x = Tensor(np.array([0.0, 1.0]))
    y = x.sqrt()  # sqrt(0) = 0 is fine; its slope 1 / (2 sqrt(0)) is not
    with pytest.raises(ZeroDivisionError, match=re.escape(
            "d sqrt(x)/dx = 1 / (2 sqrt(x)) is infinite at x = 0: 1 bad entry of 2")):
        y.sum().backward()


def test_non_strict_mode_gives_ieee_results_without_warnings():
    x = Tensor(np.array([-1.0, 0.0, 1.0]))
    with autograd.strict(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        log = x.log()
        ratio = Tensor(np.ones(3)) / x
        big = Tensor(np.array([1000.0])).exp()
        root = x.sqrt()
        (log.sum() + ratio.sum()).backward()
    assert np.isnan(log.data[0]) and log.data[1] == -np.inf and log.data[2] == 0.0
    np.testing.assert_array_equal(ratio.data, [-1.0, np.inf, 1.0])
    assert big.data[0] == np.inf and np.isnan(root.data[0])


def test_sigmoid_is_stable_and_exact_at_the_extremes():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = Tensor(x).sigmoid()
    expected = [0.0, np.exp(-30.0) / (1 + np.exp(-30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0]
    np.testing.assert_allclose(s.data, expected, rtol=1e-15, atol=0)


def test_every_elementwise_row_is_used_by_tensor():
    """Tensor builds its elementwise gates from the very rows Value uses."""
    x, y = Tensor(positive(2)), Tensor(positive(2))
    built = {(x ** 2)._op, (x ** y)._op}  # the one operator that is two rows
    for op in ops.ELEMENTWISE:  # every other row through its operator or method
        if op.operator is not None:
            built.add((getattr(x, f"__{op.operator}__")(*(y,) * (op.arity - 1)))._op)
        if op.method is not None:
            built.add(getattr(x, op.method)()._op)
    assert built == set(ops.ELEMENTWISE)
    structural = {(x @ y)._op, x.T._op, x.reshape(2, 1)._op, x.sum()._op, x.mean()._op,
                  x.max()._op, x[0]._op, x.logsumexp()._op, x.sum_of_squares()._op,
                  x.expand(3, 2)._op, autograd.tensor.apply(
                      ops.SCATTER, (x,), key=autograd.array_math.IndexKey(np.array([0, 2])),
                      shape=(3,))._op}
    assert structural == set(ops.STRUCTURAL) - set(ops.CONVOLUTION)  # tests/autograd/nn


def test_float32_stays_float32_with_number_operands():
    x = Tensor(np.array([1.0, 2.0]), dtype=np.float32)
    y = (0.5 * x + 1.0) ** 2 / 3.0
    assert y.data.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, (0.5 * x.data + 1.0) / 3.0, rtol=1e-6)


# -- transpose with negative axes; a rule giving the wrong shape is caught ------------------------

def test_transpose_with_negative_axes_gives_the_transposed_gradient():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    w = np.array([[10.0, 20.0], [30.0, 40.0]])
    (x.transpose(-1, 0) * w).sum().backward()
    np.testing.assert_array_equal(x.grad, w.T)  # d sum(x.T * w)/dx = w.T, not w

    x = Tensor(np.arange(6.0).reshape(2, 3))
    w = np.arange(10.0, 16.0).reshape(3, 2)
    y = x.transpose(-1, -2)
    assert y.params == ((1, 0),)  # stored normalised
    (y * w).sum().backward()
    assert x.grad.shape == (2, 3)
    np.testing.assert_array_equal(x.grad, w.T)


def test_transpose_with_negative_axes_by_centered_differences():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    check(lambda t: t.transpose(0, -1, -2) * t.transpose((-3, 2, 1)), x)
    assert Tensor(x).transpose(2, -3, 1).shape == (4, 2, 3)


@pytest.mark.parametrize("axes, error", [
    ((0, 0), ValueError), ((0, 2), ValueError), ((1,), ValueError), ((-3, 0), ValueError),
    ((0, 1.0), TypeError),
])
def test_transpose_axes_must_be_a_permutation(axes, error):
    with pytest.raises(error, match="transpose\\(axes\\)"):
        Tensor(np.ones((2, 3))).transpose(*axes)


def test_a_gradient_rule_of_the_wrong_shape_is_an_internal_error_not_a_wrong_gradient():
    # A faulty structural row: its vjp forgets to transpose g back.
    faulty = ops.Op("faulty_transpose", "faulty", forward=lambda m, x: x.T.copy(),
                    vjp=(lambda m, g, out, x: g,), math="wrong on purpose")
    x = Tensor(np.ones((2, 3)))
    y = autograd.tensor._make(faulty, (x,), x.data.T.copy())
    with pytest.raises(RuntimeError, match=re.escape(
            "'faulty_transpose' gate: its gradient rule gave an input of shape (2, 3) a "
            "gradient of shape (3, 2)")):
        y.sum().backward()


# -- ** : each input's partial only where it is needed; numpy broadcasting -------------------------

def test_pow_by_a_constant_array_needs_no_log_of_a_negative_base():
    x = Tensor(np.array([-2.0, 3.0]))
    y = x ** np.array([2.0, 3.0])
    assert y.op == "**" and y.inputs[0] is x
    np.testing.assert_array_equal(y.data, [4.0, 27.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [-4.0, 27.0])  # 2 * -2, 3 * 3 ** 2
    assert y.local_grads[1] is None  # d/db is never formed for a constant exponent

    x = Tensor(np.array([-2.0, 3.0]))
    (x ** Tensor(np.array([2.0, 2.0]), requires_grad=False)).sum().backward()
    np.testing.assert_array_equal(x.grad, [-4.0, 6.0])


def test_pow_with_a_constant_zero_base():
    t = Tensor(np.array([0.5, 2.0]))
    y = 0.0 ** t
    np.testing.assert_array_equal(y.data, [0.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 0.0])  # d 0 ** t/dt = 0 ** t log 0 -> 0, t > 0

    t = Tensor(np.array([0.5, 3.0]))
    (2.0 ** t).sum().backward()
    np.testing.assert_allclose(t.grad, 2.0 ** t.data * np.log(2.0), rtol=1e-15)


@pytest.mark.parametrize("exponent, shape, gate", [
    (np.array([[2.0]]), (1, 3), "pow_value"),
    (np.array([2.0]), (3,), "pow_value"),
    (Tensor(np.array([[2.0]]), requires_grad=False), (1, 3), "pow_value"),
    (np.array(2.0), (3,), "pow"),
    (np.float64(2.0), (3,), "pow"),
    (Tensor(2.0, requires_grad=False), (3,), "pow"),
    (2, (3,), "pow"),
])
def test_pow_broadcasts_like_numpy(exponent, shape, gate):
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    y = x ** exponent
    assert y.shape == shape == (x.data ** np.asarray(getattr(exponent, "data", exponent))).shape
    assert y._op.name == gate
    if gate == "pow":
        assert y.params == (2.0,)
    np.testing.assert_array_equal(y.data.reshape(-1), [1.0, 4.0, 9.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_pow_by_a_learned_exponent_still_checks_the_log():
    x = Tensor(np.array([-2.0, 3.0]))
    b = Tensor(np.array([2.0, 2.0]))
    with pytest.raises(DomainError, match=re.escape("d(a ** b)/db")):
        (x ** b).sum().backward()


# -- float32 -------------------------------------------------------------------------------------

def test_float32_exp_overflow_is_named_with_the_float32_limit():
    with pytest.raises(OverflowError, match=re.escape(
            "exp(x) overflows float32 (x must be < 88.72): 1 bad entry of 2, the first x = 100.0")):
        Tensor(np.array([100.0, 1.0]), dtype=np.float32).exp()
    out = Tensor(np.array([88.0, 1.0]), dtype=np.float32).exp()
    assert out.data.dtype == np.float32 and np.isfinite(out.data).all()


def test_bad_entry_report_with_no_bad_entry():
    from autograd import array_math

    assert array_math._bad_entries(np.zeros(3, dtype=bool), np.ones(3), "x") == \
        "0 bad entries of 3"
    assert array_math._bad_entries(np.array([False, True]), np.array([1.0, -2.0]), "x") == \
        "1 bad entry of 2, the first x = -2.0"


def test_float32_leaves_get_float32_gradients():
    x = Tensor(np.array([1.0, -1.0]), dtype=np.float32)
    x.relu().sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])

    x = Tensor(np.array([1.0, -1.0]), dtype=np.float32)
    (x * np.array([1.0, 2.0])).sum().backward()  # a float64 constant
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])

    x = Tensor(np.array([1.0, 3.0]), dtype=np.float32)
    w = Tensor(np.array([0.5, 0.25]))
    (x * w).sum().backward()
    assert (x.grad.dtype, w.grad.dtype) == (np.float32, np.float64)
    np.testing.assert_array_equal(x.grad, [0.5, 0.25])
    np.testing.assert_array_equal(w.grad, [1.0, 3.0])


# -- logsumexp of a 0-d tensor ---------------------------------------------------------------------

def test_logsumexp_and_softmax_of_a_0d_tensor():
    from autograd import array_math

    t = Tensor(3.0)
    y = t.logsumexp()
    assert y.shape == () and y.item() == 3.0
    y.backward()
    assert t.grad == 1.0
    assert array_math.softmax(np.array(3.0)) == 1.0
    assert Tensor(-np.inf).logsumexp().item() == -np.inf  # not nan
    np.testing.assert_array_equal(array_math.softmax(np.array([-np.inf, 0.0])), [0.0, 1.0])


# -- a leaf's grad after a step-through is its own array ---------------------------------------

def test_leaf_grad_after_a_step_through_is_not_the_steps_record():
    A = Tensor(np.array([1.0, 2.0, 3.0]))
    steps = list((A * 2.0).sum().backward_steps())
    product = steps[-1].contributions[0][2]
    np.testing.assert_array_equal(product, [2.0, 2.0, 2.0])
    A.grad *= 0.5  # a gradient clip, in place
    np.testing.assert_array_equal(A.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(product, [2.0, 2.0, 2.0])  # what the step showed stays shown
    assert not np.shares_memory(A.grad, product)


# -- truth value and iteration -------------------------------------------------------------------

def test_truth_value_of_one_element_tensors():
    assert bool(Tensor(0.0)) is False and bool(Tensor(2.0)) is True
    assert bool(Tensor(np.array([0.0]))) is False and bool(Tensor(np.array([[3.0]]))) is True
    for many in (np.array([1.0, 2.0]), np.zeros(0)):
        with pytest.raises(ValueError, match="ambiguous"):
            bool(Tensor(many))


def test_iteration_yields_rows_as_index_gates():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(5.0))
    t = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    rows = list(t)
    assert len(rows) == 2 and all(r.op == "index" for r in rows)
    np.testing.assert_array_equal(rows[1].data, [3.0, 4.0])
    (rows[0] * 10.0 + rows[1]).sum().backward()
    np.testing.assert_array_equal(t.grad, [[10.0, 10.0], [1.0, 1.0]])
