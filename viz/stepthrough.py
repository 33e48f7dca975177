"""Backpropagation as a slide show: one diagram per step of the backward pass.

Frame 0 is the forward pass (values, and the local gradients every caption speaks of). Frame k
shows the circuit right after step k of ``root.backward_steps()``: the gate just processed is
highlighted, and the caption is ``step.describe(precision)``, the same two lines the engine prints
when a student steps through in a REPL. A wire ``x -> gate`` shows its gradient once ``gate`` has
been processed: exactly the products ``local * upstream`` the captions of steps 1..k listed (the
root's output wire shows the seed from step 1; a fanned-out input's total appears once all its
branches have arrived). So the page shows exactly what the engine did, in the same words.

Every frame has the same layout: a gradient not reached yet is laid out at its final size but drawn
invisibly (and left out of the SVG text), so no gate moves while stepping.

:func:`write_stepthrough` writes one self-contained HTML page (inline SVG, CSS and JavaScript,
nothing fetched from the network) for a classroom projector: it draws the circuit once and stores
per frame only what changes (caption, highlighted gate, which gradients have arrived), so its size
grows with the circuit, not with its square. :func:`write_frames` writes numbered image files
instead, for slides; :func:`frames` returns the rendered frames.

Every node is called by one name, in the captions and on the diagram's wires: its label, else an
automatic letter (``a``, ``b`` ... and ``f`` for the output; see :func:`autograd.steps.node_names`).

Gradients: the frames show a *fresh* backward pass, with every gradient starting from zero, as
after ``zero_grad()``. Stepping really runs the backward pass on your nodes, so afterwards every
node's ``.grad`` is put back to what it was before the call: making frames never changes your
graph's gradients (no doubled leaf gradients, no gradients appearing on a graph you had not
differentiated yet).
"""

from __future__ import annotations

import html
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from autograd.steps import BackwardStep, format_number, formula, node_name, node_names

from .labels import printable
from .layout import ACTIVE_FILL, GRAD_COLOR, HIDDEN_COLOR, LEGEND, NAME_COLOR

__all__ = ["Frame", "frames", "write_stepthrough", "write_frames"]

# Options the frames set themselves; a caller's values for them are ignored.
_FRAME_OPTIONS = ("show_grads", "grads_for", "processed", "active", "caption")

# Graphviz writes the colour "transparent" as fill="#fffffe" in SVG.
_HIDDEN_TEXT = re.compile(rf'<text\b[^>]*\bfill="(?:{HIDDEN_COLOR}|#fffffe)"[^>]*>.*?</text>\s*',
                          re.S)


@dataclass
class Frame:
    """One picture of the step-through.

    Attributes:
        svg: the diagram as SVG text.
        caption: what happened in this frame (for step frames, ``step.describe(precision)``).
        step: the :class:`~autograd.BackwardStep` shown, or None for frame 0 (the forward pass).
        active_id: the DOT id of the highlighted gate (``""`` for frame 0).
    """

    svg: str
    caption: str
    step: Optional[BackwardStep]
    active_id: str = ""


def frames(root: Any, *, caption_in_diagram: bool = True, **draw_options: Any) -> List[Frame]:
    """The step-through as rendered frames: the forward pass, then one frame per backward step.

    Args:
        root: the output node.
        caption_in_diagram: also write the caption under each diagram (the HTML page shows it
            above the diagram instead).
        **draw_options: passed to :func:`viz.draw` (``precision``, ``rankdir``, ``title``,
            ``collapse``, ``legend`` ...); ``local_grads`` defaults to True; ``show_grads``,
            ``grads_for``, ``processed``, ``active`` and ``caption`` are set per frame.

    Returns:
        ``1 + number of gates`` frames. Every node's gradient is restored afterwards.

    Raises:
        viz.GraphvizNotFound: the Graphviz ``dot`` program is not installed.
    """
    from . import render_svg

    return [Frame(_HIDDEN_TEXT.sub("", render_svg(graph)), caption, step, active_id)
            for graph, caption, step, active_id in _diagrams(root, draw_options,
                                                             caption_in_diagram)]


