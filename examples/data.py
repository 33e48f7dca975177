"""Small toy data sets for the examples, generated with numpy so that no download is needed.

Every generator takes a ``seed`` and returns the same points for the same arguments.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

__all__ = ["make_moons", "make_spiral"]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in the plane, a classic set that no straight line separates.

    The first moon is the upper half of the unit circle, ``(cos t, sin t)`` for t in [0, pi]; the
    second is the lower half circle shifted right and up, ``(1 - cos t, 0.5 - sin t)``. Each point
    gets Gaussian noise of standard deviation ``noise`` on both coordinates, then the points are
    shuffled.

    Args:
        n: number of points; the first moon gets ``n // 2``, the second the rest.
        noise: standard deviation of the Gaussian noise added to every coordinate.
        seed: seed of the numpy generator; the same arguments always give the same points.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)``, float64; ``y`` of shape ``(n,)``, float64, with
        labels **-1.0 for the first (upper) moon and +1.0 for the second**, the form a max-margin
        loss wants. Use ``(y + 1) / 2`` for 0/1 labels.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"make_moons needs n >= 2 points, got {n!r}")
    if noise < 0:
        raise ValueError(f"make_moons needs noise >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.vstack([upper, lower]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_upper), np.ones(n_lower)])
    order = rng.permutation(n)
    return X[order], y[order]


def make_spiral(points_per_class: int = 100, classes: int = 3,
                seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Spiral arms in the plane, one per class: the data of CS231n's neural network case study.

    Arm ``j`` has ``points_per_class`` points at radius ``r = linspace(0, 1, N)`` and angle
    ``t = linspace(4 j, 4 (j + 1), N) + 0.2 * randn(N)``, i.e. ``(r sin t, r cos t)``, as in the
    notes (there with ``np.random.randn``; here with a seeded generator).

    Args:
        points_per_class: N, points on each arm.
        classes: K, the number of arms (classes).
        seed: seed of the numpy generator; the same arguments always give the same points.

    Returns:
        ``(X, y)``: ``X`` of shape ``(N K, 2)``, float64, arm after arm (not shuffled); ``y`` of
        shape ``(N K,)``, integer class labels 0 .. K-1.
    """
    if not isinstance(points_per_class, int) or points_per_class < 2:
        raise ValueError(f"make_spiral needs points_per_class >= 2, got {points_per_class!r}")
    if not isinstance(classes, int) or classes < 1:
        raise ValueError(f"make_spiral needs classes >= 1, got {classes!r}")
    rng = np.random.default_rng(seed)
    n = points_per_class
    X = np.zeros((n * classes, 2))
    y = np.zeros(n * classes, dtype=np.int64)
    radius = np.linspace(0.0, 1.0, n)
    for j in range(classes):
        rows = slice(n * j, n * (j + 1))
        angle = np.linspace(j * 4.0, (j + 1) * 4.0, n) + rng.standard_normal(n) * 0.2
        X[rows] = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        y[rows] = j
    return X, y
