"""Tensor layers: affine, relu, a container, and CS231n's two-layer net.

Inputs are rows: ``X`` has shape (N, D) and a :class:`Linear` layer computes ``X @ W + b`` with
``W`` of shape (in_features, out_features), as in CS231n (PyTorch stores the transpose and computes
``X @ W.T``; keeping ``W`` as (D, H) saves a transpose gate in every diagram). A layer is two gates,
``@`` and ``+``, so its gradients come from the engine: ``dW = X.T @ g``, ``db = g`` summed over
rows, ``dX = g @ W.T``.

Initialization draws from :func:`autograd.rng.numpy_rng` (reseed with ``autograd.manual_seed``):

* ``Linear`` by default as PyTorch's ``nn.Linear``: W and b uniform on
  ``[-1/sqrt(in_features), 1/sqrt(in_features)]``; with ``weight_scale=s``, CS231n's
  ``W = s * randn(in, out)`` and ``b = 0``.
* ``TwoLayerNet`` as in CS231n: ``W1 = std * randn(D, H)``, ``b1 = 0``, ``W2 = std * randn(H, C)``,
  ``b2 = 0``.

A numpy array passed to a layer becomes a constant Tensor (``requires_grad=False``): data, not a
parameter.

>>> import numpy as np, autograd
>>> from autograd.nn import TwoLayerNet
>>> autograd.manual_seed(0)
>>> net = TwoLayerNet(4, 10, 3)
>>> net(np.ones((5, 4))).shape
(5, 3)
"""

from __future__ import annotations

import math
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np

from .. import losses
from .. import rng as _rng
from ..tensor import Tensor
from .module import Module, Slot

__all__ = ["Linear", "ReLU", "Sequential", "TwoLayerNet"]


def as_input(x: Any, where: str) -> Tensor:
    """``x`` as a Tensor: Tensors pass through, arrays become constants (no gradient)."""
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x, requires_grad=False)
    except TypeError as error:
        raise TypeError(f"{where} needs a Tensor or a numeric array: {error}") from None


def _positive_int(n: Any, name: str, owner: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
    return int(n)


def _check_width(x: Tensor, width: int, where: str) -> None:
    if x.data.ndim == 0 or x.shape[-1] != width:
        raise ValueError(f"{where} expects inputs with {width} features on the last axis, got "
                         f"shape {x.shape}")


class Linear(Module):
    """The affine layer ``x @ W + b``.

    Args:
        in_features: size of each input row (D).
        out_features: size of each output row (H).
        bias: whether to add the bias ``b``.
        weight_scale: if given, ``W = weight_scale * randn`` and ``b = 0`` (CS231n); else
            PyTorch's uniform initialization.
        label: prefix for the parameters' labels (``W`` and ``b`` get ``W<label>``, ``b<label>``).

    Attributes:
        W: (in_features, out_features) weight Tensor.
        b: (out_features,) bias Tensor, or None.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 weight_scale: Optional[float] = None, label: str = ""):
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        generator = _rng.numpy_rng()
        shape = (self.in_features, self.out_features)
        if weight_scale is None:
            bound = 1.0 / math.sqrt(self.in_features)
            weights = generator.uniform(-bound, bound, shape)
            biases = generator.uniform(-bound, bound, self.out_features) if bias else None
        else:
            if isinstance(weight_scale, bool) or not isinstance(weight_scale, (int, float)):
                raise TypeError(f"Linear: weight_scale must be a number, got {weight_scale!r}")
            weights = weight_scale * generator.standard_normal(shape)
            biases = np.zeros(self.out_features) if bias else None
        self.W = Tensor(weights, label=f"W{label}")
        self.b = Tensor(biases, label=f"b{label}") if bias else None

    def forward(self, x: Any) -> Tensor:
        """``x @ W + b`` for x of shape (..., in_features)."""
        x = as_input(x, "Linear")
        _check_width(x, self.in_features, repr(self))
        out = x @ self.W
        return out + self.b if self.b is not None else out

    def _state_slots(self) -> dict:
        """PyTorch's ``weight`` (out_features, in_features), our ``W`` transposed, and ``bias``."""
        slots = {"weight": Slot.of_array(self.W.data, transpose=True)}
        if self.b is not None:
            slots["bias"] = Slot.of_array(self.b.data)
        return slots

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"Linear({self.in_features}, {self.out_features}{bias})"


class ReLU(Module):
    """``max(0, x)`` entrywise: one ``relu`` gate."""

    def forward(self, x: Any) -> Tensor:
        return as_input(x, "ReLU").relu()

    def __repr__(self) -> str:
        return "ReLU()"


class Sequential(Module):
    """Modules applied one after another; indexable, and its parameters come in order.

    Args:
        *modules: the layers, first applied first.
    """

    def __init__(self, *modules: Module):
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules; argument {i} is "
                                f"{type(module).__name__} {module!r:.60}")
        self.layers: List[Module] = list(modules)

    def forward(self, x: Any) -> Any:
        for module in self.layers:
            x = module(x)
        return x

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        """``("0", first), ("1", second) ...``: PyTorch's keys (``0.weight``) in a state dict."""
        return ((str(i), m) for i, m in enumerate(self.layers))

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.layers))
        return f"Sequential({inner}\n)"


class TwoLayerNet(Module):
    """CS231n's two-layer classifier: affine - relu - affine, scored with softmax.

    Args:
        input_size: D, the size of each input row.
        hidden_size: H, the number of hidden units.
        output_size: C, the number of classes.
        std: the standard deviation of the initial weights (biases start at 0).

    Attributes:
        W1, b1, W2, b2: the parameter Tensors, shapes (D, H), (H,), (H, C), (C,).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, std: float = 1e-4):
        self.fc1 = Linear(input_size, hidden_size, weight_scale=std, label="1")
        self.fc2 = Linear(hidden_size, output_size, weight_scale=std, label="2")

    W1 = property(lambda self: self.fc1.W)
    b1 = property(lambda self: self.fc1.b)
    W2 = property(lambda self: self.fc2.W)
    b2 = property(lambda self: self.fc2.b)

    def forward(self, X: Any) -> Tensor:
        """The (N, C) class scores ``relu(X @ W1 + b1) @ W2 + b2``."""
        return self.fc2(self.fc1(X).relu())

    def loss(self, X: Any, y: Any, reg: float = 0.0) -> Tensor:
        """Softmax loss plus ``reg * (l2(W1) + l2(W2))`` (CS231n's; biases not regularized).

        Args:
            X: (N, D) inputs.
            y: (N,) integer labels in [0, C).
            reg: the regularization strength.

        Returns:
            A 0-d Tensor; call ``.backward()`` for the parameters' gradients.
        """
        data_loss = losses.softmax_loss(self.forward(X), y)
        if not reg:
            return data_loss
        return data_loss + reg * losses.l2([self.W1, self.W2])

    def predict(self, X: Any) -> np.ndarray:
        """The highest-scoring class of each row of X."""
        return np.argmax(self.forward(X).data, axis=1)

    def __repr__(self) -> str:
        return (f"TwoLayerNet({self.fc1.in_features}, {self.fc1.out_features}, "
                f"{self.fc2.out_features})")
