"""Small neural nets built from the engine's nodes, PyTorch style (``parameters()``,
``zero_grad()``)."""

from .module import Module
from .layers import Linear, ReLU, Sequential, TwoLayerNet
from .scalar import MLP, Layer, Neuron
from . import functional
from .conv import AvgPool2d, Conv2d, Flatten, MaxPool2d
from .dropout import Dropout
from .norm import BatchNorm1d, BatchNorm2d

__all__ = ["Module", "Neuron", "Layer", "MLP"]
__all__ += ["Linear", "ReLU", "Sequential", "TwoLayerNet"]
__all__ += ["functional", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "BatchNorm1d",
            "BatchNorm2d", "Dropout"]
