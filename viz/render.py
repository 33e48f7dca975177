"""Drawing and saving circuit diagrams: the only module of :mod:`viz` that imports ``graphviz``.

DOT text is built by :mod:`viz.layout` without Graphviz; turning it into SVG, PNG or PDF needs the
``dot`` program. When it is missing, :class:`GraphvizNotFound` says how to install it, and saving
to ``.dot`` still works. ``dot`` runs with a time limit (:data:`DOT_TIMEOUT` seconds, or the
``CIRCUITGRAD_DOT_TIMEOUT`` environment variable, or ``timeout=``): a layout that takes longer is
stopped and :class:`GraphvizTimeout` says how to draw less or allow more time.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
from typing import Any, Collection, List, Optional, Sequence, Tuple, Union

import graphviz

from .graph import DEFAULT_MAX_NODES
from .labels import check_dot_strings
from .layout import GRAPH_NAME, dot_lines

__all__ = ["draw", "draw_dot", "save", "render_svg", "output_path", "GraphvizNotFound",
           "GraphvizFailed", "GraphvizTimeout", "FORMATS", "DOT_TIMEOUT"]

FORMATS = ("svg", "png", "pdf", "dot")
"""File formats :func:`save` writes, chosen by the file's suffix or ``format=``; the one list
used by the command line and the step-through too."""

INSTALL_HINT = ("Install Graphviz: `apt install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                "(macOS) or `conda install -c conda-forge graphviz`. Saving to .dot works without "
                "it.")


DOT_TIMEOUT = 60.0
"""Seconds the ``dot`` program may take to lay out one diagram (overridden by the environment
variable ``CIRCUITGRAD_DOT_TIMEOUT`` or a ``timeout=`` argument). ``circuitgrad serve`` lowers it,
so no diagram can hold a server thread for long; a run that overruns raises
:class:`GraphvizTimeout`, a :class:`GraphvizFailed`."""
TIMEOUT_VARIABLE = "CIRCUITGRAD_DOT_TIMEOUT"


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on PATH)."""


class GraphvizFailed(RuntimeError):
    """Graphviz's ``dot`` program ran but could not render the diagram; the message is its error."""


class GraphvizTimeout(GraphvizFailed):
    """Graphviz's ``dot`` program took longer than the time limit and was stopped."""