def write_frames(root: Any, directory: Union[str, Path], format: str = "svg",
                 **draw_options: Any) -> List[Path]:
    """Write the frames as numbered files ``frame_000.svg``, ``frame_001.svg`` ... for slides.

    Args:
        root: the output node.
        directory: where to write (created if missing). Files from an earlier, longer run with
            higher numbers are left alone.
        format: ``"svg"``, ``"png"``, ``"pdf"`` or ``"dot"``.
        **draw_options: as for :func:`frames`.

    Returns:
        The paths written, frame 0 first.
    """
    from .render import FORMATS, render_svg, save

    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (graph, _, _, _) in enumerate(_diagrams(root, draw_options, True)):
        path = directory / f"frame_{k:03d}.{format}"
        if format == "svg":  # as in frames(): the not-yet-reached gradients are left out
            path.write_text(_HIDDEN_TEXT.sub("", render_svg(graph)), encoding="utf-8")
        else:
            save(graph, path)
        paths.append(path)
    return paths


def write_stepthrough(root: Any, path: Union[str, Path], *, title: Optional[str] = None,
                      **draw_options: Any) -> Path:
    """Write the step-through as one self-contained HTML page, sized for a projector.

    The page draws the circuit *once*, with every gradient in place, and stores per step only
    what changes: the caption, the active gate, and (in the SVG's classes) the step at which
    each gradient arrives. Showing frame k hides the gradients that arrive after step k and
    highlights gate k. So the page grows with the size of the circuit, not with its square.

    What the page offers: the caption (``id="caption"``) and a "step k / n" counter
    (``id="counter"``); Prev/Next buttons, the arrow keys, Home/End and a slider move between
    frames; ``+``/``-`` (and buttons) zoom, ``0`` fits the diagram to the window again; a colour
    legend; and deep links: ``page.html#step=5`` opens at step 5, and moving updates the address.
    The diagram fills the window's width or height (whichever binds). Nothing is fetched from the
    network.

    Args:
        root: the output node.
        path: the ``.html`` file to write (parent directories are created).
        title: the page's title and heading (default: the formula that computes ``root``).
        **draw_options: as for :func:`frames`; ``local_grads`` defaults to True.

    Returns:
        The path written.
    """
    from .layout import circuit_lines
    from .render import digraph, render_svg

    options = _frame_options(draw_options)
    with _fresh_pass(root, options.pop("collapse", None)) as run:
        precision = options.get("precision", 4)
        svg = render_svg(digraph(circuit_lines(run.circuit, show_grads=True,
                                               products=run.products, arrivals=run.step_of,
                                               inner=True, **options)))
        captions = run.captions(precision)
        actives = [""] + [_active_id(run.circuit, step) for step in run.steps]
        default_title = formula(root, precision, names=run.names)
    # The page shows titles, labels and captions as the diagrams do (see viz.labels.printable).
    page = printable(_page(printable(title if title else default_title), svg, captions, actives))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _frame_options(draw_options: Dict[str, Any]) -> Dict[str, Any]:
    """The caller's drawing options without those the frames set, local gradients on by default
    (every caption speaks of them)."""
    options = {k: v for k, v in draw_options.items() if k not in _FRAME_OPTIONS}
    options.setdefault("local_grads", True)
    return options


def _active_id(circuit: Any, step: BackwardStep) -> str:
    unit = circuit.unit_for(step.node)  # a collapsed gate's box
    return unit.uid if unit is not None else ""


@dataclass
class _Pass:
    """A fresh backward pass over ``circuit`` (see :func:`_fresh_pass`)."""

    root: Any
    circuit: Any
    steps: List[BackwardStep]
    step_of: Dict[int, int]
    products: Dict[int, List[Any]]
    names: Dict[int, str]

    def captions(self, precision: int) -> List[str]:
        """Frame 0's text, then each step's text as the engine describes it."""
        first = (f"forward pass: {node_name(self.root, precision, self.names)} = "
                 f"{format_number(self.root.data, precision)}; the backward pass starts at the "
                 "output with gradient 1")
        return [printable(text) for text in
                [first] + [step.describe(precision) for step in self.steps]]


