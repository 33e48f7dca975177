"""The step-through: a frame per backward step, captions from the engine, a self-contained page."""

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

import autograd
from autograd import Value
from autograd.walk import backward_order
from viz import GraphvizNotFound
from viz.expression import build
from viz.layout import GRAD_COLOR, LOCAL_COLOR
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
    shown = frames(sigmoid_neuron().output, caption_in_diagram=False, local_grads=False)
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


def page_data(page):
    """The page's frames: {"captions": [...], "actives": [...]} from its JSON."""
    found = re.search(r'<script type="application/json" id="frames-data">(.*?)</script>', page,
                      flags=re.S)
    return json.loads(found.group(1))


def page_svg(page):
    (svg,) = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    return ET.fromstring(svg.replace("<svg", f'<svg xmlns="{SVG[1:-1]}"', 1))


def test_page_is_self_contained_and_has_every_control(tmp_path):
    circuit = sigmoid_neuron()
    path = write_stepthrough(circuit.output, tmp_path / "steps.html", title="Sigmoid <neuron>")
    assert path == tmp_path / "steps.html"
    page = path.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page  # nothing fetched, not even a DTD
    assert "<link" not in page and "src=" not in page and "@import" not in page
    assert page.count("<script>") == 1 and page.count("<script") == 2
    assert "<title>Sigmoid &lt;neuron&gt;</title>" in page
    assert '<h1 id="title">Sigmoid &lt;neuron&gt;</h1>' in page
    for control in ('id="prev"', 'id="next"', 'id="slider" type="range"', 'id="counter"',
                    'id="caption"', 'id="zoom-in"', 'id="zoom-out"', 'id="zoom-fit"',
                    'id="legend"'):
        assert control in page
    assert 'max="8"' in page and "step 0 / 8" in page and "ArrowRight" in page
    assert "replaceState" in page and "hashchange" in page
    data = page_data(page)
    assert data["captions"][1:] == engine_step_texts()
    assert data["captions"][0].startswith("forward pass: f = 0.7311")
    assert data["actives"][0] == "" and len(set(data["actives"][1:])) == 8
    assert page.count("<svg") == 1  # one diagram for every frame
    ids = {g.get("id") for g in page_svg(page).iter(f"{SVG}g")}
    assert set(data["actives"][1:]) <= ids
    assert "upstream grad" not in re.search(r"<svg.*?</svg>", page, flags=re.S).group()


def test_page_marks_each_gradient_with_the_step_it_arrives_at(tmp_path):
    page = write_stepthrough(sigmoid_neuron().output, tmp_path / "p.html").read_text("utf-8")
    arrivals = {}
    for group in page_svg(page).iter(f"{SVG}g"):
        classes = (group.get("class") or "").split()
        reds = [t.text for t in group.iter(f"{SVG}text") if t.get("fill") == GRAD_COLOR]
        if group.get("class", "").startswith("edge"):
            (arrive,) = [c for c in classes if c.startswith("arrive-")]
            (into,) = [c for c in classes if c.startswith("into-")]
            for red in reds:
                arrivals.setdefault(red, set()).add(int(arrive.split("-")[1]))
            assert into[5:] in {g.get("id") for g in page_svg(page).iter(f"{SVG}g")} | {"out"}
    # the seed with step 1, -0.5344 (d f / d k) passed on by step 1, x1's -0.5898 by step 8
    assert arrivals["1"] == {1} and arrivals["-0.5344"] == {1, 2}
    assert arrivals["-0.5898"] == {8} and arrivals["-0.1966"] == {3, 7}


def test_a_fanned_out_inputs_total_arrives_with_its_last_branch(tmp_path):
    formula = build("x*y + x", {"x": 3, "y": -2})
    page = write_stepthrough(formula.output, tmp_path / "p.html").read_text("utf-8")
    totals = {group.get("class"): [t.text for t in group.iter(f"{SVG}text")]
              for group in page_svg(page).iter(f"{SVG}g")
              if (group.get("class") or "").startswith("node arrive-")}
    assert totals == {"node arrive-2": ["x", "grad -1"]}  # step 2 is x * y, x's last branch


