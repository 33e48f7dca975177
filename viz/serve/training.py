"""The playground's trainer: a small fully connected net learning a 2-D dataset on the engine.

The net is a stack of :class:`autograd.nn.Linear` layers with an activation between them; the
loss is CS231n's multiclass SVM or the softmax cross-entropy (:mod:`autograd.losses`) plus
``l2 * sum(W**2)`` over the weight matrices; the optimizer is full-batch
:class:`autograd.optim.SGD` with momentum 0.9. Every number the page shows comes from these
Tensors: the loss curve, the decision boundary (the net's forward pass on a grid), the weights and
their gradients on the wires, and the circuit of one neuron (rebuilt from scalar
:class:`~autograd.Value` nodes at the current weights, its backward pass seeded with the gradient
the loss sends that neuron for one example).

:func:`parse_settings` checks everything a page sends; a :class:`Trainer` never trains more than
:data:`MAX_STEPS` steps.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

import autograd
from autograd import Tensor, Value, losses, optim
from autograd.nn import Linear
from autograd.steps import format_number

from .datasets import DATASETS, classes_of, make_dataset

__all__ = ["Settings", "SettingsError", "Trainer", "parse_settings", "ACTIVATIONS", "LOSSES",
           "MAX_STEPS", "GRID"]

ACTIVATIONS = ("relu", "tanh", "sigmoid")
LOSSES = ("softmax", "svm")
MAX_STEPS = 20_000
"""The most training steps one playground session runs."""
MAX_LAYERS, MAX_WIDTH = 4, 32
POINTS_RANGE = (20, 1000)
NOISE_RANGE = (0.0, 0.5)
LR_RANGE = (1e-5, 10.0)
L2_RANGE = (0.0, 1.0)
MOMENTUM = 0.9
NEURON_INPUTS = 4
"""A neuron's circuit draws its inputs with the largest ``|w * x|``, at most this many; the
rest enter as one summed term."""
GRID = 40
"""The decision boundary is the net's prediction on a GRID x GRID square of points."""
EXTENT = 1.5
"""The square shown is [-EXTENT, EXTENT] on both axes."""


_SEEDING = threading.Lock()  # the engine's generator is global: one net is initialized at a time


class SettingsError(ValueError):
    """A playground setting out of range or unknown; one-line message."""


@dataclass(frozen=True)
class Settings:
    """What to train: the dataset, the net and the optimization."""

    dataset: str = "moons"
    noise: float = 0.1
    points: int = 200
    hidden: Tuple[int, ...] = (16, 16)
    activation: str = "relu"
    lr: float = 0.1
    l2: float = 1e-4
    loss: str = "softmax"
    seed: int = 0


