"""``Module``: the PyTorch habit of a model that owns parameters, zeroes their gradients, switches
between training and evaluation, and hands its weights out and back in.

Weights in and out: :meth:`Module.state_dict` gives ``name -> numpy array`` with PyTorch's key
names and shapes (``0.weight`` for the first layer of a :class:`~autograd.nn.Sequential`, a
``Linear``'s weight as PyTorch's (out, in) although circuitgrad keeps ``W`` as (in, out), batch
norm's running statistics included), so ``torch_model.load_state_dict({k: torch.from_numpy(v)})``
takes a circuitgrad model on to PyTorch, and :meth:`Module.load_state_dict` takes one back.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Dict, Iterator, List, Tuple

import numpy as np

__all__ = ["Module", "Slot", "IncompatibleKeys"]

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
"""What ``load_state_dict(strict=False)`` skipped, as PyTorch returns it."""


class Slot:
    """One entry of a state dict: reads an array out of a module and writes one back in place.

    Args:
        read: returns the entry as PyTorch lays it out (a fresh array, dtype kept).
        write: copies an array of that layout into the module, in place (optimizers and other
            references keep seeing the same arrays).
        shape: the entry's shape as PyTorch lays it out.
        dtype: the dtype of the array it reads and writes.
    """

    __slots__ = ("read", "write", "shape", "dtype")

    def __init__(self, read, write, shape: Tuple[int, ...], dtype: Any = np.float64):
        self.read, self.write, self.shape = read, write, tuple(shape)
        self.dtype = np.dtype(dtype)

    @classmethod
    def of_array(cls, array: np.ndarray, transpose: bool = False) -> "Slot":
        """The slot of an array kept in place (a Tensor's ``.data``, a running statistic)."""
        if transpose:
            return cls(lambda: array.T.copy(), lambda v: np.copyto(array, v.T), array.T.shape,
                       array.dtype)
        return cls(array.copy, lambda v: np.copyto(array, v), array.shape, array.dtype)

    @classmethod
    def of_values(cls, values: List[Any]) -> "Slot":
        """The slot of a list of scalar Values (a scalar neuron's weights) as a 1-D array."""
        def write(v: np.ndarray) -> None:
            for value, number in zip(values, v.tolist()):
                value.data = float(number)
        return cls(lambda: np.array([v.data for v in values]), write, (len(values),))

    @classmethod
    def of_value(cls, value: Any) -> "Slot":
        """The slot of one scalar Value as a 0-d array."""
        def write(v: np.ndarray) -> None:
            value.data = float(v)
        return cls(lambda: np.array(value.data), write, ())


class Module:
    """Base class for models and layers, scalar or tensor.

    A subclass lists its trainable leaves in :meth:`parameters` (the default gathers them from
    attributes that are modules, nodes marked as parameters, or lists, tuples and dicts (values,
    in insertion order) of either) and computes its output in ``__call__``/``forward``.

    Attributes:
        training (bool): True (the default) in training mode, False after :meth:`eval`. Dropout
            and batch norm behave differently in the two; other layers ignore it.
    """

    training = True

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

    # -- training and evaluation modes ----------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Training mode (``mode=False``: evaluation mode) for this module and every submodule.

        Returns:
            The module itself, so ``model.eval()`` can be chained as in PyTorch.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) needs True or False, got {mode!r}")
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: dropout passes inputs through, batch norm uses its running stats."""
        return self.train(False)

    # -- submodules and state ---------------------------------------------------------------------
    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """(name, module) for each direct submodule: attributes, and ``attr.i`` / ``attr.key`` for
        modules held in lists, tuples or dicts."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, Module):
                        yield f"{name}.{key}", item

    def modules(self) -> Iterator["Module"]:
        """This module and every submodule, depth first."""
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def _state_slots(self) -> Dict[str, Slot]:
        """This module's own state entries (not its children's): by default every leaf Tensor
        attribute, scalar Value or list of Values under its attribute name. Layers whose names
        or layouts differ from PyTorch's override this."""
        from ..tensor import Tensor
        from ..value import Value

        slots = {}
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and not value.inputs:
                slots[name] = Slot.of_array(value.data)
            elif isinstance(value, Value) and not value.inputs:
                slots[name] = Slot.of_value(value)
            elif (isinstance(value, list) and value
                  and all(isinstance(v, Value) and not v.inputs for v in value)):
                slots[name] = Slot.of_values(value)
        return slots

    def _all_slots(self, prefix: str = "") -> Dict[str, Slot]:
        slots = {prefix + name: slot for name, slot in self._state_slots().items()}
        for name, child in self.named_children():
            slots.update(child._all_slots(f"{prefix}{name}."))
        return slots

    def state_dict(self) -> Dict[str, np.ndarray]:
        """Every parameter and buffer as ``name -> numpy array`` (a copy, dtype kept), named and
        shaped as PyTorch names and shapes them."""
        return {name: slot.read() for name, slot in self._all_slots().items()}

    def load_state_dict(self, state_dict: Dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy the arrays of ``state_dict`` into this module's parameters and buffers, in place.

        Everything is checked before anything is written, so a failed load changes nothing.

        Args:
            state_dict: ``name -> array`` (numpy arrays, Tensors, or anything ``np.asarray``
                takes, e.g. torch tensors on the CPU), as :meth:`state_dict` or
                :func:`autograd.load` gives it.
            strict: whether a key missing from ``state_dict`` or one the module does not have
                is an error (else they are skipped and reported).

        Returns:
            ``(missing_keys, unexpected_keys)``, as PyTorch returns them.

        Raises:
            ValueError: a missing or unexpected key (strict), or an entry of the wrong shape
                (always), naming the key and both shapes.
            TypeError: an entry that cannot be stored in the module's dtype (a float in the
                integer ``num_batches_tracked``). Floats of another precision are converted.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict() needs a dict of name -> array, got "
                            f"{type(state_dict).__name__}")
        slots = self._all_slots()
        missing = [k for k in slots if k not in state_dict]
        unexpected = [k for k in state_dict if k not in slots]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing " + ", ".join(
                    f"{k!r} (shape {slots[k].shape})" for k in missing))
            if unexpected:
                parts.append("unexpected " + ", ".join(repr(k) for k in unexpected))
            raise ValueError(f"load_state_dict() into {type(self).__name__}: "
                             f"{'; '.join(parts)} (strict=False skips them)")
        arrays = {}
        for key, slot in slots.items():
            if key not in state_dict:
                continue
            array = _as_array(state_dict[key], key)
            if array.shape != slot.shape:
                raise ValueError(f"load_state_dict(): {key!r} has shape {array.shape} in the "
                                 f"state dict but the module's {key!r} has shape {slot.shape}")
            if not np.can_cast(array.dtype, slot.dtype, "same_kind"):
                raise TypeError(f"load_state_dict(): {key!r} holds {array.dtype} but the "
                                f"module's {key!r} is {slot.dtype} (a float cannot be stored "
                                f"in an integer entry)")
            arrays[key] = array
        for key, array in arrays.items():
            slots[key].write(array)
        return IncompatibleKeys(missing, unexpected)


def _as_array(value: Any, key: str) -> np.ndarray:
    from ..node import Node

    if isinstance(value, Node):
        value = value.data
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"load_state_dict(): {key!r} must hold real numbers, got dtype "
                        f"{array.dtype}")
    return array


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
