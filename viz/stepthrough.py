"""Backpropagation as a slide show: one diagram per step of the backward pass.

Frame 0 is the forward pass (values only). Frame k shows the circuit right after step k of
``root.backward_steps()``: the gate just processed is highlighted, and the caption is
``step.describe(precision)``, the same two lines the engine prints when a student steps through in
a REPL. A wire ``x -> gate`` shows its gradient once ``gate`` has been processed: exactly the
products ``local * upstream`` the captions of steps 1..k listed (the root's output wire shows the
seed from step 1; a fanned-out input's total appears once all its branches have arrived). So the
page shows exactly what the engine did, in the same words.

Every frame has the same layout: a gradient not reached yet is laid out at its final size but drawn
invisibly (and left out of the SVG text), so no gate moves while stepping.

:func:`write_stepthrough` puts every frame into one self-contained HTML file (inline SVG, CSS and
JavaScript, nothing fetched from the network) with Prev/Next buttons, the arrow keys and a slider.
:func:`write_frames` writes numbered image files instead, for slides.

Gradients: the frames show a *fresh* backward pass, with every gradient starting from zero, as
after ``zero_grad()``. Stepping really runs the backward pass on your nodes, so afterwards every
node's ``.grad`` is put back to what it was before the call: making frames never changes your
graph's gradients (no doubled leaf gradients, no gradients appearing on a graph you had not
differentiated yet).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from autograd.steps import BackwardStep, format_number, node_name

from .labels import printable
from .layout import HIDDEN_COLOR

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
            ``collapse`` ...); ``show_grads``, ``grads_for``, ``processed``, ``active`` and
            ``caption`` are set per frame.

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
    """Write the step-through as one self-contained HTML page.

    The page shows one frame at a time with its caption (``id="caption"``) and a "step k / n"
    counter (``id="counter"``); Prev/Next buttons, the left/right arrow keys and a slider move
    between frames. Each frame element (``class="frame"``) carries ``data-step``, ``data-caption``
    and ``data-active`` (the DOT id of the highlighted gate; its ``<title>`` in the SVG).

    Args:
        root: the output node.
        path: the ``.html`` file to write (parent directories are created).
        title: the page heading (default: "Backpropagation, step by step").
        **draw_options: as for :func:`frames`.

    Returns:
        The path written.
    """
    rendered = frames(root, caption_in_diagram=False, **draw_options)
    # The page shows titles, labels and captions as the diagrams do (see viz.labels.printable).
    page = printable(_page(title or "Backpropagation, step by step", rendered))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _diagrams(root: Any, draw_options: Dict[str, Any],
              caption_in_diagram: bool) -> List[Tuple[Any, str, Any, str]]:
    """(digraph, caption, step, active DOT id) for every frame.

    The whole pass runs first, on zeroed gradients (see the module docstring); then frame k is
    drawn from the one circuit with the engine's own products of steps 1..k, and the graph's
    gradients are put back.
    """
    from .graph import build_circuit
    from .layout import Progress, branch_products, circuit_lines
    from .render import digraph

    if not hasattr(root, "inputs"):
        raise TypeError(f"frames() needs a node (a Value or Tensor), got {type(root).__name__}")
    options = {k: v for k, v in draw_options.items() if k not in _FRAME_OPTIONS}
    circuit = build_circuit(root, options.pop("collapse", None))
    precision = options.get("precision", 4)
    nodes = circuit.order
    saved = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = node._zero_grad
        steps = list(root.backward_steps())
        step_of = {id(step.node): step.index for step in steps}
        products = {id(step.node): branch_products(step.contributions, step.node.inputs)
                    for step in steps}
        captions = [f"forward pass: output = {format_number(root.data, precision)}; "
                    "the backward pass starts at the output with gradient 1"]
        captions += [step.describe(precision) for step in steps]
        # Every caption gets as many lines as the longest and the width of the widest (it is
        # monospaced), so the diagram keeps its size from frame to frame.
        height = max(caption.count("\n") for caption in captions)
        columns = max(len(line) for caption in captions for line in caption.splitlines())
        diagrams = []
        for k, caption in enumerate(captions):
            step = steps[k - 1] if k else None
            shown = caption + "\n" * (height - caption.count("\n")) if caption_in_diagram else None
            lines = circuit_lines(circuit, show_grads=True, progress=Progress(step_of, k),
                                  products=products, active=step.node if step else None,
                                  caption=shown, caption_columns=columns, **options)
            unit = circuit.unit_for(step.node) if step else None  # a collapsed gate's box
            diagrams.append((digraph(lines), caption, step, unit.uid if unit is not None else ""))
    finally:
        for node, grad in zip(nodes, saved):
            node.grad = grad
    return diagrams


# The page. Only the frames vary; everything else is this fixed template.

def _inline_svg(svg: str, prefix: str) -> str:
    """SVG text made fit for inlining: no XML prolog, DOCTYPE, comments or namespace URLs, and every
    id prefixed so that the frames' ids (``node1``, ``graph0`` ...) stay unique in the page."""
    svg = re.sub(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r'\bid="([^"]*)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r"url\(#([^)]*)\)", rf"url(#{prefix}\1)", svg)
    svg = re.sub(r'href="#([^"]*)"', rf'href="#{prefix}\1"', svg)
    return svg.strip()


def _frame_html(k: int, frame: Frame) -> str:
    active_name = node_name(frame.step.node) if frame.step else ""
    attributes = (f'class="frame" id="frame-{k}" data-step="{k}" '
                  f'data-active="{html.escape(frame.active_id)}" '
                  f'data-active-name="{html.escape(active_name)}" '
                  f'data-caption="{html.escape(frame.caption)}"')
    hidden = "" if k == 0 else " hidden"
    return f'<figure {attributes}{hidden}>\n{_inline_svg(frame.svg, f"f{k}-")}\n</figure>'


def _page(title: str, rendered: List[Frame]) -> str:
    last = len(rendered) - 1
    fields = {
        "title": html.escape(title),
        "caption": html.escape(rendered[0].caption),
        "sizers": "\n".join(f'<pre class="caption-sizer" aria-hidden="true">'
                             f'{html.escape(caption)}</pre>'
                             for caption in dict.fromkeys(frame.caption for frame in rendered)),
        "last": str(last),
        "frames": "\n".join(_frame_html(k, frame) for k, frame in enumerate(rendered)),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda match: fields[match.group(1)], _TEMPLATE)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 2rem;
         color: #222; background: #fff; }
  h1 { font-size: 1.5rem; margin: 0.2rem 0 0.8rem; }
  .controls { display: flex; align-items: center; gap: 0.8rem; flex-wrap: wrap; }
  button { font-size: 1.05rem; padding: 0.35rem 1.1rem; border: 1px solid #888; border-radius: 6px;
           background: #f4f4f4; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: default; }
  #slider { flex: 1; min-width: 10rem; }
  #counter { font-variant-numeric: tabular-nums; font-weight: 600; min-width: 7rem; }
  /* Every caption sits in the same grid cell, all but the current one invisible: the box is as
     tall as the tallest caption, so the diagram below never moves. */
  #caption-box { display: grid; margin: 0.9rem 0; }
  #caption-box > pre { grid-area: 1 / 1; margin: 0; font-family: ui-monospace, Menlo, Consolas,
             monospace; font-size: 1.05rem; white-space: pre-wrap; padding: 0.6rem 0.9rem;
             border-left: 4px solid transparent; min-height: 2.6em; }
  #caption-box > #caption { background: #f7f7fb; border-left-color: #d9534f; }
  .caption-sizer { visibility: hidden; }
  figure.frame { margin: 0; text-align: center; }
  figure.frame svg { width: 100%; height: auto; max-height: 72vh; }
  .help { color: #666; font-size: 0.9rem; }
</style>
</head>
<body>
<h1>{{title}}</h1>
<div class="controls">
  <button id="prev" type="button" disabled>&larr; Prev</button>
  <button id="next" type="button">Next &rarr;</button>
  <input id="slider" type="range" min="0" max="{{last}}" value="0" step="1"
         aria-label="step">
  <span id="counter">step 0 / {{last}}</span>
</div>
<div id="caption-box">
<pre id="caption">{{caption}}</pre>
{{sizers}}
</div>
{{frames}}
<p class="help">Arrow keys &larr; &rarr;, the buttons or the slider move through the steps.
Step 0 is the forward pass; step k shows the gradients after the k-th gate of the backward pass
(highlighted).</p>
<script>
(function () {
  "use strict";
  var frames = Array.prototype.slice.call(document.querySelectorAll("figure.frame"));
  var last = {{last}};
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var slider = document.getElementById("slider");
  var counter = document.getElementById("counter");
  var caption = document.getElementById("caption");
  var current = 0;

  function show(k) {
    k = Math.max(0, Math.min(last, k));
    frames.forEach(function (frame, i) { frame.hidden = i !== k; });
    current = k;
    caption.textContent = frames[k].dataset.caption;
    counter.textContent = "step " + k + " / " + last;
    slider.value = String(k);
    prev.disabled = k === 0;
    next.disabled = k === last;
    document.body.dataset.current = String(k);
  }

  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (event) {
    if (event.target === slider) { return; }  // the slider moves itself and reports "input"
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
    else if (event.key === "Home") { show(0); event.preventDefault(); }
    else if (event.key === "End") { show(last); event.preventDefault(); }
  });
  show(0);
}());
</script>
</body>
</html>
"""
