"""``Dropout``: inverted dropout in training mode, the identity in evaluation mode."""

from __future__ import annotations

import numbers
from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each entry with probability p while training, scaling survivors by 1 / (1 - p).

    After ``model.eval()`` it passes its input through unchanged. The mask is drawn from
    :func:`autograd.rng.numpy_rng` (``autograd.manual_seed`` reseeds it).

    Args:
        p: the probability of zeroing an entry, in [0, 1].
    """

    def __init__(self, p: float = 0.5):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
