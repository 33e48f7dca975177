"""``Module``: the PyTorch habit of a model that owns parameters and can zero their gradients."""

from __future__ import annotations

from typing import Iterator, List

__all__ = ["Module"]


class Module:
    """Base class for models and layers, scalar or tensor.

    A subclass lists its trainable leaves in :meth:`parameters` (the default gathers them from
    attributes that are modules, nodes marked as parameters, or lists, tuples and dicts (values,
    in insertion order) of either) and computes its output in ``__call__``/``forward``.
    """

    def parameters(self) -> List:
        """Every trainable leaf of this module and its sub-modules, each once, in a stable order."""
        found, seen = [], set()
        for p in self._walk_parameters():
            if id(p) not in seen:
                seen.add(id(p))
                found.append(p)
        return found

    def _walk_parameters(self) -> Iterator:
        for value in vars(self).values():
            yield from _parameters_in(value)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient, as before each training step."""
        for p in self.parameters():
            p.zero_grad()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


def _parameters_in(value) -> Iterator:
    from ..node import Node
    from ..value import Constant

    if isinstance(value, Module):
        yield from value.parameters()
    elif isinstance(value, Node):
        if not value.inputs and getattr(value, "requires_grad", True) and not isinstance(
                value, Constant):
            yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _parameters_in(item)
    elif isinstance(value, dict):
        for item in value.values():  # insertion order
            yield from _parameters_in(item)
