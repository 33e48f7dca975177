"""Train a scalar MLP on two moons, micrograd's demo setting, and draw its decision boundary.

An ``MLP(2, [16, 16, 1])`` (ReLU hidden layers, linear output) of :class:`autograd.Value` nodes
classifies 100 noisy two-moons points with labels y = -1/+1. The loss is the SVM max-margin loss
plus L2 regularization,

    loss = mean_i relu(1 - y_i * score_i) + alpha * sum_p p^2,    alpha = 1e-4,

minimized by full-batch SGD for 200 steps with a learning rate decaying linearly from 1.0 toward 0
(``1 - step / 200``). With the seed below the model reaches 100% training accuracy at step 84
and keeps it.

Run from the repository root: ``python examples/mlp_moons.py``. Writes ``out/mlp_moons.png`` (the
decision boundary), ``out/mlp_moons.txt`` (the loss and accuracy of every step) and
``out/mlp_circuit.svg`` / ``.png`` (the trained model's circuit for the first point: each layer
one box holding its weights, see :mod:`autograd.nn.scalar`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import autograd  # noqa: E402
from autograd.nn import MLP  # noqa: E402
from data import make_moons  # noqa: E402
from output import progress, wrote  # noqa: E402

OUT = ROOT / "out"
SEED = 0
STEPS = 200
ALPHA = 1e-4


def loss_and_accuracy(model: MLP, points: List[List[float]], labels: List[float]
                      ) -> Tuple[autograd.Value, float]:
    """The max-margin loss with L2 regularization, and the fraction of points classified right."""
    scores = [model(x) for x in points]
    margins = [(1.0 - y * score).relu() for y, score in zip(labels, scores)]
    data_loss = autograd.sum(margins) * (1.0 / len(margins))
    reg_loss = ALPHA * autograd.sum([p * p for p in model.parameters()])
    correct = [(y > 0) == (score.data > 0) for y, score in zip(labels, scores)]
    return data_loss + reg_loss, sum(correct) / len(correct)


def train(model: MLP, points, labels) -> List[Tuple[int, float, float]]:
    """Full-batch SGD; returns (step, loss, accuracy) of every step."""
    history = []
    parameters = model.parameters()
    steps, bar = progress(range(STEPS), "training", unit="step")
    for step in steps:
        loss, accuracy = loss_and_accuracy(model, points, labels)
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - step / STEPS
        for p in parameters:
            p.data -= learning_rate * p.grad
        history.append((step, loss.data, accuracy))
        if bar is not None:
            bar.set_postfix(loss=f"{loss.data:.4f}", accuracy=f"{accuracy:.0%}", refresh=False)
        elif step % 10 == 0 or step == STEPS - 1:
            print(f"step {step:3d}  loss {loss.data:.6f}  accuracy {accuracy:.0%}")
    return history


def scores_on_grid(model: MLP, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The model's score at every grid point, computed with numpy from the trained weights.

    Building a graph for tens of thousands of grid points would only slow the picture down; the
    arithmetic is the same as the model's (relu hidden layers, linear output).
    """
    activations = np.column_stack([xs.ravel(), ys.ravel()])
    last = len(model.layers) - 1
    for index, layer in enumerate(model.layers):
        weights = np.array([[w.data for w in neuron.w] for neuron in layer.neurons])
        biases = np.array([neuron.b.data for neuron in layer.neurons])
        activations = activations @ weights.T + biases
        if index < last:
            activations = np.maximum(activations, 0.0)
    return activations[:, 0].reshape(xs.shape)


def plot(model: MLP, X: np.ndarray, y: np.ndarray, accuracy: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pad = 0.5
    xs, ys = np.meshgrid(np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 300),
                         np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 300))
    scores = scores_on_grid(model, xs, ys)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.contourf(xs, ys, scores > 0, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"],
                alpha=0.9)
    ax.contour(xs, ys, scores, levels=[0.0], colors="black", linewidths=1.0)
    for label, color, name in ((-1.0, "#c0392b", "y = -1"), (1.0, "#2166ac", "y = +1")):
        chosen = y == label
        ax.scatter(X[chosen, 0], X[chosen, 1], c=color, s=22, edgecolors="white", linewidths=0.5,
                   label=name)
    ax.set_title(f"MLP(2, [16, 16, 1]) on two moons: training accuracy {accuracy:.0%}")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def draw_circuit(model: MLP, point: List[float]) -> List[Path]:
    """The model's circuit for one point, as SVG and PNG (skipped, with a note, without dot)."""
    import viz

    score = model(point)
    score.label = "score"
    score.backward()
    title = f"{model}: score of the point ({point[0]:.2f}, {point[1]:.2f})"
    written = []
    for suffix in ("svg", "png"):
        try:
            written.append(viz.save(score, OUT / f"mlp_circuit.{suffix}", title=title))
        except viz.GraphvizNotFound as error:
            print(f"skipped out/mlp_circuit.{suffix}: {error}")
    return written


def main() -> None:
    started = time.perf_counter()
    X, y = make_moons(100, noise=0.1, seed=SEED)
    points, labels = X.tolist(), y.tolist()
    autograd.manual_seed(SEED)
    model = MLP(2, [16, 16, 1])
    print(f"{model}: {len(model.parameters())} parameters, {len(points)} points")

    history = train(model, points, labels)
    final_loss, final_accuracy = loss_and_accuracy(model, points, labels)
    grid_check = scores_on_grid(model, X[:, 0], X[:, 1])
    assert np.allclose(grid_check, [model(x).data for x in points], rtol=1e-12, atol=1e-12)
    seconds = time.perf_counter() - started

    OUT.mkdir(exist_ok=True)
    with open(OUT / "mlp_moons.txt", "w") as f:
        f.write(f"# {model}, SVM max-margin loss + {ALPHA} * L2, SGD with learning rate "
                f"1 - step/{STEPS}, seed {SEED}\n")
        f.write("# step loss accuracy\n")
        for step, loss, accuracy in history:
            f.write(f"{step} {loss!r} {accuracy}\n")
        f.write(f"# final loss {final_loss.data!r} accuracy {final_accuracy}\n")
    plot(model, X, y, final_accuracy, OUT / "mlp_moons.png")
    circuits = draw_circuit(model, points[0])
    print(f"final loss {final_loss.data:.6f}, training accuracy {final_accuracy:.0%} "
          f"({seconds:.1f} s of training)")
    wrote(OUT / "mlp_moons.png")
    wrote(OUT / "mlp_moons.txt")
    for path in circuits:
        wrote(path)


if __name__ == "__main__":
    main()
