"""Large graphs: the default cap, a model's graph drawn as layers, wide fan-outs, dot's time limit.

Pure Python except the tests marked ``needs_dot``. No test here measures time: a capped drawing
is checked to *build* only what it shows (the circuit's node list), which is what keeps it fast.
"""

from __future__ import annotations

import os
import re
import stat
import sys

import pytest

import autograd
import viz
import viz.graph
import viz.render
from autograd import Value
from autograd.nn import MLP, Layer, Neuron
from viz.layout import GRAD_COLOR


def chain(n: int) -> Value:
    """x -> +1e-6 -> +1e-6 ... : n gates after one leaf, backpropagated."""
    node = Value(1.0, label="x")
    for _ in range(n):
        node = node + 1e-6
    node.backward()
    return node


def group_labels(root, **options) -> list:
    """The labels of the collapsed gates' boxes, in drawing order, lines joined by " | "."""
    return [label.replace("\\n", " | ") for label in
            re.findall(r'^\s*g\d+ \[label="((?:[^"\\]|\\.)*)"', viz.to_dot(root, **options),
                       flags=re.M)]


def boxes(dot) -> list:
    return [n for n in dot.nodes if n not in ("out", "more") and not n.startswith("cut")]


def test_drawings_are_capped_by_default_with_a_note(drawn):
    dot = drawn(chain(1000))
    assert len(boxes(dot)) == viz.graph.DEFAULT_MAX_NODES == 300
    assert dot.nodes["more"]["label"] == "… 701 more nodes not shown"
    assert "out" in dot.nodes  # the root's end is kept first
    cut = [(s, d) for s, d, attrs in dot.edges if attrs.get("style") == "dashed"]
    assert len(cut) == 1 and cut[0][0] == "cut0"
    assert len(boxes(drawn(chain(1000), max_nodes=None))) == 1001
    assert "more" not in drawn(chain(299)).nodes


def test_a_capped_drawing_builds_only_what_it_shows():
    f = chain(50_000)
    circuit = viz.graph.build_circuit(f, limit=300)
    assert len(circuit.order) <= 2 * 300  # each gate and its folded constant, not 100,000 nodes
    assert circuit.hidden == viz.graph.COUNT_LIMIT and not circuit.hidden_exact
    assert "… over 10,001 more nodes not shown" in viz.to_dot(f)


def test_max_nodes_must_be_positive():
    with pytest.raises(ValueError, match="max_nodes must be >= 1"):
        viz.to_dot(chain(3), max_nodes=0)


def model_output(sizes=(16, 16, 1)):
    autograd.manual_seed(0)
    model = MLP(2, list(sizes))
    out = model([0.5, -1.0])
    out.backward()
    return model, out


def test_a_model_is_drawn_as_its_layers_with_the_weights_inside(drawn):
    model, out = model_output()
    dot = drawn(out)
    assert group_labels(out) == ["layer 0 | 48 parameters", "layer 1 | 272 parameters",
                                 "layer 2 | 17 parameters"]
    labels = {attrs.get("label") for attrs in dot.nodes.values()}
    assert not any(p.label in labels for p in model.parameters())
    assert {"0.5", "-1"} <= labels  # the model's inputs are drawn
    assert "more" not in dot.nodes
    first, second = dot.by_label("layer 0n48 parameters"), dot.by_label("layer 1n272 parameters")
    wires = [attrs for src, dst, attrs in dot.edges if (src, dst) == (first, second)]
    assert len(wires) == model.layers[0].nout == 16


def test_wires_between_layers_carry_the_hidden_units_gradients(drawn):
    model, out = model_output((3, 1))
    hidden = [node for node in autograd.walk.forward_order(out)
              if node.gate is not None and node.gate.name.startswith("neuron 0.")
              and node.op == "relu"]
    assert len(hidden) == 3
    dot = drawn(out)
    first, second = dot.by_label("layer 0n9 parameters"), dot.by_label("layer 1n4 parameters")
    grads = [dot.colored(attrs, GRAD_COLOR) for src, dst, attrs in dot.edges
             if (src, dst) == (first, second)]
    assert grads == [[f"{h.grad:.4g}"] for h in hidden]
    names = [attrs["label"].split(" = ")[0].split(">")[-1] for src, dst, attrs in dot.edges
             if (src, dst) == (first, second)]
    assert names == ["h0.0", "h0.1", "h0.2"] == [h.label for h in hidden]


def test_model_gates_expand_on_request(drawn):
    model, out = model_output((3, 1))
    everything = drawn(out, collapse=False)
    assert not [n for n in everything.nodes if n.startswith("g")]
    labels = {attrs.get("label") for attrs in everything.nodes.values()}
    assert {p.label for p in model.parameters()} <= labels
    assert {"layer 0", "neuron 0.2", "layer 1"} <= {c.get("label") for c in
                                                    everything.clusters.values()}
    # Layers as clusters of neuron boxes:
    assert group_labels(out, collapse=["neuron *"]) == [
        "neuron 0.0 | 3 parameters", "neuron 0.1 | 3 parameters", "neuron 0.2 | 3 parameters",
        "neuron 1.0 | 4 parameters"]
    with pytest.raises(ValueError, match=r"no gate named 'neuron 7\.\*'.*'neuron 0\.0', 'lay"):
        viz.to_dot(out, collapse=["neuron 7.*"])


