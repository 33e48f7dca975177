"""Logistic regression: SGD on binary cross-entropy from logits, and the gradient's closed form.

Two Gaussian blobs in 2-D, labels y in {0, 1}. The model's logit is ``z = X w + b`` and the loss

    L = -1/N sum_i [ y_i log sigmoid(z_i) + (1 - y_i) log(1 - sigmoid(z_i)) ]

is computed by ``binary_cross_entropy_with_logits`` (stable for large |z|). Differentiating,
dL/dz_i = (sigmoid(z_i) - y_i) / N, so

    dL/dw = X^T (sigmoid(z) - y) / N,    dL/db = mean(sigmoid(z) - y).

The script compares the engine's ``w.grad`` and ``b.grad`` with these formulas (before training
and after), then prints the loss and accuracy as minibatch SGD separates the blobs.

    python examples/logistic_regression_bce.py
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor  # noqa: E402
from autograd.losses import binary_cross_entropy_with_logits  # noqa: E402
from autograd.optim import SGD  # noqa: E402


def make_blobs(n_per_class: int, seed: int):
    """Two separable Gaussian blobs: class 0 around (-2, -1), class 1 around (2, 1), std 0.7."""
    rng = np.random.default_rng(seed)
    centers = np.array([[-2.0, -1.0], [2.0, 1.0]])
    X = np.concatenate([center + 0.7 * rng.standard_normal((n_per_class, 2))
                        for center in centers])
    y = np.repeat([0.0, 1.0], n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def compare_gradient(w: Tensor, b: Tensor, X: np.ndarray, y: np.ndarray, when: str) -> float:
    """Backpropagate the full-batch loss and print the engine's gradient beside the closed form.

    Returns:
        The largest absolute difference between the two.
    """
    w.zero_grad()
    b.zero_grad()
    logits = Tensor(X, requires_grad=False) @ w + b
    binary_cross_entropy_with_logits(logits, y).backward()
    error = sigmoid(X @ w.data + b.data) - y
    closed_w = X.T @ error / len(y)
    closed_b = np.mean(error)
    difference = max(np.max(np.abs(w.grad - closed_w)), abs(float(b.grad) - closed_b))
    print(f"gradient {when}:")
    print(f"  engine       dL/dw = {np.array2string(w.grad, precision=12)}, "
          f"dL/db = {float(b.grad):.12f}")
    print(f"  closed form  dL/dw = {np.array2string(closed_w, precision=12)}, "
          f"dL/db = {closed_b:.12f}")
    print(f"  max |difference| = {difference:.2e}")
    return float(difference)


def main(argv: Optional[List[str]] = None) -> dict:
    """Train and report; returns the final loss, accuracy and gradient differences."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200, help="points per class")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = make_blobs(args.points, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    w = Tensor(0.1 * rng.standard_normal(2), label="w")
    b = Tensor(np.array(0.0), label="b")
    before = compare_gradient(w, b, X, y, "before training")

    optimizer = SGD([w, b], lr=args.lr)
    n = len(y)
    for epoch in range(args.epochs):
        order = rng.permutation(n)
        for start in range(0, n, args.batch):
            batch = order[start:start + args.batch]
            logits = Tensor(X[batch], requires_grad=False) @ w + b
            loss = binary_cross_entropy_with_logits(logits, y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        full = binary_cross_entropy_with_logits(Tensor(X, requires_grad=False) @ w + b, y)
        accuracy = float(np.mean(((X @ w.data + b.data) > 0) == (y == 1.0)))
        if epoch % max(1, args.epochs // 5) == 0 or epoch == args.epochs - 1:
            print(f"  epoch {epoch:3d}: loss {float(full.data):.6f}  accuracy {accuracy:.2%}")

    after = compare_gradient(w, b, X, y, "after training")
    print(f"final: loss {float(full.data):.6f}, accuracy {accuracy:.2%}, "
          f"w = {np.array2string(w.data, precision=4)}, b = {float(b.data):.4f}")
    return {"loss": float(full.data), "accuracy": accuracy,
            "gradient_difference": max(before, after)}


if __name__ == "__main__":
    main()
