"""``autograd.grad``: gradients returned, not stored, and gradients of gradients.

Semantics follow ``torch.autograd.grad``: one gradient per input, of the input's kind; inputs may
be intermediate nodes; no ``.grad`` anywhere changes; ``grad_output`` seeds a non-scalar output;
``allow_unused`` gives None for an input the output does not depend on. With
``create_graph=True`` the gradients are ordinary graph nodes: they can be differentiated again,
drawn and stepped through.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, grad
from autograd.walk import forward_order


def _grads(root):
    """Every node's ``.grad`` in the graph of ``root`` (arrays copied), by node id."""
    return {id(n): (n.grad.copy() if isinstance(n.grad, np.ndarray) else n.grad)
            for n in forward_order(root)}


def _same(before, after):
    assert before.keys() == after.keys()
    for key, old in before.items():
        new = after[key]
        if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
            assert type(old) is type(new) and np.array_equal(old, new)
        else:
            assert old == new or (old != old and new != new)


def _value_graph():
    x, y = Value(0.6, label="x"), Value(-1.3, label="y")
    q = (x * y).tanh()
    f = q * x + (y * y).exp() / (x + 2.0)
    return x, y, q, f


def _f_value(x, y):
    q = math.tanh(x * y)
    return q * x + math.exp(y * y) / (x + 2.0)


def _centered(f, point, i, h=1e-6):
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


# ---------------------------------------------------------------------------------------------
# What grad returns.
# ---------------------------------------------------------------------------------------------
def test_one_gradient_per_input_of_the_input_kind_value():
    x, y, q, f = _value_graph()
    gx, gy = grad(f, [x, y])
    assert type(gx) is Value and type(gy) is Value
    assert gx.data == pytest.approx(_centered(_f_value, (0.6, -1.3), 0), rel=1e-8)
    assert gy.data == pytest.approx(_centered(_f_value, (0.6, -1.3), 1), rel=1e-8)
    single = grad(f, x)
    assert isinstance(single, tuple) and len(single) == 1 and single[0].data == gx.data
    # the same numbers backward() leaves in .grad
    f.backward()
    assert (x.grad, y.grad) == (gx.data, gy.data)


def test_one_gradient_per_input_of_the_input_kind_tensor():
    rng = np.random.default_rng(0)
    W = Tensor(rng.standard_normal((3, 2)), label="W")
    X = Tensor(rng.standard_normal((4, 3)), requires_grad=False)
    b = Tensor(np.zeros(2), label="b")
    loss = ((X @ W + b).tanh() ** 2).mean()
    gW, gb = grad(loss, [W, b])
    assert type(gW) is Tensor and gW.shape == W.shape and gb.shape == b.shape
    loss.backward()
    np.testing.assert_array_equal(gW.data, W.grad)
    np.testing.assert_array_equal(gb.data, b.grad)


def test_intermediate_nodes_as_inputs():
    x, y, q, f = _value_graph()
    gq, gx = grad(f, [q, x])
    # d f / d q with q held as an independent variable is its multiplier x
    assert gq.data == pytest.approx(0.6, rel=1e-15)
    # d f / d x is the total derivative (through q too), as PyTorch gives it
    assert gx.data == pytest.approx(_centered(_f_value, (0.6, -1.3), 0), rel=1e-8)
    # the output itself
    assert grad(f, f)[0].data == 1.0
    # Tensors: an intermediate (4, 2) activation
    rng = np.random.default_rng(1)
    W = Tensor(rng.standard_normal((3, 2)))
    h = Tensor(rng.standard_normal((4, 3)), requires_grad=False) @ W
    loss = (h.relu() * 2.0).sum()
    gh, = grad(loss, h)
    np.testing.assert_array_equal(gh.data, 2.0 * (h.data > 0))


