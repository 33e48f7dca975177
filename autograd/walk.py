"""The backward walk: the one place where the chain rule is applied.

Every consumer of gradients goes through here: ``backward()``, the REPL step-through
(``backward_steps()``), the diagram frames, and :func:`grad` (which also builds gradients of
gradients). :func:`backward_order` lists the gates the root depends on so that each comes after
every gate it feeds (reverse topological order; depth-first with an explicit stack, so a
million-node chain needs no recursion). Each gate then passes its upstream gradient ``g`` on:

* an elementwise gate gives input ``i`` the product ``g * local_i`` of the upstream gradient and
  its local gradient d out / d x_i (:func:`_chain_rule`);
* a structural gate gives it the vector-Jacobian product ``vjp_i(g)`` of its row;

each product is summed down to its input's shape (broadcasting's adjoint, once, here), and added
to what the input has already received (fan-out adds up). The walk never names an op: it reads
the node's row. How numbers are multiplied, fitted and added comes from the node's math
namespace (``scalar_math``, ``array_math``, or ``graph_math`` when gradients are graphs).

Gradient semantics follow PyTorch: leaves accumulate across calls (call ``zero_grad()`` between
steps), while every gate's gradient is reset at the start of a pass, so intermediate nodes show
the latest pass. Each gate keeps what it sent to each input in the latest pass as
``node.input_grads``: the numbers a diagram writes on the wires, recorded as the walk computed
them, so a diagram never applies the chain rule again.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import graph_math, scalar_math

if TYPE_CHECKING:
    from .node import Node
    from .steps import BackwardStep

__all__ = ["backward_order", "forward_order", "run_backward", "steps", "grad", "local_grads_of",
           "VJP"]

VJP = "vjp"
"""What a step-through shows as the local gradient of a structural gate's input."""


def _postorder(root: "Node", leaves: bool, first_input_first: bool,
               stop: Optional[set] = None) -> List["Node"]:
    """Every node ``root`` depends on (gates only unless ``leaves``), each after its inputs.

    Depth-first with an explicit stack, a node's inputs visited first to last operand (or last to
    first, which puts the first operand's gates *later* in a post-order). A node is pushed once to
    be expanded and stays on the stack as its own finish marker: when it comes up again all its
    inputs are finished, so it joins the post-order. No per-node tuples are allocated, which keeps
    the garbage collector quiet on million-node graphs. Nodes whose ids are in ``stop`` are
    treated as leaves (not expanded, not listed).
    """
    order: List["Node"] = []
    if not (leaves or root.inputs):
        return order
    seen = set()
    finished = set()
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        key = id(node)
        if key in seen:
            if key not in finished:  # its finish marker: every input is already in the order
                finished.add(key)
                order.append(node)
            continue
        seen.add(key)
        push(node)
        for child in reversed(node.inputs) if first_input_first else node.inputs:
            if id(child) not in seen and (leaves or child.inputs) and (
                    stop is None or id(child) not in stop):
                push(child)
    return order


def backward_order(root: "Node") -> List["Node"]:
    """Gates reachable from ``root``, each listed before every gate it feeds (root first).

    Among independent gates the first operand's come first, so the step-through of
    ``w0*x0 + w1*x1`` reaches ``w0 * x0`` before ``w1 * x1``, as one reads the formula.
    """
    order = _postorder(root, leaves=False, first_input_first=False)
    order.reverse()
    return order


def forward_order(root: "Node") -> List["Node"]:
    """Every node ``root`` depends on, leaves included, each after its inputs (root last).

    Inputs are visited in operand order, so ``x`` comes before ``y`` in ``x + y``: the order in
    which a reader (or a diagram's layout) meets the wires.
    """
    return _postorder(root, leaves=True, first_input_first=True)