def test_page_title_defaults_to_the_formula_and_is_printable(tmp_path):
    formula = build("1/(1+exp(-(w0*x0+w1*x1+w2)))", SIGMOID_VALUES).output
    page = write_stepthrough(formula, tmp_path / "p.html").read_text("utf-8")
    assert "<title>1/(1 + exp(-(w0*x0 + w1*x1 + w2)))</title>" in page
    assert "step by step" not in page
    hostile = write_stepthrough(formula, tmp_path / "h.html", title="a\x1b[31mb\x07</h1>")
    assert "<title>a[31mb&lt;/h1&gt;</title>" in hostile.read_text("utf-8")


def test_hostile_labels_stay_inside_the_pages_data(tmp_path):
    x = Value(2.0, label="</script><script>alert(1)</script>")
    y = Value(3.0, label="y\u2028z")
    f = x * y
    page = write_stepthrough(f, tmp_path / "p.html").read_text("utf-8")
    assert page.count("<script") == 2 and "alert(1)</script>" not in page
    captions = page_data(page)["captions"]
    assert "</script><script>alert(1)</script>.grad += local 3" in captions[1]
    assert "y\u2028z.grad" in captions[1]


def test_frames_and_page_show_local_gradients_by_default(tmp_path):
    shown = frames(sigmoid_neuron().output, caption_in_diagram=False)
    assert "local -0.5344" in "".join(ET.fromstring(shown[1].svg).itertext())
    page = write_stepthrough(sigmoid_neuron().output, tmp_path / "p.html").read_text("utf-8")
    locals_ = [t.text for t in page_svg(page).iter(f"{SVG}text") if t.get("fill") == LOCAL_COLOR]
    assert len(locals_) == 12 and "local 0.3679" in locals_
    plain = write_stepthrough(sigmoid_neuron().output, tmp_path / "q.html", local_grads=False)
    texts = [t.text for t in page_svg(plain.read_text("utf-8")).iter(f"{SVG}text")]
    assert "local 0.3679" not in texts and "0.3679" in texts


def svg_texts(svg_text):
    return {(t.text or "").strip() for t in ET.fromstring(svg_text).iter(f"{SVG}text")}


def collapsed_sigmoid():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    with autograd.gate("sigmoid"):
        s = 1 / (1 + (-(w * x)).exp())
    return s * s


@pytest.mark.parametrize("root, options", [
    (lambda: build("1/(1+exp(-(w0*x0+w1*x1+w2)))", SIGMOID_VALUES).output, {}),
    (lambda: build("x*x*x + log(y)*x", {"x": 1.5, "y": 2.25}).output, {}),
    (lambda: build("(x*y + x*y) * exp(-x)", {"x": 0.5, "y": 2}).output, {}),
    (collapsed_sigmoid, {"collapse": True}),  # its inner gates are listed in its box
    (collapsed_sigmoid, {}),
], ids=["neuron", "fan-out", "twins", "collapsed", "cluster"])
def test_every_name_a_caption_uses_is_drawn_in_its_frame(root, options):
    for frame in frames(root(), caption_in_diagram=False, **options)[1:]:
        drawn = svg_texts(frame.svg)
        head = re.match(r"step \d+/\d+: (\S+) = (.*?) = ", frame.caption)
        names = {head.group(1)} | set(re.findall(r"(\S+)\.grad \+=", frame.caption))
        names |= set(re.findall(r"[A-Za-z_]\w*", head.group(2))) - {"exp", "log"}
        for name in names:
            assert name in drawn or any(text.startswith(f"{name} =") for text in drawn), (
                frame.caption, name, drawn)
        used = re.findall(r"(\S+)\.grad \+=", frame.caption)
        inputs = [x for x in frame.step.node.inputs if not x.is_constant]
        assert len(set(used)) == len({id(x) for x in inputs})  # one name per node


def test_page_size_grows_linearly_with_the_circuit(tmp_path):
    """The page stores the layout once: 4x the gates is about 4x the bytes (it was 16x)."""
    def size(terms):
        formula = " + ".join(f"w{i}*x{i}" for i in range(terms))
        values = {f"{v}{i}": i % 5 - 2 for i in range(terms) for v in "wx"}
        page = write_stepthrough(build(formula, values).output, tmp_path / f"{terms}.html")
        return page.stat().st_size

    small, large = size(10), size(40)
    assert large / small < 5


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
    shown = frames(formula.output, local_grads=False)
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
