"""PyTorch's ``torch.nn.functional`` names on circuitgrad Tensors: ``from autograd.nn import
functional as F``.

Same names, argument order and layouts as PyTorch: images are NCHW, conv weights (F, C, HH, WW),
``linear`` weights (out_features, in_features). Convolution and pooling are single gates (rows of
:mod:`autograd.ops`); the others are a few primitive gates grouped under one named gate
(:func:`autograd.gate`), so a diagram can show them as one box or open it.

Differences from PyTorch, on purpose:

* ``max_pool2d`` splits the gradient evenly between tied maxima of a window, as the ``max`` row
  does (PyTorch gives it all to one of them). They agree whenever the maximum is unique.
* ``softmax`` / ``log_softmax`` take ``dim=-1`` by default (PyTorch warns and guesses).
* ``dropout`` draws its mask from :func:`autograd.rng.numpy_rng` (seed with
  ``autograd.manual_seed``), so a run is reproducible, not bit-equal to PyTorch's.

Arrays passed where a Tensor is expected become constants (``requires_grad=False``).
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Tuple, Union

import numpy as np

from .. import conv_math, gates, losses, ops
from .. import rng as _rng
from ..tensor import Tensor, apply
from .layers import as_input

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "batch_norm", "dropout", "relu", "softmax",
           "log_softmax", "cross_entropy", "linear", "flatten"]

IntPair = Union[int, Tuple[int, int]]


def _tensor(x: Any, where: str, name: str = "input") -> Tensor:
    return as_input(x, f"{where}: {name}")


def conv2d(input: Any, weight: Any, bias: Any = None, stride: IntPair = 1,
           padding: IntPair = 0) -> Tensor:
    """2-D convolution (cross-correlation, as in every deep-learning library), one gate.

    Args:
        input: (N, C, H, W).
        weight: (F, C, HH, WW); kernels may be non-square.
        bias: (F,) or None.
        stride: an int or a pair (sh, sw).
        padding: zeros added on both sides, an int or a pair (ph, pw).

    Returns:
        (N, F, Ho, Wo) with ``Ho = (H + 2 ph - HH) // sh + 1`` (likewise Wo).

    Raises:
        ValueError: a non-4-D input or weight, a channel mismatch, a kernel larger than the
            padded input, a bias of the wrong shape.
        TypeError: a non-integer stride or padding.
    """
    x = _tensor(input, "conv2d")
    w = _tensor(weight, "conv2d", "weight")
    stride, padding = conv_math.check_conv(x.data, w.data, stride, padding)
    if bias is None:
        return apply(ops.CONV2D, (x, w), stride=stride, padding=padding)
    b = _tensor(bias, "conv2d", "bias")
    if b.shape != (w.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({w.shape[0]},), one per filter of the "
                         f"weight {w.shape}, got {b.shape}")
    return apply(ops.CONV2D_BIAS, (x, w, b), stride=stride, padding=padding)


def max_pool2d(input: Any, kernel_size: IntPair, stride: Optional[IntPair] = None) -> Tensor:
    """The maximum of each (kh, kw) window, a stride apart (default: the window, no overlap).

    The gradient goes to the entry that won each window, split evenly between ties; overlapping
    windows (stride < kernel) send an entry the gradient of every window it wins.
    """
    x = _tensor(input, "max_pool2d")
    kernel, stride = conv_math.check_pool(x.data, kernel_size, stride, "max_pool2d")
    return apply(ops.MAX_POOL2D, (x,), kernel=kernel, stride=stride)


def avg_pool2d(input: Any, kernel_size: IntPair, stride: Optional[IntPair] = None) -> Tensor:
    """The mean of each (kh, kw) window, a stride apart (default: the window, no overlap)."""
    x = _tensor(input, "avg_pool2d")
    kernel, stride = conv_math.check_pool(x.data, kernel_size, stride, "avg_pool2d")
    return apply(ops.AVG_POOL2D, (x,), kernel=kernel, stride=stride)


def batch_norm(input: Any, running_mean: Optional[np.ndarray], running_var: Optional[np.ndarray],
               weight: Any = None, bias: Any = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over every axis but the channel axis 1, PyTorch's semantics.

    Training: normalise with the batch mean and the *biased* batch variance, and update the
    running statistics in place: ``running = (1 - momentum) running + momentum batch``, with the
    *unbiased* variance (n / (n - 1) times the biased one, n the values per channel).
    Evaluation: normalise with the running statistics. Then ``out = x_hat * weight + bias``.

    Args:
        input: (N, C), (N, C, L) or (N, C, H, W).
        running_mean, running_var: (C,) float arrays (updated in place when training), or None
            to use batch statistics without keeping any (then ``training`` must be True).
        weight, bias: (C,) Tensors (gamma and beta) or None.
        training: batch statistics (True) or running ones (False).
        momentum: the weight of the new batch in the running statistics.
        eps: added to the variance before the square root.
    """
    x = _tensor(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, ...) with channels on axis "
                         f"1, got shape {x.shape}")
    channels = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, channels) + (1,) * (x.ndim - 2)
    stats = []
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and (not isinstance(stat, np.ndarray) or stat.shape != (channels,)):
            raise ValueError(f"batch_norm: {name} must be a numpy array of shape ({channels},) "
                             f"(one per channel), got {getattr(stat, 'shape', type(stat))}")
        stats.append(stat)
    params = []
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None:
            p = _tensor(p, "batch_norm", name)
            if p.shape != (channels,):
                raise ValueError(f"batch_norm: {name} must have shape ({channels},), got "
                                 f"{p.shape}")
            p = p.reshape(shape)
        params.append(p)
    if not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
        raise ValueError(f"batch_norm: momentum must be a number in [0, 1], got {momentum!r}")
    if not isinstance(eps, numbers.Real) or not eps > 0.0:
        raise ValueError(f"batch_norm: eps must be a positive number, got {eps!r}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: evaluation (training=False) needs running_mean and "
                         "running_var")
    with gates.gate("batch_norm"):
        if training:
            count = x.size // channels
            if count < 2:
                raise ValueError(f"batch_norm: training needs more than one value per channel "
                                 f"to estimate a variance, got input shape {x.shape}")
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            var = (centered ** 2).mean(axis=axes, keepdims=True)  # biased, for normalising
            x_hat = centered / (var + eps).sqrt()
            if running_mean is not None:
                running_mean *= 1.0 - momentum
                running_mean += momentum * mean.data.reshape(channels)
            if running_var is not None:
                running_var *= 1.0 - momentum
                running_var += (momentum * count / (count - 1)) * var.data.reshape(channels)
        else:
            inv_std = 1.0 / np.sqrt(running_var + eps)
            x_hat = (x - running_mean.reshape(shape)) * inv_std.reshape(shape)
        gamma, beta = params
        out = x_hat * gamma if gamma is not None else x_hat
        return out + beta if beta is not None else out


