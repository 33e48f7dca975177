"""Jupyter display of nodes: a node shown in a notebook cell draws itself as a circuit.

:meth:`autograd.Node._repr_mimebundle_` calls :func:`mimebundle`. It never raises: without the
Graphviz program (or for any drawing failure) the notebook falls back to the node's text repr.
"""

from __future__ import annotations

from typing import Any, Dict

from .render import render_svg

__all__ = ["mimebundle", "NOTEBOOK_MAX_NODES"]

NOTEBOOK_MAX_NODES = 200
"""A notebook cell draws at most this many boxes, so displaying a large net stays quick."""


def mimebundle(node: Any) -> Dict[str, str]:
    """``{"image/svg+xml": svg, "text/plain": repr}``, or only the text when drawing fails."""
    text = repr(node)
    try:
        svg = render_svg(node, max_nodes=NOTEBOOK_MAX_NODES)
    except Exception:  # noqa: BLE001 - a notebook display must never raise
        return {"text/plain": text}
    return {"image/svg+xml": svg, "text/plain": text}