# ---------------------------------------------------------------------------------------------
# The chain rule.
# ---------------------------------------------------------------------------------------------
def _chain_rule(node: "Node", g: Any, m: Any) -> List[Tuple["Node", Any, Any]]:
    """``(input, local, product)`` for each input of ``node`` that takes a gradient.

    ``product`` is the input's share of d root / d input, in the input's shape: ``g * local`` for
    an elementwise gate (``local`` its local gradient), the row's vector-Jacobian product for a
    structural one (``local`` is then :data:`VJP`).
    """
    op = node._op
    inputs = node.inputs
    found = []
    if op is None:  # a leaf someone gave inputs by hand: nothing to pass on
        return found
    if op.vjp is None:
        if m is graph_math:
            _check_higher_order(op)
            locals_ = op.local_grads(m, node, inputs, node.params,
                                     [x.requires_grad for x in inputs])
        else:
            locals_ = node.local_grads
        for x, local in zip(inputs, locals_):
            if local is not None and x.requires_grad:
                found.append((x, local, m.fit(m.times(g, local), x.data, op)))
        return found
    if m is graph_math:
        _check_higher_order(op)
        xs, out = inputs, node
    else:
        xs, out = [x.data for x in inputs], node.data
    kw = op.kwargs(node.params)
    for x, rule in zip(inputs, op.vjp):
        if x.requires_grad:
            found.append((x, VJP, m.fit(rule(m, g, out, *xs, **kw), x.data, op)))
    return found


def _check_higher_order(op: Any) -> None:
    if not op.higher_order:
        raise NotImplementedError(f"create_graph=True: the {op.name!r} gate has no "
                                  f"differentiable gradient rule (its gradient is first-order "
                                  f"only); use create_graph=False")


class _Grads:
    """Where a pass keeps gradients: on the nodes' ``.grad`` (``backward``) or in a dict (``grad``).

    Adding a product to an input's gradient makes a new array, except into an array this pass
    made for that input alone (then in place, as PyTorch accumulates). A *fresh* product (an
    array the rule just made, shared with nothing: ``m.fresh``) becomes the input's gradient as
    it is, with no copy; since the pass also records it (``input_grads``), a second contribution
    to that input then makes a new array instead of changing the record. A step-through
    (``adopt=False``) copies instead: its steps are kept by the student, and an in-place change
    of ``W.grad`` (a gradient clip) must not change what a step showed.
    """

    def __init__(self, on_nodes: bool, record: bool = False, adopt: bool = True):
        self.on_nodes = on_nodes
        self.record = record
        self.adopt = adopt
        self.found: Dict[int, Any] = {}
        self.owned: set = set()
        self.recorded: set = set()

    def get(self, node: "Node") -> Any:
        return node.grad if self.on_nodes else self.found.get(id(node))

    def add(self, x: "Node", product: Any, fresh: bool) -> None:
        key = id(x)
        current = x.grad if self.on_nodes else self.found.get(key)
        if current is None:
            new = product
            if fresh and self.adopt:
                if self.record:
                    self.recorded.add(id(product))
                else:
                    self.owned.add(key)
            elif not x.inputs and self.on_nodes and hasattr(product, "copy") and not hasattr(
                    product, "inputs"):
                new = product.copy()  # a leaf's .grad is an array of its own, to add into later
                self.owned.add(key)
        elif id(current) not in self.recorded and (key in self.owned or (
                self.on_nodes and not x.inputs and hasattr(current, "flags")
                and current.flags.writeable)):
            current += product
            return
        else:
            new = current + product
            if hasattr(new, "flags") and new.flags.writeable:  # not a numpy scalar (0-d + 0-d)
                self.owned.add(key)
        if self.on_nodes:
            x.grad = new
        else:
            self.found[key] = new


def _seeded(root: "Node", gradient: Any, create_graph: bool = False) -> Any:
    seed = root._seed(gradient)
    if create_graph and not hasattr(seed, "inputs"):
        seed = root._constant(seed)
    return seed


