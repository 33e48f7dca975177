"""Convolution and pooling on numpy arrays: the kernels behind the conv and pooling rows.

Layout as in PyTorch and CS231n: inputs ``x`` are (N, C, H, W), kernels ``w`` are (F, C, HH, WW),
outputs (N, F, Ho, Wo) with ``Ho = (H + 2 ph - HH) // sh + 1`` (likewise Wo). "Convolution" here
is what every deep-learning library computes, the cross-correlation
``out[n, f, i, j] = sum_{c, a, b} x_pad[n, c, i sh + a, j sw + b] w[f, c, a, b]``.

How it runs (no Python loop over output pixels):

* **im2col**: ``sliding_window_view`` gives every (HH, WW) window of the padded input as a
  strided view (N, C, Ho, Wo, HH, WW), no copy; one copy lays it out as ``cols`` of shape
  (N, C HH WW, Ho Wo), and one (batched) matrix product with the (F, C HH WW) kernel matrix
  gives (N, F, Ho Wo): the output, already NCHW.
* **weight gradient**: ``dw = sum_n g[n] cols[n]^T``, one batched product: the correlation of the
  padded input with the upstream gradient ``g``,
  ``dw[f, c, a, b] = sum_{n, i, j} g[n, f, i, j] x_pad[n, c, i sh + a, j sw + b]``.
* **input gradient**: ``dcols = w^T g`` (one product), then **col2im**: each kernel offset (a, b)
  adds its slab of ``dcols`` to a strided slice of the padded input's gradient, a loop over the
  HH WW offsets only. For stride 1 this is exactly the full convolution of g with the kernel
  rotated by 180 degrees (``examples/cnn_deltas.py`` checks it by hand).

The columns are not kept between the forward and the backward pass: the weight gradient cuts them
again (one copy), which keeps a net's peak memory near that of its activations.

Pooling runs over the kernel offsets too (a running maximum or sum of kh kw strided slices, each
as large as the output), so it never forms the windows. Max pooling sends each upstream gradient
to the entry that won its window, split evenly between tied entries as the ``max`` row of the op
table does (PyTorch gives all of it to the first tied entry; the two agree whenever the maximum
is unique). Windows may overlap (stride < kernel); an entry in several windows collects from
each.
"""

from __future__ import annotations

import numbers
from typing import Any, Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["pair", "conv_output_size", "check_conv", "check_pool", "pad", "windows", "im2col",
           "conv2d", "conv2d_grad_x", "conv2d_grad_w", "max_pool2d", "max_pool2d_grad",
           "avg_pool2d", "avg_pool2d_grad"]

Pair = Tuple[int, int]


