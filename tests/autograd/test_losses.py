"""Losses and regularizers: CS231n's formulas and gradients, stability, and clear errors."""

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, gradcheck
from autograd.losses import (binary_cross_entropy, binary_cross_entropy_with_logits, elastic_net,
                             l1, l2, mse_loss, softmax_loss, svm_loss)


def rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b)) /
                  np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300))


def problem(n=6, c=4, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return scale * rng.normal(size=(n, c)), rng.integers(0, c, n)


# Hand-written references, CS231n style ------------------------------------------------------------

def svm_naive(s, y, delta=1.0):
    """CS231n's loop: loss and the counting gradient."""
    n, c = s.shape
    loss, d = 0.0, np.zeros_like(s)
    for i in range(n):
        for j in range(c):
            if j == y[i]:
                continue
            margin = s[i, j] - s[i, y[i]] + delta
            if margin > 0:
                loss += margin
                d[i, j] += 1
                d[i, y[i]] -= 1
    return loss / n, d / n


def softmax_numpy(s, y):
    """CS231n's vectorized softmax: loss, and dscores = (softmax - onehot) / N."""
    n = s.shape[0]
    shifted = s - s.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    d = probs.copy()
    d[np.arange(n), y] -= 1
    return loss, d / n


def loss_and_grad(loss_fn, s, *args):
    scores = Tensor(s.copy())
    loss = loss_fn(scores, *args)
    loss.backward()
    return loss.item(), scores.grad


# SVM ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("delta", [1.0, 0.5])
def test_svm_matches_cs231n_loop(delta):
    s, y = problem(8, 5, seed=1)
    loss, grad = loss_and_grad(svm_loss, s, y, delta)
    ref_loss, ref_grad = svm_naive(s, y, delta)
    assert loss == pytest.approx(ref_loss, rel=1e-14)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-14, atol=1e-16)


def test_svm_does_not_count_the_correct_class():
    s = np.zeros((3, 4))                       # every margin is exactly delta
    loss, grad = loss_and_grad(svm_loss, s, np.array([0, 3, 1]))
    assert loss == 3.0                         # (C - 1) * delta, not C * delta
    expected = np.full((3, 4), 1 / 3)
    expected[[0, 1, 2], [0, 3, 1]] = -3 / 3
    np.testing.assert_allclose(grad, expected, rtol=1e-15)


def test_svm_worked_example():
    # CS231n's notes: scores [3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1] -> 2.9, 0, 12.9
    s = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    loss, _ = loss_and_grad(svm_loss, s, np.array([0, 1, 2]))
    assert loss == pytest.approx((2.9 + 0.0 + 12.9) / 3, rel=1e-14)


def test_svm_sanity_with_tiny_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 20)), rng.integers(0, 10, 50)
    W = Tensor(1e-4 * rng.normal(size=(20, 10)))
    loss = svm_loss(Tensor(X, requires_grad=False) @ W, y)
    assert loss.item() == pytest.approx(9.0, abs=0.01)   # C - 1


# Softmax --------------------------------------------------------------------------------------

def test_softmax_matches_cs231n_vectorized():
    s, y = problem(7, 5, seed=2, scale=3.0)
    loss, grad = loss_and_grad(softmax_loss, s, y)
    ref_loss, ref_grad = softmax_numpy(s, y)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-17)


def test_softmax_sanity_log_c():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(100, 30)), rng.integers(0, 10, 100)
    W = Tensor(1e-4 * rng.normal(size=(30, 10)))
    loss = softmax_loss(Tensor(X, requires_grad=False) @ W, y)
    assert loss.item() == pytest.approx(math.log(10), abs=1e-3)


@pytest.mark.parametrize("scale", [1e4, 1e6, 1e300])
def test_softmax_huge_scores_stay_finite(scale):
    s = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.5]]) * scale
    loss, grad = loss_and_grad(softmax_loss, s, np.array([1, 1]))
    # row 0: the correct class trails the best by `scale`; row 1: it wins by at least scale/2
    assert loss == pytest.approx(scale / 2, rel=1e-12)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-15)