def _walk(root: "Node", gradient: Any, grads: _Grads, m: Any = None,
          order: Optional[List["Node"]] = None) -> Iterator[Tuple[int, int, "Node", Any, list]]:
    """The pass: for each gate of ``order`` (default: all, last first), apply the chain rule
    and hand the products on.

    Yields ``(index, total, gate, upstream, contributions)`` after each gate's step.
    """
    if order is None:
        order = backward_order(root)
    seed = _seeded(root, gradient, m is graph_math)
    if grads.on_nodes:
        for node in order:
            node.grad = node._zero_grad
        root.grad = seed  # a gate: a leaf root is seeded by the callers, and accumulates
    else:
        grads.found[id(root)] = seed
    total = len(order)
    for index, node in enumerate(order, 1):
        g = grads.get(node)
        if g is None:  # a Tensor gate no gradient reached
            contributions = []
        else:
            node_m = m if m is not None else node._math
            with node_m.quietly():
                contributions = _chain_rule(node, g, node_m)
                given = set()
                for x, _, product in contributions:
                    grads.add(x, product, id(product) not in given and node_m.fresh(product, g))
                    given.add(id(product))
        if grads.record:
            node.input_grads = _sent(node, contributions)
        elif grads.on_nodes:
            node.input_grads = ()  # not recorded: no stale numbers from an earlier pass
        yield index, total, node, g, contributions


def _sent(node: "Node", contributions: list) -> tuple:
    """``input_grads``: the product sent to each input position (None where none was)."""
    sent = [None] * len(node.inputs)
    j = 0
    for k, x in enumerate(node.inputs):
        if j < len(contributions) and contributions[j][0] is x:
            sent[k] = contributions[j][2]
            j += 1
    return tuple(sent)


def run_backward(root: "Node", gradient: Any = None, record: bool = False) -> None:
    """Seed ``root`` and apply every gate's chain-rule step, last gate first.

    A graph of Values always records each gate's ``input_grads`` (a few floats); a Tensor graph
    only with ``record=True``, since each record is an array as large as its input and keeping
    them all would double a training step's memory.
    """
    if not root.inputs:
        root.grad = _leaf_seed(root, gradient)
        return
    collecting = gc.isenabled()
    gc.disable()  # the pass makes no reference cycles: nothing for the collector to find
    try:
        if root._math is scalar_math:
            _run_scalar(root, gradient)
        else:
            for _ in _walk(root, gradient, _Grads(on_nodes=True, record=record)):
                pass
    finally:
        if collecting:
            gc.enable()


def _run_scalar(root: "Node", gradient: Any) -> None:
    """:func:`_walk` for a graph of Values, unrolled: the same steps, several times faster.

    Every local gradient of a Value is a float computed in the forward pass (None for a
    constant's), every input's shape is a float's, and floats are added anew, never in place, so
    :func:`_chain_rule`'s product ``fit(times(g, local))`` is ``local * g`` and no ownership needs
    tracking. ``tests/autograd/test_steps.py`` checks that both paths leave the same numbers.
    """
    order = backward_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = root._seed(gradient)
    for node in order:
        g = node.grad
        local_grads = node.local_grads
        if len(local_grads) == 2:  # most gates: spelled out, no loop
            first, second = local_grads
            a, b = node.inputs
            first = None if first is None else first * g
            second = None if second is None else second * g
            if first is not None:
                a.grad += first
            if second is not None:
                b.grad += second
            node.input_grads = (first, second)
            continue
        sent = [None if local is None else local * g for local in local_grads]
        for x, product in zip(node.inputs, sent):
            if product is not None:
                x.grad += product
        node.input_grads = tuple(sent)


def _leaf_seed(root: "Node", gradient: Any) -> Any:
    seed = root._seed(gradient)
    return seed if root.grad is None else root.grad + seed


def steps(root: "Node", gradient: Any = None) -> Iterator["BackwardStep"]:
    """The pass of :func:`run_backward`, one gate at a time; each step is applied when reached."""
    from .steps import BackwardStep, node_names

    if not root.inputs:
        root.grad = _leaf_seed(root, gradient)
        return
    names = node_names(root)  # one name per node, shared by every step's text
    for index, total, node, g, contributions in _walk(root, gradient,
                                                      _Grads(on_nodes=True, record=True,
                                                             adopt=False)):
        yield BackwardStep(index, total, node, g, contributions, names)


