"""The playground's 2-D toy datasets: moons, circles, spiral and xor, each scaled to [-1, 1].

Each function takes the number of points, the noise (standard deviation of Gaussian jitter, in
the dataset's own units before scaling: for moons, as scikit-learn's ``make_moons``) and a random
generator, and returns ``(X, y)``: X of shape (N, 2), y the integer classes. :func:`make_dataset`
with the same arguments (the seed among them) always gives the same points.
"""

from __future__ import annotations

from typing import Callable, Dict, Tuple

import numpy as np

__all__ = ["DATASETS", "make_dataset", "classes_of"]

Points = Tuple[np.ndarray, np.ndarray]


def _split(n: int, k: int) -> list:
    """n points shared among k classes as evenly as possible."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _moons(n: int, noise: float, rng: np.random.Generator) -> Points:
    upper, lower = _split(n, 2)
    t_upper, t_lower = rng.uniform(0, np.pi, upper), rng.uniform(0, np.pi, lower)
    X = np.concatenate([np.c_[np.cos(t_upper), np.sin(t_upper)],
                        np.c_[1 - np.cos(t_lower), 0.5 - np.sin(t_lower)]])
    X += rng.normal(0.0, noise, X.shape)
    return (X - [0.5, 0.25]) / 1.6, np.repeat([0, 1], [upper, lower])  # centred, about [-1, 1]


def _circles(n: int, noise: float, rng: np.random.Generator) -> Points:
    outer, inner = _split(n, 2)
    t_outer, t_inner = rng.uniform(0, 2 * np.pi, outer), rng.uniform(0, 2 * np.pi, inner)
    X = np.concatenate([0.9 * np.c_[np.cos(t_outer), np.sin(t_outer)],
                        0.4 * np.c_[np.cos(t_inner), np.sin(t_inner)]])
    return X + rng.normal(0.0, noise, X.shape), np.repeat([0, 1], [outer, inner])


def _spiral(n: int, noise: float, rng: np.random.Generator) -> Points:
    """CS231n's three-armed spiral."""
    sizes = _split(n, 3)
    parts, labels = [], []
    for c, size in enumerate(sizes):
        r = np.linspace(0.05, 0.95, size)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, size)
        parts.append(np.c_[r * np.sin(t), r * np.cos(t)])
        labels.append(np.full(size, c))
    X = np.concatenate(parts)
    return X + rng.normal(0.0, noise, X.shape), np.concatenate(labels)


def _xor(n: int, noise: float, rng: np.random.Generator) -> Points:
    X = rng.uniform(-0.95, 0.95, (n, 2))
    X += np.sign(X) * 0.05  # a small gap along the axes, so the classes are separable
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int)  # the quadrant decides, before the noise
    return X + rng.normal(0.0, noise, X.shape), y


DATASETS: Dict[str, Callable[[int, float, np.random.Generator], Points]] = {
    "moons": _moons, "circles": _circles, "spiral": _spiral, "xor": _xor}
"""The datasets by name."""

_CLASSES = {"moons": 2, "circles": 2, "spiral": 3, "xor": 2}


def classes_of(name: str) -> int:
    """How many classes a dataset has."""
    return _CLASSES[name]


def make_dataset(name: str, n: int, noise: float, seed: int = 0) -> Points:
    """``n`` points of dataset ``name`` with Gaussian ``noise``; see the module docstring."""
    rng = np.random.default_rng(seed)
    X, y = DATASETS[name](n, noise, rng)
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.int64)
