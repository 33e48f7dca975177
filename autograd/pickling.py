"""Pickling and copying nodes: whole graphs of any depth, and copies that share nothing mutable.

A node holds its inputs, so pickling a computed node pickles the graph behind it. Left to itself
:mod:`pickle` would recurse once per level of the graph (a 5,000-deep chain exceeds the recursion
limit), and it cannot pickle the op rows, which hold lambdas. So:

* an :class:`~autograd.ops.Op` pickles as its name in the op table and is looked up again when
  loaded (``Op.__reduce__``); an op that is not a row of the table cannot be pickled;
* a node *with inputs* met as a root is pickled as the list of every node it depends on, in
  topological order (inputs first, found without recursion), followed by itself. Each node of the
  list is then saved in its plain form (class and slot values), whose inputs pickle has already
  saved, so pickle only ever looks one level deep. Because the list holds the nodes themselves,
  pickle's memo keeps identity: a parameter shared by a model, an optimizer and a loss graph is
  one object after loading too.

Copies: ``copy.copy(node)`` is a new node with the same inputs and numbers but its own label,
parameters tuple and gate reference holder (``NodeMeta``), and its own arrays (a Tensor's data
and grad are copied, as ``copy.copy`` of a numpy array copies it); ``copy.deepcopy(node)`` copies
the whole graph behind it, at any depth, the same way pickling does.

Loading a pickle runs code named in it: load only pickles you trust (as with any pickle).
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Tuple

import numpy as np

from .walk import forward_order

__all__ = ["reduce_node", "copy_node"]

_local = threading.local()


def _members() -> set:
    """Ids of the nodes listed by the graph being pickled in this thread, not yet saved."""
    members = getattr(_local, "members", None)
    if members is None:
        members = _local.members = set()
    return members


def reduce_node(node: Any) -> tuple:
    """``node.__reduce_ex__``: the graph flattened when ``node`` is a root with inputs, else the
    node's plain form."""
    members = _members()
    if id(node) in members:
        members.discard(id(node))
        return _plain(node)
    if not node.inputs:
        return _plain(node)
    order = forward_order(node)
    members.clear()  # ids left from a pickle that failed, or whose nodes were already saved
    members.update(id(n) for n in order)
    return (_last, (order,))


def _last(nodes: List[Any]) -> Any:
    return nodes[-1]


# -- a node's plain form: its class and the values of its slots ------------------------------

_SLOTS: Dict[type, Tuple[Tuple[str, ...], Tuple[Any, ...]]] = {}


def _slots(cls: type) -> Tuple[Tuple[str, ...], Tuple[Any, ...]]:
    """The slot names of ``cls`` and their descriptors, read from the class dicts (so that a
    property shadowing a slot, like Tensor's ``local_grads``, is never called)."""
    found = _SLOTS.get(cls)
    if found is None:
        names, descriptors = [], []
        for klass in reversed(cls.__mro__):
            slots = klass.__dict__.get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                descriptor = klass.__dict__.get(name)
                if descriptor is not None and hasattr(descriptor, "__set__"):
                    names.append(name)
                    descriptors.append(descriptor)
        found = _SLOTS[cls] = (tuple(names), tuple(descriptors))
    return found


def _plain(node: Any) -> tuple:
    cls = type(node)
    names, descriptors = _slots(cls)
    state = []
    for name, descriptor in zip(names, descriptors):
        try:
            state.append((name, descriptor.__get__(node, cls)))
        except AttributeError:  # a slot never set
            continue
    return (_restore_node, (cls, tuple(state)))


def _restore_node(cls: type, state: Tuple[Tuple[str, Any], ...]) -> Any:
    from .node import Node

    if not (isinstance(cls, type) and issubclass(cls, Node)):
        raise TypeError(f"not a circuitgrad node class: {cls!r}")
    node = object.__new__(cls)
    names, descriptors = _slots(cls)
    by_name = dict(zip(names, descriptors))
    for name, value in state:
        by_name[name].__set__(node, value)
    return node


# -- copies ----------------------------------------------------------------------------------

def copy_node(node: Any) -> Any:
    """``copy.copy(node)``: same inputs and numbers, its own meta (label) and its own arrays."""
    cls = type(node)
    copied = object.__new__(cls)
    for name, descriptor in zip(*_slots(cls)):
        try:
            value = descriptor.__get__(node, cls)
        except AttributeError:
            continue
        if isinstance(value, np.ndarray):
            value = value.copy()
        elif name == "_meta" and value is not None:
            value = _copy_slots(value)
        descriptor.__set__(copied, value)
    return copied


def _copy_slots(obj: Any) -> Any:
    cls = type(obj)
    copied = object.__new__(cls)
    for _, descriptor in zip(*_slots(cls)):
        try:
            descriptor.__set__(copied, descriptor.__get__(obj, cls))
        except AttributeError:
            continue
    return copied
