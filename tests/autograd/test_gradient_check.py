"""Gradient checking: right gradients pass, wrong ones raise naming the entry, data is restored."""

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, ops
from autograd.gradient_check import (TINY, GradcheckError, gradcheck, gradcheck_sparse,
                                     numerical_gradient, relative_error)


def neuron(w0, x0, w1, x1, b):
    """CS231n's 2-D sigmoid neuron."""
    return (w0 * x0 + w1 * x1 + b).sigmoid()


def neuron_inputs():
    return [Value(2.0, label="w0"), Value(-1.0, label="x0"), Value(-3.0, label="w1"),
            Value(-2.0, label="x1"), Value(-3.0, label="b")]


def wrong_tanh_row(factor=1.5):
    """A tanh row whose local gradient is off by ``factor``."""
    right = ops.TANH
    return ops.Op("tanh", "tanh", forward=right.forward,
                  partials=(lambda m, out, x: factor * (1.0 - out * out),))


def use_wrong_tanh(monkeypatch, factor):
    """Make ``x.tanh()`` build its gate from a wrong row, for Values and Tensors alike."""
    wrong = wrong_tanh_row(factor)
    for kind in (Value, Tensor):
        monkeypatch.setattr(kind, "tanh", lambda self: self._apply(wrong, (self,)))


# relative_error --------------------------------------------------------------------------------

def test_relative_error_is_cs231n_formula():
    assert relative_error(1.0, 1.1) == pytest.approx(0.1 / 1.1, rel=1e-15)
    assert relative_error(-2.0, 2.0) == 2.0      # opposite signs: the worst possible, 2
    assert relative_error(3.0, 3.0) == 0.0


def test_relative_error_zero_over_zero_is_zero():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(0.0, 1e-20) == 1.0      # the floor is tiny: no hidden absolute tolerance
    assert TINY == 1e-300