def draw(root: Any, *, show_grads: bool = True, local_grads: bool = False, precision: int = 4,
         highlight: Collection[Any] = (), highlight_path: Optional[Tuple[Any, Any]] = None,
         rankdir: str = "LR", title: Optional[str] = None,
         collapse: Union[None, bool, Collection[str]] = None, around: Any = None,
         depth: Optional[int] = None, max_nodes: Optional[int] = DEFAULT_MAX_NODES,
         grads_for: Optional[Collection[Any]] = None, processed: Optional[Sequence[Any]] = None,
         active: Any = None, caption: Optional[str] = None,
         legend: bool = False) -> graphviz.Digraph:
    """The circuit that computes ``root``, as a ``graphviz.Digraph`` in the CS231n style.

    Each wire ``x -> gate`` shows ``x``'s forward value (green) and, once ``backward()`` has run,
    the gradient flowing back along that wire (red): the gate's chain-rule product
    ``local * upstream`` for that input. Where ``x`` fans out to several gates, its wires' gradients
    add up to ``x.grad``, which a fanned-out input shows under its name. Constants get no gradient.
    Building the graph needs no Graphviz program; rendering it does.

    Args:
        root: the output node (a Value or a Tensor).
        show_grads: write gradients on the wires (when backward has run).
        local_grads: also write each gate input's local gradient d gate / d input (blue).
        precision: significant digits of every number.
        highlight: nodes whose boxes are highlighted.
        highlight_path: ``(from_node, to_node)``: highlight every wire on every path between them.
        rankdir: ``"LR"`` (left to right, the default), ``"TB"``, ``"RL"`` or ``"BT"``.
        title: text above the diagram.
        collapse: draw named gates (``autograd.gate``) as one gate: True for all, False for
            none, or a collection of gate names (shell wildcards allowed, ``"neuron 0.*"``); the
            wires into a collapsed gate show its combined local gradient. Default: the gates
            that ask for it (the neurons and layers of ``autograd.nn``, whose weights are then
            drawn inside the box) are collapsed, every other named gate is a labelled cluster
            of its primitive gates.
        around: draw only the part of the graph near this node (see ``depth``).
        depth: keep nodes within this many wires of ``around`` (default: of the root).
        max_nodes: keep at most this many boxes, nearest the root first (default 300; None
            for all). Left-out nodes are counted in a dashed "… N more nodes not shown" box.
            Drawn from the root (no ``around``), only the boxes shown are built, so a capped
            drawing of a million-node graph takes as long as one of a few hundred.
        grads_for: if given, only the wires carrying these nodes show their gradients.
        processed: if given, the gates whose chain-rule step has run, in step order: a wire
            shows its gradient only once the gate it feeds is among them (the root's output wire
            once the root is), as after those steps of ``root.backward_steps()``. Gradients not
            reached yet are written invisibly, so every frame of a step-through has one layout.
        active: a node drawn as the gate being processed.
        caption: text below the diagram.
        legend: write what the colours mean (value, gradient, local gradient) above it.

    Returns:
        The diagram; ``.source`` is its DOT text.

    Example:
        >>> x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
        >>> f = (x + y) * z; f.label = "f"; f.backward()
        >>> viz.save(viz.draw(f, title="(x + y) z"), "out/xyz.svg")
    """
    body = dot_lines(root, show_grads=show_grads, local_grads=local_grads, precision=precision,
                     highlight=highlight, highlight_path=highlight_path, rankdir=rankdir,
                     title=title, collapse=collapse, around=around, depth=depth,
                     max_nodes=max_nodes, grads_for=grads_for, processed=processed,
                     active=active, caption=caption, legend=legend)
    return digraph(body)


def draw_dot(root: Any, **options: Any) -> graphviz.Digraph:
    """The same drawing as :func:`draw`, under the name micrograd's lecture notebooks call
    (``draw_dot(root)``), so they run unchanged; it shows in Jupyter as the diagram."""
    return draw(root, **options)


def digraph(body: List[str]) -> graphviz.Digraph:
    """A ``graphviz.Digraph`` of DOT body statements (from :mod:`viz.layout`).

    Raises:
        viz.labels.LabelTooLong: a label or the title is longer than Graphviz reads.
    """
    check_dot_strings(body)
    return graphviz.Digraph(GRAPH_NAME, body=body)


def _as_digraph(root_or_digraph: Any, draw_options: dict) -> graphviz.Digraph:
    if isinstance(root_or_digraph, (graphviz.Digraph, graphviz.Source)):
        if draw_options:
            raise TypeError(f"drawing options {sorted(draw_options)} apply to a node, not to an "
                            "already drawn Digraph")
        return root_or_digraph
    return draw(root_or_digraph, **draw_options)


