"""How errors (deltas) flow back through a CNN's layers, answered with numbers.

1. **Convolution.** For ``out = conv2d(x, w)`` (stride 1, no padding) the delta of the input is
   the *full* convolution of the upstream delta ``g`` with the kernel rotated by 180 degrees:
   pad g with HH-1 rows and WW-1 columns of zeros on every side, slide the flipped kernel over it::

       dx[c, i, j] = sum_f sum_{a, b} g_pad[f, i + a, j + b] * w[f, c, HH-1-a, WW-1-b]

   Written out below with plain loops in numpy, it equals the engine's ``x.grad`` (col2im).
2. **Max pooling.** Each window's delta goes to the entry that won the window; every other entry
   gets 0. Routed by hand below, it equals the engine's ``x.grad``.
3. **A 1-D convolution as a scalar circuit.** ``y_i = w0 x_i + w1 x_{i+1} + w2 x_{i+2} + b``, each
   output one ``w·x+b`` gate (:func:`autograd.linear`) on scalar Values, drawn with ``viz``: every
   input wire shows where its delta comes from. ``x_j`` feeds up to three gates, and its gradient
   is the sum of what flows back along those wires, ``dx_j = sum_i dy_i w_{j-i}``: the full
   convolution of the deltas with the flipped kernel again (``np.convolve(dy, w)``).

Writes ``out/cnn_deltas_1d.svg`` (``.dot`` without the Graphviz program).

    python examples/cnn_deltas.py
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import autograd  # noqa: E402
from autograd import Tensor, Value  # noqa: E402
from autograd.nn import functional as F  # noqa: E402
from output import wrote  # noqa: E402


def full_convolution_by_hand(g: np.ndarray, w: np.ndarray) -> np.ndarray:
    """dx for one image: g (F, Ho, Wo) fully convolved with each rotated kernel w (F, C, HH, WW)."""
    f_count, ho, wo = g.shape
    _, channels, kh, kw = w.shape
    g_pad = np.zeros((f_count, ho + 2 * (kh - 1), wo + 2 * (kw - 1)))
    g_pad[:, kh - 1:kh - 1 + ho, kw - 1:kw - 1 + wo] = g
    rotated = w[:, :, ::-1, ::-1]
    dx = np.zeros((channels, ho + kh - 1, wo + kw - 1))
    for c in range(channels):
        for i in range(dx.shape[1]):
            for j in range(dx.shape[2]):
                total = 0.0
                for f in range(f_count):
                    for a in range(kh):
                        for b in range(kw):
                            total += g_pad[f, i + a, j + b] * rotated[f, c, a, b]
                dx[c, i, j] = total
    return dx


def routed_by_hand(x: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """Max-pool deltas of one channel: each window's g to the position of its maximum."""
    dx = np.zeros_like(x)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            window = x[i * k:(i + 1) * k, j * k:(j + 1) * k]
            a, b = np.unravel_index(np.argmax(window), window.shape)
            dx[i * k + a, j * k + b] += g[i, j]
    return dx


def conv_deltas(rng: np.random.Generator) -> float:
    x = Tensor(rng.standard_normal((1, 2, 5, 6)), label="x")
    w = Tensor(rng.standard_normal((3, 2, 3, 2)), label="w")
    out = F.conv2d(x, w)
    g = rng.standard_normal(out.shape)  # the upstream delta dL/dout
    out.backward(g)
    by_hand = full_convolution_by_hand(g[0], w.data)
    difference = float(np.abs(x.grad[0] - by_hand).max())
    print("1. conv2d, x (1, 2, 5, 6), w (3, 2, 3, 2): dx from the engine vs the full convolution "
          "of g with the flipped kernel, by hand")
    print(f"   channel 0 of dx (engine):\n{_indent(x.grad[0, 0])}")
    print(f"   max |difference| = {difference:.3g}\n")
    return difference


def pool_deltas(rng: np.random.Generator) -> float:
    x = Tensor(rng.permutation(16).reshape(1, 1, 4, 4).astype(float), label="x")
    out = F.max_pool2d(x, 2)
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out.backward(g)
    by_hand = routed_by_hand(x.data[0, 0], g[0, 0], 2)
    difference = float(np.abs(x.grad[0, 0] - by_hand).max())
    print("2. max_pool2d 2x2 of x (each window's winner gets its delta):")
    print(f"   x:\n{_indent(x.data[0, 0])}")
    print(f"   upstream deltas g:\n{_indent(g[0, 0])}")
    print(f"   dx (engine):\n{_indent(x.grad[0, 0])}")
    print(f"   max |difference| from routing by hand = {difference:.3g}\n")
    return difference


def conv1d_circuit(out_dir: str) -> float:
    """The 1-D convolution of 5 inputs with a 3-tap kernel as scalar w·x+b gates, drawn.

    The kernel and bias are constants (folded into their gates, so the figure shows only the
    paths of the deltas to x); the deltas dL/dy_i arrive from a loss ``L = sum_i d_i y_i``.
    """
    import viz

    xs = [Value(v, label=f"x{j}") for j, v in enumerate([1.0, -2.0, 0.5, 3.0, -1.0])]
    w = np.array([0.5, -1.0, 2.0])
    deltas = [1.0, 2.0, -1.0]
    ys = []
    for i in range(len(xs) - len(w) + 1):
        kernel = [autograd.Constant(v) for v in w]  # fresh per gate: drawn beside it
        y = autograd.linear(kernel, xs[i:i + len(w)], 0.1)
        y.label = f"y{i}"
        ys.append(y)
    loss = autograd.sum([d * y for d, y in zip(deltas, ys)])
    loss.label = "L"
    loss.backward()
    dy = np.array([y.grad for y in ys])
    formula = np.convolve(dy, w)  # sum_i dy_i w_{j-i}: the full convolution, kernel flipped
    engine = np.array([x.grad for x in xs])
    print("3. 1-D convolution y_i = w0 x_i + w1 x_(i+1) + w2 x_(i+2) + b, w = "
          f"{w.tolist()}, b = 0.1, L = sum d_i y_i")
    print(f"   deltas dL/dy       = {dy.tolist()}")
    print(f"   dL/dx (engine)     = {engine.tolist()}")
    print(f"   np.convolve(dy, w) = {formula.tolist()}")
    difference = float(np.abs(engine - formula).max())
    print(f"   max |difference| = {difference:.3g}")
    options = dict(local_grads=True,
                   title="1-D convolution, w = (0.5, -1, 2): each output one w·x+b gate; "
                         "x_j's gradient adds the deltas sent back by every gate it feeds")
    try:
        path = viz.save(loss, os.path.join(out_dir, "cnn_deltas_1d.svg"), **options)
    except viz.GraphvizNotFound:
        path = viz.save(loss, os.path.join(out_dir, "cnn_deltas_1d.dot"), **options)
    wrote(path)
    return difference


def _indent(array: np.ndarray) -> str:
    text = np.array2string(np.asarray(array), precision=4, suppress_small=True)
    return "\n".join("     " + line for line in text.splitlines())


def main(argv: Optional[List[str]] = None) -> List[float]:
    """Run the three checks; returns their max differences (all should be ~1e-15 or 0)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="directory for the diagram")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    return [conv_deltas(rng), pool_deltas(rng), conv1d_circuit(args.out)]


if __name__ == "__main__":
    main()
