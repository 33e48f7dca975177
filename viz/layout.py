"""DOT source for a circuit diagram in the CS231n style, as pure string work (no Graphviz needed).

The look: data flows left to right; inputs are named wires (``x``); each gate is a small circle
with its symbol; every wire carries its forward value above in green and, once ``backward()`` has
run, the gradient flowing back along it below in red: for a wire ``x -> gate``, the gate's
chain-rule product for that input, so at a fork the branches add up to ``x.grad`` (which a
fanned-out input shows under its name). Named gates are dashed clusters, or single boxes when
collapsed.

:func:`dot_lines` returns the statements of the graph body; :func:`to_dot` wraps them into the
same text ``graphviz.Digraph(body=...)`` produces, so DOT can be written without the program.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Optional, Sequence, Set, Tuple, Union

from autograd.steps import gate_expression, node_names

from .graph import (DEFAULT_MAX_NODES, Circuit, Unit, Wire, build_circuit, omitted_note,
                    path_nodes, select)
from .labels import (escape_html, format_gradient, format_quantity, gate_symbol, is_constant,
                     printable,
                     quote)

__all__ = ["dot_lines", "circuit_lines", "to_dot", "Progress", "GRAPH_NAME",
           "VALUE_COLOR", "GRAD_COLOR", "LOCAL_COLOR", "HIDDEN_COLOR"]

GRAPH_NAME = "circuit"
FONT = "Helvetica"
CAPTION_FONT = "Courier"
MONOSPACE_ADVANCE = 0.62
"""A character of the caption font is at most this many ems wide (Courier: 0.6)."""
"""Captions are step texts, monospaced as in a REPL (which also lets a caption's width be fixed)."""
VALUE_COLOR = "#138a36"
GRAD_COLOR = "#d62728"
LOCAL_COLOR = "#1f5fbf"
HIDDEN_COLOR = "transparent"
"""A gradient a step-through frame has not reached yet is written in this colour: invisible, but
its label already has its final size, so nothing moves from one frame to the next."""
NAME_COLOR = "#555555"
HIGHLIGHT_COLOR = "#ff8c00"
ACTIVE_FILL = "#ffe27a"
GATE_FILL = "#f6f6f6"
GROUP_FILL = "#e6eefc"
ROLE_COLOR = "#444444"
OPERAND_ROLES = {"-": ("+", "−"), "/": ("num", "den"), "**": ("base", "exp")}
"""Marks at the arrowheads of a non-commutative gate's two wires, so ``a - b`` is unambiguous."""
MAX_INNER_LINES = 8
"""A collapsed gate in a step-through lists at most this many of its inner gates."""
LAYOUT_LIMITS = "nslimit=5 nslimit1=5 searchsize=30"
"""Bounds on Graphviz's network-simplex passes (iterations per node, edges searched): small
diagrams lay out exactly as without them, while a gate that fans out to 80 others took 4.6 s
instead of over a minute."""
MAX_CIRCLE_SYMBOL = 4
"""Gate symbols up to this many characters sit in a circle, longer ones in a rounded box."""


def _ids(nodes: Optional[Collection[Any]]) -> Optional[Set[int]]:
    if nodes is None:
        return None
    if hasattr(nodes, "inputs"):  # a single node passed where a collection is expected
        nodes = (nodes,)
    return {id(node) for node in nodes}


def _backward_ran(root: Any) -> bool:
    g = root.grad
    if g is None:
        return False
    try:
        return bool((g != 0).any()) if hasattr(g, "any") else g != 0
    except (TypeError, ValueError):
        return True


@dataclass
class Progress:
    """How far a backward pass has got, for drawing one frame of a step-through.

    Attributes:
        step_of: ``id(gate) -> k`` for the gate that step k of the pass processes.
        done: steps 1 .. ``done`` have run.
    """

    step_of: Dict[int, int]
    done: int

    @classmethod
    def of(cls, processed: Sequence[Any]) -> "Progress":
        """Progress after processing ``processed`` (gates in step order)."""
        if hasattr(processed, "inputs"):
            processed = (processed,)
        processed = list(processed)
        return cls({id(node): k for k, node in enumerate(processed, 1)}, len(processed))

    def ran(self, node: Any) -> bool:
        """Whether ``node``'s chain-rule step has run."""
        step = self.step_of.get(id(node))
        return step is not None and step <= self.done


class _Writer:
    """Turns a :class:`Circuit` and the drawing options into DOT statements.

    The gradient on a wire ``x -> gate`` is the gradient flowing back along that wire: the gate's
    chain-rule product for that input position, ``local * gate.grad``. At a fork the branches add
    up to ``x.grad`` (written under a fanned-out leaf's name).
    """

    def __init__(self, circuit: Circuit, *, show_grads: bool, local_grads: bool, precision: int,
                 grads_for: Optional[Set[int]], progress: Optional[Progress],
                 products: Dict[int, List[Any]], highlighted: Set[int], path: Set[int],
                 active: Any, arrivals: Optional[Dict[int, int]] = None,
                 inner: bool = False):
        self.circuit = circuit
        self.arrivals = arrivals
        self.inner = inner
        self.precision = precision
        self.local_grads = local_grads
        self.grads_visible = show_grads and (grads_for is not None or progress is not None
                                             or _backward_ran(circuit.root))
        self.grads_for = grads_for
        self.progress = progress
        self.products = products
        self.highlighted = highlighted
        self.path = path
        self.active = active
        self.names = node_names(circuit.root, circuit.order)
        self.wires_from: Dict[str, List[Wire]] = {}
        for wire in circuit.wires:
            self.wires_from.setdefault(wire.src.uid, []).append(wire)

    # Gradients.
    def _products_of(self, consumer: Any) -> List[Any]:
        products = self.products.get(id(consumer))
        if products is None:
            products = list(consumer.input_grads) or [None] * len(consumer.inputs)
            self.products[id(consumer)] = products
        return products

    def wire_gradient(self, wire: Wire) -> Any:
        """The gradient flowing back along ``wire``, or None (a constant's wire, or unknown)."""
        if wire.dst is None:
            return wire.node.grad
        if is_constant(wire.node):
            return None  # nobody asks for d f / d 2
        total = None
        for consumer, position in wire.uses:
            product = self._products_of(consumer)[position]
            if product is None:
                return None
            total = product if total is None else total + product
        return total

    def _arrived(self, wire: Wire) -> bool:
        """Whether the wire's gradient is shown yet (else it is drawn invisibly, keeping room)."""
        if self.grads_for is not None:
            return id(wire.node) in self.grads_for
        if self.progress is not None:
            if wire.dst is None:
                return self.progress.ran(wire.node)
            return all(self.progress.ran(consumer) for consumer, _ in wire.uses)
        return True

    def _arrival(self, wire: Wire) -> int:
        """The step after which the wire's gradient is known (0: before any step)."""
        arrivals = self.arrivals or {}
        if wire.dst is None:
            return arrivals.get(id(wire.node), 0)
        return max((arrivals.get(id(consumer), 0) for consumer, _ in wire.uses), default=0)

    def _grad_font(self, text: str, shown: bool, size: str = "") -> str:
        color = GRAD_COLOR if shown else HIDDEN_COLOR
        size = f' point-size="{size}"' if size else ""
        return f'<font color="{color}"{size}>{escape_html(text)}</font>'

    # Numbers on wires.
    def name(self, node: Any) -> str:
        """The node's name, as the step texts call it (:func:`autograd.steps.node_names`)."""
        return self.names.get(id(node), "")

    def _output_tag(self, unit: Unit, node: Any) -> str:
        """How a wire out of ``unit`` is named (the tags a group's local gradients refer to)."""
        return self.name(node)

    def wire_label(self, wire: Wire) -> str:
        node = wire.node
        p = self.precision
        value = f'<font color="{VALUE_COLOR}">{escape_html(format_quantity(node.data, p))}</font>'
        name = ""
        if wire.src.kind in ("gate", "group") and wire.dst is not None:
            name = self._output_tag(wire.src, node)
        if name:
            value = f'<font color="{NAME_COLOR}">{escape_html(name)} = </font>{value}'
        lines = [value]
        grad = self.wire_gradient(wire) if self.grads_visible else None
        if grad is not None:
            lines.append(self._grad_font(format_gradient(grad, p), self._arrived(wire)))
        if self.local_grads and wire.local is not None:
            lines.append(f'<font color="{LOCAL_COLOR}" point-size="11">'
                         f'{escape_html(self._local_text(wire))}</font>')
        return "<" + "<br/>".join(lines) + ">"

    def _local_text(self, wire: Wire) -> str:
        local = wire.local
        p = self.precision
        if not isinstance(local, list):
            return f"local {format_gradient(local, p)}"
        outputs = wire.dst.outputs
        if len(local) == 1:
            return f"local {format_gradient(local[0], p)}"
        return "local " + ", ".join(f"{self._output_tag(wire.dst, o)}: {format_gradient(g, p)}"
                                    for o, g in zip(outputs, local))

    def _leaf_label(self, unit: Unit) -> Optional[str]:
        """An HTML label for a leaf that fans out (its total gradient under its name: the sum of
        its wires' gradients) or that is the root itself (its value and gradient); else None."""
        node = unit.node
        p = self.precision
        label = self.name(node)
        name = f'<font point-size="18">{escape_html(label)}</font>' if label else ""
        wires = self.wires_from.get(unit.uid, [])
        if node is self.circuit.root:
            lines = [name] if name else []
            lines.append(f'<font color="{VALUE_COLOR}">{escape_html(format_quantity(node.data, p))}'
                         '</font>')
            if self.grads_visible and node.grad is not None:
                shown = self.grads_for is None or id(node) in self.grads_for
                lines.append(self._grad_font(format_gradient(node.grad, p), shown))
            return "<" + "<br/>".join(lines) + ">"
        if len(wires) < 2 or not self.grads_visible or node.grad is None:
            return None
        shown = all(self._arrived(wire) for wire in wires)
        total = self._grad_font(f"grad {format_gradient(node.grad, p)}", shown, size="12")
        return "<" + "<br/>".join(([name] if name else []) + [total]) + ">"

    # Boxes.
    def unit_statement(self, unit: Unit) -> str:
        attrs = self._unit_attrs(unit)
        nodes = unit.members if unit.kind == "group" else (unit.node,)
        ids = {id(n) for n in nodes}
        if self.active is not None and id(self.active) in ids:
            attrs.update(style='"filled,bold"' if unit.kind != "group" else '"rounded,filled,bold"',
                         fillcolor=quote(ACTIVE_FILL), penwidth="2.5")
        if ids & self.highlighted or ids & self.path:
            attrs.update(color=quote(HIGHLIGHT_COLOR), penwidth="3",
                         fontcolor=quote(HIGHLIGHT_COLOR) if unit.kind in ("leaf", "constant")
                         else quote("black"))
        if self.arrivals is not None:
            attrs["id"] = quote(unit.uid)
            wires = self.wires_from.get(unit.uid, [])
            if unit.kind == "leaf" and len(wires) > 1:  # its total gradient, under its name
                attrs["class"] = quote(f"arrive-{max(self._arrival(w) for w in wires)}")
        return f"{unit.uid} [{' '.join(f'{k}={v}' for k, v in attrs.items())}]"

    def _unit_attrs(self, unit: Unit) -> Dict[str, str]:
        node = unit.node
        if unit.kind == "leaf":
            label = self._leaf_label(unit)
            if label is not None:
                return {"label": label, "shape": "plaintext"}
            if self.name(node):
                return {"label": quote(self.name(node)), "shape": "plaintext", "fontsize": "18"}
            return {"label": '""', "shape": "point", "width": "0.08"}
        if unit.kind == "constant":
            return {"label": quote(format_quantity(node.data, self.precision)),
                    "shape": "plaintext", "fontcolor": quote(NAME_COLOR)}
        if unit.kind == "group":
            if self.inner:
                label = self._inner_label(unit)
            else:
                owns = len(unit.gate.owned()) if hasattr(unit.gate, "owned") else 0
                label = quote(unit.gate.name + (
                    f"\n{owns:,} parameter{'s' if owns != 1 else ''}" if owns else ""))
            return {"label": label, "shape": "box", "style": '"rounded,filled"',
                    "fillcolor": quote(GROUP_FILL), "fontsize": "16", "margin": '"0.2,0.1"'}
        symbol = gate_symbol(node, unit.folded, self.precision)
        attrs = {"label": quote(symbol), "style": "filled", "fillcolor": quote(GATE_FILL)}
        if len(symbol) <= MAX_CIRCLE_SYMBOL:
            attrs.update(shape="circle", width="0.6", fixedsize="true",
                         fontsize="20" if len(symbol) <= 2 else "14")
        else:
            attrs.update(shape="box", style='"rounded,filled"')
        return attrs

    def _inner_label(self, unit: Unit) -> str:
        """A collapsed gate's name over its inner gates (``a = w * x`` ...): the step-through's
        captions walk through them, so their names must be on the picture."""
        members = unit.members
        shown = members if len(members) <= MAX_INNER_LINES else members[:MAX_INNER_LINES - 1]
        lines = [f"{self.name(m)} = {gate_expression(m, self.precision, self.names)}"
                 for m in shown]
        if len(shown) < len(members):
            lines.append(f"… {len(members) - len(shown)} more gates")
        inner = "".join(f'{escape_html(line)}<br align="left"/>' for line in lines)
        return (f'<<font point-size="16">{escape_html(unit.gate.name)}</font><br/>'
                f'<font point-size="11" color="{NAME_COLOR}">{inner}</font>>')

    # Arrows.
    @staticmethod
    def _operand_role(wire: Wire) -> str:
        dst = wire.dst
        if dst is None or dst.kind != "gate" or any(dst.folded):
            return ""
        consumer = wire.consumer
        roles = OPERAND_ROLES.get(consumer.op)
        if roles is None or len(consumer.inputs) != 2 or consumer.inputs[0] is consumer.inputs[1]:
            return ""
        return roles[0] if consumer.inputs[0] is wire.node else roles[1]

    def wire_statement(self, wire: Wire, src: str, dst: str, cut: bool = False) -> str:
        attrs = {"label": self.wire_label(wire)}
        role = self._operand_role(wire)
        if role:
            attrs.update(headlabel=quote(role), labelfontsize="12",
                         labelfontcolor=quote(ROLE_COLOR), labeldistance="1.6", labelangle="-35")
        if cut:
            attrs["style"] = "dashed"
        if self.arrivals is not None:
            attrs["class"] = quote(f"arrive-{self._arrival(wire)} into-{dst}")
        on_path = id(wire.node) in self.path and (
            id(wire.consumer) in self.path if wire.consumer is not None
            else id(wire.node) in self.path)
        if on_path:
            attrs.update(color=quote(HIGHLIGHT_COLOR), penwidth="3")
        elif self.active is not None and any(c is self.active for c, _ in wire.uses):
            attrs.update(color=quote("#b8860b"), penwidth="2.5")
        return f"{src} -> {dst} [{' '.join(f'{k}={v}' for k, v in attrs.items())}]"


LEGEND = ((VALUE_COLOR, "value"), (GRAD_COLOR, "gradient d out / d wire"),
          (LOCAL_COLOR, "local gradient d gate / d input"))
"""What the colours of the numbers mean (the step-through page shows the same legend)."""


def _legend(local_grads: bool) -> str:
    """One line of coloured squares and their meanings, for an HTML-like label."""
    entries = LEGEND if local_grads else LEGEND[:2]
    items = "&#160;&#160;&#160;".join(f'<font color="{color}">&#9632;</font> {escape_html(text)}'
                                     for color, text in entries)
    return f'<font point-size="13">{items}</font><br align="left"/>'


def _html_lines(text: str, size: int, bold: bool = False, face: str = "",
                columns: int = 0) -> str:
    """Left-aligned lines as an HTML-like label; with ``columns`` (for the monospaced caption
    font) the label is a table cell at least that many characters wide, so its width is fixed."""
    lines = []
    for line in printable(text).split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        # Leading spaces are kept, and an empty line is as tall as any other.
        lines.append("&#160;" * indent + escape_html(line[indent:]) if line else "&#160;")
    body = '<br align="left"/>'.join(lines) + '<br align="left"/>'
    if bold:
        body = f"<b>{body}</b>"
    face = f' face="{face}"' if face else ""
    body = f'<font point-size="{size}"{face}>{body}</font>'
    if columns:
        width = math.ceil(columns * MONOSPACE_ADVANCE * size)
        body = (f'<table border="0" cellborder="0" cellpadding="0" cellspacing="0"><tr>'
                f'<td width="{width}" align="left" balign="left">{body}</td></tr></table>')
    return f"<{body}>"


def _cluster_tree(units: Sequence[Unit]) -> Tuple[List[Any], Dict[int, List[Any]], Dict[int, Any]]:
    """The named gates that hold drawn units, as a tree: (top gates, children, gate by id).

    ``children[id(gate)]`` lists, in drawing order, the units and child gates inside ``gate``.
    """
    children: Dict[int, List[Any]] = {}
    gates: Dict[int, Any] = {}
    top: List[Any] = []
    for unit in units:
        item: Any = unit
        gate = unit.cluster
        while True:
            bucket = top if gate is None else children.setdefault(id(gate), [])
            if gate is not None and id(gate) in gates:
                bucket.append(item)
                break
            bucket.append(item)
            if gate is None:
                break
            gates[id(gate)] = gate
            item, gate = gate, gate.parent
    return top, children, gates


def _emit_units(writer: _Writer, items: List[Any], children: Dict[int, List[Any]],
                lines: List[str], indent: str) -> None:
    """Unit statements, with nested ``subgraph cluster_*`` blocks for expanded named gates."""
    stack: List[Tuple[List[Any], int, str, bool]] = [(items, 0, indent, False)]
    cluster_count = 0
    while stack:
        batch, position, pad, in_cluster = stack.pop()
        if position == len(batch):
            if in_cluster:
                lines.append(pad[:-1] + "}")
            continue
        stack.append((batch, position + 1, pad, in_cluster))
        item = batch[position]
        if isinstance(item, Unit):
            lines.append(pad + writer.unit_statement(item))
            continue
        lines.append(f"{pad}subgraph cluster_{cluster_count} {{")
        cluster_count += 1
        inner = pad + "\t"
        lines.append(f'{inner}label={quote(item.name)} style="rounded,dashed" color="#7a7a7a" '
                     f'fontcolor="#333333" fontsize=15 labeljust=l labelloc=t peripheries=1')
        stack.append((children[id(item)], 0, inner, True))


def dot_lines(root: Any, *, show_grads: bool = True, local_grads: bool = False,
              precision: int = 4, highlight: Collection[Any] = (),
              highlight_path: Optional[Tuple[Any, Any]] = None, rankdir: str = "LR",
              title: Optional[str] = None, collapse: Union[None, bool, Collection[str]] = None,
              around: Any = None, depth: Optional[int] = None,
              max_nodes: Optional[int] = DEFAULT_MAX_NODES,
              grads_for: Optional[Collection[Any]] = None,
              processed: Optional[Sequence[Any]] = None, active: Any = None,
              caption: Optional[str] = None, legend: bool = False) -> List[str]:
    """The statements of the diagram's DOT body, one per line (see :func:`viz.draw` for options)."""
    if not hasattr(root, "inputs"):
        raise TypeError(f"draw() needs a node (a Value or Tensor), got {type(root).__name__}")
    progress = None if processed is None else Progress.of(processed)
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be >= 1 (or None for every node), got {max_nodes}")
    # Capped and drawn from the root: only the part shown is built.
    limit = max_nodes if around is None else None
    return circuit_lines(build_circuit(root, collapse, limit), show_grads=show_grads,
                         local_grads=local_grads, precision=precision, highlight=highlight,
                         highlight_path=highlight_path, rankdir=rankdir, title=title,
                         around=around, depth=depth, max_nodes=max_nodes, grads_for=grads_for,
                         progress=progress, active=active, caption=caption, legend=legend)


def circuit_lines(circuit: Circuit, *, show_grads: bool = True, local_grads: bool = False,
                  precision: int = 4, highlight: Collection[Any] = (),
                  highlight_path: Optional[Tuple[Any, Any]] = None, rankdir: str = "LR",
                  title: Optional[str] = None, around: Any = None, depth: Optional[int] = None,
                  max_nodes: Optional[int] = None, grads_for: Optional[Collection[Any]] = None,
                  progress: Optional[Progress] = None, active: Any = None,
                  caption: Optional[str] = None, caption_columns: int = 0,
                  products: Optional[Dict[int, List[Any]]] = None, legend: bool = False,
                  arrivals: Optional[Dict[int, int]] = None, inner: bool = False) -> List[str]:
    """:func:`dot_lines` for an already built circuit; the step-through draws every frame of one
    circuit this way, sharing ``products`` (``id(gate) -> the gate's input_grads``) between frames and
    padding every caption to ``caption_columns`` characters.

    ``arrivals`` (``id(gate) -> k`` for step k) is for the step-through page, which draws one
    diagram for all its frames: every unit gets its uid as SVG id, and every wire (and fanned-out
    input) with a gradient the SVG classes ``arrive-K`` (its gradient is known after step K) and
    ``into-ID`` (the DOT id it feeds), so the page can show each frame by hiding text. ``inner``
    lists inside each collapsed gate the inner gates the step-through's captions name.
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    if not isinstance(precision, int) or precision < 1:
        raise ValueError(f"precision must be a positive int, got {precision!r}")
    root = circuit.root
    kept = select(circuit, around, depth, max_nodes)
    path: Set[int] = set()
    if highlight_path is not None:
        source, target = highlight_path
        path = path_nodes(circuit.order, source, target) or path_nodes(circuit.order, target,
                                                                         source)
        if not path:
            raise ValueError("highlight_path: no path between the two nodes in this circuit")
    writer = _Writer(circuit, show_grads=show_grads, local_grads=local_grads,
                     precision=precision, grads_for=_ids(grads_for), progress=progress,
                     products={} if products is None else products,
                     highlighted=_ids(highlight) or set(), path=path, active=active,
                     arrivals=arrivals, inner=inner)

    lines = [f'graph [rankdir={rankdir} fontname="{FONT}" bgcolor=white pad=0.3 nodesep=0.45 '
             # ordering=in: a gate's inputs in operand order (w0 above x0 above w1 above x1)
             f'ranksep=0.5 newrank=true ordering=in {LAYOUT_LIMITS}]',
             f'node [fontname="{FONT}" fontsize=14 color="#333333" penwidth=1.3]',
             f'edge [fontname="{FONT}" fontsize=13 color="#444444" arrowsize=0.7 penwidth=1.3]']
    if title or legend:
        label = _html_lines(title, 20, bold=True) if title else "<>"
        if legend:
            label = f"{label[:-1]}{_legend(local_grads)}>"
        lines.append(f"graph [label={label} labelloc=t labeljust=l]")
    indent = ""
    if caption:
        lines.append("subgraph cluster_caption {")
        indent = "\t"
        label = _html_lines(caption, 13, face=CAPTION_FONT, columns=caption_columns)
        lines.append(f"{indent}label={label} labelloc=b labeljust=l peripheries=0")
    drawn = [unit for unit in circuit.units if unit.uid in kept]
    top, children, _ = _cluster_tree(drawn)
    _emit_units(writer, top, children, lines, indent)
    note = omitted_note(circuit, len(drawn))
    if note:
        lines.append(f'{indent}more [label={quote(note)} '
                     f'shape=box style="rounded,dashed" color="#888888" fontcolor="#555555"]')
    for k, (uid, count) in enumerate(circuit.elided.items()):
        if uid in kept:  # a gate whose other inputs a capped drawing leaves out
            lines.append(f'{indent}elided{k} [label={quote(f"… {count:,} more inputs")} '
                         f'shape=plaintext fontcolor="#555555"]')
            lines.append(f'{indent}elided{k} -> {uid} [style=dashed color="#888888"]')
    if caption:
        lines.append("}")
    root_uid = circuit.unit_for(root).uid
    if root_uid in kept and root.inputs:
        root_name = writer.name(root)
        end = f'[label={quote(root_name)} shape=plaintext fontsize=18]' if root_name else (
            '[label="" shape=none width=0 height=0]')
        lines.append(f"out {end}")
    cuts = 0
    for wire in circuit.wires:
        src_in = wire.src.uid in kept
        if wire.dst is None:
            if src_in:
                lines.append(writer.wire_statement(wire, wire.src.uid, "out"))
            continue
        dst_in = wire.dst.uid in kept
        if src_in and dst_in:
            lines.append(writer.wire_statement(wire, wire.src.uid, wire.dst.uid))
        elif src_in or dst_in:
            stub = f"cut{cuts}"
            cuts += 1
            lines.append(f'{stub} [label="⋯" shape=plaintext fontcolor="#888888"]')
            src, dst = (wire.src.uid, stub) if src_in else (stub, wire.dst.uid)
            lines.append(writer.wire_statement(wire, src, dst, cut=True))
    lines += _input_order(circuit, kept)
    return [f"\t{line}\n" for line in lines]


def _input_order(circuit: Circuit, kept: Set[str]) -> List[str]:
    """Invisible edges within a rank that keep each gate's input wires top to bottom (left to
    right for ``rankdir=TB``) in operand order: w0 above x0 above w1 above x1.

    ``ordering=in`` does this for most graphs, but Graphviz drops it around clusters (a named
    gate drawn expanded). Only inputs with a single wire take part, so the edges never conflict.
    """
    wires_from: Dict[str, int] = {}
    for wire in circuit.wires:
        wires_from[wire.src.uid] = wires_from.get(wire.src.uid, 0) + 1
    inputs: Dict[str, List[str]] = {}
    for wire in circuit.wires:
        src, dst = wire.src, wire.dst
        if (dst is not None and src.kind == "leaf" and wires_from[src.uid] == 1
                and src.uid in kept and dst.uid in kept):
            inputs.setdefault(dst.uid, []).append(src.uid)
    return [f"{{rank=same; {a} -> {b} [style=invis]}}"
            for leaves in inputs.values() for a, b in zip(leaves, leaves[1:])]


def to_dot(root: Any, **options: Any) -> str:
    """The diagram's DOT source as a string; needs no Graphviz program (options as :func:`draw`)."""
    return f"digraph {GRAPH_NAME} {{\n{''.join(dot_lines(root, **options))}}}\n"

