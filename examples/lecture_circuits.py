"""The circuits of the CS231n backprop lecture, rendered as slides into ``out/``.

* ``xyz_circuit.svg/.png``: f = (x + y) z at x = -2, y = 5, z = -4 (gradients -4, -4, 3).
* ``sigmoid_neuron_expanded.svg``: f = sigmoid(w0 x0 + w1 x1 + w2) with the sigmoid built from
  primitive gates inside a named ``sigmoid`` gate, drawn as a cluster.
* ``sigmoid_neuron_collapsed.svg``: the same graph with the sigmoid as one gate; the wire into it
  shows the combined local gradient (1 - s) s = 0.1966.
* ``svm_hinge.svg``: the multiclass SVM loss of one example, scores s = W x for cat, car, frog
  (3.2, 5.1, -1.7 as in the notes): L = max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1) = 2.9.
  Each score s_j = W_j · x is one gate with four wires in (not one W x box fed by eight). s_cat
  fans out to both margins: its wire into the car margin carries -1, the one into the frog margin 0 (that
  hinge is inactive), and they add up to d L / d s_cat = -1.
* ``sigmoid_neuron_steps.html``: the backward pass of the neuron, one gate per frame, with
  Prev/Next buttons, the arrow keys and a slider (one self-contained file).

Run: ``python examples/lecture_circuits.py`` (needs the Graphviz ``dot`` program).
"""

from __future__ import annotations

import pathlib
import sys
from typing import List

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import autograd  # noqa: E402
import viz  # noqa: E402
from autograd import Value  # noqa: E402
from output import wrote  # noqa: E402

OUT = ROOT / "out"


def xyz_circuit() -> Value:
    """f = (x + y) z, the first example of the lecture, after backward."""
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f


def sigmoid_neuron() -> Value:
    """f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) with the sigmoid as a named gate, after backward."""
    w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    w1, x1 = Value(-3.0, label="w1"), Value(-2.0, label="x1")
    w2 = Value(-3.0, label="w2")
    dot = w0 * x0 + w1 * x1 + w2
    with autograd.gate("sigmoid"):
        f = 1 / (1 + (-dot).exp())
    f.label = "f"
    f.backward()
    return f


def svm_hinge() -> Value:
    """The SVM loss of one cat image with scores s = W x = (3.2, 5.1, -1.7), after backward.

    Each class score is its own named gate ``s_j = W_j·x``, drawn collapsed: one box per class
    with four wires in (W_j,0, W_j,1, x0, x1), x0 and x1 fanning out to the three boxes.
    """
    x0, x1 = Value(1.0, label="x0"), Value(2.0, label="x1")
    weights = {"cat": (1.2, 1.0), "car": (2.1, 1.5), "frog": (0.3, -1.0)}
    scores = {}
    for name, (a, b) in weights.items():
        wa, wb = Value(a, label=f"W_{name},0"), Value(b, label=f"W_{name},1")
        with autograd.gate(f"s_{name} = W_{name}·x", collapse=True):
            s = wa * x0 + wb * x1
        s.label = f"s_{name}"
        scores[name] = s
    correct = scores["cat"]
    margins = [(scores[name] - correct + 1.0).relu() for name in ("car", "frog")]
    loss = margins[0] + margins[1]
    loss.label = "L"
    loss.backward()
    return loss


def main() -> List[pathlib.Path]:
    """Render every lecture circuit into ``out/`` and return the paths written."""
    written = []
    f = xyz_circuit()
    for suffix in ("svg", "png"):
        written.append(viz.save(f, OUT / f"xyz_circuit.{suffix}", title="f = (x + y) z"))

    neuron = sigmoid_neuron()
    title = "sigmoid neuron: f = σ(w0·x0 + w1·x1 + w2)"
    for name, collapse in (("expanded", False), ("collapsed", True)):
        for suffix in ("svg", "png"):
            written.append(viz.save(neuron, OUT / f"sigmoid_neuron_{name}.{suffix}",
                                    title=title, collapse=collapse, local_grads=True))

    loss = svm_hinge()
    for suffix in ("svg", "png"):
        written.append(viz.save(loss, OUT / f"svm_hinge.{suffix}",
                                title="SVM loss of one cat image: L = Σ max(0, s_j − s_cat + 1)"))

    steps_path = OUT / "sigmoid_neuron_steps.html"
    written.append(pathlib.Path(viz.write_stepthrough(sigmoid_neuron(), steps_path)))
    return written


if __name__ == "__main__":
    for path in main():
        wrote(path)
