"""A small convolutional net on scikit-learn's 8x8 digits, trained on circuitgrad's Tensor engine.

The data set (1797 grey-scale 8x8 images of the digits 0-9, pixels 0..16) ships inside
scikit-learn, so nothing is downloaded. Split: 80% training, 20% held out (stratified,
``train_test_split(random_state=seed)``, seed 0 by default); pixels scaled to [0, 1] and centred
by the training set's mean pixel. The net, one named gate per layer::

    x (N, 1, 8, 8)
      -> conv1 16 3x3 pad 1 -> batchnorm -> relu -> maxpool 2    (N, 16, 4, 4)
      -> conv2 32 3x3 pad 1 -> relu -> maxpool 2                 (N, 32, 2, 2)
      -> flatten -> dropout 0.25 -> linear 10                    (N, 10)

trained with Adam (learning rate decayed along a cosine) on the softmax loss
(``F.cross_entropy``), each training image shifted by up to one pixel at random every time it is
used. It prints the held-out accuracy,
saves the trained weights with ``autograd.save``, loads them into a freshly built model with
``autograd.load`` and checks that it scores exactly the same, and writes to ``out/``:

* ``cnn_digits_loss.png``: training loss per step and held-out accuracy per epoch;
* ``cnn_digits_filters.png``: the 16 learned first-layer 3x3 filters;
* ``cnn_digits.npz``: the weights (PyTorch's key names and shapes);
* ``cnn_digits_graph.svg`` (or ``.dot`` without Graphviz): the net's Tensor graph, one gate per
  layer, with the shapes on the wires.

    python examples/cnn_digits.py
    python examples/cnn_digits.py --epochs 3      # quicker
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import autograd  # noqa: E402
from autograd import Tensor  # noqa: E402
from autograd.nn import (BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d,  # noqa: E402
                         Module, ReLU)
from autograd.nn import functional as F  # noqa: E402
from autograd.optim import Adam  # noqa: E402
from output import progress, wrote  # noqa: E402


def load_split(test_fraction: float, seed: int):
    """(X_train, y_train, X_test, y_test) with X of shape (N, 1, 8, 8)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.images.astype(np.float64) / 16.0, digits.target, test_size=test_fraction,
        random_state=seed, stratify=digits.target)
    mean = X_train.mean()
    return (X_train[:, None] - mean, y_train, X_test[:, None] - mean, y_test)


class DigitsCNN(Module):
    """The net of the module docstring; ``forward`` opens one named gate per layer."""

    def __init__(self):
        self.conv1 = Conv2d(1, 16, 3, padding=1)
        self.bn1 = BatchNorm2d(16)
        self.relu1 = ReLU()
        self.pool1 = MaxPool2d(2)
        self.conv2 = Conv2d(16, 32, 3, padding=1)
        self.relu2 = ReLU()
        self.pool2 = MaxPool2d(2)
        self.flatten = Flatten()
        self.dropout = Dropout(0.25)
        self.fc = Linear(32 * 2 * 2, 10)

    def forward(self, x) -> Tensor:
        for name, layer in self.named_children():
            with autograd.gate(name):
                x = layer(x)
        return x


def shifted(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by up to one pixel in each direction (zeros shifted in): augmentation."""
    n = len(images)
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=images.min())
    rows, cols = rng.integers(0, 3, n), rng.integers(0, 3, n)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (8, 8), axis=(2, 3))
    return windows[np.arange(n), :, rows, cols]


def accuracy(model: DigitsCNN, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction of X classified right, in evaluation mode, building no graph."""
    model.eval()
    with autograd.no_grad():
        scores = model(Tensor(X, requires_grad=False)).data
    model.train()
    return float(np.mean(np.argmax(scores, axis=1) == y))


def fit(model: DigitsCNN, data, epochs: int, batch_size: int, lr: float,
        seed: int) -> Dict[str, list]:
    """Minibatch Adam; returns the loss of every step and the held-out accuracy of every epoch."""
    X_train, y_train, X_test, y_test = data
    optimizer = Adam(model.parameters(), lr=lr)
    order_rng = np.random.default_rng(seed)
    history: Dict[str, list] = {"loss": [], "test_accuracy": []}
    epochs_loop, bar = progress(range(epochs), "cnn digits")  # quiet unless a terminal
    for epoch in epochs_loop:
        optimizer.lr = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))  # cosine decay
        order = order_rng.permutation(len(y_train))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            images = shifted(X_train[batch], order_rng)
            loss = F.cross_entropy(model(Tensor(images, requires_grad=False)), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["loss"].append(loss.item())
        history["test_accuracy"].append(accuracy(model, X_test, y_test))
        if bar is not None:
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}",
                            test=f"{history['test_accuracy'][-1]:.3f}", refresh=False)
    return history


