"""``no_grad()``: compute without recording a graph, as PyTorch's ``torch.no_grad()``.

Evaluating a model on test data needs no backward pass; inside ``with autograd.no_grad():`` a
Tensor computed from others is a plain result (no inputs, ``requires_grad=False``), so the graph
and its memory are never made. The setting is a :mod:`contextvars` variable: each thread and each
asyncio task has its own, and leaving the block restores what was there.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Iterator

__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("circuitgrad_grad_enabled",
                                                                default=True)


def is_grad_enabled() -> bool:
    """Whether Tensor operations record a graph here (False inside :func:`no_grad`)."""
    return _enabled.get()


@contextmanager
def _grad_enabled(enabled: bool) -> Iterator[None]:
    token = _enabled.set(enabled)
    try:
        yield
    finally:
        _enabled.reset(token)


def no_grad() -> "contextmanager":
    """Context manager: Tensor operations inside record no graph (for evaluation)."""
    return _grad_enabled(False)


def enable_grad() -> "contextmanager":
    """Context manager: record graphs again inside a :func:`no_grad` block."""
    return _grad_enabled(True)
