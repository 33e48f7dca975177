"""Small neural nets built from the engine's nodes, PyTorch style (``parameters()``, ``zero_grad()``)."""

from .module import Module

__all__ = ["Module"]
