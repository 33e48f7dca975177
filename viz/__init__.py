"""circuitgrad's diagrams: backprop circuits in the CS231n style, drawn with Graphviz.

>>> import viz
>>> viz.save(f, "out/circuit.svg")          # .svg .png .pdf, or .dot without Graphviz
>>> print(viz.to_dot(f, local_grads=True))  # DOT text, pure Python

Values are green, gradients red: each wire carries the gradient flowing back along it, so at a
fork the branches add up to the input's ``.grad``. Named gates (``autograd.gate``) draw as
clusters or, with ``collapse=True``, as single gates whose input wires show the combined local
gradient.
"""

from .layout import to_dot
from .render import FORMATS, GraphvizFailed, GraphvizNotFound, draw, render_svg, save
from .stepthrough import Frame, frames, write_frames, write_stepthrough

__all__ = ["draw", "save", "to_dot", "render_svg", "GraphvizNotFound", "GraphvizFailed", "FORMATS",
           "Frame", "frames", "write_frames", "write_stepthrough"]
