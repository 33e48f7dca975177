"""Gradients on wires are per branch: at a fork each wire carries its own chain-rule product, and
the branches add up to the input's ``.grad`` (CS231n: "gradients add at a fork")."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Value
from viz.expression import build
from viz.layout import GRAD_COLOR, HIDDEN_COLOR, LOCAL_COLOR, NAME_COLOR, VALUE_COLOR


def leaf_id(dot, name):
    """The DOT id of the leaf drawn with ``name`` (as its whole label or its label's first line)."""
    found = [n for n, attrs in dot.nodes.items()
             if attrs.get("label") == name or attrs.get("label", "").startswith(
                 f'<<font point-size="18">{name}</font>')]
    assert len(found) == 1, (name, found)
    return found[0]


def wire(dot, src, dst):
    [attrs] = [a for s, d, a in dot.edges if s == src and d == dst]
    return attrs


def grads(dot, attrs):
    return dot.colored(attrs, GRAD_COLOR)


def test_fork_x_times_y_plus_x(drawn):
    """The reviewer's repro: the + branch carries 1, the * branch -2, and they add up to -1."""
    formula = build("x*y + x", {"x": 3, "y": -2})
    formula.output.backward()
    x = formula.variables["x"]
    assert x.grad == -1.0
    dot = drawn(formula.output)
    x_id, times, plus = leaf_id(dot, "x"), dot.by_label("*"), dot.by_label("+")
    assert grads(dot, wire(dot, x_id, times)) == ["-2"]
    assert grads(dot, wire(dot, x_id, plus)) == ["1"]
    assert grads(dot, wire(dot, dot.by_label("y"), times)) == ["3"]
    assert grads(dot, wire(dot, times, plus)) == ["1"]
    # The leaf's total, the sum of its branches, is written under its name.
    assert dot.colored(dot.nodes[x_id], GRAD_COLOR) == ["grad -1"]
    assert "grad" not in dot.nodes[dot.by_label("y")]["label"]  # one wire: it shows the total


def test_x_times_x_has_two_wires_each_with_its_own_product(drawn):
    x = Value(3.0, label="x")
    f = x * x + 0.5 * x
    f.backward()
    assert x.grad == 6.5
    dot = drawn(f, local_grads=True)
    x_id = leaf_id(dot, "x")
    into_square = [a for s, d, a in dot.edges if s == x_id and d == dot.by_label("*")]
    assert [grads(dot, a) for a in into_square] == [["3"], ["3"]]
    assert grads(dot, wire(dot, x_id, dot.by_label("*0.5"))) == ["0.5"]
    assert dot.colored(dot.nodes[x_id], GRAD_COLOR) == ["grad 6.5"]


def test_branches_add_up_to_the_leaf_gradient_to_the_last_digit(drawn):
    x, y = Value(0.3, label="x"), Value(-1.7, label="y")
    f = (x * y).tanh() + (x / y).exp() * x - x.sigmoid()
    f.backward()
    dot = drawn(f, precision=17)
    x_id = leaf_id(dot, "x")
    branches = [float(grads(dot, a)[0]) for s, _, a in dot.edges if s == x_id]
    assert len(branches) == 4
    total = 0.0
    for g in branches:  # the engine's order: consumers last to first
        total += g
    assert math.isclose(total, x.grad, rel_tol=1e-15, abs_tol=1e-15)
    assert dot.colored(dot.nodes[x_id], GRAD_COLOR) == [f"grad {x.grad:.17g}"]


def test_tensor_fork_shows_each_branchs_product(drawn):
    X = autograd.Tensor(np.array([1.0, 2.0]), label="X")
    Y = autograd.Tensor(np.array([3.0, -4.0]), label="Y")
    f = (X * Y + X).sum()
    f.backward(record=True)  # Tensor gates keep what they sent only when asked
    dot = drawn(f)
    x_id, times, plus = leaf_id(dot, "X"), dot.by_label("*"), dot.by_label("+")
    assert grads(dot, wire(dot, x_id, times)) == ["[3, -4]"]
    assert grads(dot, wire(dot, x_id, plus)) == ["[1, 1]"]
    assert dot.colored(dot.nodes[x_id], GRAD_COLOR) == ["grad [4, -3]"]
    np.testing.assert_array_equal(X.grad, [4.0, -3.0])


def test_svm_hinge_s_cat_branches(drawn):
    """examples/lecture_circuits.py: s_cat feeds both margins; the frog margin is inactive (relu
    of -3.9), so its branch passes 0 while the car branch passes -1."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "lecture_circuits.py"
    spec = importlib.util.spec_from_file_location("lecture_circuits", path)
    lecture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lecture)
    loss = lecture.svm_hinge()
    dot = drawn(loss)  # each score is its own gate, drawn collapsed by default
    group = dot.by_label("s_cat = W_cat·x")
    cat = {dst: grads(dot, a) for s, dst, a in dot.edges
           if s == group and "s_cat" in a["label"]}
    assert sorted(cat.values()) == [["-1"], ["0"]]
    # x0 fans out to the three score gates: W_car,0 * 1, W_cat,0 * (-1), W_frog,0 * 0; sum 0.9.
    x0 = leaf_id(dot, "x0")
    assert [grads(dot, wire(dot, x0, dot.by_label(f"s_{c} = W_{c}·x")))
            for c in ("car", "cat", "frog")] == [["2.1"], ["-1.2"], ["0"]]
    assert "grad 0.9" in dot.nodes[x0]["label"]


def test_collapsed_group_wire_is_combined_local_times_output_grad(drawn):
    x = Value(0.5, label="x")
    with autograd.gate("square"):
        s = x * x
    f = s * 3 + x  # x also bypasses the group
    f.backward()
    dot = drawn(f, collapse=True, local_grads=True)
    x_id, group = leaf_id(dot, "x"), dot.by_label("square")
    assert dot.colored(wire(dot, x_id, group), LOCAL_COLOR) == ["local 1"]  # d x^2 / dx
    assert grads(dot, wire(dot, x_id, group)) == ["3"]  # combined local 1 * s.grad 3
    assert grads(dot, wire(dot, x_id, dot.by_label("+"))) == ["1"]
    assert x.grad == 4.0 and dot.colored(dot.nodes[x_id], GRAD_COLOR) == ["grad 4"]


def test_processed_shows_exactly_the_products_applied_so_far(drawn):
    formula = build("x*y + x", {"x": 3, "y": -2})
    out = formula.output
    out.backward()
    plus, times = out, out.inputs[0]
    dot = drawn(out, processed=[])
    assert all(grads(dot, a) == [] for _, _, a in dot.edges)
    hidden = [t for _, _, a in dot.edges for t in dot.colored(a, HIDDEN_COLOR)]
    assert sorted(hidden) == sorted(["-2", "3", "1", "1", "1"])  # room kept for every number
    dot = drawn(out, processed=[plus])
    x_id = leaf_id(dot, "x")
    assert grads(dot, wire(dot, "n3", "out")) == ["1"]  # the seed, from step 1
    assert grads(dot, wire(dot, x_id, "n3")) == ["1"]
    assert grads(dot, wire(dot, "n2", "n3")) == ["1"]
    assert grads(dot, wire(dot, x_id, "n2")) == [] and grads(dot, wire(dot, "n1", "n2")) == []
    assert dot.colored(dot.nodes[x_id], GRAD_COLOR) == []  # the * branch has not arrived
    dot = drawn(out, processed=[plus, times])
    assert grads(dot, wire(dot, x_id, "n2")) == ["-2"] and grads(dot, wire(dot, "n1", "n2")) == [
        "3"]
    assert dot.colored(dot.nodes[x_id], GRAD_COLOR) == ["grad -1"]


# Collapsed gates with several outputs, a lone leaf, folded and visible constants.

def test_unlabelled_outputs_of_a_collapsed_gate_are_tagged_with_their_names(drawn):
    x = Value(2.0, label="x")
    with autograd.gate("pair"):
        three_x = x * 3
        squared = x * x
    f = three_x + squared
    f.backward()
    dot = drawn(f, collapse=True, local_grads=True)
    pair = dot.by_label("pair")
    # the automatic names the step texts use: a and b in the order they are computed
    assert dot.colored(wire(dot, leaf_id(dot, "x"), pair), LOCAL_COLOR) == ["local a: 3, b: 4"]
    out_wires = {tuple(dot.colored(attrs, NAME_COLOR)): dot.colored(attrs, VALUE_COLOR)
                 for s, _, attrs in dot.edges if s == pair}
    assert out_wires == {("a = ",): ["6"], ("b = ",): ["4"]}


def test_a_leaf_root_is_one_node(drawn):
    x = Value(3.0, label="x")
    x.backward()
    dot = drawn(x)
    assert list(dot.nodes) == ["n0"] and dot.edges == []
    assert dot.colored(dot.nodes["n0"], VALUE_COLOR) == ["3"]
    assert dot.colored(dot.nodes["n0"], GRAD_COLOR) == ["1"]
    assert ">x<" in dot.nodes["n0"]["label"]


@pytest.mark.parametrize("build_f, symbol", [
    (lambda x: x - -1, "-(-1)"),
    (lambda x: x + -1, "+(-1)"),
    (lambda x: -2.5 + x, "+(-2.5)"),
])
def test_negative_folded_numbers_are_parenthesized(drawn, build_f, symbol):
    x = Value(3.0, label="x")
    dot = drawn(build_f(x))
    assert dot.by_label(symbol)


def test_a_small_tensor_constant_shows_its_entries(drawn):
    X = autograd.Tensor(np.ones((2, 2)), label="X")
    f = (X * np.array([[1.0, 2.0], [3.0, 4.0]])).sum()
    dot = drawn(f)
    assert dot.by_label("*(2, 2) [1, 2, 3, 4]")


def test_visible_constants_get_no_gradient(drawn):
    x = Value(2.0, label="x")
    f = autograd.Constant(2.0).exp() * x
    f.backward()
    dot = drawn(f)
    two = dot.by_label("2")
    [(_, _, attrs)] = [e for e in dot.edges if e[0] == two]
    assert dot.colored(attrs, VALUE_COLOR) == ["2"] and grads(dot, attrs) == []
    w = [Value(2.0, label="w0"), Value(-3.0, label="w1")]
    g = autograd.dot(w, [1.5, -1.0])
    g.backward()
    dot = drawn(g)
    for label in ("1.5", "-1"):
        [(_, _, attrs)] = [e for e in dot.edges if e[0] == dot.by_label(label)]
        assert grads(dot, attrs) == []
    assert grads(dot, wire(dot, dot.by_label("w0"), dot.by_label(g.op))) == ["1.5"]