def test_relative_error_elementwise():
    errors = relative_error(np.array([1.0, 0.0, 4.0]), np.array([1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(errors, [0.0, 0.0, 0.5])


# Values ----------------------------------------------------------------------------------------

def test_neuron_passes_with_tiny_errors():
    inputs = neuron_inputs()
    report = gradcheck(neuron, inputs)
    assert report.ok and bool(report)
    assert report.max_error < 1e-8
    # the analytic gradient is left in .grad: CS231n's numbers
    expected = [-0.19661193324148185, 0.39322386648296370, -0.39322386648296370,
                -0.5898357997244456, 0.19661193324148185]
    for x, g, check in zip(inputs, expected, report.inputs):
        assert x.grad == pytest.approx(g, rel=1e-14)
        assert check.analytic == x.grad
        assert check.numeric == pytest.approx(g, rel=1e-8)
    assert [c.name for c in report.inputs] == ["input 0 (w0)", "input 1 (x0)", "input 2 (w1)",
                                               "input 3 (x1)", "input 4 (b)"]


def test_gradcheck_zeroes_grads_first():
    inputs = neuron_inputs()
    for x in inputs:
        x.grad = 123.0          # stale gradients from an earlier pass must not leak in
    assert gradcheck(neuron, inputs).ok
    assert inputs[0].grad == pytest.approx(-0.19661193324148185, rel=1e-14)


@pytest.mark.parametrize("f, x0", [
    (lambda x: x.exp(), 0.7), (lambda x: x.log(), 2.5), (lambda x: x.tanh(), -0.3),
    (lambda x: x.sigmoid(), 1.2), (lambda x: x.relu(), 0.8), (lambda x: x.abs(), -1.7),
    (lambda x: x.sqrt(), 3.0), (lambda x: x ** 3, 1.3), (lambda x: 2.0 ** x, 0.4),
    (lambda x: 1.0 / x, -0.6), (lambda x: x - 3.0 * x * x, 0.9),
])
def test_value_ops_pass(f, x0):
    x = Value(x0)
    assert gradcheck(f, [x]).max_error < 1e-7


def test_wrong_local_gradient_raises_naming_the_entry(monkeypatch):
    use_wrong_tanh(monkeypatch, 1.5)
    x, y = Value(0.3, label="x"), Value(-0.8, label="y")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: (x * y).tanh() + y, [x, y])
    message = str(info.value)
    assert "input 0 (x)" in message
    assert "analytic" in message and "numeric" in message and "relative error" in message
    report = info.value.report
    assert not report.ok
    # the analytic value is 1.5 times the true one, so the error is 0.5 / 1.5 = 1/3 for x
    assert report.inputs[0].max_error == pytest.approx(1 / 3, rel=1e-6)
    assert isinstance(info.value, AssertionError)


def test_wrong_gradient_by_editing_a_node():
    def f(x):
        out = x * x
        out.local_grads = (out.local_grads[0], 0.0)     # drop the second operand's share
        return out

    with pytest.raises(GradcheckError, match=r"analytic 1\.5, numeric 2\.99999"):
        gradcheck(f, [Value(1.5)])


def test_failure_can_be_reported_without_raising(monkeypatch):
    use_wrong_tanh(monkeypatch, 2.0)
    report = gradcheck(lambda x: x.tanh(), [Value(0.2)], raise_exception=False)
    assert not report.ok
    assert report.max_error == pytest.approx(0.5, rel=1e-6)
    assert "FAILED" in str(report)
    assert report.worst_location == ("input 0", ())


def test_value_data_restored_exactly():
    x = Value(0.1 + 0.2)                # a float that h would not round-trip
    original = x.data
    gradcheck(lambda x: x.tanh() * x, [x])
    assert x.data == original


def test_data_restored_when_f_raises():
    x = Value(1e-7)

    def f(x):
        return x.log()                  # x - h <= 0: strict mode raises inside the check

    with pytest.raises(autograd.DomainError):
        gradcheck(f, [x], h=1e-6)
    assert x.data == 1e-7


def test_single_node_accepted():
    assert gradcheck(lambda x: x.exp(), Value(0.5)).ok


def test_numerical_gradient_of_value():
    x, y = Value(2.0), Value(3.0)
    assert numerical_gradient(lambda x, y: x * x * y, [x, y], 0) == pytest.approx(12.0, rel=1e-9)
    assert numerical_gradient(lambda x, y: x * x * y, [x, y], 1) == pytest.approx(4.0, rel=1e-9)


def test_unused_input_has_zero_gradient_and_passes():
    x, unused = Value(0.5), Value(9.0)
    report = gradcheck(lambda x, u: x * 2.0, [x, unused])
    assert report.inputs[1].analytic == 0.0 and report.inputs[1].numeric == 0.0


@pytest.mark.parametrize("f, message", [
    (lambda x: 3.0, "must return a Value or a one-element Tensor, got float"),
    (lambda x: [x], "got list"),
])
def test_f_must_return_a_node(f, message):
    with pytest.raises(TypeError, match=message):
        gradcheck(f, [Value(1.0)])


def test_bad_arguments():
    with pytest.raises(TypeError, match="input 1 is float"):
        gradcheck(lambda x, y: x, [Value(1.0), 2.0])
    with pytest.raises(ValueError, match="step h must be a positive number, got 0"):
        gradcheck(lambda x: x, [Value(1.0)], h=0)
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match="num_checks"):
        gradcheck_sparse(lambda x: x, [Value(1.0)], num_checks=0)


def test_sparse_on_values():
    inputs = neuron_inputs()
    report = gradcheck_sparse(neuron, inputs, num_checks=3)
    assert report.ok and all(c.checked == [()] for c in report.inputs)


def test_infinite_numeric_gradient_fails():
    with autograd.strict(False):
        x = Value(0.0)
        report = gradcheck(lambda x: x.abs().sqrt(), [x], raise_exception=False)
    assert not report.ok and report.max_error == math.inf


# Tensors ---------------------------------------------------------------------------------------

def test_tensor_function_passes_and_reports_full_arrays():
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(4, 3)), requires_grad=False, label="X")
    W, b = Tensor(rng.normal(size=(3, 2)), label="W"), Tensor(rng.normal(size=2), label="b")
    report = gradcheck(lambda X, W, b: ((X @ W + b).tanh() ** 2).sum(), [X, W, b])
    assert report.ok and report.max_error < 1e-7
    assert [c.name for c in report.inputs] == ["input 1 (W)", "input 2 (b)"]   # X is data
    check_w = report.inputs[0]
    assert check_w.analytic.shape == (3, 2) and check_w.numeric.shape == (3, 2)
    assert len(check_w.checked) == 6
    np.testing.assert_array_equal(check_w.analytic, W.grad)
    # the analytic gradient by hand: d sum(tanh(z)^2)/dz = 2 tanh(z) (1 - tanh(z)^2)
    t = np.tanh(X.data @ W.data + b.data)
    np.testing.assert_allclose(W.grad, X.data.T @ (2 * t * (1 - t * t)), rtol=1e-13)


