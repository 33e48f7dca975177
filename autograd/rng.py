"""One seed for every random initialization, as ``torch.manual_seed`` does.

Scalar nets draw from a :class:`random.Random`, tensor layers from a
:class:`numpy.random.Generator`; :func:`manual_seed` resets both, so ``manual_seed(0)`` then
building a model gives the same weights on every run. Both are seeded with 0 at import, so a script
that never calls it is reproducible too.
"""

from __future__ import annotations

import random

import numpy as np

__all__ = ["manual_seed", "python_rng", "numpy_rng"]

_python = random.Random(0)
_numpy = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generators every initializer in circuitgrad draws from."""
    global _numpy
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"manual_seed() needs an int, got {type(seed).__name__} {seed!r}")
    _python.seed(seed)
    _numpy = np.random.default_rng(seed)


def python_rng() -> random.Random:
    """The generator scalar initializers (Neuron weights) draw from."""
    return _python


def numpy_rng() -> np.random.Generator:
    """The generator tensor initializers (Linear weights) draw from."""
    return _numpy
