"""The backward walk, shared by ``backward()``, the REPL step-through and the diagram frames.

:func:`backward_order` finds every gate the root depends on and orders them so that each gate comes
after all the gates that consume it (reverse topological order). Depth-first search with an
explicit stack: a million-node chain needs no recursion. Each gate then *propagates*: it adds
``local gradient * upstream gradient`` to each of its inputs' ``.grad`` (the chain rule, summed
over fan-out because ``+=`` accumulates).

Gradient semantics follow PyTorch: leaves accumulate across calls (call ``zero_grad()`` between
steps), while every gate's gradient is reset at the start of a pass, so intermediate nodes show the
latest pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List

if TYPE_CHECKING:
    from .node import Node

__all__ = ["backward_order", "forward_order", "run_backward", "steps"]


def _postorder(root: "Node", leaves: bool, first_input_first: bool) -> List["Node"]:
    """Every node ``root`` depends on (gates only unless ``leaves``), each after its inputs.

    Depth-first with an explicit stack, a node's inputs visited first to last operand (or last to
    first, which puts the first operand's gates *later* in a post-order). A node is pushed once to
    be expanded and stays on the stack as its own finish marker: when it comes up again all its
    inputs are finished, so it joins the post-order. No per-node tuples are allocated, which keeps
    the garbage collector quiet on million-node graphs.
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
            if id(child) not in seen and (leaves or child.inputs):
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


def _start(root: "Node", gradient) -> List["Node"]:
    order = backward_order(root)
    for node in order:
        node.grad = node._zero_grad
    root._seed(gradient)
    return order


def run_backward(root: "Node", gradient=None) -> None:
    """Seed ``root`` and apply every gate's chain-rule step, last gate first."""
    for node in _start(root, gradient):
        node._propagate()


def steps(root: "Node", gradient=None) -> Iterator["BackwardStep"]:
    """The pass of :func:`run_backward`, one gate at a time; each step is applied when reached."""
    from .steps import BackwardStep, node_names

    order = _start(root, gradient)
    names = node_names(root)
    total = len(order)
    for index, node in enumerate(order, 1):
        upstream = node.grad
        contributions = node._contributions()
        node._apply(contributions)
        yield BackwardStep(index, total, node, upstream, contributions, names)
