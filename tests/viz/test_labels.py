"""Labels and titles show exactly as typed, minus unprintable characters, in every output: the DOT
text, the SVG, the PNG, the step-through page. Graphviz must never decode an entity or a
backslash escape in them, and never see a character it cannot take."""

import html
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

import viz
from autograd import Value
from viz.labels import (LABEL_LIMIT, LabelTooLong, check_dot_strings, escape_html, printable,
                        quote)

SVG = "{http://www.w3.org/2000/svg}"

HOSTILE = [
    '"quoted"', "back\\slash\\", "\\N \\G \\L \\E \\T \\H \\n \\l \\r", "<b>&</b>", "a & b",
    "&amp;", "&#1;", "&#xD800;", "&lt;tag&gt;", "&nbsp;", "]]> <!-- -->", "%s {0} $x",
    "nul\x00byte", "bell\x07 esc\x1b[31m del\x7f c1\x9b", "\u202eright-to-left\u200f",
    "lone\ud800surrogate", "non\ufffechar\uffff", "tab\there", "中文 é\u0301 😀", "x" * 10_000,
]


def test_printable_drops_what_no_output_can_carry():
    assert printable("a\x00b\x01\x1b[31m\x7f\x9bc") == "ab[31mc"
    assert printable("\ud800x\udcff\ufffe\uffff\U0010ffff\ufdd0") == "x"
    assert printable("tab\tcr\r\nlf\n") == "tab cr\nlf\n"
    kept = "\"'\\<>&\u202e\u200f中😀\u00a0"
    assert printable(kept) == kept


def test_quote_escapes_for_dot_so_nothing_is_decoded():
    assert quote("&amp;") == '"&amp;amp;"'
    assert quote("&#xD800;") == '"&amp;#xD800;"'
    assert quote('say "hi"\\N\nnext') == '"say \\"hi\\"\\\\N\\nnext"'
    assert quote("\x01") == '""'


def test_escape_html_escapes_entities_and_backslashes():
    assert escape_html('<&>"\\N') == "&lt;&amp;&gt;&quot;\\\\N"
    assert escape_html("&#1;\x01") == "&amp;#1;"


def _circuit(label):
    x, y = Value(2.0, label=label), Value(3.0, label="y")
    f = x * y + x
    f.label = label
    f.backward()
    return f


@pytest.mark.needs_dot
@pytest.mark.parametrize("label", HOSTILE, ids=lambda label: repr(label[:24]))
def test_a_hostile_label_shows_as_typed_in_svg_dot_png_and_page(tmp_path, label):
    f = _circuit(label)
    shown = printable(label)
    svg = viz.render_svg(f, title=label)
    texts = [(t.text or "").replace("\xa0", " ")
             for t in ET.fromstring(svg).iter(f"{SVG}text")]  # well-formed XML
    # The title, the leaf x and the output's name (a prime added: two nodes, one label).
    assert texts.count(shown) >= 2 and texts.count(shown + "'") == 1, (shown[:40], texts[:6])

    viz.save(f, tmp_path / "c.svg", title=label)
    ET.parse(tmp_path / "c.svg")
    viz.save(f, tmp_path / "c.dot", title=label)
    (tmp_path / "c.dot").read_bytes().decode("utf-8")  # valid UTF-8

    png = subprocess.run(["dot", "-Tpng"], input=viz.to_dot(f, title=label).encode(),
                         capture_output=True)
    assert png.returncode == 0 and png.stdout.startswith(b"\x89PNG")
    assert b"rror" not in png.stderr and b"arning" not in png.stderr.replace(
        b"Warning: graph is too large", b"")

    page = viz.write_stepthrough(f, tmp_path / "p.html", title=label)
    text = page.read_bytes().decode("utf-8")
    assert f"<title>{html.escape(shown)}</title>" in text
    assert not any(c in text for c in "\x00\x01\x07\x1b\x7f\x9b\ud800\ufffe\uffff")