@pytest.mark.parametrize("create_graph", [False, True])
def test_changes_no_grad_anywhere(create_graph):
    x, y, q, f = _value_graph()
    f.backward()  # some gradients in place already: grad() must keep them as they are
    before = _grads(f)
    grad(f, [x, q], create_graph=create_graph)
    _same(before, _grads(f))
    # a fresh graph: every .grad stays at its initial 0
    x, y, q, f = _value_graph()
    before = _grads(f)
    grad(f, [x, y], create_graph=create_graph)
    _same(before, _grads(f))
    assert all(n.grad == 0.0 for n in forward_order(f))
    # Tensors: None everywhere stays None; after backward, the arrays stay equal
    rng = np.random.default_rng(2)
    W = Tensor(rng.standard_normal((3, 2)))
    loss = ((Tensor(rng.standard_normal((4, 3))) @ W).sigmoid() ** 2).sum()
    grad(loss, W, create_graph=create_graph)
    assert all(n.grad is None for n in forward_order(loss))
    loss.backward()
    before = _grads(loss)
    grad(loss, W, create_graph=create_graph)
    _same(before, _grads(loss))


def test_grad_output_seeds_a_non_scalar_tensor():
    x = Tensor(np.array([0.5, -1.0, 2.0]))
    y = x * x * 3.0
    seed = np.array([1.0, 10.0, 100.0])
    gx, = grad(y, x, grad_output=seed)
    np.testing.assert_allclose(gx.data, 6.0 * x.data * seed, rtol=1e-15)
    with pytest.raises(ValueError, match="gradient="):
        grad(y, x)  # a non-scalar output needs a seed, as backward() does
    with pytest.raises(ValueError, match="shape"):
        grad(y, x, grad_output=np.ones(2))
    # a Value output: a number
    v = Value(3.0)
    assert grad(v * v, v, grad_output=0.5)[0].data == 3.0


def test_allow_unused_and_the_unused_error():
    x, y, z = Value(1.0), Value(2.0), Value(3.0, label="z")
    f = x * y
    with pytest.raises(ValueError, match="input 1 .*not used.*allow_unused=True"):
        grad(f, [x, z])
    gx, gz = grad(f, [x, z], allow_unused=True)
    assert gx.data == 2.0 and gz is None
    a, b = Tensor([1.0]), Tensor([2.0])
    assert grad((a * 2.0).sum(), [a, b], allow_unused=True)[1] is None


@pytest.mark.parametrize("bad", [1.0, np.ones(2), "x", None])
def test_non_node_inputs_are_refused(bad):
    x = Value(1.0)
    with pytest.raises(TypeError, match="grad\\(\\) takes Values or Tensors"):
        grad(x * x, [x, bad])
    with pytest.raises(TypeError, match="grad\\(\\) takes Values or Tensors"):
        grad(bad, x)


def test_a_leaf_output():
    x = Value(2.0)
    assert grad(x, x)[0].data == 1.0
    t = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(grad(t, t, grad_output=np.array([3.0, 4.0]))[0].data,
                                  [3.0, 4.0])


# ---------------------------------------------------------------------------------------------
# A bug found while writing these tests: a 0-d gradient reached three times lost a product.
# ---------------------------------------------------------------------------------------------
def test_zero_dim_fan_out_accumulates():
    # 0-d + 0-d is a numpy scalar, which `+=` cannot change in place: the walk must not treat
    # it as an array of its own (it did, and d(o*o + 3 o)/dx came out 4 instead of 7).
    x = Tensor(2.0)
    o = x * 1.0
    y = o * o + o * 3.0
    assert grad(y, x)[0].data == 7.0
    y.backward()
    assert x.grad == 7.0
    leaf = Tensor(2.0)
    assert grad(leaf * leaf + leaf * 3.0, leaf)[0].data == 7.0
    v = Tensor([2.0])
    s = v.sum()
    (s * s + s * 3.0).backward()
    np.testing.assert_array_equal(v.grad, [7.0])


# ---------------------------------------------------------------------------------------------
# create_graph: gradients that are graphs.
# ---------------------------------------------------------------------------------------------
def test_create_graph_gives_graph_nodes():
    x, y, q, f = _value_graph()
    gx, gy = grad(f, [x, y], create_graph=True)
    assert gx.inputs and gy.inputs, "the gradients are gates, not leaves"
    plain = grad(f, [x, y])
    assert (gx.data, gy.data) == (plain[0].data, plain[1].data)
    # ordinary nodes: they compute, combine and backpropagate like any other
    total = gx * gy + 1.0
    total.backward()
    assert x.grad != 0.0 and y.grad != 0.0


