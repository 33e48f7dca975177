"""The REPL step-through: same result as backward(), one gate per step, and readable text."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value


def all_nodes(root):
    """Every node reachable from ``root``, in a deterministic order (depth-first, operand order)."""
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(reversed(node.inputs))
    return order


def cs231n_simple():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def neuron():
    w0, x0, w1, x1, w2 = (Value(v, label=n) for v, n in
                          [(2.0, "w0"), (-1.0, "x0"), (-3.0, "w1"), (-2.0, "x1"), (-3.0, "w2")])
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def fan_out_with_constants():
    x, y = Value(0.7, label="x"), Value(-1.3, label="y")
    a = x * y
    b = 2 * a + a.tanh() - 1 / x
    c = autograd.sum([b, a, x, 3.0]) * b.sigmoid()
    return autograd.linear([x, y], [c, a], 0.5) + x ** 3 + y.exp()


GRAPHS = [cs231n_simple, neuron, fan_out_with_constants]


@pytest.mark.parametrize("build", GRAPHS)
def test_running_all_steps_leaves_the_state_backward_leaves(build):
    walked, stepped = build(), build()
    walked.backward()
    steps = list(stepped.backward_steps())
    a, b = all_nodes(walked), all_nodes(stepped)
    assert len(a) == len(b)
    assert [n.grad for n in a] == [n.grad for n in b]  # exactly, every node including constants
    assert len(steps) == sum(1 for n in b if n.inputs)


@pytest.mark.parametrize("build", GRAPHS)
def test_twice_stepped_equals_twice_backward(build):
    walked, stepped = build(), build()
    walked.backward()
    walked.backward(gradient=0.5)
    list(stepped.backward_steps())
    list(stepped.backward_steps(gradient=0.5))
    assert [n.grad for n in all_nodes(walked)] == [n.grad for n in all_nodes(stepped)]


@pytest.mark.parametrize("build", GRAPHS)
def test_each_step_applies_exactly_one_gate(build):
    root = build()
    nodes = all_nodes(root)
    before = {id(n): 0.0 for n in nodes}
    before[id(root)] = 1.0  # the first step starts from the reset, seeded state
    count = 0
    for step in root.backward_steps():
        count += 1
        assert step.index == count and step.total == sum(1 for n in nodes if n.inputs)
        assert step.upstream == step.node.grad == before[id(step.node)]
        expected = dict(before)
        for x, local, product in step.contributions:
            assert product == local * step.upstream
            expected[id(x)] += product
        takers = [x for x in step.node.inputs if not x.is_constant]
        assert [x for x, _, _ in step.contributions] == takers
        assert [local for x, local in zip(step.node.inputs, step.node.local_grads)
                if not x.is_constant] == [local for _, local, _ in step.contributions]
        assert step.node.input_grads == tuple(
            None if x.is_constant else local * step.upstream
            for x, local in zip(step.node.inputs, step.node.local_grads))
        after = {id(n): n.grad for n in nodes}
        assert after == expected
        before = after
    assert count == step.total


@pytest.mark.parametrize("build", GRAPHS)
def test_step_text_is_two_lines_naming_node_upstream_and_products(build):
    for step in build().backward_steps():
        text = repr(step)
        assert text == str(step) == step.describe()
        lines = text.split("\n")
        assert len(lines) <= 2
        fmt = lambda x: autograd.steps.format_number(x)  # noqa: E731
        assert lines[0].startswith(f"step {step.index}/{step.total}: ")
        assert f"= {fmt(step.node.data)}, upstream grad {fmt(step.upstream)}" in lines[0]
        for x, local, product in step.contributions:
            if x.is_constant:
                continue
            name = autograd.steps.node_name(x, names=step.names)
            assert (f"{name}.grad += local {fmt(local)} * upstream {fmt(step.upstream)} = "
                    f"{fmt(product)}") in lines[1]


def test_simple_circuit_text_exactly():
    texts = [repr(step) for step in cs231n_simple().backward_steps()]
    assert texts == [
        "step 1/2: f = q * z = -12, upstream grad 1\n"
        "  q.grad += local -4 * upstream 1 = -4;  z.grad += local 3 * upstream 1 = 3",
        "step 2/2: q = x + y = 3, upstream grad -4\n"
        "  x.grad += local 1 * upstream -4 = -4;  y.grad += local 1 * upstream -4 = -4",
    ]


def test_constants_take_no_product_and_are_not_listed():
    x = Value(3.0, label="x")
    f = 1 / x
    step = next(f.backward_steps())
    assert repr(step) == ("step 1/1: f = 1 / x = 0.3333, upstream grad 1\n"
                          "  x.grad += local -0.1111 * upstream 1 = -0.1111")
    assert f.inputs[0].grad == 0.0  # nobody asks for d f / d 1: the constant gets nothing
    assert x.grad == -1.0 / 9.0


def test_all_constant_gate_says_so():
    f = autograd.Constant(2.0) * autograd.Constant(3.0)
    (step,) = list(f.backward_steps())
    assert repr(step) == ("step 1/1: f = 2 * 3 = 6, upstream grad 1\n"
                          "  (all inputs are constants: no gradient to pass on)")


def test_unlabelled_nodes_get_letters_and_power_shown():
    x = Value(2.0, label="x")
    f = (x ** 2).exp()
    first, second = list(f.backward_steps())
    assert repr(first) == ("step 1/2: f = exp(a) = 54.6, upstream grad 1\n"
                           "  a.grad += local 54.6 * upstream 1 = 54.6")
    assert repr(second).startswith("step 2/2: a = x ** 2 = 4, upstream grad 54.6\n"
                                   "  x.grad += local 4 ")
    assert x.grad == 4.0 * math.exp(4.0)


def test_precision_argument():
    step = next(cs231n_simple().backward_steps(gradient=1 / 3))
    assert "upstream grad 0.33333" in step.describe(precision=5)
    assert "upstream grad 0.3333 " not in step.describe(precision=5)


def test_steps_on_a_leaf_yield_nothing_but_seed():
    x = Value(1.0)
    assert list(x.backward_steps()) == []
    assert x.grad == 1.0


def test_structural_gates_name_their_parameters():
    np = pytest.importorskip("numpy")
    x = autograd.Tensor(np.ones((2, 3)), label="x")
    cases = [
        (x.sum(axis=1, keepdims=True), "sum(x, axis=1, keepdims=True) = array(2, 1)"),
        (x.mean(axis=(0, -1)), "mean(x, axis=(0, -1)) = 1"),
        (x.max(), "max(x) = 1"),
        (x.transpose(-1, 0), "transpose(x, axes=(1, 0)) = array(3, 2)"),
        (x.reshape(3, 2), "reshape(x, shape=(3, 2)) = array(3, 2)"),
        (x[np.arange(2), [0, 2]], "x[[0, 1], [0, 2]] = array(2,)"),
        (x ** 2, "x ** 2 = array(2, 3)"),
    ]
    for node, text in cases:
        node.label = "s"
        gradient = np.ones(node.shape)
        first = str(next(node.backward_steps(gradient))).splitlines()[0]
        assert first.startswith(f"step 1/1: s = {text}, upstream grad"), first


def test_an_infix_gate_with_a_parameter_keeps_both_operands():
    np = pytest.importorskip("numpy")
    from autograd.ops import Op
    from autograd.tensor import _make

    scaled_add = Op("scaled_add", "+α", forward=lambda m, a, b, *, alpha: a + alpha * b,
                    partials=(lambda m, out, a, b, *, alpha: 1.0,
                              lambda m, out, a, b, *, alpha: alpha), math="a + alpha b",
                    params=("alpha",))
    a = autograd.Tensor(np.ones(2), label="a")
    b = autograd.Tensor(np.ones(2), label="b")
    node = _make(scaled_add, (a, b), a.data + 0.5 * b.data, (0.5,))
    first = str(next(node.backward_steps(np.ones(2)))).splitlines()[0]
    assert first.startswith("step 1/1: f = +α(a, b, alpha=0.5) = array(2,)"), first


# Names: every node one name, shared by all steps of a pass (and by the diagrams).

def sigmoid_neuron_texts():
    w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    w1, x1 = Value(-3.0, label="w1"), Value(-2.0, label="x1")
    w2 = Value(-3.0, label="w2")
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    return [repr(step) for step in f.backward_steps()]


def test_the_neurons_steps_name_each_gate_by_a_letter_once():
    texts = sigmoid_neuron_texts()
    heads = [text.split("\n")[0].split(", upstream")[0] for text in texts]
    assert heads == ["step 1/8: f = 1 / k = 0.7311", "step 2/8: k = 1 + h = 1.368",
                     "step 3/8: h = exp(g) = 0.3679", "step 4/8: g = d * -1 = -1",
                     "step 5/8: d = c + w2 = 1", "step 6/8: c = a + b = 4",
                     "step 7/8: a = w0 * x0 = -2", "step 8/8: b = w1 * x1 = 6"]
    assert texts[5].split("\n")[1] == ("  a.grad += local 1 * upstream 0.1966 = 0.1966;  "
                                       "b.grad += local 1 * upstream 0.1966 = 0.1966")
    assert not any("(" + op + ")" in text for text in texts for op in "+*")


def test_names_avoid_labels_and_repeated_labels_get_primes():
    a, f_leaf = Value(2.0, label="a"), Value(3.0, label="f")
    x1, x2 = Value(1.0, label="x"), Value(5.0, label="x")
    out = (a * f_leaf + x1) * x2
    names = autograd.steps.node_names(out)
    assert names[id(a)] == "a" and names[id(f_leaf)] == "f"
    assert names[id(x1)] == "x" and names[id(x2)] == "x'"
    assert names[id(out)] == "b" and len(set(names.values())) == len(names)
    (first, *_) = list(out.backward_steps())
    assert first.describe().startswith("step 1/3: b = d * x' = ")


def test_unlabelled_leaves_get_letters_and_constants_stay_numbers():
    u, v = Value(2.0), Value(3.0)
    out = u * v + 1
    texts = [repr(step) for step in out.backward_steps()]
    assert texts[0].startswith("step 1/2: f = c + 1 = 7")
    assert texts[1].startswith("step 2/2: c = a * b = 6") and "a.grad +=" in texts[1]


def test_many_unlabelled_nodes_get_distinct_names():
    x = Value(1.0, label="x")
    node = x
    for _ in range(60):
        node = node * 1.01 + x
    names = autograd.steps.node_names(node)
    assert len(set(names.values())) == len(names) == 121
    assert "a1" in names.values() and "e" not in names.values() and "x" in names.values()


def test_formula_prints_the_graph_with_the_fewest_parentheses():
    x, y, z = Value(1.0, label="x"), Value(2.0, label="y"), Value(3.0, label="z")
    assert autograd.steps.formula(x - (y - z)) == "x - (y - z)"
    assert autograd.steps.formula((x - y) - z) == "x - y - z"
    assert autograd.steps.formula(x / (y * z)) == "x/(y*z)"
    assert autograd.steps.formula(x * (y / z)) == "x*(y/z)"
    assert autograd.steps.formula(x * y / z) == "x*y/z"
    assert autograd.steps.formula(x + (y + z)) == "x + y + z"
    np = pytest.importorskip("numpy")
    w, v = autograd.Tensor(np.ones((2, 2)), label="W"), autograd.Tensor(np.ones(2), label="v")
    assert autograd.steps.formula((w @ v).tanh().sum()) == "sum(tanh(W @ v))"
    assert autograd.steps.formula(x - (y + z)) == "x - (y + z)"
    assert autograd.steps.formula(x ** y ** z) == "x**y**z"
    assert autograd.steps.formula((x ** y) ** z) == "(x**y)**z"
    assert autograd.steps.formula(-(x * y)) == "-(x*y)"
    assert autograd.steps.formula(((x + y) * z).tanh() ** 2) == "tanh((x + y)*z)**2"
    deep = x
    for _ in range(2000):  # shared twice per level: text grows fast, but is cut while built
        deep = deep * deep
    text = autograd.steps.formula(deep, limit=40)
    assert len(text) == 40 and text.endswith("…")