def test_tensor_data_restored_exactly_and_not_replaced():
    rng = np.random.default_rng(1)
    array = rng.normal(size=(3, 3)) / 7
    W = Tensor(array.copy())
    data, before = W.data, W.data.copy()
    gradcheck(lambda W: (W.exp() * W).sum(), [W])
    assert W.data is data
    np.testing.assert_array_equal(W.data, before)


def test_wrong_tensor_gradient_raises_naming_the_index(monkeypatch):
    use_wrong_tanh(monkeypatch, 1.25)
    W = Tensor(np.array([[0.1, -0.2], [0.3, 0.4]]), label="W")
    with pytest.raises(GradcheckError, match=r"input 0 \(W\) at index \(\d, \d\): analytic "
                                             r"[-0-9.e]+, numeric [-0-9.e]+, relative error 0.2"):
        gradcheck(lambda W: W.tanh().sum(), [W])


def test_wrong_structural_gradient_is_caught(monkeypatch):
    right = ops.MEAN
    wrong = ops.Op("mean", "mean", forward=right.forward,
                   vjp=(lambda m, g, out, x, **params: np.broadcast_to(
                       m.expand_reduced(g, params.get("axis"), params.get("keepdims", False)),
                       x.shape),),  # forgot 1/n
                   params=right.params)
    monkeypatch.setattr(ops, "MEAN", wrong)
    W = Tensor(np.array([1.0, 2.0, 3.0]))
    report = gradcheck(lambda W: (W * W).mean(), [W], raise_exception=False)
    assert not report.ok
    np.testing.assert_allclose(report.inputs[0].analytic, 3 * report.inputs[0].numeric,
                               rtol=1e-8)


def test_sparse_checks_a_few_entries_of_a_big_matrix():
    rng = np.random.default_rng(2)
    X = Tensor(rng.normal(size=(20, 50)), requires_grad=False)
    W = Tensor(rng.normal(size=(50, 40)) * 0.01)
    y = rng.integers(0, 40, 20)

    def loss(W):
        scores = X @ W
        return (scores.logsumexp(axis=1) - scores[np.arange(20), y]).mean()

    report = gradcheck_sparse(loss, [W], num_checks=7, seed=3)
    check = report.inputs[0]
    assert len(check.checked) == 7 and len(set(check.checked)) == 7
    assert np.count_nonzero(~np.isnan(check.numeric)) == 7
    assert check.analytic.shape == (50, 40) and not np.isnan(check.analytic).any()
    assert np.count_nonzero(np.isnan(check.errors)) == 50 * 40 - 7  # unchecked entries
    for index in check.checked:
        assert check.errors[index] == relative_error(check.analytic[index], check.numeric[index])
    assert report.max_error < 1e-7
    again = gradcheck_sparse(loss, [W], num_checks=7, seed=3)
    assert again.inputs[0].checked == check.checked          # the seed fixes the entries


def test_sparse_fails_on_a_wrong_gradient(monkeypatch):
    use_wrong_tanh(monkeypatch, 0.5)
    W = Tensor(np.linspace(-1, 1, 100).reshape(10, 10))
    with pytest.raises(GradcheckError, match="relative error 0.5 > tol 1e-05 .5 failing entries"):
        gradcheck_sparse(lambda W: W.tanh().sum(), [W], num_checks=5)


def test_numerical_gradient_of_tensor():
    W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    numeric = numerical_gradient(lambda W: (W ** 3).sum(), [W])
    np.testing.assert_allclose(numeric, 3 * W.data ** 2, rtol=1e-8)


