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
costs 10,000 steps, never 10,000 squared. A drawing is capped (:data:`DEFAULT_MAX_NODES` boxes):
then only the part nearest the root is built, breadth-first along inputs, and the rest is counted
(up to :data:`COUNT_LIMIT`) for the "... N more nodes" note, so a capped drawing of a million-node
graph costs time in proportion to what it shows.

A model's gates (``autograd.gate(..., collapse=True)``: the neurons and layers of
:mod:`autograd.nn`) are collapsed unless told otherwise, and the parameters a collapsed gate owns
(``owns=``) are drawn inside its box: a wire per weight would bury the picture.
"""

from __future__ import annotations

import fnmatch
import numbers
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Collection, Dict, Iterable, List, Optional, Set, Tuple, Union

from autograd.walk import forward_order, local_grads_of

from .labels import is_constant

__all__ = ["Unit", "Wire", "Circuit", "build_circuit", "select", "path_nodes", "omitted_note",
           "DEFAULT_MAX_NODES", "COUNT_LIMIT", "MAX_FANOUT", "MAX_FANIN"]

DEFAULT_MAX_NODES = 300
"""A drawing shows at most this many boxes unless ``max_nodes`` says otherwise (None: all)."""
MAX_FANIN = 8
"""A capped drawing shows at most this many inputs of one gate that need a box of their own (the
rest are counted on a dashed "… N more inputs" stub)."""
MAX_FANOUT = 6
"""An input that feeds more gates than this is drawn again beside each further gate, so no wire
jumps across the whole diagram: Graphviz's layout time grows with the square of such long wires
(``x + x + ... + x`` with 200 terms took minutes)."""
COUNT_LIMIT = 10_000
"""Nodes left out of a capped drawing are counted up to this many ("over 10,000 more")."""


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
    frontier: Set[str] = field(default_factory=set)
    """uids of units only built to end the wires that leave a capped region; never drawn."""
    hidden: int = 0
    """Nodes of the graph beyond a capped region (not counting the frontier)."""
    hidden_exact: bool = True
    """False when counting ``hidden`` stopped at :data:`COUNT_LIMIT`."""
    elided: Dict[str, int] = field(default_factory=dict)
    """uid of a unit -> how many of its inputs a capped drawing leaves out (see MAX_FANIN)."""

    def unit_for(self, node: Any) -> Optional[Unit]:
        """The unit that draws ``node`` (its group when collapsed), or None if it is not drawn."""
        return self.unit_of.get(id(node))


def _collapse_test(collapse: Union[None, bool, Collection[str]], order: Iterable[Any] = (),
                   check: bool = True):
    """Which gates to collapse: None keeps each gate's own default (``gate.collapse``), False
    none, True all; names (shell wildcards allowed: ``"neuron 1.*"``) collapse exactly the gates
    they match. With ``check``, a name that matches no gate of ``order`` is a ValueError."""
    if collapse is None:
        return lambda gate: getattr(gate, "collapse", False)
    if collapse is False:
        return lambda gate: False
    if collapse is True:
        return lambda gate: True
    if isinstance(collapse, str):
        collapse = (collapse,)
    names = frozenset(collapse)
    wild = [name for name in names if isinstance(name, str) and any(c in name for c in "*?[")]
    if check:
        present = _gate_names(order)
        unknown = sorted((name for name in names - set(present)
                          if not (name in wild and fnmatch.filter(present, name))), key=str)
        if unknown:
            shown = ", ".join(repr(n) for n in present[:8])
            if len(present) > 8:
                shown += f" and {len(present) - 8} more"
            have = (f"its named gates are {shown}" if present
                    else "it has no named gates (see autograd.gate)")
            raise ValueError(f"collapse: no gate named {', '.join(repr(n) for n in unknown)} in "
                             f"this graph; {have}")
    if not wild:
        return lambda gate: gate.name in names
    return lambda gate: gate.name in names or any(fnmatch.fnmatchcase(gate.name, pattern)
                                                  for pattern in wild)


def _gate_names(order: Iterable[Any]) -> List[str]:
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


def _combined_locals(members: List[Any], output: Any, group_ids: Set[int],
                     owned: Set[int]) -> Dict[int, Any]:
    """d output / d x for each input x from outside the group, from the engine
    (:func:`autograd.walk.local_grads_of`: the walk stopped at the wires that enter it).
    Parameters the group owns (``owned``) are drawn inside it and get none."""
    external = []
    seen: Set[int] = set(owned)
    for node in members:
        for x in node.inputs:
            if id(x) not in group_ids and id(x) not in seen and x.requires_grad:
                seen.add(id(x))
                external.append(x)
    if not external or not isinstance(output.data, numbers.Real):
        return {}
    return dict(zip(map(id, external), local_grads_of(output, external)))


class _Owners:
    """Which parameters a collapsed group owns: those its own gate or a gate nested in it lists
    in ``owns`` (a layer owns its neurons' weights, and so does each neuron)."""

    def __init__(self) -> None:
        self.ids: Dict[int, Set[int]] = {}

    def _of(self, gate: Any) -> Set[int]:
        ids = self.ids.get(id(gate))
        if ids is None:
            owned = gate.owned() if hasattr(gate, "owned") else ()
            ids = self.ids[id(gate)] = {id(p) for p in owned}
        return ids

    def absorbs(self, consumer: Any, group: Any, x: Any) -> bool:
        """Whether input ``x`` of ``consumer`` (a member of the collapsed ``group``) is a
        parameter drawn inside the group's box."""
        if x.inputs:
            return False
        gate = consumer.gate
        while gate is not None:
            if id(x) in self._of(gate):
                return True
            if gate is group:
                return False
            gate = gate.parent
        return False


def _region(root: Any, limit: int, collapsed, owners: _Owners
            ) -> Tuple[List[Any], List[Any], Dict[int, Any], Dict[int, List[Any]]]:
    """The part of the graph a capped drawing shows: breadth-first from the root along inputs,
    until ``limit`` boxes are reached. Constants, further members of a collapsed group already
    reached and parameters drawn inside a group cost no box. A gate shows at most
    :data:`MAX_FANIN` inputs that cost a box (a sum over a batch would otherwise spend the whole
    budget on one column); the others are elided.

    Returns the region (in breadth-first order), the frontier (nodes just outside that feed
    it), each region gate's collapsed group, and the inputs elided at each gate (by id).
    """
    region: List[Any] = [root]
    frontier: List[Any] = []
    elided: Dict[int, List[Any]] = {}
    group_key: Dict[int, Any] = {}
    counted: Set[int] = set()
    seen: Set[int] = {id(root)}

    def cost(node: Any, consumer: Any) -> Tuple[int, Any]:
        """(boxes the node adds, the collapsed group it opens or None)."""
        if not node.inputs:
            if is_constant(node):
                return 0, None
            group = group_key.get(id(consumer)) if consumer is not None else None
            return (0 if group is not None and owners.absorbs(consumer, group, node) else 1), None
        group = _group_of(node, collapsed)
        if group is None:
            return 1, None
        group_key[id(node)] = group
        if id(group) in counted:
            return 0, None
        return 1, group

    boxes, group = cost(root, None)
    if group is not None:
        counted.add(id(group))
    queue = deque([root])
    while queue:
        node = queue.popleft()
        taken = 0
        for x in node.inputs:
            if id(x) in seen:
                continue
            price, group = cost(x, node)
            if price and taken >= MAX_FANIN:
                group_key.pop(id(x), None)
                elided.setdefault(id(node), []).append(x)
                continue  # not seen: another gate may still show it
            seen.add(id(x))
            if price and boxes >= limit:
                group_key.pop(id(x), None)
                frontier.append(x)
                continue
            if group is not None:
                counted.add(id(group))
            boxes += price
            taken += price
            region.append(x)
            queue.append(x)
    for key, xs in list(elided.items()):
        xs = [x for x in xs if id(x) not in seen]
        if xs:
            elided[key] = xs
        else:
            del elided[key]
    return region, frontier, group_key, elided


def _order_within(root: Any, inside: Set[int]) -> List[Any]:
    """The nodes of ``inside`` (ids) in forward order (each after its inputs, operand order), as
    :func:`autograd.walk.forward_order` lists the whole graph; a depth-first post-order with an
    explicit stack."""
    order: List[Any] = []
    seen: Set[int] = set()
    finished: Set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        key = id(node)
        if key in seen:
            if key not in finished:
                finished.add(key)
                order.append(node)
            continue
        seen.add(key)
        stack.append(node)
        for x in reversed(node.inputs):
            if id(x) in inside and id(x) not in seen:
                stack.append(x)
    return order


def _count_beyond(frontier: List[Any], known: Set[int], limit: int) -> Tuple[int, bool]:
    """How many nodes lie behind the frontier (not in ``known``; constants, written into their
    gates, are not counted), counting at most ``limit``: (count, exact)."""
    seen = set(known)
    seen.update(id(x) for x in frontier)
    stack = list(frontier)
    count = 0
    while stack:
        for x in stack.pop().inputs:
            if id(x) not in seen:
                seen.add(id(x))
                if is_constant(x):
                    continue
                count += 1
                if count >= limit:
                    return count, False
                stack.append(x)
    return count, True


def build_circuit(root: Any, collapse: Union[None, bool, Collection[str]] = None,
                  limit: Optional[int] = None) -> Circuit:
    """The units and wires that draw ``root``'s graph.

    Args:
        root: the output node.
        collapse: None (each named gate as it asks: the neurons and layers of
            :mod:`autograd.nn` collapsed, other named gates drawn as clusters), False (every
            named gate drawn as a cluster), True (every named gate drawn as one gate), or the
            names of the gates to collapse (shell wildcards allowed), the others drawn as
            clusters. Nested gates collapse into the outermost collapsed one.
        limit: build only about this many boxes nearest the root (None: the whole graph); the
            rest is counted in ``Circuit.hidden``.
    """
    owners = _Owners()
    frontier: List[Any] = []
    elided: Dict[int, List[Any]] = {}
    if limit is not None:
        # Names are checked against the whole graph only when it is drawn whole: a gate beyond
        # the cap is still a gate of the graph.
        collapsed = _collapse_test(collapse, check=False)
        region, frontier, group_key, elided = _region(root, limit, collapsed, owners)
        if frontier or elided:
            order = _order_within(root, {id(node) for node in region})
        else:
            limit = None
    if limit is None:
        order = forward_order(root)
        collapsed = _collapse_test(collapse, order)
        group_key = {}
        for node in order:
            if node.inputs:
                group = _group_of(node, collapsed)
                if group is not None:
                    group_key[id(node)] = group

    # Pass 1: which constants and parameters stay visible, which group members are outputs.
    visible_constants: Set[int] = set()
    visible_leaves: Set[int] = {id(root)}
    absorbed: Dict[int, Set[int]] = {}  # id(group) -> parameters drawn inside it
    outputs: Set[int] = {id(root)}
    for node in order:
        inputs = node.inputs
        own_group = group_key.get(id(node))
        for x in inputs:
            if is_constant(x):
                # A number is written into its two-input gate; one of many inputs (a model's
                # input fed to w.x+b, even inside a collapsed neuron) is drawn.
                if len(inputs) != 2:
                    visible_constants.add(id(x))
            elif not x.inputs:
                if own_group is not None and owners.absorbs(node, own_group, x):
                    absorbed.setdefault(id(own_group), set()).add(id(x))
                else:
                    visible_leaves.add(id(x))
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
            if not constant and id(node) not in visible_leaves:
                continue
            unit = Unit(f"n{k}", "constant" if constant else "leaf", node)
            units.append(unit)
        else:
            folded = tuple(len(node.inputs) == 2 and is_constant(x) for x in node.inputs)
            unit = Unit(f"n{k}", "gate", node, node.gate, folded=folded)
            units.append(unit)
        unit_of[id(node)] = unit
    edge: Set[str] = set()
    for k, node in enumerate(frontier):
        unit = Unit(f"f{k}", "gate" if node.inputs else "leaf", node)
        units.append(unit)
        unit_of[id(node)] = unit
        edge.add(unit.uid)

    combined: Dict[int, Dict[int, Dict[int, Any]]] = {}
    for unit in groups.values():
        ids = {id(m) for m in unit.members}
        owned = absorbed.get(id(unit.gate), set())
        combined[id(unit)] = {id(o): _combined_locals(unit.members, o, ids, owned)
                              for o in unit.outputs}

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
                if id(x) in absorbed.get(id(dst.gate), ()):
                    continue
                key = (id(x), dst.uid)
                wire = into_groups.get(key)
                if wire is not None:
                    wire.uses += ((node, k),)
                    continue
                per_output = combined[id(dst)]
                local = [per_output[id(o)].get(id(x), 0.0) for o in dst.outputs] if all(
                    per_output.values()) and not is_constant(x) else None
                wire = into_groups[key] = Wire(src, dst, x, node, local, ((node, k),))
            else:
                local = locals_[k] if k < len(locals_) else None
                wire = Wire(src, dst, x, node, local, ((node, k),))
            wires.append(wire)
    if root.inputs:  # a lone leaf is drawn as one box, not as a box and an output wire
        wires.append(Wire(unit_of[id(root)], None, root))
    _copy_wide_fanouts(order, units, wires)
    left_out = list({id(x): x for xs in elided.values() for x in xs}.values())
    hidden, exact = (_count_beyond(frontier + left_out, {id(node) for node in order},
                                   COUNT_LIMIT) if frontier or left_out else (0, True))
    elided_at: Dict[str, int] = {}
    for key, xs in elided.items():
        uid = unit_of[key].uid
        elided_at[uid] = elided_at.get(uid, 0) + len(xs)
    return Circuit(root, order, units, wires, unit_of, edge, hidden + len(left_out), exact,
                   elided_at)


def _copy_wide_fanouts(order: List[Any], units: List[Unit], wires: List[Wire]) -> None:
    """Draw the long wires of a node with more than :data:`MAX_FANOUT` wires from copies of it.

    A wire is long when it skips more than two layers of the graph (depth: the longest path from
    a leaf). Each long wire beyond the node's first two gets its own copy (uid ``<uid>_<k>``,
    drawn as a leaf: the name, or a dot for an unnamed gate) beside the gate it feeds; the
    original keeps its first two wires, so a fanned-out input still shows its total gradient.
    """
    count: Dict[str, int] = {}
    for wire in wires:
        if wire.dst is not None:
            count[wire.src.uid] = count.get(wire.src.uid, 0) + 1
    wide = {uid for uid, n in count.items() if n > MAX_FANOUT}
    if not wide:
        return
    depth: Dict[int, int] = {}
    for node in order:
        depth[id(node)] = 1 + max((depth.get(id(x), 0) for x in node.inputs), default=-1)
    seen: Dict[str, int] = {}
    for wire in wires:
        src = wire.src
        if src.uid not in wide or wire.dst is None:
            continue
        k = seen[src.uid] = seen.get(src.uid, 0) + 1
        span = depth.get(id(wire.consumer), 0) - depth.get(id(wire.node), 0)
        if k > 2 and span > 2:
            copy = Unit(f"{src.uid}_{k}", "constant" if src.kind == "constant" else "leaf",
                        wire.node, src.cluster if src.kind in ("leaf", "constant") else None)
            units.append(copy)
            wire.src = copy


def omitted_note(circuit: Circuit, drawn: int) -> str:
    """The "... N more nodes not shown" text for a drawing of ``drawn`` units ("" if none)."""
    omitted = len(circuit.units) - drawn + circuit.hidden
    if not omitted:
        return ""
    if not circuit.hidden_exact:
        return f"… over {omitted:,} more nodes not shown"
    return f"… {omitted:,} more nodes not shown"


def select(circuit: Circuit, around: Any = None, depth: Optional[int] = None,
           max_nodes: Optional[int] = None) -> Set[str]:
    """The uids of the units to draw: within ``depth`` wires of ``around``, at most ``max_nodes``.

    Breadth-first from ``around`` (default: the root's unit), following wires both ways, so the
    nearest units are kept first. The frontier of a capped circuit is never kept.
    """
    if around is None and depth is None and max_nodes is None:
        return {unit.uid for unit in circuit.units if unit.uid not in circuit.frontier}
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be >= 1, got {max_nodes}")
    start = circuit.unit_for(circuit.root if around is None else around)
    if start is None or start.uid in circuit.frontier:
        raise ValueError(f"around={around!r} is not drawn in this circuit (is it part of the "
                         "graph of root, and not a constant folded into a gate?)")
    neighbours: Dict[str, List[Unit]] = {}
    for wire in circuit.wires:
        if wire.dst is not None and wire.src.uid not in circuit.frontier:
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