def test_gate_names_of_lone_neurons_and_layers():
    autograd.manual_seed(0)
    assert Neuron(2)([1.0, 2.0]).gate.name == "neuron"
    out = Layer(2, 2)([1.0, 2.0])
    assert [o.gate.name for o in out] == ["neuron 0", "neuron 1"]
    assert out[0].gate.parent.name == "layer" and out[0].gate.parent.collapse


def test_a_wide_fan_out_is_drawn_from_copies_beside_each_gate(drawn):
    x = Value(2.0, label="x")
    f = x
    for _ in range(29):
        f = f + x
    f.backward()
    dot = drawn(f)
    xs = [n for n, attrs in dot.nodes.items() if attrs.get("label", "").startswith(("x", "<"))
          and n != "out"]
    assert len(xs) == 28  # the original feeds the first two gates, each copy one gate
    original = [n for n in xs if "grad 30" in dot.nodes[n]["label"]]
    assert len(original) == 1
    gradients = [dot.colored(attrs, GRAD_COLOR) for src, _, attrs in dot.edges if src in xs]
    assert gradients == [["1"]] * 30
    assert [len(dot.edges_from(n)) for n in xs].count(1) == 27  # each copy feeds one gate
    assert len(dot.edges_from(original[0])) == 3


def test_a_small_fan_out_is_one_input(drawn):
    x = Value(2.0, label="x")
    f = x * x + x * 3.0 + x.exp()
    f.backward()
    dot = drawn(f)
    assert len(dot.edges_from(dot.nodes and [n for n, a in dot.nodes.items()
                                             if "grad" in a.get("label", "")][0])) == 4


def test_layout_limits_are_in_every_drawing():
    assert "nslimit=5 nslimit1=5 searchsize=30" in viz.to_dot(chain(2))


def test_draw_dot_is_the_same_drawing_as_draw():
    f = chain(3)
    assert viz.draw_dot(f).source == viz.draw(f).source
    assert viz.draw_dot(f, local_grads=True).source == viz.draw(f, local_grads=True).source


@pytest.fixture(name="slow_dot")
def slow_dot_fixture(monkeypatch, tmp_path):
    """A `dot` on PATH that never finishes (sleeps far longer than any test waits)."""
    program = tmp_path / "dot"
    program.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(600)\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return program


def test_a_dot_run_past_its_time_limit_is_stopped_with_a_clear_error(slow_dot, tmp_path):
    with pytest.raises(viz.GraphvizTimeout) as info:
        viz.save(chain(2), tmp_path / "c.svg", timeout=0.2)
    message = str(info.value)
    assert "longer than 0.2 s" in message and "max_nodes" in message
    assert "timeout=" in message and "CIRCUITGRAD_DOT_TIMEOUT" in message
    assert "\n" not in message and not (tmp_path / "c.svg").exists()
    assert isinstance(info.value, viz.GraphvizFailed)  # callers that catch failures catch this


def test_the_time_limit_comes_from_the_environment(slow_dot, monkeypatch):
    monkeypatch.setenv("CIRCUITGRAD_DOT_TIMEOUT", "0.2")
    with pytest.raises(viz.GraphvizTimeout, match="longer than 0.2 s"):
        viz.render_svg(chain(2))
    monkeypatch.setenv("CIRCUITGRAD_DOT_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="CIRCUITGRAD_DOT_TIMEOUT='soon' is not a number"):
        viz.render_svg(chain(2))
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        viz.render_svg(chain(2), timeout=-1)


@pytest.mark.needs_dot
def test_a_model_renders_at_a_sane_size_without_warnings(capfd):
    _, out = model_output()
    svg = viz.render_svg(out)
    width, height = (float(v.rstrip("pt")) for v in
                     __import__("re").search(r'width="([\d.]+pt)" height="([\d.]+pt)"',
                                             svg).groups())
    assert width < 1500 and height < 1500
    assert capfd.readouterr().err == ""


def test_a_wide_gate_shows_its_first_inputs_and_counts_the_rest(drawn):
    xs = [Value(float(k), label=f"x{k}") for k in range(50)]
    total = autograd.sum([x * 2.0 for x in xs])
    total.backward()
    dot = drawn(total)
    shown = [n for n, attrs in dot.nodes.items() if attrs.get("label") == "*2"]
    assert len(shown) == viz.graph.MAX_FANIN == 8
    [stub] = [n for n in dot.nodes if n.startswith("elided")]
    assert dot.nodes[stub]["label"] == "… 42 more inputs"
    assert dot.nodes["more"]["label"] == "… 84 more nodes not shown"  # 42 gates, 42 leaves
    everything = drawn(total, max_nodes=None)
    assert len([n for n, a in everything.nodes.items() if a.get("label") == "*2"]) == 50
    assert not [n for n in everything.nodes if n.startswith("elided")]
