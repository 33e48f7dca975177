"""Why CS231n's code says ``dW += 2 * reg * W``: the gradient of an L2 penalty, three ways.

The assignments regularize with ``loss = data_loss + reg * sum(W**2)``, no 1/2. Then

    d/dW_ij [reg * sum_kl W_kl^2] = reg * 2 W_ij

so the penalty adds ``2 * reg * W`` to the data gradient. The lecture notes instead write
``0.5 * reg * sum(W**2)``, whose gradient is ``reg * W``: same idea, the factor 1/2 is only there
to cancel the 2. Mixing the two conventions (penalty without 1/2, gradient without 2) gives a
gradient off by a factor of 2 in the regularization part, which a gradient check catches.

This script builds ``loss = softmax_loss(X W, y) + reg * l2(W)`` (``l2`` = plain sum of squares),
and compares:

1. the engine's gradient of the penalty alone with ``2 * reg * W``;
2. the full gradient minus the data-loss gradient with ``2 * reg * W``;
3. both with centered finite differences (:func:`autograd.gradcheck`);
4. the ``0.5 * reg`` convention with ``reg * W``, and the mixed-up ``reg * W`` for the no-1/2
   penalty, which fails the check.

    python examples/l2_regularization.py
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor, gradcheck, relative_error  # noqa: E402
from autograd.losses import l2, softmax_loss  # noqa: E402


def gradient_of(f, W: Tensor) -> np.ndarray:
    """``d f(W) / dW`` from one backward pass (W's gradient is reset first)."""
    W.zero_grad()
    f(W).backward()
    return np.array(W.grad, dtype=np.float64)


def max_relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(relative_error(a, b)))


def main(argv: Optional[List[str]] = None) -> dict:
    """Print the comparisons; returns the largest relative error of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--features", type=int, default=5)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--reg", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    X = Tensor(rng.standard_normal((args.samples, args.features)), requires_grad=False)
    y = rng.integers(0, args.classes, size=args.samples)
    W = Tensor(rng.standard_normal((args.features, args.classes)), label="W")
    reg = args.reg

    def penalty(W):
        return reg * l2(W)

    def data_loss(W):
        return softmax_loss(X @ W, y)

    def loss(W):
        return data_loss(W) + reg * l2(W)

    def half_penalty(W):
        return 0.5 * reg * l2(W)

    errors = {}
    print(f"W is {args.features}x{args.classes}, reg = {reg:g}; "
          f"relative error = |a - b| / max(|a|, |b|), largest entry shown\n")

    engine = gradient_of(penalty, W)
    errors["penalty vs 2 reg W"] = max_relative_error(engine, 2 * reg * W.data)
    print("1. reg * l2(W) = reg * sum(W**2)")
    print(f"   engine gradient, row 0: {np.array2string(engine[0], precision=10)}")
    print(f"   2 * reg * W,     row 0: {np.array2string(2 * reg * W.data[0], precision=10)}")
    print(f"   max relative error: {errors['penalty vs 2 reg W']:.2e}")

    full = gradient_of(loss, W)
    data_only = gradient_of(data_loss, W)
    errors["full - data vs 2 reg W"] = max_relative_error(full - data_only, 2 * reg * W.data)
    print("\n2. loss = softmax_loss(X W, y) + reg * l2(W)")
    print(f"   (full gradient - data gradient) vs 2 * reg * W: max relative error "
          f"{errors['full - data vs 2 reg W']:.2e}")

    print("\n3. gradcheck (centered differences, h = 1e-6) of the engine's gradient")
    for name, f in (("reg * l2(W)", penalty), ("full loss", loss)):
        report = gradcheck(f, [W], raise_exception=False)
        errors[f"gradcheck {name}"] = report.max_error
        print(f"   {name:<12}: max relative error {report.max_error:.2e} "
              f"({'passed' if report.ok else 'FAILED'})")

    half = gradient_of(half_penalty, W)
    errors["half penalty vs reg W"] = max_relative_error(half, reg * W.data)
    print("\n4. the lecture notes' convention: 0.5 * reg * l2(W)")
    print(f"   engine gradient vs reg * W: max relative error "
          f"{errors['half penalty vs reg W']:.2e}")
    mixed = gradient_of(penalty, W)
    errors["mixed convention"] = max_relative_error(mixed, reg * W.data)
    print(f"   mixing conventions (penalty without 1/2, gradient reg * W): max relative error "
          f"{errors['mixed convention']:.2e}  <- the factor of 2 a gradient check catches")
    return errors


if __name__ == "__main__":
    main()
