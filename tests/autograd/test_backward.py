"""Gradient semantics of backward(): accumulation, fan-out, seeds, depth, no reference cycles."""

from __future__ import annotations

import collections
import gc

import pytest

import autograd
from autograd import Constant, Value


def test_second_backward_doubles_leaves_but_not_interior_nodes():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    f.backward()
    f.backward()
    assert (x.grad, y.grad, z.grad) == (-8.0, -8.0, 6.0)  # leaves accumulate, as in PyTorch
    assert q.grad == -4.0  # an interior node shows the latest pass
    assert f.grad == 1.0


def test_zero_grad_resets_then_backward_gives_single_pass():
    x, y = Value(3.0), Value(-1.5)
    f = (x * y).tanh()
    f.backward()
    first = (x.grad, y.grad)
    f.backward()
    for v in (x, y):
        v.zero_grad()
    assert (x.grad, y.grad) == (0.0, 0.0)
    f.backward()
    assert (x.grad, y.grad) == first


@pytest.mark.parametrize("build, expected", [
    (lambda x: x * x, 2 * 3.0),
    (lambda x: x + x, 2.0),
    (lambda x: x - x, 0.0),
    (lambda x: x / x, 0.0),
    (lambda x: x * x * x, 3 * 3.0 ** 2),
    (lambda x: (x * 2) * (x + 1), 4 * 3.0 + 2),  # a diamond: x feeds two gates that meet again
])
def test_fan_out_sums_the_paths(build, expected):
    x = Value(3.0)
    f = build(x)
    f.backward()
    assert x.grad == expected


def test_diamond_interior_node_gets_sum_of_its_consumers():
    x = Value(0.5)
    a = x.exp()
    b = a * 3.0
    c = a.tanh()
    f = b + c
    f.backward()
    assert a.grad == 3.0 + (1.0 - c.data ** 2)
    assert x.grad == a.grad * a.data


def test_backward_on_a_leaf_seeds_one_and_accumulates():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0
    x.backward()
    assert x.grad == 2.0
    x.backward(gradient=0.5)
    assert x.grad == 2.5


def test_backward_gradient_scales_every_grad():
    x, y = Value(-2.0), Value(5.0)
    f = x * y
    f.backward(gradient=2.5)
    assert f.grad == 2.5
    assert (x.grad, y.grad) == (12.5, -5.0)


def test_constants_take_no_gradient_and_are_leaves():
    # As a tensor with requires_grad=False: nobody asks for d f / d 2, so it is never computed.
    x = Value(3.0)
    c = Constant(2.0)
    f = c * x
    f.backward()
    assert x.grad == 2.0 and c.grad == 0.0
    assert f.local_grads == (None, 2.0) and f.input_grads == (None, 2.0)
    assert c.is_leaf and c.is_constant and not c.requires_grad


def test_backward_from_an_interior_node_leaves_other_branches_alone():
    x = Value(1.0)
    a = x * 2
    b = a * 5
    b.backward()
    assert x.grad == 10.0
    a.backward()  # a is a gate: its own grad is reset and seeded to 1
    assert a.grad == 1.0
    assert x.grad == 12.0  # the leaf accumulates 10 + 2


@pytest.mark.slow
def test_million_node_chain_backward_and_deallocation():
    n = 1_000_000
    factor = 1.0000001
    x = Value(0.5, label="x")
    one = Value(1.0, label="one")
    node = x
    for i in range(n):
        node = node + one if i % 2 == 0 else node * factor
    node.backward()  # an iterative walk: no RecursionError
    expected = 1.0
    for _ in range(n // 2):
        expected = factor * expected  # the same products in the same order as the walk
    assert x.grad == expected
    assert one.grad == pytest.approx(sum(factor ** k for k in range(1, n // 2 + 1)), rel=1e-9)
    steps = node.backward_steps()
    first = next(steps)
    assert first.total == n
    del steps, first
    del node  # freeing a million-deep chain must not overflow the C stack either
    assert x.grad > 0


def _sigmoid_circuit():
    leaves = [Value(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0)]
    w0, x0, w1, x1, w2 = leaves
    with autograd.gate("sigmoid"):
        f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    return f


def _mlp_like():
    inputs = [Value(0.3), Value(-1.2), Value(2.0)]
    layer = inputs
    for width in (4, 4, 1):
        layer = [autograd.linear([Value(0.1 * (i + j)) for j in range(len(layer))], layer,
                                 Value(0.05)).tanh() for i in range(width)]
    loss = (layer[0] - 1.0) ** 2 + autograd.sum([v.relu() for v in inputs])
    return loss


def _unreachable_after(build) -> int:
    """Objects the cycle collector finds after building, differentiating and dropping a graph."""
    gc.collect()
    gc.disable()
    try:
        root = build()
        root.backward()
        collections.deque(root.backward_steps(), maxlen=0)  # run every step, keep none
        root.backward(gradient=2.0)
        del root
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize("build", [_sigmoid_circuit, _mlp_like])
def test_graphs_hold_no_reference_cycles(build):
    assert _unreachable_after(build) == 0


def test_cycle_check_can_fail():
    def cyclic_graph():
        x = Value(2.0)
        y = x * 3
        x.inputs = (y,)  # deliberately make a loop of nodes
        return y * 1

    assert _unreachable_after(cyclic_graph) > 0


def test_forward_order_lists_every_node_once_in_operand_order_root_last():
    from autograd.walk import backward_order, forward_order

    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    q = x * y
    f = (q + x) * q                      # fan-out of x and q
    order = forward_order(f)
    assert order[-1] is f and len(order) == len({id(n) for n in order}) == 5
    assert order.index(x) < order.index(y) < order.index(q)
    for node in order:
        for inp in node.inputs:
            assert order.index(inp) < order.index(node)
    gates = [n for n in order if n.inputs]
    assert set(map(id, gates)) == set(map(id, backward_order(f)))
