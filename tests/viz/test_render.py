"""Rendering and saving diagrams: real SVG/PNG/PDF from ``dot``, and life without ``dot``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import graphviz
import pytest

import viz
from autograd import Value

SVG = "{http://www.w3.org/2000/svg}"


def xyz():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.label = "f"
    f.backward()
    return f


@pytest.fixture(name="no_dot")
def no_dot_fixture(monkeypatch, tmp_path):
    """Hide every program: PATH is an empty directory, as on a machine without Graphviz."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.needs_dot
def test_render_svg_is_valid_svg_with_the_numbers():
    svg = viz.render_svg(xyz(), title="f = (x + y) z")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    nodes = root.findall(f".//{SVG}g[@class='node']")
    edges = root.findall(f".//{SVG}g[@class='edge']")
    assert len(nodes) == 6 and len(edges) == 5
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for expected in ("x", "y", "z", "+", "*", "f", "-2", "-4", "3", "-12", "1", "f = (x + y) z"):
        assert expected in texts, expected
    fills = {t.get("fill") for t in root.iter(f"{SVG}text") if t.text == "-12"}
    assert fills == {viz.layout.VALUE_COLOR}


@pytest.mark.needs_dot
def test_render_svg_accepts_a_drawn_digraph():
    graph = viz.draw(xyz(), collapse=True)
    assert viz.render_svg(graph) == viz.render_svg(xyz(), collapse=True)
    with pytest.raises(TypeError, match="already drawn"):
        viz.render_svg(graph, title="too late")


@pytest.mark.needs_dot
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF"),
                                           (".svg", b"<?xml")])
def test_save_writes_the_format_of_the_suffix(tmp_path, suffix, magic):
    path = viz.save(xyz(), tmp_path / "sub" / f"circuit{suffix}", title="t")
    assert path == tmp_path / "sub" / f"circuit{suffix}"
    assert path.read_bytes().startswith(magic)


@pytest.mark.needs_dot
def test_save_with_explicit_format_adds_the_suffix(tmp_path):
    path = viz.save(xyz(), tmp_path / "circuit", format="png")
    assert path.name == "circuit.png"
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_save_rejects_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        viz.save(xyz(), tmp_path / "circuit.jpeg")


def test_dot_file_needs_no_graphviz_program(no_dot, tmp_path):
    f = xyz()
    path = viz.save(f, tmp_path / "circuit.dot", local_grads=True)
    assert path.read_text(encoding="utf-8") == viz.to_dot(f, local_grads=True)
    graph = viz.draw(f)
    assert viz.save(graph, tmp_path / "again.dot").read_text(encoding="utf-8") == graph.source


def test_missing_dot_raises_graphviz_not_found_with_install_hint(no_dot, tmp_path):
    with pytest.raises(viz.GraphvizNotFound) as info:
        viz.save(xyz(), tmp_path / "circuit.svg")
    message = str(info.value)
    assert "apt install graphviz" in message and "brew install graphviz" in message
    assert "conda install -c conda-forge graphviz" in message and ".dot" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert isinstance(info.value, RuntimeError)
    assert not isinstance(info.value, graphviz.ExecutableNotFound)
    assert not (tmp_path / "circuit.svg").exists()
    with pytest.raises(viz.GraphvizNotFound, match="apt install graphviz"):
        viz.render_svg(xyz())


@pytest.mark.needs_dot
def test_repr_mimebundle_is_the_svg_diagram():
    bundle = xyz()._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert ET.fromstring(bundle["image/svg+xml"]).tag == f"{SVG}svg"
    assert bundle["text/plain"].startswith("Value(data=-12.0")


def test_repr_mimebundle_falls_back_to_text_without_dot(no_dot):
    bundle = xyz()._repr_mimebundle_()
    assert bundle == {"text/plain": repr(xyz())}


def test_autograd_does_not_import_viz():
    import subprocess
    import sys

    code = ("import sys, autograd; x = autograd.Value(1.0) * 2; x.backward(); "
            "print(any(m == 'viz' or m.startswith('viz.') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_save_refuses_a_format_that_contradicts_the_suffix(tmp_path):
    with pytest.raises(ValueError, match="suffix says svg"):
        viz.save(xyz(), tmp_path / "c.svg", format="png")
    assert not (tmp_path / "c.svg").exists()
    assert viz.save(xyz(), tmp_path / "c", format="dot").name == "c.dot"
    assert viz.save(xyz(), tmp_path / "c.gv", format="dot").name == "c.gv"


@pytest.mark.needs_dot
def test_control_characters_in_text_never_reach_graphviz(capfd):
    f = xyz()
    f.label = "f\x02"
    svg = viz.render_svg(f, title="a\x01b\tc\udcff", caption="step\x1b 1\nnext")
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "ab c" in texts and "f" in texts  # a lone surrogate is dropped, as issue 8 asks
    assert capfd.readouterr().err == ""


@pytest.mark.needs_dot
def test_a_graphviz_failure_is_one_clear_error_and_nothing_on_stderr(capfd):
    broken = graphviz.Source("digraph { a -> }")
    with pytest.raises(viz.GraphvizFailed, match="Graphviz could not render the diagram as SVG: "
                       "Error: .*syntax error") as info:
        viz.render_svg(broken)
    assert "\n" not in str(info.value)
    assert capfd.readouterr().err == ""


def test_one_list_of_formats():
    import viz.cli
    import viz.render
    import viz.stepthrough

    assert viz.cli.FORMATS is viz.render.FORMATS is viz.FORMATS
    assert not hasattr(viz.stepthrough, "FRAME_FORMATS")


def test_save_refuses_an_empty_path():
    with pytest.raises(ValueError, match="output path is empty"):
        viz.save(xyz(), "")
