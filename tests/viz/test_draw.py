"""Circuit diagrams as DOT: boxes, wires, folded constants, named gates, numbers and highlights.

Everything here is pure Python (no Graphviz program): the DOT text is parsed statement by
statement and its numbers are checked against the CS231n worked examples.
"""

from __future__ import annotations

import contextlib
import math
import re

import numpy as np
import pytest

import autograd
import viz
from autograd import Value
from viz.layout import ACTIVE_FILL, GRAD_COLOR, HIGHLIGHT_COLOR, LOCAL_COLOR, VALUE_COLOR


def values(dot, attrs):
    return dot.colored(attrs, VALUE_COLOR)


def grads(dot, attrs):
    return dot.colored(attrs, GRAD_COLOR)


def xyz(backward=True):
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    if backward:
        f.backward()
    return x, y, z, q, f


def sigmoid_neuron():
    w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    w1, x1 = Value(-3.0, label="w1"), Value(-2.0, label="x1")
    w2 = Value(-3.0, label="w2")
    dot = w0 * x0 + w1 * x1 + w2
    with autograd.gate("sigmoid"):
        f = 1 / (1 + (-dot).exp())
    f.backward()
    return (w0, x0, w1, x1, w2), dot, f


# The CS231n example f = (x + y) z.

def test_xyz_wires_show_values_in_green_and_gradients_in_red(drawn):
    dot = drawn(xyz()[-1])
    [x_wire] = dot.edges_from(dot.by_label("x"))
    assert values(dot, x_wire) == ["-2"] and grads(dot, x_wire) == ["-4"]
    [y_wire] = dot.edges_from(dot.by_label("y"))
    assert values(dot, y_wire) == ["5"] and grads(dot, y_wire) == ["-4"]
    [z_wire] = dot.edges_from(dot.by_label("z"))
    assert values(dot, z_wire) == ["-4"] and grads(dot, z_wire) == ["3"]
    [(gate, out_wire)] = dot.edges_into(dot.by_label("f"))
    assert dot.nodes[gate]["label"] == "*"
    assert values(dot, out_wire) == ["-12"] and grads(dot, out_wire) == ["1"]


def test_xyz_structure_gates_and_wires(drawn):
    dot = drawn(xyz()[-1])
    labels = sorted(attrs["label"] for attrs in dot.nodes.values())
    assert labels == ["*", "+", "f", "x", "y", "z"]
    plus, times = dot.by_label("+"), dot.by_label("*")
    assert sorted(src for src, _ in dot.edges_into(plus)) == sorted(
        [dot.by_label("x"), dot.by_label("y")])
    [(src, q_wire)] = [(s, a) for s, a in dot.edges_into(times) if s == plus]
    assert values(dot, q_wire) == ["3"] and grads(dot, q_wire) == ["-4"]
    assert "q" in q_wire["label"]  # an intermediate node's name is written on its wire
    assert len(dot.edges) == 5