@pytest.mark.needs_dot
def test_frames_of_a_hostile_label_are_well_formed(tmp_path):
    f = _circuit("&#1; <\x01> \\N")
    for path in viz.write_frames(f, tmp_path):
        texts = [t.text for t in ET.parse(path).getroot().iter(f"{SVG}text")]
        assert "&#1; <> \\N" in texts


@pytest.mark.needs_dot
@pytest.mark.parametrize("text, longest", [("a", LABEL_LIMIT), ("&", 3276), ("€", 5460)])
def test_the_label_limit_is_graphvizs(text, longest):
    """LABEL_LIMIT is measured: the longest title it lets through renders, one character more
    is refused, and dot itself refuses that longer title too."""
    f = _circuit("x")
    assert ET.fromstring(viz.render_svg(f, title=text * longest)).tag == f"{SVG}svg"
    with pytest.raises(LabelTooLong, match="the title is too long for Graphviz.*16,381"):
        viz.draw(f, title=text * (longest + 1))
    refused = subprocess.run(["dot", "-Tsvg"], capture_output=True,
                             input=viz.to_dot(f, title=text * (longest + 1)).encode())
    assert refused.returncode != 0 and b"longer than 16384" in refused.stderr


@pytest.mark.needs_dot
def test_the_limit_is_per_line_and_per_label():
    f = _circuit("b" * 16_000)
    f.label = "c\\" * 10_000  # a quoted label: its escapes break the runs
    svg = viz.render_svg(f, title="a" * 16_000 + "\n" + "a" * 16_000)
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "a" * 16_000 in texts and "b" * 16_000 in texts and "c\\" * 10_000 in texts


def test_a_label_over_the_limit_is_named_and_shown():
    f = _circuit("&" * 4000)  # 4,000 characters, 20,000 bytes as DOT
    with pytest.raises(LabelTooLong, match=r"a label is too long.*20,000 bytes.*'&&&"):
        viz.draw(f)
    with pytest.raises(LabelTooLong, match=r"the title is too long.*'\\\\ \\\\ "):
        viz.draw(_circuit("x"), title="\\ " * 9000)


def test_check_dot_strings_reads_quoted_and_html_strings():
    check_dot_strings([f'a [label="{"b" * 16381}"]', f"a [label=<{'b' * 16381}>]"])
    with pytest.raises(LabelTooLong):
        check_dot_strings([f'a [label="{"b" * 16382}"]'])
    with pytest.raises(LabelTooLong):
        check_dot_strings([f"a [label=<<b>{'b' * 16382}</b>>]"])
    with pytest.raises(LabelTooLong):  # bytes, not characters
        check_dot_strings([f'a [label="{"€" * 5461}"]'])
    # Escapes, tags and many short strings on one long line are runs of their own.
    check_dot_strings([f'a [label="{"b" * 10000}\\\\{"b" * 10000}"]',
                       f"a [label=<{'b' * 10000}<br/>{'b' * 10000}>]",
                       " ".join(f'x{k} [label="\\"{"b" * 100}"]' for k in range(500))])


@pytest.mark.needs_dot
def test_captions_show_a_hostile_label_as_typed(tmp_path):
    typed = "&amp;<\x01>\\N \u202e"
    x, y = Value(2.0, label=typed), Value(3.0, label="y")
    f = x * y
    f.label = "f"
    f.backward()
    shown = printable(typed)
    step = viz.frames(f)[1]
    texts = [t.text for t in ET.fromstring(step.svg).iter(f"{SVG}text")]
    assert any(shown in text and "step" in text for text in texts), texts  # the caption
    page = viz.write_stepthrough(f, tmp_path / "p.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="frames-data">(.*?)</script>', page,
                     flags=re.S).group(1)
    captions = json.loads(data)["captions"]
    assert any(shown in caption for caption in captions), captions
