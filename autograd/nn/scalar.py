"""Scalar neural nets: a neuron, a layer of neurons, and a multi-layer perceptron of Values.

A neuron computes ``f(w . x + b)``. Its pre-activation is ONE ``w·x+b`` gate
(:func:`autograd.linear`, inputs ``w_1..w_n, x_1..x_n, b``, local gradients ``x``, ``w`` and 1)
followed by one nonlinearity gate, so a diagram shows a neuron as two gates and the backward pass
visits two nodes per neuron instead of the ``2n + 1`` of a chain of ``*`` and ``+``.

Weights and biases start as in PyTorch's ``nn.Linear``: uniform on ``[-1/sqrt(nin), 1/sqrt(nin)]``,
drawn from :func:`autograd.rng.python_rng`, so ``autograd.manual_seed(0)`` before building a model
gives the same numbers on every run (or pass ``seed=`` to use a private generator).

Each call of a neuron runs inside a named gate (:func:`autograd.gate`) that owns its weights and
bias, and each call of a layer inside another around its neurons' gates: ``neuron 1.3`` and
``layer 1`` in an MLP. Both are drawn collapsed by default, so :func:`viz.draw` shows a model's
graph as a few boxes, one per layer, instead of hundreds of weights; ``collapse=False`` or a
list of gate names (wildcards allowed, ``collapse=["neuron 1.*"]``) expands them.

Parameters are labelled by position, 0-based, so step-through text and diagrams can name them:
a lone neuron has ``w0, w1, ..., b``; in a layer, weight ``k`` of neuron ``j`` is ``wj.k`` and its
bias ``bj``; in an MLP, layer ``i`` adds a prefix: ``wi.j.k`` and ``bi.j``. Each output of a layer
is labelled the same way, ``hj`` (``hi.j`` in an MLP).

>>> import autograd
>>> from autograd.nn import MLP
>>> autograd.manual_seed(0)
>>> model = MLP(2, [16, 16, 1])
>>> len(model.parameters())
337
>>> score = model([0.5, -1.0])     # a Value: the last layer has one output
"""

from __future__ import annotations

import math
import random
from typing import Callable, List, Optional, Sequence, Union

from .. import rng as _rng
from ..gates import gate
from ..node import Node
from ..value import Constant, Value, linear
from .module import Module

__all__ = ["Neuron", "Layer", "MLP", "NONLINEARITIES"]

Number = Union[int, float]
Seed = Union[int, random.Random, None]

NONLINEARITIES = ("relu", "tanh", "sigmoid", "linear")

_ACTIVATIONS: dict = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


def _activation(nonlinearity: str) -> Optional[Callable[[Value], Value]]:
    if nonlinearity not in _ACTIVATIONS:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; choose one of "
                         f"{', '.join(repr(n) for n in NONLINEARITIES)}")
    return _ACTIVATIONS[nonlinearity]


def _generator(seed: Seed) -> random.Random:
    """The generator to draw initial weights from: the global one, or a private one for ``seed``."""
    if seed is None:
        return _rng.python_rng()
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__} "
                    f"{seed!r}")


