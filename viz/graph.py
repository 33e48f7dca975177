"""What a circuit diagram shows, before any DOT is written: units (boxes) and wires (arrows).

A *unit* is one thing drawn: a leaf (a named input wire), a gate, a constant that could not be
folded into its gate, or a collapsed named gate standing for a whole group of primitive gates.
A *wire* carries one node's value from the unit that computes it to a unit that consumes it, and
records which uses of the node (consumer, input position) it stands for, so the drawing can show
the gradient flowing back along that very wire; the root also gets an output wire (unless it is a
lone leaf).

For a collapsed group with output ``o`` and external input ``x`` the wire into the group shows the
combined local gradient d o / d x. It is the chain rule run inside the group only: seed an adjoint
of 1 at ``o``, walk the group's members from last to first, and pass ``adjoint * local`` to each
input. For the sigmoid group ``1 / (1 + exp(-x))`` this gives (1 - s) s. The nodes' real ``.grad``
values are never touched.

Every traversal is iterative and visits each node and each input once, so a 10,000-node graph
costs 10,000 steps, never 10,000 squared.
"""

from __future__ import annotations

import numbers
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Collection, Dict, Iterable, List, Optional, Set, Tuple, Union

from autograd.walk import forward_order, local_grads_of

from .labels import is_constant

__all__ = ["Unit", "Wire", "Circuit", "build_circuit", "select", "path_nodes"]


@dataclass(eq=False)
class Unit:
    """One drawn box.

    Attributes:
        uid: stable DOT id (``n<k>`` for node k in topological order, ``g<k>`` for group k).
        kind: ``"leaf"``, ``"constant"``, ``"gate"`` or ``"group"``.
        node: the node drawn (for a group: its first member).
        cluster: the innermost expanded named gate the unit sits in, or None.
        gate: for a group, the collapsed :class:`autograd.Gate`; else None.
        folded: for a gate, which inputs are constants written into its symbol.
        members: for a group, its nodes in topological order.
        outputs: for a group, the members used outside it (or the root).
    """

    uid: str
    kind: str
    node: Any
    cluster: Any = None
    gate: Any = None
    folded: tuple = ()
    members: List[Any] = field(default_factory=list)
    outputs: List[Any] = field(default_factory=list)


@dataclass(eq=False)
class Wire:
    """A wire from ``src`` to ``dst`` (None: the root's output) carrying ``node``'s value.

    Attributes:
        consumer: the node that reads the wire (None for the output wire; for a wire into a
            collapsed group, the first member that reads it).
        local: the local gradient d consumer / d node, or for a collapsed group one combined local
            gradient per group output; None when unknown.
        uses: every ``(consumer, input position)`` the wire stands for: one for a wire into a gate
            (``x * x`` has two wires from ``x``, at positions 0 and 1), each use of ``node`` by a
            member for a wire into a collapsed group, none for the output wire. The gradient that
            flows back along the wire is the sum of the chain-rule products of its uses.
    """

    src: Unit
    dst: Optional[Unit]
    node: Any
    consumer: Any = None
    local: Any = None
    uses: Tuple[Tuple[Any, int], ...] = ()


@dataclass
class Circuit:
    """The units and wires of a drawing, in a deterministic order (topological)."""

    root: Any
    order: List[Any]
    units: List[Unit]
    wires: List[Wire]
    unit_of: Dict[int, Unit]

    def unit_for(self, node: Any) -> Optional[Unit]:
        """The unit that draws ``node`` (its group when collapsed), or None if it is not drawn."""
        return self.unit_of.get(id(node))


def _collapse_test(collapse: Union[None, bool, Collection[str]], order: List[Any]):
    """Which gates to collapse; names that are no gate of the graph are a ValueError."""
    if collapse is None or collapse is False:
        return lambda gate: False
    if collapse is True:
        return lambda gate: True
    if isinstance(collapse, str):
        collapse = (collapse,)
    names = frozenset(collapse)
    present = _gate_names(order)
    unknown = sorted(names - set(present), key=str)
    if unknown:
        have = (f"its named gates are {', '.join(repr(n) for n in present)}" if present
                else "it has no named gates (see autograd.gate)")
        raise ValueError(f"collapse: no gate named {', '.join(repr(n) for n in unknown)} in this "
                         f"graph; {have}")
    return lambda gate: gate.name in names


def _gate_names(order: List[Any]) -> List[str]:
    """The names of every named gate (and enclosing gate) in the graph, first seen first."""
    names: Dict[str, None] = {}
    seen: Set[int] = set()
    for node in order:
        gate = node.gate
        while gate is not None and id(gate) not in seen:
            seen.add(id(gate))
            names.setdefault(gate.name, None)
            gate = gate.parent
    return list(names)


def _group_of(node: Any, collapsed) -> Any:
    """The outermost collapsed gate around ``node``, or None."""
    group = None
    gate = node.gate
    while gate is not None:
        if collapsed(gate):
            group = gate
        gate = gate.parent
    return group


def _combined_locals(members: List[Any], output: Any, group_ids: Set[int]) -> Dict[int, Any]:
    """d output / d x for each input x from outside the group, from the engine
    (:func:`autograd.walk.local_grads_of`: the walk stopped at the wires that enter it)."""
    external = []
    seen: Set[int] = set()
    for node in members:
        for x in node.inputs:
            if id(x) not in group_ids and id(x) not in seen and x.requires_grad:
                seen.add(id(x))
                external.append(x)
    if not external or not isinstance(output.data, numbers.Real):
        return {}
    return dict(zip(map(id, external), local_grads_of(output, external)))


