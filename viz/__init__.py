"""circuitgrad's diagrams: backprop circuits in the CS231n style, drawn with Graphviz.

>>> import viz
>>> viz.save(f, "out/circuit.svg")          # .svg .png .pdf, or .dot without Graphviz
>>> print(viz.to_dot(f, local_grads=True))  # DOT text, pure Python
>>> viz.draw_dot(f)                          # micrograd notebooks' name for viz.draw

Values are green, gradients red: each wire carries the gradient flowing back along it, so at a
fork the branches add up to the input's ``.grad``. Named gates (``autograd.gate``) draw as
clusters or, with ``collapse=True``, as single gates whose input wires show the combined local
gradient. Drawings are capped at 300 boxes (``max_nodes``), and the neurons and layers of
``autograd.nn`` are drawn collapsed, so a model's graph stays readable.
"""

from .layout import to_dot
from .render import (DOT_TIMEOUT, FORMATS, GraphvizFailed, GraphvizNotFound, GraphvizTimeout, draw,
                     draw_dot, render_svg, save)
from .stepthrough import Frame, frames, write_frames, write_stepthrough

__all__ = ["draw", "draw_dot", "save", "to_dot", "render_svg", "GraphvizNotFound",
           "GraphvizFailed", "GraphvizTimeout", "DOT_TIMEOUT", "FORMATS", "Frame", "frames",
           "write_frames", "write_stepthrough"]
