"""Convolutional layers: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, PyTorch style.

Initialisation is PyTorch's default for ``nn.Conv2d``: ``kaiming_uniform_(weight, a=sqrt(5))``,
which is the uniform distribution on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` with
``fan_in = C * HH * WW``, and the bias uniform on the same interval. Draws come from
:func:`autograd.rng.numpy_rng` (reseed with ``autograd.manual_seed``).

>>> import numpy as np, autograd
>>> from autograd.nn import Conv2d, MaxPool2d
>>> autograd.manual_seed(0)
>>> conv = Conv2d(1, 4, 3, padding=1)
>>> MaxPool2d(2)(conv(np.ones((2, 1, 8, 8)))).shape
(2, 4, 4, 4)
"""

from __future__ import annotations

import math
from typing import Any, Optional

from .. import conv_math
from .. import rng as _rng
from ..tensor import Tensor
from . import functional as F
from .layers import _positive_int
from .module import Module

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"]


class Conv2d(Module):
    """2-D convolution over (N, C, H, W) inputs: one ``conv2d`` gate.

    Args:
        in_channels: C.
        out_channels: F, the number of filters.
        kernel_size: an int or a pair (HH, WW).
        stride: an int or a pair.
        padding: an int or a pair: zeros added on both sides.
        bias: whether to add a learned bias per filter.

    Attributes:
        weight: (F, C, HH, WW) Tensor.
        bias: (F,) Tensor, or None.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, bias: bool = True):
        self.in_channels = _positive_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = _positive_int(out_channels, "out_channels", "Conv2d")
        self.kernel_size = conv_math.pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = conv_math.pair(stride, "stride", "Conv2d")
        self.padding = conv_math.pair(padding, "padding", "Conv2d", minimum=0)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        generator = _rng.numpy_rng()
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = Tensor(generator.uniform(-bound, bound, shape), label="weight")
        self.bias = (Tensor(generator.uniform(-bound, bound, self.out_channels), label="bias")
                     if bias else None)

    def forward(self, x: Any) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def __repr__(self) -> str:
        extras = ""
        if self.stride != (1, 1):
            extras += f", stride={self.stride}"
        if self.padding != (0, 0):
            extras += f", padding={self.padding}"
        if self.bias is None:
            extras += ", bias=False"
        return (f"Conv2d({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size}{extras})")


class _Pool2d(Module):
    _function = staticmethod(F.max_pool2d)
    _name = ""

    def __init__(self, kernel_size: Any, stride: Optional[Any] = None):
        self.kernel_size = conv_math.pair(kernel_size, "kernel_size", self._name)
        self.stride = (self.kernel_size if stride is None
                       else conv_math.pair(stride, "stride", self._name))

    def forward(self, x: Any) -> Tensor:
        return type(self)._function(x, self.kernel_size, self.stride)

    def __repr__(self) -> str:
        return f"{self._name}(kernel_size={self.kernel_size}, stride={self.stride})"


class MaxPool2d(_Pool2d):
    """The maximum of each window; the gradient goes to the winner (split evenly among ties).

    Args:
        kernel_size: an int or a pair (kh, kw).
        stride: an int or a pair; defaults to the kernel size (windows do not overlap).
    """

    _function = staticmethod(F.max_pool2d)
    _name = "MaxPool2d"


class AvgPool2d(_Pool2d):
    """The mean of each window.

    Args:
        kernel_size: an int or a pair (kh, kw).
        stride: an int or a pair; defaults to the kernel size (windows do not overlap).
    """

    _function = staticmethod(F.avg_pool2d)
    _name = "AvgPool2d"


class Flatten(Module):
    """(N, C, H, W) -> (N, C H W): every axis from ``start_dim`` on merged (one reshape gate)."""

    def __init__(self, start_dim: int = 1):
        self.start_dim = start_dim

    def forward(self, x: Any) -> Tensor:
        return F.flatten(x, self.start_dim)

    def __repr__(self) -> str:
        return "Flatten()" if self.start_dim == 1 else f"Flatten(start_dim={self.start_dim})"
