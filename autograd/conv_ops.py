"""Op-table rows for convolutional nets: conv2d (with and without bias), max and average pooling.

Each row is a structural row of :mod:`autograd.ops`: a forward and one vector-Jacobian product per
input, evaluated by the numpy kernels of :mod:`autograd.conv_math` (im2col with one matrix
product; the input gradient by col2im). Parameters (stride, padding, kernel) are keyword-only and
kept on the node. The rules are first-order only: their VJPs are numpy code, not graphs, so
``backward(create_graph=True)`` through one of these gates raises an error naming the row.

The rules in one line each (``g`` the upstream gradient, shaped like the output):

* conv2d: ``dx`` = full convolution of g with the kernel rotated 180 degrees (col2im of
  ``w^T g``); ``dw`` = correlation of the padded input with g; ``db`` = g summed over N, H, W.
* max_pool2d: g routed to the entry that won each window, split evenly among ties (as the ``max``
  row splits ties; PyTorch gives it all to the first).
* avg_pool2d: g spread evenly over each window's kh kw entries.
"""

from __future__ import annotations

from . import conv_math, ops
from .ops import Op

__all__ = ["CONV2D", "CONV2D_BIAS", "MAX_POOL2D", "AVG_POOL2D", "CONV_OPS"]

_CONV_MATH = ("dx = full convolution of g with the 180-degree-rotated kernel (col2im of w^T g); "
              "dw = correlation of the padded x with g")


def _grad_x(m, g, out, x, w, *b, stride, padding):
    return conv_math.conv2d_grad_x(g, w, x.shape, stride, padding)


def _grad_w(m, g, out, x, w, *b, stride, padding):
    return conv_math.conv2d_grad_w(g, x, w.shape, stride, padding)


def _grad_b(m, g, out, x, w, b, *, stride, padding):
    return g.sum(axis=(0, 2, 3))


def _conv_bias(m, x, w, b, *, stride, padding):
    out = conv_math.conv2d(x, w, stride, padding)
    out += b.reshape(1, -1, 1, 1)
    return out


CONV2D = Op("conv2d", "conv2d",
            forward=lambda m, x, w, *, stride, padding: conv_math.conv2d(x, w, stride, padding),
            vjp=(_grad_x, _grad_w),
            math=_CONV_MATH,
            formula="conv2d({0}, {1})",
            params=("stride", "padding"),
            higher_order=False)

CONV2D_BIAS = Op("conv2d_bias", "conv2d",
                 forward=_conv_bias,
                 vjp=(_grad_x, _grad_w, _grad_b),
                 math=_CONV_MATH + "; db = g summed over N, H, W",
                 formula="conv2d({0}, {1}) + {2}",
                 params=("stride", "padding"),
                 higher_order=False)

MAX_POOL2D = Op("max_pool2d", "maxpool",
                forward=lambda m, x, *, kernel, stride: conv_math.max_pool2d(x, kernel, stride),
                vjp=(lambda m, g, out, x, *, kernel, stride: conv_math.max_pool2d_grad(
                    g, out, x, kernel, stride),),
                math="dx = g routed to the maximum of each window (split evenly among ties)",
                formula="maxpool({0})",
                params=("kernel", "stride"),
                higher_order=False)

AVG_POOL2D = Op("avg_pool2d", "avgpool",
                forward=lambda m, x, *, kernel, stride: conv_math.avg_pool2d(x, kernel, stride),
                vjp=(lambda m, g, out, x, *, kernel, stride: conv_math.avg_pool2d_grad(
                    g, x.shape, kernel, stride),),
                math="dx = g / (kh kw) spread over each window's entries",
                formula="avgpool({0})",
                params=("kernel", "stride"),
                higher_order=False)

CONV_OPS = (CONV2D, CONV2D_BIAS, MAX_POOL2D, AVG_POOL2D)

# Pickled graphs find their rows again by name (``ops.by_name``): make these rows findable too.
for _op in CONV_OPS:
    ops._BY_NAME.setdefault(_op.name, _op)