def test_second_and_third_derivatives_value():
    x = Value(0.7)
    f = x ** 3 * x.exp()  # f = x^3 e^x
    d1, = grad(f, x, create_graph=True)
    d2, = grad(d1, x, create_graph=True)
    d3, = grad(d2, x, create_graph=True)
    d4, = grad(d3, x)
    e = math.exp(0.7)
    t = 0.7
    assert d1.data == pytest.approx((t ** 3 + 3 * t ** 2) * e, rel=1e-14)
    assert d2.data == pytest.approx((t ** 3 + 6 * t ** 2 + 6 * t) * e, rel=1e-14)
    assert d3.data == pytest.approx((t ** 3 + 9 * t ** 2 + 18 * t + 6) * e, rel=1e-14)
    assert d4.data == pytest.approx((t ** 3 + 12 * t ** 2 + 36 * t + 24) * e, rel=1e-14)


def test_third_derivatives_tensor():
    x = Tensor(np.array([0.3, -0.8, 1.1]))
    y = x.tanh().sum()
    d1, = grad(y, x, create_graph=True)
    d2, = grad(d1.sum(), x, create_graph=True)
    d3, = grad(d2.sum(), x)
    t = np.tanh(x.data)
    np.testing.assert_allclose(d1.data, 1 - t ** 2, rtol=1e-14)
    np.testing.assert_allclose(d2.data, -2 * t * (1 - t ** 2), rtol=1e-13)
    np.testing.assert_allclose(d3.data, (1 - t ** 2) * (6 * t ** 2 - 2), rtol=1e-13)


def test_gradient_graph_can_be_drawn_and_stepped_through():
    viz = pytest.importorskip("viz")
    x = Value(0.5, label="x")
    y = (x * x).tanh()
    y.label = "y"
    dydx, = grad(y, x, create_graph=True)
    dydx.label = "dy/dx"
    dot = viz.to_dot(dydx)
    assert "digraph" in dot and "dy/dx" in dot and "tanh" in dot
    steps = list(dydx.backward_steps())
    assert steps and steps[0].describe().startswith(f"step 1/{len(steps)}: dy/dx = ")
    # stepping through leaves the second derivative in x.grad
    t = math.tanh(0.25)
    second = 2 * (1 - t ** 2) + 2 * 0.5 * (-2 * t * (1 - t ** 2)) * 2 * 0.5
    assert x.grad == pytest.approx(second, rel=1e-14)
    assert viz.to_dot(dydx).count("->") >= len(steps)


def test_gradient_graph_nodes_are_ordinary_nodes():
    x = Value(1.5, label="x")
    dydx, = grad(x.exp() * x, x, create_graph=True)
    for node in forward_order(dydx):
        assert isinstance(node, Value)
        if node.inputs:
            assert node.row is not None
            assert len(node.local_grads) == len(node.inputs)
    z = (dydx * 2.0).relu() - dydx.log()
    z.backward()
    assert x.grad == pytest.approx(
        2 * (2 + 1.5) * math.exp(1.5) - (2 + 1.5) / (1 + 1.5), rel=1e-14)
    W = Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), label="W")
    loss = (W @ np.array([1.0, 2.0])).tanh().sum()
    gW, = grad(loss, W, create_graph=True)
    assert isinstance(gW, Tensor) and gW.requires_grad and gW.inputs
    for node in forward_order(gW):
        assert isinstance(node, Tensor)


def test_create_graph_mixed_second_derivative():
    a, b = Value(0.4), Value(1.7)
    f = (a * b).tanh()
    ga, = grad(f, a, create_graph=True)
    gab, = grad(ga, b)
    gb, = grad(f, b, create_graph=True)
    gba, = grad(gb, a)
    t = math.tanh(0.4 * 1.7)
    expected = (1 - t * t) + 0.4 * 1.7 * (-2 * t * (1 - t * t))
    assert gab.data == pytest.approx(expected, rel=1e-13)
    assert gba.data == pytest.approx(expected, rel=1e-13)


def test_grad_of_a_gradient_with_respect_to_an_unrelated_input():
    x, c = Value(2.0), Value(5.0)
    dx, = grad(x * x + c, x, create_graph=True)  # 2x: does not depend on c
    with pytest.raises(ValueError, match="not used"):
        grad(dx, c)
    assert grad(dx, [x, c], allow_unused=True)[1] is None


def test_strict_mode_inside_a_gradient_graph():
    x = Value(0.0)
    y = (x * x + 1.0).sqrt()
    d1, = grad(y, x, create_graph=True)
    assert d1.data == 0.0
    d2, = grad(d1, x)
    assert d2.data == pytest.approx(1.0, rel=1e-15)
    z = Value(0.0)
    with pytest.raises(ZeroDivisionError):
        grad(z.sqrt(), z)


