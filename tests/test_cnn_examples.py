"""The conv-net example scripts and benchmark run and print the right numbers.

Each runs in a subprocess in a temporary directory, as ``python examples/<name>.py``.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from example_runs import EXAMPLES, ROOT
from example_runs import run_script as run


def percent_after(text: str, words: str) -> float:
    import re

    match = re.search(words + r"\s*([0-9.]+)%", text)
    assert match, f"no percentage after {words!r} in:\n{text}"
    return float(match.group(1))


@pytest.mark.slow
def test_cnn_digits_short_run_saves_reloads_and_draws(tmp_path):
    out = run(EXAMPLES / "cnn_digits.py", ["--epochs", "1", "--out", "o"], tmp_path)
    assert "logits identical: True" in out
    assert percent_after(out, "held-out accuracy") == percent_after(out, r"\.npz: held-out "
                                                                         r"accuracy")
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"cnn_digits.npz", "cnn_digits_loss.png", "cnn_digits_filters.png"} <= names
    assert names & {"cnn_digits_graph.svg", "cnn_digits_graph.dot"}
    for name in names:
        assert f"wrote o/{name}" in out or f"wrote o{os.sep}{name}" in out


@pytest.mark.slow
def test_cnn_digits_reaches_98_percent_held_out(tmp_path):
    out = run(EXAMPLES / "cnn_digits.py", ["--out", "."], tmp_path)
    assert percent_after(out, "held-out accuracy") >= 98.0
    assert "logits identical: True" in out


@pytest.mark.slow
def test_cnn_benchmark_checks_gradients_and_prints_every_goal(tmp_path):
    out = run(ROOT / "benchmarks" / "cnn.py", ["--quick"], tmp_path, ok=(0, 1))
    goals = ["/ numpy floor, time", "/ numpy floor, peak memory"]
    if importlib.util.find_spec("torch") is not None:
        goals.append("/ torch, time")
    for goal in goals:
        assert f"goal: circuitgrad {goal}" in out


def test_cnn_deltas_hand_written_rules_equal_the_engine(tmp_path):
    import re

    out = run(EXAMPLES / "cnn_deltas.py", ["--out", "o"], tmp_path)
    differences = [float(v) for v in re.findall(r"max \|difference\|[^=]*= ([0-9.e+-]+)", out)]
    assert len(differences) == 3 and max(differences) < 1e-13
    assert "np.convolve(dy, w) = [0.5, 0.0, -0.5, 5.0, -2.0]" in out
    assert "dL/dx (engine)     = [0.5, 0.0, -0.5, 5.0, -2.0]" in out
    drawn = list((tmp_path / "o").iterdir())
    assert len(drawn) == 1 and drawn[0].name.startswith("cnn_deltas_1d.")
    assert f"wrote {os.path.join('o', drawn[0].name)}" in out


def test_digits_cnn_diagram_has_one_gate_per_layer_and_shapes_on_wires():
    import numpy as np

    import autograd
    import viz
    from autograd import Tensor
    from autograd.nn import functional as F

    spec = importlib.util.spec_from_file_location("cnn_digits_example", EXAMPLES / "cnn_digits.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    autograd.manual_seed(0)
    model = example.DigitsCNN().eval()
    loss = F.cross_entropy(model(Tensor(np.ones((2, 1, 8, 8)), label="x", requires_grad=False)),
                           np.array([3, 5]))
    loss.backward()
    dot = viz.to_dot(loss, collapse=True)
    for layer in ("conv1", "bn1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc",
                  "softmax_loss"):
        assert f'label="{layer}"' in dot, layer
    assert "dropout" not in dot  # the identity in eval mode: no gate
    for shape in ("(2, 1, 8, 8)", "(2, 16, 8, 8)", "(2, 16, 4, 4)", "(2, 32, 2, 2)", "(2, 128)",
                  "(2, 10)"):
        assert shape in dot, shape
