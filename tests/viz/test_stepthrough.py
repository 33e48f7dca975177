"""The step-through: a frame per backward step, captions from the engine, a self-contained page."""

import html
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

import autograd
from autograd import Value
from autograd.walk import backward_order
from viz import GraphvizNotFound
from viz.expression import build
from viz.stepthrough import frames, write_frames, write_stepthrough

needs_dot = [pytest.mark.needs_dot,
             pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")]
pytestmark = needs_dot

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALUES = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
SVG = "{http://www.w3.org/2000/svg}"


def sigmoid_neuron():
    return build(SIGMOID, SIGMOID_VALUES)


def engine_step_texts(precision=4):
    """The REPL step-through of a fresh copy of the same circuit."""
    return [step.describe(precision) for step in sigmoid_neuron().output.backward_steps()]


def node_fills(svg_text):
    """{DOT id: fill of its shape} for every drawn node of an SVG diagram."""
    fills = {}
    for group in ET.fromstring(svg_text).iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title").text
        shapes = [e for e in group if e.tag in (f"{SVG}ellipse", f"{SVG}polygon", f"{SVG}path")]
        fills[title] = shapes[0].get("fill") if shapes else None
    return fills


def test_one_frame_for_the_forward_pass_and_one_per_gate():
    circuit = sigmoid_neuron()
    shown = frames(circuit.output)
    gates = backward_order(circuit.output)
    assert len(gates) == 8
    assert len(shown) == len(gates) + 1
    assert shown[0].step is None and "forward pass" in shown[0].caption
    assert [f.step.node for f in shown[1:]] == gates
    assert [f.step.index for f in shown[1:]] == list(range(1, 9))


def test_captions_are_the_engines_step_texts():
    captions = [f.caption for f in frames(sigmoid_neuron().output)]
    assert captions[1:] == engine_step_texts()
    assert captions[1].startswith("step 1/8: ")
    captions3 = [f.caption for f in frames(sigmoid_neuron().output, precision=3)]
    assert captions3[1:] == engine_step_texts(precision=3)


def test_gradients_appear_as_the_pass_reaches_them():
    shown = frames(sigmoid_neuron().output, caption_in_diagram=False)
    texts = ["".join(ET.fromstring(f.svg).itertext()) for f in shown]
    # -0.5344 is d out / d (1 + e^-z), passed on by step 1 (the 1/x gate); -0.1966 = d out / dz
    # first appears when step 3 (the exp gate) hands it to the negation's output.
    assert "0.7311" in texts[0] and "-0.5344" not in texts[0] and "-0.1966" not in texts[0]
    assert "-0.5344" in texts[1] and "-0.1966" not in texts[1]
    assert "-0.1966" not in texts[2] and "-0.1966" in texts[3]
    assert "0.3932" not in texts[6] and "0.3932" in texts[-1]  # x0.grad comes with the last steps


def test_the_active_gate_is_highlighted_and_named():
    circuit = sigmoid_neuron()
    shown = frames(circuit.output)
    assert shown[0].active_id == ""
    active_ids = [f.active_id for f in shown[1:]]
    assert all(active_ids) and len(set(active_ids)) == 8
    for frame in shown[1:]:
        fills = node_fills(frame.svg)
        active_fill = fills[frame.active_id]
        others = {fill for title, fill in fills.items() if title != frame.active_id}
        assert active_fill and active_fill not in others


def test_making_frames_leaves_the_gradients_as_they_were():
    circuit = sigmoid_neuron()
    out, w0 = circuit.output, circuit.variables["w0"]
    frames(out)
    assert w0.grad == 0.0 and out.grad == 0.0  # never differentiated: still nothing
    out.backward()
    before = {name: leaf.grad for name, leaf in circuit.variables.items()}
    interior = out.inputs[1].grad
    shown = frames(out)
    assert {name: leaf.grad for name, leaf in circuit.variables.items()} == before  # not doubled
    assert out.inputs[1].grad == interior and out.grad == 1.0
    out.backward()  # leaves accumulate, as in PyTorch; the frames still show a fresh pass
    assert [f.caption for f in frames(out)] == [f.caption for f in shown]
    assert w0.grad == 2 * before["w0"]


def test_fan_out_and_a_leaf_root():
    x = Value(3.0, label="x")
    square = x * x
    shown = frames(square)
    assert len(shown) == 2
    fresh = Value(3.0, label="x")
    assert shown[1].caption == next((fresh * fresh).backward_steps()).describe()
    assert shown[1].caption.count("x.grad += local 3 * upstream 1 = 3") == 2
    assert x.grad == 0.0
    lone = frames(Value(2.0, label="y"))
    assert len(lone) == 1 and lone[0].step is None


def test_page_is_self_contained_and_has_every_control(tmp_path):
    circuit = sigmoid_neuron()
    path = write_stepthrough(circuit.output, tmp_path / "steps.html", title="Sigmoid <neuron>")
    assert path == tmp_path / "steps.html"
    page = path.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page  # nothing fetched, not even a DTD
    assert "<link" not in page and "src=" not in page and "@import" not in page
    assert page.count("<script>") == 1
    assert "<h1>Sigmoid &lt;neuron&gt;</h1>" in page
    for control in ('id="prev"', 'id="next"', 'id="slider" type="range"', 'id="counter"',
                    'id="caption"'):
        assert control in page
    assert 'max="8"' in page and "step 0 / 8" in page and "ArrowRight" in page
    figures = re.findall(r'<figure class="frame"[^>]*>', page)
    assert len(figures) == 9
    captions = [html.unescape(re.search(r'data-caption="([^"]*)"', f).group(1)) for f in figures]
    assert captions[1:] == engine_step_texts()
    actives = [re.search(r'data-active="([^"]*)"', f).group(1) for f in figures]
    assert actives[0] == "" and all(actives[1:])
    assert page.count("<svg") == 9
    ids = re.findall(r'\bid="([^"]*)"', page)
    assert len(ids) == len(set(ids))  # each frame's SVG ids are prefixed


def test_page_frames_leave_the_caption_out_of_the_diagram(tmp_path):
    circuit = sigmoid_neuron()
    page = write_stepthrough(circuit.output, tmp_path / "p.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert "upstream grad" not in svgs[1]
    assert "upstream grad" in frames(sigmoid_neuron().output)[1].svg


def test_write_frames_numbers_the_files(tmp_path):
    circuit = sigmoid_neuron()
    paths = write_frames(circuit.output, tmp_path / "slides")
    assert [p.name for p in paths] == [f"frame_{k:03d}.svg" for k in range(9)]
    for path in paths:
        assert ET.parse(path).getroot().tag == f"{SVG}svg"
    pngs = write_frames(circuit.output, tmp_path / "png", format="png")
    assert len(pngs) == 9 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    with pytest.raises(ValueError, match="format"):
        write_frames(circuit.output, tmp_path, format="gif")


@pytest.mark.parametrize("collapse", [None, True])
def test_named_gates_drawn_as_clusters_or_collapsed(collapse):
    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    with autograd.gate("sigmoid"):
        s = 1 / (1 + (-(w * x)).exp())
    shown = frames(s, collapse=collapse)
    assert [f.caption for f in shown[1:]] == [step.describe() for step in s.backward_steps()]
    assert all(f.active_id in node_fills(f.svg) for f in shown[1:])


def test_write_frames_as_dot_needs_no_graphviz(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    paths = write_frames(sigmoid_neuron().output, tmp_path / "frames", format="dot")
    assert len(paths) == 9 and paths[3].read_text().startswith("digraph")
    with pytest.raises(GraphvizNotFound, match="Graphviz"):
        write_stepthrough(sigmoid_neuron().output, tmp_path / "p.html")


def edge_texts(svg_text):
    """{(src id, dst id): [visible texts of the edge's label]} for an SVG diagram."""
    edges = {}
    for group in ET.fromstring(svg_text).iter(f"{SVG}g"):
        if group.get("class") == "edge":
            src, dst = group.find(f"{SVG}title").text.split("->")
            edges[(src, dst)] = [t.text for t in group.iter(f"{SVG}text")]
    return edges


def test_frame_k_shows_exactly_the_products_its_captions_listed():
    formula = build("x*y + x", {"x": 3, "y": -2})
    shown = frames(formula.output)
    assert "x.grad += local 1 * upstream 1 = 1" in shown[1].caption
    assert "x.grad += local -2 * upstream 1 = -2" in shown[2].caption
    x_plus, x_times, y_times = ("n0", "n3"), ("n0", "n2"), ("n1", "n2")
    first, second = edge_texts(shown[1].svg), edge_texts(shown[2].svg)
    assert edge_texts(shown[0].svg)[("n3", "out")] == ["-3"]  # values only before the pass
    assert first[("n3", "out")] == ["-3", "1"]  # the seed, from step 1
    assert first[x_plus] == ["3", "1"] and first[x_times] == ["3"] and first[y_times] == ["-2"]
    assert second[x_times] == ["3", "-2"] and second[y_times] == ["-2", "3"]
    assert second[x_plus] == ["3", "1"]
    texts = ["".join(ET.fromstring(f.svg).itertext()) for f in shown]
    assert "grad -1" not in texts[1] and "grad -1" in texts[2]  # x's total, once both arrived


def svg_size(svg_text):
    root = ET.fromstring(svg_text)
    return root.get("width"), root.get("height"), root.get("viewBox")


def gate_positions(svg_text):
    return {group.find(f"{SVG}title").text: [(e.get("cx"), e.get("cy"))
                                             for e in group.iter(f"{SVG}ellipse")]
            for group in ET.fromstring(svg_text).iter(f"{SVG}g") if group.get("class") == "node"}


@pytest.mark.parametrize("caption_in_diagram", [False, True])
@pytest.mark.parametrize("collapse", [None, True])
def test_every_frame_has_the_same_layout(caption_in_diagram, collapse):
    neuron = frames(sigmoid_neuron().output, caption_in_diagram=caption_in_diagram,
                    collapse=collapse)
    assert "0.7311" in neuron[0].svg  # frame 0 still shows the values
    fork = frames(build("x*x*x + log(y)*x", {"x": 1.5, "y": 2.25}).output,
                  caption_in_diagram=caption_in_diagram)
    for shown in (neuron, fork):
        assert len({svg_size(f.svg) for f in shown}) == 1
        positions = [gate_positions(f.svg) for f in shown]
        assert all(p == positions[0] for p in positions)


def test_the_circuit_is_built_once_for_all_frames(monkeypatch):
    import viz.graph
    import viz.layout

    calls = []
    original = viz.graph.build_circuit
    counting = lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs)  # noqa: E731
    monkeypatch.setattr(viz.graph, "build_circuit", counting)
    monkeypatch.setattr(viz.layout, "build_circuit", counting)
    shown = frames(sigmoid_neuron().output)
    assert len(shown) == 9 and len(calls) == 1
