"""Bad input and out-of-domain operations: clear errors in strict mode, IEEE results without it."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import autograd
import autograd.nn
from autograd import DomainError, Value


@pytest.fixture(autouse=True)
def strict_mode_on():
    """Every test starts strict and leaves strict mode on, whatever it does."""
    autograd.set_strict(True)
    yield
    autograd.set_strict(True)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("bad, shown", [
    ("abc", "'abc'"),
    (None, "None"),
    ([1, 2], "[1, 2]"),
    (np.array([1.0, 2.0]), "ndarray of shape (2,)"),
    (1 + 2j, "(1+2j)"),
])
def test_value_of_a_non_real_number_is_a_type_error(bad, shown):
    with pytest.raises(TypeError) as info:
        Value(bad)
    message = str(info.value)
    assert "Value()" in message and shown in message
    assert type(bad).__name__ in message


@pytest.mark.parametrize("bad, shown", [
    ("a", "'a'"),
    ([1, 2], "[1, 2]"),
    (np.array([1.0, 2.0]), "ndarray of shape (2,)"),
    (None, "None"),
])
def test_operator_with_a_non_number_is_a_type_error(bad, shown, no_warnings):
    for attempt in (lambda: Value(1.0) * bad, lambda: bad * Value(1.0)):
        with pytest.raises(TypeError) as info:
            attempt()
        message = str(info.value)
        assert "Value *" in message and shown in message


def test_numpy_never_builds_an_object_array(no_warnings):
    array = np.array([1.0, 2.0])
    for attempt in (lambda: array * Value(1.0), lambda: array + Value(1.0),
                    lambda: np.multiply(array, Value(1.0))):
        with pytest.raises(TypeError):
            result = attempt()
            assert not (isinstance(result, np.ndarray) and result.dtype == object)


def test_array_hint_in_message():
    with pytest.raises(TypeError, match=re.escape("for arrays use autograd.Tensor")):
        Value(1.0) + np.array([1.0, 2.0])


@pytest.mark.parametrize("attempt, error, words", [
    (lambda: Value(-1.0).log(), DomainError, ["log", "-1.0"]),
    (lambda: Value(0.0).log(), DomainError, ["log", "0.0"]),
    (lambda: Value(-1.0).sqrt(), DomainError, ["sqrt", "-1.0"]),
    (lambda: Value(-2.0) ** Value(0.5), DomainError, ["a ** b", "-2.0", "0.5"]),
    (lambda: Value(-2.0) ** 0.5, DomainError, ["a ** b", "-2.0", "0.5"]),
    (lambda: Value(1.0) / 0, ZeroDivisionError, ["division by zero", "/", "0.0"]),
    (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, ["division by zero", "/", "0.0"]),
    (lambda: 1 / Value(0.0), ZeroDivisionError, ["division by zero", "/", "0.0"]),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, ["0 ** b", "-1.0"]),
    (lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000.0"]),
    (lambda: Value(10.0) ** 400, OverflowError, ["a ** b", "10.0", "400"]),
])
def test_strict_mode_errors_name_operation_and_value(attempt, error, words, no_warnings):
    with pytest.raises(error) as info:
        attempt()
    message = str(info.value)
    for word in words:
        assert word in message
    assert "set_strict(False)" in message


def test_domain_error_is_a_value_error():
    assert issubclass(DomainError, ValueError)
    with pytest.raises(ValueError):
        Value(-1.0).log()


def test_negative_base_with_value_exponent_explains_the_exponent_derivative():
    # (-2) ** 2 is real, but d/db of a ** b is not: the error says so rather than "log(-2)".
    with pytest.raises(DomainError, match=re.escape("d(a ** b)/db")) as info:
        Value(-2.0) ** Value(2.0)
    assert "-2.0" in str(info.value) and "x ** 2" in str(info.value)
    assert (Value(-2.0) ** 2).data == 4.0  # a number exponent is fine


NON_STRICT = [
    (lambda: Value(-1.0).log(), math.nan),
    (lambda: Value(0.0).log(), -math.inf),
    (lambda: Value(1000.0).exp(), math.inf),
    (lambda: Value(1.0) / 0, math.inf),
    (lambda: Value(-1.0) / Value(0.0), -math.inf),
    (lambda: Value(0.0) / 0, math.nan),
    (lambda: Value(-2.0) ** Value(0.5), math.nan),
    (lambda: Value(-1.0).sqrt(), math.nan),
    (lambda: Value(0.0) ** -1, math.inf),
]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("attempt, expected", NON_STRICT)
def test_strict_false_block_gives_ieee_results_and_restores(attempt, expected, no_warnings):
    assert autograd.is_strict()
    with autograd.strict(False):
        assert not autograd.is_strict()
        out = attempt()
        assert _same(out.data, expected)
        out.backward()  # the backward pass follows IEEE rules too, without raising
    assert autograd.is_strict()
    with pytest.raises((DomainError, ZeroDivisionError, OverflowError)):
        attempt()


def test_set_strict_returns_previous_and_block_restores_after_exception():
    assert autograd.set_strict(False) is True
    assert _same(Value(-1.0).log().data, math.nan)
    assert autograd.set_strict(True) is False
    with pytest.raises(RuntimeError):
        with autograd.strict(False):
            raise RuntimeError("inside the block")
    assert autograd.is_strict()
    autograd.set_strict(False)
    with autograd.strict(True):
        with pytest.raises(DomainError):
            Value(-1.0).log()
    assert not autograd.is_strict()


@pytest.mark.parametrize("x", [1000.0, -1000.0, 710.0, -745.5, 40.0, -40.0])
def test_saturating_functions_stay_finite_at_extremes(x, no_warnings):
    s = Value(x).sigmoid()
    t = Value(x).tanh()
    s.backward()
    t.backward()
    expected_s = 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0
    assert s.data == pytest.approx(expected_s, rel=1e-15, abs=0)
    assert math.isfinite(s.inputs[0].grad) and math.isfinite(t.inputs[0].grad)
    assert t.data == math.tanh(x)
    assert s.inputs[0].grad == pytest.approx(s.data * (1.0 - s.data), rel=1e-15, abs=1e-300)


def test_exact_values_at_plus_minus_1000(no_warnings):
    x = Value(-1000.0)
    s = x.sigmoid()
    s.backward()
    assert s.data == 0.0 and x.grad == 0.0
    x = Value(1000.0)
    s = x.sigmoid()
    s.backward()
    assert s.data == 1.0 and x.grad == 0.0
    for sign in (1.0, -1.0):
        x = Value(1000.0 * sign)
        t = x.tanh()
        t.backward()
        assert t.data == sign and x.grad == 0.0
    x = Value(-1000.0)
    e = x.exp()
    e.backward()
    assert e.data == 0.0 and x.grad == 0.0


def test_small_sigmoid_keeps_relative_precision(no_warnings):
    # For x << 0, sigmoid(x) ~ e^x; the stable form must not round it to 0 or lose digits.
    s = Value(-30.0).sigmoid()
    assert s.data == pytest.approx(math.exp(-30.0) / (1.0 + math.exp(-30.0)), rel=1e-15)


def test_backward_gradient_must_be_a_number():
    f = Value(2.0) * 3
    with pytest.raises(TypeError, match="backward"):
        f.backward(gradient="one")


@pytest.mark.parametrize("x", [5.0, 9.0, 15.0, -20.0, 30.0])
def test_saturated_local_gradients_are_accurate_in_absolute_terms(x):
    # 1 - t^2 and s (1 - s) lose relative digits as t, s -> 1 (as in PyTorch), never absolute ones.
    e = math.exp(-2.0 * abs(x))
    sech2 = 4.0 * e / (1.0 + e) ** 2
    assert abs(Value(x).tanh().local_grads[0] - sech2) <= 2.0 ** -52
    e = math.exp(-abs(x))
    ds = e / (1.0 + e) ** 2
    assert abs(Value(x).sigmoid().local_grads[0] - ds) <= 2.0 ** -52


@pytest.mark.parametrize("attempt, message", [
    (lambda: Value(0.0).sqrt(), "d sqrt(x)/dx = 1 / (2 sqrt(x)) is infinite at x = 0.0"),
    (lambda: Value(0.0) ** 0.5, "d(x ** 0.5)/dx = 0.5 * x ** -0.5 is infinite at x = 0.0"),
    (lambda: Value(0.0) ** Value(0.25), "d(x ** 0.25)/dx = 0.25 * x ** -0.75 is infinite at "
                                        "x = 0.0"),
])
def test_an_infinite_local_gradient_is_named_as_the_user_wrote_it(attempt, message, no_warnings):
    with pytest.raises(ZeroDivisionError) as info:
        attempt()
    assert str(info.value) == message + " (autograd.set_strict(False) gives IEEE inf/nan instead)"
    with autograd.strict(False):
        node = attempt()
    assert node.data == 0.0 and node.local_grads[0] == math.inf


def test_an_overflowing_local_gradient_names_the_derivative(no_warnings):
    x = Value(1e-200)  # x ** -1 = 1e200 is finite, its slope -x ** -2 = -1e400 is not
    with autograd.strict(False):
        assert (x ** -1).data == 1e200 and (x ** -1).local_grads == (-math.inf,)
    with pytest.raises(OverflowError, match=re.escape(
            "d(x ** -1.0)/dx = -1.0 * x ** -2.0 overflows float64 at x = 1e-200")):
        x ** -1


def test_tensor_refuses_the_same_infinite_slopes_in_backward(no_warnings):
    from autograd import Tensor

    for build, message in [
            (lambda t: t.sqrt(), "d sqrt(x)/dx = 1 / (2 sqrt(x)) is infinite at x = 0"),
            (lambda t: t ** 0.5, "d(x ** 0.5)/dx = 0.5 * x ** -0.5 is infinite at x = 0")]:
        t = Tensor(np.array([0.0, 4.0]))
        y = build(t)  # the forward value sqrt(0) = 0 is fine: a Tensor's partials are lazy
        np.testing.assert_array_equal(y.data, [0.0, 2.0])
        with pytest.raises(ZeroDivisionError, match=re.escape(
                message + ": 1 bad entry of 2, the first x = 0.0")):
            y.sum().backward()


@pytest.mark.parametrize("attempt", [
    lambda: Value(2.0) ** autograd.Tensor(3.0),
    lambda: autograd.sum([autograd.Tensor(np.ones(3))]),
    lambda: autograd.linear([Value(1.0)], [autograd.Tensor(1.0)], 0.0),
    lambda: autograd.nn.Neuron(3)(autograd.Tensor(np.ones(3))),
    lambda: autograd.nn.Neuron(1)(autograd.Tensor(1.0)),
])
def test_mixing_a_tensor_into_scalar_code_says_so(attempt):
    with pytest.raises(TypeError, match="a Tensor and a Value cannot be mixed") as info:
        attempt()
    assert "needs a real number" not in str(info.value)