def test_softmax_of_equal_scores_is_log_c():
    loss, grad = loss_and_grad(softmax_loss, np.full((2, 4), -7.5), np.array([0, 3]))
    assert loss == pytest.approx(math.log(4), rel=1e-15)
    np.testing.assert_allclose(grad, (np.full((2, 4), 0.25) - np.eye(4)[[0, 3]]) / 2,
                               rtol=1e-15)


# Against the scalar engine: the same losses built from Values ------------------------------------

def value_svm(s, y, delta=1.0):
    rows = []
    for i, row in enumerate(s):
        rows += [(sj - row[y[i]] + delta).relu() for j, sj in enumerate(row) if j != y[i]]
    return autograd.sum(rows) / len(s)


def value_softmax(s, y):
    terms = [autograd.sum([sj.exp() for sj in row]).log() - row[y[i]] for i, row in enumerate(s)]
    return autograd.sum(terms) / len(s)


@pytest.mark.parametrize("tensor_loss, value_loss", [(svm_loss, value_svm),
                                                     (softmax_loss, value_softmax)])
def test_tensor_loss_equals_value_engine(tensor_loss, value_loss):
    s, y = problem(3, 4, seed=5)
    loss, grad = loss_and_grad(tensor_loss, s, y)
    values = [[Value(float(v)) for v in row] for row in s]
    scalar = value_loss(values, y)
    scalar.backward()
    assert rel(loss, scalar.data) < 1e-10
    assert rel(grad, [[v.grad for v in row] for row in values]) < 1e-10


# Gradient checks --------------------------------------------------------------------------------

@pytest.mark.parametrize("loss_fn", [svm_loss, softmax_loss])
def test_classification_losses_gradcheck_through_weights(loss_fn):
    rng = np.random.default_rng(3)
    X = Tensor(rng.normal(size=(6, 5)), requires_grad=False)
    W, b = Tensor(rng.normal(size=(5, 4))), Tensor(rng.normal(size=4))
    y = rng.integers(0, 4, 6)
    report = gradcheck(lambda W, b: loss_fn(X @ W + b, y), [W, b])
    assert report.max_error < 1e-7


@pytest.mark.parametrize("loss_fn, make_target", [
    (mse_loss, lambda rng, shape: rng.normal(size=shape)),
    (binary_cross_entropy, lambda rng, shape: rng.integers(0, 2, shape).astype(float)),
    (binary_cross_entropy_with_logits, lambda rng, shape: rng.uniform(0, 1, shape)),
])
def test_pointwise_losses_gradcheck(loss_fn, make_target):
    rng = np.random.default_rng(4)
    shape = (3, 4)
    data = rng.uniform(0.05, 0.95, shape) if loss_fn is binary_cross_entropy else rng.normal(
        size=shape) * 2
    x = Tensor(data)
    target = make_target(rng, shape)
    assert gradcheck(lambda x: loss_fn(x, target), [x]).max_error < 1e-7


# MSE and binary cross-entropy --------------------------------------------------------------------

def test_mse_value_and_gradient():
    pred, target = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[0.5, 2.0], [1.0, 1.0]])
    loss, grad = loss_and_grad(mse_loss, pred, target)
    assert loss == pytest.approx((0.25 + 0 + 4 + 4) / 4, rel=1e-15)
    np.testing.assert_allclose(grad, 2 * (pred - target) / 4, rtol=1e-15)


def test_mse_target_may_be_a_tensor_with_gradient():
    pred, target = Tensor(np.array([1.0, 4.0])), Tensor(np.array([2.0, 1.0]))
    mse_loss(pred, target).backward()
    np.testing.assert_allclose(target.grad, [1.0, -3.0], rtol=1e-15)


def test_bce_value_and_gradient():
    p, t = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.5])
    loss, grad = loss_and_grad(binary_cross_entropy, p, t)
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert loss == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(grad, (p - t) / (p * (1 - p)) / 3, rtol=1e-13)


def test_bce_with_logits_equals_bce_of_sigmoid():
    x, t = np.array([-3.0, -0.5, 0.0, 0.7, 4.0]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    loss, grad = loss_and_grad(binary_cross_entropy_with_logits, x, t)
    p = 1 / (1 + np.exp(-x))
    assert loss == pytest.approx(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)), rel=1e-14)
    np.testing.assert_allclose(grad, (p - t) / 5, rtol=1e-13)