def dot_timeout(timeout: Optional[float] = None) -> Optional[float]:
    """The time limit for one ``dot`` run: ``timeout``, else ``$CIRCUITGRAD_DOT_TIMEOUT``, else
    :data:`DOT_TIMEOUT` (None there: no limit)."""
    where = "timeout"
    if timeout is None:
        text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
        if not text:
            return DOT_TIMEOUT
        where = TIMEOUT_VARIABLE
        try:
            timeout = float(text)
        except ValueError:
            raise ValueError(f"{TIMEOUT_VARIABLE}={text!r} is not a number of seconds") from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"{where} must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def _pipe(graph: Any, fmt: str, timeout: Optional[float] = None) -> bytes:
    """Run ``dot -T<fmt>`` on the graph's source, within the time limit."""
    limit = dot_timeout(timeout)
    try:
        result = subprocess.run(["dot", f"-T{fmt}"], input=graph.source.encode("utf-8"),
                                capture_output=True, timeout=limit)
    except FileNotFoundError:
        raise GraphvizNotFound(f"Graphviz's `dot` program was not found on PATH; it is needed to "
                               f"render {fmt.upper()}. {INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:  # subprocess.run has killed dot and waited for it
        raise GraphvizTimeout(
            f"Graphviz's dot took longer than {limit:g} s to lay out the diagram and was stopped: "
            f"draw less (max_nodes=..., depth=..., collapse=True) or allow more time with "
            f"timeout=SECONDS or the environment variable {TIMEOUT_VARIABLE}") from None
    if result.returncode != 0:
        detail = " ".join(result.stderr.decode("utf-8", "replace").split())
        raise GraphvizFailed(f"Graphviz could not render the diagram as {fmt.upper()}: "
                             f"{detail or f'exit status {result.returncode}'}")
    return result.stdout


def render_svg(root_or_digraph: Any, *, timeout: Optional[float] = None,
               **draw_options: Any) -> str:
    """The diagram as SVG text (needs the ``dot`` program; raises :class:`GraphvizNotFound`, or
    :class:`GraphvizTimeout` after ``timeout`` seconds, see :func:`dot_timeout`)."""
    return _pipe(_as_digraph(root_or_digraph, draw_options), "svg", timeout).decode("utf-8")


def save(root_or_digraph: Any, path: Union[str, pathlib.Path], *, format: Optional[str] = None,
         timeout: Optional[float] = None, **draw_options: Any) -> pathlib.Path:
    """Write the diagram of a node (or an already drawn Digraph) to a file.

    Args:
        root_or_digraph: the output node, or the result of :func:`draw`.
        path: the file; its suffix (``.svg``, ``.png``, ``.pdf``, ``.dot``) picks the format.
            Parent directories are created.
        format: the format when the suffix does not say it (the suffix is then added); a
            suffix that names another format is an error.
        timeout: seconds ``dot`` may take (default :data:`DOT_TIMEOUT`, or
            ``$CIRCUITGRAD_DOT_TIMEOUT``).
        **draw_options: options of :func:`draw` when a node is given.

    Returns:
        The path written.

    Raises:
        ValueError: the format is not one of svg, png, pdf, dot, or contradicts the suffix.
        GraphvizNotFound: the format needs the ``dot`` program and it is missing.
        GraphvizFailed: the ``dot`` program could not render the diagram.
        GraphvizTimeout: the ``dot`` program took longer than ``timeout`` seconds.
    """
    path, fmt = output_path(path, format)
    graph = _as_digraph(root_or_digraph, draw_options)
    data = graph.source.encode("utf-8") if fmt == "dot" else _pipe(graph, fmt, timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def output_path(path: Union[str, pathlib.Path],
                format: Optional[str] = None) -> Tuple[pathlib.Path, str]:
    """The file :func:`save` writes and its format: the one rule, shared with the command line.

    The suffix (``.svg .png .pdf .dot``, ``.gv`` for dot) picks the format. ``format`` is needed
    when there is no such suffix, and then it is appended (``c`` -> ``c.png``); a suffix that names
    another format than ``format`` is an error, never silently renamed.

    Raises:
        ValueError: the path is empty, the format is unknown, or it contradicts the suffix.
    """
    if not str(path):
        raise ValueError("the output path is empty: give a file name such as circuit.svg")
    path = pathlib.Path(path)
    suffix = path.suffix.lower().lstrip(".")
    named = "dot" if suffix == "gv" else suffix
    fmt = (format or named).lower().lstrip(".")
    if fmt == "gv":
        fmt = "dot"
    if fmt not in FORMATS:
        raise ValueError(f"cannot save a diagram as {path.name!r} (format {fmt!r}): use one of "
                         f"{', '.join('.' + f for f in FORMATS)}")
    if format:
        if named in FORMATS and named != fmt:
            raise ValueError(f"cannot save {path.name!r} as {fmt}: its suffix says {named} "
                             f"(change the suffix or drop the format)")
        if named not in FORMATS:
            path = path.with_name(path.name + "." + fmt)
    return path, fmt