def pair(value: Any, name: str, where: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints as ``(height, width)``, each at least ``minimum``.

    Raises:
        TypeError: for a float (``stride=1.5``), a bool or anything not an int or a pair.
        ValueError: for a value below ``minimum``.
    """
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2:
        raise TypeError(f"{where}: {name} must be an int or a pair of ints, got {value!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{where}: {name} must be an int or a pair of ints (height, width), "
                            f"got {value!r}")
        if v < minimum:
            raise ValueError(f"{where}: {name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def conv_output_size(size: Pair, kernel: Pair, stride: Pair, padding: Pair) -> Pair:
    """``(H + 2 ph - HH) // sh + 1`` and the same for the width."""
    return tuple((s + 2 * p - k) // st + 1
                 for s, k, st, p in zip(size, kernel, stride, padding))  # type: ignore


def _check_4d(x: np.ndarray, where: str, name: str = "input") -> None:
    if x.ndim != 4:
        hint = (" (a single image? add a batch axis: x.reshape(1, *x.shape))" if x.ndim == 3
                else "")
        raise ValueError(f"{where}: {name} must be 4-D (N, C, H, W), got shape {x.shape}{hint}")


def _check_fits(x_shape: tuple, kernel: Pair, padding: Pair, where: str, what: str) -> None:
    padded = (x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(f"{where}: {what} {kernel[0]}x{kernel[1]} is larger than the padded "
                         f"input {padded[0]}x{padded[1]} (input {x_shape[2]}x{x_shape[3]}, "
                         f"padding {padding})")


def check_conv(x: np.ndarray, w: np.ndarray, stride: Any, padding: Any,
               where: str = "conv2d") -> Tuple[Pair, Pair]:
    """Check the shapes of a convolution; returns ``(stride, padding)`` as pairs.

    Raises:
        ValueError: a 3-D (or other non-4-D) input or kernel, a channel mismatch (both counts
            named), a kernel larger than the padded input, a padding below 0.
        TypeError: a non-integer stride or padding.
    """
    stride = pair(stride, "stride", where)
    padding = pair(padding, "padding", where, minimum=0)
    _check_4d(x, where)
    _check_4d(w, where, "weight")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{where}: channel mismatch: the input has {x.shape[1]} channels "
                         f"(shape {x.shape}) but the weight expects {w.shape[1]} "
                         f"(shape {w.shape}, laid out (F, C, HH, WW))")
    _check_fits(x.shape, w.shape[2:], padding, where, "kernel")
    return stride, padding


def check_pool(x: np.ndarray, kernel_size: Any, stride: Any,
               where: str) -> Tuple[Pair, Pair]:
    """Check a pooling call; returns ``(kernel, stride)`` as pairs (stride None = kernel)."""
    kernel = pair(kernel_size, "kernel_size", where)
    stride = kernel if stride is None else pair(stride, "stride", where)
    _check_4d(x, where)
    _check_fits(x.shape, kernel, (0, 0), where, "pooling window")
    return kernel, stride


def pad(x: np.ndarray, padding: Pair) -> np.ndarray:
    """x with ``padding`` zeros on both sides of H and W (x itself when there are none)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def windows(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """Every (kh, kw) window of x a stride apart, as a read-only view (N, C, Ho, Wo, kh, kw)."""
    view = sliding_window_view(x, kernel, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1]]


def _offsets(kernel: Pair, stride: Pair, out_size: Pair):
    """(a, b, index) for each kernel offset: ``x[index]`` is the (N, C, Ho, Wo) slab of entries
    that sit at offset (a, b) of their window, one per output pixel (a strided view)."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_size
    for a in range(kh):
        rows = slice(a, a + sh * (ho - 1) + 1, sh)
        for b in range(kw):
            yield a, b, (slice(None), slice(None), rows, slice(b, b + sw * (wo - 1) + 1, sw))


def _col2im(cols: np.ndarray, shape: tuple, stride: Pair, padding: Pair) -> np.ndarray:
    """Sum window-shaped gradients back into the input they were cut from.

    Args:
        cols: (HH, WW, N, C, Ho, Wo): the gradient of every window entry, kernel offset first.
        shape: the unpadded input's shape (N, C, H, W).

    Returns:
        The (N, C, H, W) gradient: entries in several windows collect from each.
    """
    kh, kw, n, c, ho, wo = cols.shape
    ph, pw = padding
    out = np.zeros((n, c, shape[2] + 2 * ph, shape[3] + 2 * pw), dtype=cols.dtype)
    for a, b, index in _offsets((kh, kw), stride, (ho, wo)):
        out[index] += cols[a, b]
    return out[:, :, ph:ph + shape[2], pw:pw + shape[3]]


def im2col(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """The (N, C HH WW, Ho Wo) matrix of every window of the padded input: one copy of a
    strided view, laid out so that the product with the (F, C HH WW) kernel matrix is already
    (N, F, Ho Wo), the NCHW output."""
    view = windows(pad(x, padding), kernel, stride)  # (N, C, Ho, Wo, HH, WW), no copy
    n, c, ho, wo, kh, kw = view.shape
    return view.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, ho * wo)


def conv2d(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair) -> np.ndarray:
    """The (N, F, Ho, Wo) cross-correlation of x with the F kernels of w (see module doc)."""
    n, f = x.shape[0], w.shape[0]
    ho, wo = conv_output_size(x.shape[2:], w.shape[2:], stride, padding)
    cols = im2col(x, w.shape[2:], stride, padding)
    return np.matmul(w.reshape(f, cols.shape[1]), cols).reshape(n, f, ho, wo)  # one product


def conv2d_grad_w(g: np.ndarray, x: np.ndarray, w_shape: tuple, stride: Pair,
                  padding: Pair) -> np.ndarray:
    """dL/dw (F, C, HH, WW): the correlation of the padded input with the upstream gradient g,
    ``sum_n cols[n] @ g[n]^T``."""
    n, f, ho, wo = g.shape
    cols = im2col(x, w_shape[2:], stride, padding)  # (N, K, P)
    per_image = np.matmul(cols, g.reshape(n, f, ho * wo).transpose(0, 2, 1))  # (N, K, F)
    return per_image.sum(axis=0).T.reshape(w_shape)


def conv2d_grad_x(g: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair,
                  padding: Pair) -> np.ndarray:
    """dL/dx (N, C, H, W): each output's gradient times the kernel (``w^T g``, one product),
    summed back into the input by col2im."""
    n, f, ho, wo = g.shape
    c, kh, kw = w.shape[1:]
    dcols = np.matmul(w.reshape(f, c * kh * kw).T, g.reshape(n, f, ho * wo))  # (N, C HH WW, P)
    dcols = dcols.reshape(n, x_shape[1], kh, kw, ho, wo).transpose(2, 3, 0, 1, 4, 5)
    return _col2im(dcols, x_shape, stride, padding)


def _pool_size(x: np.ndarray, kernel: Pair, stride: Pair) -> Pair:
    return conv_output_size(x.shape[2:], kernel, stride, (0, 0))


def max_pool2d(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """The maximum of each window, (N, C, Ho, Wo): a running maximum over the kernel offsets."""
    out = None
    for _, _, index in _offsets(kernel, stride, _pool_size(x, kernel, stride)):
        if out is None:
            out = x[index].copy()
        else:
            np.maximum(out, x[index], out=out)
    return out


def max_pool2d_grad(g: np.ndarray, out: np.ndarray, x: np.ndarray, kernel: Pair,
                    stride: Pair) -> np.ndarray:
    """dL/dx: each window's upstream gradient routed to its maximum, split evenly among ties."""
    offsets = list(_offsets(kernel, stride, out.shape[2:]))
    won = [x[index] == out for _, _, index in offsets]
    ties = np.sum(won, axis=0) if len(won) > 1 else won[0]
    share = g / ties
    dx = np.zeros_like(x)
    for (_, _, index), winners in zip(offsets, won):
        dx[index] += winners * share
    return dx


def avg_pool2d(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """The mean of each window, (N, C, Ho, Wo): a running sum over the kernel offsets."""
    total = None
    for _, _, index in _offsets(kernel, stride, _pool_size(x, kernel, stride)):
        if total is None:
            total = x[index].copy()
        else:
            total += x[index]
    total /= kernel[0] * kernel[1]
    return total


def avg_pool2d_grad(g: np.ndarray, x_shape: tuple, kernel: Pair, stride: Pair) -> np.ndarray:
    """dL/dx: each window's upstream gradient spread evenly over its kh kw entries."""
    share = g / (kernel[0] * kernel[1])
    n, c, ho, wo = g.shape
    cols = np.broadcast_to(share, (kernel[0], kernel[1], n, c, ho, wo))
    return _col2im(cols, x_shape, stride, (0, 0))