# ---------------------------------------------------------------------------------------------
# Error messages that named the wrong problem.
# ---------------------------------------------------------------------------------------------
def test_an_input_that_takes_no_gradient_is_named_as_such():
    # a data tensor is in the graph: "not used" would be a false reason
    X = Tensor(np.ones(3), requires_grad=False, label="X")
    W = Tensor(np.ones(3))
    with pytest.raises(ValueError, match="input 0 .*requires_grad=False"):
        grad((X * W).sum(), X)
    assert grad((X * W).sum(), [X, W], allow_unused=True)[0] is None
    with pytest.raises(ValueError, match="input 0 .*Constant"):
        grad(Value(2.0) * 3.0, autograd.Constant(3.0))


def test_a_value_seed_for_a_value_output():
    # grad_output=Value(3.0) was refused with "a Tensor and a Value cannot be mixed"
    x = Value(2.0)
    assert grad(x * x, x, grad_output=Value(3.0))[0].data == 12.0
    s = Value(0.5)
    seeded, = grad(x * x, x, grad_output=s * 2.0, create_graph=True)  # a seed with a graph
    assert seeded.data == 4.0
    assert grad(seeded, s)[0].data == 8.0  # d(2x * 2s)/ds = 4x
    with pytest.raises(TypeError, match="cannot be mixed"):
        grad(x * x, x, grad_output=Tensor(1.0))


@pytest.mark.needs_dot
def test_gradient_graph_step_through_page(tmp_path):
    viz = pytest.importorskip("viz")
    import shutil
    if shutil.which("dot") is None:
        pytest.skip("the step-through page renders SVG with Graphviz's dot")
    x = Value(0.5, label="x")
    dydx, = grad((x * x).tanh(), x, create_graph=True)
    dydx.label = "dy/dx"
    frames = viz.frames(dydx)
    gates = len([n for n in forward_order(dydx) if n.inputs])
    assert len(frames) == 1 + gates
    page = viz.write_stepthrough(dydx, tmp_path / "gradient.html")
    assert "dy/dx" in page.read_text()
    assert x.grad == 0.0, "the frames restore every gradient"


def test_grad_from_many_threads_on_one_graph():
    # grad() writes nothing on the nodes, so threads may differentiate one graph at once.
    import threading

    rng = np.random.default_rng(3)
    W = Tensor(rng.standard_normal((4, 3)))
    loss = (Tensor(rng.standard_normal((6, 4)), requires_grad=False) @ W).tanh().sum()
    expected = grad(loss, W)[0].data
    x = Value(0.3)
    f = (x * x).exp().tanh()
    second = grad(grad(f, x, create_graph=True)[0], x)[0].data
    failures = []

    def work():
        for _ in range(30):
            if not np.array_equal(grad(loss, W)[0].data, expected):
                failures.append("tensor")
            if grad(grad(f, x, create_graph=True)[0], x)[0].data != second:
                failures.append("value")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert W.grad is None and x.grad == 0.0


def test_tensor_power_with_a_zero_base_to_second_order():
    # d(a ** b)/db = a ** b log a is 0 where a = 0 (b > 0), as to first order; with
    # create_graph=True the rule raised "log(x) needs x > 0" for the zero entry.
    a = Tensor(np.array([0.0, 2.0]))
    b = Tensor(np.array([2.0, 3.0]))
    first, = grad((a ** b).sum(), b, create_graph=True)
    np.testing.assert_allclose(first.data, [0.0, 8.0 * math.log(2.0)], rtol=1e-15)
    da, db = grad(first.sum(), [a, b])
    # at a = 2, b = 3: d/da (a^b ln a) = a^(b-1) (b ln a + 1), d/db = a^b ln(a)^2
    assert da.data[1] == pytest.approx(4.0 * (3.0 * math.log(2.0) + 1.0), rel=1e-14)
    assert db.data[1] == pytest.approx(8.0 * math.log(2.0) ** 2, rel=1e-14)
    # at a = 0, b = 2 both limits are 0 (a (2 ln a + 1) and a^2 ln(a)^2); torch gives nan
    assert da.data[0] == 0.0 and db.data[0] == 0.0