def _number(raw: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = raw.get(key, default)
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        raise SettingsError(f"{key} must be a number from {low:g} to {high:g}, got "
                            f"{str(value)[:40]!r}")
    return number


def _choice(raw: Mapping[str, Any], key: str, default: str, allowed) -> str:
    value = raw.get(key, default)
    if value not in allowed:
        raise SettingsError(f"{key} must be one of {', '.join(allowed)}, got {str(value)[:40]!r}")
    return value


def _hidden(value: Any) -> Tuple[int, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split()]
    if not isinstance(value, (list, tuple)) or len(value) > MAX_LAYERS:
        raise SettingsError(f"hidden must be a list of at most {MAX_LAYERS} layer sizes, e.g. "
                            "16,16")
    sizes = []
    for size in value:
        try:
            width = int(size) if not isinstance(size, (bool, float)) else -1
        except (TypeError, ValueError):
            width = -1
        if not 1 <= width <= MAX_WIDTH:
            raise SettingsError(f"each hidden layer needs 1 to {MAX_WIDTH} neurons, got "
                                f"{str(size)[:20]!r}")
        sizes.append(width)
    return tuple(sizes)


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Settings from a page's JSON, every field checked (missing fields take the defaults).

    Raises:
        SettingsError: an unknown field, or a value of the wrong kind or out of range.
    """
    if not isinstance(raw, Mapping):
        raise SettingsError("the settings must be a JSON object")
    unknown = set(raw) - set(Settings.__dataclass_fields__)
    if unknown:
        raise SettingsError(f"unknown setting {sorted(unknown)[0][:40]!r}")
    default = Settings()
    return Settings(
        dataset=_choice(raw, "dataset", default.dataset, tuple(DATASETS)),
        noise=_number(raw, "noise", default.noise, *NOISE_RANGE),
        points=int(_number(raw, "points", default.points, *POINTS_RANGE)),
        hidden=_hidden(raw.get("hidden", default.hidden)),
        activation=_choice(raw, "activation", default.activation, ACTIVATIONS),
        lr=_number(raw, "lr", default.lr, *LR_RANGE),
        l2=_number(raw, "l2", default.l2, *L2_RANGE),
        loss=_choice(raw, "loss", default.loss, LOSSES),
        seed=int(_number(raw, "seed", default.seed, 0, 2**31 - 1)),
    )


def _activate(x: Any, name: str) -> Any:
    return getattr(x, name)()  # relu(), tanh(), sigmoid(): one gate each, on Tensor and Value


class Trainer:
    """One playground run: the data, the net, the optimizer and the history.

    Not thread-safe; the server holds one lock per trainer.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.X, self.y = make_dataset(settings.dataset, settings.points, settings.noise,
                                      settings.seed)
        self.classes = classes_of(settings.dataset)
        sizes = (2,) + settings.hidden + (self.classes,)
        with _SEEDING:
            autograd.manual_seed(settings.seed)
            self.layers = [Linear(n_in, n_out, label=str(k + 1))
                           for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]
        self.params = [p for layer in self.layers for p in (layer.W, layer.b)]
        self.optimizer = optim.SGD(self.params, lr=settings.lr, momentum=MOMENTUM)
        self.steps = 0
        self.loss = math.nan
        self.accuracy = 0.0
        self.error: Optional[str] = None
        self._inputs = Tensor(self.X, requires_grad=False)
        self._evaluate()

    @property
    def sizes(self) -> List[int]:
        return [2] + list(self.settings.hidden) + [self.classes]

    def _forward(self, X: Tensor) -> List[Tensor]:
        """Each layer's output (after its activation; the last is the class scores)."""
        outputs, h = [], X
        for k, layer in enumerate(self.layers):
            h = layer(h)
            if k < len(self.layers) - 1:
                h = _activate(h, self.settings.activation)
            outputs.append(h)
        return outputs

    def _loss(self, scores: Tensor) -> Tensor:
        data_loss = (losses.softmax_loss if self.settings.loss == "softmax" else
                     losses.svm_loss)(scores, self.y)
        if self.settings.l2 == 0:
            return data_loss
        return data_loss + self.settings.l2 * losses.l2([layer.W for layer in self.layers])

    def _evaluate(self) -> List[Tensor]:
        """Forward and backward at the current weights: loss, accuracy and every gradient."""
        for p in self.params:
            p.zero_grad()
        outputs = self._forward(self._inputs)
        loss = self._loss(outputs[-1])
        loss.backward()
        self.loss = float(loss.data)
        self.accuracy = float(np.mean(outputs[-1].data.argmax(axis=1) == self.y))
        return outputs

    def step(self) -> None:
        """One full-batch SGD step; ``self.loss``/``accuracy`` are those before the update."""
        if self.steps >= MAX_STEPS or self.error:
            return
        try:
            with np.errstate(all="ignore"):
                self._evaluate()
                self.optimizer.step()
        except (ArithmeticError, ValueError) as error:
            self.error = (f"training stopped at step {self.steps}: "
                          f"{' '.join(str(error).split())} (try a smaller learning rate)")
            return
        self.steps += 1
        if not math.isfinite(self.loss):
            self.error = (f"the loss became {self.loss} at step {self.steps}; try a smaller "
                          "learning rate")

    def train(self, max_steps: int, max_seconds: float) -> List[Tuple[int, float, float]]:
        """Up to ``max_steps`` steps or ``max_seconds`` of them; returns (step, loss, accuracy)
        of each."""
        history = []
        deadline = time.perf_counter() + max_seconds
        for _ in range(max_steps):
            if self.steps >= MAX_STEPS or self.error:
                break
            self.step()
            if not self.error:
                history.append((self.steps, self.loss, self.accuracy))
            if time.perf_counter() > deadline:
                break
        return history

    @property
    def finished(self) -> bool:
        return self.steps >= MAX_STEPS or self.error is not None

    def boundary(self) -> Dict[str, Any]:
        """The net's prediction on the grid: class and confidence (softmax) of each cell, rows
        from top (y = EXTENT) to bottom."""
        axis = np.linspace(-EXTENT, EXTENT, GRID)
        gx, gy = np.meshgrid(axis, axis[::-1])
        points = Tensor(np.c_[gx.ravel(), gy.ravel()], requires_grad=False)
        with np.errstate(all="ignore"), autograd.no_grad():  # no graph for the picture
            scores = self._forward(points)[-1].data
            shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs = shifted / shifted.sum(axis=1, keepdims=True)
        probs = np.nan_to_num(probs, nan=0.0)
        return {"n": GRID, "extent": EXTENT, "cls": probs.argmax(axis=1).tolist(),
                "p": np.round(probs.max(axis=1), 3).tolist()}

    def snapshot(self) -> Dict[str, Any]:
        """What the page draws: numbers, the weights with their gradients, the boundary."""
        layers = [{"W": _rounded(layer.W.data, 4), "b": _rounded(layer.b.data, 4),
                   "dW": _rounded(layer.W.grad, 6), "db": _rounded(layer.b.grad, 6)}
                  for layer in self.layers]
        return {"step": self.steps, "loss": _finite(self.loss), "accuracy": self.accuracy,
                "error": self.error, "finished": self.finished, "max_steps": MAX_STEPS,
                "layers": layers, "boundary": self.boundary()}

    def data(self) -> Dict[str, Any]:
        """The dataset and the net's shape, sent once."""
        return {"X": np.round(self.X, 4).tolist(), "y": self.y.tolist(), "classes": self.classes,
                "sizes": self.sizes, "settings": asdict(self.settings)}

    def neuron(self, layer: int, unit: int, example: int) -> Tuple[Value, str]:
        """The circuit of one neuron for one example, at the current weights.

        The inputs are the previous layer's outputs for that example, the weights and bias the
        neuron's current ones (with more than :data:`NEURON_INPUTS` inputs, the largest
        ``|w * x|`` are drawn and the others enter as one summed term, so the circuit stays
        readable); the backward pass starts from the gradient the loss sends this
        neuron for this example (``dL/d out``), so each wire shows its share of the true
        gradient and each input its local gradient.

        Returns:
            The output node (backward done) and a title.

        Raises:
            SettingsError: layer, unit or example out of range.
        """
        if not 0 <= layer < len(self.layers):
            raise SettingsError(f"layer must be from 0 to {len(self.layers) - 1}")
        if not 0 <= unit < self.layers[layer].out_features:
            raise SettingsError(f"unit must be from 0 to {self.layers[layer].out_features - 1}")
        if not 0 <= example < len(self.y):
            raise SettingsError(f"example must be from 0 to {len(self.y) - 1}")
        outputs = self._evaluate()
        inputs = self.X[example] if layer == 0 else outputs[layer - 1].data[example]
        upstream = float(outputs[layer].grad[example, unit])
        W, b = self.layers[layer].W.data, self.layers[layer].b.data
        names = ("x", "y") if layer == 0 else tuple(f"h{layer}.{i + 1}"
                                                    for i in range(len(inputs)))
        products = W[:, unit] * inputs
        shown = sorted(np.argsort(-np.abs(products), kind="stable")[:NEURON_INPUTS])
        if len(shown) == len(inputs) - 1:  # one left over: draw it rather than a one-term sum
            shown = list(range(len(inputs)))
        terms = [Value(float(W[i, unit]), label=f"w{i + 1}") * Value(float(inputs[i]),
                                                                      label=names[i])
                 for i in shown]
        rest = [i for i in range(len(inputs)) if i not in set(shown)]
        if rest:
            terms.append(Value(float(np.sum(products[rest])), label=f"{len(rest)} more w*x"))
        bias = Value(float(b[unit]), label="b")
        z = autograd.sum(terms + [bias])
        last = layer == len(self.layers) - 1
        out = z if last else _activate(z, self.settings.activation)
        out.label = f"score {unit + 1}" if last else f"h{layer + 1}.{unit + 1}"
        out.backward(upstream)
        kind = "output" if last else f"hidden layer {layer + 1}"
        title = (f"{kind}, neuron {unit + 1}, example {example + 1} (class {self.y[example]}) "
                 f"at step {self.steps}: dL/d{out.label} = {format_number(upstream, 4)}")
        if rest:
            title += (f"; the {len(shown)} largest of {len(inputs)} inputs drawn, the other "
                      f"{len(rest)} summed")
        return out, title


def _rounded(array: Any, decimals: int) -> Any:
    """A JSON-ready list (JSON has no inf or nan: they become the largest float or 0)."""
    if array is None:
        return None
    return np.round(np.nan_to_num(np.asarray(array, dtype=float)), decimals).tolist()


def _finite(x: float) -> Optional[float]:
    return x if math.isfinite(x) else None
