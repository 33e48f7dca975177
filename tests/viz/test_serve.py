"""``circuitgrad serve`` without a server: the editor's answers, the playground's settings,
datasets and trainer (numbers checked against CS231n and against the Tensor engine)."""

import json
import math

import numpy as np
import pytest

from viz.serve.circuit import (DEFAULT_VALUE, MAX_FORMULA, MAX_GATES, MAX_VARIABLES, EditorError,
                               build_checked, circuit_answer, read_values, variable_names)
from viz.serve.datasets import DATASETS, classes_of, make_dataset
from viz.serve.training import MAX_STEPS, Settings, SettingsError, Trainer, parse_settings

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALUES = {"w0": "2", "x0": "-1", "w1": "-3", "x1": "-2", "w2": "-3"}


# The editor.

def test_variable_names_in_order_of_appearance():
    assert variable_names("(x+y)*z") == ["x", "y", "z"]
    assert variable_names("z*exp(y) + x*z") == ["z", "y", "x"]
    assert variable_names("(x+") == []


def test_cs231n_xyz_numbers():
    formula = build_checked("(x+y)*z", {"x": "-2", "y": "5", "z": "-4"})
    grads = {name: leaf.grad for name, leaf in formula.variables.items()}
    assert formula.output.data == -12.0
    assert grads == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_cs231n_sigmoid_neuron_numbers():
    formula = build_checked(SIGMOID, SIGMOID_VALUES)
    grads = {name: round(leaf.grad, 2) for name, leaf in formula.variables.items()}
    assert grads == {"w0": -0.2, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.2}


def test_missing_values_default_and_other_names_are_ignored():
    formula = build_checked("a*b", {"a": "3", "unused": "7"})
    assert formula.variables["a"].data == 3.0
    assert formula.variables["b"].data == DEFAULT_VALUE
    assert "unused" not in formula.variables


@pytest.mark.needs_dot
def test_circuit_answer_has_one_frame_per_gate_plus_the_forward_pass():
    answer = circuit_answer(SIGMOID, SIGMOID_VALUES)
    assert len(answer["frames"]) == 1 + 8
    assert answer["output"]["text"] == "0.7311"
    assert [v["grad_text"] for v in answer["variables"]] == [
        "-0.1966", "0.3932", "-0.3932", "-0.5898", "0.1966"]
    assert answer["frames"][0]["caption"].startswith("forward pass")
    assert answer["frames"][1]["caption"].startswith("step 1/8")
    assert all(frame["svg"].startswith("<svg") for frame in answer["frames"])


HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "exec('open(\"{marker}\", \"w\")')",
    "(lambda: open('{marker}', 'w'))()",
    "x.__class__.__bases__[0].__subclasses__()",
    "[open('{marker}', 'w') for _ in 'a']",
    "x if open('{marker}', 'w') else y",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_formula_is_an_error_and_runs_nothing(template, tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(EditorError) as error:
        build_checked(template.format(marker=marker), {})
    assert "\n" not in str(error.value) and str(error.value)
    assert not marker.exists()


@pytest.mark.parametrize("text, needle", [
    ("", "type a formula"),
    ("x" * (MAX_FORMULA + 1), f"at most {MAX_FORMULA}"),
    ("*".join(["x"] * (MAX_GATES + 2)), f"at most {MAX_GATES}"),
    ("+".join(f"v{i}" for i in range(MAX_VARIABLES + 1)), f"at most {MAX_VARIABLES}"),
    ("log(x - 1)", "log"),
    ("x / (x - 1)", "zero"),
    ("9**9**9 * x", ""),
    ("x +* y", "syntax error"),
])
def test_bad_formulas_get_one_line_errors(text, needle):
    with pytest.raises(EditorError) as error:
        build_checked(text, {})
    message = str(error.value)
    assert "\n" not in message and needle.lower() in message.lower()


@pytest.mark.parametrize("value", ["1e400", "nan", "inf", "-2e6", "abc", "1" * 100])
def test_out_of_range_values_are_refused(value):
    with pytest.raises(EditorError, match="x"):
        read_values(["x"], {"x": value})


# Datasets.

@pytest.mark.parametrize("name", sorted(DATASETS))
def test_datasets_have_the_asked_size_every_class_and_repeat(name):
    X, y = make_dataset(name, 101, 0.1, seed=3)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert sorted(set(y.tolist())) == list(range(classes_of(name)))
    again = make_dataset(name, 101, 0.1, seed=3)
    assert np.array_equal(X, again[0]) and np.array_equal(y, again[1])
    assert np.abs(X).max() < 1.5  # inside the square the page shows


# Settings.

def test_settings_defaults_and_text_hidden_sizes():
    assert parse_settings({}) == Settings()
    assert parse_settings({"hidden": "8, 4"}).hidden == (8, 4)
    assert parse_settings({"hidden": []}).hidden == ()


@pytest.mark.parametrize("raw, needle", [
    ([], "JSON object"),
    ({"bogus": 1}, "unknown setting"),
    ({"dataset": "mnist"}, "dataset"),
    ({"points": 10**9}, "points"),
    ({"points": "NaN"}, "points"),
    ({"noise": -1}, "noise"),
    ({"lr": 0}, "lr"),
    ({"lr": True}, "lr"),
    ({"l2": 5}, "l2"),
    ({"hidden": [0]}, "hidden layer"),
    ({"hidden": [33]}, "hidden layer"),
    ({"hidden": [4, 4, 4, 4, 4]}, "at most"),
    ({"hidden": "4, x"}, "hidden layer"),
    ({"activation": "gelu"}, "activation"),
    ({"loss": "mse"}, "loss"),
])
def test_bad_settings_are_refused(raw, needle):
    with pytest.raises(SettingsError, match=needle):
        parse_settings(raw)


# Training.

@pytest.mark.parametrize("loss", ["softmax", "svm"])
def test_moons_reach_full_accuracy_and_the_loss_falls(loss):
    trainer = Trainer(parse_settings({"dataset": "moons", "loss": loss}))
    first = trainer.loss
    history = []
    while trainer.accuracy < 1.0 and trainer.steps < 2000:
        history += trainer.train(10, max_seconds=math.inf)
    assert trainer.accuracy == 1.0 and trainer.error is None
    assert history[-1][1] < first / 2


def test_training_stops_at_max_steps():
    trainer = Trainer(parse_settings({"points": 20, "hidden": [2]}))
    trainer.steps = MAX_STEPS - 3
    assert len(trainer.train(10, max_seconds=math.inf)) == 3
    assert trainer.finished and trainer.train(10, max_seconds=math.inf) == []


def test_a_blown_up_net_stops_with_a_message():
    trainer = Trainer(parse_settings({"points": 20, "hidden": [4]}))
    trainer.layers[0].W.data[:] = 1e300  # as after a far too large learning rate
    assert trainer.train(10, max_seconds=math.inf) == []
    assert trainer.finished and "learning rate" in trainer.error
    snapshot = trainer.snapshot()
    assert snapshot["error"] == trainer.error and snapshot["finished"]
    json.dumps(snapshot, allow_nan=False)  # what the page parses has no NaN or Infinity


@pytest.mark.parametrize("layer", [0, 1])
def test_neuron_circuits_add_up_to_the_engines_weight_gradient(layer):
    """Summed over the examples, each neuron circuit's w.grad is the Tensor engine's dL/dW."""
    trainer = Trainer(parse_settings({"points": 24, "hidden": [3], "l2": 0.01, "loss": "svm"}))
    trainer.train(30, max_seconds=math.inf)
    unit = 1
    totals = None
    for example in range(24):
        out, _ = trainer.neuron(layer, unit, example)
        weights = sorted((node for node in _leaves(out) if node.label.startswith("w")),
                         key=lambda node: node.label)
        grads = np.array([w.grad for w in weights])
        totals = grads if totals is None else totals + grads
    W = trainer.layers[layer].W
    expected = W.grad[:, unit] - 2 * 0.01 * W.data[:, unit]  # minus the L2 term's share
    np.testing.assert_allclose(totals, expected, rtol=1e-9, atol=1e-12)


def test_a_wide_neuron_draws_its_largest_inputs_and_sums_the_rest():
    trainer = Trainer(parse_settings({"points": 20, "hidden": [10, 10]}))
    out, title = trainer.neuron(1, 0, 0)
    labels = {node.label for node in _leaves(out)}
    assert "6 more w*x" in labels and "the 4 largest of 10 inputs" in title
    with pytest.raises(SettingsError):
        trainer.neuron(2, 5, 0)  # the output layer has 2 units
    with pytest.raises(SettingsError):
        trainer.neuron(0, 0, 20)


def _leaves(root):
    seen, stack, leaves = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.inputs:
            stack.extend(node.inputs)
        else:
            leaves.append(node)
    return leaves


# The command.

@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_bad_port_is_a_one_line_error(port, capsys):
    from viz.cli import main

    assert main(["serve", "--port", port]) == 2
    err = capsys.readouterr().err
    assert err.startswith("circuitgrad: error: ") and "port" in err and err.count("\n") == 1


def test_a_busy_port_is_a_one_line_error(capsys):
    import socket

    pytest.importorskip("uvicorn", reason="the serve extra is not installed")
    from viz.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"circuitgrad: error: cannot listen on 127.0.0.1:{port}")


def test_urls_name_a_reachable_address():
    from viz.serve.server import url_of

    assert url_of("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert url_of("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert url_of("::1", 8080) == "http://[::1]:8080/"
