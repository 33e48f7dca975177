"""Three classifiers on real handwriting: scikit-learn's 8x8 digits, trained with circuitgrad.

The data set (1797 grey-scale 8x8 images of the digits 0-9, pixel values 0..16) ships inside
scikit-learn, so nothing is downloaded. It is split into training and validation sets (stratified,
seeded), scaled to [0, 1] and centred by subtracting the training set's mean image, as CS231n
does for CIFAR-10. Then, with minibatch gradient descent and gradients from ``backward()``:

* a linear SVM: ``svm_loss(X W + b, y) + reg * l2(W)`` (multiclass hinge, margin 1), SGD with
  momentum;
* a softmax classifier: ``softmax_loss(X W + b, y) + reg * l2(W)``, SGD with momentum;
* a two-layer net (:class:`autograd.nn.TwoLayerNet`: affine, ReLU, affine, 100 hidden units)
  with softmax loss and L2 on its weights, trained with Adam.

It prints each model's validation accuracy and writes the training-loss curves (and the
validation accuracy after every epoch) to ``out/digits_loss.png``.

    python examples/digits.py
    python examples/digits.py --epochs 5    # quicker
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import autograd  # noqa: E402
from autograd import Tensor  # noqa: E402
from autograd.losses import l2, softmax_loss, svm_loss  # noqa: E402
from autograd.nn import TwoLayerNet  # noqa: E402
from autograd.optim import SGD, Adam  # noqa: E402
from output import progress as show_progress  # noqa: E402
from output import wrote  # noqa: E402

CLASSES = 10


def load_split(validation_fraction: float, seed: int):
    """The digits, split and preprocessed: (X_train, y_train, X_val, y_val)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X_train, X_val, y_train, y_val = train_test_split(
        digits.data.astype(np.float64), digits.target, test_size=validation_fraction,
        random_state=seed, stratify=digits.target)
    X_train, X_val = X_train / 16.0, X_val / 16.0
    mean_image = X_train.mean(axis=0)
    return X_train - mean_image, y_train, X_val - mean_image, y_val


class LinearClassifier:
    """``scores = X W + b`` with W = 0.001 randn(D, C), b = 0, trained on ``loss_fn`` + L2."""

    def __init__(self, loss_fn: Callable, features: int, rng: np.random.Generator):
        self.loss_fn = loss_fn
        self.W = Tensor(0.001 * rng.standard_normal((features, CLASSES)), label="W")
        self.b = Tensor(np.zeros(CLASSES), label="b")

    def __call__(self, X: Tensor) -> Tensor:
        return X @ self.W + self.b

    def parameters(self) -> List[Tensor]:
        return [self.W, self.b]

    def weights(self) -> List[Tensor]:
        return [self.W]


def fit(name: str, model, loss_fn: Callable, optimizer, reg: float, data, epochs: int,
        batch_size: int, rng: np.random.Generator, progress: bool) -> Dict[str, list]:
    """Minibatch training; returns per-step losses and per-epoch validation accuracies."""
    X_train, y_train, X_val, y_val = data
    weights = model.weights() if hasattr(model, "weights") else [
        p for p in model.parameters() if p.data.ndim == 2]
    history: Dict[str, list] = {"loss": [], "val_accuracy": []}
    n = len(y_train)
    epochs_loop, bar = show_progress(range(epochs), f"{name:<14}", enabled=progress, leave=True)
    for _ in epochs_loop:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            scores = model(Tensor(X_train[batch], requires_grad=False))
            loss = loss_fn(scores, y_train[batch])
            for w in weights:
                loss = loss + reg * l2(w)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["loss"].append(float(loss.data))
        history["val_accuracy"].append(accuracy(model, X_val, y_val))
        if bar is not None:
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}",
                            val=f"{history['val_accuracy'][-1]:.3f}", refresh=False)
    return history


def accuracy(model, X: np.ndarray, y: np.ndarray) -> float:
    scores = model(Tensor(X, requires_grad=False)).data
    return float(np.mean(np.argmax(scores, axis=1) == y))


def plot_history(histories: Dict[str, Dict[str, list]], steps_per_epoch: int, path: str) -> None:
    """Training loss per step (with a moving average) and validation accuracy per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, history in histories.items():
        losses = np.asarray(history["loss"])
        window = max(1, steps_per_epoch)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        line, = loss_ax.plot(losses, alpha=0.25)
        loss_ax.plot(np.arange(window - 1, len(losses)), smooth, color=line.get_color(),
                     label=name)
        epochs = np.arange(1, len(history["val_accuracy"]) + 1)
        acc_ax.plot(epochs, history["val_accuracy"], marker="o", markersize=3,
                    color=line.get_color(), label=name)
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("step (minibatch)")
    loss_ax.set_ylabel("training loss (data + L2)")
    loss_ax.set_title("training loss; bold: mean over one epoch")
    loss_ax.legend()
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("validation accuracy")
    acc_ax.set_title("validation accuracy")
    acc_ax.legend(loc="lower right")
    acc_ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    """Train the three models, print validation accuracies, plot the curves.

    Returns:
        Validation accuracy per model.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--validation", type=float, default=0.2, help="validation fraction")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out", help="directory for digits_loss.png")
    parser.add_argument("--no-progress", action="store_true", help="hide the tqdm bars")
    args = parser.parse_args(argv)

    data = load_split(args.validation, args.seed)
    X_train, y_train, X_val, y_val = data
    features = X_train.shape[1]
    print(f"digits: {len(y_train)} training and {len(y_val)} validation images of "
          f"{features} pixels")

    rng = np.random.default_rng(args.seed)
    autograd.manual_seed(args.seed)
    svm = LinearClassifier(svm_loss, features, rng)
    softmax = LinearClassifier(softmax_loss, features, rng)
    net = TwoLayerNet(features, args.hidden, CLASSES, std=1e-2)
    # Learning rates and regularization strengths picked on the validation set (seeds 0 and 1).
    runs = [
        ("linear SVM", svm, svm_loss, SGD(svm.parameters(), lr=0.05, momentum=0.9), 1e-3),
        ("softmax", softmax, softmax_loss, SGD(softmax.parameters(), lr=0.2, momentum=0.9),
         1e-4),
        ("two-layer net", net, softmax_loss, Adam(net.parameters(), lr=3e-3), 1e-4),
    ]
    histories, results = {}, {}
    for name, model, loss_fn, optimizer, reg in runs:
        histories[name] = fit(name, model, loss_fn, optimizer, reg, data, args.epochs,
                              args.batch, rng, progress=not args.no_progress)
        results[name] = accuracy(model, X_val, y_val)

    print()
    for name, model, *_ in runs:
        print(f"{name:<14} validation accuracy {results[name]:.2%}   "
              f"(training {accuracy(model, X_train, y_train):.2%})")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "digits_loss.png")
    steps_per_epoch = -(-len(y_train) // args.batch)
    plot_history(histories, steps_per_epoch, path)
    wrote(path)
    return results


if __name__ == "__main__":
    main()