def test_node_ids_are_stable_and_deterministic():
    first, second = viz.to_dot(xyz()[-1]), viz.to_dot(xyz()[-1])
    assert first == second
    ids = re.findall(r"^\t(\w+) \[", first, flags=re.M)
    assert all(re.fullmatch(r"n\d+|out|graph|node|edge", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_to_dot_equals_draw_source():
    f = xyz()[-1]
    assert viz.to_dot(f, title="T", local_grads=True) == viz.draw(f, title="T",
                                                                  local_grads=True).source


def test_no_gradients_before_backward(drawn):
    dot = drawn(xyz(backward=False)[-1])
    assert all(grads(dot, attrs) == [] for _, _, attrs in dot.edges)
    assert values(dot, dot.edges_from(dot.by_label("x"))[0]) == ["-2"]


def test_show_grads_false_hides_gradients(drawn):
    dot = drawn(xyz()[-1], show_grads=False)
    assert all(grads(dot, attrs) == [] for _, _, attrs in dot.edges)
    assert GRAD_COLOR not in viz.to_dot(xyz()[-1], show_grads=False)


def test_grads_for_shows_only_those_gradients(drawn):
    x, y, z, q, f = xyz()
    dot = drawn(f, grads_for=[f, z])
    assert grads(dot, dot.edges_from(dot.by_label("z"))[0]) == ["3"]
    assert grads(dot, dot.edges_into(dot.by_label("f"))[0][1]) == ["1"]
    assert grads(dot, dot.edges_from(dot.by_label("x"))[0]) == []
    assert values(dot, dot.edges_from(dot.by_label("x"))[0]) == ["-2"]


def test_local_grads_on_input_wires(drawn):
    f = xyz()[-1]
    dot = drawn(f, local_grads=True)
    local = lambda attrs: dot.colored(attrs, LOCAL_COLOR)  # noqa: E731
    assert local(dot.edges_from(dot.by_label("z"))[0]) == ["local 3"]
    [q_wire] = dot.edges_from(dot.by_label("+"))
    assert local(q_wire) == ["local -4"]
    assert local(dot.edges_from(dot.by_label("x"))[0]) == ["local 1"]
    assert all(local(attrs) == [] for attrs in dot.edges_from(dot.by_label("*")))


def test_precision_option(drawn):
    x = Value(2.0, label="x")
    f = x.sigmoid()
    f.backward()
    dot = drawn(f, precision=2)
    [(_, wire)] = dot.edges_into("out")
    assert values(dot, wire) == ["0.88"] and grads(dot, wire) == ["1"]
    [x_wire] = dot.edges_from(dot.by_label("x"))
    assert grads(dot, x_wire) == [f"{0.8807970779778823 * (1 - 0.8807970779778823):.2g}"]


# Constants are folded into their gates.

@pytest.mark.parametrize("build, symbol", [
    (lambda x: x + 1, "+1"),
    (lambda x: 1 + x, "+1"),
    (lambda x: 2 * x, "*2"),
    (lambda x: x * 2, "*2"),
    (lambda x: -1 * x, "*-1"),
    (lambda x: -x, "*-1"),
    (lambda x: 1 / x, "1/x"),
    (lambda x: x / 2, "/2"),
    (lambda x: x ** 2, "**2"),
    (lambda x: x ** 0.5, "**0.5"),
    (lambda x: 1 - x, "1-x"),
    (lambda x: x - 1, "-1"),
    (lambda x: 2 ** x, "2**x"),
    (lambda x: x.exp(), "exp"),
])
def test_constants_are_folded_into_gate_symbols(drawn, build, symbol):
    x = Value(3.0, label="x")
    f = build(x)
    f.backward()
    dot = drawn(f)
    assert sorted(attrs["label"] for attrs in dot.nodes.values()) == sorted([symbol, "x", "f"])
    gate = dot.by_label(symbol)
    [(src, wire)] = dot.edges_into(gate)
    assert src == dot.by_label("x")
    assert values(dot, wire) == ["3"]
    assert grads(dot, wire) == [viz.labels.format_number(x.grad)]


def test_constant_inputs_of_a_variadic_gate_stay_visible(drawn):
    w = [Value(2.0, label="w0"), Value(-3.0, label="w1")]
    f = autograd.dot(w, [1.5, -1.0])
    f.backward()
    dot = drawn(f)
    gate = dot.by_label(f.op)
    assert len(dot.edges_into(gate)) == 5  # w0, w1, two numbers and the bias
    assert {dot.nodes[src]["label"] for src, _ in dot.edges_into(gate)} >= {"1.5", "-1", "0"}


def test_subtraction_marks_which_operand_is_subtracted(drawn):
    a, b = Value(1.0, label="a"), Value(4.0, label="b")
    f = b - a
    dot = drawn(f)
    wires = dict(dot.edges_into(dot.by_label("-")))
    assert wires[dot.by_label("b")]["headlabel"] == "+"
    assert wires[dot.by_label("a")]["headlabel"] == "\u2212"


# Named gates.

def test_expanded_gate_is_a_labelled_cluster_of_its_primitives(drawn):
    _, _, f = sigmoid_neuron()
    dot = drawn(f)
    [cluster] = [name for name in dot.clusters if dot.cluster_label(name) == "sigmoid"]
    inside = sorted(dot.nodes[n]["label"] for n, cs in dot.node_clusters.items() if cluster in cs)
    assert inside == sorted(["*-1", "exp", "+1", "1/x"])
    assert dot.node_clusters[dot.by_label("w0")] == ()


def test_collapsed_gate_is_one_box_with_the_combined_local_gradient(drawn):
    leaves, pre, f = sigmoid_neuron()
    before = [v.grad for v in leaves] + [pre.grad, f.grad]
    dot = drawn(f, collapse=True, local_grads=True, precision=12)
    assert not dot.clusters
    gate = dot.by_label("sigmoid")
    [(src, wire)] = dot.edges_into(gate)
    s = f.data
    assert dot.colored(wire, LOCAL_COLOR) == [f"local {s * (1 - s):.12g}"]
    assert values(dot, wire) == ["1"]
    assert grads(dot, wire) == [f"{pre.grad:.12g}"]
    assert math.isclose(pre.grad, s * (1 - s), rel_tol=1e-12)
    [(_, out_wire)] = dot.edges_into("out")
    assert values(dot, out_wire) == [f"{s:.12g}"]
    assert [v.grad for v in leaves] + [pre.grad, f.grad] == before  # drawing left grads alone
    for label in ("*-1", "exp", "+1", "1/x"):
        assert all(attrs.get("label") != label for attrs in dot.nodes.values())


def test_collapse_by_name_and_nested_gates_collapse_into_the_outer_one(drawn):
    x = Value(0.5, label="x")
    with autograd.gate("neuron"):
        h = x * 3
        with autograd.gate("sigmoid"):
            s = 1 / (1 + (-h).exp())
    with autograd.gate("square"):
        f = s * s
    f.backward()
    dot = drawn(f, collapse=["neuron"], local_grads=True, precision=10)
    neuron = dot.by_label("neuron")
    assert [dot.cluster_label(c) for c in dot.clusters] == ["square"]
    [(src, wire)] = dot.edges_into(neuron)
    assert src == dot.by_label("x")
    sv = s.data
    assert dot.colored(wire, LOCAL_COLOR) == [f"local {3 * sv * (1 - sv):.10g}"]
    dot_all = drawn(f, collapse=True)
    assert sorted(a["label"] for a in dot_all.nodes.values()) == ["f", "neuron", "square", "x"]


def test_collapsed_group_with_two_outputs(drawn):
    x = Value(2.0, label="x")
    with autograd.gate("pair"):
        a = x * 3
        b = x * x
    a.label, b.label = "a", "b"
    f = a + b
    f.backward()
    dot = drawn(f, collapse=True, local_grads=True)
    pair = dot.by_label("pair")
    [(_, wire)] = dot.edges_into(pair)
    assert dot.colored(wire, LOCAL_COLOR) == ["local a: 3, b: 4"]
    assert len(dot.edges_from(pair)) == 2


# Highlights.

def test_active_gate_is_filled(drawn):
    x, y, z, q, f = xyz()
    dot = drawn(f, active=q)
    assert dot.nodes[dot.by_label("+")]["fillcolor"] == ACTIVE_FILL
    assert dot.nodes[dot.by_label("*")]["fillcolor"] != ACTIVE_FILL


def test_highlight_and_highlight_path(drawn):
    x, y, z, q, f = xyz()
    dot = drawn(f, highlight=[z])
    assert dot.nodes[dot.by_label("z")]["color"] == HIGHLIGHT_COLOR
    assert "color" not in dot.nodes[dot.by_label("x")]
    dot = drawn(f, highlight_path=(x, f))
    on = {(src, dst) for src, dst, attrs in dot.edges if attrs.get("color") == HIGHLIGHT_COLOR}
    assert on == {(dot.by_label("x"), dot.by_label("+")), (dot.by_label("+"), dot.by_label("*")),
                  (dot.by_label("*"), "out")}
    assert dot.nodes[dot.by_label("+")]["color"] == HIGHLIGHT_COLOR
    assert drawn(f, highlight_path=(f, x)).edges == dot.edges  # either order
    with pytest.raises(ValueError, match="no path"):
        drawn(f, highlight_path=(x, y))


# Titles, captions, options.

def test_title_and_caption(drawn):
    dot = drawn(xyz()[-1], title="f = (x + y) z", caption="step 1/2\nnext line")
    assert "f = (x + y) z" in dot.graph["label"] and dot.graph["labelloc"] == "t"
    caption = dot.clusters["cluster_caption"]
    assert "step 1/2" in caption["label"] and "next line" in caption["label"]
    assert caption["labelloc"] == "b"
    assert all(dot.node_clusters[n] == ("cluster_caption",) for n in dot.nodes if n != "out")


def test_bad_options_raise_clear_errors():
    f = xyz()[-1]
    with pytest.raises(ValueError, match="rankdir"):
        viz.to_dot(f, rankdir="XY")
    with pytest.raises(ValueError, match="around"):
        viz.to_dot(f, around=Value(1.0))
    with pytest.raises(TypeError, match="node"):
        viz.to_dot(3.0)
    with pytest.raises(TypeError):
        viz.to_dot(f, colour="red")


# Large graphs.

def chain(n):
    """x -> (+1) -> (*1.5) -> ... : n gates after one leaf."""
    x = Value(0.1, label="x")
    node = x
    for k in range(n):
        node = node + 1 if k % 2 == 0 else node * 0.5
    return x, node


def test_around_depth_keeps_the_neighbourhood_and_counts_the_rest(drawn):
    x, f = chain(40)
    middle = f
    for _ in range(20):
        middle = middle.inputs[0]
    dot = drawn(f, around=middle, depth=2)
    gates = [n for n in dot.nodes if n.startswith("n")]
    assert len(gates) == 5
    assert dot.nodes["more"]["label"] == "… 36 more nodes not shown"
    cut = [(s, d) for s, d, attrs in dot.edges if attrs.get("style") == "dashed"]
    assert sorted(cut) == sorted([("cut0", gates[0]), (gates[-1], "cut1")])
    assert "out" not in dot.nodes


def test_max_nodes_limits_the_drawing(drawn):
    x, f = chain(100)
    dot = drawn(f, max_nodes=10)
    assert len([n for n in dot.nodes if n.startswith("n")]) == 10
    assert dot.nodes["more"]["label"] == "… 91 more nodes not shown"
    assert "out" in dot.nodes  # the root is kept first


def test_ten_thousand_node_graph_is_drawn(drawn):
    xs = [Value(float(k % 7), label=f"x{k}") for k in range(2500)]
    total = xs[0]
    for k, x in enumerate(xs[1:], 1):
        total = total + x * 2.0 if k % 2 else total + x.tanh()
    total.backward()
    dot = drawn(total, max_nodes=None)
    boxes = [n for n in dot.nodes if n != "out"]
    assert len(boxes) == 2500 + 2499 * 2
    assert len(dot.edges) == 2499 * 3 + 1
    chain_dot = drawn(chain(10_000)[1], max_nodes=None)
    assert len(chain_dot.nodes) == 10_000 + 2


# Tensors (duck-typed: anything whose data has a shape).

class FakeTensor(autograd.node.Node):
    """A node with array data, built without autograd.Tensor (only the attributes viz reads)."""

    __slots__ = ()

    def __init__(self, data, inputs=(), op=None, label=""):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.ones_like(self.data)
        self.inputs = tuple(inputs)
        self.local_grads = ()
        # Wires show the gradient flowing along them (what the consumer's backward step sent);
        # the fake sent each input its own gradient, so the wires show the inputs' grads.
        self.input_grads = tuple(x.grad for x in self.inputs)
        self._op = op
        self._meta = None
        if label:
            self.label = label


def test_arrays_show_their_shape_and_small_arrays_their_numbers(drawn):
    w = FakeTensor(np.zeros((500, 10)), label="W")
    b = FakeTensor([1.0, 2.5], label="b")
    out = FakeTensor(np.zeros(10), (w, b), op=autograd.ops.ADD)
    dot = drawn(out)
    [w_wire] = dot.edges_from(dot.by_label("W"))
    assert values(dot, w_wire) == ["(500, 10)"]
    assert grads(dot, w_wire) == [f"(500, 10) \u2016g\u2016={math.sqrt(5000):.4g}"]
    [b_wire] = dot.edges_from(dot.by_label("b"))
    assert values(dot, b_wire) == ["[1, 2.5]"] and grads(dot, b_wire) == ["[1, 1]"]
    assert len(viz.to_dot(out)) < 4000  # no array dump


def test_collapse_names_a_gate_that_is_not_in_the_graph():
    _, _, f = sigmoid_neuron()
    with pytest.raises(ValueError, match=r"no gate named 'nope'.*'sigmoid'"):
        viz.to_dot(f, collapse="nope")
    with pytest.raises(ValueError, match=r"'nope'.*no named gates"):
        viz.to_dot(xyz()[-1], collapse=["nope"])
    assert viz.to_dot(f, collapse=["sigmoid"]) == viz.to_dot(f, collapse=True)


def test_graph_uses_the_engines_forward_order():
    import viz.graph

    assert not hasattr(viz.graph, "collect")
    f = xyz()[-1]
    assert viz.graph.build_circuit(f).order == autograd.walk.forward_order(f)


# Reading order, names and the legend.

def dot_json(source):
    """Graphviz's layout of DOT text (``dot -Tjson``): {name: (x, y)} of the nodes and
    [(tail name, head name, label y)] of the edges; y grows upwards."""
    import json
    import shutil
    import subprocess

    if shutil.which("dot") is None:
        pytest.skip("needs the Graphviz `dot` program")
    layout = json.loads(subprocess.run(["dot", "-Tjson"], input=source.encode(),
                                       capture_output=True, check=True).stdout)
    objects = layout["objects"]
    nodes = {o["name"]: tuple(map(float, o["pos"].split(","))) for o in objects if "pos" in o}
    edges = [(objects[e["tail"]]["name"], objects[e["head"]]["name"],
              float(e["lp"].split(",")[1])) for e in layout["edges"] if "lp" in e]
    return nodes, edges


@pytest.mark.needs_dot
@pytest.mark.parametrize("local_grads", [False, True])
@pytest.mark.parametrize("named_sigmoid", [False, True], ids=["plain", "cluster"])
def test_inputs_are_drawn_top_to_bottom_in_creation_order(drawn, local_grads, named_sigmoid):
    """CS231n's neuron reads w0, x0, w1, x1 from the top, each with its numbers on its wire
    (also with the sigmoid drawn as a cluster, around which Graphviz drops ordering=in)."""
    leaves = [Value(v, label=name) for name, v in
              (("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0))]
    w0, x0, w1, x1, w2 = leaves
    z = w0 * x0 + w1 * x1 + w2
    with autograd.gate("sigmoid") if named_sigmoid else contextlib.nullcontext():
        f = 1 / (1 + (-z).exp())
    f.backward()
    ids = {attrs["label"]: node for node, attrs in drawn(f, local_grads=local_grads).nodes.items()}
    positions, edges = dot_json(viz.to_dot(f, local_grads=local_grads))
    heights = [positions[ids[name]][1] for name in ("w0", "x0", "w1", "x1")]
    assert heights == sorted(heights, reverse=True), heights
    label_heights = [next(y for tail, _, y in edges if tail == ids[name])
                     for name in ("w0", "x0", "w1", "x1")]
    assert label_heights == sorted(label_heights, reverse=True), label_heights
    # each label sits between its own input and the gate it feeds, nearer its own wire
    for name in ("w0", "x0", "w1", "x1"):
        tail, head, y = next(e for e in edges if e[0] == ids[name])
        low, high = sorted((positions[tail][1], positions[head][1]))
        assert low - 15 <= y <= high + 25, (name, y, low, high)


def test_unlabelled_gates_are_named_on_their_wires_as_the_step_texts_call_them(drawn):
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = (x * y).exp() + x
    f.backward()
    dot = drawn(f)
    names = [tuple(dot.colored(attrs, "#555555")) for _, _, attrs in dot.edges]
    assert ("a = ",) in names and ("b = ",) in names  # x*y is a, exp(a) is b
    assert dot.nodes["out"]["label"] == "f"
    texts = [repr(step) for step in f.backward_steps()]
    assert texts[0].startswith("step 1/3: f = b + x")
    assert texts[1].startswith("step 2/3: b = exp(a)")


def test_legend_is_optional_and_names_the_three_colours():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = x * y
    f.backward()
    assert "gradient" not in viz.to_dot(f)
    source = viz.to_dot(f, legend=True, local_grads=True, title="x y")
    graph_label = re.search(r"graph \[label=(<.*>) labelloc=t", source).group(1)
    for color, text in ((VALUE_COLOR, "value"), (GRAD_COLOR, "gradient d out / d wire"),
                        (LOCAL_COLOR, "local gradient d gate / d input")):
        assert f'<font color="{color}">&#9632;</font> {text}' in graph_label
    assert "<b>x y" in graph_label
    assert "local gradient" not in viz.to_dot(f, legend=True)  # only what is drawn
    assert viz.draw(f, legend=True).source == viz.to_dot(f, legend=True)