def plot_history(history: Dict[str, list], steps_per_epoch: int, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    losses = np.asarray(history["loss"])
    loss_ax.plot(losses, alpha=0.3, color="C0")
    window = max(1, min(steps_per_epoch, len(losses)))
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    loss_ax.plot(np.arange(window - 1, len(losses)), smooth, color="C0", label="mean over an epoch")
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("step (minibatch)")
    loss_ax.set_ylabel("training loss (cross-entropy)")
    loss_ax.legend()
    epochs = np.arange(1, len(history["test_accuracy"]) + 1)
    acc_ax.plot(epochs, history["test_accuracy"], marker="o", color="C1")
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("held-out accuracy")
    acc_ax.grid(alpha=0.3)
    fig.suptitle("digits CNN on circuitgrad")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_filters(weight: np.ndarray, path: str) -> None:
    """The first layer's (F, 1, 3, 3) filters side by side, each on its own symmetric scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = weight.shape[0]
    columns = min(count, 8)
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows + 0.4),
                             squeeze=False)
    for ax in axes.flat[count:]:
        ax.axis("off")
    for i, ax in enumerate(axes.flat[:count]):
        kernel = weight[i, 0]
        limit = np.abs(kernel).max() or 1.0
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"filter {i}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("learned conv1 filters (red +, blue -)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def draw_graph(model: DigitsCNN, X: np.ndarray, y: np.ndarray, out_dir: str) -> str:
    """The net's Tensor graph on two images, one collapsed gate per layer, shapes on the wires
    (values green, gradients red), parameters labelled with their state-dict names."""
    import viz

    for name, layer in model.named_children():
        for attr in ("weight", "bias", "W", "b"):
            parameter = getattr(layer, attr, None)
            if isinstance(parameter, Tensor):
                parameter.label = f"{name}.{attr}"
    model.eval()  # dropout is the identity: no gate for it
    loss = F.cross_entropy(model(Tensor(X[:2], label="x", requires_grad=False)), y[:2])
    model.train()
    loss.backward()
    options = dict(collapse=True, rankdir="TB",
                   title="digits CNN (eval mode, 2 images): one gate per layer")
    try:
        path = viz.save(loss, os.path.join(out_dir, "cnn_digits_graph.svg"), **options)
    except viz.GraphvizNotFound:
        path = viz.save(loss, os.path.join(out_dir, "cnn_digits_graph.dot"), **options)
    model.zero_grad()
    return str(path)


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    """Train, report, save and reload; returns the held-out accuracies before and after."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out", help="directory for the PNGs and weights")
    args = parser.parse_args(argv)

    data = load_split(args.test_fraction, args.seed)
    X_train, y_train, X_test, y_test = data
    print(f"digits: {len(y_train)} training and {len(y_test)} held-out 8x8 images "
          f"(stratified split, seed {args.seed})")
    autograd.manual_seed(args.seed)  # initial weights and dropout masks
    model = DigitsCNN()
    history = fit(model, data, args.epochs, args.batch, args.lr, args.seed)
    test_accuracy = accuracy(model, X_test, y_test)
    print(f"held-out accuracy {test_accuracy:.2%} (training "
          f"{accuracy(model, X_train, y_train):.2%}) after {args.epochs} epochs")

    os.makedirs(args.out, exist_ok=True)
    weights_path = os.path.join(args.out, "cnn_digits.npz")
    autograd.save(model.state_dict(), weights_path)
    wrote(weights_path)
    autograd.manual_seed(args.seed + 1)  # different initial weights, then overwritten
    reloaded = DigitsCNN()
    reloaded.load_state_dict(autograd.load(weights_path))
    reloaded_accuracy = accuracy(reloaded, X_test, y_test)
    model.eval()
    reloaded.eval()
    same = np.array_equal(model(X_test).data, reloaded(X_test).data)
    print(f"reloaded from {weights_path}: held-out accuracy {reloaded_accuracy:.2%}, "
          f"logits identical: {same}")

    loss_path = os.path.join(args.out, "cnn_digits_loss.png")
    plot_history(history, -(-len(y_train) // args.batch), loss_path)
    wrote(loss_path)
    filters_path = os.path.join(args.out, "cnn_digits_filters.png")
    plot_filters(model.conv1.weight.data, filters_path)
    wrote(filters_path)
    wrote(draw_graph(model, X_test, y_test, args.out))
    return {"test": test_accuracy, "reloaded": reloaded_accuracy}


if __name__ == "__main__":
    main()
