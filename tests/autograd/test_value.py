"""The scalar Value: CS231n's worked circuits to the last digit, and the circuit's structure."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Constant, Value, ops


def cs231n_simple():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return x, y, z, q, f


def test_simple_circuit_forward_backward_and_local_grads():
    x, y, z, q, f = cs231n_simple()
    assert f.data == -12.0
    assert q.data == 3.0
    assert f.local_grads == (-4.0, 3.0)  # df/dq = z, df/dz = q
    assert q.local_grads == (1.0, 1.0)
    f.backward()
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert q.grad == -4.0
    assert f.grad == 1.0
    assert f.inputs == (q, z) and q.inputs == (x, y)
    assert f.op == "*" and q.op == "+" and x.op == ""


NEURON = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def neuron_leaves():
    return {name: Value(v, label=name) for name, v in NEURON.items()}


def neuron_expanded(v):
    dot = v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]
    return 1 / (1 + (-dot).exp())


def neuron_sigmoid_gate(v):
    return (v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]).sigmoid()


def neuron_closed_form():
    """f = sigmoid(w0 x0 + w1 x1 + w2) and its gradient, from df/ddot = s (1 - s)."""
    p = NEURON
    dot = p["w0"] * p["x0"] + p["w1"] * p["x1"] + p["w2"]
    s = 1.0 / (1.0 + math.exp(-dot))
    ds = s * (1.0 - s)
    grads = {"w0": p["x0"] * ds, "x0": p["w0"] * ds, "w1": p["x1"] * ds, "x1": p["w1"] * ds,
             "w2": ds}
    return s, grads


@pytest.mark.parametrize("build", [neuron_expanded, neuron_sigmoid_gate])
def test_sigmoid_neuron_closed_form(build):
    leaves = neuron_leaves()
    f = build(leaves)
    f.backward()
    s, expected = neuron_closed_form()
    assert s == 0.7310585786300049  # sigmoid(1)
    assert f.data == pytest.approx(s, rel=1e-15, abs=0)
    for name, g in expected.items():
        assert leaves[name].grad == pytest.approx(g, rel=1e-14, abs=0), name
    assert leaves["w0"].grad == pytest.approx(-0.19661193324148185, rel=1e-14, abs=0)


@pytest.mark.parametrize("build", [neuron_expanded, neuron_sigmoid_gate])
def test_sigmoid_neuron_matches_lecture_rounded_numbers(build):
    leaves = neuron_leaves()
    f = build(leaves)
    f.backward()
    assert round(f.data, 2) == 0.73
    assert [round(leaves[n].grad, 2) for n in ("w0", "w1", "w2")] == [-0.2, -0.39, 0.2]
    assert [round(leaves[n].grad, 2) for n in ("x0", "x1")] == [0.39, -0.59]


def test_sigmoid_gate_and_expanded_circuit_agree():
    expanded, gate = neuron_leaves(), neuron_leaves()
    neuron_expanded(expanded).backward()
    f = neuron_sigmoid_gate(gate)
    f.backward()
    for name in NEURON:
        assert expanded[name].grad == pytest.approx(gate[name].grad, rel=1e-15, abs=0)
    assert f.op == "sigmoid"
    assert f.local_grads == (0.7310585786300049 * (1.0 - 0.7310585786300049),)


def test_expanded_neuron_local_grads_as_in_lecture():
    leaves = neuron_leaves()
    f = neuron_expanded(leaves)
    plus_one = f.inputs[1]
    exp_node = plus_one.inputs[1]
    assert f.op == "/" and plus_one.op == "+" and exp_node.op == "exp"
    assert exp_node.data == math.exp(-1.0)
    assert exp_node.local_grads == (math.exp(-1.0),)
    assert f.local_grads[1] == pytest.approx(-1.0 / 1.3678794411714423**2, rel=1e-15)


def test_subtraction_and_division_are_one_gate():
    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    d = a - b
    assert d.op == "-" and d.inputs == (a, b) and d.local_grads == (1.0, -1.0)
    q = a / b
    assert q.op == "/" and q.inputs == (a, b)
    assert q.data == 0.75
    assert q.local_grads == (0.25, -0.75 / 4.0)
    for node in (d, q):
        assert all(x.is_leaf for x in node.inputs)


def test_negation_is_one_gate():
    x = Value(2.5)
    n = -x
    assert n.op == "*-1" and n.inputs == (x,) and n.local_grads == (-1.0,)
    assert n.data == -2.5
    assert +x is x


@pytest.mark.parametrize("make, constant_first, symbol, number", [
    (lambda x: 2 * x, True, "*", 2.0),
    (lambda x: x * 2, False, "*", 2.0),
    (lambda x: 1 / x, True, "/", 1.0),
    (lambda x: x / 4, False, "/", 4.0),
    (lambda x: 1 - x, True, "-", 1.0),
    (lambda x: x - 1, False, "-", 1.0),
    (lambda x: 3 + x, True, "+", 3.0),
    (lambda x: 2 ** x, True, "**", 2.0),
])
def test_numbers_become_constant_inputs_in_operand_order(make, constant_first, symbol, number):
    x = Value(0.5, label="x")
    node = make(x)
    assert node.op == symbol and len(node.inputs) == 2
    const, other = node.inputs if constant_first else node.inputs[::-1]
    assert other is x
    assert type(const) is Constant and const.is_constant and const.is_leaf
    assert const.data == number and type(const.data) is float
    assert not x.is_constant
    assert repr(const) == f"Constant({number!r})"


def test_number_exponent_is_a_parameter_not_an_input():
    x = Value(3.0)
    y = x ** 2
    assert y.op == "**" and y.inputs == (x,) and y.params == (2.0,)
    assert y._op is ops.POW
    assert y.data == 9.0 and y.local_grads == (6.0,)
    z = x ** Value(2.0)
    assert z._op is ops.POW_VALUE and len(z.inputs) == 2 and z.params == ()
    assert z.local_grads == (6.0, 9.0 * math.log(3.0))


def test_zero_exponent_has_zero_derivative_even_at_zero():
    # d(x^0)/dx = 0 everywhere; p * x^(p-1) would divide by zero at x = 0.
    assert (Value(0.0) ** 0).local_grads == (0.0,)
    assert (Value(0.0) ** 0).data == 1.0
    assert (Value(-2.0) ** 0).local_grads == (0.0,)


def test_zero_base_with_value_exponent():
    # 0^b = 0 for every b > 0, so d/db = 0 (a ** b * log a taken as 0, as 0 * log 0 -> 0).
    y = Value(0.0) ** Value(2.0)
    assert y.data == 0.0 and y.local_grads == (0.0, 0.0)


def test_numpy_scalars_become_python_floats():
    for number in (np.float64(2.5), np.float32(2.5), np.int64(3), np.array(2.5), np.array([2.5])):
        assert type(Value(number).data) is float
    y = np.float64(2.0) * Value(3.0)
    assert isinstance(y, Value) and type(y.data) is float and y.data == 6.0
    assert type((Value(1.0) + np.float64(2.0)).data) is float
    assert type((Value(2.0) ** np.float64(2.0)).params[0]) is float


def test_numpy_float_operand_keeps_strict_division():
    # A np.float64 left inside a node would divide with a RuntimeWarning instead of raising.
    with pytest.raises(ZeroDivisionError):
        Value(np.float64(1.0)) / 0
    with pytest.raises(ZeroDivisionError):
        np.float64(1.0) / Value(0.0)


def test_repr_label_and_item():
    x = Value(2.0, label="x")
    assert repr(x) == "Value(data=2.0, grad=0.0, label='x')"
    y = x * 3
    assert repr(y) == "Value(data=6.0, grad=0.0, op='*')"
    assert y.item() == 6.0 and float(y) == 6.0
    y.label = "y"
    assert y.label == "y"
    with pytest.raises(TypeError, match="label"):
        y.label = 3


@pytest.mark.parametrize("name, method, x, expected, local", [
    ("exp", "exp", 0.5, math.exp(0.5), math.exp(0.5)),
    ("log", "log", 2.0, math.log(2.0), 0.5),
    ("tanh", "tanh", 0.3, math.tanh(0.3), 1.0 - math.tanh(0.3) ** 2),
    ("relu+", "relu", 1.5, 1.5, 1.0),
    ("relu-", "relu", -1.5, 0.0, 0.0),
    ("relu0", "relu", 0.0, 0.0, 0.0),
    ("abs-", "abs", -2.0, 2.0, -1.0),
    ("abs0", "abs", 0.0, 0.0, 0.0),
    ("sqrt", "sqrt", 4.0, 2.0, 0.25),
])
def test_unary_methods(name, method, x, expected, local):
    node = getattr(Value(x), method)()
    assert node.data == expected
    assert node.local_grads == (local,)
    assert node.op == method


def test_sum_linear_and_dot_are_one_gate():
    a, b, c = Value(1.5), Value(-2.0), Value(0.25)
    s = autograd.sum([a, b, c, 2])
    assert s.op == "sum" and s.data == 1.75 and s.local_grads == (1.0, 1.0, 1.0, None)
    assert s.inputs[:3] == (a, b, c) and s.inputs[3].is_constant
    w, x = [Value(2.0), Value(-3.0)], [Value(-1.0), Value(-2.0)]
    bias = Value(-3.0)
    n = autograd.linear(w, x, bias)
    assert n.op == "w·x+b" and n.data == 1.0
    assert n.inputs == (*w, *x, bias)
    assert n.local_grads == (-1.0, -2.0, 2.0, -3.0, 1.0)
    n.backward()
    assert [v.grad for v in w + x + [bias]] == [-1.0, -2.0, 2.0, -3.0, 1.0]
    d = autograd.dot(w, [1.0, 2.0])
    assert d.data == -4.0
    with pytest.raises(ValueError, match="2 weights and 1 inputs"):
        autograd.linear(w, x[:1], bias)
    with pytest.raises(ValueError, match="at least one"):
        autograd.sum([])


def test_gate_context_tags_nodes():
    x = Value(0.5)
    with autograd.gate("sigmoid") as g:
        s = 1 / (1 + (-x).exp())
    assert s.gate is g and s.inputs[1].gate is g
    assert x.gate is None
    assert (x * 2).gate is None


def test_pow_value_computes_a_partial_only_for_an_input_that_is_not_a_constant():
    # d(a ** b)/db = a ** b log a does not exist for a = -8: a constant exponent never asks.
    a = Value(-8.0)
    f = a ** Constant(2.0)
    assert f.data == 64.0 and f.local_grads == (-16.0, None)
    f.backward()
    assert a.grad == -16.0

    # d(a ** b)/da = b a ** (b - 1) is infinite at a = 0: a constant base never asks.
    b = Value(0.5)
    g = 0.0 ** b
    assert g.data == 0.0 and g.local_grads == (None, 0.0)  # 0 ** b log 0 -> 0 for b > 0
    g.backward()
    assert b.grad == 0.0

    x = Value(3.0, label="x")
    h = 2 ** x
    assert h.local_grads == (None, 8.0 * math.log(2.0))
    steps = list(h.backward_steps())
    assert [c[0] for c in steps[0].contributions] == [x]  # the constant has no product
    assert str(steps[0]).splitlines()[0] == "step 1/1: f = 2 ** x = 8, upstream grad 1"
    assert x.grad == 8.0 * math.log(2.0)


def test_truth_value_of_a_value_is_that_of_its_number():
    assert bool(Value(0.0)) is False and bool(Value(-1.5)) is True
    assert bool(Value(0.0) + 1) is True