@contextmanager
def _fresh_pass(root: Any, collapse: Any) -> Iterator[_Pass]:
    """Run the whole backward pass on zeroed gradients; on leaving, put every gradient back.

    Inside the block the nodes hold the pass's final gradients, so a diagram drawn there shows
    them, and each step's products (the gradients along each wire) are known.
    """
    from .graph import build_circuit

    if not hasattr(root, "inputs"):
        raise TypeError(f"frames() needs a node (a Value or Tensor), got {type(root).__name__}")
    circuit = build_circuit(root, collapse)
    nodes = circuit.order
    saved = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.zero_grad()
        steps = list(root.backward_steps())
        names = steps[0].names if steps and steps[0].names is not None else node_names(
            root, nodes)
        yield _Pass(root, circuit, steps, {id(step.node): step.index for step in steps},
                    {id(step.node): list(step.node.input_grads)
                     for step in steps}, names)
    finally:
        for node, grad in zip(nodes, saved):
            node.grad = grad


def _diagrams(root: Any, draw_options: Dict[str, Any],
              caption_in_diagram: bool) -> List[Tuple[Any, str, Any, str]]:
    """(digraph, caption, step, active DOT id) for every frame, drawn from one circuit with the
    engine's own products of steps 1..k (see :func:`_fresh_pass`)."""
    from .layout import Progress, circuit_lines
    from .render import digraph

    options = _frame_options(draw_options)
    with _fresh_pass(root, options.pop("collapse", None)) as run:
        captions = run.captions(options.get("precision", 4))
        # Every caption gets as many lines as the longest and the width of the widest (it is
        # monospaced), so the diagram keeps its size from frame to frame.
        height = max(caption.count("\n") for caption in captions)
        columns = max(len(line) for caption in captions for line in caption.splitlines())
        diagrams = []
        for k, caption in enumerate(captions):
            step = run.steps[k - 1] if k else None
            shown = caption + "\n" * (height - caption.count("\n")) if caption_in_diagram else None
            lines = circuit_lines(run.circuit, show_grads=True,
                                  progress=Progress(run.step_of, k), products=run.products,
                                  active=step.node if step else None, caption=shown,
                                  caption_columns=columns, inner=True, **options)
            diagrams.append((digraph(lines), caption, step,
                             _active_id(run.circuit, step) if step else ""))
    return diagrams


# The page: one diagram, the frames' captions and active gates as JSON, and a fixed template.

def _inline_svg(svg: str) -> str:
    """SVG text made fit for inlining: no XML prolog, DOCTYPE, comments or namespace URLs, and no
    fixed size (the page sizes it)."""
    svg = re.sub(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r'(<svg\b[^>]*?)\s+width="[^"]*"\s+height="[^"]*"', r"\1", svg, count=1)
    return svg.strip()


