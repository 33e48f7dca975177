"""Linear regression by gradient descent on the mean squared error, checked against least squares.

Data: ``y = 3 x - 2 + noise`` for x uniform on [-1, 1]. The model ``pred = w x + b`` is fitted by
full-batch gradient descent on

    L(w, b) = mean_i (w x_i + b - y_i)^2

with gradients from ``loss.backward()``. L is a convex quadratic, so gradient descent converges
to the same (w, b) the normal equations give; ``np.linalg.lstsq`` computes that solution in closed
form. The script prints both, their difference, and the engine's gradient at the start beside the
formula ``dL/dw = 2 mean((pred - y) x)``, ``dL/db = 2 mean(pred - y)``.

    python examples/linear_regression_mse.py
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor  # noqa: E402
from autograd.losses import mse_loss  # noqa: E402
from autograd.optim import SGD  # noqa: E402

TRUE_SLOPE, TRUE_INTERCEPT = 3.0, -2.0


def make_data(n: int, noise: float, seed: int):
    """n points of y = 3 x - 2 + noise * N(0, 1), x uniform on [-1, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=n)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + noise * rng.standard_normal(n)
    return x, y


def main(argv: Optional[List[str]] = None) -> dict:
    """Fit by gradient descent and by least squares; print both.

    Returns:
        ``{"gd": (w, b), "lstsq": (w, b)}``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    x, y = make_data(args.points, args.noise, args.seed)
    inputs = Tensor(x, requires_grad=False)
    w = Tensor(np.array(0.0), label="w")
    b = Tensor(np.array(0.0), label="b")
    optimizer = SGD([w, b], lr=args.lr)

    print(f"data: y = {TRUE_SLOPE:g} x {TRUE_INTERCEPT:+g} + {args.noise:g} * noise, "
          f"{args.points} points")
    for step in range(args.steps):
        loss = mse_loss(inputs * w + b, y)
        optimizer.zero_grad()
        loss.backward()
        if step == 0:
            residual = w.data * x + b.data - y
            print(f"gradient at w = b = 0:   engine dL/dw = {float(w.grad):.12f}, "
                  f"dL/db = {float(b.grad):.12f}")
            print(f"                         2 mean(r x)  = {2 * np.mean(residual * x):.12f}, "
                  f"2 mean(r) = {2 * np.mean(residual):.12f}")
        if step % max(1, args.steps // 5) == 0 or step == args.steps - 1:
            print(f"  step {step:4d}: loss {float(loss.data):.10f}  w {float(w.data):+.10f}  "
                  f"b {float(b.data):+.10f}")
        optimizer.step()

    design = np.c_[x, np.ones_like(x)]
    (w_ls, b_ls), *_ = np.linalg.lstsq(design, y, rcond=None)
    w_gd, b_gd = float(w.data), float(b.data)
    print(f"gradient descent: w = {w_gd:+.10f}, b = {b_gd:+.10f}")
    print(f"least squares:    w = {w_ls:+.10f}, b = {b_ls:+.10f}")
    print(f"difference:       |dw| = {abs(w_gd - w_ls):.2e}, |db| = {abs(b_gd - b_ls):.2e}")
    print(f"true line:        w = {TRUE_SLOPE:+.10f}, b = {TRUE_INTERCEPT:+.10f}")
    return {"gd": (w_gd, b_gd), "lstsq": (float(w_ls), float(b_ls))}


if __name__ == "__main__":
    main()