def _check_size(name: str, n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return n


def _as_inputs(x: object, nin: int, who: str) -> List[Value]:
    """``x`` as a list of ``nin`` Values (numbers become Constants), or a clear error."""
    if isinstance(x, Node) and not isinstance(x, Value):
        raise TypeError(f"{who} works on scalar Values and got a {type(x).__name__} "
                        f"({x!r:.60}): a Tensor and a Value cannot be mixed (pass numbers or "
                        f"Values, or use autograd.nn.Linear for Tensors)")
    if isinstance(x, (Value, int, float)) and nin == 1:
        x = [x]
    try:
        n = len(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{who} expects a sequence of {nin} numbers or Values, got "
                        f"{type(x).__name__} {x!r:.60}") from None
    if n != nin:
        raise ValueError(f"{who} expects {nin} input{'s' if nin != 1 else ''}, got {n}")
    return [v if isinstance(v, Value) else Constant(v) for v in x]  # type: ignore[union-attr]


class Neuron(Module):
    """One neuron: ``nonlinearity(w . x + b)``.

    Args:
        nin: number of inputs.
        nonlinearity: ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"`` (none).
        seed: None to draw from the global generator (see :func:`autograd.manual_seed`), an int
            for a private ``random.Random(seed)``, or a ``random.Random`` to draw from.

    Attributes:
        w (list[Value]): the weights, labelled ``w0 .. w{nin-1}``.
        b (Value): the bias, labelled ``b``.
    """

    def __init__(self, nin: int, nonlinearity: str = "relu", *, seed: Seed = None):
        self.nin = _check_size("nin", nin)
        self._activate = _activation(nonlinearity)
        self.nonlinearity = nonlinearity
        draw = _generator(seed).uniform
        bound = 1.0 / math.sqrt(nin)
        self.w = [Value(draw(-bound, bound)) for _ in range(nin)]
        self.b = Value(draw(-bound, bound))
        self._name_parameters("")

    def _name_parameters(self, position: str) -> None:
        """Label weights ``w{position}k`` and the bias ``b{position}``, position like ``"1.3."``;
        the neuron's gate is called ``neuron {position}`` (``neuron`` alone) and its output
        ``h{position}`` (unlabelled alone), so a diagram's wires between layers read ``h0.3``."""
        self.gate_name = f"neuron {position.rstrip('.')}".rstrip()
        self.output_label = f"h{position.rstrip('.')}" if position else ""
        for k, w in enumerate(self.w):
            w.label = f"w{position}{k}"
        self.b.label = f"b{position.rstrip('.')}"

    def forward(self, x: Sequence[Union[Value, Number]]) -> Value:
        """The neuron's output for inputs ``x`` (numbers or Values, ``nin`` of them)."""
        return self._fire(_as_inputs(x, self.nin, "Neuron"))

    def _fire(self, x: List[Value]) -> Value:
        with gate(self.gate_name, collapse=True, owns=self):
            act = linear(self.w, x, self.b)
            activate = self._activate
            out = activate(act) if activate is not None else act
        if self.output_label:
            out.label = self.output_label
        return out

    def parameters(self) -> List[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"Neuron({self.nin} inputs, {self.nonlinearity})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs.

    Args:
        nin: number of inputs.
        nout: number of neurons (outputs).
        nonlinearity: applied by every neuron, see :class:`Neuron`.
        seed: as for :class:`Neuron`; one generator serves the whole layer.

    Calling a layer returns a Value when ``nout == 1``, else a list of ``nout`` Values.
    """

    def __init__(self, nin: int, nout: int, nonlinearity: str = "relu", *, seed: Seed = None):
        self.nin = _check_size("nin", nin)
        self.nout = _check_size("nout", nout)
        _activation(nonlinearity)
        self.nonlinearity = nonlinearity
        generator = _generator(seed)
        self.neurons = [Neuron(nin, nonlinearity, seed=generator) for _ in range(nout)]
        self._name_parameters("")

    def _name_parameters(self, position: str) -> None:
        self.gate_name = f"layer {position.rstrip('.')}".rstrip()
        for j, neuron in enumerate(self.neurons):
            neuron._name_parameters(f"{position}{j}.")

    def forward(self, x: Sequence[Union[Value, Number]]) -> Union[Value, List[Value]]:
        """The layer's outputs for inputs ``x`` (numbers or Values, ``nin`` of them)."""
        out = self._fire(_as_inputs(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def _fire(self, x: List[Value]) -> List[Value]:
        with gate(self.gate_name, collapse=True, owns=self):
            return [neuron._fire(x) for neuron in self.neurons]

    def parameters(self) -> List[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, {self.nonlinearity})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts``, the last one linear (no nonlinearity).

    Args:
        nin: number of inputs.
        nouts: the size of each layer, e.g. ``[16, 16, 1]`` for two hidden layers of 16 and one
            output.
        nonlinearity: used by every hidden layer, see :class:`Neuron`.
        seed: as for :class:`Neuron`; one generator serves the whole model.

    Calling the model returns a Value when the last layer has one output, else a list of Values.
    """

    def __init__(self, nin: int, nouts: Sequence[int], nonlinearity: str = "relu", *,
                 seed: Seed = None):
        self.nin = _check_size("nin", nin)
        sizes = list(nouts)
        if not sizes:
            raise ValueError("MLP needs at least one layer size in nouts, got []")
        for size in sizes:
            _check_size("every layer size in nouts", size)
        _activation(nonlinearity)
        self.nonlinearity = nonlinearity
        generator = _generator(seed)
        fan_in = [nin] + sizes[:-1]
        last = len(sizes) - 1
        self.layers = [Layer(fan_in[i], sizes[i], nonlinearity if i < last else "linear",
                             seed=generator)
                       for i in range(len(sizes))]
        for i, layer in enumerate(self.layers):
            layer._name_parameters(f"{i}.")

    def forward(self, x: Sequence[Union[Value, Number]]) -> Union[Value, List[Value]]:
        """The model's outputs for inputs ``x`` (numbers or Values, ``nin`` of them)."""
        values = _as_inputs(x, self.nin, "MLP")
        for layer in self.layers:
            values = layer._fire(values)
        return values[0] if len(values) == 1 else values

    def parameters(self) -> List[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        sizes = " -> ".join(str(n) for n in [self.nin] + [layer.nout for layer in self.layers])
        return f"MLP({sizes}, {self.nonlinearity} hidden, linear output)"