def test_tensor_output_must_be_scalar():
    W = Tensor(np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"must return a scalar node, got a Tensor of shape "
                                        r"\(2, 2\) \(reduce it, e.g. with .sum\(\)\)"):
        gradcheck(lambda W: W * 2.0, [W])


def test_all_inputs_constant_is_an_error():
    X = Tensor(np.ones(2), requires_grad=False)
    with pytest.raises(ValueError, match="no input requires a gradient"):
        gradcheck(lambda X: X.sum(), [X])


def test_gradcheck_is_exported_at_top_level():
    assert autograd.gradcheck is gradcheck
    assert autograd.GradcheckError is GradcheckError
    assert autograd.gradcheck_sparse is gradcheck_sparse


def test_failure_from_rounding_noise_says_so():
    # d f / d y = 1e-6 is right, but next to |f| = 1000 it drowns in rounding noise at h = 1e-6
    x, y = Value(0.5), Value(0.25, label="y")
    f = lambda x, y: x + 1e-6 * y + 1000.0  # noqa: E731
    with pytest.raises(GradcheckError, match=r"input 1 \(y\).*within the rounding noise of the "
                                             r"centered difference .* for \|f\| = 1e\+03\)"):
        gradcheck(f, [x, y])
    report = gradcheck(f, [x, y], raise_exception=False)
    assert report.output == 1000.0 + 0.5 + 0.25e-6
    eps = 2.220446049250313e-16
    assert report.rounding_noise == pytest.approx(10 * eps * report.output / 1e-6)


def test_genuine_failure_has_no_rounding_hint(monkeypatch):
    use_wrong_tanh(monkeypatch, 1.5)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x.tanh(), [Value(0.3)])
    assert "rounding noise" not in str(info.value)


def test_float32_input_warns():
    W = Tensor(np.array([0.5, 1.0]), dtype=np.float32)
    with pytest.warns(UserWarning, match="input 0 is float32; finite differences need float64"):
        gradcheck(lambda W: (W * W).sum(), [W], tol=1.0)


def cifar_sized_softmax_problem(seed: int):
    """CS231n's softmax classifier at its notebook's sizes: W 3073 x 10, X 500 x 3073 of raw
    pixel values in [0, 255] with a bias column, W ~ 1e-4 N(0, 1), L2 strength 2.5e4."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 255.0, size=(500, 3073))
    X[:, -1] = 1.0
    y = rng.integers(0, 10, size=500)
    W = Tensor(rng.normal(size=(3073, 10)) * 1e-4, label="W")
    return Tensor(X, requires_grad=False), y, W


@pytest.mark.slow
@pytest.mark.parametrize("seed, reg", [(0, 0.0), (1, 2.5e4)])
def test_sparse_defaults_pass_a_correct_softmax_gradient_at_cifar_sizes(seed, reg):
    from autograd import losses

    X, y, W = cifar_sized_softmax_problem(seed)
    report = gradcheck_sparse(lambda W: losses.softmax_loss(X @ W, y) + reg * losses.l2(W),
                              [W], seed=seed)
    assert report.ok
    # CS231n's own step, h = 1e-5, is where the finite-difference truncation shows
    old_default = gradcheck_sparse(lambda W: losses.softmax_loss(X @ W, y), [W], h=1e-5,
                                   seed=seed, raise_exception=False)
    assert old_default.max_error > 1e-7  # the old defaults (h = 1e-5, tol = 1e-7) failed it


@pytest.mark.slow
def test_sparse_defaults_fail_a_gradient_one_part_in_ten_thousand_wrong_at_cifar_sizes():
    from autograd import losses

    X, y, W = cifar_sized_softmax_problem(2)
    reg = 0.5  # the missing 2 reg W is about 1e-4 of the data gradient

    def loss_with_a_forgotten_gradient(W):
        frozen = Tensor(W.data, requires_grad=False)  # in the value, not in the gradient
        return losses.softmax_loss(X @ W, y) + reg * (frozen * frozen).sum()

    with pytest.raises(GradcheckError, match="relative error"):
        gradcheck_sparse(loss_with_a_forgotten_gradient, [W])