def _json_for_script(data: Any) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can close or confuse it."""
    return (json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _legend_html() -> str:
    return "".join(f'<span class="key"><span class="swatch" style="background:{color}"></span>'
                   f"{html.escape(text)}</span>" for color, text in LEGEND)


def _page(title: str, svg: str, captions: List[str], actives: List[str]) -> str:
    last = len(captions) - 1
    fields = {
        "title": html.escape(title),
        "caption": html.escape(captions[0]),
        "last": str(last),
        "legend": _legend_html(),
        "diagram": _inline_svg(svg),
        "frames": _json_for_script({"captions": captions, "actives": actives}),
        "grad_color": GRAD_COLOR,
        "active_fill": ACTIVE_FILL,
        "name_color": NAME_COLOR,
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda match: fields[match.group(1)], _TEMPLATE)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
  html, body { height: 100%; margin: 0; }
  body { font-family: system-ui, sans-serif; color: #222; background: #fff; display: flex;
         flex-direction: column; box-sizing: border-box; padding: 0.6rem 1.2rem 0.4rem; }
  header { flex: none; }
  h1 { font-size: clamp(1.2rem, 1.7vw, 2.2rem); margin: 0 0 0.4rem; overflow-wrap: anywhere; }
  .controls { display: flex; align-items: center; gap: 0.7rem; flex-wrap: wrap;
              font-size: clamp(1rem, 1.1vw, 1.4rem); }
  button { font: inherit; padding: 0.2rem 0.9rem; border: 1px solid #888; border-radius: 6px;
           background: #f4f4f4; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: default; }
  #slider { flex: 1; min-width: 8rem; }
  #counter { font-variant-numeric: tabular-nums; font-weight: 600; min-width: 7em; }
  .zoom { display: flex; gap: 0.3rem; align-items: center; }
  #legend { display: flex; gap: 1.4rem; flex-wrap: wrap; margin: 0.4rem 0 0;
            font-size: clamp(0.95rem, 1vw, 1.3rem); }
  .key { display: inline-flex; align-items: center; gap: 0.4rem; }
  .swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; }
  /* Every caption sits in the same grid cell, all but the current one invisible: the box is as
     tall as the tallest caption, so the diagram below never moves. */
  #caption-box { display: grid; margin: 0.5rem 0 0.3rem; }
  #caption-box > pre { grid-area: 1 / 1; margin: 0; font-family: ui-monospace, Menlo, Consolas,
             "DejaVu Sans Mono", monospace; font-size: clamp(15px, 1.15vw, 26px);
             white-space: pre-wrap; overflow-wrap: anywhere; padding: 0.4rem 0.8rem;
             border-left: 4px solid transparent; }
  #caption-box > #caption { background: #f7f7fb; border-left-color: #d9534f; }
  .caption-sizer { visibility: hidden; }
  /* The diagram fills what is left of the window; zooming makes it larger and scrollable. */
  #stage { flex: 1 1 auto; min-height: 0; overflow: auto; }
  #stage > svg { display: block; width: 100%; height: 100%; }
  /* Graphviz measured the text in a Helvetica-metric font: draw it in one, so that a wire's
     "a = " and "-2" sit where Graphviz put them. */
  #stage text { font-family: "Liberation Sans", Arimo, "Nimbus Sans", Helvetica, Arial,
                sans-serif; }
  #stage g.pending text[fill="{{grad_color}}"] { visibility: hidden; }
  #stage g.node.active > ellipse, #stage g.node.active > polygon,
  #stage g.node.active > path { fill: {{active_fill}}; stroke-width: 2.5px; }
  #stage g.edge.feeding > path { stroke: #b8860b; stroke-width: 2.5px; }
  #stage g.edge.feeding > polygon { stroke: #b8860b; fill: #b8860b; }
  .help { flex: none; color: #666; font-size: 0.9rem; margin: 0.3rem 0 0; }
  kbd { border: 1px solid #bbb; border-radius: 3px; padding: 0 0.25em; font-size: 0.85em; }
</style>
</head>
<body>
<header>
<h1 id="title">{{title}}</h1>
<div class="controls">
  <button id="prev" type="button" disabled>&larr; Prev</button>
  <button id="next" type="button">Next &rarr;</button>
  <input id="slider" type="range" min="0" max="{{last}}" value="0" step="1" aria-label="step">
  <span id="counter">step 0 / {{last}}</span>
  <span class="zoom"><button id="zoom-out" type="button" title="smaller (-)">&minus;</button>
  <button id="zoom-fit" type="button" title="fit to the window (0)">fit</button>
  <button id="zoom-in" type="button" title="larger (+)">+</button></span>
</div>
<div id="legend" aria-label="colour legend">{{legend}}</div>
<div id="caption-box">
<pre id="caption" aria-live="polite">{{caption}}</pre>
</div>
</header>
<div id="stage">
{{diagram}}
</div>
<p class="help">Keys: <kbd>&larr;</kbd> <kbd>&rarr;</kbd> step, <kbd>Home</kbd> <kbd>End</kbd>,
<kbd>+</kbd> <kbd>&minus;</kbd> zoom, <kbd>0</kbd> fit. Step 0 is the forward pass; step k shows
the gradients after the k-th gate of the backward pass (highlighted). Link a step by adding
<code>#step=5</code> to the address.</p>
<script type="application/json" id="frames-data">{{frames}}</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("frames-data").textContent);
  var last = {{last}};
  var $ = function (id) { return document.getElementById(id); };
  var prev = $("prev"), next = $("next"), slider = $("slider"), counter = $("counter");
  var caption = $("caption"), stage = $("stage"), box = $("caption-box");
  var svg = stage.querySelector("svg");
  var current = 0, zoom = 1;

  // Gradients that arrive at step K are hidden in the frames before it.
  var timed = [];
  svg.querySelectorAll("g.edge, g.node").forEach(function (g) {
    var match = /(?:^|\\s)arrive-(\\d+)/.exec(g.getAttribute("class") || "");
    if (match) { timed.push([g, parseInt(match[1], 10)]); }
  });

  // A wire's "a = " and "-2" are two texts placed by Graphviz's font measurements; the browser's
  // font may be narrower or wider, so close the gap between them, keeping the pair's centre.
  svg.querySelectorAll('text[fill="{{name_color}}"]').forEach(function (name) {
    var value = name.nextElementSibling;
    if (!value || value.tagName !== "text" || value.getAttribute("y") !== name.getAttribute("y")) {
      return;
    }
    var x = parseFloat(name.getAttribute("x"));
    var end = parseFloat(value.getAttribute("x")) + value.getComputedTextLength();
    var space = 0.3 * parseFloat(name.getAttribute("font-size"));  // SVG drops trailing blanks
    var left = name.getComputedTextLength() + space;
    var start = (x + end - left - value.getComputedTextLength()) / 2;
    name.setAttribute("x", String(start));
    value.setAttribute("x", String(start + left));
  });

  // Sizers: every distinct caption, invisible, in the caption's grid cell.
  Array.from(new Set(data.captions)).forEach(function (text) {
    var sizer = document.createElement("pre");
    sizer.className = "caption-sizer";
    sizer.setAttribute("aria-hidden", "true");
    sizer.textContent = text;
    box.appendChild(sizer);
  });

  function highlight(selector, name, on) {
    if (!selector) { return; }
    svg.querySelectorAll(selector).forEach(function (g) { g.classList.toggle(name, on); });
  }

  function show(k, updateAddress) {
    k = Math.max(0, Math.min(last, isFinite(k) ? k : 0));
    var before = data.actives[current], after = data.actives[k];
    highlight(before && "g.node#" + CSS.escape(before), "active", false);
    highlight(before && "g.edge.into-" + CSS.escape(before), "feeding", false);
    highlight(after && "g.node#" + CSS.escape(after), "active", true);
    highlight(after && "g.edge.into-" + CSS.escape(after), "feeding", true);
    timed.forEach(function (item) { item[0].classList.toggle("pending", item[1] > k); });
    current = k;
    caption.textContent = data.captions[k];
    counter.textContent = "step " + k + " / " + last;
    slider.value = String(k);
    prev.disabled = k === 0;
    next.disabled = k === last;
    document.body.dataset.current = String(k);
    follow();
    if (updateAddress !== false && location.hash !== "#step=" + k) {
      try { history.replaceState(null, "", "#step=" + k); } catch (e) { /* file:// refusals */ }
    }
  }

  function follow() {  // zoomed in: keep the highlighted gate in view
    var active = data.actives[current];
    var node = active && zoom > 1 && svg.querySelector("g.node#" + CSS.escape(active));
    if (!node) { return; }
    var box = node.getBoundingClientRect(), view = stage.getBoundingClientRect();
    if (box.left < view.left || box.right > view.right || box.top < view.top ||
        box.bottom > view.bottom) {
      node.scrollIntoView({block: "center", inline: "center"});
    }
  }

  function setZoom(z) {  // zoom times the size that fits the window
    zoom = Math.max(0.5, Math.min(8, z));
    svg.style.width = svg.style.height = "";
    if (zoom !== 1) {
      var fit = svg.getBoundingClientRect();
      svg.style.width = (fit.width * zoom) + "px";
      svg.style.height = (fit.height * zoom) + "px";
    }
    document.body.dataset.zoom = String(zoom);
    follow();
  }

  function fromAddress() {
    var match = /(?:^#|&)step=(\\d+)/.exec(location.hash);
    return match ? parseInt(match[1], 10) : 0;
  }

  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  $("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
  $("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
  $("zoom-fit").addEventListener("click", function () { setZoom(1); });
  window.addEventListener("hashchange", function () { show(fromAddress(), false); });
  window.addEventListener("resize", function () { setZoom(zoom); });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }  // the browser's own zoom
    var key = event.key;
    if (event.target === slider && key.indexOf("Arrow") === 0) { return; }  // moves itself
    if (key === "ArrowRight") { show(current + 1); }
    else if (key === "ArrowLeft") { show(current - 1); }
    else if (key === "Home") { show(0); }
    else if (key === "End") { show(last); }
    else if (key === "+" || key === "=") { setZoom(zoom * 1.25); }
    else if (key === "-" || key === "_") { setZoom(zoom / 1.25); }
    else if (key === "0") { setZoom(1); }
    else { return; }
    event.preventDefault();
  });
  show(fromAddress(), location.hash !== "");
}());
</script>
</body>
</html>
"""
