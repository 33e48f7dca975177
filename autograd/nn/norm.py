"""Batch normalisation layers: ``BatchNorm1d`` for (N, C) or (N, C, L), ``BatchNorm2d`` for
(N, C, H, W), with PyTorch's semantics and state.

In training mode a batch is normalised with its own mean and biased variance, and the running
statistics move towards the batch's (the variance unbiased); in evaluation mode the running
statistics are used. Initialisation as PyTorch: ``weight`` (gamma) ones, ``bias`` (beta) zeros,
``running_mean`` zeros, ``running_var`` ones, ``num_batches_tracked`` 0. All five appear in
:meth:`~autograd.nn.Module.state_dict` under PyTorch's names.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .layers import _positive_int
from .module import Module, Slot

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    _ndims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True):
        name = type(self).__name__
        self.num_features = _positive_int(num_features, "num_features", name)
        if not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"{name}: eps must be a positive number, got {eps!r}")
        if not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1], got {momentum!r}")
        self.eps, self.momentum = float(eps), float(momentum)
        self.weight = Tensor(np.ones(num_features), label="gamma") if affine else None
        self.bias = Tensor(np.zeros(num_features), label="beta") if affine else None
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.num_batches_tracked = np.zeros((), dtype=np.int64)

    def forward(self, x: Any) -> Tensor:
        name = type(self).__name__
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        if len(shape) not in self._ndims or shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}) expects input {self._layout} with "
                             f"C = {self.num_features}, got shape {shape}")
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           self.training, self.momentum, self.eps)
        if self.training:
            self.num_batches_tracked += 1
        return out

    def _state_slots(self) -> dict:
        slots = {}
        if self.weight is not None:
            slots["weight"] = Slot.of_array(self.weight.data)
            slots["bias"] = Slot.of_array(self.bias.data)
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            slots[name] = Slot.of_array(getattr(self, name))
        return slots

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.num_features}, eps={self.eps}, "
                f"momentum={self.momentum})")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C.

    Args:
        num_features: C.
        eps: added to the variance before the square root.
        momentum: the weight of each new batch in the running statistics.
        affine: whether to learn a scale ``weight`` and shift ``bias`` per channel.
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C (statistics over N, H, W).

    Args:
        num_features: C.
        eps: added to the variance before the square root.
        momentum: the weight of each new batch in the running statistics.
        affine: whether to learn a scale ``weight`` and shift ``bias`` per channel.
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"
