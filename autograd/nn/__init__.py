"""Small neural nets built from the engine's nodes, PyTorch style (``parameters()``,
``zero_grad()``)."""

from .module import Module
from .layers import Linear, ReLU, Sequential, TwoLayerNet
from .scalar import MLP, Layer, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP"]
__all__ += ["Linear", "ReLU", "Sequential", "TwoLayerNet"]