# ---------------------------------------------------------------------------------------------
# Gradients as values: autograd.grad.
# ---------------------------------------------------------------------------------------------
def local_grads_of(output: "Node", inputs: Sequence["Node"]) -> Tuple[Any, ...]:
    """The local gradients of a composite gate: d output / d x_i for each of its ``inputs``,
    each taken as an independent variable (the walk stops at the inputs), as numbers.

    A collapsed gate of a diagram (a whole sigmoid drawn as one gate) shows these on its input
    wires: ``(1 - s) s`` for the sigmoid, whatever computed its input. 0 for an input the output
    does not depend on.
    """
    stop = {id(x) for x in inputs}
    order = _postorder(output, leaves=False, first_input_first=False, stop=stop)
    order.reverse()
    grads = _Grads(on_nodes=False)
    if output.inputs and id(output) not in stop:
        for _ in _walk(output, None, grads, None, order):
            pass
    else:
        grads.found[id(output)] = output._seed(None)
    zero = output._math.fit(0.0, output.data, None)
    return tuple(grads.found.get(id(x), zero) for x in inputs)


def _between(root: "Node", inputs: Sequence["Node"]) -> List["Node"]:
    """The gates of ``root``'s backward order that lie on a path from one of ``inputs`` to it:
    the only ones whose rules :func:`grad` needs to evaluate."""
    order = backward_order(root)
    reaches = {id(x) for x in inputs}
    for node in reversed(order):  # every gate after its inputs
        for x in node.inputs:
            if id(x) in reaches:
                reaches.add(id(node))
                break
    return [node for node in order if id(node) in reaches]


def grad(output: "Node", inputs: Union["Node", Sequence["Node"]], grad_output: Any = None,
         create_graph: bool = False, allow_unused: bool = False) -> Tuple[Any, ...]:
    """d output / d input for each input, returned, with no ``.grad`` changed anywhere.

    As ``torch.autograd.grad``: ``inputs`` may be leaves or intermediate nodes; ``grad_output``
    seeds the output as ``backward(gradient=...)`` does (needed for a non-scalar Tensor).

    Args:
        output: the node to differentiate (a Value or a Tensor).
        inputs: one node or a sequence of nodes of the same graph.
        grad_output: d root / d output; None for 1 (a scalar output).
        create_graph: build the gradients as graph nodes, from the same op rows evaluated on
            nodes (:mod:`autograd.graph_math`), so they can be differentiated again, drawn and
            stepped through. Otherwise the gradients are plain nodes holding numbers.
        allow_unused: give None for an input the output does not depend on, instead of raising.

    Returns:
        A tuple with one gradient per input, each of the input's kind (a Value for a Value, a
        Tensor for a Tensor).
    """
    from .node import Node

    single = isinstance(inputs, Node)
    wanted = (inputs,) if single else tuple(inputs)
    for x in (output, *wanted):
        if not isinstance(x, Node):
            raise TypeError(f"grad() takes Values or Tensors, got {type(x).__name__} {x!r:.60}")
    grads = _Grads(on_nodes=False)
    m = graph_math if create_graph else None
    if output.inputs:
        for _ in _walk(output, grad_output, grads, m, _between(output, wanted)):
            pass
    else:
        grads.found[id(output)] = _seeded(output, grad_output, create_graph)
    results = []
    for k, x in enumerate(wanted):
        g = grads.found.get(id(x))
        if g is None:
            if not allow_unused:
                if not x.requires_grad:
                    raise ValueError(f"grad(): input {k} ({x!r:.60}) takes no gradient: it is a "
                                     f"Constant or a Tensor made with requires_grad=False (pass "
                                     f"allow_unused=True to get None for it)")
                raise ValueError(f"grad(): input {k} ({x!r:.60}) is not used in the graph of the "
                                 f"output (pass allow_unused=True to get None for it)")
            results.append(None)
            continue
        results.append(g if hasattr(g, "inputs") else x._result(g))
    return tuple(results)