def dropout(input: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: each entry zeroed with probability p, survivors scaled by 1 / (1 - p).

    So the expected output equals the input and evaluation (``training=False``) is the identity.
    The mask comes from :func:`autograd.rng.numpy_rng` (``autograd.manual_seed`` reseeds it).
    """
    x = _tensor(input, "dropout")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p (the probability of zeroing an entry) must be in [0, 1], "
                         f"got {p!r}")
    if not training or p == 0.0:
        return x
    with gates.gate("dropout"):
        if p == 1.0:
            return x * 0.0
        keep = _rng.numpy_rng().random(x.shape) >= p
        mask = Tensor(keep * (1.0 / (1.0 - p)), requires_grad=False, dtype=x.data.dtype)
        return x * mask


def relu(input: Any) -> Tensor:
    """``max(0, x)`` entrywise, one gate."""
    return _tensor(input, "relu").relu()


def softmax(input: Any, dim: int = -1) -> Tensor:
    """``exp(x - logsumexp(x))`` along ``dim``: stable for scores of any size."""
    x = _tensor(input, "softmax")
    with gates.gate("softmax"):
        return (x - x.logsumexp(axis=dim, keepdims=True)).exp()


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``: stable (no exp of a large score is ever formed)."""
    x = _tensor(input, "log_softmax")
    with gates.gate("log_softmax"):
        return x - x.logsumexp(axis=dim, keepdims=True)


def cross_entropy(input: Any, target: Any) -> Tensor:
    """Mean cross-entropy of the softmax of (N, C) scores against N integer labels: the same
    gates as :func:`autograd.losses.softmax_loss`."""
    return losses.softmax_loss(input, target)


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x @ weight.T + bias`` with PyTorch's (out_features, in_features) weight."""
    x = _tensor(input, "linear")
    w = _tensor(weight, "linear", "weight")
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: weight must be (out_features, in_features) with in_features "
                         f"= the input's last axis; got input {x.shape}, weight {w.shape}")
    with gates.gate("linear"):
        out = x @ w.T
        return out + bias if bias is not None else out


def flatten(input: Any, start_dim: int = 1) -> Tensor:
    """Axes from ``start_dim`` on merged into one: (N, C, H, W) -> (N, C H W) by default."""
    x = _tensor(input, "flatten")
    if not -x.ndim <= start_dim < max(x.ndim, 1):
        raise ValueError(f"flatten: start_dim {start_dim} is out of range for shape {x.shape}")
    start = start_dim % x.ndim
    return x.reshape(x.shape[:start] + (-1,))