def test_bce_with_logits_gradient_exact_at_zero():
    # the max/abs form has kinks at 0; softplus as logsumexp([0, x]) gives sigmoid(0) = 1/2
    loss, grad = loss_and_grad(binary_cross_entropy_with_logits, np.zeros(2), np.array([1.0, 0.0]))
    assert loss == pytest.approx(math.log(2), rel=1e-15)
    np.testing.assert_array_equal(grad, [-0.25, 0.25])


def test_bce_with_logits_huge_logits_finite():
    x, t = np.array([1000.0, -1000.0, 800.0, -800.0]), np.array([1.0, 0.0, 0.0, 1.0])
    loss, grad = loss_and_grad(binary_cross_entropy_with_logits, x, t)
    assert loss == pytest.approx((0 + 0 + 800 + 800) / 4, rel=1e-15)
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.25, -0.25], atol=1e-300)


# Regularizers ----------------------------------------------------------------------------------

def test_l2_is_sum_of_squares_without_half():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    loss, grad = loss_and_grad(l2, w)
    assert loss == 1 + 4 + 0.25 + 9
    np.testing.assert_array_equal(grad, 2 * w)


def test_l1_is_sum_of_absolute_values():
    w = np.array([1.0, -2.0, 0.0, 3.5])
    loss, grad = loss_and_grad(l1, w)
    assert loss == 6.5
    np.testing.assert_array_equal(grad, [1.0, -1.0, 0.0, 1.0])


def test_elastic_net_formula():
    w = np.array([1.0, -2.0, 0.5])
    loss, grad = loss_and_grad(lambda W: elastic_net(W, l1_ratio=0.25), w)
    assert loss == pytest.approx(0.25 * 3.5 + 0.75 * 5.25, rel=1e-15)
    np.testing.assert_allclose(grad, 0.25 * np.sign(w) + 0.75 * 2 * w, rtol=1e-15)
    assert elastic_net(Tensor(w), 0.0).item() == l2(Tensor(w)).item()
    assert elastic_net(Tensor(w), 1.0).item() == l1(Tensor(w)).item()


def test_regularizers_over_a_list_of_tensors_and_values():
    W1, W2 = Tensor(np.array([1.0, 2.0])), Tensor(np.array([[3.0]]))
    total = l2([W1, W2])
    assert total.item() == 14.0
    total.backward()
    np.testing.assert_array_equal(W1.grad, [2.0, 4.0])
    a, b = Value(3.0), Value(-4.0)
    scalar = l2([a, b])
    assert isinstance(scalar, Value) and scalar.data == 25.0
    scalar.backward()
    assert (a.grad, b.grad) == (6.0, -8.0)
    assert l1(Value(-2.5)).data == 2.5


def test_losses_are_grouped_under_a_named_gate():
    s, y = problem()
    assert softmax_loss(Tensor(s), y).gate.name == "softmax_loss"
    assert svm_loss(Tensor(s), y).gate.name == "svm_loss"
    assert l2(Tensor(s)).gate.name == "l2"


# Errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss_fn", [svm_loss, softmax_loss])
def test_classification_errors(loss_fn):
    s, y = problem(4, 3)
    name = loss_fn.__name__
    with pytest.raises(TypeError, match=f"{name}: y must hold integer class labels, got dtype "
                                        "float64"):
        loss_fn(Tensor(s), y.astype(float))
    with pytest.raises(ValueError, match=r"y has shape \(3,\), scores has shape \(4, 3\)"):
        loss_fn(Tensor(s), y[:3])
    bad = y.copy()
    bad[2] = 3
    with pytest.raises(ValueError, match=r"label 3 at position 2 is out of range \[0, 3\) for "
                                         r"C = 3 classes"):
        loss_fn(Tensor(s), bad)
    bad[2] = -1
    with pytest.raises(ValueError, match="label -1 at position 2"):
        loss_fn(Tensor(s), bad)
    with pytest.raises(ValueError, match=r"scores must be 2-D \(N examples, C classes\), got "
                                         r"shape \(3,\)"):
        loss_fn(Tensor(s[0]), y[:1])
    with pytest.raises(TypeError, match="scores must be a Tensor, got a Value"):
        loss_fn(Value(1.0), y)