def build_circuit(root: Any, collapse: Union[None, bool, Collection[str]] = None) -> Circuit:
    """The units and wires that draw ``root``'s graph.

    Args:
        root: the output node.
        collapse: None/False (every named gate drawn as a cluster), True (every named gate drawn
            as one gate), or the names of the gates to collapse. Nested gates collapse into the
            outermost collapsed one.
    """
    order = forward_order(root)
    collapsed = _collapse_test(collapse, order)
    group_key: Dict[int, Any] = {}
    if collapse:
        for node in order:
            if node.inputs:
                group = _group_of(node, collapsed)
                if group is not None:
                    group_key[id(node)] = group

    # Pass 1: which constants stay visible, which group members are outputs.
    visible_constants: Set[int] = set()
    outputs: Set[int] = {id(root)}
    for node in order:
        inputs = node.inputs
        own_group = group_key.get(id(node))
        for x in inputs:
            if is_constant(x):
                if len(inputs) != 2 and own_group is None:
                    visible_constants.add(id(x))
            elif group_key.get(id(x)) is not None and group_key.get(id(x)) is not own_group:
                outputs.add(id(x))

    # Pass 2: units, in topological order.
    units: List[Unit] = []
    unit_of: Dict[int, Unit] = {}
    groups: Dict[int, Unit] = {}
    for k, node in enumerate(order):
        group = group_key.get(id(node))
        if group is not None:
            unit = groups.get(id(group))
            if unit is None:
                unit = Unit(f"g{len(groups)}", "group", node, group.parent, group)
                groups[id(group)] = unit
                units.append(unit)
            unit.members.append(node)
            if id(node) in outputs:
                unit.outputs.append(node)
        elif not node.inputs:
            constant = is_constant(node)
            if constant and id(node) not in visible_constants and node is not root:
                continue
            unit = Unit(f"n{k}", "constant" if constant else "leaf", node)
            units.append(unit)
        else:
            folded = tuple(len(node.inputs) == 2 and is_constant(x) for x in node.inputs)
            unit = Unit(f"n{k}", "gate", node, node.gate, folded=folded)
            units.append(unit)
        unit_of[id(node)] = unit

    combined: Dict[int, Dict[int, Dict[int, Any]]] = {}
    for unit in groups.values():
        ids = {id(m) for m in unit.members}
        combined[id(unit)] = {id(o): _combined_locals(unit.members, o, ids) for o in unit.outputs}

    # Pass 3: wires, in the consumers' topological order; one wire per input of a group.
    wires: List[Wire] = []
    into_groups: Dict[tuple, Wire] = {}
    for node in order:
        if not node.inputs:
            continue
        dst = unit_of[id(node)]
        locals_ = node.local_grads
        for k, x in enumerate(node.inputs):
            src = unit_of.get(id(x))
            if src is None or src is dst or (dst.kind == "gate" and dst.folded[k]):
                continue
            if dst.kind == "group":
                key = (id(x), dst.uid)
                wire = into_groups.get(key)
                if wire is not None:
                    wire.uses += ((node, k),)
                    continue
                per_output = combined[id(dst)]
                local = [per_output[id(o)].get(id(x), 0.0) for o in dst.outputs] if all(
                    per_output.values()) else None
                wire = into_groups[key] = Wire(src, dst, x, node, local, ((node, k),))
            else:
                local = locals_[k] if k < len(locals_) else None
                wire = Wire(src, dst, x, node, local, ((node, k),))
            wires.append(wire)
    if root.inputs:  # a lone leaf is drawn as one box, not as a box and an output wire
        wires.append(Wire(unit_of[id(root)], None, root))
    return Circuit(root, order, units, wires, unit_of)


def select(circuit: Circuit, around: Any = None, depth: Optional[int] = None,
           max_nodes: Optional[int] = None) -> Set[str]:
    """The uids of the units to draw: within ``depth`` wires of ``around``, at most ``max_nodes``.

    Breadth-first from ``around`` (default: the root's unit), following wires both ways, so the
    nearest units are kept first.
    """
    if around is None and depth is None and max_nodes is None:
        return {unit.uid for unit in circuit.units}
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be >= 1, got {max_nodes}")
    start = circuit.unit_for(circuit.root if around is None else around)
    if start is None:
        raise ValueError(f"around={around!r} is not drawn in this circuit (is it part of the "
                         "graph of root, and not a constant folded into a gate?)")
    neighbours: Dict[str, List[Unit]] = {}
    for wire in circuit.wires:
        if wire.dst is not None:
            neighbours.setdefault(wire.src.uid, []).append(wire.dst)
            neighbours.setdefault(wire.dst.uid, []).append(wire.src)
    limit = len(circuit.units) if max_nodes is None else max_nodes
    kept = {start.uid}
    queue = deque([(start, 0)])
    while queue and len(kept) < limit:
        unit, distance = queue.popleft()
        if depth is not None and distance >= depth:
            continue
        for other in neighbours.get(unit.uid, ()):
            if other.uid not in kept:
                kept.add(other.uid)
                if len(kept) >= limit:
                    break
                queue.append((other, distance + 1))
    return kept


def path_nodes(order: Iterable[Any], source: Any, target: Any) -> Set[int]:
    """ids of the nodes on some path from ``source`` forward to ``target`` (empty if none)."""
    order = list(order)
    ancestors: Set[int] = {id(target)}
    for node in reversed(order):  # consumers come after their inputs
        if id(node) in ancestors:
            ancestors.update(id(x) for x in node.inputs)
    if id(source) not in ancestors:
        return set()
    on_path: Set[int] = {id(source)}
    for node in order:
        if id(node) in ancestors and any(id(x) in on_path for x in node.inputs):
            on_path.add(id(node))
    return on_path & ancestors
