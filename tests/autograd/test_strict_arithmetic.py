"""Strict mode covers + - * / too: an operation that makes an inf or nan from operands that did
not force it raises a named error, for Value and Tensor alike; passed-in infs follow IEEE 754.
Also NaN through relu, d(a ** 0)/da = 0 for array exponents, and the messages for x ** x at 0 and
for numbers too large for a float."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import autograd
import autograd.nn
from autograd import DomainError, Tensor, Value

INF, NAN = math.inf, math.nan


@pytest.fixture(autouse=True)
def strict_without_warnings():
    autograd.set_strict(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarnings must not leak out either
        yield
    autograd.set_strict(True)


MADE_NON_FINITE = [  # a, symbol, b, error, message
    (1e308, "*", 10.0, OverflowError, "a * b overflows float64"),
    (1e308, "+", 1e308, OverflowError, "a + b overflows float64"),
    (-1e308, "-", 1e308, OverflowError, "a - b overflows float64"),
    (1.0, "/", 1e-320, OverflowError, "a / b overflows float64"),
    (INF, "*", 0.0, DomainError, "a * b is undefined (nan)"),
    (INF, "-", INF, DomainError, "a - b is undefined (nan)"),
    (INF, "+", -INF, DomainError, "a + b is undefined (nan)"),
    (INF, "/", INF, DomainError, "a / b is undefined (nan)"),
]

OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "/": lambda a, b: a / b}


@pytest.mark.parametrize("a, symbol, b, error, message", MADE_NON_FINITE)
def test_value_arithmetic_that_makes_inf_or_nan_raises(a, symbol, b, error, message):
    with pytest.raises(error, match="^" + re.escape(message)) as info:
        OPERATORS[symbol](Value(a), b)
    assert repr(a) in str(info.value) and "set_strict(False)" in str(info.value)


@pytest.mark.parametrize("a, symbol, b, error, message", MADE_NON_FINITE)
def test_tensor_arithmetic_that_makes_inf_or_nan_raises(a, symbol, b, error, message):
    x = Tensor([1.0, a, 2.0])
    with pytest.raises(error, match=re.escape(message)) as info:
        OPERATORS[symbol](x, np.array([1.0, b, 1.0]))
    assert "1 bad entry of 3, the first at " in str(info.value)
    assert repr(a) in str(info.value)


@pytest.mark.parametrize("a, symbol, b, error, message", MADE_NON_FINITE)
def test_without_strict_mode_the_results_are_ieee(a, symbol, b, error, message):
    with np.errstate(all="ignore"):
        expected = OPERATORS[symbol](np.array([a]), np.array([b]))[0]
    with autograd.strict(False):
        value = OPERATORS[symbol](Value(a), b).data
        tensor = OPERATORS[symbol](Tensor([a]), b).data[0]
    assert np.array_equal([value, tensor], [expected, expected], equal_nan=True)


@pytest.mark.parametrize("a, symbol, b, expected", [
    (INF, "+", 1.0, INF), (INF, "*", 2.0, INF), (-INF, "-", 1.0, -INF), (1.0, "/", INF, 0.0),
    (NAN, "*", 0.0, NAN), (NAN, "+", INF, NAN), (INF, "/", 2.0, INF),
])
def test_infs_and_nans_passed_in_follow_ieee_even_in_strict_mode(a, symbol, b, expected):
    value = OPERATORS[symbol](Value(a), b).data
    tensor = OPERATORS[symbol](Tensor([a]), b).data[0]
    assert np.array_equal([value, tensor], [expected, expected], equal_nan=True)


def test_finite_arithmetic_is_unchanged():
    a, b = 0.1, 0.7
    for symbol, op in OPERATORS.items():
        assert op(Value(a), b).data == op(a, b)
        assert op(Tensor([a]), b).data[0] == op(a, b)


def test_an_overflowing_local_gradient_of_division_is_named():
    x = Tensor([2.0], label="x")
    y = Tensor([1e-170])
    with pytest.raises(OverflowError, match="overflows"):
        (x / y).sum().backward()  # d/dy = -x / y^2 = -2e340


def test_sum_and_linear_gates_are_checked_too():
    with pytest.raises(OverflowError, match="sum of 2 numbers overflows"):
        autograd.sum([Value(1e308), Value(1e308)])
    with pytest.raises(OverflowError, match=r"w \. x \+ b overflows"):
        autograd.linear([Value(1e300)], [Value(1e10)], 0.0)
    with pytest.raises(DomainError, match="adds inf and -inf"):
        autograd.sum([Value(INF), Value(-INF)])
    with autograd.strict(False):
        assert autograd.sum([Value(1e308), Value(1e308)]).data == INF
        assert math.isnan(autograd.sum([Value(INF), Value(-INF)]).data)
        assert autograd.linear([Value(1e300)], [Value(1e10)], 0.0).data == INF


# -- NaN through relu: Value and Tensor agree with PyTorch -------------------------------------

def test_relu_of_nan_is_nan_with_gradient_one_as_in_torch():
    x = Value(NAN)
    y = x.relu()
    y.backward()
    t = Tensor([NAN, -1.0, 0.0, 2.0])
    t.relu().sum().backward()
    assert math.isnan(y.data) and x.grad == 1.0
    assert np.isnan(t.relu().data[0]) and list(t.grad) == [1.0, 0.0, 0.0, 1.0]


def test_a_nan_input_to_an_mlp_gives_a_nan_output():
    autograd.manual_seed(0)
    model = autograd.nn.MLP(2, [4, 1])
    out = model([Value(NAN), Value(1.0)])
    out = out[0] if isinstance(out, list) else out
    assert math.isnan(out.data)


def test_abs_gradient_at_nan_is_zero_for_value_and_tensor_as_in_torch():
    x, t = Value(NAN), Tensor([NAN])
    x.abs().backward()
    t.abs().sum().backward()
    assert x.grad == 0.0 and t.grad[0] == 0.0


@pytest.mark.parametrize("data", [[NAN, 1.0, -2.0, 0.0]])
def test_relu_and_abs_match_torch_at_nan(data):
    torch = pytest.importorskip("torch")
    for name in ("relu", "abs"):
        x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        getattr(x, name)().sum().backward()
        t = Tensor(data)
        getattr(t, name)().sum().backward()
        values = [Value(v) for v in data]
        for v in values:
            getattr(v, name)().backward()
        assert np.array_equal(t.grad, x.grad.numpy(), equal_nan=True)
        assert np.array_equal([v.grad for v in values], x.grad.numpy(), equal_nan=True)


# -- d(a ** 0)/da = 0 for an array exponent -----------------------------------------------------

@pytest.mark.parametrize("strict", [True, False])
def test_array_exponent_zero_has_slope_zero_also_at_zero(strict):
    with autograd.strict(strict):
        x = Tensor([0.0, 2.0, 0.0])
        (x ** np.array([0.0, 2.0, 0.0])).sum().backward()
    assert list(x.grad) == [0.0, 4.0, 0.0]


def test_array_exponent_matches_torch():
    torch = pytest.importorskip("torch")
    base, exponent = [0.0, 2.0, 0.0, 3.0], [0.0, 2.0, 2.0, 0.0]
    x = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    (x ** torch.tensor(exponent, dtype=torch.float64)).sum().backward()
    t = Tensor(base)
    (t ** np.array(exponent)).sum().backward()
    assert np.array_equal(t.grad, x.grad.numpy())


def test_tensor_exponent_zero_at_base_zero_still_refuses_d_db_with_the_right_reason():
    x = Tensor([0.0, 1.0])
    with pytest.raises(DomainError, match=r"log\(0\) = -inf: 0 \*\* b jumps") as info:
        (x ** x).sum().backward()
    assert "negative base" not in str(info.value)


def test_x_to_the_x_at_zero_does_not_blame_a_negative_base():
    x = Value(0.0)
    with pytest.raises(DomainError, match=r"log\(0\) = -inf: 0 \*\* b jumps") as info:
        x ** x
    assert "negative base" not in str(info.value)
    with pytest.raises(DomainError, match="negative base has no real derivative"):
        Value(-2.0) ** Value(2.0)


def test_an_int_too_large_for_a_float_is_named():
    for attempt in (lambda: Value(10 ** 400), lambda: Value(1.0) * 10 ** 400):
        with pytest.raises(OverflowError, match=r"Value\(\) needs a number within float64's "
                                                r"range .*10\^400"):
            attempt()