def test_numpy_scores_give_a_constant_loss():
    s, y = problem()
    loss = softmax_loss(s, y)
    assert loss.item() == pytest.approx(softmax_numpy(s, y)[0], rel=1e-14)
    assert not loss.requires_grad


def test_pointwise_errors():
    with pytest.raises(ValueError, match=r"mse_loss: target shape \(3,\) does not match pred "
                                         r"shape \(2, 3\)"):
        mse_loss(Tensor(np.ones((2, 3))), np.ones(3))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: probs must lie in \[0, 1\], got "
                                         r"1.5 at index \(1,\)"):
        binary_cross_entropy(Tensor(np.array([0.5, 1.5])), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\], got -1.0 at index \(0,\)"):
        binary_cross_entropy_with_logits(Tensor(np.array([0.5, 1.5])), np.array([-1.0, 1.0]))
    with pytest.raises(ValueError, match="probs must lie in"):
        binary_cross_entropy(Tensor(np.array([np.nan])), np.array([1.0]))
    with pytest.raises(ValueError, match=r"logits shape \(2,\)"):
        binary_cross_entropy_with_logits(Tensor(np.zeros(2)), np.zeros((2, 1)))


def test_bce_probability_exactly_zero_is_a_domain_error_in_strict_mode():
    with pytest.raises(autograd.DomainError, match="log"):
        binary_cross_entropy(Tensor(np.array([0.0, 0.5])), np.array([1.0, 0.0]))


def test_regularizer_errors():
    with pytest.raises(ValueError, match=r"0 <= l1_ratio <= 1, got l1_ratio=1.5"):
        elastic_net(Tensor(np.ones(2)), l1_ratio=1.5)
    with pytest.raises(TypeError, match="item 1 is ndarray"):
        l2([Tensor(np.ones(2)), np.ones(2)])
    with pytest.raises(ValueError, match="empty list"):
        l1([])
    with pytest.raises(TypeError, match="l2\\(\\) needs a Tensor, a Value or a list"):
        l2(3.0)


# Against PyTorch, where it is installed ---------------------------------------------------------

def torch_loss_and_grad(torch, fn, x, *args):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = fn(t, *args)
    loss.backward()
    return loss.item(), t.grad.numpy()


def test_classification_losses_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    s, y = problem(9, 6, seed=8, scale=4.0)
    labels = torch.tensor(y)
    ours = loss_and_grad(softmax_loss, s, y)
    theirs = torch_loss_and_grad(torch, F.cross_entropy, s, labels)
    assert rel(ours[0], theirs[0]) < 1e-14 and rel(ours[1], theirs[1]) < 1e-12
    # torch's multi_margin_loss also divides each example's sum by C
    ours = loss_and_grad(svm_loss, s, y, 2.0)
    theirs = torch_loss_and_grad(torch, lambda t: 6 * F.multi_margin_loss(t, labels, margin=2.0), s)
    assert rel(ours[0], theirs[0]) < 1e-14 and rel(ours[1], theirs[1]) < 1e-14


def test_pointwise_losses_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    x, t = rng.normal(size=(4, 3)) * 3, rng.uniform(0, 1, (4, 3))
    target = torch.tensor(t)
    p = 1 / (1 + np.exp(-x))
    for ours_fn, theirs_fn, data in [(mse_loss, F.mse_loss, x),
                                     (binary_cross_entropy, F.binary_cross_entropy, p),
                                     (binary_cross_entropy_with_logits,
                                      F.binary_cross_entropy_with_logits, x)]:
        ours = loss_and_grad(ours_fn, data, t)
        theirs = torch_loss_and_grad(torch, theirs_fn, data, target)
        assert rel(ours[0], theirs[0]) < 1e-13, ours_fn.__name__
        assert rel(ours[1], theirs[1]) < 1e-12, ours_fn.__name__


def test_l2_of_a_tensor_is_one_sum_of_squares_gate_with_exact_gradient():
    W = Tensor(np.random.default_rng(6).normal(size=(30, 20)))
    loss = 0.37 * l2(W)
    penalty = loss.inputs[1]
    assert penalty.op == "Σx²" and penalty.inputs == (W,)
    assert penalty.item() == pytest.approx(np.sum(W.data ** 2), rel=1e-14)
    loss.backward()
    np.testing.assert_array_equal(W.grad, 2 * 0.37 * W.data)
